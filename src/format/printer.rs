//! The AST and its trivia to [`Line`]s: the canonical layout of
//! `docs/style.md`.
//!
//! Comments and blank lines are put back between the lines they stood
//! between (a run of blank lines becomes one; none at the start or end of
//! a file or block). A declaration or rule with a comment *inside* a line
//! of it (in the middle of a condition, say) is kept as written, so no
//! comment ever moves across code; every comment emitted is counted, and
//! the formatter refuses to write if one would be lost.

use super::layout::{Align, Line, INDENT, WIDTH};
use super::text::Text;
use crate::source::Span;
use crate::syntax::ast::*;
use crate::syntax::trivia::Trivia;

/// Continuation lines of a broken rule or `let` are indented two steps.
const CONTINUATION: usize = 2;

pub(super) struct Printer<'a> {
    text: Text<'a>,
    source: &'a str,
    trivia: &'a Trivia,
    pub lines: Vec<Line>,
    /// Trivia before this byte has been emitted.
    cursor: usize,
    /// How many comments have been emitted.
    pub comments: usize,
}

impl<'a> Printer<'a> {
    pub fn new(source: &'a str, trivia: &'a Trivia) -> Printer<'a> {
        Printer { text: Text { source: Some(source) }, source, trivia, lines: Vec::new(), cursor: 0, comments: 0 }
    }

    pub fn module(&mut self, module: &Module) {
        for item in &module.items {
            let span = item.span();
            self.gap(span.start as usize, 0);
            self.item(item);
            self.trailing(span.end as usize);
        }
        self.gap(self.source.len(), 0);
        self.trim_blank_end();
    }

    /// Emits the comments and blank lines between the cursor and `until`,
    /// comments on their own lines at `depth`.
    fn gap(&mut self, until: usize, depth: usize) {
        let from = self.cursor;
        if until <= from {
            return;
        }
        let trivia = self.trivia;
        let mut blanks = trivia.blank_lines_in(from..until).iter().copied().peekable();
        for comment in trivia.comments_in(from..until) {
            if blanks.peek().is_some_and(|&b| b < comment.start) {
                self.blank();
            }
            while blanks.peek().is_some_and(|&b| b < comment.start) {
                blanks.next();
            }
            let text = self.source.get(comment.clone()).unwrap_or("#").trim_end().to_string();
            self.lines.push(Line::Comment { depth, text });
            self.comments += 1;
        }
        if blanks.next().is_some() {
            self.blank();
        }
        self.cursor = until;
    }

    /// One blank line, unless at the start of the file or of a block.
    fn blank(&mut self) {
        let opens = match self.lines.last() {
            None | Some(Line::Blank) => true,
            Some(Line::Code { head, tail, comment: _, .. }) => {
                let last = tail.as_ref().map_or(head.as_str(), |(_, t)| t.as_str());
                last.ends_with('{') || last.ends_with('[')
            }
            Some(Line::Comment { .. }) => false,
        };
        if !opens {
            self.lines.push(Line::Blank);
        }
    }

    fn trim_blank_end(&mut self) {
        while matches!(self.lines.last(), Some(Line::Blank)) {
            self.lines.pop();
        }
    }

    /// A comment on the same line after `end` (only separators between)
    /// becomes the trailing comment
    /// of the last line printed.
    fn trailing(&mut self, end: usize) {
        self.cursor = self.cursor.max(end);
        let line_end = self.source.get(end..).and_then(|r| r.find('\n')).map_or(self.source.len(), |n| end + n);
        let Some(comment) = self.trivia.comments_in(end..line_end).first().cloned() else {
            return;
        };
        // Only separators may stand between: otherwise the comment trails
        // a later node on the same line.
        let between = self.source.get(end..comment.start).unwrap_or("x");
        if !between.chars().all(|c| c.is_whitespace() || c == ',' || c == ';') {
            return;
        }
        let text = self.source.get(comment.clone()).unwrap_or("#").trim_end().to_string();
        match self.lines.last_mut() {
            Some(Line::Code { comment: slot @ None, .. }) => *slot = Some(text),
            _ => self.lines.push(Line::Comment { depth: 0, text }),
        }
        self.comments += 1;
        self.cursor = comment.end;
    }

    fn has_comments(&self, range: std::ops::Range<usize>) -> bool {
        !self.trivia.comments_in(range).is_empty()
    }

    /// The node as written (first line re-indented): for lines with a
    /// comment inside.
    fn verbatim(&mut self, span: Span, depth: usize) {
        let text = self.source.get(span.range()).unwrap_or("").trim_end().to_string();
        self.comments += self.trivia.comments_in(span.range()).len();
        self.lines.push(Line::code(depth, text));
        self.cursor = self.cursor.max(span.end as usize);
    }

    fn item(&mut self, item: &Item) {
        let t = self.text;
        match item {
            Item::Schema(d) => self.schema(d),
            Item::Alias(d) => self.alias(d),
            Item::Team(d) => self.team(d),
            Item::Let(d) => {
                if self.has_comments(d.span.range()) {
                    return self.verbatim(d.span, 0);
                }
                self.broken_condition(0, format!("let {} =", d.name.name), &d.condition, "");
            }
            Item::Lookup(d) => self.leaf(
                d.span,
                format!(
                    "lookup {} from {} key {} value {}",
                    d.name.name,
                    t.string(&d.path),
                    t.column(&d.key),
                    t.column(&d.value)
                ),
                0,
            ),
            Item::Import(d) => self.leaf(d.span, format!("import {}", t.string(&d.path)), 0),
            Item::OnInvalid(d) => self.leaf(d.span, format!("on invalid -> {}", t.action(&d.action)), 0),
            Item::Rule(rule) => self.rule(rule, 0),
            Item::Table(d) => self.table(d),
            Item::Score(d) => self.score(d),
        }
    }

    fn table(&mut self, d: &TableDecl) {
        if self.has_comments(d.span.start as usize..self.opening(d.span, '{')) {
            return self.verbatim(d.span, 0);
        }
        let t = self.text;
        let case = if d.case_insensitive { " case_insensitive" } else { "" };
        let header = format!("table {} from {} key {}{case}", d.name.name, t.string(&d.path), t.column(&d.key));
        self.braced(header, d.span, 0, &mut |p| {
            for column in &d.columns {
                p.entry(column.span, t.field(column), 1);
            }
        });
    }

    fn score(&mut self, d: &ScoreDecl) {
        if self.has_comments(d.span.start as usize..self.opening(d.span, '{')) {
            return self.verbatim(d.span, 0);
        }
        let t = self.text;
        self.braced(format!("score {}", d.name.name), d.span, 0, &mut |p| {
            for term in &d.terms {
                p.entry(term.span, format!("{} when {}", t.literal(&term.points), t.expr(&term.condition)), 1);
            }
        });
    }

    /// A one-line node, or the node as written if it has a comment inside.
    fn leaf(&mut self, span: Span, text: String, depth: usize) {
        if self.has_comments(span.range()) {
            return self.verbatim(span, depth);
        }
        self.lines.push(Line::code(depth, text));
        self.cursor = self.cursor.max(span.end as usize);
    }

    /// Where the first `bracket` of a declaration stands (its header ends
    /// there; no string can come before it).
    fn opening(&self, span: Span, bracket: char) -> usize {
        let start = span.start as usize;
        self.source.get(span.range()).and_then(|s| s.find(bracket)).map_or(start, |b| start + b)
    }

    /// `HEADER {`, the entries (each with its comments), `}`.
    fn braced(&mut self, header: String, span: Span, depth: usize, entries: &mut dyn FnMut(&mut Self)) {
        self.lines.push(Line::code(depth, format!("{header} {{")));
        self.trailing(self.opening(span, '{') + 1);
        entries(self);
        self.gap((span.end as usize).saturating_sub(1), depth + 1);
        self.trim_blank_end();
        self.lines.push(Line::code(depth, "}".into()));
        self.cursor = self.cursor.max(span.end as usize);
    }

    /// Prints an entry of a braced list: its leading comments, the line, its
    /// trailing comment.
    fn entry(&mut self, span: Span, text: String, depth: usize) {
        self.gap(span.start as usize, depth);
        self.leaf(span, text, depth);
        self.trailing(span.end as usize);
    }

    fn schema(&mut self, d: &SchemaDecl) {
        if self.has_comments(d.span.start as usize..self.opening(d.span, '{')) {
            return self.verbatim(d.span, 0);
        }
        let t = self.text;
        let mut entries: Vec<(Span, String)> = d.fields.iter().map(|f| (f.span, t.field(f))).collect();
        if let (Some(first), Some(last)) = (d.missing.first(), d.missing.last()) {
            let values: Vec<String> = d.missing.iter().map(|s| t.string(s)).collect();
            entries.push((first.span.to(last.span), format!("missing: {}", values.join(", "))));
        }
        if let Some(numbers) = &d.numbers {
            let mode = if numbers.lenient { "lenient" } else { "strict" };
            entries.push((numbers.span, format!("numbers: {mode}")));
        }
        entries.sort_by_key(|(span, _)| span.start);
        self.braced(format!("schema {}", d.name.name), d.span, 0, &mut |p| {
            for (span, text) in &entries {
                p.entry(*span, text.clone(), 1);
            }
        });
    }

    fn alias(&mut self, d: &AliasDecl) {
        if self.has_comments(d.span.start as usize..self.opening(d.span, '{')) {
            return self.verbatim(d.span, 0);
        }
        let t = self.text;
        let count = d.groups.len();
        self.braced(format!("alias {}", d.field.name), d.span, 0, &mut |p| {
            for (i, group) in d.groups.iter().enumerate() {
                let from: Vec<String> = group.from.iter().map(|s| t.string(s)).collect();
                let end = if i + 1 < count { ";" } else { "" };
                p.entry(group.span, format!("{} => {}{end}", from.join(", "), t.string(&group.to)), 1);
            }
        });
    }

    fn team(&mut self, d: &TeamDecl) {
        let t = self.text;
        let members: Vec<(Span, String)> = d
            .members
            .iter()
            .map(|m| {
                let weight = m.weight.as_ref().map_or(String::new(), |w| format!(" weight {}", t.literal(w)));
                (m.span, format!("{}{weight}", t.string(&m.id)))
            })
            .collect();
        let head = format!("team {}", d.name.name);
        let list: Vec<&str> = members.iter().map(|(_, m)| m.as_str()).collect();
        let tail = format!("= [{}]", list.join(", "));
        if self.has_comments(d.span.start as usize..self.opening(d.span, '[')) {
            return self.verbatim(d.span, 0);
        }
        if !self.has_comments(d.span.range()) && head.len() + 1 + tail.len() <= WIDTH {
            self.lines.push(Line::Code { depth: 0, head, tail: Some((Align::Equals, tail)), comment: None });
            self.cursor = self.cursor.max(d.span.end as usize);
            return;
        }
        self.lines.push(Line::code(0, format!("{head} = [")));
        self.trailing(self.opening(d.span, '[') + 1);
        for (span, text) in &members {
            self.entry(*span, format!("{text},"), 1);
        }
        self.gap((d.span.end as usize).saturating_sub(1), 1);
        self.trim_blank_end();
        self.lines.push(Line::code(0, "]".into()));
        self.cursor = self.cursor.max(d.span.end as usize);
    }

    fn rule(&mut self, rule: &Rule, depth: usize) {
        let t = self.text;
        let label = rule.label.as_ref().map_or(String::new(), |l| format!("{}: ", l.name));
        match &rule.kind {
            RuleKind::Otherwise { action } => {
                if self.has_comments(rule.span.range()) {
                    return self.verbatim(rule.span, depth);
                }
                let head = format!("{label}otherwise");
                self.arrow(depth, head, action);
            }
            RuleKind::When { condition, action } => {
                if self.has_comments(rule.span.range()) {
                    return self.verbatim(rule.span, depth);
                }
                let head = format!("{label}when {}", t.expr(condition));
                let one_line = INDENT.len() * depth + head.len() + 4 + t.action(action).len();
                if one_line <= WIDTH {
                    return self.arrow(depth, head, action);
                }
                self.broken_condition(depth, format!("{label}when"), condition, "");
                self.broken_action(depth + CONTINUATION, action);
            }
            RuleKind::Block { condition, rules } => self.block(rule, &label, condition, rules, depth),
        }
        self.cursor = self.cursor.max(rule.span.end as usize);
    }

    /// `-> ACTION` on one continuation line if it fits, else the target and
    /// each `else fallback` on a line of its own.
    fn broken_action(&mut self, depth: usize, action: &Action) {
        let whole = format!("-> {}", self.text.action(action));
        if INDENT.len() * depth + whole.len() <= WIDTH {
            return self.lines.push(Line::code(depth, whole));
        }
        if let Target::Split(split) = &action.target {
            // One arm per line inside the braces (a newline separates arms
            // as well as `;` does).
            self.lines.push(Line::code(depth, format!("-> {}", self.text.split_head(split))));
            for arm in &split.arms {
                self.lines.push(Line::code(depth + 1, self.text.split_arm(arm)));
            }
            return self.lines.push(Line::code(depth, "}".into()));
        }
        for (i, part) in self.text.action_parts(action).into_iter().enumerate() {
            self.lines.push(Line::code(depth, if i == 0 { format!("-> {part}") } else { part }));
        }
    }

    /// `HEAD -> ACTION` on one line, aligned with its neighbours.
    fn arrow(&mut self, depth: usize, head: String, action: &Action) {
        let tail = format!("-> {}", self.text.action(action));
        self.lines.push(Line::Code { depth, head, tail: Some((Align::Arrow, tail)), comment: None });
    }

    fn block(&mut self, rule: &Rule, label: &str, condition: &Expr, rules: &[Rule], depth: usize) {
        let brace = self
            .source
            .get(condition.span().end as usize..rule.span.end as usize)
            .and_then(|s| s.find('{'))
            .map_or(condition.span().end as usize, |b| condition.span().end as usize + b);
        if self.has_comments(rule.span.start as usize..brace) {
            return self.verbatim(rule.span, depth);
        }
        self.broken_condition(depth, format!("{label}when"), condition, " {");
        self.trailing(brace + 1);
        for inner in rules {
            self.gap(inner.span.start as usize, depth + 1);
            self.rule(inner, depth + 1);
            self.trailing(inner.span.end as usize);
        }
        self.gap((rule.span.end as usize).saturating_sub(1), depth + 1);
        self.trim_blank_end();
        self.lines.push(Line::code(depth, "}".into()));
    }

    /// `PREFIX CONDITION SUFFIX` on one line if it fits; else broken before
    /// each top-level `and`/`or`, continuation lines indented two steps.
    fn broken_condition(&mut self, depth: usize, prefix: String, condition: &Expr, suffix: &str) {
        let t = self.text;
        let one_line = format!("{prefix} {}{suffix}", t.expr(condition));
        let operands = t.operands(condition);
        match operands {
            Some((op, parts)) if INDENT.len() * depth + one_line.len() > WIDTH => {
                let count = parts.len();
                for (i, part) in parts.into_iter().enumerate() {
                    let end = if i + 1 == count { suffix } else { "" };
                    let line = if i == 0 {
                        Line::code(depth, format!("{prefix} {part}{end}"))
                    } else {
                        Line::code(depth + CONTINUATION, format!("{op} {part}{end}"))
                    };
                    self.lines.push(line);
                }
            }
            _ => self.lines.push(Line::code(depth, one_line)),
        }
    }
}
