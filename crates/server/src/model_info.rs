//! LiteLLM's model introspection: `GET /model/info` (one row per deployment)
//! and `GET /model_group/info` (one row per model group), each with the
//! router's live view: requests in flight, latency, this minute's traffic,
//! and which deployments are cooling down after failures.
//!
//! Any valid key may ask; it sees only the groups it may use. Credentials
//! never appear.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchboard_governance::time::now_ms;
use switchboard_router::{Deployment, ModelGroup, UpstreamModel};

use crate::auth::{Principal, authenticate};
use crate::context::RequestContext;
use crate::front::openai::error_response;
use crate::runtime::Runtime;
use crate::state::AppState;

/// `GET /model/info[?litellm_model_id=ID]`.
pub async fn model_info(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let ctx = RequestContext::start(request.headers(), "/model/info", "model_info");
    let runtime = state.runtime();
    let principal = match authenticate(&runtime, &state.registry, request.headers(), None) {
        Ok(principal) => principal,
        Err(failure) => return error_response(failure, &ctx),
    };
    let wanted = params.get("litellm_model_id");
    let now = now_ms();
    let data: Vec<Value> = visible_groups(&state, &runtime, &principal)
        .flat_map(|group| group.deployments.iter())
        .filter(|d| wanted.is_none_or(|id| *id == d.id))
        .map(|d| {
            let added = state.deployments().is_some_and(|s| s.is_added(&d.id));
            deployment_row(&runtime, d, added, now)
        })
        .collect();
    Json(json!({ "data": data })).into_response()
}

/// `GET /model_group/info[?model_group=NAME]`.
pub async fn model_group_info(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let ctx = RequestContext::start(request.headers(), "/model_group/info", "model_group_info");
    let runtime = state.runtime();
    let principal = match authenticate(&runtime, &state.registry, request.headers(), None) {
        Ok(principal) => principal,
        Err(failure) => return error_response(failure, &ctx),
    };
    let wanted = params.get("model_group");
    let now = now_ms();
    let data: Vec<Value> = visible_groups(&state, &runtime, &principal)
        .filter(|group| wanted.is_none_or(|name| *name == group.name))
        .map(|group| group_row(&runtime, group, now))
        .collect();
    Json(json!({ "data": data })).into_response()
}

/// The groups `principal` may send requests to.
pub fn visible_groups<'a>(
    state: &'a AppState,
    runtime: &'a Runtime,
    principal: &'a Principal,
) -> impl Iterator<Item = &'a ModelGroup> {
    runtime.routes.groups().filter(move |group| {
        principal
            .caller()
            .is_none_or(|caller| state.registry.check_models(caller, &group.name).is_ok())
    })
}

/// `added`: the deployment came from the admin API (LiteLLM's `db_model`),
/// not the config file.
fn deployment_row(runtime: &Runtime, deployment: &Deployment, added: bool, now: i64) -> Value {
    let settings = &deployment.settings;
    let prices = runtime.prices.per_token(deployment);
    json!({
        "model_name": deployment.group,
        "litellm_params": {
            "model": format!("{}/{}", deployment.provider(), upstream_name(&deployment.upstream_model)),
            "rpm": settings.rpm,
            "tpm": settings.tpm,
            "weight": settings.weight,
            "order": settings.order,
            "max_parallel_requests": settings.max_parallel_requests,
            "timeout": settings.timeout.map(|t| t.as_secs_f64()),
            "stream_timeout": settings.stream_timeout.map(|t| t.as_secs_f64()),
        },
        "model_info": {
            "id": deployment.id,
            "litellm_provider": deployment.provider(),
            "max_output_tokens": settings.max_output_tokens,
            "input_cost_per_token": prices.map(|p| p.0),
            "output_cost_per_token": prices.map(|p| p.1),
            "db_model": added,
        },
        "health": health(deployment, now),
    })
}

/// The router's live view of a deployment.
fn health(deployment: &Deployment, now: i64) -> Value {
    let health = &deployment.health;
    let (requests, tokens, failures, successes) = health.this_minute(now);
    json!({
        "in_flight": health.in_flight(),
        "latency_ms": health.latency().map(|l| l.as_secs_f64() * 1000.0),
        "cooling_down": health.cooldown_left(now).is_some(),
        "cooldown_remaining_s": health.cooldown_left(now).map(|l| l.as_secs_f64()),
        "requests_this_minute": requests,
        "tokens_this_minute": tokens,
        "failures_this_minute": failures,
        "successes_this_minute": successes,
    })
}

fn group_row(runtime: &Runtime, group: &ModelGroup, now: i64) -> Value {
    let providers: BTreeSet<&str> = group.deployments.iter().map(|d| d.provider()).collect();
    let cooling: Vec<&str> = group
        .deployments
        .iter()
        .filter(|d| d.health.cooldown_left(now).is_some())
        .map(|d| d.id.as_str())
        .collect();
    // Limits add up across deployments; a group without any has none.
    let sum = |limit: fn(&Deployment) -> Option<u64>| {
        group
            .deployments
            .iter()
            .map(|d| limit(d))
            .try_fold(0u64, |total, l| l.map(|l| total.saturating_add(l)))
    };
    // The cheapest deployment's price, as LiteLLM reports the group's.
    let price = group
        .deployments
        .iter()
        .filter_map(|d| runtime.prices.per_token(d))
        .min_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)));
    let percentile = |p: f64| {
        group
            .latency
            .percentile(p, 1)
            .map(|l| l.as_secs_f64() * 1000.0)
    };
    json!({
        "model_group": group.name,
        "providers": providers,
        "deployments": group.deployments.len(),
        "healthy_deployments": group.deployments.len() - cooling.len(),
        "cooling_down": cooling,
        "in_flight": group.deployments.iter().map(|d| d.health.in_flight()).sum::<u32>(),
        "rpm": sum(|d| d.settings.rpm),
        "tpm": sum(|d| d.settings.tpm),
        "max_output_tokens": group.deployments.iter().filter_map(|d| d.settings.max_output_tokens).max(),
        "input_cost_per_token": price.map(|p| p.0),
        "output_cost_per_token": price.map(|p| p.1),
        "latency_p50_ms": percentile(50.0),
        "latency_p95_ms": percentile(95.0),
        "strategy": runtime.strategy.name(),
    })
}

fn upstream_name(model: &UpstreamModel) -> String {
    match model {
        UpstreamModel::Fixed(name) => name.clone(),
        UpstreamModel::Pattern { prefix, suffix } => format!("{prefix}*{suffix}"),
    }
}
