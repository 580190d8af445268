//! The fixed fields of the decision records written so far, as bytes: a
//! run's decisions have few distinct ones (a rule, its team, one of its
//! reps), so most records copy theirs instead of writing the eight fields
//! from `rule` to `reason` again. One [`Tails`] per output format: each
//! writer fills its own with its own spelling of those fields.

use rustc_hash::FxHashMap;

use crate::eval::{Decision, Reason, TargetKind};

/// The fields from `rule` to `reason` of the records written so far, keyed
/// by the names' addresses, not their text: the names are interned
/// (`eval::Name`), so equal names share one address and an address is
/// never reused. Bounded: emptied when it holds [`Tails::MAX`].
#[derive(Debug, Default)]
pub(crate) struct Tails {
    written: FxHashMap<TailKey, Tail>,
}

/// A decision's fixed fields, each name by its address (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TailKey {
    names: [usize; 4],
    strategy: usize,
    line: Option<u32>,
    target: Option<TargetKind>,
    fallback: bool,
    reason: Reason,
}

#[derive(Debug)]
struct Tail {
    bytes: Box<[u8]>,
}

impl Tails {
    /// Distinct tails kept at most (a few hundred kilobytes).
    const MAX: usize = 4096;

    /// Appends `decision`'s fields from `rule` to `reason`: the bytes
    /// `write` wrote for the same fields before, or what it writes now.
    pub(crate) fn push(&mut self, out: &mut Vec<u8>, decision: &Decision, write: fn(&mut Vec<u8>, &Decision)) {
        let names = [&decision.rule, &decision.team, &decision.queue, &decision.assignee];
        let key = TailKey {
            names: names.map(|name| name.as_ref().map_or(0, |name| name.as_ptr() as usize)),
            strategy: decision.strategy.map_or(0, |name| name.as_ptr() as usize),
            line: decision.line,
            target: decision.target,
            fallback: decision.fallback,
            reason: decision.reason,
        };
        if let Some(tail) = self.written.get(&key) {
            out.extend_from_slice(&tail.bytes);
            return;
        }
        let start = out.len();
        write(out, decision);
        if self.written.len() >= Self::MAX {
            self.written.clear();
        }
        let bytes = out.get(start..).unwrap_or_default().into();
        self.written.insert(key, Tail { bytes });
    }
}
