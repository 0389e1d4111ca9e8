//! Embeddings through a wire of another format (Bedrock's InvokeModel,
//! Cohere's embed): the OpenAI request becomes the wire's request bodies,
//! sent one after another on the deployment's embeddings endpoint (Titan
//! embeds one text per call, as LiteLLM sends it), and their answers one
//! OpenAI response.

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use switchboard_api::codec::{EmbeddingsCodec, Wire};
use switchboard_api::openai::Operation;
use switchboard_router::Deployment;

use super::FrontRequest;
use super::attempt::{Answer, AnswerBody, AttemptError};
use super::upstream::{Timeouts, before_send, endpoint, failure, read_body, response_head, send};
use crate::runtime::Runtime;
use crate::state::AppState;

pub(super) async fn run(
    state: &AppState,
    runtime: &Runtime,
    request: &FrontRequest,
    deployment: &Arc<Deployment>,
    model: &str,
    wire: Wire,
    codec: &dyn EmbeddingsCodec,
) -> Result<Answer, AttemptError> {
    let bodies = codec.encode(&request.body, model).map_err(before_send)?;
    let endpoint = endpoint(deployment, Operation::Embeddings, model, false)?;
    // The timeout covers the whole request, not each call of it.
    let timeouts = Timeouts::of(runtime, deployment, false);
    let mut answers = Vec::with_capacity(bodies.len());
    for body in bodies {
        let segments = vec![Bytes::from(body)];
        let (parts, body) = send(state, deployment, &endpoint, segments, &timeouts).await?;
        if !parts.status.is_success() {
            return Err(failure(deployment, wire, false, parts, body, &timeouts).await);
        }
        answers.push((parts.headers, read_body(deployment, body, &timeouts).await?));
    }
    let upstream = answers
        .first()
        .map(|(headers, _)| headers.clone())
        .unwrap_or_default();
    let bodies: Vec<Bytes> = answers.into_iter().map(|(_, body)| body).collect();
    let response = codec
        .decode(&request.body, &bodies, model)
        .map_err(before_send)?;
    let mut head = response_head(deployment, &upstream);
    if let Some(headers) = head.headers_mut() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let elapsed = timeouts.started.elapsed();
    Ok(Answer {
        head,
        body: AnswerBody::Whole {
            bytes: Bytes::from(response.body),
            usage: response.usage,
        },
        first_byte: elapsed,
        upstream_wait: elapsed,
    })
}
