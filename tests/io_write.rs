//! The decision writers: JSONL key order and CSV columns (LANGUAGE.md §10).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use route::eval::decision::TraceStep;
use route::eval::{Decision, LeadError, Reason, TargetKind};
use route::io::{DecisionWriter, OutputFormat, CSV_HEADER};

fn matched() -> Decision {
    Decision {
        rule: Some("emea_enterprise".into()),
        line: Some(12),
        target: Some(TargetKind::Team),
        team: Some("enterprise_emea".into()),
        assignee: Some("ana@acme.io".into()),
        strategy: Some("round_robin"),
        ..Decision::nowhere("L000001".to_string(), Reason::Matched)
    }
}

fn queued() -> Decision {
    Decision {
        target: Some(TargetKind::Queue),
        queue: Some("unassigned".into()),
        ..Decision::nowhere("L000002".to_string(), Reason::NoRuleMatched)
    }
}

fn fell_back() -> Decision {
    Decision {
        rule: Some("line:20".into()),
        line: Some(20),
        target: Some(TargetKind::Rep),
        assignee: Some("maria@acme.io".into()),
        fallback: true,
        ..Decision::nowhere("L000003".to_string(), Reason::Fallback)
    }
}

fn invalid() -> Decision {
    Decision {
        error: Some(Box::new(LeadError {
            field: Some("employees".to_string()),
            value: Some("5,000".to_string()),
            message: "value `5,000` is not an integer".to_string(),
            record: 4,
            line: 5,
        })),
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

/// JSONL reaches its writer in whole 64 KiB pieces (the last excepted),
/// so that a file's writes fall on page-cache folio boundaries
/// (docs/performance.md), and the pieces hold every record, in order.
#[test]
fn jsonl_is_written_in_whole_64_kib_pieces() {
    #[derive(Default)]
    struct Recording {
        bytes: Vec<u8>,
        writes: Vec<usize>,
    }
    impl std::io::Write for Recording {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes.extend_from_slice(buf);
            self.writes.push(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let decisions = [matched(), queued(), fell_back(), invalid(), explained()];
    let mut writer = DecisionWriter::new(Recording::default(), OutputFormat::Jsonl);
    for decision in decisions.iter().cycle().take(5_000) {
        writer.write(decision).unwrap();
    }
    let out = writer.finish().unwrap();
    let (last, whole) = out.writes.split_last().unwrap();
    assert!(whole.len() >= 10, "{} pieces", whole.len());
    assert!(whole.iter().all(|&n| n == 1 << 16), "{:?}", out.writes);
    assert!(*last <= 1 << 16);
    let once = written(OutputFormat::Jsonl, &decisions);
    assert_eq!(String::from_utf8(out.bytes).unwrap(), once.repeat(1_000));
}

/// A record larger than a piece is handed over in whole pieces at once:
/// the writer keeps less than one piece back, however large the records
/// (an `--explain` trace over thousands of rules), and every write is a
/// whole number of pieces but the last.
#[test]
fn jsonl_keeps_less_than_a_piece_back_after_a_large_record() {
    use std::cell::RefCell;
    use std::rc::Rc;
    struct Shared(Rc<RefCell<Vec<usize>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().push(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut large = explained();
    let steps = large.trace.take().unwrap();
    large.trace = Some(steps.iter().cycle().take(4_000).cloned().collect());
    let decisions = [large, matched()];
    let writes = Rc::new(RefCell::new(Vec::new()));
    let mut writer = DecisionWriter::new(Shared(Rc::clone(&writes)), OutputFormat::Jsonl);
    let mut produced = 0;
    for decision in decisions.iter().cycle().take(10) {
        writer.write(decision).unwrap();
        produced += written(OutputFormat::Jsonl, std::slice::from_ref(decision)).len();
        let handed: usize = writes.borrow().iter().sum();
        assert!(produced - handed < 1 << 16, "{} bytes kept back", produced - handed);
    }
    writer.finish().unwrap();
    let writes = writes.borrow();
    let (last, whole) = writes.split_last().unwrap();
    assert!(whole.iter().all(|&n| n > 0 && n % (1 << 16) == 0), "{writes:?}");
    assert!(whole.iter().any(|&n| n > 1 << 16), "{writes:?}");
    assert_eq!(whole.iter().sum::<usize>() + last, produced);
}

mod direct_json {
    //! The JSONL record is written without serde_json; serde_json's output
    //! for the same `Decision` is the oracle, byte for byte. So is the CSV
    //! record without the csv crate, its writer the oracle.

    use super::*;
    use proptest::prelude::*;
    use route::eval::decision::{DistributionStep, Secondary, Skipped, SplitChoice};
    use route::eval::ScoreValue;

    /// Any text: every control character, quotes, backslashes, DEL,
    /// multi-byte characters, and plain ASCII.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[\\x00-\\x7f]{0,12}",
            // Long enough for several eight-byte words before an escape.
            "[a-z@.]{0,30}[\\x00-\\x7f]{0,3}",
            "\\PC{0,8}",
            proptest::collection::vec(
                prop_oneof![Just('"'), Just('\\'), Just('\u{7f}'), Just('\u{2028}'), any::<char>()],
                0..8
            )
            .prop_map(|chars| chars.into_iter().collect()),
        ]
    }

    fn reason() -> impl Strategy<Value = Reason> {
        prop_oneof![
            Just(Reason::Matched),
            Just(Reason::Fallback),
            Just(Reason::NoEligibleMember),
            Just(Reason::NoRuleMatched),
            Just(Reason::Invalid),
        ]
    }

    fn target() -> impl Strategy<Value = Option<TargetKind>> {
        proptest::option::of(prop_oneof![Just(TargetKind::Team), Just(TargetKind::Rep), Just(TargetKind::Queue)])
    }

    fn error() -> impl Strategy<Value = Option<LeadError>> {
        proptest::option::of(
            (proptest::option::of(text()), proptest::option::of(text()), text(), any::<u64>(), any::<u64>())
                .prop_map(|(field, value, message, record, line)| LeadError { field, value, message, record, line }),
        )
    }

    fn decision() -> impl Strategy<Value = Decision> {
        let names = (text(), proptest::option::of(text()), proptest::option::of(any::<u32>()), target());
        let people = (proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(text()));
        let how = (
            proptest::option::of(prop_oneof![Just("round_robin"), Just("sticky")]),
            any::<bool>(),
            reason(),
            error(),
            proptest::option::of(text()),
        );
        // The parts a split, a second owner and `--scores` add.
        let extra = (
            proptest::option::of((text(), any::<u32>(), proptest::option::of(any::<u32>()))),
            proptest::option::of((proptest::option::of(text()), any::<bool>())),
            proptest::option::of((text(), any::<i64>())),
        );
        (names, people, how, extra).prop_map(
            |(
                (lead, rule, line, target),
                (team, queue, assignee),
                (strategy, fallback, reason, error, note),
                (split, secondary, score),
            )| {
                let distribution = note.map(|note| {
                    vec![DistributionStep {
                        target: "team desk".to_string(),
                        took: None,
                        skipped: vec![Skipped { rep: "ana@acme.io".to_string(), reason: "paused" }],
                        note: Some(note),
                    }]
                });
                Decision {
                    rule: rule.map(Into::into),
                    line,
                    target,
                    team: team.map(Into::into),
                    queue: queue.map(Into::into),
                    assignee: assignee.map(Into::into),
                    strategy,
                    fallback,
                    error: error.map(Box::new),
                    distribution,
                    split: split.map(|(name, arm, bucket)| Box::new(SplitChoice { name, arm, bucket })),
                    secondary: secondary.map(|(team, fallback)| {
                        Box::new(Secondary {
                            team: team.map(Into::into),
                            queue: None,
                            assignee: Some("ana@acme.io".into()),
                            strategy: Some("round_robin"),
                            fallback,
                            reason: Reason::Matched,
                        })
                    }),
                    scores: score.map(|(score, value)| vec![ScoreValue { score, value, counted: None }]),
                    ..Decision::nowhere(lead, reason)
                }
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn jsonl_record_is_what_serde_json_writes(
            decisions in proptest::collection::vec(decision(), 1..4),
            again in proptest::collection::vec((any::<proptest::sample::Index>(), text(), any::<bool>(), reason(), any::<bool>()), 0..6),
        ) {
            // Decisions sharing names (as a run's do): the writer copies
            // the fixed fields it wrote before, which must tell apart
            // every field that differs.
            let mut decisions = decisions;
            for (which, lead, fallback, reason, other_line) in again {
                let mut twin = which.get(&decisions).clone();
                twin.lead = lead;
                twin.fallback = fallback;
                twin.reason = reason;
                if other_line {
                    twin.line = twin.line.map(|line| line.wrapping_add(1));
                }
                decisions.push(twin);
            }
            let mut expected = String::new();
            for decision in &decisions {
                expected.push_str(&serde_json::to_string(decision).unwrap());
                expected.push('\n');
            }
            prop_assert_eq!(written(OutputFormat::Jsonl, &decisions), expected);
        }
    }

    /// What the csv crate's writer writes for a decision's cells, in the
    /// columns of LANGUAGE.md §10 and the optional ones (the writer's
    /// columns before it wrote its cells itself).
    fn csv_oracle(
        decisions: &[Decision],
        (owners, explain, scores): (bool, bool, bool),
        kept: &[(String, Option<String>)],
    ) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = CSV_HEADER.iter().map(|c| c.to_string()).collect();
        if owners {
            header.extend(route::io::OWNER_COLUMNS.iter().map(|c| c.to_string()));
        }
        if explain {
            header.extend(["trace".to_string(), "distribution".to_string()]);
        }
        if scores {
            header.push("scores".to_string());
        }
        let decision_columns = header.clone();
        header.extend(kept.iter().map(|(name, _)| {
            if decision_columns.contains(name) {
                format!("kept.{name}")
            } else {
                name.clone()
            }
        }));
        writer.write_record(&header).unwrap();
        for d in decisions {
            let error = d.error.as_deref();
            let mut cells: Vec<String> = vec![
                d.lead.clone(),
                d.rule.as_deref().unwrap_or("").to_string(),
                d.line.map(|l| l.to_string()).unwrap_or_default(),
                d.target.map(|t| serde_json::to_value(t).unwrap().as_str().unwrap().to_string()).unwrap_or_default(),
                d.team.as_deref().unwrap_or("").to_string(),
                d.queue.as_deref().unwrap_or("").to_string(),
                d.assignee.as_deref().unwrap_or("").to_string(),
                d.strategy.unwrap_or("").to_string(),
                d.fallback.to_string(),
                d.reason.as_str().to_string(),
                error.and_then(|e| e.field.clone()).unwrap_or_default(),
                error.and_then(|e| e.value.clone()).unwrap_or_default(),
                error.map(|e| e.message.clone()).unwrap_or_default(),
            ];
            if owners {
                let second = d.secondary.as_deref();
                cells.extend([
                    d.split.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
                    d.split.as_ref().map(|s| s.arm.to_string()).unwrap_or_default(),
                    second.and_then(|s| s.team.as_deref()).unwrap_or("").to_string(),
                    second.and_then(|s| s.queue.as_deref()).unwrap_or("").to_string(),
                    second.and_then(|s| s.assignee.as_deref()).unwrap_or("").to_string(),
                ]);
            }
            if explain {
                cells.push(d.trace.as_ref().map(|t| serde_json::to_string(t).unwrap()).unwrap_or_default());
                cells.push(d.distribution.as_ref().map(|t| serde_json::to_string(t).unwrap()).unwrap_or_default());
            }
            if scores {
                cells.push(d.scores.as_ref().map(|t| serde_json::to_string(t).unwrap()).unwrap_or_default());
            }
            cells.extend(kept.iter().map(|(_, value)| value.clone().unwrap_or_default()));
            writer.write_record(&cells).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        /// The CSV record is written without the csv crate; its writer's
        /// output for the same cells is the oracle, byte for byte, with
        /// every optional column, kept columns (one named like a decision
        /// column) and decisions sharing their fixed fields.
        #[test]
        fn csv_record_is_what_the_csv_crate_writes(
            decisions in proptest::collection::vec(decision(), 0..4),
            twins in proptest::collection::vec((any::<proptest::sample::Index>(), text(), any::<bool>()), 0..4),
            columns in (any::<bool>(), any::<bool>(), any::<bool>()),
            kept in proptest::collection::vec((prop_oneof![Just("team".to_string()), "[a-z]{1,6}"], proptest::option::of(text())), 0..3),
        ) {
            let mut decisions = decisions;
            for (which, lead, fallback) in twins {
                if decisions.is_empty() {
                    break;
                }
                let mut twin = which.get(&decisions).clone();
                twin.lead = lead;
                twin.fallback = fallback;
                decisions.push(twin);
            }
            let (owners, explain, scores) = columns;
            let names: Vec<String> = kept.iter().map(|(name, _)| name.clone()).collect();
            let values: Vec<Option<String>> = kept.iter().map(|(_, value)| value.clone()).collect();
            let mut writer = DecisionWriter::new(Vec::new(), OutputFormat::Csv)
                .with_owner_columns(owners)
                .with_explain_columns(explain)
                .with_scores_column(scores);
            if !names.is_empty() {
                writer = writer.with_kept(names);
            }
            for decision in &decisions {
                writer.write_kept(decision, &values).unwrap();
            }
            let ours = String::from_utf8(writer.finish().unwrap()).unwrap();
            prop_assert_eq!(ours, csv_oracle(&decisions, columns, &kept));
        }
    }

    #[test]
    fn every_control_character_is_escaped_as_serde_json_does() {
        let all: String = (0u8..0x80).map(char::from).collect();
        let decision = Decision { rule: Some(all.into()), ..matched() };
        assert_eq!(
            written(OutputFormat::Jsonl, std::slice::from_ref(&decision)),
            serde_json::to_string(&decision).unwrap() + "\n"
        );
    }
}
