//! Amazon Bedrock runtime (AWS's Bedrock Runtime API reference):
//! `POST {endpoint}/model/{modelId}/converse`, `/converse-stream` (an AWS
//! event stream) and `/invoke` (embedding models), signed with SigV4 for the
//! `bedrock` service, or with a Bedrock API key as a bearer token.
//!
//! The endpoint is `https://bedrock-runtime.{region}.amazonaws.com` unless
//! `api_base` (or LiteLLM's `aws_bedrock_runtime_endpoint`, or
//! `AWS_BEDROCK_RUNTIME_ENDPOINT`) overrides it; credentials and region are
//! resolved once, when the config is loaded (see [`credentials`]).

mod credentials;
mod sigv4;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use self::credentials::Auth;
use self::sigv4::{Signer, encode};
use crate::adapter::{Adapter, Authorize, Endpoint, ModelEndpoints, ProviderError, http_uri};
use crate::catalog::AuthStyle;
use crate::{BuildContext, DeploymentParams, headers};

/// The service name in SigV4 credential scopes.
const SERVICE: &str = "bedrock";

#[derive(Debug)]
pub struct Bedrock {
    urls: Urls,
    endpoints: ModelEndpoints,
    signing: Signing,
}

#[derive(Debug)]
enum Signing {
    /// A Bedrock API key, already in the headers.
    None,
    SigV4(Signer),
    /// No credentials were found; every request fails with this message.
    Missing(String),
}

#[derive(Debug)]
struct Urls {
    /// `scheme://host[:port][/prefix]`, without a default port, so that the
    /// signed host is the one the HTTP client sends (HTTP/1 or HTTP/2).
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
        // LiteLLM's `bedrock/converse/<model>` names the API this adapter
        // always uses.
        let model = model.strip_prefix("converse/").unwrap_or(model);
        let action = match (operation, stream) {
            (Operation::ChatCompletions, false) => "converse",
            (Operation::ChatCompletions, true) => "converse-stream",
            (Operation::Embeddings, false) => "invoke",
            (other, _) => return Err(ProviderError::unsupported("bedrock", other)),
        };
        // Model ids contain `:` and may be ARNs with `/`: one path segment,
        // percent-encoded as the AWS SDKs do.
        let model = encode(model.as_bytes());
        Ok(Endpoint {
            uri: http_uri(&format!("{}/model/{model}/{action}", self.base))?,
            headers: self.headers.clone(),
        })
    }
}

/// Builds the adapter of one Bedrock deployment.
pub(crate) fn build(
    params: DeploymentParams<'_>,
    context: &BuildContext<'_>,
) -> Result<Arc<dyn Adapter>, ProviderError> {
    let resolved = credentials::resolve(&params, context.env)?;
    let endpoint_param = params
        .extra
        .get("aws_bedrock_runtime_endpoint")
        .and_then(Value::as_str);
    let base = match params
        .api_base
        .or(endpoint_param)
        .map(str::to_owned)
        .or_else(|| (context.env)("AWS_BEDROCK_RUNTIME_ENDPOINT"))
    {
        Some(base) => without_default_port(base.trim_end_matches('/'))?,
        None => format!("https://bedrock-runtime.{}.amazonaws.com", resolved.region),
    };
    let (bearer, signing) = match resolved.auth {
        Auth::Bearer(token) => (Some(token), Signing::None),
        Auth::SigV4(credentials) => (
            None,
            Signing::SigV4(Signer {
                credentials,
                region: resolved.region,
                service: SERVICE,
            }),
        ),
        Auth::Missing(message) => (None, Signing::Missing(message)),
    };
    let style = if bearer.is_some() {
        AuthStyle::Bearer
    } else {
        AuthStyle::None
    };
    let headers = headers::base_headers(style, bearer.as_deref(), params.extra)?;
    let urls = Urls { base, headers };
    let endpoints = ModelEndpoints::new(params.upstream_model, |op, m, s| urls.build(op, m, s))?;
    Ok(Arc::new(Bedrock {
        urls,
        endpoints,
        signing,
    }))
}

/// `https://host:443/x` → `https://host/x` (and `:80` for http).
fn without_default_port(base: &str) -> Result<String, ProviderError> {
    let uri = http_uri(base)?;
    let default = matches!(
        (uri.scheme_str(), uri.port_u16()),
        (Some("https"), Some(443)) | (Some("http"), Some(80))
    );
    match (default, uri.port()) {
        (true, Some(port)) => Ok(base.replacen(&format!(":{}", port.as_str()), "", 1)),
        _ => Ok(base.to_owned()),
    }
}

impl Adapter for Bedrock {
    fn provider(&self) -> &str {
        "bedrock"
    }

    fn wire(&self) -> Wire {
        Wire::Bedrock
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

    /// Signs the request over its body: a signature cannot be precomputed,
    /// as it covers the time and the payload.
    fn authorize<'a>(
        &'a self,
        request: &'a mut http::request::Parts,
        body: &'a [Bytes],
    ) -> Option<Authorize<'a>> {
        let result = match &self.signing {
            Signing::None => return None,
            Signing::SigV4(signer) => signer.sign(request, body, SystemTime::now()),
            Signing::Missing(message) => Err(ProviderError::Credentials(message.clone())),
        };
        Some(Box::pin(std::future::ready(result)))
    }
}

#[cfg(test)]
mod tests;
