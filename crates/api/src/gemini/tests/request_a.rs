//! Direction A requests: OpenAI chat request → Gemini `generateContent`.

use serde_json::{Value, json};

use super::{assert_json, golden, parse};
use crate::error::ErrorKind;
use crate::gemini::request_from_openai;
use crate::openai::chat::ChatRequest;

fn check_golden(name: &str) {
    let case = golden(name);
    let request: ChatRequest = parse(&case["openai"]);
    let translated = request_from_openai(&request).unwrap();
    assert_json(&translated.body, &case["gemini"]);
    assert_json(&translated.dropped, &case["dropped"]);
}

#[test]
fn system_and_multi_turn() {
    check_golden("request_a_multiturn.json");
}

#[test]
fn tools_parallel_calls_results_and_thought_signatures() {
    check_golden("request_a_tools.json");
}

#[test]
fn images_audio_and_files() {
    check_golden("request_a_media.json");
}

#[test]
fn json_schema_and_thinking() {
    check_golden("request_a_json_thinking.json");
}

fn translate(request: Value) -> Value {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    serde_json::to_value(request_from_openai(&request).unwrap().body).unwrap()
}

fn user(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

#[test]
fn json_object_mode_sets_only_the_mime_type() {
    let body = translate(json!({
        "model": "m", "messages": [user("hi")],
        "response_format": {"type": "json_object"}
    }));
    assert_eq!(
        body["generationConfig"],
        json!({"responseMimeType": "application/json"})
    );
    let body = translate(json!({
        "model": "m", "messages": [user("hi")],
        "response_format": {"type": "text"}
    }));
    assert_eq!(body.get("generationConfig"), None);
}

#[test]
fn reasoning_effort_budgets() {
    let cases = [
        ("none", json!({"thinkingBudget": 0})),
        (
            "minimal",
            json!({"thinkingBudget": 128, "includeThoughts": true}),
        ),
        (
            "low",
            json!({"thinkingBudget": 1024, "includeThoughts": true}),
        ),
        (
            "medium",
            json!({"thinkingBudget": 8192, "includeThoughts": true}),
        ),
        (
            "high",
            json!({"thinkingBudget": 24576, "includeThoughts": true}),
        ),
    ];
    for (effort, expected) in cases {
        let body = translate(json!({
            "model": "m", "messages": [user("hi")], "reasoning_effort": effort
        }));
        assert_eq!(
            body["generationConfig"]["thinkingConfig"], expected,
            "{effort}"
        );
    }
}

#[test]
fn tool_choice_modes() {
    let cases = [("none", "NONE"), ("auto", "AUTO"), ("required", "ANY")];
    for (choice, mode) in cases {
        let body = translate(json!({
            "model": "m", "messages": [user("hi")], "tool_choice": choice
        }));
        assert_eq!(
            body["toolConfig"],
            json!({"functionCallingConfig": {"mode": mode}}),
            "{choice}"
        );
    }
}

#[test]
fn minimal_request_has_only_contents() {
    let body = translate(json!({"model": "m", "messages": [user("hi")]}));
    assert_eq!(
        body,
        json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    );
}

/// Each invalid request: (request, expected param, words the message has).
#[test]
fn invalid_requests_are_400_naming_the_parameter() {
    let call = |arguments: &str| {
        json!({"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
        ]})
    };
    let cases = [
        (
            json!({"model": "m", "messages": [user("hi"), call("{not json")]}),
            "messages[1].tool_calls[0].function.arguments",
            "is not valid JSON",
        ),
        (
            json!({"model": "m", "messages": [user("hi"), call("[1]")]}),
            "messages[1].tool_calls[0].function.arguments",
            "must be a JSON object",
        ),
        (
            json!({"model": "m", "messages": [
                user("hi"), {"role": "tool", "tool_call_id": "nope", "content": "x"}
            ]}),
            "messages[1].tool_call_id",
            "'nope' matches no tool call",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "data:image/svg+xml,%3Csvg%3E"}}
            ]}]}),
            "messages[0].content[0]",
            "not base64",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": "AA=="}}
            ]}]}),
            "messages[0].content[0]",
            "needs `data` and `format`",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "file", "file": {"filename": "a.pdf"}}
            ]}]}),
            "messages[0].content[0]",
            "`file_data` or `file_id`",
        ),
        (
            json!({"model": "m", "messages": [user("hi")], "reasoning_effort": "extreme"}),
            "reasoning_effort",
            "'extreme'",
        ),
        (
            json!({"model": "m", "messages": [user("hi")], "tool_choice": "sometimes"}),
            "tool_choice",
            "'sometimes'",
        ),
        (
            json!({"model": "m", "messages": [user("hi")],
                   "tools": [{"type": "custom", "function": {"name": "f"}}]}),
            "tools[0].type",
            "'custom' is not supported",
        ),
        (
            json!({"model": "m", "messages": [user("hi")],
                   "response_format": {"type": "yaml"}}),
            "response_format.type",
            "'yaml'",
        ),
        (
            json!({"model": "m", "messages": [user("hi")], "seed": "seven"}),
            "seed",
            "wrong type",
        ),
    ];
    for (request, param, words) in cases {
        let request: ChatRequest = serde_json::from_value(request).unwrap();
        let error = request_from_openai(&request).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidRequest, "{param}");
        assert_eq!(error.status, 400);
        assert_eq!(error.param.as_deref(), Some(param));
        assert!(error.message.contains(words), "{}", error.message);
    }
}

#[test]
fn null_params_are_absent() {
    let request: ChatRequest = serde_json::from_value(json!({
        "model": "m", "messages": [user("hi")], "seed": null, "logprobs": null, "metadata": {"a": "b"}
    }))
    .unwrap();
    let translated = request_from_openai(&request).unwrap();
    assert_eq!(translated.body.generation_config, None);
    assert_eq!(translated.dropped, ["metadata"]);
}
