//! OpenAI Chat Completions as a front door and as an upstream wire, in the
//! translation path, and its stream observer for the passthrough path.

use bytes::Bytes;

use super::{
    Decoded, EncodeOptions, FrontCodec, StreamDecoder, StreamEncoder, StreamObserver,
    UpstreamEvent, WireCodec, bad_upstream, invalid_json,
};
use crate::error::{ApiError, Dialect, ErrorKind};
use crate::openai::chat::{ChatChunk, ChatRequest, ChatResponse, StreamOptions};
use crate::openai::{ChunkAction, inspect_chunk, response_usage};
use crate::sse::data_range;
use crate::usage::TokenUsage;

pub(super) struct OpenAiFront;

impl FrontCodec for OpenAiFront {
    fn decode(
        &self,
        body: &[u8],
        _path_model: Option<&str>,
        _stream: bool,
    ) -> Result<Decoded<ChatRequest>, ApiError> {
        let request: ChatRequest =
            serde_json::from_slice(body).map_err(|e| invalid_json("request body", &e))?;
        Ok(Decoded {
            value: request,
            dropped: Vec::new(),
        })
    }

    fn encode_response(&self, response: &ChatResponse) -> Result<Vec<u8>, ApiError> {
        serde_json::to_vec(response).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))
    }

    fn stream_encoder(&self, wants_usage: bool) -> Box<dyn StreamEncoder> {
        Box::new(OpenAiStreamEncoder { wants_usage })
    }
}

/// `data: <chunk>` events, the usage chunk when asked for, then `[DONE]`.
struct OpenAiStreamEncoder {
    wants_usage: bool,
}

fn write_data(out: &mut Vec<u8>, json: &[u8]) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
}

impl StreamEncoder for OpenAiStreamEncoder {
    fn push(&mut self, chunk: &ChatChunk, out: &mut Vec<u8>) {
        if let Ok(json) = serde_json::to_vec(chunk) {
            write_data(out, &json);
        }
    }

    fn finish(&mut self, usage: Option<&ChatChunk>, out: &mut Vec<u8>) {
        if self.wants_usage
            && let Some(usage) = usage
        {
            self.push(usage, out);
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        // OpenAI's SDKs raise on a `data:` event with an `error` member.
        write_data(out, &error.to_body(Dialect::OpenAi));
    }
}

pub(super) struct OpenAiWire;

impl WireCodec for OpenAiWire {
    fn encode_request(
        &self,
        request: &ChatRequest,
        options: &EncodeOptions<'_>,
    ) -> Result<Decoded<Vec<u8>>, ApiError> {
        let mut request = request.clone();
        request.model = options.model.to_string();
        if options.stream {
            request.stream = Some(true);
            if options.stream_usage_option {
                let stream_options = request
                    .stream_options
                    .get_or_insert_with(StreamOptions::default);
                stream_options.include_usage = Some(true);
            }
        } else {
            request.stream = None;
            request.stream_options = None;
        }
        let body = serde_json::to_vec(&request)
            .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?;
        Ok(Decoded {
            value: body,
            dropped: Vec::new(),
        })
    }

    fn decode_response(
        &self,
        body: &[u8],
        _model: &str,
        _created: u64,
    ) -> Result<ChatResponse, ApiError> {
        serde_json::from_slice(body).map_err(|e| bad_upstream("chat completion", &e))
    }

    fn stream_decoder(&self, _model: &str, _created: u64) -> Box<dyn StreamDecoder> {
        Box::new(OpenAiStreamDecoder::default())
    }

    fn decode_error(&self, status: u16, body: &[u8]) -> ApiError {
        openai_error(status, body)
    }

    fn response_usage(&self, body: &[u8]) -> Option<TokenUsage> {
        response_usage(body)
    }

    fn stream_observer(&self, strip_usage: bool) -> Box<dyn StreamObserver> {
        Box::new(OpenAiObserver {
            strip_usage,
            usage: None,
        })
    }
}

/// An OpenAI-shaped error body as the gateway's error, status kept.
pub(crate) fn openai_error(status: u16, body: &[u8]) -> ApiError {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let error = v.get("error")?;
            error
                .get("message")
                .and_then(|m| m.as_str())
                .or_else(|| error.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            format!("upstream returned HTTP {status}: {}", text.trim())
        });
    ApiError::new(ErrorKind::from_status(status), message).with_status(status)
}

/// Chunks parsed from `data:` events; the usage chunk is kept aside.
#[derive(Default)]
struct OpenAiStreamDecoder {
    usage_chunk: Option<ChatChunk>,
}

impl StreamDecoder for OpenAiStreamDecoder {
    fn push(&mut self, event: UpstreamEvent<'_>) -> Result<Vec<ChatChunk>, ApiError> {
        let data = event.data;
        if data.is_empty() || data == b"[DONE]" {
            return Ok(Vec::new());
        }
        let value: serde_json::Value =
            serde_json::from_slice(data).map_err(|e| bad_upstream("stream chunk", &e))?;
        if let Some(error) = value.get("error") {
            let message = error
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("the upstream stream failed");
            return Err(ApiError::new(ErrorKind::BadGateway, message));
        }
        let chunk: ChatChunk =
            serde_json::from_value(value).map_err(|e| bad_upstream("stream chunk", &e))?;
        if chunk.choices.is_empty() && chunk.usage.is_some() {
            self.usage_chunk = Some(chunk);
            return Ok(Vec::new());
        }
        if chunk.usage.is_some() {
            // Usage on a content chunk (some compatible services): keep a
            // copy as the usage chunk, pass the content on.
            let mut usage_chunk = chunk.clone();
            usage_chunk.choices.clear();
            self.usage_chunk = Some(usage_chunk);
        }
        Ok(vec![chunk])
    }

    fn finish(&mut self) -> Vec<ChatChunk> {
        Vec::new()
    }

    fn usage_chunk(&self) -> Option<ChatChunk> {
        self.usage_chunk.clone()
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.usage_chunk
            .as_ref()
            .and_then(|c| c.usage)
            .map(TokenUsage::from)
    }
}

/// The passthrough side parser (see `openai::stream`).
struct OpenAiObserver {
    strip_usage: bool,
    usage: Option<TokenUsage>,
}

impl StreamObserver for OpenAiObserver {
    fn observe(&mut self, event: Bytes) -> Option<Bytes> {
        let Some(range) = data_range(&event) else {
            return Some(event);
        };
        let (action, seen) = inspect_chunk(&event[range.clone()], self.strip_usage);
        if seen.is_some() {
            self.usage = seen;
        }
        match action {
            ChunkAction::Forward => Some(event),
            ChunkAction::Drop => None,
            ChunkAction::Remove(cut) => {
                let (start, end) = (range.start + cut.start, range.start + cut.end);
                let mut rewritten = Vec::with_capacity(event.len() - (end - start));
                rewritten.extend_from_slice(&event[..start]);
                rewritten.extend_from_slice(&event[end..]);
                Some(Bytes::from(rewritten))
            }
        }
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.usage
    }
}
