//! Saved distribution state (`--state FILE`): runs chained by a state file
//! give what one run would; team and roster changes are absorbed without a
//! burst; the file is written atomically and locked, so two processes on
//! one state file never lose or repeat a step.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod distribution_support;

use std::path::Path;
use std::process::{Command, Stdio};

use distribution_support::{assignees, leads, noon, project, roster, run, short, Project};
use route::eval::state::SavedState;
use route::eval::Roster;

/// Saves and reloads a state through its JSON form, as `--state` does.
fn through_json(state: &SavedState) -> SavedState {
    serde_json::from_str(&serde_json::to_string_pretty(state).unwrap()).unwrap()
}

fn team(members: &str, strategy: &str) -> Project {
    project(&format!(
        "schema lead {{ id: string  account_id: string? }}\nteam t = [{members}]\notherwise -> team t via {strategy}\n"
    ))
}

/// Routes `sizes` batches one after the other, each a run of its own that
/// starts from the state the previous one saved.
fn chained(project: &Project, roster: &Roster, seed: u64, sizes: &[usize]) -> Vec<String> {
    let mut saved: Option<SavedState> = None;
    let mut out = Vec::new();
    for &n in sizes {
        let (decisions, state) = run(project, roster, noon(), seed, saved.as_ref(), &leads(n, ""));
        out.extend(assignees(&decisions));
        saved = Some(through_json(&state));
    }
    out
}

#[test]
fn runs_chained_by_a_state_file_give_what_one_run_gives() {
    let roster = roster(
        r#"{"members": {"a@x.io": {"capacity": 30, "open_leads": 3}, "b@x.io": {"capacity": 20},
                        "c@x.io": {"capacity": 25, "open_leads": 9}}}"#,
    );
    for strategy in ["round_robin", "weighted", "load_balanced", "random", "first_available"] {
        let project = team(r#""a@x.io" weight 3, "b@x.io" weight 2, "c@x.io""#, strategy);
        let one = chained(&project, &roster, 5, &[40]);
        let many = chained(&project, &roster, 5, &[7, 1, 13, 19]);
        assert_eq!(one, many, "{strategy}");
    }
}

#[test]
fn a_rep_back_from_holiday_gets_a_fair_share_not_a_catch_up_burst() {
    for strategy in ["round_robin", "weighted"] {
        let project = team(r#""a@x.io", "b@x.io", "c@x.io""#, strategy);
        let away = roster(r#"{"members": {"b@x.io": {"out_of_office": [["2026-11-01", "2026-11-30"]]}}}"#);
        let (during, saved) = run(&project, &away, noon(), 0, None, &leads(30, ""));
        assert!(!assignees(&during).contains(&"b@x.io".to_string()));
        let (after, _) = run(&project, &Roster::default(), noon(), 0, Some(&through_json(&saved)), &leads(9, ""));
        let to_b = assignees(&after).iter().filter(|a| *a == "b@x.io").count();
        assert_eq!(to_b, 3, "{strategy}: {}", short(&after));
        // ... and not first in a row either: at most 2 of the first 3.
        let early = assignees(&after[..3]).iter().filter(|a| *a == "b@x.io").count();
        assert!(early <= 1, "{strategy}: {}", short(&after));
    }
}

#[test]
fn a_newcomer_joins_the_rotation_without_a_burst() {
    for strategy in ["round_robin", "weighted"] {
        let before = team(r#""a@x.io" weight 3, "b@x.io""#, strategy);
        let (_, saved) = run(&before, &Roster::default(), noon(), 0, None, &leads(6, ""));
        let after = team(r#""a@x.io" weight 3, "b@x.io", "n@x.io" weight 2"#, strategy);
        let (decisions, _) = run(&after, &Roster::default(), noon(), 0, Some(&through_json(&saved)), &leads(18, ""));
        let count = |rep: &str, upto: usize| assignees(&decisions[..upto]).iter().filter(|a| *a == rep).count();
        let newcomer_share = if strategy == "weighted" { 2 } else { 1 };
        let cycle = if strategy == "weighted" { 6 } else { 3 };
        assert!(count("n@x.io", cycle) <= newcomer_share + 1, "{strategy}: {}", short(&decisions));
        assert_eq!(count("n@x.io", 18), 18 / cycle * newcomer_share, "{strategy}: {}", short(&decisions));
    }
}

#[test]
fn when_the_next_member_leaves_round_robin_resumes_at_the_one_after_it() {
    let before = team(r#""a@x.io", "b@x.io", "c@x.io", "d@x.io""#, "round_robin");
    let (decisions, saved) = run(&before, &Roster::default(), noon(), 0, None, &leads(1, ""));
    assert_eq!(short(&decisions), "a");
    let after = team(r#""a@x.io", "c@x.io", "d@x.io""#, "round_robin");
    let (decisions, _) = run(&after, &Roster::default(), noon(), 0, Some(&saved), &leads(4, ""));
    assert_eq!(short(&decisions), "c d a c");
}

#[test]
fn a_weight_cut_does_not_leave_a_backlog() {
    // a carried weight 9 of 10; its credit is capped at one cycle of the new team.
    let before = team(r#""a@x.io" weight 9, "b@x.io""#, "weighted");
    let (_, mut saved) = run(&before, &Roster::default(), noon(), 0, None, &leads(3, ""));
    saved.teams.get_mut("t").unwrap().weights.insert("b@x.io".into(), -50);
    saved.teams.get_mut("t").unwrap().weights.insert("a@x.io".into(), 50);
    let after = team(r#""a@x.io", "b@x.io""#, "weighted");
    let (decisions, _) = run(&after, &Roster::default(), noon(), 0, Some(&saved), &leads(8, ""));
    let to_a = assignees(&decisions).iter().filter(|a| *a == "a@x.io").count();
    assert!((4..=6).contains(&to_a), "{}", short(&decisions));
}

#[test]
fn load_counts_persist_until_the_roster_is_refreshed() {
    let project = team(r#""a@x.io", "b@x.io""#, "load_balanced");
    let morning = roster(r#"{"members": {"a@x.io": {"capacity": 10}, "b@x.io": {"capacity": 10, "open_leads": 2}}}"#);
    // Loads 0 and 2/10: a takes three (the tie at 2/10 goes to a, first).
    let (decisions, saved) = run(&project, &morning, noon(), 0, None, &leads(3, ""));
    assert_eq!(short(&decisions), "a a a");
    assert_eq!(saved.reps["a@x.io"].assigned, 3);
    // The same roster later: the run remembers a has 3 more than it says.
    let (decisions, saved) = run(&project, &morning, noon(), 0, Some(&saved), &leads(2, ""));
    assert_eq!(short(&decisions), "b a");
    // The CRM refreshed the roster and its open_leads now count route's
    // leads: the saved counts are dropped rather than counted twice (else a
    // would be at 8/10 and b at 7/10).
    let refreshed = roster(
        r#"{"members": {"a@x.io": {"capacity": 10, "open_leads": 4}, "b@x.io": {"capacity": 10, "open_leads": 6}}}"#,
    );
    let (decisions, saved) = run(&project, &refreshed, noon(), 0, Some(&saved), &leads(1, ""));
    assert_eq!(short(&decisions), "a");
    assert_eq!(
        saved.reps["a@x.io"],
        route::eval::state::SavedRep { assigned: 1, open_leads_basis: 4, ..Default::default() }
    );
    assert!(!saved.reps.contains_key("b@x.io"));
}

#[test]
fn capacity_counts_carry_over_between_runs() {
    let project = team(r#""a@x.io", "b@x.io""#, "first_available");
    let roster = roster(r#"{"members": {"a@x.io": {"capacity": 2}}}"#);
    let (first, saved) = run(&project, &roster, noon(), 0, None, &leads(1, ""));
    let (second, _) = run(&project, &roster, noon(), 0, Some(&saved), &leads(2, ""));
    assert_eq!(format!("{} | {}", short(&first), short(&second)), "a | a b");
}

#[test]
fn a_saved_generator_wins_over_seed_so_chained_runs_do_not_repeat() {
    let project = team(r#""a@x.io", "b@x.io", "c@x.io""#, "random");
    let (one, _) = run(&project, &Roster::default(), noon(), 1, None, &leads(20, ""));
    let (first, saved) = run(&project, &Roster::default(), noon(), 1, None, &leads(10, ""));
    let (second, _) = run(&project, &Roster::default(), noon(), 999, Some(&saved), &leads(10, ""));
    assert_eq!(assignees(&one), [assignees(&first), assignees(&second)].concat());
}

// ---------------------------------------------------------------- the binary

const DESK: &str = "tests/fixtures/distribution/desk";

fn route() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_route"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// `n` round-robin leads numbered from `from`, as JSONL.
fn write_leads(path: &Path, from: usize, n: usize) {
    let text: String = (from..from + n).map(|i| format!("{{\"id\": \"L{i}\", \"kind\": \"rr\"}}\n")).collect();
    std::fs::write(path, text).unwrap();
}

fn eval(leads: &Path, state: &Path) -> std::process::Output {
    route()
        .args(["eval", DESK, "--now", "2026-11-25T12:00:00Z", "--leads"])
        .arg(leads)
        .arg("--state")
        .arg(state)
        .output()
        .unwrap()
}

fn assignees_of(output: &std::process::Output) -> Vec<String> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["assignee"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_state_file_carries_the_cursor_and_is_replaced_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let (leads, state) = (dir.path().join("leads.jsonl"), dir.path().join("state.json"));
    write_leads(&leads, 1, 4);
    let first = assignees_of(&eval(&leads, &state));
    let second = assignees_of(&eval(&leads, &state));
    assert_eq!(first, ["ana@acme.io", "ben@acme.io", "cy@acme.io", "ana@acme.io"]);
    assert_eq!(second, ["ben@acme.io", "cy@acme.io", "ana@acme.io", "ben@acme.io"]);
    let saved: SavedState = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.teams["desk"].next.as_deref(), Some("cy@acme.io"));
    // Only the state and its lock file remain: no temporary file.
    let mut files: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["leads.jsonl", "state.json", "state.json.lock"]);
}

#[test]
fn a_state_file_that_is_not_one_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (leads, state) = (dir.path().join("leads.jsonl"), dir.path().join("state.json"));
    write_leads(&leads, 1, 1);
    std::fs::write(&state, "{\"cursor\": 3}").unwrap();
    let output = eval(&leads, &state);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("is not a route state file"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "{\"cursor\": 3}");
}

/// Two `route eval --state S` processes started together, each routing N
/// leads to one round-robin team: the lock makes them take turns, so the
/// two outputs are the two halves of one run of 2N, in one order or the
/// other, and the final state is that of the run of 2N.
#[test]
fn two_processes_on_one_state_file_never_lose_or_repeat_a_step() {
    const N: usize = 2_000;
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let (leads_a, leads_b, leads_all) =
            (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"), dir.path().join("all.jsonl"));
        write_leads(&leads_a, 1, N);
        write_leads(&leads_b, N + 1, N);
        write_leads(&leads_all, 1, 2 * N);
        let spawn = |leads: &Path| {
            route()
                .args(["eval", DESK, "--now", "2026-11-25T12:00:00Z", "--leads"])
                .arg(leads)
                .arg("--state")
                .arg(&state)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(&leads_a), spawn(&leads_b));
        // Drain both at once: the one waiting for the lock must not wait on
        // a full pipe of the other's.
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| a.wait_with_output().unwrap());
            let b = scope.spawn(|| b.wait_with_output().unwrap());
            (a.join().unwrap(), b.join().unwrap())
        });
        let (a, b) = (assignees_of(&a), assignees_of(&b));

        let single_state = dir.path().join("single.json");
        let one = assignees_of(&eval(&leads_all, &single_state));
        assert!(
            [a.clone(), b.clone()].concat() == one || [b.clone(), a.clone()].concat() == one,
            "round {round}: the two runs interleaved or repeated a step"
        );
        let counts = |reps: &[String]| {
            ["ana@acme.io", "ben@acme.io", "cy@acme.io"].map(|r| reps.iter().filter(|a| *a == r).count())
        };
        let both = [a, b].concat();
        assert_eq!(counts(&both), counts(&one));
        let read = |p: &Path| serde_json::from_str::<SavedState>(&std::fs::read_to_string(p).unwrap()).unwrap();
        assert_eq!(read(&state).teams, read(&single_state).teams);
    }
}
