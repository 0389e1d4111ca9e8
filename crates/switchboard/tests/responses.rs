//! The Responses API front door: byte-for-byte passthrough to providers
//! that serve it, translation through chat for the others, and the request
//! log either way. (The official SDK's view is in
//! `tests/python/test_responses_sdk.py`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

fn config(mock: &MockServer) -> String {
    let host = format!("http://{}", mock.addr());
    format!(
        "model_list:
  - model_name: gpt
    litellm_params: {{model: openai/mock-gpt, api_base: {host}/v1, api_key: sk-upstream}}
  - model_name: groq
    litellm_params: {{model: groq/mock-gpt, api_base: {host}/v1, api_key: gsk-upstream}}
  - model_name: claude
    litellm_params: {{model: anthropic/claude-mock, api_base: {host}, api_key: sk-ant}}
"
    )
}

fn request(model: &str, stream: bool) -> Value {
    json!({"model": model, "input": "Tell me about the gateway", "instructions": "Be brief.", "stream": stream})
}

async fn log_rows(gateway: &Gateway, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows: Vec<Value> = client()
            .get(gateway.url("/spend/logs"))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if rows.len() >= count {
            return rows;
        }
        assert!(Instant::now() < deadline, "{rows:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_provider_that_serves_responses_gets_the_request_untouched() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    for stream in [false, true] {
        let response = post(&gateway, "/v1/responses", &request("gpt", stream)).await;
        assert_eq!(response.status(), 200);
        let through = response.bytes().await.unwrap();
        let direct = post_direct(&mock, "/responses", &request("mock-gpt", stream)).await;
        assert_eq!(
            String::from_utf8_lossy(&through),
            String::from_utf8_lossy(&direct),
            "stream: {stream}"
        );
    }
    // The upstream saw the client's body with only the model replaced (no
    // `stream_options`: the Responses API rejects it).
    let sent = mock
        .requests()
        .into_iter()
        .find(|r| {
            r.path == "/v1/responses" && r.header("authorization") == Some("Bearer sk-upstream")
        })
        .unwrap();
    let mut expected = request("mock-gpt", false);
    expected["stream"] = json!(false);
    assert_eq!(sent.body_json().unwrap(), expected);

    // Usage is read from both answers.
    for row in log_rows(&gateway, 2).await {
        assert_eq!(row["call_type"], "responses");
        assert!(row["prompt_tokens"].as_u64().unwrap() > 0, "{row}");
        assert!(row["completion_tokens"].as_u64().unwrap() > 0, "{row}");
    }
}

#[tokio::test]
async fn other_providers_are_translated_through_chat() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    for (model, upstream_path) in [("groq", "/v1/chat/completions"), ("claude", "/v1/messages")] {
        mock.clear_requests();
        let response: Value = post(&gateway, "/v1/responses", &request(model, false))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(response["object"], "response", "{response}");
        assert_eq!(response["status"], "completed");
        assert_eq!(
            response["instructions"], "Be brief.",
            "the request is echoed"
        );
        let text = response["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap();
        assert!(text.contains("gateway"), "{text}");
        let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, [upstream_path], "{model}");

        let stream = post(&gateway, "/v1/responses", &request(model, true))
            .await
            .text()
            .await
            .unwrap();
        let events: Vec<&str> = stream
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .collect();
        assert_eq!(events.first(), Some(&"response.created"), "{stream}");
        assert_eq!(events.last(), Some(&"response.completed"), "{stream}");
        assert!(events.contains(&"response.output_text.delta"), "{stream}");
    }
    for row in log_rows(&gateway, 4).await {
        assert_eq!(row["call_type"], "responses");
        assert!(row["completion_tokens"].as_u64().unwrap() > 0, "{row}");
    }
}

#[tokio::test]
async fn errors_are_in_openai_shape() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let response = post(&gateway, "/v1/responses", &json!({"model": "claude"})).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "input", "{body}");
    let response = post(
        &gateway,
        "/v1/responses",
        &json!({"model": "claude", "input": "hi", "previous_response_id": "resp_1"}),
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("previous_response_id"),
        "{body}"
    );
}
