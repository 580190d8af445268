//! The embedded store: a SQLite file in WAL mode, one `BEGIN IMMEDIATE`
//! transaction per assignment (SQLite has one writer at a time, so the
//! transaction is the lock; other processes opening the same file wait
//! for it up to the busy timeout). `synchronous = NORMAL` with WAL makes
//! every committed assignment survive the process being killed (`kill
//! -9`); only a power cut can lose the last few, never half of one.
//!
//! Checkpoints (copying the log back into the database, the only step
//! that syncs to disk) run on a thread of their own ([`Checkpointer`]),
//! not inside an assignment: SQLite's automatic checkpoint would make
//! every few-hundredth request wait for an fsync, which is what the p99
//! latency of `route serve` measured before (docs/performance.md).

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{caps_cell, caps_of, count, signed, Assignment, Decide, Outcome, Store, StoreError, ADD_CAPS_COLUMN};
use crate::eval::state::{SavedRep, SavedState, SavedTeam, VERSION};

/// The tables, shared with the PostgreSQL store (the SQL is plain enough
/// for both).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS route_teams (name TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS route_reps (id TEXT PRIMARY KEY, assigned BIGINT NOT NULL, basis BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS route_meta (id INTEGER PRIMARY KEY, rng BIGINT);
CREATE TABLE IF NOT EXISTS route_idempotency (key TEXT PRIMARY KEY, created BIGINT NOT NULL, decision TEXT);
";

/// How often the background thread checkpoints the log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The log is truncated back to this size after a checkpoint, so a burst
/// does not leave a large file behind.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// State in a SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: std::path::PathBuf,
    connection: Mutex<Connection>,
    /// Stops the checkpoint thread when the store is dropped (the thread
    /// sees the channel close).
    _checkpointer: Checkpointer,
}

impl SqliteStore {
    /// Opens (creating it and its directory when missing) the database at
    /// `path`.
    ///
    /// # Errors
    /// When the file cannot be opened or its tables made.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(dir.to_path_buf(), e))?;
        }
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        // Checkpoints are the background thread's job, not the writer's.
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        connection.execute_batch(SCHEMA)?;
        let has_caps: bool = connection.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('route_reps') WHERE name = 'caps'",
            [],
            |row| row.get(0),
        )?;
        if !has_caps {
            connection.execute_batch(ADD_CAPS_COLUMN)?;
        }
        let checkpointer = Checkpointer::start(path, CHECKPOINT_EVERY)?;
        Ok(SqliteStore { path: path.to_path_buf(), connection: Mutex::new(connection), _checkpointer: checkpointer })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // Transactions roll back when dropped, so a poisoned lock holds a
        // usable connection.
        self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store for SqliteStore {
    fn assign(&self, assignment: &Assignment<'_>, decide: &mut Decide<'_>) -> Result<Outcome, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(key) = assignment.key {
            let cutoff = assignment.at_ms.saturating_sub(assignment.retention_ms);
            let found: Option<String> = tx
                .prepare_cached("SELECT decision FROM route_idempotency WHERE key = ?1 AND created >= ?2")?
                .query_row(params![key, cutoff], |row| row.get(0))
                .optional()?;
            if let Some(body) = found {
                return Ok(Outcome::Replayed(body));
            }
        }
        let footprint = assignment.footprint;
        let mut rows = SavedState { version: VERSION, ..SavedState::default() };
        for name in &footprint.teams {
            let text: Option<String> = tx
                .prepare_cached("SELECT state FROM route_teams WHERE name = ?1")?
                .query_row([name], |row| row.get(0))
                .optional()?;
            if let Some(text) = text {
                rows.teams.insert(name.clone(), serde_json::from_str(&text)?);
            }
        }
        for id in &footprint.reps {
            let rep = tx
                .prepare_cached("SELECT assigned, basis, caps FROM route_reps WHERE id = ?1")?
                .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .optional()?;
            if let Some((assigned, basis, caps)) = rep {
                rows.reps.insert(id.clone(), rep_row(assigned, basis, caps)?);
            }
        }
        if footprint.random {
            rows.rng = tx
                .prepare_cached("SELECT rng FROM route_meta WHERE id = 1")?
                .query_row([], |row| row.get::<_, Option<i64>>(0))
                .optional()?
                .flatten()
                .map(|r| r as u64);
        }
        let decided = decide(&rows);
        write_rows(&tx, &decided.state)?;
        if let Some(key) = assignment.key {
            tx.prepare_cached(
                "INSERT INTO route_idempotency (key, created, decision) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET created = excluded.created, decision = excluded.decision",
            )?
            .execute(params![key, assignment.at_ms, decided.body])?;
        }
        tx.commit()?;
        Ok(Outcome::New(decided.body))
    }

    fn snapshot(&self) -> Result<SavedState, StoreError> {
        let connection = self.lock();
        let mut saved = SavedState { version: VERSION, ..SavedState::default() };
        let mut teams = connection.prepare("SELECT name, state FROM route_teams")?;
        for row in teams.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))? {
            let (name, text) = row?;
            let team: SavedTeam = serde_json::from_str(&text)?;
            saved.teams.insert(name, team);
        }
        let mut reps = connection.prepare("SELECT id, assigned, basis, caps FROM route_reps")?;
        for row in reps.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))? {
            let (id, assigned, basis, caps) = row?;
            saved.reps.insert(id, rep_row(assigned, basis, caps)?);
        }
        saved.rng = connection
            .query_row("SELECT rng FROM route_meta WHERE id = 1", [], |row| row.get::<_, Option<i64>>(0))
            .optional()?
            .flatten()
            .map(|r| r as u64);
        Ok(saved)
    }

    fn purge(&self, before_ms: i64) -> Result<u64, StoreError> {
        let n = self.lock().execute("DELETE FROM route_idempotency WHERE created < ?1", [before_ms])?;
        Ok(n as u64)
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }
}

/// A thread with its own connection that checkpoints the write-ahead log
/// every `period` (`PASSIVE`: it never waits for, nor blocks, the writer),
/// and once more when the store closes.
#[derive(Debug)]
struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    fn start(path: &Path, period: Duration) -> Result<Checkpointer, StoreError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("route-checkpoint".to_string())
            .spawn(move || loop {
                let closing = !matches!(stopped.recv_timeout(period), Err(mpsc::RecvTimeoutError::Timeout));
                // A failed checkpoint is retried on the next tick; the log
                // only grows meanwhile, no assignment is affected.
                let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if closing {
                    break;
                }
            })
            .map_err(StoreError::Thread)?;
        Ok(Checkpointer { _stop: stop })
    }
}

/// A rep row as read.
pub(super) fn rep_row(assigned: i64, basis: i64, caps: Option<String>) -> Result<SavedRep, StoreError> {
    Ok(SavedRep { assigned: count(assigned), open_leads_basis: count(basis), caps: caps_of(caps)? })
}

/// Writes the rows of `state` back (upserts).
fn write_rows(tx: &rusqlite::Transaction<'_>, state: &SavedState) -> Result<(), StoreError> {
    for (name, team) in &state.teams {
        tx.prepare_cached(
            "INSERT INTO route_teams (name, state) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET state = excluded.state",
        )?
        .execute(params![name, serde_json::to_string(team)?])?;
    }
    for (id, rep) in &state.reps {
        tx.prepare_cached(
            "INSERT INTO route_reps (id, assigned, basis, caps) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET assigned = excluded.assigned, basis = excluded.basis, caps = excluded.caps",
        )?
        .execute(params![id, signed(rep.assigned), signed(rep.open_leads_basis), caps_cell(&rep.caps)?])?;
    }
    if let Some(rng) = state.rng {
        // The generator's bits are kept as they are, in a signed column.
        tx.prepare_cached(
            "INSERT INTO route_meta (id, rng) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET rng = excluded.rng",
        )?
        .execute([rng as i64])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests may fail loudly")]

    use super::*;
    use crate::eval::Footprint;
    use crate::store::Decided;

    /// The database file only grows when the log is copied back into it:
    /// with automatic checkpoints off, that is the background thread's doing.
    #[test]
    fn the_log_is_checkpointed_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let before = size();
        let footprint = Footprint::default();
        let body = "x".repeat(200);
        for i in 0..300 {
            let key = format!("lead-{i}");
            let assignment = Assignment { key: Some(&key), footprint: &footprint, at_ms: 0, retention_ms: 1 };
            let mut decide = |_: &SavedState| Decided { body: body.clone(), state: SavedState::default() };
            store.assign(&assignment, &mut decide).unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size() <= before + 16 * 1024 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(size() > before + 16 * 1024, "no checkpoint: {before} -> {} bytes", size());
    }
}
