//! Golden tests of the Gemini conversions. Large cases live as JSON files in
//! `crates/api/tests/golden/gemini/`, each holding an input and the exact
//! expected output.

mod request_a;
mod request_b;
mod response_a;
mod response_b;
mod stream_a;
mod stream_b;

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

/// A golden file, parsed.
fn golden(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/gemini")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("parsing {}: {error}", path.display()))
}

/// Asserts that `actual` serializes to exactly `expected`, showing both
/// pretty-printed on failure.
#[track_caller]
fn assert_json(actual: &impl Serialize, expected: &Value) {
    let actual = serde_json::to_value(actual).unwrap();
    assert!(
        actual == *expected,
        "JSON differs\n--- actual ---\n{}\n--- expected ---\n{}",
        serde_json::to_string_pretty(&actual).unwrap(),
        serde_json::to_string_pretty(expected).unwrap()
    );
}

/// Deserializes a golden value into a typed input.
fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap()
}
