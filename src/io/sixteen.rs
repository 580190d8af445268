//! Sixteen bytes at a time, for the byte scans on the per-lead path that
//! look at every byte (splitting a CSV line at its delimiters, checking
//! and walking a JSONL line, finding what a JSON string of the output must
//! escape). With SSE2, which every x86-64 processor has, one compare and
//! one mask test sixteen bytes; elsewhere a byte at a time. Eight bytes a
//! step in a `u64` word (SWAR, the module this replaced) was a tenth of
//! reading a lead in both formats (docs/performance.md).

use std::ops::ControlFlow;

/// Gives `visit` `bytes` sixteen at a time, each chunk with the offset of
/// its first byte, until it breaks; the last few bytes (none, at a
/// multiple of sixteen) make one more chunk, padded with `pad`, a byte the
/// caller looks for in none of its tests. Two plain loops: an iterator of
/// chunks (copied, zipped with their offsets) cost 50 instructions more a
/// lead in both readers.
pub(crate) fn each_chunk<B>(
    bytes: &[u8],
    pad: u8,
    mut visit: impl FnMut(usize, &[u8; 16]) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let (whole, tail) = bytes.as_chunks::<16>();
    for (i, chunk) in whole.iter().enumerate() {
        visit(i * 16, chunk)?;
    }
    visit(whole.len() * 16, &padded(tail, pad))
}

/// The sixteen bytes from the start of `tail` (at most sixteen), the rest
/// `pad`.
fn padded(tail: &[u8], pad: u8) -> [u8; 16] {
    let mut chunk = [pad; 16];
    for (slot, &byte) in chunk.iter_mut().zip(tail) {
        *slot = byte;
    }
    chunk
}

/// Where `byte` is in `chunk`, one bit each (bit `i` for byte `i`).
#[cfg(target_arch = "x86_64")]
pub(crate) fn matches(chunk: &[u8; 16], byte: u8) -> u32 {
    // SAFETY: SSE2 is part of the x86-64 baseline, so the feature the
    // function is compiled for is present wherever this runs.
    unsafe { sse2::matches(chunk, byte) }
}

/// Which bytes are not ASCII (0x80 and above), one bit each.
#[cfg(target_arch = "x86_64")]
pub(crate) fn wide(chunk: &[u8; 16]) -> u32 {
    // SAFETY: as in `matches`.
    unsafe { sse2::wide(chunk) }
}

/// Whether one of the bytes is a backslash or a control character
/// (below 0x20): what a JSON string may not hold as it is.
#[cfg(target_arch = "x86_64")]
pub(crate) fn escapes(chunk: &[u8; 16]) -> bool {
    // SAFETY: as in `matches`.
    unsafe { sse2::escapes(chunk) }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x,
    };

    #[target_feature(enable = "sse2")]
    fn load(chunk: &[u8; 16]) -> __m128i {
        let (lo, hi) = chunk.split_at(8);
        let word = |half: &[u8]| i64::from_le_bytes(half.try_into().unwrap_or_default());
        _mm_set_epi64x(word(hi), word(lo))
    }

    #[target_feature(enable = "sse2")]
    fn splat(byte: u8) -> __m128i {
        _mm_set1_epi8(i8::from_ne_bytes([byte]))
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn matches(chunk: &[u8; 16], byte: u8) -> u32 {
        u32::try_from(_mm_movemask_epi8(_mm_cmpeq_epi8(load(chunk), splat(byte)))).unwrap_or(0)
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn wide(chunk: &[u8; 16]) -> u32 {
        // The top bit of each byte.
        u32::try_from(_mm_movemask_epi8(load(chunk))).unwrap_or(u32::MAX)
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn escapes(chunk: &[u8; 16]) -> bool {
        let bytes = load(chunk);
        let backslashes = _mm_cmpeq_epi8(bytes, splat(b'\\'));
        // Below 0x20: the unsigned minimum with 0x1f leaves the byte.
        let controls = _mm_cmpeq_epi8(_mm_min_epu8(bytes, splat(0x1f)), bytes);
        _mm_movemask_epi8(_mm_or_si128(backslashes, controls)) != 0
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) use bytewise::{escapes, matches, wide};

/// A byte at a time: what other targets run, and compiled for the tests
/// everywhere, so that the code those targets run is tested here too.
#[cfg(any(test, not(target_arch = "x86_64")))]
mod bytewise {
    pub(crate) fn matches(chunk: &[u8; 16], byte: u8) -> u32 {
        (0u32..).zip(chunk).fold(0, |marks, (i, &b)| marks | u32::from(b == byte) << i)
    }

    pub(crate) fn wide(chunk: &[u8; 16]) -> u32 {
        (0u32..).zip(chunk).fold(0, |marks, (i, &b)| marks | u32::from(!b.is_ascii()) << i)
    }

    pub(crate) fn escapes(chunk: &[u8; 16]) -> bool {
        chunk.iter().any(|&b| b == b'\\' || b < 0x20)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests may fail loudly")]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// Each byte's bit is set exactly where the byte is; a backslash or
        /// a control character anywhere is seen.
        #[test]
        fn sixteen_bytes_are_tested_as_bytes_are(
            chunk in prop_oneof![any::<[u8; 16]>(), prop::array::uniform16(0x20u8..=0xff)],
            byte in any::<u8>(),
            // Mostly a byte the chunk holds, so that some bits are set.
            pick in proptest::option::weighted(0.8, any::<prop::sample::Index>()),
            plant in proptest::option::of((0usize..16, prop::sample::select(vec![b'\\', b'\t', 0x00, 0x1f, 0x20, b'"']))),
        ) {
            let mut chunk = chunk;
            if let Some((at, planted)) = plant {
                chunk[at] = planted;
            }
            let byte = pick.map_or(byte, |pick| chunk[pick.index(16)]);
            let expected = (0..16).filter(|&i| chunk[i] == byte).fold(0u32, |m, i| m | 1 << i);
            let escaped = chunk.iter().any(|&b| b == b'\\' || b < 0x20);
            let wide = (0..16).filter(|&i| chunk[i] >= 0x80).fold(0u32, |m, i| m | 1 << i);
            prop_assert_eq!(super::matches(&chunk, byte), expected);
            prop_assert_eq!(super::escapes(&chunk), escaped);
            prop_assert_eq!(super::wide(&chunk), wide);
            prop_assert_eq!(super::bytewise::wide(&chunk), wide);
            prop_assert_eq!(super::bytewise::matches(&chunk, byte), expected);
            prop_assert_eq!(super::bytewise::escapes(&chunk), escaped);
        }
    }
}
