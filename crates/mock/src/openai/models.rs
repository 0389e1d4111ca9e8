//! `GET /v1/models` and `GET /v1/models/{id}`.

use serde::Serialize;

/// The models the mock lists. Any other id is still accepted everywhere.
const MODEL_IDS: [&str; 3] = ["mock-gpt", "mock-gpt-mini", "mock-embed"];
/// A fixed date, so model listings are byte-identical across runs.
const CREATED: u64 = 1_700_000_000;
const OWNER: &str = "switchboard-mock";

#[derive(Serialize)]
struct Model<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    owned_by: &'static str,
}

impl<'a> Model<'a> {
    fn new(id: &'a str) -> Self {
        Self {
            id,
            object: "model",
            created: CREATED,
            owned_by: OWNER,
        }
    }
}

#[derive(Serialize)]
struct ModelList<'a> {
    object: &'static str,
    data: Vec<Model<'a>>,
}

pub(crate) fn list() -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&ModelList {
        object: "list",
        data: MODEL_IDS.iter().map(|id| Model::new(id)).collect(),
    })
}

/// Any id is echoed back as a model the mock owns.
pub(crate) fn get(id: &str) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&Model::new(id))
}
