//! Field values as the org types them (sans-IO): the shape of a field from the object's
//! describe, the profile's test value converted to that type, and comparison of what Salesforce
//! reads back with what was written or was there before — numbers numerically, dateTimes as
//! instants, multi-select picklists as sets, text with Salesforce's `\r\n` and empty-as-null.

use crate::profile::{FieldRequirement, FieldType};
use crate::request::{parse_date, parse_datetime};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How a value of a field is read and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// string, textarea, email, phone, url, encryptedstring, combobox.
    Text,
    Picklist,
    MultiPicklist,
    Boolean,
    /// double, currency, percent, int, long.
    Number,
    Date,
    DateTime,
    /// id and reference: 15 or 18 characters, the same record.
    Id,
    /// A type the assistant does not interpret (time, location ...): compared exactly.
    Other,
}

impl ValueKind {
    /// From the describe's `type`.
    pub fn from_describe(ty: &str) -> ValueKind {
        match ty {
            "string" | "textarea" | "email" | "phone" | "url" | "encryptedstring" | "combobox" => {
                ValueKind::Text
            }
            "picklist" => ValueKind::Picklist,
            "multipicklist" => ValueKind::MultiPicklist,
            "boolean" => ValueKind::Boolean,
            "double" | "currency" | "percent" | "int" | "long" => ValueKind::Number,
            "date" => ValueKind::Date,
            "datetime" => ValueKind::DateTime,
            "id" | "reference" => ValueKind::Id,
            _ => ValueKind::Other,
        }
    }

    /// From the profile's type, when the org's describe is not at hand.
    pub fn from_profile(ty: FieldType) -> ValueKind {
        match ty {
            FieldType::Text
            | FieldType::TextArea
            | FieldType::LongTextArea
            | FieldType::Html
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url => ValueKind::Text,
            FieldType::Picklist => ValueKind::Picklist,
            FieldType::MultiselectPicklist => ValueKind::MultiPicklist,
            FieldType::Checkbox => ValueKind::Boolean,
            FieldType::Number => ValueKind::Number,
            FieldType::Date => ValueKind::Date,
            FieldType::DateTime => ValueKind::DateTime,
            FieldType::Lookup => ValueKind::Id,
        }
    }
}

/// What the org's describe says of one field the test writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldShape {
    pub name: String,
    pub label: String,
    /// The describe's `type` ("double", "currency", "datetime" ...).
    pub describe_type: String,
    pub kind: ValueKind,
    /// Characters, for text kinds.
    pub length: u64,
    /// Digits in all and after the point, for numbers.
    pub precision: u64,
    pub scale: u64,
    pub calculated: bool,
    pub auto_number: bool,
    pub restricted_picklist: bool,
    pub active_values: Vec<String>,
}

impl FieldShape {
    /// One entry of a describe's `fields`; None when it is not a field entry.
    pub fn from_describe(field: &Value) -> Option<FieldShape> {
        let text = |k: &str| field.get(k).and_then(Value::as_str).map(str::to_string);
        let number = |k: &str| field.get(k).and_then(Value::as_u64).unwrap_or(0);
        let flag = |k: &str| field.get(k).and_then(Value::as_bool).unwrap_or(false);
        let describe_type = text("type")?;
        Some(FieldShape {
            name: text("name")?,
            label: text("label").unwrap_or_default(),
            kind: ValueKind::from_describe(&describe_type),
            describe_type,
            length: number("length"),
            precision: number("precision"),
            scale: number("scale"),
            calculated: flag("calculated"),
            auto_number: flag("autoNumber"),
            restricted_picklist: flag("restrictedPicklist"),
            active_values: field
                .get("picklistValues")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter(|v| v.get("active") != Some(&json!(false)))
                        .filter_map(|v| v.get("value").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The describe's entry for `name` (API names are case-insensitive).
    pub fn find(describe: &Value, name: &str) -> Option<FieldShape> {
        describe
            .get("fields")?
            .as_array()?
            .iter()
            .filter(|f| {
                f.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .find_map(FieldShape::from_describe)
    }
}

/// Why a test value cannot be written to a field, found before anything is written. `code` is
/// the `errorCode` Salesforce would answer the write with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unfit {
    pub code: String,
    pub explanation: String,
}

fn unfit(code: &str, explanation: String) -> Unfit {
    Unfit {
        code: code.into(),
        explanation,
    }
}

/// A number as Salesforce stores it at `scale` decimal places, or None when it has more digits
/// left of the point than the field allows.
fn fit_number(n: f64, precision: u64, scale: u64) -> Option<f64> {
    let factor = 10f64.powi(scale.min(18) as i32);
    let rounded = (n * factor).round() / factor;
    let limit = 10f64.powi(precision.saturating_sub(scale).min(300) as i32);
    (rounded.is_finite() && rounded.abs() < limit).then_some(rounded)
}

/// The profile's test value in the field's type as the org describes it (`shape`), or as the
/// profile describes it when the describe is not at hand. A value that cannot be converted is
/// replaced by a sensible one of the type; a value that cannot fit the field is `Unfit`.
pub fn typed_test_value(
    requirement: &FieldRequirement,
    shape: Option<&FieldShape>,
) -> Result<Value, Unfit> {
    let name = &requirement.api_name;
    let given = requirement.test_value.as_str();
    let kind = shape.map_or(ValueKind::from_profile(requirement.field_type), |s| s.kind);
    if let Some(s) = shape {
        if s.calculated || s.auto_number {
            let what = if s.auto_number {
                "an auto-number"
            } else {
                "a formula or roll-up summary"
            };
            return Err(unfit(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!("{name} is {what} field: Salesforce computes it, so nothing can write to it. The integration needs a plain {} field here.", requirement.field_type.label()),
            ));
        }
    }
    match kind {
        ValueKind::Number => {
            let n = given.trim().parse::<f64>().ok().filter(|n| n.is_finite());
            let (precision, scale) = shape.map_or((18, 0), |s| (s.precision.max(1), s.scale));
            let n = n.unwrap_or(1.0);
            fit_number(n, precision, scale).map(|v| json!(v)).ok_or_else(|| {
                unfit(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    format!(
                        "The test value {given} does not fit {name}, a number with {} digits before the point; set a smaller test_value in the profile.",
                        precision.saturating_sub(scale)
                    ),
                )
            })
        }
        ValueKind::Boolean => Ok(json!(!given.eq_ignore_ascii_case("false"))),
        ValueKind::Date => {
            let date = parse_date(given)
                .or_else(|| parse_datetime(given).map(|t| t.date_naive()))
                .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default());
            Ok(json!(date.format("%Y-%m-%d").to_string()))
        }
        ValueKind::DateTime => {
            let instant = parse_datetime(given)
                .or_else(|| {
                    parse_date(given)
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|t| t.and_utc())
                })
                .unwrap_or_default();
            Ok(json!(instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()))
        }
        ValueKind::Picklist | ValueKind::MultiPicklist => {
            if let Some(s) = shape.filter(|s| s.restricted_picklist) {
                let parts: Vec<&str> = if kind == ValueKind::MultiPicklist {
                    given.split(';').collect()
                } else {
                    vec![given]
                };
                if let Some(bad) = parts
                    .iter()
                    .find(|p| !s.active_values.iter().any(|v| v == *p))
                {
                    return Err(unfit(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        format!("{name} is a restricted picklist without the value '{bad}' among its active values. Add the value to the picklist (or activate it), or make the picklist unrestricted."),
                    ));
                }
            }
            Ok(json!(given))
        }
        ValueKind::Text | ValueKind::Id | ValueKind::Other => {
            if let Some(limit) = shape.map(|s| s.length).filter(|l| *l > 0) {
                let length = given.chars().count() as u64;
                if kind == ValueKind::Text && length > limit {
                    return Err(unfit(
                        "STRING_TOO_LONG",
                        format!("The test value is {length} characters long but {name} holds at most {limit}. Make the field longer (the integration's own values may be long too)."),
                    ));
                }
            }
            Ok(json!(given))
        }
    }
}

/// Whether two values of a field are the same, as Salesforce would store them; None when one
/// of them is not a value of that kind (a garbled answer).
pub fn same(kind: ValueKind, a: &Value, b: &Value) -> Option<bool> {
    let (a, b) = (normal(kind, a)?, normal(kind, b)?);
    Some(a == b)
}

/// A value in a form where equal values are equal: None when it cannot be read as the kind.
fn normal(kind: ValueKind, value: &Value) -> Option<Normal> {
    if value.is_null() {
        return Some(match kind {
            // A checkbox is never null; null reads as unchecked.
            ValueKind::Boolean => Normal::Bool(false),
            _ => Normal::Empty,
        });
    }
    Some(match kind {
        ValueKind::Text | ValueKind::Picklist => match value.as_str()? {
            "" => Normal::Empty,
            s => Normal::Text(s.replace("\r\n", "\n")),
        },
        ValueKind::MultiPicklist => {
            let mut set: Vec<String> = value
                .as_str()?
                .split(';')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            set.sort();
            set.dedup();
            if set.is_empty() {
                Normal::Empty
            } else {
                Normal::Set(set)
            }
        }
        ValueKind::Boolean => Normal::Bool(match value {
            Value::Bool(b) => *b,
            Value::String(s) if s.eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.eq_ignore_ascii_case("false") => false,
            _ => return None,
        }),
        ValueKind::Number => {
            let n = match value {
                Value::Number(n) => n.as_f64()?,
                Value::String(s) => s.trim().parse::<f64>().ok()?,
                _ => return None,
            };
            // Stored values have at most 18 significant digits.
            Normal::Number(format!("{:.*e}", 17, n))
        }
        ValueKind::Date => Normal::Text(parse_date(value.as_str()?)?.to_string()),
        ValueKind::DateTime => Normal::Instant(parse_datetime(value.as_str()?)?.timestamp_millis()),
        ValueKind::Id => {
            let text = value.as_str()?;
            Normal::Text(crate::sfid::to_18(text).unwrap_or_else(|_| text.to_string()))
        }
        ValueKind::Other => Normal::Json(value.to_string()),
    })
}

#[derive(Debug, PartialEq)]
enum Normal {
    Empty,
    Text(String),
    Set(Vec<String>),
    Bool(bool),
    Number(String),
    Instant(i64),
    Json(String),
}

/// A value for a person: `(empty)`, a quoted text, or the JSON of a number or boolean.
pub fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".into(),
        Value::String(s) => format!("\"{}\"", s.replace('\r', "\\r").replace('\n', "\\n")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_numerically() {
        assert_eq!(
            same(ValueKind::Number, &json!(1.0), &json!("1")),
            Some(true)
        );
        assert_eq!(same(ValueKind::Number, &json!(1), &json!(1.0)), Some(true));
        assert_eq!(
            same(ValueKind::Number, &json!(12.35), &json!("12.350")),
            Some(true)
        );
        assert_eq!(
            same(ValueKind::Number, &json!(1.0), &json!(2.0)),
            Some(false)
        );
        assert_eq!(
            same(ValueKind::Number, &Value::Null, &json!(0)),
            Some(false)
        );
        assert_eq!(same(ValueKind::Number, &json!({"x": 1}), &json!(1)), None);
    }

    #[test]
    fn datetimes_compare_as_instants_and_dates_as_days() {
        assert_eq!(
            same(
                ValueKind::DateTime,
                &json!("2026-12-05T10:00:00.000+0000"),
                &json!("2026-12-05T11:00:00+01:00")
            ),
            Some(true)
        );
        assert_eq!(
            same(
                ValueKind::DateTime,
                &json!("2026-12-05T10:00:00.000+0000"),
                &json!("2026-12-05T10:00:01Z")
            ),
            Some(false)
        );
        assert_eq!(
            same(
                ValueKind::DateTime,
                &json!("garbage"),
                &json!("2026-12-05T10:00:00Z")
            ),
            None
        );
        assert_eq!(
            same(ValueKind::Date, &json!("2026-12-05"), &json!("2026-12-05")),
            Some(true)
        );
        assert_eq!(
            same(ValueKind::Date, &json!("2026-12-05"), &json!("2026-12-06")),
            Some(false)
        );
    }

    #[test]
    fn text_follows_salesforce_line_endings_and_empty_as_null() {
        assert_eq!(
            same(ValueKind::Text, &json!("a\r\nb"), &json!("a\nb")),
            Some(true)
        );
        assert_eq!(same(ValueKind::Text, &json!(""), &Value::Null), Some(true));
        assert_eq!(
            same(ValueKind::Text, &json!("Neutral"), &json!("neutral")),
            Some(false)
        );
        assert_eq!(same(ValueKind::Text, &json!(5), &json!("5")), None);
    }

    #[test]
    fn multi_select_picklists_compare_as_sets_and_booleans_as_booleans() {
        assert_eq!(
            same(ValueKind::MultiPicklist, &json!("b;a"), &json!("a;b")),
            Some(true)
        );
        assert_eq!(
            same(ValueKind::MultiPicklist, &json!("a"), &json!("a;b")),
            Some(false)
        );
        assert_eq!(
            same(ValueKind::Boolean, &json!(true), &json!("true")),
            Some(true)
        );
        assert_eq!(
            same(ValueKind::Boolean, &Value::Null, &json!(false)),
            Some(true)
        );
        assert_eq!(same(ValueKind::Boolean, &json!(1), &json!(true)), None);
        assert_eq!(
            same(
                ValueKind::Id,
                &json!("5005g00000AbCdE"),
                &json!("5005g00000AbCdEAAV")
            ),
            Some(true)
        );
    }

    fn requirement(field_type: FieldType, test_value: &str) -> FieldRequirement {
        FieldRequirement {
            api_name: "X__c".into(),
            label: "X".into(),
            field_type,
            length: None,
            accept: vec![field_type],
            values: vec![],
            multiline: false,
            visible_lines: None,
            description: String::new(),
            test_value: test_value.into(),
            custom: true,
        }
    }

    fn shape(describe_type: &str) -> FieldShape {
        FieldShape::from_describe(&json!({"name": "X__c", "type": describe_type, "length": 10,
            "precision": 5, "scale": 2, "restrictedPicklist": true,
            "picklistValues": [{"value": "A", "active": true}, {"value": "Old", "active": false}]}))
        .unwrap()
    }

    #[test]
    fn test_values_take_the_type_the_org_describes() {
        let number = requirement(FieldType::Number, "1");
        assert_eq!(
            typed_test_value(&number, Some(&shape("double"))),
            Ok(json!(1.0))
        );
        assert_eq!(
            typed_test_value(&number, Some(&shape("currency"))),
            Ok(json!(1.0))
        );
        // A text test value on a field the org made a number: a sensible number instead.
        let text = requirement(FieldType::Text, "[Write-back test]");
        assert_eq!(
            typed_test_value(&text, Some(&shape("percent"))),
            Ok(json!(1.0))
        );
        assert_eq!(
            typed_test_value(
                &requirement(FieldType::Checkbox, "true"),
                Some(&shape("boolean"))
            ),
            Ok(json!(true))
        );
        assert_eq!(
            typed_test_value(
                &requirement(FieldType::DateTime, "2026-01-01T00:00:00.000Z"),
                Some(&shape("datetime"))
            ),
            Ok(json!("2026-01-01T00:00:00.000Z"))
        );
        assert_eq!(
            typed_test_value(
                &requirement(FieldType::Date, "2026-01-01"),
                Some(&shape("date"))
            ),
            Ok(json!("2026-01-01"))
        );
        assert_eq!(
            typed_test_value(
                &requirement(FieldType::Number, "12345"),
                Some(&shape("double"))
            )
            .unwrap_err()
            .code,
            "NUMBER_OUTSIDE_VALID_RANGE"
        );
        assert_eq!(
            typed_test_value(
                &requirement(FieldType::Text, "eleven char"),
                Some(&shape("string"))
            )
            .unwrap_err()
            .code,
            "STRING_TOO_LONG"
        );
        assert_eq!(
            typed_test_value(
                &requirement(FieldType::Picklist, "Old"),
                Some(&shape("picklist"))
            )
            .unwrap_err()
            .code,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        );
        let mut formula = shape("double");
        formula.calculated = true;
        assert!(typed_test_value(&number, Some(&formula)).is_err());
        // Without a describe, the profile's type decides.
        assert_eq!(typed_test_value(&number, None), Ok(json!(1.0)));
    }
}
