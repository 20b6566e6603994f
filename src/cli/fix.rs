//! `writeback-setup fix`: check, print the plan (words and API calls), apply it only with
//! `--yes` or an interactive yes, then check again. `--undo` removes what the last fix created.

use super::connect::{self, fail, say, say_raw, BAD_INPUT, COULD_NOT_RUN};
use super::ConnectionArgs;
use crate::fix::{self, Created, FixPlan};
use crate::profile;
use crate::readiness::{self, CheckRequest};
use crate::testwrite::journal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Integration profile: a built-in name or a .toml file.
    #[arg(long, default_value = crate::profile::DEFAULT_PROFILE, value_name = "NAME|FILE")]
    pub profile: String,
    /// Username of the integration user.
    #[arg(long, value_name = "USERNAME")]
    pub integration_user: Option<String>,
    /// Apply without asking (the plan is still printed first).
    #[arg(long)]
    pub yes: bool,
    /// Undo what the last `fix` on this org created (assignment, licence, permission set); fields stay.
    #[arg(long)]
    pub undo: bool,
}

fn undo_file(org_id: &str) -> Result<PathBuf, String> {
    Ok(journal::data_dir()?.join(format!("last-fix-{org_id}.json")))
}

/// The plan as printed: numbered changes with their API calls, then the Setup work.
pub fn plan_text(plan: &FixPlan, instance_url: &str, api_version: &str) -> String {
    let mut out = String::new();
    if plan.changes.is_empty() {
        out.push_str("Nothing for the app to change.\n");
    } else {
        out.push_str(&format!(
            "The app would make {} change{}:\n",
            plan.changes.len(),
            if plan.changes.len() == 1 { "" } else { "s" }
        ));
        for (i, change) in plan.changes.iter().enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, change.summary));
            out.push_str(&format!("     {}\n", change.call.display(api_version)));
        }
    }
    if !plan.instructions.is_empty() {
        out.push_str("\nFor you to do in Setup (the app cannot):\n");
        for instruction in &plan.instructions {
            out.push_str(&format!(
                "  - {}: {}\n",
                instruction.title, instruction.text
            ));
            if let Some(path) = &instruction.setup_path {
                out.push_str(&format!("    Open: {instance_url}{path}\n"));
            }
        }
    }
    for note in &plan.notes {
        out.push_str(&format!("\nNote: {note}\n"));
    }
    out
}

pub fn run(args: FixArgs) -> ExitCode {
    let profile = match profile::resolve(&args.profile) {
        Ok(p) => p,
        Err(e) => return fail(BAD_INPUT, e),
    };
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(COULD_NOT_RUN, e),
    };
    runtime.block_on(async move {
        let connected =
            match connect::connect(&args.connection, args.integration_user.clone()).await {
                Ok(c) => c,
                Err((code, message)) => return fail(code, message),
            };
        let client = &connected.client;
        let identity = &connected.identity;
        if args.undo {
            return undo(&connected, args.yes).await;
        }
        let request = CheckRequest {
            profile: profile.clone(),
            integration_user: connected.integration_user.clone(),
            record_id: None,
        };
        let report = match readiness::run_as(client, identity, &request, &|_| {}).await {
            Ok(r) => r,
            Err(e) => return fail(COULD_NOT_RUN, format!("could not check the org: {e}")),
        };
        let plan = match fix::plan_for(
            client,
            &profile,
            connected.integration_user.as_deref(),
            &report.checks,
        )
        .await
        {
            Ok(p) => p,
            Err(e) => return fail(COULD_NOT_RUN, format!("could not plan the fixes: {e}")),
        };
        say_raw!(
            "{}",
            plan_text(&plan, client.instance_url(), client.api_version())
        );
        if plan.changes.is_empty() {
            return super::check::exit_code(&report);
        }
        let org = connect::org_words(client, connected.demo.is_some());
        if !args.yes {
            match connect::confirm(&format!(
                "\nApply these {} changes to {org}?",
                plan.changes.len()
            )) {
                Ok(true) => {}
                Ok(false) => {
                    say!("Nothing was changed.");
                    return ExitCode::from(1);
                }
                Err(message) => return fail(BAD_INPUT, message),
            }
        }
        say!("\nApplying:");
        let applied = match fix::apply(client, &plan, &identity.organization_id, &|result| {
            let mark = if result.outcome.ok() {
                "[ ok ]"
            } else {
                "[FAIL]"
            };
            say!("  {mark} {} ({})", result.summary, result.outcome.word());
        })
        .await
        {
            Ok(a) => a,
            Err(e) => {
                return fail(
                    COULD_NOT_RUN,
                    format!("the changes stopped: {e}\n{}", e.explanation()),
                )
            }
        };
        if !applied.created.is_empty() && connected.demo.is_none() {
            save_undo(&applied.created);
        }
        say!("\nChecking again:\n");
        match readiness::run_as(client, identity, &request, &|_| {}).await {
            Ok(after) => {
                say!("{}", super::check::plain(&after, connected.demo.is_some()));
                super::check::exit_code(&after)
            }
            Err(e) => fail(COULD_NOT_RUN, format!("could not check again: {e}")),
        }
    })
}

fn save_undo(created: &Created) {
    let saved = undo_file(&created.org_id).and_then(|path| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let text = serde_json::to_string_pretty(created).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        Ok(path)
    });
    match saved {
        Ok(path) => say!(
            "\n(What the app created is noted in {}; `writeback-setup fix --undo` removes it.)",
            path.display()
        ),
        Err(e) => eprintln!("warning: could not note what was created for --undo: {e}"),
    }
}

async fn undo(connected: &connect::Connected, yes: bool) -> ExitCode {
    let path = match undo_file(&connected.identity.organization_id) {
        Ok(p) => p,
        Err(e) => return fail(COULD_NOT_RUN, e),
    };
    let created: Created = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(_) => {
            say!("Nothing to undo: the app has no record of a fix on this org.");
            return ExitCode::SUCCESS;
        }
    };
    say!("The app would undo what it created:");
    if created.assignment.is_some() {
        say!("  - remove the permission set assignment");
    }
    if created.license_assignment.is_some() {
        say!("  - give back the permission set licence");
    }
    if created.permission_set.is_some() {
        say!(
            "  - delete the permission set {}",
            created.permission_set_name.clone().unwrap_or_default()
        );
    } else if !created.rows.is_empty() || !created.updated_rows.is_empty() {
        say!("  - put the permission set's grants back as they were");
    }
    if let Some(note) = created.field_note() {
        say!("\n{note}");
    }
    if !yes {
        match connect::confirm("\nUndo these changes?") {
            Ok(true) => {}
            Ok(false) => return ExitCode::from(1),
            Err(message) => return fail(BAD_INPUT, message),
        }
    }
    match fix::undo(&connected.client, &created).await {
        Ok(results) => {
            for r in &results {
                let mark = if r.outcome.ok() { "[ ok ]" } else { "[FAIL]" };
                say!("  {mark} {} ({})", r.summary, r.outcome.word());
            }
            if results.iter().all(|r| r.outcome.ok()) {
                let _ = std::fs::remove_file(&path);
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => fail(COULD_NOT_RUN, format!("could not undo: {e}")),
    }
}
