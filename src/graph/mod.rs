//! Pictures of a project for `route graph --format dot|mermaid`.
//!
//! Two views, one drawing model: [`rules`] draws the rules as the author
//! wrote them (blocks as groups, each rule's condition as written, its
//! target and fallbacks), [`dag`] draws the compiled decision DAG `route
//! eval` runs. Both build a [`Picture`] (nodes, nested groups, edges), and
//! [`render`] writes any picture as Graphviz DOT or as a Mermaid flowchart,
//! so escaping and layout conventions live in one place.

pub mod dag;
pub mod render;
pub mod rules;

/// What a node stands for; decides its shape and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Where a lead enters (`lead`, `invalid lead`).
    Start,
    /// A rule of the source, or a leaf of the DAG firing a rule.
    Rule,
    /// A destination: team, rep, rep lookup or queue.
    Target,
    /// An inner node of the DAG (switch, interval, test, rule list).
    Decision,
    /// Where no rule fires.
    NoMatch,
}

/// How an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A first choice, or a DAG branch.
    Solid,
    /// A fallback.
    Dashed,
    /// "Not matched: try the next rule", the order rules are tried in.
    Dotted,
}

/// A node: an identifier safe in DOT and Mermaid, and its label lines.
#[derive(Debug, Clone)]
pub struct Node {
    /// `[A-Za-z0-9_]+`.
    pub id: String,
    /// Label lines, as the user reads them (escaped when rendered).
    pub lines: Vec<String>,
    /// What it stands for.
    pub kind: Kind,
    /// The group it is drawn in, by index into [`Picture::groups`].
    pub group: Option<usize>,
}

/// A group (a `when COND { ... }` block), possibly inside another.
#[derive(Debug, Clone)]
pub struct Group {
    /// Its label.
    pub label: String,
    /// The enclosing group.
    pub parent: Option<usize>,
}

/// An edge between two nodes, by identifier.
#[derive(Debug, Clone)]
pub struct Edge {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// What takes it, if anything needs saying.
    pub label: Option<String>,
    /// How it is drawn.
    pub line: Line,
}

/// Nodes, groups and edges, in the order they are written out.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    /// A title (drawn on top by Graphviz, a comment in Mermaid).
    pub title: String,
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The groups.
    pub groups: Vec<Group>,
    /// The edges.
    pub edges: Vec<Edge>,
    /// Rows, top to bottom: when given, the picture is laid out by them
    /// (each rule beside the targets it names first), the dotted edges
    /// run down the rows and the other edges do not move nodes.
    pub rows: Vec<Vec<String>>,
}

impl Picture {
    /// Adds a node unless one with this id exists (targets are shared).
    fn node(&mut self, id: String, lines: Vec<String>, kind: Kind, group: Option<usize>) {
        if !self.nodes.iter().any(|n| n.id == id) {
            self.nodes.push(Node { id, lines, kind, group });
        }
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<String>, line: Line) {
        self.edges.push(Edge { from: from.to_string(), to: to.to_string(), label, line });
    }
}

impl Picture {
    /// The node labelled `text` (one line) of this kind, added the first
    /// time: a target or a rule leaf reached from many places is drawn
    /// once. Its id is `prefix_key` with unsafe characters replaced, and
    /// numbered when two keys differ only in those (`rep "a.b"`, `rep "a-b"`).
    fn shared_node(&mut self, prefix: &str, key: &str, text: String, kind: Kind) -> String {
        if let Some(node) = self.nodes.iter().find(|n| n.kind == kind && n.lines.first() == Some(&text)) {
            return node.id.clone();
        }
        let safe: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let mut id = format!("{prefix}_{safe}");
        if self.nodes.iter().any(|n| n.id == id) {
            id = format!("{id}_{}", self.nodes.len());
        }
        self.node(id.clone(), vec![text], kind, None);
        id
    }
}
