//! Lead readers and decision writers: the edge of the pipeline.
//!
//! # Accepts
//! A [`Schema`](crate::schema::Schema) and a byte stream of leads, CSV (a
//! header row, then one row per lead) or JSON Lines (one object per line),
//! read through [`leads`]; or one JSON object through [`single_lead`].
//! Columns and keys are matched to fields by each field's `column`, exactly
//! (after trimming), else ignoring case; others are ignored. Values are
//! coerced to the field types by the rules of LANGUAGE.md §3 (see
//! [`coerce`]).
//!
//! # Guarantees
//! - **One record out per record in**, in input order: every CSV data row and
//!   every non-blank JSONL line yields exactly one [`InputRecord`], with its
//!   1-based record number and the physical line it starts on. A record that
//!   cannot be read (bad JSON, a ragged row, invalid UTF-8, a bad value, a
//!   missing required field) is an invalid lead ([`LeadError`](crate::eval::LeadError),
//!   first problem in field order), never a dropped one or the end of the
//!   input. Its `id` is kept whenever it can be read.
//! - A CSV record that an unterminated or stray quote ran over several lines
//!   yields one invalid record per physical line, so records out = data
//!   lines in (see `csv_input` for how such runs are told from quoted line
//!   breaks).
//! - **Streaming in bounded memory**: a line (and a CSV record) is read up
//!   to [`MAX_LINE_BYTES`]; a longer one is one invalid record, skipped
//!   without being held. Records come out while the input is still being
//!   read.
//! - **No panics** on any input (property-tested on arbitrary bytes); JSON
//!   nested 100,000 deep is read (or rejected) without exhausting the stack.
//! - Only a whole-input failure is an error of [`leads`] ([`ReadError`]): an
//!   unreadable input, an empty CSV input (no header), or a CSV header
//!   without a column for a required field. Optional fields without a
//!   column are listed by [`LeadReader::warnings`].
//!   An I/O error mid-stream ends the stream with one invalid record that says
//!   so; [`LeadReader::take_error`] returns it.
//!
//! - **Parallel reading**: [`LeadReader::next_batch`] frames records (the
//!   sequential part: line ends, CSV quoting, record numbers; a CSV line
//!   without quotes is left unsplit) and a [`Cook`] per thread splits and
//!   coerces them, giving exactly the records the iterator gives.
//!
//! Blank lines are not records (in CSV, a line of only whitespace neither).
//! Lines end at `\n`, `\r\n` or a lone `\r`, and each counts. An empty
//! JSONL input has no leads.
//!
//! # Leaves to the next stage
//! Routing: the reader neither evaluates nor names leads; a caller uses
//! [`InputRecord::id`], else the record number. [`DecisionWriter`] writes the
//! decisions routing produced, in JSONL or CSV (LANGUAGE.md §10).

pub mod coerce;
mod csv_input;
mod csv_out;
mod json_out;
mod jsonl_input;
mod lines;
mod messages;
mod read;
mod sixteen;
mod tails;
mod write;

pub use coerce::{Coercer, FieldError};
pub use lines::MAX_LINE_BYTES;
pub(crate) use messages::{problem, shown};
pub use read::{
    format_for_first_byte, format_for_path, kept_of_object, leads, leads_with, single_lead, Batch, ColumnWarning, Cook,
    InputFormat, InputRecord, LeadReader, ReadError, ReadOptions,
};
pub use write::{DecisionWriter, OutputFormat, CSV_HEADER, OWNER_COLUMNS};
