//! Anthropic responses: the Message object, and its stream of events exactly as the streaming
//! docs show them (`message_start`, then per block `content_block_start` / `content_block_delta`
//! / `content_block_stop` with a `ping` after the first block start, then `message_delta` and
//! `message_stop`).

use serde::Serialize;
use serde_json::Value;

use crate::answer::{Conversation, Pieces, PiecesBody, SNAKE_STOPS, signature};
use crate::pipeline::{RenderCtx, Rendered};
use crate::sse::SseFrames;

/// `POST /v1/messages/count_tokens`.
pub(super) fn count(conversation: &Conversation<'_>) -> serde_json::Result<Rendered> {
    #[derive(Serialize)]
    struct Count {
        input_tokens: u64,
    }
    let count = Count {
        input_tokens: conversation.prompt_tokens(),
    };
    serde_json::to_vec(&count).map(Rendered::Json)
}

pub(super) fn message(
    model: &str,
    stream: bool,
    conversation: &Conversation<'_>,
    ctx: &RenderCtx,
) -> serde_json::Result<Rendered> {
    let reply = conversation.reply(ctx.hash, ctx.chunks, ctx.parallel, |_, n| {
        format!("toolu_{n:016x}")
    });
    let pieces = reply.pieces(ctx.chunks);
    let id = format!("msg_{:016x}", ctx.hash);
    let signature = signature(ctx.hash);
    let input_tokens = conversation.prompt_tokens();
    if stream {
        return render_stream(&id, model, &pieces, &signature, input_tokens).map(Rendered::Stream);
    }
    let mut content = Vec::new();
    if let Some(thinking) = pieces.thinking_text {
        content.push(Block::Thinking {
            thinking,
            signature: &signature,
        });
    }
    match &pieces.body {
        PiecesBody::Text { text, .. } => content.push(Block::Text { text }),
        PiecesBody::Tools(calls) => {
            for (call, _) in calls {
                content.push(Block::ToolUse {
                    id: &call.id,
                    name: call.name,
                    input: &call.input,
                });
            }
        }
    }
    let message = Message {
        id: &id,
        kind: "message",
        role: "assistant",
        model,
        content,
        stop_reason: Some(pieces.stop.pick(SNAKE_STOPS)),
        stop_sequence: (),
        usage: Usage::new(input_tokens, pieces.output_tokens()),
    };
    serde_json::to_vec(&message).map(Rendered::Json)
}

fn render_stream(
    id: &str,
    model: &str,
    pieces: &Pieces<'_>,
    signature: &str,
    input_tokens: u64,
) -> serde_json::Result<SseFrames> {
    let mut w = Writer {
        frames: SseFrames::with_capacity(pieces.output_tokens() as usize + 12),
        index: 0,
        pinged: false,
    };
    let start = Message {
        id,
        kind: "message",
        role: "assistant",
        model,
        content: Vec::new(),
        stop_reason: None,
        stop_sequence: (),
        usage: Usage::new(input_tokens, 1),
    };
    w.push(&Event::MessageStart { message: start })?;
    if !pieces.thinking.is_empty() {
        let deltas = pieces
            .thinking
            .iter()
            .map(|thinking| Delta::Thinking { thinking });
        // The signature closes the block; it is not content the client shows.
        let closing = Delta::Signature { signature };
        w.block(
            Start::Thinking { thinking: "" },
            None,
            deltas,
            Some(closing),
        )?;
    }
    match &pieces.body {
        PiecesBody::Text { pieces, .. } => {
            let deltas = pieces.iter().map(|text| Delta::Text { text });
            w.block(Start::Text { text: "" }, None, deltas, None)?;
        }
        PiecesBody::Tools(calls) => {
            for (call, fragments) in calls {
                let start = Start::ToolUse {
                    id: &call.id,
                    name: call.name,
                    input: Empty {},
                };
                // Anthropic opens every tool input with an empty fragment.
                let opening = Delta::InputJson { partial_json: "" };
                let deltas = fragments
                    .iter()
                    .map(|partial_json| Delta::InputJson { partial_json });
                w.block(start, Some(opening), deltas, None)?;
            }
        }
    }
    w.frames.end_content();
    w.push(&Event::MessageDelta {
        delta: MessageDelta {
            stop_reason: pieces.stop.pick(SNAKE_STOPS),
            stop_sequence: (),
        },
        usage: OutputUsage {
            output_tokens: pieces.output_tokens(),
        },
    })?;
    w.push(&Event::MessageStop)?;
    Ok(w.frames)
}

struct Writer {
    frames: SseFrames,
    /// The next block's index.
    index: u32,
    pinged: bool,
}

impl Writer {
    fn push(&mut self, event: &Event<'_>) -> serde_json::Result<()> {
        self.frames.push_event(event.name(), event)
    }

    /// One content block: its start (and the stream's ping after the first), its deltas as
    /// content events between an optional opening and closing delta, and its stop.
    fn block<'d>(
        &mut self,
        start: Start<'_>,
        opening: Option<Delta<'_>>,
        deltas: impl Iterator<Item = Delta<'d>>,
        closing: Option<Delta<'_>>,
    ) -> serde_json::Result<()> {
        let index = self.index;
        self.index += 1;
        self.push(&Event::ContentBlockStart {
            index,
            content_block: start,
        })?;
        if !self.pinged {
            self.pinged = true;
            self.push(&Event::Ping)?;
        }
        if let Some(delta) = opening {
            self.push(&Event::ContentBlockDelta { index, delta })?;
        }
        for delta in deltas {
            let event = Event::ContentBlockDelta { index, delta };
            self.frames.push_content_event(event.name(), &event)?;
        }
        if let Some(delta) = closing {
            self.push(&Event::ContentBlockDelta { index, delta })?;
        }
        self.push(&Event::ContentBlockStop { index })
    }
}

// Field order below is Anthropic's.

#[derive(Serialize)]
struct Message<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<Block<'a>>,
    stop_reason: Option<&'static str>,
    stop_sequence: (),
    usage: Usage,
}

#[derive(Serialize)]
struct Usage {
    input_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    output_tokens: u64,
}

impl Usage {
    fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens,
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block<'a> {
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    Text {
        text: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: &'a Value,
    },
}

/// A block as `content_block_start` announces it: empty, filled by the deltas.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Start<'a> {
    Thinking {
        thinking: &'a str,
    },
    Text {
        text: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Empty,
    },
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event<'a> {
    MessageStart {
        message: Message<'a>,
    },
    ContentBlockStart {
        index: u32,
        content_block: Start<'a>,
    },
    Ping,
    ContentBlockDelta {
        index: u32,
        delta: Delta<'a>,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: OutputUsage,
    },
    MessageStop,
}

impl Event<'_> {
    fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::Ping => "ping",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop => "message_stop",
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum Delta<'a> {
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    #[serde(rename = "signature_delta")]
    Signature { signature: &'a str },
}

#[derive(Serialize)]
struct MessageDelta {
    stop_reason: &'static str,
    stop_sequence: (),
}

#[derive(Serialize)]
struct OutputUsage {
    output_tokens: u64,
}
