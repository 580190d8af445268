//! Prometheus metrics (`GET /metrics`, OpenMetrics text format) through
//! the `prometheus-client` crate, the Prometheus project's own Rust
//! client: typed label sets, no global registry, and no exporter thread
//! (the text is encoded when scraped).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    path: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    reason: String,
    team: String,
    rule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    decisions: Family<DecisionLabels, Counter>,
    replays: Counter,
    reloads: Family<ResultLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 50 µs to ~13 s, doubling: fine enough around the 2 ms target.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.000_05, 2.0, 19))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("route");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let decisions = Family::<DecisionLabels, Counter>::default();
        let replays = Counter::default();
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by path and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", latency.clone());
        registry.register("decisions", "New decisions by reason, team and rule", decisions.clone());
        registry.register("idempotent_replays", "Requests answered with a recorded decision", replays.clone());
        registry.register("reloads", "Reloads of the rules or roster by result", reloads.clone());
        Metrics { registry, requests, latency, decisions, replays, reloads }
    }
}

impl Metrics {
    /// Counts one request and its latency.
    pub fn request(&self, path: &str, status: u16, seconds: f64) {
        let labels = RequestLabels { path: path.to_string(), status };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
    }

    /// Counts a new decision.
    pub fn decision(&self, reason: &str, team: &str, rule: &str) {
        let labels = DecisionLabels { reason: reason.to_string(), team: team.to_string(), rule: rule.to_string() };
        self.decisions.get_or_create(&labels).inc();
    }

    /// Counts an idempotent replay.
    pub fn replay(&self) {
        self.replays.inc();
    }

    /// Counts a reload.
    pub fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "refused" };
        self.reloads.get_or_create(&ResultLabels { result: result.to_string() }).inc();
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
