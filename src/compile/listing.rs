//! A readable text listing of a DAG (`route graph`, snapshot tests).
//!
//! One block per inner node, numbered `#1, #2, ...` breadth-first from the
//! root; under it one line per edge. Leaves are written inline as
//! `rule NAME` or `no match`; a node reached from several parents says so,
//! which is where sharing shows. Values are written as in `.route` source.

use std::fmt::Write as _;

use super::dag::{CondView, Dag, Edge, Node, NodeId};
use super::predicate::{next_down, Atom, CondId};
use crate::check::program::{Program, Scalar, TestKind};
use crate::schema::dates::{self, TimeKind};
use crate::schema::{FieldId, FieldType};

impl Dag {
    /// The DAG as text: a header with [`Dag::stats`], then every inner node
    /// with its edges. Stable for snapshots: it depends only on the program
    /// and the budget.
    pub fn listing(&self, program: &Program) -> String {
        let listed = self.listed(program);
        let mut out = String::new();
        let _ = writeln!(out, "{}", listed.header);
        if let Some(root) = &listed.root_leaf {
            let _ = writeln!(out, "root -> {}", root.text());
        }
        for node in &listed.nodes {
            let shared = match node.parents {
                0 | 1 => String::new(),
                p => format!("  (shared by {p} edges)"),
            };
            let _ = writeln!(out, "#{} {}{shared}", node.number, node.head);
            for edge in &node.edges {
                match (&edge.target, node.ordered) {
                    (Listed::Rule(name), true) => _ = writeln!(out, "    {name}: {}", edge.label),
                    (target, _) => _ = writeln!(out, "    {} -> {}", edge.label, target.text()),
                }
            }
        }
        out
    }

    /// The DAG as the listing shows it, for other renderings (the DOT and
    /// Mermaid pictures of `route graph --view dag`).
    pub fn listed(&self, program: &Program) -> ListedDag {
        Printer { dag: self, program }.model()
    }
}

/// The DAG as listed: inner nodes numbered breadth-first from the root,
/// each with its edges' labels as `.route` source writes values.
#[derive(Debug, Clone)]
pub struct ListedDag {
    /// `dag: N nodes (switch .., ..), depth D`.
    pub header: String,
    /// The root when it is itself a leaf (a program that decides nothing).
    pub root_leaf: Option<Listed>,
    /// The inner nodes, in order.
    pub nodes: Vec<ListedNode>,
}

/// One inner node of a [`ListedDag`].
#[derive(Debug, Clone)]
pub struct ListedNode {
    /// Its display number (`#1` is the root).
    pub number: usize,
    /// What it does: `switch region`, `interval employees`, `test ...`.
    pub head: String,
    /// How many edges reach it (more than one: a shared subtree).
    pub parents: usize,
    /// A size-budget fallback: its edges are candidate rules tried in
    /// order, each labelled with its residual condition.
    pub ordered: bool,
    /// Its edges, value cases with the same target grouped.
    pub edges: Vec<ListedEdge>,
}

/// One edge of a [`ListedNode`].
#[derive(Debug, Clone)]
pub struct ListedEdge {
    /// The values or range taking it (`"NA" | "APAC"`, `>= 5001`, `then`).
    pub label: String,
    /// Where it goes.
    pub target: Listed,
}

/// The end of an edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// An inner node, by display number.
    Node(usize),
    /// A leaf firing this rule.
    Rule(String),
    /// The leaf where no rule fires.
    NoMatch,
}

impl Listed {
    /// As the listing writes it: `#3`, `rule NAME`, `no match`.
    pub fn text(&self) -> String {
        match self {
            Listed::Node(n) => format!("#{n}"),
            Listed::Rule(name) => format!("rule {name}"),
            Listed::NoMatch => "no match".to_string(),
        }
    }
}

struct Printer<'a> {
    dag: &'a Dag,
    program: &'a Program,
}

impl Printer<'_> {
    fn model(&self) -> ListedDag {
        let dag = self.dag;
        let stats = dag.stats();
        let header = format!(
            "dag: {} nodes (switch {}, interval {}, test {}, rules {}, leaf {}), depth {}{}",
            stats.nodes,
            stats.switches,
            stats.intervals,
            stats.tests,
            stats.rules_nodes,
            stats.leaves,
            stats.depth,
            if stats.budget_hit { ", budget hit" } else { "" }
        );
        let (number, parents) = self.numbers();
        let root_leaf = matches!(dag.node(dag.root()), Some(Node::NoMatch | Node::Match(_)))
            .then(|| self.target(dag.root(), &number));
        let mut nodes = Vec::new();
        for (i, node) in dag.nodes().iter().enumerate() {
            let id = NodeId(u32::try_from(i).unwrap_or(u32::MAX));
            let n = number.get(i).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let head = match *node {
                Node::NoMatch | Node::Match(_) => continue,
                Node::Enum { field, .. } | Node::Bool { field, .. } | Node::Str { field, .. } => {
                    format!("switch {}", self.field_name(field))
                }
                Node::Interval { field, .. } => format!("interval {}", self.field_name(field)),
                Node::Test { atom, .. } => {
                    format!("test {}", dag.atom(atom).map_or_else(String::new, |a| self.atom_text(a)))
                }
                Node::Rules { .. } => "rules (size budget reached: tried in order)".to_string(),
            };
            let (ordered, edges) = match *node {
                Node::Rules { candidates } => (true, self.candidate_edges(candidates)),
                _ => (false, self.grouped_edges(id, node, &number)),
            };
            nodes.push(ListedNode { number: n, head, parents: parents.get(i).copied().unwrap_or(0), ordered, edges });
        }
        ListedDag { header, root_leaf, nodes }
    }

    /// Display numbers for inner nodes (0: not listed), and how many
    /// edges reach each node.
    fn numbers(&self) -> (Vec<usize>, Vec<usize>) {
        let dag = self.dag;
        let mut number = vec![0usize; dag.nodes().len()];
        let mut parents = vec![0usize; dag.nodes().len()];
        let mut next = 0;
        for (i, node) in dag.nodes().iter().enumerate() {
            let id = NodeId(u32::try_from(i).unwrap_or(u32::MAX));
            if id == dag.unchecked() && id != dag.root() {
                continue;
            }
            if !matches!(node, Node::NoMatch | Node::Match(_)) {
                next += 1;
                if let Some(n) = number.get_mut(i) {
                    *n = next;
                }
            }
            for (_, child) in dag.edges(id) {
                if let Some(p) = parents.get_mut(child.index()) {
                    *p += 1;
                }
            }
        }
        (number, parents)
    }

    fn candidate_edges(&self, candidates: super::dag::Slice) -> Vec<ListedEdge> {
        self.dag
            .candidates(candidates)
            .iter()
            .map(|c| ListedEdge {
                label: self.cond_text(c.cond, 0),
                target: Listed::Rule(self.program.rules.get(c.rule.index()).map_or("?", |r| r.name.as_str()).into()),
            })
            .collect()
    }

    /// A node's edges, value cases that share a target grouped, in
    /// first-seen order.
    fn grouped_edges(&self, id: NodeId, node: &Node, number: &[usize]) -> Vec<ListedEdge> {
        let mut groups: Vec<(Vec<String>, NodeId)> = Vec::new();
        for (edge, child) in self.dag.edges(id) {
            let label = self.edge_text(node, edge);
            let groupable = matches!(edge, Edge::Enum(_) | Edge::Bool(_) | Edge::Str(_));
            match groups.iter_mut().find(|(labels, target)| {
                groupable && *target == child && labels.first().is_some_and(|l| l.starts_with('"'))
            }) {
                Some((labels, _)) if label.starts_with('"') => labels.push(label),
                _ => groups.push((vec![label], child)),
            }
        }
        groups
            .into_iter()
            .map(|(labels, child)| ListedEdge { label: labels.join(" | "), target: self.target(child, number) })
            .collect()
    }

    fn target(&self, id: NodeId, number: &[usize]) -> Listed {
        match self.dag.node(id) {
            Some(Node::NoMatch) => Listed::NoMatch,
            Some(Node::Match(rule)) => {
                Listed::Rule(self.program.rules.get(rule.index()).map_or("?", |r| r.name.as_str()).to_string())
            }
            _ => Listed::Node(number.get(id.index()).copied().unwrap_or(0)),
        }
    }

    fn field_name(&self, field: FieldId) -> &str {
        self.program.schema.fields.get(field.index()).map_or("?", |f| f.name.as_str())
    }

    fn enum_value(&self, field: FieldId, index: u32) -> String {
        let ty = self.program.schema.fields.get(field.index()).map(|f| f.ty);
        let id = match ty {
            Some(FieldType::Enum(id)) => Some(id),
            Some(FieldType::List(element)) => match element.as_field_type() {
                FieldType::Enum(id) => Some(id),
                _ => None,
            },
            _ => None,
        };
        let name = id.and_then(|id| self.program.schema.enums.get(id.0 as usize)).map_or("?", |e| e.name(index));
        quote(name)
    }

    fn edge_text(&self, node: &Node, edge: Edge<'_>) -> String {
        let (field, integer) = match *node {
            Node::Enum { field, .. } | Node::Bool { field, .. } | Node::Str { field, .. } => (field, false),
            Node::Interval { field, table, .. } => (field, self.dag.interval_table(table).is_some_and(|t| t.integer)),
            _ => (FieldId(0), false),
        };
        let kind = self.number_kind(field, integer);
        match edge {
            Edge::Enum(i) => self.enum_value(field, i),
            Edge::Bool(b) => b.to_string(),
            Edge::Str(s) => quote(s),
            Edge::OtherStr => "else".to_string(),
            Edge::Interval { lo, hi } => interval_text(lo, hi, kind),
            Edge::Absent => "absent".to_string(),
            Edge::Then => "then".to_string(),
            Edge::Else => "else".to_string(),
        }
    }

    /// How the numbers of a field are shown: dates and datetimes as ISO.
    fn number_kind(&self, field: FieldId, integer: bool) -> Numbers {
        match self.program.schema.fields.get(field.index()).and_then(|f| f.ty.time_kind()) {
            Some(kind) => Numbers::Time(kind),
            None if integer => Numbers::Int,
            None => Numbers::Float,
        }
    }

    fn scalar_text(&self, field: FieldId, scalar: &Scalar) -> String {
        match scalar {
            Scalar::Str(s) => quote(s),
            Scalar::Int(i) => match self.number_kind(field, true) {
                Numbers::Time(kind) => dates::show(kind, *i),
                _ => i.to_string(),
            },
            Scalar::Float(f) => format!("{f:?}"),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Enum(i) => self.enum_value(field, *i),
        }
    }

    fn list_text(&self, field: FieldId, list: &[Scalar]) -> String {
        let items: Vec<String> = list.iter().map(|s| self.scalar_text(field, s)).collect();
        format!("[{}]", items.join(", "))
    }

    /// An atom as written in `.route` source.
    fn atom_text(&self, atom: &Atom) -> String {
        let field = atom.field();
        let name = self.field_name(field);
        match &atom.test.kind {
            TestKind::Exists => format!("{name} exists"),
            TestKind::Eq(s) => format!("{name} == {}", self.scalar_text(field, s)),
            TestKind::In(list) => format!("{name} in {}", self.list_text(field, list)),
            TestKind::Compare(op, v) => {
                let op = match op {
                    crate::check::program::Ordering::Lt => "<",
                    crate::check::program::Ordering::Le => "<=",
                    crate::check::program::Ordering::Gt => ">",
                    crate::check::program::Ordering::Ge => ">=",
                };
                let integer = self.program.schema.fields.get(field.index()).is_some_and(|f| f.ty.is_integral());
                let kind = self.number_kind(field, integer);
                let v = match v {
                    crate::check::program::Number::Int(i) => match kind {
                        Numbers::Time(time) => dates::show(time, *i),
                        _ => i.to_string(),
                    },
                    crate::check::program::Number::Float(f) => number_text(*f, kind),
                };
                format!("{name} {op} {v}")
            }
            TestKind::StartsWith(s) => format!("{name} starts_with {}", quote(s)),
            TestKind::EndsWith(s) => format!("{name} ends_with {}", quote(s)),
            TestKind::Contains(s) => format!("{name} contains {}", quote(s)),
            TestKind::ListContains(s) => format!("{name} contains {}", self.scalar_text(field, s)),
            TestKind::Matches(re) => format!("{name} matches {}", quote(re.as_str())),
            TestKind::InLookup(id) => {
                format!("{name} in {}", self.program.lookups.get(id.0 as usize).map_or("?", |l| l.name.as_str()))
            }
        }
    }

    /// A residual condition; `outer` is the precedence of the context
    /// (0: top or `or`, 1: `and`, 2: `not`).
    fn cond_text(&self, c: CondId, outer: u8) -> String {
        let dag = self.dag;
        let (text, precedence) = match dag.cond(c) {
            CondView::True => ("always".to_string(), 3),
            CondView::False => ("never".to_string(), 3),
            CondView::Atom(atom) => (dag.atom(atom).map_or_else(String::new, |a| self.atom_text(a)), 3),
            CondView::Not(inner) => {
                let negated = match dag.cond(inner) {
                    CondView::Atom(atom) => dag.atom(atom).and_then(|a| {
                        let name = self.field_name(a.field());
                        match &a.test.kind {
                            TestKind::Eq(s) => Some(format!("{name} != {}", self.scalar_text(a.field(), s))),
                            TestKind::In(list) => Some(format!("{name} not in {}", self.list_text(a.field(), list))),
                            _ => None,
                        }
                    }),
                    _ => None,
                };
                match negated {
                    Some(text) => (text, 3),
                    None => (format!("not {}", self.cond_text(inner, 2)), 2),
                }
            }
            CondView::All(parts) => {
                let texts: Vec<String> = dag.cond_parts(parts).iter().map(|&p| self.cond_text(p, 1)).collect();
                (texts.join(" and "), 1)
            }
            CondView::Any(parts) => {
                let texts: Vec<String> = dag.cond_parts(parts).iter().map(|&p| self.cond_text(p, 0)).collect();
                (texts.join(" or "), 0)
            }
        };
        if precedence < outer {
            format!("({text})")
        } else {
            text
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// How a field's numbers read: ints, floats, or dates and datetimes (days
/// or milliseconds, shown as ISO 8601).
#[derive(Debug, Clone, Copy)]
enum Numbers {
    Int,
    Float,
    Time(TimeKind),
}

impl Numbers {
    fn integer(self) -> bool {
        !matches!(self, Numbers::Float)
    }
}

fn number_text(v: f64, kind: Numbers) -> String {
    match kind {
        Numbers::Time(time) if v.fract() == 0.0 && v.abs() < 1e18 => dates::show(time, v as i64),
        Numbers::Int | Numbers::Time(_) if v.fract() == 0.0 && v.abs() < 1e18 => format!("{v}"),
        _ => format!("{v:?}"),
    }
}

/// A cut point as the user likely wrote it: on a float field, a cut that is
/// the successor of a much shorter decimal `v` came from `<= v` or `> v`.
fn cut_text(cut: f64, kind: Numbers) -> (String, bool) {
    // `t > 10:00:00Z` cuts at 10:00:00.001Z: shown as written.
    if let Numbers::Time(TimeKind::DateTime) = kind {
        if cut.fract() == 0.0 && (cut as i64).rem_euclid(1000) == 1 {
            return (dates::show(TimeKind::DateTime, cut as i64 - 1), true);
        }
    }
    if !kind.integer() && cut.is_finite() {
        let below = next_down(cut);
        let (plain, shorter) = (format!("{cut:?}"), format!("{below:?}"));
        if below.is_finite() && shorter.len() + 4 < plain.len() {
            return (shorter, true);
        }
    }
    (number_text(cut, kind), false)
}

fn interval_text(lo: Option<f64>, hi: Option<f64>, kind: Numbers) -> String {
    match (lo, hi) {
        (None, None) => "any number".to_string(),
        (None, Some(h)) => match cut_text(h, kind) {
            (v, true) => format!("<= {v}"),
            (v, false) => format!("< {v}"),
        },
        (Some(l), None) => match cut_text(l, kind) {
            (v, true) => format!("> {v}"),
            (v, false) => format!(">= {v}"),
        },
        (Some(l), Some(h)) => {
            let point = if kind.integer() { h == l + 1.0 } else { h == super::predicate::next_up(l) };
            if point {
                return format!("== {}", number_text(l, kind));
            }
            let (lt, l_after) = cut_text(l, kind);
            let (ht, h_after) = cut_text(h, kind);
            format!("{}{lt}, {ht}{}", if l_after { "(" } else { "[" }, if h_after { "]" } else { ")" })
        }
    }
}
