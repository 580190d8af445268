//! Decision writers: one output record per [`Decision`], in the order given
//! (LANGUAGE.md §10).

use std::io::{self, Write};

use super::csv_out;
use super::json_out::{self, Kept};
use super::tails::Tails;
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
    out: W,
    /// Records not yet handed to `out`, which gets them in whole
    /// [`FLUSH_AT`] pieces.
    buf: Vec<u8>,
    /// The fixed fields written so far, in this writer's format.
    tails: Tails,
    format: Format,
    /// The input columns copied into each record (`--keep`).
    kept: Vec<String>,
}

/// How records are spelt.
enum Format {
    Jsonl,
    Csv(Box<CsvColumns>),
}

/// The piece the writer hands over: a whole number of these (one, unless
/// a record is larger), the rest of the last record kept for the next
/// write, so that every write but the last starts and ends on a 64 KiB
/// boundary of the file. The page cache then fills one fresh 64 KiB
/// folio per write; a write of whatever had gathered (65.6 KiB on
/// average) straddled folios and cost the kernel half as much again
/// (`route eval` to a file, 1M leads: 0.13–0.22 s of system time against
/// 0.08–0.14 s, 0.94 of the wall time; docs/performance.md). Larger
/// writes (256 KiB, 1 MiB) were slower and erratic on the measuring host,
/// all of the extra time spent filling the kernel's larger folios (we took
/// it for memory the hypervisor faults in; not proved).
const FLUSH_AT: usize = 1 << 16;

/// CSV's columns beyond [`CSV_HEADER`], and buffers to format them in.
#[derive(Default)]
struct CsvColumns {
    header_written: bool,
    /// Write the `trace` and `distribution` columns.
    explain: bool,
    /// Write the split and second-owner columns ([`OWNER_COLUMNS`]).
    owners: bool,
    /// Write the `scores` column (last).
    scores: bool,
    /// Formatting buffers for the `trace`, `distribution` and `scores`
    /// cells.
    trace: String,
    distribution: String,
    scores_cell: String,
}

impl<W: Write> std::fmt::Debug for DecisionWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = match self.format {
            Format::Jsonl => OutputFormat::Jsonl,
            Format::Csv(_) => OutputFormat::Csv,
        };
        f.debug_struct("DecisionWriter").field("format", &format).finish_non_exhaustive()
    }
}

impl<W: Write> DecisionWriter<W> {
    /// A writer of `format` to `w`.
    pub fn new(w: W, format: OutputFormat) -> DecisionWriter<W> {
        let format = match format {
            OutputFormat::Jsonl => Format::Jsonl,
            OutputFormat::Csv => Format::Csv(Box::default()),
        };
        DecisionWriter {
            out: w,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            tails: Tails::default(),
            format,
            kept: Vec::new(),
        }
    }

    /// Adds the split and second-owner columns ([`OWNER_COLUMNS`]) to CSV
    /// output when `on` (`route eval` turns them on for a project with a
    /// split or a `with`); JSONL carries `split` and `secondary` anyway.
    pub fn with_owner_columns(mut self, on: bool) -> DecisionWriter<W> {
        if let Format::Csv(columns) = &mut self.format {
            columns.owners = on;
        }
        self
    }

    /// Adds the `trace` and `distribution` columns to CSV output when `on`
    /// (`--explain`); JSONL carries those keys anyway.
    pub fn with_explain_columns(mut self, on: bool) -> DecisionWriter<W> {
        if let Format::Csv(columns) = &mut self.format {
            columns.explain = on;
        }
        self
    }

    /// Adds the `scores` column (the `scores` key's JSON) to CSV output
    /// when `on` (`--scores`); JSONL carries the key anyway.
    pub fn with_scores_column(mut self, on: bool) -> DecisionWriter<W> {
        if let Format::Csv(columns) = &mut self.format {
            columns.scores = on;
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
        match &mut self.format {
            Format::Jsonl => {
                json_out::push_decision(&mut self.buf, &mut self.tails, decision, kept)?;
                self.buf.push(b'\n');
            }
            Format::Csv(columns) => {
                columns.push_header_once(&mut self.buf, &self.kept);
                csv_out::push_decision(&mut self.buf, &mut self.tails, decision);
                columns.push_rest(&mut self.buf, decision, kept)?;
            }
        }
        // Every whole piece gathered, so that the buffer never keeps more
        // than one piece however large a record is (an `--explain` trace
        // over thousands of rules).
        let whole = self.buf.len() / FLUSH_AT * FLUSH_AT;
        if let Some(full) = self.buf.get(..whole).filter(|full| !full.is_empty()) {
            self.out.write_all(full)?;
            self.buf.drain(..whole);
        }
        Ok(())
    }

    /// Flushes everything and returns the underlying writer.
    ///
    /// # Errors
    /// When writing or flushing fails.
    pub fn finish(mut self) -> io::Result<W> {
        if let Format::Csv(columns) = &mut self.format {
            columns.push_header_once(&mut self.buf, &self.kept);
        }
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl CsvColumns {
    /// The header, unless it is written already: the decision's columns,
    /// then the owner, explain and scores columns when asked for, then the
    /// kept input columns (renamed `kept.NAME` where a name is taken).
    fn push_header_once(&mut self, out: &mut Vec<u8>, kept: &[String]) {
        if self.header_written {
            return;
        }
        let owner_columns: &[&str] = if self.owners { &OWNER_COLUMNS } else { &[] };
        let explained: &[&str] = if self.explain { &["trace", "distribution"] } else { &[] };
        let scored: &[&str] = if self.scores { &["scores"] } else { &[] };
        let decision: Vec<&str> =
            CSV_HEADER.iter().chain(owner_columns).chain(explained).chain(scored).copied().collect();
        let kept: Vec<String> = kept
            .iter()
            .map(|name| if decision.contains(&name.as_str()) { format!("kept.{name}") } else { name.clone() })
            .collect();
        csv_out::push_record(out, decision.iter().copied().chain(kept.iter().map(String::as_str)));
        self.header_written = true;
    }

    /// The cells after `error_message` (the owner, explain and scores
    /// columns asked for, then the kept ones) and the line end.
    fn push_rest(&mut self, out: &mut Vec<u8>, decision: &Decision, kept: Option<Kept<'_>>) -> io::Result<()> {
        if self.owners {
            let split = decision.split.as_ref();
            let second = decision.secondary.as_ref();
            csv_out::push_next_cell(out, split.map_or("", |s| s.name.as_str()));
            out.push(b',');
            if let Some(split) = split {
                json_out::push_u64(out, u64::from(split.arm));
            }
            csv_out::push_next_cell(out, second.and_then(|s| s.team.as_deref()).unwrap_or(""));
            csv_out::push_next_cell(out, second.and_then(|s| s.queue.as_deref()).unwrap_or(""));
            csv_out::push_next_cell(out, second.and_then(|s| s.assignee.as_deref()).unwrap_or(""));
        }
        if self.explain {
            json_cell(&mut self.trace, decision.trace.as_ref())?;
            json_cell(&mut self.distribution, decision.distribution.as_ref())?;
            csv_out::push_next_cell(out, &self.trace);
            csv_out::push_next_cell(out, &self.distribution);
        }
        if self.scores {
            json_cell(&mut self.scores_cell, decision.scores.as_ref())?;
            csv_out::push_next_cell(out, &self.scores_cell);
        }
        if let Some(kept) = kept {
            for i in 0..kept.names.len() {
                csv_out::push_next_cell(out, kept.values.get(i).and_then(Option::as_deref).unwrap_or(""));
            }
        }
        out.push(b'\n');
        Ok(())
    }
}

/// The CSV columns of splits and second owners, after [`CSV_HEADER`] when
/// asked for ([`DecisionWriter::with_owner_columns`]): the split's name
/// and arm (from 1), and the second owner's team, queue and rep.
pub const OWNER_COLUMNS: [&str; 5] = ["split", "split_arm", "secondary_team", "secondary_queue", "secondary_assignee"];

/// A value as compact JSON in `out`; empty for `None`.
fn json_cell<T: serde::Serialize>(out: &mut String, value: Option<&T>) -> io::Result<()> {
    out.clear();
    if let Some(value) = value {
        out.push_str(&serde_json::to_string(value)?);
    }
    Ok(())
}
