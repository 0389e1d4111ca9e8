//! The Anthropic Messages API: wire types and pure conversions to and from
//! the gateway's lingua franca, OpenAI Chat Completions (DESIGN.md §2).
//!
//! Two directions, one submodule each, named after the dialect the *client*
//! speaks (the front door):
//! - [`openai_front`]: an OpenAI client in front of an Anthropic upstream.
//!   Chat request → Messages request; Messages response, stream events and
//!   errors → Chat Completions.
//! - [`anthropic_front`]: an Anthropic client in front of an OpenAI-dialect
//!   upstream. The inverse, plus a token-count estimate for
//!   `/v1/messages/count_tokens`.
//!
//! Everything here is a pure function or a state machine fed by the caller:
//! no I/O, no clocks, no randomness (ids and timestamps come from inputs).
//! Golden fixtures live in `crates/api/tests/golden/anthropic/`.

pub mod anthropic_front;
pub mod openai_front;
pub mod response;
pub mod types;

#[cfg(test)]
mod tests;

pub use anthropic_front::{
    StreamFromOpenAi, count_tokens_estimate, request_to_openai, response_from_openai,
};
pub use openai_front::{
    StreamToOpenAi, error_from_anthropic, request_from_openai, response_to_openai,
};
pub use response::{
    BlockDelta, DeltaUsage, ErrorBody, ErrorDetail, MessageDelta, MessagesResponse, StopReason,
    StreamEvent, Usage,
};
pub use types::{
    ContentBlock, CountTokensRequest, CountTokensResponse, CustomTool, DocumentBlock,
    DocumentSource, ImageBlock, ImageSource, InputMessage, MessageContent, MessagesRequest,
    Metadata, RedactedThinkingBlock, Role, System, SystemBlock, TextBlock, ThinkingBlock,
    ThinkingConfig, ToolChoice, ToolDefinition, ToolResultBlock, ToolResultContent, ToolUseBlock,
};

use crate::error::{ApiError, ErrorKind};

/// A translated request, with the names of the client's parameters the
/// target dialect has no equivalent for and that were left out.
///
/// The gateway decides what to do with `dropped`: LiteLLM's `drop_params`
/// semantics are to reject the request naming them, unless `drop_params` is
/// set.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated<T> {
    pub request: T,
    pub dropped: Vec<String>,
}

/// The name of the tool that stands in for OpenAI's `response_format`
/// `json_schema` (LiteLLM's approach): the request forces a call to it, and
/// the call's input becomes the response's text content.
pub const JSON_TOOL_NAME: &str = "json_tool_call";

/// Thinking budgets for OpenAI's `reasoning_effort`, as LiteLLM maps them.
/// Anthropic's minimum budget is 1024 tokens.
const BUDGET_LOW: u64 = 1024;
const BUDGET_MEDIUM: u64 = 2048;
const BUDGET_HIGH: u64 = 4096;

/// The JSON Schema of a tool without parameters.
fn empty_object_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {}})
}

/// A 400 naming the parameter at fault.
fn invalid(param: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message).with_param(param)
}

/// Splits `data:<media type>[;params];base64,<data>` into media type and
/// data. `None` for anything else (including non-base64 data URLs, which
/// Anthropic cannot take).
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let (header, data) = url.strip_prefix("data:")?.split_once(',')?;
    let header = header.strip_suffix(";base64")?;
    let media_type = header.split(';').next().unwrap_or(header);
    Some((media_type, data))
}

fn data_url(media_type: &str, data: &str) -> String {
    format!("data:{media_type};base64,{data}")
}
