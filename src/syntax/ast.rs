//! The abstract syntax tree: what the user wrote, with a span on every node.
//!
//! The AST is untyped and unresolved: names are plain identifiers and
//! literals are as written. `check` turns it into the typed [`crate::check`]
//! program; `format` prints it back. Nothing is folded or dropped: `not not
//! x`, parentheses and `fallback team x` vs `fallback x` are all kept, and
//! comments and blank lines live beside the tree in [`Module::trivia`].
//!
//! Equality (`==`) on every AST type ignores spans and trivia (see
//! `eq.rs`): two parses of the same declarations, laid out differently,
//! compare equal. It is the one way the AST compares.

use crate::source::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it stands.
    pub span: Span,
}

/// A string literal, escapes already applied.
#[derive(Debug, Clone)]
pub struct StrLit {
    /// The decoded value.
    pub value: String,
    /// The span of the literal including its quotes.
    pub span: Span,
}

/// A literal in a condition.
#[derive(Debug, Clone)]
pub struct Literal {
    /// The value.
    pub value: LiteralValue,
    /// Where it stands.
    pub span: Span,
}

/// The value of a [`Literal`].
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralValue {
    /// `"text"`
    Str(String),
    /// `5_000`
    Int(i64),
    /// `12.5`, `1e9`
    Float(f64),
    /// `true` / `false`
    Bool(bool),
}

/// One parsed `.route` file.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// Top-level declarations in source order.
    pub items: Vec<Item>,
    /// Comments and blank lines, recorded beside the tree (not compared).
    pub trivia: super::trivia::Trivia,
    /// Declarations that failed to parse (not compared): what they would
    /// have declared, so the checker can leave out errors that follow
    /// from them.
    pub failed: Vec<FailedDecl>,
}

/// What a declaration that failed to parse would have declared, read from
/// its first words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDecl {
    /// Its keyword: `team`, `let`, `lookup`, `schema`, `alias`, ... (`when`
    /// or `otherwise` for a rule).
    pub keyword: String,
    /// The name after the keyword, when there is one.
    pub name: Option<String>,
    /// The whole declaration.
    pub span: Span,
}

/// A top-level declaration.
#[derive(Debug, Clone)]
pub enum Item {
    /// `schema lead { ... }`
    Schema(SchemaDecl),
    /// `alias field { "a" => "B" }`
    Alias(AliasDecl),
    /// `team name = [...]`
    Team(TeamDecl),
    /// `let name = condition`
    Let(LetDecl),
    /// `lookup name from "file.csv" key k value v`
    Lookup(LookupDecl),
    /// `import "file.route"`
    Import(ImportDecl),
    /// `on invalid -> action`
    OnInvalid(OnInvalidDecl),
    /// A rule.
    Rule(Rule),
}

/// `schema NAME { ... }`
#[derive(Debug, Clone)]
pub struct SchemaDecl {
    /// The schema's name (informational).
    pub name: Ident,
    /// Input values that mean "absent" (`missing: "Select", "-"`).
    pub missing: Vec<StrLit>,
    /// `numbers: lenient|strict`, when given (the last one counts).
    pub numbers: Option<NumbersDecl>,
    /// Fields in declaration order.
    pub fields: Vec<FieldDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `numbers: lenient` (or `strict`, the default) in a schema.
#[derive(Debug, Clone)]
pub struct NumbersDecl {
    /// Whether `lenient` was written.
    pub lenient: bool,
    /// The whole entry.
    pub span: Span,
}

/// `name: type [?] [from "Column"]`
#[derive(Debug, Clone)]
pub struct FieldDecl {
    /// The field's name in rules.
    pub name: Ident,
    /// Its declared type.
    pub ty: TypeExpr,
    /// Whether `?` was given.
    pub optional: bool,
    /// The input column or key when it differs from the name.
    pub from: Option<StrLit>,
    /// The whole field declaration.
    pub span: Span,
}

/// A type as written in a schema.
#[derive(Debug, Clone)]
pub enum TypeExpr {
    /// `string`, `int`, `float`, `bool`
    Scalar(ScalarType, Span),
    /// `"a" | "b"`
    Enum(Vec<StrLit>, Span),
    /// `list<...>`
    List(Box<TypeExpr>, Span),
}

impl TypeExpr {
    /// Where the type stands.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Scalar(_, span) | TypeExpr::Enum(_, span) | TypeExpr::List(_, span) => *span,
        }
    }
}

/// The built-in scalar types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    /// UTF-8 text.
    String,
    /// 64-bit signed integer.
    Int,
    /// 64-bit float.
    Float,
    /// `true` / `false`.
    Bool,
}

/// `alias FIELD { "x", "y" => "Z"; ... }`
#[derive(Debug, Clone)]
pub struct AliasDecl {
    /// The enum field whose spellings are mapped.
    pub field: Ident,
    /// Groups of spellings and their canonical value.
    pub groups: Vec<AliasGroup>,
    /// The whole declaration.
    pub span: Span,
}

/// `"x", "y" => "Z"`
#[derive(Debug, Clone)]
pub struct AliasGroup {
    /// Accepted spellings.
    pub from: Vec<StrLit>,
    /// The enum value they mean.
    pub to: StrLit,
    /// The whole group.
    pub span: Span,
}

/// `team NAME = ["a@x" weight 3, ...]`
#[derive(Debug, Clone)]
pub struct TeamDecl {
    /// The team's name.
    pub name: Ident,
    /// Members in order (the order round robin follows).
    pub members: Vec<MemberDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// One team member.
#[derive(Debug, Clone)]
pub struct MemberDecl {
    /// The rep id.
    pub id: StrLit,
    /// `weight N`, as written (validated by the checker).
    pub weight: Option<Literal>,
    /// The whole member.
    pub span: Span,
}

/// `let NAME = CONDITION`
#[derive(Debug, Clone)]
pub struct LetDecl {
    /// The segment's name.
    pub name: Ident,
    /// Its condition.
    pub condition: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `lookup NAME from "file.csv" key COLUMN value COLUMN`
#[derive(Debug, Clone)]
pub struct LookupDecl {
    /// The table's name.
    pub name: Ident,
    /// The CSV path, relative to the declaring file.
    pub path: StrLit,
    /// The key column.
    pub key: Ident,
    /// The value column.
    pub value: Ident,
    /// The whole declaration.
    pub span: Span,
}

/// `import "file.route"`
#[derive(Debug, Clone)]
pub struct ImportDecl {
    /// The path, relative to the importing file.
    pub path: StrLit,
    /// The whole declaration.
    pub span: Span,
}

/// `on invalid -> ACTION`
#[derive(Debug, Clone)]
pub struct OnInvalidDecl {
    /// Where invalid leads go.
    pub action: Action,
    /// The whole declaration.
    pub span: Span,
}

/// `[LABEL:] when COND -> ACTION`, `when COND { ... }` or `otherwise -> ACTION`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The optional label, used as the rule id in output.
    pub label: Option<Ident>,
    /// What the rule does.
    pub kind: RuleKind,
    /// The `when`/`otherwise` keyword (its line names unlabelled rules).
    pub keyword: Span,
    /// The whole rule.
    pub span: Span,
}

/// The forms of a rule.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// `when COND -> ACTION`
    When {
        /// The condition.
        condition: Expr,
        /// The action.
        action: Action,
    },
    /// `when COND { RULES }`
    Block {
        /// The condition shared by the inner rules.
        condition: Expr,
        /// The inner rules, in order.
        rules: Vec<Rule>,
    },
    /// `otherwise -> ACTION`
    Otherwise {
        /// The action.
        action: Action,
    },
}

/// A condition.
#[derive(Debug, Clone)]
pub enum Expr {
    /// `a or b or c` (n-ary, at least two operands)
    Or(Vec<Expr>, Span),
    /// `a and b and c` (n-ary, at least two operands)
    And(Vec<Expr>, Span),
    /// `not a`: one node per `not` written, so `not not a` is two.
    Not(Box<Expr>, Span),
    /// `(a)`: parentheses as written, even where precedence makes them redundant.
    Paren(Box<Expr>, Span),
    /// One predicate over one field.
    Predicate(Predicate),
}

impl Expr {
    /// Where the condition stands.
    pub fn span(&self) -> Span {
        match self {
            Expr::Or(_, span) | Expr::And(_, span) | Expr::Not(_, span) | Expr::Paren(_, span) => *span,
            Expr::Predicate(p) => p.span,
        }
    }
}

/// A predicate: a field (or a name) and a test.
#[derive(Debug, Clone)]
pub struct Predicate {
    /// The field, or for [`PredicateKind::Name`] the bool field or `let`.
    pub subject: Ident,
    /// The test.
    pub kind: PredicateKind,
    /// The whole predicate.
    pub span: Span,
}

/// The tests a predicate can make.
#[derive(Debug, Clone)]
pub enum PredicateKind {
    /// `field OP literal`
    Compare(CompareOp, Span, Literal),
    /// `field [not] in [..]`
    InList {
        /// `not in`
        negated: bool,
        /// The literals.
        values: Vec<Literal>,
    },
    /// `field [not] in LOOKUP`
    InLookup {
        /// `not in`
        negated: bool,
        /// The lookup's name.
        lookup: Ident,
    },
    /// `field contains|starts_with|ends_with literal`
    Text(TextOp, Span, Literal),
    /// `field matches "regex"`
    Matches(StrLit),
    /// `field exists`
    Exists,
    /// A bare bool field or `let` name.
    Name,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// Text operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextOp {
    /// `contains` (substring, or list membership on lists)
    Contains,
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
}

impl TextOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            TextOp::Contains => "contains",
            TextOp::StartsWith => "starts_with",
            TextOp::EndsWith => "ends_with",
        }
    }
}

/// What a rule does with a lead: a target and fallbacks tried in order.
#[derive(Debug, Clone)]
pub struct Action {
    /// The first choice.
    pub target: Target,
    /// `else fallback TARGET`, left to right.
    pub fallbacks: Vec<Target>,
    /// The whole action.
    pub span: Span,
}

/// Where a lead can go.
#[derive(Debug, Clone)]
pub enum Target {
    /// `team NAME [via STRATEGY]` (or a bare `NAME` after `fallback`)
    Team {
        /// The team.
        name: Ident,
        /// The distribution strategy, when given.
        strategy: Option<StrategyExpr>,
        /// Whether the `team` keyword was written (it may be left out after
        /// `else fallback`).
        keyword: bool,
        /// The whole target.
        span: Span,
    },
    /// `rep "id"`
    Rep(StrLit, Span),
    /// `rep LOOKUP[FIELD]`
    RepLookup {
        /// The lookup table.
        lookup: Ident,
        /// The lead field used as key.
        key: Ident,
        /// The whole target.
        span: Span,
    },
    /// `queue NAME`
    Queue(Ident, Span),
}

impl Target {
    /// Where the target stands.
    pub fn span(&self) -> Span {
        match self {
            Target::Team { span, .. }
            | Target::Rep(_, span)
            | Target::RepLookup { span, .. }
            | Target::Queue(_, span) => *span,
        }
    }
}

/// `via STRATEGY`: a name, or `sticky(FIELD)`.
#[derive(Debug, Clone)]
pub struct StrategyExpr {
    /// The strategy's name as written.
    pub name: Ident,
    /// The key field of `sticky(FIELD)`.
    pub key: Option<Ident>,
    /// The whole strategy.
    pub span: Span,
}

impl Item {
    /// Where the declaration stands.
    pub fn span(&self) -> Span {
        match self {
            Item::Schema(d) => d.span,
            Item::Alias(d) => d.span,
            Item::Team(d) => d.span,
            Item::Let(d) => d.span,
            Item::Lookup(d) => d.span,
            Item::Import(d) => d.span,
            Item::OnInvalid(d) => d.span,
            Item::Rule(d) => d.span,
        }
    }
}
