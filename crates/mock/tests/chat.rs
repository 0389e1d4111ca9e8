//! Chat completions: exact wire shapes, streams, tools and determinism.

// Helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{CREATED, chat, mock, sse_data, sse_json, streamed_content, user};
use serde_json::{Value, json};

fn assert_id(id: &str, prefix: &str) {
    let hex = id.strip_prefix(prefix).expect("id prefix");
    assert_eq!(hex.len(), 16, "{id}");
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}

#[tokio::test]
async fn non_stream_response_has_openai_bytes() {
    let mock = mock().await;
    let body = json!({"model": "gpt-x", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"}
    ]});
    let reply = chat(&mock, &body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_id(&id, "chatcmpl-");
    // prompt: 9 + 11 chars -> 5 tokens; reply split into the default 8 pieces.
    let expected = format!(
        r#"{{"id":"{id}","object":"chat.completion","created":{CREATED},"model":"gpt-x","choices":[{{"index":0,"message":{{"role":"assistant","content":"Mock reply: Hello there","refusal":null,"annotations":[]}},"logprobs":null,"finish_reason":"stop"}}],"usage":{{"prompt_tokens":5,"completion_tokens":8,"total_tokens":13,"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}},"service_tier":"default","system_fingerprint":"fp_mock"}}"#
    );
    assert_eq!(reply.text(), expected);
}

#[tokio::test]
async fn content_parts_n_and_max_tokens() {
    let mock = mock().await;
    let body = json!({"model": "m", "n": 2, "max_tokens": 3, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Hi"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "text", "text": "you"}
    ]}]});
    let v = chat(&mock, &body).await.json();
    let choices = v["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2);
    for (i, choice) in choices.iter().enumerate() {
        assert_eq!(choice["index"], i);
        assert_eq!(choice["finish_reason"], "length");
    }
    // "Mock reply: Hi you" (18 chars) in 8 pieces; the first 3 pieces are 6 chars.
    assert_eq!(choices[0]["message"]["content"], "Mock r");
    assert_eq!(v["usage"]["completion_tokens"], 6);
}

#[tokio::test]
async fn json_mode_replies_with_a_json_object() {
    let mock = mock().await;
    let mut body = user("give me json");
    body["response_format"] = json!({"type": "json_object"});
    let v = chat(&mock, &body).await.json();
    let content: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content, json!({"reply": "Mock reply: give me json"}));

    // Still valid JSON when the chunk count forces padding.
    body["stream"] = json!(true);
    let reply = common::post(
        &mock,
        "/chat/completions",
        &body,
        &[("x-mock-chunks", "60")],
    )
    .await;
    let events = sse_json(&reply.body);
    assert_eq!(events.len(), 1 + 60 + 1);
    let content: Value = serde_json::from_str(&streamed_content(&events)).unwrap();
    assert!(
        content["reply"]
            .as_str()
            .unwrap()
            .starts_with("Mock reply: give me json mock")
    );
}

fn weather_tools() -> Value {
    json!([
        {"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"]
        }}},
        {"type": "function", "function": {"name": "get_time", "parameters": {
            "type": "object", "properties": {"utc": {"type": "boolean"}}
        }}}
    ])
}

#[tokio::test]
async fn tool_calls_non_stream() {
    let mock = mock().await;
    let mut body = user("weather in Paris?");
    body["tools"] = weather_tools();
    let reply = chat(&mock, &body).await;
    let text = reply.text();
    assert!(
        text.contains(r#""message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_"#),
        "{text}"
    );
    assert!(text.contains(
        r#""refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}"#
    ));
    let v = reply.json();
    let calls = v["choices"][0]["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_id(calls[0]["id"].as_str().unwrap(), "call_");
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    let args: Value =
        serde_json::from_str(calls[0]["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"city": "mock", "days": 1}));

    // A named tool_choice picks that tool.
    body["tool_choice"] = json!({"type": "function", "function": {"name": "get_time"}});
    let v = chat(&mock, &body).await.json();
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_time");
    assert_eq!(call["function"]["arguments"], r#"{"utc":true}"#);

    // "none" answers in text.
    body["tool_choice"] = json!("none");
    let v = chat(&mock, &body).await.json();
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Mock reply: weather in Paris?"
    );
}

#[tokio::test]
async fn parallel_tool_calls_and_tool_results() {
    let mock = mock().await;
    let mut body = user("both please [mock:parallel=true]");
    body["tools"] = weather_tools();
    let v = chat(&mock, &body).await.json();
    let calls = v["choices"][0]["message"]["tool_calls"].as_array().unwrap();
    let names: Vec<&str> = calls
        .iter()
        .map(|c| c["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_weather", "get_time"]);
    assert_ne!(calls[0]["id"], calls[1]["id"]);

    body["parallel_tool_calls"] = json!(false);
    let v = chat(&mock, &body).await.json();
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // After a tool result the mock answers in text.
    body["messages"] = json!([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21C"}
    ]);
    let v = chat(&mock, &body).await.json();
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Tool result received: sunny, 21C"
    );
}

#[tokio::test]
async fn stream_without_usage() {
    let mock = mock().await;
    let mut body = user("Hello there");
    body["model"] = json!("gpt-x");
    body["stream"] = json!(true);
    let reply = chat(&mock, &body).await;
    assert_eq!(
        reply.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let data = sse_data(&reply.body);
    assert!(
        data.iter().all(|d| !d.contains("usage")),
        "no usage field unless asked"
    );
    let events = sse_json(&reply.body);
    assert_eq!(events.len(), 1 + 8 + 1, "role, 8 content events, finish");
    let id = events[0]["id"].as_str().unwrap();
    assert_id(id, "chatcmpl-");
    assert_eq!(
        data[0],
        format!(
            r#"{{"id":"{id}","object":"chat.completion.chunk","created":{CREATED},"model":"gpt-x","service_tier":"default","system_fingerprint":"fp_mock","choices":[{{"index":0,"delta":{{"role":"assistant","content":"","refusal":null}},"logprobs":null,"finish_reason":null}}]}}"#
        )
    );
    assert_eq!(
        data[1],
        format!(
            r#"{{"id":"{id}","object":"chat.completion.chunk","created":{CREATED},"model":"gpt-x","service_tier":"default","system_fingerprint":"fp_mock","choices":[{{"index":0,"delta":{{"content":"Mo"}},"logprobs":null,"finish_reason":null}}]}}"#
        )
    );
    assert!(data[9].ends_with(
        r#""choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#
    ));
    assert_eq!(streamed_content(&events), "Mock reply: Hello there");
}

#[tokio::test]
async fn stream_with_include_usage() {
    let mock = mock().await;
    let mut body = user("Hello there");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let reply = chat(&mock, &body).await;
    let data = sse_data(&reply.body);
    assert_eq!(
        data.len(),
        1 + 8 + 1 + 1 + 1,
        "role, content, finish, usage, [DONE]"
    );
    for event in &data[..10] {
        assert!(event.ends_with(r#","usage":null}"#), "{event}");
    }
    let usage_event: Value = serde_json::from_str(&data[10]).unwrap();
    assert_eq!(usage_event["choices"], json!([]));
    assert!(data[10].contains(r#""choices":[],"usage":{"prompt_tokens":3,"completion_tokens":8,"total_tokens":11,"prompt_tokens_details""#));
    assert_eq!(data[11], "[DONE]");

    // Same usage as the non-stream answer.
    body["stream"] = json!(false);
    let v = chat(&mock, &body).await.json();
    assert_eq!(v["usage"], usage_event["usage"]);
}

#[tokio::test]
async fn streamed_tool_call_arguments_concatenate_to_json() {
    let mock = mock().await;
    let mut body = user("weather?");
    body["tools"] = weather_tools();
    body["stream"] = json!(true);
    let reply = chat(&mock, &body).await;
    let events = sse_json(&reply.body);
    let id = events[0]["choices"][0]["delta"]["tool_calls"][0]["id"]
        .as_str()
        .unwrap();
    assert_id(id, "call_");
    let first = &sse_data(&reply.body)[0];
    assert!(
        first.contains(&format!(
            r#""delta":{{"role":"assistant","content":null,"tool_calls":[{{"index":0,"id":"{id}","type":"function","function":{{"name":"get_weather","arguments":""}}}}],"refusal":null}}"#
        )),
        "{first}"
    );
    let fragments: Vec<&str> = events[1..events.len() - 1]
        .iter()
        .map(|e| {
            let call = &e["choices"][0]["delta"]["tool_calls"][0];
            assert_eq!(call["index"], 0);
            assert!(call.get("id").is_none());
            call["function"]["arguments"].as_str().unwrap()
        })
        .collect();
    assert!(fragments.len() > 1, "arguments arrive in several fragments");
    let args: Value = serde_json::from_str(&fragments.concat()).unwrap();
    assert_eq!(args, json!({"city": "mock", "days": 1}));
    let last = &events[events.len() - 1]["choices"][0];
    assert_eq!(last["finish_reason"], "tool_calls");
    assert_eq!(last["delta"], json!({}));
}

#[tokio::test]
async fn identical_requests_give_identical_bytes() {
    let mock = mock().await;
    let mut body = user("same every time");
    let a = chat(&mock, &body).await.body;
    let b = chat(&mock, &body).await.body;
    assert_eq!(a, b);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let a = chat(&mock, &body).await.body;
    let b = chat(&mock, &body).await.body;
    assert_eq!(a, b);
}

#[tokio::test]
async fn chunk_count_is_honoured_even_for_short_replies() {
    let mock = mock().await;
    let mut body = user("hi");
    body["stream"] = json!(true);
    let reply = common::post(
        &mock,
        "/chat/completions",
        &body,
        &[("x-mock-chunks", "40")],
    )
    .await;
    let events = sse_json(&reply.body);
    assert_eq!(events.len(), 1 + 40 + 1);
    let content = streamed_content(&events);
    assert!(content.starts_with("Mock reply: hi mock"), "{content}");
}
