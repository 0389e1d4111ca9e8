//! Amazon Bedrock runtime: `POST /model/{modelId}/converse`, `/converse-stream` (AWS event
//! stream framing) and `/invoke` (Titan and Cohere embedding models). Auth is SigV4 (see
//! [`sigv4`]); errors are `{"message"}` with the type in `x-amzn-errortype`.

mod converse;
pub(crate) mod eventstream;
mod invoke;
pub(crate) mod sigv4;
mod stream;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::post;

use crate::app::{S, SharedRouter};
use crate::auth::Auth;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::pipeline::{Answer, Endpoint, RenderCtx, Rendered, inference};
use crate::text::fnv1a;

pub(crate) fn routes() -> SharedRouter {
    Router::new()
        .route("/model/{model_id}/converse", post(converse))
        .route("/model/{model_id}/converse-stream", post(converse_stream))
        .route("/model/{model_id}/invoke", post(invoke))
}

async fn converse(State(shared): S, Path(model): Path<String>, req: Request) -> Response {
    inference(
        &shared,
        Bedrock {
            model,
            op: Op::Converse,
        },
        req,
    )
    .await
}

async fn converse_stream(State(shared): S, Path(model): Path<String>, req: Request) -> Response {
    let endpoint = Bedrock {
        model,
        op: Op::ConverseStream,
    };
    inference(&shared, endpoint, req).await
}

async fn invoke(State(shared): S, Path(model): Path<String>, req: Request) -> Response {
    inference(
        &shared,
        Bedrock {
            model,
            op: Op::Invoke,
        },
        req,
    )
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Converse,
    ConverseStream,
    Invoke,
}

/// A Bedrock endpoint for one model id (percent-decoded from the path).
struct Bedrock {
    model: String,
    op: Op,
}

enum BedrockRequest {
    Converse(converse::Converse),
    Invoke(invoke::Invoke),
}

impl Endpoint for Bedrock {
    type Request<'a> = BedrockRequest;

    fn dialect(&self) -> Dialect {
        Dialect::Bedrock
    }

    fn auth(&self) -> Auth {
        Auth::SigV4
    }

    fn seed(&self) -> u64 {
        fnv1a(self.model.as_bytes())
    }

    fn parse<'a>(&'a self, body: &'a [u8]) -> Result<BedrockRequest, ApiError> {
        Ok(match self.op {
            Op::Converse => BedrockRequest::Converse(converse::Converse::parse(body, false)?),
            Op::ConverseStream => BedrockRequest::Converse(converse::Converse::parse(body, true)?),
            Op::Invoke => BedrockRequest::Invoke(invoke::Invoke::parse(&self.model, body)?),
        })
    }
}

impl Answer for BedrockRequest {
    fn directive(&self) -> Knobs {
        let text = match self {
            Self::Converse(r) => r.conversation().last_user.map(|t| t.into_owned()),
            Self::Invoke(r) => r.last_text().map(str::to_owned),
        };
        Knobs::from_text(text.as_deref())
    }

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        match self {
            Self::Converse(r) => r.render(ctx),
            Self::Invoke(r) => r.render(ctx),
        }
    }
}
