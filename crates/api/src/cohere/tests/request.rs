//! OpenAI chat request → Cohere v2 chat request.

use serde_json::{Value, json};

use super::{assert_json, golden};
use crate::cohere::request_from_openai;
use crate::error::ErrorKind;
use crate::openai::chat::ChatRequest;

fn check_golden(name: &str, model: &str, stream: bool) {
    let case = golden(name);
    let request: ChatRequest = serde_json::from_value(case["openai"].clone()).unwrap();
    let translated = request_from_openai(&request, model, stream).unwrap();
    assert_json(&translated.request, &case["cohere"]);
    assert_json(&translated.dropped, &case["dropped"]);
}

#[test]
fn conversation_tools_images_thinking_and_parameters() {
    check_golden("request_tools.json", "command-a-03-2025", true);
}

#[test]
fn json_schema_reasoning_effort_and_a_named_tool() {
    check_golden(
        "request_json_thinking.json",
        "command-a-reasoning-08-2025",
        false,
    );
}

fn translate(request: Value) -> Value {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    serde_json::to_value(request_from_openai(&request, "m", false).unwrap().request).unwrap()
}

fn error(request: Value) -> crate::ApiError {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    request_from_openai(&request, "m", false).unwrap_err()
}

fn hi() -> Value {
    json!([{"role": "user", "content": "hi"}])
}

#[test]
fn simple_request_sends_only_what_was_asked() {
    let body = translate(json!({"model": "group", "messages": hi(), "stream": false}));
    assert_eq!(
        body,
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    );
}

#[test]
fn response_format_and_tool_choice_modes() {
    let body = translate(json!({"model": "g", "messages": hi(),
        "response_format": {"type": "json_object"}, "tool_choice": "none"}));
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    assert_eq!(body["tool_choice"], "NONE");
    let body = translate(json!({"model": "g", "messages": hi(),
        "response_format": {"type": "text"}, "tool_choice": "auto"}));
    assert!(body.get("response_format").is_none());
    assert!(body.get("tool_choice").is_none());
}

#[test]
fn cohere_thinking_wins_over_reasoning_effort() {
    let body = translate(
        json!({"model": "g", "messages": hi(), "reasoning_effort": "high",
        "thinking": {"type": "enabled", "token_budget": 31000}}),
    );
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "token_budget": 31000})
    );
    let body = translate(json!({"model": "g", "messages": hi(), "reasoning_effort": "none"}));
    assert_eq!(body["thinking"], json!({"type": "disabled"}));
}

#[test]
fn what_cohere_cannot_take_is_a_400_naming_it() {
    let cases = [
        (
            json!({"model": "g", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AA", "format": "wav"}}]}]}),
            "messages[0].content[0]",
        ),
        (
            json!({"model": "g", "messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}),
            "messages[0].content[0]",
        ),
        (
            json!({"model": "g", "messages": hi(), "tools": [{"type": "web_search", "function": {"name": "w"}}]}),
            "tools[0].type",
        ),
        (
            json!({"model": "g", "messages": hi(), "tool_choice": "sometimes"}),
            "tool_choice",
        ),
        (
            json!({"model": "g", "messages": hi(), "tool_choice": {"type": "function", "function": {"name": "f"}}}),
            "tool_choice",
        ),
        (
            json!({"model": "g", "messages": hi(), "response_format": {"type": "yaml"}}),
            "response_format.type",
        ),
        (
            json!({"model": "g", "messages": hi(), "reasoning_effort": "extreme"}),
            "reasoning_effort",
        ),
    ];
    for (request, param) in cases {
        let error = error(request);
        assert_eq!(error.kind, ErrorKind::InvalidRequest, "{param}");
        assert_eq!(error.param.as_deref(), Some(param));
    }
}
