//! `writeback-setup test-write --record ID [--dry-run] [--yes]` and `writeback-setup recover`.

use super::connect::{self, fail, say, BAD_INPUT, COULD_NOT_RUN};
use super::ConnectionArgs;
use crate::profile;
use crate::testwrite::{self, journal, FieldFate, TestWriteReport};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;

/// Test-only: milliseconds to wait between the write and the restore (the interruption test
/// kills the process in that window). Unset in normal use, so it does nothing there.
pub const PAUSE_ENV: &str = "WRITEBACK_SETUP_PAUSE_BEFORE_RESTORE_MS";

#[derive(Debug, clap::Args)]
pub struct TestWriteArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The record: an Id (15 or 18 characters), its URL, or a Case number.
    #[arg(long, value_name = "ID")]
    pub record: Option<String>,
    /// List the most recently modified records and exit.
    #[arg(long, conflicts_with = "record")]
    pub recent: bool,
    /// Only preflight and a rolled-back anonymous Apex dry run: nothing is written.
    #[arg(long)]
    pub dry_run: bool,
    /// Write without asking.
    #[arg(long)]
    pub yes: bool,
    #[arg(long, default_value = crate::profile::DEFAULT_PROFILE, value_name = "NAME|FILE")]
    pub profile: String,
    #[arg(long, value_name = "USERNAME")]
    pub integration_user: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "-".into(),
        Some(Value::Null) => "(empty)".into(),
        Some(Value::String(s)) => {
            let one_line = s.replace('\n', " / ");
            if one_line.chars().count() > 28 {
                format!("{}...", one_line.chars().take(25).collect::<String>())
            } else {
                one_line
            }
        }
        Some(other) => other.to_string(),
    }
}

pub fn report_text(report: &TestWriteReport) -> String {
    let mut out = format!(
        "{:<30} {:<30} {:<30} {:<30}\n",
        "Field", "Before", "Written", "Restored"
    );
    for row in &report.rows {
        let fate = match row.fate {
            FieldFate::Restored => "",
            FieldFate::Untouched => " (not written)",
            FieldFate::ChangedBySomeoneElse => " (changed by someone else)",
            FieldFate::StillTestValue => " (NOT restored)",
            FieldFate::Unproven => " (NOT proven back: see LEFT TO DO)",
        };
        out.push_str(&format!(
            "{:<30} {:<30} {:<30} {}{fate}\n",
            row.field,
            shown(Some(&row.before)),
            shown(row.written.as_ref()),
            shown(row.after.as_ref()),
        ));
    }
    out.push('\n');
    if report.write_ok {
        out.push_str(&format!(
            "The write worked: every value read back as written (as {}).\n",
            report.runs_as
        ));
    }
    for blocked in &report.blocked {
        if blocked.found_before_writing {
            out.push_str(&format!(
                "NOT WRITTEN {}: {} (Salesforce would refuse it: {})\n",
                blocked.field, blocked.explanation, blocked.code
            ));
        } else {
            out.push_str(&format!(
                "BLOCKED {}: {} ({}: {})\n",
                blocked.field, blocked.explanation, blocked.code, blocked.message
            ));
        }
    }
    if let Some(combined) = &report.combined_error {
        out.push_str(&format!("BLOCKED: {combined}\n"));
    }
    if report.restored {
        out.push_str(
            "The record is back as it was (every field read back); the journal is deleted.\n",
        );
    } else {
        out.push_str("The record is NOT proven back as it was; the journal is kept, and `writeback-setup recover` tries again.\n");
    }
    for line in &report.left {
        out.push_str(&format!("LEFT TO DO: {line}\n"));
    }
    out.push_str(&format!("({} API calls)", report.api_calls));
    out
}

pub fn run(args: TestWriteArgs) -> ExitCode {
    let profile = match profile::resolve(&args.profile) {
        Ok(p) => p,
        Err(e) => return fail(BAD_INPUT, e),
    };
    if args.record.is_none() && !args.recent {
        return fail(
            BAD_INPUT,
            "--record: say which record to test on (an Id, its URL or a Case number), or --recent to list recent ones",
        );
    }
    if let Some(record) = &args.record {
        if let Err(e) = testwrite::parse_record_input(&profile.object, record) {
            return fail(BAD_INPUT, format!("--record: {e}"));
        }
    }
    let data_dir = match journal::data_dir() {
        Ok(d) => d,
        Err(e) => return fail(COULD_NOT_RUN, e),
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
        if args.recent {
            return match testwrite::recent(client, &profile.object).await {
                Ok(records) => {
                    for r in records {
                        say!("{}  {}  {}  (modified {})", r.id, r.number, r.subject, r.last_modified);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(COULD_NOT_RUN, e),
            };
        }
        let record = args.record.clone().unwrap_or_default();
        let record_id = match testwrite::resolve(client, &profile.object, &record).await {
            Ok(id) => id,
            Err(testwrite::TestWriteError::BadInput(m)) => return fail(BAD_INPUT, m),
            Err(e) => return fail(COULD_NOT_RUN, e),
        };
        let pre = match testwrite::preflight(
            client,
            &connected.identity,
            &profile,
            &record_id,
            connected.integration_user.as_deref(),
        )
        .await
        {
            Ok(p) => p,
            Err(e) => return fail(COULD_NOT_RUN, format!("preflight failed: {e}")),
        };
        say!("Test write-back on {} ({record_id}), as {}", pre.record_label, pre.runs_as);
        if let Some(level) = &pre.integration_access {
            say!("  The integration user's access to it: {level}");
        }
        for rule in &pre.validation_rules {
            say!("  Validation rule: {rule}");
        }
        for trigger in &pre.triggers {
            say!("  Apex trigger on update: {trigger}");
        }
        for flow in &pre.flows {
            say!("  Record-triggered flow: {flow}");
        }
        for note in &pre.notes {
            say!("  Note: {note}");
        }
        for blocker in &pre.blockers {
            say!("  BLOCKER: {blocker}");
        }
        say!("  Test values:");
        for (field, value) in pre.plan.values() {
            say!("    {field} = {}", shown(Some(&value)));
        }
        if !pre.plan.typed_from_org {
            say!("  (typed from the profile: the org's describe could not be read)");
        }
        if args.dry_run {
            if !pre.can_run_apex {
                say!("\nDry run not available: {} may not run anonymous Apex (Author Apex). Nothing was written.", pre.runs_as);
                return ExitCode::SUCCESS;
            }
            return match testwrite::dry_run(client, &pre.plan).await {
                Ok(dry) if dry.would_succeed => {
                    say!("\nDry run (rolled back, nothing changed): the update would succeed.");
                    ExitCode::SUCCESS
                }
                Ok(dry) => {
                    say!(
                        "\nDry run (rolled back, nothing changed): the update would FAIL: {}",
                        dry.problem.unwrap_or_default()
                    );
                    ExitCode::from(1)
                }
                Err(e) => fail(COULD_NOT_RUN, format!("the dry run could not run: {e}")),
            };
        }
        if !pre.blockers.is_empty() && pre.current.is_empty() {
            return fail(COULD_NOT_RUN, "the test write cannot run on this record (see BLOCKER above)");
        }
        if !args.yes {
            match connect::confirm(&format!(
                "\nWrite the test values to {record_id} on {} and restore them right after?",
                connect::org_words(client, connected.demo.is_some())
            )) {
                Ok(true) => {}
                Ok(false) => {
                    say!("Nothing was written.");
                    return ExitCode::from(1);
                }
                Err(message) => return fail(BAD_INPUT, message),
            }
        }
        let pause = std::env::var(PAUSE_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis);
        let hook = move || -> BoxFuture<'static, ()> {
            Box::pin(async move {
                if let Some(pause) = pause {
                    eprintln!("paused before restore ({PAUSE_ENV})");
                    tokio::time::sleep(pause).await;
                }
            })
        };
        match testwrite::run(client, &connected.identity, &pre.plan, &data_dir, Some(&hook)).await {
            Ok(report) => {
                say!("\n{}", report_text(&report));
                if !report.left.is_empty() {
                    ExitCode::from(COULD_NOT_RUN)
                } else if report.write_ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => fail(
                COULD_NOT_RUN,
                format!("{e}\nIf the record may hold test values, `writeback-setup recover` restores them from the journal in {}.", data_dir.display()),
            ),
        }
    })
}

pub fn recover(args: RecoverArgs) -> ExitCode {
    let data_dir = match journal::data_dir() {
        Ok(d) => d,
        Err(e) => return fail(COULD_NOT_RUN, e),
    };
    let pending = journal::pending(&data_dir);
    let access = journal::pending_access(&data_dir);
    if pending.is_empty() && access.is_empty() {
        say!("Nothing to recover: no interrupted test write.");
        return ExitCode::SUCCESS;
    }
    let saved_login = super::login::saved_login(args.connection.login.as_deref()).is_ok();
    if !args.connection.is_given() && !saved_login {
        for (path, parsed) in &pending {
            match parsed {
                Ok(j) => say!(
                    "{} (journal {})",
                    testwrite::describe_pending(j),
                    path.display()
                ),
                Err(e) => say!("{e}"),
            }
        }
        for (path, parsed) in &access {
            match parsed {
                Ok(a) => say!(
                    "A temporary permission set {} given to {} on {} ({}) may still exist (note {}).",
                    a.permission_set_name,
                    a.username,
                    a.granted_at,
                    a.instance_url,
                    path.display()
                ),
                Err(e) => say!("{e}"),
            }
        }
        say!("\nConnect to the org to restore: log in with `writeback-setup login`, or give --sf-org, or --instance-url with --access-token.");
        return ExitCode::from(1);
    }
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(COULD_NOT_RUN, e),
    };
    runtime.block_on(async move {
        // Connecting already recovers (on stderr); say it on stdout too, and what is left.
        let connected = match connect::connect(&args.connection, None).await {
            Ok(c) => c,
            Err((code, message)) => return fail(code, message),
        };
        drop(connected);
        let left = journal::pending(&data_dir);
        let access_left = journal::pending_access(&data_dir);
        if left.is_empty() && access_left.is_empty() {
            say!("Recovered: every interrupted test write is restored.");
            ExitCode::SUCCESS
        } else {
            for (_, parsed) in &left {
                if let Ok(j) = parsed {
                    say!("Left: {}", testwrite::describe_pending(j));
                }
            }
            for (_, parsed) in &access_left {
                if let Ok(a) = parsed {
                    say!(
                        "Left: the temporary permission set {} in {}; delete it in Setup > Permission Sets.",
                        a.permission_set_name, a.instance_url
                    );
                }
            }
            ExitCode::from(1)
        }
    })
}
