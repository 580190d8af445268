//! `--state` under real faults (issue 7, item 6): a closed pipe, a full
//! disk, a directory that cannot be written, a symlinked state file, a
//! killed run's temporary file, a count at its limit, the file's mode, and
//! a lock held by someone else. In every case the saved state and the
//! emitted decisions agree, or the run fails loudly saying which.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hardening");

fn route() -> Command {
    Command::new(env!("CARGO_BIN_EXE_route"))
}

/// `n` CSV leads for the `otherwise` rule (team sales, round robin).
fn leads(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::from("id,email,employees\n");
    for i in 1..=n {
        text.push_str(&format!("L{i},l{i}@x.io,500\n"));
    }
    let path = dir.join("leads.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `route eval` on the project; exit code, stdout, stderr.
fn eval(args: &[&str]) -> (i32, String, String) {
    let output = route().arg("eval").arg(PROJECT).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Runs `route eval` with the read end of its stdout closed at once, so
/// that every write of the run hits a closed pipe.
fn with_stdout_closed(args: &[&str]) -> std::process::Output {
    let mut child =
        route().arg("eval").arg(PROJECT).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

fn saved(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_closed_pipe_fails_the_run_and_the_state_is_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 50_000);
    let state = dir.path().join("state.json");
    let output = with_stdout_closed(&["--leads", s(&leads), "--state", s(&state)]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write the decisions to stdout"), "{stderr}");
    assert!(stderr.contains("was not saved"), "{stderr}");
    assert!(!state.exists(), "no state may count decisions nobody received");
}

#[test]
fn without_state_a_closed_pipe_is_the_readers_choice() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 50_000);
    let output = with_stdout_closed(&["--leads", s(&leads)]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_full_disk_fails_the_run_and_keeps_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 10);
    let state = dir.path().join("state.json");
    let (code, _, stderr) = eval(&["--leads", s(&leads), "--state", s(&state), "-o", "/dev/null"]);
    assert_eq!(code, 0, "{stderr}");
    let before = std::fs::read_to_string(&state).unwrap();
    let (code, _, stderr) = eval(&["--leads", s(&leads), "--state", s(&state), "-o", "/dev/full"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot write the decisions"), "{stderr}");
    assert!(stderr.contains("was not saved"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), before);
}

/// A write that fails with batches still in flight on every worker: the
/// run stops (no thread left waiting on another) and says why.
#[test]
fn a_full_disk_mid_run_on_several_threads_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 40_000);
    for jobs in ["2", "3"] {
        let (code, _, stderr) = eval(&["--leads", s(&leads), "-o", "/dev/full", "--jobs", jobs]);
        assert_eq!(code, 2, "--jobs {jobs}: {stderr}");
        assert!(stderr.contains("cannot write the decisions"), "--jobs {jobs}: {stderr}");
    }
}

#[test]
fn a_state_that_cannot_be_written_stops_the_run_before_any_decision() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 3);
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let (code, stdout, stderr) = eval(&["--leads", s(&leads), "--state", &format!("{}/state.json", s(&blocker))]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "", "nothing routed");
    assert!(stderr.contains("cannot use the state file"), "{stderr}");
}

#[test]
fn a_symlinked_state_is_updated_through_the_link_and_locked_by_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 3);
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/state.json");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for _ in 0..2 {
        let (code, _, stderr) = eval(&["--leads", s(&leads), "--state", s(&link)]);
        assert_eq!(code, 0, "{stderr}");
    }
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is kept");
    assert_eq!(saved(&target)["reps"]["a@x.io"]["assigned"], 3, "both runs counted in the target");
    assert!(dir.path().join("real/state.json.lock").exists());
    assert!(!dir.path().join("link.json.lock").exists());
}

#[test]
fn a_killed_runs_temporary_file_is_removed_and_none_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 3);
    let state = dir.path().join("state.json");
    std::fs::write(dir.path().join(".state.json.route-tmp-abc123"), "{half").unwrap();
    let (code, _, stderr) = eval(&["--leads", s(&leads), "--state", s(&state)]);
    assert_eq!(code, 0, "{stderr}");
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["leads.csv", "state.json", "state.json.lock"]);
}

#[test]
fn a_count_at_its_limit_saturates() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 4);
    let state = dir.path().join("state.json");
    let max = u64::MAX;
    std::fs::write(
        &state,
        format!(r#"{{"version": 1, "rng": 1, "reps": {{"a@x.io": {{"assigned": {max}, "open_leads_basis": 0}}}}}}"#),
    )
    .unwrap();
    let (code, _, stderr) = eval(&["--leads", s(&leads), "--state", s(&state)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(saved(&state)["reps"]["a@x.io"]["assigned"], max);
}

#[test]
fn the_state_files_mode_is_kept_and_a_new_one_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 2);
    let state = dir.path().join("state.json");
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(eval(&["--leads", s(&leads), "--state", s(&state)]).0, 0);
    assert_eq!(mode(&state), 0o600);
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(eval(&["--leads", s(&leads), "--state", s(&state)]).0, 0);
    assert_eq!(mode(&state), 0o640);
}

#[test]
fn a_held_lock_is_announced_with_its_holder_and_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let leads = leads(dir.path(), 2);
    let state = dir.path().join("state.json");
    let mut lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(dir.path().join("state.json.lock"))
        .unwrap();
    lock.lock().unwrap();
    writeln!(lock, "4242").unwrap();
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = eval(&["--leads", s(&leads), "--state", s(&state), "--lock-timeout", "1.5"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("waiting for the lock on"), "{stderr}");
    assert!(stderr.contains("held by pid 4242"), "{stderr}");
    assert!(stderr.contains("timed out waiting for the lock"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(lock);
    // Released: the next run takes it and writes its own pid into it.
    assert_eq!(eval(&["--leads", s(&leads), "--state", s(&state), "--lock-timeout", "5"]).0, 0);
    let pid: u32 = std::fs::read_to_string(dir.path().join("state.json.lock")).unwrap().trim().parse().unwrap();
    assert_ne!(pid, 4242);
}
