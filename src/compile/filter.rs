//! The bitset filter over every rule: how [`Dag::route`](super::Dag::route)
//! finds the first rule that holds.
//!
//! Walking the decision DAG costs one dependent memory access per level,
//! and once the size budget stops it (from about 1,000 generated rules)
//! every lead ends in an ordered list of 50 to 90 candidates; a DAG of tens
//! of thousands of nodes does not stay in the cache either. The filter
//! answers the same question the way packet classifiers do (Lakshman and
//! Stiliadis' bit-parallel classification, SIGCOMM 1998): for each field the
//! rules constrain, the lead's value falls into a *class* (an enum value, a
//! literal or "another string", an interval between the rules' cut points,
//! absent), and each class has a *row*, the bitset of the rules whose
//! constraints on that field the class allows. The AND of the lead's rows,
//! word by word from the first rule, holds every rule that may hold; its
//! set bits are verified in order by evaluating the rule's condition, so the
//! first that holds is the first rule that holds: the answer stays exactly
//! the reference's. The rows of 10,000 rules over a dozen fields take a few
//! hundred kilobytes and are read in order, so the cache serves them.
//!
//! **Constraints.** A candidate's condition is read as a conjunction of
//! parts (or a single part). A part constrains a field when every atom in
//! it is over that field and decided by its form ([`AtomForm::OneOf`],
//! [`AtomForm::Range`], [`AtomForm::Exists`]), combined by `not`, `and`,
//! `or`: `state in ["CA", "OR"]`, `employees >= 100 and employees < 1000`,
//! `industry != "retail"`. The classes decide such atoms exactly (every
//! range bound is a cut point, every literal a class), so a part's set of
//! allowed classes is exact. Other parts (regexes, lookups, several fields
//! in one `or`) constrain nothing: their bits stay set and verification
//! decides. Values a class cannot hold (a value of the wrong type, NaN)
//! make the walk scan the list instead.
//!
//! **Cost.** The filter is `classes × ⌈rules / 64⌉` words per field, rows
//! equal within a field stored once. Building it is charged to a work
//! budget as large as [`super::Budget::max_work`]; past it there is no
//! filter and `Dag::route` walks the DAG (still exact).

use rustc_hash::FxHashMap;

use super::dag::Candidate;
use super::predicate::{AtomForm, CondArena, CondId, CondNode};
use crate::schema::{FieldId, FieldType, Lead, Schema, Value};

/// Programs of at most this many rules are matched by the DAG walk alone:
/// a filter would not pay for its field lookups.
const MIN_CANDIDATES: usize = 8;

/// The most fields one filter ANDs (its most selective ones).
const MAX_FIELDS: usize = 12;

/// How a field's values fall into classes.
#[derive(Debug, Clone, PartialEq)]
enum Classes {
    /// Enum value `i` is class `i`; absent is class `n`.
    Enum(u32),
    /// `false` is class 0, `true` 1, absent 2.
    Bool,
    /// The `k`-th of these sorted string symbols is class `k`; any other
    /// string is class `K`, absent `K + 1`. `class_of` maps each symbol's
    /// text to its class, so a lead's string is classed in one lookup.
    Str { symbols: Box<[u32]>, class_of: FxHashMap<Box<str>, u32> },
    /// A number `x` is in class `i`, the number of cuts `<= x`; absent is
    /// class `cuts.len() + 1`.
    Interval { cuts: Box<[f64]>, integer: bool },
}

impl Classes {
    fn count(&self) -> usize {
        match self {
            Classes::Enum(n) => *n as usize + 1,
            Classes::Bool => 3,
            Classes::Str { symbols, .. } => symbols.len() + 2,
            Classes::Interval { cuts, .. } => cuts.len() + 2,
        }
    }

    /// The class of a value; `None` for a value of another type (or NaN).
    fn of(&self, value: &Value) -> Option<usize> {
        Some(match (self, value) {
            (_, Value::Absent) => self.count() - 1,
            (Classes::Enum(n), Value::Enum(i)) if i < n => *i as usize,
            (Classes::Bool, Value::Bool(b)) => usize::from(*b),
            (Classes::Str { symbols, class_of }, Value::Str(s)) => {
                class_of.get(&**s).map_or(symbols.len(), |&class| class as usize)
            }
            (Classes::Interval { cuts, integer }, Value::Int(_) | Value::Float(_)) => {
                // As the interval nodes do: an int widens; a float is a
                // value of another type on an int field.
                let x = match value {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) if !integer => *f,
                    _ => return None,
                };
                if x.is_nan() {
                    return None;
                }
                cuts.partition_point(|&cut| cut <= x)
            }
            _ => return None,
        })
    }
}

/// One field of a [`Filter`]: its classes and each class's row.
#[derive(Debug, Clone)]
struct FieldRows {
    field: FieldId,
    classes: Classes,
    /// Per class, where its row starts in [`Filter::words`].
    rows: Box<[u32]>,
}

/// The bitset filter over a list of candidates: see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Words per row: one bit per candidate.
    width: usize,
    /// Most selective first, so the AND empties early.
    fields: Box<[FieldRows]>,
    /// Every distinct row, `width` words each.
    words: Box<[u64]>,
    /// The candidates whose whole condition the rows decide (every part
    /// constrains one of `fields`, or it is `True`): `width` words. A set
    /// bit of the AND is the answer for these without evaluating anything.
    exact: Box<[u64]>,
}

impl Filter {
    /// The position of the first candidate that holds, trying only those
    /// every row allows, in order, with `holds`; `None` when a value
    /// cannot be classed (then scan the list).
    #[inline]
    pub(super) fn first(&self, lead: &Lead, mut holds: impl FnMut(usize) -> bool) -> Option<Option<usize>> {
        let mut starts = [0usize; MAX_FIELDS];
        for (start, f) in starts.iter_mut().zip(self.fields.iter()) {
            let class = f.classes.of(lead.get(f.field))?;
            *start = f.rows.get(class).copied()? as usize;
        }
        let starts = starts.get(..self.fields.len())?;
        for w in 0..self.width {
            let mut bits = u64::MAX;
            for &start in starts {
                bits &= self.words.get(start + w).copied().unwrap_or(0);
                if bits == 0 {
                    break;
                }
            }
            let exact = self.exact.get(w).copied().unwrap_or(0);
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                if exact >> (i % 64) & 1 == 1 || holds(i) {
                    return Some(Some(i));
                }
                bits &= bits - 1;
            }
        }
        Some(None)
    }

    /// Words of rows it stores.
    pub(super) fn size(&self) -> usize {
        self.words.len()
    }
}

/// A set of classes of one field, as bits.
#[derive(Debug, Clone)]
struct ClassSet(Vec<u64>);

impl ClassSet {
    fn empty(n: usize) -> ClassSet {
        ClassSet(vec![0; n.div_ceil(64)])
    }

    fn full(n: usize) -> ClassSet {
        let mut set = ClassSet::empty(n);
        set.insert_range(0, n);
        set
    }

    fn insert(&mut self, class: usize) {
        if let Some(word) = self.0.get_mut(class / 64) {
            *word |= 1 << (class % 64);
        }
    }

    /// Inserts the classes `from..to`.
    fn insert_range(&mut self, from: usize, to: usize) {
        for class in from..to {
            self.insert(class);
        }
    }

    fn complement(&mut self, n: usize) {
        let all = ClassSet::full(n);
        for (word, mask) in self.0.iter_mut().zip(all.0) {
            *word = !*word & mask;
        }
    }

    fn combine(&mut self, other: &ClassSet, union: bool) {
        for (word, o) in self.0.iter_mut().zip(&other.0) {
            *word = if union { *word | o } else { *word & o };
        }
    }

    fn classes(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let class = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    class
                })
            })
        })
    }
}

/// Builds the filter of a DAG, within a work budget.
pub(super) struct FilterBuilder<'a> {
    arena: &'a CondArena,
    schema: &'a Schema,
    /// Per condition part, the field it constrains (`None`: it constrains
    /// none).
    constrains: FxHashMap<CondId, Option<FieldId>>,
    /// Work left ([`super::Budget::max_work`]).
    budget: usize,
    /// Whether the budget refused a filter.
    pub(super) budget_hit: bool,
}

impl<'a> FilterBuilder<'a> {
    pub(super) fn new(arena: &'a CondArena, schema: &'a Schema, budget: usize) -> FilterBuilder<'a> {
        FilterBuilder { arena, schema, constrains: FxHashMap::default(), budget, budget_hit: false }
    }

    fn charge(&mut self, units: usize) -> Option<()> {
        match self.budget.checked_sub(units) {
            Some(left) => {
                self.budget = left;
                Some(())
            }
            None => {
                self.budget_hit = true;
                None
            }
        }
    }

    /// The filter of a list of candidates; `None` for a short list, one no
    /// field constraint prunes, or when the budget is spent.
    pub(super) fn build(&mut self, list: &[Candidate]) -> Option<Filter> {
        if list.len() <= MIN_CANDIDATES {
            return None;
        }
        self.charge(list.len())?;
        // (field, candidate position, part), grouped by field below.
        let mut constraints: Vec<(FieldId, usize, CondId)> = Vec::new();
        for (i, c) in list.iter().enumerate() {
            for part in self.parts(c.cond) {
                if let Some(field) = self.constrained_field(part) {
                    constraints.push((field, i, part));
                }
            }
        }
        constraints.sort_by_key(|&(field, i, _)| (field, i));
        let width = list.len().div_ceil(64);
        let mut fields: Vec<(f64, FieldId, Classes, Vec<u64>)> = Vec::new();
        for group in constraints.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(field, _, _)) = group.first() else { continue };
            if let Some((survivors, classes, rows)) = self.field_rows(list.len(), width, group) {
                fields.push((survivors, field, classes, rows));
            }
        }
        if fields.is_empty() {
            return None;
        }
        fields.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        fields.truncate(MAX_FIELDS);
        let exact = self.exact(list, width, &fields);
        Some(Self::assemble(width, fields, exact))
    }

    /// A condition's parts: a conjunction's operands, else the condition.
    fn parts(&self, cond: CondId) -> Vec<CondId> {
        match self.arena.node(cond) {
            CondNode::All(parts) => parts.to_vec(),
            _ => vec![cond],
        }
    }

    /// The candidates the rows of `fields` decide whole (see
    /// [`Filter::exact`]), as `width` words.
    fn exact(&mut self, list: &[Candidate], width: usize, fields: &[(f64, FieldId, Classes, Vec<u64>)]) -> Box<[u64]> {
        let mut exact = vec![0u64; width];
        for (i, c) in list.iter().enumerate() {
            let decided = match self.arena.node(c.cond) {
                CondNode::True => true,
                _ => self
                    .parts(c.cond)
                    .into_iter()
                    .all(|part| self.constrained_field(part).is_some_and(|field| fields.iter().any(|f| f.1 == field))),
            };
            if decided {
                set_bit(&mut exact, i);
            }
        }
        exact.into()
    }

    /// Stores each field's distinct rows once.
    fn assemble(width: usize, fields: Vec<(f64, FieldId, Classes, Vec<u64>)>, exact: Box<[u64]>) -> Filter {
        let mut words: Vec<u64> = Vec::new();
        let mut out = Vec::with_capacity(fields.len());
        for (_, field, classes, rows) in fields {
            let mut seen: FxHashMap<&[u64], u32> = FxHashMap::default();
            let starts = rows
                .chunks(width)
                .map(|row| {
                    *seen.entry(row).or_insert_with(|| {
                        let start = u32::try_from(words.len()).unwrap_or(u32::MAX);
                        words.extend_from_slice(row);
                        start
                    })
                })
                .collect();
            out.push(FieldRows { field, classes, rows: starts });
        }
        Filter { width, fields: out.into(), words: words.into(), exact }
    }

    /// One field's classes and rows (`classes × width` words, row-major),
    /// with the mean number of candidates a row keeps; `None` when the
    /// field prunes nothing or the budget is spent.
    fn field_rows(
        &mut self,
        len: usize,
        width: usize,
        group: &[(FieldId, usize, CondId)],
    ) -> Option<(f64, Classes, Vec<u64>)> {
        let field = group.first()?.0;
        let classes = self.classes(field, group)?;
        let n = classes.count();
        self.charge(n.saturating_mul(width).saturating_add(group.len().saturating_mul(n.div_ceil(64))))?;
        // Candidates that do not constrain the field: in every row.
        let mut free = vec![0u64; width];
        for i in 0..len {
            set_bit(&mut free, i);
        }
        for &(_, i, _) in group {
            if let Some(word) = free.get_mut(i / 64) {
                *word &= !(1 << (i % 64));
            }
        }
        let mut rows: Vec<u64> = free.iter().copied().cycle().take(n * width).collect();
        for per_candidate in group.chunk_by(|a, b| a.1 == b.1) {
            let Some(&(_, i, _)) = per_candidate.first() else { continue };
            let mut allowed = ClassSet::full(n);
            for &(_, _, part) in per_candidate {
                allowed.combine(&self.allowed(part, &classes), false);
            }
            let classes_allowed: Vec<usize> = allowed.classes().collect();
            self.charge(classes_allowed.len())?;
            for class in classes_allowed {
                if let Some(row) = rows.get_mut(class * width..(class + 1) * width) {
                    set_bit(row, i);
                }
            }
        }
        let kept: usize = rows.iter().map(|w| w.count_ones() as usize).sum();
        let survivors = kept as f64 / n as f64;
        (kept < n * len).then_some((survivors, classes, rows))
    }

    /// The classes of `field` that the group's atoms need: every enum
    /// value, both booleans, the literals compared with, the cut points.
    fn classes(&self, field: FieldId, group: &[(FieldId, usize, CondId)]) -> Option<Classes> {
        let info = self.schema.fields.get(field.index())?;
        Some(match info.ty {
            FieldType::Enum(id) => {
                let n = self.schema.enums.get(id.0 as usize).map_or(0, |e| e.values.len());
                Classes::Enum(u32::try_from(n).ok()?)
            }
            FieldType::Bool => Classes::Bool,
            FieldType::String => {
                let mut symbols = Vec::new();
                for &(_, _, part) in group {
                    self.arena.atoms_over(part, field, &mut |_, atom| {
                        if let AtomForm::OneOf(keys) = &atom.form {
                            symbols.extend_from_slice(keys);
                        }
                    });
                }
                symbols.sort_unstable();
                symbols.dedup();
                let class_of =
                    (0u32..).zip(&symbols).map(|(k, &symbol)| (self.arena.symbol(symbol).into(), k)).collect();
                Classes::Str { symbols: symbols.into(), class_of }
            }
            // Dates and datetimes are ints (days, milliseconds) to matching.
            FieldType::Int | FieldType::Float | FieldType::Date | FieldType::DateTime => {
                let mut cuts = Vec::new();
                for &(_, _, part) in group {
                    self.arena.atoms_over(part, field, &mut |_, atom| {
                        if let AtomForm::Range { lo, hi } = atom.form {
                            cuts.extend(lo);
                            cuts.extend(hi);
                        }
                    });
                }
                cuts.sort_unstable_by(f64::total_cmp);
                cuts.dedup();
                let integer = matches!(info.ty, FieldType::Int | FieldType::Date | FieldType::DateTime);
                Classes::Interval { cuts: cuts.into(), integer }
            }
            FieldType::List(_) => return None,
        })
    }

    /// The field a part constrains: every atom in it over that one field
    /// and decided by its form (memoised).
    fn constrained_field(&mut self, part: CondId) -> Option<FieldId> {
        if let Some(&field) = self.constrains.get(&part) {
            return field;
        }
        let mut field = None;
        let mut decidable = true;
        self.visit_atoms(part, &mut |atom_field, form| {
            decidable &= !matches!(form, AtomForm::Opaque) && field.is_none_or(|f| f == atom_field);
            field = Some(atom_field);
        });
        let field = field.filter(|f| {
            decidable && self.schema.fields.get(f.index()).is_some_and(|i| !matches!(i.ty, FieldType::List(_)))
        });
        self.constrains.insert(part, field);
        field
    }

    fn visit_atoms(&self, c: CondId, visit: &mut impl FnMut(FieldId, &AtomForm)) {
        match self.arena.node(c) {
            CondNode::True | CondNode::False => {}
            CondNode::Atom(atom) => {
                if let Some(a) = self.arena.atom(*atom) {
                    visit(a.field(), &a.form);
                }
            }
            CondNode::Not(inner) => self.visit_atoms(*inner, visit),
            CondNode::All(parts) | CondNode::Any(parts) => {
                for &p in parts.iter() {
                    self.visit_atoms(p, visit);
                }
            }
        }
    }

    /// The classes on which a constraining part holds. Exact: the classes
    /// decide every atom of the part (module documentation).
    fn allowed(&self, part: CondId, classes: &Classes) -> ClassSet {
        let n = classes.count();
        match self.arena.node(part) {
            CondNode::True => ClassSet::full(n),
            CondNode::False => ClassSet::empty(n),
            CondNode::Atom(atom) => match self.arena.atom(*atom) {
                Some(a) => atom_classes(&a.form, classes),
                None => ClassSet::full(n),
            },
            CondNode::Not(inner) => {
                let mut set = self.allowed(*inner, classes);
                set.complement(n);
                set
            }
            CondNode::All(parts) | CondNode::Any(parts) => {
                let union = matches!(self.arena.node(part), CondNode::Any(_));
                let mut acc = if union { ClassSet::empty(n) } else { ClassSet::full(n) };
                for &p in parts.iter() {
                    acc.combine(&self.allowed(p, classes), union);
                }
                acc
            }
        }
    }
}

/// The classes on which an atom of the field holds (absent never does).
fn atom_classes(form: &AtomForm, classes: &Classes) -> ClassSet {
    let n = classes.count();
    let mut set = ClassSet::empty(n);
    match (form, classes) {
        (AtomForm::Exists, _) => set.insert_range(0, n - 1),
        (AtomForm::OneOf(keys), Classes::Enum(_) | Classes::Bool) => {
            // Keys past the last value were dropped when the atom was made.
            for &key in keys.iter().filter(|&&k| (k as usize) < n - 1) {
                set.insert(key as usize);
            }
        }
        (AtomForm::OneOf(keys), Classes::Str { symbols, .. }) => {
            for key in keys.iter() {
                if let Ok(class) = symbols.binary_search(key) {
                    set.insert(class);
                }
            }
        }
        (AtomForm::Range { lo, hi }, Classes::Interval { cuts, .. }) => {
            let position = |bound: f64| cuts.binary_search_by(|c| c.total_cmp(&bound)).ok();
            // Interval i covers cuts[i-1] <= x < cuts[i].
            let from = match lo {
                None => Some(0),
                Some(lo) => position(*lo).map(|p| p + 1),
            };
            let to = match hi {
                None => Some(cuts.len()),
                Some(hi) => position(*hi),
            };
            match (from, to) {
                (Some(from), Some(to)) => set.insert_range(from, to + 1),
                // Unreachable (every bound is a cut); allowing everything
                // keeps the filter sound.
                _ => set = ClassSet::full(n),
            }
        }
        _ => set = ClassSet::full(n),
    }
    set
}

fn set_bit(words: &mut [u64], i: usize) {
    if let Some(word) = words.get_mut(i / 64) {
        *word |= 1 << (i % 64);
    }
}
