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
//! Concurrency: [`StateFile::open`] takes an exclusive lock on `FILE.lock`
//! for the whole run, so two runs on one state file take turns and never
//! lose or repeat a step; [`StateFile::save`] writes a temporary file,
//! fsyncs it and renames it over the old one, so a crash leaves either the
//! old state or the new one, never half of each.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

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
}

/// An open, locked state file.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    _lock: File,
}

impl StateFile {
    /// Locks `path` (waiting for another run to finish) and reads it; a
    /// missing file is an empty state.
    ///
    /// # Errors
    /// I/O failures, or a file that is not a state file.
    pub fn open(path: &Path) -> Result<(StateFile, SavedState), StateError> {
        let lock_path = sibling(path, ".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StateError::Io(lock_path.clone(), e))?;
        lock.lock().map_err(|e| StateError::Io(lock_path, e))?;
        let saved = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str::<SavedState>(&text)
                .map_err(|e| StateError::Format(path.to_path_buf(), e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                SavedState { version: VERSION, ..SavedState::default() }
            }
            Err(e) => return Err(StateError::Io(path.to_path_buf(), e)),
        };
        if saved.version != VERSION {
            return Err(StateError::Format(
                path.to_path_buf(),
                format!("version {} (this route writes version {VERSION})", saved.version),
            ));
        }
        Ok((StateFile { path: path.to_path_buf(), _lock: lock }, saved))
    }

    /// Replaces the file atomically with `state`.
    ///
    /// # Errors
    /// I/O failures; the old file is then left as it was.
    pub fn save(&self, state: &SavedState) -> Result<(), StateError> {
        let temporary = sibling(&self.path, &format!(".tmp{}", std::process::id()));
        let io = |e| StateError::Io(temporary.clone(), e);
        let mut file = File::create(&temporary).map_err(io)?;
        let text =
            serde_json::to_string_pretty(state).map_err(|e| StateError::Format(self.path.clone(), e.to_string()))?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&temporary, &self.path).map_err(|e| StateError::Io(self.path.clone(), e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable; not all platforms allow this.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
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
    /// The file is not a state file of this version.
    #[error("`{path}` is not a route state file: {1}", path = .0.display())]
    #[diagnostic(
        code(route::state),
        help("state files are written by `route eval --state`; delete it to start afresh")
    )]
    Format(PathBuf, String),
}
