//! The safe test write-back: pick a record, preflight without writing, optional rolled-back dry
//! run through anonymous Apex, then the write itself — journal first, PATCH the test values
//! (typed for each field as the org describes it) with `Sforce-Auto-Assign: FALSE`, read back,
//! restore guarded by `If-Unmodified-Since`, read back again, delete the journal only when
//! every field is proven back — and recovery of a journal an interrupted run left.
//!
//! It reads as plan, run, interpret: `plan` (which typed values, what cannot fit, the dry run's
//! Apex) and `interpret` (what a read-back proves) are sans-IO and unit-tested without an org;
//! this file is the driver that sends the requests.

pub mod interpret;
pub mod journal;
pub mod plan;
pub mod temporary_access;
pub mod value;

use crate::profile::Profile;
use crate::request::soql_string;
use crate::salesforce::{Client, Identity, SfError};
use crate::sfid;
use futures_util::future::BoxFuture;
pub use interpret::{FieldFate, LeftField, RecordRead};
use journal::{Journal, Stage};
pub use plan::TestWritePlan;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;
use value::shown;

/// Errors of a test write, in an admin's words; Salesforce's own code and message are kept.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TestWriteError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Salesforce(#[from] SfError),
    #[error("the journal could not be written, so nothing was changed: {0}")]
    Journal(String),
}

// ---- picking the record -------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecentRecord {
    pub id: String,
    pub number: String,
    pub subject: String,
    pub last_modified: String,
}

/// The most recently modified records of the object (one query).
pub async fn recent(client: &Client, object: &str) -> Result<Vec<RecentRecord>, SfError> {
    let number = if object == "Case" {
        "CaseNumber"
    } else {
        "Name"
    };
    let subject = if object == "Case" { ", Subject" } else { "" };
    let records = client
        .query(&format!(
            "SELECT Id, {number}{subject}, LastModifiedDate FROM {object} ORDER BY LastModifiedDate DESC LIMIT 10"
        ))
        .await?;
    Ok(records
        .iter()
        .map(|r| RecentRecord {
            id: text(r.get("Id")),
            number: text(r.get(number)),
            subject: text(r.get("Subject")),
            last_modified: text(r.get("LastModifiedDate")),
        })
        .collect())
}

fn text(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// What the admin typed: an Id (15 or 18 characters) or, for Case, a Case number.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordInput {
    Id(String),
    CaseNumber(String),
}

/// Parses a pasted Id, record URL or Case number; says what is wrong otherwise.
pub fn parse_record_input(object: &str, input: &str) -> Result<RecordInput, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err(format!(
            "type a {object} Id (from the record's URL) or pick a recent {object}"
        ));
    }
    // A pasted Lightning URL: .../lightning/r/Case/500.../view
    let candidate = input
        .split('/')
        .find(|part| {
            part.len() >= 15 && crate::sfid::key_prefix(object).is_some_and(|p| part.starts_with(p))
        })
        .unwrap_or(input);
    if object == "Case" && candidate.chars().all(|c| c.is_ascii_digit()) && candidate.len() <= 10 {
        return Ok(RecordInput::CaseNumber(format!("{:0>8}", candidate)));
    }
    let id = sfid::to_18(candidate)
        .map_err(|e| format!("'{input}' is not a {object} Id or Case number: {e}"))?;
    if let Some(prefix) = crate::sfid::key_prefix(object) {
        if !id.starts_with(prefix) {
            return Err(format!(
                "{input} is not a {object} Id ({object} Ids start with {prefix}); copy the Id from the record's URL"
            ));
        }
    }
    Ok(RecordInput::Id(id))
}

/// The record's 18-character Id (a Case number costs one query).
pub async fn resolve(client: &Client, object: &str, input: &str) -> Result<String, TestWriteError> {
    let parsed = parse_record_input(object, input).map_err(TestWriteError::BadInput)?;
    resolve_input(client, &parsed).await
}

/// The 18-character Id of an input `parse_record_input` read (a Case number costs one query).
pub async fn resolve_input(client: &Client, input: &RecordInput) -> Result<String, TestWriteError> {
    match input.clone() {
        RecordInput::Id(id) => Ok(id),
        RecordInput::CaseNumber(number) => {
            let records = client
                .query(&format!(
                    "SELECT Id FROM Case WHERE CaseNumber = {}",
                    soql_string(&number)
                ))
                .await?;
            records
                .first()
                .and_then(|r| r.get("Id"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    TestWriteError::BadInput(format!(
                        "there is no Case number {number} that you can see"
                    ))
                })
        }
    }
}

// ---- values -------------------------------------------------------------------------------

fn fields_path(object: &str, record_id: &str, fields: &[String]) -> String {
    let mut list: Vec<String> = fields.to_vec();
    list.push("LastModifiedDate".into());
    list.push("LastModifiedById".into());
    format!("sobjects/{object}/{record_id}?fields={}", list.join(","))
}

/// `LastModifiedDate` (`2026-11-21T10:00:00.000+0000`) as an HTTP date for `If-Unmodified-Since`.
pub fn http_date(stamp: &str) -> Option<String> {
    let parsed = crate::request::parse_datetime(stamp)?;
    let system: std::time::SystemTime = parsed.into();
    Some(httpdate::fmt_http_date(system))
}

// ---- explanations -------------------------------------------------------------------------

/// Why one field's write failed, in words, from Salesforce's error.
pub fn explain(field: &str, value: &Value, error: &SfError, writer: &str) -> String {
    let message = error.message().unwrap_or_default();
    let text = value.as_str().unwrap_or_default();
    match error.code() {
        Some("INVALID_FIELD") => format!("{field} does not exist or {writer} cannot see it (no field-level Read access)."),
        Some("INVALID_FIELD_FOR_INSERT_UPDATE") => format!("{writer} may read {field} but not edit it: field-level security is read-only. Give Edit on {field} in the integration's permission set."),
        Some("STRING_TOO_LONG") => format!("The test value is longer than {field} allows ({message}). Make the field longer."),
        Some("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST") => format!("{field} is a restricted picklist without the value '{text}'. Add the value to the picklist, or make it unrestricted."),
        Some("FIELD_CUSTOM_VALIDATION_EXCEPTION") => format!("A validation rule blocks changing {field}: \"{message}\". Let the integration user bypass it, or change the rule."),
        Some("INSUFFICIENT_ACCESS_OR_READONLY") => format!("{writer} may not edit this record ({message}): no Edit on the object, or no record access through sharing."),
        Some("ENTITY_IS_LOCKED") => "The record is locked (an approval process holds it); pick another record.".into(),
        Some("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY") => format!("An Apex trigger failed on the update: {message}"),
        Some("JSON_PARSER_ERROR") => format!("Salesforce could not read the test value {} as a value of {field}'s type ({message}). Check the field's type in Setup against the integration's profile.", shown(value)),
        Some("NUMBER_OUTSIDE_VALID_RANGE") => format!("The test value {} is too large for {field} ({message}). Give the field more digits.", shown(value)),
        Some("INVALID_EMAIL_ADDRESS") => format!("{field} takes only email addresses, and Salesforce refused {} ({message}).", shown(value)),
        Some(code) => format!("Salesforce refused {field}: {code}: {message}"),
        None => format!("{field}: {error}"),
    }
}

// ---- preflight ----------------------------------------------------------------------------

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Preflight {
    pub record_id: String,
    /// "Case 00001001: Cannot log in with SSO"
    pub record_label: String,
    /// The record's number as people know it (the Case number), when the object has one.
    pub record_name: Option<String>,
    pub current: Map<String, Value>,
    pub last_modified: Option<String>,
    /// The user the write runs as (the logged-in user).
    pub runs_as: String,
    pub integration_user: Option<String>,
    /// The integration user's access to the record (MaxAccessLevel), when known.
    pub integration_access: Option<String>,
    pub locked: Option<bool>,
    pub validation_rules: Vec<String>,
    pub triggers: Vec<String>,
    pub flows: Vec<String>,
    pub assignment_rules: Vec<String>,
    /// The logged-in user may run anonymous Apex (for the dry run).
    pub can_run_apex: bool,
    /// What the admin should know before writing, one line each.
    pub notes: Vec<String>,
    /// Reasons the write cannot work as things stand.
    pub blockers: Vec<String>,
    /// What the write would write, typed from the object's describe.
    pub plan: TestWritePlan,
}

/// Everything that can be known without writing: up to three composites (standard, split by
/// the composite limits, + Tooling), sent together; planned and read without IO
/// (`plan::preflight_requests`, `interpret::read_preflight`).
pub async fn preflight(
    client: &Client,
    identity: &Identity,
    profile: &Profile,
    record_id: &str,
    integration_user: Option<&str>,
) -> Result<Preflight, SfError> {
    let (standard, tooling) =
        plan::preflight_requests(profile, record_id, integration_user, &identity.user_id);
    let gathered = crate::readiness::fetch(client, &standard, &tooling).await?;
    Ok(interpret::read_preflight(
        profile,
        record_id,
        &identity.username,
        integration_user,
        &gathered.answers,
    ))
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

// ---- dry run ------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DryRun {
    pub would_succeed: bool,
    /// What would fail (compile problem or the DML exception), when something would.
    pub problem: Option<String>,
}

/// Runs the update in a savepoint that is rolled back: nothing changes (one API call).
pub async fn dry_run(client: &Client, plan: &TestWritePlan) -> Result<DryRun, SfError> {
    let apex = plan::dry_run_apex(plan);
    let body = client
        .get(&format!(
            "tooling/executeAnonymous/?anonymousBody={}",
            encode(&apex)
        ))
        .await?;
    let nonempty = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let apex_ok = body.get("success") == Some(&Value::Bool(true));
    let apex_problem = if body.get("compiled") == Some(&Value::Bool(false)) {
        nonempty("compileProblem").map(|p| format!("the dry-run script did not compile: {p}"))
    } else {
        nonempty("exceptionMessage")
    };
    // Values that cannot fit were left out of the script; the real write would still fail.
    let mut problems: Vec<String> = plan
        .unfit()
        .map(|(field, unfit)| format!("{}: {} ({})", field.name, unfit.explanation, unfit.code))
        .collect();
    if !apex_ok {
        problems
            .push(apex_problem.unwrap_or_else(|| "the dry run failed without a message".into()));
    }
    Ok(DryRun {
        would_succeed: problems.is_empty(),
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

// ---- the write ----------------------------------------------------------------------------

/// One field, side by side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldRow {
    pub field: String,
    pub before: Value,
    pub written: Option<Value>,
    pub after: Option<Value>,
    pub fate: FieldFate,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockedField {
    pub field: String,
    pub code: String,
    pub message: String,
    pub explanation: String,
    /// Found from the field's describe before writing: the value was never sent.
    #[serde(default)]
    pub found_before_writing: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestWriteReport {
    pub record_id: String,
    pub runs_as: String,
    pub rows: Vec<FieldRow>,
    /// The write worked and read back as written.
    pub write_ok: bool,
    /// Fields that block the write, each with why.
    pub blocked: Vec<BlockedField>,
    /// When the write failed but no single field did: the combined error.
    pub combined_error: Option<String>,
    /// The record is as it was (or holds only other people's changes), every field proven.
    pub restored: bool,
    /// What is left to do by hand, if anything, with the exact values to put back.
    pub left: Vec<String>,
    pub journal_deleted: bool,
    pub api_calls: u64,
}

/// Something the write can wait on between the write and the restore (the concurrency test's
/// edit, the interruption test's pause). Never set in normal use.
pub type BetweenHook<'a> = &'a (dyn Fn() -> BoxFuture<'static, ()> + Sync);

async fn read_record(
    client: &Client,
    object: &str,
    record_id: &str,
    fields: &[String],
) -> Result<RecordRead, SfError> {
    let body = client.get(&fields_path(object, record_id, fields)).await?;
    Ok(RecordRead::from_answer(&body, fields))
}

async fn patch(
    client: &Client,
    object: &str,
    record_id: &str,
    values: &Map<String, Value>,
    unmodified_since: Option<&str>,
) -> Result<(), SfError> {
    let mut headers = vec![("Sforce-Auto-Assign", "FALSE")];
    if let Some(since) = unmodified_since {
        headers.push(("If-Unmodified-Since", since));
    }
    client
        .send_json(
            Method::PATCH,
            &format!("sobjects/{object}/{record_id}"),
            &Value::Object(values.clone()),
            &headers,
        )
        .await
        .map(|_| ())
}

/// The test write of `plan` (from [`preflight`]), journalled in `data_dir`. Fields whose value
/// cannot fit are not sent and come back as blocked.
pub async fn run(
    client: &Client,
    identity: &Identity,
    plan: &TestWritePlan,
    data_dir: &Path,
    between: Option<BetweenHook<'_>>,
) -> Result<TestWriteReport, TestWriteError> {
    let before_calls = client.stats().api_calls;
    let object = &plan.object;
    let record_id = &plan.record_id;
    let fields = plan.field_names();
    let values = plan.values();
    let sendable: Vec<String> = fields
        .iter()
        .filter(|f| values.contains_key(*f))
        .cloned()
        .collect();
    let mut blocked: Vec<BlockedField> = plan
        .unfit()
        .map(|(field, unfit)| BlockedField {
            field: field.name.clone(),
            code: unfit.code.clone(),
            message: String::new(),
            explanation: unfit.explanation.clone(),
            found_before_writing: true,
        })
        .collect();
    // 1. Read the originals.
    let original_read = read_record(client, object, record_id, &fields).await?;
    if let Some(missing) = fields
        .iter()
        .find(|f| !original_read.values.contains_key(*f))
    {
        return Err(TestWriteError::BadInput(format!(
            "Salesforce's answer did not include {missing}, so its original value is unknown; nothing was written."
        )));
    }
    let kinds = plan.kinds();
    let unreadable = fields.iter().find(|f| {
        let kind = kinds.get(*f).copied().unwrap_or(value::ValueKind::Text);
        let v = &original_read.values[*f];
        value::same(kind, v, v).is_none()
    });
    if let Some(field) = unreadable {
        return Err(TestWriteError::BadInput(format!(
            "Salesforce answered {field} with {}, which is not a value of its type, so the original could not be put back with certainty; nothing was written.",
            shown(&original_read.values[field])
        )));
    }
    let original = original_read.values.clone();
    // 2. Journal before touching anything.
    let mut journal = Journal {
        instance_url: client.instance_url().to_string(),
        org_id: identity.organization_id.clone(),
        username: identity.username.clone(),
        user_id: identity.user_id.clone(),
        object: object.clone(),
        record_id: record_id.to_string(),
        original: original.clone(),
        test_values: values.clone(),
        kinds,
        read_back: Map::new(),
        written_fields: sendable.clone(),
        original_last_modified: original_read.last_modified.clone(),
        written_last_modified: None,
        stage: Stage::BeforeWrite,
        started_at: chrono::Utc::now().to_rfc3339(),
    };
    journal::save(data_dir, &journal).map_err(TestWriteError::Journal)?;
    // 3. Write.
    let mut combined_error = None;
    let written_fields: Vec<String> = if sendable.is_empty() {
        Vec::new()
    } else {
        match patch(client, object, record_id, &values, None).await {
            Ok(()) => sendable.clone(),
            Err(error) if error.status().is_some() => {
                // Nothing was written (a DML update is all or nothing): find the blocking field(s).
                let mut worked = Vec::new();
                let refused_before = blocked.len();
                for field in &sendable {
                    let mut one = Map::new();
                    one.insert(field.clone(), values[field].clone());
                    journal.written_fields =
                        worked.iter().cloned().chain([field.clone()]).collect();
                    journal.stage = Stage::Written;
                    journal::save(data_dir, &journal).map_err(TestWriteError::Journal)?;
                    match patch(client, object, record_id, &one, None).await {
                        Ok(()) => worked.push(field.clone()),
                        // No answer: this field may have been written. The journal just saved
                        // names it, so recovery puts it back.
                        Err(e) if e.status().is_none() => return Err(e.into()),
                        Err(e) => blocked.push(BlockedField {
                            field: field.clone(),
                            code: e.code().unwrap_or("ERROR").to_string(),
                            message: e.message().unwrap_or_default().to_string(),
                            explanation: explain(field, &values[field], &e, &identity.username),
                            found_before_writing: false,
                        }),
                    }
                }
                if blocked.len() == refused_before {
                    combined_error = Some(format!(
                        "Each field can be written alone, but not all together: {}",
                        explain("the fields", &Value::Null, &error, &identity.username)
                    ));
                }
                worked
            }
            Err(other) => {
                // No answer: the write may or may not have happened; the journal stays for recovery.
                journal.stage = Stage::Written;
                let _ = journal::save(data_dir, &journal);
                return Err(other.into());
            }
        }
    };
    journal.written_fields = written_fields.clone();
    journal.stage = Stage::Written;
    // 4. Read back and compare, each field by its type.
    let mut write_ok = false;
    let mut written_values = Map::new();
    if !written_fields.is_empty() {
        let back = read_record(client, object, record_id, &fields).await?;
        journal.written_last_modified = back.last_modified.clone();
        journal.read_back = back.values.clone();
        journal::save(data_dir, &journal).map_err(TestWriteError::Journal)?;
        write_ok = blocked.is_empty()
            && combined_error.is_none()
            && fields.iter().all(|f| {
                let kind = journal
                    .kinds
                    .get(f)
                    .copied()
                    .unwrap_or(value::ValueKind::Text);
                match (back.values.get(f), values.get(f)) {
                    (Some(read), Some(sent)) => value::same(kind, read, sent) == Some(true),
                    _ => false,
                }
            });
        written_values = back.values;
    } else {
        journal::save(data_dir, &journal).map_err(TestWriteError::Journal)?;
    }
    if let Some(hook) = between {
        hook().await;
    }
    // 5. Restore, guarded, and read back again.
    let restore = restore(client, &journal).await?;
    let restored = restore.left.is_empty();
    let mut journal_deleted = false;
    if restored {
        journal::remove(data_dir, &journal).map_err(TestWriteError::Journal)?;
        journal_deleted = true;
    }
    let rows = fields
        .iter()
        .map(|f| {
            let was_written = written_fields.contains(f);
            FieldRow {
                field: f.clone(),
                before: original.get(f).cloned().unwrap_or(Value::Null),
                written: was_written.then(|| written_values.get(f).cloned().unwrap_or(Value::Null)),
                after: restore.after.get(f).cloned(),
                fate: if !was_written {
                    FieldFate::Untouched
                } else {
                    restore.fates.get(f).cloned().unwrap_or(FieldFate::Unproven)
                },
            }
        })
        .collect();
    Ok(TestWriteReport {
        record_id: record_id.to_string(),
        runs_as: identity.username.clone(),
        rows,
        write_ok,
        blocked,
        combined_error,
        restored,
        left: restore.left,
        journal_deleted,
        api_calls: client.stats().api_calls - before_calls,
    })
}

/// What a restore did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Restore {
    pub fates: std::collections::BTreeMap<String, FieldFate>,
    /// Values after the restore, as read back (a field missing from the answer is absent).
    pub after: Map<String, Value>,
    /// What is left for a person to do; empty only when every field is proven as it should be.
    pub left: Vec<String>,
    /// The fields behind `left` with the exact values to put back.
    pub left_fields: Vec<LeftField>,
    /// Fields someone else changed after the test write (left alone).
    pub changed_by_others: Vec<String>,
}

/// Puts the journal's originals back on the fields that still hold the test's values, guarded
/// by `If-Unmodified-Since`; never touches a field someone else changed meanwhile, and leaves
/// every field it cannot prove back in `left`.
pub async fn restore(client: &Client, journal: &Journal) -> Result<Restore, SfError> {
    let object = &journal.object;
    let fields: Vec<String> = journal.original.keys().cloned().collect();
    let mut result = Restore::default();
    if journal.written_fields.is_empty() {
        for f in &fields {
            result.fates.insert(f.clone(), FieldFate::Untouched);
        }
        result.after = journal.original.clone();
        return Ok(result);
    }
    let current = read_record(client, object, &journal.record_id, &fields).await?;
    let decision = interpret::decide_restore(journal, &current);
    result.fates = decision.fates;
    result.changed_by_others = decision.changed_by_others;
    result.left_fields = decision.left;
    for f in &fields {
        if !decision.to_restore.contains_key(f) {
            result
                .fates
                .entry(f.clone())
                .or_insert(FieldFate::Untouched);
        }
    }
    let to_restore = decision.to_restore;
    let patched = !to_restore.is_empty();
    let mut put_back: Vec<String> = Vec::new();
    if patched {
        // Guard with the time we just read: a change between that read and this write is not overwritten.
        let since = current.last_modified.as_deref().and_then(http_date);
        match patch(
            client,
            object,
            &journal.record_id,
            &to_restore,
            since.as_deref(),
        )
        .await
        {
            Ok(()) => {
                for f in to_restore.keys() {
                    result.fates.insert(f.clone(), FieldFate::Restored);
                    put_back.push(f.clone());
                }
            }
            Err(e) => {
                for f in to_restore.keys() {
                    result.fates.insert(f.clone(), FieldFate::StillTestValue);
                }
                let fields = to_restore.keys().cloned().collect::<Vec<_>>().join(", ");
                let why = if e.status() == Some(412) {
                    "someone changed the record while the app was restoring it, so the app did not overwrite their change".to_string()
                } else {
                    format!("Salesforce refused the restore: {e}")
                };
                result.left.push(format!(
                    "{object} {} still holds the test values in {fields}: {why}. Put back the original values by hand: {}",
                    journal.record_id,
                    to_restore
                        .iter()
                        .map(|(k, v)| format!("{k} = {}", shown(v)))
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
    }
    // Read back only what changed since the read above; otherwise that read is the answer.
    let after = if patched {
        read_record(client, object, &journal.record_id, &fields).await?
    } else {
        current
    };
    // Every field restored now must read as its original; every field found restored before
    // was proven by the first read.
    for missing in interpret::verify_restored(journal, &put_back, &after) {
        result
            .fates
            .insert(missing.field.clone(), FieldFate::Unproven);
        result.left_fields.push(missing);
    }
    for field in &result.left_fields {
        result.left.push(field.line(object, &journal.record_id));
    }
    result.after = after.values;
    Ok(result)
}

/// What recovering one journal did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recovery {
    pub record_id: String,
    pub org_id: String,
    pub restore: Option<Restore>,
    /// One line for the admin.
    pub summary: String,
    pub journal_deleted: bool,
}

/// Restores every journal of this org in `data_dir`; journals of other orgs are only described.
pub async fn recover_all(client: &Client, identity: &Identity, data_dir: &Path) -> Vec<Recovery> {
    let mut out = Vec::new();
    for (path, parsed) in journal::pending(data_dir) {
        let journal = match parsed {
            Ok(j) => j,
            Err(message) => {
                out.push(Recovery {
                    record_id: String::new(),
                    org_id: String::new(),
                    restore: None,
                    summary: message,
                    journal_deleted: false,
                });
                continue;
            }
        };
        out.push(recover(client, identity, data_dir, &journal, &path).await);
    }
    out
}

/// Puts right everything interrupted test writes left in this org, one line each: the records
/// first (restoring them may need the temporary access), then the temporary access.
/// Costs nothing when there is no journal.
pub async fn recover_org(client: &Client, identity: &Identity, data_dir: &Path) -> Vec<String> {
    let mut lines: Vec<String> = recover_all(client, identity, data_dir)
        .await
        .into_iter()
        .map(|r| r.summary)
        .collect();
    lines.extend(temporary_access::recover_all(client, identity, data_dir).await);
    lines
}

/// What an interrupted test left, in words, without connecting.
pub fn describe_pending(journal: &Journal) -> String {
    format!(
        "An interrupted test write on {} {} ({}, started {} by {}) may have left test values in {}. Originals: {}.",
        journal.object,
        journal.record_id,
        journal.instance_url,
        journal.started_at,
        journal.username,
        journal.written_fields.join(", "),
        journal
            .original
            .iter()
            .map(|(k, v)| format!("{k} = {}", shown(v)))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

async fn recover(
    client: &Client,
    identity: &Identity,
    data_dir: &Path,
    journal: &Journal,
    path: &Path,
) -> Recovery {
    let base = Recovery {
        record_id: journal.record_id.clone(),
        org_id: journal.org_id.clone(),
        restore: None,
        summary: String::new(),
        journal_deleted: false,
    };
    if journal.org_id != identity.organization_id {
        return Recovery {
            summary: format!(
                "{} Connect to that org to restore it (the journal is kept at {}).",
                describe_pending(journal),
                path.display()
            ),
            ..base
        };
    }
    match restore(client, journal).await {
        Ok(restore) => {
            let deleted = restore.left.is_empty() && journal::remove(data_dir, journal).is_ok();
            let restored: Vec<&String> = restore
                .fates
                .iter()
                .filter(|(_, f)| **f == FieldFate::Restored)
                .map(|(k, _)| k)
                .collect();
            let back = if restored.is_empty() {
                "no field needed to go".to_string()
            } else {
                restored.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            };
            let plural = if restored.len() == 1 { "" } else { "s" };
            let mut summary = if restore.left.is_empty() {
                format!(
                    "Recovered the interrupted test write on {} {}: {back} back to the original value{plural}.",
                    journal.object, journal.record_id
                )
            } else {
                format!(
                    "The interrupted test write on {} {} is not proven restored; the journal is kept at {} and the next start tries again ({back} back to the original value{plural}).",
                    journal.object,
                    journal.record_id,
                    path.display()
                )
            };
            if !restore.changed_by_others.is_empty() {
                summary.push_str(&format!(
                    " Someone else changed {} since; the app left their values.",
                    restore.changed_by_others.join(", ")
                ));
            }
            for line in &restore.left {
                summary.push(' ');
                summary.push_str(line);
            }
            Recovery {
                summary,
                journal_deleted: deleted,
                restore: Some(restore),
                ..base
            }
        }
        Err(e) => Recovery {
            summary: format!(
                "{} The restore did not work yet ({e}); the journal is kept at {} and the next start tries again.",
                describe_pending(journal),
                path.display()
            ),
            ..base
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn last_modified_becomes_an_http_date() {
        assert_eq!(
            http_date("2026-11-18T14:02:11.000+0000").as_deref(),
            Some("Wed, 18 Nov 2026 14:02:11 GMT")
        );
        assert_eq!(
            http_date("2026-11-18T14:02:11Z").as_deref(),
            Some("Wed, 18 Nov 2026 14:02:11 GMT")
        );
        assert_eq!(http_date("yesterday"), None);
    }

    #[test]
    fn explanations_name_the_cause() {
        let error = |code: &str, message: &str| SfError::Api {
            status: 400,
            code: code.into(),
            message: message.into(),
            fields: vec![],
        };
        let e = explain(
            "X__c",
            &json!("v"),
            &error("INVALID_FIELD_FOR_INSERT_UPDATE", "m"),
            "u@x",
        );
        assert!(e.contains("field-level security"));
        let e = explain(
            "X__c",
            &json!("Neutral"),
            &error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "m"),
            "u@x",
        );
        assert!(e.contains("'Neutral'"));
        let e = explain(
            "X__c",
            &json!("v"),
            &error("FIELD_CUSTOM_VALIDATION_EXCEPTION", "No way."),
            "u@x",
        );
        assert!(e.contains("\"No way.\""));
        let e = explain(
            "X__c",
            &json!("v"),
            &error("STRING_TOO_LONG", "X: data value too large"),
            "u@x",
        );
        assert!(e.contains("longer than X__c allows"));
    }
}
