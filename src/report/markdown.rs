//! The report as Markdown, for tickets and chat ("Copy summary", `--format md`). Every text
//! that comes from the org is escaped, so a label like `**x**` or `<script>` shows as typed.

use super::model::{status_word, verdict_word, Report};
use crate::checks::Status;

/// Escapes Markdown (and inline HTML) syntax; newlines become spaces so org text cannot start
/// a heading or a list.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text for a `code span`: backticks cannot be escaped inside one, so they are dropped.
fn code(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| *c != '`' && !c.is_control())
        .collect();
    format!("`{cleaned}`")
}

fn opt(text: &Option<String>) -> String {
    text.as_deref()
        .map(escape)
        .unwrap_or_else(|| "(none)".into())
}

pub fn render(report: &Report) -> String {
    let org = &report.org;
    let run = &report.run;
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", escape(&report.title)));
    out.push_str(&format!(
        "**{}**: {}\n\n",
        verdict_word(report.verdict),
        escape(&report.verdict_text)
    ));
    if report.simulated {
        out.push_str(&format!("> **{}**\n\n", escape(super::SIMULATED_NOTE)));
    }
    if report.redacted {
        out.push_str("_Redacted: usernames, emails and record values are hidden._\n\n");
    }
    out.push_str("| | |\n|---|---|\n");
    let mut row = |k: &str, v: String| out.push_str(&format!("| {k} | {v} |\n"));
    row("Org", format!("{} ({})", escape(&org.name), code(&org.id)));
    row(
        "Edition",
        format!("{}, {}", escape(&org.edition), org.environment.word()),
    );
    let domain = org
        .my_domain
        .as_deref()
        .map(|d| format!(", My Domain {}", escape(d)))
        .unwrap_or_default();
    row(
        "Instance",
        format!(
            "{} {}{domain}",
            escape(&org.instance),
            escape(&org.instance_url)
        ),
    );
    row("Checked as", escape(&run.logged_in_as));
    row("Integration user", opt(&run.integration_user));
    if let Some(p) = &run.prepared_by {
        row("Prepared by", escape(p));
    }
    row(
        "Profile",
        format!(
            "{} ({} on {})",
            escape(&report.profile.title),
            code(&report.profile.id),
            escape(&report.profile.object)
        ),
    );
    row(
        "Made",
        format!(
            "{} by writeback-setup {}",
            escape(&report.generated_at),
            escape(&report.app_version)
        ),
    );
    let usage = run
        .org_api_usage
        .map(|u| format!("; org API use today {}/{}", u.used, u.max))
        .unwrap_or_default();
    row(
        "API",
        format!(
            "version {}, {} API calls in {} requests{usage}",
            escape(&run.api_version),
            run.api_calls,
            run.round_trips
        ),
    );
    out.push('\n');
    if !run.candidates.is_empty() {
        let names: Vec<String> = run.candidates.iter().map(|c| escape(c)).collect();
        out.push_str(&format!(
            "Possible integration users: {}\n\n",
            names.join(", ")
        ));
    }

    if !report.open_items.is_empty() {
        out.push_str("## Open items\n\n");
        for item in &report.open_items {
            out.push_str(&format!(
                "- **{}**{}: {}\n",
                item.who.label(),
                if item.advisory { " (advice)" } else { "" },
                escape(&report.open_item_text(item))
            ));
        }
        out.push('\n');
    }

    out.push_str(&format!(
        "## Fields on {}\n\n| Field | API name | Type |\n|---|---|---|\n",
        escape(&report.profile.object)
    ));
    for f in &report.profile.fields {
        let length = f.length.map(|l| format!(" ({l})")).unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {}{length} |\n",
            escape(&f.label),
            code(&f.api_name),
            escape(&f.type_label)
        ));
    }
    out.push('\n');

    for step in &report.steps {
        out.push_str(&format!(
            "## {}: {}\n\n",
            escape(&step.title),
            step.status.word()
        ));
        for c in &step.checks {
            out.push_str(&format!(
                "- **{}** {} ({})\n",
                status_word(c.status, c.confirmed.is_some()),
                escape(&c.title),
                code(&c.id)
            ));
            if c.status != Status::Pass && !c.seen.is_empty() {
                out.push_str(&format!("  - Seen: {}\n", escape(&c.seen)));
            }
            if !c.granted_by.is_empty() {
                let grants: Vec<String> = c.granted_by.iter().map(|g| escape(g)).collect();
                out.push_str(&format!("  - Granted by: {}\n", grants.join("; ")));
            }
            if let Some(fix) = &c.fix {
                out.push_str(&format!("  - Fix: {}\n", escape(fix)));
            }
            if let Some(m) = &c.confirmed {
                out.push_str(&format!("  - Confirmed by a person: {}\n", escape(&m.note)));
            }
        }
        out.push('\n');
    }

    if let Some(t) = &report.test_write {
        out.push_str("## Test write-back evidence\n\n");
        out.push_str(&format!(
            "{} {}{}: {}\n\n",
            escape(&t.object),
            code(&t.record_id),
            t.record_name
                .as_deref()
                .map(|n| format!(" ({})", escape(n)))
                .unwrap_or_default(),
            escape(&t.outcome)
        ));
        out.push_str("| Field | Before | Written | Restored |\n|---|---|---|---|\n");
        for f in &t.fields {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                code(&f.api_name),
                opt(&f.before),
                opt(&f.written),
                opt(&f.restored)
            ));
        }
        out.push_str(&format!(
            "\nWritten {}{}; restored: {}.\n\n",
            escape(&t.written_at),
            t.written_as
                .as_deref()
                .map(|u| format!(" as {}", escape(u)))
                .unwrap_or_default(),
            match (&t.restored_at, t.restored) {
                (Some(at), true) => format!("yes, {}", escape(at)),
                (_, true) => "yes".to_string(),
                (_, false) => "**no**".to_string(),
            }
        ));
    }

    out.push_str(&format!(
        "---\nSHA-256 of the canonical JSON: {}\n",
        code(&report.digest())
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_text_cannot_become_markdown() {
        assert_eq!(escape("**x** <b>"), "\\*\\*x\\*\\* \\<b\\>");
        assert_eq!(escape("a\n# b"), "a \\# b");
        assert_eq!(code("a`b"), "`ab`");
    }
}
