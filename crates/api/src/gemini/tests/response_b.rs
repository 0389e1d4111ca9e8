//! Direction B responses: OpenAI completion → Gemini response; SSE framing,
//! token count estimate and embeddings.

use serde_json::{Value, json};

use super::{assert_json, golden, parse};
use crate::error::ErrorKind;
use crate::gemini::{
    BatchEmbedContentsRequest, CountTokensRequest, GenerateContentResponse, count_tokens_estimate,
    embeddings_request_to_openai, embeddings_response_from_openai, response_from_openai, sse_event,
};
use crate::openai::chat::ChatResponse;

#[test]
fn full_response_with_reasoning_tool_calls_and_usage() {
    let case = golden("response_b_tools.json");
    let response: ChatResponse = parse(&case["openai"]);
    assert_json(&response_from_openai(&response), &case["gemini"]);
}

fn translate_choice(message: Value, finish_reason: Value) -> Value {
    let response: ChatResponse = serde_json::from_value(json!({
        "id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}]
    }))
    .unwrap();
    serde_json::to_value(response_from_openai(&response)).unwrap()["candidates"][0].clone()
}

#[test]
fn finish_reasons() {
    let cases = [
        (json!("stop"), json!("STOP")),
        (json!("length"), json!("MAX_TOKENS")),
        (json!("tool_calls"), json!("STOP")),
        (json!("function_call"), json!("STOP")),
        (json!("content_filter"), json!("SAFETY")),
        (json!("eos"), json!("STOP")),
        (Value::Null, Value::Null),
    ];
    for (openai, gemini) in cases {
        let candidate =
            translate_choice(json!({"role": "assistant", "content": "x"}), openai.clone());
        assert_eq!(
            candidate
                .get("finishReason")
                .cloned()
                .unwrap_or(Value::Null),
            gemini,
            "{openai}"
        );
    }
}

#[test]
fn empty_refused_and_broken_messages() {
    let candidate = translate_choice(
        json!({"role": "assistant", "content": null}),
        json!("content_filter"),
    );
    assert_eq!(
        candidate,
        json!({"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "SAFETY", "index": 0})
    );
    let candidate = translate_choice(
        json!({"role": "assistant", "content": null, "refusal": "I can't help with that."}),
        json!("stop"),
    );
    assert_eq!(
        candidate["content"]["parts"],
        json!([{"text": "I can't help with that."}])
    );
    let candidate = translate_choice(
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"a\": tru"}},
            {"id": "", "type": "function", "function": {"name": "g", "arguments": "[1]"}}
        ]}),
        json!("tool_calls"),
    );
    assert_eq!(
        candidate["content"]["parts"],
        json!([
            {"functionCall": {"id": "c", "name": "f", "args": {"arguments": "{\"a\": tru"}}},
            {"functionCall": {"name": "g", "args": {"arguments": "[1]"}}}
        ])
    );
}

#[test]
fn sse_events_end_with_crlf_crlf() {
    let response: GenerateContentResponse = serde_json::from_value(json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "index": 0}],
        "modelVersion": "m"
    }))
    .unwrap();
    assert_eq!(
        String::from_utf8(sse_event(&response)).unwrap(),
        "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hi\"}]},\"index\":0}],\"modelVersion\":\"m\"}\r\n\r\n"
    );
}

#[test]
fn count_tokens_is_a_quarter_of_the_characters() {
    let request: CountTokensRequest = serde_json::from_value(json!({
        "contents": [{"parts": [{"text": "abcd"}, {"inlineData": {"mimeType": "image/png", "data": "AAAAAAAA"}}]}],
        "generateContentRequest": {
            "systemInstruction": {"parts": [{"text": "12345678"}]},
            "contents": [{"role": "user", "parts": [{"text": "héllo"}]},
                         {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]}],
            "tools": [{"functionDeclarations": [
                {"name": "fn", "description": "d", "parameters": {"type": "OBJECT"}}
            ]}]
        }
    }))
    .unwrap();
    // 4 + 8 + 5 + (1 + 7) + (2 + 1 + 17) = 45 characters → 12 tokens.
    assert_eq!(count_tokens_estimate(&request), 12);
    assert_eq!(count_tokens_estimate(&CountTokensRequest::default()), 0);
}

#[test]
fn embeddings_request_to_openai_joins_parts() {
    let request: BatchEmbedContentsRequest = serde_json::from_value(json!({"requests": [
        {"model": "models/m", "content": {"parts": [{"text": "hello "}, {"text": "world"}]},
         "taskType": "RETRIEVAL_DOCUMENT", "title": "t", "outputDimensionality": 256},
        {"model": "models/m", "content": {"parts": [{"text": "bye"}]}, "output_dimensionality": 256}
    ]}))
    .unwrap();
    assert_eq!(
        embeddings_request_to_openai("text-embedding-3-small", &request).unwrap(),
        json!({"model": "text-embedding-3-small", "input": ["hello world", "bye"], "dimensions": 256})
    );
}

#[test]
fn embeddings_request_to_openai_refusals() {
    let request: BatchEmbedContentsRequest = serde_json::from_value(json!({"requests": [
        {"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 256},
        {"content": {"parts": [{"text": "b"}]}}
    ]}))
    .unwrap();
    let error = embeddings_request_to_openai("m", &request).unwrap_err();
    assert_eq!(
        error.param.as_deref(),
        Some("requests[1].outputDimensionality")
    );
    let request: BatchEmbedContentsRequest = serde_json::from_value(json!({"requests": [
        {"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA"}}]}}
    ]}))
    .unwrap();
    let error = embeddings_request_to_openai("m", &request).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert_eq!(error.param.as_deref(), Some("requests[0].content.parts[0]"));
}

#[test]
fn embeddings_response_from_openai_in_index_order() {
    let body = json!({
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": [0.5, 0.25]},
            {"object": "embedding", "index": 0, "embedding": [-0.125]}
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 4, "total_tokens": 4}
    });
    assert_json(
        &embeddings_response_from_openai(&body).unwrap(),
        &json!({"embeddings": [{"values": [-0.125]}, {"values": [0.5, 0.25]}]}),
    );
    for bad in [
        json!({"object": "list"}),
        json!({"data": [{"index": 0, "embedding": "AAAA"}]}),
        json!({"data": [{"index": 0, "embedding": [1, "x"]}]}),
    ] {
        let error = embeddings_response_from_openai(&bad).unwrap_err();
        assert_eq!(error.kind, ErrorKind::BadGateway, "{bad}");
    }
}
