//! Splits, two owners and caps over time (LANGUAGE.md §14-§16,
//! docs/language.md, docs/distribution.md): arms recomputed from the hash,
//! second owners who are never the first, caps counted per local day and
//! week and carried in the state file, and the CLI's output of all three.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod distribution_support;

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use distribution_support::{at, leads, noon, project, roster, run, Project};
use route::eval::state::SavedState;
use route::eval::{Decision, Roster, Router};

const OWNERS: &str = "tests/fixtures/owners";

fn owners_project() -> Project {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(OWNERS).join("routing.route"));
    project(&text.unwrap())
}

fn owners_leads() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(OWNERS).join("leads.jsonl"));
    text.unwrap().lines().map(str::to_string).collect()
}

fn route_bin() -> Command {
    let mut cmd = Command::cargo_bin("route").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// The arm (from 1) a bucket falls in, for shares in hundredths of a
/// percent: recomputed here, apart from the router's code.
fn arm_by_hand(shares: &[u32], bucket: u32) -> u32 {
    let mut low = 0;
    for (i, share) in shares.iter().enumerate() {
        if (low..low + share).contains(&bucket) {
            return i as u32 + 1;
        }
        low += share;
    }
    panic!("bucket {bucket} is past every arm of {shares:?}");
}

#[test]
fn a_split_sends_each_lead_to_the_arm_of_its_bucket() {
    let project = owners_project();
    let (decisions, _) = run(&project, &Roster::default(), noon(), 0, None, &owners_leads());
    let mut arms: BTreeMap<u32, usize> = BTreeMap::new();
    for d in decisions.iter().filter(|d| d.rule.as_deref() == Some("na_pilot")) {
        let split = d.split.as_ref().unwrap();
        let bucket = route::eval::split::bucket("na_pilot", &d.lead);
        assert_eq!(split.bucket, Some(bucket));
        assert_eq!(split.arm, arm_by_hand(&[9_000, 1_000], bucket), "{}", d.lead);
        let team = if split.arm == 1 { "na_core" } else { "na_pilot" };
        assert_eq!(d.team.as_deref(), Some(team));
        // Only the pilot arm has a second owner.
        assert_eq!(d.secondary.is_some(), split.arm == 2);
        *arms.entry(split.arm).or_default() += 1;
    }
    assert_eq!(arms.values().sum::<usize>(), 120);
    assert!(arms[&2] > 0 && arms[&2] < 30, "{arms:?}");
    assert!(decisions.iter().filter(|d| d.rule.as_deref() != Some("na_pilot")).all(|d| d.split.is_none()));
}

#[test]
fn the_same_lead_lands_in_the_same_arm_whatever_the_seed_order_or_other_rules() {
    let project = owners_project();
    let leads = owners_leads();
    let arms = |decisions: &[Decision]| -> BTreeMap<String, u32> {
        decisions.iter().filter_map(|d| Some((d.lead.clone(), d.split.as_ref()?.arm))).collect()
    };
    let (first, _) = run(&project, &Roster::default(), noon(), 1, None, &leads);
    let reversed: Vec<String> = leads.iter().rev().cloned().collect();
    let (second, _) = run(&project, &Roster::default(), at("2027-03-01T08:00:00Z"), 99, None, &reversed);
    assert_eq!(arms(&first), arms(&second));
    // Rules added above and a label kept: the split's buckets do not move.
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(OWNERS).join("routing.route"));
    let edited = text.unwrap().replace(
        "na_pilot: when",
        "when account_id == \"nobody\" -> queue first\nwhen account_id == \"none\" -> queue second\nna_pilot: when",
    );
    let (third, _) = run(&project_of(&edited), &Roster::default(), noon(), 1, None, &leads);
    assert_eq!(arms(&first), arms(&third));
}

fn project_of(text: &str) -> Project {
    project(text)
}

#[test]
fn a_lead_without_the_split_field_goes_to_the_first_arm() {
    let project = project(
        r#"
schema lead {
  id: string
  account_id: string?
}
team a = ["a@x.io"]
team b = ["b@x.io"]
otherwise -> split test by account_id { 1% team a; 99% team b }
"#,
    );
    let leads = vec![r#"{"id": "L1"}"#.to_string(), r#"{"id": "L2", "account_id": ""}"#.to_string()];
    let (decisions, _) = run(&project, &Roster::default(), noon(), 0, None, &leads);
    for d in &decisions {
        assert_eq!(d.team.as_deref(), Some("a"), "{d:?}");
        assert_eq!(d.split.as_ref().map(|s| (s.arm, s.bucket)), Some((1, None)));
    }
    // An invalid lead has no field to hash: `on invalid`'s split sends it
    // to the first arm too.
    let invalid = project_of(
        r#"
schema lead {
  id: string
  employees: int
}
team a = ["a@x.io"]
team b = ["b@x.io"]
on invalid -> split triage by id { 1% queue first; 99% queue rest with team b }
otherwise -> team a
"#,
    );
    let bad = [r#"{"id": "X1", "employees": "many"}"#.to_string()];
    let (decisions, _) = run(&invalid, &Roster::default(), noon(), 0, None, &bad);
    let d = &decisions[0];
    assert_eq!((d.reason, d.queue.as_deref()), (route::eval::Reason::Invalid, Some("first")));
    assert_eq!(d.split.as_ref().map(|s| (s.name.as_str(), s.arm)), Some(("triage", 1)));
    assert!(d.secondary.is_none());
}

#[test]
fn the_second_owner_is_never_the_first_and_advances_its_own_rotation() {
    let project = project(
        r#"
schema lead { id: string }
team ae = ["ana@x.io", "ben@x.io"]
team both = ["ana@x.io", "ben@x.io", "cy@x.io"]
otherwise -> team ae with team both else fallback queue nobody
"#,
    );
    let (decisions, _) = run(&project, &Roster::default(), noon(), 0, None, &leads(6, ""));
    let pairs: Vec<(route::eval::Name, route::eval::Name)> =
        decisions.iter().map(|d| (d.assignee.unwrap(), d.secondary.as_ref().unwrap().assignee.unwrap())).collect();
    for (first, second) in &pairs {
        assert_ne!(first, second);
    }
    // ae alternates ana, ben; `both` moves on from whoever it gave last,
    // passing over the first owner.
    let shown: Vec<String> = pairs.iter().map(|(a, b)| format!("{}+{}", &a[..2], &b[..2])).collect();
    assert_eq!(shown, ["an+be", "be+cy", "an+be", "be+cy", "an+be", "be+cy"]);

    // A one-member second team that is the first owner: its fallback takes it.
    let alone = project_of(
        r#"
schema lead { id: string }
team ae = ["ana@x.io"]
otherwise -> team ae with team ae else fallback queue sdr_backlog
"#,
    );
    let (decisions, _) = run(&alone, &Roster::default(), noon(), 0, None, &leads(1, ""));
    let second = decisions[0].secondary.as_ref().unwrap();
    assert_eq!((second.queue.as_deref(), second.fallback), (Some("sdr_backlog"), true));
    assert_eq!(decisions[0].assignee.as_deref(), Some("ana@x.io"));
}

#[test]
fn nobody_for_the_second_place_leaves_the_first_owner_alone() {
    let project = project(
        r#"
schema lead { id: string }
team ae = ["ana@x.io"]
team sdr = ["sam@x.io"]
otherwise -> team ae with team sdr
"#,
    );
    let away = roster(r#"{"members": {"sam@x.io": {"available": false}}}"#);
    let (decisions, _) = run(&project, &away, noon(), 0, None, &leads(1, ""));
    let d = &decisions[0];
    assert_eq!((d.assignee.as_deref(), d.reason), (Some("ana@x.io"), route::eval::Reason::Matched));
    let second = d.secondary.as_ref().unwrap();
    assert_eq!(second.reason, route::eval::Reason::NoEligibleMember);
    assert_eq!((second.assignee.as_deref(), second.queue.as_deref()), (None, Some("unassigned")));
}

/// Routes one lead per instant, in order, through one router.
fn route_at(project: &Project, roster: &Roster, instants: &[&str]) -> Vec<Decision> {
    let mut router = Router::new(&project.program, &project.dag, roster, noon(), 0);
    router.explain_distribution(true);
    instants
        .iter()
        .enumerate()
        .map(|(i, instant)| {
            let record = route::io::single_lead(&project.program.schema, &format!("{{\"id\": \"L{i}\"}}"));
            router.route_at(format!("L{i}"), &record.lead.unwrap(), at(instant))
        })
        .collect()
}

fn capped_project() -> Project {
    project(
        r#"
schema lead { id: string }
team desk = ["ana@x.io", "ben@x.io"]
otherwise -> team desk via first_available else fallback queue overflow
"#,
    )
}

#[test]
fn a_daily_cap_holds_until_midnight_in_the_rep_s_zone() {
    let roster = roster(r#"{"members": {"ana@x.io": {"timezone": "Europe/Berlin", "max_per_day": 2}}}"#);
    // 22:00-22:40 UTC is 23:00-23:40 in Berlin; 23:10 UTC is 00:10 the next day.
    let instants = ["2026-11-25T22:00:00Z", "2026-11-25T22:20:00Z", "2026-11-25T22:40:00Z", "2026-11-25T23:10:00Z"];
    let decisions = route_at(&capped_project(), &roster, &instants);
    let who: Vec<&str> = decisions.iter().map(|d| d.assignee.as_deref().unwrap()).collect();
    assert_eq!(who, ["ana@x.io", "ana@x.io", "ben@x.io", "ana@x.io"]);
    let skipped = &decisions[2].distribution.as_ref().unwrap()[0].skipped;
    assert_eq!(skipped[0].reason, "at_daily_cap");
}

#[test]
fn a_weekly_cap_counts_from_monday_and_sends_leads_to_the_fallback() {
    let roster =
        roster(r#"{"members": {"ana@x.io": {"max_per_week": 2}, "ben@x.io": {"max_per_week": 1, "max_per_day": 5}}}"#);
    // Sat 28th, Sun 29th, Sun 29th again, Sun, then Monday 30th: a new week.
    let instants = [
        "2026-11-28T10:00:00Z",
        "2026-11-29T10:00:00Z",
        "2026-11-29T11:00:00Z",
        "2026-11-29T12:00:00Z",
        "2026-11-30T00:00:00Z",
    ];
    let decisions = route_at(&capped_project(), &roster, &instants);
    let who: Vec<String> =
        decisions.iter().map(|d| d.assignee.as_deref().or(d.queue.as_deref()).unwrap().to_string()).collect();
    assert_eq!(who, ["ana@x.io", "ana@x.io", "ben@x.io", "overflow", "ana@x.io"]);
    let skipped: Vec<&str> = decisions[3].distribution.as_ref().unwrap()[0].skipped.iter().map(|s| s.reason).collect();
    assert_eq!(skipped, ["at_weekly_cap", "at_weekly_cap"]);
}

#[test]
fn caps_are_carried_in_the_state_file_and_an_old_state_file_still_loads() {
    let project = capped_project();
    let roster = roster(r#"{"members": {"ana@x.io": {"max_per_day": 3}, "ben@x.io": {"max_per_day": 1}}}"#);
    let (first, saved) = run(&project, &roster, noon(), 0, None, &leads(2, ""));
    assert_eq!(first.iter().filter(|d| d.assignee.as_deref() == Some("ana@x.io")).count(), 2);
    let text = serde_json::to_string(&saved).unwrap();
    assert!(text.contains(r#""caps":{"day":{"start":"2026-11-25","count":2}"#), "{text}");
    let reloaded: SavedState = serde_json::from_str(&text).unwrap();
    // The next run (same day) has one lead left for ana, one for ben.
    let (second, _) = run(&project, &roster, noon(), 0, Some(&reloaded), &leads(3, ""));
    let who: Vec<String> =
        second.iter().map(|d| d.assignee.as_deref().or(d.queue.as_deref()).unwrap().to_string()).collect();
    assert_eq!(who, ["ana@x.io", "ben@x.io", "overflow"]);
    // The next day starts afresh.
    let (tomorrow, _) = run(&project, &roster, at("2026-11-26T12:00:00Z"), 0, Some(&reloaded), &leads(1, ""));
    assert_eq!(tomorrow[0].assignee.as_deref(), Some("ana@x.io"));

    // A state file written before caps existed.
    let old = r#"{"version": 1, "rng": 7, "teams": {"desk": {"members": ["ana@x.io", "ben@x.io"], "next": "ben@x.io", "weights": {}}},
                  "reps": {"ana@x.io": {"assigned": 12, "open_leads_basis": 0}}}"#;
    let old: SavedState = serde_json::from_str(old).unwrap();
    let (after_old, saved) = run(&project, &roster, noon(), 0, Some(&old), &leads(1, ""));
    assert_eq!(after_old[0].assignee.as_deref(), Some("ana@x.io"));
    assert_eq!(saved.reps["ana@x.io"].assigned, 13);
}

#[test]
fn a_cap_of_zero_or_not_a_whole_number_is_a_roster_problem() {
    let problems = Roster::from_json(
        r#"{"members": {"ana@x.io": {"max_per_day": 0}, "ben@x.io": {"max_per_week": "10"}, "cy@x.io": {"max_per_day": 2.5}}}"#,
    )
    .unwrap_err();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            r#"members."ana@x.io".max_per_day: a `max_per_day` of 0 means the rep never takes a lead; use `"available": false`"#,
            r#"members."ben@x.io".max_per_week: expected a whole number >= 1, found `"10"`"#,
            r#"members."cy@x.io".max_per_day: expected a whole number >= 1, found `2.5`"#,
        ]
    );
}

#[test]
fn eval_writes_split_and_secondary_and_the_summary_counts_them() {
    let output = route_bin()
        .args(["eval", OWNERS, "--leads", &format!("{OWNERS}/leads.jsonl"), "--roster"])
        .arg(format!("{OWNERS}/roster.json"))
        .args(["--now", "2026-11-25T10:00:00Z", "--summary", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 200);
    let first = &lines[0];
    assert_eq!(first["split"]["name"], "na_pilot");
    assert!(first.get("secondary").is_none() || first["split"]["arm"] == 2, "{first}");
    let emea: Vec<&serde_json::Value> = lines.iter().filter(|l| l["rule"] == "emea").collect();
    assert_eq!(emea.len(), 40);
    // sam takes 3 a day, sue 2: then the second place goes to the backlog.
    let seconds: Vec<&str> = emea
        .iter()
        .take(7)
        .map(|l| l["secondary"]["assignee"].as_str().or(l["secondary"]["queue"].as_str()).unwrap())
        .collect();
    let na_pilot_seconds = lines
        .iter()
        .filter(|l| l["rule"] == "na_pilot" && l["split"]["arm"] == 2 && l["secondary"]["assignee"].is_string());
    let taken_before = na_pilot_seconds.count();
    assert!(taken_before <= 5, "{taken_before}");
    assert!(seconds.contains(&"sdr_backlog"), "{seconds:?}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&output.stderr).to_string();
        panic!("summary is not JSON: {text}")
    });
    let split = &summary["splits"][0];
    assert_eq!(split["split"], "na_pilot");
    assert_eq!(split["leads"], 120);
    let arm_leads: u64 = split["arms"].as_array().unwrap().iter().map(|a| a["leads"].as_u64().unwrap()).sum();
    assert_eq!(arm_leads, 120);
    assert_eq!(split["arms"][0]["expected"], 0.9);
    let second = &summary["secondaries"];
    let by_rep: u64 = second["assignees"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(by_rep, 5, "{second}");
    assert_eq!(
        second["leads"].as_u64().unwrap(),
        second["fallback"].as_u64().unwrap() + 5 + second["no_eligible_member"].as_u64().unwrap()
    );
    // The summary for people says the same.
    let dir = tempfile::tempdir().unwrap();
    let human = route_bin()
        .args(["eval", OWNERS, "--leads", &format!("{OWNERS}/leads.jsonl"), "--roster"])
        .arg(format!("{OWNERS}/roster.json"))
        .args(["--now", "2026-11-25T10:00:00Z", "--summary", "-o"])
        .arg(dir.path().join("decisions.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8(human.stderr).unwrap();
    assert!(text.contains("split na_pilot (120 leads):\n  arm 1"), "{text}");
    assert!(text.contains("second owners by rep:\n  sam@acme.io"), "{text}");
}

#[test]
fn csv_output_has_the_split_and_second_owner_columns() {
    let output = route_bin()
        .args(["eval", OWNERS, "--leads", &format!("{OWNERS}/leads.jsonl"), "--output", "csv"])
        .args(["--now", "2026-11-25T10:00:00Z"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        "lead,rule,line,target,team,queue,assignee,strategy,fallback,reason,error_field,error_value,error_message,\
         split,split_arm,secondary_team,secondary_queue,secondary_assignee"
    );
    let emea = lines.find(|l| l.contains(",emea,")).unwrap();
    assert!(emea.ends_with(",,,sdr,,sam@acme.io"), "{emea}");
    // A project with neither keeps the columns it always had.
    let plain = route_bin()
        .args(["eval", "examples/quickstart", "--leads", "examples/quickstart/leads.csv", "--output", "csv"])
        .output()
        .unwrap();
    let header = String::from_utf8(plain.stdout).unwrap().lines().next().unwrap().to_string();
    assert!(!header.contains("split"), "{header}");
}

#[test]
fn check_warns_when_caps_cannot_absorb_the_expected_volume() {
    let args = ["check", OWNERS, "--roster", "tests/fixtures/owners/roster.json", "--expected-per-day"];
    let low = route_bin().args(args).arg("3").output().unwrap();
    assert_eq!(low.status.code(), Some(0), "{}", String::from_utf8_lossy(&low.stderr));
    assert!(!String::from_utf8_lossy(&low.stderr).contains("W0621"));
    let high = route_bin().args(args).arg("6").output().unwrap();
    let stderr = String::from_utf8(high.stderr).unwrap();
    assert!(
        stderr.contains("warning[W0621]: team `sdr` can take 5 leads a day under its caps, fewer than the 6 expected"),
        "{stderr}"
    );
    // Without --roster the flag is refused.
    let alone = route_bin().args(["check", OWNERS, "--expected-per-day", "6"]).output().unwrap();
    assert_eq!(alone.status.code(), Some(2));
}

#[test]
fn fmt_keeps_splits_and_second_owners_and_graph_draws_them() {
    let fmt = |source: &str| {
        let output = route_bin().args(["fmt", "-"]).write_stdin(source).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let short = "na: when region == \"NA\" -> split pilot by id {90% team na_core ;10% team na_pilot  with team sdr}\n\
                 otherwise -> team emea with team sdr else fallback queue sdr_backlog\n";
    assert_eq!(
        fmt(short),
        "na: when region == \"NA\" -> split pilot by id { 90% team na_core; 10% team na_pilot with team sdr }\n\
         otherwise               -> team emea with team sdr else fallback queue sdr_backlog\n"
    );
    // Too long for one line: one arm per line.
    let long = "na: when region == \"NA\" -> split pilot by id {90% team na_core ;10% team na_pilot via weighted else fallback queue q with team sdr}\n";
    let formatted = fmt(long);
    assert_eq!(
        formatted,
        "na: when region == \"NA\"\n    -> split pilot by id {\n      90% team na_core\n      \
         10% team na_pilot via weighted else fallback queue q with team sdr\n    }\n"
    );
    assert_eq!(fmt(&formatted), formatted);
    let graph = route_bin().args(["graph", OWNERS, "--view", "rules", "--format", "mermaid"]).output().unwrap();
    let graph = String::from_utf8(graph.stdout).unwrap();
    insta::assert_snapshot!("owners_rules_mermaid", graph);
}

#[test]
fn explain_names_the_bucket_the_arm_and_the_second_owner() {
    let project = owners_project();
    let nobody = Roster::default();
    let mut router = Router::new(&project.program, &project.dag, &nobody, noon(), 0);
    router.explain_distribution(true);
    let lead = route::io::single_lead(&project.program.schema, r#"{"id": "L0011", "region": "NA"}"#).lead.unwrap();
    let decision = router.route("L0011".into(), &lead);
    let steps: Vec<String> = decision
        .distribution
        .unwrap()
        .iter()
        .map(|s| format!("{} -> {}: {}", s.target, s.took.as_deref().unwrap_or("-"), s.note.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        steps,
        [
            "split na_pilot by id -> -: `id` falls in bucket 9921 of 10000: arm 2 (10%)",
            "team na_pilot -> cy@acme.io: ",
            "with team sdr -> sam@acme.io: ",
        ]
    );
}

#[test]
fn teams_reached_only_through_an_arm_or_a_second_owner_are_used() {
    let source = r#"
schema lead {
  id: string
  region: "NA" | "EMEA"
}
team ae = ["ana@x.io"]
team pilot = ["pia@x.io"]
team sdr = ["sam@x.io"]
team idle = ["ida@x.io"]
na: when region == "NA" -> split by id { 50% team ae; 50% team pilot }
otherwise -> team ae with team sdr
"#;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("t.route");
    let checked = route::check::check_source("t.route", &path, source.to_string());
    let program = checked.program.unwrap();
    let dag = route::compile::compile(&program, route::compile::Budget::for_program(&program));
    let options = route::analysis::Options { overlaps: false };
    let found = route::analysis::analyse(&program, &dag, &checked.sources, &options).diagnostics;
    let unused: Vec<&str> = found.0.iter().filter(|d| d.code.as_str() == "W0107").map(|d| d.message.as_str()).collect();
    assert_eq!(unused, ["team `idle` is never used"]);
    // The staffing check knows the arm's team and the second owner's: sam
    // works mornings only, and nothing else takes the second place then.
    let roster = roster(r#"{"members": {"sam@x.io": {"hours": "Mon-Sun 08:00-12:00"}}}"#);
    let staffing = route::analysis::staffing::check_roster_at(&program, &roster, &checked.sources, noon());
    let messages: Vec<&str> = staffing.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["team `sdr` has nobody working Mon-Sun 00:00-08:00,12:00-24:00 (UTC)"]);
}

#[test]
fn route_test_can_expect_the_second_owner() {
    let passing = route_bin().args(["test", OWNERS]).output().unwrap();
    let stdout = String::from_utf8(passing.stdout).unwrap();
    assert_eq!(passing.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    // The same test expecting the wrong second owner fails and says who it was.
    let dir = tempfile::tempdir().unwrap();
    for file in ["routing.route", "roster.json"] {
        std::fs::copy(Path::new(OWNERS).join(file), dir.path().join(file)).unwrap();
    }
    let test = std::fs::read_to_string(Path::new(OWNERS).join("owners.test.route")).unwrap();
    let wrong = test.replace(r#"expect secondary "sue@acme.io""#, r#"expect secondary "sam@acme.io""#);
    std::fs::write(dir.path().join("owners.test.route"), wrong).unwrap();
    let failing = route_bin().arg("test").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8(failing.stdout).unwrap();
    assert_eq!(failing.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("expected secondary `sam@acme.io`, got secondary `sue@acme.io`"), "{stdout}");
}
