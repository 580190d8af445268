//! The readers on the example project's lead files: a checked schema and
//! dirty data written to look like a CRM export.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::io::Cursor;
use std::path::Path;

use route::io::{self, InputRecord};

fn records(schema: &route::schema::Schema, path: &Path) -> Vec<InputRecord> {
    let format = io::format_for_path(path).unwrap();
    let bytes = std::fs::read(path).unwrap();
    io::leads(schema, Box::new(Cursor::new(bytes)), format).unwrap().collect()
}

/// Every lead of the CSV and of the JSONL export comes out once, in order,
/// named by its id (invalid ones too), on its own line.
#[test]
fn acme_leads_come_out_one_per_line_with_their_ids() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
    let checked = route::check::check_file(&root.join("routing.route")).unwrap();
    let program = checked.program.expect("the acme example checks");
    for (file, header_lines) in [("leads.csv", 1), ("leads.jsonl", 0)] {
        let path = root.join(file);
        let lines = std::fs::read_to_string(&path).unwrap().lines().count() as u64;
        let records = records(&program.schema, &path);
        assert_eq!(records.len() as u64, lines - header_lines, "{file}");
        for (i, r) in records.iter().enumerate() {
            let n = i as u64 + 1;
            assert_eq!((r.record, r.line), (n, n + header_lines), "{file}");
            assert_eq!(r.id.as_deref(), Some(format!("L{n:06}").as_str()), "{file}");
        }
        let valid = records.iter().filter(|r| r.lead.is_ok()).count();
        assert!(valid * 10 > records.len() * 9, "{file}: only {valid} valid");
    }
}
