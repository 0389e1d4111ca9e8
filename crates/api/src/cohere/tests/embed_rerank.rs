//! Embeddings and rerank translations, and the codec seam end to end.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::codec::{Wire, wire};
use crate::cohere::{
    CohereRerankResponse, EmbedResponse, RerankRequest, embeddings_request_from_openai,
    embeddings_response_to_openai, rerank_request_to_cohere, rerank_response_from_cohere,
};
use crate::error::ErrorKind;
use crate::usage::TokenUsage;

#[test]
fn embeddings_request_defaults_and_overrides() {
    let translated = embeddings_request_from_openai(
        &json!({"model": "emb", "input": "hello", "encoding_format": "base64", "user": "u"}),
        "embed-v4.0",
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&translated.request).unwrap(),
        json!({"model": "embed-v4.0", "texts": ["hello"], "input_type": "search_document",
               "embedding_types": ["float"]})
    );
    assert_eq!(translated.dropped, ["user"]);

    let translated = embeddings_request_from_openai(
        &json!({"model": "emb", "input": ["a", "b"], "dimensions": 256, "input_type": "search_query"}),
        "embed-v4.0",
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&translated.request).unwrap(),
        json!({"model": "embed-v4.0", "texts": ["a", "b"], "input_type": "search_query",
               "embedding_types": ["float"], "output_dimension": 256})
    );
}

#[test]
fn embeddings_refuse_token_ids_and_empty_input() {
    for (input, param) in [
        (json!([1, 2, 3]), "input"),
        (json!([[1, 2]]), "input"),
        (json!([]), "input"),
        (json!(7), "input"),
    ] {
        let error = embeddings_request_from_openai(&json!({"input": input}), "m").unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidRequest);
        assert_eq!(error.param.as_deref(), Some(param));
    }
    let error = embeddings_request_from_openai(&json!({"input": "x", "dimensions": "big"}), "m")
        .unwrap_err();
    assert_eq!(error.param.as_deref(), Some("dimensions"));
}

const EMBED_RESPONSE: &str = r#"{"id":"e1","embeddings":{"float":[[1.0,-2.0],[0.5,0.25]]},"texts":["a","b"],"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":4}},"response_type":"embeddings_by_type"}"#;

#[test]
fn embeddings_response_as_floats_or_base64() {
    let response: EmbedResponse = serde_json::from_str(EMBED_RESPONSE).unwrap();
    assert_eq!(
        embeddings_response_to_openai(&response, "emb", false),
        json!({"object": "list", "model": "emb",
               "data": [{"object": "embedding", "index": 0, "embedding": [1.0, -2.0]},
                        {"object": "embedding", "index": 1, "embedding": [0.5, 0.25]}],
               "usage": {"prompt_tokens": 4, "total_tokens": 4}})
    );
    let base64 = embeddings_response_to_openai(&response, "emb", true);
    // 1.0f32 = 00 00 80 3f, -2.0f32 = 00 00 00 c0 (little-endian).
    assert_eq!(base64["data"][0]["embedding"], "AACAPwAAAMA=");
}

#[test]
fn embeddings_through_the_codec_hook() {
    let codec = wire(Wire::Cohere).embeddings().unwrap();
    let request = br#"{"model":"emb","input":["a","b"]}"#;
    let bodies = codec.encode(request, "embed-v4.0").unwrap();
    assert_eq!(bodies.len(), 1);
    let sent: Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(sent["texts"], json!(["a", "b"]));
    let answers = [Bytes::from_static(EMBED_RESPONSE.as_bytes())];
    let decoded = codec.decode(request, &answers, "emb").unwrap();
    let body: Value = serde_json::from_slice(&decoded.body).unwrap();
    assert_eq!(body["data"][1]["embedding"], json!([0.5, 0.25]));
    assert_eq!(
        decoded.usage,
        Some(TokenUsage {
            input_tokens: 4,
            ..TokenUsage::default()
        })
    );
    let error = codec
        .decode(request, &[Bytes::from_static(b"<html>")], "emb")
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadGateway);
}

fn rerank_request(value: Value) -> RerankRequest {
    serde_json::from_value(value).unwrap()
}

#[test]
fn rerank_documents_become_text() {
    let request = rerank_request(json!({
        "model": "rr", "query": "capital of France", "top_n": 2, "max_tokens_per_doc": 512,
        "documents": ["Paris is in France.", {"text": "Berlin", "id": 3}, {"title": "Rome", "year": 753}],
        "custom": true
    }));
    let translated = rerank_request_to_cohere(&request, "rerank-v3.5").unwrap();
    assert_eq!(
        serde_json::to_value(&translated.request).unwrap(),
        json!({"model": "rerank-v3.5", "query": "capital of France", "top_n": 2,
               "max_tokens_per_doc": 512,
               "documents": ["Paris is in France.", "Berlin", "title: Rome\nyear: 753"]})
    );
    assert_eq!(translated.dropped, ["custom"]);

    let request = rerank_request(json!({
        "model": "rr", "query": "q", "rank_fields": ["year", "title", "missing"],
        "documents": [{"title": "Rome", "year": 753, "text": "ignored"}], "max_chunks_per_doc": 5
    }));
    let translated = rerank_request_to_cohere(&request, "m").unwrap();
    assert_eq!(translated.request.documents, ["year: 753\ntitle: Rome"]);
    assert_eq!(translated.dropped, ["max_chunks_per_doc"]);

    let empty = rerank_request(json!({"model": "rr", "query": "q", "documents": []}));
    assert_eq!(
        rerank_request_to_cohere(&empty, "m")
            .unwrap_err()
            .param
            .as_deref(),
        Some("documents")
    );
    let bad = rerank_request(json!({"model": "rr", "query": "q", "documents": [1]}));
    assert_eq!(
        rerank_request_to_cohere(&bad, "m")
            .unwrap_err()
            .param
            .as_deref(),
        Some("documents[0]")
    );
}

#[test]
fn rerank_response_carries_the_clients_documents() {
    let response: CohereRerankResponse = serde_json::from_value(json!({
        "id": "r-1",
        "results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}],
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}
    }))
    .unwrap();
    let request = rerank_request(json!({"model": "rr", "query": "q",
        "documents": ["a", {"title": "b"}]}));
    assert_eq!(
        rerank_response_from_cohere(&response, &request, "fallback").unwrap(),
        json!({"id": "r-1",
               "results": [{"index": 1, "relevance_score": 0.9, "document": {"title": "b"}},
                           {"index": 0, "relevance_score": 0.1, "document": {"text": "a"}}],
               "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}})
    );
    assert_eq!(
        response.meta().and_then(|meta| meta.usage()),
        Some(TokenUsage::default())
    );

    let request = rerank_request(json!({"model": "rr", "query": "q", "documents": ["a"],
        "return_documents": false}));
    let response: CohereRerankResponse =
        serde_json::from_value(json!({"results": [{"index": 0, "relevance_score": 0.5}]})).unwrap();
    assert_eq!(
        rerank_response_from_cohere(&response, &request, "fallback").unwrap(),
        json!({"id": "fallback", "results": [{"index": 0, "relevance_score": 0.5}], "meta": {}})
    );
    let response: CohereRerankResponse =
        serde_json::from_value(json!({"results": [{"index": 5, "relevance_score": 0.5}]})).unwrap();
    let request = rerank_request(json!({"model": "rr", "query": "q", "documents": ["a"]}));
    assert_eq!(
        rerank_response_from_cohere(&response, &request, "f")
            .unwrap_err()
            .kind,
        ErrorKind::BadGateway
    );
}

#[test]
fn chat_through_the_codec_seam() {
    use crate::codec::EncodeOptions;
    use crate::openai::chat::ChatRequest;
    let codec = wire(Wire::Cohere);
    assert_eq!(Wire::Cohere.dialect(), None);
    let request: ChatRequest = serde_json::from_value(json!({
        "model": "group", "messages": [{"role": "user", "content": "hi"}], "store": true
    }))
    .unwrap();
    let options = EncodeOptions {
        model: "command-a-03-2025",
        stream: true,
        default_max_tokens: 4096,
        stream_usage_option: true,
    };
    let encoded = codec.encode_request(&request, &options).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&encoded.value).unwrap(),
        json!({"model": "command-a-03-2025", "messages": [{"role": "user", "content": "hi"}],
               "stream": true})
    );
    assert_eq!(encoded.dropped, ["store"]);

    let body = br#"{"id":"x","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"Hello"}]},"usage":{"billed_units":{"input_tokens":3,"output_tokens":1},"tokens":{"input_tokens":3,"output_tokens":1}}}"#;
    let response = codec.decode_response(body, "command-a", 5).unwrap();
    assert_eq!(
        response.choices[0].message.content.as_deref(),
        Some("Hello")
    );
    assert_eq!(codec.response_usage(body).map(|u| u.total()), Some(4));

    let mut observer = codec.stream_observer(false);
    let event = Bytes::from_static(b"event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"tokens\":{\"input_tokens\":2,\"output_tokens\":5}}}}\n\n");
    assert_eq!(observer.observe(event.clone()), Some(event));
    assert_eq!(observer.usage().map(|u| u.output_tokens), Some(5));

    let error = codec.decode_error(429, br#"{"message":"slow down"}"#);
    assert_eq!((error.status, error.message.as_str()), (429, "slow down"));
}
