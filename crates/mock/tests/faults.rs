//! Error injection, pacing, cuts, completion tracking, auth and the control endpoints.

// Helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{
    chat, client, mock, mock_with, mock_with_key, post, read_until_error, sse_json, user,
};
use serde_json::{Value, json};
use switchboard_mock::{Fault, MockConfig};

fn error_of(body: &Value) -> &Value {
    &body["error"]
}

#[tokio::test]
async fn queued_faults_are_consumed_in_order() {
    let mock = mock().await;
    mock.push_fault(Fault {
        status: Some(503),
        ..Fault::default()
    });
    mock.push_fault(Fault {
        status: Some(429),
        retry_after: Some(7),
        ..Fault::default()
    });
    let first = chat(&mock, &user("a")).await;
    assert_eq!(first.status, 503);
    assert_eq!(
        first.text(),
        r#"{"error":{"message":"mock injected error","type":"server_error","param":null,"code":null}}"#
    );
    let second = chat(&mock, &user("a")).await;
    assert_eq!(second.status, 429);
    assert_eq!(second.header("retry-after"), Some("7"));
    let err = second.json();
    assert_eq!(error_of(&err)["type"], "requests");
    assert_eq!(error_of(&err)["code"], "rate_limit_exceeded");
    assert_eq!(chat(&mock, &user("a")).await.status, 200);
}

#[tokio::test]
async fn faults_can_be_queued_over_http() {
    let mock = mock().await;
    let url = format!("http://{}/__mock/faults", mock.addr());
    let resp = client()
        .post(&url)
        .json(&json!({"status": 500, "count": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), r#"{"queued":2}"#);
    assert_eq!(chat(&mock, &user("a")).await.status, 500);
    // Faults apply to inference endpoints only; a model listing does not consume one.
    let models = client()
        .get(format!("{}/models", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);
    assert_eq!(chat(&mock, &user("a")).await.status, 500);
    assert_eq!(chat(&mock, &user("a")).await.status, 200);

    let bad = client()
        .post(&url)
        .json(&json!({"stauts": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn header_and_directive_faults() {
    let mock = mock().await;
    let reply = post(
        &mock,
        "/chat/completions",
        &user("a"),
        &[("x-mock-status", "400")],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(error_of(&reply.json())["type"], "invalid_request_error");
    let reply = post(
        &mock,
        "/chat/completions",
        &user("a"),
        &[("x-mock-status", "401")],
    )
    .await;
    assert_eq!(error_of(&reply.json())["code"], "invalid_api_key");

    let reply = chat(&mock, &user("please fail [mock:status=502,retry-after=3]")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("retry-after"), Some("3"));
    // The directive is read from the last user message only.
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": "[mock:status=500]"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "fine now"}
    ]});
    assert_eq!(chat(&mock, &body).await.status, 200);

    // Priority: queued fault > header > directive.
    mock.push_fault(Fault {
        status: Some(504),
        ..Fault::default()
    });
    let body = user("[mock:status=500]");
    let reply = post(
        &mock,
        "/chat/completions",
        &body,
        &[("x-mock-status", "503")],
    )
    .await;
    assert_eq!(reply.status, 504);
    let reply = post(
        &mock,
        "/chat/completions",
        &body,
        &[("x-mock-status", "503")],
    )
    .await;
    assert_eq!(reply.status, 503);
    assert_eq!(chat(&mock, &body).await.status, 500);
}

#[tokio::test]
async fn latency_first_byte_and_pacing() {
    let mock = mock().await;
    let start = Instant::now();
    let reply = post(
        &mock,
        "/chat/completions",
        &user("a"),
        &[("x-mock-latency-ms", "150")],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));

    // Slow first byte: headers come first, the first event 300 ms later.
    let mut body = user("a [mock:first-byte-ms=300]");
    body["stream"] = json!(true);
    let start = Instant::now();
    let mut resp = client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let headers_at = start.elapsed();
    resp.chunk().await.unwrap().unwrap();
    let first_event_at = start.elapsed();
    assert!(
        first_event_at - headers_at >= Duration::from_millis(250),
        "headers at {headers_at:?}, first event at {first_event_at:?}"
    );

    // Pacing: 3 content events + finish + [DONE] after the role event, 60 ms apart.
    let start = Instant::now();
    let reply = post(
        &mock,
        "/chat/completions",
        &body_stream("a"),
        &[("x-mock-chunks", "3"), ("x-mock-chunk-delay-ms", "60")],
    )
    .await;
    assert_eq!(sse_json(&reply.body).len(), 5);
    assert!(start.elapsed() >= Duration::from_millis(5 * 60 - 20));
}

fn body_stream(text: &str) -> Value {
    let mut body = user(text);
    body["stream"] = json!(true);
    body
}

#[tokio::test]
async fn cut_stream_ends_without_done() {
    let mock = mock().await;
    let resp = client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .header("x-mock-cut-after", "2")
        .json(&body_stream("cut me"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (body, failed) = read_until_error(resp).await;
    assert!(failed, "the connection is aborted, not ended cleanly");
    let text = String::from_utf8(body).unwrap();
    assert_eq!(
        text.matches("data: ").count(),
        3,
        "role + 2 content events: {text}"
    );
    assert!(!text.contains("[DONE]"));
    let recorded = mock.requests();
    assert!(!recorded[0].completed);

    // Non-stream: headers and half of the body, then an abort.
    let resp = client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .json(&user("cut me [mock:cut-after=0]"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let declared: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (body, failed) = read_until_error(resp).await;
    assert!(failed);
    assert!(body.len() < declared);
    assert!(!mock.requests()[1].completed);
}

#[tokio::test]
async fn completed_stays_false_when_the_client_leaves_early() {
    let mock = mock_with(MockConfig {
        chunks: 20,
        chunk_delay: Duration::from_millis(50),
        ..MockConfig::default()
    })
    .await;
    let mut resp = client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .json(&body_stream("slow"))
        .send()
        .await
        .unwrap();
    resp.chunk().await.unwrap().unwrap();
    // Visible while still streaming.
    assert_eq!(mock.requests().len(), 1);
    drop(resp);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let recorded = &mock.requests()[0];
    assert!(!recorded.completed);
    assert!(recorded.response_bytes > 0);

    // A stream read to the end is marked completed, with every byte counted.
    mock.clear_requests();
    let reply = post(
        &mock,
        "/chat/completions",
        &body_stream("fast"),
        &[("x-mock-chunk-delay-ms", "0")],
    )
    .await;
    let recorded = &mock.requests()[0];
    assert!(recorded.completed);
    assert_eq!(recorded.response_bytes, reply.body.len());
}

#[tokio::test]
async fn api_key_is_enforced() {
    let mock = mock_with_key("sk-test").await;
    let url = format!("{}/chat/completions", mock.base_url());
    let missing = client().post(&url).json(&user("a")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let err: Value = missing.json().await.unwrap();
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert_eq!(err["error"]["code"], Value::Null);
    let wrong = client()
        .post(&url)
        .bearer_auth("nope")
        .json(&user("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let err: Value = wrong.json().await.unwrap();
    assert_eq!(err["error"]["code"], "invalid_api_key");
    let ok = client()
        .post(&url)
        .bearer_auth("sk-test")
        .json(&user("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    // Azure deployment paths take the key in `api-key`.
    let azure = format!(
        "http://{}/openai/deployments/dep1/chat/completions?api-version=2024-10-21",
        mock.addr()
    );
    let bearer = client()
        .post(&azure)
        .bearer_auth("sk-test")
        .json(&user("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
    let ok = client()
        .post(&azure)
        .header("api-key", "sk-test")
        .json(&user("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn requests_are_recorded_and_served_over_http() {
    let mock = mock().await;
    post(
        &mock,
        "/chat/completions",
        &user("record me"),
        &[("x-trace", "t1")],
    )
    .await;
    let recorded = mock.requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.query, None);
    assert_eq!(r.header("X-Trace"), Some("t1"));
    assert_eq!(
        r.body_json().unwrap()["messages"][0]["content"],
        "record me"
    );
    assert!(r.completed);

    let url = format!("http://{}/__mock/requests", mock.addr());
    let listed: Value = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["path"], "/v1/chat/completions");
    let body: Value = serde_json::from_str(listed[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["messages"][0]["content"], "record me");
    assert_eq!(listed[0]["completed"], true);

    let cleared = client().delete(&url).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(mock.requests().is_empty());
    mock.shutdown().await;
}
