//! `route fmt` end to end: in place, `-`, `--check`, directories, and
//! files with syntax errors left untouched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

use assert_cmd::Command;

const MESSY: &str = "schema lead {  id:string }\nwhen id == \"a\"->queue a # why\n\n\n\nwhen id == \"bb\" -> queue b\n";
const TIDY: &str =
    "schema lead {\n  id: string\n}\nwhen id == \"a\" -> queue a  # why\n\nwhen id == \"bb\" -> queue b\n";

fn route(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("route").unwrap();
    cmd.current_dir(dir);
    cmd
}

#[test]
fn formats_a_file_in_place_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.route");
    std::fs::write(&file, MESSY).unwrap();
    route(dir.path()).args(["fmt", "routing.route"]).assert().code(0).stdout("");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), TIDY);
    route(dir.path()).args(["fmt", "--check", "routing.route"]).assert().code(0).stdout("");
}

#[test]
fn dash_reads_stdin_and_writes_stdout() {
    let dir = tempfile::tempdir().unwrap();
    route(dir.path()).args(["fmt", "-"]).write_stdin(MESSY).assert().code(0).stdout(TIDY);
}

#[test]
fn check_writes_nothing_shows_a_diff_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.route");
    std::fs::write(&file, MESSY).unwrap();
    let output = route(dir.path()).args(["fmt", "--check", "routing.route"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("would reformat `routing.route`\n--- routing.route\n+++ routing.route\n"), "{stdout}");
    assert!(stdout.contains("\n-schema lead {  id:string }\n"), "{stdout}");
    assert!(stdout.contains("\n+schema lead {\n+  id: string\n+}\n"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MESSY);
}

#[test]
fn a_file_with_a_syntax_error_is_left_untouched_and_the_others_are_formatted() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "when region = \"EMEA\" -> queue q\n";
    std::fs::write(dir.path().join("a_broken.route"), broken).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.route"), MESSY).unwrap();
    std::fs::write(dir.path().join("sub/c.test.route"), "test \"x\" { }\n").unwrap();
    let output = route(dir.path()).args(["fmt", "."]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("error[E0001]"), "{stderr}");
    assert!(stderr.contains("help: comparisons use `==`"), "{stderr}");
    assert!(stderr.contains("`./a_broken.route` has syntax errors; it was not formatted"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join("a_broken.route")).unwrap(), broken);
    assert_eq!(std::fs::read_to_string(dir.path().join("sub/b.route")).unwrap(), TIDY);
    assert_eq!(std::fs::read_to_string(dir.path().join("sub/c.test.route")).unwrap(), "test \"x\" { }\n");
}

#[test]
fn a_broken_stdin_prints_diagnostics_and_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let output = route(dir.path()).args(["fmt", "-"]).write_stdin("when x -> \n").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8(output.stderr).unwrap().contains("error[E0001]"));
}
