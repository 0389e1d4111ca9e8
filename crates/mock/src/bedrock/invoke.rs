//! InvokeModel for embedding models, in each model's own body format:
//!
//! - Amazon Titan (`amazon.titan-embed-*`): `{"inputText", "dimensions"?}` →
//!   `{"embedding":[...],"inputTextTokenCount":N}`
//! - Cohere (`cohere.embed-*`): `{"texts":[...],"input_type", "embedding_types"?}` →
//!   `{"embeddings":[[...]],"id","response_type":"embeddings_floats","texts"}`, or with
//!   `embedding_types` `{"embeddings":{"float":[[...]]},...,"response_type":"embeddings_by_type"}`
//!
//! Vectors have 8 dimensions unless `dimensions` asks for others (Titan).

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::openai::parse_body;
use crate::pipeline::{RenderCtx, Rendered};
use crate::text::{estimate_tokens, fnv1a, unit_vector, uuid_like};

const DEFAULT_DIMENSIONS: usize = 8;
const MAX_DIMENSIONS: usize = 8192;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitanRequest {
    input_text: Option<String>,
    #[serde(default)]
    dimensions: Option<usize>,
}

#[derive(Deserialize)]
struct CohereRequest {
    texts: Option<Vec<String>>,
    input_type: Option<String>,
    #[serde(default)]
    embedding_types: Option<Vec<String>>,
}

pub(crate) enum Invoke {
    Titan { text: String, dimensions: usize },
    Cohere { texts: Vec<String>, by_type: bool },
}

fn malformed(key: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        format!(
            "Malformed input request: #: required key [{key}] not found, please reformat your \
             input and try again."
        ),
    )
}

impl Invoke {
    pub(super) fn parse(model: &str, body: &[u8]) -> Result<Self, ApiError> {
        if model.contains("titan-embed") {
            let request: TitanRequest = parse_body(body)?;
            let text = request.input_text.ok_or_else(|| malformed("inputText"))?;
            let dimensions = match request.dimensions {
                None => DEFAULT_DIMENSIONS,
                Some(d @ 1..=MAX_DIMENSIONS) => d,
                Some(_) => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "Malformed input request: #/dimensions: out of range, please reformat \
                         your input and try again.",
                    ));
                }
            };
            Ok(Self::Titan { text, dimensions })
        } else if model.contains("cohere.embed") {
            let request: CohereRequest = parse_body(body)?;
            let texts = request.texts.ok_or_else(|| malformed("texts"))?;
            request.input_type.ok_or_else(|| malformed("input_type"))?;
            Ok(Self::Cohere {
                texts,
                by_type: request.embedding_types.is_some(),
            })
        } else {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "switchboard-mock: InvokeModel serves Titan and Cohere embedding models, \
                     not '{model}'; use Converse for chat models."
                ),
            ))
        }
    }

    pub(super) fn last_text(&self) -> Option<&str> {
        match self {
            Self::Titan { text, .. } => Some(text),
            Self::Cohere { texts, .. } => texts.last().map(String::as_str),
        }
    }

    pub(super) fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let vector = |text: &str, dims| unit_vector(fnv1a(text.as_bytes()), dims);
        let body = match self {
            Self::Titan { text, dimensions } => serde_json::to_vec(&TitanResponse {
                embedding: vector(text, *dimensions),
                input_text_token_count: estimate_tokens(text.chars().count()),
            }),
            Self::Cohere { texts, by_type } => {
                let vectors: Vec<Vec<f32>> = texts
                    .iter()
                    .map(|t| vector(t, DEFAULT_DIMENSIONS))
                    .collect();
                let (embeddings, response_type) = if *by_type {
                    (Embeddings::ByType { float: vectors }, "embeddings_by_type")
                } else {
                    (Embeddings::Floats(vectors), "embeddings_floats")
                };
                serde_json::to_vec(&CohereResponse {
                    embeddings,
                    id: uuid_like(ctx.hash),
                    response_type,
                    texts,
                })
            }
        };
        body.map(Rendered::Json)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TitanResponse {
    embedding: Vec<f32>,
    input_text_token_count: u64,
}

#[derive(Serialize)]
struct CohereResponse<'a> {
    embeddings: Embeddings,
    id: String,
    response_type: &'static str,
    texts: &'a [String],
}

#[derive(Serialize)]
#[serde(untagged)]
enum Embeddings {
    Floats(Vec<Vec<f32>>),
    ByType { float: Vec<Vec<f32>> },
}
