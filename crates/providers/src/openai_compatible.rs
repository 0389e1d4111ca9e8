//! Every provider that speaks OpenAI's API: OpenAI itself, the catalog's long
//! tail, local servers, and any `api_base` a user points `openai/` at.

use std::borrow::Cow;

use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::adapter::{Adapter, Endpoint, ProviderError, http_uri};
use crate::catalog::StreamUsage;

/// An OpenAI-compatible provider. The model travels in the body, so the
/// endpoints do not depend on it and are built once.
#[derive(Debug)]
pub struct OpenAiCompatible {
    provider: String,
    stream_usage: StreamUsage,
    /// Serves `/responses` itself (else Responses clients are translated).
    serves_responses: bool,
    chat: Endpoint,
    completions: Endpoint,
    embeddings: Endpoint,
    responses: Endpoint,
}

impl OpenAiCompatible {
    /// `base` is the URL that `/chat/completions` is appended to.
    pub fn new(
        provider: &str,
        base: &str,
        headers: http::HeaderMap,
        stream_usage: StreamUsage,
        serves_responses: bool,
    ) -> Result<OpenAiCompatible, ProviderError> {
        let base = base.trim_end_matches('/');
        let endpoint = |operation: Operation| -> Result<Endpoint, ProviderError> {
            Ok(Endpoint {
                uri: http_uri(&format!("{base}{}", operation.path()))?,
                headers: headers.clone(),
            })
        };
        Ok(OpenAiCompatible {
            provider: provider.to_string(),
            stream_usage,
            serves_responses,
            chat: endpoint(Operation::ChatCompletions)?,
            completions: endpoint(Operation::Completions)?,
            embeddings: endpoint(Operation::Embeddings)?,
            responses: endpoint(Operation::Responses)?,
        })
    }
}

impl Adapter for OpenAiCompatible {
    fn provider(&self) -> &str {
        &self.provider
    }

    fn wire(&self) -> Wire {
        Wire::OpenAi
    }

    fn stream_usage(&self) -> StreamUsage {
        self.stream_usage
    }

    fn serves_responses(&self) -> bool {
        self.serves_responses
    }

    fn endpoint(
        &self,
        operation: Operation,
        _upstream_model: &str,
        _stream: bool,
    ) -> Result<Cow<'_, Endpoint>, ProviderError> {
        Ok(Cow::Borrowed(match operation {
            Operation::ChatCompletions => &self.chat,
            Operation::Completions => &self.completions,
            Operation::Embeddings => &self.embeddings,
            Operation::Responses => &self.responses,
        }))
    }
}
