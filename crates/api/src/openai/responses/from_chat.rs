//! A chat completion as a Responses response: reasoning, then the message,
//! then the function calls, as OpenAI orders a turn's output items.

use super::response::{
    IncompleteDetails, OutputContent, OutputFunctionCall, OutputItem, OutputMessage,
    OutputReasoning, ResponseEcho, ResponsesResponse, ResponsesUsage, SummaryText,
};
use crate::openai::chat::ChatResponse;

/// Item ids are `<prefix>_<seed>_<output index>`: deterministic, distinct
/// within a response, and the same in a stream and in a whole response.
pub(super) fn item_id(prefix: &str, seed: &str, output_index: u32) -> String {
    format!("{prefix}_{seed}_{output_index}")
}

/// The seed of a response's ids: an upstream completion id without its
/// `chatcmpl-` prefix, or `0` when there is none.
pub fn id_seed(chat_id: &str) -> &str {
    let seed = chat_id.strip_prefix("chatcmpl-").unwrap_or(chat_id);
    if seed.is_empty() { "0" } else { seed }
}

/// The response `resp_<seed>`.
pub(super) fn response_id(seed: &str) -> String {
    format!("resp_{seed}")
}

/// `status` and `incomplete_details` for a chat `finish_reason`.
pub(super) fn status_of(finish_reason: Option<&str>) -> (&'static str, Option<IncompleteDetails>) {
    let reason = match finish_reason {
        Some("length") => "max_output_tokens",
        Some("content_filter") => "content_filter",
        _ => return ("completed", None),
    };
    let details = IncompleteDetails {
        reason: reason.to_owned(),
    };
    ("incomplete", Some(details))
}

/// A Responses response for `chat`. `echo` is what the request said;
/// `seed` makes the ids (see [`id_seed`]).
pub fn response_from_chat(
    chat: &ChatResponse,
    echo: &ResponseEcho,
    seed: &str,
) -> ResponsesResponse {
    let choice = chat.choices.first();
    let message = choice.map(|c| &c.message);
    let (status, incomplete_details) = status_of(choice.and_then(|c| c.finish_reason.as_deref()));
    let item_status = if status == "completed" {
        "completed"
    } else {
        "incomplete"
    };

    let mut output = Vec::new();
    let next_index = |output: &Vec<OutputItem>| u32::try_from(output.len()).unwrap_or(u32::MAX);
    if let Some(reasoning) = message
        .and_then(|m| m.reasoning_content.as_deref())
        .filter(|r| !r.is_empty())
    {
        output.push(OutputItem::Reasoning(OutputReasoning {
            id: item_id("rs", seed, next_index(&output)),
            summary: vec![SummaryText::new(reasoning)],
        }));
    }
    let calls = message
        .and_then(|m| m.tool_calls.as_deref())
        .unwrap_or_default();
    let text = message
        .and_then(|m| m.content.as_deref())
        .unwrap_or_default();
    let refusal = message.and_then(|m| m.refusal.as_deref());
    // A message item unless the turn is only function calls: clients read
    // `output[...].content[0].text` even from an empty reply.
    if !text.is_empty() || refusal.is_some() || calls.is_empty() {
        let mut content = Vec::new();
        if !text.is_empty() || refusal.is_none() {
            content.push(OutputContent::output_text(text));
        }
        if let Some(refusal) = refusal {
            content.push(OutputContent::Refusal {
                refusal: refusal.to_owned(),
            });
        }
        output.push(OutputItem::Message(OutputMessage {
            id: item_id("msg", seed, next_index(&output)),
            status: item_status.to_owned(),
            role: "assistant".to_owned(),
            content,
        }));
    }
    for call in calls {
        output.push(OutputItem::FunctionCall(OutputFunctionCall {
            id: item_id("fc", seed, next_index(&output)),
            call_id: call.id.clone(),
            name: call.function.name.clone(),
            arguments: call.function.arguments.clone(),
            status: item_status.to_owned(),
        }));
    }

    ResponsesResponse {
        id: response_id(seed),
        object: "response".to_owned(),
        created_at: chat.created,
        status: status.to_owned(),
        error: None,
        incomplete_details,
        model: if chat.model.is_empty() {
            echo.model.clone()
        } else {
            chat.model.clone()
        },
        output,
        usage: chat.usage.map(ResponsesUsage::from),
        echo: echo.clone(),
    }
}
