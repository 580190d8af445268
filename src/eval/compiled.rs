//! The compiled project, separate from run state: an immutable artifact
//! (program, decision DAG, the index of every rep the program can name,
//! the source text for `--explain`) that is `Send + Sync` and shared by
//! `Arc` between every request of `route serve` and the one run of
//! `route eval`. Distribution state lives apart, in
//! [`crate::eval::router::RunState`]; the roster lives apart too, resolved
//! against the rep index as a [`Staffing`], so either can be replaced
//! without touching the other.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use super::decision::Name;
use super::roster::{MemberStatus, Roster};
use crate::check::program::{Action, Program, RuleId, RuleInfo, Strategy, Target};
use crate::compile::{compile_for_routing, Dag};
use crate::source::SourceMap;

/// A checked and compiled project, ready to route leads from any thread.
#[derive(Debug)]
pub struct Compiled {
    /// The checked program.
    pub program: Program,
    /// Its decision DAG.
    pub dag: Dag,
    /// The source files, for `--explain` traces.
    pub sources: SourceMap,
    /// Every rep the program can name.
    pub(crate) reps: RepIndex,
    /// Per rule (by [`RuleId`]), then `on invalid` last: the state rows
    /// its action can touch.
    footprints: Vec<Footprint>,
}

/// A core's second-level cache on the machines route is measured on
/// (docs/performance.md): rule tables larger than this are read from
/// further away, lead after lead.
const L2_BYTES: usize = 512 * 1024;

impl Compiled {
    /// Compiles `program` (with the default DAG size budget).
    pub fn new(program: Program, sources: SourceMap) -> Compiled {
        let dag = compile_for_routing(&program);
        let reps = RepIndex::new(&program);
        let actions = program.rules.iter().map(|r| Some(&r.action)).chain(std::iter::once(program.on_invalid.as_ref()));
        let footprints = actions.map(|action| Footprint::of(&program, &reps, action)).collect();
        Compiled { program, dag, sources, reps, footprints }
    }

    /// Whether [`Compiled::warm`] pays: the rules' table is larger than a
    /// core's second-level cache.
    fn warms(&self) -> bool {
        self.program.rules.len() * std::mem::size_of::<RuleInfo>() > L2_BYTES
    }

    /// Reads, for a run of leads matched by `rules`, the first things
    /// routing each will read (the rule's line, action, second owner and
    /// name; its team's first member and their id, its name and size),
    /// before routing any: the loads of one lead do not wait for
    /// another's, so the processor overlaps their cache misses, where
    /// routing lead after lead waits for each in turn.
    /// Only when the rules' table outgrows the second-level cache: at 100
    /// and 1,000 rules everything is near and the loads are work for
    /// nothing (docs/performance.md, twentieth session).
    pub(crate) fn warm(&self, rules: &[Option<RuleId>]) {
        if !self.warms() {
            return;
        }
        let mut seen = 0usize;
        for rule in rules.iter().flatten() {
            let Some(info) = self.program.rules.get(rule.index()) else { continue };
            let name = self.reps.rule_names.get(rule.index()).map_or(0, |n| n.len());
            // The rule's record spans several cache lines: the line, the
            // target, and the second owner each may be on one of its own.
            let second = usize::from(info.action.secondary.is_some());
            seen = seen.wrapping_add(info.line as usize).wrapping_add(name).wrapping_add(second);
            if let Target::Team { team, .. } = info.action.target {
                let t = team.0 as usize;
                let first = self.reps.team_reps.get(t).and_then(|reps| reps.first()).map_or(0, |&r| r as usize);
                let id = self.reps.ids.get(first).map_or(0, |n| n.len());
                let named = self.reps.team_names.get(t).map_or(0, |n| n.len());
                let members = self.program.teams.get(t).map_or(0, |team| team.members.len());
                seen = seen.wrapping_add(id).wrapping_add(named).wrapping_add(members);
            }
        }
        // Kept, so the loads are made.
        std::hint::black_box(seen);
    }

    /// The state rows a lead matched by `rule` (or, for `None`, an invalid
    /// lead) can read or change.
    pub fn footprint(&self, rule: Option<RuleId>) -> &Footprint {
        static EMPTY: Footprint =
            Footprint { teams: Vec::new(), reps: Vec::new(), random: false, team_at: Vec::new(), rep_at: Vec::new() };
        let index = rule.map_or(self.footprints.len().saturating_sub(1), RuleId::index);
        self.footprints.get(index).unwrap_or(&EMPTY)
    }

    /// Every rep id the program can name, in index order.
    pub fn rep_ids(&self) -> impl Iterator<Item = &str> {
        self.reps.ids.iter().map(|id| &**id)
    }
}

/// Every rep the program can name (team members, `rep "id"` targets,
/// lookup values) by a small index, and every name a decision can carry
/// (rules, teams, queues, reps) shared, so routing a lead copies no name.
#[derive(Debug, Clone, Default)]
pub struct RepIndex {
    pub(crate) ids: Vec<Name>,
    index: FxHashMap<Name, u32>,
    /// Per team, per member: the member's rep index.
    pub(crate) team_reps: Vec<Vec<u32>>,
    /// Team name to team index: saved rows name their team.
    teams: FxHashMap<String, u32>,
    /// Per team (by [`crate::check::program::TeamId`]): its name.
    pub(crate) team_names: Vec<Name>,
    /// Per rule (by [`RuleId`]): its name.
    pub(crate) rule_names: Vec<Name>,
    /// Every queue a target names, and `unassigned`.
    queues: FxHashSet<Name>,
}

impl RepIndex {
    /// Indexes the reps and names of `program`.
    pub fn new(program: &Program) -> RepIndex {
        let mut reps = RepIndex::default();
        for team in &program.teams {
            team.members.iter().for_each(|m| reps.add(&m.id));
        }
        let mut queues = vec![super::router::UNASSIGNED];
        for action in program.actions() {
            action.for_each_target(&mut |target| match target {
                Target::Rep(rep) => reps.add(rep),
                Target::RepField(field) => program.rep_ids(*field).into_iter().for_each(|id| reps.add(id)),
                Target::Queue(queue) => queues.push(queue),
                _ => {}
            });
        }
        for lookup in &program.lookups {
            let mut values: Vec<&str> = lookup.entries.values().map(String::as_str).collect();
            values.sort_unstable();
            values.into_iter().for_each(|v| reps.add(v));
        }
        reps.team_reps = program
            .teams
            .iter()
            .map(|t| t.members.iter().map(|m| reps.index.get(m.id.as_str()).copied().unwrap_or(0)).collect())
            .collect();
        reps.teams = (0u32..).zip(&program.teams).map(|(t, team)| (team.name.clone(), t)).collect();
        reps.team_names = program.teams.iter().map(|t| Name::from(t.name.as_str())).collect();
        reps.rule_names = program.rules.iter().map(|r| Name::from(r.name.as_str())).collect();
        reps.queues = queues.into_iter().map(Name::from).collect();
        reps
    }

    fn add(&mut self, id: &str) {
        if !self.index.contains_key(id) {
            let name = Name::from(id);
            self.index.insert(name, u32::try_from(self.ids.len()).unwrap_or(u32::MAX));
            self.ids.push(name);
        }
    }

    /// Rep `i`'s id, shared.
    pub(crate) fn rep_name(&self, i: usize) -> Option<Name> {
        self.ids.get(i).cloned()
    }

    /// The name of queue `queue`, shared when a target names it.
    pub(crate) fn queue_name(&self, queue: &str) -> Name {
        self.queues.get(queue).map_or_else(|| Name::from(queue), Name::clone)
    }

    /// The index of rep `id`.
    pub(crate) fn get(&self, id: &str) -> Option<usize> {
        self.index.get(id).map(|&i| i as usize)
    }

    /// The index of the team named `name`.
    pub(crate) fn team(&self, name: &str) -> Option<usize> {
        self.teams.get(name).map(|&t| t as usize)
    }

    /// How many reps.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// The state rows one action can read or change: the teams of its target
/// and fallbacks, every rep they can give a lead to, and whether the
/// random generator is drawn. A shared store locks exactly these rows (in
/// this order: teams by name, then reps by id) for one assignment, so
/// assignments to different teams run in parallel and never deadlock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Team names, sorted.
    pub teams: Vec<String>,
    /// Rep ids, sorted.
    pub reps: Vec<String>,
    /// Whether a `random` team is among the targets.
    pub random: bool,
    /// The program's index of each team of `teams`, in the same order.
    pub(crate) team_at: Vec<usize>,
    /// The rep index of each rep of `reps`, in the same order.
    pub(crate) rep_at: Vec<usize>,
}

impl Footprint {
    fn of(program: &Program, reps: &RepIndex, action: Option<&Action>) -> Footprint {
        let mut teams = BTreeMap::new();
        let mut ids = BTreeSet::new();
        let mut random = false;
        // Every arm of a split and the second owner too: a store must lock
        // every row the lead can touch.
        let targets = action.map(Action::targets).unwrap_or_default();
        for target in targets {
            match target {
                Target::Team { team, strategy } => {
                    let index = team.0 as usize;
                    let team = program.team(*team);
                    teams.insert(team.name.clone(), index);
                    ids.extend(team.members.iter().map(|m| m.id.clone()));
                    random |= *strategy == Strategy::Random;
                }
                Target::Rep(rep) => {
                    ids.insert(rep.clone());
                }
                Target::RepLookup { lookup, .. } => {
                    ids.extend(program.lookup(*lookup).entries.values().cloned());
                }
                Target::RepField(field) => ids.extend(program.rep_ids(*field).into_iter().map(str::to_string)),
                Target::Queue(_) | Target::Split(_) => {}
            }
        }
        let (teams, team_at) = teams.into_iter().unzip();
        let (reps, rep_at) = ids.into_iter().filter_map(|id| Some((reps.get(&id)?, id))).map(|(i, id)| (id, i)).unzip();
        Footprint { teams, reps, random, team_at, rep_at }
    }
}

/// The roster resolved against a program's rep index: each rep's status
/// (or none), found once when the roster or the rules are loaded rather
/// than per lead.
#[derive(Debug, Clone, Default)]
pub struct Staffing {
    /// Per rep, its entry boxed: routing a lead reads its team's members'
    /// slots, and a [`MemberStatus`] held inline made a slot a couple of
    /// hundred bytes (its zone, hours, dates), so 2,500 reps spread over
    /// half a megabyte, a cache miss for each member read, most of them
    /// for reps the roster does not list. Boxed, a slot is 8 bytes.
    pub(crate) status: Vec<Option<Box<MemberStatus>>>,
}

impl Staffing {
    /// Resolves `roster` for the reps of `reps`.
    pub fn new(reps: &RepIndex, roster: &Roster) -> Staffing {
        Staffing { status: reps.ids.iter().map(|id| roster.status(id).cloned().map(Box::new)).collect() }
    }

    /// Resolves `roster` for the reps of `compiled`.
    pub fn for_compiled(compiled: &Compiled, roster: &Roster) -> Staffing {
        Staffing::new(&compiled.reps, roster)
    }

    /// Rep `i`'s roster entry.
    pub(crate) fn status(&self, i: usize) -> Option<&MemberStatus> {
        self.status.get(i).and_then(Option::as_deref)
    }
}

#[cfg(test)]
mod tests {
    use super::{Compiled, L2_BYTES};
    use crate::check::program::{RuleId, RuleInfo};

    /// A project of `rules` rules, compiled.
    fn compiled(rules: usize) -> Compiled {
        let mut text = String::from("schema lead {\n  id: string\n  score: int\n}\nteam t = [\"a@x.io\"]\n");
        for i in 0..rules {
            text.push_str(&format!("when score == {i} -> team t\n"));
        }
        let checked = crate::check::check_source("big.route", std::path::Path::new("big.route"), text);
        let program = checked.program.unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
        Compiled::new(program, checked.sources)
    }

    #[test]
    fn only_a_rule_table_larger_than_the_cache_is_warmed() {
        let big = compiled(L2_BYTES / std::mem::size_of::<RuleInfo>() + 1);
        assert!(big.warms());
        assert!(!compiled(100).warms());
        // Whatever the ids (none matched, past the end): nothing fails.
        big.warm(&[Some(RuleId(0)), None, Some(RuleId(u32::MAX))]);
    }
}
