//! The JSONL reader with the fixed schema: one record per non-blank line
//! (a bare carriage return's meaning is left to the reader); DAG =
//! reference on every lead.
#![no_main]

use route::io::InputFormat;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (program, dag) = route_fuzz::project();
    let records = route_fuzz::read(program, dag, data, InputFormat::Jsonl);
    if !data.contains(&b'\r') {
        assert_eq!(records, route_fuzz::non_blank_lines(data), "records out != records in");
    }
});
