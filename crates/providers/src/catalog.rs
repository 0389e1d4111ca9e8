//! The catalog of OpenAI-compatible providers, a data file (`catalog.yaml`)
//! compiled into the binary: adding a provider is adding a row.

use std::sync::OnceLock;

use serde::Deserialize;

const CATALOG_YAML: &str = include_str!("../catalog.yaml");

/// How a provider wants its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AuthStyle {
    /// `Authorization: Bearer KEY`.
    #[default]
    Bearer,
    /// `api-key: KEY` (Azure and Azure AI).
    ApiKey,
    /// `x-api-key: KEY` (Anthropic).
    XApiKey,
    /// `x-goog-api-key: KEY` (Gemini).
    XGoogApiKey,
    /// No credentials (local servers).
    None,
}

/// How a provider reports token usage in streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StreamUsage {
    /// Sends usage when asked with `stream_options.include_usage`.
    #[default]
    StreamOptions,
    /// Sends usage unasked and does not accept `stream_options`.
    Always,
}

/// One provider of the catalog.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    pub name: String,
    pub base_url: Option<String>,
    #[serde(default)]
    pub key_env: Vec<String>,
    #[serde(default)]
    pub base_env: Vec<String>,
    #[serde(default)]
    pub auth: AuthStyle,
    #[serde(default)]
    pub key_optional: bool,
    #[serde(default)]
    pub base_suffix: Option<String>,
    #[serde(default)]
    pub stream_usage: StreamUsage,
    /// The provider serves OpenAI's Responses API (`/responses`) itself.
    #[serde(default)]
    pub responses: bool,
    pub docs: String,
}

/// Every catalog row, parsed once.
pub fn catalog() -> &'static [CatalogEntry] {
    static CATALOG: OnceLock<Vec<CatalogEntry>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // The file is part of the source tree and a unit test parses it, so a
        // failure here is a build defect; an empty catalog keeps the gateway
        // up (with only native providers) instead of panicking.
        serde_saphyr::from_str(CATALOG_YAML).unwrap_or_else(|error| {
            tracing::error!(%error, "the built-in provider catalog does not parse");
            Vec::new()
        })
    })
}

/// The row for `name`, if any.
pub fn find(name: &str) -> Option<&'static CatalogEntry> {
    catalog().iter().find(|entry| entry.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_and_names_are_unique() {
        let entries: Vec<CatalogEntry> = serde_saphyr::from_str(CATALOG_YAML).unwrap();
        assert!(entries.len() >= 40, "{}", entries.len());
        let mut names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate provider names");
        for entry in &entries {
            if let Some(base) = &entry.base_url {
                assert!(base.starts_with("http"), "{}: {base}", entry.name);
                assert!(!base.ends_with('/'), "{}: trailing slash", entry.name);
            }
            assert!(
                entry.key_optional || !entry.key_env.is_empty() || entry.name == "custom_openai",
                "{} needs a key variable",
                entry.name
            );
        }
    }

    #[test]
    fn required_providers_are_present() {
        for name in [
            "openai",
            "groq",
            "deepseek",
            "mistral",
            "xai",
            "together_ai",
            "fireworks_ai",
            "openrouter",
            "perplexity",
            "cerebras",
            "deepinfra",
            "nvidia_nim",
            "sambanova",
            "hosted_vllm",
            "ollama",
            "lm_studio",
        ] {
            assert!(find(name).is_some(), "{name} missing from the catalog");
        }
    }
}
