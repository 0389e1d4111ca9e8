//! Cohere v2 chat stream events → OpenAI chat completion chunks.

use std::collections::BTreeMap;

use super::finish_reason;
use super::response::{chat_usage, generation_failed, token_usage};
use super::types::{EndDelta, StreamEvent, ToolCallFragment, Usage};
use crate::codec::{StreamDecoder, UpstreamEvent};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
use crate::usage::TokenUsage;

/// Translates a streamed Cohere answer into OpenAI chunks, one event at a
/// time.
///
/// The caller feeds each SSE event's data to [`push_data`](Self::push_data) (the
/// JSON's `type` names the event, so the SSE `event:` line is not needed).
/// `message-start` opens the assistant turn; text and tool-plan deltas
/// become content, thinking deltas `reasoning_content`, tool-call events
/// OpenAI's tool call fragments (id and name first, then the arguments in
/// pieces); `message-end` carries the finish reason and the usage, kept
/// for the usage chunk ([`StreamDecoder::usage_chunk`]). Citation events have no OpenAI
/// chunk and are skipped.
#[derive(Debug, Clone, Default)]
pub struct StreamToOpenAi {
    created: u64,
    id: String,
    model: String,
    usage: Option<Usage>,
    /// Cohere's tool call index → OpenAI's, in the order calls start.
    tool_indexes: BTreeMap<u32, u32>,
}

impl StreamToOpenAi {
    pub fn new(model: &str, created: u64) -> StreamToOpenAi {
        StreamToOpenAi {
            created,
            model: model.to_owned(),
            ..StreamToOpenAi::default()
        }
    }

    /// Feeds one event's data; returns the chunks to send (often none).
    /// Malformed JSON is a 502; `finish_reason: ERROR` is the upstream's
    /// error, with its message.
    pub fn push_data(&mut self, data: &[u8]) -> Result<Vec<ChatChunk>, ApiError> {
        let event: StreamEvent = serde_json::from_slice(data).map_err(|error| {
            ApiError::new(
                ErrorKind::BadGateway,
                format!("invalid Cohere stream event: {error}"),
            )
        })?;
        let delta = match event {
            StreamEvent::MessageStart { id } => {
                self.id = id.unwrap_or_default();
                Some(Delta {
                    role: Some("assistant".to_owned()),
                    content: Some(String::new()),
                    ..Delta::default()
                })
            }
            StreamEvent::ContentStart { delta } | StreamEvent::ContentDelta { delta } => delta
                .and_then(|delta| {
                    let content = delta.message.content;
                    match (content.thinking, content.text) {
                        (Some(thinking), _) => non_empty(thinking).map(|thinking| Delta {
                            reasoning_content: Some(thinking),
                            ..Delta::default()
                        }),
                        (None, Some(text)) => content_delta(text),
                        (None, None) => None,
                    }
                }),
            StreamEvent::ToolPlanDelta { delta } => {
                delta.and_then(|delta| content_delta(delta.message.tool_plan))
            }
            StreamEvent::ToolCallStart { index, delta } => {
                let next = u32::try_from(self.tool_indexes.len()).unwrap_or(u32::MAX);
                let openai_index = *self.tool_indexes.entry(index).or_insert(next);
                let fragment = delta.map(|d| d.message.tool_calls).unwrap_or_default();
                Some(start_delta(openai_index, fragment))
            }
            StreamEvent::ToolCallDelta { index, delta } => {
                let openai_index = self.tool_indexes.get(&index).copied();
                let arguments = delta
                    .and_then(|d| d.message.tool_calls.function)
                    .and_then(|f| f.arguments)
                    .and_then(non_empty);
                match (openai_index, arguments) {
                    (Some(openai_index), Some(arguments)) => Some(tool_delta(ToolCallDelta {
                        index: openai_index,
                        function: Some(FunctionCallDelta {
                            name: None,
                            arguments: Some(arguments),
                        }),
                        ..ToolCallDelta::default()
                    })),
                    _ => None,
                }
            }
            StreamEvent::MessageEnd { delta } => {
                return self.end(delta.unwrap_or_default());
            }
            StreamEvent::Other => None,
        };
        Ok(delta
            .map(|delta| vec![self.chunk(delta, None)])
            .unwrap_or_default())
    }

    fn end(&mut self, delta: EndDelta) -> Result<Vec<ChatChunk>, ApiError> {
        if delta.usage.is_some() {
            self.usage = delta.usage;
        }
        let reason = delta.finish_reason.as_deref().unwrap_or("COMPLETE");
        if reason == "ERROR" || delta.error.is_some() {
            return Err(generation_failed(delta.error.as_deref()));
        }
        let reason = finish_reason(reason, !self.tool_indexes.is_empty());
        Ok(vec![self.chunk(Delta::default(), Some(reason.to_owned()))])
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

/// The decoder behind `Wire::Cohere`: the SSE `event:` name repeats the
/// data's `type`, so only the data is read.
impl StreamDecoder for StreamToOpenAi {
    fn push(&mut self, event: UpstreamEvent<'_>) -> Result<Vec<ChatChunk>, ApiError> {
        if event.data.is_empty() {
            return Ok(Vec::new());
        }
        self.push_data(event.data)
    }

    /// Nothing is owed: `message-end` already closed the turn.
    fn finish(&mut self) -> Vec<ChatChunk> {
        Vec::new()
    }

    /// The usage chunk OpenAI sends last when `include_usage` is on:
    /// `choices: []` and `usage`.
    fn usage_chunk(&self) -> Option<ChatChunk> {
        let usage = self.usage.as_ref()?;
        Some(ChatChunk {
            choices: Vec::new(),
            usage: Some(chat_usage(usage)),
            ..self.chunk_base()
        })
    }

    /// The usage so far; final once `message-end` has been pushed.
    fn usage(&self) -> Option<TokenUsage> {
        self.usage.as_ref().map(token_usage)
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn content_delta(text: String) -> Option<Delta> {
    non_empty(text).map(|text| Delta {
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

/// The first fragment of a call: id, type and name, and the arguments when
/// Cohere sends some with the start (it usually sends them empty).
fn start_delta(index: u32, fragment: ToolCallFragment) -> Delta {
    let function = fragment.function.unwrap_or_default();
    tool_delta(ToolCallDelta {
        index,
        id: fragment.id,
        r#type: Some("function".to_owned()),
        function: Some(FunctionCallDelta {
            name: function.name,
            arguments: Some(function.arguments.unwrap_or_default()),
        }),
    })
}
