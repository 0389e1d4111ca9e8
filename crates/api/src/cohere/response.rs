//! Cohere v2 chat response and errors → OpenAI chat completion.

use serde_json::{Value, json};

use super::finish_reason;
use super::types::{ChatResponse as CohereResponse, Citation, ResponseContent, Usage};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatResponse, ChatUsage, Choice, ResponseMessage};
use crate::usage::TokenUsage;

/// Translates a complete Cohere response. The id stays Cohere's; `model`
/// is the deployment's (Cohere does not echo it). Text items become the
/// content, thinking items `reasoning_content`, citations `url_citation`
/// annotations (as LiteLLM reports them). With tool calls and no text, the
/// tool plan (what the model says before calling) is the content.
///
/// `finish_reason: ERROR` is an error: Cohere says the generation failed.
pub fn response_to_openai(
    response: &CohereResponse,
    model: &str,
    created: u64,
) -> Result<ChatResponse, ApiError> {
    let reason = response.finish_reason.as_deref().unwrap_or("COMPLETE");
    if reason == "ERROR" {
        return Err(generation_failed(None));
    }
    let message = &response.message;
    let mut text = String::new();
    let mut reasoning = String::new();
    for item in &message.content {
        match item {
            ResponseContent::Text { text: part } => text.push_str(part),
            ResponseContent::Thinking { thinking } => reasoning.push_str(thinking),
            ResponseContent::Other => {}
        }
    }
    let tool_calls = message.tool_calls.clone();
    let has_tool_calls = !tool_calls.is_empty();
    if text.is_empty() && has_tool_calls {
        text = message.tool_plan.clone().unwrap_or_default();
    }
    let annotations = annotations(&message.citations);
    let message = ResponseMessage {
        role: "assistant".to_owned(),
        // OpenAI sends `null` content beside tool calls when there is no text.
        content: (!text.is_empty() || !has_tool_calls).then_some(text),
        tool_calls: has_tool_calls.then_some(tool_calls),
        refusal: None,
        reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
        thinking_blocks: None,
        annotations: (!annotations.is_empty()).then_some(annotations),
    };
    Ok(ChatResponse {
        id: response.id.clone(),
        object: "chat.completion".to_owned(),
        created,
        model: model.to_owned(),
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(finish_reason(reason, has_tool_calls).to_owned()),
            logprobs: None,
        }],
        usage: response.usage.as_ref().map(chat_usage),
        system_fingerprint: None,
        service_tier: None,
    })
}

/// One `url_citation` per cited document; the URL is the document's `url`
/// when it has one, else `source:<id>` (LiteLLM's convention).
fn annotations(citations: &[Citation]) -> Vec<Value> {
    let mut annotations = Vec::new();
    for citation in citations {
        for source in &citation.sources {
            let Some(document) = source.get("document") else {
                continue;
            };
            let title = document.get("title").and_then(Value::as_str).unwrap_or("");
            let url = match document.get("url").and_then(Value::as_str) {
                Some(url) => url.to_owned(),
                None => {
                    let id = source
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown");
                    format!("source:{id}")
                }
            };
            annotations.push(json!({
                "type": "url_citation",
                "url_citation": {
                    "start_index": citation.start,
                    "end_index": citation.end,
                    "title": title,
                    "url": url,
                }
            }));
        }
    }
    annotations
}

/// Cohere usage in the gateway's shape: `tokens` (what the model
/// processed), else `billed_units`.
pub(crate) fn token_usage(usage: &Usage) -> TokenUsage {
    let tokens = usage.tokens.or(usage.billed_units).unwrap_or_default();
    TokenUsage {
        input_tokens: tokens.input_tokens,
        output_tokens: tokens.output_tokens,
        ..TokenUsage::default()
    }
}

pub(crate) fn chat_usage(usage: &Usage) -> ChatUsage {
    let usage = token_usage(usage);
    ChatUsage {
        prompt_tokens: usage.input_tokens,
        completion_tokens: usage.output_tokens,
        total_tokens: usage.total(),
        prompt_tokens_details: None,
        completion_tokens_details: None,
    }
}

/// The error of a generation that ended with `finish_reason: ERROR`.
pub(crate) fn generation_failed(message: Option<&str>) -> ApiError {
    let message = message
        .filter(|m| !m.is_empty())
        .unwrap_or("the Cohere generation failed");
    ApiError::new(ErrorKind::BadGateway, message)
}

const MAX_FALLBACK_CHARS: usize = 500;

/// An upstream error response (`{"id"?, "message"}`) as the gateway's
/// error, HTTP status kept. Cohere's 498 ("invalid token") is a credentials
/// error; other statuses map as usual. A body without a message keeps its
/// text, cut to a readable length.
pub fn error_from_cohere(status: u16, body: &[u8]) -> ApiError {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| {
            value
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let cut: String = text.trim().chars().take(MAX_FALLBACK_CHARS).collect();
            if cut.is_empty() {
                format!("Cohere returned HTTP {status}")
            } else {
                format!("Cohere returned HTTP {status}: {cut}")
            }
        });
    let kind = match status {
        498 => ErrorKind::Authentication,
        _ => ErrorKind::from_status(status),
    };
    ApiError::new(kind, message).with_status(status)
}
