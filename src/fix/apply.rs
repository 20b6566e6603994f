//! The IO side of the fixes: reads the facts, sends a plan's changes (Tooling composite for the
//! fields, one standard composite for the permission set, its grants, the licence and the
//! assignment), and undoes what the app created.

use super::plan::{self, Api, Change, ChangeKind, FixPlan, NEW_SET_REF};
use crate::checks::Finding;
use crate::profile::Profile;
use crate::salesforce::{Client, SfError, SubRequest, SubResponse, MAX_COMPOSITE_SUBREQUESTS};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Error codes that mean "this already exists": applying twice is harmless.
const ALREADY_EXISTS: [&str; 2] = ["DUPLICATE_DEVELOPER_NAME", "DUPLICATE_VALUE"];

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Done { id: Option<String> },
    AlreadyDone { message: String },
    Failed { code: String, message: String },
}

impl Outcome {
    pub fn ok(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }

    pub fn word(&self) -> String {
        match self {
            Outcome::Done { .. } => "done".into(),
            Outcome::AlreadyDone { .. } => "already done".into(),
            Outcome::Failed { code, message } => format!("failed: {code}: {message}"),
        }
    }
}

/// The result of one change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChangeResult {
    pub change_id: String,
    pub summary: String,
    pub outcome: Outcome,
}

/// What an apply created or changed, so it can be undone. Persisted (no tokens) for `fix --undo`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Created {
    pub org_id: String,
    pub instance_url: String,
    /// Ids in the order they must be deleted (assignment, licence, rows, permission set).
    pub assignment: Option<String>,
    pub license_assignment: Option<String>,
    /// (sObject, id) of grant rows added to a set that existed before.
    pub rows: Vec<(String, String)>,
    /// (sObject, id, values before) of grant rows the apply changed.
    pub updated_rows: Vec<(String, String, Value)>,
    pub permission_set: Option<String>,
    pub permission_set_name: Option<String>,
    /// Qualified names of fields created: never deleted by undo (it would delete their data).
    pub fields: Vec<String>,
}

impl Created {
    pub fn is_empty(&self) -> bool {
        self.assignment.is_none()
            && self.license_assignment.is_none()
            && self.rows.is_empty()
            && self.updated_rows.is_empty()
            && self.permission_set.is_none()
    }

    /// Why the fields stay when the rest is undone.
    pub fn field_note(&self) -> Option<String> {
        (!self.fields.is_empty()).then(|| {
            format!(
                "The field{} {} stay{}: deleting a field deletes its data on every record and cannot be undone from the API. If you really want {} gone, delete {} in Setup > Object Manager.",
                if self.fields.len() == 1 { "" } else { "s" },
                self.fields.join(", "),
                if self.fields.len() == 1 { "s" } else { "" },
                if self.fields.len() == 1 { "it" } else { "them" },
                if self.fields.len() == 1 { "it" } else { "them" },
            )
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Applied {
    pub results: Vec<ChangeResult>,
    pub created: Created,
}

impl Applied {
    pub fn all_ok(&self) -> bool {
        self.results.iter().all(|r| r.outcome.ok())
    }
}

/// Reads the facts (one standard and one Tooling composite, sent together) and builds the plan
/// for the findings of a check run.
pub async fn plan_for(
    client: &Client,
    profile: &Profile,
    integration_user: Option<&str>,
    findings: &[Finding],
) -> Result<FixPlan, SfError> {
    let (standard, tooling) = plan::fact_requests(profile, integration_user);
    let gathered = crate::readiness::fetch(
        client,
        &crate::checks::pack(standard),
        &crate::checks::pack(tooling),
    )
    .await?;
    let facts = plan::Facts::read(profile, &gathered).map_err(|message| SfError::Decode {
        what: "the fix facts".into(),
        message,
    })?;
    Ok(plan::build(profile, findings, &facts, integration_user))
}

fn sub_request(change: &Change) -> SubRequest {
    SubRequest {
        reference_id: change.id.clone(),
        method: change.call.method.clone(),
        url: change.call.path.clone(),
        body: (!change.call.body.is_null()).then(|| change.call.body.clone()),
    }
}

fn outcome_of(response: &SubResponse) -> Outcome {
    match response.json() {
        Ok(body) => Outcome::Done {
            id: body.get("id").and_then(Value::as_str).map(str::to_string),
        },
        Err(e) => {
            let code = e.code().unwrap_or("ERROR").to_string();
            let message = e
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| e.to_string());
            if ALREADY_EXISTS.contains(&code.as_str()) {
                Outcome::AlreadyDone { message }
            } else {
                Outcome::Failed { code, message }
            }
        }
    }
}

fn replace_ref(value: &Value, reference: &str, id: &str) -> Value {
    match value {
        Value::String(s) if s == reference => Value::String(id.to_string()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), replace_ref(v, reference, id)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Applies the plan's changes in order; `on_result` hears each result as it is known. Stops
/// at nothing: a failed change fails only the changes that depend on it.
pub async fn apply(
    client: &Client,
    plan: &FixPlan,
    org_id: &str,
    on_result: &(dyn Fn(&ChangeResult) + Sync),
) -> Result<Applied, SfError> {
    let mut results = Vec::new();
    let mut created = Created {
        org_id: org_id.to_string(),
        instance_url: client.instance_url().to_string(),
        permission_set_name: Some(plan.permission_set.name.clone()),
        ..Created::default()
    };
    let mut record = |change: &Change, outcome: Outcome, created: &mut Created| {
        if let Outcome::Done { id } = &outcome {
            match change.kind {
                ChangeKind::CreateField => {
                    if let Some(name) = change.call.body.get("FullName").and_then(Value::as_str) {
                        created.fields.push(name.to_string());
                    }
                }
                ChangeKind::CreatePermissionSet => created.permission_set = id.clone(),
                ChangeKind::AssignLicense => created.license_assignment = id.clone(),
                ChangeKind::AssignPermissionSet => created.assignment = id.clone(),
                ChangeKind::GrantObject | ChangeKind::GrantField => {
                    let object = change
                        .call
                        .path
                        .trim_start_matches("sobjects/")
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .to_string();
                    match (&change.previous, id) {
                        (Some(previous), _) => {
                            let row = change.call.path.rsplit('/').next().unwrap_or("");
                            created
                                .updated_rows
                                .push((object, row.to_string(), previous.clone()));
                        }
                        (None, Some(id)) => created.rows.push((object, id.clone())),
                        (None, None) => {}
                    }
                }
            }
        }
        let result = ChangeResult {
            change_id: change.id.clone(),
            summary: change.summary.clone(),
            outcome,
        };
        on_result(&result);
        results.push(result);
    };

    // 1. Fields (Tooling), so the grants below can name them.
    let tooling: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.call.api == Api::Tooling)
        .collect();
    for chunk in tooling.chunks(MAX_COMPOSITE_SUBREQUESTS) {
        let subs: Vec<SubRequest> = chunk.iter().map(|c| sub_request(c)).collect();
        let responses = client.tooling_composite(&subs).await?;
        for (change, response) in chunk.iter().zip(&responses) {
            record(change, outcome_of(response), &mut created);
        }
    }

    // 2. Permission set, grants, licence, assignment (references to a new set inside one composite).
    let mut standard: Vec<Change> = plan
        .changes
        .iter()
        .filter(|c| c.call.api == Api::Standard)
        .cloned()
        .collect();
    let set_ref = format!("@{{{NEW_SET_REF}.id}}");
    let mut set_id: Option<String> = None;
    while !standard.is_empty() {
        let rest = standard.split_off(standard.len().min(MAX_COMPOSITE_SUBREQUESTS));
        let chunk = std::mem::replace(&mut standard, rest);
        let chunk: Vec<Change> = chunk
            .into_iter()
            .map(|mut c| {
                if let Some(id) = &set_id {
                    c.call.body = replace_ref(&c.call.body, &set_ref, id);
                }
                c
            })
            .collect();
        let subs: Vec<SubRequest> = chunk.iter().map(sub_request).collect();
        let responses = client.composite(&subs).await?;
        let mut retry = Vec::new();
        for (change, response) in chunk.iter().zip(&responses) {
            let outcome = outcome_of(response);
            if change.kind == ChangeKind::CreatePermissionSet {
                match &outcome {
                    Outcome::Done { id } => set_id = id.clone(),
                    Outcome::AlreadyDone { .. } => {
                        // Created meanwhile (or by an earlier run): use the existing set.
                        set_id = existing_set_id(client, &plan.permission_set.name).await?;
                    }
                    Outcome::Failed { .. } => {}
                }
            }
            let depends = change.call.body.to_string().contains(&set_ref);
            if depends
                && !outcome.ok()
                && set_id.is_some()
                && response_is_reference_failure(response)
            {
                retry.push(change.clone());
                continue;
            }
            record(change, outcome, &mut created);
        }
        if !retry.is_empty() {
            let id = set_id.clone().unwrap_or_default();
            let retry: Vec<Change> = retry
                .into_iter()
                .map(|mut c| {
                    c.call.body = replace_ref(&c.call.body, &set_ref, &id);
                    c
                })
                .collect();
            let subs: Vec<SubRequest> = retry.iter().map(sub_request).collect();
            let responses = client.composite(&subs).await?;
            for (change, response) in retry.iter().zip(&responses) {
                record(change, outcome_of(response), &mut created);
            }
        }
    }
    Ok(Applied { results, created })
}

fn response_is_reference_failure(response: &SubResponse) -> bool {
    response.json().is_err_and(|e| {
        e.code() == Some("PROCESSING_HALTED")
            || e.message().is_some_and(|m| m.contains("Invalid reference"))
    })
}

async fn existing_set_id(client: &Client, name: &str) -> Result<Option<String>, SfError> {
    let records = client
        .query(&format!(
            "SELECT Id FROM PermissionSet WHERE Name = {}",
            crate::request::soql_string(name)
        ))
        .await?;
    Ok(records
        .first()
        .and_then(|r| r.get("Id"))
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// Undoes what an apply created: the assignment, the licence assignment, added or changed grant
/// rows, the permission set — never the fields (see [`Created::field_note`]). One composite.
pub async fn undo(client: &Client, created: &Created) -> Result<Vec<ChangeResult>, SfError> {
    let mut steps: Vec<(SubRequest, String)> = Vec::new();
    let mut push =
        |reference: String, method: &str, url: String, body: Option<Value>, summary: String| {
            steps.push((
                SubRequest {
                    reference_id: reference,
                    method: method.into(),
                    url,
                    body,
                },
                summary,
            ));
        };
    let set = created
        .permission_set_name
        .clone()
        .unwrap_or_else(|| "the permission set".into());
    if let Some(id) = &created.assignment {
        push(
            "undo_assign".into(),
            "DELETE",
            format!("sobjects/PermissionSetAssignment/{id}"),
            None,
            format!("Remove the assignment of {set}"),
        );
    }
    if let Some(id) = &created.license_assignment {
        push(
            "undo_license".into(),
            "DELETE",
            format!("sobjects/PermissionSetLicenseAssign/{id}"),
            None,
            "Give back the permission set licence".into(),
        );
    }
    if created.permission_set.is_none() {
        for (i, (object, id)) in created.rows.iter().enumerate() {
            push(
                format!("undo_row_{i}"),
                "DELETE",
                format!("sobjects/{object}/{id}"),
                None,
                format!("Remove the {object} row the app added to {set}"),
            );
        }
        for (i, (object, id, previous)) in created.updated_rows.iter().enumerate() {
            push(
                format!("undo_update_{i}"),
                "PATCH",
                format!("sobjects/{object}/{id}"),
                Some(previous.clone()),
                format!("Put back the {object} row of {set} as it was"),
            );
        }
    }
    if let Some(id) = &created.permission_set {
        push(
            "undo_set".into(),
            "DELETE",
            format!("sobjects/PermissionSet/{id}"),
            None,
            format!("Delete the permission set {set} (and its grants)"),
        );
    }
    let mut results = Vec::new();
    for chunk in steps.chunks(MAX_COMPOSITE_SUBREQUESTS) {
        let subs: Vec<SubRequest> = chunk.iter().map(|(s, _)| s.clone()).collect();
        let responses = client.composite(&subs).await?;
        for ((sub, summary), response) in chunk.iter().zip(&responses) {
            let outcome = match response.json() {
                Ok(_) => Outcome::Done { id: None },
                Err(e) if matches!(e.code(), Some("NOT_FOUND" | "ENTITY_IS_DELETED")) => {
                    Outcome::AlreadyDone {
                        message: "it was already gone".into(),
                    }
                }
                Err(e) => Outcome::Failed {
                    code: e.code().unwrap_or("ERROR").to_string(),
                    message: e
                        .message()
                        .map(str::to_string)
                        .unwrap_or_else(|| e.to_string()),
                },
            };
            results.push(ChangeResult {
                change_id: sub.reference_id.clone(),
                summary: summary.clone(),
                outcome,
            });
        }
    }
    Ok(results)
}

/// A plan's changes for the preview: each in words and as the API call it makes.
pub fn preview(plan: &FixPlan, api_version: &str) -> Vec<(String, String)> {
    plan.changes
        .iter()
        .map(|c| (c.summary.clone(), c.call.display(api_version)))
        .collect()
}
