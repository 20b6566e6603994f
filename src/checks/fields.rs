//! Step 1: the fields exist (`fields.exist`), have a type and length the integration can write
//! (`fields.types`), and accept every value it sends (`fields.picklist`).

use super::facts::{FieldFacts, FieldSeen};
use super::finding::{finding, plural, thousands, FIELDS_PAGE};
use super::{Finding, FindingId, Status};
use crate::profile::{FieldRequirement, FieldType, Profile};

fn create_fix(profile: &Profile, f: &FieldRequirement) -> String {
    let length = f
        .length
        .map(|l| format!(", length {}", thousands(u64::from(l))))
        .unwrap_or_default();
    let lines = f
        .visible_lines
        .map(|l| format!(", {l} visible lines"))
        .unwrap_or_default();
    let values = if f.values.is_empty() || !f.field_type.is_picklist() {
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

/// Runs the three field checks; returns the profile's fields that exist in the org.
pub(super) fn check(profile: &Profile, fields: &FieldFacts, out: &mut Vec<Finding>) -> Vec<String> {
    let (existing, missing): (Vec<&FieldRequirement>, Vec<&FieldRequirement>) = profile
        .fields
        .iter()
        .partition(|f| fields.get(&f.api_name).is_some());
    check_exist(profile, fields, &existing, &missing, out);
    check_types(profile, fields, &existing, out);
    check_picklists(profile, fields, &existing, out);
    existing.iter().map(|f| f.api_name.clone()).collect()
}

fn check_exist(
    profile: &Profile,
    fields: &FieldFacts,
    existing: &[&FieldRequirement],
    missing: &[&FieldRequirement],
    out: &mut Vec<Finding>,
) {
    let object = &profile.object;
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
    let names = |list: &[&FieldRequirement]| {
        list.iter()
            .map(|f| f.api_name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let f = if missing.is_empty() {
        finding(
            FindingId::FieldsExist,
            Status::Pass,
            format!("All {} fields exist on {object}", profile.fields.len()),
        )
        .detail(format!("Found {}.", names(existing)))
    } else if !fields.definitions_ok {
        finding(FindingId::FieldsExist, Status::Unknown, format!("Could not confirm every field on {object}"))
            .detail(format!(
                "{} not visible to you, and the field definitions could not be read, so they may exist without field-level access.",
                names(missing)
            ))
            .fix("Log in as an admin with View Setup and Configuration, or check Object Manager yourself.")
    } else {
        finding(
            FindingId::FieldsExist,
            Status::Fail,
            format!("{} of {} fields missing on {object}", missing.len(), profile.fields.len()),
        )
        .detail(format!(
            "{} {} not exist. The integration writes to {}, so every write would fail with INVALID_FIELD.",
            names(missing),
            if missing.len() == 1 { "does" } else { "do" },
            if missing.len() == 1 { "it" } else { "them" }
        ))
        .fix(
            missing
                .iter()
                .map(|f| create_fix(profile, f))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    out.push(f.page(FIELDS_PAGE, object).evidence(evidence));
}

/// What is wrong with one existing field's type or length, if anything.
fn type_problem(f: &FieldRequirement, seen: &FieldSeen, actual: FieldType) -> Option<String> {
    let wanted = f
        .length
        .map(|l| format!(" of at least {}", thousands(u64::from(l))))
        .unwrap_or_default();
    if let Some(kind) = seen.read_only {
        return Some(format!(
            "{} is {}, which Salesforce computes: nobody can write it. Create a plain {}{wanted} field for the integration instead.",
            f.api_name,
            kind.words(),
            f.field_type.label()
        ));
    }
    if !f.accept.contains(&actual) {
        let why = if actual == FieldType::Html {
            " (rich text would store HTML, not plain text)"
        } else {
            ""
        };
        return Some(format!(
            "{} is {}{why}; the integration needs {}{wanted}. Change the field type in Object Manager (or delete and recreate it).",
            f.api_name,
            actual.label(),
            f.field_type.label()
        ));
    }
    match (f.length, seen.length) {
        (Some(need), Some(have)) if actual.is_text() && have < need => Some(format!(
            "{} holds {} characters; the integration writes up to {}. Edit the field and set Length to {}.",
            f.api_name,
            thousands(u64::from(have)),
            thousands(u64::from(need)),
            thousands(u64::from(need))
        )),
        _ => None,
    }
}

fn check_types(
    profile: &Profile,
    fields: &FieldFacts,
    existing: &[&FieldRequirement],
    out: &mut Vec<Finding>,
) {
    let object = &profile.object;
    if existing.is_empty() {
        out.push(
            finding(FindingId::FieldsTypes, Status::Skipped, "Field types")
                .detail("No field exists yet to check."),
        );
        return;
    }
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    let mut evidence = Vec::new();
    let mut restricted_picklists = Vec::new();
    for f in existing {
        let Some(seen) = fields.get(&f.api_name) else {
            continue;
        };
        let Some(actual) = seen.field_type else {
            match seen.read_only {
                // An auto-number field has no type the profile names; it is read-only anyway.
                Some(kind) => problems.push(format!(
                    "{} is {}, which Salesforce computes: nobody can write it. Create a plain {} field for the integration instead.",
                    f.api_name,
                    kind.words(),
                    f.field_type.label()
                )),
                None => unknown.push(f.api_name.clone()),
            }
            continue;
        };
        let length = seen
            .length
            .map(|l| format!("({})", thousands(u64::from(l))))
            .unwrap_or_default();
        let restricted = picklist_of(seen).is_some_and(|(restricted, _, _)| restricted);
        if restricted {
            restricted_picklists.push(f.api_name.clone());
        }
        evidence.push(format!(
            "{}: {}{length}{}{}",
            f.api_name,
            actual.label(),
            if restricted { " (restricted)" } else { "" },
            seen.read_only
                .map(|k| format!(", {}", k.words()))
                .unwrap_or_default()
        ));
        problems.extend(type_problem(f, seen, actual));
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
            plural(problems.len())
        ),
        _ => "Could not read every field's type".to_string(),
    };
    let f = finding(FindingId::FieldsTypes, status, title)
        .page(FIELDS_PAGE, object)
        .evidence(evidence);
    out.push(match status {
        Status::Fail => f.detail(problems.join(" ")).fix(problems.join(" ")),
        Status::Unknown => f.detail(format!("Type not visible for {}.", unknown.join(", "))),
        _ if restricted_picklists.is_empty() => {
            f.detail("Every field has a type and length the integration can write.")
        }
        // The type fits, but a restricted picklist takes only its active values: say so here
        // too, so a passing type check is never read as "any value goes".
        _ => f.detail(format!(
            "Every field has a type and length the integration can write. {} {} a restricted picklist: only its active values are accepted (see Picklist values).",
            restricted_picklists.join(", "),
            if restricted_picklists.len() == 1 { "is" } else { "are" }
        )),
    });
}

/// A picklist's restriction and active values: from the describe when the logged-in user sees
/// the field, else from its metadata (and its global value set).
fn picklist_of(seen: &FieldSeen) -> Option<(bool, Vec<String>, Option<String>)> {
    if let Some(d) = &seen.describe {
        return Some((d.restricted_picklist, d.active_values.clone(), None));
    }
    match &seen.picklist_metadata {
        Some(Ok(m)) if m.global_value_set.is_none() || !m.active_values.is_empty() => Some((
            m.restricted,
            m.active_values.clone(),
            m.global_value_set.clone(),
        )),
        _ => None,
    }
}

fn check_picklists(
    profile: &Profile,
    fields: &FieldFacts,
    existing: &[&FieldRequirement],
    out: &mut Vec<Finding>,
) {
    let object = &profile.object;
    let valued: Vec<&&FieldRequirement> =
        existing.iter().filter(|f| !f.values.is_empty()).collect();
    if valued.is_empty() {
        out.push(
            finding(
                FindingId::FieldsPicklist,
                Status::Skipped,
                "Picklist values",
            )
            .detail("No field the integration sends fixed values to exists yet."),
        );
        return;
    }
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    let mut evidence = Vec::new();
    for f in valued {
        let Some(seen) = fields.get(&f.api_name) else {
            continue;
        };
        if !seen.field_type.is_some_and(FieldType::is_picklist) {
            evidence.push(format!(
                "{}: not a picklist, any value is accepted",
                f.api_name
            ));
            continue;
        }
        let Some((restricted, active, global_set)) = picklist_of(seen) else {
            unknown.push(f.api_name.clone());
            continue;
        };
        evidence.push(format!(
            "{}: {} picklist{} with active values {}",
            f.api_name,
            if restricted {
                "restricted"
            } else {
                "unrestricted"
            },
            global_set
                .as_deref()
                .map(|s| format!(" (global value set {s})"))
                .unwrap_or_default(),
            if active.is_empty() {
                "(none)".to_string()
            } else {
                active.join(", ")
            }
        ));
        let absent: Vec<&str> = f
            .values
            .iter()
            .filter(|v| !active.contains(v))
            .map(String::as_str)
            .collect();
        if restricted && !absent.is_empty() {
            let place = match &global_set {
                Some(set) => format!("the global value set {set} (Setup > Picklist Value Sets)"),
                None => "the picklist".to_string(),
            };
            problems.push(format!(
                "{} is a restricted picklist without the active value{} {}; a write of {} is rejected (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST). Add or reactivate {} in {place}, or untick \"Restrict picklist to the values defined in the value set\", or use a Text(255) field.",
                f.api_name,
                plural(absent.len()),
                absent.join(", "),
                absent.join(" or "),
                if absent.len() == 1 { "it" } else { "them" },
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
    let f = finding(FindingId::FieldsPicklist, status, title)
        .page(FIELDS_PAGE, object)
        .evidence(evidence);
    out.push(match status {
        Status::Fail => f.detail(problems.join(" ")).fix(problems.join(" ")),
        Status::Unknown => f.detail(format!("Values not readable for {}.", unknown.join(", "))),
        _ => f.detail("The fields take every value the integration writes."),
    });
}
