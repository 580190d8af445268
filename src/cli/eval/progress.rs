//! The progress bar of a long `route eval` batch, on stderr.
//!
//! Shown only when stderr is a terminal and the run has taken a second
//! already ([`shows`]): a short batch, a pipe or a log file gets no output
//! from it. With the input's size known (a file), it shows the share of the
//! bytes read and an ETA; without (stdin), a spinner. Both show the leads
//! routed and the rate. The bar is cleared at the end, before any summary.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run goes before it shows progress.
const AFTER: Duration = Duration::from_secs(1);

/// Whether to show progress now: on a terminal, after [`AFTER`].
pub(super) fn shows(stderr_is_terminal: bool, elapsed: Duration) -> bool {
    stderr_is_terminal && elapsed >= AFTER
}

/// A reader that counts the bytes read through it (for the bar's share).
pub(super) struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Counting<R> {
    /// `inner`, counting into `read`.
    pub(super) fn new(inner: R, read: Arc<AtomicU64>) -> Counting<R> {
        Counting { inner, read }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The progress of one run.
pub(super) struct Progress {
    terminal: bool,
    started: Instant,
    /// The input's size in bytes, when known.
    total: Option<u64>,
    /// Bytes read so far.
    read: Arc<AtomicU64>,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Progress of reading an input of `total` bytes (when known), counted
    /// by `read`; drawn only when `terminal` (stderr is one).
    pub(super) fn new(terminal: bool, total: Option<u64>, read: Arc<AtomicU64>) -> Progress {
        Progress { terminal, started: Instant::now(), total, read, bar: None }
    }

    /// `routed` leads are routed so far.
    pub(super) fn tick(&mut self, routed: u64) {
        if self.bar.is_none() {
            if !shows(self.terminal, self.started.elapsed()) {
                return;
            }
            self.bar = Some(self.start());
        }
        let Some(bar) = &self.bar else { return };
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{routed} leads, {:.0} k leads/s", routed as f64 / seconds / 1000.0));
        if self.total.is_some() {
            bar.set_position(self.read.load(Ordering::Relaxed));
        } else {
            bar.tick();
        }
    }

    /// A bar (known size) or a spinner, drawn on stderr.
    fn start(&self) -> ProgressBar {
        let (bar, template) = match self.total {
            Some(total) => (ProgressBar::new(total), "{bar:30} {percent:>3}% {msg}, eta {eta}"),
            None => (ProgressBar::new_spinner(), "{spinner} {msg}"),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_draw_target(ProgressDrawTarget::stderr());
        // The bar's clock starts now; the second already gone counts too.
        bar.set_elapsed(self.started.elapsed());
        bar
    }

    /// Clears the bar (the run's own messages follow).
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_only_on_a_terminal_after_a_second() {
        assert!(!shows(false, Duration::from_secs(60)));
        assert!(!shows(true, Duration::from_millis(999)));
        assert!(shows(true, Duration::from_secs(1)));
    }

    #[test]
    fn counting_reader_counts_every_byte() {
        let read = Arc::new(AtomicU64::new(0));
        let mut reader = Counting::new(&b"hello, world"[..], Arc::clone(&read));
        let mut out = Vec::new();
        reader.read_to_end(&mut out).ok();
        assert_eq!(read.load(Ordering::Relaxed), 12);
    }

    #[test]
    fn off_a_terminal_no_bar_is_made() {
        let mut progress = Progress::new(false, Some(100), Arc::new(AtomicU64::new(0)));
        progress.started -= Duration::from_secs(5);
        progress.tick(10);
        assert!(progress.bar.is_none());
    }
}
