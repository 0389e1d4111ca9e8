//! Cohere v2: chat (non-stream and named events), tools, embed, rerank, errors and auth.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{mock, mock_with_key, named_events, names, post_root, time_schema, weather_schema};
use serde_json::{Value, json};

fn ask(text: &str) -> Value {
    json!({"model": "command-x", "messages": [{"role": "user", "content": text}]})
}

fn tools() -> Value {
    json!([
        {"type": "function", "function": {"name": "get_weather", "parameters": weather_schema()}},
        {"type": "function", "function": {"name": "get_time", "parameters": time_schema()}}
    ])
}

#[tokio::test]
async fn chat_shape_and_determinism() {
    let mock = mock().await;
    let reply = post_root(&mock, "/v2/chat", &ask("Hello there"), &[]).await;
    assert_eq!(reply.status, 200);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID-shaped id");
    assert_eq!(
        reply.text(),
        format!(
            r#"{{"id":"{id}","finish_reason":"COMPLETE","message":{{"role":"assistant","content":[{{"type":"text","text":"Mock reply: Hello there"}}]}},"usage":{{"billed_units":{{"input_tokens":3,"output_tokens":8}},"tokens":{{"input_tokens":3,"output_tokens":8}}}}}}"#
        )
    );
    assert_eq!(
        post_root(&mock, "/v2/chat", &ask("Hello there"), &[])
            .await
            .body,
        reply.body
    );
    let mut body = ask("Hello there");
    body["max_tokens"] = json!(2);
    let v = post_root(&mock, "/v2/chat", &body, &[]).await.json();
    assert_eq!(v["finish_reason"], "MAX_TOKENS");
}

#[tokio::test]
async fn chat_stream_events() {
    let mock = mock().await;
    let mut body = ask("Hello there");
    body["stream"] = json!(true);
    let reply = post_root(&mock, "/v2/chat", &body, &[]).await;
    let events = named_events(&reply.body);
    let mut expected = vec!["message-start", "content-start"];
    expected.extend(["content-delta"; 8]);
    expected.extend(["content-end", "message-end"]);
    assert_eq!(names(&events), expected);
    assert_eq!(
        events[0].1["delta"],
        json!({"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}})
    );
    assert!(events[0].1["id"].is_string());
    assert_eq!(
        events[1].1,
        json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}})
    );
    let text: String = events[2..10]
        .iter()
        .map(|(_, e)| e["delta"]["message"]["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Mock reply: Hello there");
    let end = &events[11].1["delta"];
    assert_eq!(end["finish_reason"], "COMPLETE");
    assert_eq!(end["usage"]["tokens"]["output_tokens"], 8);
}

#[tokio::test]
async fn tool_calls_with_a_plan() {
    let mock = mock().await;
    let mut body = ask("weather?");
    body["tools"] = tools();
    let v = post_root(&mock, "/v2/chat", &body, &[]).await.json();
    assert_eq!(v["finish_reason"], "TOOL_CALL");
    assert_eq!(v["message"]["tool_plan"], "I will call get_weather.");
    let call = &v["message"]["tool_calls"][0];
    assert!(call["id"].as_str().unwrap().starts_with("get_weather_"));
    assert_eq!(call["type"], "function");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"city": "mock", "days": 1}));

    body["stream"] = json!(true);
    let events = named_events(
        &post_root(&mock, "/v2/chat", &body, &[("x-mock-parallel", "true")])
            .await
            .body,
    );
    let kinds = names(&events);
    assert_eq!(
        kinds[..3],
        ["message-start", "tool-plan-delta", "tool-call-start"]
    );
    assert_eq!(kinds.iter().filter(|k| **k == "tool-call-start").count(), 2);
    assert_eq!(kinds.last(), Some(&"message-end"));
    let start = &events[2].1;
    assert_eq!(start["index"], 0);
    assert_eq!(
        start["delta"]["message"]["tool_calls"]["function"],
        json!({"name": "get_weather", "arguments": ""})
    );
    let args: String = events
        .iter()
        .filter(|(n, e)| n == "tool-call-delta" && e["index"] == 0)
        .map(|(_, e)| {
            e["delta"]["message"]["tool_calls"]["function"]["arguments"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"city": "mock", "days": 1})
    );
    assert_eq!(
        events.last().unwrap().1["delta"]["finish_reason"],
        "TOOL_CALL"
    );

    body["stream"] = json!(false);
    body["messages"] = json!([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "tool_plan": "I will", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "document", "document": {"data": "sunny"}}]}
    ]);
    let v = post_root(&mock, "/v2/chat", &body, &[]).await.json();
    assert_eq!(v["finish_reason"], "COMPLETE");
    assert_eq!(
        v["message"]["content"][0]["text"],
        r#"Tool result received: {"data":"sunny"}"#
    );
}

#[tokio::test]
async fn errors_and_auth() {
    let mock = mock_with_key("co-key").await;
    let missing = post_root(&mock, "/v2/chat", &ask("hi"), &[]).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["message"], "no api key supplied");
    let wrong = post_root(
        &mock,
        "/v2/chat",
        &ask("hi"),
        &[("authorization", "Bearer nope")],
    )
    .await;
    assert_eq!(wrong.json()["message"], "invalid api token");
    let key = ("authorization", "Bearer co-key");
    let reply = post_root(
        &mock,
        "/v2/chat",
        &ask("hi"),
        &[key, ("x-mock-status", "429")],
    )
    .await;
    assert_eq!(reply.status, 429);
    let v = reply.json();
    assert_eq!(v["message"], "mock injected error");
    assert!(v["id"].is_string());
    let reply = post_root(&mock, "/v2/chat", &json!({"messages": []}), &[key]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["message"],
        "invalid request: model is required"
    );

    // Latency applies before the answer.
    let start = Instant::now();
    let reply = post_root(
        &mock,
        "/v2/chat",
        &ask("slow [mock:latency-ms=120]"),
        &[key],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn embed_and_rerank() {
    let mock = mock().await;
    let body = json!({"model": "embed-x", "texts": ["hello", "world"], "input_type": "search_document", "embedding_types": ["float"]});
    let v = post_root(&mock, "/v2/embed", &body, &[]).await.json();
    assert_eq!(v["response_type"], "embeddings_by_type");
    assert_eq!(v["embeddings"]["float"].as_array().unwrap().len(), 2);
    assert_eq!(v["texts"], json!(["hello", "world"]));
    assert_eq!(v["meta"]["api_version"]["version"], "2");
    let reply = post_root(
        &mock,
        "/v2/embed",
        &json!({"model": "e", "texts": ["a"]}),
        &[],
    )
    .await;
    assert_eq!(reply.status, 400);

    let body = json!({"model": "rerank-x", "query": "capital of France", "top_n": 2,
        "documents": ["Bananas are yellow.", "Paris is the capital of France.", "France borders Spain."]});
    let reply = post_root(&mock, "/v2/rerank", &body, &[]).await;
    let v = reply.json();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["index"], 1);
    assert_eq!(results[1]["index"], 2);
    assert!(
        results[0]["relevance_score"].as_f64().unwrap()
            > results[1]["relevance_score"].as_f64().unwrap()
    );
    assert_eq!(v["meta"]["billed_units"]["search_units"], 1);
    assert_eq!(
        post_root(&mock, "/v2/rerank", &body, &[]).await.body,
        reply.body
    );
}
