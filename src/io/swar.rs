//! Eight bytes at a time in a `u64` ("SIMD within a register"), in safe
//! code: finding what a JSON string of the output must escape tests a word
//! per step instead of a byte. (Reading a lead's line scans sixteen bytes a
//! step: `super::sixteen`.)

use std::ops::ControlFlow;

/// `0x01` in every byte.
const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
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

/// Gives `visit` the words of `bytes` with the offset of each, the last
/// few bytes padded with `pad` (a byte the caller looks for in none of its
/// tests), until it breaks. Two plain loops rather than an iterator: the
/// chained iterator this was kept its state on the stack, and splitting a
/// CSV line spent a fifth of its time reloading it.
pub(crate) fn each_word<B>(
    bytes: &[u8],
    pad: u8,
    mut visit: impl FnMut(usize, u64) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let (words, tail) = bytes.as_chunks::<8>();
    for (i, chunk) in words.iter().enumerate() {
        visit(i * 8, load(chunk))?;
    }
    visit(words.len() * 8, load_padded(tail, pad))
}

/// Whether some byte of `word` is zero: the classic trick, exact as a yes
/// or no (it may misplace which byte, so it says nothing about where).
pub(crate) fn has_zero(word: u64) -> bool {
    word.wrapping_sub(LOW) & !word & HIGH != 0
}

/// Whether some byte of `word` is `byte`.
pub(crate) fn contains(word: u64, byte: u8) -> bool {
    has_zero(word ^ splat(byte))
}

/// Whether some byte of `word` is a control character (below 0x20): some
/// byte of `word & !0x1f` is zero (0x80 and up never are).
pub(crate) fn has_control(word: u64) -> bool {
    has_zero(word & splat(0xE0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn contains_says_whether_a_byte_is_there(bytes in any::<[u8; 8]>(), byte in any::<u8>()) {
            prop_assert_eq!(contains(load(&bytes), byte), bytes.contains(&byte));
        }

        #[test]
        fn has_zero_says_whether_a_byte_is_zero(bytes in any::<[u8; 8]>()) {
            prop_assert_eq!(has_zero(load(&bytes)), bytes.contains(&0));
            prop_assert_eq!(has_control(load(&bytes)), bytes.iter().any(|&b| b < 0x20));
        }

        #[test]
        fn words_cover_the_bytes_in_order(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut seen = Vec::new();
            let visited = each_word(&bytes, 0xAA, |base, word| {
                if base != seen.len() / 8 * 8 {
                    return ControlFlow::Break(base);
                }
                seen.extend_from_slice(&word.to_le_bytes());
                ControlFlow::Continue(())
            });
            prop_assert_eq!(visited, ControlFlow::Continue(()));
            prop_assert_eq!(seen.get(..bytes.len()), Some(&bytes[..]));
            prop_assert!(seen.get(bytes.len()..).is_some_and(|pad| pad.iter().all(|&b| b == 0xAA)));
        }

        #[test]
        fn each_word_stops_where_it_is_told(bytes in proptest::collection::vec(any::<u8>(), 0..40), stop in 0usize..6) {
            let mut visits = 0;
            let stopped = each_word(&bytes, 0, |base, _| {
                visits += 1;
                if base / 8 == stop { ControlFlow::Break(base) } else { ControlFlow::Continue(()) }
            });
            let words = bytes.len() / 8 + 1;
            if stop < words {
                prop_assert_eq!(stopped, ControlFlow::Break(stop * 8));
                prop_assert_eq!(visits, stop + 1);
            } else {
                prop_assert_eq!(stopped, ControlFlow::Continue(()));
                prop_assert_eq!(visits, words);
            }
        }
    }

    #[test]
    fn padded_words_hold_the_tail_then_the_pad() {
        assert_eq!(load_padded(b"ab", b'z'), load(b"abzzzzzz"));
        assert_eq!(load_padded(b"", 0), 0);
    }
}
