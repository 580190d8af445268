//! `route test` end to end: the binary on the examples and fixtures, its
//! exit codes, case tables and `--bless`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

use cli_support::Run;

mod cli_support;

/// `route test ARGS` in the crate's root.
fn run(args: &[&str]) -> Run {
    cli_support::run(&[&["test"], args].concat())
}

/// The totals line, which must be the last line of the text report.
fn totals(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or("")
}

#[test]
fn the_examples_pass_with_full_coverage() {
    for (example, tests) in [("examples/quickstart", "7 passed, 0 failed"), ("examples/acme", "32 passed, 0 failed")] {
        let r = run(&[example, "--coverage-min", "100"]);
        assert_eq!(r.code, 0, "{example}: {}{}", r.stdout, r.stderr);
        assert_eq!(totals(&r.stdout), tests, "{example}");
        assert!(!r.stdout.contains("not reached"), "{example}: {}", r.stdout);
        let coverage = r.stdout.lines().find(|l| l.starts_with("coverage:")).unwrap();
        let (covered, reachable) = coverage["coverage: ".len()..].split_once(" of ").unwrap();
        assert_eq!(covered, reachable.split(' ').next().unwrap(), "{example}: {coverage}");
        assert_eq!(r.stderr, "", "{example}");
    }
}

#[test]
fn the_acme_case_table_passes() {
    let r = run(&["examples/acme", "--cases", "examples/acme/tests/crm_cases.csv"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // 32 tests and 20 rows.
    assert_eq!(totals(&r.stdout), "52 passed, 0 failed");
}

#[test]
fn a_failing_suite_exits_one_and_explains_each_failure() {
    let r = run(&["tests/fixtures/testing/failing"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(totals(&r.stdout), "1 passed, 5 failed");
    assert!(r.stdout.contains("why: `emea_big` does not match: `employees > 5000` is false (the lead has `4000`)"));
}

#[test]
fn json_and_junit_go_to_stdout() {
    let r = run(&["tests/fixtures/testing/failing", "--format", "json"]);
    assert_eq!(r.code, 1);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((report["passed"].as_u64(), report["failed"].as_u64()), (Some(1), Some(5)));
    assert_eq!(report["coverage"]["reachable"], 4);
    let r = run(&["tests/fixtures/testing/failing", "--format", "junit"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("<?xml"));
    assert!(r.stdout.contains("<testsuites name=\"route test\" tests=\"6\" failures=\"5\" errors=\"0\">"));
}

#[test]
fn errors_in_test_files_exit_one_with_diagnostics() {
    // The fixture project's own directory holds a clean suite; point at
    // a copy whose test file has an unknown rule.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("tests/fixtures/testing/project/routing.route"), dir.path().join("routing.route")).unwrap();
    std::fs::copy(
        root.join("tests/fixtures/testing/diagnostics/E0402_unknown_rule.test.route"),
        dir.path().join("a.test.route"),
    )
    .unwrap();
    let r = run(&[dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[E0402]: no rule is named `emea_bgi`"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `emea_big`?"));
    let r = run(&[dir.path().to_str().unwrap(), "--format", "junit"]);
    assert!(r.stdout.contains("<error message=\""), "{}", r.stdout);
}

#[test]
fn a_project_with_errors_or_a_missing_table_cannot_be_tested() {
    let r = run(&["tests/fixtures/cli/broken.route"]);
    assert_eq!(r.code, 1);
    let r = run(&["tests/fixtures/testing/project", "--cases", "tests/fixtures/testing/cases/missing.csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("missing.csv"));
}

#[test]
fn case_tables_check_their_expectation_columns() {
    let r = run(&["tests/fixtures/testing/project", "--cases", "tests/fixtures/testing/cases/cases.csv"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // 5 tests in the project's test file, 4 rows.
    assert_eq!(totals(&r.stdout), "9 passed, 0 failed");
    let r = run(&["tests/fixtures/testing/project", "--cases", "tests/fixtures/testing/cases/wrong.jsonl"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("FAIL W1 (tests/fixtures/testing/cases/wrong.jsonl:1)"), "{}", r.stdout);
    assert!(r.stdout.contains("expected rule `big`, got rule `emea_big`"));
}

#[test]
fn bless_fills_empty_expectations_once() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("cases.csv");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("tests/fixtures/testing/cases/unblessed.csv"), &table).unwrap();
    let args = ["tests/fixtures/testing/project", "--cases", table.to_str().unwrap(), "--bless"];
    let r = run(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("blessed 3 expectation cell(s)"), "{}", r.stderr);
    let expected = std::fs::read_to_string(root.join("tests/fixtures/testing/cases/blessed.csv")).unwrap();
    assert_eq!(std::fs::read_to_string(&table).unwrap(), expected);
    let r = run(&args);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("blessed 0 expectation cell(s)"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&table).unwrap(), expected, "a second bless changes nothing");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn bless_adds_the_usual_columns_to_a_jsonl_table_without_any() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("cases.jsonl");
    std::fs::write(
        &table,
        "{\"id\":\"J1\",\"email\":\"sam@uni.edu\",\"region\":\"NA\",\"employees\":3,\"x\":[1, 2]}\n",
    )
    .unwrap();
    let r = run(&["tests/fixtures/testing/project", "--cases", table.to_str().unwrap(), "--bless"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&table).unwrap(),
        "{\"id\":\"J1\",\"email\":\"sam@uni.edu\",\"region\":\"NA\",\"employees\":3,\"x\":[1, 2],\
         \"expect_rule\":\"students\",\"expect_queue\":\"nurture\",\"expect_reason\":\"matched\"}\n"
    );
}

#[test]
fn coverage_min_fails_a_suite_that_reaches_too_few_rules() {
    let r = run(&["tests/fixtures/testing/failing", "--coverage-min", "75"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("coverage 50.0% is below --coverage-min 75%"), "{}", r.stderr);
    let r = run(&["tests/fixtures/testing/project", "--coverage-min", "100"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["tests/fixtures/testing/project", "--coverage-min", "150"]);
    assert_eq!(r.code, 2);
}
