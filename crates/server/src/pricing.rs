//! What each deployment costs, resolved when the config loads: the built-in
//! catalog, the deployment's own prices (`input_cost_per_token`, ...), and
//! `model_info.base_model` for deployments whose name says nothing (Azure).

use std::borrow::Cow;
use std::collections::HashMap;

use switchboard_api::TokenUsage;
use switchboard_config::ModelEntry;
use switchboard_governance::pricing::{self, PriceOverride, Resolved};
use switchboard_router::Deployment;

/// Output tokens assumed for a request that sets no `max_tokens`, when
/// reserving budget for it.
const DEFAULT_OUTPUT_ESTIMATE: u64 = 1_024;

/// Prices of every deployment of one runtime.
#[derive(Debug, Default)]
pub struct Prices {
    /// Deployments with a fixed upstream model: resolved once.
    fixed: HashMap<String, Resolved>,
    /// Wildcard deployments: resolved per upstream model.
    wildcard: HashMap<String, (PriceOverride, Option<String>)>,
}

impl Prices {
    /// Resolves the price of the deployment `entry` became; returns its
    /// price per token (input plus output) for cost-based routing.
    pub fn add(&mut self, entry: &ModelEntry, deployment: &Deployment) -> Option<f64> {
        let params = &entry.litellm_params;
        let overrides = PriceOverride::from_fn(|name| match name {
            "input_cost_per_token" => params.input_cost_per_token,
            "output_cost_per_token" => params.output_cost_per_token,
            other => params.extra.get(other).and_then(serde_json::Value::as_f64),
        });
        let base_model = entry
            .model_info
            .extra
            .get("base_model")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        match deployment.upstream_model.fixed() {
            Some(model) => {
                let resolved = pricing::resolve(
                    deployment.provider(),
                    model,
                    base_model.as_deref(),
                    &overrides,
                );
                if matches!(resolved, Resolved::Unknown) && pricing::warn_once(model) {
                    tracing::warn!(
                        deployment = %deployment.id,
                        model,
                        "no price known for this model: its spend is recorded as unknown; \
                         set input_cost_per_token / output_cost_per_token"
                    );
                }
                let hint = resolved
                    .price()
                    .map(|p| p.input_cost_per_token + p.output_cost_per_token);
                self.fixed.insert(deployment.id.clone(), resolved);
                hint
            }
            None => {
                self.wildcard
                    .insert(deployment.id.clone(), (overrides, base_model));
                None
            }
        }
    }

    /// Input and output price per token of a deployment with a fixed
    /// upstream model, when known.
    pub fn per_token(&self, deployment: &Deployment) -> Option<(f64, f64)> {
        let price = self.fixed.get(&deployment.id)?.price()?;
        Some((price.input_cost_per_token, price.output_cost_per_token))
    }

    fn resolved<'a>(&'a self, deployment: &Deployment, upstream_model: &str) -> Cow<'a, Resolved> {
        if let Some(resolved) = self.fixed.get(&deployment.id) {
            return Cow::Borrowed(resolved);
        }
        let (overrides, base_model) = self
            .wildcard
            .get(&deployment.id)
            .cloned()
            .unwrap_or_default();
        let resolved = pricing::resolve(
            deployment.provider(),
            upstream_model,
            base_model.as_deref(),
            &overrides,
        );
        if matches!(resolved, Resolved::Unknown) && pricing::warn_once(upstream_model) {
            tracing::warn!(
                model = upstream_model,
                "no price known for this model: its spend is recorded as unknown"
            );
        }
        Cow::Owned(resolved)
    }

    /// The cost of a request, or `None` when the model has no price.
    pub fn cost(
        &self,
        deployment: &Deployment,
        upstream_model: &str,
        usage: &TokenUsage,
    ) -> Option<f64> {
        let resolved = self.resolved(deployment, upstream_model);
        resolved
            .price()
            .map(|price| pricing::cost(price, usage).total)
    }

    /// What to reserve for a request before it runs: its body's size as
    /// prompt tokens (a JSON body has more bytes than the prompt has tokens,
    /// so this errs high) and `max_tokens` (else a default) as output.
    pub fn estimate(
        &self,
        deployment: &Deployment,
        upstream_model: &str,
        body_bytes: usize,
        max_tokens: Option<u64>,
    ) -> f64 {
        let usage = TokenUsage {
            input_tokens: (body_bytes / 4) as u64,
            output_tokens: max_tokens.unwrap_or(DEFAULT_OUTPUT_ESTIMATE),
            ..TokenUsage::default()
        };
        self.cost(deployment, upstream_model, &usage).unwrap_or(0.0)
    }
}
