//! An OpenAI client in front of an Anthropic upstream.

use super::{assert_json, golden, parse, sse_events};
use crate::anthropic::{
    MessagesResponse, StreamToOpenAi, error_from_anthropic, request_from_openai, response_to_openai,
};
use crate::error::ErrorKind;
use crate::openai::chat::{ChatChunk, ChatRequest};
use crate::usage::TokenUsage;

const CREATED: u64 = 1_760_000_000;
const DEFAULT_MAX_TOKENS: u64 = 1024;

macro_rules! request_case {
    ($name:ident, $dropped:expr) => {
        #[test]
        fn $name() {
            let input: ChatRequest = parse(golden!(
                "openai_front/request/",
                stringify!($name),
                ".openai.json"
            ));
            let translated = request_from_openai(&input, DEFAULT_MAX_TOKENS).unwrap();
            assert_json(
                &translated.request,
                golden!(
                    "openai_front/request/",
                    stringify!($name),
                    ".anthropic.json"
                ),
            );
            let dropped: &[&str] = &$dropped;
            assert_eq!(translated.dropped, dropped);
        }
    };
}

mod request {
    use super::*;

    request_case!(system_multiturn, ["logprobs", "seed"]);
    request_case!(tools_parallel, []);
    request_case!(images_cache, []);
    request_case!(thinking, []);
    request_case!(json_schema, []);
    request_case!(json_object, []);
}

fn request(json: serde_json::Value) -> ChatRequest {
    serde_json::from_value(json).unwrap()
}

#[test]
fn request_errors_name_the_parameter() {
    let cases = [
        (
            serde_json::json!({"model": "m", "n": 2, "messages": []}),
            "n",
        ),
        (
            serde_json::json!({"model": "m", "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"a\":"}}]}
            ]}),
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            serde_json::json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "ftp://example.com/x.png"}}
            ]}]}),
            "messages[0].content[0]",
        ),
        (
            serde_json::json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": "AAA", "format": "wav"}}
            ]}]}),
            "messages[0].content[0]",
        ),
        (
            serde_json::json!({"model": "m", "reasoning_effort": "extreme", "messages": []}),
            "reasoning_effort",
        ),
        (
            serde_json::json!({"model": "m", "tool_choice": "sometimes", "messages": []}),
            "tool_choice",
        ),
        (
            serde_json::json!({"model": "m", "response_format": {"type": "yaml"}, "messages": []}),
            "response_format.type",
        ),
    ];
    for (json, param) in cases {
        let error = request_from_openai(&request(json), DEFAULT_MAX_TOKENS).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidRequest);
        assert_eq!(error.status, 400);
        assert_eq!(error.param.as_deref(), Some(param), "{}", error.message);
        assert!(error.message.contains(param), "{}", error.message);
    }
}

#[test]
fn litellm_thinking_and_top_k_pass_through_rest() {
    let input = request(serde_json::json!({
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "enabled", "budget_tokens": 1500},
        "reasoning_effort": "high",
        "top_k": 5,
        "max_tokens": 3000
    }));
    let translated = request_from_openai(&input, DEFAULT_MAX_TOKENS).unwrap();
    let json = serde_json::to_value(&translated.request).unwrap();
    assert_eq!(
        json["thinking"],
        serde_json::json!({"type": "enabled", "budget_tokens": 1500})
    );
    assert_eq!(json["top_k"], 5);
    assert_eq!(json["max_tokens"], 3000);
    assert!(translated.dropped.is_empty());
}

#[test]
fn empty_assistant_turns_are_left_out() {
    let input = request(serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "b"}
        ]
    }));
    let translated = request_from_openai(&input, DEFAULT_MAX_TOKENS).unwrap();
    assert_json(
        &translated.request.messages,
        r#"[{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]"#,
    );
}

macro_rules! response_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            let input: MessagesResponse = parse(golden!(
                "openai_front/response/",
                stringify!($name),
                ".anthropic.json"
            ));
            assert_json(
                &response_to_openai(&input, CREATED),
                golden!("openai_front/response/", stringify!($name), ".openai.json"),
            );
        }
    };
}

mod response {
    use super::*;

    response_case!(text_cached);
    response_case!(thinking_tools);
    response_case!(tools_only);
    response_case!(json_tool);
}

#[test]
fn stop_reasons_map_to_finish_reasons() {
    let cases = [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("refusal", "content_filter"),
        ("model_context_window_exceeded", "stop"),
    ];
    for (stop_reason, finish_reason) in cases {
        let response: MessagesResponse = serde_json::from_value(serde_json::json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [{"type": "text", "text": "x"}],
            "stop_reason": stop_reason, "stop_sequence": null,
            "usage": {"input_tokens": 1, "output_tokens": 1}
        }))
        .unwrap();
        let chat = response_to_openai(&response, CREATED);
        assert_eq!(
            chat.choices[0].finish_reason.as_deref(),
            Some(finish_reason),
            "{stop_reason}"
        );
    }
}

/// Feeds a recorded Anthropic stream and compares every chunk, plus the
/// usage chunk, with the expected JSON lines.
fn stream_case(input: &str, expected: &str) -> StreamToOpenAi {
    let mut stream = StreamToOpenAi::new(CREATED);
    let mut chunks: Vec<ChatChunk> = Vec::new();
    for (name, data) in sse_events(input) {
        chunks.extend(stream.push(&name, &data).unwrap());
    }
    chunks.extend(stream.usage_chunk());
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<String> = chunks
        .iter()
        .map(|chunk| serde_json::to_string(chunk).unwrap())
        .collect();
    assert_eq!(
        actual.len(),
        expected.len(),
        "chunks:\n{}",
        actual.join("\n")
    );
    for (chunk, line) in chunks.iter().zip(&expected) {
        assert_json(chunk, line);
    }
    stream
}

macro_rules! stream_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            stream_case(
                golden!("openai_front/stream/", stringify!($name), ".anthropic.sse"),
                golden!("openai_front/stream/", stringify!($name), ".openai.jsonl"),
            );
        }
    };
}

mod stream {
    use super::*;

    stream_case!(text);
    stream_case!(tool_calls);
    stream_case!(thinking);
    stream_case!(json_tool);
}

#[test]
fn stream_usage_includes_cache_reads() {
    let stream = stream_case(
        golden!("openai_front/stream/text.anthropic.sse"),
        golden!("openai_front/stream/text.openai.jsonl"),
    );
    assert_eq!(
        stream.usage(),
        Some(TokenUsage {
            input_tokens: 125,
            output_tokens: 15,
            cached_input_tokens: 100,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
        })
    );
}

#[test]
fn stream_error_event_becomes_an_error() {
    let mut stream = StreamToOpenAi::new(CREATED);
    let overloaded = stream
        .push(
            "error",
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .unwrap_err();
    assert_eq!(overloaded.kind, ErrorKind::Unavailable);
    assert_eq!(overloaded.status, 529);
    assert_eq!(overloaded.message, "Overloaded");
    let rate = stream
        .push(
            "error",
            br#"{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}"#,
        )
        .unwrap_err();
    assert_eq!((rate.kind, rate.status), (ErrorKind::RateLimited, 429));
    let garbage = stream
        .push("content_block_delta", b"{not json")
        .unwrap_err();
    assert_eq!(garbage.kind, ErrorKind::BadGateway);
}

#[test]
fn stream_ignores_pings_and_unknown_events() {
    let mut stream = StreamToOpenAi::new(CREATED);
    assert!(stream.push("ping", b"").unwrap().is_empty());
    assert!(stream.push("", br#"{"type":"ping"}"#).unwrap().is_empty());
    let future =
        br#"{"type":"content_block_delta","index":0,"delta":{"type":"future_delta","x":1}}"#;
    assert!(
        stream
            .push("content_block_delta", future)
            .unwrap()
            .is_empty()
    );
    assert!(
        stream
            .push("future", br#"{"type":"future"}"#)
            .unwrap()
            .is_empty()
    );
    assert!(stream.usage().is_none());
    assert!(stream.usage_chunk().is_none());
}

#[test]
fn errors_map_by_type_and_keep_status() {
    let cases = [
        (400, "invalid_request_error", ErrorKind::InvalidRequest),
        (401, "authentication_error", ErrorKind::Authentication),
        (403, "permission_error", ErrorKind::PermissionDenied),
        (404, "not_found_error", ErrorKind::NotFound),
        (413, "request_too_large", ErrorKind::RequestTooLarge),
        (429, "rate_limit_error", ErrorKind::RateLimited),
        (500, "api_error", ErrorKind::Internal),
        (529, "overloaded_error", ErrorKind::Unavailable),
        (504, "timeout_error", ErrorKind::Timeout),
        (402, "billing_error", ErrorKind::InvalidRequest),
    ];
    for (status, error_type, kind) in cases {
        let body = format!(
            r#"{{"type":"error","error":{{"type":"{error_type}","message":"boom"}},"request_id":"req_011"}}"#
        );
        let error = error_from_anthropic(status, body.as_bytes());
        assert_eq!((error.kind, error.status), (kind, status), "{error_type}");
        assert_eq!(error.message, "boom");
    }
    let html = error_from_anthropic(502, b"<html>Bad Gateway</html>");
    assert_eq!((html.kind, html.status), (ErrorKind::BadGateway, 502));
    assert_eq!(html.message, "Anthropic returned status 502");
}
