//! The per-field theory: what a conjunction of facts about one field allows.
//!
//! A [`Lit`] is one fact about one field: an atomic test with its outcome,
//! or what a DAG edge tells (an enum value, a string literal, "none of these
//! literals", an interval, absence). [`solve_field`] decides a conjunction of
//! literals over one field and answers [`Verdict::Sat`] with a value that
//! satisfies every one of them (checked by evaluating them on it),
//! [`Verdict::Unsat`] only when no valid input value does, or
//! [`Verdict::Unknown`].
//!
//! Valid input values are those the lead readers produce: strings are
//! trimmed, non-empty and no `missing` marker; numbers are finite; a
//! required field is present.
//!
//! - enum and bool fields: the domain is finite and enumerated: exact;
//! - int and float fields: every test is an interval of an ordered key
//!   space (the i64 values, or the finite f64 values ordered by their bit
//!   pattern), found by binary search with the test itself as the oracle,
//!   so the domain is a union of intervals: exact;
//! - strings: equality, `in` and lookup membership give a finite candidate
//!   set, checked one by one: exact. Otherwise the value must start with
//!   the longest prefix, end with the longest suffix and contain every
//!   `contains` literal; the candidate `prefix SEP part SEP ... SEP suffix`,
//!   where `SEP` is a character no negative literal contains, violates a
//!   negative `starts_with`/`ends_with`/`contains` only when every value
//!   satisfying the positive ones does (the literal lies within a forced
//!   piece), and differs from any finite set of literals or lookup keys in
//!   one of infinitely many variants: exact. `matches` is approximated: a
//!   regex-driven generator proposes candidates, which are checked, and
//!   when none fits the answer is `Unknown`, never `Unsat`;
//! - lists: the required elements, as a list, is the least candidate:
//!   exact.

use crate::check::program::{compare_numbers, scalar_eq, Lookup, Number, Ordering, Scalar, Test, TestKind};
use crate::compile::StrTable;
use crate::schema::{ElementType, FieldId, FieldType, Schema, Value};

use super::regex_gen;

/// One fact about one field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lit<'a> {
    /// An atomic test and its outcome.
    Test(&'a Test, bool),
    /// The enum field has this value.
    Enum(FieldId, u32),
    /// The bool field has this value.
    Bool(FieldId, bool),
    /// The string field is this literal.
    StrIs(FieldId, &'a str),
    /// The string field is present and none of the table's literals.
    StrNotIn(FieldId, &'a StrTable),
    /// The numeric field is a number with `lo <= x < hi`.
    Interval(FieldId, Option<f64>, Option<f64>),
    /// The field is absent.
    Absent(FieldId),
}

impl<'a> Lit<'a> {
    /// The field the fact is about.
    pub(crate) fn field(&self) -> FieldId {
        match self {
            Lit::Test(test, _) => test.field,
            Lit::Enum(f, _)
            | Lit::Bool(f, _)
            | Lit::StrIs(f, _)
            | Lit::StrNotIn(f, _)
            | Lit::Interval(f, _, _)
            | Lit::Absent(f) => *f,
        }
    }

    /// Whether the fact holds for a value of its field.
    pub(crate) fn holds(&self, value: &Value, lookups: &[Lookup]) -> bool {
        match self {
            Lit::Test(test, outcome) => test.holds(value, lookups) == *outcome,
            Lit::Enum(_, i) => matches!(value, Value::Enum(v) if v == i),
            Lit::Bool(_, b) => matches!(value, Value::Bool(v) if v == b),
            Lit::StrIs(_, s) => matches!(value, Value::Str(v) if **v == **s),
            Lit::StrNotIn(_, table) => match value {
                Value::Str(v) => table.cases.binary_search_by(|(k, _)| (**k).cmp(&**v)).is_err(),
                _ => false,
            },
            Lit::Interval(_, lo, hi) => match value.as_number() {
                Some(x) if !x.is_nan() => lo.is_none_or(|lo| x >= lo) && hi.is_none_or(|hi| x < hi),
                _ => false,
            },
            Lit::Absent(_) => matches!(value, Value::Absent),
        }
    }

    /// The opposite fact, for tests (edges are never negated).
    pub(crate) fn negated(&self) -> Option<Lit<'a>> {
        match self {
            Lit::Test(test, outcome) => Some(Lit::Test(test, !outcome)),
            _ => None,
        }
    }
}

/// What a conjunction of facts about one field allows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// This valid value satisfies every fact.
    Sat(Value),
    /// No valid value does (proven).
    Unsat,
    /// Not decided (a regex the generator could not satisfy).
    Unknown,
}

/// Most lookup keys or `in` literals tried one by one.
const MAX_CANDIDATES: usize = 100_000;

/// What the theory needs about the project.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// Loaded lookups.
    pub lookups: &'a [Lookup],
}

impl Env<'_> {
    /// Whether text is a string value the readers can produce.
    pub(crate) fn valid_text(&self, text: &str) -> bool {
        !text.is_empty() && text.trim() == text && !self.schema.is_missing_marker(text)
    }
}

/// Decides the conjunction of `lits`, all about `field`.
pub(crate) fn solve_field(env: &Env<'_>, field: FieldId, lits: &[Lit<'_>]) -> Verdict {
    let Some(info) = env.schema.fields.get(field.index()) else {
        return Verdict::Unknown;
    };
    let absent_ok = info.optional && lits.iter().all(|l| l.holds(&Value::Absent, env.lookups));
    let present = match info.ty {
        FieldType::Enum(id) => {
            let n = env.schema.enums.get(id.0 as usize).map_or(0, |e| e.values.len());
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            first_fit(env, lits, (0..n).map(Value::Enum))
        }
        FieldType::Bool => first_fit(env, lits, [Value::Bool(false), Value::Bool(true)].into_iter()),
        FieldType::Int => numeric(env, lits, Keys::of(true)),
        FieldType::Float => numeric(env, lits, Keys::of(false)),
        // Days or milliseconds within the calendar, so that every example
        // value can be written as ISO 8601 and read back.
        FieldType::Date | FieldType::DateTime => match info.ty.time_kind() {
            Some(kind) => numeric(env, lits, Keys::within(kind.range(), kind.anchor())),
            None => Verdict::Unknown,
        },
        FieldType::String => string(env, lits),
        FieldType::List(element) => list(env, lits, element),
    };
    match present {
        Verdict::Sat(v) => Verdict::Sat(v),
        Verdict::Unsat if absent_ok => Verdict::Sat(Value::Absent),
        Verdict::Unknown if absent_ok => Verdict::Sat(Value::Absent),
        other => other,
    }
}

/// The first of `values` every literal holds for.
fn first_fit(env: &Env<'_>, lits: &[Lit<'_>], mut values: impl Iterator<Item = Value>) -> Verdict {
    match values.find(|v| lits.iter().all(|l| l.holds(v, env.lookups))) {
        Some(v) => Verdict::Sat(v),
        None => Verdict::Unsat,
    }
}

// ---------------------------------------------------------------------------
// Numbers: unions of intervals of an ordered key space.
// ---------------------------------------------------------------------------

/// Inclusive key intervals, sorted and disjoint.
type Set = Vec<(i64, i64)>;

/// The key of a finite float: order-preserving (`-0.0` just below `0.0`).
fn float_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    if bits < 0 {
        -(bits & i64::MAX) - 1
    } else {
        bits
    }
}

fn float_of(key: i64) -> f64 {
    if key >= 0 {
        f64::from_bits(key as u64)
    } else {
        let magnitude = (-(key as i128) - 1) as u64;
        f64::from_bits(magnitude | (1u64 << 63))
    }
}

/// The key space of a numeric field.
#[derive(Clone, Copy)]
struct Keys {
    integer: bool,
    lo: i64,
    hi: i64,
    /// The key proposed when allowed, and the one candidates are chosen
    /// closest to (zero, or a date's anchor).
    origin: i64,
}

impl Keys {
    /// Int keys limited to `lo..=hi`, `origin` preferred.
    fn within((lo, hi): (i64, i64), origin: i64) -> Keys {
        Keys { integer: true, lo, hi, origin }
    }

    fn of(integer: bool) -> Keys {
        if integer {
            Keys { integer, lo: i64::MIN, hi: i64::MAX, origin: 0 }
        } else {
            Keys { integer, lo: float_key(-f64::MAX), hi: float_key(f64::MAX), origin: float_key(0.0) }
        }
    }

    /// The number a key stands for, as comparisons see it (an int stays
    /// an int: see [`compare_numbers`]).
    fn number(self, key: i64) -> Number {
        if self.integer {
            Number::Int(key)
        } else {
            Number::Float(float_of(key))
        }
    }

    fn value(self, key: i64) -> Value {
        if self.integer {
            Value::Int(key)
        } else {
            Value::Float(float_of(key))
        }
    }

    /// Keys whose number satisfies `pred`, which must be monotone
    /// (false then true, or true then false) over the keys. `guess` is a
    /// key near where it flips: a few steps around it are tried before a
    /// binary search.
    fn monotone(self, guess: i64, pred: impl Fn(Number) -> bool) -> Set {
        let at = |k: i64| pred(self.number(k));
        let (first, last) = (at(self.lo), at(self.hi));
        match (first, last) {
            (true, true) => vec![(self.lo, self.hi)],
            (false, false) => Vec::new(),
            (true, false) => vec![(self.lo, self.flip(guess, &at, true) - 1)],
            (false, true) => vec![(self.flip(guess, &at, false), self.hi)],
        }
    }

    /// The first key where `at` differs from `at(lo)` (`at(lo) == from`,
    /// `at(hi) != from`).
    fn flip(self, guess: i64, at: &impl Fn(i64) -> bool, from: bool) -> i64 {
        // INVARIANT: at(a) == from, at(b) != from, a < b; the answer is b
        // once b == a + 1.
        let (mut a, mut b) = (self.lo as i128, self.hi as i128);
        let g = (guess.clamp(self.lo, self.hi)) as i128;
        for probe in [g - 2, g - 1, g, g + 1, g + 2] {
            if probe <= a || probe >= b {
                continue;
            }
            if at(probe as i64) == from {
                a = probe;
            } else {
                b = probe;
                break;
            }
        }
        while b - a > 1 {
            let m = (a + b).div_euclid(2);
            if at(m as i64) == from {
                a = m;
            } else {
                b = m;
            }
        }
        b as i64
    }

    fn compare(self, op: Ordering, t: Number) -> Set {
        let guess = match t {
            Number::Int(i) if self.integer => i,
            _ if self.integer => t.to_f64() as i64,
            _ => float_key(t.to_f64().clamp(-f64::MAX, f64::MAX)),
        };
        self.monotone(guess, |x| op.holds(compare_numbers(x, t)))
    }

    /// Keys equal to a literal, as [`scalar_eq`] compares.
    fn equal(self, literal: &Scalar) -> Set {
        match literal {
            Scalar::Int(b) if self.integer => vec![(*b, *b)],
            Scalar::Int(b) => {
                intersect(&self.compare(Ordering::Ge, Number::Int(*b)), &self.compare(Ordering::Le, Number::Int(*b)))
            }
            Scalar::Float(b) => intersect(
                &self.compare(Ordering::Ge, Number::Float(*b)),
                &self.compare(Ordering::Le, Number::Float(*b)),
            ),
            _ => Vec::new(),
        }
    }

    fn complement(self, set: &Set) -> Set {
        let mut out = Vec::new();
        let mut next = self.lo as i128;
        for &(a, b) in set {
            if (a as i128) > next {
                out.push((next as i64, (a as i128 - 1) as i64));
            }
            next = b as i128 + 1;
        }
        if next <= self.hi as i128 {
            out.push((next as i64, self.hi));
        }
        out
    }

    /// The set of one literal; `None` for a literal that is not about a
    /// present number (it is decided by presence alone).
    fn of_lit(self, lit: &Lit<'_>) -> Option<Set> {
        let all = vec![(self.lo, self.hi)];
        match lit {
            Lit::Test(test, outcome) => {
                let set = match &test.kind {
                    TestKind::Exists => all,
                    TestKind::Eq(literal) => self.equal(literal),
                    TestKind::In(literals) => {
                        let mut acc = Vec::new();
                        for l in literals {
                            acc = union(&acc, &self.equal(l));
                        }
                        acc
                    }
                    TestKind::Compare(op, t) => self.compare(*op, *t),
                    _ => Vec::new(),
                };
                Some(if *outcome { set } else { self.complement(&set) })
            }
            Lit::Interval(_, lo, hi) => {
                let mut set = all;
                if let Some(lo) = lo {
                    set = intersect(&set, &self.compare(Ordering::Ge, Number::Float(*lo)));
                }
                if let Some(hi) = hi {
                    set = intersect(&set, &self.compare(Ordering::Lt, Number::Float(*hi)));
                }
                Some(set)
            }
            _ => None,
        }
    }

    /// A readable member: zero, else a whole number, else the member
    /// closest to zero.
    fn pick(self, set: &Set) -> Option<i64> {
        let contains = |k: i64| set.iter().any(|&(a, b)| a <= k && k <= b);
        if contains(self.origin) {
            return Some(self.origin);
        }
        let mut candidates: Vec<i64> = Vec::new();
        for &(a, b) in set {
            candidates.push(a);
            candidates.push(b);
            if !self.integer {
                for x in [float_of(a).ceil(), float_of(b).floor(), float_of(a).ceil() + 1.0] {
                    if x.is_finite() {
                        candidates.push(float_key(if x == 0.0 { 0.0 } else { x }));
                    }
                }
            }
        }
        let origin = self.number(self.origin).to_f64();
        candidates.into_iter().filter(|&k| contains(k)).min_by(|&x, &y| {
            let (a, b) = (self.number(x).to_f64(), self.number(y).to_f64());
            let whole = |v: f64| v.fract() != 0.0;
            whole(a).cmp(&whole(b)).then((a - origin).abs().total_cmp(&(b - origin).abs())).then(x.cmp(&y))
        })
    }
}

fn intersect(a: &Set, b: &Set) -> Set {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.get(i), b.get(j)) {
        let (lo, hi) = (a0.max(b0), a1.min(b1));
        if lo <= hi {
            out.push((lo, hi));
        }
        if a1 < b1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn union(a: &Set, b: &Set) -> Set {
    let mut all: Vec<(i64, i64)> = a.iter().chain(b.iter()).copied().collect();
    all.sort_unstable();
    let mut out: Set = Vec::new();
    for (lo, hi) in all {
        match out.last_mut() {
            Some(last) if (lo as i128) <= last.1 as i128 + 1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn numeric(env: &Env<'_>, lits: &[Lit<'_>], keys: Keys) -> Verdict {
    let mut set = vec![(keys.lo, keys.hi)];
    for lit in lits {
        match keys.of_lit(lit) {
            Some(s) => set = intersect(&set, &s),
            None => {
                if !lit.holds(&keys.value(0), env.lookups) {
                    // INVARIANT: only `Absent` (or a fact about another
                    // type) is false for every present number.
                    return Verdict::Unsat;
                }
            }
        }
        if set.is_empty() {
            return Verdict::Unsat;
        }
    }
    match keys.pick(&set) {
        Some(k) => {
            let value = keys.value(k);
            if lits.iter().all(|l| l.holds(&value, env.lookups)) {
                Verdict::Sat(value)
            } else {
                Verdict::Unknown
            }
        }
        None => Verdict::Unsat,
    }
}

// ---------------------------------------------------------------------------
// Strings.
// ---------------------------------------------------------------------------

/// Separator characters, most readable first.
const SEPARATORS: &[char] =
    &['x', 'z', 'q', 'k', 'j', '0', '1', '7', 'X', 'Z', 'Q', '_', '-', '+', '~', '#', '%', '\u{e000}', '\u{e001}'];

/// Keeps the smaller of two finite candidate sets.
fn offer<'s>(candidates: Vec<&'s str>, finite: &mut Option<Vec<&'s str>>) {
    if finite.as_ref().is_none_or(|f| candidates.len() < f.len()) {
        *finite = Some(candidates);
    }
}

fn string<'s>(env: &Env<'s>, lits: &[Lit<'s>]) -> Verdict {
    let mut finite: Option<Vec<&'s str>> = None;
    let (mut prefixes, mut suffixes, mut parts) = (Vec::new(), Vec::new(), Vec::new());
    let (mut not_prefixes, mut not_suffixes, mut not_parts) = (Vec::new(), Vec::new(), Vec::new());
    let mut regexes = Vec::new();
    let mut too_many = false;
    for lit in lits {
        match lit {
            Lit::Absent(_) => return Verdict::Unsat,
            Lit::StrIs(_, s) => offer(vec![*s], &mut finite),
            Lit::StrNotIn(..) | Lit::Interval(..) | Lit::Enum(..) | Lit::Bool(..) => {}
            Lit::Test(test, true) => match &test.kind {
                TestKind::Eq(Scalar::Str(s)) => offer(vec![s.as_str()], &mut finite),
                TestKind::Eq(_) => return Verdict::Unsat,
                TestKind::In(list) => offer(
                    list.iter().filter_map(|l| if let Scalar::Str(s) = l { Some(s.as_str()) } else { None }).collect(),
                    &mut finite,
                ),
                TestKind::StartsWith(p) => prefixes.push(p.as_str()),
                TestKind::EndsWith(s) => suffixes.push(s.as_str()),
                TestKind::Contains(c) => parts.push(c.as_str()),
                TestKind::Matches(re) => regexes.push(re),
                TestKind::InLookup(id) => match env.lookups.get(id.0 as usize) {
                    Some(lookup) if lookup.entries.len() <= MAX_CANDIDATES => {
                        let mut keys: Vec<&str> = lookup.entries.keys().map(String::as_str).collect();
                        keys.sort_unstable();
                        offer(keys, &mut finite);
                    }
                    Some(_) => too_many = true,
                    None => return Verdict::Unsat,
                },
                TestKind::Exists => {}
                _ => {}
            },
            Lit::Test(test, false) => match &test.kind {
                TestKind::Exists => return Verdict::Unsat,
                TestKind::StartsWith(p) => not_prefixes.push(p.as_str()),
                TestKind::EndsWith(s) => not_suffixes.push(s.as_str()),
                TestKind::Contains(c) => not_parts.push(c.as_str()),
                _ => {}
            },
        }
    }
    let fits = |candidate: &str| {
        let value = Value::Str(candidate.into());
        env.valid_text(candidate) && lits.iter().all(|l| l.holds(&value, env.lookups))
    };
    if let Some(candidates) = finite {
        if candidates.len() > MAX_CANDIDATES {
            return Verdict::Unknown;
        }
        return match candidates.into_iter().find(|c| fits(c)) {
            Some(c) => Verdict::Sat(Value::Str(c.into())),
            None => Verdict::Unsat,
        };
    }
    if too_many {
        return Verdict::Unknown;
    }

    // Forced pieces: the longest prefix and suffix (the others must be
    // theirs), and every `contains` part.
    let prefix = longest_chain(&prefixes, |long, short| long.starts_with(short));
    let suffix = longest_chain(&suffixes, |long, short| long.ends_with(short));
    let (Some(prefix), Some(suffix)) = (prefix, suffix) else {
        return Verdict::Unsat;
    };
    // Input is trimmed: a forced leading or trailing space is never read.
    if prefix.starts_with(char::is_whitespace) || suffix.ends_with(char::is_whitespace) {
        return Verdict::Unsat;
    }
    let pieces: Vec<&str> =
        std::iter::once(prefix).chain(parts.iter().copied()).chain(std::iter::once(suffix)).collect();
    if not_parts.iter().any(|n| pieces.iter().any(|p| p.contains(n)))
        || not_prefixes.iter().any(|n| prefix.starts_with(n))
        || not_suffixes.iter().any(|n| suffix.ends_with(n))
    {
        return Verdict::Unsat;
    }
    let negatives: Vec<&str> = not_prefixes.iter().chain(&not_suffixes).chain(&not_parts).copied().collect();
    let separators = SEPARATORS.iter().copied().filter(|c| !negatives.iter().any(|n| n.contains(*c)));
    let mut candidates: Vec<String> = Vec::new();
    for sep in separators.take(4) {
        for repeat in 1..=3 {
            let s: String = std::iter::repeat_n(sep, repeat).collect();
            let mut w = String::from(prefix);
            w.push_str(&s);
            for part in &parts {
                w.push_str(part);
                w.push_str(&s);
            }
            w.push_str(suffix);
            candidates.push(w);
        }
    }
    for re in &regexes {
        for g in regex_gen::examples(re.as_str()) {
            candidates.push(format!("{prefix}{g}{suffix}"));
            candidates.push(g.clone());
            let mut w = format!("{prefix}{g}");
            for part in &parts {
                w.push_str(part);
            }
            w.push_str(suffix);
            candidates.push(w);
        }
    }
    match candidates.iter().find(|c| fits(c)) {
        Some(c) => Verdict::Sat(Value::Str(c.as_str().into())),
        // Without regexes the separated candidate fails only on finitely
        // many literals, keys or markers, which some variant avoids; a miss
        // is a regex the generator could not satisfy (or variants ran
        // out): not decided.
        None => Verdict::Unknown,
    }
}

/// The longest of `items` when every other is `related` to it (a prefix of
/// it, say); `None` when two are incompatible. Empty input: `""`.
fn longest_chain<'s>(items: &[&'s str], related: impl Fn(&str, &str) -> bool) -> Option<&'s str> {
    let longest = items.iter().copied().max_by_key(|s| s.len()).unwrap_or("");
    items.iter().all(|s| related(longest, s)).then_some(longest)
}

// ---------------------------------------------------------------------------
// Lists.
// ---------------------------------------------------------------------------

fn list(env: &Env<'_>, lits: &[Lit<'_>], element: ElementType) -> Verdict {
    let mut required: Vec<Value> = Vec::new();
    for lit in lits {
        match lit {
            Lit::Absent(_) => return Verdict::Unsat,
            Lit::Test(test, true) => {
                if let TestKind::ListContains(x) = &test.kind {
                    match element_value(env, element, x) {
                        Some(v) => {
                            if !required.contains(&v) {
                                required.push(v);
                            }
                        }
                        None => return Verdict::Unsat,
                    }
                }
            }
            Lit::Test(test, false) if matches!(test.kind, TestKind::Exists) => return Verdict::Unsat,
            _ => {}
        }
    }
    let value = Value::List(required.into());
    if lits.iter().all(|l| l.holds(&value, env.lookups)) {
        Verdict::Sat(value)
    } else {
        // INVARIANT: every list meeting the positive facts holds these
        // elements, so a negative fact the least one fails, all fail.
        Verdict::Unsat
    }
}

/// The element value equal to a literal, if one is a valid input.
fn element_value(env: &Env<'_>, element: ElementType, literal: &Scalar) -> Option<Value> {
    let value = match (element, literal) {
        (ElementType::String, Scalar::Str(s)) if env.valid_text(s) => Value::Str(s.as_str().into()),
        (ElementType::Int, Scalar::Int(i)) => Value::Int(*i),
        (ElementType::Int, Scalar::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Value::Int(*f as i64),
        (ElementType::Float, Scalar::Float(f)) if f.is_finite() => Value::Float(*f),
        (ElementType::Float, Scalar::Int(i)) => Value::Float(*i as f64),
        (ElementType::Bool, Scalar::Bool(b)) => Value::Bool(*b),
        (ElementType::Enum(_), Scalar::Enum(k)) => Value::Enum(*k),
        _ => return None,
    };
    scalar_eq(&value, literal).then_some(value)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice, reason = "tests may index: a panic is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn float_keys_keep_order() {
        let xs = [-f64::MAX, -1e10, -1.5, -f64::MIN_POSITIVE, -0.0, 0.0, f64::MIN_POSITIVE, 1.0, 2.5, f64::MAX];
        for w in xs.windows(2) {
            assert!(float_key(w[0]) < float_key(w[1]), "{} < {}", w[0], w[1]);
            assert_eq!(float_of(float_key(w[0])).to_bits(), w[0].to_bits());
        }
    }

    #[test]
    fn int_comparisons_become_exact_intervals() {
        let keys = Keys::of(true);
        assert_eq!(keys.compare(Ordering::Lt, 5.5.into()), vec![(i64::MIN, 5)]);
        assert_eq!(keys.compare(Ordering::Ge, 5.0.into()), vec![(5, i64::MAX)]);
        // Beyond 2^53 ints compare as ints, not as rounded floats.
        assert_eq!(keys.compare(Ordering::Gt, (i64::MAX - 1).into()), vec![(i64::MAX, i64::MAX)]);
        assert_eq!(
            keys.compare(Ordering::Gt, 9_007_199_254_740_992_i64.into()),
            vec![(9_007_199_254_740_993, i64::MAX)]
        );
        assert_eq!(keys.compare(Ordering::Lt, (i64::MIN + 1).into()), vec![(i64::MIN, i64::MIN)]);
        assert_eq!(keys.compare(Ordering::Ge, 9.3e18.into()), vec![]);
        assert_eq!(keys.equal(&Scalar::Float(2.5)), vec![]);
        let big = keys.equal(&Scalar::Float(9_007_199_254_740_993.0));
        assert!(!big.is_empty());
    }
}
