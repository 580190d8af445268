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
use std::ops::ControlFlow;

use super::coerce::Coercer;
use super::coerce::FieldError;
use super::lines::{Lines, MAX_LINE_BYTES};
use super::messages;
use super::read::{ColumnMap, ColumnWarning, Framed, InputRecord, Match, ReadError, ReadOptions, Shared};
use super::sixteen;
use crate::eval::LeadError;
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
    /// A line that is one whole record, not split yet (see
    /// [`CsvSource::next_framed`]): its bytes, terminator aside, are the
    /// first `out_len` of `lines.bytes()`.
    Line { line: u64 },
}

/// Reads CSV leads; see the module docs.
pub(crate) struct CsvSource<'s> {
    lines: Lines<'s>,
    core: csv_core::Reader,
    /// How far `core` has read `lines.bytes()`.
    pos: usize,
    /// The last byte of the line before `lines.bytes()` (the input's last byte
    /// once it has ended).
    prev_last: Option<u8>,
    /// The input has ended.
    eof: bool,
    /// The record being read: field bytes, end offsets, counts.
    fields: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    field_count: usize,
    /// Bytes between one field's end and the next one's start: 0 for a
    /// record `csv_core` read into `fields` (it drops delimiters), 1 for a
    /// line without quotes, read where it is, in `lines.bytes()` ([`Row::gap`]).
    gap: usize,
    /// The line the record being read starts on.
    record_first: Option<u64>,
    /// How the header's columns map to fields (what coercing a row needs).
    layout: CsvLayout,
    /// Optional fields the header has no column for.
    warnings: Vec<ColumnWarning>,
    /// A separator the header seems to use instead of `delimiter`.
    hint: Option<u8>,
    run: Option<Run>,
    done: bool,
}

impl<'s> CsvSource<'s> {
    /// Reads the header and maps its columns to fields (and the `keep`
    /// columns to header cells).
    pub(crate) fn new(
        schema: &'s Schema,
        input: Box<dyn BufRead + Send + 's>,
        options: &ReadOptions,
    ) -> Result<CsvSource<'s>, ReadError> {
        let mut source = CsvSource {
            lines: Lines::new(input, MAX_LINE_BYTES).watching(b'"'),
            core: csv_core::ReaderBuilder::new().delimiter(options.delimiter).build(),
            pos: 0,
            prev_last: None,
            eof: false,
            fields: vec![0; 1024],
            ends: vec![0; 64],
            out_len: 0,
            field_count: 0,
            gap: 0,
            record_first: None,
            layout: CsvLayout { delimiter: options.delimiter, ..CsvLayout::default() },
            warnings: Vec::new(),
            hint: None,
            run: None,
            done: false,
        };
        let header = match source.read_raw()? {
            Raw::Line { line } => source.split_line(line),
            raw => raw,
        };
        let names: Vec<String> = match header {
            Raw::End => return Err(ReadError::Empty),
            Raw::Record { .. } => (0..source.field_count)
                .map(|index| {
                    let cell = String::from_utf8_lossy(source.field(index));
                    // A BOM split over two reads reaches the cell.
                    let text = if index == 0 { cell.trim_start_matches('\u{feff}') } else { &cell };
                    text.trim().to_string()
                })
                .collect(),
            // (`Raw::Line` was split above.)
            Raw::Broken(_) | Raw::Line { .. } => return Err(ReadError::BadHeader),
        };
        source.layout.header_len = names.len();
        source.hint = other_delimiter(&names, options.delimiter);
        source.map_header(schema, &names)?;
        source.layout.kept = keep_columns(&names, &options.keep)?;
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
            self.layout.columns.push((FieldId(id), *column));
        }
        self.layout.feeds = vec![None; names.len()];
        for &(field, column) in &self.layout.columns {
            match column.and_then(|c| self.layout.feeds.get_mut(c)) {
                Some(feeds) => *feeds = Some(field),
                None => self.layout.unfed.push(field),
            }
        }
        if !missing.is_empty() {
            let mut help = messages::header_columns(names);
            if let Some(hint) = self.hint {
                help = format!("{help}\n{}", messages::delimiter_hint(hint));
            }
            return Err(ReadError::MissingColumns { columns: missing, help });
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
        self.layout.id_column = schema.id_field.and_then(|id| found.get(id.index())).and_then(|(column, _)| *column);
        Ok(())
    }

    /// Optional fields the header has no column for.
    pub(crate) fn warnings(&self) -> &[ColumnWarning] {
        &self.warnings
    }

    /// A separator the header seems to use rather than the one given
    /// (a one-cell header that `;` or a tab would split).
    pub(crate) fn hint(&self) -> Option<u8> {
        self.hint
    }

    /// What coercing a row of this input needs.
    pub(crate) fn layout(&self) -> &CsvLayout {
        &self.layout
    }

    /// The record just read.
    fn row(&self) -> Row<'_> {
        let bytes = if self.gap == 0 { &self.fields } else { self.lines.bytes() };
        Row {
            fields: bytes.get(..self.out_len).unwrap_or_default(),
            ends: self.ends.get(..self.field_count).unwrap_or_default(),
            gap: self.gap,
        }
    }

    /// The bytes of field `index` of the record just read.
    fn field(&self, index: usize) -> &[u8] {
        self.row().field(index)
    }

    /// Reads the next raw record from the lines, a line at a time (a line
    /// that is a record on its own for certain is left unsplit:
    /// [`Raw::Line`]).
    fn read_raw(&mut self) -> std::io::Result<Raw> {
        self.out_len = 0;
        self.field_count = 0;
        self.gap = 0;
        self.record_first = None;
        loop {
            if !self.eof && self.pos >= self.lines.bytes().len() {
                self.pos = 0;
                self.prev_last = self.lines.bytes().last().copied();
                match self.lines.next_line()? {
                    None => self.eof = true,
                    // A line beyond the limit: it and the record in progress
                    // (if any) are broken.
                    Some(true) => return Ok(Raw::Broken(self.abandon(Broken::LongLine))),
                    Some(false) if self.out_len == 0 && self.field_count == 0 => {
                        if let Some(raw) = self.plain_record() {
                            return Ok(raw);
                        }
                    }
                    Some(false) => {}
                }
            }
            let input = if self.eof { &[][..] } else { self.lines.bytes().get(self.pos..).unwrap_or_default() };
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
                // As many fields as fit the buffer `ends` has grown to, but
                // more than the limit: broken as when they would not fit, so
                // the outcome does not depend on the rows read before.
                csv_core::ReadRecordResult::Record if self.field_count > MAX_FIELDS => {
                    return Ok(Raw::Broken(self.abandon(Broken::TooBig)));
                }
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

    /// The line just read as a whole record, without `csv_core`'s
    /// byte-at-a-time state machine (a tenth of reading an export), when it
    /// is one for certain. Only at the start of a record. A line without
    /// quotes (`Lines` watched for them) that does not start with white
    /// space (so is not blank) is left unsplit ([`Raw::Line`], split by
    /// [`CsvLayout::cook_line_into`]); another line without quotes is split
    /// at the delimiters as `csv_core` would, and a line whose quotes only
    /// enclose whole fields by [`split_quoted`]. `None` (and nothing
    /// consumed) for a line with any other quote, a blank line, or more
    /// fields than [`MAX_FIELDS`], which the state machine reads.
    fn plain_record(&mut self) -> Option<Raw> {
        let line = self.lines.bytes();
        // `Lines` ends a line at its first `\n`, `\r\n` or `\r`.
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let at = self.lines.line;
        let quoted = self.lines.holds_watched();
        if !quoted && content.first().is_some_and(|b| !b.is_ascii_whitespace()) {
            (self.gap, self.out_len, self.field_count) = (1, content.len(), 0);
            self.pos = line.len();
            return Some(Raw::Line { line: at });
        }
        if content.is_empty() {
            return None;
        }
        if quoted {
            // Quoted fields without their quotes in the field buffer, one
            // after another, as `csv_core` writes them (gap 0).
            let (ended, len) = split_quoted(content, self.layout.delimiter, &mut self.fields, &mut self.ends)?;
            (self.gap, self.out_len, self.field_count) = (0, len, ended);
        } else {
            // The fields are read where the line is (see `row`), delimiters
            // included: a field ends at a delimiter, the next a byte later.
            let (ended, _) = split_plain(content, self.layout.delimiter, &mut self.ends)?;
            (self.gap, self.out_len, self.field_count) = (1, content.len(), ended);
        }
        self.pos = line.len();
        Some(Raw::Record { first_line: at, last_line: at, at_eof: false })
    }

    /// The line [`Raw::Line`] left unsplit, split where it lies: a record,
    /// or broken when it has more than [`MAX_FIELDS`] fields.
    fn split_line(&mut self, line: u64) -> Raw {
        let content = self.lines.bytes().get(..self.out_len).unwrap_or_default();
        match split_plain(content, self.layout.delimiter, &mut self.ends) {
            Some((ended, _)) => {
                self.field_count = ended;
                Raw::Record { first_line: line, last_line: line, at_eof: false }
            }
            None => Raw::Broken(Run { kind: Broken::TooBig, first_line: line, next_line: line, last_line: line }),
        }
    }

    /// Drops the record being read and the rest of the current line, and
    /// starts afresh on the next line.
    fn abandon(&mut self, kind: Broken) -> Run {
        let last_line = self.lines.line;
        let first_line = self.record_first.unwrap_or(last_line).min(last_line);
        self.core.reset();
        self.pos = self.lines.bytes().len();
        Run { kind, first_line, next_line: first_line, last_line }
    }

    /// The next record written over `out` (its buffers reused); `false`
    /// at the end of the input.
    pub(crate) fn next_record_into(&mut self, shared: &mut Shared<'s>, out: &mut InputRecord) -> bool {
        match self.next_item(shared) {
            None => false,
            Some(Item::Ready(record)) => {
                *out = record;
                true
            }
            Some(Item::Row { record, line }) => {
                self.layout.cook_into(&mut shared.coercer, self.row(), (record, line), out);
                true
            }
            Some(Item::Line { record, line }) => {
                let text = self.lines.bytes().get(..self.out_len).unwrap_or_default();
                self.layout.cook_line_into(&mut shared.coercer, &mut self.ends, text, (record, line), out);
                true
            }
        }
    }

    /// The next record framed: a row's bytes copied to the end of `bytes`
    /// and its field ends to `ends`, or a line that is a whole record for
    /// certain (no quote, not blank) copied unsplit, its terminator left
    /// out; `None` at the end of the input. Splitting such a line is left
    /// to [`CsvLayout::cook_line_into`] on the thread that cooks it: framing
    /// runs under a lock at `--jobs N`, and splitting was most of its work
    /// (docs/performance.md).
    pub(crate) fn next_framed(
        &mut self,
        shared: &mut Shared<'s>,
        bytes: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> Option<Framed> {
        Some(match self.next_item(shared)? {
            Item::Ready(record) => Framed::Ready(Box::new(record)),
            Item::Row { record, line } => {
                let row = self.row();
                let (b0, e0) = (bytes.len(), ends.len());
                bytes.extend_from_slice(row.fields);
                ends.extend_from_slice(row.ends);
                Framed::Row { record, line, bytes: (b0, bytes.len()), ends: (e0, ends.len()), gap: row.gap }
            }
            Item::Line { record, line } => {
                let b0 = bytes.len();
                bytes.extend_from_slice(self.lines.bytes().get(..self.out_len).unwrap_or_default());
                Framed::Line { record, line, bytes: (b0, bytes.len()) }
            }
        })
    }

    /// The next record: ready when it is broken, else a row in the field
    /// buffer or a line to be split, numbered, to be coerced.
    fn next_item(&mut self, shared: &mut Shared<'s>) -> Option<Item> {
        if let Some(run) = self.run.take() {
            return Some(Item::Ready(self.run_record(shared, run, None)));
        }
        if self.done {
            return None;
        }
        loop {
            let raw = match self.read_raw() {
                Ok(raw) => raw,
                Err(error) => {
                    self.done = true;
                    return Some(Item::Ready(shared.failed(self.lines.line + 1, error)));
                }
            };
            let (first_line, last_line, at_eof) = match raw {
                Raw::End => {
                    self.done = true;
                    return None;
                }
                Raw::Broken(run) => return Some(Item::Ready(self.run_record(shared, run, None))),
                Raw::Line { line } => return Some(Item::Line { record: shared.next_record(), line }),
                Raw::Record { first_line, last_line, at_eof } => (first_line, last_line, at_eof),
            };
            // Blank lines are not records (csv_core skips empty ones;
            // whitespace-only ones are skipped here).
            if self.field_count == 1 && self.field(0).iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if last_line > first_line {
                if let Some(kind) = self.broken_kind(at_eof) {
                    let id = self.layout.id_text(shared.schema, self.row());
                    let run = Run { kind, first_line, next_line: first_line, last_line };
                    return Some(Item::Ready(self.run_record(shared, run, id)));
                }
            }
            return Some(Item::Row { record: shared.next_record(), line: first_line });
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
        if self.field_count != self.layout.header_len || open_at_end {
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
        if self.layout.header_len < 2 {
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
                let commas = line.iter().filter(|&&b| b == self.layout.delimiter).count();
                let rest = if lines.peek().is_some() { 0 } else { after };
                if commas + 1 + rest == self.layout.header_len {
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
}

/// Splits a line known to hold no quote (its `Lines` watched for them) at
/// `delimiter`: the end of each field into `ends` (grown as needed), and
/// how many there are, with the line as text when it is all ASCII (seen in
/// the same step, which saves [`CsvLayout::cook_into`] checking the line
/// as UTF-8: 150 instructions a lead). `None` for a line of more than
/// [`MAX_FIELDS`] fields. Sixteen bytes a step ([`sixteen`]): a search per
/// delimiter took a fifth of reading a line, eight bytes a step in a word a
/// tenth.
fn split_plain<'a>(content: &'a [u8], delimiter: u8, ends: &mut Vec<usize>) -> Option<(usize, Option<Ascii<'a>>)> {
    let (mut ended, mut wide) = (0, 0);
    let split = sixteen::each_chunk(content, padding(delimiter), |base, chunk| {
        wide |= sixteen::wide(chunk);
        let mut marks = sixteen::matches(chunk, delimiter);
        while marks != 0 {
            match mark_end(ends, ended, base + marks.trailing_zeros() as usize) {
                Some(next) => ended = next,
                None => return ControlFlow::Break(()),
            }
            marks &= marks - 1;
        }
        ControlFlow::Continue(())
    });
    if split.is_break() {
        return None;
    }
    ended = mark_end(ends, ended, content.len())?;
    // SAFETY: every byte of `content` was looked at above (`each_chunk`
    // visits them all unless the closure breaks, and it did not), and none
    // had its top bit set.
    let text = (wide == 0).then(|| unsafe { Ascii::new_unchecked(content) });
    (ended <= MAX_FIELDS).then_some((ended, text))
}

mod ascii {
    /// Bytes that are all ASCII, so that they and every range of them are
    /// text: a cell is taken from such a row without the character
    /// boundary tests of `str::get` (two a cell, 3% of reading a lead).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Ascii<'a>(&'a [u8]);

    impl<'a> Ascii<'a> {
        /// `bytes`, known to be ASCII.
        ///
        /// # Safety
        /// Every byte of `bytes` is below 0x80.
        pub(super) unsafe fn new_unchecked(bytes: &'a [u8]) -> Ascii<'a> {
            debug_assert!(bytes.is_ascii());
            Ascii(bytes)
        }

        /// The bytes in `range` as text (`None` outside them).
        #[inline(always)]
        pub(super) fn get(self, range: std::ops::Range<usize>) -> Option<&'a str> {
            // SAFETY: ASCII bytes (the type's invariant) are UTF-8, and so
            // is any range of them.
            self.0.get(range).map(|bytes| unsafe { std::str::from_utf8_unchecked(bytes) })
        }

        /// All of it as text.
        #[cfg(test)]
        pub(super) fn text(self) -> &'a str {
            // SAFETY: as in `get`.
            unsafe { std::str::from_utf8_unchecked(self.0) }
        }
    }
}

use ascii::Ascii;

/// A row's bytes as text, to take its cells from.
#[derive(Debug, Clone, Copy)]
enum RowText<'a> {
    /// All ASCII ([`split_plain`] saw it): every range is text.
    Ascii(Ascii<'a>),
    /// UTF-8: a range is text where it falls on character boundaries
    /// (always, for a cell: fields end at ASCII delimiters).
    Utf8(&'a str),
    /// Not UTF-8, or not known: each cell is checked alone.
    Unchecked,
}

impl<'a> RowText<'a> {
    /// `bytes`, checked as UTF-8 once.
    fn of(bytes: &'a [u8]) -> RowText<'a> {
        std::str::from_utf8(bytes).map_or(RowText::Unchecked, RowText::Utf8)
    }

    /// The text in `range`, when the row is known to be text there.
    #[inline(always)]
    fn get(self, range: std::ops::Range<usize>) -> Option<&'a str> {
        match self {
            RowText::Ascii(ascii) => ascii.get(range),
            RowText::Utf8(text) => text.get(range),
            RowText::Unchecked => None,
        }
    }
}

/// The byte the splitters pad a line's last chunk with: neither the
/// delimiter nor a quote (`--delimiter` refuses a quote), and ASCII.
fn padding(delimiter: u8) -> u8 {
    if delimiter == 0 {
        1
    } else {
        0
    }
}

/// Splits a line whose quotes are all simple quoted fields (a field that
/// starts with a quote and ends with the next one, at a delimiter or the
/// line's end: `"Acme, Inc",DE`) as `csv_core` would, each field's bytes
/// without its quotes copied into `fields` (grown to `content`'s length at
/// least, as a buffer `csv_core` also writes to) one after another: how
/// many fields, and their bytes' length. `None`, with nothing to keep, for
/// anything else (a doubled quote, a quote inside an unquoted field or
/// after a closing one, a field left open at the line's end, more than
/// [`MAX_FIELDS`] fields), which `csv_core` reads. A seventh of the
/// generated leads quote a company name; `csv_core`'s byte-at-a-time state
/// machine on those lines was 3.7% of a one-core run's samples, and two
/// searches a field (`memchr`) after it 2,100 instructions a quoted line.
/// Sixteen bytes a step ([`sixteen`]), as [`split_plain`]: only the
/// delimiters and quotes are visited, in order.
fn split_quoted(content: &[u8], delimiter: u8, fields: &mut Vec<u8>, ends: &mut Vec<usize>) -> Option<(usize, usize)> {
    if delimiter == b'"' {
        return None;
    }
    if fields.len() < content.len() {
        fields.resize(content.len(), 0);
    }
    let mut split = QuotedSplit { content, fields, ends, start: 0, field: Field::Open, ended: 0, len: 0 };
    let walk = sixteen::each_chunk(content, padding(delimiter), |base, chunk| {
        let quotes = sixteen::matches(chunk, b'"');
        let mut marks = sixteen::matches(chunk, delimiter) | quotes;
        while marks != 0 {
            let bit = marks.trailing_zeros();
            if split.mark(base + bit as usize, quotes >> bit & 1 == 1).is_none() {
                return ControlFlow::Break(());
            }
            marks &= marks - 1;
        }
        ControlFlow::Continue(())
    });
    if walk.is_break() {
        return None;
    }
    split.finish()
}

/// Where [`split_quoted`] is in the field it is reading.
#[derive(Clone, Copy)]
enum Field {
    /// Not inside quotes: the field ends at the next delimiter; a quote is
    /// allowed only as its first byte.
    Open,
    /// Inside the quotes that opened it: delimiters are its bytes.
    Quoted,
    /// Its quotes closed at this byte: a delimiter or the line's end must
    /// come next.
    Closed(usize),
}

/// [`split_quoted`]'s state: the line, the buffers it fills, where the
/// field being read starts, and how many fields and bytes are done.
struct QuotedSplit<'a> {
    content: &'a [u8],
    fields: &'a mut Vec<u8>,
    ends: &'a mut Vec<usize>,
    start: usize,
    field: Field,
    ended: usize,
    len: usize,
}

impl QuotedSplit<'_> {
    /// A delimiter (or a quote, when `quote`) at `at`; `None` when the line
    /// is not simple quoted fields.
    #[inline(always)]
    fn mark(&mut self, at: usize, quote: bool) -> Option<()> {
        match (self.field, quote) {
            (Field::Open, true) if at == self.start => self.field = Field::Quoted,
            (Field::Open, false) => self.take(self.start..at, at)?,
            (Field::Quoted, true) => self.field = Field::Closed(at),
            (Field::Quoted, false) => {}
            (Field::Closed(close), false) if at == close + 1 => self.take(self.start + 1..close, at)?,
            (Field::Open | Field::Closed(_), _) => return None,
        }
        Some(())
    }

    /// The field's bytes `bytes` copied, its end marked, and the next field
    /// started after the delimiter at `at`.
    #[inline(always)]
    fn take(&mut self, bytes: std::ops::Range<usize>, at: usize) -> Option<()> {
        let field = self.content.get(bytes)?;
        self.fields.get_mut(self.len..self.len + field.len())?.copy_from_slice(field);
        self.len += field.len();
        self.ended = mark_end(self.ends, self.ended, self.len)?;
        (self.start, self.field) = (at + 1, Field::Open);
        Some(())
    }

    /// The last field, at the line's end: how many fields, and their
    /// bytes' length.
    fn finish(mut self) -> Option<(usize, usize)> {
        let end = self.content.len();
        match self.field {
            Field::Open => self.take(self.start..end, end)?,
            Field::Closed(close) if close + 1 == end => self.take(self.start + 1..close, end)?,
            Field::Quoted | Field::Closed(_) => return None,
        }
        (self.ended <= MAX_FIELDS).then_some((self.ended, self.len))
    }
}

/// Field `ended`'s end `at` into `ends`, grown when full (up to
/// [`MAX_FIELDS`]: `None` beyond); how many fields have ended.
#[inline(always)]
fn mark_end(ends: &mut Vec<usize>, ended: usize, at: usize) -> Option<usize> {
    match ends.get_mut(ended) {
        Some(slot) => *slot = at,
        None => grow_ends(ends, ended, at)?,
    }
    Some(ended + 1)
}

/// [`mark_end`] when `ends` is full: once or twice for a reader, so out of
/// the splitting loops, whose registers its calls spilled to the stack.
#[cold]
#[inline(never)]
fn grow_ends(ends: &mut Vec<usize>, ended: usize, at: usize) -> Option<()> {
    if ended >= MAX_FIELDS {
        return None;
    }
    ends.resize(ended * 2 + 16, 0);
    *ends.get_mut(ended)? = at;
    Some(())
}

/// What one CSV record became when framed.
enum Item {
    /// Broken or unreadable: its invalid record.
    Ready(InputRecord),
    /// A row in the field buffer, its record number given.
    Row { record: u64, line: u64 },
    /// A line that is one whole record, not split yet ([`Raw::Line`]).
    Line { record: u64, line: u64 },
}

/// One row's field bytes and the end of each field in them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    pub(crate) fields: &'a [u8],
    pub(crate) ends: &'a [usize],
    /// Bytes from one field's end to the next one's start: 0 when the
    /// delimiters were dropped, 1 when `fields` is the line as written.
    pub(crate) gap: usize,
}

impl<'a> Row<'a> {
    /// Where field `index` is in `fields`.
    fn range(&self, index: usize) -> std::ops::Range<usize> {
        let start = match index.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(0, |end| end + self.gap),
            None => 0,
        };
        start..self.ends.get(index).copied().unwrap_or(start)
    }

    /// The bytes of field `index`.
    pub(crate) fn field(&self, index: usize) -> &'a [u8] {
        self.fields.get(self.range(index)).unwrap_or_default()
    }
}

/// How a CSV input's columns map to the schema: all that coercing a row
/// needs, apart from a [`Coercer`], so the rows of one input can be coerced
/// on several threads.
#[derive(Debug, Clone, Default)]
pub(crate) struct CsvLayout {
    /// Cells in the header.
    header_len: usize,
    /// Each schema field, in field order, with the column it reads.
    columns: Vec<(FieldId, Option<usize>)>,
    /// Each column, in header order, with the field it feeds (a column
    /// feeds at most one: a header name maps to one field), so that a row
    /// is coerced walking its cells in order ([`CsvLayout::cook_cells`]).
    feeds: Vec<Option<FieldId>>,
    /// The fields no column feeds: absent from every row.
    unfed: Vec<FieldId>,
    /// The column of the schema's id field.
    id_column: Option<usize>,
    /// The column of each `--keep` name.
    kept: Vec<usize>,
    /// The field separator (`,` unless `--delimiter` says otherwise).
    delimiter: u8,
}

impl CsvLayout {
    /// A line that is one whole record (no quote, not blank: see
    /// [`Raw::Line`]), its terminator left out, split at the delimiters
    /// (field ends into `ends`) and coerced over `out`; with more than
    /// [`MAX_FIELDS`] fields, the invalid record such a row is.
    pub(crate) fn cook_line_into(
        &self,
        coercer: &mut Coercer<'_>,
        ends: &mut Vec<usize>,
        text: &[u8],
        (record, line): (u64, u64),
        out: &mut InputRecord,
    ) {
        match split_plain(text, self.delimiter, ends) {
            Some((ended, ascii)) => {
                let row = Row { fields: text, ends: ends.get(..ended).unwrap_or_default(), gap: 1 };
                let whole = ascii.map_or_else(|| RowText::of(text), RowText::Ascii);
                self.cook_text_into(coercer, row, whole, (record, line), out);
            }
            None => *out = Shared::unreadable(record, line, None, messages::record_too_big(MAX_LINE_BYTES, MAX_FIELDS)),
        }
    }

    /// A row as an input record, written over `out`: its id's text and its
    /// values reuse `out`'s buffers, so a reader that recycles its records
    /// allocates nothing per lead but the strings it keeps.
    pub(crate) fn cook_into(&self, coercer: &mut Coercer<'_>, row: Row<'_>, at: (u64, u64), out: &mut InputRecord) {
        // One UTF-8 check for the row rather than one per cell (the id's
        // included): fields end at ASCII delimiters, so a valid row's
        // fields are valid and start and end on character boundaries. Only
        // a row that is not valid checks cell by cell, to blame the right
        // field.
        self.cook_text_into(coercer, row, RowText::of(row.fields), at, out);
    }

    /// [`CsvLayout::cook_into`] with the row's bytes as text in `whole`.
    fn cook_text_into(
        &self,
        coercer: &mut Coercer<'_>,
        row: Row<'_>,
        whole: RowText<'_>,
        (record, line): (u64, u64),
        out: &mut InputRecord,
    ) {
        let schema = coercer.schema();
        (out.record, out.line) = (record, line);
        self.id_into(schema, row, whole, &mut out.id);
        if self.kept.is_empty() {
            out.kept.clear();
        } else {
            out.kept = self.kept_cells(row);
        }
        if row.ends.len() != self.header_len {
            let ragged = messages::ragged(row.ends.len(), self.header_len);
            out.lead = Err(LeadError { field: None, value: None, message: ragged, record, line });
            return;
        }
        let mut values = super::read::reuse_values(&mut out.lead, self.columns.len());
        // Room for the derived fields too: the derive step fills them in
        // place instead of growing the vector for every lead.
        values.reserve(schema.fields.len().saturating_sub(self.columns.len()));
        // A row with a cell that is not plain is read again field by
        // field, so that the error it gets is its first field's that has
        // one (whatever the columns' order).
        if !self.cook_cells(coercer, row, whole, &mut values) {
            if let Err((field, error)) = self.cook_fields(coercer, row, whole, &mut values) {
                out.lead = Err(error.into_lead_error(schema.fields.get(field.index()), record, line));
                return;
            }
        }
        match &mut out.lead {
            Ok(lead) => lead.values = values,
            Err(_) => out.lead = Ok(Lead { values }),
        }
    }

    /// A row whose every cell is plain (see [`Coercer::plain_cell_into`]),
    /// coerced into `values` (a slot per field) walking its cells in
    /// order, each starting where the last one ended. (Finding each
    /// field's column and its bounds apart took about 75 instructions a
    /// field, a fifth of reading a CSV lead; the walk about 60, 4% fewer
    /// a lead: docs/performance.md.) Whether the row was plain; when it
    /// was not, `values` holds the cells before the first one that was
    /// not.
    #[inline(always)]
    fn cook_cells(&self, coercer: &mut Coercer<'_>, row: Row<'_>, whole: RowText<'_>, values: &mut [Value]) -> bool {
        let mut start = 0;
        for (&end, &feeds) in row.ends.iter().zip(&self.feeds) {
            let cell = start..end;
            start = end + row.gap;
            let Some(field) = feeds else { continue };
            let (Some(text), Some(slot)) = (whole.get(cell), values.get_mut(field.index())) else { return false };
            if !coercer.plain_cell_into(field, text, slot) {
                return false;
            }
        }
        for &field in &self.unfed {
            match (coercer.present(field, Value::Absent), values.get_mut(field.index())) {
                (Ok(value), Some(slot)) => slot.overwrite(value),
                _ => return false,
            }
        }
        true
    }

    /// Every field of a row into `values`, in field order, each cell by
    /// whichever path reads it; the first field that fails, and why.
    fn cook_fields(
        &self,
        coercer: &mut Coercer<'_>,
        row: Row<'_>,
        whole: RowText<'_>,
        values: &mut [Value],
    ) -> Result<(), (FieldId, FieldError)> {
        for (slot, &(field, column)) in values.iter_mut().zip(&self.columns) {
            let text = column.and_then(|c| whole.get(row.range(c)));
            if text.is_some_and(|text| coercer.plain_cell_into(field, text, slot)) {
                continue;
            }
            let value = self.general_cell(coercer, row, whole, (field, column)).map_err(|error| (field, error))?;
            slot.overwrite(value);
        }
        Ok(())
    }

    /// A cell [`Coercer::plain_cell`] does not read, by the general path
    /// (an absent column, a marker, a bad value, a row that is not UTF-8).
    #[cold]
    fn general_cell(
        &self,
        coercer: &mut Coercer<'_>,
        row: Row<'_>,
        whole: RowText<'_>,
        (field, column): (FieldId, Option<usize>),
    ) -> Result<Value, FieldError> {
        let Some(range) = column.map(|c| row.range(c)) else { return coercer.present(field, Value::Absent) };
        if let Some(text) = whole.get(range.clone()) {
            return coercer.cell(field, text);
        }
        let bytes = row.fields.get(range).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(text) => coercer.cell(field, text),
            Err(_) => Err(FieldError {
                value: Some(String::from_utf8_lossy(bytes).trim().to_string()),
                message: messages::not_utf8(),
            }),
        }
    }

    /// The id cell's trimmed text into `id` (reusing its buffer), when it
    /// holds one (see [`CsvLayout::id_text`]); `None` else.
    fn id_into(&self, schema: &Schema, row: Row<'_>, whole: RowText<'_>, id: &mut Option<String>) {
        match (self.usable_id(schema, row, whole), id.as_mut()) {
            (Some(text), Some(buffer)) => {
                buffer.clear();
                buffer.push_str(text);
            }
            (text, _) => *id = text.map(str::to_string),
        }
    }

    /// The id cell's trimmed text, when it holds one (valid UTF-8, not empty,
    /// not a missing marker, not spread over several lines).
    fn id_text(&self, schema: &Schema, row: Row<'_>) -> Option<String> {
        self.usable_id(schema, row, RowText::Unchecked).map(str::to_string)
    }

    /// The id cell's trimmed text, when usable (see [`CsvLayout::id_text`]);
    /// taken from `whole`, the row as text, where it is known to be text.
    fn usable_id<'r>(&self, schema: &Schema, row: Row<'r>, whole: RowText<'r>) -> Option<&'r str> {
        let column = self.id_column?;
        if column >= row.ends.len() {
            return None;
        }
        let cell = match whole.get(row.range(column)) {
            Some(cell) => cell,
            None => std::str::from_utf8(row.field(column)).ok()?,
        };
        let text = super::coerce::trim(cell);
        // A row split where it lies (`gap` 1) is one line: only a quoted
        // cell can hold a line break.
        let usable = !text.is_empty() && (row.gap == 1 || !text.contains('\n')) && !schema.is_missing_marker(text);
        usable.then_some(text)
    }

    /// The kept columns' trimmed text (`None` for a cell the row lacks).
    fn kept_cells(&self, row: Row<'_>) -> Vec<Option<String>> {
        self.kept
            .iter()
            .map(|&c| (c < row.ends.len()).then(|| String::from_utf8_lossy(row.field(c)).trim().to_string()))
            .collect()
    }
}

/// The header cell of each `--keep` name: exact (after trimming) first,
/// else ignoring case.
fn keep_columns(names: &[String], keep: &[String]) -> Result<Vec<usize>, ReadError> {
    keep.iter()
        .map(|wanted| {
            let wanted = wanted.trim();
            names
                .iter()
                .position(|name| name == wanted)
                .or_else(|| names.iter().position(|name| name.to_lowercase() == wanted.to_lowercase()))
                .ok_or_else(|| {
                    let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
                    let suggestion = super::read::closest(wanted, &candidates).map(str::to_string);
                    ReadError::UnknownKeep {
                        column: wanted.to_string(),
                        help: messages::keep_help(suggestion.as_deref(), names),
                    }
                })
        })
        .collect()
}

/// The separator a one-cell header seems to use instead of `delimiter`:
/// `;` (spreadsheets in locales with a decimal comma) or a tab, when it
/// splits the header into several cells.
fn other_delimiter(names: &[String], delimiter: u8) -> Option<u8> {
    let [only] = names else { return None };
    [b';', b'\t', b','].into_iter().filter(|&d| d != delimiter).find(|&d| only.bytes().any(|b| b == d))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, reason = "tests may fail loudly")]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The sixteen-bytes-a-step split finds the fields a
        /// byte-at-a-time split finds, and gives the line as text exactly
        /// when it is ASCII (half the lines are; one wide byte anywhere,
        /// the last included, makes a line not).
        #[test]
        fn split_plain_splits_as_bytes_do(
            line in proptest::collection::vec(prop_oneof![Just(b','), Just(b';'), any::<u8>()], 1..80),
            delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(0u8)],
            ascii in any::<bool>(),
        ) {
            let line: Vec<u8> = if ascii { line.iter().map(|b| b & 0x7f).collect() } else { line };
            let mut ends = Vec::new();
            let split = split_plain(&line, delimiter, &mut ends);
            let text = line.is_ascii().then(|| std::str::from_utf8(&line).unwrap());
            let mut expected: Vec<usize> =
                line.iter().enumerate().filter(|&(_, &b)| b == delimiter).map(|(i, _)| i).collect();
            expected.push(line.len());
            prop_assert_eq!(split.map(|(ended, ascii)| (ended, ascii.map(Ascii::text))), Some((expected.len(), text)));
            prop_assert_eq!(ends.get(..expected.len()), Some(&expected[..]));
        }
    }

    /// `line` as `csv_core` reads it (ended by a `\n`): its field bytes and
    /// field ends, when it is one whole record.
    fn csv_core_fields(line: &[u8], delimiter: u8) -> Option<(Vec<u8>, Vec<usize>)> {
        let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        let input = [line, b"\n"].concat();
        let (mut out, mut ends) = (vec![0; input.len()], vec![0; input.len() + 1]);
        let (result, read, written, ended) = reader.read_record(&input, &mut out, &mut ends);
        let whole = matches!(result, csv_core::ReadRecordResult::Record) && read == input.len();
        whole.then(|| (out[..written].to_vec(), ends[..ended].to_vec()))
    }

    proptest! {
        /// Where the quoted split takes a line, it reads it as `csv_core`
        /// does, to the byte.
        #[test]
        fn split_quoted_splits_as_csv_core_does(
            line in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'"'), Just(b' '), Just(b';'), Just(b'a')], 1..40),
            delimiter in prop_oneof![Just(b','), Just(b';')],
        ) {
            let (mut fields, mut ends) = (Vec::new(), Vec::new());
            if let Some((ended, len)) = split_quoted(&line, delimiter, &mut fields, &mut ends) {
                let expected = csv_core_fields(&line, delimiter);
                prop_assert_eq!(Some((fields[..len].to_vec(), ends[..ended].to_vec())), expected);
            }
        }
    }

    proptest! {
        /// A line of plain and simply quoted fields (delimiters inside the
        /// quotes, long enough to cross sixteen-byte chunks) is taken,
        /// never left to `csv_core`, and read as `csv_core` reads it.
        #[test]
        fn split_quoted_takes_every_line_of_simple_quoted_fields(
            cells in proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec(prop_oneof![Just(b'a'), Just(b' '), Just(b','), Just(b';')], 0..24)),
                1..12),
            delimiter in prop_oneof![Just(b','), Just(b';')],
        ) {
            let mut line = Vec::new();
            for (i, (quoted, bytes)) in cells.iter().enumerate() {
                if i > 0 {
                    line.push(delimiter);
                }
                if *quoted {
                    line.push(b'"');
                    line.extend(bytes);
                    line.push(b'"');
                } else {
                    line.extend(bytes.iter().filter(|&&b| b != delimiter));
                }
            }
            // An empty line is no record (`csv_core` reads none), and the
            // reader never splits one (`CsvSource::read_raw`).
            prop_assume!(!line.is_empty());
            let (mut fields, mut ends) = (Vec::new(), Vec::new());
            let split = split_quoted(&line, delimiter, &mut fields, &mut ends)
                .map(|(ended, len)| (fields[..len].to_vec(), ends[..ended].to_vec()));
            prop_assert_eq!(split, csv_core_fields(&line, delimiter));
        }
    }

    /// Fields of every kind, each but `id` and `n` optional, `-` meaning
    /// absent.
    fn every_kind_schema() -> Schema {
        use crate::schema::{ElementType, EnumId, EnumType, Field, FieldType};
        let region = EnumType::new(["NA", "EMEA", "APAC"].map(String::from).to_vec());
        Schema {
            fields: vec![
                Field::named("id", FieldType::String, false),
                Field::named("n", FieldType::Int, false),
                Field::named("f", FieldType::Float, true),
                Field::named("flag", FieldType::Bool, true),
                Field::named("region", FieldType::Enum(EnumId(0)), true),
                Field::named("tags", FieldType::List(ElementType::Enum(EnumId(0))), true),
                Field::named("day", FieldType::Date, true),
            ],
            enums: vec![region],
            missing: vec!["-".to_string()],
            id_field: Some(FieldId(0)),
            derived: Vec::new(),
            numbers: Default::default(),
        }
    }

    /// A cell of any kind: plain, blank, a marker, of the wrong type, read
    /// only by the general path (a list, a date, an alias's case), or not
    /// UTF-8.
    fn any_cell() -> impl Strategy<Value = &'static [u8]> {
        let cells: [&'static [u8]; 20] = [
            b"",
            b" ",
            b"-",
            b"7",
            b" 12 ",
            b"-0",
            b"x",
            b"3.5",
            b"1e3",
            b"true",
            b"no",
            b"EMEA",
            b"emea",
            b"NA;APAC",
            b"2026-01-02",
            b"02/01/2026",
            b"\xc3\xa9t\xc3\xa9",
            b"\xff",
            b"99999999999999999999",
            b" NA ",
        ];
        prop::sample::select(cells.to_vec())
    }

    proptest! {
        /// Walking a row's cells in header order reads it as reading it
        /// field by field in field order does: the same values, or the
        /// same first field's error; whatever the columns' order, columns
        /// no field reads, optional fields without a column, strings the
        /// run does not read, and a record reused from row to row.
        #[test]
        fn walking_the_cells_reads_a_row_as_field_by_field_does(
            present in any::<[bool; 5]>(),
            extra in 0..3usize,
            order in proptest::collection::vec(any::<u32>(), 10),
            read in any::<[bool; 7]>(),
            rows in proptest::collection::vec(proptest::collection::vec(any_cell(), 10), 1..6),
        ) {
            let schema = every_kind_schema();
            let mut names: Vec<String> = schema.fields.iter().take(2).map(|f| f.column.clone()).collect();
            names.extend(schema.fields.iter().skip(2).zip(present).filter(|(_, p)| *p).map(|(f, _)| f.column.clone()));
            names.extend((0..extra).map(|i| format!("other{i}")));
            let mut keyed: Vec<(u32, String)> = order.iter().copied().zip(names).collect();
            keyed.sort();
            let names: Vec<String> = keyed.into_iter().map(|(_, name)| name).collect();
            let header = format!("{}\n", names.join(","));
            let source = CsvSource::new(&schema, Box::new(std::io::Cursor::new(header.into_bytes())), &ReadOptions::default())
                .expect("a header with every required column");
            let layout = source.layout();
            let mut coercer = Coercer::new(&schema).keeping(&read);
            let (mut walked, mut ends, mut oracle_ends) = (InputRecord::empty(), Vec::new(), Vec::new());
            for (i, cells) in rows.iter().enumerate() {
                let line = cells.get(..names.len()).unwrap_or_default().join(&b',');
                let at = (i as u64 + 1, i as u64 + 2);
                layout.cook_line_into(&mut coercer, &mut ends, &line, at, &mut walked);
                let (ended, _) = split_plain(&line, b',', &mut oracle_ends).expect("a short line");
                let row = Row { fields: &line, ends: oracle_ends.get(..ended).unwrap_or_default(), gap: 1 };
                let mut values = vec![Value::Absent; schema.fields.len()];
                let expected = match layout.cook_fields(&mut coercer, row, RowText::of(&line), &mut values) {
                    Ok(()) => Ok(Lead { values }),
                    Err((field, error)) => Err(error.into_lead_error(schema.fields.get(field.index()), at.0, at.1)),
                };
                prop_assert_eq!(&walked.lead, &expected, "row {:?} under {:?}", String::from_utf8_lossy(&line), names);
            }
        }
    }

    #[test]
    fn split_quoted_takes_quoted_names_and_leaves_the_rest() {
        let split = |line: &str| {
            let (mut fields, mut ends) = (Vec::new(), Vec::new());
            split_quoted(line.as_bytes(), b',', &mut fields, &mut ends)
                .map(|(ended, len)| (String::from_utf8(fields[..len].to_vec()).unwrap(), ends[..ended].to_vec()))
        };
        assert_eq!(split(r#"L1,"Acme, Inc",DE,"""#), Some(("L1Acme, IncDE".to_string(), vec![2, 11, 13, 13])));
        assert_eq!(split(r#"L1,"Acme ""Big"" Inc",DE"#), None);
        assert_eq!(split(r#"L1,Acme "Big",DE"#), None);
        assert_eq!(split(r#"L1,"Acme" Inc,DE"#), None);
        assert_eq!(split(r#"L1,"Acme, Inc"#), None);
    }

    #[test]
    fn split_plain_gives_up_beyond_the_field_limit() {
        let line = vec![b','; MAX_FIELDS];
        assert_eq!(split_plain(&line, b',', &mut Vec::new()), None);
        let line = vec![b','; MAX_FIELDS - 1];
        assert_eq!(split_plain(&line, b',', &mut Vec::new()).map(|(ended, _)| ended), Some(MAX_FIELDS));
    }
}
