//! `writeback-setup report`, `verify-report` and `diff`: the confirmation report from the
//! command line.

use super::check::{check_org, exit_code};
use super::connect::{fail, BAD_INPUT};
use super::ConnectionArgs;
use crate::report::{self, Report, ReportContext, ReportFormat};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Html,
    Pdf,
    Md,
    Json,
}

impl From<FileFormat> for ReportFormat {
    fn from(f: FileFormat) -> ReportFormat {
        match f {
            FileFormat::Html => ReportFormat::Html,
            FileFormat::Pdf => ReportFormat::Pdf,
            FileFormat::Md => ReportFormat::Markdown,
            FileFormat::Json => ReportFormat::Json,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
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
    /// File format; by default taken from the --out file's extension.
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Where to write the report ("-" for standard output).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Hide usernames, emails and record values (for sending outside the company).
    #[arg(long)]
    pub redact: bool,
    /// Your name, shown as who prepared the report.
    #[arg(long, value_name = "NAME")]
    pub prepared_by: Option<String>,
    /// A check the app could not verify that you confirmed yourself, with what you saw, e.g.
    /// --confirm 'app.scopes=App Manager shows api' (repeatable): the report shows it as
    /// confirmed by a person, and the verdict says "ready, with manual confirmations".
    #[arg(long, value_name = "CHECK_ID=NOTE")]
    pub confirm: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A report saved as JSON by the app or by `report --format json`.
    #[arg(value_name = "FILE.json")]
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier report (JSON).
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The later report (JSON).
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
}

fn format_of(args: &ReportArgs) -> Result<ReportFormat, String> {
    if let Some(f) = args.format {
        return Ok(f.into());
    }
    ReportFormat::from_path(&args.out).ok_or_else(|| {
        format!(
            "--out {}: say the format with --format html|pdf|md|json, or end the file name in .html, .pdf, .md or .json",
            args.out.display()
        )
    })
}

pub fn run_report(args: ReportArgs) -> ExitCode {
    let format = match format_of(&args) {
        Ok(f) => f,
        Err(e) => return fail(BAD_INPUT, e),
    };
    // Said before the org is checked (and its API calls spent): the report could not be kept.
    if args.out.as_os_str() != "-" {
        if let Err(e) = crate::files::check_file_target(&args.out) {
            return fail(BAD_INPUT, e);
        }
    }
    let confirmations = match super::check::parse_confirmations(&args.confirm) {
        Ok(c) => c,
        Err(e) => return fail(BAD_INPUT, e),
    };
    let (mut check, profile) = match check_org(
        &args.connection,
        &args.profile,
        args.integration_user.as_deref(),
        args.record.as_deref(),
    ) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let mut context = ReportContext::now();
    context.prepared_by = args.prepared_by.clone().filter(|n| !n.trim().is_empty());
    // The demo org's report says so in every format.
    context.simulated = args.connection.demo.is_some();
    super::check::confirm(&mut check, &confirmations);
    context.confirmations = confirmations;
    let mut built = Report::build(&check, &profile, &context);
    if args.redact {
        built = report::redact::redact(&built);
    }
    let bytes = match report::render(&built, format) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.out.as_os_str() == "-" {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
            return ExitCode::FAILURE;
        }
    } else {
        if let Err(e) = crate::files::write_file(&args.out, &bytes) {
            return fail(BAD_INPUT, e);
        }
        eprintln!(
            "{}: {} report written to {} (SHA-256 {})",
            report::model::verdict_word(built.verdict),
            format.label(),
            args.out.display(),
            built.digest()
        );
    }
    exit_code(&check)
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = crate::files::read_limited(path, report::MAX_REPORT_FILE_BYTES)
        .map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| {
        format!(
            "{}: not a text file; open the .json file the app saved, not the PDF",
            path.display()
        )
    })
}

fn read_report(path: &Path) -> Result<Report, String> {
    let text = read_text(path)?;
    report::read_verified(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Exit code: 0 intact, 1 changed after it was made, 2 unreadable or not a report.
pub fn run_verify(args: VerifyArgs) -> ExitCode {
    let text = match read_text(&args.file) {
        Ok(t) => t,
        Err(e) => return fail(BAD_INPUT, e),
    };
    match report::read_verified(&text) {
        Ok(r) => {
            println!(
                "OK: {} is intact (SHA-256 {}).\n{} ({}), made {}: {}",
                args.file.display(),
                r.digest(),
                r.org.name,
                r.org.environment.word(),
                r.generated_at,
                report::model::verdict_word(r.verdict)
            );
            ExitCode::SUCCESS
        }
        Err(e @ report::ReportFileError::Tampered { .. }) => {
            println!("CHANGED: {}: {e}", args.file.display());
            ExitCode::from(1)
        }
        Err(e) => fail(BAD_INPUT, format!("{}: {e}", args.file.display())),
    }
}

/// Exit code as diff(1): 0 no changes, 1 changes, 2 trouble.
pub fn run_diff(args: DiffArgs) -> ExitCode {
    let (old, new) = match (read_report(&args.old), read_report(&args.new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(BAD_INPUT, e),
    };
    print!("{}", report::diff::render(&old, &new));
    if report::diff::diff(&old, &new).is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
