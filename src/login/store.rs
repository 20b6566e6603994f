//! Saved logins. The refresh token lives only in the OS keychain (Keychain on macOS, Credential
//! Manager on Windows, the Secret Service on Linux desktops); where no keychain runs it stays in
//! this process's memory and the app says so. What a login *is* (org, user, login host, app) is
//! not secret: it is kept in `logins.json` in the config directory so `check` and the app can
//! offer it again. Access tokens are never written anywhere.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// The keychain service name entries are saved under.
pub const KEYCHAIN_SERVICE: &str = "writeback-setup";
/// Overrides the config directory (tests, portable installs).
pub const CONFIG_DIR_ENV: &str = "WRITEBACK_SETUP_CONFIG_DIR";
/// `off` keeps sessions in memory even where a keychain runs (shared or kiosk machines).
pub const KEYCHAIN_ENV: &str = "WRITEBACK_SETUP_KEYCHAIN";

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("The system keychain refused the request: {0}. Unlock the keychain (or log in to the desktop session) and try again.")]
    Keychain(String),
    #[error("Cannot {action} {path}: {message}")]
    File {
        action: &'static str,
        path: String,
        message: String,
    },
}

/// Where refresh tokens are kept.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// True when a saved token survives this process (a real keychain).
    fn persistent(&self) -> bool;
    /// For the UI: "the system keychain" or why sessions stay in memory.
    fn describe(&self) -> String;
    /// The technical reason behind `describe`, for a tooltip or a bug report.
    fn detail(&self) -> Option<String> {
        None
    }
    fn get(&self, account: &str) -> Result<Option<String>, StoreError>;
    fn set(&self, account: &str, secret: &str) -> Result<(), StoreError>;
    /// Deleting what is not there is fine.
    fn delete(&self, account: &str) -> Result<(), StoreError>;
}

/// The OS keychain, through the `keyring` crate.
#[derive(Debug, Default)]
pub struct KeychainStore;

impl KeychainStore {
    fn entry(account: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(KEYCHAIN_SERVICE, account)
            .map_err(|e| StoreError::Keychain(e.to_string()))
    }
}

impl SecretStore for KeychainStore {
    fn persistent(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        "Saved in the system keychain.".into()
    }

    fn get(&self, account: &str) -> Result<Option<String>, StoreError> {
        match Self::entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(StoreError::Keychain(e.to_string())),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), StoreError> {
        Self::entry(account)?
            .set_password(secret)
            .map_err(|e| StoreError::Keychain(e.to_string()))
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(StoreError::Keychain(e.to_string())),
        }
    }
}

/// Secrets held by this process only: gone when it exits.
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, String>>,
    reason: String,
    detail: Option<String>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("reason", &self.reason)
            .field("entries", &self.lock().len())
            .finish()
    }
}

impl MemoryStore {
    /// `reason` says why no keychain is used, in words for the admin.
    pub fn new(reason: impl Into<String>) -> MemoryStore {
        MemoryStore {
            secrets: Mutex::new(HashMap::new()),
            reason: reason.into(),
            detail: None,
        }
    }

    /// With the technical error that made the keychain unusable.
    pub fn with_detail(mut self, detail: impl Into<String>) -> MemoryStore {
        self.detail = Some(detail.into());
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.secrets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn persistent(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!(
            "Kept in memory only ({}): you will log in again next time you open the app.",
            self.reason
        )
    }

    fn detail(&self) -> Option<String> {
        self.detail.clone()
    }

    fn get(&self, account: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().get(account).cloned())
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), StoreError> {
        self.lock().insert(account.to_string(), secret.to_string());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.lock().remove(account);
        Ok(())
    }
}

/// The system keychain when one answers, else memory with the reason.
pub fn open_secret_store() -> Arc<dyn SecretStore> {
    if std::env::var(KEYCHAIN_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("off")) {
        return Arc::new(MemoryStore::new(format!(
            "the keychain is turned off by {KEYCHAIN_ENV}=off"
        )));
    }
    if let Err(e) = keyring::Entry::store_status() {
        return Arc::new(
            MemoryStore::new("no system keychain runs on this desktop").with_detail(e.to_string()),
        );
    }
    // A lookup of an entry that never exists tells whether the keychain service answers.
    match KeychainStore.get("probe") {
        Ok(_) => Arc::new(KeychainStore),
        Err(e) => Arc::new(
            MemoryStore::new("the system keychain does not answer").with_detail(e.to_string()),
        ),
    }
}

/// A login the app can resume: everything but the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLogin {
    pub username: String,
    pub user_id: String,
    pub org_id: String,
    pub instance_url: String,
    /// Where the refresh happens, e.g. "https://login.salesforce.com".
    pub login_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub sandbox: bool,
    /// RFC 3339.
    pub saved_at: String,
}

impl SavedLogin {
    /// The keychain account of this login's refresh token.
    pub fn account(&self) -> String {
        SavedLogin::account_of(&self.org_id, &self.user_id)
    }

    /// The keychain account of a user's refresh token in an org.
    pub fn account_of(org_id: &str, user_id: &str) -> String {
        format!("refresh-token:{org_id}:{user_id}")
    }

    /// "admin@acme.example (https://acme.my.salesforce.com)".
    pub fn title(&self) -> String {
        format!("{} ({})", self.username, self.instance_url)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct LoginsFile {
    version: u32,
    #[serde(default)]
    logins: Vec<SavedLogin>,
}

/// The non-secret list of saved logins, most recent first.
#[derive(Debug, Clone)]
pub struct LoginBook {
    path: PathBuf,
}

/// The app's config directory: `$WRITEBACK_SETUP_CONFIG_DIR`, else the platform's config dir.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    // Named by the app id, like the window, the desktop entry and the settings folder.
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().join(crate::app_folder_name()))
}

impl LoginBook {
    /// The book in the app's config directory.
    pub fn open_default() -> Option<LoginBook> {
        config_dir().map(|dir| LoginBook::at(&dir))
    }

    pub fn at(dir: &Path) -> LoginBook {
        LoginBook {
            path: dir.join("logins.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saved logins, most recent first. A missing file is an empty book; a damaged one is an
    /// error that names the file (the admin can delete it).
    pub fn list(&self) -> Result<Vec<SavedLogin>, StoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.file_error("read", e)),
        };
        let file: LoginsFile = serde_json::from_str(&text).map_err(|e| StoreError::File {
            action: "read",
            path: self.path.display().to_string(),
            message: format!("{e}. Delete the file to forget the saved logins"),
        })?;
        Ok(file.logins)
    }

    /// Saves (or moves to the top) a login, replacing an older one of the same org and user.
    pub fn remember(&self, login: &SavedLogin) -> Result<(), StoreError> {
        let mut logins = self.list()?;
        logins.retain(|l| l.account() != login.account());
        logins.insert(0, login.clone());
        self.write(logins)
    }

    pub fn forget(&self, login: &SavedLogin) -> Result<(), StoreError> {
        let mut logins = self.list()?;
        logins.retain(|l| l.account() != login.account());
        self.write(logins)
    }

    /// The login a user named: a username (case-insensitive), an org Id, or the most recent.
    pub fn find(&self, who: Option<&str>) -> Result<Option<SavedLogin>, StoreError> {
        let logins = self.list()?;
        Ok(match who {
            None => logins.into_iter().next(),
            Some(who) => logins.into_iter().find(|l| {
                l.username.eq_ignore_ascii_case(who) || l.org_id.eq_ignore_ascii_case(who)
            }),
        })
    }

    fn write(&self, logins: Vec<SavedLogin>) -> Result<(), StoreError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.file_error("create the folder of", e))?;
        }
        let text =
            serde_json::to_string_pretty(&LoginsFile { version: 1, logins }).unwrap_or_default();
        // Write then rename, so a crash never leaves half a file.
        let temp = self.path.with_extension("json.tmp");
        std::fs::write(&temp, text).map_err(|e| self.file_error("write", e))?;
        std::fs::rename(&temp, &self.path).map_err(|e| self.file_error("write", e))
    }

    fn file_error(&self, action: &'static str, e: std::io::Error) -> StoreError {
        StoreError::File {
            action,
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }
}
