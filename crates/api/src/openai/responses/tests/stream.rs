//! Chat stream → Responses stream events.

use serde_json::Value;

use super::{assert_text, golden};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::ChatChunk;
use crate::openai::responses::{ResponseEcho, StreamEvent, StreamFromChat};
use crate::sse::{EventSplitter, data_range};

/// The `data` of each event of an SSE text.
fn data_of(text: &str) -> Vec<Vec<u8>> {
    let mut splitter = EventSplitter::new();
    let mut events = Vec::new();
    splitter.push(bytes::Bytes::copy_from_slice(text.as_bytes()), |event| {
        let range = data_range(&event).expect("every fixture event has data");
        events.push(event[range].to_vec());
    });
    assert!(splitter.finish().is_none(), "fixture ends mid-event");
    events
}

/// Feeds a chat stream as the gateway's relay does (the usage-only chunk
/// kept aside for `finish`, which EOF calls) and renders the events.
fn translate(input: &str) -> (String, Vec<StreamEvent>) {
    let mut stream = StreamFromChat::new(ResponseEcho::default());
    let mut usage = None;
    let mut events = Vec::new();
    for data in data_of(input) {
        if data == b"[DONE]" {
            continue;
        }
        let chunk: ChatChunk = serde_json::from_slice(&data).unwrap();
        if chunk.choices.is_empty() && chunk.usage.is_some() {
            usage = Some(chunk);
        } else {
            events.extend(stream.push(&chunk));
        }
    }
    events.extend(stream.finish(usage.as_ref()));
    let sse: Vec<u8> = events.iter().flat_map(StreamEvent::to_sse).collect();
    (String::from_utf8(sse).unwrap(), events)
}

/// What every Responses stream must hold: sequence numbers count from 0,
/// it opens with created/in_progress, ends with one terminal event whose
/// output is every item done, each added item is done once.
fn check_invariants(events: &[StreamEvent]) {
    let values: Vec<Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    for (i, value) in values.iter().enumerate() {
        assert_eq!(value["sequence_number"], i as u64, "{value}");
        assert_eq!(value["type"], events[i].name());
    }
    assert_eq!(values[0]["type"], "response.created");
    assert_eq!(values[1]["type"], "response.in_progress");
    let last = values.last().unwrap();
    assert!(matches!(
        last["type"].as_str(),
        Some("response.completed" | "response.incomplete")
    ));
    let added: Vec<&Value> = values
        .iter()
        .filter(|v| v["type"] == "response.output_item.added")
        .collect();
    let mut done: Vec<&Value> = values
        .iter()
        .filter(|v| v["type"] == "response.output_item.done")
        .collect();
    assert_eq!(added.len(), done.len());
    done.sort_by_key(|v| v["output_index"].as_u64());
    for (index, item) in done.iter().enumerate() {
        assert_eq!(item["output_index"], index as u64);
        assert_eq!(last["response"]["output"][index], item["item"]);
    }
    assert_eq!(
        last["response"]["output"].as_array().unwrap().len(),
        done.len()
    );
    assert_eq!(last["response"]["id"], values[0]["response"]["id"]);
}

macro_rules! stream_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            let (input, _) = golden!("stream/", stringify!($name), ".openai.sse");
            let (actual, events) = translate(input);
            check_invariants(&events);
            assert_text(
                &actual,
                golden!("stream/", stringify!($name), ".responses.sse"),
            );
        }
    };
}

mod cases {
    use super::*;

    stream_case!(text);
    stream_case!(tool_calls);
    stream_case!(reasoning);
    stream_case!(refusal);
    stream_case!(text_after_tools);
    stream_case!(cut_mid_call);
    stream_case!(empty_length);
}

#[test]
fn finish_without_chunks_is_still_a_whole_response() {
    let echo = ResponseEcho {
        model: "alias".to_owned(),
        ..ResponseEcho::default()
    };
    let mut stream = StreamFromChat::new(echo);
    let events = stream.finish(None);
    check_invariants(&events);
    let names: Vec<&str> = events.iter().map(StreamEvent::name).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    let last = serde_json::to_value(events.last().unwrap()).unwrap();
    assert_eq!(last["response"]["model"], "alias");
    assert_eq!(last["response"]["id"], "resp_0");
    assert!(stream.finish(None).is_empty());
}

#[test]
fn error_event_has_the_sdk_fields_and_the_nested_error() {
    let mut stream = StreamFromChat::new(ResponseEcho::default());
    let chunk: ChatChunk = serde_json::from_str(
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}"#,
    )
    .unwrap();
    let before = stream.push(&chunk).len() as u64;
    let error = ApiError::new(ErrorKind::RateLimited, "slow down");
    let event = stream.error(&error);
    assert_eq!(
        String::from_utf8(event.to_sse()).unwrap(),
        format!(
            "event: error\ndata: {{\"type\":\"error\",\"code\":\"rate_limit_error\",\"message\":\"slow down\",\"param\":null,\"sequence_number\":{before},\"error\":{{\"type\":\"rate_limit_error\",\"code\":\"rate_limit_error\",\"message\":\"slow down\",\"param\":null}}}}\n\n"
        )
    );
    // Nothing follows an error.
    assert!(stream.push(&chunk).is_empty());
    assert!(stream.finish(None).is_empty());
}
