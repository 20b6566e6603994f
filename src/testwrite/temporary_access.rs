//! Field access for the logged-in admin, for one test write, given with their consent and taken
//! back right after. Fields created through the API (the app's own fixes) are visible to nobody
//! until a permission set grants them, so an admin who just created them cannot test-write them.
//! A permission set of its own (never the integration's: that one may carry the Integration
//! user licence, which an admin cannot be assigned) grants Read + Edit on the profile's fields,
//! is assigned to the admin, and is deleted after the test (2 API calls in all).
//!
//! The set is journalled in the data directory before it is made and until it is proven
//! deleted, so an app closed in between takes it back on the next connection to the org
//! ([`recover_all`]), once no test write of that org is left to restore (that needs the access).

use super::journal;
use crate::profile::Profile;
use crate::request::soql_string;
use crate::salesforce::{Client, Identity, SfError, SubRequest};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::Path;

/// What was given (or may have been: the Ids are missing until Salesforce said), so it can be
/// taken back; this is also its journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemporaryAccess {
    pub instance_url: String,
    pub org_id: String,
    /// Who was given the access (the logged-in admin).
    pub username: String,
    pub user_id: String,
    pub permission_set_name: String,
    pub permission_set_id: Option<String>,
    pub assignment_id: Option<String>,
    /// When it was given (UTC, RFC 3339).
    pub granted_at: String,
}

impl TemporaryAccess {
    pub fn file_name(&self) -> String {
        format!("{}-{}.json", self.org_id, self.permission_set_name)
    }
}

/// The permission set's API name: unique per minute, so an earlier one left behind never
/// collides (`stamp` is `20261205143000`).
pub fn permission_set_name(stamp: &str) -> String {
    format!("Writeback_Setup_Test_Access_{stamp}")
}

/// The one composite that creates the set, its field grants and the assignment to `user_id`.
pub fn grant_requests(profile: &Profile, user_id: &str, name: &str) -> Vec<SubRequest> {
    let mut requests = vec![SubRequest {
        reference_id: "test_access_set".into(),
        method: "POST".into(),
        url: "sobjects/PermissionSet".into(),
        body: Some(json!({
            "Name": name,
            "Label": "Write-back Setup test access (temporary)",
            "Description": "Given by Write-back Setup Assistant for one test write-back and deleted right after. If it is still here, delete it.",
        })),
    }];
    for (i, field) in profile.fields.iter().enumerate() {
        requests.push(SubRequest {
            reference_id: format!("test_access_field_{i}"),
            method: "POST".into(),
            url: "sobjects/FieldPermissions".into(),
            body: Some(json!({
                "ParentId": "@{test_access_set.id}",
                "SobjectType": profile.object,
                "Field": format!("{}.{}", profile.object, field.api_name),
                "PermissionsRead": true,
                "PermissionsEdit": true,
            })),
        });
    }
    requests.push(SubRequest {
        reference_id: "test_access_assignment".into(),
        method: "POST".into(),
        url: "sobjects/PermissionSetAssignment".into(),
        body: Some(json!({
            "AssigneeId": user_id,
            "PermissionSetId": "@{test_access_set.id}",
        })),
    });
    requests
}

/// The set, its grants and the assignment go in one composite, so all or none is made: a
/// profile with more fields than that holds is said, not split.
fn beyond_one_composite(profile: &Profile, requests: &[SubRequest]) -> Option<String> {
    (requests.len() > crate::request::MAX_SUBREQUESTS).then(|| {
        format!(
            "The profile writes {} fields, more than one grant of temporary access can cover ({}). Log in as the integration user (Connect step) and test as it.",
            profile.fields.len(),
            crate::request::MAX_SUBREQUESTS - 2
        )
    })
}

/// Gives the admin the access; on a partial failure takes back what was made and says why.
/// Journalled in `data_dir` first: without a journal nothing is given.
pub async fn grant(
    client: &Client,
    identity: &Identity,
    profile: &Profile,
    stamp: &str,
    data_dir: &Path,
) -> Result<TemporaryAccess, String> {
    let name = permission_set_name(stamp);
    let requests = grant_requests(profile, &identity.user_id, &name);
    if let Some(why) = beyond_one_composite(profile, &requests) {
        return Err(why);
    }
    let mut access = TemporaryAccess {
        instance_url: client.instance_url().to_string(),
        org_id: identity.organization_id.clone(),
        username: identity.username.clone(),
        user_id: identity.user_id.clone(),
        permission_set_name: name.clone(),
        permission_set_id: None,
        assignment_id: None,
        granted_at: chrono::Utc::now().to_rfc3339(),
    };
    journal::save_access(data_dir, &access).map_err(|e| {
        format!(
            "Nothing was given: the app must keep a note of the temporary access first, and {e}."
        )
    })?;
    let responses = client.composite(&requests).await.map_err(|e| {
        // No answer: whether Salesforce made the set is not known here; the journal keeps it
        // for the next connection.
        format!(
            "{}. If a permission set {name} now exists, the app deletes it on your next connection to this org (or delete it in Setup > Permission Sets).",
            describe(&e)
        )
    })?;
    let created_id = |reference: &str| {
        responses
            .iter()
            .find(|r| r.reference_id == reference)
            .and_then(|r| r.json().ok())
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string))
    };
    access.permission_set_id = created_id("test_access_set");
    access.assignment_id = created_id("test_access_assignment");
    // The Ids make taking it back one call; should this save fail, the name still finds it.
    let _ = journal::save_access(data_dir, &access);
    // The first refusal Salesforce gave (not the "processing halted" of the ones after it).
    let refused = responses
        .iter()
        .filter_map(|r| r.json().err())
        .find(|e| e.code() != Some("PROCESSING_HALTED"));
    match refused {
        None if access.assignment_id.is_some() => Ok(access),
        refused => {
            let reason = refused.map_or_else(
                || "Salesforce did not say why".to_string(),
                |e| describe(&e),
            );
            let cleanup = revoke(client, &access, data_dir).await;
            Err(match cleanup {
                Ok(()) => format!("You could not be given access for the test: {reason}"),
                Err(left) => {
                    format!("You could not be given access for the test: {reason}. {left}")
                }
            })
        }
    }
}

/// Takes the access back: the assignment, then the set (with its grants), in one API call; the
/// journal goes when both are proven gone.
pub async fn revoke(
    client: &Client,
    access: &TemporaryAccess,
    data_dir: &Path,
) -> Result<(), String> {
    let mut requests = Vec::new();
    if let Some(id) = &access.assignment_id {
        requests.push(SubRequest {
            reference_id: "remove_test_access_assignment".into(),
            method: "DELETE".into(),
            url: format!("sobjects/PermissionSetAssignment/{id}"),
            body: None,
        });
    }
    if let Some(id) = &access.permission_set_id {
        requests.push(SubRequest {
            reference_id: "remove_test_access_set".into(),
            method: "DELETE".into(),
            url: format!("sobjects/PermissionSet/{id}"),
            body: None,
        });
    }
    let left = format!(
        "Delete the permission set {} in Setup > Permission Sets.",
        access.permission_set_name
    );
    if !requests.is_empty() {
        let responses = client.composite(&requests).await.map_err(|e| {
            format!(
                "The temporary access was not removed ({}). {left}",
                describe(&e)
            )
        })?;
        let failed = responses.iter().filter_map(|r| r.json().err()).find(|e| {
            // Already gone is what was wanted.
            !matches!(e.code(), Some("NOT_FOUND" | "ENTITY_IS_DELETED"))
        });
        if let Some(e) = failed {
            return Err(format!(
                "The temporary access was not removed ({}). {left}",
                describe(&e)
            ));
        }
    }
    journal::remove_access(data_dir, access)
        .map_err(|e| format!("The temporary access was removed, but its note was not: {e}"))
}

/// Takes back every temporary access of this org left by an app closed mid-test, once no test
/// write of the org is left to restore. One line per journal for the admin; other orgs' are
/// only described. Costs nothing without journals; one call per set whose Ids are known, one
/// more to find a set that was asked for but never confirmed.
pub async fn recover_all(client: &Client, identity: &Identity, data_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    // Orgs with a test write still to restore (that needs the access).
    let orgs_to_restore: Vec<String> = journal::pending(data_dir)
        .into_iter()
        .filter_map(|(_, j)| j.ok().map(|j| j.org_id))
        .collect();
    for (path, parsed) in journal::pending_access(data_dir) {
        let mut access = match parsed {
            Ok(access) => access,
            Err(message) => {
                lines.push(message);
                continue;
            }
        };
        let name = access.permission_set_name.clone();
        if access.org_id != identity.organization_id {
            lines.push(format!(
                "A temporary permission set {name} given to {} on {} ({}) may still exist there. Connect to that org to remove it (the note is kept at {}).",
                access.username,
                access.granted_at,
                access.instance_url,
                path.display()
            ));
            continue;
        }
        if orgs_to_restore.contains(&access.org_id) {
            lines.push(format!(
                "The temporary permission set {name} stays assigned to {} until the interrupted test write is restored: restoring it needs the access.",
                access.username
            ));
            continue;
        }
        if access.permission_set_id.is_none() {
            match find(client, &access).await {
                Ok(Some((set, assignment))) => {
                    access.permission_set_id = Some(set);
                    access.assignment_id = assignment;
                }
                Ok(None) => {
                    // Never made: only the note is left.
                    let _ = journal::remove_access(data_dir, &access);
                    continue;
                }
                Err(e) => {
                    lines.push(format!(
                        "Whether the temporary permission set {name} exists could not be read ({}). Delete it in Setup > Permission Sets if it does.",
                        describe(&e)
                    ));
                    continue;
                }
            }
        }
        lines.push(match revoke(client, &access, data_dir).await {
            Ok(()) => format!(
                "Removed the temporary permission set {name} a test write gave {} on {}.",
                access.username, access.granted_at
            ),
            Err(e) => e,
        });
    }
    lines
}

/// The set of that name and its assignment to the admin, if Salesforce made them.
async fn find(
    client: &Client,
    access: &TemporaryAccess,
) -> Result<Option<(String, Option<String>)>, SfError> {
    let soql = format!(
        "SELECT Id, (SELECT Id FROM Assignments WHERE AssigneeId = {}) FROM PermissionSet WHERE Name = {}",
        soql_string(&access.user_id),
        soql_string(&access.permission_set_name)
    );
    let rows = client.query(&soql).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let id = |v: &serde_json::Value| v.get("Id").and_then(|id| id.as_str()).map(str::to_string);
    let assignment = row
        .get("Assignments")
        .and_then(crate::request::records)
        .and_then(|a| a.first())
        .and_then(id);
    Ok(row
        .get("Id")
        .and_then(|v| v.as_str())
        .map(|set| (set.to_string(), assignment)))
}

fn describe(e: &SfError) -> String {
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_beyond_one_composite_is_said_not_split() {
        let mut profile = crate::profile::builtin("feedback-writeback").unwrap();
        let requests = grant_requests(&profile, "0055g000000000YAAQ", "X");
        assert!(beyond_one_composite(&profile, &requests).is_none());
        let field = profile.fields[0].clone();
        while profile.fields.len() < 24 {
            let mut more = field.clone();
            more.api_name = format!("Extra_{}__c", profile.fields.len());
            profile.fields.push(more);
        }
        let requests = grant_requests(&profile, "0055g000000000YAAQ", "X");
        let why = beyond_one_composite(&profile, &requests).expect("26 subrequests");
        assert!(why.contains("24 fields"), "{why}");
    }

    #[test]
    fn the_grant_is_one_composite_referencing_the_new_set() {
        let profile = crate::profile::builtin(crate::profile::DEFAULT_PROFILE).unwrap();
        let name = permission_set_name("20261205143000");
        let requests = grant_requests(&profile, "005000000000001AAA", &name);
        assert_eq!(requests.len(), profile.fields.len() + 2);
        assert_eq!(requests[0].body.as_ref().unwrap()["Name"], name.as_str());
        let assignment = requests.last().unwrap().body.as_ref().unwrap();
        assert_eq!(assignment["PermissionSetId"], "@{test_access_set.id}");
        assert_eq!(assignment["AssigneeId"], "005000000000001AAA");
        let field = requests[1].body.as_ref().unwrap();
        assert_eq!(
            field["Field"],
            format!("{}.{}", profile.object, profile.fields[0].api_name).as_str()
        );
        assert_eq!(field["PermissionsEdit"], true);
    }
}
