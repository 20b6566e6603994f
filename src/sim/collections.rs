//! sObject Collections (`/composite/sobjects`, API 42.0 and later) and Record Count
//! (`/limits/recordCount`), on top of `rest::dispatch`: every record goes through the same path
//! as a single request, so a collection item fails exactly as that request would.
//!
//! Answers as recorded from real orgs (`../shared/fixtures/salesforce/`):
//! `sobject_collections_update_INVALID_EMAIL_ADDRESS_grouparoo.json` (a success is
//! `{"id", "success": true, "errors": []}`, a failure `{"success": false, "errors": [{"statusCode",
//! "message", "fields"}]}` without an `id`), `sobject_collections_create_REQUIRED_FIELD_MISSING_grouparoo.json`
//! and `limits_recordCount_CumulusCI.json`.

use super::org::Org;
use super::rest::{self, query_param, Body, Ctx, Reply, RestRequest};
use serde_json::{json, Value};

/// At most 200 records per collection request (REST API Developer Guide, "sObject Collections").
const MAX_RECORDS: usize = 200;

const ROLLED_BACK: &str = "Record rolled back because not all records were valid and the request was using AllOrNone header";

/// `/composite/sobjects[/{type}]`; `rest` is what follows `sobjects`.
pub fn handle(org: &mut Org, ctx: &Ctx<'_>, req: &RestRequest<'_>, rest: &[&str]) -> Reply {
    match (req.method, rest) {
        ("GET", [object]) => {
            let ids = query_param(req.query, "ids").unwrap_or_default();
            let fields = query_param(req.query, "fields");
            retrieve(org, ctx, object, &split(&ids), fields.as_deref())
        }
        ("POST", [object]) => {
            let body = match json_body(req.body) {
                Ok(b) => b,
                Err(reply) => return reply,
            };
            let ids: Vec<String> = body
                .get("ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let fields = body.get("fields").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            });
            retrieve(org, ctx, object, &ids, fields.as_deref())
        }
        ("PATCH" | "POST", []) => write(org, ctx, req),
        ("DELETE", []) => {
            let ids = split(&query_param(req.query, "ids").unwrap_or_default());
            let all_or_none = query_param(req.query, "allOrNone").as_deref() == Some("true");
            let items: Vec<(String, Option<Value>)> =
                ids.into_iter().map(|id| (id, None)).collect();
            run_all(org, ctx, "DELETE", items, all_or_none)
        }
        _ => Reply::not_found(),
    }
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn json_body(body: Option<&[u8]>) -> Result<serde_json::Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body.unwrap_or(b"")) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Reply::error(
            400,
            "JSON_PARSER_ERROR",
            "The request body is not a JSON object",
        )),
    }
}

/// Records by Id: each one as `GET .../sobjects/{type}/{id}?fields=...` answers it, `null` for
/// an Id that names no record.
fn retrieve(
    org: &mut Org,
    ctx: &Ctx<'_>,
    object: &str,
    ids: &[String],
    fields: Option<&str>,
) -> Reply {
    let Some(fields) = fields.filter(|f| !f.trim().is_empty()) else {
        return Reply::error(400, "MISSING_ARGUMENT", "The fields parameter is required");
    };
    if ids.is_empty() {
        return Reply::error(400, "MISSING_ARGUMENT", "The ids parameter is required");
    }
    if ids.len() > 2000 {
        return Reply::error(400, "EXCEEDED_ID_LIMIT", "Exceeded Id limit of 2000");
    }
    let query = format!("fields={}", urlencode(fields));
    let mut records = Vec::new();
    for id in ids {
        let path = format!("{}/sobjects/{object}/{id}", ctx.base());
        let reply = dispatch(org, ctx, "GET", &path, Some(&query), None);
        match (reply.status, reply.body) {
            (200, Body::Json(record)) => records.push(record),
            (404, _) => records.push(Value::Null),
            (_, Body::Json(error)) => return Reply::json(reply.status, error),
            (status, Body::Empty) => return Reply::json(status, Value::Null),
        }
    }
    Reply::json(200, Value::Array(records))
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `PATCH` (update, each record with `attributes.type` and `id`) or `POST` (create) of
/// `{"allOrNone": bool, "records": [...]}`.
fn write(org: &mut Org, ctx: &Ctx<'_>, req: &RestRequest<'_>) -> Reply {
    let body = match json_body(req.body) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let all_or_none = body.get("allOrNone").and_then(Value::as_bool) == Some(true);
    let records = body
        .get("records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if records.is_empty() {
        return Reply::error(400, "INVALID_FIELD", "No records to process");
    }
    if records.len() > MAX_RECORDS {
        return Reply::error(
            400,
            "EXCEEDED_ID_LIMIT",
            format!("record limit reached. cannot submit more than {MAX_RECORDS} records into this call"),
        );
    }
    let items = records
        .into_iter()
        .map(|record| {
            let id = record
                .get("id")
                .or_else(|| record.get("Id"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (id, Some(record))
        })
        .collect();
    run_all(org, ctx, req.method, items, all_or_none)
}

/// Runs every item through `rest::dispatch`; with `allOrNone`, one failure rolls every change
/// back and each other item answers `ALL_OR_NONE_OPERATION_ROLLED_BACK`.
fn run_all(
    org: &mut Org,
    ctx: &Ctx<'_>,
    method: &str,
    items: Vec<(String, Option<Value>)>,
    all_or_none: bool,
) -> Reply {
    let snapshot = all_or_none.then(|| org.clone());
    let mut results = Vec::new();
    let mut failed = false;
    for (id, record) in items {
        let (path, body) = match (method, record) {
            ("DELETE", _) => (
                format!("{}/sobjects/{}", ctx.base(), object_of_id(org, &id)),
                None,
            ),
            (_, Some(mut record)) => {
                let object = record
                    .get("attributes")
                    .and_then(|a| a.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if let Value::Object(map) = &mut record {
                    map.remove("attributes");
                    map.remove("id");
                    map.remove("Id");
                }
                if object.is_empty() {
                    failed = true;
                    results.push(item_error(
                        None,
                        "INVALID_TYPE",
                        "Must send a concrete entity type.",
                        &[],
                    ));
                    continue;
                }
                let path = if method == "PATCH" {
                    format!("{}/sobjects/{object}/{id}", ctx.base())
                } else {
                    format!("{}/sobjects/{object}", ctx.base())
                };
                (path, Some(record.to_string()))
            }
            (_, None) => continue,
        };
        let path = if method == "DELETE" {
            format!("{path}/{id}")
        } else {
            path
        };
        let reply = dispatch(
            org,
            ctx,
            method,
            &path,
            None,
            body.as_deref().map(str::as_bytes),
        );
        if reply.status < 300 {
            let id = match reply
                .body_json()
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str)
            {
                Some(created) => created.to_string(),
                None => id,
            };
            results.push(json!({"id": id, "success": true, "errors": []}));
        } else {
            failed = true;
            let error = reply
                .body_json()
                .and_then(|b| b.get(0))
                .cloned()
                .unwrap_or(Value::Null);
            let code = error
                .get("errorCode")
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN_EXCEPTION");
            let message = error.get("message").and_then(Value::as_str).unwrap_or("");
            let fields: Vec<String> = error
                .get("fields")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let known = (method != "POST" && reply.status != 404).then_some(id);
            results.push(item_error(known.as_deref(), code, message, &fields));
        }
    }
    if let (true, Some(snapshot)) = (failed, snapshot) {
        let (used, by_app, sessions) = (
            org.api_used,
            org.api_used_by_app.clone(),
            org.sessions.clone(),
        );
        *org = snapshot;
        org.api_used = used;
        org.api_used_by_app = by_app;
        org.sessions = sessions;
        for result in &mut results {
            if result.get("success") == Some(&json!(true)) {
                *result = item_error(None, "ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK, &[]);
            }
        }
    }
    Reply::json(200, Value::Array(results))
}

fn item_error(id: Option<&str>, code: &str, message: &str, fields: &[String]) -> Value {
    let mut item = serde_json::Map::new();
    if let Some(id) = id {
        item.insert("id".into(), json!(id));
    }
    item.insert("success".into(), json!(false));
    item.insert(
        "errors".into(),
        json!([{"statusCode": code, "message": message, "fields": fields}]),
    );
    Value::Object(item)
}

/// The object whose key prefix starts `id` (for a collection delete, which names Ids only).
fn object_of_id(org: &Org, id: &str) -> String {
    org.objects
        .iter()
        .find(|o| o.key_prefix.len() == 3 && id.starts_with(&o.key_prefix))
        .map(|o| o.name.clone())
        .unwrap_or_default()
}

fn dispatch(
    org: &mut Org,
    ctx: &Ctx<'_>,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    rest::dispatch(
        org,
        ctx.user_id,
        &RestRequest {
            method,
            path,
            query,
            body,
            auto_assign: true,
            if_unmodified_since: None,
            query_options: None,
        },
    )
}

/// `GET /limits/recordCount[?sObjects=A,B]`: `{"sObjects": [{"count", "name"}]}` for the
/// objects asked for (all the caller can see when none), as recorded in
/// `limits_recordCount_CumulusCI.json`. The counts are the org's current rows (Salesforce
/// answers from a periodic estimate: UNVERIFIED how stale).
pub fn record_count(org: &Org, ctx: &Ctx<'_>, query: Option<&str>) -> Reply {
    use super::soql::DataSource;
    let view = ctx.view(org);
    let wanted: Vec<String> = match query_param(query, "sObjects") {
        Some(list) => split(&list),
        None => org
            .objects
            .iter()
            .filter(|o| o.crud_controlled)
            .map(|o| o.name.clone())
            .collect(),
    };
    let counts: Vec<Value> = wanted
        .iter()
        .filter_map(|name| view.object(name))
        .map(|name| {
            let count = org
                .table(&name)
                .iter()
                .filter(|r| r.get("IsDeleted") != Some(&json!(true)))
                .count();
            json!({"count": count, "name": name})
        })
        .collect();
    Reply::json(200, json!({ "sObjects": counts }))
}
