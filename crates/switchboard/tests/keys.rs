//! Virtual keys over HTTP: the `/key/*` API, enforcement on the request path
//! (models, budgets, rate limits, blocking, expiry), cost and spend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{Value, json};

/// The mock answers 8 completion tokens; "hello" is 2 prompt tokens.
const INPUT_PRICE: f64 = 0.001;
const OUTPUT_PRICE: f64 = 0.002;
const HELLO_COST: f64 = 2.0 * INPUT_PRICE + 8.0 * OUTPUT_PRICE;

fn priced_config(mock: &MockServer) -> String {
    format!(
        "model_list:
  - model_name: gpt
    litellm_params: {{model: openai/mock-gpt, api_base: {base}, input_cost_per_token: {INPUT_PRICE}, output_cost_per_token: {OUTPUT_PRICE}}}
  - model_name: other
    litellm_params: {{model: openai/mock-other, api_base: {base}, input_cost_per_token: {INPUT_PRICE}, output_cost_per_token: {OUTPUT_PRICE}}}
general_settings:
  master_key: {MASTER_KEY}
",
        base = mock.base_url()
    )
}

async fn admin(gateway: &Gateway, path: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(gateway.url(path))
        .bearer_auth(MASTER_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn admin_get(gateway: &Gateway, path: &str, key: &str) -> (u16, Value) {
    let response = client()
        .get(gateway.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn generate(gateway: &Gateway, body: Value) -> String {
    let (status, key) = admin(gateway, "/key/generate", body).await;
    assert_eq!(status, 200, "{key}");
    key["key"].as_str().unwrap().to_string()
}

async fn hello(gateway: &Gateway, key: &str, model: &str) -> reqwest::Response {
    client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hello"}]}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn key_lifecycle() {
    let mock = mock().await;
    let gateway = start(&priced_config(&mock));
    let (status, created) = admin(
        &gateway,
        "/key/generate",
        json!({"key_alias": "ci", "models": ["gpt"], "metadata": {"owner": "ci"}, "tags": ["a"]}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("sk-") && key.len() == 35, "{key}");
    let token = created["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 64, "only a hash identifies the key");
    assert_eq!(
        created["key_name"],
        format!("sk-...{}", &key[key.len() - 4..])
    );

    // The key works, and only for its models.
    let response = hello(&gateway, &key, "gpt").await;
    assert_eq!(response.status(), 200);
    let cost: f64 = response.headers()["x-litellm-response-cost"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((cost - HELLO_COST).abs() < 1e-12, "{cost}");
    let response = hello(&gateway, &key, "other").await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "key_model_access_denied");

    // Info by key and by hash; the secret is never shown again.
    for name in [key.as_str(), token.as_str()] {
        let (status, info) =
            admin_get(&gateway, &format!("/key/info?key={name}"), MASTER_KEY).await;
        assert_eq!(status, 200);
        assert_eq!(info["key"], token);
        assert_eq!(info["info"]["key_alias"], "ci");
        assert!((info["info"]["spend"].as_f64().unwrap() - HELLO_COST).abs() < 1e-12);
        assert!(!info.to_string().contains(&key));
    }
    // A key reads its own info.
    let (status, own) = admin_get(&gateway, "/key/info", &key).await;
    assert_eq!(status, 200);
    assert_eq!(own["key"], token);

    let (_, list) = admin_get(&gateway, "/key/list?key_alias=ci", MASTER_KEY).await;
    assert_eq!(list["keys"], json!([token]));
    assert_eq!(list["total_count"], 1);

    // Update, block, unblock.
    let (status, updated) = admin(
        &gateway,
        "/key/update",
        json!({"key": key, "models": ["gpt", "other"]}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(hello(&gateway, &key, "other").await.status(), 200);
    let (status, _) = admin(&gateway, "/key/block", json!({"key": key})).await;
    assert_eq!(status, 200);
    let response = hello(&gateway, &key, "gpt").await;
    assert_eq!(response.status(), 403);
    let (status, _) = admin(&gateway, "/key/unblock", json!({"key": token})).await;
    assert_eq!(status, 200);
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 200);

    // Regenerate: a new secret, the old one stops, settings and spend stay.
    let (status, renewed) = admin(&gateway, &format!("/key/{key}/regenerate"), json!({})).await;
    assert_eq!(status, 200, "{renewed}");
    let new_key = renewed["key"].as_str().unwrap().to_string();
    assert_ne!(new_key, key);
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 401);
    assert_eq!(hello(&gateway, &new_key, "gpt").await.status(), 200);
    assert_eq!(renewed["key_alias"], "ci");
    assert!(renewed["spend"].as_f64().unwrap() >= 3.0 * HELLO_COST - 1e-12);

    // Delete.
    let (status, deleted) = admin(&gateway, "/key/delete", json!({"keys": [new_key]})).await;
    assert_eq!(status, 200);
    assert_eq!(deleted["deleted_keys"].as_array().unwrap().len(), 1);
    assert_eq!(hello(&gateway, &new_key, "gpt").await.status(), 401);

    // Bad input is a clear 400.
    let (status, error) = admin(&gateway, "/key/generate", json!({"max_budget": "lots"})).await;
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_budget"),
        "{error}"
    );
    let (status, _) = admin(&gateway, "/key/generate", json!({"duration": "forever"})).await;
    assert_eq!(status, 400);
    let (status, _) = admin(
        &gateway,
        "/key/generate",
        json!({"team_id": "no-such-team"}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn budgets_are_enforced_and_spend_survives_restart() {
    let mock = mock().await;
    let mut gateway = start(&priced_config(&mock));
    // Room for two requests and a bit.
    let key = generate(&gateway, json!({"max_budget": 2.5 * HELLO_COST})).await;
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 200);
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 200);
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 200);
    let response = hello(&gateway, &key, "gpt").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "budget_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Budget"),
        "{body}"
    );

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
    // Still over budget after a restart: the spend was written on SIGTERM.
    assert_eq!(hello(&again, &key, "gpt").await.status(), 400);
    let (_, info) = admin_get(&again, &format!("/key/info?key={key}"), MASTER_KEY).await;
    assert!(
        (info["info"]["spend"].as_f64().unwrap() - 3.0 * HELLO_COST).abs() < 1e-9,
        "{info}"
    );
}

#[tokio::test]
async fn budget_resets_after_its_duration() {
    let mock = mock().await;
    let gateway = start(&priced_config(&mock));
    let key = generate(
        &gateway,
        json!({"max_budget": HELLO_COST / 2.0, "budget_duration": "2s"}),
    )
    .await;
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 200);
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 400);
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 200);
}

#[tokio::test]
async fn concurrent_requests_overspend_at_most_the_documented_bound() {
    let mock = mock().await;
    let gateway = start(&priced_config(&mock));
    let budget = 10.0 * HELLO_COST;
    let key = generate(&gateway, json!({"max_budget": budget})).await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let url = gateway.url("/v1/chat/completions");
            let key = key.clone();
            tokio::spawn(async move {
                client()
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "hello"}]}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut served = 0;
    for task in tasks {
        match task.await.unwrap() {
            200 => served += 1,
            400 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    let (_, info) = admin_get(&gateway, &format!("/key/info?key={key}"), MASTER_KEY).await;
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!((spend - f64::from(served) * HELLO_COST).abs() < 1e-9);
    // The bound (docs): one request beyond the budget, because each
    // request's reservation (its body size and the default output
    // allowance) is at least its real cost.
    assert!(
        spend <= budget + HELLO_COST + 1e-9,
        "spent {spend} of {budget}"
    );
    assert!(served >= 1);
}

#[tokio::test]
async fn rpm_limit_lets_exactly_the_limit_through_per_minute() {
    let mock = mock().await;
    let gateway = start(&priced_config(&mock));
    let key = generate(&gateway, json!({"rpm_limit": 7})).await;
    // Start well inside a minute so that the burst stays in one window.
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 45 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let url = gateway.url("/v1/chat/completions");
            let key = key.clone();
            tokio::spawn(async move {
                let response = client()
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}))
                    .send()
                    .await
                    .unwrap();
                let retry_after = response.headers().get("retry-after").cloned();
                (response.status().as_u16(), retry_after)
            })
        })
        .collect();
    let mut ok = 0;
    for client in clients {
        let (status, retry_after) = client.await.unwrap();
        match status {
            200 => ok += 1,
            429 => {
                let seconds: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&seconds));
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 7);
}

#[tokio::test]
async fn parallel_limit_and_expiry() {
    let mock = mock().await;
    let gateway = start(&priced_config(&mock));
    let key = generate(&gateway, json!({"max_parallel_requests": 1})).await;
    let slow = {
        let url = gateway.url("/v1/chat/completions");
        let key = key.clone();
        tokio::spawn(async move {
            client()
                .post(url)
                .bearer_auth(key)
                .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "[mock:latency-ms=800]"}]}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = hello(&gateway, &key, "gpt").await;
    assert_eq!(response.status(), 429);
    assert_eq!(slow.await.unwrap(), 200);
    assert_eq!(hello(&gateway, &key, "gpt").await.status(), 200);

    let short = generate(&gateway, json!({"duration": "1s"})).await;
    assert_eq!(hello(&gateway, &short, "gpt").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let response = hello(&gateway, &short, "gpt").await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "key_expired");
}
