//! The hours parser: a schedule or an error; a schedule written back parses
//! to itself.
#![no_main]

use route::eval::hours::Schedule;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(schedule) = Schedule::parse(&text) {
        let written = schedule.to_string();
        assert_eq!(Schedule::parse(&written).as_ref(), Ok(&schedule), "`{text}` written as `{written}`");
    }
});
