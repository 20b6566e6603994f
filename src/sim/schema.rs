//! What objects and fields the simulated org has, independent of who asks.
//!
//! Standard objects are defined here; custom fields come from the scenario and from
//! Tooling `CustomField` creates. Access (who may see what) lives in `access.rs`.

use serde_json::{json, Value};

/// Which query endpoint serves an object: Salesforce keeps some objects on one API only
/// (e.g. `FlowDefinitionView` is standard-only, `ValidationRule` Tooling-only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Standard,
    Tooling,
    Both,
}

impl Api {
    pub fn serves(self, tooling: bool) -> bool {
        matches!(
            (self, tooling),
            (Api::Both, _) | (Api::Standard, false) | (Api::Tooling, true)
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    Id,
    Reference,
    Text,
    TextArea,
    LongTextArea,
    RichTextArea,
    Picklist,
    MultiPicklist,
    Checkbox,
    DateTime,
    Date,
    Number,
    Currency,
    Percent,
    Email,
    Phone,
    Url,
    /// A whole-number standard field (`NumberOfEmployees`): describe type `int`, `digits`.
    Integer,
    /// A compound address (`MailingAddress`): read-only, its parts are separate fields.
    Address,
    /// Tooling `Metadata` and similar structured columns.
    Complex,
}

impl FieldKind {
    /// Maps a Metadata API field type name (as in a scenario file or a Tooling CustomField create).
    pub fn from_metadata_type(name: &str) -> Option<FieldKind> {
        Some(match name {
            "Text" => FieldKind::Text,
            "TextArea" => FieldKind::TextArea,
            "LongTextArea" => FieldKind::LongTextArea,
            "Html" => FieldKind::RichTextArea,
            "Picklist" => FieldKind::Picklist,
            "MultiselectPicklist" => FieldKind::MultiPicklist,
            "Checkbox" => FieldKind::Checkbox,
            "Date" => FieldKind::Date,
            "DateTime" => FieldKind::DateTime,
            "Number" => FieldKind::Number,
            "Currency" => FieldKind::Currency,
            "Percent" => FieldKind::Percent,
            "Email" => FieldKind::Email,
            "Phone" => FieldKind::Phone,
            "Url" => FieldKind::Url,
            _ => return None,
        })
    }

    pub fn metadata_type(&self) -> &'static str {
        match self {
            FieldKind::Text => "Text",
            FieldKind::TextArea => "TextArea",
            FieldKind::LongTextArea => "LongTextArea",
            FieldKind::RichTextArea => "Html",
            FieldKind::Picklist => "Picklist",
            FieldKind::MultiPicklist => "MultiselectPicklist",
            FieldKind::Checkbox => "Checkbox",
            FieldKind::Date => "Date",
            FieldKind::DateTime => "DateTime",
            FieldKind::Number => "Number",
            FieldKind::Currency => "Currency",
            FieldKind::Percent => "Percent",
            FieldKind::Email => "Email",
            FieldKind::Phone => "Phone",
            FieldKind::Url => "Url",
            FieldKind::Id => "Id",
            FieldKind::Reference => "Lookup",
            FieldKind::Integer => "Number",
            FieldKind::Address => "Address",
            FieldKind::Complex => "Complex",
        }
    }

    /// The `FieldDefinition.DataType` text Salesforce shows for the kind. Numbers show the
    /// digits left of the decimal point and the decimal places, as Setup does: "Number(18, 0)".
    pub fn data_type_label(&self, length: u32, precision: u32, scale: u32) -> String {
        let digits = precision.saturating_sub(scale);
        match self {
            FieldKind::Text => format!("Text({length})"),
            FieldKind::TextArea => format!("Text Area({length})"),
            FieldKind::LongTextArea => format!("Long Text Area({length})"),
            FieldKind::RichTextArea => format!("Rich Text Area({length})"),
            FieldKind::Picklist => "Picklist".into(),
            FieldKind::MultiPicklist => "Picklist (Multi-Select)".into(),
            FieldKind::Checkbox => "Checkbox".into(),
            FieldKind::Date => "Date".into(),
            FieldKind::DateTime => "Date/Time".into(),
            FieldKind::Number => format!("Number({digits}, {scale})"),
            FieldKind::Currency => format!("Currency({digits}, {scale})"),
            FieldKind::Percent => format!("Percent({digits}, {scale})"),
            FieldKind::Email => "Email".into(),
            FieldKind::Phone => "Phone".into(),
            FieldKind::Url => "URL(255)".into(),
            FieldKind::Id => "Id".into(),
            FieldKind::Reference => "Lookup()".into(),
            FieldKind::Integer => format!("Number({length}, 0)"),
            FieldKind::Address => "Address".into(),
            FieldKind::Complex => "Complex".into(),
        }
    }

    /// Number, Currency and Percent: JSON numbers with a precision and scale.
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            FieldKind::Number | FieldKind::Currency | FieldKind::Percent
        )
    }

    pub fn is_text(&self) -> bool {
        matches!(
            self,
            FieldKind::Text
                | FieldKind::TextArea
                | FieldKind::LongTextArea
                | FieldKind::RichTextArea
                | FieldKind::Email
                | FieldKind::Phone
                | FieldKind::Url
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PicklistValue {
    pub value: String,
    pub label: String,
    pub active: bool,
    pub default: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub length: u32,
    pub custom: bool,
    pub nillable: bool,
    /// System fields (Id, CreatedDate, ...) are never writable, whatever the permissions.
    pub system: bool,
    /// Whether field-level security applies (false for required and system fields).
    pub permissionable: bool,
    pub reference_to: Vec<String>,
    pub relationship_name: Option<String>,
    pub picklist_values: Vec<PicklistValue>,
    pub restricted_picklist: bool,
    /// Number, Currency and Percent: total digits and decimal places (describe's `precision`
    /// and `scale`); 0 for other kinds.
    pub precision: u32,
    pub scale: u32,
    pub external_id: bool,
    pub unique: bool,
    pub visible_lines: Option<u32>,
    pub description: Option<String>,
    pub inline_help_text: Option<String>,
    pub formula: Option<String>,
    /// Auto Number: the display format (`A-{0000}`); the field is read-only.
    pub auto_number: Option<String>,
    /// Roll-Up Summary: (operation, summarized object), e.g. ("COUNT", "CaseComment").
    pub summary: Option<(String, String)>,
    /// The global value set a picklist takes its values from.
    pub value_set: Option<String>,
    /// Never written through the API (describe `createable`/`updateable` false), whatever the
    /// permissions: system and derived standard fields (`ClosedDate`, `Contact.Name`).
    pub read_only: bool,
    /// Salesforce fills the field on create when the request leaves it out (describe
    /// `defaultedOnCreate`): owner, audit fields, picklists with a default value.
    pub defaulted_on_create: bool,
    /// The record's name (describe `nameField`): `Name`, or `CaseNumber` on Case.
    pub name_field: bool,
    /// The field identifies a record in upserts and searches (describe `idLookup`), besides
    /// `Id` and external Ids: `CaseNumber`, `Contact.Email`.
    pub id_lookup: bool,
    /// Describe `extraTypeInfo` where it is not implied by the kind: `personname`, `imageurl`.
    pub extra_type_info: Option<String>,
    /// The compound field this one is part of (describe `compoundFieldName`): `Name` for
    /// `FirstName`, `MailingAddress` for `MailingCity`.
    pub compound: Option<String>,
    /// Tooling `CustomField` Id (00N...) for custom fields.
    pub custom_field_id: Option<String>,
    pub created_date: String,
}

impl FieldDef {
    pub fn new(name: &str, kind: FieldKind) -> FieldDef {
        let length = match kind {
            FieldKind::Id | FieldKind::Reference => 18,
            FieldKind::Text | FieldKind::Picklist | FieldKind::Email | FieldKind::Url => 255,
            FieldKind::Phone => 40,
            FieldKind::TextArea => 255,
            FieldKind::LongTextArea | FieldKind::RichTextArea => 32768,
            FieldKind::MultiPicklist => 4099,
            // `NumberOfEmployees` is `int` with 8 digits (its describe `digits`).
            FieldKind::Integer => 8,
            _ => 0,
        };
        // Setup's defaults: Number(18, 0), Currency(16, 2), Percent(16, 2).
        let (precision, scale) = match kind {
            FieldKind::Number => (18, 0),
            FieldKind::Currency | FieldKind::Percent => (18, 2),
            _ => (0, 0),
        };
        FieldDef {
            name: name.to_string(),
            label: label_from_name(name),
            kind,
            length,
            custom: name.ends_with("__c"),
            nillable: true,
            system: false,
            permissionable: true,
            reference_to: Vec::new(),
            relationship_name: None,
            picklist_values: Vec::new(),
            restricted_picklist: false,
            precision,
            scale,
            external_id: false,
            unique: false,
            visible_lines: None,
            description: None,
            inline_help_text: None,
            formula: None,
            auto_number: None,
            summary: None,
            value_set: None,
            read_only: false,
            defaulted_on_create: false,
            name_field: name == "Name",
            id_lookup: false,
            extra_type_info: None,
            compound: None,
            custom_field_id: None,
            created_date: "2024-01-10T09:00:00.000+0000".into(),
        }
    }

    fn system(mut self) -> Self {
        self.system = true;
        self.read_only = true;
        self.defaulted_on_create = true;
        self.permissionable = false;
        self.nillable = false;
        self
    }

    /// Derived or Salesforce-maintained: readable, never written through the API.
    fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Field-level security does not apply (describe `permissionable: false`).
    fn not_permissionable(mut self) -> Self {
        self.permissionable = false;
        self
    }

    fn defaulted(mut self) -> Self {
        self.defaulted_on_create = true;
        self
    }

    fn id_lookup(mut self) -> Self {
        self.id_lookup = true;
        self
    }

    fn extra(mut self, info: &str) -> Self {
        self.extra_type_info = Some(info.into());
        self
    }

    fn part_of(mut self, compound: &str) -> Self {
        self.compound = Some(compound.into());
        self
    }

    /// A picklist whose `default` value Salesforce sets on create when none is given.
    fn picklist_default(mut self, value: &str) -> Self {
        for v in &mut self.picklist_values {
            v.default = v.value == value;
        }
        self.defaulted_on_create = true;
        self
    }

    fn restricted(mut self) -> Self {
        self.restricted_picklist = true;
        self
    }

    fn with_precision(mut self, precision: u32, scale: u32) -> Self {
        self.precision = precision;
        self.scale = scale;
        self
    }

    fn geo(mut self) -> Self {
        // Latitude and longitude: `double` with 15 decimal places (the recorded describes).
        self.precision = 18;
        self.scale = 15;
        self
    }

    fn required(mut self) -> Self {
        self.nillable = false;
        self.permissionable = false;
        self
    }

    fn reference(mut self, target: &str, relationship: &str) -> Self {
        self.reference_to = vec![target.to_string()];
        self.relationship_name = Some(relationship.to_string());
        self
    }

    fn picklist(mut self, values: &[&str]) -> Self {
        self.picklist_values = values
            .iter()
            .map(|v| PicklistValue {
                value: v.to_string(),
                label: v.to_string(),
                active: true,
                default: false,
            })
            .collect();
        self
    }

    fn labeled(mut self, label: &str) -> Self {
        self.label = label.to_string();
        self
    }

    fn len(mut self, length: u32) -> Self {
        self.length = length;
        self
    }

    /// The value a create stores when the request leaves the field out: `false` for a checkbox,
    /// the picklist's default value, else null.
    pub fn default_on_create(&self) -> Value {
        if matches!(self.kind, FieldKind::Checkbox) {
            return json!(false);
        }
        self.picklist_values
            .iter()
            .find(|v| v.default && v.active)
            .map_or(Value::Null, |v| json!(v.value))
    }

    /// Formula, Auto Number and Roll-Up Summary fields: Salesforce computes them, no one writes them.
    pub fn is_computed(&self) -> bool {
        self.formula.is_some() || self.auto_number.is_some() || self.summary.is_some()
    }

    /// `FieldDefinition.DataType` as Setup shows it: "Text(255)", "Formula (Text)",
    /// "Auto Number", "Roll-Up Summary (COUNT Case Comment)".
    pub fn data_type(&self) -> String {
        if self.auto_number.is_some() {
            return "Auto Number".into();
        }
        if let Some((operation, object)) = &self.summary {
            return format!("Roll-Up Summary ({operation} {})", label_from_name(object));
        }
        if self.formula.is_some() {
            let returns = match self.kind {
                FieldKind::Checkbox => "Checkbox",
                FieldKind::Number => "Number",
                FieldKind::Currency => "Currency",
                FieldKind::Percent => "Percent",
                FieldKind::Date => "Date",
                FieldKind::DateTime => "Date/Time",
                _ => "Text",
            };
            return format!("Formula ({returns})");
        }
        self.kind
            .data_type_label(self.length, self.precision, self.scale)
    }

    /// The API name without `__c` and without a namespace, as Tooling `CustomField.DeveloperName` has it.
    pub fn developer_name(&self) -> String {
        let base = self.name.trim_end_matches("__c");
        match base.split_once("__") {
            Some((_namespace, rest)) => rest.to_string(),
            None => base.to_string(),
        }
    }

    pub fn namespace(&self) -> Option<String> {
        let base = self.name.trim_end_matches("__c");
        base.split_once("__").map(|(ns, _)| ns.to_string())
    }

    /// One entry of `fields[]` in an sObject describe, with every key a real describe carries.
    /// `updateable` is what the caller may do (FLS and object permissions already applied).
    pub fn describe(&self, updateable: bool, createable: bool) -> Value {
        let (ty, soap, extra) = match self.kind {
            FieldKind::Id => ("id", "tns:ID", Value::Null),
            FieldKind::Reference => ("reference", "tns:ID", Value::Null),
            FieldKind::Text => ("string", "xsd:string", Value::Null),
            FieldKind::TextArea | FieldKind::LongTextArea => {
                ("textarea", "xsd:string", json!("plaintextarea"))
            }
            FieldKind::RichTextArea => ("textarea", "xsd:string", json!("richtextarea")),
            FieldKind::Picklist => ("picklist", "xsd:string", Value::Null),
            FieldKind::MultiPicklist => ("multipicklist", "xsd:string", Value::Null),
            FieldKind::Checkbox => ("boolean", "xsd:boolean", Value::Null),
            FieldKind::DateTime => ("datetime", "xsd:dateTime", Value::Null),
            FieldKind::Date => ("date", "xsd:date", Value::Null),
            FieldKind::Number => ("double", "xsd:double", Value::Null),
            FieldKind::Currency => ("currency", "xsd:double", Value::Null),
            FieldKind::Percent => ("percent", "xsd:double", Value::Null),
            FieldKind::Email => ("email", "xsd:string", Value::Null),
            FieldKind::Phone => ("phone", "xsd:string", Value::Null),
            FieldKind::Url => ("url", "xsd:string", Value::Null),
            FieldKind::Integer => ("int", "xsd:int", Value::Null),
            FieldKind::Address => ("address", "urn:address", Value::Null),
            FieldKind::Complex => ("anyType", "xsd:anyType", Value::Null),
        };
        let extra = self.extra_type_info.as_ref().map_or(extra, |e| json!(e));
        let long = matches!(
            self.kind,
            FieldKind::LongTextArea
                | FieldKind::RichTextArea
                | FieldKind::MultiPicklist
                | FieldKind::Address
        );
        let text_like = self.kind.is_text()
            || matches!(self.kind, FieldKind::Picklist | FieldKind::MultiPicklist);
        let length = if text_like || matches!(self.kind, FieldKind::Id | FieldKind::Reference) {
            self.length
        } else {
            0
        };
        let byte_length = match self.kind {
            FieldKind::Id | FieldKind::Reference => 18,
            _ if text_like => self.length * 3,
            _ => 0,
        };
        let picklist_values: Vec<Value> = self
            .picklist_values
            .iter()
            .map(|p| {
                json!({"active": p.active, "defaultValue": p.default, "label": p.label,
                       "validFor": null, "value": p.value})
            })
            .collect();
        let is_number = self.kind.is_number();
        json!({
            "aggregatable": !long,
            "aiPredictionField": false,
            "autoNumber": self.auto_number.is_some(),
            "byteLength": byte_length,
            "calculated": self.formula.is_some() || self.summary.is_some(),
            "calculatedFormula": self.formula,
            "cascadeDelete": false,
            "caseSensitive": false,
            "compoundFieldName": self.compound,
            "controllerName": null,
            "createable": createable,
            "custom": self.custom,
            "defaultValue": self.default_on_create(),
            "defaultValueFormula": null,
            "defaultedOnCreate": self.defaulted_on_create || self.auto_number.is_some() || matches!(self.kind, FieldKind::Checkbox),
            "dependentPicklist": false,
            "deprecatedAndHidden": false,
            "digits": if matches!(self.kind, FieldKind::Integer) { self.length } else { 0 },
            "displayLocationInDecimal": false,
            "encrypted": false,
            "externalId": self.external_id,
            "extraTypeInfo": extra,
            "filterable": !long || matches!(self.kind, FieldKind::Address),
            "filteredLookupInfo": null,
            "formulaTreatNullNumberAsZero": false,
            "groupable": !long && !is_number && !matches!(self.kind, FieldKind::DateTime),
            "highScaleNumber": false,
            "htmlFormatted": matches!(self.kind, FieldKind::RichTextArea),
            "idLookup": matches!(self.kind, FieldKind::Id) || self.external_id || self.id_lookup,
            "inlineHelpText": self.inline_help_text,
            "label": self.label,
            "length": length,
            "mask": null,
            "maskType": null,
            "name": self.name,
            "nameField": self.name_field,
            "namePointing": false,
            "nillable": self.nillable && self.auto_number.is_none() && !matches!(self.kind, FieldKind::Checkbox),
            "permissionable": self.permissionable,
            "picklistValues": picklist_values,
            "polymorphicForeignKey": self.reference_to.len() > 1,
            "precision": self.precision,
            "queryByDistance": false,
            "referenceTargetField": null,
            "referenceTo": self.reference_to,
            "relationshipName": self.relationship_name,
            "relationshipOrder": null,
            "restrictedDelete": false,
            "restrictedPicklist": self.restricted_picklist,
            "scale": self.scale,
            "searchPrefilterable": false,
            "soapType": soap,
            "sortable": !long,
            "type": ty,
            "unique": self.unique,
            "updateable": updateable,
            "writeRequiresMasterRead": false,
        })
    }

    /// The Tooling `CustomField.Metadata` document of a custom field.
    pub fn tooling_metadata(&self) -> Value {
        let kind = if self.auto_number.is_some() {
            "AutoNumber"
        } else if self.summary.is_some() {
            "Summary"
        } else {
            self.kind.metadata_type()
        };
        let mut meta = json!({
            "label": self.label,
            "type": kind,
            "required": !self.nillable,
            "externalId": self.external_id,
            "unique": self.unique,
            "description": self.description,
            "inlineHelpText": self.inline_help_text,
            "trackHistory": false,
            "trackFeedHistory": false,
        });
        let obj = meta.as_object_mut().expect("json! object");
        match self.kind {
            FieldKind::Text
            | FieldKind::TextArea
            | FieldKind::LongTextArea
            | FieldKind::RichTextArea => {
                obj.insert("length".into(), json!(self.length));
            }
            _ => {
                obj.insert("length".into(), Value::Null);
            }
        }
        obj.insert("visibleLines".into(), json!(self.visible_lines));
        obj.insert("formula".into(), json!(self.formula));
        obj.insert("displayFormat".into(), json!(self.auto_number));
        obj.insert(
            "summaryOperation".into(),
            json!(self.summary.as_ref().map(|(op, _)| op.to_lowercase())),
        );
        obj.insert(
            "summaryForeignKey".into(),
            json!(self
                .summary
                .as_ref()
                .map(|(_, object)| format!("{object}.ParentId"))),
        );
        if self.kind.is_number() {
            obj.insert("precision".into(), json!(self.precision));
            obj.insert("scale".into(), json!(self.scale));
        }
        if let (Some(name), true) = (
            &self.value_set,
            matches!(self.kind, FieldKind::Picklist | FieldKind::MultiPicklist),
        ) {
            // A picklist on a global value set names the set; its values live there.
            obj.insert(
                "valueSet".into(),
                json!({"restricted": true, "valueSetName": name,
                       "valueSetDefinition": null, "controllingField": null,
                       "valueSettings": []}),
            );
        } else if matches!(self.kind, FieldKind::Picklist | FieldKind::MultiPicklist) {
            let values: Vec<Value> = self
                .picklist_values
                .iter()
                .map(|p| {
                    json!({"fullName": p.value, "default": p.default, "label": p.label,
                           "isActive": if p.active { Value::Null } else { json!(false) }})
                })
                .collect();
            obj.insert(
                "valueSet".into(),
                json!({"restricted": self.restricted_picklist, "valueSetName": null,
                       "valueSetDefinition": {"sorted": false, "value": values}}),
            );
        } else {
            obj.insert("valueSet".into(), Value::Null);
        }
        meta
    }
}

fn label_from_name(name: &str) -> String {
    let base = name.trim_end_matches("__c").trim_end_matches("Id");
    let base = if base.is_empty() { name } else { base };
    let mut label = String::new();
    for (i, ch) in base.chars().enumerate() {
        if ch == '_' {
            label.push(' ');
        } else {
            if i > 0 && ch.is_ascii_uppercase() && !label.ends_with(' ') {
                let prev = base.chars().nth(i - 1).unwrap_or(' ');
                if prev.is_ascii_lowercase() {
                    label.push(' ');
                }
            }
            label.push(ch);
        }
    }
    label
}

#[derive(Clone, Debug)]
pub struct ObjectDef {
    pub name: String,
    pub label: String,
    pub label_plural: String,
    pub key_prefix: String,
    pub api: Api,
    /// Setup objects need *View Setup and Configuration* to query.
    pub setup: bool,
    /// Computed objects (UserEntityAccess, ...) have no stored rows.
    pub computed: bool,
    /// Objects whose CRUD is governed by ObjectPermissions (Case, Contact, Lead).
    pub crud_controlled: bool,
    pub fields: Vec<FieldDef>,
    /// Child relationships (`SELECT (SELECT ... FROM Assignments) FROM PermissionSet`).
    pub children: Vec<ChildRelationship>,
}

/// A parent-to-child relationship: the children are the rows of `child_object` whose `field`
/// holds the parent's Id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildRelationship {
    /// The relationship name as Salesforce spells it, e.g. `Assignments`.
    pub name: String,
    pub child_object: String,
    /// The foreign-key field on the child, e.g. `PermissionSetId`.
    pub field: String,
}

impl ObjectDef {
    fn new(name: &str, prefix: &str, api: Api, fields: Vec<FieldDef>) -> ObjectDef {
        ObjectDef {
            name: name.to_string(),
            label: label_from_name(name),
            label_plural: format!("{}s", label_from_name(name)),
            key_prefix: prefix.to_string(),
            api,
            setup: true,
            computed: false,
            crud_controlled: false,
            fields,
            children: Vec::new(),
        }
    }

    /// Declares a child relationship `name` (rows of `child_object` whose `field` points here).
    fn child(mut self, name: &str, child_object: &str, field: &str) -> Self {
        self.children.push(ChildRelationship {
            name: name.into(),
            child_object: child_object.into(),
            field: field.into(),
        });
        self
    }

    /// A child relationship by name (case-insensitive).
    pub fn child_relationship(&self, name: &str) -> Option<&ChildRelationship> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    fn data(mut self, label: &str, plural: &str) -> Self {
        self.setup = false;
        self.crud_controlled = true;
        self.label = label.into();
        self.label_plural = plural.into();
        // Salesforce labels a record's Id "<Object> ID" ("Case ID" in the recorded describe).
        for field in self.fields.iter_mut().filter(|f| f.name == "Id") {
            field.label = format!("{label} ID");
        }
        self
    }

    fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Records of the object can be merged (describe `mergeable`): Account, Contact and Lead,
    /// not Case (the recorded global describe).
    pub fn mergeable(&self) -> bool {
        matches!(self.name.as_str(), "Account" | "Contact" | "Lead")
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub fn relationship(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }
}

use FieldKind as K;

fn f(name: &str, kind: FieldKind) -> FieldDef {
    FieldDef::new(name, kind)
}
fn id() -> FieldDef {
    f("Id", K::Id).system().required()
}
fn name() -> FieldDef {
    f("Name", K::Text).len(80)
}
fn b(name: &str) -> FieldDef {
    f(name, K::Checkbox)
}
fn s(name: &str) -> FieldDef {
    f(name, K::Text)
}
fn r(name: &str, target: &str, relationship: &str) -> FieldDef {
    f(name, K::Reference).reference(target, relationship)
}
/// `OwnerId`: a user, or on objects that take queues (Case, Lead) a queue (`Group`). Required
/// but defaulted to the creating user, and outside field-level security (recorded describes).
fn owner(targets: &[&str]) -> FieldDef {
    let mut field = r("OwnerId", "User", "Owner")
        .labeled("Owner ID")
        .not_permissionable()
        .defaulted();
    field.reference_to = targets.iter().map(|t| t.to_string()).collect();
    field.nillable = false;
    field
}
fn dt(name: &str) -> FieldDef {
    f(name, K::DateTime).system()
}
fn audit() -> Vec<FieldDef> {
    vec![
        dt("CreatedDate"),
        r("CreatedById", "User", "CreatedBy")
            .system()
            .labeled("Created By ID"),
        dt("LastModifiedDate"),
        r("LastModifiedById", "User", "LastModifiedBy")
            .system()
            .labeled("Last Modified By ID"),
        dt("SystemModstamp"),
    ]
}
fn with_audit(mut fields: Vec<FieldDef>) -> Vec<FieldDef> {
    fields.extend(audit());
    fields
}

pub const PERMISSION_FLAGS: &[&str] = &[
    "PermissionsApiEnabled",
    "PermissionsApiUserOnly",
    "PermissionsModifyAllData",
    "PermissionsViewAllData",
    "PermissionsViewSetup",
    "PermissionsCustomizeApplication",
    "PermissionsManageUsers",
    "PermissionsAuthorApex",
    "PermissionsAssignPermissionSets",
    "PermissionsManageProfilesPermissionsets",
];

/// Every object the simulated org knows, with its standard fields.
#[allow(clippy::too_many_lines)] // a table: every standard object the simulated org has, with its fields
pub fn standard_objects() -> Vec<ObjectDef> {
    let mut profile_fields = vec![
        id(),
        name(),
        r("UserLicenseId", "UserLicense", "UserLicense"),
        s("UserType"),
        s("Description"),
    ];
    profile_fields.extend(PERMISSION_FLAGS.iter().map(|p| b(p)));
    let mut permission_set_fields = vec![
        id(),
        name(),
        s("Label"),
        s("Description"),
        b("IsOwnedByProfile"),
        r("ProfileId", "Profile", "Profile"),
        r("LicenseId", "PermissionSetLicense", "License"),
        r(
            "PermissionSetGroupId",
            "PermissionSetGroup",
            "PermissionSetGroup",
        ),
        s("Type"),
        b("HasActivationRequired"),
        b("IsCustom"),
        s("NamespacePrefix"),
    ];
    permission_set_fields.extend(PERMISSION_FLAGS.iter().map(|p| b(p)));
    let permission_set_fields = with_audit(permission_set_fields);

    let status_values = ["New", "Working", "Escalated", "Closed"];
    vec![
        ObjectDef::new(
            "Organization",
            "00D",
            Api::Standard,
            vec![
                id(),
                name(),
                s("OrganizationType"),
                b("IsSandbox"),
                s("InstanceName"),
                f("TrialExpirationDate", K::DateTime),
                s("NamespacePrefix"),
                b("IsReadOnly"),
                s("Division"),
                s("Country"),
                s("DefaultLocaleSidKey"),
                s("LanguageLocaleKey"),
                s("TimeZoneSidKey"),
                s("DefaultAccountAccess"),
                s("DefaultCaseAccess"),
                s("DefaultContactAccess"),
                s("DefaultLeadAccess"),
            ],
        )
        .data("Organization", "Organizations"),
        ObjectDef::new(
            "User",
            "005",
            Api::Both,
            with_audit(vec![
                id(),
                s("Username"),
                name(),
                s("FirstName"),
                s("LastName"),
                f("Email", K::Email),
                s("Alias"),
                b("IsActive"),
                s("UserType"),
                r("ProfileId", "Profile", "Profile"),
                r("UserRoleId", "UserRole", "UserRole"),
                f("LastLoginDate", K::DateTime),
                s("TimeZoneSidKey"),
            ]),
        )
        .data("User", "Users")
        .child(
            "PermissionSetAssignments",
            "PermissionSetAssignment",
            "AssigneeId",
        )
        // Object Reference, PermissionSetLicenseAssign: "The relationship name for
        // PermissionSetLicenseAssign is PermissionSetLicenseAssignments."
        .child(
            "PermissionSetLicenseAssignments",
            "PermissionSetLicenseAssign",
            "AssigneeId",
        ),
        ObjectDef::new("Profile", "00e", Api::Both, with_audit(profile_fields)),
        ObjectDef::new(
            "UserLicense",
            "100",
            Api::Standard,
            vec![
                id(),
                name(),
                s("MasterLabel"),
                s("LicenseDefinitionKey"),
                s("Status"),
            ],
        ),
        ObjectDef::new("PermissionSet", "0PS", Api::Both, permission_set_fields)
            .child("Assignments", "PermissionSetAssignment", "PermissionSetId")
            .child("ObjectPerms", "ObjectPermissions", "ParentId")
            .child("FieldPerms", "FieldPermissions", "ParentId")
            .child("SetupEntityAccessItems", "SetupEntityAccess", "ParentId"),
        ObjectDef::new(
            "PermissionSetGroup",
            "0PG",
            Api::Standard,
            with_audit(vec![
                id(),
                s("DeveloperName"),
                s("MasterLabel"),
                s("Description"),
                s("Status"),
                s("NamespacePrefix"),
            ]),
        )
        .child(
            "PermissionSetGroupComponents",
            "PermissionSetGroupComponent",
            "PermissionSetGroupId",
        ),
        ObjectDef::new("MutingPermissionSet", "0QM", Api::Standard, {
            let mut fields = vec![
                id(),
                s("DeveloperName"),
                s("MasterLabel"),
                s("Description"),
                s("NamespacePrefix"),
            ];
            fields.extend(PERMISSION_FLAGS.iter().map(|p| b(p)));
            with_audit(fields)
        }),
        ObjectDef::new(
            "UserRole",
            "00E",
            Api::Standard,
            vec![
                id(),
                name(),
                s("DeveloperName"),
                r("ParentRoleId", "UserRole", "ParentRole"),
                s("RollupDescription"),
            ],
        ),
        ObjectDef::new(
            "UserLogin",
            "060",
            Api::Standard,
            vec![
                id(),
                r("UserId", "User", "User"),
                b("IsFrozen"),
                b("IsPasswordLocked"),
                dt("LastModifiedDate"),
                r("LastModifiedById", "User", "LastModifiedBy").system(),
            ],
        ),
        share_object("CaseShare", "01n", "Case"),
        share_object("ContactShare", "03s", "Contact"),
        share_object("LeadShare", "01o", "Lead"),
        ObjectDef::new(
            "DuplicateRule",
            "0Bm",
            Api::Standard,
            with_audit(vec![
                id(),
                s("DeveloperName"),
                s("MasterLabel"),
                s("SobjectType"),
                s("SobjectSubtype"),
                b("IsActive"),
                s("NamespacePrefix"),
                s("Language"),
            ]),
        ),
        ObjectDef::new(
            "GlobalValueSet",
            "0Nt",
            Api::Tooling,
            vec![
                id(),
                s("DeveloperName"),
                s("MasterLabel"),
                s("Description"),
                s("NamespacePrefix"),
                f("FullName", K::Complex),
                f("Metadata", K::Complex),
            ],
        ),
        ObjectDef::new(
            "PermissionSetGroupComponent",
            "0PH",
            Api::Standard,
            vec![
                id(),
                r(
                    "PermissionSetGroupId",
                    "PermissionSetGroup",
                    "PermissionSetGroup",
                ),
                r("PermissionSetId", "PermissionSet", "PermissionSet"),
            ],
        ),
        ObjectDef::new(
            "PermissionSetAssignment",
            "0Pa",
            Api::Both,
            vec![
                id(),
                r("AssigneeId", "User", "Assignee"),
                r("PermissionSetId", "PermissionSet", "PermissionSet"),
                r(
                    "PermissionSetGroupId",
                    "PermissionSetGroup",
                    "PermissionSetGroup",
                ),
                b("IsActive"),
                f("ExpirationDate", K::DateTime),
                dt("SystemModstamp"),
            ],
        ),
        ObjectDef::new(
            "PermissionSetLicense",
            "0PL",
            Api::Standard,
            vec![
                id(),
                s("DeveloperName"),
                s("MasterLabel"),
                f("TotalLicenses", K::Number),
                f("UsedLicenses", K::Number),
                s("Status"),
            ],
        )
        .child(
            "PermissionSetLicenseAssignments",
            "PermissionSetLicenseAssign",
            "PermissionSetLicenseId",
        ),
        // Approval processes: a Pending instance locks its target record.
        ObjectDef::new(
            "ProcessInstance",
            "04g",
            Api::Standard,
            vec![id(), s("TargetObjectId"), s("Status"), dt("CreatedDate")],
        ),
        ObjectDef::new(
            "PermissionSetLicenseAssign",
            "2LA",
            Api::Standard,
            vec![
                id(),
                r("AssigneeId", "User", "Assignee"),
                r(
                    "PermissionSetLicenseId",
                    "PermissionSetLicense",
                    "PermissionSetLicense",
                ),
            ],
        ),
        ObjectDef::new(
            "ObjectPermissions",
            "110",
            Api::Standard,
            with_audit(vec![
                id(),
                r("ParentId", "PermissionSet", "Parent"),
                s("SobjectType"),
                b("PermissionsCreate"),
                b("PermissionsRead"),
                b("PermissionsEdit"),
                b("PermissionsDelete"),
                b("PermissionsViewAllRecords"),
                b("PermissionsModifyAllRecords"),
                b("PermissionsViewAllFields"),
            ]),
        ),
        ObjectDef::new(
            "FieldPermissions",
            "01k",
            Api::Standard,
            with_audit(vec![
                id(),
                r("ParentId", "PermissionSet", "Parent"),
                s("SobjectType"),
                s("Field"),
                b("PermissionsRead"),
                b("PermissionsEdit"),
            ]),
        ),
        ObjectDef::new(
            "SetupEntityAccess",
            "0J0",
            Api::Standard,
            vec![
                id(),
                r("ParentId", "PermissionSet", "Parent"),
                s("SetupEntityId"),
                s("SetupEntityType"),
            ],
        ),
        ObjectDef::new(
            "ConnectedApplication",
            "0H4",
            Api::Both,
            vec![
                id(),
                name(),
                dt("CreatedDate"),
                dt("LastModifiedDate"),
                b("OptionsAllowAdminApprovedUsersOnly"),
                b("OptionsRefreshTokenValidityMetric"),
                b("OptionsHasSessionLevelPolicy"),
                f("RefreshTokenValidityPeriod", K::Number),
                s("StartUrl"),
                s("NamespacePrefix"),
            ],
        ),
        ObjectDef::new(
            "OauthToken",
            "0CQ",
            Api::Standard,
            vec![
                id(),
                s("AppName"),
                r("UserId", "User", "User"),
                s("AppMenuItemId"),
                dt("CreatedDate"),
                f("LastUsedDate", K::DateTime),
                f("UseCount", K::Number),
            ],
        ),
        ObjectDef::new(
            "RecordType",
            "012",
            Api::Both,
            with_audit(vec![
                id(),
                name(),
                s("DeveloperName"),
                s("SobjectType"),
                b("IsActive"),
                s("Description"),
                s("NamespacePrefix"),
            ]),
        ),
        ObjectDef::new(
            "ApexTrigger",
            "01q",
            Api::Both,
            with_audit(vec![
                id(),
                name(),
                s("NamespacePrefix"),
                s("Status"),
                s("TableEnumOrId"),
                b("UsageBeforeInsert"),
                b("UsageAfterInsert"),
                b("UsageBeforeUpdate"),
                b("UsageAfterUpdate"),
                b("UsageIsBulk"),
                f("ApiVersion", K::Number),
                b("IsValid"),
            ]),
        ),
        ObjectDef::new(
            "FlowDefinitionView",
            "300",
            Api::Standard,
            vec![
                id(),
                s("DurableId"),
                s("ApiName"),
                s("Label"),
                s("ProcessType"),
                s("TriggerType"),
                s("RecordTriggerType"),
                r(
                    "TriggerObjectOrEventId",
                    "EntityDefinition",
                    "TriggerObjectOrEvent",
                ),
                s("TriggerObjectOrEventLabel"),
                b("IsActive"),
                s("ActiveVersionId"),
                s("LatestVersionId"),
                s("NamespacePrefix"),
                f("TriggerOrder", K::Number),
                s("LastModifiedBy"),
                dt("LastModifiedDate"),
            ],
        ),
        ObjectDef::new(
            "Flow",
            "301",
            Api::Tooling,
            vec![
                id(),
                s("MasterLabel"),
                s("Status"),
                s("ProcessType"),
                f("VersionNumber", K::Number),
                s("DefinitionId"),
                f("FullName", K::Complex),
                f("Metadata", K::Complex),
            ],
        ),
        // A Tooling object too (Tooling API object list; public code queries it there with
        // these fields).
        ObjectDef::new(
            "AssignmentRule",
            "01Q",
            Api::Both,
            vec![id(), name(), b("Active"), s("SobjectType")],
        ),
        ObjectDef::new(
            "EntityDefinition",
            "000",
            Api::Both,
            vec![
                s("DurableId"),
                s("QualifiedApiName"),
                s("Label"),
                s("KeyPrefix"),
                s("NamespacePrefix"),
                b("IsCustomizable"),
            ],
        ),
        ObjectDef::new(
            "FieldDefinition",
            "000",
            Api::Both,
            vec![
                s("DurableId"),
                s("QualifiedApiName"),
                r("EntityDefinitionId", "EntityDefinition", "EntityDefinition"),
                s("DataType"),
                f("Length", K::Number),
                s("Label"),
                b("IsNillable"),
                s("NamespacePrefix"),
            ],
        ),
        ObjectDef::new(
            "UserEntityAccess",
            "000",
            Api::Both,
            vec![
                s("DurableId"),
                r("UserId", "User", "User"),
                r("EntityDefinitionId", "EntityDefinition", "EntityDefinition"),
                b("IsReadable"),
                b("IsEditable"),
                b("IsCreatable"),
                b("IsDeletable"),
            ],
        )
        .computed(),
        ObjectDef::new(
            "UserFieldAccess",
            "000",
            Api::Both,
            vec![
                s("DurableId"),
                r("EntityDefinitionId", "EntityDefinition", "EntityDefinition"),
                s("FieldDefinitionId"),
                r("UserId", "User", "User"),
                b("IsAccessible"),
                b("IsUpdatable"),
                b("IsCreatable"),
            ],
        )
        .computed(),
        ObjectDef::new(
            "UserRecordAccess",
            "000",
            Api::Standard,
            vec![
                s("RecordId"),
                s("UserId"),
                b("HasReadAccess"),
                b("HasEditAccess"),
                b("HasDeleteAccess"),
                b("HasTransferAccess"),
                b("HasAllAccess"),
                s("MaxAccessLevel"),
            ],
        )
        .computed(),
        ObjectDef::new(
            "CustomField",
            "00N",
            Api::Tooling,
            vec![
                id(),
                s("DeveloperName"),
                s("TableEnumOrId"),
                s("NamespacePrefix"),
                s("ManageableState"),
                dt("CreatedDate"),
                dt("LastModifiedDate"),
                f("FullName", K::Complex),
                f("Metadata", K::Complex),
            ],
        ),
        ObjectDef::new(
            "ValidationRule",
            "03d",
            Api::Tooling,
            vec![
                id(),
                s("ValidationName"),
                b("Active"),
                s("Description"),
                s("ErrorDisplayField"),
                s("ErrorMessage"),
                s("NamespacePrefix"),
                r("EntityDefinitionId", "EntityDefinition", "EntityDefinition"),
                f("FullName", K::Complex),
                f("Metadata", K::Complex),
            ],
        ),
        ObjectDef::new(
            "WorkflowRule",
            "01Q",
            Api::Tooling,
            vec![
                id(),
                name(),
                s("TableEnumOrId"),
                s("NamespacePrefix"),
                s("ManageableState"),
                f("FullName", K::Complex),
                f("Metadata", K::Complex),
            ],
        ),
        ObjectDef::new(
            "InstalledSubscriberPackage",
            "0A3",
            Api::Tooling,
            vec![
                id(),
                r(
                    "SubscriberPackageId",
                    "SubscriberPackage",
                    "SubscriberPackage",
                ),
                s("SubscriberPackageVersionId"),
            ],
        ),
        ObjectDef::new(
            "SubscriberPackage",
            "033",
            Api::Tooling,
            vec![id(), name(), s("NamespacePrefix"), s("Description")],
        ),
        // Standard fields as Salesforce describes them: Case and Contact field by field from the
        // recorded describes (`case_describe_CumulusCI.json`, `contact_describe_CumulusCI.json`,
        // held by tests/conformance.rs); Lead and Account from the Object Reference, with the
        // attributes of the same fields on Contact (docs/salesforce-fidelity.md).
        ObjectDef::new("Case", "500", Api::Standard, case_fields(&status_values))
            .data("Case", "Cases"),
        ObjectDef::new("Contact", "003", Api::Standard, contact_fields())
            .data("Contact", "Contacts"),
        ObjectDef::new("Lead", "00Q", Api::Standard, lead_fields()).data("Lead", "Leads"),
        ObjectDef::new("Account", "001", Api::Standard, account_fields())
            .data("Account", "Accounts"),
    ]
}

fn case_fields(status_values: &[&str]) -> Vec<FieldDef> {
    let contact_copy = |name: &str, kind: FieldKind, label: &str| {
        f(name, kind)
            .read_only()
            .not_permissionable()
            .labeled(label)
    };
    let mut case_number = s("CaseNumber")
        .system()
        .labeled("Case Number")
        .len(30)
        .id_lookup();
    case_number.auto_number = Some("{00000000}".into());
    case_number.name_field = true;
    let mut fields = vec![
        id(),
        f("IsDeleted", K::Checkbox).system().labeled("Deleted"),
        master_record("Case"),
        case_number,
        r("ContactId", "Contact", "Contact").labeled("Contact ID"),
        r("AccountId", "Account", "Account").labeled("Account ID"),
        r("AssetId", "Asset", "Asset").labeled("Asset ID"),
        r("ParentId", "Case", "Parent").labeled("Parent Case ID"),
        s("SuppliedName").len(80).labeled("Name"),
        f("SuppliedEmail", K::Email)
            .len(80)
            .labeled("Email Address"),
        s("SuppliedPhone").len(40).labeled("Phone"),
        s("SuppliedCompany").len(80).labeled("Company"),
        f("Type", K::Picklist)
            .picklist(&[
                "Mechanical",
                "Electrical",
                "Electronic",
                "Structural",
                "Other",
            ])
            .len(40)
            .labeled("Case Type"),
        f("Status", K::Picklist)
            .picklist(status_values)
            .picklist_default("New")
            .not_permissionable()
            .len(40),
        f("Reason", K::Picklist)
            .picklist(&[
                "Installation",
                "Equipment Complexity",
                "Performance",
                "Breakdown",
                "Equipment Design",
                "Feedback",
                "Other",
            ])
            .len(40)
            .labeled("Case Reason"),
        f("Origin", K::Picklist)
            .picklist(&["Phone", "Email", "Web"])
            .len(40)
            .labeled("Case Origin"),
        s("Subject").len(255),
        f("Priority", K::Picklist)
            .picklist(&["High", "Medium", "Low"])
            .picklist_default("Medium")
            .len(40),
        f("Description", K::LongTextArea).len(32000),
        f("IsClosed", K::Checkbox).system().labeled("Closed"),
        f("ClosedDate", K::DateTime).read_only(),
        f("IsEscalated", K::Checkbox).labeled("Escalated"),
        owner(&["Group", "User"]),
    ];
    fields.extend(audit());
    fields.extend([
        contact_copy("ContactPhone", K::Phone, "Contact Phone"),
        contact_copy("ContactMobile", K::Phone, "Contact Mobile"),
        contact_copy("ContactEmail", K::Email, "Contact Email").len(80),
        contact_copy("ContactFax", K::Phone, "Contact Fax"),
        f("Comments", K::TextArea)
            .len(4000)
            .not_permissionable()
            .labeled("Internal Comments"),
    ]);
    fields.extend(viewed());
    // Not in the recording (its org had no Case record types): Salesforce adds the field once
    // an object has record types, which scenarios give Case.
    fields.push(r("RecordTypeId", "RecordType", "RecordType").labeled("Record Type ID"));
    fields
}

fn contact_fields() -> Vec<FieldDef> {
    let mut fields = vec![
        id(),
        f("IsDeleted", K::Checkbox).system().labeled("Deleted"),
        master_record("Contact"),
        r("AccountId", "Account", "Account").labeled("Account ID"),
    ];
    fields.extend(person_name());
    fields.extend(address("Other", "Other "));
    fields.extend(address("Mailing", "Mailing "));
    fields.extend([
        f("Phone", K::Phone).labeled("Business Phone"),
        f("Fax", K::Phone).labeled("Business Fax"),
        f("MobilePhone", K::Phone),
        f("HomePhone", K::Phone),
        f("OtherPhone", K::Phone),
        f("AssistantPhone", K::Phone).labeled("Asst. Phone"),
        r("ReportsToId", "Contact", "ReportsTo").labeled("Reports To ID"),
        f("Email", K::Email).len(80).id_lookup(),
        s("Title").len(128),
        s("Department").len(80),
        s("AssistantName").len(40).labeled("Assistant's Name"),
        lead_source(),
        f("Birthdate", K::Date),
        f("Description", K::LongTextArea)
            .len(32000)
            .labeled("Contact Description"),
        owner(&["User"]),
    ]);
    fields.extend(audit());
    fields.extend([
        f("LastActivityDate", K::Date)
            .read_only()
            .not_permissionable()
            .labeled("Last Activity"),
        f("LastCURequestDate", K::DateTime)
            .read_only()
            .not_permissionable()
            .labeled("Last Stay-in-Touch Request Date"),
        f("LastCUUpdateDate", K::DateTime)
            .read_only()
            .not_permissionable()
            .labeled("Last Stay-in-Touch Save Date"),
    ]);
    fields.extend(viewed());
    fields.extend(email_bounce());
    fields.extend([
        f("IsEmailBounced", K::Checkbox)
            .system()
            .labeled("Is Email Bounced"),
        photo_url(),
        s("Jigsaw").len(20).labeled("Data.com Key"),
        jigsaw_id("JigsawContactId", "JigsawContact", "Jigsaw Contact ID"),
        clean_status(),
        individual(),
    ]);
    fields
}

/// Lead's standard fields (Object Reference, "Lead"); the attributes of the fields Lead shares
/// with Contact follow the recorded Contact describe.
fn lead_fields() -> Vec<FieldDef> {
    let mut fields = vec![
        id(),
        f("IsDeleted", K::Checkbox).system().labeled("Deleted"),
        master_record("Lead"),
    ];
    fields.extend(person_name());
    fields.push(s("Title").len(128));
    fields.push(s("Company").len(255).required());
    fields.extend(address("", ""));
    fields.extend([
        f("Phone", K::Phone),
        f("MobilePhone", K::Phone),
        f("Fax", K::Phone),
        f("Email", K::Email).len(80).id_lookup(),
        f("Website", K::Url),
        photo_url(),
        f("Description", K::LongTextArea).len(32000),
        lead_source(),
        f("Status", K::Picklist)
            .picklist(&[
                "Open - Not Contacted",
                "Working - Contacted",
                "Closed - Converted",
                "Closed - Not Converted",
            ])
            .picklist_default("Open - Not Contacted")
            .required()
            .len(40)
            .labeled("Lead Status"),
        industry(),
        rating(),
        f("AnnualRevenue", K::Currency).with_precision(18, 0),
        f("NumberOfEmployees", K::Integer).labeled("No. of Employees"),
        owner(&["Group", "User"]),
        f("IsConverted", K::Checkbox).system().labeled("Converted"),
        f("ConvertedDate", K::Date).read_only().not_permissionable(),
        r("ConvertedAccountId", "Account", "ConvertedAccount")
            .read_only()
            .not_permissionable()
            .labeled("Converted Account ID"),
        r("ConvertedContactId", "Contact", "ConvertedContact")
            .read_only()
            .not_permissionable()
            .labeled("Converted Contact ID"),
        r(
            "ConvertedOpportunityId",
            "Opportunity",
            "ConvertedOpportunity",
        )
        .read_only()
        .not_permissionable()
        .labeled("Converted Opportunity ID"),
        f("IsUnreadByOwner", K::Checkbox)
            .not_permissionable()
            .defaulted()
            .labeled("Unread By Owner"),
    ]);
    fields.extend(audit());
    fields.push(
        f("LastActivityDate", K::Date)
            .read_only()
            .not_permissionable()
            .labeled("Last Activity"),
    );
    fields.extend(viewed());
    fields.extend([
        s("Jigsaw").len(20).labeled("Data.com Key"),
        jigsaw_id("JigsawContactId", "JigsawContact", "Jigsaw Contact ID"),
        clean_status(),
        s("CompanyDunsNumber")
            .len(9)
            .labeled("Company D-U-N-S Number"),
        dandb_company(),
    ]);
    fields.extend(email_bounce());
    fields.push(individual());
    fields
}

/// Account's standard fields (Object Reference, "Account"); shared kinds of field take the
/// attributes the recorded Contact describe gives them.
fn account_fields() -> Vec<FieldDef> {
    let mut name = name().len(255).required().labeled("Account Name");
    name.id_lookup = false;
    let mut fields = vec![
        id(),
        f("IsDeleted", K::Checkbox).system().labeled("Deleted"),
        master_record("Account"),
        name,
        f("Type", K::Picklist)
            .picklist(&[
                "Prospect",
                "Customer - Direct",
                "Customer - Channel",
                "Channel Partner / Reseller",
                "Installation Partner",
                "Technology Partner",
                "Other",
            ])
            .len(255)
            .labeled("Account Type"),
        r("ParentId", "Account", "Parent").labeled("Parent Account ID"),
    ];
    fields.extend(address("Billing", "Billing "));
    fields.extend(address("Shipping", "Shipping "));
    fields.extend([
        f("Phone", K::Phone).labeled("Account Phone"),
        f("Fax", K::Phone).labeled("Account Fax"),
        s("AccountNumber").len(40),
        f("Website", K::Url),
        photo_url(),
        s("Sic").len(20).labeled("SIC Code"),
        industry(),
        f("AnnualRevenue", K::Currency).with_precision(18, 0),
        f("NumberOfEmployees", K::Integer).labeled("Employees"),
        f("Ownership", K::Picklist)
            .picklist(&["Public", "Private", "Subsidiary", "Other"])
            .len(40),
        s("TickerSymbol").len(20),
        f("Description", K::LongTextArea)
            .len(32000)
            .labeled("Account Description"),
        rating().labeled("Account Rating"),
        s("Site").len(80).labeled("Account Site"),
        owner(&["User"]),
    ]);
    fields.extend(audit());
    fields.push(
        f("LastActivityDate", K::Date)
            .read_only()
            .not_permissionable()
            .labeled("Last Activity"),
    );
    fields.extend(viewed());
    fields.extend([
        s("Jigsaw").len(20).labeled("Data.com Key"),
        jigsaw_id("JigsawCompanyId", "JigsawCompany", "Jigsaw Company ID"),
        clean_status(),
        f("AccountSource", K::Picklist)
            .picklist(&[
                "Web",
                "Phone Inquiry",
                "Partner Referral",
                "Purchased List",
                "Other",
            ])
            .len(40),
        s("DunsNumber").len(9).labeled("D-U-N-S Number"),
        s("Tradestyle").len(255),
        s("NaicsCode").len(8).labeled("NAICS Code"),
        s("NaicsDesc").len(120).labeled("NAICS Description"),
        s("YearStarted").len(4).labeled("Year Started"),
        s("SicDesc").len(80).labeled("SIC Description"),
        dandb_company(),
        r("OperatingHoursId", "OperatingHours", "OperatingHours").labeled("Operating Hour ID"),
    ]);
    fields
}

/// `MasterRecordId`: the record a merge kept (read-only).
fn master_record(object: &str) -> FieldDef {
    r("MasterRecordId", object, "MasterRecord")
        .read_only()
        .not_permissionable()
        .labeled("Master Record ID")
}

/// `Salutation`, `FirstName`, `LastName` and the compound `Name` of a person (Contact, Lead).
fn person_name() -> Vec<FieldDef> {
    let part = |field: FieldDef| {
        field
            .not_permissionable()
            .extra("personname")
            .part_of("Name")
    };
    vec![
        part(s("LastName").len(80).required()),
        part(s("FirstName").len(40)),
        part(
            f("Salutation", K::Picklist)
                .picklist(&["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."])
                .len(40),
        ),
        name()
            .read_only()
            .required()
            .extra("personname")
            .labeled("Full Name")
            .len(121),
    ]
}

/// A postal address: its parts (writable) and the compound, read-only `{prefix}Address`.
fn address(prefix: &str, label: &str) -> Vec<FieldDef> {
    let compound = format!("{prefix}Address");
    let part = |name: &str, kind: FieldKind, part_label: &str| {
        f(&format!("{prefix}{name}"), kind)
            .labeled(&format!("{label}{part_label}"))
            .part_of(&compound)
    };
    vec![
        part("Street", K::TextArea, "Street").len(255),
        part("City", K::Text, "City").len(40),
        part("State", K::Text, "State/Province").len(80),
        part("PostalCode", K::Text, "Zip/Postal Code").len(20),
        part("Country", K::Text, "Country").len(80),
        part("Latitude", K::Number, "Latitude").geo(),
        part("Longitude", K::Number, "Longitude").geo(),
        part("GeocodeAccuracy", K::Picklist, "Geocode Accuracy")
            .picklist(&[
                "Address",
                "NearAddress",
                "Block",
                "Street",
                "ExtendedZip",
                "Zip",
                "Neighborhood",
                "City",
                "County",
                "State",
                "Unknown",
            ])
            .restricted()
            .len(40),
        f(&compound, K::Address)
            .read_only()
            .labeled(&format!("{label}Address")),
    ]
}

fn viewed() -> Vec<FieldDef> {
    ["LastViewedDate", "LastReferencedDate"]
        .iter()
        .map(|name| f(name, K::DateTime).read_only().not_permissionable())
        .collect()
}

fn email_bounce() -> Vec<FieldDef> {
    vec![
        s("EmailBouncedReason").len(255).not_permissionable(),
        f("EmailBouncedDate", K::DateTime).not_permissionable(),
    ]
}

fn photo_url() -> FieldDef {
    f("PhotoUrl", K::Url)
        .read_only()
        .not_permissionable()
        .extra("imageurl")
        .labeled("Photo URL")
}

/// The Data.com record a record was imported from: read-only text with a relationship name.
fn jigsaw_id(name: &str, relationship: &str, label: &str) -> FieldDef {
    let mut field = s(name)
        .len(20)
        .read_only()
        .not_permissionable()
        .labeled(label);
    field.relationship_name = Some(relationship.into());
    field
}

fn clean_status() -> FieldDef {
    f("CleanStatus", K::Picklist)
        .picklist(&[
            "Matched",
            "Different",
            "Acknowledged",
            "NotFound",
            "Inactive",
            "Pending",
            "SelectMatch",
            "Skipped",
        ])
        .restricted()
        .len(40)
}

fn individual() -> FieldDef {
    r("IndividualId", "Individual", "Individual")
        .not_permissionable()
        .labeled("Individual ID")
}

fn lead_source() -> FieldDef {
    f("LeadSource", K::Picklist)
        .picklist(&[
            "Web",
            "Phone Inquiry",
            "Partner Referral",
            "Purchased List",
            "Other",
        ])
        .len(255)
}

fn industry() -> FieldDef {
    f("Industry", K::Picklist)
        .picklist(&[
            "Agriculture",
            "Apparel",
            "Banking",
            "Biotechnology",
            "Chemicals",
            "Communications",
            "Construction",
            "Consulting",
            "Education",
            "Electronics",
            "Energy",
            "Engineering",
            "Entertainment",
            "Environmental",
            "Finance",
            "Food & Beverage",
            "Government",
            "Healthcare",
            "Hospitality",
            "Insurance",
            "Machinery",
            "Manufacturing",
            "Media",
            "Not For Profit",
            "Recreation",
            "Retail",
            "Shipping",
            "Technology",
            "Telecommunications",
            "Transportation",
            "Utilities",
            "Other",
        ])
        .len(255)
}

fn rating() -> FieldDef {
    f("Rating", K::Picklist)
        .picklist(&["Hot", "Warm", "Cold"])
        .len(40)
}

fn dandb_company() -> FieldDef {
    r("DandbCompanyId", "DandBCompany", "DandbCompany").labeled("D&B Company ID")
}

/// A sharing object (`CaseShare`): who besides the owner may read or edit a record.
fn share_object(name: &str, prefix: &str, parent: &str) -> ObjectDef {
    ObjectDef::new(
        name,
        prefix,
        Api::Standard,
        vec![
            id(),
            r(&format!("{parent}Id"), parent, parent),
            r("UserOrGroupId", "User", "UserOrGroup"),
            s(&format!("{parent}AccessLevel")),
            s("RowCause"),
            dt("LastModifiedDate"),
            f("IsDeleted", K::Checkbox).system(),
        ],
    )
}

/// Objects whose records an admin works with and that take custom fields from the scenario.
pub const DATA_OBJECTS: &[&str] = &["Case", "Contact", "Lead", "Account"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_relationships_point_at_their_parent() {
        let objects = standard_objects();
        let mut count = 0;
        for parent in &objects {
            for c in &parent.children {
                let child = objects
                    .iter()
                    .find(|o| o.name == c.child_object)
                    .unwrap_or_else(|| panic!("{}: no object {}", c.name, c.child_object));
                let fk = child
                    .field(&c.field)
                    .unwrap_or_else(|| panic!("{}: no field {}", c.name, c.field));
                assert!(fk.reference_to.contains(&parent.name), "{}", c.name);
                count += 1;
            }
        }
        assert_eq!(count, 8);
        let ps = objects.iter().find(|o| o.name == "PermissionSet").unwrap();
        assert_eq!(
            ps.child_relationship("objectperms")
                .map(|c| c.name.as_str()),
            Some("ObjectPerms")
        );
        assert!(ps.child_relationship("Nope").is_none());
    }

    #[test]
    fn labels_read_like_salesforce() {
        assert_eq!(label_from_name("LastModifiedDate"), "Last Modified Date");
        assert_eq!(label_from_name("Enterpret_Summary__c"), "Enterpret Summary");
        assert_eq!(label_from_name("ProfileId"), "Profile");
    }

    #[test]
    fn developer_name_drops_suffix_and_namespace() {
        let field = FieldDef::new("Enterpret_Summary__c", FieldKind::LongTextArea);
        assert_eq!(field.developer_name(), "Enterpret_Summary");
        assert_eq!(field.namespace(), None);
        let packaged = FieldDef::new("ns__Score__c", FieldKind::Number);
        assert_eq!(packaged.developer_name(), "Score");
        assert_eq!(packaged.namespace().as_deref(), Some("ns"));
    }
}
