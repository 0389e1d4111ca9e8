//! The OpenAI front door: `/v1/chat/completions`, `/v1/completions`,
//! `/v1/embeddings`, `/v1/models`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_api::openai::Operation;
use switchboard_api::{ApiError, Dialect, ErrorKind};

use crate::auth::authenticate;
use crate::context::{OVERHEAD, REQUEST_ID, RequestContext};
use crate::failure::Failure;
use crate::front::read_body;
use crate::proxy;
use crate::runtime::Runtime;
use crate::state::AppState;

pub async fn chat_completions(State(state): State<Arc<AppState>>, request: Request) -> Response {
    handle(state, request, Operation::ChatCompletions).await
}

pub async fn completions(State(state): State<Arc<AppState>>, request: Request) -> Response {
    handle(state, request, Operation::Completions).await
}

pub async fn embeddings(State(state): State<Arc<AppState>>, request: Request) -> Response {
    handle(state, request, Operation::Embeddings).await
}

async fn handle(state: Arc<AppState>, request: Request, operation: Operation) -> Response {
    let mut ctx = RequestContext::start(request.headers());
    let runtime = state.runtime();
    let result = async {
        authenticate(&runtime, request.headers())?;
        let (parts, body) = request.into_parts();
        let body = read_body(&parts.headers, body, runtime.limits.max_body_bytes).await?;
        proxy::forward(&state, &runtime, &mut ctx, operation, body).await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(failure) => error_response(failure, &ctx),
    }
}

/// An error in OpenAI's shape with the request's id and overhead headers.
pub fn error_response(failure: Failure, ctx: &RequestContext) -> Response {
    let mut response = failure.into_response(Dialect::OpenAi);
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID, ctx.request_id.clone());
    headers.insert(OVERHEAD, ctx.overhead_header());
    response
}

#[derive(Serialize)]
struct ModelObject<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    owned_by: &'a str,
}

#[derive(Serialize)]
struct ModelList<'a> {
    object: &'static str,
    data: Vec<ModelObject<'a>>,
}

fn model_object<'a>(runtime: &'a Runtime, name: &'a str, owned_by: &'a str) -> ModelObject<'a> {
    ModelObject {
        id: name,
        object: "model",
        created: runtime.created,
        owned_by,
    }
}

/// `GET /v1/models`: every model group the caller may use.
pub async fn list_models(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let ctx = RequestContext::start(request.headers());
    let runtime = state.runtime();
    if let Err(error) = authenticate(&runtime, request.headers()) {
        return error_response(error.into(), &ctx);
    }
    let data = runtime
        .routes
        .groups()
        .map(|group| {
            let owner = group
                .deployments
                .first()
                .map_or("switchboard", |d| d.provider());
            model_object(&runtime, &group.name, owner)
        })
        .collect();
    with_request_id(
        Json(ModelList {
            object: "list",
            data,
        })
        .into_response(),
        &ctx,
    )
}

/// `GET /v1/models/{model}`: one model, which may contain slashes.
pub async fn get_model(
    State(state): State<Arc<AppState>>,
    Path(model): Path<String>,
    request: Request,
) -> Response {
    let ctx = RequestContext::start(request.headers());
    let runtime = state.runtime();
    if let Err(error) = authenticate(&runtime, request.headers()) {
        return error_response(error.into(), &ctx);
    }
    let Some(route) = runtime.routes.resolve(&model) else {
        let error = ApiError::new(
            ErrorKind::NotFound,
            format!(
                "The model `{model}` does not exist. List the available models with GET /v1/models."
            ),
        )
        .with_param("model")
        .with_code("model_not_found");
        return error_response(error.into(), &ctx);
    };
    let owner = route
        .group
        .deployments
        .first()
        .map_or("switchboard", |d| d.provider());
    with_request_id(
        Json(model_object(&runtime, &model, owner)).into_response(),
        &ctx,
    )
}

fn with_request_id(mut response: Response, ctx: &RequestContext) -> Response {
    response
        .headers_mut()
        .insert(REQUEST_ID, ctx.request_id.clone());
    response
}

/// Unknown routes under the OpenAI prefixes answer in OpenAI's shape.
pub async fn not_found(request: Request) -> Response {
    let ctx = RequestContext::start(request.headers());
    let error = ApiError::new(
        ErrorKind::NotFound,
        format!(
            "Unknown route: {} {}",
            request.method(),
            request.uri().path()
        ),
    );
    let mut response = error_response(error.into(), &ctx);
    response.headers_mut().remove(OVERHEAD);
    response
}
