//! What to fetch for a run of the checks, as data: composite subrequests (standard and Tooling)
//! packed within Salesforce's composite limits, and whether to read the app's metadata.

use super::Inputs;
use crate::profile::{FieldType, Profile};
use crate::request::{self, query_path, soql_string};

/// Metadata types listed to find the integration's app (one `listMetadata` call).
pub const APP_METADATA_TYPES: [&str; 2] = ["ConnectedApp", "ExtlClntAppOauthSettings"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedRequest {
    pub reference_id: String,
    /// Path relative to the API version root, e.g. `query/?q=...` or `sobjects/Case/describe`.
    pub path: String,
    pub is_query: bool,
    /// An sObject Relationships GET: Salesforce may answer 200 with no body when "no
    /// relationship set exists" (REST API guide), which means no related records; its records
    /// may come as a query-shaped answer or a bare list (`facts::related_rows`).
    pub empty_ok: bool,
}

/// The round trips a run makes: each inner Vec is one composite request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub standard: Vec<Vec<PlannedRequest>>,
    pub tooling: Vec<Vec<PlannedRequest>>,
}

fn list(values: impl IntoIterator<Item = String>) -> String {
    values
        .into_iter()
        .map(|v| soql_string(&v))
        .collect::<Vec<_>>()
        .join(", ")
}

impl PlannedRequest {
    /// A SOQL query (composite references `@{...}` kept as written).
    pub fn query(reference_id: &str, soql: &str) -> PlannedRequest {
        PlannedRequest {
            reference_id: reference_id.to_string(),
            path: query_path(soql),
            is_query: true,
            empty_ok: false,
        }
    }

    /// A GET of a resource, e.g. `sobjects/Case/describe`.
    pub fn get(reference_id: &str, path: String) -> PlannedRequest {
        PlannedRequest {
            reference_id: reference_id.to_string(),
            path,
            is_query: false,
            empty_ok: false,
        }
    }

    /// A GET of a record's related records (sObject Relationships), e.g.
    /// `sobjects/User/{id}/PermissionSetLicenseAssignments`: not a query, and possibly empty.
    pub fn related(reference_id: &str, path: String) -> PlannedRequest {
        PlannedRequest {
            empty_ok: true,
            ..PlannedRequest::get(reference_id, path)
        }
    }
}

fn query(reference_id: &str, soql: &str) -> PlannedRequest {
    PlannedRequest::query(reference_id, soql)
}

fn resource(reference_id: &str, path: String) -> PlannedRequest {
    PlannedRequest::get(reference_id, path)
}

impl request::Subrequest for PlannedRequest {
    fn reference_id(&self) -> &str {
        &self.reference_id
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn is_query(&self) -> bool {
        self.is_query
    }
}

/// Packs requests into composites within Salesforce's limits.
pub fn pack(requests: Vec<PlannedRequest>) -> Vec<Vec<PlannedRequest>> {
    request::pack(requests)
}

/// The custom field's `DeveloperName` (no `__c`, no namespace) and namespace.
fn developer_name(api_name: &str) -> (String, Option<String>) {
    let base = api_name.trim_end_matches("__c");
    match base.split_once("__") {
        Some((ns, name)) => (name.to_string(), Some(ns.to_string())),
        None => (base.to_string(), None),
    }
}

/// The integration user's Id, by composite reference to the permissions answer (every user
/// holds at least their profile's permission set, so the first row has an assignment).
const INTEGRATION_USER_ID: &str = "@{perms.records[0].Assignments.records[0].AssigneeId}";

/// The active Case assignment rules (an update may reassign the record).
const CASE_ASSIGNMENT_RULES: &str =
    "SELECT Id, Name FROM AssignmentRule WHERE SobjectType = 'Case' AND Active = true";

pub fn plan(profile: &Profile, inputs: &Inputs) -> Plan {
    let object = soql_string(&profile.object);
    let mut standard = Vec::new();
    if !inputs.logged_in.org_id.is_empty() {
        standard.push(resource(
            "org",
            format!(
                "sobjects/Organization/{}?fields=Id,Name,OrganizationType,IsSandbox,InstanceName,TrialExpirationDate{}",
                inputs.logged_in.org_id,
                // The org-wide default of the profile's object, where the Organization has one.
                if matches!(profile.object.as_str(), "Case" | "Contact" | "Lead" | "Account" | "Opportunity") {
                    format!(",Default{}Access", profile.object)
                } else {
                    String::new()
                }
            ),
        ));
    }
    standard.push(resource(
        "describe",
        format!("sobjects/{}/describe", profile.object),
    ));

    match &inputs.integration_user {
        Some(username) => {
            let user = soql_string(username);
            let field_names: Vec<String> = profile
                .fields
                .iter()
                .map(|f| format!("{}.{}", profile.object, f.api_name))
                .collect();
            let field_perms = if field_names.is_empty() {
                String::new()
            } else {
                format!(
                    ", (SELECT Field, PermissionsRead, PermissionsEdit FROM FieldPerms WHERE Field IN ({}))",
                    list(field_names)
                )
            };
            standard.push(query(
                "perms",
                &format!(
                    "SELECT Id, Name, Label, Type, IsOwnedByProfile, Profile.Name, LicenseId, \
                     PermissionSetGroup.DeveloperName, PermissionSetGroup.MasterLabel, HasActivationRequired, \
                     PermissionsApiEnabled, PermissionsModifyAllData, PermissionsViewAllData, \
                     (SELECT SobjectType, PermissionsRead, PermissionsCreate, PermissionsEdit FROM ObjectPerms WHERE SobjectType = {object}){field_perms}, \
                     (SELECT AssigneeId, ExpirationDate, PermissionSetGroupId, Assignee.Username, Assignee.Name, Assignee.IsActive, \
                     Assignee.UserType, Assignee.Profile.Name, Assignee.Profile.UserLicense.Name FROM Assignments WHERE Assignee.Username = {user}) \
                     FROM PermissionSet WHERE Id IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Username = {user})"
                ),
            ));
            // The permission set licences the user holds: a set created with one grants nothing
            // to a user without it. An sObject Relationships GET, not a query, so it does not
            // count against the composite's five queries.
            standard.push(PlannedRequest::related(
                "licences",
                format!("sobjects/User/{INTEGRATION_USER_ID}/PermissionSetLicenseAssignments?fields=Id,PermissionSetLicenseId"),
            ));
            // A frozen user cannot log in (UserLogin needs Manage Users to read).
            standard.push(query(
                "login",
                &format!(
                    "SELECT UserId, IsFrozen FROM UserLogin WHERE UserId IN (SELECT Id FROM User WHERE Username = {user})"
                ),
            ));
            if let Some(record) = &inputs.record_id {
                standard.push(query(
                    "record",
                    &format!(
                        "SELECT RecordId, HasReadAccess, HasEditAccess, MaxAccessLevel FROM UserRecordAccess \
                         WHERE UserId = '{INTEGRATION_USER_ID}' AND RecordId = {}",
                        soql_string(record)
                    ),
                ));
            }
        }
        None => standard.push(query(
            "candidates",
            "SELECT Id, Username, Name, IsActive, Profile.Name, Profile.UserLicense.Name FROM User \
             WHERE IsActive = true AND (Profile.UserLicense.Name = 'Salesforce Integration' \
             OR Profile.PermissionsApiUserOnly = true OR Username LIKE '%integration%' OR Name LIKE '%integration%') \
             ORDER BY Username LIMIT 50",
        )),
    }
    standard.push(query(
        "tokens",
        &format!(
            "SELECT Id, AppName, User.Username, User.IsActive, CreatedDate, LastUsedDate, UseCount FROM OauthToken \
             WHERE AppName = {} ORDER BY CreatedDate DESC",
            soql_string(&profile.app.label)
        ),
    ));
    if matches!(profile.object.as_str(), "Contact" | "Lead" | "Account") {
        standard.push(query(
            "duplicates",
            &format!(
                "SELECT Id, DeveloperName, MasterLabel, SobjectType FROM DuplicateRule WHERE SobjectType = {object} AND IsActive = true"
            ),
        ));
    }
    standard.push(query(
        "flows",
        &format!(
            "SELECT ApiName, Label, ProcessType, TriggerType, RecordTriggerType, NamespacePrefix FROM FlowDefinitionView \
             WHERE TriggerObjectOrEvent.QualifiedApiName = {object} AND IsActive = true"
        ),
    ));
    if let Some(rt) = &profile.record_type {
        standard.push(query(
            "record_type",
            &format!(
                "SELECT Id, Name, DeveloperName, IsActive FROM RecordType WHERE SobjectType = {object} AND DeveloperName = {}",
                soql_string(&rt.developer_name)
            ),
        ));
    }

    let mut tooling = Vec::new();
    let mut wanted: Vec<String> = profile.fields.iter().map(|f| f.api_name.clone()).collect();
    if let Some(lookup) = &profile.lookup {
        if !wanted.iter().any(|w| w.eq_ignore_ascii_case(&lookup.field)) {
            wanted.push(lookup.field.clone());
        }
    }
    if !wanted.is_empty() {
        tooling.push(query(
            "fields",
            &format!(
                "SELECT QualifiedApiName, Label, DataType, Length, DurableId FROM FieldDefinition \
                 WHERE EntityDefinition.QualifiedApiName = {object} AND QualifiedApiName IN ({})",
                list(wanted)
            ),
        ));
    }
    tooling.push(query(
        "validation",
        &format!(
            "SELECT Id, ValidationName, ErrorDisplayField, ErrorMessage, Description, NamespacePrefix FROM ValidationRule \
             WHERE EntityDefinition.QualifiedApiName = {object} AND Active = true"
        ),
    ));
    tooling.push(query(
        "triggers",
        &format!(
            "SELECT Id, Name, NamespacePrefix, UsageBeforeInsert, UsageAfterInsert, UsageBeforeUpdate, UsageAfterUpdate \
             FROM ApexTrigger WHERE TableEnumOrId = {object} AND Status = 'Active'"
        ),
    ));
    tooling.push(query(
        "workflow",
        &format!(
            "SELECT Id, Name, NamespacePrefix FROM WorkflowRule WHERE TableEnumOrId = {object}"
        ),
    ));
    // AssignmentRule is a Tooling object as well as a standard one; read there, it leaves the
    // standard composite within its five queries.
    if profile.object == "Case" {
        tooling.push(query("assignment", CASE_ASSIGNMENT_RULES));
    }
    if profile.package.is_some() {
        tooling.push(query(
            "package",
            "SELECT SubscriberPackage.NamespacePrefix, SubscriberPackage.Name, SubscriberPackageVersionId FROM InstalledSubscriberPackage",
        ));
    }
    Plan {
        standard: pack(standard),
        tooling: pack(tooling),
    }
}

/// What the first round's answers call for, in one more round of Tooling composites (each
/// holds 25 subrequests, of which at most five queries):
/// - each active validation rule's formula, by a GET per rule (Salesforce answers `Metadata`
///   only one row at a time; a GET is not one of the five queries);
/// - the metadata of a picklist field you cannot see in the describe (its active values are
///   in the describe otherwise);
/// - whether you have Customize Application, only when the token answer cannot show it:
///   no token of the integration user, and none of anyone but you.
///
/// Empty when nothing more is needed.
pub fn follow_up(profile: &Profile, inputs: &Inputs, g: &super::Gathered) -> Plan {
    use super::facts::{records_of, text};
    let object = soql_string(&profile.object);
    let mut requests = Vec::new();
    let described: Vec<String> = match g.answers.get("describe") {
        Some(Ok(describe)) => describe
            .get("fields")
            .and_then(serde_json::Value::as_array)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|f| f.get("name").and_then(serde_json::Value::as_str))
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let defined: Option<Vec<String>> = match g.answers.get("fields") {
        Some(Ok(answer)) => Some(
            records_of(answer)
                .iter()
                .filter_map(|row| text(row, "QualifiedApiName"))
                .map(str::to_lowercase)
                .collect(),
        ),
        _ => None,
    };
    for (i, field) in profile.fields.iter().enumerate() {
        let picklist_matters = !field.values.is_empty()
            && field.custom
            && field
                .accept
                .iter()
                .any(|t| matches!(t, FieldType::Picklist | FieldType::MultiselectPicklist));
        let name = field.api_name.to_lowercase();
        // Read only what the describe does not show: a field that exists (or whose existence
        // could not be read) but is hidden from you.
        if !picklist_matters
            || described.contains(&name)
            || defined.as_ref().is_some_and(|d| !d.contains(&name))
        {
            continue;
        }
        let (name, namespace) = developer_name(&field.api_name);
        // Without a namespace, only the org's own field: a package may have one of that name.
        let namespace = namespace
            .map(|ns| format!(" AND NamespacePrefix = {}", soql_string(&ns)))
            .unwrap_or_else(|| " AND NamespacePrefix = null".to_string());
        requests.push(query(
            &format!("picklist_{i}"),
            &format!(
                "SELECT Id, DeveloperName, Metadata FROM CustomField WHERE TableEnumOrId = {object} AND DeveloperName = {}{namespace}",
                soql_string(&name)
            ),
        ));
    }
    if needs_customize_answer(inputs, g) {
        // PermissionSetAssignment and PermissionSet are Tooling objects too.
        requests.push(query(
            "customize",
            &format!(
                "SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = {} \
                 AND PermissionSet.PermissionsCustomizeApplication = true LIMIT 1",
                soql_string(&inputs.logged_in.user_id)
            ),
        ));
    }
    if let Some(Ok(rules)) = g.answers.get("validation") {
        for rule in records_of(rules) {
            let Some(id) = text(&rule, "Id") else {
                continue;
            };
            let short = id.get(..15).unwrap_or(id);
            requests.push(resource(
                &format!("rule_{short}"),
                format!("sobjects/ValidationRule/{id}"),
            ));
        }
    }
    Plan {
        standard: pack(asked_again(g)),
        tooling: pack(requests),
    }
}

/// Codes after which asking again the other way is no use: the org or the login refused.
const REFUSED_BY_THE_ORG: [&str; 4] = [
    "REQUEST_LIMIT_EXCEEDED",
    "API_DISABLED_FOR_ORG",
    "API_CURRENTLY_DISABLED",
    "INVALID_SESSION_ID",
];

/// The first-round reads no recorded payload confirms (the licences by sObject Relationships,
/// assignment rules through the Tooling API), asked again the long-documented way when
/// Salesforce refused them: one more standard composite, only then. Without the integration
/// user's Id (the permissions answer failed too) the licences are not asked again.
fn asked_again(g: &super::Gathered) -> Vec<PlannedRequest> {
    use super::facts::{records_of, text};
    let refused = |id: &str| matches!(g.answers.get(id), Some(Err(e)) if !REFUSED_BY_THE_ORG.contains(&e.code.as_str()));
    let mut again = Vec::new();
    if refused("licences") {
        let user_id = match g.answers.get("perms") {
            Some(Ok(perms)) => records_of(perms).iter().find_map(|set| {
                set.get("Assignments").map(records_of).and_then(|a| {
                    a.first()
                        .and_then(|a| text(a, "AssigneeId"))
                        .map(str::to_string)
                })
            }),
            _ => None,
        };
        if let Some(user_id) = user_id {
            again.push(query(
                "licences",
                &format!(
                    "SELECT Id, PermissionSetLicenseId FROM PermissionSetLicenseAssign WHERE AssigneeId = {}",
                    soql_string(&user_id)
                ),
            ));
        }
    }
    if refused("assignment") {
        again.push(query("assignment", CASE_ASSIGNMENT_RULES));
    }
    again
}

/// Whether the token answer leaves open if you may see the integration user's tokens: it has
/// none of theirs, and none of anyone but you (a row of another user proves you see them all).
fn needs_customize_answer(inputs: &Inputs, g: &super::Gathered) -> bool {
    let me = &inputs.logged_in;
    let Some(user) = &inputs.integration_user else {
        return false;
    };
    !me.user_id.is_empty()
        && !user.eq_ignore_ascii_case(&me.username)
        && super::facts::tokens_of_others_seen(g, &me.username) == Some(false)
}

/// The global value sets the picklist metadata read in the second round takes its values from:
/// a third round, only when a picklist you cannot see uses one.
pub fn value_sets(profile: &Profile, g: &super::Gathered) -> Plan {
    use super::facts::{records_of, text};
    let mut sets: Vec<String> = Vec::new();
    for i in 0..profile.fields.len() {
        if let Some(Ok(answer)) = g.answers.get(&format!("picklist_{i}")) {
            for row in records_of(answer) {
                if let Some(name) = text(&row, "Metadata.valueSet.valueSetName") {
                    if !sets.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                        sets.push(name.to_string());
                    }
                }
            }
        }
    }
    let reads = sets
        .iter()
        .map(|name| {
            query(
                &format!("gvs_{}", name.to_lowercase()),
                &format!(
                    "SELECT Id, DeveloperName, Metadata FROM GlobalValueSet WHERE DeveloperName = {}",
                    soql_string(name)
                ),
            )
        })
        .collect();
    Plan {
        standard: Vec::new(),
        tooling: pack(reads),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Gathered, LoggedIn};
    use crate::request::MAX_QUERIES;

    fn inputs(user: Option<&str>, record: Option<&str>) -> Inputs {
        Inputs {
            integration_user: user.map(str::to_string),
            record_id: record.map(str::to_string),
            logged_in: LoggedIn {
                user_id: "0055g000000000YAAQ".into(),
                username: "admin@acme.example".into(),
                org_id: "00D5g000004Qmn2EAC".into(),
            },
            now: "2026-11-21T10:00:00Z".into(),
        }
    }

    #[test]
    fn default_profile_fits_one_standard_and_one_tooling_composite() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        for record in [None, Some("5005g00000AbCdEAAV")] {
            let plan = plan(&profile, &inputs(Some("integration@acme.example"), record));
            // Standard: permissions, login, record, tokens, flows (the licences are a GET);
            // Tooling: fields, validation rules, triggers, workflow rules, assignment rules.
            assert_eq!(plan.standard.len(), 1, "{plan:#?}");
            assert_eq!(plan.tooling.len(), 1, "{plan:#?}");
            for composite in plan.standard.iter().chain(&plan.tooling) {
                assert!(composite.iter().filter(|r| r.is_query).count() <= MAX_QUERIES);
            }
            let licences = plan.standard[0]
                .iter()
                .find(|r| r.reference_id == "licences")
                .unwrap();
            assert!(!licences.is_query && licences.empty_ok);
            assert!(licences.path.starts_with(
                "sobjects/User/@{perms.records[0].Assignments.records[0].AssigneeId}/PermissionSetLicenseAssignments"
            ));
        }
    }

    #[test]
    fn values_are_escaped_and_references_stay_literal() {
        assert_eq!(soql_string("o'brien\\x"), "'o\\'brien\\\\x'");
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let plan = plan(
            &profile,
            &inputs(Some("o'brien@acme.example"), Some("5005g00000AbCdEAAV")),
        );
        let all: Vec<&PlannedRequest> = plan.standard.iter().flatten().collect();
        let perms = all.iter().find(|r| r.reference_id == "perms").unwrap();
        assert!(perms.path.contains("o%5C%27brien"), "{}", perms.path);
        let record = all.iter().find(|r| r.reference_id == "record").unwrap();
        assert!(
            record
                .path
                .contains("@{perms.records[0].Assignments.records[0].AssigneeId}"),
            "{}",
            record.path
        );
    }

    #[test]
    fn packing_respects_query_limit() {
        let requests: Vec<PlannedRequest> = (0..12)
            .map(|i| query(&format!("q{i}"), "SELECT Id FROM User"))
            .collect();
        let packed = pack(requests);
        assert_eq!(
            packed.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![5, 5, 2]
        );
    }

    #[test]
    fn the_second_round_reads_each_rule_by_id_25_per_composite_and_hidden_picklists() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let mut g = Gathered::default();
        let rules: Vec<serde_json::Value> = (0..60)
            .map(|n| serde_json::json!({"Id": format!("03d5g00000{n:05}AAA"), "ValidationName": format!("R{n}")}))
            .collect();
        g.answers.insert(
            "validation".into(),
            Ok(serde_json::json!({"records": rules})),
        );
        let who = inputs(Some("integration@acme.example"), None);
        let plan = follow_up(&profile, &who, &g);
        assert!(plan.standard.is_empty());
        let sizes: Vec<usize> = plan.tooling.iter().map(Vec::len).collect();
        // The Sentiment picklist is not in any describe here: its metadata is read too.
        assert_eq!(sizes, [25, 25, 11], "{plan:#?}");
        assert_eq!(plan.tooling[0][0].reference_id, "picklist_1");
        assert_eq!(
            plan.tooling[0][1].path,
            "sobjects/ValidationRule/03d5g0000000000AAA"
        );
        assert!(
            !plan.tooling[0][1].is_query,
            "a GET, not one of the five queries"
        );
        // Seen in the describe: no metadata read.
        let fields: Vec<serde_json::Value> = profile
            .fields
            .iter()
            .map(|f| serde_json::json!({"name": f.api_name}))
            .collect();
        g.answers
            .insert("describe".into(), Ok(serde_json::json!({"fields": fields})));
        let plan = follow_up(&profile, &who, &g);
        assert_eq!(
            plan.tooling.iter().map(Vec::len).collect::<Vec<_>>(),
            [25, 25, 10]
        );
        assert!(follow_up(&profile, &who, &Gathered::default())
            .tooling
            .iter()
            .flatten()
            .all(|r| r.reference_id.starts_with("picklist_")));
    }

    #[test]
    fn reads_salesforce_refused_are_asked_again_the_documented_way() {
        use crate::checks::FetchError;
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let who = inputs(Some("integration@acme.example"), None);
        let refused = |code: &str| {
            Err(FetchError {
                code: code.into(),
                message: "refused".into(),
            })
        };
        let mut g = Gathered::default();
        g.answers.insert(
            "perms".into(),
            Ok(serde_json::json!({"records": [{"Assignments": {"records": [{"AssigneeId": "0055g00000AAAAAAAA"}]}}]})),
        );
        g.answers.insert("licences".into(), refused("NOT_FOUND"));
        g.answers
            .insert("assignment".into(), refused("INVALID_FIELD"));
        let plan = follow_up(&profile, &who, &g);
        let again: Vec<&PlannedRequest> = plan.standard.iter().flatten().collect();
        assert_eq!(again.len(), 2, "{plan:#?}");
        assert!(again[0].is_query && again[0].path.contains("PermissionSetLicenseAssign"));
        assert!(
            again[0].path.contains("0055g00000AAAAAAAA"),
            "{}",
            again[0].path
        );
        assert_eq!(again[1].reference_id, "assignment");
        // Answered, or refused by the org itself: nothing is asked again.
        g.answers
            .insert("licences".into(), Ok(serde_json::json!({"records": []})));
        g.answers
            .insert("assignment".into(), refused("REQUEST_LIMIT_EXCEEDED"));
        assert!(follow_up(&profile, &who, &g).standard.is_empty());
        // Without the user's Id (the permissions failed too) the licences are not asked again.
        g.answers.insert("perms".into(), refused("INVALID_TYPE"));
        g.answers
            .insert("licences".into(), refused("PROCESSING_HALTED"));
        assert!(follow_up(&profile, &who, &g).standard.is_empty());
    }

    #[test]
    fn customize_application_is_asked_only_when_the_tokens_cannot_show_it() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let who = inputs(Some("integration@acme.example"), None);
        let asks = |tokens: serde_json::Value| {
            let mut g = Gathered::default();
            g.answers.insert("tokens".into(), Ok(tokens));
            follow_up(&profile, &who, &g)
                .tooling
                .iter()
                .flatten()
                .any(|r| r.reference_id == "customize")
        };
        assert!(asks(serde_json::json!({"records": []})));
        assert!(asks(
            serde_json::json!({"records": [{"User": {"Username": "admin@acme.example"}}]})
        ));
        assert!(!asks(
            serde_json::json!({"records": [{"User": {"Username": "integration@acme.example"}}]})
        ));
        assert!(!asks(
            serde_json::json!({"records": [{"User": {"Username": "someone@acme.example"}}]})
        ));
    }

    #[test]
    fn global_value_sets_come_from_the_picklist_metadata() {
        let profile = crate::profile::builtin("feedback-writeback").unwrap();
        let mut g = Gathered::default();
        assert!(value_sets(&profile, &g).tooling.is_empty());
        g.answers.insert(
            "picklist_1".into(),
            Ok(serde_json::json!({"records": [{"Metadata": {"valueSet": {"valueSetName": "Sentiments"}}}]})),
        );
        let plan = value_sets(&profile, &g);
        let read = &plan.tooling[0][0];
        assert_eq!(read.reference_id, "gvs_sentiments");
        assert!(read.path.contains("GlobalValueSet"), "{}", read.path);
    }
}
