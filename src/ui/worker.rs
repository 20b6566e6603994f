//! The one background worker: owns the Salesforce client (and the demo org), runs what the UI
//! asks for, and answers with events. The UI thread never waits on the network.

use crate::checks::CheckReport;
use crate::login::connect::{self as service, ConnectError, ConnectTo, Waiting};
use crate::login::session::{self as login_session, LoginSettings, Revoker};
use crate::login::sf_cli::SfOrg;
use crate::login::store::SavedLogin;
use crate::login::url::LoginTarget;
use crate::readiness::{self, CheckRequest};
use crate::salesforce::{Client, Identity, SfError};
use crate::sim::server::SimServer;
use std::sync::mpsc;
use std::sync::Arc;

/// What the worker logs in with (the one connect service's environment).
pub use crate::login::connect::ConnectEnv as LoginEnv;

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
    /// Logs in through the Salesforce CLI (`sf org login web`), then connects; answers
    /// `CliLoginWaiting` while the browser is open. `CancelLogin` stops the CLI.
    CliLogin(LoginTarget),
    /// Finds the Salesforce CLI and its version (answers `SfCli`).
    CheckSfCli,
    /// Uses the Salesforce CLI at this path (empty: `sf` on PATH), then checks it.
    SetSfProgram(String),
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
            Command::CliLogin(target) => write!(f, "CliLogin({target:?})"),
            Command::CheckSfCli => f.write_str("CheckSfCli"),
            Command::SetSfProgram(path) => write!(f, "SetSfProgram({path})"),
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
    /// The Salesforce CLI's version ("2.108.6", at its path), or why it cannot be used.
    SfCli(Result<String, UiError>),
    /// The Salesforce CLI opened the browser on this login host and waits for the login.
    CliLoginWaiting {
        login_url: String,
    },
    /// The record given for the record-access check could not be found (the checks did not run).
    RecordNotFound(String),
    /// A demo Setup action finished (Ok: what was done, in words).
    DemoSetupDone(DemoSetupAction, Result<String, String>),
}

pub use super::demo::DemoSetupAction;

pub struct Worker {
    commands: tokio::sync::mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<Event>,
    /// Where test-write journals live (or why there is no such folder): chosen once at start,
    /// used by the worker's test writes and recovery and by the pages that show journals.
    data_dir: Result<std::path::PathBuf, String>,
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
        Worker::spawn_in(wake, env, crate::testwrite::journal::data_dir())
    }

    /// Starts the worker thread with its test-write journals in `data_dir` (tests give each
    /// app a folder of its own, so that apps running side by side never see each other's).
    pub fn spawn_in(
        wake: impl Fn() + Send + Sync + 'static,
        env: impl FnOnce() -> LoginEnv + Send + 'static,
        data_dir: Result<std::path::PathBuf, String>,
    ) -> Worker {
        let worker_data_dir = data_dir.clone();
        let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        let spawn_failed = event_tx.clone();
        let started = crate::spawn_named("salesforce-worker", move || {
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
            runtime.block_on(serve(command_rx, event_tx, wake, env(), worker_data_dir));
        });
        // Without its worker the app cannot reach any org: say so on the Connect page.
        if let Err(e) = started {
            let _ = spawn_failed.send(Event::ConnectFailed(UiError {
                message: format!("The app could not start its network worker: {e}"),
                fix: "Close other programs or restart the computer, then start the app again."
                    .into(),
                details: e.to_string(),
            }));
        }
        Worker {
            commands: command_tx,
            events: event_rx,
            data_dir,
        }
    }

    /// Where test-write journals live, as chosen at start.
    pub fn data_dir(&self) -> Result<std::path::PathBuf, String> {
        self.data_dir.clone()
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

/// The connect service's answer as the worker keeps it and the UI shows it.
fn session_of(connected: service::Connected) -> (Session, Connection) {
    let mut connection = connection_of(
        &connected.client,
        &connected.identity,
        connected.kept.clone(),
        connected.revoker.is_some(),
    );
    connection.demo = connected.demo.as_ref().map(|(_, name)| name.clone());
    connection.integration_user_hint = connected.integration_user_hint.clone();
    (
        Session {
            client: Arc::new(connected.client),
            identity: connected.identity,
            _sim: connected.demo.map(|(sim, _)| sim),
            revoker: connected.revoker,
        },
        connection,
    )
}

/// A connect error in an admin's words: what failed, what to do, and the raw error.
fn connect_error(context: &str, e: &ConnectError) -> UiError {
    match e {
        ConnectError::Salesforce {
            context: step,
            error,
        } => UiError::from_sf(&format!("{context}. {step}"), error),
        ConnectError::Session(login_session::SessionError::Salesforce(sf)) => {
            UiError::from_sf(context, sf)
        }
        other => UiError {
            message: format!("{context}."),
            fix: other.fix(),
            details: other.to_string(),
        },
    }
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

/// Where the Salesforce CLI is and its version, or why it cannot be used (`sf --version`).
async fn sf_cli_status(cli: crate::login::sf_cli::SfCli) -> Event {
    let found = tokio::task::spawn_blocking(move || {
        cli.version().map(|v| match cli.locate() {
            Some(path) => format!("{v} ({})", path.display()),
            None => v.to_string(),
        })
    })
    .await;
    Event::SfCli(match found {
        Ok(Ok(version)) => Ok(version),
        Ok(Err(e)) => Err(UiError {
            message: "The Salesforce CLI cannot be used here.".into(),
            fix: e.to_string(),
            // What was run, in words: never the error's Rust name.
            details: format!("Ran `sf --version`: {e}"),
        }),
        Err(e) => Err(UiError {
            message: "The Salesforce CLI could not be run.".into(),
            fix: "Check that the Salesforce CLI works in a terminal.".into(),
            details: e.to_string(),
        }),
    })
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
    data_dir: &Result<std::path::PathBuf, String>,
) {
    tokio::spawn(super::fix_view::recover(
        new.client.clone(),
        new.identity.clone(),
        Arc::new(send.clone()),
        data_dir.clone(),
    ));
    *session = Some(new);
    send(Event::Connected(connection));
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
    mut env: LoginEnv,
    data_dir: Result<std::path::PathBuf, String>,
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
    // Which login the Connect page leads with depends on whether the Salesforce CLI is here.
    tokio::spawn({
        let send = send.clone();
        let cli = env.sf_cli.clone();
        async move { send(sf_cli_status(cli).await) }
    });
    // A command that arrived while a login waited: it ended the wait, now it runs.
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
            Command::CancelLogin => send(Event::LoginCancelled),
            Command::OpenBrowser { url } => {
                let open_browser = env.open_browser.clone();
                let _ = crate::spawn_named("open-browser", move || open_browser(&url));
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
                        details: format!("Ran `sf org list --json --skip-connection-status`: {e}"),
                    }),
                    Err(e) => Err(UiError {
                        message: "The Salesforce CLI could not be run.".into(),
                        fix: "Check that the Salesforce CLI works in a terminal.".into(),
                        details: e.to_string(),
                    }),
                }));
            }
            Command::CheckSfCli => send(sf_cli_status(env.sf_cli.clone()).await),
            Command::SetSfProgram(path) => {
                env.sf_cli = match path.trim() {
                    "" => crate::login::sf_cli::SfCli::configured(),
                    path => crate::login::sf_cli::SfCli::with_program(path),
                };
                send(sf_cli_status(env.sf_cli.clone()).await);
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
            connect_command @ (Command::BrowserLogin(_)
            | Command::CliLogin(_)
            | Command::ResumeLogin(_)
            | Command::ConnectCli { .. }
            | Command::ConnectDemo { .. }
            | Command::ConnectSession { .. }) => {
                stop_checks(&mut running, &send);
                session = None;
                let (to, context) = match connect_command {
                    Command::BrowserLogin(settings) => (
                        ConnectTo::Browser(settings),
                        "The login did not finish".to_string(),
                    ),
                    Command::CliLogin(target) => (
                        ConnectTo::CliLogin { target },
                        "The Salesforce CLI login did not finish".to_string(),
                    ),
                    Command::ResumeLogin(saved) => {
                        let context = format!("Could not continue as {}", saved.username);
                        (ConnectTo::Saved(saved), context)
                    }
                    Command::ConnectCli { target } => (
                        ConnectTo::CliOrg {
                            target: target.clone(),
                        },
                        format!("The Salesforce CLI login {target} could not be used"),
                    ),
                    Command::ConnectDemo { scenario } => (
                        ConnectTo::Demo { scenario },
                        "The demo org could not be opened".to_string(),
                    ),
                    Command::ConnectSession {
                        instance_url,
                        access_token,
                    } => (
                        ConnectTo::Pasted {
                            instance_url,
                            access_token,
                        },
                        "Could not connect with this session".to_string(),
                    ),
                    _ => continue,
                };
                let waiting = {
                    let send = send.clone();
                    move |w: Waiting| match w {
                        Waiting::Browser { authorize_url } => {
                            send(Event::LoginStarted { authorize_url })
                        }
                        Waiting::CliBrowser { login_url } => {
                            send(Event::CliLoginWaiting { login_url })
                        }
                    }
                };
                let connecting = service::connect(&env, to, waiting);
                tokio::pin!(connecting);
                let outcome = loop {
                    tokio::select! {
                        result = &mut connecting => break Some(result),
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
                    Some(Ok(connected)) => {
                        if connected.saved_changed {
                            send(saved_logins(&env));
                        }
                        start_session(session_of(connected), &mut session, &send, &data_dir);
                    }
                    Some(Err(e)) => send(Event::ConnectFailed(connect_error(&context, &e))),
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
                        data_dir.clone(),
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
