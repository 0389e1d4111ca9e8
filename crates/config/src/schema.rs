//! The typed shape of LiteLLM's `config.yaml`, as far as switchboard acts on it.
//!
//! Field names are LiteLLM's, so a LiteLLM user's file deserializes as is.
//! Keys switchboard does not know are reported as warnings by the loader,
//! except inside `litellm_params` and `model_info`, whose extra keys are
//! provider parameters and metadata and are kept in `extra`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Config {
    pub model_list: Vec<ModelEntry>,
    pub router_settings: RouterSettings,
    pub litellm_settings: LitellmSettings,
    pub general_settings: GeneralSettings,
    /// Values that `os.environ/NAME` references see before the process
    /// environment (LiteLLM copies them into its environment).
    pub environment_variables: BTreeMap<String, String>,
    /// Named callbacks that `litellm_settings.callbacks` (and the success
    /// and failure lists) refer to.
    pub callback_settings: BTreeMap<String, CallbackSettings>,
}

/// One callback's settings (LiteLLM's `callback_settings.<name>`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct CallbackSettings {
    /// `generic_api` (a webhook), or switchboard's `jsonl` (a file).
    pub callback_type: Option<String>,
    /// `generic_api`: where to POST.
    pub endpoint: Option<String>,
    /// `generic_api`: headers of every POST.
    pub headers: BTreeMap<String, String>,
    /// `llm_api_success`, `llm_api_failure`; all when absent.
    pub event_types: Option<Vec<String>>,
    /// `generic_api`: `json_array` (default), `ndjson` or `single`.
    pub log_format: Option<String>,
    /// `jsonl`: the file to append to.
    pub path: Option<String>,
}

/// One deployment of a model group (`model_name`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ModelEntry {
    /// The name clients use; entries sharing it form one model group.
    pub model_name: String,
    pub litellm_params: LitellmParams,
    #[serde(default)]
    pub model_info: ModelInfo,
}

/// How to reach one deployment, and its limits.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct LitellmParams {
    /// `provider/upstream-model`, e.g. `openai/gpt-4o-mini` or `azure/my-deployment`.
    pub model: String,
    #[serde(default)]
    pub api_base: Option<String>,
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub api_version: Option<String>,
    /// Requests per minute this deployment may take.
    #[serde(default)]
    pub rpm: Option<u64>,
    /// Tokens per minute this deployment may take.
    #[serde(default)]
    pub tpm: Option<u64>,
    /// Share of the group's traffic relative to the other deployments.
    #[serde(default)]
    pub weight: Option<f64>,
    /// Priority tier: lower orders are used first.
    #[serde(default)]
    pub order: Option<u32>,
    /// Seconds before a request to this deployment is abandoned.
    #[serde(default)]
    pub timeout: Option<f64>,
    /// Seconds to wait for the first token of a stream.
    #[serde(default)]
    pub stream_timeout: Option<f64>,
    #[serde(default)]
    pub max_parallel_requests: Option<u64>,
    #[serde(default)]
    pub input_cost_per_token: Option<f64>,
    #[serde(default)]
    pub output_cost_per_token: Option<f64>,
    /// Every other key: provider parameters (`temperature`, `aws_region_name`,
    /// `extra_headers`, ...) used by the provider adapters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Metadata about a deployment.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ModelInfo {
    /// A stable id for the deployment; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// `chat`, `completion`, `embedding`, ...
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RouterSettings {
    /// `simple-shuffle`, `least-busy`, `latency-based-routing`,
    /// `usage-based-routing(-v2)`, `cost-based-routing`, or switchboard's
    /// `adaptive` (the default).
    pub routing_strategy: Option<String>,
    /// Seconds; the default request timeout of every deployment.
    pub timeout: Option<f64>,
    pub stream_timeout: Option<f64>,
    /// Retries after the first attempt (default 2).
    pub num_retries: Option<u32>,
    /// Per error class: `RateLimitErrorRetries`, `TimeoutErrorRetries`,
    /// `InternalServerErrorRetries`, `AuthenticationErrorRetries`,
    /// `BadRequestErrorRetries`, `ContentPolicyViolationErrorRetries`.
    pub retry_policy: BTreeMap<String, u32>,
    /// Seconds to wait at least before retrying the same deployment.
    pub retry_after: Option<f64>,
    /// Failures per minute before a deployment cools down (default 3).
    pub allowed_fails: Option<u32>,
    /// Seconds a cooldown lasts (default 5).
    pub cooldown_time: Option<f64>,
    pub disable_cooldowns: Option<bool>,
    /// `[{"gpt-4o": ["claude-sonnet", "gpt-4o-mini"]}]`.
    pub fallbacks: Vec<BTreeMap<String, Vec<String>>>,
    pub context_window_fallbacks: Vec<BTreeMap<String, Vec<String>>>,
    pub content_policy_fallbacks: Vec<BTreeMap<String, Vec<String>>>,
    pub default_fallbacks: Vec<String>,
    pub max_fallbacks: Option<u32>,
    /// switchboard: per model group (or `*`), send a second attempt to
    /// another deployment when the first has waited longer than the group's
    /// `percentile` latency; the first answer wins.
    pub hedging: BTreeMap<String, HedgeSettings>,
}

/// When to hedge a model group's requests.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HedgeSettings {
    /// The group's latency percentile after which a second attempt starts.
    #[serde(default = "default_percentile")]
    pub percentile: f64,
    /// Latency samples needed before hedging starts.
    #[serde(default = "default_min_samples")]
    pub min_samples: u32,
}

fn default_percentile() -> f64 {
    95.0
}

fn default_min_samples() -> u32 {
    20
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct LitellmSettings {
    /// Seconds; LiteLLM's global upstream timeout.
    pub request_timeout: Option<f64>,
    /// The same as `router_settings.num_retries` (LiteLLM accepts both).
    pub num_retries: Option<u32>,
    pub fallbacks: Vec<BTreeMap<String, Vec<String>>>,
    pub context_window_fallbacks: Vec<BTreeMap<String, Vec<String>>>,
    pub content_policy_fallbacks: Vec<BTreeMap<String, Vec<String>>>,
    pub default_fallbacks: Vec<String>,
    pub allowed_fails: Option<u32>,
    pub drop_params: Option<bool>,
    /// `/metrics` needs the master key (or an admin's) when set.
    pub require_auth_for_metrics_endpoint: Option<bool>,
    /// switchboard: per key alias and team metric series (off: they can
    /// number in the thousands).
    pub metrics_key_labels: Option<bool>,
    /// Keep request and response bodies out of the request logs (and out
    /// of callbacks).
    pub turn_off_message_logging: Option<bool>,
    /// Callbacks that get every request's record (names of
    /// `callback_settings` entries, or `generic_api`, `jsonl`).
    pub callbacks: Vec<String>,
    /// Callbacks that get the records of successful requests only.
    pub success_callback: Vec<String>,
    /// Callbacks that get the records of failed requests only.
    pub failure_callback: Vec<String>,
    pub json_logs: Option<bool>,
    pub set_verbose: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct GeneralSettings {
    pub master_key: Option<String>,
    pub database_url: Option<String>,
    /// Do not write request logs (LiteLLM's key).
    pub disable_spend_logs: Option<bool>,
    /// Largest accepted request body, in megabytes (LiteLLM's key).
    pub max_request_size_mb: Option<f64>,
    /// switchboard: seconds that in-flight requests and streams get to finish
    /// after SIGTERM before the process exits anyway.
    pub graceful_shutdown_seconds: Option<f64>,
    // Request log retention, pruned in the background in small batches
    // (crates/store/src/retention.rs).
    /// Delete request logs older than this: `30d`, `12h`, `2w`, `1mo`
    /// (LiteLLM's key).
    pub maximum_spend_logs_retention_period: Option<String>,
    /// switchboard: keep at most this many request logs, the newest.
    pub max_request_logs: Option<u64>,
    /// `false`: keep request and response bodies out of the request logs
    /// (LiteLLM's key; unlike LiteLLM, bodies are kept when it is absent).
    pub store_prompts_in_spend_logs: Option<bool>,
    /// Probe deployments that are cooling down, and put back those that
    /// answer (LiteLLM's key).
    pub background_health_checks: Option<bool>,
    /// Seconds between health check rounds (default 300, LiteLLM's).
    pub health_check_interval: Option<f64>,
}
