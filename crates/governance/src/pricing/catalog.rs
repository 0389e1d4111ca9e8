//! The built-in price list: `prices.yaml`, embedded in the binary and parsed
//! once.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use super::PricingError;
use super::model::{Mode, ModelPrice, PriceTier};

/// The data file, compiled in so that a price lookup never touches the disk
/// and a release carries the prices it was tested with.
pub(crate) const EMBEDDED: &str = include_str!("prices.yaml");

/// Parsed catalog with the indexes the lookup needs.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) prices: Vec<ModelPrice>,
    /// Every key and alias exactly as written in the file.
    by_key: HashMap<String, usize>,
    /// Provider → model → row. A key `groq/llama-3.1-8b-instant` lands under
    /// `groq` as `llama-3.1-8b-instant`; a bare key (`gpt-4o`,
    /// `anthropic.claude-...`) lands under its row's provider as itself. This
    /// lets the lookup answer "`provider/model`" without building a string.
    by_provider: HashMap<String, HashMap<String, usize>>,
}

impl Catalog {
    pub(crate) fn get(&self, key: &str) -> Option<&ModelPrice> {
        self.by_key.get(key).and_then(|&i| self.prices.get(i))
    }

    pub(crate) fn get_for(&self, provider: &str, model: &str) -> Option<&ModelPrice> {
        self.by_provider
            .get(provider)
            .and_then(|models| models.get(model))
            .and_then(|&i| self.prices.get(i))
    }
}

/// The catalog, parsed on first use.
///
/// The file is part of the source tree and a unit test parses it, so a parse
/// failure here is a build defect; it is logged and the catalog is empty, so
/// every model resolves to `Unknown` (a visible warning per model) instead of
/// the gateway panicking.
pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        parse(EMBEDDED).unwrap_or_else(|error| {
            tracing::error!(%error, "the built-in pricing catalog does not parse; every model is unpriced");
            Catalog::default()
        })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    models: BTreeMap<String, RawRow>,
}

#[derive(Deserialize)]
struct RawRow {
    provider: String,
    #[serde(default)]
    mode: Mode,
    // Required, even when zero (embeddings, per-second models), so that a
    // row can never lose a price by omission.
    input_cost_per_token: f64,
    output_cost_per_token: f64,
    #[serde(default)]
    cache_read_input_token_cost: Option<f64>,
    #[serde(default)]
    cache_creation_input_token_cost: Option<f64>,
    #[serde(default)]
    output_cost_per_reasoning_token: Option<f64>,
    #[serde(default)]
    input_cost_per_second: Option<f64>,
    #[serde(default)]
    output_cost_per_second: Option<f64>,
    #[serde(default)]
    input_cost_per_image: Option<f64>,
    #[serde(default)]
    output_cost_per_image: Option<f64>,
    #[serde(default)]
    max_input_tokens: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    source: String,
    /// Other names for exactly this price (dated snapshots, `-latest`
    /// names, Bedrock inference profiles priced like the base model).
    #[serde(default)]
    aliases: Vec<String>,
    /// Why a row deviates from the source, when it does. Not used in code.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    /// LiteLLM's long-context keys (`input_cost_per_token_above_200k_tokens`,
    /// ...). Flattened because the threshold is part of the key name; any
    /// other unknown key lands here too and is rejected as a typo.
    #[serde(flatten)]
    tiered: BTreeMap<String, f64>,
}

/// Parses and validates a catalog document.
pub(crate) fn parse(text: &str) -> Result<Catalog, PricingError> {
    let raw: RawCatalog =
        serde_saphyr::from_str(text).map_err(|e| PricingError::Syntax(e.to_string()))?;
    let mut catalog = Catalog::default();
    for (key, row) in raw.models {
        let aliases = row.aliases.clone();
        let price = build(&key, row)?;
        let index = catalog.prices.len();
        catalog.prices.push(price);
        for name in std::iter::once(key.as_str()).chain(aliases.iter().map(String::as_str)) {
            catalog.insert(name, index)?;
        }
    }
    Ok(catalog)
}

impl Catalog {
    fn insert(&mut self, name: &str, index: usize) -> Result<(), PricingError> {
        let provider = self.prices[index].provider.clone();
        if self.by_key.insert(name.to_string(), index).is_some() {
            return Err(PricingError::row(name, "the name appears twice"));
        }
        let (group, model) = match name.split_once('/') {
            // A prefixed key names its provider; keeping the two equal is
            // what makes `provider/model` and the provider index agree.
            Some((prefix, _)) if prefix != provider => {
                return Err(PricingError::row(
                    name,
                    &format!("the prefix does not match provider `{provider}`"),
                ));
            }
            Some((prefix, rest)) => (prefix.to_string(), rest),
            None => (provider, name),
        };
        let models = self.by_provider.entry(group).or_default();
        match models.insert(model.to_string(), index) {
            Some(other) if other != index => Err(PricingError::row(
                name,
                "another row has the same provider and model",
            )),
            _ => Ok(()),
        }
    }
}

const TIER_FIELDS: [&str; 5] = [
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
];

fn build(key: &str, row: RawRow) -> Result<ModelPrice, PricingError> {
    if row.source.trim().is_empty() {
        return Err(PricingError::row(key, "every row names its source"));
    }
    if row.provider.trim().is_empty() {
        return Err(PricingError::row(key, "provider is empty"));
    }
    let mut tiers: BTreeMap<u64, PriceTier> = BTreeMap::new();
    for (name, value) in row.tiered {
        let (field, threshold) = parse_tier_key(&name)
            .ok_or_else(|| PricingError::row(key, &format!("unknown field `{name}`")))?;
        let tier = tiers.entry(threshold).or_insert_with(|| PriceTier {
            above_input_tokens: threshold,
            ..PriceTier::default()
        });
        let slot = match field {
            "input_cost_per_token" => &mut tier.input_cost_per_token,
            "output_cost_per_token" => &mut tier.output_cost_per_token,
            "cache_read_input_token_cost" => &mut tier.cache_read_input_token_cost,
            "cache_creation_input_token_cost" => &mut tier.cache_creation_input_token_cost,
            _ => &mut tier.output_cost_per_reasoning_token,
        };
        *slot = Some(value);
    }
    let price = ModelPrice {
        key: key.to_string(),
        provider: row.provider,
        mode: row.mode,
        input_cost_per_token: row.input_cost_per_token,
        output_cost_per_token: row.output_cost_per_token,
        cache_read_input_token_cost: row.cache_read_input_token_cost,
        cache_creation_input_token_cost: row.cache_creation_input_token_cost,
        output_cost_per_reasoning_token: row.output_cost_per_reasoning_token,
        input_cost_per_second: row.input_cost_per_second,
        output_cost_per_second: row.output_cost_per_second,
        input_cost_per_image: row.input_cost_per_image,
        output_cost_per_image: row.output_cost_per_image,
        tiers: tiers.into_values().collect(),
        max_input_tokens: row.max_input_tokens,
        max_output_tokens: row.max_output_tokens,
        source: row.source,
    };
    for (name, value) in price.all_rates() {
        if !value.is_finite() || value < 0.0 {
            return Err(PricingError::row(
                key,
                &format!("{name} must be a non-negative number, not {value}"),
            ));
        }
    }
    Ok(price)
}

/// `input_cost_per_token_above_200k_tokens` → (`input_cost_per_token`,
/// 200_000). "k" is 1,000, as the providers count their thresholds.
fn parse_tier_key(name: &str) -> Option<(&'static str, u64)> {
    let (field, rest) = name.split_once("_above_")?;
    let field = TIER_FIELDS.into_iter().find(|f| *f == field)?;
    let thousands: u64 = rest.strip_suffix("k_tokens")?.parse().ok()?;
    Some((field, thousands.checked_mul(1000)?))
}
