//! The request log API over HTTP (`GET /logs`, `/logs/{request_id}`,
//! `/logs/stats`): each filter finds the right rows, cursors page through
//! them, callers other than admins see only their own requests, and
//! retention keeps the configured bound.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

async fn get(gateway: &Gateway, key: &str, path: &str) -> (u16, Value) {
    let response = client()
        .get(gateway.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn new_key(gateway: &Gateway, alias: &str) -> String {
    let response = client()
        .post(gateway.url("/key/generate"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"key_alias": alias}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["key"].as_str().unwrap().to_string()
}

async fn chat(gateway: &Gateway, key: &str, request_id: &str, model: &str, text: &str) -> u16 {
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(key)
        .header("x-request-id", request_id)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": text}]}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    response.bytes().await.unwrap();
    status
}

/// The request ids of a `/logs` page, newest first.
fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request_id"].as_str().unwrap().to_string())
        .collect()
}

/// Polls `/logs{query}` (the writer batches) until it lists `count` rows.
async fn wait_for(gateway: &Gateway, query: &str, count: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, page) = get(gateway, MASTER_KEY, &format!("/logs{query}")).await;
        assert_eq!(status, 200, "{page}");
        if page["data"].as_array().unwrap().len() == count {
            return page;
        }
        assert!(Instant::now() < deadline, "{query}: {page:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn search_filters_pages_details_and_stats() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let alpha = new_key(&gateway, "alpha").await;
    let beta = new_key(&gateway, "beta").await;

    assert_eq!(
        chat(&gateway, &alpha, "a-1", "gpt", "the zebra crossing").await,
        200
    );
    assert_eq!(
        chat(&gateway, &alpha, "a-2", "gpt", "an ordinary question").await,
        200
    );
    assert_eq!(
        chat(&gateway, &beta, "b-1", "gpt", "zebra stripes again").await,
        200
    );
    assert_eq!(
        chat(&gateway, &beta, "b-2", "no-such-group", "lost").await,
        404
    );

    let all = wait_for(&gateway, "", 4).await;
    assert_eq!(ids(&all), ["b-2", "b-1", "a-2", "a-1"], "newest first");

    // Each filter.
    let page = wait_for(&gateway, "?key_alias=alpha", 2).await;
    assert_eq!(ids(&page), ["a-2", "a-1"]);
    let page = wait_for(&gateway, "?q=zebra", 2).await;
    assert_eq!(ids(&page), ["b-1", "a-1"]);
    let page = wait_for(&gateway, "?q=zebra&key_alias=beta", 1).await;
    assert_eq!(ids(&page), ["b-1"]);
    let page = wait_for(&gateway, "?status=failure", 1).await;
    assert_eq!(ids(&page), ["b-2"]);
    assert_eq!(page["data"][0]["status"], 404);
    let page = wait_for(&gateway, "?status=404", 1).await;
    assert_eq!(ids(&page), ["b-2"]);
    let page = wait_for(&gateway, "?model_group=gpt&provider=openai", 3).await;
    assert_eq!(ids(&page), ["b-1", "a-2", "a-1"]);
    wait_for(&gateway, "?start_time=2000-01-01&end_time=2000-01-02", 0).await;
    wait_for(&gateway, "?min_latency_ms=600000", 0).await;

    // Cursor pages: two of one row, then the rest, then nothing.
    let (_, first) = get(&gateway, MASTER_KEY, "/logs?limit=1").await;
    assert_eq!(ids(&first), ["b-2"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = get(
        &gateway,
        MASTER_KEY,
        &format!("/logs?limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(ids(&second), ["b-1", "a-2"]);
    let cursor = second["next_cursor"].as_str().unwrap();
    let (_, last) = get(
        &gateway,
        MASTER_KEY,
        &format!("/logs?limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(ids(&last), ["a-1"]);
    assert!(last["next_cursor"].is_null());

    // Bad parameters are 400s naming the parameter.
    for (query, param) in [
        ("?cursor=garbage", "cursor"),
        ("?status=sometimes", "status"),
        ("?start_time=yesterday", "start_time"),
        ("?limit=0", "limit"),
    ] {
        let (status, body) = get(&gateway, MASTER_KEY, &format!("/logs{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["param"], param, "{body}");
    }

    // A key sees its own requests only, whatever it filters on.
    let (status, own) = get(&gateway, &beta, "/logs").await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(ids(&own), ["b-2", "b-1"]);
    let (_, snooping) = get(&gateway, &beta, "/logs?key_alias=alpha").await;
    assert!(ids(&snooping).is_empty(), "{snooping}");
    let (status, _) = get(&gateway, &beta, "/logs/a-1").await;
    assert_eq!(status, 404);
    let (status, _) = get(&gateway, &beta, "/logs/stats").await;
    assert_eq!(status, 403);

    // The detail has the bodies, the attempts and the usage.
    let (status, detail) = get(&gateway, MASTER_KEY, "/logs/a-1").await;
    assert_eq!(status, 200, "{detail}");
    assert!(
        detail["request_body"]
            .as_str()
            .unwrap()
            .contains("zebra crossing")
    );
    assert!(
        detail["response_body"]
            .as_str()
            .unwrap()
            .contains("choices")
    );
    assert_eq!(detail["key_alias"], "alpha");
    assert!(detail["attempt_log"].is_array(), "{detail}");
    assert!(detail["tokens"].as_u64().unwrap() > 0);
    let (status, _) = get(&gateway, MASTER_KEY, "/logs/nope").await;
    assert_eq!(status, 404);

    // The dashboard's statistics count the same requests.
    let (status, stats) = get(&gateway, MASTER_KEY, "/logs/stats?bucket_seconds=60").await;
    assert_eq!(status, 200, "{stats}");
    let buckets = stats["buckets"].as_array().unwrap();
    let requests: i64 = buckets
        .iter()
        .map(|b| b["requests"].as_i64().unwrap())
        .sum();
    let errors: i64 = buckets.iter().map(|b| b["errors"].as_i64().unwrap()).sum();
    assert_eq!((requests, errors), (4, 1), "{stats:#}");
    let gpt = stats["top_models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model_group"] == "gpt")
        .unwrap();
    assert_eq!(gpt["requests"], 3);
    let aliases: Vec<&str> = stats["top_keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["key_alias"].as_str())
        .collect();
    assert!(
        aliases.contains(&"alpha") && aliases.contains(&"beta"),
        "{stats:#}"
    );
}

#[tokio::test]
async fn retention_keeps_the_newest_rows() {
    let mock = mock().await;
    let config = format!(
        "{}general_settings:\n  master_key: {MASTER_KEY}\n  max_request_logs: 3\n",
        mock_config(&mock)
    );
    let gateway = start(&config);
    for i in 0..8 {
        assert_eq!(
            chat(&gateway, MASTER_KEY, &format!("r-{i}"), "gpt", "hi").await,
            200
        );
    }
    // Written in batches and pruned after each: wait for the final state.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, page) = get(&gateway, MASTER_KEY, "/logs").await;
        if ids(&page) == ["r-7", "r-6", "r-5"] {
            break;
        }
        assert!(Instant::now() < deadline, "{page:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn invalid_retention_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!("general_settings:\n  master_key: {MASTER_KEY}\n  maximum_spend_logs_retention_period: forever\n"),
    )
    .unwrap();
    for args in [
        vec!["check".to_string(), config.display().to_string()],
        vec![
            "--port".into(),
            "0".into(),
            "--data-dir".into(),
            dir.path().join("data").display().to_string(),
            "--config".into(),
            config.display().to_string(),
        ],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("maximum_spend_logs_retention_period"),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn stream_bodies_are_logged_unless_message_logging_is_off() {
    let mock = mock().await;
    let stream = json!({"model": "gpt", "stream": true, "messages": [{"role": "user", "content": "count please"}]});
    for off in [false, true] {
        let config = format!(
            "{}litellm_settings:\n  turn_off_message_logging: {off}\n",
            mock_config(&mock)
        );
        let gateway = start(&config);
        let response = client()
            .post(gateway.url("/v1/chat/completions"))
            .bearer_auth(MASTER_KEY)
            .header("x-request-id", "s-1")
            .json(&stream)
            .send()
            .await
            .unwrap();
        let sent = response.text().await.unwrap();
        wait_for(&gateway, "", 1).await;
        let (status, detail) = get(&gateway, MASTER_KEY, "/logs/s-1").await;
        assert_eq!(status, 200, "{detail}");
        if off {
            assert!(detail["request_body"].is_null(), "{detail}");
            assert!(detail["response_body"].is_null(), "{detail}");
            wait_for(&gateway, "?q=count", 0).await;
        } else {
            assert!(
                detail["request_body"]
                    .as_str()
                    .unwrap()
                    .contains("count please")
            );
            // Exactly what the client received.
            assert_eq!(detail["response_body"].as_str().unwrap(), sent);
            wait_for(&gateway, "?q=count", 1).await;
        }
    }
}
