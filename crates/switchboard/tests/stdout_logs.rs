//! Logs on stdout: with `json_logs`, one JSON object per line, and the
//! lines a request causes carry its request id.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn json_lines_carry_the_request_id() {
    let mock = mock().await;
    let config = format!(
        "{}litellm_settings:\n  json_logs: true\nrouter_settings:\n  num_retries: 0\n",
        mock_config(&mock)
    );
    let gateway = start(&config);
    mock.push_fault(Fault {
        status: Some(500),
        ..Fault::default()
    });
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", "json-line-1")
        .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    let line = loop {
        lines.extend(gateway.drain_output());
        if let Some(line) = lines.iter().find(|l| l.contains("upstream error")) {
            break line.clone();
        }
        assert!(Instant::now() < deadline, "{lines:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["level"], "WARN");
    assert_eq!(event["message"], "upstream error");
    assert_eq!(event["span"]["request_id"], "json-line-1", "{event}");
    assert_eq!(event["status"], 500);
    // Every line is JSON.
    for line in &lines {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
}
