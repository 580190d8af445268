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
    /// `2026-11-25` (unquoted)
    Date(TimeLit),
    /// `2026-11-25T10:00:00Z` (unquoted, with `Z` or an offset)
    DateTime(TimeLit),
}

/// A date or datetime literal: the text as written (printed back by `fmt`)
/// and its value (days, or milliseconds, since the epoch: see
/// [`crate::schema::dates`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeLit {
    /// As written (boxed: literals are small, and the AST holds many).
    pub text: Box<str>,
    /// Days (date) or milliseconds (datetime) since 1970-01-01 UTC.
    pub value: i64,
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
#[expect(
    clippy::large_enum_variant,
    reason = "rules are most of a file's items: boxing them would allocate for nearly every declaration to save space on the few others"
)]
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
    /// `table NAME from "file.csv" key COLUMN { ... }`
    Table(TableDecl),
    /// `score NAME { N when CONDITION ... }`
    Score(ScoreDecl),
}

/// `table NAME from "file.csv" key COLUMN [case_insensitive] { column: TYPE ... }`
#[derive(Debug, Clone)]
pub struct TableDecl {
    /// The table's name.
    pub name: Ident,
    /// The CSV path, relative to the declaring file.
    pub path: StrLit,
    /// The key column.
    pub key: Ident,
    /// Whether keys match whatever their case (`case_insensitive`).
    pub case_insensitive: bool,
    /// The typed columns, declared like schema fields (`from` names the
    /// CSV header when it differs).
    pub columns: Vec<FieldDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `score NAME { N when CONDITION ... }`
#[derive(Debug, Clone)]
pub struct ScoreDecl {
    /// The score's name, used as an int in conditions.
    pub name: Ident,
    /// The terms, in order.
    pub terms: Vec<ScoreTerm>,
    /// The whole declaration.
    pub span: Span,
}

/// `N when CONDITION`: `N` points when the condition holds.
#[derive(Debug, Clone)]
pub struct ScoreTerm {
    /// The points as written (checked to be an int by the checker).
    pub points: Literal,
    /// When they count.
    pub condition: Expr,
    /// The whole term.
    pub span: Span,
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
    /// `format "%m/%d/%Y"`: how a date or datetime field's input is written.
    pub format: Option<StrLit>,
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
    /// A calendar date.
    Date,
    /// An instant.
    DateTime,
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

/// The subject of a predicate: a field or a value derived from the lead.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A field, a score, or (as a bare condition) a bool field or `let`.
    Name(Ident),
    /// `TABLE[KEY].COLUMN`
    Column {
        /// The table.
        table: Ident,
        /// The key: a field or another operand.
        key: Box<Operand>,
        /// The column.
        column: Ident,
        /// The whole operand.
        span: Span,
    },
    /// `FUNCTION(FIELD)`: `domain(email)`, `lower(name)`.
    Call {
        /// The function's name as written.
        function: Ident,
        /// Its argument.
        argument: Ident,
        /// The whole operand.
        span: Span,
    },
}

impl Operand {
    /// Where the operand stands.
    pub fn span(&self) -> Span {
        match self {
            Operand::Name(ident) => ident.span,
            Operand::Column { span, .. } | Operand::Call { span, .. } => *span,
        }
    }

    /// The name, when the operand is a plain name.
    pub fn as_name(&self) -> Option<&Ident> {
        match self {
            Operand::Name(ident) => Some(ident),
            _ => None,
        }
    }
}

/// A predicate: a field (or a name) and a test.
#[derive(Debug, Clone)]
pub struct Predicate {
    /// The field or derived value, or for [`PredicateKind::Name`] the bool
    /// field or `let`.
    pub subject: Operand,
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
    /// `field within N days|hours`: between N units before the routing
    /// instant and the instant itself.
    Within {
        /// N, as written.
        amount: Literal,
        /// Days or hours.
        unit: TimeUnit,
    },
    /// `now inside|outside hours "Mon-Fri 08:00-18:00" in "Zone"` (the
    /// subject is `now`; boxed, being the largest test).
    Hours(Box<HoursTest>),
}

/// The test of [`PredicateKind::Hours`].
#[derive(Debug, Clone, PartialEq)]
pub struct HoursTest {
    /// `inside` (true) or `outside`.
    pub inside: bool,
    /// The working-hours expression.
    pub hours: StrLit,
    /// The IANA zone the hours are wall-clock times in.
    pub zone: StrLit,
}

/// The units of `within`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `days` (or `day`)
    Days,
    /// `hours` (or `hour`)
    Hours,
}

impl TimeUnit {
    /// The unit as printed for an amount (`1 day`, `30 days`).
    pub fn as_str(self, amount: i64) -> &'static str {
        match (self, amount == 1) {
            (TimeUnit::Days, true) => "day",
            (TimeUnit::Days, false) => "days",
            (TimeUnit::Hours, true) => "hour",
            (TimeUnit::Hours, false) => "hours",
        }
    }
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
    /// `before` (`<` on dates)
    Before,
    /// `after` (`>` on dates)
    After,
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
            CompareOp::Before => "before",
            CompareOp::After => "after",
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
    /// `with ACTION`: the second owner, with its own fallbacks
    /// (LANGUAGE.md §15); never itself with a `with` or a split.
    pub secondary: Option<Box<Action>>,
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
    /// `rep LOOKUP[FIELD]`, or `rep TABLE[KEY].COLUMN` with a column
    RepLookup {
        /// The lookup table.
        lookup: Ident,
        /// The key: a lead field (or, for a table, any key operand).
        key: Box<Operand>,
        /// The table column naming the rep (`None` for a lookup).
        column: Option<Ident>,
        /// The whole target.
        span: Span,
    },
    /// `queue NAME`
    Queue(Ident, Span),
    /// `split [NAME] by FIELD { P% ACTION; ... }` (LANGUAGE.md §14): only
    /// as a rule's whole action (no fallbacks or `with` after the braces;
    /// each arm has its own).
    Split(Box<SplitExpr>),
}

/// `split [NAME] by FIELD { P% ACTION; ... }`
#[derive(Debug, Clone)]
pub struct SplitExpr {
    /// The split's name, when written (its identity for hashing; else the
    /// rule's label).
    pub name: Option<Ident>,
    /// The lead field hashed into a bucket.
    pub field: Ident,
    /// The arms, in order (buckets are handed out in this order).
    pub arms: Vec<SplitArm>,
    /// The whole split.
    pub span: Span,
}

/// `P% ACTION`: one arm of a split.
#[derive(Debug, Clone)]
pub struct SplitArm {
    /// The share as written, without `%` (an int or a decimal).
    pub share: Literal,
    /// The share with its `%` (where diagnostics point).
    pub percent: Span,
    /// Where the arm's leads go.
    pub action: Action,
    /// The whole arm.
    pub span: Span,
}

impl Target {
    /// Where the target stands.
    pub fn span(&self) -> Span {
        match self {
            Target::Team { span, .. }
            | Target::Rep(_, span)
            | Target::RepLookup { span, .. }
            | Target::Queue(_, span) => *span,
            Target::Split(split) => split.span,
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
            Item::Table(d) => d.span,
            Item::Score(d) => d.span,
        }
    }
}
