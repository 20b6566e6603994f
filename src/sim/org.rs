//! The simulated org's state: schema, record tables, automation, apps and sessions.
//!
//! Everything queryable lives in `tables` as JSON rows keyed by canonical field names, so the
//! SOQL engine and the REST handlers see one store. Rows may carry private keys starting with
//! `__` (e.g. a record lock) that no API ever shows.

use super::scenario::{
    ApexTriggerSpec, ConnectedAppSpec, DuplicateRuleSpec, ExternalClientAppSpec, FieldSpec,
    GlobalValueSetSpec, ObjectPermissionSpec, Scenario, SystemPermissions, ValidationRuleSpec,
};
use super::schema::{self, FieldDef, FieldKind, ObjectDef, PicklistValue};
use crate::sfid;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub type Row = Map<String, Value>;

/// Salesforce's datetime format in REST bodies: `2025-01-15T10:22:04.000+0000`.
pub fn now_stamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

/// Parses `2025-01-15T10:22:04.000+0000`, `2025-01-15T10:22:04Z` or a plain date.
pub fn parse_stamp(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDate, Utc};
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// Normalises a scenario date or datetime to Salesforce's REST format.
fn stamp(text: &str) -> String {
    parse_stamp(text)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())
        .unwrap_or_else(|| text.to_string())
}

#[derive(Clone, Debug)]
pub struct OrgInfo {
    pub id: String,
    pub name: String,
    pub edition: String,
    pub is_sandbox: bool,
    pub instance: String,
    pub my_domain: Option<String>,
    pub api_enabled: bool,
}

/// A validation rule or trigger as the simulator runs it on writes.
#[derive(Clone, Debug)]
pub struct Automation {
    pub validation_rules: Vec<ValidationRuleSpec>,
    pub triggers: Vec<ApexTriggerSpec>,
}

#[derive(Clone, Debug)]
pub struct ConnectedApp {
    pub id: String,
    pub spec: ConnectedAppSpec,
}

#[derive(Clone, Debug)]
pub struct ExternalClientApp {
    pub id: String,
    pub spec: ExternalClientAppSpec,
}

/// An access token the org has issued.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: String,
    /// Label of the app the token was issued to.
    pub app: Option<String>,
    /// OAuth scope strings granted (`api`, `full`, `refresh_token`, ...).
    pub scopes: Vec<String>,
    pub calls: u64,
    pub expired: bool,
}

impl Session {
    pub fn allows_rest(&self) -> bool {
        self.scopes.iter().any(|s| s == "api" || s == "full")
    }
}

#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub user_id: String,
    pub client_id: String,
    pub app: String,
    pub scopes: Vec<String>,
    pub oauth_token_id: String,
    /// Access tokens issued from this grant (revoking the refresh token ends them).
    pub access_tokens: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub user_id: String,
    pub scopes: Vec<String>,
}

#[derive(Clone)]
pub struct Org {
    pub scenario_name: String,
    pub api_version: String,
    pub info: OrgInfo,
    pub objects: Vec<ObjectDef>,
    pub tables: HashMap<String, Vec<Row>>,
    pub automation: Automation,
    pub connected_apps: Vec<ConnectedApp>,
    pub external_client_apps: Vec<ExternalClientApp>,
    pub duplicate_rules: Vec<DuplicateRuleSpec>,
    /// The Metadata API refuses `ExtlClntAppOauthSettings` (the org has not allowed access to
    /// OAuth consumer secrets through it).
    pub eca_oauth_settings_guarded: bool,
    /// API requests still to refuse as over the concurrent long-running request limit.
    pub concurrent_refusals: u32,
    pub api_max: u64,
    pub api_used: u64,
    /// API calls per app label, for `/limits` `DailyApiRequests` sub-entries.
    pub api_used_by_app: HashMap<String, u64>,
    pub sessions: HashMap<String, Session>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    pub auth_codes: HashMap<String, AuthCode>,
    pub passwords: HashMap<String, String>,
    pub admin_user_id: String,
    pub expire_token_after_calls: Option<u64>,
    /// Open query cursors: locator -> (remaining records, entity name for Tooling answers).
    pub cursors: HashMap<String, (Vec<Value>, usize, String)>,
    /// Derived from the tables and cleared on every change made through `table_mut`,
    /// `find_mut` or `insert` (change tables only through those).
    caches: Caches,
    next_id: u64,
}

#[derive(Clone, Default)]
struct Caches {
    /// Id (18 characters) -> (object, row index).
    ids: std::cell::RefCell<Option<HashMap<String, (String, usize)>>>,
    access: std::cell::RefCell<HashMap<String, std::sync::Arc<super::access::UserAccess>>>,
}

impl Org {
    pub fn from_scenario(scenario: &Scenario) -> Org {
        let mut org = Org {
            scenario_name: scenario.name.clone(),
            api_version: scenario.api_version.clone(),
            info: OrgInfo {
                id: sfid::to_18(&scenario.org.id).unwrap_or_else(|_| scenario.org.id.clone()),
                name: scenario.org.name.clone(),
                edition: scenario.org.edition.clone(),
                is_sandbox: scenario.org.is_sandbox,
                instance: scenario.org.instance.clone(),
                my_domain: scenario.org.my_domain.clone(),
                api_enabled: scenario.org.api_enabled,
            },
            objects: schema::standard_objects(),
            tables: HashMap::new(),
            automation: Automation {
                validation_rules: scenario.validation_rules.clone(),
                triggers: scenario.apex_triggers.clone(),
            },
            connected_apps: Vec::new(),
            external_client_apps: Vec::new(),
            duplicate_rules: scenario.duplicate_rules.clone(),
            eca_oauth_settings_guarded: scenario.org.eca_oauth_settings_guarded,
            concurrent_refusals: scenario.faults.concurrent_long_requests,
            api_max: scenario.org.daily_api_max,
            api_used: scenario.org.daily_api_used,
            api_used_by_app: HashMap::new(),
            sessions: HashMap::new(),
            refresh_tokens: HashMap::new(),
            auth_codes: HashMap::new(),
            passwords: HashMap::new(),
            admin_user_id: String::new(),
            expire_token_after_calls: scenario.faults.expire_token_after_calls,
            cursors: HashMap::new(),
            caches: Caches::default(),
            next_id: 1,
        };
        org.load(scenario);
        org.touch();
        org
    }

    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        sfid::mint(prefix, "5g", self.next_id)
    }

    pub fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.objects
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
    }

    pub fn object_mut(&mut self, name: &str) -> Option<&mut ObjectDef> {
        self.objects
            .iter_mut()
            .find(|o| o.name.eq_ignore_ascii_case(name))
    }

    pub fn object_by_prefix(&self, id: &str) -> Option<&ObjectDef> {
        let prefix = id.get(..3)?;
        self.objects
            .iter()
            .find(|o| o.key_prefix == prefix && !o.computed)
    }

    pub fn table(&self, object: &str) -> &[Row] {
        self.tables.get(object).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn table_mut(&mut self, object: &str) -> &mut Vec<Row> {
        self.touch();
        self.tables.entry(object.to_string()).or_default()
    }

    /// Forgets everything derived from the tables.
    pub fn touch(&mut self) {
        self.caches = Caches::default();
    }

    /// Finds a row by Id (15 or 18 characters) in one table.
    pub fn find(&self, object: &str, id: &str) -> Option<&Row> {
        let id18 = sfid::to_18(id).ok()?;
        let mut ids = self.caches.ids.borrow_mut();
        let index = ids.get_or_insert_with(|| {
            let mut index = HashMap::new();
            for (name, rows) in &self.tables {
                for (i, row) in rows.iter().enumerate() {
                    if let Some(id) = row.get("Id").and_then(Value::as_str) {
                        index.insert(id.to_string(), (name.clone(), i));
                    }
                }
            }
            index
        });
        let (table, i) = index.get(&id18)?;
        if table != object {
            return None;
        }
        self.tables.get(table)?.get(*i)
    }

    /// The effective access of a user, computed once per state of the tables.
    pub fn user_access(&self, user_id: &str) -> std::sync::Arc<super::access::UserAccess> {
        if let Some(found) = self.caches.access.borrow().get(user_id) {
            return found.clone();
        }
        let computed = std::sync::Arc::new(super::access::UserAccess::compute(self, user_id));
        self.caches
            .access
            .borrow_mut()
            .insert(user_id.to_string(), computed.clone());
        computed
    }

    pub fn find_mut(&mut self, object: &str, id: &str) -> Option<&mut Row> {
        let id18 = sfid::to_18(id).ok()?;
        self.table_mut(object)
            .iter_mut()
            .find(|r| r.get("Id").and_then(Value::as_str) == Some(id18.as_str()))
    }

    /// Inserts a row, filling Id and audit fields; returns the new Id.
    pub fn insert(&mut self, object: &str, mut row: Row) -> String {
        let prefix = self
            .object(object)
            .map(|o| o.key_prefix.clone())
            .unwrap_or_else(|| "000".into());
        let id = match row.get("Id").and_then(Value::as_str) {
            Some(id) => sfid::to_18(id).unwrap_or_else(|_| id.to_string()),
            None => self.new_id(&prefix),
        };
        row.insert("Id".into(), json!(id));
        let now = now_stamp();
        let has = |name: &str| self.object(object).is_some_and(|o| o.field(name).is_some());
        for stamp_field in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            if has(stamp_field) && !row.contains_key(stamp_field) {
                row.insert(stamp_field.into(), json!(now));
            }
        }
        for user_field in ["CreatedById", "LastModifiedById"] {
            if has(user_field) && !row.contains_key(user_field) {
                row.insert(user_field.into(), json!(self.admin_user_id));
            }
        }
        self.table_mut(object).push(row);
        id
    }

    pub fn user_by_name(&self, username: &str) -> Option<&Row> {
        self.table("User").iter().find(|u| {
            u.get("Username")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(username))
        })
    }

    fn id_where(&self, object: &str, field: &str, value: &str) -> Option<String> {
        self.table(object)
            .iter()
            .find(|r| r.get(field).and_then(Value::as_str) == Some(value))
            .and_then(|r| r.get("Id").and_then(Value::as_str))
            .map(str::to_string)
    }

    pub fn permission_set_id(&self, name: &str) -> Option<String> {
        self.id_where("PermissionSet", "Name", name)
    }

    pub fn profile_permission_set_id(&self, profile_id: &str) -> Option<String> {
        self.table("PermissionSet")
            .iter()
            .find(|r| {
                r.get("ProfileId").and_then(Value::as_str) == Some(profile_id)
                    && r.get("IsOwnedByProfile") == Some(&json!(true))
            })
            .and_then(|r| r.get("Id").and_then(Value::as_str))
            .map(str::to_string)
    }

    // ---- loading -------------------------------------------------------------------------

    #[allow(clippy::too_many_lines)] // every table a scenario fills, in the order their references need
    fn load(&mut self, scenario: &Scenario) {
        let org_row = json!({
            "Id": self.info.id, "Name": self.info.name, "OrganizationType": self.info.edition,
            "IsSandbox": self.info.is_sandbox, "InstanceName": self.info.instance,
            "TrialExpirationDate": scenario.org.trial_expiration.as_deref().map(stamp),
            "NamespacePrefix": null, "IsReadOnly": false, "Division": null, "Country": "US",
            "DefaultLocaleSidKey": "en_US", "LanguageLocaleKey": "en_US",
            "TimeZoneSidKey": "America/Los_Angeles", "DefaultAccountAccess": "Edit",
            "DefaultCaseAccess": scenario.org.default_case_access,
            "DefaultContactAccess": scenario.org.default_contact_access,
            "DefaultLeadAccess": scenario.org.default_lead_access,
        });
        self.insert("Organization", into_row(org_row));

        for (object, fields) in &scenario.fields {
            for spec in fields {
                let def = self.field_from_spec(spec, &scenario.global_value_sets);
                if let Some(o) = self.object_mut(object) {
                    o.fields.push(def);
                }
            }
        }
        self.generate_fields(scenario.generate.case_fields);

        let mut licenses = HashMap::new();
        for name in [
            "Salesforce",
            "Salesforce Platform",
            "Salesforce Integration",
        ] {
            let key = match name {
                "Salesforce" => "SFDC",
                "Salesforce Platform" => "AUL",
                _ => "PID_Salesforce_Integration",
            };
            let id = self.insert(
                "UserLicense",
                into_row(json!({"Name": name, "MasterLabel": name, "LicenseDefinitionKey": key, "Status": "Active"})),
            );
            licenses.insert(name.to_string(), id);
        }
        for psl in &scenario.permission_set_licenses {
            self.insert(
                "PermissionSetLicense",
                into_row(
                    json!({"DeveloperName": psl.developer_name, "MasterLabel": psl.label,
                    "TotalLicenses": psl.total, "UsedLicenses": 0, "Status": "Active"}),
                ),
            );
        }

        for profile in &scenario.profiles {
            let license_id = licenses
                .get(&profile.user_license)
                .cloned()
                .unwrap_or_else(|| licenses["Salesforce"].clone());
            let mut row = into_row(json!({"Name": profile.name, "UserLicenseId": license_id,
                "UserType": "Standard", "Description": null}));
            permission_flags(&mut row, &profile.permissions);
            let profile_id = self.insert("Profile", row);
            // Every profile owns a permission set that carries its permissions (IsOwnedByProfile).
            let id15 = &profile_id[..15];
            let mut ps = into_row(json!({"Name": format!("X{id15}"), "Label": profile_id,
                "IsOwnedByProfile": true, "ProfileId": profile_id, "Type": "Profile",
                "HasActivationRequired": false, "IsCustom": false, "LicenseId": null,
                "PermissionSetGroupId": null, "NamespacePrefix": null, "Description": null}));
            permission_flags(&mut ps, &profile.permissions);
            let ps_id = self.insert("PermissionSet", ps);
            self.grant(
                &ps_id,
                &profile.object_permissions,
                &profile.field_permissions,
            );
        }

        for set in &scenario.permission_sets {
            let license_id = set
                .license
                .as_ref()
                .and_then(|l| self.id_where("PermissionSetLicense", "DeveloperName", l));
            let mut ps = into_row(json!({"Name": set.name,
                "Label": set.label.clone().unwrap_or_else(|| set.name.replace('_', " ")),
                "Description": set.description, "IsOwnedByProfile": false, "ProfileId": null,
                "Type": if set.session_activation_required { "Session" } else { "Regular" },
                "HasActivationRequired": set.session_activation_required, "IsCustom": true,
                "LicenseId": license_id, "PermissionSetGroupId": null,
                "NamespacePrefix": set.namespace}));
            permission_flags(&mut ps, &set.permissions);
            let ps_id = self.insert("PermissionSet", ps);
            self.grant(&ps_id, &set.object_permissions, &set.field_permissions);
        }
        self.generate_permission_sets(scenario);

        for group in &scenario.permission_set_groups {
            let group_id = self.insert(
                "PermissionSetGroup",
                into_row(json!({"DeveloperName": group.name,
                    "MasterLabel": group.label.clone().unwrap_or_else(|| group.name.replace('_', " ")),
                    "Description": null, "Status": "Updated", "NamespacePrefix": null})),
            );
            let aggregate = into_row(json!({"Name": group.name, "Label": group.name,
                "IsOwnedByProfile": false, "ProfileId": null, "Type": "Group",
                "HasActivationRequired": false, "IsCustom": false, "LicenseId": null,
                "PermissionSetGroupId": group_id, "NamespacePrefix": null, "Description": null}));
            self.insert("PermissionSet", aggregate);
            for member in &group.permission_sets {
                if let Some(ps_id) = self.permission_set_id(member) {
                    self.insert(
                        "PermissionSetGroupComponent",
                        into_row(
                            json!({"PermissionSetGroupId": group_id, "PermissionSetId": ps_id}),
                        ),
                    );
                }
            }
            if let Some(muting) = &group.muting {
                // A muting permission set is a component of its group; what it enables is muted.
                let name = muting
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{}_Muting", group.name));
                let mut row = into_row(json!({"DeveloperName": name,
                    "MasterLabel": muting.label.clone().unwrap_or_else(|| name.replace('_', " ")),
                    "Description": null, "NamespacePrefix": null}));
                permission_flags(&mut row, &muting.permissions);
                // Only what the muting set enables is muted: derived flags stay off.
                for (flag, on) in [
                    ("PermissionsViewAllData", muting.permissions.view_all_data),
                    ("PermissionsViewSetup", muting.permissions.view_setup),
                    (
                        "PermissionsAssignPermissionSets",
                        muting.permissions.assign_permission_sets,
                    ),
                    (
                        "PermissionsManageProfilesPermissionsets",
                        muting.permissions.manage_profiles_permission_sets,
                    ),
                ] {
                    row.insert(flag.into(), json!(on));
                }
                let muting_id = self.insert("MutingPermissionSet", row);
                // Muting rows name exactly what is muted: no Edit-implies-Read here.
                for o in &muting.object_permissions {
                    self.insert(
                        "ObjectPermissions",
                        into_row(json!({"ParentId": muting_id, "SobjectType": o.object,
                            "PermissionsCreate": o.create, "PermissionsRead": o.read,
                            "PermissionsEdit": o.edit, "PermissionsDelete": o.delete,
                            "PermissionsViewAllRecords": o.view_all,
                            "PermissionsModifyAllRecords": o.modify_all,
                            "PermissionsViewAllFields": false})),
                    );
                }
                for fp in &muting.field_permissions {
                    self.insert(
                        "FieldPermissions",
                        into_row(json!({"ParentId": muting_id,
                            "SobjectType": fp.field.split_once('.').map(|(o, _)| o).unwrap_or(""),
                            "Field": fp.field, "PermissionsRead": fp.read,
                            "PermissionsEdit": fp.edit})),
                    );
                }
                self.insert(
                    "PermissionSetGroupComponent",
                    into_row(
                        json!({"PermissionSetGroupId": group_id, "PermissionSetId": muting_id}),
                    ),
                );
            }
        }
        self.recompute_groups();
        self.load_roles(scenario);

        for user in &scenario.users {
            let profile_id = self
                .id_where("Profile", "Name", &user.profile)
                .unwrap_or_default();
            let (first, last) = match user.name.split_once(' ') {
                Some((f, l)) => (json!(f), json!(l)),
                None => (Value::Null, json!(user.name)),
            };
            let alias: String = user.username.chars().take(8).collect();
            let role_id = user
                .role
                .as_ref()
                .and_then(|r| self.id_where("UserRole", "DeveloperName", r));
            let user_id = self.insert(
                "User",
                into_row(json!({"Username": user.username, "Name": user.name,
                    "FirstName": first, "LastName": last,
                    "Email": user.email.clone().unwrap_or_else(|| user.username.clone()),
                    "Alias": alias, "IsActive": user.active, "UserType": user.user_type,
                    "ProfileId": profile_id, "UserRoleId": role_id,
                    "LastLoginDate": user.last_login.as_deref().map(stamp),
                    "TimeZoneSidKey": "America/Los_Angeles"})),
            );
            // Every user has a UserLogin row (freeze state, password lock).
            self.insert(
                "UserLogin",
                into_row(json!({"UserId": user_id, "IsFrozen": user.frozen,
                    "IsPasswordLocked": false, "LastModifiedDate": "2026-11-01T09:00:00.000+0000",
                    "LastModifiedById": ""})),
            );
            self.passwords
                .insert(user.username.to_lowercase(), user.password.clone());
            if user.username.eq_ignore_ascii_case(&scenario.admin) {
                self.admin_user_id = user_id.clone();
            }
            if let Some(ps) = self.profile_permission_set_id(&profile_id) {
                self.assign(&user_id, &ps, None, None);
            }
            for a in &user.permission_sets {
                if let Some(ps) = self.permission_set_id(&a.name) {
                    let expires = a.expires.as_deref().map(stamp);
                    self.assign(&user_id, &ps, None, expires);
                }
            }
            for g in &user.permission_set_groups {
                let group_id = self.id_where("PermissionSetGroup", "DeveloperName", g);
                let aggregate = group_id.as_ref().and_then(|gid| {
                    self.table("PermissionSet")
                        .iter()
                        .find(|r| {
                            r.get("PermissionSetGroupId").and_then(Value::as_str) == Some(gid)
                        })
                        .and_then(|r| r.get("Id").and_then(Value::as_str))
                        .map(str::to_string)
                });
                if let (Some(gid), Some(ps)) = (group_id, aggregate) {
                    self.assign(&user_id, &ps, Some(gid), None);
                }
            }
            for psl in &user.permission_set_licenses {
                if let Some(psl_id) = self.id_where("PermissionSetLicense", "DeveloperName", psl) {
                    self.insert(
                        "PermissionSetLicenseAssign",
                        into_row(json!({"AssigneeId": user_id, "PermissionSetLicenseId": psl_id})),
                    );
                    if let Some(row) = self.find_mut("PermissionSetLicense", &psl_id) {
                        let used = row.get("UsedLicenses").and_then(Value::as_u64).unwrap_or(0);
                        row.insert("UsedLicenses".into(), json!(used + 1));
                    }
                }
            }
        }
        self.generate_users(scenario);
        // Stamp audit fields of setup rows created before the admin existed.
        let admin = self.admin_user_id.clone();
        for rows in self.tables.values_mut() {
            for row in rows.iter_mut() {
                for key in ["CreatedById", "LastModifiedById"] {
                    if row.get(key).and_then(Value::as_str) == Some("") {
                        row.insert(key.into(), json!(admin));
                    }
                }
            }
        }

        for rt in &scenario.record_types {
            self.insert(
                "RecordType",
                into_row(json!({"Name": rt.name, "DeveloperName": rt.developer_name,
                    "SobjectType": rt.object, "IsActive": rt.active, "Description": null,
                    "NamespacePrefix": null, "__profiles": rt.profiles})),
            );
        }

        self.load_records(scenario);
        self.load_shares(scenario);
        self.load_automation(scenario);
        self.load_apps(scenario);
        for package in &scenario.packages {
            let package_id = self.insert(
                "SubscriberPackage",
                into_row(
                    json!({"Name": package.name, "NamespacePrefix": package.namespace,
                    "Description": null}),
                ),
            );
            let version_id = self.new_id("04t");
            self.insert(
                "InstalledSubscriberPackage",
                into_row(json!({"SubscriberPackageId": package_id,
                    "SubscriberPackageVersionId": version_id, "__version": package.version})),
            );
        }
    }

    fn field_from_spec(&mut self, spec: &FieldSpec, sets: &[GlobalValueSetSpec]) -> FieldDef {
        let kind = match spec.r#type.as_str() {
            "AutoNumber" => FieldKind::Text,
            "Summary" => FieldKind::Number,
            other => FieldKind::from_metadata_type(other).unwrap_or(FieldKind::Text),
        };
        let mut def = FieldDef::new(&spec.api_name, kind);
        match spec.r#type.as_str() {
            "AutoNumber" => {
                def.length = 30;
                def.auto_number = Some(
                    spec.display_format
                        .clone()
                        .unwrap_or_else(|| "A-{0000}".into()),
                );
            }
            "Summary" => {
                def.summary = Some((
                    spec.summary_operation
                        .clone()
                        .unwrap_or_else(|| "COUNT".into())
                        .to_uppercase(),
                    spec.summarized_object
                        .clone()
                        .unwrap_or_else(|| "CaseComment".into()),
                ));
            }
            _ => {}
        }
        def.label = spec.label.clone();
        if let Some(length) = spec.length {
            def.length = length;
        }
        def.visible_lines = spec.visible_lines.or(match def.kind {
            FieldKind::LongTextArea | FieldKind::RichTextArea => Some(3),
            _ => None,
        });
        let set = spec
            .value_set
            .as_ref()
            .and_then(|name| sets.iter().find(|g| &g.name == name));
        let (values, inactive) = match set {
            Some(set) => (&set.values, &set.inactive_values),
            None => (&spec.values, &spec.inactive_values),
        };
        def.picklist_values = values
            .iter()
            .map(|v| (v, true))
            .chain(inactive.iter().map(|v| (v, false)))
            .map(|(v, active)| PicklistValue {
                value: v.clone(),
                label: v.clone(),
                active,
                default: false,
            })
            .collect();
        // Picklists on a global value set are always restricted.
        def.restricted_picklist = spec.restricted || set.is_some();
        def.value_set = set.map(|g| g.name.clone());
        if def.kind.is_number() {
            def.precision = spec.precision.unwrap_or(def.precision);
            def.scale = spec.scale.unwrap_or(def.scale);
        }
        def.nillable = !spec.required;
        def.external_id = spec.external_id;
        def.unique = spec.unique;
        def.description = spec.description.clone();
        def.formula = spec.formula.clone();
        def.custom_field_id = Some(self.new_id("00N"));
        def
    }

    /// Adds object and field permission rows to a permission set. Field permissions for
    /// fields that do not exist are skipped, as Salesforce deletes them with the field.
    fn grant(
        &mut self,
        ps_id: &str,
        objects: &[ObjectPermissionSpec],
        fields: &[super::scenario::FieldPermissionSpec],
    ) {
        for o in objects {
            self.insert(
                "ObjectPermissions",
                into_row(json!({"ParentId": ps_id, "SobjectType": o.object,
                    "PermissionsCreate": o.create, "PermissionsRead": o.read || o.edit,
                    "PermissionsEdit": o.edit, "PermissionsDelete": o.delete,
                    "PermissionsViewAllRecords": o.view_all || o.modify_all,
                    "PermissionsModifyAllRecords": o.modify_all,
                    "PermissionsViewAllFields": false})),
            );
        }
        for fp in fields {
            let Some((object, field)) = fp.field.split_once('.') else {
                continue;
            };
            let Some(def) = self.object(object).and_then(|o| o.field(field)) else {
                continue;
            };
            let canonical = format!("{object}.{}", def.name);
            self.insert(
                "FieldPermissions",
                into_row(
                    json!({"ParentId": ps_id, "SobjectType": object, "Field": canonical,
                    "PermissionsRead": fp.read || fp.edit, "PermissionsEdit": fp.edit}),
                ),
            );
        }
    }

    pub fn assign(
        &mut self,
        user_id: &str,
        ps_id: &str,
        group_id: Option<String>,
        expires: Option<String>,
    ) -> String {
        self.insert(
            "PermissionSetAssignment",
            into_row(json!({"AssigneeId": user_id, "PermissionSetId": ps_id,
                "PermissionSetGroupId": group_id, "IsActive": true, "ExpirationDate": expires})),
        )
    }

    /// Rebuilds the aggregate permission set of every permission set group from its members,
    /// as Salesforce recalculates a group after a member changes: the union of what the
    /// member permission sets grant, minus what the group's muting permission set mutes.
    pub fn recompute_groups(&mut self) {
        let groups: Vec<(String, String)> = self
            .table("PermissionSet")
            .iter()
            .filter(|r| r.get("Type").and_then(Value::as_str) == Some("Group"))
            .filter_map(|r| {
                Some((
                    r.get("Id")?.as_str()?.to_string(),
                    r.get("PermissionSetGroupId")?.as_str()?.to_string(),
                ))
            })
            .collect();
        for (aggregate_id, group_id) in groups {
            let members: Vec<String> = self
                .table("PermissionSetGroupComponent")
                .iter()
                .filter(|c| {
                    c.get("PermissionSetGroupId").and_then(Value::as_str) == Some(&group_id)
                })
                .filter_map(|c| {
                    c.get("PermissionSetId")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect();
            let (muting, members): (Vec<String>, Vec<String>) = members
                .into_iter()
                .partition(|m| self.find("MutingPermissionSet", m).is_some());
            let is_muting = |row: &Row| {
                row.get("ParentId")
                    .and_then(Value::as_str)
                    .is_some_and(|p| muting.iter().any(|m| m == p))
            };
            let muted_flags: Vec<String> = muting
                .iter()
                .filter_map(|m| self.find("MutingPermissionSet", m))
                .flat_map(|r| {
                    r.iter()
                        .filter(|(k, v)| k.starts_with("Permissions") && *v == &json!(true))
                        .map(|(k, _)| k.clone())
                        .collect::<Vec<_>>()
                })
                .collect();
            let mut flags: Vec<String> = members
                .iter()
                .filter_map(|m| self.find("PermissionSet", m))
                .flat_map(|r| {
                    r.iter()
                        .filter(|(k, v)| k.starts_with("Permissions") && *v == &json!(true))
                        .map(|(k, _)| k.clone())
                        .collect::<Vec<_>>()
                })
                .filter(|k| !muted_flags.contains(k))
                .collect();
            flags.sort();
            flags.dedup();
            if let Some(aggregate) = self.find_mut("PermissionSet", &aggregate_id) {
                for flag in super::schema::PERMISSION_FLAGS {
                    aggregate.insert((*flag).into(), json!(flags.iter().any(|f| f == flag)));
                }
            }
            let muted_objects: Vec<Row> = self
                .table("ObjectPermissions")
                .iter()
                .filter(|r| is_muting(r))
                .cloned()
                .collect();
            let muted_fields: Vec<Row> = self
                .table("FieldPermissions")
                .iter()
                .filter(|r| is_muting(r))
                .cloned()
                .collect();
            for table in ["ObjectPermissions", "FieldPermissions"] {
                self.table_mut(table).retain(|r| {
                    r.get("ParentId").and_then(Value::as_str) != Some(aggregate_id.as_str())
                });
            }
            let mut object_rows: Vec<Row> = Vec::new();
            for row in self.table("ObjectPermissions") {
                if !members
                    .iter()
                    .any(|m| Some(m.as_str()) == row.get("ParentId").and_then(Value::as_str))
                {
                    continue;
                }
                let object = row.get("SobjectType").cloned().unwrap_or(Value::Null);
                let existing = object_rows
                    .iter_mut()
                    .find(|r| r.get("SobjectType") == Some(&object));
                match existing {
                    Some(merged) => {
                        for (k, v) in row {
                            if k.starts_with("Permissions") && v == &json!(true) {
                                merged.insert(k.clone(), json!(true));
                            }
                        }
                    }
                    None => {
                        let mut copy = row.clone();
                        copy.remove("Id");
                        copy.insert("ParentId".into(), json!(aggregate_id));
                        object_rows.push(copy);
                    }
                }
            }
            let mut field_rows: Vec<Row> = Vec::new();
            for row in self.table("FieldPermissions") {
                if !members
                    .iter()
                    .any(|m| Some(m.as_str()) == row.get("ParentId").and_then(Value::as_str))
                {
                    continue;
                }
                let field = row.get("Field").cloned().unwrap_or(Value::Null);
                match field_rows
                    .iter_mut()
                    .find(|r| r.get("Field") == Some(&field))
                {
                    Some(merged) => {
                        for k in ["PermissionsRead", "PermissionsEdit"] {
                            if row.get(k) == Some(&json!(true)) {
                                merged.insert(k.into(), json!(true));
                            }
                        }
                    }
                    None => {
                        let mut copy = row.clone();
                        copy.remove("Id");
                        copy.insert("ParentId".into(), json!(aggregate_id));
                        field_rows.push(copy);
                    }
                }
            }
            // Muting turns off what the muting set enables (its rows' true flags).
            let mute = |rows: &mut Vec<Row>, muted: &[Row], key: &str| {
                for row in rows.iter_mut() {
                    let Some(m) = muted.iter().find(|m| m.get(key) == row.get(key)) else {
                        continue;
                    };
                    for (k, v) in m {
                        if k.starts_with("Permissions") && v == &json!(true) {
                            row.insert(k.clone(), json!(false));
                        }
                    }
                }
            };
            mute(&mut object_rows, &muted_objects, "SobjectType");
            mute(&mut field_rows, &muted_fields, "Field");
            for row in object_rows {
                self.insert("ObjectPermissions", row);
            }
            for row in field_rows {
                self.insert("FieldPermissions", row);
            }
        }
    }

    fn load_records(&mut self, scenario: &Scenario) {
        let admin = self.admin_user_id.clone();
        for (object, records) in &scenario.records {
            for (n, record) in records.iter().enumerate() {
                let mut row = Row::new();
                let def = self.object(object).cloned();
                if let Some(def) = &def {
                    for field in &def.fields {
                        if !matches!(field.kind, FieldKind::Complex) {
                            row.insert(field.name.clone(), field.default_on_create());
                        }
                    }
                }
                for (k, v) in record {
                    if k == "locked" {
                        row.insert("__locked".into(), v.clone());
                    } else if k == "deleted" {
                        row.insert("IsDeleted".into(), v.clone());
                    } else if k == "Owner" {
                        let owner = v
                            .as_str()
                            .and_then(|u| self.user_by_name(u))
                            .and_then(|u| u.get("Id").cloned());
                        row.insert("OwnerId".into(), owner.unwrap_or(Value::Null));
                    } else {
                        // Stored as the API would store it: typed, canonical.
                        let stored = match def.as_ref().and_then(|d| d.field(k)) {
                            Some(field) => super::value::canonical(field, v),
                            None => v.clone(),
                        };
                        row.insert(k.clone(), stored);
                    }
                }
                if object == "Case" && row.get("CaseNumber").is_none_or(Value::is_null) {
                    row.insert("CaseNumber".into(), json!(format!("{:08}", 1001 + n)));
                }
                if row.get("OwnerId").is_some_and(Value::is_null) {
                    row.insert("OwnerId".into(), json!(admin));
                }
                if matches!(object.as_str(), "Contact" | "Lead") {
                    let name = [row.get("FirstName"), row.get("LastName")]
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ");
                    row.insert("Name".into(), json!(name));
                }
                if object == "Case" {
                    let closed = row.get("Status").and_then(Value::as_str) == Some("Closed");
                    row.insert("IsClosed".into(), json!(closed));
                }
                for key in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
                    if let Some(text) = row.get(key).and_then(Value::as_str).map(stamp) {
                        row.insert(key.into(), json!(text));
                    } else {
                        row.remove(key);
                    }
                }
                let locked = row.get("__locked") == Some(&json!(true));
                let id = self.insert(object, row);
                if locked {
                    self.insert(
                        "ProcessInstance",
                        into_row(json!({"TargetObjectId": id, "Status": "Pending", "CreatedDate": now_stamp()})),
                    );
                }
            }
        }
        let extra_cases = scenario.generate.cases;
        for n in 0..extra_cases {
            let mut row = Row::new();
            row.insert("Subject".into(), json!(format!("Generated case {n}")));
            row.insert("Status".into(), json!("New"));
            row.insert("CaseNumber".into(), json!(format!("{:08}", 50_000 + n)));
            row.insert("OwnerId".into(), json!(admin));
            row.insert("IsClosed".into(), json!(false));
            row.insert("IsDeleted".into(), json!(false));
            self.insert("Case", row);
        }
    }

    fn load_automation(&mut self, scenario: &Scenario) {
        for rule in &scenario.validation_rules {
            let meta = json!({"active": rule.active, "description": rule.description,
                "errorConditionFormula": rule.formula, "errorDisplayField": rule.error_display_field,
                "errorMessage": rule.error_message, "shouldEvaluateOnClient": null});
            self.insert(
                "ValidationRule",
                into_row(json!({"ValidationName": rule.name, "Active": rule.active,
                    "Description": rule.description, "ErrorDisplayField": rule.error_display_field,
                    "ErrorMessage": rule.error_message, "NamespacePrefix": rule.namespace,
                    "EntityDefinitionId": rule.object,
                    "FullName": format!("{}.{}", rule.object, rule.name), "Metadata": meta})),
            );
        }
        for t in &scenario.apex_triggers {
            self.insert(
                "ApexTrigger",
                into_row(
                    json!({"Name": t.name, "NamespacePrefix": t.namespace, "Status": t.status,
                    "TableEnumOrId": t.object, "UsageBeforeInsert": t.before_insert,
                    "UsageAfterInsert": t.after_insert, "UsageBeforeUpdate": t.before_update,
                    "UsageAfterUpdate": t.after_update, "UsageIsBulk": false,
                    "ApiVersion": 62.0, "IsValid": true}),
                ),
            );
        }
        for flow in &scenario.flows {
            let version_id = self.new_id("301");
            let definition_id = self.new_id("300");
            let object_label = self
                .object(&flow.object)
                .map(|o| o.label.clone())
                .unwrap_or_else(|| flow.object.clone());
            self.insert(
                "FlowDefinitionView",
                into_row(json!({"Id": definition_id, "DurableId": definition_id, "ApiName": flow.api_name,
                    "Label": flow.label, "ProcessType": flow.process_type,
                    "TriggerType": flow.trigger_type, "RecordTriggerType": flow.record_trigger_type,
                    "TriggerObjectOrEventId": flow.object, "TriggerObjectOrEventLabel": object_label,
                    "IsActive": flow.active,
                    "ActiveVersionId": if flow.active { json!(version_id) } else { Value::Null },
                    "LatestVersionId": version_id, "NamespacePrefix": flow.namespace,
                    "TriggerOrder": null, "LastModifiedBy": "Ada Admin",
                    "LastModifiedDate": "2025-06-02T08:00:00.000+0000"})),
            );
            let meta = json!({"label": flow.label, "processType": flow.process_type,
                "status": if flow.active { "Active" } else { "Draft" },
                "start": {"object": flow.object, "triggerType": flow.trigger_type,
                          "recordTriggerType": flow.record_trigger_type, "filters": []}});
            self.insert(
                "Flow",
                into_row(json!({"Id": version_id, "MasterLabel": flow.label,
                    "Status": if flow.active { "Active" } else { "Draft" },
                    "ProcessType": flow.process_type, "VersionNumber": 1,
                    "DefinitionId": definition_id, "FullName": flow.api_name, "Metadata": meta})),
            );
        }
        for rule in &scenario.workflow_rules {
            let actions: Vec<Value> = rule
                .actions
                .iter()
                .map(|a| json!({"name": a.name, "type": a.r#type}))
                .collect();
            let meta = json!({"active": rule.active, "triggerType": rule.trigger_type,
                "actions": actions, "description": null});
            self.insert(
                "WorkflowRule",
                into_row(json!({"Name": rule.name, "TableEnumOrId": rule.object,
                    "NamespacePrefix": null, "ManageableState": "unmanaged",
                    "FullName": format!("{}.{}", rule.object, rule.name), "Metadata": meta,
                    "__active": rule.active})),
            );
        }
        for rule in &scenario.duplicate_rules {
            self.insert(
                "DuplicateRule",
                into_row(json!({"DeveloperName": rule.developer_name,
                    "MasterLabel": rule.label.clone().unwrap_or_else(|| rule.developer_name.replace('_', " ")),
                    "SobjectType": rule.sobject_type, "SobjectSubtype": "None",
                    "IsActive": rule.active, "NamespacePrefix": null, "Language": "en_US"})),
            );
        }
        for set in &scenario.global_value_sets {
            let label = set
                .label
                .clone()
                .unwrap_or_else(|| set.name.replace('_', " "));
            let values: Vec<Value> = set
                .values
                .iter()
                .map(|v| (v, true))
                .chain(set.inactive_values.iter().map(|v| (v, false)))
                .map(|(v, active)| {
                    json!({"fullName": v, "label": v, "default": false, "color": null,
                        "description": null,
                        "isActive": if active { Value::Null } else { json!(false) }})
                })
                .collect();
            self.insert(
                "GlobalValueSet",
                into_row(json!({"DeveloperName": set.name, "MasterLabel": label,
                    "Description": null, "NamespacePrefix": null, "FullName": set.name,
                    "Metadata": {"customValue": values, "description": null,
                        "masterLabel": label, "sorted": set.sorted}})),
            );
        }
        for rule in &scenario.assignment_rules {
            self.insert(
                "AssignmentRule",
                into_row(json!({"Name": rule.name, "Active": rule.active, "SobjectType": "Case"})),
            );
        }
        self.generate_automation(scenario.generate.automations);
    }

    fn load_roles(&mut self, scenario: &Scenario) {
        for role in &scenario.roles {
            self.insert(
                "UserRole",
                into_row(json!({"Name": role.label.clone().unwrap_or_else(|| role.name.replace('_', " ")),
                    "DeveloperName": role.name, "ParentRoleId": null,
                    "RollupDescription": role.label})),
            );
        }
        for role in &scenario.roles {
            let parent = role
                .parent
                .as_ref()
                .and_then(|p| self.id_where("UserRole", "DeveloperName", p));
            if let Some(id) = self.id_where("UserRole", "DeveloperName", &role.name) {
                if let Some(row) = self.find_mut("UserRole", &id) {
                    row.insert("ParentRoleId".into(), json!(parent));
                }
            }
        }
    }

    fn load_shares(&mut self, scenario: &Scenario) {
        for share in &scenario.shares {
            let user = self
                .user_by_name(&share.user)
                .and_then(|u| u.get("Id").cloned())
                .unwrap_or(Value::Null);
            let record = sfid::to_18(&share.record).unwrap_or_else(|_| share.record.clone());
            let object = share.object.clone();
            self.insert(
                &format!("{object}Share"),
                into_row(json!({format!("{object}Id"): record, "UserOrGroupId": user,
                    format!("{object}AccessLevel"): share.access, "RowCause": "Manual",
                    "IsDeleted": false})),
            );
        }
    }

    fn load_apps(&mut self, scenario: &Scenario) {
        for spec in &scenario.connected_apps {
            let id = self.new_id("0H4");
            self.insert(
                "ConnectedApplication",
                into_row(
                    json!({"Id": id, "Name": spec.label, "CreatedDate": stamp(&spec.created),
                    "LastModifiedDate": stamp(&spec.last_modified),
                    "OptionsAllowAdminApprovedUsersOnly": spec.admin_approved_only,
                    "OptionsRefreshTokenValidityMetric": false,
                    "OptionsHasSessionLevelPolicy": false, "RefreshTokenValidityPeriod": null,
                    "StartUrl": null, "NamespacePrefix": spec.namespace}),
                ),
            );
            for parent in self.preauthorized_parents(&spec.permission_sets, &spec.profiles) {
                self.insert(
                    "SetupEntityAccess",
                    into_row(json!({"ParentId": parent, "SetupEntityId": id,
                        "SetupEntityType": "ConnectedApplication"})),
                );
            }
            self.connected_apps.push(ConnectedApp {
                id,
                spec: spec.clone(),
            });
        }
        for spec in &scenario.external_client_apps {
            let id = self.new_id("0xI");
            for parent in self.preauthorized_parents(&spec.permission_sets, &[]) {
                self.insert(
                    "SetupEntityAccess",
                    into_row(json!({"ParentId": parent, "SetupEntityId": id,
                        "SetupEntityType": "ExternalClientApplication"})),
                );
            }
            self.external_client_apps.push(ExternalClientApp {
                id,
                spec: spec.clone(),
            });
        }
        for token in &scenario.oauth_tokens {
            let user_id = self
                .user_by_name(&token.user)
                .and_then(|u| u.get("Id").cloned())
                .unwrap_or(Value::Null);
            self.insert(
                "OauthToken",
                into_row(
                    json!({"AppName": token.app, "UserId": user_id, "AppMenuItemId": null,
                    "CreatedDate": stamp(&token.created),
                    "LastUsedDate": token.last_used.as_deref().map(stamp),
                    "UseCount": token.use_count}),
                ),
            );
        }
    }

    fn preauthorized_parents(
        &self,
        permission_sets: &[String],
        profiles: &[String],
    ) -> Vec<String> {
        let mut parents: Vec<String> = permission_sets
            .iter()
            .filter_map(|n| self.permission_set_id(n))
            .collect();
        for profile in profiles {
            if let Some(pid) = self.id_where("Profile", "Name", profile) {
                parents.extend(self.profile_permission_set_id(&pid));
            }
        }
        parents
    }

    // ---- volume generation (large-org) ---------------------------------------------------

    fn generate_fields(&mut self, count: u32) {
        for n in 0..count {
            let kind = match n % 4 {
                0 => "Text",
                1 => "Number",
                2 => "Checkbox",
                _ => "LongTextArea",
            };
            let spec = FieldSpec {
                api_name: format!("Legacy_Field_{n:04}__c"),
                label: format!("Legacy Field {n:04}"),
                r#type: kind.into(),
                length: None,
                visible_lines: None,
                precision: None,
                scale: None,
                values: Vec::new(),
                restricted: false,
                required: false,
                external_id: false,
                unique: false,
                description: None,
                formula: None,
                inactive_values: Vec::new(),
                value_set: None,
                display_format: None,
                summary_operation: None,
                summarized_object: None,
            };
            let def = self.field_from_spec(&spec, &[]);
            if let Some(case) = self.object_mut("Case") {
                case.fields.push(def);
            }
        }
    }

    fn generate_permission_sets(&mut self, scenario: &Scenario) {
        let g = &scenario.generate;
        let generated: Vec<String> = self
            .object("Case")
            .map(|o| {
                o.fields
                    .iter()
                    .filter(|f| f.name.starts_with("Legacy_Field_"))
                    .map(|f| format!("Case.{}", f.name))
                    .collect()
            })
            .unwrap_or_default();
        for n in 0..g.permission_sets {
            let ps_id = self.insert(
                "PermissionSet",
                into_row(json!({"Name": format!("Team_Access_{n:04}"),
                    "Label": format!("Team Access {n:04}"), "Description": null,
                    "IsOwnedByProfile": false, "ProfileId": null, "Type": "Regular",
                    "HasActivationRequired": false, "IsCustom": true, "LicenseId": null,
                    "PermissionSetGroupId": null, "NamespacePrefix": null,
                    "PermissionsApiEnabled": n % 3 == 0})),
            );
            self.insert(
                "ObjectPermissions",
                into_row(json!({"ParentId": ps_id, "SobjectType": "Case", "PermissionsCreate": false,
                    "PermissionsRead": true, "PermissionsEdit": n % 2 == 0, "PermissionsDelete": false,
                    "PermissionsViewAllRecords": false, "PermissionsModifyAllRecords": false,
                    "PermissionsViewAllFields": false})),
            );
            if generated.is_empty() {
                continue;
            }
            for k in 0..g.field_permissions_per_set {
                let field = &generated[((n * 7 + k) as usize) % generated.len()];
                self.insert(
                    "FieldPermissions",
                    into_row(
                        json!({"ParentId": ps_id, "SobjectType": "Case", "Field": field,
                        "PermissionsRead": true, "PermissionsEdit": k % 2 == 0}),
                    ),
                );
            }
        }
    }

    fn generate_users(&mut self, scenario: &Scenario) {
        let g = &scenario.generate;
        let Some(profile_id) = self.id_where("Profile", "Name", "Standard User") else {
            return;
        };
        let profile_ps = self.profile_permission_set_id(&profile_id);
        for n in 0..g.users {
            let username = format!("agent{n:04}@acme.example");
            let user_id = self.insert(
                "User",
                into_row(
                    json!({"Username": username, "Name": format!("Agent {n:04}"),
                    "FirstName": "Agent", "LastName": format!("{n:04}"), "Email": username,
                    "Alias": format!("ag{n:04}"), "IsActive": n % 10 != 0, "UserType": "Standard",
                    "ProfileId": profile_id, "LastLoginDate": null,
                    "TimeZoneSidKey": "America/Los_Angeles"}),
                ),
            );
            if let Some(ps) = &profile_ps {
                self.assign(&user_id, ps, None, None);
            }
            for k in 0..3 {
                if g.permission_sets > 0 {
                    let name = format!("Team_Access_{:04}", (n * 3 + k) % g.permission_sets);
                    if let Some(ps) = self.permission_set_id(&name) {
                        self.assign(&user_id, &ps, None, None);
                    }
                }
            }
        }
    }

    fn generate_automation(&mut self, count: u32) {
        for n in 0..count {
            match n % 4 {
                0 => {
                    self.automation.validation_rules.push(ValidationRuleSpec {
                        name: format!("Legacy_Rule_{n:04}"),
                        object: "Case".into(),
                        active: n % 8 == 0,
                        error_message: format!("Legacy rule {n} failed"),
                        error_display_field: None,
                        description: None,
                        formula: Some(format!("ISBLANK(Legacy_Field_{:04}__c) && FALSE", n % 100)),
                        fires_when_changed: Vec::new(),
                        bypass_users: Vec::new(),
                        namespace: None,
                    });
                    let rule = self.automation.validation_rules.last().cloned();
                    if let Some(rule) = rule {
                        let meta = json!({"active": rule.active, "errorConditionFormula": rule.formula,
                            "errorMessage": rule.error_message, "errorDisplayField": null, "description": null});
                        self.insert(
                            "ValidationRule",
                            into_row(json!({"ValidationName": rule.name, "Active": rule.active,
                                "Description": null, "ErrorDisplayField": null,
                                "ErrorMessage": rule.error_message, "NamespacePrefix": null,
                                "EntityDefinitionId": "Case", "FullName": format!("Case.{}", rule.name),
                                "Metadata": meta})),
                        );
                    }
                }
                1 => {
                    self.insert(
                        "ApexTrigger",
                        into_row(json!({"Name": format!("LegacyCaseTrigger{n:04}"),
                            "NamespacePrefix": null,
                            "Status": if n % 3 == 0 { "Inactive" } else { "Active" },
                            "TableEnumOrId": "Case", "UsageBeforeInsert": true, "UsageAfterInsert": false,
                            "UsageBeforeUpdate": n % 2 == 1, "UsageAfterUpdate": false,
                            "UsageIsBulk": false, "ApiVersion": 58.0, "IsValid": true})),
                    );
                }
                2 => {
                    let id = self.new_id("300");
                    let version = self.new_id("301");
                    self.insert(
                        "FlowDefinitionView",
                        into_row(json!({"Id": id, "DurableId": id,
                            "ApiName": format!("Legacy_Case_Flow_{n:04}"),
                            "Label": format!("Legacy Case Flow {n:04}"),
                            "ProcessType": "AutoLaunchedFlow", "TriggerType": "RecordAfterSave",
                            "RecordTriggerType": "Update", "TriggerObjectOrEventId": "Case",
                            "TriggerObjectOrEventLabel": "Case", "IsActive": n % 5 != 0,
                            "ActiveVersionId": version, "LatestVersionId": version,
                            "NamespacePrefix": null, "TriggerOrder": null,
                            "LastModifiedBy": "Ada Admin",
                            "LastModifiedDate": "2023-02-01T08:00:00.000+0000"})),
                    );
                }
                _ => {
                    let meta = json!({"active": n % 2 == 0, "triggerType": "onAllChanges",
                        "actions": [{"name": format!("Legacy_Alert_{n:04}"), "type": "EmailAlert"}]});
                    self.insert(
                        "WorkflowRule",
                        into_row(json!({"Name": format!("Legacy Workflow {n:04}"),
                            "TableEnumOrId": "Case", "NamespacePrefix": null,
                            "ManageableState": "unmanaged",
                            "FullName": format!("Case.Legacy Workflow {n:04}"), "Metadata": meta,
                            "__active": n % 2 == 0})),
                    );
                }
            }
        }
    }
}

/// Sets the `Permissions*` flags of a Profile or PermissionSet row.
fn permission_flags(row: &mut Row, p: &SystemPermissions) {
    let flags = [
        ("PermissionsApiEnabled", p.api_enabled),
        ("PermissionsApiUserOnly", p.api_user_only),
        ("PermissionsModifyAllData", p.modify_all_data),
        (
            "PermissionsViewAllData",
            p.view_all_data || p.modify_all_data,
        ),
        ("PermissionsViewSetup", p.view_setup || p.modify_all_data),
        ("PermissionsCustomizeApplication", p.customize_application),
        ("PermissionsManageUsers", p.manage_users),
        ("PermissionsAuthorApex", p.author_apex),
        (
            "PermissionsAssignPermissionSets",
            p.assign_permission_sets || p.manage_users,
        ),
        (
            "PermissionsManageProfilesPermissionsets",
            p.manage_profiles_permission_sets || p.manage_users,
        ),
    ];
    for (name, value) in flags {
        row.insert(name.into(), json!(value));
    }
}

pub fn into_row(value: Value) -> Row {
    match value {
        Value::Object(map) => map,
        _ => Row::new(),
    }
}
