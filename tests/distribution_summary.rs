//! What `route eval` tells about distribution: fallbacks tried in order,
//! `--explain`'s `distribution` (who was passed over, and why), and the
//! `--summary` (human and JSON) with its fairness figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod distribution_support;

use std::process::Command;

use distribution_support::{at, project, roster, run};
use route::eval::summary::Tally;
use route::eval::{Reason, TargetKind};

const DESK: &str = "tests/fixtures/distribution/desk";
const NOW: &str = "2026-11-25T12:00:00Z";

fn eval(extra: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_route"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["eval", DESK, "--leads", &format!("{DESK}/leads.jsonl"), "--roster", &format!("{DESK}/roster.json")])
        .args(["--now", NOW])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

#[test]
fn the_human_summary_counts_every_lead_once() {
    let (stdout, stderr) = eval(&["--summary"]);
    assert_eq!(stdout.lines().count(), 22);
    assert!(stderr.starts_with("leads in 22, out 22 (balanced)\n"), "{stderr}");
    assert!(!stderr.contains('█'), "no bars when stderr is not a terminal");
    insta::assert_snapshot!(stderr);
}

#[test]
fn the_json_summary_has_the_same_figures() {
    let (_, stderr) = eval(&["--summary", "json"]);
    assert_eq!(stderr.lines().count(), 1, "one JSON object on one line");
    let summary: serde_json::Value = serde_json::from_str(&stderr).unwrap();
    let n = |key: &str| summary[key].as_u64().unwrap();
    assert_eq!(n("total_in"), n("total_out"));
    assert_eq!(n("to_team") + n("to_rep") + n("to_queue") + n("nowhere"), n("total_out"));
    assert_eq!(
        n("matched") + n("fallback") + n("no_eligible_member") + n("no_rule_matched") + n("invalid"),
        n("total_in")
    );
    for team in summary["teams"].as_array().unwrap() {
        let leads: u64 = team["members"].as_array().unwrap().iter().map(|m| m["leads"].as_u64().unwrap()).sum();
        assert_eq!(leads, team["leads"].as_u64().unwrap());
    }
    insta::assert_json_snapshot!(summary);
}

#[test]
fn on_a_terminal_each_team_gets_a_bar_chart() {
    let project = project(
        r#"
schema lead { id: string }
team inside = ["dan@acme.io" weight 3, "eve@acme.io" weight 1, "omar@acme.io" weight 2]
otherwise -> team inside via weighted
"#,
    );
    let roster = roster(r#"{"members": {"omar@acme.io": {"capacity": 1}}}"#);
    let (decisions, _) = run(&project, &roster, at(NOW), 0, None, &distribution_support::leads(11, ""));
    let mut tally = Tally::default();
    decisions.iter().for_each(|d| tally.observe(d));
    insta::assert_snapshot!(tally.summary(&project.program).render(true));
}

#[test]
fn explain_says_who_was_passed_over_and_why() {
    let (stdout, _) = eval(&["--explain"]);
    let picked: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|d| d.get("distribution").is_some())
        .filter(|d| ["D02", "D05", "D11", "D12", "D15", "D17", "D18"].contains(&d["lead"].as_str().unwrap()))
        .map(|d| format!("{} -> {}: {}", d["lead"], d["assignee"], d["distribution"]))
        .collect();
    insta::assert_snapshot!(picked.join("\n"));
}

#[test]
fn fallbacks_are_tried_in_order_and_nobody_eligible_means_queue_unassigned() {
    let project = project(
        r#"
schema lead { id: string  account_id: string? }
team a = ["a1@x.io", "a2@x.io"]
team b = ["b1@x.io"]
lookup owners from "owners.csv" key account_id value owner
when account_id exists -> rep owners[account_id] else fallback team a else fallback b else fallback rep "c@x.io"
otherwise -> team a else fallback b
"#,
    );
    // The lookup is tests/fixtures/distribution/owners.csv: K1 -> a2@x.io.
    let cases = [
        // (roster, lead, expected: target kind, assignee/queue, reason)
        ("{}", r#"{"id": "1", "account_id": "K1"}"#, "rep a2@x.io matched"),
        (
            r#"{"members": {"a2@x.io": {"available": false}}}"#,
            r#"{"id": "2", "account_id": "K1"}"#,
            "team a1@x.io fallback",
        ),
        (
            r#"{"members": {"a2@x.io": {"available": false}}}"#,
            r#"{"id": "3", "account_id": "K9"}"#,
            "team a1@x.io fallback",
        ),
        (
            r#"{"members": {"a1@x.io": {"available": false}, "a2@x.io": {"available": false}}}"#,
            r#"{"id": "4", "account_id": "K1"}"#,
            "team b1@x.io fallback",
        ),
        (
            r#"{"members": {"a1@x.io": {"available": false}, "a2@x.io": {"available": false}, "b1@x.io": {"capacity": 1, "open_leads": 1}}}"#,
            r#"{"id": "5", "account_id": "K1"}"#,
            "rep c@x.io fallback",
        ),
        (
            r#"{"members": {"a1@x.io": {"available": false}, "a2@x.io": {"available": false}, "b1@x.io": {"available": false}, "c@x.io": {"out_of_office": [["2026-11-01", "2026-11-30"]]}}}"#,
            r#"{"id": "6", "account_id": "K1"}"#,
            "queue unassigned no_eligible_member",
        ),
        (
            r#"{"members": {"a1@x.io": {"available": false}, "a2@x.io": {"available": false}, "b1@x.io": {"available": false}}}"#,
            r#"{"id": "7"}"#,
            "queue unassigned no_eligible_member",
        ),
    ];
    for (roster_json, lead, expected) in cases {
        let (decisions, _) = run(&project, &roster(roster_json), at(NOW), 0, None, &[lead.to_string()]);
        let d = &decisions[0];
        let kind = match d.target {
            Some(TargetKind::Team) => "team",
            Some(TargetKind::Rep) => "rep",
            Some(TargetKind::Queue) => "queue",
            None => "none",
        };
        let who = d.assignee.as_deref().or(d.queue.as_deref()).unwrap_or_default().to_string();
        assert_eq!(format!("{kind} {who} {}", d.reason.as_str()), expected, "lead {lead}");
        assert_eq!(d.fallback, d.reason == Reason::Fallback);
    }
}
