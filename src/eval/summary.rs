//! The run summary (`--summary`): where leads went, and how fairly each
//! team's leads were shared against its members' weights.
//!
//! Totals balance: `total_out` is counted by destination (a team, a rep, a
//! queue, or nowhere for an invalid lead without `on invalid`), separately
//! from `total_in`, so a lead lost or counted twice would show as a
//! mismatch.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::decision::{Decision, Name, Reason, Secondary, TargetKind};
use crate::check::program::{Target, SPLIT_BUCKETS};
use crate::check::Program;

/// Counts accumulated while routing.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    total: u64,
    to_team: u64,
    to_rep: u64,
    to_queue: u64,
    nowhere: u64,
    unrouted: u64,
    by_reason: BTreeMap<&'static str, u64>,
    by_rule: BTreeMap<Name, u64>,
    by_queue: BTreeMap<Name, u64>,
    by_assignee: BTreeMap<Name, u64>,
    /// Team name -> member -> leads the team gave that member.
    by_team: BTreeMap<Name, BTreeMap<Name, u64>>,
    /// Team name -> strategies it was used with.
    strategies: BTreeMap<Name, Vec<&'static str>>,
    /// Split name -> arm (from 1) -> leads.
    by_arm: BTreeMap<String, BTreeMap<u32, u64>>,
    /// Second owners (`with`): who took the second place.
    secondary: SecondaryCounts,
    /// Invalid leads by the field at fault (none: the record could not be
    /// read) and the problem.
    invalid_by: BTreeMap<(Option<String>, &'static str), u64>,
}

impl Tally {
    /// Counts one decision.
    pub fn observe(&mut self, decision: &Decision) {
        self.total += 1;
        match decision.target {
            Some(TargetKind::Team) => self.to_team += 1,
            Some(TargetKind::Rep) => self.to_rep += 1,
            Some(TargetKind::Queue) => self.to_queue += 1,
            None => self.nowhere += 1,
        }
        if let Some(split) = &decision.split {
            *self.by_arm.entry(split.name.clone()).or_default().entry(split.arm).or_default() += 1;
        }
        if let Some(secondary) = &decision.secondary {
            self.secondary.observe(secondary);
        }
        let unrouted =
            matches!(decision.reason, Reason::NoEligibleMember | Reason::NoRuleMatched) || decision.target.is_none();
        self.unrouted += u64::from(unrouted);
        *self.by_reason.entry(decision.reason.as_str()).or_default() += 1;
        if let Some(error) = &decision.error {
            *self.invalid_by.entry((error.field.clone(), crate::io::problem(error))).or_default() += 1;
        }
        if let Some(rule) = &decision.rule {
            *self.by_rule.entry(*rule).or_default() += 1;
        }
        if let Some(queue) = &decision.queue {
            *self.by_queue.entry(*queue).or_default() += 1;
        }
        if let Some(rep) = &decision.assignee {
            *self.by_assignee.entry(*rep).or_default() += 1;
            if let Some(team) = &decision.team {
                *self.by_team.entry(*team).or_default().entry(*rep).or_default() += 1;
                if let Some(strategy) = decision.strategy {
                    let used = self.strategies.entry(*team).or_default();
                    if !used.contains(&strategy) {
                        used.push(strategy);
                    }
                }
            }
        }
    }

    /// The summary, with fairness computed against the program's weights.
    pub fn summary(&self, program: &Program) -> Summary {
        let count = |reason: Reason| self.by_reason.get(reason.as_str()).copied().unwrap_or(0);
        let teams = program
            .teams
            .iter()
            .filter_map(|team| {
                let given = self.by_team.get(team.name.as_str())?;
                let total: u64 = given.values().sum();
                let weights: u64 = team.members.iter().map(|m| u64::from(m.weight)).sum();
                let members: Vec<MemberShare> = team
                    .members
                    .iter()
                    .map(|m| {
                        let leads = given.get(m.id.as_str()).copied().unwrap_or(0);
                        let expected = if weights == 0 { 0.0 } else { f64::from(m.weight) / weights as f64 };
                        let share = if total == 0 { 0.0 } else { leads as f64 / total as f64 };
                        MemberShare {
                            rep: m.id.clone(),
                            weight: m.weight,
                            leads,
                            share,
                            expected,
                            deviation: share - expected,
                        }
                    })
                    .collect();
                let worst = members.iter().map(|m| m.deviation.abs()).fold(0.0, f64::max);
                Some(TeamSummary {
                    team: team.name.clone(),
                    strategies: self.strategies.get(team.name.as_str()).cloned().unwrap_or_default(),
                    leads: total,
                    members,
                    worst_deviation: worst,
                })
            })
            .collect();
        Summary {
            total_in: self.total,
            total_out: self.to_team + self.to_rep + self.to_queue + self.nowhere,
            to_team: self.to_team,
            to_rep: self.to_rep,
            to_queue: self.to_queue,
            nowhere: self.nowhere,
            unrouted: self.unrouted,
            matched: count(Reason::Matched),
            fallback: count(Reason::Fallback),
            no_eligible_member: count(Reason::NoEligibleMember),
            no_rule_matched: count(Reason::NoRuleMatched),
            invalid: count(Reason::Invalid),
            rules: RuleCounts(
                program
                    .rules
                    .iter()
                    .map(|rule| (rule.name.clone(), self.by_rule.get(rule.name.as_str()).copied().unwrap_or(0)))
                    .collect(),
            ),
            invalid_by_field: self.invalid_counts(),
            queues: self.by_queue.iter().map(|(queue, &n)| (queue.to_string(), n)).collect(),
            assignees: self.by_assignee.iter().map(|(rep, &n)| (rep.to_string(), n)).collect(),
            teams,
            splits: self.splits(program),
            secondaries: (self.secondary.leads > 0).then(|| self.secondary.clone()),
        }
    }

    /// Each split that took leads: every arm as written, its leads and its
    /// share of the split's leads beside the share asked for.
    fn splits(&self, program: &Program) -> Vec<SplitSummary> {
        let actions = program.actions();
        let mut out: Vec<SplitSummary> = Vec::new();
        for split in actions.filter_map(|a| match &a.target {
            Target::Split(split) => Some(split),
            _ => None,
        }) {
            let Some(counts) = self.by_arm.get(&split.name) else { continue };
            if out.iter().any(|s| s.split == split.name) {
                continue;
            }
            let leads: u64 = counts.values().sum();
            let arms = (1u32..)
                .zip(&split.arms)
                .map(|(arm, written)| {
                    let n = counts.get(&arm).copied().unwrap_or(0);
                    ArmShare {
                        arm,
                        leads: n,
                        share: if leads == 0 { 0.0 } else { n as f64 / leads as f64 },
                        expected: f64::from(written.share) / f64::from(SPLIT_BUCKETS),
                    }
                })
                .collect();
            out.push(SplitSummary { split: split.name.clone(), leads, arms });
        }
        out
    }

    /// Invalid leads per field and problem, most first.
    fn invalid_counts(&self) -> Vec<InvalidCount> {
        let mut counts: Vec<InvalidCount> = self
            .invalid_by
            .iter()
            .map(|((field, problem), &leads)| InvalidCount { field: field.clone(), problem, leads })
            .collect();
        // Stable: ties stay in field order.
        counts.sort_by_key(|count| std::cmp::Reverse(count.leads));
        counts
    }
}

/// Counts of second owners (`with`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SecondaryCounts {
    /// Leads whose rule has a second owner.
    pub leads: u64,
    /// Of those, the second owner found by a fallback of the `with` chain.
    pub fallback: u64,
    /// Of those, nobody eligible for the second place (`queue unassigned`).
    pub no_eligible_member: u64,
    /// Second owners per team.
    pub teams: BTreeMap<String, u64>,
    /// Second owners per rep.
    pub assignees: BTreeMap<String, u64>,
    /// Second places given to a queue, per queue.
    pub queues: BTreeMap<String, u64>,
}

impl SecondaryCounts {
    fn observe(&mut self, secondary: &Secondary) {
        self.leads += 1;
        self.fallback += u64::from(secondary.fallback);
        self.no_eligible_member += u64::from(secondary.reason == Reason::NoEligibleMember);
        let count = |map: &mut BTreeMap<String, u64>, key: &Option<Name>| {
            if let Some(key) = key.as_deref() {
                // Copied only the first time a key is seen.
                if let Some(n) = map.get_mut(key) {
                    *n += 1;
                } else {
                    map.insert(key.to_string(), 1);
                }
            }
        };
        count(&mut self.teams, &secondary.team);
        count(&mut self.assignees, &secondary.assignee);
        count(&mut self.queues, &secondary.queue);
    }
}

/// One split's arms.
#[derive(Debug, Clone, Serialize)]
pub struct SplitSummary {
    /// The split's name.
    pub split: String,
    /// Leads it sent to an arm.
    pub leads: u64,
    /// Per arm, in the order written.
    pub arms: Vec<ArmShare>,
}

/// One arm's share.
#[derive(Debug, Clone, Serialize)]
pub struct ArmShare {
    /// The arm, from 1.
    pub arm: u32,
    /// Leads it received.
    pub leads: u64,
    /// Fraction of the split's leads.
    pub share: f64,
    /// Fraction its share asks for.
    pub expected: f64,
}

/// The summary as printed (`--summary json` serialises exactly this).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Leads read.
    pub total_in: u64,
    /// Decisions out, counted by destination (always equal to `total_in`).
    pub total_out: u64,
    /// Taken by a team member.
    pub to_team: u64,
    /// Taken by a rep named by a rule (`rep "id"`, `rep LOOKUP[FIELD]`).
    pub to_rep: u64,
    /// Put in a queue (`queue unassigned` included).
    pub to_queue: u64,
    /// Invalid leads with no `on invalid` rule (`target` null).
    pub nowhere: u64,
    /// Leads nobody was chosen for: `no_eligible_member`,
    /// `no_rule_matched`, and invalid leads with no `on invalid` rule.
    pub unrouted: u64,
    /// Taken by the matching rule's target.
    pub matched: u64,
    /// Taken by a fallback.
    pub fallback: u64,
    /// Matched, but nobody in the chain was eligible (to `queue unassigned`).
    pub no_eligible_member: u64,
    /// No rule matched (to `queue unassigned`).
    pub no_rule_matched: u64,
    /// Invalid data.
    pub invalid: u64,
    /// The invalid leads by field and problem, most first.
    pub invalid_by_field: Vec<InvalidCount>,
    /// Leads per rule, every rule in policy order (zero hits included: a
    /// rule that never fires is news).
    pub rules: RuleCounts,
    /// Leads per queue.
    pub queues: BTreeMap<String, u64>,
    /// Leads per rep, all routes together.
    pub assignees: BTreeMap<String, u64>,
    /// Per team that received leads: each member's share against its weight.
    pub teams: Vec<TeamSummary>,
    /// Per split that received leads: each arm's count and share (absent
    /// when no split took a lead).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub splits: Vec<SplitSummary>,
    /// Second owners (absent when no rule with `with` matched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondaries: Option<SecondaryCounts>,
}

/// Rule name and leads matched, in policy order; serialised as a JSON
/// object whose keys keep that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCounts(pub Vec<(String, u64)>);

impl Serialize for RuleCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, n)| (name, n)))
    }
}

/// Invalid leads with one problem in one field.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidCount {
    /// The field at fault; null when the record could not be read at all
    /// (a ragged row, a line that is not JSON).
    pub field: Option<String>,
    /// `missing` (a required field absent), `bad value` (a value not of
    /// the field's type) or `unreadable`.
    pub problem: &'static str,
    /// How many leads.
    pub leads: u64,
}

/// One team's distribution.
#[derive(Debug, Clone, Serialize)]
pub struct TeamSummary {
    /// The team.
    pub team: String,
    /// The strategies it handed leads out by, in order of first use.
    pub strategies: Vec<&'static str>,
    /// Leads the team handed out.
    pub leads: u64,
    /// Per member, in team order.
    pub members: Vec<MemberShare>,
    /// The largest |share - expected| of any member (0.05 = 5 points).
    pub worst_deviation: f64,
}

/// One member's share.
#[derive(Debug, Clone, Serialize)]
pub struct MemberShare {
    /// Rep id.
    pub rep: String,
    /// Weight in the team.
    pub weight: u32,
    /// Leads received through this team.
    pub leads: u64,
    /// Fraction of the team's leads.
    pub share: f64,
    /// Fraction its weight asks for.
    pub expected: f64,
    /// `share - expected`.
    pub deviation: f64,
}

impl Summary {
    /// The summary for people; `bars` adds a bar chart per team (on a
    /// terminal), scaled so that a member's expected share reaches the
    /// `|` mark.
    pub fn render(&self, bars: bool) -> String {
        let mut out = String::new();
        let balance = if self.total_in == self.total_out { "balanced" } else { "MISMATCH" };
        let _ = writeln!(out, "leads in {}, out {} ({balance})", self.total_in, self.total_out);
        let _ = writeln!(
            out,
            "  to a team {}, to a rep {}, to a queue {}, nowhere {}",
            self.to_team, self.to_rep, self.to_queue, self.nowhere
        );
        let _ = writeln!(
            out,
            "  matched {}, fallback {}, no eligible member {}, no rule matched {}, invalid {}; unrouted {}",
            self.matched, self.fallback, self.no_eligible_member, self.no_rule_matched, self.invalid, self.unrouted
        );
        if !self.invalid_by_field.is_empty() {
            let parts: Vec<String> = self
                .invalid_by_field
                .iter()
                .map(|c| match &c.field {
                    Some(field) => format!("{field} {} {}", c.problem, c.leads),
                    None => format!("{} records {}", c.problem, c.leads),
                })
                .collect();
            let _ = writeln!(out, "  invalid {}: {}", self.invalid, parts.join(", "));
        }
        let rules = self.rules.0.iter().map(|(name, n)| (name, n));
        render_counts(&mut out, "rules", rules.collect());
        render_counts(&mut out, "queues", self.queues.iter().collect());
        render_counts(&mut out, "assignees", self.assignees.iter().collect());
        for team in &self.teams {
            let _ = writeln!(
                out,
                "team {} ({}; {} lead{}; worst deviation {:.1} pts):",
                team.team,
                team.strategies.join(", "),
                team.leads,
                plural(team.leads),
                team.worst_deviation * 100.0
            );
            let width = team.members.iter().map(|m| m.rep.chars().count()).max().unwrap_or(0).max(12);
            let scale = team.members.iter().map(|m| m.share.max(m.expected)).fold(0.0, f64::max);
            for m in &team.members {
                let bar = if bars { bar(m.share, m.expected, scale) } else { String::new() };
                let _ = writeln!(
                    out,
                    "  {:<width$} w{:<3} {:>8} {:>6.1}% (expected {:>5.1}%, {:>+5.1} pts){bar}",
                    m.rep,
                    m.weight,
                    m.leads,
                    m.share * 100.0,
                    m.expected * 100.0,
                    m.deviation * 100.0
                );
            }
        }
        for split in &self.splits {
            let _ = writeln!(out, "split {} ({} lead{}):", split.split, split.leads, plural(split.leads));
            for arm in &split.arms {
                let _ = writeln!(
                    out,
                    "  arm {:<8} {:>8} {:>6.1}% (expected {:>5.1}%)",
                    arm.arm,
                    arm.leads,
                    arm.share * 100.0,
                    arm.expected * 100.0
                );
            }
        }
        if let Some(second) = &self.secondaries {
            let _ = writeln!(
                out,
                "second owners: {} lead{}, fallback {}, no eligible member {}",
                second.leads,
                plural(second.leads),
                second.fallback,
                second.no_eligible_member
            );
            render_counts(&mut out, "second owners by team", second.teams.iter().collect());
            render_counts(&mut out, "second owners by rep", second.assignees.iter().collect());
            render_counts(&mut out, "second places in queues", second.queues.iter().collect());
        }
        out
    }
}

/// The `s` of "leads" for `n` of them.
fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// One titled section of name/count lines (nothing when empty).
fn render_counts(out: &mut String, title: &str, counts: Vec<(&String, &u64)>) {
    if counts.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:");
    let width = counts.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0).max(12);
    for (name, n) in counts {
        let _ = writeln!(out, "  {name:<width$} {n:>8}");
    }
}

/// A 30-column bar for `share`, with `|` where `expected` falls.
fn bar(share: f64, expected: f64, scale: f64) -> String {
    const WIDTH: f64 = 30.0;
    if scale <= 0.0 {
        return String::new();
    }
    let filled = (share / scale * WIDTH).round() as usize;
    let mark = (expected / scale * WIDTH).round() as usize;
    let mut bar = String::from("  ");
    for i in 0..filled.max(mark + 1) {
        bar.push(if i == mark {
            '|'
        } else if i < filled {
            '█'
        } else {
            ' '
        });
    }
    bar.trim_end().to_string()
}
