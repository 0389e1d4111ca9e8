//! The cost of one request from its usage and a price.
//!
//! No rounding anywhere: every component is `tokens × rate` in `f64` and the
//! total is their sum. Rates are short decimals (2.5e-6) and token counts are
//! far below 2^53, so each product carries a relative error of about 1e-16
//! and a sum of millions of requests stays within 1e-9 of the exact decimal
//! total (the tests check both). Rounding to cents belongs to presentation.

use switchboard_api::TokenUsage;

use super::model::ModelPrice;

/// What a request used besides tokens, for the prices that are not per
/// token. Leave it at the default for a plain chat or embedding request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metered {
    /// How long the request took, in seconds, for time-priced models
    /// (`input_cost_per_second` / `output_cost_per_second`). LiteLLM bills
    /// the request's duration at both rates; so does switchboard.
    pub duration_seconds: Option<f64>,
    /// Images sent, for models that bill input images by count.
    pub input_images: u64,
    /// Images produced, for image generation priced per image.
    pub output_images: u64,
}

/// The cost of one request in USD, with its parts.
///
/// `total` is the sum of the parts. `output` excludes the reasoning tokens,
/// which are in `reasoning` (at the reasoning rate when the model has one,
/// else at the output rate), so the breakdown shows what thinking cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub total: f64,
    /// Uncached prompt tokens.
    pub input: f64,
    /// Prompt tokens read from the provider's cache.
    pub cached_input: f64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write: f64,
    /// Completion tokens other than reasoning.
    pub output: f64,
    pub reasoning: f64,
    pub images: f64,
    /// Time-based part (`duration × (input + output) per-second rates`).
    pub time: f64,
    /// The long-context tier that priced this request, by its threshold.
    pub tier: Option<u64>,
    /// The price has a per-second rate but no valid duration was given, so
    /// `time` is missing from `total`: record the cost as a lower bound.
    pub incomplete: bool,
}

/// The cost of a request that used only tokens.
pub fn cost(price: &ModelPrice, usage: &TokenUsage) -> Cost {
    cost_with(price, usage, &Metered::default())
}

/// The cost of a request, including its time- and image-based parts.
///
/// Token accounting (`TokenUsage` follows OpenAI's convention):
/// - `input_tokens` includes the cached and the cache-write tokens; the
///   uncached remainder is priced at the input rate. If the upstream reports
///   more cached + cache-write tokens than input tokens (an inconsistent
///   report), the remainder is zero rather than negative.
/// - `output_tokens` includes `reasoning_tokens`; reasoning beyond the
///   output count is capped at it for the same reason.
/// - The long-context tier is chosen by the whole prompt, `input_tokens`.
pub fn cost_with(price: &ModelPrice, usage: &TokenUsage, metered: &Metered) -> Cost {
    let rates = price.rates(usage.input_tokens);
    let cached = usage.cached_input_tokens.min(usage.input_tokens);
    let written = usage
        .cache_write_tokens
        .min(usage.input_tokens.saturating_sub(cached));
    let uncached = usage.input_tokens - cached - written;
    let reasoning = usage.reasoning_tokens.min(usage.output_tokens);
    let visible_output = usage.output_tokens - reasoning;

    let input = tokens(uncached) * rates.input;
    let cached_input = tokens(cached) * rates.cached_input;
    let cache_write = tokens(written) * rates.cache_write;
    let output = tokens(visible_output) * rates.output;
    let reasoning = tokens(reasoning) * rates.reasoning;
    let images = tokens(metered.input_images) * price.input_cost_per_image.unwrap_or(0.0)
        + tokens(metered.output_images) * price.output_cost_per_image.unwrap_or(0.0);

    let per_second =
        price.input_cost_per_second.unwrap_or(0.0) + price.output_cost_per_second.unwrap_or(0.0);
    let timed = price.input_cost_per_second.is_some() || price.output_cost_per_second.is_some();
    let duration = metered
        .duration_seconds
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0);
    let (time, incomplete) = match (timed, duration) {
        (false, _) => (0.0, false),
        (true, Some(seconds)) => (seconds * per_second, false),
        (true, None) => (0.0, true),
    };

    Cost {
        total: input + cached_input + cache_write + output + reasoning + images + time,
        input,
        cached_input,
        cache_write,
        output,
        reasoning,
        images,
        time,
        tier: rates.tier,
        incomplete,
    }
}

/// Token counts are exact in `f64` up to 2^53, far beyond any request.
fn tokens(count: u64) -> f64 {
    count as f64
}
