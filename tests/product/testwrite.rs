//! The safe test write-back against the simulated org: the record is left exactly as it was,
//! blocked writes name the blocking field, a concurrent edit is not clobbered, the dry run
//! changes nothing, and a process killed between write and restore is recovered on next start.

use crate::common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use writeback_setup::profile;
use writeback_setup::salesforce::{Client, Identity, StaticToken};
use writeback_setup::sfid;
use writeback_setup::sim::server::SimServer;
use writeback_setup::testwrite::{self, journal, FieldFate};

const CASE: &str = "5005g00000AbCdE";
const FIELDS: [&str; 3] = [
    "Enterpret_Summary__c",
    "Enterpret_Sentiment__c",
    "Enterpret_Taxonomy_Paths__c",
];

fn case_id() -> String {
    sfid::to_18(CASE).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "writeback-setup-test-{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

async fn connect_as(sim: &SimServer, token: &str) -> (Client, Identity) {
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(token)))
        .await
        .expect("connects");
    let identity = client.identity().await.expect("identity");
    (client, identity)
}

/// The test write's plan, from a preflight as the app and the command make it.
async fn planned(
    client: &Client,
    identity: &Identity,
    profile: &profile::Profile,
) -> testwrite::TestWritePlan {
    testwrite::preflight(client, identity, profile, &case_id(), None)
        .await
        .expect("preflight")
        .plan
}

/// The whole record as the admin sees it, without the audit fields a write changes.
async fn whole_record(sim: &SimServer) -> Value {
    let (status, mut body) = common::get(
        sim,
        sim.admin_token(),
        &format!("/services/data/{}/sobjects/Case/{}", common::V, case_id()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for audit in ["LastModifiedDate", "SystemModstamp", "LastModifiedById"] {
        body.as_object_mut().unwrap().remove(audit);
    }
    body
}

#[tokio::test]
async fn test_write_on_ready_leaves_the_record_exactly_as_it_was() {
    let sim = common::start("ready").await;
    let (client, identity) = connect_as(&sim, sim.admin_token()).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let before = whole_record(&sim).await;
    let dir = temp_dir("ready");
    let plan = planned(&client, &identity, &profile).await;
    let report = testwrite::run(&client, &identity, &plan, &dir, None)
        .await
        .expect("runs");
    assert!(report.write_ok, "{report:#?}");
    assert!(report.restored && report.journal_deleted, "{report:#?}");
    assert!(report.blocked.is_empty());
    for row in &report.rows {
        assert_eq!(row.fate, FieldFate::Restored);
        let expected = profile.field(&row.field).unwrap().test_value.clone();
        assert_eq!(row.written, Some(json!(expected)), "written and read back");
        assert_eq!(row.after.as_ref(), Some(&row.before));
    }
    assert_eq!(
        whole_record(&sim).await,
        before,
        "every field as before (owner too)"
    );
    assert!(journal::pending(&dir).is_empty(), "journal deleted");
}

async fn blocked_as(scenario: &str, integration: bool) -> (testwrite::TestWriteReport, bool) {
    let sim = common::start(scenario).await;
    let token = if integration {
        common::integration_token(&sim)
    } else {
        sim.admin_token().to_string()
    };
    let (client, identity) = connect_as(&sim, &token).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let before = whole_record(&sim).await;
    let dir = temp_dir(scenario);
    let plan = planned(&client, &identity, &profile).await;
    let report = testwrite::run(&client, &identity, &plan, &dir, None)
        .await
        .expect("runs");
    let unchanged = whole_record(&sim).await == before;
    (report, unchanged)
}

#[tokio::test]
async fn no_field_edit_names_the_read_only_fields() {
    let (report, unchanged) = blocked_as("no-field-edit", true).await;
    assert!(!report.write_ok);
    let named: Vec<&str> = report.blocked.iter().map(|b| b.field.as_str()).collect();
    assert_eq!(named, FIELDS);
    assert!(report
        .blocked
        .iter()
        .all(|b| b.code == "INVALID_FIELD_FOR_INSERT_UPDATE"
            && b.explanation.contains("field-level security")));
    assert!(unchanged && report.restored);
}

#[tokio::test]
async fn restricted_picklist_names_the_sentiment_field() {
    let (report, unchanged) = blocked_as("restricted-picklist", false).await;
    assert!(!report.write_ok);
    assert_eq!(report.blocked.len(), 1, "{report:#?}");
    let blocked = &report.blocked[0];
    assert_eq!(blocked.field, "Enterpret_Sentiment__c");
    assert_eq!(blocked.code, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert!(blocked.explanation.contains("'Neutral'"));
    assert!(
        blocked.found_before_writing,
        "the describe shows the picklist's values: the value is never sent"
    );
    // The other two were written alone to find the blocker, then restored.
    assert!(report
        .rows
        .iter()
        .filter(|r| r.field != "Enterpret_Sentiment__c")
        .all(|r| r.fate == FieldFate::Restored));
    assert!(unchanged && report.restored && report.journal_deleted);
}

#[tokio::test]
async fn validation_rule_names_the_field_and_its_message() {
    let (report, unchanged) = blocked_as("validation-rule-blocks", false).await;
    assert_eq!(report.blocked.len(), 1, "{report:#?}");
    let blocked = &report.blocked[0];
    assert_eq!(blocked.field, "Enterpret_Sentiment__c");
    assert_eq!(blocked.code, "FIELD_CUSTOM_VALIDATION_EXCEPTION");
    assert!(blocked
        .explanation
        .contains("Only support managers may change the sentiment."));
    assert!(unchanged);
}

#[tokio::test]
async fn a_concurrent_edit_between_write_and_restore_is_not_clobbered() {
    let sim = common::start("ready").await;
    let (client, identity) = connect_as(&sim, sim.admin_token()).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let dir = temp_dir("concurrent");
    let url = format!(
        "{}/services/data/{}/sobjects/Case/{}",
        sim.url(),
        common::V,
        case_id()
    );
    let token = sim.admin_token().to_string();
    let someone_else = move || -> futures_util::future::BoxFuture<'static, ()> {
        let (url, token) = (url.clone(), token.clone());
        Box::pin(async move {
            let response = common::client()
                .patch(url)
                .bearer_auth(token)
                .json(&json!({"Enterpret_Summary__c": "An agent's own note"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 204);
        })
    };
    let plan = planned(&client, &identity, &profile).await;
    let report = testwrite::run(&client, &identity, &plan, &dir, Some(&someone_else))
        .await
        .unwrap();
    let summary = report
        .rows
        .iter()
        .find(|r| r.field == "Enterpret_Summary__c")
        .unwrap();
    assert_eq!(summary.fate, FieldFate::ChangedBySomeoneElse);
    assert_eq!(summary.after, Some(json!("An agent's own note")));
    let record = whole_record(&sim).await;
    assert_eq!(record["Enterpret_Summary__c"], "An agent's own note");
    assert_eq!(
        record["Enterpret_Sentiment__c"],
        Value::Null,
        "ours restored"
    );
    assert_eq!(record["Enterpret_Taxonomy_Paths__c"], Value::Null);
}

#[tokio::test]
async fn preflight_reads_without_writing() {
    let sim = common::start("ready").await;
    let (client, identity) = connect_as(&sim, sim.admin_token()).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let before = whole_record(&sim).await;
    let calls = client.stats().api_calls;
    let pre = testwrite::preflight(
        &client,
        &identity,
        &profile,
        &case_id(),
        Some("integration@acme.example"),
    )
    .await
    .unwrap();
    // One standard and one Tooling composite.
    assert_eq!(client.stats().api_calls - calls, 2);
    assert!(
        pre.record_label.contains("Cannot log in with SSO"),
        "{pre:#?}"
    );
    assert_eq!(pre.locked, Some(false));
    assert!(pre.can_run_apex);
    assert_eq!(pre.integration_access.as_deref(), Some("Edit"));
    assert!(pre.blockers.is_empty(), "{pre:#?}");
    assert!(pre.notes.iter().any(
        |n| n.contains("true end-to-end test needs you to log in as integration@acme.example")
    ));
    assert_eq!(pre.validation_rules.len(), 1);
    assert_eq!(pre.triggers, ["CaseMilestoneTrigger"]);
    assert_eq!(whole_record(&sim).await, before);
}

#[tokio::test]
async fn dry_run_rolls_back_and_reports_what_would_fail() {
    let profile = profile::builtin("feedback-writeback").unwrap();
    for (scenario, works) in [("ready", true), ("validation-rule-blocks", false)] {
        let sim = common::start(scenario).await;
        let (client, identity) = connect_as(&sim, sim.admin_token()).await;
        let before = whole_record(&sim).await;
        let plan = planned(&client, &identity, &profile).await;
        let dry = testwrite::dry_run(&client, &plan).await.unwrap();
        assert_eq!(dry.would_succeed, works, "{scenario}: {dry:?}");
        if !works {
            let problem = dry.problem.unwrap();
            assert!(
                problem.contains("FIELD_CUSTOM_VALIDATION_EXCEPTION"),
                "{problem}"
            );
            assert!(problem.contains("Only support managers"), "{problem}");
        }
        assert_eq!(
            whole_record(&sim).await,
            before,
            "{scenario}: nothing changed"
        );
    }
}

#[tokio::test]
async fn dry_run_needs_author_apex() {
    let sim = common::start("ready").await;
    let token = common::integration_token(&sim);
    let (client, identity) = connect_as(&sim, &token).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let plan = planned(&client, &identity, &profile).await;
    let error = testwrite::dry_run(&client, &plan).await.unwrap_err();
    assert_eq!(error.code(), Some("INSUFFICIENT_ACCESS"));
}

#[test]
fn record_input_accepts_ids_urls_and_case_numbers() {
    use testwrite::RecordInput;
    assert_eq!(
        testwrite::parse_record_input("Case", CASE),
        Ok(RecordInput::Id(case_id()))
    );
    assert_eq!(
        testwrite::parse_record_input(
            "Case",
            &format!("https://acme.lightning.force.com/lightning/r/Case/{CASE}/view")
        ),
        Ok(RecordInput::Id(case_id()))
    );
    assert_eq!(
        testwrite::parse_record_input("Case", "1001"),
        Ok(RecordInput::CaseNumber("00001001".into()))
    );
    assert!(testwrite::parse_record_input("Case", "0015g00000AbCdE").is_err());
    assert!(testwrite::parse_record_input("Case", "hello").is_err());
    assert!(testwrite::parse_record_input("Case", " ").is_err());
}

#[tokio::test]
async fn a_case_number_resolves_to_its_id() {
    let sim = common::start("ready").await;
    let (client, _) = connect_as(&sim, sim.admin_token()).await;
    let id = testwrite::resolve(&client, "Case", "1001").await.unwrap();
    assert_eq!(id, case_id());
    assert!(testwrite::resolve(&client, "Case", "999999").await.is_err());
    let recent = testwrite::recent(&client, "Case").await.unwrap();
    assert!(recent.iter().any(|r| r.id == case_id()));
}

// ---- a real interruption ------------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_writeback-setup");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_test_write_is_restored_on_the_next_start() {
    let sim = common::start("ready").await;
    let before = whole_record(&sim).await;
    let dir = temp_dir("killed");
    let mut child = Command::new(BIN)
        .args(["test-write", "--record", CASE, "--yes"])
        .env("SF_INSTANCE_URL", sim.url())
        .env("SF_ACCESS_TOKEN", sim.admin_token())
        .env(journal::DATA_DIR_ENV, &dir)
        .env("WRITEBACK_SETUP_PAUSE_BEFORE_RESTORE_MS", "120000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stderr = child.stderr.take().unwrap();
    let paused = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("paused before restore"))
    })
    .await
    .unwrap();
    assert!(paused, "the process reached the pause");
    child.kill().expect("killed");
    child.wait().unwrap();

    // Killed between write and restore: the record holds the test values, the journal remains.
    let written = whole_record(&sim).await;
    assert_eq!(written["Enterpret_Sentiment__c"], "Neutral");
    let pending = journal::pending(&dir);
    assert_eq!(pending.len(), 1);
    let text = std::fs::read_to_string(&pending[0].0).unwrap();
    assert!(!text.contains(sim.admin_token()), "no token in the journal");

    // The next start of any command restores it first.
    let url = sim.url().to_string();
    let token = sim.admin_token().to_string();
    let dir_for_check = dir.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["check", "--integration-user", "integration@acme.example"])
            .env("SF_INSTANCE_URL", url)
            .env("SF_ACCESS_TOKEN", token)
            .env(journal::DATA_DIR_ENV, &dir_for_check)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Recovered the interrupted test write"),
        "{stderr}"
    );
    assert_eq!(whole_record(&sim).await, before, "original values back");
    assert!(journal::pending(&dir).is_empty(), "journal deleted");

    // `recover` then has nothing left to do.
    let output = Command::new(BIN)
        .arg("recover")
        .env(journal::DATA_DIR_ENV, &dir)
        // No saved login either: nothing to connect with.
        .env("WRITEBACK_SETUP_CONFIG_DIR", dir.join("no-logins"))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("Nothing to recover"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_without_a_connection_says_exactly_what_is_left() {
    let dir = temp_dir("left");
    let pending = journal::Journal {
        instance_url: "https://acme.my.salesforce.com".into(),
        org_id: "00D5g000004Qmn2EAC".into(),
        username: "admin@acme.example".into(),
        user_id: String::new(),
        object: "Case".into(),
        record_id: case_id(),
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
        stage: journal::Stage::Written,
        started_at: "2026-11-21T08:00:00Z".into(),
    };
    journal::save(&dir, &pending).unwrap();
    let output = Command::new(BIN)
        .arg("recover")
        .env(journal::DATA_DIR_ENV, &dir)
        // No saved login either: nothing to connect with.
        .env("WRITEBACK_SETUP_CONFIG_DIR", dir.join("no-logins"))
        .env_remove("SF_INSTANCE_URL")
        .env_remove("SF_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&case_id()), "{stdout}");
    assert!(
        stdout.contains("Enterpret_Sentiment__c = \"Positive\""),
        "{stdout}"
    );
    assert!(stdout.contains("writeback-setup login"), "{stdout}");
}

#[tokio::test]
async fn the_simulated_execute_anonymous_answers_like_salesforce() {
    let sim = common::start("ready").await;
    let run = |apex: &str| {
        let q: String = url::form_urlencoded::byte_serialize(apex.as_bytes()).collect();
        format!(
            "/services/data/{}/tooling/executeAnonymous/?anonymousBody={q}",
            common::V
        )
    };
    // Outside the subset: a compile problem with line and column, HTTP 200.
    let (status, body) =
        common::get(&sim, sim.admin_token(), &run("Integer i = 0;\nfoo bar;")).await;
    assert_eq!(status, 200);
    assert_eq!(body["compiled"], false);
    assert_eq!(body["success"], false);
    assert_eq!(body["line"], 1);
    assert!(body["compileProblem"]
        .as_str()
        .unwrap()
        .starts_with("Unexpected token"));
    // An unknown field does not compile.
    let apex = format!(
        "Case r = new Case(Id = '{}');\nr.Nope__c = 'x';\nupdate r;",
        case_id()
    );
    let (_, body) = common::get(&sim, sim.admin_token(), &run(&apex)).await;
    assert_eq!(body["compileProblem"], "Invalid field Nope__c for Case");
    assert_eq!(body["line"], 2);
    // Without a rollback the update is real (and the same rules apply as to a PATCH).
    let apex = format!(
        "Case r = new Case(Id = '{}');\nr.Enterpret_Sentiment__c = 'Positive';\nupdate r;",
        case_id()
    );
    let (_, body) = common::get(&sim, sim.admin_token(), &run(&apex)).await;
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["line"], -1);
    assert!(body["exceptionMessage"].is_null());
    assert_eq!(
        whole_record(&sim).await["Enterpret_Sentiment__c"],
        "Positive"
    );
    // The missing parameter.
    let (status, body) = common::get(
        &sim,
        sim.admin_token(),
        &format!("/services/data/{}/tooling/executeAnonymous/", common::V),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(common::error_code(&body), "MISSING_ARGUMENT");
}

/// The dry run's success answer has the keys and JSON types of a recorded real answer.
#[tokio::test]
async fn execute_anonymous_matches_the_recorded_salesforce_answer() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/salesforce/tooling_executeAnonymous_Snowfakery.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must compare with {}",
            path.display()
        );
        eprintln!("skipped: {} is not here", path.display());
        return;
    };
    let recorded: Value = serde_json::from_str(&text).unwrap();
    let sim = common::start("ready").await;
    let plan = testwrite::TestWritePlan {
        object: "Case".into(),
        record_id: case_id(),
        ..Default::default()
    };
    let apex = testwrite::plan::dry_run_apex(&plan);
    let q: String = url::form_urlencoded::byte_serialize(apex.as_bytes()).collect();
    let (status, ours) = common::get(
        &sim,
        sim.admin_token(),
        &format!(
            "/services/data/{}/tooling/executeAnonymous/?anonymousBody={q}",
            common::V
        ),
    )
    .await;
    assert_eq!(status, 200);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&ours), keys(&recorded));
    for (key, value) in recorded.as_object().unwrap() {
        let kind = |v: &Value| match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            _ => "other",
        };
        assert_eq!(kind(&ours[key]), kind(value), "{key}");
    }
    assert_eq!(
        ours, recorded,
        "a successful run answers exactly like the recording"
    );
}

#[tokio::test]
async fn an_edit_between_the_restore_read_and_its_write_is_refused_by_salesforce_and_reported() {
    let sim = common::start("ready").await;
    let (client, identity) = connect_as(&sim, sim.admin_token()).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let dir = temp_dir("precondition");
    // Between the write and the restore, queue an agent's edit that lands right before the
    // restore's PATCH: Salesforce then answers 412 to the guarded restore.
    let queue = {
        let sim_fault = std::sync::Arc::new(std::sync::Mutex::new(Some(
            writeback_setup::sim::server::Fault::ConcurrentEdit {
                field: "Subject".into(),
                value: "Edited by an agent during the test".into(),
            },
        )));
        let sim_ref = &sim;
        move || -> futures_util::future::BoxFuture<'static, ()> {
            if let Some(fault) = sim_fault.lock().unwrap().take() {
                sim_ref.inject(fault);
            }
            Box::pin(async {})
        }
    };
    let plan = planned(&client, &identity, &profile).await;
    let report = testwrite::run(&client, &identity, &plan, &dir, Some(&queue))
        .await
        .unwrap();
    assert!(report.write_ok);
    assert!(!report.restored, "{report:?}");
    let left = report.left.join(" ");
    assert!(
        left.contains("someone changed the record while the app was restoring it"),
        "{left}"
    );
    let record = whole_record(&sim).await;
    assert_eq!(
        record["Subject"], "Edited by an agent during the test",
        "the agent's edit stands"
    );
    assert_eq!(
        record["Enterpret_Sentiment__c"], "Neutral",
        "not forced back over the edit"
    );
    // The journal stays, so `recover` can finish the restore once the record is quiet.
    assert!(!report.journal_deleted);
    let recovered = testwrite::recover_all(&client, &identity, &dir).await;
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    let record = whole_record(&sim).await;
    assert_eq!(
        record["Enterpret_Sentiment__c"],
        Value::Null,
        "restored on recovery"
    );
    assert_eq!(record["Subject"], "Edited by an agent during the test");
}

/// While the app looks for the blocking field, one single-field write is carried out but its
/// answer is lost: the field may hold the test value, so the journal must keep naming it.
#[tokio::test]
async fn a_field_write_whose_answer_is_lost_stays_in_the_journal_and_is_restored() {
    let sim = common::start("validation-rule-blocks").await;
    let (client, identity) = connect_as(&sim, sim.admin_token()).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let before = whole_record(&sim).await;
    let dir = temp_dir("lost-answer");
    let plan = planned(&client, &identity, &profile).await;
    // PATCH 1: all fields together, refused by the validation rule. PATCH 2: the first field
    // alone, carried out, answer lost.
    sim.inject(writeback_setup::sim::server::Fault::LoseAnswerOfPatch(2));
    let result = testwrite::run(&client, &identity, &plan, &dir, None).await;
    assert!(result.is_err(), "the lost answer ends the test write");
    assert_eq!(
        whole_record(&sim).await["Enterpret_Summary__c"],
        json!(profile.fields[0].test_value),
        "the write happened"
    );
    let pending = journal::pending(&dir);
    assert_eq!(pending.len(), 1, "the journal stays");
    let recovered = testwrite::recover_all(&client, &identity, &dir).await;
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    let after = whole_record(&sim).await;
    for field in FIELDS {
        assert_eq!(after[field], before[field], "{field} is back");
    }
    assert!(journal::pending(&dir).is_empty());
}

// ---- typed values end to end ----------------------------------------------------------------

const TYPED_CASE: &str = "5005g00000TyPeD";
const TYPED_CONTACT: &str = "0035g00000TyPeD";

fn data_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// `ready` plus fields of every type, records set in the UI (see tests/data).
async fn start_typed() -> SimServer {
    let scenario =
        writeback_setup::sim::scenario::load_file(&data_file("typed-fields.scenario.toml"))
            .expect("typed scenario loads");
    SimServer::start(
        &scenario,
        writeback_setup::sim::server::SimOptions::default(),
    )
    .await
    .expect("simulator starts")
}

fn typed_profile() -> profile::Profile {
    profile::load_file(&data_file("typed-fields.profile.toml")).expect("typed profile loads")
}

/// A record as the admin reads it, without the fields a write changes by itself.
async fn record_of(sim: &SimServer, object: &str, id: &str) -> Value {
    let (status, mut body) = common::get(
        sim,
        sim.admin_token(),
        &format!(
            "/services/data/{}/sobjects/{object}/{}",
            common::V,
            sfid::to_18(id).unwrap()
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for audit in ["LastModifiedDate", "SystemModstamp", "LastModifiedById"] {
        body.as_object_mut().unwrap().remove(audit);
    }
    body
}

/// Values an integration set through the API, typed as an API client sends them (a number as
/// a string too, which Salesforce reads as a number).
fn set_by_api(object: &str) -> Value {
    if object == "Contact" {
        return json!({"Survey_Score__c": 3, "NPS_Category__c": "Detractor",
            "Survey_Comment__c": "Slow.", "Survey_Response_Date__c": "2024-02-29T23:59:59Z"});
    }
    json!({"Typed_Number__c": 5, "Typed_Currency__c": "7.10", "Typed_Percent__c": 3,
        "Typed_Date__c": "2024-02-29", "Typed_DateTime__c": "2024-02-29T23:59:59.5+02:00",
        "Typed_Checkbox__c": false, "Typed_Email__c": "api@customer.example",
        "Typed_Phone__c": "+44 20 7946 0000", "Typed_Url__c": "https://api.example/x",
        "Typed_Multi__c": "Beta", "Typed_Picklist__c": "Open", "Typed_Text__c": "from the API",
        "Typed_TextArea__c": "a\nb", "Typed_Long__c": "long\r\ntext", "Typed_Html__c": "<i>x</i>",
        "KustomerApp__Conversation_CSAT_Score__c": "2",
        "KustomerApp__Conversation_ModifiedAt__c": "2024-05-05T05:05:05Z",
        "Description": "set\nby API"})
}

#[tokio::test]
async fn every_field_type_is_written_read_back_and_restored_exactly() {
    let cases: Vec<(profile::Profile, &str, &str, bool)> = vec![
        // (profile, object, record, set the values by the API first)
        (typed_profile(), "Case", CASE, false),
        (typed_profile(), "Case", TYPED_CASE, false),
        (typed_profile(), "Case", CASE, true),
        (
            profile::builtin("conversation-cases").unwrap(),
            "Case",
            CASE,
            false,
        ),
        (
            profile::builtin("conversation-cases").unwrap(),
            "Case",
            TYPED_CASE,
            false,
        ),
        (
            profile::builtin("conversation-cases").unwrap(),
            "Case",
            CASE,
            true,
        ),
        (
            profile::builtin("feedback-writeback").unwrap(),
            "Case",
            TYPED_CASE,
            false,
        ),
        (
            profile::builtin("survey-responses").unwrap(),
            "Contact",
            TYPED_CONTACT,
            false,
        ),
        (
            profile::builtin("survey-responses").unwrap(),
            "Contact",
            TYPED_CONTACT,
            true,
        ),
    ];
    for (profile, object, record, by_api) in cases {
        let label = format!("{} on {object} {record} (by API: {by_api})", profile.id);
        let sim = start_typed().await;
        let (client, identity) = connect_as(&sim, sim.admin_token()).await;
        let id = sfid::to_18(record).unwrap();
        if by_api {
            let (status, body) = common::send(
                &sim,
                sim.admin_token(),
                reqwest::Method::PATCH,
                &format!("/services/data/{}/sobjects/{object}/{id}", common::V),
                &set_by_api(object),
            )
            .await;
            assert_eq!(status, 204, "{label}: {body}");
        }
        let before = record_of(&sim, object, record).await;
        let pre = testwrite::preflight(&client, &identity, &profile, &id, None)
            .await
            .expect("preflight");
        assert!(pre.plan.typed_from_org, "{label}");
        assert!(pre.blockers.is_empty(), "{label}: {:?}", pre.blockers);
        let dir = temp_dir("typed");
        let report = testwrite::run(&client, &identity, &pre.plan, &dir, None)
            .await
            .expect("runs");
        assert!(report.write_ok, "{label}: {report:#?}");
        assert!(
            report.restored && report.journal_deleted,
            "{label}: {report:#?}"
        );
        assert!(
            report.rows.iter().all(|r| r.fate == FieldFate::Restored),
            "{label}: {report:#?}"
        );
        assert_eq!(
            record_of(&sim, object, record).await,
            before,
            "{label}: the record is as it was"
        );
        assert!(journal::pending(&dir).is_empty(), "{label}");
    }
}

#[tokio::test]
async fn salesforce_answers_typed_json_for_every_type() {
    let sim = start_typed().await;
    let record = record_of(&sim, "Case", TYPED_CASE).await;
    assert_eq!(record["Typed_Number__c"], json!(3.0));
    assert!(
        record["Typed_Number__c"].is_f64(),
        "a JSON number with the field's scale"
    );
    assert_eq!(record["Typed_Currency__c"], json!(1250.5));
    assert_eq!(record["Typed_Checkbox__c"], json!(true));
    assert_eq!(record["Typed_Date__c"], json!("2025-03-14"));
    assert_eq!(
        record["Typed_DateTime__c"],
        json!("2025-03-14T15:09:26.000+0000")
    );
    assert_eq!(record["Typed_Multi__c"], json!("Gamma;Alpha"));
    // A string Salesforce can read as a number is stored as one; SOQL answers the same.
    let id = sfid::to_18(CASE).unwrap();
    let path = format!("/services/data/{}/sobjects/Case/{id}", common::V);
    let (status, _) = common::send(
        &sim,
        sim.admin_token(),
        reqwest::Method::PATCH,
        &path,
        &json!({"Typed_Number__c": "1", "Typed_DateTime__c": "2026-12-05T11:00:00+01:00"}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, rows) = common::query(
        &sim,
        sim.admin_token(),
        &format!("SELECT Typed_Number__c, Typed_DateTime__c FROM Case WHERE Id = '{id}'"),
        false,
    )
    .await;
    assert_eq!(rows["records"][0]["Typed_Number__c"], json!(1.0));
    assert_eq!(
        rows["records"][0]["Typed_DateTime__c"],
        json!("2026-12-05T10:00:00.000+0000")
    );
    // What it cannot read into the type is refused like Salesforce refuses it.
    for (body, code, text) in [
        (
            json!({"Typed_Number__c": "abc"}),
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of double from VALUE_STRING value abc",
        ),
        (
            json!({"Typed_Checkbox__c": "yes"}),
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of boolean from VALUE_STRING value yes",
        ),
        (
            json!({"Typed_Date__c": "12/31/2026"}),
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of date from VALUE_STRING value 12/31/2026",
        ),
        (
            json!({"Typed_Multi__c": ["Alpha"]}),
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of multipicklist from START_ARRAY value",
        ),
        (
            json!({"Typed_Percent__c": 12345}),
            "NUMBER_OUTSIDE_VALID_RANGE",
            "value outside of valid range on numeric field",
        ),
        (
            json!({"Typed_Email__c": "badone"}),
            "INVALID_EMAIL_ADDRESS",
            "Typed Email: invalid email address: badone",
        ),
    ] {
        let (status, answer) = common::send(
            &sim,
            sim.admin_token(),
            reqwest::Method::PATCH,
            &path,
            &body,
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(common::error_code(&answer), code, "{body}: {answer}");
        assert!(
            answer[0]["message"].as_str().unwrap().contains(text),
            "{body}: {answer}"
        );
    }
}

#[tokio::test]
async fn the_dry_run_compiles_for_every_type_and_an_ill_typed_assignment_does_not() {
    let sim = start_typed().await;
    let (client, identity) = connect_as(&sim, sim.admin_token()).await;
    let before = record_of(&sim, "Case", CASE).await;
    for profile in [
        typed_profile(),
        profile::builtin("conversation-cases").unwrap(),
    ] {
        let pre = testwrite::preflight(&client, &identity, &profile, &case_id(), None)
            .await
            .unwrap();
        let dry = testwrite::dry_run(&client, &pre.plan).await.unwrap();
        assert!(
            dry.would_succeed,
            "{}: {dry:?}\n{}",
            profile.id,
            testwrite::plan::dry_run_apex(&pre.plan)
        );
    }
    assert_eq!(record_of(&sim, "Case", CASE).await, before, "rolled back");
    // A string assigned to a Number field is a compile problem, as Apex reports it.
    let apex = format!(
        "Case r = new Case(Id = '{}');\nr.Typed_Number__c = '1';\nupdate r;",
        case_id()
    );
    let q: String = url::form_urlencoded::byte_serialize(apex.as_bytes()).collect();
    let (status, body) = common::get(
        &sim,
        sim.admin_token(),
        &format!(
            "/services/data/{}/tooling/executeAnonymous/?anonymousBody={q}",
            common::V
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["compiled"], false);
    assert_eq!(
        body["compileProblem"],
        "Illegal assignment from String to Decimal"
    );
    assert_eq!(body["line"], 2);
}

/// A proxy drops a field from, or garbles it in, one of the restore's reads: the journal stays,
/// the field is named with the value to put back, and `recover` finishes.
#[tokio::test]
async fn a_read_back_that_cannot_be_interpreted_keeps_the_journal_and_names_the_field() {
    use writeback_setup::sim::server::Fault;
    // Record reads of a run: 1 originals, 2 after the write, 3 the restore's read, 4 after it.
    for (nth, replacement) in [
        (4, None),
        (3, None),
        (3, Some("{\"garbled\": true}")),
        (2, None),
    ] {
        let label = format!("read {nth}, {replacement:?}");
        let sim = start_typed().await;
        let (client, identity) = connect_as(&sim, sim.admin_token()).await;
        let profile = typed_profile();
        let before = record_of(&sim, "Case", CASE).await;
        let plan = planned(&client, &identity, &profile).await;
        let dir = temp_dir("tampered");
        sim.inject(Fault::TamperRecordRead {
            nth,
            field: "Typed_Number__c".into(),
            replacement: replacement.map(str::to_string),
        });
        let report = testwrite::run(&client, &identity, &plan, &dir, None)
            .await
            .expect("runs");
        if nth == 2 {
            // Only the after-write read lost it: the write is not proven, the restore is.
            assert!(!report.write_ok, "{label}: {report:#?}");
            assert!(
                report.restored && report.journal_deleted,
                "{label}: {report:#?}"
            );
            assert_eq!(record_of(&sim, "Case", CASE).await, before, "{label}");
            continue;
        }
        assert!(!report.restored, "{label}: {report:#?}");
        assert!(!report.journal_deleted, "{label}");
        let row = report
            .rows
            .iter()
            .find(|r| r.field == "Typed_Number__c")
            .unwrap();
        assert_eq!(row.fate, FieldFate::Unproven, "{label}");
        let left = report.left.join("\n");
        assert!(
            left.contains("Typed_Number__c is not proven back"),
            "{label}: {left}"
        );
        assert!(
            left.contains("Put back Typed_Number__c = (empty)"),
            "{label}: {left}"
        );
        assert_eq!(
            journal::pending(&dir).len(),
            1,
            "{label}: the journal stays"
        );
        let recovered = testwrite::recover_all(&client, &identity, &dir).await;
        assert!(recovered[0].journal_deleted, "{label}: {recovered:?}");
        assert_eq!(
            record_of(&sim, "Case", CASE).await,
            before,
            "{label}: recovered"
        );
    }
}

/// An original that cannot be read as its type (or is missing) is never overwritten.
#[tokio::test]
async fn an_unreadable_original_stops_the_test_before_anything_is_written() {
    use writeback_setup::sim::server::Fault;
    for replacement in [Some("[1, 2]"), None] {
        let sim = start_typed().await;
        let (client, identity) = connect_as(&sim, sim.admin_token()).await;
        let before = record_of(&sim, "Case", CASE).await;
        let plan = planned(&client, &identity, &typed_profile()).await;
        let dir = temp_dir("unreadable");
        sim.inject(Fault::TamperRecordRead {
            nth: 1,
            field: "Typed_Date__c".into(),
            replacement: replacement.map(str::to_string),
        });
        let error = testwrite::run(&client, &identity, &plan, &dir, None)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("Typed_Date__c"), "{error}");
        assert!(error.to_string().contains("nothing was written"), "{error}");
        assert_eq!(record_of(&sim, "Case", CASE).await, before);
        assert!(journal::pending(&dir).is_empty());
    }
}

/// The command says what is left and exits 3 when a read-back lacks a field.
#[tokio::test]
async fn test_write_command_exits_3_when_a_field_is_not_proven_back() {
    let sim = start_typed().await;
    let dir = temp_dir("cli-tampered");
    sim.inject(writeback_setup::sim::server::Fault::TamperRecordRead {
        nth: 4,
        field: "Typed_Date__c".into(),
        replacement: None,
    });
    let url = sim.url().to_string();
    let token = sim.admin_token().to_string();
    let profile_path = data_file("typed-fields.profile.toml");
    let data_dir = dir.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_writeback-setup"))
            .args([
                "test-write",
                "--instance-url",
                &url,
                "--access-token",
                &token,
                "--profile",
            ])
            .arg(&profile_path)
            .args(["--record", CASE, "--yes"])
            .env(journal::DATA_DIR_ENV, &data_dir)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("LEFT TO DO: Case "), "{stdout}");
    assert!(
        stdout.contains("Typed_Date__c is not proven back"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Put back Typed_Date__c = (empty)"),
        "{stdout}"
    );
    assert!(stdout.contains("the journal is kept"), "{stdout}");
    assert!(!stdout.contains("the journal is deleted"), "{stdout}");
    assert_eq!(journal::pending(&dir).len(), 1);
}

/// The permission sets of that name in the simulated org.
async fn sets_named(sim: &SimServer, name: &str) -> u64 {
    let (_, body) = common::query(
        sim,
        sim.admin_token(),
        &format!("SELECT Id FROM PermissionSet WHERE Name = '{name}'"),
        false,
    )
    .await;
    body["totalSize"].as_u64().unwrap()
}

#[tokio::test]
async fn a_temporary_access_left_by_a_closed_app_is_taken_back_on_the_next_connection() {
    use testwrite::temporary_access;
    let sim = common::start("ready").await;
    let (client, identity) = connect_as(&sim, sim.admin_token()).await;
    let profile = profile::builtin("feedback-writeback").unwrap();
    let dir = temp_dir("access");

    // Given, then the app closes before taking it back: the note stays.
    let access = temporary_access::grant(&client, &identity, &profile, "20261205170000", &dir)
        .await
        .expect("granted");
    assert!(access.permission_set_id.is_some() && access.assignment_id.is_some());
    assert_eq!(journal::pending_access(&dir).len(), 1);
    assert_eq!(sets_named(&sim, &access.permission_set_name).await, 1);

    // While a test write of this org is left to restore, the access stays (restoring needs it).
    let record = journal::Journal {
        instance_url: sim.url().to_string(),
        org_id: identity.organization_id.clone(),
        username: identity.username.clone(),
        user_id: identity.user_id.clone(),
        object: "Case".into(),
        record_id: case_id(),
        original: Default::default(),
        test_values: Default::default(),
        kinds: Default::default(),
        read_back: Default::default(),
        written_fields: Vec::new(),
        original_last_modified: None,
        written_last_modified: None,
        stage: journal::Stage::BeforeWrite,
        started_at: "2026-12-05T17:00:00Z".into(),
    };
    journal::save(&dir, &record).unwrap();
    let lines = temporary_access::recover_all(&client, &identity, &dir).await;
    assert!(lines[0].contains("stays assigned"), "{lines:?}");
    assert_eq!(sets_named(&sim, &access.permission_set_name).await, 1);

    // The record put right, the next connection takes the access back and drops the note.
    journal::remove(&dir, &record).unwrap();
    let lines = testwrite::recover_org(&client, &identity, &dir).await;
    assert!(
        lines[0].starts_with("Removed the temporary permission set"),
        "{lines:?}"
    );
    assert_eq!(sets_named(&sim, &access.permission_set_name).await, 0);
    assert!(!journal::anything_pending(&dir));

    // Asked for but never confirmed (no answer came): found by its name, then removed.
    let access = temporary_access::grant(&client, &identity, &profile, "20261205170100", &dir)
        .await
        .expect("granted");
    let unconfirmed = temporary_access::TemporaryAccess {
        permission_set_id: None,
        assignment_id: None,
        ..access.clone()
    };
    journal::save_access(&dir, &unconfirmed).unwrap();
    let lines = temporary_access::recover_all(&client, &identity, &dir).await;
    assert!(lines[0].starts_with("Removed"), "{lines:?}");
    assert_eq!(sets_named(&sim, &access.permission_set_name).await, 0);

    // Never made: only the note goes, without a word. Another org's: said and kept.
    let never = temporary_access::TemporaryAccess {
        permission_set_name: temporary_access::permission_set_name("20261205170200"),
        ..unconfirmed.clone()
    };
    journal::save_access(&dir, &never).unwrap();
    let elsewhere = temporary_access::TemporaryAccess {
        org_id: "00D000000000001AAA".into(),
        ..never.clone()
    };
    journal::save_access(&dir, &elsewhere).unwrap();
    let lines = temporary_access::recover_all(&client, &identity, &dir).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("Connect to that org"), "{lines:?}");
    assert_eq!(journal::pending_access(&dir).len(), 1);
    assert!(
        journal::pending(&dir).is_empty(),
        "record journals are read apart"
    );
}
