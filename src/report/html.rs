//! The report as one self-contained HTML file: inline CSS, no scripts, no external requests,
//! laid out for the screen and for print. Every text from the org is escaped.

use super::model::{status_word, verdict_word, Report};
use crate::checks::{Status, Verdict};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ok: #1b7f3b; --warn: #9a6700; --fail: #c62828; --unknown: #5b5f97; --muted: #5f6368; --line: #d9dce1; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; color: #1f2328; margin: 0; background: #f6f7f9; }
main { max-width: 920px; margin: 24px auto; background: #fff; padding: 32px 40px; border: 1px solid var(--line); border-radius: 8px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); display: flex; gap: 10px; align-items: center; }
.sub { color: var(--muted); margin: 0 0 16px; }
.verdict { padding: 12px 16px; border-radius: 6px; font-size: 16px; margin: 16px 0 20px; border-left: 6px solid; }
.verdict strong { margin-right: 8px; }
.verdict.ready { background: #e8f5ec; border-color: var(--ok); }
.verdict.not_ready { background: #fdecea; border-color: var(--fail); }
.verdict.incomplete { background: #eeeff8; border-color: var(--unknown); }
.simulated { background: #fff3e0; border: 2px solid #e08a00; padding: 8px 12px; border-radius: 4px; font-weight: bold; }
.redacted { background: #fff8e1; border: 1px solid #f0d58c; padding: 6px 10px; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { font-weight: 600; color: var(--muted); }
table.facts th { width: 170px; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; background: #f1f3f5; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
.chip { display: inline-block; min-width: 74px; text-align: center; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; padding: 2px 6px; border-radius: 10px; color: #fff; }
.chip.pass, .chip.confirmed { background: var(--ok); }
.chip.warn { background: var(--warn); }
.chip.fail { background: var(--fail); }
.chip.unknown { background: var(--unknown); }
.chip.skipped { background: #8c959f; }
.check { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; break-inside: avoid; page-break-inside: avoid; }
.check .head { display: flex; gap: 10px; align-items: baseline; }
.check .title { font-weight: 600; flex: 1; }
.check .id { color: var(--muted); font-size: 12px; }
.check dl { margin: 6px 0 0 84px; display: grid; grid-template-columns: 110px 1fr; gap: 2px 10px; }
.check dt { color: var(--muted); }
.check dd { margin: 0; overflow-wrap: anywhere; }
.check ul { margin: 0; padding-left: 18px; }
.items li { margin: 4px 0; }
.who { font-weight: 700; }
footer { margin-top: 32px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
@media print {
  @page { size: A4; margin: 16mm 14mm; }
  body { background: #fff; font-size: 11pt; }
  main { margin: 0; padding: 0; border: 0; max-width: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, li { break-inside: avoid; page-break-inside: avoid; }
  .chip, .verdict, code { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"#;

fn status_class(status: Status, confirmed: bool) -> &'static str {
    if status == Status::Unknown && confirmed {
        "confirmed"
    } else {
        match status {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
        }
    }
}

/// A step's chip: a check's, or "not run" for a test write-back not made.
fn step_chip(status: super::model::StepStatus) -> String {
    match status.as_status() {
        Some(status) => chip(status, false),
        None => "<span class=\"chip skipped\">not run</span>".to_string(),
    }
}

fn chip(status: Status, confirmed: bool) -> String {
    format!(
        r#"<span class="chip {}">{}</span>"#,
        status_class(status, confirmed),
        status_word(status, confirmed)
    )
}

/// A link only for web addresses; anything else (e.g. `javascript:`) is shown as text.
fn link(url: &str) -> String {
    if super::model::is_web_url(url) {
        format!(r#"<a href="{0}">{0}</a>"#, escape(url))
    } else {
        escape(url)
    }
}

fn opt(text: &Option<String>) -> String {
    text.as_deref()
        .map(escape)
        .unwrap_or_else(|| "<em>(none)</em>".into())
}

#[allow(clippy::too_many_lines)] // the report top to bottom, one section after another
pub fn render(report: &Report) -> String {
    let org = &report.org;
    let run = &report.run;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No network at all: a CSP for readers that open the file in a browser.
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str(&format!("<title>{}</title>\n", escape(&report.title)));
    h.push_str(&format!(
        "<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    ));
    h.push_str(&format!("<h1>{}</h1>\n", escape(&report.title)));
    h.push_str(&format!(
        "<p class=\"sub\">Made {} by writeback-setup {}</p>\n",
        escape(&report.generated_at),
        escape(&report.app_version)
    ));
    let verdict_class = match report.verdict {
        Verdict::Ready => "ready",
        Verdict::ReadyWithConfirmations => "ready confirmed",
        Verdict::NotReady => "not_ready",
        Verdict::Incomplete => "incomplete",
    };
    h.push_str(&format!(
        "<div class=\"verdict {verdict_class}\"><strong>{}</strong>{}</div>\n",
        verdict_word(report.verdict),
        escape(&report.verdict_text)
    ));
    if report.simulated {
        h.push_str(&format!(
            "<p class=\"simulated\">{}</p>\n",
            escape(super::SIMULATED_NOTE)
        ));
    }
    if report.redacted {
        h.push_str(
            "<p class=\"redacted\">Redacted: usernames, emails and record values are hidden.</p>\n",
        );
    }

    h.push_str("<table class=\"facts\">\n");
    let mut fact = |k: &str, v: String| h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    fact(
        "Org",
        format!("{} <code>{}</code>", escape(&org.name), escape(&org.id)),
    );
    fact(
        "Edition",
        format!("{}, {}", escape(&org.edition), org.environment.word()),
    );
    fact(
        "Instance",
        format!(
            "{} &middot; {}{}",
            escape(&org.instance),
            escape(&org.instance_url),
            org.my_domain
                .as_deref()
                .map(|d| format!(" &middot; My Domain <code>{}</code>", escape(d)))
                .unwrap_or_default()
        ),
    );
    fact("Checked as", escape(&run.logged_in_as));
    fact("Integration user", opt(&run.integration_user));
    if let Some(p) = &run.prepared_by {
        fact("Prepared by", escape(p));
    }
    fact(
        "Profile",
        format!(
            "{} <code>{}</code>, on {}",
            escape(&report.profile.title),
            escape(&report.profile.id),
            escape(&report.profile.object)
        ),
    );
    let usage = run
        .org_api_usage
        .map(|u| format!("; org API use today {} of {}", u.used, u.max))
        .unwrap_or_default();
    fact(
        "API",
        format!(
            "version {}, {} API calls in {} requests{usage}",
            escape(&run.api_version),
            run.api_calls,
            run.round_trips
        ),
    );
    if !run.candidates.is_empty() {
        let names: Vec<String> = run.candidates.iter().map(|c| escape(c)).collect();
        fact("Possible integration users", names.join(", "));
    }
    h.push_str("</table>\n");

    if !report.open_items.is_empty() {
        h.push_str("<h2>Open items</h2>\n<ul class=\"items\">\n");
        for item in &report.open_items {
            h.push_str(&format!(
                "<li><span class=\"who\">{}{}:</span> {}</li>\n",
                item.who.label(),
                if item.advisory { " (advice)" } else { "" },
                escape(&report.open_item_text(item))
            ));
        }
        h.push_str("</ul>\n");
    }

    h.push_str(&format!(
        "<h2>Fields on {}</h2>\n<table>\n<tr><th>Field</th><th>API name</th><th>Type</th></tr>\n",
        escape(&report.profile.object)
    ));
    for f in &report.profile.fields {
        h.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}{}</td></tr>\n",
            escape(&f.label),
            escape(&f.api_name),
            escape(&f.type_label),
            f.length.map(|l| format!(" ({l})")).unwrap_or_default()
        ));
    }
    h.push_str("</table>\n");

    for step in &report.steps {
        h.push_str(&format!(
            "<h2>{} {}</h2>\n",
            step_chip(step.status),
            escape(&step.title)
        ));
        for c in &step.checks {
            h.push_str("<div class=\"check\">\n<div class=\"head\">");
            h.push_str(&chip(c.status, c.confirmed.is_some()));
            h.push_str(&format!(
                "<span class=\"title\">{}</span><span class=\"id\">{}</span></div>\n",
                escape(&c.title),
                escape(&c.id)
            ));
            let mut rows = String::new();
            if c.status != Status::Pass && !c.seen.is_empty() {
                rows.push_str(&format!("<dt>Seen</dt><dd>{}</dd>", escape(&c.seen)));
            }
            if !c.granted_by.is_empty() {
                let grants: Vec<String> = c.granted_by.iter().map(|g| escape(g)).collect();
                rows.push_str(&format!(
                    "<dt>Granted by</dt><dd>{}</dd>",
                    grants.join("<br>")
                ));
            }
            if let Some(fix) = &c.fix {
                rows.push_str(&format!("<dt>Fix</dt><dd>{}</dd>", escape(fix)));
            }
            if let Some(url) = c.setup_url.as_ref().filter(|_| c.fix.is_some()) {
                rows.push_str(&format!("<dt>Setup</dt><dd>{}</dd>", link(url)));
            }
            if let Some(m) = &c.confirmed {
                rows.push_str(&format!(
                    "<dt>Confirmed</dt><dd>by a person: {}</dd>",
                    escape(&m.note)
                ));
            }
            if c.status != Status::Pass && !c.evidence.is_empty() {
                let lines: Vec<String> = c
                    .evidence
                    .iter()
                    .map(|e| format!("<li>{}</li>", escape(e)))
                    .collect();
                rows.push_str(&format!(
                    "<dt>Evidence</dt><dd><ul>{}</ul></dd>",
                    lines.concat()
                ));
            }
            if !rows.is_empty() {
                h.push_str(&format!("<dl>{rows}</dl>\n"));
            }
            h.push_str("</div>\n");
        }
    }

    if !report.manual_confirmations.is_empty() {
        h.push_str("<h2>Confirmed by a person</h2>\n<ul class=\"items\">\n");
        for m in &report.manual_confirmations {
            h.push_str(&format!(
                "<li>{} <code>{}</code>: {}</li>\n",
                escape(&m.title),
                escape(&m.check_id),
                if m.note.is_empty() {
                    "<em>(no note)</em>".to_string()
                } else {
                    escape(&m.note)
                }
            ));
        }
        h.push_str("</ul>\n");
    }

    if let Some(t) = &report.test_write {
        h.push_str("<h2>Test write-back evidence</h2>\n");
        h.push_str(&format!(
            "<p>{} <code>{}</code>{}: {}</p>\n",
            escape(&t.object),
            escape(&t.record_id),
            t.record_name
                .as_deref()
                .map(|n| format!(" ({})", escape(n)))
                .unwrap_or_default(),
            escape(&t.outcome)
        ));
        h.push_str(
            "<table>\n<tr><th>Field</th><th>Before</th><th>Written</th><th>Restored</th></tr>\n",
        );
        for f in &t.fields {
            h.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&f.api_name),
                opt(&f.before),
                opt(&f.written),
                opt(&f.restored)
            ));
        }
        h.push_str("</table>\n");
        h.push_str(&format!(
            "<p>Written {}{}. Restored: {}.</p>\n",
            escape(&t.written_at),
            t.written_as
                .as_deref()
                .map(|u| format!(" as {}", escape(u)))
                .unwrap_or_default(),
            match (&t.restored_at, t.restored) {
                (Some(at), true) => format!("yes, {}", escape(at)),
                (_, true) => "yes".to_string(),
                (_, false) => "<strong>no</strong>".to_string(),
            }
        ));
    }

    h.push_str(&format!(
        "<footer>SHA-256 of the canonical JSON: <code>{}</code><br>Check a JSON copy with <code>writeback-setup verify-report FILE.json</code>.</footer>\n",
        escape(&report.digest())
    ));
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_refuses_script_links() {
        assert_eq!(
            escape("<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        assert_eq!(link("javascript:alert(1)"), "javascript:alert(1)");
        assert!(link("https://a.my.salesforce.com/x?a=1&b=2").contains("a=1&amp;b=2"));
    }
}
