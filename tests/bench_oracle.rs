//! Cross-implementation check: rule sets and leads from ../shared/bench,
//! routed by `route` and by the independent Python reference interpreter
//! (`route_ref.py`, which parses the `.route` text itself). They must agree
//! on every lead's team.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn bench_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench").join(name)
}

fn python(args: &[&str]) -> String {
    let output = Command::new("python3").args(args).output().expect("python3 runs the shared bench scripts");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Routes generated leads through generated rules with `route eval` and
/// `route_ref.py`; returns the directory holding `rules.route`.
fn agree(rules: usize, seed: u64, leads: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rules_path = dir.path().join("rules.route");
    let leads_path = dir.path().join("leads.jsonl");
    let (r, s, n) = (rules.to_string(), seed.to_string(), leads.to_string());
    python(&[
        bench_script("gen_rules.py").to_str().unwrap(),
        "--rules",
        &r,
        "--seed",
        &s,
        "--format",
        "route",
        "-o",
        rules_path.to_str().unwrap(),
    ]);
    python(&[
        bench_script("gen_leads.py").to_str().unwrap(),
        "--n",
        &n,
        "--seed",
        &s,
        "--format",
        "jsonl",
        "-o",
        leads_path.to_str().unwrap(),
    ]);
    let expected = python(&[
        bench_script("route_ref.py").to_str().unwrap(),
        rules_path.to_str().unwrap(),
        leads_path.to_str().unwrap(),
    ]);

    let output = assert_cmd::Command::cargo_bin("route")
        .unwrap()
        .args(["eval", rules_path.to_str().unwrap(), "--leads", leads_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let actual: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let d: serde_json::Value = serde_json::from_str(line).unwrap();
            format!("{},{}", d["lead"].as_str().unwrap(), d["team"].as_str().unwrap_or("?"))
        })
        .collect();
    let expected: Vec<&str> = expected.lines().collect();
    assert_eq!(actual.len(), leads);
    let disagreements: Vec<(&String, &&str)> = actual.iter().zip(&expected).filter(|(a, e)| a != e).take(5).collect();
    assert!(disagreements.is_empty(), "route disagrees with route_ref.py: {disagreements:?}");
    dir
}

#[test]
fn route_agrees_with_the_python_reference_on_100_rules() {
    let _ = agree(100, 7, 3_000);
}

/// 10,000 rules are matched through the filter's separable index (split
/// nodes above its leaves): `graph --stats` says so, and every lead agrees.
#[test]
fn route_agrees_with_the_python_reference_on_10000_rules_through_a_split_filter() {
    let dir = agree(10_000, 7, 400);
    let output = assert_cmd::Command::cargo_bin("route")
        .unwrap()
        .args(["graph", dir.path().join("rules.route").to_str().unwrap(), "--stats"])
        .output()
        .unwrap();
    let stats = String::from_utf8(output.stdout).unwrap();
    assert!(stats.contains("matched through a bitset filter over every rule, split "), "{stats}");
}

#[test]
fn route_agrees_with_the_python_reference_on_1000_rules() {
    let _ = agree(1_000, 11, 3_000);
}
