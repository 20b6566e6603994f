//! Interpreting what Salesforce reads back during a test write (sans-IO): which fields still hold
//! the test value and go back, which are proven back, which someone else changed (with
//! evidence), and which cannot be proven either way and stay in the journal.

use super::journal::Journal;
use super::plan::TestWritePlan;
use super::value::{same, shown, FieldShape, ValueKind};
use super::{text, Preflight};
use crate::checks::FetchError;
use crate::profile::Profile;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::collections::HashMap;

/// A record as read back: the fields present in the answer, and its audit fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordRead {
    /// Only the fields the answer had; a field missing here was missing from the answer.
    pub values: Map<String, Value>,
    pub last_modified: Option<String>,
    pub last_modified_by: Option<String>,
}

impl RecordRead {
    /// From a record GET's body.
    pub fn from_answer(body: &Value, fields: &[String]) -> RecordRead {
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        RecordRead {
            values: fields
                .iter()
                .filter_map(|f| body.get(f).map(|v| (f.clone(), v.clone())))
                .collect(),
            last_modified: text("LastModifiedDate"),
            last_modified_by: text("LastModifiedById"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFate {
    /// Back to its original value, read back.
    Restored,
    /// Never changed (the write was refused for it, or it was not sent).
    Untouched,
    /// Someone else changed it after the test write; left as they set it.
    ChangedBySomeoneElse,
    /// Still holds the test value (the restore was refused or not possible).
    StillTestValue,
    /// Not proven back: missing from Salesforce's answer, unreadable, or neither the original
    /// nor the test value with no sign of another edit. Kept in the journal.
    Unproven,
}

/// A field left for a person (or the next recovery), with the exact value to put back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeftField {
    pub field: String,
    pub reason: String,
    pub put_back: Value,
}

impl LeftField {
    pub fn line(&self, object: &str, record_id: &str) -> String {
        format!(
            "{object} {record_id}: {} is not proven back ({}). Put back {} = {}.",
            self.field,
            self.reason,
            self.field,
            shown(&self.put_back)
        )
    }
}

/// What the restore should do, decided from one read of the record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RestoreDecision {
    /// Fields to PATCH back, with their original values.
    pub to_restore: Map<String, Value>,
    pub fates: BTreeMap<String, FieldFate>,
    pub changed_by_others: Vec<String>,
    pub left: Vec<LeftField>,
}

fn kind_of(journal: &Journal, field: &str) -> ValueKind {
    // Journals written before kinds were kept compare as text, as they were written.
    journal.kinds.get(field).copied().unwrap_or(ValueKind::Text)
}

/// Evidence that someone else edited the record: it changed after the test write's own change,
/// or its last change was made by another user (after a test write, the writer would be last).
fn edited_by_someone_else(journal: &Journal, read: &RecordRead) -> bool {
    let parse = |s: &Option<String>| s.as_deref().and_then(crate::request::parse_datetime);
    let later = match (
        parse(&journal.written_last_modified),
        parse(&read.last_modified),
    ) {
        (Some(written), Some(now)) => now > written,
        _ => false,
    };
    let short = |id: &str| id.get(..15).map(str::to_string);
    let other_user = match (
        short(&journal.user_id),
        read.last_modified_by.as_deref().and_then(short),
    ) {
        (Some(writer), Some(last)) => writer != last,
        _ => false,
    };
    later || other_user
}

/// Decides each written field's fate from the record as read before restoring.
pub fn decide_restore(journal: &Journal, read: &RecordRead) -> RestoreDecision {
    let mut decision = RestoreDecision::default();
    let edited = edited_by_someone_else(journal, read);
    for field in &journal.written_fields {
        let kind = kind_of(journal, field);
        let original = journal.original.get(field).cloned().unwrap_or(Value::Null);
        let leave = |decision: &mut RestoreDecision, reason: String| {
            decision.fates.insert(field.clone(), FieldFate::Unproven);
            decision.left.push(LeftField {
                field: field.clone(),
                reason,
                put_back: original.clone(),
            });
        };
        let Some(now) = read.values.get(field) else {
            leave(
                &mut decision,
                "Salesforce's answer did not include it".to_string(),
            );
            continue;
        };
        let ours = |v: &Value| {
            let test = journal.test_values.get(field).map(|t| same(kind, v, t));
            let read_back = journal.read_back.get(field).map(|r| same(kind, v, r));
            match (test, read_back) {
                (Some(Some(true)), _) | (_, Some(Some(true))) => Some(true),
                (Some(None), _) | (_, Some(None)) => None,
                _ => Some(false),
            }
        };
        match (same(kind, now, &original), ours(now)) {
            (Some(true), _) => {
                decision.fates.insert(field.clone(), FieldFate::Restored);
            }
            (Some(false), Some(true)) => {
                decision.to_restore.insert(field.clone(), original.clone());
            }
            (Some(false), Some(false)) if edited => {
                decision
                    .fates
                    .insert(field.clone(), FieldFate::ChangedBySomeoneElse);
                decision.changed_by_others.push(field.clone());
            }
            (Some(false), Some(false)) => leave(
                &mut decision,
                format!(
                    "it reads {}, neither the original nor the test value, and the record shows no later edit",
                    shown(now)
                ),
            ),
            _ => leave(
                &mut decision,
                format!("its value {} cannot be read as a {kind:?} value", shown(now)),
            ),
        }
    }
    decision
}

/// After the restore's PATCH: the fields it put back must read as their originals.
pub fn verify_restored(
    journal: &Journal,
    restored: &[String],
    after: &RecordRead,
) -> Vec<LeftField> {
    let mut left = Vec::new();
    for field in restored {
        let kind = kind_of(journal, field);
        let original = journal.original.get(field).cloned().unwrap_or(Value::Null);
        let reason = match after.values.get(field) {
            None => Some("Salesforce's answer after the restore did not include it".to_string()),
            Some(now) => match same(kind, now, &original) {
                Some(true) => None,
                Some(false) => Some(format!("after the restore it reads {}", shown(now))),
                None => Some(format!(
                    "after the restore its value {} cannot be read",
                    shown(now)
                )),
            },
        };
        if let Some(reason) = reason {
            left.push(LeftField {
                field: field.clone(),
                reason,
                put_back: original,
            });
        }
    }
    left
}

/// The record's answer of a query subrequest, or Salesforce's error.
fn records_of(body: Result<&Value, &FetchError>) -> Result<Vec<Value>, FetchError> {
    Ok(crate::request::records(body.map_err(Clone::clone)?)
        .cloned()
        .unwrap_or_default())
}

/// Reads the preflight's answers (by reference id, see `plan::preflight_requests`) into what the
/// admin needs to know before writing, and the typed plan.
pub fn read_preflight(
    profile: &Profile,
    record_id: &str,
    runs_as: &str,
    integration_user: Option<&str>,
    answers: &HashMap<String, Result<Value, FetchError>>,
) -> Preflight {
    let object = &profile.object;
    let fields: Vec<String> = profile.fields.iter().map(|f| f.api_name.clone()).collect();
    let answer = |name: &str| answers.get(name).map(|a| a.as_ref());

    let describe = answer("describe").and_then(|a| a.ok().cloned());
    let mut pre = Preflight {
        record_id: record_id.to_string(),
        runs_as: runs_as.to_string(),
        integration_user: integration_user.map(str::to_string),
        plan: TestWritePlan::build(profile, record_id, describe.as_ref()),
        ..Preflight::default()
    };
    if describe.is_none() {
        pre.notes.push(format!(
            "The {object} describe could not be read, so the test values are typed from the profile, not from the org."
        ));
    }
    for (field, unfit) in pre.plan.unfit() {
        pre.blockers.push(format!(
            "{} will not be written: {}",
            field.name, unfit.explanation
        ));
    }
    match answer("record") {
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
            pre.record_name = body
                .get("CaseNumber")
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
            let reason = match e.code.as_str() {
                "INVALID_FIELD" => {
                    // The describe is read as you: a field it leaves out is one you cannot see.
                    let hidden: Vec<&str> = describe
                        .as_ref()
                        .map(|d| {
                            fields
                                .iter()
                                .filter(|f| FieldShape::find(d, f).is_none())
                                .map(String::as_str)
                                .collect()
                        })
                        .unwrap_or_default();
                    let which = if hidden.is_empty() {
                        "every field the test writes".to_string()
                    } else {
                        hidden.join(", ")
                    };
                    format!(
                        "You ({runs_as}) cannot see {which}, so the test cannot read the originals it must put back. \
                         A field you have no field-level security on is hidden from you (fields created through the API are visible only to the permission sets that grant them): \
                         give yourself Read and Edit on it, or log in as the integration user. If the Fields step says a field is missing, create it first. \
                         (Salesforce's words: {})",
                        e.message
                    )
                }
                "NOT_FOUND" => {
                    format!("There is no {object} {record_id} that {} can see.", runs_as)
                }
                "ENTITY_IS_DELETED" => format!("{object} {record_id} is in the Recycle Bin."),
                _ => format!("The record could not be read: {}: {}", e.code, e.message),
            };
            pre.blockers.push(reason);
            pre.record_label = format!("{object} {record_id}");
        }
        None => {}
    }
    if let Some(user) = integration_user {
        match answer("access").map(records_of) {
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
        if !runs_as.eq_ignore_ascii_case(user) {
            pre.notes.push(format!(
                "The write runs as you ({}), not as {user}: it proves the record, fields and automation accept the values, but not {user}'s own permissions. A true end-to-end test needs you to log in as {user}.",
                runs_as
            ));
        }
    } else {
        pre.notes.push(format!(
            "The write runs as you ({}); no integration user was chosen.",
            runs_as
        ));
    }
    match answer("lock").map(records_of) {
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
    if let Some(Ok(rows)) = answer("apex").map(records_of) {
        pre.can_run_apex = !rows.is_empty();
    }
    // The automation, read the way the checks read it.
    let automation = crate::checks::facts::Automation::from_answers(answers);
    if let Some(Ok(flows)) = automation.flows {
        pre.flows = flows.into_iter().map(|f| f.label).collect();
    }
    if let Some(Ok(rules)) = automation.assignment_rules {
        pre.assignment_rules = rules;
    }
    if let Some(Ok(rules)) = automation.validation {
        pre.validation_rules = rules
            .into_iter()
            .map(|r| format!("{} (\"{}\")", r.name, r.message))
            .collect();
    }
    if let Some(Ok(triggers)) = automation.triggers {
        pre.triggers = triggers
            .into_iter()
            .filter(|t| t.before_update || t.after_update)
            .map(|t| t.name)
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
    pre
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testwrite::journal::Stage;
    use serde_json::json;

    fn journal() -> Journal {
        let mut original = Map::new();
        original.insert("Score__c".into(), Value::Null);
        original.insert("When__c".into(), json!("2026-01-01T00:00:00.000+0000"));
        let mut test_values = Map::new();
        test_values.insert("Score__c".into(), json!(1.0));
        test_values.insert("When__c".into(), json!("2026-06-01T00:00:00.000Z"));
        Journal {
            instance_url: "https://acme.my.salesforce.com".into(),
            org_id: "00D5g000004Qmn2EAC".into(),
            username: "admin@acme.example".into(),
            user_id: "0055g000000000YAAQ".into(),
            object: "Case".into(),
            record_id: "5005g00000AbCdEAAV".into(),
            original,
            test_values,
            kinds: [
                ("Score__c".to_string(), ValueKind::Number),
                ("When__c".to_string(), ValueKind::DateTime),
            ]
            .into(),
            read_back: Map::new(),
            written_fields: vec!["Score__c".into(), "When__c".into()],
            original_last_modified: None,
            written_last_modified: Some("2026-12-05T10:00:00.000+0000".into()),
            stage: Stage::Written,
            started_at: String::new(),
        }
    }

    fn read(values: Value, last_modified: &str) -> RecordRead {
        RecordRead {
            values: values.as_object().cloned().unwrap_or_default(),
            last_modified: Some(last_modified.into()),
            last_modified_by: None,
        }
    }

    #[test]
    fn typed_read_backs_of_the_test_values_are_restored() {
        // Salesforce answers 1.0 for the written "1" and +0000 for the written Z.
        let d = decide_restore(
            &journal(),
            &read(
                json!({"Score__c": 1.0, "When__c": "2026-06-01T00:00:00.000+0000"}),
                "2026-12-05T10:00:00.000+0000",
            ),
        );
        assert_eq!(d.to_restore.len(), 2, "{d:?}");
        assert!(d.left.is_empty());
    }

    #[test]
    fn a_missing_or_garbled_field_is_left_with_its_original() {
        let d = decide_restore(
            &journal(),
            &read(
                json!({"Score__c": {"x": 1}}),
                "2026-12-05T10:00:00.000+0000",
            ),
        );
        assert_eq!(d.fates["Score__c"], FieldFate::Unproven);
        assert_eq!(d.fates["When__c"], FieldFate::Unproven);
        assert_eq!(d.left.len(), 2);
        let when = d.left.iter().find(|l| l.field == "When__c").unwrap();
        assert_eq!(when.put_back, json!("2026-01-01T00:00:00.000+0000"));
        assert!(when.line("Case", "5005").contains("did not include it"));
    }

    #[test]
    fn another_value_is_someone_elses_only_with_a_later_edit() {
        let values = json!({"Score__c": 7.0, "When__c": "2026-01-01T00:00:00.000+0000"});
        let quiet = decide_restore(
            &journal(),
            &read(values.clone(), "2026-12-05T10:00:00.000+0000"),
        );
        assert_eq!(quiet.fates["Score__c"], FieldFate::Unproven);
        assert_eq!(quiet.fates["When__c"], FieldFate::Restored);
        let edited = decide_restore(
            &journal(),
            &read(values.clone(), "2026-12-05T10:00:01.000+0000"),
        );
        assert_eq!(edited.fates["Score__c"], FieldFate::ChangedBySomeoneElse);
        assert!(edited.left.is_empty());
        let mut by_another = read(values, "2026-12-05T10:00:00.000+0000");
        by_another.last_modified_by = Some("0055g000000000ZAAQ".into());
        let d = decide_restore(&journal(), &by_another);
        assert_eq!(d.fates["Score__c"], FieldFate::ChangedBySomeoneElse);
    }

    #[test]
    fn verification_needs_every_restored_field_in_the_answer() {
        let j = journal();
        let restored = vec!["Score__c".to_string(), "When__c".to_string()];
        let after = read(json!({"Score__c": null}), "2026-12-05T10:00:02.000+0000");
        let left = verify_restored(&j, &restored, &after);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].field, "When__c");
    }

    #[test]
    fn the_preflight_reads_the_describe_into_typed_values_and_names_what_cannot_fit() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let mut answers: HashMap<String, Result<Value, FetchError>> = HashMap::new();
        answers.insert(
            "record".into(),
            Ok(
                json!({"CaseNumber": "00001001", "Subject": "SSO", "Enterpret_Summary__c": null,
                "Enterpret_Sentiment__c": "Positive", "Enterpret_Taxonomy_Paths__c": null,
                "LastModifiedDate": "2026-11-18T14:02:11.000+0000"}),
            ),
        );
        answers.insert(
            "describe".into(),
            Ok(json!({"fields": [
                {"name": "Enterpret_Summary__c", "type": "textarea", "length": 32768},
                {"name": "Enterpret_Sentiment__c", "type": "picklist", "restrictedPicklist": true,
                 "picklistValues": [{"value": "Positive", "active": true}, {"value": "Neutral", "active": false}]},
                {"name": "Enterpret_Taxonomy_Paths__c", "type": "textarea", "length": 32768},
            ]})),
        );
        answers.insert("lock".into(), Ok(json!({"records": []})));
        answers.insert(
            "validation".into(),
            Err(FetchError {
                code: "INVALID_TYPE".into(),
                message: "no".into(),
            }),
        );
        let pre = read_preflight(
            &profile,
            "5005g00000AbCdEAAV",
            "admin@acme.example",
            None,
            &answers,
        );
        assert_eq!(pre.record_label, "Case 00001001: SSO");
        assert_eq!(pre.record_name.as_deref(), Some("00001001"));
        assert_eq!(pre.current["Enterpret_Sentiment__c"], json!("Positive"));
        assert_eq!(pre.locked, Some(false));
        assert!(pre.plan.typed_from_org);
        assert!(
            pre.blockers
                .iter()
                .any(|b| b.contains("Enterpret_Sentiment__c will not be written")
                    && b.contains("'Neutral'")),
            "{:?}",
            pre.blockers
        );
        assert!(!pre.plan.values().contains_key("Enterpret_Sentiment__c"));
        // Without the describe: typed from the profile, and said.
        answers.remove("describe");
        let pre = read_preflight(
            &profile,
            "5005g00000AbCdEAAV",
            "admin@acme.example",
            None,
            &answers,
        );
        assert!(!pre.plan.typed_from_org);
        assert!(pre
            .notes
            .iter()
            .any(|n| n.contains("describe could not be read")));
    }

    #[test]
    fn fields_hidden_from_you_are_named_and_the_fix_is_access_not_creation() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let mut answers = HashMap::new();
        // The describe (read as you) shows only one of the three fields.
        answers.insert(
            "describe".into(),
            Ok(json!({"fields": [{"name": "Enterpret_Summary__c", "type": "textarea", "length": 32768}]})),
        );
        answers.insert(
            "record".into(),
            Err(FetchError {
                code: "INVALID_FIELD".into(),
                message: "No such column 'Enterpret_Sentiment__c' on entity 'Case'.".into(),
            }),
        );
        let pre = read_preflight(
            &profile,
            "5005g00000AbCdEAAV",
            "admin@acme.example",
            None,
            &answers,
        );
        let blocker = pre
            .blockers
            .iter()
            .find(|b| b.contains("cannot see"))
            .unwrap_or_else(|| panic!("{:?}", pre.blockers));
        assert!(
            blocker.contains("Enterpret_Sentiment__c, Enterpret_Taxonomy_Paths__c"),
            "{blocker}"
        );
        assert!(!blocker.contains("Enterpret_Summary__c"), "{blocker}");
        assert!(blocker.contains("give yourself Read and Edit"), "{blocker}");
        assert!(!blocker.starts_with("Create"), "{blocker}");
    }
}
