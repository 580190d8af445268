//! Routes one lead: the DAG picks the rule (pure), then the rule's action
//! walks its target and fallbacks until someone eligible takes the lead.
//! No lead is ever dropped: with nobody eligible anywhere in the chain it
//! goes to `queue unassigned` with reason `no_eligible_member`.
//!
//! Eligibility is judged at one instant, `now`, for the whole run: what
//! does not change during a run (available, out of office, paused, working
//! hours) is worked out once per rep when the router is made; capacity is
//! checked per lead against the leads given so far. Every rep the program
//! can name (team members, `rep "id"` targets, lookup values) gets a small
//! index, so routing a lead allocates nothing but its output strings.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use super::decision::{Decision, DistributionStep, LeadError, Reason, Skipped, TargetKind};
use super::roster::{Ineligible, MemberStatus, Roster};
use super::state::{SavedRep, SavedState, SavedTeam};
use super::strategy::{self, Candidates, DistributionState};
use crate::check::program::{Action, Program, RuleId, Strategy, Target, TeamId};
use crate::compile::Dag;
use crate::schema::{ElementType, FieldId, FieldType, Lead, Schema, Value};

/// The queue that takes leads nothing else took.
pub const UNASSIGNED: &str = "unassigned";

/// Routes leads of one run, carrying distribution state between them.
pub struct Router<'p> {
    program: &'p Program,
    dag: &'p Dag,
    state: DistributionState,
    reps: Reps<'p>,
    /// Per team, per member: the member's rep index.
    team_reps: Vec<Vec<u32>>,
    /// Whether to record [`DistributionStep`]s (`--explain`).
    explain: bool,
    /// Scratch space: per member of the team being tried, eligible or not.
    eligible: Vec<bool>,
    /// Scratch space: the sticky key's text.
    key: String,
}

/// Every rep the program can name, by index.
struct Reps<'p> {
    ids: Vec<&'p str>,
    index: FxHashMap<&'p str, u32>,
    /// The roster's entry, when there is one.
    status: Vec<Option<&'p MemberStatus>>,
    /// Why the rep takes no leads at `now` whatever their load.
    off_duty: Vec<Option<Ineligible>>,
    /// Leads given this run (plus a restored state's count).
    assigned: Vec<u64>,
}

impl<'p> Reps<'p> {
    fn new(program: &'p Program, roster: &'p Roster, now: jiff::Timestamp) -> Reps<'p> {
        let mut reps = Reps {
            ids: Vec::new(),
            index: FxHashMap::default(),
            status: Vec::new(),
            off_duty: Vec::new(),
            assigned: Vec::new(),
        };
        let mut add = |id: &'p str| {
            if !reps.index.contains_key(id) {
                let status = roster.status(id);
                reps.index.insert(id, u32::try_from(reps.ids.len()).unwrap_or(u32::MAX));
                reps.ids.push(id);
                reps.status.push(status);
                reps.off_duty.push(status.and_then(|s| s.off_duty(now)));
                reps.assigned.push(0);
            }
        };
        for team in &program.teams {
            team.members.iter().for_each(|m| add(&m.id));
        }
        let actions = program.rules.iter().map(|r| &r.action).chain(program.on_invalid.as_ref());
        for target in actions.flat_map(|a| std::iter::once(&a.target).chain(&a.fallbacks)) {
            if let Target::Rep(rep) = target {
                add(rep);
            }
        }
        for lookup in &program.lookups {
            let mut values: Vec<&str> = lookup.entries.values().map(String::as_str).collect();
            values.sort_unstable();
            values.into_iter().for_each(&mut add);
        }
        reps
    }

    fn get(&self, id: &str) -> Option<usize> {
        self.index.get(id).map(|&i| i as usize)
    }

    /// Why rep `i` cannot take a lead now; `None` when they can.
    fn ineligible(&self, i: usize) -> Option<Ineligible> {
        self.off_duty[i]
            .or_else(|| self.status[i].is_some_and(|s| s.full(self.assigned[i])).then_some(Ineligible::AtCapacity))
    }

    fn load(&self, i: usize) -> super::roster::Load {
        let status = self.status[i];
        super::roster::Load {
            open: status.map_or(0, |s| s.open_leads).saturating_add(self.assigned[i]),
            capacity: status.and_then(|s| s.capacity).unwrap_or(1).max(1),
        }
    }
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
        let reps = Reps::new(program, roster, now);
        let team_reps = program
            .teams
            .iter()
            .map(|t| t.members.iter().map(|m| reps.index.get(m.id.as_str()).copied().unwrap_or(0)).collect())
            .collect();
        Router {
            program,
            dag,
            state: DistributionState::new(&sizes, seed),
            reps,
            team_reps,
            explain: false,
            eligible: Vec::new(),
            key: String::new(),
        }
    }

    /// Records, in each decision's `distribution`, the targets tried and
    /// the members passed over with their reasons (`--explain`).
    pub fn explain_distribution(&mut self, on: bool) {
        self.explain = on;
    }

    /// Continues from a saved state; see [`super::state`] for how changes
    /// to teams, weights and the roster are absorbed. The saved generator
    /// replaces the one seeded by `--seed`, so that runs chained by a state
    /// file continue one random sequence rather than repeat it.
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
            // INVARIANT (no burst): a credit never exceeds one cycle of the
            // team as it is now, whatever the weights were when it was saved.
            let total: i64 = team.members.iter().map(|m| i64::from(m.weight)).sum();
            if let Some(credits) = self.state.current_weights.get_mut(t) {
                for (slot, member) in credits.iter_mut().zip(&team.members) {
                    *slot = saved_team.weights.get(&member.id).copied().unwrap_or(0).clamp(-total, total);
                }
            }
        }
        for (rep, counted) in &saved.reps {
            let Some(i) = self.reps.get(rep) else { continue };
            let basis = self.reps.status[i].map_or(0, |s| s.open_leads);
            if counted.open_leads_basis == basis {
                self.reps.assigned[i] = counted.assigned;
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
                let credits = self.state.current_weights.get(t);
                let saved = SavedTeam {
                    members: team.members.iter().map(|m| m.id.clone()).collect(),
                    next: team.members.get(cursor).map(|m| m.id.clone()),
                    weights: team
                        .members
                        .iter()
                        .enumerate()
                        .filter_map(|(i, m)| Some((m.id.clone(), *credits?.get(i)?)))
                        .filter(|(_, w)| *w != 0)
                        .collect(),
                };
                (team.name.clone(), saved)
            })
            .collect();
        let reps = (0..self.reps.ids.len())
            .filter(|&i| self.reps.assigned[i] > 0)
            .map(|i| {
                let open_leads_basis = self.reps.status[i].map_or(0, |s| s.open_leads);
                (self.reps.ids[i].to_string(), SavedRep { assigned: self.reps.assigned[i], open_leads_basis })
            })
            .collect();
        SavedState { version: super::state::VERSION, rng: Some(self.state.rng), teams, reps }
    }

    /// Leads given to each rep so far (this run, plus a restored state's),
    /// for every rep given at least one.
    pub fn assigned(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.reps.ids.iter().zip(&self.reps.assigned).filter(|(_, &n)| n > 0).map(|(id, &n)| (*id, n))
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
        let mut steps = Vec::new();
        let mut decision = match self.take(&rule.action, Some(lead), &mut steps) {
            Some((taken, fallback)) => decision(id, name, line, taken, fallback),
            None => unassigned(id, name, line, Reason::NoEligibleMember),
        };
        decision.distribution = self.explained(steps);
        decision
    }

    /// Routes an invalid lead: by `on invalid` when declared, else nowhere.
    pub fn route_invalid(&mut self, id: String, error: LeadError) -> Decision {
        let program = self.program;
        let mut steps = Vec::new();
        let taken = program.on_invalid.as_ref().and_then(|action| self.take(action, None, &mut steps));
        let mut decision = match taken {
            Some((taken, fallback)) => decision(id, None, None, taken, fallback),
            None => Decision::nowhere(id, Reason::Invalid),
        };
        decision.reason = Reason::Invalid;
        decision.error = Some(error);
        decision.distribution = self.explained(steps);
        decision
    }

    /// The steps worth showing: only when something was passed over (a
    /// target that could not take the lead, a member skipped, a note), so
    /// that a lead its first choice simply took reads as before.
    fn explained(&self, steps: Vec<DistributionStep>) -> Option<Vec<DistributionStep>> {
        let eventful = steps.len() > 1 || steps.iter().any(|s| !s.skipped.is_empty() || s.note.is_some());
        (self.explain && eventful).then_some(steps)
    }

    /// Tries the target, then each fallback; `(who, was_fallback)`.
    fn take(
        &mut self,
        action: &Action,
        lead: Option<&Lead>,
        steps: &mut Vec<DistributionStep>,
    ) -> Option<(Taken, bool)> {
        std::iter::once(&action.target)
            .chain(action.fallbacks.iter())
            .enumerate()
            .find_map(|(i, target)| self.try_target(target, lead, steps).map(|taken| (taken, i > 0)))
    }

    fn try_target(&mut self, target: &Target, lead: Option<&Lead>, steps: &mut Vec<DistributionStep>) -> Option<Taken> {
        let program = self.program;
        let mut step = self.explain.then(|| DistributionStep {
            target: describe(program, target),
            took: None,
            skipped: Vec::new(),
            note: None,
        });
        let taken = match target {
            Target::Queue(name) => Some(Taken {
                kind: TargetKind::Queue,
                team: None,
                queue: Some(name.clone()),
                assignee: None,
                strategy: None,
            }),
            Target::Rep(rep) => self.take_rep(rep, step.as_mut()),
            Target::RepLookup { lookup, key } => {
                let table = program.lookup(*lookup);
                match lead.map(|l| l.get(*key)) {
                    Some(Value::Str(s)) => match table.entries.get(&**s) {
                        Some(rep) => self.take_rep(rep, step.as_mut()),
                        None => {
                            if let Some(step) = step.as_mut() {
                                step.note =
                                    Some(format!("`{}` has no entry for `{}`", table.name, crate::io::shown(s)));
                            }
                            None
                        }
                    },
                    _ => {
                        if let Some(step) = step.as_mut() {
                            let field = &program.schema.field(*key).name;
                            step.note = Some(format!("the lead has no `{field}`"));
                        }
                        None
                    }
                }
            }
            Target::Team { team, strategy } => self.take_team(*team, *strategy, lead, step.as_mut()),
        };
        if let Some(mut step) = step {
            step.took = taken.as_ref().and_then(|t| t.assignee.clone().or_else(|| t.queue.clone()));
            steps.push(step);
        }
        taken
    }

    fn take_team(
        &mut self,
        team: TeamId,
        strategy: Strategy,
        lead: Option<&Lead>,
        mut step: Option<&mut DistributionStep>,
    ) -> Option<Taken> {
        let program = self.program;
        let members = &program.team(team).members;
        let reps = self.team_reps.get(team.0 as usize)?;
        self.eligible.clear();
        for &rep in reps {
            let why = self.reps.ineligible(rep as usize);
            if let (Some(reason), Some(step)) = (why, step.as_deref_mut()) {
                step.skipped.push(Skipped { rep: self.reps.ids[rep as usize].to_string(), reason: reason.as_str() });
            }
            self.eligible.push(why.is_none());
        }
        let key = match strategy {
            Strategy::Sticky(field) => {
                let has_key = lead.is_some_and(|l| key_text(&program.schema, field, l.get(field), &mut self.key));
                if !has_key {
                    if let Some(step) = step {
                        let name = &program.schema.field(field).name;
                        step.note = Some(format!("the lead has no `{name}`: given by round robin"));
                    }
                }
                has_key.then_some(self.key.as_str())
            }
            _ => None,
        };
        let reps_state = &self.reps;
        let load = |i: usize| reps_state.load(reps.get(i).map_or(0, |&r| r as usize));
        let candidates = Candidates { eligible: &self.eligible, load: &load, key };
        let chosen = strategy::pick(&mut self.state, team, members, strategy, &candidates)?;
        let rep = *reps.get(chosen)? as usize;
        // Saturating: a count restored at 2^64-1 must not wrap to 0.
        self.reps.assigned[rep] = self.reps.assigned[rep].saturating_add(1);
        Some(Taken {
            kind: TargetKind::Team,
            team: Some(program.team(team).name.clone()),
            queue: None,
            assignee: Some(members[chosen].id.clone()),
            strategy: Some(strategy.as_str()),
        })
    }

    fn take_rep(&mut self, rep: &str, step: Option<&mut DistributionStep>) -> Option<Taken> {
        // INVARIANT: every rep the program names is indexed (`Reps::new`).
        let i = self.reps.get(rep)?;
        if let Some(reason) = self.reps.ineligible(i) {
            if let Some(step) = step {
                step.skipped.push(Skipped { rep: rep.to_string(), reason: reason.as_str() });
            }
            return None;
        }
        self.reps.assigned[i] = self.reps.assigned[i].saturating_add(1);
        Some(Taken { kind: TargetKind::Rep, team: None, queue: None, assignee: Some(rep.to_string()), strategy: None })
    }
}

/// A target as the rules write it, for `--explain`.
fn describe(program: &Program, target: &Target) -> String {
    match target {
        Target::Team { team, .. } => format!("team {}", program.team(*team).name),
        Target::Rep(rep) => format!("rep {rep:?}"),
        Target::RepLookup { lookup, key } => {
            format!("rep {}[{}]", program.lookup(*lookup).name, program.schema.field(*key).name)
        }
        Target::Queue(name) => format!("queue {name}"),
    }
}

/// Writes the sticky key of a value into `out`: text as is, numbers and
/// booleans as written in JSON, enum values by their canonical name, a
/// list's elements joined by `;`. `false` (no key) for an absent value or
/// an empty list or text.
fn key_text(schema: &Schema, field: FieldId, value: &Value, out: &mut String) -> bool {
    out.clear();
    let enum_of = match schema.field(field).ty {
        FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => Some(id),
        _ => None,
    };
    let push = |value: &Value, out: &mut String| {
        let _ = match value {
            Value::Str(s) => out.write_str(s),
            Value::Int(i) => write!(out, "{i}"),
            Value::Float(f) => write!(out, "{f}"),
            Value::Bool(b) => write!(out, "{b}"),
            Value::Enum(e) => out.write_str(enum_of.map_or("", |id| schema.enum_type(id).name(*e))),
            Value::Absent | Value::List(_) => Ok(()),
        };
    };
    match value {
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(';');
                }
                push(item, out);
            }
        }
        other => push(other, out),
    }
    !out.is_empty()
}

fn decision(id: String, rule: Option<String>, line: Option<u32>, taken: Taken, fallback: bool) -> Decision {
    let reason = if fallback { Reason::Fallback } else { Reason::Matched };
    Decision {
        rule,
        line,
        target: Some(taken.kind),
        team: taken.team,
        queue: taken.queue,
        assignee: taken.assignee,
        strategy: taken.strategy,
        fallback,
        ..Decision::nowhere(id, reason)
    }
}

fn unassigned(id: String, rule: Option<String>, line: Option<u32>, reason: Reason) -> Decision {
    Decision {
        rule,
        line,
        target: Some(TargetKind::Queue),
        queue: Some(UNASSIGNED.to_string()),
        ..Decision::nowhere(id, reason)
    }
}
