//! The syntax tree of a `.test.route` file, as written, with spans. Names
//! are not resolved yet: `resolve` checks them against the project.

use crate::eval::Reason;
use crate::source::Span;

/// One `.test.route` file.
#[derive(Debug, Clone, PartialEq)]
pub struct TestFile {
    /// Its `test` blocks in file order.
    pub tests: Vec<TestDecl>,
}

/// A `test "name" { ... }` block.
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    /// The test's name.
    pub name: String,
    /// The name's string literal (where failures point).
    pub span: Span,
    /// `roster "file"`: path relative to the test file.
    pub roster: Option<Text>,
    /// `now "instant"`.
    pub now: Option<Text>,
    /// The leads, in order, each with its expectations.
    pub cases: Vec<CaseDecl>,
}

/// A string or name with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// The text (strings unescaped).
    pub value: String,
    /// Where.
    pub span: Span,
}

/// A `lead { ... }` and the `expect`s after it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDecl {
    /// The lead.
    pub lead: LeadDecl,
    /// What must be true of its decision.
    pub expects: Vec<ExpectDecl>,
}

/// A lead literal.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadDecl {
    /// `field: value` pairs as written.
    pub entries: Vec<Entry>,
    /// The whole `lead { ... }`.
    pub span: Span,
}

/// One `field: value` of a lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The schema field name.
    pub field: Text,
    /// The value.
    pub value: Literal,
}

/// A literal value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// What it is.
    pub value: LiteralValue,
    /// Where.
    pub span: Span,
}

/// The route language's literal forms.
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralValue {
    /// `"text"`.
    Str(String),
    /// `42`.
    Int(i64),
    /// `4.2`.
    Float(f64),
    /// `true`.
    Bool(bool),
    /// `[a, b]`.
    List(Vec<Literal>),
}

/// One `expect ...` line.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectDecl {
    /// `not` was written.
    pub negated: bool,
    /// What is expected.
    pub what: ExpectWhat,
    /// The whole `expect ...`.
    pub span: Span,
}

/// The forms of `expect`.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectWhat {
    /// `rule NAME`.
    Rule(Text),
    /// `team NAME`.
    Team(Text),
    /// `queue NAME`.
    Queue(Text),
    /// `assignee "id"`.
    Assignee(Text),
    /// `reason matched|...`.
    Reason(Reason),
    /// `invalid [FIELD]`.
    Invalid(Option<Text>),
}
