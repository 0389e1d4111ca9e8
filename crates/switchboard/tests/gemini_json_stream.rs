//! Gemini's `streamGenerateContent` without `alt=sse` answers a streamed
//! JSON array of the same response objects, whatever provider serves it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn stream_without_alt_sse_is_a_json_array() {
    let mock = mock().await;
    let host = format!("http://{}", mock.addr());
    let config = format!(
        "model_list:
  - model_name: oa
    litellm_params: {{model: openai/mock-gpt, api_base: {host}/v1, api_key: k}}
  - model_name: ge
    litellm_params: {{model: gemini/gemini-mock, api_base: {host}/v1beta, api_key: k}}
general_settings:
  master_key: {MASTER_KEY}
"
    );
    let gateway = start(&config);
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "What is the weather in Paris?"}]}]});
    for model in ["oa", "ge"] {
        let response = client()
            .post(gateway.url(&format!("/v1beta/models/{model}:streamGenerateContent")))
            .header("x-goog-api-key", MASTER_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{model}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("application/json"),
            "{model}: {content_type}"
        );
        let text = response.text().await.unwrap();
        let items: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{model}: {e}: {text}"));
        assert!(items.len() >= 2, "{model}: {text}");
        let said: String = items
            .iter()
            .filter_map(|i| i["candidates"][0]["content"]["parts"][0]["text"].as_str())
            .collect();
        assert!(said.contains("Paris"), "{model}: {said}");
        let last = items.last().unwrap();
        assert_eq!(
            last["candidates"][0]["finishReason"], "STOP",
            "{model}: {last}"
        );

        // With alt=sse: server-sent events, as before.
        let sse = client()
            .post(gateway.url(&format!(
                "/v1beta/models/{model}:streamGenerateContent?alt=sse"
            )))
            .header("x-goog-api-key", MASTER_KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(sse.starts_with("data: "), "{model}: {sse}");
    }
    // Errors stay a single JSON object in Google's shape.
    let response = client()
        .post(gateway.url("/v1beta/models/nope:streamGenerateContent"))
        .header("x-goog-api-key", MASTER_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], 404);
}
