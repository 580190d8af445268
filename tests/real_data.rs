//! A real, messy CRM export (../shared/data/real, see its SOURCES.md) routed
//! as a user would: the X Education lead export with CRLF line ends, a
//! trailing comma on every line (an empty-named 38th column), `Select`
//! placeholders, blanks, `Google` next to `google`, quoted commas.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real").join(name)
}

fn route_eval(project: &Path, leads: &Path) -> Vec<Value> {
    let output = Command::cargo_bin("route")
        .unwrap()
        .args(["eval", project.to_str().unwrap(), "--leads", leads.to_str().unwrap(), "--now", "2026-11-25T10:00:00Z"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The raw export read independently with the csv crate: (Prospect ID, row).
fn raw_rows() -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(shared("x_education_leads_raw_trailing_comma.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}

fn tally<'a>(decisions: &'a [Value], key: &str) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for d in decisions {
        *counts.entry(d[key].as_str().unwrap_or("null")).or_default() += 1;
    }
    counts
}

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real/x_education.route")
}

#[test]
fn every_lead_of_the_raw_export_gets_exactly_one_record_in_order() {
    let rows = raw_rows();
    assert_eq!(rows.len(), 9240);
    let decisions = route_eval(&project(), &shared("x_education_leads_raw_trailing_comma.csv"));
    assert_eq!(decisions.len(), rows.len(), "records in != records out");
    for (row, decision) in rows.iter().zip(&decisions) {
        assert_eq!(decision["lead"], row["Prospect ID"].as_str());
    }
    // The schema maps every column, so no lead of this export is invalid.
    assert_eq!(tally(&decisions, "reason"), BTreeMap::from([("matched", 9240)]));

    // Tallies agree with the raw data read independently.
    let converted = rows.iter().filter(|r| r["Converted"] == "1").count();
    assert_eq!(tally(&decisions, "rule")["already_converted"], converted);
    assert_eq!(converted, 3561);
    let queues = tally(&decisions, "queue");
    assert_eq!(queues["customer_onboarding"], converted);
    // `Google` and `google` are one enum value: both reach the search rule.
    let search_ids: Vec<&str> =
        decisions.iter().filter(|d| d["rule"] == "search").map(|d| d["lead"].as_str().unwrap()).collect();
    assert!(search_ids.len() > 800, "search rule matched only {}", search_ids.len());
    // Every lead has a target.
    assert!(decisions.iter().all(|d| !d["target"].is_null()));
}

#[test]
fn the_cleaned_export_routes_identically() {
    let raw = route_eval(&project(), &shared("x_education_leads_raw_trailing_comma.csv"));
    let cleaned = route_eval(&project(), &shared("x_education_leads.csv"));
    assert_eq!(raw, cleaned);
}

#[test]
fn a_stricter_schema_makes_blank_countries_invalid_and_routes_them_on_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let strict = std::fs::read_to_string(project())
        .unwrap()
        .replace("country: string? from", "country: string from")
        .replace("when country exists and country", "when country");
    let strict_project = dir.path().join("strict.route");
    std::fs::write(&strict_project, strict).unwrap();
    let decisions = route_eval(&strict_project, &shared("x_education_leads_raw_trailing_comma.csv"));
    assert_eq!(decisions.len(), 9240);
    // Absent: an empty cell, or the `unknown` placeholder the schema declares missing.
    let blank = raw_rows().iter().filter(|r| matches!(r["Country"].trim(), "" | "unknown" | "Select")).count();
    let invalid: Vec<&Value> = decisions.iter().filter(|d| d["reason"] == "invalid").collect();
    assert_eq!(invalid.len(), blank);
    assert!(invalid.iter().all(|d| d["queue"] == "data_quality" && d["error"]["field"] == "country"));
    assert_eq!(invalid[0]["error"]["message"], "missing required field `country`");
}
