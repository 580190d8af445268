//! Atoms over one field and the hash-consed condition arena the builder
//! specialises.
//!
//! Every atomic [`Test`] of the program is interned once as an [`Atom`]: the
//! test itself (its meaning is [`Test::holds`], always) plus a *form* that
//! says how a split on its field decides it:
//!
//! - [`AtomForm::OneOf`]: equality with one of a few enum values, booleans or
//!   string literals (`==`, `in [..]`);
//! - [`AtomForm::Range`]: a numeric comparison normalised to a half-open
//!   range `lo <= x < hi` (see [`numeric_range`]);
//! - [`AtomForm::Exists`]: presence, decided by any split of its field;
//! - [`AtomForm::Opaque`]: anything else (regex, substring, list contains,
//!   lookup membership); a binary test node, or evaluated exactly once the
//!   field's value is known.
//!
//! Conditions are interned bottom-up in a [`CondArena`] with structural
//! hash-consing, so equal conditions have equal [`CondId`]s and a candidate
//! list can be compared and hashed as a slice of ids. The smart constructors
//! fold `True`/`False`, flatten nested `All`/`Any`, drop duplicate parts and
//! remove double negation; the arena never holds a `True` or `False` below
//! the top of a condition.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::check::program::{Cond, Lookup, Number, Ordering, Scalar, Test, TestKind};
use crate::schema::{FieldId, FieldType, Schema, Value};

/// Index of an interned atom ([`crate::compile::Dag::atom`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AtomId(pub u32);

impl AtomId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of an interned condition ([`crate::compile::Dag::cond`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CondId(pub u32);

impl CondId {
    /// The condition that always holds.
    pub const TRUE: CondId = CondId(0);
    /// The condition that never holds.
    pub const FALSE: CondId = CondId(1);

    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a split on the atom's field decides the atom.
#[derive(Debug, Clone, PartialEq)]
pub enum AtomForm {
    /// `field exists`: false on the absent branch, true on every other.
    Exists,
    /// The value equals one of these keys: an enum index, a boolean as 0/1,
    /// or a string literal's symbol ([`crate::compile::Dag::symbol`]).
    /// Sorted, distinct, never empty.
    OneOf(Box<[u32]>),
    /// The value is a number (not NaN) with `lo <= x` (when `lo` is given)
    /// and `x < hi` (when `hi` is given).
    Range {
        /// Inclusive lower bound.
        lo: Option<f64>,
        /// Exclusive upper bound.
        hi: Option<f64>,
    },
    /// Decided only by evaluating [`Test::holds`].
    Opaque,
}

/// One interned atomic test.
#[derive(Debug, Clone)]
pub struct Atom {
    /// The test as the checker wrote it: its meaning, its field, its span.
    /// Atoms that `in [..]` over a numeric field expands into carry a
    /// synthetic `==` test with the span of the whole `in`.
    pub test: Test,
    /// How splits decide it.
    pub form: AtomForm,
}

impl Atom {
    /// The field tested.
    pub fn field(&self) -> FieldId {
        self.test.field
    }
}

/// One node of an interned condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CondNode {
    /// Always holds.
    True,
    /// Never holds.
    False,
    /// An atomic test.
    Atom(AtomId),
    /// Negation (never of `True`, `False` or another `Not`).
    Not(CondId),
    /// Conjunction of at least two parts, none an `All`, `True` or `False`.
    All(Rc<[CondId]>),
    /// Disjunction of at least two parts, none an `Any`, `True` or `False`.
    Any(Rc<[CondId]>),
}

/// What a child of a split knows about the split field's value. Every atom
/// over that field that the fact decides becomes `True` or `False`.
#[derive(Debug, Clone)]
pub enum Fact {
    /// The value is absent: every atom is false.
    Absent,
    /// The value is exactly this: every atom is decided by [`Test::holds`]
    /// (`OneOf` atoms by the value's key when given: its enum index,
    /// boolean as 0/1 or string symbol).
    Value(Value, Option<u32>),
    /// A present string equal to none of the `OneOf` literals in play:
    /// `OneOf` atoms are false, `Exists` true, opaque atoms stay.
    OtherStr,
    /// A present number (not NaN) in `lo <= x < hi`, where both bounds are
    /// cut points of every `Range` atom in play: those atoms are decided,
    /// `Exists` is true, opaque atoms stay.
    Interval {
        /// Inclusive lower bound (`None`: from minus infinity, inclusive).
        lo: Option<f64>,
        /// Exclusive upper bound (`None`: to plus infinity, inclusive).
        hi: Option<f64>,
    },
    /// The outcome of one atom (a test node's branch). A true atom also
    /// proves its field present.
    Atom(AtomId, bool),
}

/// Interned atoms and conditions with their per-condition field masks.
#[derive(Debug, Clone)]
pub struct CondArena {
    nodes: Vec<CondNode>,
    /// Bit `f % 64` is set when the condition mentions field `f` (a
    /// superset: exact for schemas of up to 64 fields).
    masks: Vec<u64>,
    index: FxHashMap<CondNode, CondId>,
    atoms: Vec<Atom>,
    atom_index: FxHashMap<AtomKey, AtomId>,
    symbols: Vec<Box<str>>,
    symbol_index: FxHashMap<Box<str>, u32>,
}

/// The bit of a field in a condition's mask.
pub fn field_bit(field: FieldId) -> u64 {
    1u64 << (field.0 % 64)
}

impl Default for CondArena {
    fn default() -> Self {
        CondArena::new()
    }
}

impl CondArena {
    /// An arena holding only `True` (id 0) and `False` (id 1).
    pub fn new() -> CondArena {
        let mut arena = CondArena {
            nodes: Vec::new(),
            masks: Vec::new(),
            index: FxHashMap::default(),
            atoms: Vec::new(),
            atom_index: FxHashMap::default(),
            symbols: Vec::new(),
            symbol_index: FxHashMap::default(),
        };
        arena.intern(CondNode::True, 0);
        arena.intern(CondNode::False, 0);
        arena
    }

    /// The node behind an id.
    pub fn node(&self, id: CondId) -> &CondNode {
        self.nodes.get(id.index()).unwrap_or(&CondNode::False)
    }

    /// Whether the condition may mention the field (exact up to 64 fields).
    pub fn mentions(&self, id: CondId, field: FieldId) -> bool {
        self.masks.get(id.index()).is_some_and(|m| m & field_bit(field) != 0)
    }

    /// The field mask of a condition.
    pub fn mask(&self, id: CondId) -> u64 {
        self.masks.get(id.index()).copied().unwrap_or(0)
    }

    /// The atom behind an id.
    pub fn atom(&self, id: AtomId) -> Option<&Atom> {
        self.atoms.get(id.index())
    }

    /// Every interned atom, indexed by [`AtomId`].
    pub fn atoms(&self) -> &[Atom] {
        &self.atoms
    }

    /// The interned string literals, indexed by symbol.
    pub fn symbols(&self) -> &[Box<str>] {
        &self.symbols
    }

    /// The text of a string symbol.
    pub fn symbol(&self, symbol: u32) -> &str {
        self.symbols.get(symbol as usize).map_or("", |s| s)
    }

    fn intern(&mut self, node: CondNode, mask: u64) -> CondId {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let id = CondId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(node.clone());
        self.masks.push(mask);
        self.index.insert(node, id);
        id
    }

    fn symbol_of(&mut self, text: &str) -> u32 {
        if let Some(&s) = self.symbol_index.get(text) {
            return s;
        }
        let s = u32::try_from(self.symbols.len()).unwrap_or(u32::MAX);
        self.symbols.push(text.into());
        self.symbol_index.insert(text.into(), s);
        s
    }

    /// The condition of one atom.
    pub fn atom_cond(&mut self, test: Test, form: AtomForm) -> CondId {
        let key = AtomKey::of(&test, &form);
        let field = test.field;
        let id = match self.atom_index.get(&key) {
            Some(&id) => id,
            None => {
                let id = AtomId(u32::try_from(self.atoms.len()).unwrap_or(u32::MAX));
                self.atoms.push(Atom { test, form });
                self.atom_index.insert(key, id);
                id
            }
        };
        self.intern(CondNode::Atom(id), field_bit(field))
    }

    /// `not c`, folded; a negated disjunction becomes the conjunction of
    /// its negated parts (De Morgan; a test is true or false, absent values
    /// included, so the two always agree). `not (industry == "government"
    /// or employees < 50)` is then two parts of its rule's conjunction, one
    /// per field, which the matching filter decides from its rows, where
    /// the whole was left to evaluating it for every lead that reached the
    /// rule (at 100 generated rules, three of the five rules so left).
    pub fn not(&mut self, c: CondId) -> CondId {
        match self.node(c) {
            CondNode::True => CondId::FALSE,
            CondNode::False => CondId::TRUE,
            CondNode::Not(inner) => *inner,
            CondNode::Any(parts) => {
                let parts = Rc::clone(parts);
                let negated = parts.iter().map(|&p| self.not(p)).collect();
                self.all(negated)
            }
            _ => {
                let mask = self.mask(c);
                self.intern(CondNode::Not(c), mask)
            }
        }
    }

    /// The conjunction of `parts`, folded and flattened.
    pub fn all(&mut self, parts: Vec<CondId>) -> CondId {
        self.junction(parts, true)
    }

    /// The disjunction of `parts`, folded and flattened.
    pub fn any(&mut self, parts: Vec<CondId>) -> CondId {
        self.junction(parts, false)
    }

    fn junction(&mut self, parts: Vec<CondId>, conjunction: bool) -> CondId {
        // The unit is dropped, the zero absorbs everything.
        let (unit, zero) = if conjunction { (CondId::TRUE, CondId::FALSE) } else { (CondId::FALSE, CondId::TRUE) };
        let mut flat: Vec<CondId> = Vec::with_capacity(parts.len());
        for part in parts {
            if part == zero {
                return zero;
            }
            if part == unit {
                continue;
            }
            match self.node(part) {
                CondNode::All(inner) if conjunction => {
                    for &p in inner.iter() {
                        if !flat.contains(&p) {
                            flat.push(p);
                        }
                    }
                }
                CondNode::Any(inner) if !conjunction => {
                    for &p in inner.iter() {
                        if !flat.contains(&p) {
                            flat.push(p);
                        }
                    }
                }
                _ => {
                    if !flat.contains(&part) {
                        flat.push(part);
                    }
                }
            }
        }
        match flat.len() {
            0 => unit,
            1 => flat.first().copied().unwrap_or(unit),
            _ => {
                let mask = flat.iter().fold(0, |m, &p| m | self.mask(p));
                let parts: Rc<[CondId]> = flat.into();
                let node = if conjunction { CondNode::All(parts) } else { CondNode::Any(parts) };
                self.intern(node, mask)
            }
        }
    }

    /// Interns a program condition.
    pub fn lower(&mut self, cond: &Cond, schema: &Schema) -> CondId {
        match cond {
            Cond::True => CondId::TRUE,
            Cond::All(parts) => {
                let ids = parts.iter().map(|p| self.lower(p, schema)).collect();
                self.all(ids)
            }
            Cond::Any(parts) => {
                let ids = parts.iter().map(|p| self.lower(p, schema)).collect();
                self.any(ids)
            }
            Cond::Not(inner) => {
                let id = self.lower(inner, schema);
                self.not(id)
            }
            Cond::Test(test) => self.lower_test(test, schema),
        }
    }

    /// Interns one atomic test, classifying it by its field's type.
    fn lower_test(&mut self, test: &Test, schema: &Schema) -> CondId {
        let opaque = |arena: &mut CondArena| arena.atom_cond(test.clone(), AtomForm::Opaque);
        let Some(field) = schema.fields.get(test.field.index()) else {
            return opaque(self);
        };
        let ty = field.ty;
        match (&test.kind, ty) {
            (TestKind::Exists, FieldType::List(_)) => opaque(self),
            (TestKind::Exists, _) => self.atom_cond(test.clone(), AtomForm::Exists),
            (
                TestKind::Eq(_) | TestKind::In(_),
                FieldType::Int | FieldType::Float | FieldType::Date | FieldType::DateTime,
            ) => {
                let literals: &[Scalar] = match &test.kind {
                    TestKind::Eq(literal) => std::slice::from_ref(literal),
                    TestKind::In(literals) => literals,
                    _ => &[],
                };
                let mut ranges = Vec::with_capacity(literals.len());
                for literal in literals {
                    match numeric_literal(literal, ty) {
                        NumericLiteral::Never => {}
                        NumericLiteral::Opaque => return opaque(self),
                        NumericLiteral::Value(v) => ranges.push((literal, v)),
                    }
                }
                let mut parts = Vec::with_capacity(ranges.len());
                for (literal, v) in ranges {
                    let Some((lo, hi)) = numeric_range(NumOp::Eq, v, ty) else {
                        continue;
                    };
                    if !exact_cuts(ty, lo, hi) {
                        return opaque(self);
                    }
                    let one = if literals.len() == 1 {
                        test.clone()
                    } else {
                        Test { field: test.field, kind: TestKind::Eq(literal.clone()), span: test.span }
                    };
                    parts.push(self.atom_cond(one, AtomForm::Range { lo, hi }));
                }
                self.any(parts)
            }
            (TestKind::Eq(_) | TestKind::In(_), FieldType::Enum(_) | FieldType::Bool | FieldType::String) => {
                let literals: &[Scalar] = match &test.kind {
                    TestKind::Eq(literal) => std::slice::from_ref(literal),
                    TestKind::In(literals) => literals,
                    _ => &[],
                };
                let enum_size = match ty {
                    FieldType::Enum(id) => schema.enums.get(id.0 as usize).map_or(0, |e| e.values.len()),
                    _ => 0,
                };
                let mut keys: Vec<u32> = Vec::with_capacity(literals.len());
                for literal in literals {
                    // A literal of another type never equals a value of the
                    // field's type, so it is dropped.
                    let key = match (literal, ty) {
                        (Scalar::Enum(i), FieldType::Enum(_)) if (*i as usize) < enum_size => Some(*i),
                        (Scalar::Bool(b), FieldType::Bool) => Some(u32::from(*b)),
                        (Scalar::Str(s), FieldType::String) => Some(self.symbol_of(s)),
                        _ => None,
                    };
                    keys.extend(key);
                }
                keys.sort_unstable();
                keys.dedup();
                if keys.is_empty() {
                    return CondId::FALSE;
                }
                self.atom_cond(test.clone(), AtomForm::OneOf(keys.into()))
            }
            (TestKind::Compare(op, v), FieldType::Int | FieldType::Float | FieldType::Date | FieldType::DateTime) => {
                let op = match op {
                    Ordering::Lt => NumOp::Lt,
                    Ordering::Le => NumOp::Le,
                    Ordering::Gt => NumOp::Gt,
                    Ordering::Ge => NumOp::Ge,
                };
                let Some(v) = exact_f64(*v) else {
                    return opaque(self);
                };
                match numeric_range(op, v, ty) {
                    Some((lo, hi)) if !exact_cuts(ty, lo, hi) => opaque(self),
                    Some((lo, hi)) => self.atom_cond(test.clone(), AtomForm::Range { lo, hi }),
                    None => CondId::FALSE,
                }
            }
            _ => opaque(self),
        }
    }

    /// Decides an atom over `field` from a fact about `field`; `None` when
    /// the fact leaves it open.
    pub fn decide(&self, atom: AtomId, field: FieldId, fact: &Fact, lookups: &[Lookup]) -> Option<bool> {
        let atom_info = self.atom(atom)?;
        if atom_info.field() != field {
            return None;
        }
        match (fact, &atom_info.form) {
            (Fact::Absent, _) => Some(false),
            (Fact::Value(_, Some(key)), AtomForm::OneOf(keys)) => Some(keys.binary_search(key).is_ok()),
            (Fact::Value(value, _), _) => Some(atom_info.test.holds(value, lookups)),
            (Fact::OtherStr | Fact::Interval { .. }, AtomForm::Exists) => Some(true),
            (Fact::OtherStr, AtomForm::OneOf(_)) => Some(false),
            (Fact::Interval { lo: a, hi: b }, AtomForm::Range { lo, hi }) => {
                // INVARIANT: `lo` and `hi` are cut points, so the interval
                // lies wholly inside or wholly outside the range.
                let above_lo = match (lo, a) {
                    (None, _) => true,
                    (Some(lo), Some(a)) => lo <= a,
                    (Some(_), None) => false,
                };
                let below_hi = match (hi, b) {
                    (None, _) => true,
                    (Some(hi), Some(b)) => b <= hi,
                    (Some(_), None) => false,
                };
                Some(above_lo && below_hi)
            }
            (Fact::Atom(id, outcome), form) => {
                if *id == atom {
                    Some(*outcome)
                } else if *outcome && *form == AtomForm::Exists {
                    Some(true)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Specialises `c` by a fact about `field`: every atom over the field the
    /// fact decides is replaced by its truth value, and the result is folded.
    /// `cache` memoises within one fact.
    pub fn specialise(
        &mut self,
        c: CondId,
        field: FieldId,
        fact: &Fact,
        lookups: &[Lookup],
        cache: &mut FxHashMap<CondId, CondId>,
    ) -> CondId {
        if !self.mentions(c, field) {
            return c;
        }
        if let Some(&done) = cache.get(&c) {
            return done;
        }
        let result = match self.node(c).clone() {
            CondNode::True | CondNode::False => c,
            CondNode::Atom(atom) => match self.decide(atom, field, fact, lookups) {
                Some(true) => CondId::TRUE,
                Some(false) => CondId::FALSE,
                None => c,
            },
            CondNode::Not(inner) => {
                let s = self.specialise(inner, field, fact, lookups, cache);
                self.not(s)
            }
            CondNode::All(parts) => {
                let mut out = Vec::with_capacity(parts.len());
                let mut result = None;
                for &p in parts.iter() {
                    let s = self.specialise(p, field, fact, lookups, cache);
                    if s == CondId::FALSE {
                        result = Some(CondId::FALSE);
                        break;
                    }
                    out.push(s);
                }
                match result {
                    Some(r) => r,
                    None => self.all(out),
                }
            }
            CondNode::Any(parts) => {
                let mut out = Vec::with_capacity(parts.len());
                let mut result = None;
                for &p in parts.iter() {
                    let s = self.specialise(p, field, fact, lookups, cache);
                    if s == CondId::TRUE {
                        result = Some(CondId::TRUE);
                        break;
                    }
                    out.push(s);
                }
                match result {
                    Some(r) => r,
                    None => self.any(out),
                }
            }
        };
        cache.insert(c, result);
        result
    }

    /// Calls `visit` on every atom of `c` over `field`.
    pub fn atoms_over(&self, c: CondId, field: FieldId, visit: &mut impl FnMut(AtomId, &Atom)) {
        if !self.mentions(c, field) {
            return;
        }
        match self.node(c) {
            CondNode::True | CondNode::False => {}
            CondNode::Atom(atom) => {
                if let Some(a) = self.atom(*atom) {
                    if a.field() == field {
                        visit(*atom, a);
                    }
                }
            }
            CondNode::Not(inner) => self.atoms_over(*inner, field, visit),
            CondNode::All(parts) | CondNode::Any(parts) => {
                for &p in parts.iter() {
                    self.atoms_over(p, field, visit);
                }
            }
        }
    }

    /// Whether `c` mentions the atom.
    pub fn contains_atom(&self, c: CondId, atom: AtomId, field: FieldId) -> bool {
        if !self.mentions(c, field) {
            return false;
        }
        match self.node(c) {
            CondNode::True | CondNode::False => false,
            CondNode::Atom(a) => *a == atom,
            CondNode::Not(inner) => self.contains_atom(*inner, atom, field),
            CondNode::All(parts) | CondNode::Any(parts) => parts.iter().any(|&p| self.contains_atom(p, atom, field)),
        }
    }
}

/// A numeric comparison before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumOp {
    /// `x < v`
    Lt,
    /// `x <= v`
    Le,
    /// `x > v`
    Gt,
    /// `x >= v`
    Ge,
    /// `x == v`
    Eq,
}

/// `2^53`: below it every integer is exact in an f64.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// The least f64 above `x` (`x` for NaN and plus infinity).
pub fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    if x > 0.0 {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

/// The greatest f64 below `x` (`x` for NaN and minus infinity).
pub fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

/// Normalises `x op v` on a field of type `ty` (int or float) to a half-open
/// range `lo <= x < hi`; `None` when no value satisfies it.
///
/// One kind of cut suffices: on a float field `x <= v` is `x < next_up(v)`
/// (no f64 lies between), and on an int field, whose values are integers
/// (compared as f64), `x <= v` is `x < floor(v) + 1`. So every interval
/// between two distinct cut points contains its lower bound and is never
/// empty, and `x > 99` and `x >= 100` share one cut on an int field.
/// `-0.0` becomes `0.0` (they compare equal); a bound at minus infinity is
/// dropped.
pub fn numeric_range(op: NumOp, v: f64, ty: FieldType) -> Option<(Option<f64>, Option<f64>)> {
    if v.is_nan() {
        return None;
    }
    let v = if v == 0.0 { 0.0 } else { v };
    let integer = ty.is_integral();
    // The least cut above every value <= w.
    let above = |w: f64| -> f64 {
        if integer {
            let f = w.floor();
            if f.abs() < EXACT_INT {
                f + 1.0
            } else {
                next_up(f)
            }
        } else {
            next_up(w)
        }
    };
    let at = |w: f64| if integer { w.ceil() } else { w };
    let (lo, hi) = match op {
        NumOp::Lt => (None, Some(at(v))),
        NumOp::Ge => (Some(at(v)), None),
        NumOp::Le if v == f64::INFINITY => (None, None),
        NumOp::Le => (None, Some(above(v))),
        NumOp::Gt if v == f64::INFINITY => return None,
        NumOp::Gt => (Some(above(v)), None),
        NumOp::Eq if integer && (v != v.floor() || v.is_infinite()) => return None,
        NumOp::Eq if v == f64::INFINITY => (Some(v), None),
        NumOp::Eq => (Some(v), Some(above(v))),
    };
    let clean = |b: f64| if b == 0.0 { 0.0 } else { b };
    let lo = lo.map(clean).filter(|&l| l != f64::NEG_INFINITY);
    let hi = hi.map(clean);
    if hi == Some(f64::NEG_INFINITY) {
        return None;
    }
    if integer {
        // Int values are finite: `x >= +inf` never holds, `x < +inf` always.
        if lo == Some(f64::INFINITY) {
            return None;
        }
        let hi = hi.filter(|&h| h != f64::INFINITY);
        return Some((lo, hi));
    }
    if let (Some(l), Some(h)) = (lo, hi) {
        if l >= h {
            return None;
        }
    }
    Some((lo, hi))
}

/// The threshold as an f64 when that is exact (a float, or an int of at
/// most 2^53 in magnitude); larger ints stay opaque atoms, compared exactly
/// by [`Test::holds`].
fn exact_f64(n: Number) -> Option<f64> {
    match n {
        Number::Float(f) => Some(f),
        // On the integer, not its rounding: -(2^53 + 1) rounds to -2^53.
        Number::Int(i) => (i.unsigned_abs() <= 1 << 53).then_some(i as f64),
    }
}

/// Whether the range's cuts compare exactly with every value of a field of
/// type `ty`. An int value beyond 2^53 rounds when converted to an f64, but
/// never across an integer cut below 2^53 in magnitude (rounding is
/// monotone and such cuts are exact), so only int ranges with larger cuts
/// are refused (strictly below: -2^53 - 1 rounds to the cut -2^53; the atom is then opaque, see [`Test::holds`]).
fn exact_cuts(ty: FieldType, lo: Option<f64>, hi: Option<f64>) -> bool {
    !ty.is_integral() || [lo, hi].into_iter().flatten().all(|b| b.abs() < EXACT_INT)
}

enum NumericLiteral {
    /// Equal to no value of the field's type.
    Never,
    /// Equality is not f64 equality (an i64 beyond 2^53): keep opaque.
    Opaque,
    /// Equality with this f64.
    Value(f64),
}

/// How `field == literal` reads on a numeric field (see [`scalar_eq`]:
/// int/int compares as i64, every other pair as f64).
///
/// [`scalar_eq`]: crate::check::program::scalar_eq
fn numeric_literal(literal: &Scalar, ty: FieldType) -> NumericLiteral {
    match (literal, ty) {
        (Scalar::Int(i), FieldType::Int | FieldType::Date | FieldType::DateTime) => {
            let f = *i as f64;
            // Below 2^53 in magnitude, i64 equality and f64 equality of
            // int values agree.
            if f.abs() < EXACT_INT {
                NumericLiteral::Value(f)
            } else {
                NumericLiteral::Opaque
            }
        }
        (Scalar::Int(i), _) => exact_f64(Number::Int(*i)).map_or(NumericLiteral::Opaque, NumericLiteral::Value),
        (Scalar::Float(f), _) => NumericLiteral::Value(*f),
        _ => NumericLiteral::Never,
    }
}

/// The identity of an atom: semantic for decidable forms (so `x > 99` and
/// `x >= 100` on an int field are one atom), structural for opaque ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum AtomKey {
    Exists(u32),
    OneOf(u32, Box<[u32]>),
    Range(u32, Option<u64>, Option<u64>),
    Opaque(u32, OpaqueKey),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ScalarKey {
    Str(Box<str>),
    Int(i64),
    Float(u64),
    Bool(bool),
    Enum(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum OpaqueKey {
    Exists,
    Eq(ScalarKey),
    In(Box<[ScalarKey]>),
    Compare(Ordering, ScalarKey),
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    Contains(Box<str>),
    ListContains(ScalarKey),
    Matches(Box<str>),
    InLookup(u32),
}

impl ScalarKey {
    fn of(scalar: &Scalar) -> ScalarKey {
        match scalar {
            Scalar::Str(s) => ScalarKey::Str(s.as_str().into()),
            Scalar::Int(i) => ScalarKey::Int(*i),
            Scalar::Float(f) => ScalarKey::Float(f.to_bits()),
            Scalar::Bool(b) => ScalarKey::Bool(*b),
            Scalar::Enum(e) => ScalarKey::Enum(*e),
        }
    }
}

impl AtomKey {
    fn of(test: &Test, form: &AtomForm) -> AtomKey {
        let field = test.field.0;
        match form {
            AtomForm::Exists => AtomKey::Exists(field),
            AtomForm::OneOf(keys) => AtomKey::OneOf(field, keys.clone()),
            AtomForm::Range { lo, hi } => AtomKey::Range(field, lo.map(f64::to_bits), hi.map(f64::to_bits)),
            AtomForm::Opaque => AtomKey::Opaque(
                field,
                match &test.kind {
                    TestKind::Exists => OpaqueKey::Exists,
                    TestKind::Eq(s) => OpaqueKey::Eq(ScalarKey::of(s)),
                    TestKind::In(list) => OpaqueKey::In(list.iter().map(ScalarKey::of).collect()),
                    TestKind::Compare(op, v) => OpaqueKey::Compare(
                        *op,
                        match v {
                            Number::Int(i) => ScalarKey::Int(*i),
                            Number::Float(f) => ScalarKey::Float(f.to_bits()),
                        },
                    ),
                    TestKind::StartsWith(s) => OpaqueKey::StartsWith(s.as_str().into()),
                    TestKind::EndsWith(s) => OpaqueKey::EndsWith(s.as_str().into()),
                    TestKind::Contains(s) => OpaqueKey::Contains(s.as_str().into()),
                    TestKind::ListContains(s) => OpaqueKey::ListContains(ScalarKey::of(s)),
                    TestKind::Matches(re) => OpaqueKey::Matches(re.as_str().into()),
                    TestKind::InLookup(id) => OpaqueKey::InLookup(id.0),
                },
            ),
        }
    }
}
