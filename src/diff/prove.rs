//! The proof: for every old rule `i` and new rule `j` (or "no rule") whose
//! destinations differ, is there a valid lead that old rule `i` takes and
//! new rule `j` takes? Asked of the analysis's solver over the joint lead
//! space, counter-example guided: find a lead satisfying both conditions
//! and failing the blockers so far; route it under both versions; an
//! earlier rule that takes it becomes a blocker, and the search goes on.
//! It ends with an example (verified: one input record, read and routed
//! under each version by the DAG and the reference interpreter), a proof
//! that the pair never happens, or "not decided".

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use super::identity::render_action;
use super::joint::{Joint, Version};
use crate::analysis::lead_to_json;
use crate::analysis::oracle::{Answer, Oracle, Signature};
use crate::check::program::{Cond, Program, RuleId, TestKind};
use crate::compile::Dag;
use crate::eval::reference;
use crate::schema::Lead;

/// Counter-example rounds for one pair: blockers it may collect.
const ROUNDS: usize = 128;

/// What "no rule matched" leads get.
pub(crate) const UNMATCHED: &str = "no rule: queue unassigned";

/// One version, checked and compiled.
pub(crate) struct Side<'a> {
    pub(crate) program: &'a Program,
    pub(crate) dag: &'a Dag,
}

/// A region of lead space that changes destination, with its example.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Region {
    /// The old rule (`None`: no rule matched).
    pub old_rule: Option<String>,
    /// The new rule (`None`: no rule matched).
    pub new_rule: Option<String>,
    /// Where the old version sends these leads.
    pub old_target: String,
    /// Where the new version sends them.
    pub new_target: String,
    /// One lead of the region, as the JSON object `route eval --lead`
    /// reads (the keys of both versions' columns).
    pub example: Json,
}

/// A pair left undecided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Open {
    /// The old rule (`None`: no rule matched).
    pub old_rule: Option<String>,
    /// The new rule (`None`: no rule matched).
    pub new_rule: Option<String>,
    /// Why it is not decided.
    pub reason: String,
}

/// What the search found.
#[derive(Debug, Default)]
pub(crate) struct Proof {
    pub(crate) regions: Vec<Region>,
    pub(crate) open: Vec<Open>,
    /// Pairs with different destinations no twin rule ruled out, and how
    /// many were searched (the rest were ruled out by the enum/bool filter,
    /// or left when the budget ran out).
    pub(crate) pairs: usize,
    pub(crate) asked: usize,
    /// Pairs left unsearched when the budget ran out.
    pub(crate) unsearched: usize,
    /// Of those, pairs not listed in `open`.
    pub(crate) unlisted: usize,
}

/// Rule `i` of a side, or its "no rule" pseudo-rule at `i == len`.
struct Pick<'j> {
    rule: Option<RuleId>,
    cond: Option<&'j Cond>,
    name: Option<String>,
    destination: String,
}

fn picks<'j>(program: &Program, conds: &'j [Cond]) -> Vec<Pick<'j>> {
    let mut out: Vec<Pick<'j>> = program
        .rules
        .iter()
        .zip(conds)
        .enumerate()
        .map(|(i, (rule, cond))| Pick {
            rule: u32::try_from(i).ok().map(RuleId),
            cond: Some(cond),
            name: Some(rule.name.clone()),
            destination: render_action(program, &rule.action, false),
        })
        .collect();
    out.push(Pick { rule: None, cond: None, name: None, destination: UNMATCHED.to_string() });
    out
}

/// Pairs listed as not proven at most; the rest are counted.
const MAX_OPEN: usize = 200;

/// Searches every pair with different destinations that no twin rule
/// rules out, within `budget` solver questions.
pub(crate) fn prove(old: &Side<'_>, new: &Side<'_>, joint: &Joint, budget: usize) -> Proof {
    let oracle = Oracle::new(&joint.schema, &joint.lookups);
    let old_picks = picks(old.program, &joint.old_rules);
    let new_picks = picks(new.program, &joint.new_rules);
    let (old_twin, new_twin) = twins(&joint.old_rules, &joint.new_rules);
    let signatures = |conds: &[Cond]| conds.iter().map(|c| oracle.signature(c)).collect::<Vec<_>>();
    let (old_signatures, new_signatures) = (signatures(&joint.old_rules), signatures(&joint.new_rules));
    let mut proof = Proof::default();
    let mut questions = 0usize;
    for_each_candidate(&old_twin, &new_twin, |i, j| {
        let (Some(a), Some(b)) = (old_picks.get(i), new_picks.get(j)) else { return };
        if a.destination == b.destination {
            return;
        }
        proof.pairs += 1;
        if let (Some(x), Some(y)) = (signature(&old_signatures, a.rule), signature(&new_signatures, b.rule)) {
            if x.disjoint(y) {
                return;
            }
        }
        let open = |reason: &str| Open { old_rule: a.name.clone(), new_rule: b.name.clone(), reason: reason.into() };
        if questions >= budget {
            proof.unsearched += 1;
            if proof.open.len() < MAX_OPEN {
                proof.open.push(open("the search budget ran out before this pair was asked"));
            } else {
                proof.unlisted += 1;
            }
            return;
        }
        proof.asked += 1;
        match search(&oracle, joint, (old, a), (new, b), &mut questions) {
            Found::Region(example) => proof.regions.push(Region {
                old_rule: a.name.clone(),
                new_rule: b.name.clone(),
                old_target: a.destination.clone(),
                new_target: b.destination.clone(),
                example,
            }),
            Found::Never => {}
            Found::Open(reason) => proof.open.push(open(reason)),
        }
    });
    proof
}

/// Visits every pair (old rule `i`, new rule `j`), "no rule" being index
/// `len` on each side, that no twin rules out. Twins decide pairs without
/// a solver: if old rule `i` fires, its new twin `k` holds too, so no new
/// rule after `k` fires (nor "no rule"); and if new rule `j` fires, its old
/// twin `k'` holds, so no old rule after `k'` fires. Walking the old rules
/// in order with the set of new rules still possible keeps an unchanged
/// program at one pair per rule instead of all of them.
fn for_each_candidate(old_twin: &[Option<usize>], new_twin: &[Option<usize>], mut visit: impl FnMut(usize, usize)) {
    let (m, n) = (old_twin.len(), new_twin.len());
    // New rules leave the set once the old rules pass their twin.
    let mut leaving: Vec<Vec<usize>> = vec![Vec::new(); m + 2];
    let mut possible: BTreeSet<usize> = (0..=n).collect();
    for (j, twin) in new_twin.iter().enumerate() {
        if let Some(slot) = twin.and_then(|k| leaving.get_mut(k + 1)) {
            slot.push(j);
        }
    }
    for i in 0..=m {
        for j in leaving.get(i).into_iter().flatten() {
            possible.remove(j);
        }
        let last = old_twin.get(i).copied().flatten().unwrap_or(n);
        for &j in possible.range(..=last) {
            visit(i, j);
        }
    }
}

/// Per rule of each version: the first rule of the other version with the
/// same condition (up to the order of `and`/`or` parts and nesting).
fn twins(old: &[Cond], new: &[Cond]) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let old_keys: Vec<String> = old.iter().map(condition_key).collect();
    let new_keys: Vec<String> = new.iter().map(condition_key).collect();
    let first = |key: &String, keys: &[String]| keys.iter().position(|k| k == key);
    (old_keys.iter().map(|k| first(k, &new_keys)).collect(), new_keys.iter().map(|k| first(k, &old_keys)).collect())
}

/// A condition's structure without spans: `and`/`or` flattened and their
/// parts sorted (conditions have no side effects, so order is no meaning).
fn condition_key(cond: &Cond) -> String {
    match cond {
        Cond::True => "true".to_string(),
        Cond::Test(test) => format!("{}:{:?}", test.field.0, test.kind),
        Cond::Not(inner) => format!("not({})", condition_key(inner)),
        Cond::All(_) | Cond::Any(_) => {
            let all = matches!(cond, Cond::All(_));
            let mut parts = Vec::new();
            flatten(cond, all, &mut parts);
            let mut keys: Vec<String> = parts.into_iter().map(condition_key).collect();
            keys.sort_unstable();
            keys.dedup();
            if keys.len() == 1 {
                return keys.concat();
            }
            format!("{}({})", if all { "all" } else { "any" }, keys.join(","))
        }
    }
}

fn flatten<'c>(cond: &'c Cond, all: bool, out: &mut Vec<&'c Cond>) {
    match cond {
        Cond::All(parts) if all => parts.iter().for_each(|p| flatten(p, all, out)),
        Cond::Any(parts) if !all => parts.iter().for_each(|p| flatten(p, all, out)),
        Cond::True if all => {}
        other => out.push(other),
    }
}

/// A rule's signature (`None` for "no rule").
fn signature(signatures: &[Signature], rule: Option<RuleId>) -> Option<&Signature> {
    rule.and_then(|r| signatures.get(r.index()))
}

enum Found {
    Region(Json),
    Never,
    Open(&'static str),
}

/// The counter-example guided search for one pair.
fn search<'j>(
    oracle: &Oracle<'j>,
    joint: &'j Joint,
    (old, a): (&Side<'_>, &Pick<'j>),
    (new, b): (&Side<'_>, &Pick<'j>),
    questions: &mut usize,
) -> Found {
    // "No rule" fails every rule: all are blockers from the start.
    let mut old_blockers: Vec<usize> = if a.cond.is_none() { (0..joint.old_rules.len()).collect() } else { Vec::new() };
    let mut new_blockers: Vec<usize> = if b.cond.is_none() { (0..joint.new_rules.len()).collect() } else { Vec::new() };
    for _ in 0..ROUNDS {
        *questions += 1;
        let holds: Vec<&Cond> = a.cond.into_iter().chain(b.cond).collect();
        let fails: Vec<&Cond> = old_blockers
            .iter()
            .filter_map(|&k| joint.old_rules.get(k))
            .chain(new_blockers.iter().filter_map(|&k| joint.new_rules.get(k)))
            .collect();
        let lead = match oracle.solve(&holds, &fails) {
            Answer::Sat(lead) => lead,
            Answer::Unsat => return Found::Never,
            Answer::Unknown => return Found::Open(undecided_reason(a.cond, b.cond)),
        };
        let old_first = first_match(&joint.old_rules, &joint.lookups, &lead);
        let new_first = first_match(&joint.new_rules, &joint.lookups, &lead);
        let old_ok = old_first == a.rule.map(RuleId::index);
        let new_ok = new_first == b.rule.map(RuleId::index);
        if old_ok && new_ok {
            return match verify(joint, (old, a.rule), (new, b.rule), &lead) {
                Some(example) => Found::Region(example),
                None => Found::Open("an example was found but did not read back as the same lead under both versions"),
            };
        }
        let lookups = &joint.lookups;
        let progress = block(old_ok, old_first, a.rule, &joint.old_rules, &lead, lookups, &mut old_blockers)
            | block(new_ok, new_first, b.rule, &joint.new_rules, &lead, lookups, &mut new_blockers);
        if !progress {
            return Found::Open("the search made no progress");
        }
    }
    Found::Open("the search ran out of rounds")
}

/// Earlier rules besides the first match blocked per round.
const EXTRA_BLOCKERS: usize = 32;

/// Adds the rule that took the lead first to the blockers, and other rules
/// before `target` the lead satisfies too (each of them would take some of
/// the leads the search looks at next: blocking them at once saves rounds).
fn block(
    ok: bool,
    first: Option<usize>,
    target: Option<RuleId>,
    rules: &[Cond],
    lead: &Lead,
    lookups: &[crate::check::program::Lookup],
    blockers: &mut Vec<usize>,
) -> bool {
    let Some(k) = first.filter(|k| !ok && !blockers.contains(k)) else { return false };
    blockers.push(k);
    let end = target.map_or(rules.len(), RuleId::index);
    let extra: Vec<usize> = (k + 1..end)
        .filter(|r| !blockers.contains(r))
        .filter(|&r| rules.get(r).is_some_and(|c| c.holds(lead, lookups)))
        .take(EXTRA_BLOCKERS)
        .collect();
    blockers.extend(extra);
    true
}

fn first_match(rules: &[Cond], lookups: &[crate::check::program::Lookup], lead: &Lead) -> Option<usize> {
    rules.iter().position(|c| c.holds(lead, lookups))
}

fn undecided_reason(a: Option<&Cond>, b: Option<&Cond>) -> &'static str {
    if a.into_iter().chain(b).any(has_regex) {
        "a `matches` pattern is only approximated by the solver"
    } else {
        "the solver ran out of steps"
    }
}

fn has_regex(cond: &Cond) -> bool {
    match cond {
        Cond::Test(test) => matches!(test.kind, TestKind::Matches(_)),
        Cond::Not(inner) => has_regex(inner),
        Cond::All(parts) | Cond::Any(parts) => parts.iter().any(has_regex),
        Cond::True => false,
    }
}

/// The example as one JSON record both versions read, when each reads it
/// and sends it to the expected rule, by the DAG and by the reference
/// interpreter alike.
fn verify(
    joint: &Joint,
    old: (&Side<'_>, Option<RuleId>),
    new: (&Side<'_>, Option<RuleId>),
    lead: &Lead,
) -> Option<Json> {
    let old_lead = joint.side_lead(old.0.program, Version::Old, lead)?;
    let new_lead = joint.side_lead(new.0.program, Version::New, lead)?;
    let mut record = Map::new();
    for object in [lead_to_json(&old.0.program.schema, &old_lead), lead_to_json(&new.0.program.schema, &new_lead)] {
        let Json::Object(object) = object else { return None };
        for (key, value) in object {
            match record.get(&key) {
                Some(existing) if *existing != value => return None,
                _ => {
                    record.insert(key, value);
                }
            }
        }
    }
    let record = Json::Object(record);
    let text = record.to_string();
    (routes(old.0, &text, old.1) && routes(new.0, &text, new.1)).then_some(record)
}

/// Whether the JSON record reads as a valid lead of the side and goes to
/// `expected` by its DAG and the reference interpreter.
pub(crate) fn routes(side: &Side<'_>, json: &str, expected: Option<RuleId>) -> bool {
    let program = side.program;
    let Ok(mut lead) = crate::io::single_lead(&program.schema, json).lead else { return false };
    // No derived value depends on the instant yet: any `now` will do.
    program.derive(&mut lead, jiff::Timestamp::UNIX_EPOCH);
    side.dag.route(&lead, &program.lookups) == expected && reference::first_match(program, &lead) == expected
}
