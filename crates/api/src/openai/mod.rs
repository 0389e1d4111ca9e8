//! The OpenAI API family: the gateway's lingua franca (DESIGN.md §2).
//!
//! Only what the gateway acts on is typed here; everything else in a body is
//! forwarded as the client sent it.

pub mod chat;
mod request;
pub mod responses;
mod stream;

pub use request::{Edit, InspectedRequest, inspect_request, rewrite_request};
pub use stream::{ChunkAction, inspect_chunk};

use serde::Deserialize;

use crate::usage::TokenUsage;

/// The OpenAI-shaped operations the gateway proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    ChatCompletions,
    Completions,
    Embeddings,
    /// The Responses API (`/v1/responses`).
    Responses,
}

impl Operation {
    /// The path of this operation below an OpenAI base URL (`.../v1`).
    pub fn path(self) -> &'static str {
        match self {
            Operation::ChatCompletions => "/chat/completions",
            Operation::Completions => "/completions",
            Operation::Embeddings => "/embeddings",
            Operation::Responses => "/responses",
        }
    }

    /// The operation's name in logs (`call_type`).
    pub fn name(self) -> &'static str {
        match self {
            Operation::ChatCompletions => "chat_completions",
            Operation::Completions => "completions",
            Operation::Embeddings => "embeddings",
            Operation::Responses => "responses",
        }
    }

    /// The body field that carries the operation's input; a request without it
    /// is rejected before it costs an upstream call.
    pub fn input_field(self) -> &'static str {
        match self {
            Operation::ChatCompletions => "messages",
            Operation::Completions => "prompt",
            Operation::Embeddings | Operation::Responses => "input",
        }
    }

    /// Whether the operation can stream (embeddings cannot).
    pub fn can_stream(self) -> bool {
        !matches!(self, Operation::Embeddings)
    }

    /// Whether a stream reports usage only when asked with
    /// `stream_options.include_usage` (chat and completions). The Responses
    /// API always reports it, in `response.completed`, and rejects the option.
    pub fn usage_on_request(self) -> bool {
        matches!(self, Operation::ChatCompletions | Operation::Completions)
    }
}

/// OpenAI's `usage` object (chat, completions, embeddings, stream usage chunk).
///
/// Lenient on purpose: OpenAI-compatible services omit fields or send `null`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Usage {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub prompt_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub completion_tokens: u64,
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PromptTokensDetails {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cached_tokens: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CompletionTokensDetails {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub reasoning_tokens: u64,
}

impl From<&Usage> for TokenUsage {
    fn from(usage: &Usage) -> TokenUsage {
        TokenUsage {
            input_tokens: usage.prompt_tokens,
            output_tokens: usage.completion_tokens,
            cached_input_tokens: usage
                .prompt_tokens_details
                .as_ref()
                .map_or(0, |d| d.cached_tokens),
            cache_write_tokens: 0,
            reasoning_tokens: usage
                .completion_tokens_details
                .as_ref()
                .map_or(0, |d| d.reasoning_tokens),
        }
    }
}

fn null_as_zero<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.unwrap_or(0))
}

/// Reads the `usage` of a complete (non-stream) response body, skipping
/// everything else without building it.
pub fn response_usage(body: &[u8]) -> Option<TokenUsage> {
    // OpenAI writes `usage` last, so it is read from its key on without
    // walking the choices. Inside a string the key's quotes would be
    // escaped, so an unescaped `"usage":` is a member name; if it is not
    // the top-level one, or is written with spaces, the full read decides.
    if let Some(at) = memchr::memmem::rfind(body, b"\"usage\":") {
        let rest = &body[at + b"\"usage\":".len()..];
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<Option<Usage>>();
        if let Some(Ok(usage)) = values.next() {
            return usage.as_ref().map(TokenUsage::from);
        }
    }
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        usage: Option<Usage>,
    }
    let probe: Probe = serde_json::from_slice(body).ok()?;
    probe.usage.as_ref().map(TokenUsage::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_from_full_response() {
        let body = br#"{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}"#;
        let usage = response_usage(body).unwrap();
        assert_eq!(usage.input_tokens, 12);
        assert_eq!(usage.output_tokens, 3);
        assert_eq!(usage.cached_input_tokens, 4);
        assert_eq!(usage.reasoning_tokens, 2);
    }

    #[test]
    fn usage_tolerates_nulls_and_absence() {
        let body = br#"{"usage":{"prompt_tokens":null,"completion_tokens":7,"prompt_tokens_details":null}}"#;
        let usage = response_usage(body).unwrap();
        assert_eq!((usage.input_tokens, usage.output_tokens), (0, 7));
        assert!(response_usage(br#"{"id":"x"}"#).is_none());
        // The key inside content is not the member.
        let body = br#"{"choices":[{"message":{"content":"say \"usage\":{} please"}}],"usage":{"prompt_tokens":2,"completion_tokens":1}}"#;
        assert_eq!(response_usage(body).unwrap().input_tokens, 2);
        let body = br#"{"choices":[{"message":{"content":"\"usage\":{\"prompt_tokens\":9}"}}]}"#;
        assert!(response_usage(body).is_none());
        assert!(response_usage(b"not json").is_none());
    }
}
