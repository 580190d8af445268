//! Physical lines of a lead input, read in bounded memory.
//!
//! Both readers take their input one physical line at a time from here. A
//! line ends at `\n`, `\r\n` or a lone `\r` (old Mac exports, and JSONL
//! written with CR-only ends, would otherwise be one line), and every such
//! end counts as a line. A line longer than [`MAX_LINE_BYTES`] is not
//! buffered whole: its first bytes are kept, the rest is skipped up to the
//! next line end, and the line is flagged as too long, so one huge line
//! costs at most the limit in memory and becomes one invalid record.

use std::io::{self, BufRead};

/// The longest line (and CSV record) a lead input may have, in bytes,
/// terminator included: 1 MiB. docs/reliability.md explains the choice.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A bounded reader of physical lines.
pub(crate) struct Lines<'s> {
    input: Box<dyn BufRead + Send + 's>,
    /// The current line, its terminator included (cut at the limit).
    pub(crate) buf: Vec<u8>,
    /// Lines read so far: the number of the current line.
    pub(crate) line: u64,
    limit: usize,
    /// The last line ended at a `\r` that was the last byte of a read: a
    /// `\n` at the start of the next read is part of that line end.
    skip_lf: bool,
}

impl<'s> Lines<'s> {
    pub(crate) fn new(input: Box<dyn BufRead + Send + 's>, limit: usize) -> Lines<'s> {
        Lines { input, buf: Vec::new(), line: 0, limit, skip_lf: false }
    }

    /// Reads the next line into `buf`: `Ok(None)` at the end of the input,
    /// else whether the line was longer than the limit (and cut).
    pub(crate) fn next_line(&mut self) -> io::Result<Option<bool>> {
        self.buf.clear();
        let mut too_long = false;
        let mut read_any = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if chunk.is_empty() {
                break;
            }
            if std::mem::take(&mut self.skip_lf) && chunk.first() == Some(&b'\n') {
                self.input.consume(1);
                continue;
            }
            let (end, done) = match memchr::memchr2(b'\n', b'\r', chunk) {
                Some(at) if chunk.get(at) == Some(&b'\r') => match chunk.get(at + 1) {
                    Some(b'\n') => (at + 2, true),
                    Some(_) => (at + 1, true),
                    None => {
                        self.skip_lf = true;
                        (at + 1, true)
                    }
                },
                Some(at) => (at + 1, true),
                None => (chunk.len(), false),
            };
            let room = self.limit.saturating_sub(self.buf.len());
            let bytes = chunk.get(..end).unwrap_or_default();
            if bytes.len() > room {
                too_long = true;
                self.buf.extend_from_slice(bytes.get(..room).unwrap_or_default());
            } else {
                self.buf.extend_from_slice(bytes);
            }
            self.input.consume(end);
            read_any = true;
            if done {
                break;
            }
        }
        if !read_any {
            return Ok(None);
        }
        self.line += 1;
        Ok(Some(too_long))
    }
}
