//! Field access for the logged-in admin, for one test write, given with their consent and taken
//! back right after. Fields created through the API (the app's own fixes) are visible to nobody
//! until a permission set grants them, so an admin who just created them cannot test-write them.
//! A permission set of its own (never the integration's: that one may carry the Integration
//! user licence, which an admin cannot be assigned) grants Read + Edit on the profile's fields,
//! is assigned to the admin, and is deleted after the test (2 API calls in all).

use crate::profile::Profile;
use crate::salesforce::{Client, SfError, SubRequest};
use serde_json::json;

/// What was given, so it can be taken back.
#[derive(Clone, Debug, PartialEq)]
pub struct TemporaryAccess {
    pub permission_set_name: String,
    pub permission_set_id: Option<String>,
    pub assignment_id: Option<String>,
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
pub async fn grant(
    client: &Client,
    profile: &Profile,
    user_id: &str,
    stamp: &str,
) -> Result<TemporaryAccess, String> {
    let name = permission_set_name(stamp);
    let requests = grant_requests(profile, user_id, &name);
    if let Some(why) = beyond_one_composite(profile, &requests) {
        return Err(why);
    }
    let responses = client.composite(&requests).await.map_err(|e| {
        // No answer: whether Salesforce made the set is not known here.
        format!(
            "{}. If a permission set {name} now exists, delete it in Setup > Permission Sets.",
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
    let access = TemporaryAccess {
        permission_set_name: name,
        permission_set_id: created_id("test_access_set"),
        assignment_id: created_id("test_access_assignment"),
    };
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
            let cleanup = revoke(client, &access).await;
            Err(match cleanup {
                Ok(()) => format!("You could not be given access for the test: {reason}"),
                Err(left) => {
                    format!("You could not be given access for the test: {reason}. {left}")
                }
            })
        }
    }
}

/// Takes the access back: the assignment, then the set (with its grants). One API call.
pub async fn revoke(client: &Client, access: &TemporaryAccess) -> Result<(), String> {
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
    if requests.is_empty() {
        return Ok(());
    }
    let left = format!(
        "Delete the permission set {} in Setup > Permission Sets.",
        access.permission_set_name
    );
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
    match failed {
        None => Ok(()),
        Some(e) => Err(format!(
            "The temporary access was not removed ({}). {left}",
            describe(&e)
        )),
    }
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
