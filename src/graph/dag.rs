//! The compiled decision DAG as a picture: the nodes and edge labels of
//! the text listing ([`crate::compile::ListedDag`]), drawn. Inner nodes
//! (switch, interval, test, rule list) are decisions; each rule that fires
//! is one leaf node, however many paths reach it, so sharing shows.

use super::{Kind, Line, Picture};
use crate::check::program::Program;
use crate::compile::{Dag, Listed};

/// The DAG view of a compiled program.
pub fn picture(program: &Program, dag: &Dag, title: &str) -> Picture {
    let listed = dag.listed(program);
    let mut picture = Picture { title: format!("{title}\n{}", listed.header), ..Picture::default() };
    picture.node("lead".into(), vec!["lead".into()], Kind::Start, None);
    let root = listed.root_leaf.clone().unwrap_or(Listed::Node(1));
    let root = end(&mut picture, &root);
    picture.edge("lead", &root, None, Line::Solid);
    for node in &listed.nodes {
        let id = format!("n{}", node.number);
        picture.node(id.clone(), vec![format!("#{}", node.number), node.head.clone()], Kind::Decision, None);
        for (i, edge) in node.edges.iter().enumerate() {
            let to = end(&mut picture, &edge.target);
            // A rule list is tried in order: number its candidates.
            let label = if node.ordered { format!("{}. {}", i + 1, edge.label) } else { edge.label.clone() };
            picture.edge(&id, &to, Some(label), Line::Solid);
        }
    }
    picture
}

/// The node an edge ends at (a leaf is added the first time it is reached).
fn end(picture: &mut Picture, target: &Listed) -> String {
    match target {
        Listed::Node(n) => format!("n{n}"),
        Listed::Rule(name) => picture.shared_node("rule", name, format!("rule {name}"), Kind::Rule),
        Listed::NoMatch => {
            picture.node("no_match".into(), vec!["no match".into()], Kind::NoMatch, None);
            "no_match".into()
        }
    }
}
