//! Who may do what: effective permissions computed the way Salesforce does, from the
//! permission sets (profile-owned, assigned, and group aggregates) a user holds.
//!
//! `UserAccess` is computed in one pass over the permission tables and cached by `Org` until
//! the tables change, so describing an object with thousands of fields stays cheap.

use super::org::{parse_stamp, Org, Row};
use super::schema::FieldDef;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

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

/// Everything one user's permission sets grant.
#[derive(Debug, Default)]
pub struct UserAccess {
    /// Permission sets that apply now: assigned, not expired, not needing session activation.
    pub sets: Vec<String>,
    /// System permissions granted (`PermissionsApiEnabled`, ...).
    permissions: HashSet<String>,
    /// Object permissions by lower-case object name.
    objects: HashMap<String, ObjectAccess>,
    /// Field permissions by lower-case `object.field`.
    fields: HashMap<String, FieldAccess>,
}

impl UserAccess {
    pub fn compute(org: &Org, user_id: &str) -> UserAccess {
        let now = chrono::Utc::now();
        let mut access = UserAccess::default();
        let sets_by_id: HashMap<&str, &Row> = org
            .table("PermissionSet")
            .iter()
            .filter_map(|r| Some((r.get("Id")?.as_str()?, r)))
            .collect();
        for assignment in org.table("PermissionSetAssignment") {
            if assignment.get("AssigneeId").and_then(Value::as_str) != Some(user_id) {
                continue;
            }
            let expired = assignment
                .get("ExpirationDate")
                .and_then(Value::as_str)
                .and_then(parse_stamp)
                .is_some_and(|expiry| expiry <= now);
            let Some(set) = assignment
                .get("PermissionSetId")
                .and_then(Value::as_str)
                .and_then(|id| sets_by_id.get(id))
            else {
                continue;
            };
            if expired || set.get("HasActivationRequired") == Some(&json!(true)) {
                continue;
            }
            for (key, value) in set.iter() {
                if key.starts_with("Permissions") && value == &json!(true) {
                    access.permissions.insert(key.clone());
                }
            }
            if let Some(id) = set.get("Id").and_then(Value::as_str) {
                access.sets.push(id.to_string());
            }
        }
        let held: HashSet<&str> = access.sets.iter().map(String::as_str).collect();
        let granted_to = |row: &Row| {
            row.get("ParentId")
                .and_then(Value::as_str)
                .is_some_and(|p| held.contains(p))
        };
        let flag = |row: &Row, name: &str| row.get(name) == Some(&json!(true));
        for row in org
            .table("ObjectPermissions")
            .iter()
            .filter(|r| granted_to(r))
        {
            let object = row
                .get("SobjectType")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase();
            let entry = access.objects.entry(object).or_default();
            entry.read |= flag(row, "PermissionsRead");
            entry.create |= flag(row, "PermissionsCreate");
            entry.edit |= flag(row, "PermissionsEdit");
            entry.delete |= flag(row, "PermissionsDelete");
            entry.view_all |= flag(row, "PermissionsViewAllRecords");
            entry.modify_all |= flag(row, "PermissionsModifyAllRecords");
        }
        for row in org
            .table("FieldPermissions")
            .iter()
            .filter(|r| granted_to(r))
        {
            let field = row
                .get("Field")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase();
            let entry = access.fields.entry(field).or_default();
            entry.read |= flag(row, "PermissionsRead");
            entry.edit |= flag(row, "PermissionsEdit");
        }
        access
    }

    /// Whether a system permission such as `PermissionsApiEnabled` is granted.
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    pub fn object(&self, object: &str) -> ObjectAccess {
        if self.has("PermissionsModifyAllData") {
            return ObjectAccess {
                read: true,
                create: true,
                edit: true,
                delete: true,
                view_all: true,
                modify_all: true,
            };
        }
        let mut access = self
            .objects
            .get(&object.to_lowercase())
            .copied()
            .unwrap_or_default();
        if self.has("PermissionsViewAllData") {
            access.read = true;
            access.view_all = true;
        }
        access
    }

    /// Field-level security for one field, combined with the object permission it needs.
    /// Custom fields need a FieldPermissions grant (Modify All Data does not bypass FLS);
    /// standard permissionable fields follow the object permission in this simulator.
    pub fn field(&self, object: &str, field: &FieldDef) -> FieldAccess {
        let object_access = self.object(object);
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
        let granted = self
            .fields
            .get(&format!("{object}.{}", field.name).to_lowercase())
            .copied()
            .unwrap_or_default();
        FieldAccess {
            read: granted.read && object_access.read,
            edit: granted.edit && object_access.edit && field.formula.is_none(),
        }
    }
}

impl Org {
    /// Ids of the permission sets that apply to a user now.
    pub fn effective_permission_sets(&self, user_id: &str) -> Vec<String> {
        self.user_access(user_id).sets.clone()
    }

    /// Whether any applicable permission set grants a system permission such as `PermissionsApiEnabled`.
    pub fn has_permission(&self, user_id: &str, permission: &str) -> bool {
        self.user_access(user_id).has(permission)
    }

    pub fn object_access(&self, user_id: &str, object: &str) -> ObjectAccess {
        self.user_access(user_id).object(object)
    }

    pub fn field_access(&self, user_id: &str, object: &str, field: &FieldDef) -> FieldAccess {
        self.user_access(user_id).field(object, field)
    }

    /// Record-level access: the owner and users with View/Modify All have it; others follow
    /// the org-wide default of Public Read/Write for Case, Contact and Lead. A locked record
    /// (approval process) is read-only except to Modify All.
    pub fn record_access(&self, user_id: &str, object: &str, record: &Row) -> &'static str {
        let access = self.object_access(user_id, object);
        if !access.read {
            return "None";
        }
        if access.modify_all {
            return "All";
        }
        let owner = record.get("OwnerId").and_then(Value::as_str) == Some(user_id);
        let locked = record.get("__locked") == Some(&json!(true));
        if !access.edit || locked {
            return "Read";
        }
        if owner {
            return "All";
        }
        "Edit"
    }

    pub fn is_admin(&self, user_id: &str) -> bool {
        self.has_permission(user_id, "PermissionsModifyAllData")
    }
}
