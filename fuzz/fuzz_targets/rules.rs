//! Rule text → parse → check → compile → analyse.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    route_fuzz::pipeline(String::from_utf8_lossy(data).into_owned());
});
