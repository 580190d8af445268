//! Durable distribution state for `route serve`: rotations, weighted
//! credit, the random generator, per-rep counts and idempotency records,
//! behind one trait with three implementations.
//!
//! - [`MemoryStore`]: in the process (tests, `--state memory`); lost on exit.
//! - [`SqliteStore`]: an embedded database file (the default,
//!   `PROJECT_DIR/.route/state.sqlite`), WAL, one transaction per assignment.
//! - [`PostgresStore`]: `--state postgres://...`, shared by any number of
//!   instances; one transaction per assignment that locks exactly the rows
//!   the lead's rule can touch ([`Footprint`]), so rotations stay exact.
//!
//! The rows are those of the `--state FILE` format ([`SavedState`]): one
//! per team name, one per rep id, one for the generator. An assignment
//! reads the rows of its footprint, lets the router decide, and writes the
//! same rows back together with the idempotency record, in one
//! transaction: a crash (even `kill -9`) leaves either the whole
//! assignment or none of it.

mod group;
mod memory;
mod postgres;
mod sqlite;

use std::time::Duration;

pub use group::{Pending, Staged};
pub use memory::MemoryStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::eval::state::SavedState;
use crate::eval::Footprint;

/// One assignment asked of a store.
#[derive(Debug, Clone, Copy)]
pub struct Assignment<'a> {
    /// The idempotency key (the `Idempotency-Key` header, else the lead
    /// id); `None` routes without a record.
    pub key: Option<&'a str>,
    /// The rows the lead's rule can touch.
    pub footprint: &'a Footprint,
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Records older than this many milliseconds are forgotten.
    pub retention_ms: i64,
}

/// What the router made of the loaded rows.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The decision record, as `route eval` writes it (without newline).
    pub body: String,
    /// The footprint's rows after the decision.
    pub state: SavedState,
}

/// A store's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new decision, now durable.
    New(String),
    /// The first decision for this key, returned again; nothing changed.
    Replayed(String),
}

impl Outcome {
    /// The decision record.
    pub fn body(&self) -> &str {
        match self {
            Outcome::New(body) | Outcome::Replayed(body) => body,
        }
    }
}

/// The router's part of an assignment: the loaded rows in, a decision and
/// the changed rows out.
pub type Decide<'a> = dyn FnMut(&SavedState) -> Decided + 'a;

/// Where distribution state lives.
pub trait Store: Send + Sync {
    /// Runs one assignment atomically: replays the decision recorded for
    /// `assignment.key` when there is one within the retention window;
    /// otherwise loads the footprint's rows, calls `decide`, and writes
    /// the rows and the idempotency record in one transaction.
    ///
    /// # Errors
    /// When the database fails; nothing is then changed.
    fn assign(&self, assignment: &Assignment<'_>, decide: &mut Decide<'_>) -> Result<Outcome, StoreError>;

    /// Runs one assignment as [`Store::assign`] does, but a store that
    /// commits in groups ([`group`]) may leave it in the open group: the
    /// outcome is then pending until that group commits, and must not be
    /// shown before [`Pending::durable`] says so.
    ///
    /// # Errors
    /// When the database fails; nothing of this assignment is then kept.
    fn stage(&self, assignment: &Assignment<'_>, decide: &mut Decide<'_>) -> Result<Staged, StoreError> {
        self.assign(assignment, decide).map(Staged::durable)
    }

    /// Commits group `group` when it is still open (a no-op otherwise, and
    /// for stores that do not group); its members learn the verdict.
    fn commit(&self, group: u64) {
        let _ = group;
    }

    /// Every row, as a `--state` file would hold them.
    ///
    /// # Errors
    /// When the database fails.
    fn snapshot(&self) -> Result<SavedState, StoreError>;

    /// Forgets idempotency records older than `before_ms`; how many.
    ///
    /// # Errors
    /// When the database fails.
    fn purge(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// The backend, for `/v1/status` (no credentials).
    fn describe(&self) -> String;

    /// Whether an assignment finishes in microseconds, without waiting on
    /// a network or a disk sync, so that `route serve` may run it on the
    /// thread that read the request rather than hand it to a blocking
    /// pool (two thread switches, which cost more than the assignment).
    fn in_process(&self) -> bool {
        false
    }
}

/// The default retention of idempotency records: 24 hours.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a store failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StoreError {
    /// SQLite failed.
    #[error("the state database failed: {0}")]
    #[diagnostic(code(route::state))]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("the PostgreSQL state failed: {0}")]
    #[diagnostic(code(route::state))]
    Postgres(#[from] ::postgres::Error),
    /// A row could not be read or written as JSON.
    #[error("a state row is not valid: {0}")]
    #[diagnostic(code(route::state))]
    Row(#[from] serde_json::Error),
    /// The state directory could not be made.
    #[error("cannot create `{0}`")]
    #[diagnostic(code(route::state))]
    Io(std::path::PathBuf, #[source] std::io::Error),
    /// The group an assignment was staged in failed to commit.
    #[error("the state database failed to commit: {0}")]
    #[diagnostic(code(route::state))]
    Group(String),
    /// The embedded store's checkpoint thread could not start.
    #[error("cannot start the state database's checkpoint thread")]
    #[diagnostic(code(route::state))]
    Thread(#[source] std::io::Error),
}

/// The backend a `--state` value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `memory`.
    Memory,
    /// A `postgres://` or `postgresql://` URL.
    Postgres,
    /// Anything else: a SQLite file path.
    Sqlite,
}

impl Backend {
    /// The backend `spec` names.
    pub fn of(spec: &str) -> Backend {
        if spec == "memory" {
            Backend::Memory
        } else if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens the store named by `--state`: `memory`, a `postgres://` or
/// `postgresql://` URL, or a SQLite file path.
///
/// # Errors
/// When the database cannot be opened or its tables made.
pub fn open(spec: &str) -> Result<Box<dyn Store>, StoreError> {
    Ok(match Backend::of(spec) {
        Backend::Memory => Box::new(MemoryStore::default()),
        Backend::Postgres => Box::new(PostgresStore::connect(spec)?),
        Backend::Sqlite => Box::new(SqliteStore::open(std::path::Path::new(spec))?),
    })
}

/// The part of `saved` its footprint names, and nothing else.
fn rows_of(saved: &SavedState, footprint: &Footprint) -> SavedState {
    SavedState {
        version: saved.version,
        rng: if footprint.random { saved.rng } else { None },
        teams: footprint.teams.iter().filter_map(|t| Some((t.clone(), saved.teams.get(t)?.clone()))).collect(),
        reps: footprint.reps.iter().filter_map(|r| Some((r.clone(), saved.reps.get(r)?.clone()))).collect(),
    }
}

/// A count read from a signed column.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A rep row's `caps` cell: the counts against caps over time as JSON,
/// NULL for a rep without them (the column was added after the others:
/// see [`ADD_CAPS_COLUMN`]).
fn caps_cell(caps: &crate::eval::state::SavedCaps) -> Result<Option<String>, StoreError> {
    Ok(if caps.is_empty() { None } else { Some(serde_json::to_string(caps)?) })
}

/// The counts against caps in a rep row's `caps` cell.
fn caps_of(cell: Option<String>) -> Result<crate::eval::state::SavedCaps, StoreError> {
    Ok(match cell {
        Some(text) => serde_json::from_str(&text)?,
        None => crate::eval::state::SavedCaps::default(),
    })
}

/// Adds the `caps` column (caps over time, LANGUAGE.md §16) to a
/// `route_reps` table made before it existed; run when it is missing.
const ADD_CAPS_COLUMN: &str = "ALTER TABLE route_reps ADD COLUMN caps TEXT";

/// A count for a signed column.
fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
