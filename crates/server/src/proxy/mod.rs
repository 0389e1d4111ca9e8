//! The proxy phases behind every front door (DESIGN.md §1):
//! inspect (the few fields routing needs) → route (pick a deployment) →
//! prepare (passthrough body or translation) → send → relay the answer,
//! reading usage on the side, and hand the outcome to accounting.
//!
//! Same dialect in and out goes through [`passthrough`]; any other pair
//! through [`translate`]. Which one is decided by comparing the front
//! door's dialect with the deployment adapter's wire format, nowhere else.

mod embeddings;
mod passthrough;
mod translate;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use switchboard_api::codec::{self, EncodeOptions, Front, Wire};
use switchboard_api::openai::{InspectedRequest, Operation, inspect_request};
use switchboard_api::{ApiError, ErrorKind, TokenUsage};
use switchboard_providers::body::SegmentedBody;
use switchboard_providers::{Endpoint, adjusted_body};
use switchboard_router::Deployment;

use crate::accounting::{Completion, Pricing};
use crate::context::{OVERHEAD, REQUEST_ID, RequestContext};
use crate::failure::Failure;
use crate::relay::{OnFinish, StreamOutcome, StreamRelay, StreamTransform};
use crate::runtime::Runtime;
use crate::state::AppState;

/// Header naming the deployment that served the request (LiteLLM's name).
const MODEL_ID: HeaderName = HeaderName::from_static("x-litellm-model-id");
/// The request's cost in USD (LiteLLM's name), on complete responses.
const RESPONSE_COST: HeaderName = HeaderName::from_static("x-litellm-response-cost");
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
/// `max_tokens` for wires that require one (Anthropic) when neither the
/// client nor the deployment's `model_info` gives one (LiteLLM's default).
const DEFAULT_MAX_TOKENS: u64 = 4096;

/// A request as a front door received it.
#[derive(Debug)]
pub struct FrontRequest {
    pub front: Front,
    pub operation: Operation,
    pub body: Bytes,
    /// The model named by the URL (Gemini's `models/{model}:action`).
    pub path_model: Option<String>,
    /// The URL asked for a stream (Gemini's `:streamGenerateContent`).
    pub path_stream: bool,
}

/// What the inspect phase learned.
struct Probe {
    model: String,
    stream: bool,
    /// Byte positions for the passthrough splice (body-model dialects).
    inspected: Option<InspectedRequest>,
}

/// The deployment chosen for a request.
struct Routed {
    deployment: Arc<Deployment>,
    upstream_model: String,
}

/// Forwards a front door's request and returns the client's response.
pub async fn forward(
    state: &AppState,
    runtime: &Arc<Runtime>,
    ctx: &mut RequestContext,
    request: FrontRequest,
) -> Result<Response, Failure> {
    let probe = inspect(&request)?;
    ctx.record().model = probe.model.clone();
    ctx.record().stream = probe.stream;
    let customer = probe.inspected.as_ref().and_then(|i| i.user.clone());
    ctx.record().end_user = customer.clone();
    // A key's `aliases` rename models before routing.
    let caller = ctx.principal.as_ref().and_then(|p| p.caller()).cloned();
    let model = caller
        .as_ref()
        .and_then(|c| c.alias(&probe.model))
        .unwrap_or_else(|| probe.model.clone());
    let routed = route(runtime, &model, ctx)?;
    admit(
        state,
        runtime,
        ctx,
        &request,
        &probe,
        &routed,
        caller.as_ref(),
        &model,
        customer,
    )?;
    let wire = routed.deployment.adapter.wire();
    if wire == request.front.native_wire() {
        forward_passthrough(state, runtime, ctx, &request, probe, &routed).await
    } else {
        forward_translated(state, runtime, ctx, &request, probe.stream, &routed, wire).await
    }
}

/// The inspect phase: model and stream, from the body or the URL.
fn inspect(request: &FrontRequest) -> Result<Probe, Failure> {
    match &request.path_model {
        Some(model) => {
            let first = request.body.iter().find(|b| !b.is_ascii_whitespace());
            if first != Some(&b'{') {
                let error = ApiError::new(
                    ErrorKind::InvalidRequest,
                    "The request body must be a JSON object.",
                );
                return Err(error.into());
            }
            Ok(Probe {
                model: model.clone(),
                stream: request.path_stream,
                inspected: None,
            })
        }
        None => {
            let inspected = inspect_request(request.operation, &request.body)?;
            Ok(Probe {
                model: inspected.model.clone(),
                stream: inspected.stream,
                inspected: Some(inspected),
            })
        }
    }
}

/// The admission phase: every principal on the path must allow the model
/// and have budget and rate left; the request's estimated cost is reserved.
#[allow(clippy::too_many_arguments)]
fn admit(
    state: &AppState,
    runtime: &Arc<Runtime>,
    ctx: &mut RequestContext,
    request: &FrontRequest,
    probe: &Probe,
    routed: &Routed,
    caller: Option<&switchboard_governance::Caller>,
    model: &str,
    customer: Option<String>,
) -> Result<(), Failure> {
    let max_tokens = probe.inspected.as_ref().and_then(|i| i.max_tokens);
    let estimate = runtime.prices.estimate(
        &routed.deployment,
        &routed.upstream_model,
        request.body.len(),
        max_tokens,
    );
    let admission = state
        .registry
        .admit(
            caller,
            model,
            customer.as_deref(),
            estimate,
            switchboard_governance::time::now_ms(),
        )
        .map_err(Failure::from_denial)?;
    ctx.ledger.admission = Some(admission);
    ctx.ledger.pricing = Some(Pricing {
        runtime: Arc::clone(runtime),
        deployment: Arc::clone(&routed.deployment),
        upstream_model: routed.upstream_model.clone(),
    });
    Ok(())
}

/// The route phase: which model group serves the model, and which of its
/// deployments takes this request.
fn route(runtime: &Runtime, model: &str, ctx: &mut RequestContext) -> Result<Routed, Failure> {
    let route = runtime.routes.resolve(model).ok_or_else(|| {
        Failure::from(
            ApiError::new(
                ErrorKind::NotFound,
                format!(
                    "The model `{model}` does not exist or you do not have access to it. \
                     List the available models with GET /v1/models."
                ),
            )
            .with_param("model")
            .with_code("model_not_found"),
        )
    })?;
    let deployment = route
        .group
        .pick()
        .ok_or_else(|| Failure::new(ErrorKind::Unavailable, "no deployment is available"))?;
    let upstream_model = deployment.upstream_model_for(route.captured).into_owned();
    ctx.record().model_group = Some(route.group.name.clone());
    ctx.record().deployment_id = Some(deployment.id.clone());
    ctx.record().provider = Some(deployment.provider().to_string());
    ctx.record().upstream_model = Some(upstream_model.clone());
    ctx.record().attempts = 1;
    Ok(Routed {
        deployment: Arc::clone(deployment),
        upstream_model,
    })
}

async fn forward_passthrough(
    state: &AppState,
    runtime: &Runtime,
    ctx: &mut RequestContext,
    request: &FrontRequest,
    probe: Probe,
    routed: &Routed,
) -> Result<Response, Failure> {
    let deployment = &routed.deployment;
    let (segments, strip_usage) = passthrough::upstream_body(
        request.front,
        &request.body,
        probe.inspected.as_ref(),
        &routed.upstream_model,
        deployment.adapter.stream_usage(),
    );
    let segments = adjusted_body(deployment.adapter.as_ref(), segments);
    let mut timeouts = Timeouts::of(runtime, deployment, probe.stream);
    let endpoint = endpoint(
        deployment,
        request.operation,
        &routed.upstream_model,
        probe.stream,
    )?;
    let wire = request.front.native_wire();
    let (parts, body) = send(state, ctx, deployment, &endpoint, segments, &mut timeouts).await?;
    if !parts.status.is_success() {
        return Err(upstream_failure(deployment, wire, true, parts, body, &timeouts).await);
    }
    let mut builder = response_head(ctx, deployment, &parts.headers);
    if probe.stream {
        let transform = passthrough::Passthrough::new(request.front, strip_usage);
        return stream_response(ctx, builder, body, transform, timeouts.total);
    }
    let bytes = read_body(ctx, deployment, body, &timeouts).await?;
    let usage = codec::wire(wire).response_usage(&bytes);
    if let Some(headers) = builder.headers_mut() {
        headers.insert(OVERHEAD, ctx.overhead_header());
    }
    finish_whole(ctx, &mut builder, usage);
    builder
        .body(Body::from(bytes))
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))
}

#[allow(clippy::too_many_arguments)]
async fn forward_translated(
    state: &AppState,
    runtime: &Runtime,
    ctx: &mut RequestContext,
    request: &FrontRequest,
    stream: bool,
    routed: &Routed,
    wire: Wire,
) -> Result<Response, Failure> {
    let deployment = &routed.deployment;
    if request.operation == Operation::Embeddings
        && let Some(embeddings) = codec::wire(wire).embeddings()
    {
        return embeddings::forward(state, runtime, ctx, request, routed, wire, embeddings).await;
    }
    if request.operation != Operation::ChatCompletions {
        let error = ApiError::new(
            ErrorKind::InvalidRequest,
            format!(
                "provider `{}` does not support {} through this endpoint",
                deployment.provider(),
                request.operation.name()
            ),
        );
        return Err(error.into());
    }
    let front = codec::front(request.front);
    let wire_codec = codec::wire(wire);
    let decoded = front.decode(&request.body, request.path_model.as_deref(), stream)?;
    let chat = decoded.value;
    let wants_usage = chat
        .stream_options
        .as_ref()
        .and_then(|o| o.include_usage)
        .unwrap_or(false);
    let options = EncodeOptions {
        model: &routed.upstream_model,
        stream,
        default_max_tokens: deployment
            .settings
            .max_output_tokens
            .unwrap_or(DEFAULT_MAX_TOKENS),
        stream_usage_option: deployment.adapter.stream_usage()
            == switchboard_providers::StreamUsage::StreamOptions,
    };
    let encoded = wire_codec.encode_request(&chat, &options)?;
    let mut dropped = decoded.dropped;
    dropped.extend(encoded.dropped);
    if !dropped.is_empty() && !runtime.drop_params {
        dropped.sort();
        dropped.dedup();
        let error = ApiError::new(
            ErrorKind::InvalidRequest,
            format!(
                "provider `{}` does not support these parameters: {}. Remove them, or set \
                 `litellm_settings.drop_params: true` to drop unsupported parameters.",
                deployment.provider(),
                dropped.join(", ")
            ),
        )
        .with_param(dropped[0].clone());
        return Err(error.into());
    }

    let mut timeouts = Timeouts::of(runtime, deployment, stream);
    let endpoint = endpoint(
        deployment,
        request.operation,
        &routed.upstream_model,
        stream,
    )?;
    let segments = adjusted_body(
        deployment.adapter.as_ref(),
        vec![Bytes::from(encoded.value)],
    );
    let (parts, body) = send(state, ctx, deployment, &endpoint, segments, &mut timeouts).await?;
    if !parts.status.is_success() {
        return Err(upstream_failure(deployment, wire, false, parts, body, &timeouts).await);
    }
    let mut builder = response_head(ctx, deployment, &parts.headers);
    let created = unix_seconds();
    if stream {
        if let Some(headers) = builder.headers_mut() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        }
        let transform = translate::Translate::new(
            wire_codec.framing(),
            wire_codec.stream_decoder(&routed.upstream_model, created),
            front.stream_encoder(wants_usage),
        );
        return stream_response(ctx, builder, body, transform, timeouts.total);
    }
    let bytes = read_body(ctx, deployment, body, &timeouts).await?;
    let response = wire_codec.decode_response(&bytes, &routed.upstream_model, created)?;
    let usage = response.usage.map(TokenUsage::from);
    let encoded = front.encode_response(&response)?;
    if let Some(headers) = builder.headers_mut() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(OVERHEAD, ctx.overhead_header());
    }
    finish_whole(ctx, &mut builder, usage);
    builder
        .body(Body::from(encoded))
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))
}

/// The deployment's timeouts for this request.
struct Timeouts {
    /// Whole request (non-stream), or the longest silence (stream).
    total: Duration,
    /// Until the response headers (a stream's `stream_timeout`).
    first_byte: Duration,
    sent: Option<Instant>,
}

impl Timeouts {
    fn of(runtime: &Runtime, deployment: &Deployment, stream: bool) -> Timeouts {
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
            sent: None,
        }
    }

    fn since_send(&self) -> Duration {
        self.sent.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// What is left of the whole-request budget.
    fn remaining(&self) -> Duration {
        self.total.saturating_sub(self.since_send())
    }
}

fn endpoint<'a>(
    deployment: &'a Deployment,
    operation: Operation,
    upstream_model: &str,
    stream: bool,
) -> Result<std::borrow::Cow<'a, Endpoint>, Failure> {
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
            Failure::new(kind, error.to_string())
        })
}

/// The send phase: credentials, the request, the wait for its headers.
async fn send(
    state: &AppState,
    ctx: &mut RequestContext,
    deployment: &Deployment,
    endpoint: &Endpoint,
    segments: Vec<Bytes>,
    timeouts: &mut Timeouts,
) -> Result<(http::response::Parts, Incoming), Failure> {
    let (mut parts, ()) = Request::post(endpoint.uri.clone())
        .body(())
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))?
        .into_parts();
    parts.headers = endpoint.headers.clone();
    if let Some(authorize) = deployment.adapter.authorize(&mut parts, &segments) {
        authorize.await.map_err(|error| {
            Failure::new(
                ErrorKind::BadGateway,
                format!("cannot authenticate to {}: {error}", deployment.provider()),
            )
        })?;
    }
    let request = Request::from_parts(parts, SegmentedBody::new(segments));
    let sent = Instant::now();
    let response = tokio::time::timeout(timeouts.first_byte, state.client.send(request))
        .await
        .map_err(|_| timeout_failure(deployment, timeouts.first_byte))?
        .map_err(|e| connect_failure(deployment, &e))?;
    ctx.upstream_wait += sent.elapsed();
    timeouts.sent = Some(sent);
    Ok(response.into_parts())
}

/// An upstream error response, decoded by its wire format; relayed verbatim
/// when the client speaks that format (passthrough).
async fn upstream_failure(
    deployment: &Deployment,
    wire: Wire,
    passthrough: bool,
    parts: http::response::Parts,
    body: Incoming,
    timeouts: &Timeouts,
) -> Failure {
    let bytes = read_limited(body, MAX_ERROR_BODY, timeouts.remaining()).await;
    let status = parts.status.as_u16();
    tracing::warn!(
        deployment = %deployment.id,
        provider = deployment.provider(),
        status,
        "upstream error"
    );
    let error = codec::wire(wire).decode_error(status, &bytes);
    let raw = passthrough
        && serde_json::from_slice::<serde_json::Value>(&bytes)
            .is_ok_and(|v| v.get("error").is_some());
    let raw = if raw {
        wire.dialect().map(|dialect| (dialect, bytes))
    } else {
        None
    };
    Failure::upstream(error, &parts.headers, raw)
}

/// Status, relayed upstream headers, request id and deployment id.
fn response_head(
    ctx: &RequestContext,
    deployment: &Deployment,
    upstream: &HeaderMap,
) -> http::response::Builder {
    let mut builder = Response::builder().status(StatusCode::OK);
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
        headers.insert(REQUEST_ID, ctx.request_id.clone());
        if let Ok(id) = HeaderValue::from_str(&deployment.id) {
            headers.insert(MODEL_ID, id);
        }
    }
    builder
}

/// A streamed response: the relay body, with accounting when it ends.
fn stream_response<T: StreamTransform + 'static>(
    ctx: &mut RequestContext,
    mut builder: http::response::Builder,
    upstream: Incoming,
    transform: T,
    idle_timeout: Duration,
) -> Result<Response, Failure> {
    if let Some(headers) = builder.headers_mut() {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(OVERHEAD, ctx.overhead_header());
    }
    let relay = StreamRelay::new(upstream, transform, idle_timeout, stream_finished(ctx));
    builder
        .body(Body::new(relay))
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))
}

/// The accounting of a stream, run when the relay ends (or is dropped).
fn stream_finished(ctx: &mut RequestContext) -> OnFinish {
    let ledger = ctx.take_ledger();
    let started = ctx.started;
    let overhead = ctx.overhead();
    Box::new(move |outcome: StreamOutcome| {
        if let Some(error) = &outcome.error {
            tracing::info!(
                request_id = ledger.record.request_id,
                error,
                "stream ended early"
            );
        }
        ledger.close(
            started,
            overhead,
            Completion {
                status: outcome.status,
                usage: outcome.usage,
                error: outcome.error,
                first_byte_at: outcome.first_byte_at,
            },
        );
    })
}

/// The accounting of a complete (non-stream) response; the cost goes in
/// LiteLLM's `x-litellm-response-cost` header.
fn finish_whole(
    ctx: &mut RequestContext,
    builder: &mut http::response::Builder,
    usage: Option<TokenUsage>,
) {
    let overhead = ctx.overhead();
    let cost = ctx.take_ledger().close(
        ctx.started,
        overhead,
        Completion {
            status: 200,
            usage,
            ..Completion::default()
        },
    );
    if let (Some(cost), Some(headers)) = (cost, builder.headers_mut())
        && let Ok(value) = HeaderValue::from_str(&cost.to_string())
    {
        headers.insert(RESPONSE_COST, value);
    }
}

/// Reads a whole upstream body within what is left of the timeout; the
/// time counts as upstream time, not gateway overhead.
async fn read_body(
    ctx: &mut RequestContext,
    deployment: &Deployment,
    body: Incoming,
    timeouts: &Timeouts,
) -> Result<Bytes, Failure> {
    let started = Instant::now();
    let collected = tokio::time::timeout(timeouts.remaining(), body.collect())
        .await
        .map_err(|_| timeout_failure(deployment, timeouts.total))?
        .map_err(|e| {
            Failure::new(
                ErrorKind::BadGateway,
                format!("{} response was cut off: {e}", deployment.provider()),
            )
        })?;
    ctx.upstream_wait += started.elapsed();
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

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
