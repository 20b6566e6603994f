//! The one background worker: owns the Salesforce client (and the demo org), runs what the UI
//! asks for, and answers with events. The UI thread never waits on the network.

use crate::checks::CheckReport;
use crate::readiness::{self, CheckRequest};
use crate::salesforce::{Client, Identity, SfError, StaticToken};
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
    RunChecks(Box<CheckRequest>),
    /// Fixes and the test write-back (see `fix_view`).
    Write(Box<super::fix_view::WriteCommand>),
    Cancel,
    Disconnect,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::ConnectDemo { scenario } => write!(f, "ConnectDemo({scenario})"),
            Command::ConnectSession { instance_url, .. } => {
                write!(f, "ConnectSession({instance_url}, [token redacted])")
            }
            Command::RunChecks(r) => write!(f, "RunChecks({})", r.profile.id),
            Command::Write(w) => write!(f, "Write({w:?})"),
            Command::Cancel => f.write_str("Cancel"),
            Command::Disconnect => f.write_str("Disconnect"),
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
    Disconnected,
}

pub struct Worker {
    commands: tokio::sync::mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<Event>,
}

impl Worker {
    /// Starts the worker thread; `wake` is called after every event (the UI repaints).
    pub fn spawn(wake: impl Fn() + Send + Sync + 'static) -> Worker {
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
                runtime.block_on(serve(command_rx, event_tx, wake));
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
}

async fn connect(
    url: &str,
    token: String,
    sim: Option<SimServer>,
    demo: Option<(String, Option<String>)>,
) -> Result<(Session, Connection), UiError> {
    let client = Client::connect(url, Arc::new(StaticToken::new(token)))
        .await
        .map_err(|e| UiError::from_sf("Could not connect", &e))?;
    let identity = client
        .identity()
        .await
        .map_err(|e| UiError::from_sf("Could not log in", &e))?;
    let connection = Connection {
        instance_url: client.instance_url().to_string(),
        username: identity.username.clone(),
        display_name: identity.name.clone(),
        org_id: identity.organization_id.clone(),
        demo: demo.as_ref().map(|d| d.0.clone()),
        integration_user_hint: demo.and_then(|d| d.1),
    };
    Ok((
        Session {
            client: Arc::new(client),
            identity,
            _sim: sim,
        },
        connection,
    ))
}

async fn serve(
    mut commands: tokio::sync::mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<Event>,
    wake: Arc<dyn Fn() + Send + Sync>,
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
    while let Some(command) = commands.recv().await {
        match command {
            Command::ConnectDemo { scenario: name } => {
                if let Some(task) = running.take() {
                    task.abort();
                }
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
                let (url, token) = (sim.url().to_string(), sim.admin_token().to_string());
                match connect(
                    &url,
                    token,
                    Some(sim),
                    Some((name, loaded.integration_user.clone())),
                )
                .await
                {
                    Ok((s, connection)) => {
                        tokio::spawn(super::fix_view::recover(
                            s.client.clone(),
                            s.identity.clone(),
                            Arc::new(send.clone()),
                        ));
                        session = Some(s);
                        send(Event::Connected(connection));
                    }
                    Err(e) => send(Event::ConnectFailed(e)),
                }
            }
            Command::ConnectSession {
                instance_url,
                access_token,
            } => {
                if let Some(task) = running.take() {
                    task.abort();
                }
                session = None;
                match connect(&instance_url, access_token, None, None).await {
                    Ok((s, connection)) => {
                        tokio::spawn(super::fix_view::recover(
                            s.client.clone(),
                            s.identity.clone(),
                            Arc::new(send.clone()),
                        ));
                        session = Some(s);
                        send(Event::Connected(connection));
                    }
                    Err(e) => send(Event::ConnectFailed(e)),
                }
            }
            Command::RunChecks(request) => {
                let Some(s) = &session else {
                    send(Event::CheckFailed(UiError {
                        message: "Not connected.".into(),
                        fix: "Connect to an org first.".into(),
                        details: String::new(),
                    }));
                    continue;
                };
                if let Some(task) = running.take() {
                    task.abort();
                }
                let client = s.client.clone();
                let identity = s.identity.clone();
                let send = send.clone();
                running = Some(tokio::spawn(async move {
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
            Command::Cancel => {
                if let Some(task) = running.take() {
                    task.abort();
                    send(Event::Cancelled);
                }
            }
            Command::Disconnect => {
                if let Some(task) = running.take() {
                    task.abort();
                }
                session = None;
                send(Event::Disconnected);
            }
        }
    }
}
