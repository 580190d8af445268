//! Reload on a file change: the project's directory (its imports and
//! lookup files included) and the `--roster` file are watched with
//! `notify`; a burst of changes (an editor's save, a `git pull`) is
//! debounced into one reload once the files have been quiet for a while.
//! The server's own files (`.route/`, the decision log) are ignored, or
//! every assignment would trigger a reload.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::Shared;

/// How long the files must be quiet before reloading.
const QUIET: Duration = Duration::from_millis(300);

/// Watches the project until the server stops; a watcher that cannot be
/// set up is reported once and the server runs without it (SIGHUP and
/// `POST /v1/reload` still work).
pub async fn reload_on_change(shared: Arc<Shared>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let ignored = ignored_paths(&shared);
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let relevant = !event.kind.is_access() && event.paths.iter().any(|p| !is_ignored(p, &ignored));
        if relevant {
            let _ = tx.send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(e) => {
            eprintln!("route serve: not watching files ({e}); reload with SIGHUP or POST /v1/reload");
            return;
        }
    };
    for (path, mode) in watched(&shared.config.project, shared.config.roster.as_deref()) {
        if let Err(e) = watcher.watch(&path, mode) {
            eprintln!("route serve: not watching `{}` ({e})", path.display());
        }
    }
    while rx.recv().await.is_some() {
        // Debounce: wait until nothing changed for QUIET.
        while tokio::time::timeout(QUIET, rx.recv()).await.is_ok_and(|e| e.is_some()) {}
        let shared = Arc::clone(&shared);
        if let Ok(report) = tokio::task::spawn_blocking(move || shared.reload()).await {
            eprintln!("route serve: reload on a file change: {}", report.summary());
        }
    }
    drop(watcher);
}

/// The project's directory (recursively) and the roster file.
fn watched(project: &Path, roster: Option<&Path>) -> Vec<(PathBuf, RecursiveMode)> {
    let dir = if project.is_dir() { project.to_path_buf() } else { parent(project) };
    let mut paths = vec![(dir, RecursiveMode::Recursive)];
    if let Some(roster) = roster {
        paths.push((roster.to_path_buf(), RecursiveMode::NonRecursive));
    }
    paths
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The server's own files, as absolute paths where they can be resolved.
fn ignored_paths(shared: &Shared) -> Vec<PathBuf> {
    let mut ignored: Vec<PathBuf> = shared.config.decision_log.iter().cloned().collect();
    ignored.push(PathBuf::from(&shared.config.state));
    ignored.iter().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())).collect()
}

fn is_ignored(path: &Path, ignored: &[PathBuf]) -> bool {
    path.components().any(|c| c.as_os_str() == ".route")
        || ignored.iter().any(|i| path.starts_with(i) || path.to_string_lossy().starts_with(&*i.to_string_lossy()))
}
