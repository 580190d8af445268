//! The CSV lead reader.
//!
//! Physical lines come from [`Lines`] (bounded) and are fed to a
//! `csv_core::Reader`, which keeps the quoting state across lines, so the
//! reader always knows which lines a record covers. Fields land in one
//! reused buffer; only the cells of mapped columns are decoded; an invalid
//! UTF-8 cell invalidates its lead, not the file. A ragged row is one
//! invalid lead rather than the end of the input.
//!
//! # Records spanning several lines
//! A quoted field may hold line breaks. But a stray `"` makes the parser
//! read the following lines into one field, up to the next `"` or the end of
//! the input, and that would merge several leads into one. A record that
//! spans several lines is therefore read as one lead only when nothing
//! suggests such a run; it becomes one invalid record per physical line it
//! covers (so records out = data lines in, and each line can be found by its
//! number) when:
//! - it has the wrong number of fields, or
//! - it reaches the end of the input inside a quoted field, or
//! - a line inside its quoted field would be a whole row on its own (as
//!   many cells as the header): the rows of a swallowed run look like that,
//!   legitimate notes and addresses rarely do (*ambiguous quotes*), or
//! - it grows beyond [`MAX_LINE_BYTES`] of field data or [`MAX_FIELDS`]
//!   fields.
//!
//! A line longer than [`MAX_LINE_BYTES`] is one invalid record, skipped
//! without being buffered whole.

use std::io::BufRead;

use super::coerce::FieldError;
use super::lines::{Lines, MAX_LINE_BYTES};
use super::messages;
use super::read::{ColumnMap, ColumnWarning, InputRecord, Match, ReadError, Shared};
use crate::schema::{FieldId, Lead, Schema, Value};

/// The most fields a CSV record may have: 65,536 (a real export has tens);
/// a record with more is broken like one that is too long.
const MAX_FIELDS: usize = 1 << 16;

/// Why the lines of a multi-line record are reported one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    /// The record has the wrong number of fields, or the input ends inside
    /// its quoted field.
    Unterminated,
    /// A line inside the quoted field looks like a row of its own.
    Ambiguous,
    /// The record grew beyond the limit.
    TooBig,
    /// This one line is beyond the limit.
    LongLine,
}

/// The lines of a broken record still to be reported.
#[derive(Debug, Clone, Copy)]
struct Run {
    kind: Broken,
    first_line: u64,
    next_line: u64,
    last_line: u64,
}

/// What reading one raw record found.
enum Raw {
    /// The input has no more records.
    End,
    /// A record is in the field buffer: its first and last line, and whether
    /// the end of the input ended it (rather than a line end).
    Record { first_line: u64, last_line: u64, at_eof: bool },
    /// Lines that cannot be read as a record.
    Broken(Run),
}

/// Reads CSV leads; see the module docs.
pub(crate) struct CsvSource<'s> {
    lines: Lines<'s>,
    core: csv_core::Reader,
    /// How far `core` has read `lines.buf`.
    pos: usize,
    /// The last byte of the line before `lines.buf` (the input's last byte
    /// once it has ended).
    prev_last: Option<u8>,
    /// The input has ended.
    eof: bool,
    /// The record being read: field bytes, end offsets, counts.
    fields: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    field_count: usize,
    /// The line the record being read starts on.
    record_first: Option<u64>,
    header_len: usize,
    /// Each schema field, in field order, with the column it reads.
    columns: Vec<(FieldId, Option<usize>)>,
    /// The column of the schema's id field.
    id_column: Option<usize>,
    /// Optional fields the header has no column for.
    warnings: Vec<ColumnWarning>,
    run: Option<Run>,
    done: bool,
}

impl<'s> CsvSource<'s> {
    /// Reads the header and maps its columns to fields.
    pub(crate) fn new(schema: &'s Schema, input: Box<dyn BufRead + 's>) -> Result<CsvSource<'s>, ReadError> {
        let mut source = CsvSource {
            lines: Lines::new(input, MAX_LINE_BYTES),
            core: csv_core::Reader::new(),
            pos: 0,
            prev_last: None,
            eof: false,
            fields: vec![0; 1024],
            ends: vec![0; 64],
            out_len: 0,
            field_count: 0,
            record_first: None,
            header_len: 0,
            columns: Vec::new(),
            id_column: None,
            warnings: Vec::new(),
            run: None,
            done: false,
        };
        let names: Vec<String> = match source.read_raw()? {
            Raw::End => return Err(ReadError::Empty),
            Raw::Record { .. } => (0..source.field_count)
                .map(|index| {
                    let cell = String::from_utf8_lossy(source.field(index));
                    // A BOM split over two reads reaches the cell.
                    let text = if index == 0 { cell.trim_start_matches('\u{feff}') } else { &cell };
                    text.trim().to_string()
                })
                .collect(),
            Raw::Broken(_) => return Err(ReadError::BadHeader),
        };
        source.header_len = names.len();
        source.map_header(schema, &names)?;
        Ok(source)
    }

    /// Maps header cells to fields; fails when a required field has none.
    fn map_header(&mut self, schema: &'s Schema, names: &[String]) -> Result<(), ReadError> {
        let mut map = ColumnMap::new(schema);
        let mut found: Vec<(Option<usize>, Match)> = vec![(None, Match::None); schema.fields.len()];
        for (index, name) in names.iter().enumerate() {
            if let Some((field, quality)) = (!name.is_empty()).then(|| map.lookup(name)).flatten() {
                if let Some(slot) = found.get_mut(field.index()) {
                    if quality > slot.1 {
                        *slot = (Some(index), quality);
                    }
                }
            }
        }
        let mut missing = Vec::new();
        for ((index, field), (column, _)) in schema.input_fields().iter().enumerate().zip(&found) {
            let Ok(id) = u32::try_from(index) else { break };
            if column.is_none() && !field.optional {
                missing.push(messages::missing_column(&field.name, &field.column));
            }
            self.columns.push((FieldId(id), *column));
        }
        if !missing.is_empty() {
            return Err(ReadError::MissingColumns { columns: missing, help: messages::header_columns(names) });
        }
        let used: Vec<usize> = found.iter().filter_map(|(column, _)| *column).collect();
        let unused: Vec<&str> = names
            .iter()
            .enumerate()
            .filter(|(i, name)| !name.is_empty() && !used.contains(i))
            .map(|(_, name)| name.as_str())
            .collect();
        for (field, (column, _)) in schema.input_fields().iter().zip(&found) {
            if column.is_none() {
                let suggestion = super::read::closest(&field.column, &unused).map(str::to_string);
                self.warnings.push(ColumnWarning {
                    field: field.name.clone(),
                    column: field.column.clone(),
                    suggestion,
                });
            }
        }
        self.id_column = schema.id_field.and_then(|id| found.get(id.index())).and_then(|(column, _)| *column);
        Ok(())
    }

    /// Optional fields the header has no column for.
    pub(crate) fn warnings(&self) -> &[ColumnWarning] {
        &self.warnings
    }

    /// The bytes of field `index` of the record just read.
    fn field(&self, index: usize) -> &[u8] {
        let start = match index.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.fields.get(start..end).unwrap_or_default()
    }

    /// Reads the next raw record from the lines, a line at a time.
    fn read_raw(&mut self) -> std::io::Result<Raw> {
        self.out_len = 0;
        self.field_count = 0;
        self.record_first = None;
        loop {
            if !self.eof && self.pos >= self.lines.buf.len() {
                self.pos = 0;
                self.prev_last = self.lines.buf.last().copied();
                match self.lines.next_line()? {
                    None => self.eof = true,
                    // A line beyond the limit: it and the record in progress
                    // (if any) are broken.
                    Some(true) => return Ok(Raw::Broken(self.abandon(Broken::LongLine))),
                    Some(false) => {}
                }
            }
            let input = if self.eof { &[][..] } else { self.lines.buf.get(self.pos..).unwrap_or_default() };
            if self.record_first.is_none() && !input.iter().all(|&b| b == b'\n' || b == b'\r') {
                self.record_first = Some(self.lines.line);
            }
            let output = self.fields.get_mut(self.out_len..).unwrap_or_default();
            let ends = self.ends.get_mut(self.field_count..).unwrap_or_default();
            let (result, read, written, ended) = self.core.read_record(input, output, ends);
            self.pos += read;
            self.out_len += written;
            self.field_count += ended;
            let line = self.lines.line;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::Record => {
                    let first_line = self.record_first.unwrap_or(line).min(line);
                    return Ok(Raw::Record { first_line, last_line: line, at_eof: self.eof });
                }
                csv_core::ReadRecordResult::End => return Ok(Raw::End),
                // The buffers grow up to the limits (a record with more field
                // bytes than a line may have, or more than `MAX_FIELDS`
                // fields, is broken), so memory stays bounded.
                csv_core::ReadRecordResult::OutputFull if self.fields.len() >= MAX_LINE_BYTES => {
                    return Ok(Raw::Broken(self.abandon(Broken::TooBig)));
                }
                csv_core::ReadRecordResult::OutputEndsFull if self.ends.len() >= MAX_FIELDS => {
                    return Ok(Raw::Broken(self.abandon(Broken::TooBig)));
                }
                csv_core::ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                csv_core::ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
            }
        }
    }

    /// Drops the record being read and the rest of the current line, and
    /// starts afresh on the next line.
    fn abandon(&mut self, kind: Broken) -> Run {
        let last_line = self.lines.line;
        let first_line = self.record_first.unwrap_or(last_line).min(last_line);
        self.core.reset();
        self.pos = self.lines.buf.len();
        Run { kind, first_line, next_line: first_line, last_line }
    }

    /// The next record, or `None` at the end of the input.
    pub(crate) fn next_record(&mut self, shared: &mut Shared<'s>) -> Option<InputRecord> {
        if let Some(run) = self.run.take() {
            return Some(self.run_record(shared, run, None));
        }
        if self.done {
            return None;
        }
        loop {
            let raw = match self.read_raw() {
                Ok(raw) => raw,
                Err(error) => {
                    self.done = true;
                    return Some(shared.failed(self.lines.line + 1, error));
                }
            };
            let (first_line, last_line, at_eof) = match raw {
                Raw::End => {
                    self.done = true;
                    return None;
                }
                Raw::Broken(run) => return Some(self.run_record(shared, run, None)),
                Raw::Record { first_line, last_line, at_eof } => (first_line, last_line, at_eof),
            };
            // Blank lines are not records (csv_core skips empty ones;
            // whitespace-only ones are skipped here).
            if self.field_count == 1 && self.field(0).iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if last_line > first_line {
                if let Some(kind) = self.broken_kind(at_eof) {
                    let id = self.id_text(shared.schema);
                    let run = Run { kind, first_line, next_line: first_line, last_line };
                    return Some(self.run_record(shared, run, id));
                }
            }
            return Some(self.record(shared, first_line));
        }
    }

    /// Whether a multi-line record just read must be reported line by line.
    fn broken_kind(&self, at_eof: bool) -> Option<Broken> {
        // At the end of the input a record still open ends there: unless
        // the input ends with the closing quote, the quote never closed.
        let last_field_breaks = self
            .field_count
            .checked_sub(1)
            .is_some_and(|last| self.field(last).iter().any(|&b| b == b'\n' || b == b'\r'));
        let open_at_end = at_eof && self.prev_last != Some(b'"') && last_field_breaks;
        if self.field_count != self.header_len || open_at_end {
            Some(Broken::Unterminated)
        } else if self.swallows_rows() {
            Some(Broken::Ambiguous)
        } else {
            None
        }
    }

    /// Whether a line inside a field of the record just read would have as
    /// many cells as the header on its own (see the module docs).
    fn swallows_rows(&self) -> bool {
        if self.header_len < 2 {
            return false;
        }
        (0..self.field_count).any(|index| {
            let mut lines = self
                .field(index)
                .split(|&b| b == b'\n' || b == b'\r')
                .skip(1)
                .filter(|line| !line.is_empty())
                .peekable();
            let after = self.field_count - index - 1;
            while let Some(line) = lines.next() {
                let commas = line.iter().filter(|&&b| b == b',').count();
                let rest = if lines.peek().is_some() { 0 } else { after };
                if commas + 1 + rest == self.header_len {
                    return true;
                }
            }
            false
        })
    }

    /// One invalid record for the next line of a broken run (`id`: the id
    /// read from its first line, when known).
    fn run_record(&mut self, shared: &mut Shared<'s>, mut run: Run, id: Option<String>) -> InputRecord {
        let line = run.next_line;
        let message = match (run.kind, line == run.first_line) {
            (Broken::LongLine, _) if line == run.last_line => messages::line_too_long(MAX_LINE_BYTES),
            (Broken::TooBig, true) => messages::record_too_big(MAX_LINE_BYTES, MAX_FIELDS),
            (Broken::Ambiguous, true) => messages::ambiguous_first(run.last_line),
            (Broken::Ambiguous, false) => messages::ambiguous_inside(run.first_line),
            (_, true) => messages::unterminated_first(run.last_line),
            (_, false) => messages::unterminated_inside(run.first_line),
        };
        run.next_line += 1;
        if run.next_line <= run.last_line {
            self.run = Some(run);
        }
        shared.invalid(line, id, message)
    }

    /// The record just read as an input record.
    fn record(&mut self, shared: &mut Shared<'s>, line: u64) -> InputRecord {
        let record = shared.next_record();
        let id = self.id_text(shared.schema);
        if self.field_count != self.header_len {
            return Shared::unreadable(record, line, id, messages::ragged(self.field_count, self.header_len));
        }
        let mut values = Vec::with_capacity(self.columns.len());
        for &(field, column) in &self.columns {
            let result = match column.map(|c| self.field(c)) {
                None => shared.coercer.present(field, Value::Absent),
                Some(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => shared.coercer.cell(field, text),
                    Err(_) => Err(FieldError {
                        value: Some(String::from_utf8_lossy(bytes).trim().to_string()),
                        message: messages::not_utf8(),
                    }),
                },
            };
            match result {
                Ok(value) => values.push(value),
                Err(error) => {
                    let error = shared.field_error(field, error, record, line);
                    return InputRecord { record, line, id, lead: Err(error) };
                }
            }
        }
        InputRecord { record, line, id, lead: Ok(Lead { values }) }
    }

    /// The id cell's trimmed text, when it holds one (valid UTF-8, not empty,
    /// not a missing marker, not spread over several lines).
    fn id_text(&self, schema: &Schema) -> Option<String> {
        let column = self.id_column?;
        if column >= self.field_count {
            return None;
        }
        let text = super::coerce::trim(std::str::from_utf8(self.field(column)).ok()?);
        let usable = !text.is_empty() && !text.contains('\n') && !schema.is_missing_marker(text);
        usable.then(|| text.to_string())
    }
}
