//! The run summary (`--summary`): where leads went, and how fairly each
//! team's leads were shared against its members' weights. Totals always
//! balance: every lead in is counted exactly once out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::decision::{Decision, Reason};
use crate::check::Program;

/// Counts accumulated while routing.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    total: u64,
    by_reason: BTreeMap<&'static str, u64>,
    by_rule: BTreeMap<String, u64>,
    by_queue: BTreeMap<String, u64>,
    by_assignee: BTreeMap<String, u64>,
    /// Team name -> member -> leads the team gave that member.
    by_team: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Tally {
    /// Counts one decision.
    pub fn observe(&mut self, decision: &Decision) {
        self.total += 1;
        *self.by_reason.entry(decision.reason.as_str()).or_default() += 1;
        if let Some(rule) = &decision.rule {
            *self.by_rule.entry(rule.clone()).or_default() += 1;
        }
        if let Some(queue) = &decision.queue {
            *self.by_queue.entry(queue.clone()).or_default() += 1;
        }
        if let Some(rep) = &decision.assignee {
            *self.by_assignee.entry(rep.clone()).or_default() += 1;
            if let Some(team) = &decision.team {
                *self.by_team.entry(team.clone()).or_default().entry(rep.clone()).or_default() += 1;
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
                let given = self.by_team.get(&team.name)?;
                let total: u64 = given.values().sum();
                let weights: u64 = team.members.iter().map(|m| u64::from(m.weight)).sum();
                let members: Vec<MemberShare> = team
                    .members
                    .iter()
                    .map(|m| {
                        let leads = given.get(&m.id).copied().unwrap_or(0);
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
                Some(TeamSummary { team: team.name.clone(), leads: total, members, worst_deviation: worst })
            })
            .collect();
        Summary {
            total_in: self.total,
            total_out: self.by_reason.values().sum(),
            matched: count(Reason::Matched),
            fallback: count(Reason::Fallback),
            no_eligible_member: count(Reason::NoEligibleMember),
            no_rule_matched: count(Reason::NoRuleMatched),
            invalid: count(Reason::Invalid),
            rules: self.by_rule.clone(),
            queues: self.by_queue.clone(),
            assignees: self.by_assignee.clone(),
            teams,
        }
    }
}

/// The summary as printed (`--summary json` serialises exactly this).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Leads read.
    pub total_in: u64,
    /// Decisions written (always equal to `total_in`).
    pub total_out: u64,
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
    /// Leads per matching rule id.
    pub rules: BTreeMap<String, u64>,
    /// Leads per queue.
    pub queues: BTreeMap<String, u64>,
    /// Leads per rep, all routes together.
    pub assignees: BTreeMap<String, u64>,
    /// Per team that received leads: each member's share against its weight.
    pub teams: Vec<TeamSummary>,
}

/// One team's distribution.
#[derive(Debug, Clone, Serialize)]
pub struct TeamSummary {
    /// The team.
    pub team: String,
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
    /// The summary for people; `bars` adds a bar chart per team (on a terminal).
    pub fn render(&self, bars: bool) -> String {
        let mut out = String::new();
        let balance = if self.total_in == self.total_out { "ok" } else { "MISMATCH" };
        let _ = writeln!(out, "leads in: {}, decisions out: {} ({balance})", self.total_in, self.total_out);
        let _ = writeln!(
            out,
            "  matched {}, fallback {}, no eligible member {}, no rule matched {}, invalid {}",
            self.matched, self.fallback, self.no_eligible_member, self.no_rule_matched, self.invalid
        );
        let _ = writeln!(out, "rules:");
        for (rule, n) in &self.rules {
            let _ = writeln!(out, "  {rule:<32} {n:>8}");
        }
        if !self.queues.is_empty() {
            let _ = writeln!(out, "queues:");
            for (queue, n) in &self.queues {
                let _ = writeln!(out, "  {queue:<32} {n:>8}");
            }
        }
        for team in &self.teams {
            let _ = writeln!(
                out,
                "team {} ({} leads, worst deviation {:.1} pts):",
                team.team,
                team.leads,
                team.worst_deviation * 100.0
            );
            for m in &team.members {
                let bar =
                    if bars { format!(" {}", "█".repeat((m.share * 30.0).round() as usize)) } else { String::new() };
                let _ = writeln!(
                    out,
                    "  {:<28} w{:<3} {:>8} {:>6.1}% (expected {:>5.1}%){bar}",
                    m.rep,
                    m.weight,
                    m.leads,
                    m.share * 100.0,
                    m.expected * 100.0
                );
            }
        }
        out
    }
}
