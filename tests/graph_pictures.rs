//! `route graph --format dot|mermaid` (issue 9 item 5): the rules as the
//! author reads them and the compiled DAG, as pictures; the DOT is rendered
//! by Graphviz when it is installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use assert_cmd::Command;

const QUICKSTART: &str = "examples/quickstart";
const BLOCKS: &str = "tests/fixtures/graph/blocks.route";

fn graph(args: &[&str]) -> String {
    let output = Command::cargo_bin("route")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("graph")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn quickstart_rules_as_dot() {
    insta::assert_snapshot!(graph(&[QUICKSTART, "--format", "dot"]));
}

#[test]
fn quickstart_rules_as_mermaid() {
    insta::assert_snapshot!(graph(&[QUICKSTART, "--format", "mermaid"]));
}

#[test]
fn quickstart_dag_as_dot() {
    insta::assert_snapshot!(graph(&[QUICKSTART, "--format", "dot", "--view", "dag"]));
}

#[test]
fn quickstart_dag_as_mermaid() {
    insta::assert_snapshot!(graph(&[QUICKSTART, "--format", "mermaid", "--view", "dag"]));
}

/// Blocks become (nested) groups; conditions appear as written, with the
/// characters of each format escaped; fallbacks and `on invalid` are edges.
#[test]
fn blocks_rules_as_dot() {
    let dot = graph(&[BLOCKS, "--format", "dot"]);
    assert!(dot.contains(r#"label="when region == \"NA\"""#), "{dot}");
    assert!(dot.contains(r#"company matches \"^(a|b)\\\\s#<x>&\""#), "{dot}");
    insta::assert_snapshot!(dot);
}

#[test]
fn blocks_rules_as_mermaid() {
    let mermaid = graph(&[BLOCKS, "--format", "mermaid"]);
    assert!(mermaid.contains("#quot;^(a#124;b)\\\\s#35;#lt;x#gt;#amp;#quot;"), "{mermaid}");
    insta::assert_snapshot!(mermaid);
}

#[test]
fn the_text_listing_stays_the_default_and_has_no_rules_view() {
    assert!(graph(&[QUICKSTART]).starts_with("dag: 7 nodes"));
    assert_eq!(graph(&[QUICKSTART, "--format", "text"]), graph(&[QUICKSTART]));
    let output = Command::cargo_bin("route")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["graph", QUICKSTART, "--view", "rules"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`--view rules` is a picture"));
}

/// Graphviz reads every picture and writes an SVG. Skipped (saying so)
/// where `dot` is not installed, unless `ROUTE_REQUIRE_GRAPHVIZ=1` (CI).
#[test]
fn graphviz_renders_every_picture() {
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success());
    if !has_dot {
        assert_ne!(
            std::env::var("ROUTE_REQUIRE_GRAPHVIZ").as_deref(),
            Ok("1"),
            "ROUTE_REQUIRE_GRAPHVIZ=1 but no `dot`"
        );
        eprintln!("skipped: Graphviz `dot` is not installed (set ROUTE_REQUIRE_GRAPHVIZ=1 to make this an error)");
        return;
    }
    for project in [QUICKSTART, BLOCKS, "examples/acme"] {
        for view in ["rules", "dag"] {
            let source = graph(&[project, "--format", "dot", "--view", view]);
            let output = Command::new("dot").arg("-Tsvg").write_stdin(source).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{project} {view}: {stderr}");
            assert!(!stderr.contains("Error") && !stderr.contains("syntax error"), "{project} {view}: {stderr}");
            let svg = String::from_utf8(output.stdout).unwrap();
            assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"), "{project} {view}: not an SVG");
            // Every rule of the project is drawn (its name is a text node).
            if project == QUICKSTART {
                for name in ["big_elsewhere", "line:20", "line:27", "line:30"] {
                    assert!(svg.contains(name), "{project} {view}: `{name}` missing from the SVG");
                }
            }
        }
    }
}
