//! Cohere's v2 API: `POST {base}/v2/chat` (streaming is a body flag, same
//! URL), `/v2/embed`, `/v2/rerank`; key in `Authorization: Bearer` (Cohere
//! API reference). The model travels in the body, so the endpoints are
//! built once.

use std::borrow::Cow;

use http::HeaderMap;
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::adapter::{Adapter, Endpoint, ProviderError, http_uri};

pub const DEFAULT_BASE: &str = "https://api.cohere.com";

/// Path suffixes LiteLLM users put in a Cohere `api_base` (LiteLLM's own
/// default is the full `/v2/chat` URL), removed to find the base.
const BASE_SUFFIXES: [&str; 6] = [
    "/v2/chat",
    "/v2/embed",
    "/v2/rerank",
    "/v1/chat",
    "/v2",
    "/v1",
];

#[derive(Debug)]
pub struct Cohere {
    chat: Endpoint,
    embed: Endpoint,
}

impl Cohere {
    pub fn new(base: &str, headers: HeaderMap) -> Result<Cohere, ProviderError> {
        let mut base = base.trim_end_matches('/');
        if let Some(stripped) = BASE_SUFFIXES
            .iter()
            .find_map(|suffix| base.strip_suffix(suffix))
        {
            base = stripped;
        }
        let endpoint = |path: &str| -> Result<Endpoint, ProviderError> {
            Ok(Endpoint {
                uri: http_uri(&format!("{base}{path}"))?,
                headers: headers.clone(),
            })
        };
        Ok(Cohere {
            chat: endpoint("/v2/chat")?,
            embed: endpoint("/v2/embed")?,
        })
    }
}

impl Adapter for Cohere {
    fn provider(&self) -> &str {
        "cohere"
    }

    fn wire(&self) -> Wire {
        Wire::Cohere
    }

    fn endpoint(
        &self,
        operation: Operation,
        _upstream_model: &str,
        _stream: bool,
    ) -> Result<Cow<'_, Endpoint>, ProviderError> {
        match operation {
            Operation::ChatCompletions => Ok(Cow::Borrowed(&self.chat)),
            Operation::Embeddings => Ok(Cow::Borrowed(&self.embed)),
            other => Err(ProviderError::unsupported("cohere", other)),
        }
    }
}

/// The rerank endpoint of a deployment's adapter: Cohere's `/v2/rerank`,
/// else `Unsupported`.
///
/// Rerank is not one of the OpenAI operations adapters are asked for, so it
/// is found here, from the chat endpoint: a Cohere adapter's chat URL is
/// always `{base}/v2/chat`.
pub fn rerank_endpoint(adapter: &dyn Adapter) -> Result<Endpoint, ProviderError> {
    let unsupported = || ProviderError::Unsupported {
        provider: adapter.provider().to_string(),
        operation: "rerank",
    };
    if adapter.wire() != Wire::Cohere {
        return Err(unsupported());
    }
    let chat = adapter.endpoint(Operation::ChatCompletions, "", false)?;
    let url = chat.uri.to_string();
    let base = url.strip_suffix("/v2/chat").ok_or_else(unsupported)?;
    Ok(Endpoint {
        uri: http_uri(&format!("{base}/v2/rerank"))?,
        headers: chat.headers.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{BuildContext, DeploymentParams, build_adapter};

    fn build(
        api_base: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> std::sync::Arc<dyn Adapter> {
        let extra = BTreeMap::new();
        let params = DeploymentParams {
            provider: "cohere",
            api_base,
            api_key: None,
            api_version: None,
            upstream_model: Some("command-a-03-2025"),
            extra: &extra,
        };
        let context = BuildContext {
            env,
            mock_base_url: None,
        };
        build_adapter(params, &context).unwrap()
    }

    #[test]
    fn endpoints_and_bearer_key_from_either_variable() {
        for variable in ["COHERE_API_KEY", "CO_API_KEY"] {
            let env = |name: &str| (name == variable).then(|| "co-key".to_string());
            let adapter = build(None, &env);
            assert_eq!(adapter.provider(), "cohere");
            assert_eq!(adapter.wire(), Wire::Cohere);
            let chat = adapter
                .endpoint(Operation::ChatCompletions, "m", true)
                .unwrap();
            assert_eq!(chat.uri.to_string(), "https://api.cohere.com/v2/chat");
            assert_eq!(chat.headers["authorization"], "Bearer co-key");
            let embed = adapter.endpoint(Operation::Embeddings, "m", false).unwrap();
            assert_eq!(embed.uri.to_string(), "https://api.cohere.com/v2/embed");
            let rerank = rerank_endpoint(adapter.as_ref()).unwrap();
            assert_eq!(rerank.uri.to_string(), "https://api.cohere.com/v2/rerank");
            assert_eq!(rerank.headers["authorization"], "Bearer co-key");
            assert!(matches!(
                adapter.endpoint(Operation::Completions, "m", false),
                Err(ProviderError::Unsupported { .. })
            ));
        }
    }

    #[test]
    fn api_base_overrides_with_or_without_a_path() {
        let no_env = |_: &str| None;
        for base in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9/v1",
            "http://127.0.0.1:9/v2",
            "http://127.0.0.1:9/v2/chat",
        ] {
            let adapter = build(Some(base), &no_env);
            let chat = adapter
                .endpoint(Operation::ChatCompletions, "m", false)
                .unwrap();
            assert_eq!(chat.uri.to_string(), "http://127.0.0.1:9/v2/chat", "{base}");
            assert!(!chat.headers.contains_key("authorization"));
        }
        let env = |name: &str| (name == "COHERE_API_BASE").then(|| "http://env:1".to_string());
        let adapter = build(None, &env);
        let rerank = rerank_endpoint(adapter.as_ref()).unwrap();
        assert_eq!(rerank.uri.to_string(), "http://env:1/v2/rerank");
    }

    #[test]
    fn other_providers_do_not_rerank() {
        let extra = BTreeMap::new();
        let params = DeploymentParams {
            provider: "groq",
            api_base: None,
            api_key: Some("k"),
            api_version: None,
            upstream_model: Some("m"),
            extra: &extra,
        };
        let no_env = |_: &str| None;
        let context = BuildContext {
            env: &no_env,
            mock_base_url: None,
        };
        let adapter = build_adapter(params, &context).unwrap();
        let error = rerank_endpoint(adapter.as_ref()).unwrap_err();
        assert_eq!(error.to_string(), "provider `groq` does not support rerank");
    }
}
