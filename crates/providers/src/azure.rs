//! Azure OpenAI: the deployment name is in the URL, the API version in the
//! query, and the key in an `api-key` header.
//!
//! `{api_base}/openai/deployments/{deployment}/chat/completions?api-version={v}`
//! (Azure OpenAI REST reference, data plane inference).

use std::borrow::Cow;

use http::HeaderMap;
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::adapter::{Adapter, Endpoint, ModelEndpoints, ProviderError, http_uri};

/// The API version used when neither the deployment (`api_version`) nor the
/// environment (`AZURE_API_VERSION`) names one: the latest GA data-plane
/// version at the time of writing.
pub const DEFAULT_API_VERSION: &str = "2024-10-21";

#[derive(Debug)]
pub struct Azure {
    urls: Urls,
    endpoints: ModelEndpoints,
}

#[derive(Debug)]
struct Urls {
    base: String,
    api_version: String,
    headers: HeaderMap,
}

impl Urls {
    fn build(
        &self,
        operation: Operation,
        deployment: &str,
        _stream: bool,
    ) -> Result<Endpoint, ProviderError> {
        let url = format!(
            "{}/openai/deployments/{}{}?api-version={}",
            self.base,
            deployment,
            operation.path(),
            self.api_version
        );
        Ok(Endpoint {
            uri: http_uri(&url)?,
            headers: self.headers.clone(),
        })
    }
}

impl Azure {
    pub fn new(
        base: &str,
        api_version: &str,
        headers: HeaderMap,
        deployment: Option<&str>,
    ) -> Result<Azure, ProviderError> {
        let urls = Urls {
            base: base.trim_end_matches('/').to_string(),
            api_version: api_version.to_string(),
            headers,
        };
        let endpoints = ModelEndpoints::new(deployment, |op, model, stream| {
            urls.build(op, model, stream)
        })?;
        Ok(Azure { urls, endpoints })
    }
}

impl Adapter for Azure {
    fn provider(&self) -> &str {
        "azure"
    }

    fn wire(&self) -> Wire {
        Wire::OpenAi
    }

    fn endpoint(
        &self,
        operation: Operation,
        upstream_model: &str,
        stream: bool,
    ) -> Result<Cow<'_, Endpoint>, ProviderError> {
        self.endpoints
            .get(operation, upstream_model, stream, |op, model, stream| {
                self.urls.build(op, model, stream)
            })
    }
}
