//! `route test`: run the project's tests and case tables, report failures
//! and coverage. Exit 0 when all passed, 1 when a test failed, a test file
//! has errors or coverage is below `--coverage-min`, 2 when it could not run.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use codespan_reporting::term::termcolor::{BufferedStandardStream, ColorChoice};
use rustc_hash::FxHashSet;

use super::{check_project, entry_file, AppError, Exit};
use crate::analysis::{analyse, Options};
use crate::compile::{compile, Budget};
use crate::diagnostics::{self, Diagnostics, Severity};
use crate::eval::roster::parse_now;
use crate::eval::{Roster, Router};
use crate::source::SourceMap;
use crate::testing::cases::Table;
use crate::testing::resolve::Project;
use crate::testing::{coverage, report, run, Group, Names};

/// Arguments of `route test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The entry .route file, or a directory holding routing.route; its
    /// tests are the `*.test.route` files beside it and under `tests/`.
    #[arg(default_value = "routing.route")]
    pub project: PathBuf,
    /// Directories imports and lookups may also read.
    #[command(flatten)]
    pub access: super::Access,
    /// Also run a case table: leads (.csv, .jsonl) with `expect_*` columns.
    #[arg(long, value_name = "FILE")]
    pub cases: Vec<PathBuf>,
    /// Fill the empty `expect_*` cells of the case tables from the current
    /// decisions and write the tables back.
    #[arg(long, requires = "cases")]
    pub bless: bool,
    /// The roster case tables are routed with (test blocks name their own).
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// The instant case tables are routed at (default: now).
    #[arg(long, value_name = "INSTANT")]
    pub now: Option<String>,
    /// How to print results.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) when tests reach less than this share of the
    /// reachable rules, in percent.
    #[arg(long, value_name = "PCT", value_parser = percent)]
    pub coverage_min: Option<f64>,
}

/// Output formats of `route test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Failures, coverage and totals (stdout); diagnostics on stderr.
    Human,
    /// One JSON object (stdout), diagnostics included.
    Json,
    /// JUnit XML (stdout), which CI systems show natively.
    Junit,
}

fn percent(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim_end_matches('%').parse().map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("`{text}` is not between 0 and 100"))
    }
}

/// Runs `route test`.
pub fn run(args: &TestArgs) -> Result<Exit, AppError> {
    let checked = check_project(&args.project, &args.access)?;
    let Some(program) = checked.program else {
        super::eval::render_errors(&checked.sources, &checked.diagnostics);
        return Ok(Exit::Failed);
    };
    let mut sources = checked.sources;
    let dag = compile(&program, Budget::for_program(&program));
    let analysis = analyse(&program, &dag, &sources, &Options { overlaps: false });
    let entry = entry_file(&args.project);
    let dir = entry.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let canonical = dir.canonicalize().map_err(|source| AppError::ReadInput { path: dir.clone(), source })?;
    let project = Project { program: &program, names: Names::of(&program), dir: canonical };
    let mut diagnostics = Diagnostics::default();
    let mut groups = Vec::new();
    let files = test_files(&dir);
    for path in &files {
        let loaded = crate::testing::load(&project, &mut sources, path, &mut diagnostics);
        groups.extend(loaded.map_err(|source| AppError::ReadInput { path: path.clone(), source })?);
    }
    for path in &args.cases {
        groups.push(case_group(args, &project, &dag, &mut sources, path, &mut diagnostics)?);
    }
    if files.is_empty() && args.cases.is_empty() {
        eprintln!("no tests: no *.test.route file beside `{}` or under its tests/ directory", entry.display());
    }
    let mut reached = FxHashSet::default();
    let outcomes = run::run(&program, &dag, &sources, &groups, &mut reached);
    let coverage = coverage::coverage(&program, &analysis, &reached);
    diagnostics.sort();
    print(args.format, &sources, &diagnostics, &outcomes, &coverage)?;
    let failed = outcomes.iter().any(|o| !o.passed()) || diagnostics.has_errors();
    let below = args.coverage_min.is_some_and(|min| coverage.percent() < min);
    if below {
        eprintln!(
            "coverage {:.1}% is below --coverage-min {}%",
            coverage.percent(),
            args.coverage_min.unwrap_or_default()
        );
    }
    Ok(if failed || below { Exit::Failed } else { Exit::Ok })
}

/// `*.test.route` beside the entry file, and anywhere under `tests/`
/// next to it, in path order.
fn test_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let is_test = |p: &Path| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".test.route"));
    if let Ok(entries) = std::fs::read_dir(dir) {
        out.extend(entries.flatten().map(|e| e.path()).filter(|p| is_test(p)));
    }
    let mut pending = vec![dir.join("tests")];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                pending.push(path);
            } else if is_test(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn case_group(
    args: &TestArgs,
    project: &Project<'_>,
    dag: &crate::compile::Dag,
    sources: &mut SourceMap,
    path: &Path,
    diagnostics: &mut Diagnostics,
) -> Result<Group, AppError> {
    let roster = match &args.roster {
        Some(path) => super::eval::read_roster(path)?,
        None => Roster::default(),
    };
    let now = match &args.now {
        Some(text) => parse_now(text).map_err(|message| AppError::Now { message })?,
        None => jiff::Timestamp::now(),
    };
    let mut table = Table::read(path).map_err(AppError::from)?;
    if args.bless {
        let mut router = Router::new(project.program, dag, &roster, now, 0);
        let filled = table.bless(project.program, &mut router)?;
        eprintln!("blessed {filled} expectation cell(s) in `{}`", path.display());
        table = Table::read(path)?;
    }
    Ok(table.group(project.program, &project.names, sources, diagnostics, (roster, now))?)
}

fn print(
    format: Format,
    sources: &SourceMap,
    diagnostics: &Diagnostics,
    outcomes: &[run::TestOutcome],
    coverage: &coverage::Coverage,
) -> Result<(), AppError> {
    let mut stdout = std::io::stdout().lock();
    let text = match format {
        Format::Human | Format::Junit => {
            render_diagnostics(sources, diagnostics);
            if format == Format::Human {
                report::human(outcomes, coverage)
            } else {
                let errors: Vec<String> = diagnostics
                    .0
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .map(|d| {
                        let (line, _) = sources.start_of(d.span());
                        format!("{}:{line}: {}: {}", sources.name(d.span().file), d.code.as_str(), d.message)
                    })
                    .collect();
                report::junit(outcomes, &errors)
            }
        }
        Format::Json => {
            let value = report::json(outcomes, coverage, &diagnostics::json::report(sources, diagnostics));
            serde_json::to_string_pretty(&value).map_err(|e| AppError::Write(e.into()))? + "\n"
        }
    };
    stdout.write_all(text.as_bytes()).map_err(AppError::Write)
}

fn render_diagnostics(sources: &SourceMap, diagnostics: &Diagnostics) {
    if diagnostics.is_empty() {
        return;
    }
    let choice = if std::io::stderr().is_terminal() { ColorChoice::Auto } else { ColorChoice::Never };
    let mut stderr = BufferedStandardStream::stderr(choice);
    if diagnostics::human::render(&mut stderr, sources, diagnostics).is_err() {
        eprintln!("error: a diagnostic points outside its file");
    }
    let _ = stderr.flush();
}
