//! Every ```route block in docs/ checks clean. Blocks without a schema of
//! their own are checked after tests/fixtures/docs/prelude.route.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

fn route_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in markdown.lines().enumerate() {
        let fence = line.trim_start();
        match current.take() {
            None if fence == "```route" => current = Some((number + 1, String::new())),
            None => {}
            Some(block) if fence == "```" => blocks.push(block),
            Some((start, mut text)) => {
                text.push_str(line);
                text.push('\n');
                current = Some((start, text));
            }
        }
    }
    blocks
}

#[test]
fn every_route_block_in_the_docs_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let prelude = std::fs::read_to_string(root.join("tests/fixtures/docs/prelude.route")).unwrap();
    let mut checked_blocks = 0;
    let docs = std::fs::read_dir(root.join("docs")).unwrap().map(|e| e.unwrap().path());
    for path in docs.chain(std::iter::once(root.join("README.md"))) {
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let markdown = std::fs::read_to_string(&path).unwrap();
        for (line, block) in route_blocks(&markdown) {
            let has_schema = block.lines().any(|l| l.trim_start().starts_with("schema "));
            let text = if has_schema { block.clone() } else { format!("{prelude}\n{block}") };
            let virtual_path = root.join("tests/fixtures/docs/snippet.route");
            let checked = route::check::check_source("snippet.route", &virtual_path, text);
            let rendered = route::diagnostics::human::render_to_string(&checked.sources, &checked.diagnostics);
            assert!(
                !checked.diagnostics.has_errors(),
                "{}:{line}: this block does not check:\n{block}\n{rendered}",
                path.display()
            );
            checked_blocks += 1;
        }
    }
    assert!(checked_blocks >= 10, "only {checked_blocks} route blocks found");
}
