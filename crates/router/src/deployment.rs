//! One deployment: a concrete provider and model that serves a model group.

use std::sync::Arc;
use std::time::Duration;

use switchboard_providers::Adapter;

use crate::health::Health;

/// The model a deployment asks its upstream for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamModel {
    /// Always this model (`openai/gpt-4o` → `gpt-4o`).
    Fixed(String),
    /// `prefix*suffix`: the `*` is replaced by what the wildcard group name
    /// captured from the requested model (`openai/*` → whatever follows
    /// `openai/`).
    Pattern { prefix: String, suffix: String },
}

impl UpstreamModel {
    /// Parses the model part of `litellm_params.model`.
    pub fn parse(model: &str) -> UpstreamModel {
        match model.split_once('*') {
            Some((prefix, suffix)) => UpstreamModel::Pattern {
                prefix: prefix.to_string(),
                suffix: suffix.to_string(),
            },
            None => UpstreamModel::Fixed(model.to_string()),
        }
    }

    pub fn fixed(&self) -> Option<&str> {
        match self {
            UpstreamModel::Fixed(model) => Some(model),
            UpstreamModel::Pattern { .. } => None,
        }
    }
}

/// Limits and routing hints of a deployment (LiteLLM's `litellm_params`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploymentSettings {
    /// Share of traffic relative to the group's other deployments.
    pub weight: Option<f64>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    /// Priority tier; lower is preferred, absent is last.
    pub order: Option<u32>,
    pub timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
    pub max_parallel_requests: Option<u64>,
    /// The model's output limit (`model_info.max_output_tokens` or
    /// `max_tokens`), the default `max_tokens` for wires that require one.
    pub max_output_tokens: Option<u64>,
    /// Price per token (input plus output), for cost-based routing.
    pub price_hint: Option<f64>,
}

/// A deployment of a model group.
#[derive(Debug)]
pub struct Deployment {
    /// Stable id (`model_info.id`, else derived from the definition).
    pub id: String,
    /// The model group (`model_name`) it belongs to.
    pub group: String,
    pub upstream_model: UpstreamModel,
    pub adapter: Arc<dyn Adapter>,
    pub settings: DeploymentSettings,
    /// Live state, shared with the same deployment in other runtimes.
    pub health: Arc<Health>,
}

impl Deployment {
    /// The upstream model for a request whose wildcard match captured
    /// `captured` (empty for exact matches).
    pub fn upstream_model_for<'a>(&'a self, captured: &str) -> std::borrow::Cow<'a, str> {
        match &self.upstream_model {
            UpstreamModel::Fixed(model) => std::borrow::Cow::Borrowed(model),
            UpstreamModel::Pattern { prefix, suffix } => {
                std::borrow::Cow::Owned(format!("{prefix}{captured}{suffix}"))
            }
        }
    }

    /// The weight used to split traffic: `weight`, else `rpm`, else `tpm`,
    /// else 1 (LiteLLM's simple-shuffle rule).
    pub fn traffic_weight(&self) -> f64 {
        let s = &self.settings;
        s.weight
            .or(s.rpm.map(|v| v as f64))
            .or(s.tpm.map(|v| v as f64))
            .unwrap_or(1.0)
    }

    pub fn provider(&self) -> &str {
        self.adapter.provider()
    }
}

/// A stable id for a deployment without `model_info.id`: FNV-1a over its
/// defining fields, so the id survives restarts and reloads.
pub fn derive_id(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_model_patterns() {
        assert_eq!(
            UpstreamModel::parse("gpt-4o"),
            UpstreamModel::Fixed("gpt-4o".into())
        );
        let pattern = UpstreamModel::parse("llama-*-instruct");
        assert_eq!(
            pattern,
            UpstreamModel::Pattern {
                prefix: "llama-".into(),
                suffix: "-instruct".into()
            }
        );
        assert_eq!(pattern.fixed(), None);
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(derive_id(&["a", "b"]), derive_id(&["a", "b"]));
        assert_ne!(derive_id(&["ab", ""]), derive_id(&["a", "b"]));
        assert_eq!(derive_id(&["a"]).len(), 16);
    }
}
