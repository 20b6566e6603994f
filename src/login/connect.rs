//! The one way to connect, for the command line and the desktop app alike: the demo org, a saved
//! login, an org the Salesforce CLI is logged in to, a login driven through the Salesforce CLI
//! (`sf org login web`), the assistant's own browser login, or a pasted session. Each ends in a
//! [`Connected`]: a client, who is logged in, and how the session is kept.

use super::session::{self, LoginSettings, Revoker, SessionError, LOGIN_TIMEOUT};
use super::sf_cli::{SfCli, SfCliError, SfCliTokenSource};
use super::store::{open_secret_store, LoginBook, SavedLogin, SecretStore};
use super::url::{login_host, LoginTarget, LoginUrlError};
use crate::salesforce::{Client, Identity, SfError, StaticToken, TokenSource};
use crate::sim::scenario;
use crate::sim::server::{SimOptions, SimServer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use thiserror::Error;

/// What connecting uses from this machine: the secret store, the saved-logins book, the
/// Salesforce CLI and the way to open a browser. Tests pass their own.
pub struct ConnectEnv {
    pub store: Arc<dyn SecretStore>,
    pub book: Option<LoginBook>,
    pub sf_cli: SfCli,
    pub open_browser: Arc<dyn Fn(&str) + Send + Sync>,
}

impl ConnectEnv {
    /// The system keychain (or memory), the config folder, `sf` on PATH, the default browser.
    pub fn system() -> ConnectEnv {
        ConnectEnv {
            store: open_secret_store(),
            book: LoginBook::open_default(),
            sf_cli: SfCli::configured(),
            open_browser: Arc::new(|url: &str| {
                // The URL is shown with a Copy button too, so a failure here is not fatal.
                let _ = open_browser(url);
            }),
        }
    }
}

/// Opens `url` in the browser: the program named by `$BROWSER` when it is set (as `xdg-open`
/// and most command-line tools do), else the system's opener through the `open` crate.
pub fn open_browser(url: &str) -> std::io::Result<()> {
    if let Some(browser) = std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        // Started, not waited for: a browser that stays open must not hold up the login,
        // whose redirect it is about to send.
        return std::process::Command::new(browser)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .spawn()
            .map(drop);
    }
    open::that_detached(url)
}

/// How to connect.
pub enum ConnectTo {
    /// The built-in simulated org, with a scenario.
    Demo { scenario: String },
    /// A login saved by an earlier browser login (its refresh token in the keychain).
    Saved(Box<SavedLogin>),
    /// An org the Salesforce CLI is logged in to (alias or username).
    CliOrg { target: String },
    /// Log in through the Salesforce CLI (`sf org login web`), then connect with that login.
    CliLogin { target: LoginTarget },
    /// The assistant's own browser login (OAuth web-server flow with PKCE).
    Browser(Box<LoginSettings>),
    /// A pasted instance URL and access token (kept in memory only).
    Pasted {
        instance_url: String,
        access_token: String,
    },
}

impl std::fmt::Debug for ConnectTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectTo::Demo { scenario } => write!(f, "Demo({scenario})"),
            ConnectTo::Saved(l) => write!(f, "Saved({})", l.title()),
            ConnectTo::CliOrg { target } => write!(f, "CliOrg({target})"),
            ConnectTo::CliLogin { target } => write!(f, "CliLogin({target:?})"),
            ConnectTo::Browser(s) => write!(f, "Browser({})", s.host.login_url),
            ConnectTo::Pasted { instance_url, .. } => {
                write!(f, "Pasted({instance_url}, [token redacted])")
            }
        }
    }
}

/// What a connection in progress is waiting for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// The assistant's browser login waits at this address (show it, with a Copy button).
    Browser { authorize_url: String },
    /// The Salesforce CLI has opened the browser on this login host and waits for the login.
    CliBrowser { login_url: String },
}

/// A live connection.
pub struct Connected {
    pub client: Client,
    pub identity: Identity,
    /// The demo org (kept alive as long as the connection) and its scenario's name.
    pub demo: Option<(SimServer, String)>,
    /// The demo scenario's integration user.
    pub integration_user_hint: Option<String>,
    /// How the session is kept, in words.
    pub kept: Option<String>,
    /// A browser login's way to sign out (revoke at Salesforce, forget here).
    pub revoker: Option<Revoker>,
    /// A browser login or a saved one: the list of saved logins changed.
    pub saved_changed: bool,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("client", &self.client)
            .field("identity", &self.identity)
            .field("kept", &self.kept)
            .finish()
    }
}

/// Why connecting did not work. Never holds a token.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// Input to fix before anything is sent (exit code 2 on the command line).
    #[error("{0}")]
    BadInput(String),
    #[error("{context}: {error}")]
    Salesforce {
        context: &'static str,
        error: SfError,
    },
    #[error("{0}")]
    Session(#[from] SessionError),
    #[error("{0}")]
    Cli(#[from] SfCliError),
    #[error("{0}")]
    Url(#[from] LoginUrlError),
    #[error("The demo org could not start: {0}")]
    Demo(String),
}

impl ConnectError {
    /// Whether the input was at fault (exit code 2), rather than the org or the machine.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ConnectError::BadInput(_)
                | ConnectError::Url(_)
                | ConnectError::Salesforce {
                    error: SfError::InvalidInput { .. },
                    ..
                }
        )
    }

    /// What to do, in words.
    pub fn fix(&self) -> String {
        match self {
            ConnectError::Salesforce { error, .. } => error.explanation(),
            ConnectError::Session(SessionError::Salesforce(error)) => error.explanation(),
            ConnectError::Session(SessionError::Login(super::browser::LoginError::Denied {
                error,
                ..
            })) => super::app::app_problem(error)
                .map(str::to_string)
                .unwrap_or_else(|| self.to_string()),
            other => other.to_string(),
        }
    }
}

/// Stops the Salesforce CLI's login when the connect future is dropped (Cancel).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn blocking_failed(e: tokio::task::JoinError) -> ConnectError {
    ConnectError::Cli(SfCliError::CommandFailed {
        command: "sf".into(),
        message: format!("the app could not run it: {e}"),
    })
}

/// Connects as `to` says. `waiting` hears when a login waits for the browser. Dropping the
/// future cancels a waiting login (the Salesforce CLI's is stopped).
pub async fn connect(
    env: &ConnectEnv,
    to: ConnectTo,
    waiting: impl Fn(Waiting) + Send + Sync + 'static,
) -> Result<Connected, ConnectError> {
    match to {
        ConnectTo::Demo { scenario: name } => {
            let loaded =
                scenario::load_builtin(&name).map_err(|e| ConnectError::BadInput(e.to_string()))?;
            let sim = SimServer::start(&loaded, SimOptions::default())
                .await
                .map_err(|e| ConnectError::Demo(e.to_string()))?;
            let tokens = Arc::new(StaticToken::new(sim.admin_token()));
            let (client, identity) = with_token(sim.url(), tokens).await?;
            Ok(Connected {
                client,
                identity,
                demo: Some((sim, name)),
                integration_user_hint: loaded.integration_user.clone(),
                kept: None,
                revoker: None,
                saved_changed: false,
            })
        }
        ConnectTo::Pasted {
            instance_url,
            access_token,
        } => {
            let token = access_token.trim().to_string();
            if token.is_empty() {
                return Err(ConnectError::BadInput(
                    "The access token is empty: paste the session's access token.".into(),
                ));
            }
            let (client, identity) =
                with_token(&instance_url, Arc::new(StaticToken::new(token))).await?;
            Ok(plain(client, identity, None))
        }
        ConnectTo::CliOrg { target } => {
            let cli = env.sf_cli.clone();
            let who = target.clone();
            let (source, login) =
                tokio::task::spawn_blocking(move || SfCliTokenSource::new(cli, &who))
                    .await
                    .map_err(blocking_failed)??;
            let client = Client::connect(&login.instance_url, Arc::new(source))
                .await
                .map_err(|error| ConnectError::Salesforce {
                    context: "Could not connect",
                    error,
                })?;
            // The CLI named the org and the username: userinfo (no API call) when the token may
            // read it, else one User query (the identity URL's way costs two calls).
            let org_id = login
                .org_id
                .as_deref()
                .filter(|id| id.starts_with("00D"))
                .and_then(|id| crate::sfid::to_18(id).ok());
            let identity = match (client.userinfo().await, &org_id) {
                (Ok(Some(identity)), _) => Ok(identity),
                (Ok(None), Some(org)) => {
                    client.user_identity_by_username(org, &login.username).await
                }
                (Ok(None), None) => client.identity().await,
                (Err(e), _) => Err(e),
            }
            .map_err(|error| ConnectError::Salesforce {
                context: "Could not read who is logged in",
                error,
            })?;
            Ok(plain(client, identity, Some(cli_kept(&target))))
        }
        ConnectTo::CliLogin { target } => {
            let host = login_host(&target)?;
            let cli = env.sf_cli.clone();
            let checked = cli.clone();
            tokio::task::spawn_blocking(move || checked.version())
                .await
                .map_err(blocking_failed)??;
            let stop = Arc::new(AtomicBool::new(false));
            let _stop_on_drop = StopOnDrop(stop.clone());
            waiting(Waiting::CliBrowser {
                login_url: host.login_url.clone(),
            });
            let login_url = host.login_url.clone();
            let (session, login) = tokio::task::spawn_blocking(move || {
                let login = cli.login_web(&login_url, LOGIN_TIMEOUT, &stop)?;
                let session = cli.session_after_login(&login)?;
                let (source, _) = SfCliTokenSource::from_session(cli, session);
                Ok::<_, SfCliError>((source, login))
            })
            .await
            .map_err(blocking_failed)??;
            let tokens: Arc<dyn TokenSource> = Arc::new(session);
            let client = Client::connect(&login.instance_url, tokens)
                .await
                .map_err(|error| ConnectError::Salesforce {
                    context: "Could not connect",
                    error,
                })?;
            // The login names the org and user: read the user directly (no `id` scope needed).
            let identity = match (&login.org_id, &login.user_id) {
                (Some(org), Some(user)) => session::identity_of(&client, org, user).await,
                _ => client.identity().await,
            }
            .map_err(|error| ConnectError::Salesforce {
                context: "Could not read who logged in",
                error,
            })?;
            Ok(plain(client, identity, Some(cli_kept(&login.username))))
        }
        ConnectTo::Saved(saved) => {
            let resumed = session::resume(&saved, env.store.clone(), env.book.as_ref()).await?;
            Ok(from_session(resumed))
        }
        ConnectTo::Browser(settings) => {
            let open = env.open_browser.clone();
            let show = move |url: &str| {
                waiting(Waiting::Browser {
                    authorize_url: url.to_string(),
                });
                let url = url.to_string();
                // Opening a browser may wait on a helper program; never on this task.
                let _ = crate::spawn_named("open-browser", move || open(&url));
            };
            let logged_in = session::browser_login(
                &settings,
                env.store.clone(),
                env.book.as_ref(),
                LOGIN_TIMEOUT,
                show,
            )
            .await?;
            Ok(from_session(logged_in))
        }
    }
}

/// Connects with a token and reads who it belongs to.
async fn with_token(
    url: &str,
    tokens: Arc<dyn TokenSource>,
) -> Result<(Client, Identity), ConnectError> {
    let client = Client::connect(url, tokens)
        .await
        .map_err(|error| ConnectError::Salesforce {
            context: "Could not connect",
            error,
        })?;
    let identity = client
        .identity()
        .await
        .map_err(|error| ConnectError::Salesforce {
            context: "Could not read who is logged in",
            error,
        })?;
    Ok((client, identity))
}

fn plain(client: Client, identity: Identity, kept: Option<String>) -> Connected {
    Connected {
        client,
        identity,
        demo: None,
        integration_user_hint: None,
        kept,
        revoker: None,
        saved_changed: false,
    }
}

fn cli_kept(target: &str) -> String {
    format!("The Salesforce CLI keeps this login ({target}); the assistant stores nothing.")
}

fn from_session(session: session::Session) -> Connected {
    Connected {
        client: session.client,
        identity: session.identity,
        demo: None,
        integration_user_hint: None,
        kept: Some(session.kept),
        revoker: Some(session.revoker),
        saved_changed: true,
    }
}
