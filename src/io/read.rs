//! Streaming lead readers: one [`InputRecord`] per input record, in input
//! order, in bounded memory.

use std::io::BufRead;
use std::path::Path;

use rustc_hash::FxHashMap;

use super::coerce::Coercer;
use super::csv_input::{CsvLayout, CsvSource, Row};
use super::jsonl_input::{self, JsonlSource, ObjectParser};
use super::messages;
use crate::eval::LeadError;
use crate::schema::{FieldId, Lead, Schema, Value};

/// The format of a lead input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Comma-separated values with a header row naming the columns.
    Csv,
    /// One JSON object per line (JSON Lines / NDJSON).
    Jsonl,
}

/// One record of the input, read and coerced to the schema. Every input
/// record yields exactly one of these, valid or not, so that output can
/// account for every lead in.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRecord {
    /// 1-based record number (CSV: data rows, header excluded; JSONL:
    /// non-blank lines).
    pub record: u64,
    /// 1-based physical line where the record starts (lines end at `\n`,
    /// `\r\n` or a lone `\r`).
    pub line: u64,
    /// The schema id field's trimmed text, when present, even when the lead
    /// is invalid, so that output names invalid leads too.
    pub id: Option<String>,
    /// The lead, or why it is invalid (the first problem in field order).
    pub lead: Result<Lead, LeadError>,
    /// The text of each column [`ReadOptions::keep`] names, in that order
    /// (`None` when the record has no such cell or key); empty without.
    pub kept: Vec<Option<String>>,
}

/// The values of a record about to be written over, `len` of them, each
/// to be overwritten (dropping the previous lead's value then); a new
/// vector when the record held no lead.
#[inline]
pub(crate) fn reuse_values(lead: &mut Result<Lead, LeadError>, len: usize) -> Vec<Value> {
    let mut values = take_values(lead);
    // Of the same length lead after lead: nothing to cut or add.
    if values.len() != len {
        values.truncate(len);
        values.resize_with(len, || Value::Absent);
    }
    values
}

/// The values of a record's lead, taken out of it (none when it held no
/// lead); the record is written over whole later. Only the vector moves:
/// replacing the whole lead moved and dropped it too, per lead.
fn take_values(lead: &mut Result<Lead, LeadError>) -> Vec<Value> {
    match lead {
        Ok(lead) => std::mem::take(&mut lead.values),
        Err(_) => Vec::new(),
    }
}

impl InputRecord {
    /// A record to be written over by a reader that recycles records
    /// ([`LeadReader::next_into`]): a valid lead of no values.
    pub fn empty() -> InputRecord {
        InputRecord { record: 0, line: 0, id: None, lead: Ok(Lead { values: Vec::new() }), kept: Vec::new() }
    }
}

/// How to read an input beyond its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The CSV field separator (default `,`).
    pub delimiter: u8,
    /// Input columns (CSV header cells, JSON keys) to copy into
    /// [`InputRecord::kept`] (`--keep`).
    pub keep: Vec<String>,
    /// Per field, whether the run reads it
    /// ([`crate::check::program::Program::fields_read`]): the strings it
    /// does not read are checked but not kept ([`Coercer::keeping`]).
    /// `None` keeps every field.
    pub read: Option<Vec<bool>>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions { delimiter: b',', keep: Vec::new(), read: None }
    }
}

/// A failure of the input as a whole, before any lead can be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReadError {
    /// The input could not be read at all.
    #[error("cannot read the leads input")]
    #[diagnostic(code(route::io::read))]
    Io(#[from] std::io::Error),
    /// A CSV input without a single byte: not even a header row (a 0-byte
    /// file is usually a failed export, not an empty batch).
    #[error("the CSV input is empty: it has no header row")]
    #[diagnostic(code(route::io::empty), help("a CSV batch starts with a header row naming the columns"))]
    Empty,
    /// The CSV header itself cannot be read (it is longer than the line
    /// limit, or an unclosed quote runs it over several lines).
    #[error("the CSV header cannot be read: it is too long or has an unclosed quote")]
    #[diagnostic(code(route::io::header))]
    BadHeader,
    /// The CSV header lacks a column for a required field, so every lead
    /// would be invalid.
    #[error("the CSV header has no column for required {}: {}", if columns.len() == 1 { "field" } else { "fields" }, columns.join(", "))]
    #[diagnostic(code(route::io::header))]
    MissingColumns {
        /// Each missing column, as `` `Column` (field `name`) ``.
        columns: Vec<String>,
        /// What the header has.
        #[help]
        help: String,
    },
    /// A `--keep` column the CSV header does not have.
    #[error("the CSV header has no column `{column}` to keep")]
    #[diagnostic(code(route::io::keep))]
    UnknownKeep {
        /// The column asked for.
        column: String,
        /// What the header has, and the closest name.
        #[help]
        help: String,
    },
}

/// An optional field the CSV header has no column for: it will be absent
/// for every lead, which is more often a renamed column than intended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnWarning {
    /// The field.
    pub field: String,
    /// The column it reads.
    pub column: String,
    /// The unmapped header column most like it, if any is close.
    pub suggestion: Option<String>,
}

impl std::fmt::Display for ColumnWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&messages::unmapped_field(&self.field, &self.column, self.suggestion.as_deref()))
    }
}

/// The candidate most like `name` (ignoring case), when it is close enough
/// to suggest: Jaro-Winkler similarity of at least 0.8, which favours a
/// shared beginning (`account` and `Account Name`).
pub(crate) fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&name, &c.to_lowercase()), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Reads leads one record at a time; see [`leads`].
///
/// Memory is bounded by the longest record (plus an 8 KiB read buffer), not
/// by the input. When the input fails mid-stream, the reader yields one last
/// invalid record saying so and stops; [`LeadReader::take_error`] then
/// returns the I/O error, so a caller can exit non-zero.
pub struct LeadReader<'s> {
    shared: Shared<'s>,
    source: Source<'s>,
    /// `--keep` columns (JSONL: looked up per line).
    keep: Vec<String>,
    /// The fields the run reads ([`ReadOptions::read`]).
    read: Option<Vec<bool>>,
}

impl std::fmt::Debug for LeadReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeadReader").field("records", &self.shared.records).finish_non_exhaustive()
    }
}

/// State both formats share.
pub(crate) struct Shared<'s> {
    pub(crate) schema: &'s Schema,
    pub(crate) coercer: Coercer<'s>,
    /// Records yielded so far.
    pub(crate) records: u64,
    /// The I/O error that ended the input, until taken.
    pub(crate) error: Option<std::io::Error>,
}

impl<'s> Shared<'s> {
    /// The next record number.
    pub(crate) fn next_record(&mut self) -> u64 {
        self.records += 1;
        self.records
    }

    /// An invalid record that no field is to blame for, numbered next.
    pub(crate) fn invalid(&mut self, line: u64, id: Option<String>, message: String) -> InputRecord {
        let record = self.next_record();
        Shared::unreadable(record, line, id, message)
    }

    /// Record `record` as invalid, no field to blame.
    pub(crate) fn unreadable(record: u64, line: u64, id: Option<String>, message: String) -> InputRecord {
        let error = LeadError { field: None, value: None, message, record, line };
        InputRecord { record, line, id, lead: Err(error), kept: Vec::new() }
    }

    /// Records an I/O error and yields the record that reports it.
    pub(crate) fn failed(&mut self, line: u64, error: std::io::Error) -> InputRecord {
        let record = self.invalid(line, None, messages::read_failed(&error));
        self.error = Some(error);
        record
    }
}

enum Source<'s> {
    Csv(Box<CsvSource<'s>>),
    Jsonl(Box<JsonlSource<'s>>),
}

impl<'s> LeadReader<'s> {
    /// The I/O error that cut the input short, if any (taken: later calls
    /// return `None`). Check it after the last record.
    pub fn take_error(&mut self) -> Option<std::io::Error> {
        self.shared.error.take()
    }

    /// Optional fields the input has no column for (CSV only: a JSONL
    /// input has no header to tell). Known before the first lead.
    pub fn warnings(&self) -> &[ColumnWarning] {
        match &self.source {
            Source::Csv(csv) => csv.warnings(),
            Source::Jsonl(_) => &[],
        }
    }

    /// How many records have been yielded so far.
    pub fn records(&self) -> u64 {
        self.shared.records
    }

    /// When the CSV header seems to use another separator than the one
    /// given (a one-cell header that `;` or a tab would split): a hint
    /// saying which `--delimiter` to try.
    pub fn delimiter_hint(&self) -> Option<String> {
        match &self.source {
            Source::Csv(csv) => csv.hint().map(messages::delimiter_hint),
            Source::Jsonl(_) => None,
        }
    }

    /// Frames up to `max` more records into `batch` (cleared first): the
    /// sequential part of reading (line ends, CSV quoting, record numbers).
    /// [`Cook::cook`] turns a batch into the same records [`Iterator::next`]
    /// gives, on any thread. `false` when the input had no more records.
    pub fn next_batch(&mut self, batch: &mut Batch, max: usize) -> bool {
        batch.clear();
        for _ in 0..max {
            let framed = match &mut self.source {
                Source::Csv(csv) => csv.next_framed(&mut self.shared, &mut batch.bytes, &mut batch.ends),
                Source::Jsonl(jsonl) => jsonl.next_framed(&mut self.shared, &mut batch.bytes),
            };
            let Some(framed) = framed else { break };
            batch.items.push(framed);
        }
        !batch.items.is_empty()
    }

    /// What turns this input's batches into records (one per thread).
    pub fn cook(&self) -> Cook<'s> {
        let kind = match &self.source {
            Source::Csv(csv) => CookKind::Csv { layout: csv.layout().clone(), ends: Vec::new() },
            Source::Jsonl(_) => CookKind::Jsonl(Box::new(ObjectParser::new(self.shared.schema))),
        };
        Cook { coercer: coercer(self.shared.schema, self.read.as_deref()), kind, keep: self.keep.clone() }
    }
}

/// Records framed by [`LeadReader::next_batch`], their bytes copied, to be
/// coerced by a [`Cook`]. Reused from batch to batch.
#[derive(Debug, Default)]
pub struct Batch {
    pub(crate) items: Vec<Framed>,
    /// The rows' field bytes (CSV) or the lines (JSONL), one after another.
    pub(crate) bytes: Vec<u8>,
    /// CSV: the end of each field, relative to its row's first byte.
    pub(crate) ends: Vec<usize>,
}

impl Batch {
    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the batch holds no records.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
        self.ends.clear();
    }
}

/// One framed record. Boxed where it holds a whole record: framing pushes
/// every record into its batch and cooking takes it out, and a record
/// inline made each of the two a 160-byte copy through `memcpy` (3% of a
/// two-core run's time) for the rare record that needs it.
#[derive(Debug)]
pub(crate) enum Framed {
    /// Broken or unreadable: its invalid record, complete.
    Ready(Box<InputRecord>),
    /// A CSV row: `bytes` and `ends` are ranges of the batch's buffers.
    Row { record: u64, line: u64, bytes: (usize, usize), ends: (usize, usize), gap: usize },
    /// A JSONL line, or a CSV line that is one record and not split yet
    /// (no quote, not blank; its terminator left out): `bytes` is a range
    /// of the batch's bytes.
    Line { record: u64, line: u64, bytes: (usize, usize) },
}

/// Coerces framed records (see [`LeadReader::next_batch`]); one per thread.
pub struct Cook<'s> {
    coercer: Coercer<'s>,
    kind: CookKind<'s>,
    keep: Vec<String>,
}

enum CookKind<'s> {
    /// The layout and a buffer for a line's field ends.
    Csv {
        layout: CsvLayout,
        ends: Vec<usize>,
    },
    Jsonl(Box<ObjectParser<'s>>),
}

impl Cook<'_> {
    /// The records of `batch`, in order, into `out`, written over the
    /// records `out` already holds (their buffers reused) and then
    /// appended; `out` ends as long as the batch was. The batch is left
    /// empty of records.
    pub fn cook(&mut self, batch: &mut Batch, out: &mut Vec<InputRecord>) {
        let Batch { items, bytes, ends } = batch;
        out.resize_with(items.len(), InputRecord::empty);
        for (item, slot) in items.drain(..).zip(out.iter_mut()) {
            let record = match item {
                Framed::Ready(record) => *record,
                Framed::Row { record, line, bytes: (b0, b1), ends: (e0, e1), gap } => {
                    let row = Row {
                        fields: bytes.get(b0..b1).unwrap_or_default(),
                        ends: ends.get(e0..e1).unwrap_or_default(),
                        gap,
                    };
                    match &self.kind {
                        CookKind::Csv { layout, .. } => {
                            layout.cook_into(&mut self.coercer, row, (record, line), slot);
                            continue;
                        }
                        CookKind::Jsonl(_) => Shared::unreadable(record, line, None, messages::other_format()),
                    }
                }
                Framed::Line { record, line, bytes: (b0, b1) } => {
                    let text = bytes.get(b0..b1).unwrap_or_default();
                    match &mut self.kind {
                        CookKind::Jsonl(parser) => {
                            jsonl_input::parse_object_into(parser, &mut self.coercer, text, (record, line), slot);
                            if !self.keep.is_empty() {
                                slot.kept = jsonl_input::kept_values(text, &self.keep);
                            }
                            continue;
                        }
                        CookKind::Csv { layout, ends } => {
                            layout.cook_line_into(&mut self.coercer, ends, text, (record, line), slot);
                            continue;
                        }
                    }
                }
            };
            *slot = record;
        }
    }
}

impl LeadReader<'_> {
    /// The next record written over `out`, reusing its buffers (the id's
    /// text, the values) where the format allows: what [`Iterator::next`]
    /// gives, without allocating per lead. `false` at the end.
    pub fn next_into(&mut self, out: &mut InputRecord) -> bool {
        match &mut self.source {
            Source::Csv(csv) => csv.next_record_into(&mut self.shared, out),
            Source::Jsonl(jsonl) => {
                let more = jsonl.next_record_into(&mut self.shared, out);
                if more && !self.keep.is_empty() {
                    out.kept = jsonl.kept_of_last(&self.keep);
                }
                more
            }
        }
    }
}

impl Iterator for LeadReader<'_> {
    type Item = InputRecord;

    fn next(&mut self) -> Option<InputRecord> {
        let mut record = InputRecord::empty();
        self.next_into(&mut record).then_some(record)
    }
}

/// Starts reading leads of `schema` from `input`.
///
/// For CSV the header row is read (and mapped to schema fields) here, so that
/// a header that cannot serve is reported once rather than once per lead.
///
/// # Errors
/// When the input cannot be read, a CSV input is empty or its header cannot
/// be read, or a CSV header has no column for a required field.
pub fn leads<'s>(
    schema: &'s Schema,
    input: Box<dyn BufRead + Send + 's>,
    format: InputFormat,
) -> Result<LeadReader<'s>, ReadError> {
    leads_with(schema, input, format, &ReadOptions::default())
}

/// [`leads`] with [`ReadOptions`]: another CSV separator, columns to keep.
///
/// # Errors
/// As [`leads`]; and when a CSV header has no column a `keep` name names.
pub fn leads_with<'s>(
    schema: &'s Schema,
    input: Box<dyn BufRead + Send + 's>,
    format: InputFormat,
    options: &ReadOptions,
) -> Result<LeadReader<'s>, ReadError> {
    let read = options.read.clone();
    let shared = Shared { schema, coercer: coercer(schema, read.as_deref()), records: 0, error: None };
    let source = match format {
        InputFormat::Csv => Source::Csv(Box::new(CsvSource::new(schema, input, options)?)),
        InputFormat::Jsonl => Source::Jsonl(Box::new(JsonlSource::new(schema, input))),
    };
    // CSV resolves its kept columns against the header; JSONL per line.
    let keep = if format == InputFormat::Jsonl { options.keep.clone() } else { Vec::new() };
    Ok(LeadReader { shared, source, keep, read })
}

/// A coercer for `schema` keeping the fields `read` marks (all without).
fn coercer<'s>(schema: &'s Schema, read: Option<&[bool]>) -> Coercer<'s> {
    let coercer = Coercer::new(schema);
    match read {
        Some(read) => coercer.keeping(read),
        None => coercer,
    }
}

/// One lead given as a JSON object (`route eval --lead '<json>'`): record 1,
/// line 1. The text may span lines; it must hold exactly one object.
pub fn single_lead(schema: &Schema, json: &str) -> InputRecord {
    let mut parser = ObjectParser::new(schema);
    jsonl_input::parse_object(&mut parser, &mut Coercer::new(schema), json.as_bytes(), 1, 1)
}

/// The `keep` columns of one JSON object (`--lead` with `--keep`), as
/// [`InputRecord::kept`] holds them.
pub fn kept_of_object(json: &str, keep: &[String]) -> Vec<Option<String>> {
    jsonl_input::kept_values(json.as_bytes(), keep)
}

/// The input format a file name implies: `.csv` is CSV; `.jsonl`, `.ndjson`
/// and `.json` are JSON Lines (a `.json` file must hold one object per line,
/// not an array). Case-insensitive. `None` when the extension says nothing.
pub fn format_for_path(path: &Path) -> Option<InputFormat> {
    let extension = path.extension()?.to_str()?;
    if extension.eq_ignore_ascii_case("csv") {
        Some(InputFormat::Csv)
    } else if ["jsonl", "ndjson", "json"].iter().any(|e| extension.eq_ignore_ascii_case(e)) {
        Some(InputFormat::Jsonl)
    } else {
        None
    }
}

/// The format of a pipe, told by its first byte that is not whitespace or
/// part of a UTF-8 BOM: `{` is JSON Lines, anything else CSV (what users
/// expect when they pipe either into `--leads -`).
pub fn format_for_first_byte(bytes: &[u8]) -> InputFormat {
    let skipped = |b: &&u8| b.is_ascii_whitespace() || matches!(b, 0xEF | 0xBB | 0xBF);
    match bytes.iter().find(|b| !skipped(b)) {
        Some(b'{') => InputFormat::Jsonl,
        _ => InputFormat::Csv,
    }
}

/// Input column names (CSV header cells, JSON keys) to schema fields: an
/// exact match (after trimming) first, else a case-insensitive one.
pub(crate) struct ColumnMap<'s> {
    exact: FxHashMap<&'s str, FieldId>,
    folded: FxHashMap<String, FieldId>,
    scratch: String,
    /// Per key position of a JSON object, the last key seen there and what
    /// it resolved to ([`ColumnMap::lookup_at`], [`ColumnMap::remembered`]).
    recent: Vec<Remembered>,
}

/// What a name resolved to: the field and how well it matched, if any.
pub(crate) type Resolved = Option<(FieldId, Match)>;

/// Key positions [`ColumnMap::lookup_at`] remembers: a real export has tens
/// of keys; the memory stays bounded whatever a line holds.
const RECENT_KEYS: usize = 256;

/// How well an input name matched a field's column; a better match wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Match {
    None,
    Folded,
    Exact,
}

/// A key remembered at a position of a JSON object, and what it resolved
/// to.
struct Remembered {
    /// The key's text and then a quote: how a line without escapes spells
    /// the key after its opening quote.
    closed: Box<[u8]>,
    spelling: Spelling,
    found: Resolved,
}

/// How a flat line's key is told to be a [`Remembered`] one.
#[derive(Clone, Copy)]
enum Spelling {
    /// The first sixteen bytes of `closed` (zeros after its end) and a
    /// mask of its bytes, when it fits: one sixteen-byte comparison, where
    /// finding the key's closing quote and comparing its text as two
    /// packed words cost 36 instructions a key (routing 100k JSONL leads
    /// took 753.9 M instructions with those, 717.6 M with this).
    Window(u128, u128),
    /// Longer: compared as bytes.
    Long,
    /// The key holds a quote (serde_json read it from an escape): a line
    /// without backslashes never spells it.
    Quoted,
}

impl Remembered {
    fn new(key: &str, found: Resolved) -> Remembered {
        let closed: Box<[u8]> = [key.as_bytes(), b"\""].concat().into();
        let mut bytes = [0u8; 16];
        let spelling = match bytes.get_mut(..closed.len()) {
            _ if key.contains('"') => Spelling::Quoted,
            Some(start) => {
                start.copy_from_slice(&closed);
                // `closed` is 1 to 16 bytes long: a shift of 0 to 120 bits.
                let mask = u128::MAX >> (8 * (16 - closed.len()));
                Spelling::Window(u128::from_le_bytes(bytes), mask)
            }
            None => Spelling::Long,
        };
        Remembered { closed, spelling, found }
    }

    /// Whether `name` (a key as serde_json unescaped it) is this key.
    fn is(&self, name: &str) -> bool {
        self.closed.len() == name.len() + 1 && self.closed.starts_with(name.as_bytes())
    }

    /// How many bytes of `rest` (a line's text after a key's opening
    /// quote, the line holding no backslash) are this key and its closing
    /// quote, when they are. A key holding a quote is never found, so the
    /// quote matched is the one that closes the string.
    #[inline(always)]
    fn closes(&self, rest: &[u8]) -> Option<usize> {
        let found = match (self.spelling, rest.first_chunk::<16>()) {
            (Spelling::Window(bytes, mask), Some(chunk)) => (u128::from_le_bytes(*chunk) ^ bytes) & mask == 0,
            // Near the line's end.
            (Spelling::Window(..) | Spelling::Long, _) => rest.starts_with(&self.closed),
            (Spelling::Quoted, _) => false,
        };
        found.then_some(self.closed.len())
    }
}

impl<'s> ColumnMap<'s> {
    pub(crate) fn new(schema: &'s Schema) -> ColumnMap<'s> {
        let mut exact = FxHashMap::default();
        let mut folded = FxHashMap::default();
        // Derived fields have no input column (a CSV column named like a
        // score must not fill it).
        for (i, field) in schema.input_fields().iter().enumerate() {
            let Ok(index) = u32::try_from(i) else { break };
            let column = field.column.trim();
            exact.entry(column).or_insert(FieldId(index));
            folded.entry(column.to_lowercase()).or_insert(FieldId(index));
        }
        ColumnMap { exact, folded, scratch: String::new(), recent: Vec::new() }
    }

    /// [`ColumnMap::lookup`] for the key at `position` of a JSON object.
    /// The lines of one export repeat their keys in the same order, so the
    /// key last seen at a position is compared first: one short comparison
    /// instead of hashing the key (a twentieth of reading JSONL).
    #[inline(always)]
    pub(crate) fn lookup_at(&mut self, position: usize, name: &str) -> Resolved {
        match self.recent.get(position) {
            Some(key) if key.is(name) => key.found,
            _ => self.lookup_and_remember(position, name),
        }
    }

    /// What the key remembered at `position` resolved to and how many
    /// bytes of `rest` it and its closing quote are, when `rest` (a line's
    /// text just after the opening quote of its key at `position`, in a
    /// line without a backslash) goes on with them: the key read without
    /// looking for its end.
    #[inline(always)]
    pub(crate) fn remembered(&self, position: usize, rest: &[u8]) -> Option<(Resolved, usize)> {
        let key = self.recent.get(position)?;
        Some((key.found, key.closes(rest)?))
    }

    /// [`ColumnMap::lookup_at`] for a key other than the one remembered at
    /// its position (the first line, or an export whose keys move).
    #[inline(never)]
    pub(crate) fn lookup_and_remember(&mut self, position: usize, name: &str) -> Resolved {
        let found = self.lookup(name);
        if position < RECENT_KEYS {
            if self.recent.len() <= position {
                self.recent.resize_with(position + 1, || Remembered::new("", None));
            }
            if let Some(slot) = self.recent.get_mut(position) {
                *slot = Remembered::new(name, found);
            }
        }
        found
    }

    /// The field an input name reads into, and how well it matched.
    pub(crate) fn lookup(&mut self, name: &str) -> Resolved {
        let name = super::coerce::trim(name);
        if let Some(&field) = self.exact.get(name) {
            return Some((field, Match::Exact));
        }
        self.scratch.clear();
        if name.is_ascii() {
            self.scratch.extend(name.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            self.scratch.push_str(&name.to_lowercase());
        }
        self.folded.get(self.scratch.as_str()).map(|&field| (field, Match::Folded))
    }
}

#[cfg(test)]
mod tests {
    use super::{ColumnMap, Match};
    use crate::schema::{Field, FieldId, FieldType, Schema};

    /// A framed record is moved twice (into its batch, out to be cooked):
    /// small enough to be moved in registers, not through `memcpy`, which
    /// a whole record inline took.
    #[test]
    fn a_framed_record_is_a_few_words() {
        assert!(std::mem::size_of::<super::Framed>() <= 64, "{} bytes", std::mem::size_of::<super::Framed>());
        assert!(std::mem::size_of::<super::InputRecord>() > 64, "{}", std::mem::size_of::<super::InputRecord>());
    }

    /// A key is remembered per position of a JSON object; a line whose key
    /// there differs from the last line's, in any byte, short or long, is
    /// looked up again.
    #[test]
    fn a_remembered_key_answers_only_for_itself() {
        let names = ["company_name", "company_size", "annual_revenue_in_usd", "annual_revenue_in_eur", "a", "a\0"];
        let fields = names.iter().map(|n| Field::named(n, FieldType::String, true)).collect();
        let schema = Schema { fields, ..Schema::default() };
        let mut columns = ColumnMap::new(&schema);
        for round in 0..2 {
            for (field, name) in (0u32..).zip(names) {
                let found = columns.lookup_at(0, name);
                assert_eq!(found, Some((FieldId(field), Match::Exact)), "{name}, round {round}");
                assert_eq!(columns.lookup_at(0, name), found, "{name} again");
            }
        }
        assert_eq!(columns.lookup_at(0, "COMPANY_SIZE"), Some((FieldId(1), Match::Folded)));
        assert_eq!(columns.lookup_at(0, "company_nam"), None);
    }

    /// A flat line's key is the remembered one only when the line's text
    /// goes on with it and its closing quote: compared sixteen bytes at a
    /// time (a key of fifteen bytes fills them), byte by byte near the
    /// line's end or for a longer key, and never for a key holding a quote.
    #[test]
    fn a_remembered_key_is_found_only_with_its_closing_quote() {
        let names = ["company", "fifteen_bytes_k", "annual_revenue_in_usd"];
        let fields = names.iter().map(|n| Field::named(n, FieldType::String, true)).collect();
        let schema = Schema { fields, ..Schema::default() };
        let mut columns = ColumnMap::new(&schema);
        let company = columns.lookup_and_remember(0, "company");
        let fifteen = columns.lookup_and_remember(1, "fifteen_bytes_k");
        let long = columns.lookup_and_remember(2, "annual_revenue_in_usd");
        columns.lookup_and_remember(3, "a\"b");
        assert_eq!(company, Some((FieldId(0), Match::Exact)));
        let found = |position, rest: &str| columns.remembered(position, rest.as_bytes());
        for rest in [r#"company":"Acme Corporation Ltd"}"#, r#"company":1}"#, r#"company""#] {
            assert_eq!(found(0, rest), Some((company, 8)), "{rest}");
        }
        for rest in [
            r#"company_name":"Acme Corporation"}"#,
            r#"compan":"Acme Corporation Ltd"}"#,
            r#"Company":"Acme Corporation Ltd"}"#,
            r#"company_name":1}"#,
            "company",
            "",
        ] {
            assert_eq!(found(0, rest), None, "{rest}");
        }
        assert_eq!(found(1, r#"fifteen_bytes_k":"x"}"#), Some((fifteen, 16)));
        assert_eq!(found(1, r#"fifteen_bytes_kk":"x"}"#), None);
        assert_eq!(found(2, r#"annual_revenue_in_usd":12.5}"#), Some((long, 22)));
        assert_eq!(found(2, r#"annual_revenue_in_usx":12.5}"#), None);
        assert_eq!(found(2, r#"annual_revenue_in_us""#), None);
        assert_eq!(found(3, r#"a"b":1,"company":"Acme Corporation"}"#), None);
        assert_eq!(found(4, r#"company":1}"#), None);
    }
}
