//! Pure functions from fetched answers (`Gathered`) to findings.

use super::{
    AppKind, AppListing, AppSettings, FetchError, Finding, Gathered, Inputs, OrgSummary, Status,
    Step, Verdict,
};
use crate::profile::{FieldRequirement, FieldType, Profile};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

type Record = Map<String, Value>;

/// Findings plus what the report shows about the org and the candidate users.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub org: OrgSummary,
    pub candidates: Vec<String>,
}

const FIELDS_PAGE: &str = "/lightning/setup/ObjectManager/{object}/FieldsAndRelationships/view";
const PERMISSION_SETS_PAGE: &str = "/lightning/setup/PermSets/home";
const USERS_PAGE: &str = "/lightning/setup/ManageUsers/home";
const APP_MANAGER_PAGE: &str = "/lightning/setup/NavigationMenus/home";
const ECA_MANAGER_PAGE: &str = "/lightning/setup/ManageExternalClientApplication/home";
const OAUTH_USAGE_PAGE: &str = "/lightning/setup/ConnectedAppsUsage/home";
const VALIDATION_PAGE: &str = "/lightning/setup/ObjectManager/{object}/ValidationRules/view";
const SYSTEM_OVERVIEW_PAGE: &str = "/lightning/setup/SystemOverview/home";
const COMPANY_PAGE: &str = "/lightning/setup/CompanyProfileInfo/home";
const RECORD_TYPES_PAGE: &str = "/lightning/setup/ObjectManager/{object}/RecordTypes/view";
const PACKAGES_PAGE: &str = "/lightning/setup/ImportedPackage/home";

/// A finding under construction.
fn finding(id: &str, step: Step, status: Status, title: impl Into<String>) -> Finding {
    Finding {
        id: id.to_string(),
        step,
        status,
        title: title.into(),
        detail: String::new(),
        fix: None,
        setup_path: None,
        granted_by: Vec::new(),
        evidence: Vec::new(),
    }
}

trait Build {
    fn detail(self, text: impl Into<String>) -> Self;
    fn fix(self, text: impl Into<String>) -> Self;
    fn page(self, path: &str, object: &str) -> Self;
    fn evidence(self, lines: impl IntoIterator<Item = String>) -> Self;
    fn granted_by(self, lines: impl IntoIterator<Item = String>) -> Self;
}

impl Build for Finding {
    fn detail(mut self, text: impl Into<String>) -> Self {
        self.detail = text.into();
        self
    }
    fn fix(mut self, text: impl Into<String>) -> Self {
        self.fix = Some(text.into());
        self
    }
    fn page(mut self, path: &str, object: &str) -> Self {
        self.setup_path = Some(path.replace("{object}", object));
        self
    }
    fn evidence(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(lines);
        self
    }
    fn granted_by(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.granted_by.extend(lines);
        self
    }
}

/// Value at a dotted path (`Assignee.Profile.Name`) of a record.
fn at<'a>(record: &'a Record, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = record.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    (!current.is_null()).then_some(current)
}

fn text<'a>(record: &'a Record, path: &str) -> Option<&'a str> {
    at(record, path).and_then(Value::as_str)
}

fn flag(record: &Record, path: &str) -> bool {
    at(record, path).and_then(Value::as_bool).unwrap_or(false)
}

/// The records of a query answer (a composite subrequest body).
fn records_of(value: &Value) -> Vec<Record> {
    crate::request::records(value)
        .map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default()
}

fn child_records(record: &Record, relationship: &str) -> Vec<Record> {
    record.get(relationship).map(records_of).unwrap_or_default()
}

fn answer<'a>(g: &'a Gathered, id: &str) -> Option<Result<&'a Value, &'a FetchError>> {
    g.answers.get(id).map(|r| r.as_ref())
}

/// The planned requests (and the app listing) whose answer is missing, an error, or not the
/// JSON object Salesforce sends (a query result without its `records`).
fn unreadable_answers(profile: &Profile, inputs: &Inputs, g: &Gathered) -> Vec<String> {
    let plan = super::plan(profile, inputs);
    let mut unreadable: Vec<String> = plan
        .standard
        .iter()
        .chain(&plan.tooling)
        .flatten()
        .filter(|request| match answer(g, &request.reference_id) {
            Some(Ok(value)) => {
                !value.is_object() || (request.is_query && crate::request::records(value).is_none())
            }
            Some(Err(_)) | None => true,
        })
        .map(|request| request.reference_id.clone())
        .collect();
    if !matches!(g.app_listings, Some(Ok(_))) {
        unreadable.push("app listing".into());
    }
    unreadable
}

/// The records of a planned query's answer. An answer without a `records` array is not a query
/// result: it reads as an error (the check cannot tell), never as "no rows".
fn answer_records(g: &Gathered, id: &str) -> Option<Result<Vec<Record>, FetchError>> {
    answer(g, id).map(|r| match r {
        Ok(value) if crate::request::records(value).is_some() => Ok(records_of(value)),
        Ok(_) => Err(FetchError {
            code: UNREADABLE_ANSWER.into(),
            message: format!("the answer to '{id}' is not a query result"),
        }),
        Err(e) => Err(e.clone()),
    })
}

/// The code of a [`FetchError`] for an answer that arrived but is not the shape asked for.
const UNREADABLE_ANSWER: &str = "UNREADABLE_ANSWER";

fn parse_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    crate::request::parse_instant(text)
}

fn day(text: &str) -> String {
    parse_time(text)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| text.to_string())
}

/// 1234567 as "1,234,567", the way Setup shows counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fetch_problem(e: &FetchError) -> String {
    format!("Salesforce answered {}: {}", e.code, e.message)
}

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The app listing that is the integration's app: by API name, else by a name containing its label.
pub fn pick_app<'a>(profile: &Profile, listings: &'a [AppListing]) -> Option<&'a AppListing> {
    let app_name = |l: &AppListing| match l.kind {
        AppKind::ExternalClientApp => l.full_name.trim_end_matches("_oauth").to_string(),
        AppKind::ConnectedApp => l.full_name.clone(),
    };
    let by_api_name = listings.iter().find(|l| {
        let name = app_name(l);
        profile
            .app
            .api_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&name) || n.eq_ignore_ascii_case(&l.full_name))
    });
    by_api_name.or_else(|| {
        let label = normalized(&profile.app.label);
        listings
            .iter()
            .find(|l| !label.is_empty() && normalized(&app_name(l)).contains(&label))
    })
}

// ---- facts about the integration user ---------------------------------------------------

/// One permission set (profile-owned, assigned, or a group's aggregate) the user holds.
struct HeldSet {
    grantor: String,
    counts: bool,
    why_not: Option<String>,
    api_enabled: bool,
    modify_all: bool,
    view_all: bool,
    object: (bool, bool, bool),
    fields: BTreeMap<String, (bool, bool)>,
}

struct UserFacts {
    username: String,
    name: String,
    active: bool,
    profile: String,
    license: String,
    sets: Vec<HeldSet>,
}

fn user_facts(perms: &[Record], username: &str, now: &str) -> Option<UserFacts> {
    let now = parse_time(now);
    let mut user: Option<UserFacts> = None;
    let mut sets = Vec::new();
    for ps in perms {
        let assignments = child_records(ps, "Assignments");
        if user.is_none() {
            if let Some(a) = assignments.first() {
                user = Some(UserFacts {
                    username: text(a, "Assignee.Username").unwrap_or(username).to_string(),
                    name: text(a, "Assignee.Name").unwrap_or("").to_string(),
                    active: flag(a, "Assignee.IsActive"),
                    profile: text(a, "Assignee.Profile.Name").unwrap_or("").to_string(),
                    license: text(a, "Assignee.Profile.UserLicense.Name")
                        .unwrap_or("")
                        .to_string(),
                    sets: Vec::new(),
                });
            }
        }
        let grantor = if flag(ps, "IsOwnedByProfile") {
            format!(
                "profile {}",
                text(ps, "Profile.Name").unwrap_or("(unnamed)")
            )
        } else if text(ps, "Type") == Some("Group") || at(ps, "PermissionSetGroup").is_some() {
            format!(
                "permission set group {}",
                text(ps, "PermissionSetGroup.MasterLabel")
                    .or_else(|| text(ps, "Label"))
                    .unwrap_or("(unnamed)")
            )
        } else {
            format!(
                "permission set {}",
                text(ps, "Label")
                    .or_else(|| text(ps, "Name"))
                    .unwrap_or("(unnamed)")
            )
        };
        let expired = !assignments.is_empty()
            && assignments.iter().all(|a| {
                text(a, "ExpirationDate")
                    .and_then(parse_time)
                    .zip(now)
                    .is_some_and(|(expiry, now)| expiry <= now)
            });
        let session_only = flag(ps, "HasActivationRequired");
        let why_not = if expired {
            Some(format!("{grantor}: the assignment has expired"))
        } else if session_only {
            Some(format!(
                "{grantor}: needs session activation, which an integration never does"
            ))
        } else {
            None
        };
        let object =
            child_records(ps, "ObjectPerms")
                .iter()
                .fold((false, false, false), |acc, o| {
                    (
                        acc.0 || flag(o, "PermissionsRead"),
                        acc.1 || flag(o, "PermissionsCreate"),
                        acc.2 || flag(o, "PermissionsEdit"),
                    )
                });
        let mut fields = BTreeMap::new();
        for fp in child_records(ps, "FieldPerms") {
            if let Some(field) = text(&fp, "Field") {
                let entry = fields.entry(field.to_lowercase()).or_insert((false, false));
                entry.0 |= flag(&fp, "PermissionsRead");
                entry.1 |= flag(&fp, "PermissionsEdit");
            }
        }
        sets.push(HeldSet {
            grantor,
            counts: why_not.is_none(),
            why_not,
            api_enabled: flag(ps, "PermissionsApiEnabled"),
            modify_all: flag(ps, "PermissionsModifyAllData"),
            view_all: flag(ps, "PermissionsViewAllData"),
            object,
            fields,
        });
    }
    user.map(|mut u| {
        u.sets = sets;
        u
    })
}

// ---- fields -------------------------------------------------------------------------------

/// What the org has for one field the profile needs.
#[derive(Clone, Debug)]
struct FieldSeen {
    field_type: Option<FieldType>,
    length: Option<u32>,
    formula: bool,
    describe: Option<Record>,
}

fn describe_type(d: &Record) -> Option<FieldType> {
    let length = at(d, "length").and_then(Value::as_u64).unwrap_or(0);
    Some(match text(d, "type")? {
        "string" => FieldType::Text,
        "textarea"
            if text(d, "extraTypeInfo") == Some("richtextarea") || flag(d, "htmlFormatted") =>
        {
            FieldType::Html
        }
        "textarea" if length > 255 => FieldType::LongTextArea,
        "textarea" => FieldType::TextArea,
        "picklist" => FieldType::Picklist,
        "multipicklist" => FieldType::MultiselectPicklist,
        "boolean" => FieldType::Checkbox,
        "double" | "int" | "currency" | "percent" | "long" => FieldType::Number,
        "date" => FieldType::Date,
        "datetime" => FieldType::DateTime,
        "email" => FieldType::Email,
        "phone" => FieldType::Phone,
        "url" => FieldType::Url,
        "reference" => FieldType::Lookup,
        _ => return None,
    })
}

fn fields_seen(g: &Gathered) -> (BTreeMap<String, FieldSeen>, bool) {
    let mut seen: BTreeMap<String, FieldSeen> = BTreeMap::new();
    let described: Vec<Record> = answer(g, "describe")
        .and_then(Result::ok)
        .and_then(|d| d.get("fields"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|f| f.as_object().cloned()).collect())
        .unwrap_or_default();
    let definitions = answer_records(g, "fields");
    let definitions_ok = matches!(definitions, Some(Ok(_)));
    for def in definitions.and_then(Result::ok).unwrap_or_default() {
        let Some(name) = text(&def, "QualifiedApiName") else {
            continue;
        };
        let parsed = text(&def, "DataType").and_then(FieldType::from_data_type);
        let length = at(&def, "Length")
            .and_then(Value::as_u64)
            .filter(|l| *l > 0)
            .map(|l| l as u32);
        seen.insert(
            name.to_lowercase(),
            FieldSeen {
                field_type: parsed.map(|p| p.0),
                length: parsed.and_then(|p| p.1).or(length),
                formula: parsed.is_some_and(|p| p.2),
                describe: None,
            },
        );
    }
    for d in described {
        let Some(name) = text(&d, "name") else {
            continue;
        };
        let entry = seen.entry(name.to_lowercase()).or_insert(FieldSeen {
            field_type: None,
            length: None,
            formula: false,
            describe: None,
        });
        entry.field_type = describe_type(&d).or(entry.field_type);
        if let Some(length) = at(&d, "length").and_then(Value::as_u64).filter(|l| *l > 0) {
            entry.length = Some(length as u32);
        }
        entry.formula |= flag(&d, "calculated");
        entry.describe = Some(d);
    }
    (seen, definitions_ok)
}

fn field_create_fix(profile: &Profile, f: &FieldRequirement) -> String {
    let length = f
        .length
        .map(|l| format!(", length {}", thousands(u64::from(l))))
        .unwrap_or_default();
    let lines = f
        .visible_lines
        .map(|l| format!(", {l} visible lines"))
        .unwrap_or_default();
    let values = if f.values.is_empty()
        || !matches!(
            f.field_type,
            FieldType::Picklist | FieldType::MultiselectPicklist
        ) {
        String::new()
    } else {
        format!(", values {}", f.values.join(", "))
    };
    format!(
        "Create \"{}\": Setup > Object Manager > {} > Fields & Relationships > New > {}{length}{lines}{values}; Field Name {} (API name {}).",
        f.label,
        profile.object,
        f.field_type.label(),
        f.api_name.trim_end_matches("__c"),
        f.api_name
    )
}

fn check_fields(profile: &Profile, g: &Gathered, out: &mut Vec<Finding>) -> Vec<String> {
    let (seen, definitions_ok) = fields_seen(g);
    let object = &profile.object;
    let mut existing = Vec::new();
    let mut missing = Vec::new();
    for f in &profile.fields {
        if seen.contains_key(&f.api_name.to_lowercase()) {
            existing.push(f);
        } else {
            missing.push(f);
        }
    }
    // fields.exist
    let mut evidence = vec![format!(
        "FieldDefinition (Tooling API) and the {object} describe: {} of {} found",
        existing.len(),
        profile.fields.len()
    )];
    evidence.extend(profile.fields.iter().map(|f| {
        let found = existing.iter().any(|e| e.api_name == f.api_name);
        format!(
            "{}: {}",
            f.api_name,
            if found { "found" } else { "missing" }
        )
    }));
    let exist = if missing.is_empty() {
        finding(
            "fields.exist",
            Step::Fields,
            Status::Pass,
            format!("All {} fields exist on {object}", profile.fields.len()),
        )
        .detail(format!(
            "Found {}.",
            existing
                .iter()
                .map(|f| f.api_name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    } else if !definitions_ok {
        finding("fields.exist", Step::Fields, Status::Unknown, format!("Could not confirm every field on {object}"))
            .detail(format!(
                "{} not visible to you, and the field definitions could not be read, so they may exist without field-level access.",
                missing.iter().map(|f| f.api_name.as_str()).collect::<Vec<_>>().join(", ")
            ))
            .fix("Log in as an admin with View Setup and Configuration, or check Object Manager yourself.")
    } else {
        let names: Vec<&str> = missing.iter().map(|f| f.api_name.as_str()).collect();
        finding(
            "fields.exist",
            Step::Fields,
            Status::Fail,
            format!("{} of {} fields missing on {object}", missing.len(), profile.fields.len()),
        )
        .detail(format!(
            "{} {} not exist. The integration writes to {}, so every write would fail with INVALID_FIELD.",
            names.join(", "),
            if names.len() == 1 { "does" } else { "do" },
            if names.len() == 1 { "it" } else { "them" }
        ))
        .fix(missing.iter().map(|f| field_create_fix(profile, f)).collect::<Vec<_>>().join("\n"))
    };
    out.push(exist.page(FIELDS_PAGE, object).evidence(evidence));

    // fields.types
    if existing.is_empty() {
        out.push(
            finding("fields.types", Step::Fields, Status::Skipped, "Field types")
                .detail("No field exists yet to check.".to_string()),
        );
    } else {
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        let mut evidence = Vec::new();
        for f in &existing {
            let s = &seen[&f.api_name.to_lowercase()];
            let Some(actual) = s.field_type else {
                unknown.push(f.api_name.clone());
                continue;
            };
            let length = s
                .length
                .map(|l| format!("({})", thousands(u64::from(l))))
                .unwrap_or_default();
            evidence.push(format!(
                "{}: {}{length}{}",
                f.api_name,
                actual.label(),
                if s.formula { ", formula" } else { "" }
            ));
            let wanted = f
                .length
                .map(|l| format!(" of at least {}", thousands(u64::from(l))))
                .unwrap_or_default();
            if s.formula {
                problems.push(format!(
                    "{} is a formula field, which cannot be written. Recreate it as {}{wanted}.",
                    f.api_name,
                    f.field_type.label()
                ));
            } else if !f.accept.contains(&actual) {
                let why = if actual == FieldType::Html {
                    " (rich text would store HTML, not plain text)".to_string()
                } else {
                    String::new()
                };
                problems.push(format!(
                    "{} is {}{why}; the integration needs {}{wanted}. Change the field type in Object Manager (or delete and recreate it).",
                    f.api_name,
                    actual.label(),
                    f.field_type.label()
                ));
            } else if let (Some(need), Some(have)) = (f.length, s.length) {
                let text_kind = matches!(
                    actual,
                    FieldType::Text
                        | FieldType::TextArea
                        | FieldType::LongTextArea
                        | FieldType::Html
                );
                if text_kind && have < need {
                    problems.push(format!(
                        "{} holds {} characters; the integration writes up to {}. Edit the field and set Length to {}.",
                        f.api_name,
                        thousands(u64::from(have)),
                        thousands(u64::from(need)),
                        thousands(u64::from(need))
                    ));
                }
            }
        }
        let status = if !problems.is_empty() {
            Status::Fail
        } else if !unknown.is_empty() {
            Status::Unknown
        } else {
            Status::Pass
        };
        let title = match status {
            Status::Pass => "Field types and lengths fit".to_string(),
            Status::Fail => format!(
                "{} field{} with the wrong type or length",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ),
            _ => "Could not read every field's type".to_string(),
        };
        let mut f = finding("fields.types", Step::Fields, status, title)
            .page(FIELDS_PAGE, object)
            .evidence(evidence);
        if status == Status::Fail {
            f = f.detail(problems.join(" ")).fix(problems.join(" "));
        } else if status == Status::Unknown {
            f = f.detail(format!("Type not visible for {}.", unknown.join(", ")));
        } else {
            f = f
                .detail("Every field has a type and length the integration can write.".to_string());
        }
        out.push(f);
    }

    // fields.picklist
    let valued: Vec<(usize, &FieldRequirement)> = profile
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.values.is_empty() && existing.iter().any(|e| e.api_name == f.api_name))
        .collect();
    if valued.is_empty() {
        out.push(
            finding(
                "fields.picklist",
                Step::Fields,
                Status::Skipped,
                "Picklist values",
            )
            .detail("No field the integration sends fixed values to exists yet.".to_string()),
        );
    } else {
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        let mut evidence = Vec::new();
        for (i, f) in valued {
            let s = &seen[&f.api_name.to_lowercase()];
            if !matches!(
                s.field_type,
                Some(FieldType::Picklist | FieldType::MultiselectPicklist)
            ) {
                evidence.push(format!(
                    "{}: not a picklist, any value is accepted",
                    f.api_name
                ));
                continue;
            }
            let from_describe = s.describe.as_ref().map(|d| {
                let values: Vec<String> = at(d, "picklistValues")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter(|v| v.get("active") == Some(&Value::Bool(true)))
                            .filter_map(|v| {
                                v.get("value").and_then(Value::as_str).map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (flag(d, "restrictedPicklist"), values)
            });
            let from_metadata = answer_records(g, &format!("picklist_{i}"))
                .and_then(Result::ok)
                .and_then(|rows| rows.into_iter().next())
                .and_then(|row| {
                    let value_set = at(&row, "Metadata.valueSet")?.as_object()?.clone();
                    let restricted = value_set
                        .get("restricted")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let values = value_set
                        .get("valueSetDefinition")
                        .and_then(|d| d.get("value"))
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| {
                                    v.get("fullName")
                                        .and_then(Value::as_str)
                                        .map(str::to_string)
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some((restricted, values))
                });
            let Some((restricted, values)) = from_describe.or(from_metadata) else {
                unknown.push(f.api_name.clone());
                continue;
            };
            evidence.push(format!(
                "{}: {} picklist with {}",
                f.api_name,
                if restricted {
                    "restricted"
                } else {
                    "unrestricted"
                },
                values.join(", ")
            ));
            let absent: Vec<&String> = f.values.iter().filter(|v| !values.contains(v)).collect();
            if restricted && !absent.is_empty() {
                let absent: Vec<&str> = absent.iter().map(|s| s.as_str()).collect();
                problems.push(format!(
                    "{} is a restricted picklist without {}; a write of {} is rejected (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST). Add the value{} to the picklist, or untick \"Restrict picklist to the values defined in the value set\", or use a Text(255) field.",
                    f.api_name,
                    absent.join(", "),
                    absent.join(" or "),
                    if absent.len() == 1 { "" } else { "s" }
                ));
            }
        }
        let status = if !problems.is_empty() {
            Status::Fail
        } else if !unknown.is_empty() {
            Status::Unknown
        } else {
            Status::Pass
        };
        let title = match status {
            Status::Pass => "Every value the integration sends is accepted",
            Status::Fail => "A picklist rejects values the integration sends",
            _ => "Could not read picklist values",
        };
        let mut f = finding("fields.picklist", Step::Fields, status, title)
            .page(FIELDS_PAGE, object)
            .evidence(evidence);
        f = match status {
            Status::Fail => f.detail(problems.join(" ")).fix(problems.join(" ")),
            Status::Unknown => f.detail(format!("Values not readable for {}.", unknown.join(", "))),
            _ => f.detail("The fields take every value the integration writes.".to_string()),
        };
        out.push(f);
    }
    existing.iter().map(|f| f.api_name.clone()).collect()
}

// ---- the org --------------------------------------------------------------------------------

fn check_org(profile: &Profile, g: &Gathered, out: &mut Vec<Finding>) -> OrgSummary {
    let mut summary = OrgSummary::default();
    if let Some(refused) = &g.refused {
        if refused.code == "API_DISABLED_FOR_ORG" {
            out.push(
                finding("org.api_access", Step::Connect, Status::Fail, "The org's API is turned off")
                    .detail(format!(
                        "{} The integration writes through the Salesforce API, so it cannot work in this org.",
                        fetch_problem(refused)
                    ))
                    .fix("API access comes with Enterprise, Unlimited, Performance and Developer Edition. In Professional Edition, ask your Salesforce account executive for the API add-on.")
                    .page(COMPANY_PAGE, ""),
            );
            return summary;
        }
    }
    match answer(g, "org") {
        // The Organization record is an object with its Id; anything else is not an answer.
        Some(Ok(value)) if value.get("Id").is_some_and(Value::is_string) => {
            let record = value.as_object().cloned().unwrap_or_default();
            summary.id = text(&record, "Id").unwrap_or("").to_string();
            summary.name = text(&record, "Name").unwrap_or("").to_string();
            summary.edition = text(&record, "OrganizationType").unwrap_or("").to_string();
            summary.is_sandbox = flag(&record, "IsSandbox");
            summary.instance = text(&record, "InstanceName").unwrap_or("").to_string();
            let kind = if summary.is_sandbox {
                "sandbox"
            } else {
                "production org"
            };
            let trial = text(&record, "TrialExpirationDate")
                .map(|d| format!(", trial until {}", day(d)))
                .unwrap_or_default();
            let evidence = vec![format!(
                "Organization {}: {}, IsSandbox={}, instance {}",
                summary.id, summary.edition, summary.is_sandbox, summary.instance
            )];
            let f = if summary.is_sandbox && !profile.sandbox_supported {
                finding(
                    "org.api_access",
                    Step::Connect,
                    Status::Warn,
                    format!("{} is a sandbox", summary.name),
                )
                .detail(format!(
                    "{} does not support sandboxes: set it up in production.",
                    profile.vendor
                ))
            } else {
                finding(
                    "org.api_access",
                    Step::Connect,
                    Status::Pass,
                    format!(
                        "{}: {} {kind}, API available",
                        summary.name, summary.edition
                    ),
                )
                .detail(format!("The API answers{trial}."))
            };
            out.push(f.evidence(evidence));
        }
        Some(Err(e)) => out.push(
            finding(
                "org.api_access",
                Step::Connect,
                Status::Unknown,
                "Could not read the organization",
            )
            .detail(fetch_problem(e)),
        ),
        Some(Ok(_)) => out.push(
            finding(
                "org.api_access",
                Step::Connect,
                Status::Unknown,
                "Organization not readable",
            )
            .detail("The answer for the Organization record is not a record."),
        ),
        None => out.push(finding(
            "org.api_access",
            Step::Connect,
            Status::Unknown,
            "Organization not read",
        )),
    }
    summary
}

fn check_budget(profile: &Profile, g: &Gathered, out: &mut Vec<Finding>) {
    let limit_hit = g
        .refused
        .as_ref()
        .is_some_and(|e| e.code == "REQUEST_LIMIT_EXCEEDED");
    let Some((used, max)) = g.api_usage else {
        let f = if limit_hit {
            finding("org.api_budget", Step::Connect, Status::Fail, "The org has used all its API calls for today")
                .detail("Salesforce answered REQUEST_LIMIT_EXCEEDED: no API call works until the 24-hour window frees some.")
                .fix("Wait for usage to drop (Setup > System Overview shows it), find the app using the calls, or buy more API capacity.")
                .page(SYSTEM_OVERVIEW_PAGE, "")
        } else {
            finding(
                "org.api_budget",
                Step::Connect,
                Status::Unknown,
                "Daily API use not known",
            )
            .detail("Salesforce did not report the org's API usage.")
        };
        out.push(f);
        return;
    };
    let max = max.max(1);
    let percent = used as f64 * 100.0 / max as f64;
    let headroom = max.saturating_sub(used);
    let daily = profile.usage.daily_calls;
    let backfill = profile.usage.backfill_calls;
    let evidence = vec![format!("Sforce-Limit-Info: api-usage={used}/{max}")];
    let summary = format!(
        "{} of {} daily API calls used ({percent:.1}%); {} left today. The integration expects about {} calls a day and a one-off backfill of {}.",
        thousands(used),
        thousands(max),
        thousands(headroom),
        thousands(daily),
        thousands(backfill)
    );
    let (status, title, fix) = if limit_hit || percent > 95.0 || headroom < daily {
        (
            Status::Fail,
            format!("API budget nearly spent ({percent:.0}%)"),
            Some("Find what uses the calls (Setup > System Overview, and the API Usage report), schedule the integration's first sync for after the 24-hour window, or buy more API capacity."),
        )
    } else if percent > 75.0 || headroom < daily + backfill {
        let days = if headroom == 0 {
            0
        } else {
            backfill.div_ceil(headroom.max(1))
        };
        (
            Status::Warn,
            format!("API budget is tight ({percent:.0}%)"),
            Some(if headroom < daily + backfill && days > 1 {
                "At today's headroom the backfill needs several days: ask the vendor to spread it, or free API capacity first."
            } else {
                "Watch API use in Setup > System Overview; the integration's calls add to it."
            }),
        )
    } else {
        (
            Status::Pass,
            format!("API budget has room ({percent:.0}% used)"),
            None,
        )
    };
    let mut f = finding("org.api_budget", Step::Connect, status, title)
        .detail(summary)
        .page(SYSTEM_OVERVIEW_PAGE, "")
        .evidence(evidence);
    if let Some(fix) = fix {
        f = f.fix(fix);
    }
    out.push(f);
}

// ---- the app --------------------------------------------------------------------------------

fn has_scope(scopes: &[String], wanted: &str) -> bool {
    scopes.iter().any(|s| {
        let s = s.trim().to_ascii_lowercase();
        s == wanted.to_ascii_lowercase() || s == "full"
    })
}

/// Returns the matched listing (for the re-authorization check).
fn check_app(
    profile: &Profile,
    user: Option<&UserFacts>,
    g: &Gathered,
    out: &mut Vec<Finding>,
) -> Option<AppListing> {
    let label = &profile.app.label;
    let listings = match &g.app_listings {
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            let manual = format!(
                "Confirm manually: Setup > App Manager shows \"{label}\" (Connected App) or External Client App Manager shows it, and its OAuth scopes include \"Manage user data via APIs (api)\"."
            );
            out.push(
                finding(
                    "app.found",
                    Step::App,
                    Status::Unknown,
                    format!("Could not look up the {label} app"),
                )
                .detail(format!(
                    "{} Reading app settings needs Customize Application.",
                    fetch_problem(e)
                ))
                .fix(manual.clone())
                .page(APP_MANAGER_PAGE, ""),
            );
            out.push(
                finding(
                    "app.scopes",
                    Step::App,
                    Status::Unknown,
                    "OAuth scopes not readable",
                )
                .detail("The app's settings could not be read with your login.")
                .fix(manual)
                .page(APP_MANAGER_PAGE, ""),
            );
            out.push(
                finding(
                    "app.policy",
                    Step::App,
                    Status::Unknown,
                    "App policies not readable",
                )
                .page(APP_MANAGER_PAGE, ""),
            );
            return None;
        }
        // Always fetched: no listing at all is "could not check", never a silent pass.
        None => {
            out.push(
                finding(
                    "app.found",
                    Step::App,
                    Status::Unknown,
                    format!("Could not look up the {label} app"),
                )
                .detail("The Metadata API listing of apps was not read.")
                .page(APP_MANAGER_PAGE, ""),
            );
            return None;
        }
    };
    let Some(app) = pick_app(profile, listings).cloned() else {
        let names: Vec<String> = listings
            .iter()
            .map(|l| format!("{} {}", l.kind.label(), l.full_name))
            .collect();
        out.push(
            finding("app.found", Step::App, Status::Fail, format!("No {label} app in this org"))
                .detail(format!(
                    "No Connected App or External Client App matches \"{label}\"{}. The integration logs in through its app, so it cannot connect.",
                    if profile.app.api_names.is_empty() { String::new() } else { format!(" or the API names {}", profile.app.api_names.join(", ")) }
                ))
                .fix(format!("Install {label}'s app (the vendor sends the install link), or connect {label} once so its app appears, then re-check."))
                .page(APP_MANAGER_PAGE, "")
                .evidence(vec![format!("Metadata API listMetadata: {}", if names.is_empty() { "no apps".to_string() } else { names.join(", ") })]),
        );
        out.push(
            finding("app.scopes", Step::App, Status::Skipped, "OAuth scopes")
                .detail("The app is not in the org."),
        );
        out.push(
            finding("app.policy", Step::App, Status::Skipped, "App policies")
                .detail("The app is not in the org."),
        );
        return None;
    };
    let page = match app.kind {
        AppKind::ConnectedApp => APP_MANAGER_PAGE,
        AppKind::ExternalClientApp => ECA_MANAGER_PAGE,
    };
    out.push(
        finding(
            "app.found",
            Step::App,
            Status::Pass,
            format!(
                "{} {} found",
                app.kind.label(),
                app.full_name.trim_end_matches("_oauth")
            ),
        )
        .detail(format!(
            "The integration's app is in the org{}.",
            app.last_modified
                .as_deref()
                .map(|d| format!(", last changed {}", day(d)))
                .unwrap_or_default()
        ))
        .page(page, "")
        .evidence(vec![format!(
            "Metadata API listMetadata: {} {}",
            app.kind.label(),
            app.full_name
        )]),
    );
    match &g.app_settings {
        Some(Ok(settings)) => {
            check_scopes(profile, &app, settings, page, out);
            check_policy(&app, settings, user, page, out);
        }
        Some(Err(e)) => {
            out.push(
                finding("app.scopes", Step::App, Status::Unknown, "OAuth scopes not readable")
                    .detail(fetch_problem(e))
                    .fix(format!("Confirm manually: open {} in Setup and check that Selected OAuth Scopes include \"Manage user data via APIs (api)\".", app.full_name))
                    .page(page, ""),
            );
            out.push(
                finding(
                    "app.policy",
                    Step::App,
                    Status::Unknown,
                    "App policies not readable",
                )
                .detail(fetch_problem(e))
                .page(page, ""),
            );
        }
        None => {
            out.push(
                finding(
                    "app.scopes",
                    Step::App,
                    Status::Unknown,
                    "OAuth scopes not read",
                )
                .page(page, ""),
            );
            out.push(
                finding(
                    "app.policy",
                    Step::App,
                    Status::Unknown,
                    "App policies not read",
                )
                .page(page, ""),
            );
        }
    }
    Some(app)
}

fn check_scopes(
    profile: &Profile,
    app: &AppListing,
    settings: &AppSettings,
    page: &str,
    out: &mut Vec<Finding>,
) {
    let missing: Vec<&String> = profile
        .app
        .required_scopes
        .iter()
        .filter(|s| !has_scope(&settings.scopes, s))
        .collect();
    let evidence = vec![format!(
        "{} {}: scopes {}",
        app.kind.label(),
        settings.full_name,
        if settings.scopes.is_empty() {
            "(none)".to_string()
        } else {
            settings.scopes.join(", ")
        }
    )];
    let f = if missing.is_empty() {
        finding(
            "app.scopes",
            Step::App,
            Status::Pass,
            format!(
                "The app has the {} scope",
                profile.app.required_scopes.join(", ")
            ),
        )
        .detail("Tokens the app issues may call the API and write data.")
    } else {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        finding("app.scopes", Step::App, Status::Fail, format!("The app lacks the {} scope", list.join(", ")))
            .detail("Without \"api\" every call the integration makes is refused with \"This session is not valid for use with the REST API\", so nothing is written.")
            .fix(format!(
                "Setup > App Manager > {} > Edit (for an External Client App: Settings > OAuth Settings) > Selected OAuth Scopes: add \"Manage user data via APIs (api)\" and save. Changes can take up to 10 minutes, then re-authorize the integration (step 4).",
                settings.label.clone().unwrap_or_else(|| app.full_name.clone())
            ))
    };
    out.push(f.page(page, "").evidence(evidence));
}

fn check_policy(
    app: &AppListing,
    settings: &AppSettings,
    user: Option<&UserFacts>,
    page: &str,
    out: &mut Vec<Finding>,
) {
    if app.kind == AppKind::ExternalClientApp {
        out.push(
            finding("app.policy", Step::App, Status::Skipped, "External Client App policies")
                .detail("Policies of External Client Apps live in their own settings, which the app does not read. Check Permitted Users and the refresh token policy under External Client App Manager > Policies.")
                .page(page, ""),
        );
        return;
    }
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    let mut evidence = Vec::new();
    if let Some(policy) = &settings.refresh_token_policy {
        evidence.push(format!("refresh token policy: {policy}"));
        if !policy.eq_ignore_ascii_case("infinite") {
            warnings.push(format!("Refresh tokens expire (policy \"{policy}\"): once they do, unattended write-backs stop until someone re-authorizes. Set \"Refresh token is valid until revoked\" under Manage > Edit Policies."));
        }
    }
    if let Some(ip) = &settings.ip_relaxation {
        evidence.push(format!("IP relaxation: {ip}"));
    }
    if settings.admin_approved_only == Some(true) {
        evidence.push(format!(
            "admin approved users are pre-authorized: permission sets {}; profiles {}",
            if settings.permission_sets.is_empty() {
                "(none)".to_string()
            } else {
                settings.permission_sets.join(", ")
            },
            if settings.profiles.is_empty() {
                "(none)".to_string()
            } else {
                settings.profiles.join(", ")
            }
        ));
        if let Some(user) = user {
            let holds_profile = settings
                .profiles
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&user.profile));
            let holds_set = user.sets.iter().filter(|s| s.counts).any(|s| {
                settings.permission_sets.iter().any(|p| {
                    s.grantor
                        .to_lowercase()
                        .ends_with(&p.replace('_', " ").to_lowercase())
                        || s.grantor.to_lowercase().ends_with(&p.to_lowercase())
                })
            });
            if !holds_profile && !holds_set {
                failures.push(format!(
                    "Only pre-authorized users may use the app, and {} is not among them: logins fail with \"user is not admin approved to access this app\". Under Manage > Profiles or Permission Sets, add the integration's permission set.",
                    user.username
                ));
            }
        }
    }
    let status = if !failures.is_empty() {
        Status::Fail
    } else if !warnings.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut problems = failures;
    problems.extend(warnings);
    let f = finding(
        "app.policy",
        Step::App,
        status,
        match status {
            Status::Pass => "App policies allow unattended write-backs",
            Status::Fail => "App policies block the integration user",
            _ => "App policies may interrupt write-backs",
        },
    )
    .page(page, "")
    .evidence(evidence);
    out.push(if problems.is_empty() {
        f.detail("Refresh tokens do not expire and the integration user may use the app.")
    } else {
        f.detail(problems.join(" ")).fix(problems.join(" "))
    });
}

// ---- the integration user -------------------------------------------------------------------

const USER_CHECKS: [(&str, &str); 5] = [
    ("user.found", "Integration user"),
    ("user.api_enabled", "API Enabled"),
    ("user.object_access", "Object access"),
    ("user.field_access", "Field access"),
    ("user.record_access", "Record access"),
];

fn unknown_user_checks(detail: &str, fix: Option<&str>, out: &mut Vec<Finding>) {
    for (id, title) in USER_CHECKS {
        let mut f = finding(id, Step::Access, Status::Unknown, title)
            .detail(detail.to_string())
            .page(USERS_PAGE, "");
        if let Some(fix) = fix {
            f = f.fix(fix.to_string());
        }
        out.push(f);
    }
}

fn check_user(
    profile: &Profile,
    inputs: &Inputs,
    g: &Gathered,
    existing_fields: &[String],
    out: &mut Vec<Finding>,
) -> Option<UserFacts> {
    let object = &profile.object;
    let Some(username) = &inputs.integration_user else {
        unknown_user_checks(
            "No integration user chosen yet: the checks below run as soon as one is.",
            Some("Choose the Salesforce user whose login authorizes the integration (--integration-user)."),
            out,
        );
        return None;
    };
    let perms = match answer_records(g, "perms") {
        Some(Ok(rows)) => rows,
        Some(Err(e)) => {
            unknown_user_checks(
                &fetch_problem(&e),
                Some("Log in as an admin with View Setup and Configuration to read permissions."),
                out,
            );
            return None;
        }
        None => {
            unknown_user_checks("Permissions were not read.", None, out);
            return None;
        }
    };
    let Some(user) = user_facts(&perms, username, &inputs.now) else {
        out.push(
            finding("user.found", Step::Access, Status::Fail, format!("No user {username}"))
                .detail(format!("No user with the username {username} exists in this org."))
                .fix("Check the username (it looks like an email address, e.g. integration@yourcompany.com), or create the integration user in Setup > Users.")
                .page(USERS_PAGE, ""),
        );
        for (id, title) in &USER_CHECKS[1..] {
            out.push(
                finding(id, Step::Access, Status::Skipped, *title)
                    .detail("The integration user was not found."),
            );
        }
        return None;
    };
    // user.found
    let crm_object = matches!(
        object.as_str(),
        "Case" | "Lead" | "Opportunity" | "Campaign"
    );
    let evidence = vec![format!(
        "User {}: active={}, profile {}, licence {}",
        user.username, user.active, user.profile, user.license
    )];
    let f = if !user.active {
        finding("user.found", Step::Access, Status::Fail, format!("{} is inactive", user.username))
            .detail("A deactivated user cannot log in, so the integration's token stops working and nothing is written.")
            .fix("Setup > Users > Edit the user > tick Active > Save. Then re-authorize the integration (step 4).")
    } else if user.license == "Salesforce Platform" && crm_object {
        finding(
            "user.found",
            Step::Access,
            Status::Fail,
            format!("The Salesforce Platform licence cannot use {object}"),
        )
        .detail(format!(
            "{} has a Salesforce Platform licence, which has no access to {object} records.",
            user.username
        ))
        .fix("Give the integration user a Salesforce or Salesforce Integration licence.")
    } else {
        finding(
            "user.found",
            Step::Access,
            Status::Pass,
            format!("{} is active", user.username),
        )
        .detail(format!(
            "{} ({} licence, profile {}).",
            if user.name.is_empty() {
                &user.username
            } else {
                &user.name
            },
            user.license,
            user.profile
        ))
    };
    out.push(f.page(USERS_PAGE, "").evidence(evidence));

    let counting: Vec<&HeldSet> = user.sets.iter().filter(|s| s.counts).collect();
    let not_counted: Vec<String> = user.sets.iter().filter_map(|s| s.why_not.clone()).collect();
    let held_evidence: Vec<String> = user
        .sets
        .iter()
        .map(|s| {
            format!(
                "{}{}",
                s.grantor,
                if s.counts { "" } else { " (does not count)" }
            )
        })
        .collect();

    // user.api_enabled
    let granting: Vec<String> = counting
        .iter()
        .filter(|s| s.api_enabled)
        .map(|s| s.grantor.clone())
        .collect();
    let f = if granting.is_empty() {
        finding("user.api_enabled", Step::Access, Status::Fail, format!("{} lacks API Enabled", user.username))
            .detail("Without the API Enabled permission every call the integration makes is refused (API_CURRENTLY_DISABLED).")
            .fix("Edit the integration permission set > System Permissions > tick API Enabled > Save.")
    } else {
        finding(
            "user.api_enabled",
            Step::Access,
            Status::Pass,
            "API Enabled",
        )
        .detail(format!("Granted by {}.", granting.join(", ")))
    };
    out.push(
        f.granted_by(granting)
            .page(PERMISSION_SETS_PAGE, "")
            .evidence(held_evidence.clone()),
    );

    // user.object_access
    let full = counting.iter().any(|s| s.modify_all);
    let read_by: Vec<String> = counting
        .iter()
        .filter(|s| s.object.0 || s.modify_all || s.view_all)
        .map(|s| s.grantor.clone())
        .collect();
    let edit_by: Vec<String> = counting
        .iter()
        .filter(|s| s.object.2 || s.modify_all)
        .map(|s| s.grantor.clone())
        .collect();
    let create_by: Vec<String> = counting
        .iter()
        .filter(|s| s.object.1 || s.modify_all)
        .map(|s| s.grantor.clone())
        .collect();
    let mut lacking = Vec::new();
    if profile.access.read && read_by.is_empty() {
        lacking.push("Read");
    }
    if profile.access.create && create_by.is_empty() {
        lacking.push("Create");
    }
    if profile.access.edit && edit_by.is_empty() {
        lacking.push("Edit");
    }
    let mut needed = Vec::new();
    if profile.access.read {
        needed.push("Read");
    }
    if profile.access.create {
        needed.push("Create");
    }
    if profile.access.edit {
        needed.push("Edit");
    }
    let mut grantors: Vec<String> = read_by
        .iter()
        .chain(&edit_by)
        .chain(&create_by)
        .cloned()
        .collect();
    grantors.sort();
    grantors.dedup();
    let note = if not_counted.is_empty() {
        String::new()
    } else {
        format!(" Not counted: {}.", not_counted.join("; "))
    };
    let f = if lacking.is_empty() {
        finding(
            "user.object_access",
            Step::Access,
            Status::Pass,
            format!("{} on {object}", needed.join(" + ")),
        )
        .detail(format!(
            "Granted by {}{}.{note}",
            grantors.join(", "),
            if full { " (Modify All Data)" } else { "" }
        ))
    } else {
        finding("user.object_access", Step::Access, Status::Fail, format!("No {} on {object}", lacking.join(" or ")))
            .detail(format!(
                "{} {}, but the integration needs {} on {object}: its writes fail with INSUFFICIENT_ACCESS_OR_READONLY.{note}",
                user.username,
                if grantors.is_empty() {
                    format!("has no access to {object}")
                } else {
                    format!(
                        "only has {} through {}",
                        needed.iter().filter(|n| !lacking.contains(n)).cloned().collect::<Vec<_>>().join(" + "),
                        grantors.join(", ")
                    )
                },
                needed.join(" + ")
            ))
            .fix(format!(
                "In the integration's permission set (Setup > Permission Sets > the set > Object Settings > {object}s > Edit), tick {} and save; assign the set to {} if it is not yet.",
                needed.join(" and "),
                user.username
            ))
    };
    out.push(
        f.granted_by(grantors)
            .page(PERMISSION_SETS_PAGE, "")
            .evidence(held_evidence.clone()),
    );

    // user.field_access (field-level security; object access is its own check)
    if existing_fields.is_empty() {
        out.push(
            finding(
                "user.field_access",
                Step::Access,
                Status::Skipped,
                "Field access",
            )
            .detail("Create the fields first (step 1)."),
        );
    } else {
        let mut lacking = Vec::new();
        let mut granted = Vec::new();
        let mut evidence = Vec::new();
        for field in existing_fields {
            let key = format!("{object}.{field}").to_lowercase();
            let readers: Vec<&str> = counting
                .iter()
                .filter(|s| s.fields.get(&key).is_some_and(|a| a.0))
                .map(|s| s.grantor.as_str())
                .collect();
            let editors: Vec<&str> = counting
                .iter()
                .filter(|s| s.fields.get(&key).is_some_and(|a| a.1))
                .map(|s| s.grantor.as_str())
                .collect();
            if editors.is_empty() {
                lacking.push(format!(
                    "{field} ({})",
                    if readers.is_empty() {
                        "no access"
                    } else {
                        "read-only"
                    }
                ));
            } else {
                granted.push(format!("{field}: {}", editors.join(", ")));
            }
            evidence.push(format!(
                "{field}: read {}, edit {}",
                !readers.is_empty(),
                !editors.is_empty()
            ));
        }
        let f = if lacking.is_empty() {
            finding(
                "user.field_access",
                Step::Access,
                Status::Pass,
                format!(
                    "Visible and editable: {n} of {n} fields",
                    n = existing_fields.len()
                ),
            )
            .detail(format!(
                "Field-level security lets {} read and edit every field.",
                user.username
            ))
        } else {
            finding("user.field_access", Step::Access, Status::Fail, format!("{} field{} not editable", lacking.len(), if lacking.len() == 1 { "" } else { "s" }))
                .detail(format!(
                    "{} cannot edit {}: writes fail with INVALID_FIELD_FOR_INSERT_UPDATE (read-only) or INVALID_FIELD (no access). Modify All Data does not bypass field-level security.",
                    user.username,
                    lacking.join(", ")
                ))
                .fix(format!(
                    "In the integration's permission set: Object Settings > {object}s > Edit > Field Permissions: tick Read Access and Edit Access for {} and save.",
                    lacking.iter().map(|l| l.split(' ').next().unwrap_or("")).collect::<Vec<_>>().join(", ")
                ))
        };
        out.push(
            f.granted_by(granted)
                .page(PERMISSION_SETS_PAGE, "")
                .evidence(evidence),
        );
    }

    // user.record_access
    match (&inputs.record_id, answer_records(g, "record")) {
        (None, _) => out.push(
            finding(
                "user.record_access",
                Step::Access,
                Status::Skipped,
                "Record access",
            )
            .detail(
                "No record chosen: pick a record to check that the integration user may edit it.",
            ),
        ),
        (Some(id), Some(Ok(rows))) => {
            let row = rows.first();
            let level = row
                .and_then(|r| text(r, "MaxAccessLevel"))
                .unwrap_or("None")
                .to_string();
            let f = if row.is_some_and(|r| flag(r, "HasEditAccess")) {
                finding(
                    "user.record_access",
                    Step::Access,
                    Status::Pass,
                    format!("{} may edit {id}", user.username),
                )
                .detail(format!("Access level {level}."))
            } else {
                finding("user.record_access", Step::Access, Status::Fail, format!("{} may not edit {id}", user.username))
                    .detail(format!("Access level {level}: sharing rules, ownership or a record lock keep the integration from writing to this record."))
                    .fix("Share the record (or all records, with a sharing rule or View/Modify All on the object) with the integration user, or unlock it.")
            };
            out.push(f.evidence(vec![format!("UserRecordAccess {id}: {level}")]));
        }
        (Some(_), Some(Err(e))) => out.push(
            finding(
                "user.record_access",
                Step::Access,
                Status::Unknown,
                "Record access",
            )
            .detail(fetch_problem(&e)),
        ),
        (Some(_), None) => out.push(finding(
            "user.record_access",
            Step::Access,
            Status::Unknown,
            "Record access not read",
        )),
    }
    Some(user)
}

// ---- re-authorization -------------------------------------------------------------------------

/// Salesforce keeps this many refresh tokens per user and app; a new login revokes the oldest.
const TOKENS_PER_USER_AND_APP: usize = 5;

fn check_reauth(
    profile: &Profile,
    inputs: &Inputs,
    user: Option<&UserFacts>,
    app: Option<&AppListing>,
    app_known: bool,
    g: &Gathered,
    out: &mut Vec<Finding>,
) {
    let label = &profile.app.label;
    let Some(username) = &inputs.integration_user else {
        out.push(
            finding(
                "reauth.token",
                Step::Reauthorize,
                Status::Unknown,
                "Re-authorization",
            )
            .detail("No integration user chosen yet."),
        );
        return;
    };
    if user.is_none() && matches!(answer(g, "perms"), Some(Ok(_))) {
        out.push(
            finding(
                "reauth.token",
                Step::Reauthorize,
                Status::Skipped,
                "Re-authorization",
            )
            .detail("The integration user was not found (step 3)."),
        );
        return;
    }
    if app.is_none() {
        let status = if app_known {
            Status::Skipped
        } else {
            Status::Unknown
        };
        out.push(
            finding(
                "reauth.token",
                Step::Reauthorize,
                status,
                "Re-authorization",
            )
            .detail(format!("Depends on the {label} app (step 2).")),
        );
        return;
    }
    let tokens = match answer_records(g, "tokens") {
        Some(Ok(rows)) => rows,
        Some(Err(e)) => {
            out.push(
                finding(
                    "reauth.token",
                    Step::Reauthorize,
                    Status::Unknown,
                    "Re-authorization not readable",
                )
                .detail(fetch_problem(&e))
                .page(OAUTH_USAGE_PAGE, ""),
            );
            return;
        }
        None => {
            out.push(finding(
                "reauth.token",
                Step::Reauthorize,
                Status::Unknown,
                "Re-authorization not read",
            ));
            return;
        }
    };
    let mine: Vec<&Record> = tokens
        .iter()
        .filter(|t| text(t, "User.Username").is_some_and(|u| u.eq_ignore_ascii_case(username)))
        .collect();
    let latest = mine
        .iter()
        .filter_map(|t| text(t, "CreatedDate"))
        .max_by_key(|d| parse_time(d));
    let changed = app.and_then(|a| a.last_modified.clone());
    let evidence: Vec<String> = mine
        .iter()
        .map(|t| {
            format!(
                "OauthToken {}: created {}, last used {}",
                text(t, "AppName").unwrap_or(""),
                text(t, "CreatedDate").map(day).unwrap_or_default(),
                text(t, "LastUsedDate")
                    .map(day)
                    .unwrap_or_else(|| "never".into())
            )
        })
        .collect();
    let fix = format!("Re-authorize: in {label}, reconnect Salesforce and log in as {username} (your {label} contact can coordinate). The new token then carries the app's current scopes.");
    let f = match latest {
        None => finding("reauth.token", Step::Reauthorize, Status::Fail, format!("{username} has not authorized {label}"))
            .detail(format!("There is no OAuth token for {label} held by {username}, so the integration cannot act as that user yet."))
            .fix(fix),
        Some(created) if changed.as_deref().and_then(parse_time).zip(parse_time(created)).is_some_and(|(c, t)| t < c) => {
            finding("reauth.token", Step::Reauthorize, Status::Fail, format!("{label} was authorized before its app last changed"))
                .detail(format!(
                    "The token was issued {} and the app changed {}: existing tokens keep their old scopes, so new scopes such as api are not in effect yet.",
                    day(created),
                    changed.as_deref().map(day).unwrap_or_default()
                ))
                .fix(fix)
        }
        Some(created) if mine.len() + 1 >= TOKENS_PER_USER_AND_APP => {
            finding("reauth.token", Step::Reauthorize, Status::Warn, format!("{username} holds {} tokens for {label}", mine.len()))
                .detail(format!("Salesforce keeps {TOKENS_PER_USER_AND_APP} per user and app; the next login revokes the oldest, which may be the one the integration uses. Latest issued {}.", day(created)))
                .fix(format!("Revoke unused {label} tokens for {username} in Setup > Connected Apps OAuth Usage."))
        }
        Some(created) => finding("reauth.token", Step::Reauthorize, Status::Pass, format!("{username} authorized {label} after the last app change"))
            .detail(format!("Token issued {}{}.", day(created), changed.as_deref().map(|c| format!("; the app last changed {}", day(c))).unwrap_or_default())),
    };
    out.push(f.page(OAUTH_USAGE_PAGE, "").evidence(evidence));
}

// ---- automation -----------------------------------------------------------------------------

fn mentions(text: &str, field: &FieldRequirement) -> bool {
    let t = text.to_lowercase();
    t.contains(&field.api_name.to_lowercase()) || t.contains(&field.label.to_lowercase())
}

fn check_automation(profile: &Profile, g: &Gathered, out: &mut Vec<Finding>) {
    let object = &profile.object;
    let mut ranked: Vec<(u8, String)> = Vec::new();
    let mut blockers = Vec::new();
    let mut unreadable = Vec::new();
    match answer_records(g, "validation") {
        Some(Ok(rules)) => {
            for rule in rules {
                let name = text(&rule, "ValidationName")
                    .unwrap_or("(unnamed)")
                    .to_string();
                let display = text(&rule, "ErrorDisplayField").unwrap_or("");
                let message = text(&rule, "ErrorMessage").unwrap_or("");
                let described = format!(
                    "{name} {display} {message} {}",
                    text(&rule, "Description").unwrap_or("")
                );
                let hit = profile
                    .fields
                    .iter()
                    .find(|f| display.eq_ignore_ascii_case(&f.api_name) || mentions(&described, f));
                match hit {
                    Some(field) => {
                        ranked.push((
                            1,
                            format!(
                                "Validation rule {name} involves {} (\"{message}\")",
                                field.api_name
                            ),
                        ));
                        blockers.push(format!(
                            "validation rule {name} (it involves {} and says \"{message}\")",
                            field.api_name
                        ));
                    }
                    None => ranked.push((
                        3,
                        format!("Validation rule {name} may reject any update (\"{message}\")"),
                    )),
                }
            }
        }
        Some(Err(e)) => unreadable.push(format!("validation rules ({})", e.code)),
        // Always planned: no answer at all is not "none there".
        None => unreadable.push("validation rules (no answer)".to_string()),
    }
    match answer_records(g, "triggers") {
        Some(Ok(rows)) => {
            for t in rows {
                if flag(&t, "UsageBeforeUpdate") || flag(&t, "UsageAfterUpdate") {
                    let phase = if flag(&t, "UsageBeforeUpdate") {
                        "before"
                    } else {
                        "after"
                    };
                    ranked.push((
                        2,
                        format!(
                            "Apex trigger {} runs {phase} every update",
                            text(&t, "Name").unwrap_or("")
                        ),
                    ));
                }
            }
        }
        Some(Err(e)) => unreadable.push(format!("Apex triggers ({})", e.code)),
        // Always planned: no answer at all is not "none there".
        None => unreadable.push("Apex triggers (no answer)".to_string()),
    }
    match answer_records(g, "flows") {
        Some(Ok(rows)) => {
            for fl in rows {
                let on_update = matches!(
                    text(&fl, "RecordTriggerType"),
                    Some("Update" | "CreateAndUpdate")
                );
                let record_triggered = matches!(
                    text(&fl, "TriggerType"),
                    Some("RecordBeforeSave" | "RecordAfterSave")
                );
                if on_update && record_triggered {
                    ranked.push((
                        2,
                        format!(
                            "Record-triggered flow {} runs on update ({})",
                            text(&fl, "Label").unwrap_or(""),
                            text(&fl, "TriggerType").unwrap_or("")
                        ),
                    ));
                } else if text(&fl, "ProcessType") == Some("Workflow") {
                    ranked.push((
                        4,
                        format!(
                            "Process Builder process {}",
                            text(&fl, "Label").unwrap_or("")
                        ),
                    ));
                }
            }
        }
        Some(Err(e)) => unreadable.push(format!("flows ({})", e.code)),
        // Always planned: no answer at all is not "none there".
        None => unreadable.push("flows (no answer)".to_string()),
    }
    match answer_records(g, "workflow") {
        Some(Ok(rows)) if !rows.is_empty() => {
            ranked.push((
                4,
                format!(
                    "{} workflow rule{} on {object} (open Setup to see which are active)",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        Some(Err(e)) => unreadable.push(format!("workflow rules ({})", e.code)),
        Some(Ok(_)) => {}
        None => unreadable.push("workflow rules (no answer)".to_string()),
    }
    match answer_records(g, "assignment") {
        Some(Ok(rows)) => {
            for rule in rows {
                ranked.push((5, format!("Assignment rule {} is active: updates that do not send Sforce-Auto-Assign: FALSE can reassign the {object}", text(&rule, "Name").unwrap_or(""))));
            }
        }
        Some(Err(e)) => unreadable.push(format!("assignment rules ({})", e.code)),
        // Planned for Case only (assignment rules are a Case and Lead feature).
        None if object == "Case" => unreadable.push("assignment rules (no answer)".to_string()),
        None => {}
    }
    ranked.sort();
    let evidence: Vec<String> = ranked.iter().map(|(_, line)| line.clone()).collect();
    let f = if !blockers.is_empty() {
        finding("automation.object", Step::TestWrite, Status::Fail, "A validation rule will reject the integration's writes")
            .detail(format!(
                "Active {}. Salesforce runs it on the integration's writes like on any other update (FIELD_CUSTOM_VALIDATION_EXCEPTION).",
                blockers.join("; ")
            ))
            .fix("Edit the rule so it lets the integration through, e.g. add AND $User.Username <> 'the integration user' to its formula, or exempt the integration's fields. Then re-check.")
            .page(VALIDATION_PAGE, object)
    } else if !unreadable.is_empty() {
        finding(
            "automation.object",
            Step::TestWrite,
            Status::Unknown,
            format!("Could not read all automation on {object}"),
        )
        .detail(format!(
            "Not readable with your login: {}.",
            unreadable.join(", ")
        ))
    } else {
        finding(
            "automation.object",
            Step::TestWrite,
            Status::Pass,
            if ranked.is_empty() { format!("No automation reacts to {object} updates") } else { format!("{} automation{} on {object}, none aimed at the integration's fields", ranked.len(), if ranked.len() == 1 { "" } else { "s" }) },
        )
        .detail(if ranked.is_empty() {
            "Nothing runs when the integration writes.".to_string()
        } else {
            "They run on the integration's writes like on any update: review them for emails or field updates you do not want. The test write-back shows what really happens.".to_string()
        })
        .page(VALIDATION_PAGE, object)
    };
    out.push(f.evidence(evidence));
}

// ---- checks for the other profiles ------------------------------------------------------------

fn check_other(profile: &Profile, g: &Gathered, out: &mut Vec<Finding>) {
    let object = &profile.object;
    let (seen, _) = fields_seen(g);
    if let Some(lookup) = &profile.lookup {
        let key = lookup.field.to_lowercase();
        let f = match seen.get(&key) {
            None => finding("object.lookup_field", Step::Fields, Status::Fail, format!("Lookup field {} missing", lookup.field))
                .detail("The integration finds existing records by this field; without it, every answer would create a duplicate.")
                .fix(format!("Create {} on {object}{}.", lookup.field, if lookup.external_id { " with External ID and Unique ticked" } else { "" })),
            Some(s) => match &s.describe {
                None => finding("object.lookup_field", Step::Fields, Status::Unknown, format!("Lookup field {} not visible to you", lookup.field))
                    .detail("Whether it is filterable or an External ID shows only with field-level access."),
                Some(d) => {
                    let filterable = flag(d, "filterable");
                    let external = flag(d, "externalId") || flag(d, "idLookup");
                    if !filterable {
                        finding("object.lookup_field", Step::Fields, Status::Fail, format!("{} cannot be searched", lookup.field))
                            .detail("Long text fields cannot be filtered, so the integration cannot look records up by it.")
                            .fix("Use a Text, Email or Number field as the lookup field.")
                    } else if lookup.external_id && !external {
                        finding("object.lookup_field", Step::Fields, Status::Fail, format!("{} is not an External ID", lookup.field))
                            .detail("Upserts need an External ID field; without it the integration cannot update instead of duplicating.")
                            .fix(format!("Edit {} in Object Manager and tick External ID (and Unique).", lookup.field))
                    } else {
                        finding("object.lookup_field", Step::Fields, Status::Pass, format!("{} finds existing records", lookup.field))
                            .detail(if lookup.external_id { "Filterable External ID: upserts work." } else { "Filterable: updates find the record instead of duplicating it." })
                    }
                }
            },
        };
        out.push(f.page(FIELDS_PAGE, object));
    }
    if let Some(rt) = &profile.record_type {
        let f = match answer_records(g, "record_type") {
            Some(Ok(rows)) => match rows.first() {
                Some(row) if flag(row, "IsActive") => finding("object.record_type", Step::Fields, Status::Pass, format!("Record type {} exists", rt.developer_name))
                    .detail("Active. Make sure it is assigned to the integration user's profile or permission set."),
                Some(_) => finding("object.record_type", Step::Fields, Status::Fail, format!("Record type {} is inactive", rt.developer_name))
                    .detail("Records cannot be created with an inactive record type.")
                    .fix("Object Manager > Record Types > the record type > Edit > tick Active."),
                None => finding("object.record_type", Step::Fields, Status::Fail, format!("Record type {} missing", rt.developer_name))
                    .detail(format!("The integration creates {object} records with the record type {}.", rt.label))
                    .fix(format!("Object Manager > {object} > Record Types > New: Record Type Name {}, make it available to the integration user's profile.", rt.developer_name)),
            },
            Some(Err(e)) => finding("object.record_type", Step::Fields, Status::Unknown, "Record type not readable").detail(fetch_problem(&e)),
            None => finding("object.record_type", Step::Fields, Status::Unknown, "Record type not read"),
        };
        out.push(f.page(RECORD_TYPES_PAGE, object));
    }
    if let Some(package) = &profile.package {
        let f = match answer_records(g, "package") {
            Some(Ok(rows)) => {
                let found = rows.iter().any(|r| {
                    text(r, "SubscriberPackage.NamespacePrefix")
                        .is_some_and(|n| n.eq_ignore_ascii_case(&package.namespace))
                });
                if found {
                    finding(
                        "package.installed",
                        Step::Fields,
                        Status::Pass,
                        format!("{} is installed", package.name),
                    )
                    .detail(format!("Managed package namespace {}.", package.namespace))
                } else {
                    finding("package.installed", Step::Fields, Status::Fail, format!("{} is not installed", package.name))
                        .detail(format!("The integration needs the managed package with namespace {}.", package.namespace))
                        .fix(format!("Install {} from the link the vendor provides (AppExchange), then re-check.", package.name))
                }
            }
            Some(Err(e)) => finding(
                "package.installed",
                Step::Fields,
                Status::Unknown,
                "Installed packages not readable",
            )
            .detail(fetch_problem(&e)),
            None => finding(
                "package.installed",
                Step::Fields,
                Status::Unknown,
                "Installed packages not read",
            ),
        };
        out.push(f.page(PACKAGES_PAGE, ""));
    }
    if profile.access.create {
        let described: Vec<Record> = answer(g, "describe")
            .and_then(Result::ok)
            .and_then(|d| d.get("fields"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|f| f.as_object().cloned()).collect())
            .unwrap_or_default();
        let required: Vec<String> = described
            .iter()
            .filter(|d| {
                !flag(d, "nillable") && flag(d, "createable") && !flag(d, "defaultedOnCreate")
            })
            .filter_map(|d| text(d, "name").map(str::to_string))
            .filter(|name| {
                profile.field(name).is_none()
                    && profile
                        .lookup
                        .as_ref()
                        .is_none_or(|l| !l.field.eq_ignore_ascii_case(name))
            })
            .collect();
        let f = if required.is_empty() {
            finding(
                "object.required_fields",
                Step::Fields,
                Status::Pass,
                "No other required fields",
            )
            .detail(format!(
                "New {object} records need only what the integration sends."
            ))
        } else {
            finding("object.required_fields", Step::Fields, Status::Warn, format!("{} required field{} the integration does not set", required.len(), if required.len() == 1 { "" } else { "s" }))
                .detail(format!("Creating a {object} needs {}; the integration's mapping does not set {}.", required.join(", "), if required.len() == 1 { "it" } else { "them" }))
                .fix("Map these fields in the integration, or give them default values in Object Manager.")
        };
        out.push(f.page(FIELDS_PAGE, object));
    }
}

/// Turns everything fetched into findings, in step order.
pub fn evaluate(profile: &Profile, inputs: &Inputs, g: &Gathered) -> Evaluation {
    let mut findings = Vec::new();
    let org = check_org(profile, g, &mut findings);
    check_budget(profile, g, &mut findings);
    let refused = g
        .refused
        .as_ref()
        .filter(|e| e.code == "API_DISABLED_FOR_ORG");
    if let Some(refused) = refused {
        for (id, step) in [
            ("fields.exist", Step::Fields),
            ("app.found", Step::App),
            ("user.found", Step::Access),
            ("reauth.token", Step::Reauthorize),
            ("automation.object", Step::TestWrite),
        ] {
            findings.push(
                finding(id, step, Status::Unknown, "Not checked")
                    .detail(format!("The org refused the API ({}).", refused.code)),
            );
        }
        return Evaluation {
            findings,
            org,
            candidates: Vec::new(),
        };
    }
    let existing = check_fields(profile, g, &mut findings);
    check_other(profile, g, &mut findings);
    let mut user_findings = Vec::new();
    let user = check_user(profile, inputs, g, &existing, &mut user_findings);
    let app = check_app(profile, user.as_ref(), g, &mut findings);
    let app_known = matches!(g.app_listings, Some(Ok(_)));
    findings.extend(user_findings);
    check_reauth(
        profile,
        inputs,
        user.as_ref(),
        app.as_ref(),
        app_known,
        g,
        &mut findings,
    );
    check_automation(profile, g, &mut findings);
    // The last guard of "never a wrong READY": a check may rightly pass without an answer it
    // only falls back on, but an org whose answers did not all arrive readable is not called
    // ready.
    if Verdict::of(&findings) == Verdict::Ready {
        let unreadable = unreadable_answers(profile, inputs, g);
        if !unreadable.is_empty() {
            findings.push(
                finding(
                    "org.answers",
                    Step::Connect,
                    Status::Unknown,
                    "Not every answer from the org could be read",
                )
                .detail(format!(
                    "Every check passed on what could be read, but these answers were missing or garbled: {}. Run the check again; if it repeats, something between you and Salesforce (a proxy, a firewall) changes its answers.",
                    unreadable.join(", ")
                )),
            );
        }
    }
    findings.sort_by_key(|f| f.step);

    let mut candidates: Vec<String> = Vec::new();
    if inputs.integration_user.is_none() {
        for row in answer_records(g, "tokens")
            .and_then(Result::ok)
            .unwrap_or_default()
        {
            if let Some(u) = text(&row, "User.Username") {
                candidates.push(u.to_string());
            }
        }
        for row in answer_records(g, "candidates")
            .and_then(Result::ok)
            .unwrap_or_default()
        {
            if let Some(u) = text(&row, "Username") {
                candidates.push(u.to_string());
            }
        }
        let mut seen = std::collections::HashSet::new();
        candidates.retain(|c| seen.insert(c.to_lowercase()));
        if let Some(found) = findings.iter_mut().find(|f| f.id == "user.found") {
            if !candidates.is_empty() {
                found.detail = format!(
                    "{} Likely candidates: {}.",
                    found.detail,
                    candidates.join(", ")
                );
            }
        }
    }
    Evaluation {
        findings,
        org,
        candidates,
    }
}
