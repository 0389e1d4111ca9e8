//! Cohere as a native provider, over HTTP: the real binary in front of the
//! mock's Cohere v2 API (`/v2/chat`, `/v2/embed`, `/v2/rerank`), reached
//! from the OpenAI and Anthropic doors and LiteLLM's `/rerank`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};

const UPSTREAM_KEY: &str = "co-upstream-key";

fn config(mock: &MockServer) -> String {
    let host = format!("http://{}", mock.addr());
    format!(
        "model_list:
  - model_name: co
    litellm_params: {{model: cohere/command-a-03-2025, api_base: {host}, api_key: {UPSTREAM_KEY}}}
  - model_name: co-embed
    litellm_params: {{model: cohere/embed-v4.0, api_base: {host}/v2/chat, api_key: {UPSTREAM_KEY}}}
  - model_name: co-rerank
    litellm_params: {{model: cohere/rerank-v3.5, api_base: {host}, api_key: {UPSTREAM_KEY}}}
  - model_name: oa
    litellm_params: {{model: openai/mock-gpt, api_base: {host}/v1, api_key: {UPSTREAM_KEY}}}
general_settings:
  master_key: {MASTER_KEY}
"
    )
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {"name": "weather", "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])
}

/// The last request the mock received on `path`, as JSON, after checking
/// that it carried the deployment's key.
fn upstream_request(mock: &MockServer, path: &str) -> Value {
    let request = mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("no upstream request to {path}"));
    let auth = request
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .map(|(_, value)| value.clone());
    assert_eq!(auth.as_deref(), Some("Bearer co-upstream-key"));
    serde_json::from_slice(&request.body).unwrap()
}

/// Makes the mock answer the next request with a 429 and checks that the
/// client gets it with its `Retry-After`, as an OpenAI rate-limit error.
async fn relayed_429(gateway: &Gateway, mock: &MockServer, path: &str, body: &Value) -> Value {
    mock.push_fault(Fault {
        status: Some(429),
        retry_after: Some(7),
        ..Fault::default()
    });
    let response = post(gateway, path, body).await;
    assert_eq!(response.status(), 429, "{path}");
    assert_eq!(response.headers()["retry-after"], "7");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "rate_limit_error");
    error
}

fn data_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

#[tokio::test]
async fn openai_client_non_stream_and_stream() {
    let mock = mock().await;
    let gateway = start(&config(&mock));

    let body = json!({"model": "co", "messages": [{"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello Cohere"}], "max_tokens": 50, "top_p": 0.5});
    let response = post(&gateway, "/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-litellm-model-id"));
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["model"], "command-a-03-2025");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.contains("Hello Cohere"), "{text}");
    let usage = &answer["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    let sent = upstream_request(&mock, "/v2/chat");
    assert_eq!(sent["model"], "command-a-03-2025");
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        (sent["max_tokens"].clone(), sent["p"].clone()),
        (json!(50), json!(0.5))
    );
    assert!(sent.get("stream").is_none());

    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    streamed["stream_options"] = json!({"include_usage": true});
    let response = post(&gateway, "/v1/chat/completions", &streamed).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let chunks = data_lines(&text);
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(content.contains("Hello Cohere"), "{content}");
    let finish: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finish, [&json!("stop")]);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert!(last["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert_eq!(upstream_request(&mock, "/v2/chat")["stream"], true);
}

#[tokio::test]
async fn tool_call_round_trip_streamed_and_whole() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let question = json!({"role": "user", "content": "What is the weather in Paris?"});
    let body = json!({"model": "co", "messages": [question], "tools": weather_tool(),
        "stream": true});
    let text = post(&gateway, "/v1/chat/completions", &body)
        .await
        .text()
        .await
        .unwrap();
    let (mut id, mut name, mut arguments) = (String::new(), String::new(), String::new());
    let mut finish = Value::Null;
    for chunk in data_lines(&text) {
        let choice = &chunk["choices"][0];
        for call in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(call["index"], 0);
            id.push_str(call["id"].as_str().unwrap_or_default());
            name.push_str(call["function"]["name"].as_str().unwrap_or_default());
            arguments.push_str(call["function"]["arguments"].as_str().unwrap_or_default());
        }
        if !choice["finish_reason"].is_null() {
            finish = choice["finish_reason"].clone();
        }
    }
    assert_eq!((name.as_str(), finish), ("weather", json!("tool_calls")));
    let parsed: Value = serde_json::from_str(&arguments).unwrap();
    assert!(parsed["city"].is_string(), "{arguments}");
    assert_eq!(
        upstream_request(&mock, "/v2/chat")["tools"][0]["function"]["name"],
        "weather"
    );

    // The same turn whole, then the tool's result goes back.
    let body = json!({"model": "co", "messages": [question], "tools": weather_tool()});
    let answer: Value = post(&gateway, "/v1/chat/completions", &body)
        .await
        .json()
        .await
        .unwrap();
    let message = &answer["choices"][0]["message"];
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    let call = &message["tool_calls"][0];
    assert_eq!(call["function"]["name"], "weather");
    let follow_up = json!({"model": "co", "tools": weather_tool(), "messages": [
        question,
        {"role": "assistant", "content": message["content"], "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "18C and sunny"}
    ]});
    let answer: Value = post(&gateway, "/v1/chat/completions", &follow_up)
        .await
        .json()
        .await
        .unwrap();
    let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.contains("18C and sunny"), "{text}");
    let sent = upstream_request(&mock, "/v2/chat");
    assert_eq!(sent["messages"][1]["tool_calls"][0]["id"], call["id"]);
    assert_eq!(
        sent["messages"][2],
        json!({"role": "tool", "tool_call_id": call["id"], "content": "18C and sunny"})
    );
}

#[tokio::test]
async fn anthropic_client_to_cohere() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let body = json!({"model": "co", "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hi from Claude's SDK"}]});
    let request = |body: &Value| {
        client()
            .post(gateway.url("/v1/messages"))
            .header("x-api-key", MASTER_KEY)
            .header("anthropic-version", "2023-06-01")
            .json(body)
    };
    let answer: Value = request(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["stop_reason"], "end_turn");
    let text = answer["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("Hi from Claude's SDK"), "{text}");
    assert!(answer["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert_eq!(upstream_request(&mock, "/v2/chat")["max_tokens"], 256);

    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let text = request(&streamed)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("event: "))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(names.contains(&"content_block_delta"));
}

#[tokio::test]
async fn embeddings_through_cohere() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let body = json!({"model": "co-embed", "input": ["first text", "second text"],
        "input_type": "search_query", "dimensions": 256});
    let response = post(&gateway, "/v1/embeddings", &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    assert_eq!(answer["data"][1]["index"], 1);
    assert_eq!(
        answer["data"][0]["embedding"].as_array().unwrap().len(),
        256
    );
    assert!(answer["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    let sent = upstream_request(&mock, "/v2/embed");
    assert_eq!(
        sent,
        json!({"model": "embed-v4.0", "texts": ["first text", "second text"],
               "input_type": "search_query", "embedding_types": ["float"], "output_dimension": 256})
    );
}

#[tokio::test]
async fn rerank_door() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let documents = json!([
        "Bananas are yellow.",
        {"text": "Paris is the capital of France."},
        "Berlin is the capital of Germany."
    ]);
    let body = json!({"model": "co-rerank", "query": "capital of France",
        "documents": documents, "top_n": 2});
    for path in ["/rerank", "/v1/rerank", "/v2/rerank"] {
        let response = post(&gateway, path, &body).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
        let answer: Value = response.json().await.unwrap();
        let results = answer["results"].as_array().unwrap();
        assert_eq!(results.len(), 2, "{answer}");
        assert_eq!(results[0]["index"], 1);
        assert_eq!(
            results[0]["document"],
            json!({"text": "Paris is the capital of France."})
        );
        assert!(
            results[0]["relevance_score"].as_f64().unwrap()
                > results[1]["relevance_score"].as_f64().unwrap()
        );
        assert!(answer["id"].is_string());
        assert_eq!(answer["meta"]["billed_units"]["search_units"], 1);
    }
    let sent = upstream_request(&mock, "/v2/rerank");
    assert_eq!(
        sent,
        json!({"model": "rerank-v3.5", "query": "capital of France", "top_n": 2, "documents": [
            "Bananas are yellow.", "Paris is the capital of France.", "Berlin is the capital of Germany."]})
    );

    let mut without = body.clone();
    without["return_documents"] = json!(false);
    let answer: Value = post(&gateway, "/rerank", &without)
        .await
        .json()
        .await
        .unwrap();
    assert!(answer["results"][0].get("document").is_none());

    // v1's `max_chunks_per_doc` has no v2 equivalent: refused by name
    // unless `drop_params` is set.
    let mut v1_only = body.clone();
    v1_only["max_chunks_per_doc"] = json!(10);
    let response = post(&gateway, "/rerank", &v1_only).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["param"], "max_chunks_per_doc");

    // Errors come in OpenAI's shape.
    let other = json!({"model": "oa", "query": "q", "documents": ["a"]});
    let response = post(&gateway, "/rerank", &other).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error["error"]["message"],
        "provider `openai` does not support rerank"
    );
    let response = post(
        &gateway,
        "/rerank",
        &json!({"model": "nope", "query": "q", "documents": ["a"]}),
    )
    .await;
    assert_eq!(response.status(), 404);
    let response = client()
        .post(gateway.url("/rerank"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let error: Value = response.json().await.unwrap();
    assert!(error["error"]["message"].is_string());

    relayed_429(&gateway, &mock, "/rerank", &body).await;
}

#[tokio::test]
async fn upstream_429_is_relayed() {
    let mock = mock().await;
    let gateway = start(&without_retries(&config(&mock)));
    let body = json!({"model": "co", "messages": [{"role": "user", "content": "hi"}]});
    let error = relayed_429(&gateway, &mock, "/v1/chat/completions", &body).await;
    assert!(!error["error"]["message"].as_str().unwrap().is_empty());

    // A stream that fails midway ends with an error event, not silence.
    mock.push_fault(Fault {
        error_after: Some(1),
        ..Fault::default()
    });
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let text = post(&gateway, "/v1/chat/completions", &streamed)
        .await
        .text()
        .await
        .unwrap();
    let last = data_lines(&text).pop().unwrap();
    assert!(last["error"]["message"].is_string(), "{text}");
}

#[tokio::test]
async fn rerank_is_logged_with_its_call_type() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let body = json!({"model": "co-rerank", "query": "q", "documents": ["a", "b"]});
    let response = client()
        .post(gateway.url("/rerank"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", "rerank-log")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let row = loop {
        let rows: Vec<Value> = client()
            .get(gateway.url("/spend/logs?request_id=rerank-log"))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(row) = rows.into_iter().next() {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "no log record");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(row["call_type"], "rerank");
    assert_eq!(row["model_group"], "co-rerank");
    assert_eq!(row["custom_llm_provider"], "cohere");
    assert_eq!(row["status"], "success");
}
