//! Property tests of `route check`'s analysis on random rule sets over
//! every kind of field and atom:
//!
//! - every rule is witnessed, proved unreachable, or (only when a `matches`
//!   atom is involved) left undecided;
//! - every witness is a valid lead that reads back from its JSON unchanged
//!   and that the DAG and the reference interpreter both route to its rule;
//! - no rule reported unreachable is ever hit, by any witness or by any of
//!   more than 10^5 random valid leads;
//! - every gap example is unrouted; when the analysis proves there is no
//!   gap, no random lead falls through;
//! - the answers do not depend on the DAG size budget.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod dag_support;

use std::collections::BTreeSet;

use dag_support::random::*;
use proptest::prelude::*;
use route::analysis::{analyse, lead_to_json, Analysis, Options};
use route::check::program::{Cond, Program, RuleId, TestKind};
use route::compile::{compile, Budget, Dag};
use route::eval::reference;
use route::schema::{Lead, Value};
use route::source::SourceMap;

const MORE_STRS: &[&str] = &["abd", "q", "A", "aBc", "x.edux", "bab", "aab", "abab"];
const REGEXES: &[&str] = &["^a", "b$", "a.c", "^ab+$", "(?i)AB"];
#[derive(Debug, Clone)]
struct Case {
    enum_size: u8,
    optional: [bool; 4],
    rules: Vec<CondSpec>,
    seed: u64,
}

fn atom(regexes: bool) -> BoxedStrategy<Atom> {
    let small = || 0u8..16;
    let mut options: Vec<BoxedStrategy<Atom>> = vec![
        (0..FIELDS).prop_map(Atom::Exists).boxed(),
        small().prop_map(Atom::EnumEq).boxed(),
        prop::collection::vec(small(), 0..4).prop_map(Atom::EnumIn).boxed(),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::StrEq(t, i)).boxed(),
        (any::<bool>(), prop::collection::vec(small(), 0..4)).prop_map(|(t, v)| Atom::StrIn(t, v)).boxed(),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::StartsWith(t, i)).boxed(),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::EndsWith(t, i)).boxed(),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::Contains(t, i)).boxed(),
        any::<bool>().prop_map(Atom::InLookup).boxed(),
        (any::<bool>(), small(), any::<bool>()).prop_map(|(f, i, float)| Atom::NumEq(f, i, float)).boxed(),
        (any::<bool>(), prop::collection::vec((small(), any::<bool>()), 0..4))
            .prop_map(|(f, v)| Atom::NumIn(f, v))
            .boxed(),
        (any::<bool>(), 0u8..4, 0u8..40).prop_map(|(f, op, i)| Atom::NumCmp(f, op, i)).boxed(),
        any::<bool>().prop_map(Atom::BoolEq).boxed(),
        small().prop_map(Atom::ListContains).boxed(),
        Just(Atom::ListExists).boxed(),
    ];
    if regexes {
        options.push((any::<bool>(), small()).prop_map(|(t, i)| Atom::Matches(t, i)).boxed());
    }
    proptest::strategy::Union::new(options).boxed()
}

fn cond(regexes: bool) -> impl Strategy<Value = CondSpec> {
    let leaf = prop_oneof![1 => Just(CondSpec::True), 40 => atom(regexes).prop_map(CondSpec::Atom)];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 1..4).prop_map(CondSpec::All),
            2 => prop::collection::vec(inner.clone(), 1..4).prop_map(CondSpec::Any),
            1 => inner.prop_map(|c| CondSpec::Not(Box::new(c))),
        ]
    })
}

fn case(regexes: bool) -> impl Strategy<Value = Case> {
    (
        2u8..=4,
        any::<[bool; 4]>(),
        prop::collection::vec(prop_oneof![1 => Just(CondSpec::True), 60 => cond(regexes)], 1..16),
        any::<u64>(),
    )
        .prop_map(|(enum_size, optional, rules, seed)| Case { enum_size, optional, rules, seed })
}

fn build(case: &Case) -> Program {
    build_program(case.enum_size, case.optional, &case.rules, REGEXES)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        route::eval::strategy::splitmix64(&mut self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn string(rng: &mut Rng) -> Value {
    let pool: Vec<&str> = STRS.iter().chain(MORE_STRS).chain(LOOKUP_KEYS).copied().filter(|s| !s.is_empty()).collect();
    let text = match rng.below(4) {
        0 => format!("{}{}", pool[rng.below(pool.len())], pool[rng.below(pool.len())]),
        _ => pool[rng.below(pool.len())].to_string(),
    };
    Value::Str(text.into())
}

/// A valid lead (what the readers produce), values drawn near the literals.
fn valid_lead(program: &Program, rng: &mut Rng, enum_size: u8) -> Lead {
    let values = program
        .schema
        .fields
        .iter()
        .enumerate()
        .map(|(f, field)| {
            if field.optional && rng.below(6) == 0 {
                return Value::Absent;
            }
            match f as u32 {
                E => Value::Enum(rng.below(enum_size as usize) as u32),
                S | T => string(rng),
                I => {
                    let pool: Vec<i64> = INTS.iter().chain(INT_EDGES).copied().collect();
                    let base = pool[rng.below(pool.len())];
                    Value::Int(base.saturating_add(rng.below(3) as i64 - 1))
                }
                F => {
                    let base = FLOATS.iter().chain(THRESHOLDS).copied().filter(|t| t.is_finite()).collect::<Vec<_>>();
                    let t = base[rng.below(base.len())];
                    Value::Float(match rng.below(4) {
                        0 => t - 0.5,
                        1 => t + 0.5,
                        2 => f64::from_bits(t.to_bits() + 1),
                        _ => t,
                    })
                }
                B => Value::Bool(rng.below(2) == 0),
                _ => Value::List((0..rng.below(4)).map(|_| string(rng)).collect()),
            }
        })
        .collect();
    Lead { values }
}

fn has_regex(program: &Program) -> bool {
    fn walk(c: &Cond) -> bool {
        match c {
            Cond::True => false,
            Cond::Test(t) => matches!(t.kind, TestKind::Matches(_)),
            Cond::Not(inner) => walk(inner),
            Cond::All(parts) | Cond::Any(parts) => parts.iter().any(walk),
        }
    }
    program.rules.iter().any(|r| walk(&r.condition))
}

/// The lead is one the readers could produce, and reads back unchanged
/// from the JSON the analysis hands out.
fn assert_valid(program: &Program, lead: &Lead) {
    for (field, value) in program.schema.fields.iter().zip(&lead.values) {
        match value {
            Value::Absent => assert!(field.optional, "required `{}` absent in {lead:?}", field.name),
            Value::Str(s) => assert!(!s.is_empty() && s.trim() == &**s, "bad string in {lead:?}"),
            Value::Float(x) => assert!(x.is_finite()),
            _ => {}
        }
    }
    let json = lead_to_json(&program.schema, lead).to_string();
    let read = route::io::single_lead(&program.schema, &json);
    assert_eq!(read.lead.as_ref().ok(), Some(lead), "{json} reads back differently");
}

fn verify(program: &Program, dag: &Dag, analysis: &Analysis, leads: &[Lead]) -> Result<(), TestCaseError> {
    let rules = program.rules.len();
    let witnessed: BTreeSet<RuleId> = analysis.witnesses.iter().map(|w| w.rule).collect();
    let unreachable: BTreeSet<RuleId> = analysis.unreachable.iter().copied().collect();
    let undecided: BTreeSet<RuleId> = analysis.undecided.iter().copied().collect();
    prop_assert_eq!(witnessed.len() + unreachable.len() + undecided.len(), rules, "a rule in two classes or none");
    if !has_regex(program) {
        prop_assert!(undecided.is_empty(), "undecided without regexes: {:?}", undecided);
        prop_assert!(analysis.coverage_decided);
    }
    for w in &analysis.witnesses {
        assert_valid(program, &w.lead);
        prop_assert_eq!(dag.route(&w.lead, &program.lookups), Some(w.rule));
        prop_assert_eq!(reference::first_match(program, &w.lead), Some(w.rule));
    }
    if let Some(gap) = &analysis.gap {
        assert_valid(program, gap);
        prop_assert_eq!(dag.route(gap, &program.lookups), None);
        prop_assert_eq!(reference::first_match(program, gap), None);
    }
    for lead in leads {
        match reference::first_match(program, lead) {
            Some(r) => {
                prop_assert!(!unreachable.contains(&r), "rule {:?} reported unreachable but {:?} hits it", r, lead)
            }
            None => prop_assert!(
                !(analysis.coverage_decided && analysis.gap.is_none()),
                "no gap reported but {:?} matches no rule",
                lead
            ),
        }
    }
    Ok(())
}

/// Random valid leads per case: 400 × the number of cases run > 10^5.
const LEADS_PER_CASE: usize = 400;

fn check(case: &Case) -> Result<(), TestCaseError> {
    let program = build(case);
    let sources = SourceMap::new();
    let mut rng = Rng(case.seed);
    let leads: Vec<Lead> = (0..LEADS_PER_CASE).map(|_| valid_lead(&program, &mut rng, case.enum_size)).collect();
    let dag = compile(&program, Budget::for_program(&program));
    let analysis = analyse(&program, &dag, &sources, &Options { overlaps: true });
    verify(&program, &dag, &analysis, &leads)?;
    // The same answers with a budget so small that rules nodes do the work.
    for max_nodes in [1, 12] {
        let small = compile(&program, Budget { max_nodes });
        let again = analyse(&program, &small, &sources, &Options::default());
        verify(&program, &small, &again, &leads)?;
        if !has_regex(&program) {
            prop_assert_eq!(&again.unreachable, &analysis.unreachable, "budget {} changes unreachable", max_nodes);
            prop_assert_eq!(again.gap.is_some(), analysis.gap.is_some(), "budget {} changes the gap", max_nodes);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn analysis_is_exact_without_regexes(case in case(false)) {
        check(&case)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn analysis_claims_nothing_unproven_with_regexes(case in case(true)) {
        check(&case)?;
    }
}
