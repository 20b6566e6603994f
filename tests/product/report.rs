//! The confirmation report: golden files per format on fixed scenarios (time injected), the PDF
//! parsed back, escaping of org text, redaction, integrity, diff, and the `report`,
//! `verify-report` and `diff` commands.
//!
//! `UPDATE_GOLDEN=1 cargo test --test report` rewrites `tests/golden/report/`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use writeback_setup::checks::CheckReport;
use writeback_setup::profile::{self, Profile};
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::report::model::{FieldWrite, TestWrite};
use writeback_setup::report::{self, Report, ReportContext, ReportFormat};
use writeback_setup::salesforce::{Client, StaticToken};
use writeback_setup::sim::scenario;

const NOW: &str = "2026-11-21T10:00:00Z";
/// The demo org's address varies by port; goldens show the org's real-looking My Domain URL.
const ORG_URL: &str = "https://acme.my.salesforce.com";

async fn check(name: &str) -> (CheckReport, Profile) {
    let sim = common::start(name).await;
    let scenario = scenario::load_builtin(name).unwrap();
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
        .await
        .expect("connects");
    let profile = profile::builtin(profile::DEFAULT_PROFILE).unwrap();
    let request = CheckRequest {
        profile: profile.clone(),
        integration_user: scenario.integration_user.clone(),
        record_id: None,
    };
    let mut check = readiness::run(&client, &request, &|_| {}).await.unwrap();
    check.org.instance_url = ORG_URL.to_string();
    pin_usage(&mut check);
    (check, profile)
}

/// Concurrent requests make the daily API usage the org reports vary by a call or two (the
/// Metadata API answers carry no `Sforce-Limit-Info`, so which answer is seen last matters):
/// pin it, and the numbers derived from it, for fixed files.
fn pin_usage(check: &mut writeback_setup::checks::CheckReport) {
    use writeback_setup::checks::{thousands, ApiUsageSummary};
    const USED: u64 = 1208;
    if let Some(usage) = check.org.api_usage {
        let swaps = [
            (
                format!("api-usage={}/", usage.used),
                format!("api-usage={USED}/"),
            ),
            (thousands(usage.used), thousands(USED)),
            (
                thousands(usage.max - usage.used),
                thousands(usage.max - USED),
            ),
        ];
        for f in check.checks.iter_mut() {
            for text in std::iter::once(&mut f.detail)
                .chain(std::iter::once(&mut f.title))
                .chain(f.evidence.iter_mut())
            {
                for (from, to) in &swaps {
                    *text = text.replace(from.as_str(), to);
                }
            }
        }
        check.org.api_usage = Some(ApiUsageSummary {
            used: USED,
            max: usage.max,
        });
    }
}

fn context() -> ReportContext {
    ReportContext {
        now: NOW.to_string(),
        app_version: "0.1.0".to_string(),
        ..ReportContext::default()
    }
}

async fn report_of(name: &str, context: &ReportContext) -> Report {
    let (check, profile) = check(name).await;
    Report::build(&check, &profile, context)
}

/// A test write-back as `TestWrite::from_run` records it, with fixed values and times.
fn test_write() -> TestWrite {
    TestWrite {
        object: "Case".into(),
        record_id: "5005g00000AbCdEAAV".into(),
        record_name: Some("00001026".into()),
        written_as: Some("integration@acme.example".into()),
        fields: vec![
            FieldWrite {
                api_name: "Enterpret_Summary__c".into(),
                before: Some("Customer cannot log in since Tuesday".into()),
                written: Some("Write-back test by writeback-setup".into()),
                restored: Some("Customer cannot log in since Tuesday".into()),
            },
            FieldWrite {
                api_name: "Enterpret_Sentiment__c".into(),
                before: None,
                written: Some("Negative".into()),
                restored: None,
            },
        ],
        written_at: "2026-11-21T10:01:02Z".into(),
        restored_at: Some("2026-11-21T10:01:04Z".into()),
        restored: true,
        write_ok: true,
        outcome: "Written and read back as the integration user, then restored.".into(),
    }
}

fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes).expect("the PDF parses back")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/report")
}

/// Compares `actual` with the golden file, or rewrites it under UPDATE_GOLDEN=1.
fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run UPDATE_GOLDEN=1 cargo test --test report",
            path.display()
        )
    });
    if expected != actual {
        let new = path.with_extension("new");
        std::fs::write(&new, actual).unwrap();
        panic!(
            "{name} differs from its golden file; the new output is in {} (UPDATE_GOLDEN=1 accepts it)",
            new.display()
        );
    }
}

fn all_formats(report: &Report) -> Vec<(ReportFormat, String)> {
    ReportFormat::ALL
        .into_iter()
        .map(|f| {
            let bytes = report::render(report, f).unwrap();
            let text = if f == ReportFormat::Pdf {
                pdf_text(&bytes)
            } else {
                String::from_utf8(bytes).unwrap()
            };
            (f, text)
        })
        .collect()
}

#[tokio::test]
async fn golden_files_for_each_format() {
    let mut with_test = context();
    with_test.test_write = Some(test_write());
    with_test.prepared_by = Some("Dana CSM".into());
    // The demo org's report says it is simulated; no test write was made: "not run".
    let mut simulated = context();
    simulated.simulated = true;
    let cases = [
        ("fresh", report_of("fresh", &simulated).await),
        ("ready-tested", report_of("ready", &with_test).await),
        ("hostile-text", report_of("hostile-text", &context()).await),
    ];
    for (name, r) in &cases {
        for (format, text) in all_formats(r) {
            let ext = match format {
                ReportFormat::Pdf => "pdf.txt",
                f => f.extension(),
            };
            golden(&format!("{name}.{ext}"), &text);
        }
    }
}

#[tokio::test]
async fn the_same_run_gives_the_same_files() {
    let a = report_of("fresh", &context()).await;
    let b = report_of("fresh", &context()).await;
    for format in ReportFormat::ALL {
        assert_eq!(
            report::render(&a, format).unwrap(),
            report::render(&b, format).unwrap(),
            "{format:?}"
        );
    }
}

#[tokio::test]
async fn the_pdf_reads_back_with_every_check_and_the_digest() {
    let mut ctx = context();
    ctx.test_write = Some(test_write());
    let r = report_of("fresh", &ctx).await;
    let bytes = report::render(&r, ReportFormat::Pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // Fonts are subset: the file stays small although DejaVu Sans is 750 KB.
    assert!(bytes.len() < 120_000, "PDF is {} bytes", bytes.len());
    let text = pdf_text(&bytes);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Write-back readiness: Acme Corp"), "{flat}");
    assert!(flat.contains("NOT READY"), "{flat}");
    assert!(flat.contains("My Domain acme"), "{flat}");
    for c in r.checks() {
        let title = c.title.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&title),
            "missing check title {title:?} in {flat}"
        );
    }
    for f in &r.profile.fields {
        assert!(flat.contains(&f.api_name), "missing field {}", f.api_name);
    }
    assert!(flat.contains("Test write-back evidence"));
    assert!(flat.contains("Customer cannot log in since Tuesday"));
    assert!(flat.contains(&r.digest()), "the digest is printed in full");
    assert!(flat.contains("page 1 of"), "page numbers in the footer");
    // Setup pages are clickable: a link annotation per fix.
    let raw = String::from_utf8_lossy(&bytes);
    for c in r.checks().filter(|c| c.fix.is_some()) {
        let url = c.setup_url.as_deref().unwrap();
        assert!(raw.contains(&format!("/URI ({url})")), "no link to {url}");
    }
}

#[tokio::test]
async fn characters_the_pdf_font_lacks_read_back_as_question_marks() {
    let (mut check, profile) = check("ready").await;
    check.org.name = "Acme 株式会社 Ünïcode Ωmega".into();
    let r = Report::build(&check, &profile, &context());
    let text = pdf_text(&report::render(&r, ReportFormat::Pdf).unwrap());
    assert!(text.contains("Acme ???? Ünïcode Ωmega"), "{text}");
    assert!(!text.contains('株'));
    let html = String::from_utf8(report::render(&r, ReportFormat::Html).unwrap()).unwrap();
    assert!(
        html.contains("Acme 株式会社 Ünïcode Ωmega"),
        "HTML shows every character"
    );
}

#[tokio::test]
async fn html_and_markdown_show_org_text_as_text() {
    let r = report_of("hostile-text", &context()).await;
    let html = String::from_utf8(report::render(&r, ReportFormat::Html).unwrap()).unwrap();
    for raw in ["<script>alert", "<img src", "<i>Integration", "<b>bold"] {
        assert!(!html.contains(raw), "raw markup {raw:?} in the HTML");
    }
    assert!(html.contains("Acme &lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt; **Corp**"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("href=\"javascript"), "no script links");
    // Self-contained: no request leaves the file.
    for external in ["<link", "<script", "src=\"http", "url(", "@import"] {
        assert!(!html.contains(external), "{external} in the HTML");
    }

    let md = String::from_utf8(report::render(&r, ReportFormat::Markdown).unwrap()).unwrap();
    assert!(md.starts_with(
        "# Write-back readiness: Acme \\<script\\>alert('org')\\</script\\> \\*\\*Corp\\*\\*\n"
    ));
    assert!(md.contains("\\<img src=x onerror=alert(1)\\> \\[click\\](javascript:alert(2)) \\# not a heading \\| \\`tick\\` \\*star\\*"));
    let unescaped = md
        .char_indices()
        .filter(|(i, c)| matches!(c, '<' | '>') && !md[..*i].ends_with('\\'))
        .count();
    assert_eq!(unescaped, 0, "every < and > from the org is escaped");
    // The permission set's label (granted_by) too.
    assert!(
        md.contains("Enterpret \\<i\\>Integration\\</i\\> \\| \\*\\*bold\\*\\*"),
        "{md}"
    );
}

#[tokio::test]
async fn redaction_hides_people_and_record_values_in_every_format() {
    let mut ctx = context();
    ctx.test_write = Some(test_write());
    ctx.prepared_by = Some("Dana CSM".into());
    // "candidates" only appear when no integration user was named.
    let (mut check, profile) = check("fresh").await;
    check.candidates = vec![
        "integration@acme.example".into(),
        "etl.user@acme.example".into(),
    ];
    let r = report::redact::redact(&Report::build(&check, &profile, &ctx));
    assert!(r.redacted);
    let secrets = [
        "admin@acme.example",
        "integration@acme.example",
        "etl.user@acme.example",
        "acme.example",
        "Customer cannot log in since Tuesday",
        "Write-back test by writeback-setup",
        "Negative",
        "00001026",
    ];
    for (format, text) in all_formats(&r) {
        for secret in secrets {
            assert!(!text.contains(secret), "{format:?} still shows {secret:?}");
        }
        // Markdown shows the brackets escaped.
        let text = text.replace("\\[", "[").replace("\\]", "]");
        assert!(text.contains("[user hidden]"), "{format:?}");
        assert!(text.contains("[value hidden]"), "{format:?}");
    }
    // What the admin needs stays: the org, the checks, the record Id, and who prepared the
    // report (they chose to sign it; redaction is about the org's people and data).
    let md = report::markdown::render(&r);
    assert!(md.contains("Dana CSM"), "{md}");
    assert!(md.contains("Acme Corp") && md.contains("5005g00000AbCdEAAV"));
    assert!(md.contains("No Read or Edit on Case"));
}

#[tokio::test]
async fn integrity_is_checked_and_tampering_detected() {
    let r = report_of("fresh", &context()).await;
    let json = report::to_json_file(&r);
    let read = report::read_verified(&json).expect("an untouched file verifies");
    assert_eq!(read.org.name, "Acme Corp");
    assert_eq!(read.digest(), r.digest());
    // Reformatting and reordering do not matter; content does.
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(report::read_verified(&serde_json::to_string(&value).unwrap()).is_ok());
    let tampered = json.replacen("\"status\": \"fail\"", "\"status\": \"pass\"", 1);
    assert_ne!(tampered, json);
    assert!(matches!(
        report::read_verified(&tampered),
        Err(report::ReportFileError::Tampered { .. })
    ));
    let mut unknown_member = value.clone();
    unknown_member["note"] = "added later".into();
    assert!(matches!(
        report::read_verified(&unknown_member.to_string()),
        Err(report::ReportFileError::Tampered { .. })
    ));
    let mut no_digest = value.clone();
    no_digest.as_object_mut().unwrap().remove("integrity");
    assert_eq!(
        report::read_verified(&no_digest.to_string()),
        Err(report::ReportFileError::NoDigest)
    );
    let mut newer = value.clone();
    newer["schema_version"] = 99.into();
    assert_eq!(
        report::read_verified(&newer.to_string()),
        Err(report::ReportFileError::NewerVersion(99))
    );
    assert!(matches!(
        report::read_verified("%PDF-1.7"),
        Err(report::ReportFileError::NotJson(_))
    ));
    assert_eq!(
        report::read_verified("{\"a\": 1}"),
        Err(report::ReportFileError::NotAReport)
    );
    // Every format prints the digest of the same content.
    for (format, text) in all_formats(&r) {
        assert!(text.contains(&r.digest()), "{format:?} lacks the digest");
    }
}

#[tokio::test]
async fn diff_lists_what_changed_between_runs() {
    let fresh = report_of("fresh", &context()).await;
    let ready = report_of("ready", &context()).await;
    let changes = report::diff::diff(&fresh, &ready);
    let lines: Vec<&str> = changes.iter().map(|c| c.line.as_str()).collect();
    assert!(lines.contains(&"Verdict: NOT READY -> READY"), "{lines:?}");
    assert!(
        lines.contains(&"fields.exist (All 3 fields exist on Case): fail -> ok"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("reauth.token")));
    assert!(report::diff::diff(&ready, &ready).is_empty());

    let mut sandbox = ready.clone();
    sandbox.org.environment = report::model::Environment::Sandbox;
    sandbox.org.id = "00D000000000001AAA".into();
    let lines: Vec<String> = report::diff::diff(&ready, &sandbox)
        .into_iter()
        .map(|c| c.line)
        .collect();
    assert!(lines.contains(&"Environment: production -> sandbox".to_string()));
    assert!(lines[0].starts_with("Org: Acme Corp"));
}

#[tokio::test]
async fn a_test_write_that_was_not_restored_is_an_open_item_for_the_admin() {
    let mut ctx = context();
    let mut t = test_write();
    t.restored = false;
    t.restored_at = None;
    ctx.test_write = Some(t);
    let r = report_of("ready", &ctx).await;
    let item = &r.open_items[0];
    assert_eq!(item.who, report::model::Actor::Admin);
    assert!(item.title.contains("was not restored"));
    assert!(report::markdown::render(&r).contains("restored: **no**"));
    // Without any test write, a ready org still has the CSM run it, besides the advisory
    // about its validation rule.
    let r = report_of("ready", &context()).await;
    let csm: Vec<_> = r
        .open_items
        .iter()
        .filter(|i| i.who == report::model::Actor::Csm)
        .collect();
    assert_eq!(csm.len(), 1, "{:?}", r.open_items);
    assert!(csm[0].title.contains("No test write-back yet"));
    assert!(r
        .open_items
        .iter()
        .all(|i| i.advisory || i.who == report::model::Actor::Csm));
}

#[tokio::test]
async fn a_refused_test_write_makes_a_ready_org_not_ready_with_the_reason() {
    let mut ctx = context();
    let mut t = test_write();
    t.write_ok = false;
    t.outcome = "Salesforce refused the write: Enterpret_Sentiment__c (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: bad value).".into();
    ctx.test_write = Some(t);
    let r = report_of("ready", &ctx).await;
    assert_eq!(r.verdict, writeback_setup::checks::Verdict::NotReady);
    assert!(
        r.verdict_text.contains("test write-back was refused"),
        "{}",
        r.verdict_text
    );
    let item = &r.open_items[0];
    assert_eq!(item.who, report::model::Actor::Admin);
    assert!(!item.advisory);
    assert!(
        item.action.contains("Enterpret_Sentiment__c"),
        "{}",
        item.action
    );
    // Files saved before `write_ok` existed read as a write that went through.
    let mut value: serde_json::Value = serde_json::to_value(&r).unwrap();
    value["test_write"]
        .as_object_mut()
        .unwrap()
        .remove("write_ok");
    let old: Report = serde_json::from_value(value).unwrap();
    assert!(old.test_write.unwrap().write_ok);
}

#[tokio::test]
async fn a_persons_confirmation_counts_and_is_shown_with_its_note() {
    let (mut check, profile) = check("ready").await;
    let field = check
        .checks
        .iter_mut()
        .find(|c| c.id == "user.field_access")
        .unwrap();
    field.status = writeback_setup::checks::Status::Unknown;
    let unconfirmed = Report::build(&check, &profile, &context());
    assert_eq!(
        unconfirmed.verdict,
        writeback_setup::checks::Verdict::Incomplete
    );
    assert_eq!(unconfirmed.open_items[0].who, report::model::Actor::Csm);
    let mut ctx = context();
    ctx.confirmations.insert(
        "user.field_access".into(),
        "Checked in Setup with Sam".into(),
    );
    let r = Report::build(&check, &profile, &ctx);
    // Ready because a person confirmed it: a verdict of its own.
    assert_eq!(
        r.verdict,
        writeback_setup::checks::Verdict::ReadyWithConfirmations
    );
    assert_eq!(r.manual_confirmations.len(), 1);
    let md = report::markdown::render(&r);
    assert!(
        md.contains("**READY, WITH MANUAL CONFIRMATIONS**: Ready, with 1 manual confirmation"),
        "{md}"
    );
    // A confirmation without a note does not count.
    let mut no_note = context();
    no_note
        .confirmations
        .insert("user.field_access".into(), "  ".into());
    assert_eq!(
        Report::build(&check, &profile, &no_note).verdict,
        writeback_setup::checks::Verdict::Incomplete
    );
    // Nor one about the integration user while none is chosen.
    let mut no_user = check.clone();
    no_user.integration_user = None;
    assert_eq!(
        Report::build(&no_user, &profile, &ctx).verdict,
        writeback_setup::checks::Verdict::Incomplete
    );
    assert!(md.contains("- **confirmed** "), "{md}");
    assert!(md.contains("Confirmed by a person: Checked in Setup with Sam"));
}

// --- the command line ---

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_writeback-setup"))
        .args(args)
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .output()
        .expect("the binary runs")
}

#[test]
fn the_command_line_marks_the_demo_org_and_counts_confirmations_with_notes() {
    // eca-settings-guarded: the app's settings cannot be read, so four checks are unknown.
    let plain = run(&[
        "check",
        "--demo",
        "eca-settings-guarded",
        "--format",
        "json",
    ]);
    assert_eq!(plain.status.code(), Some(3), "incomplete");
    let json: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(json["simulated"], true);
    assert_eq!(json["verdict"], "incomplete");
    let confirmed = run(&[
        "check",
        "--demo",
        "eca-settings-guarded",
        "--format",
        "json",
        "--confirm",
        "app.found=Seen in External Client App Manager",
        "--confirm",
        "app.scopes=OAuth settings show api",
        "--confirm",
        "app.policy=Admin-approved, set pre-authorized",
        "--confirm",
        "reauth.token=Connected Apps OAuth Usage shows today's login",
    ]);
    assert_eq!(
        confirmed.status.code(),
        Some(0),
        "ready, with confirmations"
    );
    let json: serde_json::Value = serde_json::from_slice(&confirmed.stdout).unwrap();
    assert_eq!(json["verdict"], "ready_with_confirmations");
    assert_eq!(json["manual_confirmations"].as_array().unwrap().len(), 4);
    let text = run(&["check", "--demo", "ready"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.starts_with("Acme Corp [SIMULATED ORG]"), "{stdout}");
    // A confirmation needs a note.
    let no_note = run(&["check", "--demo", "ready", "--confirm", "app.scopes="]);
    assert_eq!(no_note.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_note.stderr).contains("has no note"));
    // The report of the demo org says so.
    let md = run(&["report", "--demo", "fresh", "--format", "md", "--out", "-"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("(SIMULATED ORG)") && md.contains("## Test write-back: not run"),
        "{md}"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wbs-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn report_command_writes_each_format_and_verify_and_diff_read_them() {
    let dir = temp_dir("cli");
    for ext in ["html", "pdf", "md", "json"] {
        let out = dir.join(format!("fresh.{ext}"));
        let o = run(&["report", "--demo", "fresh", "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "not ready exits 1");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("NOT READY"), "{stderr}");
        assert!(out.exists(), "{ext} written");
    }
    let pdf = std::fs::read(dir.join("fresh.pdf")).unwrap();
    assert!(pdf_text(&pdf).contains("Write-back readiness: Acme Corp"));

    let ready = dir.join("ready.json");
    let o = run(&[
        "report",
        "--demo",
        "ready",
        "--format",
        "json",
        "--redact",
        "--out",
        ready.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = std::fs::read_to_string(&ready).unwrap();
    assert!(!text.contains("@acme.example"), "redacted");

    let o = run(&["verify-report", dir.join("fresh.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("OK: "));
    let tampered = dir.join("tampered.json");
    let original = std::fs::read_to_string(dir.join("fresh.json")).unwrap();
    std::fs::write(&tampered, original.replace("Acme Corp", "Acme Corq")).unwrap();
    let o = run(&["verify-report", tampered.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("was changed after it was made"));
    let o = run(&["verify-report", dir.join("fresh.pdf").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("open the .json file"));

    let o = run(&[
        "diff",
        dir.join("fresh.json").to_str().unwrap(),
        ready.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "changes exit 1");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Verdict: NOT READY -> READY"), "{out}");
    assert!(
        out.contains("app.scopes (The app has the api scope): fail -> ok"),
        "{out}"
    );
    let same = dir.join("fresh.json");
    let o = run(&["diff", same.to_str().unwrap(), same.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["diff", tampered.to_str().unwrap(), same.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "a tampered file is not compared");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_command_explains_bad_usage() {
    let o = run(&["report", "--demo", "ready", "--out", "report.docx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format html|pdf|md|json"));
    let o = run(&["report", "--demo", "ready", "--format", "md", "--out", "-"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("# Write-back readiness: Acme Corp"),
        "{out}"
    );
    assert!(out.contains("SHA-256 of the canonical JSON: `"));
    let o = run(&[
        "report",
        "--demo",
        "ready",
        "--out",
        "/nonexistent-dir/x/report.html",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Choose a folder you can write to"));
}

/// `report --out` writes only a regular file (or a new one): a special file, a folder or a
/// symlink to one is refused with exit 2 before the org is checked, and the special file stays
/// what it was. The special file is a named pipe of the test's own: were the refusal to regress,
/// the report would be renamed over that pipe, not over the machine's /dev/null.
#[cfg(unix)]
#[test]
fn report_refuses_a_device_a_folder_and_symlinks_to_them() {
    let dir = temp_dir("targets");
    let pipe = dir.join("pipe.json");
    assert!(Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap()
        .success());
    let to_device = dir.join("to-device.json");
    std::os::unix::fs::symlink("/dev/null", &to_device).unwrap();
    let to_folder = dir.join("to-folder.json");
    std::os::unix::fs::symlink(&dir, &to_folder).unwrap();
    let folder = dir.join("folder.json");
    std::fs::create_dir(&folder).unwrap();
    for out in [pipe.clone(), to_device.clone(), folder, to_folder] {
        let o = run(&[
            "report",
            "--demo",
            "ready",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {stderr}", out.display());
        assert!(
            !stderr.contains("READY"),
            "refused before checking: {stderr}"
        );
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&pipe).unwrap().file_type().is_fifo());
    assert!(std::fs::symlink_metadata(&to_device)
        .unwrap()
        .file_type()
        .is_symlink());
    let _ = std::fs::remove_dir_all(&dir);
}

/// verify-report and diff read at most `MAX_REPORT_FILE_BYTES`: a larger file (or a device that
/// never ends) is "unreadable", exit 2, without reading it all.
#[test]
fn verify_report_and_diff_refuse_a_file_past_the_size_limit() {
    let dir = temp_dir("size");
    let big = dir.join("big.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(writeback_setup::report::MAX_REPORT_FILE_BYTES + 1)
        .unwrap();
    let o = run(&["verify-report", big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("larger than 32 MiB"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["diff", big.to_str().unwrap(), big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // A real report padded with trailing whitespace to exactly the limit still verifies.
    let at_limit = dir.join("at-limit.json");
    let o = run(&[
        "report",
        "--demo",
        "ready",
        "--format",
        "json",
        "--out",
        at_limit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let mut text = std::fs::read_to_string(&at_limit).unwrap();
    let limit = writeback_setup::report::MAX_REPORT_FILE_BYTES as usize;
    text.push_str(&" ".repeat(limit - text.len()));
    std::fs::write(&at_limit, &text).unwrap();
    let o = run(&["verify-report", at_limit.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    text.push(' ');
    std::fs::write(&at_limit, &text).unwrap();
    let o = run(&["verify-report", at_limit.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    #[cfg(unix)]
    {
        let o = run(&["verify-report", "/dev/zero"]);
        assert_eq!(o.status.code(), Some(2));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A record value that is also a word of the report's own structure ("test" in `test_write`,
/// "fail" in a status) hides the value, never the structure: the redacted report stays whole
/// and shows no username.
#[tokio::test]
async fn redaction_survives_record_values_that_are_structural_words() {
    let mut ctx = context();
    let mut write = test_write();
    for (f, value) in write.fields.iter_mut().zip(["test", "fail", "admin"]) {
        f.before = Some(value.to_string());
    }
    ctx.test_write = Some(write);
    let (check, profile) = check("fresh").await;
    let r = report::redact::redact(&Report::build(&check, &profile, &ctx));
    assert!(r.redacted);
    assert!(r.test_write.is_some(), "the test write-back is still there");
    assert_eq!(r.schema, Report::build(&check, &profile, &ctx).schema);
    for (format, text) in all_formats(&r) {
        assert!(!text.contains("admin@acme.example"), "{format:?}");
        assert!(!text.contains("integration@acme.example"), "{format:?}");
    }
}
