//! Same dialect in and out: the client's body goes upstream with only the
//! model replaced, and the answer comes back byte for byte while a side
//! parser reads usage (DESIGN.md §2).

use std::collections::VecDeque;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use switchboard_api::codec::{
    Front, StreamEncoder, StreamObserver, passthrough_observer, passthrough_usage,
};
use switchboard_api::openai::{Edit, InspectedRequest, rewrite_request};
use switchboard_api::sse::EventSplitter;
use switchboard_api::{ApiError, TokenUsage};
use switchboard_providers::{StreamUsage, adjusted_body};
use switchboard_router::Deployment;

use super::attempt::{Answer, AnswerBody, AttemptError};
use super::upstream::{
    Prefixed, Timeouts, endpoint, failure, first_frame, read_body, response_head, send,
};
use super::{FrontRequest, Probe};
use crate::relay::{StreamRelay, StreamTransform};
use crate::runtime::Runtime;
use crate::state::AppState;

/// One passthrough attempt.
pub(super) async fn run(
    state: &AppState,
    runtime: &Runtime,
    request: &FrontRequest,
    probe: &Probe,
    deployment: &Arc<Deployment>,
    upstream_model: &str,
) -> Result<Answer, AttemptError> {
    let (segments, strip_usage) = upstream_body(
        request.front,
        &request.body,
        probe.inspected.as_ref(),
        upstream_model,
        deployment.adapter.stream_usage(),
    );
    let segments = adjusted_body(deployment.adapter.as_ref(), segments);
    let timeouts = Timeouts::of(runtime, deployment, probe.stream);
    let endpoint = endpoint(deployment, request.operation, upstream_model, probe.stream)?;
    let wire = request.front.native_wire();
    let (parts, mut body) = send(state, deployment, &endpoint, segments, &timeouts).await?;
    if !parts.status.is_success() {
        return Err(failure(deployment, wire, true, parts, body, &timeouts).await);
    }
    let head = response_head(deployment, &parts.headers);
    if probe.stream {
        let first = first_frame(deployment, wire, &mut body, &timeouts).await?;
        let first_byte = timeouts.started.elapsed();
        let front = request.front;
        let idle = timeouts.total;
        let stream = move |on_finish| {
            let upstream = Prefixed { first, rest: body };
            let transform = Passthrough::new(front, strip_usage);
            Body::new(StreamRelay::new(upstream, transform, idle, on_finish))
        };
        return Ok(Answer {
            head,
            body: AnswerBody::Stream(Box::new(stream)),
            first_byte,
            upstream_wait: first_byte,
        });
    }
    let bytes = read_body(deployment, body, &timeouts).await?;
    let usage = passthrough_usage(request.front, &bytes);
    let elapsed = timeouts.started.elapsed();
    Ok(Answer {
        head,
        body: AnswerBody::Whole { bytes, usage },
        first_byte: elapsed,
        upstream_wait: elapsed,
    })
}

/// The upstream body: the client's with the model spliced in, and for the
/// OpenAI wire `stream_options.include_usage` forced on, so the gateway
/// always learns a stream's token counts. Gemini carries the model in the
/// URL, so its body goes as it came.
pub fn upstream_body(
    front: Front,
    body: &Bytes,
    request: Option<&InspectedRequest>,
    upstream_model: &str,
    stream_usage: StreamUsage,
) -> (Vec<Bytes>, bool) {
    let Some(request) = request else {
        return (vec![body.clone()], false);
    };
    let inject_usage = front == Front::OpenAiChat
        && request.stream
        && stream_usage == StreamUsage::StreamOptions
        && !request.client_wants_usage;
    let mut edits = vec![Edit::Model(upstream_model)];
    if inject_usage {
        edits.push(Edit::IncludeUsage);
    }
    (rewrite_request(body, request, &edits), inject_usage)
}

/// Upstream events held back looking for an event boundary, at most; an
/// upstream that streams something else than SSE is then relayed without
/// being observed rather than buffered without bound.
const MAX_PENDING: usize = 4 * 1024 * 1024;

/// Relays frames as they come; the observer sees each complete event.
pub struct Passthrough {
    splitter: Option<EventSplitter>,
    observer: Box<dyn StreamObserver>,
    /// The observer may change events (OpenAI usage stripping): relay its
    /// output rather than the original frames.
    rewrites: bool,
    errors: Box<dyn StreamEncoder>,
}

impl Passthrough {
    pub fn new(front: Front, strip_usage: bool) -> Passthrough {
        Passthrough {
            splitter: Some(EventSplitter::new()),
            observer: passthrough_observer(front, strip_usage),
            rewrites: strip_usage,
            errors: switchboard_api::codec::front(front).stream_encoder(false),
        }
    }
}

impl StreamTransform for Passthrough {
    fn frame(&mut self, data: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
        let observer = &mut self.observer;
        match &mut self.splitter {
            Some(splitter) if self.rewrites => splitter.push(data, |event| {
                if let Some(event) = observer.observe(event) {
                    out.push_back(event);
                }
            }),
            Some(splitter) => {
                splitter.push(data.clone(), |event| {
                    observer.observe(event);
                });
                out.push_back(data);
            }
            None => out.push_back(data),
        }
        if !self.rewrites
            && self
                .splitter
                .as_ref()
                .is_some_and(|s| s.pending_len() > MAX_PENDING)
        {
            self.splitter = None;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
        if let Some(splitter) = self.splitter.take()
            && let Some(tail) = splitter.finish()
            && self.rewrites
        {
            // An unterminated last event is relayed as it came.
            out.push_back(tail);
        }
        Ok(())
    }

    fn error(&mut self, error: &ApiError, out: &mut VecDeque<Bytes>) {
        let mut event = Vec::new();
        self.errors.error(error, &mut event);
        out.push_back(Bytes::from(event));
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.observer.usage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_USAGE: &[&str] = &[
        "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n",
        "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"con",
        "tent\":\"lo\"}}],\"usage\":null}\n\ndata: {\"id\":\"1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
        "data: [DONE]\n\n",
    ];

    fn run(transform: &mut Passthrough, frames: &[&str]) -> String {
        let mut out = VecDeque::new();
        for frame in frames {
            transform
                .frame(Bytes::copy_from_slice(frame.as_bytes()), &mut out)
                .unwrap();
        }
        transform.end(&mut out).unwrap();
        let bytes: Vec<u8> = out.into_iter().flat_map(|b| b.to_vec()).collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn relays_byte_for_byte_and_reads_usage() {
        let mut transform = Passthrough::new(Front::OpenAiChat, false);
        assert_eq!(run(&mut transform, WITH_USAGE), WITH_USAGE.concat());
        assert_eq!(transform.usage().unwrap().output_tokens, 2);
    }

    #[test]
    fn removes_the_usage_the_gateway_asked_for() {
        let mut transform = Passthrough::new(Front::OpenAiChat, true);
        assert_eq!(
            run(&mut transform, WITH_USAGE),
            "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
             data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n\
             data: [DONE]\n\n"
        );
        assert_eq!(transform.usage().unwrap().input_tokens, 3);
    }

    #[test]
    fn errors_use_the_front_dialect() {
        let mut out = VecDeque::new();
        let error = ApiError::new(switchboard_api::ErrorKind::BadGateway, "cut");
        Passthrough::new(Front::AnthropicMessages, false).error(&error, &mut out);
        let text = String::from_utf8(out[0].to_vec()).unwrap();
        assert!(
            text.starts_with("event: error\ndata: {\"type\":\"error\""),
            "{text}"
        );
    }
}
