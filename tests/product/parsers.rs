//! The Salesforce client parses payloads recorded from real orgs (`../shared/fixtures/salesforce/`),
//! served byte for byte by a small local server. Skipped with a message on a clone without
//! `../shared`; mandatory when `CI` is set.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use std::path::PathBuf;
use std::sync::Arc;
use writeback_setup::salesforce::{Client, SfError, StaticToken, SubRequest};

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/salesforce");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the parser tests, but {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} is absent (fresh clone)", dir.display());
    None
}

fn answer(status: u16, body: String) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json;charset=UTF-8")
        .header("Sforce-Limit-Info", "api-usage=42/15000")
        .body(Body::from(body))
        .unwrap()
}

/// Serves recorded payloads at the paths a real org would answer them on.
async fn start(dir: PathBuf) -> String {
    let read = move |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let handler = move |request: Request<Body>| {
        let read = read.clone();
        async move {
            let path = request.uri().path().to_string();
            let query = request.uri().query().unwrap_or("").to_string();
            match path.as_str() {
                "/services/data/" => answer(200, r#"[{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}]"#.into()),
                "/services/data/v66.0/query/" if query.contains("Xyzzy") => answer(400, read("error_400_INVALID_TYPE_query_Snowfakery.json")),
                "/services/data/v66.0/query/" if query.contains("Whizbang") => answer(200, read("restforce__sobject__query_paginated_first_page_response.json")),
                "/services/data/v26.0/query/01gD" => answer(200, read("restforce__sobject__query_paginated_last_page_response.json")),
                "/services/data/v66.0/query/" if query.contains("FROM+User") || query.contains("FROM%20User") => answer(200, read("query_User_Snowfakery.json")),
                "/services/data/v66.0/query/" => answer(401, read("restforce__expired_session_response.json")),
                "/services/data/v66.0/tooling/query/" => answer(200, read("tooling_query_ApexClass_CumulusCI.json")),
                "/services/data/v66.0/composite" => answer(200, read("composite_mixed_INVALID_TYPE_CumulusCI.json")),
                p if p.starts_with("/services/data/v66.0/sobjects/Contact/") && p.ends_with("missing") => answer(404, read("error_404_NOT_FOUND_record_grouparoo.json")),
                p if p.starts_with("/services/data/v66.0/sobjects/Contact/") => answer(200, read("sobject_get_Contact_record_grouparoo.json")),
                "/services/data/v66.0/sobjects/Case/describe" => answer(200, read("case_describe_CumulusCI.json")),
                _ => answer(404, r#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#.into()),
            }
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

async fn client() -> Option<Client> {
    let url = start(fixtures()?).await;
    Some(
        Client::connect(&url, Arc::new(StaticToken::new("00Dx!recorded")))
            .await
            .expect("connects"),
    )
}

#[tokio::test]
async fn query_answers_and_pagination() {
    let Some(client) = client().await else { return };
    let users = client
        .query("SELECT Id, FirstName, LastName FROM User")
        .await
        .unwrap();
    assert_eq!(users.len(), 7);
    assert_eq!(users[0]["LastName"], "Process");
    assert!(users[1]["FirstName"].is_null());
    assert_eq!(
        client.api_usage().map(|u| (u.used, u.max)),
        Some((42, 15000))
    );

    let pages = client
        .query("SELECT Text_Label FROM Whizbang")
        .await
        .unwrap();
    let labels: Vec<&str> = pages
        .iter()
        .map(|r| r["Text_Label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["First Page", "Last Page"]);

    let tooling = client
        .tooling_query("SELECT Id, Name FROM ApexClass")
        .await
        .unwrap();
    assert_eq!(tooling.len(), 3);
    assert_eq!(tooling[2]["Name"], "SampleClass2_TEST");
}

#[tokio::test]
async fn error_envelopes() {
    let Some(client) = client().await else { return };
    let err = client.query("SELECT Xyzzy FROM Xyzzy").await.unwrap_err();
    match &err {
        SfError::Api {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!((*status, code.as_str()), (400, "INVALID_TYPE"));
            assert!(
                message.contains("sObject type 'Xyzzy' is not supported"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let err = client.get("sobjects/Contact/missing").await.unwrap_err();
    assert_eq!((err.code(), err.status()), (Some("NOT_FOUND"), Some(404)));

    let err = client.query("SELECT Id FROM Case").await.unwrap_err();
    assert_eq!(err.code(), Some("INVALID_SESSION_ID"));
    assert!(err.is_expired_session());
    assert!(!err.to_string().contains("00Dx!recorded"));
}

#[tokio::test]
async fn composite_answers() {
    let Some(client) = client().await else { return };
    let responses = client
        .composite(&[
            SubRequest::query("refAccount", "select count() from Account"),
            SubRequest::query("refXYZZY", "select count() from XYZZY"),
        ])
        .await
        .unwrap();
    assert_eq!(responses.len(), 2);
    assert!(responses[0].records().unwrap().is_empty());
    assert_eq!(responses[0].body["totalSize"], 17);
    let err = responses[1].records().unwrap_err();
    assert_eq!(err.code(), Some("INVALID_TYPE"));
}

#[tokio::test]
async fn records_and_describes() {
    let Some(client) = client().await else { return };
    let contact = client
        .get("sobjects/Contact/0034x00000AbCdEAAV")
        .await
        .unwrap();
    assert_eq!(contact["attributes"]["type"], "Contact");
    let describe = client.get("sobjects/Case/describe").await.unwrap();
    let fields = describe["fields"].as_array().unwrap();
    assert!(fields
        .iter()
        .any(|f| f["name"] == "Subject" && f["type"] == "string"));
}

/// The check engine reads a real describe: standard fields and their types as Salesforce sends them.
#[test]
fn engine_reads_a_recorded_describe() {
    use writeback_setup::checks::{evaluate, Gathered, Inputs, Status};
    let Some(dir) = fixtures() else { return };
    let describe: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("case_describe_CumulusCI.json")).unwrap(),
    )
    .unwrap();
    let profile = writeback_setup::profile::parse(
        "recorded.toml",
        r#"
id = "recorded"
title = "Standard Case fields"
vendor = "Test"
description = "Writes two standard fields."
object = "Case"
[access]
read = true
edit = true
[usage]
daily_calls = 10
backfill_calls = 0
[app]
label = "Test"
[[fields]]
api_name = "Subject"
label = "Subject"
type = "Text"
length = 255
description = "A subject."
[[fields]]
api_name = "Description"
label = "Description"
type = "LongTextArea"
length = 32000
description = "A description."
[[fields]]
api_name = "Status"
label = "Status"
type = "Picklist"
values = ["Escalated"]
description = "A status."
"#,
    )
    .unwrap();
    let mut gathered = Gathered::default();
    gathered.answers.insert("describe".into(), Ok(describe));
    let findings = evaluate(&profile, &Inputs::default(), &gathered).findings;
    let status = |id: &str| {
        findings
            .iter()
            .find(|f| f.id == id)
            .map(|f| (f.status, f.detail.clone()))
            .unwrap()
    };
    assert_eq!(
        status("fields.types").0,
        Status::Pass,
        "{:?}",
        status("fields.types")
    );
    // The recorded Status picklist is unrestricted and lacks "Escalated": accepted, not failed.
    assert_eq!(
        status("fields.picklist").0,
        Status::Pass,
        "{:?}",
        status("fields.picklist")
    );
}
