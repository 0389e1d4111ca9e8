//! Bad input and upstream failures: clear OpenAI-shaped errors with the
//! right status, nothing swallowed, nothing hanging.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(body["error"]["type"].is_string(), "{body}");
    (status, body)
}

async fn raw(gateway: &Gateway, body: &'static str, key: Option<&str>) -> reqwest::Response {
    let mut request = client()
        .post(gateway.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn bad_requests_get_400_401_404() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));

    let (status, body) = error_of(raw(&gateway, "{\"model\": ", Some(MASTER_KEY)).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );

    let (status, body) =
        error_of(raw(&gateway, "{\"messages\": []}", Some(MASTER_KEY)).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "model");

    let (status, body) =
        error_of(raw(&gateway, "{\"model\": \"gpt\"}", Some(MASTER_KEY)).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "messages");

    let (status, body) = error_of(raw(&gateway, "{}", None).await).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Missing API key")
    );

    let (status, body) = error_of(raw(&gateway, "{}", Some("sk-wrong")).await).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_api_key");

    let (status, body) = error_of(
        raw(
            &gateway,
            "{\"model\":\"nope\",\"messages\":[]}",
            Some(MASTER_KEY),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "model_not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("GET /v1/models")
    );

    let response = client()
        .post(gateway.url("/v1/nothing-here"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    let (status, _) = error_of(response).await;
    assert_eq!(status, 404);

    // Nothing reached the upstream.
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn oversized_body_gets_413() {
    let mock = mock().await;
    let config = format!(
        "{}general_settings:\n  master_key: {MASTER_KEY}\n  max_request_size_mb: 0.01\n",
        mock_config(&mock)
    );
    let gateway = start(&config);
    let big = "x".repeat(20_000);
    let body = json!({"model": "gpt", "messages": [{"role": "user", "content": big}]});
    let (status, body) = error_of(post(&gateway, "/v1/chat/completions", &body).await).await;
    assert_eq!(status, 413);
    assert!(body["error"]["message"].as_str().unwrap().contains("limit"));

    // Also without a Content-Length header (chunked upload).
    let chunks = vec![Ok::<_, std::io::Error>(bytes::Bytes::from(vec![
        b' ';
        20_000
    ]))];
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn upstream_errors_are_relayed_with_status_and_retry_after() {
    let mock = mock().await;
    let gateway = start(&without_retries(&mock_config(&mock)));
    let body = json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]});

    mock.push_fault(Fault {
        status: Some(429),
        retry_after: Some(7),
        ..Fault::default()
    });
    let response = post(&gateway, "/v1/chat/completions", &body).await;
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, error) = error_of(response).await;
    assert_eq!(status, 429);
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");

    mock.push_fault(Fault {
        status: Some(500),
        ..Fault::default()
    });
    let (status, _) = error_of(post(&gateway, "/v1/chat/completions", &body).await).await;
    assert_eq!(status, 500);

    mock.push_fault(Fault {
        status: Some(400),
        ..Fault::default()
    });
    let (status, _) = error_of(post(&gateway, "/v1/chat/completions", &body).await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/x\n      api_base: http://127.0.0.1:{port}/v1\n"
    );
    let gateway = start(&config);
    let body = json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]});
    let (status, error) = error_of(post(&gateway, "/v1/chat/completions", &body).await).await;
    assert_eq!(status, 502);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not connect"),
        "{error}"
    );
}

#[tokio::test]
async fn slow_upstream_is_504() {
    let mock = mock().await;
    let config = format!("{}      timeout: 0.3\n", mock_config(&mock));
    let gateway = start(&without_retries(&config));
    mock.push_fault(Fault {
        latency_ms: Some(3_000),
        ..Fault::default()
    });
    let body = json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]});
    let started = std::time::Instant::now();
    let (status, error) = error_of(post(&gateway, "/v1/chat/completions", &body).await).await;
    assert_eq!(status, 504);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("0.3 s")
    );
}

#[tokio::test]
async fn stream_cut_midway_ends_with_an_error_event() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    mock.push_fault(Fault {
        cut_after: Some(2),
        ..Fault::default()
    });
    let body =
        json!({"model": "gpt", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let response = post(&gateway, "/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let last = text.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("data: {\"error\":"), "{text}");
    assert!(!text.contains("[DONE]"));
}
