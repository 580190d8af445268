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
/// never reused. Bounded: once it holds [`Tails::MAX`] it is let go of,
/// and every tail after is written afresh (`spent`).
#[derive(Debug, Default)]
pub(crate) struct Tails {
    written: FxHashMap<TailKey, Tail>,
    /// Set once the map has filled up: a run with that many distinct
    /// tails (10,000 generated rules have some 25,000) finds each in cold
    /// memory, and writing it afresh was faster than the lookup (route
    /// eval at 10,000 rules: 0.908 of the time in 9 pairs), where with
    /// fewer the copy is faster (without it: 1.09× the time at 1,000
    /// rules, 1.18× at 100; docs/performance.md).
    spent: bool,
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
        if self.spent {
            write(out, decision);
            return;
        }
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
            self.written = FxHashMap::default();
            self.spent = true;
            return;
        }
        let bytes = out.get(start..).unwrap_or_default().into();
        self.written.insert(key, Tail { bytes });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Name;

    /// A decision of rule `rule` given to rep `rep`.
    fn decision(rule: usize, rep: usize) -> Decision {
        Decision {
            rule: Some(Name::from(format!("rule{rule}").as_str())),
            line: u32::try_from(rule).ok(),
            target: Some(TargetKind::Team),
            team: Some(Name::from("team")),
            assignee: Some(Name::from(format!("rep{rep}@acme.io").as_str())),
            strategy: Some("round_robin"),
            ..Decision::nowhere(format!("L{rule}"), Reason::Matched)
        }
    }

    fn write(out: &mut Vec<u8>, decision: &Decision) {
        out.extend_from_slice(format!("{:?}|{:?}|{:?}", decision.rule, decision.line, decision.assignee).as_bytes());
    }

    /// Until the map fills up tails are copied, after it written afresh;
    /// either way every tail is the bytes `write` gives.
    #[test]
    fn tails_are_copied_until_the_map_fills_up_then_written() {
        let mut tails = Tails::default();
        let decisions: Vec<Decision> = (0..Tails::MAX + 10).map(|i| decision(i, i % 3)).collect();
        for (i, d) in decisions.iter().chain(decisions.iter().take(5)).enumerate() {
            let (mut pushed, mut fresh) = (Vec::new(), Vec::new());
            tails.push(&mut pushed, d, write);
            write(&mut fresh, d);
            assert_eq!(pushed, fresh, "decision {i}");
            assert_eq!(tails.spent, i >= Tails::MAX, "decision {i}");
        }
        assert!(tails.written.is_empty());
        // Before it fills up, a tail seen before is copied, not written.
        let (mut fresh_tails, mut out, first) = (Tails::default(), Vec::new(), decision(0, 0));
        fresh_tails.push(&mut out, &first, write);
        fresh_tails.push(&mut out, &first, |out, _| out.extend_from_slice(b"written"));
        assert!(!String::from_utf8_lossy(&out).contains("written"));
    }
}
