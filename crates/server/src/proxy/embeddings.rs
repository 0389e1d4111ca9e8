//! Embeddings through a wire of another format (Bedrock's InvokeModel):
//! the OpenAI request becomes the wire's request bodies, sent one after
//! another on the deployment's embeddings endpoint (Titan embeds one text
//! per call, as LiteLLM sends it), and their answers one OpenAI response.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use switchboard_api::ErrorKind;
use switchboard_api::codec::{EmbeddingsCodec, Wire};
use switchboard_api::openai::Operation;

use super::{
    FrontRequest, Routed, Timeouts, endpoint, finish_whole, read_body, response_head, send,
    upstream_failure,
};
use crate::context::{OVERHEAD, RequestContext};
use crate::failure::Failure;
use crate::runtime::Runtime;
use crate::state::AppState;

pub(super) async fn forward(
    state: &AppState,
    runtime: &Runtime,
    ctx: &mut RequestContext,
    request: &FrontRequest,
    routed: &Routed,
    wire: Wire,
    codec: &dyn EmbeddingsCodec,
) -> Result<Response, Failure> {
    let deployment = &routed.deployment;
    let model = &routed.upstream_model;
    let bodies = codec.encode(&request.body, model)?;
    let endpoint = endpoint(deployment, Operation::Embeddings, model, false)?;
    let mut timeouts = Timeouts::of(runtime, deployment, false);
    let mut answers = Vec::with_capacity(bodies.len());
    let mut first = None;
    for body in bodies {
        let segments = vec![Bytes::from(body)];
        let (parts, body) =
            send(state, ctx, deployment, &endpoint, segments, &mut timeouts).await?;
        // The timeout covers the whole request, not each call of it.
        timeouts.sent = first.or(timeouts.sent);
        first = timeouts.sent;
        if !parts.status.is_success() {
            return Err(upstream_failure(deployment, wire, false, parts, body, &timeouts).await);
        }
        answers.push((
            parts.headers,
            read_body(ctx, deployment, body, &timeouts).await?,
        ));
    }
    let head = answers
        .first()
        .map(|(headers, _)| headers.clone())
        .unwrap_or_default();
    let bodies: Vec<Bytes> = answers.into_iter().map(|(_, body)| body).collect();
    let response = codec.decode(&request.body, &bodies, model)?;
    let mut builder = response_head(ctx, deployment, &head);
    if let Some(headers) = builder.headers_mut() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(OVERHEAD, ctx.overhead_header());
    }
    finish_whole(ctx, &mut builder, response.usage);
    builder
        .body(Body::from(response.body))
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string()))
}
