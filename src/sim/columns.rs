//! `GET .../query?q=SOQL&columns=true`: the query's columns instead of its rows, as the
//! Salesforce CLI's `sf data query` asks for them after the rows (`retrieveColumns` in
//! `@salesforce/plugin-data`, `lib/commands/data/query.js`): `{"columnMetadata": [...]}`, each
//! column with `columnName`, `displayName`, `aggregate` and `joinColumns` (a parent
//! relationship's fields, or a child subquery's with `aggregate: true`). The other keys follow
//! the shape the Developer Console's query editor reads (UNVERIFIED: no recorded answer).

use super::query::OrgView;
use super::rest::Reply;
use super::schema::{FieldDef, FieldKind};
use super::soql::{self, DataSource, FieldPath, Query, SelectItem};
use serde_json::{json, Value};

/// The column metadata of `soql_text` for the caller `view`, or the query's error.
pub fn query_columns(view: &OrgView<'_>, soql_text: &str) -> Reply {
    // The same validation as running it: a query that cannot run has no columns either.
    if let Err(e) = super::query::run(view, soql_text) {
        return Reply::error(400, &e.error_code, e.message);
    }
    let Ok(query) = soql::parse(soql_text) else {
        return Reply::error(400, "MALFORMED_QUERY", "unexpected query");
    };
    let Some(object) = view.object(&query.from.name) else {
        return Reply::error(400, "INVALID_TYPE", "sObject type is not supported.");
    };
    let mut expr = 0;
    let columns = columns_of(view, &object, &query, &mut expr);
    let id_selected = query.select.iter().any(|item| {
        matches!(item, SelectItem::Field(f) if f.parts.len() == 1 && f.parts[0].eq_ignore_ascii_case("Id"))
    });
    let key_prefix = view.org.object(&object).map(|d| d.key_prefix.clone());
    Reply::json(
        200,
        json!({
            "columnMetadata": columns,
            "entityName": object,
            "groupBy": false,
            "idSelected": id_selected,
            "keyPrefix": key_prefix,
        }),
    )
}

fn columns_of(view: &OrgView<'_>, object: &str, query: &Query, expr: &mut usize) -> Vec<Value> {
    let mut out = Vec::new();
    for item in &query.select {
        match item {
            // `SELECT COUNT() ...` has no column: its answer is `totalSize`.
            SelectItem::CountAll => {}
            SelectItem::CountOf(path) => {
                let name = format!("expr{expr}");
                *expr += 1;
                out.push(json!({
                    "aggregate": true, "apexType": "Integer", "booleanType": false,
                    "columnName": name, "custom": false,
                    "displayName": format!("COUNT({})", path.dotted()),
                    "foreignKeyName": null, "insertable": false, "joinColumns": [],
                    "numberType": true, "textType": false, "updatable": false,
                }));
            }
            SelectItem::Field(path) => out.push(field_column(view, object, path, 0)),
            SelectItem::Subquery(sub) => {
                let Some((rel, child, _)) = view.child_relationship(object, &sub.from.name) else {
                    continue;
                };
                let mut inner = 0;
                let join = columns_of(view, &child, sub, &mut inner);
                out.push(json!({
                    "aggregate": true, "apexType": null, "booleanType": false,
                    "columnName": rel, "custom": false, "displayName": rel,
                    "foreignKeyName": null, "insertable": false, "joinColumns": join,
                    "numberType": false, "textType": false, "updatable": false,
                }));
            }
        }
    }
    out
}

/// A field path from `depth` on: a field, or a relationship whose `joinColumns` hold the rest.
fn field_column(view: &OrgView<'_>, object: &str, path: &FieldPath, depth: usize) -> Value {
    let part = &path.parts[depth];
    if depth + 1 < path.parts.len() {
        let (name, target) = match view.relationship(object, part) {
            Some((rel, _fk, target)) => (rel, target),
            None => (part.clone(), String::new()),
        };
        let join = field_column(view, &target, path, depth + 1);
        return json!({
            "aggregate": false, "apexType": null, "booleanType": false,
            "columnName": name, "custom": name.ends_with("__r"), "displayName": name,
            "foreignKeyName": null, "insertable": false, "joinColumns": [join],
            "numberType": false, "textType": false, "updatable": false,
        });
    }
    let name = view.field(object, part).unwrap_or_else(|| part.clone());
    let def = view.org.object(object).and_then(|d| d.field(&name));
    let display = path.parts[..=depth].join(".");
    let kind = def.map(|f| &f.kind);
    json!({
        "aggregate": false,
        "apexType": def.map(apex_type),
        "booleanType": matches!(kind, Some(FieldKind::Checkbox)),
        "columnName": name,
        "custom": def.is_some_and(|f| f.custom),
        "displayName": display,
        "foreignKeyName": null,
        "insertable": false,
        "joinColumns": [],
        "numberType": kind.is_some_and(FieldKind::is_number),
        "textType": kind.is_some_and(FieldKind::is_text),
        "updatable": false,
    })
}

/// The Apex type of a field (Apex Developer Guide, "Primitive Data Types").
fn apex_type(field: &FieldDef) -> &'static str {
    match field.kind {
        FieldKind::Id | FieldKind::Reference => "Id",
        FieldKind::Checkbox => "Boolean",
        FieldKind::DateTime => "Datetime",
        FieldKind::Date => "Date",
        FieldKind::Number | FieldKind::Currency | FieldKind::Percent => "Double",
        FieldKind::Integer => "Integer",
        FieldKind::Address => "Address",
        FieldKind::Complex => "Object",
        _ => "String",
    }
}
