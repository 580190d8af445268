//! `route eval` hardened (issue 7): an output that is the input, `-o`
//! replaced atomically, header warnings, `--explain` (with `not`, in CSV,
//! filtered), usage errors, the summary's rules, and messages that name
//! their field and show invisible characters.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hardening");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn eval(args: &[&str], stdin: &str) -> Run {
    let output = Command::cargo_bin("route").unwrap().arg("eval").arg(PROJECT).args(args).write_stdin(stdin).output();
    let output = output.unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `n` CSV leads: ids 1..=n, `employees` 500 (to the `otherwise` rule) or,
/// every third, 200000 (to `big`).
fn csv_leads(n: usize) -> String {
    let mut out = String::from("id,email,employees,account\n");
    for i in 1..=n {
        let employees = if i % 3 == 0 { 200_000 } else { 500 };
        out.push_str(&format!("{i},l{i}@x.io,{employees},acme\n"));
    }
    out
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Files in `dir` other than `keep`: leftovers such as temporary files.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect();
    names.sort();
    names
}

#[test]
fn an_output_that_is_the_input_is_refused_whatever_its_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let leads = write(dir.path(), "x.csv", &csv_leads(3));
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(&leads, dir.path().join("link.csv")).unwrap();
    let spellings =
        [s(&leads).to_string(), format!("{}/sub/../x.csv", s(dir.path())), s(&dir.path().join("link.csv")).to_string()];
    for out in &spellings {
        let r = eval(&["--leads", s(&leads), "-o", out], "");
        assert_eq!(r.code, 2, "{out}: {}", r.stderr);
        assert!(r.stderr.contains("is the input"), "{}", r.stderr);
        assert_eq!(std::fs::read_to_string(&leads).unwrap(), csv_leads(3), "the input is intact");
    }
    assert_eq!(others(dir.path(), &["x.csv", "sub", "link.csv"]), Vec::<String>::new());
}

#[test]
fn out_replaces_the_file_at_the_end_keeping_its_mode_and_leaving_no_temporary() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let leads = write(dir.path(), "x.csv", &csv_leads(4));
    let out = write(dir.path(), "out.jsonl", "old\n");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = eval(&["--leads", s(&leads), "-o", s(&out)], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(lines(&std::fs::read_to_string(&out).unwrap()).len(), 4);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(others(dir.path(), &["x.csv", "out.jsonl"]), Vec::<String>::new());
}

#[test]
fn out_that_cannot_be_created_says_so_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let leads = write(dir.path(), "x.csv", &csv_leads(2));
    let blocker = write(dir.path(), "file", "");
    let r = eval(&["--leads", s(&leads), "-o", &format!("{}/out.jsonl", s(&blocker))], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot create"), "{}", r.stderr);
    assert!(!r.stderr.contains("cannot read"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn a_renamed_optional_column_is_warned_about_once_before_routing() {
    let input = "id,email,employees,Account Name\n1,a@x.io,5,acme\n2,b@x.io,6,initech\n";
    let r = eval(&["--leads", "-", "--input-format", "csv"], input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(lines(&r.stdout).len(), 2);
    assert_eq!(
        r.stderr,
        "warning[route::io::column]: optional field `account` has no column in the CSV header, so it is absent for \
         every lead; did you mean `Account Name`?\n  = help: map a field to its column with `from \"Column\"` in the \
         schema\n"
    );
}

#[test]
fn explain_shows_a_written_not() {
    let r = eval(&["--explain", "--lead", r#"{"id":"1","email":"a@x.io","employees":500}"#], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let trace = &lines(&r.stdout)[0]["trace"][0];
    assert_eq!(trace["failed"], "not employees > 100");
    assert_eq!(trace["actual"], 500);
}

#[test]
fn explain_shows_a_written_not_over_a_group_whole() {
    let dir = tempfile::tempdir().unwrap();
    let rules = "schema lead {\n  id: string\n  email: string\n  employees: int\n}\n\
                 small: when not ( employees > 100 or email ends_with \".x\" ) -> queue small\n\
                 otherwise -> queue rest\n";
    let project = write(dir.path(), "routing.route", rules);
    let output = Command::cargo_bin("route")
        .unwrap()
        .args(["eval", s(&project), "--explain", "--lead", r#"{"id":"1","email":"a@b.c","employees":500}"#])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let trace = &lines(&String::from_utf8(output.stdout).unwrap())[0]["trace"][0];
    assert_eq!(trace["failed"], r#"not ( employees > 100 or email ends_with ".x" )"#);
    assert_eq!(trace["actual"], 500);
}

#[test]
fn explain_with_csv_output_writes_the_trace_in_columns() {
    let r = eval(&["--explain", "--output", "csv", "--leads", "-", "--input-format", "csv"], &csv_leads(2));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut reader = csv::Reader::from_reader(r.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[header.len() - 2..], ["trace", "distribution"]);
    for row in reader.records() {
        let row = row.unwrap();
        let trace: Value = serde_json::from_str(&row[header.len() - 2]).unwrap();
        assert_eq!(trace[0]["failed"], "not employees > 100");
    }
    // Without --explain the columns are those of docs/cli.md, unchanged.
    let plain = eval(&["--output", "csv", "--leads", "-", "--input-format", "csv"], &csv_leads(1));
    assert!(plain.stdout.starts_with(&(route::io::CSV_HEADER.join(",") + "\n")), "{}", plain.stdout);
}

#[test]
fn explain_only_keeps_the_trace_of_the_kinds_asked_for() {
    let roster = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hardening/sales_away.json");
    let traced = |only: &str| -> Vec<String> {
        let r =
            eval(&["--explain-only", only, "--roster", roster, "--leads", "-", "--input-format", "csv"], &csv_leads(9));
        assert_eq!(r.code, 0, "{only}: {}", r.stderr);
        lines(&r.stdout)
            .iter()
            .filter(|d| d.get("trace").is_some())
            .map(|d| d["lead"].as_str().unwrap().to_string())
            .collect()
    };
    // Every third lead is big: the sales team is away, managers take it.
    assert_eq!(traced("fallback"), ["3", "6", "9"]);
    // The others match `otherwise` and nobody in sales is there.
    assert_eq!(traced("unrouted"), ["1", "2", "4", "5", "7", "8"]);
    assert_eq!(traced("sample:4"), ["4", "8"]);
    assert_eq!(traced("fallback,sample:4"), ["3", "4", "6", "8", "9"]);
    let bad = eval(&["--explain-only", "sometimes", "--lead", "{}"], "");
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("is not one of fallback, unrouted, invalid, sample:N"), "{}", bad.stderr);
}

#[test]
fn a_malformed_lead_is_a_usage_error_but_an_invalid_one_is_routed() {
    for malformed in ["{bad", "[1, 2]", "\"text\"", ""] {
        let r = eval(&["--lead", malformed], "");
        assert_eq!(r.code, 2, "{malformed}: {}", r.stdout);
        assert!(r.stderr.contains("the --lead is not a lead"), "{}", r.stderr);
        assert_eq!(r.stdout, "");
    }
    let r = eval(&["--lead", r#"{"id":"1","email":"a@x.io","employees":"many"}"#], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(lines(&r.stdout)[0]["reason"], "invalid");
}

#[test]
fn an_empty_csv_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.csv", "");
    let r = eval(&["--leads", s(&empty)], "");
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("the CSV input is empty: it has no header row"), "{}", r.stderr);
    // An empty JSONL batch is a batch of no leads.
    let r = eval(&["--leads", "-", "--input-format", "jsonl"], "");
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
}

#[test]
fn stdin_format_is_told_by_its_first_byte() {
    let csv = eval(&["--leads", "-"], &format!("\u{feff}{}", csv_leads(2)));
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(lines(&csv.stdout).len(), 2);
    let jsonl = eval(&["--leads", "-"], "\n  {\"id\":\"1\",\"email\":\"a@x.io\",\"employees\":5}\n");
    assert_eq!(jsonl.code, 0, "{}", jsonl.stderr);
    assert_eq!(lines(&jsonl.stdout)[0]["lead"], "1");
}

#[test]
fn the_summary_lists_every_rule_in_policy_order() {
    let r = eval(&["--summary", "json", "--leads", "-", "--input-format", "csv"], &csv_leads(2));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let start = r.stderr.find('{').unwrap();
    // Key order matters here, so read the object's keys from its text.
    let text = &r.stderr[start..];
    let rules_at = text.find("\"rules\":").unwrap();
    let rules = &text[rules_at..rules_at + text[rules_at..].find('}').unwrap()];
    assert_eq!(rules, r#""rules":{"small":0,"big":0,"never":0,"line:16":2"#);
    let human = eval(&["--summary", "--leads", "-", "--input-format", "csv"], &csv_leads(1));
    let listed: Vec<&str> = human
        .stderr
        .lines()
        .skip_while(|l| *l != "rules:")
        .skip(1)
        .take(4)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(listed, ["small", "big", "never", "line:16"]);
}

#[test]
fn lead_errors_name_their_field_and_show_invisible_characters() {
    let input = "id,email,employees\n1,a@x.io,5\u{a0}000\n2,b@x.io,\u{200b}7\n3,c@x.io,many\n";
    let r = eval(&["--leads", "-", "--input-format", "csv"], input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let messages: Vec<String> =
        lines(&r.stdout).iter().map(|d| d["error"]["message"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        messages,
        [
            "field `employees`: value `5\\u{a0}000` is not an integer",
            "field `employees`: value `\\u{200b}7` is not an integer",
            "field `employees`: value `many` is not an integer",
        ]
    );
}

#[test]
fn explain_notes_show_invisible_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "owners.csv", "account,owner\nacme,a@x.io\n");
    let project = write(
        dir.path(),
        "routing.route",
        "schema lead {\n  id: string\n  account: string?\n}\n\
         lookup owners from \"owners.csv\" key account value owner\n\
         otherwise -> rep owners[account] else fallback queue review\n",
    );
    let lead = "{\"id\":\"1\",\"account\":\"ac\u{a0}me\"}";
    let output = Command::cargo_bin("route").unwrap().args(["eval", s(&project), "--explain", "--lead", lead]).output();
    let output = output.unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let decision = &lines(&String::from_utf8(output.stdout).unwrap())[0];
    // Unescaped, the note would read "has no entry for `ac me`" about a table that has `acme`.
    assert_eq!(decision["distribution"][0]["note"], "`owners` has no entry for `ac\\u{a0}me`");
}
