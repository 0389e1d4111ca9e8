//! Talking to an upstream: timeouts, the request itself, its error
//! responses, its body, and the first bytes of a stream.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use memchr::memmem;
use switchboard_api::codec::{self, Wire};
use switchboard_api::openai::Operation;
use switchboard_api::{ApiError, ErrorKind};
use switchboard_providers::Endpoint;
use switchboard_providers::body::SegmentedBody;
use switchboard_router::{Deployment, FailureClass};

use super::attempt::AttemptError;
use crate::failure::Failure;
use crate::runtime::Runtime;
use crate::state::AppState;

/// Header naming the deployment that served the request (LiteLLM's name).
pub(super) const MODEL_ID: HeaderName = HeaderName::from_static("x-litellm-model-id");
/// Upstream error bodies are read up to this size; more is not a message.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Upstream headers relayed to the client: rate-limit state is the client's
/// business (SDKs read it), cookies and hop-by-hop headers are not.
const RELAYED_PREFIXES: &[&str] = &[
    "x-ratelimit-",
    "retry-after",
    "openai-processing-ms",
    "anthropic-ratelimit-",
];

/// The deployment's timeouts for one attempt.
#[derive(Debug, Clone)]
pub(super) struct Timeouts {
    /// Whole request (non-stream), or the longest silence (stream).
    pub total: Duration,
    /// Until the first byte (a stream's `stream_timeout`).
    pub first_byte: Duration,
    pub started: Instant,
}

impl Timeouts {
    pub fn of(runtime: &Runtime, deployment: &Deployment, stream: bool) -> Timeouts {
        let settings = &deployment.settings;
        let total = settings.timeout.unwrap_or(runtime.limits.default_timeout);
        let first_byte = if stream {
            settings
                .stream_timeout
                .or(runtime.limits.default_stream_timeout)
                .unwrap_or(total)
        } else {
            total
        };
        Timeouts {
            total,
            first_byte,
            started: Instant::now(),
        }
    }

    /// What is left of the whole-request budget.
    pub fn remaining(&self) -> Duration {
        self.total.saturating_sub(self.started.elapsed())
    }

    /// What is left until the first byte must have arrived.
    pub fn first_byte_remaining(&self) -> Duration {
        self.first_byte.saturating_sub(self.started.elapsed())
    }
}

/// A failure before any upstream contact (the request cannot be built for
/// this deployment).
pub(super) fn before_send(failure: impl Into<Failure>) -> AttemptError {
    AttemptError {
        failure: failure.into(),
        class: FailureClass::BadRequest,
        retry_after: None,
    }
}

pub(super) fn endpoint<'a>(
    deployment: &'a Deployment,
    operation: Operation,
    upstream_model: &str,
    stream: bool,
) -> Result<std::borrow::Cow<'a, Endpoint>, AttemptError> {
    deployment
        .adapter
        .endpoint(operation, upstream_model, stream)
        .map_err(|error| {
            let kind = match error {
                switchboard_providers::ProviderError::Unsupported { .. } => {
                    ErrorKind::InvalidRequest
                }
                _ => ErrorKind::Internal,
            };
            before_send(Failure::new(kind, error.to_string()))
        })
}

/// Credentials, the request, the wait for its response headers.
pub(super) async fn send(
    state: &AppState,
    deployment: &Deployment,
    endpoint: &Endpoint,
    segments: Vec<Bytes>,
    timeouts: &Timeouts,
) -> Result<(http::response::Parts, Incoming), AttemptError> {
    let (mut parts, ()) = Request::post(endpoint.uri.clone())
        .body(())
        .map_err(|e| before_send(Failure::new(ErrorKind::Internal, e.to_string())))?
        .into_parts();
    parts.headers = endpoint.headers.clone();
    // In a traced request, the attempt's own span (telemetry::trace).
    if let Ok(traceparent) = crate::telemetry::UPSTREAM_TRACEPARENT.try_with(Clone::clone) {
        parts
            .headers
            .insert(crate::telemetry::trace::TRACEPARENT, traceparent);
    }
    if let Some(authorize) = deployment.adapter.authorize(&mut parts, &segments) {
        authorize.await.map_err(|error| AttemptError {
            failure: Failure::new(
                ErrorKind::BadGateway,
                format!("cannot authenticate to {}: {error}", deployment.provider()),
            ),
            class: FailureClass::Auth,
            retry_after: None,
        })?;
    }
    let request = Request::from_parts(parts, SegmentedBody::new(segments));
    let response = tokio::time::timeout(timeouts.first_byte, state.client.send(request))
        .await
        .map_err(|_| timed_out(deployment, timeouts.first_byte))?
        .map_err(|e| connect_failure(deployment, &e))?;
    Ok(response.into_parts())
}

/// An upstream error response, decoded by its wire format; relayed verbatim
/// when the client speaks that format (passthrough).
pub(super) async fn failure(
    deployment: &Deployment,
    wire: Wire,
    passthrough: bool,
    parts: http::response::Parts,
    body: Incoming,
    timeouts: &Timeouts,
) -> AttemptError {
    let bytes = read_limited(body, MAX_ERROR_BODY, timeouts.remaining()).await;
    let status = parts.status.as_u16();
    tracing::warn!(
        deployment = %deployment.id,
        provider = deployment.provider(),
        status,
        "upstream error"
    );
    let error = codec::wire(wire).decode_error(status, &bytes);
    let class = classify(&error);
    let retry_after = parts
        .headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64);
    let raw = passthrough
        && serde_json::from_slice::<serde_json::Value>(&bytes)
            .is_ok_and(|v| v.get("error").is_some());
    let raw = if raw {
        wire.dialect().map(|dialect| (dialect, bytes))
    } else {
        None
    };
    AttemptError {
        failure: Failure::upstream(error, &parts.headers, raw),
        class,
        retry_after,
    }
}

/// Reads a whole upstream body within what is left of the timeout.
pub(super) async fn read_body(
    deployment: &Deployment,
    body: Incoming,
    timeouts: &Timeouts,
) -> Result<Bytes, AttemptError> {
    let collected = tokio::time::timeout(timeouts.remaining(), body.collect())
        .await
        .map_err(|_| timed_out(deployment, timeouts.total))?
        .map_err(|e| AttemptError {
            failure: Failure::new(
                ErrorKind::BadGateway,
                format!("{} response was cut off: {e}", deployment.provider()),
            ),
            class: FailureClass::Connection,
            retry_after: None,
        })?;
    Ok(collected.to_bytes())
}

/// Reads at most `limit` bytes of a body, giving up after `timeout`; an
/// upstream error body that cannot be read is reported as empty.
async fn read_limited(body: Incoming, limit: usize, timeout: Duration) -> Bytes {
    let limited = http_body_util::Limited::new(body, limit);
    match tokio::time::timeout(timeout, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        _ => Bytes::new(),
    }
}

/// Waits for a stream's first bytes. Until they reach the client, a failed
/// or silent upstream can still be replaced by another deployment; an
/// upstream that answers 200 with an error event is a failure too.
pub(super) async fn first_frame(
    deployment: &Deployment,
    wire: Wire,
    body: &mut Incoming,
    timeouts: &Timeouts,
) -> Result<Option<Bytes>, AttemptError> {
    let wait = timeouts
        .first_byte_remaining()
        .max(Duration::from_millis(1));
    loop {
        let frame = tokio::time::timeout(wait, body.frame())
            .await
            .map_err(|_| timed_out(deployment, timeouts.first_byte))?;
        match frame {
            None => return Ok(None),
            Some(Err(error)) => {
                return Err(AttemptError {
                    failure: Failure::new(
                        ErrorKind::BadGateway,
                        format!(
                            "{} closed the stream before its first event: {error}",
                            deployment.provider()
                        ),
                    ),
                    class: FailureClass::Connection,
                    retry_after: None,
                });
            }
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if data.is_empty() {
                    continue;
                }
                if let Some(error) = early_error(wire, &data) {
                    let class = classify(&error);
                    return Err(AttemptError {
                        failure: error.into(),
                        class: if class.retriable() {
                            class
                        } else {
                            FailureClass::ServerError
                        },
                        retry_after: None,
                    });
                }
                return Ok(Some(data));
            }
        }
    }
}

/// An error event at the very start of a stream (`data: {"error": ...}`,
/// Anthropic's `event: error`), decoded by the wire.
fn early_error(wire: Wire, data: &[u8]) -> Option<ApiError> {
    let first_event = match memmem::find(data, b"\n\n") {
        Some(end) => &data[..end],
        None => data,
    };
    let is_error = first_event.starts_with(b"event: error")
        || memmem::find(first_event, b"data: {\"error\"").is_some()
        || memmem::find(first_event, b"data: {\"type\":\"error\"").is_some();
    if !is_error {
        return None;
    }
    let json_start = memmem::find(first_event, b"data:")? + 5;
    let json = first_event[json_start..].trim_ascii();
    Some(codec::wire(wire).decode_error(502, json))
}

/// A body that yields an already-read first frame, then the rest.
pub(super) struct Prefixed {
    pub first: Option<Bytes>,
    pub rest: Incoming,
}

impl Body for Prefixed {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Status, relayed upstream headers and the deployment's id.
pub(super) fn response_head(
    deployment: &Deployment,
    upstream: &HeaderMap,
) -> http::response::Builder {
    let mut builder = axum::response::Response::builder().status(StatusCode::OK);
    if let Some(headers) = builder.headers_mut() {
        for (name, value) in upstream {
            if RELAYED_PREFIXES
                .iter()
                .any(|prefix| name.as_str().starts_with(prefix))
            {
                headers.insert(name.clone(), value.clone());
            }
        }
        if let Some(content_type) = upstream.get(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, content_type.clone());
        }
        if let Ok(id) = HeaderValue::from_str(&deployment.id) {
            headers.insert(MODEL_ID, id);
        }
    }
    builder
}

fn timed_out(deployment: &Deployment, after: Duration) -> AttemptError {
    AttemptError {
        failure: Failure::new(
            ErrorKind::Timeout,
            format!(
                "{} did not answer within {} s",
                deployment.provider(),
                after.as_secs_f64()
            ),
        ),
        class: FailureClass::Timeout,
        retry_after: None,
    }
}

fn connect_failure(
    deployment: &Deployment,
    error: &hyper_util::client::legacy::Error,
) -> AttemptError {
    let cause = std::error::Error::source(error)
        .map(|s| s.to_string())
        .unwrap_or_else(|| error.to_string());
    let what = if error.is_connect() {
        "could not connect to"
    } else {
        "lost the connection to"
    };
    AttemptError {
        failure: Failure::new(
            ErrorKind::BadGateway,
            format!("switchboard {what} {}: {cause}", deployment.provider()),
        ),
        class: FailureClass::Connection,
        retry_after: None,
    }
}

/// The failure class of an upstream error, from its status, code and
/// message (providers put the telling words in either).
fn classify(error: &ApiError) -> FailureClass {
    match &error.code {
        Some(code) => FailureClass::of(error.status, &format!("{code} {}", error.message)),
        None => FailureClass::of(error.status, &error.message),
    }
}
