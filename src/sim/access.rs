//! Who may do what: effective permissions computed the way Salesforce does, from the
//! permission sets (profile-owned, assigned, and group aggregates) a user holds.

use super::org::{parse_stamp, Org};
use super::schema::FieldDef;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObjectAccess {
    pub read: bool,
    pub create: bool,
    pub edit: bool,
    pub delete: bool,
    pub view_all: bool,
    pub modify_all: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldAccess {
    pub read: bool,
    pub edit: bool,
}

impl Org {
    /// Ids of the permission sets that apply to a user now: active, not expired, and not
    /// needing session activation.
    pub fn effective_permission_sets(&self, user_id: &str) -> Vec<String> {
        let now = chrono::Utc::now();
        self.table("PermissionSetAssignment")
            .iter()
            .filter(|a| a.get("AssigneeId").and_then(Value::as_str) == Some(user_id))
            .filter(|a| {
                a.get("ExpirationDate")
                    .and_then(Value::as_str)
                    .and_then(parse_stamp)
                    .is_none_or(|expiry| expiry > now)
            })
            .filter_map(|a| a.get("PermissionSetId").and_then(Value::as_str))
            .filter(|ps| {
                self.find("PermissionSet", ps)
                    .is_some_and(|row| row.get("HasActivationRequired") != Some(&json!(true)))
            })
            .map(str::to_string)
            .collect()
    }

    /// Whether any applicable permission set grants a system permission such as `PermissionsApiEnabled`.
    pub fn has_permission(&self, user_id: &str, permission: &str) -> bool {
        self.effective_permission_sets(user_id).iter().any(|ps| {
            self.find("PermissionSet", ps)
                .is_some_and(|row| row.get(permission) == Some(&json!(true)))
        })
    }

    pub fn object_access(&self, user_id: &str, object: &str) -> ObjectAccess {
        let sets = self.effective_permission_sets(user_id);
        if self.has_permission(user_id, "PermissionsModifyAllData") {
            return ObjectAccess {
                read: true,
                create: true,
                edit: true,
                delete: true,
                view_all: true,
                modify_all: true,
            };
        }
        let mut access = ObjectAccess::default();
        for row in self.table("ObjectPermissions") {
            let parent = row.get("ParentId").and_then(Value::as_str).unwrap_or("");
            let sobject = row.get("SobjectType").and_then(Value::as_str).unwrap_or("");
            if !sets.iter().any(|s| s == parent) || !sobject.eq_ignore_ascii_case(object) {
                continue;
            }
            let flag = |name: &str| row.get(name) == Some(&json!(true));
            access.read |= flag("PermissionsRead");
            access.create |= flag("PermissionsCreate");
            access.edit |= flag("PermissionsEdit");
            access.delete |= flag("PermissionsDelete");
            access.view_all |= flag("PermissionsViewAllRecords");
            access.modify_all |= flag("PermissionsModifyAllRecords");
        }
        if self.has_permission(user_id, "PermissionsViewAllData") {
            access.read = true;
            access.view_all = true;
        }
        access
    }

    /// Field-level security for one field, combined with the object permission it needs.
    /// Custom fields need a FieldPermissions grant (Modify All Data does not bypass FLS);
    /// standard permissionable fields follow the object permission in this simulator.
    pub fn field_access(&self, user_id: &str, object: &str, field: &FieldDef) -> FieldAccess {
        let object_access = self.object_access(user_id, object);
        if field.system {
            return FieldAccess {
                read: object_access.read,
                edit: false,
            };
        }
        if !field.custom || !field.permissionable {
            return FieldAccess {
                read: object_access.read,
                edit: object_access.edit && field.formula.is_none(),
            };
        }
        let sets = self.effective_permission_sets(user_id);
        let qualified = format!("{object}.{}", field.name);
        let mut access = FieldAccess::default();
        for row in self.table("FieldPermissions") {
            let parent = row.get("ParentId").and_then(Value::as_str).unwrap_or("");
            let name = row.get("Field").and_then(Value::as_str).unwrap_or("");
            if sets.iter().any(|s| s == parent) && name.eq_ignore_ascii_case(&qualified) {
                access.read |= row.get("PermissionsRead") == Some(&json!(true));
                access.edit |= row.get("PermissionsEdit") == Some(&json!(true));
            }
        }
        FieldAccess {
            read: access.read && object_access.read,
            edit: access.edit && object_access.edit && field.formula.is_none(),
        }
    }

    /// Record-level access: the owner and users with View/Modify All have it; others follow
    /// the org-wide default of Public Read/Write for Case, Contact and Lead.
    pub fn record_access(
        &self,
        user_id: &str,
        object: &str,
        record: &serde_json::Map<String, Value>,
    ) -> &'static str {
        let access = self.object_access(user_id, object);
        if !access.read {
            return "None";
        }
        let owner = record.get("OwnerId").and_then(Value::as_str) == Some(user_id);
        let locked = record.get("__locked") == Some(&json!(true));
        if access.modify_all {
            return "All";
        }
        if !access.edit || (locked && !owner) {
            return "Read";
        }
        if owner {
            return "All";
        }
        if locked {
            return "Read";
        }
        "Edit"
    }

    pub fn is_admin(&self, user_id: &str) -> bool {
        self.has_permission(user_id, "PermissionsModifyAllData")
    }
}
