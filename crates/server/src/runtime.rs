//! The runtime: everything a request needs that the config decides, built
//! once per config version and swapped atomically on reload.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::pricing::Prices;
use switchboard_config::{Config, Environment, LitellmParams, ModelEntry};
use switchboard_providers::{BuildContext, DeploymentParams, build_adapter, split_model};
use switchboard_router::{
    Deployment, DeploymentSettings, Fallbacks, HealthBook, Policy, RouteTable, Strategy,
    UpstreamModel, derive_id,
};

/// LiteLLM's default upstream timeout (`request_timeout`) is 6000 s; a
/// gateway that holds sockets that long hides outages, so switchboard waits
/// at most 600 s unless the config says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
const DEFAULT_MAX_BODY_MB: f64 = 32.0;
const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// Settings of the request path that come from the config.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    /// Upstream timeout when the deployment sets none.
    pub default_timeout: Duration,
    /// Time to the first byte of a stream when the deployment sets none.
    pub default_stream_timeout: Option<Duration>,
    /// How long SIGTERM waits for in-flight requests.
    pub grace_period: Duration,
}

/// One version of the gateway's configuration, ready for the request path.
#[derive(Debug)]
pub struct Runtime {
    pub routes: RouteTable,
    /// How groups pick deployments (`router_settings.routing_strategy`).
    pub strategy: Strategy,
    /// Retries, cooldowns and fallbacks (`router_settings`).
    pub policy: Policy,
    /// Hedging per model group: (latency percentile, samples needed).
    hedging: BTreeMap<String, (f64, usize)>,
    pub master_key: String,
    pub limits: Limits,
    /// What each deployment costs.
    pub prices: Prices,
    /// Drop parameters a provider does not support instead of refusing the
    /// request (LiteLLM's `drop_params`).
    pub drop_params: bool,
    /// `/metrics` needs an admin key.
    pub metrics_auth: bool,
    /// Per key and team metric series.
    pub metrics_key_labels: bool,
    /// Request and response bodies go into the request log.
    pub log_bodies: bool,
    /// Background health checks of cooling deployments, this often.
    pub health_check_interval: Option<Duration>,
    /// Unix time the runtime was built (the `created` of `/v1/models`).
    pub created: u64,
}

/// A config that cannot be turned into a runtime, with the path at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RuntimeError {
    pub path: String,
    pub message: String,
}

/// Inputs of [`Runtime::build`] that do not come from the config file.
pub struct RuntimeInputs<'a> {
    pub env: &'a Environment,
    /// Deployment health and group latencies, kept across reloads.
    pub health: &'a HealthBook,
    pub master_key: String,
    /// Base URL of the built-in mock provider, when it runs.
    pub mock_base_url: Option<&'a str>,
}

impl Runtime {
    pub fn build(config: &Config, inputs: RuntimeInputs<'_>) -> Result<Runtime, RuntimeError> {
        let env_overlay = inputs
            .env
            .with_overlay(config.environment_variables.clone());
        let lookup = |name: &str| env_overlay.get(name);
        let context = BuildContext {
            env: &lookup,
            mock_base_url: inputs.mock_base_url,
        };

        let router = &config.router_settings;
        let global_timeout = router
            .timeout
            .or(config.litellm_settings.request_timeout)
            .map(Duration::from_secs_f64);
        let mut deployments = Vec::with_capacity(config.model_list.len());
        let mut prices = Prices::default();
        for (i, entry) in config.model_list.iter().enumerate() {
            let deployment =
                build_deployment(entry, &context, inputs.health).map_err(|message| {
                    RuntimeError {
                        path: format!("model_list[{i}].litellm_params"),
                        message,
                    }
                })?;
            let mut deployment = deployment;
            deployment.settings.price_hint = prices.add(entry, &deployment);
            deployments.push(Arc::new(deployment));
        }

        let general = &config.general_settings;
        let max_body_mb = general.max_request_size_mb.unwrap_or(DEFAULT_MAX_BODY_MB);
        let limits = Limits {
            max_body_bytes: (max_body_mb * 1024.0 * 1024.0) as usize,
            default_timeout: global_timeout.unwrap_or(DEFAULT_TIMEOUT),
            default_stream_timeout: router.stream_timeout.map(Duration::from_secs_f64),
            grace_period: general
                .graceful_shutdown_seconds
                .map_or(DEFAULT_GRACE, Duration::from_secs_f64),
        };
        let ids: Vec<&str> = deployments.iter().map(|d| d.id.as_str()).collect();
        inputs.health.retain(&ids);
        let strategy = match router.routing_strategy.as_deref() {
            None => Strategy::default(),
            Some(name) => Strategy::parse(name).ok_or_else(|| RuntimeError {
                path: "router_settings.routing_strategy".into(),
                message: format!(
                    "unknown strategy `{name}`: use simple-shuffle, least-busy, latency-based-routing, \
                     usage-based-routing, usage-based-routing-v2, cost-based-routing or adaptive"
                ),
            })?,
        };
        Ok(Runtime {
            routes: RouteTable::new(deployments, inputs.health),
            strategy,
            policy: policy(config),
            hedging: router
                .hedging
                .iter()
                .map(|(group, hedge)| {
                    let samples = usize::try_from(hedge.min_samples).unwrap_or(usize::MAX);
                    (group.clone(), (hedge.percentile.clamp(0.0, 100.0), samples))
                })
                .collect(),
            master_key: inputs.master_key,
            limits,
            prices,
            drop_params: config.litellm_settings.drop_params.unwrap_or(false),
            metrics_auth: config
                .litellm_settings
                .require_auth_for_metrics_endpoint
                .unwrap_or(false),
            metrics_key_labels: config.litellm_settings.metrics_key_labels.unwrap_or(false),
            health_check_interval: (config.general_settings.background_health_checks == Some(true))
                .then(|| {
                    let seconds = config
                        .general_settings
                        .health_check_interval
                        .unwrap_or(300.0);
                    Duration::from_secs_f64(if seconds.is_finite() {
                        seconds.max(0.1)
                    } else {
                        300.0
                    })
                }),
            log_bodies: config.litellm_settings.turn_off_message_logging != Some(true)
                && config.general_settings.store_prompts_in_spend_logs != Some(false),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        })
    }

    /// Hedging of a group, when on: (latency percentile, samples needed).
    pub fn hedging(&self, group: &str) -> Option<(f64, usize)> {
        self.hedging.get(group).copied()
    }
}

fn build_deployment(
    entry: &ModelEntry,
    context: &BuildContext<'_>,
    health: &HealthBook,
) -> Result<Deployment, String> {
    let params: &LitellmParams = &entry.litellm_params;
    let (provider, model) = split_model(&params.model);
    let upstream_model = UpstreamModel::parse(model);
    if matches!(upstream_model, UpstreamModel::Pattern { .. }) && !entry.model_name.contains('*') {
        return Err(format!(
            "model `{}` has a `*` but model_name `{}` has none to fill it",
            params.model, entry.model_name
        ));
    }
    let adapter = build_adapter(
        DeploymentParams {
            provider,
            api_base: params.api_base.as_deref(),
            api_key: params.api_key.as_deref(),
            api_version: params.api_version.as_deref(),
            upstream_model: upstream_model.fixed(),
            extra: &params.extra,
        },
        context,
    )
    .map_err(|e| e.to_string())?;
    let id = match &entry.model_info.id {
        Some(id) => id.clone(),
        None => derive_id(&[
            &entry.model_name,
            &params.model,
            params.api_base.as_deref().unwrap_or_default(),
            params.api_version.as_deref().unwrap_or_default(),
        ]),
    };
    Ok(Deployment {
        health: health.get(&id),
        id,
        group: entry.model_name.clone(),
        upstream_model,
        adapter,
        settings: DeploymentSettings {
            weight: params.weight,
            rpm: params.rpm,
            tpm: params.tpm,
            order: params.order,
            timeout: params.timeout.map(Duration::from_secs_f64),
            stream_timeout: params.stream_timeout.map(Duration::from_secs_f64),
            max_parallel_requests: params.max_parallel_requests,
            max_output_tokens: entry
                .model_info
                .max_output_tokens
                .or(entry.model_info.max_tokens),
            price_hint: None,
        },
    })
}

/// The reliability policy from `router_settings`, falling back to the same
/// keys under `litellm_settings` (LiteLLM reads both places).
fn policy(config: &Config) -> Policy {
    let router = &config.router_settings;
    let litellm = &config.litellm_settings;
    let defaults = Policy::default();
    let pick = |primary: &Vec<BTreeMap<String, Vec<String>>>,
                secondary: &Vec<BTreeMap<String, Vec<String>>>| {
        let source = if primary.is_empty() {
            secondary
        } else {
            primary
        };
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for entry in source {
            for (group, targets) in entry {
                map.entry(group.clone())
                    .or_default()
                    .extend(targets.iter().cloned());
            }
        }
        map
    };
    Policy {
        num_retries: router
            .num_retries
            .or(litellm.num_retries)
            .unwrap_or(defaults.num_retries),
        retry_policy: router
            .retry_policy
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        retry_after: router.retry_after.map_or(defaults.retry_after, secs),
        allowed_fails: router
            .allowed_fails
            .or(litellm.allowed_fails)
            .unwrap_or(defaults.allowed_fails),
        cooldown_time: router.cooldown_time.map_or(defaults.cooldown_time, secs),
        disable_cooldowns: router.disable_cooldowns.unwrap_or(false),
        fallbacks: Fallbacks {
            general: pick(&router.fallbacks, &litellm.fallbacks),
            context_window: pick(
                &router.context_window_fallbacks,
                &litellm.context_window_fallbacks,
            ),
            content_policy: pick(
                &router.content_policy_fallbacks,
                &litellm.content_policy_fallbacks,
            ),
            default: if router.default_fallbacks.is_empty() {
                litellm.default_fallbacks.clone()
            } else {
                router.default_fallbacks.clone()
            },
        },
        max_fallbacks: router.max_fallbacks.map_or(defaults.max_fallbacks, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        }),
    }
}

/// Seconds from the config as a duration; negative or non-finite is zero.
fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

/// The model list of a zero-config start: `mock/*`, and `<provider>/*` for
/// every provider whose key variable is set (`OPENAI_API_KEY` → `openai/*`,
/// `ANTHROPIC_API_KEY` → `anthropic/*`, ...).
pub fn discovered_model_list(env: &Environment, with_mock: bool) -> Vec<ModelEntry> {
    let wildcard = |provider: &str| ModelEntry {
        model_name: format!("{provider}/*"),
        litellm_params: LitellmParams {
            model: format!("{provider}/*"),
            ..Default::default()
        },
        model_info: Default::default(),
    };
    let mut entries = Vec::new();
    if with_mock {
        entries.push(wildcard("mock"));
    }
    let lookup = |name: &str| env.get(name);
    for provider in switchboard_providers::discoverable(&lookup) {
        if provider != "mock" {
            entries.push(wildcard(&provider));
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        Environment::from_map(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn inputs<'a>(env: &'a Environment, health: &'a HealthBook) -> RuntimeInputs<'a> {
        RuntimeInputs {
            env,
            health,
            master_key: "sk-test".into(),
            mock_base_url: Some("http://127.0.0.1:1/v1"),
        }
    }

    #[test]
    fn discovery_follows_key_variables() {
        let env = env(&[("GROQ_API_KEY", "g"), ("OPENAI_API_KEY", "o")]);
        let names: Vec<String> = discovered_model_list(&env, true)
            .into_iter()
            .map(|e| e.model_name)
            .collect();
        assert_eq!(names, ["mock/*", "openai/*", "groq/*"]);
    }

    #[test]
    fn builds_routes_from_litellm_config() {
        let text = "model_list:\n  - model_name: fast\n    litellm_params:\n      model: groq/llama-3.1-8b-instant\n      api_key: k\n      timeout: 5\n  - model_name: fast\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_key: k2\nrouter_settings:\n  timeout: 20\n";
        let environment = env(&[]);
        let config = switchboard_config::parse(text, &environment)
            .unwrap()
            .config;
        let runtime =
            Runtime::build(&config, inputs(&environment, &HealthBook::default())).unwrap();
        let route = runtime.routes.resolve("fast").unwrap();
        assert_eq!(route.group.deployments.len(), 2);
        let groq = &route.group.deployments[0];
        assert_eq!(groq.provider(), "groq");
        assert_eq!(groq.upstream_model_for(""), "llama-3.1-8b-instant");
        assert_eq!(groq.settings.timeout, Some(Duration::from_secs(5)));
        assert_eq!(runtime.limits.default_timeout, Duration::from_secs(20));
        assert_eq!(runtime.limits.max_body_bytes, 32 * 1024 * 1024);
    }

    #[test]
    fn bad_deployment_names_its_path() {
        let text = "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n  - model_name: b\n    litellm_params: {model: hosted_vllm/b}\n";
        let environment = env(&[]);
        let config = switchboard_config::parse(text, &environment)
            .unwrap()
            .config;
        let error =
            Runtime::build(&config, inputs(&environment, &HealthBook::default())).unwrap_err();
        assert_eq!(error.path, "model_list[1].litellm_params");
        assert!(error.message.contains("api_base"), "{}", error.message);
    }

    #[test]
    fn wildcard_model_needs_wildcard_name() {
        let text = "model_list:\n  - model_name: a\n    litellm_params: {model: openai/*}\n";
        let environment = env(&[]);
        let config = switchboard_config::parse(text, &environment)
            .unwrap()
            .config;
        let error =
            Runtime::build(&config, inputs(&environment, &HealthBook::default())).unwrap_err();
        assert!(error.message.contains("has a `*`"), "{}", error.message);
    }
}
