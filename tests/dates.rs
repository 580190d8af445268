//! Dates and times end to end (docs/language.md#dates-and-times): input in
//! ISO 8601 and in a field's `format`, unquoted literals, `before`/`after`,
//! ISO text wherever a value is shown, and the real Maven CRM export.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod cli_support;

use std::path::Path;

use cli_support::route;

use assert_cmd::Command;
use serde_json::Value;

const PROJECT: &str = "tests/fixtures/dates/routing.route";
const LEADS: &str = "tests/fixtures/dates/leads.csv";
const NOW: &str = "2026-11-25T16:00:00Z";

fn decisions(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn iso_and_formatted_dates_route_and_bad_ones_name_field_value_and_format() {
    let (code, stdout, stderr) = route(&["eval", PROJECT, "--leads", LEADS, "--now", NOW]);
    assert_eq!(code, 0, "{stderr}");
    let decisions = decisions(&stdout);
    let rules: Vec<(&str, &str)> = decisions
        .iter()
        .map(|d| (d["lead"].as_str().unwrap(), d["rule"].as_str().or(d["reason"].as_str()).unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            // 12/31/2025 (the field's format) is before 2026-01-01.
            ("L1", "stale"),
            // 2026-11-30 is within the renewal range.
            ("L2", "renewing"),
            // ISO text reads in a formatted field too; 14:00Z is not after
            // 09:00-05:00 (the same instant).
            ("L3", "line:14"),
            ("L4", "invalid"),
            // One second later is.
            ("L5", "late"),
            ("L6", "invalid"),
        ]
    );
    assert_eq!(
        decisions[3]["error"]["message"],
        "field `last_activity`: value `13/45/2026` is not a date (expected `%m/%d/%Y` or YYYY-MM-DD)"
    );
    assert_eq!(decisions[3]["error"]["value"], "13/45/2026");
    assert_eq!(
        decisions[5]["error"]["message"],
        "field `created_at`: value `yesterday` is not a datetime (expected YYYY-MM-DDTHH:MM:SSZ)"
    );
}

#[test]
fn explain_shows_the_values_as_iso_dates() {
    let lead = r#"{"id": "J1", "created_at": "2026-11-25T10:00:00.250+01:00", "last_activity": "03/04/2026", "renewal": "2027-01-15"}"#;
    let (code, stdout, stderr) = route(&["eval", PROJECT, "--lead", lead, "--explain", "--now", NOW]);
    assert_eq!(code, 0, "{stderr}");
    let decision: Value = serde_json::from_str(stdout.trim()).unwrap();
    let trace = decision["trace"].to_string();
    assert!(trace.contains(r#""2026-03-04""#), "{trace}");
    assert!(trace.contains(r#""2027-01-15""#), "{trace}");
    assert!(trace.contains(r#""2026-11-25T09:00:00.25Z""#), "{trace}");
}

#[test]
fn check_examples_are_iso_dates_that_route_to_their_rule() {
    let dir = tempfile::tempdir().unwrap();
    let examples = dir.path().join("examples.jsonl");
    let (code, _, stderr) = route(&["check", PROJECT, "--examples", examples.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&examples).unwrap();
    for lead in decisions(&text) {
        let created = lead["created_at"].as_str().unwrap();
        assert!(created.ends_with('Z') && created.contains('T'), "{lead}");
    }
    let (code, stdout, stderr) = route(&["eval", PROJECT, "--leads", examples.to_str().unwrap(), "--now", NOW]);
    assert_eq!(code, 0, "{stderr}");
    let rules: Vec<String> = decisions(&stdout).iter().map(|d| d["rule"].as_str().unwrap().to_string()).collect();
    assert_eq!(rules, ["stale", "renewing", "late", "line:14"]);
}

#[test]
fn a_gap_example_shows_its_dates_as_iso() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("gap.route");
    std::fs::write(
        &project,
        "schema lead {\n  id: string\n  renewal: date\n}\nteam core = [\"ben@acme.io\"]\n\
         when renewal before 2026-01-01 -> team core\nwhen renewal > 2026-01-01 -> team core\n",
    )
    .unwrap();
    let (code, stdout, stderr) = route(&["check", project.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let gap = report["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "W0102").unwrap();
    assert_eq!(gap["example"]["renewal"], "2026-01-01", "{gap}");
}

#[test]
fn the_graph_shows_date_thresholds_as_iso() {
    let (code, stdout, stderr) = route(&["graph", PROJECT]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("2026-01-01"), "{stdout}");
    assert!(stdout.contains("<= 2026-11-25T14:00:00Z -> rule line:14"), "{stdout}");
    assert!(!stdout.contains("20454"), "{stdout}");
}

#[test]
fn fmt_prints_date_literals_and_formats_as_written() {
    let text = "schema lead {\n  id: string\n  created_at: datetime\n  seen: date?   format   \"%m/%d/%Y\"\n}\n\
                team core = [\"ben@acme.io\"]\nwhen seen before   2026-01-01 or created_at >=2026-11-25T09:00:00-05:00 -> team core\n\
                when created_at within 1  hours and now   outside hours \"Mon-Fri 09:00-17:00\" in \"Europe/Berlin\" -> team core\n\
                when seen within 30 day -> team core\n";
    let output = Command::cargo_bin("route").unwrap().args(["fmt", "-"]).write_stdin(text).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("  seen: date? format \"%m/%d/%Y\"\n"), "{stdout}");
    assert!(
        stdout.contains("when seen before 2026-01-01 or created_at >= 2026-11-25T09:00:00-05:00 -> team core"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "when created_at within 1 hour and now outside hours \"Mon-Fri 09:00-17:00\" in \"Europe/Berlin\"\n    -> team core"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("when seen within 30 days -> team core"), "{stdout}");
}

/// The Maven CRM pipeline (../shared/data/real/maven_crm) writes its dates
/// as ISO 8601 and leaves open deals' `close_date` (and a few prospects'
/// `engage_date`) empty: every row reads, and the date rules agree with an
/// independent count over the raw text (ISO dates order as strings).
#[test]
fn the_maven_pipeline_dates_read_and_route() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real/maven_crm/sales_pipeline.csv");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("routing.route");
    std::fs::write(
        &project,
        "schema deal {\n  id: string from \"opportunity_id\"\n  engage_date: date?\n  close_date: date?\n}\n\
         team core = [\"ben@acme.io\"]\n\
         closed_q1: when close_date before 2017-04-01 -> team core\n\
         closed_q2: when close_date >= 2017-04-01 and close_date < 2017-07-01 -> team core\n\
         open_old: when not close_date exists and engage_date before 2017-06-01 -> team core\n\
         rest: otherwise -> queue rest\n",
    )
    .unwrap();
    let (code, stdout, stderr) =
        route(&["eval", project.to_str().unwrap(), "--leads", data.to_str().unwrap(), "--now", "2017-12-31T00:00:00Z"]);
    assert_eq!(code, 0, "{stderr}");
    let decisions = decisions(&stdout);

    let mut reader = csv::Reader::from_path(&data).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (engage, close) = (column("engage_date"), column("close_date"));
    let mut expected = std::collections::BTreeMap::<&str, usize>::new();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let (e, c) = (&record[engage], &record[close]);
        let rule = if !c.is_empty() && c < "2017-04-01" {
            "closed_q1"
        } else if !c.is_empty() && ("2017-04-01".."2017-07-01").contains(&c) {
            "closed_q2"
        } else if c.is_empty() && !e.is_empty() && e < "2017-06-01" {
            "open_old"
        } else {
            "rest"
        };
        *expected.entry(rule).or_default() += 1;
        rows += 1;
    }
    assert_eq!(decisions.len(), rows, "records in != records out");
    let mut got = std::collections::BTreeMap::<&str, usize>::new();
    for d in &decisions {
        assert_eq!(d["reason"], "matched", "{d}");
        *got.entry(d["rule"].as_str().unwrap()).or_default() += 1;
    }
    assert_eq!(got, expected);
    assert!(expected.len() == 4, "every rule is exercised: {expected:?}");
}

const NOW_PROJECT: &str = "tests/fixtures/dates/now";

/// The rule one lead matches at an instant.
fn rule_at(now: &str, lead: &str) -> String {
    let (code, stdout, stderr) = route(&["eval", NOW_PROJECT, "--now", now, "--lead", lead]);
    assert_eq!(code, 0, "{stderr}");
    let decision: Value = serde_json::from_str(stdout.trim()).unwrap();
    decision["rule"].as_str().unwrap().to_string()
}

#[test]
fn within_and_working_hours_follow_the_routing_instant() {
    let lead = r#"{"id": "a", "created_at": "2026-11-25T14:00:00Z", "last_activity": "2026-11-20"}"#;
    // Wednesday 10:00 in New York: an hour after creation.
    assert_eq!(rule_at("2026-11-25T15:00:00Z", lead), "hot");
    // Both ends of the window are inside it; a millisecond later is not.
    assert_eq!(rule_at("2026-11-25T16:00:00Z", lead), "hot");
    assert_eq!(rule_at("2026-11-25T16:00:00.001Z", lead), "active");
    // A creation time in the future is within no window.
    assert_eq!(rule_at("2026-11-25T13:59:59Z", lead), "active");
    // A date is within N days of the UTC date of the instant, both days counted.
    assert_eq!(rule_at("2026-11-27T15:00:00Z", lead), "active");
    assert_eq!(rule_at("2026-11-30T15:00:00Z", lead), "line:19");
    // 18:30 in New York is after hours.
    assert_eq!(rule_at("2026-11-25T23:30:00Z", lead), "after_hours");
    // 12:30 UTC is 08:30 in New York in July (EDT) but 07:30 in January (EST).
    assert_eq!(rule_at("2026-07-15T12:30:00Z", lead), "line:19");
    assert_eq!(rule_at("2026-01-15T12:30:00Z", lead), "after_hours");
    // A table's date column: Acme signed on 11/01/2026.
    let customer = r#"{"id": "b", "account": "Acme", "created_at": "2026-01-01T00:00:00Z"}"#;
    assert_eq!(rule_at("2026-11-25T15:00:00Z", customer), "new_account");
    assert_eq!(rule_at("2026-12-02T15:00:00Z", customer), "line:19");
}

#[test]
fn check_decides_every_rule_of_the_instant_project_with_examples_that_route_at_some_instant() {
    let (code, stdout, stderr) = route(&["check", NOW_PROJECT, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let messages: Vec<&str> =
        report["diagnostics"].as_array().unwrap().iter().map(|d| d["message"].as_str().unwrap()).collect();
    // Four tests share the instant: each is noted, and no rule is left undecided.
    assert_eq!(messages.iter().filter(|m| m.starts_with("analysis is not exact for")).count(), 4, "{messages:?}");
    assert!(!messages.iter().any(|m| m.starts_with("could not decide")), "{messages:?}");
}

#[test]
fn one_test_of_the_instant_is_analysed_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("routing.route");
    std::fs::write(
        &project,
        "schema lead {\n  id: string\n  created_at: datetime?\n}\nteam a = [\"ana@acme.io\"]\n\
         when created_at before 2020-01-01 and created_at within 30 days -> team a\n\
         when not created_at exists and created_at within 30 days -> team a\n\
         otherwise -> team a\n",
    )
    .unwrap();
    let (code, stdout, stderr) = route(&["check", project.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let codes: Vec<(&str, i64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["line"].as_i64().unwrap()))
        .collect();
    // Old dates are within 30 days of some instant: only the rule that asks
    // for an absent value within the window can never match.
    assert_eq!(codes, [("W0104", 7)], "{report}");
}
