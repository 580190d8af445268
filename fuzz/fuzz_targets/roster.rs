//! The roster loader: a roster, or problems each with a path and a message.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(problems) = route::eval::Roster::from_json(&String::from_utf8_lossy(data)) {
        assert!(!problems.is_empty());
        for problem in problems {
            assert!(!problem.path.is_empty() && !problem.message.is_empty(), "{problem:?}");
        }
    }
});
