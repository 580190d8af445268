//! Physical lines of a lead input, read in bounded memory.
//!
//! Both readers take their input one physical line at a time from here. A
//! line ends at `\n`, `\r\n` or a lone `\r` (old Mac exports, and JSONL
//! written with CR-only ends, would otherwise be one line), and every such
//! end counts as a line. A line longer than [`MAX_LINE_BYTES`] is not
//! buffered whole: its first bytes are kept, the rest is skipped up to the
//! next line end, and the line is flagged as too long, so one huge line
//! costs at most the limit in memory and becomes one invalid record.
//!
//! The input is read in large chunks into one buffer and a line is handed
//! out where it lies in it: only a line split between two reads is moved
//! (to the buffer's start, with the next read after it), instead of every
//! line being copied out of a `BufReader` (about 1% of routing a CSV on
//! one core, docs/performance.md).

use std::io::{self, BufRead};

/// The longest line (and CSV record) a lead input may have, in bytes,
/// terminator included: 1 MiB. docs/reliability.md explains the choice.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Bytes asked of the input per read (and the buffer's first size).
const CHUNK: usize = 1 << 17;

/// A bounded reader of physical lines.
pub(crate) struct Lines<'s> {
    input: Box<dyn BufRead + Send + 's>,
    /// Bytes read: the current line at `start..end`, then the bytes not yet
    /// handed out at `next..filled`. At most `limit + CHUNK` long.
    chunk: Vec<u8>,
    start: usize,
    end: usize,
    next: usize,
    filled: usize,
    /// The input has ended (a read gave no bytes).
    eof: bool,
    /// The line in progress was found longer than the limit (and its
    /// bytes past the limit dropped).
    too_long: bool,
    /// Lines read so far: the number of the current line.
    pub(crate) line: u64,
    limit: usize,
    /// A byte whose presence in a line is noted while its end is searched
    /// for (see [`Lines::watching`]), and whether the current line holds it.
    watch: Option<u8>,
    watched: bool,
}

impl<'s> Lines<'s> {
    pub(crate) fn new(input: Box<dyn BufRead + Send + 's>, limit: usize) -> Lines<'s> {
        Lines {
            input,
            chunk: Vec::new(),
            start: 0,
            end: 0,
            next: 0,
            filled: 0,
            eof: false,
            too_long: false,
            line: 0,
            limit,
            watch: None,
            watched: false,
        }
    }

    /// Notes, for each line, whether it holds `byte` ([`Lines::holds_watched`]),
    /// found by the same pass that finds the line's end: the CSV reader
    /// watches for quotes, so a line without any is known to be one whole
    /// record without a second pass over it.
    pub(crate) fn watching(self, byte: u8) -> Lines<'s> {
        Lines { watch: Some(byte), ..self }
    }

    /// Whether the current line holds the watched byte (`false` when none is
    /// watched; maybe `true` for a line cut at the limit whose byte was in
    /// the part dropped).
    pub(crate) fn holds_watched(&self) -> bool {
        self.watched
    }

    /// The current line, its terminator included (cut at the limit).
    pub(crate) fn bytes(&self) -> &[u8] {
        self.chunk.get(self.start..self.end).unwrap_or_default()
    }

    /// Reads the next line (see [`Lines::bytes`]): `Ok(None)` at the end of
    /// the input, else whether the line was longer than the limit (and cut).
    /// The previous line's bytes are gone once this is called.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<bool>> {
        let mut begin = self.next;
        // No line end before `scanned`, from `begin` on.
        let mut scanned = begin;
        self.watched = false;
        loop {
            let pending = self.chunk.get(scanned..self.filled).unwrap_or_default();
            let found = match self.watch {
                Some(byte) if !self.watched => memchr::memchr3(b'\n', b'\r', byte, pending),
                _ => memchr::memchr2(b'\n', b'\r', pending),
            };
            if let Some(found) = found {
                let at = scanned + found;
                if !matches!(self.chunk.get(at), Some(b'\n' | b'\r')) {
                    // The watched byte: noted, and the line end searched for on.
                    self.watched = true;
                    scanned = at + 1;
                    continue;
                }
                let after = self.chunk.get(at + 1).copied().filter(|_| at + 1 < self.filled);
                let end = match (self.chunk.get(at), after) {
                    (Some(b'\r'), Some(b'\n')) => at + 2,
                    // A `\r` last of what was read: its `\n` may come next.
                    (Some(b'\r'), None) if !self.eof => {
                        scanned = at;
                        self.refill(&mut begin, &mut scanned)?;
                        continue;
                    }
                    _ => at + 1,
                };
                return Ok(Some(self.hand_out(begin, end)));
            }
            if self.eof {
                if begin == self.filled {
                    return Ok(None);
                }
                return Ok(Some(self.hand_out(begin, self.filled)));
            }
            scanned = self.filled;
            self.refill(&mut begin, &mut scanned)?;
        }
    }

    /// Makes the line `begin..end` the current one, cut at the limit when
    /// longer (its bytes past the limit may be gone already: see
    /// [`Lines::refill`]); whether it was cut.
    fn hand_out(&mut self, begin: usize, end: usize) -> bool {
        let cut = std::mem::take(&mut self.too_long) || end - begin > self.limit;
        self.start = begin;
        self.end = if cut { begin + self.limit } else { end };
        self.next = end;
        self.line += 1;
        cut
    }

    /// Reads more input after the line in progress (`begin..scanned`, then
    /// the unscanned bytes up to `filled`), first moving it to the buffer's
    /// start; of a line already longer than the limit, only the limit's
    /// worth and the unscanned bytes (a `\r` at most) are kept, so memory
    /// stays bounded, and the line is marked too long. Sets `eof` when the
    /// input has no more bytes.
    fn refill(&mut self, begin: &mut usize, scanned: &mut usize) -> io::Result<()> {
        if self.filled - *begin > self.limit {
            // `scanned` is past the limit here: every byte before it was
            // looked at, and no line end found.
            let kept = *begin + self.limit;
            self.too_long = true;
            self.chunk.copy_within(*scanned..self.filled, kept);
            self.filled = kept + (self.filled - *scanned);
            *scanned = kept;
        }
        self.chunk.copy_within(*begin..self.filled, 0);
        (self.filled, *scanned, *begin) = (self.filled - *begin, *scanned - *begin, 0);
        // The line in progress now starts the buffer; the previous one is
        // gone (so a call after a failed read starts from the right place).
        (self.start, self.end, self.next) = (0, 0, 0);
        if self.chunk.len() - self.filled < CHUNK / 2 {
            let size = (self.chunk.len() * 2).clamp(CHUNK, self.limit + CHUNK);
            self.chunk.resize(size, 0);
        }
        let room = self.chunk.get_mut(self.filled..).unwrap_or_default();
        let read = loop {
            match self.input.read(room) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                result => break result?,
            }
        };
        self.eof = read == 0;
        self.filled += read;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests may fail loudly")]
mod tests {
    use std::io::{BufReader, Read};

    use proptest::prelude::*;

    use super::*;

    /// A reader that gives at most `step` bytes a read, as pipes and slow
    /// disks do, so lines fall across reads anywhere.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// The lines as the module documentation defines them, by the
    /// simplest code: each line's kept bytes and whether it was cut.
    fn reference(bytes: &[u8], limit: usize) -> Vec<(Vec<u8>, bool)> {
        let mut lines = Vec::new();
        let mut begin = 0;
        while begin < bytes.len() {
            let mut end = begin;
            while end < bytes.len() && bytes[end] != b'\n' && bytes[end] != b'\r' {
                end += 1;
            }
            if end < bytes.len() {
                end += if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            let line = &bytes[begin..end];
            lines.push((line[..line.len().min(limit)].to_vec(), line.len() > limit));
            begin = end;
        }
        lines
    }

    fn read_all(bytes: &[u8], limit: usize, step: usize) -> Vec<(Vec<u8>, bool)> {
        read_watching(bytes, limit, step, None).into_iter().map(|(line, cut, _)| (line, cut)).collect()
    }

    /// Each line, whether it was cut, and whether it holds the watched byte.
    fn read_watching(bytes: &[u8], limit: usize, step: usize, watch: Option<u8>) -> Vec<(Vec<u8>, bool, bool)> {
        let input = BufReader::with_capacity(step.max(1), Trickle { bytes: bytes.to_vec(), at: 0, step });
        let mut lines = Lines::new(Box::new(input), limit);
        if let Some(byte) = watch {
            lines = lines.watching(byte);
        }
        let mut out = Vec::new();
        while let Some(cut) = lines.next_line().unwrap() {
            out.push((lines.bytes().to_vec(), cut, lines.holds_watched()));
            assert_eq!(lines.line, out.len() as u64);
        }
        out
    }

    proptest! {
        #[test]
        fn lines_are_the_references_whatever_the_reads(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..600),
            limit in 1usize..40,
            step in 1usize..50,
        ) {
            prop_assert_eq!(read_all(&bytes, limit, step), reference(&bytes, limit));
        }

        /// Watching for a byte changes no line, and a line holds it as
        /// noted: exactly when whole; at least when its kept part does
        /// when cut (the byte may have been in the part dropped).
        #[test]
        fn a_watched_byte_is_noted_in_the_lines_that_hold_it(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'"'), Just(b'a')], 0..300),
            limit in 1usize..40,
            step in 1usize..50,
        ) {
            let watched = read_watching(&bytes, limit, step, Some(b'"'));
            let lines: Vec<(Vec<u8>, bool)> = watched.iter().map(|(line, cut, _)| (line.clone(), *cut)).collect();
            prop_assert_eq!(&lines, &reference(&bytes, limit));
            for (line, cut, holds) in watched {
                let kept_holds = line.contains(&b'"');
                prop_assert!(if cut { holds || !kept_holds } else { holds == kept_holds }, "{:?} {} {}", line, cut, holds);
            }
            prop_assert!(read_watching(&bytes, limit, step, None).iter().all(|(_, _, holds)| !holds));
        }
    }

    /// A reader that fails once, at its `fail_at`-th read, then goes on.
    struct FailsOnce {
        inner: Trickle,
        reads: usize,
        fail_at: usize,
    }

    impl Read for FailsOnce {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            if self.reads == self.fail_at {
                return Err(io::Error::other("flaky"));
            }
            self.inner.read(buf)
        }
    }

    #[test]
    fn a_read_that_fails_midline_leaves_the_line_to_be_read_again() {
        let inner = Trickle { bytes: b"abc\ndef\n".to_vec(), at: 0, step: 3 };
        let mut lines =
            Lines::new(Box::new(BufReader::with_capacity(1, FailsOnce { inner, reads: 0, fail_at: 3 })), 64);
        assert_eq!(lines.next_line().unwrap(), Some(false));
        assert_eq!(lines.bytes(), b"abc\n");
        assert!(lines.next_line().is_err());
        assert_eq!(lines.next_line().unwrap(), Some(false));
        assert_eq!(lines.bytes(), b"def\n");
        assert_eq!(lines.next_line().unwrap(), None);
    }

    #[test]
    fn long_lines_past_several_chunks_are_cut_in_bounded_memory() {
        let mut bytes = vec![b'x'; 5 * CHUNK];
        bytes.extend_from_slice(b"\r\nnext\r");
        let lines = read_all(&bytes, CHUNK + 3, CHUNK);
        assert_eq!(lines, reference(&bytes, CHUNK + 3));
        assert_eq!(lines.len(), 2);
        let input = Trickle { bytes, at: 0, step: CHUNK };
        let mut lines = Lines::new(Box::new(BufReader::new(input)), CHUNK + 3);
        lines.next_line().unwrap();
        assert!(lines.chunk.len() <= 2 * CHUNK + 3, "{}", lines.chunk.len());
    }
}
