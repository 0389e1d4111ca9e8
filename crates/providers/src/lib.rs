//! Providers: the catalog of names, the adapters that know each provider's
//! URLs, credentials and quirks, and the pooled upstream HTTP client.
//!
//! The request path sees only [`Adapter`]; which adapter a deployment gets is
//! decided once, here, when the config is loaded.

mod adapter;
mod anthropic;
mod azure;
mod bedrock;
pub mod body;
pub mod catalog;
pub mod client;
mod cohere;
mod gemini;
mod headers;
mod openai_compatible;
mod vertex;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use adapter::{Adapter, Authorize, Endpoint, ProviderError, adjusted_body};
pub use anthropic::Anthropic;
pub use azure::Azure;
pub use catalog::{AuthStyle, CatalogEntry, StreamUsage};
pub use cohere::{Cohere, rerank_endpoint};
pub use gemini::Gemini;
pub use openai_compatible::OpenAiCompatible;
use serde_json::Value;
pub use vertex::Vertex;

/// LiteLLM provider names that are another provider under a second name.
const ALIASES: &[(&str, &str)] = &[
    ("text-completion-openai", "openai"),
    ("azure_text", "azure"),
    ("vllm", "hosted_vllm"),
    ("cohere_chat", "cohere"),
];

/// The settings of one deployment that decide how to reach its provider
/// (LiteLLM's `litellm_params`).
#[derive(Debug, Clone, Copy)]
pub struct DeploymentParams<'a> {
    pub provider: &'a str,
    pub api_base: Option<&'a str>,
    pub api_key: Option<&'a str>,
    pub api_version: Option<&'a str>,
    /// The upstream model when it is fixed (not a wildcard).
    pub upstream_model: Option<&'a str>,
    /// The other `litellm_params` (`extra_headers`, `azure_ad_token`, ...).
    pub extra: &'a BTreeMap<String, Value>,
}

/// What adapters may consult while being built.
pub struct BuildContext<'a> {
    /// Environment lookup (the config's `environment_variables`, then the
    /// process environment).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Base URL of the built-in mock provider, when it runs.
    pub mock_base_url: Option<&'a str>,
}

/// Providers with an adapter of their own (not in the OpenAI-compatible
/// catalog): name, what it is, key variables, base URL variables.
struct Native {
    name: &'static str,
    about: &'static str,
    key_env: &'static [&'static str],
    base_env: &'static [&'static str],
}

const NATIVE: &[Native] = &[
    Native {
        name: "anthropic",
        about: "Anthropic Messages API (https://api.anthropic.com)",
        key_env: &["ANTHROPIC_API_KEY"],
        base_env: &["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"],
    },
    Native {
        name: "gemini",
        about: "Google AI Studio Gemini API (generativelanguage.googleapis.com/v1beta)",
        key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        base_env: &["GEMINI_API_BASE"],
    },
    Native {
        name: "cohere",
        about: "Cohere v2 API: chat, embed, rerank (https://api.cohere.com)",
        key_env: &["COHERE_API_KEY", "CO_API_KEY"],
        base_env: &["COHERE_API_BASE"],
    },
    Native {
        name: "bedrock",
        about: "Amazon Bedrock Converse API (SigV4 from AWS keys or profiles, or a Bedrock API key)",
        key_env: &["AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID"],
        base_env: &["AWS_BEDROCK_RUNTIME_ENDPOINT"],
    },
    Native {
        name: "vertex_ai",
        about: "Google Vertex AI: Gemini and Claude models (OAuth from a service account or an access token)",
        // Zero config offers `vertex_ai/*` only when a project is named:
        // Google credentials alone are common on machines that do not use
        // Vertex AI.
        key_env: &["VERTEXAI_PROJECT"],
        base_env: &[],
    },
    Native {
        name: "azure",
        about: "Azure OpenAI deployments (api_base, api_version, api-key)",
        key_env: &["AZURE_API_KEY"],
        base_env: &["AZURE_API_BASE"],
    },
    Native {
        name: "mock",
        about: "the built-in mock provider, for trying switchboard offline",
        key_env: &[],
        base_env: &[],
    },
];

fn native(name: &str) -> Option<&'static Native> {
    NATIVE.iter().find(|n| n.name == name)
}

/// Splits `provider/model`. A model without a provider is OpenAI's, as in
/// LiteLLM (`gpt-4o` means `openai/gpt-4o`).
pub fn split_model(model: &str) -> (&str, &str) {
    match model.split_once('/') {
        Some((provider, rest)) if is_provider(provider) => (canonical(provider), rest),
        _ => ("openai", model),
    }
}

/// Whether `name` is a provider switchboard can reach.
pub fn is_provider(name: &str) -> bool {
    let name = canonical(name);
    native(name).is_some() || catalog::find(name).is_some()
}

fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, target)| target)
}

/// Every provider name with a line about it, for `switchboard providers`.
pub fn provider_names() -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = NATIVE
        .iter()
        .map(|n| (n.name.to_string(), n.about.to_string()))
        .collect();
    names.extend(catalog::catalog().iter().map(|entry| {
        let base = entry.base_url.as_deref().unwrap_or("(api_base required)");
        (entry.name.clone(), base.to_string())
    }));
    names.sort();
    names
}

/// Providers that can be used with no config: those whose key variable is
/// set and whose URL is known (from a default or the environment).
pub fn discoverable(env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut found = Vec::new();
    for native in NATIVE {
        let has_key = native.key_env.iter().any(|name| env(name).is_some());
        // Azure has no default URL: it needs its base variable too.
        let has_base = native.name != "azure" || native.base_env.iter().any(|n| env(n).is_some());
        if has_key && has_base {
            found.push(native.name.to_string());
        }
    }
    for entry in catalog::catalog() {
        let has_key = entry.key_env.iter().any(|name| env(name).is_some());
        if has_key && entry.base_url.is_some() {
            found.push(entry.name.clone());
        }
    }
    found
}

/// Builds the adapter for one deployment.
pub fn build_adapter(
    params: DeploymentParams<'_>,
    context: &BuildContext<'_>,
) -> Result<Arc<dyn Adapter>, ProviderError> {
    let provider = canonical(params.provider);
    match provider {
        "azure" => build_azure(params, context),
        "anthropic" => {
            let (base, key) =
                native_base_and_key("anthropic", anthropic::DEFAULT_BASE, params, context);
            let headers = headers::base_headers(AuthStyle::XApiKey, key.as_deref(), params.extra)?;
            Ok(Arc::new(Anthropic::new(&base, headers)?))
        }
        "gemini" => {
            let (base, key) = native_base_and_key("gemini", gemini::DEFAULT_BASE, params, context);
            let headers =
                headers::base_headers(AuthStyle::XGoogApiKey, key.as_deref(), params.extra)?;
            Ok(Arc::new(Gemini::new(
                &base,
                headers,
                params.upstream_model,
            )?))
        }
        "cohere" => {
            let (base, key) = native_base_and_key("cohere", cohere::DEFAULT_BASE, params, context);
            let headers = headers::base_headers(AuthStyle::Bearer, key.as_deref(), params.extra)?;
            Ok(Arc::new(Cohere::new(&base, headers)?))
        }
        "bedrock" => bedrock::build(params, context),
        "vertex_ai" => vertex::build(params, context),
        "mock" => {
            let base = params.api_base.or(context.mock_base_url).ok_or_else(|| {
                ProviderError::MissingApiBase("mock".into(), "run with zero config".into())
            })?;
            let headers = headers::base_headers(AuthStyle::Bearer, params.api_key, params.extra)?;
            // The mock serves every OpenAI API, `/responses` included.
            Ok(Arc::new(OpenAiCompatible::new(
                "mock",
                base,
                headers,
                StreamUsage::StreamOptions,
                true,
            )?))
        }
        name => {
            let entry = catalog::find(name)
                .ok_or_else(|| ProviderError::UnknownProvider(name.to_string()))?;
            build_from_catalog(entry, params, context)
        }
    }
}

/// A native provider's base URL and key: the deployment's own, else the
/// provider's environment variables, else the default URL.
fn native_base_and_key(
    name: &str,
    default_base: &str,
    params: DeploymentParams<'_>,
    context: &BuildContext<'_>,
) -> (String, Option<String>) {
    let spec = native(name);
    let from_env = |names: &[&str]| names.iter().find_map(|n| (context.env)(n));
    let base = params
        .api_base
        .map(str::to_string)
        .or_else(|| spec.and_then(|s| from_env(s.base_env)))
        .unwrap_or_else(|| default_base.to_string());
    let key = params
        .api_key
        .map(str::to_string)
        .or_else(|| spec.and_then(|s| from_env(s.key_env)));
    (base, key)
}

fn first_env(context: &BuildContext<'_>, names: &[String]) -> Option<String> {
    names.iter().find_map(|name| (context.env)(name))
}

fn build_from_catalog(
    entry: &CatalogEntry,
    params: DeploymentParams<'_>,
    context: &BuildContext<'_>,
) -> Result<Arc<dyn Adapter>, ProviderError> {
    let base = match params.api_base {
        Some(base) => {
            let base = base.trim_end_matches('/');
            match &entry.base_suffix {
                Some(suffix) if !base.ends_with(suffix.as_str()) => format!("{base}{suffix}"),
                _ => base.to_string(),
            }
        }
        None => first_env(context, &entry.base_env)
            .or_else(|| entry.base_url.clone())
            .ok_or_else(|| {
                let hint = match entry.base_env.first() {
                    Some(var) => format!("the {var} environment variable"),
                    None => "a base URL".to_string(),
                };
                ProviderError::MissingApiBase(entry.name.clone(), hint)
            })?,
    };
    let key = params
        .api_key
        .map(str::to_string)
        .or_else(|| first_env(context, &entry.key_env));
    let headers = headers::base_headers(entry.auth, key.as_deref(), params.extra)?;
    Ok(Arc::new(OpenAiCompatible::new(
        &entry.name,
        &base,
        headers,
        entry.stream_usage,
        entry.responses,
    )?))
}

fn build_azure(
    params: DeploymentParams<'_>,
    context: &BuildContext<'_>,
) -> Result<Arc<dyn Adapter>, ProviderError> {
    let base = params
        .api_base
        .map(str::to_string)
        .or_else(|| (context.env)("AZURE_API_BASE"))
        .ok_or_else(|| {
            ProviderError::MissingApiBase("azure".into(), "the AZURE_API_BASE variable".into())
        })?;
    let version = params
        .api_version
        .map(str::to_string)
        .or_else(|| (context.env)("AZURE_API_VERSION"))
        .unwrap_or_else(|| azure::DEFAULT_API_VERSION.to_string());
    // An Entra ID token (`azure_ad_token`) goes in `Authorization: Bearer`;
    // an API key in `api-key`.
    let ad_token = params
        .extra
        .get("azure_ad_token")
        .and_then(Value::as_str)
        .map(str::to_string);
    let headers = match ad_token {
        Some(token) => headers::base_headers(AuthStyle::Bearer, Some(&token), params.extra)?,
        None => {
            let key = params
                .api_key
                .map(str::to_string)
                .or_else(|| (context.env)("AZURE_API_KEY"));
            headers::base_headers(AuthStyle::ApiKey, key.as_deref(), params.extra)?
        }
    };
    Ok(Arc::new(Azure::new(
        &base,
        &version,
        headers,
        params.upstream_model,
    )?))
}

#[cfg(test)]
mod tests;
