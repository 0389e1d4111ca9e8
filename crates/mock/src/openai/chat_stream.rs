//! Streamed chat completions (`"stream": true`), event by event as OpenAI sends them:
//! a role event, content (or tool-argument) events, a finish event, an optional usage event,
//! then `data: [DONE]`.

use std::slice;

use serde::Serialize;

use super::chat::{Answer, ChatRequest};
use super::tools::ToolCall;
use super::{ChatUsage, RenderCtx, truncate_to_max};
use crate::sse::SseFrames;
use crate::text::split_even;

// Field order below is OpenAI's; `()` serializes as `null`.

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    service_tier: &'static str,
    system_fingerprint: &'static str,
    choices: &'a [ChunkChoice<'a>],
    /// Absent unless `stream_options.include_usage`; then `null` on every event but the last,
    /// which carries the totals (OpenAI's documented behaviour).
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<&'a ChatUsage>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: (),
    finish_reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Delta<'a> {
    /// The first event of a choice: the role, and for tool calls the first call's header.
    Start {
        role: &'static str,
        content: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_calls: Option<[ToolCallDelta<'a>; 1]>,
        refusal: (),
    },
    Content {
        content: &'a str,
    },
    Tool {
        tool_calls: [ToolCallDelta<'a>; 1],
    },
    /// Serializes as `{}`: the finish event carries only `finish_reason`.
    Finish {},
}

#[derive(Serialize)]
struct ToolCallDelta<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDelta<'a>,
}

#[derive(Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

impl<'a> ToolCallDelta<'a> {
    /// A call's first delta: id, type, name and empty arguments.
    fn header(index: u32, call: &'a ToolCall<'_>) -> Self {
        Self {
            index,
            id: Some(&call.id),
            kind: Some("function"),
            function: FunctionDelta {
                name: Some(call.name),
                arguments: "",
            },
        }
    }

    fn arguments(index: u32, fragment: &'a str) -> Self {
        Self {
            index,
            id: None,
            kind: None,
            function: FunctionDelta {
                name: None,
                arguments: fragment,
            },
        }
    }
}

/// Writes events sharing one envelope.
struct Writer<'a> {
    id: &'a str,
    created: u64,
    model: &'a str,
    include_usage: bool,
    frames: SseFrames,
}

impl Writer<'_> {
    fn push(
        &mut self,
        index: u32,
        delta: Delta<'_>,
        finish_reason: Option<&str>,
    ) -> serde_json::Result<()> {
        let choice = ChunkChoice {
            index,
            delta,
            logprobs: (),
            finish_reason,
        };
        self.push_chunk(slice::from_ref(&choice), None)
    }

    fn push_chunk(
        &mut self,
        choices: &[ChunkChoice<'_>],
        usage: Option<&ChatUsage>,
    ) -> serde_json::Result<()> {
        self.frames.push_json(&Chunk {
            id: self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: self.model,
            service_tier: "default",
            system_fingerprint: "fp_mock",
            choices,
            usage: self.include_usage.then_some(usage),
        })
    }
}

/// All events of a streamed answer. With `n` choices, each step emits one event per choice.
pub(super) fn render(
    req: &ChatRequest<'_>,
    ctx: &RenderCtx,
    id: &str,
    answer: &Answer<'_>,
) -> serde_json::Result<SseFrames> {
    let mut w = Writer {
        id,
        created: ctx.created,
        model: &req.model,
        include_usage: req.include_usage,
        frames: SseFrames::with_capacity((ctx.chunks + 4) * req.n as usize),
    };
    if req.azure {
        super::azure::push_prompt_filter_event(&mut w.frames)?;
    }
    let choices = 0..req.n;
    let (finish_reason, completion_tokens) = match answer {
        Answer::Text { text, max_tokens } => {
            let mut pieces = split_even(text, ctx.chunks);
            let finish = truncate_to_max(&mut pieces, *max_tokens);
            for index in choices.clone() {
                let start = Delta::Start {
                    role: "assistant",
                    content: Some(""),
                    tool_calls: None,
                    refusal: (),
                };
                w.push(index, start, None)?;
            }
            w.frames.begin_content();
            for piece in &pieces {
                for index in choices.clone() {
                    w.push(index, Delta::Content { content: piece }, None)?;
                }
            }
            (finish, pieces.len())
        }
        Answer::Tools(calls) => {
            let mut fragments = 0;
            for index in choices.clone() {
                let start = Delta::Start {
                    role: "assistant",
                    content: None,
                    tool_calls: calls.first().map(|c| [ToolCallDelta::header(0, c)]),
                    refusal: (),
                };
                w.push(index, start, None)?;
            }
            w.frames.begin_content();
            for (call_index, call) in (0..).zip(calls) {
                if call_index > 0 {
                    for index in choices.clone() {
                        let header = [ToolCallDelta::header(call_index, call)];
                        w.push(index, Delta::Tool { tool_calls: header }, None)?;
                    }
                }
                let pieces = split_even(&call.arguments, ctx.chunks);
                fragments += pieces.len();
                for fragment in pieces {
                    for index in choices.clone() {
                        let delta = [ToolCallDelta::arguments(call_index, fragment)];
                        w.push(index, Delta::Tool { tool_calls: delta }, None)?;
                    }
                }
            }
            ("tool_calls", fragments)
        }
    };
    w.frames.end_content();
    for index in choices {
        w.push(index, Delta::Finish {}, Some(finish_reason))?;
    }
    if req.include_usage {
        let usage = ChatUsage::new(
            req.prompt_tokens(),
            completion_tokens as u64 * u64::from(req.n),
        );
        w.push_chunk(&[], Some(&usage))?;
    }
    w.frames.push_done();
    Ok(w.frames)
}
