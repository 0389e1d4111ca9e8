//! Golden tests of the Cohere conversions. Cases live in
//! `crates/api/tests/golden/cohere/`, each file holding an input and the
//! exact expected output; JSON is compared as values.

mod embed_rerank;
mod request;
mod response;
mod stream;

use serde::Serialize;
use serde_json::Value;

/// A golden case, parsed.
fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/cohere/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Asserts that `actual` serializes to exactly `expected`.
#[track_caller]
fn assert_json(actual: &impl Serialize, expected: &Value) {
    let actual = serde_json::to_value(actual).unwrap();
    assert!(
        actual == *expected,
        "actual:\n{}\nexpected:\n{}",
        serde_json::to_string_pretty(&actual).unwrap(),
        serde_json::to_string_pretty(expected).unwrap()
    );
}
