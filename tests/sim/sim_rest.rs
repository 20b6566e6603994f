//! The simulated org's REST, Tooling and composite APIs, as a client of Salesforce's REST API
//! would observe them: status codes, `errorCode`s, message wording and response shapes.

use crate::common;

use common::{client, error_code, get, integration_token, query, send, start, V};
use reqwest::Method;
use serde_json::{json, Value};
use writeback_setup::sfid;
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};

const CASE_ID: &str = "5005g00000AbCdE";
const SUMMARY: &str = "Enterpret_Summary__c";
const SENTIMENT: &str = "Enterpret_Sentiment__c";

fn case18() -> String {
    sfid::to_18(CASE_ID).expect("valid case id")
}

fn case_path(id: &str) -> String {
    format!("/services/data/{V}/sobjects/Case/{id}")
}

async fn start_text(text: &str) -> SimServer {
    let scenario = scenario::load_str("inline", text).expect("inline scenario loads");
    SimServer::start(&scenario, SimOptions::default())
        .await
        .expect("simulator starts")
}

/// A raw request: optional token, extra headers, optional JSON body. Returns status, headers and text.
async fn raw(
    sim: &SimServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = client().request(method, format!("{}{path}", sim.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    (status, headers, text)
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

async fn patch_case(
    sim: &SimServer,
    token: &str,
    id: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, String) {
    let (status, _, text) = raw(
        sim,
        Method::PATCH,
        &case_path(id),
        Some(token),
        headers,
        Some(body),
    )
    .await;
    (status, text)
}

fn first_error(body: &Value) -> &Value {
    body.get(0).unwrap_or(&Value::Null)
}

fn message(body: &Value) -> &str {
    first_error(body)
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn fields_of(body: &Value) -> Value {
    first_error(body)
        .get("fields")
        .cloned()
        .unwrap_or(Value::Null)
}

fn records(body: &Value) -> &Vec<Value> {
    body["records"].as_array().expect("records array")
}

fn user_id(sim: &SimServer, username: &str) -> String {
    sim.with_org(|org| {
        org.user_by_name(username)
            .and_then(|u| u.get("Id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    })
    .expect("user exists")
}

async fn single_id(sim: &SimServer, token: &str, soql: &str, tooling: bool) -> String {
    let (status, body) = query(sim, token, soql, tooling).await;
    assert_eq!(status, 200, "{soql}: {body}");
    assert_eq!(body["totalSize"], 1, "{soql}: {body}");
    body["records"][0]["Id"].as_str().expect("Id").to_string()
}

async fn describe_field(sim: &SimServer, token: &str, field: &str) -> Option<Value> {
    let (status, body) = get(
        sim,
        token,
        &format!("/services/data/{V}/sobjects/Case/describe"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == field)
        .cloned()
}

// ---- 1. SOQL subset ------------------------------------------------------------------------

#[tokio::test]
async fn soql_relationships_filters_semi_join_order_limit_and_count() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();

    // Relationship field and '='.
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, Username, Profile.Name FROM User WHERE Username = 'integration@acme.example'",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1);
    assert_eq!(body["done"], true);
    let user = &body["records"][0];
    assert_eq!(user["attributes"]["type"], "User");
    assert_eq!(
        user["Profile"]["Name"],
        "Minimum Access - API Only Integrations"
    );
    assert_eq!(user["Profile"]["attributes"]["type"], "Profile");
    let integration = user["Id"].as_str().expect("Id").to_string();
    assert_eq!(integration.len(), 18);

    // '!=', IN, ORDER BY.
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Username FROM User WHERE Username != 'agent@acme.example' AND Username IN ('admin@acme.example', 'agent@acme.example', 'integration@acme.example') ORDER BY Username DESC",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = records(&body)
        .iter()
        .map(|r| r["Username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["integration@acme.example", "admin@acme.example"]);

    // LIKE, AND/OR/NOT with parentheses, ORDER BY + LIMIT.
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Subject FROM Case WHERE (Subject LIKE '%SSO%' OR Subject LIKE 'Invoice%') AND NOT (Status = 'Closed') ORDER BY Subject ASC",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let subjects: Vec<&str> = records(&body)
        .iter()
        .map(|r| r["Subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["Cannot log in with SSO", "Invoice shows the wrong amount"]
    );

    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Subject FROM Case ORDER BY Subject DESC LIMIT 1",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1);
    assert_eq!(
        body["records"][0]["Subject"],
        "Invoice shows the wrong amount"
    );

    // Semi-join through PermissionSetAssignment.
    let soql = format!(
        "SELECT Parent.Name, SobjectType, PermissionsRead, PermissionsEdit FROM ObjectPermissions \
         WHERE SobjectType = 'Case' AND ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '{integration}')"
    );
    let (status, body) = query(&sim, &admin, &soql, false).await;
    assert_eq!(status, 200, "{body}");
    let rows = records(&body);
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["Parent"]["Name"], "Enterpret_Integration");
    assert_eq!(rows[0]["PermissionsRead"], true);
    assert_eq!(rows[0]["PermissionsEdit"], true);

    // COUNT(): totalSize carries the count, records is empty.
    let (status, body) = query(&sim, &admin, "SELECT COUNT() FROM Case", false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 3);
    assert_eq!(body["done"], true);
    assert_eq!(body["records"], json!([]));
}

#[tokio::test]
async fn soql_errors_use_salesforce_codes_and_wording() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();

    let (status, body) = query(&sim, &admin, "SELECT Xyzzy FROM Xyzzy", false).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "INVALID_TYPE");
    assert_eq!(
        message(&body),
        "\nSELECT Xyzzy FROM Xyzzy\n                  ^\nERROR at Row:1:Column:19\nsObject type 'Xyzzy' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    );

    let (status, body) = query(&sim, &admin, "SELECT Id, Foo__c FROM Case", false).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "INVALID_FIELD");
    assert_eq!(
        message(&body),
        "\nSELECT Id, Foo__c FROM Case\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo__c' on entity 'Case'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
    );

    let (status, body) = query(&sim, &admin, "SELECT Id FROM User WHERE Name == 'x'", false).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "MALFORMED_QUERY");
    assert!(message(&body).contains("ERROR at Row:1:Column:"), "{body}");
    assert!(message(&body).contains("unexpected token"), "{body}");

    // Tooling-only and standard-only objects.
    let (status, body) = query(&sim, &admin, "SELECT Id FROM ValidationRule", false).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_TYPE");
    assert!(
        message(&body).contains("sObject type 'ValidationRule' is not supported"),
        "{body}"
    );

    let (status, body) = query(&sim, &admin, "SELECT ApiName FROM FlowDefinitionView", true).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_TYPE");
    assert!(
        message(&body).contains("sObject type 'FlowDefinitionView' is not supported"),
        "{body}"
    );

    // And each works on its own API.
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, ValidationName FROM ValidationRule",
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT ApiName FROM FlowDefinitionView",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn tooling_query_envelope_and_one_row_metadata_rule() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();

    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, DeveloperName, TableEnumOrId FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName IN ('Enterpret_Summary', 'Enterpret_Sentiment', 'Enterpret_Taxonomy_Paths')",
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "size",
        "totalSize",
        "done",
        "queryLocator",
        "entityTypeName",
        "records",
    ] {
        assert!(keys.contains(&key), "missing {key} in {body}");
    }
    assert_eq!(body["size"], 3);
    assert_eq!(body["totalSize"], 3);
    assert_eq!(body["done"], true);
    assert_eq!(body["queryLocator"], Value::Null);
    assert_eq!(body["entityTypeName"], "CustomField");
    let first = &body["records"][0];
    assert_eq!(first["attributes"]["type"], "CustomField");
    assert!(first["attributes"]["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("/services/data/{V}/tooling/sobjects/CustomField/")));
    assert_eq!(first["TableEnumOrId"], "Case");

    // Metadata over several rows is refused...
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, Metadata FROM CustomField WHERE TableEnumOrId = 'Case'",
        true,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "MALFORMED_QUERY");
    assert!(message(&body).starts_with("When retrieving results with Metadata or FullName fields, the query qualifications must specify no more than one row for retrieval."), "{body}");

    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, FullName FROM CustomField WHERE TableEnumOrId = 'Case'",
        true,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "MALFORMED_QUERY");

    // ...but fine for one row by Id.
    let id = single_id(
        &sim,
        &admin,
        "SELECT Id FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName = 'Enterpret_Summary'",
        true,
    )
    .await;
    let (status, body) = query(
        &sim,
        &admin,
        &format!("SELECT Id, FullName, Metadata FROM CustomField WHERE Id = '{id}'"),
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["size"], 1);
    let row = &body["records"][0];
    assert_eq!(row["FullName"], "Case.Enterpret_Summary__c");
    assert_eq!(row["Metadata"]["type"], "LongTextArea");
    assert_eq!(row["Metadata"]["length"], 32768);
}

// ---- 2. Pagination -------------------------------------------------------------------------

#[tokio::test]
async fn query_pagination_follows_next_records_url() {
    let sim = start("large-org").await;
    let admin = sim.admin_token().to_string();
    // Sets Team_Access_0000..0299 hold 8 field permissions each: 2,400 rows.
    let soql = "SELECT Id, Field FROM FieldPermissions WHERE SobjectType = 'Case' AND \
                (Parent.Name LIKE 'Team_Access_00%' OR Parent.Name LIKE 'Team_Access_01%' OR Parent.Name LIKE 'Team_Access_02%')";
    let (status, first) = query(&sim, &admin, soql, false).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["done"], false);
    assert_eq!(first["totalSize"], 2400);
    assert_eq!(records(&first).len(), 2000);
    let next = first["nextRecordsUrl"]
        .as_str()
        .expect("nextRecordsUrl")
        .to_string();
    assert!(
        next.starts_with(&format!("/services/data/{V}/query/")),
        "{next}"
    );

    let (status, second) = get(&sim, &admin, &next).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["done"], true);
    assert_eq!(second["totalSize"], 2400);
    assert_eq!(records(&second).len(), 400);
    assert!(
        second.get("nextRecordsUrl").is_none_or(Value::is_null),
        "{second}"
    );
    let mut ids: Vec<&str> = records(&first)
        .iter()
        .chain(records(&second))
        .map(|r| r["Id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2400, "pages overlap");

    // A used locator, and a made-up one.
    for locator in [
        next.clone(),
        format!("/services/data/{V}/query/01gXXXXXXXXXXXX-2000"),
    ] {
        let (status, body) = get(&sim, &admin, &locator).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(error_code(&body), "INVALID_QUERY_LOCATOR");
    }
}

// ---- 3. FLS-filtered describe --------------------------------------------------------------

#[tokio::test]
async fn describe_follows_field_level_security() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let field = describe_field(&sim, &admin, SUMMARY)
        .await
        .expect("admin sees the field");
    assert_eq!(field["type"], "textarea");
    assert_eq!(field["extraTypeInfo"], "plaintextarea");
    assert_eq!(field["length"], 32768);
    assert_eq!(field["updateable"], true);
    assert_eq!(field["custom"], true);

    let agent = sim.token_for("agent@acme.example", "X", &["api"]).unwrap();
    let field = describe_field(&sim, &agent, SUMMARY)
        .await
        .expect("agent sees the field");
    assert_eq!(field["updateable"], false);
    assert_eq!(field["createable"], false);

    let (status, body) = get(
        &sim,
        &admin,
        &format!("/services/data/{V}/sobjects/Nope__c/describe"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "NOT_FOUND");
    assert_eq!(message(&body), "The requested resource does not exist");
}

#[tokio::test]
async fn describe_omits_fields_without_read_access() {
    let sim = start_text(
        "extends = \"ready\"\nname = \"no-fls\"\n\n[[profiles]]\nname = \"Standard User\"\nfield_permissions = []\n",
    )
    .await;
    let agent = sim.token_for("agent@acme.example", "X", &["api"]).unwrap();
    assert!(describe_field(&sim, &agent, SUMMARY).await.is_none());
    assert!(describe_field(&sim, &agent, "Subject").await.is_some());
    // The admin still sees it.
    assert!(describe_field(&sim, sim.admin_token(), SUMMARY)
        .await
        .is_some());
    // And for the agent the field is an unknown column.
    let (status, body) = query(&sim, &agent, &format!("SELECT {SUMMARY} FROM Case"), false).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "INVALID_FIELD");
}

// ---- 4. Record GET -------------------------------------------------------------------------

#[tokio::test]
async fn record_get_with_fields_and_its_errors() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let id = case18();

    let (status, body) = get(
        &sim,
        &admin,
        &format!("{}?fields=Subject,{SUMMARY},OwnerId", case_path(&id)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["attributes", "Subject", SUMMARY, "OwnerId", "Id"]);
    assert_eq!(body["attributes"]["type"], "Case");
    assert_eq!(
        body["attributes"]["url"],
        format!("/services/data/{V}/sobjects/Case/{id}")
    );
    assert_eq!(body["Id"], id);
    assert_eq!(body["Subject"], "Cannot log in with SSO");
    assert_eq!(body[SUMMARY], Value::Null);

    // The 15-char form finds the same record.
    let (status, body) = get(
        &sim,
        &admin,
        &format!("{}?fields=Subject", case_path(CASE_ID)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Id"], id);

    let (status, body) = get(
        &sim,
        &admin,
        &format!("{}?fields=Subject,Bogus__c", case_path(&id)),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "INVALID_FIELD");
    assert!(
        message(&body).starts_with("No such column 'Bogus__c' on entity 'Case'."),
        "{body}"
    );

    let (status, body) = get(&sim, &admin, &case_path("not-an-id")).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "NOT_FOUND");
    assert_eq!(
        message(&body),
        "Provided external ID field does not exist or is not accessible: not-an-id"
    );

    let unknown = sfid::to_18("5005g00000ZzZzZ").unwrap();
    let (status, body) = get(&sim, &admin, &case_path(&unknown)).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "NOT_FOUND");

    let (status, body) = send(&sim, &admin, Method::DELETE, &case_path(&id), &Value::Null).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(body, Value::Null);
    let (status, body) = get(&sim, &admin, &case_path(&id)).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "ENTITY_IS_DELETED");
    assert_eq!(message(&body), "entity is deleted");
    assert_eq!(fields_of(&body), json!([]));
    // Deleted records drop out of queries.
    let (_, body) = query(&sim, &admin, "SELECT COUNT() FROM Case", false).await;
    assert_eq!(body["totalSize"], 2);
}

// ---- 5. PATCH Case -------------------------------------------------------------------------

const NO_ASSIGN: (&str, &str) = ("Sforce-Auto-Assign", "FALSE");

#[tokio::test]
async fn patch_success_is_204_and_value_is_readable() {
    let sim = start("ready").await;
    let token = integration_token(&sim);
    let id = case18();
    let (used, max) = sim.api_usage();
    let (status, headers, text) = raw(
        &sim,
        Method::PATCH,
        &case_path(&id),
        Some(&token),
        &[NO_ASSIGN],
        Some(&json!({SUMMARY: "Customer cannot use SSO.", SENTIMENT: "Negative"})),
    )
    .await;
    assert_eq!(status, 204, "{text}");
    assert_eq!(text, "");
    assert_eq!(
        limit_usage(&headers),
        (used + 1, max),
        "204 responses carry Sforce-Limit-Info too"
    );
    let (status, body) = get(
        &sim,
        &token,
        &format!("{}?fields={SUMMARY},{SENTIMENT}", case_path(&id)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[SUMMARY], "Customer cannot use SSO.");
    assert_eq!(body[SENTIMENT], "Negative");

    // null clears a field.
    let (status, _) = patch_case(&sim, &token, &id, &[NO_ASSIGN], &json!({SENTIMENT: null})).await;
    assert_eq!(status, 204);
    let (_, body) = get(
        &sim,
        &token,
        &format!("{}?fields={SENTIMENT}", case_path(&id)),
    )
    .await;
    assert_eq!(body[SENTIMENT], Value::Null);

    let (status, text) =
        patch_case(&sim, &token, &id, &[NO_ASSIGN], &json!({"Bogus__c": "x"})).await;
    assert_eq!(status, 400);
    let body = parse(&text);
    assert_eq!(error_code(&body), "INVALID_FIELD");
    assert_eq!(
        message(&body),
        "No such column 'Bogus__c' on sobject of type Case"
    );
}

#[tokio::test]
async fn patch_read_only_field_is_invalid_field_for_insert_update() {
    let sim = start("no-field-edit").await;
    let token = integration_token(&sim);
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SUMMARY: "x"}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let body = parse(&text);
    assert_eq!(error_code(&body), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(fields_of(&body), json!([SUMMARY]));
    assert_eq!(
        message(&body),
        format!("Unable to create/update fields: {SUMMARY}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.")
    );
}

#[tokio::test]
async fn patch_without_object_edit_is_insufficient_access() {
    let sim = start("no-object-edit").await;
    let token = integration_token(&sim);
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SUMMARY: "x"}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(error_code(&parse(&text)), "INSUFFICIENT_ACCESS_OR_READONLY");
}

#[tokio::test]
async fn patch_too_long_value_is_string_too_long() {
    let sim = start("field-wrong-type").await;
    let token = integration_token(&sim);
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SUMMARY: "a".repeat(300)}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let body = parse(&text);
    assert_eq!(error_code(&body), "STRING_TOO_LONG");
    assert_eq!(fields_of(&body), json!([SUMMARY]));
    assert!(
        message(&body).starts_with("Enterpret Summary: data value too large: "),
        "{body}"
    );
    assert!(message(&body).ends_with("(max length=255)"), "{body}");
    let (status, _) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SUMMARY: "a".repeat(255)}),
    )
    .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn patch_restricted_picklist() {
    let sim = start("restricted-picklist").await;
    let token = integration_token(&sim);
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SENTIMENT: "Neutral"}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let body = parse(&text);
    assert_eq!(error_code(&body), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert_eq!(
        message(&body),
        "Enterpret Sentiment: bad value for restricted picklist field: Neutral"
    );
    assert_eq!(fields_of(&body), json!([SENTIMENT]));
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SENTIMENT: "Positive"}),
    )
    .await;
    assert_eq!(status, 204, "{text}");
}

#[tokio::test]
async fn patch_blocked_by_validation_rule() {
    let sim = start("validation-rule-blocks").await;
    let token = integration_token(&sim);
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SENTIMENT: "Neutral"}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let body = parse(&text);
    assert_eq!(error_code(&body), "FIELD_CUSTOM_VALIDATION_EXCEPTION");
    assert_eq!(
        message(&body),
        "Only support managers may change the sentiment."
    );
    assert_eq!(fields_of(&body), json!([SENTIMENT]));
    // A write that leaves the sentiment alone passes.
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SUMMARY: "ok"}),
    )
    .await;
    assert_eq!(status, 204, "{text}");
}

#[tokio::test]
async fn patch_locked_record_is_entity_is_locked() {
    let sim = start_text(
        "extends = \"ready\"\nname = \"locked\"\n\n[[records.Case]]\nSubject = \"Locked\"\nStatus = \"Escalated\"\nOwner = \"agent@acme.example\"\nlocked = true\n",
    )
    .await;
    let admin = sim.admin_token().to_string();
    let id = single_id(
        &sim,
        &admin,
        "SELECT Id FROM Case WHERE Subject = 'Locked'",
        false,
    )
    .await;
    let token = integration_token(&sim);
    let (status, text) = patch_case(&sim, &token, &id, &[NO_ASSIGN], &json!({SUMMARY: "x"})).await;
    assert_eq!(status, 400, "{text}");
    let body = parse(&text);
    assert_eq!(error_code(&body), "ENTITY_IS_LOCKED");
    // The unlocked Case is still writable by the same user.
    let (status, _) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SUMMARY: "x"}),
    )
    .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn patch_if_unmodified_since() {
    let sim = start("ready").await;
    let token = integration_token(&sim);
    let id = case18();
    let (_, body) = get(
        &sim,
        &token,
        &format!("{}?fields=LastModifiedDate", case_path(&id)),
    )
    .await;
    let stamp = body["LastModifiedDate"].as_str().expect("LastModifiedDate");
    let modified = chrono::DateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .expect("Salesforce datetime");
    let http_date = |t: chrono::DateTime<chrono::FixedOffset>| {
        let system: std::time::SystemTime = t.with_timezone(&chrono::Utc).into();
        httpdate::fmt_http_date(system)
    };
    let before = http_date(modified - chrono::Duration::days(1));
    let (status, text) = patch_case(
        &sim,
        &token,
        &id,
        &[NO_ASSIGN, ("If-Unmodified-Since", &before)],
        &json!({SUMMARY: "x"}),
    )
    .await;
    assert_eq!(status, 412, "{text}");
    let (_, body) = get(
        &sim,
        &token,
        &format!("{}?fields={SUMMARY}", case_path(&id)),
    )
    .await;
    assert_eq!(
        body[SUMMARY],
        Value::Null,
        "the refused write changed nothing"
    );

    let after = http_date(modified + chrono::Duration::days(1));
    let (status, text) = patch_case(
        &sim,
        &token,
        &id,
        &[NO_ASSIGN, ("If-Unmodified-Since", &after)],
        &json!({SUMMARY: "x"}),
    )
    .await;
    assert_eq!(status, 204, "{text}");
}

#[tokio::test]
async fn patch_applies_assignment_rules_unless_told_not_to() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let admin_id = user_id(&sim, "admin@acme.example");
    let agent_id = user_id(&sim, "agent@acme.example");
    let owner = |id: String| {
        let sim = &sim;
        let admin = admin.clone();
        async move {
            let (_, body) = get(sim, &admin, &format!("{}?fields=OwnerId", case_path(&id))).await;
            body["OwnerId"].as_str().unwrap_or("").to_string()
        }
    };

    let first = case18();
    assert_eq!(owner(first.clone()).await, agent_id);
    let (status, _) = patch_case(&sim, &admin, &first, &[], &json!({SUMMARY: "x"})).await;
    assert_eq!(status, 204);
    assert_eq!(
        owner(first).await,
        admin_id,
        "default Sforce-Auto-Assign is TRUE"
    );

    let second = single_id(
        &sim,
        &admin,
        "SELECT Id FROM Case WHERE Subject = 'Invoice shows the wrong amount'",
        false,
    )
    .await;
    assert_eq!(owner(second.clone()).await, agent_id);
    let (status, _) = patch_case(&sim, &admin, &second, &[NO_ASSIGN], &json!({SUMMARY: "x"})).await;
    assert_eq!(status, 204);
    assert_eq!(owner(second).await, agent_id);
}

// ---- 6. Creates ----------------------------------------------------------------------------

fn sobjects(object: &str) -> String {
    format!("/services/data/{V}/sobjects/{object}")
}

#[tokio::test]
async fn permission_set_creates_and_their_errors() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let integration = user_id(&sim, "integration@acme.example");
    let agent = user_id(&sim, "agent@acme.example");

    let (status, body) = send(&sim, &admin, Method::POST, &sobjects("PermissionSet"), &json!({"Name": "Case_Writeback", "Label": "Case Writeback", "PermissionsApiEnabled": true})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["errors"], json!([]));
    let ps = body["id"].as_str().expect("id").to_string();
    assert!(ps.starts_with("0PS") && ps.len() == 18, "{ps}");

    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &sobjects("PermissionSet"),
        &json!({"Name": "Case_Writeback", "Label": "Again"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "DUPLICATE_DEVELOPER_NAME");

    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &sobjects("PermissionSet"),
        &json!({"Name": "No_Label"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "REQUIRED_FIELD_MISSING");
    assert_eq!(fields_of(&body), json!(["Label"]));

    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &sobjects("ObjectPermissions"),
        &json!({"ParentId": ps, "SobjectType": "Case", "PermissionsEdit": true}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(
        message(&body),
        "Permission Edit Case depends on permission(s): Read Case"
    );

    let (status, body) = send(&sim, &admin, Method::POST, &sobjects("ObjectPermissions"), &json!({"ParentId": ps, "SobjectType": "Case", "PermissionsRead": true, "PermissionsEdit": true})).await;
    assert_eq!(status, 201, "{body}");
    let object_permission = body["id"].as_str().unwrap().to_string();
    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &sobjects("ObjectPermissions"),
        &json!({"ParentId": ps, "SobjectType": "Case", "PermissionsRead": true}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "DUPLICATE_VALUE");

    let (status, body) = send(&sim, &admin, Method::POST, &sobjects("FieldPermissions"), &json!({"ParentId": ps, "SobjectType": "Case", "Field": "Case.Missing__c", "PermissionsRead": true})).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert_eq!(
        message(&body),
        "Field Name: bad value for restricted picklist field: Case.Missing__c"
    );
    assert_eq!(fields_of(&body), json!(["Field"]));

    let (status, body) = send(&sim, &admin, Method::POST, &sobjects("FieldPermissions"), &json!({"ParentId": ps, "SobjectType": "Case", "Field": format!("Case.{SUMMARY}"), "PermissionsRead": true, "PermissionsEdit": true})).await;
    assert_eq!(status, 201, "{body}");
    let field_permission = body["id"].as_str().unwrap().to_string();

    // A set without the API Integration licence cannot grant Case Read to the Integration user.
    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &sobjects("PermissionSetAssignment"),
        &json!({"AssigneeId": integration, "PermissionSetId": ps}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(
        message(&body),
        "The user license doesn't allow the permission: Read Case"
    );

    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &sobjects("PermissionSetAssignment"),
        &json!({"AssigneeId": agent, "PermissionSetId": ps}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let assignment = body["id"].as_str().unwrap().to_string();
    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &sobjects("PermissionSetAssignment"),
        &json!({"AssigneeId": agent, "PermissionSetId": ps}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "DUPLICATE_VALUE");
    assert_eq!(
        message(&body),
        format!("Duplicate PermissionSetAssignment. Assignee: {agent}, Permission Set: {ps}")
    );

    // An assigned set cannot be deleted.
    let (status, body) = send(
        &sim,
        &admin,
        Method::DELETE,
        &format!("{}/{ps}", sobjects("PermissionSet")),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "DELETE_FAILED");

    for (object, id) in [
        ("PermissionSetAssignment", &assignment),
        ("FieldPermissions", &field_permission),
        ("ObjectPermissions", &object_permission),
        ("PermissionSet", &ps),
    ] {
        let (status, body) = send(
            &sim,
            &admin,
            Method::DELETE,
            &format!("{}/{id}", sobjects(object)),
            &Value::Null,
        )
        .await;
        assert_eq!(status, 204, "DELETE {object}: {body}");
        assert_eq!(body, Value::Null);
    }
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id FROM PermissionSet WHERE Name = 'Case_Writeback'",
        false,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["totalSize"], 0);
}

// ---- 7. Tooling CustomField ----------------------------------------------------------------

#[tokio::test]
async fn tooling_custom_field_create_needs_fls_before_describe_shows_it() {
    let sim = start("fresh").await;
    let admin = sim.admin_token().to_string();
    let path = format!("/services/data/{V}/tooling/sobjects/CustomField");
    let body = json!({"FullName": format!("Case.{SUMMARY}"),
        "Metadata": {"label": "Enterpret Summary", "type": "LongTextArea", "length": 32768, "visibleLines": 3}});
    let (status, created) = send(&sim, &admin, Method::POST, &path, &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["success"], true);
    assert_eq!(created["errors"], json!([]));
    let field_id = created["id"].as_str().expect("id").to_string();
    assert!(field_id.starts_with("00N"), "{field_id}");

    let found = single_id(
        &sim,
        &admin,
        "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName = 'Enterpret_Summary'",
        true,
    )
    .await;
    assert_eq!(found, field_id);

    // No FLS for anyone yet, not even the System Administrator.
    assert!(describe_field(&sim, &admin, SUMMARY).await.is_none());

    let profile_set = single_id(
        &sim,
        &admin,
        "SELECT Id FROM PermissionSet WHERE IsOwnedByProfile = true AND Profile.Name = 'System Administrator'",
        false,
    )
    .await;
    let (status, grant) = send(&sim, &admin, Method::POST, &sobjects("FieldPermissions"), &json!({"ParentId": profile_set, "SobjectType": "Case", "Field": format!("Case.{SUMMARY}"), "PermissionsRead": true, "PermissionsEdit": true})).await;
    assert_eq!(status, 201, "{grant}");
    let field = describe_field(&sim, &admin, SUMMARY)
        .await
        .expect("visible after FLS grant");
    assert_eq!(field["type"], "textarea");
    assert_eq!(field["extraTypeInfo"], "plaintextarea");
    assert_eq!(field["length"], 32768);
    assert_eq!(field["updateable"], true);

    let (status, again) = send(&sim, &admin, Method::POST, &path, &body).await;
    assert_eq!(status, 400, "{again}");
    assert_eq!(error_code(&again), "DUPLICATE_DEVELOPER_NAME");

    let (status, bad) = send(&sim, &admin, Method::POST, &path, &json!({"FullName": "Case.Enterpret_Taxonomy_Paths__c",
        "Metadata": {"label": "Enterpret Taxonomy Paths", "type": "LongTextArea", "length": 32768}})).await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(error_code(&bad), "FIELD_INTEGRITY_EXCEPTION", "{bad}");

    let (status, record) = get(&sim, &admin, &format!("{path}/{field_id}")).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["Id"], field_id);
    assert_eq!(record["FullName"], format!("Case.{SUMMARY}"));
    assert_eq!(record["Metadata"]["type"], "LongTextArea");
    assert_eq!(record["Metadata"]["length"], 32768);
    assert_eq!(record["Metadata"]["visibleLines"], 3);
    assert_eq!(record["Metadata"]["label"], "Enterpret Summary");
}

// ---- 8. Composite --------------------------------------------------------------------------

async fn composite(sim: &SimServer, token: &str, tooling: bool, body: &Value) -> (u16, Value) {
    let path = if tooling {
        format!("/services/data/{V}/tooling/composite")
    } else {
        format!("/services/data/{V}/composite")
    };
    send(sim, token, Method::POST, &path, body).await
}

/// A query subrequest URL; `@{...}` references stay literal, as Salesforce expects them.
fn q_url(soql: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
    let q = q
        .replace("%40%7B", "@{")
        .replace("%7D", "}")
        .replace("%5B", "[")
        .replace("%5D", "]");
    format!("/services/data/{V}/query/?q={q}")
}

#[tokio::test]
async fn composite_resolves_references_and_counts_one_call() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let request = json!({"allOrNone": false, "compositeRequest": [
        {"method": "GET", "referenceId": "org", "url": q_url("SELECT Id, Name, OrganizationType FROM Organization")},
        {"method": "GET", "referenceId": "caseDescribe", "url": format!("/services/data/{V}/sobjects/Case/describe")},
        {"method": "GET", "referenceId": "user", "url": q_url("SELECT Id, Username FROM User WHERE Username = 'integration@acme.example'")},
        {"method": "GET", "referenceId": "psa", "url": q_url("SELECT PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId = '@{user.records[0].Id}'")},
    ]});
    let (used_before, _) = sim.api_usage();
    let (status, body) = composite(&sim, &admin, false, &request).await;
    let (used_after, _) = sim.api_usage();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        used_after - used_before,
        1,
        "a composite request is one API call"
    );

    let responses = body["compositeResponse"]
        .as_array()
        .expect("compositeResponse");
    assert_eq!(responses.len(), 4);
    for (r, reference) in responses.iter().zip(["org", "caseDescribe", "user", "psa"]) {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["body", "httpHeaders", "httpStatusCode", "referenceId"]
        );
        assert_eq!(r["referenceId"], reference);
        assert_eq!(r["httpStatusCode"], 200, "{r}");
    }
    assert_eq!(responses[0]["body"]["records"][0]["Name"], "Acme Corp");
    assert_eq!(responses[1]["body"]["name"], "Case");
    let names: Vec<&str> = responses[3]["body"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["PermissionSet"]["Name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Enterpret_Integration"), "{names:?}");

    // A reference into an empty result halts that subrequest.
    let request = json!({"compositeRequest": [
        {"method": "GET", "referenceId": "user", "url": q_url("SELECT Id FROM User WHERE Username = 'nobody@acme.example'")},
        {"method": "GET", "referenceId": "psa", "url": q_url("SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '@{user.records[0].Id}'")},
    ]});
    let (status, body) = composite(&sim, &admin, false, &request).await;
    assert_eq!(status, 200, "{body}");
    let responses = body["compositeResponse"].as_array().unwrap();
    assert_eq!(responses[0]["httpStatusCode"], 200);
    assert_eq!(responses[0]["body"]["totalSize"], 0);
    assert_eq!(responses[1]["httpStatusCode"], 400);
    assert_eq!(error_code(&responses[1]["body"]), "PROCESSING_HALTED");
}

#[tokio::test]
async fn composite_limits_and_forbidden_headers() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let query_sub = |i: usize| json!({"method": "GET", "referenceId": format!("q{i}"), "url": q_url("SELECT Id FROM Case")});

    let six: Vec<Value> = (0..6).map(query_sub).collect();
    let (status, body) = composite(&sim, &admin, false, &json!({"compositeRequest": six})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.is_array(), "{body}");
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{body}");
    let five: Vec<Value> = (0..5).map(query_sub).collect();
    let (status, body) = composite(&sim, &admin, false, &json!({"compositeRequest": five})).await;
    assert_eq!(status, 200, "{body}");

    let many: Vec<Value> = (0..26)
        .map(|i| json!({"method": "GET", "referenceId": format!("d{i}"), "url": format!("/services/data/{V}/sobjects/Case/describe")}))
        .collect();
    let (status, body) = composite(&sim, &admin, false, &json!({"compositeRequest": many})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{body}");

    let (status, body) = composite(&sim, &admin, false, &json!({"compositeRequest": [
        {"method": "GET", "referenceId": "d", "url": format!("/services/data/{V}/sobjects/Case/describe"),
         "httpHeaders": {"Authorization": format!("Bearer {admin}")}}]})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_API_INPUT", "{body}");
}

#[tokio::test]
async fn composite_all_or_none_rolls_back() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let id = case18();
    let url = format!("/services/data/{V}/sobjects/Case/{id}");
    let headers = json!({"Sforce-Auto-Assign": "FALSE"});
    let request = json!({"allOrNone": true, "compositeRequest": [
        {"method": "PATCH", "referenceId": "good", "url": url, "httpHeaders": headers, "body": {SUMMARY: "rolled back"}},
        {"method": "PATCH", "referenceId": "bad", "url": url, "httpHeaders": headers, "body": {"Bogus__c": "x"}},
        {"method": "GET", "referenceId": "after", "url": format!("{url}?fields=Subject")},
    ]});
    let (status, body) = composite(&sim, &admin, false, &request).await;
    assert_eq!(status, 200, "{body}");
    let responses = body["compositeResponse"].as_array().unwrap();
    assert_eq!(responses[1]["httpStatusCode"], 400);
    assert_eq!(error_code(&responses[1]["body"]), "INVALID_FIELD");
    for i in [0, 2] {
        assert_eq!(responses[i]["httpStatusCode"], 400, "{}", responses[i]);
        assert_eq!(error_code(&responses[i]["body"]), "PROCESSING_HALTED");
        assert_eq!(
            message(&responses[i]["body"]),
            "The transaction was rolled back since another operation in the same transaction failed."
        );
    }
    let (_, record) = get(&sim, &admin, &format!("{url}?fields={SUMMARY}")).await;
    assert_eq!(
        record[SUMMARY],
        Value::Null,
        "the first PATCH was rolled back"
    );

    // Without allOrNone the successful PATCH stays.
    let mut request = request;
    request["allOrNone"] = json!(false);
    let (status, body) = composite(&sim, &admin, false, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["compositeResponse"][0]["httpStatusCode"], 204);
    let (_, record) = get(&sim, &admin, &format!("{url}?fields={SUMMARY}")).await;
    assert_eq!(record[SUMMARY], "rolled back");
}

#[tokio::test]
async fn tooling_composite_runs_one_row_metadata_queries() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let id = single_id(
        &sim,
        &admin,
        "SELECT Id FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName = 'Enterpret_Summary'",
        true,
    )
    .await;
    let tq = |soql: &str| {
        let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
        format!("/services/data/{V}/tooling/query/?q={q}")
    };
    let request = json!({"compositeRequest": [
        {"method": "GET", "referenceId": "summary", "url": tq(&format!("SELECT Id, FullName, Metadata FROM CustomField WHERE Id = '{id}'"))},
        {"method": "GET", "referenceId": "rules", "url": tq("SELECT Id, ValidationName FROM ValidationRule")},
    ]});
    let (status, body) = composite(&sim, &admin, true, &request).await;
    assert_eq!(status, 200, "{body}");
    let responses = body["compositeResponse"].as_array().unwrap();
    assert_eq!(responses[0]["httpStatusCode"], 200, "{}", responses[0]);
    assert_eq!(responses[0]["body"]["entityTypeName"], "CustomField");
    assert_eq!(
        responses[0]["body"]["records"][0]["FullName"],
        format!("Case.{SUMMARY}")
    );
    assert_eq!(
        responses[0]["body"]["records"][0]["Metadata"]["type"],
        "LongTextArea"
    );
    assert_eq!(responses[1]["httpStatusCode"], 200, "{}", responses[1]);
}

// ---- 9. Auth and quota ---------------------------------------------------------------------

fn limit_usage(headers: &reqwest::header::HeaderMap) -> (u64, u64) {
    let value = headers
        .get("Sforce-Limit-Info")
        .and_then(|v| v.to_str().ok())
        .expect("Sforce-Limit-Info header");
    let usage = value.strip_prefix("api-usage=").expect("api-usage=");
    let (used, max) = usage.split_once('/').expect("N/M");
    (used.parse().unwrap(), max.parse().unwrap())
}

#[tokio::test]
async fn missing_unknown_and_scopeless_tokens_are_refused() {
    let sim = start("ready").await;
    let path = format!("/services/data/{V}/sobjects/Case/describe");
    for token in [None, Some("00Dxx!not-a-token")] {
        let (status, _, text) = raw(&sim, Method::GET, &path, token, &[], None).await;
        assert_eq!(status, 401, "{text}");
        let body = parse(&text);
        assert_eq!(
            body,
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        );
    }
    let no_api = sim
        .token_for("admin@acme.example", "X", &["refresh_token"])
        .unwrap();
    let (status, body) = get(&sim, &no_api, &path).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "INVALID_SESSION_ID");
    assert_eq!(
        message(&body),
        "This session is not valid for use with the REST API"
    );
}

#[tokio::test]
async fn org_and_user_api_switches() {
    let path = format!("/services/data/{V}/limits");
    let sim = start("api-disabled").await;
    let (status, body) = get(&sim, sim.admin_token(), &path).await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "API_DISABLED_FOR_ORG");
    assert_eq!(
        message(&body),
        "The REST API is not enabled for this Organization."
    );

    let sim = start("user-no-api").await;
    let (status, body) = get(&sim, &integration_token(&sim), &path).await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "API_CURRENTLY_DISABLED");
    assert_eq!(message(&body), "API is disabled for this User");
    // The admin is unaffected.
    let (status, _) = get(&sim, sim.admin_token(), &path).await;
    assert_eq!(status, 200);

    let sim = start("user-inactive").await;
    let (status, body) = get(&sim, &integration_token(&sim), &path).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "INVALID_SESSION_ID");
}

#[tokio::test]
async fn daily_quota_is_counted_and_enforced() {
    let sim = start("api-budget-low").await;
    let admin = sim.admin_token().to_string();
    let path = format!("/services/data/{V}/sobjects/Case/describe");

    // The version list needs no token and is free.
    let before = sim.api_usage();
    let (status, headers, text) = raw(&sim, Method::GET, "/services/data/", None, &[], None).await;
    assert_eq!(status, 200, "{text}");
    let versions = parse(&text);
    assert!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["version"] == "66.0"),
        "{versions}"
    );
    assert!(headers.get("Sforce-Limit-Info").is_none());
    assert_eq!(sim.api_usage(), before);

    let (used, max) = before;
    assert_eq!((used, max), (14990, 15000));
    let mut last = used;
    for _ in used..max {
        let (status, headers, text) = raw(&sim, Method::GET, &path, Some(&admin), &[], None).await;
        assert_eq!(status, 200, "{text}");
        let (n, m) = limit_usage(&headers);
        assert_eq!(m, max);
        assert_eq!(n, last + 1, "each call counts once");
        last = n;
    }
    assert_eq!(sim.api_usage(), (max, max));
    let (status, headers, text) = raw(&sim, Method::GET, &path, Some(&admin), &[], None).await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(
        parse(&text),
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(
        limit_usage(&headers),
        (max, max),
        "refused calls are not counted"
    );
    assert_eq!(sim.api_usage(), (max, max));
}

// ---- 10. Computed access objects -----------------------------------------------------------

async fn entity_editable(sim: &SimServer) -> Value {
    let integration = user_id(sim, "integration@acme.example");
    let (status, body) = query(
        sim,
        sim.admin_token(),
        &format!("SELECT EntityDefinitionId, IsReadable, IsEditable FROM UserEntityAccess WHERE UserId = '{integration}' AND EntityDefinition.QualifiedApiName = 'Case'"),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1, "{body}");
    assert_eq!(body["records"][0]["IsReadable"], true);
    body["records"][0]["IsEditable"].clone()
}

async fn field_updatable(sim: &SimServer) -> Value {
    let admin = sim.admin_token().to_string();
    let integration = user_id(sim, "integration@acme.example");
    let field_id = single_id(
        sim,
        &admin,
        "SELECT Id FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName = 'Enterpret_Summary'",
        true,
    )
    .await;
    let durable = format!("Case.{}.{integration}", &field_id[..15]);
    let (status, body) = query(
        sim,
        &admin,
        &format!("SELECT DurableId, IsAccessible, IsUpdatable FROM UserFieldAccess WHERE DurableId = '{durable}'"),
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1, "{body}");
    assert_eq!(body["records"][0]["DurableId"], durable);
    assert_eq!(body["records"][0]["IsAccessible"], true);
    body["records"][0]["IsUpdatable"].clone()
}

#[tokio::test]
async fn user_entity_record_and_field_access() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let integration = user_id(&sim, "integration@acme.example");
    assert_eq!(entity_editable(&sim).await, true);
    assert_eq!(field_updatable(&sim).await, true);

    let (status, body) = query(&sim, &admin, "SELECT EntityDefinitionId, IsEditable FROM UserEntityAccess WHERE EntityDefinition.QualifiedApiName = 'Case'", false).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "MALFORMED_QUERY");
    assert!(
        message(&body).contains("a filter on a reified column is required"),
        "{body}"
    );

    let (status, body) = query(
        &sim,
        &admin,
        &format!("SELECT RecordId, HasReadAccess, HasEditAccess, MaxAccessLevel FROM UserRecordAccess WHERE UserId = '{integration}' AND RecordId = '{}'", case18()),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1);
    let row = &body["records"][0];
    assert_eq!(row["RecordId"], case18());
    assert_eq!(row["HasReadAccess"], true);
    assert_eq!(row["HasEditAccess"], true);
    assert_eq!(row["MaxAccessLevel"], "Edit");
}

#[tokio::test]
async fn computed_access_reflects_missing_permissions() {
    let sim = start("no-object-edit").await;
    assert_eq!(entity_editable(&sim).await, false);
    let sim = start("no-field-edit").await;
    assert_eq!(entity_editable(&sim).await, true);
    assert_eq!(field_updatable(&sim).await, false);
}

#[tokio::test]
async fn unknown_api_versions_are_not_found() {
    let sim = common::start("ready").await;
    let token = sim.admin_token();
    for path in [
        "/services/data/v99.0/sobjects/Case/describe",
        "/services/data/v66/limits",
        "/services/data/latest/limits",
    ] {
        let (status, body) = common::get(&sim, token, path).await;
        assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"), "{path}");
    }
    let body = json!({"compositeRequest": []});
    let (status, answer) = common::send(
        &sim,
        token,
        reqwest::Method::POST,
        "/services/data/v99.0/composite",
        &body,
    )
    .await;
    assert_eq!((status, error_code(&answer)), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn patch_failing_trigger_is_cannot_insert_update_activate_entity() {
    let sim = start_text(
        r#"
extends = "ready"
name = "trigger-fails"
[[apex_triggers]]
name = "CaseRollupTrigger"
before_update = true
fails_with = "System.NullPointerException: Attempt to de-reference a null object"
"#,
    )
    .await;
    let token = integration_token(&sim);
    let (status, text) = patch_case(
        &sim,
        &token,
        &case18(),
        &[NO_ASSIGN],
        &json!({SUMMARY: "probe"}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let body = parse(&text);
    assert_eq!(error_code(&body), "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY");
    assert!(
        message(&body).starts_with("CaseRollupTrigger: execution of BeforeUpdate"),
        "{text}"
    );
    assert!(
        message(&body).contains("System.NullPointerException"),
        "{text}"
    );
    // Nothing was written.
    let (_, record) = get(
        &sim,
        sim.admin_token(),
        &format!("{}?fields={SUMMARY}", case_path(&case18())),
    )
    .await;
    assert_eq!(record[SUMMARY], Value::Null);
}

// ---- Issue 13: what really blocks the integration's first write ----------------------------

const INTEGRATION_USER: &str = "integration@acme.example";

async fn patch_record(
    sim: &SimServer,
    token: &str,
    object: &str,
    id: &str,
    body: &Value,
) -> (u16, Value) {
    let (status, _, text) = raw(
        sim,
        Method::PATCH,
        &format!("/services/data/{V}/sobjects/{object}/{id}"),
        Some(token),
        &[NO_ASSIGN],
        Some(body),
    )
    .await;
    (status, parse(&text))
}

async fn record_access(sim: &SimServer, user: &str, record: &str) -> Value {
    let soql = format!(
        "SELECT RecordId, HasReadAccess, HasEditAccess, MaxAccessLevel FROM UserRecordAccess WHERE UserId = '{}' AND RecordId = '{record}'",
        user_id(sim, user)
    );
    let (status, body) = query(sim, sim.admin_token(), &soql, false).await;
    assert_eq!(status, 200, "{body}");
    body["records"][0].clone()
}

async fn case_editable(sim: &SimServer, user: &str) -> Value {
    let soql = format!(
        "SELECT IsEditable FROM UserEntityAccess WHERE UserId = '{}' AND EntityDefinition.QualifiedApiName = 'Case'",
        user_id(sim, user)
    );
    let (status, body) = query(sim, sim.admin_token(), &soql, false).await;
    assert_eq!(status, 200, "{body}");
    body["records"][0]["IsEditable"].clone()
}

#[tokio::test]
async fn permission_set_licences_gate_what_a_licensed_set_grants() {
    let psl_query = |user: &str| {
        format!("SELECT Id, AssigneeId, PermissionSetLicense.DeveloperName, PermissionSetLicense.MasterLabel FROM PermissionSetLicenseAssign WHERE Assignee.Username = '{user}'")
    };
    let sets = "SELECT Name, LicenseId, License.MasterLabel, License.DeveloperName FROM PermissionSet WHERE Name = 'Enterpret_Integration'";

    let ready = start("ready").await;
    let (status, body) = query(
        &ready,
        ready.admin_token(),
        &psl_query(INTEGRATION_USER),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1, "{body}");
    let row = &body["records"][0];
    assert_eq!(row["AssigneeId"], json!(user_id(&ready, INTEGRATION_USER)));
    assert_eq!(
        row["PermissionSetLicense"]["DeveloperName"],
        "SalesforceAPIIntegrationPsl"
    );
    assert_eq!(
        row["PermissionSetLicense"]["MasterLabel"],
        "Salesforce API Integration"
    );
    assert_eq!(case_editable(&ready, INTEGRATION_USER).await, json!(true));

    let sim = start("integration-psl-missing").await;
    let (_, body) = query(&sim, sim.admin_token(), sets, false).await;
    let set = &body["records"][0];
    assert!(
        set["LicenseId"]
            .as_str()
            .is_some_and(|l| l.starts_with("0PL")),
        "{set}"
    );
    assert_eq!(
        set["License"]["DeveloperName"],
        "SalesforceAPIIntegrationPsl"
    );
    assert_eq!(set["License"]["MasterLabel"], "Salesforce API Integration");
    let (_, body) = query(&sim, sim.admin_token(), &psl_query(INTEGRATION_USER), false).await;
    assert_eq!(body["totalSize"], 0, "{body}");
    // The assignment is still there, but the set grants nothing without the licence.
    let soql = format!(
        "SELECT PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId = '{}' AND PermissionSet.IsOwnedByProfile = false",
        user_id(&sim, INTEGRATION_USER)
    );
    let (_, body) = query(&sim, sim.admin_token(), &soql, false).await;
    assert_eq!(
        body["records"][0]["PermissionSet"]["Name"],
        "Enterpret_Integration"
    );
    assert_eq!(case_editable(&sim, INTEGRATION_USER).await, json!(false));

    // Assigning a licensed set to a user without the licence is refused.
    let set_id = single_id(
        &sim,
        sim.admin_token(),
        "SELECT Id FROM PermissionSet WHERE Name = 'Enterpret_Integration'",
        false,
    )
    .await;
    let (status, body) = send(
        &sim,
        sim.admin_token(),
        Method::POST,
        &sobjects("PermissionSetAssignment"),
        &json!({"AssigneeId": user_id(&sim, "agent@acme.example"), "PermissionSetId": set_id}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(
        message(&body),
        "Can't assign permission set Enterpret Integration to user agent@acme.example. The permission set contains an object that requires a license. Before continuing, assign the user to the related permission set license."
    );
}

#[tokio::test]
async fn a_muting_permission_set_takes_edit_out_of_its_group() {
    let sim = start("muted-edit").await;
    let admin = sim.admin_token();
    let (status, body) = query(
        &sim,
        admin,
        "SELECT Name, Type, PermissionsApiEnabled, (SELECT SobjectType, PermissionsRead, PermissionsEdit FROM ObjectPerms) FROM PermissionSet WHERE Type = 'Group'",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let group = &body["records"][0];
    assert_eq!(group["Name"], "Enterpret_Integration_Group");
    assert_eq!(group["PermissionsApiEnabled"], true, "{group}");
    let case = &group["ObjectPerms"]["records"][0];
    assert_eq!(case["SobjectType"], "Case");
    assert_eq!(case["PermissionsRead"], true, "{case}");
    assert_eq!(case["PermissionsEdit"], false, "{case}");
    let (_, body) = query(
        &sim,
        admin,
        "SELECT DeveloperName, MasterLabel FROM MutingPermissionSet",
        false,
    )
    .await;
    assert_eq!(
        body["records"][0]["DeveloperName"], "Enterpret_Read_Only",
        "{body}"
    );

    assert_eq!(case_editable(&sim, INTEGRATION_USER).await, json!(false));
    let token = integration_token(&sim);
    let (status, body) =
        patch_record(&sim, &token, "Case", &case18(), &json!({SUMMARY: "x"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INSUFFICIENT_ACCESS_OR_READONLY");
    assert_eq!(message(&body), "entity is read-only");
}

#[tokio::test]
async fn a_frozen_user_is_queryable_and_its_sessions_are_refused() {
    let sim = start("user-frozen").await;
    let integration = user_id(&sim, INTEGRATION_USER);
    let soql = format!(
        "SELECT UserId, IsFrozen, IsPasswordLocked FROM UserLogin WHERE UserId = '{integration}'"
    );
    let (status, body) = query(&sim, sim.admin_token(), &soql, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["records"][0]["IsFrozen"], true, "{body}");
    assert_eq!(body["records"][0]["IsPasswordLocked"], false, "{body}");
    // UserLogin needs Manage Users.
    let agent = sim
        .token_for("agent@acme.example", "X", &["api"])
        .expect("agent");
    let (status, body) = query(&sim, &agent, &soql, false).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_TYPE");

    let token = integration_token(&sim);
    let (status, body) = query(&sim, &token, "SELECT Id FROM Case", false).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );

    let ready = start("ready").await;
    let soql = format!(
        "SELECT IsFrozen FROM UserLogin WHERE UserId = '{}'",
        user_id(&ready, INTEGRATION_USER)
    );
    let (_, body) = query(&ready, ready.admin_token(), &soql, false).await;
    assert_eq!(body["records"][0]["IsFrozen"], false, "{body}");
}

#[tokio::test]
async fn private_case_sharing_follows_owner_roles_and_shares() {
    let sim = start("private-sharing").await;
    let (_, body) = query(
        &sim,
        sim.admin_token(),
        "SELECT DefaultCaseAccess, DefaultContactAccess, DefaultLeadAccess FROM Organization",
        false,
    )
    .await;
    assert_eq!(body["records"][0]["DefaultCaseAccess"], "None", "{body}");
    assert_eq!(body["records"][0]["DefaultContactAccess"], "Edit", "{body}");

    let access = record_access(&sim, INTEGRATION_USER, &case18()).await;
    assert_eq!(access["HasReadAccess"], false, "{access}");
    assert_eq!(access["HasEditAccess"], false, "{access}");
    assert_eq!(access["MaxAccessLevel"], "None", "{access}");
    let owner = record_access(&sim, "agent@acme.example", &case18()).await;
    assert_eq!(owner["MaxAccessLevel"], "All", "{owner}");
    // The admin (CEO role, Modify All Data) has everything.
    assert_eq!(
        record_access(&sim, "admin@acme.example", &case18()).await["MaxAccessLevel"],
        "All"
    );

    let token = integration_token(&sim);
    let (status, body) = query(&sim, &token, "SELECT Id FROM Case", false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["totalSize"], 0,
        "the integration user sees no Case: {body}"
    );
    let (status, body) =
        patch_record(&sim, &token, "Case", &case18(), &json!({SUMMARY: "x"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INSUFFICIENT_ACCESS_OR_READONLY");
    assert_eq!(message(&body), "insufficient access rights on object id");
    assert_eq!(fields_of(&body), json!([]));

    // A manager above the agent in the role hierarchy, a Read share, and an Edit share.
    let sim = start_text(&format!(
        r#"extends = "private-sharing"
name = "shared"
[[users]]
username = "manager@acme.example"
name = "Mia Manager"
profile = "Standard User"
role = "Support_Manager"
[[users]]
username = "integration@acme.example"
role = "Support_Agent"
[[shares]]
record = "{CASE_ID}"
user = "integration@acme.example"
access = "Read"
"#
    ))
    .await;
    let manager = record_access(&sim, "manager@acme.example", &case18()).await;
    assert_eq!(manager["MaxAccessLevel"], "All", "{manager}");
    let shared = record_access(&sim, INTEGRATION_USER, &case18()).await;
    assert_eq!(shared["HasReadAccess"], true, "{shared}");
    assert_eq!(shared["HasEditAccess"], false, "{shared}");
    assert_eq!(shared["MaxAccessLevel"], "Read", "{shared}");
    let token = integration_token(&sim);
    let (_, body) = query(&sim, &token, "SELECT Id FROM Case", false).await;
    assert_eq!(body["totalSize"], 1, "{body}");
    let (status, body) =
        patch_record(&sim, &token, "Case", &case18(), &json!({SUMMARY: "x"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INSUFFICIENT_ACCESS_OR_READONLY");
    let (_, body) = query(
        &sim,
        sim.admin_token(),
        "SELECT CaseId, UserOrGroup.Username, CaseAccessLevel, RowCause FROM CaseShare",
        false,
    )
    .await;
    assert_eq!(body["records"][0]["CaseAccessLevel"], "Read", "{body}");
    assert_eq!(body["records"][0]["RowCause"], "Manual", "{body}");

    // The default Public Read/Write keeps the old behaviour: Edit for a non-owner.
    let ready = start("ready").await;
    let access = record_access(&ready, INTEGRATION_USER, &case18()).await;
    assert_eq!(access["MaxAccessLevel"], "Edit", "{access}");
}

#[tokio::test]
async fn inactive_values_and_global_value_sets() {
    let sim = start("inactive-picklist-value").await;
    let admin = sim.admin_token();
    let field = describe_field(&sim, admin, SENTIMENT).await.expect("field");
    assert_eq!(field["type"], "picklist");
    assert_eq!(field["restrictedPicklist"], true);
    let values = field["picklistValues"].as_array().expect("values");
    let neutral = values
        .iter()
        .find(|v| v["value"] == "Neutral")
        .expect("Neutral listed");
    assert_eq!(neutral["active"], false, "{neutral}");
    assert!(values
        .iter()
        .any(|v| v["value"] == "Positive" && v["active"] == true));

    let id = single_id(&sim, admin, "SELECT Id FROM CustomField WHERE DeveloperName = 'Enterpret_Sentiment' AND TableEnumOrId = 'Case'", true).await;
    let (status, body) = query(
        &sim,
        admin,
        &format!("SELECT Id, Metadata FROM CustomField WHERE Id = '{id}'"),
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let value_set = &body["records"][0]["Metadata"]["valueSet"];
    assert_eq!(
        value_set["valueSetName"], "Enterpret_Sentiments",
        "{value_set}"
    );
    assert_eq!(value_set["restricted"], true, "{value_set}");

    let set_id = single_id(
        &sim,
        admin,
        "SELECT Id FROM GlobalValueSet WHERE DeveloperName = 'Enterpret_Sentiments'",
        true,
    )
    .await;
    let (status, body) = query(
        &sim,
        admin,
        &format!("SELECT Id, DeveloperName, Metadata FROM GlobalValueSet WHERE Id = '{set_id}'"),
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let custom = body["records"][0]["Metadata"]["customValue"]
        .as_array()
        .expect("customValue")
        .clone();
    let neutral = custom
        .iter()
        .find(|v| v["fullName"] == "Neutral")
        .expect("Neutral");
    assert_eq!(neutral["isActive"], false, "{neutral}");
    let (status, body) = query(&sim, admin, "SELECT Id, Metadata FROM GlobalValueSet", true).await;
    // One global value set: the one-row rule holds; the standard API does not serve it.
    assert_eq!(status, 200, "{body}");
    let (status, body) = query(&sim, admin, "SELECT Id FROM GlobalValueSet", false).await;
    assert_eq!(status, 400, "{body}");

    let token = integration_token(&sim);
    let (status, body) = patch_record(
        &sim,
        &token,
        "Case",
        &case18(),
        &json!({SENTIMENT: "Neutral"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assert_eq!(
        message(&body),
        "Enterpret Sentiment: bad value for restricted picklist field: Neutral"
    );
    assert_eq!(fields_of(&body), json!([SENTIMENT]));
    let (status, body) = patch_record(
        &sim,
        &token,
        "Case",
        &case18(),
        &json!({SENTIMENT: "Positive"}),
    )
    .await;
    assert_eq!(status, 204, "{body}");

    // A local picklist's inactive value shows isActive = false in its value set definition.
    let sim = start_text(
        "extends = \"ready\"\nname = \"local\"\n[[fields.Case]]\napi_name = \"Enterpret_Sentiment__c\"\ntype = \"Picklist\"\nvalues = [\"Positive\"]\ninactive_values = [\"Neutral\"]\nrestricted = true\n",
    )
    .await;
    let admin = sim.admin_token();
    let id = single_id(
        &sim,
        admin,
        "SELECT Id FROM CustomField WHERE DeveloperName = 'Enterpret_Sentiment'",
        true,
    )
    .await;
    let (_, body) = query(
        &sim,
        admin,
        &format!("SELECT Metadata FROM CustomField WHERE Id = '{id}'"),
        true,
    )
    .await;
    let definition = &body["records"][0]["Metadata"]["valueSet"]["valueSetDefinition"]["value"];
    assert_eq!(definition[0]["fullName"], "Positive", "{definition}");
    assert_eq!(definition[0]["isActive"], Value::Null, "{definition}");
    assert_eq!(definition[1]["fullName"], "Neutral", "{definition}");
    assert_eq!(definition[1]["isActive"], false, "{definition}");
}

#[tokio::test]
async fn formula_auto_number_and_roll_up_fields_are_read_only() {
    let sim = start("read-only-field").await;
    let admin = sim.admin_token();
    let field = describe_field(&sim, admin, SENTIMENT).await.expect("field");
    assert_eq!(field["calculated"], true, "{field}");
    assert_eq!(field["calculatedFormula"], "TEXT(Priority)", "{field}");
    assert_eq!(field["updateable"], false, "{field}");
    assert_eq!(field["createable"], false, "{field}");
    let (_, body) = query(&sim, admin, "SELECT QualifiedApiName, DataType FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = 'Case' AND QualifiedApiName = 'Enterpret_Sentiment__c'", false).await;
    assert_eq!(body["records"][0]["DataType"], "Formula (Text)", "{body}");
    // The permission set still says Edit.
    let (_, body) = query(&sim, admin, "SELECT PermissionsEdit FROM FieldPermissions WHERE Field = 'Case.Enterpret_Sentiment__c' AND Parent.Name = 'Enterpret_Integration'", false).await;
    assert_eq!(body["records"][0]["PermissionsEdit"], true, "{body}");

    let token = integration_token(&sim);
    let (status, body) = patch_record(
        &sim,
        &token,
        "Case",
        &case18(),
        &json!({SENTIMENT: "Neutral"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(fields_of(&body), json!([SENTIMENT]));
    assert!(
        message(&body).starts_with("Unable to create/update fields: Enterpret_Sentiment__c."),
        "{body}"
    );

    let sim = start_text(
        "extends = \"ready\"\nname = \"computed\"\n\
         [[fields.Case]]\napi_name = \"Ticket__c\"\nlabel = \"Ticket\"\ntype = \"AutoNumber\"\ndisplay_format = \"T-{00000}\"\n\
         [[fields.Case]]\napi_name = \"Comments__c\"\nlabel = \"Comments\"\ntype = \"Summary\"\nsummary_operation = \"COUNT\"\nsummarized_object = \"CaseComment\"\n\
         [[profiles]]\nname = \"System Administrator\"\nfield_permissions = [{ field = \"Case.Ticket__c\", read = true, edit = true }, { field = \"Case.Comments__c\", read = true, edit = true }]\n",
    )
    .await;
    let admin = sim.admin_token();
    let ticket = describe_field(&sim, admin, "Ticket__c")
        .await
        .expect("Ticket__c");
    assert_eq!(ticket["type"], "string");
    assert_eq!(ticket["autoNumber"], true);
    assert_eq!(ticket["calculated"], false);
    assert_eq!(ticket["updateable"], false);
    let comments = describe_field(&sim, admin, "Comments__c")
        .await
        .expect("Comments__c");
    assert_eq!(comments["type"], "double");
    assert_eq!(comments["calculated"], true);
    assert_eq!(comments["updateable"], false);
    let (_, body) = query(&sim, admin, "SELECT QualifiedApiName, DataType FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = 'Case' AND QualifiedApiName IN ('Ticket__c', 'Comments__c') ORDER BY QualifiedApiName", false).await;
    assert_eq!(
        body["records"][0]["DataType"], "Roll-Up Summary (COUNT Case Comment)",
        "{body}"
    );
    assert_eq!(body["records"][1]["DataType"], "Auto Number", "{body}");
    let id = single_id(
        &sim,
        admin,
        "SELECT Id FROM CustomField WHERE DeveloperName = 'Ticket'",
        true,
    )
    .await;
    let (_, body) = query(
        &sim,
        admin,
        &format!("SELECT Metadata FROM CustomField WHERE Id = '{id}'"),
        true,
    )
    .await;
    assert_eq!(
        body["records"][0]["Metadata"]["type"], "AutoNumber",
        "{body}"
    );
    assert_eq!(
        body["records"][0]["Metadata"]["displayFormat"], "T-{00000}",
        "{body}"
    );
    let (status, body) = patch_record(
        &sim,
        admin,
        "Case",
        &case18(),
        &json!({"Ticket__c": "T-1", "Comments__c": 3}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(fields_of(&body), json!(["Ticket__c", "Comments__c"]));
}

#[tokio::test]
async fn validation_rules_fire_on_their_formula() {
    // ready: "Choose a Case Reason before closing the case" fires only when closing without a reason.
    let sim = start("ready").await;
    let token = integration_token(&sim);
    for (body, expected) in [
        (json!({"Status": "Escalated"}), 204),
        (json!({"Status": "Working", SUMMARY: "s"}), 204),
        (json!({"Status": "Closed"}), 400),
        (json!({"Status": "Closed", "Reason": "Other"}), 204),
    ] {
        let (status, answer) = patch_record(&sim, &token, "Case", &case18(), &body).await;
        assert_eq!(status, expected, "{body}: {answer}");
        if status == 400 {
            assert_eq!(error_code(&answer), "FIELD_CUSTOM_VALIDATION_EXCEPTION");
            assert_eq!(
                message(&answer),
                "Choose a Case Reason before closing the case."
            );
            assert_eq!(fields_of(&answer), json!(["Reason"]));
        }
    }

    // A rule that names no integration field, with its error at the top of the page.
    let sim = start("validation-formula-blocks").await;
    let token = integration_token(&sim);
    let (status, body) = patch_record(
        &sim,
        &token,
        "Case",
        &case18(),
        &json!({SENTIMENT: "Neutral"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "FIELD_CUSTOM_VALIDATION_EXCEPTION");
    assert_eq!(
        message(&body),
        "Only administrators may change triage data on a case."
    );
    assert_eq!(fields_of(&body), json!([]));
    let (status, body) = patch_record(
        &sim,
        &token,
        "Case",
        &case18(),
        &json!({SUMMARY: "only the summary"}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    // The System Administrator passes the same change.
    let (status, body) = patch_record(
        &sim,
        sim.admin_token(),
        "Case",
        &case18(),
        &json!({SENTIMENT: "Neutral"}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    // The formula itself is served only on a one-row Metadata query.
    let id = single_id(
        &sim,
        sim.admin_token(),
        "SELECT Id FROM ValidationRule WHERE ValidationName = 'Protect_Triage_Data'",
        true,
    )
    .await;
    let (status, body) = query(
        &sim,
        sim.admin_token(),
        &format!("SELECT Id, ValidationName, Metadata FROM ValidationRule WHERE Id = '{id}'"),
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["records"][0]["Metadata"]["errorConditionFormula"],
        "AND(ISCHANGED(Enterpret_Sentiment__c), $Profile.Name <> 'System Administrator')"
    );
    assert_eq!(
        body["records"][0]["Metadata"]["errorDisplayField"],
        Value::Null
    );
    let (status, body) = query(
        &sim,
        sim.admin_token(),
        "SELECT Id, Metadata FROM ValidationRule",
        true,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "MALFORMED_QUERY");

    // A formula outside the subset is a scenario error, not a silent pass.
    let err = scenario::load_str(
        "bad",
        "extends = \"ready\"\nname = \"bad\"\n[[validation_rules]]\nname = \"X\"\nerror_message = \"x\"\nformula = \"REGEX(Subject, '.*')) \"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("validation rule X"), "{err}");
}

#[tokio::test]
async fn oauth_tokens_are_visible_to_customize_application_or_their_owner() {
    let sim = start("ready").await;
    let soql = "SELECT Id, AppName, UserId FROM OauthToken";
    let (status, body) = query(&sim, sim.admin_token(), soql, false).await;
    assert_eq!(status, 200, "{body}");
    let all = body["totalSize"].as_u64().expect("totalSize");
    assert!(all >= 1, "{body}");
    let integration = user_id(&sim, INTEGRATION_USER);
    let token = integration_token(&sim);
    let (status, body) = query(&sim, &token, soql, false).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["totalSize"].as_u64().unwrap() >= 1, "{body}");
    assert!(
        records(&body)
            .iter()
            .all(|r| r["UserId"] == json!(integration)),
        "{body}"
    );
    let agent = sim.token_for("agent@acme.example", "X", &["api"]).unwrap();
    let (status, body) = query(&sim, &agent, soql, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 0, "{body}");
}

#[tokio::test]
async fn concurrent_long_requests_are_not_the_daily_quota() {
    let sim = start("concurrent-limit").await;
    let (used_before, max) = sim.api_usage();
    let (status, headers, text) = raw(
        &sim,
        Method::GET,
        &format!("/services/data/{V}/limits/"),
        Some(sim.admin_token()),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(
        parse(&text),
        json!([{"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    let (used, limit) = limit_usage(&headers);
    assert_eq!((used, limit), (used_before, max));
    assert!(used < limit / 2, "plenty of daily room");
    assert_eq!(
        sim.api_usage().0,
        used_before,
        "the refused call is not counted"
    );

    // Injected: the next request only.
    let sim = start("ready").await;
    sim.inject(writeback_setup::sim::server::Fault::ConcurrentRequestLimit(
        1,
    ));
    let (status, body) = query(&sim, sim.admin_token(), "SELECT Id FROM Case", false).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), "REQUEST_LIMIT_EXCEEDED");
    let (status, body) = query(&sim, sim.admin_token(), "SELECT Id FROM Case", false).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_blocking_duplicate_rule_refuses_the_update() {
    let sim = start("duplicate-rule-blocks").await;
    let admin = sim.admin_token();
    let (status, body) = query(
        &sim,
        admin,
        "SELECT Id, DeveloperName, MasterLabel, SobjectType, IsActive FROM DuplicateRule WHERE SobjectType = 'Contact' AND IsActive = true",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1, "{body}");
    assert_eq!(body["records"][0]["DeveloperName"], "Contact_Same_Email");
    assert_eq!(
        body["records"][0]["MasterLabel"],
        "Contacts with the same email"
    );

    let grace = single_id(
        &sim,
        admin,
        "SELECT Id FROM Contact WHERE FirstName = 'Grace'",
        false,
    )
    .await;
    let other = single_id(
        &sim,
        admin,
        "SELECT Id FROM Contact WHERE FirstName = 'Grace B.'",
        false,
    )
    .await;
    let alan = single_id(
        &sim,
        admin,
        "SELECT Id FROM Contact WHERE FirstName = 'Alan'",
        false,
    )
    .await;
    let token = integration_token(&sim);
    let (status, body) = patch_record(
        &sim,
        &token,
        "Contact",
        &grace,
        &json!({"Survey_Score__c": 7}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "DUPLICATES_DETECTED");
    let message_text =
        "You're creating a duplicate record. We recommend you use an existing record instead.";
    assert_eq!(message(&body), message_text);
    let result = &body[0]["duplicateResult"];
    assert_eq!(result["allowSave"], false);
    assert_eq!(result["duplicateRule"], "Contact_Same_Email");
    assert_eq!(result["duplicateRuleEntityType"], "Contact");
    assert_eq!(result["errorMessage"], message_text);
    let matched = &result["matchResults"][0];
    assert_eq!(matched["rule"], "Contact_Email_Exact");
    assert_eq!(matched["size"], 1);
    assert_eq!(matched["matchRecords"][0]["record"]["Id"], json!(other));
    // A Contact without a twin saves.
    let (status, body) = patch_record(
        &sim,
        &token,
        "Contact",
        &alan,
        &json!({"Survey_Score__c": 9}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    // Changing the email to a free one saves as well.
    let (status, body) = patch_record(
        &sim,
        &token,
        "Contact",
        &grace,
        &json!({"Email": "grace.h@customer.example", "Survey_Score__c": 7}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test]
async fn tooling_custom_field_filters_on_a_null_namespace() {
    let sim = start("ready").await;
    let (status, body) = query(
        &sim,
        sim.admin_token(),
        "SELECT Id, DeveloperName, NamespacePrefix FROM CustomField WHERE TableEnumOrId = 'Case' AND NamespacePrefix = null",
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 3, "{body}");
    let (_, body) = query(
        &sim,
        sim.admin_token(),
        "SELECT Id FROM CustomField WHERE TableEnumOrId = 'Case' AND NamespacePrefix != null",
        true,
    )
    .await;
    assert_eq!(body["totalSize"], 0, "{body}");
}

#[tokio::test]
async fn expired_and_session_activation_sets_grant_nothing() {
    for scenario in ["expired-assignment", "session-activation-required"] {
        let sim = start(scenario).await;
        assert_eq!(
            case_editable(&sim, INTEGRATION_USER).await,
            json!(false),
            "{scenario}"
        );
        let soql = format!(
            "SELECT ExpirationDate, PermissionSet.Name, PermissionSet.HasActivationRequired FROM PermissionSetAssignment WHERE AssigneeId = '{}' AND PermissionSet.IsOwnedByProfile = false",
            user_id(&sim, INTEGRATION_USER)
        );
        let (_, body) = query(&sim, sim.admin_token(), &soql, false).await;
        let row = &body["records"][0];
        assert_eq!(
            row["PermissionSet"]["Name"], "Enterpret_Integration",
            "{scenario}: {body}"
        );
        if scenario == "expired-assignment" {
            assert_eq!(
                row["ExpirationDate"], "2026-06-30T00:00:00.000+0000",
                "{body}"
            );
        } else {
            assert_eq!(
                row["PermissionSet"]["HasActivationRequired"], true,
                "{body}"
            );
        }
        let token = integration_token(&sim);
        let (status, body) =
            patch_record(&sim, &token, "Case", &case18(), &json!({SUMMARY: "x"})).await;
        assert!(
            status == 400 || status == 404,
            "{scenario}: {status} {body}"
        );
    }
}

// ---- Standard fields without a recording (Lead, Account) and create defaults -----------------

/// One field of an object's describe, as the admin sees it.
async fn object_field(sim: &SimServer, object: &str, field: &str) -> Option<Value> {
    let (status, body) = get(
        sim,
        sim.admin_token(),
        &format!("/services/data/{V}/sobjects/{object}/describe"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == field)
        .cloned()
}

/// The standard field names of an object's describe, as the admin sees them.
async fn standard_field_names(sim: &SimServer, object: &str) -> Vec<String> {
    let (status, body) = common::get(
        sim,
        sim.admin_token(),
        &format!("/services/data/{V}/sobjects/{object}/describe"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter(|f| f["custom"] == false)
        .filter_map(|f| f["name"].as_str().map(str::to_string))
        .collect()
}

/// Lead and Account have the standard fields the Object Reference lists (54 on Lead, as an org
/// of the recordings' era describes it); the name and the required fields are marked.
#[tokio::test]
async fn lead_and_account_describe_their_standard_fields() {
    let sim = common::start("ready").await;
    let lead = standard_field_names(&sim, "Lead").await;
    assert_eq!(lead.len(), 54, "{lead:?}");
    for name in [
        "Company",
        "Status",
        "IsConverted",
        "ConvertedAccountId",
        "Address",
        "NumberOfEmployees",
        "IndividualId",
    ] {
        assert!(lead.iter().any(|f| f == name), "Lead.{name} missing");
    }
    let account = standard_field_names(&sim, "Account").await;
    for name in [
        "Name",
        "ParentId",
        "BillingAddress",
        "ShippingCity",
        "Industry",
        "AnnualRevenue",
        "OwnerId",
    ] {
        assert!(account.iter().any(|f| f == name), "Account.{name} missing");
    }
    let name = object_field(&sim, "Account", "Name")
        .await
        .expect("Account.Name");
    assert_eq!(name["nameField"], true);
    assert_eq!(name["nillable"], false);
    assert_eq!(name["createable"], true);
    let employees = object_field(&sim, "Lead", "NumberOfEmployees")
        .await
        .expect("Lead.NumberOfEmployees");
    assert_eq!(employees["type"], "int");
    assert_eq!(employees["digits"], 8);
    let address = object_field(&sim, "Account", "BillingAddress")
        .await
        .expect("Account.BillingAddress");
    assert_eq!(address["type"], "address");
    assert_eq!(address["updateable"], false);
    let status = object_field(&sim, "Lead", "Status")
        .await
        .expect("Lead.Status");
    assert_eq!(status["defaultedOnCreate"], true);
    assert_eq!(status["defaultValue"], "Open - Not Contacted");
}

/// A create that leaves out defaulted fields gets Salesforce's defaults (Case `Status` "New",
/// `Priority` "Medium", an auto-numbered `CaseNumber`, the caller as owner; Lead `Status`); a
/// required field without a default is still `REQUIRED_FIELD_MISSING`; a read-only field such as
/// `Contact.Name` is refused.
#[tokio::test]
async fn creates_fill_defaulted_fields_and_refuse_read_only_ones() {
    let sim = common::start("ready").await;
    let token = sim.admin_token().to_string();
    let post = |object: &str, body: Value| {
        let (sim, token, path) = (&sim, token.clone(), sobjects(object));
        async move { common::send(sim, &token, reqwest::Method::POST, &path, &body).await }
    };
    let (status, created) = post("Case", json!({"Subject": "Defaults"})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let (_, case) = common::get(&sim, &token, &case_path(&id)).await;
    assert_eq!(case["Status"], "New");
    assert_eq!(case["Priority"], "Medium");
    assert_eq!(case["IsEscalated"], false);
    assert!(
        case["CaseNumber"].as_str().is_some_and(|n| !n.is_empty()),
        "{case}"
    );
    assert_eq!(case["OwnerId"], json!(user_id(&sim, "admin@acme.example")));

    let (status, created) = post("Lead", json!({"LastName": "Vaughan", "Company": "NACA"})).await;
    assert_eq!(status, 201, "{created}");
    let lead_id = created["id"].as_str().expect("id");
    let (_, lead) = common::get(
        &sim,
        &token,
        &format!("/services/data/{V}/sobjects/Lead/{lead_id}"),
    )
    .await;
    assert_eq!(lead["Status"], "Open - Not Contacted");

    let (status, body) = post("Account", json!({"Website": "https://acme.example"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(common::error_code(&body), "REQUIRED_FIELD_MISSING");
    assert_eq!(fields_of(&body), json!(["Name"]));
    let (status, body) = post("Account", json!({"Name": "Acme", "NumberOfEmployees": 250})).await;
    assert_eq!(status, 201, "{body}");

    let (status, body) = post(
        "Contact",
        json!({"LastName": "Lovelace", "Name": "Ada Lovelace"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(common::error_code(&body), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(fields_of(&body), json!(["Name"]));
}

#[tokio::test]
async fn related_records_by_sobject_relationship_are_a_query_answer() {
    // sObject Relationships: a GET, not a query; the user's licences as query rows.
    let sim = start("ready").await;
    let admin = sim.admin_token();
    let user = user_id(&sim, INTEGRATION_USER);
    let path = format!(
        "/services/data/{V}/sobjects/User/{user}/PermissionSetLicenseAssignments?fields=Id,PermissionSetLicenseId"
    );
    let (status, body) = get(&sim, admin, &path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["done"], true, "{body}");
    let held = body["records"][0]["PermissionSetLicenseId"]
        .as_str()
        .unwrap_or_default();
    assert!(held.starts_with("0PL"), "{body}");

    let missing = start("integration-psl-missing").await;
    let path = format!(
        "/services/data/{V}/sobjects/User/{}/PermissionSetLicenseAssignments",
        user_id(&missing, INTEGRATION_USER)
    );
    let (status, body) = get(&missing, missing.admin_token(), &path).await;
    assert_eq!(
        (status, body["totalSize"].clone()),
        (200, json!(0)),
        "{body}"
    );

    // A relationship the object does not have, and a field the child does not have.
    let (status, body) = get(
        &sim,
        admin,
        &format!("/services/data/{V}/sobjects/User/{user}/Nope"),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(error_code(&body), "NOT_FOUND");
    let (status, body) = get(
        &sim,
        admin,
        &format!(
            "/services/data/{V}/sobjects/User/{user}/PermissionSetLicenseAssignments?fields=Nope"
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_FIELD");
}
