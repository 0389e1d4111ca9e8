//! The Responses front door through the codec seam, and the passthrough
//! usage readers.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::codec::{
    Front, ResponsesFront, UpstreamEvent, Wire, front, responses_usage_observer, wire,
};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{ChatChunk, ChatResponse};
use crate::openai::responses::{event_usage, inspect_responses_request, responses_usage};
use crate::sse::{EventSplitter, data_range, event_name};
use crate::usage::TokenUsage;

const BODY: &str = r#"{"model":"fast","input":"hi","instructions":"Be brief.","temperature":0.5,"tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":"required","stream":true,"store":true}"#;

fn chat_response() -> ChatResponse {
    serde_json::from_value(json!({
        "id": "chatcmpl-9", "object": "chat.completion", "created": 7, "model": "up",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    }))
    .unwrap()
}

#[test]
fn decode_translates_and_reports_dropped_params() {
    let codec = front(Front::OpenAiResponses);
    let decoded = codec
        .decode(
            br#"{"model":"m","input":"hi","truncation":"auto"}"#,
            None,
            false,
        )
        .unwrap();
    assert_eq!(decoded.value.messages.len(), 1);
    assert_eq!(decoded.dropped, ["truncation"]);
    let error = codec.decode(b"{", None, false).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
}

#[test]
fn shared_codec_echoes_defaults_and_per_request_codec_echoes_the_request() {
    let shared: Value = serde_json::from_slice(
        &front(Front::OpenAiResponses)
            .encode_response(&chat_response())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(shared["id"], "resp_9");
    assert_eq!(shared["object"], "response");
    assert_eq!(shared["created_at"], 7);
    assert_eq!(shared["model"], "up");
    assert_eq!(shared["tool_choice"], "auto");
    assert_eq!(shared["instructions"], Value::Null);
    assert_eq!(shared["output"][0]["content"][0]["text"], "Hi.");
    assert_eq!(shared["usage"]["total_tokens"], 5);

    let codec = ResponsesFront::for_request(BODY.as_bytes()).unwrap();
    use crate::codec::FrontCodec;
    let echoed: Value =
        serde_json::from_slice(&codec.encode_response(&chat_response()).unwrap()).unwrap();
    assert_eq!(echoed["instructions"], "Be brief.");
    assert_eq!(echoed["temperature"], 0.5);
    assert_eq!(echoed["tool_choice"], "required");
    assert_eq!(echoed["tools"][0]["name"], "f");
    // Nothing is stored, whatever the client asked for.
    assert_eq!(echoed["store"], false);
    assert!(ResponsesFront::for_request(b"[]").is_err());
}

#[test]
fn stream_encoder_writes_named_events_and_usage_from_finish() {
    let mut encoder = front(Front::OpenAiResponses).stream_encoder(false);
    let chunk: ChatChunk = serde_json::from_value(json!({
        "id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]
    }))
    .unwrap();
    let usage: ChatChunk = serde_json::from_value(json!({
        "id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}
    }))
    .unwrap();
    let mut out = Vec::new();
    encoder.push(&chunk, &mut out);
    encoder.finish(Some(&usage), &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("event: response.created\ndata: {\"type\":\"response.created\""));
    let last = text.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("event: response.completed\ndata: "));
    let data = last.split_once("data: ").unwrap().1;
    assert_eq!(
        event_usage(data.as_bytes()),
        Some(TokenUsage {
            input_tokens: 4,
            output_tokens: 1,
            ..TokenUsage::default()
        })
    );

    let mut out = Vec::new();
    encoder.error(&ApiError::new(ErrorKind::BadGateway, "gone"), &mut out);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("event: error\ndata: {\"type\":\"error\"")
    );
}

const USAGE: &str = r#"{"input_tokens":36,"input_tokens_details":{"cached_tokens":4},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":9},"total_tokens":123}"#;

fn expected_usage() -> TokenUsage {
    TokenUsage {
        input_tokens: 36,
        output_tokens: 87,
        cached_input_tokens: 4,
        cache_write_tokens: 0,
        reasoning_tokens: 9,
    }
}

#[test]
fn usage_is_read_from_a_whole_body_and_tolerates_nulls() {
    let body = format!(r#"{{"id":"resp_1","object":"response","output":[],"usage":{USAGE}}}"#);
    assert_eq!(responses_usage(body.as_bytes()), Some(expected_usage()));
    let nulls = br#"{"usage":{"input_tokens":5,"input_tokens_details":null,"output_tokens":null}}"#;
    let usage = responses_usage(nulls).unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (5, 0));
    assert_eq!(responses_usage(br#"{"usage":null}"#), None);
    assert_eq!(responses_usage(b"nope"), None);
}

#[test]
fn observer_reads_usage_from_the_final_event_and_relays_bytes_untouched() {
    let mut observer = responses_usage_observer();
    let events = [
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"usage\":null},\"sequence_number\":0}\n\n".to_owned(),
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"response.completed\",\"sequence_number\":1}\n\n".to_owned(),
        format!("event: response.completed\ndata: {{\"type\":\"response.completed\",\"response\":{{\"id\":\"resp_1\",\"usage\":{USAGE}}},\"sequence_number\":2}}\n\n"),
    ];
    for event in &events {
        let bytes = Bytes::from(event.clone());
        let relayed = observer.observe(bytes.clone()).unwrap();
        assert_eq!(relayed, bytes);
    }
    assert_eq!(observer.usage(), Some(expected_usage()));

    // Without `event:` lines, the data's type is enough.
    let mut observer = responses_usage_observer();
    let unnamed = format!(
        "data: {{\"type\":\"response.incomplete\",\"response\":{{\"usage\":{USAGE}}},\"sequence_number\":9}}\n\n"
    );
    observer.observe(Bytes::from(unnamed));
    assert_eq!(observer.usage(), Some(expected_usage()));
}

#[test]
fn inspect_reads_routing_fields_of_a_responses_body() {
    let inspected = inspect_responses_request(BODY.as_bytes()).unwrap();
    assert_eq!(inspected.model, "fast");
    assert!(inspected.stream);
    let error = inspect_responses_request(br#"{"model":"m","input":3}"#).unwrap_err();
    assert_eq!(error.param.as_deref(), Some("input"));
}

#[test]
fn an_anthropic_stream_reaches_a_responses_client_with_whole_calls() {
    let upstream = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/anthropic/openai_front/stream/tool_calls.anthropic.sse"
    ));
    let mut decoder = wire(Wire::Anthropic).stream_decoder("claude", 1);
    let mut encoder = front(Front::OpenAiResponses).stream_encoder(false);
    let mut out = Vec::new();
    let mut splitter = EventSplitter::new();
    let mut events = Vec::new();
    splitter.push(Bytes::copy_from_slice(upstream.as_bytes()), |e| {
        events.push(e)
    });
    for event in events {
        let name = event_name(&event).map(|n| std::str::from_utf8(n).unwrap().to_owned());
        let range = data_range(&event).unwrap();
        let chunks = decoder
            .push(UpstreamEvent {
                name: name.as_deref(),
                data: &event[range],
            })
            .unwrap();
        for chunk in chunks {
            encoder.push(&chunk, &mut out);
        }
    }
    encoder.finish(decoder.usage_chunk().as_ref(), &mut out);
    let text = String::from_utf8(out).unwrap();
    let last = text.trim_end().rsplit("\n\n").next().unwrap();
    let completed: Value = serde_json::from_str(last.split_once("data: ").unwrap().1).unwrap();
    assert_eq!(completed["type"], "response.completed");
    let output = &completed["response"]["output"];
    assert_eq!(output[0]["content"][0]["text"], "Checking both.");
    for (index, city) in [(1, "Paris"), (2, "Tokyo")] {
        assert_eq!(output[index]["type"], "function_call");
        let arguments: Value =
            serde_json::from_str(output[index]["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(arguments["city"], city);
    }
    assert_eq!(output[1]["call_id"], "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
    assert_eq!(completed["response"]["usage"]["output_tokens"], 89);
    assert_eq!(completed["response"]["usage"]["input_tokens"], 472);
}
