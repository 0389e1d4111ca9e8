use std::collections::BTreeMap;

use super::*;

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_map(
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    )
}

const LITELLM_EXAMPLE: &str = r#"
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://my-endpoint-europe.openai.azure.com/
      api_key: os.environ/AZURE_API_KEY_EU
      api_version: "2024-10-21"
      rpm: 6
      weight: 2
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      temperature: 0.2
      timeout: 30
    model_info:
      id: primary
      base_model: gpt-4o
litellm_settings:
  drop_params: true
  service_callback: ["prometheus_system"]
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
general_settings:
  master_key: sk-1234
environment_variables:
  AZURE_API_KEY_EU: from-file
"#;

#[test]
fn litellm_example_loads() {
    let loaded = parse(LITELLM_EXAMPLE, &env(&[("OPENAI_API_KEY", "sk-openai")])).unwrap();
    let config = &loaded.config;
    assert_eq!(config.model_list.len(), 2);
    let azure = &config.model_list[0].litellm_params;
    assert_eq!(azure.api_key.as_deref(), Some("from-file"));
    assert_eq!(azure.api_version.as_deref(), Some("2024-10-21"));
    assert_eq!(azure.rpm, Some(6));
    assert_eq!(azure.weight, Some(2.0));
    let openai = &config.model_list[1];
    assert_eq!(openai.litellm_params.api_key.as_deref(), Some("sk-openai"));
    assert_eq!(openai.litellm_params.extra["temperature"], 0.2);
    assert_eq!(openai.litellm_params.timeout, Some(30.0));
    assert_eq!(openai.model_info.id.as_deref(), Some("primary"));
    assert_eq!(openai.model_info.extra["base_model"], "gpt-4o");
    assert_eq!(
        config.general_settings.master_key.as_deref(),
        Some("sk-1234")
    );
    assert_eq!(config.litellm_settings.drop_params, Some(true));
    assert_eq!(config.router_settings.num_retries, Some(2));
    assert_eq!(
        loaded.warnings,
        [
            "litellm_settings.service_callback: LiteLLM setting not supported by switchboard yet; ignored"
        ]
    );
}

#[test]
fn type_errors_name_the_path() {
    let text = "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n  - model_name: b\n    litellm_params: {model: openai/b}\n  - model_name: c\n    litellm_params:\n      model: openai/c\n      rpm: fast\n";
    let error = parse(text, &env(&[])).unwrap_err().to_string();
    assert_eq!(
        error,
        "model_list[2].litellm_params.rpm: string \"fast\", expected integer"
    );
}

#[test]
fn missing_required_field_is_named() {
    let text = "model_list:\n  - model_name: a\n    litellm_params: {api_base: http://x}\n";
    let error = parse(text, &env(&[])).unwrap_err().to_string();
    assert!(error.starts_with("model_list[0].litellm_params"), "{error}");
    assert!(error.contains("missing field `model`"), "{error}");
}

#[test]
fn unknown_keys_warn_by_name() {
    let text = "model_lst: []\nrouter_settings:\n  routing_stratgy: x\nmodel_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n    model_infos: {}\n";
    let loaded = parse(text, &env(&[])).unwrap();
    assert_eq!(
        loaded.warnings,
        [
            "model_list[0].model_infos: unknown key; ignored (check the spelling)",
            "model_lst: unknown key; ignored (check the spelling)",
            "router_settings.routing_stratgy: unknown key; ignored (check the spelling)",
        ]
    );
}

#[test]
fn unset_reference_is_absent_with_warning() {
    let text = "general_settings:\n  master_key: os.environ/NOPE\n";
    let loaded = parse(text, &env(&[])).unwrap();
    assert_eq!(loaded.config.general_settings.master_key, None);
    assert_eq!(
        loaded.warnings,
        ["general_settings.master_key: environment variable NOPE is not set; treated as absent"]
    );
}

#[test]
fn empty_file_is_an_empty_config() {
    assert_eq!(parse("", &env(&[])).unwrap().config, Config::default());
    assert_eq!(
        parse("# nothing\n", &env(&[])).unwrap().config,
        Config::default()
    );
}

#[test]
fn semantic_checks() {
    let text =
        "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a, timeout: -1}\n";
    let error = parse(text, &env(&[])).unwrap_err().to_string();
    assert_eq!(
        error,
        "model_list[0].litellm_params.timeout: must be a non-negative number"
    );
    let error = parse("- 1\n- 2\n", &env(&[])).unwrap_err().to_string();
    assert!(error.contains("expected a mapping"), "{error}");
    let error = parse("model_list: [\n", &env(&[])).unwrap_err();
    assert!(matches!(error, ConfigError::Syntax(_)));
}

#[test]
fn load_file_reports_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let error = load_file(&dir.path().join("none.yaml"), &env(&[])).unwrap_err();
    assert!(error.to_string().starts_with("cannot read"));
}

#[test]
fn router_settings_fallbacks_and_hedging() {
    let text = r#"
router_settings:
  routing_strategy: least-busy
  num_retries: 3
  retry_policy: {RateLimitErrorRetries: 5}
  allowed_fails: 2
  cooldown_time: 30
  fallbacks: [{"gpt-4o": ["claude", "mini"]}, {"claude": ["gpt-4o"]}]
  context_window_fallbacks: [{"gpt-4o": ["gpt-4.1"]}]
  default_fallbacks: ["mini"]
  hedging:
    gpt-4o: {percentile: 90}
"#;
    let config = parse(text, &env(&[])).unwrap().config;
    let router = &config.router_settings;
    assert_eq!(router.fallbacks.len(), 2);
    assert_eq!(router.fallbacks[0]["gpt-4o"], ["claude", "mini"]);
    assert_eq!(router.retry_policy["RateLimitErrorRetries"], 5);
    assert_eq!(router.hedging["gpt-4o"].percentile, 90.0);
    assert_eq!(router.hedging["gpt-4o"].min_samples, 20);
    let error = parse(
        "router_settings:\n  hedging:\n    g: {percentil: 9}\n",
        &env(&[]),
    )
    .unwrap_err();
    assert!(error.to_string().contains("percentil"), "{error}");
}
