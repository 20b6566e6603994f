//! Integration profiles: data describing what a write-back integration needs in a customer's
//! Salesforce org (object, fields and their types, the app and its OAuth scopes, the integration
//! user's access, expected API usage). The readiness checks read a [`Profile`]; profiles are
//! TOML files (format in `assets/profiles/README.md`), validated on load. The built-in ones are
//! embedded from `assets/profiles/*.toml`.

mod field_type;
mod file;
mod names;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use field_type::FieldType;
pub use names::validate_api_name;

/// A field the integration writes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FieldRequirement {
    /// e.g. "Enterpret_Summary__c" or a standard field like "Email".
    pub api_name: String,
    pub label: String,
    /// The recommended type (what a fix would create).
    pub field_type: FieldType,
    /// Minimum length for text kinds.
    pub length: Option<u32>,
    /// Types that also work (always includes `field_type`).
    pub accept: Vec<FieldType>,
    /// Values the integration writes (a picklist must allow them all unless unrestricted).
    pub values: Vec<String>,
    pub multiline: bool,
    pub visible_lines: Option<u32>,
    /// Why the integration needs it, one sentence for an admin.
    pub description: String,
    /// Value a test write-back uses (never empty).
    pub test_value: String,
    /// Derived: `api_name` ends with "__c".
    pub custom: bool,
}

/// The Connected App or External Client App the integration authorizes through.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AppRequirement {
    /// The app's name as the admin sees it, e.g. "Enterpret"; `OauthToken.AppName` is this label.
    pub label: String,
    /// Metadata fullNames it may have (Connected App and/or External Client App); may be empty.
    pub api_names: Vec<String>,
    /// OAuth scope names, e.g. ["api"] ("full" satisfies "api").
    pub required_scopes: Vec<String>,
    pub callback_url: Option<String>,
}

/// Object permissions the integration user needs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Access {
    pub read: bool,
    pub create: bool,
    pub edit: bool,
}

/// Expected API calls: per day, and once for a backfill.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Usage {
    pub daily_calls: u64,
    pub backfill_calls: u64,
}

/// The field used to find an existing record; `external_id` means it must be an External ID
/// field (the integration upserts on it).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LookupRequirement {
    pub field: String,
    pub external_id: bool,
}

/// A record type the integration's records use.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RecordTypeRequirement {
    pub developer_name: String,
    pub label: String,
}

/// A managed package that must be installed.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PackageRequirement {
    pub namespace: String,
    pub name: String,
}

/// What one write-back integration needs in the org.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Profile {
    /// "feedback-writeback"
    pub id: String,
    /// "Feedback write-back (Enterpret)"
    pub title: String,
    /// "Enterpret"
    pub vendor: String,
    pub description: String,
    /// "Case"
    pub object: String,
    /// What the integration user needs on the object.
    pub access: Access,
    pub fields: Vec<FieldRequirement>,
    pub app: AppRequirement,
    /// A default username, usually None.
    pub integration_user: Option<String>,
    pub usage: Usage,
    pub lookup: Option<LookupRequirement>,
    pub record_type: Option<RecordTypeRequirement>,
    pub package: Option<PackageRequirement>,
    pub sandbox_supported: bool,
    /// The app this assistant logs in through (a vendor may ship its own); None: the assistant's.
    pub login: Option<LoginApp>,
}

/// The OAuth client the assistant's browser login uses: a Connected App or External Client App
/// with PKCE and a `http://localhost:PORT/...` callback.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LoginApp {
    /// The consumer key.
    pub client_id: String,
    /// e.g. "http://localhost:1717/OauthRedirect".
    pub callback_url: String,
}

impl Profile {
    /// The field with this API name, case-insensitively.
    pub fn field(&self, api_name: &str) -> Option<&FieldRequirement> {
        self.fields
            .iter()
            .find(|f| f.api_name.eq_ignore_ascii_case(api_name))
    }

    /// Renames a field's API name (customers may choose other names), validating it; returns an
    /// error for bad syntax or a duplicate. A lookup on the field follows the rename.
    pub fn rename_field(&mut self, old: &str, new: &str) -> Result<(), ProfileError> {
        let index = self
            .fields
            .iter()
            .position(|f| f.api_name.eq_ignore_ascii_case(old))
            .ok_or_else(|| ProfileError::UnknownField {
                profile: self.id.clone(),
                api_name: old.to_string(),
                known: self
                    .fields
                    .iter()
                    .map(|f| f.api_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let new = new.trim();
        validate_api_name(new).map_err(|reason| ProfileError::InvalidName {
            name: new.to_string(),
            reason,
        })?;
        if let Some(other) = self
            .fields
            .iter()
            .enumerate()
            .find(|(i, f)| *i != index && f.api_name.eq_ignore_ascii_case(new))
        {
            return Err(ProfileError::DuplicateField {
                api_name: other.1.api_name.clone(),
            });
        }
        let previous = std::mem::replace(&mut self.fields[index].api_name, new.to_string());
        self.fields[index].custom = is_custom(new);
        if let Some(lookup) = &mut self.lookup {
            if lookup.field.eq_ignore_ascii_case(&previous) {
                lookup.field = new.to_string();
            }
        }
        Ok(())
    }

    /// The profile as TOML in the documented file format (round-trips through [`parse`]).
    pub fn to_toml(&self) -> String {
        file::to_toml(self)
    }
}

/// Whether an API name is a custom one (ends with "__c").
pub(crate) fn is_custom(api_name: &str) -> bool {
    api_name.len() >= 3 && api_name[api_name.len() - 3..].eq_ignore_ascii_case("__c")
}

/// Everything that can go wrong loading or editing a profile. Messages say what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("profile file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: crate::files::ReadError,
    },
    /// Not TOML, or keys/value kinds the format does not have (with line and column).
    #[error("profile {source_name}: {message}")]
    Syntax {
        source_name: String,
        message: String,
    },
    /// Well-formed, but the content is wrong; `message` names the profile and field (one problem
    /// per line when there are several).
    #[error("{message}")]
    Invalid {
        source_name: String,
        message: String,
    },
    #[error("unknown built-in profile '{id}'; built-in profiles: {known} (or give a path to a .toml file)")]
    UnknownBuiltin { id: String, known: String },
    #[error("'{name}' is not a valid API name: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("field '{api_name}' appears twice")]
    DuplicateField { api_name: String },
    #[error("profile '{profile}' has no field '{api_name}'; its fields: {known}")]
    UnknownField {
        profile: String,
        api_name: String,
        known: String,
    },
}

/// The profile the app uses when none is chosen.
pub const DEFAULT_PROFILE: &str = "feedback-writeback";

const BUILTINS: [(&str, &str); 3] = [
    (
        "feedback-writeback",
        include_str!("../../assets/profiles/feedback-writeback.toml"),
    ),
    (
        "survey-responses",
        include_str!("../../assets/profiles/survey-responses.toml"),
    ),
    (
        "conversation-cases",
        include_str!("../../assets/profiles/conversation-cases.toml"),
    ),
];

/// The built-in profile ids, the default first.
pub fn builtin_ids() -> Vec<&'static str> {
    BUILTINS.iter().map(|(id, _)| *id).collect()
}

/// A built-in profile by id.
pub fn builtin(id: &str) -> Result<Profile, ProfileError> {
    let (id, text) = BUILTINS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(id.trim()))
        .ok_or_else(|| ProfileError::UnknownBuiltin {
            id: id.to_string(),
            known: builtin_ids().join(", "),
        })?;
    parse(&format!("{id}.toml (built-in)"), text)
}

/// Largest profile file read: the built-in profiles are a few kilobytes.
pub const MAX_PROFILE_FILE_BYTES: u64 = 1024 * 1024;

/// Reads and validates a profile file.
pub fn load_file(path: &Path) -> Result<Profile, ProfileError> {
    let text = crate::files::read_text_limited(path, MAX_PROFILE_FILE_BYTES).map_err(|source| {
        ProfileError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parses and validates profile TOML; `source_name` (a file name) appears in error messages.
pub fn parse(source_name: &str, toml_text: &str) -> Result<Profile, ProfileError> {
    file::parse(source_name, toml_text)
}

/// A built-in id or a path to a .toml file.
pub fn resolve(name_or_path: &str) -> Result<Profile, ProfileError> {
    let trimmed = name_or_path.trim();
    let looks_like_path = trimmed.contains('/')
        || trimmed.contains('\\')
        || trimmed.to_ascii_lowercase().ends_with(".toml");
    if !looks_like_path {
        match builtin(trimmed) {
            Err(ProfileError::UnknownBuiltin { .. }) if Path::new(trimmed).is_file() => {}
            other => return other,
        }
    }
    load_file(Path::new(name_or_path))
}
