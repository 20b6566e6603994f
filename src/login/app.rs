//! Which OAuth app the assistant's own browser login goes through.
//!
//! No real org knows an app it did not create or install, so the assistant ships no client id of
//! its own: a publisher who registers and packages an External Client App sets its consumer key
//! and callback URL at build time (`WRITEBACK_SETUP_CLIENT_ID`, `WRITEBACK_SETUP_CALLBACK_URL`) or
//! in `app.toml` in the config folder; an admin brings their own External Client App (the guide
//! below) and pastes its consumer key, remembered per org in `client-ids.json` (a consumer key is
//! not a secret). With none of these, the Connect page leads with the Salesforce CLI's login.

use super::store::config_dir;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The app's own loopback port. Not 1717: that is the Salesforce CLI's (`sf org login web`
/// listens there), and both may run at once.
pub const DEFAULT_CALLBACK_PORT: u16 = 17717;
/// The default callback URL of the assistant's own login.
pub const DEFAULT_CALLBACK_URL: &str = "http://localhost:17717/OauthRedirect";
/// Build-time settings of a distribution's own app.
pub const CLIENT_ID_ENV: &str = "WRITEBACK_SETUP_CLIENT_ID";
pub const CALLBACK_URL_ENV: &str = "WRITEBACK_SETUP_CALLBACK_URL";
/// The settings file, in the config folder: `[app] client_id = "...", callback_url = "..."`.
pub const APP_FILE: &str = "app.toml";
/// A new External Client App can take this long before Salesforce accepts its consumer key.
pub const NEW_APP_DELAY: &str = "up to 10 minutes";

/// An OAuth app to log in through: its consumer key and callback URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnApp {
    pub client_id: String,
    pub callback_url: String,
    /// Where it was set, in words ("set at build time", "from app.toml").
    #[serde(skip)]
    pub source: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AppError {
    #[error("'{0}' is not a consumer key: paste the app's Consumer Key (letters, digits, '.' and '_', no spaces), from Setup > External Client App Manager > the app > Settings > OAuth Settings > Consumer Key and Secret.")]
    BadClientId(String),
    /// Never shown back: it is the app's secret.
    #[error("That looks like the Consumer Secret (only hex digits), not the Consumer Key: paste the Consumer Key, the long value above the secret in Setup > External Client App Manager > the app > Settings > OAuth Settings > Consumer Key and Secret.")]
    SecretNotKey,
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

/// Checks a pasted consumer key (Salesforce's are about 85 characters of letters, digits, '.'
/// and '_'); returns it trimmed.
pub fn validate_client_id(text: &str) -> Result<String, AppError> {
    let trimmed = text.trim();
    // The Consumer Secret sits beside the key in Setup; it is hex or digits only, a key never
    // is. A secret is refused here, so it is never remembered or sent in a login address.
    if trimmed.len() >= 8 && trimmed.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::SecretNotKey);
    }
    let ok = (8..=256).contains(&trimmed.len())
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(trimmed.to_string())
    } else {
        let shown: String = trimmed.chars().take(40).collect();
        Err(AppError::BadClientId(crate::echo::scrub_tokens(&shown)))
    }
}

#[derive(Deserialize)]
struct AppFile {
    app: OwnAppEntry,
}

#[derive(Deserialize)]
struct OwnAppEntry {
    client_id: String,
    #[serde(default)]
    callback_url: Option<String>,
}

/// The distribution's own app: from build time, else from `app.toml` in `dir` (the config
/// folder), else none.
pub fn distribution_app_in(dir: Option<&Path>) -> Result<Option<OwnApp>, AppError> {
    if let Some(id) = option_env!("WRITEBACK_SETUP_CLIENT_ID").filter(|s| !s.trim().is_empty()) {
        return Ok(Some(OwnApp {
            client_id: validate_client_id(id)?,
            callback_url: option_env!("WRITEBACK_SETUP_CALLBACK_URL")
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(DEFAULT_CALLBACK_URL)
                .to_string(),
            source: "set at build time".into(),
        }));
    }
    let Some(path) = dir.map(|d| d.join(APP_FILE)) else {
        return Ok(None);
    };
    let text = match crate::files::read_text_limited(&path, 64 * 1024) {
        Ok(text) => text,
        Err(_) if !path.exists() => return Ok(None),
        Err(e) => {
            return Err(AppError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        }
    };
    let file: AppFile = toml::from_str(&text).map_err(|e| AppError::File {
        path: path.display().to_string(),
        message: e.message().to_string(),
    })?;
    Ok(Some(OwnApp {
        client_id: validate_client_id(&file.app.client_id)?,
        callback_url: file
            .app
            .callback_url
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_CALLBACK_URL.to_string()),
        source: format!("from {}", path.display()),
    }))
}

/// The distribution's own app in the default config folder (see [`distribution_app_in`]).
pub fn distribution_app() -> Result<Option<OwnApp>, AppError> {
    distribution_app_in(config_dir().as_deref())
}

/// Consumer keys an admin pasted, per org (login host): `client-ids.json` in the config folder.
#[derive(Clone, Debug)]
pub struct ClientIdBook {
    path: PathBuf,
}

impl ClientIdBook {
    pub fn open_default() -> Option<ClientIdBook> {
        config_dir().map(|dir| ClientIdBook::at(&dir))
    }

    pub fn at(dir: &Path) -> ClientIdBook {
        ClientIdBook {
            path: dir.join("client-ids.json"),
        }
    }

    fn read(&self) -> BTreeMap<String, String> {
        crate::files::read_text_limited(&self.path, 1024 * 1024)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Every remembered key, by login host.
    pub fn all(&self) -> BTreeMap<String, String> {
        self.read()
    }

    /// The key remembered for this login host, if any.
    pub fn get(&self, login_url: &str) -> Option<String> {
        self.read().get(&key_of(login_url)).cloned()
    }

    /// Remembers (or, with an empty key, forgets) the consumer key for a login host.
    pub fn set(&self, login_url: &str, client_id: &str) -> Result<(), AppError> {
        let mut all = self.read();
        if client_id.trim().is_empty() {
            all.remove(&key_of(login_url));
        } else {
            all.insert(key_of(login_url), validate_client_id(client_id)?);
        }
        let text = serde_json::to_string_pretty(&all).unwrap_or_default();
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        crate::files::write_file(&self.path, text.as_bytes()).map_err(|e| AppError::File {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// The key a login host is remembered under.
pub fn key_of(login_url: &str) -> String {
    login_url.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// One setting of the External Client App guide, with the exact value to enter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuideSetting {
    /// Where in Setup, in Setup's words.
    pub setting: &'static str,
    pub value: String,
    /// Whether the value is worth a Copy button (text to paste, not a checkbox).
    pub copy: bool,
}

/// The exact Setup path to create the app.
pub const SETUP_PATH: &str =
    "Setup > Apps > External Client Apps > External Client App Manager > New External Client App";

/// Every setting of the admin's own External Client App, in the order Setup shows them.
pub fn guide_settings(callback_url: &str) -> Vec<GuideSetting> {
    let s = |setting, value: &str, copy| GuideSetting {
        setting,
        value: value.to_string(),
        copy,
    };
    vec![
        s("External Client App Name", "Write-back Setup Assistant", true),
        s("Distribution State", "Local", false),
        s("API Name", "Writeback_Setup_Assistant", true),
        s("Enable OAuth", "on", false),
        s("Callback URL", callback_url, true),
        s(
            "Selected OAuth Scopes",
            "Manage user data via APIs (api); Perform requests at any time (refresh_token, offline_access)",
            false,
        ),
        s("Require Proof Key for Code Exchange (PKCE) extension for Supported Authorization Flows", "on", false),
        s("Require secret for Web Server Flow", "off", false),
        s("Require secret for Refresh Token Flow", "off", false),
        s(
            "Refresh Token Policy (Policies tab)",
            "Refresh token is valid until revoked",
            false,
        ),
        s(
            "Permitted Users (Policies tab)",
            "All users can self-authorize",
            false,
        ),
    ]
}

/// The same app as Salesforce DX source, to deploy with `sf project deploy start`: one
/// `ExternalClientApplication` (`.eca`), its `ExtlClntAppOauthSettings` (`.ecaOauth`), its
/// `ExtlClntAppGlobalOauthSettings` (`.ecaGlblOauth`, callback URL, PKCE and secret settings),
/// and the admin's `ExtlClntAppOauthConfigurablePolicies` (`.ecaOauthPlcy`, refresh token and
/// permitted users). Metadata API Developer Guide, "ExternalClientApplication" and the
/// `ExtlClntApp*` types (API 59.0 and later); see docs/salesforce-fidelity.md. Paths are relative
/// to the DX project folder.
pub fn dx_source(callback_url: &str, contact_email: &str) -> Vec<(String, String)> {
    const NAME: &str = "Writeback_Setup_Assistant";
    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    const NS: &str = "xmlns=\"http://soap.sforce.com/2006/04/metadata\"";
    let root = "force-app/main/default";
    let escape = crate::xml::escape;
    vec![
        (
            "sfdx-project.json".into(),
            "{\n  \"packageDirectories\": [{ \"path\": \"force-app\", \"default\": true }],\n  \"sourceApiVersion\": \"66.0\"\n}\n".into(),
        ),
        (
            format!("{root}/externalClientApps/{NAME}.eca-meta.xml"),
            format!(
                "{HEAD}<ExternalClientApplication {NS}>\n    <contactEmail>{}</contactEmail>\n    <description>Logs the Write-back Setup Assistant in to check this org.</description>\n    <distributionState>Local</distributionState>\n    <isProtected>false</isProtected>\n    <label>Write-back Setup Assistant</label>\n</ExternalClientApplication>\n",
                escape(contact_email)
            ),
        ),
        (
            format!("{root}/extlClntAppOauthSettings/{NAME}_oauth.ecaOauth-meta.xml"),
            format!(
                "{HEAD}<ExtlClntAppOauthSettings {NS}>\n    <commaSeparatedOauthScopes>Api,RefreshToken</commaSeparatedOauthScopes>\n    <externalClientApplication>{NAME}</externalClientApplication>\n    <label>{NAME}_oauth</label>\n</ExtlClntAppOauthSettings>\n"
            ),
        ),
        (
            format!("{root}/extlClntAppGlobalOauthSets/{NAME}_glbloauth.ecaGlblOauth-meta.xml"),
            format!(
                "{HEAD}<ExtlClntAppGlobalOauthSettings {NS}>\n    <callbackUrl>{}</callbackUrl>\n    <externalClientApplication>{NAME}</externalClientApplication>\n    <isConsumerSecretOptional>true</isConsumerSecretOptional>\n    <isIntrospectAllTokens>false</isIntrospectAllTokens>\n    <isPkceRequired>true</isPkceRequired>\n    <isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>\n    <label>{NAME}_glbloauth</label>\n</ExtlClntAppGlobalOauthSettings>\n",
                escape(callback_url)
            ),
        ),
        (
            format!("{root}/extlClntAppOauthPolicies/{NAME}_oauthPlcy.ecaOauthPlcy-meta.xml"),
            format!(
                "{HEAD}<ExtlClntAppOauthConfigurablePolicies {NS}>\n    <externalClientApplication>{NAME}</externalClientApplication>\n    <ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>\n    <label>{NAME}_oauthPlcy</label>\n    <permittedUsersPolicyType>AllSelfAuthorized</permittedUsersPolicyType>\n    <refreshTokenPolicyType>Infinite</refreshTokenPolicyType>\n</ExtlClntAppOauthConfigurablePolicies>\n"
            ),
        ),
    ]
}

/// The command that deploys [`dx_source`] (run in the folder it was written to).
pub const DEPLOY_COMMAND: &str =
    "sf project deploy start --source-dir force-app --target-org YOUR_ORG_ALIAS";

/// What an OAuth `error` code says about a half-configured app, or `None` when it is not about
/// the app. Decided on the code alone (Salesforce translates its descriptions).
pub fn app_problem(error: &str) -> Option<&'static str> {
    Some(match error {
        "invalid_client_id" => "Salesforce does not know this consumer key in this org. Check that you copied the whole Consumer Key of the app, that you log in to the org the app is in (production or sandbox), and wait: a new External Client App can take up to 10 minutes to become usable.",
        "OAUTH_EC_APP_NOT_FOUND" => "The External Client App is not installed in this org. A Local app works only in the org it was created in; a packaged one must be installed first (Setup > External Client App Manager shows the apps of this org).",
        "redirect_uri_mismatch" => "The app's Callback URL is not this assistant's. Set the Callback URL in the app's OAuth Settings exactly to the one shown in the guide (port included).",
        "invalid_scope" => "The app does not allow the scopes the assistant asks for. Add \"Manage user data via APIs (api)\" and \"Perform requests at any time (refresh_token, offline_access)\" to its Selected OAuth Scopes.",
        "invalid_request" => "The app expects another login shape: turn on \"Require Proof Key for Code Exchange (PKCE)\" and turn off \"Require secret for Web Server Flow\" in its OAuth Settings.",
        "invalid_client" => "The app requires its client secret, which this assistant (a desktop app) does not keep. Turn off \"Require secret for Web Server Flow\" and \"Require secret for Refresh Token Flow\" in its OAuth Settings.",
        "OAUTH_APP_ACCESS_DENIED" | "invalid_app_access" => "Only admin-approved users may use this app. In the app's Policies, set Permitted Users to \"All users can self-authorize\", or add this user's profile or permission set.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_keys() {
        assert_eq!(
            validate_client_id("  3MVG9abc.DEF_123  ").as_deref(),
            Ok("3MVG9abc.DEF_123")
        );
        assert!(validate_client_id("has space inside").is_err());
        assert!(validate_client_id("short").is_err());
        assert!(validate_client_id("").is_err());
        assert!(validate_client_id("3MVG9<script>").is_err());
        // A Consumer Secret pasted by mistake is refused and never echoed.
        let secret = "1D2F3A4B5C6D7E8F90A1B2C3D4E5F6071829304A5B6C7D8E9F0A1B2C3D4E5F6A";
        let refused = validate_client_id(secret).unwrap_err();
        assert!(matches!(refused, AppError::SecretNotKey));
        assert!(!refused.to_string().contains("1D2F3A4B"));
    }

    #[test]
    fn default_port_is_not_the_clis() {
        assert_ne!(DEFAULT_CALLBACK_PORT, 1717);
        assert!(DEFAULT_CALLBACK_URL.contains(&DEFAULT_CALLBACK_PORT.to_string()));
    }

    #[test]
    fn app_file_and_book() {
        let dir = std::env::temp_dir().join(format!("wbs-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if option_env!("WRITEBACK_SETUP_CLIENT_ID").is_none() {
            assert_eq!(distribution_app_in(Some(&dir)), Ok(None));
            std::fs::write(
                dir.join(APP_FILE),
                "[app]\nclient_id = \"3MVG9PUBLISHERKEY\"\n",
            )
            .unwrap();
            let app = distribution_app_in(Some(&dir)).unwrap().unwrap();
            assert_eq!(app.client_id, "3MVG9PUBLISHERKEY");
            assert_eq!(app.callback_url, DEFAULT_CALLBACK_URL);
            std::fs::write(dir.join(APP_FILE), "[app]\nclient_id = \"bad key\"\n").unwrap();
            assert!(distribution_app_in(Some(&dir)).is_err());
        }
        let book = ClientIdBook::at(&dir);
        assert_eq!(book.get("https://acme.my.salesforce.com"), None);
        book.set("https://Acme.my.salesforce.com/", "3MVG9ACMEKEY")
            .unwrap();
        assert_eq!(
            book.get("https://acme.my.salesforce.com").as_deref(),
            Some("3MVG9ACMEKEY")
        );
        assert!(book
            .set("https://acme.my.salesforce.com", "no good")
            .is_err());
        book.set("https://acme.my.salesforce.com", "").unwrap();
        assert_eq!(book.get("https://acme.my.salesforce.com"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn dx_source_names_every_type() {
        let files = dx_source("http://localhost:17717/OauthRedirect", "a@b.example");
        let all: String = files.iter().map(|(p, t)| format!("{p}\n{t}")).collect();
        for needle in [
            ".eca-meta.xml",
            "<ExternalClientApplication",
            "<ExtlClntAppOauthSettings",
            "<ExtlClntAppGlobalOauthSettings",
            "<ExtlClntAppOauthConfigurablePolicies",
            "<isPkceRequired>true</isPkceRequired>",
            "<isConsumerSecretOptional>true</isConsumerSecretOptional>",
            "<callbackUrl>http://localhost:17717/OauthRedirect</callbackUrl>",
            "Api,RefreshToken",
        ] {
            assert!(all.contains(needle), "{needle}");
        }
    }

    #[test]
    fn app_problems_by_code() {
        for code in [
            "invalid_client_id",
            "OAUTH_EC_APP_NOT_FOUND",
            "redirect_uri_mismatch",
            "invalid_scope",
            "invalid_client",
        ] {
            assert!(app_problem(code).is_some(), "{code}");
        }
        assert_eq!(app_problem("access_denied"), None);
    }
}
