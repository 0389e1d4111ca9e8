//! Direction B requests: a Gemini client's request → OpenAI chat request.

use serde_json::{Value, json};

use super::{assert_json, golden, parse};
use crate::error::ErrorKind;
use crate::gemini::{GenerateContentRequest, request_to_openai};

#[test]
fn full_request_with_tools_media_schema_and_thinking() {
    let case = golden("request_b_full.json");
    let request: GenerateContentRequest = parse(&case["gemini"]);
    let model = case["model"].as_str().unwrap();
    let stream = case["stream"].as_bool().unwrap();
    let chat = request_to_openai(model, &request, stream).unwrap();
    assert_json(&chat, &case["openai"]);
}

fn translate(request: Value) -> Value {
    let request: GenerateContentRequest = serde_json::from_value(request).unwrap();
    serde_json::to_value(request_to_openai("m", &request, false).unwrap()).unwrap()
}

fn user(text: &str) -> Value {
    json!({"role": "user", "parts": [{"text": text}]})
}

#[test]
fn minimal_request() {
    assert_eq!(
        translate(json!({"contents": [user("hi")]})),
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    );
}

#[test]
fn ids_given_by_the_client_are_kept_and_results_pair_by_name() {
    let chat = translate(json!({"contents": [
        user("go"),
        {"role": "model", "parts": [
            {"functionCall": {"id": "fc-1", "name": "a", "args": {}}},
            {"functionCall": {"name": "b"}},
            {"functionCall": {"name": "a"}}
        ]},
        {"role": "user", "parts": [
            {"functionResponse": {"id": "fc-1", "name": "a", "response": {"content": "A1"}}},
            {"functionResponse": {"name": "b", "response": {"content": "B"}}},
            {"functionResponse": {"name": "a", "response": {"ok": true}}},
            {"text": "and now?"}
        ]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "orphan", "response": {}}}
        ]}
    ]}));
    let calls: Vec<&str> = chat["messages"][1]["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|call| call["id"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["fc-1", "call_b_0", "call_a_1"]);
    assert_eq!(
        chat["messages"].as_array().unwrap()[2..],
        [
            json!({"role": "tool", "content": "A1", "tool_call_id": "fc-1"}),
            json!({"role": "tool", "content": "B", "tool_call_id": "call_b_0"}),
            // `fc-1` was answered by id: the oldest unanswered `a` is the
            // second one.
            json!({"role": "tool", "content": "{\"ok\":true}", "tool_call_id": "call_a_1"}),
            json!({"role": "user", "content": "and now?"}),
            json!({"role": "tool", "content": "{}", "tool_call_id": "call_orphan_2"}),
        ]
    );
    assert_eq!(chat["messages"][1].get("content"), None);
}

#[test]
fn function_calling_modes() {
    let tools = json!([{"functionDeclarations": [{"name": "a"}, {"name": "b"}]}]);
    let cases = [
        (json!({"mode": "AUTO"}), json!("auto"), 2),
        (json!({"mode": "VALIDATED"}), json!("auto"), 2),
        (json!({"mode": "NONE"}), json!("none"), 2),
        (json!({"mode": "ANY"}), json!("required"), 2),
        (
            json!({"mode": "ANY", "allowedFunctionNames": ["b"]}),
            json!({"type": "function", "function": {"name": "b"}}),
            1,
        ),
        (
            json!({"mode": "AUTO", "allowedFunctionNames": ["b"]}),
            json!("auto"),
            2,
        ),
    ];
    for (config, choice, tool_count) in cases {
        let chat = translate(json!({
            "contents": [user("hi")],
            "tools": tools,
            "toolConfig": {"functionCallingConfig": config}
        }));
        assert_eq!(chat["tool_choice"], choice, "{config}");
        assert_eq!(
            chat["tools"].as_array().unwrap().len(),
            tool_count,
            "{config}"
        );
    }
}

#[test]
fn thinking_to_reasoning_effort() {
    let cases = [
        (json!({"thinkingBudget": 0}), Value::Null),
        (json!({"thinkingBudget": -1}), Value::Null),
        (json!({"thinkingBudget": 512}), json!("low")),
        (json!({"thinkingBudget": 1024}), json!("low")),
        (json!({"thinkingBudget": 8192}), json!("medium")),
        (json!({"thinkingBudget": 24576}), json!("high")),
        (
            json!({"thinkingLevel": "HIGH", "thinkingBudget": 10}),
            json!("high"),
        ),
        (json!({"includeThoughts": true}), Value::Null),
    ];
    for (thinking, effort) in cases {
        let chat = translate(json!({
            "contents": [user("hi")],
            "generationConfig": {"thinkingConfig": thinking}
        }));
        assert_eq!(
            chat.get("reasoning_effort").cloned().unwrap_or(Value::Null),
            effort,
            "{thinking}"
        );
    }
}

#[test]
fn json_modes() {
    let format = |config: Value| {
        let chat = translate(json!({"contents": [user("hi")], "generationConfig": config}));
        chat.get("response_format").cloned().unwrap_or(Value::Null)
    };
    assert_eq!(
        format(json!({"responseMimeType": "application/json"})),
        json!({"type": "json_object"})
    );
    assert_eq!(
        format(json!({
            "responseMimeType": "application/json",
            "responseJsonSchema": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "responseSchema": {"type": "STRING"}
        })),
        json!({"type": "json_schema", "json_schema": {
            "name": "response",
            "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}
        }})
    );
    assert_eq!(
        format(
            json!({"responseMimeType": "text/x.enum", "responseSchema": {"type": "STRING", "enum": ["a"]}})
        ),
        Value::Null
    );
}

#[test]
fn gemini_only_features_are_refused() {
    let cases = [
        (
            json!({"contents": [user("hi")], "tools": [{"googleSearch": {}}]}),
            "tools[0].googleSearch",
            "built-in tool 'googleSearch'",
        ),
        (
            json!({"contents": [{"role": "user", "parts": [
                {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://b/doc.pdf"}}
            ]}]}),
            "contents[0].parts[0].fileData",
            "application/pdf",
        ),
        (
            json!({"contents": [{"role": "user", "parts": [
                {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/x"}}
            ]}]}),
            "contents[0].parts[0].fileData",
            "unknown",
        ),
        (
            json!({"contents": [user("hi"), {"role": "model", "parts": [
                {"executableCode": {"language": "PYTHON", "code": "print(1)"}}
            ]}]}),
            "contents[1].parts[0]",
            "'executableCode'",
        ),
    ];
    for (request, param, words) in cases {
        let request: GenerateContentRequest = serde_json::from_value(request).unwrap();
        let error = request_to_openai("m", &request, false).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidRequest, "{param}");
        assert_eq!(error.param.as_deref(), Some(param));
        assert!(error.message.contains(words), "{}", error.message);
    }
}

#[test]
fn empty_model_turns_are_left_out() {
    let chat = translate(json!({"contents": [
        user("hi"),
        {"role": "model", "parts": [{"text": "hmm", "thought": true}]},
        user("again")
    ]}));
    assert_eq!(
        chat["messages"],
        json!([{"role": "user", "content": "hi"}, {"role": "user", "content": "again"}])
    );
}

#[test]
fn audio_mime_subtypes_become_openai_formats() {
    let chat = translate(json!({"contents": [{"role": "user", "parts": [
        {"inlineData": {"mimeType": "audio/mpeg", "data": "A"}},
        {"inlineData": {"mimeType": "audio/x-wav", "data": "B"}},
        {"inlineData": {"mimeType": "audio/ogg", "data": "C"}}
    ]}]}));
    let formats: Vec<&Value> = chat["messages"][0]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| &part["input_audio"]["format"])
        .collect();
    assert_eq!(formats, [&json!("mp3"), &json!("wav"), &json!("ogg")]);
}
