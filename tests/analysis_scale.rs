//! The analysis on generated rule sets of `../shared/bench/gen_rules.py`
//! (skipped when the generator is not there): every rule decided, every
//! witness routed to its rule, and the time it takes printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;
use std::time::Instant;

use route::analysis::{analyse, Options};
use route::compile::{compile, Budget};

/// The generator's output, cached in the temporary directory (generating
/// 10,000 rules takes the script seconds).
fn generated(rules: usize, seed: u64) -> Option<String> {
    let cache = std::env::temp_dir().join(format!("route-gen-rules-{rules}-{seed}.route"));
    if let Ok(text) = std::fs::read_to_string(&cache) {
        return Some(text);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_rules.py");
    if !script.exists() {
        return None;
    }
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args(["--rules", &rules.to_string(), "--seed", &seed.to_string(), "--format", "route"])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok().filter(|_| out.status.success())?;
    let _ = std::fs::write(&cache, &text);
    Some(text)
}

#[test]
#[ignore = "timing; run with --release --ignored --nocapture"]
fn ten_thousand_rules_timing() {
    let Some(text) = generated(10_000, 7) else { return };
    let start = Instant::now();
    let checked = route::check::check_source("r.route", Path::new("r.route"), text);
    let program = checked.program.unwrap();
    let t_check = start.elapsed();
    let dag = compile(&program, Budget::for_program(&program));
    let t_compile = start.elapsed();
    let analysis = analyse(&program, &dag, &checked.sources, &Options::default());
    let t_all = start.elapsed();
    println!(
        "check {:?} compile {:?} analyse {:?} total {:?}; witnesses {} unreachable {} undecided {} diags {}",
        t_check,
        t_compile - t_check,
        t_all - t_compile,
        t_all,
        analysis.witnesses.len(),
        analysis.unreachable.len(),
        analysis.undecided.len(),
        analysis.diagnostics.0.len()
    );
}

fn analysed(text: &str, budget: Option<Budget>) -> (route::check::program::Program, route::analysis::Analysis) {
    let checked = route::check::check_source("r.route", Path::new("r.route"), text.to_string());
    let program = checked.program.unwrap();
    let dag = compile(&program, budget.unwrap_or_else(|| Budget::for_program(&program)));
    let analysis = analyse(&program, &dag, &checked.sources, &Options::default());
    (program, analysis)
}

/// How the DAG size budget degrades the analysis: it does not change what
/// is found (the rules each witnessed, proved unreachable, the gap), only
/// how the work is split between the walk and the solver.
#[test]
fn generated_rules_are_decided_alike_under_any_budget() {
    let Some(text) = generated(500, 11) else { return };
    // Without the final `otherwise`, so that the gap question is open.
    let open: String = text.lines().filter(|l| !l.starts_with("otherwise")).map(|l| format!("{l}\n")).collect();
    for text in [text.as_str(), open.as_str()] {
        let (program, full) = analysed(text, None);
        assert!(full.undecided.is_empty(), "{:?}", full.undecided);
        assert!(full.coverage_decided);
        assert_eq!(full.witnesses.len() + full.unreachable.len(), program.rules.len());
        let rules = |a: &route::analysis::Analysis| a.witnesses.iter().map(|w| w.rule).collect::<Vec<_>>();
        for max_nodes in [200, 20] {
            let (_, small) = analysed(text, Some(Budget { max_nodes }));
            assert_eq!(small.unreachable, full.unreachable, "budget {max_nodes}");
            assert_eq!(rules(&small), rules(&full), "budget {max_nodes}");
            assert_eq!(small.gap.is_some(), full.gap.is_some(), "budget {max_nodes}");
            assert!(small.undecided.is_empty() && small.coverage_decided, "budget {max_nodes}");
        }
    }
}

/// Every witness of a generated rule set reaches its rule, by the DAG
/// `route eval` runs and by the reference interpreter.
#[test]
fn generated_witnesses_reach_their_rules() {
    let Some(text) = generated(500, 3) else { return };
    let (program, analysis) = analysed(&text, None);
    let dag = compile(&program, Budget::for_program(&program));
    for w in &analysis.witnesses {
        assert_eq!(dag.route(&w.lead, &program.lookups), Some(w.rule));
        assert_eq!(route::eval::reference::first_match(&program, &w.lead), Some(w.rule));
    }
}
