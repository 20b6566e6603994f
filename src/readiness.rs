//! Runs the readiness checks against an org: the IO side of the sans-IO check engine.
//!
//! It asks the engine for a plan, sends it with the Salesforce client (independent requests
//! concurrently), hands what came back to the engine, and assembles the report.

use crate::checks::{
    self, ApiUsageSummary, AppKind, AppListing, AppSettings, CheckReport, FetchError, Gathered,
    Inputs, LoggedIn, PlannedRequest, Verdict,
};
use crate::profile::Profile;
use crate::salesforce::{Client, Identity, SfError, SubRequest, SubResponse};
use futures_util::future::join_all;
use serde_json::Value;

/// What to check.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    pub profile: Profile,
    pub integration_user: Option<String>,
    /// 18-character Id of a record for the record-access check.
    pub record_id: Option<String>,
}

/// A failed call as the check engine records it: Salesforce's errorCode and message.
pub(crate) fn fetch_error(e: &SfError) -> FetchError {
    FetchError {
        code: e.code().unwrap_or("ERROR").to_string(),
        message: e
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| e.to_string()),
    }
}

/// Errors that mean the whole org refused us, so the checks can still say why.
fn org_refusal(e: &SfError) -> Option<FetchError> {
    matches!(
        e.code(),
        Some("API_DISABLED_FOR_ORG" | "REQUEST_LIMIT_EXCEEDED")
    )
    .then(|| fetch_error(e))
}

/// Errors after which nothing can be checked (the login itself does not work).
fn is_fatal(e: &SfError) -> bool {
    matches!(
        e,
        SfError::Transport { .. } | SfError::NotSalesforce { .. } | SfError::InvalidInput { .. }
    ) || e.code() == Some("INVALID_SESSION_ID")
}

async fn answers_of(client: &Client, response: &SubResponse) -> Result<Value, FetchError> {
    match response.json() {
        Err(e) => Err(fetch_error(&e)),
        Ok(body) if response.next_records_url().is_some() => {
            // A query answer larger than one page: fetch the rest (rare for the checks' queries).
            let records = client
                .all_records(response)
                .await
                .map_err(|e| fetch_error(&e))?;
            let mut body = body.clone();
            if let Some(obj) = body.as_object_mut() {
                obj.insert(
                    "records".into(),
                    Value::Array(records.into_iter().map(Value::Object).collect()),
                );
                obj.insert("done".into(), Value::Bool(true));
            }
            Ok(body)
        }
        Ok(body) => Ok(body.clone()),
    }
}

/// The one driver of read composites, for the checks, the fix's facts and the test write's
/// preflight: sends the standard and Tooling composites concurrently, follows query pages, and
/// keeps each subrequest's answer (or Salesforce's error) by reference id. `Err` only when
/// nothing can be read (the login or the connection does not work).
pub async fn fetch(
    client: &Client,
    standard: &[Vec<PlannedRequest>],
    tooling: &[Vec<PlannedRequest>],
) -> Result<Gathered, SfError> {
    let mut gathered = Gathered::default();
    let mut tooled = Gathered::default();
    let (standard_result, tooling_result) = tokio::join!(
        run_composites(client, standard, false, &mut gathered),
        run_composites(client, tooling, true, &mut tooled),
    );
    standard_result?;
    tooling_result?;
    gathered.answers.extend(tooled.answers);
    gathered.refused = gathered.refused.or(tooled.refused);
    Ok(gathered)
}

async fn run_composites(
    client: &Client,
    composites: &[Vec<PlannedRequest>],
    tooling: bool,
    gathered: &mut Gathered,
) -> Result<(), SfError> {
    let sends = composites.iter().map(|requests| async move {
        let subrequests: Vec<SubRequest> = requests
            .iter()
            .map(|r| SubRequest::get(&r.reference_id, r.path.clone()))
            .collect();
        let result = if tooling {
            client.tooling_composite(&subrequests).await
        } else {
            client.composite(&subrequests).await
        };
        (requests, result)
    });
    for (requests, result) in join_all(sends).await {
        match result {
            Ok(responses) => {
                for response in &responses {
                    let answer = answers_of(client, response).await;
                    gathered
                        .answers
                        .insert(response.reference_id.clone(), answer);
                }
            }
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                if let Some(refusal) = org_refusal(&e) {
                    gathered.refused = Some(refusal);
                }
                for r in requests {
                    gathered
                        .answers
                        .insert(r.reference_id.clone(), Err(fetch_error(&e)));
                }
            }
        }
    }
    Ok(())
}

/// Lists the apps of both kinds in one call; when Salesforce refuses that (it guards External
/// Client App settings behind an org permission), lists each kind on its own so one refusal
/// does not hide the other. Returns the listings and, when one kind was refused, its error.
async fn list_apps(client: &Client) -> (Result<Vec<AppListing>, SfError>, Option<SfError>) {
    match client.list_metadata(&checks::APP_METADATA_TYPES).await {
        Ok(found) => (Ok(found.iter().map(listing).collect()), None),
        Err(e) if is_fatal(&e) || org_refusal(&e).is_some() => (Err(e), None),
        Err(_) => {
            let [connected, external] = checks::APP_METADATA_TYPES;
            let (connected, external) = ([connected], [external]);
            let (a, b) = tokio::join!(
                client.list_metadata(&connected),
                client.list_metadata(&external)
            );
            match (a, b) {
                (Ok(a), Ok(b)) => (Ok(a.iter().chain(&b).map(listing).collect()), None),
                (Ok(found), Err(gap)) | (Err(gap), Ok(found)) => {
                    (Ok(found.iter().map(listing).collect()), Some(gap))
                }
                (Err(e), Err(_)) => (Err(e), None),
            }
        }
    }
}

fn listing(l: &crate::salesforce::MetadataListing) -> AppListing {
    AppListing {
        kind: if l.type_name == "ConnectedApp" {
            AppKind::ConnectedApp
        } else {
            AppKind::ExternalClientApp
        },
        full_name: l.full_name.clone(),
        last_modified: l.last_modified.clone(),
        namespace: l.namespace_prefix.clone(),
    }
}

async fn read_app(client: &Client, app: &AppListing) -> Result<AppSettings, FetchError> {
    let type_name = match app.kind {
        AppKind::ConnectedApp => "ConnectedApp",
        AppKind::ExternalClientApp => "ExtlClntAppOauthSettings",
    };
    let records = client
        .read_metadata(type_name, std::slice::from_ref(&app.full_name))
        .await
        .map_err(|e| fetch_error(&e))?;
    let record = records
        .into_iter()
        .find(|r| r.exists())
        .ok_or_else(|| FetchError {
            code: "NOT_FOUND".into(),
            message: format!(
                "readMetadata returned no {type_name} named {}",
                app.full_name
            ),
        })?;
    let settings = match app.kind {
        AppKind::ConnectedApp => AppSettings {
            full_name: app.full_name.clone(),
            label: record.first("label").map(str::to_string),
            scopes: record.all("oauthConfig.scopes").to_vec(),
            admin_approved_only: record
                .first("oauthConfig.isAdminApproved")
                .map(|v| v == "true"),
            permission_sets: record.all("permissionSetName").to_vec(),
            profiles: record.all("profileName").to_vec(),
            refresh_token_policy: record
                .first("oauthPolicy.refreshTokenPolicy")
                .map(str::to_string),
            ip_relaxation: record.first("oauthPolicy.ipRelaxation").map(str::to_string),
        },
        AppKind::ExternalClientApp => AppSettings {
            full_name: app.full_name.clone(),
            label: record.first("label").map(str::to_string),
            scopes: record
                .first("commaSeparatedOauthScopes")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            ..AppSettings::default()
        },
    };
    Ok(settings)
}

/// Runs every check of `request` against the connected org. `progress` gets short notes for
/// a status line. An `Err` means nothing could be checked (unreachable org, login refused).
pub async fn run(
    client: &Client,
    request: &CheckRequest,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<CheckReport, SfError> {
    progress("Identifying the logged-in user");
    let identity = client.identity().await?;
    run_as(client, &identity, request, progress).await
}

/// Like [`run`], for a login whose identity is already known (the GUI and the benchmark keep it
/// from connecting, so a check costs only the round trips of the check itself).
pub async fn run_as(
    client: &Client,
    identity: &Identity,
    request: &CheckRequest,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<CheckReport, SfError> {
    let inputs = Inputs {
        integration_user: request.integration_user.clone(),
        record_id: request.record_id.clone(),
        logged_in: LoggedIn {
            user_id: identity.user_id.clone(),
            username: identity.username.clone(),
            org_id: identity.organization_id.clone(),
        },
        now: chrono::Utc::now().to_rfc3339(),
    };
    let before = client.stats();
    let gathered = gather(client, &inputs, request, progress).await?;
    let evaluation = checks::evaluate(&request.profile, &inputs, &gathered);
    let after = client.stats();
    let mut org = evaluation.org;
    org.instance_url = client.instance_url().to_string();
    org.api_version = client.api_version().to_string();
    org.logged_in_as = identity.username.clone();
    org.api_usage = client.api_usage().map(|u| ApiUsageSummary {
        used: u.used,
        max: u.max,
    });
    if org.id.is_empty() {
        org.id = identity.organization_id.clone();
    }
    Ok(CheckReport {
        verdict: Verdict::of(&evaluation.findings),
        org,
        profile: request.profile.id.clone(),
        integration_user: request.integration_user.clone(),
        candidates: evaluation.candidates,
        checks: evaluation.findings,
        api_calls: after.api_calls - before.api_calls,
        round_trips: after.http_requests - before.http_requests,
    })
}

/// Everything the checks read for `request`, in two rounds (the plan's requests with the app
/// listing; then the app's settings and what the first answers call for; a third only for a
/// hidden picklist's global value set), as
/// `checks::evaluate` takes it. The fuzz target of the engine starts from this answer of the
/// simulated org.
pub async fn gather(
    client: &Client,
    inputs: &Inputs,
    request: &CheckRequest,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Gathered, SfError> {
    let plan = checks::plan(&request.profile, inputs);
    progress("Reading the org's setup");
    let (fetched, listings) = tokio::join!(
        fetch(client, &plan.standard, &plan.tooling),
        list_apps(client),
    );
    let mut gathered = fetched?;
    let (listings, gap) = listings;
    if let Err(e) = &listings {
        if is_fatal(e) && e.code() != Some("INVALID_SESSION_ID") {
            return Err(e.clone());
        }
        if gathered.refused.is_none() {
            gathered.refused = org_refusal(e);
        }
    }
    let listings = listings.map_err(|e| fetch_error(&e));
    // The second round: the app's settings, and what the first answers call for (each
    // validation rule's formula, a hidden picklist's metadata, Customize Application when the
    // tokens cannot show it, a refused read asked again), together.
    let follow_up = checks::follow_up(&request.profile, inputs, &gathered);
    let app = listings
        .as_ref()
        .ok()
        .and_then(|found| checks::pick_app(&request.profile, found))
        .cloned();
    if app.is_some() || !follow_up.tooling.is_empty() {
        progress("Reading the app's OAuth settings and the validation rules' formulas");
    }
    // Active duplicate rules: their Action on Edit is Metadata, read with the app's settings.
    let duplicate_rules: Vec<String> = match gathered.answers.get("duplicates") {
        Some(Ok(answer)) => crate::request::records(answer)
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| {
                        Some(format!(
                            "{}.{}",
                            r.get("SobjectType")?.as_str()?,
                            r.get("DeveloperName")?.as_str()?
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let (settings, more, duplicate_actions) = tokio::join!(
        async {
            match &app {
                Some(app) => Some(read_app(client, app).await),
                None => None,
            }
        },
        fetch(client, &follow_up.standard, &follow_up.tooling),
        async {
            if duplicate_rules.is_empty() {
                return None;
            }
            Some(
                client
                    .read_metadata("DuplicateRule", &duplicate_rules)
                    .await
                    .map(|records| {
                        records
                            .iter()
                            .zip(&duplicate_rules)
                            .map(|(r, name)| {
                                (name.clone(), r.first("actionOnUpdate").map(str::to_string))
                            })
                            .collect()
                    })
                    .map_err(|e| fetch_error(&e)),
            )
        },
    );
    gathered.app_settings = settings;
    gathered.duplicate_rule_actions = duplicate_actions;
    let more = more?;
    gathered.answers.extend(more.answers);
    // A third round only when a picklist hidden from you takes its values from a global value
    // set (the second round read its metadata).
    let value_sets = checks::value_sets(&request.profile, &gathered);
    if !value_sets.tooling.is_empty() {
        let sets = fetch(client, &value_sets.standard, &value_sets.tooling).await?;
        gathered.answers.extend(sets.answers);
    }
    gathered.app_listings = Some(listings);
    gathered.app_listing_gap = gap.map(|e| fetch_error(&e));
    gathered.api_usage = client.api_usage().map(|u| (u.used, u.max));
    Ok(gathered)
}
