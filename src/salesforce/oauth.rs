//! OAuth 2.0 against Salesforce's login service: the web-server flow with PKCE (authorize URL,
//! code exchange), refresh, revoke. Part of the client module: the only code that speaks HTTP
//! to Salesforce.

use super::SfError;
use base64::Engine;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;

/// A public client (PKCE, no secret) of one login host.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
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
        let mut parts = self.id.trim_end_matches('/').rsplit('/');
        let user = parts.next()?.to_string();
        let org = parts.next()?.to_string();
        Some((org, user))
    }

    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect()
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

fn random_url_safe(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// The S256 code challenge of a verifier: base64url(SHA-256(verifier)), no padding.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl PkceLogin {
    pub fn new() -> PkceLogin {
        let verifier = random_url_safe(32);
        PkceLogin {
            challenge: pkce_challenge(&verifier),
            verifier,
            state: random_url_safe(16),
        }
    }
}

impl Default for PkceLogin {
    fn default() -> Self {
        PkceLogin::new()
    }
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
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
        Ok(OAuthClient {
            http,
            login_url: login_url.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The URL the browser opens: the login page, then the consent page, then the redirect.
    pub fn authorize_url(&self, pkce: &PkceLogin, scopes: &[&str]) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("state", &pkce.state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("scope", &scopes.join(" "))
            .append_pair("prompt", "login consent")
            .finish();
        format!("{}/services/oauth2/authorize?{query}", self.login_url)
    }

    async fn token_request(
        &self,
        form: &[(&str, &str)],
        what: &str,
    ) -> Result<TokenResponse, SfError> {
        let response = self
            .http
            .post(format!("{}/services/oauth2/token", self.login_url))
            .form(form)
            .send()
            .await
            .map_err(|e| SfError::Transport {
                message: format!("{what}: {e}"),
            })?;
        let status = response.status().as_u16();
        let text =
            String::from_utf8_lossy(&super::read_bounded(response, what).await?).into_owned();
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|e| SfError::Decode {
                what: what.to_string(),
                message: e.to_string(),
            });
        }
        match serde_json::from_str::<OAuthErrorBody>(&text) {
            Ok(body) => Err(SfError::OAuth {
                status,
                error: body.error,
                description: body.error_description,
            }),
            Err(_) => Err(SfError::NotSalesforce {
                status,
                content_type: String::new(),
                excerpt: text.chars().take(200).collect(),
            }),
        }
    }

    /// Exchanges the code from the redirect for tokens (with the PKCE verifier, no secret).
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce: &PkceLogin,
    ) -> Result<TokenResponse, SfError> {
        self.token_request(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", &self.client_id),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", &pkce.verifier),
            ],
            "code exchange",
        )
        .await
    }

    /// A new access token (and, with rotation, a new refresh token).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, SfError> {
        self.token_request(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", &self.client_id),
            ],
            "token refresh",
        )
        .await
    }

    /// Revokes a token at Salesforce (a refresh token also ends the access tokens issued from it).
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
        match serde_json::from_str::<OAuthErrorBody>(&text) {
            Ok(body) => Err(SfError::OAuth {
                status,
                error: body.error,
                description: body.error_description,
            }),
            Err(_) => Err(SfError::OAuth {
                status,
                error: "revoke_failed".into(),
                description: text.chars().take(200).collect(),
            }),
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
}
