//! Responses API bodies: the whole Response (shaped in `responses_object`), and its stream of
//! events as OpenAI sends them (`response.created`, `response.in_progress`, per output item
//! `response.output_item.added` ... `response.output_item.done`, then `response.completed` or
//! `response.incomplete`). Each event is `event: <type>` with a `sequence_number` equal to its
//! position.

use serde::Serialize;

use super::responses::ResponsesRequest;
use super::responses_object::{
    InputDetails, Item, OutputDetails, ResponseObject, SummaryPart, TextPart, Usage, call_item_id,
};
use crate::answer::{Conversation, Pieces, PiecesBody, Stop};
use crate::pipeline::{RenderCtx, Rendered};
use crate::sse::SseFrames;

pub(super) fn render(
    req: &ResponsesRequest<'_>,
    conversation: &Conversation<'_>,
    ctx: &RenderCtx,
) -> serde_json::Result<Rendered> {
    let reply = conversation.reply(ctx.hash, ctx.chunks, ctx.parallel, |_, n| {
        format!("call_{n:016x}")
    });
    let pieces = reply.pieces(ctx.chunks);
    let hash = ctx.hash;
    let ids = Ids {
        response: format!("resp_{hash:016x}"),
        message: format!("msg_{hash:016x}"),
        reasoning: format!("rs_{hash:016x}"),
    };
    let incomplete = pieces.stop == Stop::MaxTokens;
    let usage = Usage {
        input_tokens: conversation.prompt_tokens(),
        input_tokens_details: InputDetails {
            cached_tokens: 0,
            cache_write_tokens: 0,
        },
        output_tokens: pieces.output_tokens(),
        output_tokens_details: OutputDetails {
            reasoning_tokens: pieces.thinking_tokens(),
        },
        total_tokens: conversation.prompt_tokens() + pieces.output_tokens(),
    };
    let envelope =
        |status, output, usage| ResponseObject::new(req, ctx, &ids.response, status, output, usage);
    if req.stream {
        return stream(&pieces, &ids, incomplete, &usage, envelope).map(Rendered::Stream);
    }
    let output = items(&pieces, &ids, incomplete);
    let status = if incomplete {
        "incomplete"
    } else {
        "completed"
    };
    serde_json::to_vec(&envelope(status, output, Some(usage))).map(Rendered::Json)
}

struct Ids {
    response: String,
    message: String,
    reasoning: String,
}

/// The finished output items.
fn items<'a>(pieces: &'a Pieces<'a>, ids: &'a Ids, incomplete: bool) -> Vec<Item<'a>> {
    let mut output = Vec::new();
    if let Some(thinking) = pieces.thinking_text {
        output.push(Item::reasoning(&ids.reasoning, Some(thinking)));
    }
    match &pieces.body {
        PiecesBody::Text { text, .. } => {
            output.push(Item::message(&ids.message, incomplete, Some(text)));
        }
        PiecesBody::Tools(calls) => {
            for (call, _) in calls {
                output.push(Item::call(
                    call.id.clone(),
                    call.name,
                    &call.arguments,
                    true,
                ));
            }
        }
    }
    output
}

fn stream<'a>(
    pieces: &'a Pieces<'a>,
    ids: &'a Ids,
    incomplete: bool,
    usage: &Usage,
    envelope: impl Fn(&'static str, Vec<Item<'a>>, Option<Usage>) -> ResponseObject<'a>,
) -> serde_json::Result<SseFrames> {
    let mut w = Writer {
        frames: SseFrames::with_capacity(pieces.output_tokens() as usize + 16),
        sequence: 0,
    };
    let start = envelope("in_progress", Vec::new(), None);
    w.push("response.created", &Lifecycle { response: &start }, false)?;
    w.push(
        "response.in_progress",
        &Lifecycle { response: &start },
        false,
    )?;
    let mut index = 0;
    if let Some(thinking) = pieces.thinking_text {
        let id = ids.reasoning.as_str();
        let at = |output_index| Summary {
            item_id: id,
            output_index,
            summary_index: 0,
        };
        w.item(
            "response.output_item.added",
            index,
            Item::reasoning(id, None),
        )?;
        let part = SummaryPart::new("");
        w.push(
            "response.reasoning_summary_part.added",
            &(at(index), ("part", &part)),
            false,
        )?;
        for delta in &pieces.thinking {
            w.push(
                "response.reasoning_summary_text.delta",
                &(at(index), ("delta", delta)),
                true,
            )?;
        }
        w.push(
            "response.reasoning_summary_text.done",
            &(at(index), ("text", thinking)),
            false,
        )?;
        let part = SummaryPart::new(thinking);
        w.push(
            "response.reasoning_summary_part.done",
            &(at(index), ("part", &part)),
            false,
        )?;
        w.item(
            "response.output_item.done",
            index,
            Item::reasoning(id, Some(thinking)),
        )?;
        index += 1;
    }
    match &pieces.body {
        PiecesBody::Text {
            pieces: deltas,
            text,
        } => {
            let id = ids.message.as_str();
            let at = Text {
                item_id: id,
                output_index: index,
                content_index: 0,
            };
            w.item(
                "response.output_item.added",
                index,
                Item::message(id, false, None),
            )?;
            let empty = TextPart::new("");
            w.push(
                "response.content_part.added",
                &(&at, ("part", &empty)),
                false,
            )?;
            for delta in deltas {
                let event = (&at, ("delta", delta), ("logprobs", [(); 0]));
                w.push("response.output_text.delta", &event, true)?;
            }
            let event = (&at, ("text", text), ("logprobs", [(); 0]));
            w.push("response.output_text.done", &event, false)?;
            w.push(
                "response.content_part.done",
                &(&at, ("part", &TextPart::new(text))),
                false,
            )?;
            let done = Item::message(id, incomplete, Some(text));
            w.item("response.output_item.done", index, done)?;
        }
        PiecesBody::Tools(calls) => {
            for (call, fragments) in calls {
                let id = call_item_id(&call.id);
                let at = Call {
                    item_id: &id,
                    output_index: index,
                };
                let added = Item::call(call.id.clone(), call.name, "", false);
                w.item("response.output_item.added", index, added)?;
                for delta in fragments {
                    w.push(
                        "response.function_call_arguments.delta",
                        &(&at, ("delta", delta)),
                        true,
                    )?;
                }
                let event = (&at, ("name", call.name), ("arguments", &call.arguments));
                w.push("response.function_call_arguments.done", &event, false)?;
                let done = Item::call(call.id.clone(), call.name, &call.arguments, true);
                w.item("response.output_item.done", index, done)?;
                index += 1;
            }
        }
    }
    let status = if incomplete {
        "incomplete"
    } else {
        "completed"
    };
    let end = envelope(status, items(pieces, ids, incomplete), Some(usage.clone()));
    w.push(
        &format!("response.{status}"),
        &Lifecycle { response: &end },
        false,
    )?;
    Ok(w.frames)
}

/// Writes named events, numbering them.
struct Writer {
    frames: SseFrames,
    sequence: u64,
}

impl Writer {
    /// Appends `event: <kind>` with data `{"type": kind, <fields>, "sequence_number": n}`;
    /// `content` marks a delta (where `cut-after` / `error-after` count).
    fn push<T: Fields>(&mut self, kind: &str, fields: &T, content: bool) -> serde_json::Result<()> {
        let event = Numbered {
            kind,
            fields: Flat(fields),
            sequence_number: self.sequence,
        };
        self.sequence += 1;
        if content {
            self.frames.push_content_event(kind, &event)
        } else {
            self.frames.push_event(kind, &event)
        }
    }

    fn item(&mut self, kind: &str, output_index: u32, item: Item<'_>) -> serde_json::Result<()> {
        self.push(
            kind,
            &(("output_index", output_index), ("item", &item)),
            false,
        )
    }
}

/// Event fields written between `type` and `sequence_number`, in order.
trait Fields {
    fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

impl<V: Serialize> Fields for (&str, V) {
    fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(self.0, &self.1)
    }
}

impl<A: Fields, B: Fields> Fields for (A, B) {
    fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        self.0.write(map)?;
        self.1.write(map)
    }
}

impl<A: Fields, B: Fields, C: Fields> Fields for (A, B, C) {
    fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        self.0.write(map)?;
        self.1.write(map)?;
        self.2.write(map)
    }
}

impl<T: Fields> Fields for &T {
    fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        (*self).write(map)
    }
}

/// Fields of an event that names its item.
macro_rules! located {
    ($name:ident { $($field:ident: $ty:ty),* }) => {
        struct $name<'a> {
            item_id: &'a str,
            $($field: $ty),*
        }

        impl Fields for $name<'_> {
            fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                map.serialize_entry("item_id", self.item_id)?;
                $(map.serialize_entry(stringify!($field), &self.$field)?;)*
                Ok(())
            }
        }
    };
}

located!(Text {
    output_index: u32,
    content_index: u32
});
located!(Summary {
    output_index: u32,
    summary_index: u32
});
located!(Call { output_index: u32 });

struct Lifecycle<'a, 'r> {
    response: &'r ResponseObject<'a>,
}

impl Fields for Lifecycle<'_, '_> {
    fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("response", self.response)
    }
}

struct Flat<'f, T>(&'f T);

#[derive(Serialize)]
#[serde(bound(serialize = "T: Fields"))]
struct Numbered<'k, 'f, T: Fields> {
    #[serde(rename = "type")]
    kind: &'k str,
    #[serde(flatten)]
    fields: Flat<'f, T>,
    sequence_number: u64,
}

impl<T: Fields> Serialize for Flat<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        self.0.write(&mut map)?;
        map.end()
    }
}
