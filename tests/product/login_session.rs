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
        None,
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
    let defaults =
        LoginSettings::new(&LoginTarget::Sandbox, profile.login.as_ref(), None, None).unwrap();
    assert_eq!(defaults.host.login_url, "https://test.salesforce.com");
    assert!(defaults.host.sandbox);
    assert_eq!(defaults.client_id, session::ASSISTANT_CLIENT_ID);
    assert_eq!(defaults.redirect_uri, session::ASSISTANT_CALLBACK_URL);

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
    assert_eq!(overridden.redirect_uri, "http://localhost:8765/callback");

    for (client_id, port) in [
        (Some("has space"), None),
        (None, Some(80)),
        (None, Some(70000)),
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
