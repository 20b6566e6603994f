//! The profile file format (TOML): serde types, validation into a [`Profile`], and writing back.

use serde::{Deserialize, Serialize};

use super::{
    is_custom, validate_api_name, Access, AppRequirement, FieldRequirement, FieldType, LoginApp,
    LookupRequirement, PackageRequirement, Profile, ProfileError, RecordTypeRequirement, Usage,
};

/// Longest text a Salesforce text field can hold (Long/Rich Text Area).
const MAX_LONG_TEXT: u32 = 131_072;
/// Longest Text and Text Area field.
const MAX_SHORT_TEXT: u32 = 255;
/// Marks values written by a test write-back.
const TEST_MARKER: &str = "[Write-back Setup Assistant test]";

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    id: String,
    title: String,
    vendor: String,
    #[serde(default)]
    description: String,
    object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    integration_user: Option<String>,
    #[serde(default = "yes")]
    sandbox_supported: bool,
    access: AccessFile,
    #[serde(default)]
    usage: UsageFile,
    app: AppFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lookup: Option<LookupFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record_type: Option<RecordTypeFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<PackageFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    login: Option<LoginFile>,
    #[serde(default)]
    fields: Vec<FieldFile>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LoginFile {
    client_id: String,
    callback_url: String,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct AccessFile {
    #[serde(default)]
    read: bool,
    #[serde(default)]
    create: bool,
    #[serde(default)]
    edit: bool,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct UsageFile {
    #[serde(default)]
    daily_calls: u64,
    #[serde(default)]
    backfill_calls: u64,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    label: String,
    #[serde(default)]
    api_names: Vec<String>,
    #[serde(default = "default_scopes")]
    required_scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    callback_url: Option<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["api".to_string()]
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LookupFile {
    field: String,
    #[serde(default)]
    external_id: bool,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RecordTypeFile {
    developer_name: String,
    label: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PackageFile {
    namespace: String,
    name: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    api_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    label: String,
    /// Read as text so an unknown type gets a message naming the field and the valid types.
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    length: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    accept: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    multiline: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    visible_lines: Option<u32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    test_value: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Line and column (1-based) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

pub(super) fn parse(source_name: &str, toml_text: &str) -> Result<Profile, ProfileError> {
    let raw: ProfileFile = toml::from_str(toml_text).map_err(|e| {
        let message = e.message().trim().to_string();
        let message = match e.span() {
            Some(span) => {
                let (line, column) = line_column(toml_text, span.start);
                format!("{message} (line {line}, column {column})")
            }
            None => message,
        };
        ProfileError::Syntax {
            source_name: source_name.to_string(),
            message,
        }
    })?;
    let mut problems = Problems {
        source_name,
        list: Vec::new(),
    };
    let profile = convert(raw, &mut problems);
    if problems.list.is_empty() {
        Ok(profile)
    } else {
        Err(ProfileError::Invalid {
            source_name: source_name.to_string(),
            message: problems.list.join("\n"),
        })
    }
}

/// Collects every problem in a file, so one round of edits can fix them all.
struct Problems<'a> {
    source_name: &'a str,
    list: Vec<String>,
}

impl Problems<'_> {
    fn profile(&mut self, message: impl std::fmt::Display) {
        self.list
            .push(format!("profile {}: {message}", self.source_name));
    }

    fn field(&mut self, api_name: &str, message: impl std::fmt::Display) {
        self.list.push(format!(
            "field '{api_name}' (profile {}): {message}",
            self.source_name
        ));
    }
}

fn parse_type(name: &str) -> Result<FieldType, String> {
    FieldType::from_name(name).ok_or_else(|| {
        format!(
            "'{name}' is not a field type; use one of {}",
            FieldType::names_list()
        )
    })
}

fn convert(raw: ProfileFile, problems: &mut Problems) -> Profile {
    let id = raw.id.trim().to_string();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        problems.profile(format!(
            "id '{id}' must be non-empty and use only lowercase letters, digits and '-'"
        ));
    }
    for (key, value) in [("title", &raw.title), ("vendor", &raw.vendor)] {
        if value.trim().is_empty() {
            problems.profile(format!("'{key}' must not be empty"));
        }
    }
    let object = raw.object.trim().to_string();
    if let Err(reason) = validate_api_name(&object) {
        problems.profile(format!(
            "object '{object}': '{object}' is not a valid API name: {reason}"
        ));
    }
    if !raw.access.create && !raw.access.edit {
        problems.profile(
            "[access] must allow create or edit (or both): a write-back integration writes",
        );
    }
    if let Some(user) = &raw.integration_user {
        if user.trim().is_empty() || user.contains(char::is_whitespace) {
            problems.profile(format!(
                "integration_user '{user}' must be a Salesforce username (no spaces), or be left out"
            ));
        }
    }

    let app = convert_app(raw.app, problems);

    let mut fields: Vec<FieldRequirement> = Vec::new();
    for raw_field in raw.fields {
        let Some(field) = convert_field(raw_field, problems) else {
            continue;
        };
        if let Some(first) = fields
            .iter()
            .find(|f| f.api_name.eq_ignore_ascii_case(&field.api_name))
        {
            problems.profile(format!("field '{}' appears twice", first.api_name));
            continue;
        }
        fields.push(field);
    }
    if fields.is_empty() {
        problems.profile("it lists no [[fields]]; a write-back writes at least one field");
    }

    let lookup = raw.lookup.map(|l| {
        let field = l.field.trim().to_string();
        match validate_api_name(&field) {
            Err(reason) => problems.profile(format!(
                "[lookup] field: '{field}' is not a valid API name: {reason}"
            )),
            Ok(()) => {
                let listed = fields
                    .iter()
                    .any(|f| f.api_name.eq_ignore_ascii_case(&field));
                if !listed && is_custom(&field) {
                    problems.profile(format!(
                        "[lookup] field '{field}' is a custom field but not one of the profile's \
                         [[fields]]; add it there or look up on a standard field"
                    ));
                }
            }
        }
        LookupRequirement {
            field,
            external_id: l.external_id,
        }
    });

    let record_type = raw.record_type.map(|r| {
        if let Err(reason) = validate_api_name(&r.developer_name) {
            problems.profile(format!(
                "[record_type] developer_name: '{}' is not a valid API name: {reason}",
                r.developer_name
            ));
        }
        if r.label.trim().is_empty() {
            problems.profile("[record_type] label must not be empty");
        }
        RecordTypeRequirement {
            developer_name: r.developer_name,
            label: r.label,
        }
    });

    let package = raw.package.map(|p| {
        if let Err(reason) = super::names::validate_namespace(&p.namespace) {
            problems.profile(format!(
                "[package] namespace: '{}' is not a valid namespace prefix: {reason}",
                p.namespace
            ));
        }
        if p.name.trim().is_empty() {
            problems.profile("[package] name must not be empty");
        }
        PackageRequirement {
            namespace: p.namespace,
            name: p.name,
        }
    });

    let login = raw.login.map(|l| {
        let client_id = l.client_id.trim().to_string();
        if client_id.is_empty() || !client_id.chars().all(|c| c.is_ascii_graphic()) {
            problems.profile(
                "[login] client_id must be the app's consumer key (letters, digits and symbols, no spaces)",
            );
        }
        if crate::login::browser::redirect_port_and_path(&l.callback_url).is_none() {
            problems.profile(format!(
                "[login] callback_url '{}' must be a http://localhost:PORT/path address: the assistant receives the login on this computer",
                l.callback_url
            ));
        }
        LoginApp {
            client_id,
            callback_url: l.callback_url,
        }
    });

    Profile {
        login,
        id,
        title: raw.title,
        vendor: raw.vendor,
        description: raw.description,
        object,
        access: Access {
            read: raw.access.read,
            create: raw.access.create,
            edit: raw.access.edit,
        },
        fields,
        app,
        integration_user: raw.integration_user,
        usage: Usage {
            daily_calls: raw.usage.daily_calls,
            backfill_calls: raw.usage.backfill_calls,
        },
        lookup,
        record_type,
        package,
        sandbox_supported: raw.sandbox_supported,
    }
}

fn convert_app(raw: AppFile, problems: &mut Problems) -> AppRequirement {
    if raw.label.trim().is_empty() {
        problems.profile("[app] label must not be empty (the app's name as Salesforce shows it)");
    }
    for name in &raw.api_names {
        if let Err(reason) = validate_api_name(name) {
            problems.profile(format!(
                "[app] api_names: '{name}' is not a valid API name: {reason}"
            ));
        }
    }
    if raw.required_scopes.is_empty() {
        problems.profile("[app] required_scopes is empty; write-back needs at least \"api\"");
    }
    for scope in &raw.required_scopes {
        if scope.is_empty() || !scope.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            problems.profile(format!(
                "[app] required_scopes: '{scope}' is not an OAuth scope name such as \"api\" or \
                 \"refresh_token\""
            ));
        }
    }
    if let Some(url) = &raw.callback_url {
        if !(url.starts_with("https://") || url.starts_with("http://localhost")) {
            problems.profile(format!(
                "[app] callback_url '{url}' must be an https:// URL (or http://localhost)"
            ));
        }
    }
    AppRequirement {
        label: raw.label,
        api_names: raw.api_names,
        required_scopes: raw.required_scopes,
        callback_url: raw.callback_url,
    }
}

fn convert_field(raw: FieldFile, problems: &mut Problems) -> Option<FieldRequirement> {
    let api_name = raw.api_name.trim().to_string();
    let before = problems.list.len();
    if let Err(reason) = validate_api_name(&api_name) {
        problems.field(
            &api_name,
            format!("'{api_name}' is not a valid API name: {reason}"),
        );
    }
    let field_type = match parse_type(&raw.kind) {
        Ok(t) => Some(t),
        Err(message) => {
            problems.field(&api_name, message);
            None
        }
    };
    let mut accept = Vec::new();
    for name in &raw.accept {
        match parse_type(name) {
            Ok(t) if !accept.contains(&t) => accept.push(t),
            Ok(_) => {}
            Err(message) => problems.field(&api_name, format!("accept: {message}")),
        }
    }
    let field_type = field_type?;
    if !accept.contains(&field_type) {
        accept.insert(0, field_type);
    }
    let label = if raw.label.trim().is_empty() {
        api_name.clone()
    } else {
        raw.label.trim().to_string()
    };

    // Length: required for text kinds, meaningless for most others.
    if field_type.is_text() {
        match raw.length {
            None | Some(0) => problems.field(
                &api_name,
                format!(
                    "a {} field needs a length greater than 0 (the minimum number of characters \
                     the integration writes), e.g. length = 255",
                    field_type.metadata_name()
                ),
            ),
            Some(n) if n > MAX_LONG_TEXT => problems.field(
                &api_name,
                format!("length {n} is more than Salesforce allows ({MAX_LONG_TEXT})"),
            ),
            Some(n)
                if n > MAX_SHORT_TEXT
                    && matches!(field_type, FieldType::Text | FieldType::TextArea) =>
            {
                problems.field(
                    &api_name,
                    format!(
                        "a {} field holds at most {MAX_SHORT_TEXT} characters; use LongTextArea \
                         for length {n}",
                        field_type.metadata_name()
                    ),
                )
            }
            Some(_) => {}
        }
    } else if let Some(n) = raw.length {
        if n == 0 || n > MAX_LONG_TEXT {
            problems.field(
                &api_name,
                format!("length {n} must be between 1 and {MAX_LONG_TEXT}"),
            );
        } else if !matches!(
            field_type,
            FieldType::Url | FieldType::Email | FieldType::Phone
        ) {
            problems.field(
                &api_name,
                format!(
                    "length applies only to text fields, not to {}; remove it",
                    field_type.metadata_name()
                ),
            );
        }
    }
    if raw.visible_lines == Some(0) {
        problems.field(&api_name, "visible_lines must be at least 1 (or left out)");
    }

    let mut values: Vec<String> = Vec::new();
    for value in &raw.values {
        if value.trim().is_empty() {
            problems.field(&api_name, "values must not contain an empty string");
        } else if values.contains(value) {
            problems.field(&api_name, format!("value '{value}' is listed twice"));
        } else {
            values.push(value.clone());
        }
    }
    if values.is_empty() {
        if field_type.is_picklist() {
            problems.field(
                &api_name,
                format!(
                    "a {} field needs `values`: the values the integration writes",
                    field_type.metadata_name()
                ),
            );
        } else if let Some(t) = accept.iter().find(|t| t.is_picklist()) {
            problems.field(
                &api_name,
                format!(
                    "it accepts {t}, so it needs `values`: the values the integration writes \
                     (a restricted picklist must allow them all)"
                ),
            );
        }
    }

    let test_value = match raw.test_value {
        Some(v) => v,
        None => default_test_value(field_type, &label, raw.length, &values),
    };
    check_test_value(
        &api_name,
        field_type,
        &accept,
        raw.length,
        &values,
        &test_value,
        problems,
    );

    if problems.list.len() > before {
        return None;
    }
    Some(FieldRequirement {
        custom: is_custom(&api_name),
        api_name,
        label,
        field_type,
        length: raw.length,
        accept,
        values,
        multiline: raw.multiline,
        visible_lines: raw.visible_lines,
        description: raw.description.trim().to_string(),
        test_value,
    })
}

/// The value a test write-back uses when the file gives none.
fn default_test_value(
    field_type: FieldType,
    label: &str,
    length: Option<u32>,
    values: &[String],
) -> String {
    if let Some(first) = values.first() {
        return first.clone();
    }
    match field_type {
        FieldType::Text | FieldType::TextArea | FieldType::LongTextArea | FieldType::Html => {
            let text = format!("{TEST_MARKER} {label}");
            match length {
                Some(n) => text.chars().take(n as usize).collect(),
                None => text,
            }
        }
        FieldType::Number => "1".into(),
        FieldType::Checkbox => "true".into(),
        FieldType::Date => "2026-01-01".into(),
        FieldType::DateTime => "2026-01-01T00:00:00.000Z".into(),
        FieldType::Email => "writeback-test@example.com".into(),
        FieldType::Url => "https://example.com".into(),
        FieldType::Phone => "+1 555 0100".into(),
        // No sensible default (an Id, or a value list): left empty, reported by the check.
        FieldType::Picklist | FieldType::MultiselectPicklist | FieldType::Lookup => String::new(),
    }
}

fn check_test_value(
    api_name: &str,
    field_type: FieldType,
    accept: &[FieldType],
    length: Option<u32>,
    values: &[String],
    test_value: &str,
    problems: &mut Problems,
) {
    if test_value.is_empty() {
        if field_type == FieldType::Lookup {
            problems.field(
                api_name,
                "a Lookup field needs a test_value: the Id of a record it may point to",
            );
        } else if !field_type.is_picklist() {
            problems.field(api_name, "test_value must not be empty");
        }
        return;
    }
    let is_date = |s: &str| {
        let b = s.as_bytes();
        b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let bad = match field_type {
        FieldType::Number => test_value
            .parse::<f64>()
            .is_err()
            .then_some("a number such as 1"),
        FieldType::Checkbox => {
            (test_value != "true" && test_value != "false").then_some("true or false")
        }
        FieldType::Date => (!is_date(test_value)).then_some("a date such as 2026-01-01"),
        // `get` and not slicing: a multi-byte character must not split a byte range.
        FieldType::DateTime => (test_value.get(..10).is_none_or(|day| !is_date(day))
            || test_value.as_bytes().get(10) != Some(&b'T'))
        .then_some("a date and time such as 2026-01-01T00:00:00.000Z"),
        FieldType::Email => (!test_value.contains('@')).then_some("an email address"),
        _ => None,
    };
    if let Some(expected) = bad {
        problems.field(
            api_name,
            format!("test_value '{test_value}' must be {expected}"),
        );
    }
    if let Some(n) = length {
        if field_type.is_text() && test_value.chars().count() > n as usize {
            problems.field(
                api_name,
                format!("test_value is longer than the field's length ({n})"),
            );
        }
    }
    // A test write must also succeed on a restricted picklist with exactly these values.
    if !values.is_empty() && accept.iter().any(|t| t.is_picklist()) {
        let parts: Vec<&str> = if field_type == FieldType::MultiselectPicklist {
            test_value.split(';').collect()
        } else {
            vec![test_value]
        };
        if let Some(part) = parts.iter().find(|p| !values.iter().any(|v| v == *p)) {
            problems.field(
                api_name,
                format!(
                    "test_value '{part}' is not one of its values ({}); a restricted picklist \
                     would reject it",
                    values.join(", ")
                ),
            );
        }
    }
}

pub(super) fn to_toml(profile: &Profile) -> String {
    let file = ProfileFile {
        id: profile.id.clone(),
        title: profile.title.clone(),
        vendor: profile.vendor.clone(),
        description: profile.description.clone(),
        object: profile.object.clone(),
        integration_user: profile.integration_user.clone(),
        sandbox_supported: profile.sandbox_supported,
        access: AccessFile {
            read: profile.access.read,
            create: profile.access.create,
            edit: profile.access.edit,
        },
        usage: UsageFile {
            daily_calls: profile.usage.daily_calls,
            backfill_calls: profile.usage.backfill_calls,
        },
        app: AppFile {
            label: profile.app.label.clone(),
            api_names: profile.app.api_names.clone(),
            required_scopes: profile.app.required_scopes.clone(),
            callback_url: profile.app.callback_url.clone(),
        },
        lookup: profile.lookup.as_ref().map(|l| LookupFile {
            field: l.field.clone(),
            external_id: l.external_id,
        }),
        record_type: profile.record_type.as_ref().map(|r| RecordTypeFile {
            developer_name: r.developer_name.clone(),
            label: r.label.clone(),
        }),
        package: profile.package.as_ref().map(|p| PackageFile {
            namespace: p.namespace.clone(),
            name: p.name.clone(),
        }),
        login: profile.login.as_ref().map(|l| LoginFile {
            client_id: l.client_id.clone(),
            callback_url: l.callback_url.clone(),
        }),
        fields: profile
            .fields
            .iter()
            .map(|f| FieldFile {
                api_name: f.api_name.clone(),
                label: f.label.clone(),
                kind: f.field_type.metadata_name().to_string(),
                length: f.length,
                accept: f
                    .accept
                    .iter()
                    .map(|t| t.metadata_name().to_string())
                    .collect(),
                values: f.values.clone(),
                multiline: f.multiline,
                visible_lines: f.visible_lines,
                description: f.description.clone(),
                test_value: Some(f.test_value.clone()),
            })
            .collect(),
    };
    // Plain structs of strings, numbers and arrays always serialize.
    toml::to_string_pretty(&file).unwrap_or_else(|e| format!("# cannot write profile: {e}\n"))
}
