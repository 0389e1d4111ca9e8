//! Bedrock: Converse, ConverseStream's binary event stream, InvokeModel embeddings, SigV4.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Reply, client, mock, mock_with, post_root, time_schema, weather_schema};
use ring::{digest, hmac};
use serde_json::{Value, json};
use switchboard_mock::{MockConfig, MockServer};

fn ask(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": [{"text": text}]}], "inferenceConfig": {"maxTokens": 100}})
}

fn tools() -> Value {
    json!({"tools": [
        {"toolSpec": {"name": "get_weather", "inputSchema": {"json": weather_schema()}}},
        {"toolSpec": {"name": "get_time", "inputSchema": {"json": time_schema()}}}
    ]})
}

/// One decoded event-stream message: its headers and JSON payload.
#[derive(Debug)]
struct Frame {
    headers: Vec<(String, String)>,
    payload: Value,
}

impl Frame {
    fn header(&self, name: &str) -> &str {
        &self.headers.iter().find(|(n, _)| n == name).unwrap().1
    }
}

/// Decodes `application/vnd.amazon.eventstream` messages, checking lengths and both CRCs.
fn decode(mut bytes: &[u8]) -> Vec<Frame> {
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let total = be32(bytes) as usize;
        let headers_len = be32(&bytes[4..]) as usize;
        assert_eq!(
            be32(&bytes[8..]),
            crc32fast::hash(&bytes[..8]),
            "prelude CRC"
        );
        let message = &bytes[..total];
        assert_eq!(
            be32(&message[total - 4..]),
            crc32fast::hash(&message[..total - 4]),
            "message CRC"
        );
        let mut h = &message[12..12 + headers_len];
        let mut headers = Vec::new();
        while !h.is_empty() {
            let name_len = h[0] as usize;
            let name = String::from_utf8(h[1..1 + name_len].to_vec()).unwrap();
            assert_eq!(h[1 + name_len], 7, "string header");
            let value_len = u16::from_be_bytes([h[2 + name_len], h[3 + name_len]]) as usize;
            let value =
                String::from_utf8(h[4 + name_len..4 + name_len + value_len].to_vec()).unwrap();
            headers.push((name, value));
            h = &h[4 + name_len + value_len..];
        }
        let payload = serde_json::from_slice(&message[12 + headers_len..total - 4]).unwrap();
        frames.push(Frame { headers, payload });
        bytes = &bytes[total..];
    }
    frames
}

fn event_types(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(|f| f.header(":event-type")).collect()
}

async fn converse(mock: &MockServer, op: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    post_root(
        mock,
        &format!("/model/anthropic.claude-x/{op}"),
        body,
        headers,
    )
    .await
}

#[tokio::test]
async fn converse_shape_and_determinism() {
    let mock = mock().await;
    let mut body = ask("Hello there");
    body["system"] = json!([{"text": "Be brief."}]);
    let reply = converse(&mock, "converse", &body, &[("x-mock-latency-ms", "20")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.text(),
        r#"{"output":{"message":{"role":"assistant","content":[{"text":"Mock reply: Hello there"}]}},"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":8,"totalTokens":13},"metrics":{"latencyMs":20}}"#
    );
    assert_eq!(
        converse(&mock, "converse", &body, &[("x-mock-latency-ms", "20")])
            .await
            .body,
        reply.body
    );
    body["inferenceConfig"]["maxTokens"] = json!(2);
    assert_eq!(
        converse(&mock, "converse", &body, &[]).await.json()["stopReason"],
        "max_tokens"
    );
}

#[tokio::test]
async fn converse_stream_frames() {
    let mock = mock().await;
    let reply = converse(&mock, "converse-stream", &ask("Hello there"), &[]).await;
    assert_eq!(
        reply.header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    let frames = decode(&reply.body);
    let mut expected = vec!["messageStart"];
    expected.extend(["contentBlockDelta"; 8]);
    expected.extend(["contentBlockStop", "messageStop", "metadata"]);
    assert_eq!(event_types(&frames), expected);
    for frame in &frames {
        assert_eq!(frame.header(":message-type"), "event");
        assert_eq!(frame.header(":content-type"), "application/json");
    }
    assert_eq!(frames[0].payload, json!({"role": "assistant"}));
    let text: String = frames[1..9]
        .iter()
        .map(|f| {
            assert_eq!(f.payload["contentBlockIndex"], 0);
            f.payload["delta"]["text"].as_str().unwrap()
        })
        .collect();
    assert_eq!(text, "Mock reply: Hello there");
    assert_eq!(frames[10].payload, json!({"stopReason": "end_turn"}));
    assert_eq!(
        frames[11].payload["usage"],
        json!({"inputTokens": 3, "outputTokens": 8, "totalTokens": 11})
    );
}

#[tokio::test]
async fn tool_use_whole_and_streamed() {
    let mock = mock().await;
    let mut body = ask("weather?");
    body["toolConfig"] = tools();
    let v = converse(&mock, "converse", &body, &[]).await.json();
    assert_eq!(v["stopReason"], "tool_use");
    let tool_use = &v["output"]["message"]["content"][0]["toolUse"];
    assert!(
        tool_use["toolUseId"]
            .as_str()
            .unwrap()
            .starts_with("tooluse_")
    );
    assert_eq!(tool_use["name"], "get_weather");
    assert_eq!(tool_use["input"], json!({"city": "mock", "days": 1}));

    let frames = decode(
        &converse(&mock, "converse-stream", &body, &[("x-mock-parallel", "1")])
            .await
            .body,
    );
    // Parallel calls are only taken from `true`/`false`; "1" does not parse, so one call.
    assert_eq!(frames[1].header(":event-type"), "contentBlockStart");
    assert_eq!(frames[1].payload["start"]["toolUse"]["name"], "get_weather");
    let input: String = frames
        .iter()
        .filter(|f| f.header(":event-type") == "contentBlockDelta")
        .map(|f| f.payload["delta"]["toolUse"]["input"].as_str().unwrap())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&input).unwrap(),
        json!({"city": "mock", "days": 1})
    );
    assert_eq!(frames[frames.len() - 2].payload["stopReason"], "tool_use");

    let frames = decode(
        &converse(
            &mock,
            "converse-stream",
            &body,
            &[("x-mock-parallel", "true")],
        )
        .await
        .body,
    );
    let starts: Vec<&Value> = frames
        .iter()
        .filter(|f| f.header(":event-type") == "contentBlockStart")
        .map(|f| &f.payload)
        .collect();
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[1]["contentBlockIndex"], 1);

    body["messages"] = json!([
        {"role": "user", "content": [{"text": "weather?"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"t": 21}}]}}]}
    ]);
    let v = converse(&mock, "converse", &body, &[]).await.json();
    assert_eq!(
        v["output"]["message"]["content"][0]["text"],
        r#"Tool result received: {"t":21}"#
    );
}

#[tokio::test]
async fn errors_in_bedrock_shape() {
    let mock = mock().await;
    let reply = converse(&mock, "converse", &ask("hi"), &[("x-mock-status", "429")]).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.text(), r#"{"message":"mock injected error"}"#);
    let errortype = reply.header("x-amzn-errortype").unwrap();
    assert_eq!(errortype.split(':').next(), Some("ThrottlingException"));
    let reply = converse(&mock, "converse", &json!({"messages": []}), &[]).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .header("x-amzn-errortype")
            .unwrap()
            .starts_with("ValidationException:")
    );

    // Mid-stream: an exception message after two deltas.
    let reply = converse(
        &mock,
        "converse-stream",
        &ask("hi"),
        &[("x-mock-error-after", "2"), ("x-mock-status", "429")],
    )
    .await;
    assert_eq!(reply.status, 200);
    let frames = decode(&reply.body);
    assert_eq!(frames.len(), 4);
    let last = &frames[3];
    assert_eq!(last.header(":message-type"), "exception");
    assert_eq!(last.header(":exception-type"), "throttlingException");
    assert_eq!(last.payload, json!({"message": "mock injected error"}));
}

#[tokio::test]
async fn invoke_embedding_models() {
    let mock = mock().await;
    let reply = post_root(
        &mock,
        "/model/amazon.titan-embed-text-v2:0/invoke",
        &json!({"inputText": "hello world", "dimensions": 4}),
        &[],
    )
    .await;
    let v = reply.json();
    assert_eq!(v["embedding"].as_array().unwrap().len(), 4);
    assert_eq!(v["inputTextTokenCount"], 3);
    let body = json!({"texts": ["a", "b"], "input_type": "search_document"});
    let v = post_root(&mock, "/model/cohere.embed-english-v3/invoke", &body, &[])
        .await
        .json();
    assert_eq!(v["response_type"], "embeddings_floats");
    assert_eq!(v["embeddings"].as_array().unwrap().len(), 2);
    assert_eq!(v["texts"], json!(["a", "b"]));
    let reply = post_root(
        &mock,
        "/model/cohere.embed-english-v3/invoke",
        &json!({"texts": ["a"]}),
        &[],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("[input_type]")
    );
}

const ACCESS_KEY: &str = "AKIDMOCK";
const SECRET: &str = "mock/secret/key";

fn hmac256(key: &[u8], data: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs a POST the way the AWS SDKs do (path segments encoded twice; host, x-amz-date and
/// x-amz-content-sha256 signed).
fn sign(host: &str, path: &str, body: &[u8], secret: &str) -> Vec<(String, String)> {
    let date_time = "20261122T010203Z";
    let payload = hex(digest::digest(&digest::SHA256, body).as_ref());
    let canonical_path = path.replace('%', "%25").replace(':', "%3A");
    let signed = "host;x-amz-content-sha256;x-amz-date";
    let canonical = format!(
        "POST\n{canonical_path}\n\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{date_time}\n\n{signed}\n{payload}"
    );
    let scope = "20261122/us-east-1/bedrock/aws4_request";
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in ["20261122", "us-east-1", "bedrock", "aws4_request"] {
        key = hmac256(&key, part);
    }
    let signature = hex(&hmac256(&key, &to_sign));
    vec![
        (
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={signed}, Signature={signature}"
            ),
        ),
        ("x-amz-date".into(), date_time.into()),
        ("x-amz-content-sha256".into(), payload),
    ]
}

async fn signed_post(
    mock: &MockServer,
    path: &str,
    body: &[u8],
    secret: &str,
) -> reqwest::Response {
    let host = mock.addr().to_string();
    let mut req = client()
        .post(format!("http://{host}{path}"))
        .body(body.to_vec());
    for (name, value) in sign(&host, path, body, secret) {
        req = req.header(name, value);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn sigv4_is_checked_and_verified() {
    let mock = mock_with(MockConfig {
        api_key: Some(ACCESS_KEY.into()),
        aws_secret_access_key: Some(SECRET.into()),
        ..MockConfig::default()
    })
    .await;
    let path = "/model/amazon.titan-embed-text-v2%3A0/invoke";
    let body = br#"{"inputText":"hi"}"#;
    let ok = signed_post(&mock, path, body, SECRET).await;
    assert_eq!(ok.status(), 200);
    let recorded = mock.requests().pop().unwrap();
    assert!(
        recorded
            .header("authorization")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDMOCK/")
    );

    let forged = signed_post(&mock, path, body, "wrong-secret").await;
    assert_eq!(forged.status(), 403);
    let errortype = forged.headers()["x-amzn-errortype"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        errortype.starts_with("InvalidSignatureException"),
        "{errortype}"
    );

    let missing = post_root(&mock, "/model/m/converse", &ask("hi"), &[]).await;
    assert_eq!(missing.status, 403);
    assert!(
        missing
            .header("x-amzn-errortype")
            .unwrap()
            .starts_with("MissingAuthenticationTokenException")
    );
    let other_key = [
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20261122/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        ),
        ("x-amz-date", "20261122T010203Z"),
    ];
    let reply = post_root(&mock, "/model/m/converse", &ask("hi"), &other_key).await;
    assert!(
        reply
            .header("x-amzn-errortype")
            .unwrap()
            .starts_with("UnrecognizedClientException")
    );
    let no_date = [other_key[0]];
    let reply = post_root(&mock, "/model/m/converse", &ask("hi"), &no_date).await;
    assert!(
        reply
            .header("x-amzn-errortype")
            .unwrap()
            .starts_with("IncompleteSignatureException")
    );
    // Bedrock API keys travel as bearer tokens.
    let bearer = post_root(
        &mock,
        "/model/m/converse",
        &ask("hi"),
        &[("authorization", "Bearer AKIDMOCK")],
    )
    .await;
    assert_eq!(bearer.status, 200);
}
