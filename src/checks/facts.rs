//! The answers the driver fetched (`Gathered`, JSON by reference id), read once into typed
//! facts. Every check, the fix planner and the test write's preflight read these structs, never
//! JSON by string paths. Nothing here judges; it only says what Salesforce answered.

use super::{AppListing, AppSettings, FetchError, Gathered, Inputs};
use crate::profile::{FieldType, Profile};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub(crate) type Record = Map<String, Value>;

/// What came back for one question: `None` when it was not asked (or not answered),
/// `Some(Err)` with Salesforce's error, `Some(Ok)` with the answer.
pub type Fetched<T> = Option<Result<T, FetchError>>;

/// Value at a dotted path (`Assignee.Profile.Name`) of a record; null is none.
pub(crate) fn at<'a>(record: &'a Record, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = record.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    (!current.is_null()).then_some(current)
}

pub(crate) fn text<'a>(record: &'a Record, path: &str) -> Option<&'a str> {
    at(record, path).and_then(Value::as_str)
}

pub(crate) fn flag(record: &Record, path: &str) -> bool {
    at(record, path).and_then(Value::as_bool).unwrap_or(false)
}

fn owned(record: &Record, path: &str) -> Option<String> {
    text(record, path).map(str::to_string)
}

/// The records of a query answer.
pub(crate) fn records_of(value: &Value) -> Vec<Record> {
    crate::request::records(value)
        .map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default()
}

fn child_records(record: &Record, relationship: &str) -> Vec<Record> {
    record.get(relationship).map(records_of).unwrap_or_default()
}

fn answer<'a>(g: &'a Gathered, id: &str) -> Option<Result<&'a Value, &'a FetchError>> {
    g.answers.get(id).map(|r| r.as_ref())
}

/// The code of a [`FetchError`] for an answer that arrived but is not the shape asked for.
pub const UNREADABLE_ANSWER: &str = "UNREADABLE_ANSWER";

/// The records of a query's answer. An answer without a `records` array is not a query
/// result: it reads as an error (nothing can be told from it), never as "no rows".
fn rows(g: &Gathered, id: &str) -> Fetched<Vec<Record>> {
    answer(g, id).map(|r| match r {
        Ok(value) if crate::request::records(value).is_some() => Ok(records_of(value)),
        Ok(_) => Err(FetchError {
            code: UNREADABLE_ANSWER.into(),
            message: format!("the answer to '{id}' is not a query result"),
        }),
        Err(e) => Err(e.clone()),
    })
}

/// The records of an sObject Relationships answer (`PlannedRequest::related`): a query-shaped
/// answer, or, since the REST guide shows no body for a set of records, a bare list of them;
/// 200 with no body is no related records ("a 200 response is returned" when "no relationship
/// set exists").
fn related_rows(g: &Gathered, id: &str) -> Fetched<Vec<Record>> {
    match answer(g, id)? {
        Ok(Value::Null) => Some(Ok(Vec::new())),
        Ok(Value::Array(items)) => Some(Ok(items
            .iter()
            .filter_map(|r| r.as_object().cloned())
            .collect())),
        _ => rows(g, id),
    }
}

/// Whether an sObject Relationships answer is one [`related_rows`] reads.
pub(crate) fn is_related_answer(value: &Value) -> bool {
    value.is_null() || value.is_array() || crate::request::records(value).is_some()
}

fn read<T>(g: &Gathered, id: &str, each: impl Fn(&Record) -> Option<T>) -> Fetched<Vec<T>> {
    rows(g, id).map(|r| r.map(|rows| rows.iter().filter_map(&each).collect()))
}

/// A permission set licence id: Salesforce's key prefix for PermissionSetLicense.
fn is_permission_set_licence(id: &str) -> bool {
    id.starts_with("0PL")
}

// ---- the org --------------------------------------------------------------------------------

#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrgFacts {
    pub id: String,
    pub name: String,
    pub edition: String,
    pub is_sandbox: bool,
    pub instance: String,
    pub trial_expiration: Option<String>,
    /// The org-wide default of the profile's object (`Organization.DefaultCaseAccess` ...):
    /// `None`, `Read`, `Edit`, `ReadEditTransfer`, `ControlledByParent`, `All`.
    pub default_access: Option<String>,
}

// ---- fields ---------------------------------------------------------------------------------

/// Why a field cannot be written by anyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOnlyKind {
    Formula,
    AutoNumber,
    RollUpSummary,
}

impl ReadOnlyKind {
    pub fn words(self) -> &'static str {
        match self {
            ReadOnlyKind::Formula => "a formula field",
            ReadOnlyKind::AutoNumber => "an auto-number field",
            ReadOnlyKind::RollUpSummary => "a roll-up summary field",
        }
    }
}

/// A field as the logged-in user's describe shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Described {
    /// Field-level security applies (false for required and system fields, which follow the
    /// object's permissions).
    pub permissionable: bool,
    pub filterable: bool,
    pub external_id: bool,
    pub restricted_picklist: bool,
    /// Only the active values: Salesforce refuses an inactive one on a restricted picklist.
    pub active_values: Vec<String>,
}

/// A picklist's values as the Tooling `CustomField.Metadata` (or its global value set) has them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PicklistMetadata {
    pub restricted: bool,
    pub active_values: Vec<String>,
    /// The global value set the field takes its values from, when it does.
    pub global_value_set: Option<String>,
}

/// What the org has for one field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldSeen {
    pub field_type: Option<FieldType>,
    pub length: Option<u32>,
    pub read_only: Option<ReadOnlyKind>,
    pub describe: Option<Described>,
    /// For profile fields with values: the metadata path's picklist (fields the logged-in user
    /// cannot see are not in the describe).
    pub picklist_metadata: Fetched<PicklistMetadata>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldFacts {
    /// By lower-case API name.
    pub seen: BTreeMap<String, FieldSeen>,
    /// The Tooling field definitions were read (a missing field is really missing).
    pub definitions_ok: bool,
    /// Fields a new record needs that nobody defaults (`object.required_fields`).
    pub required_on_create: Vec<String>,
}

impl FieldFacts {
    pub fn get(&self, api_name: &str) -> Option<&FieldSeen> {
        self.seen.get(&api_name.to_lowercase())
    }
}

fn describe_type(d: &Record) -> Option<FieldType> {
    let length = at(d, "length").and_then(Value::as_u64).unwrap_or(0);
    Some(match text(d, "type")? {
        "string" => FieldType::Text,
        "textarea"
            if text(d, "extraTypeInfo") == Some("richtextarea") || flag(d, "htmlFormatted") =>
        {
            FieldType::Html
        }
        "textarea" if length > 255 => FieldType::LongTextArea,
        "textarea" => FieldType::TextArea,
        "picklist" => FieldType::Picklist,
        "multipicklist" => FieldType::MultiselectPicklist,
        "boolean" => FieldType::Checkbox,
        "double" | "int" | "currency" | "percent" | "long" => FieldType::Number,
        "date" => FieldType::Date,
        "datetime" => FieldType::DateTime,
        "email" => FieldType::Email,
        "phone" => FieldType::Phone,
        "url" => FieldType::Url,
        "reference" => FieldType::Lookup,
        _ => return None,
    })
}

/// `FieldDefinition.DataType` kinds nobody can write: "Auto Number", "Roll-Up Summary (...)",
/// "Formula (...)".
fn read_only_data_type(data_type: &str) -> Option<ReadOnlyKind> {
    let lower = data_type.trim().to_ascii_lowercase();
    if lower.starts_with("auto number") {
        Some(ReadOnlyKind::AutoNumber)
    } else if lower.starts_with("roll-up summary") {
        Some(ReadOnlyKind::RollUpSummary)
    } else if lower.starts_with("formula") {
        Some(ReadOnlyKind::Formula)
    } else {
        None
    }
}

fn picklist_metadata(
    row: &Record,
    global_sets: &BTreeMap<String, PicklistMetadata>,
) -> Option<PicklistMetadata> {
    let value_set = at(row, "Metadata.valueSet")?.as_object()?.clone();
    if let Some(name) = value_set.get("valueSetName").and_then(Value::as_str) {
        let from_set = global_sets.get(&name.to_lowercase()).cloned();
        return Some(PicklistMetadata {
            // A global value set is always restricted.
            restricted: true,
            active_values: from_set.map(|s| s.active_values).unwrap_or_default(),
            global_value_set: Some(name.to_string()),
        });
    }
    let restricted = value_set
        .get("restricted")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let active_values = value_set
        .get("valueSetDefinition")
        .and_then(|d| d.get("value"))
        .and_then(Value::as_array)
        .map(|values| active_custom_values(values))
        .unwrap_or_default();
    Some(PicklistMetadata {
        restricted,
        active_values,
        global_value_set: None,
    })
}

/// Metadata `CustomValue` entries that are active (`isActive` absent counts as active).
fn active_custom_values(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter(|v| v.get("isActive") != Some(&Value::Bool(false)))
        .filter_map(|v| v.get("fullName").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// Global value sets read in the second round (`GlobalValueSet.Metadata`), by lower-case name.
fn global_value_sets(g: &Gathered) -> BTreeMap<String, PicklistMetadata> {
    let mut sets = BTreeMap::new();
    for (id, answer) in &g.answers {
        if !id.starts_with("gvs_") {
            continue;
        }
        let Ok(body) = answer else { continue };
        let record = body.as_object().cloned().unwrap_or_default();
        // A GET of the row or a one-row query.
        let row = records_of(body).into_iter().next().unwrap_or(record);
        let Some(name) = owned(&row, "DeveloperName").or_else(|| owned(&row, "FullName")) else {
            continue;
        };
        let values = at(&row, "Metadata.customValue")
            .and_then(Value::as_array)
            .map(|v| active_custom_values(v))
            .unwrap_or_default();
        sets.insert(
            name.to_lowercase(),
            PicklistMetadata {
                restricted: true,
                active_values: values,
                global_value_set: Some(name),
            },
        );
    }
    sets
}

fn read_fields(profile: &Profile, g: &Gathered) -> FieldFacts {
    let mut facts = FieldFacts::default();
    let described: Vec<Record> = answer(g, "describe")
        .and_then(Result::ok)
        .and_then(|d| d.get("fields"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|f| f.as_object().cloned()).collect())
        .unwrap_or_default();
    let definitions = rows(g, "fields");
    facts.definitions_ok = matches!(definitions, Some(Ok(_)));
    for def in definitions.and_then(Result::ok).unwrap_or_default() {
        let Some(name) = text(&def, "QualifiedApiName") else {
            continue;
        };
        let data_type = text(&def, "DataType").unwrap_or("");
        let parsed = FieldType::from_data_type(data_type);
        let length = at(&def, "Length")
            .and_then(Value::as_u64)
            .filter(|l| *l > 0)
            .map(|l| l as u32);
        facts.seen.insert(
            name.to_lowercase(),
            FieldSeen {
                field_type: parsed.map(|p| p.0),
                length: parsed.and_then(|p| p.1).or(length),
                read_only: read_only_data_type(data_type)
                    .or(parsed.filter(|p| p.2).map(|_| ReadOnlyKind::Formula)),
                ..FieldSeen::default()
            },
        );
    }
    for d in &described {
        let Some(name) = text(d, "name") else {
            continue;
        };
        let entry = facts.seen.entry(name.to_lowercase()).or_default();
        entry.field_type = describe_type(d).or(entry.field_type);
        if let Some(length) = at(d, "length").and_then(Value::as_u64).filter(|l| *l > 0) {
            entry.length = Some(length as u32);
        }
        if flag(d, "autoNumber") {
            entry.read_only = Some(ReadOnlyKind::AutoNumber);
        } else if flag(d, "calculated") && entry.read_only.is_none() {
            entry.read_only = Some(ReadOnlyKind::Formula);
        }
        entry.describe = Some(Described {
            permissionable: flag(d, "permissionable"),
            filterable: flag(d, "filterable"),
            external_id: flag(d, "externalId") || flag(d, "idLookup"),
            restricted_picklist: flag(d, "restrictedPicklist"),
            active_values: at(d, "picklistValues")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|v| v.get("active") == Some(&Value::Bool(true)))
                        .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let global_sets = global_value_sets(g);
    for (i, f) in profile.fields.iter().enumerate() {
        let Some(answer) = rows(g, &format!("picklist_{i}")) else {
            continue;
        };
        let metadata = answer.map(|rows| {
            rows.first()
                .and_then(|row| picklist_metadata(row, &global_sets))
                .unwrap_or_default()
        });
        if let Some(entry) = facts.seen.get_mut(&f.api_name.to_lowercase()) {
            entry.picklist_metadata = Some(metadata);
        }
    }
    facts.required_on_create = described
        .iter()
        .filter(|d| !flag(d, "nillable") && flag(d, "createable") && !flag(d, "defaultedOnCreate"))
        .filter_map(|d| owned(d, "name"))
        .collect();
    facts
}

// ---- the integration user -------------------------------------------------------------------

/// Why a permission set the user holds grants nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotCounted {
    /// The assignment expired (its expiration date, as Salesforce wrote it).
    Expired(String),
    /// The set needs session activation, which an integration never does.
    SessionActivation,
    /// The set needs a permission set licence the user does not hold (its label, when known).
    MissingLicence(String),
}

/// What a held set grants on the profile's object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObjectGrant {
    pub read: bool,
    pub create: bool,
    pub edit: bool,
}

/// One permission set (profile-owned, assigned, or a group's aggregate) the user holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldSet {
    /// "permission set Enterpret Integration", "profile Standard User" ...
    pub grantor: String,
    pub api_name: String,
    pub not_counted: Option<NotCounted>,
    pub api_enabled: bool,
    pub modify_all: bool,
    pub view_all: bool,
    pub object: ObjectGrant,
    /// By lower-case `Object.Field`: (read, edit).
    pub fields: BTreeMap<String, (bool, bool)>,
}

impl HeldSet {
    pub fn counts(&self) -> bool {
        self.not_counted.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserFacts {
    pub username: String,
    pub name: String,
    pub active: bool,
    pub profile: String,
    pub license: String,
    /// `UserLogin.IsFrozen` (None when not readable).
    pub frozen: Fetched<bool>,
    pub sets: Vec<HeldSet>,
}

impl UserFacts {
    pub fn counting(&self) -> impl Iterator<Item = &HeldSet> {
        self.sets.iter().filter(|s| s.counts())
    }
}

/// The permission set licences the user holds (`licences`, their 15-character Ids): the
/// answer of `User/{id}/PermissionSetLicenseAssignments`.
fn held_licences(g: &Gathered) -> Option<Vec<String>> {
    let rows = related_rows(g, "licences")?.ok()?;
    Some(
        rows.iter()
            .filter_map(|row| text(row, "PermissionSetLicenseId"))
            .map(|id| id.get(..15).unwrap_or(id).to_string())
            .collect(),
    )
}

fn read_user(g: &Gathered, username: &str, now: &str) -> Fetched<Option<UserFacts>> {
    let perms = match rows(g, "perms")? {
        Ok(rows) => rows,
        Err(e) => return Some(Err(e)),
    };
    let now = crate::request::parse_instant(now);
    let licences = held_licences(g);
    let mut user: Option<UserFacts> = None;
    let mut sets = Vec::new();
    for ps in &perms {
        let assignments = child_records(ps, "Assignments");
        if user.is_none() {
            if let Some(a) = assignments.first() {
                user = Some(UserFacts {
                    username: owned(a, "Assignee.Username").unwrap_or_else(|| username.to_string()),
                    name: owned(a, "Assignee.Name").unwrap_or_default(),
                    active: flag(a, "Assignee.IsActive"),
                    profile: owned(a, "Assignee.Profile.Name").unwrap_or_default(),
                    license: owned(a, "Assignee.Profile.UserLicense.Name").unwrap_or_default(),
                    ..UserFacts::default()
                });
            }
        }
        let grantor = if flag(ps, "IsOwnedByProfile") {
            format!(
                "profile {}",
                text(ps, "Profile.Name").unwrap_or("(unnamed)")
            )
        } else if text(ps, "Type") == Some("Group") || at(ps, "PermissionSetGroup").is_some() {
            format!(
                "permission set group {}",
                text(ps, "PermissionSetGroup.MasterLabel")
                    .or_else(|| text(ps, "Label"))
                    .unwrap_or("(unnamed)")
            )
        } else {
            format!(
                "permission set {}",
                text(ps, "Label")
                    .or_else(|| text(ps, "Name"))
                    .unwrap_or("(unnamed)")
            )
        };
        let expiry = assignments
            .iter()
            .filter_map(|a| text(a, "ExpirationDate"))
            .max()
            .map(str::to_string);
        let expired = !assignments.is_empty()
            && assignments.iter().all(|a| {
                text(a, "ExpirationDate")
                    .and_then(crate::request::parse_instant)
                    .zip(now)
                    .is_some_and(|(expiry, now)| expiry <= now)
            });
        let licence_id = text(ps, "LicenseId").filter(|id| is_permission_set_licence(id));
        // The licences were not readable: say nothing rather than guess. Its label is not
        // known here (the answer holds Ids), so the words name it by the set.
        let missing_licence = licence_id.and_then(|id| {
            let key = id.get(..15).unwrap_or(id);
            licences
                .as_ref()
                .filter(|held| !held.iter().any(|h| h == key))
                .map(|_| String::new())
        });
        let not_counted = if expired {
            Some(NotCounted::Expired(expiry.unwrap_or_default()))
        } else if flag(ps, "HasActivationRequired") {
            Some(NotCounted::SessionActivation)
        } else {
            missing_licence.map(NotCounted::MissingLicence)
        };
        let object =
            child_records(ps, "ObjectPerms")
                .iter()
                .fold(ObjectGrant::default(), |acc, o| ObjectGrant {
                    read: acc.read || flag(o, "PermissionsRead"),
                    create: acc.create || flag(o, "PermissionsCreate"),
                    edit: acc.edit || flag(o, "PermissionsEdit"),
                });
        let mut fields = BTreeMap::new();
        for fp in child_records(ps, "FieldPerms") {
            if let Some(field) = text(&fp, "Field") {
                let entry = fields.entry(field.to_lowercase()).or_insert((false, false));
                entry.0 |= flag(&fp, "PermissionsRead");
                entry.1 |= flag(&fp, "PermissionsEdit");
            }
        }
        sets.push(HeldSet {
            grantor,
            api_name: owned(ps, "Name").unwrap_or_default(),
            not_counted,
            api_enabled: flag(ps, "PermissionsApiEnabled"),
            modify_all: flag(ps, "PermissionsModifyAllData"),
            view_all: flag(ps, "PermissionsViewAllData"),
            object,
            fields,
        });
    }
    Some(Ok(user.map(|mut u| {
        u.sets = sets;
        u.frozen =
            rows(g, "login").map(|r| r.map(|rows| rows.iter().any(|row| flag(row, "IsFrozen"))));
        u
    })))
}

/// The integration user's access to the chosen record (`UserRecordAccess`).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordAccess {
    pub level: String,
    pub edit: bool,
}

// ---- apps and tokens ------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub app: String,
    pub username: String,
    pub created: Option<String>,
    pub last_used: Option<String>,
}

// ---- automation -----------------------------------------------------------------------------

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValidationRule {
    pub id: String,
    pub name: String,
    pub display_field: String,
    pub message: String,
    pub description: String,
    /// `Metadata.errorConditionFormula`, read one rule at a time in the second round.
    pub formula: Fetched<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    pub name: String,
    pub before_update: bool,
    pub after_update: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub label: String,
    pub process_type: String,
    pub trigger_type: String,
    pub record_trigger_type: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DuplicateRule {
    pub name: String,
    /// `Object.DeveloperName`, the rule's Metadata API name.
    pub full_name: String,
    /// Metadata `actionOnUpdate`: `Block` or `Allow` (None when not readable).
    pub action_on_update: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Automation {
    pub validation: Fetched<Vec<ValidationRule>>,
    pub triggers: Fetched<Vec<Trigger>>,
    pub flows: Fetched<Vec<Flow>>,
    pub workflow_rules: Fetched<usize>,
    pub assignment_rules: Fetched<Vec<String>>,
    pub duplicate_rules: Fetched<Vec<DuplicateRule>>,
}

fn read_validation(g: &Gathered) -> Fetched<Vec<ValidationRule>> {
    read(g, "validation", |rule| {
        let id = owned(rule, "Id").unwrap_or_default();
        let short = id.get(..15).unwrap_or(&id).to_string();
        let formula = answer(g, &format!("rule_{short}")).map(|a| {
            a.map_err(Clone::clone).and_then(|body| {
                let row = records_of(body)
                    .into_iter()
                    .next()
                    .or_else(|| body.as_object().cloned())
                    .unwrap_or_default();
                owned(&row, "Metadata.errorConditionFormula").ok_or_else(|| FetchError {
                    code: "NO_FORMULA".into(),
                    message: "the rule's Metadata has no errorConditionFormula".into(),
                })
            })
        });
        Some(ValidationRule {
            id,
            name: owned(rule, "ValidationName").unwrap_or_else(|| "(unnamed)".into()),
            display_field: owned(rule, "ErrorDisplayField").unwrap_or_default(),
            message: owned(rule, "ErrorMessage").unwrap_or_default(),
            description: owned(rule, "Description").unwrap_or_default(),
            formula,
        })
    })
}

impl Automation {
    /// The automation among answers by reference id (`validation`, `triggers`, `flows`,
    /// `workflow`, `assignment`, `duplicates`), for a reader other than the checks.
    pub fn from_answers(
        answers: &std::collections::HashMap<String, Result<Value, FetchError>>,
    ) -> Automation {
        read_automation(&Gathered {
            answers: answers.clone(),
            ..Gathered::default()
        })
    }
}

fn read_automation(g: &Gathered) -> Automation {
    Automation {
        validation: read_validation(g),
        triggers: read(g, "triggers", |t| {
            Some(Trigger {
                name: owned(t, "Name").unwrap_or_default(),
                before_update: flag(t, "UsageBeforeUpdate"),
                after_update: flag(t, "UsageAfterUpdate"),
            })
        }),
        flows: read(g, "flows", |f| {
            Some(Flow {
                label: owned(f, "Label").unwrap_or_default(),
                process_type: owned(f, "ProcessType").unwrap_or_default(),
                trigger_type: owned(f, "TriggerType").unwrap_or_default(),
                record_trigger_type: owned(f, "RecordTriggerType").unwrap_or_default(),
            })
        }),
        workflow_rules: rows(g, "workflow").map(|r| r.map(|rows| rows.len())),
        assignment_rules: read(g, "assignment", |r| owned(r, "Name")),
        duplicate_rules: read(g, "duplicates", |r| {
            let developer_name = owned(r, "DeveloperName").unwrap_or_default();
            let object = owned(r, "SobjectType").unwrap_or_default();
            let full_name = format!("{object}.{developer_name}");
            let action_on_update = match &g.duplicate_rule_actions {
                Some(Ok(actions)) => actions
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(&full_name))
                    .and_then(|(_, action)| action.clone()),
                _ => None,
            };
            Some(DuplicateRule {
                name: owned(r, "MasterLabel").unwrap_or_else(|| developer_name.clone()),
                full_name,
                action_on_update,
            })
        }),
    }
}

// ---- all of it ------------------------------------------------------------------------------

/// Everything the checks know about the org, typed.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The whole org refused the API (`API_DISABLED_FOR_ORG`, `REQUEST_LIMIT_EXCEEDED`).
    pub refused: Option<FetchError>,
    /// Daily API use (used, max) from `Sforce-Limit-Info`.
    pub api_usage: Option<(u64, u64)>,
    pub org: Fetched<OrgFacts>,
    pub fields: FieldFacts,
    /// `Ok(None)`: no such user. `None`: no integration user chosen.
    pub user: Fetched<Option<UserFacts>>,
    pub record_access: Fetched<Option<RecordAccess>>,
    pub app_listings: Fetched<Vec<AppListing>>,
    /// One kind of app could not be listed (its absence proves nothing).
    pub app_listing_gap: Option<FetchError>,
    pub app_settings: Fetched<AppSettings>,
    pub tokens: Fetched<Vec<Token>>,
    /// Whether the logged-in user may see every user's OAuth tokens (Customize Application).
    pub sees_all_tokens: Fetched<bool>,
    pub automation: Automation,
    /// `Some(active)` when the record type exists.
    pub record_type: Fetched<Option<bool>>,
    /// Namespaces of installed packages.
    pub packages: Fetched<Vec<String>>,
    /// Users who look like the integration user.
    pub candidates: Vec<String>,
}

impl Facts {
    /// Reads what the driver fetched for `profile` and `inputs`.
    pub fn read(profile: &Profile, inputs: &Inputs, g: &Gathered) -> Facts {
        let org = answer(g, "org").map(|a| {
            a.map_err(Clone::clone).and_then(|value| {
                // The Organization record is an object with its Id; anything else is not an answer.
                if !value.get("Id").is_some_and(Value::is_string) {
                    return Err(FetchError {
                        code: UNREADABLE_ANSWER.into(),
                        message: "the answer for the Organization record is not a record".into(),
                    });
                }
                let r = value.as_object().cloned().unwrap_or_default();
                Ok(OrgFacts {
                    id: owned(&r, "Id").unwrap_or_default(),
                    name: owned(&r, "Name").unwrap_or_default(),
                    edition: owned(&r, "OrganizationType").unwrap_or_default(),
                    is_sandbox: flag(&r, "IsSandbox"),
                    instance: owned(&r, "InstanceName").unwrap_or_default(),
                    trial_expiration: owned(&r, "TrialExpirationDate"),
                    default_access: owned(&r, &format!("Default{}Access", profile.object)),
                })
            })
        });
        let user = inputs
            .integration_user
            .as_deref()
            .and_then(|u| read_user(g, u, &inputs.now));
        let record_access = rows(g, "record").map(|r| {
            r.map(|rows| {
                rows.first().map(|row| RecordAccess {
                    level: owned(row, "MaxAccessLevel").unwrap_or_else(|| "None".into()),
                    edit: flag(row, "HasEditAccess"),
                })
            })
        });
        let tokens = read(g, "tokens", |t| {
            Some(Token {
                app: owned(t, "AppName").unwrap_or_default(),
                username: owned(t, "User.Username")?,
                created: owned(t, "CreatedDate"),
                last_used: owned(t, "LastUsedDate"),
            })
        });
        let mut candidates: Vec<String> = Vec::new();
        if inputs.integration_user.is_none() {
            for t in tokens.clone().and_then(Result::ok).unwrap_or_default() {
                candidates.push(t.username);
            }
            for row in rows(g, "candidates")
                .and_then(Result::ok)
                .unwrap_or_default()
            {
                if let Some(u) = owned(&row, "Username") {
                    candidates.push(u);
                }
            }
            let mut seen = std::collections::HashSet::new();
            candidates.retain(|c| seen.insert(c.to_lowercase()));
        }
        let sees_all_tokens = rows(g, "customize")
            .map(|r| r.map(|rows| !rows.is_empty()))
            .or_else(|| {
                (tokens_of_others_seen(g, &inputs.logged_in.username) == Some(true))
                    .then_some(Ok(true))
            });
        Facts {
            refused: g.refused.clone(),
            api_usage: g.api_usage,
            org,
            fields: read_fields(profile, g),
            user,
            record_access,
            app_listings: g.app_listings.clone(),
            app_listing_gap: g.app_listing_gap.clone(),
            app_settings: g.app_settings.clone(),
            tokens,
            sees_all_tokens,
            automation: read_automation(g),
            record_type: rows(g, "record_type")
                .map(|r| r.map(|rows| rows.first().map(|row| flag(row, "IsActive")))),
            packages: read(g, "package", |r| {
                owned(r, "SubscriberPackage.NamespacePrefix")
            }),
            candidates,
        }
    }

    /// The integration user, when found.
    pub fn found_user(&self) -> Option<&UserFacts> {
        match &self.user {
            Some(Ok(Some(u))) => Some(u),
            _ => None,
        }
    }
}

// ---- what the fixes read ---------------------------------------------------------------------
// The fix planner asks its own questions (the vendor's permission set by name, whether or not
// it is assigned; the org's integration licence and its seats), answered by reference id
// `fields`, `set`, `psl`, `user`, `user_psl`; they are read here like every other answer.

/// Whether the OAuth token answer holds a token of anyone but `me` (None when it was not read):
/// Salesforce shows other users' tokens only to users with Customize Application, so one such
/// row proves you see them all.
pub(crate) fn tokens_of_others_seen(g: &Gathered, me: &str) -> Option<bool> {
    let tokens = rows(g, "tokens")?.ok()?;
    Some(
        tokens
            .iter()
            .any(|t| text(t, "User.Username").is_some_and(|name| !name.eq_ignore_ascii_case(me))),
    )
}

/// The Salesforce API Integration permission set licence: an Integration-licence user gets
/// object access only through a permission set created with this licence.
pub const INTEGRATION_PSL: &str = "SalesforceAPIIntegrationPsl";
/// The user licence whose users need [`INTEGRATION_PSL`].
pub const INTEGRATION_USER_LICENSE: &str = "Salesforce Integration";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixUser {
    pub id: String,
    pub username: String,
    pub active: bool,
    pub license: String,
    pub has_integration_psl: bool,
}

/// One `ObjectPermissions` or `FieldPermissions` row of a permission set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GrantRow {
    pub id: String,
    /// SobjectType for object rows, `Object.Field` for field rows.
    pub target: String,
    pub read: bool,
    pub edit: bool,
    pub create: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetFacts {
    pub id: String,
    pub name: String,
    pub license_id: Option<String>,
    pub object_row: Option<GrantRow>,
    pub field_rows: Vec<GrantRow>,
    pub assigned_to_user: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LicenseFacts {
    pub id: String,
    pub label: String,
    pub total: u64,
    pub used: u64,
}

/// What the org has now, as far as the fixes are concerned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixFacts {
    /// API names of the profile's fields that exist on the object.
    pub existing_fields: Vec<String>,
    pub user: Option<FixUser>,
    pub set: Option<SetFacts>,
    pub integration_psl: Option<LicenseFacts>,
}

fn grant_row(record: &Record, target_key: &str) -> GrantRow {
    GrantRow {
        id: owned(record, "Id").unwrap_or_default(),
        target: owned(record, target_key).unwrap_or_default(),
        read: flag(record, "PermissionsRead"),
        edit: flag(record, "PermissionsEdit"),
        create: flag(record, "PermissionsCreate"),
    }
}

/// The rows of the answer `id`, or what went wrong, named by `what`. A fix is planned only on
/// answers that all came back readable.
fn fix_rows(g: &Gathered, id: &str, what: &str) -> Result<Vec<Record>, String> {
    match rows(g, id) {
        None => Err(format!("no answer for {what}")),
        Some(Err(e)) => Err(format!("{what}: {} {}", e.code, e.message)),
        Some(Ok(rows)) => Ok(rows),
    }
}

impl FixFacts {
    /// Reads the fix planner's answers. An error names the answer that failed.
    pub fn read(profile: &Profile, g: &Gathered) -> Result<FixFacts, String> {
        let mut facts = FixFacts::default();
        if !profile.fields.is_empty() {
            facts.existing_fields = fix_rows(g, "fields", "the fields")?
                .iter()
                .filter_map(|r| owned(r, "QualifiedApiName"))
                .collect();
        }
        if let Some(set) = fix_rows(g, "set", "the permission set")?.first() {
            facts.set = Some(SetFacts {
                id: owned(set, "Id").unwrap_or_default(),
                name: owned(set, "Name").unwrap_or_default(),
                license_id: owned(set, "LicenseId"),
                object_row: child_records(set, "ObjectPerms")
                    .first()
                    .map(|r| grant_row(r, "SobjectType")),
                field_rows: child_records(set, "FieldPerms")
                    .iter()
                    .map(|r| grant_row(r, "Field"))
                    .collect(),
                assigned_to_user: !child_records(set, "Assignments").is_empty(),
            });
        }
        if let Some(psl) = fix_rows(g, "psl", "the permission set licences")?.first() {
            let count = |key: &str| at(psl, key).and_then(Value::as_u64).unwrap_or(0);
            facts.integration_psl = Some(LicenseFacts {
                id: owned(psl, "Id").unwrap_or_default(),
                label: owned(psl, "MasterLabel").unwrap_or_else(|| INTEGRATION_PSL.into()),
                total: count("TotalLicenses"),
                used: count("UsedLicenses"),
            });
        }
        if g.answers.contains_key("user") {
            if let Some(user) = fix_rows(g, "user", "the integration user")?.first() {
                let licences = fix_rows(g, "user_psl", "the user's licences")?;
                facts.user = Some(FixUser {
                    id: owned(user, "Id").unwrap_or_default(),
                    username: owned(user, "Username").unwrap_or_default(),
                    active: flag(user, "IsActive"),
                    license: owned(user, "Profile.UserLicense.Name").unwrap_or_default(),
                    has_integration_psl: licences.iter().any(|l| {
                        text(l, "PermissionSetLicense.DeveloperName") == Some(INTEGRATION_PSL)
                    }),
                });
            }
        }
        Ok(facts)
    }
}

#[cfg(test)]
mod fix_facts_tests {
    use super::*;
    use serde_json::json;

    fn gathered(answers: &[(&str, Value)]) -> Gathered {
        Gathered {
            answers: answers
                .iter()
                .map(|(id, v)| (id.to_string(), Ok(v.clone())))
                .collect(),
            ..Gathered::default()
        }
    }

    #[test]
    fn a_set_with_a_licence_the_user_does_not_hold_does_not_count() {
        let perms = json!({"records": [{"Id": "0PS1", "Name": "Acme_Integration", "Label": "Acme Integration",
            "LicenseId": "0PL5g000000ABCDGA4",
            "ObjectPerms": {"records": [{"SobjectType": "Case", "PermissionsRead": true, "PermissionsEdit": true}]},
            "Assignments": {"records": [{"AssigneeId": "0055g00000AAAAAAAA", "Assignee": {"Username": "integration@acme.example", "IsActive": true}}]}}]});
        let held = |licences: Value| {
            let g = gathered(&[("perms", perms.clone()), ("licences", licences)]);
            let user = read_user(&g, "integration@acme.example", "2026-11-21T10:00:00Z")
                .unwrap()
                .unwrap()
                .unwrap();
            user.sets[0].not_counted.clone()
        };
        // Held (15- or 18-character Ids alike, query-shaped or a bare list): the set counts.
        assert_eq!(
            held(json!({"records": [{"PermissionSetLicenseId": "0PL5g000000ABCD"}]})),
            None
        );
        assert_eq!(
            held(json!([{"PermissionSetLicenseId": "0PL5g000000ABCDGA4"}])),
            None
        );
        // Not held, including Salesforce's empty 200 for no related records.
        for none in [
            json!({"totalSize": 0, "done": true, "records": []}),
            Value::Null,
        ] {
            assert_eq!(held(none), Some(NotCounted::MissingLicence(String::new())));
        }
        // Not readable: say nothing rather than guess.
        assert_eq!(held(json!({"unexpected": true})), None);
    }

    #[test]
    fn the_fix_planner_reads_its_answers_into_typed_facts() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let g = gathered(&[
            (
                "fields",
                json!({"records": [{"QualifiedApiName": "Summary__c"}]}),
            ),
            (
                "set",
                json!({"records": [{"Id": "0PS1", "Name": "Acme_Integration", "LicenseId": null,
                "ObjectPerms": {"records": [{"Id": "110x", "SobjectType": "Case", "PermissionsRead": true, "PermissionsEdit": false}]},
                "FieldPerms": null,
                "Assignments": {"records": [{"Id": "0Pa1"}]}}]}),
            ),
            (
                "psl",
                json!({"records": [{"Id": "0PL1", "MasterLabel": "Salesforce API Integration", "TotalLicenses": 5, "UsedLicenses": 2}]}),
            ),
            (
                "user",
                json!({"records": [{"Id": "0051", "Username": "i@x", "IsActive": true, "Profile": {"UserLicense": {"Name": "Salesforce Integration"}}}]}),
            ),
            (
                "user_psl",
                json!({"records": [{"PermissionSetLicense": {"DeveloperName": INTEGRATION_PSL}}]}),
            ),
        ]);
        let facts = FixFacts::read(&profile, &g).unwrap();
        assert_eq!(facts.existing_fields, ["Summary__c"]);
        let set = facts.set.unwrap();
        assert!(set.assigned_to_user);
        assert_eq!(set.license_id, None);
        // Salesforce answers an empty child relationship as null: no rows, not an error.
        assert!(set.field_rows.is_empty());
        let object = set.object_row.unwrap();
        assert!(object.read && !object.edit);
        assert_eq!(facts.integration_psl.unwrap().total - 2, 3);
        let user = facts.user.unwrap();
        assert!(user.active && user.has_integration_psl);
        assert_eq!(user.license, "Salesforce Integration");
    }

    #[test]
    fn an_answer_that_is_not_a_query_result_stops_the_plan_and_is_named() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let g = gathered(&[
            ("fields", json!({"records": []})),
            ("set", json!({"totalSize": 0})),
            ("psl", json!({"records": []})),
        ]);
        let error = FixFacts::read(&profile, &g).unwrap_err();
        assert!(error.contains("the permission set"), "{error}");
        assert!(error.contains(UNREADABLE_ANSWER), "{error}");
    }
}
