//! Anthropic stream events → OpenAI chat completion chunks.

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::JSON_TOOL_NAME;
use super::super::response::{BlockDelta, DeltaUsage, StreamEvent, Usage};
use super::super::types::{ContentBlock, ThinkingBlock};
use super::response::{chat_usage, error_kind, finish_reason, thinking_value};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
use crate::usage::TokenUsage;

/// Translates a streamed Anthropic message into OpenAI chunks, one event at
/// a time.
///
/// The caller splits the upstream's SSE into events and feeds each event's
/// name and data to [`push`](Self::push); it sends the returned chunks as
/// `data:` lines, and ends with `data: [DONE]` after `message_stop`. Every
/// chunk carries the message's id (Anthropic's `msg_...`), model and the
/// `created` time given to [`new`](Self::new). Usage is not sent as a chunk
/// by itself: the caller adds [`usage_chunk`](Self::usage_chunk) when the
/// client asked for `stream_options.include_usage`.
#[derive(Debug, Clone, Default)]
pub struct StreamToOpenAi {
    created: u64,
    id: String,
    model: String,
    /// Anthropic's usage so far: `message_start`'s, updated by each
    /// `message_delta` (whose counts are cumulative).
    usage: Option<Usage>,
    /// What each Anthropic content block (by its index) becomes.
    blocks: BTreeMap<u32, Block>,
    /// The OpenAI `index` the next tool call gets.
    next_tool_index: u32,
}

#[derive(Debug, Clone)]
enum Block {
    Text,
    /// A tool call, with its OpenAI `tool_calls[].index`.
    Tool(u32),
    /// A call to the `response_format` tool: its input is the content.
    JsonTool,
    /// Thinking, with the text so far (sent again, signed, at the end).
    Thinking(String),
    /// Blocks OpenAI has no place for (server tool use, results).
    Ignored,
}

impl StreamToOpenAi {
    pub fn new(created: u64) -> StreamToOpenAi {
        StreamToOpenAi {
            created,
            ..StreamToOpenAi::default()
        }
    }

    /// Feeds one SSE event; returns the chunks to send (often none).
    ///
    /// The JSON's `type` decides what the event is; `event` (the SSE
    /// `event:` name) only lets pings skip parsing. An `error` event becomes
    /// `Err` with the error's kind; malformed JSON is a 502.
    pub fn push(&mut self, event: &str, data: &[u8]) -> Result<Vec<ChatChunk>, ApiError> {
        if event == "ping" {
            return Ok(Vec::new());
        }
        let parsed: StreamEvent = serde_json::from_slice(data).map_err(|error| {
            ApiError::new(
                ErrorKind::BadGateway,
                format!("invalid Anthropic stream event `{event}`: {error}"),
            )
        })?;
        Ok(match parsed {
            StreamEvent::MessageStart { message } => {
                self.id = message.id;
                self.model = message.model;
                self.usage = Some(message.usage);
                vec![self.chunk(
                    Delta {
                        role: Some("assistant".to_owned()),
                        content: Some(String::new()),
                        ..Delta::default()
                    },
                    None,
                )]
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => self.start_block(index, content_block),
            StreamEvent::ContentBlockDelta { index, delta } => self.delta(index, delta),
            StreamEvent::MessageDelta { delta, usage } => {
                self.update_usage(usage);
                let has_tool_calls = self.next_tool_index > 0;
                let reason = finish_reason(delta.stop_reason.as_ref(), has_tool_calls);
                vec![self.chunk(Delta::default(), Some(reason))]
            }
            StreamEvent::Error { error } => {
                // Mid-stream errors have no HTTP status of their own; an
                // unknown type is taken as a server error, and overloaded
                // keeps Anthropic's 529 as its HTTP response would.
                let kind = error_kind(&error.r#type, 500);
                let status = match error.r#type.as_str() {
                    "overloaded_error" => 529,
                    _ => kind.status(),
                };
                return Err(ApiError::new(kind, error.message).with_status(status));
            }
            StreamEvent::ContentBlockStop { .. }
            | StreamEvent::MessageStop
            | StreamEvent::Ping
            | StreamEvent::Unknown => Vec::new(),
        })
    }

    /// The usage so far, in the gateway's convention (input includes cached
    /// tokens); final once `message_delta` has been pushed.
    pub fn usage(&self) -> Option<TokenUsage> {
        self.usage.as_ref().map(TokenUsage::from)
    }

    /// The usage chunk OpenAI sends last when `include_usage` is on:
    /// `choices: []` and `usage`.
    pub fn usage_chunk(&self) -> Option<ChatChunk> {
        let usage = self.usage.as_ref()?;
        Some(ChatChunk {
            choices: Vec::new(),
            usage: Some(chat_usage(usage)),
            ..self.chunk_base()
        })
    }

    fn start_block(&mut self, index: u32, block: ContentBlock) -> Vec<ChatChunk> {
        let (state, delta) = match block {
            ContentBlock::Text(text) => (Block::Text, content_delta(text.text)),
            ContentBlock::ToolUse(call) if call.name == JSON_TOOL_NAME => (Block::JsonTool, None),
            ContentBlock::ToolUse(call) => {
                let tool_index = self.next_tool_index;
                self.next_tool_index += 1;
                // Anthropic starts with `input: {}` and streams the JSON
                // text; an input given whole up front is sent whole.
                let arguments = match &call.input {
                    Value::Object(map) if map.is_empty() => String::new(),
                    input => input.to_string(),
                };
                let call_delta = ToolCallDelta {
                    index: tool_index,
                    id: Some(call.id),
                    r#type: Some("function".to_owned()),
                    function: Some(FunctionCallDelta {
                        name: Some(call.name),
                        arguments: Some(arguments),
                    }),
                };
                (Block::Tool(tool_index), Some(tool_delta(call_delta)))
            }
            ContentBlock::Thinking(thinking) => {
                let delta = reasoning_delta(&thinking.thinking);
                (Block::Thinking(thinking.thinking), delta)
            }
            ContentBlock::RedactedThinking(redacted) => {
                let value = serde_json::json!({"type": "redacted_thinking", "data": redacted.data});
                (Block::Ignored, Some(thinking_blocks_delta(value)))
            }
            _ => (Block::Ignored, None),
        };
        self.blocks.insert(index, state);
        delta
            .map(|delta| vec![self.chunk(delta, None)])
            .unwrap_or_default()
    }

    fn delta(&mut self, index: u32, delta: BlockDelta) -> Vec<ChatChunk> {
        let Some(block) = self.blocks.get_mut(&index) else {
            return Vec::new();
        };
        let delta = match (block, delta) {
            (Block::Text, BlockDelta::TextDelta { text }) => content_delta(text),
            (Block::JsonTool, BlockDelta::InputJsonDelta { partial_json }) => {
                content_delta(partial_json)
            }
            (Block::Tool(tool_index), BlockDelta::InputJsonDelta { partial_json }) => {
                // Anthropic opens with an empty fragment; OpenAI never sends one.
                (!partial_json.is_empty()).then(|| {
                    tool_delta(ToolCallDelta {
                        index: *tool_index,
                        function: Some(FunctionCallDelta {
                            name: None,
                            arguments: Some(partial_json),
                        }),
                        ..ToolCallDelta::default()
                    })
                })
            }
            (Block::Thinking(text), BlockDelta::ThinkingDelta { thinking }) => {
                text.push_str(&thinking);
                reasoning_delta(&thinking)
            }
            // The signature closes the thinking block: the client gets the
            // whole signed block once, ready to be sent back next turn.
            (Block::Thinking(text), BlockDelta::SignatureDelta { signature }) => {
                let block = ThinkingBlock {
                    thinking: std::mem::take(text),
                    signature,
                };
                Some(thinking_blocks_delta(thinking_value(&block)))
            }
            _ => None,
        };
        delta
            .map(|delta| vec![self.chunk(delta, None)])
            .unwrap_or_default()
    }

    fn update_usage(&mut self, delta: DeltaUsage) {
        let usage = self.usage.get_or_insert_with(Usage::default);
        usage.output_tokens = delta.output_tokens;
        if let Some(input) = delta.input_tokens {
            usage.input_tokens = input;
        }
        if let Some(tokens) = delta.cache_creation_input_tokens {
            usage.cache_creation_input_tokens = Some(tokens);
        }
        if let Some(tokens) = delta.cache_read_input_tokens {
            usage.cache_read_input_tokens = Some(tokens);
        }
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<String>) -> ChatChunk {
        ChatChunk {
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
                logprobs: None,
            }],
            ..self.chunk_base()
        }
    }

    fn chunk_base(&self) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            ..ChatChunk::default()
        }
    }
}

fn content_delta(text: String) -> Option<Delta> {
    (!text.is_empty()).then(|| Delta {
        content: Some(text),
        ..Delta::default()
    })
}

fn reasoning_delta(text: &str) -> Option<Delta> {
    (!text.is_empty()).then(|| Delta {
        reasoning_content: Some(text.to_owned()),
        ..Delta::default()
    })
}

fn tool_delta(call: ToolCallDelta) -> Delta {
    Delta {
        tool_calls: Some(vec![call]),
        ..Delta::default()
    }
}

fn thinking_blocks_delta(block: Value) -> Delta {
    Delta {
        thinking_blocks: Some(vec![block]),
        ..Delta::default()
    }
}
