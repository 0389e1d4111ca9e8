//! The router: which path serves what, and the state the handlers share.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use http::StatusCode;

use crate::auth::{Auth, TOKEN_PREFIX};
use crate::chaos::{Chaos, ChaosStats};
use crate::config::MockConfig;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::{Fault, FaultQueue};
use crate::openai::{Kind, OpenAi, models, responses};
use crate::pipeline::{self, error_response, inference};
use crate::record::{RecordedRequest, Recorder};
use crate::{anthropic, bedrock, cohere, control, gemini};

/// State shared by all handlers and the [`MockHandle`].
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: MockConfig,
    pub(crate) recorder: Recorder,
    pub(crate) faults: FaultQueue,
    /// Probabilistic faults ([`MockConfig::fail_rate`], [`MockConfig::cut_rate`]).
    pub(crate) chaos: Chaos,
    /// Access tokens handed out by `POST /token` so far.
    pub(crate) tokens_issued: AtomicU64,
}

impl Shared {
    /// Hands out the next access token: `mock-token-<n>`, counting from 1.
    pub(crate) fn issue_token(&self) -> String {
        let n = self.tokens_issued.fetch_add(1, Ordering::AcqRel) + 1;
        format!("{TOKEN_PREFIX}{n}")
    }

    pub(crate) fn token_was_issued(&self, token: &[u8]) -> bool {
        let issued = self.tokens_issued.load(Ordering::Acquire);
        token
            .strip_prefix(TOKEN_PREFIX.as_bytes())
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| (1..=issued).contains(&n))
    }
}

pub(crate) type SharedRouter = Router<Arc<Shared>>;

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

    /// What the chaos dice decided so far (also `GET /__mock/chaos`).
    pub fn chaos_stats(&self) -> ChaosStats {
        self.shared.chaos.stats()
    }
}

/// The mock as an axum router, for serving in-process (the gateway's `mock/*` provider), and
/// the handle that inspects it.
///
/// OpenAI paths (chat, completions, embeddings, models, responses) are served under `/v1/...`
/// and without the prefix, plus Azure OpenAI's
/// `/openai/deployments/{deployment}/...?api-version=...` and `/openai/responses` forms; then
/// Anthropic
/// (`/v1/messages`), Gemini (`/v1beta/models/{model}:{action}`), Vertex AI
/// (`/v1/projects/{p}/locations/{l}/publishers/{google|anthropic}/models/{model}:{action}`,
/// `POST /token`), Bedrock (`/model/{id}/converse|converse-stream|invoke`) and Cohere
/// (`/v2/chat|embed|rerank`). Queued faults apply to the inference endpoints only, so
/// background model listings and token refreshes cannot consume a fault meant for a test's
/// request.
pub fn router(config: MockConfig) -> (Router, MockHandle) {
    let shared = Arc::new(Shared {
        recorder: Recorder::new(config.record),
        faults: FaultQueue::default(),
        chaos: Chaos::new(&config),
        tokens_issued: AtomicU64::new(0),
        config,
    });
    let mut router: SharedRouter = Router::new();
    for prefix in ["/v1", ""] {
        router = router
            .route(&format!("{prefix}/chat/completions"), post(chat))
            .route(&format!("{prefix}/completions"), post(completions))
            .route(&format!("{prefix}/embeddings"), post(embeddings))
            .route(&format!("{prefix}/responses"), post(responses::responses))
            .route(&format!("{prefix}/models"), get(list_models));
    }
    let router = router
        .route("/models/{*id}", get(get_model))
        // Gemini's stable API shares the prefix: `POST /v1/models/{model}:generateContent`.
        .route("/v1/models/{*id}", get(get_model).post(gemini::ai_studio))
        .merge(anthropic::routes())
        .merge(gemini::routes())
        .merge(bedrock::routes())
        .merge(cohere::routes())
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
        // Azure's Responses API is not per deployment: the deployment is the body's `model`.
        .route("/openai/responses", post(responses::azure_responses))
        .route(
            "/__mock/faults",
            post(control::push_faults).delete(control::clear_faults),
        )
        .route(
            "/__mock/requests",
            get(control::list_requests).delete(control::clear_requests),
        )
        .route("/__mock/chaos", get(control::chaos_stats))
        .fallback(not_found)
        // OpenAI answers a wrong method like an unknown path: 404 in its error shape.
        .method_not_allowed_fallback(not_found)
        .with_state(Arc::clone(&shared));
    (router, MockHandle { shared })
}

pub(crate) type S = State<Arc<Shared>>;

async fn openai(shared: &Shared, kind: Kind, deployment: Option<String>, req: Request) -> Response {
    inference(shared, OpenAi { kind, deployment }, req).await
}

async fn chat(State(shared): S, req: Request) -> Response {
    openai(&shared, Kind::Chat, None, req).await
}

async fn completions(State(shared): S, req: Request) -> Response {
    openai(&shared, Kind::Completions, None, req).await
}

async fn embeddings(State(shared): S, req: Request) -> Response {
    openai(&shared, Kind::Embeddings, None, req).await
}

async fn azure_chat(State(shared): S, Path(deployment): Path<String>, req: Request) -> Response {
    openai(&shared, Kind::Chat, Some(deployment), req).await
}

async fn azure_completions(
    State(shared): S,
    Path(deployment): Path<String>,
    req: Request,
) -> Response {
    openai(&shared, Kind::Completions, Some(deployment), req).await
}

async fn azure_embeddings(
    State(shared): S,
    Path(deployment): Path<String>,
    req: Request,
) -> Response {
    openai(&shared, Kind::Embeddings, Some(deployment), req).await
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
    let arrival = match pipeline::arrive(shared, req, Auth::Bearer, Dialect::OpenAi).await {
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

/// Unknown paths (and wrong methods): a 404 in the dialect the path prefix suggests.
pub(crate) async fn not_found(State(shared): S, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let dialect = if path.starts_with("/v1/messages") {
        Dialect::Anthropic
    } else if path.starts_with("/v1beta/") || path.starts_with("/v1/projects/") {
        Dialect::Google
    } else if path.starts_with("/model/") {
        Dialect::Bedrock
    } else if path.starts_with("/v2/") {
        Dialect::Cohere
    } else {
        Dialect::OpenAi
    };
    match pipeline::arrive(&shared, req, Auth::None, dialect).await {
        Ok(arrival) => dialect.error_response(
            &ApiError::not_found(method.as_str(), &path),
            &arrival.record,
        ),
        Err(response) => response,
    }
}
