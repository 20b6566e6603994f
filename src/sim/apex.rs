//! Tooling `executeAnonymous` for the small subset of anonymous Apex a readiness dry run uses:
//! a savepoint, a record built with `new Object(Id = '...')`, field assignments of typed
//! literals (strings, numbers, booleans, `null`, `Date.newInstance`, `Datetime.newInstanceGmt`),
//! type-checked against the field as the Apex compiler does ("Illegal assignment from String to
//! Decimal"), DML options, `update`, and `Database.rollback`. The DML goes through the same
//! `rest::dispatch` update as a REST PATCH, so validation rules, FLS and triggers answer the
//! same way; anything outside the subset is a compile problem, as Salesforce reports one.

use super::org::Org;
use super::rest::{self, Reply, RestRequest};
use super::schema::FieldKind;
use serde_json::{json, Map, Value};

fn result(
    line: i64,
    column: i64,
    compiled: bool,
    compile_problem: Option<String>,
    exception: Option<String>,
) -> Reply {
    let success = compiled && exception.is_none();
    let stack = exception
        .as_ref()
        .map(|_| format!("AnonymousBlock: line {line}, column {column}"));
    Reply::json(
        200,
        json!({"line": if success { -1 } else { line }, "column": if success { -1 } else { column },
               "compiled": compiled, "success": success, "compileProblem": compile_problem,
               "exceptionStackTrace": stack, "exceptionMessage": exception}),
    )
}

/// An Apex string literal's value, or None when it is not one literal.
fn literal(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            '\'' => return None,
            other => out.push(other),
        }
    }
    Some(out)
}

/// A literal on the right of an assignment, with its Apex type.
#[derive(Clone, Debug, PartialEq)]
enum Literal {
    Str(String),
    Integer(i64),
    Decimal(f64),
    Boolean(bool),
    Null,
    Date(chrono::NaiveDate),
    Datetime(chrono::DateTime<chrono::Utc>),
}

impl Literal {
    fn parse(text: &str) -> Option<Literal> {
        let t = text.trim();
        if t.starts_with('\'') {
            return literal(t).map(Literal::Str);
        }
        match t.to_ascii_lowercase().as_str() {
            "null" => return Some(Literal::Null),
            "true" => return Some(Literal::Boolean(true)),
            "false" => return Some(Literal::Boolean(false)),
            _ => {}
        }
        let numeric = |s: &str| {
            let digits = s.strip_prefix('-').unwrap_or(s);
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        };
        if numeric(t) {
            return if t.contains('.') {
                t.parse().ok().map(Literal::Decimal)
            } else {
                t.parse().ok().map(Literal::Integer)
            };
        }
        let args = |prefix: &str| -> Option<Vec<u32>> {
            let lower = t.to_ascii_lowercase();
            let inner = lower
                .strip_prefix(&prefix.to_ascii_lowercase())?
                .strip_suffix(')')?
                .to_string();
            inner.split(',').map(|a| a.trim().parse().ok()).collect()
        };
        if let Some(a) = args("Date.newInstance(") {
            let [y, m, d] = a[..] else { return None };
            return chrono::NaiveDate::from_ymd_opt(y as i32, m, d).map(Literal::Date);
        }
        if let Some(a) = args("Datetime.newInstanceGmt(") {
            let [y, mo, d, h, mi, sec] = a[..] else {
                return None;
            };
            let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?;
            return date
                .and_hms_opt(h, mi, sec)
                .map(|t| Literal::Datetime(t.and_utc()));
        }
        None
    }

    fn apex_type(&self) -> &'static str {
        match self {
            Literal::Str(_) => "String",
            Literal::Integer(_) => "Integer",
            Literal::Decimal(_) => "Decimal",
            Literal::Boolean(_) => "Boolean",
            Literal::Null => "null",
            Literal::Date(_) => "Date",
            Literal::Datetime(_) => "Datetime",
        }
    }

    /// The value as the REST body of the same update carries it.
    fn json(&self) -> Value {
        match self {
            Literal::Str(s) => json!(s),
            Literal::Integer(n) => json!(n),
            Literal::Decimal(n) => json!(n),
            Literal::Boolean(b) => json!(b),
            Literal::Null => Value::Null,
            Literal::Date(d) => json!(d.format("%Y-%m-%d").to_string()),
            Literal::Datetime(t) => json!(super::value::datetime_json(*t)),
        }
    }
}

/// The Apex type of an sObject field, and whether a literal may be assigned to it.
fn field_apex_type(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::Id | FieldKind::Reference => "Id",
        FieldKind::Number | FieldKind::Currency | FieldKind::Percent => "Decimal",
        FieldKind::Integer => "Integer",
        FieldKind::Address => "Address",
        FieldKind::Checkbox => "Boolean",
        FieldKind::Date => "Date",
        FieldKind::DateTime => "Datetime",
        FieldKind::Complex => "Object",
        _ => "String",
    }
}

fn assignable(literal: &Literal, field_type: &str) -> bool {
    matches!(
        (literal, field_type),
        (Literal::Null, _)
            | (_, "Object")
            | (Literal::Str(_), "String" | "Id")
            | (Literal::Integer(_) | Literal::Decimal(_), "Decimal")
            | (Literal::Integer(_), "Integer")
            | (Literal::Boolean(_), "Boolean")
            | (Literal::Date(_), "Date")
            | (Literal::Datetime(_), "Datetime")
    )
}

enum Statement {
    Ignore,
    Savepoint,
    NewRecord {
        var: String,
        object: String,
        id: String,
    },
    Assign {
        var: String,
        field: String,
        value: Literal,
    },
    Update {
        var: String,
    },
    Rollback,
}

fn parse_statement(text: &str) -> Option<Statement> {
    let t = text.trim();
    if t.is_empty()
        || t.starts_with("//")
        || matches!(t, "try {" | "} finally {" | "}" | "{")
        || t == "Database.DMLOptions o = new Database.DMLOptions();"
        || t == "o.assignmentRuleHeader.useDefaultRule = false;"
        || (t.ends_with(".setOptions(o);") && !t.contains(' '))
    {
        return Some(Statement::Ignore);
    }
    if let Some(rest) = t.strip_prefix("Savepoint ") {
        return rest
            .ends_with("= Database.setSavepoint();")
            .then_some(Statement::Savepoint);
    }
    if t.starts_with("Database.rollback(") && t.ends_with(");") {
        return Some(Statement::Rollback);
    }
    let t = t.strip_suffix(';')?;
    if let Some(var) = t.strip_prefix("update ") {
        return Some(Statement::Update {
            var: var.trim().to_string(),
        });
    }
    let (left, right) = t.split_once(" = ")?;
    if let Some((object, var)) = left.trim().split_once(' ') {
        // Case r = new Case(Id = '500...')
        let inner = right
            .trim()
            .strip_prefix(&format!("new {object}("))?
            .strip_suffix(')')?;
        let id = inner.trim().strip_prefix("Id = ")?;
        return Some(Statement::NewRecord {
            var: var.to_string(),
            object: object.to_string(),
            id: literal(id.trim())?,
        });
    }
    let (var, field) = left.trim().split_once('.')?;
    Some(Statement::Assign {
        var: var.to_string(),
        field: field.to_string(),
        value: Literal::parse(right)?,
    })
}

/// `GET /tooling/executeAnonymous/?anonymousBody=...` for `user_id`.
pub fn execute_anonymous(
    org: &mut Org,
    user_id: &str,
    version: &str,
    body: Option<String>,
) -> Reply {
    let Some(body) = body else {
        return Reply::error(400, "MISSING_ARGUMENT", "anonymousBody must be specified");
    };
    // Salesforce requires Author Apex (treated as required, see the API reference §8).
    if !org.has_permission(user_id, "PermissionsAuthorApex") {
        return Reply::error(
            403,
            "INSUFFICIENT_ACCESS",
            "You do not have the permission to execute anonymous Apex (Author Apex).",
        );
    }
    // Compile: every line must be in the subset, every field must exist.
    let mut program = Vec::new();
    for (n, line) in body.lines().enumerate() {
        let column = (line.len() - line.trim_start().len() + 1) as i64;
        let Some(statement) = parse_statement(line) else {
            let token = line.split_whitespace().next().unwrap_or("").to_string();
            return result(
                n as i64 + 1,
                column,
                false,
                Some(format!("Unexpected token '{token}'.")),
                None,
            );
        };
        program.push((n as i64 + 1, column, statement));
    }
    let mut records: Map<String, Value> = Map::new();
    let mut objects: std::collections::HashMap<String, (String, String)> = Default::default();
    for (line, column, statement) in &program {
        match statement {
            Statement::NewRecord { var, object, id } => {
                if org.object(object).is_none() {
                    return result(
                        *line,
                        *column,
                        false,
                        Some(format!("Invalid type: {object}")),
                        None,
                    );
                }
                objects.insert(var.clone(), (object.clone(), id.clone()));
            }
            Statement::Assign { var, field, value } => {
                let Some((object, _)) = objects.get(var) else {
                    return result(
                        *line,
                        *column,
                        false,
                        Some(format!("Variable does not exist: {var}")),
                        None,
                    );
                };
                let Some(def) = org.object(object).and_then(|o| o.field(field)) else {
                    return result(
                        *line,
                        *column,
                        false,
                        Some(format!("Invalid field {field} for {object}")),
                        None,
                    );
                };
                let target = field_apex_type(&def.kind);
                if !assignable(value, target) {
                    return result(
                        *line,
                        *column,
                        false,
                        Some(format!(
                            "Illegal assignment from {} to {target}",
                            value.apex_type()
                        )),
                        None,
                    );
                }
            }
            Statement::Update { var } if !objects.contains_key(var) => {
                return result(
                    *line,
                    *column,
                    false,
                    Some(format!("Variable does not exist: {var}")),
                    None,
                );
            }
            _ => {}
        }
    }
    // Run.
    let mut savepoint: Option<(String, Vec<super::org::Row>)> = None;
    let mut exception: Option<(i64, i64, String)> = None;
    let mut in_finally = false;
    for (line, column, statement) in &program {
        if exception.is_some() && !in_finally {
            // Skip to the finally block.
            if body
                .lines()
                .nth(*line as usize - 1)
                .is_some_and(|l| l.trim() == "} finally {")
            {
                in_finally = true;
            }
            continue;
        }
        match statement {
            Statement::Savepoint => {
                let object = objects
                    .values()
                    .next()
                    .map(|(o, _)| o.clone())
                    .unwrap_or_else(|| "Case".into());
                savepoint = Some((object.clone(), org.table(&object).to_vec()));
            }
            Statement::Assign { var, field, value } => {
                let entry = records.entry(var.clone()).or_insert_with(|| json!({}));
                entry[field.as_str()] = value.json();
            }
            Statement::Update { var } => {
                let (object, id) = objects[var].clone();
                let changes = records.get(var).cloned().unwrap_or_else(|| json!({}));
                let bytes = serde_json::to_vec(&changes).unwrap_or_default();
                let path = format!("/services/data/v{version}/sobjects/{object}/{id}");
                // Apex DML does not run assignment rules unless DMLOptions ask for it.
                let reply = rest::dispatch(
                    org,
                    user_id,
                    &RestRequest {
                        method: "PATCH",
                        path: &path,
                        query: None,
                        body: Some(&bytes),
                        auto_assign: false,
                        if_unmodified_since: None,
                        query_options: None,
                    },
                );
                if reply.status >= 300 {
                    let error = reply
                        .body_json()
                        .and_then(|b| b.get(0))
                        .cloned()
                        .unwrap_or_default();
                    let code = error
                        .get("errorCode")
                        .and_then(Value::as_str)
                        .unwrap_or("UNKNOWN_EXCEPTION");
                    let message = error.get("message").and_then(Value::as_str).unwrap_or("");
                    let fields: Vec<String> = error
                        .get("fields")
                        .and_then(Value::as_array)
                        .map(|f| {
                            f.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    let id18 = crate::sfid::to_18(&id).unwrap_or(id.clone());
                    exception = Some((
                        *line,
                        *column,
                        format!("System.DmlException: Update failed. First exception on row 0 with id {id18}; first error: {code}, {message}: [{}]", fields.join(", ")),
                    ));
                }
            }
            Statement::Rollback => {
                if let Some((object, rows)) = savepoint.take() {
                    *org.table_mut(&object) = rows;
                }
            }
            Statement::Ignore | Statement::NewRecord { .. } => {}
        }
    }
    match exception {
        Some((line, column, message)) => result(line, column, true, None, Some(message)),
        None => result(-1, -1, true, None, None),
    }
}
