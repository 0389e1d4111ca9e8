//! OpenAI chat completion chunks → Anthropic stream events.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::super::response::{
    BlockDelta, DeltaUsage, MessageDelta, MessagesResponse, StopReason, StreamEvent, Usage,
};
use super::super::types::{
    ContentBlock, RedactedThinkingBlock, Role, TextBlock, ThinkingBlock, ToolUseBlock,
};
use super::response::{message_id, stop_reason, uncached_input};
use crate::openai::chat::{ChatChunk, ChatUsage, Delta, ToolCallDelta};

/// Translates a streamed chat completion into Anthropic's event sequence:
/// `message_start`, then for each content block `content_block_start`,
/// its deltas and `content_block_stop` (blocks numbered from 0, one open at
/// a time), then `message_delta` with the stop reason and usage, and
/// `message_stop`.
///
/// Feed every upstream chunk to [`push`](Self::push) and call
/// [`finish`](Self::finish) when the upstream ends (`[DONE]` or EOF). OpenAI
/// sends usage in a last chunk after the finish reason, so `message_delta`
/// waits for that usage chunk, or for `finish`, whichever comes first. Only
/// the first choice is followed (Anthropic has no `n`).
#[derive(Debug, Clone, Default)]
pub struct StreamFromOpenAi {
    started: bool,
    finished: bool,
    open: Option<OpenBlock>,
    next_block: u32,
    /// Anthropic block index of each OpenAI tool call index.
    tools: BTreeMap<u32, u32>,
    stop_reason: Option<StopReason>,
    usage: Option<ChatUsage>,
    /// Usage arrived with or after the finish reason, so it is final.
    usage_is_final: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpenBlock {
    index: u32,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Thinking,
    Tool,
}

/// The id and model of a stream that ended before its first chunk.
const EMPTY_ID: &str = "msg_empty";

impl StreamFromOpenAi {
    pub fn new() -> StreamFromOpenAi {
        StreamFromOpenAi::default()
    }

    /// Feeds one upstream chunk; returns the events to send.
    pub fn push(&mut self, chunk: &ChatChunk) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        if !self.started {
            self.start(&chunk.id, &chunk.model, chunk.usage.as_ref(), &mut events);
        }
        if let Some(choice) = chunk.choices.iter().find(|choice| choice.index == 0) {
            self.delta(&choice.delta, &mut events);
            if let Some(reason) = &choice.finish_reason {
                self.close_block(&mut events);
                self.stop_reason = Some(stop_reason(Some(reason), !self.tools.is_empty()));
            }
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
            self.usage_is_final = self.stop_reason.is_some();
        }
        if self.stop_reason.is_some() && self.usage_is_final {
            self.end(&mut events);
        }
        events
    }

    /// Ends the stream: closes an open block and sends `message_delta` and
    /// `message_stop` unless they were sent already. Without a finish reason
    /// from upstream the stop reason is `tool_use` after tool calls, else
    /// `end_turn`.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        if !self.started {
            self.start(EMPTY_ID, "", None, &mut events);
        }
        self.end(&mut events);
        events
    }

    fn start(
        &mut self,
        id: &str,
        model: &str,
        usage: Option<&ChatUsage>,
        out: &mut Vec<StreamEvent>,
    ) {
        self.started = true;
        let message = MessagesResponse {
            id: message_id(id),
            r#type: "message".to_owned(),
            role: Role::Assistant,
            model: model.to_owned(),
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: Usage {
                input_tokens: usage.map_or(0, uncached_input),
                output_tokens: 0,
                ..Usage::default()
            },
            rest: Map::new(),
        };
        out.push(StreamEvent::MessageStart {
            message: Box::new(message),
        });
    }

    /// One delta may carry several kinds of content; they are taken in
    /// Anthropic's block order: thinking, text, tool calls.
    fn delta(&mut self, delta: &Delta, out: &mut Vec<StreamEvent>) {
        if let Some(reasoning) = delta.reasoning_content.as_deref().filter(|t| !t.is_empty()) {
            let index = self.ensure_open(Kind::Thinking, out);
            out.push(block_delta(
                index,
                BlockDelta::ThinkingDelta {
                    thinking: reasoning.to_owned(),
                },
            ));
        }
        for block in delta.thinking_blocks.iter().flatten() {
            self.thinking_block(block, out);
        }
        for text in [&delta.content, &delta.refusal].into_iter().flatten() {
            if !text.is_empty() {
                let index = self.ensure_open(Kind::Text, out);
                out.push(block_delta(
                    index,
                    BlockDelta::TextDelta { text: text.clone() },
                ));
            }
        }
        for call in delta.tool_calls.iter().flatten() {
            self.tool_call(call, out);
        }
    }

    /// Signed thinking relayed by an OpenAI-dialect upstream (LiteLLM's
    /// `thinking_blocks`). Its text also arrives as `reasoning_content`, so
    /// only the signature is taken from it.
    fn thinking_block(&mut self, block: &Value, out: &mut Vec<StreamEvent>) {
        let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or_default();
        match field("type") {
            "thinking" if !field("signature").is_empty() => {
                let index = self.ensure_open(Kind::Thinking, out);
                out.push(block_delta(
                    index,
                    BlockDelta::SignatureDelta {
                        signature: field("signature").to_owned(),
                    },
                ));
            }
            "redacted_thinking" => {
                // Opaque and complete: a block of its own, opened and closed.
                let data = field("data").to_owned();
                let block = ContentBlock::RedactedThinking(RedactedThinkingBlock { data });
                self.open_block(block, Kind::Thinking, out);
                self.close_block(out);
            }
            _ => {}
        }
    }

    /// The first fragment of a call (a new `index`) opens its `tool_use`
    /// block; argument text follows as `input_json_delta`s.
    fn tool_call(&mut self, call: &ToolCallDelta, out: &mut Vec<StreamEvent>) {
        let function = call.function.as_ref();
        let index = match self.tools.get(&call.index) {
            Some(index) => *index,
            None => {
                let block = ContentBlock::ToolUse(ToolUseBlock {
                    // Some servers omit ids; Anthropic clients need one to
                    // answer with a tool_result.
                    id: call
                        .id
                        .clone()
                        .unwrap_or_else(|| format!("toolu_{}", call.index)),
                    name: function.and_then(|f| f.name.clone()).unwrap_or_default(),
                    input: Value::Object(Map::new()),
                    cache_control: None,
                });
                let index = self.open_block(block, Kind::Tool, out);
                self.tools.insert(call.index, index);
                index
            }
        };
        // A fragment of an earlier call after another block opened (no
        // known upstream interleaves calls) still goes to its own block.
        let arguments = function.and_then(|f| f.arguments.as_deref());
        if let Some(arguments) = arguments.filter(|a| !a.is_empty()) {
            out.push(block_delta(
                index,
                BlockDelta::InputJsonDelta {
                    partial_json: arguments.to_owned(),
                },
            ));
        }
    }

    /// The index of the open text or thinking block, opening one if needed.
    fn ensure_open(&mut self, kind: Kind, out: &mut Vec<StreamEvent>) -> u32 {
        match self.open {
            Some(open) if open.kind == kind => open.index,
            _ => {
                let block = match kind {
                    Kind::Thinking => ContentBlock::Thinking(ThinkingBlock::default()),
                    _ => ContentBlock::Text(TextBlock::default()),
                };
                self.open_block(block, kind, out)
            }
        }
    }

    fn open_block(&mut self, block: ContentBlock, kind: Kind, out: &mut Vec<StreamEvent>) -> u32 {
        self.close_block(out);
        let index = self.next_block;
        self.next_block += 1;
        self.open = Some(OpenBlock { index, kind });
        out.push(StreamEvent::ContentBlockStart {
            index,
            content_block: block,
        });
        index
    }

    fn close_block(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(open) = self.open.take() {
            out.push(StreamEvent::ContentBlockStop { index: open.index });
        }
    }

    fn end(&mut self, out: &mut Vec<StreamEvent>) {
        self.close_block(out);
        let reason = self
            .stop_reason
            .take()
            .unwrap_or_else(|| stop_reason(None, !self.tools.is_empty()));
        out.push(StreamEvent::MessageDelta {
            delta: MessageDelta {
                stop_reason: Some(reason),
                stop_sequence: None,
            },
            usage: delta_usage(self.usage.as_ref()),
        });
        out.push(StreamEvent::MessageStop);
        self.finished = true;
    }
}

fn block_delta(index: u32, delta: BlockDelta) -> StreamEvent {
    StreamEvent::ContentBlockDelta { index, delta }
}

/// `message_delta` usage: the final counts when upstream sent them (with
/// the input counts, as current Anthropic versions do), else zero output.
fn delta_usage(usage: Option<&ChatUsage>) -> DeltaUsage {
    let Some(usage) = usage else {
        return DeltaUsage::default();
    };
    let details = usage.prompt_tokens_details.unwrap_or_default();
    DeltaUsage {
        input_tokens: Some(uncached_input(usage)),
        cache_creation_input_tokens: Some(details.cache_creation_tokens),
        cache_read_input_tokens: Some(details.cached_tokens),
        output_tokens: usage.completion_tokens,
        rest: Map::new(),
    }
}
