//! Tables, `domain()`/`lower()` and scores end to end (LANGUAGE.md §11,
//! §13): the binary routes by table columns read from a CSV at check time,
//! a missing key makes every column absent, `rep TABLE[KEY].COLUMN` falls
//! back when the cell is empty, and `--scores`/`--explain` carry the scores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod cli_support;

use cli_support::route;
use serde_json::Value;

const PROJECT: &str = "tests/fixtures/tables";

fn eval(lead: &str, extra: &[&str]) -> Value {
    let mut args = vec!["eval", PROJECT, "--lead", lead, "--now", "2026-11-25T10:00:00Z"];
    args.extend(extra);
    let (code, stdout, stderr) = route(&args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(stdout.trim()).unwrap()
}

#[test]
fn a_domain_keys_a_case_insensitive_table_and_the_column_names_the_rep() {
    let d = eval(r#"{"id": "1", "email": "Ana.Keller@ACME.io", "country": "US"}"#, &[]);
    assert_eq!((d["rule"].as_str(), d["assignee"].as_str()), (Some("owned"), Some("ana@acme.io")));
}

#[test]
fn an_empty_rep_cell_takes_the_fallback() {
    // hooli.com is gold with an empty owner cell: the rep is absent.
    let d = eval(r#"{"id": "2", "email": "x@hooli.com", "country": "US"}"#, &["--explain"]);
    assert_eq!((d["rule"].as_str(), d["queue"].as_str()), (Some("owned"), Some("no_owner")));
    assert_eq!(d["fallback"], true);
    let note = &d["distribution"][0]["note"];
    assert_eq!(note, "the lead has no `companies[domain(email)].owner`");
    // An empty tier cell is absent, so `tier != "silver"` holds.
    let d = eval(r#"{"id": "2", "email": "x@initech.com", "country": "US"}"#, &[]);
    assert_eq!(d["assignee"], "ben@acme.io");
}

#[test]
fn a_key_not_in_the_table_makes_every_column_absent() {
    // No row: `tier != "silver"` holds (absent), but `domain(email) in
    // companies` does not, and the score gets none of the table's points.
    let d = eval(r#"{"id": "3", "email": "someone@example.com", "country": "US"}"#, &["--scores"]);
    assert_eq!(d["rule"], "line:22");
    assert_eq!(d["scores"], serde_json::json!([{"score": "fit", "value": 0}]));
}

#[test]
fn explain_lists_the_score_terms_that_counted() {
    let d = eval(r#"{"id": "4", "email": "x@acme.io", "country": "DE"}"#, &["--explain"]);
    assert_eq!(
        d["scores"],
        serde_json::json!([{
            "score": "fit",
            "value": 40,
            "counted": [
                "30 when companies[domain(email)].employees >= 1_000",
                "20 when companies[domain(email)].sector == \"software\"",
                "-10 when country != \"US\""
            ]
        }])
    );
    // Without --scores or --explain, no scores key.
    let plain = eval(r#"{"id": "4", "email": "x@acme.io", "country": "DE"}"#, &[]);
    assert!(plain.get("scores").is_none());
}

#[test]
fn csv_output_carries_the_scores_in_a_last_column() {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.csv");
    std::fs::write(&leads, "id,email,country\n1,x@acme.io,US\n2,y@globex.com,\n").unwrap();
    let (code, stdout, stderr) = route(&[
        "eval",
        PROJECT,
        "--leads",
        leads.to_str().unwrap(),
        "--output",
        "csv",
        "--scores",
        "--now",
        "2026-11-25T10:00:00Z",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].ends_with(",error_message,scores"), "{}", lines[0]);
    assert!(lines[1].ends_with(r#","[{""score"":""fit"",""value"":50}]""#), "{}", lines[1]);
    assert!(lines[2].ends_with(r#","[{""score"":""fit"",""value"":-10}]""#), "{}", lines[2]);
}

/// A project of `source` beside a copy of the fixture's companies.csv.
fn project_with_companies(source: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(format!("{}/{PROJECT}/companies.csv", env!("CARGO_MANIFEST_DIR")), dir.path().join("companies.csv"))
        .unwrap();
    let project = dir.path().join("routing.route");
    std::fs::write(&project, source).unwrap();
    (dir, project)
}

#[test]
fn check_examples_give_input_fields_only() {
    let (_dir, project) = project_with_companies(
        "schema lead {\n  account: string\n  n: int\n}\n\
         table companies from \"companies.csv\" key Domain { tier: \"gold\" | \"silver\"? from \"Tier\" }\n\
         gold: when companies[account].tier == \"gold\" -> queue gold\n\
         when n > 3 -> queue big\n",
    );
    let (code, stdout, stderr) = route(&["check", project.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let gap = report["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "W0102").unwrap();
    let keys: Vec<&String> = gap["example"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["account", "n"], "the example has input fields only");
}

#[test]
fn the_analysis_sees_through_a_table_column() {
    // Only `acme.io` is gold and only it has 1,000 employees or more, so
    // the second rule can never match: every lead it would take, the first
    // one takes.
    let (_dir, project) = project_with_companies(
        "schema lead {\n  account: string\n}\n\
         table companies from \"companies.csv\" key Domain { tier: \"gold\" | \"silver\"? from \"Tier\"\n  employees: int from \"Employees\" }\n\
         gold: when companies[account].tier == \"gold\" -> queue gold\n\
         big: when companies[account].employees >= 1_000 -> queue big\n\
         otherwise -> queue rest\n",
    );
    let (_, _, stderr) = route(&["check", project.to_str().unwrap()]);
    assert!(stderr.contains("warning[W0101]: rule `big` can never match"), "{stderr}");
}

#[test]
fn overlaps_through_a_score_give_an_input_only_example() {
    let (_dir, project) = project_with_companies(
        "schema lead {\n  account: string\n  n: int\n}\n\
         table companies from \"companies.csv\" key Domain { tier: \"gold\" | \"silver\"? from \"Tier\" }\n\
         score s {\n  5 when n > 3\n  10 when companies[account].tier == \"gold\"\n}\n\
         gold: when companies[account].tier == \"gold\" -> queue gold\n\
         big: when s >= 5 -> queue big\n\
         otherwise -> queue rest\n",
    );
    let (code, stdout, stderr) = route(&["check", project.to_str().unwrap(), "--overlaps", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let overlap = report["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "W0111").unwrap();
    // The only gold row is acme.io (hooli.com too): the example names one.
    let account = overlap["example"]["account"].as_str().unwrap();
    assert!(["acme.io", "hooli.com"].contains(&account), "{overlap}");
    assert_eq!(overlap["example"].as_object().unwrap().len(), 2, "input fields only: {overlap}");
}

#[test]
fn missing_markers_in_a_table_are_absent_and_a_bad_cell_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "key,size\na,-\nb,12\nc,twelve\n").unwrap();
    let project = dir.path().join("routing.route");
    let source = |ty: &str| {
        format!(
            "schema lead {{\n  missing: \"-\"\n  id: string\n  k: string\n}}\n\
             table t from \"t.csv\" key key {{ size: {ty} }}\n\
             sized: when t[k].size exists -> queue sized\notherwise -> queue other\n"
        )
    };
    std::fs::write(&project, source("int?")).unwrap();
    let (code, _, stderr) = route(&["check", project.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error[E0605]: `t.csv` line 4, column `size`: the cell `twelve` does not fit column `size`"),
        "{stderr}"
    );
    assert!(!stderr.contains("line 2"), "`-` is a missing marker, so absent: {stderr}");

    std::fs::write(dir.path().join("t.csv"), "key,size\na,-\nb,12\n").unwrap();
    for (k, queue) in [("a", "other"), ("b", "sized"), ("z", "other")] {
        let lead = format!(r#"{{"id": "1", "k": "{k}"}}"#);
        let (code, stdout, stderr) = route(&["eval", project.to_str().unwrap(), "--lead", &lead]);
        assert_eq!(code, 0, "{stderr}");
        let d: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(d["queue"], queue, "k = {k}");
    }
    // A required column may not be empty.
    std::fs::write(&project, source("int")).unwrap();
    let (_, _, stderr) = route(&["check", project.to_str().unwrap()]);
    assert!(stderr.contains("`t.csv` line 2, column `size`"), "{stderr}");
}

#[test]
fn diff_never_calls_two_versions_equivalent_when_a_table_changed() {
    // Same rules, but account `a` is gold in the old table and silver in
    // the new one: leads of `a` change destination.
    let dir = tempfile::tempdir().unwrap();
    for (version, rows) in [("old", "a,gold\nb,silver\n"), ("new", "a,silver\nb,silver\n")] {
        let at = dir.path().join(version);
        std::fs::create_dir(&at).unwrap();
        std::fs::write(at.join("t.csv"), format!("account,tier\n{rows}")).unwrap();
        std::fs::write(
            at.join("routing.route"),
            "schema lead {\n  id: string\n  account: string\n}\n\
             table t from \"t.csv\" key account { tier: \"gold\" | \"silver\" }\n\
             gold: when t[account].tier == \"gold\" -> queue gold\notherwise -> queue rest\n",
        )
        .unwrap();
    }
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    let (_, stdout, stderr) = route(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert!(!stdout.contains("equivalent"), "{stdout}{stderr}");
    assert!(stdout.contains("not proven") || stdout.contains("changes destination"), "{stdout}{stderr}");
}
