//! Anthropic Messages response and error → OpenAI Chat Completions.

use serde_json::Value;

use super::super::JSON_TOOL_NAME;
use super::super::response::{ErrorBody, MessagesResponse, StopReason, Usage};
use super::super::types::{ContentBlock, ThinkingBlock};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{
    ChatResponse, ChatUsage, Choice, FunctionCall, PromptDetails, ResponseMessage, ToolCall,
};

/// Translates a complete Anthropic message into a chat completion.
///
/// The id stays Anthropic's (`msg_...`), so logs on both sides match.
/// Text blocks are concatenated; thinking goes to `reasoning_content` and,
/// signed, to `thinking_blocks` (so the client can send it back); a call to
/// [`JSON_TOOL_NAME`] is the answer to a `response_format` and becomes the
/// text content. Blocks without an OpenAI equivalent (server tool blocks,
/// citations) are left out.
pub fn response_to_openai(response: &MessagesResponse, created: u64) -> ChatResponse {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for block in &response.content {
        match block {
            ContentBlock::Text(block) => text.push_str(&block.text),
            ContentBlock::Thinking(block) => {
                reasoning.push_str(&block.thinking);
                thinking_blocks.push(thinking_value(block));
            }
            ContentBlock::RedactedThinking(block) => thinking_blocks
                .push(serde_json::json!({"type": "redacted_thinking", "data": block.data})),
            ContentBlock::ToolUse(call) if call.name == JSON_TOOL_NAME => {
                text.push_str(&call.input.to_string());
            }
            ContentBlock::ToolUse(call) => tool_calls.push(ToolCall {
                id: call.id.clone(),
                r#type: "function".to_owned(),
                function: FunctionCall {
                    name: call.name.clone(),
                    arguments: call.input.to_string(),
                },
            }),
            _ => {}
        }
    }
    let has_tool_calls = !tool_calls.is_empty();
    let message = ResponseMessage {
        role: "assistant".to_owned(),
        // OpenAI sends `null` content beside tool calls when there is no text.
        content: (!text.is_empty() || !has_tool_calls).then_some(text),
        tool_calls: has_tool_calls.then_some(tool_calls),
        refusal: None,
        reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
        thinking_blocks: (!thinking_blocks.is_empty()).then_some(thinking_blocks),
        annotations: None,
    };
    ChatResponse {
        id: response.id.clone(),
        object: "chat.completion".to_owned(),
        created,
        model: response.model.clone(),
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(finish_reason(response.stop_reason.as_ref(), has_tool_calls)),
            logprobs: None,
        }],
        usage: Some(chat_usage(&response.usage)),
        system_fingerprint: None,
        service_tier: None,
    }
}

/// A thinking block as LiteLLM carries it in `thinking_blocks`.
pub(super) fn thinking_value(block: &ThinkingBlock) -> Value {
    serde_json::json!({
        "type": "thinking",
        "thinking": block.thinking,
        "signature": block.signature,
    })
}

/// Anthropic's stop reason as an OpenAI finish reason. `has_tool_calls` is
/// false when the only call was the `response_format` tool, whose input
/// became the text: for the client that is a normal stop.
pub(super) fn finish_reason(reason: Option<&StopReason>, has_tool_calls: bool) -> String {
    let reason = match reason {
        Some(StopReason::MaxTokens) => "length",
        Some(StopReason::ToolUse) if has_tool_calls => "tool_calls",
        Some(StopReason::Refusal) => "content_filter",
        // end_turn, stop_sequence, pause_turn, the response_format tool, and
        // reasons added later: the turn ended normally as far as OpenAI's
        // vocabulary can tell.
        _ => "stop",
    };
    reason.to_owned()
}

/// Anthropic reports cached and cache-written tokens apart from
/// `input_tokens`; OpenAI's `prompt_tokens` includes them.
pub(super) fn chat_usage(usage: &Usage) -> ChatUsage {
    let cache_write = usage.cache_creation_input_tokens.unwrap_or(0);
    let cache_read = usage.cache_read_input_tokens.unwrap_or(0);
    let prompt_tokens = usage.input_tokens + cache_write + cache_read;
    ChatUsage {
        prompt_tokens,
        completion_tokens: usage.output_tokens,
        total_tokens: prompt_tokens + usage.output_tokens,
        prompt_tokens_details: Some(PromptDetails {
            cached_tokens: cache_read,
            cache_creation_tokens: cache_write,
        }),
        completion_tokens_details: None,
    }
}

/// An Anthropic error response as an [`ApiError`], keeping the upstream's
/// status (a 529 stays 529) and message.
///
/// A body that is not Anthropic's error shape (a proxy's HTML page, say) is
/// classified by status alone.
pub fn error_from_anthropic(status: u16, body: &[u8]) -> ApiError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(body) => ApiError::new(error_kind(&body.error.r#type, status), body.error.message)
            .with_status(status),
        Err(_) => ApiError::new(
            ErrorKind::from_status(status),
            format!("Anthropic returned status {status}"),
        )
        .with_status(status),
    }
}

/// Anthropic's `error.type` values, from its errors reference; unknown types
/// fall back to the status.
pub(super) fn error_kind(error_type: &str, status: u16) -> ErrorKind {
    match error_type {
        "invalid_request_error" => ErrorKind::InvalidRequest,
        "authentication_error" => ErrorKind::Authentication,
        "permission_error" => ErrorKind::PermissionDenied,
        "not_found_error" => ErrorKind::NotFound,
        "request_too_large" => ErrorKind::RequestTooLarge,
        "rate_limit_error" => ErrorKind::RateLimited,
        "api_error" => ErrorKind::Internal,
        "overloaded_error" => ErrorKind::Unavailable,
        "timeout_error" => ErrorKind::Timeout,
        _ => ErrorKind::from_status(status),
    }
}
