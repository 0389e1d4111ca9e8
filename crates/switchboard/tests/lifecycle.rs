//! The process around the request path: zero-config start, `check`, hot
//! reload, graceful shutdown, client disconnects, concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use serde_json::{Value, json};

fn hello(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hello"}]})
}

#[tokio::test]
async fn zero_config_serves_mock_models_with_a_generated_key() {
    let mut gateway = launch(Launch::default());
    let key_line = gateway
        .banner
        .iter()
        .position(|l| l.starts_with("Generated a master key"))
        .expect("the generated key is announced");
    let key = gateway.banner[key_line + 1].trim().to_string();
    assert!(key.starts_with("sk-"), "{key}");
    let stored = std::fs::read_to_string(gateway.dir.path().join("data/master_key")).unwrap();
    assert_eq!(stored.trim(), key);

    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&hello("mock/gpt-4o-mini", false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert!(
        !body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty()
    );

    // A restart reuses the stored key and does not print it again.
    gateway.terminate();
    assert_eq!(gateway.wait_exit(Duration::from_secs(10)), 0);
    let data_dir = gateway.dir.path().join("data");
    let again = launch(Launch {
        args: vec!["--data-dir".into(), data_dir.display().to_string()],
        ..Launch::default()
    });
    assert!(!again.banner.iter().any(|l| l.contains(&key)));
    let response = client()
        .get(again.url("/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn zero_config_registers_providers_with_keys() {
    let gateway = launch(Launch {
        env: vec![("GROQ_API_KEY", "gsk-test".into())],
        ..Launch::default()
    });
    let models = gateway
        .banner
        .iter()
        .find(|l| l.starts_with("Model groups:"))
        .unwrap();
    assert!(models.contains("groq/*"), "{models}");
    assert!(models.contains("mock/*"), "{models}");
    assert!(!models.contains("openai/*"), "{models}");
}

#[test]
fn check_validates_without_starting() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "model_list:\n  - model_name: a\n    litellm_params: {model: groq/llama, api_key: k}\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["check", good.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("OK (1 model groups)"));

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n  - model_name: b\n    litellm_params: {model: openai/b}\n  - model_name: c\n    litellm_params: {model: openai/c, rpm: lots}\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("model_list[2].litellm_params.rpm: string \"lots\", expected integer"),
        "{stderr}"
    );

    let typo = dir.path().join("typo.yaml");
    std::fs::write(
        &typo,
        "router_settings:\n  routing_stratgy: simple-shuffle\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["check", typo.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("warning: router_settings.routing_stratgy: unknown key")
    );
}

#[test]
fn version_and_help() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("switchboard "));
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in ["--config", "--host", "--port", "check"] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[tokio::test]
async fn config_changes_apply_without_restart() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let path = gateway.config_path.clone().unwrap();
    let status = |model: &'static str| {
        let url = gateway.url("/v1/chat/completions");
        async move {
            client()
                .post(url)
                .bearer_auth(MASTER_KEY)
                .json(&hello(model, false))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("renamed").await, 404);

    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        original.replace("model_name: gpt", "model_name: renamed"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while status("renamed").await != 200 {
        assert!(Instant::now() < deadline, "reload not applied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status("gpt").await, 404);

    // An invalid file keeps the running config.
    std::fs::write(
        &path,
        "model_list:\n  - model_name: x\n    litellm_params: {model: openai/x, rpm: many}\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(status("renamed").await, 200);
    let output = gateway.drain_output().join("\n");
    assert!(output.contains("config change rejected"), "{output}");
}

#[tokio::test]
async fn sigterm_drains_in_flight_streams_then_exits_zero() {
    let mock = mock().await;
    let mut gateway = start(&mock_config(&mock));
    // A stream of 10 chunks 150 ms apart: 1.5 s in flight.
    let mut body = hello("gpt", true);
    body["messages"][0]["content"] = json!("[mock:chunks=10,chunk-delay-ms=150]");
    let response = post(&gateway, "/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(!first.is_empty());

    gateway.terminate();
    // New connections are refused soon after the signal...
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = reqwest::Client::new()
        .get(gateway.url("/health/liveliness"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a new connection was accepted while draining"
    );

    // ... while the in-flight stream runs to its end.
    let mut rest = Vec::from(first.as_ref());
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    let text = String::from_utf8(rest).unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert_eq!(gateway.wait_exit(Duration::from_secs(10)), 0);
    assert!(mock.requests()[0].completed);
}

#[tokio::test]
async fn client_disconnect_mid_stream_cancels_the_upstream() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let mut body = hello("gpt", true);
    body["messages"][0]["content"] = json!("[mock:chunks=50,chunk-delay-ms=100]");
    let response = post(&gateway, "/v1/chat/completions", &body).await;
    let mut stream = response.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);

    // The mock sees its stream dropped well before its 5 s would end.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].completed, "the upstream stream ran to the end");
    assert!(seen[0].response_bytes < 3_000, "{}", seen[0].response_bytes);
}

#[tokio::test]
async fn client_disconnect_while_waiting_cancels_the_upstream() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let mut body = hello("gpt", true);
    body["messages"][0]["content"] = json!("[mock:latency-ms=3000]");
    let request = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .timeout(Duration::from_millis(300))
        .json(&body)
        .send();
    assert!(request.await.is_err());
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].completed, "the upstream request was not cancelled");
}

#[tokio::test]
async fn two_hundred_concurrent_streams() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let client = client();
    let mut body = hello("gpt", true);
    body["messages"][0]["content"] = json!("[mock:chunks=20,chunk-delay-ms=20]");
    let expected = {
        let mut direct = body.clone();
        direct["model"] = json!("mock-gpt");
        post_direct(&mock, "/chat/completions", &direct).await
    };
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let client = client.clone();
            let url = gateway.url("/v1/chat/completions");
            let body = body.clone();
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(MASTER_KEY)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap()
            })
        })
        .collect();
    for task in tasks {
        let bytes = task.await.unwrap();
        // `created` is fixed and the id is derived from the request, so every
        // stream is byte-identical to the direct one.
        assert_eq!(bytes, expected);
    }
}

#[tokio::test]
async fn health_endpoints() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    for path in ["/health/liveliness", "/health/liveness"] {
        let response = client().get(gateway.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let ready: Value = client()
        .get(gateway.url("/health/readiness"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "healthy");
}
