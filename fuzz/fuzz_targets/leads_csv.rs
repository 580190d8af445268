//! The CSV reader with the fixed schema: with a header and without; records
//! out = records in where that is decidable (no quotes, no carriage
//! returns: one record per non-blank line); DAG = reference on every lead.
#![no_main]

use route::io::InputFormat;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (program, dag) = route_fuzz::project();
    let mut input = b"id,region,employees,revenue,email,partner,tags\n".to_vec();
    input.extend_from_slice(data);
    let records = route_fuzz::read(program, dag, &input, InputFormat::Csv);
    route_fuzz::read(program, dag, data, InputFormat::Csv);
    if !data.contains(&b'"') && !data.contains(&b'\r') {
        let lines = input.split(|&b| b == b'\n').skip(1).filter(|l| !l.iter().all(u8::is_ascii_whitespace));
        assert_eq!(records, lines.count(), "records out != records in");
    }
});
