//! Step 3: conditions that are always true or never true over valid leads:
//! whole rule conditions, `let`s, the parts of an `and` (an always-true
//! part changes nothing) and the alternatives of an `or` (a never-true one
//! is dead). Each is one solver question; a finding is reported once per
//! piece of source text (lets and block conditions are shared by rules).

use rustc_hash::{FxHashMap, FxHashSet};

use super::reach::Decided;
use super::solver::{Goal, Outcome};
use super::{diagnostic, Ctx};
use crate::check::program::{Cond, RuleId, RuleInfo};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{SourceMap, Span};

/// Rules named as affected by one never-true condition, at most.
const SHOWN: usize = 5;
/// Longest condition text quoted in a message.
const QUOTE: usize = 60;

/// The diagnostics of step 3.
pub(crate) fn check(ctx: &Ctx<'_>, decided: &Decided) -> Vec<Diagnostic> {
    let mut checker = Checker { ctx, out: Vec::new(), reported: FxHashSet::default() };
    checker.lets();
    checker.never_true_rules(decided);
    let never: FxHashSet<RuleId> =
        decided.unreachable.iter().filter(|u| u.blockers.is_empty()).map(|u| u.rule).collect();
    for (i, rule) in ctx.program.rules.iter().enumerate() {
        let id = RuleId(u32::try_from(i).unwrap_or(u32::MAX));
        if never.contains(&id) || matches!(rule.condition, Cond::True) {
            continue;
        }
        checker.rule(rule);
    }
    checker.out
}

struct Checker<'c, 'a> {
    ctx: &'c Ctx<'a>,
    out: Vec<Diagnostic>,
    /// Source text already reported on.
    reported: FxHashSet<Span>,
}

impl<'a> Checker<'_, 'a> {
    fn always_true(&self, cond: &'a Cond) -> bool {
        self.ctx.solve(&[Goal::fails(cond)]) == Outcome::Unsat
    }

    fn never_true(&self, cond: &'a Cond) -> bool {
        self.ctx.solve(&[Goal::holds(cond)]) == Outcome::Unsat
    }

    fn quote(&self, span: Span) -> String {
        let text: String = self.ctx.sources.snippet(span).split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > QUOTE {
            let cut: String = text.chars().take(QUOTE).collect();
            format!("{cut}…")
        } else {
            text
        }
    }

    fn lets(&mut self) {
        for decl in &self.ctx.program.declarations.lets {
            if self.never_true(&decl.condition) {
                self.reported.insert(decl.condition_span);
                self.out.push(
                    diagnostic(Code::ContradictoryLet, decl.span, format!("`let {}` is never true", decl.name))
                        .label("no valid lead satisfies it")
                        .with_label(decl.condition_span, "contradictory")
                        .help("every rule that uses it can never match; fix the condition"),
                );
            } else if self.always_true(&decl.condition) {
                self.reported.insert(decl.condition_span);
                self.out.push(
                    diagnostic(Code::AlwaysTrue, decl.condition_span, format!("`let {}` is always true", decl.name))
                        .label("holds for every valid lead")
                        .help("it restricts nothing; fix the condition or remove the let"),
                );
            } else {
                self.parts(&decl.condition);
            }
        }
    }

    /// `W0104` for rules whose condition is never true, one diagnostic per
    /// contradictory piece of text, naming the rules it silences.
    fn never_true_rules(&mut self, decided: &Decided) {
        let rules = &self.ctx.program.rules;
        let mut by_span: FxHashMap<Span, Vec<RuleId>> = FxHashMap::default();
        let mut order: Vec<Span> = Vec::new();
        for u in decided.unreachable.iter().filter(|u| u.blockers.is_empty()) {
            let Some(rule) = rules.get(u.rule.index()) else { continue };
            let culprit = self.smallest_contradiction(&rule.condition);
            let span = span_of(self.ctx.sources, culprit).unwrap_or(rule.span);
            if !by_span.contains_key(&span) {
                order.push(span);
            }
            by_span.entry(span).or_default().push(u.rule);
        }
        for span in order {
            let affected = by_span.remove(&span).unwrap_or_default();
            let already = !self.reported.insert(span);
            let text = self.quote(span);
            let inside = |r: &RuleId| rules.get(r.index()).is_some_and(|rule| within(span, rule.span));
            let help = match affected.as_slice() {
                [only] if inside(only) => {
                    format!("rule {} can never match; fix the condition or remove the rule", self.ctx.rule_name(*only))
                }
                _ => "fix the condition, or remove the rules that depend on it".to_string(),
            };
            let mut d = diagnostic(Code::AlwaysFalse, span, format!("condition `{text}` is never true"))
                .label("no valid lead satisfies it")
                .help(help);
            if already {
                // The let's own warning points at the text; say which rules it silences.
                if let Some(&first) = affected.first() {
                    if let Some(rule) = rules.get(first.index()) {
                        d = diagnostic(Code::AlwaysFalse, rule.span, format!("rule `{}` can never match", rule.name))
                            .label("its condition is never true")
                            .with_label(span, "contradictory")
                            .help("fix the condition, or remove the rule");
                    }
                }
            }
            for &r in affected.iter().take(SHOWN) {
                if let Some(rule) = rules.get(r.index()) {
                    if rule.span != d.span() && !within(span, rule.span) {
                        d = d.with_label(rule.span, format!("so `{}` never matches", rule.name));
                    }
                }
            }
            if affected.len() > SHOWN {
                d = d.note(format!("{} more rules depend on it", affected.len() - SHOWN));
            }
            self.out.push(d);
        }
    }

    /// The innermost part of a conjunction that is itself never true.
    fn smallest_contradiction(&self, cond: &'a Cond) -> &'a Cond {
        let mut cond = cond;
        loop {
            let Cond::All(parts) = cond else { return cond };
            match parts.iter().find(|p| span_of(self.ctx.sources, p).is_some() && self.never_true(p)) {
                Some(part) => cond = part,
                None => return cond,
            }
        }
    }

    /// A rule condition: always true as a whole, or the parts.
    fn rule(&mut self, rule: &'a RuleInfo) {
        let cond = &rule.condition;
        let Some(span) = span_of(self.ctx.sources, cond) else { return };
        // The condition's text is the rule's own, or lies elsewhere (a
        // block's condition, lets): then the rule itself is pointed at.
        let own = within(span, rule.span);
        if own && self.reported.contains(&span) {
            return;
        }
        if self.always_true(cond) {
            let help = format!(
                "rule `{}` matches every lead that gets this far; write `otherwise -> ...` if that is meant",
                rule.name
            );
            if own {
                self.reported.insert(span);
                let text = self.quote(span);
                self.out.push(
                    diagnostic(Code::AlwaysTrue, span, format!("condition `{text}` is always true"))
                        .label("holds for every valid lead")
                        .help(help),
                );
            } else {
                self.out.push(
                    diagnostic(
                        Code::AlwaysTrue,
                        rule.span,
                        format!("the condition of rule `{}` is always true", rule.name),
                    )
                    .label("it holds for every valid lead")
                    .help(help),
                );
            }
            return;
        }
        self.parts(cond);
    }

    /// Always-true parts of `and`s and never-true alternatives of `or`s,
    /// anywhere in the condition.
    fn parts(&mut self, cond: &'a Cond) {
        let mut stack = vec![cond];
        while let Some(c) = stack.pop() {
            match c {
                Cond::All(parts) => {
                    for part in parts {
                        if !self.fresh(part) {
                            continue;
                        }
                        if self.always_true(part) {
                            self.report_part(part, true);
                        } else {
                            stack.push(part);
                        }
                    }
                }
                Cond::Any(parts) => {
                    for part in parts {
                        if !self.fresh(part) {
                            continue;
                        }
                        if self.never_true(part) {
                            self.report_part(part, false);
                        } else {
                            stack.push(part);
                        }
                    }
                }
                Cond::Not(inner) => stack.push(inner),
                Cond::True | Cond::Test(_) => {}
            }
        }
    }

    /// Whether a part has source text not yet reported on.
    fn fresh(&self, part: &Cond) -> bool {
        span_of(self.ctx.sources, part).is_some_and(|s| !self.reported.contains(&s))
    }

    fn report_part(&mut self, part: &Cond, always: bool) {
        let Some(span) = span_of(self.ctx.sources, part) else { return };
        self.reported.insert(span);
        let text = self.quote(span);
        self.out.push(if always {
            diagnostic(Code::AlwaysTrue, span, format!("condition `{text}` is always true"))
                .label("holds for every valid lead")
                .help("it changes nothing in the `and`; remove it or fix it")
        } else {
            diagnostic(Code::AlwaysFalse, span, format!("condition `{text}` is never true"))
                .label("this alternative never holds")
                .help("it changes nothing in the `or`; remove it or fix it")
        });
    }
}

/// Whether `inner` lies within `outer`.
fn within(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && outer.start <= inner.start && inner.end <= outer.end
}

/// The source a condition covers, as written: from its first test to its
/// last, widened to the `not` keywords and parentheses around them (the
/// checked condition keeps spans on tests only, so `not (x > 5 and x < 3)`
/// would otherwise be quoted without its `not`).
fn span_of(sources: &SourceMap, cond: &Cond) -> Option<Span> {
    match cond {
        Cond::True => None,
        Cond::Test(test) => Some(test.span),
        Cond::Not(inner) => span_of(sources, inner).map(|s| with_not(sources, balanced(sources, s))),
        Cond::All(parts) | Cond::Any(parts) => {
            let mut span: Option<Span> = None;
            for part in parts {
                let Some(p) = span_of(sources, part) else { continue };
                span = Some(match span {
                    Some(s) if s.file == p.file => s.to(p),
                    Some(s) => s,
                    None => p,
                });
            }
            span.map(|s| balanced(sources, s))
        }
    }
}

/// Widens `span` to the parentheses its text leaves open or closes
/// (`a or b) and c` becomes `(a or b) and c`), ignoring those in strings.
fn balanced(sources: &SourceMap, span: Span) -> Span {
    let Some(file) = sources.get(span.file) else { return span };
    let text = sources.snippet(span);
    let (mut depth, mut lowest, mut quoted) = (0i64, 0i64, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                lowest = lowest.min(depth);
            }
            _ => {}
        }
    }
    let (mut open, mut close) = (-lowest, depth - lowest);
    let (mut start, mut end) = (span.start as usize, span.end as usize);
    while open > 0 {
        let Some(rest) = file.text.get(..start).unwrap_or("").trim_end().strip_suffix('(') else { break };
        start = rest.len();
        open -= 1;
    }
    while close > 0 {
        let tail = file.text.get(end..).unwrap_or("");
        let trimmed = tail.trim_start();
        if !trimmed.starts_with(')') {
            break;
        }
        end += tail.len() - trimmed.len() + 1;
        close -= 1;
    }
    Span::new(span.file, start, end)
}

/// Widens `span` back to the `not` (and any parentheses) just before it.
fn with_not(sources: &SourceMap, span: Span) -> Span {
    let Some(file) = sources.get(span.file) else { return span };
    let head = file.text.get(..span.start as usize).unwrap_or("");
    let mut trimmed = head.trim_end();
    let mut parens = 0;
    while let Some(rest) = trimmed.strip_suffix('(') {
        trimmed = rest.trim_end();
        parens += 1;
    }
    let Some(before) = trimmed.strip_suffix("not") else { return span };
    // The keyword, not the end of a name (`knot`, `can_not`).
    if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
        return span;
    }
    let widened = Span::new(span.file, before.len(), span.end as usize);
    if parens == 0 {
        widened
    } else {
        balanced(sources, widened)
    }
}
