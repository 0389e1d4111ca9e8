//! LiteLLM's health endpoints, for load balancers and orchestrators.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde_json::json;
use switchboard_api::{ApiError, Dialect, ErrorKind};
use switchboard_governance::entities::UserRole;

use crate::auth::authenticate;
use crate::failure::Failure;
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

/// `GET /metrics`: Prometheus text format. Open by default like LiteLLM's;
/// `litellm_settings.require_auth_for_metrics_endpoint` restricts it to
/// proxy admins and viewers.
pub async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let runtime = state.runtime();
    if runtime.metrics_auth {
        let allowed = authenticate(&runtime, &state.registry, &headers, None).map(|principal| {
            matches!(
                principal.role(),
                UserRole::ProxyAdmin | UserRole::ProxyAdminViewer
            )
        });
        match allowed {
            Ok(true) => {}
            Ok(false) => {
                let error = ApiError::new(
                    ErrorKind::PermissionDenied,
                    "only proxy admins and viewers can read /metrics",
                );
                return Failure::from(error).into_response(Dialect::OpenAi);
            }
            Err(failure) => return failure.into_response(Dialect::OpenAi),
        }
    }
    let dropped = state
        .logs
        .as_ref()
        .map(|writer| writer.stats().dropped.load(Ordering::Relaxed));
    let body = state.metrics.render(&runtime, &state.registry, dropped);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}
