//! The Single Access UI Bridge API, `/services/oauth2/singleaccess`: a live access token is
//! exchanged for a single-use, short-lived frontdoor URL that opens a browser session, optionally
//! on a given page (`redirect_uri`, a path relative to the instance).
//!
//! Sources (docs/salesforce-fidelity.md): Salesforce Help "Generate a Frontdoor URL to Bridge
//! into UI Sessions" (`xcloud.frontdoor_singleaccess.htm`); @salesforce/core `Org.getFrontDoorUrl`
//! (GET with `redirect_uri` in the query, reads `frontdoor_uri`, refreshes first because an
//! expired token gets 403, not 401); the Mobile SDK's `requestForSingleAccess` (POST with a form
//! body `redirect_uri=`) and its refresh on "403 Bad_OAuth_Token" from `/services/oauth2`.

use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};

use super::org::{Org, Session};

/// What the endpoint answers.
#[derive(Debug, PartialEq)]
pub enum SingleAccess {
    /// 200 `{"frontdoor_uri": ...}`.
    Frontdoor(Value),
    /// 403 with a plain-text reason (`Bad_OAuth_Token`, `Invalid_Scope`), as the other
    /// `/services/oauth2` resources answer a token they do not take.
    Refused(&'static str),
}

impl SingleAccess {
    pub fn status(&self) -> u16 {
        match self {
            SingleAccess::Frontdoor(_) => 200,
            SingleAccess::Refused(_) => 403,
        }
    }
}

/// Answers a request whose token resolved to `session` (`None`: no, unknown or expired token).
///
/// `base_url` is the instance URL the frontdoor URL points at; `redirect_uri` is where the new
/// session starts.
pub fn frontdoor(
    org: &Org,
    base_url: &str,
    session: Option<&Session>,
    redirect_uri: Option<&str>,
) -> SingleAccess {
    let Some(session) = session else {
        return SingleAccess::Refused("Bad_OAuth_Token");
    };
    // A UI session needs a token whose app grants UI access (`web`, or `full` which includes it);
    // an `api`-only token is refused.
    if !session.scopes.iter().any(|s| s == "web" || s == "full") {
        return SingleAccess::Refused("Invalid_Scope");
    }
    // API Only users cannot use bridged sessions (help `security_frontdoorjsp`); the UI Bridge
    // answers them as it answers a bad token (sfdx-core PR #1270).
    if org.has_permission(&session.user_id, "PermissionsApiUserOnly") {
        return SingleAccess::Refused("Bad_OAuth_Token");
    }
    let mut rng = rand::rng();
    let org15 = org.info.id.get(..15).unwrap_or(&org.info.id);
    // The one-time password looks like an access token (org Id, `!`, opaque text), percent-encoded
    // in the query; `cshc` is a checksum. Shape of real frontdoor URLs: the Mobile SDK's tests and
    // sfdx-core's `org open` tests.
    let otp = format!("{org15}%21AQ{}", Alphanumeric.sample_string(&mut rng, 96));
    let checksum = Alphanumeric.sample_string(&mut rng, 22);
    let start = redirect_uri
        .filter(|path| !path.is_empty())
        .map(|path| {
            format!(
                "&startURL={}",
                url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let base = base_url.trim_end_matches('/');
    SingleAccess::Frontdoor(json!({
        "frontdoor_uri": format!("{base}/secur/frontdoor.jsp?otp={otp}{start}&cshc={checksum}")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario;

    fn ready_org() -> Org {
        let scenario = scenario::load_builtin("ready").expect("the ready scenario is built in");
        Org::from_scenario(&scenario)
    }

    fn session(org: &Org, scopes: &[&str]) -> Session {
        session_of(org.admin_user_id.clone(), scopes)
    }

    fn session_of(user_id: String, scopes: &[&str]) -> Session {
        Session {
            user_id,
            app: None,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            calls: 0,
            expired: false,
        }
    }

    #[test]
    fn a_web_token_gets_a_frontdoor_url_on_the_instance_with_the_start_page() {
        let org = ready_org();
        let answer = frontdoor(
            &org,
            "https://sim.example/",
            Some(&session(&org, &["api", "web"])),
            Some("/lightning/setup/SetupOneHome/home"),
        );
        assert_eq!(answer.status(), 200);
        let SingleAccess::Frontdoor(body) = answer else {
            panic!("refused a web-scoped admin token");
        };
        let uri = body["frontdoor_uri"]
            .as_str()
            .expect("frontdoor_uri is text");
        assert!(
            uri.starts_with("https://sim.example/secur/frontdoor.jsp?otp="),
            "{uri}"
        );
        assert!(
            uri.contains("&startURL=%2Flightning%2Fsetup%2FSetupOneHome%2Fhome&cshc="),
            "{uri}"
        );
    }

    #[test]
    fn every_frontdoor_url_is_new() {
        let org = ready_org();
        let s = session(&org, &["full"]);
        assert_ne!(
            frontdoor(&org, "https://sim.example", Some(&s), None),
            frontdoor(&org, "https://sim.example", Some(&s), None)
        );
    }

    #[test]
    fn no_token_an_api_only_token_and_an_api_only_user_are_refused() {
        let org = ready_org();
        assert_eq!(
            frontdoor(&org, "https://sim.example", None, None),
            SingleAccess::Refused("Bad_OAuth_Token")
        );
        assert_eq!(
            frontdoor(
                &org,
                "https://sim.example",
                Some(&session(&org, &["api", "refresh_token"])),
                None
            ),
            SingleAccess::Refused("Invalid_Scope")
        );
        // The integration user's profile is API Only (`api_user_only` in the ready scenario).
        let integration = org
            .user_by_name("integration@acme.example")
            .and_then(|u| u.get("Id")?.as_str().map(str::to_string))
            .expect("the ready scenario has the integration user");
        assert_eq!(
            frontdoor(
                &org,
                "https://sim.example",
                Some(&session_of(integration, &["api", "web"])),
                None
            ),
            SingleAccess::Refused("Bad_OAuth_Token")
        );
    }
}
