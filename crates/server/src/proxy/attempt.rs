//! One attempt: one deployment, one upstream call, and either an answer
//! ready for the client or a classified failure for the router to act on.
//!
//! An attempt touches nothing shared: the group loop decides what a failure
//! means (retry, cooldown, fallback) and the winner's answer is accounted
//! once, by the caller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use switchboard_api::TokenUsage;
use switchboard_api::codec::{self, Front};
use switchboard_api::openai::Operation;
use switchboard_router::{Deployment, FailureClass};

use super::upstream::before_send;
use super::{FrontRequest, Probe, embeddings, passthrough, translate};
use crate::failure::Failure;
use crate::relay::OnFinish;
use crate::runtime::Runtime;
use crate::state::AppState;

/// A successful attempt, ready to answer the client.
pub(super) struct Answer {
    /// Status 200 and the headers from the upstream worth relaying.
    pub head: http::response::Builder,
    pub body: AnswerBody,
    /// Time from sending to the first byte (the deployment's latency).
    pub first_byte: Duration,
    /// Time spent waiting on the upstream, which is not gateway overhead.
    pub upstream_wait: Duration,
}

pub(super) enum AnswerBody {
    /// A complete response and the usage read from it.
    Whole {
        bytes: Bytes,
        usage: Option<TokenUsage>,
    },
    /// A stream, relayed once accounting can be attached to its end.
    Stream(Box<dyn FnOnce(OnFinish) -> Body + Send>),
}

/// A failed attempt.
#[derive(Debug)]
pub(super) struct AttemptError {
    pub failure: Failure,
    pub class: FailureClass,
    /// The upstream's `Retry-After`.
    pub retry_after: Option<Duration>,
}

/// Sends `request` to `deployment`: untranslated when the deployment speaks
/// the front door's dialect, else through the lingua franca.
pub(super) async fn attempt(
    state: &AppState,
    runtime: &Runtime,
    request: &FrontRequest,
    probe: &Probe,
    deployment: &Arc<Deployment>,
    upstream_model: &str,
) -> Result<Answer, AttemptError> {
    let started = Instant::now();
    let wire = deployment.adapter.wire();
    // Same dialect passes through; a Responses client also needs a provider
    // that serves the Responses API (else it is translated through chat).
    let same_dialect = wire == request.front.native_wire()
        && (request.front != Front::OpenAiResponses || deployment.adapter.serves_responses());
    let answer = if same_dialect {
        passthrough::run(state, runtime, request, probe, deployment, upstream_model).await
    } else if request.operation == Operation::Embeddings {
        match codec::wire(wire).embeddings() {
            Some(codec) => {
                embeddings::run(
                    state,
                    runtime,
                    request,
                    deployment,
                    upstream_model,
                    wire,
                    codec,
                )
                .await
            }
            None => Err(unsupported(deployment, request.operation)),
        }
    } else if matches!(
        request.operation,
        Operation::ChatCompletions | Operation::Responses
    ) {
        translate::run(
            state,
            runtime,
            request,
            probe,
            deployment,
            upstream_model,
            wire,
        )
        .await
    } else {
        Err(unsupported(deployment, request.operation))
    };
    answer.map(|mut answer| {
        answer.upstream_wait = answer.upstream_wait.min(started.elapsed());
        answer
    })
}

fn unsupported(deployment: &Deployment, operation: Operation) -> AttemptError {
    before_send(Failure::new(
        switchboard_api::ErrorKind::InvalidRequest,
        format!(
            "provider `{}` does not support {} through this endpoint",
            deployment.provider(),
            operation.name()
        ),
    ))
}
