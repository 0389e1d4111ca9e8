//! Cohere v2 chat behind the codec seam (`Wire::Cohere`).

use bytes::Bytes;
use memchr::memmem;

use super::types::{ChatResponse as CohereResponse, StreamEvent, Usage};
use super::{
    EmbedResponse, Meta, StreamToOpenAi, embeddings_request_from_openai,
    embeddings_response_to_openai, error_from_cohere, request_from_openai, response_to_openai,
    wants_base64,
};
use crate::codec::{
    Decoded, EmbeddingsCodec, EmbeddingsResponse, EncodeOptions, StreamDecoder, StreamObserver,
    WireCodec, bad_upstream, invalid_json,
};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatRequest, ChatResponse};
use crate::sse::data_range;
use crate::usage::TokenUsage;

use super::response::token_usage;

/// The Cohere v2 chat wire.
pub struct CohereWire;

impl WireCodec for CohereWire {
    fn encode_request(
        &self,
        request: &ChatRequest,
        options: &EncodeOptions<'_>,
    ) -> Result<Decoded<Vec<u8>>, ApiError> {
        let translated = request_from_openai(request, options.model, options.stream)?;
        let body = serde_json::to_vec(&translated.request)
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
        let response: CohereResponse =
            serde_json::from_slice(body).map_err(|e| bad_upstream("chat response", &e))?;
        response_to_openai(&response, model, created)
    }

    fn stream_decoder(&self, model: &str, created: u64) -> Box<dyn StreamDecoder> {
        Box::new(StreamToOpenAi::new(model, created))
    }

    fn decode_error(&self, status: u16, body: &[u8]) -> ApiError {
        error_from_cohere(status, body)
    }

    fn response_usage(&self, body: &[u8]) -> Option<TokenUsage> {
        #[derive(serde::Deserialize)]
        struct Probe {
            usage: Option<Usage>,
        }
        let probe: Probe = serde_json::from_slice(body).ok()?;
        probe.usage.as_ref().map(token_usage)
    }

    fn stream_observer(&self, _strip_usage: bool) -> Box<dyn StreamObserver> {
        Box::new(CohereObserver { usage: None })
    }

    fn embeddings(&self) -> Option<&dyn EmbeddingsCodec> {
        Some(&CohereEmbeddings)
    }
}

/// `/v2/embed`: one call embeds the whole batch.
struct CohereEmbeddings;

impl EmbeddingsCodec for CohereEmbeddings {
    /// Parameters Cohere lacks (`user`) are left out: the hook has no way
    /// to report them, and they do not change the vectors.
    fn encode(&self, body: &[u8], model: &str) -> Result<Vec<Vec<u8>>, ApiError> {
        let request: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| invalid_json("request body", &e))?;
        let translated = embeddings_request_from_openai(&request, model)?;
        let body = serde_json::to_vec(&translated.request)
            .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?;
        Ok(vec![body])
    }

    fn decode(
        &self,
        body: &[u8],
        answers: &[Bytes],
        model: &str,
    ) -> Result<EmbeddingsResponse, ApiError> {
        let request: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| invalid_json("request body", &e))?;
        let answer = answers.first().ok_or_else(|| {
            ApiError::new(ErrorKind::BadGateway, "the upstream sent no embeddings")
        })?;
        let response: EmbedResponse =
            serde_json::from_slice(answer).map_err(|e| bad_upstream("embeddings", &e))?;
        let openai = embeddings_response_to_openai(&response, model, wants_base64(&request));
        Ok(EmbeddingsResponse {
            body: serde_json::to_vec(&openai)
                .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?,
            usage: response.meta.as_ref().and_then(Meta::usage),
        })
    }
}

/// Reads the usage of `message-end` as events pass untouched. Cohere has no
/// front door, so nothing relays its streams untranslated today; the
/// observer keeps the seam complete for when one does.
struct CohereObserver {
    usage: Option<TokenUsage>,
}

impl StreamObserver for CohereObserver {
    fn observe(&mut self, event: Bytes) -> Option<Bytes> {
        if memmem::find(&event, b"message-end").is_some()
            && let Some(range) = data_range(&event)
            && let Ok(StreamEvent::MessageEnd { delta: Some(delta) }) =
                serde_json::from_slice::<StreamEvent>(&event[range])
            && let Some(usage) = &delta.usage
        {
            self.usage = Some(token_usage(usage));
        }
        Some(event)
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.usage
    }
}
