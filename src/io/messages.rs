//! Every message text of the io stage, in one place (STYLE.md §6): lowercase,
//! no final period, one line, user input in backticks.

use std::fmt::Write as _;

use crate::schema::dates::TimeKind;
use crate::schema::EnumType;

/// At most this many characters of a user value are quoted in a message (the
/// full value stays in `LeadError::value`).
const SHOWN_CHARS: usize = 60;

/// At most this many enum values are listed in "is not one of" messages.
const LISTED_VALUES: usize = 12;

/// A user value as shown inside backticks: control characters escaped (so a
/// message stays on one line) and long values cut.
pub(crate) fn shown(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(SHOWN_CHARS + 8));
    for (count, c) in value.chars().enumerate() {
        if count == SHOWN_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that print as nothing or as a plain space, or reorder the
/// text around them (bidi controls): shown escaped, so that a message
/// about `a\u{a0}b` does not look like one about `a b`.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{a0}' | '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{1680}' | '\u{180e}'
        | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}' | '\u{205f}'..='\u{206f}' | '\u{3000}'
        | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}')
}

/// A field's error message with the field named first (every lead error
/// names its subject), unless the message names it already.
pub(crate) fn about_field(field: &str, message: &str) -> String {
    if message.contains(&format!("`{field}`")) {
        message.to_string()
    } else {
        format!("field `{field}`: {message}")
    }
}

/// The kind of problem that made a lead invalid, for counts: `missing`
/// (a required field absent), `bad value`, or `unreadable` (no field to
/// blame: a ragged row, a line that is not a JSON object).
pub(crate) fn problem(error: &crate::eval::LeadError) -> &'static str {
    match &error.field {
        None => "unreadable",
        Some(field) if error.value.is_none() && error.message == missing_required(field) => "missing",
        Some(_) => "bad value",
    }
}

pub(crate) fn missing_required(field: &str) -> String {
    format!("missing required field `{field}`")
}

pub(crate) fn not_integer(value: &str) -> String {
    format!("value `{}` is not an integer", shown(value))
}

pub(crate) fn not_whole(value: &str) -> String {
    format!("value `{}` is not a whole number (an int field takes no fraction)", shown(value))
}

pub(crate) fn integer_out_of_range(value: &str) -> String {
    format!("value `{}` is out of range for an integer", shown(value))
}

pub(crate) fn not_number(value: &str) -> String {
    format!("value `{}` is not a number", shown(value))
}

pub(crate) fn number_out_of_range(value: &str) -> String {
    format!("value `{}` is out of range for a number", shown(value))
}

pub(crate) fn not_a_date(kind: TimeKind, format: Option<&str>, value: &str) -> String {
    let expected = match format {
        Some(format) => format!("`{format}` or {}", kind.iso_example()),
        None => kind.iso_example().to_string(),
    };
    format!("value `{}` is not a {} (expected {expected})", shown(value), kind.name())
}

pub(crate) fn not_bool(value: &str) -> String {
    format!("value `{}` is not a boolean (true/false, yes/no, 1/0)", shown(value))
}

pub(crate) fn not_in_enum(value: &str, ty: &EnumType) -> String {
    let mut out = format!("value `{}` is not one of ", shown(value));
    for (i, v) in ty.values.iter().take(LISTED_VALUES).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(v);
    }
    if ty.values.len() > LISTED_VALUES {
        let _ = write!(out, " (and {} more)", ty.values.len() - LISTED_VALUES);
    }
    out
}

pub(crate) fn not_utf8() -> String {
    "value is not valid UTF-8".to_string()
}

/// A JSON list or object where one value is expected.
pub(crate) fn expected_single(found: &str) -> String {
    format!("expected a single value, found {found}")
}

/// A JSON value other than an array or a string for a list field.
pub(crate) fn expected_list(found: &str) -> String {
    format!("expected a list, found {found}")
}

/// A JSON list or object inside a list.
pub(crate) fn nested_in_list(found: &str) -> String {
    format!("a list element must be a single value, found {found}")
}

pub(crate) fn ragged(fields: usize, header: usize) -> String {
    let noun = if fields == 1 { "field" } else { "fields" };
    format!("row has {fields} {noun}, header has {header}")
}

pub(crate) fn unterminated_first(last_line: u64) -> String {
    format!("unterminated quote: a quoted field starting on this line runs to line {last_line}")
}

pub(crate) fn unterminated_inside(first_line: u64) -> String {
    format!("unterminated quote: this line is inside a quoted field that starts on line {first_line}")
}

pub(crate) fn ambiguous_first(last_line: u64) -> String {
    format!(
        "ambiguous quotes: a quoted field starting on this line runs to line {last_line} over lines that look like rows of their own"
    )
}

pub(crate) fn ambiguous_inside(first_line: u64) -> String {
    format!("ambiguous quotes: this line is inside a quoted field that starts on line {first_line}")
}

pub(crate) fn line_too_long(limit: usize) -> String {
    format!("line is longer than the limit of {} (skipped unread)", bytes(limit))
}

pub(crate) fn record_too_big(limit: usize, fields: usize) -> String {
    format!(
        "record starting on this line grows beyond the limit of {} or {fields} fields (skipped unread; an unclosed quote?)",
        bytes(limit)
    )
}

/// A byte count for messages: whole MiB when it is one.
fn bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// The warning for an optional field without a CSV column.
pub(crate) fn unmapped_field(field: &str, column: &str, suggestion: Option<&str>) -> String {
    let mut out = if field == column {
        format!("optional field `{field}` has no column in the CSV header, so it is absent for every lead")
    } else {
        format!("optional field `{field}` (column `{column}`) has no column in the CSV header, so it is absent for every lead")
    };
    if let Some(suggestion) = suggestion {
        let _ = write!(out, "; did you mean `{}`?", shown(suggestion));
    }
    out
}

pub(crate) fn not_object(found: &str) -> String {
    format!("expected a JSON object, found {found}")
}

/// serde_json's message without its " at line L column C" suffix (a JSONL
/// record is one line; the record carries its line).
pub(crate) fn invalid_json(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) => text.get(..at).unwrap_or(&text),
        None => &text,
    };
    if error.column() > 0 {
        format!("invalid JSON: {text} (column {})", error.column())
    } else {
        format!("invalid JSON: {text}")
    }
}

pub(crate) fn read_failed(error: &std::io::Error) -> String {
    format!("could not read the rest of the input: {error}")
}

/// One missing required column, for [`crate::io::ReadError::MissingColumns`].
pub(crate) fn missing_column(field: &str, column: &str) -> String {
    if field == column {
        format!("`{column}`")
    } else {
        format!("`{column}` (field `{field}`)")
    }
}

/// The help of [`crate::io::ReadError::MissingColumns`]: what the header has.
pub(crate) fn header_columns(header: &[String]) -> String {
    const LISTED: usize = 20;
    let mut out = String::from("columns match exactly, else ignoring case; the header has ");
    let named: Vec<&String> = header.iter().filter(|c| !c.is_empty()).collect();
    if named.is_empty() {
        out.push_str("no named columns");
        return out;
    }
    for (i, column) in named.iter().take(LISTED).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "`{}`", shown(column));
    }
    if named.len() > LISTED {
        let _ = write!(out, " (and {} more)", named.len() - LISTED);
    }
    out
}

/// The hint when a CSV header seems to use another separator.
pub(crate) fn delimiter_hint(separator: u8) -> String {
    let shown = if separator == b'\t' { "\\t".to_string() } else { char::from(separator).to_string() };
    format!("the header looks `{shown}`-separated: try `--delimiter '{shown}'`")
}

/// The help of an unknown `--keep` column.
pub(crate) fn keep_help(suggestion: Option<&str>, names: &[String]) -> String {
    let columns = header_columns(names);
    match suggestion {
        Some(name) => format!("did you mean `{name}`? {columns}"),
        None => columns,
    }
}

/// A batch framed by one format's reader cooked as the other's (a bug,
/// said rather than hidden).
pub(crate) fn other_format() -> String {
    "internal error: a record framed for another input format".to_string()
}
