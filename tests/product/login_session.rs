//! Sessions against the simulated org: browser login into a saved session, resume with the saved
//! refresh token, refresh on an expired session, refresh-token rotation, sign-out with revoke.

use crate::common;

use common::FakeKeychain;
use std::sync::Arc;
use std::time::Duration;
use writeback_setup::login::session::{self, LoginSettings, SessionError};
use writeback_setup::login::store::{LoginBook, MemoryStore, SecretStore, StoreError};
use writeback_setup::login::url::LoginTarget;
use writeback_setup::readiness::{self, CheckRequest};
use writeback_setup::sim::server::{SimOptions, SimServer};

impl FakeKeychain {
    fn only_secret(&self) -> String {
        let map = self.0.lock().unwrap();
        assert_eq!(map.len(), 1, "one saved session");
        map.values().next().unwrap().clone()
    }
}

async fn org(port: u16, rotation: bool) -> SimServer {
    SimServer::start(
        &common::login_scenario(port, rotation),
        SimOptions::default(),
    )
    .await
    .unwrap()
}

fn settings(sim: &SimServer, port: u16) -> LoginSettings {
    LoginSettings::new(
        &LoginTarget::Url(sim.url().to_string()),
        None,
        Some(common::SIM_APP_KEY),
        Some(port as u32),
    )
    .unwrap()
}

async fn log_in(
    sim: &SimServer,
    port: u16,
    store: Arc<dyn SecretStore>,
    book: Option<&LoginBook>,
) -> session::Session {
    let base = sim.url().to_string();
    session::browser_login(
        &settings(sim, port),
        store,
        book,
        Duration::from_secs(10),
        |url| {
            let url = url.to_string();
            tokio::spawn(async move { common::answer_in_browser(&base, &url, "allow").await });
        },
    )
    .await
    .unwrap()
}

fn refresh_grants(sim: &SimServer) -> Vec<String> {
    sim.with_org(|org| org.refresh_tokens.keys().cloned().collect())
}

#[tokio::test]
async fn a_browser_login_is_saved_and_resumed_without_a_browser() {
    let port = 27831;
    let sim = org(port, false).await;
    let dir = tempdir("resume");
    let book = LoginBook::at(&dir);
    let keychain = Arc::new(FakeKeychain::default());
    let first = log_in(&sim, port, keychain.clone(), Some(&book)).await;
    assert_eq!(first.identity.username, "admin@acme.example");
    assert_eq!(first.kept, "Saved in the system keychain.");
    assert_eq!(keychain.only_secret(), refresh_grants(&sim)[0]);

    // The book knows the login, not the token.
    let saved = book.find(None).unwrap().unwrap();
    assert_eq!(saved.username, "admin@acme.example");
    assert_eq!(saved.login_url, sim.url());
    let file = std::fs::read_to_string(book.path()).unwrap();
    assert!(!file.contains(&keychain.only_secret()));

    let resumed = session::resume(&saved, keychain.clone(), Some(&book))
        .await
        .unwrap();
    let report = readiness::run(
        &resumed.client,
        &CheckRequest {
            profile: writeback_setup::profile::builtin("feedback-writeback").unwrap(),
            integration_user: Some("integration@acme.example".into()),
            record_id: None,
        },
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.verdict, writeback_setup::checks::Verdict::Ready);
}

#[tokio::test]
async fn without_a_keychain_the_session_stays_in_memory_and_nothing_is_saved() {
    let port = 27832;
    let sim = org(port, false).await;
    let dir = tempdir("memory");
    let book = LoginBook::at(&dir);
    let store = Arc::new(MemoryStore::new("no system keychain runs on this desktop"));
    let session = log_in(&sim, port, store, Some(&book)).await;
    assert!(session.kept.contains("memory only"), "{}", session.kept);
    assert!(book.list().unwrap().is_empty());
    assert!(!book.path().exists());
}

#[tokio::test]
async fn an_expired_session_is_refreshed_and_a_rotated_refresh_token_is_saved() {
    let port = 27833;
    let sim = org(port, true).await;
    let keychain = Arc::new(FakeKeychain::default());
    let session = log_in(&sim, port, keychain.clone(), None).await;
    let first_refresh = keychain.only_secret();
    // Salesforce ends the session (timeout, admin action): every access token is gone.
    sim.with_org(|org| org.sessions.clear());
    let identity = session.client.identity().await.unwrap();
    assert_eq!(identity.username, "admin@acme.example");
    let rotated = keychain.only_secret();
    assert_ne!(
        rotated, first_refresh,
        "the rotated token replaced the old one"
    );
    assert_eq!(refresh_grants(&sim), vec![rotated.clone()]);
    // The old one is dead at Salesforce.
    let oauth = settings(&sim, port).oauth().unwrap();
    assert!(oauth.refresh(&first_refresh).await.is_err());
}

#[tokio::test]
async fn concurrent_expired_requests_refresh_once() {
    let port = 27834;
    let sim = org(port, true).await;
    let keychain = Arc::new(FakeKeychain::default());
    let session = log_in(&sim, port, keychain.clone(), None).await;
    sim.with_org(|org| org.sessions.clear());
    let (a, b, c) = tokio::join!(
        session.client.query("SELECT Id FROM Case LIMIT 1"),
        session.client.query("SELECT Id FROM User LIMIT 1"),
        session.client.identity(),
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    assert_eq!(refresh_grants(&sim), vec![keychain.only_secret()]);
}

#[tokio::test]
async fn signing_out_revokes_at_salesforce_and_forgets_here() {
    let port = 27835;
    let sim = org(port, false).await;
    let dir = tempdir("signout");
    let book = LoginBook::at(&dir);
    let keychain = Arc::new(FakeKeychain::default());
    let sessions_before = sim.with_org(|org| org.sessions.len());
    let session = log_in(&sim, port, keychain.clone(), Some(&book)).await;
    assert_eq!(sim.with_org(|org| org.sessions.len()), sessions_before + 1);
    let saved = session.login.clone();
    let refresh = keychain.only_secret();
    let done = session
        .revoker
        .sign_out(keychain.as_ref(), Some(&book))
        .await
        .unwrap();
    assert!(done.revoked, "{done:?}");
    assert!(refresh_grants(&sim).is_empty(), "revoked at Salesforce");
    assert_eq!(
        sim.with_org(|org| org.sessions.len()),
        sessions_before,
        "its access token ended too"
    );
    assert!(keychain.get(&saved.account()).unwrap().is_none());
    assert!(book.list().unwrap().is_empty());
    let oauth = settings(&sim, port).oauth().unwrap();
    assert!(oauth.refresh(&refresh).await.is_err());
    // Resuming now asks to log in again.
    let err = session::resume(&saved, keychain, Some(&book))
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::NotSaved { .. }), "{err}");
    assert!(err.to_string().contains("Log in again"), "{err}");
}

#[tokio::test]
async fn a_session_revoked_elsewhere_asks_to_log_in_again() {
    let port = 27836;
    let sim = org(port, false).await;
    let keychain = Arc::new(FakeKeychain::default());
    let session = log_in(&sim, port, keychain.clone(), None).await;
    let saved = session.login.clone();
    // The admin revoked the app's access in Setup > Connected Apps OAuth Usage.
    sim.with_org(|org| {
        org.refresh_tokens.clear();
        org.sessions.clear();
    });
    let err = session::resume(&saved, keychain.clone(), None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Start the login again"), "{text}");
    assert!(
        !text.contains(&keychain.only_secret()),
        "no token in the error"
    );
}

#[tokio::test]
async fn login_settings_come_from_the_profile_and_the_overrides() {
    let mut profile = writeback_setup::profile::builtin("feedback-writeback").unwrap();
    // No app anywhere: there is no placeholder to fall back to.
    assert!(matches!(
        LoginSettings::new(&LoginTarget::Sandbox, profile.login.as_ref(), None, None),
        Err(session::SessionError::NoApp)
    ));
    // A consumer key of the admin's own app: the assistant's default callback, not 1717.
    let own =
        LoginSettings::new(&LoginTarget::Sandbox, None, Some("3MVG9OWNAPPKEY"), None).unwrap();
    assert_eq!(own.host.login_url, "https://test.salesforce.com");
    assert!(own.host.sandbox);
    assert_eq!(own.client_id, "3MVG9OWNAPPKEY");
    assert_eq!(
        own.redirect_uri,
        writeback_setup::login::app::DEFAULT_CALLBACK_URL
    );
    assert!(!own.redirect_uri.contains(":1717/"));

    profile.login = Some(writeback_setup::profile::LoginApp {
        client_id: "3MVG9VENDORKEY".into(),
        callback_url: "http://localhost:7777/callback".into(),
    });
    let vendor =
        LoginSettings::new(&LoginTarget::Production, profile.login.as_ref(), None, None).unwrap();
    assert_eq!(vendor.client_id, "3MVG9VENDORKEY");
    assert_eq!(vendor.redirect_uri, "http://localhost:7777/callback");

    let overridden = LoginSettings::new(
        &LoginTarget::Url(
            "https://acme.lightning.force.com/lightning/setup/SetupOneHome/home".into(),
        ),
        profile.login.as_ref(),
        Some(" 3MVG9MINE "),
        Some(8765),
    )
    .unwrap();
    assert_eq!(overridden.host.login_url, "https://acme.my.salesforce.com");
    assert_eq!(overridden.client_id, "3MVG9MINE");
    assert_eq!(
        overridden.redirect_uri,
        "http://localhost:8765/OauthRedirect"
    );

    for (client_id, port) in [
        (Some("has space"), None),
        (Some("3MVG9OWNAPPKEY"), Some(80)),
        (Some("3MVG9OWNAPPKEY"), Some(70000)),
        (None, None),
    ] {
        assert!(
            LoginSettings::new(&LoginTarget::Production, None, client_id, port).is_err(),
            "{client_id:?} {port:?}"
        );
    }
    assert!(LoginSettings::new(
        &LoginTarget::Url("https://example.com".into()),
        None,
        None,
        None
    )
    .is_err());
}

#[test]
fn a_damaged_logins_file_is_named_in_the_error() {
    let dir = tempdir("damaged");
    let book = LoginBook::at(&dir);
    std::fs::write(book.path(), "{ not json").unwrap();
    let err = book.list().unwrap_err().to_string();
    assert!(
        err.contains("logins.json") && err.contains("Delete the file"),
        "{err}"
    );
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "writeback-setup-session-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A keychain that refuses every write (locked, and no prompt can be shown).
#[derive(Debug)]
struct RefusingKeychain;

impl SecretStore for RefusingKeychain {
    fn persistent(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        "Saved in the system keychain.".into()
    }
    fn get(&self, _: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Keychain("prompt dismissed".into()))
    }
    fn delete(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_keychain_that_refuses_does_not_cost_the_login() {
    let port = 27837;
    let sim = org(port, false).await;
    let dir = tempdir("refusing");
    let book = LoginBook::at(&dir);
    let session = log_in(&sim, port, Arc::new(RefusingKeychain), Some(&book)).await;
    assert!(session.kept.starts_with("Not saved"), "{}", session.kept);
    assert!(
        session.kept.contains("prompt dismissed"),
        "{}",
        session.kept
    );
    assert!(
        book.list().unwrap().is_empty(),
        "nothing to resume, so nothing listed"
    );
    assert_eq!(
        session.client.identity().await.unwrap().username,
        "admin@acme.example"
    );
}

/// An External Client App with "Require secret for Refresh Token Flow": the login works (PKCE, no
/// secret), but continuing later cannot refresh; the error says why and what to do, decided on
/// the OAuth `error` code.
#[tokio::test]
async fn an_app_requiring_the_secret_for_refresh_is_explained() {
    let port = 27861;
    let key = "3MVG9OWNAPPNEEDSSECRET";
    let text = format!(
        "extends = \"ready\"\nname = \"secret\"\n[[external_client_apps]]\nfull_name = \"Own\"\nlabel = \"Own\"\nconsumer_key = \"{key}\"\ncallback_url = \"http://localhost:{port}/OauthRedirect\"\nscopes = [\"Api\", \"RefreshToken\"]\nsecret_required_for_refresh = true\n"
    );
    let scenario = writeback_setup::sim::scenario::load_str("secret", &text).unwrap();
    let sim = SimServer::start(&scenario, SimOptions::default())
        .await
        .unwrap();
    let settings = LoginSettings::new(
        &LoginTarget::Url(sim.url().to_string()),
        None,
        Some(key),
        Some(port as u32),
    )
    .unwrap();
    let keychain = Arc::new(common::FakeKeychain::default());
    let base = sim.url().to_string();
    let session = session::browser_login(
        &settings,
        keychain.clone(),
        None,
        Duration::from_secs(10),
        |url| {
            let url = url.to_string();
            tokio::spawn(async move { common::answer_in_browser(&base, &url, "allow").await });
        },
    )
    .await
    .expect("the web-server flow needs no secret");
    assert_eq!(session.identity.username, "admin@acme.example");
    let err = session::resume(&session.login, keychain, None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Require secret for Refresh Token Flow"),
        "{text}"
    );
    assert!(text.contains("Log in again"), "{text}");
}

/// A Packaged External Client App that is not installed in the org: Salesforce shows its error
/// page with `OAUTH_EC_APP_NOT_FOUND` and never redirects; the app explains that code.
#[tokio::test]
async fn an_app_not_installed_in_the_org_is_explained() {
    let key = "3MVG9NOTINSTALLEDHERE";
    let text = format!(
        "extends = \"ready\"\nname = \"missing\"\n[[external_client_apps]]\nfull_name = \"Vendor\"\nlabel = \"Vendor\"\nconsumer_key = \"{key}\"\ncallback_url = \"http://localhost:27862/OauthRedirect\"\nscopes = [\"Api\", \"RefreshToken\"]\ndistribution_state = \"Packaged\"\ninstalled = false\n"
    );
    let scenario = writeback_setup::sim::scenario::load_str("missing", &text).unwrap();
    let sim = SimServer::start(&scenario, SimOptions::default())
        .await
        .unwrap();
    let settings = LoginSettings::new(
        &LoginTarget::Url(sim.url().to_string()),
        None,
        Some(key),
        Some(27862),
    )
    .unwrap();
    let oauth = settings.oauth().unwrap();
    let login = writeback_setup::login::browser::BrowserLogin::start(&oauth)
        .await
        .unwrap();
    let page = reqwest::get(&login.authorize_url).await.unwrap();
    assert_eq!(page.status().as_u16(), 400);
    let html = page.text().await.unwrap();
    assert!(html.contains("error=OAUTH_EC_APP_NOT_FOUND"), "{html}");
    drop(login);
    // The login says so at once instead of waiting for a browser that never comes back.
    let shown = Arc::new(std::sync::Mutex::new(false));
    let seen = shown.clone();
    let started = std::time::Instant::now();
    let err = session::browser_login(
        &settings,
        Arc::new(common::FakeKeychain::default()),
        None,
        Duration::from_secs(60),
        move |_| *seen.lock().unwrap() = true,
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!*shown.lock().unwrap(), "no browser for a refused app");
    assert!(
        matches!(&err, SessionError::Login(writeback_setup::login::browser::LoginError::Denied { error, .. }) if error == "OAUTH_EC_APP_NOT_FOUND"),
        "{err:?}"
    );
    let explained = writeback_setup::login::app::app_problem("OAUTH_EC_APP_NOT_FOUND").unwrap();
    assert!(
        explained.contains("not installed in this org"),
        "{explained}"
    );
}

/// A consumer key the org does not know (a typo, or an app in another org): refused before the
/// browser opens, with `invalid_client_id` decoded.
#[tokio::test]
async fn an_unknown_consumer_key_is_refused_before_the_browser() {
    let sim = org(27863, false).await;
    let settings = LoginSettings::new(
        &LoginTarget::Url(sim.url().to_string()),
        None,
        Some("3MVG9TYPOINTHEKEY"),
        Some(27863),
    )
    .unwrap();
    let err = session::browser_login(
        &settings,
        Arc::new(common::FakeKeychain::default()),
        None,
        Duration::from_secs(60),
        |_| panic!("no browser for an unknown app"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SessionError::Login(writeback_setup::login::browser::LoginError::Denied { error, .. }) if error == "invalid_client_id"),
        "{err:?}"
    );
    assert!(
        writeback_setup::login::app::app_problem("invalid_client_id")
            .unwrap()
            .contains("10 minutes")
    );
}
