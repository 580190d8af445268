//! `route diff OLD NEW`: what a change does, proved without leads and
//! measured with them (`docs/diff.md`).

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::eval::{read_roster, render_errors, InputFormatArg};
use super::{check_project, AppError, Exit};
use crate::check::{Checked, Program};
use crate::diff::git::{self, Materialised, Spec};
use crate::diff::replay::{self, Leads};
use crate::diff::{compare, render, Options, Report};
use crate::eval::roster::parse_now;
use crate::io::{self, InputFormat};

/// Arguments of `route diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: an entry .route file, a directory holding
    /// routing.route, or `REV:PATH` read from git (e.g. `HEAD~1:examples/acme`).
    pub old: String,
    /// Directories imports and lookups may also read (both versions).
    #[command(flatten)]
    pub access: super::Access,
    /// The new version, given the same way.
    pub new: String,
    /// Also route this file of leads (.csv, .jsonl, .ndjson, or `-` for
    /// stdin) under both versions and report what changes.
    #[arg(long, value_name = "FILE")]
    pub leads: Option<PathBuf>,
    /// The format of --leads (default: from the file extension).
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormatArg>,
    /// With --leads: compare assignees too, under this roster.
    #[arg(long, value_name = "FILE", requires = "leads")]
    pub roster: Option<PathBuf>,
    /// Judge the roster's hours at this instant (default: now).
    #[arg(long, value_name = "INSTANT", requires = "roster")]
    pub now: Option<String>,
    /// The report format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Exit 1 when anything changes (a refactor that must be equivalent).
    #[arg(long)]
    pub fail_on_change: bool,
    /// Solver questions the proof may ask before it says "not proven".
    #[arg(long, value_name = "N", default_value_t = crate::diff::DEFAULT_BUDGET)]
    pub budget: usize,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Text.
    Human,
    /// One JSON object (docs/diff.md).
    Json,
    /// A pull-request comment.
    Markdown,
}

/// One version, checked; its temporary tree (if read from git) lives as
/// long as it does.
struct Version {
    checked: Checked,
    _tree: Option<Materialised>,
}

fn load(text: &str, access: &super::Access) -> Result<Version, AppError> {
    match Spec::parse(text) {
        Spec::Path(path) => Ok(Version { checked: check_project(&path, access)?, _tree: None }),
        Spec::Git { rev, path } => {
            let tree = git::materialise(&rev, &path)?;
            let mut checked = check_project(&tree.project, access)?;
            checked.sources = git::rename_sources(&checked.sources, &tree);
            Ok(Version { checked, _tree: Some(tree) })
        }
    }
}

/// Runs `route diff`.
pub fn run(args: &DiffArgs) -> Result<Exit, AppError> {
    let (old, new) = (load(&args.old, &args.access)?, load(&args.new, &args.access)?);
    let (Some(old_program), Some(new_program)) = (&old.checked.program, &new.checked.program) else {
        for version in [&old, &new] {
            if version.checked.program.is_none() {
                render_errors(&version.checked.sources, &version.checked.diagnostics);
            }
        }
        return Ok(Exit::Failed);
    };
    let mut report = compare(old_program, new_program, &Options { budget: args.budget });
    report.old.clone_from(&args.old);
    report.new.clone_from(&args.new);
    if let Some(path) = &args.leads {
        report.measured = Some(measure(args, path, old_program, new_program)?);
    }
    print(&report, args.format)?;
    Ok(if args.fail_on_change && report.changes_anything() { Exit::Failed } else { Exit::Ok })
}

fn measure(args: &DiffArgs, path: &PathBuf, old: &Program, new: &Program) -> Result<replay::Measured, AppError> {
    let format = match args.input_format {
        Some(InputFormatArg::Csv) => Some(InputFormat::Csv),
        Some(InputFormatArg::Jsonl) => Some(InputFormat::Jsonl),
        None => None,
    };
    // Read once, parsed under each version.
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|source| AppError::ReadInput { path: path.clone(), source })?;
        let format = format.unwrap_or_else(|| io::format_for_first_byte(&bytes));
        return replay_bytes(args, &bytes, format, old, new);
    }
    let format =
        format.or_else(|| io::format_for_path(path)).ok_or_else(|| AppError::UnknownFormat { path: path.clone() })?;
    bytes = std::fs::read(path).map_err(|source| AppError::ReadInput { path: path.clone(), source })?;
    replay_bytes(args, &bytes, format, old, new)
}

fn replay_bytes(
    args: &DiffArgs,
    bytes: &[u8],
    format: InputFormat,
    old: &Program,
    new: &Program,
) -> Result<replay::Measured, AppError> {
    let roster = args.roster.as_deref().map(read_roster).transpose()?;
    let now = match &args.now {
        Some(text) => parse_now(text).map_err(|message| AppError::Now { message })?,
        None => jiff::Timestamp::now(),
    };
    let leads = Leads { bytes, format, roster: roster.as_ref(), now };
    let path = args.leads.clone().unwrap_or_default();
    replay::replay(old, new, &leads).map_err(|source| AppError::Input { path, source })
}

fn print(report: &Report, format: DiffFormat) -> Result<(), AppError> {
    let text = match format {
        DiffFormat::Human => render::human(report),
        DiffFormat::Markdown => render::markdown(report),
        DiffFormat::Json => render::json(report).map_err(|e| AppError::Write(e.into()))?,
    };
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(AppError::Write)
}
