//! The one error type of the Salesforce client, and how Salesforce's error answers (JSON arrays,
//! single objects, OAuth errors, HTML pages) become it.

use serde_json::Value;

/// Everything that can go wrong when talking to Salesforce.
///
/// No variant ever holds an access token: the client scrubs the token out of every error it builds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SfError {
    /// Could not reach Salesforce (DNS, refused, timeout, connection dropped).
    #[error("could not reach Salesforce: {message}")]
    Transport { message: String },
    /// Salesforce's own error: errorCode, message, fields (both envelopes: array or single object).
    #[error("Salesforce answered {status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        fields: Vec<String>,
    },
    /// An OAuth endpoint error (`{"error","error_description"}`).
    #[error("Salesforce OAuth error {status} {error}: {description}")]
    OAuth {
        status: u16,
        error: String,
        description: String,
    },
    /// A SOAP fault (faultcode without the "sf:" prefix, faultstring).
    #[error("Metadata API fault {code}: {message}")]
    SoapFault { code: String, message: String },
    /// An HTML page or other non-JSON answer where JSON was expected (wrong host, proxy,
    /// maintenance page).
    #[error(
        "the server did not answer like Salesforce (HTTP {status}, {content_type}): {excerpt}"
    )]
    NotSalesforce {
        status: u16,
        content_type: String,
        excerpt: String,
    },
    /// The answer was not what Salesforce sends (malformed JSON, missing keys).
    #[error("unexpected answer from Salesforce ({what}): {message}")]
    Decode { what: String, message: String },
    /// Bad input from the user (URL, ids); says what to do.
    #[error("{message}")]
    InvalidInput { message: String },
    /// The org's API versions (`GET /services/data/`) include none the app can use.
    #[error("the org serves API versions {served}, none of them one this app uses ({wanted})")]
    NoUsableVersion { served: String, wanted: String },
}

const REST_SESSION_MESSAGE: &str = "not valid for use with the REST API";

impl SfError {
    /// Salesforce's error code (`errorCode`, SOAP fault code without prefix, OAuth `error`).
    pub fn code(&self) -> Option<&str> {
        match self {
            SfError::Api { code, .. } | SfError::SoapFault { code, .. } => Some(code),
            SfError::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            SfError::Api { status, .. }
            | SfError::OAuth { status, .. }
            | SfError::NotSalesforce { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The message Salesforce sent with the error, when there is one.
    pub fn message(&self) -> Option<&str> {
        match self {
            SfError::Api { message, .. } | SfError::SoapFault { message, .. } => Some(message),
            SfError::OAuth { description, .. } => Some(description),
            _ => None,
        }
    }

    /// True for transient failures worth another attempt on an idempotent read: transport
    /// errors and HTTP 502/503 (503 is also Salesforce's concurrency throttling).
    pub fn is_retryable(&self) -> bool {
        matches!(self, SfError::Transport { .. }) || matches!(self.status(), Some(502 | 503))
    }

    /// The session has expired (or was revoked) and a refreshed token may help. A session
    /// that is "not valid for use with the REST API" is a configuration problem instead.
    pub fn is_expired_session(&self) -> bool {
        match self {
            SfError::Api { code, message, .. } | SfError::SoapFault { code, message } => {
                code == "INVALID_SESSION_ID" && !message.contains(REST_SESSION_MESSAGE)
            }
            SfError::OAuth { error, .. } => error == "Bad_OAuth_Token",
            _ => false,
        }
    }

    /// Plain-language explanation of what went wrong and what to do, for an admin.
    pub fn explanation(&self) -> String {
        match self {
            SfError::Transport { .. } => "The app could not reach Salesforce. Check the network \
                connection, VPN or proxy, and that the instance URL is right \
                (https://yourdomain.my.salesforce.com)."
                .into(),
            SfError::NotSalesforce { status: 503, .. } => "Salesforce is temporarily \
                unavailable (HTTP 503: maintenance, or too many requests at once). Try again in \
                a few minutes; status.salesforce.com shows maintenance. If it lasts, check that \
                the URL is your org's (https://yourdomain.my.salesforce.com) and that no proxy \
                answers in Salesforce's place."
                .into(),
            SfError::NoUsableVersion { served, wanted } => format!(
                "This org serves API versions {served}, and this app uses {wanted}. An org that \
                 old (or that new) cannot be checked by this version of the app: update the app, \
                 or ask Salesforce support about the org's API versions."
            ),
            SfError::NotSalesforce { .. } => "The answer did not come from the Salesforce API: \
                the URL is probably not a Salesforce instance URL (use \
                https://yourdomain.my.salesforce.com, not a Lightning or Setup page address), a \
                proxy intercepted the request, or Salesforce is down for maintenance (see \
                status.salesforce.com)."
                .into(),
            SfError::Decode { what, .. } => format!(
                "Salesforce sent an answer the app could not read ({what}). Try again; if it \
                 keeps happening, the answer may have been cut off by a proxy."
            ),
            SfError::InvalidInput { message } => message.clone(),
            SfError::OAuth {
                error, description, ..
            } => match error.as_str() {
                "Bad_OAuth_Token" => "The access token is no longer valid (expired or revoked). \
                    Log in again."
                    .into(),
                _ => super::oauth::explain_oauth_error(error, description),
            },
            SfError::Api { code, message, .. } | SfError::SoapFault { code, message } => {
                explain_code(code, message)
            }
        }
    }
}

fn explain_code(code: &str, message: &str) -> String {
    let text = match code {
        "INVALID_SESSION_ID" if message.contains(REST_SESSION_MESSAGE) => {
            "Salesforce accepted the login but refuses this session for the API: the connected \
             app (or External Client App) used to log in lacks the \"api\" OAuth scope (\"Manage \
             user data via APIs\"), or API Access Control in Setup blocks the app, or the session \
             needs High Assurance. Add the api scope to the app (or allow the app under API \
             Access Control) and log in again."
        }
        "INVALID_SESSION_ID" => {
            "The session has expired or was revoked, and it could not be refreshed. Log in again."
        }
        "REQUEST_LIMIT_EXCEEDED" => {
            "The org has used all of its daily API calls (a rolling 24-hour window). Wait until \
             calls free up (try again later, within 24 hours), or ask Salesforce for a higher \
             limit. Setup > Company Information shows the usage."
        }
        "API_DISABLED_FOR_ORG" => {
            "This org's edition has no API access (for example Professional Edition without the \
             API add-on). The integration cannot work until Salesforce enables the API for the org."
        }
        "API_CURRENTLY_DISABLED" => {
            "This user lacks the \"API Enabled\" permission. Give it through the user's profile or \
             a permission set."
        }
        "INSUFFICIENT_ACCESS" => {
            "The user lacks a permission this operation needs (for metadata: \"Customize \
             Application\" or \"Modify All Data\"). Use an admin user or grant the permission."
        }
        "INVALID_FIELD" => {
            "A field does not exist on the object, or this user cannot see it (no field-level \
             Read access). Create the field or grant Read access in a permission set."
        }
        "INVALID_FIELD_FOR_INSERT_UPDATE" => {
            "The field is visible but read-only for this user. Grant Edit access on the field \
             (field-level security) in a permission set."
        }
        "INSUFFICIENT_ACCESS_OR_READONLY" => {
            "The user may not edit this record: no Edit permission on the object, or no sharing \
             access to the record. Grant object Edit in a permission set, or share the record."
        }
        "FIELD_CUSTOM_VALIDATION_EXCEPTION" => {
            "A validation rule in the org blocked the write; the message is the rule's error text. \
             Adjust the rule (for example exempt the integration user) or the data."
        }
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" => {
            "A value is not allowed by a restricted picklist (or a field name is not valid for a \
             permission). Add the value to the picklist or fix the field name."
        }
        "STRING_TOO_LONG" => {
            "A value is longer than the field allows. Increase the field length or shorten the \
             value."
        }
        "ENTITY_IS_DELETED" => {
            "The record was deleted (it is in the Recycle Bin). Pick another one."
        }
        "ENTITY_IS_LOCKED" => {
            "The record is locked (for example by an approval process). Pick another record or \
             unlock it."
        }
        "NOT_FOUND" => {
            "The record or resource does not exist, or the id is wrong. Check the id and the \
             object name."
        }
        "MALFORMED_ID" => "An id is malformed or of the wrong type. Check the 15/18-character id.",
        "MALFORMED_QUERY" => "Salesforce could not run a query (syntax or an unsupported filter).",
        "INVALID_TYPE" => {
            "An object does not exist in this org or this user cannot see it. Check the object \
             name and the user's object permissions."
        }
        "INVALID_TYPE_FOR_OPERATION" => "This object cannot be used this way (not queryable).",
        "DUPLICATE_VALUE" => {
            "The value already exists (for example the assignment is already there)."
        }
        "DUPLICATE_DEVELOPER_NAME" => "Something with this API name already exists.",
        "FIELD_INTEGRITY_EXCEPTION" => {
            "A permission depends on another one (Edit needs Read), or the user's license does \
             not allow it."
        }
        "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY" => {
            "An automation (trigger, flow or process) failed while saving the record. The message \
             names it; fix the automation or exempt the integration."
        }
        "PROCESSING_HALTED" => "Salesforce skipped this step because an earlier one failed.",
        "INVALID_AUTH_HEADER" => {
            "Salesforce could not read the session in the request's Authorization header: the \
             pasted value is not an access token (or has something around it). Paste only the \
             token itself (it looks like 00D...!AQ...), without \"Bearer\", quotes or spaces."
        }
        "SERVER_UNAVAILABLE" => {
            "Salesforce is temporarily unavailable (maintenance or too many concurrent requests). \
             Try again in a few minutes."
        }
        _ => "",
    };
    if text.is_empty() {
        format!("Salesforce refused the request ({code}): {message}")
    } else {
        format!("{text} (Salesforce said: {code}: {message})")
    }
}

/// The error a non-2xx (or non-JSON) answer stands for.
pub(crate) fn from_response(status: u16, content_type: &str, body: &str) -> SfError {
    let trimmed = body.trim();
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => from_json(status, &value)
            .unwrap_or_else(|| not_salesforce(status, content_type, trimmed)),
        Err(_) if content_type.starts_with("text/plain") && is_word(trimmed) => SfError::OAuth {
            // The identity endpoints answer `Bad_OAuth_Token` / `Bad_Id` as plain text.
            status,
            error: trimmed.to_string(),
            description: String::new(),
        },
        Err(_) => not_salesforce(status, content_type, trimmed),
    }
}

fn is_word(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses a Salesforce JSON error body: `[{message, errorCode, fields}]`, a single such object,
/// or an OAuth `{error, error_description}` object.
pub(crate) fn from_json(status: u16, value: &Value) -> Option<SfError> {
    let first = match value {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    if let Some(code) = text(first, "errorCode") {
        let messages: Vec<String> = match value {
            Value::Array(items) => items.iter().filter_map(|e| text(e, "message")).collect(),
            other => text(other, "message").into_iter().collect(),
        };
        let fields = first
            .get("fields")
            .and_then(Value::as_array)
            .map(|f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        return Some(SfError::Api {
            status,
            code,
            message: messages.join("; "),
            fields,
        });
    }
    if let Some(error) = text(first, "error") {
        return Some(SfError::OAuth {
            status,
            error,
            description: text(first, "error_description").unwrap_or_default(),
        });
    }
    if let Value::String(word) = first {
        if is_word(word) {
            return Some(SfError::Api {
                status,
                code: word.clone(),
                message: word.clone(),
                fields: Vec::new(),
            });
        }
    }
    None
}

pub(crate) fn not_salesforce(status: u16, content_type: &str, body: &str) -> SfError {
    SfError::NotSalesforce {
        status,
        content_type: if content_type.is_empty() {
            "no content type".into()
        } else {
            content_type.to_string()
        },
        excerpt: excerpt(body),
    }
}

/// A short readable excerpt of an HTML or text page: tags, scripts and styles removed,
/// whitespace collapsed, at most 200 characters.
pub(crate) fn excerpt(body: &str) -> String {
    let mut text = String::new();
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let after = &rest[start..];
        let lower: String = after
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            find_ci(after, "</script>")
        } else if lower.starts_with("<style") {
            find_ci(after, "</style>")
        } else if lower.starts_with("<title") {
            // The page title is usually "Error"; the body says more.
            find_ci(after, "</title>")
        } else {
            None
        };
        let after = match skip_to {
            Some(end) => &after[end..],
            None => after,
        };
        match after.find('>') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    text.push_str(rest);
    let text = text
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= 200 {
        collapsed
    } else {
        let mut cut: String = collapsed.chars().take(199).collect();
        cut.push('…');
        cut
    }
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

/// Replaces every occurrence of `secret` in the error's texts.
pub(crate) fn redact(error: SfError, secret: &str) -> SfError {
    if secret.len() < 8 {
        return error;
    }
    let clean = |s: String| s.replace(secret, "[redacted]");
    match error {
        SfError::Transport { message } => SfError::Transport {
            message: clean(message),
        },
        SfError::Api {
            status,
            code,
            message,
            fields,
        } => SfError::Api {
            status,
            code: clean(code),
            message: clean(message),
            fields: fields.into_iter().map(clean).collect(),
        },
        SfError::OAuth {
            status,
            error,
            description,
        } => SfError::OAuth {
            status,
            error: clean(error),
            description: clean(description),
        },
        SfError::SoapFault { code, message } => SfError::SoapFault {
            code: clean(code),
            message: clean(message),
        },
        SfError::NotSalesforce {
            status,
            content_type,
            excerpt,
        } => SfError::NotSalesforce {
            status,
            content_type: clean(content_type),
            excerpt: clean(excerpt),
        },
        SfError::Decode { what, message } => SfError::Decode {
            what: clean(what),
            message: clean(message),
        },
        SfError::InvalidInput { message } => SfError::InvalidInput {
            message: clean(message),
        },
        SfError::NoUsableVersion { served, wanted } => SfError::NoUsableVersion {
            served: clean(served),
            wanted: clean(wanted),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_both_envelopes() {
        let array = json!([{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]);
        let err = from_json(404, &array).expect("parsed");
        assert_eq!(err.code(), Some("ENTITY_IS_DELETED"));
        let single = json!({"message": "nope", "errorCode": "NOT_FOUND", "fields": ["Id"]});
        match from_json(404, &single) {
            Some(SfError::Api { fields, .. }) => assert_eq!(fields, vec!["Id".to_string()]),
            other => panic!("{other:?}"),
        }
        let oauth = json!({"error": "invalid_grant", "error_description": "expired"});
        assert!(matches!(
            from_json(400, &oauth),
            Some(SfError::OAuth { .. })
        ));
    }

    #[test]
    fn html_becomes_not_salesforce_with_excerpt() {
        let html = "<!DOCTYPE html><html><head><title>Error</title><style>p{}</style></head>\
                    <body><h1>An unexpected error has occurred.</h1></body></html>";
        match from_response(500, "text/html", html) {
            SfError::NotSalesforce { excerpt, .. } => {
                assert_eq!(excerpt, "An unexpected error has occurred.")
            }
            other => panic!("{other:?}"),
        }
        let long = "x ".repeat(500);
        assert!(excerpt(&long).chars().count() <= 200);
    }

    #[test]
    fn session_errors() {
        let expired = from_json(
            401,
            &json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
        )
        .expect("parsed");
        assert!(expired.is_expired_session());
        let scope = from_json(
            401,
            &json!([{"message": "This session is not valid for use with the REST API", "errorCode": "INVALID_SESSION_ID"}]),
        )
        .expect("parsed");
        assert!(!scope.is_expired_session());
        assert!(scope.explanation().contains("\"api\" OAuth scope"));
    }

    #[test]
    fn redacts_secrets() {
        let err = SfError::Transport {
            message: "token 00Dxx!secret-value leaked".into(),
        };
        let text = format!("{:?}", redact(err, "00Dxx!secret-value"));
        assert!(!text.contains("secret-value"));
    }
}
