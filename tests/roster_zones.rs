//! Roster files as people write them (issue 7 item 15): a byte-order mark,
//! time-zone abbreviations, offsets and legacy fixed-offset zones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use assert_cmd::Command;
use route::eval::roster::Ineligible;
use route::eval::Roster;

fn problems(json: &str) -> String {
    let problems = Roster::from_json(json).unwrap_err();
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

fn zone_roster(zones: &[&str]) -> String {
    let members: Vec<String> =
        zones.iter().enumerate().map(|(i, zone)| format!(r#""rep{i}@x.io": {{"timezone": {zone:?}}}"#)).collect();
    format!(r#"{{"members": {{{}}}}}"#, members.join(", "))
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let text = std::fs::read_to_string("tests/fixtures/roster/bom.json").unwrap();
    assert!(text.starts_with('\u{feff}'));
    let roster = Roster::from_json(&text).unwrap();
    assert!(roster.status("maria@acme.io").is_some());
    assert!(roster.warnings().is_empty());
}

#[test]
fn abbreviations_and_offsets_are_errors_naming_the_iana_zone() {
    let json = zone_roster(&["PST", "CST", "IST", "EDT", "BST", "GMT-5", "UTC+05:30", "AEST", "Europe/Berln"]);
    insta::assert_snapshot!(problems(&json));
}

#[test]
fn legacy_fixed_zones_are_accepted_with_warnings() {
    let json = zone_roster(&["EST", "MST", "HST", "EST5EDT", "CET", "Etc/GMT+5", "Etc/GMT-8", "UTC", "Z"]);
    let roster = Roster::from_json(&json).unwrap();
    let warnings: Vec<String> = roster.warnings().iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(warnings.join("\n"));
}

/// What the warning is about: a New York rep written `EST` is off duty at
/// 09:30 on a July Wednesday (13:30Z is 08:30 in fixed UTC-05:00); written
/// `America/New_York`, on duty.
#[test]
fn est_is_a_fixed_offset_and_the_city_zone_is_not() {
    let text = std::fs::read_to_string("tests/fixtures/roster/legacy_zones.json").unwrap();
    let roster = Roster::from_json(&text).unwrap();
    let july_0930_new_york: jiff::Timestamp = "2026-07-15T13:30:00Z".parse().unwrap();
    assert_eq!(roster.ineligible("ana@acme.io", july_0930_new_york, 0), Some(Ineligible::OutsideHours));
    assert_eq!(roster.ineligible("chloe@acme.io", july_0930_new_york, 0), None);
}

fn route(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("route").unwrap().current_dir(env!("CARGO_MANIFEST_DIR")).args(args).output().unwrap()
}

#[test]
fn eval_prints_roster_warnings_on_stderr_with_their_paths() {
    let lead = r#"{"id": "L1", "region": "NA", "employees": 10, "email": "a@b.com"}"#;
    let out = route(&[
        "eval",
        "examples/quickstart",
        "--roster",
        "tests/fixtures/roster/legacy_zones.json",
        "--now",
        "2026-07-15T13:30:00Z",
        "--lead",
        lead,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    insta::assert_snapshot!(stderr);
}

#[test]
fn eval_accepts_a_roster_with_a_byte_order_mark() {
    let lead = r#"{"id": "L1", "region": "NA", "employees": 10, "email": "a@b.com"}"#;
    let out = route(&["eval", "examples/quickstart", "--roster", "tests/fixtures/roster/bom.json", "--lead", lead]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Found by tests/never_panics.rs: an empty (or odd) top-level key was
/// reported with an empty path.
#[test]
fn an_odd_top_level_key_still_has_a_path() {
    assert_eq!(problems(r#"{"": null}"#), r#""": unknown key ``; the roster has one key, `members`"#);
    assert_eq!(problems(r#"{"a b": 1}"#), r#""a b": unknown key `a b`; the roster has one key, `members`"#);
    assert_eq!(problems(r#"{"teams": 1}"#), "teams: unknown key `teams`; the roster has one key, `members`");
}
