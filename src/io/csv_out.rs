//! The CSV decision record written directly into a byte buffer: the
//! columns of [`CSV_HEADER`](super::write::CSV_HEADER) and the optional ones
//! after them, each cell quoted as the csv crate's writer quotes it by
//! default (only a cell holding a comma, a quote, a CR or an LF, its quotes
//! doubled; records end with `\n`), so the bytes are those `csv::Writer`
//! writes for the same cells (a property test holds the two together)
//! without its per-field state machine, which took a third more time than
//! routing a lead and writing its JSONL record. The fields from `rule` to
//! `reason` are copied from the [`Tails`] written before.

use std::ops::ControlFlow;

use super::json_out::{push_u64, target_name};
use super::sixteen;
use super::tails::Tails;
use crate::eval::Decision;

/// Appends one cell, quoted only when it holds a byte that needs it.
pub(crate) fn push_cell(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if !needs_quotes(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for piece in bytes.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(piece);
        if piece.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Appends a comma and the next cell.
pub(crate) fn push_next_cell(out: &mut Vec<u8>, text: &str) {
    out.push(b',');
    push_cell(out, text);
}

/// Whether a cell must be quoted: it holds the delimiter, a quote, or a
/// line end (CR too, which readers take for one). Sixteen bytes a step
/// ([`sixteen`]): ids and names are mostly longer than a few bytes.
fn needs_quotes(bytes: &[u8]) -> bool {
    sixteen::each_chunk(bytes, b'a', |_, chunk| {
        let special = sixteen::matches(chunk, b',')
            | sixteen::matches(chunk, b'"')
            | sixteen::matches(chunk, b'\n')
            | sixteen::matches(chunk, b'\r');
        if special != 0 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// Appends a record of `cells` and its line end.
pub(crate) fn push_record<'a>(out: &mut Vec<u8>, cells: impl IntoIterator<Item = &'a str>) {
    let mut cells = cells.into_iter();
    push_cell(out, cells.next().unwrap_or_default());
    for cell in cells {
        push_next_cell(out, cell);
    }
    out.push(b'\n');
}

/// Appends a decision's cells from `lead` to `error_message` (no line
/// end: the optional columns follow).
pub(crate) fn push_decision(out: &mut Vec<u8>, tails: &mut Tails, decision: &Decision) {
    push_cell(out, &decision.lead);
    tails.push(out, decision, push_tail);
    let error = decision.error.as_deref();
    for cell in [
        error.and_then(|e| e.field.as_deref()),
        error.and_then(|e| e.value.as_deref()),
        error.map(|e| e.message.as_str()),
    ] {
        push_next_cell(out, cell.unwrap_or_default());
    }
}

/// The cells from `rule` to `reason`, each after its comma.
fn push_tail(out: &mut Vec<u8>, decision: &Decision) {
    push_next_cell(out, decision.rule.as_deref().unwrap_or_default());
    out.push(b',');
    if let Some(line) = decision.line {
        push_u64(out, u64::from(line));
    }
    for cell in [
        decision.target.map(target_name),
        decision.team.as_deref(),
        decision.queue.as_deref(),
        decision.assignee.as_deref(),
        decision.strategy,
        Some(if decision.fallback { "true" } else { "false" }),
        Some(decision.reason.as_str()),
    ] {
        push_next_cell(out, cell.unwrap_or_default());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests may fail loudly")]
mod tests {
    use proptest::prelude::*;

    use super::push_record;

    proptest! {
        /// Any cells come out as the csv crate's writer writes them (two
        /// or more: a record of one empty cell, which it quotes, is never
        /// written here).
        #[test]
        fn cells_are_quoted_as_the_csv_crate_quotes_them(
            cells in proptest::collection::vec("[a-z,\"\r\n \t\u{e9}]{0,40}", 2..8),
        ) {
            let mut ours = Vec::new();
            push_record(&mut ours, cells.iter().map(String::as_str));
            let mut theirs = csv::Writer::from_writer(Vec::new());
            theirs.write_record(&cells).unwrap();
            prop_assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs.into_inner().unwrap()).unwrap());
        }
    }
}
