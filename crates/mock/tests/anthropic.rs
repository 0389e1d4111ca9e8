//! Anthropic Messages: exact shapes, the event stream, tools, thinking, errors, auth.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{
    Reply, client, mock, mock_with_key, named_events, names, post_root, read_until_error,
    time_schema, weather_schema,
};
use serde_json::{Value, json};
use switchboard_mock::MockServer;

const VERSION: (&str, &str) = ("anthropic-version", "2023-06-01");

async fn messages(mock: &MockServer, body: &Value, headers: &[(&str, &str)]) -> Reply {
    let mut all = vec![VERSION];
    all.extend_from_slice(headers);
    post_root(mock, "/v1/messages", body, &all).await
}

fn ask(text: &str) -> Value {
    json!({"model": "claude-x", "max_tokens": 100, "messages": [{"role": "user", "content": text}]})
}

fn tools() -> Value {
    json!([
        {"name": "get_weather", "description": "Weather", "input_schema": weather_schema()},
        {"name": "get_time", "input_schema": time_schema()},
        {"type": "web_search_20250305", "name": "web_search"}
    ])
}

#[tokio::test]
async fn non_stream_message_has_anthropic_bytes() {
    let mock = mock().await;
    let mut body = ask("Hello there");
    body["system"] = json!([{"type": "text", "text": "Be brief."}]);
    let reply = messages(&mock, &body, &[]).await;
    assert_eq!(reply.status, 200);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("msg_"));
    // prompt: 9 + 11 chars -> 5 tokens; reply in the default 8 pieces.
    assert_eq!(
        reply.text(),
        format!(
            r#"{{"id":"{id}","type":"message","role":"assistant","model":"claude-x","content":[{{"type":"text","text":"Mock reply: Hello there"}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":8}}}}"#
        )
    );
    // Identical requests, identical bytes.
    assert_eq!(messages(&mock, &body, &[]).await.body, reply.body);

    // Truncation by max_tokens.
    body["max_tokens"] = json!(3);
    let v = messages(&mock, &body, &[]).await.json();
    assert_eq!(v["stop_reason"], "max_tokens");
    assert_eq!(v["usage"]["output_tokens"], 3);
}

#[tokio::test]
async fn stream_follows_the_documented_event_flow() {
    let mock = mock().await;
    let mut body = ask("Hello there");
    body["stream"] = json!(true);
    let reply = messages(&mock, &body, &[]).await;
    assert_eq!(
        reply.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let events = named_events(&reply.body);
    let mut expected = vec!["message_start", "content_block_start", "ping"];
    expected.extend(["content_block_delta"; 8]);
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names(&events), expected);
    let start = &events[0].1["message"];
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["stop_reason"], Value::Null);
    assert_eq!(start["usage"]["input_tokens"], 3);
    assert_eq!(
        events[1].1,
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    );
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, e)| {
            assert_eq!(e["delta"]["type"], "text_delta");
            e["delta"]["text"].as_str().unwrap()
        })
        .collect();
    assert_eq!(text, "Mock reply: Hello there");
    assert_eq!(
        events[12].1,
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 8}})
    );
    assert_eq!(
        messages(&mock, &body, &[]).await.body,
        reply.body,
        "deterministic"
    );
}

#[tokio::test]
async fn tool_use_blocks_and_streamed_input_json() {
    let mock = mock().await;
    let mut body = ask("weather in Paris?");
    body["tools"] = tools();
    let v = messages(&mock, &body, &[]).await.json();
    assert_eq!(v["stop_reason"], "tool_use");
    let content = v["content"].as_array().unwrap();
    assert_eq!(content.len(), 1);
    assert_eq!(content[0]["type"], "tool_use");
    assert!(content[0]["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(content[0]["name"], "get_weather");
    assert_eq!(content[0]["input"], json!({"city": "mock", "days": 1}));

    // Parallel calls when asked, unless disabled; a forced tool by name.
    body["messages"][0]["content"] = json!("both [mock:parallel]");
    let v = messages(&mock, &body, &[]).await.json();
    let called: Vec<&str> = v["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(called, ["get_weather", "get_time"]);
    body["tool_choice"] = json!({"type": "auto", "disable_parallel_tool_use": true});
    assert_eq!(
        messages(&mock, &body, &[]).await.json()["content"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    body["tool_choice"] = json!({"type": "tool", "name": "get_time"});
    assert_eq!(
        messages(&mock, &body, &[]).await.json()["content"][0]["input"],
        json!({"utc": true})
    );

    // Streamed: an empty first fragment, then fragments that join into the input.
    body["tool_choice"] = json!({"type": "any"});
    body["messages"][0]["content"] = json!("weather?");
    body["stream"] = json!(true);
    let events = named_events(&messages(&mock, &body, &[]).await.body);
    let block = &events[1].1["content_block"];
    assert_eq!(block["type"], "tool_use");
    assert_eq!(block["input"], json!({}));
    let fragments: Vec<&str> = events
        .iter()
        .filter(|(n, e)| n == "content_block_delta" && e["delta"]["type"] == "input_json_delta")
        .map(|(_, e)| e["delta"]["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(fragments[0], "");
    assert!(fragments.len() > 2);
    let input: Value = serde_json::from_str(&fragments.concat()).unwrap();
    assert_eq!(input, json!({"city": "mock", "days": 1}));
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");

    // After a tool_result the answer is text.
    body["stream"] = json!(false);
    body["messages"] = json!([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "sunny"}]}]}
    ]);
    let v = messages(&mock, &body, &[]).await.json();
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["content"][0]["text"], "Tool result received: sunny");
}

#[tokio::test]
async fn thinking_comes_first_with_a_signature() {
    let mock = mock().await;
    let mut body = ask("think");
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let v = messages(&mock, &body, &[]).await.json();
    assert_eq!(v["content"][0]["type"], "thinking");
    assert!(
        v["content"][0]["thinking"]
            .as_str()
            .unwrap()
            .starts_with("Thinking about: think")
    );
    let signature = v["content"][0]["signature"].as_str().unwrap().to_owned();
    assert!(!signature.is_empty());
    assert_eq!(v["content"][1]["type"], "text");
    assert_eq!(v["usage"]["output_tokens"], 16);

    body["stream"] = json!(true);
    let events = named_events(&messages(&mock, &body, &[]).await.body);
    let deltas: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, e)| e["delta"]["type"].as_str().unwrap())
        .collect();
    let mut expected = vec!["thinking_delta"; 8];
    expected.push("signature_delta");
    expected.extend(["text_delta"; 8]);
    assert_eq!(deltas, expected);
    let sig = events
        .iter()
        .find(|(_, e)| e["delta"]["type"] == "signature_delta")
        .unwrap();
    assert_eq!(sig.1["delta"]["signature"], signature.as_str());
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "thinking", "thinking": ""})
    );
}

#[tokio::test]
async fn errors_take_anthropics_shape() {
    let mock = mock().await;
    let reply = post_root(&mock, "/v1/messages", &ask("hi"), &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"}}"#
    );
    let no_max = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let reply = messages(&mock, &no_max, &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["error"]["message"],
        "max_tokens: Field required"
    );

    let reply = messages(&mock, &ask("hi"), &[("x-mock-status", "529")]).await;
    assert_eq!(reply.status, 529);
    assert_eq!(reply.json()["error"]["type"], "overloaded_error");
    let reply = messages(&mock, &ask("hi [mock:status=429,retry-after=2]"), &[]).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert_eq!(
        reply.json(),
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "mock injected error"}})
    );

    // Mid-stream: two text deltas, then `event: error` and the end of the stream.
    let mut body = ask("hi");
    body["stream"] = json!(true);
    let reply = messages(&mock, &body, &[("x-mock-error-after", "2")]).await;
    assert_eq!(reply.status, 200);
    let events = named_events(&reply.body);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "error"
        ]
    );
    assert_eq!(events[5].1["error"]["type"], "overloaded_error");

    let reply = post_root(&mock, "/v1/messages/batches", &json!({}), &[VERSION]).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["type"], "not_found_error");
}

#[tokio::test]
async fn api_key_goes_in_x_api_key() {
    let mock = mock_with_key("sk-ant").await;
    let missing = messages(&mock, &ask("hi"), &[]).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["error"]["type"], "authentication_error");
    let bearer = messages(&mock, &ask("hi"), &[("authorization", "Bearer sk-ant")]).await;
    assert_eq!(bearer.status, 401);
    assert_eq!(
        bearer.json()["error"]["message"],
        "x-api-key header is required"
    );
    let wrong = messages(&mock, &ask("hi"), &[("x-api-key", "nope")]).await;
    assert_eq!(wrong.json()["error"]["message"], "invalid x-api-key");
    assert_eq!(
        messages(&mock, &ask("hi"), &[("x-api-key", "sk-ant")])
            .await
            .status,
        200
    );
    let recorded = mock.requests();
    assert_eq!(recorded.len(), 4);
    assert_eq!(recorded[3].header("x-api-key"), Some("sk-ant"));
}

#[tokio::test]
async fn count_tokens_and_cut_streams() {
    let mock = mock().await;
    let body = json!({"model": "m", "system": "Be brief.", "messages": [{"role": "user", "content": "Hello there"}]});
    let reply = post_root(&mock, "/v1/messages/count_tokens", &body, &[VERSION]).await;
    assert_eq!(reply.text(), r#"{"input_tokens":5}"#);

    // A cut after two text deltas: the connection is aborted, nothing after them arrives.
    let mut body = ask("cut");
    body["stream"] = json!(true);
    let resp = client()
        .post(format!("http://{}/v1/messages", mock.addr()))
        .header(VERSION.0, VERSION.1)
        .header("x-mock-cut-after", "2")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (body, failed) = read_until_error(resp).await;
    assert!(failed);
    let events = named_events(&body);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta"
        ]
    );
    assert!(!mock.requests()[1].completed);
}
