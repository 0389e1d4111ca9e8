//! What every request goes through: read and record it, check auth, resolve its behaviour,
//! wait, then answer (an injected error, a validation error, JSON, or a stream).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::app::Shared;
use crate::error::ApiError;
use crate::faults::{Behavior, Knobs};
use crate::openai::chat::ChatRequest;
use crate::openai::completions::CompletionRequest;
use crate::openai::embeddings::EmbeddingRequest;
use crate::openai::{RenderCtx, Rendered};
use crate::record::RecordHandle;
use crate::sse::{Pacing, SseFrames, paced_body, sleep};
use crate::text::fnv1a;

/// Larger bodies get a 413; generous, since tests send long prompts on purpose.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Which credential header a path expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer KEY` (OpenAI).
    Bearer,
    /// `api-key: KEY` (Azure OpenAI deployment paths).
    AzureApiKey,
    /// Not checked (unknown paths).
    None,
}

/// A request that was read, recorded and authenticated.
pub(crate) struct Arrival {
    pub(crate) parts: Parts,
    pub(crate) body: Bytes,
    pub(crate) record: RecordHandle,
}

/// Reads and records the request, then checks its credentials. `Err` is the response to send.
pub(crate) async fn arrive(shared: &Shared, req: Request, auth: Auth) -> Result<Arrival, Response> {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(err) => {
            let record = shared.recorder.record(&parts, &Bytes::new());
            let too_large = std::error::Error::source(&err)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            let err = if too_large {
                ApiError::too_large()
            } else {
                ApiError::invalid(format!("Could not read the request body: {err}"))
            };
            return Err(error_response(&err, &record));
        }
    };
    let record = shared.recorder.record(&parts, &body);
    if let Some(key) = &shared.config.api_key
        && let Err(err) = check_auth(key, &parts.headers, auth)
    {
        return Err(error_response(&err, &record));
    }
    Ok(Arrival {
        parts,
        body,
        record,
    })
}

fn check_auth(key: &str, headers: &HeaderMap, auth: Auth) -> Result<(), ApiError> {
    let presented = match auth {
        Auth::None => return Ok(()),
        Auth::Bearer => headers
            .get(AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer ")),
        Auth::AzureApiKey => headers.get("api-key").map(HeaderValue::as_bytes),
    };
    match presented {
        None => Err(ApiError::no_api_key()),
        Some(presented) if presented == key.as_bytes() => Ok(()),
        Some(_) => Err(ApiError::wrong_api_key()),
    }
}

/// The inference endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Chat,
    Completions,
    Embeddings,
}

/// A parsed inference request; borrows from the body.
enum Parsed<'a> {
    Chat(ChatRequest<'a>),
    Completion(CompletionRequest<'a>),
    Embedding(EmbeddingRequest<'a>),
}

impl<'a> Parsed<'a> {
    fn parse(kind: Kind, body: &'a [u8], deployment: Option<&'a str>) -> Result<Self, ApiError> {
        Ok(match kind {
            Kind::Chat => Self::Chat(ChatRequest::parse(body, deployment)?),
            Kind::Completions => Self::Completion(CompletionRequest::parse(body, deployment)?),
            Kind::Embeddings => Self::Embedding(EmbeddingRequest::parse(body, deployment)?),
        })
    }

    fn directive(&self) -> Knobs {
        match self {
            Self::Chat(r) => r.directive(),
            Self::Completion(r) => r.directive(),
            Self::Embedding(r) => r.directive(),
        }
    }

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        match self {
            Self::Chat(r) => r.render(ctx),
            Self::Completion(r) => r.render(ctx),
            Self::Embedding(r) => r.render(ctx),
        }
    }
}

/// Serves chat, completions and embeddings. `deployment` is set on Azure deployment paths.
pub(crate) async fn inference(
    shared: &Shared,
    kind: Kind,
    deployment: Option<String>,
    req: Request,
) -> Response {
    let auth = if deployment.is_some() {
        Auth::AzureApiKey
    } else {
        Auth::Bearer
    };
    let arrival = match arrive(shared, req, auth).await {
        Ok(arrival) => arrival,
        Err(response) => return response,
    };
    if deployment.is_some() && !has_api_version(arrival.parts.uri.query()) {
        let err = ApiError::invalid_param(
            "api-version",
            "Missing required query parameter 'api-version'.",
        );
        return error_response(&err, &arrival.record);
    }
    let queued = shared.faults.pop();
    let headers = Knobs::from_headers(&arrival.parts.headers);
    let parsed = Parsed::parse(kind, &arrival.body, deployment.as_deref());
    let directive = parsed
        .as_ref()
        .map_or_else(|_| Knobs::default(), Parsed::directive);
    let behavior = Behavior::resolve(queued, headers, directive, &shared.config);

    sleep(behavior.latency).await;
    if let Some(status) = behavior.status.filter(|s| *s >= 400) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let err = ApiError::injected(status, behavior.retry_after);
        return error_response(&err, &arrival.record);
    }
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(err) => return error_response(&err, &arrival.record),
    };
    let ctx = RenderCtx {
        hash: conversation_hash(&arrival.body),
        created: shared.config.fixed_created.unwrap_or_else(unix_now),
        chunks: behavior.chunks,
        parallel: behavior.parallel,
    };
    // A status below 400 only replaces the 200 (1xx cannot carry a body).
    let status = behavior
        .status
        .filter(|s| (200..400).contains(s))
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    match parsed.render(&ctx) {
        Ok(Rendered::Json(body)) => json_response(status, body, &behavior, arrival.record),
        Ok(Rendered::Stream(frames)) => stream_response(status, frames, &behavior, arrival.record),
        Err(err) => {
            let err = ApiError::internal(format!("switchboard-mock failed to render: {err}"));
            error_response(&err, &arrival.record)
        }
    }
}

/// The seed of response ids and tool-call ids: the request's model and
/// conversation (`messages`, `prompt` or `input`), not its raw bytes, so that
/// options which do not change the answer (`stream_options`, key order,
/// whitespace added by a gateway) do not change the ids either.
fn conversation_hash(body: &[u8]) -> u64 {
    #[derive(serde::Deserialize)]
    struct Conversation<'a> {
        #[serde(borrow, default)]
        model: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        messages: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        prompt: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        input: Option<&'a serde_json::value::RawValue>,
    }
    match serde_json::from_slice::<Conversation>(body) {
        Ok(c) => {
            let parts = [c.model, c.messages, c.prompt, c.input];
            let mut hash = 0u64;
            for part in parts.iter().flatten() {
                hash = hash.rotate_left(17) ^ fnv1a(part.get().as_bytes());
            }
            hash
        }
        Err(_) => fnv1a(body),
    }
}

fn has_api_version(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            pair.strip_prefix("api-version=")
                .is_some_and(|v| !v.is_empty())
        })
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An OpenAI-shaped error, with `Retry-After` when asked for.
pub(crate) fn error_response(err: &ApiError, record: &RecordHandle) -> Response {
    let mut response = plain_json(err.status, err.to_bytes(), record);
    if let Some(seconds) = err.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A whole JSON body, sent with the headers: the fast path.
pub(crate) fn plain_json(status: StatusCode, body: Bytes, record: &RecordHandle) -> Response {
    record.add_bytes(body.len());
    record.complete();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A JSON body; with a slow first byte or a cut, written frame by frame after the headers.
pub(crate) fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    behavior: &Behavior,
    record: RecordHandle,
) -> Response {
    let body = Bytes::from(body);
    if behavior.cut_after.is_none() && behavior.first_byte.is_zero() {
        return plain_json(status, body, &record);
    }
    let len = body.len();
    let pacing = Pacing {
        first_byte: behavior.first_byte,
        between: Duration::ZERO,
    };
    let body = if behavior.cut_after.is_some() {
        // Half the body, then abort: the declared Content-Length is never reached.
        let half = len / 2;
        let frames = vec![body.slice(..half), body.slice(half..)];
        paced_body(frames, Some(1), pacing, record)
    } else {
        paced_body(vec![body], None, pacing, record)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Explicit, because a frame-by-frame body has no known length of its own.
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

fn stream_response(
    status: StatusCode,
    frames: SseFrames,
    behavior: &Behavior,
    record: RecordHandle,
) -> Response {
    let cut_at = behavior.cut_after.map(|n| frames.cut_index(n));
    let pacing = Pacing {
        first_byte: behavior.first_byte,
        between: behavior.chunk_delay,
    };
    let mut response = Response::new(paced_body(frames.into_frames(), cut_at, pacing, record));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_must_be_present_and_non_empty() {
        assert!(has_api_version(Some("api-version=2024-10-21")));
        assert!(has_api_version(Some("a=b&api-version=1")));
        assert!(!has_api_version(Some("api-version=")));
        assert!(!has_api_version(None));
    }
}
