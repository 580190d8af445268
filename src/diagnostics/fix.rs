//! Applying [`Fix`]es to a file's text: what `route check --fix` writes and
//! what the editor's code actions do one at a time.
//!
//! Fixes are applied in one pass from the end of the text to its start, so
//! each span still means the bytes it was computed for. Two fixes that
//! overlap cannot both be right about the text between them: the first
//! (by position) is applied and the other is left for the next round,
//! when the file is checked again and its diagnostics are recomputed.

use super::Fix;

/// The text with fixes applied, and how many were applied and left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The new text.
    pub text: String,
    /// Fixes applied (identical duplicates count once).
    pub applied: usize,
    /// Fixes left out because they overlap one applied before them.
    pub skipped: usize,
}

/// Applies the fixes of one file (spans of other files must be filtered
/// out by the caller). A fix whose span is not on char boundaries of
/// `text` is skipped: it was computed for another version of the file.
pub fn apply<'a>(text: &str, fixes: impl IntoIterator<Item = &'a Fix>) -> Applied {
    let mut fixes: Vec<&Fix> = fixes.into_iter().collect();
    fixes.sort_by_key(|f| (f.span.start, f.span.end));
    fixes.dedup_by(|a, b| a.span == b.span && a.replacement == b.replacement);
    let mut chosen: Vec<&Fix> = Vec::new();
    let mut skipped = 0;
    for fix in fixes {
        let valid = text.get(fix.span.range()).is_some();
        // Touching edits (one ends where the next starts) do not overlap,
        // except two insertions at the same place, whose order is unknown.
        let overlaps = chosen.last().is_some_and(|last| {
            fix.span.start < last.span.end || (fix.span.start == last.span.start && fix.span.start == fix.span.end)
        });
        if valid && !overlaps {
            chosen.push(fix);
        } else {
            skipped += 1;
        }
    }
    let mut out = text.to_string();
    for fix in chosen.iter().rev() {
        out.replace_range(fix.span.range(), &fix.replacement);
    }
    Applied { text: out, applied: chosen.len(), skipped }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn fix(start: usize, end: usize, replacement: &str) -> Fix {
        Fix { span: Span::new(FileId(0), start, end), replacement: replacement.into(), message: String::new() }
    }

    #[test]
    fn applies_from_the_end_and_leaves_overlaps_for_the_next_round() {
        let text = "when regon == 1 -> team sales via weigthed";
        let fixes =
            [fix(34, 42, "weighted"), fix(5, 10, "region"), fix(5, 10, "region"), fix(7, 12, "other"), fix(3, 3, "!")];
        let applied = apply(text, &fixes);
        assert_eq!(applied.text, "whe!n region == 1 -> team sales via weighted");
        assert_eq!((applied.applied, applied.skipped), (3, 1));
    }

    #[test]
    fn stale_spans_are_skipped() {
        let applied = apply("é", &[fix(1, 2, "x"), fix(0, 9, "y")]);
        assert_eq!((applied.text.as_str(), applied.applied, applied.skipped), ("é", 0, 2));
    }
}
