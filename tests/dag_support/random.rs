//! Random programs shared by the DAG and analysis property tests: the field
//! layout, literal pools, a small condition language (`CondSpec`) and its
//! lowering to the checked IR.

#![allow(dead_code)]

use route::check::program::{Cond, Number, Ordering, Program, Scalar, TestKind};
use route::schema::{ElementType, FieldType};

use super::*;

pub const E: u32 = 0; // enum, 2..=4 values, optional or not
pub const S: u32 = 1; // string?
pub const I: u32 = 2; // int, optional or not
pub const F: u32 = 3; // float, optional or not
pub const B: u32 = 4; // bool, optional or not
pub const L: u32 = 5; // list<string>?
pub const T: u32 = 6; // string (required)
pub const FIELDS: u32 = 7;

pub const STRS: &[&str] = &["a", "ab", "abc", "b", "ba", "x.edu", "", "zz"];
pub const LOOKUP_KEYS: &[&str] = &["ab", "x.edu", "q"];
pub const INTS: &[i64] = &[-2, 0, 1, 3, 10, 1 << 60];
pub const FLOATS: &[f64] = &[-2.0, 0.0, 1.0, 2.5, 3.0, 10.0, -0.0];
/// Ints at the edges of i64 and of the f64-exact range (2^53), where
/// comparing as f64 goes wrong (issue 7).
pub const INT_EDGES: &[i64] = &[
    i64::MAX,
    i64::MAX - 1,
    i64::MIN,
    i64::MIN + 1,
    (1 << 53) - 1,
    1 << 53,
    (1 << 53) + 1,
    -(1 << 53) - 1,
    -(1 << 53),
    -(1 << 53) + 1,
];
pub const THRESHOLDS: &[f64] =
    &[-2.0, 0.0, 1.0, 2.5, 3.0, 10.0, 1.152_921_504_606_847e18, f64::INFINITY, f64::NEG_INFINITY, 0.5];

#[derive(Debug, Clone)]
pub enum Atom {
    Exists(u32),
    EnumEq(u8),
    EnumIn(Vec<u8>),
    StrEq(bool, u8),
    StrIn(bool, Vec<u8>),
    StartsWith(bool, u8),
    EndsWith(bool, u8),
    Contains(bool, u8),
    Matches(bool, u8),
    InLookup(bool),
    NumEq(bool, u8, bool),
    NumIn(bool, Vec<(u8, bool)>),
    NumCmp(bool, u8, u8),
    BoolEq(bool),
    ListContains(u8),
    ListExists,
}

#[derive(Debug, Clone)]
pub enum CondSpec {
    True,
    Atom(Atom),
    All(Vec<CondSpec>),
    Any(Vec<CondSpec>),
    Not(Box<CondSpec>),
}

pub fn pick<T: Copy>(pool: &[T], i: u8) -> T {
    pool[i as usize % pool.len()]
}

pub fn num_literal(i: u8, float: bool) -> Scalar {
    if float {
        Scalar::Float(pick(FLOATS, i))
    } else {
        let pool: Vec<i64> = INTS.iter().chain(INT_EDGES).copied().collect();
        Scalar::Int(pick(&pool, i))
    }
}

/// A comparison threshold: a float of [`THRESHOLDS`], else an int of
/// [`INT_EDGES`] (kept an int, as the checker keeps `n > 9007199254740993`).
pub fn threshold(i: u8) -> Number {
    let i = i as usize % (THRESHOLDS.len() + INT_EDGES.len());
    match THRESHOLDS.get(i) {
        Some(&f) => Number::Float(f),
        None => Number::Int(INT_EDGES[i - THRESHOLDS.len()]),
    }
}

pub fn lower_atom(atom: &Atom, enum_size: u8, regexes: &[&str]) -> Cond {
    let str_field = |t: bool| if t { T } else { S };
    let num_field = |f: bool| if f { F } else { I };
    let strs = |i: u8| s(pick(STRS, i));
    match atom {
        Atom::Exists(f) => test(*f, TestKind::Exists),
        Atom::EnumEq(i) => eq(E, Scalar::Enum(u32::from(i % enum_size))),
        Atom::EnumIn(v) => is_in(E, v.iter().map(|i| Scalar::Enum(u32::from(i % enum_size))).collect()),
        Atom::StrEq(t, i) => eq(str_field(*t), strs(*i)),
        Atom::StrIn(t, v) => is_in(str_field(*t), v.iter().map(|&i| strs(i)).collect()),
        Atom::StartsWith(t, i) => test(str_field(*t), TestKind::StartsWith(pick(STRS, *i).into())),
        Atom::EndsWith(t, i) => test(str_field(*t), TestKind::EndsWith(pick(STRS, *i).into())),
        Atom::Contains(t, i) => test(str_field(*t), TestKind::Contains(pick(STRS, *i).into())),
        Atom::Matches(t, i) => matches(str_field(*t), pick(regexes, *i)),
        Atom::InLookup(t) => in_lookup(str_field(*t), 0),
        Atom::NumEq(f, i, float) => eq(num_field(*f), num_literal(*i, *float)),
        Atom::NumIn(f, v) => is_in(num_field(*f), v.iter().map(|&(i, float)| num_literal(i, float)).collect()),
        Atom::NumCmp(f, op, i) => {
            let op = [Ordering::Lt, Ordering::Le, Ordering::Gt, Ordering::Ge][*op as usize % 4];
            cmp(num_field(*f), op, threshold(*i))
        }
        Atom::BoolEq(b) => eq(B, Scalar::Bool(*b)),
        Atom::ListContains(i) => test(L, TestKind::ListContains(strs(*i))),
        Atom::ListExists => test(L, TestKind::Exists),
    }
}

pub fn lower_cond(spec: &CondSpec, enum_size: u8, regexes: &[&str]) -> Cond {
    match spec {
        CondSpec::True => Cond::True,
        CondSpec::Atom(a) => lower_atom(a, enum_size, regexes),
        CondSpec::All(parts) => and(parts.iter().map(|p| lower_cond(p, enum_size, regexes)).collect()),
        CondSpec::Any(parts) => or(parts.iter().map(|p| lower_cond(p, enum_size, regexes)).collect()),
        CondSpec::Not(inner) => not(lower_cond(inner, enum_size, regexes)),
    }
}

/// The program of a random case: seven fields of every kind, the rules'
/// conditions lowered, one lookup.
pub fn build_program(enum_size: u8, optional: [bool; 4], rules: &[CondSpec], regexes: &[&str]) -> Program {
    let enum_values: Vec<&str> = ["p", "q", "r", "s"][..enum_size as usize].to_vec();
    let schema = schema(
        &[
            ("e", enum_ty(0), optional[0]),
            ("s", FieldType::String, true),
            ("i", FieldType::Int, optional[1]),
            ("f", FieldType::Float, optional[2]),
            ("b", FieldType::Bool, optional[3]),
            ("l", FieldType::List(ElementType::String), true),
            ("t", FieldType::String, false),
        ],
        &[&enum_values],
    );
    let rules = rules.iter().enumerate().map(|(i, r)| (format!("r{i}"), lower_cond(r, enum_size, regexes))).collect();
    program(schema, vec![lookup("owners", LOOKUP_KEYS)], rules)
}
