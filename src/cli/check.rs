//! `writeback-setup check`: validate the inputs, connect, run the checks, print the report.

use super::connect::fail;
use super::{CheckArgs, ConnectionArgs, Format};
use crate::checks::{confirmation_counts, CheckReport, FindingId, Status, Verdict};
use crate::profile::{self, Profile};
use crate::readiness::{self, CheckRequest};
use crate::report::{steps, verdict_line};
use crate::testwrite::RecordInput;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

const READY: u8 = 0;
const NOT_READY: u8 = 1;
const BAD_INPUT: u8 = 2;
const COULD_NOT_CHECK: u8 = 3;

/// The record as every record input is read (an Id, a record URL or a Case number).
fn validate_record(profile: &Profile, input: &str) -> Result<RecordInput, String> {
    crate::testwrite::parse_record_input(&profile.object, input)
        .map_err(|e| format!("--record: {e}"))
}

fn validate_username(name: &str) -> Result<(), String> {
    let ok = name.contains('@')
        && !name.contains(char::is_whitespace)
        && !name.starts_with('@')
        && !name.ends_with('@');
    if ok {
        Ok(())
    } else {
        Err(format!("--integration-user: '{name}' is not a Salesforce username; usernames look like email addresses, e.g. integration@yourcompany.com"))
    }
}

/// `--confirm CHECK_ID=NOTE` values: check id -> note.
pub(super) fn parse_confirmations(given: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut confirmations = BTreeMap::new();
    for item in given {
        let (id, note) = item.split_once('=').ok_or_else(|| {
            format!("--confirm: '{}' is not CHECK_ID=NOTE, e.g. --confirm 'app.scopes=App Manager shows api'", crate::echo::quoted(item))
        })?;
        let id = id.trim();
        if FindingId::parse(id).is_none() {
            return Err(format!(
                "--confirm: '{}' is not a check id; the ids are shown in brackets after each check, e.g. app.scopes",
                crate::echo::quoted(id)
            ));
        }
        if note.trim().is_empty() {
            return Err(format!(
                "--confirm: {id} has no note; say what you saw, e.g. --confirm '{id}=Seen in Setup with the admin'"
            ));
        }
        confirmations.insert(id.to_string(), note.trim().to_string());
    }
    Ok(confirmations)
}

/// The verdict once people's confirmations count (by the rules every report follows).
pub(super) fn confirm(report: &mut CheckReport, confirmations: &BTreeMap<String, String>) {
    let user = report.integration_user.clone();
    report.verdict = Verdict::with_confirmations(&report.checks, |f| {
        confirmations
            .get(f.id.as_str())
            .is_some_and(|note| confirmation_counts(f.id, note, user.as_deref()))
    });
}

/// The check as JSON: the run, whether the org is the simulated demo org, and the
/// confirmations given with whether each counted.
fn json(report: &CheckReport, simulated: bool, confirmations: &BTreeMap<String, String>) -> String {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("simulated".into(), simulated.into());
        let listed: Vec<serde_json::Value> = confirmations
            .iter()
            .map(|(id, note)| {
                let counts = report.checks.iter().any(|f| {
                    f.id.as_str() == id
                        && f.status == Status::Unknown
                        && confirmation_counts(f.id, note, report.integration_user.as_deref())
                });
                serde_json::json!({"check_id": id, "note": note, "counts": counts})
            })
            .collect();
        object.insert("manual_confirmations".into(), listed.into());
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

pub fn run(args: CheckArgs) -> ExitCode {
    let confirmations = match parse_confirmations(&args.confirm) {
        Ok(c) => c,
        Err(e) => return fail(BAD_INPUT, e),
    };
    let simulated = args.connection.demo.is_some();
    let (mut report, profile) = match check_org(
        &args.connection,
        &args.profile,
        args.integration_user.as_deref(),
        args.record.as_deref(),
    ) {
        Ok(done) => done,
        Err(code) => return code,
    };
    confirm(&mut report, &confirmations);
    let text = match args.format {
        Format::Json => json(&report, simulated, &confirmations),
        Format::Md => {
            let mut context = crate::report::ReportContext::now();
            context.simulated = simulated;
            context.confirmations = confirmations.clone();
            crate::report::markdown::render(&crate::report::Report::build(
                &report, &profile, &context,
            ))
        }
        Format::Text => plain(&report, simulated),
    };
    // A closed stdout (`| head`) ends the output, not the program.
    let _ = writeln!(std::io::stdout(), "{text}");
    exit_code(&report)
}

/// The exit code of a finished check: 0 ready, 1 not ready, 3 incomplete.
pub(super) fn exit_code(report: &CheckReport) -> ExitCode {
    ExitCode::from(match report.verdict {
        Verdict::Ready | Verdict::ReadyWithConfirmations => READY,
        Verdict::NotReady => NOT_READY,
        Verdict::Incomplete => COULD_NOT_CHECK,
    })
}

/// Validates the inputs, connects and runs the checks. On failure the error is printed and
/// the exit code returned.
pub(super) fn check_org(
    connection: &ConnectionArgs,
    profile_arg: &str,
    integration_user_arg: Option<&str>,
    record_arg: Option<&str>,
) -> Result<(CheckReport, Profile), ExitCode> {
    let profile = match profile::resolve(profile_arg) {
        Ok(p) => p,
        Err(e) => return Err(fail(BAD_INPUT, e)),
    };
    let record = match record_arg.map(|r| validate_record(&profile, r)).transpose() {
        Ok(r) => r,
        Err(e) => return Err(fail(BAD_INPUT, e)),
    };
    if let Some(user) = integration_user_arg {
        if let Err(e) = validate_username(user) {
            return Err(fail(BAD_INPUT, e));
        }
    }
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(e) => return Err(fail(COULD_NOT_CHECK, e)),
    };
    runtime.block_on(async move {
        let progress = Progress::new();
        progress.note("Connecting");
        // The same connection as every command: demo, saved login, CLI login or pasted session;
        // it also puts right an interrupted test write before anything else.
        let connected =
            match super::connect::connect(connection, integration_user_arg.map(str::to_string))
                .await
            {
                Ok(c) => c,
                Err((code, message)) => {
                    progress.clear();
                    return Err(fail(code, message));
                }
            };
        // A Case number costs one query to find its Id.
        let record_id = match &record {
            Some(input) => match crate::testwrite::resolve_input(&connected.client, input).await {
                Ok(id) => Some(id),
                Err(e) => {
                    progress.clear();
                    return Err(fail(BAD_INPUT, format!("--record: {e}")));
                }
            },
            None => None,
        };
        let request = CheckRequest {
            profile,
            integration_user: connected.integration_user.clone(),
            record_id,
        };
        // `connect` already read who is logged in: no second userinfo call.
        let report = readiness::run_as(&connected.client, &connected.identity, &request, &|note| {
            progress.note(note)
        })
        .await;
        progress.clear();
        match report {
            Ok(report) => Ok((report, request.profile)),
            Err(e) => Err(fail(
                COULD_NOT_CHECK,
                format!("could not check the org: {e}\n{}", e.explanation()),
            )),
        }
    })
}

/// A one-line status on stderr when it is a terminal; silent otherwise.
struct Progress {
    terminal: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn note(&self, text: &str) {
        if self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K... {text}");
            let _ = err.flush();
        }
    }

    fn clear(&self) {
        if self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

fn glyph(status: Status) -> &'static str {
    match status {
        Status::Pass => "[ ok ]",
        Status::Warn => "[warn]",
        Status::Fail => "[FAIL]",
        Status::Unknown => "[ ?? ]",
        Status::Skipped => "[ -- ]",
    }
}

pub(super) fn plain(report: &CheckReport, simulated: bool) -> String {
    let org = &report.org;
    let mut out = String::new();
    let kind = if simulated {
        "SIMULATED ORG"
    } else if org.is_sandbox {
        "SANDBOX"
    } else {
        "PRODUCTION"
    };
    out.push_str(&format!(
        "{} [{kind}] {} - {}\n",
        org.name, org.edition, org.instance_url
    ));
    out.push_str(&format!(
        "Profile {}; integration user {}; logged in as {}\n\n",
        report.profile,
        report.integration_user.as_deref().unwrap_or("(not chosen)"),
        org.logged_in_as
    ));
    // A text of several lines (one fix per field) keeps its lines under the finding.
    let indented = |text: &str| text.trim_end().replace('\n', "\n              ");
    for (step, findings) in steps(report) {
        out.push_str(&format!("{}\n", step.title()));
        for f in findings {
            out.push_str(&format!("  {} {}  ({})\n", glyph(f.status), f.title, f.id));
            if f.status != Status::Pass && !f.detail.is_empty() {
                out.push_str(&format!("         {}\n", indented(&f.detail)));
            }
            if let Some(fix) = f.fix.as_ref().filter(|_| f.status != Status::Pass) {
                out.push_str(&format!("         Fix: {}\n", indented(fix)));
            }
            if let Some(path) = f
                .setup_path
                .as_ref()
                .filter(|_| matches!(f.status, Status::Fail | Status::Unknown))
            {
                out.push_str(&format!("         Setup: {}{path}\n", org.instance_url));
            }
        }
        out.push('\n');
    }
    if !report.candidates.is_empty() {
        out.push_str(&format!(
            "Possible integration users: {}\n",
            report.candidates.join(", ")
        ));
    }
    let usage = org
        .api_usage
        .map(|u| format!("; org API use today {}/{}", u.used, u.max))
        .unwrap_or_default();
    out.push_str(&format!(
        "{}\n({} API calls in {} requests{usage})",
        verdict_line(report),
        report.api_calls,
        report.round_trips
    ));
    out
}
