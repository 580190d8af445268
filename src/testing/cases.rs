//! Case tables: `route test --cases FILE.csv|.jsonl`.
//!
//! Leads are read by the readers of `route eval` (same columns, coercion,
//! `from` mapping), so a CRM export routes here exactly as in production.
//! The table is read a second time, as plain cells, for the `expect_*`
//! columns, which the lead reader ignores; the two are paired in record
//! order (blank lines are records of neither). `--bless` fills the empty
//! expectation cells from the current decisions and writes the file back
//! through a temporary file and a rename, so an interrupted run never
//! leaves half a file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Case, Expectation, Expected, Group, Names, Test};
use crate::check::Program;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::eval::{Decision, Reason, Roster, Router};
use crate::io::{self, InputFormat};
use crate::source::{FileId, SourceMap, Span};

/// The expectation columns, in the order `--bless` adds them.
pub const COLUMNS: [&str; 5] = ["expect_rule", "expect_team", "expect_queue", "expect_assignee", "expect_reason"];

/// Columns `--bless` adds to a table that has none: where each lead goes.
/// `expect_assignee` is left out: it depends on the roster and the order
/// of the rows, so it is only kept when the author asks for it.
const BLESS_ADDS: [usize; 4] = [0, 1, 2, 4];

/// Why a case table cannot be used at all (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CaseError {
    /// Reading or writing the file failed.
    #[error("cannot read or write the case table `{}`", path.display())]
    #[diagnostic(code(route::cases))]
    Io {
        /// The table.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not CSV or JSONL, by its name.
    #[error("cannot tell the format of the case table `{}`", path.display())]
    #[diagnostic(code(route::cases), help("name it .csv, .jsonl or .ndjson"))]
    Format {
        /// The table.
        path: PathBuf,
    },
    /// The lead reader refused the whole table (e.g. no column for a
    /// required field).
    #[error("cannot read the leads of the case table `{}`", path.display())]
    #[diagnostic(code(route::cases))]
    Leads {
        /// The table.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::ReadError,
    },
    /// The table's cells and the lead reader's records do not pair up.
    #[error("the case table `{}` has {cells} rows but {leads} leads were read", path.display())]
    #[diagnostic(
        code(route::cases),
        help("a quote left open can merge rows; check the file with `route eval --leads`")
    )]
    Misaligned {
        /// The table.
        path: PathBuf,
        /// Rows of cells.
        cells: usize,
        /// Records read as leads.
        leads: usize,
    },
}

/// A case table in memory: its text, rows of cells, and format.
#[derive(Debug)]
pub struct Table {
    path: PathBuf,
    format: InputFormat,
    text: String,
    /// Column names (CSV: the header; JSONL: the expectation keys used).
    header: Vec<String>,
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    /// 1-based line the row starts on.
    line: usize,
    /// All cells (CSV) or all key/value pairs (JSONL), as read.
    cells: Cells,
    /// The expectation cells, indexed like [`COLUMNS`]; empty when blank.
    expect: [String; 5],
}

#[derive(Debug)]
enum Cells {
    Csv(Vec<String>),
    /// Keys and raw JSON values in file order; `None` when the line is not
    /// a JSON object (the lead reader reports it invalid; it stays as is).
    Jsonl(Option<Vec<(String, Box<RawValue>)>>, String),
}

impl Table {
    /// Reads a table.
    ///
    /// # Errors
    /// When the file cannot be read or its format told.
    pub fn read(path: &Path) -> Result<Table, CaseError> {
        let format = io::format_for_path(path).ok_or_else(|| CaseError::Format { path: path.to_path_buf() })?;
        let text =
            std::fs::read_to_string(path).map_err(|source| CaseError::Io { path: path.to_path_buf(), source })?;
        let (header, rows) = match format {
            InputFormat::Csv => csv_rows(&text),
            InputFormat::Jsonl => {
                let rows = jsonl_rows(&text);
                (jsonl_columns(&rows), rows)
            }
        };
        Ok(Table { path: path.to_path_buf(), format, text, header, rows })
    }

    /// The group of tests this table holds: one test per row, all routed
    /// through one distribution state. Unknown names in expectation cells
    /// are diagnostics pointing into the table (added to `sources`).
    ///
    /// # Errors
    /// When the leads cannot be read, or rows and leads do not pair up.
    pub fn group(
        &self,
        program: &Program,
        names: &Names,
        sources: &mut SourceMap,
        diagnostics: &mut Diagnostics,
        (roster, now): (Roster, jiff::Timestamp),
    ) -> Result<Group, CaseError> {
        let file = sources.add(self.path.display().to_string(), &self.path, self.text.clone());
        let records = self.records(program)?;
        let mut tests = Vec::new();
        for (row, record) in self.rows.iter().zip(records) {
            let before = diagnostics.0.len();
            let expects = expectations(row, names, sources, file, diagnostics);
            if diagnostics.0.len() > before {
                continue;
            }
            let id = record.id.unwrap_or_else(|| format!("record {}", record.record));
            let location = format!("{}:{}", self.path.display(), row.line);
            let mut lead = record.lead;
            if let Ok(lead) = &mut lead {
                program.derive(lead, now);
            }
            tests.push(Test { name: id.clone(), location, cases: vec![Case { id, lead, expects }] });
        }
        Ok(Group { roster, now, tests })
    }

    /// Fills the empty expectation cells from what `router` decides for
    /// each row (in order), adding the usual columns to a table that has
    /// none, and writes the file back atomically. Returns how many cells
    /// were filled.
    ///
    /// # Errors
    /// When the leads cannot be read or the file cannot be written.
    pub fn bless(&mut self, program: &Program, router: &mut Router<'_>) -> Result<usize, CaseError> {
        let records = self.records(program)?;
        let present: Vec<bool> = COLUMNS.iter().map(|c| self.header.iter().any(|h| h.trim() == *c)).collect();
        let blessed: Vec<usize> = if present.iter().any(|p| *p) {
            (0..COLUMNS.len()).filter(|&i| present.get(i).copied().unwrap_or(false)).collect()
        } else {
            BLESS_ADDS.to_vec()
        };
        let mut filled = 0;
        for (row, record) in self.rows.iter_mut().zip(records) {
            let id = record.id.unwrap_or_else(|| record.record.to_string());
            let decision = match record.lead {
                Ok(mut lead) => {
                    router.derive(&mut lead);
                    router.route(id, &lead)
                }
                Err(error) => router.route_invalid(id, error),
            };
            for &i in &blessed {
                let Some(cell) = row.expect.get_mut(i) else { continue };
                if cell.is_empty() {
                    *cell = observed(&decision, i);
                    filled += usize::from(!cell.is_empty());
                }
            }
        }
        for &i in &blessed {
            if let Some(column) = COLUMNS.get(i).filter(|c| !self.header.iter().any(|h| h.trim() == **c)) {
                self.header.push((*column).to_string());
            }
        }
        self.write()?;
        Ok(filled)
    }

    /// The leads, read as `route eval` reads them, one per row.
    fn records(&self, program: &Program) -> Result<Vec<io::InputRecord>, CaseError> {
        let input = Box::new(std::io::Cursor::new(self.text.as_bytes()));
        let reader = io::leads(&program.schema, input, self.format)
            .map_err(|source| CaseError::Leads { path: self.path.clone(), source })?;
        let records: Vec<io::InputRecord> = reader.collect();
        if records.len() != self.rows.len() {
            return Err(CaseError::Misaligned {
                path: self.path.clone(),
                cells: self.rows.len(),
                leads: records.len(),
            });
        }
        Ok(records)
    }

    fn write(&self) -> Result<(), CaseError> {
        let text = match self.format {
            InputFormat::Csv => self.csv_text(),
            InputFormat::Jsonl => Ok(self.jsonl_text()),
        }
        .map_err(|source| CaseError::Io { path: self.path.clone(), source })?;
        write_atomically(&self.path, text.as_bytes())
            .map_err(|source| CaseError::Io { path: self.path.clone(), source })
    }

    fn csv_text(&self) -> std::io::Result<String> {
        let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        writer.write_record(&self.header)?;
        let column_of: Vec<Option<usize>> =
            COLUMNS.iter().map(|c| self.header.iter().position(|h| h.trim() == *c)).collect();
        for row in &self.rows {
            let Cells::Csv(cells) = &row.cells else { continue };
            let mut cells = cells.clone();
            for (expect, column) in row.expect.iter().zip(&column_of) {
                let Some(column) = *column else { continue };
                if cells.len() <= column {
                    cells.resize(column + 1, String::new());
                }
                if let Some(cell) = cells.get_mut(column) {
                    cell.clone_from(expect);
                }
            }
            writer.write_record(&cells)?;
        }
        writer.into_inner().map_err(|e| e.into_error()).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    fn jsonl_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        for row in &self.rows {
            let Cells::Jsonl(entries, original) = &row.cells else { continue };
            let Some(entries) = entries else {
                out.push_str(original);
                out.push('\n');
                continue;
            };
            let mut parts: Vec<String> = entries
                .iter()
                .filter(|(key, _)| !COLUMNS.contains(&key.as_str()))
                .map(|(key, raw)| format!("{}:{}", json_string(key), raw.get()))
                .collect();
            // Expectation keys go last, in column order, so a blessed line
            // reads the same on every run.
            for (i, column) in COLUMNS.iter().enumerate() {
                let value = row.expect.get(i).filter(|v| !v.is_empty());
                let had = entries.iter().position(|(key, _)| key == column);
                let Some(value) = value.map(|v| format!("{}:{}", json_string(column), json_string(v))) else {
                    if let Some(at) = had.and_then(|at| entries.get(at)) {
                        parts.push(format!("{}:{}", json_string(column), at.1.get()));
                    }
                    continue;
                };
                parts.push(value);
            }
            out.push('{');
            out.push_str(&parts.join(","));
            out.push_str("}\n");
        }
        out
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// What a decision shows for expectation column `i`.
fn observed(decision: &Decision, i: usize) -> String {
    let text = match i {
        0 => decision.rule.as_deref(),
        1 => decision.team.as_deref(),
        2 => decision.queue.as_deref(),
        3 => decision.assignee.as_deref(),
        _ => Some(decision.reason.as_str()),
    };
    text.unwrap_or_default().to_string()
}

fn expectations(
    row: &Row,
    names: &Names,
    sources: &SourceMap,
    file: FileId,
    diagnostics: &mut Diagnostics,
) -> Vec<Expectation> {
    let mut out = Vec::new();
    for (i, cell) in row.expect.iter().enumerate() {
        if cell.is_empty() {
            continue;
        }
        let span = cell_span(sources, file, row.line, cell);
        let expected = match i {
            0 => Expected::Rule(cell.clone()),
            1 => Expected::Team(cell.clone()),
            2 => Expected::Queue(cell.clone()),
            3 => Expected::Assignee(cell.clone()),
            _ => match reason(cell) {
                Some(reason) => Expected::Reason(reason),
                None => {
                    diagnostics.push(
                        Diagnostic::new(Code::CaseExpectation, span, format!("`{cell}` is not a reason"))
                            .label("in `expect_reason`")
                            .help("write matched, fallback, no_eligible_member, no_rule_matched or invalid"),
                    );
                    continue;
                }
            },
        };
        match names.check(&expected, span) {
            Ok(()) => out.push(Expectation { negated: false, expected }),
            Err(error) => diagnostics.push(*error),
        }
    }
    out
}

fn reason(text: &str) -> Option<Reason> {
    [Reason::Matched, Reason::Fallback, Reason::NoEligibleMember, Reason::NoRuleMatched, Reason::Invalid]
        .into_iter()
        .find(|r| r.as_str() == text)
}

/// The cell's text on its row's line, else the whole line.
fn cell_span(sources: &SourceMap, file: FileId, line: usize, cell: &str) -> Span {
    let Some(source) = sources.get(file) else { return Span::new(file, 0, 0) };
    let range = source.line_range(line.saturating_sub(1)).unwrap_or(0..0);
    let text = source.text.get(range.clone()).unwrap_or("");
    match text.rfind(cell) {
        Some(at) => Span::new(file, range.start + at, range.start + at + cell.len()),
        None => Span::new(file, range.start, range.start + text.trim_end().len()),
    }
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Row>) {
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(|c| c.trim_start_matches('\u{feff}').to_string()).collect())
        .unwrap_or_default();
    let column_of: Vec<Option<usize>> = COLUMNS.iter().map(|c| header.iter().position(|h| h.trim() == *c)).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let Ok(record) = record else { continue };
        // A line of only whitespace is no record for the lead reader either.
        if record.iter().all(|c| c.trim().is_empty()) && record.len() <= 1 {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line()).try_into().unwrap_or(usize::MAX);
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        let expect = std::array::from_fn(|i| {
            column_of
                .get(i)
                .copied()
                .flatten()
                .and_then(|c| cells.get(c))
                .map_or(String::new(), |c| c.trim().to_string())
        });
        rows.push(Row { line, cells: Cells::Csv(cells), expect });
    }
    (header, rows)
}

fn jsonl_rows(text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entries = serde_json::from_str::<Entries>(line).ok().map(|e| e.0);
        let expect = std::array::from_fn(|i| {
            let column = COLUMNS.get(i).copied().unwrap_or("");
            let raw = entries.as_ref().and_then(|e| e.iter().find(|(k, _)| k == column)).map(|(_, raw)| raw.get());
            match raw.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()) {
                Some(serde_json::Value::String(s)) => s.trim().to_string(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            }
        });
        rows.push(Row {
            line: index + 1,
            cells: Cells::Jsonl(entries, line.trim_end_matches('\r').to_string()),
            expect,
        });
    }
    rows
}

/// The expectation keys some line of a JSONL table has.
fn jsonl_columns(rows: &[Row]) -> Vec<String> {
    let has = |column: &str| {
        rows.iter().any(|row| match &row.cells {
            Cells::Jsonl(Some(entries), _) => entries.iter().any(|(key, _)| key == column),
            _ => false,
        })
    };
    COLUMNS.iter().filter(|c| has(c)).map(|c| (*c).to_string()).collect()
}

/// A JSON object's entries in file order, values kept as written.
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Ordered)
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: readers see the old file or the new one, never a mix.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.bless-{}", std::process::id()));
    let result = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match result.and_then(|()| std::fs::rename(&temp, path)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&temp);
            Err(error)
        }
    }
}
