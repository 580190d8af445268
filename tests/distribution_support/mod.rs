//! Shared helpers of the `distribution_*` tests: a project from text, a
//! router over it, leads from JSON, and the binary.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::path::Path;

use route::check::Program;
use route::compile::{compile, Budget, Dag};
use route::eval::state::SavedState;
use route::eval::{Decision, Roster, Router};

/// A checked and compiled project.
pub struct Project {
    pub program: Program,
    pub dag: Dag,
}

/// Checks and compiles `source` (panics on errors, printing them).
pub fn project(source: &str) -> Project {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/distribution/inline.route");
    let checked = route::check::check_source("inline.route", &path, source.to_string());
    let rendered = route::diagnostics::human::render_to_string(&checked.sources, &checked.diagnostics);
    let program = checked.program.unwrap_or_else(|| panic!("the project does not check:\n{rendered}"));
    let dag = compile(&program, Budget::for_program(&program));
    Project { program, dag }
}

/// A roster from JSON (panics on problems).
pub fn roster(json: &str) -> Roster {
    Roster::from_json(json).unwrap_or_else(|problems| panic!("bad roster: {problems:?}"))
}

/// An instant from RFC 3339.
pub fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

/// A Wednesday at noon UTC, when nobody's hours in these tests matter.
pub fn noon() -> jiff::Timestamp {
    at("2026-11-25T12:00:00Z")
}

/// One run: routes each lead (JSON) in order, starting from `saved` when
/// given; the decisions and the state to save.
pub fn run(
    project: &Project,
    roster: &Roster,
    now: jiff::Timestamp,
    seed: u64,
    saved: Option<&SavedState>,
    leads: &[String],
) -> (Vec<Decision>, SavedState) {
    let mut router = Router::new(&project.program, &project.dag, roster, now, seed);
    if let Some(saved) = saved {
        router.restore(saved);
    }
    let decisions = leads
        .iter()
        .enumerate()
        .map(|(i, json)| {
            let record = route::io::single_lead(&project.program.schema, json);
            let id = record.id.clone().unwrap_or_else(|| (i + 1).to_string());
            match record.lead {
                Ok(lead) => router.route(id, &lead),
                Err(error) => router.route_invalid(id, error),
            }
        })
        .collect();
    (decisions, router.capture())
}

/// The assignee of each decision (`-` for none).
pub fn assignees(decisions: &[Decision]) -> Vec<String> {
    decisions.iter().map(|d| d.assignee.as_deref().unwrap_or("-").to_string()).collect()
}

/// Assignees as short names (the part before `@`), space-separated.
pub fn short(decisions: &[Decision]) -> String {
    assignees(decisions).iter().map(|a| a.split('@').next().unwrap_or(a).to_string()).collect::<Vec<_>>().join(" ")
}

/// `n` leads `{"id": "L1", ...extra}`.
pub fn leads(n: usize, extra: &str) -> Vec<String> {
    (1..=n).map(|i| format!("{{\"id\": \"L{i}\"{extra}}}")).collect()
}
