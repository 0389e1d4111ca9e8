//! Google Vertex AI (`vertex_ai/<model>` in LiteLLM's config): Gemini models
//! on Google's publisher endpoints and Claude models on Anthropic's, both
//! with OAuth 2.0 access tokens.
//!
//! - `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
//!   and `:streamGenerateContent?alt=sse`: the Gemini wire, unchanged;
//! - `.../publishers/anthropic/models/{model}:rawPredict` and
//!   `:streamRawPredict`: the Anthropic Messages wire, with the model in the
//!   URL instead of the body and `"anthropic_version": "vertex-2023-10-16"`
//!   in the body instead of a header.
//!
//! Location `global` uses the host `aiplatform.googleapis.com`; `api_base`
//! replaces the scheme and host (a trailing `/v1` is allowed). Which
//! publisher serves a model follows from its name: `claude-*` (also with
//! Vertex's `@date` versions, `claude-sonnet-4@20250514`) is Anthropic's,
//! `gemini-*` Google's; other Vertex models (partner models, tuned-model
//! endpoints, `gemini/<endpoint-id>`) are not supported yet. A wildcard
//! deployment (`vertex_ai/*`) speaks the Gemini wire, so it serves Gemini
//! models; each Claude model needs a deployment of its own. Embeddings
//! (`:predict`) are not supported yet either: the Gemini wire's embeddings
//! codec speaks AI Studio's `batchEmbedContents`.
//!
//! Project, location and credentials: see [`credentials`].

mod credentials;
mod jwt;
mod token;

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use http::header::AUTHORIZATION;
use serde_json::{Map, Value};
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use self::credentials::Auth;
use self::token::TokenSource;
use crate::adapter::{Adapter, Authorize, Endpoint, ModelEndpoints, ProviderError, http_uri};
use crate::catalog::AuthStyle;
use crate::{BuildContext, DeploymentParams, headers};

const PROVIDER: &str = "vertex_ai";
/// The Messages API version Vertex AI takes, in the body.
const ANTHROPIC_VERSION: &str = "vertex-2023-10-16";

/// Who publishes a model on Vertex AI, which decides its wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Publisher {
    Google,
    Anthropic,
}

impl Publisher {
    fn of(model: &str) -> Result<Publisher, ProviderError> {
        if model.starts_with("claude-") {
            Ok(Publisher::Anthropic)
        } else if model.starts_with("gemini-") {
            Ok(Publisher::Google)
        } else {
            Err(ProviderError::Unsupported {
                provider: PROVIDER.to_owned(),
                operation: "this model: use a `gemini-*` or `claude-*` model",
            })
        }
    }

    fn wire(self) -> Wire {
        match self {
            Publisher::Google => Wire::Gemini,
            Publisher::Anthropic => Wire::Anthropic,
        }
    }
}

#[derive(Debug)]
pub struct Vertex {
    urls: Urls,
    endpoints: ModelEndpoints,
    /// The fixed model's publisher; Google for wildcard deployments.
    publisher: Publisher,
    credentials: Credentials,
}

#[derive(Debug)]
enum Credentials {
    /// An access token, already in the headers.
    Static,
    OAuth(Arc<TokenSource>),
    /// No credentials were found; every request fails with this message.
    Missing(String),
}

#[derive(Debug)]
struct Urls {
    /// `{base}/v1/projects/{project}/locations/{location}/publishers`.
    prefix: String,
    headers: HeaderMap,
    /// The wire the adapter speaks: a model of another publisher cannot be
    /// served by it.
    publisher: Publisher,
}

impl Urls {
    fn build(
        &self,
        operation: Operation,
        model: &str,
        stream: bool,
    ) -> Result<Endpoint, ProviderError> {
        let publisher = Publisher::of(model)?;
        if publisher != self.publisher {
            return Err(ProviderError::Unsupported {
                provider: PROVIDER.to_owned(),
                operation: "Claude models through a wildcard deployment: give each Claude model \
                            a deployment of its own (`model: vertex_ai/claude-...`)",
            });
        }
        // The model goes into the path: a wildcard group's caller must not
        // be able to add segments or a query to it.
        if !model
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._@".contains(&b))
        {
            return Err(ProviderError::Unsupported {
                provider: PROVIDER.to_owned(),
                operation: "model names with characters other than letters, digits, `-`, `.`, \
                            `_` and `@`",
            });
        }
        let (path, action) = match (publisher, operation, stream) {
            (Publisher::Google, Operation::ChatCompletions, false) => ("google", "generateContent"),
            (Publisher::Google, Operation::ChatCompletions, true) => {
                ("google", "streamGenerateContent?alt=sse")
            }
            (Publisher::Anthropic, Operation::ChatCompletions, false) => {
                ("anthropic", "rawPredict")
            }
            (Publisher::Anthropic, Operation::ChatCompletions, true) => {
                ("anthropic", "streamRawPredict")
            }
            (_, other, _) => return Err(ProviderError::unsupported(PROVIDER, other)),
        };
        Ok(Endpoint {
            uri: http_uri(&format!("{}/{path}/models/{model}:{action}", self.prefix))?,
            headers: self.headers.clone(),
        })
    }
}

/// Builds the adapter of one Vertex AI deployment.
pub(crate) fn build(
    params: DeploymentParams<'_>,
    context: &BuildContext<'_>,
) -> Result<Arc<dyn Adapter>, ProviderError> {
    let publisher = match params.upstream_model {
        Some(model) => Publisher::of(model).map_err(|_| {
            ProviderError::Credentials(format!(
                "vertex_ai: model `{model}` is not supported: switchboard reaches Gemini \
                 (`vertex_ai/gemini-*`) and Claude (`vertex_ai/claude-*`) models on Vertex AI"
            ))
        })?,
        None => Publisher::Google,
    };
    let resolved = credentials::resolve(&params, context.env)?;
    let host = match params.api_base {
        Some(base) => {
            let base = base.trim_end_matches('/');
            base.strip_suffix("/v1").unwrap_or(base).to_owned()
        }
        None if resolved.location == "global" => "https://aiplatform.googleapis.com".to_owned(),
        None => format!("https://{}-aiplatform.googleapis.com", resolved.location),
    };
    let (token, credentials) = match resolved.auth {
        Auth::Token(token) => (Some(token), Credentials::Static),
        Auth::Grant(grant) => (None, Credentials::OAuth(TokenSource::shared(*grant))),
        Auth::Missing(message) => (None, Credentials::Missing(message)),
    };
    let style = match token {
        Some(_) => AuthStyle::Bearer,
        None => AuthStyle::None,
    };
    let urls = Urls {
        prefix: format!(
            "{host}/v1/projects/{}/locations/{}/publishers",
            resolved.project, resolved.location
        ),
        headers: headers::base_headers(style, token.as_deref(), params.extra)?,
        publisher,
    };
    let endpoints = ModelEndpoints::new(params.upstream_model, |op, m, s| urls.build(op, m, s))?;
    Ok(Arc::new(Vertex {
        urls,
        endpoints,
        publisher,
        credentials,
    }))
}

impl Adapter for Vertex {
    fn provider(&self) -> &str {
        PROVIDER
    }

    /// Anthropic's for Claude models, so an Anthropic client in front of
    /// Claude on Vertex AI is a passthrough; Gemini's otherwise.
    fn wire(&self) -> Wire {
        self.publisher.wire()
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

    /// A fresh access token goes in without a future (no allocation);
    /// only a refresh, or a missing credential, needs one.
    fn authorize<'a>(
        &'a self,
        request: &'a mut http::request::Parts,
        _body: &'a [Bytes],
    ) -> Option<Authorize<'a>> {
        match &self.credentials {
            Credentials::Static => None,
            Credentials::OAuth(source) => {
                if let Some(header) = source.cached() {
                    request.headers.insert(AUTHORIZATION, header);
                    return None;
                }
                Some(Box::pin(async move {
                    let header = source.authorization().await?;
                    request.headers.insert(AUTHORIZATION, header);
                    Ok(())
                }))
            }
            Credentials::Missing(message) => Some(Box::pin(std::future::ready(Err(
                ProviderError::Credentials(message.clone()),
            )))),
        }
    }

    fn adjusts_body(&self) -> bool {
        self.publisher == Publisher::Anthropic
    }

    /// Vertex AI takes the model from the URL, and the API version in the
    /// body.
    fn adjust_body(&self, body: &mut Map<String, Value>) {
        if self.publisher == Publisher::Anthropic {
            body.remove("model");
            body.insert(
                "anthropic_version".to_owned(),
                Value::String(ANTHROPIC_VERSION.to_owned()),
            );
        }
    }
}

#[cfg(test)]
mod tests;
