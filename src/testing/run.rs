//! Running tests: each group's leads through one [`Router`], every
//! expectation checked, and each failure explained.

use rustc_hash::FxHashSet;
use serde::Serialize;

use super::{Case, Expectation, Expected, Group};
use crate::check::program::RuleId;
use crate::check::Program;
use crate::compile::Dag;
use crate::eval::{reference, Decision, Router};
use crate::source::SourceMap;

/// The result of one test.
#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// `file:line`.
    pub location: String,
    /// How many leads it routed.
    pub leads: usize,
    /// Every expectation that did not hold (empty: passed).
    pub failures: Vec<Failure>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One expectation that did not hold, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The lead's id.
    pub lead: String,
    /// The expectation, as written.
    pub expected: String,
    /// What the decision shows instead.
    pub actual: String,
    /// The rule that matched, with its line (`emea_hot (line 80)`).
    pub matched: Option<String>,
    /// For an expected rule: why it did not take the lead. For an invalid
    /// lead: what is wrong with it.
    pub why: Option<String>,
}

/// Runs every group in order; the names of the rules any lead matched are
/// added to `reached` (for coverage).
pub fn run(
    program: &Program,
    dag: &Dag,
    sources: &SourceMap,
    groups: &[Group],
    reached: &mut FxHashSet<String>,
) -> Vec<TestOutcome> {
    let mut outcomes = Vec::new();
    for group in groups {
        // One router per group: its leads share rotations, weights and counts.
        let mut router = Router::new(program, dag, &group.roster, group.now, 0);
        for test in &group.tests {
            let mut failures = Vec::new();
            for case in &test.cases {
                let decision = route(&mut router, case);
                if let Some(rule) = &decision.rule {
                    reached.insert(rule.to_string());
                }
                let failed = case.expects.iter().filter(|e| !e.holds(&decision));
                failures.extend(failed.map(|e| failure(program, sources, case, e, &decision)));
            }
            outcomes.push(TestOutcome {
                name: test.name.clone(),
                location: test.location.clone(),
                leads: test.cases.len(),
                failures,
            });
        }
    }
    outcomes
}

fn route(router: &mut Router<'_>, case: &Case) -> Decision {
    match &case.lead {
        Ok(lead) => router.route(case.id.clone(), lead),
        Err(error) => router.route_invalid(case.id.clone(), error.clone()),
    }
}

fn failure(
    program: &Program,
    sources: &SourceMap,
    case: &Case,
    expectation: &Expectation,
    decision: &Decision,
) -> Failure {
    let matched = decision.rule.as_ref().map(|rule| match decision.line {
        Some(line) => format!("{rule} (line {line})"),
        None => rule.to_string(),
    });
    Failure {
        lead: case.id.clone(),
        expected: expectation.describe(),
        actual: expectation.actual(decision),
        matched,
        why: why(program, sources, case, expectation, decision),
    }
}

/// Why an expected rule did not take the lead: its first predicate that
/// failed, with the lead's value; or the earlier rule that took the lead
/// although the expected one matches too.
fn why(
    program: &Program,
    sources: &SourceMap,
    case: &Case,
    expectation: &Expectation,
    decision: &Decision,
) -> Option<String> {
    let lead = match &case.lead {
        Ok(lead) => lead,
        Err(error) => return Some(format!("the lead is invalid: {}", error.message)),
    };
    let Expected::Rule(name) = &expectation.expected else { return None };
    if expectation.negated {
        return None;
    }
    let index = program.rules.iter().position(|r| &r.name == name)?;
    let id = RuleId(u32::try_from(index).ok()?);
    Some(match reference::first_failure(program, id, lead, sources) {
        Some((predicate, value)) => {
            let value = if value.is_null() { "no value".to_string() } else { format!("`{value}`") };
            format!("`{name}` does not match: `{predicate}` is false (the lead has {value})")
        }
        None => match &decision.rule {
            Some(earlier) => format!("`{name}` matches too, but `{earlier}` comes first and took the lead"),
            None => format!("`{name}` matches, but the lead was not routed by rules"),
        },
    })
}
