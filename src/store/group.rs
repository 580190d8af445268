//! Group commit: assignments that arrive together share one transaction.
//!
//! A store that groups ([`super::SqliteStore`]) runs each assignment's
//! statements at once, inside the transaction of the *open group*, and
//! hands back a [`Pending`] with the outcome. The outcome may be shown to
//! nobody until the group has committed: the caller commits it (or lets
//! another caller do so) and waits for [`Pending::durable`]. `route serve`
//! commits a group after the requests already read on its thread have
//! joined it, so a burst of N leads costs one commit, not N (the commit,
//! not the statements, is most of an embedded assignment's cost:
//! docs/performance.md, "route serve").
//!
//! Each group has its own one-shot verdict (a `watch` channel), set once
//! when the group commits or fails; every member reads the same verdict,
//! so a failed commit fails exactly its own members.

use tokio::sync::watch;

use super::{Outcome, StoreError};

/// How a group ended: `Ok` when committed, else the database's message.
type Verdict = Option<Result<(), String>>;

/// An assignment staged by a store, with the group it waits on (none for
/// a store that commits each assignment by itself).
#[derive(Debug)]
pub struct Staged {
    /// The decision, new or replayed; not to be shown before it is durable.
    pub outcome: Outcome,
    /// The group to wait for.
    pub pending: Option<Pending>,
}

impl Staged {
    /// An outcome that is already durable.
    pub fn durable(outcome: Outcome) -> Staged {
        Staged { outcome, pending: None }
    }
}

/// A member's view of its group.
#[derive(Debug)]
pub struct Pending {
    /// The group's number (for [`super::Store::commit`]).
    pub group: u64,
    /// Whether this assignment opened the group (and so should see it
    /// committed).
    pub opened: bool,
    verdict: watch::Receiver<Verdict>,
}

impl Pending {
    /// Waits until the group has committed.
    ///
    /// # Errors
    /// When the group's commit failed: nothing of it was kept.
    pub async fn durable(mut self) -> Result<(), StoreError> {
        let verdict = self.verdict.wait_for(Option::is_some).await.map(|v| v.clone()).ok().flatten();
        settle(verdict)
    }

    /// The verdict, once the group has been committed (by [`super::Store::commit`]).
    ///
    /// # Errors
    /// When the group's commit failed, or it has not been committed yet.
    pub fn committed(&self) -> Result<(), StoreError> {
        settle(self.verdict.borrow().clone())
    }
}

fn settle(verdict: Verdict) -> Result<(), StoreError> {
    match verdict {
        Some(Ok(())) => Ok(()),
        Some(Err(message)) => Err(StoreError::Group(message)),
        None => Err(StoreError::Group("the group was never committed".to_string())),
    }
}

/// The open group, on the store's side.
#[derive(Debug)]
pub struct Group {
    /// Its number.
    pub id: u64,
    verdict: watch::Sender<Verdict>,
}

impl Group {
    /// A new group numbered `id`.
    pub fn open(id: u64) -> Group {
        Group { id, verdict: watch::Sender::new(None) }
    }

    /// A member's handle.
    pub fn member(&self, opened: bool) -> Pending {
        Pending { group: self.id, opened, verdict: self.verdict.subscribe() }
    }

    /// Tells every member how the group ended.
    pub fn finish(self, result: Result<(), String>) {
        self.verdict.send_replace(Some(result));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests may fail loudly")]

    use super::*;

    #[test]
    fn every_member_reads_the_verdict_of_its_own_group() {
        let first = Group::open(1);
        let (a, b) = (first.member(true), first.member(false));
        assert!(a.committed().is_err(), "not committed yet");
        first.finish(Err("disk full".to_string()));
        assert!(matches!(a.committed(), Err(StoreError::Group(m)) if m == "disk full"));
        assert!(b.committed().is_err());
        let second = Group::open(2);
        let c = second.member(true);
        second.finish(Ok(()));
        assert!(c.committed().is_ok());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert!(runtime.block_on(c.durable()).is_ok());
        assert!(runtime.block_on(b.durable()).is_err());
    }
}
