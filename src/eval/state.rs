//! Saved distribution state (`--state FILE`): round-robin positions,
//! smooth-weighted credit, the random generator and per-rep assignment
//! counts carried from one run to the next (docs/distribution.md says the
//! same for users).
//!
//! The file is keyed by names, not positions, so it survives edits to the
//! rules ([`crate::eval::Router::restore`] does the reading):
//!
//! - a team whose members changed resumes at the member it would have
//!   picked next, or, if that member left, at the first survivor after it
//!   in the old order;
//! - a newcomer starts with zero weighted credit, so it gets its share from
//!   now on and no burst; a removed member's credit is dropped; every
//!   credit is capped to one cycle (the sum of the team's weights as it is
//!   now), so changed weights cannot leave a backlog either;
//! - assignment counts are kept per rep together with the roster's
//!   `open_leads` they were counted on top of; when the roster reports a
//!   different `open_leads` (it was refreshed from the CRM, which now
//!   includes those leads) the count starts again at zero;
//! - the saved generator replaces the one `--seed` made, so chained runs
//!   continue one random sequence.
//!
//! # The file on disk (docs/reliability.md says the same for users)
//!
//! - **Path**: `FILE` is resolved first (symlinks followed, the directory
//!   made absolute), so a symlinked state file is updated in place of its
//!   target and every run locks the same name.
//! - **Lock**: [`StateFile::open`] takes an exclusive lock on
//!   `<resolved>.lock` for the whole run and writes its pid into it, so two
//!   runs on one state file take turns and never lose or repeat a step. A
//!   run that has to wait is told who holds the lock (the `waiting` callback)
//!   and gives up after the timeout, if one is given.
//! - **Writability first**: `open` also creates the temporary file the save
//!   will be written to, so an unwritable directory fails the run before
//!   any lead is routed.
//! - **Atomic save**: [`StateFile::save`] writes that temporary file
//!   (`.<name>.route-tmp-<random>` beside the target), fsyncs it, gives it
//!   the mode of the file it replaces (0600 for a new one) and renames it
//!   over the target, so a crash leaves the old state or the new one, never
//!   half of each. A temporary file is removed when the run fails; one left
//!   by a killed run is removed by the next run, which may do so because it
//!   holds the lock: only the lock holder ever writes one.
//! - **Counts** saturate at 2^64-1 rather than wrap.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The current file format version.
pub const VERSION: u32 = 1;

/// The state file's contents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedState {
    /// File format version.
    pub version: u32,
    /// The random generator's state, continued by the next run.
    pub rng: Option<u64>,
    /// Per team name.
    #[serde(default)]
    pub teams: BTreeMap<String, SavedTeam>,
    /// Per rep id.
    #[serde(default)]
    pub reps: BTreeMap<String, SavedRep>,
}

/// One team's distribution state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedTeam {
    /// The members when the state was saved, in order.
    pub members: Vec<String>,
    /// The member round robin would try next.
    pub next: Option<String>,
    /// Smooth weighted round-robin credit per member.
    #[serde(default)]
    pub weights: BTreeMap<String, i64>,
}

/// One rep's assignment count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedRep {
    /// Leads assigned by route since the roster's `open_leads` was read.
    pub assigned: u64,
    /// The roster's `open_leads` when counting started.
    pub open_leads_basis: u64,
    /// Leads counted against the rep's caps over time (`max_per_day`,
    /// `max_per_week`); absent in files written before caps existed, and
    /// for reps without a cap.
    #[serde(default, skip_serializing_if = "SavedCaps::is_empty")]
    pub caps: SavedCaps,
}

/// A rep's counts against caps over time: the leads given in the rep's
/// current day and week, with the date each period started (in the rep's
/// zone), so that a count from another day or week is not used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedCaps {
    /// The day counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<SavedPeriod>,
    /// The week counted (its Monday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week: Option<SavedPeriod>,
}

impl SavedCaps {
    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        self.day.is_none() && self.week.is_none()
    }
}

/// Leads given in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPeriod {
    /// The local date the period starts (`2026-11-30`; a week's Monday).
    pub start: String,
    /// Leads given in it.
    pub count: u64,
}

/// How long a run waits for the lock before it says who holds it.
pub const ANNOUNCE_AFTER: Duration = Duration::from_millis(500);

/// How often a waiting run tries the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(25);

/// An open, locked state file, with the temporary file its save will be
/// written to.
#[derive(Debug)]
pub struct StateFile {
    /// The resolved path.
    path: PathBuf,
    /// The temporary file beside it.
    temporary: tempfile::NamedTempFile,
    /// The mode to give the saved file: the one it replaces (a new file
    /// keeps the temporary file's, 0600 on Unix).
    permissions: Option<std::fs::Permissions>,
    _lock: File,
}

/// How to wait for the lock.
#[derive(Debug, Clone, Copy, Default)]
pub struct LockWait {
    /// Give up after this long (`None`: wait as long as it takes).
    pub timeout: Option<Duration>,
}

impl StateFile {
    /// Resolves `path`, locks it (waiting for another run to finish; after
    /// [`ANNOUNCE_AFTER`], `waiting` is called once with the lock file and
    /// the holder's pid when known), removes temporary files a killed run
    /// left, prepares the temporary file of the save and reads the state; a
    /// missing file is an empty state.
    ///
    /// # Errors
    /// I/O failures (an unwritable directory included), a lock not taken
    /// within the timeout, or a file that is not a state file.
    pub fn open(
        path: &Path,
        wait: LockWait,
        waiting: &mut dyn FnMut(&Path, Option<u32>),
    ) -> Result<(StateFile, SavedState), StateError> {
        let path = resolve(path).map_err(|e| StateError::Io(path.to_path_buf(), e))?;
        let lock_path = sibling(&path, ".lock");
        let lock = take_lock(&lock_path, wait, waiting)?;
        let (directory, prefix) = temporary_prefix(&path);
        remove_stale_temporaries(&directory, &prefix);
        let temporary = tempfile::Builder::new()
            .prefix(&prefix)
            .tempfile_in(&directory)
            .map_err(|e| StateError::Io(directory.clone(), e))?;
        let permissions = std::fs::metadata(&path).ok().map(|metadata| metadata.permissions());
        let saved = read_state(&path)?;
        Ok((StateFile { path, temporary, permissions, _lock: lock }, saved))
    }

    /// The resolved path of the state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the file atomically with `state`.
    ///
    /// # Errors
    /// I/O failures; the old file is then left as it was, and the temporary
    /// file removed.
    pub fn save(self, state: &SavedState) -> Result<(), StateError> {
        let StateFile { path, mut temporary, permissions, _lock } = self;
        let text = serde_json::to_string_pretty(state).map_err(|e| StateError::Format(path.clone(), e.to_string()))?;
        let io = |e| StateError::Io(path.clone(), e);
        let file = temporary.as_file_mut();
        file.write_all(text.as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions).map_err(io)?;
        }
        file.sync_all().map_err(io)?;
        temporary.persist(&path).map_err(|e| StateError::Io(path.clone(), e.error))?;
        if let Some(dir) = path.parent() {
            // Make the rename itself durable; not all platforms allow this.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// `path` with symlinks resolved and its directory made absolute; the file
/// itself need not exist (its directory must).
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    // A symlink to a file not yet written: follow it by hand (a bounded
    // number of times, as the OS would).
    for _ in 0..40 {
        match std::fs::canonicalize(&path) {
            Ok(resolved) => return Ok(resolved),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            Err(_) => {}
        }
        match std::fs::read_link(&path) {
            Ok(target) => {
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                path = base.join(target);
            }
            Err(_) => {
                let name = path.file_name().ok_or_else(|| std::io::Error::other("the path names no file"))?;
                let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                return Ok(std::fs::canonicalize(parent)?.join(name));
            }
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Opens and locks `lock_path`, waiting as `wait` says, and writes our pid
/// into it.
fn take_lock(
    lock_path: &Path,
    wait: LockWait,
    waiting: &mut dyn FnMut(&Path, Option<u32>),
) -> Result<File, StateError> {
    let io = |e| StateError::Io(lock_path.to_path_buf(), e);
    let mut lock =
        OpenOptions::new().create(true).truncate(false).read(true).write(true).open(lock_path).map_err(io)?;
    let started = Instant::now();
    let mut announced = false;
    loop {
        match lock.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let waited = started.elapsed();
        if wait.timeout.is_some_and(|timeout| waited >= timeout) {
            return Err(StateError::LockTimeout { path: lock_path.to_path_buf(), holder: holder(&mut lock) });
        }
        if !announced && waited >= ANNOUNCE_AFTER {
            announced = true;
            waiting(lock_path, holder(&mut lock));
        }
        std::thread::sleep(RETRY_EVERY);
    }
    // The pid is for people (and the waiting message); the lock itself is
    // what excludes other runs.
    lock.set_len(0).map_err(io)?;
    lock.rewind().map_err(io)?;
    writeln!(lock, "{}", std::process::id()).map_err(io)?;
    Ok(lock)
}

/// The pid written into a lock file, when it holds one.
fn holder(lock: &mut File) -> Option<u32> {
    let mut text = String::new();
    lock.rewind().ok()?;
    lock.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// The directory of the state file and the name prefix of its temporary
/// files.
fn temporary_prefix(path: &Path) -> (PathBuf, String) {
    let directory = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    (directory, format!(".{name}.route-tmp-"))
}

/// Removes the temporary files of earlier runs. Only the lock holder writes
/// them, and we hold the lock, so any that exist were left by a run that
/// was killed.
fn remove_stale_temporaries(directory: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Reads a state file; a missing one is an empty state.
fn read_state(path: &Path) -> Result<SavedState, StateError> {
    let saved = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<SavedState>(&text)
            .map_err(|e| StateError::Format(path.to_path_buf(), e.to_string()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SavedState { version: VERSION, ..SavedState::default() },
        Err(e) => return Err(StateError::Io(path.to_path_buf(), e)),
    };
    if saved.version != VERSION {
        return Err(StateError::Format(
            path.to_path_buf(),
            format!("version {} (this route writes version {VERSION})", saved.version),
        ));
    }
    Ok(saved)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Why the state file cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StateError {
    /// Reading, locking or writing failed.
    #[error("cannot use the state file `{}`", .0.display())]
    #[diagnostic(code(route::state))]
    Io(PathBuf, #[source] std::io::Error),
    /// Another run held the lock for longer than `--lock-timeout`.
    #[error("timed out waiting for the lock on `{}`{}", path.display(), holder.map(|pid| format!(" held by pid {pid}")).unwrap_or_default())]
    #[diagnostic(
        code(route::state_lock),
        help("another `route eval` with this --state file is still running; wait for it, or raise --lock-timeout")
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// The pid written into it by the holder, when readable.
        holder: Option<u32>,
    },
    /// The file is not a state file of this version.
    #[error("`{path}` is not a route state file: {1}", path = .0.display())]
    #[diagnostic(
        code(route::state),
        help("state files are written by `route eval --state`; delete it to start afresh")
    )]
    Format(PathBuf, String),
}
