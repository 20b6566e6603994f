//! The readiness checks against every built-in scenario of the simulated org.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;
use writeback_setup::checks::{CheckReport, Status, Verdict};
use writeback_setup::profile;
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::salesforce::{Client, StaticToken};
use writeback_setup::sim::server::SimServer;

const INTEGRATION: &str = "integration@acme.example";

async fn check_with(
    sim: &SimServer,
    profile_id: &str,
    user: Option<&str>,
    record: Option<&str>,
) -> CheckReport {
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
        .await
        .expect("connects");
    let request = CheckRequest {
        profile: profile::builtin(profile_id).expect("built-in profile"),
        integration_user: user.map(str::to_string),
        record_id: record.map(|r| writeback_setup::sfid::to_18(r).expect("valid id")),
    };
    readiness::run(&client, &request, &|_| {})
        .await
        .expect("checks run")
}

async fn check(scenario: &str) -> CheckReport {
    let sim = common::start(scenario).await;
    check_with(&sim, profile::DEFAULT_PROFILE, Some(INTEGRATION), None).await
}

fn with_status(report: &CheckReport, status: Status) -> BTreeSet<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == status)
        .map(|c| c.id.to_string())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn ready_org_passes_every_check() {
    let report = check("ready").await;
    assert_eq!(report.verdict, Verdict::Ready);
    for c in &report.checks {
        let expected = if c.id == "user.record_access" {
            Status::Skipped
        } else if c.id == "automation.object" {
            // Its validation rule rejects updates to closed Cases without a reason: a risk on
            // some records, said as a warning.
            Status::Warn
        } else {
            Status::Pass
        };
        assert_eq!(c.status, expected, "{}: {} - {}", c.id, c.title, c.detail);
    }
    let automation = report
        .checks
        .iter()
        .find(|c| c.id == "automation.object")
        .unwrap();
    assert!(
        automation.detail.contains("Closed_Cases_Need_Reason"),
        "{}",
        automation.detail
    );
    let ids: BTreeSet<String> = report.checks.iter().map(|c| c.id.to_string()).collect();
    for id in [
        "org.api_access",
        "org.api_budget",
        "fields.exist",
        "fields.types",
        "fields.picklist",
        "app.found",
        "app.scopes",
        "app.policy",
        "user.found",
        "user.api_enabled",
        "user.object_access",
        "user.field_access",
        "user.record_access",
        "reauth.token",
        "automation.object",
    ] {
        assert!(ids.contains(id), "missing check {id}");
    }
    assert_eq!(report.org.name, "Acme Corp");
    assert_eq!(report.org.edition, "Enterprise Edition");
}

/// Each failing scenario fails exactly the checks it is about, with an explanation and a fix.
#[tokio::test]
async fn each_scenario_fails_exactly_its_checks() {
    let table: &[(&str, &[&str])] = &[
        ("fields-missing", &["fields.exist"]),
        ("field-wrong-type", &["fields.types"]),
        ("restricted-picklist", &["fields.picklist"]),
        ("no-field-edit", &["user.field_access"]),
        ("no-object-edit", &["user.object_access"]),
        ("user-inactive", &["user.found"]),
        ("user-no-api", &["user.api_enabled"]),
        ("app-missing", &["app.found"]),
        ("app-missing-api-scope", &["app.scopes"]),
        ("not-reauthorized", &["reauth.token"]),
        ("validation-rule-blocks", &["automation.object"]),
        ("api-disabled", &["org.api_access"]),
        ("api-budget-low", &["org.api_budget"]),
        // Issue 13's expert situations.
        (
            "integration-psl-missing",
            &["user.object_access", "user.field_access"],
        ),
        ("muted-edit", &["user.object_access"]),
        ("user-frozen", &["user.found"]),
        ("inactive-picklist-value", &["fields.picklist"]),
        ("read-only-field", &["fields.types", "user.field_access"]),
        ("validation-formula-blocks", &["automation.object"]),
        (
            "expired-assignment",
            &["user.object_access", "user.field_access"],
        ),
        (
            "session-activation-required",
            &["user.object_access", "user.field_access"],
        ),
        (
            "fresh",
            &[
                "fields.exist",
                "app.scopes",
                "user.object_access",
                "reauth.token",
            ],
        ),
    ];
    for (scenario, expected) in table {
        let report = check(scenario).await;
        assert_eq!(
            with_status(&report, Status::Fail),
            set(expected),
            "{scenario}: failing checks"
        );
        assert_eq!(report.verdict, Verdict::NotReady, "{scenario}");
        for c in report.checks.iter().filter(|c| c.status == Status::Fail) {
            assert!(!c.detail.is_empty(), "{scenario} {}: no explanation", c.id);
            assert!(
                c.fix.as_deref().is_some_and(|f| !f.is_empty()),
                "{scenario} {}: no fix",
                c.id
            );
            assert!(
                c.setup_path
                    .as_deref()
                    .is_some_and(|p| p.starts_with("/lightning/setup/")),
                "{scenario} {}: no Setup page",
                c.id
            );
        }
        if *scenario != "api-disabled" {
            assert!(
                with_status(&report, Status::Unknown).is_empty(),
                "{scenario}: unknown {:?}",
                with_status(&report, Status::Unknown)
            );
        }
    }
}

#[tokio::test]
async fn explanations_name_the_cause_and_the_fix() {
    let report = check("restricted-picklist").await;
    let picklist = report
        .checks
        .iter()
        .find(|c| c.id == "fields.picklist")
        .unwrap();
    assert!(picklist.detail.contains("Neutral"), "{}", picklist.detail);
    assert!(picklist.fix.as_deref().unwrap().contains("Text(255)"));

    let report = check("field-wrong-type").await;
    let types = report
        .checks
        .iter()
        .find(|c| c.id == "fields.types")
        .unwrap();
    assert!(
        types.detail.contains("Enterpret_Summary__c is Text"),
        "{}",
        types.detail
    );
    assert!(
        types.detail.contains("Long Text Area of at least 32,768"),
        "{}",
        types.detail
    );

    let report = check("no-field-edit").await;
    let access = report
        .checks
        .iter()
        .find(|c| c.id == "user.field_access")
        .unwrap();
    assert!(access.detail.contains("read-only"), "{}", access.detail);

    let report = check("ready").await;
    let object = report
        .checks
        .iter()
        .find(|c| c.id == "user.object_access")
        .unwrap();
    assert_eq!(
        object.granted_by,
        vec!["permission set Enterpret Integration".to_string()]
    );
    let fields = report
        .checks
        .iter()
        .find(|c| c.id == "user.field_access")
        .unwrap();
    assert!(
        fields
            .granted_by
            .iter()
            .all(|g| g.ends_with("permission set Enterpret Integration")),
        "{:?}",
        fields.granted_by
    );
    let automation = report
        .checks
        .iter()
        .find(|c| c.id == "automation.object")
        .unwrap();
    assert!(
        automation
            .evidence
            .iter()
            .any(|e| e.contains("CaseMilestoneTrigger")),
        "{:?}",
        automation.evidence
    );

    let report = check("not-reauthorized").await;
    let reauth = report
        .checks
        .iter()
        .find(|c| c.id == "reauth.token")
        .unwrap();
    assert!(
        reauth.detail.contains("2025-02-03") && reauth.detail.contains("2026-11-18"),
        "{}",
        reauth.detail
    );
}

#[tokio::test]
async fn a_full_check_costs_four_api_calls_plus_one_per_25_validation_rules() {
    for scenario in ["ready", "large-org"] {
        let sim = common::start(scenario).await;
        let (_, rules) = common::query(
            &sim,
            sim.admin_token(),
            "SELECT Id FROM ValidationRule WHERE EntityDefinition.QualifiedApiName = 'Case' AND Active = true",
            true,
        )
        .await;
        let rules = rules["totalSize"].as_u64().unwrap_or(0);
        let (used_before, _) = sim.api_usage();
        let report = check_with(
            &sim,
            profile::DEFAULT_PROFILE,
            Some(INTEGRATION),
            Some("5005g00000AbCdE"),
        )
        .await;
        let (used_after, _) = sim.api_usage();
        // A standard composite, a Tooling composite and listMetadata; then readMetadata and
        // the rules' formulas (a Tooling composite per 25 rules).
        let budget = 4 + rules.div_ceil(25);
        assert!(
            report.round_trips <= budget,
            "{scenario}: {} requests for {rules} rules",
            report.round_trips
        );
        assert!(
            report.api_calls <= budget,
            "{scenario}: {} API calls for {rules} rules",
            report.api_calls
        );
        assert_eq!(
            used_after - used_before,
            report.api_calls,
            "{scenario}: the org counted the same calls"
        );
        assert_eq!(
            report.verdict,
            Verdict::Ready,
            "{scenario}: {:#?}",
            report
                .checks
                .iter()
                .filter(|c| c.status != Status::Pass)
                .collect::<Vec<_>>()
        );
        let record = report
            .checks
            .iter()
            .find(|c| c.id == "user.record_access")
            .unwrap();
        assert_eq!(record.status, Status::Pass, "{}", record.detail);
    }
}

#[tokio::test]
async fn record_the_user_may_not_edit_fails_record_access() {
    let text = r#"
extends = "ready"
name = "locked-case"
[[records.Case]]
Subject = "Locked by approval"
locked = true
"#;
    let scenario = writeback_setup::sim::scenario::load_str("locked", text).unwrap();
    let sim = SimServer::start(&scenario, Default::default())
        .await
        .unwrap();
    let id = sim.with_org(|org| {
        org.table("Case")
            .iter()
            .find(|r| r.get("Subject").and_then(|v| v.as_str()) == Some("Locked by approval"))
            .and_then(|r| r.get("Id").and_then(|v| v.as_str()).map(str::to_string))
            .unwrap()
    });
    let report = check_with(&sim, profile::DEFAULT_PROFILE, Some(INTEGRATION), Some(&id)).await;
    let record = report
        .checks
        .iter()
        .find(|c| c.id == "user.record_access")
        .unwrap();
    assert_eq!(record.status, Status::Fail, "{}", record.detail);
    assert!(record.detail.contains("Read"), "{}", record.detail);
}

#[tokio::test]
async fn without_an_integration_user_candidates_are_proposed() {
    let sim = common::start("ready").await;
    let report = check_with(&sim, profile::DEFAULT_PROFILE, None, None).await;
    assert_eq!(report.verdict, Verdict::Incomplete);
    assert!(
        report.candidates.contains(&INTEGRATION.to_string()),
        "{:?}",
        report.candidates
    );
    for id in [
        "user.found",
        "user.api_enabled",
        "user.object_access",
        "user.field_access",
        "reauth.token",
    ] {
        let c = report.checks.iter().find(|c| c.id == id).unwrap();
        assert_eq!(c.status, Status::Unknown, "{id}");
    }
    let found = report.checks.iter().find(|c| c.id == "user.found").unwrap();
    assert!(found.detail.contains(INTEGRATION), "{}", found.detail);
}

#[tokio::test]
async fn unknown_user_fails_user_found() {
    let sim = common::start("ready").await;
    let report = check_with(
        &sim,
        profile::DEFAULT_PROFILE,
        Some("nobody@acme.example"),
        None,
    )
    .await;
    assert_eq!(with_status(&report, Status::Fail), set(&["user.found"]));
}

#[tokio::test]
async fn expired_and_session_only_grants_do_not_count() {
    let text = r#"
extends = "ready"
name = "grants-that-do-not-count"
[[permission_sets]]
name = "Enterpret_Integration"
session_activation_required = true
[[permission_sets]]
name = "Old_Grant"
license = "SalesforceAPIIntegrationPsl"
api_enabled = true
object_permissions = [{ object = "Case", read = true, edit = true }]
[[users]]
username = "integration@acme.example"
permission_sets = [{ name = "Enterpret_Integration" }, { name = "Old_Grant", expires = "2026-01-01T00:00:00Z" }]
"#;
    let scenario = writeback_setup::sim::scenario::load_str("grants", text).unwrap();
    let sim = SimServer::start(&scenario, Default::default())
        .await
        .unwrap();
    let report = check_with(&sim, profile::DEFAULT_PROFILE, Some(INTEGRATION), None).await;
    let object = report
        .checks
        .iter()
        .find(|c| c.id == "user.object_access")
        .unwrap();
    assert_eq!(object.status, Status::Fail, "{}", object.detail);
    assert!(
        object.detail.contains("expired") && object.detail.contains("session activation"),
        "{}",
        object.detail
    );
}

#[tokio::test]
async fn permission_set_groups_name_the_group() {
    let text = r#"
extends = "ready"
name = "via-group"
[[permission_set_groups]]
name = "Integrations"
label = "Integrations"
permission_sets = ["Enterpret_Integration"]
[[users]]
username = "integration@acme.example"
permission_sets = []
permission_set_groups = ["Integrations"]
"#;
    let scenario = writeback_setup::sim::scenario::load_str("group", text).unwrap();
    let sim = SimServer::start(&scenario, Default::default())
        .await
        .unwrap();
    let report = check_with(&sim, profile::DEFAULT_PROFILE, Some(INTEGRATION), None).await;
    let object = report
        .checks
        .iter()
        .find(|c| c.id == "user.object_access")
        .unwrap();
    assert_eq!(object.status, Status::Pass, "{}", object.detail);
    assert!(
        object
            .granted_by
            .iter()
            .any(|g| g == "permission set group Integrations"),
        "{:?}",
        object.granted_by
    );
}

#[tokio::test]
async fn admin_without_metadata_access_gets_manual_confirmation() {
    // The agent may query but not read Connected App settings.
    let sim = common::start("ready").await;
    let token = sim
        .token_for("agent@acme.example", "Salesforce CLI", &["api"])
        .unwrap();
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(token)))
        .await
        .unwrap();
    let request = CheckRequest {
        profile: profile::builtin(profile::DEFAULT_PROFILE).unwrap(),
        integration_user: Some(INTEGRATION.into()),
        record_id: None,
    };
    let report = readiness::run(&client, &request, &|_| {}).await.unwrap();
    let scopes = report.checks.iter().find(|c| c.id == "app.scopes").unwrap();
    assert_eq!(scopes.status, Status::Unknown);
    assert!(
        scopes
            .fix
            .as_deref()
            .unwrap()
            .starts_with("Confirm manually"),
        "{:?}",
        scopes.fix
    );
    assert_eq!(report.verdict, Verdict::Incomplete);
}

#[tokio::test]
async fn other_profiles_run_their_own_checks() {
    let sim = common::start("ready").await;
    let report = check_with(&sim, "survey-responses", Some(INTEGRATION), None).await;
    let ids: BTreeSet<String> = report.checks.iter().map(|c| c.id.to_string()).collect();
    assert!(
        ids.contains("object.lookup_field") && ids.contains("object.required_fields"),
        "{ids:?}"
    );
    // The demo org has none of the survey fields.
    assert!(with_status(&report, Status::Fail).contains("fields.exist"));

    let report = check_with(&sim, "conversation-cases", Some(INTEGRATION), None).await;
    let failing = with_status(&report, Status::Fail);
    assert!(
        failing.contains("package.installed") && failing.contains("object.record_type"),
        "{failing:?}"
    );
}

/// The engine's side of "never a wrong READY": on the `ready` org (READY as read), every answer
/// the checks fetch, dropped, failed, or replaced by something that is not a JSON object (what
/// the `evaluate` fuzz target found first: a failed assignment-rule query still gave READY)
/// makes the verdict anything but READY.
#[tokio::test]
async fn a_missing_failed_or_malformed_answer_is_never_ready() {
    use writeback_setup::checks::{evaluate, FetchError, Inputs, LoggedIn};
    let sim = common::start("ready").await;
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
        .await
        .expect("connects");
    let identity = client.identity().await.expect("identity");
    let request = CheckRequest {
        profile: profile::builtin(profile::DEFAULT_PROFILE).expect("built-in profile"),
        integration_user: Some(INTEGRATION.into()),
        record_id: Some(writeback_setup::sfid::to_18("5005g00000AbCdE").expect("valid id")),
    };
    let inputs = Inputs {
        integration_user: request.integration_user.clone(),
        record_id: request.record_id.clone(),
        logged_in: LoggedIn {
            user_id: identity.user_id.clone(),
            username: identity.username.clone(),
            org_id: identity.organization_id.clone(),
        },
        now: chrono::Utc::now().to_rfc3339(),
    };
    let gathered = readiness::gather(&client, &inputs, &request, &|_| {})
        .await
        .expect("the org answers");
    let verdict = |g: &writeback_setup::checks::Gathered| {
        Verdict::of(&evaluate(&request.profile, &inputs, g).findings)
    };
    assert_eq!(verdict(&gathered), Verdict::Ready, "the baseline is READY");
    let failed = || FetchError {
        code: "INSUFFICIENT_ACCESS".into(),
        message: "refused".into(),
    };
    let mut problems = Vec::new();
    for key in gathered.answers.keys() {
        let mut changes: Vec<(&str, writeback_setup::checks::Gathered)> = Vec::new();
        let mut dropped = gathered.clone();
        dropped.answers.remove(key);
        changes.push(("dropped", dropped));
        let mut refused = gathered.clone();
        refused.answers.insert(key.clone(), Err(failed()));
        changes.push(("failed", refused));
        for (name, value) in [
            ("null", serde_json::Value::Null),
            ("a list", serde_json::json!([])),
            ("a string", serde_json::json!("<html>")),
        ] {
            let mut garbled = gathered.clone();
            garbled.answers.insert(key.clone(), Ok(value));
            changes.push((name, garbled));
        }
        for (what, changed) in changes {
            if verdict(&changed) == Verdict::Ready {
                problems.push(format!("{key} {what}"));
            }
        }
    }
    for (what, change) in [
        ("app listing dropped", {
            let mut g = gathered.clone();
            g.app_listings = None;
            g
        }),
        ("app listing failed", {
            let mut g = gathered.clone();
            g.app_listings = Some(Err(failed()));
            g
        }),
        ("app settings dropped", {
            let mut g = gathered.clone();
            g.app_settings = None;
            g
        }),
        ("app settings failed", {
            let mut g = gathered.clone();
            g.app_settings = Some(Err(failed()));
            g
        }),
    ] {
        if verdict(&change) == Verdict::Ready {
            problems.push(what.to_string());
        }
    }
    assert!(problems.is_empty(), "READY despite: {problems:?}");
}

/// The expert situations that are not one failing check of the default profile: each says what
/// an expert would, with the reason and the fix in the check itself.
#[tokio::test]
async fn expert_situations_say_what_really_blocks_the_write() {
    let find = |report: &CheckReport, id: &str| {
        report
            .checks
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}"))
    };
    // Private sharing: the chosen record is not editable, and the org-wide default says why.
    let sim = common::start("private-sharing").await;
    let report = check_with(
        &sim,
        profile::DEFAULT_PROFILE,
        Some(INTEGRATION),
        Some("5005g00000AbCdE"),
    )
    .await;
    let record = find(&report, "user.record_access");
    assert_eq!(record.status, Status::Fail, "{}", record.detail);
    assert!(
        record.detail.contains("org-wide default is Private"),
        "{}",
        record.detail
    );
    assert!(record.fix.as_deref().unwrap_or("").contains("sharing rule"));
    assert_eq!(report.verdict, Verdict::NotReady);
    // A blocking duplicate rule on Contact: the survey write-back fails.
    let sim = common::start("duplicate-rule-blocks").await;
    let report = check_with(&sim, "survey-responses", Some(INTEGRATION), None).await;
    let automation = find(&report, "automation.object");
    assert_eq!(automation.status, Status::Fail, "{}", automation.detail);
    assert!(
        automation.detail.contains("Action on Edit: Block"),
        "{}",
        automation.detail
    );
    // The full scope alone issues no refresh token: a warning, not a failure.
    let report = check("full-scope-only").await;
    let scopes = find(&report, "app.scopes");
    assert_eq!(scopes.status, Status::Warn, "{}", scopes.detail);
    assert!(
        scopes.detail.contains("no refresh token"),
        "{}",
        scopes.detail
    );
    // External Client App settings guarded: the app is not "missing", it cannot be checked.
    let report = check("eca-settings-guarded").await;
    assert_eq!(find(&report, "app.found").status, Status::Unknown);
    assert_eq!(report.verdict, Verdict::Incomplete);
    // Concurrent long-running requests refused: not "budget spent" while the quota has room.
    let report = check("concurrent-limit").await;
    let budget = find(&report, "org.api_budget");
    assert_ne!(budget.status, Status::Fail, "{}", budget.detail);
    assert_ne!(report.verdict, Verdict::Ready);
    // The validation rule is judged by its formula: it names the field it tests.
    let report = check("validation-formula-blocks").await;
    let automation = find(&report, "automation.object");
    assert!(
        automation.detail.contains("Enterpret_Sentiment__c"),
        "{}",
        automation.detail
    );
    // A missing permission set licence is the failing check's own reason, with its fix.
    let report = check("integration-psl-missing").await;
    let object = find(&report, "user.object_access");
    assert!(
        object.detail.contains("permission set licence"),
        "{}",
        object.detail
    );
    assert!(
        object
            .fix
            .as_deref()
            .unwrap_or("")
            .contains("Permission Set License Assignments"),
        "{:?}",
        object.fix
    );
    // The licence is known only by Id; for an Integration-licence user the usual one is named.
    assert!(
        object
            .fix
            .as_deref()
            .unwrap_or("")
            .contains("usually Salesforce API Integration"),
        "{:?}",
        object.fix
    );
}

/// A check run with another user's login (a delegated admin), not the scenario's admin.
async fn check_as(sim: &SimServer, username: &str) -> CheckReport {
    let token = sim
        .token_for(username, "Workbench", &["api"])
        .expect("user exists");
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(&token)))
        .await
        .expect("connects");
    let request = CheckRequest {
        profile: profile::builtin(profile::DEFAULT_PROFILE).expect("built-in profile"),
        integration_user: Some(INTEGRATION.to_string()),
        record_id: None,
    };
    readiness::run(&client, &request, &|_| {})
        .await
        .expect("checks run")
}

#[tokio::test]
async fn without_customize_application_the_tokens_you_cannot_see_are_unknown_not_missing() {
    // A delegated admin reads Setup, users and metadata (Modify All Data), but without
    // Customize Application sees only their own OAuth tokens.
    let text = r#"
extends = "ready"
name = "delegated-admin"
[[profiles]]
name = "Delegated Admin"
user_license = "Salesforce"
api_enabled = true
view_setup = true
manage_users = true
modify_all_data = true
object_permissions = [{ object = "Case", read = true, edit = true }]
field_permissions = [
  { field = "Case.Enterpret_Summary__c", read = true },
  { field = "Case.Enterpret_Sentiment__c", read = true },
  { field = "Case.Enterpret_Taxonomy_Paths__c", read = true },
]
[[users]]
username = "delegate@acme.example"
name = "Dee Delegate"
profile = "Delegated Admin"
"#;
    let scenario = writeback_setup::sim::scenario::load_str("delegated", text).unwrap();
    let sim = SimServer::start(&scenario, Default::default())
        .await
        .unwrap();
    let report = check_as(&sim, "delegate@acme.example").await;
    let reauth = report
        .checks
        .iter()
        .find(|c| c.id == "reauth.token")
        .unwrap();
    // The token answer showed nothing, so the second round asked whether you have Customize
    // Application (and you do not): unknown with that reason, never "never authorized".
    assert_eq!(reauth.status, Status::Unknown, "{}", reauth.detail);
    assert!(
        reauth.detail.contains("lack Customize Application"),
        "{}",
        reauth.detail
    );
    assert_ne!(report.verdict, Verdict::Ready);

    // The scenario's admin sees the integration user's token: nothing more is asked, and the
    // check stays within its budget (one rule: 4 + 1).
    let report = check_with(&sim, profile::DEFAULT_PROFILE, Some(INTEGRATION), None).await;
    assert_eq!(report.verdict, Verdict::Ready);
    assert_eq!(report.api_calls, 5);
}

#[tokio::test]
async fn a_picklist_hidden_from_you_is_judged_from_its_metadata_and_global_value_set() {
    // The admin's profile has no access to the Sentiment field: the describe does not list it.
    let text = r#"
extends = "inactive-picklist-value"
name = "hidden-picklist"
[[profiles]]
name = "System Administrator"
field_permissions = [
  { field = "Case.Enterpret_Summary__c", read = true, edit = true },
  { field = "Case.Enterpret_Sentiment__c", read = false, edit = false },
  { field = "Case.Enterpret_Taxonomy_Paths__c", read = true, edit = true },
]
"#;
    let scenario = writeback_setup::sim::scenario::load_str("hidden", text).unwrap();
    let sim = SimServer::start(&scenario, Default::default())
        .await
        .unwrap();
    let report = check_with(&sim, profile::DEFAULT_PROFILE, Some(INTEGRATION), None).await;
    let exist = report
        .checks
        .iter()
        .find(|c| c.id == "fields.exist")
        .unwrap();
    assert_eq!(exist.status, Status::Pass, "{}", exist.detail);
    let picklist = report
        .checks
        .iter()
        .find(|c| c.id == "fields.picklist")
        .unwrap();
    assert_eq!(picklist.status, Status::Fail, "{}", picklist.detail);
    assert!(
        picklist
            .evidence
            .iter()
            .any(|e| e.contains("Enterpret_Sentiments")),
        "{:?}",
        picklist.evidence
    );
    // Its metadata came with the rule's formula; its global value set in a third round.
    assert_eq!(report.api_calls, 6, "{}", report.api_calls);
}
