//! Writes a [`Picture`] as Graphviz DOT or as a Mermaid flowchart.
//!
//! Labels are user text (conditions as written, string literals with any
//! character), so each format's escaping is done here and only here: DOT
//! double-quoted strings escape `\` and `"`; Mermaid labels use its
//! `#code;` entities for the characters its parser or HTML would read.

use std::fmt::Write as _;

use super::{Kind, Line, Picture};

/// The picture as a DOT digraph, laid out left to right.
pub fn dot(picture: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph route {{");
    // Rows (the rules view) run top to bottom, a rule and its targets
    // side by side; `newrank` lets a row span the block clusters. Without
    // rows (the DAG), the picture flows left to right.
    let by_rows = !picture.rows.is_empty();
    let _ = writeln!(
        out,
        "  graph [rankdir={}, newrank=true, nodesep=0.3, fontname=\"Helvetica\", label={}, labelloc=t];",
        if by_rows { "TB" } else { "LR" },
        dot_quote(&picture.title)
    );
    let _ = writeln!(out, "  node [fontname=\"Helvetica\", fontsize=11];");
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];");
    dot_group(picture, None, 1, &mut out);
    for row in &picture.rows {
        let _ = writeln!(out, "  {{ rank=same; {}; }}", row.join("; "));
    }
    for edge in &picture.edges {
        let mut attributes = Vec::new();
        if let Some(label) = &edge.label {
            attributes.push(format!("label={}", dot_quote(label)));
        }
        if by_rows && edge.line != Line::Dotted {
            attributes.push("constraint=false".to_string());
        }
        match edge.line {
            Line::Solid => {}
            // Fallbacks are secondary: lighter, so first choices stand out.
            Line::Dashed => attributes.push("style=dashed, color=gray45, fontcolor=gray35".to_string()),
            // The order of trial is read, not laid out: it must not pull
            // rules into a long row.
            Line::Dotted => attributes.push("style=dotted, color=gray50".to_string()),
        }
        let _ = match attributes.is_empty() {
            true => writeln!(out, "  {} -> {};", edge.from, edge.to),
            false => writeln!(out, "  {} -> {} [{}];", edge.from, edge.to, attributes.join(", ")),
        };
    }
    out.push_str("}\n");
    out
}

/// The nodes and subgroups of one group (`None`: the top level).
fn dot_group(picture: &Picture, group: Option<usize>, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for node in picture.nodes.iter().filter(|n| n.group == group) {
        let _ =
            writeln!(out, "{pad}{} [label={}, {}];", node.id, dot_quote(&node.lines.join("\n")), dot_style(node.kind));
    }
    for (i, sub) in picture.groups.iter().enumerate().filter(|(_, g)| g.parent == group) {
        let _ = writeln!(out, "{pad}subgraph cluster_{i} {{");
        let _ = writeln!(
            out,
            "{pad}  label={}; labeljust=l; style=\"rounded,filled\"; fillcolor=\"#f4f4f8\"; color=\"#9090a8\";",
            dot_quote(&sub.label)
        );
        dot_group(picture, Some(i), depth + 1, out);
        let _ = writeln!(out, "{pad}}}");
    }
}

fn dot_style(kind: Kind) -> &'static str {
    match kind {
        Kind::Start => "shape=oval, style=filled, fillcolor=\"#dde8f8\"",
        Kind::Rule => "shape=box, style=\"rounded,filled\", fillcolor=white",
        Kind::Target => "shape=box, style=filled, fillcolor=\"#e2f2e2\"",
        Kind::Decision => "shape=box, style=filled, fillcolor=\"#fff4d6\"",
        Kind::NoMatch => "shape=box, style=\"filled,dashed\", fillcolor=\"#f8e0e0\"",
    }
}

/// A DOT double-quoted string; lines end in `\l` (left-justified) when
/// there are several, so conditions read like source.
fn dot_quote(text: &str) -> String {
    let mut out = String::from("\"");
    let several = text.contains('\n');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\l"),
            '\r' => {}
            c => out.push(c),
        }
    }
    if several {
        out.push_str("\\l");
    }
    out.push('"');
    out
}

/// The picture as a Mermaid flowchart, left to right.
pub fn mermaid(picture: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "%% {}", picture.title.replace('\n', " "));
    out.push_str("flowchart LR\n");
    mermaid_group(picture, None, 1, &mut out);
    for edge in &picture.edges {
        let arrow = match edge.line {
            Line::Solid => "-->",
            Line::Dashed => "-.->",
            Line::Dotted => "-.-",
        };
        match (&edge.label, edge.line) {
            (Some(label), _) => {
                let _ = writeln!(out, "  {} {arrow}|\"{}\"| {}", edge.from, mermaid_escape(label), edge.to);
            }
            _ => _ = writeln!(out, "  {} {arrow} {}", edge.from, edge.to),
        }
    }
    for (class, style) in [
        ("start", "fill:#dde8f8"),
        ("target", "fill:#e2f2e2"),
        ("decision", "fill:#fff4d6"),
        ("nomatch", "fill:#f8e0e0,stroke-dasharray:4"),
    ] {
        let _ = writeln!(out, "  classDef {class} {style}");
    }
    out
}

fn mermaid_group(picture: &Picture, group: Option<usize>, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for node in picture.nodes.iter().filter(|n| n.group == group) {
        let label: Vec<String> = node.lines.iter().map(|l| mermaid_escape(l)).collect();
        let (open, close, class) = match node.kind {
            Kind::Start => ("([", "])", ":::start"),
            Kind::Rule => ("(", ")", ""),
            Kind::Target => ("[", "]", ":::target"),
            Kind::Decision => ("{{", "}}", ":::decision"),
            Kind::NoMatch => ("[", "]", ":::nomatch"),
        };
        let _ = writeln!(out, "{pad}{}{open}\"{}\"{close}{class}", node.id, label.join("<br>"));
    }
    for (i, sub) in picture.groups.iter().enumerate().filter(|(_, g)| g.parent == group) {
        let _ = writeln!(out, "{pad}subgraph group_{i} [\"{}\"]", mermaid_escape(&sub.label));
        let _ = writeln!(out, "{pad}  direction TB");
        mermaid_group(picture, Some(i), depth + 1, out);
        let _ = writeln!(out, "{pad}end");
    }
}

/// Text for inside a Mermaid `"..."` label: the characters its parser or
/// the HTML it renders to would read as syntax become `#code;` entities.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_escapes_quotes_and_backslashes() {
        assert_eq!(dot_quote(r#"email matches "^a\.b""#), r#""email matches \"^a\\.b\"""#);
        assert_eq!(dot_quote("a\nb"), r#""a\lb\l""#);
    }

    #[test]
    fn mermaid_escapes_what_its_parser_reads() {
        assert_eq!(
            mermaid_escape(r#"x == "a|b" and y < 3 # c & `d`"#),
            "x == #quot;a#124;b#quot; and y #lt; 3 #35; c #amp; #96;d#96;"
        );
    }
}
