//! Prices and cost: a built-in catalog of the major providers' list prices,
//! per-deployment overrides, and the exact cost of a request.
//!
//! # The catalog
//! `prices.yaml` (next to this file) holds one row per model under LiteLLM's
//! key and field names (`gpt-4o`, `claude-sonnet-4-5-20250929`,
//! `gemini/gemini-2.5-pro`, `groq/llama-3.1-8b-instant`,
//! `anthropic.claude-...` for Bedrock; `input_cost_per_token`,
//! `cache_read_input_token_cost`, `input_cost_per_token_above_200k_tokens`,
//! ...), each with the source its numbers come from. It is compiled in and
//! parsed once; a unit test guarantees it parses.
//!
//! # Lookup ([`price_of`])
//! For each candidate name, in order, the first row found wins:
//! 1. The name as given, under the provider: a key `provider/name`, or a
//!    bare key (`gpt-4o`) whose row belongs to that provider. A model that
//!    already carries the provider prefix (`gemini/gemini-2.5-flash` with
//!    provider `gemini`) is read without it.
//! 2. The same name under a sibling provider that resells at the same list
//!    price: Azure OpenAI global deployments at OpenAI's (`azure` → `openai`
//!    rows) and Vertex AI Gemini at the Gemini API's (`vertex_ai` →
//!    `gemini/` rows).
//! 3. With no provider (`""`), any row by its exact key or alias.
//!
//! The candidates are the name itself, then normalized forms, tried only
//! when the exact name is absent (so a dated snapshot priced differently,
//! like `gpt-4o-2024-05-13`, keeps its own row):
//! - Bedrock route prefixes `converse/` and `invoke/` removed;
//! - Bedrock's `global.` inference-profile prefix removed (AWS prices global
//!   profiles at the base rate). Geographic profiles (`us.`, `eu.`, `apac.`,
//!   ...) are *not* stripped: for Claude 4.5 and later AWS charges 10% more
//!   for them, so the catalog lists them (as their own rows or as aliases
//!   where the price is the base one) and an unlisted one stays unknown;
//! - a date suffix removed: `-2024-08-06` (OpenAI), `-20250929` or
//!   `@20250929` (Anthropic, Vertex) — `gpt-4o-2024-08-06` → `gpt-4o`;
//! - a three-digit version suffix removed: `gemini-2.0-flash-001` →
//!   `gemini-2.0-flash`.
//!
//! Azure deployment names say nothing about the model; the deployment's
//! `model_info.base_model` names it, and [`resolve`] looks that up first
//! ([`price_of_base_model`] is the same lookup on its own).
//!
//! # Cost
//! [`cost`] / [`cost_with`] price a [`TokenUsage`](switchboard_api::TokenUsage)
//! exactly (no rounding; see the `cost` module). A model without a price is
//! [`Resolved::Unknown`]: its cost is recorded as unknown, never as zero,
//! and [`warn_once`] logs it once.

mod catalog;
mod cost;
mod model;
mod overrides;

#[cfg(test)]
mod tests;

pub use cost::{Cost, Metered, cost, cost_with};
pub use model::{Mode, ModelPrice, PriceTier, Rates};
pub use overrides::{PriceOrigin, PriceOverride, Resolved, resolve, warn_once};

use catalog::{Catalog, catalog};

/// Errors of the catalog file and of overrides.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    #[error("the pricing catalog does not parse: {0}")]
    Syntax(String),
    #[error("pricing catalog, row `{key}`: {message}")]
    Row { key: String, message: String },
    #[error("litellm_params.{0}: must be a non-negative number")]
    InvalidOverride(String),
}

impl PricingError {
    fn row(key: &str, message: &str) -> Self {
        Self::Row {
            key: key.to_string(),
            message: message.to_string(),
        }
    }
}

/// The catalog price of `model` at `provider` (see the module docs for the
/// matching rules). `provider` may be empty when unknown.
pub fn price_of(provider: &str, model: &str) -> Option<&'static ModelPrice> {
    price_in(catalog(), provider, model)
}

/// The catalog price of a deployment's `model_info.base_model`
/// (`gpt-4o`, `azure/gpt-4o-mini`, ...), for deployments whose own name is
/// not a model name (Azure).
pub fn price_of_base_model(provider: &str, base_model: &str) -> Option<&'static ModelPrice> {
    price_of(provider, base_model)
}

/// Every row of the built-in catalog (aliases not repeated).
pub fn catalog_prices() -> &'static [ModelPrice] {
    &catalog().prices
}

/// Providers that resell another's models at its list price.
const SIBLINGS: &[(&str, &str)] = &[("azure", "openai"), ("vertex_ai", "gemini")];

/// LiteLLM's alternative provider names for the same price list.
const CANONICAL: &[(&str, &str)] = &[
    ("text-completion-openai", "openai"),
    ("azure_text", "azure"),
    ("bedrock_converse", "bedrock"),
    ("cohere_chat", "cohere"),
    ("vertex_ai_beta", "vertex_ai"),
];

fn price_in<'c>(catalog: &'c Catalog, provider: &str, model: &str) -> Option<&'c ModelPrice> {
    let provider = CANONICAL
        .iter()
        .find(|(alias, _)| *alias == provider)
        .map_or(provider, |(_, canonical)| canonical);
    let model = strip_prefix(model, provider).unwrap_or(model);
    candidates(model)
        .into_iter()
        .flatten()
        .find_map(|name| find(catalog, provider, name))
}

fn find<'c>(catalog: &'c Catalog, provider: &str, name: &str) -> Option<&'c ModelPrice> {
    if provider.is_empty() {
        return catalog.get(name);
    }
    catalog.get_for(provider, name).or_else(|| {
        SIBLINGS
            .iter()
            .filter(|(from, _)| *from == provider)
            .find_map(|(_, sibling)| catalog.get_for(sibling, name))
    })
}

/// `provider/rest` → `rest`, without allocating.
fn strip_prefix<'m>(model: &'m str, provider: &str) -> Option<&'m str> {
    if provider.is_empty() {
        return None;
    }
    model.strip_prefix(provider)?.strip_prefix('/')
}

/// The name and its normalized forms, each applied on top of the previous
/// one, most specific first. All are slices of `model`.
fn candidates(model: &str) -> [Option<&str>; 5] {
    let routed = ["converse/", "invoke/"]
        .iter()
        .find_map(|route| model.strip_prefix(route));
    let current = routed.unwrap_or(model);
    let global = current.strip_prefix("global.");
    let current = global.unwrap_or(current);
    let undated = strip_date(current);
    let current = undated.unwrap_or(current);
    let unversioned = strip_version(current);
    [Some(model), routed, global, undated, unversioned]
}

/// Removes `-YYYY-MM-DD`, `-YYYYMMDD` or `@YYYYMMDD` at the end. Works on
/// bytes: the separator is ASCII, so the cut is always a char boundary.
pub(crate) fn strip_date(model: &str) -> Option<&str> {
    let b = model.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let n = b.len();
    if n > 11 {
        let t = &b[n - 11..];
        if t[0] == b'-'
            && digits(&t[1..5])
            && t[5] == b'-'
            && digits(&t[6..8])
            && t[8] == b'-'
            && digits(&t[9..])
        {
            return model.get(..n - 11);
        }
    }
    if n > 9 {
        let t = &b[n - 9..];
        if (t[0] == b'-' || t[0] == b'@') && t[1..3] == *b"20" && digits(&t[1..]) {
            return model.get(..n - 9);
        }
    }
    None
}

/// Removes a `-NNN` version at the end (Google's stable model versions).
pub(crate) fn strip_version(model: &str) -> Option<&str> {
    let b = model.as_bytes();
    let n = b.len();
    if n > 4 && b[n - 4] == b'-' && b[n - 3..].iter().all(u8::is_ascii_digit) {
        return model.get(..n - 4);
    }
    None
}
