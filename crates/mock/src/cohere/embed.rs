//! `/v2/embed` (float embeddings) and `/v2/rerank` (scores from word overlap, deterministic).

use serde::{Deserialize, Serialize};

use super::invalid;
use crate::error::ApiError;
use crate::openai::parse_body;
use crate::pipeline::{RenderCtx, Rendered};
use crate::text::{estimate_tokens, fnv1a, unit_vector, uuid_like};

const DEFAULT_DIMENSIONS: usize = 8;
const DIMENSIONS: [usize; 4] = [256, 512, 1024, 1536];

#[derive(Deserialize)]
struct RawEmbed {
    model: Option<String>,
    texts: Option<Vec<String>>,
    input_type: Option<String>,
    #[serde(default)]
    embedding_types: Option<Vec<String>>,
    #[serde(default)]
    output_dimension: Option<usize>,
}

pub(crate) struct Embed {
    texts: Vec<String>,
    dimensions: usize,
}

fn require_model(model: Option<&String>) -> Result<(), ApiError> {
    match model {
        Some(_) => Ok(()),
        None => Err(invalid("model is required")),
    }
}

impl Embed {
    pub(super) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let raw: RawEmbed = parse_body(body)?;
        require_model(raw.model.as_ref())?;
        let texts = raw.texts.ok_or_else(|| invalid("texts must be provided"))?;
        if raw.input_type.is_none() {
            return Err(invalid(
                "valid input_type must be provided with the provided model",
            ));
        }
        if let Some(other) = raw
            .embedding_types
            .iter()
            .flatten()
            .find(|t| t.as_str() != "float")
        {
            return Err(invalid(&format!(
                "switchboard-mock supports embedding_types [\"float\"] only, not \"{other}\""
            )));
        }
        let dimensions = match raw.output_dimension {
            None => DEFAULT_DIMENSIONS,
            Some(d) if DIMENSIONS.contains(&d) => d,
            Some(d) => {
                return Err(invalid(&format!(
                    "output_dimension must be one of 256, 512, 1024 or 1536, got {d}"
                )));
            }
        };
        Ok(Self { texts, dimensions })
    }

    pub(super) fn last_text(&self) -> Option<&str> {
        self.texts.last().map(String::as_str)
    }

    pub(super) fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let vectors = self
            .texts
            .iter()
            .map(|t| unit_vector(fnv1a(t.as_bytes()), self.dimensions))
            .collect();
        let tokens = self
            .texts
            .iter()
            .map(|t| estimate_tokens(t.chars().count()))
            .sum();
        let response = EmbedResponse {
            id: uuid_like(ctx.hash),
            embeddings: ByType { float: vectors },
            texts: &self.texts,
            meta: Meta::new(BilledUnits::Input {
                input_tokens: tokens,
            }),
            response_type: "embeddings_by_type",
        };
        serde_json::to_vec(&response).map(Rendered::Json)
    }
}

#[derive(Deserialize)]
struct RawRerank {
    model: Option<String>,
    query: Option<String>,
    documents: Option<Vec<String>>,
    #[serde(default)]
    top_n: Option<usize>,
}

pub(crate) struct Rerank {
    query: String,
    documents: Vec<String>,
    top_n: usize,
}

impl Rerank {
    pub(super) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let raw: RawRerank = parse_body(body)?;
        require_model(raw.model.as_ref())?;
        let query = raw
            .query
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| invalid("query must not be empty or be only whitespace"))?;
        let documents = raw
            .documents
            .filter(|d| !d.is_empty())
            .ok_or_else(|| invalid("list of documents must not be empty"))?;
        let top_n = raw.top_n.unwrap_or(documents.len());
        Ok(Self {
            query,
            documents,
            top_n,
        })
    }

    pub(super) fn query(&self) -> &str {
        &self.query
    }

    pub(super) fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let mut results: Vec<RerankResult> = self
            .documents
            .iter()
            .zip(0..)
            .map(|(doc, index)| RerankResult {
                index,
                relevance_score: relevance(&self.query, doc),
            })
            .collect();
        results.sort_by(|a, b| {
            b.relevance_score
                .total_cmp(&a.relevance_score)
                .then(a.index.cmp(&b.index))
        });
        results.truncate(self.top_n);
        let response = RerankResponse {
            results,
            id: uuid_like(ctx.hash),
            meta: Meta::new(BilledUnits::Search { search_units: 1 }),
        };
        serde_json::to_vec(&response).map(Rendered::Json)
    }
}

/// The share of the query's words found in the document, in `[0.05, 0.95]`, nudged by a hash of
/// the pair so ties rarely happen. Deterministic.
fn relevance(query: &str, document: &str) -> f64 {
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let query_words = words(query);
    let doc_words = words(document);
    let found = query_words.iter().filter(|w| doc_words.contains(w)).count();
    let overlap = found as f64 / query_words.len().max(1) as f64;
    let jitter = (fnv1a(format!("{query}\u{0}{document}").as_bytes()) % 1000) as f64 / 100_000.0;
    0.05 + 0.9 * overlap - jitter
}

#[derive(Serialize)]
struct EmbedResponse<'a> {
    id: String,
    embeddings: ByType,
    texts: &'a [String],
    meta: Meta,
    response_type: &'static str,
}

#[derive(Serialize)]
struct ByType {
    float: Vec<Vec<f32>>,
}

#[derive(Serialize)]
struct RerankResponse {
    results: Vec<RerankResult>,
    id: String,
    meta: Meta,
}

#[derive(Serialize)]
struct RerankResult {
    index: u32,
    relevance_score: f64,
}

#[derive(Serialize)]
struct Meta {
    api_version: ApiVersion,
    billed_units: BilledUnits,
}

impl Meta {
    fn new(billed_units: BilledUnits) -> Self {
        Self {
            api_version: ApiVersion { version: "2" },
            billed_units,
        }
    }
}

#[derive(Serialize)]
struct ApiVersion {
    version: &'static str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum BilledUnits {
    Input { input_tokens: u64 },
    Search { search_units: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_rewards_shared_words() {
        let close = relevance("capital of France", "Paris is the capital of France.");
        let far = relevance("capital of France", "Bananas are yellow.");
        assert!(close > far);
        assert!((0.0..1.0).contains(&close) && (0.0..1.0).contains(&far));
        assert_eq!(
            close,
            relevance("capital of France", "Paris is the capital of France.")
        );
    }
}
