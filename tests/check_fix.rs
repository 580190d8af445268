//! `route check --fix`: every "did you mean" is an edit the binary applies
//! to the files, until the project checks clean.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use assert_cmd::Command;

const SCHEMA: &str = r#"schema lead {
  id: string
  region: "NA" | "EMEA"
  employees: int
}
"#;

fn check(dir: &std::path::Path, fix: bool) -> (i32, String) {
    let mut cmd = Command::cargo_bin("route").unwrap();
    cmd.arg("check").arg(dir);
    if fix {
        cmd.arg("--fix");
    }
    let output = cmd.output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8(output.stderr).unwrap())
}

#[test]
fn misspelt_names_are_fixed_and_the_project_then_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.route"), SCHEMA).unwrap();
    std::fs::write(dir.path().join("teams.route"), "team sales = [\"a@x\"]\nteam emea = [\"b@x\"]\n").unwrap();
    // A misspelt import, field, enum value, team and strategy; the target
    // keyword `tem` hides `salse` until it is fixed (a second round).
    let rules = r#"import "schema.route"
import "teamz.route"
when regon == "EMAE" -> team emae via weigthed
when employees > 10 -> tem salse
otherwise -> team sales via round_robn
"#;
    let entry = dir.path().join("routing.route");
    std::fs::write(&entry, rules).unwrap();
    let (code, stderr) = check(dir.path(), false);
    assert_eq!(code, 1, "{stderr}");

    let (code, stderr) = check(dir.path(), true);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.starts_with("fixed 8 problems\n"), "{stderr}");
    let fixed = std::fs::read_to_string(&entry).unwrap();
    assert_eq!(
        fixed,
        r#"import "schema.route"
import "teams.route"
when region == "EMEA" -> team emea via weighted
when employees > 10 -> team sales
otherwise -> team sales via round_robin
"#
    );
    let (code, stderr) = check(dir.path(), false);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn without_a_close_name_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let rules = format!("{SCHEMA}when zzz_unknown > 1 -> queue q\n");
    let entry = dir.path().join("routing.route");
    std::fs::write(&entry, &rules).unwrap();
    let (code, stderr) = check(dir.path(), true);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("fixed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), rules);
}
