//! The file-access policy of a project: which files imports and lookups may
//! read, and how.
//!
//! Rule text is untrusted (a pull request can add `lookup x from
//! "/proc/self/environ"`, and CI prints diagnostics into public logs), so
//! every read of the checker goes through [`ProjectFiles`]. The disk
//! implementation, [`DiskFiles`], enforces the policy of
//! `docs/reliability.md` (File-access policy):
//!
//! - **confined**: the path, symlinks resolved, lies inside the project
//!   directory (the entry file's directory) or a directory the user allowed
//!   (`--allow-path`);
//! - **regular files only**: checked before opening and again on the open
//!   file, which is opened non-blocking, so a FIFO, `/dev/stdin` or a device
//!   can neither hang nor stream forever;
//! - **bounded**: at most [`MAX_SOURCE_BYTES`] for a rule file and
//!   [`MAX_TABLE_BYTES`] for a lookup table, enforced while reading (a
//!   `/proc` file reports size 0);
//! - **quiet outside the project**: [`Read::echo`] is false for a file
//!   outside the project directory, and its diagnostics print only its path,
//!   never its content.
//!
//! A trait rather than functions so a language server can serve open
//! editor buffers through the same interface.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;

/// The largest rule file (entry or import) read.
pub const MAX_SOURCE_BYTES: u64 = crate::syntax::MAX_FILE_BYTES as u64;

/// The largest lookup table read: real tables are megabytes, and the
/// checker holds one in memory as a hash map.
pub const MAX_TABLE_BYTES: u64 = 64 * 1024 * 1024;

/// The content of a file the policy let through.
#[derive(Debug)]
pub struct Read<T> {
    /// The content.
    pub content: T,
    /// Whether diagnostics may quote the content: the file lies inside the
    /// project directory.
    pub echo: bool,
}

/// Why a file was not read.
#[derive(Debug)]
pub enum FileError {
    /// The path, symlinks resolved, lies outside the project directory and
    /// every allowed directory.
    Outside {
        /// Where the path leads.
        resolved: PathBuf,
    },
    /// Not a regular file (a directory, a FIFO, a device, a socket).
    NotRegular {
        /// What it is, for the message (`a directory`).
        kind: &'static str,
    },
    /// Larger than the limit for its kind of file.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The file system refused (not found, permission denied, not UTF-8).
    Io(std::io::Error),
}

impl From<std::io::Error> for FileError {
    fn from(error: std::io::Error) -> FileError {
        FileError::Io(error)
    }
}

impl From<FileError> for std::io::Error {
    fn from(error: FileError) -> std::io::Error {
        match error {
            FileError::Io(error) => error,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Outside { resolved } => write!(f, "{} is outside the project directory", resolved.display()),
            FileError::NotRegular { kind } => write!(f, "{kind}, not a regular file"),
            FileError::TooLarge { limit } => write!(f, "larger than the limit of {} MiB", limit >> 20),
            FileError::Io(error) => write!(f, "{}", error.to_string().to_lowercase()),
        }
    }
}

/// Reads the files a project refers to. Paths are as joined by the checker
/// (the importing file's directory and the written path).
pub trait ProjectFiles {
    /// A rule file (the entry file or an import), as text.
    ///
    /// # Errors
    /// When the policy refuses the file or it cannot be read.
    fn read_source(&self, path: &Path) -> Result<Read<String>, FileError>;

    /// A lookup table, as bytes.
    ///
    /// # Errors
    /// When the policy refuses the file or it cannot be read.
    fn read_table(&self, path: &Path) -> Result<Read<Vec<u8>>, FileError>;
}

/// The disk, confined to the project directory and the allowed directories.
#[derive(Debug, Clone)]
pub struct DiskFiles {
    /// The project directory, symlinks resolved.
    project: PathBuf,
    /// Further directories the user allowed, symlinks resolved.
    allowed: Vec<PathBuf>,
}

impl DiskFiles {
    /// The policy for the project whose entry file is `entry`: its
    /// directory and nothing else.
    pub fn for_entry(entry: &Path) -> DiskFiles {
        DiskFiles { project: project_dir(entry), allowed: Vec::new() }
    }

    /// Also allows reading below each of `dirs` (`--allow-path`).
    ///
    /// # Errors
    /// When a directory does not exist.
    pub fn allow(mut self, dirs: &[PathBuf]) -> std::io::Result<DiskFiles> {
        for dir in dirs {
            let resolved = std::fs::canonicalize(dir).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("--allow-path {}: {}", dir.display(), e.to_string().to_lowercase()),
                )
            })?;
            self.allowed.push(resolved);
        }
        Ok(self)
    }

    /// Resolves `path` and checks it lies inside the confinement; `echo`
    /// says whether inside the project directory itself.
    fn resolve(&self, path: &Path) -> Result<(PathBuf, bool), FileError> {
        let resolved = std::fs::canonicalize(path)?;
        let echo = resolved.starts_with(&self.project);
        if echo || self.allowed.iter().any(|dir| resolved.starts_with(dir)) {
            Ok((resolved, echo))
        } else {
            Err(FileError::Outside { resolved })
        }
    }
}

impl ProjectFiles for DiskFiles {
    fn read_source(&self, path: &Path) -> Result<Read<String>, FileError> {
        let (resolved, echo) = self.resolve(path)?;
        let bytes = read_regular(&resolved, MAX_SOURCE_BYTES)?;
        let content = String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(Read { content, echo })
    }

    fn read_table(&self, path: &Path) -> Result<Read<Vec<u8>>, FileError> {
        let (resolved, echo) = self.resolve(path)?;
        Ok(Read { content: read_regular(&resolved, MAX_TABLE_BYTES)?, echo })
    }
}

/// The directory of the entry file, symlinks resolved (the path as given
/// when it cannot be resolved, e.g. a project checked from memory).
fn project_dir(entry: &Path) -> PathBuf {
    let dir = match entry.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// What a refused or unreadable file was for, to word its diagnostic.
#[derive(Debug, Clone, Copy)]
pub enum Use {
    /// An `import`.
    Import,
    /// A `lookup ... from`.
    Lookup,
    /// A `table ... from`.
    Table,
}

/// The diagnostic for a file that could not be read: the path as written,
/// where it led, never the content.
pub fn refused(error: &FileError, used_as: Use, written: &str, looked_for: &Path, span: Span) -> Diagnostic {
    let (what, io_code, io_help) = match used_as {
        Use::Import => {
            ("imported file", Code::ImportNotFound, "import paths are relative to the file that imports them")
        }
        Use::Lookup => ("lookup file", Code::LookupFile, "lookup paths are relative to the file that declares them"),
        Use::Table => ("table file", Code::TableFile, "table paths are relative to the file that declares them"),
    };
    match error {
        FileError::Outside { resolved } => Diagnostic::new(
            Code::PathOutsideProject,
            span,
            format!("{what} `{written}` is outside the project directory"),
        )
        .label(format!("leads to {}", resolved.display()))
        .note("imports and lookups are confined to the entry file's directory and its subdirectories")
        .help("move the file into the project, or allow its directory with `--allow-path DIR`"),
        FileError::NotRegular { kind } => {
            Diagnostic::new(Code::NotRegularFile, span, format!("{what} `{written}` is not a regular file"))
                .label(*kind)
                .help("point at a file: pipes and devices could block or never end")
        }
        FileError::TooLarge { limit } => Diagnostic::new(
            Code::ProjectFileTooLarge,
            span,
            format!("{what} `{written}` is larger than {} MiB", limit >> 20),
        )
        .label("file too large")
        .note(format!("{what}s are limited to {} MiB so that checking stays bounded", limit >> 20))
        .help("check that this is the right file, or split it"),
        FileError::Io(error) => Diagnostic::new(io_code, span, format!("cannot read {what} `{written}`"))
            .label(error.to_string().to_lowercase())
            .note(format!("looked for {}", looked_for.display()))
            .help(io_help),
    }
}

/// Reads at most `limit` bytes of a regular file.
///
/// # Errors
/// When `path` is not a regular file, is larger than `limit`, or cannot be
/// read.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    // Checked before opening: opening a FIFO for reading blocks until a
    // writer comes.
    regular(&std::fs::metadata(path)?)?;
    let file = open_nonblocking(path)?;
    // And after: the path may have been swapped in between.
    let metadata = file.metadata()?;
    regular(&metadata)?;
    if metadata.len() > limit {
        return Err(FileError::TooLarge { limit });
    }
    // Read one byte past the limit: files under /proc report size 0.
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { limit });
    }
    Ok(bytes)
}

fn regular(metadata: &std::fs::Metadata) -> Result<(), FileError> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    Err(FileError::NotRegular { kind: file_kind(&kind) })
}

#[cfg(unix)]
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests may fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_project_are_refused_with_the_resolved_path_only() {
        let files = DiskFiles::for_entry(Path::new("src/main.rs"));
        assert!(files.read_table(Path::new("src/lib.rs")).is_ok_and(|r| r.echo));
        let outside = files.read_table(Path::new("src/../Cargo.toml"));
        assert!(matches!(&outside, Err(FileError::Outside { resolved }) if resolved.ends_with("Cargo.toml")));
        let allowed = DiskFiles::for_entry(Path::new("src/main.rs")).allow(&[PathBuf::from(".")]).unwrap();
        assert!(allowed.read_table(Path::new("src/../Cargo.toml")).is_ok_and(|r| !r.echo));
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_directories_are_not_regular_files() {
        let files = DiskFiles::for_entry(Path::new("/dev/x"));
        for path in ["/dev/zero", "/dev/null"] {
            assert!(matches!(files.read_table(Path::new(path)), Err(FileError::NotRegular { kind: "a device" })));
        }
        assert!(matches!(read_regular(Path::new("src"), 10), Err(FileError::NotRegular { kind: "a directory" })));
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit() {
        assert!(matches!(read_regular(Path::new("Cargo.toml"), 10), Err(FileError::TooLarge { limit: 10 })));
    }
}
