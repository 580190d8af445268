//! Errors that stop a command before or outside any source file. They have
//! no span, so miette renders them, with a code and help.

use std::path::PathBuf;

/// A command-level failure (exit code 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AppError {
    /// The entry file cannot be read.
    #[error("cannot read the routing project `{}`", path.display())]
    #[diagnostic(code(route::project), help("give the entry .route file, or a directory holding routing.route"))]
    ReadProject {
        /// The path tried.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An input or roster file cannot be opened.
    #[error("cannot read `{}`", path.display())]
    #[diagnostic(code(route::input))]
    ReadInput {
        /// The path tried.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An output file cannot be written.
    #[error("cannot write `{}`", path.display())]
    #[diagnostic(code(route::output))]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The output cannot be written.
    #[error("cannot write the output")]
    #[diagnostic(code(route::output))]
    Write(#[source] std::io::Error),
    /// The roster file is not valid.
    #[error("the roster `{}` is not valid:\n{problems}", path.display())]
    #[diagnostic(code(route::roster), help("see docs/cli.md#the-roster for the format"))]
    Roster {
        /// The roster file.
        path: PathBuf,
        /// Every problem, one per line, with its JSON path.
        problems: String,
    },
    /// `--now` does not parse.
    #[error("{message}")]
    #[diagnostic(code(route::now))]
    Now {
        /// What is wrong.
        message: String,
    },
    /// The input format cannot be told from the file name.
    #[error("cannot tell the input format of `{}`", path.display())]
    #[diagnostic(
        code(route::input_format),
        help("name the file .csv, .jsonl or .ndjson, or pass --input-format csv|jsonl")
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// Leads from stdin need an explicit format.
    #[error("reading leads from stdin needs --input-format")]
    #[diagnostic(code(route::input_format), help("pass --input-format csv or --input-format jsonl"))]
    StdinFormat,
    /// The state file cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    State(#[from] crate::eval::state::StateError),
    /// The input cannot be read as a whole (e.g. no CSV header).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] crate::io::ReadError),
    /// `route serve` could not start or stopped on an error.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Serve(Box<crate::serve::ServeError>),
}
