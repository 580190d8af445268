//! How the filter sorts a lead's values into classes, and the sets of
//! classes a rule's constraint allows.

use crate::compile::predicate::AtomForm;
use crate::strmap::StrMap;

/// How a field's values fall into classes.
#[derive(Debug, Clone)]
pub(super) enum Classes {
    /// Enum value `i` is class `i`; absent is class `n`.
    Enum(u32),
    /// `false` is class 0, `true` 1, absent 2.
    Bool,
    /// The `k`-th of these sorted string symbols is class `k`; any other
    /// string is class `K`, absent `K + 1`. `class_of` maps each symbol's
    /// text to its class, so a lead's string is classed in one lookup.
    Str { symbols: Box<[u32]>, class_of: StrMap<u32> },
    /// A number `x` is in class `i`, the number of cuts `<= x`; absent is
    /// class `cuts.len() + 1`.
    Interval { cuts: Box<[f64]>, integer: bool },
}

impl Classes {
    pub(super) fn count(&self) -> usize {
        match self {
            Classes::Enum(n) => *n as usize + 1,
            Classes::Bool => 3,
            Classes::Str { symbols, .. } => symbols.len() + 2,
            Classes::Interval { cuts, .. } => cuts.len() + 2,
        }
    }
}

/// How many of the sorted `cuts` are `<= x`. A few are counted, all of
/// them, without a branch: a binary search's steps each wait for the
/// load of the one before (a quarter of matching a lead at 100 rules went
/// to waiting on them), where every comparison of the count is
/// independent of the others.
#[inline(always)]
pub(in crate::compile) fn cuts_at_or_below(cuts: &[f64], x: f64) -> usize {
    if cuts.len() <= FEW_CUTS {
        cuts.iter().map(|&cut| usize::from(cut <= x)).sum()
    } else {
        cuts.partition_point(|&cut| cut <= x)
    }
}

/// Up to this many cuts are counted rather than searched.
const FEW_CUTS: usize = 16;

/// Sorted cut points padded with NaN to whole groups of four, which no
/// value is at or above: counted four at a time with no loop for the
/// rest (a third of a few cuts' count went to the rest's loop).
#[derive(Debug, Clone)]
pub(super) struct Cuts(Box<[f64]>);

impl Cuts {
    pub(super) fn new(cuts: &[f64]) -> Cuts {
        let mut padded = cuts.to_vec();
        padded.resize(cuts.len().next_multiple_of(4), f64::NAN);
        Cuts(padded.into())
    }

    /// [`cuts_at_or_below`] of the cuts (`x` not NaN).
    #[inline(always)]
    pub(super) fn at_or_below(&self, x: f64) -> usize {
        if self.0.len() <= FEW_CUTS {
            let count = |four: &[f64; 4]| four.iter().map(|&cut| usize::from(cut <= x)).sum::<usize>();
            self.0.as_chunks::<4>().0.iter().map(count).sum()
        } else {
            self.0.partition_point(|&cut| cut <= x)
        }
    }

    /// How many cuts there are, padding aside.
    pub(super) fn len(&self) -> usize {
        self.0.iter().filter(|cut| !cut.is_nan()).count()
    }
}

/// A set of classes of one field, as bits.
#[derive(Debug, Clone)]
pub(super) struct ClassSet(Vec<u64>);

impl ClassSet {
    pub(super) fn empty(n: usize) -> ClassSet {
        ClassSet(vec![0; n.div_ceil(64)])
    }

    pub(super) fn full(n: usize) -> ClassSet {
        let mut set = ClassSet::empty(n);
        set.insert_range(0, n);
        set
    }

    pub(super) fn insert(&mut self, class: usize) {
        if let Some(word) = self.0.get_mut(class / 64) {
            *word |= 1 << (class % 64);
        }
    }

    /// Inserts the classes `from..to`.
    pub(super) fn insert_range(&mut self, from: usize, to: usize) {
        for class in from..to {
            self.insert(class);
        }
    }

    pub(super) fn complement(&mut self, n: usize) {
        let all = ClassSet::full(n);
        for (word, mask) in self.0.iter_mut().zip(all.0) {
            *word = !*word & mask;
        }
    }

    pub(super) fn combine(&mut self, other: &ClassSet, union: bool) {
        for (word, o) in self.0.iter_mut().zip(&other.0) {
            *word = if union { *word | o } else { *word & o };
        }
    }

    /// How many classes it holds.
    pub(super) fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub(super) fn classes(&self) -> impl Iterator<Item = usize> + '_ {
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

/// The classes on which an atom of the field holds (absent never does).
pub(super) fn atom_classes(form: &AtomForm, classes: &Classes) -> ClassSet {
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

pub(super) fn set_bit(words: &mut [u64], i: usize) {
    if let Some(word) = words.get_mut(i / 64) {
        *word |= 1 << (i % 64);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{cuts_at_or_below, Cuts};

    proptest! {
        /// Counted or searched, padded or not, a value's class is the
        /// number of cuts at or below it, for any number of cuts (both
        /// sides of the switch between the two) and values on, between and
        /// beyond them.
        #[test]
        fn a_value_is_in_the_class_of_the_cuts_at_or_below_it(
            mut cuts in proptest::collection::vec(-50i32..50, 0..40),
            x in -60i32..60,
            half in any::<bool>(),
        ) {
            let mut cuts: Vec<f64> = cuts.drain(..).map(f64::from).collect();
            cuts.sort_by(f64::total_cmp);
            cuts.dedup();
            let x = f64::from(x) + if half { 0.5 } else { 0.0 };
            let count = cuts.iter().filter(|&&c| c <= x).count();
            prop_assert_eq!(cuts_at_or_below(&cuts, x), count);
            // Padded to whole fours with NaN, none of which counts.
            prop_assert_eq!(Cuts::new(&cuts).at_or_below(x), count);
            prop_assert_eq!(Cuts::new(&cuts).len(), cuts.len());
        }
    }
}
