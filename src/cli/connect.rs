//! The connection part the write commands (`fix`, `export-metadata`, `test-write`, `recover`)
//! share: the demo org, a saved login, a Salesforce CLI login or a pasted session; then the login's identity,
//! and recovery of an interrupted test write before anything else happens.

use super::ConnectionArgs;
use crate::salesforce::{Client, Identity};
use crate::sim::server::SimServer;
use crate::testwrite::{self, journal};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

/// `println!` that ignores a closed stdout (`| head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
pub(crate) use say;

/// `print!` that ignores a closed stdout.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
pub(crate) use say_raw;

pub const BAD_INPUT: u8 = 2;
pub const COULD_NOT_RUN: u8 = 3;

/// A live connection (and the demo org it talks to, kept alive as long as the connection).
pub struct Connected {
    pub client: Client,
    pub identity: Identity,
    /// The integration user: given, or the demo scenario's.
    pub integration_user: Option<String>,
    pub demo: Option<SimServer>,
}

impl ConnectionArgs {
    pub fn is_given(&self) -> bool {
        self.demo.is_some()
            || self.sf_org.is_some()
            || (self.instance_url.is_some() && self.access_token.is_some())
    }
}

/// Connects as the arguments say, through the one connect service (`login::connect`);
/// `Err((exit code, message))` otherwise.
pub async fn connect(
    args: &ConnectionArgs,
    integration_user: Option<String>,
) -> Result<Connected, (u8, String)> {
    use crate::login::connect::{self as service, ConnectEnv, ConnectTo};
    let mut saved_title = None;
    let to = if let Some(name) = &args.demo {
        ConnectTo::Demo {
            scenario: name.clone(),
        }
    } else if let Some(alias) = &args.sf_org {
        ConnectTo::CliOrg {
            target: alias.clone(),
        }
    } else if args.is_given() {
        let token = args.access_token.clone().unwrap_or_default();
        // An empty token would be sent to the org and refused there; say so before any request.
        if token.trim().is_empty() {
            return Err((BAD_INPUT, "--access-token (or SF_ACCESS_TOKEN) is empty: paste the session id, or leave both out to use a saved login".into()));
        }
        ConnectTo::Pasted {
            instance_url: args.instance_url.clone().unwrap_or_default(),
            access_token: token,
        }
    } else {
        if args.instance_url.is_some() || args.access_token.is_some() {
            return Err((BAD_INPUT, "a pasted session needs both --instance-url URL and --access-token TOKEN (or SF_INSTANCE_URL and SF_ACCESS_TOKEN)".into()));
        }
        // The login saved by `writeback-setup login`: --login, else the most recent.
        let saved = super::login::saved_login(args.login.as_deref()).map_err(|e| (BAD_INPUT, e))?;
        saved_title = Some(saved.title());
        ConnectTo::Saved(Box::new(saved))
    };
    let env = ConnectEnv {
        store: crate::login::store::open_secret_store(),
        book: crate::login::store::LoginBook::open_default(),
        sf_cli: crate::login::sf_cli::SfCli::configured(),
        open_browser: Arc::new(|_: &str| {}),
    };
    let connected = match service::connect(&env, to, |_| {}).await {
        Ok(connected) => connected,
        Err(e) => {
            let code = if e.is_bad_input() {
                BAD_INPUT
            } else {
                COULD_NOT_RUN
            };
            let message = match saved_title {
                Some(title) => format!(
                    "could not use the saved login of {title}: {e}\n{}\nLog in again with `writeback-setup login`.",
                    e.fix()
                ),
                None => {
                    let fix = e.fix();
                    if fix == e.to_string() {
                        fix
                    } else {
                        format!("{e}\n{fix}")
                    }
                }
            };
            return Err((code, message));
        }
    };
    let connected = Connected {
        client: connected.client,
        identity: connected.identity,
        integration_user: integration_user.or(connected.integration_user_hint),
        demo: connected.demo.map(|(sim, _)| sim),
    };
    recover_at_start(&connected.client, &connected.identity).await;
    Ok(connected)
}

/// Finds journals of interrupted test writes and restores them, and takes back a temporary
/// access they left (or says what is left), on stderr.
/// Costs nothing when there is none.
pub async fn recover_at_start(client: &Client, identity: &Identity) {
    let Ok(dir) = journal::data_dir() else {
        return;
    };
    if !journal::anything_pending(&dir) {
        return;
    }
    for line in testwrite::recover_org(client, identity, &dir).await {
        eprintln!("{line}");
    }
}

/// Asks "question [y/N]" on a terminal. `Err` when stdin is not a terminal (the caller says to
/// use --yes).
pub fn confirm(question: &str) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "not confirmed: stdin is not a terminal; run again with --yes to confirm".into(),
        );
    }
    let mut out = std::io::stderr().lock();
    let _ = write!(out, "{question} [y/N] ");
    let _ = out.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

/// The org as a confirmation names it: its URL, or "the demo org at URL".
pub fn org_words(client: &Client, demo: bool) -> String {
    if demo {
        format!("the demo org at {}", client.instance_url())
    } else {
        client.instance_url().to_string()
    }
}

pub fn fail(code: u8, message: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {}", crate::echo::for_terminal(&message.to_string()));
    std::process::ExitCode::from(code)
}
