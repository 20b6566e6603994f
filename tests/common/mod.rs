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
/// A test-write journal folder of the caller's own: apps running side by side in one test
/// process never see each other's journals, nor the user's.
pub fn scratch_data_dir() -> Result<std::path::PathBuf, String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Ok(std::env::temp_dir().join(format!(
        "writeback-setup-test-journals-{}-{n}",
        std::process::id()
    )))
}

/// The app's worker with no keychain, no CLI, no browser, and journals of its own.
pub fn offline_worker() -> writeback_setup::ui::worker::Worker {
    writeback_setup::ui::worker::Worker::spawn_in(|| {}, offline_login_env, scratch_data_dir())
}

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

/// The consumer key of the app the built-in `ready` scenario has installed for logging in
/// (`Writeback_Setup_Assistant`): the product ships no client id, so tests configure this one.
pub const SIM_APP_KEY: &str = "3MVG9WRITEBACKSETUPASSISTANT";

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

/// The desktop app on the built-in demo org's `scenario` (not yet connected), offline.
pub fn demo_app(scenario: &str) -> writeback_setup::ui::App {
    let remembered = writeback_setup::ui::Remembered {
        demo_scenario: scenario.to_string(),
        ..writeback_setup::ui::Remembered::default()
    };
    writeback_setup::ui::App::new(offline_worker(), remembered)
}

/// Connects the app in `h` to its demo org as a user would (the Connect page's button, once the
/// page has settled) and waits until the checks have run.
pub fn connect_demo(h: &mut egui_kittest::Harness<'_, writeback_setup::ui::App>) {
    use egui_kittest::kittest::Queryable;
    settled(h);
    h.get_by_label("Connect to the demo org").click();
    step_until(h, "the checks", |a| a.report.is_some() && !a.is_running());
}

/// Steps the UI until the worker's first answers are in (whether the Salesforce CLI is here
/// decides what the Connect page shows): a click aimed before then can land where the page
/// has moved since.
pub fn settled(h: &mut egui_kittest::Harness<'_, writeback_setup::ui::App>) {
    step_until(h, "the Connect page to settle", |a| {
        a.login.sf_cli.is_some()
    });
}

/// Steps the UI until `done` holds (the app's worker answers on its own thread), then two more
/// frames so what changed is drawn.
pub fn step_until(
    h: &mut egui_kittest::Harness<'_, writeback_setup::ui::App>,
    what: &str,
    done: impl Fn(&writeback_setup::ui::App) -> bool,
) {
    // A deadline in time, not in frames: on a loaded machine (the suite runs tests in
    // parallel, each with its own simulated org) a frame can take far longer than usual.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while std::time::Instant::now() < deadline {
        h.step();
        if done(h.state()) {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    panic!("timed out waiting for {what}");
}

/// What `sf org login web --instance-url URL --json` prints on success, shaped as
/// salesforcecli/plugin-auth prints it (`src/commands/org/login/web.ts`: the `AuthFields` of the
/// new login through `common.redactAuthFields`, so `accessToken` is the "[REDACTED] ..." text of
/// `messages/secrets-redacted.md` and `refreshToken`/`clientSecret` are left out; the warning is
/// `temp.envVarWorkaround`; the envelope is sf-plugins-core's `{status, result, warnings}`). With
/// `SF_TEMP_SHOW_SECRETS=true` the CLI prints the token itself: pass `Some(token)`.
pub fn sf_login_web_output(
    instance: &str,
    org_id: &str,
    user_id: &str,
    username: &str,
    token: Option<&str>,
) -> String {
    let token = token.unwrap_or("[REDACTED] Use 'sf org auth show-access-token' to view");
    format!(
        r#"{{
  "status": 0,
  "result": {{
    "accessToken": "{token}",
    "instanceUrl": "{instance}",
    "orgId": "{org_id}",
    "username": "{username}",
    "loginUrl": "https://login.salesforce.com",
    "clientId": "PlatformCLI",
    "isDevHub": false,
    "instanceApiVersion": "66.0",
    "instanceApiVersionLastRetrieved": "12/5/2026, 2:31:07 PM",
    "isSandbox": false,
    "isScratch": false,
    "tracksSource": false,
    "userId": "{user_id}"
  }},
  "warnings": [
    "Secrets are now hidden from 'sf org login web' command output. Use the 'sf org auth' commands instead. As a temporary workaround, you can set SF_TEMP_SHOW_SECRETS=true to render these secrets. This workaround will be removed in an upcoming release."
  ]
}}"#
    )
}

/// Writes an executable fake `sf` into `dir` that answers `sf --version` like CLI 2.108.6 and
/// `sf org login web ... --json` with `login_output` (after `delay_s` seconds, as a person
/// logging in would take), and anything else with exit 99. Returns its path.
#[cfg(unix)]
pub fn fake_sf(dir: &std::path::Path, login_output: &str, delay_s: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("sf");
    let text = format!(
        "#!/usr/bin/env bash\ncase \"$1\" in\n  --version) echo '@salesforce/cli/2.108.6 linux-x64 node-v20.20.2';;\n  org) sleep {delay_s}; cat <<'JSON'\n{login_output}\nJSON\n;;\n  *) exit 99;;\nesac\n"
    );
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}
