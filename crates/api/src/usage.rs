//! Token usage in one dialect-neutral shape, for accounting.

/// Tokens a request consumed, as the upstream reported them.
///
/// `input_tokens` includes cached and cache-written tokens (OpenAI's
/// convention); pricing subtracts them to price them at their own rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens served from the provider's prompt cache.
    pub cached_input_tokens: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write_tokens: u64,
    /// Output tokens spent on reasoning (included in `output_tokens`).
    pub reasoning_tokens: u64,
}

impl TokenUsage {
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}
