//! What every provider adapter offers the request path.

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, Uri};
use switchboard_api::openai::Operation;

use crate::catalog::StreamUsage;

/// Where and how to send one upstream request.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub uri: Uri,
    /// Authentication, content type and configured extra headers.
    pub headers: HeaderMap,
}

/// A provider as one deployment uses it: knows the URL, credentials and
/// quirks, so the request path needs no per-provider `match`.
pub trait Adapter: Send + Sync + fmt::Debug {
    /// The provider's catalog name (`openai`, `groq`, `azure`, ...).
    fn provider(&self) -> &str;

    /// How the provider reports usage in streams.
    fn stream_usage(&self) -> StreamUsage;

    /// The endpoint of `operation` for `upstream_model`. Usually borrowed from
    /// what the adapter precomputed when the config was loaded.
    fn endpoint(
        &self,
        operation: Operation,
        upstream_model: &str,
    ) -> Result<Cow<'_, Endpoint>, ProviderError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error(
        "unknown provider `{0}`; use one of the names `switchboard providers` lists, or `openai/` with an `api_base` for any OpenAI-compatible server"
    )]
    UnknownProvider(String),
    #[error("provider `{0}` has no default URL: set `api_base` (or {1})")]
    MissingApiBase(String, String),
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("invalid header `{0}`: names and values must be visible ASCII")]
    InvalidHeader(String),
    #[error("`{0}` must be written `provider/model`, e.g. `openai/gpt-4o-mini`")]
    MissingProvider(String),
}

impl ProviderError {
    pub(crate) fn invalid_url(url: &str, reason: impl fmt::Display) -> ProviderError {
        ProviderError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        }
    }
}
