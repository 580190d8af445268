//! Issue 7, checker part, through the binary: lookup cells that are absent,
//! integers compared as integers, and the file-access policy of imports and
//! lookups.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

use assert_cmd::Command;

use cli_support::{run_in as route_in, Run};

mod cli_support;

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
        (
            record["rule"].as_str().unwrap_or_default().to_string(),
            record["assignee"].as_str().unwrap_or_default().to_string(),
        )
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

fn codes_of(r: &Run) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|_| panic!("{}", r.stderr));
    report["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect()
}

const LOOKUP_OF: &str = r#"schema lead { id: string, email: string }
lookup owners from "PATH" key email value owner
when email in owners -> queue q
otherwise -> queue q
"#;

#[test]
fn a_lookup_of_the_environment_is_refused_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "routing.route", &LOOKUP_OF.replace("PATH", "/proc/self/environ"));
    for format in ["json", "sarif", "github", "human"] {
        let output = Command::cargo_bin("route")
            .unwrap()
            .current_dir(dir.path())
            .env("ROUTE_TEST_SECRET", "hunter2-do-not-print")
            .args(["check", "routing.route", "--format", format])
            .output()
            .unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(all.contains("E0114"), "{all}");
        assert!(!all.contains("hunter2"), "{format} printed the environment: {all}");
    }
}

#[test]
fn an_import_climbing_out_of_the_project_is_refused_without_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let rules = "import \"../../../../../../../../etc/passwd\"\nschema lead { id: string }\notherwise -> queue q\n";
    write(dir.path(), "routing.route", rules);
    let r = route_in(dir.path(), &["check", "routing.route", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(codes_of(&r), ["E0114"]);
    assert!(!r.stdout.contains("root:"), "{}", r.stdout);
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mkfifo").arg(dir.path().join("pipe.csv")).status().unwrap();
    assert!(status.success());
    write(dir.path(), "routing.route", &LOOKUP_OF.replace("PATH", "pipe.csv"));
    write(dir.path(), "dev.route", &LOOKUP_OF.replace("PATH", "/dev/zero"));
    write(dir.path(), "stdin.route", "import \"/dev/stdin\"\nschema lead { id: string }\notherwise -> queue q\n");
    let run = |args: &[&str]| {
        let output = Command::cargo_bin("route")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let r = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        codes_of(&r)
    };
    assert_eq!(run(&["check", "routing.route", "--format", "json"]), ["E0115"]);
    assert_eq!(run(&["check", "dev.route", "--format", "json", "--allow-path", "/dev"]), ["E0115"]);
    assert_eq!(run(&["check", "dev.route", "--format", "json"]), ["E0114"]);
    let stdin = run(&["check", "stdin.route", "--format", "json", "--allow-path", "/dev", "--allow-path", "/proc"]);
    assert!(stdin == ["E0115"] || stdin == ["E0101"], "{stdin:?}");
}

#[test]
fn allowed_directories_are_read_but_their_content_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let shared = tempfile::tempdir().unwrap();
    write(shared.path(), "owners.csv", "email,owner\na@x.io,secret-owner-1\na@x.io,secret-owner-2\n");
    let path = shared.path().join("owners.csv");
    write(dir.path(), "routing.route", &LOOKUP_OF.replace("PATH", &path.display().to_string()));
    let refused = route_in(dir.path(), &["check", "routing.route", "--format", "json"]);
    assert_eq!(codes_of(&refused), ["E0114"]);
    let shared_dir = shared.path().display().to_string();
    let allowed = route_in(dir.path(), &["check", "routing.route", "--format", "json", "--allow-path", &shared_dir]);
    assert_eq!(codes_of(&allowed), ["E0308"], "{}", allowed.stdout);
    assert!(!allowed.stdout.contains("secret-owner"), "{}", allowed.stdout);
    assert!(!allowed.stdout.contains("a@x.io"), "{}", allowed.stdout);
    // The same file inside the project is the user's own: quoted.
    write(dir.path(), "owners.csv", "email,owner\na@x.io,secret-owner-1\na@x.io,secret-owner-2\n");
    write(dir.path(), "routing.route", &LOOKUP_OF.replace("PATH", "owners.csv"));
    let inside = route_in(dir.path(), &["check", "routing.route", "--format", "json"]);
    assert!(inside.stdout.contains("secret-owner-2"), "{}", inside.stdout);
}

#[test]
fn a_lookup_past_the_size_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: no disk space, and the limit is checked before reading.
    let file = std::fs::File::create(dir.path().join("huge.csv")).unwrap();
    file.set_len(route::check::files::MAX_TABLE_BYTES + 1).unwrap();
    write(dir.path(), "routing.route", &LOOKUP_OF.replace("PATH", "huge.csv"));
    let started = std::time::Instant::now();
    let r = route_in(dir.path(), &["check", "routing.route", "--format", "json"]);
    assert_eq!(codes_of(&r), ["E0116"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn a_missing_allowed_directory_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "routing.route", "schema lead { id: string }\notherwise -> queue q\n");
    let r = route_in(dir.path(), &["check", "routing.route", "--allow-path", "no/such/dir"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--allow-path no/such/dir"), "{}", r.stderr);
}

#[test]
fn a_float_field_compares_exactly_with_an_int_beyond_two_to_the_53() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "routing.route",
        "schema lead { id: string, f: float }\nwhen f > -9007199254740993 -> queue a\notherwise -> queue b\n",
    );
    // -(2^53 + 1) rounds to -2^53 as an f64: the lead at -2^53 failed.
    let r = route_in(dir.path(), &["eval", "routing.route", "--lead", r#"{"id":"1","f":-9007199254740992.0}"#]);
    assert!(r.stdout.contains(r#""queue":"a""#), "{}", r.stdout);
}
