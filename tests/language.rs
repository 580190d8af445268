//! Every example of LANGUAGE.md is a fixture that parses and checks clean.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::{Path, PathBuf};

fn language_fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/language");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            if p.is_dir() {
                Some(p.join("routing.route"))
            } else {
                p.extension().is_some_and(|e| e == "route").then_some(p)
            }
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_language_example_checks_clean() {
    let fixtures = language_fixtures();
    assert!(fixtures.len() >= 8, "expected a fixture per LANGUAGE.md example");
    for path in fixtures {
        let checked = route::check::check_file(&path).unwrap();
        let rendered = route::diagnostics::human::render_to_string(&checked.sources, &checked.diagnostics);
        assert!(checked.diagnostics.is_empty(), "{}:\n{rendered}", path.display());
        assert!(checked.program.is_some_and(|p| !p.rules.is_empty()), "{} has no rules", path.display());
    }
}

#[test]
fn the_design_card_sentence_parses_exactly_as_written() {
    let sentence =
        r#"when region == "EMEA" and employees > 5000 -> team enterprise_emea via round_robin else fallback managers"#;
    let (module, diagnostics) = route::syntax::parse(route::source::FileId(0), sentence);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let [route::syntax::ast::Item::Rule(rule)] = module.items.as_slice() else { panic!("one rule expected") };
    let route::syntax::ast::RuleKind::When { action, .. } = &rule.kind else { panic!("a when rule") };
    assert_eq!(action.fallbacks.len(), 1);
    let route::syntax::ast::Target::Team { name, strategy, .. } = &action.target else { panic!("a team target") };
    assert_eq!(name.name, "enterprise_emea");
    assert_eq!(strategy.as_ref().map(|s| s.name.name.as_str()), Some("round_robin"));
}

#[test]
fn imports_bring_declarations_from_other_files() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/language/imports/routing.route");
    let checked = route::check::check_file(&path).unwrap();
    let program = checked.program.unwrap();
    assert_eq!(program.teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["enterprise_emea", "managers"]);
    assert!(checked.sources.get(route::source::FileId(1)).is_some_and(|f| f.name.ends_with("teams.route")));
}
