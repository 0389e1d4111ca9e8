//! Direction A streams: Gemini `alt=sse` events → OpenAI chunks.

use serde_json::{Value, json};

use super::{assert_json, golden};
use crate::error::ErrorKind;
use crate::gemini::StreamToOpenAi;
use crate::usage::TokenUsage;

/// Feeds every event of a golden case and checks each push's output, the
/// output of `finish()` and the usage chunk.
fn check_golden(name: &str) -> StreamToOpenAi {
    let case = golden(name);
    let model = case["model"].as_str().unwrap();
    let created = case["created"].as_u64().unwrap();
    let mut stream = StreamToOpenAi::new(model, created);
    let events = case["events"].as_array().unwrap();
    let outputs = case["outputs"].as_array().unwrap();
    assert_eq!(events.len(), outputs.len());
    for (event, expected) in events.iter().zip(outputs) {
        let data = serde_json::to_vec(event).unwrap();
        assert_json(&stream.push(&data).unwrap(), expected);
    }
    assert_json(&stream.finish(), &case["finish"]);
    assert_json(&stream.usage_chunk(), &case["usage_chunk"]);
    stream
}

#[test]
fn text_with_thoughts_then_stop() {
    let stream = check_golden("stream_a_text.json");
    assert_eq!(
        stream.usage(),
        Some(TokenUsage {
            input_tokens: 9,
            output_tokens: 23,
            cached_input_tokens: 0,
            cache_write_tokens: 0,
            reasoning_tokens: 20,
        })
    );
}

#[test]
fn parallel_function_calls_each_in_one_delta() {
    check_golden("stream_a_tools.json");
}

fn push(stream: &mut StreamToOpenAi, event: Value) -> Value {
    let data = serde_json::to_vec(&event).unwrap();
    serde_json::to_value(stream.push(&data).unwrap()).unwrap()
}

/// The (index, delta, finish_reason) of each chunk, for compact assertions.
fn deltas(chunks: &Value) -> Vec<(u64, Value, Value)> {
    chunks
        .as_array()
        .unwrap()
        .iter()
        .map(|chunk| {
            let choice = &chunk["choices"][0];
            (
                choice["index"].as_u64().unwrap(),
                choice["delta"].clone(),
                choice["finish_reason"].clone(),
            )
        })
        .collect()
}

#[test]
fn blocked_prompt_ends_with_content_filter() {
    let mut stream = StreamToOpenAi::new("m", 1);
    let out = push(
        &mut stream,
        json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
               "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4},
               "responseId": "r"}),
    );
    assert_eq!(
        deltas(&out),
        [
            (0, json!({"role": "assistant", "content": ""}), Value::Null),
            (0, json!({}), json!("content_filter")),
        ]
    );
    assert_eq!(out[0]["id"], "r");
    assert!(stream.finish().is_empty());
    assert_eq!(stream.usage().map(|u| u.input_tokens), Some(4));
}

#[test]
fn a_stream_closed_without_finish_reason_is_finished_by_finish() {
    let mut stream = StreamToOpenAi::new("m", 1);
    push(
        &mut stream,
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}}]}),
    );
    let out = serde_json::to_value(stream.finish()).unwrap();
    assert_eq!(deltas(&out), [(0, json!({}), json!("stop"))]);
    assert_eq!(out[0]["id"], "chatcmpl-1");
    assert!(stream.finish().is_empty(), "finish is idempotent");
    assert_eq!(
        stream.usage_chunk(),
        None,
        "no usageMetadata, no usage chunk"
    );
}

#[test]
fn the_id_is_fixed_by_the_first_event() {
    let mut stream = StreamToOpenAi::new("m", 7);
    let first = push(
        &mut stream,
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "a"}]}}]}),
    );
    let later = push(
        &mut stream,
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "b"}]}}],
               "responseId": "late"}),
    );
    assert_eq!(first[0]["id"], "chatcmpl-7");
    assert_eq!(later[0]["id"], "chatcmpl-7");
}

#[test]
fn candidates_are_choices_by_index() {
    let mut stream = StreamToOpenAi::new("m", 1);
    let out = push(
        &mut stream,
        json!({"candidates": [
            {"content": {"role": "model", "parts": [{"text": "A"}]}, "index": 0},
            {"content": {"role": "model", "parts": [{"text": "B"}, {"text": ""}]}, "index": 1,
             "finishReason": "MAX_TOKENS"}
        ]}),
    );
    assert_eq!(
        deltas(&out),
        [
            (0, json!({"role": "assistant", "content": ""}), Value::Null),
            (0, json!({"content": "A"}), Value::Null),
            (1, json!({"role": "assistant", "content": ""}), Value::Null),
            (1, json!({"content": "B"}), Value::Null),
            (1, json!({}), json!("length")),
        ]
    );
    let out = serde_json::to_value(stream.finish()).unwrap();
    assert_eq!(deltas(&out), [(0, json!({}), json!("stop"))]);
}

#[test]
fn error_events_become_errors() {
    let mut stream = StreamToOpenAi::new("m", 1);
    let error = stream
        .push(br#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#)
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unavailable);
    assert_eq!(error.status, 503);
    assert_eq!(error.message, "The model is overloaded.");

    let error = stream.push(b"{not json").unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadGateway);
    let error = stream.push(br#"{"candidates": 3}"#).unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadGateway);
}
