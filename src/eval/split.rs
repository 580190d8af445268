//! Splits (LANGUAGE.md §14): which arm a lead falls in.
//!
//! The bucket is SipHash-1-3, keys `(0, 0)`, over the UTF-8 bytes of the
//! split's name, one `0xFF` byte (which UTF-8 never contains, so `("ab",
//! "c")` and `("a", "bc")` differ) and the key's text as sticky writes it
//! (text as is, numbers as in JSON, enum values by name), reduced modulo
//! 10,000. Nothing in it depends on the process, the machine or the
//! version: the same lead lands in the same arm everywhere, and a golden
//! test pins the values.
//!
//! Arms take consecutive ranges of buckets in the order written: arm `i`
//! takes `[s_0 + … + s_{i-1}, s_0 + … + s_i)`. Growing one arm's share at
//! the expense of the next moves only the keys in between into it, and no
//! key between any other two arms: the fewest keys a change of shares can
//! move.

use std::hash::Hasher as _;

use siphasher::sip::SipHasher13;

use crate::check::program::{Split, SPLIT_BUCKETS};

/// The bucket of `key` in the split named `name`, in `0..10_000`.
pub fn bucket(name: &str, key: &str) -> u32 {
    let mut hasher = SipHasher13::new_with_keys(0, 0);
    hasher.write(name.as_bytes());
    hasher.write(&[0xff]);
    hasher.write(key.as_bytes());
    // INVARIANT: the remainder is below 10,000, so it fits a u32.
    u32::try_from(hasher.finish() % u64::from(SPLIT_BUCKETS)).unwrap_or(0)
}

/// The index of the arm whose range holds `bucket` (the last arm for a
/// bucket past every range, which checked shares never leave).
pub fn arm_of(split: &Split, bucket: u32) -> usize {
    let mut end = 0u32;
    for (i, arm) in split.arms.iter().enumerate() {
        end = end.saturating_add(arm.share);
        if bucket < end {
            return i;
        }
    }
    split.arms.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_pinned() {
        // Golden values: a change here moves leads between arms in every
        // deployed split. Never update them to make the test pass. (Checked
        // against an independent SipHash-1-3 written from the paper.)
        let golden = [
            ("na_pilot", "L0001", 26),
            ("na_pilot", "L0003", 2528),
            ("na_pilot", "L0011", 9921),
            ("pilot", "", 335),
            ("pilot", "ana@acme.io", 5449),
            ("ab", "c", 9593),
            ("a", "bc", 3136),
        ];
        let got: Vec<u32> = golden.iter().map(|(name, key, _)| bucket(name, key)).collect();
        let expected: Vec<u32> = golden.iter().map(|g| g.2).collect();
        assert_eq!(got, expected);
    }
}
