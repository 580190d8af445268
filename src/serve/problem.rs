//! RFC 9457 problem details (`application/problem+json`) for requests
//! the server refuses: a body that is not JSON, too large, of the wrong
//! media type, a missing token, an invalid roster.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One refused request.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem (relative: `docs/serve.md` lists them).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The kind in words.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What was wrong with this request.
    pub detail: String,
    /// Every problem found (an invalid roster's, by JSON path).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Problem {
    /// A problem with `status`, kind and detail.
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem { kind, title, status: status.as_u16(), detail: detail.into(), errors: Vec::new() }
    }

    /// The body is not one JSON object (or, for a batch, not text).
    pub fn not_json(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "/problems/not-json", "the body is not valid JSON", detail)
    }

    /// The request needs a valid bearer token.
    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "/problems/unauthorized",
            "a bearer token is required",
            "send `Authorization: Bearer TOKEN` with the token of `--token-file`",
        )
    }

    /// The store failed: the lead was not routed and may be sent again.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "/problems/state-unavailable", "the state store failed", detail)
    }

    /// The body is JSON but not one object.
    pub fn not_an_object() -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "/problems/not-an-object",
            "the body is not one JSON object",
            "send one lead as a JSON object (a batch goes to `/v1/route/batch` as JSONL)",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

/// Turns axum's body rejections (too large, unreadable) into problems;
/// `limit` is the route's body limit in bytes.
pub fn from_rejection(rejection: &axum::extract::rejection::BytesRejection, limit: usize) -> Problem {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let detail = format!("the body is over the limit of {limit} bytes");
        Problem::new(status, "/problems/too-large", "the body is too large", detail)
    } else {
        Problem::new(status, "/problems/unreadable-body", "the body could not be read", rejection.body_text())
    }
}

/// Checks the `Content-Type` against the one expected (parameters such
/// as `charset` allowed).
pub fn require_media_type(headers: &axum::http::HeaderMap, expected: &[&str]) -> Result<(), Problem> {
    let given = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if expected.contains(&essence.as_str()) {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "/problems/media-type",
        "the body has the wrong media type",
        format!("expected `{}`, got `{given}`", expected.join("` or `")),
    ))
}
