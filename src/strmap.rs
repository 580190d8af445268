//! A map from strings to small copyable values, built once and looked up
//! on every lead: an enum's spellings when a cell is read, a string
//! field's literals when a lead is matched.
//!
//! The keys these maps hold are short ("US", "EMEA", "software"), and a
//! general hash map spends most of a lookup on what short keys do not
//! need: hashing byte by byte, a call to compare the bytes. A key of at
//! most [`PACKED`] bytes is instead packed into two words, its bytes and
//! its length (`pack`), found by one multiplication and compared as two
//! words in an open-addressed table kept at most half full. Longer keys
//! go to an ordinary hash map beside it. (Reading and matching a lead at
//! 100 generated rules took 195 fewer instructions, 2.9%, when the enum
//! spellings and the string classes moved from `FxHashMap`s to this:
//! docs/performance.md.)

use rustc_hash::FxHashMap;

/// The longest key packed into words (the top byte of the second word
/// holds the length).
const PACKED: usize = 15;

/// The second word of an empty slot: a packed key's top byte is its
/// length, at most [`PACKED`], never `0xff`.
const EMPTY: u64 = u64::MAX;

/// A string-keyed map of [`Copy`] values, built from its entries and not
/// changed after.
#[derive(Debug, Clone)]
pub struct StrMap<V> {
    /// Packed keys by open addressing (linear probing), a power of two
    /// long and at most half full, so a probe always meets an empty slot.
    slots: Box<[Slot<V>]>,
    /// How far to shift the hash to index `slots`.
    shift: u32,
    /// Keys longer than [`PACKED`] bytes.
    long: FxHashMap<Box<str>, V>,
    /// How many keys it holds.
    len: usize,
}

#[derive(Debug, Clone, Copy)]
struct Slot<V> {
    lo: u64,
    hi: u64,
    /// `None` in an empty slot.
    value: Option<V>,
}

impl<V: Copy> StrMap<V> {
    /// The map of `entries`; where a key repeats, its first value is kept.
    pub fn new<'k>(entries: impl IntoIterator<Item = (&'k str, V)>) -> StrMap<V> {
        let entries: Vec<(&str, V)> = entries.into_iter().collect();
        let packed = entries.iter().filter(|(k, _)| k.len() <= PACKED).count();
        // At least twice the keys: an empty slot ends every probe.
        let size = (2 * packed + 1).next_power_of_two().max(2);
        let mut map = StrMap {
            slots: vec![Slot { lo: 0, hi: EMPTY, value: None }; size].into(),
            shift: 64 - size.trailing_zeros(),
            long: FxHashMap::default(),
            len: 0,
        };
        for (key, value) in entries {
            map.insert(key, value);
        }
        map
    }

    /// The same keys, each with `f` of its value.
    pub fn map_values<W: Copy>(&self, f: impl Fn(V) -> W) -> StrMap<W> {
        StrMap {
            slots: self.slots.iter().map(|s| Slot { lo: s.lo, hi: s.hi, value: s.value.map(&f) }).collect(),
            shift: self.shift,
            long: self.long.iter().map(|(k, &v)| (k.clone(), f(v))).collect(),
            len: self.len,
        }
    }

    fn insert(&mut self, key: &str, value: V) {
        let Some((lo, hi)) = pack(key) else {
            if let std::collections::hash_map::Entry::Vacant(e) = self.long.entry(key.into()) {
                e.insert(value);
                self.len += 1;
            }
            return;
        };
        let mask = self.slots.len() - 1;
        let mut i = self.start(lo, hi);
        while let Some(slot) = self.slots.get_mut(i) {
            if slot.hi == EMPTY {
                *slot = Slot { lo, hi, value: Some(value) };
                self.len += 1;
                return;
            }
            if slot.lo == lo && slot.hi == hi {
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// The value of `key`. Inlined whole where it is called on every lead
    /// (a call's own cost was a fifth of a lookup); a long key's lookup is
    /// not.
    #[inline(always)]
    pub fn get(&self, key: &str) -> Option<V> {
        match pack(key) {
            Some((lo, hi)) => self.get_packed(lo, hi),
            None => self.get_long(key),
        }
    }

    #[inline(never)]
    fn get_long(&self, key: &str) -> Option<V> {
        self.long.get(key).copied()
    }

    #[inline(always)]
    fn get_packed(&self, lo: u64, hi: u64) -> Option<V> {
        let mask = self.slots.len() - 1;
        let mut i = self.start(lo, hi);
        loop {
            let slot = self.slots.get(i)?;
            if slot.lo == lo && slot.hi == hi {
                return slot.value;
            }
            if slot.hi == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot a packed key's probe starts at: the top bits of a
    /// multiplicative hash (Knuth's), which spread keys differing in any
    /// byte.
    #[inline(always)]
    fn start(&self, lo: u64, hi: u64) -> usize {
        let mixed = (lo ^ hi.rotate_left(31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // `shift` is 64 less the log of a power of two from 2 on: within
        // 1..=63, where a wrapping shift is the plain one (and one
        // instruction, where a checked one is four).
        mixed.wrapping_shr(self.shift) as usize
    }
}

/// A key of at most [`PACKED`] bytes as two words: bytes 0–7 little-endian
/// in the first, bytes 8–14 in the second with the length in its top
/// byte (so "a" and "a\0" differ); `None` for a longer key. Reads each
/// byte at most twice with overlapping loads, never byte by byte. Two
/// keys are equal exactly when their packings are.
#[inline(always)]
fn pack(key: &str) -> Option<(u64, u64)> {
    pack_bytes(key.as_bytes())
}

#[inline(always)]
fn pack_bytes(bytes: &[u8]) -> Option<(u64, u64)> {
    let n = bytes.len();
    let (lo, hi) = match bytes.split_first_chunk::<8>() {
        Some((head, tail)) if n <= PACKED => (u64::from_le_bytes(*head), up_to_seven(tail)),
        Some(_) => return None,
        None => (up_to_seven(bytes), 0),
    };
    Some((lo, hi | (n as u64) << 56))
}

/// At most seven bytes as a little-endian word (higher bytes zero).
#[inline(always)]
fn up_to_seven(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        // Two loads that overlap for fewer than eight bytes: each byte
        // lands at its own position in both.
        u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << (8 * (n - 4))
    } else if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) {
        // One to three bytes: the first, the middle and the last.
        let middle = bytes.get(n / 2).copied().unwrap_or(0);
        u64::from(first) | u64::from(middle) << (8 * (n / 2)) | u64::from(last) << (8 * (n - 1))
    } else {
        0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests may fail loudly")]
mod tests {
    use proptest::prelude::*;
    use std::collections::HashMap;

    use super::{pack_bytes, StrMap, PACKED};

    #[test]
    fn packing_keeps_every_byte_and_the_length() {
        // Byte by byte, as a reference: the packing must equal it.
        let reference = |b: &[u8]| {
            let mut words = [0u64; 2];
            for (i, &byte) in b.iter().enumerate() {
                words[i / 8] |= u64::from(byte) << (8 * (i % 8));
            }
            (words[0], words[1] | (b.len() as u64) << 56)
        };
        let text: Vec<u8> = (1..=20u8).map(|b| b.wrapping_mul(37)).collect();
        for n in 0..=PACKED {
            assert_eq!(pack_bytes(&text[..n]), Some(reference(&text[..n])), "{n} bytes");
        }
        assert_eq!(pack_bytes(&text[..PACKED + 1]), None);
        assert_ne!(pack_bytes(b"a"), pack_bytes(b"a\0"));
        assert_ne!(pack_bytes(b""), pack_bytes(b"\0"));
    }

    #[test]
    fn finds_short_and_long_keys_and_keeps_the_first_of_a_repeated_one() {
        let long = "manufacturing and logistics";
        let map = StrMap::new([("US", 1u32), ("EMEA", 2), (long, 3), ("US", 9), ("", 4), (long, 8)]);
        assert_eq!(map.get("US"), Some(1));
        assert_eq!(map.get("EMEA"), Some(2));
        assert_eq!(map.get(long), Some(3));
        assert_eq!(map.get(""), Some(4));
        assert_eq!(map.get("us"), None);
        assert_eq!(map.get("EME"), None);
        assert_eq!(map.get("EMEA\0"), None);
        assert_eq!(map.len(), 4);
        assert!(StrMap::<u32>::new([]).get("").is_none());
    }

    proptest! {
        /// The map answers as a `HashMap` built from the same entries
        /// (first value of a repeated key) for its keys and for others.
        #[test]
        fn answers_as_a_hash_map(
            keys in proptest::collection::vec("[a-c\u{e9}\0]{0,18}", 0..40),
            probes in proptest::collection::vec("[a-c\u{e9}\0]{0,18}", 0..40),
        ) {
            let mut oracle = HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                oracle.entry(k.as_str()).or_insert(i);
            }
            let map = StrMap::new(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)));
            prop_assert_eq!(map.len(), oracle.len());
            for k in keys.iter().chain(&probes) {
                prop_assert_eq!(map.get(k), oracle.get(k.as_str()).copied());
            }
        }
    }
}
