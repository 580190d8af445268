//! Never-panic guards (issue 7): every entry point that takes user input is
//! fed arbitrary and grammar-shaped input, CI-sized (a few seconds each).
//! What each must do besides not panicking:
//!
//! - rule text: parse → check → compile → analyse ends in a program or in
//!   diagnostics; a program that checks compiles to a DAG that agrees with
//!   the reference interpreter on the leads it is tried with;
//! - lead readers (CSV, JSONL, one JSON object): one record per record in
//!   (numbered 1, 2, ...), and every valid lead read routes the same through
//!   the DAG as through the reference interpreter;
//! - the roster loader: arbitrary JSON (and text) is a roster or a list of
//!   problems, each with a JSON path;
//! - the hours parser: arbitrary text is a schedule or an error, and a
//!   schedule written back parses to itself.
//!
//! The same entry points are fuzzed for longer by `fuzz/` (`scripts/fuzz.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::io::Cursor;
use std::path::Path;

use proptest::prelude::*;
use route::analysis::{analyse, Options};
use route::compile::{compile, Budget};
use route::eval::hours::Schedule;
use route::eval::reference::first_match;
use route::eval::Roster;
use route::io::{self, InputFormat};

/// A project with every field type, so that readers coerce everything.
const PROJECT: &str = include_str!("fixtures/fuzz/project.route");

/// A path for rule text that names nothing on disk: a random `import` or
/// `lookup` finds no file.
const NOWHERE: &str = "/nonexistent-route-never-panics/routing.route";

/// Checks, compiles and analyses rule text; returns whether it checked.
fn pipeline(text: String) -> bool {
    let checked = route::check::check_source("routing.route", Path::new(NOWHERE), text);
    let Some(program) = checked.program else {
        assert!(checked.diagnostics.has_errors(), "no program and no error");
        return false;
    };
    let dag = compile(&program, Budget::for_program(&program));
    let _ = analyse(&program, &dag, &checked.sources, &Options { overlaps: true });
    true
}

/// Tokens of the language (and near misses), glued at random.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "schema",
        "lead",
        "{",
        "}",
        ":",
        "string",
        "int",
        "float",
        "bool",
        "list<string>",
        "?",
        "|",
        "\"NA\"",
        "\"EMEA\"",
        "team",
        "sales",
        "=",
        "[",
        "]",
        "\"a@x.io\"",
        ",",
        "let",
        "big",
        "when",
        "otherwise",
        "->",
        "queue",
        "q",
        "rep",
        "via",
        "round_robin",
        "weighted",
        "sticky(email)",
        "(",
        ")",
        "else",
        "fallback",
        "and",
        "or",
        "not",
        "AND",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "contains",
        "starts_with",
        "ends_with",
        "matches",
        "\"^a.*\"",
        "\"(\"",
        "exists",
        "on invalid",
        "alias",
        "=>",
        "5000",
        "1.5",
        "-3",
        "1e400",
        "99999999999999999999",
        "true",
        "false",
        "region",
        "employees",
        "email",
        "revenue",
        "tags",
        "partner",
        "weight",
        "40%",
        "missing:",
        "\n",
        "\n",
        "# note\n",
        "label:",
        "\"Mié\"",
        "\"\\u{202e}\"",
        "\"",
        "//",
        "round-robin",
        "lookup",
        "import",
    ])
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..60).prop_map(|tokens| tokens.join(" "))
}

/// The project's rules with random tokens spliced in at a random place.
fn damaged_project() -> impl Strategy<Value = String> {
    (0..PROJECT.len(), soup()).prop_map(|(at, soup)| {
        let at = (0..=at).rev().find(|&i| PROJECT.is_char_boundary(i)).unwrap_or(0);
        let (head, tail) = PROJECT.split_at(at);
        format!("{head} {soup} {tail}")
    })
}

/// Bytes readers care about, mixed with arbitrary ones.
fn input_bytes() -> impl Strategy<Value = Vec<u8>> {
    let interesting = prop::sample::select(b",\"\n\r{}[]:- a1eNA\xef\xbb\xbf\xff\\.".to_vec());
    prop::collection::vec(prop_oneof![3 => interesting, 1 => any::<u8>()], 0..300)
}

/// Lead-shaped JSON lines: the project's fields with random values.
fn jsonl_leads() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        Just("null".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")).prop_filter("json", |s| !s.contains("inf") && !s.contains("NaN")),
        "[a-zA-Z@.é ]{0,8}".prop_map(|s| format!("{s:?}")),
        prop::sample::select(vec!["\"NA\"", "\"emea\"", "\"APAC\"", "true", "false", "[\"student\"]", "[]"])
            .prop_map(str::to_string),
    ];
    let field = prop::sample::select(vec!["id", "region", "employees", "revenue", "email", "partner", "tags", "x"]);
    let lead = prop::collection::vec((field, value), 0..8).prop_map(|pairs| {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
        format!("{{{}}}", body.join(", "))
    });
    prop::collection::vec(lead, 0..20).prop_map(|lines| lines.join("\n").into_bytes())
}

/// Reads `bytes` as `format`, checks the numbering, and routes every valid
/// lead through the DAG and the reference interpreter; returns the number
/// of records.
fn read_and_route(bytes: &[u8], format: InputFormat) -> usize {
    let checked = route::check::check_source("routing.route", Path::new(NOWHERE), PROJECT.to_string());
    let program = checked.program.expect("the project checks");
    let dag = compile(&program, Budget::for_program(&program));
    let Ok(reader) = io::leads(&program.schema, Box::new(Cursor::new(bytes.to_vec())), format) else {
        return 0;
    };
    let mut count = 0;
    for (i, record) in reader.enumerate() {
        assert_eq!(record.record, i as u64 + 1, "records are numbered in order");
        if let Ok(lead) = &record.lead {
            assert_eq!(dag.route(lead, &program.lookups), first_match(&program, lead), "DAG != reference: {lead:?}");
        }
        count += 1;
    }
    count
}

/// Lines a JSONL reader must turn into one record each (a byte-order mark
/// at the start is not content).
fn non_blank_lines(bytes: &[u8]) -> usize {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    bytes.split(|&b| b == b'\n').filter(|l| !l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))).count()
}

/// Arbitrary JSON values, nested a few levels.
fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as Json;
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        "\\PC{0,12}".prop_map(Json::String),
        roster_string().prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map(roster_key(), inner, 0..6).prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

fn roster_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "members",
            "a@x.io",
            "available",
            "capacity",
            "open_leads",
            "timezone",
            "hours",
            "out_of_office",
            "paused_until",
            "availble",
        ])
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ]
}

/// Strings roster values are made of: zones, hours, dates.
fn roster_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Europe/Berlin",
            "EST",
            "PST",
            "GMT-5",
            "Etc/GMT+5",
            "UTC+05:30",
            "Z",
            "2026-12-24",
            "2026-13-40",
            "2026-12-01T09:00:00Z",
        ])
        .prop_map(str::to_string),
        hours_text(),
    ]
}

/// Hours-shaped text: days, ranges and separators, with non-ASCII letters.
fn hours_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "Mon",
        "Tue",
        "wed",
        "Thurs",
        "Fri",
        "Sat",
        "Sun",
        "Mié",
        "Lun",
        "Ⅿon",
        "İ",
        "é",
        "月",
        "-",
        "–",
        ",",
        ";",
        " ",
        "\u{a0}",
        "09:00",
        "17:00",
        "24:00",
        "00:00",
        "9",
        ":",
        "25:61",
        "22:00-06:00",
        "09:00-17:00",
    ]);
    prop::collection::vec(piece, 0..14).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn rule_text_of_arbitrary_characters(text in "\\PC{0,200}") {
        pipeline(text);
    }

    #[test]
    fn rule_text_of_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        pipeline(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn rule_text_of_language_tokens(text in soup()) {
        pipeline(text);
    }

    #[test]
    fn a_project_with_tokens_spliced_in(text in damaged_project()) {
        pipeline(text);
    }

    #[test]
    fn jsonl_one_record_per_line(bytes in input_bytes()) {
        let records = read_and_route(&bytes, InputFormat::Jsonl);
        // A bare carriage return's meaning is the readers' decision (issue 7
        // item 4); everywhere else a non-blank line is a record.
        if !bytes.contains(&b'\r') {
            prop_assert_eq!(records, non_blank_lines(&bytes));
        }
    }

    #[test]
    fn jsonl_leads_route_as_the_reference_does(bytes in jsonl_leads()) {
        let records = read_and_route(&bytes, InputFormat::Jsonl);
        prop_assert_eq!(records, non_blank_lines(&bytes));
    }

    #[test]
    fn csv_one_record_per_line(bytes in input_bytes()) {
        let mut input = b"id,region,employees,revenue,email,partner,tags\n".to_vec();
        input.extend_from_slice(&bytes);
        let records = read_and_route(&input, InputFormat::Csv);
        read_and_route(&bytes, InputFormat::Csv);
        // Without quotes or carriage returns a record is a non-blank line.
        if !bytes.contains(&b'"') && !bytes.contains(&b'\r') {
            let lines = input.split(|&b| b == b'\n').skip(1).filter(|l| !l.iter().all(u8::is_ascii_whitespace));
            prop_assert_eq!(records, lines.count());
        }
    }

    #[test]
    fn one_json_lead(text in "\\PC{0,120}", lead in jsonl_leads()) {
        let checked = route::check::check_source("routing.route", Path::new(NOWHERE), PROJECT.to_string());
        let program = checked.program.unwrap();
        for json in [text, String::from_utf8_lossy(&lead).into_owned()] {
            let record = io::single_lead(&program.schema, &json);
            prop_assert_eq!((record.record, record.line), (1, 1));
        }
    }

    #[test]
    fn roster_of_arbitrary_json(value in json()) {
        let text = value.to_string();
        check_roster(&text);
        check_roster(&format!("{{\"members\": {{\"a@x.io\": {text}}}}}"));
        check_roster(&format!("\u{feff}{{\"members\": {text}}}"));
    }

    #[test]
    fn roster_of_arbitrary_text(text in "\\PC{0,120}") {
        check_roster(&text);
    }

    #[test]
    fn hours_of_arbitrary_text(text in prop_oneof!["\\PC{0,40}".boxed(), hours_text().boxed()]) {
        if let Ok(schedule) = Schedule::parse(&text) {
            let written = schedule.to_string();
            prop_assert_eq!(Schedule::parse(&written), Ok(schedule), "`{}` written as `{}`", text, written);
        }
    }
}

/// A roster is loaded, or each of its problems has a path and a message.
fn check_roster(text: &str) {
    if let Err(problems) = Roster::from_json(text) {
        assert!(!problems.is_empty());
        for problem in problems {
            assert!(!problem.path.is_empty() && !problem.message.is_empty(), "{problem:?}");
        }
    }
}
