//! `embedContent`, `batchEmbedContents`, Vertex AI's `predict` for text embeddings, and
//! `countTokens`.

use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::request::{Content, GenerateRequest, prompt_chars};
use crate::error::ApiError;
use crate::openai::parse_body;
use crate::pipeline::Rendered;
use crate::text::{estimate_tokens, fnv1a, unit_vector};

/// Small by default so benchmarks measure the gateway, not float formatting.
const DEFAULT_DIMENSIONS: usize = 8;
const MAX_DIMENSIONS: usize = 8192;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmbedContentRequest {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default, alias = "output_dimensionality")]
    output_dimensionality: Option<usize>,
}

#[derive(Deserialize)]
struct BatchRequest {
    #[serde(default)]
    requests: Vec<EmbedContentRequest>,
}

#[derive(Deserialize)]
struct PredictRequest {
    #[serde(default)]
    instances: Vec<Instance>,
    #[serde(default)]
    parameters: Option<PredictParameters>,
}

#[derive(Deserialize)]
struct Instance {
    content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PredictParameters {
    #[serde(default)]
    output_dimensionality: Option<usize>,
}

/// Which response shape an embedding request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Single,
    Batch,
    Predict,
}

/// Texts to embed, each with its dimensions.
pub(crate) struct Embed {
    shape: Shape,
    items: Vec<(String, usize)>,
}

fn dimensions(requested: Option<usize>) -> Result<usize, ApiError> {
    match requested {
        None => Ok(DEFAULT_DIMENSIONS),
        Some(d @ 1..=MAX_DIMENSIONS) => Ok(d),
        Some(d) => Err(invalid(format!(
            "* outputDimensionality: must be between 1 and {MAX_DIMENSIONS}, got {d}\n"
        ))),
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn item(request: EmbedContentRequest) -> Result<(String, usize), ApiError> {
    let content = request.content.ok_or_else(|| {
        invalid("* EmbedContentRequest.content: content is not specified\n".into())
    })?;
    let texts: Vec<&str> = content
        .parts
        .iter()
        .filter_map(|p| p.text.as_deref())
        .collect();
    Ok((texts.join(" "), dimensions(request.output_dimensionality)?))
}

impl Embed {
    pub(super) fn single(body: &[u8]) -> Result<Self, ApiError> {
        let request: EmbedContentRequest = parse_body(body)?;
        Ok(Self {
            shape: Shape::Single,
            items: vec![item(request)?],
        })
    }

    pub(super) fn batch(body: &[u8]) -> Result<Self, ApiError> {
        let batch: BatchRequest = parse_body(body)?;
        if batch.requests.is_empty() {
            return Err(invalid(
                "* BatchEmbedContentsRequest.requests: requests is not specified\n".into(),
            ));
        }
        let items = batch
            .requests
            .into_iter()
            .map(item)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            shape: Shape::Batch,
            items,
        })
    }

    pub(super) fn predict(body: &[u8]) -> Result<Self, ApiError> {
        let predict: PredictRequest = parse_body(body)?;
        if predict.instances.is_empty() {
            return Err(invalid("instances must not be empty".into()));
        }
        let dims = dimensions(predict.parameters.and_then(|p| p.output_dimensionality))?;
        let items = predict
            .instances
            .into_iter()
            .map(|i| (i.content, dims))
            .collect();
        Ok(Self {
            shape: Shape::Predict,
            items,
        })
    }

    pub(super) fn last_text(&self) -> Option<&str> {
        self.items.last().map(|(text, _)| text.as_str())
    }

    pub(super) fn render(&self) -> serde_json::Result<Rendered> {
        let vectors = self.items.iter().map(|(text, dims)| Values {
            values: unit_vector(fnv1a(text.as_bytes()), *dims),
        });
        let body = match self.shape {
            Shape::Single => serde_json::to_vec(&Single {
                embedding: vectors
                    .into_iter()
                    .next()
                    .unwrap_or(Values { values: Vec::new() }),
            }),
            Shape::Batch => serde_json::to_vec(&Batch {
                embeddings: vectors.collect(),
            }),
            Shape::Predict => {
                let predictions = self
                    .items
                    .iter()
                    .zip(vectors)
                    .map(|((text, _), v)| Prediction {
                        embeddings: PredictionEmbedding {
                            statistics: Statistics {
                                truncated: false,
                                token_count: estimate_tokens(text.chars().count()),
                            },
                            values: v.values,
                        },
                    })
                    .collect();
                let characters = self.items.iter().map(|(t, _)| t.chars().count()).sum();
                serde_json::to_vec(&Predictions {
                    predictions,
                    metadata: Metadata {
                        billable_character_count: characters,
                    },
                })
            }
        };
        body.map(Rendered::Json)
    }
}

#[derive(Serialize)]
struct Values {
    values: Vec<f32>,
}

#[derive(Serialize)]
struct Single {
    embedding: Values,
}

#[derive(Serialize)]
struct Batch {
    embeddings: Vec<Values>,
}

#[derive(Serialize)]
struct Predictions {
    predictions: Vec<Prediction>,
    metadata: Metadata,
}

#[derive(Serialize)]
struct Prediction {
    embeddings: PredictionEmbedding,
}

#[derive(Serialize)]
struct PredictionEmbedding {
    statistics: Statistics,
    values: Vec<f32>,
}

#[derive(Serialize)]
struct Statistics {
    truncated: bool,
    token_count: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    billable_character_count: usize,
}

/// `countTokens`: `contents`, or a whole `generateContentRequest`.
pub(crate) struct CountTokens {
    tokens: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CountRequest {
    #[serde(default)]
    contents: Vec<Content>,
    #[serde(default, alias = "generate_content_request")]
    generate_content_request: Option<GenerateRequest>,
}

impl CountTokens {
    pub(super) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let request: CountRequest = parse_body(body)?;
        let chars = match &request.generate_content_request {
            Some(generate) => generate.conversation().prompt_chars,
            None => prompt_chars(None, &request.contents),
        };
        Ok(Self {
            tokens: estimate_tokens(chars),
        })
    }

    pub(super) fn render(&self) -> serde_json::Result<Rendered> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Count {
            total_tokens: u64,
            prompt_tokens_details: [Modality; 1],
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Modality {
            modality: &'static str,
            token_count: u64,
        }
        serde_json::to_vec(&Count {
            total_tokens: self.tokens,
            prompt_tokens_details: [Modality {
                modality: "TEXT",
                token_count: self.tokens,
            }],
        })
        .map(Rendered::Json)
    }
}
