//! Bedrock behind the codec seam: [`WireCodec`] and [`EmbeddingsCodec`].

use bytes::Bytes;

use super::response::usage_to_openai;
use super::types::{ConverseResponse, Usage};
use super::{
    StreamToOpenAi, embeddings_request_from_openai, embeddings_response_to_openai,
    error_from_bedrock, request_from_openai, response_to_openai,
};
use crate::codec::{
    Decoded, EmbeddingsCodec, EmbeddingsResponse, EncodeOptions, Framing, StreamDecoder,
    StreamObserver, WireCodec,
};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatRequest, ChatResponse};
use crate::usage::TokenUsage;

/// The Converse wire. The model and streaming are in the URL, not the body.
pub struct BedrockWire;

impl WireCodec for BedrockWire {
    fn encode_request(
        &self,
        request: &ChatRequest,
        options: &EncodeOptions<'_>,
    ) -> Result<Decoded<Vec<u8>>, ApiError> {
        let translated = request_from_openai(request, options.model, options.default_max_tokens)?;
        let body = serde_json::to_vec(&translated.value)
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
        let response: ConverseResponse = serde_json::from_slice(body)
            .map_err(|e| crate::codec::bad_upstream("Converse response", &e))?;
        Ok(response_to_openai(&response, body, model, created))
    }

    fn stream_decoder(&self, model: &str, created: u64) -> Box<dyn StreamDecoder> {
        Box::new(StreamToOpenAi::new(model, created))
    }

    fn decode_error(&self, status: u16, body: &[u8]) -> ApiError {
        error_from_bedrock(status, body)
    }

    fn response_usage(&self, body: &[u8]) -> Option<TokenUsage> {
        #[derive(serde::Deserialize)]
        struct Probe {
            usage: Option<Usage>,
        }
        let probe: Probe = serde_json::from_slice(body).ok()?;
        probe.usage.as_ref().map(usage_to_openai)
    }

    fn stream_observer(&self, _strip_usage: bool) -> Box<dyn StreamObserver> {
        // No front door speaks Bedrock, so its streams are always
        // translated, never observed in passing.
        Box::new(NoObserver)
    }

    fn framing(&self) -> Framing {
        Framing::AwsEventStream
    }

    fn embeddings(&self) -> Option<&dyn EmbeddingsCodec> {
        Some(self)
    }
}

impl EmbeddingsCodec for BedrockWire {
    fn encode(&self, body: &[u8], model: &str) -> Result<Vec<Vec<u8>>, ApiError> {
        embeddings_request_from_openai(body, model)
    }

    fn decode(
        &self,
        body: &[u8],
        answers: &[Bytes],
        model: &str,
    ) -> Result<EmbeddingsResponse, ApiError> {
        let (body, usage) = embeddings_response_to_openai(body, answers, model)?;
        Ok(EmbeddingsResponse {
            body,
            usage: Some(usage),
        })
    }
}

struct NoObserver;

impl StreamObserver for NoObserver {
    fn observe(&mut self, event: Bytes) -> Option<Bytes> {
        Some(event)
    }

    fn usage(&self) -> Option<TokenUsage> {
        None
    }
}
