//! Converse responses and errors → OpenAI.

use serde_json::{Value, json};

use super::assert_json;
use crate::bedrock::{
    ConverseResponse, error_from_bedrock, exception_to_error, response_to_openai,
};
use crate::codec::{Wire, wire};
use crate::error::ErrorKind;
use crate::usage::TokenUsage;

const MODEL: &str = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";

fn translate(response: &Value) -> Value {
    let body = serde_json::to_vec(response).unwrap();
    let parsed: ConverseResponse = serde_json::from_slice(&body).unwrap();
    serde_json::to_value(response_to_openai(&parsed, &body, MODEL, 1_750_000_000)).unwrap()
}

#[test]
fn text_with_reasoning_and_cached_usage() {
    let upstream = json!({
        "output": {"message": {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "Easy.", "signature": "sig"}}},
            {"text": "Hello"},
            {"text": " there."},
            {"citationsContent": {"content": []}}
        ]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 45,
            "cacheReadInputTokens": 20, "cacheWriteInputTokens": 10},
        "metrics": {"latencyMs": 120}
    });
    let response = translate(&upstream);
    let id = response["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"), "{id}");
    assert_eq!(
        translate(&upstream)["id"],
        id,
        "the same answer, the same id"
    );
    assert_json(
        &response,
        &json!({
            "id": id,
            "object": "chat.completion",
            "created": 1_750_000_000,
            "model": MODEL,
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello there.",
                    "refusal": null,
                    "reasoning_content": "Easy.",
                    "thinking_blocks": [{"type": "thinking", "thinking": "Easy.", "signature": "sig"}]
                },
                "finish_reason": "stop",
                "logprobs": null
            }],
            "usage": {
                "prompt_tokens": 40,
                "completion_tokens": 5,
                "total_tokens": 45,
                "prompt_tokens_details": {"cached_tokens": 20, "cache_creation_tokens": 10}
            }
        }),
    );
    let usage = wire(Wire::Bedrock).response_usage(&serde_json::to_vec(&upstream).unwrap());
    assert_eq!(
        usage,
        Some(TokenUsage {
            input_tokens: 40,
            output_tokens: 5,
            cached_input_tokens: 20,
            cache_write_tokens: 10,
            reasoning_tokens: 0,
        })
    );
}

#[test]
fn tool_use_becomes_tool_calls() {
    let response = translate(&json!({
        "output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "tooluse_a", "name": "weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "tooluse_b", "name": "time", "input": {}}}
        ]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}
    }));
    assert_json(
        &response["choices"][0],
        &json!({
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "refusal": null,
                "tool_calls": [
                    {"id": "tooluse_a", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "tooluse_b", "type": "function", "function": {"name": "time", "arguments": "{}"}}
                ]
            },
            "finish_reason": "tool_calls",
            "logprobs": null
        }),
    );
}

#[test]
fn the_json_tool_answers_a_response_format() {
    let response = translate(&json!({
        "output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "t", "name": "json_tool_call", "input": {"a": 1}}}
        ]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}
    }));
    assert_eq!(response["choices"][0]["message"]["content"], "{\"a\":1}");
    assert_eq!(response["choices"][0]["finish_reason"], "stop");
}

#[test]
fn stop_reasons() {
    for (reason, expected) in [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("content_filtered", "content_filter"),
        ("guardrail_intervened", "content_filter"),
        ("tool_use", "stop"),
        ("something_new", "stop"),
    ] {
        let response = translate(&json!({
            "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
            "stopReason": reason
        }));
        assert_eq!(
            response["choices"][0]["finish_reason"], expected,
            "{reason}"
        );
        assert_eq!(response.get("usage"), None);
    }
}

#[test]
fn http_errors_keep_status_and_message() {
    let cases = [
        (
            400,
            r#"{"message":"Malformed input request"}"#,
            ErrorKind::InvalidRequest,
        ),
        (
            403,
            r#"{"message":"You don't have access to the model with the specified model ID."}"#,
            ErrorKind::PermissionDenied,
        ),
        (
            403,
            r#"{"message":"The request signature we calculated does not match the signature you provided."}"#,
            ErrorKind::Authentication,
        ),
        (
            403,
            r#"{"Message":"The security token included in the request is invalid."}"#,
            ErrorKind::Authentication,
        ),
        (
            404,
            r#"{"message":"Could not resolve the foundation model"}"#,
            ErrorKind::NotFound,
        ),
        (408, r#"{"message":"Model timed out"}"#, ErrorKind::Timeout),
        (424, r#"{"message":"Model error"}"#, ErrorKind::BadGateway),
        (
            429,
            r#"{"message":"Too many requests, please wait before trying again."}"#,
            ErrorKind::RateLimited,
        ),
        (500, r#"{"message":"Internal"}"#, ErrorKind::Internal),
        (
            503,
            r#"{"message":"Service unavailable"}"#,
            ErrorKind::Unavailable,
        ),
    ];
    for (status, body, kind) in cases {
        let error = error_from_bedrock(status, body.as_bytes());
        assert_eq!((error.status, error.kind), (status, kind), "{body}");
        let message: Value = serde_json::from_str(body).unwrap();
        let message = message.as_object().unwrap().values().next().unwrap();
        assert_eq!(error.message, message.as_str().unwrap());
    }
    let error = wire(Wire::Bedrock).decode_error(502, b"<html>Bad Gateway</html>");
    assert_eq!(
        error.message,
        "Bedrock returned HTTP 502: <html>Bad Gateway</html>"
    );
    assert_eq!(error.kind, ErrorKind::BadGateway);
    assert_eq!(
        error_from_bedrock(500, b"").message,
        "Bedrock returned HTTP 500"
    );
}

#[test]
fn stream_exceptions_by_type() {
    for (name, kind, status) in [
        ("throttlingException", ErrorKind::RateLimited, 429),
        ("ThrottlingException", ErrorKind::RateLimited, 429),
        ("validationException", ErrorKind::InvalidRequest, 400),
        ("modelStreamErrorException", ErrorKind::BadGateway, 502),
        ("internalServerException", ErrorKind::Internal, 500),
        ("serviceUnavailableException", ErrorKind::Unavailable, 503),
        ("modelTimeoutException", ErrorKind::Timeout, 504),
        ("newFangledException", ErrorKind::Internal, 500),
    ] {
        let error = exception_to_error(name, br#"{"message":"it broke"}"#);
        assert_eq!((error.kind, error.status), (kind, status), "{name}");
        assert_eq!(error.message, "it broke");
    }
    let error = exception_to_error("throttlingException", b"");
    assert_eq!(error.message, "Bedrock stream failed: throttlingException");
}
