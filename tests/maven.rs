//! examples/maven routes the real Maven CRM pipeline export
//! (../shared/data/real/maven_crm/sales_pipeline.csv, 8,800 opportunities)
//! through two tables read straight from the CRM's own `accounts.csv` and
//! `sales_teams.csv`, a score, a date rule on the export's own
//! `engage_date` and a split. Checked here: one record per
//! opportunity, in order, and the count per rule, team and queue against
//! an independent re-implementation of the policy over the raw CSV files
//! (the csv crate and hash maps, no router).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::collections::{BTreeMap, HashMap};
use std::hash::Hasher;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pipeline() -> PathBuf {
    root().join("../shared/data/real/maven_crm/sales_pipeline.csv")
}

type Row = HashMap<String, String>;

fn rows(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_string(), v.trim().to_string())).collect())
        .collect()
}

fn eval(extra: &[&str]) -> Vec<Value> {
    eval_text(&pipeline(), extra).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The decisions `route eval` writes for the opportunities in `leads`.
fn eval_text(leads: &Path, extra: &[&str]) -> String {
    let project = root().join("examples/maven");
    let output = Command::cargo_bin("route")
        .unwrap()
        .args(["eval", project.to_str().unwrap(), "--leads", leads.to_str().unwrap()])
        .args(["--roster", root().join("examples/maven/roster.json").to_str().unwrap()])
        .args(["--now", "2026-11-25T10:00:00Z"])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The policy of examples/maven/routing.route, written out by hand over the
/// raw rows: (rule, where the opportunity goes).
fn expected(opportunity: &Row, accounts: &HashMap<String, Row>, agents: &HashMap<String, Row>) -> (String, String) {
    let field = |row: &Row, key: &str| row.get(key).cloned().unwrap_or_default();
    let stage = field(opportunity, "deal_stage");
    if stage == "Won" || stage == "Lost" {
        return ("closed".into(), "queue closed".into());
    }
    let Some(account) = accounts.get(&field(opportunity, "account")) else {
        return ("no_account".into(), "queue account_research".into());
    };
    // ISO dates compare as text.
    let engaged = field(opportunity, "engage_date");
    if !engaged.is_empty() && engaged.as_str() < "2017-07-01" {
        return ("stale".into(), "queue stale_review".into());
    }
    if field(account, "office_location") != "United States" {
        return ("international".into(), "team international".into());
    }
    let employees: i64 = field(account, "employees").parse().unwrap();
    let revenue: f64 = field(account, "revenue").parse().unwrap();
    let product = field(opportunity, "product");
    let mut priority = 0;
    priority += if stage == "Engaging" { 30 } else { 0 };
    priority += if employees >= 5_000 { 25 } else { 0 };
    priority += if ["GTX Pro", "GTXPro", "GTX Plus Pro", "MG Advanced"].contains(&product.as_str()) { 15 } else { 0 };
    priority += if revenue >= 2_000.0 { 15 } else { 0 };
    priority -= if field(account, "subsidiary_of").is_empty() { 0 } else { 10 };
    if priority >= 60 {
        return ("key_account".into(), "team key_accounts".into());
    }
    let sector = field(account, "sector");
    if ["technolgy", "software", "telecommunications"].contains(&sector.as_str()) && employees >= 1_000 {
        return ("tech".into(), "team tech".into());
    }
    let office =
        agents.get(&field(opportunity, "sales_agent")).map(|a| field(a, "regional_office")).unwrap_or_default();
    match office.as_str() {
        "Central" => ("central".into(), "team central".into()),
        "East" => {
            // The split's bucket: SipHash-1-3 (keys 0, 0) of the split's
            // name, a 0xFF byte and the id, modulo 10,000; the first 80%
            // of the buckets are the first arm.
            let mut hasher = siphasher::sip::SipHasher13::new_with_keys(0, 0);
            hasher.write(b"east_pod_trial");
            hasher.write(&[0xff]);
            hasher.write(field(opportunity, "opportunity_id").as_bytes());
            let team = if hasher.finish() % 10_000 < 8_000 { "team east" } else { "team east_pod" };
            ("east".into(), team.into())
        }
        "West" => ("west".into(), "team west".into()),
        _ => ("no_office".into(), "queue unassigned".into()),
    }
}

fn keyed(path: &Path, key: &str) -> HashMap<String, Row> {
    rows(path).into_iter().map(|row| (row[key].clone(), row)).collect()
}

fn destination(decision: &Value) -> String {
    match (decision["team"].as_str(), decision["queue"].as_str()) {
        (Some(team), _) => format!("team {team}"),
        (None, Some(queue)) => format!("queue {queue}"),
        _ => "nowhere".into(),
    }
}

#[test]
fn every_opportunity_gets_one_record_and_the_tallies_match_an_independent_count() {
    let opportunities = rows(&pipeline());
    assert_eq!(opportunities.len(), 8_800);
    let accounts = keyed(&root().join("examples/maven/accounts.csv"), "account");
    let agents = keyed(&root().join("examples/maven/sales_teams.csv"), "sales_agent");
    let decisions = eval(&[]);
    assert_eq!(decisions.len(), opportunities.len(), "records in != records out");

    let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (opportunity, decision) in opportunities.iter().zip(&decisions) {
        assert_eq!(decision["lead"], opportunity["opportunity_id"].as_str(), "records stay in input order");
        assert_eq!(decision["reason"], "matched", "{decision}");
        *want.entry(expected(opportunity, &accounts, &agents)).or_default() += 1;
        let rule = decision["rule"].as_str().unwrap_or("none").to_string();
        *got.entry((rule, destination(decision))).or_default() += 1;
    }
    assert_eq!(got, want);
    // Both arms of the split take opportunities.
    for team in ["team east", "team east_pod"] {
        assert!(want.keys().any(|(r, d)| r == "east" && d == team), "`{team}` takes nothing");
    }
    // Every rule of the example takes some opportunities.
    for rule in ["closed", "no_account", "stale", "international", "key_account", "tech", "central", "east", "west"] {
        assert!(want.keys().any(|(r, _)| r == rule), "rule `{rule}` takes nothing");
    }
}

#[test]
fn scores_are_carried_when_asked_and_agree_with_the_terms() {
    let decisions = eval(&["--scores"]);
    let accounts = keyed(&root().join("examples/maven/accounts.csv"), "account");
    let opportunities = rows(&pipeline());
    let mut checked = 0;
    for (opportunity, decision) in opportunities.iter().zip(&decisions) {
        let scores = decision["scores"].as_array().unwrap();
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0]["score"], "priority");
        let Some(account) = accounts.get(&opportunity["account"]) else {
            // Engaging without an account still counts its stage and product.
            continue;
        };
        let employees: i64 = account["employees"].parse().unwrap();
        let mut want = if opportunity["deal_stage"] == "Engaging" { 30 } else { 0 };
        want += if employees >= 5_000 { 25 } else { 0 };
        want += if ["GTX Pro", "GTXPro", "GTX Plus Pro", "MG Advanced"].contains(&opportunity["product"].as_str()) {
            15
        } else {
            0
        };
        want += if account["revenue"].parse::<f64>().unwrap() >= 2_000.0 { 15 } else { 0 };
        want -= if account["subsidiary_of"].is_empty() { 0 } else { 10 };
        assert_eq!(scores[0]["value"], want, "{opportunity:?}");
        checked += 1;
    }
    assert!(checked > 7_000);
}

/// The pipeline as JSON Lines, as another export would write it: one
/// object a row in the CSV's column order, empty cells left out,
/// `close_value` a number; `spaced` puts a space after every `:` and `,`
/// (Python's `json.dumps`), else none (serde_json's).
fn pipeline_jsonl(spaced: bool) -> String {
    let mut reader = csv::Reader::from_path(pipeline()).unwrap();
    let headers = reader.headers().unwrap().clone();
    let (colon, comma) = if spaced { (": ", ", ") } else { (":", ",") };
    let mut out = String::new();
    for record in reader.records() {
        let record = record.unwrap();
        let pairs: Vec<String> = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(key, cell)| {
                let value = match key {
                    "close_value" => Value::from(cell.parse::<i64>().unwrap()),
                    _ => Value::from(cell),
                };
                format!("{}{colon}{value}", Value::from(key))
            })
            .collect();
        out.push_str(&format!("{{{}}}\n", pairs.join(comma)));
    }
    out
}

/// The same opportunities read from JSON Lines, compact or spaced (most
/// lines taken by the flat reader, which has its own scan), route to the
/// same bytes as from the CSV export.
#[test]
fn the_pipeline_as_json_lines_routes_to_the_same_bytes_as_the_csv() {
    let from_csv = eval_text(&pipeline(), &["--scores"]);
    assert_eq!(from_csv.lines().count(), 8_800);
    let dir = tempfile::tempdir().unwrap();
    for spaced in [false, true] {
        let leads = dir.path().join(format!("pipeline-{spaced}.jsonl"));
        std::fs::write(&leads, pipeline_jsonl(spaced)).unwrap();
        let from_jsonl = eval_text(&leads, &["--scores"]);
        let first_difference = from_jsonl.lines().zip(from_csv.lines()).find(|(jsonl, csv)| jsonl != csv);
        assert_eq!(first_difference, None, "spaced: {spaced}: (from JSONL, from CSV)");
        assert!(from_jsonl == from_csv, "spaced: {spaced}: as many decisions, and the same bytes");
    }
}

#[test]
fn the_example_checks_clean() {
    let output = Command::cargo_bin("route")
        .unwrap()
        .args(["check", root().join("examples/maven").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
