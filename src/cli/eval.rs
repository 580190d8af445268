//! `route eval`: route one lead or a stream of leads, one record out per
//! record in, in input order.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use super::{check_project, AppError, Exit};
use crate::check::Program;
use crate::compile::{compile, Budget};
use crate::diagnostics::{self, Diagnostics, Severity};
use crate::eval::roster::parse_now;
use crate::eval::state::StateFile;
use crate::eval::summary::{Summary, Tally};
use crate::eval::{reference, Roster, Router};
use crate::io::{self, DecisionWriter, InputFormat, InputRecord, OutputFormat};
use crate::source::SourceMap;

/// Arguments of `route eval`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["lead", "leads"])))]
pub struct EvalArgs {
    /// The entry .route file, or a directory holding routing.route.
    #[arg(default_value = "routing.route")]
    pub project: PathBuf,
    /// One lead as a JSON object.
    #[arg(long, value_name = "JSON")]
    pub lead: Option<String>,
    /// A file of leads (.csv, .jsonl, .ndjson), or `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub leads: Option<PathBuf>,
    /// The format of --leads (default: from the file extension).
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormatArg>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = OutputFormatArg::Jsonl)]
    pub output: OutputFormatArg,
    /// Write decisions here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The roster (availability, capacity) as JSON.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Judge working hours and out-of-office at this instant (default: now),
    /// e.g. `2026-11-25T10:00:00Z` or `2026-11-25T10:00[Europe/Berlin]`.
    #[arg(long, value_name = "INSTANT")]
    pub now: Option<String>,
    /// Seed for the `random` strategy (a `--state` file's saved generator,
    /// when it has one, continues instead).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Add a `trace` to each record: every rule tried and why it did not fire.
    #[arg(long)]
    pub explain: bool,
    /// Carry distribution state (round-robin positions, weights, counts)
    /// across runs in this file; it is locked for the run and replaced
    /// atomically at the end.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Print a summary to stderr: counts per rule, queue and rep, and each
    /// team's fairness (`--summary json` for a JSON object).
    #[arg(long, value_enum, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "human")]
    pub summary: Option<SummaryFormat>,
}

/// Summary formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// Text (with bar charts on a terminal).
    Human,
    /// One JSON object.
    Json,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// Comma-separated with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormatArg {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// Runs `route eval`.
pub fn run(args: &EvalArgs) -> Result<Exit, AppError> {
    let checked = check_project(&args.project)?;
    let Some(program) = checked.program else {
        render_errors(&checked.sources, &checked.diagnostics);
        return Ok(Exit::Failed);
    };
    let roster = load_roster(args)?;
    let now = match &args.now {
        Some(text) => parse_now(text).map_err(|message| AppError::Now { message })?,
        None => jiff::Timestamp::now(),
    };
    let dag = compile(&program, Budget::for_program(&program));
    let mut router = Router::new(&program, &dag, &roster, now, args.seed);
    router.explain_distribution(args.explain);
    let state_file = match &args.state {
        Some(path) => {
            let (file, saved) = StateFile::open(path)?;
            router.restore(&saved);
            Some(file)
        }
        None => None,
    };
    // Counting costs a few string copies per lead: only when asked for.
    let mut tally = args.summary.map(|_| Tally::default());
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => {
            Box::new(File::create(path).map_err(|source| AppError::ReadInput { path: path.clone(), source })?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let format = match args.output {
        OutputFormatArg::Jsonl => OutputFormat::Jsonl,
        OutputFormatArg::Csv => OutputFormat::Csv,
    };
    let mut writer = DecisionWriter::new(BufWriter::with_capacity(1 << 16, sink), format);
    let explain = args.explain.then_some(&checked.sources);
    if let Some(json) = &args.lead {
        let record = io::single_lead(&program.schema, json);
        let decision = route_record(&mut router, &program, explain, record);
        if let Some(tally) = tally.as_mut() {
            tally.observe(&decision);
        }
        writer.write(&decision).map_err(AppError::Write)?;
    } else if let Some(path) = &args.leads {
        let (input, format) = open_leads(path, args.input_format)?;
        let mut reader = io::leads(&program.schema, input, format)?;
        for record in reader.by_ref() {
            let decision = route_record(&mut router, &program, explain, record);
            if let Some(tally) = tally.as_mut() {
                tally.observe(&decision);
            }
            writer.write(&decision).map_err(AppError::Write)?;
        }
        if let Some(error) = reader.take_error() {
            // The records read so far are written; the run still fails.
            writer.finish().map_err(AppError::Write)?;
            return Err(AppError::ReadInput { path: path.clone(), source: error });
        }
    }
    writer.finish().map_err(AppError::Write)?;
    if let Some(file) = state_file {
        file.save(&router.capture())?;
    }
    if let (Some(format), Some(tally)) = (args.summary, &tally) {
        print_summary(&tally.summary(&program), format)?;
    }
    Ok(Exit::Ok)
}

fn print_summary(summary: &Summary, format: SummaryFormat) -> Result<(), AppError> {
    let mut stderr = std::io::stderr().lock();
    let text = match format {
        SummaryFormat::Human => summary.render(std::io::stderr().is_terminal()),
        SummaryFormat::Json => serde_json::to_string(summary).map_err(|e| AppError::Write(e.into()))? + "\n",
    };
    stderr.write_all(text.as_bytes()).map_err(AppError::Write)
}

fn route_record(
    router: &mut Router<'_>,
    program: &Program,
    explain: Option<&SourceMap>,
    record: InputRecord,
) -> crate::eval::Decision {
    let id = record.id.unwrap_or_else(|| record.record.to_string());
    match record.lead {
        Ok(lead) => {
            let mut decision = router.route(id, &lead);
            if let Some(sources) = explain {
                decision.trace = Some(reference::explain(program, &lead, sources));
            }
            decision
        }
        Err(error) => router.route_invalid(id, error),
    }
}

fn open_leads(path: &PathBuf, format: Option<InputFormatArg>) -> Result<(Box<dyn BufRead>, InputFormat), AppError> {
    let format = match format {
        Some(InputFormatArg::Csv) => Some(InputFormat::Csv),
        Some(InputFormatArg::Jsonl) => Some(InputFormat::Jsonl),
        None => None,
    };
    if path.as_os_str() == "-" {
        let format = format.ok_or(AppError::StdinFormat)?;
        return Ok((Box::new(BufReader::with_capacity(1 << 16, std::io::stdin().lock())), format));
    }
    let format =
        format.or_else(|| io::format_for_path(path)).ok_or_else(|| AppError::UnknownFormat { path: path.clone() })?;
    let file = File::open(path).map_err(|source| AppError::ReadInput { path: path.clone(), source })?;
    Ok((Box::new(BufReader::with_capacity(1 << 16, file)), format))
}

fn load_roster(args: &EvalArgs) -> Result<Roster, AppError> {
    match &args.roster {
        Some(path) => read_roster(path),
        None => Ok(Roster::default()),
    }
}

/// Reads and validates a roster file (for `--roster` of `eval` and
/// `check`); every problem is listed by its JSON path in the error.
pub(super) fn read_roster(path: &std::path::Path) -> Result<Roster, AppError> {
    let path = path.to_path_buf();
    let text = std::fs::read_to_string(&path).map_err(|source| AppError::ReadInput { path: path.clone(), source })?;
    let roster = Roster::from_json(&text).map_err(|problems| AppError::Roster {
        path: path.clone(),
        problems: problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"),
    })?;
    for warning in roster.warnings() {
        eprintln!("warning: roster `{}`: {warning}", path.display());
    }
    Ok(roster)
}

/// Prints a project's errors (not its warnings) and a one-line verdict.
pub(super) fn render_errors(sources: &SourceMap, all: &Diagnostics) {
    let errors = Diagnostics(all.0.iter().filter(|d| d.severity == Severity::Error).cloned().collect());
    let choice = if std::io::stderr().is_terminal() { ColorChoice::Auto } else { ColorChoice::Never };
    let mut stderr = StandardStream::stderr(choice);
    if diagnostics::human::render(&mut stderr, sources, &errors).is_err() {
        eprintln!("error: a diagnostic points outside its file");
    }
    let _ =
        writeln!(stderr, "cannot route: the project has {} error(s); run `route check` for details", errors.0.len());
}
