//! The decision writers: JSONL key order and CSV columns (LANGUAGE.md §10).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use route::eval::decision::TraceStep;
use route::eval::{Decision, LeadError, Reason, TargetKind};
use route::io::{DecisionWriter, OutputFormat, CSV_HEADER};

fn matched() -> Decision {
    Decision {
        rule: Some("emea_enterprise".to_string()),
        line: Some(12),
        target: Some(TargetKind::Team),
        team: Some("enterprise_emea".to_string()),
        assignee: Some("ana@acme.io".to_string()),
        strategy: Some("round_robin"),
        ..Decision::nowhere("L000001".to_string(), Reason::Matched)
    }
}

fn queued() -> Decision {
    Decision {
        target: Some(TargetKind::Queue),
        queue: Some("unassigned".to_string()),
        ..Decision::nowhere("L000002".to_string(), Reason::NoRuleMatched)
    }
}

fn fell_back() -> Decision {
    Decision {
        rule: Some("line:20".to_string()),
        line: Some(20),
        target: Some(TargetKind::Rep),
        assignee: Some("maria@acme.io".to_string()),
        fallback: true,
        ..Decision::nowhere("L000003".to_string(), Reason::Fallback)
    }
}

fn invalid() -> Decision {
    Decision {
        error: Some(LeadError {
            field: Some("employees".to_string()),
            value: Some("5,000".to_string()),
            message: "value `5,000` is not an integer".to_string(),
            record: 4,
            line: 5,
        }),
        ..Decision::nowhere("4".to_string(), Reason::Invalid)
    }
}

fn explained() -> Decision {
    Decision {
        trace: Some(vec![
            TraceStep {
                rule: "named_accounts".to_string(),
                line: 3,
                matched: false,
                failed: Some("account_id in account_owners".to_string()),
                actual: Some(serde_json::Value::Null),
            },
            TraceStep { rule: "emea_enterprise".to_string(), line: 12, matched: true, failed: None, actual: None },
        ]),
        ..matched()
    }
}

fn written(format: OutputFormat, decisions: &[Decision]) -> String {
    let mut writer = DecisionWriter::new(Vec::new(), format);
    for decision in decisions {
        writer.write(decision).unwrap();
    }
    String::from_utf8(writer.finish().unwrap()).unwrap()
}

#[test]
fn jsonl_one_compact_object_per_line_in_key_order() {
    let out = written(OutputFormat::Jsonl, &[matched(), queued(), fell_back(), invalid(), explained()]);
    insta::assert_snapshot!(out);
}

#[test]
fn jsonl_matches_the_design_example_exactly() {
    let out = written(OutputFormat::Jsonl, &[matched()]);
    assert_eq!(
        out,
        "{\"lead\":\"L000001\",\"rule\":\"emea_enterprise\",\"line\":12,\"target\":\"team\",\
         \"team\":\"enterprise_emea\",\"queue\":null,\"assignee\":\"ana@acme.io\",\
         \"strategy\":\"round_robin\",\"fallback\":false,\"reason\":\"matched\"}\n"
    );
}

#[test]
fn csv_has_a_header_and_the_same_columns() {
    let out = written(OutputFormat::Csv, &[matched(), queued(), fell_back(), invalid(), explained()]);
    insta::assert_snapshot!(out);
    // The CSV round-trips through a CSV reader: 13 columns, quoting intact.
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|row| row.len() == CSV_HEADER.len()));
    assert_eq!(&rows[3][12], "value `5,000` is not an integer");
}

#[test]
fn csv_with_no_decisions_is_the_header_alone() {
    assert_eq!(written(OutputFormat::Csv, &[]), format!("{}\n", CSV_HEADER.join(",")));
    assert_eq!(written(OutputFormat::Jsonl, &[]), "");
}

/// A writer whose sink fails reports the error (from `write` or `finish`).
#[test]
fn write_errors_are_reported() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _buf: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    for format in [OutputFormat::Jsonl, OutputFormat::Csv] {
        let mut writer = DecisionWriter::new(Broken, format);
        let result = writer.write(&matched()).and_then(|()| writer.finish().map(|_| ()));
        assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe, "{format:?}");
    }
}
