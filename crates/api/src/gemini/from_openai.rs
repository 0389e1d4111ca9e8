//! Direction B, response: an OpenAI chat completion → a Gemini
//! `generateContent` response, and the SSE framing of Gemini streams.

use serde_json::{Map, Value, json};

use super::types::{Candidate, Content, FunctionCall, GenerateContentResponse, Part};
use super::{finish_reason_from_openai, usage_from_openai};
use crate::openai::chat::{ChatResponse, Choice};

/// Translates a complete OpenAI response for a Gemini client. Each choice
/// becomes a candidate of role `model` whose parts are, in order: the
/// reasoning (a `thought` part), the text (or the refusal), the tool calls
/// (`functionCall` parts keeping the OpenAI id, so the client can echo it in
/// its `functionResponse`).
pub fn response_from_openai(response: &ChatResponse) -> GenerateContentResponse {
    GenerateContentResponse {
        candidates: response.choices.iter().map(candidate).collect(),
        prompt_feedback: None,
        usage_metadata: response.usage.as_ref().map(usage_from_openai),
        model_version: Some(response.model.clone()),
        response_id: Some(response.id.clone()),
        rest: Map::new(),
    }
}

fn candidate(choice: &Choice) -> Candidate {
    let message = &choice.message;
    let mut parts = Vec::new();
    if let Some(reasoning) = message.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
        parts.push(thought_part(reasoning));
    }
    let text = message.content.as_ref().or(message.refusal.as_ref());
    if let Some(text) = text.filter(|text| !text.is_empty()) {
        parts.push(Part::text(text.clone()));
    }
    for call in message.tool_calls.iter().flatten() {
        parts.push(function_call_part(
            &call.id,
            &call.function.name,
            &call.function.arguments,
        ));
    }
    Candidate {
        content: Some(model_content(parts)),
        finish_reason: choice
            .finish_reason
            .as_deref()
            .map(|reason| finish_reason_from_openai(reason).to_owned()),
        index: Some(choice.index),
        safety_ratings: None,
        rest: Map::new(),
    }
}

pub(super) fn thought_part(text: &str) -> Part {
    Part {
        thought: Some(true),
        ..Part::text(text)
    }
}

/// A `model` turn. Gemini never sends a content without parts, and clients
/// read `parts[0].text` unguarded, so an empty turn has one empty text part
/// (as Gemini's own final stream chunks do).
pub(super) fn model_content(mut parts: Vec<Part>) -> Content {
    if parts.is_empty() {
        parts.push(Part::text(""));
    }
    Content {
        role: Some("model".to_owned()),
        parts,
    }
}

/// An OpenAI tool call as a `functionCall` part. `args` must be an object:
/// empty arguments are `{}`; arguments that are not a JSON object (a model
/// can emit broken JSON) are kept whole as `{"arguments": "<text>"}` rather
/// than lost.
pub(super) fn function_call_part(id: &str, name: &str, arguments: &str) -> Part {
    let args = if arguments.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        match serde_json::from_str::<Value>(arguments) {
            Ok(object @ Value::Object(_)) => object,
            _ => json!({ "arguments": arguments }),
        }
    };
    Part {
        function_call: Some(FunctionCall {
            id: (!id.is_empty()).then(|| id.to_owned()),
            name: name.to_owned(),
            args: Some(args),
        }),
        ..Part::default()
    }
}

/// One event of a `streamGenerateContent?alt=sse` response. Google ends
/// each event with CRLF CRLF (`data: {...}\r\n\r\n`), so that is what is
/// sent: some Gemini clients split the stream on exactly that.
pub fn sse_event(response: &GenerateContentResponse) -> Vec<u8> {
    let mut event = b"data: ".to_vec();
    if serde_json::to_writer(&mut event, response).is_err() {
        // Maps of strings to JSON values cannot fail to serialize; should it
        // ever happen, the client gets an empty chunk rather than a broken
        // stream.
        event.truncate(6);
        event.extend_from_slice(b"{}");
    }
    event.extend_from_slice(b"\r\n\r\n");
    event
}
