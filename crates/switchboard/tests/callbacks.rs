//! Callbacks (`litellm_settings.callbacks`, `success_callback`,
//! `failure_callback`, `callback_settings`): a webhook receiver and a JSONL
//! file get every request's record in LiteLLM's payload shape; a dead
//! webhook slows nothing and counts its drops; SIGTERM delivers what is
//! queued.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use serde_json::{Value, json};

/// What the receiver got: (path, authorization header, records).
type Received = Arc<Mutex<Vec<(String, Option<String>, Value)>>>;

async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    async fn hook(State(r): State<Received>, headers: HeaderMap, body: String) -> StatusCode {
        let auth = headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        let records: Vec<Value> = match serde_json::from_str::<Value>(&body) {
            Ok(Value::Array(items)) => items,
            // ndjson
            _ => body
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        };
        for record in records {
            r.lock()
                .unwrap()
                .push(("hook".into(), auth.clone(), record));
        }
        StatusCode::OK
    }
    async fn failures(State(r): State<Received>, body: String) -> StatusCode {
        for line in body.lines() {
            r.lock()
                .unwrap()
                .push(("failures".into(), None, serde_json::from_str(line).unwrap()));
        }
        StatusCode::OK
    }
    async fn dead() -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/failures", post(failures))
        .route("/dead", post(dead))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received)
}

fn config(mock: &switchboard_mock::MockServer, hooks: &str, file: &std::path::Path) -> String {
    format!(
        "{}litellm_settings:
  callbacks: [hook, file, dead, langfuse]
  failure_callback: [failures]
callback_settings:
  hook:
    callback_type: generic_api
    endpoint: {hooks}/hook
    headers:
      Authorization: Bearer hook-secret
  failures:
    callback_type: generic_api
    endpoint: {hooks}/failures
    log_format: ndjson
  dead:
    callback_type: generic_api
    endpoint: {hooks}/dead
  file:
    callback_type: jsonl
    path: {}
",
        mock_config(mock),
        file.display()
    )
}

async fn chat(gateway: &Gateway, id: &str, model: &str, stream: bool) -> u16 {
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", id)
        .json(&json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hello hook"}]}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    response.bytes().await.unwrap();
    status
}

fn by_path(received: &Received, path: &str) -> Vec<(Option<String>, Value)> {
    received
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _, _)| p == path)
        .map(|(_, auth, record)| (auth.clone(), record.clone()))
        .collect()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn records_reach_webhooks_and_files_and_a_dead_hook_costs_nothing() {
    let mock = mock().await;
    let (hooks, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.jsonl");
    let gateway = start(&config(&mock, &hooks, &file));
    let banner = gateway.banner.join("\n");
    assert!(
        banner.contains("callback `langfuse`: not supported"),
        "{banner}"
    );

    assert_eq!(chat(&gateway, "cb-1", "gpt", false).await, 200);
    assert_eq!(chat(&gateway, "cb-2", "gpt", true).await, 200);
    assert_eq!(chat(&gateway, "cb-3", "no-such-model", false).await, 404);

    wait_until("the hook's records", || {
        by_path(&received, "hook").len() == 3
    })
    .await;
    let hook = by_path(&received, "hook");
    assert!(
        hook.iter()
            .all(|(auth, _)| auth.as_deref() == Some("Bearer hook-secret"))
    );
    let record = |id: &str| hook.iter().find(|(_, r)| r["id"] == id).unwrap().1.clone();
    let plain = record("cb-1");
    assert_eq!(plain["status"], "success");
    assert_eq!(plain["model_group"], "gpt");
    assert_eq!(plain["model"], "mock-gpt");
    assert_eq!(plain["custom_llm_provider"], "openai");
    assert_eq!(plain["completion_tokens"], 8);
    assert_eq!(plain["messages"][0]["content"], "hello hook");
    assert!(plain["response"]["choices"].is_array(), "{plain}");
    assert_eq!(record("cb-2")["stream"], true);
    let failed = record("cb-3");
    assert_eq!(failed["status"], "failure");
    assert_eq!(failed["error_information"]["error_code"], "404");

    // The failure callback gets the failure only.
    wait_until("the failure hook", || {
        !by_path(&received, "failures").is_empty()
    })
    .await;
    let failures = by_path(&received, "failures");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].1["id"], "cb-3");

    // The file has one line per record.
    wait_until("the file", || {
        std::fs::read_to_string(&file).is_ok_and(|t| t.lines().count() == 3)
    })
    .await;
    let text = std::fs::read_to_string(&file).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&"cb-1".to_string()) && ids.contains(&"cb-3".to_string()));

    // The dead hook: its records are dropped after retries, counted.
    let metrics = || async {
        client()
            .get(gateway.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = metrics().await;
        let dropped = text
            .lines()
            .find(|l| {
                l.starts_with(
                    "switchboard_callback_records_total{callback=\"dead\",outcome=\"dropped\"}",
                )
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if dropped == 3 {
            assert!(
                text.contains(
                    "switchboard_callback_records_total{callback=\"hook\",outcome=\"delivered\"} 3"
                ),
                "{text}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// Multi-threaded: the receiver must keep answering while the test thread
// blocks waiting for the gateway to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_delivers_what_is_queued() {
    let mock = mock().await;
    let (hooks, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.jsonl");
    let mut gateway = start(&config(&mock, &hooks, &file));
    for i in 0..20 {
        assert_eq!(chat(&gateway, &format!("t-{i}"), "gpt", false).await, 200);
    }
    gateway.terminate();
    assert_eq!(gateway.wait_exit(Duration::from_secs(20)), 0);
    let hook = by_path(&received, "hook");
    assert_eq!(hook.len(), 20, "{:#?}", gateway.drain_output());
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 20);
}
