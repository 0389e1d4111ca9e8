//! `/metrics`: values move with each kind of request, the live gauges show
//! the router's and the budgets' state, and the output passes
//! `promtool check metrics`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use serde_json::{Value, json};

fn config(a: &MockServer, b: &MockServer) -> String {
    let deployment = |group: &str, mock: &MockServer, id: &str, order: u32| {
        format!(
            "  - model_name: {group}\n    litellm_params:\n      model: openai/mock-gpt\n      api_base: {}\n      api_key: sk-upstream\n      order: {order}\n      input_cost_per_token: 0.000001\n      output_cost_per_token: 0.000002\n    model_info:\n      id: {id}\n",
            mock.base_url()
        )
    };
    format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 1\n  fallbacks: [{{primary: [backup]}}]\n",
        deployment("primary", a, "a1", 1),
        deployment("primary", a, "a2", 2),
        deployment("backup", b, "b1", 1),
    )
}

/// The value of the sample `name{labels...}` (labels given as `k="v"`
/// pairs, matched as a subset), or 0 when the series does not exist.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

async fn scrape(gateway: &Gateway) -> String {
    let response = client().get(gateway.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn metrics_move_with_each_kind_of_request() {
    let (a, b) = (mock().await, mock().await);
    let gateway = start(&config(&a, &b));
    let ok = [
        ("model_group", "primary"),
        ("deployment", "a1"),
        ("status_class", "2xx"),
    ];
    let before = scrape(&gateway).await;
    assert_eq!(value(&before, "switchboard_requests_total", &ok), 0.0);

    // A success, then a stream.
    assert_eq!(
        post(&gateway, "/v1/chat/completions", &chat("primary", false))
            .await
            .status(),
        200
    );
    let stream = post(&gateway, "/v1/chat/completions", &chat("primary", true)).await;
    stream.text().await.unwrap();
    // A retry: a1 fails once, a2 answers (and a1 is not cooled: 1 failure).
    a.push_fault(Fault {
        status: Some(500),
        ..Fault::default()
    });
    assert_eq!(
        post(&gateway, "/v1/chat/completions", &chat("primary", false))
            .await
            .status(),
        200
    );
    // A fallback: both attempts in `primary` fail, `backup` answers.
    for _ in 0..2 {
        a.push_fault(Fault {
            status: Some(503),
            ..Fault::default()
        });
    }
    let response = post(&gateway, "/v1/chat/completions", &chat("primary", false)).await;
    assert_eq!(response.headers()["x-litellm-model-group"], "backup");
    // A request the upstream refuses as bad: relayed, counted as 4xx.
    a.push_fault(Fault {
        status: Some(400),
        ..Fault::default()
    });
    assert_eq!(
        post(&gateway, "/v1/chat/completions", &chat("primary", false))
            .await
            .status(),
        400
    );
    // No key.
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .json(&chat("primary", false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // Accounting runs when an answer ends; give the last one a moment.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let text = scrape(&gateway).await;
    let requests = |labels: &[(&str, &str)]| value(&text, "switchboard_requests_total", labels);
    assert_eq!(
        requests(&[("model_group", "primary"), ("status_class", "2xx")]),
        3.0,
        "{text}"
    );
    assert_eq!(
        requests(&[("model_group", "backup"), ("status_class", "2xx")]),
        1.0
    );
    assert_eq!(requests(&[("status_class", "4xx")]), 1.0);
    assert_eq!(
        value(
            &text,
            "switchboard_rejected_requests_total",
            &[("status", "401")]
        ),
        1.0
    );
    // The retry (1 extra attempt, primary) and the fallback (2 extra,
    // counted under the group that answered).
    assert_eq!(
        value(
            &text,
            "switchboard_retries_total",
            &[("model_group", "primary")]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "switchboard_retries_total",
            &[("model_group", "backup")]
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            "switchboard_fallbacks_total",
            &[
                ("from_model_group", "primary"),
                ("to_model_group", "backup")
            ]
        ),
        1.0
    );
    assert!(
        value(
            &text,
            "switchboard_tokens_total",
            &[("direction", "output")]
        ) > 0.0
    );
    assert!(
        value(
            &text,
            "switchboard_spend_usd_total",
            &[("model_group", "primary")]
        ) > 0.0
    );
    assert_eq!(
        value(&text, "switchboard_time_to_first_token_seconds_count", &[]),
        1.0
    );
    assert!(value(&text, "switchboard_time_between_chunks_seconds_count", &[]) > 0.0);
    assert_eq!(
        value(&text, "switchboard_request_duration_seconds_count", &[]),
        5.0
    );
    // Live state: every deployment has an in-flight gauge, none in flight.
    for id in ["a1", "a2", "b1"] {
        assert!(
            text.contains(&format!(
                "switchboard_in_flight_requests{{deployment=\"{id}\""
            )),
            "{text}"
        );
    }
    assert_eq!(value(&text, "switchboard_in_flight_requests", &[]), 0.0);

    promtool_accepts(&text);
}

#[tokio::test]
async fn budgets_and_rate_limits_show_their_headroom() {
    let (a, b) = (mock().await, mock().await);
    let gateway = start(&config(&a, &b));
    let key: Value = client()
        .post(gateway.url("/key/generate"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"key_alias": "app", "max_budget": 10.0, "rpm_limit": 100}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = key["key"].as_str().unwrap();
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(secret)
        .json(&chat("primary", false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let text = scrape(&gateway).await;
    let remaining = value(
        &text,
        "switchboard_budget_remaining_usd",
        &[("kind", "key"), ("name", "app")],
    );
    assert!(remaining > 9.99 && remaining < 10.0, "{remaining}\n{text}");
    let rpm = value(
        &text,
        "switchboard_rate_limit_remaining",
        &[("kind", "key"), ("name", "app"), ("limit", "rpm")],
    );
    // The minute may have turned between the request and the scrape.
    assert!(rpm == 99.0 || rpm == 100.0, "{rpm}");
    promtool_accepts(&text);
}

#[tokio::test]
async fn metrics_can_require_an_admin_key() {
    let (a, b) = (mock().await, mock().await);
    let config = format!(
        "{}litellm_settings:\n  require_auth_for_metrics_endpoint: true\n",
        config(&a, &b)
    );
    let gateway = start(&config);
    let response = client().get(gateway.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let response = client()
        .get(gateway.url("/metrics"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Runs `promtool check metrics` on `text`. promtool comes with Debian's
/// `prometheus` package, which `.ci/run` installs; without it the check is
/// skipped locally and fails under CI.
fn promtool_accepts(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            assert!(
                std::env::var("CI").is_err(),
                "promtool is required under CI: {error}"
            );
            eprintln!("promtool not found ({error}); metrics format not checked");
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
