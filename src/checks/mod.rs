//! The readiness check engine: sans-IO. `plan` says what to fetch (as data), the driver
//! (`crate::readiness`) fetches it, and `evaluate` turns what came back into findings.
//! Nothing here does IO, reads a clock, or knows HTTP: the current time and every answer
//! are inputs, so the engine is tested with plain values.

mod access;
mod app;
mod automation;
mod evaluate;
pub mod facts;
mod fields;
mod finding;
mod org;
mod other;
mod plan;
mod reauth;
#[cfg(test)]
mod tests;

pub use app::pick_app;
pub use automation::{field_references, reach, RuleReach};
pub use evaluate::{evaluate, judge, Evaluation};
pub use facts::Facts;
pub use finding::thousands;
pub use plan::{follow_up, pack, plan, value_sets, Plan, PlannedRequest, APP_METADATA_TYPES};

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
    /// Every step in order: navigation, the verdict banner, reports and tests iterate this.
    pub const ALL: [Step; 6] = [
        Step::Connect,
        Step::Fields,
        Step::App,
        Step::Access,
        Step::Reauthorize,
        Step::TestWrite,
    ];

    /// The step's name without its number ("Create the fields").
    pub fn name(self) -> &'static str {
        match self {
            Step::Connect => "Connect",
            Step::Fields => "Create the fields",
            Step::App => "Connected App scope",
            Step::Access => "Integration user access",
            Step::Reauthorize => "Re-authorize",
            Step::TestWrite => "Test write-back",
        }
    }

    /// Whether the step is setup work the admin does (numbered), rather than connecting or
    /// proving the result.
    pub fn is_setup(self) -> bool {
        !matches!(self, Step::Connect | Step::TestWrite)
    }

    /// The step's number among the setup steps (1-based), computed from the order of `ALL`.
    pub fn number(self) -> Option<usize> {
        if !self.is_setup() {
            return None;
        }
        Some(
            Step::ALL
                .iter()
                .take_while(|s| **s != self)
                .filter(|s| s.is_setup())
                .count()
                + 1,
        )
    }

    /// The step as lists show it: "1 Create the fields", "Test write-back".
    pub fn title(self) -> String {
        match self.number() {
            Some(n) => format!("{n} {}", self.name()),
            None => self.name().to_string(),
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

/// Every check's stable id, shared by the checks, the fixes, the UI and the reports (which
/// carry it as its text, e.g. `user.field_access`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FindingId {
    #[serde(rename = "org.api_access")]
    OrgApiAccess,
    #[serde(rename = "org.api_budget")]
    OrgApiBudget,
    /// Only when every check passed but a planned answer was missing or garbled.
    #[serde(rename = "org.answers")]
    OrgAnswers,
    #[serde(rename = "fields.exist")]
    FieldsExist,
    #[serde(rename = "fields.types")]
    FieldsTypes,
    #[serde(rename = "fields.picklist")]
    FieldsPicklist,
    #[serde(rename = "object.lookup_field")]
    ObjectLookupField,
    #[serde(rename = "object.record_type")]
    ObjectRecordType,
    #[serde(rename = "package.installed")]
    PackageInstalled,
    #[serde(rename = "object.required_fields")]
    ObjectRequiredFields,
    #[serde(rename = "app.found")]
    AppFound,
    #[serde(rename = "app.scopes")]
    AppScopes,
    #[serde(rename = "app.policy")]
    AppPolicy,
    #[serde(rename = "user.found")]
    UserFound,
    #[serde(rename = "user.api_enabled")]
    UserApiEnabled,
    #[serde(rename = "user.object_access")]
    UserObjectAccess,
    #[serde(rename = "user.field_access")]
    UserFieldAccess,
    #[serde(rename = "user.record_access")]
    UserRecordAccess,
    #[serde(rename = "reauth.token")]
    ReauthToken,
    #[serde(rename = "automation.object")]
    AutomationObject,
}

impl FindingId {
    pub const ALL: [FindingId; 20] = [
        FindingId::OrgApiAccess,
        FindingId::OrgApiBudget,
        FindingId::OrgAnswers,
        FindingId::FieldsExist,
        FindingId::FieldsTypes,
        FindingId::FieldsPicklist,
        FindingId::ObjectLookupField,
        FindingId::ObjectRecordType,
        FindingId::PackageInstalled,
        FindingId::ObjectRequiredFields,
        FindingId::AppFound,
        FindingId::AppScopes,
        FindingId::AppPolicy,
        FindingId::UserFound,
        FindingId::UserApiEnabled,
        FindingId::UserObjectAccess,
        FindingId::UserFieldAccess,
        FindingId::UserRecordAccess,
        FindingId::ReauthToken,
        FindingId::AutomationObject,
    ];

    /// The id as reports and the command line show it: `user.field_access`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::OrgApiAccess => "org.api_access",
            FindingId::OrgApiBudget => "org.api_budget",
            FindingId::OrgAnswers => "org.answers",
            FindingId::FieldsExist => "fields.exist",
            FindingId::FieldsTypes => "fields.types",
            FindingId::FieldsPicklist => "fields.picklist",
            FindingId::ObjectLookupField => "object.lookup_field",
            FindingId::ObjectRecordType => "object.record_type",
            FindingId::PackageInstalled => "package.installed",
            FindingId::ObjectRequiredFields => "object.required_fields",
            FindingId::AppFound => "app.found",
            FindingId::AppScopes => "app.scopes",
            FindingId::AppPolicy => "app.policy",
            FindingId::UserFound => "user.found",
            FindingId::UserApiEnabled => "user.api_enabled",
            FindingId::UserObjectAccess => "user.object_access",
            FindingId::UserFieldAccess => "user.field_access",
            FindingId::UserRecordAccess => "user.record_access",
            FindingId::ReauthToken => "reauth.token",
            FindingId::AutomationObject => "automation.object",
        }
    }

    /// The id of a report's text, when it is one of today's checks.
    pub fn parse(text: &str) -> Option<FindingId> {
        FindingId::ALL.into_iter().find(|id| id.as_str() == text)
    }

    /// The setup step the check belongs to.
    pub fn step(self) -> Step {
        match self {
            FindingId::OrgApiAccess | FindingId::OrgApiBudget | FindingId::OrgAnswers => {
                Step::Connect
            }
            FindingId::FieldsExist
            | FindingId::FieldsTypes
            | FindingId::FieldsPicklist
            | FindingId::ObjectLookupField
            | FindingId::ObjectRecordType
            | FindingId::PackageInstalled
            | FindingId::ObjectRequiredFields => Step::Fields,
            FindingId::AppFound | FindingId::AppScopes | FindingId::AppPolicy => Step::App,
            FindingId::UserFound
            | FindingId::UserApiEnabled
            | FindingId::UserObjectAccess
            | FindingId::UserFieldAccess
            | FindingId::UserRecordAccess => Step::Access,
            FindingId::ReauthToken => Step::Reauthorize,
            FindingId::AutomationObject => Step::TestWrite,
        }
    }

    /// Whether the check is about the integration user: a person's confirmation cannot stand in
    /// for it until an integration user is chosen (there is nobody to confirm it for).
    pub fn needs_integration_user(self) -> bool {
        matches!(
            self,
            FindingId::UserFound
                | FindingId::UserApiEnabled
                | FindingId::UserObjectAccess
                | FindingId::UserFieldAccess
                | FindingId::UserRecordAccess
                | FindingId::ReauthToken
        )
    }
}

/// An id equals its text (`FindingId::UserFound == "user.found"`), as reports carry it.
impl PartialEq<&str> for FindingId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's result, in an admin's words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `user.field_access`.
    pub id: FindingId,
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
    /// Ready because people confirmed what the app could not verify: not the same claim as
    /// `Ready`, so it is a verdict of its own everywhere it is shown.
    ReadyWithConfirmations,
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

    /// The verdict once people confirmed some unknown checks (`counts` says which confirmation
    /// counts): those pass, and when any did, the verdict is `ReadyWithConfirmations`.
    pub fn with_confirmations(findings: &[Finding], counts: impl Fn(&Finding) -> bool) -> Verdict {
        Verdict::of_confirmed(findings.iter().map(|f| (f.status, counts(f))))
    }

    /// The one verdict rule, over each check's status and whether a person's confirmation of it
    /// counts: a counted confirmation turns an unknown check into a pass, and then the verdict
    /// is `ReadyWithConfirmations`. The app, `check` and every report format use it.
    pub fn of_confirmed(checks: impl IntoIterator<Item = (Status, bool)>) -> Verdict {
        let checks: Vec<(Status, bool)> = checks.into_iter().collect();
        let confirmed = |(status, counts): &(Status, bool)| *status == Status::Unknown && *counts;
        if checks.iter().any(|(s, _)| *s == Status::Fail) {
            Verdict::NotReady
        } else if checks
            .iter()
            .any(|c| c.0 == Status::Unknown && !confirmed(c))
        {
            Verdict::Incomplete
        } else if checks.iter().any(confirmed) {
            Verdict::ReadyWithConfirmations
        } else {
            Verdict::Ready
        }
    }

    /// Whether the org may go ahead (with or without people's confirmations).
    pub fn is_ready(self) -> bool {
        matches!(self, Verdict::Ready | Verdict::ReadyWithConfirmations)
    }
}

/// A step's status from its checks' (effective) statuses: the worst of fail, unknown and warning;
/// skipped when every check was skipped; `None` when no check spoke to the step.
pub fn worst_status(statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
    let all: Vec<Status> = statuses.into_iter().collect();
    if all.is_empty() {
        return None;
    }
    for bad in [Status::Fail, Status::Unknown, Status::Warn] {
        if all.contains(&bad) {
            return Some(bad);
        }
    }
    Some(if all.iter().all(|s| *s == Status::Skipped) {
        Status::Skipped
    } else {
        Status::Pass
    })
}

/// Whether a person's confirmation of a check counts: it needs a note saying what they saw,
/// and a check about the integration user needs one chosen.
pub fn confirmation_counts(id: FindingId, note: &str, integration_user: Option<&str>) -> bool {
    !note.trim().is_empty() && (!id.needs_integration_user() || integration_user.is_some())
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

/// A duplicate rule's Metadata name and its Action on Edit (`Block`, `Allow`), when readable.
pub type DuplicateRuleAction = (String, Option<String>);

/// Everything the driver fetched, keyed by the plan's reference ids.
#[derive(Clone, Debug, Default)]
pub struct Gathered {
    pub answers: HashMap<String, Result<Value, FetchError>>,
    pub app_listings: Option<Result<Vec<AppListing>, FetchError>>,
    /// A kind of app that could not be listed (Salesforce guards External Client App settings
    /// behind an org permission) while the other kind was.
    pub app_listing_gap: Option<FetchError>,
    pub app_settings: Option<Result<AppSettings, FetchError>>,
    /// The active duplicate rules' Metadata (`fullName`, `actionOnUpdate`), when read.
    pub duplicate_rule_actions: Option<Result<Vec<DuplicateRuleAction>, FetchError>>,
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
