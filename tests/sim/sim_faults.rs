//! Injected faults, latency, token expiry, the Metadata SOAP endpoint over HTTP, and the `sim`
//! command line, as a client of the simulated org notices them.

use crate::common;

use common::V;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{Fault, SimOptions, SimServer};

const ORG_QUERY: &str = "SELECT Name FROM Organization";

fn limits_url(sim: &SimServer) -> String {
    format!("{}/services/data/{V}/limits/", sim.url())
}

/// GET a URL with the admin token; returns status, content type and the raw body.
async fn raw_get(sim: &SimServer, url: &str) -> (u16, String, String) {
    let response = common::client()
        .get(url)
        .bearer_auth(sim.admin_token())
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        status,
        content_type,
        response.text().await.expect("body read"),
    )
}

#[tokio::test]
async fn service_unavailable_for_two_calls_then_success() {
    let sim = common::start("ready").await;
    let (used_before, _) = sim.api_usage();
    sim.inject(Fault::ServiceUnavailable(2));
    for attempt in 1..=2 {
        let (status, body) = common::query(&sim, sim.admin_token(), ORG_QUERY, false).await;
        assert_eq!(status, 503, "attempt {attempt}: {body}");
        assert_eq!(common::error_code(&body), "SERVER_UNAVAILABLE", "{body}");
    }
    let (status, body) = common::query(&sim, sim.admin_token(), ORG_QUERY, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["records"][0]["Name"], "Acme Corp");
    assert_eq!(
        sim.api_usage().0,
        used_before + 1,
        "only the successful call counts"
    );
}

#[tokio::test]
async fn html_error_page_is_html_not_json() {
    let sim = common::start("ready").await;
    sim.inject(Fault::HtmlErrorPage);
    let (status, content_type, body) = raw_get(&sim, &limits_url(&sim)).await;
    assert_eq!(status, 500);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.to_ascii_lowercase().contains("<html"), "{body}");
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    // The fault is used up.
    let (status, content_type, _) = raw_get(&sim, &limits_url(&sim)).await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
}

#[tokio::test]
async fn malformed_json_has_status_200_but_does_not_parse() {
    let sim = common::start("ready").await;
    sim.inject(Fault::MalformedJson);
    let (status, _, body) = raw_get(&sim, &limits_url(&sim)).await;
    assert_eq!(status, 200);
    assert!(!body.is_empty());
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    let (status, _, body) = raw_get(&sim, &limits_url(&sim)).await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<Value>(&body).is_ok(), "{body}");
}

#[tokio::test]
async fn dropped_connection_fails_the_read_and_the_server_keeps_serving() {
    let sim = common::start("ready").await;
    sim.inject(Fault::DropConnection);
    let outcome = match common::client()
        .get(limits_url(&sim))
        .bearer_auth(sim.admin_token())
        .send()
        .await
    {
        Ok(response) => response.bytes().await.map(|b| b.len()),
        Err(e) => Err(e),
    };
    assert!(
        outcome.is_err(),
        "reading a cut response fails: {outcome:?}"
    );

    let (status, body) = common::query(&sim, sim.admin_token(), ORG_QUERY, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["records"][0]["Name"], "Acme Corp");
}

#[tokio::test]
async fn faults_are_consumed_in_order() {
    let sim = common::start("ready").await;
    sim.inject(Fault::ServiceUnavailable(1));
    sim.inject(Fault::HtmlErrorPage);
    let (status, content_type, _) = raw_get(&sim, &limits_url(&sim)).await;
    assert_eq!(status, 503);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let (status, content_type, _) = raw_get(&sim, &limits_url(&sim)).await;
    assert_eq!(status, 500);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let (status, _, _) = raw_get(&sim, &limits_url(&sim)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn latency_option_delays_each_answer() {
    let scenario = scenario::load_builtin("ready").expect("built-in scenario loads");
    let options = SimOptions {
        latency_ms: Some(150),
        ..Default::default()
    };
    let sim = SimServer::start(&scenario, options)
        .await
        .expect("simulator starts");
    let started = std::time::Instant::now();
    let (status, body) = common::query(&sim, sim.admin_token(), ORG_QUERY, false).await;
    let elapsed = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(
        elapsed >= std::time::Duration::from_millis(150),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn token_expires_after_the_configured_number_of_calls() {
    let text = "extends = \"ready\"\nname = \"t\"\n[faults]\nexpire_token_after_calls = 3";
    let scenario = scenario::load_str("t", text).expect("scenario text loads");
    let sim = SimServer::start(&scenario, SimOptions::default())
        .await
        .expect("simulator starts");
    for call in 1..=3 {
        let (status, body) = common::query(&sim, sim.admin_token(), ORG_QUERY, false).await;
        assert_eq!(status, 200, "call {call}: {body}");
    }
    let (status, body) = common::query(&sim, sim.admin_token(), ORG_QUERY, false).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(common::error_code(&body), "INVALID_SESSION_ID");
    assert_eq!(body[0]["message"], "Session expired or invalid");
    // A fresh token starts its own count.
    let other = sim
        .token_for(
            "admin@acme.example",
            "Salesforce CLI",
            &["api", "refresh_token"],
        )
        .expect("admin exists");
    let (status, body) = common::query(&sim, &other, ORG_QUERY, false).await;
    assert_eq!(status, 200, "{body}");
}

fn soap_envelope(session_id: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="http://soap.sforce.com/2006/04/metadata">
 <soapenv:Header>
  <met:CallOptions><met:client>writeback-setup-tests</met:client></met:CallOptions>
  <met:SessionHeader><met:sessionId>{session_id}</met:sessionId></met:SessionHeader>
 </soapenv:Header>
 <soapenv:Body>{body}</soapenv:Body>
</soapenv:Envelope>"#
    )
}

const LIST_CONNECTED_APPS: &str =
    "<met:listMetadata><met:queries><met:type>ConnectedApp</met:type></met:queries>\
     <met:asOfVersion>66.0</met:asOfVersion></met:listMetadata>";
const READ_ENTERPRET: &str = "<met:readMetadata><met:type>ConnectedApp</met:type>\
     <met:fullNames>Enterpret_Connector</met:fullNames></met:readMetadata>";

/// POST a SOAP envelope to the Metadata API; returns status, content type and body.
async fn soap(sim: &SimServer, envelope: String) -> (u16, String, String) {
    let response = common::client()
        .post(format!("{}/services/Soap/m/66.0", sim.url()))
        .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        status,
        content_type,
        response.text().await.expect("body read"),
    )
}

/// The text of the first `<name>` element, whatever its prefix.
fn element_text<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

#[tokio::test]
async fn metadata_list_and_read_connected_app_over_http() {
    let sim = common::start("ready").await;
    let (used_before, _) = sim.api_usage();
    let (status, content_type, xml) =
        soap(&sim, soap_envelope(sim.admin_token(), LIST_CONNECTED_APPS)).await;
    assert_eq!(status, 200, "{xml}");
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    assert!(xml.contains("listMetadataResponse"), "{xml}");
    assert!(
        xml.contains("<fullName>Enterpret_Connector</fullName>"),
        "{xml}"
    );
    assert!(xml.contains("<type>ConnectedApp</type>"), "{xml}");
    assert_eq!(
        sim.api_usage().0,
        used_before + 1,
        "a SOAP call is one API call"
    );

    let (status, _, xml) = soap(&sim, soap_envelope(sim.admin_token(), READ_ENTERPRET)).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("readMetadataResponse"), "{xml}");
    assert!(
        xml.contains("<fullName>Enterpret_Connector</fullName>"),
        "{xml}"
    );
    assert!(xml.contains("<scopes>Api</scopes>"), "{xml}");
    assert!(xml.contains("<scopes>RefreshToken</scopes>"), "{xml}");
    assert!(
        xml.contains("<consumerKey>3MVG9SIMULATEDENTERPRETCONSUMERKEY</consumerKey>"),
        "{xml}"
    );
    assert!(!xml.contains("consumerSecret"), "no secrets: {xml}");
    assert_eq!(sim.api_usage().0, used_before + 2);
}

#[tokio::test]
async fn metadata_with_bad_session_is_an_invalid_session_fault() {
    let sim = common::start("ready").await;
    let (used_before, _) = sim.api_usage();
    let (status, content_type, xml) = soap(
        &sim,
        soap_envelope("00Dbogus!AQnotasession", LIST_CONNECTED_APPS),
    )
    .await;
    assert_eq!(status, 500, "{xml}");
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    assert!(xml.contains("Fault>"), "{xml}");
    assert_eq!(
        element_text(&xml, "faultcode"),
        Some("sf:INVALID_SESSION_ID"),
        "{xml}"
    );
    let faultstring = element_text(&xml, "faultstring").expect("faultstring");
    assert!(
        faultstring.starts_with("INVALID_SESSION_ID"),
        "{faultstring}"
    );
    assert_eq!(
        sim.api_usage().0,
        used_before,
        "a refused call is not counted"
    );

    // No SessionHeader at all is refused the same way.
    let bare = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="http://soap.sforce.com/2006/04/metadata"><soapenv:Body>{LIST_CONNECTED_APPS}</soapenv:Body></soapenv:Envelope>"#
    );
    let (status, _, xml) = soap(&sim, bare).await;
    assert_eq!(status, 500, "{xml}");
    assert_eq!(
        element_text(&xml, "faultcode"),
        Some("sf:INVALID_SESSION_ID"),
        "{xml}"
    );
}

#[tokio::test]
async fn metadata_as_the_integration_user_is_insufficient_access() {
    let sim = common::start("ready").await;
    let token = common::integration_token(&sim);
    let (status, _, xml) = soap(&sim, soap_envelope(&token, READ_ENTERPRET)).await;
    assert_eq!(status, 500, "{xml}");
    assert_eq!(
        element_text(&xml, "faultcode"),
        Some("sf:INSUFFICIENT_ACCESS"),
        "{xml}"
    );
    assert!(!xml.contains("<scopes>"), "{xml}");
}

#[tokio::test]
async fn metadata_endpoint_gets_injected_faults_too() {
    let sim = common::start("ready").await;
    sim.inject(Fault::ServiceUnavailable(1));
    let (status, _, _) = soap(&sim, soap_envelope(sim.admin_token(), LIST_CONNECTED_APPS)).await;
    assert_eq!(status, 503);
    let (status, _, xml) = soap(&sim, soap_envelope(sim.admin_token(), LIST_CONNECTED_APPS)).await;
    assert_eq!(status, 200, "{xml}");
}

/// Kills the child process when dropped, so a failing assertion does not leave it running.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_writeback-setup"))
}

#[tokio::test]
async fn sim_command_prints_url_and_token_and_serves() {
    let child = bin()
        .args(["sim", "--scenario", "ready", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").expect("readable");
    let second = lines.next().expect("a second line").expect("readable");

    let url = first
        .strip_prefix("SF_INSTANCE_URL=")
        .unwrap_or_else(|| panic!("first line: {first}"));
    let port = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("url: {url}"));
    assert!(
        port.parse::<u16>().is_ok_and(|p| p != 0),
        "a real port: {port}"
    );
    let token = second
        .strip_prefix("SF_ACCESS_TOKEN=")
        .unwrap_or_else(|| panic!("second line: {second}"));
    assert!(token.starts_with("00D"), "{token}");

    let response = common::client()
        .get(format!(
            "{url}/services/data/{V}/query/?q=SELECT+Name+FROM+Organization"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["records"][0]["Name"], "Acme Corp", "{body}");

    child.0.kill().expect("child killed");
    child.0.wait().expect("child reaped");
}

#[test]
fn sim_command_with_unknown_scenario_exits_2_and_names_the_builtins() {
    let output = bin()
        .args(["sim", "--scenario", "nope"])
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nope"), "{stderr}");
    for name in ["ready", "eca", "user-inactive", "large-org"] {
        assert!(stderr.contains(name), "stderr names '{name}': {stderr}");
    }
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn sim_list_names_the_builtin_scenarios() {
    let output = bin().args(["sim", "--list"]).output().expect("binary runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for name in ["ready", "eca", "user-inactive", "large-org"] {
        assert!(names.contains(&name), "{name} listed: {stdout}");
    }
}

#[test]
fn sim_scenario_file_with_bad_field_type_exits_2_with_a_clear_message() {
    let path = std::env::temp_dir().join(format!(
        "writeback-setup-bad-field-{}-{}.toml",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::write(
        &path,
        "extends = \"ready\"\nname = \"bad-field\"\n\n[[fields.Case]]\n\
         api_name = \"Enterpret_Summary__c\"\ntype = \"Banana\"\nlength = 255\n",
    )
    .expect("temp file written");
    let output = bin()
        .args(["sim", "--scenario-file"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    let _ = std::fs::remove_file(&path);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Enterpret_Summary__c"), "{stderr}");
    assert!(stderr.contains("Banana"), "{stderr}");
    assert!(stderr.contains("type"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing served: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// A SOAP request nested 30,000 elements deep is refused like any unreadable request, and the
/// simulator keeps serving.
#[tokio::test]
async fn a_deeply_nested_soap_request_is_refused_and_the_server_keeps_serving() {
    let sim = common::start("ready").await;
    let depth = 30_000;
    let deep = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let (status, _, _) = soap(&sim, soap_envelope(sim.admin_token(), &deep)).await;
    assert!((400..600).contains(&status), "{status}");
    let (status, _, xml) = soap(&sim, soap_envelope(sim.admin_token(), LIST_CONNECTED_APPS)).await;
    assert_eq!(status, 200, "{xml}");
}

/// Hundreds of nested parentheses or NOTs are a MALFORMED_QUERY; a 450-term OR chain runs; the
/// simulator survives all of them.
#[tokio::test]
async fn deeply_nested_and_long_soql_is_answered_and_the_server_keeps_serving() {
    let sim = common::start("ready").await;
    let token = sim.admin_token().to_string();
    for depth in [300, 5_000] {
        let parens = format!(
            "SELECT Id FROM User WHERE {}Name = 'x'{}",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let (status, body) = common::query(&sim, &token, &parens, false).await;
        assert_eq!(
            (status, common::error_code(&body)),
            (400, "MALFORMED_QUERY")
        );
        let nots = format!(
            "SELECT Id FROM User WHERE {}Name = 'x'",
            "NOT ".repeat(depth)
        );
        let (status, body) = common::query(&sim, &token, &nots, false).await;
        assert_eq!(
            (status, common::error_code(&body)),
            (400, "MALFORMED_QUERY")
        );
    }
    let chain = (0..450)
        .map(|n| format!("Username = 'nobody{n}@acme.example'"))
        .chain(std::iter::once(
            "Username = 'admin@acme.example'".to_string(),
        ))
        .collect::<Vec<_>>()
        .join(" OR ");
    let (status, body) = common::query(
        &sim,
        &token,
        &format!("SELECT Username FROM User WHERE {chain}"),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1);
    let (status, _) = common::query(&sim, &token, ORG_QUERY, false).await;
    assert_eq!(status, 200);
}

/// A client that never finishes its headers is disconnected after the header-read timeout, and
/// connections beyond the cap wait instead of piling up: with a cap of 2 held by two such
/// clients, a real request is answered once the timeout frees a slot.
#[tokio::test]
async fn slow_clients_are_cut_at_the_header_timeout_and_connections_are_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let scenario = scenario::load_builtin("ready").expect("built-in scenario loads");
    let timeout = std::time::Duration::from_millis(400);
    let sim = SimServer::start(
        &scenario,
        SimOptions {
            header_read_timeout: Some(timeout),
            max_connections: Some(2),
            ..Default::default()
        },
    )
    .await
    .expect("simulator starts");
    let address = sim.url().trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"GET /services/data/ HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let (status, _) = common::query(&sim, sim.admin_token(), ORG_QUERY, false).await;
    assert_eq!(status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= timeout / 2,
        "the third connection waited for a slot: {waited:?}"
    );
    for mut stream in slow {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut rest),
        )
        .await;
        assert!(read.is_ok(), "the slow client's connection was closed");
    }
}

#[test]
fn sim_scenario_files_with_nonsense_values_exit_2_naming_the_value() {
    for (extra, named) in [
        ("[org]\nid = \"00D5g\"\n", "00D5g"),
        ("api_version = \"banana\"\n", "banana"),
        ("[[records.Case]]\nId = \"zzz\"\nSubject = \"s\"\n", "zzz"),
        (
            "[[records.Case]]\nSubject = \"s\"\nOwner = \"ghost@acme.example\"\n",
            "ghost@acme.example",
        ),
        ("[generate]\ncases = 4000000000\n", "cases = 4000000000"),
    ] {
        let dir = std::env::temp_dir().join(format!(
            "writeback-setup-nonsense-{}-{}",
            std::process::id(),
            named.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scenario.toml");
        std::fs::write(&path, format!("extends = \"ready\"\nname = \"x\"\n{extra}")).unwrap();
        let output = bin()
            .args(["sim", "--scenario-file"])
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .expect("binary runs");
        let _ = std::fs::remove_dir_all(&dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{extra}: {stderr}");
        assert!(stderr.contains(named), "{extra}: {stderr}");
        assert!(output.stdout.is_empty(), "{extra}: nothing served");
    }
}

/// `sim --scenario-file ready` whose file extends the built-in `ready` is no cycle.
#[test]
fn a_scenario_file_named_ready_may_extend_the_builtin_ready() {
    let dir = std::env::temp_dir().join(format!(
        "writeback-setup-named-ready-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ready"), "extends = \"ready\"\nname = \"ready\"\n").unwrap();
    let mut child = bin()
        .current_dir(&dir)
        .args(["sim", "--scenario-file", "ready"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        first.starts_with("SF_INSTANCE_URL="),
        "{first}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn list(kind: &str) -> String {
    format!(
        "<met:listMetadata><met:queries><met:type>{kind}</met:type></met:queries>\
         <met:asOfVersion>66.0</met:asOfVersion></met:listMetadata>"
    )
}

#[tokio::test]
async fn a_guarded_eca_oauth_settings_type_fails_only_its_own_call() {
    let sim = common::start("eca-settings-guarded").await;
    let admin = sim.admin_token().to_string();
    let (status, _, xml) = soap(
        &sim,
        soap_envelope(&admin, &list("ExtlClntAppOauthSettings")),
    )
    .await;
    assert_eq!(status, 500, "{xml}");
    assert_eq!(
        element_text(&xml, "faultcode"),
        Some("sf:INSUFFICIENT_ACCESS"),
        "{xml}"
    );
    assert!(
        element_text(&xml, "faultstring")
            .is_some_and(|f| f.contains("Allow Access to OAuth Consumer Secrets via Metadata API")),
        "{xml}"
    );
    // One call asking for both types fails as a whole ...
    let both = "<met:listMetadata><met:queries><met:type>ConnectedApp</met:type></met:queries>\
         <met:queries><met:type>ExtlClntAppOauthSettings</met:type></met:queries>\
         <met:asOfVersion>66.0</met:asOfVersion></met:listMetadata>";
    let (status, _, xml) = soap(&sim, soap_envelope(&admin, both)).await;
    assert_eq!(status, 500, "{xml}");
    // ... while a call per type keeps the others.
    let (status, _, xml) = soap(&sim, soap_envelope(&admin, &list("ConnectedApp"))).await;
    assert_eq!(status, 200, "{xml}");
    let (status, _, xml) = soap(
        &sim,
        soap_envelope(&admin, &list("ExternalClientApplication")),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<fullName>Enterpret_ECA</fullName>"), "{xml}");
    let read = "<met:readMetadata><met:type>ExtlClntAppOauthSettings</met:type>\
         <met:fullNames>Enterpret_ECA_oauth</met:fullNames></met:readMetadata>";
    let (status, _, xml) = soap(&sim, soap_envelope(&admin, read)).await;
    assert_eq!(status, 500, "{xml}");

    // The admin's OAuth policies of the ECA still read.
    let (status, _, xml) = soap(
        &sim,
        soap_envelope(&admin, &list("ExtlClntAppOauthConfigurablePolicies")),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(
        xml.contains("<fullName>Enterpret_ECA_oauthPlcy</fullName>"),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<fileName>extlClntAppOauthPolicies/Enterpret_ECA_oauthPlcy.ecaOauthPlcy</fileName>"
        ),
        "{xml}"
    );
    let read = "<met:readMetadata><met:type>ExtlClntAppOauthConfigurablePolicies</met:type>\
         <met:fullNames>Enterpret_ECA_oauthPlcy</met:fullNames></met:readMetadata>";
    let (status, _, xml) = soap(&sim, soap_envelope(&admin, read)).await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        element_text(&xml, "permittedUsersPolicyType"),
        Some("AllSelfAuthorized"),
        "{xml}"
    );
    assert_eq!(
        element_text(&xml, "refreshTokenPolicyType"),
        Some("Infinite"),
        "{xml}"
    );
    assert_eq!(
        element_text(&xml, "externalClientApplication"),
        Some("Enterpret_ECA"),
        "{xml}"
    );

    // Without the guard (the `eca` scenario) the settings read.
    let sim = common::start("eca").await;
    let (status, _, xml) = soap(
        &sim,
        soap_envelope(sim.admin_token(), &list("ExtlClntAppOauthSettings")),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
}

#[tokio::test]
async fn a_full_only_connected_app_reads_back_its_one_scope() {
    let sim = common::start("full-scope-only").await;
    let (status, _, xml) = soap(&sim, soap_envelope(sim.admin_token(), READ_ENTERPRET)).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<scopes>Full</scopes>"), "{xml}");
    assert!(!xml.contains("<scopes>RefreshToken</scopes>"), "{xml}");
    assert!(!xml.contains("<scopes>Api</scopes>"), "{xml}");
}
