//! Build script: records the git commit `route --version` prints.
//!
//! Runs `git rev-parse --short HEAD`; outside a git checkout, or where git
//! is not installed (a crates.io or tarball build), the commit is
//! "unknown" and the build goes on. Cargo reruns the script when HEAD moves
//! (a checkout or a commit), found through `git rev-parse --git-path` so
//! that worktrees, whose `.git` is a file, work too.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=ROUTE_GIT_COMMIT={commit}");
    // HEAD itself (a checkout changes it), and the branch it points to (a
    // commit changes that), and packed-refs (where `git gc` moves refs).
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
    for path in watched.into_iter().flatten() {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// The trimmed output of a successful git command, if git runs at all.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}
