//! The command line: clap definitions and one file per subcommand.
//!
//! Exit codes are typed ([`Exit`]): 0 success, 1 the project (or, under
//! `--deny warnings`, its warnings) failed, 2 the command could not run.
//! Errors without a source location (unreadable files, bad flags) are
//! rendered by miette; source diagnostics by codespan-reporting.

mod check;
mod completions;
mod diff;
mod error;
mod eval;
mod fmt;
mod graph;
mod lsp;
mod serve;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::AppError;

/// The version and the git commit the binary was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("ROUTE_GIT_COMMIT"), ")");

/// route: declarative lead routing — check rule files, route leads.
#[derive(Debug, Parser)]
// `--version` names the commit too (`route 0.1.0 (abc1234)`), so a bug
// report says exactly which build ran; build.rs records it.
#[command(name = "route", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a routing project: syntax, names, types (CI runs this on every change).
    Check(check::CheckArgs),
    /// Route leads: one JSON lead, or a CSV/JSONL batch.
    Eval(eval::EvalArgs),
    /// Show the compiled decision DAG and its size.
    Graph(graph::GraphArgs),
    /// Run the project's tests (*.test.route, --cases tables) and report coverage.
    Test(test::TestArgs),
    /// What a change does: OLD and NEW compared, proved and (with --leads) measured.
    Diff(diff::DiffArgs),
    /// Rewrite .route files in the canonical layout (docs/style.md).
    Fmt(fmt::FmtArgs),
    /// Serve routing over HTTP: route each lead the moment it arrives.
    Serve(serve::ServeArgs),
    /// Serve editors: diagnostics, hover, completion and fixes as you type (LSP over stdio).
    Lsp(lsp::LspArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success (warnings allowed).
    Ok = 0,
    /// The project has errors (or warnings under `--deny warnings`).
    Failed = 1,
    /// The command could not run.
    CouldNotRun = 2,
}

/// Parses arguments, runs the command, and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    main_with(std::env::args_os())
}

/// [`main`] on the given arguments (the program's name first), in this
/// process: for tests that watch what a command does inside it.
pub fn main_with<I: IntoIterator<Item = T>, T: Into<std::ffi::OsString> + Clone>(args: I) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { Exit::CouldNotRun } else { Exit::Ok };
            let _ = error.print();
            return ExitCode::from(code as u8);
        }
    };
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Lsp(args) => lsp::run(&args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        // A closed pipe (`route eval ... | head`) is the reader's choice, not a failure.
        Err(AppError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            // Long paths and messages stay on one line, so logs can be grepped.
            let _ =
                miette::set_hook(Box::new(|_| Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())));
            eprintln!("{:?}", miette::Report::new(error));
            ExitCode::from(Exit::CouldNotRun as u8)
        }
    }
}

/// The entry file of a project: the path itself, or `routing.route` inside
/// it when it is a directory.
pub fn entry_file(project: &Path) -> PathBuf {
    if project.is_dir() {
        project.join("routing.route")
    } else {
        project.to_path_buf()
    }
}

/// Where a project's imports and lookups may be read from: flattened into
/// every subcommand that checks a project.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Access {
    /// Also allow imports and lookups below DIR (repeatable). By default
    /// they are confined to the entry file's directory (docs/reliability.md).
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
}

/// Loads and checks a project; the entry file must be readable.
fn check_project(project: &Path, access: &Access) -> Result<crate::check::Checked, AppError> {
    let entry = entry_file(project);
    let read = |entry: &Path| {
        let files = crate::check::files::DiskFiles::for_entry(entry).allow(&access.allow_path)?;
        crate::check::check_file_with(entry, &files)
    };
    read(&entry).map_err(|source| AppError::ReadProject { path: entry, source })
}
