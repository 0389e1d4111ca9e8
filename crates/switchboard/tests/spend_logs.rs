//! Every authenticated request leaves a log record with its usage, written
//! off the hot path, flushed on SIGTERM, readable through `/spend/logs`, in
//! SQLite by default and in Postgres when configured.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

async fn spend_logs(gateway: &Gateway, query: &str) -> Vec<Value> {
    let response = client()
        .get(gateway.url(&format!("/spend/logs{query}")))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Three requests of different kinds, then their records.
async fn exercise(gateway: &Gateway) {
    let hello = json!({"model": "gpt", "user": "customer-7", "messages": [{"role": "user", "content": "hello"}]});
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", "log-plain")
        .json(&hello)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();

    let mut streamed = hello.clone();
    streamed["stream"] = json!(true);
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", "log-stream")
        .json(&streamed)
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(!text.contains("usage"));

    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", "log-missing")
        .json(&json!({"model": "nope", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // Unauthenticated requests leave no record.
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .json(&hello)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

fn check_records(rows: &[Value]) {
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let by_id = |id: &str| rows.iter().find(|r| r["request_id"] == id).unwrap().clone();
    let plain = by_id("log-plain");
    assert_eq!(plain["status"], "success");
    assert_eq!(plain["model_group"], "gpt");
    assert_eq!(plain["model"], "mock-gpt");
    assert_eq!(plain["custom_llm_provider"], "openai");
    assert_eq!(plain["end_user"], "customer-7");
    assert_eq!(plain["call_type"], "chat_completions");
    assert!(plain["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(plain["completion_tokens"], 8);
    assert_eq!(plain["stream"], false);

    // The stream's usage is known although the client did not ask for it.
    let stream = by_id("log-stream");
    assert_eq!(stream["stream"], true);
    assert_eq!(stream["completion_tokens"], 8);
    assert!(stream["ttft_ms"].as_f64().unwrap() > 0.0);

    let missing = by_id("log-missing");
    assert_eq!(missing["status"], "failure");
    assert_eq!(missing["http_status"], 404);
    assert!(
        missing["error"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
}

#[tokio::test]
async fn records_survive_sigterm_and_restart_on_sqlite() {
    let mock = mock().await;
    let mut gateway = start(&mock_config(&mock));
    exercise(&gateway).await;
    // SIGTERM right away: whatever is queued must still be written.
    gateway.terminate();
    assert_eq!(gateway.wait_exit(Duration::from_secs(10)), 0);

    let data = gateway.dir.path().join("data");
    let config = gateway.config_path.clone().unwrap();
    let again = launch(Launch {
        args: vec![
            "--data-dir".into(),
            data.display().to_string(),
            "--config".into(),
            config.display().to_string(),
        ],
        ..Launch::default()
    });
    check_records(&spend_logs(&again, "").await);

    let one = spend_logs(&again, "?request_id=log-stream").await;
    assert_eq!(one.len(), 1);
    let none = spend_logs(&again, "?start_date=2000-01-01&end_date=2000-01-02").await;
    assert!(none.is_empty());
    let bad = client()
        .get(again.url("/spend/logs?start_date=yesterday"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let anonymous = client().get(again.url("/spend/logs")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn records_go_to_postgres_when_configured() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let mock = mock().await;
    let config = format!(
        "{}general_settings:\n  master_key: {MASTER_KEY}\n  database_url: \"{url}\"\n",
        mock_config(&mock)
    );
    let gateway = start(&config);
    assert!(
        gateway
            .banner
            .iter()
            .any(|l| l.starts_with("Database: postgres://"))
    );
    exercise(&gateway).await;
    // Written off the hot path: wait until all three are visible.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows = spend_logs(&gateway, "").await;
        if rows.len() == 3 {
            check_records(&rows);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{rows:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn disable_spend_logs_writes_nothing() {
    let mock = mock().await;
    let config = format!(
        "{}general_settings:\n  master_key: {MASTER_KEY}\n  disable_spend_logs: true\n",
        mock_config(&mock)
    );
    let gateway = start(&config);
    exercise(&gateway).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(spend_logs(&gateway, "").await.is_empty());
}
