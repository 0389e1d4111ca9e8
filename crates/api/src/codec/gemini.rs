//! Gemini `generateContent` as a front door and as an upstream wire.

use bytes::Bytes;
use memchr::memmem;

use super::{
    Decoded, EncodeOptions, FrontCodec, StreamDecoder, StreamEncoder, StreamObserver,
    UpstreamEvent, WireCodec, bad_upstream, invalid_json,
};
use crate::error::{ApiError, Dialect, ErrorKind};
use crate::gemini::{
    self, GenerateContentRequest, GenerateContentResponse, StreamFromOpenAi, StreamToOpenAi,
    UsageMetadata,
};
use crate::openai::chat::{ChatChunk, ChatRequest, ChatResponse};
use crate::sse::data_range;
use crate::usage::TokenUsage;

pub(super) struct GeminiFront;

impl FrontCodec for GeminiFront {
    fn decode(
        &self,
        body: &[u8],
        path_model: Option<&str>,
        stream: bool,
    ) -> Result<Decoded<ChatRequest>, ApiError> {
        let request: GenerateContentRequest =
            serde_json::from_slice(body).map_err(|e| invalid_json("request body", &e))?;
        let model = path_model.unwrap_or_default();
        let chat = gemini::request_to_openai(model, &request, stream)?;
        Ok(Decoded {
            value: chat,
            dropped: Vec::new(),
        })
    }

    fn encode_response(&self, response: &ChatResponse) -> Result<Vec<u8>, ApiError> {
        let gemini = gemini::response_from_openai(response);
        serde_json::to_vec(&gemini).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))
    }

    fn stream_encoder(&self, _wants_usage: bool) -> Box<dyn StreamEncoder> {
        Box::new(GeminiStreamEncoder {
            inner: StreamFromOpenAi::new(),
        })
    }
}

struct GeminiStreamEncoder {
    inner: StreamFromOpenAi,
}

fn write_responses(responses: Vec<GenerateContentResponse>, out: &mut Vec<u8>) {
    for response in responses {
        out.extend_from_slice(&gemini::sse_event(&response));
    }
}

impl StreamEncoder for GeminiStreamEncoder {
    fn push(&mut self, chunk: &ChatChunk, out: &mut Vec<u8>) {
        write_responses(self.inner.push(chunk), out);
    }

    fn finish(&mut self, usage: Option<&ChatChunk>, out: &mut Vec<u8>) {
        if let Some(usage) = usage {
            write_responses(self.inner.push(usage), out);
        }
        write_responses(self.inner.finish(), out);
    }

    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        // Google's streams carry errors as a `data:` event with an `error`.
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&error.to_body(Dialect::Google));
        out.extend_from_slice(b"\r\n\r\n");
    }
}

pub(super) struct GeminiWire;

impl WireCodec for GeminiWire {
    fn encode_request(
        &self,
        request: &ChatRequest,
        _options: &EncodeOptions<'_>,
    ) -> Result<Decoded<Vec<u8>>, ApiError> {
        // The model and streaming are in the URL, not the body.
        let translated = gemini::request_from_openai(request)?;
        let body = serde_json::to_vec(&translated.body)
            .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?;
        Ok(Decoded {
            value: body,
            dropped: translated.dropped,
        })
    }

    fn decode_response(
        &self,
        body: &[u8],
        model: &str,
        created: u64,
    ) -> Result<ChatResponse, ApiError> {
        let response: GenerateContentResponse =
            serde_json::from_slice(body).map_err(|e| bad_upstream("response", &e))?;
        gemini::response_to_openai(&response, model, created)
    }

    fn stream_decoder(&self, model: &str, created: u64) -> Box<dyn StreamDecoder> {
        Box::new(GeminiStreamDecoder {
            inner: StreamToOpenAi::new(model, created),
        })
    }

    fn decode_error(&self, status: u16, body: &[u8]) -> ApiError {
        gemini::error_from_gemini(status, body)
    }

    fn response_usage(&self, body: &[u8]) -> Option<TokenUsage> {
        usage_of(body)
    }

    fn stream_observer(&self, _strip_usage: bool) -> Box<dyn StreamObserver> {
        Box::new(GeminiObserver { usage: None })
    }
}

/// The `usageMetadata` of one response or stream chunk.
fn usage_of(json: &[u8]) -> Option<TokenUsage> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        usage_metadata: Option<UsageMetadata>,
    }
    let probe: Probe = serde_json::from_slice(json).ok()?;
    probe.usage_metadata.as_ref().map(gemini::usage_to_openai)
}

struct GeminiStreamDecoder {
    inner: StreamToOpenAi,
}

impl StreamDecoder for GeminiStreamDecoder {
    fn push(&mut self, event: UpstreamEvent<'_>) -> Result<Vec<ChatChunk>, ApiError> {
        if event.data.is_empty() {
            return Ok(Vec::new());
        }
        self.inner.push(event.data)
    }

    fn finish(&mut self) -> Vec<ChatChunk> {
        self.inner.finish()
    }

    fn usage_chunk(&self) -> Option<ChatChunk> {
        self.inner.usage_chunk()
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.inner.usage()
    }
}

/// Gemini repeats cumulative `usageMetadata` on chunks: the last one wins.
struct GeminiObserver {
    usage: Option<TokenUsage>,
}

impl StreamObserver for GeminiObserver {
    fn observe(&mut self, event: Bytes) -> Option<Bytes> {
        if memmem::find(&event, b"usageMetadata").is_some()
            && let Some(range) = data_range(&event)
            && let Some(usage) = usage_of(&event[range])
        {
            self.usage = Some(usage);
        }
        Some(event)
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.usage
    }
}
