//! Cohere v2 chat response and errors → OpenAI.

use serde_json::json;

use super::{assert_json, golden};
use crate::cohere::types::ChatResponse;
use crate::cohere::{error_from_cohere, response_to_openai};
use crate::error::ErrorKind;

fn check_golden(name: &str) {
    let case = golden(name);
    let response: ChatResponse = serde_json::from_value(case["cohere"].clone()).unwrap();
    let model = case["model"].as_str().unwrap();
    let created = case["created"].as_u64().unwrap();
    let translated = response_to_openai(&response, model, created).unwrap();
    assert_json(&translated, &case["openai"]);
}

#[test]
fn tool_calls_with_plan_thinking_and_token_usage() {
    check_golden("response_tools.json");
}

#[test]
fn text_citations_and_billed_usage() {
    check_golden("response_citations.json");
}

#[test]
fn finish_reasons_map_to_openai() {
    for (cohere, openai) in [
        ("COMPLETE", "stop"),
        ("STOP_SEQUENCE", "stop"),
        ("MAX_TOKENS", "length"),
        ("TOOL_CALL", "tool_calls"),
    ] {
        let response: ChatResponse = serde_json::from_value(json!({
            "id": "x", "finish_reason": cohere,
            "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}]}
        }))
        .unwrap();
        let translated = response_to_openai(&response, "m", 1).unwrap();
        assert_eq!(translated.choices[0].finish_reason.as_deref(), Some(openai));
        assert_eq!(translated.usage, None);
    }
}

#[test]
fn finish_reason_error_is_an_error() {
    let response: ChatResponse = serde_json::from_value(json!({
        "id": "x", "finish_reason": "ERROR", "message": {"role": "assistant"}
    }))
    .unwrap();
    let error = response_to_openai(&response, "m", 1).unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadGateway);
}

#[test]
fn errors_keep_status_and_message() {
    let error = error_from_cohere(
        429,
        br#"{"id":"e-1","message":"You are using a Trial key, which is limited to 10 API calls / minute."}"#,
    );
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert_eq!(error.status, 429);
    assert!(error.message.starts_with("You are using a Trial key"));

    let error = error_from_cohere(
        400,
        br#"{"message":"invalid request: model 'x' not found"}"#,
    );
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::InvalidRequest,
            "invalid request: model 'x' not found"
        )
    );

    let error = error_from_cohere(498, br#"{"message":"invalid api token"}"#);
    assert_eq!((error.kind, error.status), (ErrorKind::Authentication, 498));

    let error = error_from_cohere(503, b"<html>down</html>");
    assert_eq!(error.kind, ErrorKind::Unavailable);
    assert_eq!(error.message, "Cohere returned HTTP 503: <html>down</html>");
    assert_eq!(
        error_from_cohere(500, b"").message,
        "Cohere returned HTTP 500"
    );
}
