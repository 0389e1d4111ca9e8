//! Embeddings, legacy completions, models, path variants and error shapes.

// Helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{CREATED, client, mock, post, sse_data, sse_json, user};
use serde_json::{Value, json};

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for quad in text.as_bytes().chunks(4) {
        let data: Vec<u8> = quad.iter().copied().filter(|&c| c != b'=').collect();
        let n = data.iter().fold(0u32, |n, &c| n << 6 | value(c)) << (6 * (4 - data.len()));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..data.len() - 1]);
    }
    out
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[tokio::test]
async fn embeddings_float() {
    let mock = mock().await;
    let body = json!({"model": "mock-embed", "input": ["hello", "world", "hello"]});
    let reply = post(&mock, "/embeddings", &body, &[]).await;
    assert_eq!(reply.status, 200);
    let text = reply.text();
    assert!(
        text.starts_with(
            r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":["#
        ),
        "{text}"
    );
    assert!(
        text.ends_with(r#""model":"mock-embed","usage":{"prompt_tokens":6,"total_tokens":6}}"#),
        "{text}"
    );
    let v = reply.json();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    let first = floats(&data[0]["embedding"]);
    assert_eq!(first.len(), 8);
    let norm: f32 = first.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "unit length: {norm}");
    assert_eq!(
        data[0]["embedding"], data[2]["embedding"],
        "same text, same vector"
    );
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);

    let body = json!({"model": "m", "input": [1, 2, 3], "dimensions": 32});
    let v = post(&mock, "/embeddings", &body, &[]).await.json();
    assert_eq!(
        v["data"].as_array().unwrap().len(),
        1,
        "token ids are one input"
    );
    assert_eq!(floats(&v["data"][0]["embedding"]).len(), 32);
    assert_eq!(v["usage"]["prompt_tokens"], 3);

    let body = json!({"model": "m", "input": [[1, 2], [3]]});
    let v = post(&mock, "/embeddings", &body, &[]).await.json();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);

    let reply = post(
        &mock,
        "/embeddings",
        &json!({"model": "m", "input": [true]}),
        &[],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "input");
}

#[tokio::test]
async fn embeddings_base64_match_floats() {
    let mock = mock().await;
    let float = json!({"model": "m", "input": "hello", "dimensions": 5});
    let v = post(&mock, "/embeddings", &float, &[]).await.json();
    let expected = floats(&v["data"][0]["embedding"]);
    let mut b64 = float.clone();
    b64["encoding_format"] = json!("base64");
    let v = post(&mock, "/embeddings", &b64, &[]).await.json();
    let bytes = base64_decode(v["data"][0]["embedding"].as_str().unwrap());
    let decoded: Vec<f32> = bytes
        .chunks(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(decoded, expected);
}

#[tokio::test]
async fn legacy_completions() {
    let mock = mock().await;
    let body = json!({"model": "mock-instruct", "prompt": "Say hi"});
    let reply = post(&mock, "/completions", &body, &[]).await;
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cmpl-"));
    assert_eq!(
        reply.text(),
        format!(
            r#"{{"id":"{id}","object":"text_completion","created":{CREATED},"model":"mock-instruct","choices":[{{"text":"Mock reply: Say hi","index":0,"logprobs":null,"finish_reason":"stop"}}],"usage":{{"prompt_tokens":2,"completion_tokens":8,"total_tokens":10}}}}"#
        )
    );

    let body = json!({"model": "mock-instruct", "prompt": ["Say hi"], "stream": true,
        "stream_options": {"include_usage": true}});
    let reply = post(&mock, "/completions", &body, &[]).await;
    let data = sse_data(&reply.body);
    let events = sse_json(&reply.body);
    let sid = events[0]["id"].as_str().unwrap();
    assert!(sid.starts_with("cmpl-"));
    assert_eq!(
        data[0],
        format!(
            r#"{{"id":"{sid}","object":"text_completion","created":{CREATED},"choices":[{{"text":"Mo","index":0,"logprobs":null,"finish_reason":null}}],"model":"mock-instruct","usage":null}}"#
        )
    );
    assert_eq!(events.len(), 8 + 1 + 1, "content, finish, usage");
    let text: String = events[..8]
        .iter()
        .map(|e| e["choices"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Mock reply: Say hi");
    assert_eq!(events[8]["choices"][0]["finish_reason"], "stop");
    assert_eq!(events[9]["choices"], json!([]));
    assert_eq!(events[9]["usage"]["total_tokens"], 10);
}

#[tokio::test]
async fn models() {
    let mock = mock().await;
    let list = client()
        .get(format!("{}/models", mock.base_url()))
        .send()
        .await
        .unwrap();
    let text = list.text().await.unwrap();
    assert!(text.starts_with(
        r#"{"object":"list","data":[{"id":"mock-gpt","object":"model","created":1700000000,"owned_by":"switchboard-mock"},"#
    ));
    let one: Value = client()
        .get(format!("{}/models/ft:org/custom-1", mock.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        one,
        json!({"id": "ft:org/custom-1", "object": "model", "created": 1_700_000_000u64, "owned_by": "switchboard-mock"})
    );
}

#[tokio::test]
async fn paths_without_v1_and_azure_deployments() {
    let mock = mock().await;
    let root = format!("http://{}", mock.addr());
    let resp = client()
        .post(format!("{root}/chat/completions"))
        .json(&user("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    let url = format!("{root}/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21");
    let v: Value = client()
        .post(&url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["model"], "my-gpt",
        "the deployment stands in for a missing model"
    );
    let recorded = mock.requests().pop().unwrap();
    assert_eq!(recorded.path, "/openai/deployments/my-gpt/chat/completions");
    assert_eq!(recorded.query.as_deref(), Some("api-version=2024-10-21"));

    let url = format!("{root}/openai/deployments/emb/embeddings?api-version=2024-10-21");
    let v: Value = client()
        .post(&url)
        .json(&json!({"input": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["model"], "emb");

    let url = format!("{root}/openai/deployments/my-gpt/chat/completions");
    let resp = client().post(&url).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn error_shapes() {
    let mock = mock().await;
    let resp = client()
        .post(format!("{}/nope", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error":{"message":"Invalid URL (POST /v1/nope)","type":"invalid_request_error","param":null,"code":null}}"#
    );
    let resp = client()
        .get(format!("{}/chat/completions", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    let resp = client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("We could not parse the JSON body")
    );
    assert_eq!(err["error"]["type"], "invalid_request_error");

    let reply = post(&mock, "/chat/completions", &json!({"model": "m"}), &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        r#"{"error":{"message":"Missing required parameter: 'messages'.","type":"invalid_request_error","param":"messages","code":"missing_required_parameter"}}"#
    );
    let reply = post(
        &mock,
        "/chat/completions",
        &json!({"model": 3, "messages": []}),
        &[],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expected a string")
    );
    let reply = post(&mock, "/chat/completions", &json!([1]), &[]).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn azure_adds_content_filter_results() {
    let mock = mock().await;
    let url = "/openai/deployments/dep/chat/completions?api-version=2024-10-21";
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    let v = common::post_root(&mock, url, &body, &[]).await.json();
    let safe = json!({"filtered": false, "severity": "safe"});
    assert_eq!(v["prompt_filter_results"][0]["prompt_index"], 0);
    assert_eq!(
        v["prompt_filter_results"][0]["content_filter_results"]["jailbreak"],
        json!({"filtered": false, "detected": false})
    );
    assert_eq!(v["choices"][0]["content_filter_results"]["hate"], safe);

    let mut stream = body.clone();
    stream["stream"] = json!(true);
    let reply = common::post_root(&mock, url, &stream, &[]).await;
    let events = sse_json(&reply.body);
    assert_eq!(events[0]["choices"], json!([]));
    assert_eq!(events[0]["id"], "");
    assert_eq!(
        events[0]["prompt_filter_results"][0]["content_filter_results"]["violence"],
        safe
    );
    assert_eq!(events[1]["choices"][0]["delta"]["role"], "assistant");

    // Not on OpenAI's own paths.
    let v = post(&mock, "/chat/completions", &user("hi"), &[])
        .await
        .json();
    assert!(v.get("prompt_filter_results").is_none());
    assert!(v["choices"][0].get("content_filter_results").is_none());
}
