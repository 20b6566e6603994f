//! Guided fixes against the simulated org: the plan on `fresh`, applying it, idempotence, undo,
//! and the Salesforce DX export's XML shapes.

use crate::common;

use std::sync::Arc;
use writeback_setup::checks::{CheckReport, Status, Step};
use writeback_setup::fix::{self, metadata, ChangeKind, Outcome};
use writeback_setup::profile;
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::salesforce::{Client, Identity, StaticToken};
use writeback_setup::sim::server::SimServer;

const USER: &str = "integration@acme.example";

async fn connect(sim: &SimServer) -> (Client, Identity) {
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
        .await
        .expect("connects");
    let identity = client.identity().await.expect("identity");
    (client, identity)
}

async fn check(client: &Client, identity: &Identity) -> CheckReport {
    let request = CheckRequest {
        profile: profile::builtin("feedback-writeback").unwrap(),
        integration_user: Some(USER.into()),
        record_id: None,
    };
    readiness::run_as(client, identity, &request, &|_| {})
        .await
        .expect("check runs")
}

fn failing(report: &CheckReport) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
        .map(|f| f.id.to_string())
        .collect()
}

async fn plan_of(client: &Client, report: &CheckReport) -> fix::FixPlan {
    let profile = profile::builtin("feedback-writeback").unwrap();
    fix::plan_for(client, &profile, Some(USER), &report.checks)
        .await
        .expect("plan")
}

#[tokio::test]
async fn fresh_plan_creates_fields_set_grants_and_assignment() {
    let sim = common::start("fresh").await;
    let (client, identity) = connect(&sim).await;
    let report = check(&client, &identity).await;
    let plan = plan_of(&client, &report).await;
    let kinds: Vec<ChangeKind> = plan.changes.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ChangeKind::CreateField)
            .count(),
        3
    );
    assert!(kinds.contains(&ChangeKind::CreatePermissionSet));
    assert!(kinds.contains(&ChangeKind::GrantObject));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ChangeKind::GrantField)
            .count(),
        3
    );
    assert_eq!(kinds.last(), Some(&ChangeKind::AssignPermissionSet));
    // The field is created with the profile's type and length.
    let summary = plan
        .changes
        .iter()
        .find(|c| c.call.body["FullName"] == "Case.Enterpret_Summary__c")
        .expect("summary field change");
    assert_eq!(summary.call.body["Metadata"]["type"], "LongTextArea");
    assert_eq!(summary.call.body["Metadata"]["length"], 32768);
    // Least privilege: Read + Edit, nothing more.
    let object = plan
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::GrantObject)
        .unwrap();
    assert_eq!(object.call.body["PermissionsRead"], true);
    assert_eq!(object.call.body["PermissionsEdit"], true);
    assert!(object.call.body.get("PermissionsDelete").is_none());
    assert!(object
        .call
        .body
        .get("PermissionsModifyAllRecords")
        .is_none());
    // The Integration-licence user's set carries the API Integration licence.
    let set = plan
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::CreatePermissionSet)
        .unwrap();
    assert!(set.call.body.get("LicenseId").is_some());
    // Setup-only things become instructions with a Setup page.
    let scopes = plan
        .instructions
        .iter()
        .find(|i| i.finding_id == "app.scopes")
        .expect("app scope instruction");
    assert!(scopes.setup_path.is_some());
    assert!(plan
        .instructions
        .iter()
        .any(|i| i.step == Step::Reauthorize));
    // The preview shows every change as its API call.
    let preview = fix::apply::preview(&plan, client.api_version());
    assert!(preview.iter().any(
        |(_, call)| call.starts_with("POST /services/data/v66.0/tooling/sobjects/CustomField")
    ));
}

#[tokio::test]
async fn fix_then_check_leaves_only_setup_work_and_twice_is_harmless() {
    let sim = common::start("fresh").await;
    let (client, identity) = connect(&sim).await;
    let report = check(&client, &identity).await;
    let plan = plan_of(&client, &report).await;
    let before = client.stats().api_calls;
    let applied = fix::apply(&client, &plan, &identity.organization_id, &|_| {})
        .await
        .expect("applies");
    assert!(applied.all_ok(), "{:#?}", applied.results);
    assert_eq!(applied.results.len(), plan.changes.len());
    assert_eq!(
        client.stats().api_calls - before,
        2,
        "one Tooling and one standard composite"
    );
    let after = check(&client, &identity).await;
    let left = failing(&after);
    assert!(
        left.iter()
            .all(|id| id.starts_with("app.") || id.starts_with("reauth.")),
        "only admin-in-Setup work is left: {left:?}"
    );
    assert!(
        !left.is_empty(),
        "the app scope and re-authorization remain"
    );

    // Planning again finds nothing to change.
    let again = plan_of(&client, &after).await;
    assert!(again.changes.is_empty(), "{:#?}", again.changes);
    // Applying the old plan again: every change is success ("already exists").
    let twice = fix::apply(&client, &plan, &identity.organization_id, &|_| {})
        .await
        .expect("applies again");
    assert!(twice.all_ok(), "{:#?}", twice.results);
    assert!(twice
        .results
        .iter()
        .any(|r| matches!(r.outcome, Outcome::AlreadyDone { .. })));
    assert!(twice.created.is_empty(), "{:?}", twice.created);
    assert_eq!(failing(&check(&client, &identity).await), left);
}

#[tokio::test]
async fn undo_removes_the_assignment_and_set_but_never_the_fields() {
    let sim = common::start("fresh").await;
    let (client, identity) = connect(&sim).await;
    let report = check(&client, &identity).await;
    let plan = plan_of(&client, &report).await;
    let applied = fix::apply(&client, &plan, &identity.organization_id, &|_| {})
        .await
        .unwrap();
    assert!(applied.created.permission_set.is_some());
    assert!(applied.created.assignment.is_some());
    let undone = fix::undo(&client, &applied.created).await.expect("undo");
    assert!(undone.iter().all(|r| r.outcome.ok()), "{undone:#?}");
    let note = applied.created.field_note().expect("fields are explained");
    assert!(note.contains("Enterpret_Summary__c"));
    let after = check(&client, &identity).await;
    let left = failing(&after);
    assert!(left.contains(&"user.object_access".to_string()), "{left:?}");
    assert!(
        !left.contains(&"fields.exist".to_string()),
        "fields stay: {left:?}"
    );
    let sets = common::query(
        &sim,
        sim.admin_token(),
        "SELECT Id FROM PermissionSet WHERE Name = 'Enterpret_Integration'",
        false,
    )
    .await;
    assert_eq!(sets.1["totalSize"], 0);
    // Undo twice is harmless.
    let again = fix::undo(&client, &applied.created).await.unwrap();
    assert!(again.iter().all(|r| r.outcome.ok()), "{again:#?}");
}

#[tokio::test]
async fn no_field_edit_plan_extends_the_existing_set() {
    let sim = common::start("no-field-edit").await;
    let (client, identity) = connect(&sim).await;
    let report = check(&client, &identity).await;
    let plan = plan_of(&client, &report).await;
    assert!(plan
        .changes
        .iter()
        .all(|c| c.kind == ChangeKind::GrantField && c.call.method == "PATCH"));
    assert_eq!(plan.changes.len(), 3);
    let applied = fix::apply(&client, &plan, &identity.organization_id, &|_| {})
        .await
        .unwrap();
    assert!(applied.all_ok());
    assert!(!failing(&check(&client, &identity).await).contains(&"user.field_access".to_string()));
    // Undo puts the rows back as they were (read-only).
    fix::undo(&client, &applied.created).await.unwrap();
    assert!(failing(&check(&client, &identity).await).contains(&"user.field_access".to_string()));
}

#[tokio::test]
async fn ready_org_needs_no_change() {
    let sim = common::start("ready").await;
    let (client, identity) = connect(&sim).await;
    let report = check(&client, &identity).await;
    let plan = plan_of(&client, &report).await;
    assert!(plan.is_empty());
    assert!(plan.instructions.is_empty());
}

// ---- export -------------------------------------------------------------------------------

fn child_names(node: &writeback_setup::xml::Node) -> Vec<String> {
    node.children.iter().map(|c| c.name.clone()).collect()
}

#[tokio::test]
async fn export_of_the_fresh_plan_is_metadata_api_source() {
    let sim = common::start("fresh").await;
    let (client, identity) = connect(&sim).await;
    let report = check(&client, &identity).await;
    let plan = plan_of(&client, &report).await;
    let files = metadata::export_plan(&plan, "66.0").expect("exports");
    let paths: Vec<String> = files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    assert!(paths.contains(&"package.xml".to_string()));
    assert!(paths.contains(
        &"force-app/main/default/objects/Case/fields/Enterpret_Summary__c.field-meta.xml"
            .to_string()
    ));
    assert!(paths.contains(
        &"force-app/main/default/permissionsets/Enterpret_Integration.permissionset-meta.xml"
            .to_string()
    ));
    for file in &files {
        if !file.path.to_string_lossy().ends_with(".xml") {
            continue;
        }
        assert!(file
            .text
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        assert!(file
            .text
            .contains("xmlns=\"http://soap.sforce.com/2006/04/metadata\""));
        writeback_setup::xml::parse(&file.text).expect("well-formed XML");
    }
    let text = |suffix: &str| {
        files
            .iter()
            .find(|f| f.path.to_string_lossy().ends_with(suffix))
            .unwrap()
            .text
            .clone()
    };
    let package = writeback_setup::xml::parse(&text("package.xml")).unwrap();
    assert_eq!(package.name, "Package");
    let types: Vec<_> = package.children_named("types").collect();
    assert_eq!(types.len(), 2);
    assert_eq!(types[0].child_text("name").as_deref(), Some("CustomField"));
    assert_eq!(
        child_names(types[0]),
        ["members", "members", "members", "name"]
    );
    assert_eq!(
        types[1].child_text("name").as_deref(),
        Some("PermissionSet")
    );
    assert_eq!(package.child_text("version").as_deref(), Some("66.0"));
    assert_eq!(
        child_names(&package).last().map(String::as_str),
        Some("version")
    );

    let field = writeback_setup::xml::parse(&text("Enterpret_Summary__c.field-meta.xml")).unwrap();
    assert_eq!(field.name, "CustomField");
    let names = child_names(&field);
    assert_eq!(names[0], "fullName");
    let mut sorted = names[1..].to_vec();
    sorted.sort();
    assert_eq!(names[1..], sorted[..], "fullName, then alphabetical");
    assert_eq!(
        field.child_text("fullName").as_deref(),
        Some("Enterpret_Summary__c")
    );
    assert_eq!(field.child_text("type").as_deref(), Some("LongTextArea"));
    assert_eq!(field.child_text("length").as_deref(), Some("32768"));
    assert!(field.child_text("visibleLines").is_some());

    let set =
        writeback_setup::xml::parse(&text("Enterpret_Integration.permissionset-meta.xml")).unwrap();
    assert_eq!(set.name, "PermissionSet");
    let names = child_names(&set);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        names, sorted,
        "PermissionSet elements in Metadata API order"
    );
    let object = set.child("objectPermissions").unwrap();
    assert_eq!(
        child_names(object),
        [
            "allowCreate",
            "allowDelete",
            "allowEdit",
            "allowRead",
            "modifyAllRecords",
            "object",
            "viewAllRecords"
        ]
    );
    assert_eq!(object.child_text("allowEdit").as_deref(), Some("true"));
    assert_eq!(object.child_text("allowDelete").as_deref(), Some("false"));
    let fields: Vec<_> = set.children_named("fieldPermissions").collect();
    assert_eq!(fields.len(), 3);
    assert_eq!(child_names(fields[0]), ["editable", "field", "readable"]);
    assert_eq!(
        set.child_text("license").as_deref(),
        Some("SalesforceAPIIntegrationPsl")
    );
}

#[test]
fn export_of_a_profile_escapes_text_and_lists_picklist_values() {
    let mut profile = profile::builtin("feedback-writeback").unwrap();
    profile.fields[1].field_type = writeback_setup::profile::FieldType::Picklist;
    profile.fields[0].description = "Summary <of> \"feedback\" & more".into();
    let files = metadata::export_profile(&profile, false, "66.0").unwrap();
    let sentiment = files
        .iter()
        .find(|f| f.path.ends_with("Enterpret_Sentiment__c.field-meta.xml"))
        .unwrap();
    let node = writeback_setup::xml::parse(&sentiment.text).unwrap();
    let value_set = node.child("valueSet").expect("valueSet");
    assert_eq!(child_names(value_set), ["restricted", "valueSetDefinition"]);
    let values: Vec<String> = value_set
        .child("valueSetDefinition")
        .unwrap()
        .children_named("value")
        .filter_map(|v| v.child_text("fullName"))
        .collect();
    assert_eq!(values, ["Positive", "Negative", "Neutral"]);
    let summary = files
        .iter()
        .find(|f| f.path.ends_with("Enterpret_Summary__c.field-meta.xml"))
        .unwrap();
    assert!(summary
        .text
        .contains("Summary &lt;of&gt; &quot;feedback&quot; &amp; more"));
    let parsed = writeback_setup::xml::parse(&summary.text).unwrap();
    assert_eq!(
        parsed.child_text("description").as_deref(),
        Some("Summary <of> \"feedback\" & more")
    );
    let set = files
        .iter()
        .find(|f| f.path.to_string_lossy().contains("permissionsets/"))
        .unwrap();
    assert!(!set.text.contains("<license>"));
}
