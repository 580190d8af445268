//! Every diagnostic code has a fixture on disk; each fixture's source and
//! rendered diagnostics are snapshotted together.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use route::analysis;
use route::compile::{compile, Budget};
use route::diagnostics::{human, Code};

/// A fixture is `NAME.route`, or a directory `NAME/` whose entry file is
/// `routing.route` (for imports).
fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            if p.is_dir() {
                Some(p.join("routing.route"))
            } else if p.extension().is_some_and(|e| e == "route") {
                Some(p)
            } else {
                None
            }
        })
        .collect();
    out.sort();
    out
}

fn fixture_name(entry: &Path) -> String {
    let named = if entry.file_name().is_some_and(|n| n == "routing.route") { entry.parent().unwrap() } else { entry };
    named.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Renders a fixture: every file's source, then the diagnostics: the
/// checker's, then (for a program that checks) the analysis's, with
/// overlaps.
fn render(entry: &Path) -> (String, route::check::Checked) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = entry.strip_prefix(root).unwrap();
    let text = std::fs::read_to_string(entry).unwrap();
    let mut checked = route::check::check_source(&relative.display().to_string(), entry, text);
    if let Some(program) = &checked.program {
        let dag = compile(program, Budget::for_program(program));
        let options = analysis::Options { overlaps: true };
        let mut found = analysis::analyse(program, &dag, &checked.sources, &options).diagnostics;
        found.sort();
        checked.diagnostics.extend(found);
    }
    let mut out = String::new();
    let mut id = 0;
    while let Some(file) = checked.sources.get(route::source::FileId(id)) {
        let name = Path::new(&file.name).strip_prefix(root).map_or(file.name.clone(), |p| p.display().to_string());
        out.push_str(&format!("--- {name}\n{}\n", file.text.trim_end()));
        id += 1;
    }
    let rendered =
        human::render_to_string(&checked.sources, &checked.diagnostics).replace(&format!("{}/", root.display()), "");
    out.push_str("--- diagnostics\n");
    out.push_str(&rendered);
    (out, checked)
}

#[test]
fn diagnostic_fixtures() {
    for entry in fixtures() {
        let (rendered, _) = render(&entry);
        insta::with_settings!({ snapshot_suffix => fixture_name(&entry), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("diagnostic", rendered);
        });
    }
}

#[test]
fn every_code_has_a_fixture_that_emits_it() {
    let mut emitted = BTreeSet::new();
    for entry in fixtures() {
        let name = fixture_name(&entry);
        let (_, checked) = render(&entry);
        let codes: BTreeSet<&str> = checked.diagnostics.0.iter().map(|d| d.code.as_str()).collect();
        let own = &name[..5];
        assert!(codes.contains(own), "fixture {name} does not emit {own}; it emits {codes:?}");
        emitted.extend(codes);
    }
    // Codes whose input cannot sensibly live on disk, with the test that covers them.
    let elsewhere = [
        (Code::FileTooLarge, "robustness::a_fifty_megabyte_rule_file_is_refused_with_a_diagnostic"),
        (Code::ProjectFileTooLarge, "check_hardening::a_lookup_past_the_size_limit_is_refused_without_reading_it"),
        // Reaching a compile budget takes thousands of numbers of source.
        (Code::CompileBudget, "budgets::a_long_in_list_stops_at_the_work_budget_and_says_so"),
        // Roster checks need a roster: tests/fixtures/distribution/staffing/.
        (Code::NoAvailableMember, "distribution_staffing::every_staffing_code_has_a_fixture_that_emits_it"),
        (Code::UnstaffedHours, "distribution_staffing::every_staffing_code_has_a_fixture_that_emits_it"),
        (Code::IdleWeight, "distribution_staffing::every_staffing_code_has_a_fixture_that_emits_it"),
        (Code::UnusedRosterMember, "distribution_staffing::every_staffing_code_has_a_fixture_that_emits_it"),
        (Code::CapsBelowVolume, "distribution_staffing::every_staffing_code_has_a_fixture_that_emits_it"),
        // Test-file codes need a test file: tests/fixtures/testing/diagnostics/.
        (Code::TestSyntax, "testing::every_test_code_has_a_fixture_that_emits_it"),
        (Code::UnknownRule, "testing::every_test_code_has_a_fixture_that_emits_it"),
        (Code::UnknownQueue, "testing::every_test_code_has_a_fixture_that_emits_it"),
        (Code::InvalidTestLead, "testing::every_test_code_has_a_fixture_that_emits_it"),
        (Code::DuplicateLeadField, "testing::every_test_code_has_a_fixture_that_emits_it"),
        (Code::TestRoster, "testing::every_test_code_has_a_fixture_that_emits_it"),
        (Code::TestNow, "testing::every_test_code_has_a_fixture_that_emits_it"),
        (Code::CaseExpectation, "testing::every_test_code_has_a_fixture_that_emits_it"),
    ];
    emitted.extend(elsewhere.iter().map(|(code, _)| code.as_str()));
    let missing: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).filter(|c| !emitted.contains(c)).collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

#[test]
fn every_diagnostic_has_a_code_a_label_and_a_message() {
    for entry in fixtures() {
        let (_, checked) = render(&entry);
        for d in &checked.diagnostics.0 {
            assert!(!d.message.is_empty());
            assert!(
                d.labels.iter().any(|l| l.primary),
                "{}: {} has no primary label",
                fixture_name(&entry),
                d.code.as_str()
            );
            assert!(!d.message.ends_with('.'), "messages have no final period: {}", d.message);
        }
    }
}

#[test]
fn every_code_is_documented() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md")).unwrap();
    for code in Code::ALL {
        assert!(
            docs.contains(&format!("## {}: {}", code.as_str(), code.title())),
            "{} is not in docs/diagnostics.md",
            code.as_str()
        );
    }
}
