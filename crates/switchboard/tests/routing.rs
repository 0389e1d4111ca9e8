//! Routing and reliability end to end: deployments on separate mock
//! providers, failures injected on one of them, and what the client, the
//! mocks and the request log each see.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use switchboard_mock::ErrorReason;

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

/// A deployment entry of group `group` on `mock`, with extra
/// `litellm_params` lines (`key: value`, indented by the caller).
fn deployment(group: &str, mock: &MockServer, id: &str, extra: &str) -> String {
    format!(
        "  - model_name: {group}\n    litellm_params:\n      model: openai/mock-gpt\n      api_base: {}\n      api_key: sk-upstream\n{extra}    model_info:\n      id: {id}\n",
        mock.base_url()
    )
}

fn inferences(mock: &MockServer) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .count()
}

async fn send(gateway: &Gateway, body: &Value, id: &str) -> reqwest::Response {
    client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", id)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The request log row of `id`, once the writer has flushed it.
async fn log_of(gateway: &Gateway, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows: Vec<Value> = client()
            .get(gateway.url(&format!("/spend/logs?request_id={id}")))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(row) = rows.into_iter().next() {
            return row;
        }
        assert!(Instant::now() < deadline, "no log row for {id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers()[name].to_str().unwrap()
}

#[tokio::test]
async fn traffic_splits_by_weight() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  routing_strategy: simple-shuffle\n",
        deployment("g", &a, "a", "      weight: 3\n"),
        deployment("g", &b, "b", "      weight: 1\n"),
    );
    let gateway = start(&config);
    let n = 200;
    for i in 0..n {
        let response = send(&gateway, &chat("g"), &format!("w{i}")).await;
        assert_eq!(response.status(), 200);
    }
    let share = inferences(&a) as f64 / n as f64;
    // Expected 0.75; ±0.15 is about five standard deviations.
    assert!(
        (share - 0.75).abs() < 0.15,
        "share of the weight-3 deployment: {share}"
    );
    assert_eq!(inferences(&a) + inferences(&b), n);
}

#[tokio::test]
async fn latency_based_routing_prefers_the_faster_deployment() {
    let slow = mock_with(MockConfig {
        latency: Duration::from_millis(150),
        ..MockConfig::default()
    })
    .await;
    let fast = mock().await;
    let config = format!(
        "model_list:\n{}{}router_settings:\n  routing_strategy: latency-based-routing\n",
        deployment("g", &slow, "slow", ""),
        deployment("g", &fast, "fast", ""),
    );
    let gateway = start(&config);
    // Until both are measured, either may serve.
    for i in 0..4 {
        send(&gateway, &chat("g"), &format!("warm{i}")).await;
    }
    assert!(
        inferences(&slow) >= 1,
        "an unmeasured deployment gets traffic"
    );
    slow.clear_requests();
    for i in 0..20 {
        let response = send(&gateway, &chat("g"), &format!("l{i}")).await;
        assert_eq!(header(&response, "x-litellm-model-id"), "fast");
    }
    assert_eq!(inferences(&slow), 0);
}

#[tokio::test]
async fn a_failed_attempt_is_retried_on_another_deployment_and_logged() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "model_list:\n{}{}",
        deployment("g", &a, "a", "      order: 1\n"),
        deployment("g", &b, "b", "      order: 2\n"),
    );
    let gateway = start(&config);
    a.push_fault(Fault {
        status: Some(500),
        ..Fault::default()
    });
    let response = send(&gateway, &chat("g"), "retry-1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-litellm-model-id"), "b");
    assert_eq!(header(&response, "x-litellm-attempted-retries"), "1");
    assert_eq!(header(&response, "x-litellm-attempted-fallbacks"), "0");
    assert_eq!((inferences(&a), inferences(&b)), (1, 1));

    let row = log_of(&gateway, "retry-1").await;
    assert_eq!(row["attempts"], 2);
    assert_eq!(row["model_id"], "b");
    let attempts = row["attempt_log"].as_array().unwrap();
    assert_eq!(attempts[0]["deployment"], "a");
    assert_eq!(attempts[0]["status"], 500);
    assert_eq!(attempts[1]["deployment"], "b");
    assert_eq!(attempts[1]["status"], 200);
}

#[tokio::test]
async fn a_rate_limited_deployment_cools_down_and_comes_back() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  cooldown_time: 1\n",
        deployment("g", &a, "a", "      order: 1\n"),
        deployment("g", &b, "b", "      order: 2\n"),
    );
    let gateway = start(&config);
    a.push_fault(Fault {
        status: Some(429),
        ..Fault::default()
    });
    assert_eq!(send(&gateway, &chat("g"), "c0").await.status(), 200);

    // `a` is cooling down: the router says so, and sends nothing there.
    let info: Value = client()
        .get(gateway.url("/model/info"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let a_info = info["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["model_info"]["id"] == "a")
        .unwrap();
    assert_eq!(a_info["health"]["cooling_down"], true, "{info}");
    let group: Value = client()
        .get(gateway.url("/model_group/info?model_group=g"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(group["data"][0]["cooling_down"], json!(["a"]));
    assert_eq!(group["data"][0]["healthy_deployments"], 1);
    for i in 0..5 {
        let response = send(&gateway, &chat("g"), &format!("c{}", i + 1)).await;
        assert_eq!(header(&response, "x-litellm-model-id"), "b");
    }
    assert_eq!(inferences(&a), 1);

    // After the cooldown, the preferred tier serves again.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let response = send(&gateway, &chat("g"), "c-back").await;
    assert_eq!(header(&response, "x-litellm-model-id"), "a");
}

#[tokio::test]
async fn a_single_deployment_is_retried_after_its_retry_after() {
    let a = mock().await;
    let config = format!("model_list:\n{}", deployment("g", &a, "a", ""));
    let gateway = start(&config);
    a.push_fault(Fault {
        status: Some(503),
        retry_after: Some(1),
        ..Fault::default()
    });
    let started = Instant::now();
    let response = send(&gateway, &chat("g"), "ra").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-litellm-attempted-retries"), "1");
    // The upstream asked for a second's pause before the retry.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(inferences(&a), 2);
}

/// Two groups, `primary` on `a` and `backup` on `b`, with `settings` under
/// `router_settings`.
fn two_groups(a: &MockServer, b: &MockServer, settings: &str) -> String {
    format!(
        "model_list:\n{}{}router_settings:\n{settings}",
        deployment("primary", a, "a", ""),
        deployment("backup", b, "b", ""),
    )
}

#[tokio::test]
async fn fallbacks_take_over_when_a_group_keeps_failing() {
    let (a, b) = (mock().await, mock().await);
    let gateway = start(&two_groups(
        &a,
        &b,
        "  num_retries: 1\n  fallbacks: [{primary: [backup]}]\n",
    ));
    for _ in 0..2 {
        a.push_fault(Fault {
            status: Some(500),
            ..Fault::default()
        });
    }
    let response = send(&gateway, &chat("primary"), "fb").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-litellm-model-group"), "backup");
    assert_eq!(header(&response, "x-litellm-attempted-fallbacks"), "1");
    assert_eq!((inferences(&a), inferences(&b)), (2, 1));
    let row = log_of(&gateway, "fb").await;
    assert_eq!(row["model_group"], "backup");
    let groups: Vec<&str> = row["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["primary", "primary", "backup"]);

    // A request the upstream rejects as bad is nobody else's to answer.
    a.push_fault(Fault {
        status: Some(400),
        ..Fault::default()
    });
    let response = send(&gateway, &chat("primary"), "fb-400").await;
    assert_eq!(response.status(), 400);
    assert_eq!(inferences(&b), 1);
}

#[tokio::test]
async fn context_window_and_content_policy_failures_have_their_own_fallbacks() {
    let (a, b) = (mock().await, mock().await);
    let gateway = start(&two_groups(
        &a,
        &b,
        "  context_window_fallbacks: [{primary: [backup]}]\n  content_policy_fallbacks: [{primary: [backup]}]\n",
    ));
    for (reason, id) in [
        (ErrorReason::ContextLength, "cw"),
        (ErrorReason::ContentPolicy, "cp"),
    ] {
        a.push_fault(Fault {
            status: Some(400),
            reason: Some(reason),
            ..Fault::default()
        });
        let response = send(&gateway, &chat("primary"), id).await;
        assert_eq!(response.status(), 200, "{reason:?}");
        assert_eq!(header(&response, "x-litellm-model-group"), "backup");
        // Not retried on the same group: a longer wait cannot help.
        assert_eq!(header(&response, "x-litellm-attempted-retries"), "0");
    }
    assert_eq!((inferences(&a), inferences(&b)), (2, 2));
}

#[tokio::test]
async fn client_fallbacks_and_num_retries_in_the_body() {
    let (a, b) = (mock().await, mock().await);
    // No fallbacks in the config: the client names its own.
    let gateway = start(&two_groups(&a, &b, "  num_retries: 3\n"));
    a.push_fault(Fault {
        status: Some(503),
        ..Fault::default()
    });
    let mut body = chat("primary");
    body["fallbacks"] = json!(["backup"]);
    body["num_retries"] = json!(0);
    let response = send(&gateway, &body, "client-fb").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-litellm-model-group"), "backup");
    assert_eq!(inferences(&a), 1, "num_retries: 0 in the body");
    // The gateway's parameters never reach a provider.
    for request in a.requests().iter().chain(b.requests().iter()) {
        let sent = request.body_json().unwrap();
        assert!(
            sent.get("fallbacks").is_none() && sent.get("num_retries").is_none(),
            "{sent}"
        );
    }

    // A key may fall back only to models it may use.
    let key: Value = client()
        .post(gateway.url("/key/generate"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"models": ["primary"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap();
    a.push_fault(Fault {
        status: Some(503),
        ..Fault::default()
    });
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(inferences(&b), 1);
}

#[tokio::test]
async fn a_stream_fails_over_before_its_first_byte() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "model_list:\n{}{}",
        deployment("g", &a, "a", "      order: 1\n      stream_timeout: 0.3\n"),
        deployment("g", &b, "b", "      order: 2\n"),
    );
    let gateway = start(&config);
    let mut body = chat("g");
    body["stream"] = json!(true);

    // An error status, then a first byte that comes too late: both times the
    // client gets one clean stream, from `b`.
    a.push_fault(Fault {
        status: Some(502),
        ..Fault::default()
    });
    a.push_fault(Fault {
        first_byte_ms: Some(3_000),
        ..Fault::default()
    });
    for id in ["s-status", "s-slow"] {
        let response = send(&gateway, &body, id).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-litellm-model-id"), "b");
        let text = response.text().await.unwrap();
        assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
        assert_eq!(text.matches("\"role\":\"assistant\"").count(), 1, "{text}");
    }
    assert_eq!(inferences(&b), 2);
}

#[tokio::test]
async fn a_slow_attempt_is_hedged_on_another_deployment() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  hedging:\n    g: {{percentile: 90, min_samples: 5}}\n",
        deployment("g", &a, "a", "      order: 1\n"),
        deployment("g", &b, "b", "      order: 2\n"),
    );
    let gateway = start(&config);
    // Samples of the group's normal latency.
    for i in 0..5 {
        assert_eq!(
            send(&gateway, &chat("g"), &format!("h{i}")).await.status(),
            200
        );
    }
    a.push_fault(Fault {
        latency_ms: Some(5_000),
        ..Fault::default()
    });
    let response = send(&gateway, &chat("g"), "hedged").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-litellm-model-id"), "b");
    let row = log_of(&gateway, "hedged").await;
    let attempts = row["attempt_log"].as_array().unwrap();
    let hedge = attempts.iter().find(|a| a["hedge"] == true).unwrap();
    assert_eq!(hedge["deployment"], "b");
    assert_eq!(hedge["status"], 200);
    let cancelled = attempts.iter().find(|a| a["status"] == 499).unwrap();
    assert_eq!(cancelled["deployment"], "a");
}

#[tokio::test]
async fn streams_cut_after_their_first_byte_cool_the_deployment_down() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  allowed_fails: 1\n  cooldown_time: 60\n",
        deployment("g", &a, "a", "      order: 1\n"),
        deployment("g", &b, "b", "      order: 2\n"),
    );
    let gateway = start(&config);
    let mut body = chat("g");
    body["stream"] = json!(true);
    for _ in 0..2 {
        a.push_fault(Fault {
            cut_after: Some(1),
            ..Fault::default()
        });
    }
    // Too late to fail over: each client gets a clean error event...
    for id in ["cut-1", "cut-2"] {
        let response = send(&gateway, &body, id).await;
        assert_eq!(header(&response, "x-litellm-model-id"), "a");
        let text = response.text().await.unwrap();
        assert!(text.contains("\"error\""), "{text}");
        assert!(!text.contains("[DONE]"), "{text}");
    }
    // ...but the failures are the deployment's: it cools down, and the
    // next request goes to `b`.
    let response = send(&gateway, &body, "after").await;
    assert_eq!(header(&response, "x-litellm-model-id"), "b");
    let text = response.text().await.unwrap();
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
}

#[tokio::test]
async fn a_health_check_brings_a_cooled_deployment_back_early() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "model_list:\n{}{}router_settings:\n  cooldown_time: 600\ngeneral_settings:\n  master_key: {MASTER_KEY}\n  background_health_checks: true\n  health_check_interval: 0.3\n",
        deployment("g", &a, "a", "      order: 1\n"),
        deployment("g", &b, "b", "      order: 2\n"),
    );
    let gateway = start(&config);
    // A 429 cools `a` down for ten minutes; `b` serves meanwhile.
    a.push_fault(Fault {
        status: Some(429),
        ..Fault::default()
    });
    let response = send(&gateway, &chat("g"), "cooled").await;
    assert_eq!(header(&response, "x-litellm-model-id"), "b");
    // The health check finds `a` answering again and puts it back long
    // before its cooldown ends.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = send(&gateway, &chat("g"), "after").await;
        assert_eq!(response.status(), 200);
        if header(&response, "x-litellm-model-id") == "a" {
            break;
        }
        assert!(Instant::now() < deadline, "a never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The probe was a one-token chat request.
    let probe = a
        .requests()
        .into_iter()
        .find(|r| r.body_json().is_ok_and(|b| b["max_tokens"] == 1))
        .unwrap();
    assert_eq!(probe.path, "/v1/chat/completions");
}
