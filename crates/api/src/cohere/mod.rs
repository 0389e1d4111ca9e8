//! Cohere's v2 API (chat, embed, rerank) and pure conversions from and to
//! the gateway's lingua franca, OpenAI (DESIGN.md §2).
//!
//! Cohere is an upstream only (there is no Cohere front door), so there is
//! one direction: an OpenAI-dialect request goes out as Cohere's
//! ([`request_from_openai`], [`embeddings_request_from_openai`],
//! [`rerank_request_to_cohere`]) and what comes back, whole
//! ([`response_to_openai`]), streamed ([`StreamToOpenAi`]) or failed
//! ([`error_from_cohere`]), goes to the client in OpenAI's shape.
//! [`CohereWire`] offers the chat side through the codec seam.
//!
//! Everything here is pure: no I/O, no clocks (ids and timestamps come from
//! inputs). Golden fixtures live in `crates/api/tests/golden/cohere/`.

mod embed;
mod request;
mod rerank;
mod response;
mod stream;
pub mod types;
mod wire;

#[cfg(test)]
mod tests;

pub use embed::{
    BilledUnits, DEFAULT_INPUT_TYPE, EmbedRequest, EmbedResponse, EmbeddingsByType, Meta,
    embeddings_request_from_openai, embeddings_response_to_openai, wants_base64,
};
pub use request::request_from_openai;
pub use rerank::{
    CohereRerankRequest, CohereRerankResponse, RerankRequest, RerankResult,
    rerank_request_to_cohere, rerank_response_from_cohere,
};
pub use response::{error_from_cohere, response_to_openai};
pub use stream::StreamToOpenAi;
pub use wire::CohereWire;

use crate::error::{ApiError, ErrorKind};

/// A translated request, with the names of the client's parameters Cohere
/// has no equivalent for and that were left out (LiteLLM's `drop_params`
/// decides whether that is an error).
#[derive(Debug, Clone, PartialEq)]
pub struct Translated<T> {
    pub request: T,
    pub dropped: Vec<String>,
}

/// Cohere `finish_reason` → OpenAI's. A call made under `COMPLETE` still
/// reads as `tool_calls`, which is what OpenAI clients loop on.
fn finish_reason(reason: &str, has_tool_calls: bool) -> &'static str {
    match reason {
        "MAX_TOKENS" => "length",
        "TOOL_CALL" => "tool_calls",
        _ if has_tool_calls => "tool_calls",
        _ => "stop",
    }
}

/// A 400 naming the parameter at fault.
fn invalid(param: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message).with_param(param)
}
