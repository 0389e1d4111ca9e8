use crate::pricing::{price_of, price_of_base_model, strip_date, strip_version};

fn key(provider: &str, model: &str) -> Option<&'static str> {
    price_of(provider, model).map(|p| p.key.as_str())
}

#[test]
fn provider_qualified_names() {
    assert_eq!(
        key("groq", "llama-3.1-8b-instant"),
        Some("groq/llama-3.1-8b-instant")
    );
    // The model may carry its provider prefix already.
    assert_eq!(
        key("groq", "groq/llama-3.1-8b-instant"),
        Some("groq/llama-3.1-8b-instant")
    );
    assert_eq!(
        key("gemini", "gemini-2.5-flash"),
        Some("gemini/gemini-2.5-flash")
    );
    assert_eq!(
        key("groq", "meta-llama/llama-4-scout-17b-16e-instruct"),
        Some("groq/meta-llama/llama-4-scout-17b-16e-instruct")
    );
    assert_eq!(
        key("mistral", "mistral-large-latest"),
        Some("mistral/mistral-large-latest")
    );
    assert_eq!(key("xai", "grok-4"), Some("xai/grok-4"));
}

#[test]
fn bare_names() {
    assert_eq!(key("openai", "gpt-4o"), Some("gpt-4o"));
    assert_eq!(
        key("anthropic", "claude-sonnet-4-5"),
        Some("claude-sonnet-4-5-20250929")
    );
    assert_eq!(key("cohere", "command-r"), Some("command-r"));
    assert_eq!(
        key("deepseek", "deepseek-chat"),
        Some("deepseek/deepseek-chat")
    );
    // Without a provider, any exact key or alias.
    assert_eq!(key("", "gpt-4o"), Some("gpt-4o"));
    assert_eq!(
        key("", "groq/llama-3.1-8b-instant"),
        Some("groq/llama-3.1-8b-instant")
    );
    assert_eq!(key("", "deepseek-chat"), Some("deepseek/deepseek-chat"));
    // LiteLLM's alternative provider names.
    assert_eq!(
        key("text-completion-openai", "gpt-3.5-turbo"),
        Some("gpt-3.5-turbo")
    );
    assert_eq!(key("cohere_chat", "command-r-plus"), Some("command-r-plus"));
}

#[test]
fn a_bare_name_does_not_cross_providers() {
    // gpt-4o on Groq is not OpenAI's gpt-4o; better unknown than wrong.
    assert_eq!(key("groq", "gpt-4o"), None);
    assert_eq!(key("together_ai", "claude-sonnet-4-5"), None);
}

#[test]
fn dated_snapshots() {
    // Listed snapshots keep their own price...
    assert_eq!(key("openai", "gpt-4o-2024-08-06"), Some("gpt-4o"));
    let launch = price_of("openai", "gpt-4o-2024-05-13").map(|p| p.input_cost_per_token);
    assert_eq!(launch, Some(5e-6));
    // ...and unlisted ones fall back to the undated model.
    assert_eq!(key("openai", "gpt-5-2025-08-07"), Some("gpt-5"));
    assert_eq!(key("openai", "gpt-4.1-2025-04-14"), Some("gpt-4.1"));
    assert_eq!(
        key("anthropic", "claude-opus-4-6-20991231"),
        Some("claude-opus-4-6")
    );
    assert_eq!(
        key("anthropic", "claude-sonnet-4-6@20991231"),
        Some("claude-sonnet-4-6")
    );
    // Google's version suffix.
    assert_eq!(
        key("gemini", "gemini-2.0-flash-001"),
        Some("gemini/gemini-2.0-flash")
    );
    assert_eq!(
        key("gemini", "gemini-2.5-flash-lite-001"),
        Some("gemini/gemini-2.5-flash-lite")
    );
}

#[test]
fn bedrock_ids_and_inference_profiles() {
    let id = "anthropic.claude-3-5-sonnet-20241022-v2:0";
    assert_eq!(key("bedrock", id), Some(id));
    assert_eq!(key("bedrock", &format!("bedrock/{id}")), Some(id));
    assert_eq!(key("bedrock", &format!("converse/{id}")), Some(id));
    assert_eq!(key("bedrock_converse", id), Some(id));
    // Geographic profile priced like the base model: an alias.
    assert_eq!(key("bedrock", &format!("us.{id}")), Some(id));

    let sonnet45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    let input = |model: &str| price_of("bedrock", model).map(|p| p.input_cost_per_token);
    // global. costs the base rate; geographic profiles of 4.5 cost 10% more.
    assert_eq!(input(&format!("global.{sonnet45}")), Some(3e-6));
    assert_eq!(input(&format!("eu.{sonnet45}")), Some(3.3e-6));
    // An unlisted geographic profile is not guessed.
    assert_eq!(input(&format!("ca.{sonnet45}")), None);
}

#[test]
fn sibling_providers() {
    // Azure lists its own price where it differs...
    let azure_mini = price_of("azure", "gpt-4o-mini").map(|p| p.input_cost_per_token);
    assert_eq!(azure_mini, Some(1.65e-7));
    // ...and resells the rest at OpenAI's list price.
    assert_eq!(key("azure", "o3"), Some("o3"));
    // Vertex AI lists Gemini at the Gemini API's price.
    assert_eq!(key("vertex_ai", "gemini-2.5-pro"), Some("gemini-2.5-pro"));
    assert_eq!(
        key("vertex_ai", "gemini-2.5-flash"),
        Some("gemini/gemini-2.5-flash")
    );
}

#[test]
fn azure_deployments_by_base_model() {
    // A deployment name is not a model name.
    assert_eq!(key("azure", "prod-eastus-chat"), None);
    let base = |b: &str| price_of_base_model("azure", b).map(|p| p.key.as_str());
    assert_eq!(base("gpt-4.1"), Some("azure/gpt-4.1"));
    assert_eq!(base("azure/gpt-4o-mini"), Some("azure/gpt-4o-mini"));
    assert_eq!(base("gpt-5-mini"), Some("gpt-5-mini"));
}

#[test]
fn unknown_models() {
    assert_eq!(key("openai", "gpt-99"), None);
    assert_eq!(key("", "no-such-model"), None);
    assert_eq!(
        key("hosted_vllm", "meta-llama/Llama-3.3-70B-Instruct"),
        None
    );
    assert_eq!(key("openai", ""), None);
}

#[test]
fn normalizers_cut_only_what_they_should() {
    assert_eq!(strip_date("gpt-4o-2024-08-06"), Some("gpt-4o"));
    assert_eq!(
        strip_date("claude-3-7-sonnet-20250219"),
        Some("claude-3-7-sonnet")
    );
    assert_eq!(
        strip_date("claude-3-5-haiku@20241022"),
        Some("claude-3-5-haiku")
    );
    assert_eq!(strip_date("mistral-large-2411"), None);
    assert_eq!(strip_date("gpt-4-0613"), None);
    assert_eq!(strip_date("2024-08-06"), None);
    assert_eq!(strip_version("gemini-1.5-pro-002"), Some("gemini-1.5-pro"));
    assert_eq!(strip_version("grok-4-0709"), None);
    assert_eq!(strip_version("-001"), None);
    // Multibyte names are cut on ASCII separators only, never mid-character.
    assert_eq!(strip_date("modèle-2024-08-06"), Some("modèle"));
    assert_eq!(strip_date("ééééééééééé"), None);
    assert_eq!(strip_version("é-001"), Some("é"));
    assert_eq!(strip_version("éé"), None);
}
