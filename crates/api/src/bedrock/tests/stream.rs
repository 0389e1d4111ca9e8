//! ConverseStream → OpenAI chunks, through real event-stream frames: each
//! case is encoded as Bedrock sends it, cut into uneven network frames,
//! decoded by [`EventStreamDecoder`] and fed to the wire's stream decoder.

use serde_json::{Value, json};

use super::assert_json;
use crate::codec::{StreamDecoder, Wire, wire};
use crate::error::{ApiError, ErrorKind};
use crate::eventstream::{EventStreamDecoder, encode, encode_event};
use crate::usage::TokenUsage;

const MODEL: &str = "anthropic.claude-3-5-sonnet-20241022-v2:0";
const CREATED: u64 = 1_750_000_000;

/// The wire bytes of a list of `(event type, payload)`.
fn frames(events: &[(&str, Value)]) -> Vec<u8> {
    events
        .iter()
        .flat_map(|(name, payload)| encode_event(name, &serde_json::to_vec(payload).unwrap()))
        .collect()
}

/// The error a stream that must fail ends with.
fn failure(bytes: &[u8], piece: usize) -> ApiError {
    match run(bytes, piece) {
        Ok(_) => panic!("the stream should have failed"),
        Err(error) => error,
    }
}

/// Decodes `bytes` cut into `piece`-sized frames; returns every chunk (as
/// JSON) and the decoder, or the first error.
fn run(bytes: &[u8], piece: usize) -> Result<(Vec<Value>, Box<dyn StreamDecoder>), ApiError> {
    let mut framing = EventStreamDecoder::new();
    let mut decoder = wire(Wire::Bedrock).stream_decoder(MODEL, CREATED);
    let mut chunks = Vec::new();
    for frame in bytes.chunks(piece) {
        for message in framing.push(frame)? {
            for chunk in decoder.push(message.upstream_event()?)? {
                chunks.push(serde_json::to_value(chunk).unwrap());
            }
        }
    }
    assert_eq!(framing.pending_len(), 0);
    Ok((chunks, decoder))
}

/// The deltas and finish reasons of the chunks, the envelope checked once.
fn deltas(chunks: &[Value]) -> Vec<Value> {
    let id = chunks[0]["id"].clone();
    chunks
        .iter()
        .map(|chunk| {
            assert_eq!(chunk["id"], id);
            assert_eq!(chunk["object"], "chat.completion.chunk");
            assert_eq!(chunk["created"], CREATED);
            assert_eq!(chunk["model"], MODEL);
            let choice = &chunk["choices"][0];
            json!([choice["delta"], choice["finish_reason"]])
        })
        .collect()
}

#[test]
fn text_stream_with_usage() {
    let bytes = frames(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "abcd"}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": " world"}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        ("messageStop", json!({"stopReason": "end_turn"})),
        (
            "metadata",
            json!({"usage": {"inputTokens": 12, "outputTokens": 2, "totalTokens": 14,
            "cacheReadInputTokens": 4}, "metrics": {"latencyMs": 99}}),
        ),
    ]);
    for piece in [1, 7, 64, bytes.len()] {
        let (chunks, decoder) = run(&bytes, piece).unwrap();
        assert_json(
            &deltas(&chunks),
            &json!([
                [{"role": "assistant", "content": ""}, null],
                [{"content": "Hello"}, null],
                [{"content": " world"}, null],
                [{}, "stop"]
            ]),
        );
        let usage = decoder.usage_chunk().unwrap();
        assert_eq!(usage.id, chunks[0]["id"]);
        assert_json(
            &json!({"choices": usage.choices, "usage": usage.usage}),
            &json!({"choices": [], "usage": {"prompt_tokens": 16, "completion_tokens": 2,
                "total_tokens": 18, "prompt_tokens_details": {"cached_tokens": 4}}}),
        );
        assert_eq!(
            decoder.usage(),
            Some(TokenUsage {
                input_tokens: 16,
                output_tokens: 2,
                cached_input_tokens: 4,
                ..TokenUsage::default()
            })
        );
    }
}

#[test]
fn tool_calls_stream_their_input_in_fragments() {
    let bytes = frames(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Checking."}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "weather"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"ci"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "ty\":\"Paris\"}"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 1})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "tooluse_2", "name": "time"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": ""}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 2})),
        ("messageStop", json!({"stopReason": "tool_use"})),
        (
            "metadata",
            json!({"usage": {"inputTokens": 5, "outputTokens": 9, "totalTokens": 14}}),
        ),
    ]);
    let (chunks, _) = run(&bytes, 13).unwrap();
    assert_json(
        &deltas(&chunks),
        &json!([
            [{"role": "assistant", "content": ""}, null],
            [{"content": "Checking."}, null],
            [{"tool_calls": [{"index": 0, "id": "tooluse_1", "type": "function",
                "function": {"name": "weather", "arguments": ""}}]}, null],
            [{"tool_calls": [{"index": 0, "function": {"arguments": "{\"ci"}}]}, null],
            [{"tool_calls": [{"index": 0, "function": {"arguments": "ty\":\"Paris\"}"}}]}, null],
            [{"tool_calls": [{"index": 1, "id": "tooluse_2", "type": "function",
                "function": {"name": "time", "arguments": ""}}]}, null],
            [{}, "tool_calls"]
        ]),
    );
}

#[test]
fn reasoning_then_signature_then_text() {
    let bytes = frames(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Let me "}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "think."}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig-9"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"reasoningContent": {"redactedContent": "UkVE"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 1})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"text": "42"}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 2})),
        ("messageStop", json!({"stopReason": "max_tokens"})),
    ]);
    let (chunks, decoder) = run(&bytes, 5).unwrap();
    assert_json(
        &deltas(&chunks),
        &json!([
            [{"role": "assistant", "content": ""}, null],
            [{"reasoning_content": "Let me "}, null],
            [{"reasoning_content": "think."}, null],
            [{"thinking_blocks": [{"type": "thinking", "thinking": "Let me think.", "signature": "sig-9"}]}, null],
            [{"thinking_blocks": [{"type": "redacted_thinking", "data": "UkVE"}]}, null],
            [{"content": "42"}, null],
            [{}, "length"]
        ]),
    );
    assert_eq!(decoder.usage_chunk(), None, "no metadata, no usage");
}

#[test]
fn the_json_tool_streams_as_content() {
    let bytes = frames(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t", "name": "json_tool_call"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{\"a\":"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "1}"}}}),
        ),
        ("messageStop", json!({"stopReason": "tool_use"})),
    ]);
    let (chunks, _) = run(&bytes, 1000).unwrap();
    assert_json(
        &deltas(&chunks),
        &json!([
            [{"role": "assistant", "content": ""}, null],
            [{"content": "{\"a\":"}, null],
            [{"content": "1}"}, null],
            [{}, "stop"]
        ]),
    );
}

#[test]
fn an_exception_frame_ends_the_stream_with_its_error() {
    let mut bytes = frames(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
        ),
    ]);
    bytes.extend(encode(
        &[
            (":exception-type", "throttlingException"),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        br#"{"message":"Too many tokens, please wait before trying again."}"#,
    ));
    let error = failure(&bytes, 9);
    assert_eq!((error.kind, error.status), (ErrorKind::RateLimited, 429));
    assert_eq!(
        error.message,
        "Too many tokens, please wait before trying again."
    );
}

#[test]
fn corrupt_frames_and_bad_payloads_are_502s() {
    let mut bytes = frames(&[("messageStart", json!({"role": "assistant"}))]);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    let error = failure(&bytes, 4);
    assert_eq!(error.kind, ErrorKind::BadGateway);
    let bytes = encode_event("contentBlockDelta", b"{not json");
    let error = failure(&bytes, 100);
    assert_eq!(error.kind, ErrorKind::BadGateway);
    assert!(
        error.message.contains("contentBlockDelta"),
        "{}",
        error.message
    );
}
