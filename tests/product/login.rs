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
