//! Stage 4: what `route check` proves about a checked program and its DAG
//! (LANGUAGE.md §9): unreachable rules, coverage gaps with an example lead,
//! always-true and never-true conditions, contradictory, empty and unused
//! declarations, and (on request) overlapping rules.
//!
//! # Accepts, guarantees
//!
//! A checked [`Program`] and the [`Dag`] compiled from it (any budget).
//! Returns warnings and notes only, and one *witness* lead per rule it
//! proved reachable. Every claim is proven; what is not decided is said
//! in a `W0113` note, never guessed:
//!
//! - a **witness** for rule `r` is a valid lead (required fields present,
//!   types, enums and trimming respected, a JSON object `route eval --lead`
//!   reads back to the same lead) that [`Dag::route`] — what `route eval`
//!   runs — sends to `r`; for programs of up to
//!   [`REFERENCE_CHECK_RULES`] rules the reference interpreter agrees too;
//! - **unreachable** (`W0101`) is claimed only with a proof that every
//!   valid lead satisfying the rule's condition satisfies an earlier rule's:
//!   the rules named in its labels;
//! - a **coverage gap** (`W0102`) is claimed only with an example lead that
//!   the DAG and the reference interpreter both leave unmatched.
//!
//! # Algorithm
//!
//! The questions are satisfiability questions over valid leads: can this
//! condition hold, and these fail, for one lead? They are answered by a
//! small DPLL-style solver (`solver.rs`) whose theory is per field
//! (`domain.rs`): each field's facts are decided on their own (enums and
//! bools by enumeration, numbers as unions of intervals, strings by
//! forced prefix/suffix/substring pieces, lists by their least member), and
//! fields are independent, so a lead is the fields' values side by side.
//!
//! 1. **Walk the DAG** (`walk.rs`) from the root over valid leads only (the
//!    `unchecked` node, which serves invalid ones, is never entered),
//!    carrying each edge's fact (enum value, literal, "none of these
//!    literals", interval, absent, test outcome). A path whose facts
//!    contradict each other is cut. A `Match(r)` leaf yields a witness for
//!    `r`; a `NoMatch` leaf yields a gap example. Both are built from the
//!    path's facts and then *verified* by routing them. A `Rules` node
//!    (where the size budget stopped the compiler) is resolved locally: the
//!    lead built from the path shows which candidate fires first there; for
//!    candidates without a witness yet, and for the gap question, the
//!    solver is asked with the path's facts and the candidates' residual
//!    conditions, counter-example guided (see 2). Visits are memoised by
//!    node and by the facts about the fields the node's subtree still
//!    tests, so a shared subtree is walked once per distinct context.
//! 2. **Decide every rule left** (`reach.rs`) by counter-example guided
//!    search: find a lead satisfying rule `r`'s condition and failing the
//!    blockers found so far (initially none); route it; if an earlier rule
//!    `k` takes it, `k` joins the blockers and the search goes on. The
//!    search ends with a lead that reaches `r` (a witness), or with a proof
//!    that `cond(r) ∧ ¬cond(k1) ∧ … ∧ ¬cond(kn)` is unsatisfiable: `r` is
//!    unreachable and `k1 … kn` (each of which takes some of `r`'s leads)
//!    shadow it. With no blockers, the condition itself is never true.
//! 3. **Conditions** (`conditions.rs`): each `let` and each rule condition,
//!    and each part of an `and` (always true?) or of an `or` (never true?),
//!    is one solver question.
//! 4. **Overlaps** (`--overlaps`): for two reachable rules with different
//!    targets, a lead satisfying both that the earlier one takes (again
//!    counter-example guided), after a cheap per-field disjointness filter.
//! 5. **Declarations** (`declarations.rs`): empty and unused teams, unused
//!    lets and lookups, alias spellings that never apply, lookup values
//!    naming a rep who is in no team.
//!
//! # Exact and approximated
//!
//! Exact (decided both ways) for `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`,
//! `not in`, `exists`, bool fields, enums, `starts_with`, `ends_with` and
//! `contains` on strings, list `contains`, and lookup membership (the keys
//! are a finite set). `matches` is approximated: a generator proposes
//! strings for the regex, which are checked with the real regex; when none
//! fits, the question is undecided (`Unknown`), so a regex can cost a
//! witness but never yields a false claim. Every search also has a step
//! budget; a question that exhausts it is undecided, never answered.
//!
//! # The DAG size budget
//!
//! Reachability does not depend on the DAG's shape: step 2 decides every
//! rule the walk did not witness, whatever the budget. The budget changes
//! how much is found cheaply in step 1, and where gaps are searched: past
//! the budget, a gap below a `Rules` node is searched by the solver
//! (bounded per node), so a very small budget on a large program without
//! `otherwise` can leave the gap question undecided (reported in `W0113`).

mod conditions;
mod declarations;
mod derived;
mod domain;
mod instant;
pub mod oracle;
mod reach;
mod regex_gen;
mod solver;
pub mod staffing;
mod walk;

use std::cell::Cell;

use serde_json::{Map, Value as Json};

use crate::check::program::{Cond, Program, RuleId};
use crate::compile::Dag;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::eval::reference;
use crate::schema::{dates, ElementType, FieldType, Lead, Schema, Value};
use crate::source::SourceMap;

use domain::Env;
use solver::{Goal, Outcome, Solver, Theory};

/// Programs of up to this many rules have every witness checked against the
/// reference interpreter as well as the DAG (it costs one pass over the
/// earlier rules per witness).
pub const REFERENCE_CHECK_RULES: usize = 2_000;

/// What to analyse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Also report pairs of rules with different targets that match a
    /// common lead (`W0111` notes).
    pub overlaps: bool,
}

/// One lead per rule proved reachable.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    /// The rule.
    pub rule: RuleId,
    /// A valid lead that `route eval` routes to it.
    pub lead: Lead,
}

/// What the analysis found.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Warnings and notes, sorted by position.
    pub diagnostics: Diagnostics,
    /// One witness per reachable rule, in rule order.
    pub witnesses: Vec<Witness>,
    /// Rules proved unreachable (never-true conditions included), in order.
    pub unreachable: Vec<RuleId>,
    /// Rules neither witnessed nor proved unreachable.
    pub undecided: Vec<RuleId>,
    /// A valid lead no rule matches, when there is one.
    pub gap: Option<Lead>,
    /// Whether "no lead falls through" is proven (always true when `gap`
    /// is given).
    pub coverage_decided: bool,
}

/// Analyses a checked program and its DAG. See the module documentation.
///
/// A program with derived fields is analysed as its rewrite over input
/// fields (`derived.rs`), compiled to a DAG of its own; every example is
/// still verified on `program` and `dag`, derived values recomputed.
pub fn analyse(program: &Program, dag: &Dag, sources: &SourceMap, options: &Options) -> Analysis {
    if program.schema.derived.is_empty() {
        return analyse_as(Ctx::new(program, dag, sources), options);
    }
    let (rewritten, notes) = derived::rewrite(program);
    let rewritten_dag = crate::compile::compile(&rewritten, crate::compile::Budget::for_program(&rewritten));
    let ctx = Ctx { truth: (program, dag), ..Ctx::new(&rewritten, &rewritten_dag, sources) };
    let mut analysis = analyse_as(ctx, options);
    analysis.diagnostics.0.extend(notes);
    analysis.diagnostics.sort();
    analysis
}

fn analyse_as(ctx: Ctx<'_>, options: &Options) -> Analysis {
    let (program, dag) = (ctx.program, ctx.truth.1);
    let mut diagnostics = Diagnostics::default();

    let mut walked = walk::walk(&ctx);
    // INVARIANT: `coverage_decided` is false when the walk found a gap; a
    // gap example that fails to finish leaves coverage undecided.
    if let Some(lead) = walked.gap.take() {
        walked.gap = reach::finish_gap(&ctx, lead);
    }
    // A top-level `otherwise` takes every lead that gets to it: nothing
    // falls through, whatever the walk could settle.
    walked.coverage_decided |= program.rules.iter().any(|r| matches!(r.condition, Cond::True));
    let decided = reach::decide(&ctx, walked.witnesses);
    diagnostics.0.extend(conditions::check(&ctx, &decided));
    diagnostics.0.extend(reach::report_unreachable(&ctx, &decided));
    if let Some(lead) = &walked.gap {
        diagnostics.push(reach::report_gap(&ctx, lead));
    }
    diagnostics.0.extend(reach::report_incomplete(&ctx, &decided, walked.gap.is_none() && !walked.coverage_decided));
    if options.overlaps {
        diagnostics.0.extend(reach::overlaps(&ctx, &decided));
    }
    diagnostics.0.extend(declarations::check(program));
    diagnostics.0.extend(budget_note(program, dag));
    diagnostics.sort();

    let witnesses: Vec<Witness> = decided
        .witnesses
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let rule = RuleId(u32::try_from(i).ok()?);
            w.as_ref().map(|lead| Witness { rule, lead: ctx.derived(lead, Some(rule)) })
        })
        .collect();
    Analysis {
        diagnostics,
        witnesses,
        unreachable: decided.unreachable.iter().map(|u| u.rule).collect(),
        undecided: decided.undecided.clone(),
        coverage_decided: walked.gap.is_some() || walked.coverage_decided,
        gap: walked.gap.map(|lead| ctx.derived(&lead, None)),
    }
}

/// `W0114`: the compiler's budget stopped the DAG somewhere, so some leads
/// are routed by trying rules in order. Says which budget, its limit, and
/// what it costs.
fn budget_note(program: &Program, dag: &Dag) -> Option<Diagnostic> {
    let stats = dag.stats();
    if !stats.budget_hit {
        return None;
    }
    let span = program.rules.first()?.span;
    let which = if stats.work_budget_hit {
        format!("the work budget of {} candidate entries and atom decisions", stats.max_work)
    } else {
        format!("the size budget of {} nodes", stats.max_nodes)
    };
    Some(
        diagnostic(Code::CompileBudget, span, format!("the decision DAG reached {which}"))
            .label("some leads are matched by trying the rules in order")
            .note(format!(
                "{} node(s) fall back to ordered rule lists ({} candidates in all); routing stays exact, only slower",
                stats.rules_nodes, stats.rules_candidates
            ))
            .help("`route graph --stats` shows the DAG; fewer overlapping numeric cuts or long `in` lists keep it within budget"),
    )
}

/// A lead as the JSON object `route eval --lead` reads: keys are the input
/// columns ([`crate::schema::Field::column`]), enum values by name, lists
/// as arrays, absent fields omitted.
pub fn lead_to_json(schema: &Schema, lead: &Lead) -> Json {
    let mut object = Map::new();
    // Input fields only: a derived value is not part of the lead's input.
    for (field, value) in schema.input_fields().iter().zip(&lead.values) {
        if matches!(value, Value::Absent) {
            continue;
        }
        let element = match field.ty {
            FieldType::List(element) => Some(element),
            _ => None,
        };
        object.insert(field.column.clone(), value_json(schema, field.ty, element, value));
    }
    Json::Object(object)
}

fn value_json(schema: &Schema, ty: FieldType, element: Option<ElementType>, value: &Value) -> Json {
    match value {
        Value::Absent => Json::Null,
        Value::Str(s) => Json::String(s.to_string()),
        // Dates and datetimes as ISO 8601, the way input writes them.
        Value::Int(i) => dates::int_json(ty.time_kind(), *i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Bool(b) => Json::Bool(*b),
        Value::Enum(i) => {
            let id = match (ty, element) {
                (FieldType::Enum(id), _) | (_, Some(ElementType::Enum(id))) => Some(id),
                _ => None,
            };
            match id.and_then(|id| schema.enums.get(id.0 as usize)) {
                Some(e) => Json::String(e.name(*i).to_string()),
                None => Json::from(*i),
            }
        }
        Value::List(items) => {
            let element_ty = element.map_or(ty, ElementType::as_field_type);
            Json::Array(items.iter().map(|item| value_json(schema, element_ty, element, item)).collect())
        }
    }
}

/// Everything the parts of the analysis share.
pub(crate) struct Ctx<'a> {
    /// The program analysed: tests on derived fields rewritten where exact.
    pub(crate) program: &'a Program,
    pub(crate) dag: &'a Dag,
    /// The program as checked and its DAG, which examples must satisfy
    /// (the same as `program` and `dag` without derived fields).
    pub(crate) truth: (&'a Program, &'a Dag),
    pub(crate) sources: &'a SourceMap,
    pub(crate) env: Env<'a>,
    /// The value of a field no fact constrains: absent when optional, else
    /// a plain value of its type.
    pub(crate) defaults: Vec<Value>,
    /// A theory with no facts, kept between questions (its caches too).
    theory: Cell<Option<Theory<'a>>>,
}

/// Solver steps one question may take.
pub(crate) const QUESTION_STEPS: usize = 20_000;

impl<'a> Ctx<'a> {
    fn new(program: &'a Program, dag: &'a Dag, sources: &'a SourceMap) -> Ctx<'a> {
        let env = Env { schema: &program.schema, lookups: &program.lookups };
        let defaults = plain_values(&env);
        Ctx { program, dag, truth: (program, dag), sources, env, defaults, theory: Cell::new(None) }
    }

    /// The same context with its own solver state, for another thread.
    pub(crate) fn fork(&self) -> Ctx<'a> {
        Ctx {
            program: self.program,
            dag: self.dag,
            truth: self.truth,
            sources: self.sources,
            env: self.env,
            defaults: self.defaults.clone(),
            theory: Cell::new(None),
        }
    }

    /// Whether `goals` can hold together for one valid lead.
    pub(crate) fn solve(&self, goals: &[Goal<'a>]) -> Outcome {
        let mut theory = self.theory.take().unwrap_or_else(|| Theory::new(self.env));
        let outcome = Solver::new(&mut theory, &self.defaults, QUESTION_STEPS).solve(goals);
        self.theory.set(Some(theory));
        outcome
    }

    /// Whether `route eval` sends `lead` to `expected` (`None`: no rule),
    /// by the DAG, and by the reference interpreter for small programs (for
    /// large ones: the expected rule's condition holds).
    pub(crate) fn routes_to(&self, lead: &Lead, expected: Option<RuleId>) -> bool {
        let (program, dag) = self.truth;
        if program.schema.derived.is_empty() {
            return routes(program, dag, lead, expected);
        }
        // The input fields are the example; what is derived from them is
        // recomputed, whatever the solver chose for it, at an instant that
        // routes it as expected when the rules test the instant.
        let derived = self.derived(lead, expected);
        routes(program, dag, &derived, expected)
    }

    /// The lead with its derived fields computed from its input fields by
    /// the program as checked: when the rules test the routing instant, at
    /// the first candidate instant that routes it to `expected` (or, if
    /// none does, the one that best reproduces the solver's answers).
    pub(crate) fn derived(&self, lead: &Lead, expected: Option<RuleId>) -> Lead {
        let (program, dag) = self.truth;
        let at = |now: jiff::Timestamp| {
            let mut derived = lead.clone();
            program.derive(&mut derived, now);
            derived
        };
        if !instant::uses_now(program) {
            return at(jiff::Timestamp::UNIX_EPOCH);
        }
        let candidates = instant::candidates(program, lead);
        candidates
            .iter()
            .map(|&now| at(now))
            .find(|derived| routes(program, dag, derived, expected))
            .unwrap_or_else(|| at(candidates.first().copied().unwrap_or(jiff::Timestamp::UNIX_EPOCH)))
    }

    /// Whether the lead's input fields read back from its JSON unchanged.
    pub(crate) fn round_trips(&self, lead: &Lead) -> bool {
        let schema = &self.program.schema;
        let json = lead_to_json(schema, lead).to_string();
        let inputs = schema.input_count();
        crate::io::single_lead(schema, &json)
            .lead
            .as_ref()
            .is_ok_and(|read| read.values.get(..inputs) == lead.values.get(..inputs))
    }

    /// The rule's display name in backticks.
    pub(crate) fn rule_name(&self, rule: RuleId) -> String {
        self.program.rules.get(rule.index()).map_or_else(|| format!("#{}", rule.0), |r| format!("`{}`", r.name))
    }

    /// The example field of a diagnostic.
    pub(crate) fn example(&self, lead: &Lead) -> Json {
        lead_to_json(&self.program.schema, lead)
    }
}

/// Whether the DAG and (for small programs) the reference interpreter send
/// `lead` to `expected` (for large ones: the expected rule's condition
/// holds).
fn routes(program: &Program, dag: &Dag, lead: &Lead, expected: Option<RuleId>) -> bool {
    let lookups = &program.lookups;
    if dag.route(lead, lookups) != expected {
        return false;
    }
    if program.rules.len() <= REFERENCE_CHECK_RULES || expected.is_none() {
        return reference::first_match(program, lead) == expected;
    }
    expected.is_some_and(|r| program.rules.get(r.index()).is_some_and(|rule| rule.condition.holds(lead, lookups)))
}

/// The value of each field no fact constrains: absent when optional, else
/// a plain value of its type (a string the readers accept).
pub(crate) fn plain_values(env: &Env<'_>) -> Vec<Value> {
    env.schema
        .fields
        .iter()
        .map(|field| {
            if field.optional {
                return Value::Absent;
            }
            match field.ty {
                FieldType::Enum(_) => Value::Enum(0),
                FieldType::Bool => Value::Bool(false),
                FieldType::Int => Value::Int(0),
                FieldType::Date | FieldType::DateTime => Value::Int(field.ty.time_kind().map_or(0, |k| k.anchor())),
                FieldType::Float => Value::Float(0.0),
                FieldType::String => {
                    let text = format!("{}-x", field.name);
                    if env.valid_text(&text) {
                        Value::Str(text.into())
                    } else {
                        Value::Str("x".into())
                    }
                }
                FieldType::List(_) => Value::List(Box::default()),
            }
        })
        .collect()
}

/// A diagnostic builder shortcut used by the parts.
pub(crate) fn diagnostic(code: crate::diagnostics::Code, span: crate::source::Span, message: String) -> Diagnostic {
    Diagnostic::new(code, span, message)
}
