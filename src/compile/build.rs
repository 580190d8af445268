//! Building the DAG: subproblems, column choice, splits, the budget, and the
//! final sharing pass. The algorithm is described in the module doc of
//! [`crate::compile`].

use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::dag::{AtomCode, Candidate, CondView, Dag, IntervalTable, Node, NodeId, Slice, Stats, StrTable};
use super::filter::FilterBuilder;
use super::predicate::{AtomForm, AtomId, CondArena, CondId, CondNode, Fact};
use super::Budget;
use crate::check::program::{Lookup, Program, RuleId};
use crate::schema::{FieldId, FieldType, Schema, Value};

/// Lists longer than this are split to shrink them (see
/// [`Builder::shrinking_column`]); shorter ones by Maranget's necessity.
const SHRINK_ABOVE: usize = 32;

/// How many candidates, spread over the list, the shrinking heuristic
/// samples.
const SHRINK_SAMPLE: usize = 256;

/// How many leading candidates the necessity heuristic's tie-break counts.
const NECESSITY_WINDOW: usize = 64;

/// What a split is on: a whole field (switch or intervals) or one opaque
/// atom (a binary test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Column {
    Field(FieldId),
    Atom(AtomId),
}

/// A node under construction. `absent: None` sends absent values to the
/// unchecked node (required fields).
#[derive(Debug, Clone)]
enum BNode {
    Pending,
    NoMatch,
    Match(RuleId),
    Enum { field: FieldId, children: Vec<NodeId>, absent: Option<NodeId> },
    Bool { field: FieldId, no: NodeId, yes: NodeId, absent: Option<NodeId> },
    Str { field: FieldId, cases: Vec<(u32, NodeId)>, default: NodeId, absent: Option<NodeId> },
    Interval { field: FieldId, integer: bool, cuts: Vec<f64>, children: Vec<NodeId>, absent: Option<NodeId> },
    Test { atom: AtomId, then: NodeId, otherwise: NodeId },
    Rules(Rc<[Candidate]>),
}

/// A subproblem waiting to be expanded. The longest list is expanded first
/// (it costs most at run time if left as a rules node), then the oldest.
#[derive(Debug)]
struct Pending {
    id: NodeId,
    list: Rc<[Candidate]>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.list.len().cmp(&other.list.len()).then(other.id.cmp(&self.id))
    }
}

/// Memo tables valid for the children of one split.
#[derive(Debug, Default)]
struct SplitMemo {
    /// The atoms over the split field in a condition, in traversal order.
    atoms_of: FxHashMap<CondId, Rc<[AtomId]>>,
    /// Residual of a condition by the truth values of those atoms.
    residual: FxHashMap<(CondId, u64), CondId>,
}

pub(super) struct Builder<'p> {
    program: &'p Program,
    lookups: &'p [Lookup],
    arena: CondArena,
    nodes: Vec<BNode>,
    memo: FxHashMap<Rc<[Candidate]>, NodeId>,
    pending: BinaryHeap<Pending>,
    no_match: Option<NodeId>,
    matches: FxHashMap<RuleId, NodeId>,
    max_nodes: usize,
    budget_hit: bool,
    max_work: usize,
    work: usize,
    work_budget_hit: bool,
    /// The bitset filter's own work budget (see [`Builder::with_filter_work`]).
    filter_work: usize,
    /// The filter's largest leaf (see [`Builder::with_filter_leaf`]).
    filter_leaf: usize,
    /// Within one `specialise` call.
    spec_cache: FxHashMap<CondId, CondId>,
    split: SplitMemo,
    needed_cache: FxHashMap<CondId, Rc<[Column]>>,
    /// Per field, see [`Builder::drop_share`].
    drop_shares: Vec<f64>,
}

impl<'p> Builder<'p> {
    pub(super) fn new(program: &'p Program, budget: Budget) -> Builder<'p> {
        Builder {
            program,
            lookups: &program.lookups,
            arena: CondArena::new(),
            nodes: Vec::new(),
            memo: FxHashMap::default(),
            pending: BinaryHeap::new(),
            no_match: None,
            matches: FxHashMap::default(),
            max_nodes: budget.max_nodes,
            budget_hit: false,
            max_work: budget.max_work(),
            work: 0,
            work_budget_hit: false,
            filter_work: budget.max_work(),
            filter_leaf: super::filter::LEAF_SIZE,
            spec_cache: FxHashMap::default(),
            split: SplitMemo::default(),
            needed_cache: FxHashMap::default(),
            drop_shares: Vec::new(),
        }
    }

    /// Gives the bitset filter a work budget of its own instead of the
    /// DAG's (a small DAG beside a full filter: [`super::compile_for_routing`]).
    pub(super) fn with_filter_work(mut self, work: usize) -> Builder<'p> {
        self.filter_work = work;
        self
    }

    /// Splits the filter's rules down to leaves of at most `leaf` (tests
    /// use tiny leaves to put every lead through many splits).
    #[cfg(test)]
    pub(super) fn with_filter_leaf(mut self, leaf: usize) -> Builder<'p> {
        self.filter_leaf = leaf;
        self
    }

    /// Builds the whole DAG.
    pub(super) fn run(mut self) -> Dag {
        let schema = &self.program.schema;
        let mut all = Vec::with_capacity(self.program.rules.len());
        for (i, rule) in self.program.rules.iter().enumerate() {
            let cond = self.arena.lower(&rule.condition, schema);
            let rule = RuleId(u32::try_from(i).unwrap_or(u32::MAX));
            if cond == CondId::FALSE {
                continue;
            }
            all.push(Candidate { rule, cond });
            if cond == CondId::TRUE {
                break;
            }
        }
        self.drop_shares = self.drop_shares_of();
        let all: Rc<[Candidate]> = all.into();
        let unchecked = self.push(BNode::Rules(all.clone()));
        let root = self.request(all.to_vec());
        while let Some(Pending { id, list }) = self.pending.pop() {
            self.split.atoms_of.clear();
            self.split.residual.clear();
            let node = self.expand(&list);
            if let Some(slot) = self.nodes.get_mut(id.index()) {
                *slot = node;
            }
        }
        let built = self.nodes.len();
        let work = Stats {
            work: self.work,
            work_budget_hit: self.work_budget_hit,
            max_nodes: self.max_nodes,
            max_work: self.max_work,
            ..Stats::default()
        };
        Finisher::new(&self, unchecked).finish(root, built, self.budget_hit, work)
    }

    fn drop_shares_of(&self) -> Vec<f64> {
        let schema = &self.program.schema;
        let mut literals: Vec<Vec<u32>> = vec![Vec::new(); schema.fields.len()];
        for atom in self.arena.atoms() {
            if let (AtomForm::OneOf(keys), Some(l)) = (&atom.form, literals.get_mut(atom.field().index())) {
                l.extend_from_slice(keys);
            }
        }
        schema
            .fields
            .iter()
            .zip(literals)
            .map(|(field, mut literals)| {
                literals.sort_unstable();
                literals.dedup();
                let share = |n: usize| if n == 0 { 0.0 } else { 1.0 - 1.0 / n as f64 };
                match field.ty {
                    FieldType::Enum(id) => share(schema.enums.get(id.0 as usize).map_or(0, |e| e.values.len())),
                    FieldType::Bool => 0.5,
                    FieldType::String => share(literals.len() + 1),
                    FieldType::Int | FieldType::Float | FieldType::Date | FieldType::DateTime => 0.5,
                    FieldType::List(_) => 0.0,
                }
            })
            .collect()
    }

    fn push(&mut self, node: BNode) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(node);
        id
    }

    /// The node for a subproblem: a shared leaf, a memoised node, or a new
    /// pending one.
    fn request(&mut self, list: Vec<Candidate>) -> NodeId {
        match list.first() {
            None => {
                if let Some(id) = self.no_match {
                    return id;
                }
                let id = self.push(BNode::NoMatch);
                self.no_match = Some(id);
                return id;
            }
            Some(first) if first.cond == CondId::TRUE => {
                let rule = first.rule;
                if let Some(&id) = self.matches.get(&rule) {
                    return id;
                }
                let id = self.push(BNode::Match(rule));
                self.matches.insert(rule, id);
                return id;
            }
            Some(_) => {}
        }
        if let Some(&id) = self.memo.get(&list[..]) {
            return id;
        }
        let list: Rc<[Candidate]> = list.into();
        let id = self.push(BNode::Pending);
        self.memo.insert(list.clone(), id);
        self.pending.push(Pending { id, list });
        id
    }

    /// Turns a pending subproblem (non-empty, first candidate not `True`)
    /// into a node: a split, or a rules node when the budget is spent.
    fn expand(&mut self, list: &Rc<[Candidate]>) -> BNode {
        // Choosing a column and collecting a split's values scan the list.
        if self.charge(list.len()).is_none() {
            self.budget_hit = true;
            self.work_budget_hit = true;
            return BNode::Rules(list.clone());
        }
        let Some(column) = self.choose_column(list) else {
            return BNode::Rules(list.clone());
        };
        let field = match column {
            Column::Field(field) => field,
            Column::Atom(atom) => match self.arena.atom(atom) {
                Some(a) => a.field(),
                None => return BNode::Rules(list.clone()),
            },
        };
        let split = match column {
            Column::Atom(atom) => Some(self.test_split(atom)),
            Column::Field(field) => self.field_split(list, field),
        };
        let Some(split) = split else {
            return BNode::Rules(list.clone());
        };
        if self.nodes.len().saturating_add(split.facts.len()) > self.max_nodes {
            self.budget_hit = true;
            return BNode::Rules(list.clone());
        }
        let cuts = split.shape.cuts();
        let Some(lists) = self.child_lists(list, field, &split.facts, cuts) else {
            self.budget_hit = true;
            self.work_budget_hit = true;
            return BNode::Rules(list.clone());
        };
        let children = self.request_all(list, lists);
        split.shape.into_node(field, children).unwrap_or_else(|| BNode::Rules(list.clone()))
    }

    fn test_split(&self, atom: AtomId) -> Split {
        Split { facts: vec![Fact::Atom(atom, true), Fact::Atom(atom, false)], shape: Shape::Test(atom) }
    }

    /// The children a split on `field` has, each with what it knows; `None`
    /// for a field that cannot be split on (a list).
    fn field_split(&mut self, list: &[Candidate], field: FieldId) -> Option<Split> {
        let schema = &self.program.schema;
        let info = schema.fields.get(field.index())?;
        let optional = info.optional;
        let mut facts = Vec::new();
        let shape = match info.ty {
            FieldType::Enum(id) => {
                let n = schema.enums.get(id.0 as usize).map_or(0, |e| e.values.len());
                for i in 0..n {
                    let key = u32::try_from(i).unwrap_or(u32::MAX);
                    facts.push(Fact::Value(Value::Enum(key), Some(key)));
                }
                Shape::Enum
            }
            FieldType::Bool => {
                facts.push(Fact::Value(Value::Bool(false), Some(0)));
                facts.push(Fact::Value(Value::Bool(true), Some(1)));
                Shape::Bool
            }
            FieldType::String => {
                let mut symbols = Vec::new();
                for c in list {
                    self.arena.atoms_over(c.cond, field, &mut |_, atom| {
                        if let AtomForm::OneOf(keys) = &atom.form {
                            symbols.extend_from_slice(keys);
                        }
                    });
                }
                symbols.sort_unstable();
                symbols.dedup();
                for &symbol in &symbols {
                    facts.push(Fact::Value(Value::Str(self.arena.symbol(symbol).into()), Some(symbol)));
                }
                facts.push(Fact::OtherStr);
                Shape::Str(symbols)
            }
            FieldType::Int | FieldType::Float | FieldType::Date | FieldType::DateTime => {
                let integer = info.ty.is_integral();
                let mut cuts = Vec::new();
                for c in list {
                    self.arena.atoms_over(c.cond, field, &mut |_, atom| {
                        if let AtomForm::Range { lo, hi } = atom.form {
                            cuts.extend(lo);
                            cuts.extend(hi);
                        }
                    });
                }
                cuts.sort_unstable_by(f64::total_cmp);
                cuts.dedup();
                for i in 0..=cuts.len() {
                    let lo = i.checked_sub(1).and_then(|j| cuts.get(j)).copied();
                    let hi = cuts.get(i).copied();
                    facts.push(match point(lo, hi, integer) {
                        Some(value) => Fact::Value(value, None),
                        None => Fact::Interval { lo, hi },
                    });
                }
                Shape::Interval { integer, cuts }
            }
            FieldType::List(_) => return None,
        };
        if optional {
            facts.push(Fact::Absent);
        }
        Some(Split { facts, shape: if optional { shape } else { shape.required() } })
    }

    /// Every child's subproblem, in one pass over the parent's list: each
    /// candidate is specialised by each child's fact, false ones dropped, and
    /// a child's list closed after its first `True` (nothing after it can
    /// fire there). `None` when the work budget runs out: each atom decided
    /// and each entry stored counts ([`Budget::max_work`]).
    fn child_lists(
        &mut self,
        list: &[Candidate],
        field: FieldId,
        facts: &[Fact],
        cuts: Option<&[f64]>,
    ) -> Option<Vec<Vec<Candidate>>> {
        let n = facts.len();
        let mut outs: Vec<Vec<Candidate>> = vec![Vec::new(); n];
        let mut closed = vec![false; n];
        let mut open = n;
        // Children that know the value by its key, for the `OneOf` fast path.
        let child_of_key: FxHashMap<u32, usize> = facts
            .iter()
            .enumerate()
            .filter_map(|(i, fact)| match fact {
                Fact::Value(_, Some(key)) => Some((*key, i)),
                _ => None,
            })
            .collect();
        let mut special: Vec<usize> = Vec::new();
        for c in list {
            if open == 0 {
                break;
            }
            if !self.arena.mentions(c.cond, field) {
                self.charge(open)?;
                for (out, _) in outs.iter_mut().zip(&closed).filter(|(_, closed)| !**closed) {
                    out.push(*c);
                }
                continue;
            }
            let atoms = self.atoms_of(c.cond, field);
            if let Some(runs) = cuts.and_then(|cuts| self.runs(&atoms, cuts)) {
                // Only range atoms: the residual is the same over each run
                // of children between the atoms' own cuts.
                for (from, to) in runs {
                    let Some(fact) = facts.get(from) else { continue };
                    self.charge(atoms.len())?;
                    let r = self.residual(c.cond, field, fact, &atoms);
                    if r == CondId::FALSE {
                        continue;
                    }
                    self.charge(to - from)?;
                    for i in from..to {
                        Self::add(&mut outs, &mut closed, &mut open, i, Candidate { rule: c.rule, cond: r });
                    }
                }
                // The absent child, after the intervals, if any.
                for i in cuts.map_or(n, |cuts| cuts.len() + 1)..n {
                    if let Some(fact) = facts.get(i) {
                        self.charge(atoms.len())?;
                        let r = self.residual(c.cond, field, fact, &atoms);
                        Self::add(&mut outs, &mut closed, &mut open, i, Candidate { rule: c.rule, cond: r });
                    }
                }
                continue;
            }
            self.charge(atoms.len().max(1).saturating_mul(open))?;
            let one_of_only = !child_of_key.is_empty()
                && atoms.iter().all(|&a| matches!(self.arena.atom(a).map(|a| &a.form), Some(AtomForm::OneOf(_))));
            if one_of_only {
                // A child whose key none of the atoms lists sees every atom
                // false, like the absent child: one residual serves them all.
                special.clear();
                for &a in atoms.iter() {
                    if let Some(AtomForm::OneOf(keys)) = self.arena.atom(a).map(|a| &a.form) {
                        special.extend(keys.iter().filter_map(|k| child_of_key.get(k).copied()));
                    }
                }
                special.sort_unstable();
                special.dedup();
                self.charge(n)?;
                let ordinary = self.residual(c.cond, field, &Fact::Absent, &atoms);
                if ordinary == CondId::FALSE {
                    for &i in &special {
                        if let Some(fact) = facts.get(i) {
                            let r = self.residual(c.cond, field, fact, &atoms);
                            Self::add(&mut outs, &mut closed, &mut open, i, Candidate { rule: c.rule, cond: r });
                        }
                    }
                    continue;
                }
                for (i, fact) in facts.iter().enumerate() {
                    let r = if special.binary_search(&i).is_ok() {
                        self.residual(c.cond, field, fact, &atoms)
                    } else {
                        ordinary
                    };
                    Self::add(&mut outs, &mut closed, &mut open, i, Candidate { rule: c.rule, cond: r });
                }
            } else {
                for (i, fact) in facts.iter().enumerate() {
                    if closed.get(i).copied().unwrap_or(true) {
                        continue;
                    }
                    let r = self.residual(c.cond, field, fact, &atoms);
                    Self::add(&mut outs, &mut closed, &mut open, i, Candidate { rule: c.rule, cond: r });
                }
            }
        }
        Some(outs)
    }

    /// Charges `units` of work; `None` once past the budget.
    fn charge(&mut self, units: usize) -> Option<()> {
        let work = self.work.saturating_add(units);
        // Not spent when refused: `work` never exceeds the budget.
        (work <= self.max_work).then(|| self.work = work)
    }

    /// For a candidate whose atoms over the split field are all ranges, the
    /// runs `[from, to)` of interval children (child `i` covers
    /// `cuts[i-1] <= x < cuts[i]`) over which every atom keeps its truth;
    /// `None` for other candidates.
    fn runs(&self, atoms: &[AtomId], cuts: &[f64]) -> Option<Vec<(usize, usize)>> {
        let mut starts = vec![0usize];
        for &atom in atoms {
            let AtomForm::Range { lo, hi } = self.arena.atom(atom)?.form else { return None };
            for bound in [lo, hi].into_iter().flatten() {
                // A cut at position p: children from p + 1 on are at or above it.
                let p = cuts.binary_search_by(|c| c.total_cmp(&bound)).ok()?;
                starts.push(p + 1);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let end = cuts.len() + 1;
        let mut runs: Vec<(usize, usize)> = starts.windows(2).filter_map(|w| Some((*w.first()?, *w.get(1)?))).collect();
        runs.extend(starts.last().map(|&last| (last, end)));
        Some(runs)
    }

    /// The node of each child list, in order.
    fn request_all(&mut self, list: &[Candidate], outs: Vec<Vec<Candidate>>) -> Vec<NodeId> {
        outs.into_iter()
            .map(|out| {
                if out[..] == list[..] {
                    // INVARIANT: a split decides at least one atom of the
                    // list, so this never happens; were it to, a rules node
                    // keeps the graph acyclic and the answer exact.
                    self.push(BNode::Rules(out.into()))
                } else {
                    self.request(out)
                }
            })
            .collect()
    }

    /// Appends a specialised candidate to child `i` unless it is false or
    /// the child is closed; a `True` closes the child.
    fn add(outs: &mut [Vec<Candidate>], closed: &mut [bool], open: &mut usize, i: usize, c: Candidate) {
        if c.cond == CondId::FALSE {
            return;
        }
        let (Some(out), Some(is_closed)) = (outs.get_mut(i), closed.get_mut(i)) else {
            return;
        };
        if *is_closed {
            return;
        }
        out.push(c);
        if c.cond == CondId::TRUE {
            *is_closed = true;
            *open -= 1;
        }
    }

    /// The atoms over `field` in `cond`, in traversal order (memoised for
    /// the split).
    fn atoms_of(&mut self, cond: CondId, field: FieldId) -> Rc<[AtomId]> {
        if let Some(atoms) = self.split.atoms_of.get(&cond) {
            return atoms.clone();
        }
        let mut atoms = Vec::new();
        self.arena.atoms_over(cond, field, &mut |id, _| atoms.push(id));
        let atoms: Rc<[AtomId]> = atoms.into();
        self.split.atoms_of.insert(cond, atoms.clone());
        atoms
    }

    /// `cond` specialised by `fact`, memoised across the children of one
    /// split by the truth values the fact gives the atoms over the field
    /// (the residual depends on nothing else).
    fn residual(&mut self, cond: CondId, field: FieldId, fact: &Fact, atoms: &[AtomId]) -> CondId {
        if atoms.len() > 32 {
            self.spec_cache.clear();
            return self.arena.specialise(cond, field, fact, self.lookups, &mut self.spec_cache);
        }
        let mut truth = 0u64;
        for (i, &atom) in atoms.iter().enumerate() {
            let t = match self.arena.decide(atom, field, fact, self.lookups) {
                None => 0u64,
                Some(false) => 1,
                Some(true) => 2,
            };
            truth |= t << (2 * i);
        }
        if let Some(&done) = self.split.residual.get(&(cond, truth)) {
            return done;
        }
        self.spec_cache.clear();
        let done = self.arena.specialise(cond, field, fact, self.lookups, &mut self.spec_cache);
        self.split.residual.insert((cond, truth), done);
        done
    }

    fn choose_column(&mut self, list: &[Candidate]) -> Option<Column> {
        if list.len() > SHRINK_ABOVE {
            if let Some(column) = self.shrinking_column(list) {
                return Some(column);
            }
        }
        self.necessary_column(list)
    }

    /// For long lists, where run time is spent scanning candidates: the
    /// column whose split drops the most candidates from a typical child
    /// (in the spirit of HiCuts' packet-classification trees): the number of
    /// candidates that need it, each weighted by the share of children it is
    /// typically dropped from ([`Builder::drop_share`]). Estimated on a
    /// sample spread over the list.
    fn shrinking_column(&mut self, list: &[Candidate]) -> Option<Column> {
        let step = list.len().div_ceil(SHRINK_SAMPLE).max(1);
        let mut counts: Vec<(Column, usize)> = Vec::new();
        for c in list.iter().step_by(step) {
            for &column in self.needed_cached(c.cond).iter() {
                match counts.iter_mut().find(|(col, _)| *col == column) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((column, 1)),
                }
            }
        }
        counts.sort_unstable();
        counts
            .into_iter()
            .map(|(column, count)| (column, count as f64 * self.drop_share(column)))
            .filter(|&(_, score)| score > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(column, _)| column)
    }

    /// The share of a split's children a candidate needing the column is
    /// typically dropped from: `1 - 1/n` for a switch of `n` values (string
    /// switches: the program's literals for the field), one half for
    /// intervals (a comparison keeps about half of them) and binary tests.
    fn drop_share(&self, column: Column) -> f64 {
        match column {
            Column::Atom(_) => 0.5,
            Column::Field(field) => self.drop_shares.get(field.index()).copied().unwrap_or(0.0),
        }
    }

    /// Maranget's necessity heuristic: a column the first candidate needs
    /// (must be known to prove it fires), preferring the one most of the
    /// leading candidates mention, then the fewest branches.
    fn necessary_column(&mut self, list: &[Candidate]) -> Option<Column> {
        let first = list.first()?.cond;
        let mut columns = self.needed_cached(first).to_vec();
        if columns.is_empty() {
            self.mentioned(first, &mut columns);
            columns.sort_unstable();
            columns.dedup();
        }
        if columns.len() <= 1 {
            return columns.first().copied();
        }
        let window = list.get(..NECESSITY_WINDOW.min(list.len())).unwrap_or(list);
        columns
            .iter()
            .map(|&column| {
                let count = window
                    .iter()
                    .filter(|c| match column {
                        Column::Field(f) => self.arena.mentions(c.cond, f),
                        Column::Atom(a) => {
                            self.field_of(column).is_some_and(|f| self.arena.contains_atom(c.cond, a, f))
                        }
                    })
                    .count();
                (column, count, self.branches(column, window))
            })
            .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(b.0.cmp(&a.0)))
            .map(|(column, _, _)| column)
    }

    fn field_of(&self, column: Column) -> Option<FieldId> {
        match column {
            Column::Field(f) => Some(f),
            Column::Atom(a) => self.arena.atom(a).map(|a| a.field()),
        }
    }

    /// An estimate of a column's branching from some candidates.
    fn branches(&self, column: Column, some: &[Candidate]) -> usize {
        let Column::Field(field) = column else {
            return 2;
        };
        let Some(info) = self.program.schema.fields.get(field.index()) else {
            return 0;
        };
        let absent = usize::from(info.optional);
        match info.ty {
            FieldType::Enum(id) => self.program.schema.enums.get(id.0 as usize).map_or(0, |e| e.values.len()) + absent,
            FieldType::Bool => 2 + absent,
            FieldType::String | FieldType::Int | FieldType::Float | FieldType::Date | FieldType::DateTime => {
                let mut keys: Vec<u64> = Vec::new();
                for c in some {
                    self.arena.atoms_over(c.cond, field, &mut |_, atom| match &atom.form {
                        AtomForm::OneOf(symbols) => keys.extend(symbols.iter().map(|&s| u64::from(s))),
                        AtomForm::Range { lo, hi } => {
                            keys.extend(lo.map(f64::to_bits));
                            keys.extend(hi.map(f64::to_bits));
                        }
                        _ => {}
                    });
                }
                keys.sort_unstable();
                keys.dedup();
                keys.len() + 1 + absent
            }
            FieldType::List(_) => 0,
        }
    }

    fn column_of(&self, atom: AtomId) -> Option<Column> {
        let a = self.arena.atom(atom)?;
        Some(match a.form {
            AtomForm::Opaque => Column::Atom(atom),
            _ => Column::Field(a.field()),
        })
    }

    fn needed_cached(&mut self, c: CondId) -> Rc<[Column]> {
        if let Some(columns) = self.needed_cache.get(&c) {
            return columns.clone();
        }
        let mut columns = self.needed(c, true);
        columns.sort_unstable();
        columns.dedup();
        let columns: Rc<[Column]> = columns.into();
        self.needed_cache.insert(c, columns.clone());
        columns
    }

    /// The columns `c` needs to be known to be decided `positive`ly: all of
    /// a conjunction's, the common ones of a disjunction's (and dually).
    /// Sorted and distinct.
    fn needed(&self, c: CondId, positive: bool) -> Vec<Column> {
        match self.arena.node(c) {
            CondNode::True | CondNode::False => Vec::new(),
            CondNode::Atom(atom) => self.column_of(*atom).into_iter().collect(),
            CondNode::Not(inner) => self.needed(*inner, !positive),
            CondNode::All(parts) | CondNode::Any(parts) => {
                let union = matches!(self.arena.node(c), CondNode::All(_)) == positive;
                let mut acc: Option<Vec<Column>> = None;
                for &p in parts.iter() {
                    let mut part = self.needed(p, positive);
                    part.sort_unstable();
                    part.dedup();
                    acc = Some(match acc {
                        None => part,
                        Some(mut a) if union => {
                            a.extend(part);
                            a.sort_unstable();
                            a.dedup();
                            a
                        }
                        Some(a) => a.into_iter().filter(|x| part.binary_search(x).is_ok()).collect(),
                    });
                }
                acc.unwrap_or_default()
            }
        }
    }

    fn mentioned(&self, c: CondId, out: &mut Vec<Column>) {
        match self.arena.node(c) {
            CondNode::True | CondNode::False => {}
            CondNode::Atom(atom) => out.extend(self.column_of(*atom)),
            CondNode::Not(inner) => self.mentioned(*inner, out),
            CondNode::All(parts) | CondNode::Any(parts) => {
                for &p in parts.iter() {
                    self.mentioned(p, out);
                }
            }
        }
    }
}

/// A split about to be made: one fact per child, in the order of the
/// node's children (absent last when the field is optional).
struct Split {
    facts: Vec<Fact>,
    shape: Shape,
}

/// How a split's children become a node.
enum Shape {
    Enum,
    Bool,
    Str(Vec<u32>),
    Interval {
        integer: bool,
        cuts: Vec<f64>,
    },
    Test(AtomId),
    /// The shape of a required field's split (no absent child).
    Required(Box<Shape>),
}

impl Shape {
    /// The cut points of an interval split.
    fn cuts(&self) -> Option<&[f64]> {
        match self {
            Shape::Interval { cuts, .. } => Some(cuts),
            Shape::Required(inner) => inner.cuts(),
            _ => None,
        }
    }
}

impl Shape {
    fn required(self) -> Shape {
        Shape::Required(Box::new(self))
    }

    /// The node for the split's children (one per fact, in order); `None`
    /// if their number does not fit the shape, which the builder never does.
    fn into_node(self, field: FieldId, mut children: Vec<NodeId>) -> Option<BNode> {
        let (shape, absent) = match self {
            Shape::Required(shape) => (*shape, None),
            Shape::Test(atom) => {
                let [then, otherwise] = children[..] else {
                    return None;
                };
                return Some(BNode::Test { atom, then, otherwise });
            }
            shape => {
                let absent = children.pop();
                (shape, absent)
            }
        };
        Some(match shape {
            Shape::Enum => BNode::Enum { field, children, absent },
            Shape::Bool => {
                let [no, yes] = children[..] else {
                    return None;
                };
                BNode::Bool { field, no, yes, absent }
            }
            Shape::Str(symbols) => {
                let default = children.pop()?;
                if symbols.len() != children.len() {
                    return None;
                }
                BNode::Str { field, cases: symbols.into_iter().zip(children).collect(), default, absent }
            }
            Shape::Interval { integer, cuts } => {
                if cuts.len() + 1 != children.len() {
                    return None;
                }
                BNode::Interval { field, integer, cuts, children, absent }
            }
            Shape::Test(_) | Shape::Required(_) => return None,
        })
    }
}

/// The exact value of an interval that holds one value of the field's type.
fn point(lo: Option<f64>, hi: Option<f64>, integer: bool) -> Option<Value> {
    let (lo, hi) = (lo?, hi?);
    if integer {
        // Below 2^53 the interval [a, a + 1) holds exactly the int a.
        (lo.abs() < 9_007_199_254_740_992.0 && hi == lo + 1.0).then_some(Value::Int(lo as i64))
    } else {
        (hi == super::predicate::next_up(lo)).then_some(Value::Float(lo))
    }
}

/// A final node keyed by its content, children as final classes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    NoMatch,
    Match(RuleId),
    Enum { field: FieldId, children: Box<[u32]>, absent: u32 },
    Bool { field: FieldId, no: u32, yes: u32, absent: u32 },
    Str { field: FieldId, cases: Box<[(u32, u32)]>, default: u32, absent: u32 },
    Interval { field: FieldId, integer: bool, cuts: Box<[u64]>, children: Box<[u32]>, absent: u32 },
    Test { atom: AtomId, then: u32, otherwise: u32 },
    Rules(Rc<[Candidate]>),
}

impl Key {
    fn children(&self) -> Vec<u32> {
        match self {
            Key::NoMatch | Key::Match(_) | Key::Rules(_) => Vec::new(),
            Key::Enum { children, absent, .. } => children.iter().copied().chain([*absent]).collect(),
            Key::Bool { no, yes, absent, .. } => vec![*no, *yes, *absent],
            Key::Str { cases, default, absent, .. } => cases.iter().map(|c| c.1).chain([*default, *absent]).collect(),
            Key::Interval { children, absent, .. } => children.iter().copied().chain([*absent]).collect(),
            Key::Test { then, otherwise, .. } => vec![*then, *otherwise],
        }
    }
}

/// The sharing pass: merges identical nodes bottom-up, collapses splits whose
/// children are all one node, merges adjacent intervals with one child and
/// drops string cases equal to the default; then lays the nodes out
/// breadth-first and copies the residual conditions the rules nodes need.
struct Finisher<'b, 'p> {
    builder: &'b Builder<'p>,
    unchecked: NodeId,
    class_of: Vec<Option<u32>>,
    keys: Vec<Key>,
    index: FxHashMap<Key, u32>,
    depth: Vec<usize>,
}

impl<'b, 'p> Finisher<'b, 'p> {
    fn new(builder: &'b Builder<'p>, unchecked: NodeId) -> Finisher<'b, 'p> {
        Finisher {
            builder,
            unchecked,
            class_of: vec![None; builder.nodes.len()],
            keys: Vec::new(),
            index: FxHashMap::default(),
            depth: Vec::new(),
        }
    }

    fn build_children(node: &BNode) -> Vec<NodeId> {
        match node {
            BNode::Pending | BNode::NoMatch | BNode::Match(_) | BNode::Rules(_) => Vec::new(),
            BNode::Enum { children, absent, .. } => children.iter().copied().chain(*absent).collect(),
            BNode::Bool { no, yes, absent, .. } => [*no, *yes].into_iter().chain(*absent).collect(),
            BNode::Str { cases, default, absent, .. } => {
                cases.iter().map(|c| c.1).chain([*default]).chain(*absent).collect()
            }
            BNode::Interval { children, absent, .. } => children.iter().copied().chain(*absent).collect(),
            BNode::Test { then, otherwise, .. } => vec![*then, *otherwise],
        }
    }

    /// Classes every node reachable from `root`, children first.
    fn classify_all(&mut self, root: NodeId) {
        // Iterative post-order: the DAG can be deeper than the stack allows.
        let mut stack: Vec<(NodeId, bool)> = vec![(self.unchecked, false), (root, false)];
        while let Some((id, expanded)) = stack.pop() {
            if self.class_of.get(id.index()).copied().flatten().is_some() {
                continue;
            }
            let Some(node) = self.builder.nodes.get(id.index()) else {
                continue;
            };
            if expanded {
                let class = self.classify(node);
                if let Some(slot) = self.class_of.get_mut(id.index()) {
                    *slot = Some(class);
                }
            } else {
                stack.push((id, true));
                for child in Self::build_children(node) {
                    if self.class_of.get(child.index()).copied().flatten().is_none() {
                        stack.push((child, false));
                    }
                }
            }
        }
    }

    fn class(&self, id: NodeId) -> u32 {
        self.class_of.get(id.index()).copied().flatten().unwrap_or(0)
    }

    fn unchecked_class(&self) -> u32 {
        self.class(self.unchecked)
    }

    fn intern(&mut self, key: Key) -> u32 {
        if let Some(&class) = self.index.get(&key) {
            return class;
        }
        let class = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        let depth = key
            .children()
            .iter()
            .filter(|&&c| c != self.unchecked_class())
            .map(|&c| self.depth.get(c as usize).copied().unwrap_or(0) + 1)
            .max()
            .unwrap_or(0);
        self.depth.push(depth);
        self.keys.push(key.clone());
        self.index.insert(key, class);
        class
    }

    fn classify(&mut self, node: &BNode) -> u32 {
        let unchecked = self.unchecked_class();
        let absent_class = |this: &Self, absent: &Option<NodeId>| absent.map_or(unchecked, |a| this.class(a));
        let key = match node {
            BNode::Pending | BNode::NoMatch => Key::NoMatch,
            BNode::Match(rule) => Key::Match(*rule),
            BNode::Rules(list) => Key::Rules(list.clone()),
            BNode::Enum { field, children, absent } => {
                let children: Box<[u32]> = children.iter().map(|&c| self.class(c)).collect();
                let absent = absent_class(self, absent);
                if let Some(&one) = children.first() {
                    if children.iter().all(|&c| c == one) && absent == one {
                        return one;
                    }
                }
                Key::Enum { field: *field, children, absent }
            }
            BNode::Bool { field, no, yes, absent } => {
                let (no, yes, absent) = (self.class(*no), self.class(*yes), absent_class(self, absent));
                if no == yes && yes == absent {
                    return no;
                }
                Key::Bool { field: *field, no, yes, absent }
            }
            BNode::Str { field, cases, default, absent } => {
                let default = self.class(*default);
                let absent = absent_class(self, absent);
                let cases: Box<[(u32, u32)]> = cases
                    .iter()
                    .map(|&(symbol, child)| (symbol, self.class(child)))
                    .filter(|&(_, child)| child != default)
                    .collect();
                if cases.is_empty() && default == absent {
                    return default;
                }
                Key::Str { field: *field, cases, default, absent }
            }
            BNode::Interval { field, integer, cuts, children, absent } => {
                let absent = absent_class(self, absent);
                let mut kept_cuts = Vec::with_capacity(cuts.len());
                let mut kept: Vec<u32> = Vec::with_capacity(children.len());
                for (i, &child) in children.iter().enumerate() {
                    let class = self.class(child);
                    if kept.last() == Some(&class) {
                        continue; // merge with the interval to the left
                    }
                    if let Some(cut) = i.checked_sub(1).and_then(|j| cuts.get(j)) {
                        kept_cuts.push(cut.to_bits());
                    }
                    kept.push(class);
                }
                if let [one] = kept[..] {
                    if absent == one {
                        return one;
                    }
                }
                Key::Interval {
                    field: *field,
                    integer: *integer,
                    cuts: kept_cuts.into(),
                    children: kept.into(),
                    absent,
                }
            }
            BNode::Test { atom, then, otherwise } => {
                let (then, otherwise) = (self.class(*then), self.class(*otherwise));
                if then == otherwise {
                    return then;
                }
                Key::Test { atom: *atom, then, otherwise }
            }
        };
        self.intern(key)
    }

    /// `limits` carries the budget's figures into the stats.
    fn finish(mut self, root: NodeId, built: usize, budget_hit: bool, limits: Stats) -> Dag {
        // The unchecked node first, so that its class is known (0) to all.
        self.classify_all(self.unchecked);
        self.classify_all(root);
        let root_class = self.class(root);
        let unchecked_class = self.unchecked_class();

        // Breadth-first layout: class -> final id.
        let mut final_of: Vec<Option<NodeId>> = vec![None; self.keys.len()];
        let mut order: Vec<u32> = Vec::new();
        let mut queue = VecDeque::from([root_class]);
        let assign = |class: u32, order: &mut Vec<u32>, final_of: &mut Vec<Option<NodeId>>| -> bool {
            match final_of.get_mut(class as usize) {
                Some(slot @ None) => {
                    *slot = Some(NodeId(u32::try_from(order.len()).unwrap_or(u32::MAX)));
                    order.push(class);
                    true
                }
                _ => false,
            }
        };
        if root_class != unchecked_class {
            assign(root_class, &mut order, &mut final_of);
        }
        while let Some(class) = queue.pop_front() {
            let Some(key) = self.keys.get(class as usize) else {
                continue;
            };
            for child in key.children() {
                if child != unchecked_class && assign(child, &mut order, &mut final_of) {
                    queue.push_back(child);
                }
            }
        }
        assign(unchecked_class, &mut order, &mut final_of);
        let id_of = |class: u32| final_of.get(class as usize).copied().flatten().unwrap_or(NodeId(0));

        let mut dag = Dag {
            nodes: Vec::with_capacity(order.len()),
            root: id_of(root_class),
            unchecked: id_of(unchecked_class),
            targets: Vec::new(),
            strs: Vec::new(),
            intervals: Vec::new(),
            candidates: Vec::new(),
            conds: vec![CondView::True, CondView::False],
            cond_parts: Vec::new(),
            atoms: self.builder.arena.atoms().to_vec(),
            codes: Vec::new(),
            code_strs: Vec::new(),
            symbols: self.builder.arena.symbols().to_vec(),
            filter: None,
            stats: Stats::default(),
        };
        // The filter gets a work budget of its own, as large as the
        // builder's unless told otherwise: together they spend at most
        // twice `max_work`.
        let mut filters =
            FilterBuilder::new(&self.builder.arena, &self.builder.program.schema, self.builder.filter_work)
                .with_leaf_size(self.builder.filter_leaf);
        encode_atoms(&self.builder.arena, &self.builder.program.schema, &mut dag);
        let mut copied: FxHashMap<CondId, CondId> = FxHashMap::default();
        let mut stats = Stats { built, budget_hit, ..limits };
        for &class in &order {
            let Some(key) = self.keys.get(class as usize) else {
                continue;
            };
            let counts = class != unchecked_class || class == root_class;
            let node = match key {
                Key::NoMatch => Node::NoMatch,
                Key::Match(rule) => Node::Match(*rule),
                Key::Enum { field, children, absent } => {
                    let start = dag.targets.len();
                    dag.targets.extend(children.iter().map(|&c| id_of(c)));
                    stats.switches += usize::from(counts);
                    Node::Enum { field: *field, children: Slice::of(start, children.len()), absent: id_of(*absent) }
                }
                Key::Bool { field, no, yes, absent } => {
                    stats.switches += usize::from(counts);
                    Node::Bool { field: *field, no: id_of(*no), yes: id_of(*yes), absent: id_of(*absent) }
                }
                Key::Str { field, cases, default, absent } => {
                    let mut table: Vec<(Box<str>, NodeId)> = cases
                        .iter()
                        .map(|&(symbol, child)| (Box::from(self.builder.arena.symbol(symbol)), id_of(child)))
                        .collect();
                    table.sort_by(|a, b| a.0.cmp(&b.0));
                    let index = u32::try_from(dag.strs.len()).unwrap_or(u32::MAX);
                    dag.strs.push(StrTable::new(table.into(), id_of(*default)));
                    stats.switches += usize::from(counts);
                    Node::Str { field: *field, table: index, absent: id_of(*absent) }
                }
                Key::Interval { field, integer, cuts, children, absent } => {
                    let index = u32::try_from(dag.intervals.len()).unwrap_or(u32::MAX);
                    dag.intervals.push(IntervalTable {
                        cuts: cuts.iter().map(|&bits| f64::from_bits(bits)).collect(),
                        children: children.iter().map(|&c| id_of(c)).collect(),
                        integer: *integer,
                    });
                    stats.intervals += usize::from(counts);
                    Node::Interval { field: *field, table: index, absent: id_of(*absent) }
                }
                Key::Test { atom, then, otherwise } => {
                    stats.tests += 1;
                    Node::Test { atom: *atom, then: id_of(*then), otherwise: id_of(*otherwise) }
                }
                Key::Rules(list) => {
                    let start = dag.candidates.len();
                    for c in list.iter() {
                        let cond = copy_cond(&self.builder.arena, c.cond, &mut dag, &mut copied);
                        dag.candidates.push(Candidate { rule: c.rule, cond });
                    }
                    if counts {
                        stats.rules_nodes += 1;
                        stats.rules_candidates += list.len();
                    }
                    // The unchecked node holds every rule, in order, with
                    // its whole condition: the filter's candidates.
                    if class == unchecked_class {
                        let arena = &self.builder.arena;
                        dag.filter = filters.build(list, &mut |parts| copy_all(arena, parts, &mut dag, &mut copied));
                    }
                    Node::Rules { candidates: Slice::of(start, list.len()) }
                }
            };
            if counts && matches!(node, Node::NoMatch | Node::Match(_)) {
                stats.leaves += 1;
            }
            dag.nodes.push(node);
        }
        stats.filters = usize::from(dag.filter.is_some());
        stats.filter_words = dag.filter.as_ref().map_or(0, |f| f.size());
        (stats.filter_splits, stats.filter_leaves) = dag.filter.as_ref().map_or((0, 0), |f| f.shape());
        stats.filter_verified = dag.filter.as_ref().map_or(0, |f| f.verified());
        stats.filter_budget_hit = filters.budget_hit;
        stats.nodes = dag.nodes.len() - usize::from(root_class != unchecked_class);
        stats.depth = self.depth.get(root_class as usize).copied().unwrap_or(0);
        dag.stats = stats;
        dag
    }
}

/// Copies a condition from the build arena into the DAG's condition store.
fn copy_cond(arena: &CondArena, c: CondId, dag: &mut Dag, copied: &mut FxHashMap<CondId, CondId>) -> CondId {
    if c == CondId::TRUE || c == CondId::FALSE {
        return c;
    }
    if let Some(&done) = copied.get(&c) {
        return done;
    }
    let view = match arena.node(c) {
        CondNode::True => CondView::True,
        CondNode::False => CondView::False,
        CondNode::Atom(atom) => CondView::Atom(*atom),
        CondNode::Not(inner) => CondView::Not(copy_cond(arena, *inner, dag, copied)),
        CondNode::All(parts) | CondNode::Any(parts) => {
            let slice = copy_parts(arena, parts, dag, copied);
            if matches!(arena.node(c), CondNode::All(_)) {
                CondView::All(slice)
            } else {
                CondView::Any(slice)
            }
        }
    };
    let id = push_cond(dag, view);
    copied.insert(c, id);
    id
}

/// The conjunction of conditions of the build arena, in the DAG's
/// condition store (a single one copied as it is).
fn copy_all(arena: &CondArena, parts: &[CondId], dag: &mut Dag, copied: &mut FxHashMap<CondId, CondId>) -> CondId {
    match parts {
        [one] => copy_cond(arena, *one, dag, copied),
        _ => {
            let slice = copy_parts(arena, parts, dag, copied);
            push_cond(dag, CondView::All(slice))
        }
    }
}

/// Copies conditions of the build arena into the DAG's store of parts.
fn copy_parts(arena: &CondArena, parts: &[CondId], dag: &mut Dag, copied: &mut FxHashMap<CondId, CondId>) -> Slice {
    let ids: Vec<CondId> = parts.iter().map(|&p| copy_cond(arena, p, dag, copied)).collect();
    let slice = Slice::of(dag.cond_parts.len(), ids.len());
    dag.cond_parts.extend(ids);
    slice
}

fn push_cond(dag: &mut Dag, view: CondView) -> CondId {
    let id = CondId(u32::try_from(dag.conds.len()).unwrap_or(u32::MAX));
    dag.conds.push(view);
    id
}

/// Pre-decodes every atom for evaluation ([`AtomCode`]).
fn encode_atoms(arena: &CondArena, schema: &Schema, dag: &mut Dag) {
    for atom in arena.atoms() {
        let field = atom.field();
        let ty = schema.fields.get(field.index()).map(|f| f.ty);
        let code = match (&atom.form, ty) {
            (AtomForm::Exists, _) => AtomCode::Exists { field },
            (AtomForm::OneOf(keys), Some(FieldType::Enum(_))) if keys.iter().all(|&k| k < 64) => {
                AtomCode::EnumIn { field, mask: keys.iter().fold(0u64, |m, &k| m | 1 << k) }
            }
            (AtomForm::OneOf(keys), Some(FieldType::Bool)) if keys.iter().all(|&k| k < 2) => {
                AtomCode::BoolIn { field, mask: keys.iter().fold(0u8, |m, &k| m | 1 << k) }
            }
            (AtomForm::OneOf(keys), Some(FieldType::String)) => {
                let start = dag.code_strs.len();
                dag.code_strs.extend(keys.iter().map(|&k| Box::from(arena.symbol(k))));
                AtomCode::StrIn { field, literals: Slice::of(start, keys.len()) }
            }
            (AtomForm::Range { lo, hi }, _) => AtomCode::Range {
                field,
                lo: lo.unwrap_or(f64::NEG_INFINITY),
                hi: hi.unwrap_or(f64::INFINITY),
                hi_inclusive: hi.is_none(),
            },
            _ => AtomCode::Opaque,
        };
        dag.codes.push(code);
    }
}
