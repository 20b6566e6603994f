//! The safe test write-back: pick a record, preflight without writing, optional rolled-back dry
//! run through anonymous Apex, then the write itself — journal first, PATCH the profile's test
//! values with `Sforce-Auto-Assign: FALSE`, read back, restore guarded by `If-Unmodified-Since`,
//! read back again, delete the journal — and recovery of a journal an interrupted run left.
//!
//! Only the Salesforce client speaks HTTP; the decisions (value comparison, error explanations,
//! the Apex script, what to restore) are plain functions here, tested without an org.

pub mod journal;

use crate::checks::soql_string;
use crate::profile::Profile;
use crate::salesforce::{Client, Identity, SfError, SubRequest};
use crate::sfid;
use futures_util::future::BoxFuture;
use journal::{Journal, Stage};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;

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
    match parse_record_input(object, input).map_err(TestWriteError::BadInput)? {
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

/// The profile's test values, by field API name.
pub fn test_values(profile: &Profile) -> Map<String, Value> {
    profile
        .fields
        .iter()
        .map(|f| (f.api_name.clone(), Value::String(f.test_value.clone())))
        .collect()
}

/// Salesforce may give back `\r\n` for text typed in the UI and `null` for empty text.
pub fn same_value(a: &Value, b: &Value) -> bool {
    let normal = |v: &Value| match v {
        Value::String(s) if s.is_empty() => Value::Null,
        Value::String(s) => Value::String(s.replace("\r\n", "\n")),
        other => other.clone(),
    };
    normal(a) == normal(b)
}

fn fields_path(object: &str, record_id: &str, fields: &[String]) -> String {
    let mut list: Vec<String> = fields.to_vec();
    list.push("LastModifiedDate".into());
    list.push("LastModifiedById".into());
    format!("sobjects/{object}/{record_id}?fields={}", list.join(","))
}

/// `LastModifiedDate` (`2026-11-21T10:00:00.000+0000`) as an HTTP date for `If-Unmodified-Since`.
pub fn http_date(stamp: &str) -> Option<String> {
    let parsed = chrono::DateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(stamp))
        .ok()?;
    let system: std::time::SystemTime = parsed.with_timezone(&chrono::Utc).into();
    Some(httpdate::fmt_http_date(system))
}

// ---- explanations -------------------------------------------------------------------------

/// Why one field's write failed, in words, from Salesforce's error.
pub fn explain(field: &str, value: &Value, error: &SfError, writer: &str) -> String {
    let message = error.message().unwrap_or_default();
    let shown = value.as_str().unwrap_or_default();
    match error.code() {
        Some("INVALID_FIELD") => format!("{field} does not exist or {writer} cannot see it (no field-level Read access)."),
        Some("INVALID_FIELD_FOR_INSERT_UPDATE") => format!("{writer} may read {field} but not edit it: field-level security is read-only. Give Edit on {field} in the integration's permission set."),
        Some("STRING_TOO_LONG") => format!("The test value is longer than {field} allows ({message}). Make the field longer."),
        Some("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST") => format!("{field} is a restricted picklist without the value '{shown}'. Add the value to the picklist, or make it unrestricted."),
        Some("FIELD_CUSTOM_VALIDATION_EXCEPTION") => format!("A validation rule blocks changing {field}: \"{message}\". Let the integration user bypass it, or change the rule."),
        Some("INSUFFICIENT_ACCESS_OR_READONLY") => format!("{writer} may not edit this record ({message}): no Edit on the object, or no record access through sharing."),
        Some("ENTITY_IS_LOCKED") => "The record is locked (an approval process holds it); pick another record.".into(),
        Some("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY") => format!("An Apex trigger failed on the update: {message}"),
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
}

fn records_of(body: Result<&Value, SfError>) -> Result<Vec<Value>, SfError> {
    Ok(body?
        .get("records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// Everything that can be known without writing: up to three composites (standard, split when
/// its queries exceed the limit, + Tooling), sent together.
pub async fn preflight(
    client: &Client,
    identity: &Identity,
    profile: &Profile,
    record_id: &str,
    integration_user: Option<&str>,
) -> Result<Preflight, SfError> {
    let object = &profile.object;
    let fields: Vec<String> = profile.fields.iter().map(|f| f.api_name.clone()).collect();
    let quoted = soql_string(&profile.object);
    let record = soql_string(record_id);
    let mut standard = vec![SubRequest::get(
        "record",
        fields_path(object, record_id, &fields),
    )];
    if object == "Case" {
        standard[0].url = standard[0]
            .url
            .replacen("?fields=", "?fields=CaseNumber,Subject,", 1);
    }
    if let Some(user) = integration_user {
        standard.push(SubRequest::query(
            "iuser",
            &format!("SELECT Id FROM User WHERE Username = {}", soql_string(user)),
        ));
        standard.push(SubRequest::get(
            "access",
            format!(
                "query/?q={}'@{{iuser.records[0].Id}}'{}",
                encode("SELECT RecordId, HasEditAccess, MaxAccessLevel FROM UserRecordAccess WHERE UserId = "),
                encode(&format!(" AND RecordId = {record}"))
            ),
        ));
    }
    standard.push(SubRequest::query(
        "lock",
        &format!(
            "SELECT Id FROM ProcessInstance WHERE TargetObjectId = {record} AND Status = 'Pending'"
        ),
    ));
    standard.push(SubRequest::query(
        "flows",
        &format!("SELECT ApiName, Label FROM FlowDefinitionView WHERE TriggerObjectOrEvent.QualifiedApiName = {quoted} AND IsActive = true AND TriggerType IN ('RecordBeforeSave', 'RecordAfterSave')"),
    ));
    let mut standard_rest = vec![SubRequest::query(
        "apex",
        &format!(
            "SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = {} AND PermissionSet.PermissionsAuthorApex = true LIMIT 1",
            soql_string(&identity.user_id)
        ),
    )];
    if object == "Case" {
        standard_rest.push(SubRequest::query(
            "assignment",
            "SELECT Name FROM AssignmentRule WHERE SobjectType = 'Case' AND Active = true",
        ));
    }
    // Five queries at most per composite.
    let queries = standard
        .iter()
        .filter(|s| s.url.starts_with("query"))
        .count();
    let second: Vec<SubRequest> = if queries + standard_rest.len() > 5 {
        standard_rest
    } else {
        standard.extend(standard_rest);
        Vec::new()
    };
    let tooling = vec![
        SubRequest::query(
            "validation",
            &format!("SELECT ValidationName, ErrorDisplayField, ErrorMessage FROM ValidationRule WHERE EntityDefinition.QualifiedApiName = {quoted} AND Active = true"),
        ),
        SubRequest::query(
            "triggers",
            &format!("SELECT Name, UsageBeforeUpdate, UsageAfterUpdate FROM ApexTrigger WHERE TableEnumOrId = {quoted} AND Status = 'Active'"),
        ),
    ];
    let (first, more, tooled) = tokio::join!(
        client.composite(&standard),
        client.composite(&second),
        client.tooling_composite(&tooling)
    );
    let mut answers = first?;
    answers.extend(more?);
    answers.extend(tooled?);
    let answer = |name: &str| answers.iter().find(|a| a.reference_id == name);

    let mut pre = Preflight {
        record_id: record_id.to_string(),
        runs_as: identity.username.clone(),
        integration_user: integration_user.map(str::to_string),
        ..Preflight::default()
    };
    match answer("record").map(|a| a.json()) {
        Some(Ok(body)) => {
            for field in &fields {
                pre.current.insert(
                    field.clone(),
                    body.get(field).cloned().unwrap_or(Value::Null),
                );
            }
            pre.last_modified = body
                .get("LastModifiedDate")
                .and_then(Value::as_str)
                .map(str::to_string);
            pre.record_label = match (
                body.get("CaseNumber").and_then(Value::as_str),
                body.get("Subject").and_then(Value::as_str),
            ) {
                (Some(n), Some(s)) => format!("{object} {n}: {s}"),
                (Some(n), None) => format!("{object} {n}"),
                _ => format!("{object} {record_id}"),
            };
        }
        Some(Err(e)) => {
            let reason = match e.code() {
                Some("INVALID_FIELD") => format!(
                    "You ({}) cannot see every field the test writes. A field that is missing, or that you have no field-level security on (fields created through the API give it to no one but the permission sets that grant it), cannot be written. Create the fields, give yourself Read and Edit on them, or log in as the integration user. Salesforce said: {}",
                    identity.username,
                    e.message().unwrap_or_default()
                ),
                Some("NOT_FOUND") => format!("There is no {object} {record_id} that {} can see.", identity.username),
                Some("ENTITY_IS_DELETED") => format!("{object} {record_id} is in the Recycle Bin."),
                _ => format!("The record could not be read: {e}"),
            };
            pre.blockers.push(reason);
            pre.record_label = format!("{object} {record_id}");
        }
        None => {}
    }
    if let Some(user) = integration_user {
        match answer("access").map(|a| records_of(a.json())) {
            Some(Ok(rows)) if !rows.is_empty() => {
                let level = text(rows[0].get("MaxAccessLevel"));
                let edit = rows[0].get("HasEditAccess") == Some(&Value::Bool(true));
                if !edit {
                    pre.blockers.push(format!("{user} may not edit this record (access level {level}): the integration's writes to it would fail."));
                }
                pre.integration_access = Some(level);
            }
            _ => pre.notes.push(format!(
                "The access of {user} to this record could not be read (does the user exist?)."
            )),
        }
        if !identity.username.eq_ignore_ascii_case(user) {
            pre.notes.push(format!(
                "The write runs as you ({}), not as {user}: it proves the record, fields and automation accept the values, but not {user}'s own permissions. A true end-to-end test needs you to log in as {user}.",
                identity.username
            ));
        }
    } else {
        pre.notes.push(format!(
            "The write runs as you ({}); no integration user was chosen.",
            identity.username
        ));
    }
    match answer("lock").map(|a| records_of(a.json())) {
        Some(Ok(rows)) => {
            pre.locked = Some(!rows.is_empty());
            if !rows.is_empty() {
                pre.blockers.push(
                    "The record is locked by a pending approval; pick another record.".into(),
                );
            }
        }
        _ => pre
            .notes
            .push("Whether the record is locked could not be read.".into()),
    }
    if let Some(Ok(rows)) = answer("flows").map(|a| records_of(a.json())) {
        pre.flows = rows.iter().map(|r| text(r.get("Label"))).collect();
    }
    if let Some(Ok(rows)) = answer("apex").map(|a| records_of(a.json())) {
        pre.can_run_apex = !rows.is_empty();
    }
    if let Some(Ok(rows)) = answer("assignment").map(|a| records_of(a.json())) {
        pre.assignment_rules = rows.iter().map(|r| text(r.get("Name"))).collect();
    }
    if let Some(Ok(rows)) = answer("validation").map(|a| records_of(a.json())) {
        pre.validation_rules = rows
            .iter()
            .map(|r| {
                format!(
                    "{} (\"{}\")",
                    text(r.get("ValidationName")),
                    text(r.get("ErrorMessage"))
                )
            })
            .collect();
    }
    if let Some(Ok(rows)) = answer("triggers").map(|a| records_of(a.json())) {
        pre.triggers = rows
            .iter()
            .filter(|r| {
                r.get("UsageBeforeUpdate") == Some(&Value::Bool(true))
                    || r.get("UsageAfterUpdate") == Some(&Value::Bool(true))
            })
            .map(|r| text(r.get("Name")))
            .collect();
    }
    let automation = pre.validation_rules.len() + pre.triggers.len() + pre.flows.len();
    if automation > 0 {
        pre.notes.push(format!(
            "The write is a real update: {automation} automation{} on {object} may run (validation rules, triggers, flows); emails or other side effects they cause are real.",
            if automation == 1 { "" } else { "s" }
        ));
    }
    if !pre.assignment_rules.is_empty() {
        pre.notes.push("The write sends Sforce-Auto-Assign: FALSE, so the active assignment rule does not reassign the Case.".into());
    }
    Ok(pre)
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

// ---- dry run ------------------------------------------------------------------------------

/// An Apex string literal.
fn apex_string(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The dry run's anonymous Apex: the update inside a savepoint that is always rolled back.
pub fn dry_run_apex(object: &str, record_id: &str, values: &Map<String, Value>) -> String {
    let mut apex = String::from("Savepoint sp = Database.setSavepoint();\ntry {\n");
    apex.push_str(&format!(
        "    {object} r = new {object}(Id = {});\n",
        apex_string(record_id)
    ));
    for (field, value) in values {
        apex.push_str(&format!(
            "    r.{field} = {};\n",
            apex_string(value.as_str().unwrap_or_default())
        ));
    }
    if object == "Case" {
        apex.push_str("    Database.DMLOptions o = new Database.DMLOptions();\n    o.assignmentRuleHeader.useDefaultRule = false;\n    r.setOptions(o);\n");
    }
    apex.push_str("    update r;\n} finally {\n    Database.rollback(sp);\n}\n");
    apex
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DryRun {
    pub would_succeed: bool,
    /// What would fail (compile problem or the DML exception), when something would.
    pub problem: Option<String>,
}

/// Runs the update in a savepoint that is rolled back: nothing changes (one API call).
pub async fn dry_run(
    client: &Client,
    profile: &Profile,
    record_id: &str,
) -> Result<DryRun, SfError> {
    let apex = dry_run_apex(&profile.object, record_id, &test_values(profile));
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
    let success = body.get("success") == Some(&Value::Bool(true));
    let problem = if body.get("compiled") == Some(&Value::Bool(false)) {
        nonempty("compileProblem").map(|p| format!("the dry-run script did not compile: {p}"))
    } else {
        nonempty("exceptionMessage")
    };
    Ok(DryRun {
        would_succeed: success,
        problem: if success {
            None
        } else {
            problem.or(Some("the dry run failed without a message".into()))
        },
    })
}

// ---- the write ----------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFate {
    /// Back to its original value.
    Restored,
    /// Never changed (the write was refused for it).
    Untouched,
    /// Someone else changed it after the test write; left as they set it.
    ChangedBySomeoneElse,
    /// Still holds the test value (restore refused or not possible).
    StillTestValue,
}

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
    /// The record is as it was (or holds only other people's changes).
    pub restored: bool,
    /// What is left to do by hand, if anything.
    pub left: Vec<String>,
    pub journal_deleted: bool,
    pub api_calls: u64,
}

/// Something the write can wait on between the write and the restore (the concurrency test's
/// edit, the interruption test's pause). Never set in normal use.
pub type BetweenHook<'a> = &'a (dyn Fn() -> BoxFuture<'static, ()> + Sync);

async fn read_values(
    client: &Client,
    object: &str,
    record_id: &str,
    fields: &[String],
) -> Result<(Map<String, Value>, Option<String>, Option<String>), SfError> {
    let body = client.get(&fields_path(object, record_id, fields)).await?;
    let values = fields
        .iter()
        .map(|f| (f.clone(), body.get(f).cloned().unwrap_or(Value::Null)))
        .collect();
    let modified = body
        .get("LastModifiedDate")
        .and_then(Value::as_str)
        .map(str::to_string);
    let by = body
        .get("LastModifiedById")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((values, modified, by))
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

/// The test write of the profile's values on one record, journalled in `data_dir`.
pub async fn run(
    client: &Client,
    identity: &Identity,
    profile: &Profile,
    record_id: &str,
    data_dir: &Path,
    between: Option<BetweenHook<'_>>,
) -> Result<TestWriteReport, TestWriteError> {
    let before_calls = client.stats().api_calls;
    let object = &profile.object;
    let fields: Vec<String> = profile.fields.iter().map(|f| f.api_name.clone()).collect();
    let values = test_values(profile);
    // 1. Read the originals.
    let (original, original_modified, _) = read_values(client, object, record_id, &fields).await?;
    // 2. Journal before touching anything.
    let mut journal = Journal {
        instance_url: client.instance_url().to_string(),
        org_id: identity.organization_id.clone(),
        username: identity.username.clone(),
        object: object.clone(),
        record_id: record_id.to_string(),
        original: original.clone(),
        test_values: values.clone(),
        written_fields: fields.clone(),
        original_last_modified: original_modified,
        written_last_modified: None,
        stage: Stage::BeforeWrite,
        started_at: chrono::Utc::now().to_rfc3339(),
    };
    journal::save(data_dir, &journal).map_err(TestWriteError::Journal)?;
    // 3. Write.
    let mut blocked = Vec::new();
    let mut combined_error = None;
    let written_fields: Vec<String> = match patch(client, object, record_id, &values, None).await {
        Ok(()) => fields.clone(),
        Err(error) if error.status().is_some() => {
            // Nothing was written (a DML update is all or nothing): find the blocking field(s).
            let mut worked = Vec::new();
            for field in &fields {
                let mut one = Map::new();
                one.insert(field.clone(), values[field].clone());
                journal.written_fields = worked.iter().cloned().chain([field.clone()]).collect();
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
                    }),
                }
            }
            if blocked.is_empty() {
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
    };
    journal.written_fields = written_fields.clone();
    journal.stage = Stage::Written;
    // 4. Read back and compare.
    let mut write_ok = false;
    let mut written_values = Map::new();
    if !written_fields.is_empty() {
        let (back, modified, _) = read_values(client, object, record_id, &fields).await?;
        journal.written_last_modified = modified;
        journal::save(data_dir, &journal).map_err(TestWriteError::Journal)?;
        write_ok = blocked.is_empty()
            && combined_error.is_none()
            && fields.iter().all(|f| same_value(&back[f], &values[f]));
        written_values = back;
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
                before: original[f].clone(),
                written: was_written.then(|| written_values.get(f).cloned().unwrap_or(Value::Null)),
                after: restore.after.get(f).cloned(),
                fate: if !was_written {
                    FieldFate::Untouched
                } else {
                    restore
                        .fates
                        .get(f)
                        .cloned()
                        .unwrap_or(FieldFate::StillTestValue)
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
    /// Values after the restore, read back.
    pub after: Map<String, Value>,
    /// What is left for a person to do; empty when the record is as it should be.
    pub left: Vec<String>,
    /// Fields someone else changed after the test write (left alone).
    pub changed_by_others: Vec<String>,
}

/// Puts the journal's originals back on the fields that still hold the test values, guarded by
/// `If-Unmodified-Since`; never touches a field someone else changed meanwhile.
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
    let (current, modified, _) = read_values(client, object, &journal.record_id, &fields).await?;
    let mut to_restore = Map::new();
    for f in &journal.written_fields {
        let now = current.get(f).cloned().unwrap_or(Value::Null);
        let original = journal.original.get(f).cloned().unwrap_or(Value::Null);
        let test = journal.test_values.get(f).cloned().unwrap_or(Value::Null);
        if same_value(&now, &original) {
            result.fates.insert(f.clone(), FieldFate::Restored);
        } else if same_value(&now, &test) {
            to_restore.insert(f.clone(), original);
        } else {
            result
                .fates
                .insert(f.clone(), FieldFate::ChangedBySomeoneElse);
            result.changed_by_others.push(f.clone());
        }
    }
    for f in &fields {
        result
            .fates
            .entry(f.clone())
            .or_insert(FieldFate::Untouched);
    }
    // A PATCH was tried (even a refused one: someone else's edit is worth reading back).
    let patched = !to_restore.is_empty();
    if patched {
        // Guard with the time we just read: a change between that read and this write is not overwritten.
        let since = modified.as_deref().and_then(http_date);
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
        read_values(client, object, &journal.record_id, &fields)
            .await?
            .0
    } else {
        current
    };
    for (f, fate) in &result.fates {
        if *fate == FieldFate::Restored && !same_value(&after[f], &journal.original[f]) {
            result.left.push(format!(
                "{f} should be back to {} but reads {}",
                shown(&journal.original[f]),
                shown(&after[f])
            ));
        }
    }
    result.after = after;
    Ok(result)
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".into(),
        Value::String(s) => format!("\"{}\"", s.replace('\n', "\\n")),
        other => other.to_string(),
    }
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
            let mut summary = format!(
                "Recovered the interrupted test write on {} {}: {} back to the original value{}.",
                journal.object,
                journal.record_id,
                if restored.is_empty() { "no field needed to go".to_string() } else { restored.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ") },
                if restored.len() == 1 { "" } else { "s" }
            );
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
    fn values_compare_like_salesforce_returns_them() {
        assert!(same_value(&json!("a\r\nb"), &json!("a\nb")));
        assert!(same_value(&json!(""), &Value::Null));
        assert!(!same_value(&json!("Neutral"), &json!("neutral")));
        assert!(!same_value(&json!("x"), &Value::Null));
    }

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
    fn the_dry_run_apex_escapes_values_and_always_rolls_back() {
        let mut values = Map::new();
        values.insert("A__c".into(), json!("it's a \\ path\nnext"));
        let apex = dry_run_apex("Case", "5005g00000AbCdEAAV", &values);
        assert!(
            apex.contains("r.A__c = 'it\\'s a \\\\ path\\nnext';"),
            "{apex}"
        );
        assert!(apex.contains("o.assignmentRuleHeader.useDefaultRule = false;"));
        assert!(
            apex.trim_end().ends_with("Database.rollback(sp);\n}"),
            "{apex}"
        );
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
