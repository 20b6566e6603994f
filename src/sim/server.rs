//! The HTTP face of the simulated org (axum on tokio): authentication, API-call counting,
//! `Sforce-Limit-Info`, injected faults, and routing to the REST, composite, SOAP and OAuth
//! handlers. Usable in-process (port 0) by tests and benchmarks, and by `writeback-setup sim`.

use super::org::{Org, Session};
use super::rest::{self, Body as ReplyBody, Reply, RestRequest};
use super::scenario::Scenario;
use super::{composite, identity, oauth, singleaccess, soap};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A failure the simulator produces on demand, for the next request(s) to the REST or SOAP API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The next `n` requests answer 503, as during maintenance or concurrency throttling.
    ServiceUnavailable(u32),
    /// The next request gets an HTML error page instead of JSON (wrong host, proxy, outage).
    HtmlErrorPage,
    /// The next request gets a truncated JSON body with status 200.
    MalformedJson,
    /// The connection of the next request is cut mid-response.
    DropConnection,
    /// Every access token issued so far expires (401 "Session expired or invalid").
    ExpireAllTokens,
    /// The next `n` API requests are refused with 403 `REQUEST_LIMIT_EXCEEDED`
    /// "ConcurrentPerOrgLongTxn Limit exceeded." (the org is running too many long requests);
    /// `Sforce-Limit-Info` still shows the daily quota's room.
    ConcurrentRequestLimit(u32),
    /// Another user changes `field` of the record the next PATCH targets just before that
    /// PATCH arrives (a second later than its last change, so `If-Unmodified-Since` sees it).
    ConcurrentEdit { field: String, value: String },
    /// The `n`-th PATCH from now is carried out, then its connection is cut before the answer:
    /// the client cannot know whether the write happened.
    LoseAnswerOfPatch(u32),
    /// The `nth` record read (`GET .../sobjects/{object}/{id}`) from now answers without
    /// `field` (`replacement: None`), or with the JSON text `replacement` in its place: a proxy
    /// that drops a field, or a garbled answer.
    TamperRecordRead {
        nth: u32,
        field: String,
        replacement: Option<String>,
    },
}

#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// 0 picks a free port.
    pub port: u16,
    /// Overrides the scenario's latency per request.
    pub latency_ms: Option<u64>,
    /// Overrides [`HEADER_READ_TIMEOUT`] (tests use a short one).
    pub header_read_timeout: Option<Duration>,
    /// Overrides [`MAX_CONNECTIONS`].
    pub max_connections: Option<usize>,
}

struct Shared {
    org: Mutex<Org>,
    faults: Mutex<VecDeque<Fault>>,
    latency: Duration,
    base_url: String,
}

impl Shared {
    fn org(&self) -> MutexGuard<'_, Org> {
        // A panic while holding the lock would be a simulator bug; keep serving the last state.
        self.org
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next_fault(&self) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        match faults.front_mut() {
            // Wait for their PATCH (see `concurrent_edit`, `lose_patch_answer`).
            Some(
                Fault::ConcurrentEdit { .. }
                | Fault::LoseAnswerOfPatch(_)
                | Fault::TamperRecordRead { .. },
            ) => None,
            Some(Fault::ServiceUnavailable(n)) if *n > 1 => {
                *n -= 1;
                Some(Fault::ServiceUnavailable(1))
            }
            Some(_) => faults.pop_front(),
            None => None,
        }
    }
}

impl Shared {
    /// Counts a PATCH against a queued `LoseAnswerOfPatch`; true when this one loses its answer.
    fn lose_patch_answer(&self) -> bool {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        match faults.front_mut() {
            Some(Fault::LoseAnswerOfPatch(n)) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(Fault::LoseAnswerOfPatch(_)) => {
                faults.pop_front();
                true
            }
            _ => false,
        }
    }

    /// Counts a record read against a queued `TamperRecordRead`; applies it to this answer when
    /// it is the one.
    fn tamper_record_read(&self, reply: &mut Reply) {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let due = match faults.front_mut() {
            Some(Fault::TamperRecordRead { nth, .. }) if *nth > 1 => {
                *nth -= 1;
                false
            }
            Some(Fault::TamperRecordRead { .. }) => true,
            _ => false,
        };
        if !due {
            return;
        }
        let Some(Fault::TamperRecordRead {
            field, replacement, ..
        }) = faults.pop_front()
        else {
            return;
        };
        if let ReplyBody::Json(serde_json::Value::Object(body)) = &mut reply.body {
            match replacement {
                None => {
                    body.remove(&field);
                }
                Some(text) => {
                    let value =
                        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
                    body.insert(field, value);
                }
            }
        }
    }

    /// Applies a queued `ConcurrentEdit` to the record a PATCH of `path` targets.
    fn concurrent_edit(&self, path: &str) {
        let edit = {
            let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            match faults.front() {
                Some(Fault::ConcurrentEdit { .. }) => faults.pop_front(),
                _ => None,
            }
        };
        let Some(Fault::ConcurrentEdit { field, value }) = edit else {
            return;
        };
        // /services/data/vNN.N/sobjects/{object}/{id}
        let segments: Vec<&str> = path.trim_end_matches('/').rsplit('/').take(3).collect();
        let [id, object, "sobjects"] = segments[..] else {
            return;
        };
        let mut org = self.org();
        if let Some(row) = org.find_mut(object, id) {
            let last = row
                .get("LastModifiedDate")
                .and_then(serde_json::Value::as_str)
                .and_then(crate::sim::org::parse_stamp)
                .unwrap_or_else(chrono::Utc::now);
            let edited = std::cmp::max(chrono::Utc::now(), last + chrono::Duration::seconds(1));
            row.insert(field, serde_json::Value::String(value));
            row.insert(
                "LastModifiedDate".into(),
                serde_json::Value::String(edited.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()),
            );
        }
    }
}

/// A running simulated org.
pub struct SimServer {
    shared: Arc<Shared>,
    admin_token: String,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimServer {
    /// Starts serving `scenario` on 127.0.0.1.
    pub async fn start(scenario: &Scenario, options: SimOptions) -> std::io::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let mut org = Org::from_scenario(scenario);
        let admin = org.admin_user_id.clone();
        let admin_token = oauth::issue_access_token(
            &mut org,
            &admin,
            Some("Salesforce CLI"),
            vec!["api".into(), "web".into(), "refresh_token".into()],
        );
        let latency =
            Duration::from_millis(options.latency_ms.unwrap_or(scenario.faults.latency_ms));
        let shared = Arc::new(Shared {
            org: Mutex::new(org),
            faults: Mutex::new(VecDeque::new()),
            latency,
            base_url,
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::watch::channel(false);
        let limits = ConnectionLimits {
            header_read_timeout: options.header_read_timeout.unwrap_or(HEADER_READ_TIMEOUT),
            max_connections: options.max_connections.unwrap_or(MAX_CONNECTIONS).max(1),
        };
        let task = tokio::spawn(serve(listener, app, limits, rx));
        Ok(SimServer {
            shared,
            admin_token,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The instance URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.shared.base_url
    }

    /// An access token of the scenario's admin.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Issues an access token for any user of the org, as if it had logged in through `app`.
    pub fn token_for(&self, username: &str, app: &str, scopes: &[&str]) -> Option<String> {
        let mut org = self.shared.org();
        let user_id = org.user_by_name(username)?.get("Id")?.as_str()?.to_string();
        Some(oauth::issue_access_token(
            &mut org,
            &user_id,
            Some(app),
            scopes.iter().map(|s| s.to_string()).collect(),
        ))
    }

    /// Queues a fault for the next request(s).
    pub fn inject(&self, fault: Fault) {
        if let Fault::ConcurrentRequestLimit(n) = fault {
            self.shared.org().concurrent_refusals += n;
            return;
        }
        if fault == Fault::ExpireAllTokens {
            for session in self.shared.org().sessions.values_mut() {
                session.expired = true;
            }
            return;
        }
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(fault);
    }

    /// Daily API calls used and the daily maximum.
    pub fn api_usage(&self) -> (u64, u64) {
        let org = self.shared.org();
        (org.api_used, org.api_max)
    }

    /// Reads or changes the org directly (tests use it to arrange and inspect state).
    pub fn with_org<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        f(&mut self.shared.org())
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
    }
}

/// How long a client may take to send a request's headers (from the connection's start or the
/// end of its previous answer) before the connection is closed: a client that never finishes
/// its headers must not hold a connection forever. An idle kept-alive connection is closed after
/// it too, as hyper's own default does.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections served at once; further clients wait in the listen queue until one closes.
pub const MAX_CONNECTIONS: usize = 256;

#[derive(Clone, Copy)]
struct ConnectionLimits {
    header_read_timeout: Duration,
    max_connections: usize,
}

/// Accepts connections until `shutdown` turns true, at most `max_connections` at once, each
/// with its header-read timeout; then lets the open ones finish their request and waits for them.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors or a connection reset before accept: try again soon.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Reap finished connections so the set does not grow with every client.
        while connections.try_join_next().is_some() {}
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let _permit = permit;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stop.wait_for(|stop| *stop) => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

fn json_response(status: u16, body: &Value, limit_info: Option<String>) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if let Some(info) = limit_info.and_then(|i| HeaderValue::from_str(&i).ok()) {
        response.headers_mut().insert("Sforce-Limit-Info", info);
    }
    response
}

fn reply_response(reply: Reply, limit_info: Option<String>) -> Response {
    match reply.body {
        ReplyBody::Json(body) => json_response(reply.status, &body, limit_info),
        ReplyBody::Empty => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() =
                StatusCode::from_u16(reply.status).unwrap_or(StatusCode::NO_CONTENT);
            if let Some(info) = limit_info.and_then(|i| HeaderValue::from_str(&i).ok()) {
                response.headers_mut().insert("Sforce-Limit-Info", info);
            }
            response
        }
    }
}

fn text_response(status: u16, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::ServiceUnavailable(_) => json_response(
            503,
            &json!([{"errorCode": "SERVER_UNAVAILABLE", "message": "Server is temporarily unavailable. Please try again later."}]),
            None,
        ),
        Fault::HtmlErrorPage => text_response(
            500,
            "text/html;charset=UTF-8",
            "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>An unexpected error has occurred.</h1>\
             <p>Please include this ErrorId if you contact support: 1183457298-40561 (-1509372011)</p></body></html>"
                .into(),
        ),
        Fault::MalformedJson => text_response(
            200,
            "application/json;charset=UTF-8",
            "{\"totalSize\":1,\"done\":true,\"records\":[{\"attributes\":{\"type\":\"Organiz".into(),
        ),
        Fault::DropConnection
        | Fault::ExpireAllTokens
        | Fault::ConcurrentRequestLimit(_)
        | Fault::ConcurrentEdit { .. }
        | Fault::LoseAnswerOfPatch(_)
        | Fault::TamperRecordRead { .. } => {
            // Promise more bytes than are sent, then fail the body: the client sees the connection cut.
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"totalSize\":")),
                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "simulated drop")),
            ];
            let mut response = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("4096"));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=UTF-8"),
            );
            response
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim().to_string())
}

/// An `Authorization` header that is there but carries no session: another scheme (`Basic`)
/// or an empty token. Salesforce answers `401 INVALID_AUTH_HEADER` "INVALID_HEADER_TYPE"
/// (seen by restforce users: restforce/restforce#489, #594, #811); no header at all is
/// `INVALID_SESSION_ID`.
fn malformed_auth(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return true;
    };
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    let session_scheme =
        scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth");
    !session_scheme || token.trim().is_empty()
}

/// The path as Salesforce routes it: repeated slashes count as one (the Salesforce CLI keeps
/// the instance URL with a trailing slash after `org login access-token` and asks for
/// `//services/data/...`, which real orgs serve).
fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The session of `token` unless it has expired (also by call count) or its user is inactive.
fn live_session<'a>(org: &'a Org, token: Option<&str>) -> Option<&'a Session> {
    let session = token.and_then(|t| org.sessions.get(t))?;
    let expired_by_count = org
        .expire_token_after_calls
        .is_some_and(|n| session.calls >= n);
    let active = org
        .find("User", &session.user_id)
        .is_some_and(|u| u.get("IsActive") == Some(&json!(true)));
    let frozen = org.is_frozen(&session.user_id);
    (!session.expired && !expired_by_count && active && !frozen).then_some(session)
}

/// Why a session may not call the API, as Salesforce answers it (status, errorCode, message).
fn refuse(org: &Org, token: Option<&str>) -> Result<String, (u16, &'static str, &'static str)> {
    const EXPIRED: (u16, &str, &str) = (401, "INVALID_SESSION_ID", "Session expired or invalid");
    let session = live_session(org, token).ok_or(EXPIRED)?;
    if !session.allows_rest() {
        return Err((
            401,
            "INVALID_SESSION_ID",
            "This session is not valid for use with the REST API",
        ));
    }
    if !org.info.api_enabled {
        return Err((
            403,
            "API_DISABLED_FOR_ORG",
            "The REST API is not enabled for this Organization.",
        ));
    }
    if !org.has_permission(&session.user_id, "PermissionsApiEnabled") {
        return Err((
            403,
            "API_CURRENTLY_DISABLED",
            "API is disabled for this User",
        ));
    }
    if org.concurrent_refusals > 0 {
        return Err((
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentPerOrgLongTxn Limit exceeded.",
        ));
    }
    if org.api_used >= org.api_max {
        return Err((
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        ));
    }
    Ok(session.user_id.clone())
}

/// Counts one API call against the org's daily quota and the session's app.
fn count_call(org: &mut Org, token: &str) {
    org.api_used += 1;
    if let Some(session) = org.sessions.get_mut(token) {
        session.calls += 1;
        if let Some(app) = session.app.clone() {
            *org.api_used_by_app.entry(app).or_insert(0) += 1;
        }
    }
}

fn limit_info(org: &Org) -> String {
    format!("api-usage={}/{}", org.api_used, org.api_max)
}

async fn handle(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let path = normalize_path(uri.path());
    let query = uri.query().map(str::to_string);
    // HEAD is a GET without the body (REST API Developer Guide: describe and other GET
    // resources also take HEAD, e.g. to check `If-Modified-Since`).
    let head = method == Method::HEAD;
    let method = if head { Method::GET } else { method };
    let response = route(&shared, method, path, query, headers, body).await;
    if head {
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    response
}

async fn route(
    shared: &Arc<Shared>,
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let api_path = path.starts_with("/services/data") || path.starts_with("/services/Soap/");
    if api_path {
        if let Some(fault) = shared.next_fault() {
            return fault_response(fault);
        }
    }
    let lose_answer = api_path && method == Method::PATCH && {
        shared.concurrent_edit(&path);
        shared.lose_patch_answer()
    };
    if let Some(page) = super::setup_pages::page(&path) {
        return text_response(200, "text/html; charset=utf-8", page);
    }
    if path.starts_with("/services/oauth2/") {
        return oauth_route(shared, &method, &path, query.as_deref(), &headers, &body);
    }
    if path.starts_with("/services/Soap/m/") && method == Method::POST {
        let text = String::from_utf8_lossy(&body);
        let mut org = shared.org();
        let token = soap::session_id(&text);
        return match refuse(&org, token.as_deref()) {
            Ok(user_id) => {
                count_call(&mut org, token.as_deref().unwrap_or(""));
                let (status, xml) = soap::handle(&org, &user_id, &text);
                text_response(status, "text/xml;charset=UTF-8", xml)
            }
            Err((_, code, message)) => {
                if message.starts_with("ConcurrentPerOrg") {
                    org.concurrent_refusals -= 1;
                }
                let detail = if code == "INVALID_SESSION_ID" {
                    format!("{code}: Invalid Session ID found in SessionHeader: Illegal Session. {message}")
                } else {
                    format!("{code}: {message}")
                };
                text_response(500, "text/xml;charset=UTF-8", soap::fault(code, &detail))
            }
        };
    }
    if let Some(id_path) = path.strip_prefix("/id/") {
        // A plain bearer GET like userinfo: no REST API rules (API switches, quota) apply.
        let org = shared.org();
        let token = bearer(&headers).or_else(|| rest::query_param(query.as_deref(), "oauth_token"));
        let user_id = live_session(&org, token.as_deref()).map(|s| s.user_id.clone());
        return match user_id.ok_or(()) {
            Ok(user_id) if identity::names_user(&org, id_path, &user_id) => json_response(
                200,
                &identity::document(
                    &org,
                    &shared.base_url,
                    &user_id,
                    rest::query_param(query.as_deref(), "version").as_deref(),
                ),
                None,
            ),
            Ok(_) => json_response(403, &json!("Bad_Id"), None),
            Err(_) => text_response(403, "text/plain", "Bad_OAuth_Token".into()),
        };
    }
    if !path.starts_with("/services/data") {
        return json_response(
            404,
            &json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]),
            None,
        );
    }
    let mut org = shared.org();
    if path.trim_end_matches('/') == "/services/data" {
        // The version list needs no session and costs no API call.
        return json_response(200, &rest::versions(&org), None);
    }
    if malformed_auth(&headers) {
        return json_response(
            401,
            &json!([{"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}]),
            None,
        );
    }
    let token = bearer(&headers);
    let user_id = match refuse(&org, token.as_deref()) {
        Ok(user_id) => user_id,
        Err((status, code, message)) => {
            if message.starts_with("ConcurrentPerOrg") {
                org.concurrent_refusals -= 1;
            }
            let info = (status != 401).then(|| limit_info(&org));
            return json_response(
                status,
                &json!([{"message": message, "errorCode": code}]),
                info,
            );
        }
    };
    count_call(&mut org, token.as_deref().unwrap_or(""));
    let header_text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let reply = match composite_target(&path) {
        Some(_) if method != Method::POST => Reply::error(
            405,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{method}' not allowed. Allowed are POST"),
        ),
        Some((version, tooling))
            if rest::served_version(&org, &format!("v{version}")).is_none()
                || !rest::serves_composite(&version, tooling) =>
        {
            Reply::not_found()
        }
        Some((version, tooling)) => {
            composite::handle(&mut org, &user_id, &version, tooling, Some(&body))
        }
        None => {
            let auto_assign = header_text("Sforce-Auto-Assign");
            let since = header_text("If-Unmodified-Since");
            let options = header_text("Sforce-Query-Options");
            rest::dispatch(
                &mut org,
                &user_id,
                &RestRequest {
                    method: method.as_str(),
                    path: &path,
                    query: query.as_deref(),
                    body: Some(&body),
                    auto_assign: auto_assign.is_none_or(|v| !v.eq_ignore_ascii_case("false")),
                    if_unmodified_since: since.as_deref(),
                    query_options: options.as_deref(),
                },
            )
        }
    };
    let mut reply = reply;
    if method == Method::GET && reply.status == 200 && is_version_root(&path) {
        // The resource list names the identity URL (absolute), as jsforce's identity() reads it.
        if let ReplyBody::Json(Value::Object(resources)) = &mut reply.body {
            resources.insert(
                "identity".into(),
                json!(format!("{}/id/{}/{user_id}", shared.base_url, org.info.id)),
            );
        }
    }
    if lose_answer {
        return fault_response(Fault::DropConnection);
    }
    if method == Method::GET && reply.status == 200 && is_record_path(&path) {
        shared.tamper_record_read(&mut reply);
    }
    let info = limit_info(&org);
    reply_response(reply, Some(info))
}

/// `/services/data/vNN.N`: the version's resource list.
fn is_version_root(path: &str) -> bool {
    path.trim_end_matches('/')
        .strip_prefix("/services/data/v")
        .is_some_and(|v| !v.contains('/'))
}

/// `/services/data/vNN.N/sobjects/{object}/{id}`: one record.
fn is_record_path(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').rsplit('/').take(3).collect();
    matches!(segments[..], [id, object, "sobjects"] if !id.is_empty() && id != "describe" && !object.is_empty())
}

/// `(version, tooling)` when the path is a composite resource of a served version.
fn composite_target(path: &str) -> Option<(String, bool)> {
    let rest = path
        .trim_end_matches('/')
        .strip_prefix("/services/data/v")?;
    if let Some(version) = rest.strip_suffix("/tooling/composite") {
        return Some((version.to_string(), true));
    }
    rest.strip_suffix("/composite")
        .map(|v| (v.to_string(), false))
}

fn oauth_route(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let mut org = shared.org();
    let outcome = |o: oauth::AuthorizeOutcome| match o {
        oauth::AuthorizeOutcome::Page { status, html } => {
            text_response(status, "text/html;charset=UTF-8", html)
        }
        oauth::AuthorizeOutcome::Redirect(location) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::FOUND;
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
    };
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "/services/oauth2/authorize") => outcome(oauth::authorize_page(
            &org,
            &form(query.unwrap_or("").as_bytes()),
        )),
        ("POST", "/services/oauth2/authorize") => {
            outcome(oauth::authorize_submit(&mut org, &form(body)))
        }
        ("POST", "/services/oauth2/token") => {
            let (status, body) = oauth::token(&mut org, &shared.base_url, &form(body));
            json_response(status, &body, None)
        }
        ("POST", "/services/oauth2/revoke") => {
            let mut params = form(body);
            if let Some(q) = query {
                params.extend(form(q.as_bytes()));
            }
            let (status, body) = oauth::revoke(&mut org, &params);
            if status == 200 {
                text_response(200, "text/plain", String::new())
            } else {
                json_response(status, &body, None)
            }
        }
        ("GET" | "POST", "/services/oauth2/singleaccess") => {
            // The token comes as a Bearer header; `redirect_uri` in the query (GET, the Salesforce
            // CLI) or in a form body (POST, the Mobile SDK).
            let mut params = form(query.unwrap_or("").as_bytes());
            params.extend(form(body));
            let token = bearer(headers);
            let answer = singleaccess::frontdoor(
                &org,
                &shared.base_url,
                live_session(&org, token.as_deref()),
                params.get("redirect_uri").map(String::as_str),
            );
            let status = answer.status();
            match answer {
                singleaccess::SingleAccess::Frontdoor(body) => json_response(status, &body, None),
                singleaccess::SingleAccess::Refused(reason) => {
                    text_response(status, "text/plain", reason.into())
                }
            }
        }
        ("GET", "/services/oauth2/userinfo") => {
            let token = bearer(headers);
            match live_session(&org, token.as_deref()) {
                Some(session) if !oauth::reaches_identity(&org, session) => {
                    let (status, body) = oauth::userinfo_refused();
                    json_response(status, &body, None)
                }
                Some(session) => json_response(
                    200,
                    &oauth::userinfo(&org, &shared.base_url, &session.user_id),
                    None,
                ),
                None => text_response(403, "text/plain", "Bad_OAuth_Token".into()),
            }
        }
        _ => json_response(
            404,
            &json!({"error": "not_found", "error_description": "The requested resource does not exist"}),
            None,
        ),
    }
}
