//! Model management without restarts: `/model/new|update|delete` add,
//! change and remove deployments that serve at once, survive a restart
//! (stored sealed: no credential in the database file) and a config reload;
//! invalid definitions are refused with the path at fault; config-file
//! deployments and other callers are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const UPSTREAM_KEY: &str = "sk-upstream-added-4242";

async fn call(gateway: &Gateway, key: &str, path: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(gateway.url(path))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn chat(gateway: &Gateway, model: &str) -> (u16, Option<String>) {
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let served_by = response
        .headers()
        .get("x-litellm-model-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    response.bytes().await.unwrap();
    (status, served_by)
}

async fn model_info(gateway: &Gateway) -> Vec<Value> {
    let response = client()
        .get(gateway.url("/model/info"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

fn added(mock: &switchboard_mock::MockServer, name: &str) -> Value {
    json!({
        "model_name": name,
        "litellm_params": {
            "model": "openai/mock-gpt",
            "api_base": mock.base_url(),
            "api_key": UPSTREAM_KEY,
        },
        "model_info": {"id": "added-1"},
    })
}

#[tokio::test]
async fn deployments_added_through_the_api_serve_persist_and_go() {
    let mock = mock().await;
    let mut gateway = start(&mock_config(&mock));

    let (status, created) = call(&gateway, MASTER_KEY, "/model/new", added(&mock, "extra")).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["model_info"]["id"], "added-1");
    assert!(
        created["litellm_params"].get("api_key").is_none(),
        "{created}"
    );
    assert_eq!(chat(&gateway, "extra").await, (200, Some("added-1".into())));

    let rows = model_info(&gateway).await;
    let row = |id: &str| {
        rows.iter()
            .find(|r| r["model_info"]["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row("added-1")["model_info"]["db_model"], true);
    let file_id = rows.iter().find(|r| r["model_name"] == "gpt").unwrap()["model_info"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(row(&file_id)["model_info"]["db_model"], false);

    // Refusals, each with its reason.
    let (status, body) = call(&gateway, MASTER_KEY, "/model/new", added(&mock, "again")).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exists already")
    );
    let bad = json!({"model_name": "bad", "litellm_params": {"model": "openai/x", "rpm": "lots"}});
    let (status, body) = call(&gateway, MASTER_KEY, "/model/new", bad).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("litellm_params.rpm"),
        "{body}"
    );
    let no_base = json!({"model_name": "bad", "litellm_params": {"model": "azure/x"}});
    let (status, body) = call(&gateway, MASTER_KEY, "/model/new", no_base).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm_params: provider `azure`"),
        "{message}"
    );
    let (status, body) = call(
        &gateway,
        MASTER_KEY,
        "/model/update",
        json!({"model_info": {"id": file_id}, "litellm_params": {"rpm": 1}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("config file")
    );
    let (status, _) = call(&gateway, MASTER_KEY, "/model/delete", json!({"id": "nope"})).await;
    assert_eq!(status, 404);
    let (status, key) = call(&gateway, MASTER_KEY, "/key/generate", json!({})).await;
    assert_eq!(status, 200);
    let user_key = key["key"].as_str().unwrap();
    let (status, _) = call(
        &gateway,
        user_key,
        "/model/delete",
        json!({"id": "added-1"}),
    )
    .await;
    assert_eq!(status, 403);

    // An update renames the group; the old name is gone.
    let (status, body) = call(
        &gateway,
        MASTER_KEY,
        "/model/update",
        json!({"model_info": {"id": "added-1"}, "model_name": "renamed", "litellm_params": {"rpm": 1000}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["litellm_params"]["rpm"], 1000);
    assert_eq!(
        chat(&gateway, "renamed").await,
        (200, Some("added-1".into()))
    );
    assert_eq!(chat(&gateway, "extra").await.0, 404);

    // A config reload keeps the API's deployment.
    let config_path = gateway.config_path.clone().unwrap();
    let text = std::fs::read_to_string(&config_path).unwrap();
    let reloaded = text.replacen("model_name: gpt", "model_name: gpt2", 1);
    std::fs::write(&config_path, reloaded).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while chat(&gateway, "gpt2").await.0 != 200 {
        assert!(Instant::now() < deadline, "reload not applied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(chat(&gateway, "renamed").await.0, 200);

    // A restart serves it again; the database holds no credential.
    gateway.terminate();
    assert_eq!(gateway.wait_exit(Duration::from_secs(10)), 0);
    let data = gateway.dir.path().join("data");
    let database = std::fs::read(data.join("switchboard.db")).unwrap();
    let needle = UPSTREAM_KEY.as_bytes();
    assert!(!database.windows(needle.len()).any(|w| w == needle));
    let again = launch(Launch {
        args: vec![
            "--data-dir".into(),
            data.display().to_string(),
            "--config".into(),
            config_path.display().to_string(),
        ],
        ..Launch::default()
    });
    assert_eq!(chat(&again, "renamed").await, (200, Some("added-1".into())));

    // Deleted: gone at once, and after a restart.
    let (status, body) = call(
        &again,
        MASTER_KEY,
        "/model/delete",
        json!({"id": "added-1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(chat(&again, "renamed").await.0, 404);
    assert_eq!(chat(&again, "gpt2").await.0, 200);
}
