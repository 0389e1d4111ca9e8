//! The Responses API request (`POST /v1/responses`), as OpenAI's API
//! reference and its Python SDK (`openai.types.responses`) define it.
//!
//! Typed: what the translation to chat reads. Everything else rides in
//! `rest` maps, so nothing a client sends is lost by parsing it.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A create-response request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponsesRequest {
    pub model: String,
    /// A string (one user message) or a list of input items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Input>,
    /// A system (developer) message placed before the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ResponsesTool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ResponsesToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// `{"format": {...}, "verbosity": ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    /// `{"effort": ..., "summary": ...}` (reasoning models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// Up to 16 string pairs; `Value` because clients send `null` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Every other field (`include`, `truncation`, `service_tier`, ...).
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `input`: a string, or a list of items.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Input {
    Text(String),
    Items(Vec<InputItem>),
}

// By hand, so that a bad item is named by its index (`input[3]: ...`)
// instead of serde's "did not match any variant".
impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Input, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(Input::Text(text)),
            Value::Array(values) => values
                .into_iter()
                .enumerate()
                .map(|(index, value)| {
                    InputItem::from_value(value)
                        .map_err(|e| D::Error::custom(format!("input[{index}]: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Input::Items),
            _ => Err(D::Error::custom(
                "`input` must be a string or an array of input items",
            )),
        }
    }
}

/// One input item, by `type` (a message may omit it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum InputItem {
    Message(InputMessage),
    FunctionCall(FunctionCallItem),
    FunctionCallOutput(FunctionCallOutputItem),
    Reasoning(ReasoningItem),
    /// Any other item (`item_reference`, built-in tool calls, ...), as sent.
    Other(Value),
}

impl InputItem {
    fn from_value(value: Value) -> Result<InputItem, serde_json::Error> {
        let kind = value.get("type").and_then(Value::as_str);
        Ok(match kind {
            None | Some("message") => InputItem::Message(serde_json::from_value(value)?),
            Some("function_call") => InputItem::FunctionCall(serde_json::from_value(value)?),
            Some("function_call_output") => {
                InputItem::FunctionCallOutput(serde_json::from_value(value)?)
            }
            Some("reasoning") => InputItem::Reasoning(serde_json::from_value(value)?),
            Some(_) => InputItem::Other(value),
        })
    }

    /// The item's `type` as the API names it.
    pub fn kind(&self) -> &str {
        match self {
            InputItem::Message(_) => "message",
            InputItem::FunctionCall(_) => "function_call",
            InputItem::FunctionCallOutput(_) => "function_call_output",
            InputItem::Reasoning(_) => "reasoning",
            InputItem::Other(value) => value.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

/// A message: `user`, `system`, `developer` or `assistant` (an earlier
/// output message sent back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    pub role: String,
    pub content: MessageContent,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Message content (or a function call's output): a string, or a list of
/// parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

/// A content part of an input message (or of a function call's output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    InputText {
        text: String,
    },
    /// By URL (`https:` or `data:`) or by uploaded file id.
    InputImage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// `low` | `high` | `auto`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    InputFile {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        /// A `data:` URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_data: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// Text of an earlier assistant message.
    OutputText {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annotations: Option<Vec<Value>>,
    },
    Refusal {
        refusal: String,
    },
}

/// A function call the model made earlier, sent back with its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallItem {
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub call_id: String,
    pub name: String,
    /// JSON text of the arguments.
    pub arguments: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The client's result of a function call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallOutputItem {
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub call_id: String,
    /// Text, or content parts.
    pub output: MessageContent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A reasoning item of an earlier response, sent back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningItem {
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub summary: Vec<TextPart>,
    /// Raw reasoning text (`reasoning_text` parts), when the model shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<TextPart>>,
    /// Opaque reasoning state of OpenAI's models; meaningless to others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `{"type": "summary_text" | "reasoning_text", "text": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPart {
    pub r#type: String,
    pub text: String,
}

/// A tool: a function, or a built-in tool kept as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ResponsesTool {
    Function(FunctionTool),
    /// `web_search`, `file_search`, `computer_use_preview`, `mcp`, ...
    Other(Value),
}

impl<'de> Deserialize<'de> for ResponsesTool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ResponsesTool, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.get("type").and_then(Value::as_str) == Some("function") {
            serde_json::from_value(value)
                .map(ResponsesTool::Function)
                .map_err(D::Error::custom)
        } else {
            Ok(ResponsesTool::Other(value))
        }
    }
}

impl ResponsesTool {
    /// The tool's `type`.
    pub fn kind(&self) -> &str {
        match self {
            ResponsesTool::Function(_) => "function",
            ResponsesTool::Other(value) => value.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

/// A function tool: flat, unlike chat's `{"type", "function": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionTool {
    pub r#type: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `tool_choice`: `"none" | "auto" | "required"`, or an object
/// (`{"type": "function", "name"}`, `{"type": "allowed_tools", ...}`,
/// a built-in tool type, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponsesToolChoice {
    Mode(String),
    Object(ToolChoiceObject),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolChoiceObject {
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `text`: the output format and verbosity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
    /// `low` | `medium` | `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `text.format`: `{"type": "text" | "json_object"}` or, flat unlike
/// chat's, `{"type": "json_schema", "name", "schema", "strict", "description"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFormat {
    pub r#type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `reasoning`: effort and summary options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReasoningConfig {
    /// `none` | `minimal` | `low` | `medium` | `high` | `xhigh`.
    #[serde(default)]
    pub effort: Option<String>,
    /// `auto` | `concise` | `detailed`.
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}
