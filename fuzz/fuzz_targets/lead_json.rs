//! One JSON lead (`route eval --lead`): always one record, numbered 1;
//! DAG = reference when it is valid.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (program, dag) = route_fuzz::project();
    let record = route::io::single_lead(&program.schema, &String::from_utf8_lossy(data));
    assert_eq!((record.record, record.line), (1, 1));
    route_fuzz::agrees(program, dag, &record);
});
