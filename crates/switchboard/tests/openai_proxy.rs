//! The OpenAI front door in front of an OpenAI-compatible upstream: the
//! passthrough path, byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};

fn chat(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Say hello to the gateway"}
        ],
        "stream": stream,
        "temperature": 0.3,
        "x_provider_specific": {"kept": [1, 2.5, "three"]}
    })
}

#[tokio::test]
async fn chat_non_stream_is_the_upstream_answer() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let response = post(&gateway, "/v1/chat/completions", &chat("gpt", false)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("x-request-id"));
    let overhead: f64 = response.headers()["x-litellm-overhead-duration-ms"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(overhead >= 0.0);
    let through_gateway = response.bytes().await.unwrap();

    // The upstream saw the client's body with only the model replaced,
    // unknown fields included, and the deployment's key.
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-upstream"));
    let upstream_body: Value = seen[0].body_json().unwrap();
    assert_eq!(upstream_body, chat("mock-gpt", false));

    let direct = post_direct(&mock, "/chat/completions", &chat("mock-gpt", false)).await;
    assert_eq!(through_gateway, direct);
}

#[tokio::test]
async fn stream_with_usage_requested_is_byte_identical() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let mut body = chat("gpt", true);
    body["stream_options"] = json!({"include_usage": true});
    let response = post(&gateway, "/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let through_gateway = response.bytes().await.unwrap();
    body["model"] = json!("mock-gpt");
    let direct = post_direct(&mock, "/chat/completions", &body).await;
    assert_eq!(
        String::from_utf8_lossy(&through_gateway),
        String::from_utf8_lossy(&direct)
    );
    assert!(String::from_utf8_lossy(&direct).contains("\"usage\":{"));
}

#[tokio::test]
async fn stream_without_usage_looks_exactly_as_asked_though_usage_was_requested_upstream() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let response = post(&gateway, "/v1/chat/completions", &chat("gpt", true)).await;
    assert_eq!(response.status(), 200);
    let through_gateway = response.bytes().await.unwrap();

    // The gateway asked the upstream for usage ...
    let seen = mock.requests();
    let upstream_body = seen[0].body_json().unwrap();
    assert_eq!(upstream_body["stream_options"]["include_usage"], true);

    // ... and the client got what the upstream sends to a client that did not.
    let direct = post_direct(&mock, "/chat/completions", &chat("mock-gpt", true)).await;
    let text = String::from_utf8_lossy(&through_gateway);
    assert_eq!(text, String::from_utf8_lossy(&direct));
    assert!(!text.contains("usage"), "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn tools_pass_through_and_tool_calls_come_back() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let tools = json!([{
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"]
            },
            "strict": true
        }
    }]);
    let body = json!({
        "model": "gpt",
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": tools,
        "tool_choice": "auto",
    });
    let response = post(&gateway, "/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    let call = &answer["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments["city"], "mock");
    assert_eq!(mock.requests()[0].body_json().unwrap()["tools"], tools);
}

#[tokio::test]
async fn embeddings_completions_and_prefixes() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    for path in ["/v1/embeddings", "/embeddings", "/openai/v1/embeddings"] {
        let response = post(
            &gateway,
            path,
            &json!({"model": "gpt", "input": ["a", "b"], "dimensions": 4}),
        )
        .await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"].as_array().unwrap().len(), 2);
        assert_eq!(body["data"][1]["embedding"].as_array().unwrap().len(), 4);
    }
    let response = post(
        &gateway,
        "/v1/completions",
        &json!({"model": "gpt", "prompt": "Once upon", "max_tokens": 5}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "text_completion");
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v1/embeddings",
            "/v1/embeddings",
            "/v1/embeddings",
            "/v1/completions"
        ]
    );
}

#[tokio::test]
async fn models_are_listed_and_looked_up() {
    let mock = mock().await;
    let config = format!(
        "{}  - model_name: openai/*\n    litellm_params:\n      model: openai/*\n      api_base: {}\n",
        mock_config(&mock),
        mock.base_url()
    );
    let gateway = start(&config);
    let client = client();
    let list: Value = client
        .get(gateway.url("/v1/models"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gpt", "openai/*"]);
    assert_eq!(list["data"][0]["owned_by"], "openai");

    let one = client
        .get(gateway.url("/v1/models/openai/gpt-4o"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["id"], "openai/gpt-4o");

    let missing = client
        .get(gateway.url("/v1/models/nope"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn wildcard_route_sends_the_captured_model() {
    let mock = mock().await;
    let config = format!(
        "model_list:\n  - model_name: openai/*\n    litellm_params:\n      model: openai/*\n      api_base: {}\n",
        mock.base_url()
    );
    let gateway = start(&config);
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &chat("openai/gpt-4o-mini", false),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.requests()[0].body_json().unwrap()["model"],
        "gpt-4o-mini"
    );
}

#[tokio::test]
async fn request_id_is_echoed() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", "trace-42")
        .json(&chat("gpt", false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-42");
    let response = client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth("wrong")
        .header("x-request-id", "trace-43")
        .json(&chat("gpt", false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["x-request-id"], "trace-43");
}

#[tokio::test]
async fn azure_deployment_receives_azure_urls_and_key_header() {
    let mock = mock().await;
    let base = format!("http://{}", mock.addr());
    let config = format!(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: azure/my-gpt4o\n      api_base: {base}\n      api_key: az-secret\n      api_version: 2024-06-01\n"
    );
    let gateway = start(&config);
    let response = post(&gateway, "/v1/chat/completions", &chat("gpt", false)).await;
    assert_eq!(response.status(), 200);
    let seen = &mock.requests()[0];
    assert_eq!(seen.path, "/openai/deployments/my-gpt4o/chat/completions");
    assert_eq!(seen.query.as_deref(), Some("api-version=2024-06-01"));
    assert_eq!(seen.header("api-key"), Some("az-secret"));
    assert_eq!(seen.header("authorization"), None);
}
