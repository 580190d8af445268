//! The compiled decision DAG: its nodes, their edges, and evaluation.
//!
//! Nodes live in one `Vec<Node>` indexed by [`NodeId`]; the variable-length
//! parts (enum child tables, string tables, interval tables, rule lists,
//! residual conditions) live in side vectors that nodes index, so a node is
//! 20 bytes and evaluation follows indices without allocating.

use super::filter::Filter;
use super::predicate::{Atom, AtomId, CondId};
use crate::check::program::{Lookup, RuleId};
use crate::schema::{FieldId, Lead, Value};
use crate::strmap::StrMap;

/// Index of a node in [`Dag::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A range of a side vector of the [`Dag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slice {
    /// First element.
    pub start: u32,
    /// Number of elements.
    pub len: u32,
}

impl Slice {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }

    pub(super) fn of(start: usize, len: usize) -> Slice {
        Slice { start: u32::try_from(start).unwrap_or(u32::MAX), len: u32::try_from(len).unwrap_or(u32::MAX) }
    }
}

/// One node of the DAG.
///
/// INVARIANTS (what an analysis walking the DAG may rely on):
/// - every path from the root ends in `NoMatch`, `Match` or `Rules`, and
///   the node reached for a lead answers "which rule fires first" exactly;
/// - `Match(r)`: every lead reaching it fires rule `r` (earlier rules are
///   false for all of them); `NoMatch`: no rule fires for any of them;
/// - a field is switched on (`Enum`, `Bool`, `Str`, `Interval`) at most once
///   on any path, and after a switch no node below tests an atom that the
///   edge taken decides (see [`Edge`]);
/// - `absent` of a required field, and values of a type other than the
///   field's, lead to [`Dag::unchecked`], which valid leads never reach;
/// - identical subtrees are one node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node {
    /// No rule fires.
    NoMatch,
    /// This rule fires.
    Match(RuleId),
    /// A switch on an enum field: one child per enum value, in declaration
    /// order ([`Dag::targets`]), and one for an absent value.
    Enum {
        /// The field.
        field: FieldId,
        /// Children indexed by enum value.
        children: Slice,
        /// Child for an absent value ([`Dag::unchecked`] for a required
        /// field).
        absent: NodeId,
    },
    /// A switch on a bool field.
    Bool {
        /// The field.
        field: FieldId,
        /// Child for `false`.
        no: NodeId,
        /// Child for `true`.
        yes: NodeId,
        /// Child for an absent value ([`Dag::unchecked`] for a required
        /// field).
        absent: NodeId,
    },
    /// A switch on a string field by hashed literal ([`Dag::str_table`]).
    Str {
        /// The field.
        field: FieldId,
        /// Index of its [`StrTable`].
        table: u32,
        /// Child for an absent value ([`Dag::unchecked`] for a required
        /// field).
        absent: NodeId,
    },
    /// A binary search of a numeric field's value among sorted cut points
    /// ([`Dag::interval_table`]).
    Interval {
        /// The field.
        field: FieldId,
        /// Index of its [`IntervalTable`].
        table: u32,
        /// Child for an absent value ([`Dag::unchecked`] for a required
        /// field).
        absent: NodeId,
    },
    /// An opaque atom (regex, substring, list contains, lookup, exists on a
    /// list), evaluated once.
    Test {
        /// The atom ([`Dag::atom`]).
        atom: AtomId,
        /// Child when it holds.
        then: NodeId,
        /// Child when it does not.
        otherwise: NodeId,
    },
    /// The size budget ran out here: try these candidates in order
    /// ([`Dag::candidates`]), each with its condition as specialised by
    /// the path; the first that holds fires.
    Rules {
        /// Its candidates.
        candidates: Slice,
    },
}

/// The children of a [`Node::Str`] switch.
#[derive(Debug, Clone)]
pub struct StrTable {
    /// Literal to child, sorted by literal (for listing and walking).
    pub cases: Box<[(Box<str>, NodeId)]>,
    /// The same, hashed (for evaluation).
    index: StrMap<NodeId>,
    /// Child for a present string that is none of the cases.
    pub default: NodeId,
}

/// The children of a [`Node::Interval`] node.
#[derive(Debug, Clone)]
pub struct IntervalTable {
    /// Sorted, distinct cut points `t0 < t1 < ...`; a value `x` goes to child
    /// `i` = the number of cut points `<= x`, so child `i` covers
    /// `t(i-1) <= x < t(i)` (from minus infinity for the first, to plus
    /// infinity inclusive for the last). No child's interval is empty.
    pub cuts: Box<[f64]>,
    /// One child per interval: `cuts.len() + 1` of them. (NaN, which lead
    /// readers never produce, goes to [`Dag::unchecked`].)
    pub children: Box<[NodeId]>,
    /// Whether the field is an int field (its values are integers, and a
    /// float value there is outside the schema).
    pub integer: bool,
}

/// A rule still in play at a [`Node::Rules`] node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// The rule.
    pub rule: RuleId,
    /// What remains of its condition on this path ([`Dag::cond`]).
    pub cond: CondId,
}

/// A residual condition as stored in the DAG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CondView {
    /// Always holds.
    True,
    /// Never holds.
    False,
    /// An atomic test ([`Dag::atom`]).
    Atom(AtomId),
    /// Negation.
    Not(CondId),
    /// All of the parts ([`Dag::cond_parts`]).
    All(Slice),
    /// Any of the parts ([`Dag::cond_parts`]).
    Any(Slice),
}

/// What taking an edge tells about the lead: the path constraint an
/// analysis collects on its way to a leaf.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Edge<'a> {
    /// The enum field has this value (index into the enum's values).
    Enum(u32),
    /// The bool field has this value.
    Bool(bool),
    /// The string field equals this literal.
    Str(&'a str),
    /// The string field is present and equals none of the node's case
    /// literals ([`StrTable::cases`]).
    OtherStr,
    /// The numeric field is a number (not NaN) with `lo <= x < hi` (`None`:
    /// unbounded on that side, infinities included).
    Interval {
        /// Inclusive lower bound.
        lo: Option<f64>,
        /// Exclusive upper bound.
        hi: Option<f64>,
    },
    /// The field is absent (optional fields only).
    Absent,
    /// The test node's atom holds.
    Then,
    /// The test node's atom does not hold (absent included).
    Else,
}

/// An atom pre-decoded for evaluation: a bit test, a literal scan or two
/// comparisons instead of the general [`Test::holds`].
///
/// [`Test::holds`]: crate::check::program::Test::holds
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum AtomCode {
    /// An enum value whose bit is set (all values below 64).
    EnumIn { field: FieldId, mask: u64 },
    /// A boolean whose bit (false: 0, true: 1) is set.
    BoolIn { field: FieldId, mask: u8 },
    /// A string equal to one of these literals.
    StrIn { field: FieldId, literals: Slice },
    /// A number `x` (not NaN) with `lo <= x` and `x < hi` (or `x <= hi`).
    Range { field: FieldId, lo: f64, hi: f64, hi_inclusive: bool },
    /// Any present value.
    Exists { field: FieldId },
    /// Only [`Test::holds`] knows.
    ///
    /// [`Test::holds`]: crate::check::program::Test::holds
    Opaque,
}

/// Counts describing a compiled DAG, for `route graph` and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Nodes reachable from the root.
    pub nodes: usize,
    /// `Enum`, `Bool` and `Str` switches.
    pub switches: usize,
    /// `Interval` nodes.
    pub intervals: usize,
    /// `Test` nodes.
    pub tests: usize,
    /// `Rules` nodes (the budget's fallback).
    pub rules_nodes: usize,
    /// Candidates over all `Rules` nodes.
    pub rules_candidates: usize,
    /// `Match` and `NoMatch` leaves.
    pub leaves: usize,
    /// Longest path from the root to a leaf or `Rules` node, in edges.
    pub depth: usize,
    /// Whether the size budget stopped the construction somewhere.
    pub budget_hit: bool,
    /// Nodes the builder created before sharing identical ones.
    pub built: usize,
    /// Work the builder spent ([`crate::compile::Budget::max_work`]).
    pub work: usize,
    /// Whether the work budget (rather than the node budget) stopped it.
    pub work_budget_hit: bool,
    /// Bitset filters built: 1 when [`Dag::route`] matches through one
    /// ([`crate::compile`], "Matching"), else 0.
    pub filters: usize,
    /// Words (8 bytes each) of filter tables stored.
    pub filter_words: usize,
    /// The filter's split nodes ([`crate::compile`], "Matching").
    pub filter_splits: usize,
    /// The filter's leaves.
    pub filter_leaves: usize,
    /// Members of the filter's leaves (candidates, or one alternative of a
    /// candidate's `or`) verified by evaluating what their rows leave
    /// undecided (a longer `or`, a regex, a lookup).
    pub filter_verified: usize,
    /// Whether the work budget refused the filter.
    pub filter_budget_hit: bool,
    /// The node budget it was built under.
    pub max_nodes: usize,
    /// The work budget it was built under.
    pub max_work: usize,
}

/// A compiled rule set: evaluate with [`Dag::route`]; walk with
/// [`Dag::node`] and [`Dag::edges`].
#[derive(Debug, Clone)]
pub struct Dag {
    pub(super) nodes: Vec<Node>,
    pub(super) root: NodeId,
    pub(super) unchecked: NodeId,
    pub(super) targets: Vec<NodeId>,
    pub(super) strs: Vec<StrTable>,
    pub(super) intervals: Vec<IntervalTable>,
    pub(super) candidates: Vec<Candidate>,
    pub(super) conds: Vec<CondView>,
    pub(super) cond_parts: Vec<CondId>,
    pub(super) atoms: Vec<Atom>,
    /// Per atom, how evaluation decides it ([`AtomCode`]).
    pub(super) codes: Vec<AtomCode>,
    /// String literals of [`AtomCode::StrIn`] atoms.
    pub(super) code_strs: Vec<Box<str>>,
    pub(super) symbols: Vec<Box<str>>,
    /// The bitset filter over every rule (the candidates of
    /// [`Dag::unchecked`], in order), when it was built.
    pub(super) filter: Option<Filter>,
    pub(super) stats: Stats,
}

impl Dag {
    /// The rule that fires first for `lead`, as [`crate::eval::reference`]
    /// would answer: through the bitset filter over every rule when the
    /// compiler built one ([`crate::compile`], "Matching"), else by
    /// walking the DAG ([`Dag::walk`]), in time proportional to the path's
    /// length.
    ///
    /// Exact for every lead whose values are absent or of their field's
    /// type (an int for an int field, an int or float for a float field, an
    /// enum index in range); a value of another type makes the walk fall back
    /// to evaluating the rules directly, so the answer is still the
    /// reference's. Allocates nothing.
    pub fn route(&self, lead: &Lead, lookups: &[Lookup]) -> Option<RuleId> {
        match self.route_filtered(lead, lookups) {
            Some(rule) => rule,
            None => self.walk(lead, lookups),
        }
    }

    /// [`Dag::route`] by walking the DAG alone, as the analyses see it (the
    /// filter left aside): for comparing the two in benchmarks.
    pub fn walk(&self, lead: &Lead, lookups: &[Lookup]) -> Option<RuleId> {
        let mut id = self.root;
        loop {
            let Some(node) = self.nodes.get(id.index()) else {
                return self.first_holding(self.unchecked_candidates(), lead, lookups);
            };
            id = match *node {
                Node::NoMatch => return None,
                Node::Match(rule) => return Some(rule),
                Node::Enum { field, children, absent } => match lead.get(field) {
                    Value::Enum(i) => self.child_at(children, *i as usize),
                    Value::Absent => absent,
                    _ => self.unchecked,
                },
                Node::Bool { field, no, yes, absent } => match lead.get(field) {
                    Value::Bool(false) => no,
                    Value::Bool(true) => yes,
                    Value::Absent => absent,
                    _ => self.unchecked,
                },
                Node::Str { field, table, absent } => match lead.get(field) {
                    Value::Str(s) => match self.strs.get(table as usize) {
                        Some(t) => t.index.get(s).unwrap_or(t.default),
                        None => self.unchecked,
                    },
                    Value::Absent => absent,
                    _ => self.unchecked,
                },
                Node::Interval { field, table, absent } => {
                    let Some(t) = self.intervals.get(table as usize) else {
                        return self.first_holding(self.unchecked_candidates(), lead, lookups);
                    };
                    let number = match lead.get(field) {
                        Value::Int(i) => Some(*i as f64),
                        Value::Float(f) if !t.integer => Some(*f),
                        Value::Absent => None,
                        _ => {
                            id = self.unchecked;
                            continue;
                        }
                    };
                    match number {
                        None => absent,
                        Some(x) if x.is_nan() => self.unchecked,
                        Some(x) => {
                            let i = super::filter::cuts_at_or_below(&t.cuts, x);
                            t.children.get(i).copied().unwrap_or(self.unchecked)
                        }
                    }
                }
                Node::Test { atom, then, otherwise } => {
                    let holds = self.atom_holds(atom, lead, lookups);
                    if holds {
                        then
                    } else {
                        otherwise
                    }
                }
                Node::Rules { candidates } => {
                    let list = self.candidates.get(candidates.range()).unwrap_or(&[]);
                    return self.first_holding(list, lead, lookups);
                }
            };
        }
    }

    fn child_at(&self, children: Slice, i: usize) -> NodeId {
        if i < children.len as usize {
            self.targets.get(children.start as usize + i).copied().unwrap_or(self.unchecked)
        } else {
            self.unchecked
        }
    }

    fn unchecked_candidates(&self) -> &[Candidate] {
        match self.nodes.get(self.unchecked.index()) {
            Some(Node::Rules { candidates }) => self.candidates.get(candidates.range()).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The first rule whose condition holds, through the bitset filter
    /// over every rule; `None` when there is no filter or the lead has a
    /// value the filter cannot class (of another type, NaN).
    #[inline]
    fn route_filtered(&self, lead: &Lead, lookups: &[Lookup]) -> Option<Option<RuleId>> {
        let filter = self.filter.as_ref()?;
        let list = self.unchecked_candidates();
        let found = filter.first(lead, |cond| self.holds(cond, lead, lookups))?;
        Some(found.and_then(|i| list.get(i)).map(|c| c.rule))
    }

    fn first_holding(&self, list: &[Candidate], lead: &Lead, lookups: &[Lookup]) -> Option<RuleId> {
        list.iter().find(|c| self.holds(c.cond, lead, lookups)).map(|c| c.rule)
    }

    /// Whether an atom holds for a lead: by its pre-decoded form where it
    /// has one (same answer as [`Test::holds`] on values of the field's
    /// type), else by the test itself.
    ///
    /// [`Test::holds`]: crate::check::program::Test::holds
    #[inline]
    fn atom_holds(&self, atom: AtomId, lead: &Lead, lookups: &[Lookup]) -> bool {
        match self.codes.get(atom.index()) {
            Some(&AtomCode::EnumIn { field, mask }) => {
                matches!(lead.get(field), Value::Enum(i) if *i < 64 && mask >> i & 1 == 1)
            }
            Some(&AtomCode::BoolIn { field, mask }) => {
                matches!(lead.get(field), Value::Bool(b) if mask >> u8::from(*b) & 1 == 1)
            }
            Some(&AtomCode::StrIn { field, literals }) => match lead.get(field) {
                Value::Str(s) => self.code_strs.get(literals.range()).is_some_and(|l| l.iter().any(|l| **l == **s)),
                _ => false,
            },
            Some(&AtomCode::Range { field, lo, hi, hi_inclusive }) => match lead.get(field) {
                Value::Int(i) => {
                    let x = *i as f64;
                    x >= lo && (x < hi || (hi_inclusive && x == hi))
                }
                Value::Float(x) => *x >= lo && (*x < hi || (hi_inclusive && *x == hi)),
                _ => false,
            },
            Some(&AtomCode::Exists { field }) => !matches!(lead.get(field), Value::Absent),
            Some(AtomCode::Opaque) | None => {
                self.atoms.get(atom.index()).is_some_and(|a| a.test.holds(lead.get(a.field()), lookups))
            }
        }
    }

    /// Evaluates a stored condition directly on a lead.
    pub fn holds(&self, cond: CondId, lead: &Lead, lookups: &[Lookup]) -> bool {
        match self.cond(cond) {
            CondView::True => true,
            CondView::False => false,
            CondView::Atom(atom) => self.atom_holds(atom, lead, lookups),
            CondView::Not(inner) => !self.holds(inner, lead, lookups),
            CondView::All(parts) => self.cond_parts(parts).iter().all(|&p| self.holds(p, lead, lookups)),
            CondView::Any(parts) => self.cond_parts(parts).iter().any(|&p| self.holds(p, lead, lookups)),
        }
    }

    /// The entry node.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The node that evaluates every rule's full condition in order: where
    /// values outside the schema (an absent required field, a value of the
    /// wrong type) are sent. It never appears in [`Dag::edges`].
    pub fn unchecked(&self) -> NodeId {
        self.unchecked
    }

    /// Every node, indexed by [`NodeId`]; the root first, then in
    /// breadth-first order, [`Dag::unchecked`] last.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node behind an id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    /// The children tables of enum switches.
    pub fn targets(&self) -> &[NodeId] {
        &self.targets
    }

    /// The table of a string switch.
    pub fn str_table(&self, table: u32) -> Option<&StrTable> {
        self.strs.get(table as usize)
    }

    /// The table of an interval node.
    pub fn interval_table(&self, table: u32) -> Option<&IntervalTable> {
        self.intervals.get(table as usize)
    }

    /// The candidates of a rules node.
    pub fn candidates(&self, slice: Slice) -> &[Candidate] {
        self.candidates.get(slice.range()).unwrap_or(&[])
    }

    /// A stored condition.
    pub fn cond(&self, id: CondId) -> CondView {
        self.conds.get(id.index()).copied().unwrap_or(CondView::False)
    }

    /// The parts of an `All` or `Any` condition.
    pub fn cond_parts(&self, slice: Slice) -> &[CondId] {
        self.cond_parts.get(slice.range()).unwrap_or(&[])
    }

    /// An atom: the test as written and how the compiler classified it.
    pub fn atom(&self, id: AtomId) -> Option<&Atom> {
        self.atoms.get(id.index())
    }

    /// The string literal behind a symbol of an [`super::AtomForm::OneOf`]
    /// atom over a string field.
    pub fn symbol(&self, symbol: u32) -> &str {
        self.symbols.get(symbol as usize).map_or("", |s| s)
    }

    /// Size, shape and whether the budget was hit.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The outgoing edges of a node with what each means, in a fixed order
    /// (enum values in declaration order, string literals sorted, intervals
    /// ascending, then default and absent). Edges only schema-violating
    /// leads take are left out. Allocates: meant for analysis, not routing.
    pub fn edges(&self, id: NodeId) -> Vec<(Edge<'_>, NodeId)> {
        let mut out = Vec::new();
        let Some(node) = self.node(id) else {
            return out;
        };
        let absent_edge = |out: &mut Vec<(Edge<'_>, NodeId)>, absent: NodeId| {
            if absent != self.unchecked {
                out.push((Edge::Absent, absent));
            }
        };
        match *node {
            Node::NoMatch | Node::Match(_) | Node::Rules { .. } => {}
            Node::Enum { children, absent, .. } => {
                for (i, &child) in self.targets.get(children.range()).unwrap_or(&[]).iter().enumerate() {
                    out.push((Edge::Enum(u32::try_from(i).unwrap_or(u32::MAX)), child));
                }
                absent_edge(&mut out, absent);
            }
            Node::Bool { no, yes, absent, .. } => {
                out.push((Edge::Bool(false), no));
                out.push((Edge::Bool(true), yes));
                absent_edge(&mut out, absent);
            }
            Node::Str { table, absent, .. } => {
                if let Some(t) = self.strs.get(table as usize) {
                    for (literal, child) in t.cases.iter() {
                        out.push((Edge::Str(literal), *child));
                    }
                    out.push((Edge::OtherStr, t.default));
                }
                absent_edge(&mut out, absent);
            }
            Node::Interval { table, absent, .. } => {
                if let Some(t) = self.intervals.get(table as usize) {
                    for (i, &child) in t.children.iter().enumerate() {
                        let lo = i.checked_sub(1).and_then(|j| t.cuts.get(j)).copied();
                        let hi = t.cuts.get(i).copied();
                        out.push((Edge::Interval { lo, hi }, child));
                    }
                }
                absent_edge(&mut out, absent);
            }
            Node::Test { then, otherwise, .. } => {
                out.push((Edge::Then, then));
                out.push((Edge::Else, otherwise));
            }
        }
        out
    }
}

impl StrTable {
    /// A table from sorted cases.
    pub(super) fn new(cases: Box<[(Box<str>, NodeId)]>, default: NodeId) -> StrTable {
        let index = StrMap::new(cases.iter().map(|(s, n)| (&**s, *n)));
        StrTable { cases, index, default }
    }
}
