//! The analysis on hand-written projects: LANGUAGE.md §9's examples, what
//! the labels name, and witnesses and gap examples taken through `route
//! eval --lead` end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

use assert_cmd::Command;
use route::analysis::{analyse, lead_to_json, Analysis, Options};
use route::check::program::{Program, RuleId};
use route::compile::{compile, Budget};
use route::diagnostics::{Code, Diagnostic};
use route::source::SourceMap;

const SCHEMA: &str = r#"
schema lead {
  id: string
  email: string
  company: string
  region: "NA" | "EMEA" | "APAC" | "LATAM"
  state: string?
  employees: int
  revenue: float
  score: int
  is_customer: bool
  account_id: string?
  interests: list<string>
}
team a = ["ana@acme.io"]
team b = ["ben@acme.io"]
"#;

struct Project {
    text: String,
    sources: SourceMap,
    program: Program,
    analysis: Analysis,
}

fn project(rules: &str) -> Project {
    project_with_budget(rules, None)
}

fn project_with_budget(rules: &str, budget: Option<Budget>) -> Project {
    let text = format!("{SCHEMA}\n{rules}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docs/snippet.route");
    let checked = route::check::check_source("snippet.route", &path, text.clone());
    assert!(!checked.diagnostics.has_errors(), "{:?}", checked.diagnostics);
    let program = checked.program.unwrap();
    let dag = compile(&program, budget.unwrap_or_else(|| Budget::for_program(&program)));
    let analysis = analyse(&program, &dag, &checked.sources, &Options { overlaps: true });
    Project { text, sources: checked.sources, program, analysis }
}

impl Project {
    fn with_code(&self, code: Code) -> Vec<&Diagnostic> {
        self.analysis.diagnostics.0.iter().filter(|d| d.code == code).collect()
    }

    fn text_of(&self, span: route::source::Span) -> &str {
        self.sources.snippet(span)
    }

    fn rule(&self, name: &str) -> RuleId {
        RuleId(self.program.rules.iter().position(|r| r.name == name).unwrap() as u32)
    }

    /// Writes the project to a temporary directory, for the binary.
    fn on_disk(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("routing.route"), &self.text).unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docs/accounts.csv"),
            dir.path().join("accounts.csv"),
        )
        .unwrap();
        dir
    }
}

/// `route eval --lead` on a lead: its `rule` and `reason`.
fn eval(dir: &Path, lead: &serde_json::Value) -> (serde_json::Value, String) {
    let out = Command::cargo_bin("route")
        .unwrap()
        .current_dir(dir)
        .args(["eval", "--lead", &lead.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| panic!("{stdout}"));
    (record["rule"].clone(), record["reason"].as_str().unwrap_or("").to_string())
}

#[test]
fn language_examples_of_always_true_and_never_true_conditions() {
    let p = project(
        r#"
        when region == "NA" and (employees > 5 or employees <= 5) -> team a
        when region == "NA" and region == "EMEA" -> team b
        otherwise -> team b
        "#,
    );
    let always = p.with_code(Code::AlwaysTrue);
    assert_eq!(always.len(), 1);
    assert_eq!(p.text_of(always[0].span()), "employees > 5 or employees <= 5");
    let never = p.with_code(Code::AlwaysFalse);
    assert_eq!(never.len(), 1);
    assert_eq!(p.text_of(never[0].span()), r#"region == "NA" and region == "EMEA""#);
    // A never-true rule is not also reported as shadowed.
    assert!(p.with_code(Code::UnreachableRule).is_empty());
    assert_eq!(p.analysis.unreachable, vec![RuleId(1)]);
}

#[test]
fn an_unreachable_rule_names_the_rules_that_shadow_it() {
    let p = project(
        r#"
        big: when employees >= 1000 -> team a
        edu: when email ends_with ".edu" -> team b
        small: when employees < 10 -> team b
        shadowed: when (employees > 5000 or employees < 3) and region == "EMEA" -> team b
        edu_uk: when email ends_with ".ac.edu" and employees < 1000 -> team a
        otherwise -> team a
        "#,
    );
    let warnings = p.with_code(Code::UnreachableRule);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    let shadowed = warnings.iter().find(|d| p.text_of(d.span()).starts_with("shadowed")).unwrap();
    let named: Vec<&str> = shadowed.labels.iter().filter(|l| !l.primary).map(|l| p.text_of(l.span)).collect();
    assert!(named.iter().any(|t| t.starts_with("big")) && named.iter().any(|t| t.starts_with("small")), "{named:?}");
    assert!(!named.iter().any(|t| t.starts_with("edu")), "{named:?}");
    let edu_uk = warnings.iter().find(|d| p.text_of(d.span()).starts_with("edu_uk")).unwrap();
    let named: Vec<&str> = edu_uk.labels.iter().filter(|l| !l.primary).map(|l| p.text_of(l.span)).collect();
    assert_eq!(named.len(), 1);
    assert!(named[0].starts_with("edu:"));
    assert_eq!(p.analysis.unreachable, vec![p.rule("shadowed"), p.rule("edu_uk")]);
}

#[test]
fn witnesses_and_the_gap_example_route_as_claimed_through_route_eval() {
    let p = project(
        r#"
        lookup owners from "accounts.csv" key account_id value owner
        named: when account_id in owners -> rep owners[account_id]
        banks: when company matches "(?i)^first .*bank$" and not is_customer -> team a
        edu: when email ends_with ".edu" and not email contains "test" -> team b
        when region == "EMEA" {
          big: when revenue >= 1_000_000.5 and state exists -> team a
          when "security" in interests -> team b
        }
        west: when state in ["CA", "OR", "WA"] and score > 80 -> team b
        "#
        .replace("\"security\" in interests", "interests contains \"security\"")
        .as_str(),
    );
    assert!(p.analysis.undecided.is_empty(), "{:?}", p.analysis.undecided);
    assert_eq!(p.analysis.witnesses.len(), p.program.rules.len());
    let dir = p.on_disk();
    for w in &p.analysis.witnesses {
        let json = lead_to_json(&p.program.schema, &w.lead);
        let name = &p.program.rules[w.rule.0 as usize].name;
        let (rule, reason) = eval(dir.path(), &json);
        assert_eq!(rule, serde_json::json!(name), "{json}");
        assert_ne!(reason, "invalid", "{json}");
        assert_eq!(json["id"], serde_json::json!(format!("example-{name}")));
    }
    let gap = p.with_code(Code::CoverageGap);
    assert_eq!(gap.len(), 1);
    let example = gap[0].example.clone().unwrap();
    assert_eq!(eval(dir.path(), &example), (serde_json::Value::Null, "no_rule_matched".to_string()));
}

#[test]
fn an_otherwise_closes_every_gap_and_rules_after_a_tautology_are_shadowed() {
    let p = project(
        r#"
        when region in ["NA", "EMEA", "APAC", "LATAM"] -> team a
        late: when employees > 5 -> team b
        "#,
    );
    assert!(p.with_code(Code::CoverageGap).is_empty());
    assert!(p.analysis.coverage_decided);
    assert_eq!(p.with_code(Code::AlwaysTrue).len(), 1);
    let shadowed = p.with_code(Code::UnreachableRule);
    assert_eq!(shadowed.len(), 1);
    assert!(p.text_of(shadowed[0].span()).starts_with("late"));
}

#[test]
fn overlap_notes_carry_a_lead_both_rules_match_that_the_earlier_takes() {
    let p = project(
        r#"
        emea: when region == "EMEA" -> team a
        big: when employees >= 5000 -> team b
        same: when employees >= 6000 and region == "NA" -> team b
        otherwise -> team a
        "#,
    );
    let notes = p.with_code(Code::Overlap);
    // big/emea overlap; same/big send to the same team; the otherwise is
    // not reported.
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let example = notes[0].example.clone().unwrap();
    let dir = p.on_disk();
    assert_eq!(eval(dir.path(), &example).0, serde_json::json!("emea"));
    assert_eq!(example["region"], "EMEA");
    assert!(example["employees"].as_i64().unwrap() >= 5000);
}

#[test]
fn a_regex_the_generator_cannot_satisfy_leaves_the_rule_undecided_not_unreachable() {
    let p = project(
        r#"
        when company matches "^(?x) a c m e $" -> team a
        otherwise -> team b
        "#,
    );
    assert_eq!(p.analysis.undecided, vec![RuleId(0)]);
    assert!(p.analysis.unreachable.is_empty());
    assert_eq!(p.with_code(Code::AnalysisIncomplete).len(), 1);
    assert!(p.with_code(Code::UnreachableRule).is_empty());
}

#[test]
fn string_pieces_are_decided_exactly() {
    let p = project(
        r#"
        when email starts_with "ab" and email ends_with "ba" and not email contains "aba" -> team a
        when email starts_with "x" and email starts_with "y" -> team a
        when email contains "abc" and not email contains "b" -> team a
        when email starts_with " " -> team a
        when state == "" or state == " x" -> team a
        otherwise -> team b
        "#,
    );
    // abba fits the first; the others can never hold.
    assert_eq!(p.analysis.unreachable, vec![RuleId(1), RuleId(2), RuleId(3), RuleId(4)]);
    assert!(p.analysis.undecided.is_empty());
    let first = &p.analysis.witnesses[0].lead;
    let email = lead_to_json(&p.program.schema, first)["email"].as_str().unwrap().to_string();
    assert!(email.starts_with("ab") && email.ends_with("ba") && !email.contains("aba"), "{email}");
}

#[test]
fn the_budget_changes_nothing_the_analysis_says() {
    let rules = r#"
        when region == "EMEA" and employees > 100 -> team a
        when region == "EMEA" and state in ["A", "B"] -> team b
        when region == "NA" and email ends_with ".edu" -> team a
        when region == "NA" and employees <= 100 -> team b
        when employees > 100 and employees < 50 -> team b
        when region == "EMEA" and employees > 200 -> team b
        when region == "APAC" -> team a
        "#;
    let full = project_with_budget(rules, Some(Budget::UNLIMITED));
    for max_nodes in [1, 2, 5, 20] {
        let small = project_with_budget(rules, Some(Budget { max_nodes }));
        assert_eq!(small.analysis.unreachable, full.analysis.unreachable, "budget {max_nodes}");
        let rules_of = |a: &Analysis| a.witnesses.iter().map(|w| w.rule).collect::<Vec<_>>();
        assert_eq!(rules_of(&small.analysis), rules_of(&full.analysis), "budget {max_nodes}");
        assert_eq!(small.analysis.gap.is_some(), full.analysis.gap.is_some(), "budget {max_nodes}");
        assert!(small.analysis.coverage_decided);
    }
    assert!(full.analysis.gap.is_some());
    assert_eq!(full.analysis.unreachable, vec![RuleId(4), RuleId(5)]);
}

#[test]
fn declarations_that_do_nothing_are_reported() {
    let p = project(
        r#"
        team empty = []
        team idle = ["ida@acme.io"]
        let unused = score > 5
        let never = score > 5 and score < 3
        let used = score > 50
        lookup owners from "accounts.csv" key account_id value owner
        when used -> team a
        when not never -> team empty else fallback b
        "#,
    );
    let names = |code| -> Vec<String> { p.with_code(code).iter().map(|d| p.text_of(d.span()).to_string()).collect() };
    assert_eq!(names(Code::EmptyTeam), vec!["empty"]);
    assert_eq!(names(Code::UnusedTeam), vec!["idle"]);
    assert_eq!(names(Code::UnusedLet), vec!["unused"]);
    assert_eq!(names(Code::ContradictoryLet), vec!["never"]);
    assert_eq!(names(Code::UnusedLookup), vec!["owners"]);
    // `not never` is always true.
    assert_eq!(p.with_code(Code::AlwaysTrue).len(), 1);
}

/// Every ```route block of docs/analysis.md followed by an
/// `<!-- analysis: CODES -->` line produces exactly those analysis codes
/// (in the block's own lines; the prelude's unused teams do not count).
#[test]
fn the_examples_of_docs_analysis_md_say_what_the_text_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let markdown = std::fs::read_to_string(root.join("docs/analysis.md")).unwrap();
    let prelude = std::fs::read_to_string(root.join("tests/fixtures/docs/prelude.route")).unwrap();
    let lines: Vec<&str> = markdown.lines().collect();
    let mut checked = 0;
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "```route" {
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = start + lines[start..].iter().position(|l| l.trim() == "```").unwrap();
        i = end + 1;
        let Some(marker) = lines.get(i).and_then(|l| l.strip_prefix("<!-- analysis")) else { continue };
        let overlaps = marker.starts_with(" --overlaps");
        let (_, codes) = marker.trim_end_matches("-->").split_once(':').unwrap();
        let mut expected: Vec<&str> = codes.split_whitespace().collect();
        expected.sort_unstable();
        let block = lines[start..end].join("\n");
        let text = format!("{prelude}\n{block}\n");
        let offset = prelude.len() as u32 + 1;
        let path = root.join("tests/fixtures/docs/snippet.route");
        let checked_project = route::check::check_source("snippet.route", &path, text);
        assert!(
            !checked_project.diagnostics.has_errors(),
            "docs/analysis.md:{start}: {:?}",
            checked_project.diagnostics
        );
        let program = checked_project.program.unwrap();
        let dag = compile(&program, Budget::for_program(&program));
        let analysis = analyse(&program, &dag, &checked_project.sources, &Options { overlaps });
        let mut got: Vec<&str> =
            analysis.diagnostics.0.iter().filter(|d| d.span().start >= offset).map(|d| d.code.as_str()).collect();
        got.sort_unstable();
        if std::env::var_os("ROUTE_SHOW_DOCS").is_some() {
            let shown = route::diagnostics::Diagnostics(
                analysis.diagnostics.0.iter().filter(|d| d.span().start >= offset).cloned().collect(),
            );
            println!(
                "docs/analysis.md:{start}\n{}",
                route::diagnostics::human::render_to_string(&checked_project.sources, &shown)
            );
        }
        assert_eq!(got, expected, "docs/analysis.md:{start}:\n{block}");
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} examples checked");
}
