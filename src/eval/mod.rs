//! Stage 4: route one lead through the compiled DAG, then distribute.
//!
//! Matching is pure (lead to rule); distribution is stateful (cursors, load
//! counts) and lives in an explicit state value so runs are reproducible.

pub mod compiled;
pub mod decision;
pub mod derive;
pub mod hours;
pub mod reference;
pub mod roster;
pub mod router;
pub mod split;
pub mod state;
pub mod strategy;
pub mod summary;
pub mod zones;

pub use compiled::{Compiled, Footprint, Staffing};
pub use decision::{Decision, DistributionStep, LeadError, Name, Reason, ScoreValue, Skipped, TargetKind};
pub use roster::Roster;
pub use router::{Router, RunState};
