//! OpenAI's Responses API as a front door (translated to chat for the
//! upstream), and the side parser of its untranslated streams.
//!
//! The Responses API repeats request parameters in every response
//! (`instructions`, `tools`, `temperature`, ...). The trait's methods see
//! only the chat response, so the shared codec (`front(Front::OpenAiResponses)`)
//! echoes the API's defaults; [`ResponsesFront::for_request`] builds a codec
//! for one request that echoes what it said.

use bytes::Bytes;

use super::{Decoded, FrontCodec, StreamEncoder, StreamObserver, invalid_json};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatChunk, ChatRequest, ChatResponse};
use crate::openai::responses::{
    ResponseEcho, ResponsesRequest, StreamEvent, StreamFromChat, event_usage, id_seed,
    request_to_chat, response_from_chat,
};
use crate::sse::{data_range, event_name};
use crate::usage::TokenUsage;

/// The Responses front door.
#[derive(Debug, Clone, Default)]
pub struct ResponsesFront {
    /// What responses echo; the API's defaults when `None`.
    echo: Option<ResponseEcho>,
}

/// The codec shared by all requests (`const`, so it can be `'static`).
pub(super) static SHARED: ResponsesFront = ResponsesFront { echo: None };

impl ResponsesFront {
    /// A codec whose responses echo this request's parameters, as the real
    /// API's do. `body` is the client's request body.
    pub fn for_request(body: &[u8]) -> Result<ResponsesFront, ApiError> {
        let request = parse(body)?;
        Ok(ResponsesFront {
            echo: Some(ResponseEcho::from_request(&request)),
        })
    }

    fn echo(&self) -> ResponseEcho {
        self.echo.clone().unwrap_or_default()
    }
}

fn parse(body: &[u8]) -> Result<ResponsesRequest, ApiError> {
    serde_json::from_slice(body).map_err(|e| invalid_json("request body", &e))
}

impl FrontCodec for ResponsesFront {
    fn decode(
        &self,
        body: &[u8],
        _path_model: Option<&str>,
        _stream: bool,
    ) -> Result<Decoded<ChatRequest>, ApiError> {
        request_to_chat(&parse(body)?)
    }

    fn encode_response(&self, response: &ChatResponse) -> Result<Vec<u8>, ApiError> {
        let response = response_from_chat(response, &self.echo(), id_seed(&response.id));
        serde_json::to_vec(&response).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))
    }

    /// Usage is always in `response.completed`: `wants_usage` does not apply.
    fn stream_encoder(&self, _wants_usage: bool) -> Box<dyn StreamEncoder> {
        Box::new(ResponsesStreamEncoder {
            inner: StreamFromChat::new(self.echo()),
        })
    }
}

struct ResponsesStreamEncoder {
    inner: StreamFromChat,
}

fn write_events(events: Vec<StreamEvent>, out: &mut Vec<u8>) {
    for event in events {
        event.write_sse(out);
    }
}

impl StreamEncoder for ResponsesStreamEncoder {
    fn push(&mut self, chunk: &ChatChunk, out: &mut Vec<u8>) {
        write_events(self.inner.push(chunk), out);
    }

    fn finish(&mut self, usage: Option<&ChatChunk>, out: &mut Vec<u8>) {
        write_events(self.inner.finish(usage), out);
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        self.inner.error(error).write_sse(out);
    }
}

/// A side parser for an untranslated Responses stream: reads the usage of
/// `response.completed` (or `.incomplete` / `.failed`) and relays every
/// event untouched.
pub fn responses_usage_observer() -> Box<dyn StreamObserver> {
    Box::new(ResponsesObserver { usage: None })
}

struct ResponsesObserver {
    usage: Option<TokenUsage>,
}

/// The events whose `response` carries the final usage.
const FINAL_EVENTS: [&[u8]; 3] = [
    b"response.completed",
    b"response.incomplete",
    b"response.failed",
];

impl StreamObserver for ResponsesObserver {
    fn observe(&mut self, event: Bytes) -> Option<Bytes> {
        // Only the last event is parsed: the name says which it is. An
        // event without a name line is checked by its data's `type`.
        let last = match event_name(&event) {
            Some(name) => FINAL_EVENTS.contains(&name),
            // A false positive (the name quoted in text) only costs a parse
            // that finds no `response.usage`.
            None => FINAL_EVENTS
                .iter()
                .any(|name| memchr::memmem::find(&event, name).is_some()),
        };
        if last
            && let Some(range) = data_range(&event)
            && let Some(usage) = event_usage(&event[range])
        {
            self.usage = Some(usage);
        }
        Some(event)
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.usage
    }
}
