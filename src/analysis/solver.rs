//! Satisfiability of conditions over valid leads: a small DPLL-style
//! search over the condition's structure with the per-field theory of
//! [`super::domain`].
//!
//! Facts are kept per field in a [`Theory`] (a stack, so that a DAG walk and
//! the search can push and pop them). [`Solver::solve`] asks whether a list
//! of goals (conditions that must hold, or must not) can all hold together
//! with the facts already pushed:
//!
//! - conjunctive goals are split and their literals pushed; a field whose
//!   facts become unsatisfiable fails the branch;
//! - each disjunctive goal is evaluated in three values under the current
//!   facts ([`Theory::implied`]): satisfied goals are dropped, a goal with
//!   no open alternative fails the branch, a goal with one is propagated;
//! - otherwise the search branches on the goal with the fewest open
//!   alternatives, trying each with the earlier ones negated.
//!
//! `Sat` carries a lead built from the fields' values (free fields get the
//! defaults) and is checked by evaluating every goal on it. `Unsat` is
//! claimed only when every branch failed on a proven field contradiction;
//! an undecided field or an exhausted step budget makes the answer
//! `Unknown`.

use rustc_hash::FxHashMap;

use crate::check::program::{Cond, Lookup};
use crate::compile::{CondId, CondView, Dag};
use crate::schema::{FieldId, Lead, Value};

use super::domain::{solve_field, Env, Lit, Verdict};

/// Facts per field, with their verdicts, as a stack.
#[derive(Debug, Clone)]
pub(crate) struct Theory<'a> {
    pub(crate) env: Env<'a>,
    lits: Vec<Vec<Lit<'a>>>,
    verdicts: Vec<Vec<Verdict>>,
    trail: Vec<FieldId>,
    /// Per field, a stamp that changes whenever its facts do.
    stamps: Vec<u64>,
    next_stamp: u64,
    /// [`Theory::implied`] by field stamp and test fact.
    implied: FxHashMap<(u64, usize, bool), Option<bool>>,
}

/// Entries of the implied-facts cache before it is cleared.
const IMPLIED_CACHE: usize = 1 << 16;

impl<'a> Theory<'a> {
    /// No facts.
    pub(crate) fn new(env: Env<'a>) -> Theory<'a> {
        let n = env.schema.fields.len();
        Theory {
            env,
            lits: vec![Vec::new(); n],
            verdicts: vec![Vec::new(); n],
            trail: Vec::new(),
            stamps: (0..n as u64).collect(),
            next_stamp: n as u64,
            implied: FxHashMap::default(),
        }
    }

    /// How many facts are pushed.
    pub(crate) fn depth(&self) -> usize {
        self.trail.len()
    }

    /// Pushes a fact; returns the verdict for its field.
    pub(crate) fn push(&mut self, lit: Lit<'a>) -> Verdict {
        let field = lit.field();
        let verdict = self.with(lit);
        if let (Some(lits), Some(verdicts)) = (self.lits.get_mut(field.index()), self.verdicts.get_mut(field.index())) {
            lits.push(lit);
            verdicts.push(verdict.clone());
            self.trail.push(field);
            self.restamp(field);
        }
        verdict
    }

    fn restamp(&mut self, field: FieldId) {
        if let Some(stamp) = self.stamps.get_mut(field.index()) {
            *stamp = self.next_stamp;
            self.next_stamp += 1;
        }
    }

    /// The verdict the field would have with one more fact.
    fn with(&mut self, lit: Lit<'a>) -> Verdict {
        let field = lit.field();
        let index = field.index();
        // A value that satisfied the earlier facts and satisfies this one
        // still answers.
        if let Some(Verdict::Sat(v)) = self.verdicts.get(index).and_then(|v| v.last()) {
            if lit.holds(v, self.env.lookups) {
                return Verdict::Sat(v.clone());
            }
        }
        let Some(lits) = self.lits.get_mut(index) else {
            return Verdict::Unknown;
        };
        lits.push(lit);
        let verdict = solve_field(&self.env, field, lits);
        lits.pop();
        verdict
    }

    /// Pops facts down to `depth`.
    pub(crate) fn undo(&mut self, depth: usize) {
        while self.trail.len() > depth {
            let Some(field) = self.trail.pop() else { break };
            if let Some(lits) = self.lits.get_mut(field.index()) {
                lits.pop();
            }
            if let Some(verdicts) = self.verdicts.get_mut(field.index()) {
                verdicts.pop();
            }
            self.restamp(field);
        }
    }

    /// The facts about a field.
    pub(crate) fn lits(&self, field: FieldId) -> &[Lit<'a>] {
        self.lits.get(field.index()).map_or(&[], Vec::as_slice)
    }

    /// Whether the facts decide a test fact: `Some(false)` when adding it
    /// is contradictory, `Some(true)` when adding its negation is.
    pub(crate) fn implied(&mut self, lit: Lit<'a>) -> Option<bool> {
        let Lit::Test(test, outcome) = lit else {
            return self.decide(lit);
        };
        let stamp = self.stamps.get(test.field.index()).copied().unwrap_or(u64::MAX);
        let key = (stamp, std::ptr::from_ref(test) as usize, outcome);
        if let Some(&known) = self.implied.get(&key) {
            return known;
        }
        let known = self.decide(lit);
        if self.implied.len() >= IMPLIED_CACHE {
            self.implied.clear();
        }
        self.implied.insert(key, known);
        known
    }

    fn decide(&mut self, lit: Lit<'a>) -> Option<bool> {
        if self.with(lit) == Verdict::Unsat {
            return Some(false);
        }
        let negated = lit.negated()?;
        if self.with(negated) == Verdict::Unsat {
            return Some(true);
        }
        None
    }

    /// A lead meeting every fact, free fields from `defaults`; `None` when
    /// a field is undecided.
    pub(crate) fn model(&self, defaults: &[Value]) -> Option<Lead> {
        let mut values = Vec::with_capacity(self.lits.len());
        for (i, verdicts) in self.verdicts.iter().enumerate() {
            let value = match verdicts.last() {
                None => defaults.get(i).cloned().unwrap_or(Value::Absent),
                Some(Verdict::Sat(v)) => v.clone(),
                Some(_) => return None,
            };
            values.push(value);
        }
        Some(Lead { values })
    }
}

/// A condition: of the program, or stored in the DAG.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Formula<'a> {
    /// A program condition.
    Cond(&'a Cond),
    /// A residual condition of a DAG rules node.
    Dag(&'a Dag, CondId),
}

/// A condition that must hold (`positive`) or must not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Goal<'a> {
    /// The condition.
    pub(crate) formula: Formula<'a>,
    /// Whether it must hold.
    pub(crate) positive: bool,
}

impl<'a> Goal<'a> {
    /// `cond` must hold.
    pub(crate) fn holds(cond: &'a Cond) -> Goal<'a> {
        Goal { formula: Formula::Cond(cond), positive: true }
    }

    /// `cond` must not hold.
    pub(crate) fn fails(cond: &'a Cond) -> Goal<'a> {
        Goal { formula: Formula::Cond(cond), positive: false }
    }

    /// A DAG condition must hold or not.
    pub(crate) fn dag(dag: &'a Dag, cond: CondId, positive: bool) -> Goal<'a> {
        Goal { formula: Formula::Dag(dag, cond), positive }
    }

    fn negated(self) -> Goal<'a> {
        Goal { positive: !self.positive, ..self }
    }

    /// Whether the goal is met by a lead.
    pub(crate) fn met_by(&self, lead: &Lead, lookups: &[Lookup]) -> bool {
        let holds = match self.formula {
            Formula::Cond(c) => c.holds(lead, lookups),
            Formula::Dag(dag, c) => dag.holds(c, lead, lookups),
        };
        holds == self.positive
    }

    fn shape(self) -> Shape<'a> {
        let mut goal = self;
        loop {
            let Goal { formula, positive } = goal;
            match formula {
                Formula::Cond(cond) => match cond {
                    Cond::True => return if positive { Shape::True } else { Shape::False },
                    Cond::Test(test) => return Shape::Lit(Lit::Test(test, positive)),
                    Cond::Not(inner) => goal = Goal { formula: Formula::Cond(inner), positive: !positive },
                    Cond::All(parts) => return Shape::junction(Parts::Cond(parts), true, positive),
                    Cond::Any(parts) => return Shape::junction(Parts::Cond(parts), false, positive),
                },
                Formula::Dag(dag, id) => match dag.cond(id) {
                    CondView::True => return if positive { Shape::True } else { Shape::False },
                    CondView::False => return if positive { Shape::False } else { Shape::True },
                    CondView::Atom(atom) => match dag.atom(atom) {
                        Some(a) => return Shape::Lit(Lit::Test(&a.test, positive)),
                        None => return Shape::False,
                    },
                    CondView::Not(inner) => goal = Goal { formula: Formula::Dag(dag, inner), positive: !positive },
                    CondView::All(parts) => {
                        return Shape::junction(Parts::Dag(dag, dag.cond_parts(parts)), true, positive)
                    }
                    CondView::Any(parts) => {
                        return Shape::junction(Parts::Dag(dag, dag.cond_parts(parts)), false, positive)
                    }
                },
            }
        }
    }
}

/// The parts of a junction.
#[derive(Debug, Clone, Copy)]
enum Parts<'a> {
    Cond(&'a [Cond]),
    Dag(&'a Dag, &'a [CondId]),
}

impl<'a> Parts<'a> {
    fn goals(self, positive: bool) -> Vec<Goal<'a>> {
        match self {
            Parts::Cond(parts) => parts.iter().map(|c| Goal { formula: Formula::Cond(c), positive }).collect(),
            Parts::Dag(dag, parts) => parts.iter().map(|&c| Goal { formula: Formula::Dag(dag, c), positive }).collect(),
        }
    }
}

/// A goal seen from the top: a constant, a literal, all of some goals, or
/// one of them.
enum Shape<'a> {
    True,
    False,
    Lit(Lit<'a>),
    All(Parts<'a>, bool),
    Any(Parts<'a>, bool),
}

impl<'a> Shape<'a> {
    /// `All`/`Any` of `parts` required to be `positive`ly true: by De
    /// Morgan, a negated conjunction is a disjunction of negations.
    fn junction(parts: Parts<'a>, conjunction: bool, positive: bool) -> Shape<'a> {
        if conjunction == positive {
            Shape::All(parts, positive)
        } else {
            Shape::Any(parts, positive)
        }
    }
}

/// The answer to a satisfiability question.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// This lead meets every goal and fact (checked).
    Sat(Lead),
    /// No valid lead does (proven).
    Unsat,
    /// Not decided.
    Unknown,
}

/// One satisfiability search.
pub(crate) struct Solver<'t, 'a> {
    theory: &'t mut Theory<'a>,
    defaults: &'t [Value],
    steps: usize,
    budget: usize,
}

impl<'t, 'a> Solver<'t, 'a> {
    /// A search over the facts already in `theory`, with a step budget.
    pub(crate) fn new(theory: &'t mut Theory<'a>, defaults: &'t [Value], budget: usize) -> Solver<'t, 'a> {
        Solver { theory, defaults, steps: 0, budget }
    }

    /// Whether every goal can hold together with the facts. The theory is
    /// left as it was.
    pub(crate) fn solve(&mut self, goals: &[Goal<'a>]) -> Outcome {
        let lookups = self.theory.env.lookups;
        match self.search(goals.to_vec()) {
            Outcome::Sat(lead) => {
                if goals.iter().all(|g| g.met_by(&lead, lookups)) {
                    Outcome::Sat(lead)
                } else {
                    Outcome::Unknown
                }
            }
            other => other,
        }
    }

    fn search(&mut self, goals: Vec<Goal<'a>>) -> Outcome {
        self.steps += 1;
        if self.steps > self.budget {
            return Outcome::Unknown;
        }
        let mark = self.theory.depth();
        let result = self.search_at(goals);
        self.theory.undo(mark);
        result
    }

    fn search_at(&mut self, goals: Vec<Goal<'a>>) -> Outcome {
        let mut pending = goals;
        let mut choices: Vec<Goal<'a>> = Vec::new();
        loop {
            while let Some(goal) = pending.pop() {
                match goal.shape() {
                    Shape::True => {}
                    Shape::False => return Outcome::Unsat,
                    Shape::Lit(lit) => {
                        if self.theory.push(lit) == Verdict::Unsat {
                            return Outcome::Unsat;
                        }
                    }
                    Shape::All(parts, positive) => pending.extend(parts.goals(positive)),
                    Shape::Any(..) => choices.push(goal),
                }
            }
            // Propagate: drop met choices, fail on dead ones, take forced ones.
            let mut forced = false;
            let mut i = 0;
            while i < choices.len() {
                let Some(&goal) = choices.get(i) else { break };
                match self.open_alternatives(goal) {
                    None => {
                        choices.swap_remove(i);
                    }
                    Some(open) if open.is_empty() => return Outcome::Unsat,
                    Some(open) if open.len() == 1 => {
                        pending.extend(open);
                        choices.swap_remove(i);
                        forced = true;
                    }
                    Some(_) => i += 1,
                }
            }
            if !forced {
                break;
            }
        }
        if choices.is_empty() {
            return match self.theory.model(self.defaults) {
                Some(lead) => Outcome::Sat(lead),
                None => Outcome::Unknown,
            };
        }
        // Branch on the choice with the fewest open alternatives.
        let mut best: Option<(usize, Vec<Goal<'a>>)> = None;
        for (i, &goal) in choices.iter().enumerate() {
            if let Some(open) = self.open_alternatives(goal) {
                if best.as_ref().is_none_or(|(_, b)| open.len() < b.len()) {
                    best = Some((i, open));
                }
            }
        }
        let Some((index, open)) = best else {
            return Outcome::Unknown;
        };
        choices.swap_remove(index);
        let mut unknown = false;
        for (k, &alternative) in open.iter().enumerate() {
            let mut goals = choices.clone();
            goals.extend(open.iter().take(k).map(|g| g.negated()));
            goals.push(alternative);
            match self.search(goals) {
                Outcome::Sat(lead) => return Outcome::Sat(lead),
                Outcome::Unknown => unknown = true,
                Outcome::Unsat => {}
            }
        }
        if unknown {
            Outcome::Unknown
        } else {
            Outcome::Unsat
        }
    }

    /// The alternatives of a disjunctive goal not yet decided false; `None`
    /// when one is already true.
    fn open_alternatives(&mut self, goal: Goal<'a>) -> Option<Vec<Goal<'a>>> {
        let Shape::Any(parts, positive) = goal.shape() else {
            return Some(vec![goal]);
        };
        let mut open = Vec::new();
        for part in parts.goals(positive) {
            match self.value(part, 0) {
                Some(true) => return None,
                Some(false) => {}
                None => open.push(part),
            }
        }
        Some(open)
    }

    /// The goal's truth under the facts, when they decide it.
    fn value(&mut self, goal: Goal<'a>, depth: usize) -> Option<bool> {
        if depth > 64 {
            return None;
        }
        match goal.shape() {
            Shape::True => Some(true),
            Shape::False => Some(false),
            Shape::Lit(lit) => self.theory.implied(lit),
            Shape::All(parts, positive) => {
                let mut all = Some(true);
                for part in parts.goals(positive) {
                    match self.value(part, depth + 1) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => all = None,
                    }
                }
                all
            }
            Shape::Any(parts, positive) => {
                let mut any = Some(false);
                for part in parts.goals(positive) {
                    match self.value(part, depth + 1) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => any = None,
                    }
                }
                any
            }
        }
    }
}
