//! Benchmarks of `route check`'s full analysis on the generated rule sets of
//! `../shared/bench/gen_rules.py` (`--seed 7`), read from `bench-data/`
//! (run `scripts/bench-data.sh`) or generated into a temporary file.
//!
//! Groups:
//! - `check_compile_analyse/{1000,10000}`: what `route check` does with full
//!   analysis (parse + check, compile with the default budget, analyse),
//!   from the rule file's text in memory — the figure ARCHITECTURE.md's
//!   "`route check` with full analysis on 10,000 rules: under 1 s" is about;
//! - `analyse/{1000,10000}`: the analysis alone on a compiled DAG;
//! - `analyse_overlaps/1000`: the analysis with `--overlaps`.
//!
//! Before measuring, the bench prints what the analysis found per rule set
//! (witnessed, unreachable, undecided rules; diagnostics).
//!
//! Environment: `ROUTE_SHARED`, the shared dir (default `../shared`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness on generated workloads, not user input: failing loudly is the right thing"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use route::analysis::{analyse, Options};
use route::check::check_source;
use route::compile::{compile, Budget};

const RULE_SETS: [usize; 2] = [1_000, 10_000];

/// The rule file's text: `bench-data/rules-N.route`, else generated.
fn rules_text(n: usize) -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Ok(text) = std::fs::read_to_string(root.join(format!("bench-data/rules-{n}.route"))) {
        return Some(text);
    }
    let shared = std::env::var_os("ROUTE_SHARED").map_or_else(|| root.join("../shared"), PathBuf::from);
    let script = shared.join("bench/gen_rules.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args(["--rules", &n.to_string(), "--seed", "7", "--format", "route"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

fn check_compile_analyse(text: &str, options: &Options) -> usize {
    let checked = check_source("rules.route", Path::new("rules.route"), text.to_string());
    let program = checked.program.expect("the generated rules check");
    let dag = compile(&program, Budget::for_program(&program));
    let analysis = analyse(&program, &dag, &checked.sources, options);
    analysis.witnesses.len() + analysis.diagnostics.0.len()
}

fn benches(c: &mut Criterion) {
    let sets: Vec<(usize, String)> = RULE_SETS.iter().filter_map(|&n| rules_text(n).map(|t| (n, t))).collect();
    if sets.is_empty() {
        eprintln!("bench: no rule sets (run scripts/bench-data.sh or set ROUTE_SHARED); skipping");
        return;
    }
    for (n, text) in &sets {
        let checked = check_source("rules.route", Path::new("rules.route"), text.clone());
        let program = checked.program.expect("the generated rules check");
        let dag = compile(&program, Budget::for_program(&program));
        let analysis = analyse(&program, &dag, &checked.sources, &Options::default());
        eprintln!(
            "bench: {n} rules: {} witnessed, {} unreachable, {} undecided, gap: {}, {} diagnostics",
            analysis.witnesses.len(),
            analysis.unreachable.len(),
            analysis.undecided.len(),
            analysis.gap.is_some(),
            analysis.diagnostics.0.len()
        );
    }

    let mut group = c.benchmark_group("check_compile_analyse");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for (n, text) in &sets {
        group.bench_with_input(BenchmarkId::from_parameter(n), text, |b, text| {
            b.iter(|| black_box(check_compile_analyse(text, &Options::default())));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("analyse");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for (n, text) in &sets {
        let checked = check_source("rules.route", Path::new("rules.route"), text.clone());
        let program = checked.program.expect("the generated rules check");
        let dag = compile(&program, Budget::for_program(&program));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| black_box(analyse(&program, &dag, &checked.sources, &Options::default()).witnesses.len()));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("analyse_overlaps");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for (n, text) in sets.iter().filter(|(n, _)| *n == 1_000) {
        let checked = check_source("rules.route", Path::new("rules.route"), text.clone());
        let program = checked.program.expect("the generated rules check");
        let dag = compile(&program, Budget::for_program(&program));
        let options = Options { overlaps: true };
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| black_box(analyse(&program, &dag, &checked.sources, &options).diagnostics.0.len()));
        });
    }
    group.finish();
}

criterion::criterion_group!(analysis, benches);
criterion::criterion_main!(analysis);
