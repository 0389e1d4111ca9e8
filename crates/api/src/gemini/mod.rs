//! The Gemini API family (Google AI Studio `v1beta`, also Vertex AI) and pure
//! conversions to and from OpenAI Chat Completions and Embeddings.
//!
//! Two directions, each a set of pure functions (DESIGN.md §2):
//! - **A: OpenAI client → Gemini upstream**: [`request_from_openai`],
//!   [`response_to_openai`], [`StreamToOpenAi`], the embeddings pair and
//!   [`error_from_gemini`].
//! - **B: Gemini client → OpenAI-dialect upstream**: [`request_to_openai`],
//!   [`response_from_openai`], [`StreamFromOpenAi`], [`sse_event`], the
//!   inverse embeddings pair and [`count_tokens_estimate`].
//!
//! Tool call ids. Gemini's `functionCall.id` is optional (AI Studio sends it,
//! Vertex rejects it in requests), so Direction A never sends ids upstream:
//! Gemini pairs calls and results by name and order. OpenAI clients get the
//! part's id or `call_<n>`. Gemini 2.5+ also attaches a `thoughtSignature`
//! to function calls that must come back on the next turn (Gemini 3 refuses
//! the request otherwise); OpenAI has no field for it, so it travels inside
//! the tool call id as `<id>__thought__<signature>`, which every OpenAI
//! client echoes verbatim (LiteLLM's convention). In Direction B, calls
//! without an id get `call_<name>_<n>`, generated identically for the call
//! and its result.

mod embeddings;
mod error;
mod from_gemini;
mod from_openai;
mod media;
mod schema;
mod stream_from_openai;
mod stream_to_openai;
mod to_gemini;
mod to_openai;
mod tokens;
mod types;

#[cfg(test)]
mod tests;

pub use embeddings::{
    embeddings_request_from_openai, embeddings_request_to_openai, embeddings_response_from_openai,
    embeddings_response_to_openai,
};
pub use error::error_from_gemini;
pub use from_gemini::response_to_openai;
pub use from_openai::{response_from_openai, sse_event};
pub use stream_from_openai::StreamFromOpenAi;
pub use stream_to_openai::StreamToOpenAi;
pub use to_gemini::{GeminiRequest, request_from_openai};
pub use to_openai::request_to_openai;
pub use tokens::count_tokens_estimate;
pub use types::*;

use crate::openai::chat::ChatUsage;
use crate::usage::TokenUsage;

/// Separates a tool call id from the Gemini thought signature it carries.
const THOUGHT_SIGNATURE_SEPARATOR: &str = "__thought__";

/// The OpenAI tool call id of a Gemini function call.
fn encode_tool_call_id(id: &str, thought_signature: Option<&str>) -> String {
    match thought_signature {
        Some(signature) => format!("{id}{THOUGHT_SIGNATURE_SEPARATOR}{signature}"),
        None => id.to_owned(),
    }
}

/// The thought signature carried by an OpenAI tool call id, if any.
fn thought_signature_of(tool_call_id: &str) -> Option<&str> {
    tool_call_id
        .split_once(THOUGHT_SIGNATURE_SEPARATOR)
        .map(|(_, signature)| signature)
        .filter(|signature| !signature.is_empty())
}

/// Gemini `finishReason` → OpenAI `finish_reason`.
fn finish_reason_to_openai(reason: &str, has_tool_calls: bool) -> &'static str {
    match reason {
        "STOP" if has_tool_calls => "tool_calls",
        "MAX_TOKENS" => "length",
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            "content_filter"
        }
        _ => "stop",
    }
}

/// OpenAI `finish_reason` → Gemini `finishReason`. Unknown reasons (some
/// OpenAI-compatible servers invent their own) read as a normal stop.
fn finish_reason_from_openai(reason: &str) -> &'static str {
    match reason {
        "length" => "MAX_TOKENS",
        "content_filter" => "SAFETY",
        _ => "STOP",
    }
}

/// Gemini usage in the gateway's neutral shape.
///
/// Thought tokens are output (Google bills them as output, and OpenAI counts
/// reasoning tokens inside `completion_tokens`). Tool-use prompt tokens (the
/// results of built-in search or code execution fed back to the model) are
/// input: they are part of Gemini's `totalTokenCount` and billed as input.
pub(crate) fn usage_to_openai(usage: &UsageMetadata) -> TokenUsage {
    let thoughts = usage.thoughts_token_count.unwrap_or(0);
    TokenUsage {
        input_tokens: usage.prompt_token_count.unwrap_or(0)
            + usage.tool_use_prompt_token_count.unwrap_or(0),
        output_tokens: usage.candidates_token_count.unwrap_or(0) + thoughts,
        cached_input_tokens: usage.cached_content_token_count.unwrap_or(0),
        cache_write_tokens: 0,
        reasoning_tokens: thoughts,
    }
}

/// OpenAI usage as Gemini `usageMetadata` (the inverse of
/// [`usage_to_openai`]); zero detail counts are left out, as Gemini does.
fn usage_from_openai(usage: &ChatUsage) -> UsageMetadata {
    let reasoning = usage
        .completion_tokens_details
        .map_or(0, |details| details.reasoning_tokens);
    let cached = usage
        .prompt_tokens_details
        .map_or(0, |details| details.cached_tokens);
    let total = usage
        .total_tokens
        .max(usage.prompt_tokens + usage.completion_tokens);
    UsageMetadata {
        prompt_token_count: Some(usage.prompt_tokens),
        cached_content_token_count: (cached > 0).then_some(cached),
        candidates_token_count: Some(usage.completion_tokens.saturating_sub(reasoning)),
        tool_use_prompt_token_count: None,
        thoughts_token_count: (reasoning > 0).then_some(reasoning),
        total_token_count: Some(total),
        rest: serde_json::Map::new(),
    }
}
