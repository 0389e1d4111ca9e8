//! ConverseStream: `messageStart`, per block (`contentBlockStart` for tool use only)
//! `contentBlockDelta`s and `contentBlockStop`, then `messageStop` and `metadata`, each an
//! event-stream message with a JSON payload.

use serde::Serialize;

use super::converse::{Metrics, Usage};
use super::eventstream::{self, CONTENT_TYPE};
use crate::answer::{Pieces, PiecesBody, SNAKE_STOPS};
use crate::sse::SseFrames;

pub(super) fn render(
    pieces: &Pieces<'_>,
    signature: &str,
    usage: Usage,
    metrics: Metrics,
) -> serde_json::Result<SseFrames> {
    let mut w = Writer {
        frames: SseFrames::typed(pieces.output_tokens() as usize + 8, CONTENT_TYPE),
        index: 0,
    };
    w.event("messageStart", &MessageStart { role: "assistant" }, false)?;
    if !pieces.thinking.is_empty() {
        for text in &pieces.thinking {
            w.delta(Delta::ReasoningContent(ReasoningDelta::Text(text)), true)?;
        }
        w.delta(
            Delta::ReasoningContent(ReasoningDelta::Signature(signature)),
            false,
        )?;
        w.stop()?;
    }
    match &pieces.body {
        PiecesBody::Text { pieces, .. } => {
            for text in pieces {
                w.delta(Delta::Text(text), true)?;
            }
            w.stop()?;
        }
        PiecesBody::Tools(calls) => {
            for (call, fragments) in calls {
                let start = BlockStart {
                    content_block_index: w.index,
                    start: Start::ToolUse(ToolUseStart {
                        tool_use_id: &call.id,
                        name: call.name,
                    }),
                };
                w.event("contentBlockStart", &start, false)?;
                for input in fragments {
                    w.delta(Delta::ToolUse(ToolUseDelta { input }), true)?;
                }
                w.stop()?;
            }
        }
    }
    w.frames.end_content();
    let stop = MessageStop {
        stop_reason: pieces.stop.pick(SNAKE_STOPS),
    };
    w.event("messageStop", &stop, false)?;
    w.event("metadata", &Metadata { usage, metrics }, false)?;
    Ok(w.frames)
}

struct Writer {
    frames: SseFrames,
    /// The current block's index.
    index: u32,
}

impl Writer {
    fn event<T: Serialize>(
        &mut self,
        name: &str,
        payload: &T,
        content: bool,
    ) -> serde_json::Result<()> {
        let payload = serde_json::to_vec(payload)?;
        self.frames
            .push_raw(eventstream::event(name, &payload), content);
        Ok(())
    }

    fn delta(&mut self, delta: Delta<'_>, content: bool) -> serde_json::Result<()> {
        let event = BlockDelta {
            content_block_index: self.index,
            delta,
        };
        self.event("contentBlockDelta", &event, content)
    }

    /// Closes the current block; the next one gets the next index.
    fn stop(&mut self) -> serde_json::Result<()> {
        let event = BlockStop {
            content_block_index: self.index,
        };
        self.index += 1;
        self.event("contentBlockStop", &event, false)
    }
}

#[derive(Serialize)]
struct MessageStart {
    role: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockStart<'a> {
    content_block_index: u32,
    start: Start<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Start<'a> {
    ToolUse(ToolUseStart<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolUseStart<'a> {
    tool_use_id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockDelta<'a> {
    content_block_index: u32,
    delta: Delta<'a>,
}

/// `{"text": ...}`, `{"toolUse": {"input": ...}}` or `{"reasoningContent": {...}}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Delta<'a> {
    Text(&'a str),
    ToolUse(ToolUseDelta<'a>),
    ReasoningContent(ReasoningDelta<'a>),
}

#[derive(Serialize)]
struct ToolUseDelta<'a> {
    input: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum ReasoningDelta<'a> {
    Text(&'a str),
    Signature(&'a str),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockStop {
    content_block_index: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageStop {
    stop_reason: &'static str,
}

#[derive(Serialize)]
struct Metadata {
    usage: Usage,
    metrics: Metrics,
}
