//! `route check`: report every diagnostic of a project.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use codespan_reporting::term::termcolor::{BufferedStandardStream, ColorChoice};

use super::{check_project, AppError, Exit};
use crate::analysis::staffing::{check_caps, check_roster};
use crate::analysis::{analyse, lead_to_json, Options, Witness};
use crate::check::{Checked, Program};
use crate::compile::{compile, Budget};
use crate::diagnostics::{self, Severity};

/// Arguments of `route check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The entry .route file, or a directory holding routing.route.
    #[arg(default_value = "routing.route")]
    pub project: PathBuf,
    /// Directories imports and lookups may also read.
    #[command(flatten)]
    pub access: super::Access,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors for the exit code (`--deny warnings`).
    #[arg(long, value_enum)]
    pub deny: Option<Deny>,
    /// Also report, as notes, pairs of rules with different targets that
    /// can match the same lead.
    #[arg(long)]
    pub overlaps: bool,
    /// Write one example lead per reachable rule to FILE (JSONL); `route
    /// eval` routes each to its rule.
    #[arg(long, value_name = "FILE")]
    pub examples: Option<PathBuf>,
    /// Also check staffing against this roster: teams nobody covers at some
    /// hours of the week, roster members no team uses.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// With --roster: warn (W0621) when a team's `max_per_day` /
    /// `max_per_week` caps cannot absorb N leads a day (each team that
    /// rules send leads to is assumed to receive all N).
    #[arg(long, value_name = "N", requires = "roster", value_parser = clap::value_parser!(u64).range(1..))]
    pub expected_per_day: Option<u64>,
    /// Apply every suggested fix ("did you mean") to the files, then
    /// report what is left.
    #[arg(long)]
    pub fix: bool,
}

/// Output formats of `route check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with labels, for people (stderr).
    Human,
    /// One JSON object (stdout); its shape is in docs/cli.md.
    Json,
    /// GitHub Actions workflow commands (stdout): annotations on the PR.
    Github,
    /// SARIF 2.1.0 (stdout), for code-scanning services.
    Sarif,
}

/// What `--deny` can deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Fail on any warning.
    Warnings,
}

/// Runs `route check`.
pub fn run(args: &CheckArgs) -> Result<Exit, AppError> {
    let mut checked = check_project(&args.project, &args.access)?;
    if args.fix {
        checked = fix(args, checked)?;
    }
    if let Some(program) = &checked.program {
        let dag = compile(program, Budget::for_program(program));
        let analysis = analyse(program, &dag, &checked.sources, &Options { overlaps: args.overlaps });
        checked.diagnostics.extend(analysis.diagnostics);
        if let Some(path) = &args.examples {
            write_examples(path, program, &analysis.witnesses)?;
        }
        if let Some(path) = &args.roster {
            let roster = super::eval::read_roster(path)?;
            checked.diagnostics.extend(check_roster(program, &roster, &checked.sources));
            if let Some(volume) = args.expected_per_day {
                checked.diagnostics.extend(check_caps(program, &roster, volume));
            }
        }
        checked.diagnostics.sort();
    }
    let errors = checked.diagnostics.count(Severity::Error);
    let warnings = checked.diagnostics.count(Severity::Warning);
    match args.format {
        Format::Human => {
            let choice = if std::io::stderr().is_terminal() { ColorChoice::Auto } else { ColorChoice::Never };
            // Buffered: thousands of warnings print in one go, not line by line.
            let mut stderr = BufferedStandardStream::stderr(choice);
            if diagnostics::human::render(&mut stderr, &checked.sources, &checked.diagnostics).is_err() {
                eprintln!("error: a diagnostic points outside its file");
            }
            let summary = match &checked.program {
                Some(program) => format!(
                    "{}: {} rules, {} teams, {} fields; {}",
                    checked.sources.name(crate::source::FileId(0)),
                    program.rules.len(),
                    program.teams.len(),
                    program.schema.input_count(),
                    counts(errors, warnings)
                ),
                None => format!("{}: {}", checked.sources.name(crate::source::FileId(0)), counts(errors, warnings)),
            };
            let _ = writeln!(stderr, "{summary}");
            let _ = stderr.flush();
        }
        Format::Json => {
            let report = diagnostics::json::report(&checked.sources, &checked.diagnostics);
            print_json(&report)?;
        }
        Format::Github => {
            let text = diagnostics::github::render(&checked.sources, &checked.diagnostics);
            std::io::stdout().lock().write_all(text.as_bytes()).map_err(AppError::Write)?;
        }
        Format::Sarif => print_json(&diagnostics::sarif::log(&checked.sources, &checked.diagnostics))?,
    }
    Ok(if errors > 0 || (args.deny.is_some() && warnings > 0) { Exit::Failed } else { Exit::Ok })
}

/// Fixes may only show once others are made (a keyword fixed, the team
/// after it can be checked), and overlapping ones wait for the next
/// round: a few rounds settle every real project.
const FIX_ROUNDS: usize = 5;

/// `--fix`: applies the fixes of every file, checks again, and repeats
/// until none are left; returns the last check.
fn fix(args: &CheckArgs, mut checked: Checked) -> Result<Checked, AppError> {
    let mut fixed = 0;
    for _ in 0..FIX_ROUNDS {
        let mut changed = false;
        for (id, file) in checked.sources.files() {
            let fixes = checked.diagnostics.0.iter().flat_map(|d| &d.fixes).filter(|f| f.span.file == id);
            let applied = diagnostics::fix::apply(&file.text, fixes);
            if applied.applied == 0 {
                continue;
            }
            std::fs::write(&file.path, &applied.text)
                .map_err(|source| AppError::WriteFile { path: file.path.clone(), source })?;
            fixed += applied.applied;
            changed = true;
        }
        if !changed {
            break;
        }
        checked = check_project(&args.project, &args.access)?;
    }
    if fixed > 0 {
        eprintln!("fixed {fixed} problem{}", if fixed == 1 { "" } else { "s" });
    }
    Ok(checked)
}

/// One JSON lead per line, in rule order: exactly what
/// `route eval --leads FILE.jsonl` reads.
fn write_examples(path: &Path, program: &Program, witnesses: &[Witness]) -> Result<(), AppError> {
    let io_error = |source| AppError::WriteFile { path: path.to_path_buf(), source };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io_error)?);
    for witness in witnesses {
        let lead = lead_to_json(&program.schema, &witness.lead);
        serde_json::to_writer(&mut out, &lead).map_err(|e| io_error(e.into()))?;
        out.write_all(b"\n").map_err(io_error)?;
    }
    out.flush().map_err(io_error)
}

fn print_json(value: &impl serde::Serialize) -> Result<(), AppError> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, value).map_err(|e| AppError::Write(e.into()))?;
    writeln!(stdout).map_err(AppError::Write)
}

fn counts(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if errors == 0 && warnings == 0 {
        "ok".to_string()
    } else {
        format!("{}, {}", plural(errors, "error"), plural(warnings, "warning"))
    }
}
