//! Every front door in front of every native provider, over HTTP against the
//! mock provider: {OpenAI chat, Anthropic messages, Gemini} × {OpenAI-
//! compatible, Anthropic, Gemini} × {non-stream, stream, tool call}.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};

const UPSTREAM_KEY: &str = "upstream-key";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Door {
    OpenAi,
    Anthropic,
    Gemini,
}

/// What a client got, normalized across dialects.
#[derive(Debug, Default)]
struct Answer {
    text: String,
    tool: Option<(String, Value)>,
    /// Normalized stop: "stop", "tool", "length".
    stop: String,
}

fn config(mock: &MockServer) -> String {
    let host = format!("http://{}", mock.addr());
    format!(
        "model_list:
  - model_name: oa
    litellm_params: {{model: openai/mock-gpt, api_base: {host}/v1, api_key: {UPSTREAM_KEY}}}
  - model_name: an
    litellm_params: {{model: anthropic/claude-mock, api_base: {host}, api_key: {UPSTREAM_KEY}}}
  - model_name: ge
    litellm_params: {{model: gemini/gemini-mock, api_base: {host}/v1beta, api_key: {UPSTREAM_KEY}}}
litellm_settings:
  drop_params: true
general_settings:
  master_key: {MASTER_KEY}
"
    )
}

fn weather_schema() -> Value {
    json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
}

async fn ask(gateway: &Gateway, door: Door, model: &str, stream: bool, tools: bool) -> Answer {
    let question = "What is the weather in Paris?";
    let (url, body) = match door {
        Door::OpenAi => {
            let mut body = json!({"model": model, "stream": stream,
                "messages": [{"role": "user", "content": question}]});
            if tools {
                body["tools"] = json!([{"type": "function", "function": {"name": "weather", "parameters": weather_schema()}}]);
            }
            (gateway.url("/v1/chat/completions"), body)
        }
        Door::Anthropic => {
            let mut body = json!({"model": model, "stream": stream, "max_tokens": 256,
                "messages": [{"role": "user", "content": question}]});
            if tools {
                body["tools"] = json!([{"name": "weather", "input_schema": weather_schema()}]);
            }
            (gateway.url("/v1/messages"), body)
        }
        Door::Gemini => {
            let action = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            let mut body = json!({"contents": [{"role": "user", "parts": [{"text": question}]}]});
            if tools {
                body["tools"] = json!([{"functionDeclarations": [{"name": "weather", "parameters": weather_schema()}]}]);
            }
            (
                gateway.url(&format!("/v1beta/models/{model}:{action}")),
                body,
            )
        }
    };
    let mut request = client().post(url).json(&body);
    request = match door {
        Door::OpenAi => request.bearer_auth(MASTER_KEY),
        Door::Anthropic => request
            .header("x-api-key", MASTER_KEY)
            .header("anthropic-version", "2023-06-01"),
        Door::Gemini => request.header("x-goog-api-key", MASTER_KEY),
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(
        status, 200,
        "{door:?} {model} stream={stream} tools={tools}: {text}"
    );
    match (door, stream) {
        (Door::OpenAi, false) => openai_answer(&serde_json::from_str(&text).unwrap()),
        (Door::OpenAi, true) => openai_stream(&text),
        (Door::Anthropic, false) => anthropic_answer(&serde_json::from_str(&text).unwrap()),
        (Door::Anthropic, true) => anthropic_stream(&text),
        (Door::Gemini, false) => gemini_answer(&serde_json::from_str(&text).unwrap()),
        (Door::Gemini, true) => gemini_stream(&text),
    }
}

fn data_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d.trim()).unwrap())
        .collect()
}

fn openai_answer(body: &Value) -> Answer {
    let choice = &body["choices"][0];
    let tool = choice["message"]["tool_calls"].get(0).map(|call| {
        let args = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
        (call["function"]["name"].as_str().unwrap().to_string(), args)
    });
    Answer {
        text: choice["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        tool,
        stop: normalize(choice["finish_reason"].as_str().unwrap()),
    }
}

fn openai_stream(text: &str) -> Answer {
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let mut answer = Answer::default();
    let (mut name, mut args) = (String::new(), String::new());
    for chunk in data_lines(text) {
        let choice = &chunk["choices"][0];
        answer
            .text
            .push_str(choice["delta"]["content"].as_str().unwrap_or_default());
        if let Some(calls) = choice["delta"]["tool_calls"].as_array() {
            for call in calls {
                name.push_str(call["function"]["name"].as_str().unwrap_or_default());
                args.push_str(call["function"]["arguments"].as_str().unwrap_or_default());
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            answer.stop = normalize(reason);
        }
    }
    if !name.is_empty() {
        answer.tool = Some((name, serde_json::from_str(&args).unwrap()));
    }
    answer
}

fn anthropic_answer(body: &Value) -> Answer {
    let mut answer = Answer {
        stop: normalize(body["stop_reason"].as_str().unwrap()),
        ..Answer::default()
    };
    for block in body["content"].as_array().unwrap() {
        match block["type"].as_str().unwrap() {
            "text" => answer.text.push_str(block["text"].as_str().unwrap()),
            "tool_use" => {
                answer.tool = Some((
                    block["name"].as_str().unwrap().to_string(),
                    block["input"].clone(),
                ))
            }
            _ => {}
        }
    }
    answer
}

fn anthropic_stream(text: &str) -> Answer {
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"), "{text}");
    assert_eq!(names.last(), Some(&"message_stop"), "{text}");
    let mut answer = Answer::default();
    let (mut name, mut args) = (String::new(), String::new());
    for event in data_lines(text) {
        match event["type"].as_str().unwrap() {
            "content_block_start" if event["content_block"]["type"] == "tool_use" => {
                name = event["content_block"]["name"].as_str().unwrap().to_string();
            }
            "content_block_delta" => {
                let delta = &event["delta"];
                answer
                    .text
                    .push_str(delta["text"].as_str().unwrap_or_default());
                args.push_str(delta["partial_json"].as_str().unwrap_or_default());
            }
            "message_delta" => {
                answer.stop = normalize(event["delta"]["stop_reason"].as_str().unwrap());
                assert!(
                    event["usage"]["output_tokens"].as_u64().unwrap() > 0,
                    "{event}"
                );
            }
            _ => {}
        }
    }
    if !name.is_empty() {
        answer.tool = Some((name, serde_json::from_str(&args).unwrap()));
    }
    answer
}

fn gemini_answer(body: &Value) -> Answer {
    let candidate = &body["candidates"][0];
    let mut answer = Answer {
        stop: normalize(candidate["finishReason"].as_str().unwrap()),
        ..Answer::default()
    };
    for part in candidate["content"]["parts"].as_array().unwrap() {
        answer
            .text
            .push_str(part["text"].as_str().unwrap_or_default());
        if let Some(call) = part.get("functionCall") {
            answer.tool = Some((
                call["name"].as_str().unwrap().to_string(),
                call["args"].clone(),
            ));
        }
    }
    if answer.tool.is_some() {
        answer.stop = "tool".into();
    }
    answer
}

fn gemini_stream(text: &str) -> Answer {
    assert!(text.ends_with("\r\n\r\n"), "{text}");
    let mut answer = Answer::default();
    for event in data_lines(text) {
        let part = gemini_answer_lenient(&event);
        answer.text.push_str(&part.text);
        if part.tool.is_some() {
            answer.tool = part.tool;
        }
        if !part.stop.is_empty() {
            answer.stop = part.stop;
        }
    }
    if answer.tool.is_some() {
        answer.stop = "tool".into();
    }
    answer
}

fn gemini_answer_lenient(event: &Value) -> Answer {
    let candidate = &event["candidates"][0];
    let mut answer = Answer {
        stop: candidate["finishReason"]
            .as_str()
            .map(normalize)
            .unwrap_or_default(),
        ..Answer::default()
    };
    for part in candidate["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        answer
            .text
            .push_str(part["text"].as_str().unwrap_or_default());
        if let Some(call) = part.get("functionCall") {
            answer.tool = Some((
                call["name"].as_str().unwrap().to_string(),
                call["args"].clone(),
            ));
        }
    }
    answer
}

fn normalize(reason: &str) -> String {
    match reason {
        "stop" | "end_turn" | "STOP" => "stop",
        "tool_calls" | "tool_use" => "tool",
        "length" | "max_tokens" | "MAX_TOKENS" => "length",
        other => other,
    }
    .to_string()
}

#[tokio::test]
async fn every_front_door_reaches_every_provider() {
    let mock = mock_with(MockConfig {
        fixed_created: Some(FIXED_CREATED),
        api_key: Some(UPSTREAM_KEY.to_string()),
        ..MockConfig::default()
    })
    .await;
    let gateway = start(&config(&mock));
    for door in [Door::OpenAi, Door::Anthropic, Door::Gemini] {
        for model in ["oa", "an", "ge"] {
            for stream in [false, true] {
                let answer = ask(&gateway, door, model, stream, false).await;
                assert!(
                    answer.text.contains("Paris"),
                    "{door:?} → {model} stream={stream}: {answer:?}"
                );
                assert_eq!(answer.stop, "stop", "{door:?} → {model} stream={stream}");
                assert!(answer.tool.is_none());

                let answer = ask(&gateway, door, model, stream, true).await;
                let (name, args) = answer
                    .tool
                    .unwrap_or_else(|| panic!("{door:?} → {model} stream={stream}: no tool call"));
                assert_eq!(name, "weather");
                assert_eq!(
                    args,
                    json!({"city": "mock"}),
                    "{door:?} → {model} stream={stream}"
                );
                assert_eq!(answer.stop, "tool", "{door:?} → {model} stream={stream}");
            }
        }
    }
    // Each provider was reached on its own API, with its own credentials.
    let seen = mock.requests();
    let paths: std::collections::BTreeSet<&str> = seen.iter().map(|r| r.path.as_str()).collect();
    assert!(paths.contains("/v1/chat/completions"), "{paths:?}");
    assert!(paths.contains("/v1/messages"), "{paths:?}");
    assert!(
        paths.contains("/v1beta/models/gemini-mock:generateContent"),
        "{paths:?}"
    );
    assert!(
        paths.contains("/v1beta/models/gemini-mock:streamGenerateContent"),
        "{paths:?}"
    );
    for request in &seen {
        if request.path == "/v1/messages" {
            assert_eq!(request.header("x-api-key"), Some(UPSTREAM_KEY));
            assert_eq!(request.body_json().unwrap()["model"], "claude-mock");
        }
        if request.path.starts_with("/v1beta/") {
            assert_eq!(request.header("x-goog-api-key"), Some(UPSTREAM_KEY));
        }
    }
}

#[tokio::test]
async fn errors_come_back_in_the_callers_dialect() {
    let mock = mock().await;
    let gateway = start(&without_retries(&config(&mock)));
    // An upstream 429 through each door, from a provider of another dialect.
    mock.push_fault(Fault {
        status: Some(429),
        retry_after: Some(3),
        ..Fault::default()
    });
    let response = client()
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .json(&json!({"model": "oa", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");

    // Anthropic's "overloaded" is 529.
    mock.push_fault(Fault {
        status: Some(529),
        ..Fault::default()
    });
    let response = client()
        .post(gateway.url("/v1beta/models/an:generateContent"))
        .header("x-goog-api-key", MASTER_KEY)
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 529);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "UNAVAILABLE");

    // Auth failures too.
    let response = client()
        .post(gateway.url("/v1/messages"))
        .json(&json!({"model": "oa", "max_tokens": 10, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "authentication_error");
    let response = client()
        .post(gateway.url("/v1beta/models/ge:generateContent?key=wrong"))
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn unsupported_parameters_are_refused_unless_dropped() {
    let mock = mock().await;
    let config = config(&mock).replace("drop_params: true", "drop_params: false");
    let gateway = start(&config);
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({"model": "an", "logit_bias": {"1": 2}, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("logit_bias") && message.contains("anthropic"),
        "{message}"
    );
    assert!(message.contains("drop_params"), "{message}");
}

#[tokio::test]
async fn translated_streams_are_accounted() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let answer = ask(&gateway, Door::Anthropic, "ge", true, false).await;
    assert!(!answer.text.is_empty());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows: Vec<Value> = client()
            .get(gateway.url("/spend/logs"))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(row) = rows.first() {
            assert_eq!(row["call_type"], "anthropic_messages");
            assert_eq!(row["custom_llm_provider"], "gemini");
            assert!(row["completion_tokens"].as_u64().unwrap() > 0, "{row}");
            assert!(row["prompt_tokens"].as_u64().unwrap() > 0, "{row}");
            break;
        }
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
