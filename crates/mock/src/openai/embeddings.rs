//! `POST /v1/embeddings`: deterministic unit vectors seeded by each input's content.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RenderCtx, Rendered, Usage, parse_body, resolve_model};
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::text::{base64_encode, estimate_tokens, fnv1a, unit_vector};

/// Small by default so benchmarks measure the gateway, not float formatting.
const DEFAULT_DIMENSIONS: usize = 8;
const MAX_DIMENSIONS: u64 = 8192;

#[derive(Deserialize)]
struct RawRequest<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    input: Option<Value>,
    dimensions: Option<u64>,
    #[serde(borrow)]
    encoding_format: Option<Cow<'a, str>>,
}

/// One input, reduced to what the response needs.
struct Item {
    seed: u64,
    tokens: u64,
}

pub(crate) struct EmbeddingRequest<'a> {
    model: Cow<'a, str>,
    items: Vec<Item>,
    dimensions: usize,
    base64: bool,
    /// The last text input, scanned for a `[mock:...]` directive.
    last_text: Option<String>,
}

impl<'a> EmbeddingRequest<'a> {
    pub(crate) fn parse(body: &'a [u8], deployment: Option<&'a str>) -> Result<Self, ApiError> {
        let raw: RawRequest<'a> = parse_body(body)?;
        let model = resolve_model(raw.model, deployment)?;
        let dimensions = match raw.dimensions {
            None => DEFAULT_DIMENSIONS,
            Some(d @ 1..=MAX_DIMENSIONS) => usize::try_from(d).unwrap_or(DEFAULT_DIMENSIONS),
            Some(_) => {
                return Err(ApiError::invalid_param(
                    "dimensions",
                    format!("Invalid 'dimensions': must be between 1 and {MAX_DIMENSIONS}."),
                ));
            }
        };
        let base64 = match raw.encoding_format.as_deref() {
            None | Some("float") => false,
            Some("base64") => true,
            Some(other) => {
                return Err(ApiError::invalid_param(
                    "encoding_format",
                    format!(
                        "Invalid value for 'encoding_format': '{other}'. Expected 'float' or 'base64'."
                    ),
                ));
            }
        };
        let input = raw.input.ok_or_else(|| ApiError::missing("input"))?;
        let (items, last_text) = items(input)?;
        Ok(Self {
            model,
            items,
            dimensions,
            base64,
            last_text,
        })
    }

    pub(crate) fn directive(&self) -> Knobs {
        self.last_text
            .as_deref()
            .map_or_else(Knobs::default, Knobs::from_directive)
    }

    pub(crate) fn render(&self, _ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let data = (0..)
            .zip(&self.items)
            .map(|(index, item)| {
                let vector = unit_vector(item.seed, self.dimensions);
                let embedding = if self.base64 {
                    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                    Vector::Base64(base64_encode(&bytes))
                } else {
                    Vector::Float(vector)
                };
                Embedding {
                    object: "embedding",
                    index,
                    embedding,
                }
            })
            .collect();
        let tokens = self.items.iter().map(|i| i.tokens).sum();
        let list = EmbeddingList {
            object: "list",
            data,
            model: &self.model,
            usage: Usage {
                prompt_tokens: tokens,
                completion_tokens: None,
                total_tokens: tokens,
            },
        };
        serde_json::to_vec(&list).map(Rendered::Json)
    }
}

/// Reads `input`: a string, strings, token ids, or lists of token ids.
fn items(input: Value) -> Result<(Vec<Item>, Option<String>), ApiError> {
    let invalid = || {
        ApiError::invalid_param(
            "input",
            "'$.input' is invalid: expected a non-empty string, array of strings, array of \
             token ids, or array of arrays of token ids.",
        )
    };
    let text = |s: &str| Item {
        seed: fnv1a(s.as_bytes()),
        tokens: estimate_tokens(s.chars().count()),
    };
    let token_ids = |ids: &[Value]| -> Option<Item> {
        let mut bytes = Vec::with_capacity(ids.len() * 8);
        for id in ids {
            bytes.extend_from_slice(&id.as_u64()?.to_le_bytes());
        }
        Some(Item {
            seed: fnv1a(&bytes),
            tokens: ids.len() as u64,
        })
    };
    match input {
        Value::String(s) => Ok((vec![text(&s)], Some(s))),
        Value::Array(items) if items.is_empty() => Err(invalid()),
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            Ok((vec![token_ids(&items).ok_or_else(invalid)?], None))
        }
        Value::Array(items) => {
            let parsed = items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Some(text(s)),
                    Value::Array(ids) => token_ids(ids),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(invalid)?;
            let last_text = items.into_iter().rev().find_map(|item| match item {
                Value::String(s) => Some(s),
                _ => None,
            });
            Ok((parsed, last_text))
        }
        _ => Err(invalid()),
    }
}

// Field order below is OpenAI's.

#[derive(Serialize)]
struct EmbeddingList<'a> {
    object: &'static str,
    data: Vec<Embedding>,
    model: &'a str,
    usage: Usage,
}

#[derive(Serialize)]
struct Embedding {
    object: &'static str,
    index: u32,
    embedding: Vector,
}

/// `float`: an array of numbers; `base64`: little-endian f32 bytes, base64-encoded.
#[derive(Serialize)]
#[serde(untagged)]
enum Vector {
    Float(Vec<f32>),
    Base64(String),
}
