//! Per-deployment prices from `litellm_params`, and the one place that
//! decides what a deployment costs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::model::ModelPrice;
use super::{PricingError, price_of};

/// Prices a deployment sets for itself, under LiteLLM's `litellm_params`
/// names. Every field is optional; the ones given replace the catalog's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct PriceOverride {
    #[serde(default)]
    pub input_cost_per_token: Option<f64>,
    #[serde(default)]
    pub output_cost_per_token: Option<f64>,
    #[serde(default)]
    pub cache_read_input_token_cost: Option<f64>,
    #[serde(default)]
    pub cache_creation_input_token_cost: Option<f64>,
    #[serde(default)]
    pub output_cost_per_reasoning_token: Option<f64>,
    #[serde(default)]
    pub input_cost_per_second: Option<f64>,
    #[serde(default)]
    pub output_cost_per_second: Option<f64>,
}

impl PriceOverride {
    /// The `litellm_params` keys an override reads.
    pub const KEYS: [&'static str; 7] = [
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost",
        "output_cost_per_reasoning_token",
        "input_cost_per_second",
        "output_cost_per_second",
    ];

    /// Reads the override keys through `get` (a typed field or a lookup in
    /// the params' extra map); keys it returns `None` for stay unset.
    pub fn from_fn(mut get: impl FnMut(&str) -> Option<f64>) -> Self {
        Self {
            input_cost_per_token: get("input_cost_per_token"),
            output_cost_per_token: get("output_cost_per_token"),
            cache_read_input_token_cost: get("cache_read_input_token_cost"),
            cache_creation_input_token_cost: get("cache_creation_input_token_cost"),
            output_cost_per_reasoning_token: get("output_cost_per_reasoning_token"),
            input_cost_per_second: get("input_cost_per_second"),
            output_cost_per_second: get("output_cost_per_second"),
        }
    }

    /// Reads the override keys from a `litellm_params` map; other keys are
    /// ignored. A key that holds anything but a non-negative number is an
    /// error naming it, so a typo'd price never becomes a silent zero.
    pub fn from_params(params: &Map<String, Value>) -> Result<Self, PricingError> {
        let mut error = None;
        let result = Self::from_fn(|key| match params.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => {
                let number = value.as_f64().filter(|v| v.is_finite() && *v >= 0.0);
                if number.is_none() && error.is_none() {
                    error = Some(PricingError::InvalidOverride(key.to_string()));
                }
                number
            }
        });
        error.map_or(Ok(result), Err)
    }

    /// Fails on the first rate that is negative or not finite.
    pub fn validate(&self) -> Result<(), PricingError> {
        match self
            .fields()
            .into_iter()
            .find(|(_, v)| v.is_some_and(|v| !is_rate(v)))
        {
            Some((key, _)) => Err(PricingError::InvalidOverride(key.to_string())),
            None => Ok(()),
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }

    fn fields(&self) -> [(&'static str, Option<f64>); 7] {
        [
            (Self::KEYS[0], self.input_cost_per_token),
            (Self::KEYS[1], self.output_cost_per_token),
            (Self::KEYS[2], self.cache_read_input_token_cost),
            (Self::KEYS[3], self.cache_creation_input_token_cost),
            (Self::KEYS[4], self.output_cost_per_reasoning_token),
            (Self::KEYS[5], self.input_cost_per_second),
            (Self::KEYS[6], self.output_cost_per_second),
        ]
    }

    /// The same override without values that could not be a price.
    /// `resolve` uses it so that an unvalidated override can never produce a
    /// negative or NaN cost.
    fn sanitized(&self) -> Self {
        let keep = |v: Option<f64>| v.filter(|v| is_rate(*v));
        Self {
            input_cost_per_token: keep(self.input_cost_per_token),
            output_cost_per_token: keep(self.output_cost_per_token),
            cache_read_input_token_cost: keep(self.cache_read_input_token_cost),
            cache_creation_input_token_cost: keep(self.cache_creation_input_token_cost),
            output_cost_per_reasoning_token: keep(self.output_cost_per_reasoning_token),
            input_cost_per_second: keep(self.input_cost_per_second),
            output_cost_per_second: keep(self.output_cost_per_second),
        }
    }
}

fn is_rate(value: f64) -> bool {
    value.is_finite() && value >= 0.0
}

/// Where a resolved price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceOrigin {
    /// The built-in catalog, unchanged.
    Catalog,
    /// The deployment's own prices only (no catalog row, or a time-priced
    /// override, which replaces the catalog).
    Override,
    /// A catalog row with some rates replaced by the deployment's.
    CatalogWithOverride,
}

/// What a deployment costs, decided once when the config loads. The price
/// is shared (`Arc`) because every request to the deployment reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Priced {
        price: Arc<ModelPrice>,
        origin: PriceOrigin,
    },
    /// No price is known. The caller records the cost as unknown (not zero)
    /// and calls [`warn_once`].
    Unknown,
}

impl Resolved {
    pub fn price(&self) -> Option<&ModelPrice> {
        match self {
            Self::Priced { price, .. } => Some(price),
            Self::Unknown => None,
        }
    }
}

/// The price of a deployment.
///
/// 1. The catalog row: by `base_model` when given (`model_info.base_model`,
///    how LiteLLM prices Azure deployments, whose names say nothing), else,
///    or when the base model is unknown, by `provider` and `model`
///    ([`price_of`] documents the matching).
/// 2. Overrides beat the catalog field by field. Replacing the input or
///    output rate also drops the catalog's long-context tiers: they are
///    list prices, and a deployment with its own base price (a negotiated
///    rate) has none unless it says so. An override with a
///    per-second rate makes the deployment time-priced: it starts from an
///    empty price instead of the catalog row (LiteLLM bills such a
///    deployment by duration), keeping only the per-token rates the same
///    override sets.
/// 3. Without a catalog row, an override that sets any rate prices the
///    deployment and the rates it leaves out are zero: the operator said
///    what the deployment costs. An empty override gives `Unknown`.
pub fn resolve(
    provider: &str,
    model: &str,
    base_model: Option<&str>,
    overrides: &PriceOverride,
) -> Resolved {
    let catalog = base_model
        .and_then(|base| price_of(provider, base))
        .or_else(|| price_of(provider, model));
    let overrides = overrides.sanitized();
    let timed =
        overrides.input_cost_per_second.is_some() || overrides.output_cost_per_second.is_some();
    if overrides.is_empty() {
        return match catalog {
            Some(price) => Resolved::Priced {
                price: Arc::new(price.clone()),
                origin: PriceOrigin::Catalog,
            },
            None => Resolved::Unknown,
        };
    }
    let (mut price, origin) = match catalog {
        Some(price) if !timed => (price.clone(), PriceOrigin::CatalogWithOverride),
        _ => {
            let mut price = ModelPrice::per_token(model, provider, 0.0, 0.0);
            price.source = "litellm_params".to_string();
            (price, PriceOrigin::Override)
        }
    };
    apply(&mut price, &overrides);
    Resolved::Priced {
        price: Arc::new(price),
        origin,
    }
}

fn apply(price: &mut ModelPrice, o: &PriceOverride) {
    let base_changed = o.input_cost_per_token.is_some() || o.output_cost_per_token.is_some();
    if let Some(v) = o.input_cost_per_token {
        price.input_cost_per_token = v;
    }
    if let Some(v) = o.output_cost_per_token {
        price.output_cost_per_token = v;
    }
    if base_changed {
        // The catalog's long-context tiers are the provider's list prices
        // scaled for long prompts; with the base rates replaced (a
        // negotiated price) they no longer apply, and keeping them would
        // charge long prompts at list price.
        price.tiers.clear();
    }
    let optional = [
        (
            &mut price.cache_read_input_token_cost,
            o.cache_read_input_token_cost,
        ),
        (
            &mut price.cache_creation_input_token_cost,
            o.cache_creation_input_token_cost,
        ),
        (
            &mut price.output_cost_per_reasoning_token,
            o.output_cost_per_reasoning_token,
        ),
        (&mut price.input_cost_per_second, o.input_cost_per_second),
        (&mut price.output_cost_per_second, o.output_cost_per_second),
    ];
    for (slot, value) in optional {
        if value.is_some() {
            *slot = value;
        }
    }
    if !price.source.contains("litellm_params") {
        price.source = format!("{} + litellm_params", price.source);
    }
}

/// How many distinct unpriced models are remembered. Model names can come
/// from clients (wildcard groups pass any name through), so the set is
/// bounded; past it, one last warning says so and the rest are silent.
const WARN_CAPACITY: usize = 4096;

#[derive(Default)]
struct Warned {
    models: HashSet<String>,
    overflowed: bool,
}

/// Logs a warning that `model` has no price, at most once per model per
/// process. Returns whether it logged.
pub fn warn_once(model: &str) -> bool {
    static WARNED: OnceLock<Mutex<Warned>> = OnceLock::new();
    let warned = WARNED.get_or_init(Mutex::default);
    // A panic elsewhere while holding the lock leaves the set intact; keep
    // using it rather than losing the warnings.
    let mut warned = warned
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if warned.overflowed || warned.models.contains(model) {
        return false;
    }
    if warned.models.len() >= WARN_CAPACITY {
        warned.overflowed = true;
        tracing::warn!(
            limit = WARN_CAPACITY,
            "too many unpriced models; further ones are not logged"
        );
        return false;
    }
    warned.models.insert(model.to_string());
    tracing::warn!(
        model,
        "no price for this model: its cost is recorded as unknown; set input_cost_per_token/output_cost_per_token or model_info.base_model on the deployment"
    );
    true
}
