//! Step 3: the integration user exists, is active and not frozen (`user.found`), may use the API
//! (`user.api_enabled`), and may read and edit the object (`user.object_access`), the fields
//! (`user.field_access`) and the chosen record (`user.record_access`). A permission set that
//! does not count (expired, session activation, missing licence) is named in the failing check,
//! with the fix that fits its reason.

use super::facts::{Facts, HeldSet, NotCounted, UserFacts};
use super::finding::{
    day, fetch_problem, finding, plural, PERMISSION_SETS_PAGE, SHARING_PAGE, USERS_PAGE,
};
use super::{Finding, FindingId, Inputs, Status};
use crate::profile::Profile;

const USER_CHECKS: [(FindingId, &str); 5] = [
    (FindingId::UserFound, "Integration user"),
    (FindingId::UserApiEnabled, "API Enabled"),
    (FindingId::UserObjectAccess, "Object access"),
    (FindingId::UserFieldAccess, "Field access"),
    (FindingId::UserRecordAccess, "Record access"),
];

fn all_user_checks(status: Status, detail: &str, fix: Option<&str>, out: &mut Vec<Finding>) {
    for (id, title) in USER_CHECKS {
        let mut f = finding(id, status, title)
            .detail(detail.to_string())
            .page(USERS_PAGE, "");
        if let Some(fix) = fix {
            f = f.fix(fix.to_string());
        }
        out.push(f);
    }
}

/// Why a set that would grant something does not, in words.
fn why_not(set: &HeldSet, username: &str) -> String {
    match &set.not_counted {
        Some(NotCounted::Expired(on)) => format!(
            "the assignment of {} to {username} expired on {}",
            set.grantor,
            day(on)
        ),
        Some(NotCounted::SessionActivation) => format!(
            "{} needs session activation, which an integration never does",
            set.grantor
        ),
        Some(NotCounted::MissingLicence(licence)) => format!(
            "{} needs the permission set licence {}, which {username} does not hold",
            set.grantor,
            if licence.is_empty() {
                "it was created with"
            } else {
                licence
            }
        ),
        None => String::new(),
    }
}

/// The fix for a grant held only through sets that do not count.
fn fix_for(set: &HeldSet, user: &UserFacts) -> String {
    let username = &user.username;
    match &set.not_counted {
        Some(NotCounted::Expired(_)) => format!(
            "Setup > Users > {username} > Permission Set Assignments: extend the expiration of {} (or remove and assign it again without an end date).",
            set.grantor
        ),
        Some(NotCounted::SessionActivation) => format!(
            "Use a permission set without \"Session Activation Required\" for the integration: edit {} and untick it, or assign the same permissions through another set.",
            set.grantor
        ),
        Some(NotCounted::MissingLicence(licence)) => format!(
            "Setup > Users > {username} > Permission Set License Assignments > Edit Assignments: assign {} first; {} then applies.",
            match (licence.is_empty(), user.license == super::facts::INTEGRATION_USER_LICENSE) {
                (false, _) => licence.clone(),
                // The usual case, named as a hint: the set's own licence is known only by Id.
                (true, true) => "the permission set licence the set was created with (for a Salesforce Integration user, usually Salesforce API Integration)".to_string(),
                (true, false) => "the permission set licence the set was created with".to_string(),
            },
            set.grantor
        ),
        None => String::new(),
    }
}

/// For a lacking grant: the sets that would give it if they counted, with why they do not.
fn blocked_grants(user: &UserFacts, gives: impl Fn(&HeldSet) -> bool) -> Vec<&HeldSet> {
    user.sets
        .iter()
        .filter(|s| !s.counts() && gives(s))
        .collect()
}

/// "permission set A, which does not count because …; permission set B, …"
fn why_not_all(sets: &[&HeldSet], username: &str) -> String {
    sets.iter()
        .map(|s| {
            format!(
                "{}, which does not count because {}",
                s.grantor,
                why_not(s, username)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The fix of each set that would grant, in order.
fn fixes_for(sets: &[&HeldSet], user: &UserFacts) -> String {
    let mut fixes: Vec<String> = sets.iter().map(|s| fix_for(s, user)).collect();
    fixes.dedup();
    fixes.join(" Or: ")
}

pub(super) fn check(
    profile: &Profile,
    inputs: &Inputs,
    facts: &Facts,
    existing_fields: &[String],
    out: &mut Vec<Finding>,
) {
    let Some(username) = &inputs.integration_user else {
        all_user_checks(
            Status::Unknown,
            "No integration user chosen yet: the checks below run as soon as one is.",
            Some("Choose the Salesforce user whose login authorizes the integration."),
            out,
        );
        return;
    };
    let user = match &facts.user {
        Some(Ok(Some(user))) => user,
        Some(Ok(None)) => {
            out.push(
                finding(FindingId::UserFound, Status::Fail, format!("No user {username}"))
                    .detail(format!("No user with the username {username} exists in this org."))
                    .fix("Check the username (it looks like an email address, e.g. integration@yourcompany.com), or create the integration user in Setup > Users.")
                    .page(USERS_PAGE, ""),
            );
            for (id, title) in &USER_CHECKS[1..] {
                out.push(
                    finding(*id, Status::Skipped, *title)
                        .detail("The integration user was not found."),
                );
            }
            return;
        }
        Some(Err(e)) => {
            all_user_checks(
                Status::Unknown,
                &fetch_problem(e),
                Some("Log in as an admin with View Setup and Configuration to read permissions."),
                out,
            );
            return;
        }
        None => {
            all_user_checks(Status::Unknown, "Permissions were not read.", None, out);
            return;
        }
    };
    check_found(profile, user, out);
    let held_evidence: Vec<String> = user
        .sets
        .iter()
        .map(|s| match &s.not_counted {
            None => s.grantor.clone(),
            Some(_) => format!(
                "{} (does not count: {})",
                s.grantor,
                why_not(s, &user.username)
            ),
        })
        .collect();
    check_api(user, &held_evidence, out);
    check_object(profile, user, &held_evidence, out);
    check_fields(profile, user, facts, existing_fields, out);
    check_record(profile, inputs, user, facts, out);
}

fn check_found(profile: &Profile, user: &UserFacts, out: &mut Vec<Finding>) {
    let object = &profile.object;
    let crm_object = matches!(
        object.as_str(),
        "Case" | "Lead" | "Opportunity" | "Campaign"
    );
    let mut evidence = vec![format!(
        "User {}: active={}, profile {}, licence {}",
        user.username, user.active, user.profile, user.license
    )];
    match &user.frozen {
        Some(Ok(frozen)) => evidence.push(format!("UserLogin: IsFrozen={frozen}")),
        Some(Err(e)) => evidence.push(format!("UserLogin not readable: {}", fetch_problem(e))),
        None => {}
    }
    let f = if !user.active {
        finding(FindingId::UserFound, Status::Fail, format!("{} is inactive", user.username))
            .detail("A deactivated user cannot log in, so the integration's token stops working and nothing is written.")
            .fix("Setup > Users > Edit the user > tick Active > Save. Then re-authorize the integration (step 4).")
    } else if matches!(user.frozen, Some(Ok(true))) {
        finding(FindingId::UserFound, Status::Fail, format!("{} is frozen", user.username))
            .detail("A frozen user cannot log in or call the API: every write the integration tries is refused until the user is unfrozen.")
            .fix(format!("Setup > Users > {} > Unfreeze. Then re-authorize the integration (step 4) if its token was refused meanwhile.", user.username))
    } else if user.license == "Salesforce Platform" && crm_object {
        finding(
            FindingId::UserFound,
            Status::Fail,
            format!("The Salesforce Platform licence cannot use {object}"),
        )
        .detail(format!(
            "{} has a Salesforce Platform licence, which has no access to {object} records.",
            user.username
        ))
        .fix("Give the integration user a Salesforce or Salesforce Integration licence.")
    } else if let Some(Err(e)) = &user.frozen {
        finding(
            FindingId::UserFound,
            Status::Unknown,
            format!("Could not read whether {} is frozen", user.username),
        )
        .detail(format!(
            "{} is active, but whether the user is frozen (UserLogin) needs Manage Users: {}",
            user.username,
            fetch_problem(e)
        ))
        .fix(format!(
            "Confirm manually: Setup > Users > {}: the user page shows no Unfreeze button.",
            user.username
        ))
    } else {
        finding(
            FindingId::UserFound,
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
}

fn check_api(user: &UserFacts, held: &[String], out: &mut Vec<Finding>) {
    let granting: Vec<String> = user
        .counting()
        .filter(|s| s.api_enabled)
        .map(|s| s.grantor.clone())
        .collect();
    let f = if !granting.is_empty() {
        finding(FindingId::UserApiEnabled, Status::Pass, "API Enabled")
            .detail(format!("Granted by {}.", granting.join(", ")))
    } else if let blocked @ [_, ..] = blocked_grants(user, |s| s.api_enabled).as_slice() {
        finding(FindingId::UserApiEnabled, Status::Fail, format!("{} lacks API Enabled", user.username))
            .detail(format!(
                "API Enabled comes only from {}. Every call the integration makes is refused (API_CURRENTLY_DISABLED).",
                why_not_all(blocked, &user.username)
            ))
            .fix(fixes_for(blocked, user))
    } else {
        finding(FindingId::UserApiEnabled, Status::Fail, format!("{} lacks API Enabled", user.username))
            .detail("Without the API Enabled permission every call the integration makes is refused (API_CURRENTLY_DISABLED).")
            .fix("Edit the integration permission set > System Permissions > tick API Enabled > Save.")
    };
    out.push(
        f.granted_by(granting)
            .page(PERMISSION_SETS_PAGE, "")
            .evidence(held.to_vec()),
    );
}

fn check_object(profile: &Profile, user: &UserFacts, held: &[String], out: &mut Vec<Finding>) {
    let object = &profile.object;
    let full = user.counting().any(|s| s.modify_all);
    let grants = |s: &HeldSet, what: &str| match what {
        "Read" => s.object.read || s.modify_all || s.view_all,
        "Create" => s.object.create || s.modify_all,
        _ => s.object.edit || s.modify_all,
    };
    let needed: Vec<&str> = [
        ("Read", profile.access.read),
        ("Create", profile.access.create),
        ("Edit", profile.access.edit),
    ]
    .into_iter()
    .filter(|(_, wanted)| *wanted)
    .map(|(name, _)| name)
    .collect();
    let lacking: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|what| !user.counting().any(|s| grants(s, what)))
        .collect();
    let mut grantors: Vec<String> = user
        .counting()
        .filter(|s| needed.iter().any(|what| grants(s, what)))
        .map(|s| s.grantor.clone())
        .collect();
    grantors.sort();
    grantors.dedup();
    let f = if lacking.is_empty() {
        finding(
            FindingId::UserObjectAccess,
            Status::Pass,
            format!("{} on {object}", needed.join(" + ")),
        )
        .detail(format!(
            "Granted by {}{}.",
            grantors.join(", "),
            if full { " (Modify All Data)" } else { "" }
        ))
    } else {
        let title = format!("No {} on {object}", lacking.join(" or "));
        let blocked = blocked_grants(user, |s| lacking.iter().any(|what| grants(s, what)));
        let has = if grantors.is_empty() {
            format!("has no access to {object}")
        } else {
            format!(
                "only has {} through {}",
                needed
                    .iter()
                    .filter(|n| !lacking.contains(n))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" + "),
                grantors.join(", ")
            )
        };
        match blocked.as_slice() {
            blocked @ [_, ..] => finding(FindingId::UserObjectAccess, Status::Fail, title)
                .detail(format!(
                    "{} {has}: {} on {object} would come from {}. Its writes fail with INSUFFICIENT_ACCESS_OR_READONLY.",
                    user.username,
                    lacking.join(" and "),
                    why_not_all(blocked, &user.username)
                ))
                .fix(fixes_for(blocked, user)),
            [] => finding(FindingId::UserObjectAccess, Status::Fail, title)
                .detail(format!(
                    "{} {has}, but the integration needs {} on {object}: its writes fail with INSUFFICIENT_ACCESS_OR_READONLY.",
                    user.username,
                    needed.join(" + ")
                ))
                .fix(format!(
                    "In the integration's permission set (Setup > Permission Sets > the set > Object Settings > {object}s > Edit), tick {} and save; assign the set to {} if it is not yet.",
                    needed.join(" and "),
                    user.username
                )),
        }
    };
    out.push(
        f.granted_by(grantors)
            .page(PERMISSION_SETS_PAGE, "")
            .evidence(held.to_vec()),
    );
}

fn check_fields(
    profile: &Profile,
    user: &UserFacts,
    facts: &Facts,
    existing_fields: &[String],
    out: &mut Vec<Finding>,
) {
    let object = &profile.object;
    if existing_fields.is_empty() {
        out.push(
            finding(FindingId::UserFieldAccess, Status::Skipped, "Field access")
                .detail("Create the fields first (step 1)."),
        );
        return;
    }
    let mut lacking = Vec::new();
    let mut read_only = Vec::new();
    let mut blocked_sets: Vec<&HeldSet> = Vec::new();
    let mut granted = Vec::new();
    let mut evidence = Vec::new();
    for field in existing_fields {
        let key = format!("{object}.{field}").to_lowercase();
        // A field without field-level security (required, system) follows the object's access.
        let follows_object = facts
            .fields
            .get(field)
            .and_then(|s| s.describe.as_ref())
            .is_some_and(|d| !d.permissionable);
        let readers: Vec<&str> = user
            .counting()
            .filter(|s| {
                if follows_object {
                    s.object.read || s.modify_all || s.view_all
                } else {
                    s.fields.get(&key).is_some_and(|a| a.0)
                }
            })
            .map(|s| s.grantor.as_str())
            .collect();
        let editors: Vec<&str> = user
            .counting()
            .filter(|s| {
                if follows_object {
                    s.object.edit || s.modify_all
                } else {
                    s.fields.get(&key).is_some_and(|a| a.1)
                }
            })
            .map(|s| s.grantor.as_str())
            .collect();
        let computed = facts.fields.get(field).and_then(|s| s.read_only);
        if let Some(kind) = computed {
            read_only.push(format!("{field} is {}: Salesforce computes it, so nobody can edit it, whatever its field-level security says", kind.words()));
        } else if editors.is_empty() {
            lacking.push(format!(
                "{field} ({})",
                if readers.is_empty() {
                    "no access"
                } else {
                    "read-only"
                }
            ));
            blocked_sets.extend(blocked_grants(user, |s| {
                s.fields.get(&key).is_some_and(|a| a.1)
            }));
        } else {
            granted.push(format!("{field}: {}", editors.join(", ")));
        }
        evidence.push(format!(
            "{field}: read {}, edit {}{}",
            !readers.is_empty(),
            !editors.is_empty() && computed.is_none(),
            computed
                .map(|k| format!(" ({})", k.words()))
                .unwrap_or_default()
        ));
    }
    let editable = existing_fields.len() - lacking.len() - read_only.len();
    let f = if lacking.is_empty() && read_only.is_empty() {
        finding(
            FindingId::UserFieldAccess,
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
        let count = lacking.len() + read_only.len();
        let mut detail = Vec::new();
        let mut fixes = Vec::new();
        if !lacking.is_empty() {
            detail.push(format!(
                "{} cannot edit {}: writes fail with INVALID_FIELD_FOR_INSERT_UPDATE (read-only) or INVALID_FIELD (no access). Modify All Data does not bypass field-level security.",
                user.username,
                lacking.join(", ")
            ));
            blocked_sets.dedup_by(|a, b| a.grantor == b.grantor);
            match blocked_sets.as_slice() {
                blocked @ [_, ..] => {
                    detail.push(format!("Edit would come from {}.", why_not_all(blocked, &user.username)));
                    fixes.push(fixes_for(blocked, user));
                }
                [] => fixes.push(format!(
                    "In the integration's permission set: Object Settings > {object}s > Edit > Field Permissions: tick Read Access and Edit Access for {} and save.",
                    lacking.iter().map(|l| l.split(' ').next().unwrap_or("")).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        if !read_only.is_empty() {
            detail.push(format!("{}.", read_only.join("; ")));
            fixes.push("Create plain fields of the types the integration needs instead of the computed ones (step 1 says which).".to_string());
        }
        finding(
            FindingId::UserFieldAccess,
            Status::Fail,
            format!(
                "{count} field{} not editable ({editable} of {} editable)",
                plural(count),
                existing_fields.len()
            ),
        )
        .detail(detail.join(" "))
        .fix(fixes.join(" "))
    };
    out.push(
        f.granted_by(granted)
            .page(PERMISSION_SETS_PAGE, "")
            .evidence(evidence),
    );
}

/// The org-wide default in an admin's words.
fn default_access_words(access: &str) -> &str {
    match access {
        "None" => "Private",
        "Read" => "Public Read Only",
        "Edit" => "Public Read/Write",
        "ReadEditTransfer" => "Public Read/Write/Transfer",
        "ControlledByParent" => "Controlled by Parent",
        other => other,
    }
}

fn check_record(
    profile: &Profile,
    inputs: &Inputs,
    user: &UserFacts,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    let object = &profile.object;
    let Some(id) = &inputs.record_id else {
        out.push(
            finding(
                FindingId::UserRecordAccess,
                Status::Skipped,
                "Record access",
            )
            .detail(
                "No record chosen: pick a record to check that the integration user may edit it.",
            ),
        );
        return;
    };
    let default = facts
        .org
        .as_ref()
        .and_then(|o| o.as_ref().ok())
        .and_then(|o| o.default_access.clone());
    let f = match &facts.record_access {
        Some(Ok(access)) => {
            let level = access.as_ref().map_or("None", |a| a.level.as_str());
            let mut evidence = vec![format!("UserRecordAccess {id}: {level}")];
            if let Some(d) = &default {
                evidence.push(format!("Organization: Default{object}Access = {d}"));
            }
            let f = if access.as_ref().is_some_and(|a| a.edit) {
                finding(
                    FindingId::UserRecordAccess,
                    Status::Pass,
                    format!("{} may edit {id}", user.username),
                )
                .detail(format!("Access level {level}."))
            } else {
                let why = match default.as_deref() {
                    Some(d @ ("None" | "Read")) => format!(
                        "The {object} org-wide default is {}: {} may edit only {object} records they own, own through a role below theirs, or that are shared with them.",
                        default_access_words(d),
                        user.username
                    ),
                    _ => "Sharing, ownership or a record lock keeps the integration from writing to this record.".to_string(),
                };
                finding(FindingId::UserRecordAccess, Status::Fail, format!("{} may not edit {id}", user.username))
                    .detail(format!("Access level {level}. {why}"))
                    .fix(format!(
                        "Grant edit on the records the integration writes: tick Modify All on {object} in the integration's permission set, or add a sharing rule that shares {object} records Read/Write with the integration user (Setup > Sharing Settings), or place the user in a role above the records' owners. A locked record must be unlocked."
                    ))
                    .page(SHARING_PAGE, "")
            };
            f.evidence(evidence)
        }
        Some(Err(e)) => finding(
            FindingId::UserRecordAccess,
            Status::Unknown,
            "Record access",
        )
        .detail(fetch_problem(e)),
        None => finding(
            FindingId::UserRecordAccess,
            Status::Unknown,
            "Record access not read",
        ),
    };
    out.push(f);
}
