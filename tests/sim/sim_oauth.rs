//! The simulated org's OAuth 2.0 server as a client sees it over HTTP: the web server flow with
//! PKCE, the token endpoint's answers and errors, refresh, revoke and userinfo.

use crate::common;

use base64::Engine;
use common::V;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use writeback_setup::sim::server::{Fault, SimServer};

const ASSISTANT_KEY: &str = "3MVG9WRITEBACKSETUPASSISTANT";
const ASSISTANT_LABEL: &str = "Write-back Setup Assistant";
const ASSISTANT_CALLBACK: &str = "http://localhost:1717/OauthRedirect";
const ENTERPRET_KEY: &str = "3MVG9SIMULATEDENTERPRETCONSUMERKEY";
const ENTERPRET_ECA_KEY: &str = "3MVG9SIMULATEDENTERPRETECAKEY";
const ENTERPRET_CALLBACK: &str = "https://app.enterpret.example/oauth/salesforce/callback";
const ADMIN: &str = "admin@acme.example";
const INTEGRATION: &str = "integration@acme.example";
const PASSWORD: &str = "demo";
const VERIFIER: &str = "k3J9sQvB7x2mN4pL8rT1wY6zA0cE5gH7iK9oU3yR2tW4vX6bD8fS1qZ0nM5jP7lC";
const SCOPES: &str = "api refresh_token web";

/// The PKCE S256 challenge computed here, independently of the simulator's own helper.
fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The authorize parameters of one login attempt.
struct Authorize<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    scope: Option<&'a str>,
    state: &'a str,
    code_challenge: Option<String>,
}

impl<'a> Authorize<'a> {
    fn assistant() -> Self {
        Authorize {
            client_id: ASSISTANT_KEY,
            redirect_uri: ASSISTANT_CALLBACK,
            scope: Some(SCOPES),
            state: "a1b2c3d4e5f6",
            code_challenge: Some(challenge(VERIFIER)),
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("response_type", "code".to_string()),
            ("client_id", self.client_id.to_string()),
            ("redirect_uri", self.redirect_uri.to_string()),
            ("state", self.state.to_string()),
            ("prompt", "login".to_string()),
        ];
        if let Some(scope) = self.scope {
            p.push(("scope", scope.to_string()));
        }
        if let Some(c) = &self.code_challenge {
            p.push(("code_challenge", c.clone()));
        }
        p
    }
}

struct Answer {
    status: u16,
    content_type: String,
    location: Option<String>,
    body: String,
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
    let location = header(reqwest::header::LOCATION);
    let body = response.text().await.expect("body read");
    Answer {
        status,
        content_type,
        location,
        body,
    }
}

/// `GET /services/oauth2/authorize`.
async fn authorize_get(sim: &SimServer, auth: &Authorize<'_>) -> Answer {
    let url = url::Url::parse_with_params(
        &format!("{}/services/oauth2/authorize", sim.url()),
        auth.params(),
    )
    .expect("authorize URL");
    let response = common::client()
        .get(url.as_str())
        .send()
        .await
        .expect("request sent");
    answer(response).await
}

/// Submits the login form of the authorize page.
async fn authorize_post(
    sim: &SimServer,
    auth: &Authorize<'_>,
    username: &str,
    pw: &str,
    action: &str,
) -> Answer {
    let mut form = auth.params();
    form.push(("username", username.to_string()));
    form.push(("pw", pw.to_string()));
    form.push(("action", action.to_string()));
    let response = common::client()
        .post(format!("{}/services/oauth2/authorize", sim.url()))
        .form(&form)
        .send()
        .await
        .expect("request sent");
    answer(response).await
}

/// The query parameters of a redirect `Location`, after checking where it points.
fn redirect_params(location: &str, expected_base: &str) -> HashMap<String, String> {
    let url = url::Url::parse(location).expect("Location is an absolute URL");
    let base = format!("{}://{}{}", url.scheme(), url.authority(), url.path());
    assert_eq!(
        base, expected_base,
        "redirect goes to the registered callback"
    );
    url.query_pairs().into_owned().collect()
}

/// Logs `username` in through `auth` and returns the authorization code.
async fn code_for(sim: &SimServer, auth: &Authorize<'_>, username: &str) -> String {
    let a = authorize_post(sim, auth, username, PASSWORD, "allow").await;
    assert_eq!(a.status, 302, "login redirects: {}", a.body);
    let params = redirect_params(a.location.as_deref().expect("Location"), auth.redirect_uri);
    assert_eq!(params.get("state").map(String::as_str), Some(auth.state));
    params.get("code").cloned().expect("a code on the callback")
}

/// `POST /services/oauth2/token` with a form; returns status and JSON body.
async fn token(sim: &SimServer, form: &[(&str, &str)]) -> (u16, Value) {
    let response = common::client()
        .post(format!("{}/services/oauth2/token", sim.url()))
        .form(form)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body read");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("token answer is JSON: {text}"));
    (status, body)
}

async fn exchange(
    sim: &SimServer,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token(sim, &form).await
}

async fn refresh(sim: &SimServer, refresh_token: &str, client_id: &str) -> (u16, Value) {
    token(
        sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

async fn revoke(sim: &SimServer, token: &str) -> (u16, String) {
    let response = common::client()
        .post(format!("{}/services/oauth2/revoke", sim.url()))
        .form(&[("token", token)])
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body read"))
}

/// The whole web server flow for the assistant app; returns the token response.
async fn login(sim: &SimServer, username: &str) -> Value {
    let auth = Authorize::assistant();
    let code = code_for(sim, &auth, username).await;
    let (status, body) = exchange(
        sim,
        &code,
        ASSISTANT_KEY,
        ASSISTANT_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn s<'a>(body: &'a Value, key: &str) -> &'a str {
    body.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` is a string in {body}"))
}

fn assert_oauth_error(status: u16, body: &Value, error: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "an error_description comes with the error: {body}"
    );
}

async fn limits(sim: &SimServer, token: &str) -> (u16, Value) {
    common::get(sim, token, &format!("/services/data/{V}/limits/")).await
}

fn assert_session_expired(status: u16, body: &Value) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(common::error_code(body), "INVALID_SESSION_ID", "{body}");
    assert_eq!(body[0]["message"], "Session expired or invalid", "{body}");
}

#[test]
fn challenge_helper_agrees_with_independent_computation() {
    assert_eq!(
        challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(
        writeback_setup::sim::oauth::pkce_challenge(VERIFIER),
        challenge(VERIFIER)
    );
}

#[tokio::test]
async fn web_server_flow_with_pkce_issues_working_tokens() {
    let sim = common::start("ready").await;
    let (org_id, admin_id) = sim.with_org(|o| (o.info.id.clone(), o.admin_user_id.clone()));
    let auth = Authorize::assistant();

    let page = authorize_get(&sim, &auth).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(page.body.contains("<form"), "{}", page.body);
    assert!(page.body.contains(ASSISTANT_LABEL), "{}", page.body);
    assert!(page.location.is_none());

    let allowed = authorize_post(&sim, &auth, ADMIN, PASSWORD, "allow").await;
    assert_eq!(allowed.status, 302, "{}", allowed.body);
    let params = redirect_params(
        allowed.location.as_deref().expect("Location"),
        ASSISTANT_CALLBACK,
    );
    assert_eq!(params["state"], auth.state);
    assert!(!params.contains_key("error"), "{params:?}");
    let code = &params["code"];
    assert!(!code.is_empty());

    let (status, body) = exchange(
        &sim,
        code,
        ASSISTANT_KEY,
        ASSISTANT_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let access = s(&body, "access_token");
    assert!(
        access.starts_with("00D"),
        "opaque access tokens start with the org id: {access}"
    );
    assert!(!s(&body, "refresh_token").is_empty());
    assert_eq!(s(&body, "instance_url"), sim.url());
    assert_eq!(
        s(&body, "id"),
        format!("{}/id/{org_id}/{admin_id}", sim.url())
    );
    let id_parts: Vec<&str> = s(&body, "id").rsplit('/').take(2).collect();
    assert!(
        id_parts[1].starts_with("00D") && id_parts[0].starts_with("005"),
        "{id_parts:?}"
    );
    assert_eq!(s(&body, "token_type"), "Bearer");
    let issued_at: u64 = s(&body, "issued_at")
        .parse()
        .expect("issued_at is a number in a string");
    assert!(
        issued_at > 1_600_000_000_000,
        "issued_at is epoch milliseconds: {issued_at}"
    );
    let signature = s(&body, "signature");
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(signature)
            .is_ok(),
        "signature is base64: {signature}"
    );
    let scopes: Vec<&str> = s(&body, "scope").split_whitespace().collect();
    assert!(scopes.contains(&"api"), "{scopes:?}");
    assert!(scopes.contains(&"refresh_token"), "{scopes:?}");
    assert!(
        body.get("expires_in").is_none(),
        "Salesforce sends no expires_in: {body}"
    );

    let (status, limits_body) = limits(&sim, access).await;
    assert_eq!(status, 200, "{limits_body}");
    assert!(
        limits_body.get("DailyApiRequests").is_some(),
        "{limits_body}"
    );

    // Without an identity scope (`id`, `openid`, ...) userinfo refuses the token (UNVERIFIED,
    // docs/salesforce-fidelity.md); the user is read through the REST API instead.
    let (status, info) = common::get(&sim, access, "/services/oauth2/userinfo").await;
    assert_eq!(status, 403, "{info}");
    assert_eq!(info["error"], "insufficient_scope", "{info}");
    let (status, user) = common::get(
        &sim,
        access,
        &format!(
            "/services/data/{}/sobjects/User/{admin_id}?fields=Id,Username,Name,Email",
            common::V
        ),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["Username"], ADMIN);
    // A session of the org's own (the admin's, as from Salesforce's UI) reaches userinfo.
    let (status, info) = common::get(&sim, sim.admin_token(), "/services/oauth2/userinfo").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["preferred_username"], ADMIN);
    assert_eq!(info["organization_id"], org_id.as_str());
    assert_eq!(info["user_id"], admin_id.as_str());
    let rest = info["urls"]["rest"].as_str().expect("urls.rest");
    assert!(rest.contains("{version}"), "{rest}");
    assert!(rest.starts_with(sim.url()), "{rest}");

    // The identity URL answers the same kind of document with the bearer token.
    let id_path = s(&body, "id")
        .strip_prefix(sim.url())
        .expect("id on the instance")
        .to_string();
    let (status, identity) = common::get(&sim, access, &id_path).await;
    assert_eq!(status, 200, "{identity}");
    assert_eq!(identity["user_id"], admin_id.as_str());
}

#[tokio::test]
async fn userinfo_without_a_valid_token_is_refused() {
    let sim = common::start("ready").await;
    let (status, body) =
        common::get(&sim, "00Dbogus!AQnotatoken", "/services/oauth2/userinfo").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, Value::String("Bad_OAuth_Token".into()));
}

/// The UI Bridge API as the Salesforce CLI calls it (`sf org open --url-only`: @salesforce/core
/// `Org.getFrontDoorUrl`, a GET with `redirect_uri` in the query) and as the Mobile SDK does (a
/// POST with a form body): a web-scoped token gets a single-use frontdoor URL on the instance.
#[tokio::test]
async fn singleaccess_exchanges_a_web_token_for_a_frontdoor_url() {
    let sim = common::start("ready").await;
    let token = sim
        .token_for(ADMIN, "Salesforce CLI", &["refresh_token", "api", "web"])
        .expect("admin exists");
    let (status, body) = common::get(
        &sim,
        &token,
        "/services/oauth2/singleaccess?redirect_uri=%2Flightning%2Fsetup%2FPermSets%2Fhome",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let uri = body["frontdoor_uri"].as_str().expect("frontdoor_uri");
    let prefix = format!("{}/secur/frontdoor.jsp?otp=", sim.url());
    assert!(uri.starts_with(&prefix), "{uri}");
    assert!(
        uri.contains("&startURL=%2Flightning%2Fsetup%2FPermSets%2Fhome&cshc="),
        "{uri}"
    );
    assert!(
        !uri.contains(&token),
        "the access token itself is not in the URL"
    );

    let response = common::client()
        .post(format!("{}/services/oauth2/singleaccess", sim.url()))
        .bearer_auth(&token)
        .form(&[("redirect_uri", "/lightning/page/home")])
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status().as_u16(), 200);
    let posted: Value = response.json().await.expect("JSON body");
    let second = posted["frontdoor_uri"].as_str().expect("frontdoor_uri");
    assert!(
        second.contains("&startURL=%2Flightning%2Fpage%2Fhome&cshc="),
        "{second}"
    );
    assert_ne!(
        second, uri,
        "each frontdoor URL is single-use, so each call mints a new one"
    );
}

/// An expired or unknown token gets 403 `Bad_OAuth_Token` (not 401: sfdx-core refreshes first
/// for that reason); a token without the `web` scope, 403 `Invalid_Scope`.
#[tokio::test]
async fn singleaccess_refuses_a_dead_token_and_an_api_only_token() {
    let sim = common::start("ready").await;
    let (status, body) = common::get(
        &sim,
        "00Dbogus!AQnotatoken",
        "/services/oauth2/singleaccess",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, Value::String("Bad_OAuth_Token".into()));

    let api_only = sim
        .token_for(ADMIN, "Enterpret", &["api", "refresh_token"])
        .expect("admin exists");
    let (status, body) = common::get(&sim, &api_only, "/services/oauth2/singleaccess").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, Value::String("Invalid_Scope".into()));
}

#[tokio::test]
async fn authorization_code_is_single_use() {
    let sim = common::start("ready").await;
    let auth = Authorize::assistant();
    let code = code_for(&sim, &auth, ADMIN).await;
    let (status, body) = exchange(
        &sim,
        &code,
        ASSISTANT_KEY,
        ASSISTANT_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = exchange(
        &sim,
        &code,
        ASSISTANT_KEY,
        ASSISTANT_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_oauth_error(status, &body, "invalid_grant");
}

#[tokio::test]
async fn unknown_code_is_invalid_grant() {
    let sim = common::start("ready").await;
    let (status, body) = exchange(
        &sim,
        "aPrxNotACode",
        ASSISTANT_KEY,
        ASSISTANT_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_oauth_error(status, &body, "invalid_grant");
}

#[tokio::test]
async fn wrong_code_verifier_is_invalid_request() {
    let sim = common::start("ready").await;
    let code = code_for(&sim, &Authorize::assistant(), ADMIN).await;
    let other = "another-verifier-that-does-not-match-the-challenge-0123456789";
    let (status, body) =
        exchange(&sim, &code, ASSISTANT_KEY, ASSISTANT_CALLBACK, Some(other)).await;
    assert_oauth_error(status, &body, "invalid_request");
    assert!(body.get("access_token").is_none());
}

#[tokio::test]
async fn missing_code_verifier_is_invalid_grant() {
    let sim = common::start("ready").await;
    let code = code_for(&sim, &Authorize::assistant(), ADMIN).await;
    let (status, body) = exchange(&sim, &code, ASSISTANT_KEY, ASSISTANT_CALLBACK, None).await;
    assert_oauth_error(status, &body, "invalid_grant");
    assert!(body.get("access_token").is_none());
}

#[tokio::test]
async fn token_request_with_another_redirect_uri_is_redirect_uri_mismatch() {
    let sim = common::start("ready").await;
    let code = code_for(&sim, &Authorize::assistant(), ADMIN).await;
    let (status, body) = exchange(
        &sim,
        &code,
        ASSISTANT_KEY,
        "http://localhost:1718/OauthRedirect",
        Some(VERIFIER),
    )
    .await;
    assert_oauth_error(status, &body, "redirect_uri_mismatch");
}

#[tokio::test]
async fn token_request_with_another_client_id_is_invalid_client_id() {
    let sim = common::start("ready").await;
    let code = code_for(&sim, &Authorize::assistant(), ADMIN).await;
    let (status, body) = exchange(
        &sim,
        &code,
        "3MVG9SOMEOTHERAPP",
        ASSISTANT_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_oauth_error(status, &body, "invalid_client_id");
    let (status, body) = exchange(
        &sim,
        &code,
        ENTERPRET_KEY,
        ASSISTANT_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_oauth_error(status, &body, "invalid_client_id");
}

#[tokio::test]
async fn token_request_without_or_with_unknown_grant_type() {
    let sim = common::start("ready").await;
    let (status, body) = token(&sim, &[("client_id", ASSISTANT_KEY)]).await;
    assert_oauth_error(status, &body, "invalid_request");
    let (status, body) = token(
        &sim,
        &[
            ("grant_type", "urn:example:unknown"),
            ("client_id", ASSISTANT_KEY),
        ],
    )
    .await;
    assert_oauth_error(status, &body, "unsupported_grant_type");
    // Salesforce knows the password grant and refuses the login itself: `invalid_grant`
    // (restforce's recorded auth_error_response.json), not `unsupported_grant_type`.
    let (status, body) = token(
        &sim,
        &[
            ("grant_type", "password"),
            ("client_id", ASSISTANT_KEY),
            ("username", "admin@acme.example"),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_oauth_error(status, &body, "invalid_grant");
}

#[tokio::test]
async fn authorize_with_unknown_client_id_shows_an_error_page() {
    let sim = common::start("ready").await;
    let auth = Authorize {
        client_id: "3MVG9NOSUCHAPP",
        ..Authorize::assistant()
    };
    let page = authorize_get(&sim, &auth).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(
        page.location.is_none(),
        "no redirect to an unverified client"
    );
    assert!(page.body.contains("invalid_client_id"), "{}", page.body);
    // Posting the form directly is refused the same way.
    let posted = authorize_post(&sim, &auth, ADMIN, PASSWORD, "allow").await;
    assert_eq!(posted.status, 400);
    assert!(posted.location.is_none());
    assert!(posted.body.contains("invalid_client_id"), "{}", posted.body);
}

#[tokio::test]
async fn authorize_with_unregistered_redirect_uri_shows_an_error_page() {
    let sim = common::start("ready").await;
    let auth = Authorize {
        redirect_uri: "http://localhost:9999/evil",
        ..Authorize::assistant()
    };
    let page = authorize_get(&sim, &auth).await;
    assert!(page.status >= 400, "{}", page.status);
    assert!(
        page.location.is_none(),
        "never redirects to an unregistered URI"
    );
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(page.body.contains("redirect_uri_mismatch"), "{}", page.body);
    let posted = authorize_post(&sim, &auth, ADMIN, PASSWORD, "allow").await;
    assert!(posted.location.is_none());
    assert!(
        posted.body.contains("redirect_uri_mismatch"),
        "{}",
        posted.body
    );
}

#[tokio::test]
async fn authorize_without_code_challenge_on_pkce_app_redirects_with_invalid_request() {
    let sim = common::start("ready").await;
    let auth = Authorize {
        code_challenge: None,
        ..Authorize::assistant()
    };
    let a = authorize_get(&sim, &auth).await;
    assert_eq!(a.status, 302, "{}", a.body);
    let params = redirect_params(a.location.as_deref().expect("Location"), ASSISTANT_CALLBACK);
    assert_eq!(params["error"], "invalid_request", "{params:?}");
    assert_eq!(params["state"], auth.state);
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn authorize_with_scope_the_app_lacks_redirects_with_invalid_scope() {
    let sim = common::start("ready").await;
    let auth = Authorize {
        scope: Some("api chatter_api"),
        ..Authorize::assistant()
    };
    let a = authorize_get(&sim, &auth).await;
    assert_eq!(a.status, 302, "{}", a.body);
    let params = redirect_params(a.location.as_deref().expect("Location"), ASSISTANT_CALLBACK);
    assert_eq!(params["error"], "invalid_scope", "{params:?}");
    assert_eq!(params["state"], auth.state);
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_state() {
    let sim = common::start("ready").await;
    let auth = Authorize::assistant();
    let a = authorize_post(&sim, &auth, ADMIN, PASSWORD, "deny").await;
    assert_eq!(a.status, 302, "{}", a.body);
    let params = redirect_params(a.location.as_deref().expect("Location"), ASSISTANT_CALLBACK);
    assert_eq!(params["error"], "access_denied", "{params:?}");
    assert_eq!(params["state"], auth.state);
    assert!(params
        .get("error_description")
        .is_some_and(|d| !d.is_empty()));
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn wrong_password_shows_the_login_page_again_with_an_error() {
    let sim = common::start("ready").await;
    let auth = Authorize::assistant();
    let a = authorize_post(&sim, &auth, ADMIN, "not-the-password", "allow").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.location.is_none(), "no redirect on a failed login");
    assert!(a.content_type.starts_with("text/html"));
    assert!(
        a.body.contains("<form"),
        "the form is shown again: {}",
        a.body
    );
    assert!(
        a.body.contains("check your username and password"),
        "{}",
        a.body
    );
    // Unknown users get the same answer (no account enumeration).
    let b = authorize_post(&sim, &auth, "nobody@acme.example", PASSWORD, "allow").await;
    assert_eq!(b.status, 200);
    assert!(b.location.is_none());
    assert!(
        b.body.contains("check your username and password"),
        "{}",
        b.body
    );
}

#[tokio::test]
async fn inactive_user_cannot_log_in() {
    let sim = common::start("user-inactive").await;
    let auth = Authorize {
        client_id: ENTERPRET_KEY,
        redirect_uri: ENTERPRET_CALLBACK,
        scope: Some("api refresh_token"),
        ..Authorize::assistant()
    };
    let page = authorize_get(&sim, &auth).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let a = authorize_post(&sim, &auth, INTEGRATION, PASSWORD, "allow").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.location.is_none(), "no code for an inactive user");
    assert!(
        a.body.contains("check your username and password"),
        "{}",
        a.body
    );
    // An active user of the same org logs in through the same app.
    let code = code_for(&sim, &auth, ADMIN).await;
    assert!(!code.is_empty());
}

#[tokio::test]
async fn external_client_app_client_id_works() {
    let sim = common::start("eca").await;
    let auth = Authorize {
        client_id: ENTERPRET_ECA_KEY,
        redirect_uri: ENTERPRET_CALLBACK,
        scope: Some("api refresh_token"),
        ..Authorize::assistant()
    };
    let page = authorize_get(&sim, &auth).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Enterpret"), "{}", page.body);
    let code = code_for(&sim, &auth, ADMIN).await;
    let (status, body) = exchange(
        &sim,
        &code,
        ENTERPRET_ECA_KEY,
        ENTERPRET_CALLBACK,
        Some(VERIFIER),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, limits_body) = limits(&sim, s(&body, "access_token")).await;
    assert_eq!(status, 200, "{limits_body}");
    let (status, body) = refresh(&sim, s(&body, "refresh_token"), ENTERPRET_ECA_KEY).await;
    assert_eq!(status, 200, "{body}");

    // The Connected App it replaced is gone in this scenario.
    let old = Authorize {
        client_id: ENTERPRET_KEY,
        ..auth
    };
    let page = authorize_get(&sim, &old).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("invalid_client_id"), "{}", page.body);
}

#[tokio::test]
async fn refresh_returns_a_new_access_token_and_no_refresh_token() {
    let sim = common::start("ready").await;
    let first = login(&sim, ADMIN).await;
    let old_access = s(&first, "access_token");
    let refresh_token = s(&first, "refresh_token");

    let (status, body) = refresh(&sim, refresh_token, ASSISTANT_KEY).await;
    assert_eq!(status, 200, "{body}");
    let new_access = s(&body, "access_token");
    assert_ne!(new_access, old_access);
    assert!(
        body.get("refresh_token").is_none(),
        "no rotation on this app: {body}"
    );
    assert!(body.get("expires_in").is_none(), "{body}");
    assert_eq!(s(&body, "instance_url"), sim.url());
    assert_eq!(s(&body, "id"), s(&first, "id"));
    assert_eq!(s(&body, "token_type"), "Bearer");
    assert!(s(&body, "issued_at").parse::<u64>().is_ok(), "{body}");
    assert!(!s(&body, "signature").is_empty());
    assert!(
        s(&body, "scope").split_whitespace().any(|x| x == "api"),
        "{body}"
    );

    let (status, b) = limits(&sim, new_access).await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = limits(&sim, old_access).await;
    assert_eq!(status, 200, "the old access token keeps working: {b}");
}

#[tokio::test]
async fn unknown_refresh_token_is_invalid_grant() {
    let sim = common::start("ready").await;
    let (status, body) = refresh(&sim, "5Aep861NotARefreshToken", ASSISTANT_KEY).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_grant", "error_description": "expired access/refresh token"})
    );
}

#[tokio::test]
async fn expired_access_token_gets_401_and_refresh_recovers() {
    let sim = common::start("ready").await;
    let first = login(&sim, ADMIN).await;
    let access = s(&first, "access_token");
    let (status, b) = limits(&sim, access).await;
    assert_eq!(status, 200, "{b}");

    sim.inject(Fault::ExpireAllTokens);
    let (status, body) = limits(&sim, access).await;
    assert_session_expired(status, &body);
    let (status, body) = common::query(
        &sim,
        sim.admin_token(),
        "SELECT Name FROM Organization",
        false,
    )
    .await;
    assert_session_expired(status, &body);

    let (status, body) = refresh(&sim, s(&first, "refresh_token"), ASSISTANT_KEY).await;
    assert_eq!(status, 200, "{body}");
    let (status, b) = limits(&sim, s(&body, "access_token")).await;
    assert_eq!(status, 200, "the refreshed token works: {b}");
    let (status, body) = limits(&sim, access).await;
    assert_session_expired(status, &body);
}

async fn oauth_token_rows(sim: &SimServer) -> Vec<Value> {
    let (status, body) = common::query(
        sim,
        sim.admin_token(),
        "SELECT Id, AppName, UserId FROM OauthToken",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["records"].as_array().cloned().expect("records")
}

#[tokio::test]
async fn revoking_the_refresh_token_ends_the_grant_and_its_sessions() {
    let sim = common::start("ready").await;
    let admin_id = sim.with_org(|o| o.admin_user_id.clone());
    let is_ours = |r: &Value| r["AppName"] == ASSISTANT_LABEL && r["UserId"] == admin_id.as_str();

    let before = oauth_token_rows(&sim).await;
    assert!(!before.iter().any(is_ours), "{before:?}");

    let first = login(&sim, ADMIN).await;
    let access = s(&first, "access_token");
    let refresh_token = s(&first, "refresh_token");
    let (status, refreshed) = refresh(&sim, refresh_token, ASSISTANT_KEY).await;
    assert_eq!(status, 200, "{refreshed}");
    let access2 = s(&refreshed, "access_token");

    let rows = oauth_token_rows(&sim).await;
    assert_eq!(rows.iter().filter(|r| is_ours(r)).count(), 1, "{rows:?}");
    assert_eq!(rows.len(), before.len() + 1);

    let (status, text) = revoke(&sim, refresh_token).await;
    assert_eq!(status, 200, "{text}");

    let (status, body) = refresh(&sim, refresh_token, ASSISTANT_KEY).await;
    assert_oauth_error(status, &body, "invalid_grant");
    for token in [access, access2] {
        let (status, body) = limits(&sim, token).await;
        assert_session_expired(status, &body);
    }
    // Unrelated sessions (the admin's CLI token) keep working.
    let after = oauth_token_rows(&sim).await;
    assert!(!after.iter().any(is_ours), "{after:?}");
    assert_eq!(after.len(), before.len());
}

#[tokio::test]
async fn revoking_an_access_token_ends_that_session_only() {
    let sim = common::start("ready").await;
    let first = login(&sim, ADMIN).await;
    let access = s(&first, "access_token");
    let (status, text) = revoke(&sim, access).await;
    assert_eq!(status, 200, "{text}");
    let (status, body) = limits(&sim, access).await;
    assert_session_expired(status, &body);
    // The refresh token still works.
    let (status, body) = refresh(&sim, s(&first, "refresh_token"), ASSISTANT_KEY).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn revoking_garbage_is_invalid_token() {
    let sim = common::start("ready").await;
    let (status, text) = revoke(&sim, "not-a-token-at-all").await;
    assert_eq!(status, 400, "{text}");
    let body: Value = serde_json::from_str(&text).expect("JSON error body");
    assert_eq!(body["error"], "invalid_token", "{body}");
    // Revoking twice: the second time the token is unknown.
    let first = login(&sim, ADMIN).await;
    let refresh_token = s(&first, "refresh_token");
    assert_eq!(revoke(&sim, refresh_token).await.0, 200);
    let (status, text) = revoke(&sim, refresh_token).await;
    assert_eq!(status, 400, "{text}");
}

#[tokio::test]
async fn oauth_endpoints_do_not_count_api_calls_but_rest_calls_do() {
    let sim = common::start("ready").await;
    let (used_before, max) = sim.api_usage();

    let auth = Authorize::assistant();
    assert_eq!(authorize_get(&sim, &auth).await.status, 200);
    let tokens = login(&sim, ADMIN).await;
    let access = s(&tokens, "access_token").to_string();
    let refresh_token = s(&tokens, "refresh_token").to_string();
    let (status, _) = refresh(&sim, &refresh_token, ASSISTANT_KEY).await;
    assert_eq!(status, 200);
    let (status, _) = common::get(&sim, &access, "/services/oauth2/userinfo").await;
    assert_eq!(status, 403, "no identity scope");
    let (status, _) = refresh(&sim, "5Aep861bogus", ASSISTANT_KEY).await;
    assert_eq!(status, 400);
    assert_eq!(sim.api_usage(), (used_before, max), "OAuth traffic is free");

    let (status, b) = limits(&sim, &access).await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = common::query(&sim, &access, "SELECT Name FROM Organization", false).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(
        sim.api_usage(),
        (used_before + 2, max),
        "each REST call counts once"
    );

    assert_eq!(revoke(&sim, &refresh_token).await.0, 200);
    assert_eq!(sim.api_usage(), (used_before + 2, max), "revoke is free");
}

#[tokio::test]
async fn revoking_one_grant_leaves_another_grant_of_the_same_app_working() {
    let sim = common::start("ready").await;
    // The same user authorizes the same app twice (two machines): two separate grants.
    let first = login(&sim, ADMIN).await;
    let second = login(&sim, ADMIN).await;
    assert_ne!(s(&first, "refresh_token"), s(&second, "refresh_token"));
    let (status, refreshed) = refresh(&sim, s(&second, "refresh_token"), ASSISTANT_KEY).await;
    assert_eq!(status, 200, "{refreshed}");

    assert_eq!(revoke(&sim, s(&first, "refresh_token")).await.0, 200);
    let (status, body) = limits(&sim, s(&first, "access_token")).await;
    assert_session_expired(status, &body);

    for token in [s(&second, "access_token"), s(&refreshed, "access_token")] {
        let (status, body) = limits(&sim, token).await;
        assert_eq!(status, 200, "only the revoked grant's tokens end: {body}");
    }
    let (status, body) = refresh(&sim, s(&second, "refresh_token"), ASSISTANT_KEY).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn userinfo_refuses_tokens_the_rest_api_treats_as_expired() {
    // Expired by the number of calls.
    let text = "extends = \"ready\"\nname = \"t\"\n[faults]\nexpire_token_after_calls = 1";
    let scenario = writeback_setup::sim::scenario::load_str("t", text).expect("scenario loads");
    let sim = SimServer::start(&scenario, Default::default())
        .await
        .expect("simulator starts");
    let tokens = login(&sim, ADMIN).await;
    let access = s(&tokens, "access_token");
    // A live token without an identity scope: refused for the scope, not as expired.
    let (status, body) = common::get(&sim, access, "/services/oauth2/userinfo").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "insufficient_scope", "{body}");
    let (status, body) = limits(&sim, access).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = limits(&sim, access).await;
    assert_session_expired(status, &body);
    let (status, body) = common::get(&sim, access, "/services/oauth2/userinfo").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, Value::String("Bad_OAuth_Token".into()));

    // The user was deactivated after logging in.
    let sim = common::start("ready").await;
    let tokens = login(&sim, "agent@acme.example").await;
    let access = s(&tokens, "access_token");
    let (status, body) = common::get(&sim, access, &format!("/services/data/{}/", common::V)).await;
    assert_eq!(status, 200, "{body}");
    sim.with_org(|org| {
        let id = org
            .user_by_name("agent@acme.example")
            .and_then(|u| u.get("Id").cloned());
        let id = id
            .and_then(|v| v.as_str().map(str::to_string))
            .expect("agent exists");
        let user = org.find_mut("User", &id).expect("agent row");
        user.insert("IsActive".into(), Value::Bool(false));
    });
    let (status, body) = limits(&sim, access).await;
    assert_session_expired(status, &body);
    let (status, body) = common::get(&sim, access, "/services/oauth2/userinfo").await;
    assert_eq!(status, 403, "{body}");
    // Nor can the refresh token of a deactivated user get a new access token.
    let (status, body) = refresh(&sim, s(&tokens, "refresh_token"), ASSISTANT_KEY).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
}

#[tokio::test]
async fn api_only_user_cannot_log_in_through_the_browser() {
    // The integration user's profile is "Minimum Access - API Only Integrations" (API Only User).
    let sim = common::start("ready").await;
    let auth = Authorize {
        client_id: ENTERPRET_KEY,
        redirect_uri: ENTERPRET_CALLBACK,
        scope: Some("api refresh_token"),
        ..Authorize::assistant()
    };
    let a = authorize_post(&sim, &auth, INTEGRATION, PASSWORD, "allow").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.location.is_none(), "no code for an API-only user");
    assert!(a.body.contains("API only"), "{}", a.body);
}

#[tokio::test]
async fn frozen_users_cannot_log_in_refresh_or_use_their_sessions() {
    let sim = common::start("user-frozen").await;
    let auth = Authorize {
        client_id: ENTERPRET_KEY,
        redirect_uri: ENTERPRET_CALLBACK,
        scope: Some("api refresh_token"),
        code_challenge: None,
        ..Authorize::assistant()
    };
    let a = authorize_post(&sim, &auth, INTEGRATION, PASSWORD, "allow").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.location.is_none(), "no code for a frozen user");
    assert!(
        a.body.contains("check your username and password"),
        "{}",
        a.body
    );

    // A user frozen after logging in: the refresh token and the session stop working.
    let sim = common::start("ready").await;
    let first = login(&sim, ADMIN).await;
    let access = s(&first, "access_token");
    let (status, b) = limits(&sim, access).await;
    assert_eq!(status, 200, "{b}");
    sim.with_org(|org| {
        let admin = org.admin_user_id.clone();
        for row in org.table_mut("UserLogin") {
            if row.get("UserId").and_then(Value::as_str) == Some(admin.as_str()) {
                row.insert("IsFrozen".into(), Value::Bool(true));
            }
        }
    });
    let (status, body) = refresh(&sim, s(&first, "refresh_token"), ASSISTANT_KEY).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_grant", "error_description": "authentication failure"})
    );
    let (status, body) = limits(&sim, access).await;
    assert_session_expired(status, &body);
}

#[tokio::test]
async fn a_full_only_app_issues_no_refresh_token() {
    let sim = common::start("full-scope-only").await;
    let auth = Authorize {
        client_id: ENTERPRET_KEY,
        redirect_uri: ENTERPRET_CALLBACK,
        scope: Some("full refresh_token"),
        code_challenge: None,
        ..Authorize::assistant()
    };
    let a = authorize_get(&sim, &auth).await;
    assert_eq!(a.status, 302, "{}", a.body);
    let params = redirect_params(a.location.as_deref().expect("Location"), ENTERPRET_CALLBACK);
    assert_eq!(params["error"], "invalid_scope", "{params:?}");

    let auth = Authorize {
        scope: Some("full"),
        ..auth
    };
    let code = code_for(&sim, &auth, ADMIN).await;
    let (status, body) = exchange(&sim, &code, ENTERPRET_KEY, ENTERPRET_CALLBACK, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(s(&body, "scope"), "full");
    let (status, b) = limits(&sim, s(&body, "access_token")).await;
    assert_eq!(status, 200, "full allows the REST API: {b}");
}

/// "Require secret for Refresh Token Flow" on an External Client App: a refresh without the
/// client secret is refused with `invalid_client` (UNVERIFIED, docs/salesforce-fidelity.md).
#[tokio::test]
async fn an_app_requiring_the_secret_refuses_a_public_refresh() {
    let key = "3MVG9SECRETFORREFRESHECA";
    let text = format!("extends = \"ready\"\nname = \"secret\"\n[[external_client_apps]]\nfull_name = \"Own_Assistant\"\nlabel = \"Own Assistant\"\nconsumer_key = \"{key}\"\ncallback_url = \"{ASSISTANT_CALLBACK}\"\nscopes = [\"Api\", \"RefreshToken\"]\nsecret_required_for_refresh = true\n");
    let scenario =
        writeback_setup::sim::scenario::load_str("secret", &text).expect("scenario loads");
    let sim = SimServer::start(&scenario, Default::default())
        .await
        .expect("simulator starts");
    let auth = Authorize {
        client_id: key,
        scope: Some("api refresh_token"),
        ..Authorize::assistant()
    };
    let code = code_for(&sim, &auth, ADMIN).await;
    let (status, tokens) = exchange(&sim, &code, key, ASSISTANT_CALLBACK, Some(VERIFIER)).await;
    assert_eq!(status, 200, "the web-server flow needs no secret: {tokens}");
    let (status, body) = refresh(&sim, s(&tokens, "refresh_token"), key).await;
    assert_oauth_error(status, &body, "invalid_client");
}
