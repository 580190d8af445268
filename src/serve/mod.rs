//! `route serve`: routes each lead the moment it arrives, over HTTP
//! (TOOLS.md §7; the user's guide is `docs/serve.md`).
//!
//! The compiled project and the roster are immutable values behind an
//! [`arc_swap::ArcSwap`] ([`project::Loaded`]), replaced whole on reload, so
//! a request sees one version from start to end and reloading never
//! blocks routing. Distribution state lives in a [`crate::store::Store`]:
//! each assignment is one transaction there, which makes it durable,
//! idempotent and shared between instances.

mod api;
mod audit;
mod metrics;
mod problem;
pub mod project;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt as _;

pub use api::router;

/// How the server runs (from `route serve`'s flags).
#[derive(Debug, Clone)]
pub struct Config {
    /// The entry file or project directory.
    pub project: PathBuf,
    /// `--roster FILE`.
    pub roster: Option<PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// `--state`: `memory`, a SQLite path or a `postgres://` URL.
    pub state: String,
    /// `--decision-log PATH`.
    pub decision_log: Option<PathBuf>,
    /// The bearer token every request (but `/v1/health`) must carry.
    pub token: Option<Token>,
    /// How long idempotency records are kept.
    pub retention: Duration,
    /// Largest body of `/v1/route` and `/v1/roster`, in bytes.
    pub max_body: usize,
    /// Largest body of `/v1/route/batch`, in bytes.
    pub max_batch_body: usize,
    /// Requests taking longer are answered 408.
    pub timeout: Duration,
    /// Judge eligibility at this fixed instant rather than the clock's
    /// (tests and replays).
    pub now: Option<jiff::Timestamp>,
    /// Seed of the `random` generator before any state is saved.
    pub seed: u64,
}

/// A bearer token; never printed (`Debug` shows `***`).
#[derive(Clone)]
pub struct Token(pub String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Everything a request handler needs; one per server.
pub struct Shared {
    config: Config,
    loaded: arc_swap::ArcSwap<project::Loaded>,
    /// The last reload attempt: when, and its errors (empty when it worked).
    last_reload: std::sync::Mutex<Option<project::ReloadReport>>,
    store: Box<dyn crate::store::Store>,
    metrics: metrics::Metrics,
    audit: Option<audit::DecisionLog>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ServeError {
    /// The project has errors.
    #[error("cannot serve `{0}`: the project has errors; run `route check` for details")]
    #[diagnostic(code(route::serve))]
    Project(PathBuf),
    /// A file could not be read.
    #[error("{0}")]
    #[diagnostic(code(route::serve))]
    Load(String),
    /// The store could not be opened.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Listening or serving failed.
    #[error("cannot listen on `{0}`")]
    #[diagnostic(code(route::serve))]
    Listen(SocketAddr, #[source] std::io::Error),
    /// The decision log cannot be opened.
    #[error("cannot open the decision log `{}`", .0.display())]
    #[diagnostic(code(route::serve))]
    Log(PathBuf, #[source] std::io::Error),
}

impl Shared {
    /// Loads the project and opens the store and the decision log.
    ///
    /// # Errors
    /// When the project has errors or a file or the store cannot be opened.
    pub fn open(config: Config) -> Result<Shared, ServeError> {
        let loaded = match project::load(&config.project, config.roster.as_deref()) {
            Ok(loaded) => loaded,
            Err(project::LoadError::Project(_)) => return Err(ServeError::Project(config.project.clone())),
            Err(project::LoadError::File(message)) => return Err(ServeError::Load(message)),
        };
        let store = crate::store::open(&config.state)?;
        let audit = match &config.decision_log {
            Some(path) => Some(audit::DecisionLog::open(path).map_err(|e| ServeError::Log(path.clone(), e))?),
            None => None,
        };
        Ok(Shared {
            loaded: arc_swap::ArcSwap::from_pointee(loaded),
            last_reload: std::sync::Mutex::new(None),
            store,
            metrics: metrics::Metrics::default(),
            audit,
            config,
        })
    }

    /// Checks and loads the project (and the `--roster` file) again; on
    /// errors the loaded version keeps serving. The outcome is kept for
    /// `/v1/status`.
    ///
    /// The new version and its report are published together, under the
    /// report's lock, which `/v1/status` also takes: a status request
    /// never sees the new version beside the previous report (a test saw
    /// exactly that under load).
    pub fn reload(&self) -> project::ReloadReport {
        let outcome = project::load(&self.config.project, self.config.roster.as_deref());
        let mut last = self.last_reload.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let report = match outcome {
            Ok(loaded) => {
                let version = loaded.version.clone();
                self.loaded.store(Arc::new(loaded));
                project::ReloadReport::ok(version)
            }
            Err(error) => project::ReloadReport::failed(error),
        };
        *last = Some(report.clone());
        drop(last);
        self.metrics.reload(report.ok);
        report
    }

    /// Flushes the decision log (on shutdown).
    pub fn flush(&self) {
        if let Some(log) = &self.audit {
            log.flush();
        }
    }
}

/// Runs the server until SIGTERM or Ctrl-C; in-flight requests finish,
/// then the decision log is flushed (every assignment is already
/// committed to the store).
///
/// # Errors
/// When the server cannot start.
pub async fn run(config: Config) -> Result<(), ServeError> {
    let listen = config.listen;
    let shared = Arc::new(
        tokio::task::spawn_blocking(move || Shared::open(config))
            .await
            .map_err(|e| ServeError::Load(format!("the loader stopped: {e}")))??,
    );
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| ServeError::Listen(listen, e))?;
    let bound = listener.local_addr().map_err(|e| ServeError::Listen(listen, e))?;
    // Tests and scripts read this line to find an ephemeral port.
    eprintln!("route serve: listening on http://{bound}");
    tokio::spawn(reload_on_sighup(Arc::clone(&shared)));
    tokio::spawn(purge_expired(Arc::clone(&shared)));
    tokio::spawn(watch::reload_on_change(Arc::clone(&shared)));
    // Small JSON answers on keep-alive connections: without TCP_NODELAY a
    // response split over two writes waits for the client's delayed ACK
    // (tens of milliseconds), which caps each connection's rate.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, router(Arc::clone(&shared)))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| ServeError::Listen(bound, e))?;
    shared.flush();
    eprintln!("route serve: stopped");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn reload_on_sighup(shared: Arc<Shared>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            let shared = Arc::clone(&shared);
            let report = tokio::task::spawn_blocking(move || shared.reload()).await;
            if let Ok(report) = report {
                eprintln!("route serve: reload on SIGHUP: {}", report.summary());
            }
        }
    }
    #[cfg(not(unix))]
    drop(shared);
}

/// Forgets expired idempotency records once a minute.
async fn purge_expired(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let shared = Arc::clone(&shared);
        let _ = tokio::task::spawn_blocking(move || {
            let retention = i64::try_from(shared.config.retention.as_millis()).unwrap_or(i64::MAX);
            // The clock of the assignments (a fixed `--now` included), so
            // that records are judged by the time they were stamped with.
            let now = shared.config.now.unwrap_or_else(jiff::Timestamp::now);
            shared.store.purge(now.as_millisecond().saturating_sub(retention))
        })
        .await;
    }
}
