//! Front doors: the API dialects clients speak. Each door names its dialect
//! and operation; [`handle`] runs the phases every door shares.

pub mod anthropic;
pub mod gemini;
pub mod json_array;
pub mod openai;
pub mod rerank;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use switchboard_api::codec::Front;
use switchboard_api::openai::Operation;
use switchboard_api::{ApiError, Dialect, ErrorKind};
use tracing::Instrument;

use crate::accounting::Completion;
use crate::auth::{Principal, authenticate};
use crate::context::{OVERHEAD, REQUEST_ID, RequestContext};
use crate::failure::Failure;
use crate::proxy::{self, FrontRequest};
use crate::state::AppState;

/// What a front door received, beyond the body.
pub struct Door {
    pub front: Front,
    pub operation: Operation,
    /// The model named by the URL (Gemini).
    pub path_model: Option<String>,
    /// The URL asked for a stream (Gemini).
    pub path_stream: bool,
    /// A key given in the URL (Gemini's `?key=`).
    pub query_key: Option<String>,
}

/// Auth, body, proxy, and the failure path's accounting, for every door.
pub async fn handle(state: Arc<AppState>, request: Request, door: Door) -> Response {
    let call_type = match door.front {
        Front::OpenAiChat => door.operation.name(),
        Front::AnthropicMessages => "anthropic_messages",
        Front::GeminiGenerate => "gemini_generate_content",
        Front::OpenAiResponses => "responses",
    };
    let mut ctx = RequestContext::start(request.headers(), request.uri().path(), call_type);
    // Every log line of the request carries its id.
    let span = tracing::info_span!("request", request_id = %ctx.id());
    let runtime = state.runtime();
    let result = async {
        admit_caller(
            &state,
            &runtime,
            &mut ctx,
            request.headers(),
            door.query_key.as_deref(),
        )?;
        let (parts, body) = request.into_parts();
        let body = read_body(&parts.headers, body, runtime.limits.max_body_bytes).await?;
        ctx.ledger.keep_request_body(runtime.log_bodies, &body);
        ctx.ledger.marks.body_read = Some(ctx.started.elapsed());
        let front_request = FrontRequest {
            front: door.front,
            operation: door.operation,
            body,
            path_model: door.path_model,
            path_stream: door.path_stream,
        };
        proxy::forward(&state, &runtime, &mut ctx, front_request).await
    }
    .instrument(span.clone())
    .await;
    match result {
        Ok(response) => response,
        Err(failure) => span.in_scope(|| fail(&state, &mut ctx, failure, door.front.dialect())),
    }
}

/// Authenticates a front door's caller and notes who it is on the request.
pub fn admit_caller(
    state: &AppState,
    runtime: &crate::runtime::Runtime,
    ctx: &mut RequestContext,
    headers: &HeaderMap,
    query_key: Option<&str>,
) -> Result<(), Failure> {
    let principal = authenticate(runtime, &state.registry, headers, query_key)?;
    identify(ctx, &principal);
    ctx.record().tags = tags(&principal, headers);
    ctx.principal = Some(principal);
    ctx.ledger.writer = state.logs.clone();
    ctx.ledger.metrics = Some(Arc::clone(&state.metrics));
    ctx.ledger.callbacks = state.callbacks.clone();
    if state.telemetry.is_enabled() || headers.contains_key(crate::telemetry::trace::TRACEPARENT) {
        ctx.ledger.trace = Some(crate::telemetry::TraceContext::from_headers(headers));
        ctx.ledger.telemetry = state.telemetry.clone();
    }
    ctx.ledger.marks.authenticated = Some(ctx.started.elapsed());
    Ok(())
}

/// The failure path of a door: an authenticated request is still logged,
/// then the error goes out in the door's dialect.
pub fn fail(
    state: &AppState,
    ctx: &mut RequestContext,
    failure: Failure,
    dialect: Dialect,
) -> Response {
    if ctx.principal.is_none() {
        state.metrics.rejected(failure.error.status);
    } else {
        let completion = Completion {
            status: failure.error.status,
            error: Some(failure.error.message.clone()),
            ..Completion::default()
        };
        let overhead = ctx.overhead();
        ctx.take_ledger().close(ctx.started, overhead, completion);
    }
    error_response(failure, ctx, dialect)
}

/// The request's tags, for spend by tag: the key's and its team's, and the
/// ones the client sent in LiteLLM's `x-litellm-tags` header.
fn tags(principal: &Principal, headers: &HeaderMap) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    if let Some(caller) = principal.caller() {
        tags.extend(caller.key.doc().tags.iter().cloned());
        if let Some(team) = &caller.team {
            let team = team.doc();
            if let Some(serde_json::Value::Array(team_tags)) = team.metadata.get("tags") {
                tags.extend(
                    team_tags
                        .iter()
                        .filter_map(|t| t.as_str().map(str::to_string)),
                );
            }
        }
    }
    if let Some(header) = headers.get("x-litellm-tags").and_then(|v| v.to_str().ok()) {
        tags.extend(
            header
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        );
    }
    tags.sort();
    tags.dedup();
    tags
}

/// Puts who is calling on the request's log record.
fn identify(ctx: &mut RequestContext, principal: &Principal) {
    let Some(caller) = principal.caller() else {
        return;
    };
    let key = caller.key.doc();
    let record = ctx.record();
    record.key_hash = Some(key.token.clone());
    record.key_alias = key.key_alias.clone();
    record.user_id = key.user_id.clone();
    record.team_id = key.team_id.clone();
    record.organization_id = caller
        .organization
        .as_ref()
        .map(|o| o.doc().organization_id.clone());
}

/// An error in `dialect`'s shape with the request's id and overhead headers.
pub fn error_response(failure: Failure, ctx: &RequestContext, dialect: Dialect) -> Response {
    let mut response = failure.into_response(dialect);
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID, ctx.request_id.clone());
    headers.insert(OVERHEAD, ctx.overhead_header());
    response
}

/// Reads a request body of at most `limit` bytes (413 beyond).
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorKind::RequestTooLarge,
            format!(
                "The request body is larger than the limit of {limit} bytes (general_settings.max_request_size_mb)."
            ),
        )
        .with_code("request_too_large")
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(error) => Err(ApiError::new(
            ErrorKind::InvalidRequest,
            format!("could not read the request body: {error}"),
        )),
    }
}
