//! Salesforce API name syntax for objects and fields.

/// Longest name Salesforce allows, not counting a namespace prefix or the `__c` suffix.
const MAX_NAME: usize = 40;
/// Longest namespace prefix Salesforce allows.
const MAX_NAMESPACE: usize = 15;

/// Validates a field or object API name: letters, digits, underscores; starts with a letter; no
/// "__" except as "ns__Name__c" or a trailing "__c"; no trailing "_"; <= 40 chars before "__c"
/// (not counting a namespace prefix, which may have up to 15).
///
/// The error completes the sentence "'<name>' is not a valid API name: ...".
pub fn validate_api_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        let shown = if bad == ' ' {
            "spaces are".to_string()
        } else {
            format!("'{bad}' is")
        };
        return Err(format!(
            "it may contain only letters, digits and underscores ({shown} not allowed)"
        ));
    }
    let (body, custom) = match name.len().checked_sub(3) {
        Some(cut) if name[cut..].eq_ignore_ascii_case("__c") => (&name[..cut], true),
        _ => (name, false),
    };
    if body.is_empty() {
        return Err("it has no name before '__c'".into());
    }
    let parts: Vec<&str> = body.split("__").collect();
    let (namespace, base) = match parts.as_slice() {
        [base] => (None, *base),
        [namespace, base] if custom => (Some(*namespace), *base),
        [_, _] => {
            return Err(
                "'__' may appear only after a namespace prefix of a custom name \
                 (ns__Name__c) or in the trailing '__c'"
                    .into(),
            )
        }
        _ => {
            return Err("'__' may appear only once before the trailing '__c' (ns__Name__c)".into())
        }
    };
    if let Some(namespace) = namespace {
        check_part(namespace, "the namespace prefix")?;
        if namespace.len() > MAX_NAMESPACE {
            return Err(format!(
                "the namespace prefix '{namespace}' is {} characters long; the limit is \
                 {MAX_NAMESPACE}",
                namespace.len()
            ));
        }
    }
    let what = if namespace.is_some() {
        "the name after the namespace prefix"
    } else {
        "it"
    };
    check_part(base, what)?;
    if base.len() > MAX_NAME {
        let what = if custom { " before '__c'" } else { "" };
        return Err(format!(
            "it is {} characters long{what}; the limit is {MAX_NAME}",
            base.len()
        ));
    }
    Ok(())
}

fn check_part(part: &str, what: &str) -> Result<(), String> {
    match part.chars().next() {
        None => return Err(format!("{what} is empty")),
        Some(c) if !c.is_ascii_alphabetic() => {
            return Err(format!("{what} must start with a letter"));
        }
        _ => {}
    }
    if part.ends_with('_') {
        return Err(format!("{what} must not end with '_'"));
    }
    if part.contains("__") {
        return Err("'__' may appear only once before the trailing '__c' (ns__Name__c)".into());
    }
    Ok(())
}

/// A namespace prefix of a managed package: letters, digits, single underscores, starts with a
/// letter, at most 15 characters.
pub(crate) fn validate_namespace(namespace: &str) -> Result<(), String> {
    if let Some(bad) = namespace
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(format!(
            "it may contain only letters, digits and underscores ('{bad}' is not allowed)"
        ));
    }
    check_part(namespace, "it")?;
    if namespace.len() > MAX_NAMESPACE {
        return Err(format!(
            "it is {} characters long; the limit is {MAX_NAMESPACE}",
            namespace.len()
        ));
    }
    Ok(())
}
