//! The proxy phases behind every front door (DESIGN.md §1):
//! inspect (the few fields routing needs) → route (model group) → admission
//! (governance) → attempts (select a deployment, prepare, send, confirm the
//! first bytes) with retries within the group and fallbacks to other groups
//! → answer, with accounting when the answer ends.
//!
//! [`attempt`] sends one request to one deployment: untranslated through
//! [`passthrough`] when the deployment speaks the front door's dialect,
//! else through [`translate`] (or [`embeddings`]). [`group`] turns attempts
//! into a group's answer: retries, cooldowns, hedging. This module adds the
//! fallbacks across groups and the bookkeeping of the winner.

mod attempt;
mod embeddings;
mod gateway_params;
mod group;
pub mod health_check;
mod passthrough;
mod translate;
mod upstream;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::CACHE_CONTROL;
use http::{HeaderName, HeaderValue};
use switchboard_api::codec::Front;
use switchboard_api::openai::{InspectedRequest, Operation, inspect_request};
use switchboard_api::{ApiError, ErrorKind, TokenUsage};
use switchboard_governance::time::now_ms;
use switchboard_router::Route;

use self::attempt::AnswerBody;
use self::group::{Journal, Won};
use crate::accounting::{Completion, LOGGED_BODY_BYTES, Ledger, Pricing};
use crate::context::{OVERHEAD, REQUEST_ID, RequestContext};
use crate::failure::Failure;
use crate::relay::{OnFinish, StreamOutcome};
use crate::runtime::Runtime;
use crate::state::AppState;

/// The request's cost in USD (LiteLLM's name), on complete responses.
const RESPONSE_COST: HeaderName = HeaderName::from_static("x-litellm-response-cost");
/// Retries made within the group that answered (LiteLLM's name).
const ATTEMPTED_RETRIES: HeaderName = HeaderName::from_static("x-litellm-attempted-retries");
/// Fallback groups tried (LiteLLM's name).
const ATTEMPTED_FALLBACKS: HeaderName = HeaderName::from_static("x-litellm-attempted-fallbacks");
/// The model group that answered (LiteLLM's name).
const MODEL_GROUP: HeaderName = HeaderName::from_static("x-litellm-model-group");

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
pub(crate) struct Probe {
    model: String,
    stream: bool,
    /// Byte positions for the passthrough splice (body-model dialects).
    inspected: Option<InspectedRequest>,
    /// Fallback model groups the client named (body `fallbacks`).
    fallbacks: Vec<String>,
    /// Retries within a group the client asked for (body `num_retries`).
    num_retries: Option<u32>,
}

/// Forwards a front door's request and returns the client's response.
pub async fn forward(
    state: &AppState,
    runtime: &Arc<Runtime>,
    ctx: &mut RequestContext,
    mut request: FrontRequest,
) -> Result<Response, Failure> {
    let (params, body) = gateway_params::take(&request.body)?;
    if let Some(body) = body {
        request.body = body;
    }
    let mut probe = inspect(&request)?;
    probe.fallbacks = params.fallbacks;
    probe.num_retries = params.num_retries;
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
    let route = resolve(runtime, &model)?;
    admit(
        state,
        runtime,
        ctx,
        &request,
        &probe,
        &route,
        caller.as_ref(),
        &model,
        customer,
    )?;
    ctx.ledger.marks.routed = Some(ctx.started.elapsed());

    let mut journal = Journal {
        attempts: Vec::new(),
        waited: Duration::ZERO,
        origin: ctx.started,
        trace: ctx.ledger.trace,
    };
    let mut groups_tried = vec![route.group.name.clone()];
    let mut route = route;
    let result = loop {
        match group::serve(state, runtime, &request, &probe, &route, &mut journal).await {
            Ok(won) => break Ok(won),
            Err(error) => {
                let next = fallback_groups(runtime, &probe, &route, error.class)
                    .into_iter()
                    .filter(|name| !groups_tried.contains(name))
                    // Fallbacks the client named must be models it may use.
                    .filter(|name| {
                        probe.fallbacks.is_empty()
                            || caller
                                .as_ref()
                                .is_none_or(|c| state.registry.check_models(c, name).is_ok())
                    })
                    .find_map(|name| runtime.routes.resolve(&name))
                    .filter(|_| groups_tried.len() <= runtime.policy.max_fallbacks);
                match next {
                    Some(fallback) => {
                        state
                            .metrics
                            .fallback(&route.group.name, &fallback.group.name);
                        tracing::info!(
                            request_id = ctx.id(),
                            from = route.group.name,
                            to = fallback.group.name,
                            class = ?error.class,
                            "falling back to another model group"
                        );
                        groups_tried.push(fallback.group.name.clone());
                        route = fallback;
                    }
                    None => break Err(error),
                }
            }
        }
    };
    ctx.upstream_wait += journal.waited;
    ctx.ledger.attempts = journal.attempts;
    match result {
        Ok(won) => {
            let sole = route.group.is_single();
            let metrics = Arc::clone(&state.metrics);
            let fallbacks = groups_tried.len() - 1;
            Ok(respond(runtime, ctx, won, fallbacks, sole, metrics))
        }
        Err(error) => {
            if let Some(last) = ctx.ledger.attempts.last() {
                ctx.record().deployment_id = Some(last.deployment.clone());
            }
            Err(error.failure)
        }
    }
}

/// The groups to fall back to from `route`'s after a failure of `class`:
/// the client's own list when it sent one, else the config's.
fn fallback_groups(
    runtime: &Runtime,
    probe: &Probe,
    route: &Route<'_>,
    class: switchboard_router::FailureClass,
) -> Vec<String> {
    if probe.fallbacks.is_empty() {
        return runtime.policy.fallbacks_for(&route.group.name, class);
    }
    if class == switchboard_router::FailureClass::BadRequest {
        return Vec::new();
    }
    probe.fallbacks.clone()
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
                fallbacks: Vec::new(),
                num_retries: None,
            })
        }
        None => {
            let inspected = inspect_request(request.operation, &request.body)?;
            Ok(Probe {
                model: inspected.model.clone(),
                stream: inspected.stream,
                inspected: Some(inspected),
                fallbacks: Vec::new(),
                num_retries: None,
            })
        }
    }
}

/// The route phase: which model group serves the model.
fn resolve<'a>(runtime: &'a Runtime, model: &str) -> Result<Route<'a>, Failure> {
    runtime.routes.resolve(model).ok_or_else(|| {
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
    })
}

/// The admission phase: every principal on the path must allow the model
/// and have budget and rate left; the request's estimated cost (priced by
/// the group's first deployment) is reserved.
#[allow(clippy::too_many_arguments)]
fn admit(
    state: &AppState,
    runtime: &Arc<Runtime>,
    ctx: &mut RequestContext,
    request: &FrontRequest,
    probe: &Probe,
    route: &Route<'_>,
    caller: Option<&switchboard_governance::Caller>,
    model: &str,
    customer: Option<String>,
) -> Result<(), Failure> {
    let max_tokens = probe.inspected.as_ref().and_then(|i| i.max_tokens);
    let estimate = route.group.deployments.first().map_or(0.0, |deployment| {
        let upstream = deployment.upstream_model_for(&route.captured);
        runtime
            .prices
            .estimate(deployment, &upstream, request.body.len(), max_tokens)
    });
    let admission = state
        .registry
        .admit(caller, model, customer.as_deref(), estimate, now_ms())
        .map_err(Failure::from_denial)?;
    ctx.ledger.admission = Some(admission);
    Ok(())
}

/// The winner's response: its headers, the gateway's headers, and the body,
/// with accounting attached to its end.
/// `sole`: the deployment is its group's only one (never cooled down);
/// `metrics`: for a stream that fails after its first byte.
fn respond(
    runtime: &Arc<Runtime>,
    ctx: &mut RequestContext,
    won: Won,
    fallbacks: usize,
    sole: bool,
    metrics: Arc<crate::metrics::Metrics>,
) -> Response {
    let Won {
        answer,
        deployment,
        upstream_model,
        selected,
        ..
    } = won;
    let group = deployment.group.clone();
    let record = ctx.record();
    record.model_group = Some(group.clone());
    record.deployment_id = Some(deployment.id.clone());
    record.provider = Some(deployment.provider().to_string());
    record.upstream_model = Some(upstream_model.clone());
    ctx.ledger.pricing = Some(Pricing {
        runtime: Arc::clone(runtime),
        deployment: Arc::clone(&deployment),
        upstream_model,
    });
    ctx.upstream_wait += answer.upstream_wait;
    let retries = ctx
        .ledger
        .attempts
        .iter()
        .filter(|a| a.group == group && a.status != 200 && a.status != 499)
        .count();
    let mut head = answer.head;
    if let Some(headers) = head.headers_mut() {
        headers.insert(REQUEST_ID, ctx.request_id.clone());
        headers.insert(ATTEMPTED_RETRIES, HeaderValue::from(retries));
        headers.insert(ATTEMPTED_FALLBACKS, HeaderValue::from(fallbacks));
        if let Ok(value) = HeaderValue::from_str(&group) {
            headers.insert(MODEL_GROUP, value);
        }
        headers.insert(OVERHEAD, ctx.overhead_header());
    }
    let started = ctx.started;
    let overhead = ctx.overhead();
    let ledger = ctx.take_ledger();
    let body = match answer.body {
        AnswerBody::Whole { bytes, usage } => {
            let logged = ledger.wants_bodies().then(|| bytes.clone());
            let cost = close(
                ledger,
                &deployment,
                started,
                overhead,
                usage,
                Finished::Whole(logged),
            );
            drop(selected);
            if let (Some(cost), Some(headers)) = (cost, head.headers_mut())
                && let Ok(value) = HeaderValue::from_str(&cost.to_string())
            {
                headers.insert(RESPONSE_COST, value);
            }
            Body::from(bytes)
        }
        AnswerBody::Stream(stream) => {
            if let Some(headers) = head.headers_mut() {
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            }
            let capture = if ledger.wants_bodies() {
                LOGGED_BODY_BYTES
            } else {
                0
            };
            let runtime = Arc::clone(runtime);
            stream(
                OnFinish::new(move |outcome: StreamOutcome| {
                    // The deployment's slot is held until the stream ends.
                    let _in_flight = selected;
                    if let Some(error) = &outcome.error {
                        tracing::info!(
                            request_id = ledger.record.request_id,
                            error,
                            "stream ended early"
                        );
                    }
                    if outcome.status >= 500 {
                        late_failure(&runtime, &deployment, outcome.status, sole, &metrics);
                    }
                    let usage = outcome.usage;
                    close(
                        ledger,
                        &deployment,
                        started,
                        overhead,
                        usage,
                        Finished::Stream(outcome),
                    );
                })
                .capturing(capture),
            )
        }
    };
    head.body(body).unwrap_or_else(|error| {
        Failure::new(ErrorKind::Internal, error.to_string())
            .into_response(switchboard_api::Dialect::OpenAi)
    })
}

/// A stream that failed after its first byte: too late to fail over, but
/// the failure is the deployment's, so it counts toward its cooldown and
/// later requests go elsewhere. (A client that left, 499, is no one's.)
fn late_failure(
    runtime: &Runtime,
    deployment: &switchboard_router::Deployment,
    status: u16,
    sole: bool,
    metrics: &crate::metrics::Metrics,
) {
    let class = if status == 504 {
        switchboard_router::FailureClass::Timeout
    } else {
        switchboard_router::FailureClass::Connection
    };
    let cooled = runtime
        .policy
        .record_failure(&deployment.health, class, None, sole, now_ms());
    if cooled {
        metrics.cooldown(&deployment.group, &deployment.id, deployment.provider());
    }
}

/// How the winner's answer reached the client.
enum Finished {
    /// In one piece; the body when it is logged.
    Whole(Option<Bytes>),
    Stream(StreamOutcome),
}

/// Accounting of the winner, and its tokens on the deployment's minute.
fn close(
    ledger: Ledger,
    deployment: &switchboard_router::Deployment,
    started: std::time::Instant,
    overhead: Duration,
    usage: Option<TokenUsage>,
    finished: Finished,
) -> Option<f64> {
    if let Some(usage) = usage {
        deployment.health.add_tokens(usage.total(), now_ms());
    }
    let completion = match finished {
        Finished::Stream(outcome) => Completion {
            status: outcome.status,
            usage,
            error: outcome.error,
            first_byte_at: outcome.first_byte_at,
            chunk_gaps: outcome.chunk_gaps,
            response_body: outcome.body,
        },
        Finished::Whole(body) => Completion {
            status: 200,
            usage,
            response_body: body,
            ..Completion::default()
        },
    };
    ledger.close(started, overhead, completion)
}
