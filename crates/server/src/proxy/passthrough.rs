//! Same dialect in and out: the client's body goes upstream with only the
//! model replaced, and the answer comes back byte for byte while a side
//! parser reads usage (DESIGN.md §2).

use std::collections::VecDeque;

use bytes::Bytes;
use switchboard_api::codec::{Front, StreamEncoder, StreamObserver, wire};
use switchboard_api::openai::{Edit, InspectedRequest, rewrite_request};
use switchboard_api::sse::EventSplitter;
use switchboard_api::{ApiError, TokenUsage};
use switchboard_providers::StreamUsage;

use crate::relay::StreamTransform;

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
            observer: wire(front.native_wire()).stream_observer(strip_usage),
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
