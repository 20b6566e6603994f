//! Shared helpers for integration tests against the simulated org.
#![allow(dead_code)]
// Test code: `unwrap()` is the assertion (clippy.toml).
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use writeback_setup::sim::scenario;
use writeback_setup::sim::server::{SimOptions, SimServer};

pub const V: &str = "v66.0";

/// Starts a built-in scenario on a free port.
pub async fn start(name: &str) -> SimServer {
    let scenario = scenario::load_builtin(name).expect("built-in scenario loads");
    SimServer::start(&scenario, SimOptions::default())
        .await
        .expect("simulator starts")
}

/// A client that does not follow redirects (OAuth tests look at the Location header).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

/// GET a path (relative to the instance URL) with a bearer token; returns status and JSON body.
pub async fn get(sim: &SimServer, token: &str, path: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body read");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Runs a SOQL query on the standard (`tooling = false`) or Tooling API.
pub async fn query(sim: &SimServer, token: &str, soql: &str, tooling: bool) -> (u16, Value) {
    let api = if tooling { "tooling/query" } else { "query" };
    let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
    get(sim, token, &format!("/services/data/{V}/{api}/?q={q}")).await
}

/// Sends a request with a JSON body; returns status and JSON body (Null when empty).
pub async fn send(
    sim: &SimServer,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client()
        .request(method, format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body read");
    if text.is_empty() {
        return (status, Value::Null);
    }
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The `errorCode` of a REST error body (the first error of the array).
pub fn error_code(body: &Value) -> &str {
    body.get(0)
        .and_then(|e| e.get("errorCode"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A token for the integration user of the built-in scenarios, through the Enterpret app.
pub fn integration_token(sim: &SimServer) -> String {
    sim.token_for(
        "integration@acme.example",
        "Enterpret",
        &["api", "refresh_token"],
    )
    .expect("integration user exists")
}

/// A login environment that touches nothing of this machine: sessions in memory, no saved
/// logins, no Salesforce CLI, no browser.
#[allow(dead_code)]
pub fn offline_login_env() -> writeback_setup::ui::worker::LoginEnv {
    writeback_setup::ui::worker::LoginEnv {
        store: std::sync::Arc::new(writeback_setup::login::store::MemoryStore::new(
            "no system keychain runs on this desktop",
        )),
        book: None,
        sf_cli: writeback_setup::login::sf_cli::SfCli::with_program("sf-not-installed"),
        open_browser: std::sync::Arc::new(|_: &str| {}),
    }
}

/// A keychain that lives in the test: persistent as far as the app can tell.
#[derive(Debug, Default)]
pub struct FakeKeychain(pub std::sync::Mutex<std::collections::HashMap<String, String>>);

impl writeback_setup::login::store::SecretStore for FakeKeychain {
    fn persistent(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        "Saved in the system keychain.".into()
    }
    fn get(
        &self,
        account: &str,
    ) -> Result<Option<String>, writeback_setup::login::store::StoreError> {
        Ok(self.0.lock().unwrap().get(account).cloned())
    }
    fn set(
        &self,
        account: &str,
        secret: &str,
    ) -> Result<(), writeback_setup::login::store::StoreError> {
        self.0.lock().unwrap().insert(account.into(), secret.into());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), writeback_setup::login::store::StoreError> {
        self.0.lock().unwrap().remove(account);
        Ok(())
    }
}

/// The ready org with the assistant's app calling back on `port` (tests run in parallel, each on
/// its own port, below Linux's ephemeral range 32768-60999 so no outgoing connection takes it),
/// optionally rotating refresh tokens.
pub fn login_scenario(port: u16, rotation: bool) -> scenario::Scenario {
    let text = format!(
        "extends = \"ready\"\nname = \"login-{port}\"\n[[connected_apps]]\nfull_name = \"Writeback_Setup_Assistant\"\ncallback_url = \"http://localhost:{port}/OauthRedirect\"\nrefresh_token_rotation = {rotation}\n"
    );
    scenario::load_str("login", &text).expect("the login scenario loads")
}

/// The admin in a browser: open the authorize URL, log in as admin@acme.example, press `action`
/// ("allow" or "deny"), then follow Salesforce's redirect to the loopback listener.
pub async fn answer_in_browser(base: &str, authorize_url: &str, action: &str) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200, "the login page shows");
    let query = authorize_url.split_once('?').unwrap().1;
    let mut form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    form.insert("username".into(), "admin@acme.example".into());
    form.insert("pw".into(), "demo".into());
    form.insert("action".into(), action.into());
    let answer = browser
        .post(format!("{base}/services/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    browser.get(&location).send().await.unwrap();
}

/// Steps the UI until `done` holds (the app's worker answers on its own thread), then two more
/// frames so what changed is drawn.
pub fn step_until(
    h: &mut egui_kittest::Harness<'_, writeback_setup::ui::App>,
    what: &str,
    done: impl Fn(&writeback_setup::ui::App) -> bool,
) {
    for _ in 0..600 {
        h.step();
        if done(h.state()) {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    panic!("timed out waiting for {what}");
}
