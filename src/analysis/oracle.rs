//! The analysis's solver offered to other tools (`route diff`): whether
//! some conditions can hold, and others fail, for one valid lead of a
//! schema, with the same guarantees as inside the analysis (a `Sat` lead is
//! checked against every goal; `Unsat` is a proof; everything else is
//! `Unknown`), and the cheap enum/bool disjointness filter.

use std::cell::Cell;

use super::domain::Env;
use super::reach::{self, disjoint, signature};
use super::solver::{Goal, Outcome, Solver, Theory};
use super::{plain_values, QUESTION_STEPS};
use crate::check::program::{Cond, Lookup};
use crate::schema::{Lead, Schema, Value};

/// The answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// This valid lead meets every goal (checked by evaluating them).
    Sat(Lead),
    /// No valid lead does (proven).
    Unsat,
    /// Not decided: a `matches` pattern the solver only approximates, or
    /// the step budget ran out.
    Unknown,
}

/// The enum and bool values a condition's top-level conjunction allows.
pub struct Signature(reach::Signature);

impl Signature {
    /// Whether two conditions allow no common value of some enum or bool
    /// field (then no lead satisfies both). A cheap filter: `false` proves
    /// nothing.
    pub fn disjoint(&self, other: &Signature) -> bool {
        disjoint(&self.0, &other.0)
    }
}

/// A satisfiability oracle over the valid leads of one schema and its
/// lookups. Conditions asked about must refer to this schema's fields and
/// these lookups.
pub struct Oracle<'a> {
    env: Env<'a>,
    defaults: Vec<Value>,
    /// Kept between questions for its caches.
    theory: Cell<Option<Theory<'a>>>,
}

impl<'a> Oracle<'a> {
    /// An oracle for `schema` with `lookups`.
    pub fn new(schema: &'a Schema, lookups: &'a [Lookup]) -> Oracle<'a> {
        let env = Env { schema, lookups };
        Oracle { env, defaults: plain_values(&env), theory: Cell::new(None) }
    }

    /// Whether one valid lead satisfies every condition of `holds` and none
    /// of `fails`. Fields no condition constrains take a plain value
    /// (absent when optional).
    pub fn solve(&self, holds: &[&'a Cond], fails: &[&'a Cond]) -> Answer {
        let goals: Vec<Goal<'a>> =
            holds.iter().map(|c| Goal::holds(c)).chain(fails.iter().map(|c| Goal::fails(c))).collect();
        let mut theory = self.theory.take().unwrap_or_else(|| Theory::new(self.env));
        let outcome = Solver::new(&mut theory, &self.defaults, QUESTION_STEPS).solve(&goals);
        self.theory.set(Some(theory));
        match outcome {
            Outcome::Sat(lead) => Answer::Sat(lead),
            Outcome::Unsat => Answer::Unsat,
            Outcome::Unknown => Answer::Unknown,
        }
    }

    /// What the top-level conjunction of a condition allows of each enum
    /// and bool field, for [`Signature::disjoint`].
    pub fn signature(&self, cond: &Cond) -> Signature {
        Signature(signature(&self.env, cond))
    }
}
