//! Converse: request parsing and the non-stream response.

use std::borrow::Cow;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::stream;
use crate::answer::{Conversation, Function, PiecesBody, SNAKE_STOPS, ToolChoice, signature};
use crate::error::ApiError;
use crate::openai::parse_body;
use crate::pipeline::{RenderCtx, Rendered};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    system: Vec<Block>,
    #[serde(default)]
    inference_config: Option<InferenceConfig>,
    #[serde(default)]
    tool_config: Option<ToolConfig>,
    #[serde(default)]
    additional_model_request_fields: Option<Value>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Vec<Block>,
}

/// A content block: `{"text"}`, `{"toolResult"}`, or others the mock does not read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Block {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    tool_result: Option<ToolResult>,
}

#[derive(Deserialize)]
struct ToolResult {
    #[serde(default)]
    content: Vec<ToolResultContent>,
}

#[derive(Deserialize)]
struct ToolResultContent {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    json: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InferenceConfig {
    #[serde(default)]
    max_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolConfig {
    #[serde(default)]
    tools: Vec<ToolEntry>,
    #[serde(default)]
    tool_choice: Option<RawToolChoice>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolEntry {
    #[serde(default)]
    tool_spec: Option<ToolSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolSpec {
    name: String,
    #[serde(default)]
    input_schema: Option<InputSchema>,
}

#[derive(Deserialize)]
struct InputSchema {
    #[serde(default)]
    json: Option<Value>,
}

/// `{"auto":{}}`, `{"any":{}}` or `{"tool":{"name"}}`.
#[derive(Deserialize)]
struct RawToolChoice {
    #[serde(default)]
    any: Option<Value>,
    #[serde(default)]
    tool: Option<NamedTool>,
}

#[derive(Deserialize)]
struct NamedTool {
    name: String,
}

impl Block {
    /// Text of this block: its own, or a tool result's text and JSON.
    fn texts(&self, out: &mut Vec<String>) {
        if let Some(text) = &self.text {
            out.push(text.clone());
        }
        for content in self.tool_result.iter().flat_map(|r| &r.content) {
            out.extend(content.text.clone());
            out.extend(content.json.as_ref().map(Value::to_string));
        }
    }
}

fn joined(blocks: &[Block]) -> String {
    let mut texts = Vec::new();
    for block in blocks {
        block.texts(&mut texts);
    }
    texts.join(" ")
}

/// A validated Converse request.
pub(crate) struct Converse {
    request: Request,
    stream: bool,
}

impl Converse {
    pub(super) fn parse(body: &[u8], stream: bool) -> Result<Self, ApiError> {
        let request: Request = parse_body(body)?;
        if request.messages.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "1 validation error detected: Value at 'messages' failed to satisfy constraint: \
                 Member must not be null",
            ));
        }
        Ok(Self { request, stream })
    }

    pub(super) fn conversation(&self) -> Conversation<'_> {
        let req = &self.request;
        let last_user = req.messages.iter().rev().find(|m| m.role == "user");
        let ends_with_results = req
            .messages
            .last()
            .is_some_and(|m| m.role == "user" && m.content.iter().any(|b| b.tool_result.is_some()));
        let tools = req.tool_config.as_ref();
        let choice = match tools.and_then(|t| t.tool_choice.as_ref()) {
            Some(RawToolChoice {
                tool: Some(tool), ..
            }) => ToolChoice::Named(&tool.name),
            Some(RawToolChoice { any: Some(_), .. }) => ToolChoice::Any,
            _ => ToolChoice::Auto,
        };
        let prompt_chars = joined(&req.system).chars().count()
            + req
                .messages
                .iter()
                .map(|m| joined(&m.content).chars().count())
                .sum::<usize>();
        let thinking = req
            .additional_model_request_fields
            .as_ref()
            .and_then(|f| f.get("thinking"))
            .and_then(|t| t.get("type"))
            .and_then(Value::as_str)
            == Some("enabled");
        Conversation {
            last_user: last_user.map(|m| Cow::Owned(joined(&m.content))),
            tool_result: ends_with_results
                .then(|| last_user.map(|m| Cow::Owned(joined(&m.content))))
                .flatten(),
            functions: tools
                .iter()
                .flat_map(|t| &t.tools)
                .filter_map(|t| t.tool_spec.as_ref())
                .map(|spec| Function {
                    name: &spec.name,
                    parameters: spec.input_schema.as_ref().and_then(|s| s.json.as_ref()),
                })
                .collect(),
            choice,
            parallel_allowed: true,
            prompt_chars,
            max_tokens: req.inference_config.as_ref().and_then(|c| c.max_tokens),
            thinking,
        }
    }

    pub(super) fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let conversation = self.conversation();
        let reply = conversation.reply(ctx.hash, ctx.chunks, ctx.parallel, |_, n| {
            format!("tooluse_{n:016x}")
        });
        let pieces = reply.pieces(ctx.chunks);
        let signature = signature(ctx.hash);
        let usage = Usage::new(conversation.prompt_tokens(), pieces.output_tokens());
        let metrics = Metrics {
            latency_ms: ctx.latency_ms,
        };
        if self.stream {
            return stream::render(&pieces, &signature, usage, metrics).map(Rendered::Stream);
        }
        let mut content = Vec::new();
        if let Some(text) = pieces.thinking_text {
            content.push(OutBlock::ReasoningContent(Reasoning {
                reasoning_text: ReasoningText {
                    text,
                    signature: &signature,
                },
            }));
        }
        match &pieces.body {
            PiecesBody::Text { text, .. } => content.push(OutBlock::Text(text)),
            PiecesBody::Tools(calls) => content.extend(calls.iter().map(|(call, _)| {
                OutBlock::ToolUse(ToolUse {
                    tool_use_id: &call.id,
                    name: call.name,
                    input: &call.input,
                })
            })),
        }
        let response = ConverseResponse {
            output: Output {
                message: OutMessage {
                    role: "assistant",
                    content,
                },
            },
            stop_reason: pieces.stop.pick(SNAKE_STOPS),
            usage,
            metrics,
        };
        serde_json::to_vec(&response).map(Rendered::Json)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConverseResponse<'a> {
    output: Output<'a>,
    stop_reason: &'static str,
    usage: Usage,
    metrics: Metrics,
}

#[derive(Serialize)]
struct Output<'a> {
    message: OutMessage<'a>,
}

#[derive(Serialize)]
struct OutMessage<'a> {
    role: &'static str,
    content: Vec<OutBlock<'a>>,
}

/// A content block is an object with one key naming its kind.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum OutBlock<'a> {
    ReasoningContent(Reasoning<'a>),
    Text(&'a str),
    ToolUse(ToolUse<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reasoning<'a> {
    reasoning_text: ReasoningText<'a>,
}

#[derive(Serialize)]
struct ReasoningText<'a> {
    text: &'a str,
    signature: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolUse<'a> {
    pub(super) tool_use_id: &'a str,
    pub(super) name: &'a str,
    pub(super) input: &'a Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Usage {
    input_tokens: u64,
    output_tokens: u64,
    total_tokens: u64,
}

impl Usage {
    fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens,
            output_tokens,
            total_tokens: input_tokens + output_tokens,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Metrics {
    latency_ms: u64,
}
