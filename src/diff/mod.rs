//! `route diff`: what a change to a routing project does (TOOLS.md §4,
//! `docs/diff.md`).
//!
//! # Accepts, guarantees
//!
//! Two checked programs, OLD and NEW. [`compare`] returns:
//!
//! - **schema changes** (`schema_changes.rs`), each with its effect on
//!   existing leads;
//! - **rule changes** (`identity.rs`): rules matched by label, then by
//!   content, never by line, so a comment or a blank line is no change;
//! - **the proof** (`prove.rs`): over the leads valid under both versions
//!   (`joint.rs`), every region where the destination (target and
//!   fallback chain, or "no rule") differs, as (old rule → new rule, old
//!   target → new target) with an example lead that was read and routed
//!   under both versions (DAG and reference interpreter). The verdict is
//!   [`Verdict::Equivalent`] only when every pair of rules with different
//!   destinations was proved never to share a lead; a pair the solver
//!   could not decide makes it [`Verdict::NotProven`] (when no region was
//!   found), never "equivalent".
//!
//! `replay.rs` measures the change on a lead file; `render.rs` prints the
//! report; `git.rs` reads a version from a git revision.

pub mod git;
mod identity;
mod joint;
mod prove;
pub mod render;
pub mod replay;
mod schema_changes;

use serde::Serialize;

pub use identity::{content, RuleChange, RuleChangeKind, RuleRef};
pub use prove::{Open, Region};
pub use replay::Measured;
pub use schema_changes::{SchemaChange, SchemaChangeKind};

use crate::check::Program;
use crate::compile::{compile, Budget};
use prove::Side;

/// Solver questions the proof may ask by default.
pub const DEFAULT_BUDGET: usize = 20_000;

/// What to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Solver questions the proof may ask in all.
    pub budget: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { budget: DEFAULT_BUDGET }
    }
}

/// The outcome of the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Proven: every lead valid under both versions keeps its destination.
    Equivalent,
    /// Some leads change destination (each region has a verified example).
    Changed,
    /// No change found, but not every pair was decided.
    NotProven,
}

/// What a change does.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The old version as given.
    pub old: String,
    /// The new version as given.
    pub new: String,
    /// The proof's verdict over the leads valid under both versions.
    pub verdict: Verdict,
    /// Schema changes, first.
    pub schema: Vec<SchemaChange>,
    /// Rules renamed, changed, moved, added or removed.
    pub rules: Vec<RuleChange>,
    /// Regions of lead space that change destination.
    pub regions: Vec<Region>,
    /// Pairs the proof could not decide.
    pub not_proven: Vec<Open>,
    /// How much the proof had to search.
    pub pairs: Pairs,
    /// The `on_invalid` action, when it changed: (old, new).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_invalid: Option<(String, String)>,
    /// With `--leads`: the change measured on real leads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
}

/// How much the proof had to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pairs {
    /// Pairs (old rule, new rule) whose destinations differ and that no
    /// rule with the same condition in the other version rules out.
    pub candidates: usize,
    /// Of those, pairs the solver was asked about (the others were ruled
    /// out by an enum/bool filter, or left when the budget ran out).
    pub searched: usize,
    /// Pairs left unsearched when the budget ran out.
    pub unsearched: usize,
    /// Undecided pairs not listed in `not_proven` (it lists 200 at most).
    pub unlisted: usize,
}

impl Report {
    /// Whether anything changes: schema, destinations, `on_invalid`, an
    /// undecided pair (a refactor must be proven), or measured leads.
    /// Renamed, moved or reworded rules alone are no change.
    pub fn changes_anything(&self) -> bool {
        self.verdict != Verdict::Equivalent
            || !self.schema.is_empty()
            || self.on_invalid.is_some()
            || self.measured.as_ref().is_some_and(Measured::changes_anything)
    }
}

/// Compares two checked programs (see the module documentation).
pub fn compare(old: &Program, new: &Program, options: &Options) -> Report {
    let (old_dag, new_dag) = (compile(old, Budget::for_program(old)), compile(new, Budget::for_program(new)));
    let joint = joint::Joint::new(old, new);
    let proof = prove::prove(
        &Side { program: old, dag: &old_dag },
        &Side { program: new, dag: &new_dag },
        &joint,
        options.budget,
    );
    let matching = identity::match_rules(old, new);
    let verdict = if !proof.regions.is_empty() {
        Verdict::Changed
    } else if proof.open.is_empty() {
        Verdict::Equivalent
    } else {
        Verdict::NotProven
    };
    let invalid = |p: &Program| p.on_invalid.as_ref().map(|a| identity::render_action(p, a, true));
    let on_invalid = match (invalid(old), invalid(new)) {
        (a, b) if a == b => None,
        (a, b) => {
            // Without `on invalid`, invalid leads are output with no target.
            Some((a.unwrap_or_else(|| "nowhere".into()), b.unwrap_or_else(|| "nowhere".into())))
        }
    };
    Report {
        old: String::new(),
        new: String::new(),
        verdict,
        schema: schema_changes::changes(old, new),
        rules: identity::changes(old, new, &matching),
        regions: proof.regions,
        not_proven: proof.open,
        pairs: Pairs {
            candidates: proof.pairs,
            searched: proof.asked,
            unsearched: proof.unsearched,
            unlisted: proof.unlisted,
        },
        on_invalid,
        measured: None,
    }
}
