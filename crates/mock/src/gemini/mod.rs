//! Google's Gemini API, on AI Studio (`/v1beta/models/{model}:{action}`, key in
//! `x-goog-api-key` or `?key=`) and on Vertex AI
//! (`/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:{action}`, OAuth bearer
//! token), plus Anthropic on Vertex (`publishers/anthropic/...:rawPredict|streamRawPredict`)
//! and the OAuth token endpoint of Google's service-account flow (`POST /token`).
//!
//! Actions: `generateContent`, `streamGenerateContent` (`?alt=sse` for server-sent events,
//! else a streamed JSON array), `embedContent`, `batchEmbedContents`, `countTokens`, and on
//! Vertex `predict` (text embeddings).

mod embed;
mod generate;
mod oauth;
mod request;
mod stream;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::post;

use crate::anthropic::Messages;
use crate::app::{S, Shared, SharedRouter, not_found};
use crate::auth::{Auth, query_param};
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::pipeline::{Answer, Endpoint, RenderCtx, Rendered, inference};
use crate::text::fnv1a;

const VERTEX_MODELS: &str =
    "/projects/{project}/locations/{location}/publishers/{publisher}/models/{*rest}";

pub(crate) fn routes() -> SharedRouter {
    Router::new()
        .route("/v1beta/models/{*rest}", post(ai_studio))
        .route(&format!("/v1{VERTEX_MODELS}"), post(vertex))
        .route(&format!("/v1beta1{VERTEX_MODELS}"), post(vertex))
        .route("/token", post(oauth::token))
}

/// `POST /v1beta/models/{model}:{action}` (and the stable `/v1/models/...`).
pub(crate) async fn ai_studio(
    State(shared): S,
    Path(rest): Path<String>,
    req: Request,
) -> Response {
    match rest.rsplit_once(':') {
        Some((model, action)) => gemini(shared, model, action, false, req).await,
        None => not_found(State(shared), req).await,
    }
}

/// Vertex AI's publisher models: Google's Gemini, or Anthropic's Claude.
async fn vertex(
    State(shared): S,
    Path((_project, _location, publisher, rest)): Path<(String, String, String, String)>,
    req: Request,
) -> Response {
    match (publisher.as_str(), rest.rsplit_once(':')) {
        ("anthropic", Some((model, "rawPredict"))) => {
            inference(&shared, Messages::vertex(model, false), req).await
        }
        ("anthropic", Some((model, "streamRawPredict"))) => {
            inference(&shared, Messages::vertex(model, true), req).await
        }
        ("google", Some((model, action))) => gemini(shared, model, action, true, req).await,
        _ => not_found(State(shared), req).await,
    }
}

/// Serves a Gemini action; `predict` exists on Vertex AI only.
async fn gemini(
    shared: Arc<Shared>,
    model: &str,
    action: &str,
    vertex: bool,
    req: Request,
) -> Response {
    match Action::parse(action).filter(|a| vertex || *a != Action::Predict) {
        Some(action) => {
            let endpoint = Gemini {
                model: model.to_owned(),
                action,
                vertex,
                sse: query_param(req.uri().query(), "alt") == Some(b"sse"),
            };
            inference(&shared, endpoint, req).await
        }
        None => not_found(State(shared), req).await,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Generate,
    Stream,
    Embed,
    BatchEmbed,
    CountTokens,
    /// Vertex AI text embeddings.
    Predict,
}

impl Action {
    fn parse(action: &str) -> Option<Self> {
        Some(match action {
            "generateContent" => Self::Generate,
            "streamGenerateContent" => Self::Stream,
            "embedContent" => Self::Embed,
            "batchEmbedContents" => Self::BatchEmbed,
            "countTokens" => Self::CountTokens,
            "predict" => Self::Predict,
            _ => return None,
        })
    }
}

/// A Gemini endpoint.
struct Gemini {
    model: String,
    action: Action,
    vertex: bool,
    /// `?alt=sse` on a stream.
    sse: bool,
}

enum GeminiRequest {
    Generate(generate::Generate),
    Embed(embed::Embed),
    Count(embed::CountTokens),
}

impl Endpoint for Gemini {
    type Request<'a> = GeminiRequest;

    fn dialect(&self) -> Dialect {
        Dialect::Google
    }

    fn auth(&self) -> Auth {
        if self.vertex {
            Auth::GoogleToken
        } else {
            Auth::GoogleKey
        }
    }

    fn seed(&self) -> u64 {
        fnv1a(self.model.as_bytes())
    }

    fn parse<'a>(&'a self, body: &'a [u8]) -> Result<GeminiRequest, ApiError> {
        let model = self.model.strip_prefix("models/").unwrap_or(&self.model);
        Ok(match self.action {
            Action::Generate | Action::Stream => {
                let stream = (self.action == Action::Stream).then_some(self.sse);
                GeminiRequest::Generate(generate::Generate::parse(body, model, stream)?)
            }
            Action::Embed => GeminiRequest::Embed(embed::Embed::single(body)?),
            Action::BatchEmbed => GeminiRequest::Embed(embed::Embed::batch(body)?),
            Action::Predict => GeminiRequest::Embed(embed::Embed::predict(body)?),
            Action::CountTokens => GeminiRequest::Count(embed::CountTokens::parse(body)?),
        })
    }
}

impl Answer for GeminiRequest {
    fn directive(&self) -> Knobs {
        let text = match self {
            Self::Generate(r) => r.conversation().last_user.map(|t| t.into_owned()),
            Self::Embed(r) => r.last_text().map(str::to_owned),
            Self::Count(_) => None,
        };
        Knobs::from_text(text.as_deref())
    }

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        match self {
            Self::Generate(r) => r.render(ctx),
            Self::Embed(r) => r.render(),
            Self::Count(r) => r.render(),
        }
    }
}
