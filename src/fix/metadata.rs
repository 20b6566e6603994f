//! The fix plan as Salesforce DX source, for admins who deploy through change control:
//! `package.xml`, `sfdx-project.json`, `force-app/main/default/objects/<Object>/fields/*.field-meta.xml`
//! and `force-app/main/default/permissionsets/*.permissionset-meta.xml`. Pure: returns the files;
//! the command line writes them. Elements follow the Metadata API's order (`fullName` first, then
//! alphabetical, as Salesforce writes retrieved source).

use super::plan::{field_metadata, FixPlan, PermissionSetSpec};
use crate::profile::{FieldRequirement, Profile};
use crate::xml::escape;
use serde_json::Value;
use std::path::PathBuf;

const NAMESPACE: &str = "http://soap.sforce.com/2006/04/metadata";
const SOURCE_ROOT: &str = "force-app/main/default";

/// One file of the export: path relative to the output directory, and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportFile {
    pub path: PathBuf,
    pub text: String,
}

/// A small element writer with indentation.
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn new(root: &str) -> Xml {
        Xml {
            out: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{NAMESPACE}\">\n"
            ),
            depth: 1,
        }
    }

    fn leaf(&mut self, name: &str, value: &str) {
        self.out.push_str(&"    ".repeat(self.depth));
        self.out
            .push_str(&format!("<{name}>{}</{name}>\n", escape(value)));
    }

    fn open(&mut self, name: &str) {
        self.out.push_str(&"    ".repeat(self.depth));
        self.out.push_str(&format!("<{name}>\n"));
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.out.push_str(&"    ".repeat(self.depth));
        self.out.push_str(&format!("</{name}>\n"));
    }

    fn finish(mut self, root: &str) -> String {
        self.out.push_str(&format!("</{root}>\n"));
        self.out
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `<CustomField>` source of one field (DX source: `fullName` is the field's own name).
pub fn custom_field_xml(field: &FieldRequirement) -> Result<String, String> {
    let meta = field_metadata(field)?;
    let mut elements: Vec<(String, Value)> = meta
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    elements.push(("externalId".into(), Value::Bool(false)));
    elements.push(("trackFeedHistory".into(), Value::Bool(false)));
    elements.push(("trackHistory".into(), Value::Bool(false)));
    if matches!(
        field.field_type,
        crate::profile::FieldType::Text | crate::profile::FieldType::Number
    ) {
        elements.push(("unique".into(), Value::Bool(false)));
    }
    elements.sort_by(|a, b| a.0.cmp(&b.0));
    let mut xml = Xml::new("CustomField");
    xml.leaf("fullName", &field.api_name);
    for (name, value) in &elements {
        if name == "valueSet" {
            xml.open("valueSet");
            xml.leaf(
                "restricted",
                &scalar(value.get("restricted").unwrap_or(&Value::Bool(false))),
            );
            xml.open("valueSetDefinition");
            xml.leaf("sorted", "false");
            let values = value
                .get("valueSetDefinition")
                .and_then(|d| d.get("value"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for v in values {
                xml.open("value");
                xml.leaf("fullName", &scalar(&v["fullName"]));
                xml.leaf("default", "false");
                xml.leaf("label", &scalar(&v["label"]));
                xml.close("value");
            }
            xml.close("valueSetDefinition");
            xml.close("valueSet");
        } else {
            xml.leaf(name, &scalar(value));
        }
    }
    Ok(xml.finish("CustomField"))
}

/// `<PermissionSet>` source: object Read+Edit (+Create when needed), field read+edit, nothing more.
pub fn permission_set_xml(spec: &PermissionSetSpec) -> String {
    let mut xml = Xml::new("PermissionSet");
    xml.leaf("description", &spec.description);
    for field in &spec.fields {
        xml.open("fieldPermissions");
        xml.leaf("editable", "true");
        xml.leaf("field", field);
        xml.leaf("readable", "true");
        xml.close("fieldPermissions");
    }
    xml.leaf("hasActivationRequired", "false");
    xml.leaf("label", &spec.label);
    if let Some(license) = &spec.license {
        xml.leaf("license", license);
    }
    xml.open("objectPermissions");
    xml.leaf(
        "allowCreate",
        if spec.object_create { "true" } else { "false" },
    );
    xml.leaf("allowDelete", "false");
    xml.leaf("allowEdit", "true");
    xml.leaf("allowRead", "true");
    xml.leaf("modifyAllRecords", "false");
    xml.leaf("object", &spec.object);
    xml.leaf("viewAllRecords", "false");
    xml.close("objectPermissions");
    if spec.api_enabled {
        xml.open("userPermissions");
        xml.leaf("enabled", "true");
        xml.leaf("name", "ApiEnabled");
        xml.close("userPermissions");
    }
    xml.finish("PermissionSet")
}

/// `package.xml` listing the fields and the permission set (types in alphabetical order).
pub fn package_xml(
    object: &str,
    fields: &[FieldRequirement],
    set: Option<&str>,
    api_version: &str,
) -> String {
    let mut xml = Xml::new("Package");
    if !fields.is_empty() {
        xml.open("types");
        let mut names: Vec<String> = fields
            .iter()
            .map(|f| format!("{object}.{}", f.api_name))
            .collect();
        names.sort();
        for name in names {
            xml.leaf("members", &name);
        }
        xml.leaf("name", "CustomField");
        xml.close("types");
    }
    if let Some(set) = set {
        xml.open("types");
        xml.leaf("members", set);
        xml.leaf("name", "PermissionSet");
        xml.close("types");
    }
    xml.leaf("version", api_version);
    xml.finish("Package")
}

fn project_json(api_version: &str) -> String {
    format!(
        "{{\n  \"packageDirectories\": [{{ \"path\": \"force-app\", \"default\": true }}],\n  \"name\": \"writeback-setup-export\",\n  \"sourceApiVersion\": \"{api_version}\"\n}}\n"
    )
}

fn files(
    object: &str,
    fields: &[FieldRequirement],
    set: Option<&PermissionSetSpec>,
    api_version: &str,
) -> Result<Vec<ExportFile>, String> {
    let mut out = vec![
        ExportFile {
            path: PathBuf::from("package.xml"),
            text: package_xml(object, fields, set.map(|s| s.name.as_str()), api_version),
        },
        ExportFile {
            path: PathBuf::from("sfdx-project.json"),
            text: project_json(api_version),
        },
    ];
    for field in fields {
        out.push(ExportFile {
            path: PathBuf::from(format!(
                "{SOURCE_ROOT}/objects/{object}/fields/{}.field-meta.xml",
                field.api_name
            )),
            text: custom_field_xml(field)?,
        });
    }
    if let Some(set) = set {
        out.push(ExportFile {
            path: PathBuf::from(format!(
                "{SOURCE_ROOT}/permissionsets/{}.permissionset-meta.xml",
                set.name
            )),
            text: permission_set_xml(set),
        });
    }
    Ok(out)
}

/// The plan's changes as source: the fields it creates and, when it touches access, the whole
/// permission set. Assignments are data, not metadata: the export cannot carry them.
pub fn export_plan(plan: &FixPlan, api_version: &str) -> Result<Vec<ExportFile>, String> {
    let touches_access = plan
        .changes
        .iter()
        .any(|c| c.step == crate::checks::Step::Access);
    files(
        &plan.object,
        &plan.new_fields,
        touches_access.then_some(&plan.permission_set),
        api_version,
    )
}

/// Everything a profile needs, without looking at an org: every custom field and the
/// permission set (for an Integration-licence user when `integration_license`).
pub fn export_profile(
    profile: &Profile,
    integration_license: bool,
    api_version: &str,
) -> Result<Vec<ExportFile>, String> {
    let plan = super::plan::build(profile, &[], &super::plan::Facts::default(), None);
    let mut spec = plan.permission_set;
    spec.license = integration_license.then(|| super::plan::INTEGRATION_PSL.to_string());
    let fields: Vec<FieldRequirement> = profile
        .fields
        .iter()
        .filter(|f| f.custom)
        .cloned()
        .collect();
    files(&profile.object, &fields, Some(&spec), api_version)
}
