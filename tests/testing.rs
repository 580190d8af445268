//! `route test` through the library: every test-file diagnostic has a
//! fixture (snapshotted with its source), and the reports (text, JSON,
//! JUnit) of a suite with every kind of failure are snapshotted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use route::analysis::{analyse, Options};
use route::check::Checked;
use route::compile::{compile, Budget};
use route::diagnostics::{human, Code, Diagnostics};
use route::testing::cases::Table;
use route::testing::resolve::Project;
use route::testing::{self, coverage, report, run, Names};
use rustc_hash::FxHashSet;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture project, checked; paths relative to the crate root so
/// rendered output is the same on every machine.
fn project(dir: &str) -> Checked {
    let entry = PathBuf::from(dir).join("routing.route");
    let text = std::fs::read_to_string(root().join(&entry)).unwrap();
    let checked = route::check::check_source(&entry.display().to_string(), &root().join(&entry), text);
    assert!(checked.program.is_some(), "{:?}", checked.diagnostics);
    checked
}

fn diagnostic_fixtures() -> Vec<PathBuf> {
    let dir = Path::new("tests/fixtures/testing/diagnostics");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| dir.join(e.unwrap().file_name()))
        .filter(|p| p.to_string_lossy().ends_with(".test.route") || p.extension().is_some_and(|e| e == "csv"))
        .collect();
    out.sort();
    out
}

/// A fixture's text and the diagnostics `route test` reports for it (the
/// project directory is `tests/fixtures/testing`, so rosters beyond it are
/// refused).
fn render_fixture(path: &Path) -> (String, Diagnostics) {
    let checked = project("tests/fixtures/testing/project");
    let program = checked.program.as_ref().unwrap();
    let mut sources = checked.sources;
    let project = Project {
        program,
        names: Names::of(program),
        dir: root().join("tests/fixtures/testing").canonicalize().unwrap(),
    };
    let mut diagnostics = Diagnostics::default();
    if path.extension().is_some_and(|e| e == "csv") {
        let table = Table::read(path).unwrap();
        let setting = (route::eval::Roster::default(), jiff::Timestamp::UNIX_EPOCH);
        table.group(program, &project.names, &mut sources, &mut diagnostics, setting).unwrap();
    } else {
        testing::load(&project, &mut sources, path, &mut diagnostics).unwrap();
    }
    diagnostics.sort();
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let rendered = human::render_to_string(&sources, &diagnostics);
    (format!("--- {}\n{}\n--- diagnostics\n{rendered}", path.display(), text.trim_end()), diagnostics)
}

#[test]
fn test_file_diagnostics() {
    for path in diagnostic_fixtures() {
        let (rendered, _) = render_fixture(&path);
        let name = path.file_name().unwrap().to_string_lossy().split('.').next().unwrap().to_string();
        insta::with_settings!({ snapshot_suffix => name, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("test_diagnostic", rendered);
        });
    }
}

#[test]
fn every_test_code_has_a_fixture_that_emits_it() {
    let mut emitted = BTreeSet::new();
    for path in diagnostic_fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (_, diagnostics) = render_fixture(&path);
        let codes: BTreeSet<&str> = diagnostics.0.iter().map(|d| d.code.as_str()).collect();
        assert!(!codes.is_empty(), "{name} emits nothing");
        if name.starts_with('E') || name.starts_with('W') {
            assert!(codes.contains(&name[..5]), "{name} does not emit its code; it emits {codes:?}");
        }
        for d in &diagnostics.0 {
            assert!(d.labels.iter().any(|l| l.primary) && !d.message.ends_with('.'), "{name}: {}", d.message);
        }
        emitted.extend(codes.into_iter().map(str::to_string));
    }
    let ours = Code::ALL.iter().map(|c| c.as_str()).filter(|c| c.starts_with("E04") || c.starts_with("W04"));
    let missing: Vec<&str> = ours.filter(|c| !emitted.contains(*c)).collect();
    assert!(missing.is_empty(), "test-file codes without a fixture: {missing:?}");
}

#[test]
fn the_reused_check_codes_point_into_the_test_file() {
    let (_, diagnostics) = render_fixture(Path::new("tests/fixtures/testing/diagnostics/schema_checks.test.route"));
    let codes: BTreeSet<&str> = diagnostics.0.iter().map(|d| d.code.as_str()).collect();
    for code in ["E0107", "E0108", "E0202", "E0203"] {
        assert!(codes.contains(code), "{code} missing from {codes:?}");
    }
    let unknown = diagnostics.0.iter().find(|d| d.code == Code::UnknownField).unwrap();
    assert_eq!(unknown.help.as_deref(), Some("did you mean `email`?"));
}

/// Runs the suite of `dir` as `route test` does and returns its outcomes
/// and coverage.
fn run_suite(dir: &str) -> (Vec<testing::TestOutcome>, testing::Coverage, Diagnostics) {
    let checked = project(dir);
    let program = checked.program.as_ref().unwrap();
    let mut sources = checked.sources;
    let project = Project { program, names: Names::of(program), dir: root().join(dir).canonicalize().unwrap() };
    let mut diagnostics = Diagnostics::default();
    let path = PathBuf::from(dir).join("routing.test.route");
    let groups = testing::load(&project, &mut sources, &path, &mut diagnostics).unwrap();
    let dag = compile(program, Budget::for_program(program));
    let mut reached = FxHashSet::default();
    let outcomes = run::run(program, &dag, &sources, &groups, &mut reached);
    let analysis = analyse(program, &dag, &sources, &Options { overlaps: false });
    (outcomes, coverage::coverage(program, &analysis, &reached), diagnostics)
}

#[test]
fn a_passing_suite_passes_with_full_coverage() {
    let (outcomes, coverage, diagnostics) = run_suite("tests/fixtures/testing/project");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(outcomes.len(), 5);
    assert!(outcomes.iter().all(|o| o.passed()), "{outcomes:#?}");
    assert_eq!((coverage.covered, coverage.reachable), (4, 4));
    assert!(report::human(&outcomes, &coverage).ends_with("\n5 passed, 0 failed\n"));
}

#[test]
fn failures_are_explained_in_text_json_and_junit() {
    let (outcomes, coverage, diagnostics) = run_suite("tests/fixtures/testing/failing");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let text = report::human(&outcomes, &coverage);
    assert!(text.ends_with("\n1 passed, 5 failed\n"));
    insta::assert_snapshot!("failing_human", text);
    let json = report::json(&outcomes, &coverage, &route::diagnostics::json::report(&Default::default(), &diagnostics));
    insta::assert_json_snapshot!("failing_json", json);
    insta::assert_snapshot!("failing_junit", report::junit(&outcomes, &[]));
}

/// The ```route-test blocks of docs/testing.md, in order.
fn doc_tests() -> Vec<(usize, String)> {
    let markdown = std::fs::read_to_string(root().join("docs/testing.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in markdown.lines().enumerate() {
        match current.take() {
            None if line.trim() == "```route-test" => current = Some((number + 1, String::new())),
            None => {}
            Some(block) if line.trim() == "```" => blocks.push(block),
            Some((start, text)) => current = Some((start, text + line + "\n")),
        }
    }
    blocks
}

#[test]
fn the_test_file_examples_in_docs_testing_md_pass_against_the_quickstart() {
    let blocks = doc_tests();
    assert!(blocks.len() >= 3, "only {} route-test blocks", blocks.len());
    let dir = tempfile::tempdir().unwrap();
    for (i, (line, block)) in blocks.iter().enumerate() {
        let path = dir.path().join(format!("doc{i}.test.route"));
        std::fs::write(&path, block).unwrap();
        let checked = route::check::check_file(&root().join("examples/quickstart/routing.route")).unwrap();
        let program = checked.program.as_ref().unwrap();
        let mut sources = checked.sources;
        let project = Project { program, names: Names::of(program), dir: dir.path().canonicalize().unwrap() };
        let mut diagnostics = Diagnostics::default();
        let groups = testing::load(&project, &mut sources, &path, &mut diagnostics).unwrap();
        assert!(diagnostics.is_empty(), "docs/testing.md:{line}: {}", human::render_to_string(&sources, &diagnostics));
        let dag = compile(program, Budget::for_program(program));
        let outcomes = run::run(program, &dag, &sources, &groups, &mut FxHashSet::default());
        assert!(!outcomes.is_empty() && outcomes.iter().all(|o| o.passed()), "docs/testing.md:{line}: {outcomes:#?}");
    }
}
