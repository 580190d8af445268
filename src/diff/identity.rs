//! Rule identity across versions, independent of line numbers: rules are
//! matched by label first, then by content (the condition and action as
//! checked, rendered canonically: names instead of ids, no spans, no
//! whitespace), so a comment or a blank line changes nothing. What is left
//! over was added or removed; matched rules whose order changed moved.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::check::program::{Action, Cond, Program, RuleInfo, Scalar, Strategy, Target, Test, TestKind};
use crate::schema::{FieldId, FieldType, Schema};

/// What happened to one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleChangeKind {
    /// Same content, another label.
    Renamed,
    /// Same label, another condition or action.
    Changed,
    /// Same label and content, another place in the order.
    Moved,
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
}

/// A rule of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Its name: the label, else `line:N`.
    pub name: String,
    /// Its line.
    pub line: u32,
}

/// One rule's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    /// The change.
    pub kind: RuleChangeKind,
    /// Whether it also moved relative to the other matched rules.
    pub moved: bool,
    /// The rule in the old version.
    pub old: Option<RuleRef>,
    /// The rule in the new version.
    pub new: Option<RuleRef>,
    /// The old rule, rendered canonically (for `changed` and `removed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The new rule, rendered canonically (for `changed` and `added`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// Whether two rules are the same rule as written, up to spans and
/// whitespace. Rule content is defined in one place, [`content`], which
/// both this comparison and the matching's index use: when the syntax
/// layer offers span-insensitive AST equality, it can answer there.
pub(crate) fn same_content(old: &Program, a: &RuleInfo, new: &Program, b: &RuleInfo) -> bool {
    content(old, a) == content(new, b)
}

/// A rule's condition and action, canonically rendered.
pub fn content(program: &Program, rule: &RuleInfo) -> String {
    let condition = match &rule.condition {
        Cond::True => "otherwise".to_string(),
        c => format!("when {}", render_cond(program, c)),
    };
    format!("{condition} -> {}", render_action(program, &rule.action, true))
}

/// Whether a rule name is the `line:N` of an unlabelled rule.
pub(crate) fn is_line_name(name: &str) -> bool {
    name.strip_prefix("line:").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Matched rules (old index, new index), and the rest.
pub(crate) struct Matching {
    pub(crate) pairs: Vec<(usize, usize)>,
    pub(crate) removed: Vec<usize>,
    pub(crate) added: Vec<usize>,
}

/// Matches rules by label, then the others by content, in order.
pub(crate) fn match_rules(old: &Program, new: &Program) -> Matching {
    let mut old_taken = vec![false; old.rules.len()];
    let mut new_taken = vec![false; new.rules.len()];
    let mut pairs = Vec::new();
    let labels: FxHashMap<&str, usize> = new
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| !is_line_name(&r.name))
        .map(|(j, r)| (r.name.as_str(), j))
        .collect();
    for (i, rule) in old.rules.iter().enumerate() {
        if let Some(&j) = labels.get(rule.name.as_str()).filter(|_| !is_line_name(&rule.name)) {
            take(&mut old_taken, i);
            take(&mut new_taken, j);
            pairs.push((i, j));
        }
    }
    // Content next: the first untaken new rule with the same content.
    let mut by_content: FxHashMap<String, VecDeque<usize>> = FxHashMap::default();
    for (j, rule) in new.rules.iter().enumerate() {
        if !new_taken.get(j).copied().unwrap_or(true) {
            by_content.entry(content(new, rule)).or_default().push_back(j);
        }
    }
    for (i, rule) in old.rules.iter().enumerate() {
        if old_taken.get(i).copied().unwrap_or(true) {
            continue;
        }
        if let Some(j) = by_content.get_mut(&content(old, rule)).and_then(VecDeque::pop_front) {
            take(&mut old_taken, i);
            take(&mut new_taken, j);
            pairs.push((i, j));
        }
    }
    pairs.sort_unstable();
    let untaken = |taken: &[bool]| taken.iter().enumerate().filter(|(_, t)| !**t).map(|(i, _)| i).collect();
    Matching { pairs, removed: untaken(&old_taken), added: untaken(&new_taken) }
}

fn take(taken: &mut [bool], i: usize) {
    if let Some(t) = taken.get_mut(i) {
        *t = true;
    }
}

/// Matched pairs (sorted by old index) whose new index is not on a longest
/// increasing run: the rules that moved. Patience sorting, O(n log n).
fn moved(pairs: &[(usize, usize)]) -> Vec<bool> {
    // tails[l]: the pair ending the best run of length l + 1 found so far.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; pairs.len()];
    let new_index = |k: usize| pairs.get(k).map_or(0, |p| p.1);
    for (k, &(_, j)) in pairs.iter().enumerate() {
        let length = tails.partition_point(|&t| new_index(t) < j);
        if let Some(slot) = previous.get_mut(k) {
            *slot = length.checked_sub(1).and_then(|l| tails.get(l).copied());
        }
        match tails.get_mut(length) {
            Some(tail) => *tail = k,
            None => tails.push(k),
        }
    }
    let mut on_run = vec![false; pairs.len()];
    let mut at = tails.last().copied();
    while let Some(k) = at {
        take(&mut on_run, k);
        at = previous.get(k).copied().flatten();
    }
    on_run.into_iter().map(|on| !on).collect()
}

/// Every rule that was renamed, changed, moved, added or removed, in the
/// new version's order (removed rules after).
pub(crate) fn changes(old: &Program, new: &Program, matching: &Matching) -> Vec<RuleChange> {
    let reference = |rule: &RuleInfo| RuleRef { name: rule.name.clone(), line: rule.line };
    let mut out = Vec::new();
    for (&(i, j), moved) in matching.pairs.iter().zip(moved(&matching.pairs)) {
        let (Some(a), Some(b)) = (old.rules.get(i), new.rules.get(j)) else { continue };
        let same = same_content(old, a, new, b);
        let kind = if !same {
            RuleChangeKind::Changed
        } else if a.name != b.name && !(is_line_name(&a.name) && is_line_name(&b.name)) {
            RuleChangeKind::Renamed
        } else if moved {
            RuleChangeKind::Moved
        } else {
            continue;
        };
        let texts = (!same).then(|| (content(old, a), content(new, b)));
        out.push((
            j,
            RuleChange {
                kind,
                moved,
                old: Some(reference(a)),
                new: Some(reference(b)),
                before: texts.as_ref().map(|t| t.0.clone()),
                after: texts.map(|t| t.1),
            },
        ));
    }
    for &j in &matching.added {
        let Some(b) = new.rules.get(j) else { continue };
        out.push((
            j,
            RuleChange {
                kind: RuleChangeKind::Added,
                moved: false,
                old: None,
                new: Some(reference(b)),
                before: None,
                after: Some(content(new, b)),
            },
        ));
    }
    out.sort_by_key(|(j, _)| *j);
    let mut out: Vec<RuleChange> = out.into_iter().map(|(_, c)| c).collect();
    for &i in &matching.removed {
        let Some(a) = old.rules.get(i) else { continue };
        out.push(RuleChange {
            kind: RuleChangeKind::Removed,
            moved: false,
            old: Some(reference(a)),
            new: None,
            before: Some(content(old, a)),
            after: None,
        });
    }
    out
}

// ---------------------------------------------------------------------------
// Canonical rendering.
// ---------------------------------------------------------------------------

fn render_cond(program: &Program, cond: &Cond) -> String {
    match cond {
        Cond::True => "true".to_string(),
        Cond::All(parts) if parts.is_empty() => "true".to_string(),
        Cond::Any(parts) if parts.is_empty() => "false".to_string(),
        Cond::All(parts) => join(program, parts, " and "),
        Cond::Any(parts) => join(program, parts, " or "),
        Cond::Not(inner) => format!("not ({})", render_cond(program, inner)),
        Cond::Test(test) => render_test(program, test),
    }
}

fn join(program: &Program, parts: &[Cond], separator: &str) -> String {
    let rendered: Vec<String> = parts
        .iter()
        .map(|p| match p {
            Cond::All(inner) | Cond::Any(inner) if inner.len() > 1 => format!("({})", render_cond(program, p)),
            _ => render_cond(program, p),
        })
        .collect();
    rendered.join(separator)
}

fn field_name(schema: &Schema, field: FieldId) -> &str {
    schema.fields.get(field.index()).map_or("?", |f| f.name.as_str())
}

fn render_test(program: &Program, test: &Test) -> String {
    let schema = &program.schema;
    let name = field_name(schema, test.field);
    let literal = |s: &Scalar| render_scalar(schema, test.field, s);
    let quoted = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    match &test.kind {
        TestKind::Exists => format!("{name} exists"),
        TestKind::Eq(s) => format!("{name} == {}", literal(s)),
        TestKind::In(list) => format!("{name} in [{}]", list.iter().map(literal).collect::<Vec<_>>().join(", ")),
        TestKind::Compare(op, t) => {
            let op = match op {
                crate::check::program::Ordering::Lt => "<",
                crate::check::program::Ordering::Le => "<=",
                crate::check::program::Ordering::Gt => ">",
                crate::check::program::Ordering::Ge => ">=",
            };
            format!("{name} {op} {t}")
        }
        TestKind::StartsWith(p) => format!("{name} starts_with {}", quoted(p)),
        TestKind::EndsWith(p) => format!("{name} ends_with {}", quoted(p)),
        TestKind::Contains(p) => format!("{name} contains {}", quoted(p)),
        TestKind::ListContains(s) => format!("{name} contains {}", literal(s)),
        TestKind::Matches(re) => format!("{name} matches {}", quoted(re.as_str())),
        TestKind::InLookup(id) => {
            format!("{name} in {}", program.lookups.get(id.0 as usize).map_or("?", |l| l.name.as_str()))
        }
    }
}

fn render_scalar(schema: &Schema, field: FieldId, literal: &Scalar) -> String {
    match literal {
        Scalar::Str(s) => serde_json::Value::String(s.clone()).to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => format!("{f:?}"),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Enum(k) => {
            let id = match schema.fields.get(field.index()).map(|f| f.ty) {
                Some(FieldType::Enum(id) | FieldType::List(crate::schema::ElementType::Enum(id))) => Some(id),
                _ => None,
            };
            let name = id
                .and_then(|id| schema.enums.get(id.0 as usize))
                .map_or_else(|| format!("#{k}"), |e| e.name(*k).to_string());
            serde_json::Value::String(name).to_string()
        }
    }
}

/// An action as written: the target, then each fallback; with strategies
/// when `strategies` (the destination of a lead leaves them out).
pub(crate) fn render_action(program: &Program, action: &Action, strategies: bool) -> String {
    let mut out = render_target(program, &action.target, strategies);
    for fallback in &action.fallbacks {
        out.push_str(" else fallback ");
        out.push_str(&render_target(program, fallback, strategies));
    }
    out
}

fn render_target(program: &Program, target: &Target, strategies: bool) -> String {
    match target {
        Target::Team { team, strategy } => {
            let name = program.teams.get(team.0 as usize).map_or("?", |t| t.name.as_str());
            if !strategies {
                return format!("team {name}");
            }
            let strategy = match strategy {
                Strategy::Sticky(field) => format!("sticky({})", field_name(&program.schema, *field)),
                other => other.as_str().to_string(),
            };
            format!("team {name} via {strategy}")
        }
        Target::Rep(id) => format!("rep {}", serde_json::Value::String(id.clone())),
        Target::RepLookup { lookup, key } => format!(
            "rep {}[{}]",
            program.lookups.get(lookup.0 as usize).map_or("?", |l| l.name.as_str()),
            field_name(&program.schema, *key)
        ),
        Target::Queue(name) => format!("queue {name}"),
        Target::RepField(field) => format!("rep {}", field_name(&program.schema, *field)),
    }
}
