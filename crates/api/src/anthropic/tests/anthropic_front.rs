//! An Anthropic client in front of an OpenAI-dialect upstream.

use super::{assert_json, golden, parse, sse_events};
use crate::anthropic::{
    CountTokensRequest, MessagesRequest, StopReason, StreamEvent, StreamFromOpenAi,
    count_tokens_estimate, request_to_openai, response_from_openai,
};
use crate::error::ErrorKind;
use crate::openai::chat::{ChatChunk, ChatResponse};

macro_rules! request_case {
    ($name:ident, $dropped:expr) => {
        #[test]
        fn $name() {
            let input: MessagesRequest = parse(golden!(
                "anthropic_front/request/",
                stringify!($name),
                ".anthropic.json"
            ));
            let translated = request_to_openai(&input).unwrap();
            assert_json(
                &translated.request,
                golden!(
                    "anthropic_front/request/",
                    stringify!($name),
                    ".openai.json"
                ),
            );
            let dropped: &[&str] = &$dropped;
            assert_eq!(translated.dropped, dropped);
        }
    };
}

mod request {
    use super::*;

    request_case!(multiturn, ["top_k", "service_tier"]);
    request_case!(tools, ["tools[1] (web_search_20250305)"]);
    request_case!(media, []);
    request_case!(thinking, []);
}

#[test]
fn request_errors_name_the_block() {
    let cases = [
        (
            r#"{"type": "image", "source": {"type": "file", "file_id": "file_1"}}"#,
            "user",
        ),
        (
            r#"{"type": "document", "source": {"type": "url", "url": "https://x/y.pdf"}}"#,
            "user",
        ),
        (
            r#"{"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}"#,
            "assistant",
        ),
        (
            r#"{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}"#,
            "user",
        ),
    ];
    for (block, role) in cases {
        let text = format!(
            r#"{{"model": "m", "max_tokens": 10, "messages": [{{"role": "user", "content": "hi"}}, {{"role": "{role}", "content": [{{"type": "text", "text": "x"}}, {block}]}}]}}"#
        );
        let request: MessagesRequest = parse(&text);
        let error = request_to_openai(&request).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidRequest);
        assert_eq!(
            error.param.as_deref(),
            Some("messages[1].content[1]"),
            "{}",
            error.message
        );
    }
}

#[test]
fn thinking_budgets_map_to_efforts() {
    let cases = [
        (1024, Some("low")),
        (2047, Some("low")),
        (2048, Some("medium")),
        (4095, Some("medium")),
        (4096, Some("high")),
        (32000, Some("high")),
    ];
    for (budget, effort) in cases {
        let request: MessagesRequest = parse(&format!(
            r#"{{"model": "m", "max_tokens": 64000, "messages": [], "thinking": {{"type": "enabled", "budget_tokens": {budget}}}}}"#
        ));
        let translated = request_to_openai(&request).unwrap().request;
        assert_eq!(translated.reasoning_effort.as_deref(), effort, "{budget}");
    }
    let disabled: MessagesRequest = parse(
        r#"{"model": "m", "max_tokens": 10, "messages": [], "thinking": {"type": "disabled"}}"#,
    );
    let translated = request_to_openai(&disabled).unwrap().request;
    assert_eq!(translated.reasoning_effort, None);
}

macro_rules! response_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            let input: ChatResponse = parse(golden!(
                "anthropic_front/response/",
                stringify!($name),
                ".openai.json"
            ));
            assert_json(
                &response_from_openai(&input),
                golden!(
                    "anthropic_front/response/",
                    stringify!($name),
                    ".anthropic.json"
                ),
            );
        }
    };
}

mod response {
    use super::*;

    response_case!(text_cached);
    response_case!(reasoning_tools);
    response_case!(signed_thinking);
}

#[test]
fn finish_reasons_map_to_stop_reasons() {
    let cases = [
        ("stop", false, StopReason::EndTurn),
        ("length", false, StopReason::MaxTokens),
        ("tool_calls", true, StopReason::ToolUse),
        ("function_call", true, StopReason::ToolUse),
        ("content_filter", false, StopReason::Refusal),
        // Some OpenAI-compatible servers say `stop` after tool calls.
        ("stop", true, StopReason::ToolUse),
        ("eos", false, StopReason::EndTurn),
    ];
    for (finish_reason, with_call, stop_reason) in cases {
        let tool_calls = if with_call {
            r#","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]"#
        } else {
            ""
        };
        let response: ChatResponse = parse(&format!(
            r#"{{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{{"index":0,"message":{{"role":"assistant","content":"hi"{tool_calls}}},"finish_reason":"{finish_reason}"}}]}}"#
        ));
        let message = response_from_openai(&response);
        assert_eq!(message.stop_reason, Some(stop_reason), "{finish_reason}");
        assert_eq!(message.usage.input_tokens, 0);
    }
}

/// Feeds an OpenAI stream (`[DONE]` calls `finish`) and compares the
/// rendered Anthropic SSE byte for byte.
fn stream_case(input: &str, expected: &str) {
    let mut stream = StreamFromOpenAi::new();
    let mut events: Vec<StreamEvent> = Vec::new();
    for (_, data) in sse_events(input) {
        if data == b"[DONE]" {
            events.extend(stream.finish());
        } else {
            let chunk: ChatChunk = serde_json::from_slice(&data).unwrap();
            events.extend(stream.push(&chunk));
        }
    }
    // An upstream that ended without `[DONE]`: the caller finishes at EOF.
    events.extend(stream.finish());
    let actual: Vec<u8> = events.iter().flat_map(StreamEvent::to_sse).collect();
    assert_eq!(String::from_utf8(actual).unwrap(), expected);
}

macro_rules! stream_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            stream_case(
                golden!("anthropic_front/stream/", stringify!($name), ".openai.sse"),
                golden!(
                    "anthropic_front/stream/",
                    stringify!($name),
                    ".anthropic.sse"
                ),
            );
        }
    };
}

mod stream {
    use super::*;

    stream_case!(text);
    stream_case!(tool_calls);
    stream_case!(thinking_no_usage);
    stream_case!(truncated);
    stream_case!(empty);
    stream_case!(signed_text_after_tools);
}

#[test]
fn stream_finish_without_any_chunk_is_still_a_whole_message() {
    let mut stream = StreamFromOpenAi::new();
    let names: Vec<&str> = stream.finish().iter().map(StreamEvent::name).collect();
    assert_eq!(names, ["message_start", "message_delta", "message_stop"]);
    assert!(stream.finish().is_empty());
    let chunk: ChatChunk = parse(
        r#"{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"late"},"finish_reason":null}]}"#,
    );
    assert!(stream.push(&chunk).is_empty());
}

#[test]
fn stream_ends_once_when_usage_comes_with_the_finish_reason() {
    let mut stream = StreamFromOpenAi::new();
    let chunk: ChatChunk = parse(
        r#"{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
    );
    let names: Vec<&str> = stream.push(&chunk).iter().map(StreamEvent::name).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert!(stream.finish().is_empty());
}

#[test]
fn count_tokens_is_a_rounded_up_character_estimate() {
    let request: CountTokensRequest = parse(
        r#"{
            "model": "m",
            "system": "abcd",
            "messages": [
                {"role": "user", "content": "abcdefgh"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "ab", "signature": "s"},
                    {"type": "tool_use", "id": "t", "name": "f", "input": {}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "xyz"}]},
                    {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}
                ]}
            ],
            "tools": [{"name": "f", "description": "d", "input_schema": {}}]
        }"#,
    );
    // Characters: system 4, user 8, thinking 2, tool_use "f" + "{}" 3,
    // tool result 3, tool "f" + "d" + "{}" 4 = 24 → 6 tokens; plus one image.
    assert_eq!(count_tokens_estimate(&request), 6 + 1600);
    let one_char: CountTokensRequest =
        parse(r#"{"model": "m", "messages": [{"role": "user", "content": "a"}]}"#);
    assert_eq!(count_tokens_estimate(&one_char), 1);
}
