//! From what was fetched to findings: the answers are read once into typed [`Facts`], then each
//! step's module judges them. Pure: no IO, no clock.

use super::facts::Facts;
use super::finding::finding;
use super::{access, app, automation, fields, org, other, reauth};
use super::{Finding, FindingId, Gathered, Inputs, OrgSummary, Status, Verdict};
use crate::profile::Profile;

/// Findings plus what the report shows about the org and the candidate users.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub org: OrgSummary,
    pub candidates: Vec<String>,
}

/// Turns everything fetched into findings, in step order.
pub fn evaluate(profile: &Profile, inputs: &Inputs, g: &Gathered) -> Evaluation {
    let mut evaluation = judge(profile, inputs, &Facts::read(profile, inputs, g));
    guard_unreadable(profile, inputs, g, &mut evaluation);
    evaluation
}

/// Judges typed facts (what `evaluate` does after reading them; tests give facts directly).
pub fn judge(profile: &Profile, inputs: &Inputs, facts: &Facts) -> Evaluation {
    let mut findings = Vec::new();
    let summary = org::check_access(profile, facts, &mut findings);
    org::check_budget(profile, facts, &mut findings);
    if org::api_disabled(facts) {
        // With the API off nothing else could be read: no other check may claim anything.
        for id in [
            FindingId::FieldsExist,
            FindingId::AppFound,
            FindingId::UserFound,
            FindingId::ReauthToken,
            FindingId::AutomationObject,
        ] {
            findings.push(
                finding(id, Status::Unknown, "Not checked")
                    .detail("The org refused the API (API_DISABLED_FOR_ORG)."),
            );
        }
        return Evaluation {
            findings,
            org: summary,
            candidates: Vec::new(),
        };
    }
    let existing = fields::check(profile, &facts.fields, &mut findings);
    other::check(profile, facts, &mut findings);
    let matched_app = app::check(profile, facts.found_user(), facts, &mut findings);
    access::check(profile, inputs, facts, &existing, &mut findings);
    reauth::check(profile, inputs, matched_app.as_ref(), facts, &mut findings);
    automation::check(profile, &facts.automation, &mut findings);
    findings.sort_by_key(|f| f.step);
    if inputs.integration_user.is_none() && !facts.candidates.is_empty() {
        if let Some(found) = findings.iter_mut().find(|f| f.id == FindingId::UserFound) {
            found.detail = format!(
                "{} Likely candidates: {}.",
                found.detail,
                facts.candidates.join(", ")
            );
        }
    }
    Evaluation {
        findings,
        org: summary,
        candidates: facts.candidates.clone(),
    }
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
        .filter(|request| match g.answers.get(&request.reference_id) {
            Some(Ok(value)) if request.empty_ok => !super::facts::is_related_answer(value),
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

/// The last guard of "never a wrong READY": a check may rightly pass without an answer it only
/// falls back on, but an org whose answers did not all arrive readable is not called ready.
fn guard_unreadable(profile: &Profile, inputs: &Inputs, g: &Gathered, evaluation: &mut Evaluation) {
    if Verdict::of(&evaluation.findings) != Verdict::Ready {
        return;
    }
    let unreadable = unreadable_answers(profile, inputs, g);
    if unreadable.is_empty() {
        return;
    }
    evaluation.findings.push(
        finding(FindingId::OrgAnswers, Status::Unknown, "Not every answer from the org could be read")
            .detail(format!(
                "Every check passed on what could be read, but these answers were missing or garbled: {}. Run the check again; if it repeats, something between you and Salesforce (a proxy, a firewall) changes its answers.",
                unreadable.join(", ")
            )),
    );
    evaluation.findings.sort_by_key(|f| f.step);
}
