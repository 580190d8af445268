//! The HTTP API (docs/serve.md): routes, limits, auth and metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde::Deserialize;

use super::problem::{self, Problem};
use super::Shared;
use crate::eval::{reference, Decision, Router as LeadRouter, RunState};
use crate::io::{self, DecisionWriter, InputFormat, InputRecord, OutputFormat};
use crate::store::{Assignment, Decided, Outcome, Staged};

/// The application: every route with its limits, auth and metrics.
pub fn router(shared: Arc<Shared>) -> Router {
    let config = &shared.config;
    let single = DefaultBodyLimit::max(config.max_body);
    let batch = DefaultBodyLimit::max(config.max_batch_body);
    Router::new()
        .route("/v1/route", post(route_one).layer(single))
        .route("/v1/route/batch", post(route_batch).layer(batch))
        .route("/v1/roster", put(put_roster).layer(single))
        .route("/v1/reload", post(reload))
        .route("/v1/status", get(status))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), authorize))
        .route("/v1/health", get(health))
        .fallback(not_found)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.timeout))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), measure))
        .with_state(shared)
}

/// Counts every request and its latency, by matched route.
async fn measure(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    shared.metrics.request(&path, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

/// With `--token-file`, every route but `/v1/health` needs the bearer
/// token; it is compared in constant time.
async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if let Some(token) = &shared.config.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq::constant_time_eq(given.as_bytes(), token.0.as_bytes()) {
            return Problem::unauthorized().into_response();
        }
    }
    next.run(request).await
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "/problems/not-found", "no such route", "see docs/serve.md for the API")
}

/// `?explain=true`.
#[derive(Debug, Default, Deserialize)]
struct RouteQuery {
    #[serde(default)]
    explain: bool,
}

/// `POST /v1/route`: one lead, one decision.
async fn route_one(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<RouteQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match accept(body, shared.config.max_body, &headers, &["application/json"]) {
        Ok(body) => body,
        Err(problem) => return problem.into_response(),
    };
    let text = match one_object(&body) {
        Ok(text) => text.to_string(),
        Err(problem) => return problem.into_response(),
    };
    let explain = query.explain;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let result = if shared.store.in_process() {
        route_in_place(&shared, &text, key.as_deref(), explain).await
    } else {
        joined(
            tokio::task::spawn_blocking(move || {
                let loaded = shared.loaded.load_full();
                let record = io::single_lead(&loaded.compiled.program.schema, &text);
                route_now(&shared, &loaded, record, &text, key.as_deref(), explain)
            })
            .await,
        )
    };
    respond(result, "application/json")
}

/// Routes one lead on this thread, for a store whose assignments take
/// microseconds: stages it in the store's open group and waits for that
/// group to commit. The first member of a group commits it after the
/// requests already read on this thread have run (one `yield_now`), so a
/// burst shares one commit.
async fn route_in_place(shared: &Arc<Shared>, text: &str, key: Option<&str>, explain: bool) -> Result<String, Problem> {
    let loaded = shared.loaded.load_full();
    let record = io::single_lead(&loaded.compiled.program.schema, text);
    let routed = stage(shared, &loaded, record, key, explain)?;
    let outcome = match routed.staged.pending {
        None => routed.staged.outcome,
        Some(pending) => {
            if pending.opened {
                // A task of its own, so that a request cancelled while it
                // waits (timeout, closed connection) still commits its group.
                let (shared, group) = (Arc::clone(shared), pending.group);
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    shared.store.commit(group);
                });
            }
            pending.durable().await.map_err(|e| Problem::unavailable(e.to_string()))?;
            routed.staged.outcome
        }
    };
    Ok(settle(shared, &loaded, outcome, routed.made, &routed.id, text))
}

/// `POST /v1/route/batch`: JSONL in, JSONL out, in order. Each line is
/// one assignment of its own (idempotent by its lead id).
async fn route_batch(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<RouteQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let jsonl = ["application/jsonl", "application/x-ndjson", "application/jsonlines", "application/json-lines"];
    let body = match accept(body, shared.config.max_batch_body, &headers, &jsonl) {
        Ok(body) => body,
        Err(problem) => return problem.into_response(),
    };
    let Ok(text) = std::str::from_utf8(&body).map(str::to_string) else {
        return Problem::not_json("the body is not UTF-8").into_response();
    };
    let explain = query.explain;
    let result = tokio::task::spawn_blocking(move || {
        let loaded = shared.loaded.load_full();
        let schema = &loaded.compiled.program.schema;
        let lines = physical_lines(&text);
        let reader = io::leads(schema, Box::new(text.as_bytes()), InputFormat::Jsonl)
            .map_err(|e| Problem::not_json(e.to_string()))?;
        let mut out = String::new();
        for record in reader {
            // The decision log keeps the lead's own line, found by the
            // reader's line number (not by counting `\n`s: a lone CR ends a
            // line for the reader too).
            let at = usize::try_from(record.line.saturating_sub(1)).unwrap_or(usize::MAX);
            let raw = lines.get(at).copied().unwrap_or("{}");
            out.push_str(&route_now(&shared, &loaded, record, raw, None, explain)?);
        }
        Ok::<_, Problem>(out)
    })
    .await;
    respond(joined(result), "application/jsonl")
}

/// The lines of `text` as the lead readers number them: each ends at `\n`,
/// `\r\n` or a lone `\r`.
fn physical_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(['\r', '\n']) {
        let (line, tail) = rest.split_at(end);
        lines.push(line);
        rest = tail.strip_prefix("\r\n").or_else(|| tail.get(1..)).unwrap_or("");
    }
    if !rest.is_empty() {
        lines.push(rest);
    }
    lines
}

/// The body, when it was read within `limit` and has one of the `media` types.
fn accept(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
    headers: &HeaderMap,
    media: &[&str],
) -> Result<Bytes, Problem> {
    let body = body.map_err(|rejection| problem::from_rejection(&rejection, limit))?;
    problem::require_media_type(headers, media)?;
    Ok(body)
}

/// The answer of a routing task: its text as `content_type`, or its problem.
fn respond(result: Result<String, Problem>, content_type: &'static str) -> Response {
    match result {
        Ok(body) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        Err(problem) => problem.into_response(),
    }
}

/// The routing task's answer, or a problem saying it stopped.
fn joined(result: Result<Result<String, Problem>, tokio::task::JoinError>) -> Result<String, Problem> {
    result.unwrap_or_else(|e| Err(Problem::unavailable(format!("the routing task stopped: {e}"))))
}

/// The body as one JSON object's text, or a problem saying why not.
fn one_object(body: &[u8]) -> Result<&str, Problem> {
    let text = std::str::from_utf8(body).map_err(|_| Problem::not_json("the body is not UTF-8"))?;
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| Problem::not_json(e.to_string()))?;
    if !text.trim_start().starts_with('{') {
        return Err(Problem::not_an_object());
    }
    Ok(text)
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One lead staged in the store: the outcome (durable once its group
/// commits), the decision when it is new, and the lead's id.
struct Routed {
    staged: Staged,
    made: Option<Decision>,
    id: String,
}

/// Routes one record through the store: replays the recorded decision of
/// its key, or decides anew in the store's transaction.
fn stage(
    shared: &Shared,
    loaded: &super::project::Loaded,
    record: InputRecord,
    header_key: Option<&str>,
    explain: bool,
) -> Result<Routed, Problem> {
    let compiled = &loaded.compiled;
    let now = shared.config.now.unwrap_or_else(jiff::Timestamp::now);
    let id = record.id.clone().unwrap_or_else(|| record.record.to_string());
    let key = header_key.map(str::to_string).or_else(|| record.id.clone());
    let mut record = record;
    if let Ok(lead) = &mut record.lead {
        compiled.program.derive(lead, now);
    }
    let rule = record.lead.as_ref().ok().and_then(|lead| compiled.dag.route(lead, &compiled.program.lookups));
    let footprint = compiled.footprint(if record.lead.is_ok() { rule } else { None });
    let retention_ms = i64::try_from(shared.config.retention.as_millis()).unwrap_or(i64::MAX);
    let assignment = Assignment { key: key.as_deref(), footprint, at_ms: now.as_millisecond(), retention_ms };
    let mut made: Option<Decision> = None;
    let mut decide = |rows: &crate::eval::state::SavedState| {
        let mut router =
            LeadRouter::with_state(compiled, &loaded.staffing, RunState::new(compiled, shared.config.seed), now);
        router.restore(rows);
        // The decision log keeps the full explanation whatever was asked.
        let want_trace = explain || shared.audit.is_some();
        router.explain_distribution(want_trace);
        let mut decision = match &record.lead {
            Ok(lead) => router.route_matched_at(id.clone(), lead, rule, now),
            Err(error) => router.route_invalid_at(id.clone(), error.clone(), now),
        };
        if let (true, Ok(lead)) = (want_trace, &record.lead) {
            decision.trace = Some(reference::explain(&compiled.program, lead, &compiled.sources));
        }
        let state = router.capture_footprint(footprint);
        let shown =
            if explain { decision.clone() } else { Decision { trace: None, distribution: None, ..decision.clone() } };
        made = Some(decision);
        Decided { body: line_of(&shown), state }
    };
    let staged = shared.store.stage(&assignment, &mut decide).map_err(|e| Problem::unavailable(e.to_string()))?;
    Ok(Routed { staged, made, id })
}

/// Routes one record on this (blocking) thread: stages it, commits its
/// group at once and settles it; the decision line to answer with.
fn route_now(
    shared: &Shared,
    loaded: &super::project::Loaded,
    record: InputRecord,
    raw: &str,
    header_key: Option<&str>,
    explain: bool,
) -> Result<String, Problem> {
    let routed = stage(shared, loaded, record, header_key, explain)?;
    if let Some(pending) = &routed.staged.pending {
        shared.store.commit(pending.group);
        pending.committed().map_err(|e| Problem::unavailable(e.to_string()))?;
    }
    Ok(settle(shared, loaded, routed.staged.outcome, routed.made, &routed.id, raw))
}

/// Counts a durable outcome and logs a new decision (with the lead's own
/// text, `raw`); the decision line to answer with.
fn settle(
    shared: &Shared,
    loaded: &super::project::Loaded,
    outcome: Outcome,
    made: Option<Decision>,
    id: &str,
    raw: &str,
) -> String {
    match (&outcome, made) {
        (Outcome::New(_), Some(decision)) => {
            shared.metrics.decision(
                decision.reason.as_str(),
                decision.team.as_deref().unwrap_or(""),
                decision.rule.as_deref().unwrap_or(""),
            );
            if let Some(log) = &shared.audit {
                log.append(&loaded.version, id, raw, line_of(&decision).trim_end());
            }
        }
        _ => shared.metrics.replay(),
    }
    match outcome {
        Outcome::New(body) | Outcome::Replayed(body) => body,
    }
}

/// A decision as `route eval` writes it: one JSON line.
fn line_of(decision: &Decision) -> String {
    let mut writer = DecisionWriter::new(Vec::new(), OutputFormat::Jsonl);
    let written = writer.write(decision).and_then(|()| writer.finish());
    written.ok().and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default()
}

/// `PUT /v1/roster`: validates the roster (the errors of `--roster`) and
/// swaps it in atomically; the rules stay as they are.
async fn put_roster(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match accept(body, shared.config.max_body, &headers, &["application/json"]) {
        Ok(body) => body,
        Err(problem) => return problem.into_response(),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return Problem::not_json("the body is not UTF-8").into_response();
    };
    match crate::eval::Roster::from_json(text) {
        Ok(roster) => {
            let current = shared.loaded.load_full();
            let members = roster.reps().count();
            shared.loaded.store(Arc::new(current.with_roster(roster)));
            json_response(serde_json::json!({ "ok": true, "members": members }).to_string())
        }
        Err(problems) => {
            let mut problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/invalid-roster",
                "the roster is not valid",
                format!("{} problem(s); the old roster keeps serving", problems.len()),
            );
            problem.errors = problems.iter().map(ToString::to_string).collect();
            problem.into_response()
        }
    }
}

/// `POST /v1/reload`: checks and loads the project again; 200 when the
/// new version serves, 422 (with its errors) when it was refused.
async fn reload(State(shared): State<Arc<Shared>>) -> Response {
    let result = tokio::task::spawn_blocking(move || shared.reload()).await;
    match result {
        Ok(report) => {
            let status = if report.ok { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            (status, [(header::CONTENT_TYPE, "application/json")], serde_json::to_string(&report).unwrap_or_default())
                .into_response()
        }
        Err(e) => Problem::unavailable(format!("the reload stopped: {e}")).into_response(),
    }
}

async fn health() -> Response {
    json_response("{\"status\":\"ok\"}".to_string())
}

/// `GET /v1/status`: the version serving, when it was loaded, the last
/// reload's outcome and the state backend.
async fn status(State(shared): State<Arc<Shared>>) -> Response {
    // The version and the last reload's report as one reload left them
    // (`Shared::reload` publishes both under this lock).
    let (loaded, last) = {
        let last = shared.last_reload.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (shared.loaded.load_full(), last.clone())
    };
    let body = serde_json::json!({
        "version": loaded.version,
        "loaded_at": loaded.loaded_at.to_string(),
        "rules": loaded.compiled.program.rules.len(),
        "roster_members": loaded.roster.reps().count(),
        "state": shared.store.describe(),
        "last_reload": last,
    });
    json_response(body.to_string())
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], shared.metrics.encode())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::physical_lines;

    #[test]
    fn lines_end_where_the_readers_end_them() {
        assert_eq!(physical_lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(physical_lines("a\r\n\r\nb\n"), ["a", "", "b"]);
        assert_eq!(physical_lines(""), Vec::<&str>::new());
    }
}
