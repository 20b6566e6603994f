//! The test write's journal: written to the app's data directory before the record is touched,
//! so a test write interrupted at any point can be put right on the next start. It holds the
//! record, the original values and times, never a token.

use super::temporary_access::TemporaryAccess;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Overrides the data directory (tests, portable installs).
pub const DATA_DIR_ENV: &str = "WRITEBACK_SETUP_DATA_DIR";

/// The app's data directory: `$WRITEBACK_SETUP_DATA_DIR`, else the platform's
/// data folder, in a folder named by [`crate::app_folder_name`]
/// (`~/.local/share/io.github.writebacksetup.writebacksetup` on Linux).
pub fn data_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    // The same folder name as everything else of the app: its reverse-DNS id.
    directories::BaseDirs::new()
        .map(|d| d.data_dir().join(crate::app_folder_name()))
        .ok_or_else(|| {
            format!("cannot find a data directory for this user; set {DATA_DIR_ENV} to a folder the app may write to")
        })
}

fn journal_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("test-write-journal")
}

/// Where the test write of one record stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Written before the PATCH: the record may or may not hold test values.
    BeforeWrite,
    /// The test values were written (all or some fields).
    Written,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub instance_url: String,
    pub org_id: String,
    /// Who wrote (the logged-in user).
    pub username: String,
    /// Their user Id: a record last modified by anyone else was edited by someone else.
    #[serde(default)]
    pub user_id: String,
    pub object: String,
    pub record_id: String,
    /// The values before the test, by field API name (null = empty).
    pub original: Map<String, Value>,
    /// The values the test writes, typed for each field.
    pub test_values: Map<String, Value>,
    /// How each field's values compare (journals from before typing: compared as text).
    #[serde(default)]
    pub kinds: std::collections::BTreeMap<String, super::value::ValueKind>,
    /// What Salesforce read back right after the write (automation may have changed a value):
    /// still the test's own value when the restore finds it.
    #[serde(default)]
    pub read_back: Map<String, Value>,
    /// Fields the test may have written (all of them until a per-field retry says otherwise).
    pub written_fields: Vec<String>,
    pub original_last_modified: Option<String>,
    /// LastModifiedDate right after the test write, when it was read back.
    pub written_last_modified: Option<String>,
    pub stage: Stage,
    /// When the test started (UTC, RFC 3339).
    pub started_at: String,
}

impl Journal {
    pub fn file_name(&self) -> String {
        format!("{}-{}.json", self.org_id, self.record_id)
    }
}

/// Writes the journal atomically (temporary file, flush to disk, rename).
pub fn save(data_dir: &Path, journal: &Journal) -> Result<PathBuf, String> {
    write_atomically(&journal_dir(data_dir), &journal.file_name(), journal)
}

/// Writes `value` as JSON to `dir/name` atomically: a temporary file, flushed to disk, renamed.
fn write_atomically<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    let temporary = dir.join(format!("{name}.tmp"));
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| format!("cannot write the journal: {e}"))?;
    let mut file = std::fs::File::create(&temporary)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, &path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn remove_file(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot delete {}: {e}", path.display())),
    }
}

/// Every `*.json` journal in `dir`, with its path; unreadable files are reported, not skipped.
fn read_all<T: serde::de::DeserializeOwned>(dir: &Path) -> Vec<(PathBuf, Result<T, String>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, Result<T, String>)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .map(|path| {
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| serde_json::from_str::<T>(&text).map_err(|e| e.to_string()))
                .map_err(|e| {
                    format!(
                        "{} is not a readable journal ({e}); it was left as is",
                        path.display()
                    )
                });
            (path, parsed)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

pub fn remove(data_dir: &Path, journal: &Journal) -> Result<(), String> {
    remove_file(&journal_dir(data_dir).join(journal.file_name()))
}

/// Every journal left behind, with its path; unreadable files are reported, not skipped.
pub fn pending(data_dir: &Path) -> Vec<(PathBuf, Result<Journal, String>)> {
    read_all(&journal_dir(data_dir))
}

/// Whether any journal (a record's or a temporary access's) is left in `data_dir`.
pub fn anything_pending(data_dir: &Path) -> bool {
    !pending(data_dir).is_empty() || !pending_access(data_dir).is_empty()
}

// ---- temporary access ------------------------------------------------------------------------

/// Temporary access journals live beside the record journals, in a folder of their own.
fn access_dir(data_dir: &Path) -> PathBuf {
    journal_dir(data_dir).join("access")
}

/// Writes the journal of a temporary permission set (before it is made, and again with its Ids).
pub fn save_access(data_dir: &Path, access: &TemporaryAccess) -> Result<PathBuf, String> {
    write_atomically(&access_dir(data_dir), &access.file_name(), access)
}

pub fn remove_access(data_dir: &Path, access: &TemporaryAccess) -> Result<(), String> {
    remove_file(&access_dir(data_dir).join(access.file_name()))
}

/// Every temporary permission set not yet proven deleted.
pub fn pending_access(data_dir: &Path) -> Vec<(PathBuf, Result<TemporaryAccess, String>)> {
    read_all(&access_dir(data_dir))
}
