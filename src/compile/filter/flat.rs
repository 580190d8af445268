//! The index that is one leaf (no split): how the filter searches up to a
//! few thousand candidates, laid out for the fewest instructions a lead.
//!
//! **Fields by kind.** A lead's value is classed and its row found in one
//! step per field, with the code for the field's kind only: the fields
//! are kept in one list per kind (enum, bool, string, number), each entry
//! holding the row of every class itself, so no class number is made and
//! looked up again, and no field pays a dispatch on the kind of another.
//! A string's row comes straight from a map of the rules' literals.
//!
//! **Short rows held whole.** Up to 128 candidates (two words) a class's
//! entry *is* its row, ANDed as soon as it is found: no table of where
//! rows start, no bounds check on the words.
//!
//! **Long rows by chunks.** Longer rows are ANDed four words (256
//! candidates) at a time over every field, without a test between fields:
//! the words of a chunk are independent, so the processor overlaps their
//! loads, where stopping at the first empty word tested (and mispredicted)
//! one word at a time. Rows are padded with empty words to whole chunks,
//! so a chunk never reads past its row.
//!
//! At 100 generated rules these took `Dag::route` from 910 to 644
//! instructions a lead (callgrind, the matching bench).

use rustc_hash::FxHashMap;

use super::fields::Fields;
use super::{and_chunk, verified, Slot, MAX_LEAF_FIELDS};
use crate::compile::predicate::CondId;
use crate::schema::Lead;

/// Words of a chunk when a row is longer than two words.
const WIDE_CHUNK: usize = 4;

/// Rows of at most `C` words (at most 128 candidates): held whole in the
/// field tables, so a lead's row is found and ANDed in one step.
type Narrow<const C: usize> = [u64; C];

/// Longer rows: where each starts in [`Rows::Wide`]'s words.
type Wide = u32;

/// The rows, by how long they are.
#[derive(Debug, Clone)]
enum Rows {
    One(Fields<Narrow<1>>),
    Two(Fields<Narrow<2>>),
    Wide {
        fields: Fields<Wide>,
        /// Every distinct row, padded with empty words to whole chunks
        /// of [`WIDE_CHUNK`] words.
        words: Box<[u64]>,
        /// Chunks a row.
        chunks: usize,
    },
}

/// One leaf over every candidate, laid out flat: its bits are its
/// members in order (candidates, or a candidate's alternatives), each
/// answering for its candidate's position.
#[derive(Debug, Clone)]
pub(super) struct Flat {
    rows: Rows,
    /// Per member (bit), what to evaluate when the rows allow it.
    verify: Box<[CondId]>,
    /// Per member, its candidate's position, when some candidate has
    /// several members (an `or` spread into its alternatives); `None` when
    /// bit `k` is candidate `k`.
    positions: Option<Box<[u32]>>,
}

impl Flat {
    /// The flat layout of a leaf ANDing `slots`, whose rows, `width` words
    /// each, start in `words` where `starts` say (per slot, per class);
    /// per member, what to verify and its candidate's position. `None`
    /// when a table does not hold what the leaf names (all or nothing: a
    /// field left out would leave its candidates' verification short of
    /// what the rows did not decide).
    pub(super) fn new(
        (slots, starts): (&[&Slot], &[&[u32]]),
        words: &[u64],
        width: usize,
        verify: Box<[CondId]>,
        positions: &[u32],
    ) -> Option<Flat> {
        if slots.len() > MAX_LEAF_FIELDS {
            return None;
        }
        let start = |k: usize, class: u32| starts.get(k)?.get(class as usize).copied();
        let row = |start: u32| words.get(start as usize..)?.get(..width);
        let rows = match width {
            0 | 1 => Rows::One(Fields::new(slots, |k, class| row(start(k, class)?)?.first_chunk().copied())?),
            2 => Rows::Two(Fields::new(slots, |k, class| row(start(k, class)?)?.first_chunk().copied())?),
            _ => {
                let chunks = width.div_ceil(WIDE_CHUNK);
                let mut padded = Padded { width: chunks * WIDE_CHUNK, words: Vec::new(), seen: FxHashMap::default() };
                let fields = Fields::new(slots, |k, class| {
                    let start = start(k, class)?;
                    padded.row(start, row(start)?)
                })?;
                Rows::Wide { fields, words: padded.words.into(), chunks }
            }
        };
        let identity = (0u32..).zip(positions).all(|(k, &p)| k == p);
        Some(Flat { rows, verify, positions: (!identity).then(|| positions.into()) })
    }

    /// The position of the first candidate that holds; `None` when a
    /// value cannot be classed (then scan the list).
    #[inline]
    pub(super) fn first(&self, lead: &Lead, mut holds: impl FnMut(CondId) -> bool) -> Option<Option<usize>> {
        match &self.rows {
            Rows::One(fields) => self.first_narrow(fields, lead, &mut holds),
            Rows::Two(fields) => self.first_narrow(fields, lead, &mut holds),
            Rows::Wide { fields, words, chunks } => {
                let mut starts = [0usize; MAX_LEAF_FIELDS];
                let mut out = starts.iter_mut();
                fields.each_row(lead, |start| {
                    *out.next()? = start as usize;
                    Some(())
                })?;
                let n = MAX_LEAF_FIELDS - out.len();
                self.scan_wide(words, *chunks, starts.get(..n)?, &mut holds)
            }
        }
    }

    /// [`Flat::first`] when rows are held whole: ANDed as they are found.
    #[inline(always)]
    fn first_narrow<const C: usize>(
        &self,
        fields: &Fields<Narrow<C>>,
        lead: &Lead,
        holds: &mut impl FnMut(CondId) -> bool,
    ) -> Option<Option<usize>> {
        let mut chunk = [u64::MAX; C];
        fields.each_row(lead, |row| {
            for (word, r) in chunk.iter_mut().zip(row) {
                *word &= r;
            }
            Some(())
        })?;
        self.first_set(&chunk, 0, holds)
    }

    /// The first candidate that holds, [`WIDE_CHUNK`] words of every row
    /// ANDed at a time.
    #[inline(always)]
    fn scan_wide(
        &self,
        words: &[u64],
        chunks: usize,
        starts: &[usize],
        holds: &mut impl FnMut(CondId) -> bool,
    ) -> Option<Option<usize>> {
        for k in 0..chunks {
            let offset = k * WIDE_CHUNK;
            let chunk = and_chunk::<WIDE_CHUNK>(words, starts, offset)?;
            if let Some(found) = self.first_set(&chunk, offset, holds)? {
                return Some(Some(found));
            }
        }
        Some(None)
    }

    /// The position of the first member that holds of those set in
    /// `chunk`, the words from `offset` on.
    #[inline(always)]
    fn first_set(&self, chunk: &[u64], offset: usize, holds: &mut impl FnMut(CondId) -> bool) -> Option<Option<usize>> {
        for (i, &word) in chunk.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let member = (offset + i) * 64 + bits.trailing_zeros() as usize;
                if member >= self.verify.len() {
                    // Past the last member: no rows to AND leave every
                    // bit set.
                    return Some(None);
                }
                if verified(*self.verify.get(member)?, holds) {
                    return match &self.positions {
                        None => Some(Some(member)),
                        Some(positions) => Some(Some(*positions.get(member)? as usize)),
                    };
                }
                bits &= bits - 1;
            }
        }
        Some(None)
    }

    /// Words (8 bytes each) its tables take.
    pub(super) fn size(&self) -> usize {
        let tables = match &self.rows {
            Rows::One(fields) => fields.size(1),
            Rows::Two(fields) => fields.size(2),
            Rows::Wide { fields, words, .. } => fields.size(1).div_ceil(2) + words.len(),
        };
        tables + self.verify.len().div_ceil(2) + self.positions.as_ref().map_or(0, |p| p.len().div_ceil(2))
    }

    pub(super) fn verify(&self) -> &[CondId] {
        &self.verify
    }
}

/// The tree's rows copied out, each padded with empty words to whole
/// chunks, each copied once.
struct Padded {
    /// Words a padded row.
    width: usize,
    words: Vec<u64>,
    /// Where each row already copied starts here, by where it starts in
    /// the tree's words.
    seen: FxHashMap<u32, u32>,
}

impl Padded {
    fn row(&mut self, start: u32, row: &[u64]) -> Option<u32> {
        if let Some(&at) = self.seen.get(&start) {
            return Some(at);
        }
        let at = u32::try_from(self.words.len()).ok()?;
        self.words.extend_from_slice(row);
        self.words.resize(self.words.len() + self.width.checked_sub(row.len())?, 0);
        self.seen.insert(start, at);
        Some(at)
    }
}
