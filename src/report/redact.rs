//! Redaction: a copy of a report without usernames, email addresses, people's names or record
//! values, for sending outside the customer's company. Ids, the org's name and the setup stay.

use super::model::Report;
use serde_json::Value;

pub const USER_HIDDEN: &str = "[user hidden]";
pub const EMAIL_HIDDEN: &str = "[email hidden]";
pub const VALUE_HIDDEN: &str = "[value hidden]";
pub const NAME_HIDDEN: &str = "[name hidden]";

/// Values shorter than this are hidden where they stand but not searched for in other text
/// ("1" or "Yes" would otherwise blank out unrelated words).
const MIN_SEARCHED_VALUE: usize = 4;

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// Replaces anything shaped like an email address (Salesforce usernames are) in `text`.
pub fn hide_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied_to = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > copied_to && is_local_char(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && is_domain_char(chars[end]) {
                end += 1;
            }
            // Trailing dots end a sentence, not a domain.
            while end > i + 1 && chars[end - 1] == '.' {
                end -= 1;
            }
            let domain: String = chars[i + 1..end].iter().collect();
            if start < i && domain.contains('.') {
                out.extend(&chars[copied_to..start]);
                out.push_str(EMAIL_HIDDEN);
                copied_to = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.extend(&chars[copied_to..]);
    out
}

/// Keys whose values are the report's own words (enum names, ids, API names), never a person's
/// or a record's: a record value such as "test" must not turn `test_write` into something else.
const STRUCTURAL_KEYS: [&str; 12] = [
    "schema",
    "verdict",
    "environment",
    "step",
    "status",
    "who",
    "algorithm",
    "id",
    "check_id",
    "record_id",
    "api_name",
    "field_type",
];

fn scrub(value: &mut Value, secrets: &[(String, &'static str)]) {
    match value {
        Value::String(s) => {
            let mut text = s.clone();
            for (secret, placeholder) in secrets {
                if text.contains(secret.as_str()) {
                    text = text.replace(secret.as_str(), placeholder);
                }
            }
            *s = hide_emails(&text);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, secrets)),
        Value::Object(map) => map
            .iter_mut()
            .filter(|(k, _)| !STRUCTURAL_KEYS.contains(&k.as_str()))
            .for_each(|(_, v)| scrub(v, secrets)),
        _ => {}
    }
}

/// The report with usernames, emails, people's names and record values hidden everywhere.
pub fn redact(report: &Report) -> Report {
    let mut r = report.clone();
    r.integrity = None;
    let mut secrets: Vec<(String, &'static str)> = Vec::new();
    let user = |name: &mut String, secrets: &mut Vec<(String, &'static str)>| {
        if !name.is_empty() && name != USER_HIDDEN {
            secrets.push((name.clone(), USER_HIDDEN));
            *name = USER_HIDDEN.to_string();
        }
    };
    user(&mut r.run.logged_in_as, &mut secrets);
    if let Some(u) = r.run.integration_user.as_mut() {
        user(u, &mut secrets);
    }
    for c in r.run.candidates.iter_mut() {
        user(c, &mut secrets);
    }
    for m in r.manual_confirmations.iter_mut() {
        // A note is free text a person typed: it may name anyone.
        m.note = hide_emails(&m.note);
    }
    if let Some(t) = r.test_write.as_mut() {
        if let Some(u) = t.written_as.as_mut() {
            user(u, &mut secrets);
        }
        if let Some(name) = t.record_name.as_mut() {
            if name.chars().count() >= MIN_SEARCHED_VALUE {
                secrets.push((name.clone(), VALUE_HIDDEN));
            }
            *name = VALUE_HIDDEN.to_string();
        }
        for f in t.fields.iter_mut() {
            for v in [&mut f.before, &mut f.written, &mut f.restored]
                .into_iter()
                .flatten()
            {
                if v.chars().count() >= MIN_SEARCHED_VALUE {
                    secrets.push((v.clone(), VALUE_HIDDEN));
                }
                *v = VALUE_HIDDEN.to_string();
            }
        }
    }
    // Longest first, so a value containing another is hidden whole.
    secrets.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut value = serde_json::to_value(&r).unwrap_or(Value::Null);
    scrub(&mut value, &secrets);
    let mut redacted: Report = serde_json::from_value(value).unwrap_or(r);
    redacted.redacted = true;
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_in_text_are_hidden() {
        assert_eq!(
            hide_emails("User integration@acme.com.uat has no Edit."),
            "User [email hidden] has no Edit."
        );
        assert_eq!(hide_emails("a@b"), "a@b");
        assert_eq!(
            hide_emails("@mention and x@y.io"),
            "@mention and [email hidden]"
        );
        assert_eq!(hide_emails("naïve ü@ex.com"), "naïve [email hidden]");
    }
}
