//! Golden tests of the Anthropic ⇄ OpenAI conversions.
//!
//! Fixtures live in `crates/api/tests/golden/anthropic/<direction>/<kind>/`
//! as pairs: `<case>.openai.*` and `<case>.anthropic.*`, one the input and
//! the other the expected output. JSON is compared as values (key order
//! aside, exact: a field present as `null` differs from an absent one);
//! Anthropic SSE output is compared byte for byte.

mod anthropic_front;
mod openai_front;
mod round_trip;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::sse::{EventSplitter, data_range, event_name};

/// The text of a fixture under `tests/golden/anthropic/`.
/// The parts are concatenated, so a test macro can build the path from
/// its case name with `stringify!`.
macro_rules! golden {
    ($($part:expr),+ $(,)?) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/anthropic/",
            $($part),+
        ))
    };
}
pub(super) use golden;

pub(super) fn parse<T: DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("fixture does not parse: {error}"))
}

/// Asserts that `actual` serializes to the JSON of `expected`.
#[track_caller]
pub(super) fn assert_json(actual: &impl Serialize, expected: &str) {
    let actual = serde_json::to_value(actual).unwrap();
    let expected: Value = parse(expected);
    assert!(
        actual == expected,
        "actual:\n{}\nexpected:\n{}",
        serde_json::to_string_pretty(&actual).unwrap(),
        serde_json::to_string_pretty(&expected).unwrap()
    );
}

/// The events of an SSE text as (event name, data) pairs; a missing
/// `event:` line gives an empty name.
pub(super) fn sse_events(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut splitter = EventSplitter::new();
    let mut events = Vec::new();
    splitter.push(Bytes::copy_from_slice(text.as_bytes()), |event| {
        let name = event_name(&event).unwrap_or_default();
        let name = String::from_utf8(name.to_vec()).unwrap();
        let data = data_range(&event).map(|range| event[range].to_vec());
        events.push((name, data.expect("every fixture event has data")));
    });
    assert!(splitter.finish().is_none(), "fixture ends mid-event");
    events
}
