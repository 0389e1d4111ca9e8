//! Cohere v2 stream events → OpenAI chunks.

use serde_json::json;

use super::{assert_json, golden};
use crate::codec::StreamDecoder;
use crate::cohere::StreamToOpenAi;
use crate::error::ErrorKind;
use crate::usage::TokenUsage;

/// Feeds every event of a golden case, checking each push's chunks and the
/// usage chunk at the end.
fn check_golden(name: &str) -> StreamToOpenAi {
    let case = golden(name);
    let mut stream = StreamToOpenAi::new(
        case["model"].as_str().unwrap(),
        case["created"].as_u64().unwrap(),
    );
    let events = case["events"].as_array().unwrap();
    let outputs = case["outputs"].as_array().unwrap();
    assert_eq!(events.len(), outputs.len());
    for (event, expected) in events.iter().zip(outputs) {
        let data = serde_json::to_vec(event).unwrap();
        assert_json(&stream.push_data(&data).unwrap(), expected);
    }
    assert_json(&stream.usage_chunk(), &case["usage_chunk"]);
    stream
}

#[test]
fn thinking_text_and_citations() {
    let stream = check_golden("stream_text.json");
    assert_eq!(
        stream.usage(),
        Some(TokenUsage {
            input_tokens: 71,
            output_tokens: 9,
            ..TokenUsage::default()
        })
    );
}

#[test]
fn tool_plan_and_calls_in_fragments() {
    check_golden("stream_tools.json");
}

#[test]
fn message_end_with_error_is_an_error_with_its_message() {
    let mut stream = StreamToOpenAi::new("m", 1);
    stream
        .push_data(br#"{"id":"x","type":"message-start","delta":{"message":{"role":"assistant"}}}"#)
        .unwrap();
    let end = json!({"type": "message-end", "delta": {"error": "internal server error, this has been reported to our developers", "finish_reason": "ERROR"}});
    let error = stream
        .push_data(&serde_json::to_vec(&end).unwrap())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadGateway);
    assert_eq!(
        error.message,
        "internal server error, this has been reported to our developers"
    );
    assert_eq!(stream.usage(), None);
}

#[test]
fn malformed_event_is_a_502() {
    let mut stream = StreamToOpenAi::new("m", 1);
    let error = stream.push_data(b"{not json").unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadGateway);
}

#[test]
fn a_call_made_under_complete_still_reads_as_tool_calls() {
    let mut stream = StreamToOpenAi::new("m", 1);
    let start = json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}}}});
    stream
        .push_data(&serde_json::to_vec(&start).unwrap())
        .unwrap();
    let end = stream
        .push_data(br#"{"type":"message-end","delta":{"finish_reason":"COMPLETE"}}"#)
        .unwrap();
    assert_eq!(
        end[0].choices[0].finish_reason.as_deref(),
        Some("tool_calls")
    );
}
