//! Unit tests of the compiler on synthetic programs shaped like
//! `shared/bench/gen_rules.py` output (conjunctions of 1–4 predicates over
//! enum, string, int, float and bool fields; `or`/`not` groups; `!=`).

use super::*;
use crate::check::program::{Action, Cond, Ordering, RuleInfo, Scalar, Target, Test, TestKind};
use crate::eval::reference;
use crate::schema::{EnumId, EnumType, Field, FieldId, FieldType, Lead, Schema, Value};
use crate::source::Span;

/// splitmix64: a tiny deterministic generator, so the test needs no seed
/// plumbing and always builds the same program.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        crate::eval::strategy::splitmix64(&mut self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const REGION: u32 = 0;
const COUNTRY: u32 = 1;
const STATE: u32 = 2;
const EMPLOYEES: u32 = 3;
const REVENUE: u32 = 4;
const INDUSTRY: u32 = 5;
const SOURCE: u32 = 6;
const SCORE: u32 = 7;
const PRODUCT: u32 = 8;
const CUSTOMER: u32 = 9;

const COUNTRIES: &[&str] = &[
    "US", "CA", "MX", "BR", "AR", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "JP", "IN", "AU", "SG", "CN", "KR",
    "ZA",
];
const STATES: &[&str] = &[
    "CA", "NY", "TX", "FL", "WA", "OR", "IL", "MA", "GA", "NC", "OH", "MI", "PA", "NJ", "VA", "CO", "AZ", "MN", "MO",
    "IN",
];
const EMPLOYEE_CUTS: &[f64] = &[50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0];
const REVENUE_CUTS: &[f64] = &[1e6, 5e6, 1e7, 5e7, 1e8, 5e8, 1e9];
const SCORE_CUTS: &[f64] = &[20.0, 30.0, 40.0, 60.0, 70.0, 75.0, 80.0, 85.0, 90.0];

fn schema() -> Schema {
    let field = Field::named;
    let values = |v: &[&str]| EnumType::new(v.iter().map(|s| s.to_string()).collect());
    Schema {
        fields: vec![
            field("region", FieldType::Enum(EnumId(0)), false),
            field("country", FieldType::String, false),
            field("state", FieldType::String, true),
            field("employees", FieldType::Int, false),
            field("annual_revenue", FieldType::Float, false),
            field("industry", FieldType::Enum(EnumId(1)), false),
            field("source", FieldType::Enum(EnumId(2)), false),
            field("score", FieldType::Int, false),
            field("product", FieldType::Enum(EnumId(3)), false),
            field("is_customer", FieldType::Bool, false),
        ],
        enums: vec![
            values(&["NA", "EMEA", "APAC", "LATAM"]),
            values(&[
                "software",
                "finance",
                "healthcare",
                "retail",
                "manufacturing",
                "education",
                "government",
                "other",
            ]),
            values(&["web", "webinar", "event", "partner", "outbound", "referral"]),
            values(&["core", "analytics", "security"]),
        ],
        missing: vec![],
        id_field: None,
        derived: Vec::new(),
        numbers: Default::default(),
    }
}

fn test(field: u32, kind: TestKind) -> Cond {
    Cond::Test(Test { field: FieldId(field), kind, span: Span::default() })
}

fn enum_eq(field: u32, n: usize, rng: &mut Rng) -> Cond {
    test(field, TestKind::Eq(Scalar::Enum(rng.below(n) as u32)))
}

/// One predicate in the style of the generator's templates.
fn predicate(rng: &mut Rng) -> Cond {
    match rng.below(14) {
        0 | 1 => enum_eq(REGION, 4, rng),
        2 => enum_eq(INDUSTRY, 8, rng),
        3 => test(INDUSTRY, TestKind::In((0..1 + rng.below(3)).map(|_| Scalar::Enum(rng.below(8) as u32)).collect())),
        4 => enum_eq(SOURCE, 6, rng),
        5 => enum_eq(PRODUCT, 3, rng),
        6 => test(COUNTRY, TestKind::Eq(Scalar::Str(rng.pick(COUNTRIES).to_string()))),
        7 => test(
            STATE,
            TestKind::In((0..1 + rng.below(4)).map(|_| Scalar::Str(rng.pick(STATES).to_string())).collect()),
        ),
        8 => {
            let op = *rng.pick(&[Ordering::Ge, Ordering::Lt, Ordering::Gt, Ordering::Le]);
            test(EMPLOYEES, TestKind::Compare(op, (*rng.pick(EMPLOYEE_CUTS)).into()))
        }
        9 => test(REVENUE, TestKind::Compare(Ordering::Ge, (*rng.pick(REVENUE_CUTS)).into())),
        10 => test(SCORE, TestKind::Compare(Ordering::Ge, (*rng.pick(SCORE_CUTS)).into())),
        11 => {
            let yes = test(CUSTOMER, TestKind::Eq(Scalar::Bool(true)));
            if rng.chance(50) {
                yes
            } else {
                Cond::Not(Box::new(yes))
            }
        }
        12 => Cond::Not(Box::new(enum_eq(PRODUCT, 3, rng))),
        _ => {
            let group = Cond::Any(vec![enum_eq(SOURCE, 6, rng), predicate(rng)]);
            if rng.chance(50) {
                group
            } else {
                Cond::Not(Box::new(group))
            }
        }
    }
}

fn territory(rng: &mut Rng) -> Cond {
    if rng.chance(60) {
        test(COUNTRY, TestKind::Eq(Scalar::Str(rng.pick(COUNTRIES).to_string())))
    } else {
        test(STATE, TestKind::In((0..1 + rng.below(3)).map(|_| Scalar::Str(rng.pick(STATES).to_string())).collect()))
    }
}

fn synthetic_program(rules: usize, seed: u64) -> Program {
    let mut rng = Rng(seed);
    let action = Action { target: Target::Queue("q".into()), fallbacks: vec![], secondary: None };
    // Like the generator: strict rules first, broad ones (3%, one
    // predicate) last, so that later rules stay reachable.
    let mut sizes: Vec<usize> = (0..rules).map(|i| if i * 100 >= rules * 97 { 1 } else { 3 + rng.below(2) }).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let mut infos: Vec<RuleInfo> = sizes
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            // Specific rules name a territory, as the generator's do.
            let mut parts: Vec<Cond> = (1..n).map(|_| predicate(&mut rng)).collect();
            parts.insert(0, if n > 1 { territory(&mut rng) } else { predicate(&mut rng) });
            let condition = Cond::All(parts);
            RuleInfo {
                name: format!("r{i}"),
                line: i as u32 + 1,
                span: Span::default(),
                condition,
                action: action.clone(),
                otherwise: false,
            }
        })
        .collect();
    infos.push(RuleInfo {
        name: "otherwise".into(),
        line: rules as u32 + 1,
        span: Span::default(),
        condition: Cond::True,
        action,
        otherwise: true,
    });
    Program {
        schema: schema(),
        teams: vec![],
        lookups: vec![],
        rules: infos,
        on_invalid: None,
        declarations: Default::default(),
        tables: vec![],
        scores: vec![],
        hours: vec![],
    }
}

fn random_lead(rng: &mut Rng) -> Lead {
    let number = |rng: &mut Rng, cuts: &[f64]| {
        let cut = *rng.pick(cuts);
        cut + [-1.0, 0.0, 1.0, cut * 0.5][rng.below(4)]
    };
    let country = if rng.chance(90) { rng.pick(COUNTRIES).to_string() } else { "ZZ".to_string() };
    let state = if rng.chance(50) { Value::Str((*rng.pick(STATES)).into()) } else { Value::Absent };
    Lead {
        values: vec![
            Value::Enum(rng.below(4) as u32),
            Value::Str(country.into()),
            state,
            Value::Int(number(rng, EMPLOYEE_CUTS) as i64),
            Value::Float(number(rng, REVENUE_CUTS)),
            Value::Enum(rng.below(8) as u32),
            Value::Enum(rng.below(6) as u32),
            Value::Int(number(rng, SCORE_CUTS) as i64),
            Value::Enum(rng.below(3) as u32),
            Value::Bool(rng.chance(15)),
        ],
    }
}

/// Routes 2,000 random leads (from `seed`) through `dag`, each answer the
/// reference's; how many matched a rule after rule `late`.
fn agree_on_random_leads(dag: &Dag, program: &Program, seed: u64, late: usize) -> usize {
    let mut rng = Rng(seed);
    let mut matched_late = 0;
    for _ in 0..2_000 {
        let lead = random_lead(&mut rng);
        let expected = reference::first_match(program, &lead);
        matched_late += usize::from(expected.is_some_and(|r| r.index() > late));
        assert_eq!(dag.route(&lead, &program.lookups), expected, "{lead:?}");
    }
    matched_late
}

#[test]
fn ten_thousand_rules_compile_and_agree_with_the_reference() {
    let program = synthetic_program(10_000, 7);
    let dag = compile(&program, Budget::for_program(&program));
    let stats = dag.stats();
    assert!(stats.nodes > 1, "{stats:?}");
    // The filter splits the rules before ANDing rows (filter/mod.rs).
    assert!(stats.filters == 1 && stats.filter_splits > 0 && stats.filter_leaves > 1, "{stats:?}");
    let matched_late = agree_on_random_leads(&dag, &program, 42, 1_000);
    eprintln!("{stats:?}; {matched_late} of 2000 leads matched after rule 1000");
    // The rule set is not degenerate: many leads get past the first rules.
    assert!(matched_late > 200);
}

#[test]
fn small_synthetic_programs_compile_completely() {
    for seed in 0..20 {
        let program = synthetic_program(12, seed);
        let dag = compile(&program, Budget::UNLIMITED);
        assert!(!dag.stats().budget_hit);
        assert_eq!(dag.stats().rules_nodes, 0);
        let mut rng = Rng(seed);
        for _ in 0..500 {
            let lead = random_lead(&mut rng);
            assert_eq!(dag.route(&lead, &program.lookups), reference::first_match(&program, &lead));
        }
    }
}

#[test]
fn int_comparisons_share_cuts_and_intervals_are_never_empty() {
    // `x > 99` and `x >= 100` are one cut on an int field; `x <= 5.5` is
    // `x < 6`.
    assert_eq!(predicate::numeric_range(predicate::NumOp::Gt, 99.0, FieldType::Int), Some((Some(100.0), None)));
    assert_eq!(predicate::numeric_range(predicate::NumOp::Ge, 100.0, FieldType::Int), Some((Some(100.0), None)));
    assert_eq!(predicate::numeric_range(predicate::NumOp::Le, 5.5, FieldType::Int), Some((None, Some(6.0))));
    assert_eq!(predicate::numeric_range(predicate::NumOp::Eq, 5.5, FieldType::Int), None);
    // On floats `x <= v` is `x < next_up(v)`; `x > +inf` never holds.
    assert_eq!(
        predicate::numeric_range(predicate::NumOp::Le, 2.5, FieldType::Float),
        Some((None, Some(predicate::next_up(2.5))))
    );
    assert_eq!(predicate::numeric_range(predicate::NumOp::Gt, f64::INFINITY, FieldType::Float), None);
    assert_eq!(predicate::numeric_range(predicate::NumOp::Ge, f64::NEG_INFINITY, FieldType::Float), Some((None, None)));
    assert_eq!(predicate::numeric_range(predicate::NumOp::Lt, -0.0, FieldType::Float), Some((None, Some(0.0))));
}

#[test]
fn the_unchecked_node_answers_for_absent_required_values() {
    let program = synthetic_program(50, 3);
    let dag = compile(&program, Budget::UNLIMITED);
    let mut rng = Rng(9);
    for i in 0..500 {
        let mut lead = random_lead(&mut rng);
        let slot = i % lead.values.len();
        lead.values[slot] = Value::Absent;
        assert_eq!(dag.route(&lead, &program.lookups), reference::first_match(&program, &lead));
    }
}

#[test]
fn nodes_are_compact() {
    assert!(std::mem::size_of::<Node>() <= 20, "{}", std::mem::size_of::<Node>());
}

#[test]
fn dags_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Dag>();
}

#[test]
fn filtered_rule_lists_agree_with_the_reference_on_odd_values() {
    // The bitset filter over 400 rules, and a small budget that leaves
    // long rules lists for the walk. Absent required values get a row of
    // their own; values of the wrong type and NaN cannot be classed, so
    // the DAG is walked instead: the answer is the reference's either way.
    let program = synthetic_program(400, 5);
    let dag = compile(&program, Budget { max_nodes: 64 });
    let stats = dag.stats();
    assert!(stats.filters > 0 && stats.budget_hit, "{stats:?}");
    let mut rng = Rng(11);
    for i in 0..4_000 {
        let mut lead = random_lead(&mut rng);
        let slot = i % lead.values.len();
        match i % 4 {
            0 => {}
            1 => lead.values[slot] = Value::Absent,
            2 => lead.values[slot] = Value::Str("EMEA".into()),
            _ => lead.values[EMPLOYEES as usize] = Value::Float(f64::NAN),
        }
        let expected = reference::first_match(&program, &lead);
        assert_eq!(dag.route(&lead, &program.lookups), expected, "{lead:?}");
        assert_eq!(dag.walk(&lead, &program.lookups), expected, "{lead:?}");
    }
}

/// The DAG `route eval` and `route serve` route with keeps the whole
/// filter but a small DAG (the full one is the analyses'), and routes
/// every lead as the reference does, through the filter and by the walk.
#[test]
fn the_routing_dag_is_small_and_filters_every_rule() {
    let program = synthetic_program(2_000, 11);
    let full = compile(&program, Budget::for_program(&program));
    let routing = compile_for_routing(&program);
    let (f, r) = (full.stats(), routing.stats());
    assert_eq!((f.filters, r.filters), (1, 1), "{f:?}\n{r:?}");
    assert!(r.built <= ROUTING_NODES && f.built > 4 * ROUTING_NODES, "{f:?}\n{r:?}");
    let mut rng = Rng(5);
    for _ in 0..2_000 {
        let lead = random_lead(&mut rng);
        let expected = reference::first_match(&program, &lead);
        assert_eq!(routing.route(&lead, &program.lookups), expected, "{lead:?}");
        assert_eq!(routing.walk(&lead, &program.lookups), expected, "{lead:?}");
    }
}

/// Leaves of at most two rules put every lead through a deep separable
/// index: class branches, `rest` branches, classes sharing a branch,
/// searches bounded by an earlier find. Each answer is the reference's,
/// for odd values too (absent, another type, NaN).
#[test]
fn a_deeply_split_filter_agrees_with_the_reference() {
    let mut splits = 0;
    for seed in 0..24 {
        let program = synthetic_program(9 + (seed as usize * 37) % 300, seed);
        let dag = build::Builder::new(&program, Budget::for_program(&program)).with_filter_leaf(2).run();
        let stats = dag.stats();
        assert_eq!(stats.filters, 1, "{stats:?}");
        splits += stats.filter_splits;
        let mut rng = Rng(seed + 100);
        for i in 0..400 {
            let mut lead = random_lead(&mut rng);
            let slot = i % lead.values.len();
            match i % 8 {
                0 => lead.values[slot] = Value::Absent,
                1 => lead.values[slot] = Value::Str("EMEA".into()),
                2 => lead.values[REVENUE as usize] = Value::Float(f64::NAN),
                _ => {}
            }
            let expected = reference::first_match(&program, &lead);
            assert_eq!(dag.route(&lead, &program.lookups), expected, "seed {seed}: {lead:?}");
        }
    }
    assert!(splits > 24 * 4, "{splits} splits");
}

/// Leaves of the split index longer than one chunk of four words: with
/// leaves of up to 1,500 candidates, a 3,000-rule program splits once or
/// twice into leaves whose rows are many words long, ANDed four words at a
/// time; a lead matching far into a leaf is found in a later chunk.
#[test]
fn leaves_longer_than_a_chunk_agree_with_the_reference() {
    let program = synthetic_program(3_000, 11);
    let dag = build::Builder::new(&program, Budget::for_program(&program)).with_filter_leaf(1_500).run();
    let stats = dag.stats();
    assert!(stats.filters == 1 && stats.filter_splits > 0, "{stats:?}");
    let late = agree_on_random_leads(&dag, &program, 5, 600);
    assert!(late > 200, "{late} leads matched after rule 600");
}

/// Rules over more fields than a leaf ANDs (and than the index classes):
/// the rows decide a candidate only on the fields its leaf ANDs, and the
/// rest of its condition is evaluated. Twenty int fields, each rule
/// constraining twelve to eighteen of them with `>=` and `<`, leads near
/// the cut points: every answer is the reference's.
#[test]
fn rules_over_more_fields_than_a_leaf_ands_agree_with_the_reference() {
    const FIELDS: u32 = 20;
    let mut rng = Rng(23);
    let fields = (0..FIELDS).map(|f| Field::named(&format!("f{f}"), FieldType::Int, false)).collect();
    let schema = Schema { fields, ..schema() };
    let action = Action { target: Target::Queue("q".into()), fallbacks: vec![], secondary: None };
    let rules: Vec<RuleInfo> = (0..60u32)
        .map(|i| {
            let mut parts = Vec::new();
            for f in 0..FIELDS {
                if parts.len() < 12 + rng.below(7) && rng.chance(85) {
                    let (op, cut) =
                        if rng.chance(80) { (Ordering::Ge, rng.below(4)) } else { (Ordering::Lt, 2 + rng.below(3)) };
                    parts.push(test(f, TestKind::Compare(op, (cut as f64).into())));
                }
            }
            RuleInfo {
                name: format!("r{i}"),
                line: i + 1,
                span: Span::default(),
                condition: Cond::All(parts),
                action: action.clone(),
                otherwise: false,
            }
        })
        .collect();
    let program = Program { schema, rules, ..synthetic_program(0, 0) };
    let dag = compile_for_routing(&program);
    assert_eq!(dag.stats().filters, 1, "{:?}", dag.stats());
    let mut matched = 0;
    for _ in 0..20_000 {
        // Mostly values that pass the `>=` tests, so leads reach deep.
        let values = (0..FIELDS).map(|_| Value::Int([1, 2, 3, 3, 3, 0][rng.below(6)])).collect();
        let lead = Lead { values };
        let expected = reference::first_match(&program, &lead);
        matched += usize::from(expected.is_some());
        assert_eq!(dag.route(&lead, &program.lookups), expected, "{lead:?}");
    }
    assert!(matched > 1_000, "only {matched} leads matched a rule");
}

/// A negated `or` over two fields is two parts of its rule's conjunction,
/// one per field (De Morgan, `CondArena::not`), and an `or` of up to four
/// alternatives over one field each is one filter member per alternative:
/// the filter's rows decide both. An `or` of more alternatives is left to
/// verification. Answers stay the reference's.
#[test]
fn an_or_over_two_fields_is_decided_by_the_filter() {
    let mut rng = Rng(3);
    let mut program = synthetic_program(0, 1);
    let action = Action { target: Target::Queue("q".into()), fallbacks: vec![], secondary: None };
    let rules: Vec<RuleInfo> = (0..20)
        .map(|i| {
            let group = match i % 4 {
                // Five alternatives: more than are spread.
                3 => Cond::Any(vec![
                    enum_eq(SOURCE, 6, &mut rng),
                    enum_eq(REGION, 4, &mut rng),
                    enum_eq(INDUSTRY, 8, &mut rng),
                    enum_eq(PRODUCT, 3, &mut rng),
                    test(CUSTOMER, TestKind::Eq(Scalar::Bool(true))),
                ]),
                1 => Cond::Any(vec![enum_eq(SOURCE, 6, &mut rng), enum_eq(REGION, 4, &mut rng)]),
                _ => Cond::Not(Box::new(Cond::Any(vec![enum_eq(SOURCE, 6, &mut rng), enum_eq(REGION, 4, &mut rng)]))),
            };
            RuleInfo {
                name: format!("r{i}"),
                line: i + 1,
                span: Span::default(),
                condition: Cond::All(vec![territory(&mut rng), group]),
                action: action.clone(),
                otherwise: false,
            }
        })
        .collect();
    program.rules.splice(0..0, rules);
    let dag = compile(&program, Budget::for_program(&program));
    let stats = dag.stats();
    assert_eq!((stats.filters, stats.filter_verified), (1, 5), "{stats:?}");
    for _ in 0..2_000 {
        let lead = random_lead(&mut rng);
        assert_eq!(dag.route(&lead, &program.lookups), reference::first_match(&program, &lead), "{lead:?}");
    }
}
