//! The Salesforce client: the only code in the app that speaks HTTP/JSON/SOAP to Salesforce.
//!
//! One [`Client`] per org connection. It picks the API version, sends every request with the
//! token from a [`TokenSource`], retries idempotent reads on transient failures, refreshes the
//! token once when the session has expired, reads `Sforce-Limit-Info` from every answer and
//! counts its own requests ([`CallStats`]). Errors are one typed enum, [`SfError`], that never
//! carries the access token.

mod error;
pub mod oauth;
mod soap;

pub use error::SfError;
pub use soap::{MetadataListing, MetadataRecord};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{json, Value};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One record of a query answer, as Salesforce sends it (with its `attributes`).
pub type Record = serde_json::Map<String, Value>;

/// Highest API version the app is built and tested against.
pub const MAX_API_VERSION: &str = "66.0";
/// Lowest API version the app's requests work with (Tooling composite, sObject Collections and
/// the `FieldDefinition` filters it sends).
pub const MIN_API_VERSION: &str = "43.0";

/// Salesforce's composite limit (one number for planners and the client: `request`).
pub use crate::request::MAX_SUBREQUESTS as MAX_COMPOSITE_SUBREQUESTS;

/// The future returned by [`TokenSource::refresh`].
pub type RefreshFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<String>, SfError>> + Send + 'a>>;

/// Where access tokens come from. `refresh` is called once when Salesforce answers 401
/// "Session expired or invalid".
pub trait TokenSource: Send + Sync {
    fn access_token(&self) -> String;
    /// A token to use instead of `failed` (the one Salesforce refused), or Ok(None) when this
    /// source cannot refresh (a pasted token). A source that already holds a newer token than
    /// `failed` (another request refreshed first) returns it without refreshing again.
    fn refresh(&self, failed: &str) -> RefreshFuture<'_>;
}

/// A pasted token that cannot be refreshed.
pub struct StaticToken(String);

impl StaticToken {
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(token.into())
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken([redacted])")
    }
}

impl TokenSource for StaticToken {
    fn access_token(&self) -> String {
        self.0.clone()
    }

    fn refresh(&self, _failed: &str) -> RefreshFuture<'_> {
        Box::pin(async { Ok(None) })
    }
}

/// Daily API calls used and the org's daily maximum, from `Sforce-Limit-Info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiUsage {
    pub used: u64,
    pub max: u64,
}

/// What this client has sent so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallStats {
    /// Every HTTP request sent (retries, the version list and userinfo included).
    pub http_requests: u64,
    /// Requests Salesforce bills against the org's daily API quota (see [`Client`] for the rule).
    pub api_calls: u64,
}

/// When and how often idempotent reads are retried (transport errors, HTTP 502/503).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            first_backoff: Duration::from_millis(200),
        }
    }
}

/// The logged-in user, from `/services/oauth2/userinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub organization_id: String,
    pub username: String,
    pub name: String,
    pub email: String,
}

/// One subrequest of a composite request.
#[derive(Clone, Debug, PartialEq)]
pub struct SubRequest {
    pub reference_id: String,
    /// "GET", "PATCH", ...
    pub method: String,
    /// Relative to the version root ("query/?q=...", "sobjects/Case/describe"), or a full
    /// "/services/data/..." path.
    pub url: String,
    pub body: Option<Value>,
}

impl SubRequest {
    pub fn get(reference_id: &str, url: impl Into<String>) -> Self {
        SubRequest {
            reference_id: reference_id.to_string(),
            method: "GET".into(),
            url: url.into(),
            body: None,
        }
    }

    /// A SOQL query subrequest ("query/?q=..." with the query url-encoded).
    pub fn query(reference_id: &str, soql: &str) -> Self {
        Self::get(reference_id, format!("query/?q={}", encode(soql)))
    }
}

/// The answer to one subrequest.
#[derive(Clone, Debug, PartialEq)]
pub struct SubResponse {
    pub reference_id: String,
    pub status: u16,
    pub body: Value,
}

impl SubResponse {
    /// The records of a query answer (also the first page of a paginated one), or the error.
    pub fn records(&self) -> Result<Vec<Record>, SfError> {
        Ok(query_page(self.json()?, &self.what())?.0)
    }

    /// The body, or the SfError when status >= 400.
    pub fn json(&self) -> Result<&Value, SfError> {
        if self.status >= 400 {
            return Err(
                error::from_json(self.status, &self.body).unwrap_or_else(|| SfError::Decode {
                    what: self.what(),
                    message: format!("HTTP {} without a Salesforce error body", self.status),
                }),
            );
        }
        Ok(&self.body)
    }

    /// The `nextRecordsUrl` of a query answer that has more pages.
    pub fn next_records_url(&self) -> Option<&str> {
        next_url(&self.body)
    }

    fn what(&self) -> String {
        format!("composite subrequest '{}'", self.reference_id)
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct State {
    usage: Option<ApiUsage>,
    stats: CallStats,
}

/// A connection to one org.
///
/// Counting rule for [`CallStats::api_calls`] (what Salesforce bills against the daily quota):
/// a request counts when it went to `/services/data/vXX.X/...` or `/services/Soap/...` and got a
/// complete HTTP answer that Salesforce processed, i.e. the answer carries `Sforce-Limit-Info`,
/// or is a 2xx/4xx JSON answer, or is a SOAP envelope (result or fault) — except answers that
/// refused the session or the call before any work: HTTP 401, and the error codes
/// `INVALID_SESSION_ID`, `REQUEST_LIMIT_EXCEEDED`, `API_DISABLED_FOR_ORG` and
/// `API_CURRENTLY_DISABLED`. The version list (`/services/data/`), `/services/oauth2/*`,
/// 5xx answers without the header and dropped connections do not count.
pub struct Client {
    http: reqwest::Client,
    instance_url: String,
    api_version: String,
    tokens: Arc<dyn TokenSource>,
    state: Mutex<State>,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Client")
            .field("instance_url", &self.instance_url)
            .field("api_version", &self.api_version)
            .field("api_usage", &state.usage)
            .field("stats", &state.stats)
            .field("retry", &self.retry)
            .field("token", &"[redacted]")
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Json,
    Soap,
}

enum Payload {
    None,
    Json(Value),
    /// The SOAP body element; the envelope with the session id is built per attempt.
    Soap(String),
}

struct Call {
    method: Method,
    url: String,
    payload: Payload,
    headers: Vec<(HeaderName, HeaderValue)>,
    idempotent: bool,
    billable: bool,
    what: String,
}

impl Call {
    fn kind(&self) -> Kind {
        match self.payload {
            Payload::Soap(_) => Kind::Soap,
            _ => Kind::Json,
        }
    }
}

struct Raw {
    status: u16,
    content_type: String,
    location: Option<String>,
    limit_header: bool,
    text: String,
}

enum Answer {
    Json(Option<Value>),
    Xml(soap::Node),
}

impl Client {
    /// Validates the instance URL (https, or http only for 127.0.0.1/localhost; no path other
    /// than "/"), GETs /services/data/ and picks the highest version <= [`MAX_API_VERSION`].
    pub async fn connect(
        instance_url: &str,
        tokens: Arc<dyn TokenSource>,
    ) -> Result<Client, SfError> {
        let instance_url = validate_instance_url(instance_url)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| SfError::Transport {
                message: format!("could not set up HTTP: {}", error_chain(&e)),
            })?;
        let mut client = Client {
            http,
            instance_url,
            api_version: String::new(),
            tokens,
            state: Mutex::new(State::default()),
            retry: RetryPolicy::default(),
        };
        let versions = client
            .json_call(client.call(
                Method::GET,
                format!("{}/services/data/", client.instance_url),
                "API versions",
            ))
            .await?;
        client.api_version = pick_version(versions.as_ref())?;
        Ok(client)
    }

    pub fn instance_url(&self) -> &str {
        &self.instance_url
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// From the last `Sforce-Limit-Info` header seen.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.state().usage
    }

    pub fn stats(&self) -> CallStats {
        self.state().stats.clone()
    }

    /// Who is logged in, by `/services/oauth2/userinfo` alone (not an API call): `None` when the
    /// token may not read it (403 for want of an identity scope, not an expired session) or the
    /// answer names no user and org ids.
    pub async fn userinfo(&self) -> Result<Option<Identity>, SfError> {
        let what = "userinfo";
        let answer = self
            .json_call(self.call(
                Method::GET,
                format!("{}/services/oauth2/userinfo", self.instance_url),
                what,
            ))
            .await;
        let body = match answer {
            Ok(Some(body)) => Some(body),
            Ok(None) => None,
            // Refused for want of scope (403, not the expired-token answer `Bad_OAuth_Token`).
            Err(e) if e.status() == Some(403) && !e.is_expired_session() => None,
            Err(e) => return Err(e),
        };
        let text = |body: &Value, key: &str| {
            body.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(body) = body {
            if let (Some(user_id), Some(organization_id)) =
                (text(&body, "user_id"), text(&body, "organization_id"))
            {
                let name = text(&body, "name").unwrap_or_default();
                return Ok(Some(Identity {
                    user_id,
                    organization_id,
                    username: text(&body, "preferred_username")
                        .or_else(|| text(&body, "username"))
                        .unwrap_or_else(|| name.clone()),
                    name,
                    email: text(&body, "email").unwrap_or_default(),
                }));
            }
        }
        Ok(None)
    }

    /// Who is logged in, when only the token is known (a pasted session, a Salesforce CLI
    /// login): `GET /services/oauth2/userinfo` (not an API call), which needs the `id` (or
    /// `openid`, `profile`, ...) scope. A token without it (the Salesforce CLI's app asks for
    /// `api web refresh_token`) is refused there with 403, and an answer without the ids is no
    /// use: then the version's resource list names the identity URL (`identity`), whose org and
    /// user ids lead to [`Client::user_identity`]. The username falls back to the name where
    /// `preferred_username` is missing.
    pub async fn identity(&self) -> Result<Identity, SfError> {
        if let Some(identity) = self.userinfo().await? {
            return Ok(identity);
        }
        let what = "userinfo";
        let resources = self.get("").await?;
        let identity_url = resources
            .get("identity")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                decode(
                    what,
                    "no user_id or organization_id, and the resource list names no identity URL",
                )
            })?;
        let (org_id, user_id) = ids_of_identity_url(identity_url)
            .ok_or_else(|| decode("resource list", "the identity URL names no org and user"))?;
        self.user_identity(&org_id, &user_id).await
    }

    /// The user of a login whose org and username are known (a Salesforce CLI login: `sf org
    /// display` names both, not the user's Id): one query, where the identity URL's way costs
    /// the resource list and the user's record.
    pub async fn user_identity_by_username(
        &self,
        org_id: &str,
        username: &str,
    ) -> Result<Identity, SfError> {
        let soql = format!(
            "SELECT Id, Username, Name, Email FROM User WHERE Username = {}",
            crate::request::soql_string(username)
        );
        let rows = self.query(&soql).await?;
        let user = rows
            .first()
            .ok_or_else(|| decode("User query", "no user of that username in this org"))?;
        let identity = identity_of_user(org_id, user, "");
        if identity.user_id.is_empty() {
            return Err(decode("User query", "the user has no Id"));
        }
        Ok(identity)
    }

    /// The user of a login whose org and user ids are known (from the token answer's identity
    /// URL `id`, or a saved login): `GET sobjects/User/{id}` with the fields it needs, one API
    /// call the `api` scope allows (no `id` scope needed).
    pub async fn user_identity(&self, org_id: &str, user_id: &str) -> Result<Identity, SfError> {
        if !user_id.chars().all(|c| c.is_ascii_alphanumeric()) || user_id.is_empty() {
            return Err(decode("identity URL", "the user id is not an Id"));
        }
        let user = self
            .get(&format!(
                "sobjects/User/{user_id}?fields=Id,Username,Name,Email"
            ))
            .await?;
        let user = user.as_object().cloned().unwrap_or_default();
        Ok(identity_of_user(org_id, &user, user_id))
    }

    /// Standard query, following nextRecordsUrl until done.
    pub async fn query(&self, soql: &str) -> Result<Vec<Record>, SfError> {
        self.query_from(format!("query/?q={}", encode(soql))).await
    }

    /// Tooling API query, following nextRecordsUrl until done.
    pub async fn tooling_query(&self, soql: &str) -> Result<Vec<Record>, SfError> {
        self.query_from(format!("tooling/query/?q={}", encode(soql)))
            .await
    }

    /// All records of a composite query answer: its first page plus the pages after it.
    pub async fn all_records(&self, response: &SubResponse) -> Result<Vec<Record>, SfError> {
        let mut records = response.records()?;
        if let Some(next) = response.next_records_url() {
            records.extend(self.query_from(next.to_string()).await?);
        }
        Ok(records)
    }

    async fn query_from(&self, first: String) -> Result<Vec<Record>, SfError> {
        let mut records = Vec::new();
        let mut next = Some(first);
        let mut seen = std::collections::HashSet::new();
        while let Some(path) = next.take() {
            if !seen.insert(path.clone()) {
                return Err(decode(
                    "query",
                    "nextRecordsUrl points to a page already read",
                ));
            }
            let page = self.get(&path).await?;
            let (page_records, more) = query_page(&page, "query")?;
            records.extend(page_records);
            next = more;
        }
        Ok(records)
    }

    /// POST .../composite: one API call for up to 25 subrequests (allOrNone=false). Returns one
    /// SubResponse per subrequest, in order.
    pub async fn composite(&self, requests: &[SubRequest]) -> Result<Vec<SubResponse>, SfError> {
        self.composite_at("", requests).await
    }

    /// POST .../tooling/composite.
    pub async fn tooling_composite(
        &self,
        requests: &[SubRequest],
    ) -> Result<Vec<SubResponse>, SfError> {
        self.composite_at("tooling/", requests).await
    }

    async fn composite_at(
        &self,
        api: &str,
        requests: &[SubRequest],
    ) -> Result<Vec<SubResponse>, SfError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        if requests.len() > MAX_COMPOSITE_SUBREQUESTS {
            return Err(SfError::InvalidInput {
                message: format!(
                    "A composite request takes at most {MAX_COMPOSITE_SUBREQUESTS} subrequests, \
                     not {}; split them.",
                    requests.len()
                ),
            });
        }
        let root = format!("/services/data/v{}/{api}", self.api_version);
        let subrequests: Vec<Value> = requests
            .iter()
            .map(|r| {
                let url = if r.url.starts_with("/services/") {
                    r.url.clone()
                } else {
                    format!("{root}{}", r.url.trim_start_matches('/'))
                };
                let mut sub =
                    json!({"method": r.method, "url": url, "referenceId": r.reference_id});
                if let (Some(body), Some(map)) = (&r.body, sub.as_object_mut()) {
                    map.insert("body".into(), body.clone());
                }
                sub
            })
            .collect();
        let what = format!("{api}composite");
        let mut call = self.call(
            Method::POST,
            format!("{}{root}composite", self.instance_url),
            &what,
        );
        call.payload = Payload::Json(json!({"allOrNone": false, "compositeRequest": subrequests}));
        call.idempotent = requests
            .iter()
            .all(|r| r.method.eq_ignore_ascii_case("GET"));
        let body = self
            .json_call(call)
            .await?
            .ok_or_else(|| decode(&what, "empty answer"))?;
        let items = body
            .get("compositeResponse")
            .and_then(Value::as_array)
            .ok_or_else(|| decode(&what, "no compositeResponse array"))?;
        let mut responses = Vec::with_capacity(items.len());
        for item in items {
            let status = item
                .get("httpStatusCode")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(|| decode(&what, "a subresponse has no httpStatusCode"))?;
            responses.push(SubResponse {
                reference_id: item
                    .get("referenceId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                status,
                body: item.get("body").cloned().unwrap_or(Value::Null),
            });
        }
        // Salesforce answers in request order; match by referenceId anyway.
        let mut ordered = Vec::with_capacity(requests.len());
        for request in requests {
            let index = responses
                .iter()
                .position(|r| r.reference_id == request.reference_id)
                .ok_or_else(|| {
                    decode(
                        &what,
                        &format!("no answer for subrequest '{}'", request.reference_id),
                    )
                })?;
            ordered.push(responses.swap_remove(index));
        }
        Ok(ordered)
    }

    /// Metadata API listMetadata (up to 3 types per call; more types take more calls).
    pub async fn list_metadata(&self, types: &[&str]) -> Result<Vec<MetadataListing>, SfError> {
        let mut listings = Vec::new();
        for chunk in types.chunks(3) {
            let root = self
                .soap_call(soap::list_body(chunk, &self.api_version), "listMetadata")
                .await?;
            listings.extend(soap::parse_list(&root)?);
        }
        Ok(listings)
    }

    /// Metadata API readMetadata (one type, up to 10 names per call; more names take more
    /// calls). One record per name, in order; an unknown name gives an empty record.
    pub async fn read_metadata(
        &self,
        type_name: &str,
        full_names: &[String],
    ) -> Result<Vec<MetadataRecord>, SfError> {
        let mut records = Vec::new();
        for chunk in full_names.chunks(10) {
            let root = self
                .soap_call(soap::read_body(type_name, chunk), "readMetadata")
                .await?;
            records.extend(soap::parse_read(&root, type_name)?);
        }
        Ok(records)
    }

    async fn soap_call(&self, body: String, what: &str) -> Result<soap::Node, SfError> {
        let mut call = self.call(
            Method::POST,
            format!("{}/services/Soap/m/{}", self.instance_url, self.api_version),
            what,
        );
        call.payload = Payload::Soap(body);
        // listMetadata and readMetadata only read.
        call.idempotent = true;
        match self.execute(&call).await? {
            Answer::Xml(root) => Ok(root),
            Answer::Json(_) => Err(decode(what, "a JSON answer where SOAP was expected")),
        }
    }

    /// GET a path relative to the version root ("sobjects/Case/describe"), or a full
    /// "/services/..." path. Retried on transient failures. An empty answer is `Value::Null`.
    pub async fn get(&self, path: &str) -> Result<Value, SfError> {
        let url = self.resolve(path)?;
        Ok(self
            .json_call(self.call(Method::GET, url, path))
            .await?
            .unwrap_or(Value::Null))
    }

    /// PATCH/POST/DELETE (or any method) with a JSON body on a path relative to the version
    /// root; `Value::Null` sends no body. Only GET is ever retried. `None` for an empty answer
    /// (204).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Result<Option<Value>, SfError> {
        let url = self.resolve(path)?;
        let mut call = self.call(method.clone(), url, path);
        call.idempotent = method == Method::GET;
        if !body.is_null() {
            call.payload = Payload::Json(body.clone());
        }
        for (name, value) in headers {
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| SfError::InvalidInput {
                    message: format!("'{name}' is not a valid HTTP header name"),
                })?;
            if name == AUTHORIZATION {
                return Err(SfError::InvalidInput {
                    message: "the client sets Authorization itself".into(),
                });
            }
            let value = HeaderValue::from_str(value).map_err(|_| SfError::InvalidInput {
                message: format!("the value of header '{name}' is not valid"),
            })?;
            call.headers.push((name, value));
        }
        self.json_call(call).await
    }

    // -----------------------------------------------------------------------------------------

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn token(&self) -> String {
        self.tokens.access_token()
    }

    fn call(&self, method: Method, url: String, what: &str) -> Call {
        let path = url.strip_prefix(&self.instance_url).unwrap_or(url.as_str());
        let billable = path.starts_with("/services/data/v") || path.starts_with("/services/Soap/");
        Call {
            idempotent: method == Method::GET,
            method,
            url,
            payload: Payload::None,
            headers: Vec::new(),
            billable,
            what: what.to_string(),
        }
    }

    /// The absolute URL of a path relative to the version root, or of a "/services/..." path.
    fn resolve(&self, path: &str) -> Result<String, SfError> {
        if path.contains("://") || path.starts_with("//") {
            return Err(SfError::InvalidInput {
                message: "give a path relative to the instance, not a full URL".into(),
            });
        }
        if path.starts_with("/services/") {
            return Ok(format!("{}{path}", self.instance_url));
        }
        Ok(format!(
            "{}/services/data/v{}/{}",
            self.instance_url,
            self.api_version,
            path.trim_start_matches('/')
        ))
    }

    async fn json_call(&self, call: Call) -> Result<Option<Value>, SfError> {
        match self.execute(&call).await? {
            Answer::Json(value) => Ok(value),
            Answer::Xml(_) => Err(decode(&call.what, "an XML answer where JSON was expected")),
        }
    }

    /// Sends a call with retries (idempotent calls only) and at most one token refresh.
    async fn execute(&self, call: &Call) -> Result<Answer, SfError> {
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.token();
            let outcome = match self.send_once(call, &token).await {
                Ok(raw) => {
                    let checked = check(call, &raw);
                    self.account(call, &raw, checked.as_ref().err());
                    checked
                }
                Err(err) => Err(err),
            };
            let err = match outcome {
                Ok(answer) => return Ok(answer),
                Err(err) => error::redact(err, &token),
            };
            if err.is_retryable() && call.idempotent && attempt < self.retry.max_attempts {
                let factor = 1u32 << (attempt - 1).min(10);
                tokio::time::sleep(self.retry.first_backoff * factor).await;
                continue;
            }
            if err.is_expired_session() && !refreshed {
                refreshed = true;
                match self.tokens.refresh(&token).await {
                    // The source now hands out the new token: `self.token()` reads it.
                    Ok(Some(_)) => {
                        attempt = 0;
                        continue;
                    }
                    Ok(None) => return Err(err),
                    Err(refresh_error) => return Err(error::redact(refresh_error, &token)),
                }
            }
            return Err(err);
        }
    }

    async fn send_once(&self, call: &Call, token: &str) -> Result<Raw, SfError> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            SfError::InvalidInput {
                message: "the access token contains characters not allowed in HTTP headers".into(),
            }
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        let mut request = self.http.request(call.method.clone(), &call.url);
        match &call.payload {
            Payload::None => {
                headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
            }
            Payload::Json(body) => {
                headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                request = request.body(body.to_string());
            }
            Payload::Soap(body) => {
                headers.insert(
                    ACCEPT,
                    HeaderValue::from_static("text/xml, application/json"),
                );
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/xml; charset=UTF-8"),
                );
                headers.insert("SOAPAction", HeaderValue::from_static("\"\""));
                request = request.body(soap::with_session(token, body));
            }
        }
        for (name, value) in &call.headers {
            headers.insert(name.clone(), value.clone());
        }
        self.state().stats.http_requests += 1;
        let response = request
            .headers(headers)
            .send()
            .await
            .map_err(|e| transport(&call.what, &e))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let limit = header("sforce-limit-info");
        if let Some(usage) = limit.as_deref().and_then(parse_limit_info) {
            // Concurrent answers arrive in any order: keep the highest count seen, since the
            // day's usage only grows (a new maximum, e.g. a changed limit, replaces it).
            let mut state = self.state();
            let keep = state
                .usage
                .is_some_and(|old| old.max == usage.max && old.used > usage.used);
            if !keep {
                state.usage = Some(usage);
            }
        }
        let bytes = read_bounded(response, &call.what).await?;
        Ok(Raw {
            status,
            content_type,
            location,
            limit_header: limit.is_some(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// Applies the counting rule documented on [`Client`].
    fn account(&self, call: &Call, raw: &Raw, error: Option<&SfError>) {
        const REFUSED: [&str; 4] = [
            "INVALID_SESSION_ID",
            "REQUEST_LIMIT_EXCEEDED",
            "API_DISABLED_FOR_ORG",
            "API_CURRENTLY_DISABLED",
        ];
        if !call.billable || raw.status == 401 {
            return;
        }
        if error
            .and_then(SfError::code)
            .is_some_and(|c| REFUSED.contains(&c))
        {
            return;
        }
        let json_answer = raw.content_type.contains("json")
            && ((200..300).contains(&raw.status) || (400..500).contains(&raw.status));
        let soap_answer = call.kind() == Kind::Soap
            && (raw.status == 200 || matches!(error, Some(SfError::SoapFault { .. })));
        let processed = raw.limit_header || json_answer || soap_answer;
        if processed {
            self.state().stats.api_calls += 1;
        }
    }
}

/// Interprets an HTTP answer: the expected payload, or the error it stands for.
fn check(call: &Call, raw: &Raw) -> Result<Answer, SfError> {
    let ok = (200..300).contains(&raw.status);
    if (300..400).contains(&raw.status) {
        return Err(SfError::NotSalesforce {
            status: raw.status,
            content_type: raw.content_type.clone(),
            excerpt: match &raw.location {
                Some(to) => format!("redirected to {}", error::excerpt(to)),
                None => "a redirect".into(),
            },
        });
    }
    if call.kind() == Kind::Soap && raw.content_type.contains("xml") {
        if let Ok(root) = soap::parse(&raw.text) {
            if root.name == "Envelope" {
                if let Some(fault) = soap::fault(&root) {
                    return Err(fault);
                }
                if ok {
                    return Ok(Answer::Xml(root));
                }
            }
        } else if ok {
            return Err(decode(&call.what, "the SOAP answer is not well-formed XML"));
        }
    }
    if !ok {
        return Err(error::from_response(
            raw.status,
            &raw.content_type,
            &raw.text,
        ));
    }
    if call.kind() == Kind::Soap {
        return Err(error::not_salesforce(
            raw.status,
            &raw.content_type,
            &raw.text,
        ));
    }
    let text = raw.text.trim();
    if text.is_empty() {
        return Ok(Answer::Json(None));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok(Answer::Json(Some(value))),
        Err(_) if !raw.content_type.contains("json") => {
            Err(error::not_salesforce(raw.status, &raw.content_type, text))
        }
        Err(e) => Err(SfError::Decode {
            what: call.what.clone(),
            message: format!("malformed JSON: {e}"),
        }),
    }
}

/// Largest answer the client reads, in bytes. Salesforce pages queries at 2,000 records and a
/// describe of a large object is a few megabytes; anything past this is not an answer to use.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// The body of an answer, refused once it passes [`MAX_ANSWER_BYTES`] (before reading all of it).
pub(crate) async fn read_bounded(
    mut response: reqwest::Response,
    what: &str,
) -> Result<Vec<u8>, SfError> {
    let too_large = || {
        decode(
            what,
            &format!(
                "the answer is larger than {} MiB",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ),
        )
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(what, &e))? {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn decode(what: &str, message: &str) -> SfError {
    SfError::Decode {
        what: what.to_string(),
        message: message.to_string(),
    }
}

fn transport(what: &str, e: &reqwest::Error) -> SfError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    SfError::Transport {
        message: format!("{what}: {kind}: {}", error_chain(e)),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn next_url(body: &Value) -> Option<&str> {
    if body.get("done").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    body.get("nextRecordsUrl").and_then(Value::as_str)
}

/// The records of one query page and the path of the next page.
fn query_page(body: &Value, what: &str) -> Result<(Vec<Record>, Option<String>), SfError> {
    let rows = body
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| decode(what, "no records array in the query answer"))?;
    let records = rows
        .iter()
        .map(|row| {
            row.as_object()
                .cloned()
                .ok_or_else(|| decode(what, "a query record is not an object"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let next = match next_url(body) {
        Some(url) if url.starts_with("/services/data/") => Some(url.to_string()),
        Some(_) => return Err(decode(what, "nextRecordsUrl is not a /services/data/ path")),
        None => None,
    };
    Ok((records, next))
}

/// `api-usage=USED/MAX` (possibly among other comma-separated entries).
fn parse_limit_info(header: &str) -> Option<ApiUsage> {
    let entry = header
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("api-usage="))?;
    let (used, max) = entry.split_once('/')?;
    Some(ApiUsage {
        used: used.trim().parse().ok()?,
        max: max.trim().parse().ok()?,
    })
}

fn version_number(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Who a `User` record (`Id`, `Username`, `Name`, `Email`) is: the username falls back to the
/// name, the Id to `known_id`.
fn identity_of_user(org_id: &str, user: &Record, known_id: &str) -> Identity {
    let text = |key: &str| {
        user.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let name = text("Name");
    let username = match text("Username") {
        u if u.is_empty() => name.clone(),
        u => u,
    };
    let user_id = match text("Id") {
        id if id.is_empty() => known_id.to_string(),
        id => id,
    };
    Identity {
        user_id,
        organization_id: org_id.to_string(),
        username,
        name,
        email: text("Email"),
    }
}

/// The org and user ids of an identity URL `https://host/id/{org}/{user}`.
pub fn ids_of_identity_url(url: &str) -> Option<(String, String)> {
    let path = url.split_once("/id/")?.1;
    let mut parts = path.trim_end_matches('/').split('/');
    let (Some(org), Some(user), None) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let id = |s: &str| {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())).then(|| s.to_string())
    };
    Some((id(org)?, id(user)?))
}

/// The highest served version between [`MIN_API_VERSION`] and [`MAX_API_VERSION`]; none is
/// [`SfError::NoUsableVersion`], naming what the org serves and what the app uses.
fn pick_version(versions: Option<&Value>) -> Result<String, SfError> {
    let list = versions
        .and_then(Value::as_array)
        .ok_or_else(|| decode("API versions", "the version list is not an array"))?;
    let max = version_number(MAX_API_VERSION);
    let min = version_number(MIN_API_VERSION);
    let served: Vec<((u32, u32), &str)> = list
        .iter()
        .filter_map(|v| v.get("version").and_then(Value::as_str))
        .filter_map(|v| version_number(v).map(|n| (n, v)))
        .collect();
    if let Some((_, v)) = served
        .iter()
        .filter(|(n, _)| Some(*n) <= max && Some(*n) >= min)
        .max_by_key(|(n, _)| *n)
    {
        return Ok(v.to_string());
    }
    let lowest = served.iter().min_by_key(|(n, _)| *n).map(|(_, v)| *v);
    let highest = served.iter().max_by_key(|(n, _)| *n).map(|(_, v)| *v);
    Err(SfError::NoUsableVersion {
        served: match (lowest, highest) {
            (Some(low), Some(high)) if low == high => low.to_string(),
            (Some(low), Some(high)) => format!("{low} to {high}"),
            _ => "none".to_string(),
        },
        wanted: format!("{MIN_API_VERSION} to {MAX_API_VERSION}"),
    })
}

/// Checks an instance URL typed or pasted by the user; returns it as `scheme://host[:port]`.
fn validate_instance_url(input: &str) -> Result<String, SfError> {
    const EXAMPLE: &str = "https://yourdomain.my.salesforce.com";
    let invalid = |message: String| SfError::InvalidInput { message };
    let trimmed = input.trim();
    let shown: String = trimmed.chars().take(120).collect();
    if trimmed.is_empty() {
        return Err(invalid(format!(
            "Enter the org's instance URL, for example {EXAMPLE}."
        )));
    }
    let url = url::Url::parse(trimmed).map_err(|_| {
        invalid(format!(
            "'{shown}' is not a URL. Enter the org's instance URL, for example {EXAMPLE}."
        ))
    })?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let local = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(invalid(format!(
                "'{shown}' uses http; Salesforce needs https, for example {EXAMPLE}."
            )))
        }
        other => {
            return Err(invalid(format!(
                "'{shown}' is a {other}: address; enter the org's https instance URL, for \
                 example {EXAMPLE}."
            )))
        }
    }
    if host.is_empty() {
        return Err(invalid(format!(
            "'{shown}' has no host name; enter for example {EXAMPLE}."
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "The instance URL must not contain a user name or password.".into(),
        ));
    }
    if let Some(domain) = host.strip_suffix(".lightning.force.com") {
        return Err(invalid(format!(
            "'{shown}' is a Lightning page address, not the API instance URL. Use \
             https://{domain}.my.salesforce.com instead."
        )));
    }
    if !(url.path().is_empty() || url.path() == "/")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(invalid(format!(
            "'{shown}' contains a page path; enter only the address up to the host name, for \
             example {}.",
            url.origin().ascii_serialization()
        )));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_info() {
        assert_eq!(
            parse_limit_info("api-usage=18/15000"),
            Some(ApiUsage {
                used: 18,
                max: 15000
            })
        );
        assert_eq!(
            parse_limit_info("per-app-api-usage=1/2(appName=x), api-usage=3/4"),
            Some(ApiUsage { used: 3, max: 4 })
        );
        assert_eq!(parse_limit_info("garbage"), None);
    }

    #[test]
    fn versions() {
        let list = json!([{"version": "9.0"}, {"version": "66.0"}, {"version": "67.0"}, {"version": "65.0"}]);
        assert_eq!(pick_version(Some(&list)).ok().as_deref(), Some("66.0"));
        // Below the app's lowest version: none usable, both ranges named.
        let old = json!([{"version": "20.0"}, {"version": "40.0"}]);
        assert_eq!(
            pick_version(Some(&old)),
            Err(SfError::NoUsableVersion {
                served: "20.0 to 40.0".into(),
                wanted: format!("{MIN_API_VERSION} to {MAX_API_VERSION}"),
            })
        );
        let none = json!([{"version": "67.0"}]);
        assert!(matches!(
            pick_version(Some(&none)),
            Err(SfError::NoUsableVersion { served, .. }) if served == "67.0"
        ));
    }

    #[test]
    fn instance_urls() {
        assert_eq!(
            validate_instance_url(" https://acme.my.salesforce.com/ ").ok(),
            Some("https://acme.my.salesforce.com".to_string())
        );
        assert!(validate_instance_url("http://127.0.0.1:4000").is_ok());
        for bad in [
            "",
            "ftp://x",
            "acme.my.salesforce.com",
            "http://acme.my.salesforce.com",
            "https://acme.my.salesforce.com/lightning/setup",
            "https://acme.lightning.force.com",
            "https://acme.my.salesforce.com/?x=1",
        ] {
            assert!(
                matches!(
                    validate_instance_url(bad),
                    Err(SfError::InvalidInput { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn sub_request_query_is_encoded() {
        let q = SubRequest::query("q", "SELECT Id FROM Case WHERE Subject = 'a&b'");
        assert_eq!(
            q.url,
            "query/?q=SELECT+Id+FROM+Case+WHERE+Subject+%3D+%27a%26b%27"
        );
    }

    #[test]
    fn static_token_debug_is_redacted() {
        let token = StaticToken::new("00D!secret");
        assert!(!format!("{token:?}").contains("secret"));
    }
}
