//! Rerank: LiteLLM's `/rerank` body (Cohere's v1 shape: documents as
//! strings or objects, `rank_fields`, `return_documents`) ↔ Cohere's
//! `POST /v2/rerank` (<https://docs.cohere.com/reference/rerank>), which
//! takes documents as strings and never returns them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::embed::Meta;
use super::{Translated, invalid};
use crate::error::{ApiError, ErrorKind};

/// A client's rerank request.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RerankRequest {
    pub model: String,
    pub query: String,
    pub documents: Vec<Value>,
    #[serde(default)]
    pub top_n: Option<u64>,
    /// Fields of object documents to rank on (default: `text`, else all).
    #[serde(default)]
    pub rank_fields: Option<Vec<String>>,
    /// Whether results carry their document; LiteLLM's default is yes.
    #[serde(default)]
    pub return_documents: Option<bool>,
    #[serde(default)]
    pub max_tokens_per_doc: Option<u64>,
    /// v1's name for a per-document limit; v2 has only `max_tokens_per_doc`.
    #[serde(default)]
    pub max_chunks_per_doc: Option<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `POST /v2/rerank` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohereRerankRequest {
    pub model: String,
    pub query: String,
    pub documents: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_n: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens_per_doc: Option<u64>,
}

/// What a `/v2/rerank` response carries.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CohereRerankResponse {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub results: Vec<RerankResult>,
    /// Kept whole for the client; [`Meta`] reads the usage from it.
    #[serde(default)]
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct RerankResult {
    pub index: usize,
    pub relevance_score: f64,
}

impl CohereRerankResponse {
    pub fn meta(&self) -> Option<Meta> {
        self.meta
            .as_ref()
            .and_then(|meta| serde_json::from_value(meta.clone()).ok())
    }
}

/// The client's request for Cohere's v2 rerank, for the deployment's
/// `model`. Object documents become text as Cohere recommends for
/// structured data: one `field: value` line per rank field. Unknown fields
/// (and v1's `max_chunks_per_doc`) are named in `dropped`.
pub fn rerank_request_to_cohere(
    request: &RerankRequest,
    model: &str,
) -> Result<Translated<CohereRerankRequest>, ApiError> {
    if request.documents.is_empty() {
        return Err(invalid("documents", "documents must not be empty"));
    }
    let documents = request
        .documents
        .iter()
        .enumerate()
        .map(|(index, document)| document_text(index, document, request.rank_fields.as_deref()))
        .collect::<Result<_, _>>()?;
    let mut dropped: Vec<String> = request
        .rest
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, _)| key.clone())
        .collect();
    if request
        .max_chunks_per_doc
        .as_ref()
        .is_some_and(|v| !v.is_null())
    {
        dropped.push("max_chunks_per_doc".to_owned());
    }
    dropped.sort();
    Ok(Translated {
        request: CohereRerankRequest {
            model: model.to_owned(),
            query: request.query.clone(),
            documents,
            top_n: request.top_n,
            max_tokens_per_doc: request.max_tokens_per_doc,
        },
        dropped,
    })
}

fn document_text(
    index: usize,
    document: &Value,
    rank_fields: Option<&[String]>,
) -> Result<String, ApiError> {
    let object = match document {
        Value::String(text) => return Ok(text.clone()),
        Value::Object(object) => object,
        _ => {
            return Err(invalid(
                format!("documents[{index}]"),
                format!("documents[{index}] must be a string or an object"),
            ));
        }
    };
    let line = |(key, value): (&String, &Value)| match value {
        Value::String(text) => format!("{key}: {text}"),
        other => format!("{key}: {other}"),
    };
    let text = match rank_fields {
        Some(fields) => fields
            .iter()
            .filter_map(|field| object.get_key_value(field))
            .map(line)
            .collect::<Vec<_>>()
            .join("\n"),
        None => match object.get("text") {
            Some(Value::String(text)) => text.clone(),
            _ => object.iter().map(line).collect::<Vec<_>>().join("\n"),
        },
    };
    Ok(text)
}

/// Cohere's answer in the shape LiteLLM returns: `id`, `results` (each
/// with the client's own document when asked for: a string as `{text}`,
/// an object as sent) and Cohere's `meta`.
pub fn rerank_response_from_cohere(
    response: &CohereRerankResponse,
    request: &RerankRequest,
    fallback_id: &str,
) -> Result<Value, ApiError> {
    let with_documents = request.return_documents.unwrap_or(true);
    let results = response
        .results
        .iter()
        .map(|result| {
            let mut item =
                json!({"index": result.index, "relevance_score": result.relevance_score});
            if with_documents {
                let document = request.documents.get(result.index).ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::BadGateway,
                        format!(
                            "the upstream ranked document {}, which was not sent",
                            result.index
                        ),
                    )
                })?;
                let document = match document {
                    Value::String(text) => json!({"text": text}),
                    other => other.clone(),
                };
                if let Some(object) = item.as_object_mut() {
                    object.insert("document".to_owned(), document);
                }
            }
            Ok(item)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(json!({
        "id": response.id.as_deref().unwrap_or(fallback_id),
        "results": results,
        "meta": response.meta.clone().unwrap_or_else(|| json!({})),
    }))
}
