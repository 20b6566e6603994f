//! The desktop app driven by its accessible labels (egui_kittest), against the simulated org.

use crate::common;

use common::step_until;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::sync::Arc;
use writeback_setup::checks::{Status, Step};
use writeback_setup::report::model::StepStatus;
use writeback_setup::ui::worker::Connection;
use writeback_setup::ui::{App, Page};

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 860.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

fn connected_and_checked(scenario: &str) -> Harness<'static, App> {
    let mut h = harness(common::demo_app(scenario));
    common::connect_demo(&mut h);
    h
}

#[test]
fn connects_to_the_demo_and_runs_every_check() {
    let h = connected_and_checked("ready");
    let app = h.state();
    assert_eq!(
        app.connection.as_ref().unwrap().demo.as_deref(),
        Some("ready")
    );
    for step in Step::ALL {
        // The test write-back is not run until a test write is made: the automation scan
        // (ready's closed-Case validation rule, a warning) does not set it.
        let expected = if step == Step::TestWrite {
            StepStatus::NotRun
        } else {
            StepStatus::Pass
        };
        assert_eq!(app.step_status(step), Some(expected), "{step:?}");
    }
    assert_eq!(app.checks_status(Step::TestWrite), Some(Status::Warn));
    // The demo org is never shown as a production org: it is marked simulated.
    // The badge in the top bar and the banner on the page.
    assert!(h.get_all_by_label_contains("SIMULATED ORG").count() >= 2);
    assert!(h.query_by_label_contains("PRODUCTION").is_none());
    h.get_by_label_contains("Acme Corp: Enterprise Edition production org");
}

#[test]
fn each_scenario_shows_its_failures() {
    let cases = [
        (
            "fresh",
            vec![Step::Fields, Step::App, Step::Access, Step::Reauthorize],
        ),
        ("no-field-edit", vec![Step::Access]),
        ("app-missing-api-scope", vec![Step::App]),
    ];
    for (scenario, failing) in cases {
        let h = connected_and_checked(scenario);
        for step in Step::ALL {
            let expected = if failing.contains(&step) {
                StepStatus::Fail
            } else if step == Step::TestWrite {
                StepStatus::NotRun
            } else {
                StepStatus::Pass
            };
            assert_eq!(
                h.state().step_status(step),
                Some(expected),
                "{scenario}: {step:?}"
            );
        }
    }
}

#[test]
fn navigating_the_steps() {
    let mut h = connected_and_checked("fresh");
    h.get_by_label("1 Create the fields").click();
    h.run_steps(2);
    assert_eq!(h.state().page, Page::Step(Step::Fields));
    h.get_by_label("3 of 3 fields missing on Case");
    h.get_by_label("Copy Enterpret_Summary__c");
    h.get_by_label("Next ›").click();
    h.run_steps(2);
    assert_eq!(h.state().page, Page::Step(Step::App));
    h.get_by_label("The app lacks the api scope");
    h.get_by_label("‹ Back").click();
    h.run_steps(2);
    assert_eq!(h.state().page, Page::Step(Step::Fields));
    // Keyboard: arrow down moves to the next step when no text field has focus.
    h.key_press(egui::Key::ArrowDown);
    h.run_steps(2);
    assert_eq!(h.state().page, Page::Step(Step::App));
    h.get_by_label("Report").click();
    h.run_steps(2);
    h.get_by_label_contains("Not ready: some steps need work.");
}

#[test]
fn opening_a_findings_evidence() {
    let mut h = connected_and_checked("fresh");
    h.get_by_label("1 Create the fields").click();
    h.run_steps(2);
    assert!(h.query_by_label("Enterpret_Summary__c: missing").is_none());
    h.get_by_label("Evidence (fields.exist)").click();
    h.run_steps(3);
    h.get_by_label("Enterpret_Summary__c: missing");
    h.get_by_label("Open in Salesforce Setup: 3 of 3 fields missing on Case");
}

#[test]
fn editing_a_profile_field_is_validated_as_you_type() {
    let mut h = harness(common::demo_app("ready"));
    common::settled(&mut h);
    h.get_by_label("Edit profile…").click();
    h.run_steps(2);
    let api_name = h.get_by_label("API name of field 1");
    api_name.focus();
    api_name.type_text("x");
    h.run_steps(2);
    // "Enterpret_Summary__cx" no longer ends in __c.
    assert!(
        h.query_by_label_contains("must end").is_some()
            || h.query_by_label_contains("__c").is_some()
    );
    let draft = h.state().draft.as_ref().expect("editor open");
    assert_eq!(draft.profile.fields[0].api_name, "Enterpret_Summary__cx");
}

#[test]
fn a_duplicate_api_name_is_refused() {
    let mut h = harness(common::demo_app("ready"));
    common::settled(&mut h);
    h.get_by_label("Edit profile…").click();
    h.run_steps(2);
    let second = h.state().draft.as_ref().unwrap().profile.fields[1]
        .api_name
        .clone();
    h.state_mut().draft.as_mut().unwrap().profile.fields[0].api_name = second;
    h.run_steps(2);
    assert_eq!(h.get_all_by_label("appears twice").count(), 2);
    // Apply is disabled: clicking it leaves the editor open and the profile unchanged.
    h.get_by_label("Apply and re-check").click();
    h.run_steps(2);
    assert!(h.state().draft.is_some());
    assert_eq!(h.state().profile.fields[0].api_name, "Enterpret_Summary__c");
}

#[test]
fn saving_the_profile_writes_the_file_off_the_ui_thread_and_applying_remembers_it() {
    let mut h = harness(common::demo_app("ready"));
    common::settled(&mut h);
    h.get_by_label("Edit profile…").click();
    h.run_steps(2);
    let path = std::env::temp_dir().join(format!(
        "writeback-setup-profile-{}.toml",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    h.state_mut().draft.as_mut().unwrap().save_path = path.display().to_string();
    h.run_steps(1);
    h.get_by_label("Save profile file").click();
    h.run_steps(1);
    step_until(&mut h, "the profile to be saved", |a| {
        a.draft
            .as_ref()
            .is_some_and(|d| d.pending_save.is_none() && d.saved_to.is_some())
    });
    let saved = std::fs::read_to_string(&path).expect("the file is written");
    assert!(saved.contains("Enterpret_Summary__c"), "{saved}");
    h.get_by_label_contains("Saved to");
    h.get_by_label("Apply and re-check").click();
    h.run_steps(2);
    assert!(h.state().draft.is_none());
    assert_eq!(h.state().remembered.profile, path.display().to_string());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn verify_only_mode_hides_write_actions() {
    let mut h = harness(common::demo_app("ready"));
    common::settled(&mut h);
    h.get_by_label("Edit profile…");
    h.get_by_label("Verify only (CSM)").click();
    h.run_steps(2);
    assert!(h.query_by_label("Edit profile…").is_none());
    assert!(!h.state().can_write());
}

#[test]
fn connection_errors_are_explained_in_place() {
    let mut h = harness(common::demo_app("ready"));
    common::settled(&mut h);
    h.state_mut().remembered.instance_url = "ftp://acme.example".into();
    h.state_mut().token_input = "00D5g000004Qmn2!AQsecret".into();
    h.run_steps(1);
    h.get_by_label("Connect with this session").click();
    step_until(&mut h, "the connection error", |a| {
        a.login.connect_error.is_some()
    });
    h.get_by_label_contains("Could not connect");
    h.get_by_label("Details");
    // A refused token stays in its field to be corrected (issue 15), never in what is remembered.
    assert_eq!(h.state().token_input, "00D5g000004Qmn2!AQsecret");
    let remembered = serde_json::to_string(&h.state().remembered).unwrap();
    assert!(!remembered.contains("AQsecret"));
}

#[test]
fn choosing_a_candidate_integration_user() {
    let mut h = harness(common::demo_app("ready"));
    common::settled(&mut h);
    h.get_by_label("Connect to the demo org").click();
    step_until(&mut h, "connected", |a| a.connection.is_some());
    // Forget the scenario's integration user to see the proposal.
    h.state_mut()
        .connection
        .as_mut()
        .unwrap()
        .integration_user_hint = None;
    h.state_mut().run_checks(None);
    step_until(&mut h, "checks without a user", |a| {
        a.report
            .as_ref()
            .is_some_and(|r| r.integration_user.is_none())
            && !a.is_running()
    });
    h.get_by_label("3 Integration user access").click();
    h.run_steps(2);
    h.get_by_label("Use integration@acme.example")
        .click_accesskit();
    step_until(&mut h, "checks with the user", |a| {
        a.report
            .as_ref()
            .is_some_and(|r| r.integration_user.is_some())
            && !a.is_running()
    });
    assert_eq!(h.state().step_status(Step::Access), Some(StepStatus::Pass));
}

/// Screens with fixed content (no random port), for snapshot images.
fn fixed_screen(scenario: &str, page: Page, theme: egui::Theme) -> Harness<'static, App> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut report = runtime.block_on(async {
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
    report.org.instance_url = "https://acme.my.salesforce.com".into();
    // Concurrent answers make the last-seen usage vary by a call or two: fix it for the image.
    report.org.api_usage = Some(writeback_setup::checks::ApiUsageSummary {
        used: 1208,
        max: 100_000,
    });
    let mut app = common::demo_app(scenario);
    app.connection = Some(Connection {
        instance_url: "https://acme.my.salesforce.com".into(),
        username: "admin@acme.example".into(),
        display_name: "Ada Admin".into(),
        org_id: report.org.id.clone(),
        demo: Some(scenario.into()),
        integration_user_hint: Some("integration@acme.example".into()),
        kept: None,
        signs_out: false,
    });
    app.report = Some(report);
    app.page = page;
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 860.0))
        .with_theme(theme)
        .wgpu()
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    h.run_steps(3);
    h
}

#[test]
fn snapshots_of_the_main_screens() {
    let mut results = egui_kittest::SnapshotResults::new();
    // What a newcomer sees first: the Connect page before connecting.
    for (theme, suffix) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
        let mut h = Harness::builder()
            .with_size(egui::vec2(1280.0, 860.0))
            .with_theme(theme)
            .wgpu()
            .build_ui_state(|ui, app: &mut App| app.show(ui), common::demo_app("fresh"));
        // The page shows what the worker found of the Salesforce CLI: wait for it, so the
        // picture does not depend on how fast the worker answered.
        common::step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
        h.snapshot(format!("connect_start_{suffix}"));
        results.extend(h.take_snapshot_results());
    }
    for (scenario, page, name) in [
        // Fields, Access, Test write-back and Report at two window sizes: tests/ui_layout.rs.
        ("ready", Page::Step(Step::Reauthorize), "reauthorize_ready"),
    ] {
        for (theme, suffix) in [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")] {
            let mut h = fixed_screen(scenario, page, theme);
            h.snapshot(format!("{name}_{suffix}"));
            results.extend(h.take_snapshot_results());
        }
    }
}

#[test]
fn every_widget_has_an_accessible_name() {
    // `run()` checks the accessibility tree: every input widget must be named.
    let mut h = connected_and_checked("fresh");
    for page in [
        "1 Create the fields",
        "2 Connected App scope",
        "3 Integration user access",
        "Report",
    ] {
        h.get_by_label(page).click();
        h.run();
    }
    h.state_mut().page = Page::Step(Step::App);
    h.run();
    h.get_by_label("Copy api");
    h.get_by_label("Copy Enterpret");
    h.get_by_label("Edit profile…").click();
    h.run();
    h.get_by_label("API name of field 3");
    h.get_by_label("Save profile file");
}
