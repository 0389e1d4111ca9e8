//! Tests of the pricing module, one file per concern.

mod catalog_tests;
mod cost_tests;
mod lookup_tests;
mod override_tests;

use switchboard_api::TokenUsage;

use super::ModelPrice;

/// The catalog row for `key`, which a test relies on.
fn row(key: &str) -> &'static ModelPrice {
    match super::catalog::catalog().get(key) {
        Some(price) => price,
        None => panic!("no catalog row {key}"),
    }
}

fn usage(input: u64, output: u64) -> TokenUsage {
    TokenUsage {
        input_tokens: input,
        output_tokens: output,
        ..TokenUsage::default()
    }
}

/// Equal to within floating-point noise (1e-12 relative).
#[track_caller]
fn assert_close(actual: f64, expected: f64) {
    let scale = expected.abs().max(1e-300);
    assert!(
        (actual - expected).abs() / scale <= 1e-12 || actual == expected,
        "{actual} != {expected}"
    );
}
