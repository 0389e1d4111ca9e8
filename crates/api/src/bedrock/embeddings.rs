//! OpenAI `/v1/embeddings` ↔ Bedrock InvokeModel, in each embedding model's
//! own body format (AWS's model parameter references):
//!
//! - Amazon Titan (`amazon.titan-embed-*`): one text per call,
//!   `{"inputText", "dimensions"?}` → `{"embedding", "inputTextTokenCount"}`.
//! - Cohere (`cohere.embed-*`): a batch, `{"texts", "input_type"}` →
//!   `{"embeddings": [[...]]}` (or `{"embeddings": {"float": [[...]]}}`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::invalid;
use crate::error::{ApiError, ErrorKind};
use crate::usage::TokenUsage;

/// The fields of an OpenAI embeddings request that matter here. `input_type`
/// is Cohere's, accepted by LiteLLM on its OpenAI endpoint.
#[derive(Deserialize)]
struct EmbeddingsRequest {
    input: Value,
    #[serde(default)]
    dimensions: Option<u64>,
    #[serde(default)]
    encoding_format: Option<String>,
    #[serde(default)]
    input_type: Option<String>,
}

enum Family {
    Titan,
    Cohere,
}

/// Which body format the model takes, from its id (inference profile ids
/// like `us.cohere.embed-v4:0` included).
fn family(model: &str) -> Result<Family, ApiError> {
    if model.contains("titan-embed") {
        Ok(Family::Titan)
    } else if model.contains("cohere.embed") {
        Ok(Family::Cohere)
    } else {
        Err(invalid(
            "model",
            format!(
                "Bedrock embeddings are supported for Amazon Titan (amazon.titan-embed-*) and \
                 Cohere (cohere.embed-*) models, not `{model}`"
            ),
        ))
    }
}

fn parse_request(body: &[u8]) -> Result<EmbeddingsRequest, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        ApiError::new(
            ErrorKind::InvalidRequest,
            format!("The request body is not valid: {error}"),
        )
    })
}

/// The InvokeModel bodies for an OpenAI embeddings request (`body` as the
/// client sent it): one per input for Titan, one for Cohere.
pub fn embeddings_request_from_openai(body: &[u8], model: &str) -> Result<Vec<Vec<u8>>, ApiError> {
    let request = parse_request(body)?;
    let texts = texts(&request.input)?;
    let bodies = match family(model)? {
        Family::Titan => texts
            .iter()
            .map(|text| {
                let mut body = Map::new();
                body.insert("inputText".to_owned(), json!(text));
                if let Some(dimensions) = request.dimensions {
                    body.insert("dimensions".to_owned(), json!(dimensions));
                }
                Value::Object(body)
            })
            .collect(),
        Family::Cohere => {
            let input_type = request.input_type.as_deref().unwrap_or("search_document");
            let mut body = json!({"texts": texts, "input_type": input_type});
            if let Some(dimensions) = request.dimensions {
                // Only Embed v4 has a choice of sizes.
                if !model.contains("embed-v4") {
                    return Err(invalid(
                        "dimensions",
                        format!("dimensions is not supported by `{model}`"),
                    ));
                }
                body["output_dimension"] = json!(dimensions);
            }
            vec![body]
        }
    };
    bodies
        .iter()
        .map(|body| {
            serde_json::to_vec(body).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))
        })
        .collect()
}

/// `input`: a string or a list of strings. Token-id inputs are refused:
/// Bedrock's embedding models take text only.
fn texts(input: &Value) -> Result<Vec<&str>, ApiError> {
    let refused = || {
        invalid(
            "input",
            "input must be a string or a list of strings: Bedrock embedding models do not \
             accept token ids",
        )
    };
    match input {
        Value::String(text) => Ok(vec![text.as_str()]),
        Value::Array(items) if items.is_empty() => Err(invalid("input", "input must not be empty")),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(refused))
            .collect(),
        _ => Err(refused()),
    }
}

/// The InvokeModel answers (in request order) as an OpenAI embeddings
/// response body, with `encoding_format: "base64"` honoured (OpenAI's SDKs
/// ask for it by default): little-endian f32s, base64-encoded. Titan counts
/// input tokens; Cohere's body does not, so its usage is zero.
pub fn embeddings_response_to_openai(
    request: &[u8],
    answers: &[Bytes],
    model: &str,
) -> Result<(Vec<u8>, TokenUsage), ApiError> {
    let request = parse_request(request)?;
    let base64 = request.encoding_format.as_deref() == Some("base64");
    let mut vectors = Vec::new();
    let mut input_tokens = 0;
    for answer in answers {
        let value: Value = serde_json::from_slice(answer).map_err(|e| bad(&e.to_string()))?;
        match family(model)? {
            Family::Titan => {
                vectors.push(vector(value.get("embedding"))?);
                input_tokens += value
                    .get("inputTextTokenCount")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
            }
            Family::Cohere => {
                let embeddings = value.get("embeddings");
                // `embeddings_by_type` nests the vectors under their type.
                let list = embeddings
                    .and_then(|e| e.get("float"))
                    .or(embeddings)
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("has no `embeddings` list"))?;
                for item in list {
                    vectors.push(vector(Some(item))?);
                }
            }
        }
    }
    let data: Vec<Value> = vectors
        .into_iter()
        .enumerate()
        .map(|(index, values)| {
            let embedding = if base64 {
                Value::String(encode_base64(&values))
            } else {
                Value::Array(values)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let body = json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": input_tokens, "total_tokens": input_tokens},
    });
    let body =
        serde_json::to_vec(&body).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?;
    let usage = TokenUsage {
        input_tokens,
        ..TokenUsage::default()
    };
    Ok((body, usage))
}

fn bad(what: &str) -> ApiError {
    ApiError::new(
        ErrorKind::BadGateway,
        format!("the Bedrock embeddings response could not be read: {what}"),
    )
}

/// A list of numbers, kept as the upstream wrote them.
fn vector(value: Option<&Value>) -> Result<Vec<Value>, ApiError> {
    let list = value
        .and_then(Value::as_array)
        .ok_or_else(|| bad("an embedding is not a list"))?;
    if list.iter().any(|v| !v.is_number()) {
        return Err(bad("an embedding has a value that is not a number"));
    }
    Ok(list.clone())
}

/// OpenAI's base64 embedding: the vector as little-endian f32s.
fn encode_base64(values: &[Value]) -> String {
    let mut bytes = Vec::with_capacity(values.len() * 4);
    for value in values {
        // Embeddings are f32 on every wire; the narrowing is the format's.
        #[allow(clippy::cast_possible_truncation)]
        let float = value.as_f64().unwrap_or(0.0) as f32;
        bytes.extend_from_slice(&float.to_le_bytes());
    }
    STANDARD.encode(bytes)
}
