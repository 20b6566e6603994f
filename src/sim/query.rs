//! SOQL over the org's tables, as one user sees them through one API (standard or Tooling).
//!
//! Implements the SOQL engine's `DataSource`: objects the API does not serve or the user may
//! not see are unknown, custom fields without FLS read are unknown columns, and the computed
//! objects (CustomField, FieldDefinition, UserEntityAccess, ...) are built on demand.

use super::org::{Org, Row};
use super::schema::{FieldKind, DATA_OBJECTS};
use super::soql::{self, CmpOp, DataSource, Expr, Literal, SoqlError};
use crate::sfid;
use serde_json::{json, Value};
use std::collections::HashSet;

pub struct OrgView<'a> {
    pub org: &'a Org,
    pub user_id: &'a str,
    pub tooling: bool,
    pub version: &'a str,
    /// `queryAll`: deleted rows are answered too.
    pub all_rows: bool,
}

impl OrgView<'_> {
    /// Custom fields of a data object the caller has no field-level read access to.
    fn hidden_fields(&self, object: &str) -> HashSet<String> {
        let Some(def) = self.org.object(object).filter(|d| d.crud_controlled) else {
            return HashSet::new();
        };
        let access = self.org.user_access(self.user_id);
        def.fields
            .iter()
            .filter(|f| f.custom && !access.field(&def.name, f).read)
            .map(|f| f.name.clone())
            .collect()
    }

    fn sees_object(&self, name: &str) -> bool {
        let Some(def) = self.org.object(name) else {
            return false;
        };
        if !def.api.serves(self.tooling) {
            return false;
        }
        if def.crud_controlled && name != "Organization" && name != "User" {
            return self.org.object_access(self.user_id, &def.name).read;
        }
        match def.name.as_str() {
            // UserLogin needs Manage Users (object reference, UserLogin).
            "UserLogin" => {
                return self
                    .org
                    .has_permission(self.user_id, "PermissionsManageUsers")
            }
            // Everyone may query OauthToken; without Customize Application only their own rows.
            "OauthToken" => return true,
            _ => {}
        }
        if def.setup {
            return self
                .org
                .has_permission(self.user_id, "PermissionsViewSetup");
        }
        true
    }

    fn virtual_rows(
        &self,
        object: &str,
        filter: Option<&Expr>,
    ) -> Result<Option<Vec<Row>>, SoqlError> {
        let org = self.org;
        let rows = match object {
            "CustomField" => {
                let mut rows = Vec::new();
                for name in DATA_OBJECTS {
                    let Some(def) = org.object(name) else { continue };
                    for field in def.fields.iter().filter(|f| f.custom) {
                        let Some(id) = &field.custom_field_id else { continue };
                        rows.push(row(json!({"Id": id, "DeveloperName": field.developer_name(),
                            "TableEnumOrId": name, "NamespacePrefix": field.namespace(),
                            "ManageableState": "unmanaged", "CreatedDate": field.created_date,
                            "LastModifiedDate": field.created_date,
                            "FullName": format!("{name}.{}", field.name),
                            "Metadata": field.tooling_metadata()})));
                    }
                }
                rows
            }
            "EntityDefinition" => DATA_OBJECTS
                .iter()
                .filter_map(|n| org.object(n))
                .map(|o| {
                    row(json!({"DurableId": o.name, "QualifiedApiName": o.name, "Label": o.label,
                        "KeyPrefix": o.key_prefix, "NamespacePrefix": null, "IsCustomizable": true}))
                })
                .collect(),
            "FieldDefinition" => {
                require_filter(object, filter, &["EntityDefinitionId", "EntityDefinition", "DurableId"], "[EntityDefinitionId,DurableId]")?;
                let mut rows = Vec::new();
                for name in DATA_OBJECTS {
                    let Some(def) = org.object(name) else { continue };
                    for field in &def.fields {
                        rows.push(row(json!({"DurableId": field_durable_id(name, field),
                            "QualifiedApiName": field.name, "EntityDefinitionId": name,
                            "DataType": field.data_type(),
                            "Length": if field.kind.is_text() { json!(field.length) } else { json!(0) },
                            "Label": field.label, "IsNillable": field.nillable,
                            "NamespacePrefix": field.namespace()})));
                    }
                }
                rows
            }
            "UserEntityAccess" => {
                let users = literals(filter, "UserId");
                if users.is_empty() {
                    return Err(reified(object, "[UserId,DurableId]"));
                }
                let mut rows = Vec::new();
                for user in users {
                    let Ok(user18) = sfid::to_18(&user) else { continue };
                    for name in DATA_OBJECTS {
                        let a = org.object_access(&user18, name);
                        rows.push(row(json!({"DurableId": format!("{name}.{user18}"),
                            "UserId": user18, "EntityDefinitionId": name,
                            "IsReadable": a.read, "IsEditable": a.edit, "IsCreatable": a.create,
                            "IsDeletable": a.delete})));
                    }
                }
                rows
            }
            "UserFieldAccess" => {
                let keys = literals(filter, "DurableId");
                if keys.is_empty() {
                    return Err(reified(object, "[DurableId]"));
                }
                let mut rows = Vec::new();
                for key in keys {
                    // Object.FieldDurable.UserId, where FieldDurable is the 15-char CustomField id or the API name.
                    let mut parts = key.splitn(3, '.');
                    let (Some(object_name), Some(field_key), Some(user)) = (parts.next(), parts.next(), parts.next()) else {
                        continue;
                    };
                    let Some(def) = org.object(object_name) else { continue };
                    let Some(field) = def.fields.iter().find(|f| {
                        f.name.eq_ignore_ascii_case(field_key)
                            || f.custom_field_id.as_deref().is_some_and(|id| id.starts_with(field_key) && field_key.len() >= 15)
                    }) else {
                        continue;
                    };
                    let Ok(user18) = sfid::to_18(user) else { continue };
                    let a = org.field_access(&user18, &def.name, field);
                    rows.push(row(json!({"DurableId": key, "EntityDefinitionId": def.name,
                        "FieldDefinitionId": field_durable_id(&def.name, field), "UserId": user18,
                        "IsAccessible": a.read, "IsUpdatable": a.edit, "IsCreatable": a.edit})));
                }
                rows
            }
            "UserRecordAccess" => {
                let users = literals(filter, "UserId");
                let records = literals(filter, "RecordId");
                if users.len() != 1 || records.is_empty() {
                    return Err(SoqlError::new(
                        "MALFORMED_QUERY",
                        "UserRecordAccess: a filter on UserId with a single value and on RecordId is required",
                    ));
                }
                if records.len() > 200 {
                    return Err(SoqlError::new("MALFORMED_QUERY", "UserRecordAccess: RecordId IN accepts at most 200 ids"));
                }
                let Ok(user18) = sfid::to_18(&users[0]) else { return Ok(Some(Vec::new())) };
                let mut rows = Vec::new();
                for record_id in records {
                    let Some(def) = org.object_by_prefix(&record_id) else { continue };
                    let Some(record) = org.find(&def.name, &record_id) else { continue };
                    let level = org.record_access(&user18, &def.name, record);
                    let rank = ["None", "Read", "Edit", "Delete", "Transfer", "All"]
                        .iter()
                        .position(|l| *l == level)
                        .unwrap_or(0);
                    rows.push(row(json!({"RecordId": record.get("Id"), "UserId": user18,
                        "HasReadAccess": rank >= 1, "HasEditAccess": rank >= 2,
                        "HasDeleteAccess": rank >= 3, "HasTransferAccess": rank >= 4,
                        "HasAllAccess": rank >= 5, "MaxAccessLevel": level})));
                }
                rows
            }
            _ => return Ok(None),
        };
        Ok(Some(rows))
    }
}

/// A stored row as an API shows it: no private `__` keys, no hidden fields, and no nulls
/// (the SOQL engine reads a missing column as null).
fn visible_row(stored: &Row, hidden: &HashSet<String>) -> Row {
    stored
        .iter()
        .filter(|(k, v)| !v.is_null() && !k.starts_with("__") && !hidden.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn row(value: Value) -> Row {
    super::org::into_row(value)
}

fn reified(object: &str, columns: &str) -> SoqlError {
    SoqlError::new(
        "MALFORMED_QUERY",
        format!("{object}: a filter on a reified column is required {columns}"),
    )
}

fn require_filter(
    object: &str,
    filter: Option<&Expr>,
    fields: &[&str],
    columns: &str,
) -> Result<(), SoqlError> {
    let mentioned = fields.iter().any(|f| !literals(filter, f).is_empty());
    if mentioned {
        Ok(())
    } else {
        Err(reified(object, columns))
    }
}

/// `FieldDefinition.DurableId`: `Case.<15-char CustomField id>` for custom fields, `Case.Subject` for standard ones.
pub fn field_durable_id(object: &str, field: &super::schema::FieldDef) -> String {
    match &field.custom_field_id {
        Some(id) => format!("{object}.{}", &id[..15]),
        None => format!("{object}.{}", field.name),
    }
}

/// String values a WHERE clause compares `field` to with `=` or `IN` (the first part of a path
/// also matches, so `EntityDefinition.QualifiedApiName = 'Case'` counts for `EntityDefinition`).
fn literals(filter: Option<&Expr>, field: &str) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(expr: &Expr, field: &str, out: &mut Vec<String>) {
        let matches =
            |parts: &[String]| parts.first().is_some_and(|p| p.eq_ignore_ascii_case(field));
        match expr {
            Expr::And(a, b) | Expr::Or(a, b) => {
                walk(a, field, out);
                walk(b, field, out);
            }
            Expr::Not(_) => {}
            Expr::Compare {
                field: path,
                op: CmpOp::Eq,
                value: Literal::String(s),
            } if matches(&path.parts) => out.push(s.clone()),
            Expr::In {
                field: path,
                negated: false,
                values,
            } if matches(&path.parts) => out.extend(values.iter().filter_map(|v| match v {
                Literal::String(s) => Some(s.clone()),
                _ => None,
            })),
            _ => {}
        }
    }
    if let Some(expr) = filter {
        walk(expr, field, &mut out);
    }
    out
}

impl DataSource for OrgView<'_> {
    fn object(&self, name: &str) -> Option<String> {
        if !self.sees_object(name) {
            return None;
        }
        self.org.object(name).map(|o| o.name.clone())
    }

    fn field(&self, object: &str, field: &str) -> Option<String> {
        let def = self.org.object(object)?;
        let f = def.field(field)?;
        if def.crud_controlled
            && f.custom
            && !self.org.field_access(self.user_id, &def.name, f).read
        {
            return None;
        }
        if matches!(f.kind, FieldKind::Complex) && !self.tooling {
            return None;
        }
        Some(f.name.clone())
    }

    fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
        let def = self.org.object(object)?;
        let f = def.relationship(name)?;
        // Polymorphic lookups (Owner: Group or User) resolve to the target this org has.
        let target = f
            .reference_to
            .iter()
            .find(|t| self.org.object(t).is_some())?
            .clone();
        Some((f.relationship_name.clone()?, f.name.clone(), target))
    }

    fn child_relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
        let def = self.org.object(object)?;
        let c = def.child_relationship(name)?;
        // The children must be queryable by the caller on this API.
        let child = self.object(&c.child_object)?;
        let field = self.org.object(&child)?.field(&c.field)?.name.clone();
        Some((c.name.clone(), child, field))
    }

    fn rows(&self, object: &str, filter: Option<&Expr>) -> Result<Vec<Row>, SoqlError> {
        if let Some(rows) = self.virtual_rows(object, filter)? {
            return Ok(rows);
        }
        let hidden = self.hidden_fields(object);
        let all_tokens = object != "OauthToken"
            || self
                .org
                .has_permission(self.user_id, "PermissionsCustomizeApplication");
        let shared = DATA_OBJECTS.contains(&object);
        Ok(self
            .org
            .table(object)
            .iter()
            .filter(|r| self.all_rows || r.get("IsDeleted") != Some(&json!(true)))
            .filter(|r| all_tokens || r.get("UserId").and_then(Value::as_str) == Some(self.user_id))
            // Records the sharing model gives the caller no access to are not returned.
            .filter(|r| !shared || self.org.record_access(self.user_id, object, r) != "None")
            .map(|r| visible_row(r, &hidden))
            .collect())
    }

    fn parent(&self, target_object: &str, key: &Value) -> Option<Row> {
        let key = key.as_str()?;
        if target_object == "EntityDefinition" {
            let def = self.org.object(key)?;
            return Some(row(
                json!({"DurableId": def.name, "QualifiedApiName": def.name,
                "Label": def.label, "KeyPrefix": def.key_prefix, "NamespacePrefix": null,
                "IsCustomizable": true}),
            ));
        }
        let hidden = self.hidden_fields(target_object);
        if let Some(found) = self.org.find(target_object, key) {
            return Some(visible_row(found, &hidden));
        }
        self.org
            .table(target_object)
            .iter()
            .find(|r| r.get("DurableId").and_then(Value::as_str) == Some(key))
            .map(|r| visible_row(r, &hidden))
    }

    fn record_url(&self, object: &str, row: &Row) -> String {
        let api = if self.tooling {
            "tooling/sobjects"
        } else {
            "sobjects"
        };
        let key = row
            .get("Id")
            .or_else(|| row.get("DurableId"))
            .and_then(Value::as_str)
            .unwrap_or("");
        format!("/services/data/v{}/{api}/{object}/{key}", self.version)
    }
}

/// Runs a query as one user on one API. The Tooling "one row with Metadata or FullName" rule is enforced here.
pub fn run(view: &OrgView<'_>, soql_text: &str) -> Result<soql::QueryResult, SoqlError> {
    let result = soql::execute(soql_text, view)?;
    if view.tooling && result.records.len() > 1 {
        let selects_metadata = result
            .records
            .first()
            .and_then(Value::as_object)
            .is_some_and(|r| r.contains_key("Metadata") || r.contains_key("FullName"));
        if selects_metadata {
            return Err(SoqlError::new(
                "MALFORMED_QUERY",
                "When retrieving results with Metadata or FullName fields, the query qualifications must specify no more than one row for retrieval. Result size: ".to_string()
                    + &result.records.len().to_string(),
            ));
        }
    }
    Ok(result)
}
