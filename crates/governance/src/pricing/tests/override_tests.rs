use serde_json::json;

use super::{assert_close, row, usage};
use crate::pricing::{
    Metered, PriceOrigin, PriceOverride, PricingError, Resolved, cost, cost_with, resolve,
    warn_once,
};

fn priced(resolved: &Resolved) -> (&crate::pricing::ModelPrice, PriceOrigin) {
    match resolved {
        Resolved::Priced { price, origin } => (price.as_ref(), *origin),
        Resolved::Unknown => panic!("unknown"),
    }
}

#[test]
fn no_override_is_the_catalog_row() {
    let resolved = resolve("openai", "gpt-4o", None, &PriceOverride::default());
    let (price, origin) = priced(&resolved);
    assert_eq!(origin, PriceOrigin::Catalog);
    assert_eq!(price, row("gpt-4o"));
}

#[test]
fn overrides_beat_the_catalog_field_by_field() {
    let o = PriceOverride {
        input_cost_per_token: Some(1e-6),
        cache_read_input_token_cost: Some(1e-7),
        ..PriceOverride::default()
    };
    let resolved = resolve("openai", "gpt-4o", None, &o);
    let (price, origin) = priced(&resolved);
    assert_eq!(origin, PriceOrigin::CatalogWithOverride);
    assert_eq!(price.input_cost_per_token, 1e-6);
    assert_eq!(price.cache_read_input_token_cost, Some(1e-7));
    assert_eq!(price.output_cost_per_token, 1e-5, "untouched fields stay");
    assert_close(
        cost(price, &usage(1_000, 100)).total,
        1_000.0 * 1e-6 + 100.0 * 1e-5,
    );

    // A negotiated base price drops the list-price long-context tiers.
    let o = PriceOverride {
        input_cost_per_token: Some(2e-6),
        output_cost_per_token: Some(1e-5),
        ..PriceOverride::default()
    };
    let resolved = resolve("anthropic", "claude-sonnet-4-5", None, &o);
    let (price, _) = priced(&resolved);
    assert!(price.tiers.is_empty());
    assert_close(cost(price, &usage(300_000, 0)).total, 300_000.0 * 2e-6);
}

#[test]
fn an_override_prices_a_model_the_catalog_lacks() {
    let o = PriceOverride {
        input_cost_per_token: Some(2e-6),
        output_cost_per_token: Some(4e-6),
        ..PriceOverride::default()
    };
    let resolved = resolve("hosted_vllm", "my-llama", None, &o);
    let (price, origin) = priced(&resolved);
    assert_eq!(origin, PriceOrigin::Override);
    assert_eq!(price.key, "my-llama");
    assert_close(
        cost(price, &usage(1_000, 1_000)).total,
        1_000.0 * 2e-6 + 1_000.0 * 4e-6,
    );
}

#[test]
fn unknown_without_catalog_row_or_override() {
    let resolved = resolve("hosted_vllm", "my-llama", None, &PriceOverride::default());
    assert_eq!(resolved, Resolved::Unknown);
    assert!(resolved.price().is_none());
    // Overrides that cannot be prices are ignored, not turned into zeros.
    let bad = PriceOverride {
        input_cost_per_token: Some(-1.0),
        output_cost_per_token: Some(f64::NAN),
        ..PriceOverride::default()
    };
    assert_eq!(
        resolve("hosted_vllm", "my-llama", None, &bad),
        Resolved::Unknown
    );
}

#[test]
fn azure_deployments_resolve_through_base_model() {
    let none = PriceOverride::default();
    assert_eq!(
        resolve("azure", "prod-chat", None, &none),
        Resolved::Unknown
    );
    let resolved = resolve("azure", "prod-chat", Some("gpt-4o-mini"), &none);
    assert_eq!(priced(&resolved).0.key, "azure/gpt-4o-mini");
    // An unknown base model falls back to the deployment's own name.
    let resolved = resolve("azure", "gpt-4.1", Some("not-a-model"), &none);
    assert_eq!(priced(&resolved).0.key, "azure/gpt-4.1");
}

#[test]
fn per_second_overrides_bill_by_duration() {
    let o = PriceOverride {
        input_cost_per_second: Some(0.01),
        output_cost_per_second: Some(0.002),
        ..PriceOverride::default()
    };
    // Even over a catalog row: the deployment is billed by time only.
    let resolved = resolve("openai", "gpt-4o", None, &o);
    let (price, origin) = priced(&resolved);
    assert_eq!(origin, PriceOrigin::Override);
    let metered = Metered {
        duration_seconds: Some(2.5),
        ..Metered::default()
    };
    let c = cost_with(price, &usage(10_000, 10_000), &metered);
    assert_close(c.time, 2.5 * 0.012);
    assert_close(c.total, 0.03);
    assert!(cost(price, &usage(1, 1)).incomplete);
}

#[test]
fn overrides_from_litellm_params() {
    let params = json!({
        "model": "openai/gpt-4o",
        "api_key": "os.environ/OPENAI_API_KEY",
        "input_cost_per_token": 1e-6,
        "output_cost_per_token": 2e-6,
        "cache_read_input_token_cost": 5e-7,
        "cache_creation_input_token_cost": 1.25e-6,
        "input_cost_per_second": 0,
    });
    let map = params.as_object().unwrap();
    let o = PriceOverride::from_params(map).unwrap();
    assert_eq!(o.input_cost_per_token, Some(1e-6));
    assert_eq!(o.output_cost_per_token, Some(2e-6));
    assert_eq!(o.cache_read_input_token_cost, Some(5e-7));
    assert_eq!(o.cache_creation_input_token_cost, Some(1.25e-6));
    assert_eq!(o.input_cost_per_second, Some(0.0));
    assert_eq!(o.output_cost_per_second, None);
    // serde does the same, for callers that hold the params as a value.
    let via_serde: PriceOverride = serde_json::from_value(params.clone()).unwrap();
    assert_eq!(via_serde, o);

    let bad = json!({"output_cost_per_token": "0.000002"});
    assert_eq!(
        PriceOverride::from_params(bad.as_object().unwrap()),
        Err(PricingError::InvalidOverride(
            "output_cost_per_token".to_string()
        ))
    );
    let negative = json!({"input_cost_per_token": -1e-6});
    assert!(PriceOverride::from_params(negative.as_object().unwrap()).is_err());
    let from_fn = PriceOverride::from_fn(|k| (k == "input_cost_per_token").then_some(3e-6));
    assert_eq!(from_fn.input_cost_per_token, Some(3e-6));
    assert!(!from_fn.is_empty());
    assert!(PriceOverride::default().is_empty());
}

#[test]
fn validate_names_the_bad_key() {
    let o = PriceOverride {
        cache_creation_input_token_cost: Some(f64::INFINITY),
        ..PriceOverride::default()
    };
    assert_eq!(
        o.validate(),
        Err(PricingError::InvalidOverride(
            "cache_creation_input_token_cost".to_string()
        ))
    );
    assert_eq!(PriceOverride::default().validate(), Ok(()));
}

#[test]
fn warn_once_logs_each_model_once() {
    assert!(warn_once("pricing-test-unpriced-model-a"));
    assert!(!warn_once("pricing-test-unpriced-model-a"));
    assert!(warn_once("pricing-test-unpriced-model-b"));
}
