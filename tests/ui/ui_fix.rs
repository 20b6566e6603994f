//! The app's write actions driven by accessible labels (egui_kittest) against the simulated org:
//! the fix preview and confirmation, Verify-only mode, and the Test write-back page.

use crate::common;

use common::step_until;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use writeback_setup::checks::{Status, Step};
use writeback_setup::testwrite::FieldFate;
use writeback_setup::ui::{App, Page};

fn connected(scenario: &str) -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 1400.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), common::demo_app(scenario));
    common::connect_demo(&mut h);
    h
}

#[test]
fn fixes_are_previewed_confirmed_applied_and_rechecked() {
    let mut h = connected("fresh");
    h.get_by_label("1 Create the fields").click();
    h.run_steps(2);
    h.get_by_label("Preview the fixes…").click();
    step_until(&mut h, "the plan", |a| a.writes.plan.is_some());
    h.get_by_label("The app would make 9 changes (in this order):");
    h.get_by_label_contains("Create the field Enterpret Summary (Enterpret_Summary__c)");
    h.get_by_label("API call 1").click();
    h.run_steps(2);
    h.get_by_label_contains("POST /services/data/v66.0/tooling/sobjects/CustomField");
    h.get_by_label("Open in Setup: The app lacks the api scope");
    // Nothing is written before the confirmation.
    h.get_by_label("Apply 9 changes…").click();
    h.run_steps(2);
    assert!(h.state().writes.results.is_empty());
    h.get_by_label_contains("This changes Acme Corp (demo org): 9 changes.");
    h.get_by_label("Apply the changes").click();
    step_until(&mut h, "the changes and the re-check", |a| {
        a.writes.busy.is_none()
            && a.writes.plan.is_none()
            && !a.is_running()
            && a.checks_status(Step::Fields) == Some(Status::Pass)
    });
    let app = h.state();
    assert_eq!(app.writes.results.len(), 9);
    assert!(app.writes.results.iter().all(|r| r.outcome.ok()));
    assert_eq!(app.checks_status(Step::Access), Some(Status::Pass));
    assert_eq!(
        app.checks_status(Step::App),
        Some(Status::Fail),
        "left for the admin"
    );
    h.get_by_label("OK Create the field Enterpret Summary (Enterpret_Summary__c) on Case: Long Text Area, 32,768 characters — done");
    h.get_by_label_contains("stay: deleting a field deletes its data");
    // Undo what the app created.
    h.get_by_label("Undo what the app created").click();
    step_until(&mut h, "the undo", |a| {
        !a.writes.undo_results.is_empty()
            && !a.is_running()
            && a.writes.busy.is_none()
            && a.checks_status(Step::Access) == Some(Status::Fail)
    });
    assert_eq!(
        h.state().checks_status(Step::Fields),
        Some(Status::Pass),
        "fields stay"
    );
}

#[test]
fn cancelling_the_confirmation_changes_nothing() {
    let mut h = connected("fresh");
    h.get_by_label("3 Integration user access").click();
    h.run_steps(2);
    h.get_by_label("Preview the fixes…").click();
    step_until(&mut h, "the plan", |a| a.writes.plan.is_some());
    // The same plan as Salesforce DX source, without changing the org.
    let out =
        std::env::temp_dir().join(format!("writeback-setup-ui-export-{}", std::process::id()));
    h.state_mut().writes.export_dir = out.display().to_string();
    h.run_steps(1);
    h.get_by_label("Export metadata").click();
    step_until(&mut h, "the export", |a| a.writes.export_message.is_some());
    h.get_by_label_contains("Wrote 6 files to");
    assert!(out.join("package.xml").is_file());
    assert!(out
        .join("force-app/main/default/permissionsets/Enterpret_Integration.permissionset-meta.xml")
        .is_file());
    h.get_by_label("Apply 9 changes…").click();
    h.run_steps(2);
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(!h.state().writes.confirm_fix);
    assert!(h.query_by_label("Apply the changes").is_none());
    assert!(h.state().writes.results.is_empty());
    // Checked again, live: nothing was created.
    h.state_mut().run_checks(None);
    step_until(&mut h, "the re-check", |a| !a.is_running());
    assert_eq!(h.state().checks_status(Step::Fields), Some(Status::Fail));
}

#[test]
fn verify_only_mode_hides_fixes_and_the_test_write() {
    let mut h = connected("fresh");
    h.get_by_label("Verify only (CSM)").click();
    h.get_by_label("1 Create the fields").click();
    h.run_steps(2);
    assert!(h.query_by_label("Preview the fixes…").is_none());
    h.state_mut().page = Page::Step(Step::TestWrite);
    h.run_steps(2);
    assert!(h.query_by_label("Preflight").is_none());
    h.get_by_label_contains("Verify-only mode: the app writes nothing");
}

#[test]
fn the_test_write_page_shows_before_written_and_restored() {
    let mut h = connected("ready");
    h.get_by_label("Test write-back").click();
    h.run_steps(2);
    h.get_by_label("Recent Cases").click();
    step_until(&mut h, "recent records", |a| !a.writes.recent.is_empty());
    h.get_by_label_contains("Cannot log in with SSO").click();
    h.run_steps(2);
    h.get_by_label("Preflight").click();
    step_until(&mut h, "the preflight", |a| a.writes.preflight.is_some());
    h.get_by_label_contains("Preflight: Case 00001001: Cannot log in with SSO");
    h.get_by_label("The record is not locked.");
    h.get_by_label("Test value");
    h.get_by_label_contains("true end-to-end test needs you to log in as integration@acme.example");
    h.get_by_label("Dry run (rolled back)").click();
    step_until(&mut h, "the dry run", |a| a.writes.dry_run.is_some());
    h.get_by_label("Dry run: the update would succeed (nothing was changed).");
    h.get_by_label("Write test values…").click();
    h.run_steps(2);
    assert!(
        h.state().writes.report.is_none(),
        "nothing written before the confirmation"
    );
    h.get_by_label("Write and restore").click();
    step_until(&mut h, "the test write", |a| a.writes.report.is_some());
    h.get_by_label(
        "The write-back works: every value was written, read back, and the record is restored.",
    );
    for title in ["Before", "Written", "Restored"] {
        h.get_by_label(title);
    }
    // "Neutral" shows as the preflight's test value and as the written value.
    assert_eq!(h.query_all_by_label("Neutral").count(), 2);
    let report = h.state().writes.report.clone().unwrap();
    assert!(report.rows.iter().all(|r| r.fate == FieldFate::Restored));
    // The confirmation report carries the evidence, side by side.
    let evidence = h.state().report_state.test_write.clone().unwrap();
    assert_eq!(evidence.object, "Case");
    assert!(evidence.restored);
    let sentiment = evidence
        .fields
        .iter()
        .find(|f| f.api_name == "Enterpret_Sentiment__c")
        .unwrap();
    assert_eq!(sentiment.written.as_deref(), Some("Neutral"));
    assert_eq!(sentiment.restored, sentiment.before);
    h.get_by_label("Report").click();
    h.run_steps(3);
    h.get_by_label_contains("then restored: the record is as it was.");
}

#[test]
fn a_blocked_test_write_names_the_field_on_the_page() {
    let mut h = connected("restricted-picklist");
    h.state_mut().page = Page::Step(Step::TestWrite);
    h.run_steps(2);
    let input = h.get_by_label("Case to test on");
    input.click();
    input.type_text("1001");
    h.run_steps(2);
    h.get_by_label("Preflight").click();
    step_until(&mut h, "the preflight", |a| a.writes.preflight.is_some());
    h.get_by_label("Write test values…").click();
    h.run_steps(2);
    h.get_by_label("Write and restore").click();
    step_until(&mut h, "the test write", |a| a.writes.report.is_some());
    h.get_by_label("The write was refused.");
    // Said by the preflight before writing, and in the result.
    assert_eq!(
        h.query_all_by_label_contains(
            "Enterpret_Sentiment__c is a restricted picklist without the value 'Neutral'",
        )
        .count(),
        2
    );
    h.get_by_label("Not sent: Salesforce would answer INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    h.get_by_label("Every field the test touched is back as it was.");
    let evidence = h.state().report_state.test_write.clone().unwrap();
    assert!(
        evidence.outcome.contains("Enterpret_Sentiment__c"),
        "{}",
        evidence.outcome
    );
}

#[test]
fn the_preflight_warns_when_the_integration_user_would_still_fail() {
    let mut h = connected("no-field-edit");
    h.state_mut().page = Page::Step(Step::TestWrite);
    h.state_mut().writes.record_input = "5005g00000AbCdE".into();
    h.run_steps(2);
    h.get_by_label("Preflight").click();
    step_until(&mut h, "the preflight", |a| a.writes.preflight.is_some());
    h.get_by_label_contains("the integration user's writes fail until step 3 is fixed");
}
