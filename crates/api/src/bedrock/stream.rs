//! ConverseStream events → OpenAI chat completion chunks.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::response::{
    chat_usage, completion_id, exception_to_error, finish_reason, thinking_block,
};
use super::types::{
    BlockDelta, BlockStart, MessageStop, Metadata, ReasoningContent, ReasoningText, Usage,
};
use crate::anthropic::JSON_TOOL_NAME;
use crate::codec::{StreamDecoder, UpstreamEvent};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
use crate::usage::TokenUsage;

/// Translates a ConverseStream into OpenAI chunks, one event at a time.
///
/// The caller cuts the event stream into messages and feeds each one's
/// `:event-type` (or `:exception-type`) and payload to [`push`](Self::push).
/// Chunks carry an id derived from the model and `created` (Bedrock's events
/// have none). Usage arrives last, in `metadata`, after `messageStop`: the
/// caller sends [`StreamDecoder::usage_chunk`] when the stream ends.
#[derive(Debug, Clone, Default)]
pub struct StreamToOpenAi {
    id: String,
    model: String,
    created: u64,
    usage: Option<Usage>,
    /// What each content block (by `contentBlockIndex`) became.
    blocks: BTreeMap<u32, Block>,
    next_tool_index: u32,
    /// Some tool call was sent (not only the `response_format` tool).
    has_tool_calls: bool,
}

#[derive(Debug, Clone)]
enum Block {
    Text,
    /// A tool call, with its OpenAI `tool_calls[].index`.
    Tool(u32),
    /// The `response_format` tool: its input is the answer's text.
    JsonTool,
    /// Reasoning, with the text so far (sent again, signed, at the end).
    Reasoning(String),
}

impl StreamToOpenAi {
    pub fn new(model: &str, created: u64) -> StreamToOpenAi {
        StreamToOpenAi {
            id: completion_id(model.as_bytes(), created),
            model: model.to_owned(),
            created,
            ..StreamToOpenAi::default()
        }
    }

    /// Feeds one event; returns the chunks to send (often none). An
    /// exception becomes `Err` with its kind; a malformed payload is a 502;
    /// event types added by AWS later are skipped.
    pub fn push(&mut self, event: &str, payload: &[u8]) -> Result<Vec<ChatChunk>, ApiError> {
        let delta = match event {
            "messageStart" => Some(Delta {
                role: Some("assistant".to_owned()),
                content: Some(String::new()),
                ..Delta::default()
            }),
            "contentBlockStart" => {
                let start: BlockStart = parse(event, payload)?;
                self.start_block(start)
            }
            "contentBlockDelta" => {
                let delta: BlockDelta = parse(event, payload)?;
                self.delta(delta)
            }
            "messageStop" => {
                let stop: MessageStop = parse(event, payload)?;
                let reason = finish_reason(stop.stop_reason.as_deref(), self.has_tool_calls);
                return Ok(vec![self.chunk(Delta::default(), Some(reason.to_owned()))]);
            }
            "metadata" => {
                let metadata: Metadata = parse(event, payload)?;
                if metadata.usage.is_some() {
                    self.usage = metadata.usage;
                }
                None
            }
            name if name.ends_with("Exception") => return Err(exception_to_error(name, payload)),
            _ => None,
        };
        Ok(delta
            .map(|delta| vec![self.chunk(delta, None)])
            .unwrap_or_default())
    }

    /// Only tool use announces its block; text and reasoning blocks start
    /// with their first delta.
    fn start_block(&mut self, start: BlockStart) -> Option<Delta> {
        let call = start.start.tool_use?;
        if call.name == JSON_TOOL_NAME {
            self.blocks
                .insert(start.content_block_index, Block::JsonTool);
            return None;
        }
        let index = self.next_tool_index;
        self.next_tool_index += 1;
        self.has_tool_calls = true;
        self.blocks
            .insert(start.content_block_index, Block::Tool(index));
        Some(tool_delta(ToolCallDelta {
            index,
            id: Some(call.tool_use_id),
            r#type: Some("function".to_owned()),
            function: Some(FunctionCallDelta {
                name: Some(call.name),
                arguments: Some(String::new()),
            }),
        }))
    }

    fn delta(&mut self, event: BlockDelta) -> Option<Delta> {
        let delta = event.delta;
        let block = self
            .blocks
            .entry(event.content_block_index)
            .or_insert_with(|| {
                if delta.reasoning_content.is_some() {
                    Block::Reasoning(String::new())
                } else {
                    Block::Text
                }
            });
        match block {
            Block::Text => content_delta(delta.text?),
            Block::JsonTool => content_delta(delta.tool_use?.input),
            Block::Tool(index) => {
                let input = delta.tool_use?.input;
                (!input.is_empty()).then(|| {
                    tool_delta(ToolCallDelta {
                        index: *index,
                        function: Some(FunctionCallDelta {
                            name: None,
                            arguments: Some(input),
                        }),
                        ..ToolCallDelta::default()
                    })
                })
            }
            Block::Reasoning(text) => {
                let reasoning = delta.reasoning_content?;
                if let Some(piece) = reasoning.text {
                    text.push_str(&piece);
                    return (!piece.is_empty()).then(|| Delta {
                        reasoning_content: Some(piece),
                        ..Delta::default()
                    });
                }
                // The signature closes the block: the client gets the whole
                // signed block once, ready to be sent back next turn.
                let content = match (reasoning.signature, reasoning.redacted_content) {
                    (Some(signature), _) => ReasoningContent {
                        reasoning_text: Some(ReasoningText {
                            text: std::mem::take(text),
                            signature: Some(signature),
                        }),
                        redacted_content: None,
                    },
                    (None, Some(data)) => ReasoningContent {
                        reasoning_text: None,
                        redacted_content: Some(data),
                    },
                    (None, None) => return None,
                };
                thinking_block(&content).map(|block| Delta {
                    thinking_blocks: Some(vec![block]),
                    ..Delta::default()
                })
            }
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

/// The seam's view: events by name, usage known once `metadata` came.
impl StreamDecoder for StreamToOpenAi {
    fn push(&mut self, event: UpstreamEvent<'_>) -> Result<Vec<ChatChunk>, ApiError> {
        match event.name {
            Some(name) => StreamToOpenAi::push(self, name, event.data),
            None => Ok(Vec::new()),
        }
    }

    fn finish(&mut self) -> Vec<ChatChunk> {
        Vec::new()
    }

    /// The usage chunk OpenAI sends last when `include_usage` is on.
    fn usage_chunk(&self) -> Option<ChatChunk> {
        let usage = self.usage.as_ref()?;
        Some(ChatChunk {
            choices: Vec::new(),
            usage: Some(chat_usage(usage)),
            ..self.chunk_base()
        })
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.usage
            .as_ref()
            .map(|usage| TokenUsage::from(chat_usage(usage)))
    }
}

fn parse<T: DeserializeOwned>(event: &str, payload: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(payload).map_err(|error| {
        ApiError::new(
            ErrorKind::BadGateway,
            format!("invalid Bedrock stream event `{event}`: {error}"),
        )
    })
}

fn content_delta(text: String) -> Option<Delta> {
    (!text.is_empty()).then(|| Delta {
        content: Some(text),
        ..Delta::default()
    })
}

fn tool_delta(call: ToolCallDelta) -> Delta {
    Delta {
        tool_calls: Some(vec![call]),
        ..Delta::default()
    }
}
