//! The Salesforce client against the simulated org over real HTTP.

use crate::common;

use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use writeback_setup::salesforce::{
    ApiUsage, Client, RefreshFuture, SfError, StaticToken, SubRequest, TokenSource, MAX_API_VERSION,
};
use writeback_setup::sim::server::{Fault, SimServer};

const ADMIN: &str = "admin@acme.example";

async fn connect(sim: &SimServer, token: &str) -> Client {
    Client::connect(sim.url(), Arc::new(StaticToken::new(token)))
        .await
        .expect("connects")
}

/// Asserts that no rendering of the error carries the token.
fn assert_no_token(err: &SfError, token: &str) {
    for text in [format!("{err:?}"), err.to_string(), err.explanation()] {
        assert!(!text.contains(token), "token leaked in {text}");
    }
}

/// A token source that gets a fresh admin token from the simulator when asked to refresh.
struct Refreshing {
    sim: Arc<SimServer>,
    current: Mutex<String>,
    refreshes: AtomicU32,
}

impl Refreshing {
    fn new(sim: Arc<SimServer>, token: String) -> Arc<Refreshing> {
        Arc::new(Refreshing {
            sim,
            current: Mutex::new(token),
            refreshes: AtomicU32::new(0),
        })
    }
}

impl TokenSource for Refreshing {
    fn access_token(&self) -> String {
        self.current.lock().expect("lock").clone()
    }

    fn refresh(&self, _failed: &str) -> RefreshFuture<'_> {
        Box::pin(async move {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
            let fresh = self
                .sim
                .token_for(ADMIN, "Salesforce CLI", &["api"])
                .expect("admin exists");
            *self.current.lock().expect("lock") = fresh.clone();
            Ok(Some(fresh))
        })
    }
}

#[tokio::test]
async fn connect_picks_the_highest_supported_version() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    assert_eq!(client.api_version(), "66.0");
    assert_eq!(client.api_version(), MAX_API_VERSION);
    assert_eq!(client.instance_url(), sim.url());
    // The version list is no API call.
    assert_eq!(client.stats().api_calls, 0);
    assert_eq!(client.stats().http_requests, 1);
    let shown = format!("{client:?}");
    assert!(!shown.contains(sim.admin_token()), "{shown}");
}

#[tokio::test]
async fn connect_rejects_bad_urls() {
    for url in [
        "ftp://x",
        "https://acme.lightning.force.com/lightning/setup",
        "https://acme.my.salesforce.com/lightning/setup",
        "http://acme.my.salesforce.com",
        "acme.my.salesforce.com",
        "",
    ] {
        let err = Client::connect(url, Arc::new(StaticToken::new("t")))
            .await
            .expect_err(url);
        assert!(
            matches!(err, SfError::InvalidInput { .. }),
            "{url}: {err:?}"
        );
        assert!(!err.explanation().is_empty());
    }
}

#[tokio::test]
async fn identity_of_the_token_user() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let me = client.identity().await.expect("userinfo");
    assert_eq!(me.username, ADMIN);
    assert!(me.user_id.starts_with("005"));
    assert!(me.organization_id.starts_with("00D"));
    assert_eq!(client.stats().api_calls, 0);
}

#[tokio::test]
async fn query_returns_records() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let rows = client
        .query("SELECT Id, Username FROM User WHERE Username = 'admin@acme.example'")
        .await
        .expect("query");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get("Username"), Some(&json!(ADMIN)));
    let (used, max) = sim.api_usage();
    assert_eq!(client.api_usage(), Some(ApiUsage { used, max }));
    assert_eq!(client.stats().api_calls, 1);
}

#[tokio::test]
async fn query_follows_pagination() {
    let sim = common::start("large-org").await;
    let client = connect(&sim, sim.admin_token()).await;
    let rows = client
        .query("SELECT Id FROM FieldPermissions")
        .await
        .expect("query");
    assert!(rows.len() > 2000, "{} rows", rows.len());
    let mut ids: Vec<_> = rows.iter().filter_map(|r| r.get("Id")).collect();
    let total = ids.len();
    assert_eq!(total, rows.len(), "every row has its Id");
    ids.sort_by_key(|v| v.to_string());
    ids.dedup();
    assert_eq!(ids.len(), total, "no row twice");
    let pages = total.div_ceil(2000) as u64;
    assert_eq!(client.stats().api_calls, pages);
}

#[tokio::test]
async fn query_error_has_code_and_message() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let err = client
        .query("SELECT Id FROM NoSuchThing__c")
        .await
        .expect_err("unknown object");
    match &err {
        SfError::Api {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(code, "INVALID_TYPE");
            assert!(message.contains("NoSuchThing__c"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), Some("INVALID_TYPE"));
    assert!(!err.is_retryable());
    assert_no_token(&err, sim.admin_token());
}

#[tokio::test]
async fn composite_answers_in_order_in_one_api_call() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let before = sim.api_usage().0;
    let answers = client
        .composite(&[
            SubRequest::query("org", "SELECT Id, Name FROM Organization"),
            SubRequest::get("case", "sobjects/Case/describe"),
            SubRequest::query("bad", "SELECT Id FROM NoSuchThing__c"),
        ])
        .await
        .expect("composite");
    let refs: Vec<_> = answers.iter().map(|a| a.reference_id.as_str()).collect();
    assert_eq!(refs, ["org", "case", "bad"]);
    assert_eq!(answers[0].records().expect("org").len(), 1);
    assert_eq!(
        answers[1].json().expect("describe").get("name"),
        Some(&json!("Case"))
    );
    let err = answers[2].records().expect_err("bad object");
    assert_eq!(err.code(), Some("INVALID_TYPE"));
    assert_eq!(client.stats().api_calls, 1);
    assert_eq!(sim.api_usage().0, before + 1);
    assert_eq!(client.api_usage().map(|u| u.used), Some(before + 1));
}

#[tokio::test]
async fn tooling_composite_and_query() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let answers = client
        .tooling_composite(&[SubRequest::query(
            "fields",
            "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Case'",
        )])
        .await
        .expect("tooling composite");
    assert_eq!(answers.len(), 1);
    let fields = answers[0].records().expect("records");
    assert!(!fields.is_empty());
    let direct = client
        .tooling_query("SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Case'")
        .await
        .expect("tooling query");
    assert_eq!(direct.len(), fields.len());
    assert_eq!(client.stats().api_calls, 2);
}

#[tokio::test]
async fn metadata_list_and_read_connected_apps() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let listed = client.list_metadata(&["ConnectedApp"]).await.expect("list");
    assert!(listed
        .iter()
        .any(|l| l.full_name == "Enterpret_Connector" && l.type_name == "ConnectedApp"));
    assert!(listed.iter().all(|l| !l.id.is_empty()));
    let records = client
        .read_metadata(
            "ConnectedApp",
            &["Enterpret_Connector".to_string(), "No_Such_App".to_string()],
        )
        .await
        .expect("read");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].first("fullName"), Some("Enterpret_Connector"));
    assert_eq!(
        records[0].all("oauthConfig.scopes"),
        ["Api", "RefreshToken"]
    );
    assert!(!records[1].values.contains_key("fullName"));
    assert!(records[1].all("oauthConfig.scopes").is_empty());
    assert_eq!(client.stats().api_calls, 2);
}

#[tokio::test]
async fn metadata_fault_for_the_integration_user() {
    let sim = common::start("ready").await;
    let token = sim
        .token_for("integration@acme.example", "Enterpret", &["api"])
        .expect("user exists");
    let client = connect(&sim, &token).await;
    let err = client
        .list_metadata(&["ConnectedApp"])
        .await
        .expect_err("no permission");
    match &err {
        SfError::SoapFault { code, message } => {
            assert_eq!(code, "INSUFFICIENT_ACCESS");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(err.explanation().contains("Customize Application"));
    assert_no_token(&err, &token);
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let before = client.stats();
    sim.inject(Fault::ServiceUnavailable(2));
    let rows = client
        .query("SELECT Id FROM Organization")
        .await
        .expect("third attempt succeeds");
    assert_eq!(rows.len(), 1);
    let after = client.stats();
    assert_eq!(after.http_requests - before.http_requests, 3);
    assert_eq!(after.api_calls - before.api_calls, 1);
}

#[tokio::test]
async fn gives_up_after_three_503() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    sim.inject(Fault::ServiceUnavailable(5));
    let err = client.get("limits/").await.expect_err("still down");
    assert_eq!(err.code(), Some("SERVER_UNAVAILABLE"));
    assert!(err.is_retryable());
    assert_eq!(client.stats().http_requests, 4);
}

#[tokio::test]
async fn retries_a_dropped_connection() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    sim.inject(Fault::DropConnection);
    let body = client.get("sobjects/Case/describe").await.expect("retried");
    assert_eq!(body.get("name"), Some(&json!("Case")));
    assert_eq!(client.stats().http_requests, 3);
}

#[tokio::test]
async fn html_page_is_not_salesforce() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    sim.inject(Fault::HtmlErrorPage);
    let err = client
        .query("SELECT Id FROM Organization")
        .await
        .expect_err("html");
    match &err {
        SfError::NotSalesforce {
            status, excerpt, ..
        } => {
            assert_eq!(*status, 500);
            assert!(
                excerpt.contains("An unexpected error has occurred."),
                "{excerpt}"
            );
            assert!(!excerpt.contains('<'));
            assert!(excerpt.chars().count() <= 200);
        }
        other => panic!("{other:?}"),
    }
    // A 500 is not retried.
    assert_eq!(client.stats().http_requests, 2);
    assert_eq!(client.stats().api_calls, 0);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    sim.inject(Fault::MalformedJson);
    let err = client
        .query("SELECT Id FROM Organization")
        .await
        .expect_err("malformed");
    assert!(matches!(err, SfError::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn writes_are_not_retried() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let cases = client
        .query("SELECT Id, Subject FROM Case LIMIT 1")
        .await
        .expect("a case");
    let id = cases[0]
        .get("Id")
        .and_then(|v| v.as_str())
        .expect("id")
        .to_string();
    let before = client.stats();
    sim.inject(Fault::ServiceUnavailable(1));
    let err = client
        .send_json(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{id}"),
            &json!({"Subject": "Changed"}),
            &[("Sforce-Auto-Assign", "FALSE")],
        )
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(client.stats().http_requests - before.http_requests, 1);
    // Without the fault the same PATCH works and answers 204.
    let ok = client
        .send_json(
            reqwest::Method::PATCH,
            &format!("sobjects/Case/{id}"),
            &json!({"Subject": "Changed"}),
            &[("Sforce-Auto-Assign", "FALSE")],
        )
        .await
        .expect("patch");
    assert_eq!(ok, None);
}

#[tokio::test]
async fn expired_session_is_refreshed_once() {
    let sim = Arc::new(common::start("ready").await);
    let first = sim
        .token_for(ADMIN, "Salesforce CLI", &["api"])
        .expect("admin");
    let tokens = Refreshing::new(sim.clone(), first.clone());
    let client = Client::connect(sim.url(), tokens.clone())
        .await
        .expect("connects");
    sim.inject(Fault::ExpireAllTokens);
    let rows = client
        .query("SELECT Id FROM Organization")
        .await
        .expect("refreshed");
    assert_eq!(rows.len(), 1);
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    // The refreshed token keeps working; no further refresh.
    client
        .query("SELECT Id FROM Organization")
        .await
        .expect("still fine");
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(client.stats().api_calls, 2);
    let shown = format!("{client:?}");
    assert!(!shown.contains(&first));
    assert!(!shown.contains(&tokens.access_token()));
}

#[tokio::test]
async fn expired_static_token_gives_the_session_error() {
    let sim = common::start("ready").await;
    let token = sim.admin_token().to_string();
    let client = connect(&sim, &token).await;
    sim.inject(Fault::ExpireAllTokens);
    let err = client
        .query("SELECT Id FROM Organization")
        .await
        .expect_err("expired");
    match &err {
        SfError::Api {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(*status, 401);
            assert_eq!(code, "INVALID_SESSION_ID");
            assert_eq!(message, "Session expired or invalid");
        }
        other => panic!("{other:?}"),
    }
    assert_no_token(&err, &token);
    assert_eq!(client.stats().api_calls, 0);
    // SOAP: the expired session is a fault too.
    let err = client
        .list_metadata(&["ConnectedApp"])
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Some("INVALID_SESSION_ID"));
    assert_no_token(&err, &token);
}

#[tokio::test]
async fn token_without_api_scope_is_not_refreshed() {
    let sim = Arc::new(common::start("ready").await);
    let token = sim
        .token_for(ADMIN, "X", &["refresh_token"])
        .expect("admin");
    let tokens = Refreshing::new(sim.clone(), token.clone());
    let client = Client::connect(sim.url(), tokens.clone())
        .await
        .expect("connects");
    let err = client
        .query("SELECT Id FROM Organization")
        .await
        .expect_err("no api scope");
    assert_eq!(err.code(), Some("INVALID_SESSION_ID"));
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 0);
    assert!(err.explanation().contains("api"), "{}", err.explanation());
    assert!(err.explanation().contains("scope"));
    assert_no_token(&err, &token);
}

#[tokio::test]
async fn daily_limit_exhausted() {
    let sim = common::start("api-budget-low").await;
    let client = connect(&sim, sim.admin_token()).await;
    let mut last = None;
    for _ in 0..20 {
        if let Err(err) = client.query("SELECT Id FROM Organization").await {
            last = Some(err);
            break;
        }
    }
    let err = last.expect("the limit is hit");
    assert_eq!(err.code(), Some("REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(err.status(), Some(403));
    assert!(err.explanation().contains("24"));
    let usage = client.api_usage().expect("usage seen");
    assert_eq!(usage.used, usage.max);
    assert_eq!(client.stats().api_calls, 10);
    assert_no_token(&err, sim.admin_token());
}

#[tokio::test]
async fn paths_must_stay_on_the_instance() {
    let sim = common::start("ready").await;
    let client = connect(&sim, sim.admin_token()).await;
    let err = client
        .get("https://evil.example/services/data/")
        .await
        .expect_err("absolute URL");
    assert!(matches!(err, SfError::InvalidInput { .. }));
    assert_eq!(client.stats().http_requests, 1);
}

#[tokio::test]
async fn metadata_reads_are_retried_and_refreshed() {
    let sim = Arc::new(common::start("ready").await);
    let first = sim
        .token_for(ADMIN, "Salesforce CLI", &["api"])
        .expect("admin");
    let tokens = Refreshing::new(sim.clone(), first);
    let client = Client::connect(sim.url(), tokens.clone())
        .await
        .expect("connects");
    sim.inject(Fault::ServiceUnavailable(1));
    let listed = client
        .list_metadata(&["ConnectedApp"])
        .await
        .expect("retried");
    assert!(!listed.is_empty());
    assert_eq!(client.stats().http_requests, 3);
    sim.inject(Fault::ExpireAllTokens);
    let records = client
        .read_metadata("ConnectedApp", &["Enterpret_Connector".to_string()])
        .await
        .expect("refreshed");
    assert_eq!(records[0].first("fullName"), Some("Enterpret_Connector"));
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(client.stats().api_calls, 2);
}

/// An org (or something in between) that answers every SOAP call with `soap_answer`.
async fn soap_stub(soap_answer: String) -> String {
    use axum::http::Request;
    let handler = move |request: Request<axum::body::Body>| {
        let soap_answer = soap_answer.clone();
        async move {
            let path = request.uri().path().to_string();
            let (content_type, body) = if path == "/services/data/" {
                (
                    "application/json",
                    r#"[{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}]"#
                        .to_string(),
                )
            } else {
                ("text/xml;charset=UTF-8", soap_answer)
            };
            axum::response::Response::builder()
                .header("content-type", content_type)
                .body(axum::body::Body::from(body))
                .unwrap()
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

async fn list_from(
    soap_answer: String,
) -> Result<Vec<writeback_setup::salesforce::MetadataListing>, SfError> {
    let url = soap_stub(soap_answer).await;
    let client = Client::connect(&url, Arc::new(StaticToken::new("00Dx!stub")))
        .await
        .expect("connects");
    client.list_metadata(&["ConnectedApp"]).await
}

fn envelope(body: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

/// A SOAP answer nested 100,000 elements deep is an unreadable answer, not a stack overflow.
#[tokio::test]
async fn a_deeply_nested_soap_answer_is_a_decode_error() {
    let depth = 100_000;
    let deep = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let err = list_from(envelope(&format!(
        "<listMetadataResponse>{deep}</listMetadataResponse>"
    )))
    .await
    .unwrap_err();
    assert!(matches!(err, SfError::Decode { .. }), "{err:?}");
}

/// A listing of the wrong shape is "could not read", never "there is no app".
#[tokio::test]
async fn a_metadata_listing_of_the_wrong_shape_is_unreadable_not_empty() {
    let empty = list_from(envelope("<listMetadataResponse/>"))
        .await
        .unwrap();
    assert!(empty.is_empty(), "an empty listing is a real answer");
    for body in [
        "<listMetadataResponse><records><fullName>X</fullName></records></listMetadataResponse>",
        "<listMetadataResponse><result><id>0H4x</id></result></listMetadataResponse>",
        "<listMetadataResponse><result><type>ConnectedApp</type></result></listMetadataResponse>",
    ] {
        let err = list_from(envelope(body)).await.unwrap_err();
        assert!(matches!(err, SfError::Decode { .. }), "{body}: {err:?}");
    }
}

/// Answers are read up to `MAX_ANSWER_BYTES`: an answer of exactly that size is read, one byte
/// more is refused as unreadable (without reading it all).
#[tokio::test]
async fn an_answer_at_the_size_bound_is_read_and_one_byte_more_is_refused() {
    use writeback_setup::salesforce::MAX_ANSWER_BYTES;
    for (extra, readable) in [(0, true), (1, false)] {
        let head = r#"{"padding":""#;
        let tail = r#""}"#;
        let body = format!(
            "{head}{}{tail}",
            "x".repeat(MAX_ANSWER_BYTES - head.len() - tail.len() + extra)
        );
        let url = json_stub(body).await;
        let client = Client::connect(&url, Arc::new(StaticToken::new("00Dx!stub")))
            .await
            .expect("connects");
        let answer = client.get("sobjects/Case/describe").await;
        match (readable, answer) {
            (true, Ok(value)) => assert!(value["padding"].is_string()),
            (false, Err(SfError::Decode { message, .. })) => {
                assert!(message.contains("larger than 64 MiB"), "{message}")
            }
            (_, other) => panic!("extra {extra}: {:?}", other.map(|_| "an answer")),
        }
    }
}

/// An org that answers every REST call with `body` as JSON.
async fn json_stub(body: String) -> String {
    use axum::http::Request;
    let body = Arc::new(body);
    let handler = move |request: Request<axum::body::Body>| {
        let body = body.clone();
        async move {
            let text = if request.uri().path() == "/services/data/" {
                r#"[{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}]"#
                    .to_string()
            } else {
                body.as_ref().clone()
            };
            axum::response::Response::builder()
                .header("content-type", "application/json;charset=UTF-8")
                .body(axum::body::Body::from(text))
                .unwrap()
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
