//! OpenAI chat completion → Anthropic message.

use serde_json::{Map, Value};

use super::super::response::{MessagesResponse, StopReason, Usage};
use super::super::types::{ContentBlock, Role, ThinkingBlock, ToolUseBlock};
use crate::openai::chat::{ChatResponse, ChatUsage, ResponseMessage};

/// Translates a complete chat completion into an Anthropic message.
///
/// Content order follows Anthropic's: thinking, text, tool uses. Only the
/// first choice is used (Anthropic has no `n`).
pub fn response_from_openai(response: &ChatResponse) -> MessagesResponse {
    let choice = response.choices.first();
    let content = choice
        .map(|choice| content_blocks(&choice.message))
        .unwrap_or_default();
    let has_tool_use = content
        .iter()
        .any(|block| matches!(block, ContentBlock::ToolUse(_)));
    let finish_reason = choice.and_then(|choice| choice.finish_reason.as_deref());
    MessagesResponse {
        id: message_id(&response.id),
        r#type: "message".to_owned(),
        role: Role::Assistant,
        model: response.model.clone(),
        content,
        stop_reason: Some(stop_reason(finish_reason, has_tool_use)),
        stop_sequence: None,
        usage: usage(response.usage.as_ref()),
        rest: Map::new(),
    }
}

/// Anthropic ids start with `msg_`; an OpenAI id gets the prefix so clients
/// that check it are not surprised, and stays recognizable in logs.
pub(super) fn message_id(id: &str) -> String {
    if id.starts_with("msg_") {
        id.to_owned()
    } else {
        format!("msg_{id}")
    }
}

fn content_blocks(message: &ResponseMessage) -> Vec<ContentBlock> {
    let mut blocks = thinking(message);
    for text in [&message.content, &message.refusal].into_iter().flatten() {
        if !text.is_empty() {
            blocks.push(ContentBlock::text(text.clone()));
        }
    }
    for call in message.tool_calls.iter().flatten() {
        blocks.push(ContentBlock::ToolUse(ToolUseBlock {
            id: call.id.clone(),
            name: call.function.name.clone(),
            input: tool_input(&call.function.arguments),
            cache_control: None,
        }));
    }
    blocks
}

/// Signed `thinking_blocks` (from an upstream that relays Anthropic, such
/// as LiteLLM) are used as they are; plain `reasoning_content` becomes an
/// unsigned thinking block.
fn thinking(message: &ResponseMessage) -> Vec<ContentBlock> {
    let signed: Vec<ContentBlock> = message
        .thinking_blocks
        .iter()
        .flatten()
        .filter_map(|value| serde_json::from_value(value.clone()).ok())
        .filter(|block| {
            matches!(
                block,
                ContentBlock::Thinking(_) | ContentBlock::RedactedThinking(_)
            )
        })
        .collect();
    if !signed.is_empty() {
        return signed;
    }
    match message.reasoning_content.as_deref() {
        Some(text) if !text.is_empty() => vec![ContentBlock::Thinking(ThinkingBlock {
            thinking: text.to_owned(),
            signature: String::new(),
        })],
        _ => Vec::new(),
    }
}

/// Tool arguments as Anthropic's `input` object.
///
/// Empty arguments are `{}`. Arguments that are not a JSON object (cut off
/// at the token limit, or malformed by the model) are kept whole as
/// `{"_raw_arguments": "<text>"}` rather than dropped: the client's tool
/// then fails validation visibly instead of running with no arguments.
pub(super) fn tool_input(arguments: &str) -> Value {
    if arguments.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(object @ Value::Object(_)) => object,
        _ => serde_json::json!({ "_raw_arguments": arguments }),
    }
}

/// OpenAI's finish reason as Anthropic's stop reason. OpenAI-compatible
/// servers sometimes say `stop` after tool calls; Anthropic clients run
/// tools on `tool_use`, so tool calls decide.
pub(super) fn stop_reason(finish_reason: Option<&str>, has_tool_use: bool) -> StopReason {
    match finish_reason {
        Some("length") => StopReason::MaxTokens,
        Some("content_filter") => StopReason::Refusal,
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        _ if has_tool_use => StopReason::ToolUse,
        _ => StopReason::EndTurn,
    }
}

/// OpenAI's `prompt_tokens` include cached and cache-written tokens;
/// Anthropic's `input_tokens` do not.
pub(super) fn usage(usage: Option<&ChatUsage>) -> Usage {
    let usage = usage.copied().unwrap_or_default();
    let details = usage.prompt_tokens_details.unwrap_or_default();
    Usage {
        input_tokens: uncached_input(&usage),
        cache_creation_input_tokens: Some(details.cache_creation_tokens),
        cache_read_input_tokens: Some(details.cached_tokens),
        output_tokens: usage.completion_tokens,
        rest: Map::new(),
    }
}

pub(super) fn uncached_input(usage: &ChatUsage) -> u64 {
    let details = usage.prompt_tokens_details.unwrap_or_default();
    usage
        .prompt_tokens
        .saturating_sub(details.cached_tokens + details.cache_creation_tokens)
}
