//! The compiled DAG agrees with the reference interpreter on random rule
//! sets and random leads, with the default budget and with budgets so small
//! that the `Rules` fallback is taken.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod dag_support;

use dag_support::random::*;
use proptest::prelude::*;
use route::check::program::Program;
use route::compile::{compile, compile_for_routing, Budget, Node};
use route::eval::reference;
use route::schema::{Lead, Value};

// Field indices of the random schema.
const MORE_STRS: &[&str] = &["abd", "q", "A", "aBc", "x.edux", "bab"];
const REGEXES: &[&str] = &["^a", "b$", "a.c", "^$", "(?i)AB"];
#[derive(Debug, Clone)]
struct Case {
    enum_size: u8,
    optional: [bool; 4],
    rules: Vec<CondSpec>,
    leads: Vec<Vec<u16>>,
}

fn atom() -> impl Strategy<Value = Atom> {
    let small = || 0u8..16;
    prop_oneof![
        (0..FIELDS).prop_map(Atom::Exists),
        small().prop_map(Atom::EnumEq),
        prop::collection::vec(small(), 0..4).prop_map(Atom::EnumIn),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::StrEq(t, i)),
        (any::<bool>(), prop::collection::vec(small(), 0..4)).prop_map(|(t, v)| Atom::StrIn(t, v)),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::StartsWith(t, i)),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::EndsWith(t, i)),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::Contains(t, i)),
        (any::<bool>(), small()).prop_map(|(t, i)| Atom::Matches(t, i)),
        any::<bool>().prop_map(Atom::InLookup),
        (any::<bool>(), small(), any::<bool>()).prop_map(|(f, i, float)| Atom::NumEq(f, i, float)),
        (any::<bool>(), prop::collection::vec((small(), any::<bool>()), 0..4)).prop_map(|(f, v)| Atom::NumIn(f, v)),
        (any::<bool>(), 0u8..4, small()).prop_map(|(f, op, i)| Atom::NumCmp(f, op, i)),
        // Every threshold, the int edges (i64::MAX, 2^53 ± 1) included.
        (any::<bool>(), 0u8..4, 0u8..40).prop_map(|(f, op, i)| Atom::NumCmp(f, op, i)),
        any::<bool>().prop_map(Atom::BoolEq),
        small().prop_map(Atom::ListContains),
        Just(Atom::ListExists),
    ]
}

fn cond() -> impl Strategy<Value = CondSpec> {
    let leaf = prop_oneof![1 => Just(CondSpec::True), 12 => atom().prop_map(CondSpec::Atom)];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(CondSpec::All),
            prop::collection::vec(inner.clone(), 0..4).prop_map(CondSpec::Any),
            inner.prop_map(|c| CondSpec::Not(Box::new(c))),
        ]
    })
}

fn case() -> impl Strategy<Value = Case> {
    case_of(1..30)
}

/// Lists longer than 32 candidates are split by the shrinking heuristic.
fn long_case() -> impl Strategy<Value = Case> {
    case_of(33..60)
}

fn case_of(rules: std::ops::Range<usize>) -> impl Strategy<Value = Case> {
    (
        2u8..=4,
        any::<[bool; 4]>(),
        prop::collection::vec(prop_oneof![1 => Just(CondSpec::True), 40 => cond()], rules),
        prop::collection::vec(prop::collection::vec(any::<u16>(), FIELDS as usize + 3), 1..24),
    )
        .prop_map(|(enum_size, optional, rules, leads)| Case { enum_size, optional, rules, leads })
}

/// Rule lists as long as the generated benchmark programs' (hundreds of
/// rules, each a conjunction of one to four tests, now and then with an
/// `or` or a `not` in it, as `shared/bench/gen_rules.py` writes them): the
/// bitset filter over hundreds of rules, and DAGs whose budgets leave long
/// `Rules` lists.
fn large_case() -> impl Strategy<Value = Case> {
    let part = prop_oneof![
        12 => atom().prop_map(CondSpec::Atom),
        1 => prop::collection::vec(atom().prop_map(CondSpec::Atom), 2..3).prop_map(CondSpec::Any),
        1 => prop::collection::vec(atom().prop_map(CondSpec::Atom), 1..3)
            .prop_map(|parts| CondSpec::Not(Box::new(CondSpec::Any(parts)))),
    ];
    let rule = prop::collection::vec(part, 1..5).prop_map(CondSpec::All);
    (
        2u8..=4,
        any::<[bool; 4]>(),
        prop::collection::vec(rule, 150..400),
        prop::collection::vec(prop::collection::vec(any::<u16>(), FIELDS as usize + 3), 64..128),
    )
        .prop_map(|(enum_size, optional, rules, leads)| Case { enum_size, optional, rules, leads })
}

fn build(case: &Case) -> Program {
    build_program(case.enum_size, case.optional, &case.rules, REGEXES)
}

fn string_value(choice: u16) -> Value {
    let pool: Vec<&str> = STRS.iter().chain(MORE_STRS).chain(LOOKUP_KEYS).copied().collect();
    Value::Str(pool[choice as usize % pool.len()].into())
}

fn int_value(choice: u16) -> Value {
    let mut pool: Vec<i64> =
        INTS.iter().chain(INT_EDGES).flat_map(|&i| [i.saturating_sub(1), i, i.saturating_add(1)]).collect();
    pool.extend([5, -100, i64::MAX, i64::MIN, (1 << 53) + 1]);
    Value::Int(pool[choice as usize % pool.len()])
}

fn float_value(choice: u16) -> Value {
    let mut pool: Vec<f64> = FLOATS
        .iter()
        .chain(THRESHOLDS)
        .flat_map(|&f| {
            [f - 0.5, f, f + 0.5, f64::from_bits(f.to_bits() + 1), f64::from_bits(f.to_bits().wrapping_sub(1))]
        })
        .collect();
    pool.extend([f64::NAN, -0.0, 1e300, 9_007_199_254_740_992.0, 9_007_199_254_740_994.0, 9.223_372_036_854_776e18]);
    let f = pool[choice as usize % pool.len()];
    if choice.is_multiple_of(7) && f.fract() == 0.0 && f.abs() < 1e15 {
        Value::Int(f as i64) // ints are accepted for float fields
    } else {
        Value::Float(f)
    }
}

/// A lead from random choices: about one value in eight is absent, in
/// every field (required ones included: `route` must stay exact there too).
fn lead(choices: &[u16], enum_size: u8) -> Lead {
    let absent = |c: u16| c.is_multiple_of(8);
    let values = (0..FIELDS)
        .map(|f| {
            let c = choices[f as usize];
            if absent(c) {
                return Value::Absent;
            }
            let c = c / 8;
            match f {
                E => Value::Enum(u32::from(c) % u32::from(enum_size)),
                S | T => string_value(c),
                I => int_value(c),
                F => float_value(c),
                B => Value::Bool(c.is_multiple_of(2)),
                _ => {
                    let n = c as usize % 4;
                    Value::List((0..n).map(|k| string_value(choices[FIELDS as usize + k % 3] / 3)).collect())
                }
            }
        })
        .collect();
    Lead { values }
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let program = build(case);
    let lookups = &program.lookups;
    for budget in [Budget::for_program(&program), Budget { max_nodes: 5 }, Budget { max_nodes: 40 }] {
        let dag = compile(&program, budget);
        for choices in &case.leads {
            let lead = lead(choices, case.enum_size);
            let expected = reference::first_match(&program, &lead);
            let got = dag.route(&lead, lookups);
            prop_assert_eq!(got, expected, "budget {:?}, lead {:?}\n{}", budget, lead, dag.listing(&program));
            // `route` matches through the bitset filter; the DAG walk the
            // analyses rely on must agree too.
            let walked = dag.walk(&lead, lookups);
            prop_assert_eq!(walked, expected, "walk, budget {:?}, lead {:?}\n{}", budget, lead, dag.listing(&program));
        }
    }
    // The DAG `route eval` routes with: the full filter beside a small
    // DAG, and both agree with the reference.
    let routing = compile_for_routing(&program);
    for choices in &case.leads {
        let lead = lead(choices, case.enum_size);
        let expected = reference::first_match(&program, &lead);
        prop_assert_eq!(routing.route(&lead, lookups), expected, "routing DAG, lead {:?}", lead);
        prop_assert_eq!(routing.walk(&lead, lookups), expected, "routing DAG walked, lead {:?}", lead);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn dag_agrees_with_the_reference(case in case()) {
        check(&case)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn dag_agrees_with_the_reference_on_longer_rule_lists(case in long_case()) {
        check(&case)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn dag_agrees_with_the_reference_on_large_programs(case in large_case()) {
        check(&case)?;
    }
}

/// Every leaf a valid lead can reach is a real answer, and a tiny budget
/// really produces rules nodes.
#[test]
fn tiny_budget_falls_back_to_rules_nodes() {
    let case = Case {
        enum_size: 3,
        optional: [true, false, true, false],
        rules: (0..12)
            .map(|i| {
                CondSpec::All(vec![
                    CondSpec::Atom(Atom::EnumEq(i)),
                    CondSpec::Atom(Atom::NumCmp(i % 2 == 0, 3, i)),
                    CondSpec::Atom(Atom::StrIn(false, vec![i, i + 1])),
                ])
            })
            .collect(),
        leads: vec![],
    };
    let program = build(&case);
    let dag = compile(&program, Budget { max_nodes: 5 });
    let stats = dag.stats();
    assert!(stats.budget_hit, "{stats:?}");
    assert!(stats.rules_nodes > 0, "{stats:?}");
    assert!(dag.nodes().iter().any(|n| matches!(n, Node::Rules { .. })));
    // Programs of more than eight rules get a bitset filter.
    assert!(stats.filters > 0 && stats.filter_words > 0, "{stats:?}");
    let full = compile(&program, Budget::UNLIMITED);
    assert!(!full.stats().budget_hit);
    assert_eq!(full.stats().rules_nodes, 0);
}
