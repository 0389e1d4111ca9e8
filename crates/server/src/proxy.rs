//! The passthrough path: an OpenAI request to an OpenAI-compatible upstream.
//!
//! Phases, in order: inspect the body (the few fields routing needs), route
//! (pick a deployment), prepare (endpoint and minimal body edits), send, and
//! relay the response, streamed or whole, reading usage on the side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use switchboard_api::openai::{
    Edit, InspectedRequest, Operation, inspect_request, rewrite_request,
};
use switchboard_api::{ApiError, Dialect, ErrorKind, TokenUsage};
use switchboard_providers::StreamUsage;
use switchboard_providers::body::SegmentedBody;
use switchboard_router::{Deployment, Route};

use crate::context::{OVERHEAD, REQUEST_ID, RequestContext};
use crate::failure::Failure;
use crate::relay::{SseRelay, StreamOutcome};
use crate::runtime::Runtime;
use crate::state::AppState;

/// Header naming the deployment that served the request (LiteLLM's name).
const MODEL_ID: HeaderName = HeaderName::from_static("x-litellm-model-id");
/// Upstream error bodies are read up to this size; more is not a message.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Upstream headers relayed to the client: rate-limit state is the client's
/// business (OpenAI SDKs read it), cookies and hop-by-hop headers are not.
const RELAYED_PREFIXES: &[&str] = &["x-ratelimit-", "retry-after", "openai-processing-ms"];

/// Forwards an OpenAI-dialect request and returns the client's response.
pub async fn forward(
    state: &AppState,
    runtime: &Arc<Runtime>,
    ctx: &mut RequestContext,
    operation: Operation,
    body: Bytes,
) -> Result<Response, Failure> {
    let request = inspect_request(operation, &body)?;
    let route = resolve(runtime, &request.model)?;
    let deployment = route
        .group
        .pick()
        .ok_or_else(|| Failure::new(ErrorKind::Unavailable, "no deployment is available"))?;
    let upstream_model = deployment.upstream_model_for(route.captured);

    let endpoint = deployment
        .adapter
        .endpoint(operation, &upstream_model)
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))?;
    let inject_usage =
        request.stream && deployment.adapter.stream_usage() == StreamUsage::StreamOptions;
    let mut edits = vec![Edit::Model(&upstream_model)];
    if inject_usage {
        edits.push(Edit::IncludeUsage);
    }
    let segments = rewrite_request(&body, &request, &edits);
    let mut upstream_request = Request::post(endpoint.uri.clone())
        .body(SegmentedBody::new(segments))
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))?;
    *upstream_request.headers_mut() = endpoint.headers.clone();

    let settings = &deployment.settings;
    let timeout = settings.timeout.unwrap_or(runtime.limits.default_timeout);
    let first_byte_timeout = if request.stream {
        settings
            .stream_timeout
            .or(runtime.limits.default_stream_timeout)
            .unwrap_or(timeout)
    } else {
        timeout
    };

    let sent = Instant::now();
    let response = tokio::time::timeout(first_byte_timeout, state.client.send(upstream_request))
        .await
        .map_err(|_| timeout_failure(deployment, first_byte_timeout))?
        .map_err(|e| connect_failure(deployment, &e))?;
    ctx.upstream_wait = sent.elapsed();

    let (parts, upstream_body) = response.into_parts();
    if !parts.status.is_success() {
        let body = read_limited(upstream_body, MAX_ERROR_BODY, timeout).await;
        tracing::warn!(
            request_id = ctx.id(),
            deployment = %deployment.id,
            provider = deployment.provider(),
            status = parts.status.as_u16(),
            "upstream error"
        );
        return Err(Failure::from_upstream(
            deployment.provider(),
            parts.status.as_u16(),
            &parts.headers,
            body,
            Dialect::OpenAi,
        ));
    }

    let is_event_stream = parts
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let mut builder = Response::builder().status(StatusCode::OK);
    if let Some(headers) = builder.headers_mut() {
        copy_relayed_headers(&parts.headers, headers);
        if let Some(content_type) = parts.headers.get(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, content_type.clone());
        }
        headers.insert(REQUEST_ID, ctx.request_id.clone());
        if let Ok(id) = HeaderValue::from_str(&deployment.id) {
            headers.insert(MODEL_ID, id);
        }
    }

    if request.stream && is_event_stream {
        let relay = SseRelay::new(
            upstream_body,
            inject_usage && !request.client_wants_usage,
            timeout,
            Dialect::OpenAi,
            stream_finished(ctx.id().to_string(), Arc::clone(deployment)),
        );
        if let Some(headers) = builder.headers_mut() {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(OVERHEAD, ctx.overhead_header());
        }
        return builder
            .body(Body::new(relay))
            .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()));
    }

    let remaining = timeout.saturating_sub(sent.elapsed());
    let bytes = tokio::time::timeout(remaining, upstream_body.collect())
        .await
        .map_err(|_| timeout_failure(deployment, timeout))?
        .map_err(|e| {
            Failure::new(
                ErrorKind::BadGateway,
                format!("{} response was cut off: {e}", deployment.provider()),
            )
        })?
        .to_bytes();
    ctx.upstream_wait = sent.elapsed();
    let usage = switchboard_api::openai::response_usage(&bytes);
    log_usage(ctx.id(), deployment, &request, usage);
    if let Some(headers) = builder.headers_mut() {
        headers.insert(OVERHEAD, ctx.overhead_header());
    }
    builder
        .body(Body::from(bytes))
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))
}

/// The route phase: which model group serves the requested model.
fn resolve<'a>(runtime: &'a Runtime, model: &'a str) -> Result<Route<'a>, Failure> {
    runtime.routes.resolve(model).ok_or_else(|| {
        ApiError::new(
            ErrorKind::NotFound,
            format!(
                "The model `{model}` does not exist or you do not have access to it. \
                 List the available models with GET /v1/models."
            ),
        )
        .with_param("model")
        .with_code("model_not_found")
        .into()
    })
}

fn copy_relayed_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if RELAYED_PREFIXES
            .iter()
            .any(|prefix| name.as_str().starts_with(prefix))
        {
            to.insert(name.clone(), value.clone());
        }
    }
}

fn timeout_failure(deployment: &Deployment, after: Duration) -> Failure {
    Failure::new(
        ErrorKind::Timeout,
        format!(
            "{} did not answer within {} s",
            deployment.provider(),
            after.as_secs_f64()
        ),
    )
}

fn connect_failure(deployment: &Deployment, error: &hyper_util::client::legacy::Error) -> Failure {
    let cause = std::error::Error::source(error)
        .map(|s| s.to_string())
        .unwrap_or_else(|| error.to_string());
    let what = if error.is_connect() {
        "could not connect to"
    } else {
        "lost the connection to"
    };
    Failure::new(
        ErrorKind::BadGateway,
        format!("switchboard {what} {}: {cause}", deployment.provider()),
    )
}

/// Reads at most `limit` bytes of a body, giving up after `timeout`; an
/// upstream error body that cannot be read is reported as empty.
async fn read_limited(body: hyper::body::Incoming, limit: usize, timeout: Duration) -> Bytes {
    let limited = http_body_util::Limited::new(body, limit);
    match tokio::time::timeout(timeout, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        _ => Bytes::new(),
    }
}

fn stream_finished(
    request_id: String,
    deployment: Arc<Deployment>,
) -> Box<dyn FnOnce(StreamOutcome) + Send> {
    Box::new(move |outcome| {
        if let Some(error) = &outcome.error {
            tracing::info!(request_id, deployment = %deployment.id, error, "stream ended early");
        }
        tracing::debug!(
            request_id,
            deployment = %deployment.id,
            input_tokens = outcome.usage.map(|u| u.input_tokens),
            output_tokens = outcome.usage.map(|u| u.output_tokens),
            completed = outcome.completed,
            "stream finished"
        );
    })
}

fn log_usage(
    request_id: &str,
    deployment: &Deployment,
    request: &InspectedRequest,
    usage: Option<TokenUsage>,
) {
    tracing::debug!(
        request_id,
        deployment = %deployment.id,
        model = request.model,
        input_tokens = usage.map(|u| u.input_tokens),
        output_tokens = usage.map(|u| u.output_tokens),
        "request finished"
    );
}
