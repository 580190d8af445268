//! `route test`: leads with expected outcomes, run against a project.
//!
//! # Accepts
//! A checked [`Program`] and test inputs of two kinds: `.test.route` files
//! (their own small grammar, `grammar/tests.pest`, lowered in [`parse`])
//! and case tables (CSV/JSONL read by the same readers as `route eval`,
//! plus `expect_*` columns, in [`cases`]).
//!
//! # Guarantees
//! - Every lead is checked against the project's schema and every
//!   expectation against its rules, teams and queues, with the same codes
//!   and did-you-mean as `route check` ([`resolve`]); a test with an error
//!   is reported, never run.
//! - Each [`Group`] (a test block, or a whole case table) routes its leads
//!   in order through one [`Router`](crate::eval::Router), the one `route
//!   eval` uses, so rotations and caps carry from lead to lead.
//! - A failure says what was expected, what happened, which rule matched,
//!   and for an expected rule its first predicate that failed with the
//!   lead's value ([`run`]).
//! - Coverage counts reachable rules only; each one no test reached comes
//!   with the analysis's witness lead, printed as a test to paste
//!   ([`coverage`]).
//!
//! # Leaves to the caller
//! Discovering files, printing ([`report`]) and exit codes (`cli/test.rs`).

pub mod ast;
pub mod cases;
pub mod coverage;
mod parse;
pub mod report;
pub mod resolve;
pub mod run;

use rustc_hash::FxHashSet;

use crate::check::program::Target;
use crate::check::Program;
use crate::eval::{Decision, LeadError, Reason, Roster};
use crate::schema::Lead;
use crate::source::Span;

use std::path::Path;

use crate::diagnostics::Diagnostics;
use crate::source::SourceMap;

pub use coverage::Coverage;
pub use parse::parse;
pub use run::{Failure, TestOutcome};

/// Reads, parses and checks one test file: its text joins `sources` (so
/// diagnostics render beside the project's), its problems `diagnostics`,
/// and each test without errors comes back as a group.
///
/// # Errors
/// When the file cannot be read.
pub fn load(
    project: &resolve::Project<'_>,
    sources: &mut SourceMap,
    path: &Path,
    diagnostics: &mut Diagnostics,
) -> std::io::Result<Vec<Group>> {
    let text = std::fs::read_to_string(path)?;
    let file = sources.add(path.display().to_string(), path, text.clone());
    match parse(file, &text) {
        Ok(parsed) => Ok(resolve::test_file(project, sources, path, &parsed, diagnostics)),
        Err(error) => {
            diagnostics.push(*error);
            Ok(Vec::new())
        }
    }
}

/// Leads routed through one distribution state, tests in order.
#[derive(Debug)]
pub struct Group {
    /// Availability, capacity and hours of reps (empty: everyone available).
    pub roster: Roster,
    /// The instant eligibility is judged at.
    pub now: jiff::Timestamp,
    /// The tests, in file order.
    pub tests: Vec<Test>,
}

/// One test: a named sequence of leads with expectations.
#[derive(Debug)]
pub struct Test {
    /// The name shown in reports.
    pub name: String,
    /// `file:line` of the test.
    pub location: String,
    /// The leads in order.
    pub cases: Vec<Case>,
}

/// One lead and what must be true of its decision.
#[derive(Debug)]
pub struct Case {
    /// The lead's id (its `id` field, else its position).
    pub id: String,
    /// The lead, or why it is invalid (routed as `route eval` routes it).
    pub lead: Result<Lead, LeadError>,
    /// What must hold.
    pub expects: Vec<Expectation>,
}

/// One expectation, possibly negated.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// `expect not ...`.
    pub negated: bool,
    /// What is expected.
    pub expected: Expected,
}

/// The outcome an expectation names.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// The matching rule.
    Rule(String),
    /// The team that took the lead.
    Team(String),
    /// The queue that took the lead.
    Queue(String),
    /// The rep assigned.
    Assignee(String),
    /// The decision's reason.
    Reason(Reason),
    /// The lead is invalid, at this field when one is named.
    Invalid(Option<String>),
    /// The rep chosen as second owner (`with`).
    Secondary(String),
}

impl Expectation {
    /// Whether the decision meets the expectation.
    pub fn holds(&self, decision: &Decision) -> bool {
        let is = |actual: &Option<crate::eval::Name>, wanted: &str| actual.as_deref() == Some(wanted);
        let met = match &self.expected {
            Expected::Rule(name) => is(&decision.rule, name),
            Expected::Team(name) => is(&decision.team, name),
            Expected::Queue(name) => is(&decision.queue, name),
            Expected::Assignee(id) => is(&decision.assignee, id),
            Expected::Secondary(id) => decision.secondary.as_ref().is_some_and(|s| is(&s.assignee, id)),
            Expected::Reason(reason) => decision.reason == *reason,
            Expected::Invalid(field) => {
                decision.reason == Reason::Invalid
                    && field.as_ref().is_none_or(|f| decision.error.as_ref().and_then(|e| e.field.as_ref()) == Some(f))
            }
        };
        met != self.negated
    }

    /// The expectation as written in a test file (`not team smb_pool`).
    pub fn describe(&self) -> String {
        let not = if self.negated { "not " } else { "" };
        let text = match &self.expected {
            Expected::Rule(name) => format!("rule `{name}`"),
            Expected::Team(name) => format!("team `{name}`"),
            Expected::Queue(name) => format!("queue `{name}`"),
            Expected::Assignee(id) => format!("assignee `{id}`"),
            Expected::Secondary(id) => format!("secondary `{id}`"),
            Expected::Reason(reason) => format!("reason `{}`", reason.as_str()),
            Expected::Invalid(Some(field)) => format!("invalid `{field}`"),
            Expected::Invalid(None) => "invalid".to_string(),
        };
        format!("{not}{text}")
    }

    /// What the decision shows for the aspect this expectation looks at.
    pub fn actual(&self, decision: &Decision) -> String {
        let named = |kind: &str, value: &Option<crate::eval::Name>| match value {
            Some(v) => format!("{kind} `{v}`"),
            None => format!("no {kind}"),
        };
        match &self.expected {
            Expected::Rule(_) => named("rule", &decision.rule),
            Expected::Team(_) | Expected::Queue(_) => match (&decision.team, &decision.queue) {
                (Some(team), _) => format!("team `{team}`"),
                (None, Some(queue)) => format!("queue `{queue}`"),
                (None, None) => "no team or queue".to_string(),
            },
            Expected::Assignee(_) => named("assignee", &decision.assignee),
            Expected::Secondary(_) => match &decision.secondary {
                Some(second) => named("secondary", &second.assignee),
                None => "no second owner (the rule has no `with`)".to_string(),
            },
            Expected::Reason(_) => format!("reason `{}`", decision.reason.as_str()),
            Expected::Invalid(_) => match &decision.error {
                Some(error) => match &error.field {
                    Some(field) => format!("invalid `{field}`: {}", error.message),
                    None => format!("invalid: {}", error.message),
                },
                None => format!("a valid lead (reason `{}`)", decision.reason.as_str()),
            },
        }
    }

    /// Whether this expectation allows the lead to be invalid.
    pub fn allows_invalid(&self) -> bool {
        !self.negated && matches!(self.expected, Expected::Invalid(_) | Expected::Reason(Reason::Invalid))
    }
}

/// The names expectations may use: the project's rules, teams and queues.
#[derive(Debug)]
pub struct Names {
    rules: Vec<String>,
    teams: Vec<String>,
    queues: Vec<String>,
}

impl Names {
    /// The names of `program`.
    pub fn of(program: &Program) -> Names {
        let mut queues = Vec::new();
        let mut seen = FxHashSet::default();
        let actions = program.actions();
        for action in actions {
            for target in action.targets() {
                if let Target::Queue(name) = target {
                    if seen.insert(name.as_str()) {
                        queues.push(name.clone());
                    }
                }
            }
        }
        Names {
            rules: program.rules.iter().map(|r| r.name.clone()).collect(),
            teams: program.teams.iter().map(|t| t.name.clone()).collect(),
            queues,
        }
    }

    /// Checks a name an expectation uses; the error names the code, the
    /// message and a did-you-mean.
    pub fn check(&self, expected: &Expected, span: Span) -> Result<(), Box<crate::diagnostics::Diagnostic>> {
        use crate::diagnostics::{did_you_mean, Code, Diagnostic};
        let (code, kind, name, known) = match expected {
            Expected::Rule(name) => (Code::UnknownRule, "rule", name, &self.rules),
            Expected::Team(name) => (Code::UnknownTeam, "team", name, &self.teams),
            Expected::Queue(name) => (Code::UnknownQueue, "queue", name, &self.queues),
            _ => return Ok(()),
        };
        if known.iter().any(|k| k == name) {
            return Ok(());
        }
        let help = did_you_mean(name, known.iter().map(String::as_str))
            .unwrap_or_else(|| format!("the project's {kind}s: {}", list(known)));
        Err(Box::new(
            Diagnostic::new(code, span, format!("no {kind} is named `{name}`"))
                .label(format!("unknown {kind}"))
                .note("an expectation naming no rule, team or queue of the project can never pass")
                .help(help),
        ))
    }
}

/// Up to eight names in backticks, then how many more.
fn list(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    match names.len().saturating_sub(8) {
        0 if shown.is_empty() => "none".to_string(),
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}
