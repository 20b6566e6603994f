//! Field values as Salesforce's REST API reads and stores them: what a request body may give for
//! each field type, what is refused (with Salesforce's status, `errorCode`, message and
//! `fields`), and the canonical JSON every read path (record GET, SOQL, composite, Apex) answers
//! with. Sources for each rule are in `docs/salesforce-fidelity.md` ("Value typing").

use super::rest::Reply;
use super::schema::{FieldDef, FieldKind};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// The name Salesforce's JSON reader uses for a field's type in `JSON_PARSER_ERROR` messages:
/// the describe `type` ("Cannot deserialize instance of multipicklist from START_ARRAY ...").
fn reader_type(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::Id => "id",
        FieldKind::Reference => "reference",
        FieldKind::Text => "string",
        FieldKind::TextArea | FieldKind::LongTextArea | FieldKind::RichTextArea => "textarea",
        FieldKind::Picklist => "picklist",
        FieldKind::MultiPicklist => "multipicklist",
        FieldKind::Checkbox => "boolean",
        FieldKind::DateTime => "datetime",
        FieldKind::Date => "date",
        FieldKind::Number => "double",
        FieldKind::Currency => "currency",
        FieldKind::Percent => "percent",
        FieldKind::Email => "email",
        FieldKind::Phone => "phone",
        FieldKind::Url => "url",
        FieldKind::Integer => "int",
        FieldKind::Address => "address",
        FieldKind::Complex => "anyType",
    }
}

/// The JSON token name of a value, as the reader names it.
fn token(value: &Value) -> &'static str {
    match value {
        Value::Null => "VALUE_NULL",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Number(n) if n.is_f64() => "VALUE_NUMBER_FLOAT",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

/// Line (from 1) and column (from 0) of the field's key in the request body, where the reader
/// reports the problem (`[line:1, column:51]` is the key's opening quote in the recorded error).
fn position(body: &str, field: &str) -> (usize, usize) {
    let key = format!("\"{field}\"");
    let at = body
        .match_indices(&key)
        .find(|(i, _)| body[i + key.len()..].trim_start().starts_with(':'))
        .map(|(i, _)| i);
    let Some(at) = at else { return (1, 1) };
    let before = &body[..at];
    let line = before.matches('\n').count() + 1;
    // The recorded message counts the key's opening quote from 0 on its line.
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
    (line, column)
}

fn parser_error(field: &FieldDef, value: &Value, body: &str) -> Reply {
    let (line, column) = position(body, &field.name);
    let ty = reader_type(&field.kind);
    let message = match value {
        Value::Array(_) | Value::Object(_) => format!(
            "Cannot deserialize instance of {ty} from {} value [line:{line}, column:{column}]",
            token(value)
        ),
        Value::String(s) => format!(
            "Cannot deserialize instance of {ty} from VALUE_STRING value {s} or request may be missing a required field at [line:{line}, column:{column}]"
        ),
        other => format!(
            "Cannot deserialize instance of {ty} from {} value {other} or request may be missing a required field at [line:{line}, column:{column}]",
            token(other)
        ),
    };
    Reply::error(400, "JSON_PARSER_ERROR", message)
}

/// A `yyyy-MM-dd` date, optionally with `Z` or an offset (the formats the API documents).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let head = text.get(..10)?;
    let tail = &text[10..];
    let zone_ok = tail.is_empty()
        || tail == "Z"
        || ((tail.starts_with('+') || tail.starts_with('-'))
            && tail[1..].chars().filter(char::is_ascii_digit).count() == 4
            && tail[1..].chars().all(|c| c.is_ascii_digit() || c == ':'));
    if !zone_ok || head.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

/// A dateTime in the API's formats: `2026-12-05T10:00:00.000+0000`, `...Z`, `...+01:00`,
/// with or without milliseconds; without a zone it is read as UTC.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if !text.contains('T') {
        return None;
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    if let Some(naive) = text.strip_suffix('Z').or(Some(text)) {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f") {
            return Some(t.and_utc());
        }
    }
    None
}

/// How Salesforce writes a dateTime in JSON: UTC, milliseconds, `+0000`.
pub fn datetime_json(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
        .replace('Z', "+0000")
}

/// A number rounded half up to `scale` decimal places, or None when it has more digits left of
/// the point than `precision - scale` allows.
fn fit_number(n: f64, precision: u32, scale: u32) -> Option<f64> {
    let factor = 10f64.powi(scale as i32);
    let rounded = (n * factor).round() / factor;
    let limit = 10f64.powi(precision.saturating_sub(scale) as i32);
    (rounded.is_finite() && rounded.abs() < limit).then_some(rounded)
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.starts_with('.')
        && domain.contains('.')
        && !domain.ends_with('.')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == ';')
}

/// Reads one field's value from a request body into what the org stores and answers with.
/// `body` is the raw request text, for the position Salesforce's parser errors give.
pub fn coerce(field: &FieldDef, value: &Value, body: &str) -> Result<Value, Reply> {
    if value.is_null() {
        return Ok(match field.kind {
            // A checkbox is never null: null clears it.
            FieldKind::Checkbox => json!(false),
            _ => Value::Null,
        });
    }
    let refuse = || parser_error(field, value, body);
    let fields = [field.name.clone()];
    match field.kind {
        FieldKind::Checkbox => match value {
            Value::Bool(b) => Ok(json!(b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(json!(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(json!(false)),
            _ => Err(refuse()),
        },
        FieldKind::Number | FieldKind::Currency | FieldKind::Percent => {
            let n = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
                _ => None,
            }
            .ok_or_else(refuse)?;
            let fitted = fit_number(n, field.precision, field.scale).ok_or_else(|| {
                Reply::dml_error(
                    400,
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    format!(
                        "{}: value outside of valid range on numeric field: {value}",
                        field.label
                    ),
                    &fields,
                )
            })?;
            Ok(json!(fitted))
        }
        FieldKind::Date => match value {
            Value::String(s) => parse_date(s)
                .map(|d| json!(d.format("%Y-%m-%d").to_string()))
                .ok_or_else(refuse),
            _ => Err(refuse()),
        },
        FieldKind::DateTime => match value {
            Value::String(s) => parse_datetime(s)
                .map(|t| json!(datetime_json(t)))
                .ok_or_else(refuse),
            _ => Err(refuse()),
        },
        // A whole number of at most the field's digits; a fraction is not an `int` (the reader
        // refuses it as it refuses text in a number field).
        FieldKind::Integer => {
            let n = match value {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            }
            .ok_or_else(refuse)?;
            if n.unsigned_abs() >= 10u64.pow(field.length) {
                return Err(Reply::dml_error(
                    400,
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    format!(
                        "{}: value outside of valid range on numeric field: {value}",
                        field.label
                    ),
                    &fields,
                ));
            }
            Ok(json!(n))
        }
        // Compound addresses are read-only: only stored values (null or the compound) get here.
        FieldKind::Complex | FieldKind::Address => Ok(value.clone()),
        _ => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(refuse()),
            };
            if text.is_empty() {
                // Salesforce stores an empty text value as null.
                return Ok(Value::Null);
            }
            if field.kind == FieldKind::Email && !looks_like_email(&text) {
                return Err(Reply::dml_error(
                    400,
                    "INVALID_EMAIL_ADDRESS",
                    format!("{}: invalid email address: {text}", field.label),
                    &fields,
                ));
            }
            Ok(Value::String(text))
        }
    }
}

/// A scenario file's value for a field, in the stored form; a value the API would refuse is
/// kept as written (the scenario's own problem, visible in every answer).
pub fn canonical(field: &FieldDef, value: &Value) -> Value {
    coerce(field, value, "").unwrap_or_else(|_| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> FieldDef {
        FieldDef::new("X__c", kind)
    }

    fn message(reply: Reply) -> (String, String) {
        let body = reply.body_json().cloned().unwrap_or_default();
        (
            body[0]["errorCode"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            body[0]["message"].as_str().unwrap_or_default().to_string(),
        )
    }

    #[test]
    fn numbers_are_stored_as_json_numbers_at_the_field_scale() {
        let n = field(FieldKind::Number);
        assert_eq!(coerce(&n, &json!("1"), "").ok(), Some(json!(1.0)));
        assert_eq!(coerce(&n, &json!(2), "").ok(), Some(json!(2.0)));
        assert_eq!(coerce(&n, &json!(2.6), "").ok(), Some(json!(3.0)));
        let mut c = field(FieldKind::Currency);
        c.scale = 2;
        assert_eq!(coerce(&c, &json!(1.005), "").ok(), Some(json!(1.0)));
        assert_eq!(coerce(&c, &json!("12.345"), "").ok(), Some(json!(12.35)));
        c.precision = 4;
        let (code, text) = message(coerce(&c, &json!(123.4), "").unwrap_err());
        assert_eq!(code, "NUMBER_OUTSIDE_VALID_RANGE");
        assert!(text.contains("value outside of valid range"), "{text}");
    }

    #[test]
    fn a_value_the_reader_cannot_take_is_a_json_parser_error_at_its_key() {
        let body = r#"{"FirstName":"Doug","LastName":"Proctor (testing)","X__c":["a"]}"#;
        let (code, text) =
            message(coerce(&field(FieldKind::MultiPicklist), &json!(["a"]), body).unwrap_err());
        assert_eq!(code, "JSON_PARSER_ERROR");
        assert_eq!(
            text,
            "Cannot deserialize instance of multipicklist from START_ARRAY value [line:1, column:51]"
        );
        let (_, text) = message(
            coerce(
                &field(FieldKind::Number),
                &json!("abc"),
                r#"{"X__c": "abc"}"#,
            )
            .unwrap_err(),
        );
        assert_eq!(text, "Cannot deserialize instance of double from VALUE_STRING value abc or request may be missing a required field at [line:1, column:1]");
        for (kind, value) in [
            (FieldKind::Checkbox, json!("yes")),
            (FieldKind::Checkbox, json!(1)),
            (FieldKind::Date, json!("12/31/2026")),
            (FieldKind::Date, json!("2026-12-05T10:00:00Z")),
            (FieldKind::DateTime, json!("2026-12-05")),
            (FieldKind::DateTime, json!(5)),
        ] {
            assert!(
                coerce(&field(kind.clone()), &value, "").is_err(),
                "{kind:?} {value}"
            );
        }
    }

    #[test]
    fn dates_and_datetimes_come_back_canonical() {
        assert_eq!(
            coerce(&field(FieldKind::Date), &json!("2026-12-05Z"), "").ok(),
            Some(json!("2026-12-05"))
        );
        let dt = field(FieldKind::DateTime);
        for input in [
            "2026-12-05T10:00:00Z",
            "2026-12-05T10:00:00.000Z",
            "2026-12-05T11:00:00+01:00",
            "2026-12-05T05:00:00.000-0500",
        ] {
            assert_eq!(
                coerce(&dt, &json!(input), "").ok(),
                Some(json!("2026-12-05T10:00:00.000+0000")),
                "{input}"
            );
        }
    }

    #[test]
    fn text_empty_is_null_and_checkbox_null_is_false() {
        assert_eq!(
            coerce(&field(FieldKind::Text), &json!(""), "").ok(),
            Some(Value::Null)
        );
        assert_eq!(
            coerce(&field(FieldKind::Checkbox), &Value::Null, "").ok(),
            Some(json!(false))
        );
        assert_eq!(
            coerce(&field(FieldKind::Checkbox), &json!("TRUE"), "").ok(),
            Some(json!(true))
        );
        let (code, text) =
            message(coerce(&field(FieldKind::Email), &json!("badone"), "").unwrap_err());
        assert_eq!(code, "INVALID_EMAIL_ADDRESS");
        assert_eq!(text, "X: invalid email address: badone");
    }
}
