//! What every provider adapter offers the request path.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::{HeaderMap, Uri};
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::catalog::StreamUsage;

/// Where and how to send one upstream request.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub uri: Uri,
    /// Authentication, content type and configured extra headers.
    pub headers: HeaderMap,
}

/// A credential step that needs I/O or the body (token refresh, request
/// signing), run just before sending.
pub type Authorize<'a> = Pin<Box<dyn Future<Output = Result<(), ProviderError>> + Send + 'a>>;

/// A provider as one deployment uses it: knows the URL, credentials and
/// quirks, so the request path needs no per-provider `match`.
pub trait Adapter: Send + Sync + fmt::Debug {
    /// The provider's catalog name (`openai`, `groq`, `anthropic`, ...).
    fn provider(&self) -> &str;

    /// The wire format the provider speaks.
    fn wire(&self) -> Wire;

    /// How the provider reports usage in streams (OpenAI wire only).
    fn stream_usage(&self) -> StreamUsage {
        StreamUsage::StreamOptions
    }

    /// Whether the provider serves OpenAI's Responses API itself (OpenAI,
    /// Azure): Responses clients then pass through untranslated; for the
    /// others the gateway translates them to chat.
    fn serves_responses(&self) -> bool {
        false
    }

    /// The endpoint of `operation` for `upstream_model`; `stream` matters to
    /// providers with separate streaming URLs. Usually borrowed from what
    /// the adapter precomputed when the config was loaded.
    fn endpoint(
        &self,
        operation: Operation,
        upstream_model: &str,
        stream: bool,
    ) -> Result<Cow<'_, Endpoint>, ProviderError>;

    /// Credentials that cannot be precomputed: a fresh OAuth token, a
    /// signature over the body. `None` (the default) when headers suffice,
    /// so static-key providers cost nothing here.
    fn authorize<'a>(
        &'a self,
        _request: &'a mut http::request::Parts,
        _body: &'a [Bytes],
    ) -> Option<Authorize<'a>> {
        None
    }

    /// Whether the provider needs the body changed beyond its wire format
    /// (Anthropic on Vertex AI: the model moves to the URL and an
    /// `anthropic_version` joins the body). `false` (the default) keeps the
    /// passthrough path free of any JSON work.
    fn adjusts_body(&self) -> bool {
        false
    }

    /// The change itself, on the parsed upstream body (both paths).
    fn adjust_body(&self, _body: &mut serde_json::Map<String, serde_json::Value>) {}
}

/// Applies an adapter's body adjustment to an encoded body; the body is
/// returned unchanged when it is not a JSON object.
pub fn adjusted_body(adapter: &dyn Adapter, segments: Vec<Bytes>) -> Vec<Bytes> {
    if !adapter.adjusts_body() {
        return segments;
    }
    let joined: Vec<u8> = segments.concat();
    match serde_json::from_slice::<serde_json::Value>(&joined) {
        Ok(serde_json::Value::Object(mut body)) => {
            adapter.adjust_body(&mut body);
            match serde_json::to_vec(&serde_json::Value::Object(body)) {
                Ok(bytes) => vec![Bytes::from(bytes)],
                Err(_) => vec![Bytes::from(joined)],
            }
        }
        _ => vec![Bytes::from(joined)],
    }
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
    #[error("provider `{provider}` does not support {operation}")]
    Unsupported {
        provider: String,
        operation: &'static str,
    },
    #[error("{0}")]
    Credentials(String),
}

impl ProviderError {
    pub(crate) fn invalid_url(url: &str, reason: impl fmt::Display) -> ProviderError {
        ProviderError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn unsupported(provider: &str, operation: Operation) -> ProviderError {
        ProviderError::Unsupported {
            provider: provider.to_string(),
            operation: operation.name(),
        }
    }
}

/// Parses an upstream URL, which must be http(s).
pub(crate) fn http_uri(url: &str) -> Result<Uri, ProviderError> {
    let uri: Uri = url
        .parse()
        .map_err(|e| ProviderError::invalid_url(url, e))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => Ok(uri),
        _ => Err(ProviderError::invalid_url(
            url,
            "must start with http:// or https://",
        )),
    }
}

/// Endpoints that depend on the model (it is in the URL), precomputed for a
/// deployment's fixed model and built per request for wildcard ones.
#[derive(Debug)]
pub(crate) struct ModelEndpoints {
    fixed: Option<FixedEndpoints>,
}

/// The fixed model and its endpoints by (operation, stream).
#[derive(Debug)]
struct FixedEndpoints {
    model: String,
    endpoints: Vec<((Operation, bool), Endpoint)>,
}

impl ModelEndpoints {
    /// Precomputes `build` for `model` and every operation the provider
    /// offers (those `build` does not refuse).
    pub(crate) fn new(
        model: Option<&str>,
        build: impl Fn(Operation, &str, bool) -> Result<Endpoint, ProviderError>,
    ) -> Result<ModelEndpoints, ProviderError> {
        let Some(model) = model else {
            return Ok(ModelEndpoints { fixed: None });
        };
        let mut endpoints = Vec::new();
        for operation in [
            Operation::ChatCompletions,
            Operation::Completions,
            Operation::Embeddings,
            Operation::Responses,
        ] {
            for stream in [false, true] {
                match build(operation, model, stream) {
                    Ok(endpoint) => endpoints.push(((operation, stream), endpoint)),
                    Err(ProviderError::Unsupported { .. }) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(ModelEndpoints {
            fixed: Some(FixedEndpoints {
                model: model.to_string(),
                endpoints,
            }),
        })
    }

    /// The endpoint, precomputed when `model` is the fixed one.
    pub(crate) fn get<'a>(
        &'a self,
        operation: Operation,
        model: &str,
        stream: bool,
        build: impl Fn(Operation, &str, bool) -> Result<Endpoint, ProviderError>,
    ) -> Result<Cow<'a, Endpoint>, ProviderError> {
        if let Some(fixed) = &self.fixed
            && fixed.model == model
            && let Some((_, endpoint)) = fixed
                .endpoints
                .iter()
                .find(|(key, _)| *key == (operation, stream))
        {
            return Ok(Cow::Borrowed(endpoint));
        }
        build(operation, model, stream).map(Cow::Owned)
    }
}
