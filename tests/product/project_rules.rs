//! The project's own rules, checked against its source text (no org, no network):
//! - the fidelity ledger (`docs/salesforce-fidelity.md`) lists every error code the simulated
//!   org can send (`errorCode`/`statusCode` values, OAuth `error`s, SOAP fault codes);
//! - every module's `crate::` paths stay within ARCHITECTURE.md's code map, "may use" column.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without its unit tests (from a top-level `#[cfg(test)]` on) and without `//`
/// comments, so that codes only tests or comments mention do not count.
fn code_only(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every string literal of `source` with the text before it on its line (`"..."`, escapes kept).
/// `r#"..."#` raw strings are read like plain ones (the simulator's sources hold none that
/// contain a quote).
fn literals(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut line_start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line_start = i + 1,
            // A char literal such as '"' is not a string.
            b'\'' if i + 2 < bytes.len() && bytes[i + 2] == b'\'' => i += 2,
            b'"' => {
                let before = source[line_start..i].to_string();
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = j.min(bytes.len());
                out.push((before, source[start..end].to_string()));
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Jackson token names that appear inside `JSON_PARSER_ERROR` messages, not codes.
const NOT_CODES: &[&str] = &[
    "VALUE_TRUE",
    "VALUE_FALSE",
    "VALUE_NULL",
    "VALUE_STRING",
    "VALUE_NUMBER_INT",
    "VALUE_NUMBER_FLOAT",
    "START_OBJECT",
    "START_ARRAY",
];

fn is_upper_code(text: &str) -> bool {
    text.contains('_')
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !text.starts_with('_')
        && !text.ends_with('_')
}

/// The plain-text refusals of the `/services/oauth2` resources and the identity URL:
/// capitalised words joined by single underscores (`Bad_OAuth_Token`, `Invalid_Scope`).
fn is_capitalised_code(text: &str) -> bool {
    text.contains('_')
        && text.split('_').all(|word| {
            word.starts_with(|c: char| c.is_ascii_uppercase())
                && word.chars().all(|c| c.is_ascii_alphanumeric())
                && word.chars().any(|c| c.is_ascii_lowercase())
        })
}

fn is_lower_code(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

/// The error codes a simulator source can send: upper-case codes (REST `errorCode`, collection
/// `statusCode`, SOAP `sf:` faults) anywhere in its code, OAuth error codes given to
/// `oauth_error(..)`, `error_page(..)` or as an `("error", ..)` redirect parameter, and the
/// plain-text refusals of the identity, userinfo and singleaccess URLs.
fn emitted_codes(source: &str) -> BTreeSet<String> {
    let code = code_only(source);
    let mut codes = BTreeSet::new();
    for (before, text) in literals(&code) {
        if is_upper_code(&text) && !NOT_CODES.contains(&text.as_str()) {
            codes.insert(text.clone());
        }
        // An OAuth redirect's `("error", "access_denied")` parameter.
        if is_lower_code(&text) && before.trim_end().ends_with("(\"error\",") {
            codes.insert(text.clone());
        }
        if is_capitalised_code(&text) || text.starts_with("soapenv:") {
            codes.insert(text);
        }
    }
    // `oauth_error(` and `error_page(` calls split over lines: the first literal after them.
    for marker in ["oauth_error(", "error_page("] {
        for (at, _) in code.match_indices(marker) {
            let rest = &code[at + marker.len()..];
            if let Some(q) = rest.find('"') {
                let after = &rest[q + 1..];
                if let Some(end) = after.find('"') {
                    let text = &after[..end];
                    if is_lower_code(text)
                        && rest[..q].chars().all(|c| {
                            c.is_ascii_digit()
                                || c.is_whitespace()
                                || c == ','
                                || c.is_ascii_alphabetic()
                        })
                    {
                        codes.insert(text.to_string());
                    }
                }
            }
        }
    }
    codes
}

/// The codes of `emitted` the ledger text does not name as `` `CODE` ``.
fn missing_from_ledger(emitted: &BTreeSet<String>, ledger: &str) -> Vec<String> {
    emitted
        .iter()
        .filter(|code| !ledger.contains(&format!("`{code}`")))
        .cloned()
        .collect()
}

#[test]
fn ledger_lists_every_error_code_the_simulator_can_send() {
    let mut files = Vec::new();
    rust_files(&repo().join("src/sim"), &mut files);
    assert!(files.len() > 5, "no simulator sources found");
    let mut emitted = BTreeSet::new();
    for file in &files {
        let source = fs::read_to_string(file).expect("read a simulator source");
        emitted.extend(emitted_codes(&source));
    }
    for expected in [
        "INVALID_SESSION_ID",
        "NOT_FOUND",
        "invalid_grant",
        "INVALID_AUTH_HEADER",
    ] {
        assert!(
            emitted.contains(expected),
            "the scan missed {expected}: {emitted:?}"
        );
    }
    let ledger = fs::read_to_string(repo().join("docs/salesforce-fidelity.md"))
        .expect("docs/salesforce-fidelity.md");
    let missing = missing_from_ledger(&emitted, &ledger);
    assert!(
        missing.is_empty(),
        "docs/salesforce-fidelity.md does not list these error codes the simulator can send \
         (add each with its source, or UNVERIFIED): {missing:?}"
    );
}

#[test]
fn the_code_scan_finds_codes_in_every_form_and_a_missing_one_fails() {
    let source = r#"
fn a() -> Reply {
    Reply::error(400, "BRAND_NEW_CODE", "message");
    Reply::dml_error(
        400,
        "SPLIT_OVER_LINES",
        format!("Cannot deserialize instance of double from VALUE_STRING value"),
        &[],
    );
    oauth_error(400, "invalid_grant", "authentication failure");
    oauth_error(
        400,
        "redirect_uri_mismatch",
        "redirect_uri must match configuration",
    );
    redirect_with(uri, &[("error", "access_denied")]);
    text_response(403, "text/plain", "Bad_OAuth_Token".into());
    SingleAccess::Refused("Invalid_Scope");
    // "COMMENTED_OUT" is not sent.
}

#[cfg(test)]
mod tests {
    fn t() { Reply::error(400, "ONLY_IN_TESTS", ""); }
}
"#;
    let codes = emitted_codes(source);
    let want: BTreeSet<String> = [
        "BRAND_NEW_CODE",
        "SPLIT_OVER_LINES",
        "invalid_grant",
        "redirect_uri_mismatch",
        "access_denied",
        "Bad_OAuth_Token",
        "Invalid_Scope",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(codes, want);
    let ledger = "| `BRAND_NEW_CODE` | ... |\n`SPLIT_OVER_LINES` `invalid_grant` `redirect_uri_mismatch` `access_denied` `Bad_OAuth_Token` `Invalid_Scope`";
    assert!(missing_from_ledger(&codes, ledger).is_empty());
    let without_one = ledger.replace("`BRAND_NEW_CODE`", "BRAND_NEW_CODE");
    assert_eq!(
        missing_from_ledger(&codes, &without_one),
        vec!["BRAND_NEW_CODE"]
    );
}

// ---------------------------------------------------------------------------------------------
// Module boundaries
// ---------------------------------------------------------------------------------------------

/// ARCHITECTURE.md's code map: module -> the crate modules its "may use" cell names
/// (`everything` for all). Rows that are not Rust modules (`packaging/`) are left out.
fn allowed_uses(architecture: &str) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let mut rows = BTreeMap::new();
    let mut in_map = false;
    for line in architecture.lines() {
        if line.starts_with("## ") {
            in_map = line.trim() == "## Code map";
            continue;
        }
        if !in_map || !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.split(" | ").collect();
        let Some(first) = cells.first() else { continue };
        let module = first
            .trim_start_matches("| ")
            .trim_matches('`')
            .trim_end_matches(".rs")
            .to_string();
        if module.contains('/') || module.contains('`') {
            continue;
        }
        let may_use = cells.last().unwrap_or(&"").trim_end_matches(" |").trim();
        if may_use.contains("everything") {
            rows.insert(module, None);
            continue;
        }
        let named: BTreeSet<String> = may_use
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        rows.insert(module, Some(named));
    }
    rows
}

/// The crate modules `source` names through `crate::` (`use crate::x::..`, `crate::x::f()`,
/// `use crate::{x, y::z}`), among `modules`.
fn crate_uses(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code_only(source);
    let mut used = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end]
                .split(',')
                .map(|item| item.trim().split("::").next().unwrap_or(""))
                .collect()
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            vec![&rest[..end]]
        };
        for name in names {
            if modules.contains(name) {
                used.insert(name.to_string());
            }
        }
    }
    used
}

/// Every use a module makes that its row does not allow: (module, used module).
fn boundary_violations(
    allowed: &BTreeMap<String, Option<BTreeSet<String>>>,
    sources: &BTreeMap<String, Vec<String>>,
) -> Vec<(String, String)> {
    let modules: BTreeSet<String> = allowed.keys().cloned().collect();
    let mut out = Vec::new();
    for (module, texts) in sources {
        let Some(rule) = allowed.get(module) else {
            out.push((module.clone(), "(module missing from the code map)".into()));
            continue;
        };
        let Some(may) = rule else { continue };
        let mut used = BTreeSet::new();
        for text in texts {
            used.extend(crate_uses(text, &modules));
        }
        for name in used {
            if name != *module && !may.contains(&name) {
                out.push((module.clone(), name));
            }
        }
    }
    out
}

/// The source texts per top-level module: `src/<m>.rs` and everything under `src/<m>/`.
fn module_sources() -> BTreeMap<String, Vec<String>> {
    let src = repo().join("src");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(&src)
        .expect("src/")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if name == "lib.rs" {
            continue;
        }
        let module = name.trim_end_matches(".rs").to_string();
        let mut files = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else if name.ends_with(".rs") {
            files.push(path.clone());
        }
        for file in files {
            let text = fs::read_to_string(&file).expect("read a source");
            out.entry(module.clone()).or_default().push(text);
        }
    }
    out
}

#[test]
fn every_module_uses_only_what_architecture_md_allows() {
    let architecture = fs::read_to_string(repo().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let allowed = allowed_uses(&architecture);
    for module in [
        "cli",
        "checks",
        "sim",
        "ui",
        "fix",
        "testwrite",
        "report",
        "main",
    ] {
        assert!(
            allowed.contains_key(module),
            "code map row for {module}: {allowed:?}"
        );
    }
    let violations = boundary_violations(&allowed, &module_sources());
    assert!(
        violations.is_empty(),
        "uses ARCHITECTURE.md's code map (\"may use\") does not allow, as (module, uses): \
         {violations:?}; fix the code or, when the use is right, the table"
    );
}

#[test]
fn a_forbidden_use_fails_the_boundary_check() {
    let architecture = "\
## Code map

| module | status | what it is | may use |
|---|---|---|---|
| `main.rs` | built | entry | `cli` |
| `cli` | built | commands | everything |
| `checks` | built | engine | std, serde, `profile`, `request` |
| `profile` | built | profiles | serde, toml |
| `request` | built | shared | std |
| `salesforce` | built | client | reqwest |
| `packaging/`, `assets/icon.svg` | built | not Rust | - |

## Invariants
";
    let allowed = allowed_uses(architecture);
    assert_eq!(
        allowed.keys().cloned().collect::<Vec<_>>(),
        ["checks", "cli", "main", "profile", "request", "salesforce"]
    );
    let sources = |checks: &str| {
        let mut s = BTreeMap::new();
        s.insert("checks".to_string(), vec![checks.to_string()]);
        s.insert(
            "cli".to_string(),
            vec!["use crate::salesforce::Client;".to_string()],
        );
        s.insert(
            "main".to_string(),
            vec!["writeback_setup::cli::run()".to_string()],
        );
        s
    };
    let fine = "use crate::profile::Profile;\nuse crate::request::soql;\n// crate::salesforce in a comment\n";
    assert!(boundary_violations(&allowed, &sources(fine)).is_empty());
    let forbidden = "use crate::profile::Profile;\nuse crate::salesforce::Client;\n";
    assert_eq!(
        boundary_violations(&allowed, &sources(forbidden)),
        vec![("checks".to_string(), "salesforce".to_string())]
    );
    let grouped = "use crate::{profile, salesforce::Client};\n";
    assert_eq!(
        boundary_violations(&allowed, &sources(grouped)),
        vec![("checks".to_string(), "salesforce".to_string())]
    );
    let inline = "fn f() { crate::salesforce::call(); }\n";
    assert_eq!(
        boundary_violations(&allowed, &sources(inline)),
        vec![("checks".to_string(), "salesforce".to_string())]
    );
}

// ---------------------------------------------------------------------------------------------
// House rules as clippy lints
// ---------------------------------------------------------------------------------------------

/// The house rules clippy enforces (CI runs `cargo clippy --all-targets -- -D warnings`) stay
/// configured: no `unwrap()` outside tests, no unnamed threads, long functions flagged.
#[test]
fn clippy_enforces_the_house_rules() {
    let cargo = fs::read_to_string(repo().join("Cargo.toml")).expect("Cargo.toml");
    let lints = cargo
        .split("[lints.clippy]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("Cargo.toml has a [lints.clippy] table");
    for rule in [
        "unwrap_used = \"deny\"",
        "disallowed_methods = \"deny\"",
        "too_many_lines = \"warn\"",
    ] {
        assert!(lints.contains(rule), "[lints.clippy] lacks `{rule}`");
    }
    let clippy = fs::read_to_string(repo().join("clippy.toml")).expect("clippy.toml");
    let config: toml::Table = clippy.parse().expect("clippy.toml is TOML");
    assert_eq!(
        config.get("allow-unwrap-in-tests"),
        Some(&toml::Value::Boolean(true))
    );
    let disallowed: Vec<&str> = config
        .get("disallowed-methods")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("path").and_then(toml::Value::as_str))
        .collect();
    assert!(
        disallowed.contains(&"std::thread::spawn"),
        "clippy.toml must disallow std::thread::spawn: {disallowed:?}"
    );
}
