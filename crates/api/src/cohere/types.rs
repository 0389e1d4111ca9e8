//! Cohere v2 chat wire types, as the API reference documents them
//! (<https://docs.cohere.com/reference/chat>, `chat-stream`). Requests are
//! built by the gateway and only serialized; responses and stream events
//! are only read, leniently (unknown fields and event types are skipped).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Cohere's tool calls have OpenAI's shape exactly (`{id, type: "function",
/// function: {name, arguments}}`, arguments as JSON text), in requests and
/// responses alike, so the lingua franca's type serves both.
pub use crate::openai::chat::ToolCall;

/// `POST /v2/chat` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// `REQUIRED` | `NONE`; absent lets the model choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Value>,
    /// Only sent when true (the API's default is `false`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    /// Cohere's own parameters given by the client (`k`, `documents`,
    /// `safety_mode`, ...), forwarded as they are.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A message, by role.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Message {
    System {
        content: Content,
    },
    User {
        content: Content,
    },
    Assistant {
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<Content>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_calls: Option<Vec<ToolCall>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_plan: Option<String>,
    },
    Tool {
        tool_call_id: String,
        content: Content,
    },
}

/// A string, or content items.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Items(Vec<ContentItem>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentItem {
    Text { text: String },
    Thinking { thinking: String },
    ImageUrl { image_url: ImageUrl },
    Document { document: Value },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `{"type": "function", "function": {name, description, parameters}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub r#type: &'static str,
    pub function: Function,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Function {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub parameters: Value,
}

/// `{"type": "json_object", "json_schema"?: {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseFormat {
    pub r#type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<Value>,
}

/// A complete `/v2/chat` response.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ChatResponse {
    #[serde(default)]
    pub id: String,
    /// `COMPLETE` | `STOP_SEQUENCE` | `MAX_TOKENS` | `TOOL_CALL` | `ERROR`.
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub message: ResponseMessage,
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseMessage {
    #[serde(default)]
    pub content: Vec<ResponseContent>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default)]
    pub tool_plan: Option<String>,
    #[serde(default)]
    pub citations: Vec<Citation>,
}

/// A response content item; types the gateway does not know are skipped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseContent {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
    },
    #[serde(other)]
    Other,
}

/// A span of the answer and the sources it cites.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Citation {
    #[serde(default)]
    pub start: u64,
    #[serde(default)]
    pub end: u64,
    #[serde(default)]
    pub sources: Vec<Value>,
}

/// `usage`: `tokens` are what the model processed, `billed_units` what is
/// charged (the same for chat, except for fine-tuned and free models).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub billed_units: Option<Tokens>,
    #[serde(default)]
    pub tokens: Option<Tokens>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Tokens {
    #[serde(default, deserialize_with = "lenient_count")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "lenient_count")]
    pub output_tokens: u64,
}

/// Cohere documents token counts as numbers and sends them as floats
/// (`12.0`) in some responses; `null` reads as zero.
fn lenient_count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = Option::<f64>::deserialize(deserializer)?.unwrap_or(0.0);
    // Counts are small non-negative integers; anything else is clamped.
    Ok(if value.is_finite() && value > 0.0 {
        value as u64
    } else {
        0
    })
}

/// One stream event's data (`data: {"type": ...}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum StreamEvent {
    MessageStart {
        #[serde(default)]
        id: Option<String>,
    },
    ContentStart {
        #[serde(default)]
        delta: Option<ContentDelta>,
    },
    ContentDelta {
        #[serde(default)]
        delta: Option<ContentDelta>,
    },
    ToolPlanDelta {
        #[serde(default)]
        delta: Option<PlanDelta>,
    },
    ToolCallStart {
        #[serde(default)]
        index: u32,
        #[serde(default)]
        delta: Option<ToolCallDelta>,
    },
    ToolCallDelta {
        #[serde(default)]
        index: u32,
        #[serde(default)]
        delta: Option<ToolCallDelta>,
    },
    MessageEnd {
        #[serde(default)]
        delta: Option<EndDelta>,
    },
    /// `content-end`, `tool-call-end`, `citation-start`, `citation-end`,
    /// `debug` and types added later: nothing to translate.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ContentDelta {
    pub message: ContentDeltaMessage,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ContentDeltaMessage {
    pub content: DeltaContent,
}

/// Typed in `content-start`, untyped in `content-delta`: the field present
/// says what it is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DeltaContent {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thinking: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanDelta {
    pub message: PlanDeltaMessage,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanDeltaMessage {
    #[serde(default)]
    pub tool_plan: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolCallDelta {
    pub message: ToolCallDeltaMessage,
}

/// One call (an object, not a list, in stream events).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolCallDeltaMessage {
    pub tool_calls: ToolCallFragment,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolCallFragment {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: Option<FunctionFragment>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct FunctionFragment {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arguments: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EndDelta {
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Set when the generation failed (`finish_reason: ERROR`).
    #[serde(default)]
    pub error: Option<String>,
}
