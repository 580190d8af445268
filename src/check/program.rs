//! The checked program: what `check` guarantees to `compile` and `eval`.
//!
//! Every name is resolved to an index, every literal has the type of the
//! field it is compared with, every regex is compiled, every lookup is
//! loaded, `let`s are inlined and blocks are flattened: rule `i` fires when
//! its [`Cond`] holds and no earlier rule's does. A `Program` can only be made
//! by the checker, so the compiler never sees an unchecked project.

use rustc_hash::FxHashMap;

use crate::schema::{FieldId, Lead, Schema, StrValue, Value};
use crate::source::Span;

/// Index of a team in [`Program::teams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TeamId(pub u32);

/// Index of a lookup in [`Program::lookups`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LookupId(pub u32);

/// Index of a table in [`Program::tables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u32);

/// Index of a score in [`Program::scores`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScoreId(pub u32);

/// Index of a rule in [`Program::rules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

impl RuleId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A checked routing project.
#[derive(Debug, Clone)]
pub struct Program {
    /// The lead schema.
    pub schema: Schema,
    /// Teams, in declaration order.
    pub teams: Vec<Team>,
    /// Lookup tables, loaded.
    pub lookups: Vec<Lookup>,
    /// Leaf rules in priority order (blocks flattened).
    pub rules: Vec<RuleInfo>,
    /// Where invalid leads go, when declared.
    pub on_invalid: Option<Action>,
    /// What the checker inlined or applied away (lets, alias spellings),
    /// kept for the analysis of unused and contradictory declarations.
    pub declarations: Declarations,
    /// Tables, loaded and typed.
    pub tables: Vec<Table>,
    /// Scores, each computed into its derived field.
    pub scores: Vec<Score>,
    /// Working-hours tests of the routing instant (`now inside hours`).
    pub hours: Vec<WorkingHours>,
}

/// How a derived field's value is computed from the lead (see
/// [`crate::schema`]). Structurally equal derivations are one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Derivation {
    /// `TABLE[KEY].COLUMN`: the cell of the row whose key is the key
    /// field's value; absent when the key is absent or not in the table.
    /// `column: None` is the key itself, present when the row exists
    /// (`KEY in TABLE`).
    Column {
        /// The table.
        table: TableId,
        /// The field (input or derived) whose value is the key.
        key: FieldId,
        /// Index into [`Table::columns`], or `None` for the row's key.
        column: Option<u32>,
    },
    /// `domain(FIELD)`: the text after the last `@`, lowercased; absent when
    /// there is no `@` or nothing after it.
    Domain(FieldId),
    /// `lower(FIELD)`: the text lowercased.
    Lower(FieldId),
    /// `score NAME`: the sum of the points of the terms that hold.
    Score(ScoreId),
    /// `FIELD within N days|hours`: whether the date or datetime field's
    /// value lies in the window of `window` units (days for a date,
    /// milliseconds for a datetime) that ends at the routing instant, both
    /// ends included; false when the field is absent.
    Within {
        /// The date or datetime field (input or derived).
        field: FieldId,
        /// The window's length in the field's units.
        window: i64,
    },
    /// `now inside hours "..." in "ZONE"`: whether the routing instant is
    /// working time (index into [`Program::hours`]).
    Hours(HoursId),
}

impl Derivation {
    /// Whether the value depends on the routing instant (`within`, hours):
    /// no lead carries it, so the analysis treats it as a question the
    /// instant answers.
    pub fn uses_now(&self) -> bool {
        matches!(self, Derivation::Within { .. } | Derivation::Hours(_))
    }
}

/// Index of a working-hours test in [`Program::hours`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HoursId(pub u32);

/// The working hours of `now inside|outside hours "..." in "ZONE"`,
/// checked: the schedule parsed and the zone resolved.
#[derive(Debug, Clone)]
pub struct WorkingHours {
    /// The weekly schedule (wall-clock times in `zone`).
    pub schedule: crate::eval::hours::Schedule,
    /// The IANA zone.
    pub zone: jiff::tz::TimeZone,
    /// The hours as written.
    pub text: String,
    /// The zone as written.
    pub zone_name: String,
}

impl WorkingHours {
    /// Whether `now` is working time.
    pub fn contains(&self, now: jiff::Timestamp) -> bool {
        self.schedule.contains_at(now, &self.zone)
    }
}

/// A loaded table (`table NAME from "file.csv" key COLUMN { ... }`).
#[derive(Debug, Clone)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// The typed columns (`column` is the CSV header read).
    pub columns: Vec<crate::schema::Field>,
    /// The key column's header.
    pub key: String,
    /// Whether keys match whatever their case.
    pub case_insensitive: bool,
    /// Each row's key as written in the file, in file order.
    pub keys: Vec<String>,
    /// Each row's cells, one per column, coerced to the column's type.
    pub rows: Vec<Vec<Value>>,
    /// The row of each key (lowercased when `case_insensitive`).
    pub index: FxHashMap<String, u32>,
    /// Where it was declared.
    pub span: Span,
}

impl Table {
    /// The row whose key is `key` (as the lead gives it). For a table
    /// whose keys match whatever their case, `key` is lowercased in place
    /// first: a buffer the caller reuses, rather than a new string a lead.
    pub fn row(&self, key: &mut StrValue) -> Option<usize> {
        if self.case_insensitive {
            if key.is_ascii() {
                key.make_ascii_lowercase();
            } else {
                *key = key.to_lowercase();
            }
        }
        self.index.get(key.as_str()).map(|&row| row as usize)
    }

    /// The value of `column` in `row` (`None`: the key), absent past the end.
    pub fn cell(&self, row: usize, column: Option<u32>) -> Value {
        match column {
            None => self.keys.get(row).map_or(Value::Absent, |k| Value::Str(k.as_str().into())),
            Some(c) => self.rows.get(row).and_then(|r| r.get(c as usize)).cloned().unwrap_or(Value::Absent),
        }
    }
}

/// A checked `score NAME { N when CONDITION ... }`.
#[derive(Debug, Clone)]
pub struct Score {
    /// Its name.
    pub name: String,
    /// The derived field holding its value.
    pub field: FieldId,
    /// The terms in order.
    pub terms: Vec<ScoreTerm>,
    /// Where it was declared.
    pub span: Span,
}

/// `N when CONDITION`.
#[derive(Debug, Clone)]
pub struct ScoreTerm {
    /// The points it adds when its condition holds.
    pub points: i64,
    /// The condition (lets inlined).
    pub condition: Cond,
    /// The term as written.
    pub span: Span,
}

/// Declarations the checked rules no longer show: `let`s are inlined and
/// aliases applied to the schema's enums.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    /// Every `let`, in declaration order.
    pub lets: Vec<LetInfo>,
    /// Every alias spelling whose field and value resolved, in declaration
    /// order.
    pub aliases: Vec<AliasInfo>,
}

/// A checked `let`.
#[derive(Debug, Clone)]
pub struct LetInfo {
    /// Its name.
    pub name: String,
    /// The name where it is declared.
    pub span: Span,
    /// The condition as written.
    pub condition_span: Span,
    /// The condition, other lets inlined.
    pub condition: Cond,
    /// Whether a rule or another `let` refers to it.
    pub used: bool,
}

/// One spelling of an `alias` block.
#[derive(Debug, Clone)]
pub struct AliasInfo {
    /// The enum field (or list of enums) it cleans.
    pub field: FieldId,
    /// The spelling as written.
    pub spelling: String,
    /// The enum value it maps to.
    pub value: u32,
    /// The spelling's literal.
    pub span: Span,
}

impl Program {
    /// The rep ids a `rep TABLE[KEY].COLUMN` target can name: the column's
    /// values, sorted and deduplicated (empty for any other field).
    pub fn rep_ids(&self, field: FieldId) -> Vec<&str> {
        let Some(Derivation::Column { table, column: Some(column), .. }) = self.schema.derivation(field) else {
            return Vec::new();
        };
        let rows = self.tables.get(table.0 as usize).map_or(&[][..], |t| t.rows.as_slice());
        let mut ids: Vec<&str> = rows
            .iter()
            .filter_map(|row| match row.get(*column as usize) {
                Some(Value::Str(id)) => Some(&**id),
                _ => None,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The team behind an id.
    #[expect(
        clippy::indexing_slicing,
        reason = "INVARIANT: ids are positions in this program's append-only vectors, issued by the checker that built it"
    )]
    pub fn team(&self, id: TeamId) -> &Team {
        &self.teams[id.0 as usize]
    }

    /// The lookup behind an id.
    #[expect(
        clippy::indexing_slicing,
        reason = "INVARIANT: ids are positions in this program's append-only vectors, issued by the checker that built it"
    )]
    pub fn lookup(&self, id: LookupId) -> &Lookup {
        &self.lookups[id.0 as usize]
    }

    /// Every action: the rules' in priority order, then `on invalid`'s.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.rules.iter().map(|r| &r.action).chain(self.on_invalid.as_ref())
    }

    /// The rule behind an id.
    #[expect(
        clippy::indexing_slicing,
        reason = "INVARIANT: ids are positions in this program's append-only vectors, issued by the checker that built it"
    )]
    pub fn rule(&self, id: RuleId) -> &RuleInfo {
        &self.rules[id.index()]
    }
}

/// A team and its members.
#[derive(Debug, Clone)]
pub struct Team {
    /// Its name.
    pub name: String,
    /// Members in declaration order.
    pub members: Vec<Member>,
    /// Where it was declared.
    pub span: Span,
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Rep id.
    pub id: String,
    /// Positive weight (default 1).
    pub weight: u32,
}

/// A loaded lookup table.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// Its name.
    pub name: String,
    /// Key (trimmed) to value (trimmed).
    pub entries: FxHashMap<String, String>,
    /// Where it was declared.
    pub span: Span,
}

/// One leaf rule.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// The id used in output: the label, else `line:N`.
    pub name: String,
    /// 1-based line of the rule's `when`/`otherwise` keyword.
    pub line: u32,
    /// The rule's span (the `when`/`otherwise` keyword through its action).
    pub span: Span,
    /// The full condition, enclosing blocks' conditions included.
    pub condition: Cond,
    /// What to do with a matching lead.
    pub action: Action,
    /// Written as `otherwise` (inside a block its condition is the
    /// block's, not `True`): it is meant to take whatever is left.
    pub otherwise: bool,
}

/// A condition over one lead.
#[derive(Debug, Clone)]
pub enum Cond {
    /// Always holds (`otherwise`).
    True,
    /// All hold (empty: true).
    All(Vec<Cond>),
    /// Any holds (empty: false).
    Any(Vec<Cond>),
    /// Boolean negation.
    Not(Box<Cond>),
    /// An atomic test of one field.
    Test(Test),
}

/// An atomic test of one field. On an absent value every test is false
/// (`!=` and `not in` are `Not` of `Eq`/`In`, hence true).
#[derive(Debug, Clone)]
pub struct Test {
    /// The field tested.
    pub field: FieldId,
    /// What is tested.
    pub kind: TestKind,
    /// The predicate as written (for traces and analysis labels).
    pub span: Span,
}

/// A literal of the field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// Text (string fields).
    Str(String),
    /// Integer (int fields).
    Int(i64),
    /// Float (float fields).
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// Enum value index.
    Enum(u32),
}

/// A numeric literal as written: an int stays an `i64` so that ints
/// beyond 2^53 compare exactly (as f64, 2^53 + 1 equals 2^53).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
}

impl From<f64> for Number {
    fn from(f: f64) -> Number {
        Number::Float(f)
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::Int(i)
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

impl Number {
    /// The number a lead value holds, when it is one.
    pub fn of_value(value: &Value) -> Option<Number> {
        match value {
            Value::Int(i) => Some(Number::Int(*i)),
            Value::Float(f) => Some(Number::Float(*f)),
            _ => None,
        }
    }

    /// The nearest f64 (exact for floats and for ints below 2^53).
    pub fn to_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// The exact order of two numbers, ints against floats included; `None`
/// when one is NaN. Never rounds: `2^53 + 1 > 2^53` and
/// `i64::MAX < 2^63 as f64`.
pub fn compare_numbers(a: Number, b: Number) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
        (Number::Float(x), Number::Float(y)) => x.partial_cmp(&y),
        (Number::Int(x), Number::Float(y)) => int_vs_float(x, y),
        (Number::Float(x), Number::Int(y)) => int_vs_float(y, x).map(std::cmp::Ordering::reverse),
    }
}

/// `i` against `f` without rounding `i` to an f64.
fn int_vs_float(i: i64, f: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering as O;
    /// 2^63: the least f64 above every i64.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_63 {
        return Some(O::Less);
    }
    if f < -TWO_63 {
        return Some(O::Greater);
    }
    // |f| < 2^63 (or f == -2^63): its integer part is an exact i64.
    let whole = f.trunc() as i64;
    Some(i.cmp(&whole).then_with(|| {
        let fraction = f - f.trunc();
        if fraction > 0.0 {
            O::Less
        } else if fraction < 0.0 {
            O::Greater
        } else {
            O::Equal
        }
    }))
}

/// Numeric comparison operators (`==`/`!=` become [`TestKind::Eq`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ordering {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Ordering {
    /// Whether `a op b` holds given how `a` compares to `b` (`None`: NaN,
    /// never holds).
    pub fn holds(self, order: Option<std::cmp::Ordering>) -> bool {
        use std::cmp::Ordering as O;
        matches!(
            (self, order),
            (Ordering::Lt, Some(O::Less))
                | (Ordering::Le, Some(O::Less | O::Equal))
                | (Ordering::Gt, Some(O::Greater))
                | (Ordering::Ge, Some(O::Greater | O::Equal))
        )
    }
}

/// The kinds of atomic test.
#[derive(Debug, Clone)]
pub enum TestKind {
    /// `field exists`
    Exists,
    /// `field == literal` (numbers compare by value: `5 == 5.0`)
    Eq(Scalar),
    /// `field in [..]`
    In(Vec<Scalar>),
    /// `field < n` etc.; compared exactly (an int threshold stays an int,
    /// see [`compare_numbers`])
    Compare(Ordering, Number),
    /// `field starts_with "x"` (case-sensitive)
    StartsWith(String),
    /// `field ends_with "x"` (case-sensitive)
    EndsWith(String),
    /// `field contains "x"` on a string (substring, case-sensitive)
    Contains(String),
    /// `field contains x` on a list (element equality)
    ListContains(Scalar),
    /// `field matches "regex"`
    Matches(regex::Regex),
    /// `field in LOOKUP` (exact key match)
    InLookup(LookupId),
}

/// Where a matching lead goes: a target, then fallbacks in order; and,
/// with `with`, a second owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The first choice.
    pub target: Target,
    /// Fallbacks, tried left to right when the target has nobody eligible.
    pub fallbacks: Vec<Target>,
    /// `with ACTION`: the second owner (LANGUAGE.md §15), chosen after the
    /// first with its own strategy and fallbacks; it never has a second
    /// owner or a split of its own.
    pub secondary: Option<Box<Action>>,
}

impl Action {
    /// Calls `visit` on every target the action can send a lead to: its
    /// target (a split's arms, recursively), fallbacks and second owner.
    pub fn for_each_target<'a>(&'a self, visit: &mut dyn FnMut(&'a Target)) {
        for target in std::iter::once(&self.target).chain(&self.fallbacks) {
            match target {
                Target::Split(split) => split.arms.iter().for_each(|arm| arm.action.for_each_target(visit)),
                other => visit(other),
            }
        }
        if let Some(secondary) = &self.secondary {
            secondary.for_each_target(visit);
        }
    }

    /// Every target the action can send a lead to (see
    /// [`Action::for_each_target`]), in order.
    pub fn targets(&self) -> Vec<&Target> {
        let mut out = Vec::new();
        self.for_each_target(&mut |t| out.push(t));
        out
    }
}

/// The number of buckets a split's key hashes into: a share is a whole
/// number of hundredths of a percent (`12.5%` is 1,250 buckets).
pub const SPLIT_BUCKETS: u32 = 10_000;

/// `split NAME by FIELD { P% ACTION; ... }` (LANGUAGE.md §14), checked:
/// shares add up to [`SPLIT_BUCKETS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Its identity, hashed with the key: the split's name, else the
    /// rule's label.
    pub name: String,
    /// The field whose value is hashed.
    pub field: FieldId,
    /// The arms in order; arm `i` takes the buckets from the sum of the
    /// shares before it up to that sum plus its own.
    pub arms: Vec<Arm>,
}

/// One arm of a split.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// Its share in buckets (hundredths of a percent), at least 1.
    pub share: u32,
    /// Where its leads go.
    pub action: Action,
}

/// A destination.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A team with a distribution strategy.
    Team {
        /// The team.
        team: TeamId,
        /// How a member is picked.
        strategy: Strategy,
    },
    /// One named rep.
    Rep(String),
    /// The rep a lookup gives for a field's value.
    RepLookup {
        /// The table.
        lookup: LookupId,
        /// The key field.
        key: FieldId,
    },
    /// A holding queue; always accepts.
    Queue(String),
    /// The rep named by a (derived) string field: `rep TABLE[KEY].COLUMN`.
    RepField(FieldId),
    /// A split: the arm the lead's bucket falls in decides (only as a
    /// rule's whole action).
    Split(Box<Split>),
}

/// Distribution strategies (LANGUAGE.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// In member order; one cursor per team.
    RoundRobin,
    /// Smooth weighted round robin.
    Weighted,
    /// Lowest open-leads/capacity.
    LoadBalanced,
    /// Seeded random.
    Random,
    /// Same key value, same rep (rendezvous hashing).
    Sticky(FieldId),
    /// First eligible member in order.
    FirstAvailable,
}

impl Strategy {
    /// The name used in output records.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::Weighted => "weighted",
            Strategy::LoadBalanced => "load_balanced",
            Strategy::Random => "random",
            Strategy::Sticky(_) => "sticky",
            Strategy::FirstAvailable => "first_available",
        }
    }
}

impl Test {
    /// Whether the test holds for a value of its field. This is the meaning
    /// of every atom; the reference interpreter and the DAG both use it.
    pub fn holds(&self, value: &Value, lookups: &[Lookup]) -> bool {
        if matches!(value, Value::Absent) {
            return false;
        }
        match &self.kind {
            TestKind::Exists => true,
            TestKind::Eq(literal) => scalar_eq(value, literal),
            TestKind::In(literals) => literals.iter().any(|l| scalar_eq(value, l)),
            TestKind::Compare(op, threshold) => {
                Number::of_value(value).is_some_and(|n| op.holds(compare_numbers(n, *threshold)))
            }
            TestKind::StartsWith(prefix) => as_str(value).is_some_and(|s| s.starts_with(prefix.as_str())),
            TestKind::EndsWith(suffix) => as_str(value).is_some_and(|s| s.ends_with(suffix.as_str())),
            TestKind::Contains(part) => as_str(value).is_some_and(|s| s.contains(part.as_str())),
            TestKind::ListContains(element) => match value {
                Value::List(items) => items.iter().any(|item| scalar_eq(item, element)),
                _ => false,
            },
            TestKind::Matches(regex) => as_str(value).is_some_and(|s| regex.is_match(s)),
            TestKind::InLookup(id) => {
                as_str(value).is_some_and(|s| lookups.get(id.0 as usize).is_some_and(|l| l.entries.contains_key(s)))
            }
        }
    }
}

impl Cond {
    /// Evaluates the condition directly (the reference semantics).
    pub fn holds(&self, lead: &Lead, lookups: &[Lookup]) -> bool {
        match self {
            Cond::True => true,
            Cond::All(parts) => parts.iter().all(|c| c.holds(lead, lookups)),
            Cond::Any(parts) => parts.iter().any(|c| c.holds(lead, lookups)),
            Cond::Not(inner) => !inner.holds(lead, lookups),
            Cond::Test(test) => test.holds(lead.get(test.field), lookups),
        }
    }
}

fn as_str(value: &Value) -> Option<&str> {
    match value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// Equality of a lead value and a literal of the field's type.
pub fn scalar_eq(value: &Value, literal: &Scalar) -> bool {
    match (value, literal) {
        (Value::Str(a), Scalar::Str(b)) => **a == **b,
        (Value::Enum(a), Scalar::Enum(b)) => a == b,
        (Value::Bool(a), Scalar::Bool(b)) => a == b,
        (Value::Int(a), Scalar::Int(b)) => a == b,
        (Value::Float(a), Scalar::Float(b)) => a == b,
        // Mixed int and float: exactly, never through a rounded f64.
        (Value::Int(a), Scalar::Float(b)) => int_vs_float(*a, *b) == Some(std::cmp::Ordering::Equal),
        (Value::Float(a), Scalar::Int(b)) => int_vs_float(*b, *a) == Some(std::cmp::Ordering::Equal),
        _ => false,
    }
}
