//! The small sans-IO building blocks every planner of Salesforce requests shares (`checks`,
//! `fix`, `testwrite`): SOQL string literals, query paths that keep composite references,
//! packing subrequests within the composite limits, the records of a query answer, and
//! Salesforce's date and dateTime formats.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

/// Salesforce's composite limits: 25 subrequests, of which at most 5 queries (or sObject
/// Collections).
pub const MAX_SUBREQUESTS: usize = 25;
pub const MAX_QUERIES: usize = 5;

/// A SOQL string literal: quotes and backslashes escaped.
pub fn soql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `query/?q=...` with the query percent-encoded, except composite references `@{...}`,
/// which Salesforce resolves in the URL as written.
pub fn query_path(soql: &str) -> String {
    let mut encoded = String::new();
    let mut rest = soql;
    while let Some(start) = rest.find("@{") {
        encoded.extend(url::form_urlencoded::byte_serialize(
            &rest.as_bytes()[..start],
        ));
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        encoded.push_str(&rest[start..end]);
        rest = &rest[end..];
    }
    encoded.extend(url::form_urlencoded::byte_serialize(rest.as_bytes()));
    format!("query/?q={encoded}")
}

/// A composite subrequest as packing sees it.
pub trait Subrequest {
    fn reference_id(&self) -> &str;
    /// Relative to the version root: `query/?q=...`, `sobjects/Case/describe`.
    fn path(&self) -> &str;
    /// Queries (and sObject Collections) count against the composite's five.
    fn is_query(&self) -> bool {
        self.path().starts_with("query")
    }
}

/// Whether `request` refers to the answer of `earlier` (`@{earlier.…}` in its path).
fn refers_to(request: &impl Subrequest, earlier: &impl Subrequest) -> bool {
    request
        .path()
        .contains(&format!("@{{{}.", earlier.reference_id()))
}

/// Splits subrequests into composites within the limits, keeping their order. A subrequest
/// that references earlier ones must share their composite: when it does not fit, the
/// requests it references move on with it to the next composite.
pub fn pack<T: Subrequest>(requests: Vec<T>) -> Vec<Vec<T>> {
    let mut composites: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    for request in requests {
        let queries = current.iter().filter(|r| r.is_query()).count();
        let full =
            current.len() >= MAX_SUBREQUESTS || (request.is_query() && queries >= MAX_QUERIES);
        if full {
            let (moved, stay): (Vec<T>, Vec<T>) =
                current.into_iter().partition(|r| refers_to(&request, r));
            if !stay.is_empty() {
                composites.push(stay);
            }
            current = moved;
        }
        current.push(request);
    }
    if !current.is_empty() {
        composites.push(current);
    }
    composites
}

/// The records of a query answer, or None when the answer has no `records` list.
pub fn records(answer: &Value) -> Option<&Vec<Value>> {
    answer.get("records").and_then(Value::as_array)
}

/// A `yyyy-MM-dd` date, optionally followed by `Z` or an offset (the API's date formats).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let head = text.get(..10)?;
    let tail = &text[10..];
    let zone = tail.is_empty()
        || tail == "Z"
        || ((tail.starts_with('+') || tail.starts_with('-'))
            && tail[1..].chars().all(|c| c.is_ascii_digit() || c == ':'));
    if !zone || head.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

/// A dateTime as Salesforce writes it (`2026-12-05T10:00:00.000+0000`) or as RFC 3339
/// (`...Z`, `...+01:00`), with or without fractions of a second.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if !text.contains('T') {
        return None;
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = text.strip_suffix('Z')?;
    NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// A dateTime, or a date read as its midnight UTC (fields and answers mix the two).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    parse_datetime(text).or_else(|| {
        parse_date(text.get(..10)?)?
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_strings_are_escaped() {
        assert_eq!(soql_string("o'brien\\x"), "'o\\'brien\\\\x'");
    }

    #[test]
    fn query_paths_keep_references() {
        assert_eq!(
            query_path("SELECT Id FROM X WHERE Y = '@{a.records[0].Id}'"),
            "query/?q=SELECT+Id+FROM+X+WHERE+Y+%3D+%27@{a.records[0].Id}%27"
        );
    }

    struct Planned(&'static str, String);
    impl Subrequest for Planned {
        fn reference_id(&self) -> &str {
            self.0
        }
        fn path(&self) -> &str {
            &self.1
        }
    }

    #[test]
    fn packing_keeps_five_queries_and_moves_references_with_their_target() {
        let ids = ["q0", "q1", "q2", "q3", "q4"];
        let mut requests: Vec<Planned> = ids
            .iter()
            .map(|id| Planned(id, format!("query/?q={id}")))
            .collect();
        requests.push(Planned("dep", "query/?q=@{q1.records[0].Id}".into()));
        let packed = pack(requests);
        assert!(packed
            .iter()
            .all(|c| c.iter().filter(|r| r.is_query()).count() <= MAX_QUERIES));
        let second: Vec<&str> = packed[1].iter().map(|r| r.0).collect();
        assert_eq!(second, ["q1", "dep"]);
        let many: Vec<Planned> = (0..60)
            .map(|_| Planned("r", "sobjects/Case/describe".into()))
            .collect();
        let packed = pack(many);
        assert_eq!(
            packed.iter().map(Vec::len).collect::<Vec<_>>(),
            [25, 25, 10]
        );
    }

    #[test]
    fn salesforce_dates_parse() {
        let t = parse_datetime("2026-12-05T10:00:00.000+0000").unwrap();
        assert_eq!(Some(t), parse_datetime("2026-12-05T11:00:00+01:00"));
        assert_eq!(Some(t), parse_datetime("2026-12-05T10:00:00Z"));
        assert_eq!(parse_datetime("2026-12-05"), None);
        assert_eq!(
            parse_date("2026-12-05").map(|d| d.to_string()).as_deref(),
            Some("2026-12-05")
        );
        assert_eq!(parse_date("12/05/2026"), None);
        assert!(parse_instant("2026-12-05").is_some());
    }
}
