//! Anthropic's Messages API: `POST {base}/v1/messages`, key in `x-api-key`,
//! API version in `anthropic-version` (Anthropic API reference, "Versions").

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, HeaderValue};
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::adapter::{Adapter, Endpoint, ProviderError, http_uri};

pub const DEFAULT_BASE: &str = "https://api.anthropic.com";
/// The Messages API version switchboard speaks.
pub const API_VERSION: &str = "2023-06-01";

#[derive(Debug)]
pub struct Anthropic {
    messages: Endpoint,
}

impl Anthropic {
    /// `base` as LiteLLM users write it: with or without `/v1`, or even the
    /// full `/v1/messages` URL.
    pub fn new(base: &str, mut headers: HeaderMap) -> Result<Anthropic, ProviderError> {
        let base = base.trim_end_matches('/');
        let base = base.strip_suffix("/v1/messages").unwrap_or(base);
        let base = base.strip_suffix("/v1").unwrap_or(base);
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(API_VERSION),
        );
        Ok(Anthropic {
            messages: Endpoint {
                uri: http_uri(&format!("{base}/v1/messages"))?,
                headers,
            },
        })
    }
}

impl Adapter for Anthropic {
    fn provider(&self) -> &str {
        "anthropic"
    }

    fn wire(&self) -> Wire {
        Wire::Anthropic
    }

    fn endpoint(
        &self,
        operation: Operation,
        _upstream_model: &str,
        _stream: bool,
    ) -> Result<Cow<'_, Endpoint>, ProviderError> {
        match operation {
            Operation::ChatCompletions => Ok(Cow::Borrowed(&self.messages)),
            other => Err(ProviderError::unsupported("anthropic", other)),
        }
    }
}
