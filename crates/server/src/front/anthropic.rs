//! The Anthropic front door: `POST /v1/messages` (also under `/anthropic`),
//! and `/v1/messages/count_tokens`. Errors in Anthropic's shape.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use switchboard_api::anthropic::{CountTokensRequest, count_tokens_estimate};
use switchboard_api::codec::Front;
use switchboard_api::openai::Operation;
use switchboard_api::{ApiError, Dialect, ErrorKind};

use crate::auth::authenticate;
use crate::context::RequestContext;
use crate::front::{Door, error_response, handle, read_body};
use crate::state::AppState;

pub async fn messages(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let door = Door {
        front: Front::AnthropicMessages,
        operation: Operation::ChatCompletions,
        path_model: None,
        path_stream: false,
        query_key: None,
    };
    handle(state, request, door).await
}

/// `POST /v1/messages/count_tokens`: an estimate (a quarter of the
/// characters of all text, tool schemas included), the same whichever
/// provider serves the model. Clients use it to budget context windows.
pub async fn count_tokens(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let ctx = RequestContext::start(
        request.headers(),
        "/v1/messages/count_tokens",
        "count_tokens",
    );
    let runtime = state.runtime();
    if let Err(failure) = authenticate(&runtime, &state.registry, request.headers(), None) {
        return error_response(failure, &ctx, Dialect::Anthropic);
    }
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts.headers, body, runtime.limits.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return error_response(error.into(), &ctx, Dialect::Anthropic),
    };
    let request: CountTokensRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let error = ApiError::new(
                ErrorKind::InvalidRequest,
                format!("The request body is not valid: {error}"),
            );
            return error_response(error.into(), &ctx, Dialect::Anthropic);
        }
    };
    if runtime.routes.resolve(&request.model).is_none() {
        let error = ApiError::new(ErrorKind::NotFound, format!("model: {}", request.model));
        return error_response(error.into(), &ctx, Dialect::Anthropic);
    }
    Json(json!({"input_tokens": count_tokens_estimate(&request)})).into_response()
}
