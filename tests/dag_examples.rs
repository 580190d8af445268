//! The DAG on programs the real checker produced: every example project and
//! a generated 300-rule set (`gen_rules.py --rules 300 --seed 11`, its
//! catch-all team renamed `fallback_team`: `fallback` is a keyword) with 1,000
//! generated leads (`gen_leads.py --n 1000 --seed 5`) agree with the
//! reference interpreter, with the default budget and a tiny one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use route::check::Program;
use route::compile::{compile, Budget};
use route::eval::reference;
use route::io::{leads, InputFormat};
use route::schema::Lead;
use route::source::SourceMap;

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn checked_with_sources(entry: &Path) -> (Program, SourceMap) {
    let checked = route::check::check_file(entry).unwrap_or_else(|e| panic!("cannot read {}: {e}", entry.display()));
    let program =
        checked.program.unwrap_or_else(|| panic!("{} does not check: {:?}", entry.display(), checked.diagnostics));
    (program, checked.sources)
}

fn checked(entry: &Path) -> Program {
    checked_with_sources(entry).0
}

fn read_leads(program: &Program, csv: &Path) -> Vec<Lead> {
    let input = Box::new(BufReader::new(File::open(csv).unwrap()));
    leads(&program.schema, input, InputFormat::Csv).unwrap().filter_map(|record| record.lead.ok()).collect()
}

fn agree(program: &Program, leads: &[Lead]) {
    assert!(!leads.is_empty());
    for budget in [Budget::for_program(program), Budget { max_nodes: 5 }] {
        let dag = compile(program, budget);
        for lead in leads {
            assert_eq!(
                dag.route(lead, &program.lookups),
                reference::first_match(program, lead),
                "budget {budget:?}, lead {lead:?}"
            );
        }
    }
}

#[test]
fn generated_rules_agree_on_generated_leads() {
    let program = checked(&manifest("tests/fixtures/dag/r300.route"));
    assert_eq!(program.rules.len(), 301);
    let leads = read_leads(&program, &manifest("tests/fixtures/dag/leads_1000.csv"));
    assert_eq!(leads.len(), 1000);
    agree(&program, &leads);
}

#[test]
fn example_projects_agree_on_their_leads() {
    for project in ["acme", "quickstart"] {
        let dir = manifest("examples").join(project);
        let program = checked(&dir.join("routing.route"));
        agree(&program, &read_leads(&program, &dir.join("leads.csv")));
    }
}

#[test]
fn explain_names_the_failing_predicate_as_written() {
    let (program, sources) = checked_with_sources(&manifest("tests/fixtures/dag/r300.route"));
    let leads = read_leads(&program, &manifest("tests/fixtures/dag/leads_1000.csv"));
    for lead in leads.iter().take(100) {
        let steps = reference::explain(&program, lead, &sources);
        let matched = reference::first_match(&program, lead).map(|r| r.index());
        assert_eq!(steps.iter().position(|s| s.matched), matched);
        assert_eq!(steps.len(), matched.map_or(program.rules.len(), |m| m + 1));
        for step in steps.iter().filter(|s| !s.matched) {
            let failed = step.failed.as_deref().unwrap_or("");
            // The text of one predicate of the rule, as written.
            let rule_line =
                sources.get(route::source::FileId(0)).unwrap().text.lines().nth(step.line as usize - 1).unwrap();
            assert!(!failed.is_empty() && rule_line.contains(failed), "{failed:?} not in {rule_line:?}");
            assert!(step.actual.is_some());
        }
    }
}
