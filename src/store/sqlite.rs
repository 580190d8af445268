//! The embedded store: a SQLite file in WAL mode. Assignments are
//! committed in groups ([`super::group`]): each runs inside a savepoint of
//! the open `BEGIN IMMEDIATE` transaction, so a failing one is undone
//! alone, and the group commits as one (SQLite has one writer at a time,
//! so the transaction is the lock; other processes opening the same file
//! wait for it up to the busy timeout). [`Store::assign`] commits its own
//! group at once. `synchronous = NORMAL` with WAL makes every committed
//! assignment survive the process being killed (`kill -9`); only a power
//! cut can lose the last few, never half of one.
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

use rusqlite::{params, Connection, OptionalExtension};

use super::group::{Group, Staged};
use super::{caps_cell, caps_of, count, signed, Assignment, Decide, Outcome, Store, StoreError, ADD_CAPS_COLUMN};
use crate::eval::state::{SavedRep, SavedState, SavedTeam, VERSION};

/// The tables, shared with the PostgreSQL store (the SQL is plain enough
/// for both); `keyed` ends the tables keyed by text. SQLite is given
/// `WITHOUT ROWID` there, so that each table is one b-tree (its key) rather
/// than a rowid tree plus an index: one page fewer to write per row an
/// assignment changes. Tables made before keep their rowids and work alike.
pub(super) fn schema(keyed: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS route_teams (name TEXT PRIMARY KEY, state TEXT NOT NULL){keyed};
CREATE TABLE IF NOT EXISTS route_reps (id TEXT PRIMARY KEY, assigned BIGINT NOT NULL, basis BIGINT NOT NULL){keyed};
CREATE TABLE IF NOT EXISTS route_meta (id INTEGER PRIMARY KEY, rng BIGINT);
CREATE TABLE IF NOT EXISTS route_idempotency (key TEXT PRIMARY KEY, created BIGINT NOT NULL, decision TEXT){keyed};
"
    )
}

/// The page size of a new database file, in bytes.
const PAGE_SIZE: i64 = 1024;

/// How often the background thread checkpoints the log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The log is truncated back to this size after a checkpoint, so a burst
/// does not leave a large file behind.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// State in a SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: std::path::PathBuf,
    writer: Mutex<Writer>,
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
        // Set before the first table (an existing file keeps its size).
        // A group commit writes every page its assignments changed to the
        // log; the rows are small (a team's state, a rep's counts, one
        // decision), so 1 KiB pages write a quarter of the bytes of 4 KiB
        // ones, and the commits that stall behind the checkpointer stall
        // less: p99 at 5,000 requests/s went from 2.5 to 1.9 ms (1,000
        // rules, three alternated runs each; docs/performance.md).
        connection.pragma_update(None, "page_size", PAGE_SIZE)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        // Checkpoints are the background thread's job, not the writer's.
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        connection.execute_batch(&schema(" WITHOUT ROWID"))?;
        let has_caps: bool = connection.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('route_reps') WHERE name = 'caps'",
            [],
            |row| row.get(0),
        )?;
        if !has_caps {
            connection.execute_batch(ADD_CAPS_COLUMN)?;
        }
        let checkpointer = Checkpointer::start(path, CHECKPOINT_EVERY)?;
        let writer = Writer { connection, open: None, groups: 0 };
        Ok(SqliteStore { path: path.to_path_buf(), writer: Mutex::new(writer), _checkpointer: checkpointer })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        // Every assignment runs in a savepoint that is released or rolled
        // back before the lock is let go, so a poisoned lock holds a
        // usable connection.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The connection and the group open on it.
#[derive(Debug)]
struct Writer {
    connection: Connection,
    /// The group whose transaction is open, if any.
    open: Option<Group>,
    /// How many groups were opened.
    groups: u64,
}

impl Writer {
    /// Opens a group (`BEGIN IMMEDIATE`) unless one is open; whether it did.
    fn join(&mut self) -> Result<bool, StoreError> {
        if self.open.is_some() {
            return Ok(false);
        }
        control(&self.connection, "BEGIN IMMEDIATE")?;
        self.groups += 1;
        self.open = Some(Group::open(self.groups));
        Ok(true)
    }

    /// Commits the open group when it is `group` (or any, for `None`), and
    /// tells its members.
    fn commit(&mut self, group: Option<u64>) {
        if self.open.as_ref().is_some_and(|g| group.is_none_or(|id| id == g.id)) {
            let result = control(&self.connection, "COMMIT").map_err(|e| e.to_string());
            if result.is_err() {
                // A failed COMMIT may leave the transaction open.
                let _ = self.connection.execute_batch("ROLLBACK");
            }
            if let Some(open) = self.open.take() {
                open.finish(result);
            }
        }
    }
}

impl Store for SqliteStore {
    fn assign(&self, assignment: &Assignment<'_>, decide: &mut Decide<'_>) -> Result<Outcome, StoreError> {
        let staged = self.stage(assignment, decide)?;
        if let Some(pending) = &staged.pending {
            self.commit(pending.group);
            pending.committed()?;
        }
        Ok(staged.outcome)
    }

    fn stage(&self, assignment: &Assignment<'_>, decide: &mut Decide<'_>) -> Result<Staged, StoreError> {
        let mut writer = self.lock();
        let opened = writer.join()?;
        let run = control(&writer.connection, "SAVEPOINT assignment").and_then(|()| {
            let outcome = run_assignment(&writer.connection, assignment, decide);
            if outcome.is_err() {
                control(&writer.connection, "ROLLBACK TO assignment")?;
            }
            control(&writer.connection, "RELEASE assignment")?;
            outcome
        });
        match run {
            // `join` left a group open: the outcome waits on it.
            Ok(outcome) => Ok(Staged { outcome, pending: writer.open.as_ref().map(|group| group.member(opened)) }),
            Err(error) => {
                // Nobody else will commit a group this assignment opened.
                if opened {
                    writer.commit(None);
                }
                Err(error)
            }
        }
    }

    fn commit(&self, group: u64) {
        self.lock().commit(Some(group));
    }

    fn snapshot(&self) -> Result<SavedState, StoreError> {
        let mut writer = self.lock();
        // What is staged is not yet state: commit it first.
        writer.commit(None);
        let connection = &writer.connection;
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
        let mut writer = self.lock();
        writer.commit(None);
        let n = writer.connection.execute("DELETE FROM route_idempotency WHERE created < ?1", [before_ms])?;
        Ok(n as u64)
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    /// Commits write to the log without syncing it (`synchronous =
    /// NORMAL`; checkpoints sync on their own thread).
    fn in_process(&self) -> bool {
        true
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

/// Runs a transaction-control statement (`BEGIN`, `COMMIT`, `SAVEPOINT`,
/// ...) from the statement cache: each request runs four of them, and
/// `execute_batch` would parse them anew every time.
fn control(connection: &Connection, sql: &str) -> Result<(), StoreError> {
    connection.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// One assignment's statements, inside the open transaction: replays the
/// key's record, or reads the footprint's rows, decides and writes them.
fn run_assignment(
    tx: &Connection,
    assignment: &Assignment<'_>,
    decide: &mut Decide<'_>,
) -> Result<Outcome, StoreError> {
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
    let decided = decide(&read_rows(tx, assignment.footprint)?);
    write_rows(tx, &decided.state)?;
    if let Some(key) = assignment.key {
        tx.prepare_cached(
            "INSERT INTO route_idempotency (key, created, decision) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET created = excluded.created, decision = excluded.decision",
        )?
        .execute(params![key, assignment.at_ms, decided.body])?;
    }
    Ok(Outcome::New(decided.body))
}

/// The rows `footprint` names.
fn read_rows(tx: &Connection, footprint: &crate::eval::Footprint) -> Result<SavedState, StoreError> {
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
    Ok(rows)
}

/// A rep row as read.
pub(super) fn rep_row(assigned: i64, basis: i64, caps: Option<String>) -> Result<SavedRep, StoreError> {
    Ok(SavedRep { assigned: count(assigned), open_leads_basis: count(basis), caps: caps_of(caps)? })
}

/// Writes the rows of `state` back (upserts).
fn write_rows(tx: &Connection, state: &SavedState) -> Result<(), StoreError> {
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

    /// Assignments staged together are one group: invisible to any other
    /// connection until the group commits, then all there.
    #[test]
    fn a_group_commits_its_members_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        let footprint = Footprint::default();
        let stage = |key: &str| {
            let assignment = Assignment { key: Some(key), footprint: &footprint, at_ms: 0, retention_ms: 1 };
            let mut decide = |_: &SavedState| Decided { body: format!("decision {key}"), state: SavedState::default() };
            store.stage(&assignment, &mut decide).unwrap()
        };
        let (first, second, again) = (stage("a"), stage("b"), stage("a"));
        let (p1, p2, p3) = (first.pending.unwrap(), second.pending.unwrap(), again.pending.unwrap());
        assert_eq!((p1.opened, p2.opened, p1.group), (true, false, p2.group));
        // Within the group, a duplicate already finds the first decision.
        assert_eq!(again.outcome, Outcome::Replayed("decision a".to_string()));
        let reader = Connection::open(&path).unwrap();
        let kept = || reader.query_row("SELECT COUNT(*) FROM route_idempotency", [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(kept(), 0, "nothing is visible before the group commits");
        assert!(p2.committed().is_err(), "no verdict yet");
        store.commit(p1.group);
        assert_eq!(kept(), 2);
        assert!(p1.committed().is_ok() && p2.committed().is_ok() && p3.committed().is_ok());
        // The next assignment opens the next group.
        assert_eq!(stage("c").pending.map(|p| (p.opened, p.group)), Some((true, p1.group + 1)));
    }

    /// A new file is made with small pages (see [`PAGE_SIZE`]).
    #[test]
    fn a_new_database_has_small_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        drop(SqliteStore::open(&path).unwrap());
        let reader = Connection::open(&path).unwrap();
        let size: i64 = reader.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        assert_eq!(size, PAGE_SIZE);
    }

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
