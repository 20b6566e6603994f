//! Parent-to-child relationship subqueries (`SELECT Id, (SELECT ... FROM ObjectPerms) FROM
//! PermissionSet`) against the simulated org over HTTP.

use crate::common;

use common::{error_code, query, send, start, V};
use reqwest::Method;
use serde_json::{json, Value};

const USER: &str = "integration@acme.example";

fn permission_set_query(username: &str) -> String {
    format!(
        "SELECT Id, Name, \
         (SELECT SobjectType, PermissionsRead, PermissionsEdit FROM ObjectPerms WHERE SobjectType = 'Case'), \
         (SELECT Field, PermissionsRead, PermissionsEdit FROM FieldPerms WHERE Field IN \
           ('Case.Enterpret_Summary__c', 'Case.Enterpret_Sentiment__c', 'Case.Enterpret_Taxonomy_Paths__c')), \
         (SELECT Id, ExpirationDate, PermissionSetGroupId, Assignee.Username, Assignee.IsActive FROM Assignments \
           WHERE Assignee.Username = '{username}') \
         FROM PermissionSet \
         WHERE Id IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username = '{username}')"
    )
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Checks the records of the permission-set query for the integration user.
fn check_integration_sets(body: &Value) {
    let records = body["records"].as_array().expect("records");
    assert_eq!(body["totalSize"], 2, "{body}");
    assert_eq!(records.len(), 2, "{body}");
    for rec in records {
        assert_eq!(
            keys(rec),
            [
                "attributes",
                "Id",
                "Name",
                "ObjectPerms",
                "FieldPerms",
                "Assignments"
            ]
        );
        assert_eq!(rec["attributes"]["type"], "PermissionSet");
    }
    let enterpret = records
        .iter()
        .find(|r| r["Name"] == "Enterpret_Integration")
        .unwrap_or_else(|| panic!("Enterpret_Integration missing: {body}"));
    let owned = records
        .iter()
        .find(|r| r["Name"] != "Enterpret_Integration")
        .unwrap();
    assert!(
        owned["Name"].as_str().unwrap().starts_with('X'),
        "profile-owned set: {owned}"
    );

    // ObjectPerms: Case, read + edit.
    let object_perms = &enterpret["ObjectPerms"];
    assert_eq!(object_perms["totalSize"], 1, "{object_perms}");
    assert_eq!(object_perms["done"], true);
    let op = &object_perms["records"][0];
    assert_eq!(
        keys(op),
        [
            "attributes",
            "SobjectType",
            "PermissionsRead",
            "PermissionsEdit"
        ]
    );
    assert_eq!(op["attributes"]["type"], "ObjectPermissions");
    assert!(op["attributes"]["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("/services/data/{V}/sobjects/ObjectPermissions/")));
    assert_eq!(op["SobjectType"], "Case");
    assert_eq!(op["PermissionsRead"], true);
    assert_eq!(op["PermissionsEdit"], true);

    // FieldPerms: the three Enterpret fields, read + edit.
    let field_perms = &enterpret["FieldPerms"];
    assert_eq!(field_perms["totalSize"], 3, "{field_perms}");
    let mut fields: Vec<&str> = field_perms["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["attributes"]["type"], "FieldPermissions");
            assert_eq!(r["PermissionsRead"], true, "{r}");
            assert_eq!(r["PermissionsEdit"], true, "{r}");
            r["Field"].as_str().unwrap()
        })
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "Case.Enterpret_Sentiment__c",
            "Case.Enterpret_Summary__c",
            "Case.Enterpret_Taxonomy_Paths__c"
        ]
    );

    // Assignments with the assignee as a nested parent record.
    for set in [enterpret, owned] {
        let assignments = &set["Assignments"];
        assert_eq!(assignments["totalSize"], 1, "{assignments}");
        let a = &assignments["records"][0];
        assert_eq!(
            keys(a),
            [
                "attributes",
                "Id",
                "ExpirationDate",
                "PermissionSetGroupId",
                "Assignee"
            ]
        );
        assert_eq!(a["attributes"]["type"], "PermissionSetAssignment");
        assert_eq!(a["ExpirationDate"], Value::Null);
        assert_eq!(a["PermissionSetGroupId"], Value::Null);
        assert_eq!(keys(&a["Assignee"]), ["attributes", "Username", "IsActive"]);
        assert_eq!(a["Assignee"]["attributes"]["type"], "User");
        assert_eq!(a["Assignee"]["Username"], USER);
        assert_eq!(a["Assignee"]["IsActive"], true);
    }

    // The API-only profile grants nothing on Case: null, not an empty list.
    assert_eq!(owned["ObjectPerms"], Value::Null, "{owned}");
    assert_eq!(owned["FieldPerms"], Value::Null, "{owned}");
}

#[tokio::test]
async fn permission_sets_with_their_permissions_and_assignments() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let (status, body) = query(&sim, &admin, &permission_set_query(USER), false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["done"], true);
    check_integration_sets(&body);

    // A user's assignments from the User side, ordered inside the subquery.
    let soql = "SELECT Username, (SELECT PermissionSet.Name FROM PermissionSetAssignments \
                ORDER BY PermissionSet.IsOwnedByProfile DESC) FROM User WHERE Username = 'integration@acme.example'";
    let (status, body) = query(&sim, &admin, soql, false).await;
    assert_eq!(status, 200, "{body}");
    let assignments = &body["records"][0]["PermissionSetAssignments"];
    assert_eq!(assignments["totalSize"], 2, "{body}");
    assert_eq!(
        assignments["records"][1]["PermissionSet"]["Name"],
        "Enterpret_Integration"
    );
}

#[tokio::test]
async fn unknown_child_relationship_is_invalid_type() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, (SELECT Id FROM Foo) FROM PermissionSet",
        false,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_TYPE");
    assert_eq!(
        body[0]["message"],
        "\nSELECT Id, (SELECT Id FROM Foo) FROM PermissionSet\n                           ^\nERROR at Row:1:Column:28\nDidn't understand relationship 'Foo' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
    );

    // An unknown column of the child object.
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, (SELECT Bogus FROM ObjectPerms) FROM PermissionSet",
        false,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_FIELD");
    assert!(
        body[0]["message"]
            .as_str()
            .unwrap()
            .contains("No such column 'Bogus' on entity 'ObjectPermissions'."),
        "{body}"
    );

    // The Tooling API does not serve ObjectPermissions (PermissionSetAssignment it does).
    let (status, body) = query(
        &sim,
        &admin,
        "SELECT Id, (SELECT Id FROM ObjectPerms) FROM PermissionSet",
        true,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "INVALID_TYPE");
}

#[tokio::test]
async fn child_subqueries_inside_composite() {
    let sim = start("ready").await;
    let admin = sim.admin_token().to_string();
    let q: String =
        url::form_urlencoded::byte_serialize(permission_set_query(USER).as_bytes()).collect();
    let request = json!({"compositeRequest": [
        {"method": "GET", "referenceId": "sets", "url": format!("/services/data/{V}/query/?q={q}")},
    ]});
    let (status, body) = send(
        &sim,
        &admin,
        Method::POST,
        &format!("/services/data/{V}/composite"),
        &request,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let response = &body["compositeResponse"][0];
    assert_eq!(response["httpStatusCode"], 200, "{response}");
    check_integration_sets(&response["body"]);
}
