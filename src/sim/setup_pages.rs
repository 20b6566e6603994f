//! The simulated org has no Setup: a Setup link opened in the demo (`/lightning/setup/...`)
//! gets a plain page that says so and what that Setup page is for in a real org, instead of
//! the REST API's JSON 404. A browser opens these without a session, as it would open Setup.

use super::oauth::escape;

/// What a real org's Setup page at `path` is for, by its Setup node.
fn purpose(node: &str, rest: &str) -> &'static str {
    match node {
        "ObjectManager" if rest.contains("FieldsAndRelationships") => {
            "Object Manager > the object > Fields & Relationships: create the integration's custom fields (New), and see each field's type, length and picklist values."
        }
        "ObjectManager" if rest.contains("ValidationRules") => {
            "Object Manager > the object > Validation Rules: the rules that can refuse the integration's writes, and where to exempt its user."
        }
        "ObjectManager" if rest.contains("RecordTypes") => {
            "Object Manager > the object > Record Types: which record types exist and which picklist values each allows."
        }
        "ObjectManager" => "Object Manager: the object's fields, rules and layouts.",
        "NavigationMenus" => {
            "App Manager: find the integration's Connected App, Edit, and add the OAuth scope \"Manage user data via APIs (api)\"."
        }
        "ManageExternalClientApplication" => {
            "External Client App Manager: the integration's External Client App and its OAuth scopes and policies."
        }
        "ConnectedAppsUsage" => {
            "Connected Apps OAuth Usage: which users authorized which app, and when; revoke or see the integration user's logins."
        }
        "PermSets" => {
            "Permission Sets: create the integration's permission set, grant object and field access, and assign it (Manage Assignments)."
        }
        "ManageUsers" => {
            "Users: the integration user's profile, licence, API Enabled, and whether it is active or frozen."
        }
        "DuplicateRules" => "Duplicate Rules: rules that can block the integration's saves.",
        "SystemOverview" => "System Overview: the org's API requests in the last 24 hours and its limits.",
        "CompanyProfileInfo" => "Company Information: the org's edition, licences and API request limit.",
        "SecuritySharing" => "Sharing Settings: each object's organization-wide default, which decides which records the integration user can edit.",
        "ImportedPackage" => "Installed Packages: the vendor's package and its version.",
        _ => "A Setup page of a real Salesforce org.",
    }
}

/// The page for a Setup path (None: not a Setup path, route it as usual).
pub fn page(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/lightning/setup/")?;
    let (node, more) = rest.split_once('/').unwrap_or((rest, ""));
    let what = purpose(node, more);
    Some(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Simulated org: no Setup</title>\n\
<style>body{{font-family:system-ui,sans-serif;max-width:46em;margin:3em auto;padding:0 1em;line-height:1.5}}\
.sim{{background:#fff3e0;border:2px solid #e08a00;padding:.6em 1em;font-weight:bold}}code{{background:#f2f2f2;padding:0 .3em}}</style>\n\
</head><body>\n<p class=\"sim\">SIMULATED ORG: this is the Write-back Setup Assistant's built-in demo org. It has no Setup pages.</p>\n\
<h1>{}</h1>\n<p>In a real org, <code>{}</code> opens this Setup page:</p>\n<p>{}</p>\n\
<p>In the demo, use the step's <strong>Do this in the demo org</strong> button in the app, or the app's own fixes.</p>\n</body></html>\n",
        escape(node),
        escape(path),
        escape(what)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_path_gets_a_simulated_page_that_says_what_it_is_for() {
        let app = page("/lightning/setup/NavigationMenus/home").expect("a Setup path");
        assert!(app.contains("SIMULATED ORG"));
        assert!(app.contains("Manage user data via APIs (api)"));
        let fields = page("/lightning/setup/ObjectManager/Case/FieldsAndRelationships/view")
            .expect("a Setup path");
        assert!(fields.contains("Fields &amp; Relationships"));
        assert!(page("/services/data/v66.0/sobjects").is_none());
        // Nothing of the path is echoed unescaped.
        let hostile = page("/lightning/setup/<script>/x").unwrap();
        assert!(!hostile.contains("<script>"));
    }
}
