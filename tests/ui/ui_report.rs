//! The Report page driven by its accessible labels (egui_kittest): save in each format by a
//! typed path, copy the summary, redact, open a report file (integrity checked, no org needed),
//! and the changes since the last run of the same org.

use crate::common;

use common::step_until;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::path::PathBuf;
use std::sync::Arc;
use writeback_setup::report;
use writeback_setup::ui::worker::Connection;
use writeback_setup::ui::{App, Page};

fn app(scenario: &str, data_dir: Option<PathBuf>) -> App {
    let mut app = common::demo_app(scenario);
    app.report_state.data_dir = data_dir;
    app
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

fn checked(scenario: &str, data_dir: Option<PathBuf>) -> Harness<'static, App> {
    let mut h = harness(app(scenario, data_dir));
    common::connect_demo(&mut h);
    h.get_by_label("Report").click();
    h.run_steps(2);
    h
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wbs-ui-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn message(app: &App) -> Option<String> {
    app.report_state.message.as_ref().map(|(_, m)| m.clone())
}

fn save_to(h: &mut Harness<'_, App>, path: &std::path::Path) {
    h.state_mut().report_state.typed_path = path.display().to_string();
    h.run_steps(1);
    h.get_by_label("Save to this path").click();
    step_until(h, "the save", |a| {
        message(a).is_some_and(|m| m.starts_with("Saved to"))
    });
}

#[test]
fn saving_copying_and_redacting_the_report() {
    let dir = temp_dir("save");
    let mut h = checked("fresh", None);
    for label in [
        "Save as HTML…",
        "Save as PDF…",
        "Save as Markdown…",
        "Save as JSON…",
        "Copy summary",
        "Redact usernames, emails and record values",
        "Prepared by (your name)",
        "Open a report…",
    ] {
        h.get_by_label(label);
    }
    // A typed path (where no file dialog runs), typed as a user would.
    let json = dir.join("acme.json");
    let field = h.get_by_label("Path to save to");
    field.focus();
    field.type_text(&json.display().to_string());
    h.run_steps(2);
    h.get_by_label("Save to this path").click();
    step_until(&mut h, "the save", |a| {
        message(a).is_some_and(|m| m.starts_with("Saved to"))
    });
    h.get_by_label_contains("Saved to");
    let saved = report::read_verified(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(saved.org.name, "Acme Corp");
    assert_eq!(saved.run.logged_in_as, "admin@acme.example");
    let pdf = dir.join("acme.pdf");
    save_to(&mut h, &pdf);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));

    // An unknown extension is explained, nothing is written.
    h.state_mut().report_state.typed_path = dir.join("acme.docx").display().to_string();
    h.run_steps(1);
    h.get_by_label("Save to this path").click();
    h.run_steps(2);
    h.get_by_label_contains("End the file name in .html, .pdf, .md or .json");
    assert!(!dir.join("acme.docx").exists());

    // Redacted: no username anywhere in what is saved or copied.
    h.get_by_label("Redact usernames, emails and record values")
        .click();
    h.run_steps(2);
    assert!(h.state().report_state.redact);
    let md = dir.join("acme-redacted.md");
    save_to(&mut h, &md);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(!text.contains("acme.example"), "{text}");
    assert!(text.contains("Redacted"));
    h.get_by_label("Copy summary").click();
    h.step();
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 1, "one copy");
    assert!(copied[0].starts_with("# Write-back readiness: Acme Corp"));
    assert!(!copied[0].contains("acme.example"));
    h.run_steps(1);
    h.get_by_label("Summary copied (Markdown).");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_test_write_back_and_confirmations_go_into_the_saved_report() {
    let dir = temp_dir("evidence");
    let mut h = checked("ready", None);
    h.state_mut().report_state.test_write = Some(report::model::TestWrite {
        object: "Case".into(),
        record_id: "5005g00000AbCdEAAV".into(),
        record_name: Some("00001026".into()),
        written_as: Some("integration@acme.example".into()),
        fields: vec![report::model::FieldWrite {
            api_name: "Enterpret_Summary__c".into(),
            before: Some("Original summary".into()),
            written: Some("Write-back test".into()),
            restored: Some("Original summary".into()),
        }],
        written_at: "2026-11-21T10:01:02Z".into(),
        restored_at: Some("2026-11-21T10:01:04Z".into()),
        restored: true,
        write_ok: true,
        outcome: "Written and restored.".into(),
    });
    h.get_by_label("Prepared by (your name)");
    h.state_mut().report_state.prepared_by = "Dana".into();
    h.run_steps(2);
    let md = dir.join("evidence.md");
    save_to(&mut h, &md);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("## Test write-back evidence"), "{text}");
    assert!(text.contains(
        "| `Enterpret_Summary__c` | Original summary | Write-back test | Original summary |"
    ));
    assert!(text.contains("| Prepared by | Dana |"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn opening_a_report_needs_no_org_and_checks_integrity() {
    let dir = temp_dir("open");
    // The customer's side: save the JSON.
    let mut customer = checked("no-field-edit", None);
    let json = dir.join("customer.json");
    save_to(&mut customer, &json);
    let tampered = dir.join("tampered.json");
    let text = std::fs::read_to_string(&json).unwrap();
    std::fs::write(&tampered, text.replace("\"fail\"", "\"pass\"")).unwrap();

    // The CSM's side: not connected at all.
    let mut h = harness(app("ready", None));
    h.run_steps(2);
    h.state_mut().page = Page::Report;
    h.run_steps(2);
    h.get_by_label_contains("open a report someone sent you");
    h.state_mut().report_state.open_path = tampered.display().to_string();
    h.run_steps(1);
    h.get_by_label("Open this path").click();
    step_until(&mut h, "the refusal", |a| message(a).is_some());
    h.get_by_label_contains("was changed after it was made");
    assert!(h.state().report_state.opened.is_none());

    h.state_mut().report_state.open_path = json.display().to_string();
    h.run_steps(1);
    h.get_by_label("Open this path").click();
    step_until(&mut h, "the report", |a| a.report_state.opened.is_some());
    h.get_by_label_contains("Integrity checked: SHA-256");
    h.get_by_label_contains("Report from a file");
    h.get_by_label_contains("Not ready: some steps need work.");
    h.get_by_label_contains("Acme Corp (00D5g000004Qmn2EAC)");
    assert!(h.state().connection.is_none(), "no org connection needed");
    h.get_by_label_contains("Fix: In the integration's permission set");
    // The CSM saves the customer's report as PDF for the ticket: same content, same digest.
    let pdf = dir.join("for-the-ticket.pdf");
    save_to(&mut h, &pdf);
    let digest = h.state().report_state.opened.as_ref().unwrap().1.digest();
    let text = pdf_extract::extract_text_from_mem(&std::fs::read(&pdf).unwrap()).unwrap();
    assert!(text.contains(&digest), "the PDF carries the JSON's digest");
    h.get_by_label("Close this report").click();
    h.run_steps(2);
    assert!(h.state().report_state.opened.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn changes_since_the_last_run_of_the_same_org() {
    let dir = temp_dir("last-run");
    // Last time the org was ready; now a field permission is gone.
    let mut first = checked("ready", Some(dir.clone()));
    // The run is kept in the background.
    step_until(&mut first, "the kept run", |a| {
        a.report_state.data_dir.is_some()
            && !a.report_state.is_busy()
            && dir.join("last-runs/00D5g000004Qmn2EAC.json").exists()
    });
    drop(first);
    let stored = std::fs::read_dir(dir.join("last-runs")).unwrap().count();
    assert_eq!(stored, 1, "one file per org");
    let last = std::fs::read_to_string(dir.join("last-runs/00D5g000004Qmn2EAC.json")).unwrap();
    assert!(
        !last.to_lowercase().contains("token\":"),
        "no token field kept"
    );
    // The simulated org's tokens start with the org Id and "!": none is in the file.
    assert!(!last.contains("00D5g000004Qmn2!"), "no token value kept");

    let mut h = checked("no-field-edit", Some(dir.clone()));
    step_until(&mut h, "the previous run", |a| {
        a.report_state.previous.is_some()
    });
    h.get_by_label_contains("Changes since the last run");
    h.get_by_label_contains("Verdict: READY -> NOT READY");
    h.get_by_label_contains("user.field_access");
    let _ = std::fs::remove_dir_all(&dir);
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

/// The Report page with fixed content (no random port, a fixed time), for snapshot images.
fn fixed_report_page(scenario: &str, theme: egui::Theme) -> Harness<'static, App> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut check = runtime.block_on(async {
        let sim = common::start(scenario).await;
        let client = writeback_setup::salesforce::Client::connect(
            sim.url(),
            Arc::new(writeback_setup::salesforce::StaticToken::new(
                sim.admin_token(),
            )),
        )
        .await
        .unwrap();
        let request = writeback_setup::readiness::CheckRequest {
            profile: writeback_setup::profile::builtin("feedback-writeback").unwrap(),
            integration_user: Some("integration@acme.example".into()),
            record_id: None,
        };
        writeback_setup::readiness::run(&client, &request, &|_| {})
            .await
            .unwrap()
    });
    check.org.instance_url = "https://acme.my.salesforce.com".into();
    pin_usage(&mut check);
    let mut app = app(scenario, None);
    app.connection = Some(Connection {
        instance_url: "https://acme.my.salesforce.com".into(),
        username: "admin@acme.example".into(),
        display_name: "Ada Admin".into(),
        org_id: check.org.id.clone(),
        demo: Some(scenario.into()),
        integration_user_hint: Some("integration@acme.example".into()),
        kept: None,
        signs_out: false,
    });
    app.report = Some(check);
    app.report_state.checked_at = Some("2026-11-21T10:00:00Z".into());
    app.page = Page::Report;
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 860.0))
        .with_theme(theme)
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    h.run_steps(3);
    h
}

#[test]
fn snapshots_of_the_report_page() {
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, suffix) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
        let mut h = fixed_report_page("fresh", theme);
        h.snapshot(format!("report_fresh_{suffix}"));
        results.extend(h.take_snapshot_results());
    }
}
