//! What the fuzz targets share: the fixed project the lead readers read
//! for, and the invariants, asserted (a failed assertion is a finding).

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use route::analysis::{analyse, Options};
use route::check::program::Program;
use route::compile::{compile, Budget, Dag};
use route::eval::reference::first_match;
use route::io::{self, InputFormat, InputRecord};

/// A project with every field type, so that readers coerce everything.
pub const PROJECT: &str = include_str!("../../tests/fixtures/fuzz/project.route");

/// A path that names nothing on disk: a fuzzed `import` or `lookup` finds
/// no file (and cannot read a device).
pub const NOWHERE: &str = "/nonexistent-route-fuzz/routing.route";

/// Rule text through the whole pipeline: a program or diagnostics, never a
/// panic; a program compiles and is analysed.
pub fn pipeline(text: String) {
    let checked = route::check::check_source("routing.route", Path::new(NOWHERE), text);
    match checked.program {
        Some(program) => {
            let dag = compile(&program, Budget::for_program(&program));
            let _ = analyse(&program, &dag, &checked.sources, &Options { overlaps: true });
        }
        None => assert!(checked.diagnostics.has_errors(), "no program and no error"),
    }
}

/// The fixed project, checked and compiled once per process.
pub fn project() -> &'static (Program, Dag) {
    static PROJECT_DAG: OnceLock<(Program, Dag)> = OnceLock::new();
    PROJECT_DAG.get_or_init(|| {
        let checked = route::check::check_source("routing.route", Path::new(NOWHERE), PROJECT.to_string());
        let Some(program) = checked.program else { panic!("the fuzz project does not check") };
        let dag = compile(&program, Budget::for_program(&program));
        (program, dag)
    })
}

/// Every valid lead routes through the DAG as through the reference.
pub fn agrees(program: &Program, dag: &Dag, record: &InputRecord) {
    if let Ok(lead) = &record.lead {
        assert_eq!(dag.route(lead, &program.lookups), first_match(program, lead), "DAG != reference: {lead:?}");
    }
}

/// Reads `bytes` as `format` for the fixed project: records numbered 1,
/// 2, ... and each valid lead routed the same by the DAG and the
/// reference. Returns the number of records.
pub fn read(program: &Program, dag: &Dag, bytes: &[u8], format: InputFormat) -> usize {
    let Ok(reader) = io::leads(&program.schema, Box::new(Cursor::new(bytes.to_vec())), format) else {
        return 0;
    };
    let mut count = 0;
    for (i, record) in reader.enumerate() {
        assert_eq!(record.record, i as u64 + 1, "records are numbered in order");
        agrees(program, dag, &record);
        count += 1;
    }
    count
}

/// Lines a JSONL reader must turn into one record each.
pub fn non_blank_lines(bytes: &[u8]) -> usize {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    bytes.split(|&b| b == b'\n').filter(|l| !l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))).count()
}
