//! What the author wrote besides declarations: comments, blank lines, and
//! invisible bidirectional-control characters (gleam's `ModuleExtra`).
//!
//! Built in the same linear scan that splits declarations
//! ([`super::split::scan`]) and kept beside the AST in
//! [`super::Module::trivia`], so the formatter can put comments and blank
//! lines back where they were and a language server can show doc comments.
//! Declarations never compare trivia.

use std::ops::Range;

/// Comments and blank lines of one file, in source order.
#[derive(Debug, Clone, Default)]
pub struct Trivia {
    /// Each `#` comment: from the `#` to the end of its line (newline and a
    /// trailing `\r` excluded).
    pub comments: Vec<Range<usize>>,
    /// The byte offset where each blank (whitespace-only) line starts.
    pub blank_lines: Vec<usize>,
    /// Bidirectional-control characters (Trojan Source), with their offset.
    pub bidi: Vec<(usize, char)>,
}

impl Trivia {
    /// The comments that start in `range`: e.g. the leading (doc) comments
    /// of a declaration are those between the previous one's end and its
    /// start.
    pub fn comments_in(&self, range: Range<usize>) -> &[Range<usize>] {
        let first = self.comments.partition_point(|c| c.start < range.start);
        let last = self.comments.partition_point(|c| c.start < range.end);
        self.comments.get(first..last.max(first)).unwrap_or_default()
    }

    /// The doc comments of a node starting at `start`: the comment lines
    /// directly above it, with no blank line or code in between.
    pub fn doc_comments<'t>(&'t self, text: &str, start: usize) -> &'t [Range<usize>] {
        let end = self.comments.partition_point(|c| c.start < start);
        let mut first = end;
        let mut next_start = start;
        while let Some(comment) = first.checked_sub(1).and_then(|i| self.comments.get(i)) {
            let between = text.get(comment.end..next_start).unwrap_or("x");
            // Only the line break (and indentation) may separate them.
            if between.chars().any(|c| !c.is_whitespace()) || between.matches('\n').count() != 1 {
                break;
            }
            let line_start = text.get(..comment.start).map_or(0, |t| t.rfind('\n').map_or(0, |n| n + 1));
            if text.get(line_start..comment.start).is_none_or(|t| !t.trim().is_empty()) {
                break; // a trailing comment of the line above, not a doc comment
            }
            first -= 1;
            next_start = comment.start;
        }
        self.comments.get(first..end).unwrap_or_default()
    }

    /// The blank lines that start in `range` (binary search).
    pub fn blank_lines_in(&self, range: Range<usize>) -> &[usize] {
        let first = self.blank_lines.partition_point(|&b| b < range.start);
        let last = self.blank_lines.partition_point(|&b| b < range.end);
        self.blank_lines.get(first..last.max(first)).unwrap_or_default()
    }
}

/// The characters that reorder how text is displayed (Unicode bidi
/// embeddings, overrides and isolates, and the invisible direction marks):
/// a rule containing one can read differently in review than it runs.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The Unicode name of a bidi control, for messages.
pub fn bidi_name(c: char) -> &'static str {
    match c {
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        _ => "ARABIC LETTER MARK",
    }
}

/// Blank lines and bidi controls: line ends found by `memchr`, each line
/// read only up to its first character that is not white space, and the
/// characters decoded only when the text is not ASCII (every bidi control
/// is outside it). Decoding every character of the text was 1.8% of
/// loading a 10,000-rule file.
pub(super) fn lines_and_bidi(text: &str, trivia: &mut Trivia) {
    let mut line_start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        let line = text.get(line_start..end).unwrap_or("");
        if line.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\u{feff}')) {
            trivia.blank_lines.push(line_start);
        }
        line_start = end + 1;
    }
    if !text.is_ascii() {
        trivia.bidi.extend(text.char_indices().filter(|&(_, c)| is_bidi_control(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_blank_lines_and_bidi_controls() {
        let mut trivia = Trivia::default();
        lines_and_bidi("a\n\n  \nb \u{202E}x\n", &mut trivia);
        assert_eq!(trivia.blank_lines, vec![2, 3]);
        assert_eq!(trivia.bidi, vec![(8, '\u{202E}')]);
    }

    proptest::proptest! {
        /// The same lines and controls as reading every character in one
        /// pass (the reference), on text made of line ends, white space,
        /// a byte-order mark, letters and bidi controls.
        #[test]
        fn blank_lines_and_bidi_agree_with_a_pass_over_every_character(
            chars in proptest::collection::vec(
                proptest::sample::select(vec!['\n', ' ', '\t', '\r', '\u{feff}', 'a', 'é', '\u{202E}', '\u{2066}']),
                0..40,
            )
        ) {
            let text: String = chars.into_iter().collect();
            let (mut blank_lines, mut bidi, mut line_start, mut blank) = (Vec::new(), Vec::new(), 0, true);
            for (i, c) in text.char_indices() {
                match c {
                    '\n' => {
                        if blank {
                            blank_lines.push(line_start);
                        }
                        (line_start, blank) = (i + 1, true);
                    }
                    ' ' | '\t' | '\r' | '\u{feff}' => {}
                    _ => {
                        blank = false;
                        if is_bidi_control(c) {
                            bidi.push((i, c));
                        }
                    }
                }
            }
            let mut trivia = Trivia::default();
            lines_and_bidi(&text, &mut trivia);
            proptest::prop_assert_eq!(trivia.blank_lines, blank_lines);
            proptest::prop_assert_eq!(trivia.bidi, bidi);
        }
    }

    #[test]
    fn doc_comments_are_the_comment_lines_directly_above() {
        let text = "# file header\n\n# doc one\n  # doc two\nteam a = [\"x\"]  # trailing\nlet b = x\n";
        let scan = crate::syntax::split::scan(text);
        let team = text.find("team").unwrap_or(0);
        let docs: Vec<&str> = scan.trivia.doc_comments(text, team).iter().filter_map(|c| text.get(c.clone())).collect();
        assert_eq!(docs, ["# doc one", "# doc two"]);
        let let_b = text.find("let").unwrap_or(0);
        assert!(scan.trivia.doc_comments(text, let_b).is_empty());
    }

    #[test]
    fn comments_in_a_range() {
        let trivia = Trivia { comments: vec![0..3, 10..12, 20..25], ..Trivia::default() };
        assert_eq!(trivia.comments_in(5..21), &[10..12, 20..25]);
        assert!(trivia.comments_in(13..20).is_empty());
    }
}
