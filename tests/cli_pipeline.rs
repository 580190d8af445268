//! `route eval` as real exports need it, run as the binary: lenient numbers,
//! `--delimiter`, `--keep`, the invalid leads of `--summary` by field, and
//! `--jobs N` giving the same bytes for any N.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cli_support::run;
use serde_json::Value;

mod cli_support;

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

const PIPELINE: &str = "tests/fixtures/real/pipeline";
const DESK: &str = "tests/fixtures/distribution/desk";
const NOW: &str = "2026-11-25T10:00:00Z";

fn records(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The first 30 deals of sales_pipeline.csv, as copied into the fixture.
fn deals() -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(manifest(PIPELINE).join("sales_pipeline_rows.csv")).unwrap();
    reader.records().map(Result::unwrap).collect()
}

/// What the routing.route of the fixture decides for a deal, computed
/// here from the raw row: `team`, `queue`, or invalid (`None`).
fn expected(row: &csv::StringRecord) -> Option<&'static str> {
    let value: i64 = row.get(7).unwrap().parse().ok()?;
    Some(if row.get(4) == Some("Won") && value >= 1000 { "team" } else { "queue" })
}

#[test]
fn lenient_numbers_read_what_pandas_and_spreadsheets_write_as_the_plain_export_reads() {
    let plain = run(&["eval", PIPELINE, "--leads", &format!("{PIPELINE}/sales_pipeline_rows.csv"), "--now", NOW]);
    let pandas = run(&["eval", PIPELINE, "--leads", &format!("{PIPELINE}/sales_pipeline_pandas.csv"), "--now", NOW]);
    let semicolon = run(&[
        "eval",
        PIPELINE,
        "--leads",
        &format!("{PIPELINE}/sales_pipeline_semicolon.csv"),
        "--delimiter",
        ";",
        "--now",
        NOW,
    ]);
    for r in [&plain, &pandas, &semicolon] {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    // `1054.0` and `$1,054.00` route exactly as `1054`.
    assert_eq!(pandas.stdout, plain.stdout);
    assert_eq!(semicolon.stdout, plain.stdout);
    let decisions = records(&plain.stdout);
    let rows = deals();
    assert_eq!(decisions.len(), rows.len(), "records in != records out");
    for (row, decision) in rows.iter().zip(&decisions) {
        assert_eq!(decision["lead"], row.get(0).unwrap());
        assert_eq!(decision["target"].as_str(), expected(row), "{decision}");
    }
}

#[test]
fn strict_numbers_make_the_pandas_export_invalid_and_a_fraction_is_never_an_int() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(manifest(PIPELINE).join("routing.route")).unwrap();
    std::fs::write(dir.path().join("routing.route"), text.replace("  numbers: lenient\n", "")).unwrap();
    let pandas = manifest(PIPELINE).join("sales_pipeline_pandas.csv");
    let strict = run(&["eval", dir.path().to_str().unwrap(), "--leads", pandas.to_str().unwrap(), "--now", NOW]);
    assert_eq!(strict.code, 0, "{}", strict.stderr);
    let first = &records(&strict.stdout)[0];
    assert_eq!(first["reason"], "invalid");
    assert_eq!(first["error"]["message"], "field `close_value`: value `1054.0` is not an integer");

    let leads = dir.path().join("fractions.csv");
    std::fs::write(
        &leads,
        "opportunity_id,sales_agent,product,deal_stage,close_value\n\
         A,x,p,Won,1.5\nB,x,p,Won,\"$2,000.25\"\nC,x,p,Won,\"1,23\"\nD,x,p,Won,\"$2,000.00\"\n",
    )
    .unwrap();
    let lenient = run(&["eval", PIPELINE, "--leads", leads.to_str().unwrap(), "--now", NOW]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    let messages: Vec<Value> = records(&lenient.stdout).iter().map(|d| d["error"]["message"].clone()).collect();
    assert_eq!(
        messages,
        [
            "field `close_value`: value `1.5` is not a whole number (an int field takes no fraction)",
            "field `close_value`: value `$2,000.25` is not a whole number (an int field takes no fraction)",
            "field `close_value`: value `1,23` is not an integer",
        ]
        .into_iter()
        .map(Value::from)
        .chain([Value::Null])
        .collect::<Vec<_>>()
    );
}

#[test]
fn a_semicolon_header_read_with_commas_hints_at_the_delimiter() {
    let r = run(&["eval", PIPELINE, "--leads", &format!("{PIPELINE}/sales_pipeline_semicolon.csv"), "--now", NOW]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("the CSV header has no column for required fields"), "{}", r.stderr);
    assert!(r.stderr.contains("the header looks `;`-separated: try `--delimiter ';'`"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn keep_copies_columns_into_jsonl_and_csv_without_colliding() {
    let leads = format!("{PIPELINE}/sales_pipeline_rows.csv");
    let keep = "engage_date,Account,close_value";
    let jsonl = run(&["eval", PIPELINE, "--leads", &leads, "--keep", keep, "--now", NOW]);
    assert_eq!(jsonl.code, 0, "{}", jsonl.stderr);
    let rows = deals();
    let decisions = records(&jsonl.stdout);
    assert_eq!(decisions.len(), rows.len());
    for (row, decision) in rows.iter().zip(&decisions) {
        let kept = &decision["kept"];
        assert_eq!(kept["engage_date"], row.get(5).unwrap());
        // Named as asked; matched to `account` ignoring case.
        assert_eq!(kept["Account"], row.get(3).unwrap());
        assert_eq!(kept["close_value"], row.get(7).unwrap(), "invalid leads keep their columns too");
    }
    // The decision keys come first, in their order, then `kept`.
    let first = jsonl.stdout.lines().next().unwrap();
    assert!(
        first.ends_with(
            r#""reason":"matched","kept":{"engage_date":"2016-10-20","Account":"Cancity","close_value":"1054"}}"#
        ),
        "{first}"
    );

    let csv = run(&["eval", PIPELINE, "--leads", &leads, "--keep", "close_date,team", "--output", "csv", "--now", NOW]);
    assert_eq!(csv.code, 2, "no `team` column in the input: {}", csv.stderr);
    assert!(csv.stderr.contains("the CSV header has no column `team` to keep"), "{}", csv.stderr);

    // A column named like a decision column is prefixed in CSV output.
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("deals.csv");
    std::fs::write(&named, "opportunity_id,sales_agent,product,deal_stage,close_value,team\nA,x,p,Won,5,north\n")
        .unwrap();
    let r =
        run(&["eval", PIPELINE, "--leads", named.to_str().unwrap(), "--keep", "team", "--output", "csv", "--now", NOW]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut lines = r.stdout.lines();
    assert!(lines.next().unwrap().ends_with(",error_message,kept.team"), "{}", r.stdout);
    assert!(lines.next().unwrap().ends_with(",north"), "{}", r.stdout);

    let csv = run(&["eval", PIPELINE, "--leads", &leads, "--keep", "close_date", "--output", "csv", "--now", NOW]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.iter().next_back(), Some("close_date"));
    let cells: Vec<String> = reader.records().map(|r| r.unwrap().iter().next_back().unwrap().to_string()).collect();
    assert_eq!(cells, rows.iter().map(|r| r.get(6).unwrap().to_string()).collect::<Vec<_>>());
}

#[test]
fn summary_breaks_invalid_leads_down_by_field_on_the_whole_pipeline() {
    let leads = manifest("../shared/data/real/maven_crm/sales_pipeline.csv");
    let args = ["eval", PIPELINE, "--leads", leads.to_str().unwrap(), "-o", "/dev/null", "--now", NOW];
    let human = run(&[&args[..], &["--summary"]].concat());
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(human.stderr.contains("\n  invalid 2089: close_value missing 2089\n"), "{}", human.stderr);
    let json = run(&[&args[..], &["--summary", "json"]].concat());
    let summary: Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(summary["invalid"], 2089);
    assert_eq!(
        summary["invalid_by_field"],
        serde_json::json!([{"field": "close_value", "problem": "missing", "leads": 2089}])
    );
}

/// Leads of every strategy of the desk fixture, some invalid, in `format`;
/// in CSV some cells quoted and some lines blank (framed otherwise than
/// plain lines: docs/performance.md).
fn desk_leads(n: usize, jsonl: bool) -> String {
    const KINDS: [&str; 8] = ["rr", "weighted", "load", "random", "sticky", "first", "owner", "bogus"];
    let mut out = String::new();
    if !jsonl {
        out.push_str("id,kind,account_id,email\n");
    }
    for i in 0..n {
        let kind = KINDS[(i * 7 + i / 3) % KINDS.len()];
        let account = format!("A{}", i % 13);
        if jsonl {
            let _ = writeln!(out, r#"{{"id": "L{i}", "kind": "{kind}", "account_id": "{account}"}}"#);
        } else if i % 5 == 0 {
            let _ = writeln!(out, "L{i},{kind},\"{account}\",\"l{i}@x.io\"");
        } else {
            let _ = writeln!(out, "L{i},{kind},{account},l{i}@x.io");
        }
        if !jsonl && i % 997 == 0 {
            out.push_str(if i % 2 == 0 { "\n" } else { "  \n" });
        }
    }
    out
}

#[test]
fn jobs_give_the_same_bytes_state_and_summary_for_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    for (name, jsonl) in [("leads.csv", false), ("leads.jsonl", true)] {
        let leads = dir.path().join(name);
        // More batches of 1,024 than threads (which take them in any
        // order), the last one short; at `--jobs 2`, four times the
        // batches in circulation, so each is framed into again and again.
        std::fs::write(&leads, desk_leads(40_000, jsonl)).unwrap();
        let mut outputs = Vec::new();
        for jobs in ["1", "2", "4", "7"] {
            let state = dir.path().join(format!("state-{name}-{jobs}.json"));
            let args = [
                "eval",
                DESK,
                "--leads",
                leads.to_str().unwrap(),
                "--roster",
                &format!("{DESK}/roster.json"),
                "--state",
                state.to_str().unwrap(),
                "--summary",
                "json",
                "--seed",
                "7",
                "--keep",
                "account_id,kind",
                "--now",
                NOW,
                "--jobs",
                jobs,
            ];
            let r = run(&args);
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert_eq!(r.stdout.lines().count(), 40_000);
            outputs.push((jobs, r.stdout, r.stderr, std::fs::read_to_string(&state).unwrap()));
        }
        let (_, stdout, stderr, state) = &outputs[0];
        for (jobs, other_stdout, other_stderr, other_state) in &outputs[1..] {
            assert!(other_stdout == stdout, "{name}: --jobs {jobs} wrote other decisions than --jobs 1");
            assert_eq!(other_stderr, stderr, "{name}: --jobs {jobs} summary");
            assert_eq!(other_state, state, "{name}: --jobs {jobs} state");
        }
        assert!(stdout.contains(r#","kept":{"account_id":"A0","kind":"rr"}}"#), "{name}: kept columns");
        // Every strategy took part.
        for strategy in ["round_robin", "weighted", "load_balanced", "random", "sticky", "first_available"] {
            assert!(stdout.contains(&format!("\"strategy\":\"{strategy}\"")), "{name}: no {strategy}");
        }
    }
}

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.csv");
    // Long enough to pass the one-second mark in a debug build.
    std::fs::write(&leads, desk_leads(300_000, false)).unwrap();
    let r = run(&["eval", DESK, "--leads", leads.to_str().unwrap(), "-o", "/dev/null", "--now", NOW]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "", "stderr is a pipe here: no progress bar");
}

#[test]
fn keep_works_for_one_lead_and_numbers_stay_text() {
    let lead = r#"{"opportunity_id": "X1", "sales_agent": "a", "product": "p", "deal_stage": "Won", "close_value": "$1,500", "utm": 42, "note": "hi"}"#;
    let r = run(&["eval", PIPELINE, "--lead", lead, "--keep", "note,utm,missing", "--now", NOW]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = r#""reason":"matched","kept":{"note":"hi","utm":"42","missing":null}}"#;
    assert!(r.stdout.ends_with(&format!("{expected}\n")), "{}", r.stdout);
}
