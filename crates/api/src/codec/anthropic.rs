//! Anthropic Messages as a front door and as an upstream wire.

use bytes::Bytes;

use super::{
    Decoded, EncodeOptions, FrontCodec, StreamDecoder, StreamEncoder, StreamObserver,
    UpstreamEvent, WireCodec, bad_upstream, invalid_json,
};
use crate::anthropic::{
    self, MessagesRequest, MessagesResponse, StreamEvent, StreamFromOpenAi, StreamToOpenAi,
};
use crate::error::{ApiError, Dialect, ErrorKind};
use crate::openai::chat::{ChatChunk, ChatRequest, ChatResponse};
use crate::sse::{data_range, event_name};
use crate::usage::TokenUsage;

pub(super) struct AnthropicFront;

impl FrontCodec for AnthropicFront {
    fn decode(
        &self,
        body: &[u8],
        _path_model: Option<&str>,
        _stream: bool,
    ) -> Result<Decoded<ChatRequest>, ApiError> {
        let request: MessagesRequest =
            serde_json::from_slice(body).map_err(|e| invalid_json("request body", &e))?;
        let translated = anthropic::request_to_openai(&request)?;
        Ok(Decoded {
            value: translated.request,
            dropped: translated.dropped,
        })
    }

    fn encode_response(&self, response: &ChatResponse) -> Result<Vec<u8>, ApiError> {
        let message = anthropic::response_from_openai(response);
        serde_json::to_vec(&message).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))
    }

    fn stream_encoder(&self, _wants_usage: bool) -> Box<dyn StreamEncoder> {
        Box::new(AnthropicStreamEncoder {
            inner: StreamFromOpenAi::new(),
        })
    }
}

struct AnthropicStreamEncoder {
    inner: StreamFromOpenAi,
}

fn write_events(events: Vec<StreamEvent>, out: &mut Vec<u8>) {
    for event in events {
        event.write_sse(out);
    }
}

impl StreamEncoder for AnthropicStreamEncoder {
    fn push(&mut self, chunk: &ChatChunk, out: &mut Vec<u8>) {
        write_events(self.inner.push(chunk), out);
    }

    fn finish(&mut self, usage: Option<&ChatChunk>, out: &mut Vec<u8>) {
        if let Some(usage) = usage {
            write_events(self.inner.push(usage), out);
        }
        write_events(self.inner.finish(), out);
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        out.extend_from_slice(b"event: error\ndata: ");
        out.extend_from_slice(&error.to_body(Dialect::Anthropic));
        out.extend_from_slice(b"\n\n");
    }
}

pub(super) struct AnthropicWire;

impl WireCodec for AnthropicWire {
    fn encode_request(
        &self,
        request: &ChatRequest,
        options: &EncodeOptions<'_>,
    ) -> Result<Decoded<Vec<u8>>, ApiError> {
        let translated = anthropic::request_from_openai(request, options.default_max_tokens)?;
        let mut message = translated.request;
        message.model = options.model.to_string();
        message.stream = options.stream.then_some(true);
        let body = serde_json::to_vec(&message)
            .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?;
        Ok(Decoded {
            value: body,
            dropped: translated.dropped,
        })
    }

    fn decode_response(
        &self,
        body: &[u8],
        _model: &str,
        created: u64,
    ) -> Result<ChatResponse, ApiError> {
        let message: MessagesResponse =
            serde_json::from_slice(body).map_err(|e| bad_upstream("message", &e))?;
        Ok(anthropic::response_to_openai(&message, created))
    }

    fn stream_decoder(&self, _model: &str, created: u64) -> Box<dyn StreamDecoder> {
        Box::new(AnthropicStreamDecoder {
            inner: StreamToOpenAi::new(created),
        })
    }

    fn decode_error(&self, status: u16, body: &[u8]) -> ApiError {
        anthropic::error_from_anthropic(status, body)
    }

    fn response_usage(&self, body: &[u8]) -> Option<TokenUsage> {
        #[derive(serde::Deserialize)]
        struct Probe {
            usage: Option<anthropic::Usage>,
        }
        let probe: Probe = serde_json::from_slice(body).ok()?;
        probe.usage.as_ref().map(TokenUsage::from)
    }

    fn stream_observer(&self, _strip_usage: bool) -> Box<dyn StreamObserver> {
        Box::new(AnthropicObserver::default())
    }
}

struct AnthropicStreamDecoder {
    inner: StreamToOpenAi,
}

impl StreamDecoder for AnthropicStreamDecoder {
    fn push(&mut self, event: UpstreamEvent<'_>) -> Result<Vec<ChatChunk>, ApiError> {
        let Some(name) = event.name else {
            return Ok(Vec::new());
        };
        self.inner.push(name, event.data)
    }

    fn finish(&mut self) -> Vec<ChatChunk> {
        Vec::new()
    }

    fn usage_chunk(&self) -> Option<ChatChunk> {
        self.inner.usage_chunk()
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.inner.usage()
    }
}

/// Reads usage from `message_start` (input and cache counts) and
/// `message_delta` (cumulative counts) as the events pass untouched.
#[derive(Default)]
struct AnthropicObserver {
    usage: Option<anthropic::Usage>,
}

impl StreamObserver for AnthropicObserver {
    fn observe(&mut self, event: Bytes) -> Option<Bytes> {
        let name = event_name(&event);
        let interesting = matches!(name, Some(b"message_start") | Some(b"message_delta"));
        if interesting && let Some(range) = data_range(&event) {
            match serde_json::from_slice::<StreamEvent>(&event[range]) {
                Ok(StreamEvent::MessageStart { message }) => {
                    self.usage = Some(message.usage);
                }
                Ok(StreamEvent::MessageDelta { usage: delta, .. }) => {
                    let known = self.usage.get_or_insert_with(anthropic::Usage::default);
                    known.output_tokens = delta.output_tokens;
                    if let Some(input) = delta.input_tokens {
                        known.input_tokens = input;
                    }
                    if delta.cache_creation_input_tokens.is_some() {
                        known.cache_creation_input_tokens = delta.cache_creation_input_tokens;
                    }
                    if delta.cache_read_input_tokens.is_some() {
                        known.cache_read_input_tokens = delta.cache_read_input_tokens;
                    }
                }
                _ => {}
            }
        }
        Some(event)
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.usage.as_ref().map(TokenUsage::from)
    }
}
