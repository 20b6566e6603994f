//! Checks only some profiles need: the lookup field the integration upserts on
//! (`object.lookup_field`), its record type (`object.record_type`), its managed package
//! (`package.installed`), and required fields it does not set (`object.required_fields`).

use super::facts::Facts;
use super::finding::{
    fetch_problem, finding, plural, FIELDS_PAGE, PACKAGES_PAGE, RECORD_TYPES_PAGE,
};
use super::{Finding, FindingId, Status};
use crate::profile::Profile;

pub(super) fn check(profile: &Profile, facts: &Facts, out: &mut Vec<Finding>) {
    let object = &profile.object;
    if let Some(lookup) = &profile.lookup {
        let id = FindingId::ObjectLookupField;
        let f = match facts.fields.get(&lookup.field) {
            None => finding(id, Status::Fail, format!("Lookup field {} missing", lookup.field))
                .detail("The integration finds existing records by this field; without it, every answer would create a duplicate.")
                .fix(format!("Create {} on {object}{}.", lookup.field, if lookup.external_id { " with External ID and Unique ticked" } else { "" })),
            Some(seen) => match &seen.describe {
                None => finding(id, Status::Unknown, format!("Lookup field {} not visible to you", lookup.field))
                    .detail("Whether it is filterable or an External ID shows only with field-level access."),
                Some(d) if !d.filterable => finding(id, Status::Fail, format!("{} cannot be searched", lookup.field))
                    .detail("Long text fields cannot be filtered, so the integration cannot look records up by it.")
                    .fix("Use a Text, Email or Number field as the lookup field."),
                Some(d) if lookup.external_id && !d.external_id => finding(id, Status::Fail, format!("{} is not an External ID", lookup.field))
                    .detail("Upserts need an External ID field; without it the integration cannot update instead of duplicating.")
                    .fix(format!("Edit {} in Object Manager and tick External ID (and Unique).", lookup.field)),
                Some(_) => finding(id, Status::Pass, format!("{} finds existing records", lookup.field)).detail(
                    if lookup.external_id {
                        "Filterable External ID: upserts work."
                    } else {
                        "Filterable: updates find the record instead of duplicating it."
                    },
                ),
            },
        };
        out.push(f.page(FIELDS_PAGE, object));
    }
    if let Some(rt) = &profile.record_type {
        let id = FindingId::ObjectRecordType;
        let f = match &facts.record_type {
            Some(Ok(Some(true))) => finding(id, Status::Pass, format!("Record type {} exists", rt.developer_name))
                .detail("Active. Make sure it is assigned to the integration user's profile or permission set."),
            Some(Ok(Some(false))) => finding(id, Status::Fail, format!("Record type {} is inactive", rt.developer_name))
                .detail("Records cannot be created with an inactive record type.")
                .fix("Object Manager > Record Types > the record type > Edit > tick Active."),
            Some(Ok(None)) => finding(id, Status::Fail, format!("Record type {} missing", rt.developer_name))
                .detail(format!("The integration creates {object} records with the record type {}.", rt.label))
                .fix(format!("Object Manager > {object} > Record Types > New: Record Type Name {}, make it available to the integration user's profile.", rt.developer_name)),
            Some(Err(e)) => finding(id, Status::Unknown, "Record type not readable").detail(fetch_problem(e)),
            None => finding(id, Status::Unknown, "Record type not read"),
        };
        out.push(f.page(RECORD_TYPES_PAGE, object));
    }
    if let Some(package) = &profile.package {
        let id = FindingId::PackageInstalled;
        let f = match &facts.packages {
            Some(Ok(namespaces))
                if namespaces
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&package.namespace)) =>
            {
                finding(id, Status::Pass, format!("{} is installed", package.name))
                    .detail(format!("Managed package namespace {}.", package.namespace))
            }
            Some(Ok(_)) => finding(
                id,
                Status::Fail,
                format!("{} is not installed", package.name),
            )
            .detail(format!(
                "The integration needs the managed package with namespace {}.",
                package.namespace
            ))
            .fix(format!(
                "Install {} from the link the vendor provides (AppExchange), then re-check.",
                package.name
            )),
            Some(Err(e)) => finding(id, Status::Unknown, "Installed packages not readable")
                .detail(fetch_problem(e)),
            None => finding(id, Status::Unknown, "Installed packages not read"),
        };
        out.push(f.page(PACKAGES_PAGE, ""));
    }
    if profile.access.create {
        let required: Vec<&String> = facts
            .fields
            .required_on_create
            .iter()
            .filter(|name| {
                profile.field(name).is_none()
                    && profile
                        .lookup
                        .as_ref()
                        .is_none_or(|l| !l.field.eq_ignore_ascii_case(name))
            })
            .collect();
        let id = FindingId::ObjectRequiredFields;
        let f = if required.is_empty() {
            finding(id, Status::Pass, "No other required fields").detail(format!(
                "New {object} records need only what the integration sends."
            ))
        } else {
            let list: Vec<&str> = required.iter().map(|s| s.as_str()).collect();
            finding(id, Status::Warn, format!("{} required field{} the integration does not set", list.len(), plural(list.len())))
                .detail(format!(
                    "Creating a {object} needs {}; the integration's mapping does not set {}.",
                    list.join(", "),
                    if list.len() == 1 { "it" } else { "them" }
                ))
                .fix("Map these fields in the integration, or give them default values in Object Manager.")
        };
        out.push(f.page(FIELDS_PAGE, object));
    }
}
