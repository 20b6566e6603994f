//! Step 2: the integration's app is in the org (`app.found`), has the scopes it needs
//! (`app.scopes`), and its policies let the integration user work unattended (`app.policy`).

use super::facts::{Facts, UserFacts};
use super::finding::{day, fetch_problem, finding, APP_MANAGER_PAGE, ECA_MANAGER_PAGE};
use super::{AppKind, AppListing, AppSettings, FetchError, Finding, FindingId, Status};
use crate::profile::Profile;

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The app listing that is the integration's app: by API name, else by a name containing its label.
pub fn pick_app<'a>(profile: &Profile, listings: &'a [AppListing]) -> Option<&'a AppListing> {
    let app_name = |l: &AppListing| match l.kind {
        AppKind::ExternalClientApp => l.full_name.trim_end_matches("_oauth").to_string(),
        AppKind::ConnectedApp => l.full_name.clone(),
    };
    let by_api_name = listings.iter().find(|l| {
        let name = app_name(l);
        profile
            .app
            .api_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&name) || n.eq_ignore_ascii_case(&l.full_name))
    });
    by_api_name.or_else(|| {
        let label = normalized(&profile.app.label);
        listings
            .iter()
            .find(|l| !label.is_empty() && normalized(&app_name(l)).contains(&label))
    })
}

fn scope_is(scope: &str, wanted: &str) -> bool {
    let s: String = scope
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let w: String = wanted
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    s.eq_ignore_ascii_case(&w)
}

/// Whether the app's scopes give `wanted` ("full" gives "api").
fn has_scope(scopes: &[String], wanted: &str) -> bool {
    scopes
        .iter()
        .any(|s| scope_is(s, wanted) || (scope_is(wanted, "api") && scope_is(s, "full")))
}

/// Whether tokens of the app come with a refresh token (Salesforce issues one only with the
/// `refresh_token`/`offline_access` scope; `full` alone does not).
fn issues_refresh_tokens(scopes: &[String]) -> bool {
    scopes
        .iter()
        .any(|s| scope_is(s, "RefreshToken") || scope_is(s, "offline_access"))
}

/// Unknown app checks, each with what to confirm by hand.
fn unknown_app(label: &str, e: &FetchError, out: &mut Vec<Finding>) {
    let manual = format!(
        "Confirm manually: Setup > App Manager shows \"{label}\" (Connected App) or External Client App Manager shows it, and its OAuth scopes include \"Manage user data via APIs (api)\"."
    );
    out.push(
        finding(
            FindingId::AppFound,
            Status::Unknown,
            format!("Could not look up the {label} app"),
        )
        .detail(format!(
            "{} Reading app settings needs Customize Application.",
            fetch_problem(e)
        ))
        .fix(manual.clone())
        .page(APP_MANAGER_PAGE, ""),
    );
    out.push(
        finding(
            FindingId::AppScopes,
            Status::Unknown,
            "OAuth scopes not readable",
        )
        .detail("The app's settings could not be read with your login.")
        .fix(manual)
        .page(APP_MANAGER_PAGE, ""),
    );
    out.push(
        finding(
            FindingId::AppPolicy,
            Status::Unknown,
            "App policies not readable",
        )
        .page(APP_MANAGER_PAGE, ""),
    );
}

/// Returns the matched listing (for the re-authorization check).
pub(super) fn check(
    profile: &Profile,
    user: Option<&UserFacts>,
    facts: &Facts,
    out: &mut Vec<Finding>,
) -> Option<AppListing> {
    let label = &profile.app.label;
    let listings = match &facts.app_listings {
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            unknown_app(label, e, out);
            return None;
        }
        // Always asked for: no listing at all is "could not check", never a silent pass.
        None => {
            let not_read = FetchError {
                code: "NOT_READ".into(),
                message: "the Metadata API listing of apps was not read".into(),
            };
            unknown_app(label, &not_read, out);
            return None;
        }
    };
    let Some(app) = pick_app(profile, listings).cloned() else {
        if let Some(gap) = &facts.app_listing_gap {
            // One kind of app could not be listed: its absence proves nothing.
            unknown_app(label, gap, out);
            return None;
        }
        let names: Vec<String> = listings
            .iter()
            .map(|l| format!("{} {}", l.kind.label(), l.full_name))
            .collect();
        out.push(
            finding(FindingId::AppFound, Status::Fail, format!("No {label} app in this org"))
                .detail(format!(
                    "No Connected App or External Client App matches \"{label}\"{}. The integration logs in through its app, so it cannot connect.",
                    if profile.app.api_names.is_empty() { String::new() } else { format!(" or the API names {}", profile.app.api_names.join(", ")) }
                ))
                .fix(format!("Install {label}'s app (the vendor sends the install link), or connect {label} once so its app appears, then re-check."))
                .page(APP_MANAGER_PAGE, "")
                .evidence(vec![format!(
                    "Metadata API listMetadata: {}",
                    if names.is_empty() { "no apps".to_string() } else { names.join(", ") }
                )]),
        );
        for id in [FindingId::AppScopes, FindingId::AppPolicy] {
            out.push(
                finding(
                    id,
                    Status::Skipped,
                    if id == FindingId::AppScopes {
                        "OAuth scopes"
                    } else {
                        "App policies"
                    },
                )
                .detail("The app is not in the org."),
            );
        }
        return None;
    };
    let page = match app.kind {
        AppKind::ConnectedApp => APP_MANAGER_PAGE,
        AppKind::ExternalClientApp => ECA_MANAGER_PAGE,
    };
    out.push(
        finding(
            FindingId::AppFound,
            Status::Pass,
            format!(
                "{} {} found",
                app.kind.label(),
                app.full_name.trim_end_matches("_oauth")
            ),
        )
        .detail(format!(
            "The integration's app is in the org{}.",
            app.last_modified
                .as_deref()
                .map(|d| format!(", last changed {}", day(d)))
                .unwrap_or_default()
        ))
        .page(page, "")
        .evidence(vec![format!(
            "Metadata API listMetadata: {} {}",
            app.kind.label(),
            app.full_name
        )]),
    );
    match &facts.app_settings {
        Some(Ok(settings)) => {
            check_scopes(profile, &app, settings, page, out);
            check_policy(&app, settings, user, page, out);
        }
        Some(Err(e)) => {
            out.push(
                finding(FindingId::AppScopes, Status::Unknown, "OAuth scopes not readable")
                    .detail(fetch_problem(e))
                    .fix(format!("Confirm manually: open {} in Setup and check that Selected OAuth Scopes include \"Manage user data via APIs (api)\".", app.full_name))
                    .page(page, ""),
            );
            out.push(
                finding(
                    FindingId::AppPolicy,
                    Status::Unknown,
                    "App policies not readable",
                )
                .detail(fetch_problem(e))
                .page(page, ""),
            );
        }
        None => {
            out.push(
                finding(
                    FindingId::AppScopes,
                    Status::Unknown,
                    "OAuth scopes not read",
                )
                .page(page, ""),
            );
            out.push(
                finding(
                    FindingId::AppPolicy,
                    Status::Unknown,
                    "App policies not read",
                )
                .page(page, ""),
            );
        }
    }
    Some(app)
}

fn check_scopes(
    profile: &Profile,
    app: &AppListing,
    settings: &AppSettings,
    page: &str,
    out: &mut Vec<Finding>,
) {
    let missing: Vec<&str> = profile
        .app
        .required_scopes
        .iter()
        .filter(|s| !has_scope(&settings.scopes, s))
        .map(String::as_str)
        .collect();
    let evidence = vec![format!(
        "{} {}: scopes {}",
        app.kind.label(),
        settings.full_name,
        if settings.scopes.is_empty() {
            "(none)".to_string()
        } else {
            settings.scopes.join(", ")
        }
    )];
    let name = settings
        .label
        .clone()
        .unwrap_or_else(|| app.full_name.clone());
    let f = if !missing.is_empty() {
        finding(FindingId::AppScopes, Status::Fail, format!("The app lacks the {} scope", missing.join(", ")))
            .detail("Without \"api\" every call the integration makes is refused with \"This session is not valid for use with the REST API\", so nothing is written.")
            .fix(format!(
                "Setup > App Manager > {name} > Edit (for an External Client App: Settings > OAuth Settings) > Selected OAuth Scopes: add \"Manage user data via APIs (api)\" and save. Changes can take up to 10 minutes, then re-authorize the integration (step 4)."
            ))
    } else if !issues_refresh_tokens(&settings.scopes) {
        finding(FindingId::AppScopes, Status::Warn, "The app issues no refresh token")
            .detail("The app has the scopes to call the API, but not \"Perform requests at any time (refresh_token, offline_access)\": Salesforce then issues no refresh token (the full scope does not include one), so the integration's access ends with its session and someone must re-authorize it each time.")
            .fix(format!(
                "Setup > App Manager > {name} > Edit > Selected OAuth Scopes: add \"Perform requests at any time (refresh_token, offline_access)\" and save, then re-authorize the integration (step 4)."
            ))
    } else {
        finding(
            FindingId::AppScopes,
            Status::Pass,
            format!(
                "The app has the {} scope",
                profile.app.required_scopes.join(", ")
            ),
        )
        .detail(
            "Tokens the app issues may call the API and write data, and come with a refresh token.",
        )
    };
    out.push(f.page(page, "").evidence(evidence));
}

fn check_policy(
    app: &AppListing,
    settings: &AppSettings,
    user: Option<&UserFacts>,
    page: &str,
    out: &mut Vec<Finding>,
) {
    if app.kind == AppKind::ExternalClientApp {
        out.push(
            finding(FindingId::AppPolicy, Status::Unknown, "External Client App policies: confirm manually")
                .detail("An External Client App keeps its policies (Permitted Users, refresh token policy, IP relaxation) in settings the app cannot read with the Metadata API it uses. If only admin-approved users are permitted and the integration user is not among them, its logins fail.")
                .fix(format!(
                    "Confirm manually: Setup > External Client App Manager > {} > Policies > OAuth Policies: Permitted Users is \"All users may self-authorize\", or the integration user's permission set is selected; Refresh Token Policy is \"Refresh token is valid until revoked\".",
                    app.full_name.trim_end_matches("_oauth")
                ))
                .page(page, ""),
        );
        return;
    }
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    let mut evidence = Vec::new();
    if let Some(policy) = &settings.refresh_token_policy {
        evidence.push(format!("refresh token policy: {policy}"));
        if !policy.eq_ignore_ascii_case("infinite") {
            warnings.push(format!("Refresh tokens expire (policy \"{policy}\"): once they do, unattended write-backs stop until someone re-authorizes. Set \"Refresh token is valid until revoked\" under Manage > Edit Policies."));
        }
    }
    if let Some(ip) = &settings.ip_relaxation {
        evidence.push(format!("IP relaxation: {ip}"));
    }
    if settings.admin_approved_only == Some(true) {
        let list = |items: &[String]| {
            if items.is_empty() {
                "(none)".to_string()
            } else {
                items.join(", ")
            }
        };
        evidence.push(format!(
            "admin approved users are pre-authorized: permission sets {}; profiles {}",
            list(&settings.permission_sets),
            list(&settings.profiles)
        ));
        if let Some(user) = user {
            let holds_profile = settings
                .profiles
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&user.profile));
            let holds_set = user.counting().any(|s| {
                settings.permission_sets.iter().any(|p| {
                    p.eq_ignore_ascii_case(&s.api_name)
                        || s.grantor
                            .to_lowercase()
                            .ends_with(&p.replace('_', " ").to_lowercase())
                })
            });
            if !holds_profile && !holds_set {
                failures.push(format!(
                    "Only pre-authorized users may use the app, and {} is not among them: logins fail with \"user is not admin approved to access this app\". Under Manage > Profiles or Permission Sets, add the integration's permission set.",
                    user.username
                ));
            }
        }
    }
    let status = if !failures.is_empty() {
        Status::Fail
    } else if !warnings.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut problems = failures;
    problems.extend(warnings);
    let f = finding(
        FindingId::AppPolicy,
        status,
        match status {
            Status::Pass => "App policies allow unattended write-backs",
            Status::Fail => "App policies block the integration user",
            _ => "App policies may interrupt write-backs",
        },
    )
    .page(page, "")
    .evidence(evidence);
    out.push(if problems.is_empty() {
        f.detail("Refresh tokens do not expire and the integration user may use the app.")
    } else {
        f.detail(problems.join(" ")).fix(problems.join(" "))
    });
}
