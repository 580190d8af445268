//! Routes one lead: the DAG picks the rule (pure), then the rule's action
//! walks its target and fallbacks until someone eligible takes the lead.
//! No lead is ever dropped: with nobody eligible anywhere in the chain it
//! goes to `queue unassigned` with reason `no_eligible_member`.
//!
//! The router joins three separate things: the compiled project
//! ([`Compiled`], or a borrowed program and DAG), the roster resolved
//! against it ([`Staffing`]) and the run state ([`RunState`]: cursors,
//! credit, the generator, per-rep counts). Eligibility is judged at each
//! decision's own instant: what does not change with load (available, out
//! of office, paused, working hours) is worked out once per rep and
//! instant and cached until the instant changes, so a batch routed at one
//! `--now` pays for it once; capacity is checked per lead against the
//! leads given so far.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::compiled::{Compiled, Footprint, RepIndex, Staffing};
use super::decision::{
    Decision, DistributionStep, LeadError, Name, Reason, Secondary, Skipped, SplitChoice, TargetKind,
};
use super::derive::Moment;
use super::roster::{Ineligible, MemberStatus, Periods, Roster};
use super::state::{SavedCaps, SavedPeriod, SavedRep, SavedState, SavedTeam};
use super::strategy::{self, Candidates, DistributionState};
use crate::check::program::{Action, Program, RuleId, Strategy, Target, TeamId};
use crate::compile::Dag;
use crate::schema::{ElementType, FieldId, FieldType, Lead, Schema, StrValue, Value};

/// The queue that takes leads nothing else took.
pub const UNASSIGNED: &str = "unassigned";

/// The distribution state of one run (or of one assignment of `route
/// serve`, loaded from and written back to a store): per team cursors and
/// credit, the random generator, and per rep the leads given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunState {
    dist: DistributionState,
    /// Per rep index: leads given (plus a restored state's count).
    assigned: Vec<u64>,
    /// Per rep index: leads counted against caps over time (only for
    /// reps the roster gives a cap).
    caps: Vec<CapCounts>,
}

/// A rep's leads in their current day and week (LANGUAGE.md §16), each
/// with the local date its period started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct CapCounts {
    day: Option<(jiff::civil::Date, u64)>,
    week: Option<(jiff::civil::Date, u64)>,
}

impl CapCounts {
    /// Leads counted in the day and week of `at` (0 for a period that has
    /// since ended).
    fn in_periods(&self, at: Periods) -> (u64, u64) {
        let count = |period: Option<(jiff::civil::Date, u64)>, start| {
            period.filter(|(from, _)| *from == start).map_or(0, |(_, n)| n)
        };
        (count(self.day, at.day), count(self.week, at.week))
    }

    /// Counts one more lead in the day and week of `at`.
    fn add(&mut self, at: Periods) {
        let (today, this_week) = self.in_periods(at);
        self.day = Some((at.day, today.saturating_add(1)));
        self.week = Some((at.week, this_week.saturating_add(1)));
    }

    fn saved(&self) -> SavedCaps {
        let period = |p: Option<(jiff::civil::Date, u64)>| {
            p.map(|(start, count)| SavedPeriod { start: start.to_string(), count })
        };
        SavedCaps { day: period(self.day), week: period(self.week) }
    }

    /// From a saved row; a date that does not parse counts nothing.
    fn restored(saved: &SavedCaps) -> CapCounts {
        let period = |p: &Option<SavedPeriod>| p.as_ref().and_then(|p| Some((p.start.parse().ok()?, p.count)));
        CapCounts { day: period(&saved.day), week: period(&saved.week) }
    }
}

impl RunState {
    /// Fresh state for `program`'s teams and `reps`, seeded.
    fn fresh(program: &Program, reps: &RepIndex, seed: u64) -> RunState {
        let sizes: Vec<usize> = program.teams.iter().map(|t| t.members.len()).collect();
        RunState {
            dist: DistributionState::new(&sizes, seed),
            assigned: vec![0; reps.len()],
            caps: vec![CapCounts::default(); reps.len()],
        }
    }

    /// Fresh state for a compiled project; `seed` drives `random`.
    pub fn new(compiled: &Compiled, seed: u64) -> RunState {
        RunState::fresh(&compiled.program, &compiled.reps, seed)
    }

    /// Continues from a saved state; see [`super::state`] for how changes
    /// to teams, weights and the roster are absorbed. The saved generator
    /// replaces the seeded one, so that runs chained by a state file
    /// continue one random sequence rather than repeat it. Teams and reps
    /// the saved state does not name keep their current values.
    pub fn restore(&mut self, program: &Program, reps: &RepIndex, staffing: &Staffing, saved: &SavedState) {
        if let Some(rng) = saved.rng {
            self.dist.rng = rng;
        }
        // By the saved rows, not the program's teams: `route serve` restores
        // the few rows of one lead's footprint into a program of hundreds.
        for (name, saved_team) in &saved.teams {
            let Some((t, team)) = reps.team(name).and_then(|t| Some((t, program.teams.get(t)?))) else { continue };
            let position = |id: &str| team.members.iter().position(|m| m.id == id);
            let cursor = saved_team.next.as_deref().and_then(|next| {
                position(next).or_else(|| {
                    // The next member left: resume at the first survivor after it.
                    let from = saved_team.members.iter().position(|m| m == next)?;
                    let n = saved_team.members.len();
                    (1..n).find_map(|k| position(saved_team.members.get((from + k) % n)?))
                })
            });
            if let Some(slot) = self.dist.cursors.get_mut(t) {
                *slot = cursor.unwrap_or(0);
            }
            // INVARIANT (no burst): a credit never exceeds one cycle of the
            // team as it is now, whatever the weights were when it was saved.
            let total: i64 = team.members.iter().map(|m| i64::from(m.weight)).sum();
            if let Some(credits) = self.dist.credits_mut(t) {
                for (slot, member) in credits.iter_mut().zip(&team.members) {
                    *slot = saved_team.weights.get(&member.id).copied().unwrap_or(0).clamp(-total, total);
                }
            }
        }
        for (rep, counted) in &saved.reps {
            let Some(i) = reps.get(rep) else { continue };
            let basis = staffing.status(i).map_or(0, |s| s.open_leads);
            if let Some(slot) = self.assigned.get_mut(i) {
                // A refreshed roster's `open_leads` already holds these leads.
                *slot = if counted.open_leads_basis == basis { counted.assigned } else { 0 };
            }
            if let Some(slot) = self.caps.get_mut(i) {
                // Caps count what route gave, whatever the roster says now.
                *slot = CapCounts::restored(&counted.caps);
            }
        }
    }

    /// The state to save: every team and every rep given a lead, or with
    /// `only`, exactly the rows of that footprint (zero counts included, so
    /// a store can write them back as they are).
    pub fn capture(
        &self,
        program: &Program,
        reps: &RepIndex,
        staffing: &Staffing,
        only: Option<&Footprint>,
    ) -> SavedState {
        // With a footprint, its rows only (by their indexes), not a pass
        // over every team and rep of the program.
        let every_team: Vec<usize>;
        let team_indexes: &[usize] = match only {
            Some(f) => &f.team_at,
            None => {
                every_team = (0..program.teams.len()).collect();
                &every_team
            }
        };
        let teams = team_indexes
            .iter()
            .copied()
            .filter_map(|t| Some((t, program.teams.get(t)?)))
            .map(|(t, team)| {
                let cursor = self.dist.cursors.get(t).copied().unwrap_or(0);
                let credits = self.dist.credits(t);
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
        let caps = |i: usize| self.caps.get(i).map(CapCounts::saved).unwrap_or_default();
        let given: Vec<usize>;
        let rep_indexes: &[usize] = match only {
            Some(f) => &f.rep_at,
            None => {
                given = (0..reps.len())
                    .filter(|&i| self.assigned.get(i).is_some_and(|&n| n > 0) || !caps(i).is_empty())
                    .collect();
                &given
            }
        };
        let reps = rep_indexes
            .iter()
            .copied()
            .filter_map(|i| Some((i, reps.ids.get(i)?, *self.assigned.get(i)?)))
            .map(|(i, id, assigned)| {
                let open_leads_basis = staffing.status(i).map_or(0, |s| s.open_leads);
                (id.to_string(), SavedRep { assigned, open_leads_basis, caps: caps(i) })
            })
            .collect();
        let rng = only.is_none_or(|f| f.random).then_some(self.dist.rng);
        SavedState { version: super::state::VERSION, rng, teams, reps }
    }
}

/// Routes leads, carrying distribution state between them.
pub struct Router<'p> {
    program: &'p Program,
    dag: &'p Dag,
    reps: Cow<'p, RepIndex>,
    staffing: Cow<'p, Staffing>,
    state: RunState,
    /// The instant of [`Router::route`] and [`Router::route_invalid`].
    now: jiff::Timestamp,
    /// `now` as [`Router::derive`] reads it, worked out once.
    moment: Moment,
    /// Off-duty verdicts at the instant being judged.
    duty: DutyCache,
    /// Whether to record [`DistributionStep`]s (`--explain`).
    explain: bool,
    /// Scratch space: per member of the team being tried, eligible or not.
    eligible: Vec<bool>,
    /// Scratch space: the sticky key's text.
    key: StrValue,
    /// While a second owner is chosen: the first owner's rep index (they
    /// are passed over, so the two owners are two people).
    owner: Option<usize>,
}

/// Who took a lead, and whether a fallback did. (The flag is a field
/// rather than a tuple beside it: the tuple's layout put the small fields
/// in a seven-byte tail that each move copied as two overlapping
/// four-byte halves, and reading it back after such a copy stalled store
/// forwarding: two of the router's three hottest instructions under
/// `perf`, the router 6.3% of a run's samples before and 5.1% after.)
struct Taken {
    kind: TargetKind,
    fallback: bool,
    team: Option<Name>,
    queue: Option<Name>,
    assignee: Option<Name>,
    strategy: Option<&'static str>,
}

impl Taken {
    /// The holding queue `queue` took the lead (nobody else could).
    fn queue(queue: Name) -> Taken {
        Taken {
            kind: TargetKind::Queue,
            fallback: false,
            team: None,
            queue: Some(queue),
            assignee: None,
            strategy: None,
        }
    }

    /// Why the lead went to whoever took it: the target, or a fallback.
    fn reason(&self) -> Reason {
        if self.fallback {
            Reason::Fallback
        } else {
            Reason::Matched
        }
    }
}

impl<'p> Router<'p> {
    /// A router over a borrowed program and DAG with fresh state; every
    /// lead is judged at `now`, and `seed` drives `random`.
    pub fn new(program: &'p Program, dag: &'p Dag, roster: &'p Roster, now: jiff::Timestamp, seed: u64) -> Router<'p> {
        let reps = RepIndex::new(program);
        let staffing = Staffing::new(&reps, roster);
        let state = RunState::fresh(program, &reps, seed);
        Router::assemble(program, dag, Cow::Owned(reps), Cow::Owned(staffing), state, now)
    }

    /// A router over a compiled project and staffing with the given state;
    /// leads are judged at the instant given to [`Router::route_at`] (or
    /// at `now` by [`Router::route`]).
    pub fn with_state(
        compiled: &'p Compiled,
        staffing: &'p Staffing,
        state: RunState,
        now: jiff::Timestamp,
    ) -> Router<'p> {
        let (reps, staffing) = (Cow::Borrowed(&compiled.reps), Cow::Borrowed(staffing));
        Router::assemble(&compiled.program, &compiled.dag, reps, staffing, state, now)
    }

    fn assemble(
        program: &'p Program,
        dag: &'p Dag,
        reps: Cow<'p, RepIndex>,
        staffing: Cow<'p, Staffing>,
        state: RunState,
        now: jiff::Timestamp,
    ) -> Router<'p> {
        Router {
            program,
            dag,
            reps,
            staffing,
            state,
            now,
            moment: program.moment(now),
            duty: DutyCache::default(),
            explain: false,
            eligible: Vec::new(),
            key: StrValue::default(),
            owner: None,
        }
    }

    /// Records, in each decision's `distribution`, the targets tried and
    /// the members passed over with their reasons (`--explain`).
    pub fn explain_distribution(&mut self, on: bool) {
        self.explain = on;
    }

    /// Continues from a saved state (see [`RunState::restore`]).
    pub fn restore(&mut self, saved: &SavedState) {
        self.state.restore(self.program, &self.reps, &self.staffing, saved);
    }

    /// The state to save for the next run.
    pub fn capture(&self) -> SavedState {
        self.state.capture(self.program, &self.reps, &self.staffing, None)
    }

    /// The state to save, limited to the rows of `footprint`.
    pub fn capture_footprint(&self, footprint: &Footprint) -> SavedState {
        self.state.capture(self.program, &self.reps, &self.staffing, Some(footprint))
    }

    /// The run state, for the next router.
    pub fn into_state(self) -> RunState {
        self.state
    }

    /// Leads given to each rep so far (this run, plus a restored state's),
    /// for every rep given at least one.
    pub fn assigned(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.reps.ids.iter().zip(&self.state.assigned).filter(|(_, &n)| n > 0).map(|(id, &n)| (&**id, n))
    }

    /// Fills a lead's derived fields at the router's instant (see
    /// [`Program::derive`]): call it on every lead before routing it.
    pub fn derive(&self, lead: &mut Lead) {
        self.program.derive_at(lead, &self.moment);
    }

    /// The rule a lead matches, without distributing it.
    pub fn match_rule(&self, lead: &Lead) -> Option<RuleId> {
        self.dag.route(lead, &self.program.lookups)
    }

    /// Routes a valid lead at the router's instant.
    pub fn route(&mut self, id: String, lead: &Lead) -> Decision {
        self.route_at(id, lead, self.now)
    }

    /// Routes a valid lead, judging eligibility at `now`.
    pub fn route_at(&mut self, id: String, lead: &Lead, now: jiff::Timestamp) -> Decision {
        let rule = self.match_rule(lead);
        self.route_matched_at(id, lead, rule, now)
    }

    /// Routes a lead whose rule the caller already matched (`route serve`
    /// matches once to know which state rows to lock), judging eligibility
    /// at `now`. `rule` must be what the DAG gives for `lead`.
    pub fn route_matched_at(
        &mut self,
        id: String,
        lead: &Lead,
        rule: Option<RuleId>,
        now: jiff::Timestamp,
    ) -> Decision {
        self.judge_at(now);
        let Some(rule_id) = rule else {
            let unassigned = Taken::queue(self.reps.queue_name(UNASSIGNED));
            return decision(id, (None, None), unassigned, Reason::NoRuleMatched, Extras::default());
        };
        let program = self.program;
        let rule = program.rule(rule_id);
        let name = self.reps.rule_names.get(rule_id.index()).cloned();
        let line = Some(rule.line);
        let mut steps = Vec::new();
        let (action, split) = self.choose_arm(&rule.action, Some(lead), &mut steps);
        let (reason, taken) = match self.take(action, Some(lead), &mut steps) {
            Some(taken) => (taken.reason(), taken),
            None => (Reason::NoEligibleMember, Taken::queue(self.reps.queue_name(UNASSIGNED))),
        };
        let secondary = self.second_owner(action, Some(lead), taken.assignee.as_deref(), &mut steps);
        let extras = Extras { split, secondary, distribution: self.explained(steps) };
        decision(id, (name, line), taken, reason, extras)
    }

    /// The arm a split sends the lead to (the first arm for a lead without
    /// the split's field), or the action itself when it is not a split.
    fn choose_arm(
        &mut self,
        action: &'p Action,
        lead: Option<&Lead>,
        steps: &mut Vec<DistributionStep>,
    ) -> (&'p Action, Option<Box<SplitChoice>>) {
        let Target::Split(split) = &action.target else { return (action, None) };
        let program = self.program;
        let schema = &program.schema;
        let keyed = lead.is_some_and(|l| distribution_key(schema, split.field, l.get(split.field), &mut self.key));
        let bucket = keyed.then(|| super::split::bucket(&split.name, &self.key));
        let index = bucket.map_or(0, |b| super::split::arm_of(split, b));
        let Some(arm) = split.arms.get(index) else { return (action, None) };
        if self.explain {
            let field = &schema.field(split.field).name;
            let share = crate::check::split_percent(u64::from(arm.share));
            let why = match bucket {
                Some(b) => format!("`{field}` falls in bucket {b} of 10000: arm {} ({share})", index + 1),
                None => format!("the lead has no `{field}`: arm 1 ({share})"),
            };
            steps.push(DistributionStep {
                target: format!("split {} by {field}", split.name),
                took: None,
                skipped: Vec::new(),
                note: Some(why),
            });
        }
        let arm_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        (&arm.action, Some(Box::new(SplitChoice { name: split.name.clone(), arm: arm_number, bucket })))
    }

    /// The second owner (`with`), chosen after the first, who is passed
    /// over; `None` for an action without `with`.
    fn second_owner(
        &mut self,
        action: &Action,
        lead: Option<&Lead>,
        first: Option<&str>,
        steps: &mut Vec<DistributionStep>,
    ) -> Option<Box<Secondary>> {
        let secondary = action.secondary.as_deref()?;
        self.owner = first.and_then(|rep| self.reps.get(rep));
        let mark = steps.len();
        let taken = self.take(secondary, lead, steps);
        self.owner = None;
        for step in steps.iter_mut().skip(mark) {
            step.target = format!("with {}", step.target);
        }
        Some(Box::new(match taken {
            Some(taken) => Secondary {
                team: taken.team,
                queue: taken.queue,
                assignee: taken.assignee,
                strategy: taken.strategy,
                fallback: taken.fallback,
                reason: taken.reason(),
            },
            None => Secondary {
                team: None,
                queue: Some(self.reps.queue_name(UNASSIGNED)),
                assignee: None,
                strategy: None,
                fallback: false,
                reason: Reason::NoEligibleMember,
            },
        }))
    }

    /// Routes an invalid lead at the router's instant: by `on invalid`
    /// when declared, else nowhere.
    pub fn route_invalid(&mut self, id: String, error: LeadError) -> Decision {
        self.route_invalid_at(id, error, self.now)
    }

    /// Routes an invalid lead, judging eligibility at `now`.
    pub fn route_invalid_at(&mut self, id: String, error: LeadError, now: jiff::Timestamp) -> Decision {
        self.judge_at(now);
        let program = self.program;
        let mut steps = Vec::new();
        let chosen = program.on_invalid.as_ref().map(|action| self.choose_arm(action, None, &mut steps));
        let taken = chosen.as_ref().and_then(|(action, _)| self.take(action, None, &mut steps));
        let mut decision = match taken {
            Some(taken) => decision(id, (None, None), taken, Reason::Invalid, Extras::default()),
            None => Decision::nowhere(id, Reason::Invalid),
        };
        if let Some((action, split)) = chosen {
            decision.split = split;
            decision.secondary = self.second_owner(action, None, decision.assignee.as_deref(), &mut steps);
        }
        decision.error = Some(Box::new(error));
        decision.distribution = self.explained(steps);
        decision
    }

    /// Judges eligibility at `now` from here on.
    fn judge_at(&mut self, now: jiff::Timestamp) {
        self.duty.at(now, self.reps.len());
    }

    /// Why rep `i` cannot take a lead now; `None` when they can.
    fn ineligible(&mut self, i: usize) -> Option<Ineligible> {
        if self.owner == Some(i) {
            return Some(Ineligible::FirstOwner);
        }
        self.duty.ineligible(&self.staffing, &self.state, i)
    }

    /// The steps worth showing: only when something was passed over (a
    /// target that could not take the lead, a member skipped, a note), so
    /// that a lead its first choice simply took reads as before.
    fn explained(&self, steps: Vec<DistributionStep>) -> Option<Vec<DistributionStep>> {
        let eventful = steps.len() > 1 || steps.iter().any(|s| !s.skipped.is_empty() || s.note.is_some());
        (self.explain && eventful).then_some(steps)
    }

    /// Tries the target, then each fallback: who took the lead, marked as
    /// a fallback when one did.
    fn take(&mut self, action: &Action, lead: Option<&Lead>, steps: &mut Vec<DistributionStep>) -> Option<Taken> {
        std::iter::once(&action.target).chain(action.fallbacks.iter()).enumerate().find_map(|(i, target)| {
            let mut taken = self.try_target(target, lead, steps)?;
            taken.fallback = i > 0;
            Some(taken)
        })
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
                fallback: false,
                team: None,
                queue: Some(self.reps.queue_name(name)),
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
            Target::RepField(field) => match lead.map(|l| l.get(*field)) {
                Some(Value::Str(rep)) => self.take_rep(rep, step.as_mut()),
                _ => {
                    if let Some(step) = step.as_mut() {
                        step.note = Some(format!("the lead has no `{}`", program.schema.field(*field).name));
                    }
                    None
                }
            },
            // The checker puts a split only where `choose_arm` reads it.
            Target::Split(_) => None,
        };
        if let Some(mut step) = step {
            step.took = taken.as_ref().and_then(|t| t.assignee.as_deref().or(t.queue.as_deref())).map(str::to_string);
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
        let Router { reps: index, staffing, state, duty, eligible, key: key_buf, owner, .. } = self;
        let reps = index.team_reps.get(team.0 as usize)?;
        eligible.clear();
        for &rep in reps {
            let why = if *owner == Some(rep as usize) {
                Some(Ineligible::FirstOwner)
            } else {
                duty.ineligible(staffing, state, rep as usize)
            };
            if let (Some(reason), Some(step)) = (why, step.as_deref_mut()) {
                let rep = index.ids.get(rep as usize).map(|id| id.to_string()).unwrap_or_default();
                step.skipped.push(Skipped { rep, reason: reason.as_str() });
            }
            eligible.push(why.is_none());
        }
        let key = match strategy {
            Strategy::Sticky(field) => {
                let has_key = lead.is_some_and(|l| distribution_key(&program.schema, field, l.get(field), key_buf));
                if !has_key {
                    if let Some(step) = step {
                        let name = &program.schema.field(field).name;
                        step.note = Some(format!("the lead has no `{name}`: given by round robin"));
                    }
                }
                has_key.then_some(key_buf.as_str())
            }
            _ => None,
        };
        let assigned = &state.assigned;
        let load = |i: usize| load_of(staffing, assigned, reps.get(i).map_or(0, |&r| r as usize));
        let candidates = Candidates { eligible, load: &load, key };
        let chosen = strategy::pick(&mut state.dist, team, members, strategy, &candidates)?;
        let rep = *reps.get(chosen)? as usize;
        state.give(rep, duty.periods(staffing, rep));
        Some(Taken {
            kind: TargetKind::Team,
            fallback: false,
            team: index.team_names.get(team.0 as usize).cloned(),
            queue: None,
            assignee: index.rep_name(rep),
            strategy: Some(strategy.as_str()),
        })
    }

    fn take_rep(&mut self, rep: &str, step: Option<&mut DistributionStep>) -> Option<Taken> {
        // INVARIANT: every rep the program names is indexed (`RepIndex::new`).
        let i = self.reps.get(rep)?;
        if let Some(reason) = self.ineligible(i) {
            if let Some(step) = step {
                step.skipped.push(Skipped { rep: rep.to_string(), reason: reason.as_str() });
            }
            return None;
        }
        let periods = self.duty.periods(&self.staffing, i);
        self.state.give(i, periods);
        Some(Taken {
            kind: TargetKind::Rep,
            fallback: false,
            team: None,
            queue: None,
            assignee: self.reps.rep_name(i),
            strategy: None,
        })
    }
}

impl RunState {
    /// Counts a lead given to rep `i`: in the run, and against their caps
    /// in `periods` (a rep with caps).
    fn give(&mut self, i: usize, periods: Option<Periods>) {
        if let Some(count) = self.assigned.get_mut(i) {
            // Saturating: a count restored at 2^64-1 must not wrap to 0.
            *count = count.saturating_add(1);
        }
        if let (Some(periods), Some(caps)) = (periods, self.caps.get_mut(i)) {
            caps.add(periods);
        }
    }
}

/// Per rep, why they take no leads at one instant whatever their load,
/// worked out the first time it is asked and kept until the instant
/// changes (a batch routed at one `--now` pays for it once per rep); and,
/// for reps with caps over time, their day and week at that instant.
#[derive(Debug, Default)]
struct DutyCache {
    at: Option<jiff::Timestamp>,
    verdicts: Vec<Option<Option<Ineligible>>>,
    periods: Vec<Option<Option<Periods>>>,
}

impl DutyCache {
    fn at(&mut self, now: jiff::Timestamp, reps: usize) {
        if self.at != Some(now) {
            self.verdicts.clear();
            self.verdicts.resize(reps, None);
            self.periods.clear();
            self.periods.resize(reps, None);
            self.at = Some(now);
        }
    }

    /// Rep `i`'s day and week now, when the roster gives them a cap.
    fn periods(&mut self, staffing: &Staffing, i: usize) -> Option<Periods> {
        // A rep without caps (most reps: the roster does not list them)
        // is told apart by its staffing slot, and the cache not read.
        let status = staffing.status(i).filter(|s| s.capped())?;
        if let Some(cached) = self.periods.get(i).copied().flatten() {
            return cached;
        }
        let judged = self.at.map(|at| status.periods(at));
        if let Some(slot) = self.periods.get_mut(i) {
            *slot = Some(judged);
        }
        judged
    }

    /// Why rep `i` cannot take a lead now, given the leads it was given.
    /// A rep the roster does not list is always available, at once: with
    /// no roster at all this was asked of every member of a lead's team,
    /// 1.8% of a run's instructions (about 55 a rep).
    #[inline]
    fn ineligible(&mut self, staffing: &Staffing, state: &RunState, i: usize) -> Option<Ineligible> {
        let status = staffing.status(i)?;
        self.ineligible_listed(staffing, state, i, status)
    }

    /// [`DutyCache::ineligible`] for a rep the roster lists, with `status`.
    fn ineligible_listed(
        &mut self,
        staffing: &Staffing,
        state: &RunState,
        i: usize,
        status: &MemberStatus,
    ) -> Option<Ineligible> {
        let off_duty = match self.verdicts.get(i).copied().flatten() {
            Some(cached) => cached,
            None => {
                let judged = self.at.and_then(|now| status.off_duty(now));
                if let Some(slot) = self.verdicts.get_mut(i) {
                    *slot = Some(judged);
                }
                judged
            }
        };
        let given = state.assigned.get(i).copied().unwrap_or(0);
        let full = || status.full(given).then_some(Ineligible::AtCapacity);
        off_duty.or_else(full).or_else(|| {
            let periods = self.periods(staffing, i)?;
            let (today, this_week) = state.caps.get(i)?.in_periods(periods);
            status.at_cap(today, this_week)
        })
    }
}

/// Rep `i`'s load: the roster's open leads plus those given since.
fn load_of(staffing: &Staffing, assigned: &[u64], i: usize) -> super::roster::Load {
    let status = staffing.status(i);
    super::roster::Load {
        open: status.map_or(0, |s| s.open_leads).saturating_add(assigned.get(i).copied().unwrap_or(0)),
        capacity: status.and_then(|s| s.capacity).unwrap_or(1).max(1),
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
        Target::RepField(field) => format!("rep {}", program.schema.field(*field).name),
        Target::Split(split) => format!("split {}", split.name),
    }
}

/// Writes the sticky or split key of a value into `out`: text as is, numbers and
/// booleans as written in JSON, enum values by their canonical name, a
/// list's elements joined by `;`. `false` (no key) for an absent value or
/// an empty list or text.
fn distribution_key(schema: &Schema, field: FieldId, value: &Value, out: &mut StrValue) -> bool {
    out.clear();
    let enum_of = match schema.field(field).ty {
        FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => Some(id),
        _ => None,
    };
    let push = |value: &Value, out: &mut StrValue| {
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

/// A decision's parts besides who took the lead.
#[derive(Default)]
struct Extras {
    split: Option<Box<SplitChoice>>,
    secondary: Option<Box<Secondary>>,
    distribution: Option<Vec<DistributionStep>>,
}

/// The decision for a lead `taken` by someone, for `reason`, under the
/// rule named `rule` at `line`. One literal, returned as built: a decision
/// built in either of two arms and then given its last fields was copied
/// whole (200 bytes) once more for every lead.
#[inline(always)]
fn decision(
    id: String,
    (rule, line): (Option<Name>, Option<u32>),
    taken: Taken,
    reason: Reason,
    extras: Extras,
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
        fallback: taken.fallback,
        reason,
        split: extras.split,
        secondary: extras.secondary,
        error: None,
        trace: None,
        distribution: extras.distribution,
        scores: None,
    }
}
