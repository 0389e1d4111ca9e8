//! Embeddings: OpenAI `/v1/embeddings` ↔ Gemini `:batchEmbedContents`.
//!
//! A single `:embedContent` call is a batch of one: the front door wraps the
//! request and unwraps `embeddings[0]`.

use serde_json::{Value, json};

use super::types::{
    BatchEmbedContentsRequest, BatchEmbedContentsResponse, Content, ContentEmbedding,
    EmbedContentRequest, Part,
};
use crate::error::{ApiError, ErrorKind};

/// Direction A: OpenAI `input` (a string or a list of strings) → one Gemini
/// embed request per string. `dimensions` becomes `outputDimensionality`.
/// Token-id inputs are refused: Gemini embeds text only.
pub fn embeddings_request_from_openai(
    input: &Value,
    model: &str,
    dimensions: Option<u32>,
) -> Result<BatchEmbedContentsRequest, ApiError> {
    let texts: Vec<&str> = match input {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| item.as_str().ok_or_else(token_input_error))
            .collect::<Result<_, _>>()?,
        Value::Array(_) => {
            return Err(
                ApiError::new(ErrorKind::InvalidRequest, "input must not be empty")
                    .with_param("input"),
            );
        }
        _ => return Err(token_input_error()),
    };
    let model = model_resource(model);
    let requests = texts
        .into_iter()
        .map(|text| EmbedContentRequest {
            model: Some(model.clone()),
            content: Content {
                role: None,
                parts: vec![Part::text(text)],
            },
            task_type: None,
            title: None,
            output_dimensionality: dimensions,
        })
        .collect();
    Ok(BatchEmbedContentsRequest { requests })
}

fn token_input_error() -> ApiError {
    ApiError::new(
        ErrorKind::InvalidRequest,
        "input must be a string or a list of strings: Gemini embedding models do not accept token ids",
    )
    .with_param("input")
}

/// `models/<model>`, the resource name batch entries must carry.
fn model_resource(model: &str) -> String {
    if model.starts_with("models/") {
        model.to_owned()
    } else {
        format!("models/{model}")
    }
}

/// Direction A: Gemini embeddings → OpenAI's embeddings list. Gemini reports
/// no token usage for embeddings, so `usage` is zero (the shape OpenAI
/// clients expect, not a measurement).
pub fn embeddings_response_to_openai(response: &BatchEmbedContentsResponse, model: &str) -> Value {
    let data: Vec<Value> = response
        .embeddings
        .iter()
        .enumerate()
        .map(|(index, embedding)| {
            json!({ "object": "embedding", "index": index, "embedding": embedding.values })
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": { "prompt_tokens": 0, "total_tokens": 0 }
    })
}

/// Direction B: a Gemini client's batch → an OpenAI embeddings body. Each
/// request's text parts are joined into one input (Gemini embeds a content
/// as one text). `taskType` and `title` have no OpenAI equivalent and are
/// dropped; `outputDimensionality` must then be the same for the whole batch.
pub fn embeddings_request_to_openai(
    model: &str,
    request: &BatchEmbedContentsRequest,
) -> Result<Value, ApiError> {
    let mut inputs = Vec::with_capacity(request.requests.len());
    let mut dimensions = None;
    for (index, entry) in request.requests.iter().enumerate() {
        inputs.push(embed_text(&entry.content, index)?);
        if index > 0 && entry.output_dimensionality != dimensions {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                "outputDimensionality must be the same for every request of the batch",
            )
            .with_param(format!("requests[{index}].outputDimensionality")));
        }
        dimensions = entry.output_dimensionality;
    }
    let mut body = json!({ "model": model, "input": inputs });
    if let (Some(dimensions), Some(object)) = (dimensions, body.as_object_mut()) {
        object.insert("dimensions".to_owned(), Value::from(dimensions));
    }
    Ok(body)
}

fn embed_text(content: &Content, index: usize) -> Result<String, ApiError> {
    let mut text = String::new();
    for (part_index, part) in content.parts.iter().enumerate() {
        let Some(part_text) = &part.text else {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                format!("requests[{index}].content.parts[{part_index}]: only text can be embedded by this model"),
            )
            .with_param(format!("requests[{index}].content.parts[{part_index}]")));
        };
        text.push_str(part_text);
    }
    Ok(text)
}

/// Direction B: an OpenAI embeddings response → Gemini's batch response, in
/// `index` order. Only float embeddings are read (the gateway never asks
/// for base64).
pub fn embeddings_response_from_openai(
    body: &Value,
) -> Result<BatchEmbedContentsResponse, ApiError> {
    let bad = |what: &str| {
        ApiError::new(
            ErrorKind::BadGateway,
            format!("the upstream embeddings response {what}"),
        )
    };
    let data = body
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("has no `data` list"))?;
    let mut indexed = Vec::with_capacity(data.len());
    for (position, item) in data.iter().enumerate() {
        let index = item
            .get("index")
            .and_then(Value::as_u64)
            .unwrap_or(u64::try_from(position).unwrap_or(u64::MAX));
        let values = item
            .get("embedding")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("has an embedding that is not a list of numbers"))?
            .iter()
            .map(|value| {
                value
                    .as_f64()
                    .ok_or_else(|| bad("has a non-numeric embedding value"))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        indexed.push((index, ContentEmbedding { values }));
    }
    indexed.sort_by_key(|(index, _)| *index);
    Ok(BatchEmbedContentsResponse {
        embeddings: indexed
            .into_iter()
            .map(|(_, embedding)| embedding)
            .collect(),
    })
}
