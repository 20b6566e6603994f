//! The connection part the write commands (`fix`, `export-metadata`, `test-write`, `recover`)
//! share: the demo org, a saved login, a Salesforce CLI login or a pasted session; then the login's identity,
//! and recovery of an interrupted test write before anything else happens.

use super::ConnectionArgs;
use crate::salesforce::{Client, Identity, SfError, StaticToken, TokenSource};
use crate::sim::scenario;
use crate::sim::server::{SimOptions, SimServer};
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

/// Connects as the arguments say; `Err((exit code, message))` otherwise.
pub async fn connect(
    args: &ConnectionArgs,
    integration_user: Option<String>,
) -> Result<Connected, (u8, String)> {
    if !args.is_given() {
        if args.instance_url.is_some() || args.access_token.is_some() {
            return Err((BAD_INPUT, "a pasted session needs both --instance-url URL and --access-token TOKEN (or SF_INSTANCE_URL and SF_ACCESS_TOKEN)".into()));
        }
        // The login saved by `writeback-setup login`: --login, else the most recent.
        let saved = super::login::saved_login(args.login.as_deref()).map_err(|e| (BAD_INPUT, e))?;
        let (client, identity) = super::login::resume(&saved)
            .await
            .map_err(|e| (COULD_NOT_RUN, e))?;
        let connected = Connected {
            client,
            identity,
            integration_user,
            demo: None,
        };
        recover_at_start(&connected.client, &connected.identity).await;
        return Ok(connected);
    }
    let mut demo = None;
    let mut integration_user = integration_user;
    let (url, tokens): (String, Arc<dyn TokenSource>) = if let Some(name) = &args.demo {
        let scenario = scenario::load_builtin(name).map_err(|e| (BAD_INPUT, e.to_string()))?;
        let sim = SimServer::start(&scenario, SimOptions::default())
            .await
            .map_err(|e| (COULD_NOT_RUN, format!("cannot start the demo org: {e}")))?;
        integration_user = integration_user.or(scenario.integration_user.clone());
        let found = (
            sim.url().to_string(),
            Arc::new(StaticToken::new(sim.admin_token())) as Arc<dyn TokenSource>,
        );
        demo = Some(sim);
        found
    } else if let Some(alias) = &args.sf_org {
        let cli = crate::login::sf_cli::SfCli::new();
        let (source, login) = crate::login::sf_cli::SfCliTokenSource::new(cli, alias)
            .map_err(|e| (COULD_NOT_RUN, e.to_string()))?;
        (login.instance_url, Arc::new(source))
    } else {
        let token = args.access_token.clone().unwrap_or_default();
        // An empty token would be sent to the org and refused there; say so before any request.
        if token.trim().is_empty() {
            return Err((BAD_INPUT, "--access-token (or SF_ACCESS_TOKEN) is empty: paste the session id, or leave both out to use a saved login".into()));
        }
        (
            args.instance_url.clone().unwrap_or_default(),
            Arc::new(StaticToken::new(token)) as Arc<dyn TokenSource>,
        )
    };
    let failed = |e: SfError| {
        let code = if matches!(e, SfError::InvalidInput { .. }) {
            BAD_INPUT
        } else {
            COULD_NOT_RUN
        };
        (code, format!("{e}\n{}", e.explanation()))
    };
    let client = Client::connect(&url, tokens).await.map_err(failed)?;
    let identity = client.identity().await.map_err(failed)?;
    let connected = Connected {
        client,
        identity,
        integration_user,
        demo,
    };
    recover_at_start(&connected.client, &connected.identity).await;
    Ok(connected)
}

/// Finds journals of interrupted test writes and restores them (or says what is left), on stderr.
/// Costs nothing when there is none.
pub async fn recover_at_start(client: &Client, identity: &Identity) {
    let Ok(dir) = journal::data_dir() else {
        return;
    };
    if journal::pending(&dir).is_empty() {
        return;
    }
    for recovery in testwrite::recover_all(client, identity, &dir).await {
        eprintln!("{}", recovery.summary);
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
