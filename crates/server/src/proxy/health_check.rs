//! Background health checks (LiteLLM's `general_settings.background_health_checks`
//! and `health_check_interval`): deployments cooling down after failures
//! are probed with a one-token request every interval, and one that
//! answers is put back into rotation at once instead of at the end of its
//! cooldown. Deployments in rotation are not probed: real traffic already
//! tells the router how they are.

use std::sync::Arc;

use bytes::Bytes;
use switchboard_api::codec::Front;
use switchboard_api::openai::Operation;
use switchboard_governance::time::now_ms;

use super::attempt::attempt;
use super::{FrontRequest, inspect};
use crate::state::AppState;

/// Runs until the process ends; reads the interval from the current
/// runtime each round, so a reload can turn checks on, off or change them.
pub async fn run(state: Arc<AppState>) {
    loop {
        let interval = state.runtime().health_check_interval;
        let Some(interval) = interval else {
            // Off: look again later (a reload may turn it on).
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            continue;
        };
        tokio::time::sleep(interval).await;
        if state.is_draining() {
            return;
        }
        check_cooling(&state).await;
    }
}

/// Probes every deployment that is cooling down; returns how many came back.
pub async fn check_cooling(state: &AppState) -> usize {
    let runtime = state.runtime();
    let now = now_ms();
    let mut recovered = 0;
    for group in runtime.routes.groups() {
        for deployment in &group.deployments {
            // A wildcard deployment has no model of its own to ask.
            let Some(model) = deployment.upstream_model.fixed() else {
                continue;
            };
            if deployment.health.cooldown_left(now).is_none() {
                continue;
            }
            let body = serde_json::json!({
                "model": group.name,
                "messages": [{"role": "user", "content": "ping"}],
                "max_tokens": 1,
            });
            let request = FrontRequest {
                front: Front::OpenAiChat,
                operation: Operation::ChatCompletions,
                body: Bytes::from(body.to_string()),
                path_model: None,
                path_stream: false,
            };
            let Ok(probe) = inspect(&request) else {
                continue;
            };
            match attempt(state, &runtime, &request, &probe, deployment, model).await {
                Ok(_) => {
                    deployment.health.recover();
                    recovered += 1;
                    tracing::info!(
                        deployment = deployment.id,
                        model_group = group.name,
                        "health check passed; deployment back in rotation"
                    );
                }
                Err(error) => tracing::info!(
                    deployment = deployment.id,
                    model_group = group.name,
                    error = error.failure.error.message,
                    "health check failed; deployment stays cooled down"
                ),
            }
        }
    }
    recovered
}
