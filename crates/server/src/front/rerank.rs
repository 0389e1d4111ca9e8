//! LiteLLM's rerank door: `POST /rerank`, `/v1/rerank`, `/v2/rerank`, with
//! Cohere's body (`model`, `query`, `documents`, `top_n`, ...). The model
//! routes like any other; a Cohere deployment answers through its
//! `/v2/rerank`, other providers are refused. Errors use OpenAI's shape, as
//! LiteLLM's do.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use http_body_util::BodyExt;
use switchboard_api::codec::{self, Wire};
use switchboard_api::cohere::{
    CohereRerankResponse, Meta, RerankRequest, rerank_request_to_cohere,
    rerank_response_from_cohere,
};
use switchboard_api::{ApiError, Dialect, ErrorKind, TokenUsage};
use switchboard_governance::time;
use switchboard_providers::body::SegmentedBody;
use switchboard_providers::{Endpoint, ProviderError, rerank_endpoint};
use switchboard_router::Deployment;

use crate::accounting::{Completion, Pricing};
use crate::context::{OVERHEAD, REQUEST_ID, RequestContext};
use crate::failure::Failure;
use crate::front::read_body;
use crate::runtime::Runtime;
use crate::state::AppState;

/// LiteLLM's name for the deployment that served (as the proxy sends it).
const MODEL_ID: &str = "x-litellm-model-id";
/// Upstream error bodies are read up to this size.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn rerank(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let mut ctx = RequestContext::start(request.headers(), request.uri().path(), "rerank");
    let runtime = state.runtime();
    let result = async {
        crate::front::admit_caller(&state, &runtime, &mut ctx, request.headers(), None)?;
        let (parts, body) = request.into_parts();
        let body = read_body(&parts.headers, body, runtime.limits.max_body_bytes).await?;
        ctx.ledger.keep_request_body(runtime.log_bodies, &body);
        forward(&state, &runtime, &mut ctx, &body).await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(failure) => crate::front::fail(&state, &mut ctx, failure, Dialect::OpenAi),
    }
}

/// Route, admit, translate, send, translate back.
async fn forward(
    state: &AppState,
    runtime: &Arc<Runtime>,
    ctx: &mut RequestContext,
    body: &[u8],
) -> Result<Response, Failure> {
    let request: RerankRequest = serde_json::from_slice(body).map_err(|error| {
        ApiError::new(
            ErrorKind::InvalidRequest,
            format!("The request body is not a valid rerank request: {error}"),
        )
    })?;
    ctx.record().model = request.model.clone();
    // A key's `aliases` rename models before routing, as on the other doors.
    let caller = ctx.principal.as_ref().and_then(|p| p.caller()).cloned();
    let model = caller
        .as_ref()
        .and_then(|c| c.alias(&request.model))
        .unwrap_or_else(|| request.model.clone());
    let (deployment, upstream_model) = route(runtime, &model, ctx)?;
    // Model access, budgets and rate limits apply to rerank as to chat.
    let estimate = runtime
        .prices
        .estimate(&deployment, &upstream_model, body.len(), None);
    let admission = state
        .registry
        .admit(caller.as_ref(), &model, None, estimate, time::now_ms())
        .map_err(Failure::from_denial)?;
    ctx.ledger.admission = Some(admission);
    ctx.ledger.pricing = Some(Pricing {
        runtime: Arc::clone(runtime),
        deployment: Arc::clone(&deployment),
        upstream_model: upstream_model.clone(),
    });
    let endpoint = rerank_endpoint(deployment.adapter.as_ref()).map_err(|error| match error {
        ProviderError::Unsupported { .. } => {
            Failure::new(ErrorKind::InvalidRequest, error.to_string())
        }
        other => Failure::new(ErrorKind::Internal, other.to_string()),
    })?;
    let upstream_body = translate(runtime, &deployment, &request, &upstream_model)?;
    let timeout = deployment
        .settings
        .timeout
        .unwrap_or(runtime.limits.default_timeout);
    let (status, headers, answer) =
        send(state, ctx, &deployment, &endpoint, upstream_body, timeout).await?;
    if !status.is_success() {
        let error = codec::wire(Wire::Cohere).decode_error(status.as_u16(), &answer);
        return Err(Failure::upstream(error, &headers, None));
    }
    respond(ctx, &deployment, &request, &answer)
}

/// The upstream body; parameters Cohere's v2 rerank lacks are refused
/// unless `drop_params` is set (LiteLLM's semantics).
fn translate(
    runtime: &Runtime,
    deployment: &Deployment,
    request: &RerankRequest,
    upstream_model: &str,
) -> Result<Vec<u8>, Failure> {
    let translated = rerank_request_to_cohere(request, upstream_model)?;
    if let Some(first) = translated.dropped.first()
        && !runtime.drop_params
    {
        let error = ApiError::new(
            ErrorKind::InvalidRequest,
            format!(
                "provider `{}` does not support these rerank parameters: {}. Remove them, or set \
                 `litellm_settings.drop_params: true` to drop unsupported parameters.",
                deployment.provider(),
                translated.dropped.join(", ")
            ),
        )
        .with_param(first.clone());
        return Err(error.into());
    }
    serde_json::to_vec(&translated.request)
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))
}

/// The client's response from Cohere's answer, accounted for.
fn respond(
    ctx: &mut RequestContext,
    deployment: &Deployment,
    request: &RerankRequest,
    answer: &[u8],
) -> Result<Response, Failure> {
    let response: CohereRerankResponse = serde_json::from_slice(answer).map_err(|error| {
        Failure::new(
            ErrorKind::BadGateway,
            format!("the upstream's rerank response could not be read: {error}"),
        )
    })?;
    let usage = response.meta().as_ref().and_then(Meta::usage);
    let body = rerank_response_from_cohere(&response, request, ctx.id())?;
    let body: Bytes = serde_json::to_vec(&body)
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))?
        .into();
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header(REQUEST_ID, ctx.request_id.clone())
        .header(OVERHEAD, ctx.overhead_header());
    if let Ok(id) = HeaderValue::from_str(&deployment.id) {
        builder = builder.header(MODEL_ID, id);
    }
    let logged = ctx.ledger.wants_bodies().then(|| body.clone());
    finish(ctx, usage, logged);
    builder
        .body(Body::from(body))
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))
}

/// The model group and the deployment that takes this request.
fn route(
    runtime: &Runtime,
    model: &str,
    ctx: &mut RequestContext,
) -> Result<(Arc<Deployment>, String), Failure> {
    let route = runtime.routes.resolve(model).ok_or_else(|| {
        Failure::from(
            ApiError::new(
                ErrorKind::NotFound,
                format!("The model `{model}` does not exist or you do not have access to it."),
            )
            .with_param("model")
            .with_code("model_not_found"),
        )
    })?;
    let selected = route
        .group
        .select(
            runtime.strategy,
            &[],
            switchboard_governance::time::now_ms(),
        )
        .map_err(|_| Failure::new(ErrorKind::Unavailable, "no deployment is available"))?;
    let deployment = &selected.deployment;
    let upstream_model = deployment.upstream_model_for(&route.captured).into_owned();
    let record = ctx.record();
    record.model_group = Some(route.group.name.clone());
    record.deployment_id = Some(deployment.id.clone());
    record.provider = Some(deployment.provider().to_string());
    record.upstream_model = Some(upstream_model.clone());
    record.attempts = 1;
    Ok((Arc::clone(deployment), upstream_model))
}

/// Sends the request and reads the whole answer (an error body up to
/// [`MAX_ERROR_BODY`]) within `timeout`; the wait counts as upstream time.
async fn send(
    state: &AppState,
    ctx: &mut RequestContext,
    deployment: &Deployment,
    endpoint: &Endpoint,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<(StatusCode, http::HeaderMap, Bytes), Failure> {
    let too_slow = || {
        Failure::new(
            ErrorKind::Timeout,
            format!(
                "{} did not answer within {} s",
                deployment.provider(),
                timeout.as_secs_f64()
            ),
        )
    };
    let unreachable = |error: &dyn std::fmt::Display| {
        Failure::new(
            ErrorKind::BadGateway,
            format!(
                "switchboard could not reach {}: {error}",
                deployment.provider()
            ),
        )
    };
    let (mut parts, ()) = http::Request::post(endpoint.uri.clone())
        .body(())
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))?
        .into_parts();
    parts.headers = endpoint.headers.clone();
    let segments = vec![Bytes::from(body)];
    if let Some(authorize) = deployment.adapter.authorize(&mut parts, &segments) {
        authorize.await.map_err(|error| unreachable(&error))?;
    }
    let request = http::Request::from_parts(parts, SegmentedBody::new(segments));
    let started = Instant::now();
    let result = tokio::time::timeout(timeout, async {
        let response = state
            .client
            .send(request)
            .await
            .map_err(|error| unreachable(&error))?;
        let (parts, body) = response.into_parts();
        let limit = if parts.status.is_success() {
            usize::MAX
        } else {
            MAX_ERROR_BODY
        };
        let bytes = http_body_util::Limited::new(body, limit)
            .collect()
            .await
            .map_err(|error| unreachable(&error))?
            .to_bytes();
        Ok((parts.status, parts.headers, bytes))
    })
    .await;
    ctx.upstream_wait += started.elapsed();
    result.map_err(|_| too_slow())?
}

fn finish(ctx: &mut RequestContext, usage: Option<TokenUsage>, response_body: Option<Bytes>) {
    let overhead = ctx.overhead();
    ctx.take_ledger().close(
        ctx.started,
        overhead,
        Completion {
            status: 200,
            usage,
            response_body,
            ..Completion::default()
        },
    );
}
