//! Scenario files: an org described as data (TOML), built-in ones embedded in the binary.
//!
//! A scenario may `extends = "<built-in name>"` and then only state what differs: tables merge
//! into the base recursively, and arrays of tables merge by their natural key (`username`,
//! `api_name`, `name`, `field`, `object`, ...). An entry with `remove = true` deletes the entry
//! with that key. The format is documented in `assets/scenarios/README.md`.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("there is no built-in scenario named '{0}'; built-in scenarios: {1}")]
    UnknownBuiltin(String, String),
    #[error("scenario file: {0}")]
    Read(#[from] crate::files::ReadError),
    #[error("scenario {name} is not valid TOML: {message}")]
    Syntax { name: String, message: String },
    #[error("scenario {name} is not a valid scenario: {message}")]
    Shape { name: String, message: String },
    #[error("scenario {name}: {message}")]
    Invalid { name: String, message: String },
    #[error("scenario {0} extends itself (directly or through others)")]
    Cycle(String),
}

macro_rules! builtins {
    ($($name:literal),* $(,)?) => {
        /// Built-in scenarios: (name, TOML source).
        pub const BUILTIN: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../assets/scenarios/", $name, ".toml")))),*
        ];
    };
}

builtins!(
    "ready",
    "fresh",
    "fields-missing",
    "field-wrong-type",
    "restricted-picklist",
    "no-field-edit",
    "no-object-edit",
    "user-inactive",
    "user-no-api",
    "app-missing",
    "app-missing-api-scope",
    "not-reauthorized",
    "validation-rule-blocks",
    "api-disabled",
    "api-budget-low",
    "large-org",
    "eca",
    "hostile-text",
    "integration-psl-missing",
    "muted-edit",
    "user-frozen",
    "private-sharing",
    "inactive-picklist-value",
    "read-only-field",
    "validation-formula-blocks",
    "full-scope-only",
    "eca-settings-guarded",
    "concurrent-limit",
    "duplicate-rule-blocks",
    "expired-assignment",
    "session-activation-required",
);

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// The one-line description of a built-in scenario (its `description`).
pub fn builtin_description(name: &str) -> Option<String> {
    let (_, source) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    let value: toml::Value = toml::from_str(source).ok()?;
    value
        .get("description")
        .and_then(|d| d.as_str())
        .map(str::to_string)
}

/// Loads a built-in scenario by name.
pub fn load_builtin(name: &str) -> Result<Scenario, ScenarioError> {
    let merged = resolve_builtin(name, &mut Vec::new())?;
    into_scenario(name, merged)
}

/// Largest scenario file read: volume comes from `[generate]`, not from listing rows by hand.
pub const MAX_SCENARIO_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Loads a scenario file (which may extend a built-in one).
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = crate::files::read_text_limited(path, MAX_SCENARIO_FILE_BYTES)?;
    load_str(&path.display().to_string(), &text)
}

/// Loads a scenario from TOML text; `name` is used in error messages.
pub fn load_str(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let value = parse_toml(name, text)?;
    let merged = resolve(value, &mut Vec::new())?;
    into_scenario(name, merged)
}

fn parse_toml(name: &str, text: &str) -> Result<Value, ScenarioError> {
    let value: toml::Value = toml::from_str(text).map_err(|e| ScenarioError::Syntax {
        name: name.to_string(),
        message: e.to_string(),
    })?;
    serde_json::to_value(value).map_err(|e| ScenarioError::Syntax {
        name: name.to_string(),
        message: e.to_string(),
    })
}

/// A built-in scenario with its bases merged in. `seen` holds the built-ins being resolved
/// (only built-ins can be extended, so only they can form a cycle).
fn resolve_builtin(name: &str, seen: &mut Vec<String>) -> Result<Value, ScenarioError> {
    if seen.iter().any(|s| s == name) {
        return Err(ScenarioError::Cycle(name.to_string()));
    }
    seen.push(name.to_string());
    let (_, source) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        ScenarioError::UnknownBuiltin(name.to_string(), builtin_names().join(", "))
    })?;
    let value = parse_toml(name, source)?;
    resolve(value, seen)
}

/// `value` with the built-in it `extends` merged under it. A file is not a built-in, so a file
/// named like one (`ready`) that extends it is no cycle.
fn resolve(mut value: Value, seen: &mut Vec<String>) -> Result<Value, ScenarioError> {
    let base_name = value
        .as_object_mut()
        .and_then(|o| o.remove("extends"))
        .and_then(|v| v.as_str().map(str::to_string));
    match base_name {
        Some(base_name) => {
            let mut base = resolve_builtin(&base_name, seen)?;
            // Name and description belong to the extending scenario, not its base.
            if let Some(obj) = base.as_object_mut() {
                obj.remove("name");
                obj.remove("description");
            }
            merge(&mut base, value);
            Ok(base)
        }
        None => Ok(value),
    }
}

const MERGE_KEYS: &[&str] = &[
    "username",
    "user",
    "api_name",
    "full_name",
    "field",
    "object",
    "name",
    "developer_name",
    "namespace",
    "Subject",
];

fn key_of(entry: &Value) -> Option<(String, String)> {
    let obj = entry.as_object()?;
    MERGE_KEYS.iter().find_map(|k| {
        obj.get(*k)
            .and_then(|v| v.as_str())
            .map(|v| (k.to_string(), v.to_string()))
    })
}

/// Deep-merges `overlay` into `base` (see the module docs for the rules).
fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (k, v) in overlay {
                match base.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        base.insert(k, strip_removed(v));
                    }
                }
            }
        }
        (Value::Array(base), Value::Array(overlay))
            if !overlay.is_empty() && overlay.iter().all(|e| key_of(e).is_some()) =>
        {
            for entry in overlay {
                let key = key_of(&entry);
                let remove = entry.get("remove").and_then(Value::as_bool) == Some(true);
                let position = base.iter().position(|b| key_of(b) == key);
                match (position, remove) {
                    (Some(i), true) => {
                        base.remove(i);
                    }
                    (Some(i), false) => merge(&mut base[i], entry),
                    (None, true) => {}
                    (None, false) => base.push(entry),
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

fn strip_removed(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|e| e.get("remove").and_then(Value::as_bool) != Some(true))
                .collect(),
        ),
        other => other,
    }
}

fn into_scenario(name: &str, value: Value) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = serde_json::from_value(value).map_err(|e| ScenarioError::Shape {
        name: name.to_string(),
        message: e.to_string(),
    })?;
    scenario
        .validate()
        .map_err(|message| ScenarioError::Invalid {
            name: name.to_string(),
            message,
        })?;
    Ok(scenario)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The highest API version the org serves (e.g. "66.0").
    #[serde(default = "default_api_version")]
    pub api_version: String,
    pub org: OrgSpec,
    /// Username of the admin whose token `writeback-setup sim` prints.
    pub admin: String,
    /// Username of the integration user (documentation for the scenario; the checks take it from the profile).
    #[serde(default)]
    pub integration_user: Option<String>,
    #[serde(default)]
    pub profiles: Vec<ProfileSpec>,
    #[serde(default)]
    pub permission_set_licenses: Vec<PermissionSetLicenseSpec>,
    #[serde(default)]
    pub permission_sets: Vec<PermissionSetSpec>,
    #[serde(default)]
    pub permission_set_groups: Vec<PermissionSetGroupSpec>,
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// Custom fields per object: `[[fields.Case]]`.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, Vec<FieldSpec>>,
    /// Records per object: `[[records.Case]]` with field values.
    #[serde(default)]
    pub records: std::collections::BTreeMap<String, Vec<Map<String, Value>>>,
    #[serde(default)]
    pub record_types: Vec<RecordTypeSpec>,
    #[serde(default)]
    pub validation_rules: Vec<ValidationRuleSpec>,
    #[serde(default)]
    pub apex_triggers: Vec<ApexTriggerSpec>,
    #[serde(default)]
    pub flows: Vec<FlowSpec>,
    #[serde(default)]
    pub workflow_rules: Vec<WorkflowRuleSpec>,
    #[serde(default)]
    pub assignment_rules: Vec<AssignmentRuleSpec>,
    #[serde(default)]
    pub duplicate_rules: Vec<DuplicateRuleSpec>,
    #[serde(default)]
    pub global_value_sets: Vec<GlobalValueSetSpec>,
    /// The role hierarchy: `[[roles]] name, label, parent`.
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
    /// Manual record shares: `[[shares]] object, record, user, access`.
    #[serde(default)]
    pub shares: Vec<ShareSpec>,
    #[serde(default)]
    pub connected_apps: Vec<ConnectedAppSpec>,
    #[serde(default)]
    pub external_client_apps: Vec<ExternalClientAppSpec>,
    #[serde(default)]
    pub oauth_tokens: Vec<OauthTokenSpec>,
    #[serde(default)]
    pub packages: Vec<PackageSpec>,
    #[serde(default)]
    pub faults: FaultSpec,
    /// Bulk generated metadata for volume scenarios.
    #[serde(default)]
    pub generate: GenerateSpec,
}

fn default_api_version() -> String {
    "66.0".into()
}

/// Upper bounds of `[generate]`: above the volume scenarios (`large-org`), below what would
/// exhaust memory or take minutes to load.
pub const GENERATE_LIMITS: [(&str, u32); 6] = [
    ("case_fields", 5_000),
    ("permission_sets", 10_000),
    ("field_permissions_per_set", 50),
    ("automations", 10_000),
    ("users", 10_000),
    ("cases", 100_000),
];

impl GenerateSpec {
    fn counts(&self) -> [(&'static str, u32); 6] {
        [
            ("case_fields", self.case_fields),
            ("permission_sets", self.permission_sets),
            ("field_permissions_per_set", self.field_permissions_per_set),
            ("automations", self.automations),
            ("users", self.users),
            ("cases", self.cases),
        ]
    }
}

/// True for an API version as Salesforce writes it: `66.0`.
fn is_api_version(text: &str) -> bool {
    text.split_once('.').is_some_and(|(major, minor)| {
        minor == "0"
            && !major.is_empty()
            && major.len() <= 3
            && major.bytes().all(|b| b.is_ascii_digit())
            && major.parse::<u32>().is_ok_and(|m| m > 0)
    })
}

impl Scenario {
    fn validate(&self) -> Result<(), String> {
        let user = |name: &str| self.users.iter().any(|u| u.username == name);
        let quoted = crate::echo::quoted;
        match crate::sfid::to_18(&self.org.id) {
            Ok(id) if id.starts_with("00D") => {}
            Ok(_) => {
                return Err(format!(
                    "org.id '{}' is not an organization Id (those start with 00D)",
                    quoted(&self.org.id)
                ))
            }
            Err(e) => return Err(format!("org.id: {e}")),
        }
        if !is_api_version(&self.api_version) {
            return Err(format!(
                "api_version '{}' is not an API version like 66.0",
                quoted(&self.api_version)
            ));
        }
        for ((name, count), (_, max)) in self.generate.counts().into_iter().zip(GENERATE_LIMITS) {
            if count > max {
                return Err(format!(
                    "[generate] {name} = {count} is more than the simulator makes ({max})"
                ));
            }
        }
        for (object, records) in &self.records {
            for (n, record) in records.iter().enumerate() {
                let place = || format!("record {} of {object}", n + 1);
                if let Some(id) = record.get("Id") {
                    let text = id.as_str().unwrap_or_default();
                    let id18 =
                        crate::sfid::to_18(text).map_err(|e| format!("{}: Id {e}", place()))?;
                    if let Some(prefix) = crate::sfid::key_prefix(object) {
                        if !id18.starts_with(prefix) {
                            return Err(format!(
                                "{}: Id '{}' is not a {object} Id (those start with {prefix})",
                                place(),
                                quoted(text)
                            ));
                        }
                    }
                }
                if let Some(owner) = record.get("Owner") {
                    let known = owner.as_str().is_some_and(user);
                    if !known {
                        return Err(format!(
                            "{}: Owner {} is not among the users",
                            place(),
                            quoted(&owner.to_string())
                        ));
                    }
                }
            }
        }
        if !user(&self.admin) {
            return Err(format!("admin '{}' is not among the users", self.admin));
        }
        for u in &self.users {
            if !self.profiles.iter().any(|p| p.name == u.profile) {
                return Err(format!(
                    "user {} has unknown profile '{}'",
                    u.username, u.profile
                ));
            }
            for ps in &u.permission_sets {
                if !self.permission_sets.iter().any(|p| p.name == ps.name) {
                    return Err(format!(
                        "user {} is assigned unknown permission set '{}'",
                        u.username, ps.name
                    ));
                }
            }
            for g in &u.permission_set_groups {
                if !self.permission_set_groups.iter().any(|p| &p.name == g) {
                    return Err(format!(
                        "user {} is assigned unknown permission set group '{g}'",
                        u.username
                    ));
                }
            }
        }
        let role = |name: &str| self.roles.iter().any(|r| r.name == name);
        for r in &self.roles {
            if let Some(parent) = &r.parent {
                if !role(parent) {
                    return Err(format!(
                        "role {} has unknown parent role '{parent}'",
                        r.name
                    ));
                }
            }
        }
        for u in &self.users {
            if let Some(r) = &u.role {
                if !role(r) {
                    return Err(format!("user {} has unknown role '{r}'", u.username));
                }
            }
        }
        for share in &self.shares {
            if !user(&share.user) {
                return Err(format!("share for unknown user '{}'", share.user));
            }
            if !matches!(share.access.as_str(), "Read" | "Edit") {
                return Err(format!(
                    "share of {} for {}: access must be Read or Edit",
                    share.record, share.user
                ));
            }
        }
        for (object, access) in [
            ("Case", &self.org.default_case_access),
            ("Contact", &self.org.default_contact_access),
            ("Lead", &self.org.default_lead_access),
        ] {
            let allowed: &[&str] = if object == "Contact" {
                &["None", "Read", "Edit", "ControlledByParent"]
            } else {
                &["None", "Read", "Edit", "ReadEditTransfer"]
            };
            if !allowed.contains(&access.as_str()) {
                return Err(format!(
                    "org default_{}_access '{access}' is not one of {}",
                    object.to_lowercase(),
                    allowed.join(", ")
                ));
            }
        }
        for rule in &self.duplicate_rules {
            if !matches!(rule.sobject_type.as_str(), "Contact" | "Lead") {
                return Err(format!(
                    "duplicate rule {}: only Contact and Lead are supported",
                    rule.developer_name
                ));
            }
        }
        for (object, fields) in &self.fields {
            if !super::schema::DATA_OBJECTS.contains(&object.as_str()) {
                return Err(format!(
                    "custom fields on '{object}' are not supported (only {})",
                    super::schema::DATA_OBJECTS.join(", ")
                ));
            }
            for field in fields {
                if !field.api_name.ends_with("__c") {
                    return Err(format!(
                        "custom field {object}.{} must end in __c",
                        field.api_name
                    ));
                }
                let kind = match field.r#type.as_str() {
                    "AutoNumber" => Some(super::schema::FieldKind::Text),
                    "Summary" => Some(super::schema::FieldKind::Number),
                    other => super::schema::FieldKind::from_metadata_type(other),
                };
                let Some(kind) = kind else {
                    return Err(format!(
                        "field {object}.{} has unknown type '{}'",
                        field.api_name, field.r#type
                    ));
                };
                if let Some(set) = &field.value_set {
                    if !self.global_value_sets.iter().any(|g| &g.name == set) {
                        return Err(format!(
                            "field {object}.{} uses unknown global value set '{set}'",
                            field.api_name
                        ));
                    }
                }
                let precision = field.precision.unwrap_or(18);
                if kind.is_number()
                    && (!(1..=18).contains(&precision) || field.scale.unwrap_or(0) > precision)
                {
                    return Err(format!(
                        "field {object}.{}: precision must be 1 to 18 and scale at most the precision",
                        field.api_name
                    ));
                }
            }
        }
        for rule in &self.validation_rules {
            if let Some(formula) = &rule.formula {
                if let Err(e) = super::formula::parse(formula) {
                    return Err(format!(
                        "validation rule {}: its formula is outside the subset the simulator evaluates ({e})",
                        rule.name
                    ));
                }
            }
        }
        for t in &self.oauth_tokens {
            if !user(&t.user) {
                return Err(format!("oauth token for unknown user '{}'", t.user));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSpec {
    pub id: String,
    pub name: String,
    #[serde(default = "default_edition")]
    pub edition: String,
    #[serde(default)]
    pub is_sandbox: bool,
    #[serde(default = "default_instance")]
    pub instance: String,
    /// My Domain name, e.g. "acme" (shown in URLs the org hands out).
    #[serde(default)]
    pub my_domain: Option<String>,
    #[serde(default = "yes")]
    pub api_enabled: bool,
    #[serde(default = "default_api_max")]
    pub daily_api_max: u64,
    #[serde(default)]
    pub daily_api_used: u64,
    #[serde(default)]
    pub trial_expiration: Option<String>,
    /// Organization-wide defaults (`Organization.DefaultCaseAccess`, ...): `None`, `Read`,
    /// `Edit` (Public Read/Write, the default), `ReadEditTransfer` (Case, Lead) or
    /// `ControlledByParent` (Contact).
    #[serde(default = "default_owd")]
    pub default_case_access: String,
    #[serde(default = "default_owd")]
    pub default_contact_access: String,
    #[serde(default = "default_owd")]
    pub default_lead_access: String,
    /// The org has not enabled "Allow Access to OAuth Consumer Secrets via Metadata API": the
    /// Metadata API refuses `ExtlClntAppOauthSettings`.
    #[serde(default)]
    pub eca_oauth_settings_guarded: bool,
}

fn default_owd() -> String {
    "Edit".into()
}

fn default_edition() -> String {
    "Enterprise Edition".into()
}
fn default_instance() -> String {
    "EU45".into()
}
fn default_api_max() -> u64 {
    100_000
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemPermissions {
    #[serde(default)]
    pub api_enabled: bool,
    #[serde(default)]
    pub api_user_only: bool,
    #[serde(default)]
    pub modify_all_data: bool,
    #[serde(default)]
    pub view_all_data: bool,
    #[serde(default)]
    pub view_setup: bool,
    #[serde(default)]
    pub customize_application: bool,
    #[serde(default)]
    pub manage_users: bool,
    #[serde(default)]
    pub author_apex: bool,
    #[serde(default)]
    pub assign_permission_sets: bool,
    #[serde(default)]
    pub manage_profiles_permission_sets: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectPermissionSpec {
    pub object: String,
    #[serde(default)]
    pub read: bool,
    #[serde(default)]
    pub create: bool,
    #[serde(default)]
    pub edit: bool,
    #[serde(default)]
    pub delete: bool,
    #[serde(default)]
    pub view_all: bool,
    #[serde(default)]
    pub modify_all: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldPermissionSpec {
    /// `Object.Field__c`
    pub field: String,
    #[serde(default)]
    pub read: bool,
    #[serde(default)]
    pub edit: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    pub name: String,
    #[serde(default = "default_license")]
    pub user_license: String,
    #[serde(flatten)]
    pub permissions: SystemPermissions,
    #[serde(default)]
    pub object_permissions: Vec<ObjectPermissionSpec>,
    #[serde(default)]
    pub field_permissions: Vec<FieldPermissionSpec>,
}

fn default_license() -> String {
    "Salesforce".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSetLicenseSpec {
    pub developer_name: String,
    pub label: String,
    #[serde(default = "default_license_count")]
    pub total: u64,
}

fn default_license_count() -> u64 {
    10
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSetSpec {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Developer name of the permission set licence the set was created with.
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub session_activation_required: bool,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub permissions: SystemPermissions,
    #[serde(default)]
    pub object_permissions: Vec<ObjectPermissionSpec>,
    #[serde(default)]
    pub field_permissions: Vec<FieldPermissionSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSetGroupSpec {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    pub permission_sets: Vec<String>,
    /// The group's muting permission set: what it enables is muted (not granted) in the group.
    #[serde(default)]
    pub muting: Option<MutingSpec>,
}

/// A muting permission set: the permissions, object permissions and field permissions it
/// names are removed from its group's aggregate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutingSpec {
    /// DeveloperName (default: the group's name + `_Muting`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(flatten)]
    pub permissions: SystemPermissions,
    #[serde(default)]
    pub object_permissions: Vec<ObjectPermissionSpec>,
    #[serde(default)]
    pub field_permissions: Vec<FieldPermissionSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentSpec {
    pub name: String,
    /// ISO date-time after which the assignment no longer applies.
    #[serde(default)]
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub profile: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default = "default_user_type")]
    pub user_type: String,
    #[serde(default)]
    pub permission_sets: Vec<AssignmentSpec>,
    #[serde(default)]
    pub permission_set_groups: Vec<String>,
    #[serde(default)]
    pub permission_set_licenses: Vec<String>,
    /// Password for the simulated OAuth login page.
    #[serde(default = "default_password")]
    pub password: String,
    #[serde(default)]
    pub last_login: Option<String>,
    /// Frozen (`UserLogin.IsFrozen`): cannot log in, sessions refused.
    #[serde(default)]
    pub frozen: bool,
    /// Role in the role hierarchy (`[[roles]]` name).
    #[serde(default)]
    pub role: Option<String>,
}

fn default_user_type() -> String {
    "Standard".into()
}
fn default_password() -> String {
    "demo".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub api_name: String,
    pub label: String,
    /// Metadata API type: Text, TextArea, LongTextArea, Html, Picklist, MultiselectPicklist,
    /// Checkbox, Number, Currency, Percent, Date, DateTime, Email, Phone, Url.
    pub r#type: String,
    #[serde(default)]
    pub length: Option<u32>,
    #[serde(default)]
    pub visible_lines: Option<u32>,
    /// Number, Currency, Percent: total digits and decimal places (Setup's defaults otherwise).
    #[serde(default)]
    pub precision: Option<u32>,
    #[serde(default)]
    pub scale: Option<u32>,
    #[serde(default)]
    pub values: Vec<String>,
    /// Picklist values that exist but are inactive.
    #[serde(default)]
    pub inactive_values: Vec<String>,
    /// Picklist values from a global value set (`[[global_value_sets]]` name).
    #[serde(default)]
    pub value_set: Option<String>,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub external_id: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub formula: Option<String>,
    /// AutoNumber: the display format (default `A-{0000}`).
    #[serde(default)]
    pub display_format: Option<String>,
    /// Summary (roll-up summary): operation (`COUNT`, `SUM`, `MIN`, `MAX`) and the
    /// summarized child object.
    #[serde(default)]
    pub summary_operation: Option<String>,
    #[serde(default)]
    pub summarized_object: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalValueSetSpec {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    pub values: Vec<String>,
    #[serde(default)]
    pub inactive_values: Vec<String>,
    #[serde(default)]
    pub sorted: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// DeveloperName.
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The role above this one.
    #[serde(default)]
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareSpec {
    #[serde(default = "default_case")]
    pub object: String,
    /// The record's Id.
    pub record: String,
    /// Username the record is shared with.
    pub user: String,
    /// `Read` or `Edit`.
    pub access: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRuleSpec {
    pub developer_name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// `Contact` or `Lead`.
    pub sobject_type: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// `Block` or `Allow` (with an alert).
    #[serde(default = "default_block")]
    pub action_on_insert: String,
    #[serde(default = "default_block")]
    pub action_on_edit: String,
    /// Fields the matching rule compares (exact, case-insensitive).
    pub matching_fields: Vec<String>,
    /// The matching rule's developer name.
    #[serde(default)]
    pub matching_rule: Option<String>,
    /// The alert text (default: the standard rules' text).
    #[serde(default)]
    pub error_message: Option<String>,
}

fn default_block() -> String {
    "Block".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordTypeSpec {
    pub object: String,
    pub developer_name: String,
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// Profiles the record type is available to (empty: every profile).
    #[serde(default)]
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationRuleSpec {
    pub name: String,
    #[serde(default = "default_case")]
    pub object: String,
    #[serde(default = "yes")]
    pub active: bool,
    pub error_message: String,
    #[serde(default)]
    pub error_display_field: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The error condition formula as an admin sees it in Setup (Tooling
    /// `Metadata.errorConditionFormula`); the rule fires when it is true for the record as it
    /// would be saved (`sim::formula` evaluates the subset scenarios use).
    #[serde(default)]
    pub formula: Option<String>,
    /// Fallback for a rule without a `formula` only: any of these fields changing makes it
    /// fire (empty: every update).
    #[serde(default)]
    pub fires_when_changed: Vec<String>,
    /// Users (usernames) the rule lets through, like a formula excluding the integration user.
    #[serde(default)]
    pub bypass_users: Vec<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

fn default_case() -> String {
    "Case".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApexTriggerSpec {
    pub name: String,
    #[serde(default = "default_case")]
    pub object: String,
    #[serde(default = "default_active")]
    pub status: String,
    #[serde(default)]
    pub before_insert: bool,
    #[serde(default)]
    pub after_insert: bool,
    #[serde(default)]
    pub before_update: bool,
    #[serde(default)]
    pub after_update: bool,
    #[serde(default)]
    pub namespace: Option<String>,
    /// When set, an update fails with CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY carrying this exception text.
    #[serde(default)]
    pub fails_with: Option<String>,
}

fn default_active() -> String {
    "Active".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    pub api_name: String,
    pub label: String,
    #[serde(default = "default_case")]
    pub object: String,
    #[serde(default = "default_process_type")]
    pub process_type: String,
    /// RecordBeforeSave, RecordAfterSave, RecordBeforeDelete, Scheduled, PlatformEvent
    #[serde(default = "default_trigger_type")]
    pub trigger_type: String,
    /// Create, Update, CreateAndUpdate, Delete
    #[serde(default = "default_record_trigger_type")]
    pub record_trigger_type: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub namespace: Option<String>,
}

fn default_process_type() -> String {
    "AutoLaunchedFlow".into()
}
fn default_trigger_type() -> String {
    "RecordAfterSave".into()
}
fn default_record_trigger_type() -> String {
    "CreateAndUpdate".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowRuleSpec {
    pub name: String,
    #[serde(default = "default_case")]
    pub object: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// onCreateOnly, onCreateOrTriggeringUpdate, onAllChanges
    #[serde(default = "default_workflow_trigger")]
    pub trigger_type: String,
    #[serde(default)]
    pub actions: Vec<WorkflowActionSpec>,
}

fn default_workflow_trigger() -> String {
    "onAllChanges".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowActionSpec {
    pub name: String,
    /// EmailAlert, FieldUpdate, OutboundMessage, Task
    pub r#type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRuleSpec {
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectedAppSpec {
    /// Metadata API fullName.
    pub full_name: String,
    pub label: String,
    #[serde(default)]
    pub consumer_key: Option<String>,
    #[serde(default = "default_callback")]
    pub callback_url: String,
    /// Metadata scope names: Api, Full, RefreshToken, Web, Basic, OpenID, ...
    pub scopes: Vec<String>,
    #[serde(default)]
    pub admin_approved_only: bool,
    #[serde(default)]
    pub pkce_required: bool,
    /// Permission sets and profiles pre-authorized (for admin-approved apps).
    #[serde(default)]
    pub permission_sets: Vec<String>,
    #[serde(default)]
    pub profiles: Vec<String>,
    #[serde(default = "default_app_created")]
    pub created: String,
    /// When the app (e.g. its scopes) last changed.
    #[serde(default = "default_app_created")]
    pub last_modified: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default = "default_refresh_policy")]
    pub refresh_token_policy: String,
    /// "Enable Refresh Token Rotation": each refresh returns a new refresh token and ends the old.
    #[serde(default)]
    pub refresh_token_rotation: bool,
}

fn default_callback() -> String {
    "http://localhost:1717/OauthRedirect".into()
}
fn default_app_created() -> String {
    "2024-03-01T10:00:00.000+0000".into()
}
fn default_refresh_policy() -> String {
    "infinite".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalClientAppSpec {
    pub full_name: String,
    pub label: String,
    #[serde(default)]
    pub consumer_key: Option<String>,
    #[serde(default = "default_callback")]
    pub callback_url: String,
    /// Same enum names as connected apps, e.g. ["Api", "RefreshToken"].
    pub scopes: Vec<String>,
    /// Local or Packaged.
    #[serde(default = "default_distribution")]
    pub distribution_state: String,
    #[serde(default = "yes")]
    pub installed: bool,
    #[serde(default = "yes")]
    pub pkce_required: bool,
    #[serde(default)]
    pub admin_approved_only: bool,
    #[serde(default)]
    pub permission_sets: Vec<String>,
    #[serde(default = "default_app_created")]
    pub created: String,
    #[serde(default = "default_app_created")]
    pub last_modified: String,
    /// "Enable Refresh Token Rotation".
    #[serde(default)]
    pub refresh_token_rotation: bool,
    /// "Require secret for Refresh Token Flow"
    /// (`ExtlClntAppGlobalOauthSettings.isSecretRequiredForRefreshToken`): a refresh without
    /// `client_secret` is refused.
    #[serde(default)]
    pub secret_required_for_refresh: bool,
    /// The admin's refresh token policy (`ExtlClntAppOauthConfigurablePolicies.refreshTokenPolicyType`).
    #[serde(default = "default_eca_refresh_policy")]
    pub refresh_token_policy: String,
}

fn default_eca_refresh_policy() -> String {
    "Infinite".into()
}

fn default_distribution() -> String {
    "Local".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OauthTokenSpec {
    pub user: String,
    /// The app's label, as OauthToken.AppName shows it.
    pub app: String,
    pub created: String,
    #[serde(default)]
    pub last_used: Option<String>,
    #[serde(default)]
    pub use_count: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSpec {
    pub namespace: String,
    pub name: String,
    #[serde(default = "default_package_version")]
    pub version: String,
}

fn default_package_version() -> String {
    "1.0".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Added to every request.
    #[serde(default)]
    pub latency_ms: u64,
    /// Every access token expires after this many API calls (401 INVALID_SESSION_ID).
    #[serde(default)]
    pub expire_token_after_calls: Option<u64>,
    /// The first `n` API requests are refused with `REQUEST_LIMIT_EXCEEDED`
    /// "ConcurrentPerOrgLongTxn Limit exceeded" (too many concurrent long-running requests),
    /// while the daily quota still has room.
    #[serde(default)]
    pub concurrent_long_requests: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// Extra custom fields on Case.
    #[serde(default)]
    pub case_fields: u32,
    /// Extra permission sets, each granting read on some of the generated fields.
    #[serde(default)]
    pub permission_sets: u32,
    /// FieldPermissions rows per generated permission set.
    #[serde(default)]
    pub field_permissions_per_set: u32,
    /// Extra Case automations (validation rules, triggers, flows, workflow rules), split evenly.
    #[serde(default)]
    pub automations: u32,
    /// Extra users, each assigned a few generated permission sets.
    #[serde(default)]
    pub users: u32,
    /// Extra Case records.
    #[serde(default)]
    pub cases: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads() {
        for name in builtin_names() {
            let scenario = load_builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(scenario.name, name);
            assert!(
                !scenario.description.is_empty(),
                "{name} has no description"
            );
        }
    }

    #[test]
    fn extends_merges_by_key_and_removes() {
        let text = r#"
            extends = "ready"
            name = "custom"
            [[fields.Case]]
            api_name = "Enterpret_Summary__c"
            remove = true
            [[users]]
            username = "integration@acme.example"
            active = false
        "#;
        let scenario = load_str("custom", text).unwrap();
        let case_fields = &scenario.fields["Case"];
        assert!(case_fields
            .iter()
            .all(|f| f.api_name != "Enterpret_Summary__c"));
        assert!(case_fields
            .iter()
            .any(|f| f.api_name == "Enterpret_Sentiment__c"));
        let user = scenario
            .users
            .iter()
            .find(|u| u.username == "integration@acme.example")
            .unwrap();
        assert!(!user.active);
        assert_eq!(user.profile, "Minimum Access - API Only Integrations");
    }

    /// The built-in `ready` with `extra` TOML on top.
    fn ready_with(extra: &str) -> Result<Scenario, ScenarioError> {
        load_str("x", &format!("extends = \"ready\"\nname = \"x\"\n{extra}"))
    }

    fn invalid(extra: &str) -> String {
        let err = ready_with(extra).unwrap_err();
        assert!(matches!(err, ScenarioError::Invalid { .. }), "{err}");
        err.to_string()
    }

    #[test]
    fn a_file_named_like_the_builtin_it_extends_is_no_cycle() {
        let scenario = load_str("ready", "extends = \"ready\"\nname = \"ready\"").unwrap();
        assert_eq!(scenario.name, "ready");
    }

    #[test]
    fn org_id_api_version_record_ids_and_owners_are_validated_by_name() {
        let message = invalid("[org]\nid = \"00D5g\"");
        assert!(
            message.contains("org.id") && message.contains("'00D5g' has 5"),
            "{message}"
        );
        let message = invalid("[org]\nid = \"5003000000D8cuI\"");
        assert!(message.contains("not an organization Id"), "{message}");
        let message = invalid("api_version = \"banana\"");
        assert!(message.contains("api_version 'banana'"), "{message}");
        assert!(ready_with("api_version = \"61.0\"").is_ok());
        let message = invalid("[[records.Case]]\nId = \"zzz\"\nSubject = \"s\"");
        assert!(
            message.contains("Case") && message.contains("'zzz'"),
            "{message}"
        );
        let message = invalid("[[records.Case]]\nId = \"0035g00000TyPeD\"\nSubject = \"s\"");
        assert!(message.contains("is not a Case Id"), "{message}");
        let message = invalid("[[records.Case]]\nSubject = \"s\"\nOwner = \"nobody@acme.example\"");
        assert!(
            message.contains("Owner \"nobody@acme.example\""),
            "{message}"
        );
    }

    #[test]
    fn generate_counts_at_their_bound_load_and_one_more_is_refused() {
        for (name, max) in GENERATE_LIMITS {
            ready_with(&format!("[generate]\n{name} = {max}"))
                .unwrap_or_else(|e| panic!("{name} = {max}: {e}"));
            let message = invalid(&format!("[generate]\n{name} = {}", max + 1));
            assert!(
                message.contains(&format!("{name} = {}", max + 1)),
                "{message}"
            );
        }
    }

    #[test]
    fn scenario_files_at_the_size_limit_load_and_one_byte_more_is_refused() {
        let dir = std::env::temp_dir().join(format!("scenario-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let head = "extends = \"ready\"\nname = \"big\"\n#";
        let at_limit = format!(
            "{head}{}\n",
            "x".repeat(MAX_SCENARIO_FILE_BYTES as usize - head.len() - 1)
        );
        let path = dir.join("big.toml");
        std::fs::write(&path, &at_limit).unwrap();
        assert_eq!(load_file(&path).unwrap().name, "big");
        std::fs::write(&path, format!("{at_limit} ")).unwrap();
        let err = load_file(&path).unwrap_err();
        assert!(err.to_string().contains("larger than 8 MiB"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn deeply_nested_values_are_an_error_not_a_crash() {
        let depth = 100_000;
        let text = format!(
            "extends = \"ready\"\nname = \"x\"\n[[records.Case]]\nSubject = {}1{}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(load_str("x", &text).is_err());
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = load_str("x", "name = ").unwrap_err();
        assert!(matches!(err, ScenarioError::Syntax { .. }), "{err}");
        let err = load_str("x", "extends = \"nope\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("no built-in scenario named 'nope'"),
            "{err}"
        );
        let err = load_str(
            "x",
            "extends = \"ready\"\nname=\"x\"\n[[fields.Case]]\napi_name=\"Bad\"\nlabel=\"B\"\ntype=\"Text\"",
        )
        .unwrap_err();
        assert!(err.to_string().contains("must end in __c"), "{err}");
        let err = load_str(
            "x",
            "extends = \"ready\"\nname=\"x\"\n[[fields.Case]]\napi_name=\"Bad__c\"\nlabel=\"B\"\ntype=\"Texty\"",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown type 'Texty'"), "{err}");
    }
}
