//! Every distribution strategy (LANGUAGE.md §6, docs/distribution.md):
//! a snapshot of each one's assignment sequence, and property tests for
//! weighted shares, sticky stability and minimal movement.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod distribution_support;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use distribution_support::{assignees, leads, noon, project, roster, run, short, Project};
use proptest::prelude::*;
use route::eval::Roster;

const STRATEGIES: [&str; 6] =
    ["round_robin", "weighted", "load_balanced", "random", "sticky(account_id)", "first_available"];

/// One team of four (weights 3, 2, 1, 1) and one rule using `strategy`.
fn team_of_four(strategy: &str) -> Project {
    project(&format!(
        r#"
schema lead {{
  id: string
  account_id: string?
}}
team reps = ["ana@acme.io" weight 3, "ben@acme.io" weight 2, "cy@acme.io", "di@acme.io"]
otherwise -> team reps via {strategy}
"#
    ))
}

/// Leads with account ids, some repeated, some absent (`-`).
fn accounts(keys: &str) -> Vec<String> {
    keys.split_whitespace()
        .enumerate()
        .map(|(i, key)| match key {
            "-" => format!(r#"{{"id": "L{}"}}"#, i + 1),
            key => format!(r#"{{"id": "L{}", "account_id": "{key}"}}"#, i + 1),
        })
        .collect()
}

#[test]
fn each_strategy_s_assignment_sequence() {
    let rosters: [(&str, Roster); 3] = [
        ("everyone eligible", Roster::default()),
        (
            "uneven loads",
            roster(
                r#"{"members": {
                "ana@acme.io": {"capacity": 12, "open_leads": 6},
                "ben@acme.io": {"capacity": 8, "open_leads": 2},
                "cy@acme.io": {"capacity": 4, "open_leads": 0},
                "di@acme.io": {"capacity": 10, "open_leads": 5}}}"#,
            ),
        ),
        (
            "cy away, ana 2 from full",
            roster(
                r#"{"members": {
                "ana@acme.io": {"capacity": 10, "open_leads": 8},
                "cy@acme.io": {"out_of_office": [["2026-11-20", "2026-11-30"]]}}}"#,
            ),
        ),
    ];
    let keyed = accounts("A1 A2 A3 A1 A2 A4 - - A5 A1 A6 - A3 A7");
    let mut out = String::new();
    for strategy in STRATEGIES {
        let project = team_of_four(strategy);
        for (situation, roster) in &rosters {
            let (decisions, _) = run(&project, roster, noon(), 42, None, &keyed);
            let _ = writeln!(out, "{strategy:<20} {situation:<26} {}", short(&decisions));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn round_robin_takes_turns_in_member_order_and_shares_one_cursor_between_rules() {
    let project = project(
        r#"
schema lead { id: string  hot: bool }
team reps = ["ana@acme.io", "ben@acme.io", "cy@acme.io"]
when hot -> team reps
otherwise -> team reps via round_robin
"#,
    );
    let leads: Vec<String> =
        (1..=7).map(|i| format!(r#"{{"id": "L{i}", "hot": {}}}"#, if i % 2 == 0 { "true" } else { "false" })).collect();
    let (decisions, _) = run(&project, &Roster::default(), noon(), 0, None, &leads);
    assert_eq!(short(&decisions), "ana ben cy ana ben cy ana");
}

#[test]
fn first_available_takes_the_first_eligible_member() {
    let project = team_of_four("first_available");
    let roster = roster(r#"{"members": {"ana@acme.io": {"capacity": 2}, "ben@acme.io": {"available": false}}}"#);
    let (decisions, _) = run(&project, &roster, noon(), 0, None, &leads(5, ""));
    assert_eq!(short(&decisions), "ana ana cy cy cy");
}

#[test]
fn load_balanced_counts_up_within_the_batch_and_breaks_ties_by_member_order() {
    let project = team_of_four("load_balanced");
    // Loads 2/4, 1/2, 3/6 and 0 (di has no capacity: counted as 1).
    let roster = roster(
        r#"{"members": {
            "ana@acme.io": {"capacity": 4, "open_leads": 2},
            "ben@acme.io": {"capacity": 2, "open_leads": 1},
            "cy@acme.io": {"capacity": 6, "open_leads": 3},
            "di@acme.io": {"open_leads": 0}}}"#,
    );
    let (decisions, _) = run(&project, &roster, noon(), 0, None, &leads(6, ""));
    // di (0) first, then 1; ana, ben and cy tie at 1/2 and go in member
    // order (ben is then full at 2/2); cy 4/6 < ana 3/4; cy 5/6 > ana 3/4.
    assert_eq!(short(&decisions), "di ana ben cy cy ana");
}

#[test]
fn random_is_reproducible_for_a_seed_and_roughly_uniform() {
    let project = team_of_four("random");
    let many = leads(4000, "");
    let (a, _) = run(&project, &Roster::default(), noon(), 7, None, &many);
    let (b, _) = run(&project, &Roster::default(), noon(), 7, None, &many);
    let (c, _) = run(&project, &Roster::default(), noon(), 8, None, &many);
    assert_eq!(assignees(&a), assignees(&b));
    assert_ne!(assignees(&a), assignees(&c));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for rep in assignees(&a) {
        *counts.entry(rep).or_default() += 1;
    }
    assert_eq!(counts.len(), 4);
    assert!(counts.values().all(|&n| (850..=1150).contains(&n)), "{counts:?}");
}

#[test]
fn sticky_without_a_key_takes_turns_instead_of_piling_on_one_rep() {
    let project = team_of_four("sticky(account_id)");
    let (decisions, _) = run(&project, &Roster::default(), noon(), 0, None, &leads(8, ""));
    assert_eq!(short(&decisions), "ana ben cy di ana ben cy di");
}

#[test]
fn sticky_keys_keep_their_rep_while_eligible_and_come_back_after() {
    let project = team_of_four("sticky(account_id)");
    let keys: Vec<String> = (0..200).map(|i| format!("ACC-{i}")).collect();
    let batch = accounts(&keys.join(" "));
    let (first, _) = run(&project, &Roster::default(), noon(), 0, None, &batch);
    // Ben on holiday: only his keys move.
    let away = roster(r#"{"members": {"ben@acme.io": {"available": false}}}"#);
    let (during, _) = run(&project, &away, noon(), 0, None, &batch);
    for (before, now) in first.iter().zip(&during) {
        if before.assignee.as_deref() == Some("ben@acme.io") {
            assert_ne!(now.assignee, before.assignee);
        } else {
            assert_eq!(now.assignee, before.assignee);
        }
    }
    // Back from holiday: every key is where it was.
    let (after, _) = run(&project, &Roster::default(), noon(), 0, None, &batch);
    assert_eq!(assignees(&after), assignees(&first));
}

/// The fraction of `keys` that move when the team `before` becomes `after`.
fn moved(before: &[&str], after: &[&str], keys: usize) -> (f64, bool) {
    let team = |members: &[&str]| {
        project(&format!(
            "schema lead {{ id: string  account_id: string? }}\nteam t = [{}]\notherwise -> team t via sticky(account_id)\n",
            members.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ")
        ))
    };
    let batch = accounts(&(0..keys).map(|i| format!("K{i}")).collect::<Vec<_>>().join(" "));
    let (a, _) = run(&team(before), &Roster::default(), noon(), 0, None, &batch);
    let (b, _) = run(&team(after), &Roster::default(), noon(), 0, None, &batch);
    let mut moved = 0;
    let mut only_what_must = true;
    for (x, y) in assignees(&a).iter().zip(assignees(&b)) {
        if *x != y {
            moved += 1;
            // A key moves only off a removed rep, or onto an added one.
            only_what_must &= !after.contains(&x.as_str()) || !before.contains(&y.as_str());
        }
    }
    (moved as f64 / keys as f64, only_what_must)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// With everyone eligible, N whole cycles (N * sum of weights leads)
    /// give each member exactly N * its weight, and every prefix stays
    /// within 2 leads of the exact share (smooth: 3:1 is `a a b a`).
    #[test]
    fn weighted_gives_exact_shares_over_whole_cycles(
        weights in prop::collection::vec(1u32..=9, 1..=6),
        cycles in 1usize..=4,
    ) {
        let members: Vec<String> =
            weights.iter().enumerate().map(|(i, w)| format!("\"r{i}@x.io\" weight {w}")).collect();
        let project = project(&format!(
            "schema lead {{ id: string }}\nteam t = [{}]\notherwise -> team t via weighted\n",
            members.join(", ")
        ));
        let total: u32 = weights.iter().sum();
        let n = cycles * total as usize;
        let (decisions, _) = run(&project, &Roster::default(), noon(), 0, None, &leads(n, ""));
        let mut counts = vec![0usize; weights.len()];
        for (t, rep) in assignees(&decisions).iter().enumerate() {
            let i: usize = rep[1..rep.find('@').unwrap()].parse().unwrap();
            counts[i] += 1;
            for (j, &w) in weights.iter().enumerate() {
                let exact = (t + 1) as f64 * f64::from(w) / f64::from(total);
                prop_assert!((counts[j] as f64 - exact).abs() < 2.0, "after {} leads r{j} has {}", t + 1, counts[j]);
            }
        }
        for (i, &w) in weights.iter().enumerate() {
            prop_assert_eq!(counts[i], cycles * w as usize);
        }
    }

    /// Removing one of N reps moves only that rep's keys (about 1/N of
    /// them); adding one moves keys only onto the newcomer.
    #[test]
    fn sticky_moves_only_the_keys_it_must(n in 2usize..=7, removed in 0usize..7) {
        let names: Vec<String> = (0..n).map(|i| format!("rep{i}@x.io")).collect();
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        let removed = removed % n;
        let fewer: Vec<&str> = all.iter().copied().enumerate().filter(|(i, _)| *i != removed).map(|(_, m)| m).collect();
        let (fraction, only_what_must) = moved(&all, &fewer, 600);
        prop_assert!(only_what_must);
        let expected = 1.0 / n as f64;
        prop_assert!((fraction - expected).abs() < 0.08, "moved {fraction:.3} of keys, expected about {expected:.3}");
        let (fraction, only_what_must) = moved(&fewer, &all, 600);
        prop_assert!(only_what_must);
        prop_assert!((fraction - expected).abs() < 0.08, "moved {fraction:.3} of keys, expected about {expected:.3}");
    }

    /// A split's arm is the one whose cumulative range holds the lead's
    /// bucket, recomputed here by brute force over every arm; and growing
    /// one arm at its neighbour's expense moves only keys from that
    /// neighbour into it, exactly those whose bucket changed hands.
    #[test]
    fn split_arms_match_the_buckets_and_a_share_change_moves_the_fewest_keys(
        cuts in prop::collection::btree_set(1u32..10_000, 1..=4),
        grow in 0usize..4,
        by in 1u32..=500,
        name in "x[a-z]{0,7}",
    ) {
        let mut bounds: Vec<u32> = cuts.into_iter().collect();
        bounds.push(10_000);
        let shares: Vec<u32> = bounds.iter().scan(0, |low, &high| { let s = high - *low; *low = high; Some(s) }).collect();
        let grow = grow % shares.len();
        // Grow arm `grow` by taking from the next arm (or the previous, for the last).
        let donor = if grow + 1 < shares.len() { grow + 1 } else { grow.saturating_sub(1) };
        let mut changed = shares.clone();
        let taken = by.min(changed[donor].saturating_sub(1));
        changed[donor] -= taken;
        changed[grow] += taken;
        let (before, after) = (split_project(&name, &shares), split_project(&name, &changed));
        let keys = leads(400, "");
        let (first, _) = run(&before, &Roster::default(), noon(), 0, None, &keys);
        let (second, _) = run(&after, &Roster::default(), noon(), 0, None, &keys);
        for (a, b) in first.iter().zip(&second) {
            let bucket = route::eval::split::bucket(&name, &a.lead);
            let (arm_a, arm_b) = (a.split.as_ref().unwrap().arm, b.split.as_ref().unwrap().arm);
            prop_assert_eq!(arm_a, brute_force_arm(&shares, bucket));
            prop_assert_eq!(arm_b, brute_force_arm(&changed, bucket));
            prop_assert_eq!(a.queue.as_deref().map(str::to_string), Some(format!("arm{arm_a}")));
            if arm_a != arm_b {
                prop_assert_eq!((arm_a as usize - 1, arm_b as usize - 1), (donor, grow));
            }
        }
    }

    /// Whatever the caps, zones and instants, no rep is ever given more
    /// than `max_per_day` leads in one of their local days or
    /// `max_per_week` in one of their local weeks, and a lead past every
    /// cap goes to the fallback.
    #[test]
    fn caps_are_never_exceeded(
        caps in prop::collection::vec((prop::option::of(1u64..=4), prop::option::of(1u64..=9), 0usize..3), 1..=4),
        minutes in prop::collection::vec(0i64..(60 * 24 * 10), 1..=60),
    ) {
        const ZONES: [&str; 3] = ["UTC", "Europe/Berlin", "America/Los_Angeles"];
        let members: Vec<String> = (0..caps.len()).map(|i| format!("\"r{i}@x.io\"")).collect();
        let project = project(&format!(
            "schema lead {{ id: string }}\nteam t = [{}]\notherwise -> team t else fallback queue overflow\n",
            members.join(", ")
        ));
        let entries: Vec<String> = caps
            .iter()
            .enumerate()
            .map(|(i, (day, week, zone))| {
                let mut fields = vec![format!("\"timezone\": \"{}\"", ZONES[*zone])];
                fields.extend(day.map(|d| format!("\"max_per_day\": {d}")));
                fields.extend(week.map(|w| format!("\"max_per_week\": {w}")));
                format!("\"r{i}@x.io\": {{{}}}", fields.join(", "))
            })
            .collect();
        let roster = roster(&format!("{{\"members\": {{{}}}}}", entries.join(", ")));
        let mut instants: Vec<jiff::Timestamp> =
            minutes.iter().map(|m| noon().checked_add(jiff::SignedDuration::from_mins(*m)).unwrap()).collect();
        instants.sort();
        let mut router = route::eval::Router::new(&project.program, &project.dag, &roster, noon(), 0);
        let mut days: BTreeMap<(usize, jiff::civil::Date), u64> = BTreeMap::new();
        let mut weeks: BTreeMap<(usize, jiff::civil::Date), u64> = BTreeMap::new();
        for (n, instant) in instants.iter().enumerate() {
            let lead = route::io::single_lead(&project.program.schema, &format!("{{\"id\": \"L{n}\"}}")).lead.unwrap();
            let decision = router.route_at(format!("L{n}"), &lead, *instant);
            let Some(rep) = decision.assignee else {
                prop_assert_eq!(decision.queue.as_deref(), Some("overflow"));
                // Nobody had room: every member is at one of their caps.
                continue;
            };
            let i: usize = rep[1..rep.find('@').unwrap()].parse().unwrap();
            let (day_cap, week_cap, zone) = caps[i];
            let local = instant.to_zoned(jiff::tz::TimeZone::get(ZONES[zone]).unwrap()).date();
            let monday = local.checked_sub(jiff::Span::new().days(i64::from(local.weekday().to_monday_zero_offset()))).unwrap();
            let today = days.entry((i, local)).or_default();
            *today += 1;
            let this_week = weeks.entry((i, monday)).or_default();
            *this_week += 1;
            prop_assert!(day_cap.is_none_or(|cap| *today <= cap), "r{i} got {today} on {local}");
            prop_assert!(week_cap.is_none_or(|cap| *this_week <= cap), "r{i} got {this_week} in the week of {monday}");
        }
    }
}

/// A project whose only rule splits by id into arms that send to queues
/// `arm1`, `arm2`, ... with `shares` (in hundredths of a percent).
fn split_project(name: &str, shares: &[u32]) -> Project {
    let arms: Vec<String> =
        shares.iter().enumerate().map(|(i, s)| format!("{}.{:02}% queue arm{}", s / 100, s % 100, i + 1)).collect();
    project(&format!("schema lead {{ id: string }}\notherwise -> split {name} by id {{ {} }}\n", arms.join("; ")))
}

/// The arm (from 1) holding `bucket`: the first whose cumulative upper
/// bound is above it, found by walking every arm.
fn brute_force_arm(shares: &[u32], bucket: u32) -> u32 {
    let mut upper = 0;
    for (i, share) in shares.iter().enumerate() {
        upper += share;
        if bucket < upper {
            return i as u32 + 1;
        }
    }
    unreachable!("bucket {bucket} past 10000")
}
