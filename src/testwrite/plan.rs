//! Planning a test write (sans-IO): the values to write, each typed for the field as the org
//! describes it, what cannot fit (said before anything is written), and the dry run's Apex.

use super::fields_path;
use super::value::{typed_test_value, FieldShape, Unfit, ValueKind};
use crate::checks::{pack, PlannedRequest};
use crate::profile::Profile;
use crate::request::soql_string;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One field of the test write.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedField {
    pub name: String,
    pub kind: ValueKind,
    /// The org's describe of the field, when the running user could see it.
    pub shape: Option<FieldShape>,
    /// The test value in the field's type (null when it cannot fit).
    pub value: Value,
    /// Why the value cannot be written, found before writing.
    pub unfit: Option<Unfit>,
}

/// What a test write writes, on which record.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TestWritePlan {
    pub object: String,
    pub record_id: String,
    pub fields: Vec<PlannedField>,
    /// The types came from the org's describe (false: from the profile, the describe missing).
    pub typed_from_org: bool,
}

impl TestWritePlan {
    /// The plan for `profile` on `record_id`, typed from the object's describe when given.
    pub fn build(profile: &Profile, record_id: &str, describe: Option<&Value>) -> TestWritePlan {
        let fields = profile
            .fields
            .iter()
            .map(|requirement| {
                let shape = describe.and_then(|d| FieldShape::find(d, &requirement.api_name));
                let kind = shape
                    .as_ref()
                    .map_or(ValueKind::from_profile(requirement.field_type), |s| s.kind);
                let (value, unfit) = match typed_test_value(requirement, shape.as_ref()) {
                    Ok(value) => (value, None),
                    Err(unfit) => (Value::Null, Some(unfit)),
                };
                PlannedField {
                    name: requirement.api_name.clone(),
                    kind,
                    shape,
                    value,
                    unfit,
                }
            })
            .collect();
        TestWritePlan {
            object: profile.object.clone(),
            record_id: record_id.to_string(),
            fields,
            typed_from_org: describe.is_some(),
        }
    }

    /// Every field's API name, in the profile's order.
    pub fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }

    /// The values the write sends: the fields that fit.
    pub fn values(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .filter(|f| f.unfit.is_none())
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect()
    }

    /// How each field's values are read and compared.
    pub fn kinds(&self) -> BTreeMap<String, ValueKind> {
        self.fields
            .iter()
            .map(|f| (f.name.clone(), f.kind))
            .collect()
    }

    /// The fields whose test value cannot be written, each with why.
    pub fn unfit(&self) -> impl Iterator<Item = (&PlannedField, &Unfit)> {
        self.fields
            .iter()
            .filter_map(|f| f.unfit.as_ref().map(|u| (f, u)))
    }
}

/// The preflight's reads: the record (with the object's describe, to type the values), the
/// integration user's access to it, its approval lock, the automation that runs on update and
/// whether the logged-in user may run anonymous Apex; packed within the composite limits as
/// (standard, Tooling) composites.
pub fn preflight_requests(
    profile: &Profile,
    record_id: &str,
    integration_user: Option<&str>,
    logged_in_user_id: &str,
) -> (Vec<Vec<PlannedRequest>>, Vec<Vec<PlannedRequest>>) {
    let object = &profile.object;
    let fields: Vec<String> = profile.fields.iter().map(|f| f.api_name.clone()).collect();
    let quoted = soql_string(&profile.object);
    let record = soql_string(record_id);
    let mut record_path = fields_path(object, record_id, &fields);
    if object == "Case" {
        record_path = record_path.replacen("?fields=", "?fields=CaseNumber,Subject,", 1);
    }
    let mut standard = vec![
        PlannedRequest::get("record", record_path),
        // The fields' types as the org has them: the test values are typed from it.
        PlannedRequest::get("describe", format!("sobjects/{object}/describe")),
    ];
    if let Some(user) = integration_user {
        standard.push(PlannedRequest::query(
            "iuser",
            &format!("SELECT Id FROM User WHERE Username = {}", soql_string(user)),
        ));
        standard.push(PlannedRequest::query(
            "access",
            &format!("SELECT RecordId, HasEditAccess, MaxAccessLevel FROM UserRecordAccess WHERE UserId = '@{{iuser.records[0].Id}}' AND RecordId = {record}"),
        ));
    }
    standard.push(PlannedRequest::query(
        "lock",
        &format!(
            "SELECT Id FROM ProcessInstance WHERE TargetObjectId = {record} AND Status = 'Pending'"
        ),
    ));
    standard.push(PlannedRequest::query(
        "flows",
        &format!("SELECT ApiName, Label FROM FlowDefinitionView WHERE TriggerObjectOrEvent.QualifiedApiName = {quoted} AND IsActive = true AND TriggerType IN ('RecordBeforeSave', 'RecordAfterSave')"),
    ));
    standard.push(PlannedRequest::query(
        "apex",
        &format!(
            "SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = {} AND PermissionSet.PermissionsAuthorApex = true LIMIT 1",
            soql_string(logged_in_user_id)
        ),
    ));
    let mut tooling = vec![
        PlannedRequest::query(
            "validation",
            &format!("SELECT ValidationName, ErrorDisplayField, ErrorMessage FROM ValidationRule WHERE EntityDefinition.QualifiedApiName = {quoted} AND Active = true"),
        ),
        PlannedRequest::query(
            "triggers",
            &format!("SELECT Name, UsageBeforeUpdate, UsageAfterUpdate FROM ApexTrigger WHERE TableEnumOrId = {quoted} AND Status = 'Active'"),
        ),
    ];
    // A Tooling object too: read there, the standard queries fit one composite.
    if object == "Case" {
        tooling.push(PlannedRequest::query(
            "assignment",
            "SELECT Name FROM AssignmentRule WHERE SobjectType = 'Case' AND Active = true",
        ));
    }
    (pack(standard), pack(tooling))
}

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

/// The value as an Apex expression of the field's type: a string literal for text kinds, a
/// number, `true`/`false`, `Date.newInstance(...)`, `Datetime.newInstanceGmt(...)` or `null`.
fn apex_literal(kind: ValueKind, value: &Value) -> String {
    use chrono::{Datelike, Timelike};
    if value.is_null() {
        return "null".into();
    }
    match kind {
        ValueKind::Number => value
            .as_f64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
            .map_or_else(|| "null".into(), |n: f64| format!("{n}")),
        ValueKind::Boolean => {
            (value.as_bool() == Some(true) || value.as_str() == Some("true")).to_string()
        }
        ValueKind::Date => match value.as_str().and_then(crate::request::parse_date) {
            Some(d) => format!("Date.newInstance({}, {}, {})", d.year(), d.month(), d.day()),
            None => "null".into(),
        },
        ValueKind::DateTime => match value.as_str().and_then(crate::request::parse_datetime) {
            Some(t) => format!(
                "Datetime.newInstanceGmt({}, {}, {}, {}, {}, {})",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            None => "null".into(),
        },
        _ => apex_string(&match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

/// The dry run's anonymous Apex: the update inside a savepoint that is always rolled back, each
/// value a literal of its field's type so the script compiles for every type.
pub fn dry_run_apex(plan: &TestWritePlan) -> String {
    let object = &plan.object;
    let mut apex = String::from("Savepoint sp = Database.setSavepoint();\ntry {\n");
    apex.push_str(&format!(
        "    {object} r = new {object}(Id = {});\n",
        apex_string(&plan.record_id)
    ));
    for field in plan.fields.iter().filter(|f| f.unfit.is_none()) {
        apex.push_str(&format!(
            "    r.{} = {};\n",
            field.name,
            apex_literal(field.kind, &field.value)
        ));
    }
    if object == "Case" {
        apex.push_str("    Database.DMLOptions o = new Database.DMLOptions();\n    o.assignmentRuleHeader.useDefaultRule = false;\n    r.setOptions(o);\n");
    }
    apex.push_str("    update r;\n} finally {\n    Database.rollback(sp);\n}\n");
    apex
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str, kind: ValueKind, value: Value) -> PlannedField {
        PlannedField {
            name: name.into(),
            kind,
            shape: None,
            value,
            unfit: None,
        }
    }

    #[test]
    fn the_dry_run_apex_types_every_value_and_always_rolls_back() {
        let plan = TestWritePlan {
            object: "Case".into(),
            record_id: "5005g00000AbCdEAAV".into(),
            typed_from_org: true,
            fields: vec![
                field("A__c", ValueKind::Text, json!("it's a \\ path\nnext")),
                field("N__c", ValueKind::Number, json!(1.0)),
                field("P__c", ValueKind::Number, json!(12.5)),
                field("B__c", ValueKind::Boolean, json!(true)),
                field("D__c", ValueKind::Date, json!("2026-01-02")),
                field(
                    "T__c",
                    ValueKind::DateTime,
                    json!("2026-01-02T03:04:05.000Z"),
                ),
                field("M__c", ValueKind::MultiPicklist, json!("a;b")),
            ],
        };
        let apex = dry_run_apex(&plan);
        for line in [
            "r.A__c = 'it\\'s a \\\\ path\\nnext';",
            "r.N__c = 1;",
            "r.P__c = 12.5;",
            "r.B__c = true;",
            "r.D__c = Date.newInstance(2026, 1, 2);",
            "r.T__c = Datetime.newInstanceGmt(2026, 1, 2, 3, 4, 5);",
            "r.M__c = 'a;b';",
            "o.assignmentRuleHeader.useDefaultRule = false;",
        ] {
            assert!(apex.contains(line), "{line} in {apex}");
        }
        assert!(
            apex.trim_end().ends_with("Database.rollback(sp);\n}"),
            "{apex}"
        );
    }

    #[test]
    fn a_plan_types_from_the_describe_and_keeps_what_cannot_fit_out() {
        let profile = crate::profile::builtin("conversation-cases").unwrap();
        let describe = json!({"fields": [
            {"name": "KustomerApp__Conversation_CSAT_Score__c", "type": "double", "precision": 18, "scale": 0},
            {"name": "KustomerApp__Conversation_CreatedAt__c", "type": "datetime"},
            {"name": "Origin", "type": "picklist", "restrictedPicklist": true,
             "picklistValues": [{"value": "Email", "active": true}]},
        ]});
        let plan = TestWritePlan::build(&profile, "5005g00000AbCdEAAV", Some(&describe));
        let get = |n: &str| plan.fields.iter().find(|f| f.name == n).unwrap();
        assert_eq!(
            get("KustomerApp__Conversation_CSAT_Score__c").value,
            json!(1.0)
        );
        assert_eq!(
            get("KustomerApp__Conversation_CreatedAt__c").kind,
            ValueKind::DateTime
        );
        assert!(get("Origin").unfit.is_some());
        assert!(!plan.values().contains_key("Origin"));
    }

    #[test]
    fn the_preflight_reads_fit_the_composite_limits_and_include_the_describe() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let (standard, tooling) = preflight_requests(
            &profile,
            "5005g00000AbCdEAAV",
            Some("o'brien@acme.example"),
            "0055g000000000YAAQ",
        );
        // Five standard queries (the user, record access, approval lock, flows, your Author
        // Apex) and three Tooling ones (validation rules, triggers, assignment rules).
        assert_eq!(standard.len(), 1, "{standard:#?}");
        assert_eq!(tooling.len(), 1);
        for composite in standard.iter().chain(&tooling) {
            assert!(composite.iter().filter(|r| r.is_query).count() <= crate::request::MAX_QUERIES);
        }
        let all: Vec<&PlannedRequest> = standard.iter().flatten().collect();
        assert!(all.iter().any(|r| r.path == "sobjects/Case/describe"));
        let access = all.iter().position(|r| r.reference_id == "access").unwrap();
        let user = all.iter().position(|r| r.reference_id == "iuser").unwrap();
        assert!(user < access, "the reference comes first");
        assert!(
            all[user].path.contains("o%5C%27brien"),
            "{}",
            all[user].path
        );
    }
}
