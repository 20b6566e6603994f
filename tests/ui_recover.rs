//! The app announces an interrupted test write at start and puts it right on connecting.
//! (Its own test binary, as it always was; its journals are in a folder of its own.)
// Test code: `unwrap()` is the assertion, and a scenario reads top to bottom (clippy.toml).
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

mod common;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use serde_json::json;
use std::time::Duration;
use writeback_setup::sfid;
use writeback_setup::testwrite::journal::{self, Journal, Stage};
use writeback_setup::ui::worker::Worker;
use writeback_setup::ui::{App, Remembered};

#[test]
fn an_interrupted_test_write_is_announced_and_recovered_on_connecting() {
    let dir =
        std::env::temp_dir().join(format!("writeback-setup-ui-recover-{}", std::process::id()));
    let record = sfid::to_18("5005g00000AbCdE").unwrap();
    // The demo org's Case holds no value in the field: neither the original nor the test value,
    // and nothing shows who changed it. The app must not overwrite it, nor forget it: the field
    // is named with the value to put back and the journal stays.
    let pending = Journal {
        instance_url: "http://127.0.0.1:1".into(),
        org_id: "00D5g000004Qmn2EAC".into(),
        username: "admin@acme.example".into(),
        user_id: String::new(),
        object: "Case".into(),
        record_id: record.clone(),
        original: [("Enterpret_Sentiment__c".to_string(), json!("Positive"))]
            .into_iter()
            .collect(),
        test_values: [("Enterpret_Sentiment__c".to_string(), json!("Neutral"))]
            .into_iter()
            .collect(),
        kinds: Default::default(),
        read_back: Default::default(),
        written_fields: vec!["Enterpret_Sentiment__c".into()],
        original_last_modified: None,
        written_last_modified: None,
        stage: Stage::Written,
        started_at: "2026-11-21T08:00:00Z".into(),
    };
    journal::save(&dir, &pending).unwrap();
    let app = App::new(
        Worker::spawn_in(|| {}, common::offline_login_env, Ok(dir.clone())),
        Remembered {
            demo_scenario: "ready".into(),
            ..Remembered::default()
        },
    );
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app);
    h.run_steps(2);
    h.get_by_label_contains(&format!("An interrupted test write on Case {record}"));
    h.get_by_label_contains("Connect to that org and the app restores it.");
    common::settled(&mut h);
    h.get_by_label("Connect to the demo org").click();
    for _ in 0..400 {
        h.step();
        if h.state()
            .writes
            .recovered
            .iter()
            .any(|l| l.contains("is not proven restored"))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    h.run_steps(2);
    h.get_by_label_contains("Enterpret_Sentiment__c is not proven back");
    h.get_by_label_contains("Put back Enterpret_Sentiment__c = \"Positive\".");
    assert_eq!(
        journal::pending(&dir).len(),
        1,
        "unproven: the journal stays for the next start"
    );
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.state().writes.recovered.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
