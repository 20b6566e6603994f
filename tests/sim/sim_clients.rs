//! What real Salesforce clients (the Salesforce CLI, jsforce, simple-salesforce) need from the
//! simulated org and once did not get: each gap the conformance suite (`.ci/conformance`) found,
//! held here over plain HTTP so that `cargo test` keeps it without Node or Python.
//! Sources of each rule: docs/salesforce-fidelity.md, "Endpoints and protocol".

use crate::common;

use common::{client, error_code, get, send, start, V};
use reqwest::Method;
use serde_json::{json, Value};
use writeback_setup::sim::server::SimServer;

async fn raw(
    sim: &SimServer,
    method: Method,
    path: &str,
    auth: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = client().request(method, format!("{}{path}", sim.url()));
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    (status, headers, text)
}

fn q(soql: &str) -> String {
    url::form_urlencoded::byte_serialize(soql.as_bytes()).collect()
}

#[tokio::test]
async fn a_double_slash_after_the_instance_url_is_served() {
    let sim = start("ready").await;
    let token = sim.admin_token().to_string();
    let (status, body) = get(
        &sim,
        &token,
        &format!("//services/data/{V}/sobjects/Case/describe"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Case");
    let (status, body) = get(
        &sim,
        &token,
        &format!("//services/data/{V}/query?q={}", q("SELECT Id FROM Case")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 3);
}

#[tokio::test]
async fn columns_true_answers_column_metadata_as_the_cli_reads_it() {
    let sim = start("ready").await;
    let token = sim.admin_token().to_string();
    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/query?q={}&columns=true",
            q("SELECT Id, Subject, Owner.Name FROM Case")
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let columns = body["columnMetadata"]
        .as_array()
        .expect("columnMetadata is an array");
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["columnName"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Id", "Subject", "Owner"]);
    assert_eq!(columns[2]["joinColumns"][0]["columnName"], "Name");
    assert_eq!(columns[0]["aggregate"], false);
    assert_eq!(body["entityName"], "Case");
    assert_eq!(body["idSelected"], true);
    assert!(body.get("records").is_none(), "columns, not rows: {body}");

    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/query?q={}&columns=true",
            q("SELECT COUNT(Id) FROM Case")
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["columnMetadata"][0]["columnName"], "expr0");
    assert_eq!(body["columnMetadata"][0]["aggregate"], true);
    assert_eq!(body["columnMetadata"][0]["displayName"], "COUNT(Id)");

    // Tooling too (`sf data query --use-tooling-api`).
    let tooling = "SELECT QualifiedApiName FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = 'Case'";
    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/tooling/query?q={}&columns=true",
            q(tooling)
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["columnMetadata"][0]["columnName"], "QualifiedApiName");

    // A query that cannot run has no columns either.
    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/query?q={}&columns=true",
            q("SELECT Nope FROM Case")
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "INVALID_FIELD");
}

#[tokio::test]
async fn count_of_a_field_is_one_aggregate_row() {
    let sim = start("ready").await;
    let token = sim.admin_token().to_string();
    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/query?q={}",
            q("SELECT COUNT(Id) FROM Case")
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1);
    assert_eq!(
        body["records"],
        json!([{"attributes": {"type": "AggregateResult"}, "expr0": 3}])
    );
    let (_, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/query?q={}",
            q("SELECT COUNT() FROM Case")
        ),
    )
    .await;
    assert_eq!(body["totalSize"], 3);
    assert_eq!(body["records"], json!([]));
    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/query?q={}",
            q("SELECT COUNT(Nope) FROM Case")
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "INVALID_FIELD");
}

#[tokio::test]
async fn the_resource_list_names_the_identity_url_which_answers_the_identity_document() {
    let sim = start("ready").await;
    let token = sim.admin_token().to_string();
    let (status, resources) = get(&sim, &token, &format!("/services/data/{V}/")).await;
    assert_eq!(status, 200, "{resources}");
    let identity = resources["identity"]
        .as_str()
        .expect("identity entry")
        .to_string();
    assert!(identity.starts_with(sim.url()), "absolute: {identity}");
    assert!(resources.get("queryAll").is_some());

    // jsforce's identity(): the token as ?oauth_token=, no header.
    let path = identity.trim_start_matches(sim.url()).to_string();
    let token_q: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let (status, _, text) = raw(
        &sim,
        Method::GET,
        &format!("{path}?format=json&oauth_token={token_q}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let doc: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc["id"], identity);
    assert_eq!(doc["username"], "admin@acme.example");
    assert!(
        doc["display_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{doc}"
    );
    assert!(doc["user_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("005")));
    assert!(doc["organization_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("00D")));
    assert!(
        doc["urls"]["rest"]
            .as_str()
            .is_some_and(|u| u.contains("{version}")),
        "{doc}"
    );
    assert!(
        doc.get("preferred_username").is_none(),
        "not the userinfo shape: {doc}"
    );

    // ?version= fills in the URLs; a Bearer header works too.
    let (status, doc) = get(&sim, &token, &format!("{path}?version=62.0")).await;
    assert_eq!(status, 200);
    assert!(
        doc["urls"]["rest"]
            .as_str()
            .is_some_and(|u| u.ends_with("/services/data/v62.0/")),
        "{doc}"
    );

    // No token: refused.
    let (status, _, text) = raw(&sim, Method::GET, &path, None, &[]).await;
    assert_eq!((status, text.as_str()), (403, "Bad_OAuth_Token"));
}

#[tokio::test]
async fn sobject_collections_retrieve_update_create_and_delete() {
    let sim = start("ready").await;
    let token = sim.admin_token().to_string();
    let (_, found) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/query?q={}",
            q("SELECT Id FROM Contact ORDER BY LastName")
        ),
    )
    .await;
    let ids: Vec<String> = found["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);

    // GET with ids and fields; an unknown Id is null.
    let missing = "003000000000000AAA";
    let (status, body) = get(
        &sim,
        &token,
        &format!(
            "/services/data/{V}/composite/sobjects/Contact?ids={},{missing}&fields=LastName,Email",
            ids[0]
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["attributes"]["type"], "Contact");
    assert!(body[0]["LastName"].is_string());
    assert_eq!(body[1], Value::Null);

    // PATCH: one good, one refused, as recorded (sobject_collections_update_INVALID_EMAIL_ADDRESS).
    let (status, body) = send(
        &sim,
        &token,
        Method::PATCH,
        &format!("/services/data/{V}/composite/sobjects"),
        &json!({"allOrNone": false, "records": [
            {"attributes": {"type": "Contact"}, "id": ids[0], "Email": "new@customer.example"},
            {"attributes": {"type": "Contact"}, "id": ids[1], "Email": "badone"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body[0],
        json!({"id": ids[0], "success": true, "errors": []})
    );
    assert_eq!(body[1]["success"], false);
    assert_eq!(body[1]["errors"][0]["statusCode"], "INVALID_EMAIL_ADDRESS");
    assert_eq!(body[1]["errors"][0]["fields"], json!(["Email"]));

    // allOrNone: the good one is rolled back too.
    let (_, body) = send(
        &sim,
        &token,
        Method::PATCH,
        &format!("/services/data/{V}/composite/sobjects"),
        &json!({"allOrNone": true, "records": [
            {"attributes": {"type": "Contact"}, "id": ids[0], "Email": "rolled@customer.example"},
            {"attributes": {"type": "Contact"}, "id": ids[1], "Email": "badone"},
        ]}),
    )
    .await;
    assert_eq!(
        body[0]["errors"][0]["statusCode"], "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "{body}"
    );
    let (_, record) = get(
        &sim,
        &token,
        &format!("/services/data/{V}/sobjects/Contact/{}", ids[0]),
    )
    .await;
    assert_eq!(record["Email"], "new@customer.example");

    // POST creates; a failed create has no id (sobject_collections_create_REQUIRED_FIELD_MISSING).
    let (status, body) = send(
        &sim,
        &token,
        Method::POST,
        &format!("/services/data/{V}/composite/sobjects"),
        &json!({"records": [
            {"attributes": {"type": "Contact"}, "LastName": "Lovelace"},
            {"attributes": {"type": "Contact"}, "FirstName": "No last name"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["success"], true, "{body}");
    let created = body[0]["id"].as_str().expect("created id").to_string();
    assert_eq!(body[1]["success"], false);
    assert!(body[1].get("id").is_none(), "{body}");
    assert_eq!(body[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");

    // DELETE ?ids=, then queryAll still sees it.
    let (status, _, text) = raw(
        &sim,
        Method::DELETE,
        &format!("/services/data/{V}/composite/sobjects?ids={created}"),
        Some(&format!("Bearer {token}")),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let soql = q("SELECT Id FROM Contact WHERE LastName = 'Lovelace'");
    let (_, live) = get(&sim, &token, &format!("/services/data/{V}/query?q={soql}")).await;
    assert_eq!(live["totalSize"], 0);
    let (status, all) = get(
        &sim,
        &token,
        &format!("/services/data/{V}/queryAll?q={soql}"),
    )
    .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["totalSize"], 1);
}

#[tokio::test]
async fn resources_are_served_only_from_the_version_that_introduced_them() {
    let sim = start("ready").await;
    let token = sim.admin_token().to_string();
    let (status, _, text) = raw(&sim, Method::GET, "/services/data/", None, &[]).await;
    assert_eq!(status, 200);
    let versions: Value = serde_json::from_str(&text).unwrap();
    let list = versions.as_array().unwrap();
    assert_eq!(
        list[0],
        json!({"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"})
    );
    assert!(list
        .iter()
        .any(|v| v
            == &json!({"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"})));
    assert_eq!(list.last().unwrap()["version"], "66.0");

    let (status, _) = get(&sim, &token, "/services/data/v30.0/sobjects").await;
    assert_eq!(status, 404);
    let (status, _) = get(&sim, &token, "/services/data/v31.0/sobjects").await;
    assert_eq!(status, 200);
    let composite = json!({"compositeRequest": [{"method": "GET", "url": "/services/data/v37.0/sobjects", "referenceId": "a"}]});
    let (status, _) = send(
        &sim,
        &token,
        Method::POST,
        "/services/data/v37.0/composite",
        &composite,
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = send(
        &sim,
        &token,
        Method::POST,
        "/services/data/v38.0/composite",
        &composite,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(
        &sim,
        &token,
        "/services/data/v41.0/composite/sobjects/Case?ids=5005g00000AbCdEAAA&fields=Id",
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = get(&sim, &token, "/services/data/v39.0/limits/recordCount").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn record_count_head_and_batch_size() {
    let sim = start("ready").await;
    let token = sim.admin_token().to_string();
    let (status, body) = get(
        &sim,
        &token,
        &format!("/services/data/{V}/limits/recordCount?sObjects=Case,Contact"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"sObjects": [{"count": 3, "name": "Case"}, {"count": 2, "name": "Contact"}]})
    );

    let bearer = format!("Bearer {token}");
    let (status, headers, text) = raw(
        &sim,
        Method::HEAD,
        &format!("/services/data/{V}/sobjects/Case/describe"),
        Some(&bearer),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.is_empty());
    assert!(headers.get("Sforce-Limit-Info").is_some());

    // 250 contacts, pages of 200.
    let records: Vec<Value> = (0..200)
        .map(|i| json!({"attributes": {"type": "Contact"}, "LastName": format!("Batch {i}")}))
        .collect();
    for chunk in [records.clone(), records[..50].to_vec()] {
        let (status, body) = send(
            &sim,
            &token,
            Method::POST,
            &format!("/services/data/{V}/composite/sobjects"),
            &json!({"records": chunk}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let soql = q("SELECT Id FROM Contact WHERE LastName LIKE 'Batch%'");
    let (status, _, text) = raw(
        &sim,
        Method::GET,
        &format!("/services/data/{V}/query?q={soql}"),
        Some(&bearer),
        &[("Sforce-Query-Options", "batchSize=200")],
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let page: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(page["totalSize"], 250);
    assert_eq!(page["records"].as_array().unwrap().len(), 200);
    assert_eq!(page["done"], false);
    let next = page["nextRecordsUrl"].as_str().unwrap();
    let (_, rest) = get(&sim, &token, next).await;
    assert_eq!(rest["records"].as_array().unwrap().len(), 50);
    assert_eq!(rest["done"], true);
    // Without the header: one page.
    let (_, all) = get(&sim, &token, &format!("/services/data/{V}/query?q={soql}")).await;
    assert_eq!(all["records"].as_array().unwrap().len(), 250);
}

#[tokio::test]
async fn a_basic_or_empty_bearer_header_is_an_invalid_auth_header() {
    let sim = start("ready").await;
    let path = format!("/services/data/{V}/sobjects");
    for auth in ["Basic YWRtaW46cGFzc3dvcmQ=", "Bearer ", "Bearer"] {
        let (status, _, text) = raw(&sim, Method::GET, &path, Some(auth), &[]).await;
        assert_eq!(status, 401, "{auth}: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            json!([{"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}]),
            "{auth}"
        );
    }
    let (status, _, text) = raw(&sim, Method::GET, &path, None, &[]).await;
    assert_eq!(status, 401);
    assert!(text.contains("INVALID_SESSION_ID"), "{text}");
}

#[tokio::test]
async fn describe_metadata_names_the_types_the_org_lists() {
    let sim = start("ready").await;
    let envelope = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata"><soapenv:Header><SessionHeader><sessionId>{}</sessionId></SessionHeader></soapenv:Header><soapenv:Body><describeMetadata><asOfVersion>62.0</asOfVersion></describeMetadata></soapenv:Body></soapenv:Envelope>"#,
        sim.admin_token()
    );
    let response = client()
        .post(format!("{}/services/Soap/m/62.0", sim.url()))
        .header("Content-Type", "text/xml")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("body");
    assert!(
        text.contains("<describeMetadataResponse><result><metadataObjects>"),
        "{text}"
    );
    assert!(text.contains("<xmlName>ConnectedApp</xmlName>"), "{text}");
    assert!(text.contains("<suffix>connectedApp</suffix>"), "{text}");
}
