//! OAuth 2.0 against Salesforce's login service: the web-server flow with PKCE (authorize URL,
//! code exchange), refresh, revoke. Part of the client module: the only code that speaks HTTP
//! to Salesforce.
//!
//! The protocol is the `oauth2` crate's (PKCE S256, `state`, the code exchange and refresh,
//! Salesforce's extra token fields `instance_url`, `id`, `issued_at`, `signature`; revoke is a
//! plain POST, see [`OAuthClient::revoke`]); it sends
//! through this module's own reqwest client, which keeps the raw answer so that an error
//! becomes an [`SfError`] with Salesforce's HTTP status and `error` code (the `oauth2` crate
//! keeps neither the status nor a non-standard code).

use super::SfError;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The fields Salesforce adds to a token answer.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SalesforceTokenFields {
    pub instance_url: String,
    /// The identity URL, `https://login.salesforce.com/id/<org id>/<user id>`.
    pub id: String,
    #[serde(default)]
    pub issued_at: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
}

impl oauth2::ExtraTokenFields for SalesforceTokenFields {}

type SalesforceTokenAnswer = StandardTokenResponse<SalesforceTokenFields, BasicTokenType>;

/// The `oauth2` client for one login host: authorize and token endpoints set.
type OAuth2Client = oauth2::Client<
    BasicErrorResponse,
    SalesforceTokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A public client (PKCE, no secret) of one login host.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    oauth: OAuth2Client,
    login_url: String,
    client_id: String,
    redirect_uri: String,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("login_url", &self.login_url)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// What the token endpoint answers. Tokens are redacted from `Debug`.
#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    pub instance_url: String,
    /// The identity URL, `https://login.salesforce.com/id/<org id>/<user id>`.
    pub id: String,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub issued_at: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("instance_url", &self.instance_url)
            .field("id", &self.id)
            .field("scope", &self.scope)
            .finish()
    }
}

impl TokenResponse {
    /// Organization and user Ids from the identity URL.
    pub fn org_and_user(&self) -> Option<(String, String)> {
        super::ids_of_identity_url(&self.id)
    }

    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    fn from_answer(answer: &SalesforceTokenAnswer) -> TokenResponse {
        let extra = answer.extra_fields();
        TokenResponse {
            access_token: answer.access_token().secret().clone(),
            refresh_token: answer.refresh_token().map(|t| t.secret().clone()),
            instance_url: extra.instance_url.clone(),
            id: extra.id.clone(),
            scope: answer.scopes().map(|scopes| {
                scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            issued_at: extra.issued_at.clone(),
        }
    }
}

/// PKCE verifier and its S256 challenge, and the `state` that ties the redirect to this login.
pub struct PkceLogin {
    pub verifier: String,
    pub challenge: String,
    pub state: String,
}

impl fmt::Debug for PkceLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceLogin([redacted])")
    }
}

/// The S256 code challenge of a verifier: base64url(SHA-256(verifier)), no padding.
pub fn pkce_challenge(verifier: &str) -> String {
    PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_string()))
        .as_str()
        .to_string()
}

impl PkceLogin {
    pub fn new() -> PkceLogin {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        PkceLogin {
            challenge: challenge.as_str().to_string(),
            verifier: verifier.secret().clone(),
            state: CsrfToken::new_random().secret().clone(),
        }
    }
}

impl Default for PkceLogin {
    fn default() -> Self {
        PkceLogin::new()
    }
}

/// A failure of the HTTP exchange itself (no answer at all).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unreachable(String);

/// What went wrong with a token request: the transport's own words when the org could not be
/// reached (the `oauth2` crate shows those only as "Request failed").
fn cause<T: oauth2::ErrorResponse + 'static>(
    e: &oauth2::RequestTokenError<Unreachable, T>,
) -> String {
    match e {
        oauth2::RequestTokenError::Request(unreachable) => unreachable.0.clone(),
        other => other.to_string(),
    }
}

/// The raw answer of the last request, for errors the `oauth2` crate flattens.
#[derive(Default)]
struct Raw {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl OAuthClient {
    pub fn new(
        login_url: &str,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<OAuthClient, SfError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SfError::Transport {
                message: e.to_string(),
            })?;
        let login_url = login_url.trim_end_matches('/').to_string();
        let bad = |what: &str, e: String| SfError::InvalidInput {
            message: format!("The {what} is not a valid URL: {e}"),
        };
        let oauth = oauth2::Client::new(ClientId::new(client_id.to_string()))
            .set_auth_uri(
                AuthUrl::new(format!("{login_url}/services/oauth2/authorize"))
                    .map_err(|e| bad("login address", e.to_string()))?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{login_url}/services/oauth2/token"))
                    .map_err(|e| bad("login address", e.to_string()))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect_uri.to_string())
                    .map_err(|e| bad("callback URL", e.to_string()))?,
            );
        Ok(OAuthClient {
            http,
            oauth,
            login_url,
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The URL the browser opens: the login page, then the consent page, then the redirect.
    pub fn authorize_url(&self, pkce: &PkceLogin, scopes: &[&str]) -> String {
        let state = pkce.state.clone();
        let (url, _) = self
            .oauth
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(scopes.iter().map(|s| Scope::new(s.to_string())))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(
                &PkceCodeVerifier::new(pkce.verifier.clone()),
            ))
            .add_extra_param("prompt", "login consent")
            .url();
        url.to_string()
    }

    /// Whether Salesforce refuses the login before anyone logs in: it answers the authorize
    /// URL of an app it does not know (or not installed here, or with another callback) with a
    /// `400` page naming the OAuth `error` code (`error=invalid_client_id`,
    /// `error=OAUTH_EC_APP_NOT_FOUND`, `error=redirect_uri_mismatch`) and never redirects, so a
    /// browser would wait in vain. `Some((error, description))` for such a page; `None` when
    /// the login page shows, or when this cannot be known (no answer, no code on the page).
    pub async fn authorize_refusal(&self, authorize_url: &str) -> Option<(String, String)> {
        let response = self.http.get(authorize_url).send().await.ok()?;
        if response.status().as_u16() != 400 {
            return None;
        }
        let bytes = super::read_bounded(response, "authorize").await.ok()?;
        let page = String::from_utf8_lossy(&bytes);
        let code = |key: &str| {
            page.split(key).nth(1).map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
        };
        let error = code("error=").filter(|c| !c.is_empty())?;
        let description = page
            .split("error_description=")
            .nth(1)
            .map(|rest| super::error::excerpt(rest.split(['<', '&']).next().unwrap_or_default()))
            .unwrap_or_default();
        Some((error, description))
    }

    /// An HTTP client for the `oauth2` crate that sends through reqwest and keeps the raw
    /// answer (bounded like every answer) in `raw`.
    fn sender(
        &self,
        raw: Arc<Mutex<Option<Raw>>>,
        what: &'static str,
    ) -> impl Fn(
        oauth2::HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, Unreachable>> + Send>,
    > {
        let http = self.http.clone();
        move |request: oauth2::HttpRequest| {
            let http = http.clone();
            let raw = raw.clone();
            Box::pin(async move {
                let (parts, body) = request.into_parts();
                let mut builder = http.request(parts.method, parts.uri.to_string());
                for (name, value) in &parts.headers {
                    builder = builder.header(name, value);
                }
                let response = builder
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| Unreachable(format!("{what}: {e}")))?;
                let status = response.status();
                let content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let bytes = super::read_bounded(response, what)
                    .await
                    .map_err(|e| Unreachable(e.to_string()))?;
                let mut answer = oauth2::http::Response::builder().status(status.as_u16());
                if !content_type.is_empty() {
                    answer = answer.header(oauth2::http::header::CONTENT_TYPE, &content_type);
                }
                let answer = answer
                    .body(bytes.to_vec())
                    .map_err(|e| Unreachable(e.to_string()))?;
                *raw.lock().unwrap_or_else(|p| p.into_inner()) = Some(Raw {
                    status: status.as_u16(),
                    content_type,
                    body: bytes.to_vec(),
                });
                Ok(answer)
            })
        }
    }

    /// The error of a failed request, from the raw answer when there was one (so Salesforce's
    /// status and `error` code are kept), else the transport failure.
    fn failure(raw: &Arc<Mutex<Option<Raw>>>, what: &str, fallback: String) -> SfError {
        match raw.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(raw) if (200..300).contains(&raw.status) => SfError::Decode {
                what: what.to_string(),
                message: fallback,
            },
            Some(raw) => {
                let text = String::from_utf8_lossy(&raw.body);
                super::error::from_response(raw.status, &raw.content_type, &text)
            }
            None => SfError::Transport { message: fallback },
        }
    }

    /// Exchanges the code from the redirect for tokens (with the PKCE verifier, no secret).
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce: &PkceLogin,
    ) -> Result<TokenResponse, SfError> {
        let raw = Arc::new(Mutex::new(None));
        let sender = self.sender(raw.clone(), "code exchange");
        self.oauth
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce.verifier.clone()))
            .request_async(&sender)
            .await
            .map(|answer| TokenResponse::from_answer(&answer))
            .map_err(|e| Self::failure(&raw, "code exchange", cause(&e)))
    }

    /// A new access token (and, with rotation, a new refresh token).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, SfError> {
        let raw = Arc::new(Mutex::new(None));
        let sender = self.sender(raw.clone(), "token refresh");
        let token = RefreshToken::new(refresh_token.to_string());
        self.oauth
            .exchange_refresh_token(&token)
            .request_async(&sender)
            .await
            .map(|answer| TokenResponse::from_answer(&answer))
            .map_err(|e| Self::failure(&raw, "token refresh", cause(&e)))
    }

    /// Revokes a token at Salesforce (a refresh token also ends the access tokens issued from it).
    ///
    /// A plain form POST of `token` to `/services/oauth2/revoke`, not the `oauth2` crate's
    /// `revoke_token`: that refuses any revocation URL that is not HTTPS (RFC 7009 section 2),
    /// and the client serves `http://127.0.0.1` instances too (a local org double, the demo org).
    pub async fn revoke(&self, token: &str) -> Result<(), SfError> {
        let response = self
            .http
            .post(format!("{}/services/oauth2/revoke", self.login_url))
            .form(&[("token", token)])
            .send()
            .await
            .map_err(|e| SfError::Transport {
                message: format!("revoke: {e}"),
            })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text = super::read_bounded(response, "revoke")
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        match super::error::from_response(status, "application/json", &text) {
            SfError::NotSalesforce { excerpt, .. } => Err(SfError::OAuth {
                status,
                error: "revoke_failed".into(),
                description: excerpt,
            }),
            other => Err(other),
        }
    }
}

/// Plain explanation and fix for an OAuth error code Salesforce returns (on the redirect or
/// from the token endpoint).
pub fn explain_oauth_error(error: &str, description: &str) -> String {
    let text = match error {
        "access_denied" => "You (or the user who logged in) chose Deny on the Allow Access page. Log in again and choose Allow.",
        "OAUTH_APPROVAL_ERROR_GENERIC" => "Salesforce blocked the app for this user. Since September 2025 uninstalled connected apps need the \"Approve Uninstalled Connected Apps\" permission: an admin installs the app (Setup > Connected Apps OAuth Usage > Install) and sets its permitted users.",
        "OAUTH_APP_BLOCKED" => "An admin blocked this app in the org (API Access Control or a blocked connected app). Ask the admin to allow it in Setup > Connected Apps OAuth Usage.",
        "OAUTH_APP_ACCESS_DENIED" | "invalid_app_access" => "Only admin-approved users may use this app, and this user is not one of them. In Setup > App Manager > the app > Manage, add the user's profile or permission set.",
        "OAUTH_EC_APP_NOT_FOUND" => "The External Client App is not installed in this org. Install it (or create a local one), then log in again.",
        "invalid_client_id" => "This org does not know the app's consumer key: the app is not installed here, or the key is wrong, or the app is new (a new External Client App can take up to 10 minutes to become usable). Check the consumer key, or install the app.",
        "invalid_client" => "The app requires its client secret (\"Require secret for Web Server Flow\" or \"Require secret for Refresh Token Flow\" is on), which a desktop app does not keep. Log in again, or turn those settings off in the app's OAuth Settings.",
        "redirect_uri_mismatch" => "The app's callback URL does not match this assistant's. In the app's OAuth settings, set the callback URL exactly to the one shown here.",
        "invalid_grant" => "Salesforce refused the login or the saved session (the code expired or was already used, the refresh token expired or was revoked, or the user cannot log in). Start the login again.",
        "invalid_scope" => "The app does not allow a scope the assistant asks for. Add the api and refresh_token scopes to the app's Selected OAuth Scopes.",
        "unsupported_response_type" | "invalid_request" => "Salesforce refused the login request as malformed (often: the app requires PKCE or a secret). Check that the app has PKCE on and \"Require Secret for Web Server Flow\" off.",
        "inactive_user" | "inactive_org" => "The user or the org is inactive.",
        _ => "Salesforce's login service refused the login.",
    };
    if description.is_empty() {
        text.to_string()
    } else {
        format!("{text} (Salesforce said: {description})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_follows_rfc_7636() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let login = PkceLogin::new();
        assert_eq!(login.verifier.len(), 43);
        assert_ne!(PkceLogin::new().state, login.state);
        assert!(!format!("{login:?}").contains(&login.verifier));
    }

    #[test]
    fn authorize_url_carries_pkce_and_state() {
        let client = OAuthClient::new(
            "https://login.salesforce.com/",
            "KEY",
            "http://localhost:1717/OauthRedirect",
        )
        .unwrap();
        let login = PkceLogin::new();
        let url = client.authorize_url(&login, &["api", "refresh_token"]);
        assert!(url.starts_with("https://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id=KEY"));
        assert!(url.contains(&format!("code_challenge={}", login.challenge)));
        assert!(url.contains("code_challenge_method=S256"));
        assert!(url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A1717%2FOauthRedirect"));
        assert!(url.contains("scope=api+refresh_token"));
        assert!(!url.contains(&login.verifier));
    }

    #[test]
    fn every_known_error_has_its_own_explanation() {
        let generic = explain_oauth_error("something_else", "");
        for code in [
            "access_denied",
            "OAUTH_APPROVAL_ERROR_GENERIC",
            "OAUTH_APP_BLOCKED",
            "OAUTH_EC_APP_NOT_FOUND",
            "invalid_client_id",
            "redirect_uri_mismatch",
            "invalid_grant",
            "OAUTH_APP_ACCESS_DENIED",
            "invalid_scope",
        ] {
            assert_ne!(explain_oauth_error(code, ""), generic, "{code}");
        }
        assert!(
            explain_oauth_error("invalid_grant", "expired authorization code")
                .contains("expired authorization code")
        );
    }

    #[test]
    fn an_unreachable_org_is_named_with_the_transport_error() {
        // Nothing listens on port 9 here: the refresh never gets an answer.
        let client = OAuthClient::new(
            "http://127.0.0.1:9",
            "KEY",
            "http://localhost:17717/OauthRedirect",
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let error = runtime.block_on(client.refresh("r3fresh")).unwrap_err();
        let SfError::Transport { message } = &error else {
            panic!("{error:?}");
        };
        // The crate alone says only "Request failed"; the cause and the step are kept.
        assert!(message.starts_with("token refresh:"), "{message}");
        assert!(!message.contains("r3fresh"), "{message}");
    }
}
