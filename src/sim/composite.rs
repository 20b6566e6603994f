//! `POST .../composite` and `.../tooling/composite`: up to 25 subrequests in one API call,
//! with `@{ref.path}` references and `allOrNone` rollback.

use super::org::Org;
use super::rest::{self, Body, Reply, RestRequest};
use serde_json::{json, Value};

const MAX_SUBREQUESTS: usize = 25;
const MAX_QUERIES: usize = 5;

fn halted(message: &str) -> Value {
    json!([{"errorCode": "PROCESSING_HALTED", "message": message}])
}

const ROLLED_BACK: &str =
    "The transaction was rolled back since another operation in the same transaction failed.";

/// Answers a composite request for an authenticated user.
#[allow(clippy::too_many_lines)] // one pass over the subrequests: references, limits, all-or-none, in Salesforce's order
pub fn handle(
    org: &mut Org,
    user_id: &str,
    version: &str,
    tooling: bool,
    body: Option<&[u8]>,
) -> Reply {
    let request: Value = match serde_json::from_slice(body.unwrap_or_default()) {
        Ok(v) => v,
        Err(e) => {
            return Reply::error(
                400,
                "JSON_PARSER_ERROR",
                format!(
                    "Unexpected character: {e} at [line:{}, column:{}]",
                    e.line(),
                    e.column()
                ),
            )
        }
    };
    let Some(subrequests) = request.get("compositeRequest").and_then(Value::as_array) else {
        return Reply::error(
            400,
            "INVALID_API_INPUT",
            "Composite Request must contain compositeRequest",
        );
    };
    let all_or_none = request.get("allOrNone") == Some(&json!(true));
    if subrequests.len() > MAX_SUBREQUESTS {
        return Reply::error(400, "LIMIT_EXCEEDED", format!("Limit Exceeded : A composite request can contain at most {MAX_SUBREQUESTS} subrequests"));
    }
    let prefix = if tooling {
        format!("/services/data/v{version}/tooling/")
    } else {
        format!("/services/data/v{version}/")
    };
    let mut queries = 0;
    let mut seen_ids: Vec<String> = Vec::new();
    for sub in subrequests {
        let reference = sub.get("referenceId").and_then(Value::as_str).unwrap_or("");
        let valid_ref = !reference.is_empty()
            && reference
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && reference
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_ref {
            return Reply::error(400, "INVALID_API_INPUT", format!("Invalid reference id: {reference}. Reference Ids can only contain alphanumeric characters and underscores and must begin with a letter."));
        }
        if seen_ids.iter().any(|s| s == reference) {
            return Reply::error(
                400,
                "INVALID_API_INPUT",
                format!("Duplicate reference id: {reference}"),
            );
        }
        seen_ids.push(reference.to_string());
        let method = sub.get("method").and_then(Value::as_str).unwrap_or("");
        if !matches!(method, "GET" | "POST" | "PATCH" | "DELETE" | "PUT" | "HEAD") {
            return Reply::error(
                400,
                "INVALID_API_INPUT",
                format!("Invalid HTTP method: {method}"),
            );
        }
        if let Some(headers) = sub.get("httpHeaders").and_then(Value::as_object) {
            if let Some(bad) = headers.keys().find(|h| {
                ["authorization", "accept", "content-type"].contains(&h.to_lowercase().as_str())
            }) {
                return Reply::error(
                    400,
                    "INVALID_API_INPUT",
                    format!("The header {bad} is not allowed in a composite subrequest"),
                );
            }
        }
        let url = sub.get("url").and_then(Value::as_str).unwrap_or("");
        let is_tooling_url = url.split('?').next().unwrap_or("").contains("/tooling/");
        if !url.starts_with("/services/data/v") || is_tooling_url != tooling {
            let kind = if tooling { "tooling " } else { "" };
            return Reply::error(
                400,
                "INVALID_API_INPUT",
                format!("The {kind}composite subrequest URL {url} must start with {prefix}"),
            );
        }
        let path = url.split('?').next().unwrap_or("");
        if path.contains("/query") {
            queries += 1;
        }
    }
    if queries > MAX_QUERIES {
        return Reply::error(400, "LIMIT_EXCEEDED", format!("Limit Exceeded : A composite request can contain at most {MAX_QUERIES} query operations"));
    }

    let snapshot = (all_or_none
        && subrequests
            .iter()
            .any(|s| s.get("method").and_then(Value::as_str) != Some("GET")))
    .then(|| org.clone());
    let mut results: Vec<(String, u16, Value, Value)> = Vec::new();
    let mut failed_at: Option<usize> = None;
    for (i, sub) in subrequests.iter().enumerate() {
        let reference = sub["referenceId"].as_str().unwrap_or("").to_string();
        if failed_at.is_some() && all_or_none {
            results.push((reference, 400, halted(ROLLED_BACK), json!({})));
            continue;
        }
        let method = sub["method"].as_str().unwrap_or("GET");
        let url = match substitute(sub["url"].as_str().unwrap_or(""), &results, true) {
            Ok(u) => u,
            Err(message) => {
                results.push((reference, 400, halted(&message), json!({})));
                failed_at.get_or_insert(i);
                continue;
            }
        };
        let body = match sub.get("body") {
            Some(b) => match substitute_value(b, &results) {
                Ok(b) => Some(serde_json::to_vec(&b).unwrap_or_default()),
                Err(message) => {
                    results.push((reference, 400, halted(&message), json!({})));
                    failed_at.get_or_insert(i);
                    continue;
                }
            },
            None => None,
        };
        let headers = sub.get("httpHeaders").and_then(Value::as_object);
        let header = |name: &str| {
            headers.and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str())
            })
        };
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (url.clone(), None),
        };
        let reply = if path.trim_end_matches('/').ends_with("/composite") {
            Reply::error(
                400,
                "INVALID_API_INPUT",
                "A composite request cannot contain another composite request",
            )
        } else {
            rest::dispatch(
                org,
                user_id,
                &RestRequest {
                    method,
                    path: &path,
                    query: query.as_deref(),
                    body: body.as_deref(),
                    auto_assign: header("Sforce-Auto-Assign")
                        .is_none_or(|v| !v.eq_ignore_ascii_case("false")),
                    if_unmodified_since: header("If-Unmodified-Since"),
                    query_options: header("Sforce-Query-Options"),
                },
            )
        };
        let mut http_headers = json!({});
        if reply.status == 201 {
            if let Some(id) = reply
                .body_json()
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str)
            {
                http_headers = json!({"Location": format!("{}/{id}", path.trim_end_matches('/'))});
            }
        }
        if reply.status >= 400 {
            failed_at.get_or_insert(i);
        }
        let body = match reply.body {
            Body::Json(v) => v,
            Body::Empty => Value::Null,
        };
        results.push((reference, reply.status, body, http_headers));
    }
    if let (Some(failed), Some(snapshot)) = (failed_at, snapshot) {
        if all_or_none {
            let (used, by_app, sessions) = (
                org.api_used,
                org.api_used_by_app.clone(),
                org.sessions.clone(),
            );
            *org = snapshot;
            org.api_used = used;
            org.api_used_by_app = by_app;
            org.sessions = sessions;
            for (i, r) in results.iter_mut().enumerate() {
                if i != failed {
                    r.1 = 400;
                    r.2 = halted(ROLLED_BACK);
                    r.3 = json!({});
                }
            }
        }
    } else if let (Some(failed), true) = (failed_at, all_or_none) {
        for (i, r) in results.iter_mut().enumerate() {
            if i != failed && r.1 < 400 {
                r.1 = 400;
                r.2 = halted(ROLLED_BACK);
            }
        }
    }
    let responses: Vec<Value> = results
        .into_iter()
        .map(|(reference, status, body, headers)| {
            json!({"body": body, "httpHeaders": headers, "httpStatusCode": status, "referenceId": reference})
        })
        .collect();
    Reply::json(200, json!({"compositeResponse": responses}))
}

/// Resolves `@{ref.path}` (e.g. `@{user.records[0].Id}`) against earlier subrequest results.
fn resolve(expression: &str, results: &[(String, u16, Value, Value)]) -> Result<Value, String> {
    let (reference, path) = expression.split_once('.').unwrap_or((expression, ""));
    let not_found = || {
        format!("Invalid reference specified. No value for {path} found in {reference}. Provided referenceId ('{reference}') must be declared before it is used and the referenced operation must be successful.")
    };
    let Some((_, status, body, _)) = results.iter().find(|(r, ..)| r == reference) else {
        return Err(not_found());
    };
    if *status >= 400 {
        return Err(not_found());
    }
    let mut current = body;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        current = current.get(name).ok_or_else(not_found)?;
        if let Some(i) = index {
            current = current.get(i).ok_or_else(not_found)?;
        }
    }
    if current.is_null() {
        return Err(not_found());
    }
    Ok(current.clone())
}

fn substitute(
    text: &str,
    results: &[(String, u16, Value, Value)],
    in_url: bool,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let value = resolve(&after[..end], results)?;
        let text = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        if in_url {
            out.push_str(
                &percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
        } else {
            out.push_str(&text);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute_value(
    value: &Value,
    results: &[(String, u16, Value, Value)],
) -> Result<Value, String> {
    Ok(match value {
        Value::String(s)
            if s.starts_with("@{") && s.ends_with('}') && s.matches("@{").count() == 1 =>
        {
            resolve(&s[2..s.len() - 1], results)?
        }
        Value::String(s) => Value::String(substitute(s, results, false)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_value(v, results))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute_value(v, results)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}
