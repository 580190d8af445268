//! Distribution: which eligible member of a team gets the lead.
//!
//! State (round-robin cursors, smooth-weighted current weights, the random
//! generator, leads assigned per rep) is an explicit value owned by the
//! router, so the same input, roster, state and seed always give the same
//! assignments, and `--state` can carry it from one run to the next.
//!
//! Fairness under change: a member who is not eligible is skipped without
//! accumulating credit (its smooth-weighted current weight does not grow),
//! so a rep back from holiday is not flooded with a catch-up burst, and a
//! newcomer starts at zero credit rather than at the front of the queue.

use crate::check::program::{Member, Strategy, TeamId};
use crate::schema::Value;

/// Mutable distribution state for every team of one program.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistributionState {
    /// Per team: index of the member round robin tries next.
    pub cursors: Vec<usize>,
    /// Per team, per member: smooth weighted round-robin current weight.
    pub current_weights: Vec<Vec<i64>>,
    /// Random generator state (`--seed`).
    pub rng: u64,
}

impl DistributionState {
    /// Fresh state for teams of the given sizes, seeded.
    pub fn new(team_sizes: &[usize], seed: u64) -> DistributionState {
        DistributionState {
            cursors: vec![0; team_sizes.len()],
            current_weights: team_sizes.iter().map(|&n| vec![0; n]).collect(),
            rng: seed,
        }
    }

    fn next_random(&mut self) -> u64 {
        // splitmix64: tiny, fast, and reproducible across platforms.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// What a strategy may ask about a member.
pub struct Eligibility<'a> {
    /// Whether member `i` can take a lead now.
    pub eligible: &'a dyn Fn(usize) -> bool,
    /// Member `i`'s open leads over capacity (for `load_balanced`).
    pub load: &'a dyn Fn(usize) -> f64,
}

/// Picks a member index among the eligible ones; `None` when nobody is
/// eligible. `key` is the sticky field's value.
pub fn pick(
    state: &mut DistributionState,
    team: TeamId,
    members: &[Member],
    strategy: Strategy,
    members_ok: &Eligibility<'_>,
    key: Option<&Value>,
) -> Option<usize> {
    let eligible = members_ok.eligible;
    let n = members.len();
    let candidates: Vec<usize> = (0..n).filter(|&i| eligible(i)).collect();
    if candidates.is_empty() {
        return None;
    }
    let t = team.0 as usize;
    match strategy {
        Strategy::RoundRobin => {
            let cursor = state.cursors.get(t).copied().unwrap_or(0) % n;
            let chosen = (0..n).map(|k| (cursor + k) % n).find(|&i| eligible(i))?;
            if let Some(c) = state.cursors.get_mut(t) {
                *c = (chosen + 1) % n;
            }
            Some(chosen)
        }
        Strategy::FirstAvailable => candidates.first().copied(),
        Strategy::Weighted => smooth_weighted(state.current_weights.get_mut(t)?, members, &candidates),
        Strategy::LoadBalanced => {
            let load = members_ok.load;
            candidates.iter().copied().min_by(|&a, &b| load(a).total_cmp(&load(b)).then(a.cmp(&b)))
        }
        Strategy::Random => {
            let r = state.next_random();
            candidates.get(usize::try_from(r % candidates.len() as u64).unwrap_or(0)).copied()
        }
        Strategy::Sticky(_) => {
            let key = sticky_key(key);
            candidates.iter().copied().max_by_key(|&i| (rendezvous(&key, &members[i].id), std::cmp::Reverse(i)))
        }
    }
}

/// Smooth weighted round robin (nginx): every eligible member gains its
/// weight, the richest is picked and pays the eligible total. Over any
/// whole cycle each member gets exactly its weight's share, interleaved.
fn smooth_weighted(weights: &mut [i64], members: &[Member], candidates: &[usize]) -> Option<usize> {
    let total: i64 = candidates.iter().map(|&i| i64::from(members[i].weight)).sum();
    let mut best: Option<usize> = None;
    for &i in candidates {
        let slot = weights.get_mut(i)?;
        *slot += i64::from(members[i].weight);
        if best.is_none_or(|b| weights[i] > weights[b]) {
            best = Some(i);
        }
    }
    let chosen = best?;
    weights[chosen] -= total;
    Some(chosen)
}

/// The sticky key as text; an absent key is the empty string (all leads
/// without a key share one rep).
fn sticky_key(value: Option<&Value>) -> String {
    match value {
        Some(Value::Str(s)) => s.to_string(),
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::Float(f)) => f.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Enum(e)) => e.to_string(),
        _ => String::new(),
    }
}

/// Rendezvous (highest random weight) score of a key for a member: removing
/// one of N members moves only the keys that member held (~1/N).
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
