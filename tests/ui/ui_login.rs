//! The Connect page's logins, driven by accessible labels: browser login against the simulated
//! org's OAuth server (the "browser" is the test), continuing a saved login, signing out, the
//! Salesforce CLI's logins, and no token in the remembered state.

use crate::common;

use common::step_until;

use common::FakeKeychain;
use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
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
    let worker = Worker::spawn_in(
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
        common::scratch_data_dir(),
    );
    let remembered = Remembered {
        login_where: LoginWhere::MyDomain,
        login_url: setup.sim.url().to_string(),
        callback_port: port.to_string(),
        client_id: common::SIM_APP_KEY.into(),
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
    common::settled(&mut h);
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
    common::settled(&mut h);
    h.get_by_label("Log in with browser").click();
    step_until(&mut h, "the refusal", |a| a.login.connect_error.is_some());
    let error = h.state().login.connect_error.clone().unwrap();
    assert!(error.fix.contains("chose Deny"), "{error:?}");
    assert!(h.state().connection.is_none());
    // The guide to bring one's own app is beside it, every setting with its Copy button.
    h.get_by_label("Create your own External Client App (guide)")
        .click();
    h.run_steps(2);
    h.get_by_label(&format!("Copy http://localhost:{port}/OauthRedirect"));
    h.get_by_label(&format!("Copy {}", writeback_setup::login::app::SETUP_PATH));
}

#[test]
fn a_waiting_login_shows_its_link_and_can_be_cancelled() {
    let port = 27853;
    let setup = setup(port, "cancel");
    let keychain = setup.keychain.clone();
    // A browser that never comes back.
    let opened = setup.opened.clone();
    let worker = Worker::spawn_in(
        || {},
        move || LoginEnv {
            store: keychain,
            book: None,
            sf_cli: SfCli::with_program("sf-not-installed"),
            open_browser: Arc::new(move |url: &str| opened.lock().unwrap().push(url.to_string())),
        },
        common::scratch_data_dir(),
    );
    let remembered = Remembered {
        login_where: LoginWhere::MyDomain,
        login_url: setup.sim.url().to_string(),
        callback_port: port.to_string(),
        client_id: common::SIM_APP_KEY.into(),
        ..Remembered::default()
    };
    let mut h = harness(App::new(worker, remembered));
    common::settled(&mut h);
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
    assert!(h.state().login.connect_error.is_none());
}

#[test]
fn without_the_salesforce_cli_the_page_says_so() {
    let port = 27854;
    let setup = setup(port, "cli");
    let mut h = harness(app(&setup, port, "allow"));
    step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
    let why = h.state().login.sf_cli.clone().unwrap().unwrap_err();
    assert!(why.fix.contains("Salesforce CLI"), "{why:?}");
    // The CLI's card says why; a CLI that cannot run has no logins to offer.
    h.get_by_label_contains("is not installed or not on PATH");
    assert!(h.query_by_label("Find my CLI logins").is_none());
}

/// An app for these tests with a fake `sf` (or none), and no app configured for the browser login.
fn app_with_sf(sf: SfCli, remembered: Remembered) -> App {
    let worker = Worker::spawn_in(
        || {},
        move || LoginEnv {
            store: Arc::new(FakeKeychain::default()),
            book: None,
            sf_cli: sf,
            open_browser: Arc::new(|_: &str| {}),
        },
        common::scratch_data_dir(),
    );
    App::new(worker, remembered)
}

#[test]
fn the_connect_page_leads_with_what_works_here() {
    use writeback_setup::ui::connect::{lead, Lead};
    // No Salesforce CLI, no app: the External Client App guide comes first.
    let mut h = harness(app_with_sf(
        SfCli::with_program("sf-not-installed"),
        Remembered::default(),
    ));
    step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
    assert_eq!(lead(h.state()), Lead::AppGuide);
    h.get_by_label("Log in through your own External Client App");
    h.get_by_label("Create your own External Client App (guide)")
        .click();
    h.run_steps(2);
    h.get_by_label(&format!(
        "Copy {}",
        writeback_setup::login::app::DEFAULT_CALLBACK_URL
    ));
    let why = h.state().login.sf_cli.clone().unwrap().unwrap_err();
    assert!(why.fix.contains("not installed"), "{why:?}");
    // The guide's first control is above the CLI's button on the page.
    let guide_y = h
        .get_by_label("Log in through your own External Client App")
        .rect()
        .min
        .y;
    let cli_y = h
        .get_by_role_and_label(Role::Button, "Log in with the Salesforce CLI")
        .rect()
        .min
        .y;
    assert!(guide_y < cli_y, "the guide leads");

    // With `sf` installed: the CLI's login leads, and the guide is closed below it.
    let dir = std::env::temp_dir().join(format!("wbs-ui-lead-{}", std::process::id()));
    let sf = common::fake_sf(&dir, "{}", 0);
    let mut h = harness(app_with_sf(SfCli::with_program(&sf), Remembered::default()));
    step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
    assert_eq!(lead(h.state()), Lead::SalesforceCli);
    let version = h.state().login.sf_cli.clone().unwrap().unwrap();
    assert!(version.starts_with("2.108.6"), "{version}");
    let cli_y = h
        .get_by_role_and_label(Role::Button, "Log in with the Salesforce CLI")
        .rect()
        .min
        .y;
    let guide_y = h
        .get_by_label("Log in through your own External Client App")
        .rect()
        .min
        .y;
    assert!(cli_y < guide_y, "the CLI leads");
    let _ = std::fs::remove_dir_all(&dir);
}

/// "Log in with the Salesforce CLI": the app runs a fake `sf` that prints what
/// `sf org login web --json` prints (with the simulated org's token), then connects.
#[test]
fn the_cli_driven_login_connects() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(common::start("ready"));
    let (org_id, user_id) = sim.with_org(|o| (o.info.id.clone(), o.admin_user_id.clone()));
    let output = common::sf_login_web_output(
        sim.url(),
        &org_id,
        &user_id,
        "admin@acme.example",
        Some(sim.admin_token()),
    );
    let dir = std::env::temp_dir().join(format!("wbs-ui-cli-login-{}", std::process::id()));
    let sf = common::fake_sf(&dir, &output, 0);
    let remembered = Remembered {
        integration_user: "integration@acme.example".into(),
        ..Remembered::default()
    };
    let mut h = harness(app_with_sf(SfCli::with_program(&sf), remembered));
    step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
    h.get_by_role_and_label(Role::Button, "Log in with the Salesforce CLI")
        .click();
    step_until(&mut h, "the CLI login and the checks", |a| {
        a.connection.is_some() && a.report.is_some() && !a.is_running()
    });
    let connection = h.state().connection.clone().unwrap();
    assert_eq!(connection.username, "admin@acme.example");
    assert!(connection
        .kept
        .as_deref()
        .unwrap_or_default()
        .contains("The Salesforce CLI keeps this login"));
    assert!(h.state().login.connect_error.is_none());
    // No token in what the app remembers.
    let remembered = serde_json::to_string(&h.state().remembered).unwrap();
    assert!(!remembered.contains(sim.admin_token()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_cli_login_waiting_in_the_browser_can_be_cancelled() {
    let dir = std::env::temp_dir().join(format!("wbs-ui-cli-cancel-{}", std::process::id()));
    let sf = common::fake_sf(&dir, "{}", 30);
    let mut h = harness(app_with_sf(SfCli::with_program(&sf), Remembered::default()));
    step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
    h.get_by_role_and_label(Role::Button, "Log in with the Salesforce CLI")
        .click();
    step_until(&mut h, "the waiting CLI login", |a| {
        a.login.cli_waiting.is_some()
    });
    h.get_by_label("Cancel login").click();
    step_until(&mut h, "the cancel", |a| {
        a.login.cli_waiting.is_none() && !a.login.connecting
    });
    assert!(h.state().login.connect_error.is_none());
    assert!(h.state().connection.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A refused pasted token stays in its field, its error shows under the form, and a later
/// success clears it.
#[test]
fn a_refused_pasted_token_is_kept_and_explained_at_the_form() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(common::start("ready"));
    let mut h = harness(app_with_sf(
        SfCli::with_program("sf-not-installed"),
        Remembered {
            instance_url: sim.url().to_string(),
            ..Remembered::default()
        },
    ));
    common::settled(&mut h);
    h.state_mut().token_input = "00D000000000001!AQnotatoken".into();
    h.run_steps(1);
    h.get_by_label("Connect with this session").click();
    step_until(&mut h, "the refusal", |a| a.login.connect_error.is_some());
    assert_eq!(h.state().token_input, "00D000000000001!AQnotatoken");
    assert_eq!(
        h.state().login.error_at,
        Some(writeback_setup::ui::connect::ConnectFrom::Pasted)
    );
    // The error is drawn below the form's button, not at the top of the page.
    let button_y = h.get_by_label("Connect with this session").rect().min.y;
    let message = h.state().login.connect_error.clone().unwrap().message;
    let error_y = h.get_by_label(&message).rect().min.y;
    assert!(error_y > button_y, "{error_y} > {button_y}");
    // Paste the right token: connected, the error is gone, the field is empty.
    h.state_mut().token_input = sim.admin_token().to_string();
    h.run_steps(1);
    h.get_by_label("Connect with this session").click();
    step_until(&mut h, "the connection", |a| a.connection.is_some());
    assert!(h.state().login.connect_error.is_none());
    assert!(h.state().token_input.is_empty());
}

#[test]
fn the_connect_page_names_no_command_line_flag() {
    let mut h = harness(app_with_sf(
        SfCli::with_program("sf-not-installed"),
        Remembered::default(),
    ));
    step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
    h.get_by_label("Create your own External Client App (guide)")
        .click();
    h.run_steps(2);
    h.get_by_label("The same app as Salesforce DX source")
        .click();
    h.run_steps(2);
    let mut deploy_commands = 0;
    for node in h.query_all_by_label_contains("--") {
        let text = node.accesskit_node().label().unwrap_or_default();
        if text.is_empty() {
            // Matched through the node that labels it, which is checked itself.
            continue;
        }
        // `sf project deploy start --source-dir ...` is Salesforce's CLI, not this app's.
        assert!(
            text.contains("sf project deploy start"),
            "a flag on the Connect page: {text}"
        );
        deploy_commands += 1;
    }
    assert!(deploy_commands > 0, "the query sees labels with \"--\"");
}

/// A Salesforce CLI that is not on PATH: the admin gives its path, the app checks it and offers
/// its login.
#[test]
fn a_cli_outside_path_can_be_given_by_its_path() {
    let dir = std::env::temp_dir().join(format!("wbs-ui-sf-path-{}", std::process::id()));
    let sf = common::fake_sf(&dir, "{}", 0);
    let mut h = harness(app_with_sf(
        SfCli::with_program("sf-not-installed"),
        Remembered::default(),
    ));
    step_until(&mut h, "the CLI check", |a| a.login.sf_cli.is_some());
    assert!(h.state().login.sf_cli.as_ref().unwrap().is_err());
    h.state_mut().remembered.sf_program = sf.display().to_string();
    h.run_steps(1);
    h.get_by_label("Use this path").click();
    step_until(&mut h, "the CLI at its path", |a| {
        matches!(a.login.sf_cli, Some(Ok(_)))
    });
    assert_eq!(
        writeback_setup::ui::connect::lead(h.state()),
        writeback_setup::ui::connect::Lead::SalesforceCli
    );
    let _ = std::fs::remove_dir_all(&dir);
}
