//! `route eval`: route one lead or a stream of leads, one record out per
//! record in, in input order.
//!
//! # Protocol (docs/reliability.md)
//! Everything that can be checked before routing is: the state file is
//! locked and its directory proved writable, the input opened (a CSV header
//! read), the output created (a temporary file beside `-o`). Then leads are
//! routed and written as they are read. At the end the output is flushed,
//! then the state saved, then a `-o` file renamed into place. When anything
//! fails the run exits 2 and says whether the state was saved; the state is
//! saved only when every decision was written, so the state never counts an
//! assignment that was not delivered, and a `-o` file is replaced only when
//! the state (if any) was saved too.

mod explain;
mod output;
mod parallel;
mod progress;

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use explain::Explain;
pub use explain::ExplainOnly;
use output::Output;
use progress::{Counting, Progress};

use super::{check_project, AppError, Exit};
use crate::check::program::RuleId;
use crate::check::Program;
use crate::diagnostics::{self, Diagnostics, Severity};
use crate::eval::roster::parse_now;
use crate::eval::state::{LockWait, StateFile};
use crate::eval::summary::{Summary, Tally};
use crate::eval::{reference, Compiled, Decision, Roster, Router, RunState, Staffing};
use crate::io::{self, DecisionWriter, InputFormat, InputRecord, LeadReader, OutputFormat, ReadOptions};
use crate::source::SourceMap;

/// Arguments of `route eval`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["lead", "leads"])))]
pub struct EvalArgs {
    /// The entry .route file, or a directory holding routing.route.
    #[arg(default_value = "routing.route")]
    pub project: PathBuf,
    /// Directories imports and lookups may also read.
    #[command(flatten)]
    pub access: super::Access,
    /// One lead as a JSON object.
    #[arg(long, value_name = "JSON")]
    pub lead: Option<String>,
    /// A file of leads (.csv, .jsonl, .ndjson), or `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub leads: Option<PathBuf>,
    /// The format of --leads (default: from the file extension; for stdin,
    /// from the first byte: `{` is JSONL, anything else CSV).
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormatArg>,
    /// The CSV field separator of --leads: one character, e.g. `;` (or
    /// `\t`/`tab` for a tab).
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// Copy these input columns (CSV header cells, JSON keys;
    /// comma-separated) into each output record: a `kept` object in JSONL,
    /// one more column each in CSV.
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub keep: Vec<String>,
    /// Read and match leads on this many threads (default: one per core);
    /// leads are still distributed one at a time in input order, so the
    /// output is the same for any number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// The output format: one JSON object per line, or CSV with the JSONL
    /// keys as columns (with --scores, a `scores` key, or column, carries
    /// each lead's scores; for a project with a split or a second owner
    /// (`with`), also `split`, `split_arm`, `secondary_team`,
    /// `secondary_queue` and `secondary_assignee`).
    #[arg(long, value_enum, default_value_t = OutputFormatArg::Jsonl)]
    pub output: OutputFormatArg,
    /// Write decisions here instead of stdout (the file is replaced when the
    /// run succeeds, and left as it was when it fails).
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
    /// Only these decisions carry a trace (implies --explain), comma-separated:
    /// `fallback`, `unrouted`, `invalid`, `sample:N` (every N-th lead).
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = explain::parse)]
    pub explain_only: Vec<ExplainOnly>,
    /// Add each lead's scores (`score` declarations): a `scores` array of
    /// `{"score", "value"}` objects in JSONL, a `scores` column holding it
    /// in CSV. With --explain, each also lists the terms that counted.
    #[arg(long)]
    pub scores: bool,
    /// Carry distribution state (round-robin positions, weights, counts)
    /// across runs in this file; it is locked for the run and replaced
    /// atomically at the end.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Give up (exit 2) when another run has held the --state lock this many
    /// seconds (default: wait as long as it takes, saying who holds it).
    #[arg(long, value_name = "SECONDS", requires = "state", value_parser = parse_seconds)]
    pub lock_timeout: Option<Duration>,
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
    let jobs = args.jobs.map_or_else(default_jobs, usize::from);
    // --jobs bounds the whole run, loading included: a big rule file is
    // parsed on that many threads too (`syntax::parse`). The pool can be
    // set once a process; a second set (tests running `run` in-process)
    // keeps the first, which only changes how many threads parse.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(jobs).build_global();
    let checked = check_project(&args.project, &args.access)?;
    let Some(program) = checked.program else {
        render_errors(&checked.sources, &checked.diagnostics);
        return Ok(Exit::Failed);
    };
    let roster = load_roster(args)?;
    let now = match &args.now {
        Some(text) => parse_now(text).map_err(|message| AppError::Now { message })?,
        None => jiff::Timestamp::now(),
    };
    let compiled = Compiled::new(program, checked.sources);
    let staffing = Staffing::for_compiled(&compiled, &roster);
    let program = &compiled.program;
    let explain = Explain::new(args.explain, &args.explain_only);
    let mut router = Router::with_state(&compiled, &staffing, RunState::new(&compiled, args.seed), now);
    router.explain_distribution(explain.on());
    // Before anything is routed: the state locked (its directory proved
    // writable), the input opened, the output created.
    let state = match &args.state {
        Some(path) => {
            let wait = LockWait { timeout: args.lock_timeout };
            let (file, saved) = StateFile::open(path, wait, &mut announce_wait)?;
            router.restore(&saved);
            Some(file)
        }
        None => None,
    };
    let read = Arc::new(AtomicU64::new(0));
    let (input, size) = open_input(args, program, &read)?;
    let mut inputs: Vec<&Path> = args.leads.iter().chain(&args.roster).map(PathBuf::as_path).collect();
    inputs.extend(state.as_ref().map(StateFile::path));
    let output = Output::open(args.out.as_deref(), &inputs)?;
    let format = match args.output {
        OutputFormatArg::Jsonl => OutputFormat::Jsonl,
        OutputFormatArg::Csv => OutputFormat::Csv,
    };
    let owners =
        program.actions().any(|a| a.secondary.is_some() || matches!(a.target, crate::check::program::Target::Split(_)));
    let mut writer = DecisionWriter::new(output.writer(), format)
        .with_owner_columns(owners)
        .with_explain_columns(explain.on())
        .with_scores_column(args.scores)
        .with_kept(args.keep.clone());
    // Counting costs a few string copies per lead: only when asked for.
    let mut tally = args.summary.map(|_| Tally::default());
    let sources = explain.on().then_some(&compiled.sources);
    let mut route = |record: &mut InputRecord, rule: Option<RuleId>| {
        let decision = route_record(&mut router, program, sources, (&explain, args.scores), record, rule, now);
        if let Some(tally) = tally.as_mut() {
            tally.observe(&decision);
        }
        let written = writer.write_kept(&decision, &record.kept).map_err(Failure::Write);
        // The id's buffer goes back with the record, to hold the id of the
        // record written over it.
        record.id = Some(decision.lead);
        written
    };
    let mut progress = Progress::new(std::io::stderr().is_terminal(), size, read);
    let routed = match input {
        Input::One(mut record) => {
            let rule = parallel::match_record(&compiled, &mut record, &compiled.program.moment(now));
            route(&mut record, rule)
        }
        Input::Many(mut reader, path) => {
            let moment = compiled.program.moment(now);
            let routed =
                parallel::route_all(&mut reader, &compiled, &moment, jobs, &mut |n| progress.tick(n), &mut route);
            routed.and_then(|()| reader.take_error().map_or(Ok(()), |error| Err(Failure::Read(path, error))))
        }
    };
    progress.finish();
    let written = routed.and_then(|()| writer.finish().map(drop).map_err(Failure::Write));
    let written = written.and_then(|()| output.sync().map_err(Failure::Write));
    finish(written, state, &router, output, args.out.is_none())?;
    if let (Some(format), Some(tally)) = (args.summary, &tally) {
        print_summary(&tally.summary(program), format)?;
    }
    Ok(Exit::Ok)
}

/// What stopped a run after routing started.
enum Failure {
    /// Writing a decision failed.
    Write(std::io::Error),
    /// The leads input failed midway.
    Read(PathBuf, std::io::Error),
    /// A reading thread stopped without its batch (it cannot, short of a
    /// bug: said rather than hidden).
    Worker,
}

/// One thread per core (one when the count is unknown).
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// `--delimiter`: one ASCII character; `\t` or `tab` for a tab.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [byte] if byte.is_ascii() && !matches!(byte, b'"' | b'\n' | b'\r') => Ok(*byte),
            _ => Err(format!("`{text}` is not one ASCII character (other than a quote or a line end)")),
        },
    }
}

/// The leads of a run.
enum Input<'s> {
    /// `--lead`.
    One(InputRecord),
    /// `--leads`, and its path.
    Many(LeadReader<'s>, PathBuf),
}

/// Ends a run: saves the state only when every decision was written, then
/// puts a `-o` file in place; every failure says what became of the state
/// and of the output.
fn finish(
    written: Result<(), Failure>,
    state: Option<StateFile>,
    router: &Router<'_>,
    output: Output,
    to_stdout: bool,
) -> Result<(), AppError> {
    let state_path = state.as_ref().map(|s| s.path().to_path_buf());
    let not_saved = |path: &Path| {
        format!("the state file `{}` was not saved: it still holds the state from before this run", path.display())
    };
    if let Err(failure) = written {
        let (what, source) = match failure {
            // Without a state file, a closed stdout is the reader's choice
            // (`route eval ... | head`): `AppError::Write` exits 0 for it.
            Failure::Write(source) if state_path.is_none() && to_stdout => return Err(AppError::Write(source)),
            Failure::Write(source) => (format!("cannot write the decisions {}", output.describe()), source),
            Failure::Read(path, source) => (format!("cannot read `{}` to its end", path.display()), source),
            Failure::Worker => ("a reading thread stopped early".to_string(), std::io::Error::other("worker lost")),
        };
        let mut notes = Vec::new();
        notes.extend(state_path.as_deref().map(not_saved));
        if !to_stdout {
            notes.push("the output file was not written".to_string());
        }
        let notes = (!notes.is_empty()).then(|| notes.join("; "));
        return Err(AppError::Incomplete { message: what, notes, source });
    }
    if let (Some(file), Some(path)) = (state, &state_path) {
        if let Err(error) = file.save(&router.capture()) {
            let message = if to_stdout {
                format!("the decisions were written to stdout, but {}", not_saved(path))
            } else {
                not_saved(path)
            };
            let notes = (!to_stdout).then(|| "the output file was not written".to_string());
            return Err(AppError::Incomplete { message, notes, source: std::io::Error::other(error.to_string()) });
        }
    }
    let described = output.describe();
    output.commit().map_err(|source| AppError::Incomplete {
        message: format!("cannot put the decisions in place {described}"),
        notes: state_path.map(|p| format!("the state file `{}` was saved", p.display())),
        source,
    })
}

/// Tells the user a run is waiting for the state lock, and for whom.
fn announce_wait(lock: &Path, holder: Option<u32>) {
    let holder = holder.map_or_else(|| "another run".to_string(), |pid| format!("pid {pid}"));
    eprintln!("waiting for the lock on `{}` held by {holder} (--lock-timeout SECONDS to give up)", lock.display());
}

/// `--lock-timeout`: seconds, fractions allowed.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds"))
}

fn print_summary(summary: &Summary, format: SummaryFormat) -> Result<(), AppError> {
    let mut stderr = std::io::stderr().lock();
    let text = match format {
        SummaryFormat::Human => summary.render(std::io::stderr().is_terminal()),
        SummaryFormat::Json => serde_json::to_string(summary).map_err(|e| AppError::Write(e.into()))? + "\n",
    };
    stderr.write_all(text.as_bytes()).map_err(AppError::Write)
}

/// Distributes one record whose lead matched `rule` (as the DAG says); its
/// id is taken into the decision.
fn route_record(
    router: &mut Router<'_>,
    program: &Program,
    sources: Option<&SourceMap>,
    (explain, scores): (&Explain, bool),
    record: &mut InputRecord,
    rule: Option<RuleId>,
    now: jiff::Timestamp,
) -> Decision {
    let id = record.id.take().unwrap_or_else(|| record.record.to_string());
    let decide = |router: &mut Router<'_>| match &record.lead {
        Ok(lead) => router.route_matched_at(id, lead, rule, now),
        Err(error) => router.route_invalid(id, error.clone()),
    };
    if !explain.on() && !scores {
        // Returned as the router made it, not through a local changed
        // below: that copied the whole record once more per lead.
        return decide(router);
    }
    let mut decision = decide(router);
    let explained = explain.keeps(&decision, record.record);
    if explained {
        if let (Some(sources), Ok(lead)) = (sources, &record.lead) {
            decision.trace = Some(reference::explain(program, lead, sources));
        }
    } else {
        decision.distribution = None;
    }
    let wants_scores = scores || (explained && sources.is_some() && !program.scores.is_empty());
    if let (true, Ok(lead)) = (wants_scores, &record.lead) {
        decision.scores = Some(reference::scores(program, lead, sources.filter(|_| explained)));
    }
    decision
}

/// The leads of the run: `--lead` (which must be a JSON object), or
/// `--leads` opened, its format known and (CSV) its header read, with its
/// size when known; `read` counts the bytes read. Warnings about the header
/// are printed here, before any lead is routed.
fn open_input<'s>(
    args: &EvalArgs,
    program: &'s Program,
    read: &Arc<AtomicU64>,
) -> Result<(Input<'s>, Option<u64>), AppError> {
    if let Some(json) = &args.lead {
        let mut record = io::single_lead(&program.schema, json);
        if !args.keep.is_empty() {
            record.kept = io::kept_of_object(json, &args.keep);
        }
        if let Err(error) = &record.lead {
            // Not a JSON object at all: a usage error, not an invalid lead.
            if error.field.is_none() {
                return Err(AppError::BadLead { message: error.message.clone() });
            }
        }
        return Ok((Input::One(record), None));
    }
    let Some(path) = &args.leads else { return Err(AppError::NoLeads) };
    let (input, format, size) = open_leads(path, args.input_format, read)?;
    let options = ReadOptions { delimiter: args.delimiter, keep: args.keep.clone(), read: Some(program.fields_read()) };
    let reader = io::leads_with(&program.schema, input, format, &options).map_err(|source| match source {
        io::ReadError::Io(source) => AppError::ReadInput { path: path.clone(), source },
        other => AppError::Input { path: path.clone(), source: other },
    })?;
    for warning in reader.warnings() {
        eprintln!("warning[route::io::column]: {warning}");
    }
    if !reader.warnings().is_empty() {
        match reader.delimiter_hint() {
            Some(hint) => eprintln!("  = help: {hint}"),
            None => eprintln!("  = help: map a field to its column with `from \"Column\"` in the schema"),
        }
    }
    Ok((Input::Many(reader, path.clone()), size))
}

/// An opened `--leads`: the input, its format, and its size when it is a
/// regular file.
type Opened = (Box<dyn BufRead + Send>, InputFormat, Option<u64>);

/// Opens `--leads`, counting the bytes read into `read`.
fn open_leads(path: &PathBuf, format: Option<InputFormatArg>, read: &Arc<AtomicU64>) -> Result<Opened, AppError> {
    let format = match format {
        Some(InputFormatArg::Csv) => Some(InputFormat::Csv),
        Some(InputFormatArg::Jsonl) => Some(InputFormat::Jsonl),
        None => None,
    };
    if path.as_os_str() == "-" {
        let counted = Counting::new(std::io::stdin(), Arc::clone(read));
        let stdin: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(1 << 16, counted));
        return match format {
            Some(format) => Ok((stdin, format, None)),
            None => sniff(stdin)
                .map(|(input, format)| (input, format, None))
                .map_err(|source| AppError::ReadInput { path: path.clone(), source }),
        };
    }
    let format =
        format.or_else(|| io::format_for_path(path)).ok_or_else(|| AppError::UnknownFormat { path: path.clone() })?;
    let file = File::open(path).map_err(|source| AppError::ReadInput { path: path.clone(), source })?;
    let size = file.metadata().ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
    let counted = Counting::new(file, Arc::clone(read));
    Ok((Box::new(BufReader::with_capacity(1 << 16, counted)), format, size))
}

/// The format of a pipe, told by its first byte that is not whitespace (or
/// a BOM): `{` is JSON Lines, anything else CSV. The bytes looked at are
/// put back in front of the rest.
fn sniff(mut input: Box<dyn BufRead + Send>) -> std::io::Result<(Box<dyn BufRead + Send>, InputFormat)> {
    let skipped = |b: &u8| b.is_ascii_whitespace() || matches!(b, 0xEF | 0xBB | 0xBF);
    let mut seen = Vec::new();
    let first = loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() || seen.len() > io::MAX_LINE_BYTES {
            break None;
        }
        let found = chunk.iter().position(|b| !skipped(b));
        let take = found.map_or(chunk.len(), |at| at + 1);
        seen.extend_from_slice(chunk.get(..take).unwrap_or_default());
        input.consume(take);
        if found.is_some() {
            break seen.last().copied();
        }
    };
    let format = if first.is_some() { io::format_for_first_byte(&seen) } else { InputFormat::Csv };
    Ok((Box::new(std::io::Cursor::new(seen).chain(input)), format))
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
