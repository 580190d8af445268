//! `route diff` against brute force: random programs (the shared generator
//! of `dag_support/random.rs`, on its enum, bool, int and required string
//! fields) and a mutated version of each (targets changed, rules removed,
//! swapped, replaced or inserted, or nothing changed). Over a finite domain
//! holding a value of every class the atoms tell apart, every lead is
//! routed under both versions by the reference interpreter:
//!
//! - every region the diff reports has an example that really changes
//!   destination (read from its JSON under both versions, routed by the
//!   DAG and the reference interpreter);
//! - every (old rule, new rule) pair brute force finds changing
//!   destination is reported (as a region; nothing is undecided without
//!   `matches` atoms);
//! - "equivalent" is reported exactly when brute force finds no change.
//!
//! With `matches` atoms (which the solver only approximates) the same
//! claims must hold, undecided pairs counting as reported.
//!
//! The new version may also change the schema (enum values added or
//! removed, fields made optional or required): the brute force then runs
//! over the leads valid under both versions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod dag_support;

use std::collections::BTreeSet;

use dag_support::random::*;
use proptest::prelude::*;
use route::check::program::{Program, Target};
use route::compile::{compile, Budget};
use route::diff::{compare, Options, Verdict};
use route::eval::reference;
use route::schema::{Lead, Value};

const QUEUES: usize = 3;

/// Regexes for `matches` atoms on `t`.
const REGEXES: &[&str] = &["^a", "b$", "a.c", "^ab+$", "(?i)AB"];

/// Atoms over the fields whose domains are enumerated: `e`, `i`, `b`, `t`
/// (with `matches` on `t` when `regexes`).
fn atom(regexes: bool) -> BoxedStrategy<Atom> {
    let small = || 0u8..16;
    let mut options: Vec<BoxedStrategy<Atom>> = vec![
        prop_oneof![Just(E), Just(I), Just(B)].prop_map(Atom::Exists).boxed(),
        small().prop_map(Atom::EnumEq).boxed(),
        prop::collection::vec(small(), 0..4).prop_map(Atom::EnumIn).boxed(),
        small().prop_map(|i| Atom::StrEq(true, i)).boxed(),
        prop::collection::vec(small(), 0..4).prop_map(|v| Atom::StrIn(true, v)).boxed(),
        (small(), any::<bool>()).prop_map(|(i, float)| Atom::NumEq(false, i, float)).boxed(),
        prop::collection::vec((small(), any::<bool>()), 0..4).prop_map(|v| Atom::NumIn(false, v)).boxed(),
        (0u8..4, small()).prop_map(|(op, i)| Atom::NumCmp(false, op, i)).boxed(),
        any::<bool>().prop_map(Atom::BoolEq).boxed(),
    ];
    if regexes {
        options.push(small().prop_map(|i| Atom::Matches(true, i)).boxed());
    }
    proptest::strategy::Union::new(options).boxed()
}

fn cond(regexes: bool) -> impl Strategy<Value = CondSpec> {
    let leaf = prop_oneof![1 => Just(CondSpec::True), 30 => atom(regexes).prop_map(CondSpec::Atom)];
    leaf.prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 1..4).prop_map(CondSpec::All),
            2 => prop::collection::vec(inner.clone(), 1..4).prop_map(CondSpec::Any),
            1 => inner.prop_map(|c| CondSpec::Not(Box::new(c))),
        ]
    })
}

fn rules(regexes: bool) -> impl Strategy<Value = Vec<Rule>> {
    prop::collection::vec((prop_oneof![1 => Just(CondSpec::True), 20 => cond(regexes)], 0..QUEUES), 1..8)
}

/// A rule: its condition and its queue.
type Rule = (CondSpec, usize);

#[derive(Debug, Clone)]
enum Mutation {
    Retarget(usize, usize),
    Remove(usize),
    Swap(usize, usize),
    Replace(usize, CondSpec),
    Insert(usize, CondSpec, usize),
}

fn mutation(regexes: bool) -> impl Strategy<Value = Mutation> {
    let at = || 0usize..16;
    prop_oneof![
        (at(), 0..QUEUES).prop_map(|(i, q)| Mutation::Retarget(i, q)),
        at().prop_map(Mutation::Remove),
        (at(), at()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (at(), cond(regexes)).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (at(), cond(regexes), 0..QUEUES).prop_map(|(i, c, q)| Mutation::Insert(i, c, q)),
    ]
}

fn mutate(rules: &[Rule], mutations: &[Mutation]) -> Vec<Rule> {
    let mut out = rules.to_vec();
    for m in mutations {
        let n = out.len().max(1);
        match m {
            Mutation::Retarget(i, q) => {
                if let Some(rule) = out.get_mut(i % n) {
                    rule.1 = *q;
                }
            }
            Mutation::Remove(i) if out.len() > 1 => {
                out.remove(i % n);
            }
            Mutation::Remove(_) => {}
            Mutation::Swap(a, b) => out.swap(a % n, b % n),
            Mutation::Replace(i, c) => {
                if let Some(rule) = out.get_mut(i % n) {
                    rule.0 = c.clone();
                }
            }
            Mutation::Insert(i, c, q) => out.insert(i % (out.len() + 1), (c.clone(), *q)),
        }
    }
    out
}

fn build(enum_size: u8, optional: [bool; 4], rules: &[Rule]) -> Program {
    let specs: Vec<CondSpec> = rules.iter().map(|(c, _)| c.clone()).collect();
    let mut program = build_program(enum_size, optional, &specs, REGEXES);
    for (rule, (_, q)) in program.rules.iter_mut().zip(rules) {
        rule.action.target = Target::Queue(format!("q{q}"));
    }
    program
}

/// One int per class of every int literal and threshold: each value, its
/// neighbours, and values a little further off. Int literals are taken
/// exactly (ints compare as ints, also beyond 2^53); float points through
/// their floor and ceiling.
fn ints() -> Vec<i64> {
    let mut points: Vec<f64> = THRESHOLDS.to_vec();
    points.extend(FLOATS);
    let mut out: BTreeSet<i64> = [i64::MIN, i64::MAX].into_iter().collect();
    for p in points.into_iter().filter(|p| p.is_finite()) {
        for d in [-4096.0, -1.0, 0.0, 1.0, 4096.0] {
            out.insert((p.floor() + d) as i64);
            out.insert((p.ceil() + d) as i64);
        }
    }
    for &i in INTS.iter().chain(INT_EDGES) {
        for d in [-4096, -1, 0, 1, 4096] {
            out.insert(i.saturating_add(d));
        }
    }
    out.into_iter().collect()
}

/// Every combination of values of `e`, `b`, `i`, `t` (the other fields
/// take one value: no atom reads them).
fn domain(enum_size: u8, optional: [bool; 4]) -> Vec<Lead> {
    let with_absent = |optional: bool, mut pool: Vec<Value>| {
        if optional {
            pool.push(Value::Absent);
        }
        pool
    };
    let enums = with_absent(optional[0], (0..u32::from(enum_size)).map(Value::Enum).collect());
    let ints = with_absent(optional[1], ints().into_iter().map(Value::Int).collect());
    let bools = with_absent(optional[3], vec![Value::Bool(false), Value::Bool(true)]);
    let mut strings: Vec<Value> = STRS.iter().filter(|s| !s.is_empty()).map(|s| Value::Str((*s).into())).collect();
    strings.push(Value::Str("other".into()));
    let float = if optional[2] { Value::Absent } else { Value::Float(0.0) };
    let mut leads = Vec::new();
    for e in &enums {
        for i in &ints {
            for b in &bools {
                for t in &strings {
                    let values =
                        vec![e.clone(), Value::Absent, i.clone(), float.clone(), b.clone(), Value::Absent, t.clone()];
                    leads.push(Lead { values });
                }
            }
        }
    }
    leads
}

fn destination(program: &Program, rule: Option<route::check::program::RuleId>) -> String {
    match rule.and_then(|r| program.rules.get(r.index())) {
        Some(r) => format!("{:?}", r.action.target),
        None => "none".to_string(),
    }
}

fn name(program: &Program, rule: Option<route::check::program::RuleId>) -> Option<String> {
    rule.and_then(|r| program.rules.get(r.index())).map(|r| r.name.clone())
}

/// `exact`: no `matches` atoms, so nothing may be left undecided and the
/// domain holds every class of values.
fn check(old: &Program, new: &Program, domain: &[Lead], exact: bool) -> Result<(), TestCaseError> {
    let report = compare(old, new, &Options::default());
    if exact {
        prop_assert!(report.not_proven.is_empty(), "undecided without regexes: {:?}", report.not_proven);
    }
    let (old_dag, new_dag) = (compile(old, Budget::for_program(old)), compile(new, Budget::for_program(new)));
    for region in &report.regions {
        let text = region.example.to_string();
        let a = route::io::single_lead(&old.schema, &text).lead.expect("the example reads under OLD");
        let b = route::io::single_lead(&new.schema, &text).lead.expect("the example reads under NEW");
        let (ra, rb) = (reference::first_match(old, &a), reference::first_match(new, &b));
        prop_assert_eq!(old_dag.route(&a, &old.lookups), ra);
        prop_assert_eq!(new_dag.route(&b, &new.lookups), rb);
        prop_assert_ne!(destination(old, ra), destination(new, rb), "example {} does not change", text);
        prop_assert_eq!((name(old, ra), name(new, rb)), (region.old_rule.clone(), region.new_rule.clone()));
    }
    let reported: BTreeSet<(Option<String>, Option<String>)> = report
        .regions
        .iter()
        .map(|r| (r.old_rule.clone(), r.new_rule.clone()))
        .chain(report.not_proven.iter().map(|o| (o.old_rule.clone(), o.new_rule.clone())))
        .collect();
    let mut found = BTreeSet::new();
    for lead in domain {
        let (ra, rb) = (reference::first_match(old, lead), reference::first_match(new, lead));
        if destination(old, ra) != destination(new, rb) {
            found.insert((name(old, ra), name(new, rb)));
        }
    }
    let missed: Vec<_> = found.difference(&reported).collect();
    prop_assert!(missed.is_empty(), "pairs brute force found and the diff missed: {:?}", missed);
    if report.verdict == Verdict::Equivalent {
        prop_assert!(found.is_empty(), "called equivalent, but brute force finds changes");
    }
    if exact {
        prop_assert_eq!(report.verdict == Verdict::Equivalent, found.is_empty(), "verdict {:?}", report.verdict);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn diff_agrees_with_brute_force_across_schema_changes(
        enum_sizes in (2u8..=4, 2u8..=4),
        optional in (any::<[bool; 4]>(), any::<[bool; 4]>()),
        rules in rules(false),
        mutations in prop::collection::vec(mutation(false), 0..2),
    ) {
        let old = build(enum_sizes.0, optional.0, &rules);
        let new = build(enum_sizes.1, optional.1, &mutate(&rules, &mutations));
        // Valid under both: the enum values both have, absent only where
        // both versions allow it.
        let both: [bool; 4] = std::array::from_fn(|k| optional.0[k] && optional.1[k]);
        check(&old, &new, &domain(enum_sizes.0.min(enum_sizes.1), both), true)?;
    }

    #[test]
    fn diff_agrees_with_brute_force(
        enum_size in 2u8..=4,
        optional in any::<[bool; 4]>(),
        rules in rules(false),
        mutations in prop::collection::vec(mutation(false), 0..3),
    ) {
        let old = build(enum_size, optional, &rules);
        let new = build(enum_size, optional, &mutate(&rules, &mutations));
        check(&old, &new, &domain(enum_size, optional), true)?;
    }

    /// With `matches` atoms the solver may leave pairs undecided, and the
    /// domain no longer holds every class of strings: then the claims must
    /// still hold (examples verified, nothing brute force finds missed,
    /// never "equivalent" with a change).
    #[test]
    fn diff_is_sound_with_regexes(
        enum_size in 2u8..=4,
        optional in any::<[bool; 4]>(),
        rules in rules(true),
        mutations in prop::collection::vec(mutation(true), 0..3),
    ) {
        let old = build(enum_size, optional, &rules);
        let new = build(enum_size, optional, &mutate(&rules, &mutations));
        check(&old, &new, &domain(enum_size, optional), false)?;
    }
}
