//! The bitset filter over every rule: how [`Dag::route`](super::Dag::route)
//! finds the first rule that holds.
//!
//! Walking the decision DAG costs one dependent memory access per level,
//! and once the size budget stops it (from about 1,000 generated rules)
//! every lead ends in an ordered list of 50 to 90 candidates; a DAG of tens
//! of thousands of nodes does not stay in the cache either. The filter
//! answers the same question the way packet classifiers do.
//!
//! **Classes and rows.** For each field the rules constrain, the lead's
//! value falls into a *class* (an enum value, a literal or "another
//! string", an interval between the rules' cut points, absent), and for a
//! set of rules each class has a *row*, the bitset of the rules whose
//! constraints on that field the class allows (Lakshman and Stiliadis'
//! bit-parallel classification, SIGCOMM 1998). The AND of the lead's rows
//! holds every rule that may hold; its set bits are verified in order by
//! evaluating the rule's condition, so the first that holds is the first
//! rule that holds: the answer stays exactly the reference's.
//!
//! **Separable index.** One AND over 10,000 rules reads 157 words per row:
//! rules that leave a field free are in each of its rows, so even the AND
//! of the most selective rows keeps a rule in almost every word. The rules
//! are therefore first split, as EffiCuts' separable trees split packet
//! rules (Vamanan et al., SIGCOMM 2010): a [`Split`](Kind::Split) node takes
//! the field that best divides its rules and keeps, per class, the rules
//! that constrain the field and allow the class, and under `rest` those
//! that leave it free. A lead follows its class's branch *and* `rest`;
//! both are searched, each bounded by the best position found so far, and
//! the smaller position wins. Splitting stops at 256 rules or when no field
//! divides well: a [`Leaf`](Kind::Leaf) ANDs the rows of its own rules over
//! the fields that still decide something (a field the path split on is
//! decided for the rules below its class branch). A lead's class of each
//! field is computed at most once, and only when a node needs it.
//!
//! **Constraints.** A candidate's condition is read as a conjunction of
//! parts (or a single part). A part constrains a field when every atom in
//! it is over that field and decided by its form ([`AtomForm::OneOf`],
//! [`AtomForm::Range`], [`AtomForm::Exists`]), combined by `not`, `and`,
//! `or`: `state in ["CA", "OR"]`, `employees >= 100 and employees < 1000`,
//! `industry != "retail"`. The classes decide such atoms exactly (every
//! range bound is a cut point, every literal a class), so a part's set of
//! allowed classes is exact. A rule whose `or` spans several fields, each
//! alternative over one, is held once per alternative (a *member* each,
//! all at the rule's position): the rule holds exactly when one of those
//! conjunctions does, and the rows decide each. Other parts (regexes,
//! lookups, longer `or`s) constrain nothing: their rules stay in every
//! row and verification decides. Values a class cannot hold (a value of
//! the wrong type, NaN) make the walk scan the list instead.
//!
//! **Cost.** Building charges every rule placed in a branch, every row
//! word and every class table entry to a work budget as large as
//! [`super::Budget::max_work`]; past it there is no filter and `Dag::route`
//! walks the DAG (still exact). Splits stop replicating rules once they
//! have placed [`MAX_PLACEMENTS`] per candidate on average (then leaves).
//!
//! [`AtomForm::OneOf`]: super::predicate::AtomForm::OneOf
//! [`AtomForm::Range`]: super::predicate::AtomForm::Range
//! [`AtomForm::Exists`]: super::predicate::AtomForm::Exists

mod build;
mod classes;
mod fields;
mod flat;

pub(super) use build::{FilterBuilder, LEAF_SIZE};
pub(super) use classes::cuts_at_or_below;
use classes::Classes;
use fields::Fields;
use flat::Flat;

use crate::compile::predicate::CondId;
use crate::schema::{FieldId, Lead};

/// Programs of at most this many rules are matched by the DAG walk alone:
/// a filter would not pay for its field lookups.
const MIN_CANDIDATES: usize = 8;

/// The most fields the index classes (the most constrained ones).
const MAX_SLOTS: usize = 16;

/// The most fields one leaf ANDs (its most selective ones).
const MAX_LEAF_FIELDS: usize = 12;

/// How many times, on average, splits may place each candidate in a
/// branch (a rule allowing several classes is in each of their branches).
const MAX_PLACEMENTS: usize = 24;

/// The most alternatives of an `or` spread into members of their own
/// (see `FilterBuilder::alternatives`).
const MAX_ALTERNATIVES: usize = 4;

/// No node (an empty branch).
const NONE: u32 = u32::MAX;

/// A field the index classes lead values by.
#[derive(Debug, Clone)]
struct Slot {
    field: FieldId,
    classes: Classes,
}

/// A node of the index: the smallest candidate position below it (so a
/// search that already found an earlier rule skips it), and what it is.
#[derive(Debug, Clone, Copy)]
struct IndexNode {
    first: u32,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// The candidates that constrain `slot`, per class (a node id in
    /// [`Tree::children`] from `children`, one per class of the slot;
    /// [`NONE`] where no candidate allows the class), and `rest`, the node
    /// of those that leave it free.
    Split { slot: u32, children: u32, rest: u32 },
    /// `len` candidates (from `members` in [`Tree::members`], ascending
    /// by position), ANDed over `field_count` fields from `fields` in
    /// [`Tree::leaf_fields`].
    Leaf { members: u32, len: u32, fields: u32, field_count: u32 },
}

/// A leaf's candidate: its position in the list, and what to evaluate of
/// it when the rows allow it (the parts of its condition the leaf's rows
/// do not decide; `CondId::TRUE` when they decide it whole). Side by side,
/// so a member the search reaches is one cache line, not one in each of
/// two tables (at 10,000 rules the leaves outgrow the cache and both
/// missed).
#[derive(Debug, Clone, Copy)]
struct LeafMember {
    position: u32,
    verify: CondId,
}

/// One field a leaf ANDs: per class of its slot, where the class's row
/// starts in the tree's words (from `rows` in [`Tree::row_starts`]).
#[derive(Debug, Clone, Copy)]
struct LeafField {
    slot: u32,
    rows: u32,
}

/// The separable bitset index over a list of candidates: see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct Filter {
    layout: Layout,
}

/// How the index is laid out: one leaf over every candidate (no split
/// paid), or the tree.
#[derive(Debug, Clone)]
enum Layout {
    /// Searched without the tree's indirections: see [`Flat`].
    Flat(Flat),
    Tree {
        tree: Tree,
        /// How a lead's values fall into the classes of the slots.
        classer: Fields<SlotClass>,
        /// Every distinct row.
        words: Box<[u64]>,
    },
}

/// The index's nodes and the tables they point into.
#[derive(Debug, Clone)]
struct Tree {
    slots: Box<[Slot]>,
    nodes: Box<[IndexNode]>,
    root: u32,
    children: Box<[u32]>,
    members: Box<[LeafMember]>,
    leaf_fields: Box<[LeafField]>,
    row_starts: Box<[u32]>,
}

/// A lead's class of each slot, all computed before the search: they
/// do not depend on each other, so the processor overlaps them, where
/// classing each when a node first needs it would chain them.
struct LeadClasses {
    known: [u32; MAX_SLOTS],
}

impl LeadClasses {
    /// The lead's classes; `None` when a value cannot be classed (of
    /// another type, NaN).
    #[inline]
    fn of(lead: &Lead, classer: &Fields<SlotClass>) -> Option<LeadClasses> {
        let mut known = [u32::MAX; MAX_SLOTS];
        classer.each_row(lead, |SlotClass { slot, class }| {
            *known.get_mut(slot as usize)? = class;
            Some(())
        })?;
        Some(LeadClasses { known })
    }

    /// The lead's class of a slot.
    #[inline]
    fn get(&self, slot: u32) -> Option<usize> {
        self.known.get(slot as usize).map(|&c| c as usize)
    }
}

/// A class's entry in the tree's [`Fields`]: the class and its slot.
#[derive(Debug, Clone, Copy)]
struct SlotClass {
    slot: u32,
    class: u32,
}

/// What a search carries: the lead's classes, the best position found so
/// far, and the verifier.
struct Search<F> {
    classes: LeadClasses,
    best: u32,
    holds: F,
}

impl Filter {
    /// The position of the first candidate that holds, trying only those
    /// the index allows, in order: `holds` evaluates what of a candidate's
    /// condition the rows left undecided. `None` when a value cannot be
    /// classed (then scan the list).
    #[inline]
    pub(super) fn first(&self, lead: &Lead, holds: impl FnMut(CondId) -> bool) -> Option<Option<usize>> {
        match &self.layout {
            Layout::Flat(flat) => flat.first(lead, holds),
            Layout::Tree { tree, classer, words } => {
                let classes = LeadClasses::of(lead, classer)?;
                let mut search = Search { classes, best: NONE, holds };
                tree.search(words, tree.root, &mut search)?;
                Some((search.best != NONE).then_some(search.best as usize))
            }
        }
    }

    /// The filter of a built tree: laid out flat when its root is a leaf
    /// (the tree's tables are then dropped). `None` if a table is not as
    /// its classes say.
    fn new(tree: Tree, words: Box<[u64]>) -> Option<Filter> {
        if let Some(flat) = tree.flat(&words) {
            return Some(Filter { layout: Layout::Flat(flat) });
        }
        let slots: Vec<&Slot> = tree.slots.iter().collect();
        let classer = Fields::new(&slots, |slot, class| Some(SlotClass { slot: u32::try_from(slot).ok()?, class }))?;
        Some(Filter { layout: Layout::Tree { tree, classer, words } })
    }

    /// Words (8 bytes each) its tables take.
    pub(super) fn size(&self) -> usize {
        match &self.layout {
            Layout::Flat(flat) => flat.size(),
            Layout::Tree { tree, classer, words } => {
                let u32s =
                    tree.children.len() + 2 * tree.members.len() + tree.row_starts.len() + 2 * tree.leaf_fields.len();
                words.len() + u32s.div_ceil(2) + tree.nodes.len() * 3 + classer.size(1)
            }
        }
    }

    /// How many of its leaves' candidates are verified by evaluating part
    /// of their condition when the rows allow them (a candidate placed in
    /// several leaves counts in each): the parts its rows cannot decide.
    pub(super) fn verified(&self) -> usize {
        match &self.layout {
            Layout::Flat(flat) => flat.verify().iter().filter(|&&cond| cond != CondId::TRUE).count(),
            Layout::Tree { tree, .. } => tree.members.iter().filter(|m| m.verify != CondId::TRUE).count(),
        }
    }

    /// How many split and leaf nodes it has.
    pub(super) fn shape(&self) -> (usize, usize) {
        match &self.layout {
            Layout::Flat(_) => (0, 1),
            Layout::Tree { tree, .. } => {
                let splits = tree.nodes.iter().filter(|n| matches!(n.kind, Kind::Split { .. })).count();
                (splits, tree.nodes.len() - splits)
            }
        }
    }
}

/// Whether a candidate the rows allow holds, `verify` being what of its
/// condition they leave undecided: at once when they decide it whole,
/// else by evaluating the rest.
#[inline]
fn verified(verify: CondId, holds: &mut impl FnMut(CondId) -> bool) -> bool {
    verify == CondId::TRUE || holds(verify)
}

/// Words `offset..offset + C` of the AND of the rows starting at
/// `starts`, every row read (no test between them: the loads overlap).
#[inline(always)]
fn and_chunk<const C: usize>(words: &[u64], starts: &[usize], offset: usize) -> Option<[u64; C]> {
    let mut chunk = [u64::MAX; C];
    for &start in starts {
        let row = words.get(start + offset..)?.first_chunk::<C>()?;
        for (word, r) in chunk.iter_mut().zip(row) {
            *word &= r;
        }
    }
    Some(chunk)
}

/// Up to four words from `offset` of the AND of rows `width` words long
/// (fewer when the rows end sooner; the words past them are empty).
#[inline(always)]
fn and_up_to_four(words: &[u64], starts: &[usize], offset: usize, width: usize) -> Option<[u64; 4]> {
    Some(match width.checked_sub(offset)? {
        0 => [0; 4],
        1 => widen(&and_chunk::<1>(words, starts, offset)?),
        2 => widen(&and_chunk::<2>(words, starts, offset)?),
        3 => widen(&and_chunk::<3>(words, starts, offset)?),
        _ => and_chunk::<4>(words, starts, offset)?,
    })
}

/// Up to four words as four, the rest empty.
#[inline(always)]
fn widen(few: &[u64]) -> [u64; 4] {
    let mut four = [0; 4];
    for (w, &f) in four.iter_mut().zip(few) {
        *w = f;
    }
    four
}

/// The first of a leaf's members set in `chunk` (its words from
/// `offset` on) that lies below the best so far and holds, made the
/// best; `Some(true)` when the leaf's search is over (one was found, or
/// the members have reached the best so far or ended).
#[inline(always)]
fn scan_chunk<F: FnMut(CondId) -> bool>(
    chunk: &[u64; 4],
    offset: usize,
    members: &[LeafMember],
    search: &mut Search<F>,
) -> Option<bool> {
    for (w, &word) in (offset..).zip(chunk) {
        let mut bits = word;
        while bits != 0 {
            let k = w * 64 + bits.trailing_zeros() as usize;
            // Past the last member (a leaf with no rows to AND has every
            // bit set), or past the best so far.
            let Some(&LeafMember { position, verify }) = members.get(k) else { return Some(true) };
            if position >= search.best {
                return Some(true);
            }
            if verified(verify, &mut search.holds) {
                search.best = position;
                return Some(true);
            }
            bits &= bits - 1;
        }
    }
    Some(false)
}

impl Tree {
    fn first_of(&self, node: u32) -> u32 {
        self.nodes.get(node as usize).map_or(NONE, |n| n.first)
    }

    fn search<F: FnMut(CondId) -> bool>(&self, words: &[u64], node: u32, search: &mut Search<F>) -> Option<()> {
        let Some(&IndexNode { first, kind }) = self.nodes.get(node as usize) else {
            return Some(()); // NONE: an empty branch
        };
        if first >= search.best {
            return Some(());
        }
        match kind {
            Kind::Split { slot, children, rest } => {
                let class = search.classes.get(slot)?;
                let part = self.children.get(children as usize + class).copied().unwrap_or(NONE);
                // The branch that starts earlier first: what it finds
                // bounds the other.
                let (a, b) = if self.first_of(part) <= self.first_of(rest) { (part, rest) } else { (rest, part) };
                self.search(words, a, search)?;
                self.search(words, b, search)
            }
            Kind::Leaf { members, len, fields, field_count } => {
                let range = members as usize..(members as usize).checked_add(len as usize)?;
                let leaf = self.members.get(range)?;
                let fields =
                    self.leaf_fields.get(fields as usize..(fields as usize).checked_add(field_count as usize)?)?;
                self.search_leaf(words, leaf, fields, search)
            }
        }
    }

    /// A leaf's first candidate below the best so far that holds: the AND
    /// of its rows, four words (256 candidates) at a time. A leaf of at
    /// most four words (every leaf the splits make) ANDs each row as it
    /// finds it, with code for its width.
    #[inline]
    fn search_leaf<F: FnMut(CondId) -> bool>(
        &self,
        words: &[u64],
        leaf: &[LeafMember],
        fields: &[LeafField],
        search: &mut Search<F>,
    ) -> Option<()> {
        let width = leaf.len().div_ceil(64);
        let chunk = match width {
            0 => return Some(()),
            1 => widen(&self.leaf_and::<1>(words, fields, &search.classes)?),
            2 => widen(&self.leaf_and::<2>(words, fields, &search.classes)?),
            3 => widen(&self.leaf_and::<3>(words, fields, &search.classes)?),
            4 => self.leaf_and::<4>(words, fields, &search.classes)?,
            _ => return self.search_long_leaf(words, leaf, fields, search),
        };
        scan_chunk(&chunk, 0, leaf, search).map(|_| ())
    }

    /// The AND of a leaf's rows, `C` words each, for the lead's classes.
    #[inline(always)]
    fn leaf_and<const C: usize>(&self, words: &[u64], fields: &[LeafField], classes: &LeadClasses) -> Option<[u64; C]> {
        let mut chunk = [u64::MAX; C];
        for f in fields {
            let class = classes.get(f.slot)?;
            let start = self.row_starts.get(f.rows as usize + class).copied()? as usize;
            let row = words.get(start..)?.first_chunk::<C>()?;
            for (word, r) in chunk.iter_mut().zip(row) {
                *word &= r;
            }
        }
        Some(chunk)
    }

    /// [`Tree::search_leaf`] of a leaf longer than four words (one no
    /// split divided), a chunk at a time.
    #[inline(never)]
    fn search_long_leaf<F: FnMut(CondId) -> bool>(
        &self,
        words: &[u64],
        members: &[LeafMember],
        fields: &[LeafField],
        search: &mut Search<F>,
    ) -> Option<()> {
        let mut starts = [0usize; MAX_LEAF_FIELDS];
        for (start, f) in starts.iter_mut().zip(fields) {
            let class = search.classes.get(f.slot)?;
            *start = self.row_starts.get(f.rows as usize + class).copied()? as usize;
        }
        let starts = starts.get(..fields.len())?;
        let width = members.len().div_ceil(64);
        for offset in (0..width).step_by(4) {
            if members.get(offset * 64).is_none_or(|m| m.position >= search.best) {
                break;
            }
            let chunk = and_up_to_four(words, starts, offset, width)?;
            if scan_chunk(&chunk, offset, members, search)? {
                break;
            }
        }
        Some(())
    }

    /// The index laid out flat ([`Flat`]) when its root is a leaf; `None`
    /// else, or if a table does not hold what the leaf names.
    fn flat(&self, words: &[u64]) -> Option<Flat> {
        let &IndexNode { kind: Kind::Leaf { members, len, fields, field_count }, .. } =
            self.nodes.get(self.root as usize)?
        else {
            return None;
        };
        let fields = self.leaf_fields.get(fields as usize..(fields as usize).checked_add(field_count as usize)?)?;
        let (slots, starts): (Vec<&Slot>, Vec<&[u32]>) = fields
            .iter()
            .map(|f| {
                let slot = self.slots.get(f.slot as usize)?;
                Some((slot, self.row_starts.get(f.rows as usize..)?.get(..slot.classes.count())?))
            })
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .unzip();
        let leaf = self.members.get(members as usize..)?.get(..len as usize)?;
        let verify = leaf.iter().map(|m| m.verify).collect();
        let positions: Vec<u32> = leaf.iter().map(|m| m.position).collect();
        Flat::new((&slots, &starts), words, (len as usize).div_ceil(64), verify, &positions)
    }
}
