use std::collections::BTreeMap;

use switchboard_api::openai::Operation;

use super::*;

fn params<'a>(provider: &'a str, extra: &'a BTreeMap<String, Value>) -> DeploymentParams<'a> {
    DeploymentParams {
        provider,
        api_base: None,
        api_key: None,
        api_version: None,
        upstream_model: Some("m"),
        extra,
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn context<'a>(env: &'a dyn Fn(&str) -> Option<String>) -> BuildContext<'a> {
    BuildContext {
        env,
        mock_base_url: Some("http://127.0.0.1:9/v1"),
    }
}

#[test]
fn split_model_names() {
    assert_eq!(split_model("openai/gpt-4o"), ("openai", "gpt-4o"));
    assert_eq!(split_model("gpt-4o"), ("openai", "gpt-4o"));
    assert_eq!(
        split_model("openrouter/anthropic/claude-3.5-sonnet"),
        ("openrouter", "anthropic/claude-3.5-sonnet")
    );
    assert_eq!(
        split_model("meta-llama/Llama-3"),
        ("openai", "meta-llama/Llama-3")
    );
    assert_eq!(split_model("text-completion-openai/x"), ("openai", "x"));
}

#[test]
fn catalog_row_gives_url_and_bearer_key_from_env() {
    let extra = BTreeMap::new();
    let env = |name: &str| (name == "GROQ_API_KEY").then(|| "gsk".to_string());
    let adapter = build_adapter(params("groq", &extra), &context(&env)).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "m", false)
        .unwrap();
    assert_eq!(
        endpoint.uri.to_string(),
        "https://api.groq.com/openai/v1/chat/completions"
    );
    assert_eq!(endpoint.headers["authorization"], "Bearer gsk");
    assert_eq!(adapter.provider(), "groq");
}

#[test]
fn api_base_and_key_override_the_catalog() {
    let extra = BTreeMap::new();
    let mut p = params("openai", &extra);
    p.api_base = Some("http://localhost:8000/v1/");
    p.api_key = Some("sk-x");
    let adapter = build_adapter(p, &context(&no_env)).unwrap();
    let endpoint = adapter.endpoint(Operation::Embeddings, "m", false).unwrap();
    assert_eq!(
        endpoint.uri.to_string(),
        "http://localhost:8000/v1/embeddings"
    );
    assert_eq!(endpoint.headers["authorization"], "Bearer sk-x");
}

#[test]
fn ollama_base_gets_its_v1_suffix() {
    let extra = BTreeMap::new();
    let mut p = params("ollama", &extra);
    p.api_base = Some("http://gpu-box:11434");
    let adapter = build_adapter(p, &context(&no_env)).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "m", false)
        .unwrap();
    assert_eq!(
        endpoint.uri.to_string(),
        "http://gpu-box:11434/v1/chat/completions"
    );
    assert!(!endpoint.headers.contains_key("authorization"));
}

#[test]
fn hosted_vllm_needs_a_base() {
    let extra = BTreeMap::new();
    let error = build_adapter(params("hosted_vllm", &extra), &context(&no_env)).unwrap_err();
    assert!(
        error.to_string().contains("HOSTED_VLLM_API_BASE"),
        "{error}"
    );
    let env = |name: &str| (name == "HOSTED_VLLM_API_BASE").then(|| "http://v:8000/v1".into());
    let adapter = build_adapter(params("hosted_vllm", &extra), &context(&env)).unwrap();
    let endpoint = adapter
        .endpoint(Operation::Completions, "m", false)
        .unwrap();
    assert_eq!(endpoint.uri.to_string(), "http://v:8000/v1/completions");
}

#[test]
fn azure_deployment_urls() {
    let extra = BTreeMap::new();
    let mut p = params("azure", &extra);
    p.api_base = Some("https://res.openai.azure.com/");
    p.api_key = Some("az-key");
    p.api_version = Some("2024-06-01");
    p.upstream_model = Some("gpt4o-eu");
    let adapter = build_adapter(p, &context(&no_env)).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "gpt4o-eu", false)
        .unwrap();
    assert!(matches!(endpoint, std::borrow::Cow::Borrowed(_)));
    assert_eq!(
        endpoint.uri.to_string(),
        "https://res.openai.azure.com/openai/deployments/gpt4o-eu/chat/completions?api-version=2024-06-01"
    );
    assert_eq!(endpoint.headers["api-key"], "az-key");
    assert!(!endpoint.headers.contains_key("authorization"));
    let other = adapter
        .endpoint(Operation::Embeddings, "embed", false)
        .unwrap();
    assert_eq!(
        other.uri.to_string(),
        "https://res.openai.azure.com/openai/deployments/embed/embeddings?api-version=2024-06-01"
    );
}

#[test]
fn azure_defaults_and_ad_token() {
    let extra: BTreeMap<String, Value> =
        serde_json::from_str(r#"{"azure_ad_token":"tok"}"#).unwrap();
    let env = |name: &str| (name == "AZURE_API_BASE").then(|| "https://env.azure.com".into());
    let adapter = build_adapter(params("azure", &extra), &context(&env)).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "m", false)
        .unwrap();
    assert!(
        endpoint
            .uri
            .to_string()
            .ends_with(&format!("api-version={}", azure::DEFAULT_API_VERSION))
    );
    assert_eq!(endpoint.headers["authorization"], "Bearer tok");
}

#[test]
fn unknown_provider_and_bad_urls() {
    let extra = BTreeMap::new();
    let error = build_adapter(params("nope", &extra), &context(&no_env)).unwrap_err();
    assert_eq!(error, ProviderError::UnknownProvider("nope".into()));
    let mut p = params("openai", &extra);
    p.api_base = Some("ftp://x");
    assert!(matches!(
        build_adapter(p, &context(&no_env)),
        Err(ProviderError::InvalidUrl { .. })
    ));
}

#[test]
fn mock_uses_the_built_in_server() {
    let extra = BTreeMap::new();
    let adapter = build_adapter(params("mock", &extra), &context(&no_env)).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "m", false)
        .unwrap();
    assert_eq!(
        endpoint.uri.to_string(),
        "http://127.0.0.1:9/v1/chat/completions"
    );
}

#[test]
fn anthropic_messages_endpoint_and_headers() {
    let extra = BTreeMap::new();
    let env = |name: &str| (name == "ANTHROPIC_API_KEY").then(|| "sk-ant".to_string());
    let adapter = build_adapter(params("anthropic", &extra), &context(&env)).unwrap();
    assert_eq!(adapter.wire(), switchboard_api::codec::Wire::Anthropic);
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "claude", true)
        .unwrap();
    assert_eq!(
        endpoint.uri.to_string(),
        "https://api.anthropic.com/v1/messages"
    );
    assert_eq!(endpoint.headers["x-api-key"], "sk-ant");
    assert_eq!(endpoint.headers["anthropic-version"], "2023-06-01");
    assert!(!endpoint.headers.contains_key("authorization"));
    assert!(matches!(
        adapter.endpoint(Operation::Embeddings, "claude", false),
        Err(ProviderError::Unsupported { .. })
    ));
    // LiteLLM users write the base with or without /v1.
    for base in [
        "http://proxy:8080",
        "http://proxy:8080/v1",
        "http://proxy:8080/v1/messages",
    ] {
        let mut p = params("anthropic", &extra);
        p.api_base = Some(base);
        let adapter = build_adapter(p, &context(&no_env)).unwrap();
        let endpoint = adapter
            .endpoint(Operation::ChatCompletions, "c", false)
            .unwrap();
        assert_eq!(
            endpoint.uri.to_string(),
            "http://proxy:8080/v1/messages",
            "{base}"
        );
    }
}

#[test]
fn gemini_urls_depend_on_model_and_stream() {
    let extra = BTreeMap::new();
    let env = |name: &str| (name == "GEMINI_API_KEY").then(|| "g-key".to_string());
    let mut p = params("gemini", &extra);
    p.upstream_model = Some("gemini-2.5-flash");
    let adapter = build_adapter(p, &context(&env)).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "gemini-2.5-flash", false)
        .unwrap();
    assert!(matches!(endpoint, std::borrow::Cow::Borrowed(_)));
    assert_eq!(
        endpoint.uri.to_string(),
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(endpoint.headers["x-goog-api-key"], "g-key");
    let stream = adapter
        .endpoint(Operation::ChatCompletions, "gemini-2.5-flash", true)
        .unwrap();
    assert!(
        stream
            .uri
            .to_string()
            .ends_with(":streamGenerateContent?alt=sse")
    );
    let embed = adapter
        .endpoint(Operation::Embeddings, "text-embedding-004", false)
        .unwrap();
    assert!(
        embed
            .uri
            .to_string()
            .ends_with("/models/text-embedding-004:batchEmbedContents")
    );
}

#[test]
fn discovery_includes_native_providers() {
    let env = |name: &str| {
        matches!(name, "ANTHROPIC_API_KEY" | "GROQ_API_KEY" | "AZURE_API_KEY")
            .then(|| "k".to_string())
    };
    let found = discoverable(&env);
    assert!(found.contains(&"anthropic".to_string()));
    assert!(found.contains(&"groq".to_string()));
    // Azure needs its base URL as well.
    assert!(!found.contains(&"azure".to_string()));
}
