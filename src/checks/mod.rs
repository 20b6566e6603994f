//! The readiness check engine: sans-IO. `plan` says what to fetch (as data), the driver
//! (`crate::readiness`) fetches it, and `evaluate` turns what came back into findings.
//! Nothing here does IO, reads a clock, or knows HTTP: the current time and every answer
//! are inputs, so the engine is tested with plain values.

mod evaluate;
mod plan;

pub use evaluate::{evaluate, pick_app, thousands, Evaluation};
pub use plan::{pack, plan, Plan, PlannedRequest, APP_METADATA_TYPES};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// The setup step a finding belongs to, in the order an admin works through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Connect,
    Fields,
    App,
    Access,
    Reauthorize,
    TestWrite,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Step::Connect => "Connect",
            Step::Fields => "1 Create the fields",
            Step::App => "2 Connected App scope",
            Step::Access => "3 Integration user access",
            Step::Reauthorize => "4 Re-authorize",
            Step::TestWrite => "Test write-back",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Unknown,
    Skipped,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "ok",
            Status::Warn => "warning",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
        }
    }
}

/// One check's result, in an admin's words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `user.field_access`.
    pub id: String,
    pub step: Step,
    pub status: Status,
    pub title: String,
    /// What was seen and why it matters.
    pub detail: String,
    /// What to do, when something is not right.
    pub fix: Option<String>,
    /// Path of the Setup page to open, relative to the org's URL.
    pub setup_path: Option<String>,
    /// For access checks: what grants (or would grant) the access, e.g. "permission set Enterpret Integration".
    pub granted_by: Vec<String>,
    /// What the app saw and where.
    pub evidence: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ready,
    NotReady,
    Incomplete,
}

impl Verdict {
    /// Ready when nothing fails and nothing is unknown; warnings and skipped checks do not block.
    pub fn of(findings: &[Finding]) -> Verdict {
        if findings.iter().any(|f| f.status == Status::Fail) {
            Verdict::NotReady
        } else if findings.iter().any(|f| f.status == Status::Unknown) {
            Verdict::Incomplete
        } else {
            Verdict::Ready
        }
    }
}

/// An error Salesforce (or the network) gave for one fetched item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FetchError {
    pub code: String,
    pub message: String,
}

/// Who ran the checks and where (from the login's identity).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LoggedIn {
    pub user_id: String,
    pub username: String,
    pub org_id: String,
}

/// What the checks are asked about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    pub integration_user: Option<String>,
    /// 18-character record Id for the record-access check.
    pub record_id: Option<String>,
    pub logged_in: LoggedIn,
    /// Now, as `2026-11-21T10:00:00Z` (an input so the engine stays pure).
    pub now: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    ConnectedApp,
    ExternalClientApp,
}

impl AppKind {
    pub fn label(self) -> &'static str {
        match self {
            AppKind::ConnectedApp => "Connected App",
            AppKind::ExternalClientApp => "External Client App",
        }
    }
}

/// An app the Metadata API lists.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppListing {
    pub kind: AppKind,
    /// The app's API name (for an ECA, the app's name, not its OAuth settings record).
    pub full_name: String,
    pub last_modified: Option<String>,
    pub namespace: Option<String>,
}

/// The OAuth settings of the integration's app, as read from the Metadata API.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AppSettings {
    pub full_name: String,
    pub label: Option<String>,
    /// Metadata scope names (`Api`, `Full`, `RefreshToken`, ...).
    pub scopes: Vec<String>,
    pub admin_approved_only: Option<bool>,
    pub permission_sets: Vec<String>,
    pub profiles: Vec<String>,
    pub refresh_token_policy: Option<String>,
    pub ip_relaxation: Option<String>,
}

/// Everything the driver fetched, keyed by the plan's reference ids.
#[derive(Clone, Debug, Default)]
pub struct Gathered {
    pub answers: HashMap<String, Result<Value, FetchError>>,
    pub app_listings: Option<Result<Vec<AppListing>, FetchError>>,
    pub app_settings: Option<Result<AppSettings, FetchError>>,
    /// Daily API use (used, max) from the last `Sforce-Limit-Info`.
    pub api_usage: Option<(u64, u64)>,
    /// When the whole org refused the API (e.g. `API_DISABLED_FOR_ORG`), the error.
    pub refused: Option<FetchError>,
}

/// The result of a run of the checks.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub verdict: Verdict,
    pub org: OrgSummary,
    pub profile: String,
    pub integration_user: Option<String>,
    /// Users who look like the integration user, when none was given.
    pub candidates: Vec<String>,
    pub checks: Vec<Finding>,
    pub api_calls: u64,
    pub round_trips: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OrgSummary {
    pub id: String,
    pub name: String,
    pub edition: String,
    pub is_sandbox: bool,
    pub instance: String,
    pub instance_url: String,
    pub api_version: String,
    pub logged_in_as: String,
    pub api_usage: Option<ApiUsageSummary>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ApiUsageSummary {
    pub used: u64,
    pub max: u64,
}
