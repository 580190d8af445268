//! Running the `route` binary, for CLI tests.

#![allow(clippy::unwrap_used, reason = "tests may fail loudly")]
// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

/// What a run of `route` left: its exit code (-1 when killed by a
/// signal), stdout and stderr.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `route ARGS` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("route").unwrap().current_dir(dir).args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    Run { code: output.status.code().unwrap_or(-1), stdout: text(output.stdout), stderr: text(output.stderr) }
}

/// Runs `route ARGS` in the crate's root.
pub fn run(args: &[&str]) -> Run {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// [`run`], as a tuple: exit code, stdout, stderr.
pub fn route(args: &[&str]) -> (i32, String, String) {
    let Run { code, stdout, stderr } = run(args);
    (code, stdout, stderr)
}
