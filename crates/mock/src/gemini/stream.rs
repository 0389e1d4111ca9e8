//! `streamGenerateContent`: one `GenerateContentResponse` per piece, with cumulative
//! `usageMetadata` and `finishReason` on the last. With `?alt=sse` each is a server-sent event
//! ending in `\r\n\r\n` (Google's line endings); without it the responses are elements of one
//! JSON array streamed as it is written.

use bytes::Bytes;

use super::generate::{Envelope, PartOut, finish_reason};
use crate::answer::{Pieces, PiecesBody};
use crate::sse::SseFrames;

/// `text/event-stream` without a charset parameter, as Google sends it.
const SSE: &str = "text/event-stream";

pub(super) fn render(
    env: &Envelope<'_>,
    pieces: &Pieces<'_>,
    sse: bool,
) -> serde_json::Result<SseFrames> {
    // Each event carries exactly one part: a thought piece, a text piece, or a whole call
    // (Gemini does not stream call arguments in fragments). Alongside: whether it is a thought,
    // and the tokens it counts for (a call: its fragments, as the non-stream answer counts).
    let mut parts: Vec<(PartOut<'_>, bool, u64)> = pieces
        .thinking
        .iter()
        .map(|t| (PartOut::thought(t), true, 1))
        .collect();
    match &pieces.body {
        PiecesBody::Text { pieces, .. } => {
            parts.extend(pieces.iter().map(|t| (PartOut::text(t), false, 1)));
        }
        PiecesBody::Tools(calls) => parts.extend(calls.iter().map(|(call, fragments)| {
            let part = PartOut::call(call.name, &call.input);
            (part, false, fragments.len() as u64)
        })),
    }
    if parts.is_empty() {
        parts.push((PartOut::text(""), false, 0));
    }
    let content_type = if sse { SSE } else { "application/json" };
    let mut frames = SseFrames::typed(parts.len() + 1, content_type);
    let last = parts.len() - 1;
    let (mut output, mut thoughts) = (0, 0);
    frames.begin_content();
    for (i, (part, thought, tokens)) in parts.into_iter().enumerate() {
        output += tokens;
        if thought {
            thoughts += tokens;
        }
        let finish = (i == last).then(|| finish_reason(pieces.stop));
        if finish.is_some() {
            // The finishing event ends the content: a cut past the content drops it.
            frames.end_content();
        }
        let response = env.response(vec![part], finish, env.usage(output, thoughts));
        if sse {
            frames.push_json_crlf(&response)?;
        } else {
            let mut frame = Vec::with_capacity(256);
            frame.extend_from_slice(if i == 0 { b"[" } else { b",\r\n" });
            serde_json::to_writer(&mut frame, &response)?;
            frames.push_raw(Bytes::from(frame), false);
        }
    }
    if !sse {
        frames.push_raw(Bytes::from_static(b"]"), false);
    }
    Ok(frames)
}
