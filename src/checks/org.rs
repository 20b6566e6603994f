//! Connect step: the org answers the API (`org.api_access`) and has API calls to spare
//! (`org.api_budget`).

use super::facts::Facts;
use super::finding::{day, fetch_problem, finding, thousands, COMPANY_PAGE, SYSTEM_OVERVIEW_PAGE};
use super::{Finding, FindingId, OrgSummary, Status};
use crate::profile::Profile;

/// The org refused every API call: nothing else can be checked.
pub(super) fn api_disabled(facts: &Facts) -> bool {
    facts
        .refused
        .as_ref()
        .is_some_and(|e| e.code == "API_DISABLED_FOR_ORG")
}

pub(super) fn check_access(profile: &Profile, facts: &Facts, out: &mut Vec<Finding>) -> OrgSummary {
    let mut summary = OrgSummary::default();
    if let Some(refused) = facts.refused.as_ref().filter(|_| api_disabled(facts)) {
        out.push(
            finding(FindingId::OrgApiAccess, Status::Fail, "The org's API is turned off")
                .detail(format!(
                    "{} The integration writes through the Salesforce API, so it cannot work in this org.",
                    fetch_problem(refused)
                ))
                .fix("API access comes with Enterprise, Unlimited, Performance and Developer Edition. In Professional Edition, ask your Salesforce account executive for the API add-on.")
                .page(COMPANY_PAGE, ""),
        );
        return summary;
    }
    match &facts.org {
        Some(Ok(org)) => {
            summary.id = org.id.clone();
            summary.name = org.name.clone();
            summary.edition = org.edition.clone();
            summary.is_sandbox = org.is_sandbox;
            summary.instance = org.instance.clone();
            let kind = if org.is_sandbox {
                "sandbox"
            } else {
                "production org"
            };
            let trial = org
                .trial_expiration
                .as_deref()
                .map(|d| format!(", trial until {}", day(d)))
                .unwrap_or_default();
            let evidence = vec![format!(
                "Organization {}: {}, IsSandbox={}, instance {}",
                org.id, org.edition, org.is_sandbox, org.instance
            )];
            let f = if org.is_sandbox && !profile.sandbox_supported {
                finding(
                    FindingId::OrgApiAccess,
                    Status::Warn,
                    format!("{} is a sandbox", org.name),
                )
                .detail(format!(
                    "{} does not support sandboxes: set it up in production.",
                    profile.vendor
                ))
            } else {
                finding(
                    FindingId::OrgApiAccess,
                    Status::Pass,
                    format!("{}: {} {kind}, API available", org.name, org.edition),
                )
                .detail(format!("The API answers{trial}."))
            };
            out.push(f.evidence(evidence));
        }
        Some(Err(e)) => out.push(
            finding(
                FindingId::OrgApiAccess,
                Status::Unknown,
                "Could not read the organization",
            )
            .detail(fetch_problem(e)),
        ),
        None => out.push(finding(
            FindingId::OrgApiAccess,
            Status::Unknown,
            "Organization not read",
        )),
    }
    summary
}

pub(super) fn check_budget(profile: &Profile, facts: &Facts, out: &mut Vec<Finding>) {
    if api_disabled(facts) {
        out.push(
            finding(
                FindingId::OrgApiBudget,
                Status::Unknown,
                "Daily API use not known",
            )
            .detail("The org refused the API, so its API use could not be read."),
        );
        return;
    }
    let limit_refusal = facts
        .refused
        .as_ref()
        .filter(|e| e.code == "REQUEST_LIMIT_EXCEEDED");
    let Some((used, max)) = facts.api_usage else {
        let f = if let Some(refusal) = limit_refusal {
            finding(FindingId::OrgApiBudget, Status::Fail, "The org has used all its API calls for today")
                .detail(format!("{} No API call works until the 24-hour window frees some.", fetch_problem(refusal)))
                .fix("Wait for usage to drop (Setup > System Overview shows it), find the app using the calls, or buy more API capacity.")
                .page(SYSTEM_OVERVIEW_PAGE, "")
        } else {
            finding(
                FindingId::OrgApiBudget,
                Status::Unknown,
                "Daily API use not known",
            )
            .detail("Salesforce did not report the org's API usage.")
        };
        out.push(f);
        return;
    };
    let max = max.max(1);
    let evidence = vec![format!("Sforce-Limit-Info: api-usage={used}/{max}")];
    if let Some(refusal) = limit_refusal.filter(|_| used < max) {
        // Salesforce uses the same code for other limits (concurrent long-running requests);
        // the daily quota has room, so this is not the budget.
        out.push(
            finding(FindingId::OrgApiBudget, Status::Unknown, "Salesforce refused a request for another limit")
                .detail(format!(
                    "{} The daily quota still has room ({} of {} used), so this is another limit, such as too many long-running requests at once. Some checks could not run.",
                    fetch_problem(refusal),
                    thousands(used),
                    thousands(max)
                ))
                .fix("Check again in a few minutes; if it persists, look for integrations running many long requests at the same time.")
                .page(SYSTEM_OVERVIEW_PAGE, "")
                .evidence(evidence),
        );
        return;
    }
    let percent = used as f64 * 100.0 / max as f64;
    let headroom = max.saturating_sub(used);
    let daily = profile.usage.daily_calls;
    let backfill = profile.usage.backfill_calls;
    let summary = format!(
        "{} of {} daily API calls used ({percent:.1}%); {} left today. The integration expects about {} calls a day and a one-off backfill of {}.",
        thousands(used),
        thousands(max),
        thousands(headroom),
        thousands(daily),
        thousands(backfill)
    );
    let (status, title, fix) = if limit_refusal.is_some() || percent > 95.0 || headroom < daily {
        (
            Status::Fail,
            format!("API budget nearly spent ({percent:.0}%)"),
            Some("Find what uses the calls (Setup > System Overview, and the API Usage report), schedule the integration's first sync for after the 24-hour window, or buy more API capacity."),
        )
    } else if percent > 75.0 || headroom < daily + backfill {
        let days = if headroom == 0 {
            0
        } else {
            backfill.div_ceil(headroom.max(1))
        };
        (
            Status::Warn,
            format!("API budget is tight ({percent:.0}%)"),
            Some(if headroom < daily + backfill && days > 1 {
                "At today's headroom the backfill needs several days: ask the vendor to spread it, or free API capacity first."
            } else {
                "Watch API use in Setup > System Overview; the integration's calls add to it."
            }),
        )
    } else {
        (
            Status::Pass,
            format!("API budget has room ({percent:.0}% used)"),
            None,
        )
    };
    let mut f = finding(FindingId::OrgApiBudget, status, title)
        .detail(summary)
        .page(SYSTEM_OVERVIEW_PAGE, "")
        .evidence(evidence);
    if let Some(fix) = fix {
        f = f.fix(fix);
    }
    out.push(f);
}
