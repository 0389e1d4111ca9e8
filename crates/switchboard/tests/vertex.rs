//! Vertex AI as a native provider, end to end: the real binary in front of
//! the mock's Vertex AI paths, with a service account whose `token_uri` is
//! the mock's OAuth endpoint (which checks the JWT bearer grant and hands out
//! `mock-token-<n>`; with `api_key` set, inference paths accept only those).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};

const GEMINI: &str = "gemini-2.5-flash";
const CLAUDE: &str = "claude-sonnet-4@20250514";
const PREFIX: &str = "/v1/projects/test-project/locations/us-east5/publishers";
/// A TEST-ONLY RSA key, shared with the providers crate's unit tests.
const TEST_KEY: &str =
    include_str!("../../providers/src/vertex/testdata/TEST-ONLY-rsa-2048.pk8.pem");

struct Setup {
    mock: MockServer,
    gateway: Gateway,
    /// Holds the service account files.
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let mock = mock_with(MockConfig {
        fixed_created: Some(FIXED_CREATED),
        // Only tokens from the mock's `/token` pass.
        api_key: Some("not-a-token-anyone-sends".to_owned()),
        ..MockConfig::default()
    })
    .await;
    let base = format!("http://{}", mock.addr());
    let dir = tempfile::tempdir().unwrap();
    let account = |name: &str, token_uri: String| {
        let path = dir.path().join(name);
        let json = json!({
            "type": "service_account",
            "project_id": "file-project",
            "private_key_id": "0123456789abcdef",
            "private_key": TEST_KEY,
            "client_email": "switchboard-test@file-project.iam.gserviceaccount.com",
            "token_uri": token_uri,
        });
        std::fs::write(&path, json.to_string()).unwrap();
        path.display().to_string()
    };
    let good = account("sa.json", format!("{base}/token"));
    let broken = account("broken.json", format!("{base}/no-such-token-endpoint"));
    let deployment = |name: &str, model: &str, credentials: &str| {
        format!(
            "  - model_name: {name}
    litellm_params:
      model: vertex_ai/{model}
      api_base: {base}
      vertex_project: test-project
      vertex_location: us-east5
      vertex_credentials: {credentials}
"
        )
    };
    let config = format!(
        "model_list:\n{}{}{}",
        deployment("gemini", GEMINI, &good),
        deployment("claude", CLAUDE, &good),
        deployment("broken", GEMINI, &broken),
    );
    let gateway = start(&config);
    Setup {
        mock,
        gateway,
        _dir: dir,
    }
}

async fn chat(gateway: &Gateway, body: Value) -> (u16, Value) {
    let response = post(gateway, "/v1/chat/completions", &body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn messages(gateway: &Gateway, body: &Value) -> reqwest::Response {
    client()
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// One user message to a model group, as an OpenAI client.
async fn say(gateway: &Gateway, model: &str, text: &str) -> (u16, Value) {
    chat(
        gateway,
        json!({"model": model, "messages": [{"role": "user", "content": text}]}),
    )
    .await
}

/// The `data:` payloads of an OpenAI stream (`[DONE]` excluded) and the
/// text of their deltas.
fn events(text: &str) -> (Vec<Value>, String) {
    let events: Vec<Value> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    let content = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect();
    (events, content)
}

fn token_requests(mock: &MockServer) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.path == "/token")
        .count()
}

/// The last request to an inference path (not the token endpoint).
fn last_inference(mock: &MockServer) -> switchboard_mock::RecordedRequest {
    mock.requests()
        .into_iter()
        .rev()
        .find(|r| r.path != "/token")
        .unwrap()
}

#[tokio::test]
async fn openai_clients_reach_gemini_on_vertex() {
    let Setup { mock, gateway, .. } = setup().await;
    let (status, body) = say(&gateway, "gemini", "Hello from Paris").await;
    assert_eq!(status, 200, "{body}");
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(content.contains("Paris"), "{body}");
    assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    let upstream = last_inference(&mock);
    assert_eq!(
        upstream.path,
        format!("{PREFIX}/google/models/{GEMINI}:generateContent")
    );
    assert_eq!(
        upstream.header("authorization"),
        Some("Bearer mock-token-1")
    );
    let sent = upstream.body_json().unwrap();
    assert_eq!(sent["contents"][0]["parts"][0]["text"], "Hello from Paris");

    // The grant the mock saw.
    let grant = mock
        .requests()
        .into_iter()
        .find(|r| r.path == "/token")
        .unwrap();
    let form = String::from_utf8(grant.body.to_vec()).unwrap();
    assert!(
        form.starts_with(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey"
        ),
        "{form}"
    );

    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({"model": "gemini", "stream": true, "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "Stream to Paris"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let (events, content) = events(&text);
    assert!(content.contains("Paris"), "{text}");
    assert!(
        events.last().unwrap()["usage"]["completion_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    let upstream = last_inference(&mock);
    assert_eq!(
        upstream.path,
        format!("{PREFIX}/google/models/{GEMINI}:streamGenerateContent")
    );
    assert_eq!(upstream.query.as_deref(), Some("alt=sse"));
    assert_eq!(token_requests(&mock), 1);
}

#[tokio::test]
async fn gemini_clients_pass_through_to_gemini_on_vertex() {
    let Setup { mock, gateway, .. } = setup().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "Hallo aus Berlin"}]}]});
    let response = client()
        .post(gateway.url("/v1beta/models/gemini:generateContent"))
        .header("x-goog-api-key", MASTER_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let text = answer["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("Berlin"), "{answer}");
    let upstream = last_inference(&mock);
    assert_eq!(upstream.body_json().unwrap(), body);
}

#[tokio::test]
async fn anthropic_clients_pass_through_to_claude_on_vertex() {
    let Setup { mock, gateway, .. } = setup().await;
    for stream in [false, true] {
        let response = messages(
            &gateway,
            &json!({"model": "claude", "max_tokens": 200, "stream": stream,
                "messages": [{"role": "user", "content": "Bonjour from Paris"}]}),
        )
        .await;
        assert_eq!(response.status(), 200, "stream={stream}");
        let text = response.text().await.unwrap();
        if stream {
            assert!(text.contains("event: message_start"), "{text}");
            assert!(text.contains("\"type\":\"text_delta\""), "{text}");
            assert!(text.contains("event: message_stop"), "{text}");
        } else {
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["type"], "message", "{body}");
            assert!(
                body["content"][0]["text"]
                    .as_str()
                    .unwrap()
                    .contains("Paris"),
                "{body}"
            );
        }
        let upstream = last_inference(&mock);
        let action = if stream {
            "streamRawPredict"
        } else {
            "rawPredict"
        };
        assert_eq!(
            upstream.path,
            format!("{PREFIX}/anthropic/models/{CLAUDE}:{action}")
        );
        assert_eq!(
            upstream.header("authorization"),
            Some("Bearer mock-token-1")
        );
        let sent = upstream.body_json().unwrap();
        assert_eq!(sent.get("model"), None, "{sent}");
        assert_eq!(sent["anthropic_version"], "vertex-2023-10-16");
        assert_eq!(sent["max_tokens"], 200);
        assert_eq!(sent["stream"], stream);
    }
}

#[tokio::test]
async fn openai_clients_call_tools_on_claude_on_vertex() {
    let Setup { mock, gateway, .. } = setup().await;
    let tools = json!([{"type": "function", "function": {"name": "weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
            "required": ["city"]}}}]);
    let question = json!({"role": "user", "content": "What is the weather in Paris?"});
    let (status, body) = chat(
        &gateway,
        json!({"model": "claude", "messages": [question], "tools": tools}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls", "{body}");
    let call = body["choices"][0]["message"]["tool_calls"][0].clone();
    assert_eq!(call["function"]["name"], "weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert!(arguments["city"].is_string(), "{arguments}");
    let sent = last_inference(&mock).body_json().unwrap();
    assert_eq!(sent.get("model"), None, "{sent}");
    assert_eq!(sent["anthropic_version"], "vertex-2023-10-16");
    assert_eq!(sent["tools"][0]["name"], "weather");

    // The result goes back as a tool_result block.
    let id = call["id"].as_str().unwrap().to_owned();
    let (status, body) = chat(
        &gateway,
        json!({"model": "claude", "tools": tools, "messages": [question,
            {"role": "assistant", "content": null, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": id, "content": "18 degrees and sunny"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["finish_reason"], "stop", "{body}");
    let sent = last_inference(&mock).body_json().unwrap();
    let result = &sent["messages"][2]["content"][0];
    assert_eq!(result["type"], "tool_result", "{sent}");
    assert_eq!(result["tool_use_id"], id.as_str());
}

#[tokio::test]
async fn one_token_serves_every_request_and_deployment() {
    let Setup { mock, gateway, .. } = setup().await;
    // The first requests arrive together: one token exchange between them.
    let together = (0..8).map(|i| say(&gateway, ["gemini", "claude"][i % 2], "Hi"));
    for (status, body) in futures_util::future::join_all(together).await {
        assert_eq!(status, 200, "{body}");
    }
    for model in ["gemini", "claude", "gemini"] {
        let (status, body) = say(&gateway, model, "Again").await;
        assert_eq!(status, 200, "{body}");
    }
    let seen = mock.requests();
    assert_eq!(
        token_requests(&mock),
        1,
        "{:#?}",
        seen.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    let inference: Vec<_> = seen.iter().filter(|r| r.path != "/token").collect();
    assert_eq!(inference.len(), 11);
    assert!(
        inference
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer mock-token-1"))
    );
}

#[tokio::test]
async fn a_failing_token_exchange_is_a_502_that_says_why() {
    let Setup { mock, gateway, .. } = setup().await;
    let (status, body) = say(&gateway, "broken", "Hi").await;
    assert_eq!(status, 502, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("token exchange with")
            && message.contains("/no-such-token-endpoint failed: HTTP 404"),
        "{message}"
    );
    // Nothing reached the model; the gateway still serves the others.
    assert!(
        mock.requests()
            .iter()
            .all(|r| !r.path.contains("/publishers/"))
    );
    assert_eq!(say(&gateway, "gemini", "Hi").await.0, 200);
}
