//! The confirmation report as data: the versioned JSON schema every format renders
//! (documented in `docs/report-schema.md`). Built from a [`CheckReport`] plus what only the
//! caller knows: the time, the profile, manual confirmations and the test write-back.

use crate::checks::{confirmation_counts, CheckReport, Finding, Status, Step, Verdict};
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `schema` of every report file.
pub const SCHEMA: &str = "writeback-setup/report";
/// Bumped on any change a reader must know about; readers refuse newer versions.
/// 2: `simulated`, a step's `not_run` status, the `ready_with_confirmations` verdict.
pub const SCHEMA_VERSION: u32 = 2;

/// The whole report. Field order here is the order in the JSON file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub schema_version: u32,
    pub title: String,
    /// When the report was made, RFC 3339 in UTC (`2026-11-21T10:00:00Z`).
    pub generated_at: String,
    /// The version of writeback-setup that made it.
    pub app_version: String,
    /// True when usernames, emails and record values were hidden.
    pub redacted: bool,
    /// True when the org is the app's simulated demo org, not a Salesforce org: every format
    /// says SIMULATED ORG so a demo report is never taken for a real one.
    #[serde(default)]
    pub simulated: bool,
    pub verdict: Verdict,
    /// The verdict in one sentence.
    pub verdict_text: String,
    pub org: OrgInfo,
    pub run: RunInfo,
    pub profile: ProfileInfo,
    /// The steps in order, each with every check.
    pub steps: Vec<StepSection>,
    pub manual_confirmations: Vec<ManualConfirmation>,
    /// The safe test write-back, when one was made.
    pub test_write: Option<TestWrite>,
    /// What is left to do, and who must do it.
    pub open_items: Vec<OpenItem>,
    /// SHA-256 of the canonical JSON of everything above (see `integrity`). Absent while the
    /// report is being built; always present in a written file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<Integrity>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgInfo {
    /// 18-character organization Id.
    pub id: String,
    pub name: String,
    pub edition: String,
    pub environment: Environment,
    /// Salesforce instance, e.g. `NA224`.
    pub instance: String,
    pub instance_url: String,
    /// The My Domain name (`acme` of `acme.my.salesforce.com`), when the URL is a My Domain.
    pub my_domain: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    Sandbox,
}

impl Environment {
    pub fn word(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
        }
    }
}

/// Who ran the checks, how, and what it cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The person who prepared the report, when they gave a name.
    pub prepared_by: Option<String>,
    /// The Salesforce username the checks ran as.
    pub logged_in_as: String,
    /// The integration user the checks are about.
    pub integration_user: Option<String>,
    /// Users who look like the integration user, when none was given.
    pub candidates: Vec<String>,
    pub api_version: String,
    /// API calls the checks used (each counts against the org's daily quota).
    pub api_calls: u64,
    pub round_trips: u64,
    /// The org's API use today, as Salesforce reported it.
    pub org_api_usage: Option<ApiUsage>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiUsage {
    pub used: u64,
    pub max: u64,
}

/// The integration profile the org was checked against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub id: String,
    pub title: String,
    pub vendor: String,
    pub object: String,
    pub fields: Vec<FieldInfo>,
    pub app_label: String,
    pub required_scopes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldInfo {
    pub label: String,
    pub api_name: String,
    /// Metadata API type name (`LongTextArea`).
    pub field_type: String,
    /// The type as Setup names it (`Long Text Area`).
    pub type_label: String,
    pub length: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepSection {
    pub step: Step,
    pub title: String,
    /// The worst status of the step's checks, manual confirmations counted; for the test
    /// write-back, the test write's outcome (its automation scan is shown, it does not set this).
    pub status: StepStatus,
    pub checks: Vec<CheckEntry>,
}

/// A step's status in a report: a check's status, or `not_run` for a test write-back that has
/// not been made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pass,
    Warn,
    Fail,
    Unknown,
    Skipped,
    NotRun,
}

impl From<Status> for StepStatus {
    fn from(status: Status) -> StepStatus {
        match status {
            Status::Pass => StepStatus::Pass,
            Status::Warn => StepStatus::Warn,
            Status::Fail => StepStatus::Fail,
            Status::Unknown => StepStatus::Unknown,
            Status::Skipped => StepStatus::Skipped,
        }
    }
}

impl StepStatus {
    /// The check status it is drawn like (`None`: not run, drawn as not yet done).
    pub fn as_status(self) -> Option<Status> {
        match self {
            StepStatus::Pass => Some(Status::Pass),
            StepStatus::Warn => Some(Status::Warn),
            StepStatus::Fail => Some(Status::Fail),
            StepStatus::Unknown => Some(Status::Unknown),
            StepStatus::Skipped => Some(Status::Skipped),
            StepStatus::NotRun => None,
        }
    }

    pub fn word(self) -> &'static str {
        match self.as_status() {
            Some(status) => status.word(),
            None => "not run",
        }
    }

    /// The test write-back step's status: not run until a test write is made; ok when it was
    /// written and restored, fail when Salesforce refused it, warning when it went through but
    /// the record could not be proven restored.
    pub fn of_test_write(test_write: Option<&TestWrite>) -> StepStatus {
        match test_write {
            None => StepStatus::NotRun,
            Some(t) if !t.write_ok => StepStatus::Fail,
            Some(t) if !t.restored => StepStatus::Warn,
            Some(_) => StepStatus::Pass,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckEntry {
    pub id: String,
    /// The status the app saw (an unknown check a person confirmed stays `unknown` here).
    pub status: Status,
    pub title: String,
    /// What was seen and why it matters.
    pub seen: String,
    /// What grants (or would grant) the access.
    pub granted_by: Vec<String>,
    /// What to do; only for a check that does not pass.
    pub fix: Option<String>,
    /// The Setup page to open, as a full URL.
    pub setup_url: Option<String>,
    pub evidence: Vec<String>,
    /// Set when a person confirmed what the app could not verify.
    pub confirmed: Option<ManualConfirmation>,
}

/// A check a person confirmed because the app could not verify it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualConfirmation {
    pub check_id: String,
    pub title: String,
    pub note: String,
}

/// Evidence of the safe test write-back: one record, its values before, as written and as
/// restored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestWrite {
    pub object: String,
    pub record_id: String,
    /// The record's name (e.g. the Case number), when known.
    pub record_name: Option<String>,
    /// Written as this user.
    pub written_as: Option<String>,
    pub fields: Vec<FieldWrite>,
    pub written_at: String,
    pub restored_at: Option<String>,
    /// Every field reads back as before.
    pub restored: bool,
    /// The write went through and read back as written (false: Salesforce refused it).
    #[serde(default = "write_went_through")]
    pub write_ok: bool,
    /// What happened, in a sentence (e.g. why the write was refused).
    pub outcome: String,
}

/// Reports saved before `write_ok` existed only recorded writes that went through.
fn write_went_through() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldWrite {
    pub api_name: String,
    pub before: Option<String>,
    pub written: Option<String>,
    pub restored: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The customer's Salesforce admin.
    Admin,
    /// The integration's vendor.
    Vendor,
    /// The customer success manager running the call.
    Csm,
}

impl Actor {
    pub fn label(self) -> &'static str {
        match self {
            Actor::Admin => "Salesforce admin",
            Actor::Vendor => "Vendor",
            Actor::Csm => "CSM",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenItem {
    pub who: Actor,
    /// The check it comes from (none for the test write-back item).
    pub check_id: Option<String>,
    pub title: String,
    pub action: String,
    /// A warning: worth doing, does not block the integration.
    pub advisory: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Integrity {
    /// Always `sha256`.
    pub algorithm: String,
    /// Lowercase hex digest of the canonical JSON (the report without `integrity`, object keys
    /// sorted, no insignificant whitespace).
    pub digest: String,
}

/// What the caller adds to the checks' result.
#[derive(Clone, Debug, Default)]
pub struct ReportContext {
    /// Now, RFC 3339 UTC. Passed in so tests get fixed reports.
    pub now: String,
    pub app_version: String,
    pub prepared_by: Option<String>,
    /// Check id -> the note of a person's confirmation.
    pub confirmations: BTreeMap<String, String>,
    pub test_write: Option<TestWrite>,
    /// The checks ran against the app's simulated demo org.
    pub simulated: bool,
}

impl ReportContext {
    /// The context of a run now, by this build of the app.
    pub fn now() -> ReportContext {
        ReportContext {
            now: chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                .to_string(),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            ..ReportContext::default()
        }
    }
}

/// `acme` of `https://acme.my.salesforce.com` (also sandboxes: `acme--uat.sandbox.my...`).
pub fn my_domain(instance_url: &str) -> Option<String> {
    let host = url::Url::parse(instance_url).ok()?.host_str()?.to_string();
    // `name.my.salesforce.com` or `name.<partition>.my.salesforce.com` (sandbox, develop, ...).
    let prefix = host.strip_suffix(".my.salesforce.com")?;
    let name = prefix.split('.').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Whether an address may become a link in a report (web addresses only: never `javascript:`).
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Who acts on a check that does not pass.
fn actor_of(finding: &Finding) -> Actor {
    if finding.status == Status::Unknown {
        // The app could not see it: someone confirms with the customer on the call.
        return Actor::Csm;
    }
    match finding.id.as_str() {
        // The vendor supplies the app and the package the admin installs.
        "app.found" | "package.installed" => Actor::Vendor,
        _ => Actor::Admin,
    }
}

fn effective(status: Status, confirmed: bool) -> Status {
    if status == Status::Unknown && confirmed {
        Status::Pass
    } else {
        status
    }
}

fn verdict_text(verdict: Verdict, failing: usize, confirmed: usize) -> String {
    match verdict {
        Verdict::Ready => "The org is set up for the write-back.".to_string(),
        Verdict::ReadyWithConfirmations => format!(
            "Ready, with {confirmed} manual confirmation{}: the app verified every other check; people confirmed what it could not see.",
            if confirmed == 1 { "" } else { "s" }
        ),
        Verdict::NotReady => format!(
            "{failing} check{} failed. Fix them in order, then run the check again.",
            if failing == 1 { "" } else { "s" }
        ),
        Verdict::Incomplete => "Some checks could not run and nobody confirmed them.".to_string(),
    }
}

impl Report {
    /// The report of a run of the checks.
    pub fn build(check: &CheckReport, profile: &Profile, context: &ReportContext) -> Report {
        let org = &check.org;
        let setup_url = |path: &str| format!("{}{path}", org.instance_url.trim_end_matches('/'));
        let mut steps: Vec<StepSection> = Vec::new();
        let mut manual = Vec::new();
        let mut open_items = Vec::new();
        for (step, findings) in super::steps(check) {
            let mut checks = Vec::new();
            for f in findings {
                let confirmed =
                    context
                        .confirmations
                        .get(f.id.as_str())
                        .map(|note| ManualConfirmation {
                            check_id: f.id.as_str().to_string(),
                            title: f.title.clone(),
                            note: note.clone(),
                        });
                // Only an unknown check can be confirmed by a person, with a note, and a check
                // about the integration user only once one is chosen.
                let confirmed = confirmed.filter(|c| {
                    f.status == Status::Unknown
                        && confirmation_counts(f.id, &c.note, check.integration_user.as_deref())
                });
                if let Some(c) = &confirmed {
                    manual.push(c.clone());
                }
                let status = effective(f.status, confirmed.is_some());
                if matches!(status, Status::Fail | Status::Unknown | Status::Warn) {
                    let action = f
                        .fix
                        .clone()
                        .filter(|fix| !fix.is_empty())
                        .unwrap_or_else(|| match status {
                            Status::Unknown => "Confirm this with the customer's admin, then record it as confirmed in the app.".to_string(),
                            _ => f.detail.clone(),
                        });
                    open_items.push(OpenItem {
                        who: actor_of(f),
                        check_id: Some(f.id.as_str().to_string()),
                        title: f.title.clone(),
                        action,
                        advisory: status == Status::Warn,
                    });
                }
                checks.push(CheckEntry {
                    id: f.id.as_str().to_string(),
                    status: f.status,
                    title: f.title.clone(),
                    seen: f.detail.clone(),
                    granted_by: f.granted_by.clone(),
                    fix: f.fix.clone().filter(|_| f.status != Status::Pass),
                    setup_url: f.setup_path.as_deref().map(setup_url),
                    evidence: f.evidence.clone(),
                    confirmed,
                });
            }
            let status = if step == Step::TestWrite {
                StepStatus::of_test_write(context.test_write.as_ref())
            } else {
                crate::checks::worst_status(
                    checks
                        .iter()
                        .map(|c| effective(c.status, c.confirmed.is_some())),
                )
                .unwrap_or(Status::Pass)
                .into()
            };
            steps.push(StepSection {
                step,
                title: step.title(),
                status,
                checks,
            });
        }
        // The test write-back is a step of every report, made or not.
        if !steps.iter().any(|s| s.step == Step::TestWrite) {
            steps.push(StepSection {
                step: Step::TestWrite,
                title: Step::TestWrite.title(),
                status: StepStatus::of_test_write(context.test_write.as_ref()),
                checks: Vec::new(),
            });
        }
        let all_checks = || steps.iter().flat_map(|s| s.checks.iter());
        let failing = all_checks()
            .filter(|c| effective(c.status, c.confirmed.is_some()) == Status::Fail)
            .count();
        let refused_write = context.test_write.as_ref().filter(|t| !t.write_ok);
        let confirmed = all_checks()
            .filter(|c| c.status == Status::Unknown && c.confirmed.is_some())
            .count();
        // A refused test write-back outweighs passing checks: the real write would fail too.
        let verdict = if refused_write.is_some() {
            Verdict::NotReady
        } else {
            Verdict::of_confirmed(all_checks().map(|c| (c.status, c.confirmed.is_some())))
        };
        let verdict_text = match refused_write {
            Some(t) if failing == 0 => format!(
                "The checks pass, but the test write-back was refused: {}",
                t.outcome
            ),
            _ => verdict_text(verdict, failing, confirmed),
        };
        match &context.test_write {
            None if verdict.is_ready() => open_items.push(OpenItem {
                who: Actor::Csm,
                check_id: None,
                title: "No test write-back yet".into(),
                action: "Run the safe test write-back with the customer to prove a real write works end to end.".into(),
                advisory: true,
            }),
            Some(t) if !t.write_ok => open_items.push(OpenItem {
                who: Actor::Admin,
                check_id: None,
                title: format!("The test write-back on {} was refused", t.record_id),
                action: t.outcome.clone(),
                advisory: false,
            }),
            Some(t) if !t.restored => open_items.push(OpenItem {
                who: Actor::Admin,
                check_id: None,
                title: format!("The test record {} was not restored", t.record_id),
                action: "Compare the record's values with the 'before' column of the test write-back and set them back.".into(),
                advisory: false,
            }),
            _ => {}
        }
        // Most urgent first: blockers before advice, then by who acts.
        open_items.sort_by_key(|i| (i.advisory, i.who));
        Report {
            schema: SCHEMA.to_string(),
            schema_version: SCHEMA_VERSION,
            title: if context.simulated {
                format!("Write-back readiness: {} (SIMULATED ORG)", org.name)
            } else {
                format!("Write-back readiness: {}", org.name)
            },
            generated_at: context.now.clone(),
            app_version: context.app_version.clone(),
            redacted: false,
            simulated: context.simulated,
            verdict,
            verdict_text,
            org: OrgInfo {
                id: org.id.clone(),
                name: org.name.clone(),
                edition: org.edition.clone(),
                environment: if org.is_sandbox {
                    Environment::Sandbox
                } else {
                    Environment::Production
                },
                instance: org.instance.clone(),
                instance_url: org.instance_url.clone(),
                my_domain: my_domain(&org.instance_url),
            },
            run: RunInfo {
                prepared_by: context.prepared_by.clone(),
                logged_in_as: org.logged_in_as.clone(),
                integration_user: check.integration_user.clone(),
                candidates: check.candidates.clone(),
                api_version: org.api_version.clone(),
                api_calls: check.api_calls,
                round_trips: check.round_trips,
                org_api_usage: org.api_usage.map(|u| ApiUsage {
                    used: u.used,
                    max: u.max,
                }),
            },
            profile: ProfileInfo {
                id: profile.id.clone(),
                title: profile.title.clone(),
                vendor: profile.vendor.clone(),
                object: profile.object.clone(),
                fields: profile
                    .fields
                    .iter()
                    .map(|f| FieldInfo {
                        label: f.label.clone(),
                        api_name: f.api_name.clone(),
                        field_type: f.field_type.metadata_name().to_string(),
                        type_label: f.field_type.label().to_string(),
                        length: f.length,
                    })
                    .collect(),
                app_label: profile.app.label.clone(),
                required_scopes: profile.app.required_scopes.clone(),
            },
            steps,
            manual_confirmations: manual,
            test_write: context.test_write.clone(),
            open_items,
            integrity: None,
        }
    }

    /// Every check, in step order.
    pub fn checks(&self) -> impl Iterator<Item = &CheckEntry> {
        self.steps.iter().flat_map(|s| s.checks.iter())
    }

    /// An open item in a line: what, and where the fix is (the step), or the action itself
    /// when it comes from no check.
    pub fn open_item_text(&self, item: &OpenItem) -> String {
        let step = item.check_id.as_deref().and_then(|id| {
            self.steps
                .iter()
                .find(|s| s.checks.iter().any(|c| c.id == id))
        });
        match step {
            Some(step) => format!("{} (fix under \"{}\")", item.title, step.title),
            None => format!("{}. {}", item.title, item.action),
        }
    }

    /// The integrity digest, computing it when the report has none yet.
    pub fn digest(&self) -> String {
        match &self.integrity {
            Some(i) => i.digest.clone(),
            None => super::integrity::digest(self),
        }
    }

    /// Seals the report: sets `integrity` from the canonical JSON of the rest.
    pub fn sealed(mut self) -> Report {
        self.integrity = None;
        let digest = super::integrity::digest(&self);
        self.integrity = Some(Integrity {
            algorithm: "sha256".into(),
            digest,
        });
        self
    }
}

/// Status in a word for people ("ok", "fail", ...), with a confirmation shown as such.
pub fn status_word(status: Status, confirmed: bool) -> &'static str {
    if status == Status::Unknown && confirmed {
        "confirmed"
    } else {
        status.word()
    }
}

pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ready => "READY",
        Verdict::ReadyWithConfirmations => "READY, WITH MANUAL CONFIRMATIONS",
        Verdict::NotReady => "NOT READY",
        Verdict::Incomplete => "INCOMPLETE",
    }
}

impl TestWrite {
    /// The report's view of a finished test write (`written_at` as RFC 3339; the restore follows
    /// it within the same run, so it carries the same time when the record was restored).
    pub fn from_run(
        run: &crate::testwrite::TestWriteReport,
        object: &str,
        written_at: String,
    ) -> TestWrite {
        fn text(value: &serde_json::Value) -> Option<String> {
            match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        }
        let mut outcome = if run.write_ok && run.restored {
            "Written and read back as written, then restored: the record is as it was.".to_string()
        } else if !run.blocked.is_empty() {
            let blocked: Vec<String> = run
                .blocked
                .iter()
                .map(|b| {
                    if b.found_before_writing {
                        format!(
                            "{} (not sent; Salesforce would answer {}: {})",
                            b.field, b.code, b.explanation
                        )
                    } else {
                        format!("{} ({}: {})", b.field, b.code, b.explanation)
                    }
                })
                .collect();
            if run.blocked.iter().all(|b| b.found_before_writing) {
                format!(
                    "Not every test value fits its field: {}.",
                    blocked.join("; ")
                )
            } else {
                format!("Salesforce refused the write: {}.", blocked.join("; "))
            }
        } else if let Some(error) = &run.combined_error {
            format!("Salesforce refused the write: {error}")
        } else if run.write_ok {
            "Written and read back as written, but not everything could be restored.".to_string()
        } else {
            "The write did not go through.".to_string()
        };
        if !run.left.is_empty() {
            outcome.push_str(&format!(" Left to do: {}", run.left.join("; ")));
        }
        TestWrite {
            object: object.to_string(),
            record_id: run.record_id.clone(),
            record_name: None,
            written_as: Some(run.runs_as.clone()),
            fields: run
                .rows
                .iter()
                .map(|row| FieldWrite {
                    api_name: row.field.clone(),
                    before: text(&row.before),
                    written: row.written.as_ref().and_then(text),
                    restored: row.after.as_ref().and_then(text),
                })
                .collect(),
            restored_at: run.restored.then(|| written_at.clone()),
            written_at,
            restored: run.restored,
            write_ok: run.write_ok,
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_write_back_step_is_not_run_until_a_test_write_is_made() {
        let made = |write_ok: bool, restored: bool| TestWrite {
            object: "Case".into(),
            record_id: "5005g00000AbCdEAAV".into(),
            record_name: None,
            written_as: None,
            fields: Vec::new(),
            written_at: "2026-11-21T10:01:02Z".into(),
            restored_at: None,
            restored,
            write_ok,
            outcome: String::new(),
        };
        assert_eq!(StepStatus::of_test_write(None), StepStatus::NotRun);
        assert_eq!(StepStatus::of_test_write(None).word(), "not run");
        assert_eq!(
            StepStatus::of_test_write(Some(&made(true, true))),
            StepStatus::Pass
        );
        assert_eq!(
            StepStatus::of_test_write(Some(&made(false, true))),
            StepStatus::Fail
        );
        assert_eq!(
            StepStatus::of_test_write(Some(&made(true, false))),
            StepStatus::Warn
        );
        // Files of version 1 read: their step statuses are check statuses.
        let old: StepStatus = serde_json::from_str("\"warn\"").unwrap();
        assert_eq!(old, StepStatus::Warn);
        assert_eq!(
            serde_json::to_string(&StepStatus::NotRun).unwrap(),
            "\"not_run\""
        );
    }

    #[test]
    fn my_domain_names() {
        assert_eq!(
            my_domain("https://acme.my.salesforce.com").as_deref(),
            Some("acme")
        );
        assert_eq!(
            my_domain("https://acme--uat.sandbox.my.salesforce.com").as_deref(),
            Some("acme--uat")
        );
        assert_eq!(my_domain("https://na224.salesforce.com"), None);
        assert_eq!(my_domain("http://127.0.0.1:3000"), None);
        assert_eq!(my_domain("not a url"), None);
        assert_eq!(
            my_domain("https://acme.patch.my.salesforce.com").as_deref(),
            Some("acme")
        );
        assert_eq!(
            my_domain("https://acme.my.salesforce.com.evil.example"),
            None
        );
        assert!(is_web_url("HTTPS://acme.my.salesforce.com/lightning/setup"));
        assert!(!is_web_url("javascript:alert(1)"));
    }
}
