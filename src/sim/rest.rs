//! REST and Tooling REST resources of the simulated org, answered as Salesforce answers them.
//!
//! `dispatch` takes an already authenticated request (a user) and returns a `Reply`; the HTTP
//! layer and the composite resource both go through it, so a subrequest behaves exactly like
//! the same request sent alone.

use super::org::{into_row, now_stamp, parse_stamp, Org, Row};
use super::query::{self, OrgView};
use super::schema::{FieldDef, FieldKind, PicklistValue, DATA_OBJECTS};
use crate::sfid;
use serde_json::{json, Value};

/// The oldest version a real org serves: versions 21.0 to 30.0 were retired in Summer '25
/// ("Salesforce Platform API Versions 21.0 Through 30.0 Retirement"), so the list starts at 31.0.
pub const OLDEST_VERSION: u32 = 31;

/// The release that introduced API version `major`: 31.0 was Summer '14, then from 32.0
/// (Winter '15) three releases a year (the REST API Developer Guide's version list).
pub fn release_label(major: u32) -> String {
    if major < 32 {
        return "Summer '14".into();
    }
    let n = major - 32;
    let season = ["Winter", "Spring", "Summer"][(n % 3) as usize];
    format!("{season} '{:02}", 15 + n / 3)
}

/// The first API version serving a resource (path segments after the version, Tooling
/// removed), when it is newer than the oldest served version.
fn introduced_in(tooling: bool, seg: &[&str]) -> f64 {
    match (tooling, seg) {
        // sObject Collections: "available in API version 42.0 and later" (jsforce checks 42).
        (false, ["composite", "sobjects", ..]) => 42.0,
        // Composite: the REST API guide's first composite examples use v38.0.
        (false, ["composite", ..]) => 38.0,
        // Tooling composite: the Tooling guide's examples use v40.0 (UNVERIFIED as the first).
        (true, ["composite", ..]) => 40.0,
        // sObject Relationships: "available in REST API version 36.0 and later".
        (_, ["sobjects", _, _, _]) => 36.0,
        // Record Count: "available in API version 40.0 and later".
        (false, ["limits", "recordCount"]) => 40.0,
        _ => 0.0,
    }
}

/// Whether `version` (e.g. `"37.0"`) serves the composite resource of the API (`tooling`).
pub fn serves_composite(version: &str, tooling: bool) -> bool {
    version.parse::<f64>().unwrap_or(0.0) >= introduced_in(tooling, &["composite"])
}

const QUERY_BATCH: usize = 2000;

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    Json(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Body::Json(body),
        }
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: Body::Empty,
        }
    }

    /// The REST error envelope: an array with one error object.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply::json(
            status,
            json!([{"message": message.into(), "errorCode": code}]),
        )
    }

    /// A DML error, which also names the fields involved.
    pub fn dml_error(
        status: u16,
        code: &str,
        message: impl Into<String>,
        fields: &[String],
    ) -> Reply {
        Reply::json(
            status,
            json!([{"message": message.into(), "errorCode": code, "fields": fields}]),
        )
    }

    pub fn not_found() -> Reply {
        Reply::error(404, "NOT_FOUND", "The requested resource does not exist")
    }

    pub fn created(id: &str) -> Reply {
        Reply::json(201, json!({"id": id, "success": true, "errors": []}))
    }

    pub fn body_json(&self) -> Option<&Value> {
        match &self.body {
            Body::Json(v) => Some(v),
            Body::Empty => None,
        }
    }
}

/// One REST request after authentication.
pub struct RestRequest<'a> {
    pub method: &'a str,
    /// Path without the query string, e.g. `/services/data/v66.0/sobjects/Case/describe`.
    pub path: &'a str,
    /// The raw (still percent-encoded) query string.
    pub query: Option<&'a str>,
    pub body: Option<&'a [u8]>,
    pub auto_assign: bool,
    pub if_unmodified_since: Option<&'a str>,
    /// The `Sforce-Query-Options` header (`batchSize=N`).
    pub query_options: Option<&'a str>,
}

/// The version resource list, `GET /services/data/`: 31.0 up to the org's version.
pub fn versions(org: &Org) -> Value {
    let max: f64 = org.api_version.parse().unwrap_or(66.0);
    Value::Array(
        (OLDEST_VERSION..)
            .take_while(|major| f64::from(*major) <= max)
            .map(|major| {
                let v = format!("{major}.0");
                json!({"label": release_label(major), "url": format!("/services/data/v{v}"), "version": v})
            })
            .collect(),
    )
}

/// The version of a `v66.0` path segment when the org serves it.
pub fn served_version(org: &Org, segment: &str) -> Option<String> {
    let version = segment.strip_prefix('v')?;
    let wanted: f64 = version.parse().ok()?;
    let max: f64 = org.api_version.parse().unwrap_or(66.0);
    (wanted >= f64::from(OLDEST_VERSION) && wanted <= max && version.contains('.'))
        .then(|| version.to_string())
}

pub fn dispatch(org: &mut Org, user_id: &str, req: &RestRequest<'_>) -> Reply {
    let trimmed = req.path.trim_end_matches('/');
    let Some(rest) = trimmed.strip_prefix("/services/data/") else {
        return Reply::not_found();
    };
    let mut segments: Vec<&str> = rest.split('/').collect();
    let Some(version) = served_version(org, segments[0]) else {
        return Reply::not_found();
    };
    segments.remove(0);
    let tooling = segments.first() == Some(&"tooling");
    if tooling {
        segments.remove(0);
    }
    let segments: Vec<String> = segments
        .iter()
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    if version.parse::<f64>().unwrap_or(0.0) < introduced_in(tooling, &seg) {
        return Reply::not_found();
    }
    let mut ctx = Ctx {
        user_id,
        version: &version,
        tooling,
        all_rows: false,
        batch: batch_size(req.query_options),
    };
    match (req.method, seg.as_slice()) {
        ("GET", []) => resources(&ctx),
        ("GET", ["limits"]) if !tooling => limits(org, &ctx),
        ("GET", ["limits", "recordCount"]) if !tooling => {
            super::collections::record_count(org, &ctx, req.query)
        }
        ("GET", [kind @ ("query" | "queryAll")]) if !tooling || *kind == "query" => {
            ctx.all_rows = *kind == "queryAll";
            match query_param(req.query, "q") {
                Some(q) if query_param(req.query, "columns").as_deref() == Some("true") => {
                    super::columns::query_columns(&ctx.view(org), &q)
                }
                Some(q) => run_query(org, &ctx, &q),
                None => Reply::error(400, "MALFORMED_QUERY", "A query string has to be specified"),
            }
        }
        ("GET", ["query" | "queryAll", locator]) => next_page(org, &ctx, locator),
        (_, ["composite", "sobjects", rest @ ..]) if !tooling => {
            super::collections::handle(org, &ctx, req, rest)
        }
        ("GET", ["sobjects"]) => global_describe(org, &ctx),
        ("GET", ["sobjects", object, "describe"]) => describe(org, &ctx, object),
        ("GET", ["sobjects", object]) => sobject_info(org, &ctx, object),
        ("POST", ["sobjects", object]) => create(org, &ctx, object, req.body),
        ("GET", ["sobjects", object, id]) => get_record(org, &ctx, object, id, req.query),
        ("GET", ["sobjects", object, id, relationship]) => {
            related_records(org, &ctx, object, id, relationship, req.query)
        }
        ("PATCH", ["sobjects", object, id]) => update(org, &ctx, object, id, req),
        ("DELETE", ["sobjects", object, id]) => delete(org, &ctx, object, id),
        ("GET", ["process", "rules", object]) if !tooling => process_rules(org, object),
        ("GET", ["executeAnonymous"]) if tooling => super::apex::execute_anonymous(
            org,
            user_id,
            &version,
            query_param(req.query, "anonymousBody"),
        ),
        (_, ["limits"] | ["query"] | ["sobjects"] | ["sobjects", _, "describe"]) => {
            method_not_allowed(req.method)
        }
        _ => Reply::not_found(),
    }
}

fn method_not_allowed(method: &str) -> Reply {
    Reply::error(
        405,
        "METHOD_NOT_ALLOWED",
        format!("HTTP Method '{method}' not allowed. Allowed are GET,HEAD"),
    )
}

pub struct Ctx<'a> {
    pub user_id: &'a str,
    pub version: &'a str,
    pub tooling: bool,
    /// `queryAll`: deleted rows too.
    pub all_rows: bool,
    /// Records per query page (`Sforce-Query-Options: batchSize`).
    pub batch: usize,
}

/// The page size a `Sforce-Query-Options: batchSize=N` header asks for: 200 to 2,000, 2,000
/// when absent; Salesforce treats the size as a hint and may answer with more (REST API
/// Developer Guide, "Query Options Header").
fn batch_size(options: Option<&str>) -> usize {
    options
        .into_iter()
        .flat_map(|o| o.split(','))
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("batchSize"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .map_or(QUERY_BATCH, |n| n.clamp(200, QUERY_BATCH))
}

impl Ctx<'_> {
    pub fn base(&self) -> String {
        if self.tooling {
            format!("/services/data/v{}/tooling", self.version)
        } else {
            format!("/services/data/v{}", self.version)
        }
    }

    pub fn view<'a>(&'a self, org: &'a Org) -> OrgView<'a> {
        OrgView {
            org,
            user_id: self.user_id,
            tooling: self.tooling,
            version: self.version,
            all_rows: self.all_rows,
        }
    }
}

pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn resources(ctx: &Ctx<'_>) -> Reply {
    let b = ctx.base();
    let mut list = if ctx.tooling {
        json!({"tooling": format!("{b}"), "query": format!("{b}/query"),
               "sobjects": format!("{b}/sobjects"),
               "executeAnonymous": format!("{b}/executeAnonymous")})
    } else {
        json!({"tooling": format!("{b}/tooling"), "metadata": format!("{b}/metadata"),
               "limits": format!("{b}/limits"), "sobjects": format!("{b}/sobjects"),
               "query": format!("{b}/query"), "queryAll": format!("{b}/queryAll"),
               "process": format!("{b}/process"),
               "search": format!("{b}/search"), "recent": format!("{b}/recent")})
    };
    // Only a version that serves composite lists it.
    if serves_composite(ctx.version, ctx.tooling) {
        list["composite"] = json!(format!("{b}/composite"));
    }
    Reply::json(200, list)
}

fn limits(org: &Org, ctx: &Ctx<'_>) -> Reply {
    if !org.has_permission(ctx.user_id, "PermissionsViewSetup") {
        return Reply::error(
            403,
            "INSUFFICIENT_ACCESS",
            "The requested resource requires the View Setup and Configuration permission",
        );
    }
    let remaining = org.api_max.saturating_sub(org.api_used);
    let mut daily = serde_json::Map::new();
    daily.insert("Max".into(), json!(org.api_max));
    daily.insert("Remaining".into(), json!(remaining));
    let mut apps: Vec<_> = org.api_used_by_app.iter().collect();
    apps.sort();
    for (app, _used) in apps {
        // Real orgs list each connected app that called with Max/Remaining (mostly zeros).
        daily.insert(app.clone(), json!({"Max": 0, "Remaining": 0}));
    }
    Reply::json(
        200,
        json!({
            "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
            "DailyApiRequests": Value::Object(daily),
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DataStorageMB": {"Max": 1024, "Remaining": 1011},
            "FileStorageMB": {"Max": 1024, "Remaining": 1020},
            "HourlyTimeBasedWorkflow": {"Max": 1000, "Remaining": 1000},
            "SingleEmail": {"Max": 5000, "Remaining": 5000},
        }),
    )
}

fn run_query(org: &mut Org, ctx: &Ctx<'_>, soql_text: &str) -> Reply {
    let result = query::run(&ctx.view(org), soql_text);
    let result = match result {
        Ok(r) => r,
        Err(e) => return Reply::error(400, &e.error_code, e.message),
    };
    let entity = soql_entity(org, soql_text);
    page(org, ctx, result.records, result.total_size, entity)
}

fn soql_entity(org: &Org, soql_text: &str) -> String {
    super::soql::parse(soql_text)
        .ok()
        .and_then(|q| org.object(&q.from.name).map(|o| o.name.clone()))
        .unwrap_or_default()
}

fn page(
    org: &mut Org,
    ctx: &Ctx<'_>,
    mut records: Vec<Value>,
    total: usize,
    entity: String,
) -> Reply {
    let rest = if records.len() > ctx.batch {
        records.split_off(ctx.batch)
    } else {
        Vec::new()
    };
    let done = rest.is_empty();
    let locator = if done {
        None
    } else {
        let id = org.new_id("01g");
        let served = total - rest.len();
        let locator = format!("{}-{served}", &id[..15]);
        org.cursors
            .insert(locator.clone(), (rest, total, entity.clone()));
        Some(locator)
    };
    let mut body = serde_json::Map::new();
    if ctx.tooling {
        body.insert("size".into(), json!(total));
    }
    body.insert("totalSize".into(), json!(total));
    body.insert("done".into(), json!(done));
    if let Some(l) = &locator {
        body.insert(
            "nextRecordsUrl".into(),
            json!(format!("{}/query/{l}", ctx.base())),
        );
    }
    if ctx.tooling {
        body.insert("queryLocator".into(), json!(locator));
        body.insert("entityTypeName".into(), json!(entity));
    }
    body.insert("records".into(), Value::Array(records));
    Reply::json(200, Value::Object(body))
}

fn next_page(org: &mut Org, ctx: &Ctx<'_>, locator: &str) -> Reply {
    match org.cursors.remove(locator) {
        Some((records, total, entity)) => page(org, ctx, records, total, entity),
        None => Reply::error(400, "INVALID_QUERY_LOCATOR", "invalid query locator"),
    }
}

fn visible_object<'a>(
    org: &'a Org,
    ctx: &Ctx<'_>,
    name: &str,
) -> Option<&'a super::schema::ObjectDef> {
    use super::soql::DataSource;
    let canonical = ctx.view(org).object(name)?;
    org.object(&canonical)
}

fn global_describe(org: &Org, ctx: &Ctx<'_>) -> Reply {
    let sobjects: Vec<Value> = org
        .objects
        .iter()
        .filter(|o| visible_object(org, ctx, &o.name).is_some())
        .map(|o| {
            let access = org.object_access(ctx.user_id, &o.name);
            let crud = o.crud_controlled;
            json!({"activateable": false, "createable": if crud { access.create } else { false },
                   "custom": false, "customSetting": false, "deletable": if crud { access.delete } else { false },
                   "deprecatedAndHidden": false, "feedEnabled": crud, "hasSubtypes": false,
                   "isSubtype": false, "keyPrefix": if o.key_prefix == "000" { Value::Null } else { json!(o.key_prefix) },
                   "label": o.label, "labelPlural": o.label_plural, "layoutable": crud,
                   "mergeable": o.mergeable(), "mruEnabled": crud, "name": o.name, "queryable": true,
                   "replicateable": crud, "retrieveable": true, "searchable": crud,
                   "triggerable": crud, "undeletable": crud, "updateable": if crud { access.edit } else { false },
                   "urls": {"sobject": format!("{}/sobjects/{}", ctx.base(), o.name),
                            "describe": format!("{}/sobjects/{}/describe", ctx.base(), o.name),
                            "rowTemplate": format!("{}/sobjects/{}/{{ID}}", ctx.base(), o.name)}})
        })
        .collect();
    Reply::json(
        200,
        json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects}),
    )
}

fn describe(org: &Org, ctx: &Ctx<'_>, object: &str) -> Reply {
    let Some(def) = visible_object(org, ctx, object) else {
        return Reply::not_found();
    };
    let access = org.object_access(ctx.user_id, &def.name);
    let crud = def.crud_controlled;
    let fields: Vec<Value> = def
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::Complex) || ctx.tooling)
        .filter_map(|f| {
            if !crud {
                return Some(f.describe(false, false));
            }
            let fa = org.field_access(ctx.user_id, &def.name, f);
            fa.read
                .then(|| f.describe(fa.edit, fa.edit && access.create))
        })
        .collect();
    let base = ctx.base();
    let name = &def.name;
    let profile_id = org
        .find("User", ctx.user_id)
        .and_then(|u| u.get("ProfileId").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    let profile_name = org
        .find("Profile", &profile_id)
        .and_then(|p| p.get("Name").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    let mut record_types = vec![json!({"active": true, "available": true,
        "defaultRecordTypeMapping": true, "developerName": "Master", "master": true,
        "name": "Master", "recordTypeId": "012000000000000AAA",
        "urls": {"layout": format!("{base}/sobjects/{name}/describe/layouts/012000000000000AAA")}})];
    for rt in org.table("RecordType") {
        if rt.get("SobjectType").and_then(Value::as_str) != Some(name.as_str()) {
            continue;
        }
        let profiles: Vec<&str> = rt
            .get("__profiles")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let available = profiles.is_empty() || profiles.contains(&profile_name.as_str());
        let id = rt.get("Id").cloned().unwrap_or(Value::Null);
        record_types.push(json!({"active": rt.get("IsActive"), "available": available,
            "defaultRecordTypeMapping": false, "developerName": rt.get("DeveloperName"),
            "master": false, "name": rt.get("Name"), "recordTypeId": id,
            "urls": {"layout": format!("{base}/sobjects/{name}/describe/layouts/{}", id.as_str().unwrap_or(""))}}));
    }
    Reply::json(
        200,
        json!({
            "actionOverrides": [],
            "activateable": false,
            "associateEntityType": null,
            "associateParentEntity": null,
            "childRelationships": [],
            "compactLayoutable": crud,
            "createable": crud && access.create,
            "custom": false,
            "customSetting": false,
            "deepCloneable": false,
            "defaultImplementation": null,
            "deletable": crud && access.delete,
            "deprecatedAndHidden": false,
            "extendedBy": null,
            "extendsInterfaces": null,
            "feedEnabled": crud,
            "fields": fields,
            "hasSubtypes": false,
            "implementedBy": null,
            "implementsInterfaces": null,
            "isInterface": false,
            "isSubtype": false,
            "keyPrefix": def.key_prefix,
            "label": def.label,
            "labelPlural": def.label_plural,
            "layoutable": crud,
            "listviewable": null,
            "lookupLayoutable": null,
            "mergeable": def.mergeable(),
            "mruEnabled": crud,
            "name": name,
            "namedLayoutInfos": [],
            "networkScopeFieldName": null,
            "queryable": true,
            "recordTypeInfos": record_types,
            "replicateable": crud,
            "retrieveable": true,
            "searchLayoutable": crud,
            "searchable": crud,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [{"label": "All records", "name": "everything"}, {"label": "My records", "name": "mine"}],
            "triggerable": crud,
            "undeletable": crud,
            "updateable": crud && access.edit,
            "urls": {
                "rowTemplate": format!("{base}/sobjects/{name}/{{ID}}"),
                "describe": format!("{base}/sobjects/{name}/describe"),
                "sobject": format!("{base}/sobjects/{name}"),
                "layouts": format!("{base}/sobjects/{name}/describe/layouts"),
            },
        }),
    )
}

fn sobject_info(org: &Org, ctx: &Ctx<'_>, object: &str) -> Reply {
    let Some(def) = visible_object(org, ctx, object) else {
        return Reply::not_found();
    };
    Reply::json(
        200,
        json!({"objectDescribe": {"name": def.name, "label": def.label, "keyPrefix": def.key_prefix,
               "queryable": true, "urls": {"sobject": format!("{}/sobjects/{}", ctx.base(), def.name)}},
               "recentItems": []}),
    )
}

/// The record (or Tooling sObject) a URL names, with Salesforce's errors for bad or deleted Ids.
fn locate<'a>(
    org: &'a Org,
    ctx: &Ctx<'_>,
    object: &str,
    id: &str,
) -> Result<(&'a super::schema::ObjectDef, &'a Row), Reply> {
    let def = visible_object(org, ctx, object).ok_or_else(Reply::not_found)?;
    if sfid::to_18(id).is_err() {
        return Err(Reply::error(
            404,
            "NOT_FOUND",
            format!("Provided external ID field does not exist or is not accessible: {id}"),
        ));
    }
    let row = org.find(&def.name, id).ok_or_else(Reply::not_found)?;
    if row.get("IsDeleted") == Some(&json!(true)) {
        return Err(Reply::dml_error(
            404,
            "ENTITY_IS_DELETED",
            "entity is deleted",
            &[],
        ));
    }
    Ok((def, row))
}

fn get_record(org: &Org, ctx: &Ctx<'_>, object: &str, id: &str, query: Option<&str>) -> Reply {
    if ctx.tooling && object.eq_ignore_ascii_case("CustomField") {
        return get_custom_field(org, ctx, id);
    }
    let (def, row) = match locate(org, ctx, object, id) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let visible = |f: &FieldDef| {
        !def.crud_controlled || !f.custom || org.field_access(ctx.user_id, &def.name, f).read
    };
    let wanted: Vec<&FieldDef> = match query_param(query, "fields") {
        Some(list) => {
            let mut wanted = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match def.field(name).filter(|f| visible(f)) {
                    Some(f) => wanted.push(f),
                    None => {
                        return Reply::error(
                            400,
                            "INVALID_FIELD",
                            format!("No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", def.name),
                        )
                    }
                }
            }
            wanted
        }
        None => def.fields.iter().filter(|f| visible(f)).collect(),
    };
    let record_id = row.get("Id").cloned().unwrap_or(Value::Null);
    let mut out = serde_json::Map::new();
    out.insert(
        "attributes".into(),
        json!({"type": def.name, "url": format!("{}/sobjects/{}/{}", ctx.base(), def.name, record_id.as_str().unwrap_or(""))}),
    );
    for f in &wanted {
        if matches!(f.kind, FieldKind::Complex) && !ctx.tooling {
            continue;
        }
        out.insert(
            f.name.clone(),
            row.get(&f.name).cloned().unwrap_or(Value::Null),
        );
    }
    out.insert("Id".into(), record_id);
    Reply::json(200, Value::Object(out))
}

/// sObject Relationships (`GET sobjects/{object}/{id}/{relationship}`) for a parent-to-child
/// relationship: the related records as a query answers them ("If there are multiple related
/// records, you can retrieve the complete set of associated records"), only `fields` when
/// given. A relationship the object does not have is 404 `NOT_FOUND`. Child-to-parent
/// traversal is not served (the product does not use it).
fn related_records(
    org: &mut Org,
    ctx: &Ctx<'_>,
    object: &str,
    id: &str,
    relationship: &str,
    query: Option<&str>,
) -> Reply {
    let (def, row) = match locate(org, ctx, object, id) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let Some(child) = def.child_relationship(relationship).cloned() else {
        return Reply::not_found();
    };
    let parent_id = row
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let fields = match query_param(query, "fields") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        None => "Id".to_string(),
    };
    // The same rules as a query of the child object (its access rules, its fields).
    run_query(
        org,
        ctx,
        &format!(
            "SELECT {fields} FROM {} WHERE {} = '{parent_id}'",
            child.child_object, child.field
        ),
    )
}

fn parse_body(body: Option<&[u8]>) -> Result<serde_json::Map<String, Value>, Reply> {
    let bytes = body.unwrap_or_default();
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Reply::error(
            400,
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of complexvalue from START_ARRAY value [ or request may be missing a required field at [line:1, column:1]",
        )),
        Err(e) => Err(Reply::error(
            400,
            "JSON_PARSER_ERROR",
            format!("Unexpected character: {e} at [line:{}, column:{}]", e.line(), e.column()),
        )),
    }
}

/// Reads a value into the field's type (see `value::coerce`), then checks its length and
/// picklist, with Salesforce's errors; returns what the org stores.
fn check_value(field: &FieldDef, value: &Value, body: &str) -> Result<Value, Reply> {
    let fields = [field.name.clone()];
    if value.is_null() && !field.nillable && !matches!(field.kind, FieldKind::Checkbox) {
        return Err(Reply::dml_error(
            400,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", field.name),
            &fields,
        ));
    }
    let stored = super::value::coerce(field, value, body)?;
    let Some(text) = stored.as_str() else {
        return Ok(stored);
    };
    if !(field.kind.is_text()
        || matches!(field.kind, FieldKind::Picklist | FieldKind::MultiPicklist))
    {
        return Ok(stored);
    }
    let length = text.chars().count() as u32;
    if length > field.length {
        let shown: String = text.chars().take(40).collect();
        return Err(Reply::dml_error(
            400,
            "STRING_TOO_LONG",
            format!(
                "{}: data value too large: {shown} (max length={})",
                field.label, field.length
            ),
            &fields,
        ));
    }
    if matches!(field.kind, FieldKind::Picklist | FieldKind::MultiPicklist)
        && field.restricted_picklist
    {
        let allowed = |v: &str| {
            field
                .picklist_values
                .iter()
                .any(|p: &PicklistValue| p.active && p.value == v)
        };
        let bad = text.split(';').find(|v| !allowed(v));
        if let Some(bad) = bad {
            return Err(Reply::dml_error(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                format!(
                    "{}: bad value for restricted picklist field: {bad}",
                    field.label
                ),
                &fields,
            ));
        }
    }
    Ok(stored)
}

fn update(org: &mut Org, ctx: &Ctx<'_>, object: &str, id: &str, req: &RestRequest<'_>) -> Reply {
    if ctx.tooling {
        return if object.eq_ignore_ascii_case("CustomField") {
            update_custom_field(org, ctx, id, req.body)
        } else {
            Reply::not_found()
        };
    }
    let (def, row) = match locate(org, ctx, object, id) {
        Ok((def, row)) => (def.clone(), row.clone()),
        Err(reply) => return reply,
    };
    let changes = match parse_body(req.body) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    if matches!(def.name.as_str(), "ObjectPermissions" | "FieldPermissions") {
        return update_permission_row(org, ctx, &def.name, &row, changes);
    }
    if !def.crud_controlled {
        return Reply::error(
            400,
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type {} does not support update", def.name),
        );
    }
    // 1. Every named field must exist and be visible to the caller.
    let mut targets = Vec::new();
    for name in changes.keys() {
        match def
            .field(name)
            .filter(|f| !f.custom || org.field_access(ctx.user_id, &def.name, f).read)
        {
            Some(f) => targets.push(f.clone()),
            None => {
                return Reply::error(
                    400,
                    "INVALID_FIELD",
                    format!("No such column '{name}' on sobject of type {}", def.name),
                )
            }
        }
    }
    // 2. Object permission, then field-level security.
    let access = org.object_access(ctx.user_id, &def.name);
    if !access.edit {
        return Reply::dml_error(
            400,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "entity is read-only",
            &[],
        );
    }
    let read_only: Vec<String> = targets
        .iter()
        .filter(|f| !org.field_access(ctx.user_id, &def.name, f).edit)
        .map(|f| f.name.clone())
        .collect();
    if !read_only.is_empty() {
        return Reply::dml_error(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!("Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", read_only.join(", ")),
            &read_only,
        );
    }
    // 3. Record-level access and locks.
    let level = org.record_access(ctx.user_id, &def.name, &row);
    if row.get("__locked") == Some(&json!(true)) && !access.modify_all {
        return Reply::dml_error(
            400,
            "ENTITY_IS_LOCKED",
            "the entity is locked for editing",
            &[],
        );
    }
    if !matches!(level, "Edit" | "Delete" | "Transfer" | "All") {
        return Reply::dml_error(
            400,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on object id",
            &[],
        );
    }
    // 4. Optimistic concurrency.
    if let Some(since) = req.if_unmodified_since {
        let Ok(since) = httpdate::parse_http_date(since) else {
            return Reply::error(
                400,
                "INVALID_HEADER_TYPE",
                format!("Invalid If-Unmodified-Since header value: {since}"),
            );
        };
        let since: chrono::DateTime<chrono::Utc> = since.into();
        let modified = row
            .get("LastModifiedDate")
            .and_then(Value::as_str)
            .and_then(parse_stamp);
        if modified.is_some_and(|m| m.timestamp() > since.timestamp()) {
            return Reply::error(
                412,
                "PRECONDITION_FAILED",
                "The requested resource has been modified since the specified date",
            );
        }
    }
    // 5. Values, read into each field's type.
    let body_text = String::from_utf8_lossy(req.body.unwrap_or_default());
    let mut values = serde_json::Map::new();
    for f in &targets {
        match check_value(f, &changes[&f.name_in(&changes)], &body_text) {
            Ok(stored) => {
                values.insert(f.name.clone(), stored);
            }
            Err(reply) => return reply,
        }
    }
    // 6. Automation: validation rules (their formula on the record as it would be saved),
    //    duplicate rules, then triggers.
    let mut after = row.clone();
    for (name, value) in &values {
        after.insert(name.clone(), value.clone());
    }
    if let Some(reply) = validation_rules(org, ctx.user_id, &def, &row, &after) {
        return reply;
    }
    if let Some(reply) = super::duplicates::check(org, &def, &after, false) {
        return reply;
    }
    for trigger in &org.automation.triggers {
        if trigger.status != "Active" || !trigger.object.eq_ignore_ascii_case(&def.name) {
            continue;
        }
        if let (Some(failure), true) = (
            &trigger.fails_with,
            trigger.before_update || trigger.after_update,
        ) {
            let phase = if trigger.before_update {
                "BeforeUpdate"
            } else {
                "AfterUpdate"
            };
            return Reply::dml_error(
                400,
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                format!("{}: execution of {phase}\n\ncaused by: {failure}\n\nTrigger.{}: line 12, column 1", trigger.name, trigger.name),
                &[],
            );
        }
    }
    // 7. Commit.
    let auto_assign = req.auto_assign
        && def.name == "Case"
        && org
            .table("AssignmentRule")
            .iter()
            .any(|r| r.get("Active") == Some(&json!(true)));
    let admin = org.admin_user_id.clone();
    // Each write moves LastModifiedDate forward, even two within one millisecond.
    let previous = row
        .get("LastModifiedDate")
        .and_then(Value::as_str)
        .and_then(parse_stamp);
    let now = match (previous, parse_stamp(&now_stamp())) {
        (Some(before), Some(now)) if now <= before => (before + chrono::Duration::milliseconds(1))
            .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
            .to_string(),
        _ => now_stamp(),
    };
    let user_id = ctx.user_id.to_string();
    let Some(stored) = org.find_mut(&def.name, id) else {
        return Reply::not_found();
    };
    for (name, value) in values {
        stored.insert(name, value);
    }
    stored.insert("LastModifiedDate".into(), json!(now));
    stored.insert("SystemModstamp".into(), json!(now));
    stored.insert("LastModifiedById".into(), json!(user_id));
    if auto_assign {
        // The active assignment rule routes the Case to the default case owner.
        stored.insert("OwnerId".into(), json!(admin));
    }
    Reply::no_content()
}

/// What a validation rule's formula reads: the record before and after the change, and the
/// running user with their profile.
struct RuleContext<'a> {
    def: &'a super::schema::ObjectDef,
    before: &'a Row,
    after: &'a Row,
    user: Option<&'a Row>,
    profile: Option<&'a Row>,
}

impl super::formula::Context for RuleContext<'_> {
    fn field(&self, name: &str, prior: bool) -> Option<Value> {
        let field = self.def.field(name)?;
        let row = if prior { self.before } else { self.after };
        Some(row.get(&field.name).cloned().unwrap_or(Value::Null))
    }

    fn global(&self, name: &str) -> Option<Value> {
        let (scope, field) = name.split_once('.')?;
        let row = match scope.to_ascii_lowercase().as_str() {
            "$user" => self.user?,
            "$profile" => self.profile?,
            _ => return None,
        };
        row.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.clone())
    }
}

/// The first active validation rule of the object that refuses this change, as Salesforce
/// answers it: `FIELD_CUSTOM_VALIDATION_EXCEPTION` with the rule's message, and its error
/// display field in `fields` (empty when the error shows at the top of the page).
fn validation_rules(
    org: &Org,
    user_id: &str,
    def: &super::schema::ObjectDef,
    before: &Row,
    after: &Row,
) -> Option<Reply> {
    let user = org.find("User", user_id);
    let profile = user
        .and_then(|u| u.get("ProfileId").and_then(Value::as_str))
        .and_then(|p| org.find("Profile", p));
    let username = user
        .and_then(|u| u.get("Username").and_then(Value::as_str))
        .unwrap_or("");
    let ctx = RuleContext {
        def,
        before,
        after,
        user,
        profile,
    };
    for rule in &org.automation.validation_rules {
        if !rule.active || !rule.object.eq_ignore_ascii_case(&def.name) {
            continue;
        }
        if rule
            .bypass_users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(username))
        {
            continue;
        }
        let fires = match &rule.formula {
            // A formula the subset cannot evaluate (a field that no longer exists) never fires.
            Some(formula) => super::formula::parse(formula)
                .and_then(|f| super::formula::holds(&f, &ctx))
                .unwrap_or(false),
            None => {
                rule.fires_when_changed.is_empty()
                    || rule.fires_when_changed.iter().any(|name| {
                        def.field(name)
                            .is_some_and(|f| before.get(&f.name) != after.get(&f.name))
                    })
            }
        };
        if fires {
            let fields: Vec<String> = rule.error_display_field.iter().cloned().collect();
            return Some(Reply::dml_error(
                400,
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                rule.error_message.clone(),
                &fields,
            ));
        }
    }
    None
}

trait NameIn {
    fn name_in(&self, body: &serde_json::Map<String, Value>) -> String;
}

impl NameIn for FieldDef {
    /// The key the request body used for this field (field names are case-insensitive).
    fn name_in(&self, body: &serde_json::Map<String, Value>) -> String {
        body.keys()
            .find(|k| k.eq_ignore_ascii_case(&self.name))
            .cloned()
            .unwrap_or_else(|| self.name.clone())
    }
}

fn require(org: &Org, ctx: &Ctx<'_>, permission: &str) -> Result<(), Reply> {
    if org.has_permission(ctx.user_id, permission) || org.is_admin(ctx.user_id) {
        Ok(())
    } else {
        Err(Reply::dml_error(
            400,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on cross-reference id",
            &[],
        ))
    }
}

fn bool_of(map: &serde_json::Map<String, Value>, key: &str) -> bool {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .is_some_and(|(_, v)| v == &json!(true))
}

fn str_of(map: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string)
}

fn create(org: &mut Org, ctx: &Ctx<'_>, object: &str, body: Option<&[u8]>) -> Reply {
    let body_text = String::from_utf8_lossy(body.unwrap_or_default());
    let fields = match parse_body(body) {
        Ok(f) => f,
        Err(reply) => return reply,
    };
    if ctx.tooling {
        return if object.eq_ignore_ascii_case("CustomField") {
            create_custom_field(org, ctx, &fields)
        } else {
            Reply::not_found()
        };
    }
    let Some(def) = visible_object(org, ctx, object).cloned() else {
        return Reply::not_found();
    };
    // Reject unknown keys the way Salesforce does.
    for key in fields.keys() {
        if key != "attributes" && def.field(key).is_none() && !key.starts_with("Permissions") {
            return Reply::error(
                400,
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type {}", def.name),
            );
        }
    }
    match def.name.as_str() {
        "PermissionSet" => create_permission_set(org, ctx, &fields),
        "ObjectPermissions" | "FieldPermissions" => {
            create_permission_row(org, ctx, &def.name, &fields)
        }
        "PermissionSetAssignment" => create_assignment(org, ctx, &fields),
        "PermissionSetLicenseAssign" => create_license_assignment(org, ctx, &fields),
        name if DATA_OBJECTS.contains(&name) => create_record(org, ctx, &def, &fields, &body_text),
        name => Reply::error(
            400,
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type {name} does not support insert"),
        ),
    }
}

fn create_record(
    org: &mut Org,
    ctx: &Ctx<'_>,
    def: &super::schema::ObjectDef,
    fields: &serde_json::Map<String, Value>,
    body_text: &str,
) -> Reply {
    if !org.object_access(ctx.user_id, &def.name).create {
        return Reply::dml_error(
            400,
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "entity type cannot be inserted: ".to_string() + &def.name,
            &[],
        );
    }
    let mut row = Row::new();
    for f in &def.fields {
        if !matches!(f.kind, FieldKind::Complex) {
            // What Salesforce stores for a field the request leaves out (`defaultedOnCreate`).
            row.insert(f.name.clone(), f.default_on_create());
        }
    }
    for (k, v) in fields {
        if k == "attributes" {
            continue;
        }
        let Some(f) = def.field(k) else { continue };
        if f.read_only || (f.custom && !org.field_access(ctx.user_id, &def.name, f).edit) {
            return Reply::dml_error(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!("Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.name),
                std::slice::from_ref(&f.name),
            );
        }
        match check_value(f, v, body_text) {
            Ok(stored) => row.insert(f.name.clone(), stored),
            Err(reply) => return reply,
        };
    }
    // OwnerId is `defaultedOnCreate` (the recorded Contact describe): the creating user owns
    // the record unless the body names an owner, so it is never "missing".
    if row.get("OwnerId").is_some_and(Value::is_null) {
        row.insert("OwnerId".into(), json!(ctx.user_id));
    }
    let missing: Vec<String> = def
        .fields
        .iter()
        .filter(|f| {
            // Read-only and defaulted fields are never the caller's to send.
            !f.nillable
                && !f.read_only
                && !f.defaulted_on_create
                && f.name != "Id"
                && row.get(&f.name).is_none_or(Value::is_null)
        })
        .map(|f| f.name.clone())
        .collect();
    if !missing.is_empty() {
        return Reply::dml_error(
            400,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            &missing,
        );
    }
    if def.name == "Case" {
        let n = org.table("Case").len() + 1001;
        row.insert("CaseNumber".into(), json!(format!("{n:08}")));
    }
    if let Some(reply) = super::duplicates::check(org, def, &row, true) {
        return reply;
    }
    row.insert("CreatedById".into(), json!(ctx.user_id));
    row.insert("LastModifiedById".into(), json!(ctx.user_id));
    let id = org.insert(&def.name, row);
    Reply::created(&id)
}

fn valid_developer_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
        && name.len() <= 80
}

fn create_permission_set(
    org: &mut Org,
    ctx: &Ctx<'_>,
    fields: &serde_json::Map<String, Value>,
) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsManageProfilesPermissionsets") {
        return reply;
    }
    let name = str_of(fields, "Name").unwrap_or_default();
    let label = str_of(fields, "Label").unwrap_or_default();
    let mut missing = Vec::new();
    if name.is_empty() {
        missing.push("Name".to_string());
    }
    if label.is_empty() {
        missing.push("Label".to_string());
    }
    if !missing.is_empty() {
        return Reply::dml_error(
            400,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            &missing,
        );
    }
    if !valid_developer_name(&name) {
        return Reply::dml_error(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "The API Name can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores.",
            &["Name".to_string()],
        );
    }
    if org.permission_set_id(&name).is_some() {
        return Reply::dml_error(
            400,
            "DUPLICATE_DEVELOPER_NAME",
            format!(
                "The permission set API name '{name}' is already in use. Choose a unique name."
            ),
            &["Name".to_string()],
        );
    }
    let license_id = str_of(fields, "LicenseId");
    if let Some(l) = &license_id {
        if org.find("PermissionSetLicense", l).is_none() && org.find("UserLicense", l).is_none() {
            return Reply::dml_error(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                format!("invalid cross reference id: {l}"),
                &["LicenseId".to_string()],
            );
        }
    }
    let mut row = into_row(
        json!({"Name": name, "Label": label, "Description": str_of(fields, "Description"),
        "IsOwnedByProfile": false, "ProfileId": null, "Type": "Regular",
        "HasActivationRequired": bool_of(fields, "HasActivationRequired"), "IsCustom": true,
        "LicenseId": license_id, "PermissionSetGroupId": null, "NamespacePrefix": null}),
    );
    for flag in super::schema::standard_objects()
        .iter()
        .find(|o| o.name == "PermissionSet")
        .map(|o| {
            o.fields
                .iter()
                .filter(|f| f.name.starts_with("Permissions"))
                .map(|f| f.name.clone())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    {
        row.insert(flag.clone(), json!(bool_of(fields, &flag)));
    }
    let id = org.insert("PermissionSet", row);
    Reply::created(&id)
}

/// Validates and normalises an ObjectPermissions/FieldPermissions row; returns the row or the error.
fn permission_row(
    org: &Org,
    object: &str,
    fields: &serde_json::Map<String, Value>,
    existing: Option<&Row>,
) -> Result<Row, Reply> {
    let get_str = |k: &str| {
        str_of(fields, k).or_else(|| {
            existing
                .and_then(|r| r.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
    };
    let get_bool = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v == &json!(true))
            .or_else(|| existing.map(|r| r.get(k) == Some(&json!(true))))
            .unwrap_or(false)
    };
    let parent = get_str("ParentId").unwrap_or_default();
    if sfid::to_18(&parent).is_err() || org.find("PermissionSet", &parent).is_none() {
        return Err(Reply::dml_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            format!("invalid cross reference id: {parent}"),
            &["ParentId".to_string()],
        ));
    }
    let sobject = get_str("SobjectType").unwrap_or_default();
    let Some(target) = org.object(&sobject).filter(|o| o.crud_controlled) else {
        let label = if object == "ObjectPermissions" {
            "Object Name"
        } else {
            "Object"
        };
        return Err(Reply::dml_error(
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            format!("{label}: bad value for restricted picklist field: {sobject}"),
            &["SobjectType".to_string()],
        ));
    };
    let read = get_bool("PermissionsRead");
    let edit = get_bool("PermissionsEdit");
    let mut row = Row::new();
    row.insert(
        "ParentId".into(),
        json!(sfid::to_18(&parent).unwrap_or(parent.clone())),
    );
    row.insert("SobjectType".into(), json!(target.name));
    if object == "FieldPermissions" {
        let field = get_str("Field").unwrap_or_default();
        let def = field
            .split_once('.')
            .filter(|(o, _)| o.eq_ignore_ascii_case(&target.name))
            .and_then(|(_, f)| target.field(f))
            .filter(|f| f.permissionable);
        let Some(def) = def else {
            return Err(Reply::dml_error(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                format!("Field Name: bad value for restricted picklist field: {field}"),
                &["Field".to_string()],
            ));
        };
        if edit && !read {
            return Err(Reply::dml_error(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                format!(
                    "Permission Edit {}.{} depends on permission(s): Read {}.{}",
                    target.name, def.name, target.name, def.name
                ),
                &[],
            ));
        }
        row.insert(
            "Field".into(),
            json!(format!("{}.{}", target.name, def.name)),
        );
        row.insert("PermissionsRead".into(), json!(read));
        row.insert("PermissionsEdit".into(), json!(edit));
    } else {
        let flags = [
            "PermissionsCreate",
            "PermissionsRead",
            "PermissionsEdit",
            "PermissionsDelete",
            "PermissionsViewAllRecords",
            "PermissionsModifyAllRecords",
            "PermissionsViewAllFields",
        ];
        for flag in flags {
            row.insert(flag.into(), json!(get_bool(flag)));
        }
        for (dependent, needs) in [
            ("Edit", "Read"),
            ("Create", "Read"),
            ("Delete", "Edit"),
            ("ViewAllRecords", "Read"),
            ("ModifyAllRecords", "Delete"),
        ] {
            if get_bool(&format!("Permissions{dependent}"))
                && !get_bool(&format!("Permissions{needs}"))
            {
                return Err(Reply::dml_error(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!(
                        "Permission {dependent} {} depends on permission(s): {needs} {}",
                        target.name, target.name
                    ),
                    &[],
                ));
            }
        }
    }
    Ok(row)
}

fn create_permission_row(
    org: &mut Org,
    ctx: &Ctx<'_>,
    object: &str,
    fields: &serde_json::Map<String, Value>,
) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsManageProfilesPermissionsets") {
        return reply;
    }
    let row = match permission_row(org, object, fields, None) {
        Ok(row) => row,
        Err(reply) => return reply,
    };
    let key = if object == "FieldPermissions" {
        "Field"
    } else {
        "SobjectType"
    };
    let duplicate = org
        .table(object)
        .iter()
        .find(|r| r.get("ParentId") == row.get("ParentId") && r.get(key) == row.get(key));
    if let Some(existing) = duplicate {
        let id = existing.get("Id").and_then(Value::as_str).unwrap_or("");
        return Reply::dml_error(
            400,
            "DUPLICATE_VALUE",
            format!("duplicate value found: <unknown> duplicates value on record with id: {id}"),
            &[],
        );
    }
    let id = org.insert(object, row);
    org.recompute_groups();
    Reply::created(&id)
}

fn update_permission_row(
    org: &mut Org,
    ctx: &Ctx<'_>,
    object: &str,
    existing: &Row,
    changes: serde_json::Map<String, Value>,
) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsManageProfilesPermissionsets") {
        return reply;
    }
    let row = match permission_row(org, object, &changes, Some(existing)) {
        Ok(row) => row,
        Err(reply) => return reply,
    };
    let id = existing
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(stored) = org.find_mut(object, &id) {
        for (k, v) in row {
            stored.insert(k, v);
        }
        stored.insert("LastModifiedDate".into(), json!(now_stamp()));
    }
    org.recompute_groups();
    Reply::no_content()
}

fn create_assignment(
    org: &mut Org,
    ctx: &Ctx<'_>,
    fields: &serde_json::Map<String, Value>,
) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsAssignPermissionSets") {
        return reply;
    }
    let assignee = str_of(fields, "AssigneeId").unwrap_or_default();
    let ps = str_of(fields, "PermissionSetId").unwrap_or_default();
    let Some(user) = org.find("User", &assignee).cloned() else {
        return Reply::dml_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            format!("invalid cross reference id: {assignee}"),
            &["AssigneeId".to_string()],
        );
    };
    let Some(set) = org.find("PermissionSet", &ps).cloned() else {
        return Reply::dml_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            format!("invalid cross reference id: {ps}"),
            &["PermissionSetId".to_string()],
        );
    };
    let user_id = user
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let ps_id = set
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if set.get("IsOwnedByProfile") == Some(&json!(true)) {
        return Reply::dml_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            "You can't assign a profile's permission set. Change the user's profile instead.",
            &["PermissionSetId".to_string()],
        );
    }
    let duplicate = org.table("PermissionSetAssignment").iter().any(|a| {
        a.get("AssigneeId").and_then(Value::as_str) == Some(&user_id)
            && a.get("PermissionSetId").and_then(Value::as_str) == Some(&ps_id)
    });
    if duplicate {
        return Reply::dml_error(
            400,
            "DUPLICATE_VALUE",
            format!(
                "Duplicate PermissionSetAssignment. Assignee: {user_id}, Permission Set: {ps_id}"
            ),
            &[],
        );
    }
    // Licence checks: a set created with a permission set licence needs that licence on the user;
    // an Integration-licence user can only receive object permissions through such a set.
    let license_id = set
        .get("LicenseId")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(license_id) = &license_id {
        if org.find("PermissionSetLicense", license_id).is_some() {
            let holds = org.table("PermissionSetLicenseAssign").iter().any(|a| {
                a.get("AssigneeId").and_then(Value::as_str) == Some(&user_id)
                    && a.get("PermissionSetLicenseId").and_then(Value::as_str)
                        == Some(license_id.as_str())
            });
            if !holds {
                return Reply::dml_error(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!(
                        "Can't assign permission set {} to user {}. The permission set contains an object that requires a license. Before continuing, assign the user to the related permission set license.",
                        set.get("Label").and_then(Value::as_str).unwrap_or(""),
                        user.get("Username").and_then(Value::as_str).unwrap_or("")
                    ),
                    &[],
                );
            }
        }
    }
    let user_license = org
        .find(
            "Profile",
            user.get("ProfileId").and_then(Value::as_str).unwrap_or(""),
        )
        .and_then(|p| p.get("UserLicenseId").and_then(Value::as_str))
        .and_then(|l| org.find("UserLicense", l))
        .and_then(|l| l.get("Name").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    if user_license == "Salesforce Integration" && license_id.is_none() {
        let first_object = org
            .table("ObjectPermissions")
            .iter()
            .find(|r| {
                r.get("ParentId").and_then(Value::as_str) == Some(&ps_id)
                    && r.get("PermissionsRead") == Some(&json!(true))
            })
            .and_then(|r| r.get("SobjectType").and_then(Value::as_str))
            .map(str::to_string);
        if let Some(object) = first_object {
            return Reply::dml_error(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                format!("The user license doesn't allow the permission: Read {object}"),
                &[],
            );
        }
    }
    let expires = str_of(fields, "ExpirationDate");
    let id = org.assign(&user_id, &ps_id, None, expires);
    Reply::created(&id)
}

fn create_license_assignment(
    org: &mut Org,
    ctx: &Ctx<'_>,
    fields: &serde_json::Map<String, Value>,
) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsManageUsers") {
        return reply;
    }
    let assignee = str_of(fields, "AssigneeId").unwrap_or_default();
    let psl = str_of(fields, "PermissionSetLicenseId").unwrap_or_default();
    let Some(user_id) = org
        .find("User", &assignee)
        .and_then(|u| u.get("Id").and_then(Value::as_str))
        .map(str::to_string)
    else {
        return Reply::dml_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            format!("invalid cross reference id: {assignee}"),
            &["AssigneeId".to_string()],
        );
    };
    let Some(license) = org.find("PermissionSetLicense", &psl).cloned() else {
        return Reply::dml_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            format!("invalid cross reference id: {psl}"),
            &["PermissionSetLicenseId".to_string()],
        );
    };
    let psl_id = license
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let duplicate = org.table("PermissionSetLicenseAssign").iter().any(|a| {
        a.get("AssigneeId").and_then(Value::as_str) == Some(&user_id)
            && a.get("PermissionSetLicenseId").and_then(Value::as_str) == Some(&psl_id)
    });
    if duplicate {
        return Reply::dml_error(400, "DUPLICATE_VALUE", format!("duplicate value found: PermissionSetLicenseId duplicates value on record with id: {psl_id}"), &[]);
    }
    let used = license
        .get("UsedLicenses")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let total = license
        .get("TotalLicenses")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if used >= total {
        return Reply::dml_error(400, "LICENSE_LIMIT_EXCEEDED", "License Limit Exceeded", &[]);
    }
    let id = org.insert(
        "PermissionSetLicenseAssign",
        into_row(json!({"AssigneeId": user_id, "PermissionSetLicenseId": psl_id})),
    );
    if let Some(row) = org.find_mut("PermissionSetLicense", &psl_id) {
        row.insert("UsedLicenses".into(), json!(used + 1));
    }
    Reply::created(&id)
}

fn delete(org: &mut Org, ctx: &Ctx<'_>, object: &str, id: &str) -> Reply {
    if ctx.tooling {
        return if object.eq_ignore_ascii_case("CustomField") {
            delete_custom_field(org, ctx, id)
        } else {
            Reply::not_found()
        };
    }
    let (def, row) = match locate(org, ctx, object, id) {
        Ok((def, row)) => (def.clone(), row.clone()),
        Err(reply) => return reply,
    };
    let row_id = row
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match def.name.as_str() {
        "PermissionSet" => {
            if let Err(reply) = require(org, ctx, "PermissionsManageProfilesPermissionsets") {
                return reply;
            }
            if row.get("IsOwnedByProfile") == Some(&json!(true)) {
                return Reply::dml_error(
                    400,
                    "DELETE_FAILED",
                    "You can't delete a permission set owned by a profile.",
                    &[],
                );
            }
            let assigned = org
                .table("PermissionSetAssignment")
                .iter()
                .any(|a| a.get("PermissionSetId").and_then(Value::as_str) == Some(&row_id));
            if assigned {
                return Reply::dml_error(400, "DELETE_FAILED", "Your attempt to delete this permission set failed because it's assigned to users. Remove the assignments and try again.", &[]);
            }
            for table in ["ObjectPermissions", "FieldPermissions", "SetupEntityAccess"] {
                org.table_mut(table)
                    .retain(|r| r.get("ParentId").and_then(Value::as_str) != Some(&row_id));
            }
        }
        "PermissionSetAssignment" => {
            if let Err(reply) = require(org, ctx, "PermissionsAssignPermissionSets") {
                return reply;
            }
            let ps = row
                .get("PermissionSetId")
                .and_then(Value::as_str)
                .unwrap_or("");
            let owned = org
                .find("PermissionSet", ps)
                .is_some_and(|p| p.get("IsOwnedByProfile") == Some(&json!(true)));
            if owned {
                return Reply::dml_error(
                    400,
                    "DELETE_FAILED",
                    "You can't remove a profile's permission set assignment.",
                    &[],
                );
            }
        }
        "ObjectPermissions" | "FieldPermissions" | "PermissionSetLicenseAssign" => {
            if let Err(reply) = require(org, ctx, "PermissionsManageProfilesPermissionsets") {
                return reply;
            }
        }
        name if DATA_OBJECTS.contains(&name) => {
            if !org.object_access(ctx.user_id, name).delete {
                return Reply::dml_error(
                    400,
                    "INSUFFICIENT_ACCESS_OR_READONLY",
                    "insufficient access rights on object id",
                    &[],
                );
            }
            if let Some(stored) = org.find_mut(name, &row_id) {
                stored.insert("IsDeleted".into(), json!(true));
            }
            return Reply::no_content();
        }
        name => {
            return Reply::error(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                format!("entity type {name} does not support delete"),
            )
        }
    }
    org.table_mut(&def.name)
        .retain(|r| r.get("Id").and_then(Value::as_str) != Some(&row_id));
    if def.name == "PermissionSetLicenseAssign" {
        let psl = row
            .get("PermissionSetLicenseId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(l) = org.find_mut("PermissionSetLicense", &psl) {
            let used = l.get("UsedLicenses").and_then(Value::as_u64).unwrap_or(1);
            l.insert("UsedLicenses".into(), json!(used.saturating_sub(1)));
        }
    }
    org.recompute_groups();
    Reply::no_content()
}

fn process_rules(org: &Org, object: &str) -> Reply {
    let Some(def) = org.object(object) else {
        return Reply::not_found();
    };
    let rules: Vec<Value> = org
        .table("WorkflowRule")
        .iter()
        .filter(|r| r.get("TableEnumOrId").and_then(Value::as_str) == Some(def.name.as_str()))
        .filter(|r| r.get("__active") == Some(&json!(true)))
        .map(|r| {
            let actions: Vec<Value> = r
                .get("Metadata")
                .and_then(|m| m.get("actions"))
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|x| json!({"id": null, "name": x.get("name"), "type": x.get("type")})).collect())
                .unwrap_or_default();
            json!({"actions": actions, "description": null, "id": r.get("Id"), "name": r.get("Name"),
                   "namespacePrefix": null, "object": def.name})
        })
        .collect();
    let mut by_object = serde_json::Map::new();
    by_object.insert(def.name.clone(), Value::Array(rules));
    Reply::json(200, json!({"rules": Value::Object(by_object)}))
}

// ---- Tooling CustomField ------------------------------------------------------------------

fn find_custom_field<'a>(org: &'a Org, id: &str) -> Option<(String, &'a FieldDef)> {
    let id18 = sfid::to_18(id).ok()?;
    DATA_OBJECTS.iter().find_map(|name| {
        let def = org.object(name)?;
        def.fields
            .iter()
            .find(|f| f.custom_field_id.as_deref() == Some(id18.as_str()))
            .map(|f| (name.to_string(), f))
    })
}

fn get_custom_field(org: &Org, ctx: &Ctx<'_>, id: &str) -> Reply {
    if !org.has_permission(ctx.user_id, "PermissionsViewSetup") {
        return Reply::not_found();
    }
    let Some((object, field)) = find_custom_field(org, id) else {
        return Reply::not_found();
    };
    let field_id = field.custom_field_id.clone().unwrap_or_default();
    Reply::json(
        200,
        json!({"attributes": {"type": "CustomField", "url": format!("{}/sobjects/CustomField/{field_id}", ctx.base())},
               "Id": field_id, "DeveloperName": field.developer_name(), "TableEnumOrId": object,
               "NamespacePrefix": field.namespace(), "ManageableState": "unmanaged",
               "FullName": format!("{object}.{}", field.name), "Metadata": field.tooling_metadata()}),
    )
}

/// Builds a field definition from a Tooling `CustomField` body, with Salesforce's validation.
fn field_from_metadata(
    full_name: &str,
    meta: &serde_json::Map<String, Value>,
) -> Result<(String, FieldDef), Reply> {
    let invalid =
        |message: String| Reply::dml_error(400, "FIELD_INTEGRITY_EXCEPTION", message, &[]);
    let Some((object, name)) = full_name.split_once('.') else {
        return Err(Reply::dml_error(
            400,
            "INVALID_FIELD",
            format!("Invalid FullName: {full_name}. It must look like Object.Field__c"),
            &["FullName".to_string()],
        ));
    };
    if !DATA_OBJECTS.iter().any(|o| o.eq_ignore_ascii_case(object)) {
        return Err(Reply::dml_error(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            format!("Cannot find entity {object}"),
            &["FullName".to_string()],
        ));
    }
    let base = name.strip_suffix("__c").unwrap_or("");
    if !valid_developer_name(base) {
        return Err(invalid(format!("The field API name '{name}' is not valid: it must end in __c, begin with a letter, use only letters, digits and single underscores, and not end with an underscore.")));
    }
    let type_name = str_of(meta, "type").unwrap_or_default();
    let Some(kind) = FieldKind::from_metadata_type(&type_name) else {
        return Err(invalid(format!("Invalid type: {type_name}")));
    };
    let label = str_of(meta, "label").unwrap_or_default();
    if label.is_empty() {
        return Err(Reply::dml_error(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [label]",
            &["label".to_string()],
        ));
    }
    let number = |k: &str| meta.get(k).and_then(Value::as_u64);
    let mut def = FieldDef::new(name, kind.clone());
    def.label = label;
    match kind {
        FieldKind::Text => {
            let length = number("length")
                .ok_or_else(|| invalid("Length is required for Text fields".into()))?;
            if !(1..=255).contains(&length) {
                return Err(invalid(format!(
                    "Length must be between 1 and 255, was {length}"
                )));
            }
            def.length = length as u32;
        }
        FieldKind::TextArea => def.length = 255,
        FieldKind::LongTextArea | FieldKind::RichTextArea => {
            let length = number("length")
                .ok_or_else(|| invalid("Length is required for Long Text Area fields".into()))?;
            if !(256..=131_072).contains(&length) {
                return Err(invalid(format!(
                    "Length must be between 256 and 131,072, was {length}"
                )));
            }
            let lines = number("visibleLines").ok_or_else(|| {
                invalid("Visible Lines is required for Long Text Area fields".into())
            })?;
            if !(2..=50).contains(&lines) {
                return Err(invalid(format!(
                    "Visible Lines must be between 2 and 50, was {lines}"
                )));
            }
            def.length = length as u32;
            def.visible_lines = Some(lines as u32);
        }
        FieldKind::Picklist | FieldKind::MultiPicklist => {
            let value_set = meta
                .get("valueSet")
                .and_then(Value::as_object)
                .ok_or_else(|| invalid("Picklist fields need a valueSet".into()))?;
            def.restricted_picklist = value_set.get("restricted") == Some(&json!(true));
            def.picklist_values = value_set
                .get("valueSetDefinition")
                .and_then(|d| d.get("value"))
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|v| {
                            let name = v.get("fullName")?.as_str()?.to_string();
                            Some(PicklistValue {
                                label: v
                                    .get("label")
                                    .and_then(Value::as_str)
                                    .unwrap_or(&name)
                                    .to_string(),
                                value: name,
                                active: true,
                                default: v.get("default") == Some(&json!(true)),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
        FieldKind::Number | FieldKind::Currency | FieldKind::Percent => {
            // Metadata API CustomField: precision 1-18 total digits, scale 0..precision.
            let precision = number("precision").unwrap_or(u64::from(def.precision));
            let scale = number("scale").unwrap_or(u64::from(def.scale));
            if !(1..=18).contains(&precision) || scale > precision {
                return Err(invalid(format!(
                    "The sum of the length and decimal places must be an integer less than or equal to 18: precision {precision}, scale {scale}"
                )));
            }
            def.precision = precision as u32;
            def.scale = scale as u32;
        }
        _ => {}
    }
    def.description = str_of(meta, "description");
    def.inline_help_text = str_of(meta, "inlineHelpText");
    def.external_id = bool_of(meta, "externalId");
    def.unique = bool_of(meta, "unique");
    def.nillable = !bool_of(meta, "required");
    def.created_date = now_stamp();
    let canonical_object = DATA_OBJECTS
        .iter()
        .find(|o| o.eq_ignore_ascii_case(object))
        .map(|o| o.to_string())
        .unwrap_or_default();
    Ok((canonical_object, def))
}

fn create_custom_field(
    org: &mut Org,
    ctx: &Ctx<'_>,
    body: &serde_json::Map<String, Value>,
) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsCustomizeApplication") {
        return reply;
    }
    let full_name = str_of(body, "FullName").unwrap_or_default();
    let Some(meta) = body.get("Metadata").and_then(Value::as_object) else {
        return Reply::dml_error(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Metadata]",
            &["Metadata".to_string()],
        );
    };
    let (object, mut def) = match field_from_metadata(&full_name, meta) {
        Ok(x) => x,
        Err(reply) => return reply,
    };
    if org
        .object(&object)
        .and_then(|o| o.field(&def.name))
        .is_some()
    {
        return Reply::dml_error(
            400,
            "DUPLICATE_DEVELOPER_NAME",
            format!(
                "There is already a field named {} on {object}.",
                def.developer_name()
            ),
            &[],
        );
    }
    let id = org.new_id("00N");
    def.custom_field_id = Some(id.clone());
    let name = def.name.clone();
    if let Some(o) = org.object_mut(&object) {
        o.fields.push(def);
    }
    // Existing records get the new column, empty. No one has FLS on it yet.
    for row in org.table_mut(&object).iter_mut() {
        row.insert(name.clone(), Value::Null);
    }
    Reply::json(
        201,
        json!({"id": id, "success": true, "errors": [], "warnings": [], "infos": []}),
    )
}

fn update_custom_field(org: &mut Org, ctx: &Ctx<'_>, id: &str, body: Option<&[u8]>) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsCustomizeApplication") {
        return reply;
    }
    let body = match parse_body(body) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let Some((object, existing)) = find_custom_field(org, id).map(|(o, f)| (o, f.clone())) else {
        return Reply::not_found();
    };
    let full_name =
        str_of(&body, "FullName").unwrap_or_else(|| format!("{object}.{}", existing.name));
    let Some(meta) = body.get("Metadata").and_then(Value::as_object) else {
        return Reply::dml_error(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Metadata]",
            &["Metadata".to_string()],
        );
    };
    let (_, mut def) = match field_from_metadata(&full_name, meta) {
        Ok(x) => x,
        Err(reply) => return reply,
    };
    def.custom_field_id = existing.custom_field_id.clone();
    def.created_date = existing.created_date.clone();
    if let Some(o) = org.object_mut(&object) {
        if let Some(slot) = o
            .fields
            .iter_mut()
            .find(|f| f.custom_field_id == existing.custom_field_id)
        {
            *slot = def;
        }
    }
    Reply::no_content()
}

fn delete_custom_field(org: &mut Org, ctx: &Ctx<'_>, id: &str) -> Reply {
    if let Err(reply) = require(org, ctx, "PermissionsCustomizeApplication") {
        return reply;
    }
    let Some((object, field)) = find_custom_field(org, id).map(|(o, f)| (o, f.clone())) else {
        return Reply::not_found();
    };
    if let Some(o) = org.object_mut(&object) {
        o.fields
            .retain(|f| f.custom_field_id != field.custom_field_id);
    }
    let qualified = format!("{object}.{}", field.name);
    org.table_mut("FieldPermissions")
        .retain(|r| r.get("Field").and_then(Value::as_str) != Some(qualified.as_str()));
    for row in org.table_mut(&object).iter_mut() {
        row.remove(&field.name);
    }
    Reply::no_content()
}
