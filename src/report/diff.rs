//! What changed between two reports: another org (sandbox vs production), the verdict, each
//! check's status, the test write-back. Used by `writeback-setup diff` and the app's
//! "Changes since the last run".

use super::model::{status_word, verdict_word, CheckEntry, Report};

/// One difference, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What changed: "org", "verdict", a check id, ...
    pub subject: String,
    pub old: String,
    pub new: String,
    /// Readable line, e.g. "user.field_access (Edit on the fields): fail -> ok".
    pub line: String,
}

fn change(subject: &str, label: &str, old: String, new: String) -> Change {
    Change {
        subject: subject.to_string(),
        line: format!("{label}: {old} -> {new}"),
        old,
        new,
    }
}

fn word(check: Option<&CheckEntry>) -> String {
    match check {
        Some(c) => status_word(c.status, c.confirmed.is_some()).to_string(),
        None => "(not checked)".to_string(),
    }
}

/// The changes from `old` to `new`, most important first (empty: nothing changed that matters).
pub fn diff(old: &Report, new: &Report) -> Vec<Change> {
    let mut out = Vec::new();
    let mut field = |subject: &str, label: &str, a: String, b: String| {
        if a != b {
            out.push(change(subject, label, a, b));
        }
    };
    field(
        "org",
        "Org",
        format!("{} ({})", old.org.name, old.org.id),
        format!("{} ({})", new.org.name, new.org.id),
    );
    field(
        "environment",
        "Environment",
        old.org.environment.word().into(),
        new.org.environment.word().into(),
    );
    field(
        "instance_url",
        "Org URL",
        old.org.instance_url.clone(),
        new.org.instance_url.clone(),
    );
    field(
        "verdict",
        "Verdict",
        verdict_word(old.verdict).into(),
        verdict_word(new.verdict).into(),
    );
    field(
        "profile",
        "Profile",
        old.profile.id.clone(),
        new.profile.id.clone(),
    );
    field(
        "integration_user",
        "Integration user",
        old.run
            .integration_user
            .clone()
            .unwrap_or_else(|| "(none)".into()),
        new.run
            .integration_user
            .clone()
            .unwrap_or_else(|| "(none)".into()),
    );
    // Checks in the new report's order, then those only the old one had.
    let mut ids: Vec<&str> = new.checks().map(|c| c.id.as_str()).collect();
    for c in old.checks() {
        if !ids.contains(&c.id.as_str()) {
            ids.push(&c.id);
        }
    }
    for id in ids {
        let a = old.checks().find(|c| c.id == id);
        let b = new.checks().find(|c| c.id == id);
        let (wa, wb) = (word(a), word(b));
        if wa != wb {
            let title = b.or(a).map(|c| c.title.as_str()).unwrap_or_default();
            out.push(change(id, &format!("{id} ({title})"), wa, wb));
        }
    }
    let test = |r: &Report| match &r.test_write {
        None => "not run".to_string(),
        Some(t) if !t.write_ok => format!("refused on {}", t.record_id),
        Some(t) if t.restored => format!("written and restored on {}", t.record_id),
        Some(t) => format!("written on {}, NOT restored", t.record_id),
    };
    let (ta, tb) = (test(old), test(new));
    if ta != tb {
        out.push(change("test_write", "Test write-back", ta, tb));
    }
    out
}

/// The changes as text lines, or a sentence saying there are none.
pub fn render(old: &Report, new: &Report) -> String {
    let changes = diff(old, new);
    let mut out = format!(
        "From {} ({}) to {} ({}):\n",
        old.generated_at,
        verdict_word(old.verdict),
        new.generated_at,
        verdict_word(new.verdict)
    );
    if changes.is_empty() {
        out.push_str("  no changes in the org, the verdict or any check\n");
    }
    for c in &changes {
        out.push_str(&format!("  {}\n", c.line));
    }
    out
}
