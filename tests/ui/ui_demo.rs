//! `--demo fresh` walked to READY through the app alone: the app's own fixes, the Setup-only
//! steps done in the demo org on an explicit click, and the test write-back with the admin's
//! temporary access to the new fields.

use crate::common;

use common::step_until;
use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use writeback_setup::checks::{Status, Step, Verdict};
use writeback_setup::report::model::StepStatus;
use writeback_setup::ui::{App, Page, Remembered};

fn connected(scenario: &str) -> Harness<'static, App> {
    let remembered = Remembered {
        demo_scenario: scenario.to_string(),
        ..Remembered::default()
    };
    let app = App::new(common::offline_worker(), remembered);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    common::settled(&mut h);
    h.get_by_label("Connect to the demo org").click_accesskit();
    step_until(&mut h, "the checks", |a| {
        a.report.is_some() && !a.is_running()
    });
    h
}

fn settled(a: &App) -> bool {
    a.writes.busy.is_none() && !a.is_running()
}

#[test]
fn the_fresh_demo_can_be_walked_to_ready_through_the_app() {
    let mut h = connected("fresh");
    assert_eq!(h.state().verdict(), Some(Verdict::NotReady));

    // Steps 1 and 3: the app's own fixes.
    h.get_by_label("1 Create the fields").click_accesskit();
    h.run_steps(2);
    h.get_by_label("Preview the fixes…").click_accesskit();
    step_until(&mut h, "the plan", |a| a.writes.plan.is_some());
    h.get_by_label("Apply 9 changes…").click_accesskit();
    h.run_steps(2);
    h.get_by_label("Apply the changes").click_accesskit();
    step_until(&mut h, "the fixes and the re-check", |a| {
        settled(a) && a.writes.plan.is_none() && a.checks_status(Step::Access) == Some(Status::Pass)
    });

    // Step 2: only an admin can do it in Setup; the demo org does it on a click.
    h.get_by_label("2 Connected App scope").click_accesskit();
    h.run_steps(2);
    h.get_by_label("Do this in the demo org: add the api scope")
        .click_accesskit();
    step_until(&mut h, "the scope and the re-check", |a| {
        a.steps.demo_notice.is_some()
            && settled(a)
            && a.checks_status(Step::App) == Some(Status::Pass)
    });

    // Step 4: the integration user logs in again.
    h.get_by_label("4 Re-authorize").click_accesskit();
    h.run_steps(2);
    h.get_by_label("Do this in the demo org: log in as the integration user")
        .click_accesskit();
    step_until(&mut h, "the new login and the re-check", |a| {
        a.steps.demo_notice.as_ref().is_some_and(|(_, n)| n.is_ok())
            && settled(a)
            && a.checks_status(Step::Reauthorize) == Some(Status::Pass)
    });
    assert_eq!(h.state().verdict(), Some(Verdict::Ready));
    h.get_by_label_contains("Ready: the org is set up for the write-back.");

    // The test write-back: the admin cannot see the fields the app just created.
    h.state_mut().page = Page::Step(Step::TestWrite);
    h.run_steps(2);
    let input = h.get_by_label("Case to test on");
    input.focus();
    input.type_text("1001");
    h.run_steps(2);
    h.get_by_label("Preflight").click_accesskit();
    step_until(&mut h, "the preflight", |a| {
        a.writes.preflight.is_some() && settled(a)
    });
    h.get_by_label_contains("fields created through the API are visible to nobody");
    h.get_by_label("Test as me with temporary access…")
        .click_accesskit();
    h.run_steps(2);
    // Nothing happens before the consent.
    assert!(h.state().writes.report.is_none());
    h.get_by_label_contains("it creates a permission set");
    h.get_by_label("Give me access, test, then remove it")
        .click_accesskit();
    step_until(&mut h, "the test write with temporary access", |a| {
        a.writes.report.is_some() && a.writes.temporary_access.is_some() && settled(a)
    });
    let app = h.state();
    let access = app.writes.temporary_access.clone().unwrap();
    assert!(
        access
            .as_ref()
            .is_ok_and(|t| t.contains("it is deleted again")),
        "{access:?}"
    );
    let written = app.writes.report.as_ref().unwrap();
    assert!(written.write_ok && written.restored, "{written:?}");
    assert_eq!(app.step_status(Step::TestWrite), Some(StepStatus::Pass));
    assert_eq!(app.verdict(), Some(Verdict::Ready));
    let report = app.current_report().unwrap();
    assert_eq!(report.verdict, Verdict::Ready);
    assert!(report.simulated);
}

#[test]
fn setup_only_actions_are_offered_only_in_the_demo_and_only_when_needed() {
    let mut h = connected("ready");
    h.get_by_label("2 Connected App scope").click_accesskit();
    h.run_steps(2);
    // The step passes: the action is there, greyed out, and says why.
    h.get_by_label("Do this in the demo org: add the api scope");
    h.get_by_label("Nothing to do here: this step passes.");
    // Open in Salesforce Setup in the demo says it is simulated.
    assert!(h
        .query_all_by_label_contains("Open in Salesforce Setup")
        .next()
        .is_some());
    // Verify-only mode changes nothing, even in the demo.
    h.get_by_label("Verify only (CSM)").click_accesskit();
    h.run_steps(2);
    assert!(h
        .query_by_label("Do this in the demo org: add the api scope")
        .is_none());
}
