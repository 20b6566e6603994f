//! Where to log in: turns the org address an admin pasted (any page of their org) or the
//! Production / Sandbox choice into the OAuth login host, or says why not and what to paste.
//!
//! Pure string work, no IO. Hosts follow Salesforce's My Domain URL formats (enhanced domains and
//! the older forms) and the gov / China variants that sfdx-core knows.

use std::fmt::Display;
use url::{Host, Url};

/// What the admin chose on the login page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginTarget {
    /// `https://login.salesforce.com`.
    Production,
    /// `https://test.salesforce.com`.
    Sandbox,
    /// An address typed or pasted by the admin: any page of their org.
    Url(String),
}

/// Where to log in, and what kind of org it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginHost {
    /// e.g. "https://login.salesforce.com", "https://test.salesforce.com",
    /// "https://acme.my.salesforce.com" (scheme and host, no path, no trailing slash).
    pub login_url: String,
    /// True for test.salesforce.com and sandbox My Domains (the `.sandbox.` label). Older
    /// `*.csNN.my.salesforce.com` hosts and instance hosts don't say, so they count as false.
    pub sandbox: bool,
    /// A note to show the admin when the input was rewritten, e.g. "The Lightning address was
    /// turned into your My Domain login: …".
    pub note: Option<String>,
}

/// Why an address can't be used to log in; the text says what to paste instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoginUrlError(pub String);

/// Longest address read (browsers and Salesforce cap URLs near this); longer input is not an
/// address someone pasted.
pub const MAX_ADDRESS_CHARS: usize = 2048;

const PRODUCTION_URL: &str = "https://login.salesforce.com";
const SANDBOX_URL: &str = "https://test.salesforce.com";
const EXAMPLE: &str = "https://yourcompany.my.salesforce.com";

/// Salesforce's partition labels of enhanced My Domains (`name.<partition>.my.salesforce.com`).
const PARTITIONS: [&str; 7] = [
    "sandbox",
    "develop",
    "scratch",
    "patch",
    "trailblaze",
    "demo",
    "free",
];

/// A My Domain family: the login domain suffix and the suffixes that map onto it.
struct Family {
    my: &'static str,
    lightning: &'static str,
    setup: Option<&'static str>,
}

const FAMILIES: [Family; 3] = [
    Family {
        my: "my.salesforce.com",
        lightning: "lightning.force.com",
        setup: Some("my.salesforce-setup.com"),
    },
    Family {
        my: "my.salesforce.mil",
        lightning: "lightning.crmforce.mil",
        setup: None,
    },
    Family {
        my: "my.sfcrmproducts.cn",
        lightning: "lightning.sfcrmapps.cn",
        setup: None,
    },
];

/// Experience Cloud and Salesforce Sites domains (checked after every other `force.com` host).
const SITE_SUFFIXES: [&str; 4] = [
    "my.site.com",
    "my.salesforce-sites.com",
    "salesforce-sites.com",
    "force.com",
];

/// Where to log in for `target`.
///
/// For the loopback tests, a plain `http://127.0.0.1:PORT` or `http://localhost:PORT` base (the
/// simulated org) is accepted as-is (path dropped).
pub fn login_host(target: &LoginTarget) -> Result<LoginHost, LoginUrlError> {
    match target {
        LoginTarget::Production => Ok(production(None)),
        LoginTarget::Sandbox => Ok(sandbox(None)),
        LoginTarget::Url(input) => from_input(input),
    }
}

fn production(note: Option<String>) -> LoginHost {
    LoginHost {
        login_url: PRODUCTION_URL.into(),
        sandbox: false,
        note,
    }
}

fn sandbox(note: Option<String>) -> LoginHost {
    LoginHost {
        login_url: SANDBOX_URL.into(),
        sandbox: true,
        note,
    }
}

/// The error for `what` (what the input is), followed by what to paste instead.
fn reject(what: impl Display) -> LoginUrlError {
    LoginUrlError(format!(
        "{what} Paste the address of your org, like {EXAMPLE}, or choose Production or Sandbox."
    ))
}

fn from_input(input: &str) -> Result<LoginHost, LoginUrlError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(reject("No address was entered."));
    }
    let shown = crate::echo::quoted(trimmed);
    let length = trimmed.chars().count();
    if length > MAX_ADDRESS_CHARS {
        return Err(reject(format!(
            "'{shown}' is {length} characters long; an org address is at most {MAX_ADDRESS_CHARS}."
        )));
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(reject(format!(
            "'{shown}' contains spaces; an org address has none."
        )));
    }
    let with_scheme = match trimmed.find("://") {
        Some(at) => {
            let scheme = &trimmed[..at];
            let plausible = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !plausible {
                return Err(reject(format!("'{shown}' is not a web address.")));
            }
            trimmed.to_string()
        }
        None if trimmed.starts_with("//") => format!("https:{trimmed}"),
        None => format!("https://{trimmed}"),
    };
    let url = Url::parse(&with_scheme).map_err(|e| match e {
        url::ParseError::EmptyHost => reject(format!("'{shown}' has no host name.")),
        _ => reject(format!("'{shown}' is not a web address.")),
    })?;
    let scheme = url.scheme();
    if scheme != "https" && scheme != "http" {
        return Err(reject(format!(
            "'{shown}' uses {scheme}:, but an org address starts with https://."
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(reject(format!(
            "'{shown}' looks like a user name or email address; you type that on the Salesforce \
             login page, not here."
        )));
    }
    let extra = !(url.path().is_empty() || url.path() == "/")
        || url.query().is_some()
        || url.fragment().is_some();
    let domain = match url.host() {
        None => return Err(reject(format!("'{shown}' has no host name."))),
        Some(Host::Domain(domain)) => domain.trim_end_matches('.').to_ascii_lowercase(),
        Some(Host::Ipv4(ip)) if ip.is_loopback() => return Ok(loopback(&url, extra)),
        Some(Host::Ipv6(ip)) if ip.is_loopback() => return Ok(loopback(&url, extra)),
        Some(_) => {
            return Err(reject(format!(
                "'{shown}' is an IP address; Salesforce orgs are reached by name, not by IP."
            )))
        }
    };
    if domain == "localhost" {
        return Ok(loopback(&url, extra));
    }
    let found = classify(&domain, &shown)?;
    if scheme == "http" {
        return Err(reject(format!(
            "'{shown}' uses http; Salesforce needs https ({}).",
            found.login_url
        )));
    }
    if url.port().is_some() {
        return Err(reject(format!(
            "'{shown}' has a port number; Salesforce org addresses have none."
        )));
    }
    let mut notes: Vec<String> = found.note.into_iter().collect();
    if extra && !found.rewritten {
        notes.insert(
            0,
            format!(
                "Only the org's address is used; the page path was dropped: {}.",
                found.login_url
            ),
        );
    }
    Ok(LoginHost {
        login_url: found.login_url,
        sandbox: found.sandbox,
        note: (!notes.is_empty()).then(|| notes.join(" ")),
    })
}

/// The simulated org (or any local test server): scheme, host and port, as typed.
fn loopback(url: &Url, extra: bool) -> LoginHost {
    let login_url = url.origin().ascii_serialization();
    let note = extra.then(|| {
        format!("Only the address up to the port is used; the path was dropped: {login_url}.")
    });
    LoginHost {
        login_url,
        sandbox: false,
        note,
    }
}

/// A Salesforce host worked out from the input.
struct Found {
    login_url: String,
    sandbox: bool,
    note: Option<String>,
    /// The host itself was changed (the note already says what is used).
    rewritten: bool,
}

impl Found {
    fn kept(host: &str, sandbox: bool) -> Found {
        Found {
            login_url: format!("https://{host}"),
            sandbox,
            note: None,
            rewritten: false,
        }
    }

    fn rewritten(host: &str, sandbox: bool, what: &str) -> Found {
        let login_url = format!("https://{host}");
        Found {
            note: Some(format!(
                "The {what} address was turned into your My Domain login: {login_url}."
            )),
            login_url,
            sandbox,
            rewritten: true,
        }
    }
}

/// `name` or `name.partition` in front of a My Domain suffix.
struct Prefix<'a> {
    name: &'a str,
    partition: Option<&'a str>,
}

impl Prefix<'_> {
    fn sandbox(&self) -> bool {
        self.partition == Some("sandbox")
    }

    /// The partition, kept only when it is one of Salesforce's enhanced-domain labels (an older
    /// instance label such as `cs42` is dropped when rewriting).
    fn known_partition(&self) -> Option<&str> {
        self.partition.filter(|p| PARTITIONS.contains(p))
    }
}

fn classify(host: &str, shown: &str) -> Result<Found, LoginUrlError> {
    match host {
        "login.salesforce.com" => {
            return Ok(Found::kept("login.salesforce.com", false));
        }
        "test.salesforce.com" => return Ok(Found::kept("test.salesforce.com", true)),
        _ => {}
    }
    let incomplete = || {
        reject(format!(
            "'{shown}' is not a complete My Domain address; it needs your My Domain name in \
             front, like {EXAMPLE}."
        ))
    };
    for family in &FAMILIES {
        let suffixes = [Some(family.my), Some(family.lightning), family.setup];
        if suffixes.contains(&Some(host)) {
            return Err(incomplete());
        }
        if let Some(prefix) = under(host, family.my) {
            let prefix = parse_prefix(prefix).ok_or_else(incomplete)?;
            return Ok(Found::kept(host, prefix.sandbox()));
        }
        for (suffix, what) in [
            (Some(family.lightning), "Lightning"),
            (family.setup, "Setup"),
        ] {
            let Some(prefix) = suffix.and_then(|s| under(host, s)) else {
                continue;
            };
            let prefix = parse_prefix(prefix).ok_or_else(incomplete)?;
            let login = my_domain(prefix.name, prefix.partition, family.my);
            return Ok(Found::rewritten(&login, prefix.sandbox(), what));
        }
    }
    if let Some(found) = content_host(host, shown)? {
        return Ok(found);
    }
    if SITE_SUFFIXES.iter().any(|s| under(host, s).is_some()) {
        return Err(reject(format!(
            "'{shown}' is an Experience Cloud site address, not your org's login. Use your \
             org's My Domain instead (Setup > My Domain shows it)."
        )));
    }
    if let Some(label) = under(host, "salesforce.com") {
        if is_instance(label) {
            let mut found = Found::kept(host, false);
            found.note = Some(format!(
                "Logging in at {}: instance URLs work, but My Domain is more reliable; if your \
                 org has one (Setup > My Domain), use it instead, like {EXAMPLE}.",
                found.login_url
            ));
            return Ok(found);
        }
    }
    if host == "salesforce.com" || host == "www.salesforce.com" {
        return Err(reject(format!(
            "'{shown}' is Salesforce's public website, not your org."
        )));
    }
    if under(host, "salesforce.com").is_some() {
        return Err(reject(format!(
            "'{shown}' is a Salesforce website, not your org's address."
        )));
    }
    if valid_label(host) {
        return Err(reject(format!(
            "'{shown}' is not a complete address; if {host} is your My Domain name, paste \
             https://{host}.my.salesforce.com."
        )));
    }
    Err(reject(format!("'{shown}' is not a Salesforce address.")))
}

/// Visualforce, legacy Visualforce and content (file) hosts, mapped to the org's My Domain.
fn content_host(host: &str, shown: &str) -> Result<Option<Found>, LoginUrlError> {
    const MY: &str = "my.salesforce.com";
    let unknown = || {
        reject(format!(
            "'{shown}' is a Visualforce or file address, but the My Domain name can't be read \
             from it."
        ))
    };
    // Content files: no package part.
    if let Some(prefix) = under(host, "file.force.com") {
        let prefix = parse_prefix(prefix).ok_or_else(unknown)?;
        let login = my_domain(prefix.name, prefix.known_partition(), MY);
        return Ok(Some(Found::rewritten(&login, prefix.sandbox(), "file")));
    }
    // Visualforce and legacy content: `name[--sandbox]--package`.
    for suffix in ["vf.force.com", "visualforce.com", "documentforce.com"] {
        let Some(prefix) = under(host, suffix) else {
            continue;
        };
        let prefix = parse_prefix(prefix).ok_or_else(unknown)?;
        let name = strip_package(prefix.name, prefix.sandbox()).ok_or_else(unknown)?;
        let login = my_domain(name, prefix.known_partition(), MY);
        return Ok(Some(Found::rewritten(
            &login,
            prefix.sandbox(),
            "Visualforce",
        )));
    }
    // Legacy instanced Visualforce: `name--package.na123.visual.force.com`, or
    // `c.na123.visual.force.com` for an org without My Domain.
    if let Some(prefix) = under(host, "visual.force.com") {
        let prefix = parse_prefix(prefix).ok_or_else(unknown)?;
        if prefix.name.contains("--") {
            let name = strip_package(prefix.name, false).ok_or_else(unknown)?;
            let login = my_domain(name, None, MY);
            return Ok(Some(Found::rewritten(&login, false, "Visualforce")));
        }
        let instance = prefix
            .partition
            .filter(|p| is_instance(p))
            .ok_or_else(unknown)?;
        let login_url = format!("https://{instance}.salesforce.com");
        return Ok(Some(Found {
            note: Some(format!(
                "The Visualforce address was turned into your org's instance, {login_url}: \
                 instance URLs work, but My Domain is more reliable; if your org has one (Setup \
                 > My Domain), use it instead, like {EXAMPLE}."
            )),
            login_url,
            sandbox: false,
            rewritten: true,
        }));
    }
    Ok(None)
}

/// Drops the package part (`--c` or `--namespace`) from a Visualforce name. In a sandbox host the
/// name is `mydomain--sandbox--package`; a bare `mydomain--sandbox` is kept.
fn strip_package(name: &str, sandbox: bool) -> Option<&str> {
    let parts = name.split("--").count();
    if parts == 1 || (sandbox && parts == 2) {
        return Some(name);
    }
    let (kept, package) = name.rsplit_once("--")?;
    let max_parts = if sandbox { 3 } else { 2 };
    (parts <= max_parts && is_namespace(package)).then_some(kept)
}

/// `name[.partition].suffix`.
fn my_domain(name: &str, partition: Option<&str>, suffix: &str) -> String {
    match partition {
        Some(partition) => format!("{name}.{partition}.{suffix}"),
        None => format!("{name}.{suffix}"),
    }
}

/// What comes before `.suffix` in `host`, if `host` is under `suffix`.
fn under<'a>(host: &'a str, suffix: &str) -> Option<&'a str> {
    host.strip_suffix(suffix)?
        .strip_suffix('.')
        .filter(|p| !p.is_empty())
}

/// `name` or `name.partition`, each a valid host label.
fn parse_prefix(prefix: &str) -> Option<Prefix<'_>> {
    let mut labels = prefix.split('.');
    let name = labels.next()?;
    let partition = labels.next();
    if labels.next().is_some() || !valid_label(name) || !partition.is_none_or(valid_label) {
        return None;
    }
    Some(Prefix { name, partition })
}

fn valid_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A package namespace as it appears in a host: `c`, or letters and digits starting with a letter.
fn is_namespace(label: &str) -> bool {
    (1..=15).contains(&label.len())
        && label.starts_with(|c: char| c.is_ascii_lowercase())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// An instance name such as `na123`, `eu45`, `cs42`, `ap5`, `um1`, `usa2s`.
fn is_instance(label: &str) -> bool {
    let letters = label.bytes().take_while(u8::is_ascii_lowercase).count();
    let rest = &label.as_bytes()[letters..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let tail = &rest[digits..];
    (2..=4).contains(&letters)
        && (1..=3).contains(&digits)
        && (tail.is_empty() || (tail.len() == 1 && tail[0].is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHAT_TO_DO: &str = "Paste the address of your org, like \
        https://yourcompany.my.salesforce.com, or choose Production or Sandbox.";

    enum Want {
        /// login_url, sandbox, a piece of the note (None: no note).
        Ok(&'static str, bool, Option<&'static str>),
        /// Pieces of the error text.
        Err(&'static [&'static str]),
    }

    use Want::{Err as No, Ok as Yes};

    const LIGHTNING: Option<&str> = Some("The Lightning address was turned into your My Domain");
    const PATH: Option<&str> = Some("the page path was dropped");
    const INSTANCE: Option<&str> = Some("instance URLs work, but My Domain is more reliable");
    const VF: Option<&str> = Some("The Visualforce address was turned into your My Domain");

    fn table() -> Vec<(&'static str, Want)> {
        vec![
            // My Domain and its kinds, kept.
            (
                "acme.my.salesforce.com",
                Yes("https://acme.my.salesforce.com", false, None),
            ),
            (
                "  https://acme.my.salesforce.com/ \n",
                Yes("https://acme.my.salesforce.com", false, None),
            ),
            (
                "HTTPS://ACME.My.Salesforce.COM",
                Yes("https://acme.my.salesforce.com", false, None),
            ),
            (
                "acme.my.salesforce.com.",
                Yes("https://acme.my.salesforce.com", false, None),
            ),
            (
                "https://acme.my.salesforce.com:443",
                Yes("https://acme.my.salesforce.com", false, None),
            ),
            (
                "//acme.my.salesforce.com",
                Yes("https://acme.my.salesforce.com", false, None),
            ),
            (
                "https://acme.my.salesforce.com/lightning/setup/SetupOneHome/home",
                Yes("https://acme.my.salesforce.com", false, PATH),
            ),
            (
                "https://acme.my.salesforce.com/?a=1#x",
                Yes("https://acme.my.salesforce.com", false, PATH),
            ),
            (
                "acme-dev-ed.develop.my.salesforce.com",
                Yes("https://acme-dev-ed.develop.my.salesforce.com", false, None),
            ),
            (
                "https://Acme--UAT.sandbox.my.salesforce.com/home",
                Yes("https://acme--uat.sandbox.my.salesforce.com", true, PATH),
            ),
            (
                "acme.scratch.my.salesforce.com",
                Yes("https://acme.scratch.my.salesforce.com", false, None),
            ),
            (
                "acme--uat.cs42.my.salesforce.com",
                Yes("https://acme--uat.cs42.my.salesforce.com", false, None),
            ),
            // Lightning hosts -> My Domain.
            (
                "https://acme.lightning.force.com/lightning/page/home",
                Yes("https://acme.my.salesforce.com", false, LIGHTNING),
            ),
            (
                "acme--uat.sandbox.lightning.force.com",
                Yes(
                    "https://acme--uat.sandbox.my.salesforce.com",
                    true,
                    LIGHTNING,
                ),
            ),
            (
                "acme-dev-ed.develop.lightning.force.com",
                Yes(
                    "https://acme-dev-ed.develop.my.salesforce.com",
                    false,
                    LIGHTNING,
                ),
            ),
            (
                "acme.scratch.lightning.force.com",
                Yes("https://acme.scratch.my.salesforce.com", false, LIGHTNING),
            ),
            // Setup, Visualforce and file hosts -> My Domain.
            (
                "https://acme.my.salesforce-setup.com/lightning/setup/Home",
                Yes(
                    "https://acme.my.salesforce.com",
                    false,
                    Some("The Setup address was turned"),
                ),
            ),
            (
                "acme--uat.sandbox.my.salesforce-setup.com",
                Yes(
                    "https://acme--uat.sandbox.my.salesforce.com",
                    true,
                    Some("Setup address"),
                ),
            ),
            (
                "https://acme--c.vf.force.com/apex/MyPage?id=1",
                Yes("https://acme.my.salesforce.com", false, VF),
            ),
            (
                "acme--uat--c.sandbox.vf.force.com",
                Yes("https://acme--uat.sandbox.my.salesforce.com", true, VF),
            ),
            (
                "acme--uat.sandbox.vf.force.com",
                Yes("https://acme--uat.sandbox.my.salesforce.com", true, VF),
            ),
            (
                "acme-dev-ed--c.develop.vf.force.com",
                Yes("https://acme-dev-ed.develop.my.salesforce.com", false, VF),
            ),
            (
                "acme--c.visualforce.com",
                Yes("https://acme.my.salesforce.com", false, VF),
            ),
            (
                "acme--myns1.visualforce.com",
                Yes("https://acme.my.salesforce.com", false, VF),
            ),
            (
                "acme--c.documentforce.com",
                Yes("https://acme.my.salesforce.com", false, VF),
            ),
            (
                "acme--c.na123.visual.force.com",
                Yes("https://acme.my.salesforce.com", false, VF),
            ),
            (
                "c.na123.visual.force.com",
                Yes("https://na123.salesforce.com", false, INSTANCE),
            ),
            (
                "acme.file.force.com",
                Yes(
                    "https://acme.my.salesforce.com",
                    false,
                    Some("The file address was turned"),
                ),
            ),
            (
                "acme--uat.sandbox.file.force.com",
                Yes(
                    "https://acme--uat.sandbox.my.salesforce.com",
                    true,
                    Some("file address"),
                ),
            ),
            // Government and China.
            (
                "acme.my.salesforce.mil",
                Yes("https://acme.my.salesforce.mil", false, None),
            ),
            (
                "acme.lightning.crmforce.mil",
                Yes("https://acme.my.salesforce.mil", false, LIGHTNING),
            ),
            (
                "acme--uat.sandbox.lightning.crmforce.mil",
                Yes(
                    "https://acme--uat.sandbox.my.salesforce.mil",
                    true,
                    LIGHTNING,
                ),
            ),
            (
                "acme.my.sfcrmproducts.cn",
                Yes("https://acme.my.sfcrmproducts.cn", false, None),
            ),
            (
                "acme.lightning.sfcrmapps.cn",
                Yes("https://acme.my.sfcrmproducts.cn", false, LIGHTNING),
            ),
            // Instances.
            (
                "na123.salesforce.com",
                Yes("https://na123.salesforce.com", false, INSTANCE),
            ),
            (
                "https://eu45.salesforce.com/home/home.jsp",
                Yes("https://eu45.salesforce.com", false, INSTANCE),
            ),
            (
                "usa2s.salesforce.com",
                Yes("https://usa2s.salesforce.com", false, INSTANCE),
            ),
            // The generic login hosts.
            (
                "login.salesforce.com",
                Yes("https://login.salesforce.com", false, None),
            ),
            (
                "https://LOGIN.salesforce.com/",
                Yes("https://login.salesforce.com", false, None),
            ),
            (
                "https://test.salesforce.com",
                Yes("https://test.salesforce.com", true, None),
            ),
            (
                "https://test.salesforce.com/?locale=fr",
                Yes("https://test.salesforce.com", true, PATH),
            ),
            // The simulated org.
            (
                "http://127.0.0.1:4000",
                Yes("http://127.0.0.1:4000", false, None),
            ),
            (
                "http://localhost:1717",
                Yes("http://localhost:1717", false, None),
            ),
            (
                "http://LOCALHOST:1717/",
                Yes("http://localhost:1717", false, None),
            ),
            ("http://[::1]:8080", Yes("http://[::1]:8080", false, None)),
            (
                "http://127.0.0.1:4000/services/oauth2/authorize?x=1",
                Yes("http://127.0.0.1:4000", false, Some("the path was dropped")),
            ),
            // Rejected.
            ("", No(&["No address was entered"])),
            ("   \t", No(&["No address was entered"])),
            ("https://", No(&["has no host name"])),
            ("acme .my.salesforce.com", No(&["contains spaces"])),
            (
                "https://acme.my.salesforce.com/some page",
                No(&["contains spaces"]),
            ),
            (
                "http://acme.my.salesforce.com",
                No(&["uses http", "needs https (https://acme.my.salesforce.com)"]),
            ),
            ("ftp://acme.my.salesforce.com", No(&["uses ftp:"])),
            ("file:///etc/passwd", No(&["uses file:"])),
            ("javascript:alert(1)", No(&["is not a web address"])),
            ("https://10.1.2.3", No(&["IP address", "reached by name"])),
            ("http://192.168.0.5:8080", No(&["IP address"])),
            ("admin@acme.com", No(&["user name or email address"])),
            ("https://acme.my.salesforce.com:8443", No(&["port number"])),
            ("salesforce.com", No(&["Salesforce's public website"])),
            (
                "https://www.salesforce.com/products/",
                No(&["Salesforce's public website"]),
            ),
            (
                "help.salesforce.com",
                No(&["a Salesforce website, not your org"]),
            ),
            (
                "https://acme.my.site.com/s/",
                No(&["Experience Cloud site address", "Setup > My Domain"]),
            ),
            ("acme.force.com", No(&["Experience Cloud site address"])),
            (
                "acme.secure.force.com",
                No(&["Experience Cloud site address"]),
            ),
            (
                "acme.my.salesforce-sites.com",
                No(&["Experience Cloud site address"]),
            ),
            (
                "my.salesforce.com",
                No(&["needs your My Domain name in front"]),
            ),
            (
                "https://lightning.force.com",
                No(&["needs your My Domain name in front"]),
            ),
            (
                "a.b.c.my.salesforce.com",
                No(&["not a complete My Domain address"]),
            ),
            (
                "acme.b.c.lightning.force.com",
                No(&["not a complete My Domain address"]),
            ),
            (
                "acme--1x.vf.force.com",
                No(&["My Domain name can't be read"]),
            ),
            ("acme", No(&["paste https://acme.my.salesforce.com"])),
            ("example.com", No(&["not a Salesforce address"])),
            ("http://example.com", No(&["not a Salesforce address"])),
            (
                "acme.my.salesforce.com.evil.com",
                No(&["not a Salesforce address"]),
            ),
        ]
    }

    #[test]
    fn the_two_choices() {
        let prod = login_host(&LoginTarget::Production).unwrap();
        assert_eq!(prod.login_url, "https://login.salesforce.com");
        assert!(!prod.sandbox);
        assert_eq!(prod.note, None);
        let sandbox = login_host(&LoginTarget::Sandbox).unwrap();
        assert_eq!(sandbox.login_url, "https://test.salesforce.com");
        assert!(sandbox.sandbox);
        assert_eq!(sandbox.note, None);
    }

    #[test]
    fn typed_login_hosts_equal_the_choices() {
        let typed = login_host(&LoginTarget::Url("login.salesforce.com".into()));
        assert_eq!(typed, login_host(&LoginTarget::Production));
        let typed = login_host(&LoginTarget::Url("https://test.salesforce.com/".into()));
        assert_eq!(typed, login_host(&LoginTarget::Sandbox));
    }

    #[test]
    fn every_input_of_the_table() {
        let table = table();
        assert!(table.len() >= 25);
        let mut failures = Vec::new();
        for (input, want) in &table {
            let got = login_host(&LoginTarget::Url(input.to_string()));
            let ok = match (want, &got) {
                (Yes(url, sandbox, note), Ok(host)) => {
                    host.login_url == *url
                        && host.sandbox == *sandbox
                        && match (note, &host.note) {
                            (None, None) => true,
                            (Some(piece), Some(text)) => {
                                text.contains(piece) && text.contains(&host.login_url)
                            }
                            _ => false,
                        }
                }
                (No(pieces), Err(LoginUrlError(text))) => {
                    pieces.iter().all(|p| text.contains(p)) && text.ends_with(WHAT_TO_DO)
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("{input:?} -> {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn long_input_is_shortened_in_the_error() {
        let input = format!("https://example.com/{}", "a".repeat(500));
        let error = login_host(&LoginTarget::Url(input)).unwrap_err();
        assert!(error.0.contains('…'));
        assert!(error.0.len() < 400, "{}", error.0);
    }

    #[test]
    fn address_length_at_the_bound_is_read_and_one_more_is_refused() {
        let base = "https://acme.my.salesforce.com/";
        let at_bound = format!("{base}{}", "a".repeat(MAX_ADDRESS_CHARS - base.len()));
        let host = login_host(&LoginTarget::Url(at_bound)).unwrap();
        assert_eq!(host.login_url, "https://acme.my.salesforce.com");
        let past = format!("{base}{}", "a".repeat(MAX_ADDRESS_CHARS + 1 - base.len()));
        let error = login_host(&LoginTarget::Url(past)).unwrap_err();
        assert!(error.0.contains("2049 characters long"), "{}", error.0);
    }

    #[test]
    fn control_characters_and_tokens_in_the_input_are_not_echoed() {
        let error = login_host(&LoginTarget::Url(
            "acme\u{1b}]0;owned\u{7} 00D5g000000AbCdE!AQ4AQFakeToken.value_1".into(),
        ))
        .unwrap_err();
        assert!(!error.0.contains('\u{1b}'), "{}", error.0);
        assert!(!error.0.contains("AQ4AQFakeToken"), "{}", error.0);
    }

    #[test]
    fn instance_note_names_both_dropped_path_and_my_domain() {
        let host = login_host(&LoginTarget::Url(
            "https://eu45.salesforce.com/home/home.jsp".into(),
        ))
        .unwrap();
        let note = host.note.unwrap();
        assert!(note.contains("the page path was dropped"), "{note}");
        assert!(note.contains("Setup > My Domain"), "{note}");
    }
}
