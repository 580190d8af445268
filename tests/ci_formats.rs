//! `route check --format github|sarif`: the CI integrations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

fn check(args: &[&str]) -> (i32, String) {
    let output = assert_cmd::Command::cargo_bin("route")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (output.status.code().unwrap(), String::from_utf8(output.stdout).unwrap())
}

#[test]
fn github_annotations_carry_file_line_column_and_end() {
    let (code, out) = check(&["tests/fixtures/cli/broken.route", "--format", "github"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("github_broken", out);
    for line in out.lines() {
        assert!(line.starts_with("::error file=tests/fixtures/cli/broken.route,line="), "{line}");
        assert!(line.contains(",col=") && line.contains(",endLine=") && line.contains(",endColumn="), "{line}");
    }
}

#[test]
fn github_escapes_newlines_and_separators() {
    let (_, out) = check(&["tests/fixtures/diagnostics/E0207_let_cycle.route", "--format", "github"]);
    assert_eq!(out.lines().count(), 1, "one annotation per diagnostic, newlines escaped: {out}");
    assert!(out.contains("%0Ahelp: "), "{out}");
}

fn validate_sarif(text: &str) -> serde_json::Value {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let log: serde_json::Value = serde_json::from_str(text).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF output does not follow the 2.1.0 schema:\n{}", errors.join("\n"));
    log
}

#[test]
fn sarif_follows_the_official_2_1_0_schema() {
    let (code, out) = check(&["tests/fixtures/cli/broken.route", "--format", "sarif"]);
    assert_eq!(code, 1);
    let log = validate_sarif(&out);
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "route");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["ruleId"], "E0107");
    assert_eq!(results[0]["level"], "error");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(6), Some(6)));
    // Every result's ruleIndex points at its rule.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn sarif_of_a_clean_project_is_valid_and_empty() {
    let (code, out) = check(&["examples/acme", "--format", "sarif"]);
    assert_eq!(code, 0);
    let log = validate_sarif(&out);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn sarif_for_multi_file_diagnostics_is_valid() {
    let (_, out) = check(&["tests/fixtures/diagnostics/E0102_import_cycle/routing.route", "--format", "sarif"]);
    let log = validate_sarif(&out);
    assert!(!log["runs"][0]["results"][0]["relatedLocations"].as_array().unwrap().is_empty());
}

#[test]
fn the_schema_check_can_fail() {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let wrong =
        serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]});
    assert!(validator.iter_errors(&wrong).count() >= 2);
}
