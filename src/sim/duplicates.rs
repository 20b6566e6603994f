//! Duplicate rules on Contact and Lead: an active rule whose action on edit is Block refuses a
//! save that makes the record match another one, with `DUPLICATES_DETECTED` and Salesforce's
//! `duplicateResult` details. Matching is exact (case-insensitive, blank never matches) on
//! every field the rule's matching rule lists. Sources: `docs/salesforce-fidelity.md`.

use super::org::{Org, Row};
use super::rest::Reply;
use super::schema::ObjectDef;
use serde_json::{json, Value};

/// The standard duplicate rules' alert text, used when a scenario rule states none.
pub const DEFAULT_MESSAGE: &str =
    "You're creating a duplicate record. We recommend you use an existing record instead.";

/// Checks the record as it would be saved (`inserting`: a new record, no Id yet) against every
/// active rule of its object.
pub fn check(org: &Org, def: &ObjectDef, after: &Row, inserting: bool) -> Option<Reply> {
    let id = after.get("Id").and_then(Value::as_str);
    for rule in &org.duplicate_rules {
        let action = if inserting {
            &rule.action_on_insert
        } else {
            &rule.action_on_edit
        };
        if !rule.active
            || !rule.sobject_type.eq_ignore_ascii_case(&def.name)
            || !action.eq_ignore_ascii_case("Block")
            || rule.matching_fields.is_empty()
        {
            continue;
        }
        let key = |row: &Row| -> Option<Vec<String>> {
            rule.matching_fields
                .iter()
                .map(|f| {
                    let field = def.field(f)?;
                    let text = match row.get(&field.name)? {
                        Value::String(s) if !s.trim().is_empty() => s.trim().to_lowercase(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some(text)
                })
                .collect()
        };
        let Some(wanted) = key(after) else { continue };
        let matches: Vec<&Row> = org
            .table(&def.name)
            .iter()
            .filter(|r| id.is_none() || r.get("Id").and_then(Value::as_str) != id)
            .filter(|r| r.get("IsDeleted") != Some(&json!(true)))
            .filter(|r| key(r).as_ref() == Some(&wanted))
            .collect();
        if matches.is_empty() {
            continue;
        }
        let version = &org.api_version;
        let records: Vec<Value> = matches
            .iter()
            .map(|r| {
                let id = r.get("Id").cloned().unwrap_or(Value::Null);
                json!({"additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                    "record": {"attributes": {"type": def.name,
                        "url": format!("/services/data/v{version}/sobjects/{}/{}", def.name, id.as_str().unwrap_or(""))},
                        "Id": id}})
            })
            .collect();
        let message = rule
            .error_message
            .clone()
            .unwrap_or_else(|| DEFAULT_MESSAGE.to_string());
        let body = json!([{
            "duplicateResult": {
                "allowSave": false,
                "duplicateRule": rule.developer_name,
                "duplicateRuleEntityType": def.name,
                "errorMessage": message,
                "matchResults": [{
                    "entityType": def.name,
                    "errors": [],
                    "matchEngine": "ExactMatchEngine",
                    "matchRecords": records,
                    "rule": rule.matching_rule.clone().unwrap_or_else(|| format!("{}_Match", rule.developer_name)),
                    "size": matches.len(),
                    "success": true,
                }],
            },
            "errorCode": "DUPLICATES_DETECTED",
            "message": message,
        }]);
        return Some(Reply::json(400, body));
    }
    None
}
