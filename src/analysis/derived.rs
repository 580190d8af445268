//! Derived fields in the analysis: before solving, every test on a derived
//! field is rewritten into an equivalent condition on the fields it is
//! computed from, so that a derived value is never mistaken for an
//! independent variable (`accounts[account].tier == "gold"` can only hold
//! for the accounts whose row says so).
//!
//! - `TABLE[KEY].COLUMN OP x` ≡ `KEY in {keys whose row satisfies OP x}`
//!   (a finite set: a key not in the table makes the column absent, and
//!   every test is false on an absent value); `KEY in TABLE` is the same
//!   with every key. Case-insensitive tables give a case-insensitive
//!   pattern over the keys, unless the key is already lowercase
//!   (`domain()`, `lower()`).
//! - `domain(F)` and `lower(F)` tests become case-insensitive patterns on
//!   `F` (`domain(email) == "x.com"` ≡ `email matches "(?i)@x\.com$"`):
//!   the equivalence is exact, but patterns are approximated by the solver,
//!   so such rules may be left undecided, never misjudged.
//! - A score test `S OP n` ≡ the disjunction, over the combinations of the
//!   terms' conditions, of those whose points satisfy it, built as a
//!   decision over (term, points so far) with shared suffixes folded to
//!   true or false, within [`MAX_SCORE_SUMS`] and [`MAX_SCORE_NODES`].
//!
//! What cannot be rewritten (`matches` on `domain()`/`lower()`, a score
//! past the caps) stays a test on the derived field, which the solver then
//! treats as free: the relaxed question has more answers than the real
//! one, so "never" answers stay true; examples are verified on the real
//! program (derived values recomputed from the input fields) before they
//! are shown, and a `W0113` note names each construct.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::check::program::{Cond, Derivation, Program, Scalar, Score, Test, TestKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::schema::{FieldId, FieldType, Value};
use crate::source::Span;

/// Distinct point totals a score's terms may reach beyond which a score
/// test is not rewritten.
pub const MAX_SCORE_SUMS: usize = 4_096;

/// Nodes one rewritten score test may have.
pub const MAX_SCORE_NODES: usize = 20_000;

/// `program` with every test on a derived field rewritten over input
/// fields where that is exact, and a `W0113` note per construct that is
/// not.
pub fn rewrite(program: &Program) -> (Program, Vec<Diagnostic>) {
    let mut rewriter = Rewriter {
        program,
        inexact: Vec::new(),
        instants: Vec::new(),
        seen: FxHashSet::default(),
        terms: FxHashMap::default(),
    };
    let mut out = program.clone();
    for rule in &mut out.rules {
        rule.condition = rewriter.cond(&rule.condition);
    }
    for info in &mut out.declarations.lets {
        info.condition = rewriter.cond(&info.condition);
    }
    let mut notes: Vec<Diagnostic> = rewriter.inexact.into_iter().map(|(span, what)| note(span, &what)).collect();
    notes.extend(rewriter.instants.into_iter().map(|(span, name, others)| instant_note(span, &name, others)));
    (out, notes)
}

/// `W0113` for a test of the routing instant that others share it with.
fn instant_note(span: Span, name: &str, others: usize) -> Diagnostic {
    let others = if others == 1 { "1 other test".to_string() } else { format!("{others} other tests") };
    Diagnostic::new(Code::AnalysisIncomplete, span, format!("analysis is not exact for `{name}`"))
        .label(format!("depends on the routing instant, like {others} of this project"))
        .note("the analysis treats each `within` and hours test as a yes/no of its own, not as one instant")
        .note("rules combining them may be left undecided; examples are checked at a real instant, so nothing false is claimed")
}

fn note(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::AnalysisIncomplete, span, format!("analysis is not exact for {what}"))
        .label("treated as a value of its own, not computed from the lead")
        .note("rules testing it may be left undecided; nothing false is claimed about them")
}

struct Rewriter<'p> {
    program: &'p Program,
    /// Constructs left as free values, with where they are tested.
    inexact: Vec<(Span, String)>,
    /// Tests of the routing instant that others share it with: where,
    /// which, and how many others.
    instants: Vec<(Span, String, usize)>,
    seen: FxHashSet<FieldId>,
    /// Each score's terms, rewritten once (scores testing scores would
    /// otherwise be rewritten again for every test).
    terms: FxHashMap<FieldId, Vec<(i64, Cond)>>,
}

impl Rewriter<'_> {
    fn cond(&mut self, cond: &Cond) -> Cond {
        match cond {
            Cond::True => Cond::True,
            Cond::All(parts) => Cond::All(parts.iter().map(|p| self.cond(p)).collect()),
            Cond::Any(parts) => Cond::Any(parts.iter().map(|p| self.cond(p)).collect()),
            Cond::Not(inner) => Cond::Not(Box::new(self.cond(inner))),
            Cond::Test(test) => self.test(test),
        }
    }

    fn test(&mut self, test: &Test) -> Cond {
        let Some(derivation) = self.program.schema.derivation(test.field).copied() else {
            return Cond::Test(test.clone());
        };
        let exact = match derivation {
            Derivation::Column { table, key, column } => self.column(test, table.0 as usize, key, column),
            Derivation::Domain(field) => text_test(test, true).map(|kind| self.maybe_on(field, kind, test.span)),
            Derivation::Lower(field) => text_test(test, false).map(|kind| self.maybe_on(field, kind, test.span)),
            Derivation::Score(score) => self.program.scores.get(score.0 as usize).and_then(|s| self.score(test, s)),
            Derivation::Within { field, .. } => return self.instant(test, Some(field)),
            Derivation::Hours(_) => return self.instant(test, None),
        };
        exact.unwrap_or_else(|| {
            if self.seen.insert(test.field) {
                let name = &self.program.schema.field(test.field).name;
                self.inexact.push((test.span, format!("`{name}`")));
            }
            Cond::Test(test.clone())
        })
    }

    /// A test of a value of the routing instant (`within`, hours): kept as a
    /// free yes/no, since no lead carries the instant; `within` holds only
    /// for a present value, which is said. With one such value in the
    /// program this is exact (any value of the field is inside some
    /// instant's window and outside another's); several are related
    /// through the one instant (`within 7 days` implies `within 30 days`),
    /// which the solver does not know: a note says so.
    fn instant(&mut self, test: &Test, field: Option<FieldId>) -> Cond {
        let related = self.program.schema.derived.iter().filter(|d| d.uses_now()).count();
        if related > 1 && self.seen.insert(test.field) {
            let name = &self.program.schema.field(test.field).name;
            self.instants.push((test.span, name.clone(), related - 1));
        }
        let free = Cond::Test(test.clone());
        match field {
            Some(field) if self.program.schema.field(field).optional => {
                Cond::All(vec![free, self.on(field, TestKind::Exists, test.span)])
            }
            _ => free,
        }
    }

    /// A test of `kind` on `field`, itself rewritten when `field` is derived.
    fn on(&mut self, field: FieldId, kind: TestKind, span: Span) -> Cond {
        self.test(&Test { field, kind, span })
    }

    /// [`Rewriter::on`], or never true for `None`.
    fn maybe_on(&mut self, field: FieldId, kind: Option<TestKind>, span: Span) -> Cond {
        kind.map_or_else(|| Cond::Any(Vec::new()), |kind| self.on(field, kind, span))
    }

    /// `TABLE[KEY].COLUMN` tested: the key among the rows that pass.
    fn column(&mut self, test: &Test, table: usize, key: FieldId, column: Option<u32>) -> Option<Cond> {
        let table = self.program.tables.get(table)?;
        let lookups = &self.program.lookups;
        let passing: Vec<&str> = (0..table.keys.len())
            .filter(|&row| test.holds(&table.cell(row, column), lookups))
            .filter_map(|row| table.keys.get(row).map(String::as_str))
            .collect();
        let schema = &self.program.schema;
        let kind = match schema.field(key).ty {
            FieldType::String if !table.case_insensitive => {
                TestKind::In(passing.iter().map(|k| Scalar::Str((*k).to_string())).collect())
            }
            FieldType::String => {
                let lowercase_key =
                    matches!(schema.derivation(key), Some(Derivation::Domain(_) | Derivation::Lower(_)));
                if lowercase_key {
                    TestKind::In(passing.iter().map(|k| Scalar::Str(k.to_lowercase())).collect())
                } else {
                    TestKind::Matches(pattern(true, "^(?:", &passing, ")$")?)
                }
            }
            FieldType::Enum(id) => {
                let enum_type = schema.enum_type(id);
                let wanted: FxHashSet<String> = passing.iter().map(|k| normalise(k, table.case_insensitive)).collect();
                let values = (0..enum_type.values.len())
                    .filter_map(|i| u32::try_from(i).ok())
                    .filter(|&i| wanted.contains(&normalise(enum_type.name(i), table.case_insensitive)));
                TestKind::In(values.map(Scalar::Enum).collect())
            }
            FieldType::Int => TestKind::In(
                passing
                    .iter()
                    .filter_map(|k| k.parse::<i64>().ok().filter(|i| i.to_string() == *k))
                    .map(Scalar::Int)
                    .collect(),
            ),
            _ => return None,
        };
        if matches!(&kind, TestKind::In(values) if values.is_empty()) {
            return Some(Cond::Any(Vec::new()));
        }
        Some(self.on(key, kind, test.span))
    }

    /// A score test as a condition over the terms' conditions.
    fn score(&mut self, test: &Test, score: &Score) -> Option<Cond> {
        if !self.terms.contains_key(&score.field) {
            let terms = score.terms.iter().map(|t| (t.points, self.cond(&t.condition))).collect();
            self.terms.insert(score.field, terms);
        }
        let terms = self.terms.get(&score.field)?.clone();
        let suffixes = suffix_sums(&terms)?;
        let mut builder =
            ScoreBuilder { test, terms: &terms, suffixes: &suffixes, memo: FxHashMap::default(), nodes: 0 };
        builder.decide(0, 0)
    }
}

fn normalise(key: &str, case_insensitive: bool) -> String {
    if case_insensitive {
        key.to_lowercase()
    } else {
        key.to_string()
    }
}

/// What a test on a lowercased text (`domain(F)` when `domain`, else
/// `lower(F)`) means for `F`: `None` when it cannot be said (`matches`),
/// `Some(None)` when it never holds (a literal with an uppercase letter, or
/// an `@` in a domain), else a case-insensitive pattern on `F` (or
/// `exists`).
fn text_test(test: &Test, domain: bool) -> Option<Option<TestKind>> {
    let fits = |text: &&str| *text == text.to_lowercase() && !(domain && text.contains('@'));
    let exists =
        if domain { pattern(false, "@[^@]+$", &[], "").map(TestKind::Matches) } else { Some(TestKind::Exists) };
    // (prefix, texts, suffix) of the pattern, for the domain and the whole text.
    let (shape, texts): ((&str, &str, &str, &str), Vec<&str>) = match &test.kind {
        TestKind::Eq(Scalar::Str(text)) => (("@(?:", ")$", "^(?:", ")$"), vec![text.as_str()]),
        TestKind::In(values) => (
            ("@(?:", ")$", "^(?:", ")$"),
            values.iter().filter_map(|v| if let Scalar::Str(t) = v { Some(t.as_str()) } else { None }).collect(),
        ),
        TestKind::InLookup(_) => return None,
        TestKind::StartsWith(text) | TestKind::EndsWith(text) | TestKind::Contains(text) if text.is_empty() => {
            return exists.map(Some);
        }
        TestKind::StartsWith(text) => (("@(?:", ")[^@]*$", "^(?:", ")"), vec![text.as_str()]),
        TestKind::EndsWith(text) => (("@[^@]*(?:", ")$", "(?:", ")$"), vec![text.as_str()]),
        TestKind::Contains(text) => (("@[^@]*(?:", ")[^@]*$", "(?:", ")"), vec![text.as_str()]),
        TestKind::Exists => return exists.map(Some),
        _ => return None,
    };
    let texts: Vec<&str> = texts.into_iter().filter(|t| !t.is_empty()).filter(fits).collect();
    if texts.is_empty() {
        return Some(None);
    }
    let (before, after) = if domain { (shape.0, shape.1) } else { (shape.2, shape.3) };
    pattern(true, before, &texts, after).map(|regex| Some(TestKind::Matches(regex)))
}

/// `before (t1|t2|...) after`, the texts escaped.
fn pattern(case_insensitive: bool, before: &str, texts: &[&str], after: &str) -> Option<regex::Regex> {
    let alternatives: Vec<String> = texts.iter().map(|t| regex::escape(t)).collect();
    let flags = if case_insensitive { "(?i)" } else { "" };
    regex::Regex::new(&format!("{flags}{before}{}{after}", alternatives.join("|"))).ok()
}

/// For each term index, every total the terms from it on can add (`None`
/// past [`MAX_SCORE_SUMS`]).
fn suffix_sums(terms: &[(i64, Cond)]) -> Option<Vec<FxHashSet<i64>>> {
    let mut suffixes = vec![FxHashSet::from_iter([0i64])];
    for (points, _) in terms.iter().rev() {
        let next = suffixes.last()?;
        let mut sums: FxHashSet<i64> = next.clone();
        sums.extend(next.iter().map(|s| s.saturating_add(*points)));
        if sums.len() > MAX_SCORE_SUMS {
            return None;
        }
        suffixes.push(sums);
    }
    suffixes.reverse();
    Some(suffixes)
}

struct ScoreBuilder<'a> {
    test: &'a Test,
    terms: &'a [(i64, Cond)],
    suffixes: &'a [FxHashSet<i64>],
    memo: FxHashMap<(usize, i64), Cond>,
    nodes: usize,
}

impl ScoreBuilder<'_> {
    /// Whether the test holds for a total of `sum`.
    fn holds(&self, sum: i64) -> bool {
        self.test.holds(&Value::Int(sum), &[])
    }

    /// The condition "the terms from `i` on bring the total from `sum` to
    /// one the test accepts".
    fn decide(&mut self, i: usize, sum: i64) -> Option<Cond> {
        let reachable = self.suffixes.get(i)?;
        let passing = reachable.iter().filter(|&&rest| self.holds(sum.saturating_add(rest))).count();
        if passing == reachable.len() {
            return Some(Cond::True);
        }
        if passing == 0 {
            return Some(Cond::Any(Vec::new()));
        }
        if let Some(done) = self.memo.get(&(i, sum)) {
            return Some(done.clone());
        }
        let (points, condition) = self.terms.get(i)?;
        let with = self.decide(i + 1, sum.saturating_add(*points))?;
        let without = self.decide(i + 1, sum)?;
        let built =
            Cond::Any(vec![conjoin(condition.clone(), with), conjoin(Cond::Not(Box::new(condition.clone())), without)]);
        self.nodes = self.nodes.saturating_add(size(&built));
        if self.nodes > MAX_SCORE_NODES {
            return None;
        }
        self.memo.insert((i, sum), built.clone());
        Some(built)
    }
}

/// `a and b`, folding a constant `b`.
fn conjoin(a: Cond, b: Cond) -> Cond {
    match b {
        Cond::True => a,
        Cond::Any(parts) if parts.is_empty() => Cond::Any(parts),
        b => Cond::All(vec![a, b]),
    }
}

fn size(cond: &Cond) -> usize {
    match cond {
        Cond::True | Cond::Test(_) => 1,
        Cond::Not(inner) => 1 + size(inner),
        Cond::All(parts) | Cond::Any(parts) => 1 + parts.iter().map(size).sum::<usize>(),
    }
}
