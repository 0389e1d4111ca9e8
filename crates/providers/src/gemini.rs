//! Google AI Studio's Gemini API: `{base}/models/{model}:generateContent`,
//! `:streamGenerateContent?alt=sse`, `:batchEmbedContents`; key in
//! `x-goog-api-key` (Gemini API reference). LiteLLM's `api_base` convention
//! for Gemini includes the API version (`.../v1beta`).

use std::borrow::Cow;

use http::HeaderMap;
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::adapter::{Adapter, Endpoint, ModelEndpoints, ProviderError, http_uri};

pub const DEFAULT_BASE: &str = "https://generativelanguage.googleapis.com/v1beta";

#[derive(Debug)]
pub struct Gemini {
    urls: Urls,
    endpoints: ModelEndpoints,
}

#[derive(Debug)]
struct Urls {
    base: String,
    headers: HeaderMap,
}

impl Urls {
    fn build(
        &self,
        operation: Operation,
        model: &str,
        stream: bool,
    ) -> Result<Endpoint, ProviderError> {
        // Models may be written `models/gemini-2.5-flash`, as Google does.
        let model = model.strip_prefix("models/").unwrap_or(model);
        let action = match (operation, stream) {
            (Operation::ChatCompletions, false) => ":generateContent",
            (Operation::ChatCompletions, true) => ":streamGenerateContent?alt=sse",
            (Operation::Embeddings, false) => ":batchEmbedContents",
            (other, _) => return Err(ProviderError::unsupported("gemini", other)),
        };
        Ok(Endpoint {
            uri: http_uri(&format!("{}/models/{model}{action}", self.base))?,
            headers: self.headers.clone(),
        })
    }
}

impl Gemini {
    pub fn new(
        base: &str,
        headers: HeaderMap,
        model: Option<&str>,
    ) -> Result<Gemini, ProviderError> {
        let urls = Urls {
            base: base.trim_end_matches('/').to_string(),
            headers,
        };
        let endpoints = ModelEndpoints::new(model, |op, m, s| urls.build(op, m, s))?;
        Ok(Gemini { urls, endpoints })
    }
}

impl Adapter for Gemini {
    fn provider(&self) -> &str {
        "gemini"
    }

    fn wire(&self) -> Wire {
        Wire::Gemini
    }

    fn endpoint(
        &self,
        operation: Operation,
        upstream_model: &str,
        stream: bool,
    ) -> Result<Cow<'_, Endpoint>, ProviderError> {
        self.endpoints
            .get(operation, upstream_model, stream, |op, m, s| {
                self.urls.build(op, m, s)
            })
    }
}
