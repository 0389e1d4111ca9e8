//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use serde_json::Value;
use switchboard_mock::{MockConfig, MockServer};

pub const CREATED: u64 = 1_700_000_123;

/// A mock with deterministic `created` values.
pub async fn mock() -> MockServer {
    mock_with(MockConfig::default()).await
}

/// A mock that requires `key` (in each provider's style).
pub async fn mock_with_key(key: &str) -> MockServer {
    mock_with(MockConfig {
        api_key: Some(key.to_owned()),
        ..MockConfig::default()
    })
    .await
}

pub async fn mock_with(config: MockConfig) -> MockServer {
    switchboard_mock::spawn(MockConfig {
        fixed_created: Some(CREATED),
        ..config
    })
    .await
    .expect("mock starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// POSTs `body` to `base_url + path` (under `/v1`) with extra headers.
pub async fn post(mock: &MockServer, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    post_root(mock, &format!("/v1{path}"), body, headers).await
}

pub async fn chat(mock: &MockServer, body: &Value) -> Reply {
    post(mock, "/chat/completions", body, &[]).await
}

/// The `data:` payloads of an SSE body, in order (including `[DONE]`).
pub fn sse_data(body: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(body).expect("UTF-8 stream");
    assert!(
        text.ends_with("\n\n") || text.is_empty(),
        "events end with a blank line"
    );
    text.split_terminator("\n\n")
        .map(|event| {
            event
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not a data event: {event:?}"))
                .to_owned()
        })
        .collect()
}

/// The JSON events of an SSE body, checking it ends with exactly one `[DONE]`.
pub fn sse_json(body: &[u8]) -> Vec<Value> {
    let mut data = sse_data(body);
    assert_eq!(
        data.pop().as_deref(),
        Some("[DONE]"),
        "stream ends with [DONE]"
    );
    data.iter()
        .map(|d| serde_json::from_str(d).expect("event is JSON"))
        .collect()
}

/// Concatenated `delta.content` of a chat stream's events.
pub fn streamed_content(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect()
}

pub fn user(text: &str) -> Value {
    serde_json::json!({"model": "mock-gpt", "messages": [{"role": "user", "content": text}]})
}

/// POSTs `body` to `http://HOST:PORT` + `path` (not under `/v1`) with extra headers.
pub async fn post_root(
    mock: &MockServer,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = client()
        .post(format!("http://{}{path}", mock.addr()))
        .json(body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.expect("request sent");
    Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.expect("body read"),
    }
}

/// Named server-sent events (`event: NAME\ndata: JSON\n\n`), checking that each event's data
/// names the same type when it has a `type` field.
pub fn named_events(body: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(body).expect("UTF-8 stream");
    assert!(
        text.ends_with("\n\n"),
        "events end with a blank line: {text:?}"
    );
    text.split_terminator("\n\n")
        .map(|event| {
            let (name, data) = event
                .strip_prefix("event: ")
                .and_then(|e| e.split_once("\ndata: "))
                .unwrap_or_else(|| panic!("not a named event: {event:?}"));
            let data: Value = serde_json::from_str(data).expect("event data is JSON");
            if let Some(kind) = data.get("type").and_then(Value::as_str) {
                assert_eq!(kind, name, "event name and data type agree");
            }
            (name.to_owned(), data)
        })
        .collect()
}

/// The event names of a named-event stream.
pub fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

/// Reads a response body until it ends or fails; returns the bytes and whether it failed.
pub async fn read_until_error(mut resp: reqwest::Response) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return (body, false),
            Err(_) => return (body, true),
        }
    }
}

/// Two tools with JSON-schema parameters (OpenAI, Anthropic and Cohere spell them alike).
pub fn weather_schema() -> Value {
    serde_json::json!({
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"]
    })
}

pub fn time_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {"utc": {"type": "boolean"}}})
}
