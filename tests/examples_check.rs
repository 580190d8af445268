//! The example projects under `examples/` are what users copy first: every
//! one of them must check without errors, and the `acme` project must stay a
//! realistic size (enough rules and enough leads to be worth evaluating).

// Test code: a panic with a message is how a failure is reported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use route::diagnostics::{human, Severity};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every directory under `examples/` is a routing project.
fn projects() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("examples/ is readable")
        .map(|entry| entry.expect("examples/ entry is readable").path())
        .filter(|path| path.is_dir())
        .collect();
    out.sort();
    out
}

fn check(dir: &Path) -> route::check::Checked {
    let entry = dir.join("routing.route");
    route::check::check_file(&entry).unwrap_or_else(|e| panic!("cannot read {}: {e}", entry.display()))
}

#[test]
fn there_are_example_projects() {
    let names: Vec<String> = projects().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in ["acme", "quickstart"] {
        assert!(names.iter().any(|n| n == expected), "examples/{expected} is missing; found {names:?}");
    }
}

#[test]
fn every_example_checks_without_errors() {
    let mut failures = String::new();
    for dir in projects() {
        let checked = check(&dir);
        let errors = checked.diagnostics.0.iter().filter(|d| d.severity == Severity::Error).count();
        if errors > 0 || checked.program.is_none() {
            failures.push_str(&format!(
                "\n=== {}: {errors} error(s)\n{}",
                dir.display(),
                human::render_to_string(&checked.sources, &checked.diagnostics)
            ));
        }
    }
    assert!(failures.is_empty(), "example projects with errors:{failures}");
}

#[test]
fn acme_has_at_least_25_rules() {
    let checked = check(&examples_dir().join("acme"));
    let rendered = human::render_to_string(&checked.sources, &checked.diagnostics);
    let program = checked.program.unwrap_or_else(|| panic!("examples/acme does not check:\n{rendered}"));
    assert!(program.rules.len() >= 25, "examples/acme has only {} rules", program.rules.len());
}

#[test]
fn acme_leads_csv_has_at_least_1000_rows() {
    let path = examples_dir().join("acme/leads.csv");
    // The file is deliberately dirty (ragged rows included), so read it leniently.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header = reader.headers().expect("leads.csv has a header").clone();
    assert_eq!(header.get(0), Some("id"), "leads.csv must start with its header row");
    let mut rows = 0;
    for record in reader.records() {
        record.expect("leads.csv row is readable CSV");
        rows += 1;
    }
    assert!(rows >= 1000, "examples/acme/leads.csv has only {rows} data rows");
}
