//! Issue 7, checker part, through the binary: lookup cells that are absent,
//! integers compared as integers, and the file-access policy of imports and
//! lookups.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

use assert_cmd::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn route_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("route").unwrap().current_dir(dir).args(args).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

const OWNER_SCHEMA: &str = r#"schema lead {
  missing: "N/A"
  id: string
  account: string?
}
lookup owners from "owners.csv" key account value owner
team managers = ["maria@acme.io"]
"#;

#[test]
fn a_blank_or_missing_lookup_value_is_absent_and_takes_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "owners.csv", "account,owner\nAcme,ana@acme.io\nBlank,\nMarked,N/A\n");
    let rules = format!("{OWNER_SCHEMA}when account in owners -> rep owners[account] else fallback managers\notherwise -> team managers\n");
    write(dir.path(), "routing.route", &rules);
    let eval = |account: &str| {
        let lead = format!(r#"{{"id":"1","account":"{account}"}}"#);
        let r = route_in(dir.path(), &["eval", "routing.route", "--lead", &lead]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let record: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
        (record["rule"].as_str().unwrap_or_default().to_string(), record["assignee"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(eval("Acme").1, "ana@acme.io");
    // Before: `Blank` matched the first rule and went to the rep "".
    for absent in ["Blank", "Marked"] {
        let (rule, assignee) = eval(absent);
        assert_eq!(rule, "line:9", "`{absent}` is not in the lookup");
        assert_eq!(assignee, "maria@acme.io");
    }
}

const BIG_RULES: &str = r#"schema lead {
  id: string
  n: int
}
team above = ["a@acme.io"]
team rest = ["r@acme.io"]
when n > 9007199254740992 -> team above
when n < -9223372036854775807 -> team above
when n > 9223372036854775806 -> team above
otherwise -> team rest
"#;

#[test]
fn ints_beyond_two_to_the_53_compare_as_ints_in_eval() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "routing.route", BIG_RULES);
    let team = |n: &str| {
        let lead = format!(r#"{{"id":"1","n":{n}}}"#);
        let r = route_in(dir.path(), &["eval", "routing.route", "--lead", &lead]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let record: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
        (record["rule"].as_str().unwrap().to_string(), record["team"].as_str().unwrap().to_string())
    };
    // As f64, 2^53 + 1 rounds to 2^53 and the first rule failed.
    assert_eq!(team("9007199254740993"), ("line:7".into(), "above".into()));
    assert_eq!(team("9007199254740992"), ("line:10".into(), "rest".into()));
    assert_eq!(team("-9223372036854775808"), ("line:8".into(), "above".into()));
    assert_eq!(team("-9223372036854775807"), ("line:10".into(), "rest".into()));
}

#[test]
fn check_does_not_prove_comparisons_at_i64_max_impossible() {
    let dir = tempfile::tempdir().unwrap();
    let rules = BIG_RULES.replace("when n > 9007199254740992 -> team above\n", "");
    write(dir.path(), "routing.route", &rules);
    let r = route_in(dir.path(), &["check", "routing.route", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let codes: Vec<&str> =
        report["diagnostics"].as_array().unwrap().iter().filter_map(|d| d["code"].as_str()).collect();
    // Before: W0104 "never true" on `n > 9223372036854775806` (i64::MAX
    // satisfies it) and on `n < -9223372036854775807`.
    assert!(!codes.contains(&"W0104") && !codes.contains(&"W0101"), "{}", r.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
