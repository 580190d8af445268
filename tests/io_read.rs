//! The lead readers: CSV and JSONL edge cases, coercion rules and their
//! messages, streaming, and "never panics" on arbitrary bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod io_support;

use std::fmt::Write as _;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use io_support::{field, fixture, lead_schema, read, read_fixture, render, show, x_education_schema};
use proptest::prelude::*;
use route::io::{self, Coercer, InputFormat, InputRecord, ReadError};
use route::schema::{EnumId, EnumType, FieldId, FieldType, Lead, Schema, Value};

fn snapshot_fixture(schema: &Schema, name: &str) -> String {
    render(schema, &read_fixture(schema, name))
}

// ---------------------------------------------------------------- coercion

/// Every coercion rule of LANGUAGE.md §3 applied to CSV text, one line per
/// case: the field, the raw cell, and the value or the error message.
#[test]
fn csv_coercion_rules() {
    let schema = lead_schema();
    let mut coercer = Coercer::new(&schema);
    let cases: &[(&str, &[&str])] = &[
        (
            "employees",
            &[
                "5000",
                "-3",
                "  42  ",
                "+7",
                "007",
                "5,000",
                "5.0",
                "1e3",
                "0x10",
                "abc",
                "99999999999999999999",
                "",
                "N/A",
            ],
        ),
        (
            "annual_revenue",
            &[
                "12.5",
                "1e9",
                "-3",
                "5000",
                ".5",
                "1E-2",
                "nan",
                "NaN",
                "inf",
                "-Infinity",
                "1e999",
                "12,5",
                "$100",
                "1_000",
                "",
            ],
        ),
        ("is_customer", &["true", "FALSE", "Yes", "no", "1", "0", "y", "2", "", "-"]),
        ("region", &["EMEA", "emea", "Europe", "eu", "E.M.E.A.", " north america ", "Mars", "", "Select"]),
        ("email", &["  ana@acme.io  ", "", "Select", " - ", "two\nlines"]),
        ("state", &["", "N/A", "CA"]),
        ("interests", &["", "security", "a;b", " a ; ; b ;", "Select", "a;N/A;-;b", ";;"]),
        ("markets", &["eu;NA", " apac ", "EMEA;Mars", ""]),
    ];
    let mut out = String::new();
    for (name, inputs) in cases {
        let id = schema.field_by_name(name).unwrap();
        let ty = schema.field(id).ty;
        for input in *inputs {
            let shown = match coercer.cell(id, input) {
                Ok(value) => format!("ok {}", show(&schema, ty, &value)),
                Err(e) => format!("INVALID value={:?} | {}", e.value, e.message),
            };
            let _ = writeln!(out, "{name:<15} {:<24} -> {shown}", format!("{input:?}"));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn long_enums_are_listed_in_part() {
    let countries: Vec<String> = (1..=15).map(|i| format!("C{i}")).collect();
    let schema = Schema {
        fields: vec![field("country", "country", FieldType::Enum(EnumId(0)), false)],
        enums: vec![EnumType::new(countries)],
        missing: vec![],
        id_field: None,
        derived: Vec::new(),
        numbers: Default::default(),
    };
    let error = Coercer::new(&schema).cell(FieldId(0), "Atlantis").unwrap_err();
    insta::assert_snapshot!(error.message, @"value `Atlantis` is not one of C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12 (and 3 more)");
}

#[test]
fn long_and_multiline_values_are_cut_and_escaped_in_messages() {
    let schema = lead_schema();
    let mut coercer = Coercer::new(&schema);
    let long = "9".repeat(100) + "x";
    let error = coercer.cell(FieldId(4), &long).unwrap_err();
    assert_eq!(error.value.as_deref(), Some(long.as_str()), "the full value is kept");
    assert_eq!(error.message, format!("value `{}…` is not an integer", "9".repeat(60)));
    let error = coercer.cell(FieldId(4), "1\n2\t3").unwrap_err();
    assert_eq!(error.message, "value `1\\n2\\t3` is not an integer");
}

/// The JSON rules: native types taken as they are, other scalars coerced
/// from their text, null and a missing key absent.
#[test]
fn json_coercion_rules() {
    let schema = lead_schema();
    let base = serde_json::json!({
        "id": "J1", "email": "a@x.io", "region": "NA", "employees": 1,
        "is_customer": true, "interests": []
    });
    let cases: &[(&str, &str)] = &[
        ("employees", "5000"),
        ("employees", "-3"),
        ("employees", "\"5000\""),
        ("employees", "\" 5000 \""),
        ("employees", "5000.0"),
        ("employees", "5000.5"),
        ("employees", "\"5000.0\""),
        ("employees", "\"5,000\""),
        ("employees", "1e30"),
        ("employees", "18446744073709551615"),
        ("employees", "true"),
        ("employees", "null"),
        ("employees", "\"\""),
        ("employees", "\"N/A\""),
        ("employees", "[1]"),
        ("employees", "{\"a\":1}"),
        ("Annual Revenue", "12"),
        ("Annual Revenue", "1.5"),
        ("Annual Revenue", "\"1e9\""),
        ("Annual Revenue", "\"nan\""),
        ("Annual Revenue", "true"),
        ("Annual Revenue", "1e308"),
        ("is_customer", "false"),
        ("is_customer", "\"yes\""),
        ("is_customer", "1"),
        ("is_customer", "0"),
        ("is_customer", "2"),
        ("is_customer", "\"maybe\""),
        ("email", "12345"),
        ("email", "true"),
        ("email", "1.5"),
        ("email", "[\"a\"]"),
        ("region", "\"eu\""),
        ("region", "\" Europe \""),
        ("region", "5"),
        ("interests", "[\"a\", \" b \", \"\", null, \"Select\"]"),
        ("interests", "\"a; b;\""),
        ("interests", "\"\""),
        ("interests", "5"),
        ("interests", "null"),
        ("interests", "{}"),
        ("interests", "[[1]]"),
        ("interests", "[1, true, 2.5]"),
        ("markets", "[\"eu\", \"Apac\"]"),
        ("markets", "[\"EMEA\", \"Mars\"]"),
        ("markets", "[1]"),
    ];
    let mut out = String::new();
    for (key, json) in cases {
        let mut object = base.clone();
        object[*key] = serde_json::from_str(json).unwrap();
        let record = io::single_lead(&schema, &object.to_string());
        let _ = writeln!(out, "{key:<15} {json:<40} -> {}", field_result(&schema, &record, key));
    }
    for key in ["employees", "interests", "state"] {
        let mut object = base.clone();
        object.as_object_mut().unwrap().remove(key);
        let record = io::single_lead(&schema, &object.to_string());
        let _ = writeln!(out, "{key:<15} {:<40} -> {}", "(key missing)", field_result(&schema, &record, key));
    }
    insta::assert_snapshot!(out);
}

/// The value (or error) of the field read from `key`.
fn field_result(schema: &Schema, record: &InputRecord, key: &str) -> String {
    match &record.lead {
        Ok(lead) => {
            let id = FieldId(schema.fields.iter().position(|f| f.column == key).unwrap() as u32);
            format!("ok {}", show(schema, schema.field(id).ty, lead.get(id)))
        }
        Err(e) => format!("INVALID field={:?} value={:?} | {}", e.field, e.value, e.message),
    }
}

#[test]
fn json_id_keeps_its_text_even_when_the_lead_is_invalid() {
    let schema = lead_schema();
    let record = io::single_lead(&schema, r#"{"id": "  L7 ", "email": "a@x.io", "region": "Mars"}"#);
    assert_eq!(record.id.as_deref(), Some("L7"));
    assert_eq!(record.lead.unwrap_err().field.as_deref(), Some("region"));
    // A number id is named by its text.
    let record = io::single_lead(&schema, r#"{"id": 42}"#);
    assert_eq!(record.id.as_deref(), Some("42"));
    // Broken JSON after the id still names the lead.
    let record = io::single_lead(&schema, r#"{"id": "L9", "email": }"#);
    assert_eq!(record.id.as_deref(), Some("L9"));
    // A missing marker is no id.
    let record = io::single_lead(&schema, r#"{"id": "N/A"}"#);
    assert_eq!(record.id, None);
}

#[test]
fn json_keys_match_exactly_else_ignoring_case_and_first_wins() {
    let schema = lead_schema();
    let line = r#"{"ID": "folded", "id": "exact", "Email": "a@x.io", "email": "b@x.io", "region": "NA", "region": "EMEA",
        "employees": 1, "is_customer": true, "interests": [], "annual revenue": 2.5}"#;
    let record = io::single_lead(&schema, line);
    insta::assert_snapshot!(render(&schema, &[record]), @r#"#1 line 1 id=exact: ok id="exact" email="b@x.io" region=NA employees=1 annual_revenue=2.5 is_customer=true interests=[]"#);
}

#[test]
fn single_lead_accepts_pretty_json_and_rejects_anything_else() {
    let schema = lead_schema();
    let pretty = "{\n  \"id\": \"L1\",\n  \"email\": \"a@x.io\",\n  \"region\": \"NA\",\n  \"employees\": 1,\n  \"is_customer\": true,\n  \"interests\": []\n}\n";
    assert!(io::single_lead(&schema, pretty).lead.is_ok());
    let mut out = String::new();
    for text in ["", "   ", "[]", "\"text\"", "42", "null", "{\"id\": \"L1\"} {\"id\": \"L2\"}", "{\"id\": \"L1\",}"] {
        let record = io::single_lead(&schema, text);
        let _ = writeln!(out, "{text:<30?} -> {}", record.lead.unwrap_err().message);
    }
    insta::assert_snapshot!(out);
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_basic() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "basic.csv"));
}

#[test]
fn csv_crlf_line_ends_and_line_numbers() {
    let schema = lead_schema();
    let records = read_fixture(&schema, "crlf.csv");
    // The same rows with LF line ends read the same, line numbers included.
    let lf = String::from_utf8(fixture("crlf.csv")).unwrap().replace("\r\n", "\n");
    assert_eq!(read(&schema, lf.as_bytes(), InputFormat::Csv), records);
    insta::assert_snapshot!(render(&schema, &records));
}

#[test]
fn csv_quoted_commas_quotes_and_newlines() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "quoted.csv"));
}

#[test]
fn csv_bom_is_stripped_from_the_first_column() {
    let schema = lead_schema();
    let records = read_fixture(&schema, "bom.csv");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id.as_deref(), Some("L1"));
    assert!(records[0].lead.is_ok(), "{:?}", records[0].lead);
}

#[test]
fn csv_empty_header_cells_are_ignored() {
    let schema = Schema {
        fields: lead_schema()
            .fields
            .into_iter()
            .filter(|f| !["annual_revenue", "state", "markets"].contains(&f.name.as_str()))
            .collect(),
        ..lead_schema()
    };
    insta::assert_snapshot!(snapshot_fixture(&schema, "empty_header_cell.csv"), @r#"
    #1 line 2 id=L1: ok id="L1" email="ana@acme.io" region=EMEA employees=10 is_customer=true interests=["x"]
    #2 line 3 id=L2: ok id="L2" email="ben@acme.io" region=NA employees=20 is_customer=false interests=[]
    "#);
}

/// The raw X Education export: CRLF, 37 named columns and an empty 38th
/// (every line ends in a comma), `Select` placeholders, mixed-case enums.
#[test]
fn csv_real_export_with_trailing_comma() {
    insta::assert_snapshot!(snapshot_fixture(&x_education_schema(), "x_education_trailing_comma.csv"));
}

#[test]
fn csv_ragged_rows_are_invalid_leads() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "ragged.csv"));
}

/// An unclosed quote swallows the rest of the file into one csv record; the
/// reader still yields one record per physical data line.
#[test]
fn csv_unterminated_quote_yields_a_record_per_swallowed_line() {
    let schema = lead_schema();
    let records = read_fixture(&schema, "unterminated.csv");
    let data_lines = String::from_utf8(fixture("unterminated.csv")).unwrap().lines().count() - 1;
    assert_eq!(records.len(), data_lines);
    insta::assert_snapshot!(render(&schema, &records));
}

/// A run ends at the next quote; lines after it read normally again.
#[test]
fn csv_unterminated_quote_run_ending_at_a_later_quote() {
    let schema = lead_schema();
    let records = read_fixture(&schema, "unterminated_middle.csv");
    let data_lines = String::from_utf8(fixture("unterminated_middle.csv")).unwrap().lines().count() - 1;
    assert_eq!(records.len(), data_lines);
    insta::assert_snapshot!(render(&schema, &records));
}

/// A quote opened in the last column keeps the field count right; the input
/// ending inside the quote still gives it away.
#[test]
fn csv_unterminated_quote_in_the_last_column() {
    let schema = lead_schema();
    let records = read_fixture(&schema, "unterminated_last_column.csv");
    let data_lines = String::from_utf8(fixture("unterminated_last_column.csv")).unwrap().lines().count() - 1;
    assert_eq!(records.len(), data_lines);
    insta::assert_snapshot!(render(&schema, &records));
}

/// A stray quote closed by another stray quote lines later, leaving the
/// right number of fields: the swallowed line looks like a row of its own,
/// so each line is reported rather than the rows merged (issue 7, item 4).
#[test]
fn csv_stray_quote_closed_later_with_the_right_field_count_is_reported_line_by_line() {
    let schema = lead_schema();
    let input = "id,email,region,state,employees,Annual Revenue,is_customer,interests,markets\n\
                 L1,a@x.io,NA,\"CA,7,,false,,\n\
                 L2,b@x.io,NA,\",2,,true,,\n\
                 L3,c@x.io,NA,,3,,true,,\n";
    insta::assert_snapshot!(render(&schema, &read(&schema, input.as_bytes(), InputFormat::Csv)), @r#"
    #1 line 2 id=L1: INVALID | ambiguous quotes: a quoted field starting on this line runs to line 3 over lines that look like rows of their own
    #2 line 3 id=-: INVALID | ambiguous quotes: this line is inside a quoted field that starts on line 2
    #3 line 4 id=L3: ok id="L3" email="c@x.io" region=NA employees=3 is_customer=true interests=[] markets=[]
    "#);
}

#[test]
fn csv_quoted_newline_with_the_right_field_count_is_one_lead() {
    let schema = lead_schema();
    let input = "id,email,region,state,employees,Annual Revenue,is_customer,interests,markets\n\
                 L1,a@x.io,NA,\"line one\nline two\nline three\",1,,true,,\n\
                 L2,b@x.io,NA,,2,,true,,\n";
    insta::assert_snapshot!(render(&schema, &read(&schema, input.as_bytes(), InputFormat::Csv)), @r#"
    #1 line 2 id=L1: ok id="L1" email="a@x.io" region=NA state="line one\nline two\nline three" employees=1 is_customer=true interests=[] markets=[]
    #2 line 5 id=L2: ok id="L2" email="b@x.io" region=NA employees=2 is_customer=true interests=[] markets=[]
    "#);
}

#[test]
fn csv_invalid_utf8_invalidates_only_its_lead() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "invalid_utf8.csv"));
}

#[test]
fn csv_missing_markers_mean_absent() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "markers.csv"));
}

#[test]
fn csv_enums_match_ignoring_case_and_through_aliases() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "enums.csv"));
}

#[test]
fn csv_header_matches_exactly_else_ignoring_case() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "header_case.csv"), @r#"#1 line 2 id=exact: ok id="exact" email="a@x.io" region=NA employees=1 annual_revenue=2.5 is_customer=true interests=[]"#);
}

#[test]
fn csv_blank_lines_are_not_records_but_count_as_lines() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "blank_lines.csv"), @r#"
    #1 line 4 id=L1: ok id="L1" email="ana@acme.io" region=EMEA employees=5000 is_customer=true interests=[] markets=[]
    #2 line 7 id=L2: ok id="L2" email="ben@acme.io" region=NA employees=7 is_customer=false interests=[] markets=[]
    "#);
}

#[test]
fn csv_header_without_a_required_column_fails_the_whole_input() {
    let schema = lead_schema();
    let error = io::leads(&schema, Box::new(Cursor::new(fixture("missing_column.csv"))), InputFormat::Csv).unwrap_err();
    assert!(matches!(error, ReadError::MissingColumns { .. }));
    let help = miette::Diagnostic::help(&error).map(|h| h.to_string()).unwrap_or_default();
    let code = miette::Diagnostic::code(&error).map(|c| c.to_string()).unwrap_or_default();
    insta::assert_snapshot!(format!("{code}: {error}\nhelp: {help}"), @"
    route::io::header: the CSV header has no column for required fields: `employees`, `is_customer`
    help: columns match exactly, else ignoring case; the header has `id`, `email`, `Region`, `interests`
    ");
}

#[test]
fn csv_header_of_optional_columns_only_is_fine() {
    let schema = Schema {
        fields: vec![field("state", "state", FieldType::String, true), field("score", "score", FieldType::Int, true)],
        ..Schema::default()
    };
    let records = read(&schema, b"other\nx\n", InputFormat::Csv);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].lead, Ok(Lead { values: vec![Value::Absent, Value::Absent] }));
}

#[test]
fn csv_empty_input_is_an_error() {
    let schema = lead_schema();
    for input in [&b""[..], b"\n\n"] {
        let result = io::leads(&schema, Box::new(std::io::Cursor::new(input.to_vec())), InputFormat::Csv);
        assert!(matches!(result, Err(io::ReadError::Empty)), "{input:?}");
    }
}

#[test]
fn csv_record_numbers_and_ids_of_invalid_leads() {
    let schema = lead_schema();
    let records = read_fixture(&schema, "ragged.csv");
    let numbers: Vec<u64> = records.iter().map(|r| r.record).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let ids: Vec<Option<&str>> = records.iter().map(|r| r.id.as_deref()).collect();
    assert_eq!(ids, [Some("L1"), Some("L2"), Some("L3"), Some("L4")]);
}

// ---------------------------------------------------------------- JSONL

#[test]
fn jsonl_broken_lines_do_not_stop_the_stream() {
    let schema = lead_schema();
    let records = read_fixture(&schema, "broken.jsonl");
    assert_eq!(records.len(), 8, "one record per line");
    insta::assert_snapshot!(render(&schema, &records));
}

#[test]
fn jsonl_blank_lines_and_bom() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "blank_lines.jsonl"), @r#"
    #1 line 2 id=L1: ok id="L1" email="ana@acme.io" region=EMEA employees=5000 is_customer=true interests=[]
    #2 line 6 id=L2: ok id="L2" email="ben@acme.io" region=NA employees=7 is_customer=false interests=[]
    "#);
}

#[test]
fn jsonl_lists() {
    insta::assert_snapshot!(snapshot_fixture(&lead_schema(), "lists.jsonl"));
}

#[test]
fn jsonl_invalid_utf8_is_an_invalid_lead() {
    let schema = lead_schema();
    let input = b"{\"id\":\"L1\",\"email\":\"a\xff@x.io\"}\n{\"id\":\"L2\"}\n\xfe\xff\n".to_vec();
    insta::assert_snapshot!(render(&schema, &read(&schema, &input, InputFormat::Jsonl)), @"
    #1 line 1 id=L1: INVALID | invalid JSON: invalid unicode code point (column 22)
    #2 line 2 id=L2: INVALID field=email | missing required field `email`
    #3 line 3 id=-: INVALID | invalid JSON: expected value (column 1)
    ");
}

/// 100,000 nested arrays or objects anywhere in a line: each line is one
/// record and nothing overflows the stack (serde_json skips ignored values
/// without recursing; the reader itself descends at most three levels).
#[test]
fn jsonl_deep_nesting_is_an_error_not_a_crash() {
    let schema = lead_schema();
    let depth = 100_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let base = r#""email":"a@x.io","region":"NA","employees":1,"is_customer":true,"interests":[]"#;
    let lines = [
        arrays.clone(),
        format!("{{\"id\":\"L2\",{base},\"unknown\":{arrays}}}"),
        format!("{{\"id\":\"L3\",{base},\"unknown\":{objects}}}"),
        format!("{{\"id\":\"L4\",{base},\"markets\":{arrays}}}"),
        format!("{{\"id\":\"L5\",{base},\"state\":{objects}}}"),
        format!("{{\"id\":\"L6\",{base},\"unknown\":{}}}", "[".repeat(depth)),
        objects,
    ];
    let input = lines.join("\n");
    let records = read(&schema, input.as_bytes(), InputFormat::Jsonl);
    insta::assert_snapshot!(render(&schema, &records), @r#"
    #1 line 1 id=-: INVALID | expected a JSON object, found an array
    #2 line 2 id=L2: ok id="L2" email="a@x.io" region=NA employees=1 is_customer=true interests=[]
    #3 line 3 id=L3: ok id="L3" email="a@x.io" region=NA employees=1 is_customer=true interests=[]
    #4 line 4 id=L4: INVALID field=markets | field `markets`: a list element must be a single value, found a list
    #5 line 5 id=L5: INVALID field=state | field `state`: expected a single value, found an object
    #6 line 6 id=L6: INVALID | invalid JSON: expected value (column 100101)
    #7 line 7 id=-: INVALID field=id | missing required field `id`
    "#);
}

// ---------------------------------------------------------------- streaming

/// Generates a CSV (or JSONL) of `rows` leads on the fly, counting the rows
/// produced so far.
struct Generator {
    rows: u64,
    produced: Arc<AtomicU64>,
    format: InputFormat,
    pending: Vec<u8>,
    offset: usize,
    header_done: bool,
}

impl Generator {
    fn new(rows: u64, format: InputFormat) -> (Generator, Arc<AtomicU64>) {
        let produced = Arc::new(AtomicU64::new(0));
        let generator =
            Generator { rows, produced: produced.clone(), format, pending: Vec::new(), offset: 0, header_done: false };
        (generator, produced)
    }

    fn refill(&mut self) -> bool {
        self.pending.clear();
        self.offset = 0;
        if !self.header_done {
            self.header_done = true;
            if self.format == InputFormat::Csv {
                self.pending.extend_from_slice(
                    b"id,email,region,state,employees,Annual Revenue,is_customer,interests,markets\n",
                );
                return true;
            }
        }
        let n = self.produced.load(Ordering::Relaxed);
        if n == self.rows {
            return false;
        }
        self.produced.store(n + 1, Ordering::Relaxed);
        let row = match self.format {
            InputFormat::Csv => format!("L{n},lead{n}@acme.io,EMEA,CA,{n},1.5,yes,a;b,NA\n"),
            InputFormat::Jsonl => format!(
                "{{\"id\":\"L{n}\",\"email\":\"lead{n}@acme.io\",\"region\":\"EMEA\",\"employees\":{n},\"is_customer\":true,\"interests\":[\"a\"]}}\n"
            ),
        };
        self.pending.extend_from_slice(row.as_bytes());
        true
    }
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.offset == self.pending.len() && !self.refill() {
            return Ok(0);
        }
        let n = buf.len().min(self.pending.len() - self.offset);
        buf[..n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

fn assert_streams(format: InputFormat) {
    const ROWS: u64 = 200_000;
    let schema = lead_schema();
    let (generator, produced) = Generator::new(ROWS, format);
    let mut reader = io::leads(&schema, Box::new(BufReader::new(generator)), format).unwrap();
    let first = reader.next().unwrap();
    assert!(first.lead.is_ok(), "{:?}", first.lead);
    let made = || produced.load(Ordering::Relaxed);
    assert!(made() < 1_000, "the first lead came out after {} of {ROWS} rows were generated", made());
    let mut count = 1;
    let mut last_line = first.line;
    for record in reader.by_ref() {
        assert!(record.lead.is_ok(), "{:?}", record.lead);
        // Still streaming: never far ahead of what has been handed out.
        assert!(made() - record.record < 1_000);
        last_line = record.line;
        count += 1;
    }
    assert_eq!(count, ROWS);
    assert_eq!(last_line, if format == InputFormat::Csv { ROWS + 1 } else { ROWS });
    assert!(reader.take_error().is_none());
}

#[test]
fn csv_reader_streams() {
    assert_streams(InputFormat::Csv);
}

#[test]
fn jsonl_reader_streams() {
    assert_streams(InputFormat::Jsonl);
}

/// Hands out the input one byte per read, then optionally fails.
struct Trickle {
    bytes: Vec<u8>,
    offset: usize,
    fail_at_end: bool,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.bytes.get(self.offset) {
            Some(&b) if !buf.is_empty() => {
                buf[0] = b;
                self.offset += 1;
                Ok(1)
            }
            Some(_) => Ok(0),
            None if self.fail_at_end => Err(std::io::Error::other("disk unplugged")),
            None => Ok(0),
        }
    }
}

fn read_trickled(schema: &Schema, bytes: &[u8], format: InputFormat) -> Vec<InputRecord> {
    let trickle = Trickle { bytes: bytes.to_vec(), offset: 0, fail_at_end: false };
    // No BufReader capacity to speak of: every read is one byte.
    io::leads(schema, Box::new(BufReader::with_capacity(1, trickle)), format).unwrap().collect()
}

/// Reading a byte at a time splits the BOM, CRLF pairs and records across
/// reads; the result must not change.
#[test]
fn one_byte_reads_give_the_same_records() {
    let schema = lead_schema();
    for name in [
        "basic.csv",
        "crlf.csv",
        "quoted.csv",
        "bom.csv",
        "ragged.csv",
        "unterminated.csv",
        "unterminated_middle.csv",
        "unterminated_last_column.csv",
        "invalid_utf8.csv",
        "markers.csv",
        "enums.csv",
        "blank_lines.csv",
        "broken.jsonl",
        "blank_lines.jsonl",
        "lists.jsonl",
    ] {
        let format = io::format_for_path(Path::new(name)).unwrap();
        assert_eq!(read_trickled(&schema, &fixture(name), format), read_fixture(&schema, name), "{name}");
    }
}

#[test]
fn an_io_error_mid_stream_ends_with_one_record_saying_so() {
    let schema = lead_schema();
    for (format, name) in [(InputFormat::Csv, "basic.csv"), (InputFormat::Jsonl, "blank_lines.jsonl")] {
        let trickle = Trickle { bytes: fixture(name), offset: 0, fail_at_end: true };
        let mut reader = io::leads(&schema, Box::new(BufReader::new(trickle)), format).unwrap();
        let records: Vec<InputRecord> = reader.by_ref().collect();
        let last = records.last().unwrap();
        assert_eq!(
            last.lead.as_ref().unwrap_err().message,
            "could not read the rest of the input: disk unplugged",
            "{name}"
        );
        assert!(records[..records.len() - 1].iter().all(|r| r.lead.is_ok()), "{name}");
        assert_eq!(reader.take_error().unwrap().to_string(), "disk unplugged");
        assert!(reader.next().is_none());
    }
}

#[test]
fn an_unreadable_header_is_a_read_error() {
    let schema = lead_schema();
    let trickle = Trickle { bytes: b"id,em".to_vec(), offset: 0, fail_at_end: true };
    let error = io::leads(&schema, Box::new(BufReader::new(trickle)), InputFormat::Csv).unwrap_err();
    assert!(matches!(error, ReadError::Io(_)));
    assert_eq!(miette::Diagnostic::code(&error).unwrap().to_string(), "route::io::read");
}

#[test]
fn formats_from_file_names() {
    let cases = [
        ("leads.csv", Some(InputFormat::Csv)),
        ("LEADS.CSV", Some(InputFormat::Csv)),
        ("leads.jsonl", Some(InputFormat::Jsonl)),
        ("leads.ndjson", Some(InputFormat::Jsonl)),
        ("leads.json", Some(InputFormat::Jsonl)),
        ("leads.txt", None),
        ("leads", None),
        ("dir.csv/leads", None),
    ];
    for (path, format) in cases {
        assert_eq!(io::format_for_path(Path::new(path)), format, "{path}");
    }
}

// ---------------------------------------------------------------- properties

fn optional_schema() -> Schema {
    Schema {
        fields: vec![
            field("id", "id", FieldType::String, true),
            field("n", "n", FieldType::Int, true),
            field("flag", "flag", FieldType::Bool, true),
            field("tags", "tags", FieldType::List(route::schema::ElementType::Enum(EnumId(0))), true),
            field("region", "region", FieldType::Enum(EnumId(0)), true),
        ],
        enums: vec![io_support::region_enum()],
        missing: vec!["-".to_string()],
        id_field: Some(FieldId(0)),
        derived: Vec::new(),
        numbers: Default::default(),
    }
}

/// Bytes that CSV and JSON care about, mixed with arbitrary ones.
fn input_bytes() -> impl Strategy<Value = Vec<u8>> {
    let interesting = prop::sample::select(b",\"\n\r;{}[]:- a1eNA\xef\xbb\xbf\xff\\".to_vec());
    prop::collection::vec(prop_oneof![3 => interesting, 1 => any::<u8>()], 0..400)
}

/// The physical lines of `bytes`: ends are `\n`, `\r\n` and a lone `\r`.
fn physical_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&bytes[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&bytes[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&bytes[start..]);
    lines
}

/// A lead input as records, or none when the input as a whole is refused
/// (an empty CSV, an unreadable header).
fn read_any(schema: &Schema, bytes: &[u8], format: InputFormat) -> Vec<InputRecord> {
    match io::leads(schema, Box::new(std::io::Cursor::new(bytes.to_vec())), format) {
        Ok(reader) => reader.collect(),
        Err(_) => Vec::new(),
    }
}

/// The physical lines a JSONL reader must turn into records.
fn non_blank_lines(bytes: &[u8]) -> usize {
    let mut lines = physical_lines(bytes);
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if let Some(first) = lines.first_mut() {
        *first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
    }
    lines.iter().filter(|l| !l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))).count()
}

fn check_numbering(records: &[InputRecord], bytes: &[u8]) {
    let lines = physical_lines(bytes).len() as u64;
    let mut previous_line = 0;
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.record, i as u64 + 1);
        assert!(r.line >= previous_line && r.line >= 1 && r.line <= lines, "line {} of {lines}", r.line);
        previous_line = r.line;
        if let Err(e) = &r.lead {
            assert_eq!((e.record, e.line), (r.record, r.line));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_never_panics_and_yields_one_record_per_non_blank_line(bytes in input_bytes()) {
        for schema in [lead_schema(), optional_schema()] {
            let records = read(&schema, &bytes, InputFormat::Jsonl);
            prop_assert_eq!(records.len(), non_blank_lines(&bytes));
            check_numbering(&records, &bytes);
        }
    }

    #[test]
    fn csv_never_panics(bytes in input_bytes()) {
        let schema = optional_schema();
        let records = read_any(&schema, &bytes, InputFormat::Csv);
        check_numbering(&records, &bytes);
        let mut with_header = b"id,n,flag,tags,region\n".to_vec();
        with_header.extend_from_slice(&bytes);
        let records = read_any(&schema, &with_header, InputFormat::Csv);
        check_numbering(&records, &with_header);
        // Without quotes, a record is a non-blank line (`\n`, `\r\n` and a
        // lone `\r` end lines).
        if !bytes.contains(&b'"') {
            let data_lines = physical_lines(&with_header)
                .into_iter()
                .skip(1)
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                .count();
            prop_assert_eq!(records.len(), data_lines);
        }
    }

    #[test]
    fn any_integer_reads_back(n in any::<i64>(), pad in "[ \t]{0,2}") {
        let schema = lead_schema();
        let value = Coercer::new(&schema).cell(FieldId(4), &format!("{pad}{n}{pad}"));
        prop_assert_eq!(value, Ok(Value::Int(n)));
    }

    #[test]
    fn any_finite_float_reads_back(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let schema = lead_schema();
        let value = Coercer::new(&schema).cell(FieldId(5), &format!("{f:e}"));
        prop_assert_eq!(value, Ok(Value::Float(f)));
    }
}

// ---- issue 7: records out = records in, bounded lines, exact numbers ----

/// Four rows whose stray quotes close each other: four records out, each
/// line reported, not one merged lead (issue 7, item 4).
#[test]
fn csv_stray_quotes_that_close_each_other_lose_no_row() {
    let schema = lead_schema();
    let input = "id,email,region,employees,is_customer,interests\n\
                 L1,a@x.io,NA,10,true,\"chess\n\
                 L2,b@x.io,NA,20,true,golf\n\
                 L3,c@x.io,NA,30,true,tennis\n\
                 L4,d@x.io,NA,40,true,\"\n";
    let records = read(&schema, input.as_bytes(), InputFormat::Csv);
    assert_eq!(records.len(), 4);
    insta::assert_snapshot!(render(&schema, &records), @r"
    #1 line 2 id=L1: INVALID | ambiguous quotes: a quoted field starting on this line runs to line 5 over lines that look like rows of their own
    #2 line 3 id=-: INVALID | ambiguous quotes: this line is inside a quoted field that starts on line 2
    #3 line 4 id=-: INVALID | ambiguous quotes: this line is inside a quoted field that starts on line 2
    #4 line 5 id=-: INVALID | ambiguous quotes: this line is inside a quoted field that starts on line 2
    ");
}

/// JSONL with CR-only line ends: five leads in, five records out.
#[test]
fn jsonl_cr_only_line_ends_are_line_ends() {
    let schema = lead_schema();
    let lead = |i: u32| {
        format!(
            r#"{{"id":"L{i}","email":"a{i}@x.io","region":"NA","employees":{i},"is_customer":true,"interests":[]}}"#
        )
    };
    let input: String = (1..=5).map(|i| lead(i) + "\r").collect();
    let records = read(&schema, input.as_bytes(), InputFormat::Jsonl);
    let read_back: Vec<(u64, u64, Option<String>, bool)> =
        records.iter().map(|r| (r.record, r.line, r.id.clone(), r.lead.is_ok())).collect();
    let expected: Vec<(u64, u64, Option<String>, bool)> =
        (1..=5).map(|i| (i, i, Some(format!("L{i}")), true)).collect();
    assert_eq!(read_back, expected);
}

/// A line beyond the limit is one invalid record, and the next line is read
/// as usual; the reader keeps at most the limit of it.
#[test]
fn lines_beyond_the_limit_are_one_invalid_record_each() {
    let schema = lead_schema();
    let long = "x".repeat(io::MAX_LINE_BYTES + 10);
    let ok_csv = "L2,b@x.io,NA,2,true,\n";
    let csv = format!("id,email,region,employees,is_customer,interests\nL1,{long},NA,1,true,\n{ok_csv}");
    let jsonl = format!(
        "{{\"id\":\"L1\",\"email\":\"{long}\"}}\n{}\n",
        r#"{"id":"L2","email":"b@x.io","region":"NA","employees":2,"is_customer":true,"interests":[]}"#
    );
    for (input, format) in [(csv, InputFormat::Csv), (jsonl, InputFormat::Jsonl)] {
        let records = read(&schema, input.as_bytes(), format);
        assert_eq!(records.len(), 2, "{format:?}");
        let error = records[0].lead.as_ref().unwrap_err();
        assert_eq!(error.message, "line is longer than the limit of 1 MiB (skipped unread)");
        assert!(records[1].lead.is_ok(), "{format:?}: {:?}", records[1].lead);
    }
}

/// An unterminated quote near the top of a long file does not buffer the
/// rest of it: the run is cut at the limit and reading starts afresh.
#[test]
fn csv_unterminated_quote_cannot_buffer_the_whole_input() {
    let schema = lead_schema();
    let mut input = String::from("id,email,region,employees,is_customer,interests\nL0,a@x.io,NA,1,true,\"open\n");
    let row = "L,b@x.io,NA,2,true,golf\n";
    let rows = 2 * io::MAX_LINE_BYTES / row.len();
    for _ in 0..rows {
        input.push_str(row);
    }
    let records = read(&schema, input.as_bytes(), InputFormat::Csv);
    assert_eq!(records.len(), rows + 1, "records out = data lines in");
    let first = records[0].lead.as_ref().unwrap_err();
    assert!(first.message.contains("grows beyond the limit of 1 MiB"), "{}", first.message);
    assert!(records.last().unwrap().lead.is_ok(), "reading started afresh after the run");
}

/// The schema of the differential test: one int and one float field.
fn number_schema() -> Schema {
    Schema {
        fields: vec![
            field("id", "id", FieldType::String, false),
            field("i", "i", FieldType::Int, true),
            field("f", "f", FieldType::Float, true),
        ],
        id_field: Some(FieldId(0)),
        numbers: Default::default(),
        ..Schema::default()
    }
}

/// The same numbers, written the same way, read from CSV and from JSONL give
/// identical leads, bit for bit (issue 7, item 5).
#[test]
fn csv_and_jsonl_read_the_same_numbers_identically() {
    let ints = [
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "9007199254740993",
        "-9007199254740993",
        "9007199254740992",
        "18014398509481985",
    ];
    let floats = [
        "99999999.99999999",
        "100000000.0",
        "1e308",
        "1.7976931348623157e308",
        "-1.7976931348623157e308",
        "5e-324",
        "2.2250738585072014e-308",
        "2.225073858507201e-308",
        "-0.0",
        "0.1",
        "0.30000000000000004",
        "9007199254740993",
        "9223372036854775807",
        "-9223372036854775808",
        "1.0000000000000002",
        "123456789012345678901234567890",
        "4.9406564584124654e-324",
        "2.4703282292062328e-324",
    ];
    let schema = number_schema();
    let mut csv = String::from("id,i,f\n");
    let mut jsonl = String::new();
    let mut id = 0;
    let mut add = |i: &str, f: &str| {
        id += 1;
        csv.push_str(&format!("{id},{i},{f}\n"));
        let (i_json, f_json) = (if i.is_empty() { "null" } else { i }, if f.is_empty() { "null" } else { f });
        jsonl.push_str(&format!("{{\"id\":\"{id}\",\"i\":{i_json},\"f\":{f_json}}}\n"));
    };
    for i in ints {
        add(i, "");
        add("", i);
    }
    for f in floats {
        add("", f);
    }
    let from_csv = read(&schema, csv.as_bytes(), InputFormat::Csv);
    let from_jsonl = read(&schema, jsonl.as_bytes(), InputFormat::Jsonl);
    assert_eq!(from_csv.len(), from_jsonl.len());
    for (c, j) in from_csv.iter().zip(&from_jsonl) {
        let (Ok(c_lead), Ok(j_lead)) = (&c.lead, &j.lead) else { panic!("{:?} / {:?}", c.lead, j.lead) };
        let bits = |lead: &Lead| {
            lead.values
                .iter()
                .map(|v| match v {
                    Value::Float(f) => format!("float {:#x}", f.to_bits()),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(c_lead), bits(j_lead), "lead {:?}", c.id);
    }
    // The reproducer of the issue: the CSV cell was exact, the JSON number was not.
    let exact = from_jsonl.iter().find(|r| r.id.as_deref() == Some(&(2 * ints.len() + 1).to_string())).unwrap();
    let Ok(lead) = &exact.lead else { panic!() };
    assert!(matches!(lead.values[2], Value::Float(f) if f < 100_000_000.0));
    // Integers above 2^53 stay exact.
    let big = from_jsonl.iter().find(|r| r.id.as_deref() == Some("9")).unwrap();
    assert_eq!(big.lead.as_ref().unwrap().values[1], Value::Int(9_007_199_254_740_993));
}

/// Numbers neither reader can hold are invalid in both, never rounded.
#[test]
fn csv_and_jsonl_refuse_the_same_numbers() {
    let schema = number_schema();
    for (column, text) in [("i", "9223372036854775808"), ("i", "-9223372036854775809"), ("f", "1e309"), ("i", "1.5")] {
        let csv = format!("id,{column}\n1,{text}\n");
        let jsonl = format!("{{\"id\":\"1\",\"{column}\":{text}}}\n");
        let c = read(&schema, csv.as_bytes(), InputFormat::Csv);
        let j = read(&schema, jsonl.as_bytes(), InputFormat::Jsonl);
        assert!(c[0].lead.is_err() && j[0].lead.is_err(), "{column}={text}: {:?} / {:?}", c[0].lead, j[0].lead);
    }
}

/// An optional field whose column the header lacks is reported before any
/// lead, with the closest unmapped column (issue 7, item 3).
#[test]
fn csv_optional_field_without_a_column_is_reported_with_a_suggestion() {
    let schema = lead_schema();
    let input = "id,email,region,employees,is_customer,interests,Annual Revnue,Market\nL1,a@x.io,NA,1,true,,5,\n";
    let reader = io::leads(&schema, Box::new(Cursor::new(input.as_bytes().to_vec())), InputFormat::Csv).unwrap();
    let warnings: Vec<String> = reader.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "optional field `state` has no column in the CSV header, so it is absent for every lead",
            "optional field `annual_revenue` (column `Annual Revenue`) has no column in the CSV header, so it is absent for every lead; did you mean `Annual Revnue`?",
            "optional field `markets` has no column in the CSV header, so it is absent for every lead; did you mean `Market`?",
        ]
    );
}

/// A row of more fields than any export has (here 100,001) is one invalid
/// record, not a field table of that size; the next row reads as usual.
#[test]
fn csv_rows_with_too_many_fields_are_one_invalid_record() {
    let schema = lead_schema();
    let input =
        format!("id,email,region,employees,is_customer,interests\nL1{}\nL2,b@x.io,NA,2,true,\n", ",".repeat(100_000));
    let records = read(&schema, input.as_bytes(), InputFormat::Csv);
    assert_eq!(records.len(), 2);
    let error = records[0].lead.as_ref().unwrap_err();
    assert!(error.message.contains("grows beyond the limit"), "{}", error.message);
    assert!(records[1].lead.is_ok(), "{:?}", records[1].lead);
}

/// A row past the field limit (65,536) but short of what the reader's
/// buffer of field ends had grown to for an earlier one is broken all the
/// same: the outcome does not depend on the rows before it, read one by one
/// or in batches (it read as a ragged row of 70,000 cells before).
#[test]
fn csv_rows_past_the_field_limit_are_broken_whatever_came_before() {
    let schema = lead_schema();
    let mut input = String::from("id,email,region,employees,is_customer,interests\n");
    // Both read by `csv_core` (a line starting with a space, a quote inside
    // a cell): the first grows its buffer past the second's 70,000 cells.
    input.push_str(&format!(" L1{}\n", ",".repeat(100_000)));
    input.push_str(&format!("L1,a\"b{}\n", ",".repeat(69_998)));
    input.push_str("L2,b@x.io,NA,2,true,\n");
    let one_by_one = read(&schema, input.as_bytes(), InputFormat::Csv);
    let batched = read_batched(&schema, input.as_bytes(), InputFormat::Csv, 2, &io::ReadOptions::default()).unwrap();
    assert_eq!(batched, one_by_one);
    assert_eq!(one_by_one.len(), 3);
    for record in &one_by_one[..2] {
        let error = record.lead.as_ref().unwrap_err();
        assert!(error.message.contains("grows beyond the limit"), "{}", error.message);
    }
    assert!(one_by_one[2].lead.is_ok(), "{:?}", one_by_one[2].lead);
}

/// `numbers: lenient`: what exports write is read; a fraction is never an
/// int; anything that is not thousands groups is refused; strict stays
/// strict (issue 8, item 8).
#[test]
fn lenient_numbers_read_export_formats_and_nothing_more() {
    let lenient = Schema { numbers: route::schema::Numbers::Lenient, ..number_schema() };
    let strict = number_schema();
    let (int, float) = (FieldId(1), FieldId(2));
    let mut coercer = Coercer::new(&lenient);
    let ints = [
        ("1,234", 1234),
        ("1,234,567", 1_234_567),
        ("$5,000", 5000),
        ("$5,000.00", 5000),
        ("5000.0", 5000),
        ("-$5", -5),
        ("$-5", -5),
        ("€12", 12),
        ("+£3", 3),
        ("¥40", 40),
        ("-9,223,372,036,854,775,808", i64::MIN),
    ];
    for (text, value) in ints {
        assert_eq!(coercer.cell(int, text), Ok(Value::Int(value)), "{text}");
    }
    let floats = [("1,234.5", 1234.5), ("$5,000.25", 5000.25), ("5000.0", 5000.0), ("-$0.5", -0.5)];
    for (text, value) in floats {
        assert_eq!(coercer.cell(float, text), Ok(Value::Float(value)), "{text}");
    }
    let message = |text: &str, field: FieldId| coercer_message(&lenient, field, text);
    assert_eq!(message("1.5", int), "value `1.5` is not a whole number (an int field takes no fraction)");
    assert_eq!(message("$1,000.01", int), "value `$1,000.01` is not a whole number (an int field takes no fraction)");
    assert_eq!(
        message("9,223,372,036,854,775,808", int),
        "value `9,223,372,036,854,775,808` is out of range for an integer"
    );
    for refused in [
        "1,23", "12,34.5", "1234,567", "1.234,5", "5 000", "5000 USD", "12%", "(5,000)", "$", "$$5", "5.", ".5",
        "1,,000", ",100", "--5", "-$-5",
    ] {
        assert!(Coercer::new(&lenient).cell(int, refused).is_err(), "int {refused}");
        if ![".5", "5."].contains(&refused) {
            assert!(Coercer::new(&lenient).cell(float, refused).is_err(), "float {refused}");
        }
    }
    for text in ["1,234", "$5", "5000.0"] {
        assert!(Coercer::new(&strict).cell(int, text).is_err(), "strict int {text}");
    }
    // JSON strings follow the same rules.
    let records = read(&lenient, b"{\"id\":\"a\",\"i\":\"$1,234.00\",\"f\":\"1,000.5\"}\n", InputFormat::Jsonl);
    assert_eq!(records[0].lead.as_ref().unwrap().values[1..], [Value::Int(1234), Value::Float(1000.5)]);
}

fn coercer_message(schema: &Schema, field: FieldId, text: &str) -> String {
    Coercer::new(schema).cell(field, text).unwrap_err().message
}

/// All records of `bytes` framed in batches of `size` and cooked, as
/// `route eval --jobs N` reads them (with the given options).
fn read_batched(
    schema: &Schema,
    bytes: &[u8],
    format: InputFormat,
    size: usize,
    options: &io::ReadOptions,
) -> Option<Vec<InputRecord>> {
    let mut reader = io::leads_with(schema, Box::new(Cursor::new(bytes.to_vec())), format, options).ok()?;
    let mut cook = reader.cook();
    let mut batch = io::Batch::default();
    // One buffer of records written over batch after batch, as `route
    // eval --jobs` recycles them.
    let (mut records, mut out) = (Vec::new(), Vec::new());
    while reader.next_batch(&mut batch, size) {
        cook.cook(&mut batch, &mut records);
        out.extend(records.iter().cloned());
    }
    Some(out)
}

/// Once the input is done, a reader frames nothing more however often it
/// is asked (`route eval --jobs` relies on it: each thread asks in turn),
/// also when the input ends inside a quoted field (a run of broken lines
/// still being reported).
#[test]
fn a_finished_reader_frames_nothing_more() {
    let schema = optional_schema();
    for (input, format) in [
        (&b"id,n,flag,tags,region\nL1,1,true,,NA\nL2,\"2\nL3,3,true,,NA\n"[..], InputFormat::Csv),
        (&b"{\"id\":\"L1\"}\n{\"id\":\n"[..], InputFormat::Jsonl),
    ] {
        let mut reader =
            io::leads_with(&schema, Box::new(Cursor::new(input.to_vec())), format, &io::ReadOptions::default())
                .unwrap();
        let mut batch = io::Batch::default();
        let mut framed = 0;
        while reader.next_batch(&mut batch, 1) {
            framed += batch.len();
        }
        assert_eq!(framed, if format == InputFormat::Csv { 3 } else { 2 }, "{format:?}");
        for _ in 0..3 {
            assert!(!reader.next_batch(&mut batch, 4), "{format:?}");
            assert!(batch.is_empty());
        }
    }
}

/// Every record through [`io::LeadReader::next_into`], one record written
/// over again and again.
fn read_recycled(schema: &Schema, bytes: &[u8], format: InputFormat, options: &io::ReadOptions) -> Vec<InputRecord> {
    let Ok(mut reader) = io::leads_with(schema, Box::new(Cursor::new(bytes.to_vec())), format, options) else {
        return Vec::new();
    };
    let mut record = InputRecord::empty();
    let mut out = Vec::new();
    while reader.next_into(&mut record) {
        out.push(record.clone());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    /// Framing in batches and coercing elsewhere gives the records the
    /// iterator gives, broken quotes, long runs and bad JSON included, for
    /// any batch size, with `--keep` columns; so does writing every record
    /// over the last one's buffers.
    #[test]
    fn batches_give_the_records_the_iterator_gives(bytes in input_bytes(), size in 1usize..5) {
        let schema = optional_schema();
        let options = io::ReadOptions { keep: vec!["n".to_string(), "region".to_string()], ..io::ReadOptions::default() };
        let mut with_header = b"id,n,flag,tags,region\n".to_vec();
        with_header.extend_from_slice(&bytes);
        for (input, format) in [(&with_header, InputFormat::Csv), (&bytes, InputFormat::Jsonl)] {
            let Ok(reader) = io::leads_with(&schema, Box::new(Cursor::new(input.clone())), format, &options) else { continue };
            let one_by_one: Vec<InputRecord> = reader.collect();
            let batched = read_batched(&schema, input, format, size, &options).unwrap();
            prop_assert_eq!(&batched, &one_by_one);
            prop_assert_eq!(&read_recycled(&schema, input, format, &options), &one_by_one);
        }
    }
}

/// Lines of cells without quotes (none blank: a blank line is no record,
/// its quoted twin `""` is one): the CSV reader's quote-free fast path.
fn plain_lines() -> impl Strategy<Value = Vec<(Vec<String>, &'static str)>> {
    let cell = prop::sample::select(vec!["", " ", "L1", " 7 ", "x", "-", "true", "NA", "emea", "a;b", "1e3", "é"]);
    let end = prop::sample::select(vec!["\n", "\r\n", "\r"]);
    let cells = prop::collection::vec(cell.prop_map(str::to_string), 1..7).prop_map(|cells| {
        if cells.len() == 1 && cells[0].trim().is_empty() {
            vec!["x".to_string()]
        } else {
            cells
        }
    });
    prop::collection::vec((cells, end), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// A line without quotes is split at its delimiters by a fast path
    /// rather than by `csv_core`'s state machine; quoting every cell sends
    /// the same cells through the state machine, and the records (values,
    /// ids, errors, line and record numbers, ragged rows) must be the same.
    #[test]
    fn plain_lines_read_as_their_quoted_twins(lines in plain_lines(), last_end in any::<bool>()) {
        let schema = optional_schema();
        let mut plain = b"id,n,flag,tags,region\n".to_vec();
        let mut quoted = plain.clone();
        for (i, (cells, end)) in lines.iter().enumerate() {
            plain.extend_from_slice(cells.join(",").as_bytes());
            let twin: Vec<String> = cells.iter().map(|c| format!("\"{c}\"")).collect();
            quoted.extend_from_slice(twin.join(",").as_bytes());
            if last_end || i + 1 < lines.len() {
                plain.extend_from_slice(end.as_bytes());
                quoted.extend_from_slice(end.as_bytes());
            }
        }
        let plain_records = read_any(&schema, &plain, InputFormat::Csv);
        prop_assert_eq!(plain_records.len(), lines.len());
        prop_assert_eq!(plain_records, read_any(&schema, &quoted, InputFormat::Csv));
    }
}

/// A field no rule reads is checked as any other but, a string, not kept:
/// a required one still may not be missing, an int still must be one.
#[test]
fn unread_fields_are_checked_but_strings_not_kept() {
    let schema = Schema {
        fields: vec![
            field("id", "id", FieldType::String, false),
            field("notes", "notes", FieldType::String, false),
            field("n", "n", FieldType::Int, false),
            field("owner", "owner", FieldType::String, true),
        ],
        ..Schema::default()
    };
    let read = [true, false, false, true];
    let mut coercer = Coercer::new(&schema).keeping(&read);
    assert_eq!(coercer.cell(FieldId(1), " long notes nobody reads "), Ok(Value::Str("".into())));
    assert_eq!(coercer.cell(FieldId(3), " ana "), Ok(Value::Str("ana".into())));
    assert_eq!(coercer.cell(FieldId(2), "12"), Ok(Value::Int(12)));
    let missing = coercer.cell(FieldId(1), "  ").unwrap_err();
    assert!(missing.message.contains("missing required"), "{missing:?}");
    let not_int = coercer.cell(FieldId(2), "twelve").unwrap_err();
    assert_eq!(not_int.value.as_deref(), Some("twelve"));
    // Through a reader: the same lead is valid or invalid either way.
    let csv = "id,notes,n,owner\nL1,hello,3,ana\nL2,,3,ana\nL3,hi,x,ana\n";
    let options = io::ReadOptions { read: Some(read.to_vec()), ..io::ReadOptions::default() };
    let projected: Vec<InputRecord> =
        io::leads_with(&schema, Box::new(Cursor::new(csv)), InputFormat::Csv, &options).unwrap().collect();
    let full = read_any(&schema, csv.as_bytes(), InputFormat::Csv);
    let valid = |records: &[InputRecord]| records.iter().map(|r| r.lead.is_ok()).collect::<Vec<_>>();
    assert_eq!(valid(&projected), [true, false, false]);
    assert_eq!(valid(&projected), valid(&full));
    assert_eq!(projected[0].lead.as_ref().unwrap().values[1], Value::Str("".into()));
    assert_eq!(full[0].lead.as_ref().unwrap().values[1], Value::Str("hello".into()));
}
