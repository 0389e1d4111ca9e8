//! `/v2/chat` responses. Streams are named events (`event: <type>`) whose data repeats the
//! type: `message-start`, then `content-start` / `content-delta` / `content-end` per content
//! block (thinking, then text) or `tool-plan-delta` and per call `tool-call-start` /
//! `tool-call-delta` / `tool-call-end`, then `message-end` with the finish reason and usage.

use serde::Serialize;

use super::ChatRequest;
use crate::answer::{PiecesBody, ToolCall};
use crate::pipeline::{RenderCtx, Rendered};
use crate::sse::SseFrames;
use crate::text::uuid_like;

pub(super) fn render(req: &ChatRequest<'_>, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
    let conversation = req.conversation();
    let reply = conversation.reply(ctx.hash, ctx.chunks, ctx.parallel, |name, n| {
        format!("{name}_{:012x}", n & 0xffff_ffff_ffff)
    });
    let pieces = reply.pieces(ctx.chunks);
    let id = uuid_like(ctx.hash);
    let tokens = Tokens {
        input_tokens: conversation.prompt_tokens(),
        output_tokens: pieces.output_tokens(),
    };
    let usage = Usage {
        billed_units: tokens,
        tokens,
    };
    let finish_reason = pieces.stop.pick(["COMPLETE", "MAX_TOKENS", "TOOL_CALL"]);
    let plan = match &pieces.body {
        PiecesBody::Tools(calls) => Some(tool_plan(calls.iter().map(|(c, _)| *c))),
        PiecesBody::Text { .. } => None,
    };
    if req.stream {
        let mut w = Writer(SseFrames::with_capacity(
            pieces.output_tokens() as usize + 8,
        ));
        let start = MessageStart {
            role: "assistant",
            content: [],
            tool_plan: "",
            tool_calls: [],
            citations: [],
        };
        w.event(
            "message-start",
            None,
            Some(&id),
            Some(Message { message: start }),
            false,
        )?;
        let mut index = 0;
        if !pieces.thinking.is_empty() {
            w.block(
                index,
                Part::Thinking { thinking: "" },
                pieces
                    .thinking
                    .iter()
                    .map(|t| Part::Thinking { thinking: t }),
            )?;
            index += 1;
        }
        match &pieces.body {
            PiecesBody::Text { pieces, .. } => {
                w.block(
                    index,
                    Part::Text { text: "" },
                    pieces.iter().map(|t| Part::Text { text: t }),
                )?;
            }
            PiecesBody::Tools(calls) => {
                let plan = Message {
                    message: PlanDelta {
                        tool_plan: plan.as_deref().unwrap_or_default(),
                    },
                };
                w.event("tool-plan-delta", None, None, Some(plan), false)?;
                for (index, (call, fragments)) in (0..).zip(calls) {
                    let start = CallOut::new(call, "");
                    w.event(
                        "tool-call-start",
                        Some(index),
                        None,
                        Some(calls_delta(start)),
                        false,
                    )?;
                    for arguments in fragments {
                        let delta = CallDelta {
                            function: ArgumentsOut { arguments },
                        };
                        w.event(
                            "tool-call-delta",
                            Some(index),
                            None,
                            Some(calls_delta(delta)),
                            true,
                        )?;
                    }
                    w.event::<()>("tool-call-end", Some(index), None, None, false)?;
                }
            }
        }
        w.0.end_content();
        let end = EndDelta {
            finish_reason,
            usage,
        };
        w.event("message-end", None, None, Some(end), false)?;
        return Ok(Rendered::Stream(w.0));
    }
    let mut content = Vec::new();
    if let Some(thinking) = pieces.thinking_text {
        content.push(Part::Thinking { thinking });
    }
    let mut tool_calls = Vec::new();
    match &pieces.body {
        PiecesBody::Text { text, .. } => content.push(Part::Text { text }),
        PiecesBody::Tools(calls) => {
            tool_calls.extend(calls.iter().map(|(c, _)| CallOut::new(c, &c.arguments)));
        }
    }
    let response = ChatResponse {
        id: &id,
        finish_reason,
        message: AssistantMessage {
            role: "assistant",
            tool_plan: plan.as_deref(),
            tool_calls,
            content,
        },
        usage,
    };
    serde_json::to_vec(&response).map(Rendered::Json)
}

/// The plan Cohere's models state before calling tools.
fn tool_plan<'a>(calls: impl Iterator<Item = &'a ToolCall<'a>>) -> String {
    let names: Vec<&str> = calls.map(|c| c.name).collect();
    format!("I will call {}.", names.join(" and "))
}

fn calls_delta<T>(tool_calls: T) -> Message<ToolCallsDelta<T>> {
    Message {
        message: ToolCallsDelta { tool_calls },
    }
}

struct Writer(SseFrames);

impl Writer {
    /// One event: `{"id"?, "type", "index"?, "delta"?}`.
    fn event<D: Serialize>(
        &mut self,
        kind: &str,
        index: Option<u32>,
        id: Option<&str>,
        delta: Option<D>,
        content: bool,
    ) -> serde_json::Result<()> {
        let event = Event {
            id,
            kind,
            index,
            delta,
        };
        if content {
            self.0.push_content_event(kind, &event)
        } else {
            self.0.push_event(kind, &event)
        }
    }

    /// A content block: start (empty), deltas as content events, end.
    fn block<'p>(
        &mut self,
        index: u32,
        start: Part<'_>,
        deltas: impl Iterator<Item = Part<'p>>,
    ) -> serde_json::Result<()> {
        let start = Message {
            message: ContentDelta { content: start },
        };
        self.event("content-start", Some(index), None, Some(start), false)?;
        for part in deltas {
            let delta = Message {
                message: ContentDelta {
                    content: part.without_type(),
                },
            };
            self.event("content-delta", Some(index), None, Some(delta), true)?;
        }
        self.event::<()>("content-end", Some(index), None, None, false)
    }
}

// Field order below is Cohere's.

#[derive(Serialize)]
struct Event<'a, D> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<D>,
}

#[derive(Serialize)]
struct Message<M> {
    message: M,
}

#[derive(Serialize)]
struct MessageStart {
    role: &'static str,
    content: [(); 0],
    tool_plan: &'static str,
    tool_calls: [(); 0],
    citations: [(); 0],
}

#[derive(Serialize)]
struct ContentDelta<C> {
    content: C,
}

#[derive(Serialize)]
struct PlanDelta<'a> {
    tool_plan: &'a str,
}

#[derive(Serialize)]
struct ToolCallsDelta<T> {
    tool_calls: T,
}

#[derive(Serialize)]
struct CallDelta<'a> {
    function: ArgumentsOut<'a>,
}

#[derive(Serialize)]
struct ArgumentsOut<'a> {
    arguments: &'a str,
}

#[derive(Serialize)]
struct EndDelta {
    finish_reason: &'static str,
    usage: Usage,
}

/// A content part: typed in responses and block starts, untyped in deltas.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Part<'a> {
    Thinking { thinking: &'a str },
    Text { text: &'a str },
}

#[derive(Serialize)]
#[serde(untagged)]
enum UntypedPart<'a> {
    Thinking { thinking: &'a str },
    Text { text: &'a str },
}

impl<'a> Part<'a> {
    fn without_type(self) -> UntypedPart<'a> {
        match self {
            Part::Thinking { thinking } => UntypedPart::Thinking { thinking },
            Part::Text { text } => UntypedPart::Text { text },
        }
    }
}

#[derive(Serialize)]
struct CallOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionOut<'a>,
}

impl<'a> CallOut<'a> {
    fn new(call: &'a ToolCall<'_>, arguments: &'a str) -> Self {
        Self {
            id: &call.id,
            kind: "function",
            function: FunctionOut {
                name: call.name,
                arguments,
            },
        }
    }
}

#[derive(Serialize)]
struct FunctionOut<'a> {
    name: &'a str,
    arguments: &'a str,
}

#[derive(Serialize)]
struct ChatResponse<'a> {
    id: &'a str,
    finish_reason: &'static str,
    message: AssistantMessage<'a>,
    usage: Usage,
}

#[derive(Serialize)]
struct AssistantMessage<'a> {
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_plan: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<CallOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    content: Vec<Part<'a>>,
}

#[derive(Clone, Copy, Serialize)]
struct Usage {
    billed_units: Tokens,
    tokens: Tokens,
}

#[derive(Clone, Copy, Serialize)]
struct Tokens {
    input_tokens: u64,
    output_tokens: u64,
}
