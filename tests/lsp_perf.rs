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
    let first = client.diagnostics(&doc);
    println!("open: {:?} ({} diagnostics)", opened.elapsed(), first["diagnostics"].as_array().map_or(0, Vec::len));
    let mut version = 1;
    let mut measure = |client: &mut Client, label: &str, edit: &dyn Fn(usize) -> String| {
        let mut times: Vec<Duration> = Vec::new();
        let mut count = 0;
        for i in 0..EDITS {
            version += 1;
            let changed = edit(i);
            let sent = Instant::now();
            client.change(&doc, version, &changed);
            let published = client.diagnostics(&doc);
            times.push(sent.elapsed());
            count = published["diagnostics"].as_array().map_or(0, Vec::len);
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{label}: median {:.0} ms, p90 {:.0} ms, max {:.0} ms over {EDITS} edits ({count} diagnostics)",
            ms(times[EDITS / 2]),
            ms(times[EDITS * 9 / 10]),
            ms(times[EDITS - 1])
        );
    };
    // A comment typed at the end: the whole project is checked and analysed.
    measure(&mut client, "valid edit (check + analysis)", &|i| format!("{text}# edit {i}\n"));
    // A misspelt field in the last rule: checked, not analysed.
    measure(&mut client, "edit with an error (check only)", &|i| {
        text.replacen("otherwise ->", &format!("when no_such_field_{i} -> queue q\notherwise ->"), 1)
    });
    assert_eq!(client.stop(), 0);
}
