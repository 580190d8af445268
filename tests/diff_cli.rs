//! `route diff` end to end on fixture pairs (`tests/fixtures/diff/`): the
//! verdict, the exit codes, the three formats, `--leads` and `--roster`,
//! and `REV:PATH` versions read from a temporary git repository.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use cli_support::{run, run_in};
use serde_json::Value as Json;

mod cli_support;

const BASE: &str = "tests/fixtures/diff/base";
const LEADS: &str = "tests/fixtures/diff/leads.csv";
const ROSTER: &str = "tests/fixtures/diff/roster.json";
const NOW: &str = "2026-11-25T10:00:00Z";

fn fixture(name: &str) -> String {
    format!("tests/fixtures/diff/{name}")
}

fn json(args: &[&str]) -> Json {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let r = run(&all);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn an_equivalent_refactor_is_proven_and_passes_fail_on_change() {
    let r = run(&["diff", BASE, &fixture("refactor"), "--fail-on-change"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("equivalent: every valid lead reaches the same destination (proven)"));
    insta::assert_snapshot!("diff_refactor_human", r.stdout);
}

#[test]
fn a_comment_only_change_is_no_change() {
    let report = json(&["diff", BASE, &fixture("comment"), "--fail-on-change"]);
    assert_eq!(report["verdict"], "equivalent");
    assert_eq!(report["rules"], serde_json::json!([]), "comments and blank lines moved no rule");
    assert_eq!(report["schema"], serde_json::json!([]));
    let r = run(&["diff", BASE, &fixture("comment"), "--fail-on-change"]);
    assert_eq!(r.code, 0);
}

#[test]
fn a_team_change_is_one_region_and_fails_on_change() {
    let r = run(&["diff", BASE, &fixture("team"), "--fail-on-change"]);
    assert_eq!(r.code, 1);
    let r = run(&["diff", BASE, &fixture("team")]);
    assert_eq!(r.code, 0, "without --fail-on-change a change is no failure");
    let report = json(&["diff", BASE, &fixture("team")]);
    assert_eq!(report["verdict"], "changed");
    let regions = report["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 1);
    assert_eq!(regions[0]["old_rule"], "na_big");
    assert_eq!(regions[0]["new_rule"], "na_big");
    assert_eq!(regions[0]["old_target"], "team na");
    assert_eq!(regions[0]["new_target"], "team managers");
    assert_eq!(report["rules"][0]["kind"], "changed");
}

/// The rule `route eval` says the lead matches.
fn eval_rule(project: &str, lead: &Json) -> Json {
    let r = run(&["eval", project, "--lead", &lead.to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let decision: Json = serde_json::from_str(r.stdout.trim()).unwrap();
    decision["rule"].clone()
}

#[test]
fn a_threshold_change_lists_each_region_with_an_example_that_eval_confirms() {
    let threshold = fixture("threshold");
    let report = json(&["diff", BASE, &threshold]);
    assert_eq!(report["verdict"], "changed");
    let regions = report["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 2, "{regions:?}");
    for region in regions {
        let example = &region["example"];
        assert_eq!(eval_rule(BASE, example), region["old_rule"]);
        assert_eq!(eval_rule(&threshold, example), region["new_rule"]);
        assert_eq!(example["employees"], 500, "the example sits on the new threshold");
    }
    let r = run(&["diff", BASE, &threshold]);
    insta::assert_snapshot!("diff_threshold_human", r.stdout);
}

#[test]
fn schema_changes_come_first_with_their_effect() {
    let r = run(&["diff", BASE, &fixture("schema"), "--format", "json"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("diff_schema_json", r.stdout);
    let r = run(&["diff", BASE, &fixture("schema"), "--fail-on-change"]);
    assert_eq!(r.code, 1, "a schema change is a change");
    let schema_at = r.stdout.find("schema changes").unwrap();
    let verdict_at = r.stdout.find("equivalent: every lead valid under both versions").unwrap();
    assert!(schema_at < verdict_at);
    assert!(r.stdout.contains("`region` value `LATAM` removed: leads with region `LATAM` become invalid"));
}

#[test]
fn leads_give_a_transition_table_and_totals() {
    let r = run(&["diff", BASE, &fixture("team"), "--leads", LEADS, "--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("diff_team_leads_markdown", r.stdout);
    let report = json(&["diff", BASE, &fixture("schema"), "--leads", LEADS]);
    assert_eq!(report["measured"]["leads"], 12);
    assert_eq!(report["measured"]["became_invalid"]["count"], 1);
    assert_eq!(report["measured"]["became_invalid"]["leads"], serde_json::json!(["L08"]));
}

#[test]
fn a_roster_separates_moved_leads_from_shifted_rotation() {
    let report = json(&["diff", BASE, &fixture("threshold"), "--leads", LEADS, "--roster", ROSTER, "--now", NOW]);
    let measured = &report["measured"];
    assert_eq!(measured["changed"], 2);
    assert_eq!(measured["transitions"][0]["from"], "queue unassigned");
    assert_eq!(measured["transitions"][0]["to"], "team na");
    assert_eq!(measured["transitions"][0]["leads"], serde_json::json!(["L04", "L09"]));
    let assignees = &measured["assignees"];
    assert_eq!(assignees["moved"]["count"], 2);
    assert_eq!(assignees["rotation_shifted"]["count"], 1, "L07 stays in team na with another rep");
    assert_eq!(assignees["rotation_shifted"]["leads"], serde_json::json!(["L07"]));
    assert_eq!(assignees["changed"], 3);
    let r = run(&["diff", BASE, &fixture("threshold"), "--leads", LEADS, "--roster", ROSTER, "--now", NOW]);
    assert!(r.stdout.contains("3 assignee(s) change: 2 moved by the rule change (L04, L09), 1 rotation shifted (L07)"));
}

#[test]
fn a_project_with_errors_prints_its_diagnostics_and_exits_one() {
    let r = run(&["diff", BASE, &fixture("broken")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[E0108]: unknown team `nowhere`"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn a_missing_project_cannot_run() {
    let r = run(&["diff", BASE, "tests/fixtures/diff/nope"]);
    assert_eq!(r.code, 2);
}

#[test]
fn a_search_stopped_by_its_budget_is_never_called_equivalent() {
    let report = json(&["diff", BASE, &fixture("threshold"), "--budget", "0"]);
    assert_eq!(report["verdict"], "not_proven");
    assert!(!report["not_proven"].as_array().unwrap().is_empty());
    let r = run(&["diff", BASE, &fixture("threshold"), "--budget", "0", "--fail-on-change"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("not proven"));
}

fn git(dir: &Path, args: &[&str]) {
    let status = Process::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository with two commits: the base fixture, then the threshold
/// change, in `rules/` with a lookup file beside it.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let copy = |from: &str| std::fs::read_to_string(root.join(from).join("routing.route")).unwrap();
    let entry = dir.path().join("rules/routing.route");
    git(dir.path(), &["init", "-q"]);
    std::fs::write(&entry, copy(BASE)).unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    std::fs::write(&entry, copy(&fixture("threshold"))).unwrap();
    git(dir.path(), &["commit", "-qam", "threshold"]);
    dir
}

#[test]
fn versions_can_come_from_git_revisions() {
    let repo = repository();
    let r = run_in(repo.path(), &["diff", "HEAD~1:rules", "HEAD:rules/routing.route", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Json = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["old"], "HEAD~1:rules");
    assert_eq!(report["verdict"], "changed");
    assert_eq!(report["regions"].as_array().unwrap().len(), 2);
    // A revision against the work tree.
    let r = run_in(repo.path(), &["diff", "HEAD:rules", "rules"]);
    assert!(r.stdout.contains("equivalent"), "{}{}", r.stdout, r.stderr);
}

#[test]
fn git_errors_are_clear() {
    let repo = repository();
    let r = run_in(repo.path(), &["diff", "nosuchrev:rules", "rules"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown revision `nosuchrev`"), "{}", r.stderr);
    let r = run_in(repo.path(), &["diff", "HEAD:nowhere", "rules"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`nowhere` does not exist at revision `HEAD`"), "{}", r.stderr);
    let r = run_in(repo.path(), &["diff", "HEAD:../outside", "rules"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("names a path outside the repository"), "{}", r.stderr);
}

#[test]
fn diagnostics_of_a_git_version_name_the_revision() {
    let repo = repository();
    let entry = repo.path().join("rules/routing.route");
    let text = std::fs::read_to_string(&entry).unwrap().replace("team na\n", "team nowhere\n");
    std::fs::write(&entry, text).unwrap();
    git(repo.path(), &["commit", "-qam", "broken"]);
    let r = run_in(repo.path(), &["diff", "HEAD~1:rules", "HEAD:rules"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("HEAD:rules/routing.route:17:"), "{}", r.stderr);
}

#[test]
fn a_changed_on_invalid_action_is_reported_and_measured() {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.jsonl");
    let lines = [
        r#"{"id": "ok", "email": "a@b.com", "region": "NA", "employees": 5, "source": "web"}"#,
        r#"{"id": "mars", "email": "a@b.com", "region": "MARS", "employees": 5, "source": "web"}"#,
    ];
    std::fs::write(&leads, lines.join("\n")).unwrap();
    let report = json(&["diff", BASE, &fixture("invalid"), "--leads", leads.to_str().unwrap()]);
    assert_eq!(report["on_invalid"], serde_json::json!(["nowhere", "queue data_quality"]));
    assert_eq!(report["verdict"], "equivalent", "valid leads keep their destination");
    let measured = &report["measured"];
    assert_eq!(measured["changed"], 1);
    assert_eq!(measured["transitions"][0]["from"], "invalid, nowhere");
    assert_eq!(measured["transitions"][0]["to"], "invalid, queue data_quality");
    assert_eq!(measured["transitions"][0]["leads"], serde_json::json!(["mars"]));
    let r = run(&["diff", BASE, &fixture("invalid"), "--fail-on-change"]);
    assert_eq!(r.code, 1, "a changed `on invalid` is a change");
    assert!(r.stdout.contains("on_invalid: nowhere → queue data_quality"), "{}", r.stdout);
}

#[test]
fn a_changed_regex_is_not_proven_never_equivalent() {
    let (old, new) = (fixture("regex"), fixture("regex_changed"));
    let report = json(&["diff", &old, &new]);
    assert_eq!(report["verdict"], "not_proven");
    let open = report["not_proven"].as_array().unwrap();
    assert!(!open.is_empty());
    assert!(open.iter().all(|o| o["reason"].as_str().unwrap().contains("`matches` pattern")), "{open:?}");
    let r = run(&["diff", &old, &new, "--fail-on-change"]);
    assert_eq!(r.code, 1);
    // An unchanged regex rule does not stop the proof.
    let r = run(&["diff", &old, &old, "--fail-on-change"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("equivalent"));
}

#[test]
fn leads_can_come_from_stdin() {
    let csv = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(LEADS)).unwrap();
    let output = Command::cargo_bin("route")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["diff", BASE, &fixture("team"), "--leads", "-", "--input-format", "csv", "--format", "json"])
        .write_stdin(csv)
        .output()
        .unwrap();
    let report: Json = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["measured"]["leads"], 12);
    assert_eq!(report["measured"]["changed"], 4);
}
