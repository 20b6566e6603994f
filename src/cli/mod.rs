//! The command line (clap). Each subcommand is a thin shell over the library modules.

mod check;
mod connect;
mod export;
mod fix;
mod login;
mod report;
mod testwrite;

use crate::sim::scenario::{self, Scenario};
use crate::sim::server::{SimOptions, SimServer};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "writeback-setup",
    version,
    about = "Write-back Setup Assistant: get a Salesforce org ready for an integration that writes data back into it",
    long_about = "Write-back Setup Assistant: get a Salesforce org ready for an integration that writes data back into it.\n\nWithout a command it opens the desktop app; `--demo` connects it to the built-in simulated org.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Open the desktop app on the built-in demo org (a scenario name, default "fresh"; see `sim --list`).
    #[arg(long, value_name = "SCENARIO", num_args = 0..=1, default_missing_value = "fresh")]
    pub demo: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a simulated Salesforce org on 127.0.0.1 (for demos, tests and trying the app without a real org).
    ///
    /// Prints SF_INSTANCE_URL=... and SF_ACCESS_TOKEN=... (the scenario admin's token) as its
    /// first two lines (the rest are `#` comments, so the output can be sourced by a shell),
    /// then serves until Ctrl-C.
    Sim(SimArgs),
    /// Check, live, whether the org is ready for the integration's write-back.
    ///
    /// Exit code: 0 ready, 1 not ready, 2 bad usage or input, 3 could not check (or incomplete).
    Check(CheckArgs),
    /// Log in to an org in your browser (OAuth with PKCE) and keep the session in the system
    /// keychain, so `check` (and the app) can use it without logging in again.
    Login(login::LoginArgs),
    /// Sign out: revoke a saved login's session at Salesforce and forget it here.
    Logout(login::LogoutArgs),
    /// Fix what the app can (fields, permission set, assignment): prints the plan, applies it only with --yes or your yes, then checks again.
    ///
    /// Exit code: 0 ready afterwards, 1 not ready (or not confirmed), 2 bad usage, 3 could not run.
    Fix(fix::FixArgs),
    /// Write the fix plan as Salesforce DX source (package.xml, fields, permission set) for change control.
    ExportMetadata(export::ExportArgs),
    /// Write the profile's test values to one record and restore them (journalled; preflight first).
    ///
    /// Exit code: 0 the write worked and the record is restored, 1 blocked, 2 bad usage, 3 something is left to restore.
    TestWrite(testwrite::TestWriteArgs),
    /// Restore a record an interrupted test write left with test values (also done at the start of every command).
    Recover(testwrite::RecoverArgs),
    /// Check the org and save the confirmation report (HTML, PDF, Markdown or JSON).
    ///
    /// Exit code as `check`: 0 ready, 1 not ready, 2 bad usage or input, 3 could not check.
    Report(report::ReportArgs),
    /// Confirm a report saved as JSON was not edited after it was made (its SHA-256).
    ///
    /// Exit code: 0 intact, 1 changed, 2 unreadable or not a report.
    VerifyReport(report::VerifyArgs),
    /// List what changed between two reports (JSON), e.g. sandbox vs production, before vs after a fix.
    ///
    /// Exit code: 0 no changes, 1 changes, 2 unreadable.
    Diff(report::DiffArgs),
}

#[derive(clap::Args)]
pub struct ConnectionArgs {
    /// Check the built-in simulated org instead of a real one (a scenario name, see `sim --list`).
    #[arg(long, value_name = "SCENARIO", conflicts_with_all = ["instance_url", "access_token", "sf_org", "login"])]
    pub demo: Option<String>,
    /// Use a login saved by `writeback-setup login` (its username or org Id). Without any
    /// connection option the most recent saved login is used.
    #[arg(long, value_name = "USERNAME", conflicts_with_all = ["instance_url", "access_token", "sf_org"])]
    pub login: Option<String>,
    /// Use an org you logged in to with the Salesforce CLI (`sf org login web`): its alias or username.
    #[arg(long, value_name = "ALIAS", conflicts_with_all = ["instance_url", "access_token"])]
    pub sf_org: Option<String>,
    /// The org's URL, e.g. https://acme.my.salesforce.com.
    #[arg(long, env = "SF_INSTANCE_URL", value_name = "URL")]
    pub instance_url: Option<String>,
    /// An access token for the org (a session id). Never stored.
    #[arg(
        long,
        env = "SF_ACCESS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub access_token: Option<String>,
}

/// By hand, so a pasted access token never reaches a `{:?}`.
impl std::fmt::Debug for ConnectionArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionArgs")
            .field("demo", &self.demo)
            .field("login", &self.login)
            .field("sf_org", &self.sf_org)
            .field("instance_url", &self.instance_url)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Md,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Integration profile: a built-in name (feedback-writeback, survey-responses, conversation-cases) or a .toml file.
    #[arg(long, default_value = crate::profile::DEFAULT_PROFILE, value_name = "NAME|FILE")]
    pub profile: String,
    /// Username of the integration user (the Salesforce user whose login authorizes the integration).
    #[arg(long, value_name = "USERNAME")]
    pub integration_user: Option<String>,
    /// A record to check the integration user's access to: its Id, its URL or (Case) its number.
    #[arg(long, value_name = "ID")]
    pub record: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// A check the app could not verify that you confirmed yourself, with what you saw, e.g.
    /// --confirm 'app.scopes=App Manager shows api' (repeatable). It counts only with a note
    /// (and for a user.* or reauth.token check only with an integration user); the verdict is
    /// then "ready, with manual confirmations".
    #[arg(long, value_name = "CHECK_ID=NOTE")]
    pub confirm: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Built-in scenario to serve (see --list).
    #[arg(long, default_value = "ready", conflicts_with = "scenario_file")]
    pub scenario: String,
    /// A scenario file (TOML) to serve instead of a built-in one; see assets/scenarios/README.md.
    #[arg(long, value_name = "PATH")]
    pub scenario_file: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Delay added to every request, in milliseconds.
    #[arg(long, value_name = "N")]
    pub latency_ms: Option<u64>,
    /// List the built-in scenarios and exit.
    #[arg(long)]
    pub list: bool,
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Sim(args)) => run_sim(args),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Login(args)) => login::run_login(args),
        Some(Command::Logout(args)) => login::run_logout(args),
        Some(Command::Fix(args)) => fix::run(args),
        Some(Command::ExportMetadata(args)) => export::run(args),
        Some(Command::TestWrite(args)) => testwrite::run(args),
        Some(Command::Recover(args)) => testwrite::recover(args),
        Some(Command::Report(args)) => report::run_report(args),
        Some(Command::VerifyReport(args)) => report::run_verify(args),
        Some(Command::Diff(args)) => report::run_diff(args),
        None => run_app(cli.demo),
    }
}

fn run_app(demo: Option<String>) -> ExitCode {
    if let Some(name) = &demo {
        if let Err(e) = scenario::load_builtin(name) {
            return connect::fail(2, e);
        }
    }
    #[cfg(feature = "desktop")]
    match crate::ui::run(demo) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the desktop window could not open: {e}");
            eprintln!("The app needs a graphical desktop. Without one, check an org with `writeback-setup check --demo fresh` (or --instance-url/--access-token).");
            // 3, "could not run": 1 means "not ready" in every command.
            ExitCode::from(3)
        }
    }
    #[cfg(not(feature = "desktop"))]
    {
        eprintln!("error: this build has no desktop app (built without the `desktop` feature); use a command, e.g. `writeback-setup check --demo fresh`.");
        ExitCode::from(2)
    }
}

/// The one tokio runtime of a command (2 workers: the machines this runs on are small).
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn load_scenario(args: &SimArgs) -> Result<Scenario, scenario::ScenarioError> {
    match &args.scenario_file {
        Some(path) => scenario::load_file(path),
        None => scenario::load_builtin(&args.scenario),
    }
}

fn run_sim(args: SimArgs) -> ExitCode {
    if args.list {
        for name in scenario::builtin_names() {
            let description = scenario::builtin_description(name).unwrap_or_default();
            println!("{name:<24} {description}");
        }
        return ExitCode::SUCCESS;
    }
    let scenario = match load_scenario(&args) {
        Ok(s) => s,
        Err(e) => return connect::fail(2, e),
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let options = SimOptions {
            port: args.port,
            latency_ms: args.latency_ms,
            ..SimOptions::default()
        };
        let server = match SimServer::start(&scenario, options).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "error: cannot listen on 127.0.0.1:{}: {e}. Choose another --port, or 0 for any free port.",
                    args.port
                );
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "SF_INSTANCE_URL={}", server.url());
        let _ = writeln!(out, "SF_ACCESS_TOKEN={}", server.admin_token());
        let _ = writeln!(
            out,
            "# Simulated org '{}' ({}): {}",
            scenario.name, scenario.org.name, scenario.description
        );
        let _ = writeln!(out, "# Admin: {}. Press Ctrl-C to stop.", scenario.admin);
        let _ = out.flush();
        drop(out);
        let _ = tokio::signal::ctrl_c().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}
