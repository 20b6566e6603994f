//! Building findings: the builder every check uses, the Setup pages they link to, and the few
//! wording helpers they share.

use super::{FetchError, Finding, FindingId, Status};

pub(super) const FIELDS_PAGE: &str =
    "/lightning/setup/ObjectManager/{object}/FieldsAndRelationships/view";
pub(super) const PERMISSION_SETS_PAGE: &str = "/lightning/setup/PermSets/home";
pub(super) const USERS_PAGE: &str = "/lightning/setup/ManageUsers/home";
pub(super) const APP_MANAGER_PAGE: &str = "/lightning/setup/NavigationMenus/home";
pub(super) const ECA_MANAGER_PAGE: &str = "/lightning/setup/ManageExternalClientApplication/home";
pub(super) const OAUTH_USAGE_PAGE: &str = "/lightning/setup/ConnectedAppsUsage/home";
pub(super) const VALIDATION_PAGE: &str =
    "/lightning/setup/ObjectManager/{object}/ValidationRules/view";
pub(super) const DUPLICATE_RULES_PAGE: &str = "/lightning/setup/DuplicateRules/home";
pub(super) const SYSTEM_OVERVIEW_PAGE: &str = "/lightning/setup/SystemOverview/home";
pub(super) const COMPANY_PAGE: &str = "/lightning/setup/CompanyProfileInfo/home";
pub(super) const SHARING_PAGE: &str = "/lightning/setup/SecuritySharing/home";
pub(super) const RECORD_TYPES_PAGE: &str =
    "/lightning/setup/ObjectManager/{object}/RecordTypes/view";
pub(super) const PACKAGES_PAGE: &str = "/lightning/setup/ImportedPackage/home";

/// A finding under construction; its step comes from its id.
pub(super) fn finding(id: FindingId, status: Status, title: impl Into<String>) -> Finding {
    Finding {
        id,
        step: id.step(),
        status,
        title: title.into(),
        detail: String::new(),
        fix: None,
        setup_path: None,
        granted_by: Vec::new(),
        evidence: Vec::new(),
    }
}

impl Finding {
    pub(super) fn detail(mut self, text: impl Into<String>) -> Self {
        self.detail = text.into();
        self
    }
    pub(super) fn fix(mut self, text: impl Into<String>) -> Self {
        self.fix = Some(text.into());
        self
    }
    pub(super) fn page(mut self, path: &str, object: &str) -> Self {
        self.setup_path = Some(path.replace("{object}", object));
        self
    }
    pub(super) fn evidence(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(lines);
        self
    }
    pub(super) fn granted_by(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.granted_by.extend(lines);
        self
    }
}

/// A date or dateTime as its day (`2026-11-21`), or the text as it came.
pub(super) fn day(text: &str) -> String {
    crate::request::parse_instant(text)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| text.to_string())
}

/// 1234567 as "1,234,567", the way Setup shows counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn fetch_problem(e: &FetchError) -> String {
    format!("Salesforce answered {}: {}", e.code, e.message)
}

/// "" for one, "s" for more.
pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
