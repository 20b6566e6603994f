//! The confirmation report: the artifact that leaves the app. `model` is the versioned JSON
//! schema (built from a `CheckReport` plus the time, the profile, manual confirmations and the
//! test write-back); `html`, `pdf` and `markdown` render it; `integrity` seals and verifies the
//! JSON file; `redact` hides people and record values; `diff` compares two reports.

pub mod diff;
pub mod html;
pub mod integrity;
pub mod markdown;
pub mod model;
pub mod pdf;
pub mod redact;

pub use integrity::{read_verified, to_json_file, ReportFileError};

/// Largest report file read back (`verify-report`, `diff`, "Open a report…", the last run): a
/// report of a large org is well under a megabyte.
pub const MAX_REPORT_FILE_BYTES: u64 = 32 * 1024 * 1024;
pub use model::{Report, ReportContext};

/// What every format says of a report on the simulated demo org, near its top.
pub const SIMULATED_NOTE: &str = "SIMULATED ORG: these results come from the app's built-in demo org, not from a Salesforce org.";

use crate::checks::{CheckReport, Finding, Status, Step, Verdict};
use std::path::Path;

/// The file formats a report is saved in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Pdf,
    Markdown,
    Json,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 4] = [
        ReportFormat::Html,
        ReportFormat::Pdf,
        ReportFormat::Markdown,
        ReportFormat::Json,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Pdf => "pdf",
            ReportFormat::Markdown => "md",
            ReportFormat::Json => "json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportFormat::Html => "HTML",
            ReportFormat::Pdf => "PDF",
            ReportFormat::Markdown => "Markdown",
            ReportFormat::Json => "JSON",
        }
    }

    /// The format a file name asks for, by its extension.
    pub fn from_path(path: &Path) -> Option<ReportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.extension() == ext || (ext == "htm" && *f == ReportFormat::Html))
            .or((ext == "markdown").then_some(ReportFormat::Markdown))
    }
}

/// The report in a format, as the bytes of the file (JSON sealed with its digest).
pub fn render(report: &Report, format: ReportFormat) -> Result<Vec<u8>, pdf::PdfError> {
    Ok(match format {
        ReportFormat::Html => html::render(report).into_bytes(),
        ReportFormat::Pdf => pdf::render(report)?,
        ReportFormat::Markdown => markdown::render(report).into_bytes(),
        ReportFormat::Json => to_json_file(report).into_bytes(),
    })
}

/// A suggested file name: `writeback-readiness-acme-corp-2026-11-21.html`.
pub fn file_name(report: &Report, format: ReportFormat) -> String {
    let org: String = report
        .org
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let org = org
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let date: String = report.generated_at.chars().take(10).collect();
    format!(
        "writeback-readiness-{}-{date}.{}",
        if org.is_empty() { "org" } else { &org },
        format.extension()
    )
}

/// One line saying where the org stands.
pub fn verdict_line(report: &CheckReport) -> String {
    match report.verdict {
        Verdict::Ready => "READY: the org is set up for the write-back.".to_string(),
        // The checks alone never need a person; a report with confirmations says so itself.
        Verdict::ReadyWithConfirmations => {
            "READY, WITH MANUAL CONFIRMATIONS: people confirmed what the app could not verify."
                .to_string()
        }
        Verdict::NotReady => {
            let n = report
                .checks
                .iter()
                .filter(|c| c.status == Status::Fail)
                .count();
            format!(
                "NOT READY: {n} check{} failed. Fix them in order, then run the check again.",
                if n == 1 { "" } else { "s" }
            )
        }
        Verdict::Incomplete => {
            "INCOMPLETE: some checks could not run; see the ?? lines.".to_string()
        }
    }
}

/// Findings grouped by step, in order.
pub fn steps(report: &CheckReport) -> Vec<(Step, Vec<&Finding>)> {
    let mut out: Vec<(Step, Vec<&Finding>)> = Vec::new();
    for f in &report.checks {
        match out.last_mut() {
            Some((step, list)) if *step == f.step => list.push(f),
            _ => out.push((f.step, vec![f])),
        }
    }
    out
}
