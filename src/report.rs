//! Renderings of a check report that leave the app. (HTML, PDF and JSON files come with the
//! report issue; Markdown serves `check --format md` and the app's "Copy summary".)

use crate::checks::{CheckReport, Finding, Status, Step, Verdict};

/// One line saying where the org stands.
pub fn verdict_line(report: &CheckReport) -> String {
    match report.verdict {
        Verdict::Ready => "READY: the org is set up for the write-back.".to_string(),
        Verdict::NotReady => {
            let n = report
                .checks
                .iter()
                .filter(|c| c.status == Status::Fail)
                .count();
            format!(
                "NOT READY: {n} check{} failed. Fix them in order, then run the check again.",
                if n == 1 { "" } else { "s" }
            )
        }
        Verdict::Incomplete => {
            "INCOMPLETE: some checks could not run; see the ?? lines.".to_string()
        }
    }
}

/// Findings grouped by step, in order.
pub fn steps(report: &CheckReport) -> Vec<(Step, Vec<&Finding>)> {
    let mut out: Vec<(Step, Vec<&Finding>)> = Vec::new();
    for f in &report.checks {
        match out.last_mut() {
            Some((step, list)) if *step == f.step => list.push(f),
            _ => out.push((f.step, vec![f])),
        }
    }
    out
}

/// Markdown escaping for text that comes from the org.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The report as Markdown, for tickets and chat (org text escaped).
pub fn markdown(report: &CheckReport) -> String {
    let org = &report.org;
    let mut out = format!(
        "# Write-back readiness: {}\n\n**{}**\n\n- Org: {} ({}, {}), {}\n- Profile: {}\n- Integration user: {}\n\n",
        md(&org.name),
        md(&verdict_line(report)),
        md(&org.name),
        md(&org.edition),
        if org.is_sandbox { "sandbox" } else { "production" },
        md(&org.instance_url),
        md(&report.profile),
        md(report.integration_user.as_deref().unwrap_or("(not chosen)")),
    );
    for (step, findings) in steps(report) {
        out.push_str(&format!("## {}\n\n", step.title()));
        for f in findings {
            out.push_str(&format!(
                "- **{}** {} (`{}`)\n",
                f.status.word(),
                md(&f.title),
                f.id
            ));
            if f.status != Status::Pass && !f.detail.is_empty() {
                out.push_str(&format!("  - {}\n", md(&f.detail)));
            }
            if let Some(fix) = f.fix.as_ref().filter(|_| f.status != Status::Pass) {
                out.push_str(&format!("  - Fix: {}\n", md(fix)));
            }
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "_{} API calls in {} requests._\n",
        report.api_calls, report.round_trips
    ));
    out
}
