//! Browser login end to end against the simulated org's OAuth server: authorize -> login page ->
//! redirect to the loopback listener -> tokens -> checks run. A reqwest client plays the browser.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use writeback_setup::login::browser::{BrowserLogin, LoginError};
use writeback_setup::salesforce::oauth::{OAuthClient, PkceLogin};
use writeback_setup::salesforce::{Client, SfError, StaticToken};
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};

const CLIENT_ID: &str = "3MVG9WRITEBACKSETUPASSISTANT";

/// The ready org, with the assistant's app calling back on `port` (tests run in parallel).
async fn org(port: u16) -> SimServer {
    let text = format!(
        "extends = \"ready\"\nname = \"login-{port}\"\n[[connected_apps]]\nfull_name = \"Writeback_Setup_Assistant\"\ncallback_url = \"http://localhost:{port}/OauthRedirect\"\n"
    );
    let scenario = scenario::load_str("login", &text).unwrap();
    SimServer::start(&scenario, SimOptions::default())
        .await
        .unwrap()
}

fn oauth(sim: &SimServer, port: u16) -> OAuthClient {
    OAuthClient::new(
        sim.url(),
        CLIENT_ID,
        &format!("http://localhost:{port}/OauthRedirect"),
    )
    .unwrap()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What a person does in the browser: open the authorize URL, log in, allow or deny. Returns the
/// redirect location Salesforce sends the browser to.
async fn log_in_in_browser(
    sim: &SimServer,
    authorize_url: &str,
    username: &str,
    action: &str,
) -> String {
    let page = browser().get(authorize_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("Log in"));
    let query = authorize_url.split_once('?').unwrap().1;
    let mut form: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    form.insert("username".into(), username.into());
    form.insert("pw".into(), "demo".into());
    form.insert("action".into(), action.into());
    let answer = browser()
        .post(format!("{}/services/oauth2/authorize", sim.url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status().as_u16(),
        302,
        "{}",
        answer.text().await.unwrap_or_default()
    );
    answer.headers()["location"].to_str().unwrap().to_string()
}

/// The assistant's side of a login: waits (in the background) for the browser's redirect.
fn wait_for_redirect(
    login: BrowserLogin,
    oauth: &OAuthClient,
) -> tokio::task::JoinHandle<Result<writeback_setup::salesforce::oauth::TokenResponse, LoginError>>
{
    let oauth = oauth.clone();
    tokio::spawn(async move { login.finish(&oauth, Duration::from_secs(10)).await })
}

/// Follows the redirect to the loopback listener, as the browser would; returns the page text.
async fn follow(location: &str) -> (u16, String) {
    let response = browser().get(location).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn browser_login_connects_and_the_checks_run() {
    let port = 27811;
    let sim = org(port).await;
    let oauth = oauth(&sim, port);
    let login = BrowserLogin::start(&oauth).await.unwrap();
    let url = login.authorize_url.clone();
    assert!(url.contains("code_challenge_method=S256") && url.contains("state="));
    let waiting = wait_for_redirect(login, &oauth);
    let location = log_in_in_browser(&sim, &url, "admin@acme.example", "allow").await;
    assert!(
        location.starts_with(&format!("http://localhost:{port}/OauthRedirect?code=")),
        "{location}"
    );
    let (status, page) = follow(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("You can close this tab"));
    let tokens = waiting.await.unwrap().unwrap();
    assert!(tokens.scopes().contains(&"api".to_string()));
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.instance_url, sim.url());
    assert!(!format!("{tokens:?}").contains(&tokens.access_token));

    let client = Client::connect(
        &tokens.instance_url,
        Arc::new(StaticToken::new(tokens.access_token.clone())),
    )
    .await
    .unwrap();
    let request = writeback_setup::readiness::CheckRequest {
        profile: writeback_setup::profile::builtin("feedback-writeback").unwrap(),
        integration_user: Some("integration@acme.example".into()),
        record_id: None,
    };
    let report = writeback_setup::readiness::run(&client, &request, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.verdict, writeback_setup::checks::Verdict::Ready);
    assert_eq!(report.org.logged_in_as, "admin@acme.example");
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused() {
    let port = 27812;
    let sim = org(port).await;
    let oauth = oauth(&sim, port);
    let login = BrowserLogin::start(&oauth).await.unwrap();
    let waiting = wait_for_redirect(login, &oauth);
    let (status, page) = follow(&format!(
        "http://localhost:{port}/OauthRedirect?code=abc&state=forged"
    ))
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("another login attempt"), "{page}");
    assert!(matches!(
        waiting.await.unwrap(),
        Err(LoginError::StateMismatch)
    ));
}

#[tokio::test]
async fn denied_consent_is_explained() {
    let port = 27813;
    let sim = org(port).await;
    let oauth = oauth(&sim, port);
    let login = BrowserLogin::start(&oauth).await.unwrap();
    let url = login.authorize_url.clone();
    let waiting = wait_for_redirect(login, &oauth);
    let location = log_in_in_browser(&sim, &url, "admin@acme.example", "deny").await;
    assert!(location.contains("error=access_denied"), "{location}");
    let (status, page) = follow(&location).await;
    assert_eq!(status, 400);
    assert!(page.contains("Deny"), "{page}");
    let error = waiting.await.unwrap().unwrap_err();
    assert!(matches!(&error, LoginError::Denied { error, .. } if error == "access_denied"));
    assert!(error.to_string().contains("choose Allow"), "{error}");
}

#[tokio::test]
async fn a_code_works_once_and_only_with_its_verifier() {
    let port = 27814;
    let sim = org(port).await;
    let oauth = oauth(&sim, port);
    let pkce = PkceLogin::new();
    let url = oauth.authorize_url(&pkce, &["api", "refresh_token"]);
    let location = log_in_in_browser(&sim, &url, "admin@acme.example", "allow").await;
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let code = &params["code"];
    // Another login's verifier fails the PKCE check.
    let wrong = oauth
        .exchange_code(code, &PkceLogin::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong, SfError::OAuth { error, .. } if error == "invalid_request"),
        "{wrong:?}"
    );
    let tokens = oauth.exchange_code(code, &pkce).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    // An already used (or expired) code is refused.
    let again = oauth.exchange_code(code, &pkce).await.unwrap_err();
    assert!(
        matches!(&again, SfError::OAuth { error, .. } if error == "invalid_grant"),
        "{again:?}"
    );
    assert!(
        again.explanation().contains("Start the login again"),
        "{}",
        again.explanation()
    );
}

#[tokio::test]
async fn refresh_then_revoke() {
    let port = 27815;
    let sim = org(port).await;
    let oauth = oauth(&sim, port);
    let pkce = PkceLogin::new();
    let location = log_in_in_browser(
        &sim,
        &oauth.authorize_url(&pkce, &["api", "refresh_token"]),
        "admin@acme.example",
        "allow",
    )
    .await;
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let tokens = oauth.exchange_code(&params["code"], &pkce).await.unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    let renewed = oauth.refresh(&refresh).await.unwrap();
    assert_ne!(renewed.access_token, tokens.access_token);
    oauth.revoke(&refresh).await.unwrap();
    let refused = oauth.refresh(&refresh).await.unwrap_err();
    assert!(matches!(&refused, SfError::OAuth { error, .. } if error == "invalid_grant"));
    let garbage = oauth.revoke("not-a-token").await.unwrap_err();
    assert!(matches!(&garbage, SfError::OAuth { error, .. } if error == "invalid_token"));
}

#[tokio::test]
async fn a_busy_port_is_reported_before_the_browser_opens() {
    let port = 27816;
    let sim = org(port).await;
    let _taken = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let error = BrowserLogin::start(&oauth(&sim, port)).await.err().unwrap();
    assert!(matches!(error, LoginError::PortBusy { port: p } if p == port));
    assert!(error.to_string().contains("already in use"));
}

#[tokio::test]
async fn an_unfinished_login_times_out() {
    let port = 27817;
    let sim = org(port).await;
    let oauth = oauth(&sim, port);
    let login = BrowserLogin::start(&oauth).await.unwrap();
    let error = login
        .finish(&oauth, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(error, LoginError::TimedOut(_)));
    // The port is free again once the login is over.
    let _again = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
}

#[tokio::test]
async fn stray_requests_do_not_end_the_login() {
    let port = 27818;
    let sim = org(port).await;
    let oauth = oauth(&sim, port);
    let login = BrowserLogin::start(&oauth).await.unwrap();
    let url = login.authorize_url.clone();
    let waiting = wait_for_redirect(login, &oauth);
    let (status, _) = follow(&format!("http://localhost:{port}/favicon.ico")).await;
    assert_eq!(status, 404);
    let preflight = browser()
        .request(
            reqwest::Method::OPTIONS,
            format!("http://localhost:{port}/OauthRedirect"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 204);
    let location = log_in_in_browser(&sim, &url, "admin@acme.example", "allow").await;
    follow(&location).await;
    assert!(waiting.await.unwrap().is_ok());
}

// ---- What real orgs answer, explained (issue 14) ---------------------------------------------

/// A local server answering each path (by prefix, first match) with a fixed status, content type
/// and body: a stand-in for org answers the simulator does not give.
async fn answering(routes: Vec<(&'static str, u16, &'static str, String)>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16384];
                let mut read = 0;
                while read < buffer.len() {
                    match stream.read(&mut buffer[read..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => read += n,
                    }
                    if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buffer[..read]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, content_type, body) = routes
                    .iter()
                    .find(|(prefix, ..)| path.starts_with(prefix))
                    .map(|(_, s, c, b)| (*s, *c, b.clone()))
                    .unwrap_or((404, "application/json", "[]".into()));
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    url
}

const VERSIONS: &str = r#"[{"label":"Winter '26","url":"/services/data/v65.0","version":"65.0"},{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}]"#;

#[tokio::test]
async fn a_userinfo_answer_without_ids_falls_back_to_the_identity_url() {
    let url = answering(vec![
        ("/services/data/v66.0/sobjects/User/005000000000001AAA", 200, "application/json", r#"{"attributes":{"type":"User"},"Id":"005000000000001AAA","Username":"admin@acme.example","Name":"Ada Admin","Email":"ada@acme.example"}"#.into()),
        ("/services/data/v66.0/", 200, "application/json", r#"{"sobjects":"/services/data/v66.0/sobjects","identity":"https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA"}"#.into()),
        ("/services/data/", 200, "application/json", VERSIONS.into()),
        // No user_id, organization_id nor preferred_username.
        ("/services/oauth2/userinfo", 200, "application/json", r#"{"name":"Ada Admin","email":"ada@acme.example","locale":"en_US"}"#.into()),
    ])
    .await;
    let client = Client::connect(&url, Arc::new(StaticToken::new("00D000000000001!AQtoken")))
        .await
        .unwrap();
    let me = client.identity().await.unwrap();
    assert_eq!(me.user_id, "005000000000001AAA");
    assert_eq!(me.organization_id, "00D000000000001AAA");
    assert_eq!(me.username, "admin@acme.example");
    assert_eq!(me.name, "Ada Admin");
}

#[tokio::test]
async fn userinfo_without_preferred_username_uses_the_name() {
    let url = answering(vec![
        ("/services/data/", 200, "application/json", VERSIONS.into()),
        ("/services/oauth2/userinfo", 200, "application/json", r#"{"user_id":"005000000000001AAA","organization_id":"00D000000000001AAA","name":"Ada Admin"}"#.into()),
    ])
    .await;
    let client = Client::connect(&url, Arc::new(StaticToken::new("00D000000000001!AQtoken")))
        .await
        .unwrap();
    let me = client.identity().await.unwrap();
    assert_eq!(me.username, "Ada Admin");
    assert_eq!(me.user_id, "005000000000001AAA");
}

/// A token of an app without the `id` scope: the simulated org refuses it at userinfo, and the
/// client reads the user through the REST API.
#[tokio::test]
async fn a_token_without_the_id_scope_still_says_who_is_logged_in() {
    let sim = SimServer::start(
        &scenario::load_builtin("ready").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let token = sim
        .token_for(
            "integration@acme.example",
            "Enterpret Integration",
            &["api", "refresh_token"],
        )
        .unwrap();
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(token)))
        .await
        .unwrap();
    let me = client.identity().await.unwrap();
    assert_eq!(me.username, "integration@acme.example");
    assert!(me.organization_id.starts_with("00D"), "{me:?}");
}

#[tokio::test]
async fn a_malformed_authorization_header_says_paste_only_the_token() {
    let sim = SimServer::start(
        &scenario::load_builtin("ready").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    // An empty session in the header: Salesforce answers INVALID_AUTH_HEADER.
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new("")))
        .await
        .unwrap();
    let err = client.get("limits").await.unwrap_err();
    assert_eq!(err.code(), Some("INVALID_AUTH_HEADER"), "{err:?}");
    assert!(
        err.explanation().contains("Paste only the token"),
        "{}",
        err.explanation()
    );
}

#[tokio::test]
async fn a_503_is_temporarily_unavailable_before_any_url_advice() {
    // The simulated org's throttling answer (JSON SERVER_UNAVAILABLE), on every retry.
    let sim = SimServer::start(
        &scenario::load_builtin("ready").unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let client = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
        .await
        .unwrap();
    sim.inject(writeback_setup::sim::server::Fault::ServiceUnavailable(5));
    let err = client.get("limits").await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(
        err.explanation()
            .starts_with("Salesforce is temporarily unavailable"),
        "{}",
        err.explanation()
    );
    // A maintenance page (HTML 503) from the version list.
    let url = answering(vec![(
        "/services/data/",
        503,
        "text/html",
        "<html><body><h1>Down for maintenance</h1></body></html>".into(),
    )])
    .await;
    let err = Client::connect(&url, Arc::new(StaticToken::new("x")))
        .await
        .unwrap_err();
    let text = err.explanation();
    assert!(
        text.starts_with("Salesforce is temporarily unavailable"),
        "{text}"
    );
    let unavailable = text.find("temporarily unavailable").unwrap();
    if let Some(url_advice) = text.find("URL") {
        assert!(unavailable < url_advice, "{text}");
    }
}

#[tokio::test]
async fn an_org_without_a_usable_api_version_names_both() {
    let text = "extends = \"ready\"\nname = \"old\"\napi_version = \"40.0\"\n";
    let sim = SimServer::start(
        &scenario::load_str("old", text).unwrap(),
        SimOptions::default(),
    )
    .await
    .unwrap();
    let err = Client::connect(sim.url(), Arc::new(StaticToken::new(sim.admin_token())))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SfError::NoUsableVersion { served, wanted } if served == "31.0 to 40.0" && wanted == "43.0 to 66.0"),
        "{err:?}"
    );
    let explanation = err.explanation();
    assert!(
        explanation.contains("31.0 to 40.0") && explanation.contains("43.0 to 66.0"),
        "{explanation}"
    );
}
