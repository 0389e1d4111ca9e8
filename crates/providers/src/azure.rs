//! Azure OpenAI: the deployment name is in the URL, the API version in the
//! query, and the key in an `api-key` header.
//!
//! `{api_base}/openai/deployments/{deployment}/chat/completions?api-version={v}`
//! (Azure OpenAI REST reference, data plane inference). The Responses API
//! is not per deployment: `{api_base}/openai/responses?api-version={v}`,
//! with the deployment as the body's `model`.

use std::borrow::Cow;

use http::HeaderMap;
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::adapter::{Adapter, Endpoint, ModelEndpoints, ProviderError, http_uri};

/// The API version used when neither the deployment (`api_version`) nor the
/// environment (`AZURE_API_VERSION`) names one: the latest GA data-plane
/// version at the time of writing.
pub const DEFAULT_API_VERSION: &str = "2024-10-21";

/// The first API version with the Responses API; older dated versions
/// (such as the default above, which chat deployments keep) are replaced
/// by [`RESPONSES_API_VERSION`] for `/openai/responses`.
const FIRST_RESPONSES_API_VERSION: &str = "2025-03-01-preview";

/// The version used for the Responses API when the configured one
/// predates it: the one Azure's Responses API documentation uses.
pub const RESPONSES_API_VERSION: &str = "2025-04-01-preview";

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
        let url = if operation == Operation::Responses {
            format!(
                "{}/openai/responses?api-version={}",
                self.base,
                responses_api_version(&self.api_version)
            )
        } else {
            format!(
                "{}/openai/deployments/{}{}?api-version={}",
                self.base,
                deployment,
                operation.path(),
                self.api_version
            )
        };
        Ok(Endpoint {
            uri: http_uri(&url)?,
            headers: self.headers.clone(),
        })
    }
}

/// `configured`, unless it is a dated version older than the Responses
/// API; undated ones (`preview`, `latest`) are the caller's choice.
fn responses_api_version(configured: &str) -> &str {
    let dated = configured.starts_with(|c: char| c.is_ascii_digit());
    // ISO dates compare as strings.
    if dated && configured < FIRST_RESPONSES_API_VERSION {
        RESPONSES_API_VERSION
    } else {
        configured
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

    fn serves_responses(&self) -> bool {
        true
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

#[cfg(test)]
mod tests {
    use super::*;

    fn responses_url(api_version: &str) -> String {
        let azure = Azure::new(
            "https://res.openai.azure.com/",
            api_version,
            HeaderMap::new(),
            Some("gpt4o-eu"),
        )
        .unwrap();
        let endpoint = azure
            .endpoint(Operation::Responses, "gpt4o-eu", true)
            .unwrap();
        assert!(matches!(endpoint, Cow::Borrowed(_)));
        endpoint.uri.to_string()
    }

    #[test]
    fn responses_are_not_per_deployment_and_need_a_recent_version() {
        assert_eq!(
            responses_url("2025-04-01-preview"),
            "https://res.openai.azure.com/openai/responses?api-version=2025-04-01-preview"
        );
        assert_eq!(
            responses_url("2025-03-01-preview"),
            "https://res.openai.azure.com/openai/responses?api-version=2025-03-01-preview"
        );
        assert_eq!(
            responses_url(DEFAULT_API_VERSION),
            format!(
                "https://res.openai.azure.com/openai/responses?api-version={RESPONSES_API_VERSION}"
            )
        );
        assert_eq!(
            responses_url("preview"),
            "https://res.openai.azure.com/openai/responses?api-version=preview"
        );
    }
}
