//! The Connect page's logins, driven by accessible labels: browser login against the simulated
//! org's OAuth server (the "browser" is the test), continuing a saved login, signing out, the
//! Salesforce CLI's logins, and no token in the remembered state.

use crate::common;

use common::step_until;

use common::FakeKeychain;
use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::sync::{Arc, Mutex};
use writeback_setup::login::sf_cli::SfCli;
use writeback_setup::login::store::LoginBook;
use writeback_setup::sim::server::{SimOptions, SimServer};
use writeback_setup::ui::worker::{LoginEnv, Worker};
use writeback_setup::ui::{App, LoginWhere, Remembered};

/// The simulated org with the assistant's app calling back on `port`, served on its own thread
/// (the harness runs on the test thread).
fn org(port: u16) -> (SimServer, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(SimServer::start(
            &common::login_scenario(port, false),
            SimOptions::default(),
        ))
        .unwrap();
    (sim, runtime)
}

/// The admin in the browser: log in as `username`, choose Allow, land on the loopback page.
fn play_browser(base: String, authorize_url: String, action: &'static str) {
    writeback_setup::spawn_named("browser", move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(common::answer_in_browser(&base, &authorize_url, action));
    })
    .unwrap();
}

struct Setup {
    sim: SimServer,
    _runtime: tokio::runtime::Runtime,
    keychain: Arc<FakeKeychain>,
    book_dir: std::path::PathBuf,
    opened: Arc<Mutex<Vec<String>>>,
}

fn setup(port: u16, name: &str) -> Setup {
    let (sim, runtime) = org(port);
    let book_dir = std::env::temp_dir().join(format!(
        "writeback-setup-ui-login-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&book_dir);
    Setup {
        sim,
        _runtime: runtime,
        keychain: Arc::new(FakeKeychain::default()),
        book_dir,
        opened: Arc::new(Mutex::new(Vec::new())),
    }
}

fn app(setup: &Setup, port: u16, action: &'static str) -> App {
    let base = setup.sim.url().to_string();
    let keychain = setup.keychain.clone();
    let book = LoginBook::at(&setup.book_dir);
    let opened = setup.opened.clone();
    let worker = Worker::spawn_with(
        || {},
        move || LoginEnv {
            store: keychain,
            book: Some(book),
            sf_cli: SfCli::with_program("sf-not-installed"),
            open_browser: Arc::new(move |url: &str| {
                opened.lock().unwrap().push(url.to_string());
                play_browser(base.clone(), url.to_string(), action);
            }),
        },
    );
    let remembered = Remembered {
        login_where: LoginWhere::MyDomain,
        login_url: setup.sim.url().to_string(),
        callback_port: port.to_string(),
        integration_user: "integration@acme.example".into(),
        ..Remembered::default()
    };
    App::new(worker, remembered)
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 1100.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

#[test]
fn browser_login_connects_saves_continues_and_signs_out() {
    let port = 27851;
    let setup = setup(port, "full");
    let mut h = harness(app(&setup, port, "allow"));
    h.run_steps(2);
    h.get_by_label("Log in with browser").click();
    step_until(&mut h, "the login and the checks", |a| {
        a.connection.is_some() && a.report.is_some() && !a.is_running()
    });
    let opened = setup.opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1, "the browser opened once");
    assert!(opened[0].starts_with(&format!(
        "{}/services/oauth2/authorize?response_type=code",
        setup.sim.url()
    )));
    let connection = h.state().connection.clone().unwrap();
    assert_eq!(connection.username, "admin@acme.example");
    assert_eq!(
        connection.kept.as_deref(),
        Some("Saved in the system keychain.")
    );
    assert_eq!(
        h.state().report.as_ref().unwrap().verdict,
        writeback_setup::checks::Verdict::Ready
    );
    h.get_by_label_contains("Connected to");

    // Nothing the app remembers carries a token.
    let remembered = serde_json::to_string(&h.state().remembered).unwrap();
    let secrets: Vec<String> = setup.sim.with_org(|org| {
        org.sessions
            .keys()
            .chain(org.refresh_tokens.keys())
            .cloned()
            .collect()
    });
    assert!(!secrets.is_empty());
    for secret in &secrets {
        assert!(!remembered.contains(secret.as_str()));
    }

    // Leave, then continue with the saved login: no browser this time.
    h.get_by_label("Disconnect").click();
    step_until(&mut h, "the saved login", |a| {
        a.connection.is_none() && !a.login.saved.is_empty()
    });
    h.get_by_label("Continue as admin@acme.example").click();
    step_until(&mut h, "the resumed session", |a| {
        a.connection.is_some() && a.report.is_some() && !a.is_running()
    });
    assert_eq!(setup.opened.lock().unwrap().len(), 1, "no second browser");

    // Sign out: revoked at Salesforce, forgotten here.
    h.state_mut().page = writeback_setup::ui::PAGES[0];
    h.run_steps(2);
    h.get_by_label("Sign out").click();
    step_until(&mut h, "the sign-out", |a| a.login.notice.is_some());
    let notice = h.state().login.notice.clone().unwrap();
    assert!(notice.contains("Salesforce ended the session"), "{notice}");
    assert!(h.state().login.saved.is_empty());
    assert!(setup.keychain.0.lock().unwrap().is_empty());
    assert!(setup.sim.with_org(|org| org.refresh_tokens.is_empty()));
    assert!(h.query_by_label("Continue as admin@acme.example").is_none());
}

#[test]
fn a_refused_login_is_explained_where_it_happened() {
    let port = 27852;
    let setup = setup(port, "refused");
    // The admin chose Deny on Salesforce's Allow Access page.
    let mut h = harness(app(&setup, port, "deny"));
    h.run_steps(2);
    h.get_by_label("Log in with browser").click();
    step_until(&mut h, "the refusal", |a| a.connect_error.is_some());
    let error = h.state().connect_error.clone().unwrap();
    assert!(error.fix.contains("chose Deny"), "{error:?}");
    assert!(h.state().connection.is_none());
    // The settings to bring one's own app are on the page.
    h.get_by_label("Login settings (client id, callback port)")
        .click();
    h.run_steps(2);
    h.get_by_label(&format!("Copy http://localhost:{port}/OauthRedirect"));
}

#[test]
fn a_waiting_login_shows_its_link_and_can_be_cancelled() {
    let port = 27853;
    let setup = setup(port, "cancel");
    let keychain = setup.keychain.clone();
    // A browser that never comes back.
    let opened = setup.opened.clone();
    let worker = Worker::spawn_with(
        || {},
        move || LoginEnv {
            store: keychain,
            book: None,
            sf_cli: SfCli::with_program("sf-not-installed"),
            open_browser: Arc::new(move |url: &str| opened.lock().unwrap().push(url.to_string())),
        },
    );
    let remembered = Remembered {
        login_where: LoginWhere::MyDomain,
        login_url: setup.sim.url().to_string(),
        callback_port: port.to_string(),
        ..Remembered::default()
    };
    let mut h = harness(App::new(worker, remembered));
    h.run_steps(2);
    h.get_by_label("Log in with browser").click();
    step_until(&mut h, "the login link", |a| a.login.waiting_at.is_some());
    h.get_by_label("Login link");
    h.get_by_label("Copy login link");
    // Opening the page again keeps the same login waiting.
    let waiting_at = h.state().login.waiting_at.clone();
    h.get_by_label("Open browser again").click();
    step_until(&mut h, "the second opening", |_| {
        setup.opened.lock().unwrap().len() == 2
    });
    assert_eq!(h.state().login.waiting_at, waiting_at);
    assert_eq!(setup.opened.lock().unwrap()[1], waiting_at.unwrap());
    h.get_by_label("Cancel login").click();
    step_until(&mut h, "the cancel", |a| a.login.waiting_at.is_none());
    // The port is free again: a new login can start at once.
    h.get_by_label("Log in with browser").click();
    step_until(&mut h, "the second login link", |a| {
        a.login.waiting_at.is_some()
    });
    assert!(h.state().connect_error.is_none());
}

#[test]
fn without_the_salesforce_cli_the_page_says_so() {
    let port = 27854;
    let setup = setup(port, "cli");
    let mut h = harness(app(&setup, port, "allow"));
    h.run_steps(2);
    h.get_by_label("Find my CLI logins").click();
    step_until(&mut h, "the CLI answer", |a| a.login.cli_orgs.is_some());
    let error = h.state().login.cli_orgs.clone().unwrap().unwrap_err();
    assert!(error.fix.contains("Salesforce CLI"), "{error:?}");
}
