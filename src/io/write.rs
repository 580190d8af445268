//! Decision writers: one output record per [`Decision`], in the order given
//! (LANGUAGE.md §10).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::json_out::{self, Kept};
use crate::eval::Decision;

/// The format of `route eval` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// One compact JSON object per line, keys in the order of LANGUAGE.md
    /// §10, `error` and `trace` only when present.
    Jsonl,
    /// CSV with a header row: the JSONL keys, with `error` flattened into
    /// `error_field`, `error_value` and `error_message`; null is an empty
    /// cell. With [`DecisionWriter::with_explain_columns`], two more
    /// columns, `trace` and `distribution`, hold those keys' JSON (empty
    /// when a decision has none).
    Csv,
}

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 13] = [
    "lead",
    "rule",
    "line",
    "target",
    "team",
    "queue",
    "assignee",
    "strategy",
    "fallback",
    "reason",
    "error_field",
    "error_value",
    "error_message",
];

/// Writes decisions to `W` in one [`OutputFormat`], buffered. Call
/// [`DecisionWriter::finish`] at the end: it writes what is buffered (and,
/// for CSV, the header even when there were no decisions) and reports any
/// error doing so.
pub struct DecisionWriter<W: Write> {
    sink: Sink<W>,
    /// The input columns copied into each record (`--keep`).
    kept: Vec<String>,
}

enum Sink<W: Write> {
    Jsonl(JsonlSink<W>),
    Csv(Box<CsvSink<W>>),
}

/// JSONL: records are written into one reused buffer, handed to the
/// writer in whole [`FLUSH_AT`] pieces.
struct JsonlSink<W: Write> {
    out: W,
    buf: Vec<u8>,
    tails: json_out::Tails,
}

/// The piece the JSONL writer hands over: a whole number of these (one,
/// unless a record is larger), the rest of the last record kept for the
/// next write, so that every write but the last starts and ends on a 64
/// KiB boundary of the file. The page cache then fills one fresh 64 KiB
/// folio per write; a write of whatever had gathered (65.6 KiB on
/// average) straddled folios and cost the kernel half as much again
/// (`route eval` to a file, 1M leads: 0.13–0.22 s of system time against
/// 0.08–0.14 s, 0.94 of the wall time; docs/performance.md). Larger
/// writes (256 KiB, 1 MiB) were slower and erratic on the measuring host,
/// all of the extra time spent filling the kernel's larger folios (we took
/// it for memory the hypervisor faults in; not proved).
const FLUSH_AT: usize = 1 << 16;

struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    header_written: bool,
    /// Write the `trace` and `distribution` columns.
    explain: bool,
    /// Write the split and second-owner columns ([`OWNER_COLUMNS`]).
    owners: bool,
    /// Formatting buffer for the `split_arm` column.
    arm: String,
    /// Write the `scores` column (last).
    scores: bool,
    /// Formatting buffer for it.
    scores_cell: String,
    /// Formatting buffers for those columns.
    trace: String,
    distribution: String,
    /// Formatting buffer for the `line` column.
    line: String,
}

impl<W: Write> std::fmt::Debug for DecisionWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = match self.sink {
            Sink::Jsonl(_) => OutputFormat::Jsonl,
            Sink::Csv(_) => OutputFormat::Csv,
        };
        f.debug_struct("DecisionWriter").field("format", &format).finish_non_exhaustive()
    }
}

impl<W: Write> DecisionWriter<W> {
    /// A writer of `format` to `w`.
    pub fn new(w: W, format: OutputFormat) -> DecisionWriter<W> {
        let sink = match format {
            OutputFormat::Jsonl => Sink::Jsonl(JsonlSink {
                out: w,
                buf: Vec::with_capacity(FLUSH_AT + 4096),
                tails: json_out::Tails::default(),
            }),
            OutputFormat::Csv => Sink::Csv(Box::new(CsvSink {
                writer: csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(w),
                header_written: false,
                explain: false,
                owners: false,
                arm: String::new(),
                scores: false,
                scores_cell: String::new(),
                trace: String::new(),
                distribution: String::new(),
                line: String::new(),
            })),
        };
        DecisionWriter { sink, kept: Vec::new() }
    }

    /// Adds the split and second-owner columns ([`OWNER_COLUMNS`]) to CSV
    /// output when `on` (`route eval` turns them on for a project with a
    /// split or a `with`); JSONL carries `split` and `secondary` anyway.
    pub fn with_owner_columns(mut self, on: bool) -> DecisionWriter<W> {
        if let Sink::Csv(sink) = &mut self.sink {
            sink.owners = on;
        }
        self
    }

    /// Adds the `trace` and `distribution` columns to CSV output when `on`
    /// (`--explain`); JSONL carries those keys anyway.
    pub fn with_explain_columns(mut self, on: bool) -> DecisionWriter<W> {
        if let Sink::Csv(sink) = &mut self.sink {
            sink.explain = on;
        }
        self
    }

    /// Adds the `scores` column (the `scores` key's JSON) to CSV output
    /// when `on` (`--scores`); JSONL carries the key anyway.
    pub fn with_scores_column(mut self, on: bool) -> DecisionWriter<W> {
        if let Sink::Csv(sink) = &mut self.sink {
            sink.scores = on;
        }
        self
    }

    /// Copies these input columns into every record (`--keep`): in JSONL a
    /// last key `kept`, an object of column name to text (null when the
    /// lead had none); in CSV one more column each, after the others, named
    /// as the input column, or `kept.NAME` when a decision column has that
    /// name already. Give each record's values to [`DecisionWriter::write_kept`].
    pub fn with_kept(mut self, names: Vec<String>) -> DecisionWriter<W> {
        self.kept = names;
        self
    }

    /// Writes one decision.
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn write(&mut self, decision: &Decision) -> io::Result<()> {
        self.write_kept(decision, &[])
    }

    /// Writes one decision with the values of the kept columns (see
    /// [`DecisionWriter::with_kept`]; missing values are null).
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn write_kept(&mut self, decision: &Decision, kept: &[Option<String>]) -> io::Result<()> {
        let kept = (!self.kept.is_empty()).then_some(Kept { names: &self.kept, values: kept });
        match &mut self.sink {
            Sink::Jsonl(sink) => {
                json_out::push_decision(&mut sink.buf, &mut sink.tails, decision, kept)?;
                sink.buf.push(b'\n');
                // Every whole piece gathered, so that the buffer never keeps
                // more than one piece however large a record is (an
                // `--explain` trace over thousands of rules).
                let whole = sink.buf.len() / FLUSH_AT * FLUSH_AT;
                if let Some(full) = sink.buf.get(..whole).filter(|full| !full.is_empty()) {
                    sink.out.write_all(full)?;
                    sink.buf.drain(..whole);
                }
                Ok(())
            }
            Sink::Csv(sink) => {
                let CsvSink {
                    writer,
                    header_written,
                    explain,
                    owners,
                    arm,
                    scores,
                    scores_cell,
                    trace,
                    distribution,
                    line,
                } = &mut **sink;
                if !*header_written {
                    write_header(writer, (*explain, *owners, *scores), &self.kept)?;
                    *header_written = true;
                }
                line.clear();
                if let Some(n) = decision.line {
                    let _ = write!(line, "{n}");
                }
                let error = decision.error.as_ref();
                let record: [&str; 13] = [
                    &decision.lead,
                    decision.rule.as_deref().unwrap_or(""),
                    line,
                    decision.target.map_or("", json_out::target_name),
                    decision.team.as_deref().unwrap_or(""),
                    decision.queue.as_deref().unwrap_or(""),
                    decision.assignee.as_deref().unwrap_or(""),
                    decision.strategy.unwrap_or(""),
                    if decision.fallback { "true" } else { "false" },
                    decision.reason.as_str(),
                    error.and_then(|e| e.field.as_deref()).unwrap_or(""),
                    error.and_then(|e| e.value.as_deref()).unwrap_or(""),
                    error.map_or("", |e| e.message.as_str()),
                ];
                arm.clear();
                let split = decision.split.as_ref();
                if let Some(split) = split {
                    let _ = write!(arm, "{}", split.arm);
                }
                let second = decision.secondary.as_ref();
                let owner_cells: [&str; 5] = [
                    split.map_or("", |s| s.name.as_str()),
                    arm.as_str(),
                    second.and_then(|s| s.team.as_deref()).unwrap_or(""),
                    second.and_then(|s| s.queue.as_deref()).unwrap_or(""),
                    second.and_then(|s| s.assignee.as_deref()).unwrap_or(""),
                ];
                let owner_cells: &[&str] = if *owners { &owner_cells } else { &[] };
                if *explain {
                    json_cell(trace, decision.trace.as_ref())?;
                    json_cell(distribution, decision.distribution.as_ref())?;
                }
                let explain_cells: [&str; 2] = [trace.as_str(), distribution.as_str()];
                let explain_cells: &[&str] = if *explain { &explain_cells } else { &[] };
                if *scores {
                    json_cell(scores_cell, decision.scores.as_ref())?;
                }
                let score_cells: [&str; 1] = [scores_cell.as_str()];
                let score_cells: &[&str] = if *scores { &score_cells } else { &[] };
                let kept_cells = (0..self.kept.len()).map(|i| kept.and_then(|k| k.values.get(i)?.as_deref()));
                let kept_cells = kept_cells.map(|cell| cell.unwrap_or(""));
                let cells = record.iter().copied().chain(owner_cells.iter().copied());
                let cells = cells.chain(explain_cells.iter().copied()).chain(score_cells.iter().copied());
                writer.write_record(cells.chain(kept_cells)).map_err(csv_to_io)
            }
        }
    }

    /// Flushes everything and returns the underlying writer.
    ///
    /// # Errors
    /// When writing or flushing fails.
    pub fn finish(self) -> io::Result<W> {
        match self.sink {
            Sink::Jsonl(JsonlSink { mut out, buf, .. }) => {
                out.write_all(&buf)?;
                out.flush()?;
                Ok(out)
            }
            Sink::Csv(sink) => {
                let CsvSink { mut writer, header_written, explain, owners, scores, .. } = *sink;
                if !header_written {
                    write_header(&mut writer, (explain, owners, scores), &self.kept)?;
                }
                writer.into_inner().map_err(|e| e.into_error())
            }
        }
    }
}

/// The CSV columns of splits and second owners, after [`CSV_HEADER`] when
/// asked for ([`DecisionWriter::with_owner_columns`]): the split's name
/// and arm (from 1), and the second owner's team, queue and rep.
pub const OWNER_COLUMNS: [&str; 5] = ["split", "split_arm", "secondary_team", "secondary_queue", "secondary_assignee"];

/// The CSV header: the decision's columns, then the owner, explain and
/// scores columns when asked for (`(explain, owners, scores)`), then the
/// kept input columns (renamed `kept.NAME` where a name is taken).
fn write_header<W: Write>(
    writer: &mut csv::Writer<W>,
    (explain, owners, scores): (bool, bool, bool),
    kept: &[String],
) -> io::Result<()> {
    let owner_columns: &[&str] = if owners { &OWNER_COLUMNS } else { &[] };
    let explained: &[&str] = if explain { &["trace", "distribution"] } else { &[] };
    let scored: &[&str] = if scores { &["scores"] } else { &[] };
    let decision: Vec<&str> = CSV_HEADER.iter().chain(owner_columns).chain(explained).chain(scored).copied().collect();
    let kept =
        kept.iter().map(|name| if decision.contains(&name.as_str()) { format!("kept.{name}") } else { name.clone() });
    let header: Vec<String> = decision.iter().map(|s| (*s).to_string()).chain(kept).collect();
    writer.write_record(&header).map_err(csv_to_io)
}

/// A value as compact JSON in `out`; empty for `None`.
fn json_cell<T: serde::Serialize>(out: &mut String, value: Option<&T>) -> io::Result<()> {
    out.clear();
    if let Some(value) = value {
        out.push_str(&serde_json::to_string(value)?);
    }
    Ok(())
}

/// The I/O error inside a csv writer error (keeps its kind, e.g. a broken
/// pipe).
fn csv_to_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}
