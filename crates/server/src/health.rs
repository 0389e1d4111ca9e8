//! LiteLLM's health endpoints, for load balancers and orchestrators.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// Liveness: the process answers.
pub async fn liveness() -> Json<&'static str> {
    Json("I'm alive!")
}

/// Readiness: the gateway takes new requests (503 while draining on shutdown).
pub async fn readiness(State(state): State<Arc<AppState>>) -> Response {
    let runtime = state.runtime();
    let model_groups = runtime.routes.groups().count();
    if state.is_draining() {
        let body = json!({"status": "draining", "model_groups": model_groups});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    Json(json!({
        "status": "healthy",
        "model_groups": model_groups,
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}
