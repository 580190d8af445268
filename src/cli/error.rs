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
    /// The `-o` file cannot be created.
    #[error("cannot create `{}`", path.display())]
    #[diagnostic(code(route::output), help("check that the directory exists and is writable"))]
    CreateOutput {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `-o` names a file the run reads.
    #[error("the output `{}` is the input `{}`", output.display(), input.display())]
    #[diagnostic(
        code(route::output),
        help("write the decisions to another file: the input would be emptied before it is read")
    )]
    OutputIsInput {
        /// The `-o` path.
        output: PathBuf,
        /// The input path it is the same file as.
        input: PathBuf,
    },
    /// `--lead` is not a JSON object.
    #[error("the --lead is not a lead: {message}")]
    #[diagnostic(
        code(route::lead),
        help("give one JSON object, e.g. --lead '{{\"id\": \"L1\", \"employees\": 500}}'")
    )]
    BadLead {
        /// What is wrong with it.
        message: String,
    },
    /// A run failed after routing started; says what became of the state
    /// and of the output.
    #[error("{message}")]
    #[diagnostic(code(route::incomplete))]
    Incomplete {
        /// What failed.
        message: String,
        /// What became of the state file and the output.
        #[help]
        notes: Option<String>,
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
    /// Neither `--lead` nor `--leads` (clap normally refuses this first).
    #[error("no leads to route")]
    #[diagnostic(code(route::input), help("pass --lead JSON or --leads FILE"))]
    NoLeads,
    /// The state file cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    State(#[from] crate::eval::state::StateError),
    /// The input cannot be read as a whole (e.g. no CSV header).
    #[error("cannot read leads from `{}`", path.display())]
    #[diagnostic(code(route::input))]
    Input {
        /// The input.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        #[diagnostic_source]
        source: crate::io::ReadError,
    },
    /// A case table of `route test` cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cases(#[from] crate::testing::cases::CaseError),
    /// A `REV:PATH` version cannot be read from git (`route diff`).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] crate::diff::git::GitError),
    /// `route serve` could not start or stopped on an error.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Serve(Box<crate::serve::ServeError>),
}
