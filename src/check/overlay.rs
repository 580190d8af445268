//! Open editor buffers over the disk: the [`ProjectFiles`] a language
//! server checks through, so an import or a lookup table that is open and
//! edited but not saved is read as the editor shows it.
//!
//! A buffer is served only when its path lies inside the project
//! directory (compared without touching the disk: an unsaved file may not
//! exist yet); any other path goes to the wrapped loader and its policy,
//! so the overlay never widens what a project may read.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::files::{FileError, ProjectFiles, Read, MAX_SOURCE_BYTES, MAX_TABLE_BYTES};
/// Paths are compared as the checker joins them: `.` and `a/..` removed.
pub use super::load::normalise;

/// Buffers by path over another loader (usually [`super::files::DiskFiles`]).
pub struct Overlay<'a> {
    base: &'a dyn ProjectFiles,
    project: PathBuf,
    buffers: &'a FxHashMap<PathBuf, String>,
}

impl<'a> Overlay<'a> {
    /// Serves `buffers` (keyed by absolute path) for the project rooted at
    /// `project`, and everything else from `base`.
    pub fn new(base: &'a dyn ProjectFiles, project: &Path, buffers: &'a FxHashMap<PathBuf, String>) -> Overlay<'a> {
        Overlay { base, project: normalise(project), buffers }
    }

    /// The buffer for `path`, when one is open inside the project.
    fn buffer(&self, path: &Path) -> Option<&'a String> {
        let path = normalise(path);
        if !path.starts_with(&self.project) {
            return None;
        }
        self.buffers.get(&path)
    }
}

impl ProjectFiles for Overlay<'_> {
    fn read_source(&self, path: &Path) -> Result<Read<String>, FileError> {
        match self.buffer(path) {
            Some(text) if text.len() as u64 > MAX_SOURCE_BYTES => Err(FileError::TooLarge { limit: MAX_SOURCE_BYTES }),
            Some(text) => Ok(Read { content: text.clone(), echo: true }),
            None => self.base.read_source(path),
        }
    }

    fn read_table(&self, path: &Path) -> Result<Read<Vec<u8>>, FileError> {
        match self.buffer(path) {
            Some(text) if text.len() as u64 > MAX_TABLE_BYTES => Err(FileError::TooLarge { limit: MAX_TABLE_BYTES }),
            Some(text) => Ok(Read { content: text.as_bytes().to_vec(), echo: true }),
            None => self.base.read_table(path),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests may fail loudly")]
mod tests {
    use super::*;
    use crate::check::files::DiskFiles;

    #[test]
    fn open_buffers_inside_the_project_override_the_disk() {
        let dir = std::env::current_dir().unwrap();
        let mut buffers = FxHashMap::default();
        buffers.insert(dir.join("src/lib.rs"), "edited".to_string());
        buffers.insert(dir.join("unsaved.route"), "team x = []".to_string());
        buffers.insert(PathBuf::from("/elsewhere/secret.route"), "no".to_string());
        let disk = DiskFiles::for_entry(&dir.join("Cargo.toml"));
        let overlay = Overlay::new(&disk, &dir, &buffers);
        assert_eq!(overlay.read_source(&dir.join("src/../src/lib.rs")).unwrap().content, "edited");
        assert_eq!(overlay.read_table(&dir.join("unsaved.route")).unwrap().content, b"team x = []");
        // Not open: the disk.
        assert!(overlay.read_source(&dir.join("Cargo.toml")).unwrap().content.contains("[package]"));
        // Open, but outside the project: the disk's policy decides.
        assert!(overlay.read_source(Path::new("/elsewhere/secret.route")).is_err());
    }
}
