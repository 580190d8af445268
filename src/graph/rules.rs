//! The rules as the author reads them: each rule with its condition as
//! written (the source text of the condition, its lines joined), its
//! target and fallbacks as edges to target nodes; `when COND { ... }`
//! blocks as groups labelled with their condition; dotted edges from each
//! rule to the next in the order they are tried; `on invalid` from its own
//! start node.
//!
//! The conditions come from the entry file's syntax tree (the checked
//! [`Program`] has blocks flattened and `let`s inlined); the targets from
//! the program, whose actions have defaults resolved. Rules are in the
//! entry file only (E0104), and the program lists them in source order,
//! so the n-th rule of the tree is the n-th of the program.

use super::{Kind, Line, Picture};
use crate::check::program::{Action, Program, Target};
use crate::source::SourceMap;
use crate::syntax::ast::{Item, Rule, RuleKind};

/// The author's view of a checked project whose entry file is in `sources`
/// (the first file).
pub fn picture(program: &Program, sources: &SourceMap, title: &str) -> Picture {
    let mut builder = Builder { program, sources, picture: Picture::default(), next_rule: 0, previous: None };
    builder.picture.title = title.to_string();
    builder.picture.node("lead".into(), vec!["lead".into()], Kind::Start, None);
    let entry = crate::source::FileId(0);
    let text = sources.get(entry).map_or("", |f| f.text.as_str());
    let (module, _) = crate::syntax::parse(entry, text);
    // `on invalid` first: its own row, at the top, away from the rules.
    if let Some(action) = &program.on_invalid {
        builder.picture.node("invalid".into(), vec!["invalid lead".into()], Kind::Start, None);
        builder.picture.rows.push(vec!["invalid".into()]);
        builder.action("invalid", action);
    }
    let rules = module.items.iter().filter_map(|item| match item {
        Item::Rule(rule) => Some(rule),
        _ => None,
    });
    for rule in rules {
        builder.rule(rule, None);
    }
    builder.picture
}

struct Builder<'a> {
    program: &'a Program,
    sources: &'a SourceMap,
    picture: Picture,
    /// Index of the next leaf rule in [`Program::rules`].
    next_rule: usize,
    /// The node of the rule tried before the next one.
    previous: Option<String>,
}

impl Builder<'_> {
    fn rule(&mut self, rule: &Rule, group: Option<usize>) {
        match &rule.kind {
            RuleKind::Block { condition, rules } => {
                let label = format!("when {}", self.written(condition.span()));
                self.picture.groups.push(super::Group { label, parent: group });
                let inner = Some(self.picture.groups.len() - 1);
                for rule in rules {
                    self.rule(rule, inner);
                }
            }
            RuleKind::When { condition, .. } => {
                let condition = format!("when {}", self.written(condition.span()));
                self.leaf(condition, group);
            }
            RuleKind::Otherwise { .. } => self.leaf("otherwise".to_string(), group),
        }
    }

    /// A leaf rule: its node, the edge from the rule tried before it, and
    /// its action's edges.
    fn leaf(&mut self, condition: String, group: Option<usize>) {
        let program = self.program;
        let Some(info) = program.rules.get(self.next_rule) else { return };
        let id = format!("rule_{}", self.next_rule);
        self.next_rule += 1;
        self.picture.node(id.clone(), vec![info.name.clone(), condition], Kind::Rule, group);
        let first = self.previous.is_none();
        match self.previous.take() {
            Some(previous) => self.picture.edge(&previous, &id, None, Line::Dotted),
            None => self.picture.edge("lead", &id, Some("first".to_string()), Line::Solid),
        }
        // The first row starts with the lead coming in.
        let row = if first { vec!["lead".to_string(), id.clone()] } else { vec![id.clone()] };
        self.picture.rows.push(row);
        self.action(&id, &info.action);
        self.previous = Some(id);
    }

    fn action(&mut self, from: &str, action: &Action) {
        let (id, strategy) = self.target(&action.target);
        self.picture.edge(from, &id, strategy, Line::Solid);
        let several = action.fallbacks.len() > 1;
        for (i, fallback) in action.fallbacks.iter().enumerate() {
            let (id, strategy) = self.target(fallback);
            let mut label = if several { format!("fallback {}", i + 1) } else { "fallback".to_string() };
            if let Some(strategy) = strategy {
                label = format!("{label} {strategy}");
            }
            self.picture.edge(from, &id, Some(label), Line::Dashed);
        }
    }

    /// The target's node (added once) and the label of an edge to it.
    fn target(&mut self, target: &Target) -> (String, Option<String>) {
        let program = self.program;
        let (prefix, key, text, strategy) = match target {
            Target::Team { team, strategy } => {
                let name = program.teams.get(team.0 as usize).map_or("?", |t| t.name.as_str());
                ("team", name.to_string(), format!("team {name}"), Some(format!("via {}", strategy.as_str())))
            }
            Target::Rep(rep) => ("rep", rep.clone(), format!("rep {rep:?}"), None),
            Target::RepLookup { lookup, key } => {
                let lookup = program.lookups.get(lookup.0 as usize).map_or("?", |l| l.name.as_str());
                let key = program.schema.fields.get(key.index()).map_or("?", |f| f.name.as_str());
                ("lookup", format!("{lookup}_{key}"), format!("rep {lookup}[{key}]"), None)
            }
            Target::Queue(queue) => ("queue", queue.clone(), format!("queue {queue}"), None),
            Target::RepField(field) => {
                let name = program.schema.fields.get(field.index()).map_or("?", |f| f.name.as_str());
                ("column", name.to_string(), format!("rep {name}"), None)
            }
        };
        let known = self.picture.nodes.len();
        let id = self.picture.shared_node(prefix, &key, text, Kind::Target);
        // A target new here is drawn in the row of the rule naming it first.
        if self.picture.nodes.len() > known {
            if let Some(row) = self.picture.rows.last_mut() {
                row.push(id.clone());
            }
        }
        (id, strategy)
    }

    /// The source text of a span on one line: each line break with the
    /// indentation around it becomes one space (a comment inside a multi-line condition is
    /// kept, as written; the syntax layer owns comment handling).
    fn written(&self, span: crate::source::Span) -> String {
        let text = self.sources.snippet(span);
        text.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
    }
}
