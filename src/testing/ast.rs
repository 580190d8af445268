//! The syntax tree of a `.test.route` file, as written, with spans. Names
//! are not resolved yet: `resolve` checks them against the project.

use crate::eval::Reason;
use crate::source::Span;
pub use crate::syntax::ast::{Literal, LiteralValue};

/// One `.test.route` file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// Its `test` blocks in file order.
    pub tests: Vec<TestDecl>,
}

/// A `test "name" { ... }` block.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub struct Text {
    /// The text (strings unescaped).
    pub value: String,
    /// Where.
    pub span: Span,
}

/// A `lead { ... }` and the `expect`s after it.
#[derive(Debug, Clone)]
pub struct CaseDecl {
    /// The lead.
    pub lead: LeadDecl,
    /// What must be true of its decision.
    pub expects: Vec<ExpectDecl>,
}

/// A lead literal.
#[derive(Debug, Clone)]
pub struct LeadDecl {
    /// `field: value` pairs as written.
    pub entries: Vec<Entry>,
    /// The whole `lead { ... }`.
    pub span: Span,
}

/// One `field: value` of a lead.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The schema field name.
    pub field: Text,
    /// The value.
    pub value: LeadValue,
}

/// A value of a lead field: one literal of the route language, or a list
/// of them (`["a", "b"]`, which conditions never need but list fields do).
#[derive(Debug, Clone)]
pub enum LeadValue {
    /// A string, number or boolean.
    One(Literal),
    /// `[a, b]`.
    List {
        /// The elements.
        items: Vec<Literal>,
        /// The whole list.
        span: Span,
    },
}

impl LeadValue {
    /// Where the value stands.
    pub fn span(&self) -> Span {
        match self {
            LeadValue::One(literal) => literal.span,
            LeadValue::List { span, .. } => *span,
        }
    }
}

/// One `expect ...` line.
#[derive(Debug, Clone)]
pub struct ExpectDecl {
    /// `not` was written.
    pub negated: bool,
    /// What is expected.
    pub what: ExpectWhat,
    /// The whole `expect ...`.
    pub span: Span,
}

/// The forms of `expect`.
#[derive(Debug, Clone)]
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
    /// `secondary "id"`: the second owner's rep.
    Secondary(Text),
}
