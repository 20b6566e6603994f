//! Integrity of a report file: SHA-256 of its canonical JSON, and reading a report file back
//! with that digest checked.
//!
//! Canonical JSON: the report as JSON without the `integrity` member, object keys sorted by
//! their UTF-8 bytes, no insignificant whitespace, strings as serde_json writes them. Anyone
//! can recompute it: `jq -cjS 'del(.integrity)' FILE.json | sha256sum` gives the same digest.

use super::model::{Report, SCHEMA, SCHEMA_VERSION};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Why a report file cannot be trusted or read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReportFileError {
    #[error("the file is not JSON ({0}); open the .json file the app saved, not the HTML, PDF or Markdown one")]
    NotJson(String),
    #[error("the file is JSON but not a writeback-setup report (no \"schema\": \"{SCHEMA}\")")]
    NotAReport,
    #[error("the report was made by a newer version (schema version {0}; this app reads up to {SCHEMA_VERSION}); update writeback-setup")]
    NewerVersion(u64),
    #[error("the report has no integrity digest, so it cannot be verified; ask for the file as the app saved it")]
    NoDigest,
    #[error("the report was changed after it was made: its content hashes to {actual}, but it says {recorded}. Ask the sender for the original file")]
    Tampered { recorded: String, actual: String },
    #[error("the report's content does not match the schema ({0})")]
    Schema(String),
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for key in keys {
                out.insert(key.clone(), sorted(&map[key]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The canonical bytes of a report given as JSON (its `integrity` member ignored).
pub fn canonical_json(value: &Value) -> String {
    let mut value = value.clone();
    if let Some(map) = value.as_object_mut() {
        map.remove("integrity");
    }
    serde_json::to_string(&sorted(&value)).unwrap_or_default()
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 (hex) of the report's canonical JSON.
pub fn digest(report: &Report) -> String {
    let value = serde_json::to_value(report).unwrap_or(Value::Null);
    hex_sha256(canonical_json(&value).as_bytes())
}

/// The report as the JSON file the app writes (sealed, pretty-printed).
pub fn to_json_file(report: &Report) -> String {
    let sealed = report.clone().sealed();
    let mut text = serde_json::to_string_pretty(&sealed).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a report file and checks its digest. The digest is checked on the JSON as written,
/// before it is read into the model, so a member the model does not know is still covered.
pub fn read_verified(text: &str) -> Result<Report, ReportFileError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ReportFileError::NotJson(e.to_string()))?;
    if value.get("schema").and_then(Value::as_str) != Some(SCHEMA) {
        return Err(ReportFileError::NotAReport);
    }
    let version = value
        .get("schema_version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if version > u64::from(SCHEMA_VERSION) {
        return Err(ReportFileError::NewerVersion(version));
    }
    let recorded = value
        .pointer("/integrity/digest")
        .and_then(Value::as_str)
        .ok_or(ReportFileError::NoDigest)?
        .to_ascii_lowercase();
    let actual = hex_sha256(canonical_json(&value).as_bytes());
    if recorded != actual {
        return Err(ReportFileError::Tampered { recorded, actual });
    }
    serde_json::from_value(value).map_err(|e| ReportFileError::Schema(e.to_string()))
}
