//! Demo mode's stand-in for Setup: the steps only an admin can do in Setup (the app's scopes,
//! the integration user's new login) done in the simulated org, on an explicit click, so the
//! demo can be walked to READY. It drives the simulated org directly, as its admin: the product's
//! checks and fixes never come here, and a real org has no such path.

use crate::sim::org::{into_row, now_stamp};
use crate::sim::server::SimServer;
use serde_json::json;

/// A Setup-only step done in the demo org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoSetupAction {
    /// The Connected App scope step: add "Manage user data via APIs (api)" to the app's OAuth scopes, as in App Manager.
    AddApiScope { app: String },
    /// The Re-authorize step: the integration user logs in through the app again (a new OAuth token).
    Reauthorize { username: String, app: String },
}

impl DemoSetupAction {
    /// The step it stands in for.
    pub fn step(&self) -> crate::checks::Step {
        match self {
            DemoSetupAction::AddApiScope { .. } => crate::checks::Step::App,
            DemoSetupAction::Reauthorize { .. } => crate::checks::Step::Reauthorize,
        }
    }

    /// How it is done in a real org, in a sentence.
    pub fn in_a_real_org(&self) -> &'static str {
        match self {
            DemoSetupAction::AddApiScope { .. } => {
                "In a real org only an admin can do this, in Setup > App Manager."
            }
            DemoSetupAction::Reauthorize { .. } => {
                "In a real org the integration user logs in again through the vendor's app."
            }
        }
    }

    /// The button's words.
    pub fn label(&self) -> &'static str {
        match self {
            DemoSetupAction::AddApiScope { .. } => "Do this in the demo org: add the api scope",
            DemoSetupAction::Reauthorize { .. } => {
                "Do this in the demo org: log in as the integration user"
            }
        }
    }
}

/// Does `action` in the simulated org; the words say what changed.
pub fn apply(sim: &SimServer, action: &DemoSetupAction) -> Result<String, String> {
    sim.with_org(|org| match action {
        DemoSetupAction::AddApiScope { app } => {
            let now = now_stamp();
            let found = org
                .connected_apps
                .iter_mut()
                .find(|a| a.spec.label == *app || a.spec.full_name == *app)
                .ok_or_else(|| format!("The demo org has no Connected App named {app}."))?;
            if !found.spec.scopes.iter().any(|s| s == "Api") {
                found.spec.scopes.push("Api".into());
            }
            // Changing scopes changes the app: logins from before it do not carry them.
            found.spec.last_modified = now.clone();
            let id = found.id.clone();
            if let Some(row) = org.find_mut("ConnectedApplication", &id) {
                row.insert("LastModifiedDate".into(), json!(now));
            }
            Ok(format!(
                "Added \"Manage user data via APIs (api)\" to {app} in the demo org."
            ))
        }
        DemoSetupAction::Reauthorize { username, app } => {
            let user_id = org
                .user_by_name(username)
                .and_then(|u| u.get("Id"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("The demo org has no user {username}."))?;
            org.insert(
                "OauthToken",
                into_row(json!({"AppName": app, "UserId": user_id, "AppMenuItemId": null,
                    "CreatedDate": now_stamp(), "LastUsedDate": now_stamp(), "UseCount": 1})),
            );
            Ok(format!(
                "{username} logged in through {app} in the demo org: a new login that carries the app's scopes."
            ))
        }
    })
}
