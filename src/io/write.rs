//! Decision writers: one output record per [`Decision`], in the order given
//! (LANGUAGE.md §10).

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use crate::eval::{Decision, TargetKind};

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
}

enum Sink<W: Write> {
    Jsonl(BufWriter<W>),
    Csv(Box<CsvSink<W>>),
}

struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    header_written: bool,
    /// Write the `trace` and `distribution` columns.
    explain: bool,
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
            OutputFormat::Jsonl => Sink::Jsonl(BufWriter::with_capacity(1 << 16, w)),
            OutputFormat::Csv => Sink::Csv(Box::new(CsvSink {
                writer: csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(w),
                header_written: false,
                explain: false,
                scores: false,
                scores_cell: String::new(),
                trace: String::new(),
                distribution: String::new(),
                line: String::new(),
            })),
        };
        DecisionWriter { sink }
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

    /// Writes one decision.
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn write(&mut self, decision: &Decision) -> io::Result<()> {
        match &mut self.sink {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, decision)?;
                out.write_all(b"\n")
            }
            Sink::Csv(sink) => {
                let CsvSink { writer, header_written, explain, scores, scores_cell, trace, distribution, line } =
                    &mut **sink;
                if !*header_written {
                    write_header(writer, *explain, *scores)?;
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
                    decision.target.map_or("", target_name),
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
                let mut extra: Vec<&str> = Vec::new();
                if *explain {
                    json_cell(trace, decision.trace.as_ref())?;
                    json_cell(distribution, decision.distribution.as_ref())?;
                    extra.extend([trace.as_str(), distribution.as_str()]);
                }
                if *scores {
                    json_cell(scores_cell, decision.scores.as_ref())?;
                    extra.push(scores_cell.as_str());
                }
                if extra.is_empty() {
                    return writer.write_record(record).map_err(csv_to_io);
                }
                writer.write_record(record.iter().copied().chain(extra)).map_err(csv_to_io)
            }
        }
    }

    /// Flushes everything and returns the underlying writer.
    ///
    /// # Errors
    /// When writing or flushing fails.
    pub fn finish(self) -> io::Result<W> {
        match self.sink {
            Sink::Jsonl(out) => out.into_inner().map_err(io::IntoInnerError::into_error),
            Sink::Csv(sink) => {
                let CsvSink { mut writer, header_written, explain, scores, .. } = *sink;
                if !header_written {
                    write_header(&mut writer, explain, scores)?;
                }
                writer.into_inner().map_err(|e| e.into_error())
            }
        }
    }
}

/// The CSV header, with the explain and scores columns when asked for.
fn write_header<W: Write>(writer: &mut csv::Writer<W>, explain: bool, scores: bool) -> io::Result<()> {
    let explained: &[&str] = if explain { &["trace", "distribution"] } else { &[] };
    let scored: &[&str] = if scores { &["scores"] } else { &[] };
    writer.write_record(CSV_HEADER.iter().chain(explained).chain(scored)).map_err(csv_to_io)
}

/// A value as compact JSON in `out`; empty for `None`.
fn json_cell<T: serde::Serialize>(out: &mut String, value: Option<&T>) -> io::Result<()> {
    out.clear();
    if let Some(value) = value {
        out.push_str(&serde_json::to_string(value)?);
    }
    Ok(())
}

/// The output name of a target kind (as its serde form).
fn target_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Team => "team",
        TargetKind::Rep => "rep",
        TargetKind::Queue => "queue",
    }
}

/// The I/O error inside a csv writer error (keeps its kind, e.g. a broken
/// pipe).
fn csv_to_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}
