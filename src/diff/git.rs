//! A version of a project read from git: `REV:PATH`, e.g.
//! `HEAD~1:examples/acme`. The revision's whole tree is written into a
//! temporary directory (`git archive`), so imports and lookup files come
//! from the same revision, and the project is checked from there.
//!
//! PATH is relative to the repository's top level, as in `git show
//! REV:PATH`; `./PATH` is relative to the current directory. No PATH may
//! leave the repository (`..` past its top, or an absolute path).

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::source::{FileId, SourceMap};

/// Why a `REV:PATH` cannot be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GitError {
    /// git could not be run, or the current directory is not in a
    /// repository.
    #[error("cannot read `{spec}` from git: {message}")]
    #[diagnostic(code(route::git), help("run route diff inside the git repository, with git installed"))]
    Git {
        /// The argument.
        spec: String,
        /// What git said.
        message: String,
    },
    /// The revision does not name a commit.
    #[error("unknown revision `{rev}` in `{spec}`")]
    #[diagnostic(
        code(route::git::revision),
        help("give a commit, branch or tag git knows, e.g. `HEAD~1:routing.route`")
    )]
    Revision {
        /// The argument.
        spec: String,
        /// The revision.
        rev: String,
    },
    /// The path is not in the revision.
    #[error("`{path}` does not exist at revision `{rev}`")]
    #[diagnostic(
        code(route::git::path),
        help("PATH is relative to the repository's top level (`./PATH`: to the current directory)")
    )]
    Path {
        /// The revision.
        rev: String,
        /// The path, from the top level.
        path: String,
    },
    /// The path leaves the repository.
    #[error("`{spec}` names a path outside the repository")]
    #[diagnostic(code(route::git::escape), help("give a path inside the repository, without `..` past its top"))]
    Escapes {
        /// The argument.
        spec: String,
    },
}

/// A project as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// A file or directory on disk.
    Path(PathBuf),
    /// `REV:PATH`.
    Git {
        /// The revision.
        rev: String,
        /// The path within it.
        path: String,
    },
}

impl Spec {
    /// Reads an argument: a path that exists is a path; otherwise
    /// `REV:PATH` (split at the first `:`, REV not empty) is a git version.
    pub fn parse(text: &str) -> Spec {
        if Path::new(text).exists() {
            return Spec::Path(PathBuf::from(text));
        }
        match text.split_once(':') {
            Some((rev, path)) if !rev.is_empty() => Spec::Git { rev: rev.to_string(), path: path.to_string() },
            _ => Spec::Path(PathBuf::from(text)),
        }
    }
}

/// A revision's tree, written out; removed when dropped.
pub struct Materialised {
    /// The temporary copy of the tree.
    pub dir: tempfile::TempDir,
    /// The project path inside it.
    pub project: PathBuf,
    /// The revision as given (for display names).
    pub rev: String,
}

fn git(args: &[&str], spec: &str) -> Result<std::process::Output, GitError> {
    Command::new("git")
        .args(args)
        .output()
        .map_err(|e| GitError::Git { spec: spec.to_string(), message: e.to_string() })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

/// The path from the repository's top level, when it stays inside.
fn inside(prefix: &str, path: &str) -> Option<String> {
    let (base, rest) = match path.strip_prefix("./") {
        Some(rest) => (prefix, rest),
        None if path == "." => (prefix, ""),
        None => ("", path),
    };
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(base).join(rest).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// Writes the tree of `rev` into a temporary directory and locates `path`.
///
/// # Errors
/// When git cannot run, the revision or the path is unknown, or the path
/// leaves the repository.
pub fn materialise(rev: &str, path: &str) -> Result<Materialised, GitError> {
    let spec = format!("{rev}:{path}");
    let prefix = git(&["rev-parse", "--show-prefix"], &spec)?;
    if !prefix.status.success() {
        return Err(GitError::Git { spec, message: text(&prefix.stderr) });
    }
    let relative = inside(&text(&prefix.stdout), path).ok_or_else(|| GitError::Escapes { spec: spec.clone() })?;
    let commit = git(&["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{rev}^{{commit}}")], &spec)?;
    if !commit.status.success() {
        return Err(GitError::Revision { spec, rev: rev.to_string() });
    }
    let commit = text(&commit.stdout);
    let object = if relative.is_empty() { commit.clone() } else { format!("{commit}:{relative}") };
    let exists = git(&["cat-file", "-e", &object], &spec)?;
    if !exists.status.success() {
        return Err(GitError::Path { rev: rev.to_string(), path: relative });
    }
    let archive = git(&["archive", "--format=tar", &commit], &spec)?;
    if !archive.status.success() {
        return Err(GitError::Git { spec, message: text(&archive.stderr) });
    }
    let dir = tempfile::tempdir().map_err(|e| GitError::Git { spec: spec.clone(), message: e.to_string() })?;
    tar::Archive::new(archive.stdout.as_slice())
        .unpack(dir.path())
        .map_err(|e| GitError::Git { spec: spec.clone(), message: e.to_string() })?;
    let project = dir.path().join(&relative);
    Ok(Materialised { dir, project, rev: rev.to_string() })
}

/// The sources with the files of a materialised tree named `REV:PATH`.
pub fn rename_sources(sources: &SourceMap, tree: &Materialised) -> SourceMap {
    let mut renamed = SourceMap::new();
    let mut id = 0u32;
    while let Some(file) = sources.get(FileId(id)) {
        let name = match file.path.strip_prefix(tree.dir.path()) {
            Ok(relative) => format!("{}:{}", tree.rev, relative.display()),
            Err(_) => file.name.clone(),
        };
        renamed.add(name, &file.path, file.text.clone());
        id += 1;
    }
    renamed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_repository() {
        assert_eq!(inside("", "examples/acme").as_deref(), Some("examples/acme"));
        assert_eq!(inside("sub/", "./x.route").as_deref(), Some("sub/x.route"));
        assert_eq!(inside("sub/", "./../x.route").as_deref(), Some("x.route"));
        assert_eq!(inside("", "a/../b").as_deref(), Some("b"));
        assert_eq!(inside("", "../x"), None);
        assert_eq!(inside("sub/", "./../../x"), None);
        assert_eq!(inside("", "/etc/passwd"), None);
    }
}
