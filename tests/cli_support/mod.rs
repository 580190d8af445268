//! Running the `route` binary from the crate's root, for CLI tests.

#![allow(clippy::unwrap_used, reason = "tests may fail loudly")]

use assert_cmd::Command;

/// Runs `route ARGS` in the crate's root: exit code (-1 when killed by a
/// signal), stdout, stderr.
pub fn route(args: &[&str]) -> (i32, String, String) {
    let output =
        Command::cargo_bin("route").unwrap().current_dir(env!("CARGO_MANIFEST_DIR")).args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code().unwrap_or(-1), text(output.stdout), text(output.stderr))
}
