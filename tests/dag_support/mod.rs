//! Building checked programs by hand for the DAG tests (the checker is not
//! needed: a `Program` is plain data).

#![allow(dead_code)]

pub mod random;

use route::check::program::{
    Action, Cond, Lookup, LookupId, Ordering, Program, RuleInfo, Scalar, Target, Test, TestKind,
};
use route::schema::{EnumId, EnumType, Field, FieldId, FieldType, Schema};
use route::source::Span;
use rustc_hash::FxHashMap;

/// A schema from `(name, type, optional)` triples and enum value lists.
pub fn schema(fields: &[(&str, FieldType, bool)], enums: &[&[&str]]) -> Schema {
    Schema {
        fields: fields
            .iter()
            .map(|(name, ty, optional)| Field {
                name: name.to_string(),
                column: name.to_string(),
                ty: *ty,
                optional: *optional,
                format: None,
                span: Span::default(),
            })
            .collect(),
        enums: enums.iter().map(|values| EnumType::new(values.iter().map(|v| v.to_string()).collect())).collect(),
        missing: vec![],
        id_field: None,
        derived: Vec::new(),
        numbers: Default::default(),
    }
}

/// A lookup table with the given keys.
pub fn lookup(name: &str, keys: &[&str]) -> Lookup {
    let entries: FxHashMap<String, String> = keys.iter().map(|k| (k.to_string(), format!("{k}@acme.io"))).collect();
    Lookup { name: name.to_string(), entries, span: Span::default() }
}

/// A program with rules `(name, condition)`.
pub fn program(schema: Schema, lookups: Vec<Lookup>, rules: Vec<(String, Cond)>) -> Program {
    let rules = rules
        .into_iter()
        .enumerate()
        .map(|(i, (name, condition))| RuleInfo {
            name,
            line: u32::try_from(i + 1).unwrap(),
            span: Span::default(),
            otherwise: matches!(condition, Cond::True),
            condition,
            action: Action { target: Target::Queue("q".into()), fallbacks: vec![], secondary: None },
        })
        .collect();
    Program {
        schema,
        teams: vec![],
        lookups,
        rules,
        on_invalid: None,
        declarations: Default::default(),
        tables: vec![],
        scores: vec![],
        hours: vec![],
    }
}

pub fn test(field: u32, kind: TestKind) -> Cond {
    Cond::Test(Test { field: FieldId(field), kind, span: Span::default() })
}

pub fn eq(field: u32, literal: Scalar) -> Cond {
    test(field, TestKind::Eq(literal))
}

pub fn ne(field: u32, literal: Scalar) -> Cond {
    Cond::Not(Box::new(eq(field, literal)))
}

pub fn is_in(field: u32, literals: Vec<Scalar>) -> Cond {
    test(field, TestKind::In(literals))
}

pub fn cmp(field: u32, op: Ordering, v: impl Into<route::check::program::Number>) -> Cond {
    test(field, TestKind::Compare(op, v.into()))
}

pub fn s(text: &str) -> Scalar {
    Scalar::Str(text.to_string())
}

pub fn and(parts: Vec<Cond>) -> Cond {
    Cond::All(parts)
}

pub fn or(parts: Vec<Cond>) -> Cond {
    Cond::Any(parts)
}

pub fn not(c: Cond) -> Cond {
    Cond::Not(Box::new(c))
}

pub fn matches(field: u32, re: &str) -> Cond {
    test(field, TestKind::Matches(regex::Regex::new(re).unwrap()))
}

pub fn in_lookup(field: u32, id: u32) -> Cond {
    test(field, TestKind::InLookup(LookupId(id)))
}

pub fn enum_ty(id: u32) -> FieldType {
    FieldType::Enum(EnumId(id))
}
