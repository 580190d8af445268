//! Lines and the alignment passes: the last step of the formatter.
//!
//! The printer emits [`Line`]s; [`render`] pads them so that, in a run of
//! consecutive one-line rules (or teams) at one indentation, the `->` (or
//! `=`) line up, and trailing comments in a run line up too, so a block of
//! rules reads like a decision table. A run ends at a blank line, a comment
//! line, a line of another kind, or another indentation.

/// The line width the layout aims for (a single long predicate may exceed it).
pub const WIDTH: usize = 100;

/// One indentation step.
pub const INDENT: &str = "  ";

/// What a line's alignment point separates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `HEAD -> ACTION` of a one-line rule.
    Arrow,
    /// `team NAME = [...]`.
    Equals,
}

/// One output line.
#[derive(Debug, Clone)]
pub enum Line {
    /// Code, with an optional alignment point and trailing comment.
    Code {
        /// Indentation depth.
        depth: usize,
        /// The text before the alignment point (or all of it).
        head: String,
        /// The aligned rest (starting with its separator, e.g. `-> ...`).
        tail: Option<(Align, String)>,
        /// A `#` comment after the code.
        comment: Option<String>,
    },
    /// A comment on its own line.
    Comment { depth: usize, text: String },
    /// One blank line (runs of blank lines are kept as one).
    Blank,
}

impl Line {
    /// Plain code without alignment.
    pub fn code(depth: usize, text: String) -> Line {
        Line::Code { depth, head: text, tail: None, comment: None }
    }
}

/// Renders lines to text, aligning runs. Ends with one newline.
pub fn render(lines: &[Line]) -> String {
    let heads = aligned_heads(lines);
    let codes: Vec<String> = lines
        .iter()
        .zip(&heads)
        .map(|(line, head_width)| match line {
            Line::Code { depth, head, tail, .. } => {
                let mut text = INDENT.repeat(*depth);
                text.push_str(head);
                if let Some((_, tail)) = tail {
                    let pad = head_width.unwrap_or(head.chars().count()).saturating_sub(head.chars().count());
                    text.push_str(&" ".repeat(pad + 1));
                    text.push_str(tail);
                }
                text
            }
            Line::Comment { depth, text } => format!("{}{text}", INDENT.repeat(*depth)),
            Line::Blank => String::new(),
        })
        .collect();
    let comment_columns = comment_columns(lines, &codes);
    let mut out = String::new();
    for ((line, code), column) in lines.iter().zip(&codes).zip(comment_columns) {
        out.push_str(code);
        if let Line::Code { comment: Some(comment), .. } = line {
            let pad = column.saturating_sub(last_line_width(code)).max(1);
            out.push_str(&" ".repeat(pad));
            out.push_str(comment);
        }
        out.push('\n');
    }
    out
}

/// Runs of consecutive lines: maximal ranges where `key` gives the same
/// `Some` value.
fn runs<K: PartialEq>(lines: &[Line], key: impl Fn(&Line) -> Option<K>) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        let Some(k) = lines.get(start).and_then(&key) else {
            start += 1;
            continue;
        };
        let mut end = start + 1;
        while lines.get(end).and_then(&key).is_some_and(|other| other == k) {
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// For each line with an alignment point, the width its head is padded to:
/// the widest head of its run, unless that would push a line past
/// [`WIDTH`] (then the run is left unaligned).
fn aligned_heads(lines: &[Line]) -> Vec<Option<usize>> {
    let mut widths = vec![None; lines.len()];
    let key = |line: &Line| match line {
        Line::Code { depth, tail: Some((align, _)), .. } => Some((*depth, *align)),
        _ => None,
    };
    for run in runs(lines, key) {
        let members: Vec<(usize, usize, usize)> = run
            .clone()
            .filter_map(|i| match lines.get(i) {
                Some(Line::Code { depth, head, tail: Some((_, tail)), .. }) => {
                    Some((i, depth * INDENT.len() + head.chars().count(), tail.chars().count()))
                }
                _ => None,
            })
            .collect();
        let widest = members.iter().map(|&(_, head, _)| head).max().unwrap_or(0);
        if members.iter().all(|&(_, _, tail)| widest + 1 + tail <= WIDTH) {
            for &(i, _, _) in &members {
                if let (Some(slot), Some(Line::Code { depth, .. })) = (widths.get_mut(i), lines.get(i)) {
                    *slot = Some(widest - depth * INDENT.len());
                }
            }
        }
    }
    widths
}

/// A trailing comment follows the last line of code written as is over
/// several lines.
fn last_line_width(code: &str) -> usize {
    code.rsplit('\n').next().unwrap_or("").chars().count()
}

/// The column each trailing comment starts at: two spaces after the widest
/// code among the commented lines of its run (consecutive code lines at one
/// indentation).
fn comment_columns(lines: &[Line], codes: &[String]) -> Vec<usize> {
    let mut columns = vec![0; lines.len()];
    let key = |line: &Line| match line {
        Line::Code { depth, .. } => Some(*depth),
        _ => None,
    };
    for run in runs(lines, key) {
        let widest = run
            .clone()
            .filter(|&i| matches!(lines.get(i), Some(Line::Code { comment: Some(_), .. })))
            .filter_map(|i| codes.get(i).map(|c| last_line_width(c)))
            .max()
            .unwrap_or(0);
        for i in run {
            if let Some(slot) = columns.get_mut(i) {
                *slot = widest + 2;
            }
        }
    }
    columns
}
