//! The Metadata API SOAP endpoint (`/services/Soap/m/{v}`) of the simulated org.
//!
//! Only what the assistant needs: `listMetadata` and `readMetadata` for `ConnectedApp`,
//! `ExternalClientApplication` and `ExtlClntAppOauthSettings`. Requests are parsed with
//! quick-xml and matched on local names, so any namespace prefix (`met:`, `tns:`, none) works.
//! Consumer secrets are never part of any answer.

use super::org::{parse_stamp, ConnectedApp, ExternalClientApp, Org};
use crate::sfid;
use crate::xml::{parse, Node};
use quick_xml::escape::escape;
use serde_json::Value;

const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";

const ENVELOPE_OPEN: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" "#,
    r#"xmlns="http://soap.sforce.com/2006/04/metadata" "#,
    r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>"#
);
const ENVELOPE_CLOSE: &str = "</soapenv:Body></soapenv:Envelope>";

/// The session id from the SOAP envelope's SessionHeader (`<sessionId>` in any namespace prefix), if any.
pub fn session_id(body: &str) -> Option<String> {
    let root = parse(body).ok()?;
    let header = root.child("Header");
    let found = match header {
        Some(h) => h.descendant("sessionId"),
        None => root.descendant("sessionId"),
    }?;
    let id = found.text.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// Answers one Metadata API SOAP request for an authenticated user. Returns (HTTP status, XML body).
pub fn handle(org: &Org, user_id: &str, body: &str) -> (u16, String) {
    let root = match parse(body) {
        Ok(root) => root,
        Err(message) => {
            return (
                500,
                fault(
                    "soapenv:Client",
                    &format!("Unable to parse the SOAP request: {message}"),
                ),
            )
        }
    };
    if root.name != "Envelope" {
        return (
            500,
            fault(
                "soapenv:Client",
                &format!("Expected a SOAP Envelope, found <{}>", root.name),
            ),
        );
    }
    let Some(operation) = root.child("Body").and_then(|b| b.children.first()) else {
        return (
            500,
            fault("soapenv:Client", "No operation found in the SOAP Body"),
        );
    };
    if !matches!(
        operation.name.as_str(),
        "listMetadata" | "readMetadata" | "describeMetadata"
    ) {
        return (
            500,
            fault(
                "soapenv:Client",
                &format!(
                    "No operation available for request {{{METADATA_NS}}}{}",
                    operation.name
                ),
            ),
        );
    }
    if !org.has_permission(user_id, "PermissionsCustomizeApplication")
        && !org.has_permission(user_id, "PermissionsModifyAllData")
    {
        return (
            500,
            fault(
                "INSUFFICIENT_ACCESS",
                "INSUFFICIENT_ACCESS: You don't have permission to read or list metadata. \
                 Ask your admin for Customize Application.",
            ),
        );
    }
    // An org that has not allowed access to the ECA OAuth plugin through the Metadata API
    // refuses the whole call that asks for it (one listMetadata call per type keeps the others).
    let settings = |t: Option<String>| t.is_some_and(|t| t.trim() == "ExtlClntAppOauthSettings");
    let asks_settings = settings(operation.child_text("type"))
        || operation
            .children_named("queries")
            .any(|q| settings(q.child_text("type")));
    if org.eca_oauth_settings_guarded && asks_settings {
        return (500, fault("INSUFFICIENT_ACCESS", GUARDED_SETTINGS));
    }
    let answer = if operation.name == "describeMetadata" {
        Ok(describe_metadata())
    } else if operation.name == "listMetadata" {
        Ok(list_metadata(org, operation))
    } else {
        read_metadata(org, operation)
    };
    match answer {
        Ok(inner) => (200, format!("{ENVELOPE_OPEN}{inner}{ENVELOPE_CLOSE}")),
        Err((code, message)) => (500, fault(&code, &message)),
    }
}

/// The fault for `ExtlClntAppOauthSettings` in an org that guards it (text **UNVERIFIED**,
/// see `docs/salesforce-fidelity.md`).
pub const GUARDED_SETTINGS: &str = "INSUFFICIENT_ACCESS: Access to the OAuth settings of external client apps through the Metadata API is not allowed in this org. In Setup, enable Allow Access to OAuth Consumer Secrets via Metadata API.";

/// `describeMetadata`: the metadata types the simulated org lists and reads, in the shape of
/// the Metadata API's `DescribeMetadataResult` (Metadata API Developer Guide,
/// "describeMetadata()": `metadataObjects` with `directoryName`, `inFolder`, `metaFile`,
/// `suffix`, `xmlName`, `childXmlNames`; `organizationNamespace`, `partialSaveAllowed`,
/// `testRequired`). A real org lists several hundred types; the simulator only the ones it
/// serves (UNVERIFIED beyond the shape).
fn describe_metadata() -> String {
    let types = [
        ("connectedApps", "connectedApp", "ConnectedApp"),
        ("externalClientApps", "eca", "ExternalClientApplication"),
        (
            "extlClntAppOauthSettings",
            "ecaOauth",
            "ExtlClntAppOauthSettings",
        ),
    ];
    let objects: String = types
        .iter()
        .map(|(directory, suffix, name)| {
            format!(
                "<metadataObjects><directoryName>{directory}</directoryName><inFolder>false</inFolder>\
                 <metaFile>false</metaFile><suffix>{suffix}</suffix><xmlName>{name}</xmlName></metadataObjects>"
            )
        })
        .collect();
    format!(
        "<describeMetadataResponse><result>{objects}<organizationNamespace></organizationNamespace>\
         <partialSaveAllowed>true</partialSaveAllowed><testRequired>false</testRequired></result></describeMetadataResponse>"
    )
}

/// A SOAP fault envelope (HTTP 500), e.g. fault("INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session").
///
/// A `code` without a prefix gets `sf:`; one that already has a prefix (`soapenv:Client`) is kept.
pub fn fault(code: &str, message: &str) -> String {
    let code = if code.contains(':') {
        code.to_string()
    } else {
        format!("sf:{code}")
    };
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" "#,
            r#"xmlns:sf="http://soap.sforce.com/2006/04/metadata"><soapenv:Body><soapenv:Fault>"#,
            "<faultcode>{}</faultcode><faultstring>{}</faultstring>",
            "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        ),
        escape(code.as_str()),
        escape(message)
    )
}

// ---------------------------------------------------------------------------------------------
// Request parsing: see `crate::xml`.

// ---------------------------------------------------------------------------------------------
// Operations.

fn list_metadata(org: &Org, operation: &Node) -> String {
    let mut out = String::from("<listMetadataResponse>");
    let admin = Admin::of(org);
    for query in operation.children_named("queries") {
        let Some(kind) = query.child_text("type") else {
            continue;
        };
        match kind.as_str() {
            "ConnectedApp" => {
                for app in &org.connected_apps {
                    let spec = &app.spec;
                    push_list_result(
                        &mut out,
                        &admin,
                        &ListEntry {
                            created: &spec.created,
                            file_name: format!("connectedApps/{}.connectedApp", spec.full_name),
                            full_name: &spec.full_name,
                            id: &app.id,
                            last_modified: &spec.last_modified,
                            installed: spec.namespace.as_deref().is_some_and(|n| !n.is_empty()),
                            namespace: spec.namespace.as_deref().filter(|n| !n.is_empty()),
                            kind: "ConnectedApp",
                        },
                    );
                }
            }
            "ExternalClientApplication"
            | "ExtlClntAppOauthSettings"
            | "ExtlClntAppOauthConfigurablePolicies" => {
                let settings = kind == "ExtlClntAppOauthSettings";
                let policies = kind == "ExtlClntAppOauthConfigurablePolicies";
                for app in org.external_client_apps.iter().filter(|a| a.spec.installed) {
                    let spec = &app.spec;
                    let (full_name, file_name, id) = if settings {
                        let full_name = format!("{}_oauth", spec.full_name);
                        let file = format!("extlClntAppOauthSettings/{full_name}.ecaOauth");
                        (full_name, file, settings_id(app, "0xT"))
                    } else if policies {
                        let full_name = format!("{}_oauthPlcy", spec.full_name);
                        let file = format!("extlClntAppOauthPolicies/{full_name}.ecaOauthPlcy");
                        (full_name, file, settings_id(app, "0xP"))
                    } else {
                        let file = format!("externalClientApps/{}.eca", spec.full_name);
                        (spec.full_name.clone(), file, app.id.clone())
                    };
                    push_list_result(
                        &mut out,
                        &admin,
                        &ListEntry {
                            created: &spec.created,
                            file_name,
                            full_name: &full_name,
                            id: &id,
                            last_modified: &spec.last_modified,
                            installed: spec.distribution_state.eq_ignore_ascii_case("Packaged"),
                            namespace: None,
                            kind: &kind,
                        },
                    );
                }
            }
            _ => {}
        }
    }
    if out == "<listMetadataResponse>" {
        return "<listMetadataResponse/>".to_string();
    }
    out.push_str("</listMetadataResponse>");
    out
}

fn read_metadata(org: &Org, operation: &Node) -> Result<String, (String, String)> {
    let kind = operation.child_text("type").unwrap_or_default();
    if !matches!(
        kind.as_str(),
        "ConnectedApp"
            | "ExternalClientApplication"
            | "ExtlClntAppOauthSettings"
            | "ExtlClntAppOauthConfigurablePolicies"
            | "DuplicateRule"
    ) {
        return Err((
            "INVALID_TYPE".to_string(),
            format!("INVALID_TYPE: Unknown type name '{kind}' specified in Metadata."),
        ));
    }
    let admin = Admin::of(org);
    let mut out = String::from("<readMetadataResponse><result>");
    for full_name in operation.children_named("fullNames") {
        let full_name = full_name.text.trim();
        let body = match kind.as_str() {
            "ConnectedApp" => org
                .connected_apps
                .iter()
                .find(|a| a.spec.full_name == full_name)
                .map(|app| connected_app_record(app, &admin)),
            "ExternalClientApplication" => installed_ecas(org)
                .find(|a| a.spec.full_name == full_name)
                .map(|app| eca_record(org, app, &admin)),
            "ExtlClntAppOauthConfigurablePolicies" => installed_ecas(org)
                .find(|a| format!("{}_oauthPlcy", a.spec.full_name) == full_name)
                .map(|app| eca_policies_record(org, app)),
            // Metadata API DuplicateRule: fullName is Object.DeveloperName.
            "DuplicateRule" => org
                .duplicate_rules
                .iter()
                .find(|r| format!("{}.{}", r.sobject_type, r.developer_name) == full_name)
                .map(duplicate_rule_record),
            _ => installed_ecas(org)
                .find(|a| format!("{}_oauth", a.spec.full_name) == full_name)
                .map(|app| eca_oauth_record(org, app)),
        };
        match body {
            Some(body) => {
                out.push_str(&format!(r#"<records xsi:type="{kind}">{body}</records>"#));
            }
            None => out.push_str(&format!(r#"<records xsi:type="{kind}"/>"#)),
        }
    }
    out.push_str("</result></readMetadataResponse>");
    Ok(out)
}

/// A `DuplicateRule` record as readMetadata answers it (Metadata API: actionOnInsert,
/// actionOnUpdate, isActive, masterLabel, duplicateRuleMatchRules).
fn duplicate_rule_record(rule: &super::scenario::DuplicateRuleSpec) -> String {
    format!(
        "<fullName>{}.{}</fullName><actionOnInsert>{}</actionOnInsert><actionOnUpdate>{}</actionOnUpdate>\
         <isActive>{}</isActive><masterLabel>{}</masterLabel>\
         <duplicateRuleMatchRules><matchingRule>{}</matchingRule><objectMapping xsi:nil=\"true\"/></duplicateRuleMatchRules>",
        escape(&rule.sobject_type),
        escape(&rule.developer_name),
        escape(&rule.action_on_insert),
        escape(&rule.action_on_edit),
        rule.active,
        escape(rule.label.as_deref().unwrap_or(&rule.developer_name)),
        escape(rule.matching_rule.as_deref().unwrap_or_default()),
    )
}

fn installed_ecas(org: &Org) -> impl Iterator<Item = &ExternalClientApp> {
    org.external_client_apps.iter().filter(|a| a.spec.installed)
}

/// A stable Id for an ECA's OAuth settings or policies record, derived from the app's Id.
fn settings_id(app: &ExternalClientApp, prefix: &str) -> String {
    app.id
        .get(3..15)
        .and_then(|rest| sfid::to_18(&format!("{prefix}{rest}")).ok())
        .unwrap_or_else(|| app.id.clone())
}

/// The org's 15-character Id.
fn org_id15(org: &Org) -> &str {
    org.info.id.get(..15).unwrap_or(&org.info.id)
}

// ---------------------------------------------------------------------------------------------
// Response building.

struct Admin {
    id: String,
    name: String,
    email: String,
}

impl Admin {
    fn of(org: &Org) -> Admin {
        let row = org.find("User", &org.admin_user_id);
        let field = |name: &str| {
            row.and_then(|r| r.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Admin {
            id: org.admin_user_id.clone(),
            name: field("Name"),
            email: field("Email"),
        }
    }
}

struct ListEntry<'a> {
    created: &'a str,
    file_name: String,
    full_name: &'a str,
    id: &'a str,
    last_modified: &'a str,
    installed: bool,
    namespace: Option<&'a str>,
    kind: &'a str,
}

fn push_list_result(out: &mut String, admin: &Admin, entry: &ListEntry) {
    out.push_str("<result>");
    element(out, "createdById", &admin.id);
    element(out, "createdByName", &admin.name);
    element(out, "createdDate", &iso(entry.created));
    element(out, "fileName", &entry.file_name);
    element(out, "fullName", entry.full_name);
    element(out, "id", entry.id);
    element(out, "lastModifiedById", &admin.id);
    element(out, "lastModifiedByName", &admin.name);
    element(out, "lastModifiedDate", &iso(entry.last_modified));
    element(
        out,
        "manageableState",
        if entry.installed {
            "installed"
        } else {
            "unmanaged"
        },
    );
    if let Some(ns) = entry.namespace {
        element(out, "namespacePrefix", ns);
    }
    element(out, "type", entry.kind);
    out.push_str("</result>");
}

fn connected_app_record(app: &ConnectedApp, admin: &Admin) -> String {
    let spec = &app.spec;
    let mut out = String::new();
    element(&mut out, "fullName", &spec.full_name);
    element(&mut out, "contactEmail", &admin.email);
    element(&mut out, "label", &spec.label);
    out.push_str("<oauthConfig>");
    element(&mut out, "callbackUrl", &spec.callback_url);
    if let Some(key) = &spec.consumer_key {
        element(&mut out, "consumerKey", key);
    }
    element(
        &mut out,
        "isAdminApproved",
        bool_text(spec.admin_approved_only),
    );
    element(&mut out, "isClientCredentialEnabled", "false");
    element(&mut out, "isPkceRequired", bool_text(spec.pkce_required));
    for scope in &spec.scopes {
        element(&mut out, "scopes", scope);
    }
    out.push_str("</oauthConfig>");
    out.push_str("<oauthPolicy>");
    element(&mut out, "ipRelaxation", "ENFORCE");
    element(&mut out, "refreshTokenPolicy", &spec.refresh_token_policy);
    out.push_str("</oauthPolicy>");
    for set in &spec.permission_sets {
        element(&mut out, "permissionSetName", set);
    }
    for profile in &spec.profiles {
        element(&mut out, "profileName", profile);
    }
    out
}

fn eca_record(org: &Org, app: &ExternalClientApp, admin: &Admin) -> String {
    let spec = &app.spec;
    let mut out = String::new();
    element(&mut out, "fullName", &spec.full_name);
    element(&mut out, "contactEmail", &admin.email);
    element(&mut out, "distributionState", &spec.distribution_state);
    element(&mut out, "isProtected", "false");
    element(&mut out, "label", &spec.label);
    element(
        &mut out,
        "orgScopedExternalApp",
        &format!("{}:{}", org_id15(org), spec.full_name),
    );
    out
}

fn eca_oauth_record(org: &Org, app: &ExternalClientApp) -> String {
    let spec = &app.spec;
    let mut out = String::new();
    element(&mut out, "fullName", &format!("{}_oauth", spec.full_name));
    element(
        &mut out,
        "commaSeparatedOauthScopes",
        &spec.scopes.join(", "),
    );
    element(&mut out, "externalClientApplication", &spec.full_name);
    element(&mut out, "label", &format!("{} OAuth Settings", spec.label));
    element(
        &mut out,
        "oauthLink",
        &format!("{}:{}", org_id15(org), spec.full_name),
    );
    out
}

/// The admin's OAuth policies of an ECA (`ExtlClntAppOauthConfigurablePolicies`): who may use
/// it, the refresh token policy, IP relaxation.
fn eca_policies_record(org: &Org, app: &ExternalClientApp) -> String {
    let spec = &app.spec;
    let set_ids: Vec<String> = spec
        .permission_sets
        .iter()
        .filter_map(|n| org.permission_set_id(n))
        .map(|id| id[..15].to_string())
        .collect();
    let mut out = String::new();
    element(
        &mut out,
        "fullName",
        &format!("{}_oauthPlcy", spec.full_name),
    );
    if !set_ids.is_empty() {
        element(&mut out, "commaSeparatedPermissionSet", &set_ids.join(","));
    }
    element(&mut out, "externalClientApplication", &spec.full_name);
    element(&mut out, "ipRelaxationPolicyType", "Enforce");
    element(&mut out, "isClientCredentialsFlowEnabled", "false");
    element(&mut out, "isTokenExchangeFlowEnabled", "false");
    element(&mut out, "label", &format!("{} OAuth Policies", spec.label));
    element(
        &mut out,
        "permittedUsersPolicyType",
        if spec.admin_approved_only {
            "AdminApprovedPreAuthorized"
        } else {
            "AllSelfAuthorized"
        },
    );
    element(
        &mut out,
        "refreshTokenPolicyType",
        &spec.refresh_token_policy,
    );
    out
}

fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn bool_text(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// Metadata API datetime: `2025-02-01T10:00:00.000Z`.
fn iso(text: &str) -> String {
    parse_stamp(text)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::{load_builtin, load_str};

    fn org(name: &str) -> Org {
        Org::from_scenario(&load_builtin(name).expect("scenario"))
    }

    fn envelope(body: &str) -> String {
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" "#,
                r#"xmlns:met="http://soap.sforce.com/2006/04/metadata"><soapenv:Header>"#,
                "<met:CallOptions><met:client>test</met:client></met:CallOptions>",
                "<met:SessionHeader><met:sessionId>TOKEN</met:sessionId></met:SessionHeader>",
                "</soapenv:Header><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>"
            ),
            body
        )
    }

    fn list(kind: &str) -> String {
        envelope(&format!(
            "<met:listMetadata><met:queries><met:type>{kind}</met:type></met:queries>\
             <met:asOfVersion>62.0</met:asOfVersion></met:listMetadata>"
        ))
    }

    fn read(kind: &str, names: &[&str]) -> String {
        let names: String = names
            .iter()
            .map(|n| format!("<met:fullNames>{n}</met:fullNames>"))
            .collect();
        envelope(&format!(
            "<met:readMetadata><met:type>{kind}</met:type>{names}</met:readMetadata>"
        ))
    }

    #[test]
    fn session_id_with_and_without_prefix() {
        assert_eq!(session_id(&list("ConnectedApp")).as_deref(), Some("TOKEN"));
        let plain = r#"<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header>
            <SessionHeader xmlns="http://soap.sforce.com/2006/04/metadata">
            <sessionId> 00D!abc </sessionId></SessionHeader></Header><Body/></Envelope>"#;
        assert_eq!(session_id(plain).as_deref(), Some("00D!abc"));
        assert_eq!(session_id("<Envelope><Body/></Envelope>"), None);
        assert_eq!(session_id("<Envelope"), None);
    }

    #[test]
    fn lists_connected_apps() {
        let org = org("ready");
        let (status, body) = handle(&org, &org.admin_user_id, &list("ConnectedApp"));
        assert_eq!(status, 200, "{body}");
        assert!(body.starts_with(ENVELOPE_OPEN));
        assert!(body.contains("<listMetadataResponse><result>"));
        assert!(body.contains("<fullName>Enterpret_Connector</fullName>"));
        assert!(body.contains("<fullName>Writeback_Setup_Assistant</fullName>"));
        assert!(
            body.contains("<fileName>connectedApps/Enterpret_Connector.connectedApp</fileName>")
        );
        assert!(body.contains("<createdDate>2025-02-01T10:00:00.000Z</createdDate>"));
        assert!(body.contains("<manageableState>unmanaged</manageableState>"));
        assert!(body.contains("<type>ConnectedApp</type>"));
        assert!(!body.contains("namespacePrefix"));
    }

    #[test]
    fn unknown_type_lists_nothing() {
        let org = org("ready");
        let (status, body) = handle(&org, &org.admin_user_id, &list("ApexClass"));
        assert_eq!(status, 200);
        assert!(body.contains("<listMetadataResponse/>"));
    }

    #[test]
    fn reads_connected_app_scopes() {
        let org = org("ready");
        let (status, body) = handle(
            &org,
            &org.admin_user_id,
            &read("ConnectedApp", &["Enterpret_Connector"]),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(
            r#"<records xsi:type="ConnectedApp"><fullName>Enterpret_Connector</fullName>"#
        ));
        assert!(body.contains("<scopes>Api</scopes>"));
        assert!(body.contains("<scopes>RefreshToken</scopes>"));
        assert!(body.contains("<consumerKey>3MVG9SIMULATEDENTERPRETCONSUMERKEY</consumerKey>"));
        assert!(body.contains("<refreshTokenPolicy>infinite</refreshTokenPolicy>"));
        assert!(!body.to_lowercase().contains("secret"));
    }

    #[test]
    fn unknown_full_name_gives_empty_record() {
        let org = org("ready");
        let (status, body) = handle(
            &org,
            &org.admin_user_id,
            &read("ConnectedApp", &["Nope", "Enterpret_Connector"]),
        );
        assert_eq!(status, 200);
        assert!(body.contains(r#"<result><records xsi:type="ConnectedApp"/><records xsi:type="ConnectedApp"><fullName>"#));
    }

    #[test]
    fn unknown_type_read_faults() {
        let org = org("ready");
        let (status, body) = handle(&org, &org.admin_user_id, &read("Bogus", &["X"]));
        assert_eq!(status, 500);
        assert!(body.contains("<faultcode>sf:INVALID_TYPE</faultcode>"));
        assert!(body.contains("Unknown type name &apos;Bogus&apos; specified in Metadata."));
    }

    #[test]
    fn eca_oauth_settings() {
        let org = org("eca");
        let (status, body) = handle(&org, &org.admin_user_id, &list("ExtlClntAppOauthSettings"));
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("<fullName>Enterpret_ECA_oauth</fullName>"));
        assert!(body.contains(
            "<fileName>extlClntAppOauthSettings/Enterpret_ECA_oauth.ecaOauth</fileName>"
        ));
        assert!(body.contains("<manageableState>installed</manageableState>"));

        let (status, body) = handle(
            &org,
            &org.admin_user_id,
            &read("ExtlClntAppOauthSettings", &["Enterpret_ECA_oauth"]),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body
            .contains("<commaSeparatedOauthScopes>Api, RefreshToken</commaSeparatedOauthScopes>"));
        assert!(
            body.contains("<externalClientApplication>Enterpret_ECA</externalClientApplication>")
        );

        let (_, body) = handle(&org, &org.admin_user_id, &list("ExternalClientApplication"));
        assert!(body.contains("<fileName>externalClientApps/Enterpret_ECA.eca</fileName>"));
        let (_, body) = handle(
            &org,
            &org.admin_user_id,
            &read("ExternalClientApplication", &["Enterpret_ECA"]),
        );
        assert!(body.contains("<distributionState>Packaged</distributionState>"));
        let (_, body) = handle(&org, &org.admin_user_id, &list("ConnectedApp"));
        assert!(!body.contains("Enterpret_Connector"));
    }

    #[test]
    fn non_admin_is_refused() {
        let org = org("ready");
        let user = org
            .user_by_name("integration@acme.example")
            .and_then(|u| u.get("Id"))
            .and_then(Value::as_str)
            .expect("integration user")
            .to_string();
        let (status, body) = handle(&org, &user, &list("ConnectedApp"));
        assert_eq!(status, 500);
        assert!(body.contains("<faultcode>sf:INSUFFICIENT_ACCESS</faultcode>"));
    }

    #[test]
    fn malformed_xml_and_unknown_operation_fault() {
        let org = org("ready");
        for bad in [
            "<soapenv:Envelope><soapenv:Body><met:listMetadata></soapenv:Body>",
            "<Envelope><Body>",
            "not xml at all",
        ] {
            let (status, body) = handle(&org, &org.admin_user_id, bad);
            assert_eq!(status, 500, "{bad}");
            assert!(
                body.contains("<faultcode>soapenv:Client</faultcode>"),
                "{body}"
            );
        }
        let (status, body) = handle(
            &org,
            &org.admin_user_id,
            &envelope("<met:deploy><met:zipFile>x</met:zipFile></met:deploy>"),
        );
        assert_eq!(status, 500);
        assert!(body.contains("<faultcode>soapenv:Client</faultcode>"));
        assert!(body.contains(
            "No operation available for request {http://soap.sforce.com/2006/04/metadata}deploy"
        ));
    }

    #[test]
    fn fault_shape() {
        let body = fault(
            "INVALID_SESSION_ID",
            "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session",
        );
        assert!(body.contains(r#"xmlns:sf="http://soap.sforce.com/2006/04/metadata""#));
        assert!(body.contains("<soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID"));
    }

    #[test]
    fn escapes_text() {
        let scenario = load_str(
            "t",
            "extends = \"ready\"\nname = \"t\"\n[[connected_apps]]\nfull_name = \"Enterpret_Connector\"\nlabel = \"A <b> & c\"",
        )
        .expect("scenario");
        let org = Org::from_scenario(&scenario);
        let (status, body) = handle(
            &org,
            &org.admin_user_id,
            &read("ConnectedApp", &["Enterpret_Connector"]),
        );
        assert_eq!(status, 200);
        assert!(
            body.contains("<label>A &lt;b&gt; &amp; c</label>"),
            "{body}"
        );
    }

    #[test]
    fn entities_in_request_are_resolved() {
        let org = org("ready");
        let (_, body) = handle(
            &org,
            &org.admin_user_id,
            &read("Connected&#65;pp", &["Enterpret_Connector"]),
        );
        assert!(body.contains("<scopes>Api</scopes>"), "{body}");
    }
}
