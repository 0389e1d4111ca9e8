//! Bedrock as a native provider, end to end: the real binary in front of
//! the mock's Bedrock runtime, which verifies every SigV4 signature with its
//! own implementation (`aws_secret_access_key` set).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};

const ACCESS_KEY: &str = "AKIDMOCKEXAMPLE";
const SECRET: &str = "mock/secret+key";
const CLAUDE: &str = "us.anthropic.claude-3-5-sonnet-20241022-v2:0";

async fn bedrock_mock() -> MockServer {
    mock_with(MockConfig {
        fixed_created: Some(FIXED_CREATED),
        api_key: Some(ACCESS_KEY.to_string()),
        aws_secret_access_key: Some(SECRET.to_string()),
        ..MockConfig::default()
    })
    .await
}

fn config(mock: &MockServer) -> String {
    let base = format!("http://{}", mock.addr());
    let deployment = |name: &str, model: &str, secret: &str| {
        format!(
            "  - model_name: {name}
    litellm_params:
      model: bedrock/{model}
      api_base: {base}
      aws_access_key_id: {ACCESS_KEY}
      aws_secret_access_key: {secret}
      aws_region_name: us-west-2
"
        )
    };
    format!(
        "model_list:\n{}{}{}{}",
        deployment("claude", CLAUDE, SECRET),
        deployment("titan", "amazon.titan-embed-text-v2:0", SECRET),
        deployment("cohere-embed", "cohere.embed-english-v3", SECRET),
        deployment("wrong-secret", CLAUDE, "not-the-secret"),
    )
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {"name": "weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])
}

async fn chat(gateway: &Gateway, body: Value) -> (u16, Value) {
    let response = post(gateway, "/v1/chat/completions", &body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The `data:` payloads of an OpenAI stream, `[DONE]` excluded.
fn events(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

#[tokio::test]
async fn openai_clients_reach_bedrock() {
    let mock = bedrock_mock().await;
    let gateway = start(&config(&mock));

    // Non-stream.
    let (status, body) = chat(
        &gateway,
        json!({"model": "claude", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello from Paris"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let message = &body["choices"][0]["message"];
    assert!(
        message["content"].as_str().unwrap().contains("Paris"),
        "{body}"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["model"], CLAUDE);
    assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    let seen = mock.requests();
    let upstream = seen.last().unwrap();
    assert_eq!(
        upstream.path,
        "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse"
    );
    assert!(
        upstream
            .header("authorization")
            .unwrap()
            .contains("/us-west-2/bedrock/aws4_request")
    );
    let sent = upstream.body_json().unwrap();
    assert_eq!(sent["system"], json!([{"text": "Be brief."}]));
    assert_eq!(sent.get("model"), None);

    // Stream, with the usage chunk.
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({"model": "claude", "stream": true, "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "Stream to Paris"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let events = events(&text);
    let content: String = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(content.contains("Paris"), "{text}");
    let finish: Vec<&Value> = events
        .iter()
        .map(|e| &e["choices"][0]["finish_reason"])
        .filter(|r| !r.is_null())
        .collect();
    assert_eq!(finish, [&json!("stop")]);
    let usage = events.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert!(
        mock.requests()
            .last()
            .unwrap()
            .path
            .ends_with("/converse-stream")
    );
}

#[tokio::test]
async fn a_tool_call_round_trip() {
    let mock = bedrock_mock().await;
    let gateway = start(&config(&mock));
    let mut messages = vec![json!({"role": "user", "content": "What is the weather in Paris?"})];
    for stream in [false, true] {
        let body = json!({"model": "claude", "messages": messages, "tools": weather_tool(), "stream": stream});
        let call = if stream {
            let text = post(&gateway, "/v1/chat/completions", &body)
                .await
                .text()
                .await
                .unwrap();
            let mut call = json!({"type": "function", "function": {"arguments": ""}});
            for event in events(&text) {
                for delta in event["choices"][0]["delta"]["tool_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = delta.get("id") {
                        call["id"] = id.clone();
                        call["function"]["name"] = delta["function"]["name"].clone();
                    }
                    let piece = delta["function"]["arguments"].as_str().unwrap_or_default();
                    let so_far = call["function"]["arguments"].as_str().unwrap().to_owned();
                    call["function"]["arguments"] = json!(so_far + piece);
                }
                if let Some(reason) = event["choices"][0]["finish_reason"].as_str() {
                    assert_eq!(reason, "tool_calls");
                }
            }
            call
        } else {
            let (status, body) = chat(&gateway, body).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
            body["choices"][0]["message"]["tool_calls"][0].clone()
        };
        assert_eq!(call["function"]["name"], "weather", "stream={stream}");
        let arguments: Value =
            serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
        assert!(
            arguments["city"].is_string(),
            "stream={stream}: {arguments}"
        );
        let id = call["id"].as_str().unwrap().to_owned();
        messages.push(json!({"role": "assistant", "content": null, "tool_calls": [call]}));
        messages
            .push(json!({"role": "tool", "tool_call_id": id, "content": "18 degrees and sunny"}));
        let (status, body) = chat(
            &gateway,
            json!({"model": "claude", "messages": messages, "tools": weather_tool()}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["choices"][0]["finish_reason"], "stop", "{body}");
        let sent = mock.requests().last().unwrap().body_json().unwrap();
        let result = &sent["messages"].as_array().unwrap().last().unwrap()["content"][0];
        assert_eq!(result["toolResult"]["toolUseId"], id.as_str());
        messages.push(
            json!({"role": "assistant", "content": body["choices"][0]["message"]["content"]}),
        );
        messages.push(json!({"role": "user", "content": "And in Rome?"}));
    }
}

#[tokio::test]
async fn reasoning_effort_is_claude_thinking_and_comes_back_signed() {
    let mock = bedrock_mock().await;
    let gateway = start(&config(&mock));
    let question = json!({"role": "user", "content": "Think about Paris"});
    let (status, body) = chat(
        &gateway,
        json!({"model": "claude", "reasoning_effort": "low", "messages": [question]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sent = mock.requests().last().unwrap().body_json().unwrap();
    assert_eq!(
        sent["additionalModelRequestFields"]["thinking"],
        json!({"type": "enabled", "budget_tokens": 1024})
    );
    let message = &body["choices"][0]["message"];
    assert!(
        !message["reasoning_content"].as_str().unwrap().is_empty(),
        "{body}"
    );
    let blocks = message["thinking_blocks"].clone();
    assert!(blocks[0]["signature"].is_string(), "{body}");
    // The signed block goes back to Bedrock on the next turn.
    let (status, _) = chat(
        &gateway,
        json!({"model": "claude", "reasoning_effort": "low", "messages": [question,
            {"role": "assistant", "content": message["content"], "thinking_blocks": blocks},
            {"role": "user", "content": "And Rome?"}]}),
    )
    .await;
    assert_eq!(status, 200);
    let sent = mock.requests().last().unwrap().body_json().unwrap();
    let reasoning = &sent["messages"][1]["content"][0]["reasoningContent"]["reasoningText"];
    assert_eq!(reasoning["signature"], blocks[0]["signature"]);
}

#[tokio::test]
async fn embeddings_through_titan_and_cohere() {
    let mock = bedrock_mock().await;
    let gateway = start(&config(&mock));
    for (model, calls) in [("titan", 2), ("cohere-embed", 1)] {
        mock.clear_requests();
        let response = post(
            &gateway,
            "/v1/embeddings",
            &json!({"model": model, "input": ["first text", "second text"]}),
        )
        .await;
        assert_eq!(response.status(), 200, "{model}");
        let body: Value = response.json().await.unwrap();
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len(), 2, "{model}: {body}");
        assert_eq!(data[1]["index"], 1);
        assert!(!data[0]["embedding"].as_array().unwrap().is_empty());
        assert_ne!(data[0]["embedding"], data[1]["embedding"]);
        let seen = mock.requests();
        assert_eq!(seen.len(), calls, "{model}");
        assert!(seen.iter().all(|r| r.path.ends_with("/invoke")));
        if model == "titan" {
            assert_eq!(seen[0].path, "/model/amazon.titan-embed-text-v2%3A0/invoke");
            assert_eq!(
                seen[1].body_json().unwrap(),
                json!({"inputText": "second text"})
            );
            assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
        }
    }
    // OpenAI's SDKs ask for base64 by default: little-endian f32s.
    let response = post(
        &gateway,
        "/v1/embeddings",
        &json!({"model": "titan", "input": "x", "encoding_format": "base64", "dimensions": 4}),
    )
    .await;
    let body: Value = response.json().await.unwrap();
    // 4 dimensions × 4 bytes = 16 bytes, 24 base64 characters.
    let encoded = body["data"][0]["embedding"].as_str().unwrap();
    assert_eq!(encoded.len(), 24, "{body}");
    assert!(encoded.ends_with("=="), "{body}");
}

#[tokio::test]
async fn an_anthropic_client_reaches_bedrock() {
    let mock = bedrock_mock().await;
    let gateway = start(&config(&mock));
    for stream in [false, true] {
        let response = client()
            .post(gateway.url("/v1/messages"))
            .header("x-api-key", MASTER_KEY)
            .header("anthropic-version", "2023-06-01")
            .json(
                &json!({"model": "claude", "max_tokens": 200, "stream": stream,
                "messages": [{"role": "user", "content": "Bonjour from Paris"}]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        if stream {
            assert!(text.contains("event: message_start"), "{text}");
            assert!(text.contains("\"type\":\"text_delta\""), "{text}");
            assert!(text.contains("\"stop_reason\":\"end_turn\""), "{text}");
            assert!(text.contains("event: message_stop"), "{text}");
        } else {
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["type"], "message");
            assert_eq!(body["stop_reason"], "end_turn");
            assert!(
                body["content"][0]["text"]
                    .as_str()
                    .unwrap()
                    .contains("Paris"),
                "{body}"
            );
            assert!(body["usage"]["output_tokens"].as_u64().unwrap() > 0);
        }
    }
}

#[tokio::test]
async fn throttling_is_a_429_before_and_during_a_stream() {
    let mock = bedrock_mock().await;
    let gateway = start(&config(&mock));
    let (status, body) = chat(
        &gateway,
        json!({"model": "claude", "messages": [{"role": "user", "content": "hi [mock:status=429]"}]}),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");
    assert_eq!(body["error"]["message"], "mock injected error");

    // Mid-stream: Bedrock sends a `throttlingException` frame.
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({"model": "claude", "stream": true, "messages": [
            {"role": "user", "content": "hi [mock:error-after=2,status=429]"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let last = events(&text).pop().unwrap();
    assert_eq!(last["error"]["type"], "rate_limit_error", "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
}

#[tokio::test]
async fn a_wrong_secret_is_a_clear_authentication_error() {
    let mock = bedrock_mock().await;
    let gateway = start(&config(&mock));
    let (status, body) = chat(
        &gateway,
        json!({"model": "wrong-secret", "messages": [{"role": "user", "content": "Hi"}]}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "authentication_error", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("signature we calculated does not match"),
        "{message}"
    );
}
