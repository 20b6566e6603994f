//! Step statuses mean what they say, and manual confirmations give a verdict of their own: the
//! app's rules, driven through its widgets (egui_kittest) against the simulated org.

use crate::common;

use common::step_until;
use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use writeback_setup::checks::{FindingId, Status, Step, Verdict};
use writeback_setup::report::model::StepStatus;
use writeback_setup::ui::{App, Page};

fn connected(scenario: &str) -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), common::demo_app(scenario));
    common::connect_demo(&mut h);
    h
}

/// Picks the first recent Case, preflights it and writes the test values.
fn test_write(h: &mut Harness<'static, App>) {
    h.state_mut().page = Page::Step(Step::TestWrite);
    h.run_steps(2);
    let input = h.get_by_label("Case to test on");
    input.click();
    input.type_text("1001");
    h.run_steps(2);
    h.get_by_label("Preflight").click();
    step_until(h, "the preflight", |a| a.writes.preflight.is_some());
    h.get_by_label("Write test values…").click();
    h.run_steps(2);
    h.get_by_label("Write and restore").click();
    step_until(h, "the test write", |a| a.writes.report.is_some());
}

#[test]
fn the_test_write_back_is_not_run_until_a_test_write_succeeds() {
    let mut h = connected("ready");
    // Ready's closed-Case validation rule is a warning of the automation scan: shown on the
    // page, but the step is not run.
    assert_eq!(h.state().checks_status(Step::TestWrite), Some(Status::Warn));
    assert_eq!(
        h.state().step_status(Step::TestWrite),
        Some(StepStatus::NotRun)
    );
    h.get_by_label("not run");
    test_write(&mut h);
    assert_eq!(
        h.state().step_status(Step::TestWrite),
        Some(StepStatus::Pass)
    );
    // When and on which record, by the number people know it by (the Case number read by the
    // preflight), not its Id.
    let number = h
        .state()
        .writes
        .preflight
        .as_ref()
        .and_then(|p| p.record_name.clone())
        .expect("the preflight reads the Case number");
    assert!(number.ends_with("1001"), "{number}");
    h.get_by_label_contains(&format!("Written and restored on Case {number} at 20"));
    // The report's step follows the same rule.
    let report = h.state().current_report().unwrap();
    let step = report
        .steps
        .iter()
        .find(|s| s.step == Step::TestWrite)
        .unwrap();
    assert_eq!(step.status, StepStatus::Pass);
}

#[test]
fn a_refused_test_write_makes_the_step_fix_and_the_org_not_ready() {
    let mut h = connected("restricted-picklist");
    test_write(&mut h);
    assert_eq!(
        h.state().step_status(Step::TestWrite),
        Some(StepStatus::Fail)
    );
    assert_eq!(h.state().verdict(), Some(Verdict::NotReady));
    let report = h.state().current_report().unwrap();
    let step = report
        .steps
        .iter()
        .find(|s| s.step == Step::TestWrite)
        .unwrap();
    assert_eq!(step.status, StepStatus::Fail);
    assert_eq!(report.verdict, Verdict::NotReady);
}

#[test]
fn the_report_row_is_not_a_check() {
    let h = connected("fresh");
    assert_eq!(h.state().verdict(), Some(Verdict::NotReady));
    // On the Connect page, the checklist's four failing steps say "fix" (its own findings
    // pass); the Report row, whose verdict is not ready, adds no fifth.
    assert_eq!(h.state().page, Page::Step(Step::Connect));
    assert_eq!(h.get_all_by_label("fix").count(), 4);
    h.get_by_label("not run");
}

/// The "ready" org with two checks the app could not verify: the app's scopes and the
/// integration user's field access.
fn with_unknowns(integration_user: bool) -> Harness<'static, App> {
    let mut h = connected("ready");
    let report = h.state_mut().report.as_mut().unwrap();
    for finding in report.checks.iter_mut() {
        if finding.id == FindingId::AppScopes || finding.id == FindingId::UserFieldAccess {
            finding.status = Status::Unknown;
        }
    }
    if !integration_user {
        report.integration_user = None;
    }
    h.run_steps(2);
    h
}

fn confirm(h: &mut Harness<'static, App>, page: Step, title: &str, note: &str) {
    h.state_mut().page = Page::Step(page);
    h.run_steps(2);
    if !note.is_empty() {
        let label = format!("What you saw: {title}");
        let field = h.get_by_label(&label);
        field.click();
        field.type_text(note);
        h.run_steps(2);
    }
    h.get_by_label(&format!("Confirm manually: {title}"))
        .click();
    h.run_steps(2);
}

#[test]
fn a_confirmation_needs_a_note() {
    let mut h = with_unknowns(true);
    assert_eq!(h.state().verdict(), Some(Verdict::Incomplete));
    let title = h
        .state()
        .report
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .find(|f| f.id == FindingId::AppScopes)
        .unwrap()
        .title
        .clone();
    // Without a note the box cannot be ticked, and nothing counts.
    confirm(&mut h, Step::App, &title, "");
    assert_eq!(h.state().counted_confirmations(), 0);
    assert_eq!(h.state().verdict(), Some(Verdict::Incomplete));
    // With a note it counts.
    confirm(&mut h, Step::App, &title, "App Manager shows api");
    assert_eq!(h.state().counted_confirmations(), 1);
    assert_eq!(h.state().verdict(), Some(Verdict::Incomplete), "one left");
}

#[test]
fn manual_confirmations_give_their_own_verdict_everywhere() {
    let mut h = with_unknowns(true);
    let titles: Vec<(Step, String)> = h
        .state()
        .report
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .filter(|f| f.status == Status::Unknown)
        .map(|f| (f.step, f.title.clone()))
        .collect();
    assert_eq!(titles.len(), 2);
    for (step, title) in &titles {
        confirm(&mut h, *step, title, "seen in Setup with the admin");
    }
    assert_eq!(h.state().verdict(), Some(Verdict::ReadyWithConfirmations));
    h.get_by_label_contains("Ready, with 2 manual confirmations");
    let report = h.state().current_report().unwrap();
    assert_eq!(report.verdict, Verdict::ReadyWithConfirmations);
    assert_eq!(report.manual_confirmations.len(), 2);
    assert!(report.simulated);
    let markdown = writeback_setup::report::markdown::render(&report);
    assert!(
        markdown.contains("READY, WITH MANUAL CONFIRMATIONS"),
        "{markdown}"
    );
    assert!(markdown.contains("SIMULATED ORG"), "{markdown}");
    let html = writeback_setup::report::html::render(&report);
    assert!(html.contains("READY, WITH MANUAL CONFIRMATIONS"));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verdict"], "ready_with_confirmations");
    assert_eq!(json["simulated"], true);
}

#[test]
fn a_confirmation_cannot_stand_in_for_the_integration_user_until_one_is_chosen() {
    let mut h = with_unknowns(false);
    let report = h.state().report.clone().unwrap();
    let field_access = report
        .checks
        .iter()
        .find(|f| f.id == FindingId::UserFieldAccess)
        .unwrap();
    // Pretend a person ticked it with a note anyway: it does not count without a user.
    h.state_mut().steps.manual.insert(
        field_access.id.as_str().to_string(),
        writeback_setup::ui::ManualConfirmation {
            confirmed: true,
            note: "looked fine".into(),
        },
    );
    h.state_mut().page = Page::Step(Step::Access);
    h.run_steps(2);
    assert!(!h.state().confirmation_counts(field_access));
    h.get_by_label_contains("Choose the integration user first");
    let built = h.state().current_report().unwrap();
    assert!(built.manual_confirmations.is_empty());
    assert_ne!(built.verdict, Verdict::ReadyWithConfirmations);
}

#[test]
fn a_case_number_works_for_the_record_access_check_too() {
    let mut h = connected("ready");
    h.state_mut().page = Page::Step(Step::Access);
    h.run_steps(2);
    let input = h.get_by_label("Case for the record-access check (optional)");
    input.click();
    input.type_text("1001");
    h.run_steps(2);
    h.get_by_label("Check this record").click();
    step_until(&mut h, "the record check", |a| {
        !a.is_running()
            && a.report.as_ref().is_some_and(|r| {
                r.checks
                    .iter()
                    .any(|f| f.id == FindingId::UserRecordAccess && f.status != Status::Skipped)
            })
    });
    assert!(h.state().check_error.is_none());
}

#[test]
fn a_record_that_is_not_found_is_said_under_its_box_and_goes_when_edited() {
    let mut h = connected("ready");
    h.state_mut().page = Page::Step(Step::Access);
    h.run_steps(2);
    let input = h.get_by_label("Case for the record-access check (optional)");
    input.click();
    input.type_text("9999");
    h.run_steps(2);
    h.get_by_label("Check this record").click();
    step_until(&mut h, "the record lookup", |a| {
        a.steps.record_error.is_some() && !a.is_running()
    });
    h.get_by_label_contains("no Case number 00009999");
    // Not an error of the whole check: the findings stay as they were.
    assert!(h.state().check_error.is_none());
    let input = h.get_by_label("Case for the record-access check (optional)");
    input.focus();
    input.type_text("1");
    h.run_steps(2);
    assert!(h.state().steps.record_error.is_none());
}

#[test]
fn a_new_connection_starts_without_the_last_sessions_evidence_and_confirmations() {
    let mut h = with_unknowns(true);
    let title = h
        .state()
        .report
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .find(|f| f.id == FindingId::AppScopes)
        .unwrap()
        .title
        .clone();
    confirm(&mut h, Step::App, &title, "App Manager shows api");
    assert_eq!(h.state().counted_confirmations(), 1);
    test_write(&mut h);
    assert_eq!(
        h.state().step_status(Step::TestWrite),
        Some(StepStatus::Pass)
    );
    // Connect again (it could be another org): neither the test write nor the confirmation
    // speaks for the new session.
    h.state_mut().connect_demo("fresh");
    step_until(&mut h, "the new checks", |a| {
        a.connection
            .as_ref()
            .is_some_and(|c| c.demo.as_deref() == Some("fresh"))
            && a.report.is_some()
            && !a.is_running()
    });
    assert_eq!(
        h.state().step_status(Step::TestWrite),
        Some(StepStatus::NotRun)
    );
    assert_eq!(h.state().counted_confirmations(), 0);
    assert!(h.state().current_report().unwrap().test_write.is_none());
}
