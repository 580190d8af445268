//! `route serve`: the HTTP server (docs/serve.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{AppError, Exit};
use crate::eval::roster::parse_now;
use crate::serve::{self, Config};

/// Arguments of `route serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The entry .route file, or a directory holding routing.route.
    #[arg(default_value = "routing.route")]
    pub project: PathBuf,
    /// Address to listen on (port 0 picks a free port, printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The roster (availability, capacity) as JSON; re-read on reload.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Where distribution state lives: a SQLite file (default
    /// `PROJECT_DIR/.route/state.sqlite`), `postgres://...`, or `memory`.
    #[arg(long, value_name = "PATH|URL")]
    pub state: Option<String>,
    /// Append every new decision to this JSONL file (audit, replay).
    #[arg(long, value_name = "PATH")]
    pub decision_log: Option<PathBuf>,
    /// Require `Authorization: Bearer TOKEN` with the token in this file.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Keep idempotency records this many seconds (default 24 hours).
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub idempotency_retention: u64,
    /// Largest body of one lead or a roster, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body: usize,
    /// Largest body of a batch, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_batch_body: usize,
    /// Answer 408 to requests taking longer than this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub request_timeout: u64,
    /// Judge eligibility at this fixed instant instead of the clock's (tests).
    #[arg(long, value_name = "INSTANT")]
    pub now: Option<String>,
    /// Seed for the `random` strategy until a state is saved.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads serving requests [default: 1 with embedded or memory state,
    /// every core with PostgreSQL].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

/// Runs `route serve` until SIGTERM or Ctrl-C.
pub fn run(args: &ServeArgs) -> Result<Exit, AppError> {
    let now = match &args.now {
        Some(text) => Some(parse_now(text).map_err(|message| AppError::Now { message })?),
        None => None,
    };
    let token = match &args.token_file {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|source| AppError::ReadInput { path: path.clone(), source })?;
            let token = text.trim();
            if token.is_empty() {
                // An empty token would let a request without one through.
                let source = std::io::Error::new(std::io::ErrorKind::InvalidData, "the token file is empty");
                return Err(AppError::ReadInput { path: path.clone(), source });
            }
            Some(serve::Token(token.to_string()))
        }
        None => None,
    };
    let state = args.state.clone().unwrap_or_else(|| default_state(&args.project).display().to_string());
    let config = Config {
        project: args.project.clone(),
        roster: args.roster.clone(),
        listen: args.listen,
        state,
        decision_log: args.decision_log.clone(),
        token,
        retention: Duration::from_secs(args.idempotency_retention),
        max_body: args.max_body,
        max_batch_body: args.max_batch_body,
        timeout: Duration::from_millis(args.request_timeout),
        now,
        seed: args.seed,
    };
    let threads = args.threads.map_or_else(|| default_threads(&config.state), usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|source| AppError::ReadInput { path: PathBuf::from("tokio runtime"), source })?;
    runtime.block_on(serve::run(config)).map_err(|e| AppError::Serve(Box::new(e)))?;
    Ok(Exit::Ok)
}

/// One thread for a store in the process: its assignments take turns on
/// one writer anyway, and a second thread mostly adds hand-offs between
/// the two (75% more CPU per request measured at 5,000 requests/s on two
/// cores, docs/performance.md). PostgreSQL assignments wait on the
/// network and run on tokio's blocking pool, so every core serves.
fn default_threads(state: &str) -> usize {
    match crate::store::Backend::of(state) {
        crate::store::Backend::Postgres => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        crate::store::Backend::Memory | crate::store::Backend::Sqlite => 1,
    }
}

/// `PROJECT_DIR/.route/state.sqlite`, beside the project.
fn default_state(project: &std::path::Path) -> PathBuf {
    let dir = if project.is_dir() { project } else { project.parent().unwrap_or(std::path::Path::new(".")) };
    let dir = if dir.as_os_str().is_empty() { std::path::Path::new(".") } else { dir };
    dir.join(".route").join("state.sqlite")
}
