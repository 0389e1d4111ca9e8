//! Direction A responses: Gemini response → OpenAI completion; errors and
//! embeddings.

use serde_json::{Value, json};

use super::{assert_json, golden, parse};
use crate::error::ErrorKind;
use crate::gemini::{
    BatchEmbedContentsResponse, GenerateContentResponse, embeddings_request_from_openai,
    embeddings_response_to_openai, error_from_gemini, response_to_openai,
};

fn translate(gemini: Value) -> Value {
    let response: GenerateContentResponse = serde_json::from_value(gemini).unwrap();
    serde_json::to_value(response_to_openai(&response, "my-gemini", 5).unwrap()).unwrap()
}

#[test]
fn full_response_with_thoughts_text_calls_and_usage() {
    let case = golden("response_a_tools.json");
    let response: GenerateContentResponse = parse(&case["gemini"]);
    let translated = response_to_openai(&response, "my-gemini", 1_700_000_000).unwrap();
    assert_json(&translated, &case["openai"]);
}

#[test]
fn several_candidates_and_their_finish_reasons() {
    let openai = translate(json!({
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Once upon"}]},
             "finishReason": "MAX_TOKENS", "index": 0},
            {"finishReason": "SAFETY", "index": 1,
             "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]}
        ]
    }));
    assert_eq!(
        openai,
        json!({
            "id": "chatcmpl-5",
            "object": "chat.completion",
            "created": 5,
            "model": "my-gemini",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Once upon", "refusal": null},
                 "finish_reason": "length", "logprobs": null},
                {"index": 1, "message": {"role": "assistant", "content": "", "refusal": null},
                 "finish_reason": "content_filter", "logprobs": null}
            ]
        })
    );
}

#[test]
fn every_finish_reason() {
    let cases = [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("IMAGE_SAFETY", "content_filter"),
        ("LANGUAGE", "stop"),
        ("OTHER", "stop"),
        ("MALFORMED_FUNCTION_CALL", "stop"),
        ("FINISH_REASON_UNSPECIFIED", "stop"),
    ];
    for (gemini, openai) in cases {
        let response = translate(json!({"candidates": [
            {"content": {"role": "model", "parts": [{"text": "x"}]}, "finishReason": gemini}
        ]}));
        assert_eq!(response["choices"][0]["finish_reason"], openai, "{gemini}");
    }
    let response = translate(json!({"candidates": [
        {"content": {"role": "model", "parts": [{"text": "x"}]}}
    ]}));
    assert_eq!(response["choices"][0]["finish_reason"], Value::Null);
}

#[test]
fn blocked_prompt_is_an_empty_content_filter_choice() {
    let openai = translate(json!({
        "promptFeedback": {
            "blockReason": "SAFETY",
            "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH"}]
        },
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r-blocked"
    }));
    assert_eq!(
        openai,
        json!({
            "id": "r-blocked",
            "object": "chat.completion",
            "created": 5,
            "model": "my-gemini",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": "", "refusal": null},
                "finish_reason": "content_filter",
                "logprobs": null
            }],
            "usage": {
                "prompt_tokens": 8, "completion_tokens": 0, "total_tokens": 8,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0}
            }
        })
    );
}

#[test]
fn errors_keep_status_and_message() {
    let cases: [(u16, &str, ErrorKind, &str); 8] = [
        (
            429,
            r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#,
            ErrorKind::RateLimited,
            "Resource has been exhausted (e.g. check quota).",
        ),
        (
            400,
            r#"{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}"#,
            ErrorKind::InvalidRequest,
            "User location is not supported for the API use.",
        ),
        (
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#,
            ErrorKind::Authentication,
            "API key not valid. Please pass a valid API key.",
        ),
        (
            404,
            r#"[{"error":{"code":404,"message":"models/nope is not found for API version v1beta","status":"NOT_FOUND"}}]"#,
            ErrorKind::NotFound,
            "models/nope is not found for API version v1beta",
        ),
        (
            403,
            r#"{"error":{"code":403,"message":"Permission denied on resource project x.","status":"PERMISSION_DENIED"}}"#,
            ErrorKind::PermissionDenied,
            "Permission denied on resource project x.",
        ),
        (
            503,
            r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
            ErrorKind::Unavailable,
            "The model is overloaded. Please try again later.",
        ),
        (
            502,
            "<html><body>Bad Gateway</body></html>",
            ErrorKind::BadGateway,
            "Gemini returned HTTP 502: <html><body>Bad Gateway</body></html>",
        ),
        (500, "", ErrorKind::Internal, "Gemini returned HTTP 500"),
    ];
    for (status, body, kind, message) in cases {
        let error = error_from_gemini(status, body.as_bytes());
        assert_eq!(error.kind, kind, "{body}");
        assert_eq!(error.status, status);
        assert_eq!(error.message, message);
    }
}

#[test]
fn unknown_status_names_fall_back_to_the_http_status() {
    let body =
        br#"{"error":{"code":499,"message":"The operation was cancelled.","status":"CANCELLED"}}"#;
    let error = error_from_gemini(499, body);
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert_eq!(error.message, "The operation was cancelled.");
    let long = "x".repeat(2000);
    let error = error_from_gemini(500, long.as_bytes());
    assert_eq!(
        error.message.len(),
        "Gemini returned HTTP 500: ".len() + 500
    );
}

#[test]
fn embeddings_request_one_or_many_strings() {
    let request =
        embeddings_request_from_openai(&json!("hello"), "text-embedding-004", None).unwrap();
    assert_json(
        &request,
        &json!({"requests": [
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "hello"}]}}
        ]}),
    );
    let request = embeddings_request_from_openai(
        &json!(["a", "b"]),
        "models/gemini-embedding-001",
        Some(768),
    )
    .unwrap();
    assert_json(
        &request,
        &json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]},
             "outputDimensionality": 768},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]},
             "outputDimensionality": 768}
        ]}),
    );
}

#[test]
fn embeddings_refuse_token_ids_and_empty_input() {
    for input in [
        json!([1, 2, 3]),
        json!([[1, 2], [3]]),
        json!(42),
        json!(["a", 1]),
    ] {
        let error = embeddings_request_from_openai(&input, "m", None).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidRequest);
        assert_eq!(error.param.as_deref(), Some("input"));
        assert!(error.message.contains("token ids"), "{}", error.message);
    }
    let error = embeddings_request_from_openai(&json!([]), "m", None).unwrap_err();
    assert_eq!(error.message, "input must not be empty");
}

#[test]
fn embeddings_response_in_openai_shape() {
    let response: BatchEmbedContentsResponse = serde_json::from_value(json!({
        "embeddings": [{"values": [0.013168523, -0.008711934]}, {"values": [0.5]}]
    }))
    .unwrap();
    assert_eq!(
        embeddings_response_to_openai(&response, "text-embedding-004"),
        json!({
            "object": "list",
            "data": [
                {"object": "embedding", "index": 0, "embedding": [0.013168523, -0.008711934]},
                {"object": "embedding", "index": 1, "embedding": [0.5]}
            ],
            "model": "text-embedding-004",
            "usage": {"prompt_tokens": 0, "total_tokens": 0}
        })
    );
}
