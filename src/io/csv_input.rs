//! The CSV lead reader.
//!
//! Rows are read as `csv::ByteRecord`s (one buffer, reused) with
//! `flexible(true)`, so a ragged row is one invalid lead rather than the end
//! of the input. Only the cells of mapped columns are decoded; an invalid
//! UTF-8 cell invalidates its lead, not the file.
//!
//! # Lines
//! The csv crate's own positions lag behind CRLF line ends and blank lines,
//! so the lines of a record are derived from where it ends instead:
//! `Position::line()` after the record counts every `\n` consumed so far;
//! minus one when the last byte consumed was a `\n` (looked up in
//! [`Tracked`], which keeps the bytes of the last read), that is the line the
//! record ends on; minus the `\n`s inside its quoted fields, the line it
//! starts on. Lines are counted by `\n` (a lone `\r` ends a record but not
//! a line).
//!
//! # Unterminated quotes
//! An unclosed `"` makes the csv crate read every following line into one
//! field, up to the next `"` or the end of the input. A record spanning
//! several lines is taken to be such a run when it has the wrong number of
//! fields, or when it reaches the end of the input inside a quoted field.
//! A run becomes one invalid record per physical line it covers, so that
//! records out = data lines in and each line can be found by its number. A
//! multi-line record with the right number of fields that closes its quotes
//! is a legitimate quoted newline. (A run that ends at a later quote and
//! happens to leave the right number of fields cannot be told from one; it
//! is read as one lead.)

use std::io::{BufRead, Read};

use super::coerce::FieldError;
use super::messages;
use super::read::{ColumnMap, InputRecord, Match, ReadError, Shared};
use crate::schema::{FieldId, Lead, Schema, Value};

/// The input, passed through to the csv crate while remembering the bytes of
/// the last read (and the byte before them): enough to tell which byte ended
/// the record just parsed.
struct Tracked<'s> {
    inner: Box<dyn BufRead + 's>,
    /// The bytes of the most recent read.
    chunk: Vec<u8>,
    /// Input offset of `chunk[0]`.
    chunk_start: u64,
    /// The byte at `chunk_start - 1`.
    before_chunk: Option<u8>,
    /// Whether the input has reported its end. The csv crate asks for more
    /// input only when the record it is parsing has not ended, so a record
    /// parsed after this has no terminator: it ended with the input.
    at_end: bool,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(&last) = self.chunk.last() {
                self.before_chunk = Some(last);
            }
            self.chunk_start += self.chunk.len() as u64;
            self.chunk.clear();
            self.chunk.extend_from_slice(buf.get(..n).unwrap_or_default());
        } else if !buf.is_empty() {
            self.at_end = true;
        }
        Ok(n)
    }
}

impl Tracked<'_> {
    /// The input byte at `offset`, if it is still known.
    fn byte_at(&self, offset: u64) -> Option<u8> {
        if offset >= self.chunk_start {
            let index = usize::try_from(offset - self.chunk_start).ok()?;
            self.chunk.get(index).copied()
        } else if offset + 1 == self.chunk_start {
            self.before_chunk
        } else {
            None
        }
    }
}

/// The physical lines a csv record covers.
#[derive(Debug, Clone, Copy)]
struct Extent {
    first_line: u64,
    last_line: u64,
    /// The record ran to the end of the input inside a quoted field.
    open_quote_at_end: bool,
}

/// The lines of an unterminated-quote run still to be reported.
#[derive(Debug, Clone, Copy)]
struct Run {
    first_line: u64,
    next_line: u64,
    last_line: u64,
}

/// Reads CSV leads; see the module docs.
pub(crate) struct CsvSource<'s> {
    reader: csv::Reader<Tracked<'s>>,
    /// The row being read (reused).
    row: csv::ByteRecord,
    header_len: usize,
    /// Each schema field, in field order, with the column it reads.
    columns: Vec<(FieldId, Option<usize>)>,
    /// The column of the schema's id field.
    id_column: Option<usize>,
    run: Option<Run>,
    done: bool,
}

impl<'s> CsvSource<'s> {
    /// Reads the header and maps its columns to fields.
    pub(crate) fn new(schema: &'s Schema, input: Box<dyn BufRead + 's>) -> Result<CsvSource<'s>, ReadError> {
        let tracked = Tracked { inner: input, chunk: Vec::new(), chunk_start: 0, before_chunk: None, at_end: false };
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(tracked);
        let header = reader.byte_headers().map_err(csv_to_io)?.clone();

        let mut map = ColumnMap::new(schema);
        let mut found: Vec<(Option<usize>, Match)> = vec![(None, Match::None); schema.fields.len()];
        let mut names = Vec::with_capacity(header.len());
        for (index, cell) in header.iter().enumerate() {
            let text = String::from_utf8_lossy(cell);
            // The csv crate strips a BOM only when it arrives in one read.
            let text = if index == 0 { text.trim_start_matches('\u{feff}') } else { &text };
            let name = text.trim();
            if let Some((field, quality)) = (!name.is_empty()).then(|| map.lookup(name)).flatten() {
                if let Some(slot) = found.get_mut(field.index()) {
                    if quality > slot.1 {
                        *slot = (Some(index), quality);
                    }
                }
            }
            names.push(name.to_string());
        }

        let mut columns = Vec::with_capacity(schema.fields.len());
        let mut missing = Vec::new();
        for ((index, field), (column, _)) in schema.fields.iter().enumerate().zip(&found) {
            let Ok(id) = u32::try_from(index) else { break };
            if column.is_none() && !field.optional {
                missing.push(messages::missing_column(&field.name, &field.column));
            }
            columns.push((FieldId(id), *column));
        }
        // An empty input has no header and no leads: nothing to complain about.
        if !missing.is_empty() && !header.is_empty() {
            return Err(ReadError::MissingColumns { columns: missing, help: messages::header_columns(&names) });
        }
        let id_column = schema.id_field.and_then(|id| found.get(id.index())).and_then(|(column, _)| *column);
        Ok(CsvSource {
            reader,
            row: csv::ByteRecord::new(),
            header_len: header.len(),
            columns,
            id_column,
            run: None,
            done: header.is_empty(),
        })
    }

    /// The next record, or `None` at the end of the input.
    pub(crate) fn next_record(&mut self, shared: &mut Shared<'s>) -> Option<InputRecord> {
        if let Some(run) = &mut self.run {
            let line = run.next_line;
            let first_line = run.first_line;
            run.next_line += 1;
            if run.next_line > run.last_line {
                self.run = None;
            }
            return Some(shared.invalid(line, None, messages::unterminated_inside(first_line)));
        }
        if self.done {
            return None;
        }
        loop {
            match self.reader.read_byte_record(&mut self.row) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(error) => {
                    self.done = true;
                    let line = self.reader.position().line();
                    return Some(shared.failed(line, csv_to_io(error)));
                }
            }
            // Blank lines are not records (the csv crate skips empty ones;
            // whitespace-only ones are skipped here).
            if self.row.len() == 1 && self.row.get(0).is_some_and(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let extent = self.extent();
            return Some(self.record(shared, extent));
        }
    }

    /// Where the row just read lies in the input.
    fn extent(&self) -> Extent {
        let after = self.reader.position();
        let tracked = self.reader.get_ref();
        let last_byte = after.byte().checked_sub(1).and_then(|offset| tracked.byte_at(offset));
        let inner_newlines = self.row.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        // A final `\n` is the record's terminator, or (at the end of the
        // input, inside an open quote) the last byte of its data; either way
        // no line of the record follows it.
        let last_line = after.line().saturating_sub(u64::from(last_byte == Some(b'\n'))).max(1);
        let first_line = if tracked.at_end {
            after.line().saturating_sub(inner_newlines)
        } else {
            last_line.saturating_sub(inner_newlines)
        };
        // At the end of the input a field with a line break in it was quoted;
        // if the input does not end with its closing quote, it never closed.
        let open_quote_at_end = tracked.at_end
            && last_byte != Some(b'"')
            && self.row.iter().next_back().is_some_and(|field| field.contains(&b'\n'));
        Extent { first_line: first_line.max(1).min(last_line), last_line, open_quote_at_end }
    }

    /// The row just read as an input record.
    fn record(&mut self, shared: &mut Shared<'s>, extent: Extent) -> InputRecord {
        let record = shared.next_record();
        let Extent { first_line: line, last_line, open_quote_at_end } = extent;
        let id = self.id_text(shared.schema);
        let ragged = self.row.len() != self.header_len;
        if last_line > line && (ragged || open_quote_at_end) {
            self.run = Some(Run { first_line: line, next_line: line + 1, last_line });
            return Shared::unreadable(record, line, id, messages::unterminated_first(last_line));
        }
        if ragged {
            return Shared::unreadable(record, line, id, messages::ragged(self.row.len(), self.header_len));
        }
        let mut values = Vec::with_capacity(self.columns.len());
        for &(field, column) in &self.columns {
            let result = match column.and_then(|c| self.row.get(c)) {
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
        let bytes = self.row.get(self.id_column?)?;
        let text = super::coerce::trim(std::str::from_utf8(bytes).ok()?);
        let usable = !text.is_empty() && !text.contains('\n') && !schema.is_missing_marker(text);
        usable.then(|| text.to_string())
    }
}

/// The I/O error inside a csv error (the only kind a flexible byte reader
/// produces).
fn csv_to_io(error: csv::Error) -> std::io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => std::io::Error::other(format!("{other:?}")),
    }
}
