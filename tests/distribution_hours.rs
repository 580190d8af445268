//! The roster at eval time: eligibility at `--now` by working hours, time
//! zones (across the 2026 daylight-saving changes), out-of-office dates,
//! pauses and capacity; roster problems reported with their JSON paths.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod distribution_support;

use distribution_support::{at, leads, project, roster, run, short};
use route::eval::roster::Ineligible;
use route::eval::Roster;

/// (zone, hours, instant, expected: None = eligible, else why not).
type Case = (&'static str, &'static str, &'static str, Option<Ineligible>);

const OUT: Option<Ineligible> = Some(Ineligible::OutsideHours);

#[rustfmt::skip]
const CASES: &[Case] = &[
    // New York, Mon-Fri 09:00-17:00: 13:30Z is 09:30 in summer time (EDT,
    // -4) and 08:30 in winter time (EST, -5); 14:30Z is 09:30 in winter.
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-07-15T13:30:00Z", None),
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-07-15T12:30:00Z", OUT),
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-12-16T14:30:00Z", None),
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-12-16T13:30:00Z", OUT),
    // The US springs forward on Sunday 2026-03-08.
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-03-06T13:30:00Z", OUT),  // Fri 08:30 EST
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-03-06T14:30:00Z", None), // Fri 09:30 EST
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-03-09T13:30:00Z", None), // Mon 09:30 EDT
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-03-09T20:59:00Z", None), // Mon 16:59 EDT
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-03-09T21:00:00Z", OUT),  // Mon 17:00 EDT
    // ... and falls back on Sunday 2026-11-01.
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-10-30T13:30:00Z", None), // Fri 09:30 EDT
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-11-02T13:30:00Z", OUT),  // Mon 08:30 EST
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-11-02T14:30:00Z", None), // Mon 09:30 EST
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-11-02T21:59:00Z", None), // Mon 16:59 EST
    ("America/New_York", "Mon-Fri 09:00-17:00", "2026-11-02T22:00:00Z", OUT),  // Mon 17:00 EST
    // Berlin springs forward on Sunday 2026-03-29 (CET +1 -> CEST +2) ...
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-03-27T07:30:00Z", OUT),  // Fri 08:30 CET
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-03-27T08:00:00Z", None), // Fri 09:00 CET
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-03-30T07:00:00Z", None), // Mon 09:00 CEST
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-03-30T15:00:00Z", OUT),  // Mon 17:00 CEST
    // ... and falls back on Sunday 2026-10-25.
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-10-23T07:00:00Z", None), // Fri 09:00 CEST
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-10-23T15:00:00Z", OUT),  // Fri 17:00 CEST
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-10-26T07:30:00Z", OUT),  // Mon 08:30 CET
    ("Europe/Berlin", "Mon-Fri 09:00-17:00", "2026-10-26T15:59:00Z", None), // Mon 16:59 CET
    // The same instant, Monday 2026-03-16 13:30Z, is inside New York hours
    // (09:30 EDT) while Berlin is still on winter time (14:30 CET).
    ("Europe/Berlin", "Mon-Fri 09:00-14:00", "2026-03-16T13:30:00Z", OUT),
    ("America/New_York", "Mon-Fri 09:00-14:00", "2026-03-16T13:30:00Z", None),
    // Hours through the changes themselves: the skipped hour is simply not
    // there, and the repeated hour is worked twice.
    ("Europe/Berlin", "Sun 01:00-04:00", "2026-03-29T00:30:00Z", None), // 01:30 CET
    ("Europe/Berlin", "Sun 01:00-04:00", "2026-03-29T01:30:00Z", None), // 03:30 CEST
    ("Europe/Berlin", "Sun 01:00-04:00", "2026-03-29T02:00:00Z", OUT),  // 04:00 CEST
    ("Europe/Berlin", "Sun 02:00-03:00", "2026-10-25T00:30:00Z", None), // 02:30 CEST
    ("Europe/Berlin", "Sun 02:00-03:00", "2026-10-25T01:30:00Z", None), // 02:30 CET
    ("Europe/Berlin", "Sun 02:00-03:00", "2026-10-25T02:00:00Z", OUT),  // 03:00 CET
    // Several blocks, London across British Summer Time.
    ("Europe/London", "Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00", "2026-06-11T11:30:00Z", OUT),  // Thu 12:30 BST
    ("Europe/London", "Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00", "2026-06-11T12:30:00Z", None), // Thu 13:30 BST
    ("Europe/London", "Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00", "2026-12-10T12:30:00Z", OUT),  // Thu 12:30 GMT
    ("Europe/London", "Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00", "2026-06-12T11:59:00Z", None), // Fri 12:59 BST
    ("Europe/London", "Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00", "2026-06-12T12:00:00Z", OUT),  // Fri 13:00 BST
    // An overnight shift in Tokyo (no daylight saving), into Saturday.
    ("Asia/Tokyo", "Fri 22:00-06:00", "2026-07-10T20:00:00Z", None), // Sat 05:00 JST
    ("Asia/Tokyo", "Fri 22:00-06:00", "2026-07-10T21:00:00Z", OUT),  // Sat 06:00 JST
    // A southern-hemisphere zone: Sydney is on summer time in December.
    ("Australia/Sydney", "Mon-Fri 09:00-17:00", "2026-12-07T22:00:00Z", None), // Tue 09:00 AEDT
    ("Australia/Sydney", "Mon-Fri 09:00-17:00", "2026-06-08T22:00:00Z", OUT),  // Tue 08:00 AEST
];

#[test]
fn working_hours_follow_each_rep_s_wall_clock_across_daylight_saving_changes() {
    let mut failures = Vec::new();
    for &(zone, hours, now, expected) in CASES {
        let roster = roster(&format!(r#"{{"members": {{"r@x.io": {{"timezone": "{zone}", "hours": "{hours}"}}}}}}"#));
        let got = roster.ineligible("r@x.io", at(now), 0);
        if got != expected {
            failures.push(format!("{zone} {hours:?} at {now}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn out_of_office_and_paused_until_are_dates_in_the_rep_s_zone() {
    let roster = roster(
        r#"{"members": {
            "tokyo@x.io": {"timezone": "Asia/Tokyo", "out_of_office": [["2026-12-24", "2026-12-31"]]},
            "ny@x.io": {"timezone": "America/New_York", "paused_until": "2026-12-01"},
            "utc@x.io": {"paused_until": "2026-12-01T09:00:00Z"}}}"#,
    );
    let cases = [
        ("tokyo@x.io", "2026-12-23T14:59:00Z", None), // Dec 23 23:59 JST
        ("tokyo@x.io", "2026-12-23T15:00:00Z", Some(Ineligible::OutOfOffice)), // Dec 24 00:00 JST
        ("tokyo@x.io", "2026-12-31T14:59:00Z", Some(Ineligible::OutOfOffice)), // Dec 31 23:59 JST
        ("tokyo@x.io", "2026-12-31T15:00:00Z", None), // Jan 1 00:00 JST
        ("ny@x.io", "2026-12-01T04:59:00Z", Some(Ineligible::Paused)), // Nov 30 23:59 EST
        ("ny@x.io", "2026-12-01T05:00:00Z", None),    // Dec 1 00:00 EST
        ("utc@x.io", "2026-12-01T08:59:59Z", Some(Ineligible::Paused)),
        ("utc@x.io", "2026-12-01T09:00:00Z", None),
    ];
    for (rep, now, expected) in cases {
        assert_eq!(roster.ineligible(rep, at(now), 0), expected, "{rep} at {now}");
    }
}

#[test]
fn the_first_reason_is_given_and_capacity_counts_this_run_s_leads() {
    let roster = roster(
        r#"{"members": {"r@x.io": {"available": false, "hours": "Sat 10:00-11:00", "capacity": 5, "open_leads": 5},
                        "c@x.io": {"capacity": 5, "open_leads": 3}}}"#,
    );
    let now = at("2026-11-25T12:00:00Z");
    assert_eq!(roster.ineligible("r@x.io", now, 0), Some(Ineligible::Unavailable));
    assert_eq!(roster.ineligible("c@x.io", now, 1), None);
    assert_eq!(roster.ineligible("c@x.io", now, 2), Some(Ineligible::AtCapacity));
    assert_eq!(roster.ineligible("nobody@x.io", now, 1_000), None, "a rep missing from the roster is eligible");
}

#[test]
fn eval_routes_by_the_roster_at_now_on_either_side_of_the_change() {
    let project = project(
        r#"
schema lead { id: string }
team desk = ["ny@x.io", "berlin@x.io"]
otherwise -> team desk else fallback queue after_hours
"#,
    );
    let roster = roster(
        r#"{"members": {
            "ny@x.io": {"timezone": "America/New_York", "hours": "Mon-Fri 09:00-17:00"},
            "berlin@x.io": {"timezone": "Europe/Berlin", "hours": "Mon-Fri 09:00-17:00"}}}"#,
    );
    let table = [
        ("2026-07-15T13:30:00Z", "ny berlin ny"),         // 09:30 EDT, 15:30 CEST
        ("2026-12-16T13:30:00Z", "berlin berlin berlin"), // 08:30 EST, 14:30 CET
        ("2026-12-16T14:30:00Z", "ny berlin ny"),         // 09:30 EST, 15:30 CET
        ("2026-03-02T13:30:00Z", "berlin berlin berlin"), // 08:30 EST, 14:30 CET
        ("2026-03-16T13:30:00Z", "ny berlin ny"),         // 09:30 EDT (Berlin not yet changed), 14:30 CET
        ("2026-03-16T16:30:00Z", "ny ny ny"),             // 12:30 EDT, 17:30 CET
        ("2026-12-16T23:00:00Z", "- - -"),                // nobody: the fallback queue takes them
    ];
    for (now, expected) in table {
        let (decisions, _) = run(&project, &roster, at(now), 0, None, &leads(3, ""));
        assert_eq!(short(&decisions), expected, "at {now}");
        if expected == "- - -" {
            assert!(decisions.iter().all(|d| d.queue.as_deref() == Some("after_hours") && d.fallback));
        }
    }
}

#[test]
fn roster_problems_are_all_listed_with_their_json_paths() {
    let text = r#"{"members": {
        "ana@acme.io": {"timezone": "Europe/Berlinn", "hours": "Mon-Fri 9-17", "capacity": "40"},
        "ben@acme.io": {"out_of_office": [["2026-12-31", "2026-12-24"]], "avialable": true},
        "cy@acme.io": {"hours": "Mnn-Fri 09:00-17:00", "paused_until": "soon", "capacity": 0},
        "di@acme.io": "away"
    }, "teams": {}}"#;
    let problems = Roster::from_json(text).unwrap_err();
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(listed.join("\n"));
}

#[test]
fn a_roster_that_is_not_json_says_where() {
    let problems = Roster::from_json("{\"members\": {\"a\": {\"capacity\": 4,}}}").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].path.starts_with("line 1, column"), "{}", problems[0]);
}
