//! OpenAI embeddings ↔ Bedrock InvokeModel (Titan, Cohere).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use super::assert_json;
use crate::codec::{Wire, wire};
use crate::error::ErrorKind;
use crate::usage::TokenUsage;

const TITAN: &str = "amazon.titan-embed-text-v2:0";
const COHERE: &str = "cohere.embed-english-v3";

fn encode(request: &Value, model: &str) -> Result<Vec<Value>, crate::ApiError> {
    let codec = wire(Wire::Bedrock).embeddings().unwrap();
    let bodies = codec.encode(&serde_json::to_vec(request).unwrap(), model)?;
    Ok(bodies
        .iter()
        .map(|body| serde_json::from_slice(body).unwrap())
        .collect())
}

fn decode(request: &Value, answers: &[Value], model: &str) -> (Value, Option<TokenUsage>) {
    let codec = wire(Wire::Bedrock).embeddings().unwrap();
    let answers: Vec<Bytes> = answers
        .iter()
        .map(|a| Bytes::from(serde_json::to_vec(a).unwrap()))
        .collect();
    let response = codec
        .decode(&serde_json::to_vec(request).unwrap(), &answers, model)
        .unwrap();
    (
        serde_json::from_slice(&response.body).unwrap(),
        response.usage,
    )
}

#[test]
fn titan_embeds_one_text_per_call() {
    let request = json!({"model": "e", "input": ["a", "bc"], "dimensions": 256});
    assert_json(
        &encode(&request, TITAN).unwrap(),
        &json!([{"inputText": "a", "dimensions": 256}, {"inputText": "bc", "dimensions": 256}]),
    );
    let (response, usage) = decode(
        &request,
        &[
            json!({"embedding": [0.5, -0.25], "inputTextTokenCount": 1}),
            json!({"embedding": [0.125, 1.0], "inputTextTokenCount": 2}),
        ],
        TITAN,
    );
    assert_json(
        &response,
        &json!({
            "object": "list",
            "data": [
                {"object": "embedding", "index": 0, "embedding": [0.5, -0.25]},
                {"object": "embedding", "index": 1, "embedding": [0.125, 1.0]}
            ],
            "model": TITAN,
            "usage": {"prompt_tokens": 3, "total_tokens": 3}
        }),
    );
    assert_eq!(usage.map(|u| u.input_tokens), Some(3));
    assert_eq!(
        encode(&json!({"input": "one"}), TITAN).unwrap(),
        [json!({"inputText": "one"})]
    );
}

#[test]
fn cohere_embeds_a_batch_and_base64_is_little_endian_f32() {
    let request = json!({"model": "e", "input": ["a", "b"], "encoding_format": "base64"});
    assert_json(
        &encode(&request, COHERE).unwrap(),
        &json!([{"texts": ["a", "b"], "input_type": "search_document"}]),
    );
    let with_type = json!({"input": "q", "input_type": "search_query"});
    assert_eq!(
        encode(&with_type, COHERE).unwrap()[0]["input_type"],
        "search_query"
    );
    for answer in [
        json!({"embeddings": [[0.5, -2.0], [1.0, 0.0]], "id": "x", "response_type": "embeddings_floats", "texts": ["a", "b"]}),
        json!({"embeddings": {"float": [[0.5, -2.0], [1.0, 0.0]]}, "id": "x", "response_type": "embeddings_by_type"}),
    ] {
        let (response, usage) = decode(&request, &[answer], COHERE);
        let first = STANDARD
            .decode(response["data"][0]["embedding"].as_str().unwrap())
            .unwrap();
        let floats: Vec<f32> = first
            .chunks(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(floats, [0.5, -2.0]);
        assert_eq!(response["data"][1]["index"], 1);
        assert_eq!(usage.map(|u| u.input_tokens), Some(0));
    }
}

#[test]
fn refusals() {
    let tokens = encode(&json!({"input": [[1, 2, 3]]}), TITAN).unwrap_err();
    assert_eq!(tokens.param.as_deref(), Some("input"));
    assert!(tokens.message.contains("token ids"));
    let empty = encode(&json!({"input": []}), COHERE).unwrap_err();
    assert_eq!(empty.param.as_deref(), Some("input"));
    let other = encode(&json!({"input": "x"}), "amazon.nova-pro-v1:0").unwrap_err();
    assert_eq!(other.kind, ErrorKind::InvalidRequest);
    assert!(other.message.contains("Titan"), "{}", other.message);
    let dimensions = encode(&json!({"input": "x", "dimensions": 8}), COHERE).unwrap_err();
    assert_eq!(dimensions.param.as_deref(), Some("dimensions"));
    let v4 = encode(
        &json!({"input": "x", "dimensions": 256}),
        "cohere.embed-v4:0",
    )
    .unwrap();
    assert_eq!(v4[0]["output_dimension"], 256);
    let codec = wire(Wire::Bedrock).embeddings().unwrap();
    let bad = codec
        .decode(br#"{"input":"x"}"#, &[Bytes::from_static(b"{}")], TITAN)
        .unwrap_err();
    assert_eq!(bad.kind, ErrorKind::BadGateway);
}
