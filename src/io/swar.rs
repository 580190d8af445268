//! Eight bytes at a time in a `u64` ("SIMD within a register"), in safe
//! code: the byte scans on the per-lead path (splitting a CSV line, finding
//! what a JSON string must escape) test a word per step instead of a byte.

/// `0x01` in every byte.
const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
/// `0x7f` in every byte.
const SEVEN: u64 = u64::from_ne_bytes([0x7f; 8]);
/// `0x80` in every byte.
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// `byte` in every byte of a word.
pub(crate) const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// The word of eight bytes, in memory order from the lowest byte (little
/// endian, so that [`first_at`] counts from the start).
pub(crate) fn load(chunk: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*chunk)
}

/// The first `tail.len()` (at most eight) bytes of a word from `tail`, the
/// rest `pad`.
pub(crate) fn load_padded(tail: &[u8], pad: u8) -> u64 {
    let mut word = [pad; 8];
    for (slot, &byte) in word.iter_mut().zip(tail) {
        *slot = byte;
    }
    u64::from_le_bytes(word)
}

/// Whether some byte of `word` is zero: the classic trick, exact as a yes
/// or no (it may misplace which byte, so it says nothing about where).
pub(crate) fn has_zero(word: u64) -> bool {
    word.wrapping_sub(LOW) & !word & HIGH != 0
}

/// `0x80` in each byte of `word` that equals `byte`, `0` in every other:
/// exact per byte (no carry crosses bytes), so that [`first_at`] finds
/// them all.
pub(crate) fn matches(word: u64, byte: u8) -> u64 {
    let x = word ^ splat(byte);
    !(((x & SEVEN).wrapping_add(SEVEN)) | x | SEVEN)
}

/// The byte index of the lowest marked byte of a non-zero mask from
/// [`matches`].
pub(crate) fn first_at(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_marks_exactly_the_equal_bytes(bytes in any::<[u8; 8]>(), byte in any::<u8>()) {
            let mut mask = matches(load(&bytes), byte);
            let mut found = Vec::new();
            while mask != 0 {
                found.push(first_at(mask));
                mask &= mask - 1;
            }
            let expected: Vec<usize> = (0..8).filter(|&i| bytes.get(i) == Some(&byte)).collect();
            prop_assert_eq!(found, expected);
        }

        #[test]
        fn has_zero_says_whether_a_byte_is_zero(bytes in any::<[u8; 8]>()) {
            prop_assert_eq!(has_zero(load(&bytes)), bytes.contains(&0));
        }
    }

    #[test]
    fn padded_words_hold_the_tail_then_the_pad() {
        assert_eq!(load_padded(b"ab", b'z'), load(b"abzzzzzz"));
        assert_eq!(load_padded(b"", 0), 0);
    }
}
