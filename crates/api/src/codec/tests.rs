//! Cross-dialect pipelines through the lingua franca, end to end but pure:
//! front decode → wire encode, wire decode → front encode.

use bytes::Bytes;
use serde_json::{Value, json};

use super::*;
use crate::sse::{EventSplitter, data_range, event_name};

/// Runs an upstream SSE text through `wire`'s decoder and `front`'s encoder,
/// as the gateway's translating relay does.
fn translate_stream(
    wire_kind: Wire,
    front_kind: Front,
    upstream: &str,
    wants_usage: bool,
) -> String {
    let mut decoder = wire(wire_kind).stream_decoder("m", 1);
    let mut encoder = front(front_kind).stream_encoder(wants_usage);
    let mut out = Vec::new();
    let mut splitter = EventSplitter::new();
    let mut events = Vec::new();
    splitter.push(Bytes::copy_from_slice(upstream.as_bytes()), |e| {
        events.push(e)
    });
    for event in events {
        let Some(range) = data_range(&event) else {
            continue;
        };
        let name = event_name(&event).map(|n| std::str::from_utf8(n).unwrap().to_string());
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
    for chunk in decoder.finish() {
        encoder.push(&chunk, &mut out);
    }
    encoder.finish(decoder.usage_chunk().as_ref(), &mut out);
    String::from_utf8(out).unwrap()
}

fn data_events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d.trim()).unwrap())
        .collect()
}

const OPENAI_TOOL_STREAM: &str = concat!(
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"q\\\":\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"x\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}\n\n",
    "data: [DONE]\n\n",
);

#[test]
fn openai_upstream_stream_to_anthropic_client() {
    let out = translate_stream(
        Wire::OpenAi,
        Front::AnthropicMessages,
        OPENAI_TOOL_STREAM,
        false,
    );
    let names: Vec<&str> = out
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("event: "))
        .map(|e| e.lines().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let events = data_events(&out);
    assert_eq!(events[1]["content_block"]["type"], "tool_use");
    assert_eq!(events[1]["content_block"]["name"], "lookup");
    let json: String = events[2..4]
        .iter()
        .map(|e| e["delta"]["partial_json"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        json!({"q": "x"})
    );
    assert_eq!(events[5]["delta"]["stop_reason"], "tool_use");
    assert_eq!(events[5]["usage"]["output_tokens"], 7);
}

#[test]
fn openai_upstream_stream_to_gemini_client() {
    let out = translate_stream(
        Wire::OpenAi,
        Front::GeminiGenerate,
        OPENAI_TOOL_STREAM,
        false,
    );
    assert!(out.ends_with("\r\n\r\n"));
    let events: Vec<Value> = out
        .split("\r\n\r\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let call = events
        .iter()
        .find_map(|e| {
            e["candidates"][0]["content"]["parts"][0]
                .get("functionCall")
                .cloned()
        })
        .unwrap();
    assert_eq!(call["name"], "lookup");
    assert_eq!(call["args"], json!({"q": "x"}));
    let last = events.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["usageMetadata"]["candidatesTokenCount"], 7);
}

#[test]
fn anthropic_upstream_stream_to_openai_client_with_and_without_usage() {
    let upstream = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\":\"ping\"}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let out = translate_stream(Wire::Anthropic, Front::OpenAiChat, upstream, true);
    assert!(out.ends_with("data: [DONE]\n\n"));
    let chunks = data_events(&out);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hi");
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"] == "stop")
    );
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["prompt_tokens"], 9);
    assert_eq!(usage["usage"]["completion_tokens"], 3);

    let out = translate_stream(Wire::Anthropic, Front::OpenAiChat, upstream, false);
    assert!(!out.contains("\"usage\""), "{out}");
}

#[test]
fn anthropic_request_to_gemini_wire() {
    let body = json!({
        "model": "fast",
        "max_tokens": 100,
        "system": "Be terse.",
        "messages": [{"role": "user", "content": "Weather?"}],
        "tools": [{"name": "weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    });
    let decoded = front(Front::AnthropicMessages)
        .decode(body.to_string().as_bytes(), None, false)
        .unwrap();
    let options = EncodeOptions {
        model: "gemini-2.5-flash",
        stream: false,
        default_max_tokens: 4096,
        stream_usage_option: false,
    };
    let encoded = wire(Wire::Gemini)
        .encode_request(&decoded.value, &options)
        .unwrap();
    let gemini: Value = serde_json::from_slice(&encoded.value).unwrap();
    assert_eq!(gemini["systemInstruction"]["parts"][0]["text"], "Be terse.");
    assert_eq!(gemini["contents"][0]["role"], "user");
    assert_eq!(gemini["generationConfig"]["maxOutputTokens"], 100);
    assert_eq!(
        gemini["tools"][0]["functionDeclarations"][0]["name"],
        "weather"
    );
}

#[test]
fn openai_wire_encoding_sets_model_and_stream_usage() {
    let request: ChatRequest = serde_json::from_value(json!({
        "model": "group", "messages": [{"role": "user", "content": "x"}], "seed": 3
    }))
    .unwrap();
    let options = EncodeOptions {
        model: "gpt-4o",
        stream: true,
        default_max_tokens: 4096,
        stream_usage_option: true,
    };
    let body = wire(Wire::OpenAi)
        .encode_request(&request, &options)
        .unwrap();
    let value: Value = serde_json::from_slice(&body.value).unwrap();
    assert_eq!(value["model"], "gpt-4o");
    assert_eq!(value["stream"], true);
    assert_eq!(value["stream_options"]["include_usage"], true);
    assert_eq!(value["seed"], 3);
}

#[test]
fn observers_read_usage_without_changing_events() {
    let mut anthropic = wire(Wire::Anthropic).stream_observer(false);
    for event in [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"c\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":20,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":42}}\n\n",
    ] {
        let bytes = Bytes::from(event);
        assert_eq!(anthropic.observe(bytes.clone()), Some(bytes));
    }
    let usage = anthropic.usage().unwrap();
    assert_eq!(
        (
            usage.input_tokens,
            usage.cached_input_tokens,
            usage.output_tokens
        ),
        (25, 5, 42)
    );

    let mut gemini = wire(Wire::Gemini).stream_observer(false);
    for total in [3, 9] {
        let event = format!(
            "data: {{\"candidates\":[],\"usageMetadata\":{{\"promptTokenCount\":4,\"candidatesTokenCount\":{total}}}}}\r\n\r\n"
        );
        gemini.observe(Bytes::from(event));
    }
    assert_eq!(gemini.usage().unwrap().output_tokens, 9);
}

#[test]
fn upstream_errors_decode_per_wire() {
    let error = wire(Wire::Anthropic).decode_error(
        529,
        br#"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#,
    );
    assert_eq!((error.status, error.message.as_str()), (529, "busy"));
    let error = wire(Wire::Gemini).decode_error(
        429,
        br#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#,
    );
    assert_eq!(error.kind, crate::error::ErrorKind::RateLimited);
    let error = wire(Wire::OpenAi).decode_error(500, b"<html>oops</html>");
    assert!(error.message.contains("oops"));
}
