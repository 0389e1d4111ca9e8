//! OpenAI chat requests → Converse requests.

use serde_json::{Value, json};

use super::assert_json;
use crate::bedrock::request_from_openai;
use crate::codec::{EncodeOptions, Framing, Wire, wire};
use crate::error::ErrorKind;
use crate::openai::chat::ChatRequest;

const CLAUDE: &str = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";

fn translate(request: Value, model: &str) -> (Value, Vec<String>) {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    let translated = request_from_openai(&request, model, 4096).unwrap();
    (
        serde_json::to_value(&translated.value).unwrap(),
        translated.dropped,
    )
}

fn error(request: Value) -> crate::ApiError {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    request_from_openai(&request, CLAUDE, 4096).unwrap_err()
}

#[test]
fn a_whole_conversation() {
    let (body, dropped) = translate(
        json!({
            "model": "claude",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this picture, and the weather?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
                ]},
                {"role": "assistant", "content": "", "thinking_blocks": [
                    {"type": "thinking", "thinking": "Two calls.", "signature": "sig-1"},
                    {"type": "redacted_thinking", "data": "cmVkYWN0ZWQ="}
                ], "tool_calls": [
                    {"id": "tooluse_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "tooluse_2", "type": "function", "function": {"name": "time", "arguments": ""}}
                ]},
                {"role": "tool", "tool_call_id": "tooluse_1", "content": "18°C"},
                {"role": "tool", "tool_call_id": "tooluse_2", "content": [{"type": "text", "text": "noon"}]},
                {"role": "user", "content": "Thanks. And now?"}
            ],
            "max_tokens": 300,
            "temperature": 0.2,
            "top_p": 0.9,
            "stop": ["END"],
            "tools": [
                {"type": "function", "function": {"name": "weather", "description": "Weather by city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
                {"type": "function", "function": {"name": "time"}}
            ],
            "tool_choice": "required",
            "top_k": 40,
            "guardrailConfig": {"guardrailIdentifier": "g1", "guardrailVersion": "1"},
            "seed": 7,
            "user": "u-1",
            "stream_options": {"include_usage": true}
        }),
        CLAUDE,
    );
    assert_json(
        &body,
        &json!({
            "messages": [
                {"role": "user", "content": [
                    {"text": "What is in this picture, and the weather?"},
                    {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}}
                ]},
                {"role": "assistant", "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Two calls.", "signature": "sig-1"}}},
                    {"reasoningContent": {"redactedContent": "cmVkYWN0ZWQ="}},
                    {"toolUse": {"toolUseId": "tooluse_1", "name": "weather", "input": {"city": "Paris"}}},
                    {"toolUse": {"toolUseId": "tooluse_2", "name": "time", "input": {}}}
                ]},
                {"role": "user", "content": [
                    {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "18°C"}]}},
                    {"toolResult": {"toolUseId": "tooluse_2", "content": [{"text": "noon"}]}},
                    {"text": "Thanks. And now?"}
                ]}
            ],
            "system": [{"text": "Be brief."}, {"text": "Use tools."}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]},
            "toolConfig": {
                "tools": [
                    {"toolSpec": {"name": "weather", "description": "Weather by city",
                        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}},
                    {"toolSpec": {"name": "time",
                        "inputSchema": {"json": {"type": "object", "properties": {}}}}}
                ],
                "toolChoice": {"any": {}}
            },
            "additionalModelRequestFields": {"top_k": 40},
            "guardrailConfig": {"guardrailIdentifier": "g1", "guardrailVersion": "1"}
        }),
    );
    assert_eq!(dropped, ["seed"]);
}

#[test]
fn reasoning_effort_is_claude_thinking_with_room_after_the_budget() {
    let request = json!({"model": "m", "reasoning_effort": "medium",
        "messages": [{"role": "user", "content": "Think."}]});
    let (body, dropped) = translate(request.clone(), CLAUDE);
    assert_eq!(
        body["additionalModelRequestFields"],
        json!({"thinking": {"type": "enabled", "budget_tokens": 2048}})
    );
    assert_eq!(body["inferenceConfig"], json!({"maxTokens": 2048 + 4096}));
    assert!(dropped.is_empty());

    // Other models have no thinking field: the parameter is dropped.
    let (body, dropped) = translate(request, "amazon.nova-pro-v1:0");
    assert_eq!(body.get("additionalModelRequestFields"), None);
    assert_eq!(body.get("inferenceConfig"), None);
    assert_eq!(dropped, ["reasoning_effort"]);

    // The client's own `thinking` wins, and its own limit stays.
    let (body, _) = translate(
        json!({"model": "m", "reasoning_effort": "high", "max_tokens": 5000,
            "thinking": {"type": "enabled", "budget_tokens": 3000},
            "messages": [{"role": "user", "content": "Think."}]}),
        CLAUDE,
    );
    assert_eq!(
        body["additionalModelRequestFields"]["thinking"]["budget_tokens"],
        3000
    );
    assert_eq!(body["inferenceConfig"]["maxTokens"], 5000);
    let (body, _) = translate(
        json!({"model": "m", "reasoning_effort": "none", "messages": [{"role": "user", "content": "Hi"}]}),
        CLAUDE,
    );
    assert_eq!(body.get("additionalModelRequestFields"), None);
}

#[test]
fn tool_choices() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);
    let choice = |tool_choice: Value| {
        translate(
            json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                "tools": tools, "tool_choice": tool_choice, "parallel_tool_calls": false}),
            CLAUDE,
        )
    };
    let (body, dropped) = choice(json!("auto"));
    assert_eq!(body["toolConfig"]["toolChoice"], json!({"auto": {}}));
    assert_eq!(dropped, ["parallel_tool_calls"]);
    let (body, _) = choice(json!({"type": "function", "function": {"name": "f"}}));
    assert_eq!(
        body["toolConfig"]["toolChoice"],
        json!({"tool": {"name": "f"}})
    );
    let (body, dropped) = choice(json!("none"));
    assert_eq!(body["toolConfig"].get("toolChoice"), None);
    assert_eq!(dropped, ["tool_choice", "parallel_tool_calls"]);
    let error = error(
        json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
        "tools": tools, "tool_choice": "sometimes"}),
    );
    assert_eq!(error.param.as_deref(), Some("tool_choice"));
}

#[test]
fn response_formats() {
    let (body, _) = translate(
        json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer",
                "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}}}),
        CLAUDE,
    );
    assert_json(
        &body["toolConfig"],
        &json!({
            "tools": [{"toolSpec": {"name": "json_tool_call",
                "inputSchema": {"json": {"type": "object", "properties": {"a": {"type": "integer"}}}}}}],
            "toolChoice": {"tool": {"name": "json_tool_call"}}
        }),
    );
    let (body, _) = translate(
        json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
            "response_format": {"type": "json_object"}}),
        CLAUDE,
    );
    assert_eq!(
        body["system"],
        json!([{"text": "Respond only with a single valid JSON object, without any text around it."}])
    );
}

#[test]
fn cache_control_becomes_cache_points() {
    let (body, _) = translate(
        json!({"model": "m",
            "messages": [
                {"role": "system", "content": "Long rules.", "cache_control": {"type": "ephemeral"}},
                {"role": "user", "content": [{"type": "text", "text": "Doc", "cache_control": {"type": "ephemeral"}}, {"type": "text", "text": "Q"}]}
            ],
            "tools": [{"type": "function", "function": {"name": "f"}, "cache_control": {"type": "ephemeral"}}]}),
        CLAUDE,
    );
    let point = json!({"cachePoint": {"type": "default"}});
    assert_eq!(body["system"], json!([{"text": "Long rules."}, point]));
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"text": "Doc"}, point, {"text": "Q"}])
    );
    assert_eq!(body["toolConfig"]["tools"][1], point);
}

#[test]
fn images_must_be_bytes_of_a_known_type() {
    let image = |url: &str| {
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}}]}]})
    };
    let error = error(image("https://example.com/cat.png"));
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert_eq!(error.param.as_deref(), Some("messages[0].content[0]"));
    assert!(error.message.contains("bytes only"), "{}", error.message);
    let error = self::error(image("data:image/tiff;base64,AAAA"));
    assert!(error.message.contains("image/tiff"), "{}", error.message);
    for (media, format) in [
        ("jpeg", "jpeg"),
        ("jpg", "jpeg"),
        ("gif", "gif"),
        ("webp", "webp"),
    ] {
        let (body, _) = translate(image(&format!("data:image/{media};base64,AAAA")), CLAUDE);
        assert_eq!(body["messages"][0]["content"][0]["image"]["format"], format);
    }
}

#[test]
fn refusals_name_the_parameter() {
    let error =
        error(json!({"model": "m", "n": 2, "messages": [{"role": "user", "content": "Hi"}]}));
    assert_eq!(error.param.as_deref(), Some("n"));
    let error = self::error(
        json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]}),
    );
    assert_eq!(error.param.as_deref(), Some("messages[0].content[0]"));
    let error = self::error(
        json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]}),
    );
    assert_eq!(
        error.param.as_deref(),
        Some("messages[0].tool_calls[0].function.arguments")
    );
}

#[test]
fn empty_turns_are_left_out_and_same_roles_merge() {
    let (body, _) = translate(
        json!({"model": "m", "messages": [
            {"role": "user", "content": "One."},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "Two."}
        ]}),
        CLAUDE,
    );
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [{"text": "One."}, {"text": "Two."}]}])
    );
}

#[test]
fn the_wire_codec_sends_no_model_and_frames_as_event_stream() {
    let codec = wire(Wire::Bedrock);
    let request: ChatRequest = serde_json::from_value(
        json!({"model": "client-name", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .unwrap();
    let options = EncodeOptions {
        model: CLAUDE,
        stream: true,
        default_max_tokens: 4096,
        stream_usage_option: true,
    };
    let encoded = codec.encode_request(&request, &options).unwrap();
    let body: Value = serde_json::from_slice(&encoded.value).unwrap();
    assert_eq!(
        body,
        json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]})
    );
    assert_eq!(codec.framing(), Framing::AwsEventStream);
    assert!(codec.embeddings().is_some());
    assert_eq!(wire(Wire::OpenAi).framing(), Framing::Sse);
}
