//! Golden tests of the Responses ⇄ chat conversions, and of the codec.
//!
//! Fixtures live in `crates/api/tests/golden/responses/<kind>/` as pairs:
//! `<case>.responses.*` and `<case>.openai.*` (chat), one the input and the
//! other the expected output. JSON is compared as values; SSE byte for
//! byte. `SWITCHBOARD_UPDATE_GOLDEN=1 cargo test` rewrites the expected
//! files from the actual output (review the diff before keeping it).

mod codec;
mod request;
mod response;
mod stream;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The text and path of a fixture under `tests/golden/responses/`; the
/// parts are concatenated, so a test macro can build it with `stringify!`.
macro_rules! golden {
    ($($part:expr),+ $(,)?) => {
        (
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/golden/responses/",
                $($part),+
            )),
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/responses/", $($part),+),
        )
    };
}
pub(super) use golden;

fn updating() -> bool {
    std::env::var_os("SWITCHBOARD_UPDATE_GOLDEN").is_some()
}

pub(super) fn parse<T: DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("fixture does not parse: {error}"))
}

/// Asserts that `actual` serializes to the JSON of the `expected` fixture.
#[track_caller]
pub(super) fn assert_json(actual: &impl Serialize, (expected, path): (&str, &str)) {
    let actual = serde_json::to_value(actual).unwrap();
    if updating() {
        let text = serde_json::to_string_pretty(&actual).unwrap();
        std::fs::write(path, text + "\n").unwrap();
        return;
    }
    let expected: Value = parse(expected);
    assert!(
        actual == expected,
        "{path}\nactual:\n{}\nexpected:\n{}",
        serde_json::to_string_pretty(&actual).unwrap(),
        serde_json::to_string_pretty(&expected).unwrap()
    );
}

/// Asserts that `actual` is the `expected` fixture's text.
#[track_caller]
pub(super) fn assert_text(actual: &str, (expected, path): (&str, &str)) {
    if updating() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    assert_eq!(actual, expected, "{path}");
}
