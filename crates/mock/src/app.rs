//! The router: which path serves what, and the state the handlers share.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use http::StatusCode;

use crate::config::MockConfig;
use crate::control;
use crate::error::ApiError;
use crate::faults::{Fault, FaultQueue};
use crate::openai::models;
use crate::pipeline::{self, Auth, Kind, error_response, inference};
use crate::record::{RecordedRequest, Recorder};

/// State shared by all handlers and the [`MockHandle`].
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: MockConfig,
    pub(crate) recorder: Recorder,
    pub(crate) faults: FaultQueue,
}

/// Inspects and steers a mock whose router is served elsewhere (see [`router`]).
#[derive(Debug, Clone)]
pub struct MockHandle {
    shared: Arc<Shared>,
}

impl MockHandle {
    /// Recorded requests, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.snapshot()
    }

    pub fn clear_requests(&self) {
        self.shared.recorder.clear();
    }

    /// Queues a fault for the next inference request (FIFO, one per request).
    pub fn push_fault(&self, fault: Fault) {
        self.shared.faults.push(fault, 1);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    pub fn config(&self) -> &MockConfig {
        &self.shared.config
    }
}

/// The mock as an axum router, for serving in-process (the gateway's `mock/*` provider), and
/// the handle that inspects it.
///
/// OpenAI paths are served under `/v1/...` and without the prefix, plus Azure OpenAI's
/// `/openai/deployments/{deployment}/...?api-version=...` form. Queued faults apply to the
/// inference endpoints (chat, completions, embeddings) only, so background model listings
/// cannot consume a fault meant for a test's request.
pub fn router(config: MockConfig) -> (Router, MockHandle) {
    let shared = Arc::new(Shared {
        recorder: Recorder::new(config.record),
        faults: FaultQueue::default(),
        config,
    });
    let mut router = Router::new();
    for prefix in ["/v1", ""] {
        router = router
            .route(&format!("{prefix}/chat/completions"), post(chat))
            .route(&format!("{prefix}/completions"), post(completions))
            .route(&format!("{prefix}/embeddings"), post(embeddings))
            .route(&format!("{prefix}/models"), get(list_models))
            .route(&format!("{prefix}/models/{{*id}}"), get(get_model));
    }
    let router = router
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(azure_chat),
        )
        .route(
            "/openai/deployments/{deployment}/completions",
            post(azure_completions),
        )
        .route(
            "/openai/deployments/{deployment}/embeddings",
            post(azure_embeddings),
        )
        .route(
            "/__mock/faults",
            post(control::push_faults).delete(control::clear_faults),
        )
        .route(
            "/__mock/requests",
            get(control::list_requests).delete(control::clear_requests),
        )
        .fallback(not_found)
        // OpenAI answers a wrong method like an unknown path: 404 in its error shape.
        .method_not_allowed_fallback(not_found)
        .with_state(Arc::clone(&shared));
    (router, MockHandle { shared })
}

type S = State<Arc<Shared>>;

async fn chat(State(shared): S, req: Request) -> Response {
    inference(&shared, Kind::Chat, None, req).await
}

async fn completions(State(shared): S, req: Request) -> Response {
    inference(&shared, Kind::Completions, None, req).await
}

async fn embeddings(State(shared): S, req: Request) -> Response {
    inference(&shared, Kind::Embeddings, None, req).await
}

async fn azure_chat(State(shared): S, Path(deployment): Path<String>, req: Request) -> Response {
    inference(&shared, Kind::Chat, Some(deployment), req).await
}

async fn azure_completions(
    State(shared): S,
    Path(deployment): Path<String>,
    req: Request,
) -> Response {
    inference(&shared, Kind::Completions, Some(deployment), req).await
}

async fn azure_embeddings(
    State(shared): S,
    Path(deployment): Path<String>,
    req: Request,
) -> Response {
    inference(&shared, Kind::Embeddings, Some(deployment), req).await
}

async fn list_models(State(shared): S, req: Request) -> Response {
    model_response(&shared, req, models::list).await
}

async fn get_model(State(shared): S, Path(id): Path<String>, req: Request) -> Response {
    model_response(&shared, req, || models::get(&id)).await
}

async fn model_response(
    shared: &Shared,
    req: Request,
    render: impl FnOnce() -> serde_json::Result<Vec<u8>>,
) -> Response {
    let arrival = match pipeline::arrive(shared, req, Auth::Bearer).await {
        Ok(arrival) => arrival,
        Err(response) => return response,
    };
    match render() {
        Ok(body) => pipeline::plain_json(StatusCode::OK, body.into(), &arrival.record),
        Err(err) => {
            let err = ApiError::internal(format!("switchboard-mock failed to render: {err}"));
            error_response(&err, &arrival.record)
        }
    }
}

async fn not_found(State(shared): S, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    match pipeline::arrive(&shared, req, Auth::None).await {
        Ok(arrival) => error_response(
            &ApiError::not_found(method.as_str(), &path),
            &arrival.record,
        ),
        Err(response) => response,
    }
}
