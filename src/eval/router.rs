//! Routes one lead: the DAG picks the rule (pure), then the rule's action
//! walks its target and fallbacks until someone eligible takes the lead.
//! No lead is ever dropped: with nobody eligible it goes to
//! `queue unassigned`.

use rustc_hash::FxHashMap;

use super::decision::{Decision, LeadError, Reason, TargetKind};
use super::roster::Roster;
use super::state::{SavedRep, SavedState, SavedTeam};
use super::strategy::{self, DistributionState};
use crate::check::program::{Action, Program, RuleId, Target};
use crate::compile::Dag;
use crate::schema::{Lead, Value};

/// The queue that takes leads nothing else took.
pub const UNASSIGNED: &str = "unassigned";

/// Routes leads of one run, carrying distribution state between them.
pub struct Router<'p> {
    program: &'p Program,
    dag: &'p Dag,
    roster: &'p Roster,
    now: jiff::Timestamp,
    state: DistributionState,
    /// Leads assigned to each rep during this run (capacity and load).
    assigned: FxHashMap<String, u64>,
}

/// Who took a lead.
struct Taken {
    kind: TargetKind,
    team: Option<String>,
    queue: Option<String>,
    assignee: Option<String>,
    strategy: Option<&'static str>,
}

impl<'p> Router<'p> {
    /// A router with fresh state; eligibility is judged at `now`, and
    /// `seed` drives `random`.
    pub fn new(program: &'p Program, dag: &'p Dag, roster: &'p Roster, now: jiff::Timestamp, seed: u64) -> Router<'p> {
        let sizes: Vec<usize> = program.teams.iter().map(|t| t.members.len()).collect();
        Router {
            program,
            dag,
            roster,
            now,
            state: DistributionState::new(&sizes, seed),
            assigned: FxHashMap::default(),
        }
    }

    /// Continues from a saved state (see [`super::state`] for how changes to
    /// teams and the roster are absorbed).
    pub fn restore(&mut self, saved: &SavedState) {
        if let Some(rng) = saved.rng {
            self.state.rng = rng;
        }
        for (t, team) in self.program.teams.iter().enumerate() {
            let Some(saved_team) = saved.teams.get(&team.name) else { continue };
            let position = |id: &str| team.members.iter().position(|m| m.id == id);
            let cursor = saved_team.next.as_deref().and_then(|next| {
                position(next).or_else(|| {
                    // The next member left: resume at the first survivor after it.
                    let from = saved_team.members.iter().position(|m| m == next)?;
                    let n = saved_team.members.len();
                    (1..n).find_map(|k| position(&saved_team.members[(from + k) % n]))
                })
            });
            if let Some(slot) = self.state.cursors.get_mut(t) {
                *slot = cursor.unwrap_or(0);
            }
            if let Some(weights) = self.state.current_weights.get_mut(t) {
                for (slot, member) in weights.iter_mut().zip(&team.members) {
                    *slot = saved_team.weights.get(&member.id).copied().unwrap_or(0);
                }
            }
        }
        for (rep, counted) in &saved.reps {
            let basis = self.roster.status(rep).map_or(0, |s| s.open_leads);
            if counted.open_leads_basis == basis && counted.assigned > 0 {
                self.assigned.insert(rep.clone(), counted.assigned);
            }
        }
    }

    /// The state to save for the next run.
    pub fn capture(&self) -> SavedState {
        let teams = self
            .program
            .teams
            .iter()
            .enumerate()
            .map(|(t, team)| {
                let cursor = self.state.cursors.get(t).copied().unwrap_or(0);
                let weights = self.state.current_weights.get(t);
                let saved = SavedTeam {
                    members: team.members.iter().map(|m| m.id.clone()).collect(),
                    next: team.members.get(cursor).map(|m| m.id.clone()),
                    weights: team
                        .members
                        .iter()
                        .enumerate()
                        .filter_map(|(i, m)| Some((m.id.clone(), *weights?.get(i)?)))
                        .filter(|(_, w)| *w != 0)
                        .collect(),
                };
                (team.name.clone(), saved)
            })
            .collect();
        let reps = self
            .assigned
            .iter()
            .map(|(rep, &assigned)| {
                let open_leads_basis = self.roster.status(rep).map_or(0, |s| s.open_leads);
                (rep.clone(), SavedRep { assigned, open_leads_basis })
            })
            .collect();
        SavedState { version: super::state::VERSION, rng: Some(self.state.rng), teams, reps }
    }

    /// Leads assigned to each rep so far (this run, plus a restored state's).
    pub fn assigned(&self) -> &FxHashMap<String, u64> {
        &self.assigned
    }

    /// The rule a lead matches, without distributing it.
    pub fn match_rule(&self, lead: &Lead) -> Option<RuleId> {
        self.dag.route(lead, &self.program.lookups)
    }

    /// Routes a valid lead.
    pub fn route(&mut self, id: String, lead: &Lead) -> Decision {
        let Some(rule_id) = self.match_rule(lead) else {
            return unassigned(id, None, None, Reason::NoRuleMatched);
        };
        let rule = self.program.rule(rule_id);
        let (name, line) = (Some(rule.name.clone()), Some(rule.line));
        match self.take(&rule.action, Some(lead)) {
            Some((taken, fallback)) => decision(id, name, line, taken, fallback, None),
            None => unassigned(id, name, line, Reason::NoEligibleMember),
        }
    }

    /// Routes an invalid lead: by `on invalid` when declared, else nowhere.
    pub fn route_invalid(&mut self, id: String, error: LeadError) -> Decision {
        let taken = self.program.on_invalid.as_ref().and_then(|action| self.take(action, None));
        let mut decision = match taken {
            Some((taken, fallback)) => decision(id, None, None, taken, fallback, None),
            None => Decision {
                lead: id,
                rule: None,
                line: None,
                target: None,
                team: None,
                queue: None,
                assignee: None,
                strategy: None,
                fallback: false,
                reason: Reason::Invalid,
                error: None,
                trace: None,
            },
        };
        decision.reason = Reason::Invalid;
        decision.error = Some(error);
        decision
    }

    /// Tries the target, then each fallback; `(who, was_fallback)`.
    fn take(&mut self, action: &Action, lead: Option<&Lead>) -> Option<(Taken, bool)> {
        std::iter::once(&action.target)
            .chain(action.fallbacks.iter())
            .enumerate()
            .find_map(|(i, target)| self.try_target(target, lead).map(|taken| (taken, i > 0)))
    }

    fn try_target(&mut self, target: &Target, lead: Option<&Lead>) -> Option<Taken> {
        match target {
            Target::Queue(name) => Some(Taken {
                kind: TargetKind::Queue,
                team: None,
                queue: Some(name.clone()),
                assignee: None,
                strategy: None,
            }),
            Target::Rep(rep) => self.take_rep(rep),
            Target::RepLookup { lookup, key } => {
                let key = match lead.map(|l| l.get(*key)) {
                    Some(Value::Str(s)) => s.to_string(),
                    _ => return None,
                };
                let rep = self.program.lookup(*lookup).entries.get(&key)?.clone();
                self.take_rep(&rep)
            }
            Target::Team { team, strategy } => {
                let members = &self.program.team(*team).members;
                let key = match strategy {
                    crate::check::program::Strategy::Sticky(field) => lead.map(|l| l.get(*field)),
                    _ => None,
                };
                let (roster, assigned, now) = (self.roster, &self.assigned, self.now);
                let count = |rep: &str| assigned.get(rep).copied().unwrap_or(0);
                let eligible = |i: usize| roster.ineligible(&members[i].id, now, count(&members[i].id)).is_none();
                let load = |i: usize| roster.load(&members[i].id, count(&members[i].id));
                let ok = strategy::Eligibility { eligible: &eligible, load: &load };
                let chosen = strategy::pick(&mut self.state, *team, members, *strategy, &ok, key)?;
                let rep = members[chosen].id.clone();
                *self.assigned.entry(rep.clone()).or_insert(0) += 1;
                Some(Taken {
                    kind: TargetKind::Team,
                    team: Some(self.program.team(*team).name.clone()),
                    queue: None,
                    assignee: Some(rep),
                    strategy: Some(strategy.as_str()),
                })
            }
        }
    }

    fn take_rep(&mut self, rep: &str) -> Option<Taken> {
        let assigned = self.assigned.get(rep).copied().unwrap_or(0);
        if self.roster.ineligible(rep, self.now, assigned).is_some() {
            return None;
        }
        *self.assigned.entry(rep.to_string()).or_insert(0) += 1;
        Some(Taken { kind: TargetKind::Rep, team: None, queue: None, assignee: Some(rep.to_string()), strategy: None })
    }
}

fn decision(
    id: String,
    rule: Option<String>,
    line: Option<u32>,
    taken: Taken,
    fallback: bool,
    error: Option<LeadError>,
) -> Decision {
    Decision {
        lead: id,
        rule,
        line,
        target: Some(taken.kind),
        team: taken.team,
        queue: taken.queue,
        assignee: taken.assignee,
        strategy: taken.strategy,
        fallback,
        reason: if fallback { Reason::Fallback } else { Reason::Matched },
        error,
        trace: None,
    }
}

fn unassigned(id: String, rule: Option<String>, line: Option<u32>, reason: Reason) -> Decision {
    Decision {
        lead: id,
        rule,
        line,
        target: Some(TargetKind::Queue),
        team: None,
        queue: Some(UNASSIGNED.to_string()),
        assignee: None,
        strategy: None,
        fallback: false,
        reason,
        error: None,
        trace: None,
    }
}
