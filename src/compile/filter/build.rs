//! Building the separable index of a list of candidates, within a work
//! budget (see the parent module for what it is).

use rustc_hash::FxHashMap;

use super::classes::{atom_classes, set_bit, ClassSet, Classes};
use super::{
    Filter, IndexNode, Kind, LeafField, LeafMember, Slot, Tree, MAX_ALTERNATIVES, MAX_LEAF_FIELDS, MAX_PLACEMENTS,
    MAX_SLOTS, MIN_CANDIDATES, NONE,
};
use crate::compile::dag::Candidate;
use crate::compile::predicate::{AtomForm, CondArena, CondId, CondNode};
use crate::schema::{FieldId, FieldType, Schema};
use crate::strmap::StrMap;

/// Nodes of at most this many candidates are leaves (a few words per
/// row): below that a split costs more than the words it saves.
pub(in crate::compile) const LEAF_SIZE: usize = 256;

/// A split must bring the expected number of candidates a lead meets
/// below this share of the node's: a lead searches two branches, and
/// each costs its row lookups.
const SPLIT_GAIN: f64 = 0.5;

/// The deepest a split may be (a leaf may be one deeper).
const MAX_DEPTH: u32 = 24;

/// Builds the filter of a DAG, within a work budget.
pub(in crate::compile) struct FilterBuilder<'a> {
    arena: &'a CondArena,
    schema: &'a Schema,
    /// Per condition part, the field it constrains (`None`: it constrains
    /// none).
    constrains: FxHashMap<CondId, Option<FieldId>>,
    /// Work left ([`crate::compile::Budget::max_work`]).
    budget: usize,
    /// The largest leaf ([`LEAF_SIZE`]).
    leaf_size: usize,
    /// Whether the budget refused a filter.
    pub(in crate::compile) budget_hit: bool,
}

/// What the index knows of one candidate, or of one alternative of a
/// candidate whose `or` spans several fields (see
/// [`FilterBuilder::alternatives`]): the classes each slot it constrains
/// allows (sorted by slot), and the parts of its condition with the slot
/// each constrains (`None`: no slot; the rows cannot decide it, so the
/// member is verified by evaluating it).
struct Member {
    /// The candidate's position in the list (members of one candidate's
    /// alternatives share it).
    position: u32,
    allowed: Vec<(u32, ClassSet)>,
    parts: Vec<(CondId, Option<u32>)>,
}

impl Member {
    fn allowed(&self, slot: u32) -> Option<&ClassSet> {
        self.allowed.iter().find(|(s, _)| *s == slot).map(|(_, set)| set)
    }
}

/// `parts` with the `k`-th replaced by `part`.
fn replaced(parts: &[CondId], k: usize, part: CondId) -> Vec<CondId> {
    let mut list = parts.to_vec();
    if let Some(slot) = list.get_mut(k) {
        *slot = part;
    }
    list
}

/// Slots as bits (at most [`MAX_SLOTS`] of them).
type SlotSet = u32;

fn slot_bit(slot: u32) -> SlotSet {
    1u32.checked_shl(slot).unwrap_or(0)
}

impl<'a> FilterBuilder<'a> {
    pub(in crate::compile) fn new(arena: &'a CondArena, schema: &'a Schema, budget: usize) -> FilterBuilder<'a> {
        FilterBuilder {
            arena,
            schema,
            constrains: FxHashMap::default(),
            budget,
            leaf_size: LEAF_SIZE,
            budget_hit: false,
        }
    }

    /// Splits down to leaves of at most `leaf_size` candidates instead of
    /// [`LEAF_SIZE`] (tests put leads through deep indexes with tiny ones).
    pub(in crate::compile) fn with_leaf_size(mut self, leaf_size: usize) -> FilterBuilder<'a> {
        self.leaf_size = leaf_size.max(1);
        self
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
    /// field constraint prunes, or when the budget is spent. `residual`
    /// makes the condition that holds when all of some parts do (the
    /// conjunction of a candidate's parts its leaf's rows do not decide,
    /// which is all a lead the rows allow must still be checked for).
    pub(in crate::compile) fn build(
        &mut self,
        list: &[Candidate],
        residual: &mut dyn FnMut(&[CondId]) -> CondId,
    ) -> Option<Filter> {
        if list.len() <= MIN_CANDIDATES || u32::try_from(list.len()).is_err() {
            return None;
        }
        self.charge(list.len())?;
        let (slots, members) = self.slots_and_members(list)?;
        if slots.is_empty() {
            return None;
        }
        let mut index = IndexBuilder {
            slots: &slots,
            members: &members,
            nodes: Vec::new(),
            children: Vec::new(),
            leaf_members: Vec::new(),
            residual,
            residuals_seen: FxHashMap::default(),
            leaf_fields: Vec::new(),
            row_starts: Vec::new(),
            words: Vec::new(),
            rows_seen: FxHashMap::default(),
            placements: members.len().saturating_mul(MAX_PLACEMENTS),
            leaf_size: self.leaf_size,
            budget: self.budget,
        };
        let all: Vec<u32> = (0..members.len()).filter_map(|i| u32::try_from(i).ok()).collect();
        let root = index.node(&all, 0, 0);
        self.budget = index.budget;
        let Some(root) = root else {
            self.budget_hit = true;
            return None;
        };
        let words: Box<[u64]> = index.words.into();
        let tree = Tree {
            root,
            nodes: index.nodes.into(),
            children: index.children.into(),
            members: index.leaf_members.into(),
            leaf_fields: index.leaf_fields.into(),
            row_starts: index.row_starts.into(),
            slots: slots.into(),
        };
        Filter::new(tree, words)
    }

    /// The slots (the fields constrained most often, with their classes)
    /// and what each candidate allows of them.
    fn slots_and_members(&mut self, list: &[Candidate]) -> Option<(Vec<Slot>, Vec<Member>)> {
        // (field, candidate position, part), grouped by field below.
        let mut constraints: Vec<(FieldId, usize, CondId)> = Vec::new();
        let mut members: Vec<Member> = Vec::with_capacity(list.len());
        for (position, c) in list.iter().enumerate() {
            let position = u32::try_from(position).ok()?;
            for conjunction in self.alternatives(c.cond) {
                let i = members.len();
                let mut parts = Vec::new();
                for part in conjunction {
                    if let Some(field) = self.constrained_field(part) {
                        constraints.push((field, i, part));
                    }
                    if !matches!(self.arena.node(part), CondNode::True) {
                        parts.push((part, None));
                    }
                }
                members.push(Member { position, allowed: Vec::new(), parts });
            }
        }
        self.charge(members.len())?;
        constraints.sort_by_key(|&(field, i, _)| (field, i));
        let mut groups: Vec<&[(FieldId, usize, CondId)]> = constraints.chunk_by(|a, b| a.0 == b.0).collect();
        // The most constrained fields first: they are the slots.
        groups.sort_by_key(|g| std::cmp::Reverse(g.chunk_by(|a, b| a.1 == b.1).count()));
        let mut slots = Vec::new();
        for (k, group) in groups.into_iter().enumerate() {
            let Some(&(field, _, _)) = group.first() else { continue };
            let classes = match self.classes(field, group) {
                Some(classes) if k < MAX_SLOTS => classes,
                // Not classed: those parts are left to verification.
                _ => continue,
            };
            let n = classes.count();
            let slot = u32::try_from(slots.len()).ok()?;
            for per_candidate in group.chunk_by(|a, b| a.1 == b.1) {
                let Some(&(_, i, _)) = per_candidate.first() else { continue };
                let mut allowed = ClassSet::full(n);
                for &(_, _, part) in per_candidate {
                    allowed.combine(&self.allowed(part, &classes), false);
                }
                self.charge(n.div_ceil(64))?;
                if let Some(m) = members.get_mut(i) {
                    m.allowed.push((slot, allowed));
                    for (part, part_slot) in &mut m.parts {
                        if per_candidate.iter().any(|&(_, _, p)| p == *part) {
                            *part_slot = Some(slot);
                        }
                    }
                }
            }
            slots.push(Slot { field, classes });
        }
        Some((slots, members))
    }

    /// The conjunctions a candidate's condition holds exactly when one of
    /// does, as lists of parts: its parts, or, when one part is an `or`
    /// of at most [`MAX_ALTERNATIVES`] alternatives each over one field
    /// (`industry == "software" or annual_revenue >= 1e9`), one list per
    /// alternative, the other parts beside it. Rows can decide each such
    /// list whole, where the `or` itself constrains no field and would be
    /// evaluated for every lead the rows let through. Only the first such
    /// part is spread, so a candidate makes at most that many members.
    fn alternatives(&mut self, cond: CondId) -> Vec<Vec<CondId>> {
        let parts = self.parts(cond);
        // The arena outlives the builder's borrow: its nodes can be held
        // while parts are looked up.
        let arena = self.arena;
        for (k, &part) in parts.iter().enumerate() {
            let CondNode::Any(alts) = arena.node(part) else { continue };
            if alts.len() <= MAX_ALTERNATIVES
                && self.constrained_field(part).is_none()
                && alts.iter().all(|&alt| self.constrained_field(alt).is_some())
            {
                return alts.iter().map(|&alt| replaced(&parts, k, alt)).collect();
            }
        }
        vec![parts]
    }

    /// A condition's parts: a conjunction's operands, else the condition.
    fn parts(&self, cond: CondId) -> Vec<CondId> {
        match self.arena.node(cond) {
            CondNode::All(parts) => parts.to_vec(),
            _ => vec![cond],
        }
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
                let class_of = StrMap::new((0u32..).zip(&symbols).map(|(k, &symbol)| (self.arena.symbol(symbol), k)));
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

/// The index under construction: nodes and the tables they point into.
struct IndexBuilder<'s, 'r> {
    slots: &'s [Slot],
    members: &'s [Member],
    nodes: Vec<IndexNode>,
    children: Vec<u32>,
    /// The leaves' members, each leaf's in a run.
    leaf_members: Vec<LeafMember>,
    residual: &'r mut dyn FnMut(&[CondId]) -> CondId,
    /// Every residual condition made, to make each once.
    residuals_seen: FxHashMap<Vec<CondId>, CondId>,
    leaf_fields: Vec<LeafField>,
    row_starts: Vec<u32>,
    words: Vec<u64>,
    /// Every row stored, to store each distinct one once.
    rows_seen: FxHashMap<Box<[u64]>, u32>,
    /// Candidates splits may still place in a branch.
    placements: usize,
    leaf_size: usize,
    budget: usize,
}

/// One field a leaf may AND: its slot, its rows (`classes × width` words),
/// and the mean number of candidates a row keeps.
struct LeafRows {
    slot: u32,
    rows: Vec<u64>,
    survivors: f64,
}

impl<'s> IndexBuilder<'s, '_> {
    fn charge(&mut self, units: usize) -> Option<()> {
        self.budget = self.budget.checked_sub(units)?;
        Some(())
    }

    fn member(&self, m: u32) -> Option<&'s Member> {
        self.members.get(m as usize)
    }

    /// The node over `members` (member indexes, ascending, so their
    /// positions do not descend); `decided` are the
    /// slots every one of them is known to satisfy (a split's class
    /// branch). `None` when the budget is spent.
    fn node(&mut self, members: &[u32], decided: SlotSet, depth: u32) -> Option<u32> {
        if members.len() > self.leaf_size && depth < MAX_DEPTH {
            if let Some(slot) = self.best_split(members, decided) {
                if let Some(node) = self.split(members, slot, decided, depth) {
                    return Some(node);
                }
            }
        }
        self.leaf(members, decided)
    }

    /// The slot whose split leaves a lead the fewest candidates to meet
    /// (those free of it, and the mean share of a class's), if that is
    /// few enough to pay for the split.
    fn best_split(&self, members: &[u32], decided: SlotSet) -> Option<u32> {
        let mut constrained = vec![0usize; self.slots.len()];
        let mut allowed = vec![0usize; self.slots.len()];
        for &m in members {
            for (slot, set) in self.member(m).map_or(&[][..], |m| &m.allowed) {
                if decided & slot_bit(*slot) == 0 {
                    if let (Some(c), Some(a)) = (constrained.get_mut(*slot as usize), allowed.get_mut(*slot as usize)) {
                        *c += 1;
                        *a += set.len();
                    }
                }
            }
        }
        let n = members.len() as f64;
        let cost = |slot: usize| -> Option<f64> {
            let classes = self.slots.get(slot)?.classes.count() as f64;
            let free = n - *constrained.get(slot)? as f64;
            Some(free + *allowed.get(slot)? as f64 / classes)
        };
        (0..self.slots.len())
            .filter(|&s| constrained.get(s).is_some_and(|&c| c > 0))
            .filter_map(|s| Some((cost(s)?, s)))
            .filter(|&(cost, _)| cost <= SPLIT_GAIN * n)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .and_then(|(_, s)| u32::try_from(s).ok())
    }

    /// Splits `members` on a slot; `None` when splits have placed as many
    /// candidates as they may or the budget is spent.
    fn split(&mut self, members: &[u32], slot: u32, decided: SlotSet, depth: u32) -> Option<u32> {
        let classes = self.slots.get(slot as usize)?.classes.count();
        let mut parts: Vec<Vec<u32>> = vec![Vec::new(); classes];
        let mut rest = Vec::new();
        for &m in members {
            match self.member(m).and_then(|member| member.allowed(slot)) {
                Some(set) => {
                    for class in set.classes() {
                        if let Some(part) = parts.get_mut(class) {
                            part.push(m);
                        }
                    }
                }
                None => rest.push(m),
            }
        }
        let placed = parts.iter().map(Vec::len).sum::<usize>() + rest.len();
        self.placements = self.placements.checked_sub(placed)?;
        self.charge(placed + classes)?;
        // Classes with the same candidates share a node.
        let mut built: FxHashMap<&[u32], u32> = FxHashMap::default();
        let mut children = Vec::with_capacity(classes);
        for part in &parts {
            let child = match (part.is_empty(), built.get(part.as_slice())) {
                (true, _) => NONE,
                (false, Some(&child)) => child,
                (false, None) => {
                    let child = self.node(part, decided | slot_bit(slot), depth + 1)?;
                    built.insert(part, child);
                    child
                }
            };
            children.push(child);
        }
        let rest = if rest.is_empty() { NONE } else { self.node(&rest, decided, depth + 1)? };
        let start = u32::try_from(self.children.len()).ok()?;
        self.children.extend(children);
        self.push(members, Kind::Split { slot, children: start, rest })
    }

    fn push(&mut self, members: &[u32], kind: Kind) -> Option<u32> {
        let id = u32::try_from(self.nodes.len()).ok().filter(|&id| id != NONE)?;
        let first = match members.first() {
            Some(&m) => self.member(m)?.position,
            None => NONE,
        };
        self.nodes.push(IndexNode { first, kind });
        Some(id)
    }

    /// The leaf over `members`: the rows of the fields that still decide
    /// something for them, the most selective first.
    fn leaf(&mut self, members: &[u32], decided: SlotSet) -> Option<u32> {
        let width = members.len().div_ceil(64);
        let mut fields: Vec<LeafRows> = Vec::new();
        for slot in 0..self.slots.len() {
            let slot = u32::try_from(slot).ok()?;
            if decided & slot_bit(slot) == 0 {
                if let Some(rows) = self.leaf_rows(members, slot, width)? {
                    fields.push(rows);
                }
            }
        }
        fields.sort_by(|a, b| a.survivors.total_cmp(&b.survivors).then(a.slot.cmp(&b.slot)));
        fields.truncate(MAX_LEAF_FIELDS);
        let anded: SlotSet = fields.iter().fold(decided, |set, f| set | slot_bit(f.slot));
        let start = u32::try_from(self.leaf_members.len()).ok()?;
        for &m in members {
            let member = self.member(m)?;
            let position = member.position;
            let undecided: Vec<CondId> = member
                .parts
                .iter()
                .filter(|(_, slot)| slot.is_none_or(|s| anded & slot_bit(s) == 0))
                .map(|&(part, _)| part)
                .collect();
            let verify = if undecided.is_empty() { CondId::TRUE } else { self.residual_of(undecided)? };
            self.leaf_members.push(LeafMember { position, verify });
        }
        let fields_start = u32::try_from(self.leaf_fields.len()).ok()?;
        let field_count = u32::try_from(fields.len()).ok()?;
        for f in fields {
            let rows = u32::try_from(self.row_starts.len()).ok()?;
            for row in f.rows.chunks(width) {
                let start = self.store(row)?;
                self.row_starts.push(start);
            }
            self.leaf_fields.push(LeafField { slot: f.slot, rows });
        }
        let len = u32::try_from(members.len()).ok()?;
        self.push(members, Kind::Leaf { members: start, len, fields: fields_start, field_count })
    }

    /// The condition that holds when every one of `parts` does (made once
    /// for each set of parts).
    fn residual_of(&mut self, parts: Vec<CondId>) -> Option<CondId> {
        if let Some(&cond) = self.residuals_seen.get(&parts) {
            return Some(cond);
        }
        self.charge(parts.len())?;
        let cond = (self.residual)(&parts);
        self.residuals_seen.insert(parts, cond);
        Some(cond)
    }

    /// The rows of one slot over a leaf's members; `Some(None)` when the
    /// slot prunes none of them.
    fn leaf_rows(&mut self, members: &[u32], slot: u32, width: usize) -> Option<Option<LeafRows>> {
        let n = self.slots.get(slot as usize)?.classes.count();
        let constraining: Vec<(usize, &ClassSet)> =
            members.iter().enumerate().filter_map(|(i, &m)| Some((i, self.member(m)?.allowed(slot)?))).collect();
        if constraining.iter().all(|(_, set)| set.len() == n) {
            return Some(None);
        }
        self.charge(n.saturating_mul(width + 1).saturating_add(constraining.len().saturating_mul(n.div_ceil(64))))?;
        // Candidates that do not constrain the slot: in every row.
        let mut free = vec![0u64; width];
        for i in 0..members.len() {
            set_bit(&mut free, i);
        }
        for &(i, _) in &constraining {
            if let Some(word) = free.get_mut(i / 64) {
                *word &= !(1 << (i % 64));
            }
        }
        let mut rows: Vec<u64> = free.iter().copied().cycle().take(n * width).collect();
        for (i, set) in constraining {
            for class in set.classes() {
                if let Some(row) = rows.get_mut(class * width..(class + 1) * width) {
                    set_bit(row, i);
                }
            }
        }
        let kept: usize = rows.iter().map(|w| w.count_ones() as usize).sum();
        Some(Some(LeafRows { slot, rows, survivors: kept as f64 / n as f64 }))
    }

    /// Where a row is stored, storing it if it is new.
    fn store(&mut self, row: &[u64]) -> Option<u32> {
        if let Some(&start) = self.rows_seen.get(row) {
            return Some(start);
        }
        self.charge(row.len())?;
        let start = u32::try_from(self.words.len()).ok()?;
        self.words.extend_from_slice(row);
        self.rows_seen.insert(row.into(), start);
        Some(start)
    }
}
