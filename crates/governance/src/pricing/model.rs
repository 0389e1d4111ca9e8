//! The shape of one model's price, as the catalog and the overrides build it.

/// What kind of endpoint a model serves. Only informative for pricing: the
/// arithmetic is the same, but reports and estimates can tell an embedding
/// row (no output tokens) from a chat row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Chat,
    Responses,
    Embedding,
    AudioTranscription,
    ImageGeneration,
}

/// Published list prices of one model, in USD.
///
/// Field names follow LiteLLM's `model_prices_and_context_window.json` so a
/// row can be compared with (or copied from) it. Every `*_cost_per_token` is
/// USD per token, not per million.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPrice {
    /// The catalog key (`gpt-4o`, `gemini/gemini-2.5-pro`,
    /// `bedrock/...`), or the model name for a price built from overrides.
    pub key: String,
    /// Provider in switchboard's (LiteLLM's) naming: `openai`, `azure`,
    /// `anthropic`, `bedrock`, `gemini`, `vertex_ai`, `groq`, ...
    pub provider: String,
    pub mode: Mode,
    /// Uncached prompt tokens.
    pub input_cost_per_token: f64,
    /// Completion tokens (reasoning included unless priced separately).
    pub output_cost_per_token: f64,
    /// Prompt tokens served from the provider's cache; `None` means the
    /// provider publishes no discount and they cost `input_cost_per_token`.
    pub cache_read_input_token_cost: Option<f64>,
    /// Prompt tokens written to the cache (Anthropic's 5-minute write);
    /// `None` means they cost `input_cost_per_token`.
    pub cache_creation_input_token_cost: Option<f64>,
    /// Reasoning tokens, for the few models that price them apart from the
    /// rest of the output; `None` means `output_cost_per_token`.
    pub output_cost_per_reasoning_token: Option<f64>,
    /// Time-based price (transcription, some hosted models): USD per second
    /// of the request, applied to the duration the caller passes.
    pub input_cost_per_second: Option<f64>,
    pub output_cost_per_second: Option<f64>,
    /// Per-image prices, for models that bill images by count rather than as
    /// tokens (image embeddings, image generation).
    pub input_cost_per_image: Option<f64>,
    pub output_cost_per_image: Option<f64>,
    /// Long-context prices, ascending by threshold.
    pub tiers: Vec<PriceTier>,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// Where the numbers come from.
    pub source: String,
}

/// Prices that replace the base ones for a whole request whose prompt is
/// longer than `above_input_tokens` (Gemini 2.5 Pro and Claude Sonnet 4/4.5
/// above 200k, GPT-5.4 above 272k, Gemini 1.5 and Grok 4 above 128k). As the
/// providers bill it, the higher rate applies to every token of such a
/// request, not only to the tokens past the threshold. A field left `None`
/// keeps the base rate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceTier {
    pub above_input_tokens: u64,
    pub input_cost_per_token: Option<f64>,
    pub output_cost_per_token: Option<f64>,
    pub cache_read_input_token_cost: Option<f64>,
    pub cache_creation_input_token_cost: Option<f64>,
    pub output_cost_per_reasoning_token: Option<f64>,
}

/// The per-token rates that apply to one request, fallbacks resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub input: f64,
    pub cached_input: f64,
    pub cache_write: f64,
    pub output: f64,
    pub reasoning: f64,
    /// The tier's threshold when a long-context tier applies.
    pub tier: Option<u64>,
}

impl ModelPrice {
    /// A price with only the two basic rates; the other fields unset.
    pub fn per_token(
        key: impl Into<String>,
        provider: impl Into<String>,
        input: f64,
        output: f64,
    ) -> Self {
        Self {
            key: key.into(),
            provider: provider.into(),
            mode: Mode::Chat,
            input_cost_per_token: input,
            output_cost_per_token: output,
            cache_read_input_token_cost: None,
            cache_creation_input_token_cost: None,
            output_cost_per_reasoning_token: None,
            input_cost_per_second: None,
            output_cost_per_second: None,
            input_cost_per_image: None,
            output_cost_per_image: None,
            tiers: Vec::new(),
            max_input_tokens: None,
            max_output_tokens: None,
            source: String::new(),
        }
    }

    /// The tier for a prompt of `prompt_tokens`: the one with the highest
    /// threshold strictly below it.
    pub fn tier_for(&self, prompt_tokens: u64) -> Option<&PriceTier> {
        self.tiers
            .iter()
            .rev()
            .find(|tier| prompt_tokens > tier.above_input_tokens)
    }

    /// The rates for a request whose prompt (cached and cache-write tokens
    /// included) is `prompt_tokens` long.
    ///
    /// Fallbacks, in order: the tier's field, the base field, then the rate
    /// the provider bills when it publishes none (cache read and cache write
    /// at the input rate, reasoning at the output rate). The fallbacks can
    /// only over-charge, never charge nothing.
    pub fn rates(&self, prompt_tokens: u64) -> Rates {
        let tier = self.tier_for(prompt_tokens);
        let tiered = |field: fn(&PriceTier) -> Option<f64>| tier.and_then(field);
        let input = tiered(|t| t.input_cost_per_token).unwrap_or(self.input_cost_per_token);
        let output = tiered(|t| t.output_cost_per_token).unwrap_or(self.output_cost_per_token);
        Rates {
            input,
            cached_input: tiered(|t| t.cache_read_input_token_cost)
                .or(self.cache_read_input_token_cost)
                .unwrap_or(input),
            cache_write: tiered(|t| t.cache_creation_input_token_cost)
                .or(self.cache_creation_input_token_cost)
                .unwrap_or(input),
            output,
            reasoning: tiered(|t| t.output_cost_per_reasoning_token)
                .or(self.output_cost_per_reasoning_token)
                .unwrap_or(output),
            tier: tier.map(|t| t.above_input_tokens),
        }
    }

    /// Every rate of the row, for validation: name and value.
    pub(crate) fn all_rates(&self) -> Vec<(&'static str, f64)> {
        let mut rates = vec![
            ("input_cost_per_token", self.input_cost_per_token),
            ("output_cost_per_token", self.output_cost_per_token),
        ];
        let optional = [
            (
                "cache_read_input_token_cost",
                self.cache_read_input_token_cost,
            ),
            (
                "cache_creation_input_token_cost",
                self.cache_creation_input_token_cost,
            ),
            (
                "output_cost_per_reasoning_token",
                self.output_cost_per_reasoning_token,
            ),
            ("input_cost_per_second", self.input_cost_per_second),
            ("output_cost_per_second", self.output_cost_per_second),
            ("input_cost_per_image", self.input_cost_per_image),
            ("output_cost_per_image", self.output_cost_per_image),
        ];
        rates.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name, v))),
        );
        for tier in &self.tiers {
            let tiered = [
                ("input_cost_per_token (tier)", tier.input_cost_per_token),
                ("output_cost_per_token (tier)", tier.output_cost_per_token),
                (
                    "cache_read_input_token_cost (tier)",
                    tier.cache_read_input_token_cost,
                ),
                (
                    "cache_creation_input_token_cost (tier)",
                    tier.cache_creation_input_token_cost,
                ),
                (
                    "output_cost_per_reasoning_token (tier)",
                    tier.output_cost_per_reasoning_token,
                ),
            ];
            rates.extend(
                tiered
                    .into_iter()
                    .filter_map(|(name, value)| value.map(|v| (name, v))),
            );
        }
        rates
    }
}
