//! The Responses API's Response object and output items, as the mock writes them.

use serde::Serialize;
use serde_json::Value;

use super::responses::{Reasoning, ResponsesRequest};
use crate::pipeline::RenderCtx;

// Field order below is OpenAI's; `()` serializes as `null`.

#[derive(Serialize)]
pub(super) struct ResponseObject<'a> {
    id: &'a str,
    object: &'static str,
    created_at: u64,
    status: &'static str,
    background: bool,
    error: (),
    incomplete_details: Option<Incomplete>,
    instructions: Option<&'a str>,
    max_output_tokens: Option<u64>,
    model: &'a str,
    output: Vec<Item<'a>>,
    parallel_tool_calls: bool,
    previous_response_id: (),
    reasoning: ReasoningEcho<'a>,
    store: bool,
    temperature: f64,
    text: TextEcho,
    tool_choice: ToolChoiceEcho<'a>,
    tools: &'a [Value],
    top_p: f64,
    truncation: &'static str,
    usage: Option<Usage>,
    user: (),
    metadata: Empty,
}

impl<'a> ResponseObject<'a> {
    pub(super) fn new(
        req: &'a ResponsesRequest<'_>,
        ctx: &RenderCtx,
        id: &'a str,
        status: &'static str,
        output: Vec<Item<'a>>,
        usage: Option<Usage>,
    ) -> Self {
        Self {
            id,
            object: "response",
            created_at: ctx.created,
            status,
            background: false,
            error: (),
            incomplete_details: (status == "incomplete").then_some(Incomplete {
                reason: "max_output_tokens",
            }),
            instructions: req.instructions.as_deref(),
            max_output_tokens: req.max_output_tokens,
            model: &req.model,
            output,
            parallel_tool_calls: req.parallel_tool_calls.unwrap_or(true),
            previous_response_id: (),
            reasoning: ReasoningEcho(req.reasoning.as_ref()),
            store: req.store,
            temperature: req.temperature.unwrap_or(1.0),
            text: TextEcho {
                format: Format { kind: "text" },
            },
            tool_choice: ToolChoiceEcho(req.tool_choice.as_ref()),
            tools: &req.tools,
            top_p: req.top_p.unwrap_or(1.0),
            truncation: "disabled",
            usage,
            user: (),
            metadata: Empty {},
        }
    }
}

#[derive(Serialize)]
struct Incomplete {
    reason: &'static str,
}

/// `{"effort": ..., "summary": ...}`, nulls when not asked for.
struct ReasoningEcho<'a>(Option<&'a Reasoning>);

impl Serialize for ReasoningEcho<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(reasoning) => reasoning.serialize(serializer),
            None => Reasoning {
                effort: None,
                summary: None,
            }
            .serialize(serializer),
        }
    }
}

/// The request's `tool_choice`, or `"auto"`.
struct ToolChoiceEcho<'a>(Option<&'a Value>);

impl Serialize for ToolChoiceEcho<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(choice) => choice.serialize(serializer),
            None => serializer.serialize_str("auto"),
        }
    }
}

#[derive(Serialize)]
struct TextEcho {
    format: Format,
}

#[derive(Serialize)]
struct Format {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Usage {
    pub(super) input_tokens: u64,
    pub(super) input_tokens_details: InputDetails,
    pub(super) output_tokens: u64,
    pub(super) output_tokens_details: OutputDetails,
    pub(super) total_tokens: u64,
}

/// `cache_write_tokens`: the SDK's types require it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct InputDetails {
    pub(super) cached_tokens: u64,
    pub(super) cache_write_tokens: u64,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct OutputDetails {
    pub(super) reasoning_tokens: u64,
}

/// An output item, by `type`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Item<'a> {
    Message {
        id: &'a str,
        status: &'static str,
        role: &'static str,
        content: Vec<TextPart<'a>>,
    },
    FunctionCall {
        id: String,
        call_id: String,
        name: &'a str,
        arguments: &'a str,
        status: &'static str,
    },
    Reasoning {
        id: &'a str,
        summary: Vec<SummaryPart<'a>>,
    },
}

impl<'a> Item<'a> {
    /// A message; `text` is `None` while it is being streamed.
    pub(super) fn message(id: &'a str, incomplete: bool, text: Option<&'a str>) -> Self {
        let status = match (text, incomplete) {
            (None, _) => "in_progress",
            (Some(_), true) => "incomplete",
            (Some(_), false) => "completed",
        };
        Item::Message {
            id,
            status,
            role: "assistant",
            content: text.map(TextPart::new).into_iter().collect(),
        }
    }

    pub(super) fn call(call_id: String, name: &'a str, arguments: &'a str, done: bool) -> Self {
        Item::FunctionCall {
            id: call_item_id(&call_id),
            call_id,
            name,
            arguments,
            status: if done { "completed" } else { "in_progress" },
        }
    }

    pub(super) fn reasoning(id: &'a str, summary: Option<&'a str>) -> Self {
        Item::Reasoning {
            id,
            summary: summary.map(SummaryPart::new).into_iter().collect(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct TextPart<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    annotations: [(); 0],
    logprobs: [(); 0],
    text: &'a str,
}

impl<'a> TextPart<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            kind: "output_text",
            annotations: [],
            logprobs: [],
            text,
        }
    }
}

#[derive(Serialize)]
pub(super) struct SummaryPart<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

impl<'a> SummaryPart<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            kind: "summary_text",
            text,
        }
    }
}

/// A function call's item id: its call id with OpenAI's item prefix.
pub(super) fn call_item_id(call_id: &str) -> String {
    format!("fc_{}", call_id.strip_prefix("call_").unwrap_or(call_id))
}
