//! Where `route eval` writes its decisions: stdout, or a `-o` file that is
//! replaced only when the run succeeds.
//!
//! A `-o` regular file (new or existing) is written to a temporary file in
//! its directory (`.<name>.route-tmp-<random>`) and renamed over it at the
//! end, after the state is saved; a failed run removes the temporary file
//! and leaves the old output as it was. A symlink is followed, so its
//! target is replaced. A target that exists and is not a regular file (a
//! device such as `/dev/null`, a FIFO) is written directly. An output that
//! is one of the run's inputs (the same file, by device and inode, whatever
//! the spelling) is refused before anything is opened for writing.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::AppError;
use crate::eval::state;

/// The decisions' destination.
pub(super) enum Output {
    /// Standard output, written as decisions are made.
    Stdout,
    /// A device or FIFO, written directly.
    Direct(File),
    /// A regular file, written to `temporary` and renamed over `path`.
    Replace {
        /// The resolved target.
        path: PathBuf,
        temporary: tempfile::NamedTempFile,
    },
}

impl Output {
    /// Opens the destination `out` (stdout when `None`); `inputs` are the
    /// files the run reads, which `out` must not be.
    pub(super) fn open(out: Option<&Path>, inputs: &[&Path]) -> Result<Output, AppError> {
        let Some(out) = out else { return Ok(Output::Stdout) };
        if let Some(input) = inputs.iter().find(|input| same_file(out, input)) {
            return Err(AppError::OutputIsInput { output: out.to_path_buf(), input: input.to_path_buf() });
        }
        let create = |source| AppError::CreateOutput { path: out.to_path_buf(), source };
        let path = state::resolve(out).map_err(create)?;
        let existing = std::fs::metadata(&path).ok();
        if existing.as_ref().is_some_and(|m| !m.file_type().is_file()) {
            let file = OpenOptions::new().write(true).open(&path).map_err(create)?;
            return Ok(Output::Direct(file));
        }
        let directory = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = format!(".{name}.route-tmp-");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // As a plain create would: 0666 less the umask.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temporary = builder.tempfile_in(&directory).map_err(create)?;
        if let Some(metadata) = existing {
            temporary.as_file().set_permissions(metadata.permissions()).map_err(create)?;
        }
        Ok(Output::Replace { path, temporary })
    }

    /// The writer decisions go to.
    pub(super) fn writer(&self) -> Box<dyn Write + '_> {
        match self {
            Output::Stdout => Box::new(std::io::stdout().lock()),
            Output::Direct(file) => Box::new(file),
            Output::Replace { temporary, .. } => Box::new(WriteBehind::new(temporary.as_file())),
        }
    }

    /// Where the decisions went, for messages.
    pub(super) fn describe(&self) -> String {
        match self {
            Output::Stdout => "to stdout".to_string(),
            Output::Direct(_) => "to the output".to_string(),
            Output::Replace { path, .. } => format!("to `{}`", path.display()),
        }
    }

    /// Makes written decisions durable (a file's data reaches the disk).
    pub(super) fn sync(&self) -> std::io::Result<()> {
        match self {
            Output::Replace { temporary, .. } => temporary.as_file().sync_all(),
            Output::Stdout | Output::Direct(_) => Ok(()),
        }
    }

    /// Puts a replaced file in place (nothing to do for the others).
    pub(super) fn commit(self) -> std::io::Result<()> {
        match self {
            Output::Replace { path, temporary } => temporary.persist(&path).map(drop).map_err(|e| e.error),
            Output::Stdout | Output::Direct(_) => Ok(()),
        }
    }
}

/// Bytes written between two requests to start writing back (8 MiB).
const WRITE_BEHIND: u64 = 8 << 20;

/// A file written in full and made durable at the end ([`Output::sync`]):
/// every [`WRITE_BEHIND`] bytes, the kernel is asked to start writing
/// them to the disk (Linux `sync_file_range`, which does not wait), so
/// that the closing `fsync` waits for the last few megabytes rather than
/// for the whole output (it was a tenth of routing a million leads).
struct WriteBehind<'f> {
    file: &'f File,
    /// Bytes written so far.
    written: u64,
    /// Bytes already handed to the kernel to write back.
    started: u64,
}

impl<'f> WriteBehind<'f> {
    fn new(file: &'f File) -> WriteBehind<'f> {
        WriteBehind { file, written: 0, started: 0 }
    }
}

impl Write for WriteBehind<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITE_BEHIND {
            start_writeback(self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Asks the kernel to start writing `len` bytes from `offset` back to the
/// disk, without waiting. Only a hint: when it fails, the final `fsync`
/// still writes everything.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::unix::io::AsRawFd;
    let (Ok(offset), Ok(len)) = (libc::off64_t::try_from(offset), libc::off64_t::try_from(len)) else { return };
    // SAFETY: the descriptor is open for the call's duration (`file` is
    // borrowed); the call reads no memory of ours.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Elsewhere the final `fsync` writes everything.
#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

/// Whether two paths name one file: the same device and inode (so spelling,
/// `..`, hard links and symlinks do not matter). A path that does not exist
/// is no file.
#[cfg(unix)]
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether two paths name one file (by their resolved paths).
#[cfg(not(unix))]
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests may fail loudly")]
mod tests {
    use std::io::{Read, Seek, Write};

    use super::{WriteBehind, WRITE_BEHIND};

    #[test]
    fn write_behind_hands_each_stretch_to_the_kernel_and_keeps_every_byte() {
        let mut file = tempfile::tempfile().unwrap();
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        let mut writer = WriteBehind::new(&file);
        for _ in 0..(WRITE_BEHIND / (1 << 20) * 2 + 3) {
            writer.write_all(&chunk).unwrap();
        }
        writer.flush().unwrap();
        let written = writer.written;
        assert_eq!(written, (WRITE_BEHIND * 2 + 3 * (1 << 20)));
        // Two full stretches started; the last three megabytes wait for
        // the final fsync.
        assert_eq!(writer.started, WRITE_BEHIND * 2);
        file.rewind().unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back.len() as u64, written);
        assert!(back.chunks(1 << 20).all(|c| c == chunk.as_slice()));
    }
}
