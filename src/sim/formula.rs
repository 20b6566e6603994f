//! The subset of Salesforce's formula language the simulated org evaluates: validation rules
//! fire when their error condition formula is true for the record as it would be saved.
//!
//! Supported: `AND`, `OR`, `NOT`, `IF`, `ISPICKVAL`, `ISBLANK`, `ISNULL`, `ISCHANGED`,
//! `PRIORVALUE`, `ISNEW`, `TEXT`, `LEN`, `BEGINS`, `CONTAINS`; the operators `&&`, `||`, `!`,
//! `=`/`==`, `<>`/`!=`, `<`, `>`, `<=`, `>=`, `+`, `-`, `&`; string, number and boolean
//! literals, `NULL`; field references (`Status`, `Enterpret_Sentiment__c`) and the globals
//! `$User.*`, `$Profile.*`. Function and field names are case-insensitive, as in Setup.
//! Sources and what is not modelled: `docs/salesforce-fidelity.md`.

use serde_json::Value;

/// A parsed formula.
#[derive(Clone, Debug, PartialEq)]
pub enum Formula {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    /// A field of the record (`Status`) or a global (`$Profile.Name`).
    Field(String),
    Call(String, Vec<Formula>),
    Not(Box<Formula>),
    Neg(Box<Formula>),
    Binary(Op, Box<Formula>, Box<Formula>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Concat,
}

/// A formula value: text (picklists read as their API value), number, boolean or blank.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
}

impl Val {
    fn from_json(v: Option<&Value>) -> Val {
        match v {
            None | Some(Value::Null) => Val::Null,
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Number(n)) => n.as_f64().map_or(Val::Null, Val::Number),
            Some(Value::String(s)) if s.is_empty() => Val::Null,
            Some(Value::String(s)) => Val::Text(s.clone()),
            Some(other) => Val::Text(other.to_string()),
        }
    }

    fn is_blank(&self) -> bool {
        matches!(self, Val::Null) || matches!(self, Val::Text(t) if t.is_empty())
    }

    fn truthy(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    fn text(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Bool(b) => b.to_string(),
            Val::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Val::Number(n) => n.to_string(),
            Val::Text(t) => t.clone(),
        }
    }
}

/// What a formula reads: the record before and after the change, and the running user.
pub trait Context {
    /// A field of the record (`prior`: as it was before this save). `None`: no such field.
    fn field(&self, name: &str, prior: bool) -> Option<Value>;
    /// A global such as `$User.Username` or `$Profile.Name` (the name with its `$`).
    fn global(&self, name: &str) -> Option<Value>;
}

pub fn parse(text: &str) -> Result<Formula, String> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, pos: 0 };
    let formula = parser.or()?;
    match parser.tokens.get(parser.pos) {
        None => Ok(formula),
        Some(t) => Err(format!("unexpected {t:?} after the end of the formula")),
    }
}

/// Evaluates a formula; an error names what the subset does not support.
pub fn eval(formula: &Formula, ctx: &dyn Context) -> Result<Val, String> {
    Ok(match formula {
        Formula::Null => Val::Null,
        Formula::Bool(b) => Val::Bool(*b),
        Formula::Number(n) => Val::Number(*n),
        Formula::Text(t) => Val::Text(t.clone()),
        Formula::Field(name) => reference(name, ctx, false)?,
        Formula::Not(inner) => Val::Bool(!eval(inner, ctx)?.truthy()),
        Formula::Neg(inner) => match eval(inner, ctx)? {
            Val::Number(n) => Val::Number(-n),
            Val::Null => Val::Null,
            other => return Err(format!("cannot negate {other:?}")),
        },
        Formula::Binary(op, a, b) => binary(*op, a, b, ctx)?,
        Formula::Call(name, args) => call(name, args, ctx)?,
    })
}

/// Whether a validation rule's error condition holds (true fires the rule).
pub fn holds(formula: &Formula, ctx: &dyn Context) -> Result<bool, String> {
    Ok(eval(formula, ctx)?.truthy())
}

fn reference(name: &str, ctx: &dyn Context, prior: bool) -> Result<Val, String> {
    if name.starts_with('$') {
        return ctx
            .global(name)
            .map(|v| Val::from_json(Some(&v)))
            .ok_or_else(|| format!("unknown global {name}"));
    }
    ctx.field(name, prior)
        .map(|v| Val::from_json(Some(&v)))
        .ok_or_else(|| format!("Field {name} does not exist"))
}

fn binary(op: Op, a: &Formula, b: &Formula, ctx: &dyn Context) -> Result<Val, String> {
    if op == Op::And {
        return Ok(Val::Bool(eval(a, ctx)?.truthy() && eval(b, ctx)?.truthy()));
    }
    if op == Op::Or {
        return Ok(Val::Bool(eval(a, ctx)?.truthy() || eval(b, ctx)?.truthy()));
    }
    let (x, y) = (eval(a, ctx)?, eval(b, ctx)?);
    Ok(match op {
        Op::Concat => Val::Text(x.text() + &y.text()),
        Op::Add | Op::Sub => match (x, y) {
            (Val::Number(x), Val::Number(y)) => {
                Val::Number(if op == Op::Add { x + y } else { x - y })
            }
            (Val::Text(x), Val::Text(y)) if op == Op::Add => Val::Text(x + &y),
            _ => Val::Null,
        },
        _ => Val::Bool(compare(op, &x, &y)),
    })
}

fn compare(op: Op, x: &Val, y: &Val) -> bool {
    use std::cmp::Ordering;
    let ordering = match (x, y) {
        (Val::Number(a), Val::Number(b)) => a.partial_cmp(b),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        // Text (and blank text) compares as text: a blank field equals ''.
        _ => Some(x.text().cmp(&y.text())),
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Gt => ordering == Ordering::Greater,
        Op::Le => ordering != Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        _ => false,
    }
}

fn field_name(arg: &Formula, function: &str) -> Result<String, String> {
    match arg {
        Formula::Field(name) if !name.starts_with('$') => Ok(name.clone()),
        _ => Err(format!("{function} needs a field reference")),
    }
}

fn call(name: &str, args: &[Formula], ctx: &dyn Context) -> Result<Val, String> {
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "Incorrect number of parameters for function '{name}()'. Expected {n}, received {}",
                args.len()
            ))
        }
    };
    let function = name.to_ascii_uppercase();
    Ok(match function.as_str() {
        "AND" => {
            for a in args {
                if !eval(a, ctx)?.truthy() {
                    return Ok(Val::Bool(false));
                }
            }
            Val::Bool(true)
        }
        "OR" => {
            for a in args {
                if eval(a, ctx)?.truthy() {
                    return Ok(Val::Bool(true));
                }
            }
            Val::Bool(false)
        }
        "NOT" => {
            arity(1)?;
            Val::Bool(!eval(&args[0], ctx)?.truthy())
        }
        "IF" => {
            arity(3)?;
            if eval(&args[0], ctx)?.truthy() {
                eval(&args[1], ctx)?
            } else {
                eval(&args[2], ctx)?
            }
        }
        "ISPICKVAL" => {
            arity(2)?;
            let field = eval(&args[0], ctx)?;
            let wanted = eval(&args[1], ctx)?;
            Val::Bool(field.text() == wanted.text())
        }
        "ISBLANK" | "ISNULL" => {
            arity(1)?;
            Val::Bool(eval(&args[0], ctx)?.is_blank())
        }
        "ISCHANGED" => {
            arity(1)?;
            let field = field_name(&args[0], &function)?;
            Val::Bool(reference(&field, ctx, true)? != reference(&field, ctx, false)?)
        }
        "PRIORVALUE" => {
            arity(1)?;
            let field = field_name(&args[0], &function)?;
            reference(&field, ctx, true)?
        }
        "ISNEW" => {
            arity(0)?;
            Val::Bool(false)
        }
        "TEXT" => {
            arity(1)?;
            match eval(&args[0], ctx)? {
                Val::Null => Val::Null,
                v => Val::Text(v.text()),
            }
        }
        "LEN" => {
            arity(1)?;
            Val::Number(eval(&args[0], ctx)?.text().chars().count() as f64)
        }
        "BEGINS" | "CONTAINS" => {
            arity(2)?;
            let text = eval(&args[0], ctx)?.text();
            let part = eval(&args[1], ctx)?.text();
            Val::Bool(if function == "BEGINS" {
                text.starts_with(&part)
            } else {
                text.contains(&part)
            })
        }
        _ => return Err(format!("Unknown function {name}")),
    })
}

// ---- tokens and parser ---------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Text(String),
    Name(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // Comments: /* ... */
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let rest: String = chars[i + 2..].iter().collect();
            let end = rest.find("*/").ok_or("unterminated comment")?;
            i += 2 + rest[..end].chars().count() + 2;
            continue;
        }
        if c == '\'' || c == '"' {
            let mut value = String::new();
            i += 1;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return Err("unterminated string literal".into());
                };
                i += 1;
                if ch == '\\' {
                    if let Some(&next) = chars.get(i) {
                        value.push(match next {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        i += 1;
                    }
                } else if ch == c {
                    break;
                } else {
                    value.push(ch);
                }
            }
            tokens.push(Token::Text(value));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let literal: String = chars[start..i].iter().collect();
            let n = literal
                .parse()
                .map_err(|_| format!("bad number {literal}"))?;
            tokens.push(Token::Number(n));
            continue;
        }
        if c.is_alphabetic() || c == '$' || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '$'))
            {
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op = match two.as_str() {
            "&&" => Some("&&"),
            "||" => Some("||"),
            "==" => Some("="),
            "!=" | "<>" => Some("<>"),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(op) = op {
            tokens.push(Token::Op(op));
            i += 2;
            continue;
        }
        let token = match c {
            '(' => Token::Open,
            ')' => Token::Close,
            ',' => Token::Comma,
            '=' => Token::Op("="),
            '<' => Token::Op("<"),
            '>' => Token::Op(">"),
            '!' => Token::Op("!"),
            '+' => Token::Op("+"),
            '-' => Token::Op("-"),
            '&' => Token::Op("&"),
            other => return Err(format!("unexpected character '{other}'")),
        };
        tokens.push(token);
        i += 1;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek_op(&self) -> Option<&'static str> {
        match self.tokens.get(self.pos) {
            Some(Token::Op(op)) => Some(op),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Formula, String> {
        let mut left = self.and()?;
        while self.peek_op() == Some("||") {
            self.pos += 1;
            let right = self.and()?;
            left = Formula::Binary(Op::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Formula, String> {
        let mut left = self.comparison()?;
        while self.peek_op() == Some("&&") {
            self.pos += 1;
            let right = self.comparison()?;
            left = Formula::Binary(Op::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Formula, String> {
        let left = self.additive()?;
        let op = match self.peek_op() {
            Some("=") => Op::Eq,
            Some("<>") => Op::Ne,
            Some("<") => Op::Lt,
            Some(">") => Op::Gt,
            Some("<=") => Op::Le,
            Some(">=") => Op::Ge,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.additive()?;
        Ok(Formula::Binary(op, Box::new(left), Box::new(right)))
    }

    fn additive(&mut self) -> Result<Formula, String> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek_op() {
                Some("+") => Op::Add,
                Some("-") => Op::Sub,
                Some("&") => Op::Concat,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = Formula::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Formula, String> {
        match self.peek_op() {
            Some("!") => {
                self.pos += 1;
                Ok(Formula::Not(Box::new(self.unary()?)))
            }
            Some("-") => {
                self.pos += 1;
                Ok(Formula::Neg(Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Formula, String> {
        let Some(token) = self.tokens.get(self.pos).cloned() else {
            return Err("the formula ends too early".into());
        };
        self.pos += 1;
        match token {
            Token::Number(n) => Ok(Formula::Number(n)),
            Token::Text(t) => Ok(Formula::Text(t)),
            Token::Open => {
                let inner = self.or()?;
                self.expect_close()?;
                Ok(inner)
            }
            Token::Name(name) => {
                if self.tokens.get(self.pos) == Some(&Token::Open) {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if self.tokens.get(self.pos) == Some(&Token::Close) {
                        self.pos += 1;
                        return Ok(Formula::Call(name, args));
                    }
                    loop {
                        args.push(self.or()?);
                        match self.tokens.get(self.pos) {
                            Some(Token::Comma) => self.pos += 1,
                            Some(Token::Close) => {
                                self.pos += 1;
                                return Ok(Formula::Call(name, args));
                            }
                            other => return Err(format!("expected ',' or ')', found {other:?}")),
                        }
                    }
                }
                Ok(match name.to_ascii_uppercase().as_str() {
                    "TRUE" => Formula::Bool(true),
                    "FALSE" => Formula::Bool(false),
                    "NULL" => Formula::Null,
                    _ => Formula::Field(name),
                })
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }

    fn expect_close(&mut self) -> Result<(), String> {
        match self.tokens.get(self.pos) {
            Some(Token::Close) => {
                self.pos += 1;
                Ok(())
            }
            other => Err(format!("expected ')', found {other:?}")),
        }
    }
}

/// The fields a formula references (not globals), for diagnostics.
pub fn fields(formula: &Formula) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(f: &Formula, out: &mut Vec<String>) {
        match f {
            Formula::Field(name)
                if !name.starts_with('$')
                    && !out.iter().any(|o: &String| o.eq_ignore_ascii_case(name)) =>
            {
                out.push(name.clone());
            }
            Formula::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            Formula::Not(a) | Formula::Neg(a) => walk(a, out),
            Formula::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            _ => {}
        }
    }
    walk(formula, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct Record {
        before: HashMap<String, Value>,
        after: HashMap<String, Value>,
        globals: HashMap<String, Value>,
    }

    impl Context for Record {
        fn field(&self, name: &str, prior: bool) -> Option<Value> {
            let map = if prior { &self.before } else { &self.after };
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        }
        fn global(&self, name: &str) -> Option<Value> {
            self.globals
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        }
    }

    fn record(before: Value, after: Value) -> Record {
        let map = |v: Value| -> HashMap<String, Value> {
            v.as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        Record {
            before: map(before),
            after: map(after),
            globals: map(json!({"$User.Username": "integration@acme.example",
                                "$Profile.Name": "Minimum Access - API Only Integrations"})),
        }
    }

    fn check(formula: &str, r: &Record) -> bool {
        holds(
            &parse(formula).unwrap_or_else(|e| panic!("{formula}: {e}")),
            r,
        )
        .unwrap_or_else(|e| panic!("{formula}: {e}"))
    }

    #[test]
    fn closed_case_rule_fires_only_when_closing_without_reason() {
        let rule = "AND(ISPICKVAL(Status, 'Closed'), ISBLANK(TEXT(Reason)))";
        let working = json!({"Status": "Working", "Reason": null, "X__c": "a"});
        let written = json!({"Status": "Working", "Reason": null, "X__c": "b"});
        assert!(!check(rule, &record(working.clone(), written)));
        let closed = json!({"Status": "Closed", "Reason": null});
        assert!(check(rule, &record(working, closed.clone())));
        let with_reason = json!({"Status": "Closed", "Reason": "Other"});
        assert!(!check(rule, &record(closed, with_reason)));
    }

    #[test]
    fn ischanged_and_globals() {
        let rule =
            "AND(ISCHANGED(Enterpret_Sentiment__c), $Profile.Name <> 'System Administrator')";
        let before = json!({"Enterpret_Sentiment__c": null});
        assert!(check(
            rule,
            &record(before.clone(), json!({"Enterpret_Sentiment__c": "Neutral"}))
        ));
        assert!(!check(rule, &record(before.clone(), before.clone())));
        assert!(!check(
            "ISCHANGED(Enterpret_Sentiment__c) && $User.Username = 'integration@acme.example' && FALSE",
            &record(before, json!({"Enterpret_Sentiment__c": "x"}))
        ));
    }

    #[test]
    fn operators_and_literals() {
        let r = record(
            json!({"N__c": 1.0, "T": "a"}),
            json!({"N__c": 5.0, "T": "b"}),
        );
        for (formula, expected) in [
            ("N__c > 4", true),
            ("N__c >= 5 && N__c <= 5", true),
            ("N__c < PRIORVALUE(N__c)", false),
            ("PRIORVALUE(T) != T", true),
            ("!(T == 'b') || NOT(FALSE)", true),
            ("T & 'c' = 'bc'", true),
            ("N__c + 1 = 6 && N__c - 1 = 4", true),
            ("IF(T = 'b', TRUE, FALSE)", true),
            ("LEN(T) = 1 && BEGINS(T, 'b') && CONTAINS('abc', T)", true),
            ("ISNULL(Missing__c)", false),
            ("/* note */ ISNEW()", false),
            ("T = \"b\"", true),
        ] {
            let result = parse(formula).and_then(|f| holds(&f, &r));
            match result {
                Ok(v) => assert_eq!(v, expected, "{formula}"),
                Err(e) if formula.contains("Missing") => assert!(e.contains("does not exist")),
                Err(e) => panic!("{formula}: {e}"),
            }
        }
    }

    #[test]
    fn parse_errors_and_fields() {
        assert!(parse("AND(").is_err());
        assert!(parse("'open").is_err());
        assert!(parse("A B").is_err());
        let f = parse("AND(ISCHANGED(Status), ISBLANK(Reason), $User.Username = 'x', status = 1)")
            .unwrap();
        assert_eq!(fields(&f), ["Status", "Reason"]);
        let r = record(json!({}), json!({}));
        assert!(holds(&parse("FOO(1)").unwrap(), &r).is_err());
    }
}
