//! Azure OpenAI: the deployment name is in the URL, the API version in the
//! query, and the key in an `api-key` header.
//!
//! `{api_base}/openai/deployments/{deployment}/chat/completions?api-version={v}`
//! (Azure OpenAI REST reference, data plane inference).

use std::borrow::Cow;

use http::{HeaderMap, Uri};
use switchboard_api::openai::Operation;

use crate::adapter::{Adapter, Endpoint, ProviderError};
use crate::catalog::StreamUsage;

/// The API version used when neither the deployment (`api_version`) nor the
/// environment (`AZURE_API_VERSION`) names one: the latest GA data-plane
/// version at the time of writing.
pub const DEFAULT_API_VERSION: &str = "2024-10-21";

#[derive(Debug)]
pub struct Azure {
    base: String,
    api_version: String,
    headers: HeaderMap,
    /// Endpoints for the configured deployment, built once.
    fixed: Option<(String, [Endpoint; 3])>,
}

impl Azure {
    pub fn new(
        base: &str,
        api_version: &str,
        headers: HeaderMap,
        deployment: Option<&str>,
    ) -> Result<Azure, ProviderError> {
        let mut azure = Azure {
            base: base.trim_end_matches('/').to_string(),
            api_version: api_version.to_string(),
            headers,
            fixed: None,
        };
        if let Some(name) = deployment {
            let endpoints = [
                azure.build(Operation::ChatCompletions, name)?,
                azure.build(Operation::Completions, name)?,
                azure.build(Operation::Embeddings, name)?,
            ];
            azure.fixed = Some((name.to_string(), endpoints));
        }
        Ok(azure)
    }

    fn build(&self, operation: Operation, deployment: &str) -> Result<Endpoint, ProviderError> {
        let url = format!(
            "{}/openai/deployments/{}{}?api-version={}",
            self.base,
            deployment,
            operation.path(),
            self.api_version
        );
        let uri: Uri = url
            .parse()
            .map_err(|e| ProviderError::invalid_url(&url, e))?;
        if !matches!(uri.scheme_str(), Some("http") | Some("https")) {
            return Err(ProviderError::invalid_url(
                &self.base,
                "must start with http:// or https://",
            ));
        }
        Ok(Endpoint {
            uri,
            headers: self.headers.clone(),
        })
    }
}

fn index(operation: Operation) -> usize {
    match operation {
        Operation::ChatCompletions => 0,
        Operation::Completions => 1,
        Operation::Embeddings => 2,
    }
}

impl Adapter for Azure {
    fn provider(&self) -> &str {
        "azure"
    }

    fn stream_usage(&self) -> StreamUsage {
        StreamUsage::StreamOptions
    }

    fn endpoint(
        &self,
        operation: Operation,
        upstream_model: &str,
    ) -> Result<Cow<'_, Endpoint>, ProviderError> {
        match &self.fixed {
            Some((name, endpoints)) if name == upstream_model => {
                Ok(Cow::Borrowed(&endpoints[index(operation)]))
            }
            _ => self.build(operation, upstream_model).map(Cow::Owned),
        }
    }
}
