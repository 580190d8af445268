//! The analysis agrees with brute force over small finite domains: on
//! schemas whose every field has a finite set of representative values
//! (one per class of values no atom tells apart), first-match over every
//! combination gives the exact set of reachable rules and whether some
//! lead matches none. The analysis must find exactly that: a witness for
//! each reachable rule, a proof for each other one, and a gap example
//! exactly when there is a gap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod dag_support;

use std::collections::BTreeSet;

use dag_support::*;
use proptest::prelude::*;
use route::analysis::{analyse, Options};
use route::check::program::{Cond, Ordering, Program, RuleId, Scalar, TestKind};
use route::compile::{compile, Budget};
use route::eval::reference;
use route::schema::{ElementType, FieldType, Lead, Value};
use route::source::SourceMap;

/// A random condition over atoms given by index into a table.
#[derive(Debug, Clone)]
enum Spec {
    Atom(usize),
    All(Vec<Spec>),
    Any(Vec<Spec>),
    Not(Box<Spec>),
}

fn spec(atoms: usize) -> impl Strategy<Value = Spec> {
    let leaf = (0..atoms).prop_map(Spec::Atom);
    leaf.prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 1..4).prop_map(Spec::All),
            2 => prop::collection::vec(inner.clone(), 1..4).prop_map(Spec::Any),
            1 => inner.prop_map(|c| Spec::Not(Box::new(c))),
        ]
    })
}

fn lower(spec: &Spec, atoms: &[Cond]) -> Cond {
    match spec {
        Spec::Atom(i) => atoms[*i].clone(),
        Spec::All(parts) => and(parts.iter().map(|p| lower(p, atoms)).collect()),
        Spec::Any(parts) => or(parts.iter().map(|p| lower(p, atoms)).collect()),
        Spec::Not(inner) => not(lower(inner, atoms)),
    }
}

/// Every combination of the per-field pools.
fn product(pools: &[Vec<Value>]) -> Vec<Lead> {
    let mut leads = vec![Vec::new()];
    for pool in pools {
        leads = leads
            .into_iter()
            .flat_map(|prefix: Vec<Value>| {
                pool.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect();
    }
    leads.into_iter().map(|values| Lead { values }).collect()
}

fn with_absent(optional: bool, mut pool: Vec<Value>) -> Vec<Value> {
    if optional {
        pool.push(Value::Absent);
    }
    pool
}

fn compare(program: &Program, domain: &[Lead]) -> Result<(), TestCaseError> {
    let reachable: BTreeSet<RuleId> = domain.iter().filter_map(|l| reference::first_match(program, l)).collect();
    let gap = domain.iter().any(|l| reference::first_match(program, l).is_none());
    for budget in [Budget::for_program(program), Budget { max_nodes: 3 }] {
        let dag = compile(program, budget);
        let analysis = analyse(program, &dag, &SourceMap::new(), &Options::default());
        let witnessed: BTreeSet<RuleId> = analysis.witnesses.iter().map(|w| w.rule).collect();
        prop_assert!(analysis.undecided.is_empty(), "undecided: {:?}", analysis.undecided);
        prop_assert_eq!(&witnessed, &reachable, "witnessed rules differ from brute force ({:?})", budget);
        let all: BTreeSet<RuleId> = (0..program.rules.len() as u32).map(RuleId).collect();
        let unreachable: BTreeSet<RuleId> = analysis.unreachable.iter().copied().collect();
        prop_assert_eq!(unreachable, all.difference(&reachable).copied().collect::<BTreeSet<_>>());
        prop_assert!(analysis.coverage_decided);
        prop_assert_eq!(analysis.gap.is_some(), gap, "gap differs from brute force ({:?})", budget);
    }
    Ok(())
}

// --- Domain A: enum, bool, int, and a string with every string atom. ---

const A_ENUM: u32 = 0;
const A_BOOL: u32 = 1;
const A_INT: u32 = 2;
const A_STR: u32 = 3;

fn atoms_a() -> Vec<Cond> {
    let mut atoms = vec![
        eq(A_ENUM, Scalar::Enum(0)),
        eq(A_ENUM, Scalar::Enum(2)),
        is_in(A_ENUM, vec![Scalar::Enum(1), Scalar::Enum(2)]),
        test(A_ENUM, TestKind::Exists),
        eq(A_BOOL, Scalar::Bool(true)),
        eq(A_BOOL, Scalar::Bool(false)),
        test(A_BOOL, TestKind::Exists),
        eq(A_INT, Scalar::Int(0)),
        eq(A_INT, Scalar::Int(3)),
        is_in(A_INT, vec![Scalar::Int(-2), Scalar::Int(1)]),
        test(A_INT, TestKind::Exists),
        in_lookup(A_STR, 0),
        test(A_STR, TestKind::Exists),
    ];
    for (op, t) in
        [(Ordering::Lt, 0.0), (Ordering::Le, 1.0), (Ordering::Gt, 2.5), (Ordering::Ge, 3.0), (Ordering::Ge, -2.0)]
    {
        atoms.push(cmp(A_INT, op, t));
    }
    for literal in ["a", "ab", "ba", "b", ""] {
        atoms.push(eq(A_STR, s(literal)));
    }
    atoms.push(is_in(A_STR, vec![s("a"), s("bb")]));
    for piece in ["a", "b", ""] {
        atoms.push(test(A_STR, TestKind::StartsWith(piece.into())));
        atoms.push(test(A_STR, TestKind::EndsWith(piece.into())));
        atoms.push(test(A_STR, TestKind::Contains(piece.into())));
    }
    atoms
}

/// Strings over {a, b, c} (c: any other character) up to length 3 cover
/// every combination of these string atoms (literals of length <= 2,
/// pieces of length 1).
fn strings() -> Vec<Value> {
    let mut out = Vec::new();
    let mut layer = vec![String::new()];
    for _ in 0..3 {
        layer = layer.iter().flat_map(|p| ["a", "b", "c"].map(|c| format!("{p}{c}"))).collect();
        out.extend(layer.iter().map(|s| Value::Str(s.as_str().into())));
    }
    out
}

fn domain_a(optional: [bool; 4]) -> Vec<Lead> {
    product(&[
        with_absent(optional[0], (0..3).map(Value::Enum).collect()),
        with_absent(optional[1], vec![Value::Bool(false), Value::Bool(true)]),
        with_absent(optional[2], (-3..=4).map(Value::Int).collect()),
        with_absent(optional[3], strings()),
    ])
}

fn program_a(optional: [bool; 4], rules: &[Spec]) -> Program {
    let schema = schema(
        &[
            ("e", enum_ty(0), optional[0]),
            ("b", FieldType::Bool, optional[1]),
            ("i", FieldType::Int, optional[2]),
            ("s", FieldType::String, optional[3]),
        ],
        &[&["p", "q", "r"]],
    );
    let atoms = atoms_a();
    let rules = rules.iter().enumerate().map(|(i, r)| (format!("r{i}"), lower(r, &atoms))).collect();
    program(schema, vec![lookup("owners", &["ab", "c"])], rules)
}

// --- Domain B: enum, float, list, and a required string with equality. ---

const B_ENUM: u32 = 0;
const B_FLOAT: u32 = 1;
const B_LIST: u32 = 2;
const B_STR: u32 = 3;
const B_THRESHOLDS: [f64; 4] = [-2.0, 0.0, 1.0, 2.5];

fn atoms_b() -> Vec<Cond> {
    let mut atoms = vec![
        eq(B_ENUM, Scalar::Enum(3)),
        is_in(B_ENUM, vec![Scalar::Enum(0), Scalar::Enum(1)]),
        test(B_FLOAT, TestKind::Exists),
        eq(B_FLOAT, Scalar::Float(2.5)),
        eq(B_FLOAT, Scalar::Int(0)),
        is_in(B_FLOAT, vec![Scalar::Float(-2.0), Scalar::Float(1.0)]),
        test(B_LIST, TestKind::ListContains(s("a"))),
        test(B_LIST, TestKind::ListContains(s("b"))),
        test(B_LIST, TestKind::Exists),
        eq(B_STR, s("a")),
        is_in(B_STR, vec![s("b"), s("ab")]),
    ];
    for t in B_THRESHOLDS {
        for op in [Ordering::Lt, Ordering::Le, Ordering::Gt, Ordering::Ge] {
            atoms.push(cmp(B_FLOAT, op, t));
        }
    }
    atoms
}

fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

fn domain_b(optional: [bool; 4]) -> Vec<Lead> {
    let mut floats = vec![Value::Float(-f64::MAX), Value::Float(f64::MAX)];
    for t in B_THRESHOLDS {
        floats.extend([next_down(t), t, next_up(t)].map(Value::Float));
    }
    let str_list = |items: &[&str]| Value::List(items.iter().map(|s| Value::Str((*s).into())).collect());
    product(&[
        with_absent(optional[0], (0..4).map(Value::Enum).collect()),
        with_absent(optional[1], floats),
        with_absent(
            true,
            vec![str_list(&[]), str_list(&["a"]), str_list(&["b"]), str_list(&["a", "b"]), str_list(&["c"])],
        ),
        vec!["a", "b", "ab", "zz"].into_iter().map(|s| Value::Str(s.into())).collect(),
    ])
}

fn program_b(optional: [bool; 4], rules: &[Spec]) -> Program {
    let schema = schema(
        &[
            ("e", enum_ty(0), optional[0]),
            ("f", FieldType::Float, optional[1]),
            ("l", FieldType::List(ElementType::String), true),
            ("t", FieldType::String, false),
        ],
        &[&["p", "q", "r", "s"]],
    );
    let atoms = atoms_b();
    let rules = rules.iter().enumerate().map(|(i, r)| (format!("r{i}"), lower(r, &atoms))).collect();
    program(schema, vec![], rules)
}

// --- Domain C: two string fields and nothing else. ---

fn string_atoms(field: u32) -> Vec<Cond> {
    let mut atoms = vec![test(field, TestKind::Exists), in_lookup(field, 0), is_in(field, vec![s("a"), s("bb")])];
    for literal in ["a", "ab", "ba", "b", ""] {
        atoms.push(eq(field, s(literal)));
    }
    for piece in ["a", "b", ""] {
        atoms.push(test(field, TestKind::StartsWith(piece.into())));
        atoms.push(test(field, TestKind::EndsWith(piece.into())));
        atoms.push(test(field, TestKind::Contains(piece.into())));
    }
    atoms
}

fn program_c(optional: bool, rules: &[Spec]) -> Program {
    let schema = schema(&[("s", FieldType::String, optional), ("t", FieldType::String, true)], &[]);
    let atoms: Vec<Cond> = string_atoms(0).into_iter().chain(string_atoms(1)).collect();
    let rules = rules.iter().enumerate().map(|(i, r)| (format!("r{i}"), lower(r, &atoms))).collect();
    program(schema, vec![lookup("owners", &["ab", "c"])], rules)
}

fn domain_c(optional: bool) -> Vec<Lead> {
    product(&[with_absent(optional, strings()), with_absent(true, strings())])
}

// --- Domain D: a date, a datetime and a bool (dates are int intervals). ---

const D_DATE: u32 = 0;
const D_TIME: u32 = 1;
const D_BOOL: u32 = 2;
/// 2026-01-01 and 2026-03-01 as days since 1970-01-01.
const D_DAYS: [i64; 2] = [20_454, 20_513];
/// 2026-01-01T00:00:00Z and 2026-01-01T09:30:00.5Z as milliseconds.
const D_MS: [i64; 2] = [1_767_225_600_000, 1_767_259_800_500];

fn atoms_d() -> Vec<Cond> {
    let mut atoms = vec![
        test(D_DATE, TestKind::Exists),
        eq(D_DATE, Scalar::Int(D_DAYS[0])),
        is_in(D_DATE, vec![Scalar::Int(D_DAYS[0] - 1), Scalar::Int(D_DAYS[1])]),
        eq(D_TIME, Scalar::Int(D_MS[1])),
        eq(D_BOOL, Scalar::Bool(true)),
    ];
    for op in [Ordering::Lt, Ordering::Le, Ordering::Gt, Ordering::Ge] {
        for t in D_DAYS {
            atoms.push(cmp(D_DATE, op, t));
        }
        for t in D_MS {
            atoms.push(cmp(D_TIME, op, t));
        }
    }
    atoms
}

/// Each threshold, its neighbours, and the first and last day and instant
/// of the calendar (the only values the analysis may propose).
fn domain_d(optional: [bool; 2]) -> Vec<Lead> {
    use route::schema::dates::TimeKind;
    let around = |points: &[i64], (lo, hi): (i64, i64)| -> Vec<Value> {
        let mut values: Vec<i64> = vec![lo, hi];
        for &p in points {
            values.extend([p - 1, p, p + 1]);
        }
        values.into_iter().map(Value::Int).collect()
    };
    product(&[
        with_absent(optional[0], around(&[D_DAYS[0] - 1, D_DAYS[0], D_DAYS[1]], TimeKind::Date.range())),
        with_absent(optional[1], around(&D_MS, TimeKind::DateTime.range())),
        vec![Value::Bool(false), Value::Bool(true)],
    ])
}

fn program_d(optional: [bool; 2], rules: &[Spec]) -> Program {
    let schema = schema(
        &[("d", FieldType::Date, optional[0]), ("t", FieldType::DateTime, optional[1]), ("b", FieldType::Bool, false)],
        &[],
    );
    let atoms = atoms_d();
    let rules = rules.iter().enumerate().map(|(i, r)| (format!("r{i}"), lower(r, &atoms))).collect();
    program(schema, vec![], rules)
}

// --- Domain E: tests of the routing instant (`within`, working hours). ---
//
// The truth is over (input lead, instant) pairs: a rule is reachable when
// some lead at some instant reaches it. Inputs: `c: datetime?` (0), `b:
// bool` (1), `d: date?` (2); derived: `c within 2 hours` (3), then for
// the multi-instant domain `d within 1 day` (4) and `now inside hours
// "Mon-Fri 09:00-17:00" in "UTC"` (5).

const HOUR: i64 = 3_600_000;
/// 2026-01-06T12:00:00Z, a Tuesday noon.
const E_T: i64 = 1_767_700_800_000;
/// 2026-01-06 in days.
const E_DAY: i64 = 20_459;

fn program_e(optional: bool, all: bool, rules: &[Spec]) -> Program {
    use route::check::program::{Derivation, HoursId, WorkingHours};
    use route::schema::FieldId;
    let mut fields = vec![
        ("c", FieldType::DateTime, optional),
        ("b", FieldType::Bool, false),
        ("d", FieldType::Date, true),
        ("c within 2 hours", FieldType::Bool, true),
    ];
    let mut derived = vec![Derivation::Within { field: FieldId(0), window: 2 * HOUR }];
    let mut hours = Vec::new();
    if all {
        fields.push(("d within 1 day", FieldType::Bool, true));
        fields.push(("now inside hours", FieldType::Bool, true));
        derived.push(Derivation::Within { field: FieldId(2), window: 1 });
        derived.push(Derivation::Hours(HoursId(0)));
        hours.push(WorkingHours {
            schedule: route::eval::hours::Schedule::parse("Mon-Fri 09:00-17:00").unwrap(),
            zone: jiff::tz::TimeZone::UTC,
            text: "Mon-Fri 09:00-17:00".into(),
            zone_name: "UTC".into(),
        });
    }
    let mut schema = schema(&fields, &[]);
    schema.derived = derived;
    let mut atoms = vec![
        test(0, TestKind::Exists),
        cmp(0, Ordering::Lt, E_T),
        cmp(0, Ordering::Ge, E_T + 1),
        eq(1, Scalar::Bool(true)),
        eq(3, Scalar::Bool(true)),
    ];
    if all {
        atoms.extend([
            cmp(2, Ordering::Lt, E_DAY),
            eq(4, Scalar::Bool(true)),
            eq(5, Scalar::Bool(true)),
            not(eq(5, Scalar::Bool(true))),
        ]);
    }
    let rules = rules.iter().enumerate().map(|(i, r)| (format!("r{i}"), lower(r, &atoms))).collect();
    let mut program = program(schema, vec![], rules);
    program.hours = hours;
    program
}

/// Input leads: `c` around the thresholds and at the calendar's ends.
fn domain_e(optional: bool, all: bool) -> Vec<Lead> {
    use route::schema::dates::TimeKind;
    let (lo, hi) = TimeKind::DateTime.range();
    let times: Vec<Value> = [lo, E_T - 1, E_T, E_T + 1, hi].into_iter().map(Value::Int).collect();
    let days: Vec<Value> = if all { vec![Value::Int(E_DAY - 1), Value::Int(E_DAY)] } else { vec![] };
    product(&[with_absent(optional, times), vec![Value::Bool(false), Value::Bool(true)], with_absent(true, days)])
        .into_iter()
        .map(|mut lead| {
            lead.values.resize(if all { 6 } else { 4 }, Value::Absent);
            lead
        })
        .collect()
}

/// Instants at which every (lead, answer) combination of the domain
/// occurs: just before and after each `c` (and its window), at each
/// calendar end, inside and outside working hours, on and after `d`.
fn instants_e() -> Vec<jiff::Timestamp> {
    use route::schema::dates::TimeKind;
    let (lo, hi) = TimeKind::DateTime.range();
    let mut ms = vec![lo, lo + 3 * HOUR, hi, hi - 3 * HOUR];
    for base in [E_T - 1, E_T, E_T + 1] {
        ms.extend([base - 1, base, base + 2 * HOUR, base + 2 * HOUR + 1]);
    }
    // Tuesday 06:00, 12:00, 20:00 and Wednesday 06:00, 12:00, 20:00 (UTC).
    for offset in [-6, 0, 8, 18, 24, 32] {
        ms.push(E_T + offset * HOUR);
    }
    ms.into_iter().map(|m| jiff::Timestamp::from_millisecond(m).unwrap()).collect()
}

/// The analysis of a program, on its DAG at the default budget.
fn analysed(program: &Program) -> route::analysis::Analysis {
    let dag = compile(program, Budget::for_program(program));
    analyse(program, &dag, &SourceMap::new(), &Options::default())
}

/// First match of every input lead at every instant.
fn brute_e(program: &Program, domain: &[Lead]) -> (BTreeSet<RuleId>, bool) {
    let mut reachable = BTreeSet::new();
    let mut gap = false;
    for lead in domain {
        for now in instants_e() {
            let mut at = lead.clone();
            program.derive(&mut at, now);
            match reference::first_match(program, &at) {
                Some(rule) => _ = reachable.insert(rule),
                None => gap = true,
            }
        }
    }
    (reachable, gap)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// One test of the instant: the analysis is exact.
    #[test]
    fn one_within_test_is_exact_against_leads_and_instants(
        optional in any::<bool>(),
        rules in prop::collection::vec(spec(5), 1..7),
    ) {
        let program = program_e(optional, false, &rules);
        let (reachable, gap) = brute_e(&program, &domain_e(optional, false));
        let analysis = analysed(&program);
        let witnessed: BTreeSet<RuleId> = analysis.witnesses.iter().map(|w| w.rule).collect();
        prop_assert!(analysis.undecided.is_empty(), "undecided: {:?}", analysis.undecided);
        prop_assert_eq!(&witnessed, &reachable);
        prop_assert_eq!(analysis.gap.is_some(), gap);
    }

    /// Several tests of the one instant: what the analysis claims is true
    /// (an unreachable rule is reached by no lead at any instant tried; a
    /// witness or gap example routes so at a real instant).
    #[test]
    fn several_instant_tests_are_sound(
        optional in any::<bool>(),
        rules in prop::collection::vec(spec(9), 1..7),
    ) {
        let program = program_e(optional, true, &rules);
        let (reachable, _) = brute_e(&program, &domain_e(optional, true));
        let analysis = analysed(&program);
        for rule in &analysis.unreachable {
            prop_assert!(!reachable.contains(rule), "{rule:?} called unreachable but reached");
        }
        for witness in &analysis.witnesses {
            prop_assert_eq!(reference::first_match(&program, &witness.lead), Some(witness.rule));
        }
        if let Some(lead) = &analysis.gap {
            prop_assert_eq!(reference::first_match(&program, lead), None);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn date_and_datetime_atoms_agree_with_brute_force(
        optional in any::<[bool; 2]>(),
        rules in prop::collection::vec(spec(atoms_d().len()), 1..9),
    ) {
        compare(&program_d(optional, &rules), &domain_d(optional))?;
    }

    #[test]
    fn string_atoms_agree_with_brute_force(
        optional in any::<bool>(),
        rules in prop::collection::vec(spec(2 * string_atoms(0).len()), 1..9),
    ) {
        compare(&program_c(optional, &rules), &domain_c(optional))?;
    }

    #[test]
    fn enum_bool_int_and_string_atoms_agree_with_brute_force(
        optional in any::<[bool; 4]>(),
        rules in prop::collection::vec(spec(atoms_a().len()), 1..9),
    ) {
        compare(&program_a(optional, &rules), &domain_a(optional))?;
    }

    #[test]
    fn enum_float_list_and_equality_atoms_agree_with_brute_force(
        optional in any::<[bool; 4]>(),
        rules in prop::collection::vec(spec(atoms_b().len()), 1..9),
    ) {
        compare(&program_b(optional, &rules), &domain_b(optional))?;
    }
}

#[test]
fn the_float_domain_brackets_every_threshold() {
    let domain = domain_b([false; 4]);
    let floats: BTreeSet<u64> = domain
        .iter()
        .filter_map(|l| match l.values[1] {
            Value::Float(f) => Some(f.to_bits()),
            _ => None,
        })
        .collect();
    for t in B_THRESHOLDS {
        let values: Vec<f64> = floats.iter().map(|&b| f64::from_bits(b)).collect();
        assert!(values.iter().any(|&v| v < t && v > t - 1e-9), "nothing just below {t}");
        assert!(values.iter().any(|&v| v > t && v < t + 1e-9), "nothing just above {t}");
    }
}

// --- Domain F: table columns, `KEY in TABLE` and a score, all derived from
// three input fields. The analysis rewrites every one into finite sets of
// keys and combinations of terms, so it must still be exact. ---

const F_HEADER: &str = r#"schema lead {
  k: string?
  e: "p" | "q" | "r"?
  n: int?
}
table t from "t.csv" key key { tier: "gold" | "silver"?  size: int  flag: bool? }
table u from "u.csv" key e { w: int }
score s {
  10 when t[k].tier == "gold"
  5 when n > 2
  3 when e == "q"
  -4 when u[e].w >= 2
}
"#;

const F_ATOMS: &[&str] = &[
    "t[k].tier == \"gold\"",
    "t[k].tier exists",
    "t[k].size > 10",
    "t[k].size in [5, 500]",
    "t[k].flag",
    "k in t",
    "u[e].w == 1",
    "u[e].w exists",
    "s >= 10",
    "s == 3",
    "s < 0",
    "s in [6, 15]",
    "n > 2",
    "n == 0",
    "e == \"q\"",
    "k == \"a\"",
    "k starts_with \"a\"",
    "k == \"b\"",
];

/// The condition as source text.
fn text(spec: &Spec, atoms: &[&str]) -> String {
    let join = |parts: &[Spec], op: &str| {
        let parts: Vec<String> = parts.iter().map(|p| format!("({})", text(p, atoms))).collect();
        parts.join(op)
    };
    match spec {
        Spec::Atom(i) => atoms[*i].to_string(),
        Spec::All(parts) => join(parts, " and "),
        Spec::Any(parts) => join(parts, " or "),
        Spec::Not(inner) => format!("not ({})", text(inner, atoms)),
    }
}

/// A program checked from `header` and one rule per spec.
fn checked(header: &str, atoms: &[&str], rules: &[Spec]) -> Program {
    let mut source = header.to_string();
    for (i, rule) in rules.iter().enumerate() {
        source.push_str(&format!("r{i}: when {} -> queue q\n", text(rule, atoms)));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/derived/p.route");
    let checked = route::check::check_source("p.route", &path, source.clone());
    let rendered = route::diagnostics::human::render_to_string(&checked.sources, &checked.diagnostics);
    checked.program.unwrap_or_else(|| panic!("{source}\n{rendered}"))
}

/// Every combination of input values, derived values filled in.
fn derived_domain(program: &Program, pools: &[Vec<Value>]) -> Vec<Lead> {
    let mut leads = product(pools);
    for lead in &mut leads {
        program.derive(lead, jiff::Timestamp::UNIX_EPOCH);
    }
    leads
}

fn str_pool(values: &[&str]) -> Vec<Value> {
    with_absent(true, values.iter().map(|s| Value::Str((*s).into())).collect())
}

fn domain_f(program: &Program) -> Vec<Lead> {
    derived_domain(
        program,
        &[
            str_pool(&["a", "b", "c", "d", "ab", "A"]),
            with_absent(true, (0..3).map(Value::Enum).collect()),
            with_absent(true, (-1..=4).map(Value::Int).collect()),
        ],
    )
}

// --- Domain G: `domain()`, `lower()` and a case-insensitive table keyed by
// a domain. Their tests become case-insensitive patterns, which the solver
// only approximates: the analysis may leave rules undecided but must never
// claim anything brute force contradicts. ---

const G_HEADER: &str = r#"schema lead {
  email: string?
  name: string?
}
table w from "w.csv" key domain case_insensitive { tier: "gold" | "silver" }
"#;

const G_ATOMS: &[&str] = &[
    "domain(email) == \"a.com\"",
    "domain(email) in [\"a.com\", \"b.org\"]",
    "domain(email) ends_with \".com\"",
    "domain(email) exists",
    "domain(email) == \"A.com\"",
    "lower(name) == \"ab\"",
    "lower(name) starts_with \"a\"",
    "lower(name) contains \"b\"",
    "w[domain(email)].tier == \"gold\"",
    "domain(email) in w",
    "email ends_with \"m\"",
    "name == \"ab\"",
];

fn domain_g(program: &Program) -> Vec<Lead> {
    derived_domain(
        program,
        &[
            str_pool(&[
                "x@a.com",
                "X@A.COM",
                "a.com",
                "x@b.org",
                "a@b@a.com",
                "x@",
                "x@c.com",
                "y@B.Org",
                "x@d.org",
                "z@c.COM",
            ]),
            str_pool(&["ab", "AB", "Ab", "a", "b", "ba"]),
        ],
    )
}

/// Exact agreement with brute force, and the DAG agrees with the reference
/// interpreter on every (derived) lead of the domain.
fn compare_derived(program: &Program, domain: &[Lead]) -> Result<(), TestCaseError> {
    let dag = compile(program, Budget::for_program(program));
    for lead in domain {
        prop_assert_eq!(dag.route(lead, &program.lookups), reference::first_match(program, lead));
    }
    compare(program, domain)
}

/// What the analysis claims holds by brute force; undecided rules allowed.
fn compare_sound(program: &Program, domain: &[Lead]) -> Result<(), TestCaseError> {
    let reachable: BTreeSet<RuleId> = domain.iter().filter_map(|l| reference::first_match(program, l)).collect();
    let gap = domain.iter().any(|l| reference::first_match(program, l).is_none());
    let dag = compile(program, Budget::for_program(program));
    let analysis = analyse(program, &dag, &SourceMap::new(), &Options::default());
    // The pools cannot hold every string, so a witness or a gap example
    // may lie outside them (`x@m.m` ends with `m` but not with `.com`):
    // each is checked by routing it, not by finding it in the pool.
    for witness in &analysis.witnesses {
        let mut lead = witness.lead.clone();
        program.derive(&mut lead, jiff::Timestamp::UNIX_EPOCH);
        prop_assert_eq!(reference::first_match(program, &lead), Some(witness.rule));
    }
    for rule in &analysis.unreachable {
        prop_assert!(!reachable.contains(rule), "rule {:?} claimed unreachable but brute force reaches it", rule);
    }
    if let Some(example) = &analysis.gap {
        let mut lead = example.clone();
        program.derive(&mut lead, jiff::Timestamp::UNIX_EPOCH);
        prop_assert_eq!(reference::first_match(program, &lead), None, "the gap example is routed");
    }
    if gap {
        prop_assert!(
            analysis.gap.is_some() || !analysis.coverage_decided,
            "brute force finds a gap the analysis denies"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn table_columns_keys_and_scores_agree_with_brute_force(
        rules in prop::collection::vec(spec(F_ATOMS.len()), 1..7),
    ) {
        let program = checked(F_HEADER, F_ATOMS, &rules);
        let domain = domain_f(&program);
        compare_derived(&program, &domain)?;
    }

    #[test]
    fn domain_and_lower_claims_hold_by_brute_force(
        rules in prop::collection::vec(spec(G_ATOMS.len()), 1..7),
    ) {
        let program = checked(G_HEADER, G_ATOMS, &rules);
        let domain = domain_g(&program);
        compare_sound(&program, &domain)?;
    }
}

#[test]
fn a_score_test_is_decided_from_its_terms() {
    // `s >= 10` needs the gold row, and only `a` is gold: `k == "b"` can
    // never reach it, whatever the other terms add.
    let rules = [Spec::All(vec![Spec::Atom(8), Spec::Atom(15)]), Spec::All(vec![Spec::Atom(8), Spec::Atom(17)])];
    let program = checked(F_HEADER, F_ATOMS, &rules);
    let dag = compile(&program, Budget::for_program(&program));
    let analysis = analyse(&program, &dag, &SourceMap::new(), &Options::default());
    assert_eq!(analysis.witnesses.iter().map(|w| w.rule).collect::<Vec<_>>(), vec![RuleId(0)]);
    assert_eq!(analysis.unreachable, vec![RuleId(1)]);
    // The example gives input fields only.
    let example = route::analysis::lead_to_json(&program.schema, &analysis.witnesses[0].lead);
    let keys: Vec<&String> = example.as_object().unwrap().keys().collect();
    assert!(keys.iter().all(|k| ["k", "e", "n"].contains(&k.as_str())), "{keys:?}");
    assert_eq!(example["k"], "a");
}
