//! Step 2: every rule the walk did not witness is decided by
//! counter-example guided search; then the reports that follow from it
//! (unreachable rules, the gap, what stayed open) and the overlap notes.

use super::domain::{Env, Lit};
use super::solver::{Goal, Outcome};
use super::walk::landing;
use super::{diagnostic, Ctx};
use crate::check::program::{Action, Cond, RuleId, Target, TestKind};
use crate::compile::Node;
use crate::diagnostics::{Code, Diagnostic};
use crate::schema::{FieldId, FieldType, Lead, Value};
use crate::source::Span;

/// Counter-example rounds for one rule: blockers it may collect.
const ROUNDS: usize = 256;
/// Earlier rules besides the first match blocked per round.
const EXTRA_BLOCKERS: usize = 32;
/// Shadowing rules named in labels; the rest are counted.
const SHOWN: usize = 5;
/// Overlaps searched for at most.
const MAX_OVERLAPS: usize = 200;
/// Overlap notes (pairs of targets) shown at most.
const MAX_OVERLAP_NOTES: usize = 20;
/// Solver questions the overlap search may ask.
const OVERLAP_QUESTIONS: usize = 20_000;
/// Counter-example rounds for one overlap.
const OVERLAP_ROUNDS: usize = 8;

/// A rule proved unreachable.
pub(crate) struct Unreachable {
    pub(crate) rule: RuleId,
    /// Earlier rules that take every lead it matches (empty: its condition
    /// is never true).
    pub(crate) blockers: Vec<RuleId>,
}

/// The fate of every rule.
pub(crate) struct Decided {
    pub(crate) witnesses: Vec<Option<Lead>>,
    pub(crate) unreachable: Vec<Unreachable>,
    pub(crate) undecided: Vec<RuleId>,
}

fn rule_id(i: usize) -> RuleId {
    RuleId(u32::try_from(i).unwrap_or(u32::MAX))
}

/// Rules settled per thread at least, when several threads are used.
const RULES_PER_THREAD: usize = 512;

/// What became of one rule.
enum Fate {
    Witness(Lead),
    Shadowed(Vec<RuleId>),
    Open,
}

/// Decides every rule without a witness, and finishes every witness, on as
/// many threads as the machine has (rules are independent questions; each
/// thread has its own solver state, so the answers do not depend on the
/// split).
pub(crate) fn decide(ctx: &Ctx<'_>, witnesses: Vec<Option<Lead>>) -> Decided {
    let rules = ctx.program.rules.len();
    let mut work: Vec<(usize, Option<Lead>)> = witnesses.into_iter().enumerate().collect();
    work.truncate(rules);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(work.len() / RULES_PER_THREAD)
        .max(1);
    let fates: Vec<(usize, Fate)> = if threads == 1 {
        work.into_iter().map(|(i, lead)| (i, settle(ctx, i, lead))).collect()
    } else {
        let mut shares: Vec<Vec<(usize, Option<Lead>)>> = (0..threads).map(|_| Vec::new()).collect();
        for (n, item) in work.into_iter().enumerate() {
            if let Some(share) = shares.get_mut(n % threads) {
                share.push(item);
            }
        }
        let mut fates = Vec::with_capacity(rules);
        std::thread::scope(|scope| {
            let handles: Vec<_> = shares
                .into_iter()
                .map(|share| {
                    let fork = ctx.fork();
                    scope.spawn(move || {
                        share.into_iter().map(|(i, lead)| (i, settle(&fork, i, lead))).collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                if let Ok(part) = handle.join() {
                    fates.extend(part);
                }
            }
        });
        fates.sort_by_key(|(i, _)| *i);
        fates
    };
    let mut decided = Decided { witnesses: vec![None; rules], unreachable: Vec::new(), undecided: Vec::new() };
    let mut seen = vec![false; rules];
    for (i, fate) in fates {
        if let Some(s) = seen.get_mut(i) {
            *s = true;
        }
        match fate {
            Fate::Witness(lead) => {
                if let Some(slot) = decided.witnesses.get_mut(i) {
                    *slot = Some(lead);
                }
            }
            Fate::Shadowed(blockers) => decided.unreachable.push(Unreachable { rule: rule_id(i), blockers }),
            Fate::Open => decided.undecided.push(rule_id(i)),
        }
    }
    // A thread that failed leaves its rules undecided.
    decided.undecided.extend(seen.iter().enumerate().filter(|(_, s)| !**s).map(|(i, _)| rule_id(i)));
    decided.undecided.sort_unstable();
    decided
}

/// Searches a rule the walk did not witness, then finishes its witness.
fn settle(ctx: &Ctx<'_>, i: usize, lead: Option<Lead>) -> Fate {
    let r = rule_id(i);
    let lead = match lead {
        Some(lead) => lead,
        None => {
            let Some(rule) = ctx.program.rules.get(i) else { return Fate::Open };
            match search(ctx, &rule.condition, r) {
                Search::Reached(lead) => lead,
                Search::Shadowed(blockers) => return Fate::Shadowed(blockers),
                Search::Open => return Fate::Open,
            }
        }
    };
    finish(ctx, r, lead).map_or(Fate::Open, Fate::Witness)
}

enum Search {
    Reached(Lead),
    Shadowed(Vec<RuleId>),
    Open,
}

/// A lead reaching `target` whose condition is `cond`, or the earlier rules
/// that together take every lead satisfying it.
fn search<'a>(ctx: &Ctx<'a>, cond: &'a Cond, target: RuleId) -> Search {
    let rules = &ctx.program.rules;
    let mut blockers: Vec<RuleId> = Vec::new();
    for _ in 0..ROUNDS {
        let mut goals = vec![Goal::holds(cond)];
        goals.extend(blockers.iter().filter_map(|b| rules.get(b.index())).map(|r| Goal::fails(&r.condition)));
        match ctx.solve(&goals) {
            Outcome::Sat(lead) => match ctx.dag.route(&lead, &ctx.program.lookups) {
                Some(k) if k == target => {
                    return if ctx.routes_to(&lead, Some(target)) { Search::Reached(lead) } else { Search::Open };
                }
                Some(k) if k < target && !blockers.contains(&k) => {
                    blockers.push(k);
                    // Other earlier rules this lead satisfies cover it too:
                    // blocking them at once saves rounds of a long search.
                    // They are among the candidates where the lead lands.
                    let lookups = &ctx.program.lookups;
                    let extra: Vec<RuleId> = match landing(ctx, &lead).and_then(|n| ctx.dag.node(n)) {
                        Some(Node::Rules { candidates }) => ctx
                            .dag
                            .candidates(*candidates)
                            .iter()
                            .map(|c| c.rule)
                            .filter(|&b| b < target && !blockers.contains(&b))
                            .filter(|b| rules.get(b.index()).is_some_and(|r| r.condition.holds(&lead, lookups)))
                            .take(EXTRA_BLOCKERS)
                            .collect(),
                        _ => Vec::new(),
                    };
                    blockers.extend(extra);
                }
                _ => return Search::Open,
            },
            Outcome::Unsat => {
                blockers.sort_unstable();
                return Search::Shadowed(blockers);
            }
            Outcome::Unknown => return Search::Open,
        }
    }
    Search::Open
}

/// The witness as handed out: its `id` names the rule when the rules leave
/// it free, and it must read back from JSON unchanged.
fn finish(ctx: &Ctx<'_>, rule: RuleId, lead: Lead) -> Option<Lead> {
    let name = ctx.program.rules.get(rule.index()).map_or("rule", |r| r.name.as_str());
    let lead = named(ctx, lead, &format!("example-{name}"), Some(rule));
    ctx.round_trips(&lead).then_some(lead)
}

/// The gap example as handed out (see [`finish`]).
pub(crate) fn finish_gap(ctx: &Ctx<'_>, lead: Lead) -> Option<Lead> {
    let lead = named(ctx, lead, "example-unmatched", None);
    ctx.round_trips(&lead).then_some(lead)
}

/// The lead with its `id` set to `text`, when the schema has a string `id`
/// the lead leaves at its default and the lead still routes the same.
fn named(ctx: &Ctx<'_>, lead: Lead, text: &str, expected: Option<RuleId>) -> Lead {
    let schema = &ctx.program.schema;
    let Some(id) = schema.id_field else { return lead };
    let is_string = schema.fields.get(id.index()).is_some_and(|f| f.ty == FieldType::String);
    if !is_string || !ctx.env.valid_text(text) || lead.values.get(id.index()) != ctx.defaults.get(id.index()) {
        return lead;
    }
    let mut renamed = lead.clone();
    if let Some(slot) = renamed.values.get_mut(id.index()) {
        *slot = Value::Str(text.into());
    }
    if ctx.routes_to(&renamed, expected) {
        renamed
    } else {
        lead
    }
}

/// `W0101` for every unreachable rule with shadowing rules (a rule whose
/// own condition is never true is `W0104`, reported with the conditions).
pub(crate) fn report_unreachable(ctx: &Ctx<'_>, decided: &Decided) -> Vec<Diagnostic> {
    let rules = &ctx.program.rules;
    let mut out = Vec::new();
    for u in &decided.unreachable {
        let (Some(rule), false) = (rules.get(u.rule.index()), u.blockers.is_empty()) else { continue };
        let names: Vec<String> = u.blockers.iter().take(SHOWN).map(|&b| ctx.rule_name(b)).collect();
        let more = u.blockers.len().saturating_sub(SHOWN);
        let shown = if more > 0 { format!("{} and {more} more", names.join(", ")) } else { names.join(", ") };
        let label = if u.blockers.len() == 1 {
            format!("every lead it matches also matches the earlier rule {shown}")
        } else {
            format!("every lead it matches also matches an earlier rule: {shown}")
        };
        let mut d = diagnostic(Code::UnreachableRule, rule.span, format!("rule `{}` can never match", rule.name))
            .label(label)
            .help("move it above the rules that shadow it, narrow them, or remove it");
        for &b in u.blockers.iter().take(SHOWN) {
            if let Some(blocker) = rules.get(b.index()) {
                d = d.with_label(
                    blocker.span,
                    format!("`{}` (line {}) matches some of them", blocker.name, blocker.line),
                );
            }
        }
        if more > 0 {
            let rest: Vec<String> = u.blockers.iter().skip(SHOWN).map(|&b| ctx.rule_name(b)).collect();
            d = d.note(format!("also shadowed by {}", rest.join(", ")));
        }
        out.push(d);
    }
    out
}

/// `W0102` with its example lead.
pub(crate) fn report_gap(ctx: &Ctx<'_>, lead: &Lead) -> Diagnostic {
    let (span, label) = match ctx.program.rules.last() {
        Some(last) => (last.span, "leads that match no rule fall through after the last rule"),
        None => (Span::default(), "there are no rules"),
    };
    let mut d = diagnostic(Code::CoverageGap, span, "some valid leads match no rule".to_string())
        .label(label)
        .note("such leads go to `queue unassigned` with reason `no_rule_matched`")
        .help("add a rule for them, or end the rules with `otherwise -> queue unassigned`");
    d.example = Some(ctx.example(lead));
    d
}

/// Whether a condition has a `matches` atom (the approximated kind).
fn has_regex(cond: &Cond) -> bool {
    let mut stack = vec![cond];
    while let Some(c) = stack.pop() {
        match c {
            Cond::Test(test) if matches!(test.kind, TestKind::Matches(_)) => return true,
            Cond::Not(inner) => stack.push(inner),
            Cond::All(parts) | Cond::Any(parts) => stack.extend(parts.iter()),
            Cond::True | Cond::Test(_) => {}
        }
    }
    false
}

/// `W0113` notes for what stayed undecided.
pub(crate) fn report_incomplete(ctx: &Ctx<'_>, decided: &Decided, coverage_open: bool) -> Vec<Diagnostic> {
    let rules = &ctx.program.rules;
    let mut out = Vec::new();
    if let Some(first) = decided.undecided.first().and_then(|r| rules.get(r.index())) {
        let n = decided.undecided.len();
        let names: Vec<String> = decided.undecided.iter().take(SHOWN).map(|&r| ctx.rule_name(r)).collect();
        let mut d = diagnostic(
            Code::AnalysisIncomplete,
            first.span,
            format!("could not decide whether {n} rule{} can match", if n == 1 { "" } else { "s" }),
        )
        .label("not proved reachable or unreachable");
        let regex = decided.undecided.iter().filter_map(|r| rules.get(r.index())).any(|r| has_regex(&r.condition));
        d = d.help(if regex {
            "`matches` patterns are only approximated; a plainer pattern, or `==`, `contains`, `starts_with`, `ends_with`, can be decided"
        } else {
            "the search for a lead reaching them, or for a proof that none does, ran out of steps; nothing is claimed about them"
        });
        if n > 1 {
            let more = n.saturating_sub(SHOWN);
            let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
            d = d.note(format!("undecided: {}{tail}", names.join(", ")));
        }
        out.push(d);
    }
    if coverage_open {
        let span = rules.last().map_or(Span::default(), |r| r.span);
        out.push(
            diagnostic(Code::AnalysisIncomplete, span, "could not decide whether every lead matches a rule".to_string())
                .label("no coverage gap was found, but none was ruled out")
                .help("a `matches` pattern the analysis only approximates, or a long rules list left by the compiler's size budget, kept the search from finishing; ending the rules with `otherwise` settles it"),
        );
    }
    out
}

// ---------------------------------------------------------------------------
// Overlaps.
// ---------------------------------------------------------------------------

/// What a condition's top-level conjunction says about enum and bool
/// fields: the values it allows, for a cheap disjointness test.
pub(crate) struct Signature {
    /// Per field: a bit per enum value (or false/true), the last for absent.
    masks: Vec<(FieldId, u64)>,
}

pub(crate) fn signature(env: &Env<'_>, cond: &Cond) -> Signature {
    let mut facts: Vec<Lit<'_>> = Vec::new();
    let mut stack = vec![cond];
    while let Some(c) = stack.pop() {
        match c {
            Cond::All(parts) => stack.extend(parts.iter()),
            Cond::Test(test) => facts.push(Lit::Test(test, true)),
            Cond::Not(inner) => {
                if let Cond::Test(test) = &**inner {
                    facts.push(Lit::Test(test, false));
                }
            }
            _ => {}
        }
    }
    let schema = env.schema;
    let mut masks = Vec::new();
    let mut fields: Vec<FieldId> = facts.iter().map(Lit::field).collect();
    fields.sort_unstable();
    fields.dedup();
    for field in fields {
        let Some(info) = schema.fields.get(field.index()) else { continue };
        let values: Vec<Value> = match info.ty {
            FieldType::Enum(id) => {
                let n = schema.enums.get(id.0 as usize).map_or(0, |e| e.values.len());
                if n >= 63 {
                    continue;
                }
                (0..n).filter_map(|i| u32::try_from(i).ok()).map(Value::Enum).collect()
            }
            FieldType::Bool => vec![Value::Bool(false), Value::Bool(true)],
            _ => continue,
        };
        let on: Vec<&Lit<'_>> = facts.iter().filter(|l| l.field() == field).collect();
        let mut mask = 0u64;
        for (i, v) in values.iter().chain(std::iter::once(&Value::Absent)).enumerate() {
            if on.iter().all(|l| l.holds(v, env.lookups)) && (i < values.len() || info.optional) {
                mask |= 1 << i;
            }
        }
        masks.push((field, mask));
    }
    Signature { masks }
}

/// Whether two signatures allow no common value of some enum or bool field.
pub(crate) fn disjoint(a: &Signature, b: &Signature) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(&(fa, ma)), Some(&(fb, mb))) = (a.masks.get(i), b.masks.get(j)) {
        match fa.cmp(&fb) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if ma & mb == 0 {
                    return true;
                }
                i += 1;
                j += 1;
            }
        }
    }
    false
}

fn same_action(a: &Action, b: &Action) -> bool {
    a.target == b.target && a.fallbacks == b.fallbacks
}

/// One overlap found: a lead the earlier rule takes that the later one
/// also matches.
struct Found {
    earlier: usize,
    later: usize,
    lead: Lead,
}

/// `W0111` notes: a reachable rule that also matches leads an earlier
/// rule with a different target takes, with such a lead. Overlaps are
/// grouped by pair of targets (one note each, with the count), and the
/// [`MAX_OVERLAP_NOTES`] largest groups are shown: on a real policy most
/// overlaps are the same question asked again.
pub(crate) fn overlaps(ctx: &Ctx<'_>, decided: &Decided) -> Vec<Diagnostic> {
    let rules = &ctx.program.rules;
    let (found, stopped) = find_overlaps(ctx, decided);
    let mut groups: Vec<(String, String, Vec<Found>)> = Vec::new();
    for f in found {
        let (Some(earlier), Some(later)) = (rules.get(f.earlier), rules.get(f.later)) else { continue };
        let key = (describe(ctx, &earlier.action.target), describe(ctx, &later.action.target));
        match groups.iter_mut().find(|(e, l, _)| (e, l) == (&key.0, &key.1)) {
            Some((_, _, members)) => members.push(f),
            None => groups.push((key.0, key.1, vec![f])),
        }
    }
    // Largest first; the sort is stable, so ties keep source order.
    groups.sort_by_key(|(_, _, members)| std::cmp::Reverse(members.len()));
    let total = groups.len();
    let mut out: Vec<Diagnostic> =
        groups.iter().take(MAX_OVERLAP_NOTES).filter_map(|(e, l, members)| overlap_note(ctx, e, l, members)).collect();
    if total > MAX_OVERLAP_NOTES {
        let hidden: usize = groups.iter().skip(MAX_OVERLAP_NOTES).map(|(_, _, m)| m.len()).sum();
        if let Some(last) = out.pop() {
            out.push(last.note(format!(
                "{} more pairs of targets overlap ({hidden} rule pairs); only the {MAX_OVERLAP_NOTES} largest are shown",
                total - MAX_OVERLAP_NOTES
            )));
        }
    }
    if stopped {
        let span = rules.first().map_or(Span::default(), |r| r.span);
        out.push(
            diagnostic(
                Code::AnalysisIncomplete,
                span,
                format!("the overlap search stopped after {MAX_OVERLAPS} overlaps or {OVERLAP_QUESTIONS} questions"),
            )
            .label("overlaps after this many are not listed"),
        );
    }
    out
}

/// Every overlap, up to the search's limits; `true` when a limit stopped it.
fn find_overlaps(ctx: &Ctx<'_>, decided: &Decided) -> (Vec<Found>, bool) {
    let rules = &ctx.program.rules;
    let reachable: Vec<usize> =
        (0..rules.len()).filter(|&i| decided.witnesses.get(i).is_some_and(Option::is_some)).collect();
    let signatures: Vec<Signature> = rules.iter().map(|r| signature(&ctx.env, &r.condition)).collect();
    let mut found = Vec::new();
    let mut questions = 0usize;
    for (position, &j) in reachable.iter().enumerate() {
        let Some(later) = rules.get(j) else { continue };
        // An `otherwise` (in a block too) takes what is left, by design.
        if later.otherwise || matches!(later.condition, Cond::True) {
            continue;
        }
        for &i in reachable.iter().take(position) {
            let Some(earlier) = rules.get(i) else { continue };
            if same_action(&earlier.action, &later.action) {
                continue;
            }
            let (Some(si), Some(sj)) = (signatures.get(i), signatures.get(j)) else { continue };
            if disjoint(si, sj) {
                continue;
            }
            if found.len() >= MAX_OVERLAPS || questions >= OVERLAP_QUESTIONS {
                return (found, true);
            }
            if let Some(lead) = overlap_lead(ctx, i, j, &mut questions) {
                found.push(Found { earlier: i, later: j, lead });
            }
        }
    }
    (found, false)
}

/// The note of one pair of targets: the first overlap in full, the others
/// named.
fn overlap_note(ctx: &Ctx<'_>, earlier_target: &str, later_target: &str, members: &[Found]) -> Option<Diagnostic> {
    let rules = &ctx.program.rules;
    let first = members.first()?;
    let (earlier, later) = (rules.get(first.earlier)?, rules.get(first.later)?);
    let message = match members.len() {
        1 => format!(
            "rule `{}` overlaps the earlier rule `{}`, which sends to a different target",
            later.name, earlier.name
        ),
        n => format!("{n} rule pairs overlap: rules sending to {later_target} match leads that earlier rules send to {earlier_target}"),
    };
    let mut d = diagnostic(Code::Overlap, later.span, message)
        .label(format!("also matches leads that `{}` takes first", earlier.name))
        .with_label(earlier.span, format!("takes them: {earlier_target}"))
        .help("if both should apply, make the conditions exclusive, or reorder the rules");
    if members.len() > 1 {
        let pairs: Vec<String> = members
            .iter()
            .skip(1)
            .take(SHOWN)
            .filter_map(|f| Some(format!("`{}` after `{}`", rules.get(f.later)?.name, rules.get(f.earlier)?.name)))
            .collect();
        let more = members.len().saturating_sub(SHOWN + 1);
        let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
        d = d.note(format!("also: {}{tail}", pairs.join(", ")));
    }
    d.example = Some(ctx.example(&first.lead));
    Some(d)
}

/// A lead both rules match that the earlier one (`i`) takes.
fn overlap_lead(ctx: &Ctx<'_>, i: usize, j: usize, questions: &mut usize) -> Option<Lead> {
    let rules = &ctx.program.rules;
    let (earlier, later) = (rules.get(i)?, rules.get(j)?);
    let mut blockers: Vec<RuleId> = Vec::new();
    for _ in 0..OVERLAP_ROUNDS {
        *questions += 1;
        let mut goals = vec![Goal::holds(&earlier.condition), Goal::holds(&later.condition)];
        goals.extend(blockers.iter().filter_map(|b| rules.get(b.index())).map(|r| Goal::fails(&r.condition)));
        let Outcome::Sat(lead) = ctx.solve(&goals) else { return None };
        match ctx.dag.route(&lead, &ctx.program.lookups) {
            Some(k) if k.index() == i => {
                return ctx.routes_to(&lead, Some(k)).then(|| named(ctx, lead, "example-overlap", Some(k)));
            }
            Some(k) if k.index() < i && !blockers.contains(&k) => blockers.push(k),
            _ => return None,
        }
    }
    None
}

/// A target as written.
pub(crate) fn describe(ctx: &Ctx<'_>, target: &Target) -> String {
    let program = ctx.program;
    match target {
        Target::Team { team, .. } => {
            format!("team `{}`", program.teams.get(team.0 as usize).map_or("?", |t| t.name.as_str()))
        }
        Target::Rep(id) => format!("rep `{id}`"),
        Target::RepLookup { lookup, key } => format!(
            "rep `{}[{}]`",
            program.lookups.get(lookup.0 as usize).map_or("?", |l| l.name.as_str()),
            program.schema.fields.get(key.index()).map_or("?", |f| f.name.as_str())
        ),
        Target::Queue(name) => format!("queue `{name}`"),
        Target::RepField(field) => {
            format!("rep `{}`", program.schema.fields.get(field.index()).map_or("?", |f| f.name.as_str()))
        }
    }
}
