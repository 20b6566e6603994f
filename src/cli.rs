//! The command line (clap). Each subcommand is a thin shell over the library modules.

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
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a simulated Salesforce org on 127.0.0.1 (for demos, tests and trying the app without a real org).
    ///
    /// Prints SF_INSTANCE_URL=... and SF_ACCESS_TOKEN=... (the scenario admin's token) as its
    /// first two lines (the rest are `#` comments, so the output can be sourced by a shell),
    /// then serves until Ctrl-C.
    Sim(SimArgs),
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
        Command::Sim(args) => run_sim(args),
    }
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
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let options = SimOptions {
            port: args.port,
            latency_ms: args.latency_ms,
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
