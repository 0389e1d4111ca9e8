//! The Responses API response object (`"object": "response"`), with its
//! output items and usage, as OpenAI's API reference and Python SDK
//! (`openai.types.responses.Response`) define them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::request::{ReasoningConfig, ResponsesRequest, TextConfig, TextFormat};
use crate::openai::chat::ChatUsage;
use crate::usage::TokenUsage;

/// A response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsesResponse {
    /// `resp_...`.
    pub id: String,
    /// Always `response`.
    pub object: String,
    /// Unix seconds.
    pub created_at: u64,
    /// `in_progress` | `completed` | `incomplete` | `failed`.
    pub status: String,
    pub error: Option<ResponseError>,
    pub incomplete_details: Option<IncompleteDetails>,
    pub model: String,
    pub output: Vec<OutputItem>,
    pub usage: Option<ResponsesUsage>,
    /// The request parameters the API repeats in every response.
    #[serde(flatten)]
    pub echo: ResponseEcho,
}

/// What the real API repeats from the request in each response object
/// (`instructions`, `tools`, `temperature`, ...), with the API's defaults
/// for what the client left out.
///
/// Ids and the chat response alone cannot give these: the codec keeps them
/// from the request when it has it (see `codec::ResponsesFront::for_request`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseEcho {
    pub instructions: Option<String>,
    pub max_output_tokens: Option<u64>,
    pub parallel_tool_calls: bool,
    /// Always `null`: the gateway keeps no responses to continue from.
    pub previous_response_id: Option<String>,
    pub reasoning: ReasoningConfig,
    /// Always `false`: the gateway stores nothing, whatever was asked.
    pub store: bool,
    pub temperature: Option<f64>,
    pub text: TextConfig,
    pub tool_choice: Value,
    pub tools: Vec<Value>,
    pub top_p: Option<f64>,
    /// `disabled`: the gateway never truncates the input.
    pub truncation: String,
    pub user: Option<String>,
    pub metadata: Value,
    /// The model the client asked for: the response's `model` until the
    /// upstream names its own.
    #[serde(skip)]
    pub model: String,
}

impl Default for ResponseEcho {
    fn default() -> ResponseEcho {
        ResponseEcho {
            instructions: None,
            max_output_tokens: None,
            parallel_tool_calls: true,
            previous_response_id: None,
            reasoning: ReasoningConfig::default(),
            store: false,
            temperature: Some(1.0),
            text: TextConfig {
                format: Some(TextFormat {
                    r#type: "text".to_owned(),
                    name: None,
                    description: None,
                    schema: None,
                    strict: None,
                }),
                verbosity: None,
                rest: Map::new(),
            },
            tool_choice: Value::from("auto"),
            tools: Vec::new(),
            top_p: Some(1.0),
            truncation: "disabled".to_owned(),
            user: None,
            metadata: Value::Object(Map::new()),
            model: String::new(),
        }
    }
}

impl ResponseEcho {
    /// The echo of `request`: its values, the API's defaults elsewhere.
    pub fn from_request(request: &ResponsesRequest) -> ResponseEcho {
        let defaults = ResponseEcho::default();
        let mut reasoning = request.reasoning.clone().unwrap_or_default();
        reasoning.rest.clear();
        let mut text = request.text.clone().unwrap_or_default();
        if text.format.is_none() {
            text.format = defaults.text.format.clone();
        }
        ResponseEcho {
            instructions: request.instructions.clone(),
            max_output_tokens: request.max_output_tokens,
            parallel_tool_calls: request.parallel_tool_calls.unwrap_or(true),
            reasoning,
            temperature: request.temperature.or(defaults.temperature),
            text,
            tool_choice: request
                .tool_choice
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok())
                .unwrap_or(defaults.tool_choice),
            tools: request
                .tools
                .iter()
                .flatten()
                .filter_map(|t| serde_json::to_value(t).ok())
                .collect(),
            top_p: request.top_p.or(defaults.top_p),
            user: request.user.clone(),
            metadata: match &request.metadata {
                Some(Value::Object(map)) => Value::Object(map.clone()),
                _ => defaults.metadata,
            },
            model: request.model.clone(),
            ..defaults
        }
    }
}

/// `error` of a failed response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseError {
    /// `server_error`, `rate_limit_exceeded`, `invalid_prompt`, ...
    pub code: String,
    pub message: String,
}

/// `incomplete_details`: why the output stopped early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncompleteDetails {
    /// `max_output_tokens` | `content_filter`.
    pub reason: String,
}

/// An output item, by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Message(OutputMessage),
    FunctionCall(OutputFunctionCall),
    Reasoning(OutputReasoning),
}

/// An assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputMessage {
    /// `msg_...`.
    pub id: String,
    /// `in_progress` | `completed` | `incomplete`.
    pub status: String,
    /// Always `assistant`.
    pub role: String,
    pub content: Vec<OutputContent>,
}

/// A part of an output message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputContent {
    OutputText {
        text: String,
        annotations: Vec<Value>,
    },
    Refusal {
        refusal: String,
    },
}

impl OutputContent {
    pub fn output_text(text: impl Into<String>) -> OutputContent {
        OutputContent::OutputText {
            text: text.into(),
            annotations: Vec::new(),
        }
    }
}

/// A call of a function tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputFunctionCall {
    /// `fc_...`: the item's id.
    pub id: String,
    /// The id the client answers with in `function_call_output`.
    pub call_id: String,
    pub name: String,
    /// JSON text of the arguments.
    pub arguments: String,
    pub status: String,
}

/// The model's reasoning, as summary text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputReasoning {
    /// `rs_...`.
    pub id: String,
    pub summary: Vec<SummaryText>,
}

/// `{"type": "summary_text", "text": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryText {
    pub r#type: String,
    pub text: String,
}

impl SummaryText {
    pub fn new(text: impl Into<String>) -> SummaryText {
        SummaryText {
            r#type: "summary_text".to_owned(),
            text: text.into(),
        }
    }
}

/// `usage` of a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsesUsage {
    #[serde(default, deserialize_with = "null_as_default")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub input_tokens_details: InputTokensDetails,
    #[serde(default, deserialize_with = "null_as_default")]
    pub output_tokens: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub output_tokens_details: OutputTokensDetails,
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTokensDetails {
    /// Input tokens read from the prompt cache.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cached_tokens: u64,
    /// Input tokens written to the prompt cache (the SDK's types require
    /// it; OpenAI's own responses may omit it).
    #[serde(default, deserialize_with = "null_as_default")]
    pub cache_write_tokens: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputTokensDetails {
    #[serde(default, deserialize_with = "null_as_default")]
    pub reasoning_tokens: u64,
}

/// Lenient on purpose, as for chat usage: compatible services send `null`.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl From<ChatUsage> for ResponsesUsage {
    fn from(usage: ChatUsage) -> ResponsesUsage {
        let prompt = usage.prompt_tokens_details.unwrap_or_default();
        ResponsesUsage {
            input_tokens: usage.prompt_tokens,
            input_tokens_details: InputTokensDetails {
                cached_tokens: prompt.cached_tokens,
                cache_write_tokens: prompt.cache_creation_tokens,
            },
            output_tokens: usage.completion_tokens,
            output_tokens_details: OutputTokensDetails {
                reasoning_tokens: usage
                    .completion_tokens_details
                    .map_or(0, |d| d.reasoning_tokens),
            },
            // Recomputed: some compatible services leave `total_tokens` out.
            total_tokens: usage.prompt_tokens + usage.completion_tokens,
        }
    }
}

impl From<ResponsesUsage> for TokenUsage {
    fn from(usage: ResponsesUsage) -> TokenUsage {
        TokenUsage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_input_tokens: usage.input_tokens_details.cached_tokens,
            cache_write_tokens: usage.input_tokens_details.cache_write_tokens,
            reasoning_tokens: usage.output_tokens_details.reasoning_tokens,
        }
    }
}
