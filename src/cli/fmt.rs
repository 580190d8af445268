//! `route fmt`: rewrite `.route` files in the canonical layout.
//!
//! Files are formatted one by one; a file that does not parse is reported
//! with its diagnostics and left untouched, and the others are still
//! formatted. Exit 1 when any file was refused or, under `--check`, would
//! change.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::{AppError, Exit};
use crate::diagnostics::human;
use crate::format::{format_source, FormatError};
use crate::source::SourceMap;

/// Arguments of `route fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories (every `.route` file below, recursively); `-`
    /// reads stdin and writes the result to stdout.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Write nothing: list the files that would change, with a diff, and
    /// exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    Refused,
}

/// Runs `route fmt`.
pub fn run(args: &FmtArgs) -> Result<Exit, AppError> {
    if args.paths.iter().any(|p| p == Path::new("-")) {
        return stdin(args);
    }
    let mut failed = false;
    for file in files(&args.paths)? {
        let text =
            std::fs::read_to_string(&file).map_err(|source| AppError::ReadInput { path: file.clone(), source })?;
        failed |= match one(&file, &text, args.check)? {
            Outcome::Unchanged => false,
            Outcome::Changed => args.check,
            Outcome::Refused => true,
        };
    }
    Ok(if failed { Exit::Failed } else { Exit::Ok })
}

/// `route fmt -`: stdin to stdout (`--check`: the diff instead).
fn stdin(args: &FmtArgs) -> Result<Exit, AppError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| AppError::ReadInput { path: PathBuf::from("-"), source })?;
    match format_or_report(Path::new("<stdin>"), &text) {
        Some(formatted) if args.check => Ok(if formatted == text {
            Exit::Ok
        } else {
            print_diff(Path::new("<stdin>"), &text, &formatted)?;
            Exit::Failed
        }),
        Some(formatted) => {
            std::io::stdout().write_all(formatted.as_bytes()).map_err(AppError::Write)?;
            Ok(Exit::Ok)
        }
        None => Ok(Exit::Failed),
    }
}

fn one(path: &Path, text: &str, check: bool) -> Result<Outcome, AppError> {
    let Some(formatted) = format_or_report(path, text) else {
        return Ok(Outcome::Refused);
    };
    if formatted == text {
        return Ok(Outcome::Unchanged);
    }
    if check {
        print_diff(path, text, &formatted)?;
    } else {
        write_atomically(path, &formatted)?;
    }
    Ok(Outcome::Changed)
}

/// The formatted text, or `None` after printing why not to stderr.
fn format_or_report(path: &Path, text: &str) -> Option<String> {
    match format_source(text) {
        Ok(formatted) => Some(formatted),
        Err(FormatError::Syntax(diagnostics)) => {
            let mut sources = SourceMap::new();
            sources.add(path.display().to_string(), path, text.to_string());
            eprint!("{}", human::render_to_string(&sources, &diagnostics));
            eprintln!("error: `{}` has syntax errors; it was not formatted", path.display());
            None
        }
        Err(FormatError::Internal(why)) => {
            eprintln!(
                "internal error: formatting `{}` would change its meaning ({why}); the file was not changed. \
                 Please report this as a bug in route, with the file",
                path.display()
            );
            None
        }
    }
}

fn print_diff(path: &Path, old: &str, new: &str) -> Result<(), AppError> {
    let name = path.display().to_string();
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(3).header(&name, &name).to_string();
    let mut out = std::io::stdout().lock();
    writeln!(out, "would reformat `{name}`").and_then(|()| out.write_all(text.as_bytes())).map_err(AppError::Write)
}

/// Writes beside the file and renames over it, so an interrupted write
/// never leaves a half-formatted file.
fn write_atomically(path: &Path, text: &str) -> Result<(), AppError> {
    let error = |source| AppError::WriteFile { path: path.to_path_buf(), source };
    let mut temp = path.as_os_str().to_owned();
    temp.push(".fmt-tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, text).map_err(error)?;
    if let Ok(meta) = std::fs::metadata(path) {
        // Keep the file's mode (a read-only or group-shared rule file stays so).
        let _ = std::fs::set_permissions(&temp, meta.permissions());
    }
    std::fs::rename(&temp, path).map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        error(source)
    })
}

/// The files named: each file as given; each directory's `.route` files,
/// recursively, in name order, hidden directories left out. `*.test.route`
/// files are skipped: their syntax is not part of the rule grammar
/// formatted here.
fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, AppError> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        // Hidden directories (`.git`, editor state) are not the project's.
        let visible = |e: &walkdir::DirEntry| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.');
        for entry in walkdir::WalkDir::new(path).sort_by_file_name().into_iter().filter_entry(visible) {
            let entry = entry.map_err(|e| AppError::ReadInput {
                path: e.path().map_or_else(|| path.clone(), Path::to_path_buf),
                source: e.into_io_error().unwrap_or_else(|| std::io::Error::other("file system loop")),
            })?;
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_file() && name.ends_with(".route") && !name.ends_with(".test.route") {
                out.push(entry.into_path());
            }
        }
    }
    Ok(out)
}
