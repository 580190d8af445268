//! Stage 3: checked [`Program`] to decision DAG.
//!
//! Accepts a checked program (rules flattened, first match wins); returns a
//! [`Dag`] that answers "which rule fires first for this lead" exactly as the
//! reference interpreter ([`crate::eval::reference`]) does, but pays for the
//! depth of one path instead of every rule tried. The same DAG is what the
//! analyses walk: a rule that is no leaf is unreachable, a `NoMatch` leaf is
//! a coverage gap, and the edges on the way there are its path constraints.
//!
//! # Algorithm
//!
//! This is the decision-tree compilation of pattern matching of Maranget,
//! *Compiling pattern matching to good decision trees* (ML Workshop, 2008),
//! with the clause matrix replaced by a list of boolean conditions over
//! typed fields, and the tree made a DAG by hash-consing.
//!
//! **Subproblem.** An ordered list of *candidates* `(rule, residual)`: the
//! rules that can still fire on this path, in priority order, each with
//! what remains of its condition given what the path has learnt. The root
//! subproblem is every rule with its full condition.
//!
//! - Empty list: leaf `NoMatch`. First residual `True`: leaf `Match(rule)`
//!   (it fires, and every earlier rule has already been proved false).
//! - Otherwise pick a *column* and split on it. For short lists (up to 32
//!   candidates) this is Maranget's necessity heuristic: a column the first
//!   candidate needs (an atom of a conjunction, or common to every arm of a
//!   disjunction, must be known to prove it fires); among those, the one
//!   most of the leading candidates mention, then the one with the fewest
//!   branches. Long lists are where run time goes if the budget stops the
//!   construction, so there the column is the one whose split drops the
//!   most candidates from a typical child (needed by many candidates, in
//!   a switch of many values), as packet classifiers' cutting trees
//!   (Gupta and McKeown's HiCuts, 1999) choose their cuts. Either way the
//!   column is one some candidate needs, so the split makes progress:
//!   - an enum field: a dense switch, one child per enum value;
//!   - a bool field: two children;
//!   - a string field: a hashed switch on every literal the candidates
//!     compare it with (`==`, `in [..]`) and a default child for every other
//!     string;
//!   - an int or float field: an interval node. Every comparison is first
//!     normalised to a half-open range `lo <= x < hi` (`x <= v` is
//!     `x < next_up(v)` on floats and `x < floor(v) + 1` on ints, so one
//!     kind of cut suffices and no interval is empty). The cut points of all
//!     candidates are sorted; the lead's value is placed by binary search
//!     (`partition_point`), one child per interval. Inside an interval
//!     every comparison of that field is decided exactly by comparing its
//!     bounds with the interval's, which are cut points too — no
//!     representative value is sampled;
//!   - an *opaque* atom (regex, substring, list contains, lookup
//!     membership, `exists` on a list): a binary test node.
//!
//!   Optional fields get a child for an absent value (every atom false).
//! - In each child every candidate is *specialised* by what the edge tells
//!   (a `Fact`): a known value decides every atom over the field
//!   by [`Test::holds`](crate::check::program::Test::holds) itself (so
//!   `starts_with`, `matches`, lookups are exact too once a string switch
//!   knows the literal); the string default child makes `==`/`in` false and
//!   leaves opaque atoms; an interval decides the ranges. Conditions are
//!   then folded (`True`/`False`, flattening), false candidates dropped and
//!   the list cut after the first `True`. Every split decides at least one
//!   atom of the list, so a path is at most as long as the number of
//!   distinct atoms, and the graph is acyclic.
//!
//! All children of a split are built in one pass over the parent's list. A
//! candidate's residual depends only on the truth values the child's fact
//! gives its atoms over the field, so it is specialised once per distinct
//! truth vector, not once per child; and a candidate whose atoms over the
//! field are all `==`/`in` only differs in the children of its own
//! literals, so a 50-way switch costs it a handful of steps.
//!
//! **Sharing.** Conditions are interned in a hash-consed arena
//! (`predicate.rs`): a candidate is two `u32`s, specialising shares
//! every unchanged condition, and a candidate whose condition does not
//! mention the split field (a 64-bit field mask says so) is copied without
//! being looked at. Subproblems are memoised by their candidate list, so two
//! paths that leave the same rules in the same state share one node. A last
//! pass merges structurally identical nodes bottom-up, collapses splits
//! whose children are all one node, merges adjacent intervals with one
//! child and drops string cases that go where the default goes.
//!
//! **Budget.** Pending subproblems are expanded longest list first (a long
//! list left unsplit costs most at run time). When a split would take the
//! node count past [`Budget::max_nodes`], the subproblem becomes a
//! [`Node::Rules`] node instead: its candidates tried in order at run time,
//! each with its residual condition — slower but still exact. `route graph`
//! and [`Dag::stats`] say when this happened.
//!
//! **Matching.** [`Dag::route`] does not walk the DAG when the compiler
//! could build a bitset filter over every rule (`filter/`): as packet
//! classifiers answer first-match over thousands of rules, per field the
//! rules constrain, the lead's value picks a row, the bitset of rules whose
//! constraints on that field it satisfies; the AND of the rows, in order,
//! names the rules worth evaluating, and the first of them that holds is
//! the answer. That is a dozen field lookups and a few words per 64 rules,
//! read in order, instead of a dependent load per DAG level and, past the
//! budget, 50 to 90 candidates tried one by one. Over more than 256 rules
//! the filter first splits them by field (a separable index: see
//! `filter/mod.rs`), so a lead ANDs the rows of a few small leaves instead
//! of one row per 64 of all the rules. The filter is charged to a
//! work budget of its own, as large as [`Budget::max_work`]; without it
//! (and for programs of at most eight rules) `route` walks the DAG
//! ([`Dag::walk`]). The DAG stays what the analyses, `route graph` and the
//! explanations walk.

//! # Representation and invariants
//!
//! See [`Node`] for what each node means and [`Edge`] for what each edge
//! tells. Nodes are a `Vec<Node>` indexed by [`NodeId`] (20 bytes each,
//! variable parts in side tables), so evaluation ([`Dag::route`]) follows
//! indices and never allocates. Atoms in test and rules nodes are evaluated
//! through a pre-decoded form (an enum bit mask, a literal list, two
//! comparisons) where one exists.
//!
//! - The answer at every node is exact: for any lead reaching a node, the
//!   first candidate of its subproblem whose residual holds is the first
//!   rule of the program whose condition holds.
//! - A field is switched on at most once per path; an opaque atom is tested
//!   at most once per path.
//! - Absent values of required fields and NaN go to [`Dag::unchecked`] (the
//!   whole program as a rules list, evaluated directly), so they get the
//!   exact answer without growing the DAG for leads readers never produce.
//!   Values of the wrong type go there too, where a switch sees them; for
//!   those the answer is unspecified (but nothing panics).

mod build;
mod dag;
mod filter;
mod listing;
mod predicate;

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice, reason = "tests may index: a panic is a failed test")]
mod tests;

pub use dag::{Candidate, CondView, Dag, Edge, IntervalTable, Node, NodeId, Slice, Stats, StrTable};
pub use listing::{Listed, ListedDag, ListedEdge, ListedNode};
pub use predicate::{Atom, AtomForm, AtomId, CondId};

use crate::check::program::Program;

/// How large the DAG may grow before subproblems fall back to ordered rule
/// lists: the guard against the exponential worst case of decision trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most nodes the builder may create (before identical ones are merged).
    pub max_nodes: usize,
}

impl Budget {
    /// No limit: for tests and small hand-written programs.
    pub const UNLIMITED: Budget = Budget { max_nodes: usize::MAX };

    /// The default for a program of `rules` rules: 32,768 nodes, or 4 per
    /// rule for programs over 8,192 rules. Programs of a hundred rules
    /// compile completely; 10,000 generated rules take about 0.4 s. Each
    /// node costs some microseconds of compile time and buys shorter rule
    /// lists at run time.
    pub fn scaled(rules: usize) -> Budget {
        Budget { max_nodes: rules.saturating_mul(4).max(32_768) }
    }

    /// Work allowed per node of [`Budget::max_nodes`]: see
    /// [`Budget::max_work`]. At 2,048 the 10,000 generated rules of
    /// `shared/bench` still reach the node budget first (the same DAG as
    /// before the work budget), while the default 67 M units bound the
    /// candidate entries to 512 MiB.
    pub const WORK_PER_NODE: usize = 2048;

    /// The most work the builder may spend, counted as the candidate-list
    /// entries a split can create times the atoms each must decide (a split
    /// of `L` candidates into `F` children costs `L × F` at least). The node
    /// budget alone bounds neither: one interval split of 100,000 `x == i`
    /// rules has 200,001 children (10^10 entries to consider), and a
    /// `zip in [15,000 ints]` decides 15,000 atoms in each of 30,001
    /// children. Past it, lists fall back to ordered rule lists, as past the
    /// node budget: routing stays exact, only slower.
    pub fn max_work(self) -> usize {
        self.max_nodes.saturating_mul(Budget::WORK_PER_NODE)
    }

    /// [`Budget::scaled`] for a program's rule count.
    pub fn for_program(program: &Program) -> Budget {
        Budget::scaled(program.rules.len())
    }
}

/// Compiles a checked program into a decision DAG within a size budget.
pub fn compile(program: &Program, budget: Budget) -> Dag {
    build::Builder::new(program, budget).run()
}

/// Nodes of the DAG [`compile_for_routing`] builds beside the filter.
const ROUTING_NODES: usize = 256;

/// The DAG to route leads with (`route eval`, `route serve`): the bitset
/// filter over every rule, with the work budget of
/// [`Budget::for_program`], and beside it a DAG of at most
/// [`ROUTING_NODES`] nodes. Routing goes through the filter
/// ([`Dag::route`]); the DAG is walked only for a lead the filter cannot
/// class (a value of another type, NaN), and a small DAG answers those
/// exactly too, through its rule lists. The full DAG is for the analyses,
/// which walk it; building it was 70% of loading 10,000 rules, for leads
/// that never used it. When the filter cannot be built (its budget ran
/// out), the full DAG is built instead, as [`compile`] would.
pub fn compile_for_routing(program: &Program) -> Dag {
    let full = Budget::for_program(program);
    let small = Budget { max_nodes: ROUTING_NODES.min(full.max_nodes) };
    let dag = build::Builder::new(program, small).with_filter_work(full.max_work()).run();
    if dag.stats().filters > 0 {
        dag
    } else {
        compile(program, full)
    }
}
