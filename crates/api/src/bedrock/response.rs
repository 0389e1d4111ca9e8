//! Converse response, usage and errors → OpenAI Chat Completions.

use serde_json::{Value, json};

use super::types::{ConverseResponse, ErrorBody, ReasoningContent, Usage};
use crate::anthropic::JSON_TOOL_NAME;
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{
    ChatResponse, ChatUsage, Choice, FunctionCall, PromptDetails, ResponseMessage, ToolCall,
};
use crate::usage::TokenUsage;

/// Translates a complete Converse response into a chat completion.
///
/// Bedrock's body has no id (it is in the `x-amzn-requestid` header), so the
/// completion's id is derived from the body and `created`: the same answer
/// gets the same id, as pure functions should. Text blocks are joined;
/// reasoning goes to `reasoning_content` and, signed, to `thinking_blocks`
/// (LiteLLM's shape, so the client can send it back); a call to
/// [`JSON_TOOL_NAME`] answers a `response_format` and becomes the text.
pub fn response_to_openai(
    response: &ConverseResponse,
    body: &[u8],
    model: &str,
    created: u64,
) -> ChatResponse {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    let blocks = response.output.message.iter().flat_map(|m| &m.content);
    for block in blocks {
        if let Some(part) = &block.text {
            text.push_str(part);
        }
        if let Some(content) = &block.reasoning_content {
            if let Some(reasoning_text) = &content.reasoning_text {
                reasoning.push_str(&reasoning_text.text);
            }
            thinking_blocks.extend(thinking_block(content));
        }
        match &block.tool_use {
            Some(call) if call.name == JSON_TOOL_NAME => text.push_str(&call.input.to_string()),
            Some(call) => tool_calls.push(ToolCall {
                id: call.tool_use_id.clone(),
                r#type: "function".to_owned(),
                function: FunctionCall {
                    name: call.name.clone(),
                    arguments: call.input.to_string(),
                },
            }),
            None => {}
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
        id: completion_id(body, created),
        object: "chat.completion".to_owned(),
        created,
        model: model.to_owned(),
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(
                finish_reason(response.stop_reason.as_deref(), has_tool_calls).to_owned(),
            ),
            logprobs: None,
        }],
        usage: response.usage.as_ref().map(chat_usage),
        system_fingerprint: None,
        service_tier: None,
    }
}

/// `chatcmpl-<FNV-1a of the seed>`: stable for the same input.
pub(super) fn completion_id(seed: &[u8], created: u64) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.iter().chain(&created.to_le_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("chatcmpl-{hash:016x}")
}

/// A reasoning block as LiteLLM carries it in `thinking_blocks`.
pub(super) fn thinking_block(content: &ReasoningContent) -> Option<Value> {
    if let Some(data) = &content.redacted_content {
        return Some(json!({"type": "redacted_thinking", "data": data}));
    }
    let reasoning = content.reasoning_text.as_ref()?;
    Some(json!({
        "type": "thinking",
        "thinking": reasoning.text,
        "signature": reasoning.signature,
    }))
}

/// Converse's `stopReason` as an OpenAI finish reason. `has_tool_calls` is
/// false when the only call was the `response_format` tool, whose input
/// became the text: for the client that is a normal stop.
pub(super) fn finish_reason(reason: Option<&str>, has_tool_calls: bool) -> &'static str {
    match reason {
        Some("max_tokens" | "model_context_window_exceeded") => "length",
        Some("tool_use") if has_tool_calls => "tool_calls",
        Some("content_filtered" | "guardrail_intervened") => "content_filter",
        // end_turn, stop_sequence, the response_format tool, and reasons
        // added later: a normal stop as far as OpenAI's vocabulary can tell.
        _ => "stop",
    }
}

/// Converse counts cache reads and writes apart from `inputTokens`; OpenAI's
/// `prompt_tokens` includes them (LiteLLM adds them the same way).
pub(super) fn chat_usage(usage: &Usage) -> ChatUsage {
    let read = usage.cache_read_input_tokens.unwrap_or(0);
    let write = usage.cache_write_input_tokens.unwrap_or(0);
    let prompt_tokens = usage.input_tokens + read + write;
    ChatUsage {
        prompt_tokens,
        completion_tokens: usage.output_tokens,
        total_tokens: prompt_tokens + usage.output_tokens,
        prompt_tokens_details: Some(PromptDetails {
            cached_tokens: read,
            cache_creation_tokens: write,
        }),
        completion_tokens_details: None,
    }
}

/// Converse usage in the gateway's neutral shape.
pub fn usage_to_openai(usage: &Usage) -> TokenUsage {
    TokenUsage::from(chat_usage(usage))
}

/// A Bedrock error response (`{"message"}`) as an [`ApiError`], status kept.
///
/// Bedrock names the error type in the `x-amzn-errortype` header, which
/// this function does not see; the status tells the types apart well enough
/// (AWS's Converse reference gives each type its own status), except for a
/// 403, where a signing or key problem is told from a missing model access
/// by its message.
pub fn error_from_bedrock(status: u16, body: &[u8]) -> ApiError {
    let message = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|body| body.message)
        .unwrap_or_else(|| fallback_message(status, body));
    let kind = match status {
        403 if is_credentials_problem(&message) => ErrorKind::Authentication,
        // ModelErrorException: the model failed to process the request.
        424 => ErrorKind::BadGateway,
        _ => ErrorKind::from_status(status),
    };
    ApiError::new(kind, message).with_status(status)
}

fn is_credentials_problem(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "signature",
        "security token",
        "credential",
        "api key",
        "authentication token",
    ]
    .iter()
    .any(|hint| message.contains(hint))
}

const MAX_FALLBACK_CHARS: usize = 500;

fn fallback_message(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return format!("Bedrock returned HTTP {status}");
    }
    let cut: String = text.chars().take(MAX_FALLBACK_CHARS).collect();
    format!("Bedrock returned HTTP {status}: {cut}")
}

/// A ConverseStream exception (`:exception-type`, payload `{"message"}`)
/// as an [`ApiError`]. AWS writes the types in lower camel case in streams
/// (`throttlingException`) and upper camel case in headers; both are read.
pub fn exception_to_error(exception_type: &str, payload: &[u8]) -> ApiError {
    let message = serde_json::from_slice::<ErrorBody>(payload)
        .ok()
        .and_then(|body| body.message)
        .unwrap_or_else(|| format!("Bedrock stream failed: {exception_type}"));
    let mut name = exception_type.to_owned();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    let (kind, status) = match name.as_str() {
        "throttlingException" | "serviceQuotaExceededException" => (ErrorKind::RateLimited, 429),
        "validationException" => (ErrorKind::InvalidRequest, 400),
        "accessDeniedException" => (ErrorKind::PermissionDenied, 403),
        "resourceNotFoundException" => (ErrorKind::NotFound, 404),
        "modelTimeoutException" => (ErrorKind::Timeout, 504),
        "serviceUnavailableException" | "modelNotReadyException" => (ErrorKind::Unavailable, 503),
        "modelStreamErrorException" => (ErrorKind::BadGateway, 502),
        // internalServerException and types added later.
        _ => (ErrorKind::Internal, 500),
    };
    ApiError::new(kind, message).with_status(status)
}
