//! Step 4: the integration user authorized the app after it last changed (`reauth.token`).

use super::facts::{Facts, Token};
use super::finding::{day, fetch_problem, finding, OAUTH_USAGE_PAGE};
use super::{AppListing, Finding, FindingId, Inputs, Status};
use crate::profile::Profile;
use crate::request::parse_instant;

/// Salesforce keeps this many refresh tokens per user and app; a new login revokes the oldest.
const TOKENS_PER_USER_AND_APP: usize = 5;

pub(super) fn check(
    profile: &Profile,
    inputs: &Inputs,
    app: Option<&AppListing>,
    facts: &Facts,
    out: &mut Vec<Finding>,
) {
    let label = &profile.app.label;
    let Some(username) = &inputs.integration_user else {
        out.push(
            finding(FindingId::ReauthToken, Status::Unknown, "Re-authorization")
                .detail("No integration user chosen yet."),
        );
        return;
    };
    if matches!(facts.user, Some(Ok(None))) {
        out.push(
            finding(FindingId::ReauthToken, Status::Skipped, "Re-authorization")
                .detail("The integration user was not found (step 3)."),
        );
        return;
    }
    let Some(app) = app else {
        let status = if matches!(facts.app_listings, Some(Ok(_))) && facts.app_listing_gap.is_none()
        {
            Status::Skipped
        } else {
            Status::Unknown
        };
        out.push(
            finding(FindingId::ReauthToken, status, "Re-authorization")
                .detail(format!("Depends on the {label} app (step 2).")),
        );
        return;
    };
    let tokens = match &facts.tokens {
        Some(Ok(rows)) => rows,
        Some(Err(e)) => {
            out.push(
                finding(
                    FindingId::ReauthToken,
                    Status::Unknown,
                    "Re-authorization not readable",
                )
                .detail(fetch_problem(e))
                .page(OAUTH_USAGE_PAGE, ""),
            );
            return;
        }
        None => {
            out.push(finding(
                FindingId::ReauthToken,
                Status::Unknown,
                "Re-authorization not read",
            ));
            return;
        }
    };
    let mine: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.username.eq_ignore_ascii_case(username))
        .collect();
    let is_me = inputs.logged_in.username.eq_ignore_ascii_case(username);
    if mine.is_empty() && !is_me && !matches!(facts.sees_all_tokens, Some(Ok(true))) {
        // OauthToken shows other users' tokens only to users with Customize Application.
        let why = match &facts.sees_all_tokens {
            Some(Ok(false)) => format!(
                "You ({}) lack Customize Application, so Salesforce shows you only your own OAuth tokens: whether {username} authorized {label} cannot be seen.",
                inputs.logged_in.username
            ),
            Some(Err(e)) => format!("Whether you may see other users' OAuth tokens could not be read: {}", fetch_problem(e)),
            _ => "Whether you may see other users' OAuth tokens was not read.".to_string(),
        };
        out.push(
            finding(FindingId::ReauthToken, Status::Unknown, format!("Cannot see {username}'s authorizations"))
                .detail(why)
                .fix(format!("Log in as an admin with Customize Application and check again, or confirm manually: Setup > Connected Apps OAuth Usage lists {label} with {username} among its users."))
                .page(OAUTH_USAGE_PAGE, ""),
        );
        return;
    }
    let latest = mine
        .iter()
        .filter_map(|t| t.created.as_deref())
        .max_by_key(|d| parse_instant(d));
    let changed = app.last_modified.clone();
    let evidence: Vec<String> = mine
        .iter()
        .map(|t| {
            format!(
                "OauthToken {}: created {}, last used {}",
                t.app,
                t.created.as_deref().map(day).unwrap_or_default(),
                t.last_used
                    .as_deref()
                    .map(day)
                    .unwrap_or_else(|| "never".into())
            )
        })
        .collect();
    let fix = format!("Re-authorize: in {label}, reconnect Salesforce and log in as {username} (your {label} contact can coordinate). The new token then carries the app's current scopes.");
    let authorized_before_change = |created: &str| {
        changed
            .as_deref()
            .and_then(parse_instant)
            .zip(parse_instant(created))
            .is_some_and(|(c, t)| t < c)
    };
    let f = match latest {
        None => finding(FindingId::ReauthToken, Status::Fail, format!("{username} has not authorized {label}"))
            .detail(format!("There is no OAuth token for {label} held by {username}, so the integration cannot act as that user yet."))
            .fix(fix),
        Some(created) if authorized_before_change(created) => {
            finding(FindingId::ReauthToken, Status::Fail, format!("{label} was authorized before its app last changed"))
                .detail(format!(
                    "The token was issued {} and the app changed {}: existing tokens keep their old scopes, so new scopes such as api are not in effect yet.",
                    day(created),
                    changed.as_deref().map(day).unwrap_or_default()
                ))
                .fix(fix)
        }
        Some(created) if mine.len() + 1 >= TOKENS_PER_USER_AND_APP => {
            finding(FindingId::ReauthToken, Status::Warn, format!("{username} holds {} tokens for {label}", mine.len()))
                .detail(format!("Salesforce keeps {TOKENS_PER_USER_AND_APP} per user and app; the next login revokes the oldest, which may be the one the integration uses. Latest issued {}.", day(created)))
                .fix(format!("Revoke unused {label} tokens for {username} in Setup > Connected Apps OAuth Usage."))
        }
        Some(created) => finding(FindingId::ReauthToken, Status::Pass, format!("{username} authorized {label} after the last app change"))
            .detail(format!(
                "Token issued {}{}.",
                day(created),
                changed.as_deref().map(|c| format!("; the app last changed {}", day(c))).unwrap_or_default()
            )),
    };
    out.push(f.page(OAUTH_USAGE_PAGE, "").evidence(evidence));
}
