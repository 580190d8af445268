//! Distribution: which eligible member of a team gets the lead
//! (LANGUAGE.md §6; the user's guide is `docs/distribution.md`).
//!
//! State (round-robin cursors, smooth-weighted credit, the random
//! generator) is an explicit value owned by the router, so the same input,
//! roster, state and seed always give the same assignments, and `--state`
//! can carry it from one run to the next.
//!
//! Every strategy picks among the members eligible *now*; none gives a
//! member credit for the leads it could not take while ineligible, so a
//! rep back from holiday is not flooded with a catch-up burst:
//!
//! - `round_robin`: the team's cursor moves past the member picked;
//!   ineligible members are stepped over, and simply come round again.
//! - `weighted`: smooth weighted round robin (nginx). Each pick, every
//!   eligible member gains its weight in credit, the richest (first in
//!   member order on a tie) is picked and pays the eligible total. With
//!   everyone eligible, every run of `sum(weights)` picks from a zero state
//!   gives each member exactly its weight, interleaved (3:1 is `a a b a`,
//!   not `a a a b`). An ineligible member's credit is frozen, so it comes
//!   back with at most the one cycle's credit it had, never a backlog.
//! - `load_balanced`: the lowest `open_leads / capacity` (exact fractions;
//!   ties go to the first in member order), counted up as leads are given.
//! - `random`: uniform over the eligible members, from a splitmix64
//!   generator seeded by `--seed` (identical on every platform).
//! - `sticky(FIELD)`: rendezvous (highest-random-weight) hashing of the
//!   key over the eligible members: a key keeps its rep while that rep is
//!   eligible, and removing one of N reps moves only that rep's ~1/N of
//!   the keys. A lead without a key is given by `round_robin` instead.
//! - `first_available`: the first eligible member in member order.

use crate::check::program::{Member, Strategy, TeamId};
use crate::eval::roster::Load;

/// Mutable distribution state for every team of one program.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistributionState {
    /// Per team: index of the member round robin tries next.
    pub cursors: Vec<usize>,
    /// Smooth weighted round-robin credit of every member of every team,
    /// team after team: one allocation, not one per team (`route serve`
    /// makes a state for every assignment).
    credits: Vec<i64>,
    /// Where each team's credits start in `credits`, and where the last ends.
    starts: Vec<usize>,
    /// Random generator state (`--seed`).
    pub rng: u64,
}

impl DistributionState {
    /// Fresh state for teams of the given sizes, seeded.
    pub fn new(team_sizes: &[usize], seed: u64) -> DistributionState {
        let mut starts = Vec::with_capacity(team_sizes.len() + 1);
        starts.push(0);
        for n in team_sizes {
            starts.push(starts.last().copied().unwrap_or(0) + n);
        }
        DistributionState {
            cursors: vec![0; team_sizes.len()],
            credits: vec![0; starts.last().copied().unwrap_or(0)],
            starts,
            rng: seed,
        }
    }

    /// Team `t`'s credits, one per member.
    pub fn credits(&self, t: usize) -> Option<&[i64]> {
        self.credits.get(*self.starts.get(t)?..*self.starts.get(t + 1)?)
    }

    /// Team `t`'s credits, to change.
    pub fn credits_mut(&mut self, t: usize) -> Option<&mut [i64]> {
        self.credits.get_mut(*self.starts.get(t)?..*self.starts.get(t + 1)?)
    }

    /// The next number of the generator.
    pub fn next_random(&mut self) -> u64 {
        splitmix64(&mut self.rng)
    }
}

/// splitmix64: tiny, fast, and the same on every platform; advances `state`
/// and returns the next value. The one generator of the code base (`random`,
/// and the deterministic generators of the tests).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a strategy may know about a team's members for one lead.
pub struct Candidates<'a> {
    /// Per member (in team order): whether they can take a lead now.
    pub eligible: &'a [bool],
    /// Member `i`'s current load (for `load_balanced`).
    pub load: &'a dyn Fn(usize) -> Load,
    /// The `sticky` key as text; `None` when the lead has none.
    pub key: Option<&'a str>,
}

/// Picks a member index among the eligible ones and updates `state`;
/// `None` when nobody is eligible (and then `state` is unchanged).
pub fn pick(
    state: &mut DistributionState,
    team: TeamId,
    members: &[Member],
    strategy: Strategy,
    candidates: &Candidates<'_>,
) -> Option<usize> {
    let eligible = candidates.eligible;
    let n = members.len().min(eligible.len());
    // The eligible members with their indices, in member order (`zip`
    // stops at the shorter of the two slices, i.e. after `n`).
    let eligible_members =
        || members.iter().zip(eligible).enumerate().filter(|&(_, (_, &ok))| ok).map(|(i, (member, _))| (i, member));
    let (first, _) = eligible_members().next()?;
    let t = team.0 as usize;
    match strategy {
        Strategy::RoundRobin => Some(round_robin(state, t, eligible, n)),
        Strategy::Sticky(_) => match candidates.key {
            Some(key) => eligible_members()
                // max_by_key keeps the last maximum: reverse the index so a
                // (vanishingly rare) tie goes to the first member.
                .max_by_key(|&(i, member)| (rendezvous(key, &member.id), std::cmp::Reverse(i)))
                .map(|(i, _)| i),
            None => Some(round_robin(state, t, eligible, n)),
        },
        Strategy::FirstAvailable => Some(first),
        Strategy::Weighted => smooth_weighted(state.credits_mut(t)?, members, eligible),
        Strategy::LoadBalanced => {
            let load = candidates.load;
            // min_by keeps the first minimum: ties go to member order.
            eligible_members().map(|(i, _)| i).min_by(|&a, &b| load(a).cmp(&load(b)))
        }
        Strategy::Random => {
            let count = eligible_members().count() as u64;
            let k = usize::try_from(state.next_random() % count).unwrap_or(0);
            eligible_members().nth(k).map(|(i, _)| i)
        }
    }
}

/// The first eligible member at or after the cursor; the cursor moves past it.
fn round_robin(state: &mut DistributionState, team: usize, eligible: &[bool], n: usize) -> usize {
    let cursor = state.cursors.get(team).copied().unwrap_or(0) % n;
    let chosen =
        (0..n).map(|k| (cursor + k) % n).find(|&i| eligible.get(i).copied().unwrap_or(false)).unwrap_or(cursor);
    if let Some(c) = state.cursors.get_mut(team) {
        *c = (chosen + 1) % n;
    }
    chosen
}

/// Smooth weighted round robin: every eligible member gains its weight,
/// the richest is picked and pays the eligible total, so the credits of
/// the eligible members keep their sum.
fn smooth_weighted(credit: &mut [i64], members: &[Member], eligible: &[bool]) -> Option<usize> {
    let mut total: i64 = 0;
    // The richest so far and its credit (a credit is final once its member
    // is passed: only the current member's slot changes in the loop).
    let mut best: Option<(usize, i64)> = None;
    for (i, member) in members.iter().enumerate() {
        if !eligible.get(i).copied().unwrap_or(false) {
            continue;
        }
        let weight = i64::from(member.weight);
        total += weight;
        let slot = credit.get_mut(i)?;
        *slot += weight;
        if best.is_none_or(|(_, richest)| *slot > richest) {
            best = Some((i, *slot));
        }
    }
    let (chosen, _) = best?;
    *credit.get_mut(chosen)? -= total;
    Some(chosen)
}

/// Rendezvous (highest random weight) score of a key for a member: the key
/// goes to the eligible member with the highest score, so removing one of N
/// members moves only the keys that member held (~1/N), and adding one
/// moves only the keys it now wins (~1/(N+1)).
pub fn rendezvous(key: &str, member: &str) -> u64 {
    // FNV-1a over key, separator, member: stable across runs and versions.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes().chain(std::iter::once(0xff)).chain(member.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Finalise (murmur3 fmix64) so similar inputs spread.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(weights: &[u32]) -> Vec<Member> {
        weights.iter().enumerate().map(|(i, &weight)| Member { id: format!("r{i}"), weight }).collect()
    }

    fn run(strategy: Strategy, members: &[Member], eligible: &[bool], n: usize) -> Vec<usize> {
        let mut state = DistributionState::new(&[members.len()], 7);
        let load = |_: usize| Load { open: 0, capacity: 1 };
        let candidates = Candidates { eligible, load: &load, key: None };
        (0..n).map(|_| pick(&mut state, TeamId(0), members, strategy, &candidates).unwrap()).collect()
    }

    #[test]
    fn weighted_interleaves() {
        let members = team(&[3, 1]);
        assert_eq!(run(Strategy::Weighted, &members, &[true, true], 8), [0, 0, 1, 0, 0, 0, 1, 0]);
        let members = team(&[5, 1, 1]);
        assert_eq!(run(Strategy::Weighted, &members, &[true; 3], 7), [0, 0, 1, 0, 2, 0, 0]);
    }

    #[test]
    fn round_robin_skips_the_ineligible() {
        let members = team(&[1, 1, 1]);
        assert_eq!(run(Strategy::RoundRobin, &members, &[true, false, true], 4), [0, 2, 0, 2]);
    }

    #[test]
    fn nobody_eligible_changes_nothing() {
        let members = team(&[1, 1]);
        let mut state = DistributionState::new(&[2], 1);
        let before = state.clone();
        let load = |_: usize| Load { open: 0, capacity: 1 };
        let candidates = Candidates { eligible: &[false, false], load: &load, key: None };
        for strategy in [Strategy::RoundRobin, Strategy::Weighted, Strategy::Random, Strategy::LoadBalanced] {
            assert_eq!(pick(&mut state, TeamId(0), &members, strategy, &candidates), None);
        }
        assert_eq!(state, before);
    }
}
