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

/// POSTs `body` to `base_url + path` with extra headers and returns the whole response.
pub async fn post(mock: &MockServer, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    let mut req = client()
        .post(format!("{}{path}", mock.base_url()))
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
