//! Step 1: the walk of the DAG over valid leads, collecting a witness per
//! `Match` leaf reached, a gap example at a `NoMatch` leaf, and resolving
//! `Rules` nodes locally (see the stage documentation).

use fixedbitset::FixedBitSet;
use rustc_hash::FxHashSet;

use super::domain::{Lit, Verdict};
use super::solver::{Goal, Outcome, Solver};
use super::{Ctx, QUESTION_STEPS};
use crate::compile::{Candidate, CondId, CondView, Edge, Node, NodeId};
use crate::schema::{FieldId, Lead, Value};

use super::solver::Theory;

/// What the walk found.
pub(crate) struct Walked {
    /// A verified witness per rule, where one was found.
    pub(crate) witnesses: Vec<Option<Lead>>,
    /// A verified lead no rule matches.
    pub(crate) gap: Option<Lead>,
    /// Whether every path to a `NoMatch` leaf, and every `Rules` node's
    /// gap question, was decided (so `gap: None` proves there is none).
    pub(crate) coverage_decided: bool,
}

/// Node visits allowed, beyond one per node.
const EXTRA_VISITS: usize = 1_000_000;
/// Words of visited-context keys kept at most (64 MiB): contexts grow with
/// the fields a path constrains, so visits alone do not bound memory.
const MAX_CONTEXT_WORDS: usize = 8 << 20;
/// Rules nodes at which a candidate with no witness yet is tried.
const ATTEMPTS_PER_RULE: u8 = 1;
/// Counter-example rounds of one local attempt.
const LOCAL_ROUNDS: usize = 3;
/// Blockers a `Rules` node's gap search may collect.
const GAP_ROUNDS: usize = 256;

/// Walks the DAG from the root.
pub(crate) fn walk(ctx: &Ctx<'_>) -> Walked {
    let mut walker = Walker::new(ctx);
    walker.run();
    Walked { witnesses: walker.witnesses, coverage_decided: !walker.gap_open && walker.gap.is_none(), gap: walker.gap }
}

struct Frame<'a> {
    field: Option<FieldId>,
    edges: Vec<(Edge<'a>, NodeId)>,
    next: usize,
    mark: usize,
    node: NodeId,
}

struct Walker<'c, 'a> {
    ctx: &'c Ctx<'a>,
    theory: Theory<'a>,
    /// Per node: the fields its subtree tests (a superset).
    masks: Vec<Fields>,
    visited: FxHashSet<(u32, Box<[u64]>)>,
    witnesses: Vec<Option<Lead>>,
    attempts: Vec<u8>,
    gap: Option<Lead>,
    gap_open: bool,
    visits: usize,
    budget: usize,
    /// Words of the keys in `visited`.
    context_words: usize,
}

/// A set of fields, exact for any schema width: a bit per field modulo 64
/// aliased fields past the 64th, and then contexts that differ only in an
/// aliased field's facts multiplied the walk exponentially (300 optional
/// fields exhausted memory).
type Fields = FixedBitSet;

/// The set of one field among `width`.
fn one(field: FieldId, width: usize) -> Fields {
    let mut set = Fields::with_capacity(width);
    set.insert(field.index());
    set
}

/// Every field among `width` (what nothing is known about may touch).
fn all(width: usize) -> Fields {
    let mut set = Fields::with_capacity(width);
    set.insert_range(..);
    set
}

impl<'c, 'a> Walker<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>) -> Walker<'c, 'a> {
        let rules = ctx.program.rules.len();
        let nodes = ctx.dag.nodes().len();
        Walker {
            ctx,
            theory: Theory::new(ctx.env),
            masks: masks(ctx),
            visited: FxHashSet::default(),
            witnesses: vec![None; rules],
            attempts: vec![0; rules],
            gap: None,
            gap_open: false,
            visits: 0,
            budget: nodes.saturating_add(EXTRA_VISITS),
            context_words: 0,
        }
    }

    fn run(&mut self) {
        let dag = self.ctx.dag;
        let mut stack: Vec<Frame<'a>> = Vec::new();
        if let Some(frame) = self.visit(dag.root()) {
            stack.push(frame);
        }
        while let Some(frame) = stack.last_mut() {
            let Some(&(edge, child)) = frame.edges.get(frame.next) else {
                let mark = frame.mark;
                stack.pop();
                self.theory.undo(mark);
                continue;
            };
            frame.next += 1;
            let (mark, field, node) = (frame.mark, frame.field, frame.node);
            self.theory.undo(mark);
            let Some(lit) = self.lit(node, field, edge) else {
                self.gap_open = true;
                continue;
            };
            if self.theory.push(lit) == Verdict::Unsat {
                continue;
            }
            if self.visits > self.budget {
                self.gap_open = true;
                continue;
            }
            if let Some(frame) = self.visit(child) {
                stack.push(frame);
            }
        }
    }

    /// What taking `edge` out of `node` tells.
    fn lit(&self, node: NodeId, field: Option<FieldId>, edge: Edge<'a>) -> Option<Lit<'a>> {
        let dag = self.ctx.dag;
        Some(match edge {
            Edge::Enum(i) => Lit::Enum(field?, i),
            Edge::Bool(b) => Lit::Bool(field?, b),
            Edge::Str(s) => Lit::StrIs(field?, s),
            Edge::OtherStr => match dag.node(node)? {
                Node::Str { table, .. } => Lit::StrNotIn(field?, dag.str_table(*table)?),
                _ => return None,
            },
            Edge::Interval { lo, hi } => Lit::Interval(field?, lo, hi),
            Edge::Absent => Lit::Absent(field?),
            Edge::Then | Edge::Else => match dag.node(node)? {
                Node::Test { atom, .. } => Lit::Test(&dag.atom(*atom)?.test, edge == Edge::Then),
                _ => return None,
            },
        })
    }

    /// Enters a node: leaves and rules nodes are handled at once; a split
    /// returns its frame. Already-seen contexts return nothing.
    fn visit(&mut self, id: NodeId) -> Option<Frame<'a>> {
        let dag = self.ctx.dag;
        let key = self.context(id);
        if self.context_words.saturating_add(key.len()) > MAX_CONTEXT_WORDS {
            // Out of memory budget: what is left unvisited stays open (W0113).
            self.gap_open = true;
            return None;
        }
        let words = key.len();
        if !self.visited.insert((id.0, key)) {
            return None;
        }
        self.context_words += words;
        self.visits += 1;
        let node = *dag.node(id)?;
        let field = match node {
            Node::NoMatch => {
                self.no_match();
                return None;
            }
            Node::Match(rule) => {
                if self.witnesses.get(rule.index()).is_some_and(Option::is_none) {
                    if let Some(lead) = self.theory.model(&self.ctx.defaults) {
                        self.offer(rule, lead);
                    }
                }
                return None;
            }
            Node::Rules { candidates } => {
                self.rules(dag.candidates(candidates));
                return None;
            }
            Node::Enum { field, .. }
            | Node::Bool { field, .. }
            | Node::Str { field, .. }
            | Node::Interval { field, .. } => Some(field),
            Node::Test { atom, .. } => dag.atom(atom).map(|a| a.field()),
        };
        Some(Frame { field, edges: dag.edges(id), next: 0, mark: self.theory.depth(), node: id })
    }

    /// The facts about the fields below `id`, encoded exactly (empty when
    /// there are none): two paths with the same key reach the same leaves.
    fn context(&self, id: NodeId) -> Box<[u64]> {
        let mut key = Vec::new();
        let Some(mask) = self.masks.get(id.index()) else { return key.into() };
        if mask.is_clear() {
            return key.into();
        }
        for i in 0..self.ctx.program.schema.fields.len() {
            let Ok(index) = u32::try_from(i) else { break };
            let f = FieldId(index);
            if !mask.contains(i) || self.theory.lits(f).is_empty() {
                continue;
            }
            key.push(u64::from(index));
            for lit in self.theory.lits(f) {
                encode_lit(lit, &mut key);
            }
        }
        key.into()
    }

    fn offer(&mut self, rule: crate::check::program::RuleId, lead: Lead) {
        if self.witnesses.get(rule.index()).is_some_and(Option::is_none) && self.ctx.routes_to(&lead, Some(rule)) {
            if let Some(slot) = self.witnesses.get_mut(rule.index()) {
                *slot = Some(lead);
            }
        }
    }

    fn no_match(&mut self) {
        if self.gap.is_some() {
            return;
        }
        match self.theory.model(&self.ctx.defaults) {
            Some(lead) if self.ctx.routes_to(&lead, None) => self.gap = Some(lead),
            _ => self.gap_open = true,
        }
    }

    /// A rules node: the first candidate the path's own lead fires; local
    /// attempts for candidates with no witness; the gap question.
    fn rules(&mut self, candidates: &'a [Candidate]) {
        let dag = self.ctx.dag;
        let lookups = &self.ctx.program.lookups;
        let first_holding = |lead: &Lead| candidates.iter().position(|c| dag.holds(c.cond, lead, lookups));
        let closed = candidates.last().is_some_and(|c| dag.cond(c.cond) == CondView::True);
        if !candidates.iter().any(|c| self.witnesses.get(c.rule.index()).is_some_and(Option::is_none)) {
            // Nothing to witness here; only the gap question may remain.
            if !closed && self.gap.is_none() {
                self.rules_gap(candidates);
            }
            return;
        }
        if let Some(lead) = self.theory.model(&self.ctx.defaults) {
            if let Some(c) = first_holding(&lead).and_then(|k| candidates.get(k)) {
                self.offer(c.rule, lead);
            }
        }
        for (index, candidate) in candidates.iter().enumerate() {
            let rule = candidate.rule;
            let tried = self.attempts.get(rule.index()).copied().unwrap_or(u8::MAX);
            if tried >= ATTEMPTS_PER_RULE || self.witnesses.get(rule.index()).is_some_and(Option::is_some) {
                continue;
            }
            if let Some(a) = self.attempts.get_mut(rule.index()) {
                *a += 1;
            }
            let mut blockers: Vec<CondId> = Vec::new();
            for _ in 0..LOCAL_ROUNDS {
                let mut goals = vec![Goal::dag(dag, candidate.cond, true)];
                goals.extend(blockers.iter().map(|&b| Goal::dag(dag, b, false)));
                let Outcome::Sat(lead) = self.solve(&goals) else { break };
                match first_holding(&lead) {
                    Some(k) if k == index => {
                        self.offer(rule, lead);
                        break;
                    }
                    Some(k) if k < index => {
                        let Some(c) = candidates.get(k) else { break };
                        blockers.push(c.cond);
                    }
                    _ => break,
                }
            }
        }
        if !closed && self.gap.is_none() {
            self.rules_gap(candidates);
        }
    }

    /// Whether some lead on this path fails every candidate.
    fn rules_gap(&mut self, candidates: &'a [Candidate]) {
        let dag = self.ctx.dag;
        let lookups = &self.ctx.program.lookups;
        let mut blockers: Vec<CondId> = Vec::new();
        for _ in 0..GAP_ROUNDS {
            let goals: Vec<Goal<'a>> = blockers.iter().map(|&b| Goal::dag(dag, b, false)).collect();
            match self.solve(&goals) {
                Outcome::Sat(lead) => match candidates.iter().find(|c| dag.holds(c.cond, &lead, lookups)) {
                    None => {
                        if self.ctx.routes_to(&lead, None) {
                            self.gap = Some(lead);
                        } else {
                            self.gap_open = true;
                        }
                        return;
                    }
                    Some(c) if !blockers.contains(&c.cond) => blockers.push(c.cond),
                    Some(_) => break,
                },
                Outcome::Unsat => return,
                Outcome::Unknown => break,
            }
        }
        self.gap_open = true;
    }

    fn solve(&mut self, goals: &[Goal<'a>]) -> Outcome {
        Solver::new(&mut self.theory, &self.ctx.defaults, QUESTION_STEPS).solve(goals)
    }
}

/// The node where [`crate::compile::Dag::route`] ends for a valid lead: a
/// leaf or a rules node (`None` if the lead leaves the schema).
pub(crate) fn landing(ctx: &Ctx<'_>, lead: &Lead) -> Option<NodeId> {
    let dag = ctx.dag;
    let lookups = &ctx.program.lookups;
    let mut id = dag.root();
    loop {
        let next = match *dag.node(id)? {
            Node::NoMatch | Node::Match(_) | Node::Rules { .. } => return Some(id),
            Node::Enum { field, children, absent } => match lead.get(field) {
                Value::Enum(i) if *i < children.len => *dag.targets().get(children.start as usize + *i as usize)?,
                Value::Absent => absent,
                _ => return None,
            },
            Node::Bool { field, no, yes, absent } => match lead.get(field) {
                Value::Bool(false) => no,
                Value::Bool(true) => yes,
                Value::Absent => absent,
                _ => return None,
            },
            Node::Str { field, table, absent } => match lead.get(field) {
                Value::Str(s) => {
                    let t = dag.str_table(table)?;
                    match t.cases.binary_search_by(|(k, _)| (**k).cmp(&**s)) {
                        Ok(i) => t.cases.get(i)?.1,
                        Err(_) => t.default,
                    }
                }
                Value::Absent => absent,
                _ => return None,
            },
            Node::Interval { field, table, absent } => match lead.get(field).as_number() {
                Some(x) if !x.is_nan() => {
                    let t = dag.interval_table(table)?;
                    *t.children.get(t.cuts.partition_point(|&cut| cut <= x))?
                }
                Some(_) => return None,
                None if matches!(lead.get(field), Value::Absent) => absent,
                None => return None,
            },
            Node::Test { atom, then, otherwise } => {
                let a = dag.atom(atom)?;
                if a.test.holds(lead.get(a.field()), lookups) {
                    then
                } else {
                    otherwise
                }
            }
        };
        if next == dag.unchecked() {
            return None;
        }
        id = next;
    }
}

/// Appends an exact encoding of a fact: a tag, then its contents (tests
/// and tables by address, which is their identity in the program and DAG).
fn encode_lit(lit: &Lit<'_>, key: &mut Vec<u64>) {
    match lit {
        Lit::Test(test, outcome) => {
            key.extend([1 + u64::from(*outcome), std::ptr::from_ref(*test) as usize as u64]);
        }
        Lit::Enum(_, i) => key.extend([3, u64::from(*i)]),
        Lit::Bool(_, b) => key.extend([4, u64::from(*b)]),
        Lit::StrIs(_, s) => key.extend([5, s.as_ptr() as usize as u64, s.len() as u64]),
        Lit::StrNotIn(_, table) => key.extend([6, std::ptr::from_ref(*table) as usize as u64]),
        Lit::Interval(_, lo, hi) => {
            let bound = |b: &Option<f64>| b.map_or(u64::MAX, |x| x.to_bits());
            key.extend([7, bound(lo), bound(hi), u64::from(lo.is_some()) * 2 + u64::from(hi.is_some())]);
        }
        Lit::Absent(_) => key.push(8),
    }
}

/// Per node, the fields its subtree tests (a superset).
fn masks(ctx: &Ctx<'_>) -> Vec<Fields> {
    let dag = ctx.dag;
    let width = ctx.program.schema.fields.len();
    let nodes = dag.nodes();
    let mut masks: Vec<Option<Fields>> = vec![None; nodes.len()];
    let mut cond_masks: Vec<Option<Fields>> = Vec::new();
    let mut stack: Vec<(NodeId, bool)> = vec![(dag.root(), false)];
    while let Some((id, expanded)) = stack.pop() {
        if masks.get(id.index()).is_some_and(Option::is_some) {
            continue;
        }
        let Some(node) = dag.node(id) else { continue };
        let children: Vec<NodeId> = dag.edges(id).into_iter().map(|(_, c)| c).collect();
        if !expanded {
            stack.push((id, true));
            for c in children {
                if masks.get(c.index()).is_some_and(Option::is_none) {
                    stack.push((c, false));
                }
            }
            continue;
        }
        let mut below = match *node {
            Node::NoMatch | Node::Match(_) => Fields::with_capacity(width),
            Node::Enum { field, .. }
            | Node::Bool { field, .. }
            | Node::Str { field, .. }
            | Node::Interval { field, .. } => one(field, width),
            Node::Test { atom, .. } => dag.atom(atom).map_or_else(|| all(width), |a| one(a.field(), width)),
            Node::Rules { candidates } => {
                let mut set = Fields::with_capacity(width);
                for c in dag.candidates(candidates) {
                    set.union_with(&cond_mask(ctx, c.cond, &mut cond_masks));
                }
                set
            }
        };
        for c in &children {
            match masks.get(c.index()) {
                Some(Some(m)) => below.union_with(m),
                _ => below = all(width),
            }
        }
        if let Some(slot) = masks.get_mut(id.index()) {
            *slot = Some(below);
        }
    }
    masks.into_iter().map(|m| m.unwrap_or_else(|| all(width))).collect()
}

fn cond_mask(ctx: &Ctx<'_>, cond: CondId, memo: &mut Vec<Option<Fields>>) -> Fields {
    if let Some(Some(m)) = memo.get(cond.index()) {
        return m.clone();
    }
    let dag = ctx.dag;
    let width = ctx.program.schema.fields.len();
    let mask = match dag.cond(cond) {
        CondView::True | CondView::False => Fields::with_capacity(width),
        CondView::Atom(atom) => dag.atom(atom).map_or_else(|| all(width), |a| one(a.field(), width)),
        CondView::Not(inner) => cond_mask(ctx, inner, memo),
        CondView::All(parts) | CondView::Any(parts) => {
            let mut set = Fields::with_capacity(width);
            for &p in dag.cond_parts(parts) {
                set.union_with(&cond_mask(ctx, p, memo));
            }
            set
        }
    };
    if memo.len() <= cond.index() {
        memo.resize(cond.index() + 1, None);
    }
    if let Some(slot) = memo.get_mut(cond.index()) {
        *slot = Some(mask.clone());
    }
    mask
}
