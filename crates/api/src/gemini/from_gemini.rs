//! Direction A, response: a Gemini `generateContent` response → an OpenAI
//! chat completion.

use super::types::{Candidate, GenerateContentResponse, Part};
use super::{encode_tool_call_id, finish_reason_to_openai, usage_to_openai};
use crate::error::ApiError;
use crate::openai::chat::{
    ChatResponse, ChatUsage, Choice, FunctionCall as OpenAiFunctionCall, ResponseMessage, ToolCall,
};

/// Translates a complete Gemini response. `model` is the name the client
/// asked for; `created` the Unix time to report. The id is Gemini's
/// `responseId` (or `chatcmpl-<created>` when it sent none).
///
/// A prompt blocked before generation (`promptFeedback.blockReason`, no
/// candidates) becomes one choice with empty content and finish reason
/// `content_filter`, which is how OpenAI reports filtered output.
///
/// Every Gemini response has an OpenAI rendering, so this does not fail
/// today; the `Result` keeps the signature of the other translations.
pub fn response_to_openai(
    response: &GenerateContentResponse,
    model: &str,
    created: u64,
) -> Result<ChatResponse, ApiError> {
    let mut call_counter = 0;
    let mut choices: Vec<Choice> = response
        .candidates
        .iter()
        .enumerate()
        .map(|(position, candidate)| choice(candidate, position, &mut call_counter))
        .collect();
    if choices.is_empty() {
        choices.push(blocked_choice());
    }
    Ok(ChatResponse {
        id: response_id(response.response_id.as_deref(), created),
        object: "chat.completion".to_owned(),
        created,
        model: model.to_owned(),
        choices,
        usage: response
            .usage_metadata
            .as_ref()
            .map(|usage| ChatUsage::from(usage_to_openai(usage))),
        system_fingerprint: None,
        service_tier: None,
    })
}

/// The OpenAI id of a response: Gemini's `responseId`, or `chatcmpl-<created>`.
pub(super) fn response_id(response_id: Option<&str>, created: u64) -> String {
    response_id.map_or_else(|| format!("chatcmpl-{created}"), str::to_owned)
}

/// The choice reported when Gemini returned no candidate at all (a blocked
/// prompt, or an empty response).
fn blocked_choice() -> Choice {
    Choice {
        index: 0,
        message: ResponseMessage {
            role: "assistant".to_owned(),
            content: Some(String::new()),
            ..ResponseMessage::default()
        },
        finish_reason: Some("content_filter".to_owned()),
        logprobs: None,
    }
}

fn choice(candidate: &Candidate, position: usize, call_counter: &mut usize) -> Choice {
    let parts = candidate
        .content
        .as_ref()
        .map_or(&[][..], |content| &content.parts[..]);
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for part in parts {
        if let Some(call) = tool_call(part, call_counter) {
            tool_calls.push(call);
        } else if let Some(part_text) = &part.text {
            let target = if part.is_thought() {
                &mut reasoning
            } else {
                &mut text
            };
            target.push_str(part_text);
        }
    }
    let has_tool_calls = !tool_calls.is_empty();
    Choice {
        index: candidate_index(candidate, position),
        message: ResponseMessage {
            role: "assistant".to_owned(),
            // OpenAI sends `null` content next to tool calls, `""` otherwise.
            content: (!text.is_empty() || !has_tool_calls).then_some(text),
            tool_calls: has_tool_calls.then_some(tool_calls),
            reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
            ..ResponseMessage::default()
        },
        finish_reason: candidate
            .finish_reason
            .as_deref()
            .map(|reason| finish_reason_to_openai(reason, has_tool_calls).to_owned()),
        logprobs: None,
    }
}

pub(super) fn candidate_index(candidate: &Candidate, position: usize) -> u32 {
    candidate
        .index
        .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX))
}

/// A `functionCall` part as an OpenAI tool call. The id is the part's own or
/// `call_<n>` (n counting calls in the response, so ids are unique and the
/// same for the same response), with the thought signature appended.
pub(super) fn tool_call(part: &Part, call_counter: &mut usize) -> Option<ToolCall> {
    let call = part.function_call.as_ref()?;
    let base_id = call
        .id
        .clone()
        .unwrap_or_else(|| format!("call_{call_counter}"));
    *call_counter += 1;
    let arguments = match &call.args {
        Some(args) => args.to_string(),
        None => "{}".to_owned(),
    };
    Some(ToolCall {
        id: encode_tool_call_id(&base_id, part.thought_signature.as_deref()),
        r#type: "function".to_owned(),
        function: OpenAiFunctionCall {
            name: call.name.clone(),
            arguments,
        },
    })
}
