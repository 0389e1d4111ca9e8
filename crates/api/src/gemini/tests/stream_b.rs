//! Direction B streams: OpenAI chunks → Gemini stream chunks.

use serde_json::{Value, json};

use super::{assert_json, golden};
use crate::gemini::StreamFromOpenAi;
use crate::openai::chat::ChatChunk;

#[test]
fn text_then_fragmented_parallel_tool_calls_then_usage() {
    let case = golden("stream_b_tools.json");
    let chunks = case["chunks"].as_array().unwrap();
    let outputs = case["outputs"].as_array().unwrap();
    assert_eq!(chunks.len(), outputs.len());
    let mut stream = StreamFromOpenAi::new();
    for (chunk, expected) in chunks.iter().zip(outputs) {
        let chunk: ChatChunk = serde_json::from_value(chunk.clone()).unwrap();
        assert_json(&stream.push(&chunk), expected);
    }
    assert_json(&stream.finish(), &case["finish"]);
}

fn chunk(choices: Value, usage: Value) -> ChatChunk {
    serde_json::from_value(json!({
        "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": choices, "usage": usage
    }))
    .unwrap()
}

fn delta(index: u32, delta: Value, finish_reason: Value) -> Value {
    json!({"index": index, "delta": delta, "finish_reason": finish_reason})
}

fn push(stream: &mut StreamFromOpenAi, choices: Value, usage: Value) -> Value {
    serde_json::to_value(stream.push(&chunk(choices, usage))).unwrap()
}

#[test]
fn reasoning_and_text_without_usage_released_by_finish() {
    let mut stream = StreamFromOpenAi::new();
    let out = push(
        &mut stream,
        json!([delta(0, json!({"reasoning_content": "Hmm."}), Value::Null)]),
        Value::Null,
    );
    assert_eq!(
        out,
        json!([{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hmm.", "thought": true}]}, "index": 0}],
                "modelVersion": "m", "responseId": "c"}])
    );
    let out = push(
        &mut stream,
        json!([delta(0, json!({"content": "Done."}), json!("stop"))]),
        Value::Null,
    );
    assert_eq!(out, json!([]), "the final chunk waits for usage");
    assert_eq!(
        serde_json::to_value(stream.finish()).unwrap(),
        json!([{"candidates": [{"content": {"role": "model", "parts": [{"text": "Done."}]},
                                "finishReason": "STOP", "index": 0}],
                "modelVersion": "m", "responseId": "c"}])
    );
    assert_eq!(serde_json::to_value(stream.finish()).unwrap(), json!([]));
}

#[test]
fn usage_on_the_finish_chunk_is_sent_at_once() {
    let mut stream = StreamFromOpenAi::new();
    let out = push(
        &mut stream,
        json!([delta(0, json!({}), json!("length"))]),
        json!({"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8,
               "completion_tokens_details": {"reasoning_tokens": 2}}),
    );
    assert_eq!(
        out,
        json!([{"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]},
                                "finishReason": "MAX_TOKENS", "index": 0}],
                "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 3,
                                  "thoughtsTokenCount": 2, "totalTokenCount": 8},
                "modelVersion": "m", "responseId": "c"}])
    );
    assert_eq!(serde_json::to_value(stream.finish()).unwrap(), json!([]));
}

#[test]
fn an_open_tool_call_is_flushed_by_finish() {
    let mut stream = StreamFromOpenAi::new();
    push(
        &mut stream,
        json!([delta(
            0,
            json!({"tool_calls": [{"index": 0, "id": "t", "function": {"name": "f", "arguments": "{\"x\""}}]}),
            Value::Null
        )]),
        Value::Null,
    );
    push(
        &mut stream,
        json!([delta(
            0,
            json!({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": ":1}"}}]}),
            Value::Null
        )]),
        Value::Null,
    );
    assert_eq!(
        serde_json::to_value(stream.finish()).unwrap(),
        json!([{"candidates": [{"content": {"role": "model", "parts": [
                    {"functionCall": {"id": "t", "name": "f", "args": {"x": 1}}}]}, "index": 0}],
                "modelVersion": "m", "responseId": "c"}])
    );
}

#[test]
fn several_choices_hold_their_finals_until_usage() {
    let mut stream = StreamFromOpenAi::new();
    let out = push(
        &mut stream,
        json!([
            delta(0, json!({"content": "A"}), Value::Null),
            delta(1, json!({"content": "B"}), Value::Null)
        ]),
        Value::Null,
    );
    assert_eq!(
        out[0]["candidates"],
        json!([{"content": {"role": "model", "parts": [{"text": "A"}]}, "index": 0},
               {"content": {"role": "model", "parts": [{"text": "B"}]}, "index": 1}])
    );
    assert_eq!(
        push(
            &mut stream,
            json!([delta(1, json!({}), json!("stop"))]),
            Value::Null
        ),
        json!([])
    );
    assert_eq!(
        push(
            &mut stream,
            json!([delta(0, json!({}), json!("stop"))]),
            Value::Null
        ),
        json!([])
    );
    let out = push(
        &mut stream,
        json!([]),
        json!({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),
    );
    assert_eq!(
        out,
        json!([{"candidates": [
                    {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 1},
                    {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2, "totalTokenCount": 3},
                "modelVersion": "m", "responseId": "c"}])
    );
}
