//! The binary end to end: stdout, stderr and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use assert_cmd::Command;

fn route() -> Command {
    let mut cmd = Command::cargo_bin("route").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, "")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    let output = route().args(args).write_stdin(stdin).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

const QUICKSTART: &str = "examples/quickstart";
const BROKEN: &str = "tests/fixtures/cli/broken.route";

#[test]
fn check_a_clean_project_exits_zero_with_a_summary() {
    let r = run(&["check", QUICKSTART]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "examples/quickstart/routing.route: 4 rules, 2 teams, 4 fields; ok\n");
}

#[test]
fn check_reports_every_error_and_exits_one() {
    let r = run(&["check", BROKEN]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("check_broken_human", r.stderr);
}

#[test]
fn check_json_follows_the_documented_shape() {
    let r = run(&["check", BROKEN, "--format", "json"]);
    assert_eq!(r.code, 1);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["errors"], 3);
    assert_eq!(report["warnings"], 0);
    let first = &report["diagnostics"][0];
    for key in ["severity", "code", "message", "file", "line", "column", "end_line", "end_column", "labels", "help"] {
        assert!(first.get(key).is_some(), "missing `{key}` in {first}");
    }
    insta::assert_json_snapshot!("check_broken_json", report);
}

#[test]
fn check_a_missing_project_exits_two() {
    let r = run(&["check", "no/such/project.route"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot read the routing project `no/such/project.route`"), "{}", r.stderr);
    assert!(r.stderr.contains("route::project"), "{}", r.stderr);
}

#[test]
fn bad_arguments_exit_two() {
    assert_eq!(run(&["check", QUICKSTART, "--format", "yaml"]).code, 2);
    assert_eq!(run(&["frobnicate"]).code, 2);
    let r = run(&["eval", QUICKSTART]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--lead"), "{}", r.stderr);
}

#[test]
fn eval_one_lead() {
    let r = run(&[
        "eval",
        QUICKSTART,
        "--lead",
        r#"{"id": "L1", "region": "Europe", "employees": 8000, "email": "x@y.com"}"#,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // "Europe" is no alias in the quickstart: the lead is invalid, and says why.
    insta::assert_snapshot!("eval_one_invalid_lead", r.stdout);
    let r = run(&[
        "eval",
        QUICKSTART,
        "--lead",
        r#"{"id": "L2", "region": "emea", "employees": 8000, "email": "x@y.com"}"#,
    ]);
    insta::assert_snapshot!("eval_one_lead", r.stdout);
}

#[test]
fn eval_a_csv_batch_gives_one_record_per_lead_in_order() {
    let r = run(&["eval", QUICKSTART, "--leads", "examples/quickstart/leads.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ids: Vec<String> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["lead"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (1..=10).map(|i| format!("Q{i:03}")).collect();
    assert_eq!(ids, expected);
    insta::assert_snapshot!("eval_quickstart_jsonl", r.stdout);
}

#[test]
fn eval_csv_output() {
    let r = run(&["eval", QUICKSTART, "--leads", "examples/quickstart/leads.csv", "--output", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("eval_quickstart_csv", r.stdout);
}

#[test]
fn eval_reads_stdin_with_an_explicit_format() {
    let leads = "{\"id\":\"A\",\"email\":\"a@b.edu\",\"region\":\"NA\",\"employees\":3}\nnot json\n\n{\"id\":\"B\",\"email\":\"b@c.com\",\"region\":\"EMEA\",\"employees\":9000}\n";
    let r = run_with_stdin(&["eval", QUICKSTART, "--leads", "-", "--input-format", "jsonl"], leads);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reasons: Vec<serde_json::Value> =
        r.stdout.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["reason"].clone()).collect();
    assert_eq!(reasons, ["matched", "invalid", "matched"]);

    // Without --input-format the first byte tells: `{` is JSONL.
    let sniffed = run_with_stdin(&["eval", QUICKSTART, "--leads", "-"], leads);
    assert_eq!((sniffed.code, &sniffed.stdout), (0, &r.stdout), "{}", sniffed.stderr);
}

#[test]
fn eval_explain_traces_every_rule_tried() {
    let r = run(&[
        "eval",
        QUICKSTART,
        "--explain",
        "--lead",
        r#"{"id": "L3", "region": "NA", "employees": 40, "email": "x@uni.edu"}"#,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("eval_explain", r.stdout);
}

#[test]
fn eval_falls_back_when_nobody_is_eligible() {
    let lead = r#"{"id": "L4", "region": "EMEA", "employees": 9000, "email": "x@y.com"}"#;
    let r = run(&["eval", QUICKSTART, "--roster", "tests/fixtures/cli/roster_unavailable.json", "--lead", lead]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let decision: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(decision["team"], "managers");
    assert_eq!(decision["assignee"], "maria@acme.io");
    assert_eq!(decision["fallback"], true);
    assert_eq!(decision["reason"], "fallback");
}

#[test]
fn eval_an_invalid_roster_lists_every_problem_with_its_path() {
    let r = run(&["eval", QUICKSTART, "--roster", "tests/fixtures/cli/roster_bad.json", "--lead", "{}"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(r#"members."ana@acme.io".timezone: `Europe/Berlinn` is not an IANA time zone"#),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(r#"members."ana@acme.io".hours: `9` is not a time like `09:00`"#), "{}", r.stderr);
    assert!(
        r.stderr.contains(r#"members."ben@acme.io".out_of_office[0]: `2026-12-31` is after `2026-12-24`"#),
        "{}",
        r.stderr
    );
}

#[test]
fn eval_a_broken_project_exits_one_without_output() {
    let r = run(&["eval", BROKEN, "--lead", "{}"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("error[E0107]"), "{}", r.stderr);
    assert!(r.stderr.contains("cannot route: the project has 3 error(s)"), "{}", r.stderr);
}

#[test]
fn eval_an_unknown_input_extension_exits_two() {
    let r = run(&["eval", QUICKSTART, "--leads", "README.md"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot tell the input format"), "{}", r.stderr);
}

#[test]
fn eval_writes_to_a_file_with_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("decisions.jsonl");
    let r = run(&["eval", QUICKSTART, "--leads", "examples/quickstart/leads.csv", "-o", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(std::fs::read_to_string(out).unwrap().lines().count(), 10);
}

#[test]
fn every_example_checks_clean_and_routes_every_lead() {
    for example in ["examples/quickstart", "examples/acme"] {
        let r = run(&["check", example, "--deny", "warnings"]);
        assert_eq!(r.code, 0, "{example}: {}", r.stderr);
        let leads = format!("{example}/leads.csv");
        let r = run(&["eval", example, "--leads", &leads, "--now", "2026-11-25T10:00:00Z"]);
        assert_eq!(r.code, 0, "{example}: {}", r.stderr);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(&leads).unwrap();
        assert_eq!(r.stdout.lines().count(), reader.records().count(), "{example}: records in != records out");
    }
}

#[test]
fn graph_lists_the_decision_dag() {
    let r = run(&["graph", QUICKSTART]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("graph_quickstart", r.stdout);
    let r = run(&["graph", QUICKSTART, "--stats", "--max-nodes", "2"]);
    assert!(r.stdout.contains("size budget of 2 nodes reached"), "{}", r.stdout);
    // Four rules are walked; acme's 28 are matched through the filter.
    assert!(!r.stdout.contains("bitset filter"), "{}", r.stdout);
    let r = run(&["graph", "examples/acme", "--stats"]);
    assert!(r.stdout.contains("matched through a bitset filter over every rule"), "{}", r.stdout);
}

#[test]
fn warnings_pass_unless_denied() {
    let project = "tests/fixtures/diagnostics/W0107_unused_team.route";
    let r = run(&["check", project]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning[W0107]"), "{}", r.stderr);
    assert_eq!(run(&["check", project, "--deny", "warnings"]).code, 1);
    assert_eq!(run(&["check", project, "--format", "json", "--deny", "warnings"]).code, 1);
}

#[test]
fn overlaps_are_reported_only_when_asked() {
    let project = "tests/fixtures/diagnostics/W0111_overlap.route";
    assert!(!run(&["check", project]).stderr.contains("note[W0111]"));
    let r = run(&["check", project, "--overlaps"]);
    assert!(r.stderr.contains("note[W0111]"), "{}", r.stderr);
}

#[test]
fn check_examples_writes_a_lead_per_reachable_rule_that_eval_routes_there() {
    let dir = tempfile::tempdir().unwrap();
    let examples = dir.path().join("examples.jsonl");
    let r = run(&["check", "examples/acme", "--examples", examples.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["eval", "examples/acme", "--leads", examples.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rules: Vec<String> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["rule"].as_str().unwrap().to_string())
        .collect();
    let program =
        route::check::check_file(std::path::Path::new("examples/acme/routing.route")).unwrap().program.unwrap();
    let every_rule: Vec<String> = program.rules.iter().map(|r| r.name.clone()).collect();
    assert_eq!(rules, every_rule, "one example per rule, each routed to its own rule");
}

#[test]
fn check_with_a_roster_reports_staffing() {
    let dir = "tests/fixtures/distribution/staffing/W0204_unused_roster_member";
    let roster = format!("{dir}/roster.json");
    let r = run(&["check", dir, "--roster", &roster]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning[W0204]"), "{}", r.stderr);
    assert!(!run(&["check", dir]).stderr.contains("warning[W0204]"));
    let r = run(&["check", dir, "--roster", "tests/fixtures/cli/roster_bad.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
