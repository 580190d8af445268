//! The in-process store: one mutex over the rows and the idempotency
//! records. Nothing survives the process; `route eval` keeps its state in
//! a [`crate::eval::RunState`] saved to `--state FILE` instead.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{rows_of, Assignment, Decide, Outcome, Store, StoreError};
use crate::eval::state::SavedState;

/// State held in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: SavedState,
    /// Key to (arrival in ms, decision record).
    records: HashMap<String, (i64, String)>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave half an assignment:
        // rows are replaced only after the decision is made.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store for MemoryStore {
    fn assign(&self, assignment: &Assignment<'_>, decide: &mut Decide<'_>) -> Result<Outcome, StoreError> {
        let mut inner = self.lock();
        let cutoff = assignment.at_ms.saturating_sub(assignment.retention_ms);
        if let Some((_, body)) = assignment.key.and_then(|k| inner.records.get(k)).filter(|(at, _)| *at >= cutoff) {
            return Ok(Outcome::Replayed(body.clone()));
        }
        let decided = decide(&rows_of(&inner.state, assignment.footprint));
        let state = &mut inner.state;
        state.version = decided.state.version;
        if decided.state.rng.is_some() {
            state.rng = decided.state.rng;
        }
        state.teams.extend(decided.state.teams);
        state.reps.extend(decided.state.reps);
        if let Some(key) = assignment.key {
            inner.records.insert(key.to_string(), (assignment.at_ms, decided.body.clone()));
        }
        Ok(Outcome::New(decided.body))
    }

    fn snapshot(&self) -> Result<SavedState, StoreError> {
        Ok(self.lock().state.clone())
    }

    fn purge(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut inner = self.lock();
        let before = inner.records.len();
        inner.records.retain(|_, (at, _)| *at >= before_ms);
        Ok((before - inner.records.len()) as u64)
    }

    fn describe(&self) -> String {
        "memory".to_string()
    }

    fn in_process(&self) -> bool {
        true
    }
}
