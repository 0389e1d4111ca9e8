//! Gemini on AI Studio and Vertex AI, Anthropic on Vertex, and the OAuth token endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Reply, client, mock, mock_with_key, named_events, post_root, read_until_error};
use serde_json::{Value, json};
use switchboard_mock::MockServer;

const VERTEX: &str = "/v1/projects/p1/locations/us-central1/publishers";

fn ask(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

fn tools() -> Value {
    json!([{"functionDeclarations": [
        {"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}, "days": {"type": "INTEGER"}}}},
        {"name": "get_time", "parameters": {"type": "OBJECT", "properties": {"utc": {"type": "BOOLEAN"}}}}
    ]}])
}

async fn generate(
    mock: &MockServer,
    action: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Reply {
    post_root(
        mock,
        &format!("/v1beta/models/gemini-x:{action}"),
        body,
        headers,
    )
    .await
}

/// The JSON events of an `alt=sse` stream, checking Google's `\r\n\r\n` separators.
fn sse_events(body: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    text.split_terminator("\r\n\r\n")
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").expect("data event")).unwrap())
        .collect()
}

#[tokio::test]
async fn generate_content_shape_and_determinism() {
    let mock = mock().await;
    let mut body = ask("Hello there");
    body["systemInstruction"] = json!({"parts": [{"text": "Be brief."}]});
    let reply = generate(&mock, "generateContent", &body, &[]).await;
    assert_eq!(reply.status, 200);
    let v = reply.json();
    let id = v["responseId"].as_str().unwrap();
    assert_eq!(
        reply.text(),
        format!(
            r#"{{"candidates":[{{"content":{{"parts":[{{"text":"Mock reply: Hello there"}}],"role":"model"}},"finishReason":"STOP","index":0}}],"usageMetadata":{{"promptTokenCount":5,"candidatesTokenCount":8,"totalTokenCount":13}},"modelVersion":"gemini-x","responseId":"{id}"}}"#
        )
    );
    assert_eq!(
        generate(&mock, "generateContent", &body, &[]).await.body,
        reply.body
    );
    // The model in the path is part of the conversation.
    let other = post_root(&mock, "/v1beta/models/gemini-y:generateContent", &body, &[]).await;
    assert_ne!(other.json()["responseId"], v["responseId"]);

    body["generationConfig"] = json!({"maxOutputTokens": 2});
    let v = generate(&mock, "generateContent", &body, &[]).await.json();
    assert_eq!(v["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 2);
}

#[tokio::test]
async fn sse_stream_has_cumulative_usage_and_crlf_events() {
    let mock = mock().await;
    let reply = generate(
        &mock,
        "streamGenerateContent?alt=sse",
        &ask("Hello there"),
        &[],
    )
    .await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = sse_events(&reply.body);
    assert_eq!(events.len(), 8);
    let mut text = String::new();
    for (i, event) in events.iter().enumerate() {
        let candidate = &event["candidates"][0];
        text.push_str(candidate["content"]["parts"][0]["text"].as_str().unwrap());
        assert_eq!(candidate["content"]["role"], "model");
        assert_eq!(event["usageMetadata"]["candidatesTokenCount"], i + 1);
        assert_eq!(event["usageMetadata"]["promptTokenCount"], 3);
        let finish = candidate.get("finishReason");
        assert_eq!(finish.is_some(), i == 7, "only the last event finishes");
    }
    assert_eq!(text, "Mock reply: Hello there");
    assert_eq!(events[7]["candidates"][0]["finishReason"], "STOP");

    // Without alt=sse: one JSON array, streamed.
    let reply = generate(&mock, "streamGenerateContent", &ask("Hello there"), &[]).await;
    let array: Vec<Value> = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(array, events);
}

#[tokio::test]
async fn function_calls_and_thoughts() {
    let mock = mock().await;
    let mut body = ask("weather?");
    body["tools"] = tools();
    let v = generate(&mock, "generateContent", &body, &[]).await.json();
    let parts = &v["candidates"][0]["content"]["parts"];
    assert_eq!(
        parts,
        &json!([{"functionCall": {"name": "get_weather", "args": {"city": "mock", "days": 1}}}])
    );
    assert_eq!(v["candidates"][0]["finishReason"], "STOP");

    let v = generate(
        &mock,
        "generateContent",
        &body,
        &[("x-mock-parallel", "true")],
    )
    .await
    .json();
    assert_eq!(
        v["candidates"][0]["content"]["parts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    body["toolConfig"] =
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}});
    let v = generate(&mock, "generateContent", &body, &[]).await.json();
    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["functionCall"]["args"],
        json!({"utc": true})
    );

    // A function response ends the loop with text.
    body["contents"] = json!([
        {"role": "user", "parts": [{"text": "weather?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 21}}}]}
    ]);
    let v = generate(&mock, "generateContent", &body, &[]).await.json();
    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["text"],
        r#"Tool result received: {"t":21}"#
    );

    // Thoughts first, flagged, counted apart.
    let mut body = ask("think");
    body["generationConfig"] = json!({"thinkingConfig": {"includeThoughts": true}});
    let v = generate(&mock, "generateContent", &body, &[]).await.json();
    let parts = v["candidates"][0]["content"]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["thought"], true);
    assert!(parts[1].get("thought").is_none());
    assert_eq!(v["usageMetadata"]["thoughtsTokenCount"], 8);
    assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 8);
    let events = sse_events(
        &generate(&mock, "streamGenerateContent?alt=sse", &body, &[])
            .await
            .body,
    );
    assert_eq!(events.len(), 16);
    assert_eq!(
        events[0]["candidates"][0]["content"]["parts"][0]["thought"],
        true
    );
    assert_eq!(events[15]["usageMetadata"]["thoughtsTokenCount"], 8);
}

#[tokio::test]
async fn errors_and_api_keys() {
    let mock = mock_with_key("g-key").await;
    let missing = generate(&mock, "generateContent", &ask("hi"), &[]).await;
    assert_eq!(missing.status, 403);
    assert_eq!(missing.json()["error"]["status"], "PERMISSION_DENIED");
    let wrong = generate(
        &mock,
        "generateContent",
        &ask("hi"),
        &[("x-goog-api-key", "nope")],
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.json()["error"]["message"],
        "API key not valid. Please pass a valid API key."
    );
    let key = [("x-goog-api-key", "g-key")];
    assert_eq!(
        generate(&mock, "generateContent", &ask("hi"), &key)
            .await
            .status,
        200
    );
    assert_eq!(
        generate(&mock, "generateContent?key=g-key", &ask("hi"), &[])
            .await
            .status,
        200
    );

    let reply = generate(
        &mock,
        "generateContent",
        &ask("hi"),
        &[key[0], ("x-mock-status", "429")],
    )
    .await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.text(),
        r#"{"error":{"code":429,"message":"mock injected error","status":"RESOURCE_EXHAUSTED"}}"#
    );
    let reply = generate(&mock, "generateContent", &json!({"contents": []}), &key).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["status"], "INVALID_ARGUMENT");
    let reply = generate(&mock, "fooContent", &ask("hi"), &key).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["status"], "NOT_FOUND");
}

#[tokio::test]
async fn cut_stream_drops_the_finishing_event() {
    let mock = mock().await;
    let resp = client()
        .post(format!(
            "http://{}/v1beta/models/g:streamGenerateContent?alt=sse",
            mock.addr()
        ))
        .header("x-mock-cut-after", "3")
        .json(&ask("cut"))
        .send()
        .await
        .unwrap();
    let (body, failed) = read_until_error(resp).await;
    assert!(failed);
    assert_eq!(sse_events(&body).len(), 3);
}

#[tokio::test]
async fn embeddings_and_token_counts() {
    let mock = mock().await;
    let one = json!({"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 4});
    let v = generate(&mock, "embedContent", &one, &[]).await.json();
    let values = v["embedding"]["values"].as_array().unwrap();
    assert_eq!(values.len(), 4);
    let batch = json!({"requests": [
        {"model": "models/gemini-x", "content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 4},
        {"model": "models/gemini-x", "content": {"parts": [{"text": "world"}]}}
    ]});
    let v = generate(&mock, "batchEmbedContents", &batch, &[])
        .await
        .json();
    assert_eq!(
        v["embeddings"][0]["values"].as_array().unwrap(),
        values,
        "same text, same vector"
    );
    assert_eq!(v["embeddings"][1]["values"].as_array().unwrap().len(), 8);
    let reply = generate(&mock, "countTokens", &ask("Hello there"), &[]).await;
    assert_eq!(
        reply.text(),
        r#"{"totalTokens":3,"promptTokensDetails":[{"modality":"TEXT","tokenCount":3}]}"#
    );
}

/// A JWT with the claims of Google's service-account grant (the signature is not checked).
fn assertion() -> String {
    let b64 = |s: &str| -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = s.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        out
    };
    let claims = r#"{"iss":"sa@p1.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/cloud-platform","aud":"http://mock/token","exp":1700003600,"iat":1700000000}"#;
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(claims),
        b64("signature")
    )
}

async fn token(mock: &MockServer, form: &str) -> Reply {
    let resp = client()
        .post(format!("http://{}/token", mock.addr()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.unwrap(),
    }
}

#[tokio::test]
async fn vertex_service_account_flow() {
    let mock = mock_with_key("static").await;
    let url = format!("{VERTEX}/google/models/gemini-x:generateContent");
    let denied = post_root(&mock, &url, &ask("hi"), &[]).await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.json()["error"]["status"], "UNAUTHENTICATED");
    let bogus = post_root(
        &mock,
        &url,
        &ask("hi"),
        &[("authorization", "Bearer mock-token-9")],
    )
    .await;
    assert_eq!(bogus.status, 401);

    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
        assertion()
    );
    let reply = token(&mock, &form).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.text(),
        r#"{"access_token":"mock-token-1","expires_in":3599,"token_type":"Bearer"}"#
    );
    let recorded = mock.requests().pop().unwrap();
    assert_eq!(recorded.path, "/token");
    assert!(
        std::str::from_utf8(&recorded.body)
            .unwrap()
            .contains("assertion=")
    );

    let ok = post_root(
        &mock,
        &url,
        &ask("hi"),
        &[("authorization", "Bearer mock-token-1")],
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["modelVersion"], "gemini-x");
    let stream = format!("{VERTEX}/google/models/gemini-x:streamGenerateContent?alt=sse");
    let reply = post_root(
        &mock,
        &stream,
        &ask("hi"),
        &[("authorization", "Bearer static")],
    )
    .await;
    assert_eq!(sse_events(&reply.body).len(), 8);

    let bad = token(&mock, "grant_type=password&assertion=x").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"], "unsupported_grant_type");
    let bad = token(
        &mock,
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b",
    )
    .await;
    assert_eq!(bad.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn anthropic_on_vertex() {
    let mock = mock().await;
    let url = format!("{VERTEX}/anthropic/models/claude-v:rawPredict");
    let mut body = json!({"anthropic_version": "vertex-2023-10-16", "max_tokens": 50,
        "messages": [{"role": "user", "content": "Hello"}]});
    let v = post_root(&mock, &url, &body, &[]).await.json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["model"], "claude-v");
    assert_eq!(v["content"][0]["text"], "Mock reply: Hello");

    body["stream"] = json!(true);
    let url = format!("{VERTEX}/anthropic/models/claude-v:streamRawPredict");
    let events = named_events(&post_root(&mock, &url, &body, &[]).await.body);
    assert_eq!(events[0].0, "message_start");
    assert_eq!(events.last().unwrap().0, "message_stop");

    body["anthropic_version"] = json!("2023-06-01");
    let reply = post_root(&mock, &url, &body, &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
}
