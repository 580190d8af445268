//! serve-peer: the smallest fair HTTP peer of `route serve`. It loads a
//! JDM decision made by `gen_rules.py --format jdm` from the same rule
//! list as the `.route` file, and answers `POST /v1/route` (one lead as
//! JSON) with `{"id": ..., "team": ...}` — no state, no idempotency, no
//! log: everything `route serve` does beyond matching is extra work on
//! route's side of the comparison.
//!
//!   serve-peer RULES.jdm.json [--listen 127.0.0.1:0]
//!
//! Prints `listening on http://ADDR` on stderr, as `route serve` does, so
//! the same load generator drives both.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine, Variable};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let jdm = args.next().ok_or("usage: serve-peer RULES.jdm.json [--listen ADDR]")?;
    let listen = match (args.next().as_deref(), args.next()) {
        (Some("--listen"), Some(addr)) => addr,
        _ => "127.0.0.1:0".to_string(),
    };
    let content: DecisionContent = serde_json::from_slice(&std::fs::read(&jdm)?)?;
    let mut decision = DecisionEngine::default().create_decision(Arc::new(content)).map_err(|e| format!("{e:?}"))?;
    decision.compile();
    decision.validate().map_err(|e| format!("invalid decision graph: {e:?}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(Arc::new(decision), &listen))
}

async fn serve(decision: Arc<Decision>, listen: &str) -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/v1/route", post(route)).with_state(decision);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Evaluates on the blocking pool, as `route serve` does: zen's
/// `Variable` is not `Send`, and its `evaluate` never awaits I/O.
async fn route(State(decision): State<Arc<Decision>>, body: Bytes) -> (StatusCode, String) {
    let answer = tokio::task::spawn_blocking(move || evaluate(&decision, &body)).await;
    match answer {
        Ok(Ok(text)) => (StatusCode::OK, text),
        Ok(Err(e)) => (StatusCode::BAD_REQUEST, e),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

fn evaluate(decision: &Decision, body: &[u8]) -> Result<String, String> {
    let lead: Variable = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let id = lead.dot("id").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let response = pollster::block_on(decision.evaluate(lead)).map_err(|e| format!("{e:?}"))?;
    let team = response.result.dot("team").and_then(|t| t.as_str().map(str::to_string)).unwrap_or_default();
    Ok(serde_json::json!({ "id": id, "team": team }).to_string())
}
