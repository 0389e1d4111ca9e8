//! The OpenAI front door: `/v1/chat/completions`, `/v1/completions`,
//! `/v1/embeddings`, `/v1/responses`, `/v1/models`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_api::codec::Front;
use switchboard_api::openai::Operation;
use switchboard_api::{ApiError, Dialect, ErrorKind};

use crate::auth::authenticate;
use crate::context::{OVERHEAD, REQUEST_ID, RequestContext};
use crate::failure::Failure;
use crate::front::{self, Door, handle};
use crate::runtime::Runtime;
use crate::state::AppState;

pub async fn chat_completions(State(state): State<Arc<AppState>>, request: Request) -> Response {
    handle(state, request, door(Operation::ChatCompletions)).await
}

pub async fn completions(State(state): State<Arc<AppState>>, request: Request) -> Response {
    handle(state, request, door(Operation::Completions)).await
}

pub async fn embeddings(State(state): State<Arc<AppState>>, request: Request) -> Response {
    handle(state, request, door(Operation::Embeddings)).await
}

/// `POST /v1/responses`: OpenAI's Responses API, passed through to
/// providers that serve it and translated through chat for the others.
pub async fn responses(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let door = Door {
        front: Front::OpenAiResponses,
        ..door(Operation::Responses)
    };
    handle(state, request, door).await
}

fn door(operation: Operation) -> Door {
    Door {
        front: Front::OpenAiChat,
        operation,
        path_model: None,
        path_stream: false,
        query_key: None,
    }
}

/// An error in OpenAI's shape with the request's id and overhead headers.
pub fn error_response(failure: Failure, ctx: &RequestContext) -> Response {
    front::error_response(failure, ctx, Dialect::OpenAi)
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
    let ctx = RequestContext::start(request.headers(), "/v1/models", "models");
    let runtime = state.runtime();
    let principal = match authenticate(&runtime, &state.registry, request.headers(), None) {
        Ok(principal) => principal,
        Err(failure) => return error_response(failure, &ctx),
    };
    let data = crate::model_info::visible_groups(&state, &runtime, &principal)
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
    let ctx = RequestContext::start(request.headers(), "/v1/models", "models");
    let runtime = state.runtime();
    if let Err(failure) = authenticate(&runtime, &state.registry, request.headers(), None) {
        return error_response(failure, &ctx);
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
    let ctx = RequestContext::start(request.headers(), "", "");
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
