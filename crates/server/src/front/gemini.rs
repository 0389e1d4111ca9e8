//! The Gemini front door: `POST /v1beta/models/{model}:{action}` (also under
//! `/gemini`), for `generateContent`, `streamGenerateContent` and
//! `countTokens`. Errors in Google's shape.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use switchboard_api::codec::Front;
use switchboard_api::gemini::{CountTokensRequest, count_tokens_estimate};
use switchboard_api::openai::Operation;
use switchboard_api::{ApiError, Dialect, ErrorKind};

use crate::auth::authenticate;
use crate::context::RequestContext;
use crate::front::json_array::JsonArray;
use crate::front::{Door, error_response, handle, read_body};
use crate::state::AppState;

/// Dispatches on the action after the model: `gemini-2.5-flash:generateContent`.
pub async fn model_action(
    State(state): State<Arc<AppState>>,
    Path(target): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let query_key = query.get("key").cloned();
    let Some((model, action)) = target.rsplit_once(':') else {
        return not_found(&request, &target);
    };
    let model = model.strip_prefix("models/").unwrap_or(model).to_string();
    match action {
        "generateContent" | "streamGenerateContent" => {
            let stream = action == "streamGenerateContent";
            let door = Door {
                front: Front::GeminiGenerate,
                operation: Operation::ChatCompletions,
                path_model: Some(model),
                path_stream: stream,
                query_key,
            };
            let response = handle(state, request, door).await;
            // Without `alt=sse`, Google streams a JSON array.
            if stream && query.get("alt").is_none_or(|alt| alt != "sse") {
                return as_json_array(response);
            }
            response
        }
        "countTokens" => count_tokens(state, request, &model, query_key.as_deref()).await,
        _ => not_found(&request, &target),
    }
}

/// A successful SSE response re-framed as a streamed JSON array (errors
/// stay as they are: one JSON object).
fn as_json_array(response: Response) -> Response {
    let is_sse = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if !response.status().is_success() || !is_sse {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::new(JsonArray::new(body)))
}

fn not_found(request: &Request, target: &str) -> Response {
    let ctx = RequestContext::start(request.headers(), request.uri().path(), "gemini");
    let error = ApiError::new(
        ErrorKind::NotFound,
        format!(
            "`{target}` is not a supported model action (generateContent, streamGenerateContent, countTokens)"
        ),
    );
    error_response(error.into(), &ctx, Dialect::Google)
}

/// `:countTokens`: an estimate (a quarter of the characters of all text),
/// the same whichever provider serves the model.
async fn count_tokens(
    state: Arc<AppState>,
    request: Request,
    model: &str,
    query_key: Option<&str>,
) -> Response {
    let ctx = RequestContext::start(request.headers(), request.uri().path(), "count_tokens");
    let runtime = state.runtime();
    if let Err(failure) = authenticate(&runtime, &state.registry, request.headers(), query_key) {
        return error_response(failure, &ctx, Dialect::Google);
    }
    if runtime.routes.resolve(model).is_none() {
        let error = ApiError::new(ErrorKind::NotFound, format!("models/{model} is not found"));
        return error_response(error.into(), &ctx, Dialect::Google);
    }
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts.headers, body, runtime.limits.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return error_response(error.into(), &ctx, Dialect::Google),
    };
    match serde_json::from_slice::<CountTokensRequest>(&body) {
        Ok(request) => {
            Json(json!({"totalTokens": count_tokens_estimate(&request)})).into_response()
        }
        Err(error) => {
            let error = ApiError::new(
                ErrorKind::InvalidRequest,
                format!("The request body is not valid: {error}"),
            );
            error_response(error.into(), &ctx, Dialect::Google)
        }
    }
}
