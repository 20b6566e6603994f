//! Sans-IO fix planning: what to read before planning (as composite subrequests), how the
//! answers become [`Facts`], and how facts plus the check findings become a [`FixPlan`] of
//! exact API calls. No IO, no clock: `crate::fix::apply` sends what this module decides.

use crate::checks::{Finding, FindingId, PlannedRequest, Status, Step};
use crate::profile::{FieldRequirement, FieldType, Profile};
use crate::request::soql_string;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The Salesforce API Integration permission set licence: an Integration-licence user gets
/// object access only through a permission set created with this licence.
pub use crate::checks::facts::INTEGRATION_PSL;
/// The user licence whose users need [`INTEGRATION_PSL`].
pub use crate::checks::facts::INTEGRATION_USER_LICENSE;
/// Composite reference of a permission set created in the same composite.
pub const NEW_SET_REF: &str = "permset";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    Standard,
    Tooling,
}

/// One HTTP call of a change, relative to the API version root.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiCall {
    pub api: Api,
    pub method: String,
    /// e.g. `sobjects/PermissionSet` (Tooling calls go under `tooling/`).
    pub path: String,
    pub body: Value,
}

impl ApiCall {
    /// The call as an admin reads it: `POST /services/data/v66.0/tooling/sobjects/CustomField {...}`.
    pub fn display(&self, api_version: &str) -> String {
        let api = match self.api {
            Api::Standard => "",
            Api::Tooling => "tooling/",
        };
        let body = if self.body.is_null() {
            String::new()
        } else {
            format!(" {}", self.body)
        };
        format!(
            "{} /services/data/v{api_version}/{api}{}{body}",
            self.method, self.path
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    CreateField,
    CreatePermissionSet,
    GrantObject,
    GrantField,
    AssignLicense,
    AssignPermissionSet,
}

/// One exact change the app can make, with consent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Stable id and composite reference, e.g. `field_0`, `permset`, `assign`.
    pub id: String,
    pub step: Step,
    pub kind: ChangeKind,
    /// What it does, in an admin's words.
    pub summary: String,
    pub call: ApiCall,
    /// When it updates an existing row: the row's values before, to put back on undo.
    pub previous: Option<Value>,
}

/// Something only an admin can do in Setup (or decide), with where to do it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Instruction {
    pub finding_id: String,
    pub step: Step,
    pub title: String,
    pub text: String,
    /// Path of the Setup page, relative to the org's URL.
    pub setup_path: Option<String>,
}

/// The permission set the plan creates or extends.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PermissionSetSpec {
    pub name: String,
    pub label: String,
    pub description: String,
    /// Developer name of the permission set licence it is created with.
    pub license: Option<String>,
    pub api_enabled: bool,
    pub object: String,
    pub object_create: bool,
    /// Qualified field names (`Case.X__c`) with read+edit.
    pub fields: Vec<String>,
}

/// What the app would change, in order, and what it leaves to the admin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FixPlan {
    pub profile: String,
    pub object: String,
    pub integration_user: Option<String>,
    pub changes: Vec<Change>,
    pub instructions: Vec<Instruction>,
    /// Things the app noticed but does not change, and why.
    pub notes: Vec<String>,
    pub permission_set: PermissionSetSpec,
    /// Field requirements of the fields the plan creates (for the metadata export).
    pub new_fields: Vec<FieldRequirement>,
}

impl FixPlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

// ---- facts ----------------------------------------------------------------------------------

// The answers become typed facts in the one module that reads Salesforce's answers.
pub use crate::checks::facts::{
    FixFacts as Facts, FixUser as UserFacts, GrantRow, LicenseFacts, SetFacts,
};

/// The permission set name for a profile: `<Vendor>_Integration`, a valid developer name.
pub fn permission_set_name(profile: &Profile) -> String {
    let mut name = String::new();
    for c in profile.vendor.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_');
    let name = if name.is_empty() { "Writeback" } else { name };
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("X{name}")
    } else {
        name.to_string()
    };
    let mut full = format!("{name}_Integration");
    full.truncate(80);
    full
}

fn qualified(profile: &Profile, field: &FieldRequirement) -> String {
    format!("{}.{}", profile.object, field.api_name)
}

fn query(reference_id: &str, soql: &str) -> PlannedRequest {
    PlannedRequest::query(reference_id, soql)
}

/// What to read before planning: one standard composite (user, the integration's permission
/// set with its rows and assignment, the licence) and one Tooling composite (the fields).
pub fn fact_requests(
    profile: &Profile,
    integration_user: Option<&str>,
) -> (Vec<PlannedRequest>, Vec<PlannedRequest>) {
    let object = soql_string(&profile.object);
    let mut standard = Vec::new();
    let fields: Vec<String> = profile
        .fields
        .iter()
        .map(|f| soql_string(&qualified(profile, f)))
        .collect();
    let user_filter = integration_user
        .map(|u| format!("Assignee.Username = {}", soql_string(u)))
        .unwrap_or_else(|| "AssigneeId = null".into());
    let field_rows = if fields.is_empty() {
        String::new()
    } else {
        format!(
            ", (SELECT Id, Field, PermissionsRead, PermissionsEdit FROM FieldPerms WHERE Field IN ({}))",
            fields.join(", ")
        )
    };
    standard.push(query(
        "set",
        &format!(
            "SELECT Id, Name, LicenseId, \
             (SELECT Id, SobjectType, PermissionsRead, PermissionsCreate, PermissionsEdit FROM ObjectPerms WHERE SobjectType = {object}){field_rows}, \
             (SELECT Id FROM Assignments WHERE {user_filter}) \
             FROM PermissionSet WHERE Name = {}",
            soql_string(&permission_set_name(profile))
        ),
    ));
    standard.push(query(
        "psl",
        &format!(
            "SELECT Id, DeveloperName, MasterLabel, TotalLicenses, UsedLicenses FROM PermissionSetLicense WHERE DeveloperName = {}",
            soql_string(INTEGRATION_PSL)
        ),
    ));
    if let Some(user) = integration_user {
        let user = soql_string(user);
        standard.push(query(
            "user",
            &format!(
                "SELECT Id, Username, IsActive, Profile.UserLicense.Name FROM User WHERE Username = {user}"
            ),
        ));
        standard.push(query(
            "user_psl",
            &format!(
                "SELECT Id, PermissionSetLicense.DeveloperName FROM PermissionSetLicenseAssign WHERE Assignee.Username = {user}"
            ),
        ));
    }
    let mut tooling = Vec::new();
    if !fields.is_empty() {
        let names: Vec<String> = profile
            .fields
            .iter()
            .map(|f| soql_string(&f.api_name))
            .collect();
        tooling.push(query(
            "fields",
            &format!(
                "SELECT QualifiedApiName FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = {object} AND QualifiedApiName IN ({})",
                names.join(", ")
            ),
        ));
    }
    (standard, tooling)
}

// ---- the plan -----------------------------------------------------------------------------

/// The Tooling `CustomField` Metadata of a field requirement, or why it cannot be created.
pub fn field_metadata(field: &FieldRequirement) -> Result<Value, String> {
    let mut meta = Map::new();
    meta.insert("label".into(), json!(field.label));
    meta.insert("type".into(), json!(field.field_type.metadata_name()));
    if !field.description.is_empty() {
        let description: String = field.description.chars().take(1000).collect();
        meta.insert("description".into(), json!(description));
    }
    match field.field_type {
        FieldType::Text => {
            meta.insert("length".into(), json!(field.length.unwrap_or(255).min(255)));
        }
        FieldType::LongTextArea => {
            meta.insert(
                "length".into(),
                json!(field.length.unwrap_or(32_768).clamp(256, 131_072)),
            );
            meta.insert(
                "visibleLines".into(),
                json!(field.visible_lines.unwrap_or(3).clamp(2, 50)),
            );
        }
        FieldType::Html => {
            meta.insert(
                "length".into(),
                json!(field.length.unwrap_or(32_768).clamp(256, 131_072)),
            );
            meta.insert(
                "visibleLines".into(),
                json!(field.visible_lines.unwrap_or(25).clamp(10, 50)),
            );
        }
        FieldType::Picklist | FieldType::MultiselectPicklist => {
            let values: Vec<Value> = field
                .values
                .iter()
                .map(|v| json!({"fullName": v, "default": false, "label": v}))
                .collect();
            if values.is_empty() {
                return Err(format!(
                    "{} is a picklist without values in the profile; create it in Setup",
                    field.api_name
                ));
            }
            meta.insert(
                "valueSet".into(),
                json!({"restricted": false, "valueSetDefinition": {"sorted": false, "value": values}}),
            );
            if field.field_type == FieldType::MultiselectPicklist {
                meta.insert("visibleLines".into(), json!(4));
            }
        }
        FieldType::Checkbox => {
            meta.insert("defaultValue".into(), json!("false"));
        }
        FieldType::Number => {
            meta.insert("precision".into(), json!(18));
            meta.insert("scale".into(), json!(0));
        }
        FieldType::Lookup => {
            return Err(format!(
                "{} is a lookup; the profile does not say what it points to, so create it in Setup",
                field.api_name
            ))
        }
        FieldType::TextArea
        | FieldType::Date
        | FieldType::DateTime
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url => {}
    }
    if field.field_type != FieldType::Checkbox {
        meta.insert("required".into(), json!(false));
    }
    Ok(Value::Object(meta))
}

fn failing(findings: &[Finding], id: FindingId) -> Option<&Finding> {
    findings
        .iter()
        .find(|f| f.id == id && matches!(f.status, Status::Fail | Status::Unknown))
}

/// Findings the plan's changes fix; every other failing finding becomes an instruction.
const FIXED_BY_CHANGES: [FindingId; 3] = [
    FindingId::FieldsExist,
    FindingId::UserObjectAccess,
    FindingId::UserFieldAccess,
];

/// The plan: changes from the facts, for what the findings say is wrong; instructions for the rest.
pub fn build(
    profile: &Profile,
    findings: &[Finding],
    facts: &Facts,
    integration_user: Option<&str>,
) -> FixPlan {
    let object = profile.object.clone();
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let mut new_fields = Vec::new();

    // 1. Fields.
    for (i, field) in profile.fields.iter().enumerate() {
        let exists = facts
            .existing_fields
            .iter()
            .any(|f| f.eq_ignore_ascii_case(&field.api_name));
        if exists {
            continue;
        }
        if !field.custom {
            notes.push(format!(
                "{} is a standard field that this org does not have; the app cannot create it.",
                field.api_name
            ));
            continue;
        }
        match field_metadata(field) {
            Ok(metadata) => {
                let size = match (field.field_type, field.length) {
                    (FieldType::Text | FieldType::LongTextArea | FieldType::Html, Some(n)) => {
                        format!(", {} characters", crate::checks::thousands(u64::from(n)))
                    }
                    _ => String::new(),
                };
                changes.push(Change {
                    id: format!("field_{i}"),
                    step: Step::Fields,
                    kind: ChangeKind::CreateField,
                    summary: format!(
                        "Create the field {} ({}) on {object}: {}{size}",
                        field.label,
                        field.api_name,
                        field.field_type.label()
                    ),
                    call: ApiCall {
                        api: Api::Tooling,
                        method: "POST".into(),
                        path: "sobjects/CustomField".into(),
                        body: json!({"FullName": qualified(profile, field), "Metadata": metadata}),
                    },
                    previous: None,
                });
                new_fields.push(field.clone());
            }
            Err(reason) => notes.push(reason),
        }
    }

    // 2. Access, when the checks say the integration user lacks it.
    let set_name = permission_set_name(profile);
    let needs_psl = facts
        .user
        .as_ref()
        .is_some_and(|u| u.license == INTEGRATION_USER_LICENSE);
    let api_enabled = failing(findings, FindingId::UserApiEnabled).is_some();
    let spec = PermissionSetSpec {
        name: set_name.clone(),
        label: set_name.replace('_', " "),
        description: format!(
            "Least privilege for the {} integration: Read and Edit {object} and edit its {} fields. Created by Write-back Setup Assistant.",
            profile.vendor,
            profile.fields.len()
        )
        .chars()
        .take(255)
        .collect(),
        license: needs_psl.then(|| INTEGRATION_PSL.to_string()),
        api_enabled,
        object: object.clone(),
        object_create: profile.access.create,
        fields: profile
            .fields
            .iter()
            .map(|f| qualified(profile, f))
            .collect(),
    };
    let access_wanted = failing(findings, FindingId::UserObjectAccess).is_some()
        || failing(findings, FindingId::UserFieldAccess).is_some()
        || !new_fields.is_empty();
    let user = facts.user.as_ref();
    match (integration_user, user) {
        _ if !access_wanted => {}
        (None, _) => notes.push(
            "No integration user was chosen, so the app does not grant access; choose the user and plan again.".into(),
        ),
        (Some(name), None) => notes.push(format!(
            "There is no user {name}; create the integration user in Setup first, then plan again."
        )),
        (Some(_), Some(user)) => {
            access_changes(profile, facts, user, &spec, &mut changes, &mut notes);
        }
    }

    // 3. Everything else is for the admin, with the page to open.
    let mut instructions = Vec::new();
    for finding in findings {
        if !matches!(finding.status, Status::Fail | Status::Unknown) {
            continue;
        }
        if FIXED_BY_CHANGES.contains(&finding.id) && facts.user.is_some() {
            continue;
        }
        if finding.id == FindingId::FieldsExist {
            continue;
        }
        let mut text = finding
            .fix
            .clone()
            .unwrap_or_else(|| finding.detail.clone());
        if finding.step == Step::Reauthorize {
            text.push_str(&format!(
                " Do this after the changes above: {}'s existing login does not pick them up until the integration is re-authorized in {}.",
                profile.vendor, profile.vendor
            ));
        }
        instructions.push(Instruction {
            finding_id: finding.id.as_str().to_string(),
            step: finding.step,
            title: finding.title.clone(),
            text,
            setup_path: finding.setup_path.clone(),
        });
    }

    FixPlan {
        profile: profile.id.clone(),
        object,
        integration_user: integration_user.map(str::to_string),
        changes,
        instructions,
        notes,
        permission_set: spec,
        new_fields,
    }
}

#[allow(clippy::too_many_lines)] // every access grant the integration needs, one kind after another
fn access_changes(
    profile: &Profile,
    facts: &Facts,
    user: &UserFacts,
    spec: &PermissionSetSpec,
    changes: &mut Vec<Change>,
    notes: &mut Vec<String>,
) {
    let object = &profile.object;
    let psl = facts.integration_psl.as_ref();
    let set_id: String;
    let mut license_needed = spec.license.is_some();
    match &facts.set {
        Some(set) => {
            if spec.license.is_some() && set.license_id.is_none() {
                notes.push(format!(
                    "The permission set {} has no permission set licence, so Salesforce will not let it give {} (an Integration-licence user) access. Create a set with the Salesforce API Integration licence in Setup, or delete {} and plan again.",
                    set.name, user.username, set.name
                ));
                return;
            }
            license_needed = set.license_id.is_some()
                && psl.is_some_and(|p| Some(&p.id) == set.license_id.as_ref());
            set_id = set.id.clone();
        }
        None => {
            let mut body = json!({
                "Name": spec.name, "Label": spec.label, "Description": spec.description,
            });
            if spec.license.is_some() {
                match psl {
                    Some(psl) => body["LicenseId"] = json!(psl.id),
                    None => {
                        notes.push(format!(
                            "{} has the Salesforce Integration user licence, which needs the Salesforce API Integration permission set licence, and this org has none. Buy or enable it in Setup > Company Information, then plan again.",
                            user.username
                        ));
                        return;
                    }
                }
            }
            if spec.api_enabled {
                body["PermissionsApiEnabled"] = json!(true);
            }
            let licence = if spec.license.is_some() {
                " with the Salesforce API Integration permission set licence"
            } else {
                ""
            };
            changes.push(Change {
                id: NEW_SET_REF.into(),
                step: Step::Access,
                kind: ChangeKind::CreatePermissionSet,
                summary: format!(
                    "Create the permission set {} ({}){licence}{}",
                    spec.label,
                    spec.name,
                    if spec.api_enabled {
                        ", with API Enabled"
                    } else {
                        ""
                    }
                ),
                call: ApiCall {
                    api: Api::Standard,
                    method: "POST".into(),
                    path: "sobjects/PermissionSet".into(),
                    body,
                },
                previous: None,
            });
            set_id = format!("@{{{NEW_SET_REF}.id}}");
        }
    }
    let set_label = &spec.label;

    // Object: Read + Edit (+ Create when the profile says so), nothing more.
    let want_create = profile.access.create;
    let existing = facts.set.as_ref().and_then(|s| s.object_row.clone());
    let words = if want_create {
        "Read, Create and Edit"
    } else {
        "Read and Edit"
    };
    match existing {
        Some(row) if row.read && row.edit && (row.create || !want_create) => {}
        Some(row) => {
            let mut body = json!({"PermissionsRead": true, "PermissionsEdit": true});
            if want_create {
                body["PermissionsCreate"] = json!(true);
            }
            changes.push(Change {
                id: "object".into(),
                step: Step::Access,
                kind: ChangeKind::GrantObject,
                summary: format!("Give {set_label} {words} on {object} (it has less today)"),
                call: ApiCall {
                    api: Api::Standard,
                    method: "PATCH".into(),
                    path: format!("sobjects/ObjectPermissions/{}", row.id),
                    body,
                },
                previous: Some(
                    json!({"PermissionsRead": row.read, "PermissionsEdit": row.edit, "PermissionsCreate": row.create}),
                ),
            });
        }
        None => {
            let mut body = json!({"ParentId": set_id, "SobjectType": object,
                "PermissionsRead": true, "PermissionsEdit": true});
            if want_create {
                body["PermissionsCreate"] = json!(true);
            }
            changes.push(Change {
                id: "object".into(),
                step: Step::Access,
                kind: ChangeKind::GrantObject,
                summary: format!("Give {set_label} {words} on {object}"),
                call: ApiCall {
                    api: Api::Standard,
                    method: "POST".into(),
                    path: "sobjects/ObjectPermissions".into(),
                    body,
                },
                previous: None,
            });
        }
    }

    // Fields: read + edit on each.
    for (i, field) in profile.fields.iter().enumerate() {
        let name = qualified(profile, field);
        let row = facts.set.as_ref().and_then(|s| {
            s.field_rows
                .iter()
                .find(|r| r.target.eq_ignore_ascii_case(&name))
                .cloned()
        });
        let change = match row {
            Some(row) if row.read && row.edit => continue,
            Some(row) => Change {
                id: format!("fls_{i}"),
                step: Step::Access,
                kind: ChangeKind::GrantField,
                summary: format!("Let {set_label} edit {name} (today it may only read it)"),
                call: ApiCall {
                    api: Api::Standard,
                    method: "PATCH".into(),
                    path: format!("sobjects/FieldPermissions/{}", row.id),
                    body: json!({"PermissionsRead": true, "PermissionsEdit": true}),
                },
                previous: Some(json!({"PermissionsRead": row.read, "PermissionsEdit": row.edit})),
            },
            None => Change {
                id: format!("fls_{i}"),
                step: Step::Access,
                kind: ChangeKind::GrantField,
                summary: format!("Let {set_label} read and edit {name}"),
                call: ApiCall {
                    api: Api::Standard,
                    method: "POST".into(),
                    path: "sobjects/FieldPermissions".into(),
                    body: json!({"ParentId": set_id, "SobjectType": object, "Field": name,
                        "PermissionsRead": true, "PermissionsEdit": true}),
                },
                previous: None,
            },
        };
        changes.push(change);
    }

    // Licence first, then the assignment.
    if license_needed && !user.has_integration_psl {
        if let Some(psl) = psl {
            if psl.used >= psl.total {
                notes.push(format!(
                    "All {} {} licences are in use; free one in Setup > Users before the assignment can work.",
                    psl.total, psl.label
                ));
            }
            changes.push(Change {
                id: "license".into(),
                step: Step::Access,
                kind: ChangeKind::AssignLicense,
                summary: format!(
                    "Give {} the {} permission set licence ({} of {} in use)",
                    user.username, psl.label, psl.used, psl.total
                ),
                call: ApiCall {
                    api: Api::Standard,
                    method: "POST".into(),
                    path: "sobjects/PermissionSetLicenseAssign".into(),
                    body: json!({"AssigneeId": user.id, "PermissionSetLicenseId": psl.id}),
                },
                previous: None,
            });
        }
    }
    let assigned = facts.set.as_ref().is_some_and(|s| s.assigned_to_user);
    if !assigned {
        changes.push(Change {
            id: "assign".into(),
            step: Step::Access,
            kind: ChangeKind::AssignPermissionSet,
            summary: format!("Assign {set_label} to {}", user.username),
            call: ApiCall {
                api: Api::Standard,
                method: "POST".into(),
                path: "sobjects/PermissionSetAssignment".into(),
                body: json!({"AssigneeId": user.id, "PermissionSetId": set_id}),
            },
            previous: None,
        });
    }
    if !user.active {
        notes.push(format!(
            "{} is inactive: the access is granted, but the integration cannot log in until the user is activated in Setup > Users.",
            user.username
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile;

    fn finding(id: FindingId, step: Step, status: Status) -> Finding {
        Finding {
            id,
            step,
            status,
            title: id.as_str().into(),
            detail: String::new(),
            fix: Some(format!("do {id}")),
            setup_path: Some("/lightning/setup/X/home".into()),
            granted_by: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn user(license: &str, psl: bool) -> UserFacts {
        UserFacts {
            id: "0055g000000000MAAQ".into(),
            username: "integration@acme.example".into(),
            active: true,
            license: license.into(),
            has_integration_psl: psl,
        }
    }

    fn access_failing() -> Vec<Finding> {
        vec![finding(
            FindingId::UserObjectAccess,
            Step::Access,
            Status::Fail,
        )]
    }

    #[test]
    fn permission_set_names_are_valid_developer_names() {
        let mut p = profile::builtin("feedback-writeback").unwrap();
        assert_eq!(permission_set_name(&p), "Enterpret_Integration");
        p.vendor = "Acme & Co. 2".into();
        assert_eq!(permission_set_name(&p), "Acme_Co_2_Integration");
        p.vendor = "3M".into();
        assert_eq!(permission_set_name(&p), "X3M_Integration");
        p.vendor = "***".into();
        assert_eq!(permission_set_name(&p), "Writeback_Integration");
    }

    #[test]
    fn an_integration_licence_user_gets_the_licence_first_then_the_assignment() {
        let p = profile::builtin("feedback-writeback").unwrap();
        let facts = Facts {
            existing_fields: p.fields.iter().map(|f| f.api_name.clone()).collect(),
            user: Some(user(INTEGRATION_USER_LICENSE, false)),
            set: None,
            integration_psl: Some(LicenseFacts {
                id: "0PL000000000001AAA".into(),
                label: "Salesforce API Integration".into(),
                total: 5,
                used: 1,
            }),
        };
        let plan = build(
            &p,
            &access_failing(),
            &facts,
            Some("integration@acme.example"),
        );
        let kinds: Vec<ChangeKind> = plan.changes.iter().map(|c| c.kind).collect();
        let license = kinds
            .iter()
            .position(|k| *k == ChangeKind::AssignLicense)
            .unwrap();
        let assign = kinds
            .iter()
            .position(|k| *k == ChangeKind::AssignPermissionSet)
            .unwrap();
        assert!(license < assign);
        assert_eq!(plan.changes[0].call.body["LicenseId"], "0PL000000000001AAA");
    }

    #[test]
    fn without_the_licence_in_the_org_the_plan_explains_instead() {
        let p = profile::builtin("feedback-writeback").unwrap();
        let facts = Facts {
            existing_fields: p.fields.iter().map(|f| f.api_name.clone()).collect(),
            user: Some(user(INTEGRATION_USER_LICENSE, false)),
            ..Facts::default()
        };
        let plan = build(
            &p,
            &access_failing(),
            &facts,
            Some("integration@acme.example"),
        );
        assert!(plan.changes.is_empty());
        assert!(plan
            .notes
            .iter()
            .any(|n| n.contains("Salesforce API Integration permission set licence")));
    }

    #[test]
    fn an_existing_set_without_licence_is_not_assigned_to_an_integration_user() {
        let p = profile::builtin("feedback-writeback").unwrap();
        let facts = Facts {
            existing_fields: p.fields.iter().map(|f| f.api_name.clone()).collect(),
            user: Some(user(INTEGRATION_USER_LICENSE, true)),
            set: Some(SetFacts {
                id: "0PS000000000001AAA".into(),
                name: "Enterpret_Integration".into(),
                ..SetFacts::default()
            }),
            ..Facts::default()
        };
        let plan = build(
            &p,
            &access_failing(),
            &facts,
            Some("integration@acme.example"),
        );
        assert!(plan.changes.is_empty());
        assert!(plan.notes[0].contains("has no permission set licence"));
    }

    #[test]
    fn a_salesforce_licence_user_gets_a_set_without_licence() {
        let p = profile::builtin("feedback-writeback").unwrap();
        let facts = Facts {
            existing_fields: Vec::new(),
            user: Some(user("Salesforce", false)),
            ..Facts::default()
        };
        let plan = build(
            &p,
            &access_failing(),
            &facts,
            Some("integration@acme.example"),
        );
        let set = plan
            .changes
            .iter()
            .find(|c| c.kind == ChangeKind::CreatePermissionSet)
            .unwrap();
        assert!(set.call.body.get("LicenseId").is_none());
        assert!(!plan
            .changes
            .iter()
            .any(|c| c.kind == ChangeKind::AssignLicense));
        assert_eq!(
            plan.changes
                .iter()
                .filter(|c| c.kind == ChangeKind::CreateField)
                .count(),
            3
        );
    }

    #[test]
    fn access_that_already_works_is_left_alone_and_setup_work_becomes_instructions() {
        let p = profile::builtin("feedback-writeback").unwrap();
        let facts = Facts {
            existing_fields: p.fields.iter().map(|f| f.api_name.clone()).collect(),
            user: Some(user("Salesforce", false)),
            ..Facts::default()
        };
        let findings = vec![
            finding(FindingId::AppScopes, Step::App, Status::Fail),
            finding(FindingId::ReauthToken, Step::Reauthorize, Status::Fail),
            finding(FindingId::UserObjectAccess, Step::Access, Status::Pass),
        ];
        let plan = build(&p, &findings, &facts, Some("integration@acme.example"));
        assert!(plan.changes.is_empty());
        let ids: Vec<&str> = plan
            .instructions
            .iter()
            .map(|i| i.finding_id.as_str())
            .collect();
        assert_eq!(ids, ["app.scopes", "reauth.token"]);
        assert!(plan.instructions[1]
            .text
            .contains("re-authorized in Enterpret"));
        assert_eq!(
            plan.instructions[0].setup_path.as_deref(),
            Some("/lightning/setup/X/home")
        );
    }

    #[test]
    fn field_metadata_follows_the_profile_types() {
        let p = profile::builtin("feedback-writeback").unwrap();
        let summary = field_metadata(&p.fields[0]).unwrap();
        assert_eq!(summary["type"], "LongTextArea");
        assert_eq!(summary["length"], 32768);
        assert!(summary["visibleLines"].as_u64().unwrap() >= 2);
        let sentiment = field_metadata(&p.fields[1]).unwrap();
        assert_eq!(sentiment["type"], "Text");
        assert_eq!(sentiment["length"], 255);
        let mut lookup = p.fields[1].clone();
        lookup.field_type = FieldType::Lookup;
        assert!(field_metadata(&lookup).unwrap_err().contains("lookup"));
        let mut checkbox = p.fields[1].clone();
        checkbox.field_type = FieldType::Checkbox;
        assert_eq!(field_metadata(&checkbox).unwrap()["defaultValue"], "false");
    }
}
