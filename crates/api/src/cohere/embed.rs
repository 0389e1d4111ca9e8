//! Embeddings: OpenAI `/v1/embeddings` ↔ Cohere `POST /v2/embed`
//! (<https://docs.cohere.com/reference/embed>).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Translated, invalid};
use crate::error::ApiError;
use crate::usage::TokenUsage;

/// Cohere requires an `input_type` for v3+ models; OpenAI has none. Stored
/// documents are the common case of an embeddings call (LiteLLM's default
/// too); a client embedding queries sends `input_type: search_query`.
pub const DEFAULT_INPUT_TYPE: &str = "search_document";

/// The OpenAI request fields the translation reads or tolerates; others
/// are named in `dropped`.
const KNOWN_FIELDS: [&str; 5] = [
    "model",
    "input",
    "dimensions",
    "encoding_format",
    "input_type",
];

/// `POST /v2/embed` body (text inputs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedRequest {
    pub model: String,
    pub texts: Vec<String>,
    pub input_type: String,
    pub embedding_types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimension: Option<u64>,
}

/// The parts of a `/v2/embed` response the gateway reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EmbedResponse {
    #[serde(default)]
    pub embeddings: EmbeddingsByType,
    #[serde(default)]
    pub meta: Option<Meta>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EmbeddingsByType {
    #[serde(default)]
    pub float: Vec<Vec<f64>>,
}

/// `meta` of embed and rerank responses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub billed_units: Option<BilledUnits>,
    #[serde(default)]
    pub tokens: Option<BilledUnits>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct BilledUnits {
    #[serde(default)]
    pub input_tokens: Option<f64>,
    #[serde(default)]
    pub output_tokens: Option<f64>,
}

impl Meta {
    /// The tokens the call consumed (`tokens`, else `billed_units`), if
    /// Cohere reported any.
    pub fn usage(&self) -> Option<TokenUsage> {
        let units = self.tokens.or(self.billed_units)?;
        let count = |value: Option<f64>| value.map_or(0, |v| v.max(0.0) as u64);
        Some(TokenUsage {
            input_tokens: count(units.input_tokens),
            output_tokens: count(units.output_tokens),
            ..TokenUsage::default()
        })
    }
}

/// An OpenAI embeddings request (the body) for a Cohere upstream serving
/// `model`. `input` must be text (a string or a list of strings): Cohere
/// does not take token ids. `dimensions` becomes `output_dimension`; the
/// extra `input_type` field overrides [`DEFAULT_INPUT_TYPE`]. Float
/// embeddings are always asked for: a client that wants base64 gets it
/// from [`embeddings_response_to_openai`], as OpenAI encodes it.
pub fn embeddings_request_from_openai(
    request: &Value,
    model: &str,
) -> Result<Translated<EmbedRequest>, ApiError> {
    let texts: Vec<String> = match request.get("input") {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(token_input_error)
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Array(_)) => return Err(invalid("input", "input must not be empty")),
        Some(_) => return Err(token_input_error()),
        None => return Err(invalid("input", "input is required")),
    };
    let input_type = match request.get("input_type") {
        None | Some(Value::Null) => DEFAULT_INPUT_TYPE.to_owned(),
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => return Err(invalid("input_type", "input_type must be a string")),
    };
    let output_dimension = match request.get("dimensions") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .ok_or_else(|| invalid("dimensions", "dimensions must be a positive integer"))?,
        ),
    };
    let mut dropped: Vec<String> = request
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, value)| !value.is_null() && !KNOWN_FIELDS.contains(&key.as_str()))
        .map(|(key, _)| key.clone())
        .collect();
    dropped.sort();
    Ok(Translated {
        request: EmbedRequest {
            model: model.to_owned(),
            texts,
            input_type,
            embedding_types: vec!["float"],
            output_dimension,
        },
        dropped,
    })
}

fn token_input_error() -> ApiError {
    invalid(
        "input",
        "input must be a string or a list of strings: Cohere embedding models do not accept token ids",
    )
}

/// Cohere's float embeddings → OpenAI's embeddings list, in input order.
/// `base64` (the client's `encoding_format`) encodes each vector as OpenAI
/// does: little-endian 32-bit floats. Usage is the billed input tokens.
pub fn embeddings_response_to_openai(response: &EmbedResponse, model: &str, base64: bool) -> Value {
    let data: Vec<Value> = response
        .embeddings
        .float
        .iter()
        .enumerate()
        .map(|(index, vector)| {
            let embedding = if base64 {
                Value::String(base64_f32(vector))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens = response
        .meta
        .as_ref()
        .and_then(Meta::usage)
        .map_or(0, |usage| usage.input_tokens);
    json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })
}

/// Whether an OpenAI embeddings request asks for base64 vectors.
pub fn wants_base64(request: &Value) -> bool {
    request.get("encoding_format").and_then(Value::as_str) == Some("base64")
}

/// OpenAI's base64 embedding: the vector as little-endian `f32` bytes.
fn base64_f32(vector: &[f64]) -> String {
    let bytes: Vec<u8> = vector
        .iter()
        // Embeddings are f32 on the wire; the narrowing is the format's.
        .flat_map(|value| (*value as f32).to_le_bytes())
        .collect();
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_known_encodings() {
        // 1.0f32 = 00 00 80 3f; two values exercise the padding.
        assert_eq!(base64_f32(&[1.0]), "AACAPw==");
        assert_eq!(base64_f32(&[1.0, -2.0]), "AACAPwAAAMA=");
        assert_eq!(base64_f32(&[0.0, 0.0, 0.0]), "AAAAAAAAAAAAAAAA");
        assert_eq!(base64_f32(&[]), "");
    }
}
