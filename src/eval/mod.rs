//! Stage 4: route one lead through the compiled DAG, then distribute.
//!
//! Matching is pure (lead to rule); distribution is stateful (cursors, load
//! counts) and lives in an explicit state value so runs are reproducible.

pub mod decision;

pub use decision::{Decision, LeadError, Reason, TargetKind};
