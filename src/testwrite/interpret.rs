//! Interpreting what Salesforce reads back during a test write (sans-IO): which fields still hold
//! the test value and go back, which are proven back, which someone else changed (with
//! evidence), and which cannot be proven either way and stay in the journal.

use super::journal::Journal;
use super::value::{same, shown, ValueKind};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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
}
