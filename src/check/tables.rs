//! CSV files behind `lookup` and `table` declarations: one reader for both
//! (confined and bounded by [`ProjectFiles`]), then a lookup keeps two
//! columns as text and a table coerces every cell to its column's type
//! (LANGUAGE.md §11), at check time, so a bad cell is an error before any
//! lead is routed.
//!
//! Cells are read like lead values: trimmed, and empty cells and the
//! schema's `missing:` markers are absent. A row whose key is absent is
//! skipped. A key that appears twice is an error for a table (two rows
//! cannot both be "the account's row"); for a lookup only when the two
//! values differ, as before.

use rustc_hash::FxHashMap;

use super::files::{self, FileError, ProjectFiles};
use super::program::{Lookup, Table};
use super::resolve::{field_type, time_format, Declarations};
use crate::diagnostics::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::io::Coercer;
use crate::schema::{Field, FieldId, Schema, Value};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Ident, StrLit};

/// A CSV file read for a declaration: its header and records.
struct CsvFile {
    /// Header cells, trimmed (a byte-order mark dropped).
    headers: Vec<String>,
    /// Records with their 1-based line numbers.
    records: Vec<(u64, csv::StringRecord)>,
    /// Whether diagnostics may quote the file's content.
    echo: bool,
}

/// Reads the CSV file `path` names (relative to the declaring file),
/// reporting why when it cannot.
fn read_csv(
    path: &StrLit,
    used_as: files::Use,
    sources: &SourceMap,
    files: &dyn ProjectFiles,
    diagnostics: &mut Diagnostics,
) -> Option<CsvFile> {
    let dir =
        sources.get(path.span.file).and_then(|f| f.path.parent().map(std::path::Path::to_path_buf)).unwrap_or_default();
    let resolved = dir.join(&path.value);
    let file_error = |error: FileError| files::refused(&error, used_as, &path.value, &resolved, path.span);
    let read = match files.read_table(&resolved) {
        Ok(read) => read,
        Err(error) => {
            diagnostics.push(file_error(error));
            return None;
        }
    };
    let csv_error =
        |error: csv::Error| file_error(FileError::Io(std::io::Error::other(error.to_string().to_lowercase())));
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(read.content.as_slice());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim_start_matches('\u{feff}').to_string()).collect(),
        Err(error) => {
            diagnostics.push(csv_error(error));
            return None;
        }
    };
    let mut records = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => records.push((r.position().map_or(0, csv::Position::line), r)),
            Err(error) => {
                diagnostics.push(csv_error(error));
                return None;
            }
        }
    }
    Some(CsvFile { headers, records, echo: read.echo })
}

impl CsvFile {
    /// The index of the header `name`, or an error naming the columns (and
    /// the closest one) when the file may be quoted.
    fn column(
        &self,
        path: &StrLit,
        name: &str,
        span: Span,
        code: Code,
        diagnostics: &mut Diagnostics,
    ) -> Option<usize> {
        let found = self.headers.iter().position(|h| h == name);
        if found.is_none() {
            let diagnostic = Diagnostic::new(code, span, format!("`{}` has no column `{name}`", path.value))
                .label("column not found");
            diagnostics.push(if self.echo {
                diagnostic
                    .note(format!("the columns are: {}", self.headers.join(", ")))
                    .maybe_help(did_you_mean(name, self.headers.iter().map(String::as_str)))
            } else {
                diagnostic.note("the file is outside the project directory: its content is not shown")
            });
        }
        found
    }
}

/// Loads every lookup CSV, checking its columns and keys.
///
/// A row whose value cell is empty or one of the schema's `missing:` markers
/// is absent, as it would be in a lead: the key is not in the lookup, so
/// `in LOOKUP` is false for it and `-> rep LOOKUP[key]` takes the fallback
/// instead of routing to a rep called `""`.
pub fn lookups(
    decls: &Declarations<'_>,
    schema: &Schema,
    sources: &SourceMap,
    files: &dyn ProjectFiles,
    diagnostics: &mut Diagnostics,
) -> Vec<Lookup> {
    decls
        .lookups
        .iter()
        .map(|decl| {
            let entries = load_lookup(decl, schema, sources, files, diagnostics).unwrap_or_default();
            Lookup { name: decl.name.name.clone(), entries, span: decl.name.span }
        })
        .collect()
}

fn load_lookup(
    decl: &ast::LookupDecl,
    schema: &Schema,
    sources: &SourceMap,
    files: &dyn ProjectFiles,
    diagnostics: &mut Diagnostics,
) -> Option<FxHashMap<String, String>> {
    let file = read_csv(&decl.path, files::Use::Lookup, sources, files, diagnostics)?;
    let mut column = |name: &Ident| file.column(&decl.path, &name.name, name.span, Code::LookupColumn, diagnostics);
    let (key, value) = (column(&decl.key), column(&decl.value));
    let (key, value) = (key?, value?);
    let mut entries: FxHashMap<String, String> = FxHashMap::default();
    let mut first_line: FxHashMap<String, u64> = FxHashMap::default();
    for (line, record) in &file.records {
        let (Some(k), Some(v)) = (record.get(key), record.get(value)) else { continue };
        if k.is_empty() || v.is_empty() || schema.is_missing_marker(k) || schema.is_missing_marker(v) {
            continue;
        }
        match entries.get(k) {
            Some(existing) if existing != v => diagnostics.push(
                Diagnostic::new(
                    Code::LookupDuplicateKey,
                    decl.path.span,
                    if file.echo {
                        format!("key `{k}` appears twice in `{}` with different values", decl.path.value)
                    } else {
                        format!("a key appears twice in `{}` with different values", decl.path.value)
                    },
                )
                .label(duplicate_label(file.echo, first_line.get(k).copied().unwrap_or(0), existing, *line, v))
                .help("each key must map to one value; remove or reconcile one of the rows"),
            ),
            Some(_) => {}
            None => {
                first_line.insert(k.to_string(), *line);
                entries.insert(k.to_string(), v.to_string());
            }
        }
    }
    Some(entries)
}

/// The label of a duplicate lookup key: the two values when the file's
/// content may be shown, the line numbers only otherwise.
fn duplicate_label(echo: bool, first: u64, existing: &str, line: u64, value: &str) -> String {
    if echo {
        format!("line {first} says `{existing}`, line {line} says `{value}`")
    } else {
        format!("lines {first} and {line} differ")
    }
}

/// Loads every table, typing its columns into `schema`'s enums (a table's
/// enum column is an enum like a field's) and coercing every cell.
pub fn tables(
    decls: &Declarations<'_>,
    schema: &mut Schema,
    sources: &SourceMap,
    files: &dyn ProjectFiles,
    diagnostics: &mut Diagnostics,
) -> Vec<Table> {
    decls
        .tables
        .iter()
        .map(|decl| {
            let columns = table_columns(decl, schema, diagnostics);
            let mut table = Table {
                name: decl.name.name.clone(),
                columns,
                key: decl.key.name.clone(),
                case_insensitive: decl.case_insensitive,
                keys: Vec::new(),
                rows: Vec::new(),
                index: FxHashMap::default(),
                span: decl.name.span,
            };
            load_rows(decl, &mut table, schema, sources, files, diagnostics);
            table
        })
        .collect()
}

/// The declared columns as fields (`column` is the CSV header), duplicate
/// names reported.
fn table_columns(decl: &ast::TableDecl, schema: &mut Schema, diagnostics: &mut Diagnostics) -> Vec<Field> {
    let mut columns: Vec<Field> = Vec::new();
    for column in &decl.columns {
        if let Some(first) = columns.iter().find(|c| c.name == column.name.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateField,
                    column.name.span,
                    format!("column `{}` is declared twice in table `{}`", column.name.name, decl.name.name),
                )
                .label("declared again here")
                .with_label(first.span, "first declared here"),
            );
            continue;
        }
        let ty = field_type(&column.ty, &mut schema.enums);
        let format = column.format.as_ref().and_then(|format| time_format(column, ty, format, diagnostics));
        columns.push(Field {
            name: column.name.name.clone(),
            column: column.from.as_ref().map_or_else(|| column.name.name.clone(), |f| f.value.trim().to_string()),
            ty,
            optional: column.optional,
            format,
            span: column.name.span,
        });
    }
    columns
}

/// Reads the table's file into `table`: every cell coerced, keys indexed.
fn load_rows(
    decl: &ast::TableDecl,
    table: &mut Table,
    schema: &Schema,
    sources: &SourceMap,
    files: &dyn ProjectFiles,
    diagnostics: &mut Diagnostics,
) {
    let Some(file) = read_csv(&decl.path, files::Use::Table, sources, files, diagnostics) else { return };
    let key = file.column(&decl.path, &decl.key.name, decl.key.span, Code::TableColumnMissing, diagnostics);
    let positions: Vec<Option<usize>> = table
        .columns
        .iter()
        .zip(&decl.columns)
        .map(|(c, d)| {
            let span = d.from.as_ref().map_or(d.name.span, |f| f.span);
            file.column(&decl.path, &c.column, span, Code::TableColumnMissing, diagnostics)
        })
        .collect();
    let (Some(key), Some(positions)) = (key, positions.into_iter().collect::<Option<Vec<usize>>>()) else { return };
    // The cells are coerced exactly as lead values are: a schema of the
    // table's columns, with the project's enums and `missing:` markers.
    let cell_schema = Schema {
        fields: table.columns.clone(),
        enums: schema.enums.clone(),
        missing: schema.missing.clone(),
        ..Schema::default()
    };
    let mut coercer = Coercer::new(&cell_schema);
    let mut first_line: FxHashMap<String, u64> = FxHashMap::default();
    let mut bad_cells = 0usize;
    for (line, record) in &file.records {
        let Some(key_text) = record.get(key).filter(|k| !k.is_empty() && !schema.is_missing_marker(k)) else {
            continue;
        };
        let mut row = Vec::with_capacity(positions.len());
        for (index, &position) in positions.iter().enumerate() {
            let field = FieldId(u32::try_from(index).unwrap_or(u32::MAX));
            match coercer.cell(field, record.get(position).unwrap_or("")) {
                Ok(value) => row.push(value),
                Err(error) => {
                    bad_cells += 1;
                    if bad_cells <= MAX_CELL_ERRORS {
                        diagnostics.push(bad_cell(decl, table, index, *line, &error, file.echo));
                    }
                    row.push(Value::Absent);
                }
            }
        }
        let normalised = if table.case_insensitive { key_text.to_lowercase() } else { key_text.to_string() };
        if let Some(first) = first_line.get(&normalised) {
            diagnostics.push(duplicate_key(decl, key_text, *first, *line, file.echo));
            continue;
        }
        first_line.insert(normalised.clone(), *line);
        table.index.insert(normalised, u32::try_from(table.keys.len()).unwrap_or(u32::MAX));
        table.keys.push(key_text.to_string());
        table.rows.push(row);
    }
    if bad_cells > MAX_CELL_ERRORS {
        diagnostics.push(
            Diagnostic::new(
                Code::BadCell,
                decl.path.span,
                format!("`{}` has {bad_cells} cells that do not fit their columns", decl.path.value),
            )
            .label(format!("the first {MAX_CELL_ERRORS} are reported")),
        );
    }
}

/// Bad cells reported one by one per table; past it, one summary.
const MAX_CELL_ERRORS: usize = 10;

/// `E0605`: a cell that is not a value of its column's type.
fn bad_cell(
    decl: &ast::TableDecl,
    table: &Table,
    index: usize,
    line: u64,
    error: &crate::io::FieldError,
    echo: bool,
) -> Diagnostic {
    let column = table.columns.get(index);
    let name = column.map_or("?", |c| c.name.as_str());
    let header = column.map_or("?", |c| c.column.as_str());
    let shown = match (&error.value, echo) {
        (Some(value), true) => format!(" `{}`", crate::io::shown(value)),
        _ => String::new(),
    };
    let (message, label) = if error.value.is_none() {
        // Coercion found nothing there: an empty cell or a missing marker.
        (
            format!("the cell is empty, but column `{name}` is required"),
            "empty cell in a column without `?`".to_string(),
        )
    } else {
        let label = if echo { error.message.clone() } else { "not a value of the column's type".to_string() };
        (format!("the cell{shown} does not fit column `{name}`"), label)
    };
    let mut diagnostic = Diagnostic::new(
        Code::BadCell,
        decl.path.span,
        format!("`{}` line {line}, column `{header}`: {message}", decl.path.value),
    )
    .label(label);
    if let Some(column) = column {
        diagnostic = diagnostic.with_label(column.span, "column declared here");
    }
    diagnostic.help("fix the cell, or declare the column with the type its cells have (`?` if it may be empty)")
}

/// `E0606`: a table key on two rows.
fn duplicate_key(decl: &ast::TableDecl, key: &str, first: u64, line: u64, echo: bool) -> Diagnostic {
    let message = if echo {
        format!("key `{}` appears twice in `{}`", crate::io::shown(key), decl.path.value)
    } else {
        format!("a key appears twice in `{}`", decl.path.value)
    };
    let case = if decl.case_insensitive { " (keys compared ignoring case)" } else { "" };
    Diagnostic::new(Code::TableDuplicateKey, decl.path.span, message)
        .label(format!("lines {first} and {line}{case}"))
        .with_label(decl.key.span, "the key column")
        .help("a key names one row; remove or merge one of the rows, or key the table by a column that is unique")
}
