//! The one background worker: owns the Salesforce client (and the demo org), runs what the UI
//! asks for, and answers with events. The UI thread never waits on the network.

use crate::checks::CheckReport;
use crate::login::session::{self as login_session, LoginSettings, Revoker, LOGIN_TIMEOUT};
use crate::login::sf_cli::{SfCli, SfCliTokenSource, SfOrg};
use crate::login::store::{open_secret_store, LoginBook, SavedLogin, SecretStore};
use crate::readiness::{self, CheckRequest};
use crate::salesforce::{Client, Identity, SfError, StaticToken, TokenSource};
use crate::sim::scenario;
use crate::sim::server::{SimOptions, SimServer};
use std::sync::mpsc;
use std::sync::Arc;

/// What the UI asks the worker to do.
pub enum Command {
    ConnectDemo {
        scenario: String,
    },
    /// A pasted session: instance URL and access token (kept only in the worker's memory).
    ConnectSession {
        instance_url: String,
        access_token: String,
    },
    /// Browser login (OAuth web-server flow with PKCE); answers `LoginStarted` with the URL.
    BrowserLogin(Box<LoginSettings>),
    /// Stops waiting for the browser.
    CancelLogin,
    /// Opens the waiting login's address in the browser again.
    OpenBrowser {
        url: String,
    },
    /// Connects with a saved login's refresh token.
    ResumeLogin(Box<SavedLogin>),
    /// Signs out a saved login without connecting (revoke, forget).
    ForgetLogin(Box<SavedLogin>),
    /// Lists the Salesforce CLI's orgs.
    FindCliOrgs,
    /// Connects with a Salesforce CLI login (alias or username).
    ConnectCli {
        target: String,
    },
    /// Runs the checks; a record given as a Case number is looked up first.
    RunChecks(Box<CheckRequest>, Option<crate::testwrite::RecordInput>),
    /// Demo only: does a Setup-only step in the simulated org, as its admin would in Setup.
    DemoSetup(DemoSetupAction),
    /// Fixes and the test write-back (see `fix_view`).
    Write(Box<super::fix_view::WriteCommand>),
    Cancel,
    /// Leaves the org (a saved login stays saved).
    Disconnect,
    /// Leaves the org and ends a browser login at Salesforce (revoke) and here (forget).
    SignOut,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::ConnectDemo { scenario } => write!(f, "ConnectDemo({scenario})"),
            Command::ConnectSession { instance_url, .. } => {
                write!(f, "ConnectSession({instance_url}, [token redacted])")
            }
            Command::BrowserLogin(s) => write!(f, "BrowserLogin({})", s.host.login_url),
            Command::CancelLogin => f.write_str("CancelLogin"),
            Command::OpenBrowser { .. } => f.write_str("OpenBrowser"),
            Command::ResumeLogin(l) => write!(f, "ResumeLogin({})", l.title()),
            Command::ForgetLogin(l) => write!(f, "ForgetLogin({})", l.title()),
            Command::FindCliOrgs => f.write_str("FindCliOrgs"),
            Command::ConnectCli { target } => write!(f, "ConnectCli({target})"),
            Command::RunChecks(r, _) => write!(f, "RunChecks({})", r.profile.id),
            Command::DemoSetup(action) => write!(f, "DemoSetup({action:?})"),
            Command::Write(w) => write!(f, "Write({w:?})"),
            Command::Cancel => f.write_str("Cancel"),
            Command::Disconnect => f.write_str("Disconnect"),
            Command::SignOut => f.write_str("SignOut"),
        }
    }
}

/// Who is connected, where.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    pub instance_url: String,
    pub username: String,
    pub display_name: String,
    pub org_id: String,
    /// The demo scenario, when connected to the built-in simulated org.
    pub demo: Option<String>,
    /// The scenario's integration user (demo only).
    pub integration_user_hint: Option<String>,
    /// How the session is held, in words ("Saved in the system keychain.", "…in memory only…").
    pub kept: Option<String>,
    /// A browser login: "Sign out" ends it at Salesforce.
    pub signs_out: bool,
}

/// An error in an admin's words, with the raw error one click away.
#[derive(Clone, Debug, PartialEq)]
pub struct UiError {
    pub message: String,
    pub fix: String,
    pub details: String,
}

impl UiError {
    pub fn from_sf(context: &str, e: &SfError) -> UiError {
        UiError {
            message: format!("{context}: {}", e.message().unwrap_or(&e.to_string())),
            fix: e.explanation(),
            details: e.to_string(),
        }
    }
}

/// What the worker tells the UI.
#[derive(Debug)]
pub enum Event {
    Connected(Connection),
    ConnectFailed(UiError),
    Progress(String),
    Checked(Box<CheckReport>),
    CheckFailed(UiError),
    Write(Box<super::fix_view::WriteEvent>),
    Cancelled,
    /// `message` says whether Salesforce confirmed a sign-out.
    Disconnected {
        message: Option<String>,
    },
    /// The browser login waits for the admin at this address (show it with a Copy button).
    LoginStarted {
        authorize_url: String,
    },
    LoginCancelled,
    /// The saved logins and where sessions are kept (sent at start and after every change).
    SavedLogins {
        logins: Vec<SavedLogin>,
        keychain: String,
        keychain_detail: Option<String>,
        persistent: bool,
    },
    CliOrgs(Result<Vec<SfOrg>, UiError>),
    /// The record given for the record-access check could not be found (the checks did not run).
    RecordNotFound(String),
    /// A demo Setup action finished (Ok: what was done, in words).
    DemoSetupDone(DemoSetupAction, Result<String, String>),
}

pub use super::demo::DemoSetupAction;

/// What the worker logs in with: the secret store, the saved-logins book, the Salesforce CLI and
/// the way to open a browser. Tests pass their own.
pub struct LoginEnv {
    pub store: Arc<dyn SecretStore>,
    pub book: Option<LoginBook>,
    pub sf_cli: SfCli,
    pub open_browser: Arc<dyn Fn(&str) + Send + Sync>,
}

impl LoginEnv {
    /// The system keychain (or memory), the config folder, `sf` on PATH, the default browser.
    pub fn system() -> LoginEnv {
        LoginEnv {
            store: open_secret_store(),
            book: LoginBook::open_default(),
            sf_cli: SfCli::new(),
            open_browser: Arc::new(|url: &str| {
                // The URL is on screen with a Copy button too, so a failure here is not fatal.
                let _ = webbrowser::open(url);
            }),
        }
    }
}

pub struct Worker {
    commands: tokio::sync::mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<Event>,
}

impl Worker {
    /// Starts the worker thread with the system's keychain, CLI and browser; `wake` is called
    /// after every event (the UI repaints).
    pub fn spawn(wake: impl Fn() + Send + Sync + 'static) -> Worker {
        Worker::spawn_with(wake, LoginEnv::system)
    }

    /// Starts the worker thread; `env` is built on it (opening the keychain may take a moment).
    pub fn spawn_with(
        wake: impl Fn() + Send + Sync + 'static,
        env: impl FnOnce() -> LoginEnv + Send + 'static,
    ) -> Worker {
        let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        std::thread::Builder::new()
            .name("salesforce-worker".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = event_tx.send(Event::ConnectFailed(UiError {
                            message: format!("The app could not start its network worker: {e}"),
                            fix: "Restart the app.".into(),
                            details: e.to_string(),
                        }));
                        wake();
                        return;
                    }
                };
                runtime.block_on(serve(command_rx, event_tx, wake, env()));
            })
            .expect("a thread can be spawned");
        Worker {
            commands: command_tx,
            events: event_rx,
        }
    }

    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// Events that arrived since the last call (never blocks).
    pub fn poll(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}

struct Session {
    client: Arc<Client>,
    identity: Identity,
    /// Kept alive while connected to the demo org.
    _sim: Option<SimServer>,
    /// A browser login's way to sign out.
    revoker: Option<Revoker>,
}

async fn connect(
    url: &str,
    tokens: Arc<dyn TokenSource>,
    sim: Option<SimServer>,
    demo: Option<(String, Option<String>)>,
    kept: Option<String>,
) -> Result<(Session, Connection), UiError> {
    let client = Client::connect(url, tokens)
        .await
        .map_err(|e| UiError::from_sf("Could not connect", &e))?;
    let identity = client
        .identity()
        .await
        .map_err(|e| UiError::from_sf("Could not log in", &e))?;
    let mut connection = connection_of(&client, &identity, kept, false);
    connection.demo = demo.as_ref().map(|d| d.0.clone());
    connection.integration_user_hint = demo.and_then(|d| d.1);
    Ok((
        Session {
            client: Arc::new(client),
            identity,
            _sim: sim,
            revoker: None,
        },
        connection,
    ))
}

fn connection_of(
    client: &Client,
    identity: &Identity,
    kept: Option<String>,
    signs_out: bool,
) -> Connection {
    Connection {
        instance_url: client.instance_url().to_string(),
        username: identity.username.clone(),
        display_name: identity.name.clone(),
        org_id: identity.organization_id.clone(),
        demo: None,
        integration_user_hint: None,
        kept,
        signs_out,
    }
}

/// Stops a running check and says so, so the UI is never left showing a check that is gone.
fn stop_checks(running: &mut Option<tokio::task::JoinHandle<()>>, send: &impl Fn(Event)) {
    if let Some(task) = running.take() {
        task.abort();
        send(Event::Cancelled);
    }
}

/// A new session, however it was made: an interrupted test write on that org is put right
/// first (in the background), then the UI hears it is connected.
fn start_session(
    (new, connection): (Session, Connection),
    session: &mut Option<Session>,
    send: &(impl Fn(Event) + Clone + Send + Sync + 'static),
) {
    tokio::spawn(super::fix_view::recover(
        new.client.clone(),
        new.identity.clone(),
        Arc::new(send.clone()),
    ));
    *session = Some(new);
    send(Event::Connected(connection));
}

/// A session from a browser login or a saved one.
fn from_login(session: login_session::Session) -> (Session, Connection) {
    let connection = connection_of(
        &session.client,
        &session.identity,
        Some(session.kept.clone()),
        true,
    );
    (
        Session {
            client: Arc::new(session.client),
            identity: session.identity,
            _sim: None,
            revoker: Some(session.revoker),
        },
        connection,
    )
}

fn login_error(context: &str, e: &login_session::SessionError) -> UiError {
    match e {
        login_session::SessionError::Salesforce(sf) => UiError::from_sf(context, sf),
        other => UiError {
            message: format!("{context}."),
            fix: other.to_string(),
            details: format!("{other:?}"),
        },
    }
}

fn saved_logins(env: &LoginEnv) -> Event {
    Event::SavedLogins {
        logins: env
            .book
            .as_ref()
            .and_then(|b| b.list().ok())
            .unwrap_or_default(),
        keychain: env.store.describe(),
        keychain_detail: env.store.detail(),
        persistent: env.store.persistent(),
    }
}

/// Signs a browser login out at Salesforce; the words for the UI.
async fn sign_out(revoker: Revoker, env: &LoginEnv) -> String {
    match revoker.sign_out(env.store.as_ref(), env.book.as_ref()).await {
        Ok(done) => match done.revoke_problem {
            None => "Signed out: Salesforce ended the session and it is forgotten here.".into(),
            Some(problem) => format!("Signed out here, but Salesforce did not confirm it ({problem}). To be sure, revoke the session in Setup > Connected Apps OAuth Usage."),
        },
        Err(e) => format!("Sign-out did not finish: {e}"),
    }
}

#[allow(clippy::too_many_lines)] // the worker's one command loop: a match arm per `Command`
async fn serve(
    mut commands: tokio::sync::mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<Event>,
    wake: Arc<dyn Fn() + Send + Sync>,
    env: LoginEnv,
) {
    let send = {
        let events = events.clone();
        let wake = wake.clone();
        move |event: Event| {
            let _ = events.send(event);
            wake();
        }
    };
    let mut session: Option<Session> = None;
    let mut running: Option<tokio::task::JoinHandle<()>> = None;
    send(saved_logins(&env));
    // A command that arrived while a browser login waited: it ended the wait, now it runs.
    let mut pending: Option<Command> = None;
    loop {
        let command = match pending.take() {
            Some(c) => c,
            None => match commands.recv().await {
                Some(c) => c,
                None => break,
            },
        };
        match command {
            Command::BrowserLogin(settings) => {
                stop_checks(&mut running, &send);
                session = None;
                let open_browser = env.open_browser.clone();
                let show = {
                    let send = send.clone();
                    move |url: &str| {
                        send(Event::LoginStarted {
                            authorize_url: url.to_string(),
                        });
                        let url = url.to_string();
                        // Opening a browser may wait on a helper program; never on this thread.
                        let _ = crate::spawn_named("open-browser", move || open_browser(&url));
                    }
                };
                let login = login_session::browser_login(
                    &settings,
                    env.store.clone(),
                    env.book.as_ref(),
                    LOGIN_TIMEOUT,
                    show,
                );
                tokio::pin!(login);
                let outcome = loop {
                    tokio::select! {
                        result = &mut login => break Some(result),
                        next = commands.recv() => match next {
                            // Opening the page again keeps the login waiting.
                            Some(Command::OpenBrowser { url }) => {
                                let open_browser = env.open_browser.clone();
                                let _ = crate::spawn_named("open-browser", move || open_browser(&url));
                            }
                            other => {
                                pending = other.filter(|c| !matches!(c, Command::CancelLogin));
                                break None;
                            }
                        },
                    }
                };
                match outcome {
                    None => send(Event::LoginCancelled),
                    Some(Ok(logged_in)) => {
                        send(saved_logins(&env));
                        start_session(from_login(logged_in), &mut session, &send);
                    }
                    Some(Err(e)) => send(Event::ConnectFailed(login_error(
                        "The login did not finish",
                        &e,
                    ))),
                }
            }
            Command::CancelLogin => send(Event::LoginCancelled),
            Command::OpenBrowser { url } => {
                let open_browser = env.open_browser.clone();
                let _ = crate::spawn_named("open-browser", move || open_browser(&url));
            }
            Command::ResumeLogin(saved) => {
                stop_checks(&mut running, &send);
                session = None;
                match login_session::resume(&saved, env.store.clone(), env.book.as_ref()).await {
                    Ok(resumed) => {
                        send(saved_logins(&env));
                        start_session(from_login(resumed), &mut session, &send);
                    }
                    Err(e) => send(Event::ConnectFailed(login_error(
                        &format!("Could not continue as {}", saved.username),
                        &e,
                    ))),
                }
            }
            Command::ForgetLogin(saved) => {
                let message = match login_session::sign_out_saved(&saved, env.store.as_ref(), env.book.as_ref()).await {
                    Ok(done) => match done.revoke_problem {
                        None => format!("Signed out {}: Salesforce ended the session and it is forgotten here.", saved.username),
                        Some(problem) => format!("Forgot {} here, but Salesforce did not confirm the sign-out ({problem}).", saved.username),
                    },
                    Err(e) => format!("Could not sign out {}: {e}", saved.username),
                };
                send(saved_logins(&env));
                send(Event::Disconnected {
                    message: Some(message),
                });
            }
            Command::FindCliOrgs => {
                let cli = env.sf_cli.clone();
                let found = tokio::task::spawn_blocking(move || cli.list_orgs()).await;
                send(Event::CliOrgs(match found {
                    Ok(Ok(orgs)) => Ok(orgs),
                    Ok(Err(e)) => Err(UiError {
                        message: "The Salesforce CLI's logins could not be read.".into(),
                        fix: e.to_string(),
                        details: format!("{e:?}"),
                    }),
                    Err(e) => Err(UiError {
                        message: "The Salesforce CLI could not be run.".into(),
                        fix: "Check that `sf` works in a terminal.".into(),
                        details: e.to_string(),
                    }),
                }));
            }
            Command::ConnectCli { target } => {
                stop_checks(&mut running, &send);
                session = None;
                let cli = env.sf_cli.clone();
                let who = target.clone();
                let found =
                    tokio::task::spawn_blocking(move || SfCliTokenSource::new(cli, &who)).await;
                let (source, login) = match found {
                    Ok(Ok(found)) => found,
                    Ok(Err(e)) => {
                        send(Event::ConnectFailed(UiError {
                            message: format!(
                                "The Salesforce CLI has no usable login for {target}."
                            ),
                            fix: e.to_string(),
                            details: format!("{e:?}"),
                        }));
                        continue;
                    }
                    Err(e) => {
                        send(Event::ConnectFailed(UiError {
                            message: "The Salesforce CLI could not be run.".into(),
                            fix: "Check that `sf` works in a terminal.".into(),
                            details: e.to_string(),
                        }));
                        continue;
                    }
                };
                let kept = format!(
                    "The Salesforce CLI keeps this login ({target}); the assistant stores nothing."
                );
                match connect(
                    &login.instance_url,
                    Arc::new(source),
                    None,
                    None,
                    Some(kept),
                )
                .await
                {
                    Ok(connected) => start_session(connected, &mut session, &send),
                    Err(e) => send(Event::ConnectFailed(e)),
                }
            }
            Command::SignOut => {
                stop_checks(&mut running, &send);
                let message = match session.take().and_then(|s| s.revoker) {
                    Some(revoker) => Some(sign_out(revoker, &env).await),
                    None => None,
                };
                send(saved_logins(&env));
                send(Event::Disconnected { message });
            }
            Command::ConnectDemo { scenario: name } => {
                stop_checks(&mut running, &send);
                session = None;
                let loaded = match scenario::load_builtin(&name) {
                    Ok(s) => s,
                    Err(e) => {
                        send(Event::ConnectFailed(UiError {
                            message: e.to_string(),
                            fix: "Pick a scenario from the list.".into(),
                            details: e.to_string(),
                        }));
                        continue;
                    }
                };
                let sim = match SimServer::start(&loaded, SimOptions::default()).await {
                    Ok(sim) => sim,
                    Err(e) => {
                        send(Event::ConnectFailed(UiError {
                            message: format!("The demo org could not start: {e}"),
                            fix: "Restart the app.".into(),
                            details: e.to_string(),
                        }));
                        continue;
                    }
                };
                let url = sim.url().to_string();
                let tokens = Arc::new(StaticToken::new(sim.admin_token()));
                let demo = Some((name, loaded.integration_user.clone()));
                match connect(&url, tokens, Some(sim), demo, None).await {
                    Ok(connected) => start_session(connected, &mut session, &send),
                    Err(e) => send(Event::ConnectFailed(e)),
                }
            }
            Command::ConnectSession {
                instance_url,
                access_token,
            } => {
                stop_checks(&mut running, &send);
                session = None;
                let tokens = Arc::new(StaticToken::new(access_token));
                match connect(&instance_url, tokens, None, None, None).await {
                    Ok(connected) => start_session(connected, &mut session, &send),
                    Err(e) => send(Event::ConnectFailed(e)),
                }
            }
            Command::DemoSetup(action) => {
                let done = match session.as_ref().and_then(|s| s._sim.as_ref()) {
                    Some(sim) => super::demo::apply(sim, &action),
                    None => Err("Only the demo org can be set up from the app.".to_string()),
                };
                send(Event::DemoSetupDone(action, done));
            }
            Command::RunChecks(mut request, record) => {
                let Some(s) = &session else {
                    send(Event::CheckFailed(UiError {
                        message: "Not connected.".into(),
                        fix: "Connect to an org first.".into(),
                        details: String::new(),
                    }));
                    continue;
                };
                // The new run replaces the old one: no Cancelled, the UI shows this run.
                if let Some(task) = running.take() {
                    task.abort();
                }
                let client = s.client.clone();
                let identity = s.identity.clone();
                let send = send.clone();
                running = Some(tokio::spawn(async move {
                    if let Some(record) = record {
                        send(Event::Progress("Finding the record".into()));
                        match crate::testwrite::resolve_input(&client, &record).await {
                            Ok(id) => request.record_id = Some(id),
                            Err(e) => {
                                send(Event::RecordNotFound(e.to_string()));
                                return;
                            }
                        }
                    }
                    let progress = |note: &str| send(Event::Progress(note.to_string()));
                    match readiness::run_as(&client, &identity, &request, &progress).await {
                        Ok(report) => send(Event::Checked(Box::new(report))),
                        Err(e) => send(Event::CheckFailed(UiError::from_sf(
                            "The checks could not run",
                            &e,
                        ))),
                    }
                }));
            }
            Command::Write(write) => match &session {
                // Writes are not cancelled midway: a test write always restores.
                Some(s) => {
                    tokio::spawn(super::fix_view::execute(
                        *write,
                        s.client.clone(),
                        s.identity.clone(),
                        Arc::new(send.clone()),
                    ));
                }
                None => send(Event::CheckFailed(UiError {
                    message: "Not connected.".into(),
                    fix: "Connect to an org first.".into(),
                    details: String::new(),
                })),
            },
            Command::Cancel => stop_checks(&mut running, &send),
            Command::Disconnect => {
                stop_checks(&mut running, &send);
                session = None;
                send(Event::Disconnected { message: None });
            }
        }
    }
}
