//! How long `route lsp` takes from a change to its diagnostics on a
//! 1,000-rule file (`../shared/bench/gen_rules.py`). Ignored by default;
//! prints its figures for docs/performance.md (`## route lsp`):
//!
//! ```sh
//! cargo test --test lsp_perf -- --ignored --nocapture
//! ROUTE_BIN=target/release/route cargo test --test lsp_perf -- --ignored --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod lsp_support;

use std::time::{Duration, Instant};

use lsp_support::{uri, Client};

/// Edits timed per kind.
const EDITS: usize = 15;

#[test]
#[ignore = "a measurement: run by hand, see the module documentation"]
fn diagnostics_after_a_change_on_1000_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("routing.route");
    let generator = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_rules.py");
    let status = std::process::Command::new("python3")
        .arg(&generator)
        .args(["--rules", "1000", "--seed", "7", "--format", "route", "-o"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = uri(&path);
    let mut client = Client::start_with(dir.path(), std::env::var_os("ROUTE_BIN"));
    let opened = Instant::now();
    client.open(&doc, &text);
    client.diagnostics(&doc);
    let checked = opened.elapsed();
    let first = client.diagnostics(&doc);
    let count = first["diagnostics"].as_array().map_or(0, Vec::len);
    println!("open: checked {checked:?}, analysed {:?} ({count} diagnostics)", opened.elapsed());
    let mut version = 1;
    let mut measure = |client: &mut Client, label: &str, clean: bool, edit: &dyn Fn(usize) -> String| {
        let (mut checked, mut analysed): (Vec<Duration>, Vec<Duration>) = (Vec::new(), Vec::new());
        let mut count = 0;
        for i in 0..EDITS {
            version += 1;
            let changed = edit(i);
            let sent = Instant::now();
            client.change(&doc, version, &changed);
            let mut published = client.diagnostics(&doc);
            checked.push(sent.elapsed());
            if clean {
                published = client.diagnostics(&doc);
                analysed.push(sent.elapsed());
            }
            count = published["diagnostics"].as_array().map_or(0, Vec::len);
        }
        println!("{label} ({count} diagnostics), over {EDITS} edits:");
        for (what, mut times) in [("checker's diagnostics", checked), ("with the analysis", analysed)] {
            if times.is_empty() {
                continue;
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let (median, p90, max) = (times[EDITS / 2], times[EDITS * 9 / 10], times[EDITS - 1]);
            println!("  {what}: median {:.0} ms, p90 {:.0} ms, max {:.0} ms", ms(median), ms(p90), ms(max));
        }
    };
    // A comment typed at the end: the whole project is checked, then analysed.
    measure(&mut client, "valid edit", true, &|i| format!("{text}# edit {i}\n"));
    // A misspelt field in a new last rule: checked, not analysed.
    measure(&mut client, "edit with an error", false, &|i| {
        text.replacen("otherwise ->", &format!("when no_such_field_{i} -> queue q\notherwise ->"), 1)
    });
    assert_eq!(client.stop(), 0);
}
