//! Golden tests of the Bedrock translations: each case holds an input and
//! the exact expected output, inline.

mod embeddings;
mod request;
mod response;
mod stream;

use serde::Serialize;
use serde_json::Value;

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
