//! A SOQL (Salesforce Object Query Language) subset: parser and evaluator.
//!
//! Supported: `SELECT field paths | COUNT() FROM Object [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n]`
//! with comparison operators, `LIKE`, `IN`/`NOT IN` (literal lists and semi-/anti-join sub-selects),
//! `AND`/`OR`/`NOT`, parentheses, parent-relationship traversal of any depth and parent-to-child
//! relationship subqueries in the SELECT list (`(SELECT ... FROM Assignments WHERE ...)`, one level).
//! Errors are worded the way Salesforce words them (query line, caret, `ERROR at Row:R:Column:C`, text).

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Value};

/// A position in the query text, for Salesforce-style error messages.
/// Both fields are 1-based; `row` is the line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub row: usize,
    pub column: usize,
}

/// A parsed SOQL query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub select: Vec<SelectItem>,
    pub from: Ident,
    pub where_clause: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// A name as typed, with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub pos: Pos,
}

/// One item of the SELECT list.
#[derive(Clone, Debug, PartialEq)]
pub enum SelectItem {
    Field(FieldPath),
    /// `COUNT()`
    CountAll,
    /// `COUNT(field)`: one `AggregateResult` row with the count as `expr0`.
    CountOf(FieldPath),
    /// A parent-to-child relationship subquery, `(SELECT ... FROM Rel [WHERE ...] [ORDER BY ...] [LIMIT n])`.
    /// Its `from` is the child relationship name (e.g. `Assignments`), not an object name.
    Subquery(Box<Query>),
}

/// A (possibly dotted) field path as typed, e.g. `["Profile", "Name"]` or `["Id"]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldPath {
    pub parts: Vec<String>,
    pub pos: Pos,
}

impl FieldPath {
    /// The path as typed, joined with dots.
    pub fn dotted(&self) -> String {
        self.parts.join(".")
    }
}

/// A literal value in a WHERE clause.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
    /// An unquoted date or datetime literal like `2025-01-01` or `2025-01-01T00:00:00Z`, kept as text.
    Date(String),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
}

/// A WHERE-clause expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: FieldPath,
        op: CmpOp,
        value: Literal,
    },
    In {
        field: FieldPath,
        negated: bool,
        values: Vec<Literal>,
    },
    InSubquery {
        field: FieldPath,
        negated: bool,
        subquery: Box<Query>,
    },
}

/// One ORDER BY item. `nulls_last` already reflects the default (false for ASC, true for DESC).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    pub field: FieldPath,
    pub descending: bool,
    pub nulls_last: bool,
}

/// An error shaped like a Salesforce REST API error (`errorCode` + `message`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error_code}: {message}")]
pub struct SoqlError {
    pub error_code: String,
    pub message: String,
}

impl SoqlError {
    /// An error with an arbitrary code and message (no location).
    pub fn new(error_code: impl Into<String>, message: impl Into<String>) -> Self {
        SoqlError {
            error_code: error_code.into(),
            message: message.into(),
        }
    }
}

/// A record of an object: keys are canonical field names; `"Id"` is usually present.
pub type Row = Map<String, Value>;

/// What the evaluator needs from the org. Implemented by the simulator per request (per calling user and
/// per API, so an object or field the caller may not see simply returns `None`).
pub trait DataSource {
    /// Canonical object name for a name as typed (case-insensitive), or None if unknown/not supported.
    fn object(&self, name: &str) -> Option<String>;
    /// Canonical field name on a canonical object (case-insensitive lookup), or None if no such (visible) column.
    fn field(&self, object: &str, field: &str) -> Option<String>;
    /// A parent relationship by name (case-insensitive) on an object:
    /// `(canonical relationship name, foreign-key field name, target object)`.
    fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)>;
    /// A child relationship by name (case-insensitive) on an object:
    /// `(canonical relationship name, child object, foreign-key field on the child pointing at the
    /// parent's Id)`. None if unknown or the child object is not visible. Defaults to none.
    fn child_relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
        let _ = (object, name);
        None
    }
    /// All rows of an object. `filter` is the query's WHERE clause, so that computed objects can insist on a
    /// filter and return an error; ordinary objects ignore it. The evaluator still applies the WHERE clause.
    fn rows(&self, object: &str, filter: Option<&Expr>) -> Result<Vec<Row>, SoqlError>;
    /// The row of `target_object` whose Id (or key) equals `key`, for relationship traversal.
    fn parent(&self, target_object: &str, key: &Value) -> Option<Row>;
    /// The `attributes.url` for a record, e.g. `/services/data/v62.0/sobjects/User/005...`.
    fn record_url(&self, object: &str, row: &Row) -> String;
}

/// The result of a query, shaped like the REST `query` response (minus `done`/`nextRecordsUrl`).
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    pub total_size: usize,
    pub records: Vec<Value>,
}

// ---------------------------------------------------------------------------------------------
// Error formatting
// ---------------------------------------------------------------------------------------------

/// Formats a Salesforce-style located error: the offending line of the query, a caret under the
/// offending token, `ERROR at Row:R:Column:C`, then the text.
fn located_error(code: &str, src: &str, pos: Pos, text: &str) -> SoqlError {
    let line = src
        .split('\n')
        .nth(pos.row.saturating_sub(1))
        .unwrap_or("")
        .trim_end_matches('\r');
    let caret = " ".repeat(pos.column.saturating_sub(1));
    SoqlError::new(
        code,
        format!(
            "\n{line}\n{caret}^\nERROR at Row:{}:Column:{}\n{text}",
            pos.row, pos.column
        ),
    )
}

fn unexpected_token(src: &str, pos: Pos, token_text: &str) -> SoqlError {
    located_error(
        "MALFORMED_QUERY",
        src,
        pos,
        &format!("unexpected token: '{token_text}'"),
    )
}

fn invalid_type(src: &str, name: &Ident) -> SoqlError {
    located_error(
        "INVALID_TYPE",
        src,
        name.pos,
        &format!(
            "sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
            name.name
        ),
    )
}

fn no_such_column(src: &str, pos: Pos, field: &str, entity: &str) -> SoqlError {
    located_error(
        "INVALID_FIELD",
        src,
        pos,
        &format!(
            "No such column '{field}' on entity '{entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

fn bad_relationship(src: &str, pos: Pos, rel: &str) -> SoqlError {
    located_error(
        "INVALID_FIELD",
        src,
        pos,
        &format!(
            "Didn't understand relationship '{rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    )
}

fn bad_child_relationship(src: &str, rel: &Ident) -> SoqlError {
    located_error(
        "INVALID_TYPE",
        src,
        rel.pos,
        &format!(
            "Didn't understand relationship '{}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.",
            rel.name
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident,
    Str(String),
    Num(f64),
    Date,
    Comma,
    LParen,
    RParen,
    Op(CmpOp),
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Tok,
    /// The token text as typed (`<EOF>` at end of input).
    text: String,
    pos: Pos,
}

struct Lexer<'a> {
    src: &'a str,
    chars: Vec<char>,
    i: usize,
    row: usize,
    col: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            chars: src.chars().collect(),
            i: 0,
            row: 1,
            col: 1,
        }
    }

    fn peek_at(&self, off: usize) -> Option<char> {
        self.chars.get(self.i + off).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.row += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn pos(&self) -> Pos {
        Pos {
            row: self.row,
            column: self.col,
        }
    }

    fn text_from(&self, start: usize) -> String {
        self.chars[start..self.i].iter().collect()
    }

    fn tokens(mut self) -> Result<Vec<Token>, SoqlError> {
        let mut out = Vec::new();
        loop {
            while self.peek_at(0).is_some_and(char::is_whitespace) {
                self.bump();
            }
            let pos = self.pos();
            let start = self.i;
            let Some(c) = self.peek_at(0) else {
                out.push(Token {
                    kind: Tok::Eof,
                    text: "<EOF>".to_string(),
                    pos,
                });
                return Ok(out);
            };
            let kind = if c.is_alphabetic() || c == '_' {
                while self
                    .peek_at(0)
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                {
                    self.bump();
                }
                Tok::Ident
            } else if c.is_ascii_digit()
                || (c == '-' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
            {
                self.lex_number_or_date()
            } else if c == '\'' {
                self.lex_string(pos)?
            } else {
                self.bump();
                match c {
                    ',' => Tok::Comma,
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '=' => Tok::Op(CmpOp::Eq),
                    '!' if self.peek_at(0) == Some('=') => {
                        self.bump();
                        Tok::Op(CmpOp::Ne)
                    }
                    '<' => match self.peek_at(0) {
                        Some('=') => {
                            self.bump();
                            Tok::Op(CmpOp::Le)
                        }
                        Some('>') => {
                            self.bump();
                            Tok::Op(CmpOp::Ne)
                        }
                        _ => Tok::Op(CmpOp::Lt),
                    },
                    '>' => {
                        if self.peek_at(0) == Some('=') {
                            self.bump();
                            Tok::Op(CmpOp::Ge)
                        } else {
                            Tok::Op(CmpOp::Gt)
                        }
                    }
                    _ => return Err(unexpected_token(self.src, pos, &c.to_string())),
                }
            };
            out.push(Token {
                kind,
                text: self.text_from(start),
                pos,
            });
        }
    }

    fn lex_number_or_date(&mut self) -> Tok {
        let start = self.i;
        if self.peek_at(0) == Some('-') {
            self.bump();
        }
        while self.peek_at(0).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        let digits = self.i - start;
        if digits == 4
            && self.chars[start] != '-'
            && self.peek_at(0) == Some('-')
            && self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
        {
            while self.peek_at(0).is_some_and(|c| {
                c.is_ascii_digit() || matches!(c, '-' | ':' | 'T' | '.' | 'Z' | '+')
            }) {
                self.bump();
            }
            return Tok::Date;
        }
        if self.peek_at(0) == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            while self.peek_at(0).is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        let text = self.text_from(start);
        Tok::Num(text.parse().unwrap_or(0.0))
    }

    fn lex_string(&mut self, pos: Pos) -> Result<Tok, SoqlError> {
        let start = self.i;
        self.bump(); // opening quote
        let mut s = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(unexpected_token(self.src, pos, &self.text_from(start)));
            };
            match c {
                '\'' => return Ok(Tok::Str(s)),
                '\\' => {
                    let Some(e) = self.bump() else {
                        return Err(unexpected_token(self.src, pos, &self.text_from(start)));
                    };
                    match e {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'b' => s.push('\u{8}'),
                        'f' => s.push('\u{c}'),
                        // Kept escaped so that LIKE can tell a literal % or _ from a wildcard.
                        '%' | '_' => {
                            s.push('\\');
                            s.push(e);
                        }
                        'u' => {
                            let hex: String = (0..4).filter_map(|_| self.bump()).collect();
                            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) => s.push(ch),
                                None => {
                                    return Err(unexpected_token(
                                        self.src,
                                        pos,
                                        &self.text_from(start),
                                    ))
                                }
                            }
                        }
                        other => s.push(other),
                    }
                }
                other => s.push(other),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/// Words that cannot be used as a field name in a SELECT list or condition.
const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT", "OFFSET",
    "NULL", "TRUE", "FALSE", "GROUP", "HAVING", "WITH", "ASC", "DESC", "NULLS",
];

/// Where a SELECT is being parsed: child relationship subqueries are only allowed at the top.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nesting {
    Top,
    SemiJoin,
    Child,
}

/// Longest query the simulator parses, in characters: Salesforce's documented limit for a SOQL
/// statement.
pub const MAX_QUERY_CHARS: usize = 100_000;

/// Deepest nesting of parentheses, NOTs and sub-selects the simulator parses. The parser and
/// the evaluator recurse once per level, so this bounds their stack; chains of AND / OR do not
/// nest (they are kept balanced, see `balanced`).
pub const MAX_NESTING: usize = 50;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    i: usize,
    /// Open parentheses, NOTs and sub-selects around the current token.
    depth: usize,
}

/// Chains up to this many terms keep the left-to-right tree `((a AND b) AND c) ...`.
const LEFT_FOLD_TERMS: usize = 16;

/// Joins the terms of one AND or OR chain. Up to [`LEFT_FOLD_TERMS`] terms: the left-to-right
/// tree. Longer chains: halves joined recursively, the same truth value (both operators are
/// associative) at about log2(n) + 16 levels instead of n, so a chain of hundreds of terms costs
/// the recursive evaluator no stack.
fn balanced(mut terms: Vec<Expr>, join: fn(Box<Expr>, Box<Expr>) -> Expr) -> Option<Expr> {
    if terms.len() <= LEFT_FOLD_TERMS {
        let mut terms = terms.into_iter();
        let first = terms.next()?;
        return Some(terms.fold(first, |left, right| join(Box::new(left), Box::new(right))));
    }
    let right = terms.split_off(terms.len().div_ceil(2));
    Some(join(
        Box::new(balanced(terms, join)?),
        Box::new(balanced(right, join)?),
    ))
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> &Token {
        &self.toks[(self.i + 1).min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn unexpected(&self, t: &Token) -> SoqlError {
        unexpected_token(self.src, t.pos, &t.text)
    }

    /// One more level of nesting at the current token, or the error past [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), SoqlError> {
        if self.depth == MAX_NESTING {
            return Err(located_error(
                "MALFORMED_QUERY",
                self.src,
                self.peek().pos,
                &format!(
                    "the query nests parentheses, NOTs and sub-selects more than {MAX_NESTING} deep"
                ),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn is_kw(&self, kw: &str) -> bool {
        let t = self.peek();
        t.kind == Tok::Ident && t.text.eq_ignore_ascii_case(kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<Token, SoqlError> {
        let t = self.next();
        if t.kind == Tok::Ident && t.text.eq_ignore_ascii_case(kw) {
            Ok(t)
        } else {
            Err(self.unexpected(&t))
        }
    }

    fn expect(&mut self, kind: Tok) -> Result<Token, SoqlError> {
        let t = self.next();
        if t.kind == kind {
            Ok(t)
        } else {
            Err(self.unexpected(&t))
        }
    }

    fn parse_query(&mut self, nesting: Nesting) -> Result<Query, SoqlError> {
        self.expect_kw("SELECT")?;
        let mut select = Vec::new();
        loop {
            let next = self.peek2();
            if self.peek().kind == Tok::LParen
                && next.kind == Tok::Ident
                && next.text.eq_ignore_ascii_case("SELECT")
            {
                self.next();
                if nesting != Nesting::Top {
                    return Err(located_error(
                        "MALFORMED_QUERY",
                        self.src,
                        self.peek().pos,
                        "SOQL statements cannot query aggregate relationships more than 1 level away from the root entity object.",
                    ));
                }
                self.enter()?;
                let sub = self.parse_query(Nesting::Child)?;
                self.leave();
                self.expect(Tok::RParen)?;
                select.push(SelectItem::Subquery(Box::new(sub)));
            } else if self.is_kw("COUNT") && self.peek2().kind == Tok::LParen {
                let count = self.next();
                if !select.is_empty() || nesting == Nesting::Child {
                    return Err(self.unexpected(&count));
                }
                self.expect(Tok::LParen)?;
                if self.peek().kind == Tok::RParen {
                    self.next();
                    select.push(SelectItem::CountAll);
                } else {
                    let path = self.parse_path()?;
                    self.expect(Tok::RParen)?;
                    select.push(SelectItem::CountOf(path));
                }
                // COUNT() stands alone: FROM must follow.
                break;
            } else {
                select.push(SelectItem::Field(self.parse_path()?));
            }
            if self.peek().kind == Tok::Comma {
                self.next();
            } else {
                break;
            }
        }
        self.expect_kw("FROM")?;
        let obj = self.expect(Tok::Ident)?;
        let from = Ident {
            name: obj.text,
            pos: obj.pos,
        };
        let where_clause = if self.eat_kw("WHERE") {
            Some(self.parse_or()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let field = self.parse_path()?;
                let descending = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                let mut nulls_last = descending;
                if self.eat_kw("NULLS") {
                    if self.eat_kw("LAST") {
                        nulls_last = true;
                    } else {
                        self.expect_kw("FIRST")?;
                        nulls_last = false;
                    }
                }
                order_by.push(OrderItem {
                    field,
                    descending,
                    nulls_last,
                });
                if self.peek().kind == Tok::Comma {
                    self.next();
                } else {
                    break;
                }
            }
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.parse_count()?)
        } else {
            None
        };
        let offset = if self.eat_kw("OFFSET") {
            Some(self.parse_count()?)
        } else {
            None
        };
        Ok(Query {
            select,
            from,
            where_clause,
            order_by,
            limit,
            offset,
        })
    }

    fn parse_count(&mut self) -> Result<usize, SoqlError> {
        let t = self.next();
        match t.kind {
            Tok::Num(n) if n >= 0.0 && n.fract() == 0.0 && !t.text.contains('.') => Ok(n as usize),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn parse_path(&mut self) -> Result<FieldPath, SoqlError> {
        let t = self.next();
        if t.kind != Tok::Ident || RESERVED.iter().any(|r| t.text.eq_ignore_ascii_case(r)) {
            return Err(self.unexpected(&t));
        }
        let parts: Vec<String> = t.text.split('.').map(str::to_string).collect();
        if parts.iter().any(String::is_empty) {
            return Err(self.unexpected(&t));
        }
        Ok(FieldPath { parts, pos: t.pos })
    }

    fn parse_or(&mut self) -> Result<Expr, SoqlError> {
        let mut terms = vec![self.parse_and()?];
        while self.eat_kw("OR") {
            terms.push(self.parse_and()?);
        }
        balanced(terms, Expr::Or).ok_or_else(|| self.unexpected(self.peek()))
    }

    fn parse_and(&mut self) -> Result<Expr, SoqlError> {
        let mut terms = vec![self.parse_not()?];
        while self.eat_kw("AND") {
            terms.push(self.parse_not()?);
        }
        balanced(terms, Expr::And).ok_or_else(|| self.unexpected(self.peek()))
    }

    fn parse_not(&mut self) -> Result<Expr, SoqlError> {
        if self.is_kw("NOT") {
            self.enter()?;
            self.next();
            let negated = self.parse_not()?;
            self.leave();
            return Ok(Expr::Not(Box::new(negated)));
        }
        if self.peek().kind == Tok::LParen {
            self.enter()?;
            self.next();
            let e = self.parse_or()?;
            self.expect(Tok::RParen)?;
            self.leave();
            return Ok(e);
        }
        self.parse_condition()
    }

    fn parse_condition(&mut self) -> Result<Expr, SoqlError> {
        let field = self.parse_path()?;
        let t = self.next();
        match t.kind {
            Tok::Op(op) => {
                let value = self.parse_literal()?;
                Ok(Expr::Compare { field, op, value })
            }
            Tok::Ident if t.text.eq_ignore_ascii_case("LIKE") => {
                let v = self.next();
                match v.kind {
                    Tok::Str(s) => Ok(Expr::Compare {
                        field,
                        op: CmpOp::Like,
                        value: Literal::String(s),
                    }),
                    _ => Err(self.unexpected(&v)),
                }
            }
            Tok::Ident if t.text.eq_ignore_ascii_case("IN") => self.parse_in(field, false),
            Tok::Ident if t.text.eq_ignore_ascii_case("NOT") => {
                self.expect_kw("IN")?;
                self.parse_in(field, true)
            }
            _ => Err(self.unexpected(&t)),
        }
    }

    fn parse_in(&mut self, field: FieldPath, negated: bool) -> Result<Expr, SoqlError> {
        self.expect(Tok::LParen)?;
        if self.is_kw("SELECT") {
            let select_tok = self.peek().clone();
            self.enter()?;
            let subquery = self.parse_query(Nesting::SemiJoin)?;
            self.leave();
            let single_field = matches!(subquery.select.as_slice(), [SelectItem::Field(_)]);
            if !single_field {
                return Err(located_error(
                    "MALFORMED_QUERY",
                    self.src,
                    select_tok.pos,
                    "semi join sub-selects must select exactly one field",
                ));
            }
            self.expect(Tok::RParen)?;
            return Ok(Expr::InSubquery {
                field,
                negated,
                subquery: Box::new(subquery),
            });
        }
        let mut values = Vec::new();
        loop {
            values.push(self.parse_literal()?);
            let t = self.next();
            match t.kind {
                Tok::Comma => continue,
                Tok::RParen => break,
                _ => return Err(self.unexpected(&t)),
            }
        }
        Ok(Expr::In {
            field,
            negated,
            values,
        })
    }

    fn parse_literal(&mut self) -> Result<Literal, SoqlError> {
        let t = self.next();
        match &t.kind {
            Tok::Str(s) => Ok(Literal::String(s.clone())),
            Tok::Num(n) => Ok(Literal::Number(*n)),
            Tok::Date => Ok(Literal::Date(t.text.clone())),
            Tok::Ident if t.text.eq_ignore_ascii_case("TRUE") => Ok(Literal::Bool(true)),
            Tok::Ident if t.text.eq_ignore_ascii_case("FALSE") => Ok(Literal::Bool(false)),
            Tok::Ident if t.text.eq_ignore_ascii_case("NULL") => Ok(Literal::Null),
            _ => Err(self.unexpected(&t)),
        }
    }
}

/// Parses a SOQL query. Syntax errors are `MALFORMED_QUERY` with Salesforce's wording.
pub fn parse(soql: &str) -> Result<Query, SoqlError> {
    let length = soql.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(SoqlError::new(
            "MALFORMED_QUERY",
            format!("SOQL statements cannot be longer than {MAX_QUERY_CHARS} characters; this one has {length}"),
        ));
    }
    let toks = Lexer::new(soql).tokens()?;
    let mut p = Parser {
        src: soql,
        toks,
        i: 0,
        depth: 0,
    };
    let q = p.parse_query(Nesting::Top)?;
    let t = p.next();
    if t.kind != Tok::Eof {
        return Err(p.unexpected(&t));
    }
    Ok(q)
}

// ---------------------------------------------------------------------------------------------
// Value comparison helpers
// ---------------------------------------------------------------------------------------------

/// Looks a field up in a row: exact key first, then case-insensitively.
fn row_get<'r>(row: &'r Row, key: &str) -> Option<&'r Value> {
    row.get(key).or_else(|| {
        row.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch for an ISO date (`2025-01-01`) or datetime
/// (`2025-01-01T00:00:00Z`, `2025-01-01T00:00:00.000+0000`, `...-08:00`). None if not such a text.
fn datetime_millis(s: &str) -> Option<i64> {
    let num = |a: usize, b: usize| -> Option<i64> {
        let t = s.get(a..b)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let day_ms = days_from_civil(y, mo, d) * 86_400_000;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(day_ms);
    }
    if !rest.starts_with('T') || s.get(13..14)? != ":" || s.get(16..17)? != ":" {
        return None;
    }
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut ms = day_ms + ((h * 60 + mi) * 60 + sec) * 1000;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        let digits: String = frac[..n].chars().chain("000".chars()).take(3).collect();
        ms += digits.parse::<i64>().ok()?;
        rest = &frac[n..];
    }
    match rest {
        "" | "Z" => Some(ms),
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let tz: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if tz.len() != 4 || !tz.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let off = (tz[..2].parse::<i64>().ok()? * 60 + tz[2..].parse::<i64>().ok()?) * 60_000;
            Some(ms - sign * off)
        }
    }
}

fn cmp_dates(a: &str, b: &str) -> Ordering {
    match (datetime_millis(a), datetime_millis(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.to_lowercase().cmp(&b.to_lowercase())
}

/// Salesforce accepts a 15-character id where the stored value is the 18-character form.
fn ids_match(a: &str, b: &str) -> bool {
    let is_id = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    let (short, long) = match (a.len(), b.len()) {
        (15, 18) => (a, b),
        (18, 15) => (b, a),
        _ => return false,
    };
    is_id(short) && is_id(long) && long.starts_with(short)
}

/// How a (non-null) value orders against a (non-null) literal, if they are comparable.
fn order_against(v: &Value, lit: &Literal) -> Option<Ordering> {
    match (v, lit) {
        (Value::String(s), Literal::String(l)) => Some(cmp_ci(s, l)),
        (Value::String(s), Literal::Date(d)) => Some(cmp_dates(s, d)),
        (Value::String(s), Literal::Number(n)) => s.trim().parse::<f64>().ok()?.partial_cmp(n),
        (Value::Number(x), Literal::Number(n)) => x.as_f64()?.partial_cmp(n),
        (Value::Number(x), Literal::String(s)) => x.as_f64()?.partial_cmp(&s.trim().parse().ok()?),
        (Value::Bool(b), Literal::Bool(l)) => Some(b.cmp(l)),
        _ => None,
    }
}

fn value_equals(v: &Value, lit: &Literal) -> bool {
    match (v, lit) {
        (Value::Null, Literal::Null) => true,
        (Value::Null, _) | (_, Literal::Null) => false,
        (Value::String(s), Literal::String(l)) => {
            ids_match(s, l) || s == l || s.to_lowercase() == l.to_lowercase()
        }
        _ => order_against(v, lit) == Some(Ordering::Equal),
    }
}

/// SOQL LIKE: `%` any run, `_` one character, case-insensitive; `\%` and `\_` are literal.
fn like_match(value: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Ch(char),
    }
    let mut pat = Vec::new();
    let mut it = pattern.chars().flat_map(char::to_lowercase).peekable();
    while let Some(c) = it.next() {
        pat.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => match it.peek() {
                Some(&n) if n == '%' || n == '_' => {
                    it.next();
                    P::Ch(n)
                }
                _ => P::Ch('\\'),
            },
            c => P::Ch(c),
        });
    }
    let text: Vec<char> = value.chars().flat_map(char::to_lowercase).collect();
    // dp[j]: pattern prefix of length j matches the text prefix processed so far.
    let mut dp = vec![false; pat.len() + 1];
    dp[0] = true;
    for j in 0..pat.len() {
        dp[j + 1] = dp[j] && pat[j] == P::Any;
    }
    for &c in &text {
        let mut next = vec![false; pat.len() + 1];
        for j in 0..pat.len() {
            next[j + 1] = match pat[j] {
                P::Any => next[j] || dp[j + 1],
                P::One => dp[j],
                P::Ch(p) => dp[j] && p == c,
            };
        }
        dp = next;
    }
    dp[pat.len()]
}

fn compare(v: &Value, op: CmpOp, lit: &Literal) -> bool {
    if *lit == Literal::Null {
        return match op {
            CmpOp::Eq => v.is_null(),
            CmpOp::Ne => !v.is_null(),
            _ => false,
        };
    }
    if v.is_null() {
        // SOQL treats null as a value: `Field != 'x'` includes rows where Field is null.
        return op == CmpOp::Ne;
    }
    match op {
        CmpOp::Eq => value_equals(v, lit),
        CmpOp::Ne => order_against(v, lit).is_some() && !value_equals(v, lit),
        CmpOp::Like => match (v, lit) {
            (Value::String(s), Literal::String(p)) => like_match(s, p),
            _ => false,
        },
        CmpOp::Lt => order_against(v, lit) == Some(Ordering::Less),
        CmpOp::Le => matches!(
            order_against(v, lit),
            Some(Ordering::Less | Ordering::Equal)
        ),
        CmpOp::Gt => order_against(v, lit) == Some(Ordering::Greater),
        CmpOp::Ge => matches!(
            order_against(v, lit),
            Some(Ordering::Greater | Ordering::Equal)
        ),
    }
}

fn value_to_literal(v: &Value) -> Literal {
    match v {
        Value::Null => Literal::Null,
        Value::Bool(b) => Literal::Bool(*b),
        Value::Number(n) => Literal::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Literal::String(s.clone()),
        other => Literal::String(other.to_string()),
    }
}

/// Ordering of two non-null values for ORDER BY.
fn cmp_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            _ => 4,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => match (datetime_millis(x), datetime_millis(y)) {
            (Some(p), Some(q)) => p.cmp(&q),
            _ => cmp_ci(x, y).then_with(|| x.cmp(y)),
        },
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a)
            .cmp(&rank(b))
            .then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Step {
    rel: String,
    fk: String,
    target: String,
}

/// A field path resolved against the data source: relationship steps, then a canonical field.
#[derive(Clone, Debug)]
struct Resolved {
    steps: Vec<Step>,
    field: String,
}

impl Resolved {
    fn key(&self) -> String {
        let mut k: Vec<&str> = self.steps.iter().map(|s| s.rel.as_str()).collect();
        k.push(&self.field);
        k.join(".").to_lowercase()
    }
}

enum CExpr {
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Not(Box<CExpr>),
    Compare {
        path: Resolved,
        op: CmpOp,
        value: Literal,
    },
    In {
        path: Resolved,
        negated: bool,
        values: Vec<Literal>,
    },
    InSub {
        path: Resolved,
        negated: bool,
        sub: Box<Compiled>,
        /// Filled in by `Evaluator::materialize` before filtering.
        values: Vec<Literal>,
    },
}

/// A compiled child relationship subquery.
struct ChildQuery {
    /// Canonical relationship name: the key of the subquery's results in each parent record.
    rel: String,
    /// Foreign-key field on the child object pointing at the parent's Id.
    fk: String,
    /// How many of the parent's `fields` precede the subquery in the SELECT list.
    at: usize,
    sub: Compiled,
}

/// Child rows grouped by the parent they belong to (keyed by `id_key` of the parent Id).
type ChildGroups = HashMap<String, Vec<Row>>;

/// A key under which 15- and 18-character forms of an id meet.
fn id_key(id: &str) -> &str {
    if id.len() == 18 && id.bytes().all(|c| c.is_ascii_alphanumeric()) {
        &id[..15]
    } else {
        id
    }
}

struct Compiled {
    object: String,
    count: bool,
    /// `COUNT(field)`: an aggregate row instead of the rows.
    count_of: bool,
    fields: Vec<Resolved>,
    children: Vec<ChildQuery>,
    filter: Option<CExpr>,
    where_ast: Option<Expr>,
    order: Vec<(Resolved, bool, bool)>,
    limit: Option<usize>,
    offset: Option<usize>,
}

struct Evaluator<'a> {
    src: &'a str,
    source: &'a dyn DataSource,
}

impl Evaluator<'_> {
    fn compile(&self, q: &Query) -> Result<Compiled, SoqlError> {
        let object = self
            .source
            .object(&q.from.name)
            .ok_or_else(|| invalid_type(self.src, &q.from))?;
        self.compile_on(object, q)
    }

    /// Compiles a query whose FROM has already been resolved to `object`.
    fn compile_on(&self, object: String, q: &Query) -> Result<Compiled, SoqlError> {
        let mut fields = Vec::new();
        let mut children = Vec::new();
        let mut count = false;
        let mut count_of = false;
        let mut seen = std::collections::HashSet::new();
        for item in &q.select {
            match item {
                SelectItem::CountAll => count = true,
                SelectItem::CountOf(fp) => {
                    self.resolve(&object, fp)?;
                    count_of = true;
                }
                SelectItem::Subquery(sub) => {
                    let (rel, child_object, fk) = self
                        .source
                        .child_relationship(&object, &sub.from.name)
                        .ok_or_else(|| bad_child_relationship(self.src, &sub.from))?;
                    if !seen.insert(format!("({})", rel.to_lowercase())) {
                        return Err(located_error(
                            "MALFORMED_QUERY",
                            self.src,
                            sub.from.pos,
                            &format!("duplicate field selected: {}", sub.from.name),
                        ));
                    }
                    children.push(ChildQuery {
                        rel,
                        fk,
                        at: fields.len(),
                        sub: self.compile_on(child_object, sub)?,
                    });
                }
                SelectItem::Field(fp) => {
                    let r = self.resolve(&object, fp)?;
                    if !seen.insert(r.key()) {
                        return Err(located_error(
                            "MALFORMED_QUERY",
                            self.src,
                            fp.pos,
                            &format!("duplicate field selected: {}", fp.dotted()),
                        ));
                    }
                    fields.push(r);
                }
            }
        }
        let filter = match &q.where_clause {
            Some(e) => Some(self.compile_expr(&object, e)?),
            None => None,
        };
        let order = q
            .order_by
            .iter()
            .map(|o| Ok((self.resolve(&object, &o.field)?, o.descending, o.nulls_last)))
            .collect::<Result<Vec<_>, SoqlError>>()?;
        Ok(Compiled {
            object,
            count,
            count_of,
            fields,
            children,
            filter,
            where_ast: q.where_clause.clone(),
            order,
            limit: q.limit,
            offset: q.offset,
        })
    }

    fn resolve(&self, object: &str, fp: &FieldPath) -> Result<Resolved, SoqlError> {
        let (last, rels) = fp
            .parts
            .split_last()
            .ok_or_else(|| unexpected_token(self.src, fp.pos, "<EOF>"))?;
        let mut cur = object.to_string();
        let mut steps = Vec::new();
        for part in rels {
            let (rel, fk, target) = self
                .source
                .relationship(&cur, part)
                .ok_or_else(|| bad_relationship(self.src, fp.pos, part))?;
            steps.push(Step {
                rel,
                fk,
                target: target.clone(),
            });
            cur = target;
        }
        let field = self
            .source
            .field(&cur, last)
            .ok_or_else(|| no_such_column(self.src, fp.pos, last, &cur))?;
        Ok(Resolved { steps, field })
    }

    fn compile_expr(&self, object: &str, e: &Expr) -> Result<CExpr, SoqlError> {
        Ok(match e {
            Expr::And(a, b) => CExpr::And(
                Box::new(self.compile_expr(object, a)?),
                Box::new(self.compile_expr(object, b)?),
            ),
            Expr::Or(a, b) => CExpr::Or(
                Box::new(self.compile_expr(object, a)?),
                Box::new(self.compile_expr(object, b)?),
            ),
            Expr::Not(a) => CExpr::Not(Box::new(self.compile_expr(object, a)?)),
            Expr::Compare { field, op, value } => CExpr::Compare {
                path: self.resolve(object, field)?,
                op: *op,
                value: value.clone(),
            },
            Expr::In {
                field,
                negated,
                values,
            } => CExpr::In {
                path: self.resolve(object, field)?,
                negated: *negated,
                values: values.clone(),
            },
            Expr::InSubquery {
                field,
                negated,
                subquery,
            } => CExpr::InSub {
                path: self.resolve(object, field)?,
                negated: *negated,
                sub: Box::new(self.compile(subquery)?),
                values: Vec::new(),
            },
        })
    }

    /// Runs the sub-selects of semi-/anti-joins and stores their values.
    fn materialize(&self, e: &mut CExpr) -> Result<(), SoqlError> {
        match e {
            CExpr::And(a, b) | CExpr::Or(a, b) => {
                self.materialize(a)?;
                self.materialize(b)
            }
            CExpr::Not(a) => self.materialize(a),
            CExpr::Compare { .. } | CExpr::In { .. } => Ok(()),
            CExpr::InSub { sub, values, .. } => {
                let rows = self.run(sub)?;
                let Some(field) = sub.fields.first() else {
                    return Ok(());
                };
                *values = rows
                    .iter()
                    .map(|r| self.value_of(r, field))
                    .filter(|v| !v.is_null())
                    .map(|v| value_to_literal(&v))
                    .collect();
                Ok(())
            }
        }
    }

    /// The value of a resolved path on a row (Null when a relationship is null or its parent is missing).
    fn value_of(&self, row: &Row, path: &Resolved) -> Value {
        let mut holder: Row;
        let mut cur = row;
        for step in &path.steps {
            let parent = match row_get(cur, &step.fk) {
                None | Some(Value::Null) => return Value::Null,
                Some(key) => self.source.parent(&step.target, key),
            };
            match parent {
                Some(p) => {
                    holder = p;
                    cur = &holder;
                }
                None => return Value::Null,
            }
        }
        row_get(cur, &path.field).cloned().unwrap_or(Value::Null)
    }

    fn eval(&self, e: &CExpr, row: &Row) -> bool {
        match e {
            CExpr::And(a, b) => self.eval(a, row) && self.eval(b, row),
            CExpr::Or(a, b) => self.eval(a, row) || self.eval(b, row),
            CExpr::Not(a) => !self.eval(a, row),
            CExpr::Compare { path, op, value } => compare(&self.value_of(row, path), *op, value),
            CExpr::In {
                path,
                negated,
                values,
            }
            | CExpr::InSub {
                path,
                negated,
                values,
                ..
            } => {
                let v = self.value_of(row, path);
                let found = values.iter().any(|l| value_equals(&v, l));
                // SOQL treats null as a value: NOT IN includes rows where the field is null.
                found != *negated
            }
        }
    }

    /// Fetches, filters, sorts and pages the rows of a compiled query.
    fn run(&self, q: &mut Compiled) -> Result<Vec<Row>, SoqlError> {
        let rows = self.fetch(q)?;
        let rows = self.sort(rows, &q.order);
        Ok(page(rows, q.offset, q.limit))
    }

    /// Fetches the rows of a compiled query and applies its WHERE clause.
    fn fetch(&self, q: &mut Compiled) -> Result<Vec<Row>, SoqlError> {
        if let Some(f) = q.filter.as_mut() {
            self.materialize(f)?;
        }
        let rows = self.source.rows(&q.object, q.where_ast.as_ref())?;
        Ok(match &q.filter {
            Some(f) => rows.into_iter().filter(|r| self.eval(f, r)).collect(),
            None => rows,
        })
    }

    /// The rows of a child subquery for all parents at once (one `rows` call), grouped by the
    /// parent Id they point at, each group ordered and paged by the subquery.
    fn child_groups(&self, c: &mut ChildQuery) -> Result<ChildGroups, SoqlError> {
        let rows = self.fetch(&mut c.sub)?;
        let rows = self.sort(rows, &c.sub.order);
        let mut groups = ChildGroups::new();
        for r in rows {
            let Some(parent) = row_get(&r, &c.fk).and_then(Value::as_str) else {
                continue;
            };
            groups
                .entry(id_key(parent).to_string())
                .or_default()
                .push(r);
        }
        if c.sub.offset.is_some() || c.sub.limit.is_some() {
            for group in groups.values_mut() {
                *group = page(std::mem::take(group), c.sub.offset, c.sub.limit);
            }
        }
        Ok(groups)
    }

    /// Sorts rows by ORDER BY items (a stable sort: ties keep their order).
    fn sort(&self, mut rows: Vec<Row>, order: &[(Resolved, bool, bool)]) -> Vec<Row> {
        if !order.is_empty() {
            let mut keyed: Vec<(Vec<Value>, Row)> = rows
                .into_iter()
                .map(|r| {
                    let keys = order.iter().map(|(p, _, _)| self.value_of(&r, p)).collect();
                    (keys, r)
                })
                .collect();
            keyed.sort_by(|(a, _), (b, _)| {
                for (i, (_, desc, nulls_last)) in order.iter().enumerate() {
                    let ord = match (a[i].is_null(), b[i].is_null()) {
                        (true, true) => Ordering::Equal,
                        (true, false) if *nulls_last => Ordering::Greater,
                        (true, false) => Ordering::Less,
                        (false, true) if *nulls_last => Ordering::Less,
                        (false, true) => Ordering::Greater,
                        (false, false) => {
                            let o = cmp_values(&a[i], &b[i]);
                            if *desc {
                                o.reverse()
                            } else {
                                o
                            }
                        }
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            });
            rows = keyed.into_iter().map(|(_, r)| r).collect();
        }
        rows
    }

    fn attributes(&self, object: &str, row: &Row) -> Value {
        let mut a = Map::new();
        a.insert("type".to_string(), Value::String(object.to_string()));
        a.insert(
            "url".to_string(),
            Value::String(self.source.record_url(object, row)),
        );
        Value::Object(a)
    }

    /// A record as the REST API shows it: `attributes`, then the SELECT list in order (nested
    /// objects for parent relationships, `{totalSize, done, records}` or null for child subqueries).
    /// `groups[i]` holds the rows of `q.children[i]`.
    fn record(&self, q: &Compiled, row: &Row, groups: &[ChildGroups]) -> Value {
        let mut rec = Map::new();
        rec.insert("attributes".to_string(), self.attributes(&q.object, row));
        let parent_id = row_get(row, "Id").and_then(Value::as_str).map(id_key);
        let mut children = q.children.iter().zip(groups).peekable();
        for i in 0..=q.fields.len() {
            while let Some((c, g)) = children.next_if(|(c, _)| c.at <= i) {
                let rows = parent_id.and_then(|id| g.get(id)).filter(|r| !r.is_empty());
                let value = match rows {
                    None => Value::Null,
                    Some(rows) => {
                        let mut m = Map::new();
                        m.insert("totalSize".to_string(), Value::from(rows.len()));
                        m.insert("done".to_string(), Value::Bool(true));
                        let records = rows.iter().map(|r| self.record(&c.sub, r, &[])).collect();
                        m.insert("records".to_string(), Value::Array(records));
                        Value::Object(m)
                    }
                };
                rec.insert(c.rel.clone(), value);
            }
            if let Some(f) = q.fields.get(i) {
                self.insert_path(&mut rec, row, &f.steps, &f.field);
            }
        }
        Value::Object(rec)
    }

    fn insert_path(&self, rec: &mut Map<String, Value>, row: &Row, steps: &[Step], field: &str) {
        let Some((step, rest)) = steps.split_first() else {
            let v = row_get(row, field).cloned().unwrap_or(Value::Null);
            rec.insert(field.to_string(), v);
            return;
        };
        let parent = match row_get(row, &step.fk) {
            None | Some(Value::Null) => None,
            Some(key) => self.source.parent(&step.target, key),
        };
        match parent {
            None => {
                rec.entry(step.rel.clone()).or_insert(Value::Null);
            }
            Some(p) => {
                let child = rec.entry(step.rel.clone()).or_insert_with(|| {
                    let mut m = Map::new();
                    m.insert("attributes".to_string(), self.attributes(&step.target, &p));
                    Value::Object(m)
                });
                if let Value::Object(m) = child {
                    self.insert_path(m, &p, rest, field);
                }
            }
        }
    }
}

/// Skips `offset` rows and keeps at most `limit`.
fn page(rows: Vec<Row>, offset: Option<usize>, limit: Option<usize>) -> Vec<Row> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(usize::MAX);
    rows.into_iter().skip(offset).take(limit).collect()
}

/// Parses and evaluates a query against a data source. Records are shaped exactly like Salesforce
/// REST query records (`attributes` first, then fields in SELECT order, nested objects per parent
/// relationship, `{"totalSize", "done", "records"}` or null per child relationship subquery).
/// For `COUNT()` queries `records` is empty and `total_size` is the count.
pub fn execute(soql: &str, source: &dyn DataSource) -> Result<QueryResult, SoqlError> {
    let q = parse(soql)?;
    let ev = Evaluator { src: soql, source };
    let mut compiled = ev.compile(&q)?;
    let rows = ev.run(&mut compiled)?;
    if compiled.count {
        return Ok(QueryResult {
            total_size: rows.len(),
            records: Vec::new(),
        });
    }
    if compiled.count_of {
        // Unlike COUNT(), COUNT(field) answers one aggregate row (SOQL and SOSL Reference,
        // "COUNT() and COUNT(fieldName)"): `{"attributes": {"type": "AggregateResult"}, "expr0": n}`.
        return Ok(QueryResult {
            total_size: 1,
            records: vec![serde_json::json!({
                "attributes": {"type": "AggregateResult"},
                "expr0": rows.len(),
            })],
        });
    }
    // Each child subquery fetches its rows once for all parents.
    let groups = compiled
        .children
        .iter_mut()
        .map(|c| ev.child_groups(c))
        .collect::<Result<Vec<_>, SoqlError>>()?;
    let records: Vec<Value> = rows
        .iter()
        .map(|r| ev.record(&compiled, r, &groups))
        .collect();
    Ok(QueryResult {
        total_size: records.len(),
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A small in-memory org.
    struct Mem {
        /// (object, fields)
        objects: Vec<(&'static str, Vec<&'static str>)>,
        /// (object, relationship, foreign key, target)
        rels: Vec<(&'static str, &'static str, &'static str, &'static str)>,
        /// (object, child relationship, child object, foreign key on the child)
        children: Vec<(&'static str, &'static str, &'static str, &'static str)>,
        data: std::collections::HashMap<&'static str, Vec<Row>>,
        /// The objects `rows` was asked for, in order.
        fetched: std::cell::RefCell<Vec<String>>,
    }

    fn row(v: Value) -> Row {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    const U1: &str = "005000000000001AAA";
    const U2: &str = "005000000000002AAA";
    const U3: &str = "005000000000003AAA";
    const U4: &str = "005000000000004AAA";
    const P1: &str = "00e000000000001AAA";
    const P2: &str = "00e000000000002AAA";
    const P3: &str = "00e000000000003AAA";
    const L1: &str = "100000000000001AAA";
    const L2: &str = "100000000000002AAA";
    const PS1: &str = "0PS000000000001AAA";
    const PS2: &str = "0PS000000000002AAA";
    const PS3: &str = "0PS000000000003AAA";

    fn org() -> Mem {
        let mut data = std::collections::HashMap::new();
        data.insert(
            "User",
            vec![
                row(json!({"Id": U1, "Name": "Alice Admin", "ProfileId": P1, "IsActive": true,
                    "ManagerId": null, "Department": "IT", "CreatedDate": "2024-01-15T10:00:00.000+0000"})),
                row(json!({"Id": U2, "Name": "bob builder", "ProfileId": P2, "IsActive": true,
                    "ManagerId": U1, "Department": null, "CreatedDate": "2024-06-01T00:00:00.000+0000"})),
                row(json!({"Id": U3, "Name": "Carol", "ProfileId": null, "IsActive": false,
                    "ManagerId": U1, "Department": "Sales", "CreatedDate": "2025-01-01T00:00:00.000+0000"})),
                row(json!({"Id": U4, "Name": "Dave", "ProfileId": P3, "IsActive": true,
                    "ManagerId": U2, "Department": "Sales", "CreatedDate": "2025-03-10T08:30:00.000+0000"})),
            ],
        );
        data.insert(
            "Profile",
            vec![
                row(json!({"Id": P1, "Name": "System Administrator", "UserLicenseId": L1})),
                row(json!({"Id": P2, "Name": "Standard User", "UserLicenseId": L2})),
                row(json!({"Id": P3, "Name": "Minimal", "UserLicenseId": null})),
            ],
        );
        data.insert(
            "UserLicense",
            vec![
                row(json!({"Id": L1, "Name": "Salesforce"})),
                row(json!({"Id": L2, "Name": "Salesforce Platform"})),
            ],
        );
        data.insert(
            "PermissionSet",
            vec![
                row(json!({"Id": PS1, "Name": "ModifyAll"})),
                row(json!({"Id": PS2, "Name": "ReadOnly"})),
                row(json!({"Id": PS3, "Name": "Unused"})),
            ],
        );
        data.insert(
            "PermissionSetAssignment",
            vec![
                row(json!({"Id": "0Pa000000000001AAA", "AssigneeId": U1, "PermissionSetId": PS1})),
                row(json!({"Id": "0Pa000000000002AAA", "AssigneeId": U1, "PermissionSetId": PS2})),
                row(json!({"Id": "0Pa000000000003AAA", "AssigneeId": U2, "PermissionSetId": PS2})),
            ],
        );
        data.insert(
            "ObjectPermissions",
            vec![
                row(json!({"Id": "110000000000001AAA", "ParentId": PS1, "SobjectType": "Account", "PermissionsRead": true})),
                row(json!({"Id": "110000000000002AAA", "ParentId": PS2, "SobjectType": "Case", "PermissionsRead": true})),
                row(json!({"Id": "110000000000003AAA", "ParentId": PS3, "SobjectType": "Lead", "PermissionsRead": false})),
            ],
        );
        data.insert(
            "Case",
            vec![
                row(json!({"Id": "500000000000001AAA", "Subject": "Printer on fire", "Status": "New", "Hours": 1.5})),
                row(json!({"Id": "500000000000002AAA", "Subject": "Email down", "Status": "Closed", "Hours": 10})),
                row(json!({"Id": "500000000000003AAA", "Subject": "100% broken", "Status": "New", "Hours": null})),
                row(json!({"Id": "500000000000004AAA", "Subject": "under_score", "Status": "new", "Hours": -2})),
            ],
        );
        Mem {
            objects: vec![
                (
                    "User",
                    vec![
                        "Id",
                        "Name",
                        "ProfileId",
                        "IsActive",
                        "ManagerId",
                        "Department",
                        "CreatedDate",
                    ],
                ),
                ("Profile", vec!["Id", "Name", "UserLicenseId"]),
                ("UserLicense", vec!["Id", "Name"]),
                ("PermissionSet", vec!["Id", "Name"]),
                (
                    "PermissionSetAssignment",
                    vec!["Id", "AssigneeId", "PermissionSetId"],
                ),
                (
                    "ObjectPermissions",
                    vec!["Id", "ParentId", "SobjectType", "PermissionsRead"],
                ),
                ("Case", vec!["Id", "Subject", "Status", "Hours"]),
                ("UserEntityAccess", vec!["Id", "UserId", "IsReadable"]),
            ],
            rels: vec![
                ("User", "Profile", "ProfileId", "Profile"),
                ("User", "Manager", "ManagerId", "User"),
                ("Profile", "UserLicense", "UserLicenseId", "UserLicense"),
                ("PermissionSetAssignment", "Assignee", "AssigneeId", "User"),
                (
                    "PermissionSetAssignment",
                    "PermissionSet",
                    "PermissionSetId",
                    "PermissionSet",
                ),
                ("ObjectPermissions", "Parent", "ParentId", "PermissionSet"),
            ],
            children: vec![
                (
                    "PermissionSet",
                    "Assignments",
                    "PermissionSetAssignment",
                    "PermissionSetId",
                ),
                (
                    "PermissionSet",
                    "ObjectPerms",
                    "ObjectPermissions",
                    "ParentId",
                ),
                (
                    "User",
                    "PermissionSetAssignments",
                    "PermissionSetAssignment",
                    "AssigneeId",
                ),
                ("User", "EntityAccess", "UserEntityAccess", "UserId"),
            ],
            data,
            fetched: Default::default(),
        }
    }

    impl DataSource for Mem {
        fn object(&self, name: &str) -> Option<String> {
            self.objects
                .iter()
                .find(|(o, _)| o.eq_ignore_ascii_case(name))
                .map(|(o, _)| o.to_string())
        }
        fn field(&self, object: &str, field: &str) -> Option<String> {
            let (_, fields) = self.objects.iter().find(|(o, _)| *o == object)?;
            fields
                .iter()
                .find(|f| f.eq_ignore_ascii_case(field))
                .map(|f| f.to_string())
        }
        fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
            self.rels
                .iter()
                .find(|(o, r, _, _)| *o == object && r.eq_ignore_ascii_case(name))
                .map(|(_, r, fk, t)| (r.to_string(), fk.to_string(), t.to_string()))
        }
        fn child_relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
            self.children
                .iter()
                .find(|(o, r, _, _)| *o == object && r.eq_ignore_ascii_case(name))
                .map(|(_, r, c, fk)| (r.to_string(), c.to_string(), fk.to_string()))
        }
        fn rows(&self, object: &str, filter: Option<&Expr>) -> Result<Vec<Row>, SoqlError> {
            self.fetched.borrow_mut().push(object.to_string());
            if object == "UserEntityAccess" && filter.is_none() {
                return Err(SoqlError::new(
                    "MALFORMED_QUERY",
                    "Implementation restriction: UserEntityAccess requires a filter",
                ));
            }
            Ok(self.data.get(object).cloned().unwrap_or_default())
        }
        fn parent(&self, target_object: &str, key: &Value) -> Option<Row> {
            self.data
                .get(target_object)?
                .iter()
                .find(|r| r.get("Id") == Some(key))
                .cloned()
        }
        fn record_url(&self, object: &str, row: &Row) -> String {
            format!(
                "/services/data/v62.0/sobjects/{object}/{}",
                row.get("Id").and_then(Value::as_str).unwrap_or("")
            )
        }
    }

    fn run(q: &str) -> QueryResult {
        execute(q, &org()).unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    fn err(q: &str) -> SoqlError {
        match execute(q, &org()) {
            Ok(r) => panic!("{q}: expected an error, got {r:?}"),
            Err(e) => e,
        }
    }

    /// The values of one top-level field across the records.
    fn col(r: &QueryResult, field: &str) -> Vec<Value> {
        r.records.iter().map(|rec| rec[field].clone()).collect()
    }

    fn names(r: &QueryResult) -> Vec<String> {
        r.records
            .iter()
            .map(|rec| rec["Name"].as_str().unwrap_or("<null>").to_string())
            .collect()
    }

    fn path(parts: &[&str], row: usize, column: usize) -> FieldPath {
        FieldPath {
            parts: parts.iter().map(|s| s.to_string()).collect(),
            pos: Pos { row, column },
        }
    }

    // ----- parsing -----

    #[test]
    fn parses_full_query() {
        let q = parse(
            "select Id, Profile.Name FROM User WHERE Name = 'x' AND (IsActive = TRUE OR Dept__c != null) \
             ORDER BY Name DESC, Id ASC NULLS LAST LIMIT 10 OFFSET 5",
        )
        .unwrap();
        assert_eq!(
            q.select,
            vec![
                SelectItem::Field(path(&["Id"], 1, 8)),
                SelectItem::Field(path(&["Profile", "Name"], 1, 12)),
            ]
        );
        assert_eq!(q.from.name, "User");
        assert_eq!(q.from.pos, Pos { row: 1, column: 30 });
        let expected_where = Expr::And(
            Box::new(Expr::Compare {
                field: path(&["Name"], 1, 41),
                op: CmpOp::Eq,
                value: Literal::String("x".into()),
            }),
            Box::new(Expr::Or(
                Box::new(Expr::Compare {
                    field: path(&["IsActive"], 1, 57),
                    op: CmpOp::Eq,
                    value: Literal::Bool(true),
                }),
                Box::new(Expr::Compare {
                    field: path(&["Dept__c"], 1, 76),
                    op: CmpOp::Ne,
                    value: Literal::Null,
                }),
            )),
        );
        assert_eq!(q.where_clause, Some(expected_where));
        assert_eq!(q.order_by.len(), 2);
        assert!(q.order_by[0].descending && q.order_by[0].nulls_last);
        assert!(!q.order_by[1].descending && q.order_by[1].nulls_last);
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.offset, Some(5));
    }

    #[test]
    fn parses_operators_and_literals() {
        let q = parse(
            "SELECT Id FROM X WHERE a <> 'it\\'s\\n' AND b < 1 AND c <= -2.5 AND d > 2025-01-01 \
             AND e >= 2025-01-01T00:00:00Z AND f LIKE 'a\\_%' AND g = false AND ns__F__c = NULL",
        )
        .unwrap();
        let mut got = Vec::new();
        fn walk(e: &Expr, out: &mut Vec<(String, CmpOp, Literal)>) {
            match e {
                Expr::And(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Compare { field, op, value } => {
                    out.push((field.dotted(), *op, value.clone()))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        walk(q.where_clause.as_ref().unwrap(), &mut got);
        assert_eq!(
            got,
            vec![
                ("a".into(), CmpOp::Ne, Literal::String("it's\n".into())),
                ("b".into(), CmpOp::Lt, Literal::Number(1.0)),
                ("c".into(), CmpOp::Le, Literal::Number(-2.5)),
                ("d".into(), CmpOp::Gt, Literal::Date("2025-01-01".into())),
                (
                    "e".into(),
                    CmpOp::Ge,
                    Literal::Date("2025-01-01T00:00:00Z".into())
                ),
                ("f".into(), CmpOp::Like, Literal::String("a\\_%".into())),
                ("g".into(), CmpOp::Eq, Literal::Bool(false)),
                ("ns__F__c".into(), CmpOp::Eq, Literal::Null),
            ]
        );
    }

    #[test]
    fn parses_in_not_in_subquery_not_and_count() {
        let q = parse(
            "SELECT COUNT() FROM ObjectPermissions WHERE NOT (a IN ('x', 1, null)) AND b NOT IN ('y') \
             AND ParentId IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '005') \
             AND c not in (select Id from User)",
        )
        .unwrap();
        assert_eq!(q.select, vec![SelectItem::CountAll]);
        let Some(Expr::And(rest, last)) = q.where_clause else {
            panic!()
        };
        assert!(matches!(*last, Expr::InSubquery { negated: true, .. }));
        let Expr::And(rest, semi) = *rest else {
            panic!()
        };
        match *semi {
            Expr::InSubquery {
                field,
                negated: false,
                subquery,
            } => {
                assert_eq!(field.dotted(), "ParentId");
                assert_eq!(subquery.from.name, "PermissionSetAssignment");
                assert_eq!(
                    subquery.select,
                    vec![SelectItem::Field(path(&["PermissionSetId"], 1, 114))]
                );
                assert!(subquery.where_clause.is_some());
            }
            other => panic!("{other:?}"),
        }
        let Expr::And(not, not_in) = *rest else {
            panic!()
        };
        assert_eq!(
            *not,
            Expr::Not(Box::new(Expr::In {
                field: path(&["a"], 1, 50),
                negated: false,
                values: vec![
                    Literal::String("x".into()),
                    Literal::Number(1.0),
                    Literal::Null
                ],
            }))
        );
        assert!(matches!(*not_in, Expr::In { negated: true, .. }));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let q = parse("SELECT Id FROM X WHERE a = 1 OR b = 2 AND c = 3").unwrap();
        match q.where_clause.unwrap() {
            Expr::Or(_, right) => assert!(matches!(*right, Expr::And(_, _))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn multiline_positions() {
        let q = parse("SELECT Id,\n  Name\nFROM User").unwrap();
        assert_eq!(q.select[1], SelectItem::Field(path(&["Name"], 2, 3)));
        assert_eq!(q.from.pos, Pos { row: 3, column: 6 });
    }

    // ----- evaluation -----

    #[test]
    fn two_level_relationship_and_nested_nulls() {
        let r = run("SELECT Id, Profile.UserLicense.Name FROM User ORDER BY Name");
        assert_eq!(r.total_size, 4);
        let url = |o: &str, id: &str| format!("/services/data/v62.0/sobjects/{o}/{id}");
        assert_eq!(
            r.records,
            vec![
                json!({
                    "attributes": {"type": "User", "url": url("User", U1)},
                    "Id": U1,
                    "Profile": {
                        "attributes": {"type": "Profile", "url": url("Profile", P1)},
                        "UserLicense": {
                            "attributes": {"type": "UserLicense", "url": url("UserLicense", L1)},
                            "Name": "Salesforce"
                        }
                    }
                }),
                json!({
                    "attributes": {"type": "User", "url": url("User", U2)},
                    "Id": U2,
                    "Profile": {
                        "attributes": {"type": "Profile", "url": url("Profile", P2)},
                        "UserLicense": {
                            "attributes": {"type": "UserLicense", "url": url("UserLicense", L2)},
                            "Name": "Salesforce Platform"
                        }
                    }
                }),
                json!({
                    "attributes": {"type": "User", "url": url("User", U3)},
                    "Id": U3,
                    "Profile": null
                }),
                json!({
                    "attributes": {"type": "User", "url": url("User", U4)},
                    "Id": U4,
                    "Profile": {
                        "attributes": {"type": "Profile", "url": url("Profile", P3)},
                        "UserLicense": null
                    }
                }),
            ]
        );
    }

    #[test]
    fn key_order_follows_select_and_relationships_merge() {
        let r = run(&format!(
            "SELECT Profile.Name, Id, Profile.UserLicense.Name, Name FROM User WHERE Id = '{U1}'"
        ));
        let text = serde_json::to_string(&r.records[0]).unwrap();
        assert_eq!(
            text,
            format!(
                concat!(
                    r#"{{"attributes":{{"type":"User","url":"/services/data/v62.0/sobjects/User/{u}"}},"#,
                    r#""Profile":{{"attributes":{{"type":"Profile","url":"/services/data/v62.0/sobjects/Profile/{p}"}},"#,
                    r#""Name":"System Administrator","UserLicense":{{"attributes":{{"type":"UserLicense","#,
                    r#""url":"/services/data/v62.0/sobjects/UserLicense/{l}"}},"Name":"Salesforce"}}}},"#,
                    r#""Id":"{u}","Name":"Alice Admin"}}"#
                ),
                u = U1,
                p = P1,
                l = L1
            )
        );
    }

    #[test]
    fn where_and_order_through_relationships() {
        let r = run("SELECT Name FROM User WHERE Manager.Profile.Name = 'system administrator' ORDER BY Manager.Name DESC, Name DESC");
        assert_eq!(names(&r), vec!["Carol", "bob builder"]);
        let r = run("SELECT Name FROM User WHERE Profile.UserLicense.Name = null ORDER BY Name");
        assert_eq!(names(&r), vec!["Carol", "Dave"]);
    }

    #[test]
    fn semi_join() {
        let r = run(&format!(
            "SELECT SobjectType FROM ObjectPermissions WHERE ParentId IN \
             (SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '{U1}') ORDER BY SobjectType"
        ));
        assert_eq!(
            col(&r, "SobjectType"),
            vec![json!("Account"), json!("Case")]
        );
        // Through a relationship inside the sub-select.
        let r = run(
            "SELECT Name FROM PermissionSet WHERE Id IN \
             (SELECT PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Name LIKE 'bob%')",
        );
        assert_eq!(names(&r), vec!["ReadOnly"]);
    }

    #[test]
    fn anti_join_and_not_in_list() {
        let r = run("SELECT Name FROM PermissionSet WHERE Id NOT IN (SELECT PermissionSetId FROM PermissionSetAssignment)");
        assert_eq!(names(&r), vec!["Unused"]);
        let r = run("SELECT Name FROM PermissionSet WHERE Name NOT IN ('modifyall', 'UNUSED')");
        assert_eq!(names(&r), vec!["ReadOnly"]);
        let r = run(
            "SELECT Name FROM PermissionSet WHERE Name IN ('modifyall', 'UNUSED') ORDER BY Name",
        );
        assert_eq!(names(&r), vec!["ModifyAll", "Unused"]);
        // SOQL treats null as a value: a null Department is NOT IN ('IT').
        let r = run("SELECT Name FROM User WHERE Department NOT IN ('IT')");
        assert_eq!(names(&r), vec!["bob builder", "Carol", "Dave"]);
        let r = run("SELECT Name FROM User WHERE Department IN ('IT', null) ORDER BY Name");
        assert_eq!(names(&r), vec!["Alice Admin", "bob builder"]);
    }

    #[test]
    fn like() {
        let subjects = |q: &str| -> Vec<Value> { col(&run(q), "Subject") };
        assert_eq!(
            subjects("SELECT Subject FROM Case WHERE Subject LIKE 'PRINTER%'"),
            vec![json!("Printer on fire")]
        );
        assert_eq!(
            subjects("SELECT Subject FROM Case WHERE Subject LIKE '%o%n' ORDER BY Subject"),
            vec![json!("100% broken"), json!("Email down")]
        );
        assert_eq!(
            subjects("SELECT Subject FROM Case WHERE Subject LIKE 'Email dow_'"),
            vec![json!("Email down")]
        );
        assert!(subjects("SELECT Subject FROM Case WHERE Subject LIKE 'Email do_'").is_empty());
        assert_eq!(
            subjects("SELECT Subject FROM Case WHERE Subject LIKE '%\\%%'"),
            vec![json!("100% broken")]
        );
        assert_eq!(
            subjects("SELECT Subject FROM Case WHERE Subject LIKE '%\\_%'"),
            vec![json!("under_score")]
        );
        assert!(like_match("abc", "a%c") && like_match("ac", "a%c") && !like_match("ab", "a%c"));
        assert!(like_match("", "%") && !like_match("", "_"));
    }

    #[test]
    fn boolean_logic_with_parentheses() {
        let r = run("SELECT Name FROM User WHERE (Department = 'Sales' OR Department = 'it') AND NOT (IsActive = false) ORDER BY Name");
        assert_eq!(names(&r), vec!["Alice Admin", "Dave"]);
        let r = run(
            "SELECT Name FROM User WHERE NOT Department = 'Sales' OR Name = 'Carol' ORDER BY Name",
        );
        assert_eq!(names(&r), vec!["Alice Admin", "bob builder", "Carol"]);
        let r = run("SELECT Name FROM User WHERE IsActive = TRUE AND (Department != null AND Department != 'IT')");
        assert_eq!(names(&r), vec!["Dave"]);
    }

    fn nested_parentheses(depth: usize) -> String {
        format!(
            "SELECT Name FROM User WHERE {}Name = 'Carol'{}",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    }

    #[test]
    fn nesting_at_the_bound_runs_and_one_more_is_malformed() {
        let r = run(&nested_parentheses(MAX_NESTING));
        assert_eq!(names(&r), vec!["Carol"]);
        let e = err(&nested_parentheses(MAX_NESTING + 1));
        assert_eq!(e.error_code, "MALFORMED_QUERY");
        assert!(e.message.contains("more than 50 deep"), "{e}");

        let nots = |n: usize| {
            format!(
                "SELECT Name FROM User WHERE {}Name = 'Carol'",
                "NOT ".repeat(n)
            )
        };
        assert_eq!(names(&run(&nots(MAX_NESTING))), vec!["Carol"]);
        assert_eq!(err(&nots(MAX_NESTING + 1)).error_code, "MALFORMED_QUERY");
        for hundreds in [300, 5_000] {
            assert_eq!(
                err(&nested_parentheses(hundreds)).error_code,
                "MALFORMED_QUERY"
            );
            assert_eq!(err(&nots(hundreds)).error_code, "MALFORMED_QUERY");
        }
    }

    #[test]
    fn long_or_and_and_chains_evaluate_like_the_left_to_right_chain() {
        let mut terms: Vec<String> = (0..449).map(|n| format!("Name = 'nobody {n}'")).collect();
        terms.push("Name = 'Carol'".into());
        let r = run(&format!(
            "SELECT Name FROM User WHERE {}",
            terms.join(" OR ")
        ));
        assert_eq!(names(&r), vec!["Carol"]);
        let ands = vec!["Name != 'nobody'"; 450].join(" AND ");
        let r = run(&format!(
            "SELECT Name FROM User WHERE {ands} AND Name = 'Carol'"
        ));
        assert_eq!(names(&r), vec!["Carol"]);
        let Expr::Or(left, right) = parse("SELECT Id FROM User WHERE A = 1 OR B = 2 OR C = 3")
            .expect("parses")
            .where_clause
            .expect("has a WHERE")
        else {
            panic!("an OR chain")
        };
        assert!(
            matches!(*left, Expr::Or(..)),
            "three terms group left to right"
        );
        assert!(matches!(*right, Expr::Compare { .. }));
    }

    #[test]
    fn length_at_the_bound_parses_and_one_character_more_is_malformed() {
        let head = "SELECT Name FROM User WHERE Name = '";
        let tail = "'";
        let fill = "x".repeat(MAX_QUERY_CHARS - head.len() - tail.len());
        let at_bound = format!("{head}{fill}{tail}");
        assert_eq!(at_bound.chars().count(), MAX_QUERY_CHARS);
        assert!(parse(&at_bound).is_ok());
        let e = parse(&format!("{head}{fill}x{tail}")).unwrap_err();
        assert_eq!(e.error_code, "MALFORMED_QUERY");
        assert!(e.message.contains("100000 characters"), "{e}");
    }

    #[test]
    fn order_by_with_nulls() {
        // DESC defaults to NULLS LAST; case-insensitive string ordering.
        let r = run("SELECT Name FROM User ORDER BY Department DESC, Name");
        assert_eq!(
            names(&r),
            vec!["Carol", "Dave", "Alice Admin", "bob builder"]
        );
        let r = run("SELECT Name FROM User ORDER BY Department DESC NULLS FIRST, Name DESC");
        assert_eq!(
            names(&r),
            vec!["bob builder", "Dave", "Carol", "Alice Admin"]
        );
        // ASC defaults to NULLS FIRST.
        let r = run("SELECT Name FROM User ORDER BY Department, Name");
        assert_eq!(
            names(&r),
            vec!["bob builder", "Alice Admin", "Carol", "Dave"]
        );
        let r = run("SELECT Name FROM User ORDER BY Department ASC NULLS LAST, Name");
        assert_eq!(
            names(&r),
            vec!["Alice Admin", "Carol", "Dave", "bob builder"]
        );
        let r = run("SELECT Name FROM User ORDER BY Name");
        assert_eq!(
            names(&r),
            vec!["Alice Admin", "bob builder", "Carol", "Dave"]
        );
        // Numbers order numerically.
        let r = run("SELECT Hours FROM Case ORDER BY Hours DESC");
        assert_eq!(
            col(&r, "Hours"),
            vec![json!(10), json!(1.5), json!(-2), Value::Null]
        );
    }

    #[test]
    fn limit_and_offset() {
        let r = run("SELECT Name FROM User ORDER BY Name LIMIT 2");
        assert_eq!(names(&r), vec!["Alice Admin", "bob builder"]);
        assert_eq!(r.total_size, 2);
        let r = run("SELECT Name FROM User ORDER BY Name LIMIT 2 OFFSET 1");
        assert_eq!(names(&r), vec!["bob builder", "Carol"]);
        let r = run("SELECT Name FROM User ORDER BY Name OFFSET 3");
        assert_eq!(names(&r), vec!["Dave"]);
        let r = run("SELECT Name FROM User LIMIT 0");
        assert_eq!(r.total_size, 0);
    }

    #[test]
    fn count() {
        let r = run("SELECT COUNT() FROM User");
        assert_eq!(
            r,
            QueryResult {
                total_size: 4,
                records: vec![]
            }
        );
        let r = run("select count() from User where IsActive = true");
        assert_eq!(r.total_size, 3);
        let e = err("SELECT Id, COUNT() FROM User");
        assert_eq!(
            e.message,
            "\nSELECT Id, COUNT() FROM User\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'COUNT'"
        );
        let e = err("SELECT COUNT(), Id FROM User");
        assert!(e.message.ends_with("unexpected token: ','"), "{e}");
    }

    #[test]
    fn fifteen_and_eighteen_char_ids() {
        let r = run("SELECT Name FROM User WHERE Id = '005000000000002'");
        assert_eq!(names(&r), vec!["bob builder"]);
        let r = run("SELECT Name FROM User WHERE Id IN ('005000000000003', '005000000000004AAA') ORDER BY Name");
        assert_eq!(names(&r), vec!["Carol", "Dave"]);
        let r = run("SELECT Name FROM User WHERE ManagerId = '005000000000001' ORDER BY Name");
        assert_eq!(names(&r), vec!["bob builder", "Carol"]);
        let r = run("SELECT COUNT() FROM User WHERE Id != '005000000000002'");
        assert_eq!(r.total_size, 3);
        assert!(ids_match("005000000000002", U2));
        assert!(!ids_match("005000000000009", U2));
    }

    #[test]
    fn comparisons_by_type() {
        let r = run("SELECT Subject FROM Case WHERE Hours > 1 ORDER BY Hours");
        assert_eq!(
            col(&r, "Subject"),
            vec![json!("Printer on fire"), json!("Email down")]
        );
        let r = run("SELECT Subject FROM Case WHERE Hours <= 1.5 ORDER BY Hours");
        assert_eq!(
            col(&r, "Subject"),
            vec![json!("under_score"), json!("Printer on fire")]
        );
        let r = run("SELECT Subject FROM Case WHERE Hours = 10");
        assert_eq!(col(&r, "Subject"), vec![json!("Email down")]);
        // Null values fail ordering comparisons but satisfy "!=" (SOQL treats null as a value).
        let r = run("SELECT COUNT() FROM Case WHERE Hours != 10");
        assert_eq!(r.total_size, 3);
        let r = run("SELECT COUNT() FROM Case WHERE Hours = null");
        assert_eq!(r.total_size, 1);
        let r = run("SELECT COUNT() FROM Case WHERE Hours != null");
        assert_eq!(r.total_size, 3);
        // Case-insensitive string equality.
        let r = run("SELECT COUNT() FROM Case WHERE Status = 'NEW'");
        assert_eq!(r.total_size, 3);
        let r = run("SELECT COUNT() FROM Case WHERE Status < 'd'");
        assert_eq!(r.total_size, 1);
        // Booleans.
        let r = run("SELECT Name FROM User WHERE IsActive = false");
        assert_eq!(names(&r), vec!["Carol"]);
        let r = run("SELECT COUNT() FROM User WHERE IsActive != TRUE");
        assert_eq!(r.total_size, 1);
    }

    #[test]
    fn date_comparisons() {
        let r = run("SELECT Name FROM User WHERE CreatedDate >= 2025-01-01T00:00:00Z ORDER BY CreatedDate DESC");
        assert_eq!(names(&r), vec!["Dave", "Carol"]);
        let r = run("SELECT Name FROM User WHERE CreatedDate > 2025-01-01T00:00:00Z");
        assert_eq!(names(&r), vec!["Dave"]);
        let r = run("SELECT Name FROM User WHERE CreatedDate = 2024-06-01T02:00:00+02:00");
        assert_eq!(names(&r), vec!["bob builder"]);
        let r = run("SELECT Name FROM User WHERE CreatedDate < 2024-06-01");
        assert_eq!(names(&r), vec!["Alice Admin"]);
        assert_eq!(
            datetime_millis("1970-01-02T00:00:00.500Z"),
            Some(86_400_000 + 500)
        );
        assert_eq!(datetime_millis("1970-01-01T01:00:00-0100"), Some(7_200_000));
        assert_eq!(datetime_millis("not a date"), None);
    }

    #[test]
    fn case_insensitive_keywords_and_names() {
        let r = run(&format!(
            "select ID, profile.NAME, profile.userlicense.name from USER where NAME = 'ALICE ADMIN' And id = '{U1}' order by name desc nulls last limit 5"
        ));
        assert_eq!(r.total_size, 1);
        let rec = r.records[0].as_object().unwrap();
        let keys: Vec<&str> = rec.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["attributes", "Id", "Profile"]);
        assert_eq!(rec["attributes"]["type"], "User");
        let profile = rec["Profile"].as_object().unwrap();
        let keys: Vec<&str> = profile.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["attributes", "Name", "UserLicense"]);
        assert_eq!(profile["UserLicense"]["Name"], "Salesforce");
    }

    #[test]
    fn missing_field_in_row_is_null() {
        // Visible column with no value stored.
        let mut o = org();
        o.data.get_mut("PermissionSet").unwrap()[0].remove("Name");
        let r = execute("SELECT Id, Name FROM PermissionSet ORDER BY Id LIMIT 1", &o).unwrap();
        assert_eq!(r.records[0]["Name"], Value::Null);
    }

    #[test]
    fn rows_error_propagates() {
        let e = err("SELECT Id FROM UserEntityAccess");
        assert_eq!(
            e,
            SoqlError::new(
                "MALFORMED_QUERY",
                "Implementation restriction: UserEntityAccess requires a filter"
            )
        );
        // With a filter the object is queryable (and empty here).
        let r = run(&format!(
            "SELECT Id FROM UserEntityAccess WHERE UserId = '{U1}'"
        ));
        assert_eq!(r.total_size, 0);
        // Errors from a sub-select's rows propagate too.
        let e = err("SELECT Id FROM User WHERE Id IN (SELECT UserId FROM UserEntityAccess)");
        assert_eq!(e.error_code, "MALFORMED_QUERY");
    }

    // ----- errors -----

    #[test]
    fn invalid_type_matches_recorded_body() {
        let e = err("SELECT Xyzzy FROM Xyzzy");
        assert_eq!(e.error_code, "INVALID_TYPE");
        assert_eq!(
            e.message,
            "\nSELECT Xyzzy FROM Xyzzy\n                  ^\nERROR at Row:1:Column:19\nsObject type 'Xyzzy' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
        );
        assert_eq!(e.to_string(), format!("INVALID_TYPE: {}", e.message));
        // Unknown object inside a sub-select.
        let e = err("SELECT Id FROM User WHERE Id IN (SELECT X FROM nope)");
        assert!(e.message.contains("Column:48\nsObject type 'nope'"), "{e}");
    }

    #[test]
    fn invalid_field_message() {
        let e = err("SELECT Id, Foo__c FROM Case");
        assert_eq!(e.error_code, "INVALID_FIELD");
        assert_eq!(
            e.message,
            "\nSELECT Id, Foo__c FROM Case\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo__c' on entity 'Case'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        );
        // Field at the end of a relationship path: entity is the target object.
        let e = err("select Id from user where Profile.Bogus = 'x'");
        assert_eq!(
            e.message,
            "\nselect Id from user where Profile.Bogus = 'x'\n                          ^\nERROR at Row:1:Column:27\nNo such column 'Bogus' on entity 'Profile'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        );
        // In ORDER BY.
        let e = err("SELECT Id FROM User ORDER BY Nope");
        assert!(e.message.starts_with("\nSELECT Id FROM User ORDER BY Nope\n                             ^\nERROR at Row:1:Column:30\nNo such column 'Nope' on entity 'User'."), "{e}");
    }

    #[test]
    fn invalid_relationship_message() {
        let e = err("SELECT Id, Foo.Name FROM User");
        assert_eq!(e.error_code, "INVALID_FIELD");
        assert_eq!(
            e.message,
            "\nSELECT Id, Foo.Name FROM User\n           ^\nERROR at Row:1:Column:12\nDidn't understand relationship 'Foo' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
        );
        let e = err("SELECT Profile.Nope.Name FROM User");
        assert!(
            e.message
                .contains("Didn't understand relationship 'Nope' in field path."),
            "{e}"
        );
    }

    #[test]
    fn syntax_errors() {
        let e = err("SELECT Id FROM User WHERE Name = 'x' AND");
        assert_eq!(e.error_code, "MALFORMED_QUERY");
        assert_eq!(
            e.message,
            "\nSELECT Id FROM User WHERE Name = 'x' AND\n                                        ^\nERROR at Row:1:Column:41\nunexpected token: '<EOF>'"
        );
        let e = err("SELECT Id FROM User WHERE Name == 'x'");
        assert_eq!(
            e.message,
            "\nSELECT Id FROM User WHERE Name == 'x'\n                                ^\nERROR at Row:1:Column:33\nunexpected token: '='"
        );
        let e = err("SELECT Id FROM User LIMIT abc");
        assert!(
            e.message.ends_with("Column:27\nunexpected token: 'abc'"),
            "{e}"
        );
        let e = err("SELECT FROM User");
        assert!(
            e.message.ends_with("Column:8\nunexpected token: 'FROM'"),
            "{e}"
        );
        let e = err("SELECT Id FROM User extra");
        assert!(
            e.message.ends_with("Column:21\nunexpected token: 'extra'"),
            "{e}"
        );
        let e = err("SELECT Id FROM User WHERE Name = 'x");
        assert!(e.message.contains("unexpected token"), "{e}");
        let e = err("SELECT Id FROM User WHERE Name ; 'x'");
        assert!(
            e.message.ends_with("Column:32\nunexpected token: ';'"),
            "{e}"
        );
        let e = err("SELECT Id FROM User WHERE Name LIKE 5");
        assert!(e.message.ends_with("unexpected token: '5'"), "{e}");
        let e = err("SELECT Id FROM User WHERE Id IN (SELECT Id, Name FROM User)");
        assert_eq!(e.error_code, "MALFORMED_QUERY");
    }

    #[test]
    fn multiline_errors_echo_the_offending_line() {
        let e = err("SELECT Id,\n       Bogus__c\nFROM User");
        assert_eq!(
            e.message,
            "\n       Bogus__c\n       ^\nERROR at Row:2:Column:8\nNo such column 'Bogus__c' on entity 'User'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        );
        let e = err("SELECT Id\r\nFROM Nope__c\r\nWHERE Id = null");
        assert!(
            e.message.starts_with(
                "\nFROM Nope__c\n     ^\nERROR at Row:2:Column:6\nsObject type 'Nope__c'"
            ),
            "{e:?}"
        );
        let e = err("SELECT Id\nFROM User\nWHERE Id = 'x'\n  AND AND");
        assert_eq!(
            e.message,
            "\n  AND AND\n      ^\nERROR at Row:4:Column:7\nunexpected token: 'AND'"
        );
    }

    #[test]
    fn duplicate_field() {
        let e = err("SELECT Id, Name, id FROM User");
        assert_eq!(e.error_code, "MALFORMED_QUERY");
        assert!(
            e.message
                .ends_with("\nERROR at Row:1:Column:18\nduplicate field selected: id"),
            "{e}"
        );
        let e = err("SELECT Profile.Name, PROFILE.name FROM User");
        assert!(
            e.message
                .ends_with("duplicate field selected: PROFILE.name"),
            "{e}"
        );
    }

    // ----- parent-to-child relationship subqueries -----

    /// The keys of a JSON object, in order.
    fn keys(v: &Value) -> Vec<&str> {
        v.as_object()
            .unwrap_or_else(|| panic!("not an object: {v}"))
            .keys()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn parses_child_subqueries() {
        let q = parse(
            "SELECT Id, (SELECT Id, Assignee.Name FROM Assignments WHERE Assignee.IsActive = true \
             ORDER BY Assignee.Name DESC LIMIT 5), Name FROM PermissionSet",
        )
        .unwrap();
        assert_eq!(q.select.len(), 3);
        assert_eq!(q.select[0], SelectItem::Field(path(&["Id"], 1, 8)));
        assert_eq!(q.select[2], SelectItem::Field(path(&["Name"], 1, 124)));
        let SelectItem::Subquery(sub) = &q.select[1] else {
            panic!("{:?}", q.select[1]);
        };
        assert_eq!(sub.from.name, "Assignments");
        assert_eq!(sub.from.pos, Pos { row: 1, column: 43 });
        assert_eq!(
            sub.select,
            vec![
                SelectItem::Field(path(&["Id"], 1, 20)),
                SelectItem::Field(path(&["Assignee", "Name"], 1, 24)),
            ]
        );
        assert!(matches!(
            &sub.where_clause,
            Some(Expr::Compare { field, op: CmpOp::Eq, value: Literal::Bool(true) })
                if field.parts == ["Assignee", "IsActive"]
        ));
        assert_eq!(sub.order_by.len(), 1);
        assert!(sub.order_by[0].descending);
        assert_eq!(sub.limit, Some(5));
        assert_eq!(q.from.name, "PermissionSet");
        // Only a sub-select in parentheses is a subquery.
        let e = err("SELECT Id, (Name) FROM PermissionSet");
        assert!(
            e.message.ends_with("Column:12\nunexpected token: '('"),
            "{e}"
        );
        let e = err("SELECT Id, (SELECT Id FROM Assignments FROM PermissionSet");
        assert!(e.message.ends_with("unexpected token: 'FROM'"), "{e}");
    }

    #[test]
    fn nested_child_subqueries_are_malformed() {
        let e = err("SELECT Id, (SELECT Id, (SELECT Id FROM ObjectPerms) FROM Assignments) FROM PermissionSet");
        assert_eq!(e.error_code, "MALFORMED_QUERY");
        assert_eq!(
            e.message,
            "\nSELECT Id, (SELECT Id, (SELECT Id FROM ObjectPerms) FROM Assignments) FROM PermissionSet\n                        ^\nERROR at Row:1:Column:25\nSOQL statements cannot query aggregate relationships more than 1 level away from the root entity object."
        );
        // Not inside a semi-join sub-select either.
        let e = err("SELECT Id FROM PermissionSet WHERE Id IN (SELECT (SELECT Id FROM Assignments) FROM PermissionSet)");
        assert_eq!(e.error_code, "MALFORMED_QUERY");
        // COUNT() is no child subquery item.
        let e = err("SELECT Id, (SELECT COUNT() FROM Assignments) FROM PermissionSet");
        assert!(
            e.message.ends_with("Column:20\nunexpected token: 'COUNT'"),
            "{e}"
        );
    }

    #[test]
    fn child_subquery_records_or_null() {
        let r = run("SELECT Id, Name, (SELECT Id, Assignee.Name FROM Assignments), \
             (SELECT SobjectType FROM ObjectPerms WHERE SobjectType = 'Case') FROM PermissionSet ORDER BY Name");
        assert_eq!(names(&r), vec!["ModifyAll", "ReadOnly", "Unused"]);
        for rec in &r.records {
            assert_eq!(
                keys(rec),
                vec!["attributes", "Id", "Name", "Assignments", "ObjectPerms"]
            );
        }
        let modify_all = &r.records[0];
        assert_eq!(
            modify_all["Assignments"],
            json!({"totalSize": 1, "done": true, "records": [{
                "attributes": {"type": "PermissionSetAssignment",
                    "url": "/services/data/v62.0/sobjects/PermissionSetAssignment/0Pa000000000001AAA"},
                "Id": "0Pa000000000001AAA",
                "Assignee": {"attributes": {"type": "User", "url": format!("/services/data/v62.0/sobjects/User/{U1}")},
                    "Name": "Alice Admin"}}]})
        );
        assert_eq!(
            keys(&modify_all["Assignments"]),
            vec!["totalSize", "done", "records"]
        );
        // Its only object permission (Account) is filtered out: null, not an empty list.
        assert_eq!(modify_all["ObjectPerms"], Value::Null);
        let read_only = &r.records[1];
        assert_eq!(read_only["Assignments"]["totalSize"], 2);
        assert_eq!(read_only["ObjectPerms"]["totalSize"], 1);
        assert_eq!(
            read_only["ObjectPerms"]["records"][0]["SobjectType"],
            "Case"
        );
        assert_eq!(
            keys(&read_only["ObjectPerms"]["records"][0]),
            vec!["attributes", "SobjectType"]
        );
        let unused = &r.records[2];
        assert_eq!(unused["Assignments"], Value::Null);
        assert_eq!(unused["ObjectPerms"], Value::Null);
        // The subquery keeps its place in the SELECT list; the key is the canonical name.
        let r = run(
            "SELECT (select id FROM assignments), Name FROM PermissionSet WHERE Name = 'ReadOnly'",
        );
        assert_eq!(
            keys(&r.records[0]),
            vec!["attributes", "Assignments", "Name"]
        );
        // Child relationships of another object.
        let r = run(&format!(
            "SELECT Name, (SELECT PermissionSet.Name FROM PermissionSetAssignments ORDER BY PermissionSet.Name) FROM User WHERE Id = '{U1}'"
        ));
        let recs = &r.records[0]["PermissionSetAssignments"]["records"];
        assert_eq!(recs[0]["PermissionSet"]["Name"], "ModifyAll");
        assert_eq!(recs[1]["PermissionSet"]["Name"], "ReadOnly");
    }

    #[test]
    fn child_subquery_where_order_and_limit() {
        let q = |order: &str| {
            run(&format!(
                "SELECT Name, (SELECT Assignee.Name FROM Assignments WHERE Assignee.IsActive = true {order}) \
                 FROM PermissionSet WHERE Name = 'ReadOnly'"
            ))
        };
        let assignees = |r: &QueryResult| -> Vec<Value> {
            r.records[0]["Assignments"]["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["Assignee"]["Name"].clone())
                .collect()
        };
        let r = q("ORDER BY Assignee.Name");
        assert_eq!(
            assignees(&r),
            vec![json!("Alice Admin"), json!("bob builder")]
        );
        let r = q("ORDER BY Assignee.Name DESC");
        assert_eq!(
            assignees(&r),
            vec![json!("bob builder"), json!("Alice Admin")]
        );
        let r = q("ORDER BY Assignee.Name DESC LIMIT 1");
        assert_eq!(assignees(&r), vec![json!("bob builder")]);
        assert_eq!(r.records[0]["Assignments"]["totalSize"], 1);
        // The limit applies per parent, not to all child rows together.
        let r = run("SELECT Name, (SELECT Id FROM Assignments ORDER BY Id LIMIT 1) FROM PermissionSet ORDER BY Name");
        assert_eq!(r.records[0]["Assignments"]["totalSize"], 1);
        assert_eq!(
            r.records[1]["Assignments"]["records"][0]["Id"],
            "0Pa000000000002AAA"
        );
        // A WHERE that matches nothing gives null.
        let r = q("AND Assignee.Name = 'nobody'");
        assert_eq!(r.records[0]["Assignments"], Value::Null);
        // Semi-joins work inside the subquery's WHERE.
        let r = run(&format!(
            "SELECT Name, (SELECT Id FROM Assignments WHERE AssigneeId IN (SELECT Id FROM User WHERE Name = 'bob builder')) \
             FROM PermissionSet WHERE Id = '{PS2}'"
        ));
        assert_eq!(
            r.records[0]["Assignments"]["records"][0]["Id"],
            "0Pa000000000003AAA"
        );
    }

    #[test]
    fn child_rows_are_fetched_once_and_matched_by_id() {
        let mut o = org();
        // A 15-character foreign key still points at its parent.
        o.data
            .get_mut("PermissionSetAssignment")
            .unwrap()
            .push(row(json!({"Id": "0Pa000000000004AAA", "AssigneeId": U4, "PermissionSetId": "0PS000000000003"})));
        let r = execute(
            "SELECT Name, (SELECT Id FROM Assignments), (SELECT Id FROM ObjectPerms) FROM PermissionSet ORDER BY Name",
            &o,
        )
        .unwrap();
        assert_eq!(r.total_size, 3);
        assert_eq!(
            r.records[2]["Assignments"]["records"][0]["Id"],
            "0Pa000000000004AAA"
        );
        assert_eq!(
            *o.fetched.borrow(),
            vec![
                "PermissionSet",
                "PermissionSetAssignment",
                "ObjectPermissions"
            ]
        );
        // The subquery's WHERE reaches the data source, and its errors propagate.
        let e = err(&format!(
            "SELECT Id, (SELECT Id FROM EntityAccess) FROM User WHERE Id = '{U1}'"
        ));
        assert_eq!(e.error_code, "MALFORMED_QUERY");
    }

    #[test]
    fn child_subquery_errors() {
        let e = err("SELECT Id, (SELECT Id FROM Foo) FROM PermissionSet");
        assert_eq!(e.error_code, "INVALID_TYPE");
        assert_eq!(
            e.message,
            "\nSELECT Id, (SELECT Id FROM Foo) FROM PermissionSet\n                           ^\nERROR at Row:1:Column:28\nDidn't understand relationship 'Foo' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
        );
        // A child relationship of another object is unknown here.
        let e = err("SELECT Id, (SELECT Id FROM PermissionSetAssignments) FROM PermissionSet");
        assert!(
            e.message
                .contains("Didn't understand relationship 'PermissionSetAssignments' in FROM part"),
            "{e}"
        );
        // An object name is no relationship name.
        let e = err("SELECT Id, (SELECT Id FROM PermissionSetAssignment) FROM PermissionSet");
        assert_eq!(e.error_code, "INVALID_TYPE");
        // Unknown fields are reported against the child object.
        let e = err("SELECT Id, (SELECT Id, Bogus FROM Assignments) FROM PermissionSet");
        assert_eq!(e.error_code, "INVALID_FIELD");
        assert_eq!(
            e.message,
            "\nSELECT Id, (SELECT Id, Bogus FROM Assignments) FROM PermissionSet\n                       ^\nERROR at Row:1:Column:24\nNo such column 'Bogus' on entity 'PermissionSetAssignment'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
        );
        let e = err(
            "SELECT Id, (SELECT Id FROM Assignments WHERE Assignee.Bogus = 'x') FROM PermissionSet",
        );
        assert!(
            e.message
                .contains("No such column 'Bogus' on entity 'User'."),
            "{e}"
        );
        let e = err("SELECT Id, (SELECT Id FROM Assignments ORDER BY Name) FROM PermissionSet");
        assert!(
            e.message
                .contains("No such column 'Name' on entity 'PermissionSetAssignment'."),
            "{e}"
        );
        let e = err("SELECT Id, (SELECT Nope.Name FROM Assignments) FROM PermissionSet");
        assert!(
            e.message
                .contains("Didn't understand relationship 'Nope' in field path."),
            "{e}"
        );
        // The same relationship twice.
        let e = err("SELECT Id, (SELECT Id FROM Assignments), (SELECT Name FROM assignments) FROM PermissionSet");
        assert_eq!(e.error_code, "MALFORMED_QUERY");
        assert!(
            e.message.ends_with("duplicate field selected: assignments"),
            "{e}"
        );
    }

    /// A data source that only implements the required methods.
    struct NoChildren(Mem);

    impl DataSource for NoChildren {
        fn object(&self, name: &str) -> Option<String> {
            self.0.object(name)
        }
        fn field(&self, object: &str, field: &str) -> Option<String> {
            self.0.field(object, field)
        }
        fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
            self.0.relationship(object, name)
        }
        fn rows(&self, object: &str, filter: Option<&Expr>) -> Result<Vec<Row>, SoqlError> {
            self.0.rows(object, filter)
        }
        fn parent(&self, target_object: &str, key: &Value) -> Option<Row> {
            self.0.parent(target_object, key)
        }
        fn record_url(&self, object: &str, row: &Row) -> String {
            self.0.record_url(object, row)
        }
    }

    #[test]
    fn data_sources_without_child_relationships() {
        let e = execute(
            "SELECT Id, (SELECT Id FROM Assignments) FROM PermissionSet",
            &NoChildren(org()),
        )
        .unwrap_err();
        assert_eq!(e.error_code, "INVALID_TYPE");
        let r = execute("SELECT Name FROM PermissionSet", &NoChildren(org())).unwrap();
        assert_eq!(r.total_size, 3);
    }
}
