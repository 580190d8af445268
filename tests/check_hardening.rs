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
