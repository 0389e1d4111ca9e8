//! Every catalog row, built as a deployment would be: the chat URL is the
//! row's base URL (or the given `api_base`) plus `/chat/completions`, and
//! the key from each of the row's variables goes out in the row's header.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use serde_json::Value;
use switchboard_api::openai::Operation;
use switchboard_providers::catalog::{CatalogEntry, catalog};
use switchboard_providers::{
    Adapter, AuthStyle, BuildContext, DeploymentParams, build_adapter, provider_names,
};

/// A base for rows that have none (the user's `api_base`).
const GIVEN_BASE: &str = "https://gateway.example.test/v1";

fn build(
    entry: &CatalogEntry,
    api_key: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> std::sync::Arc<dyn Adapter> {
    let extra: BTreeMap<String, Value> = BTreeMap::new();
    let params = DeploymentParams {
        provider: &entry.name,
        api_base: entry.base_url.is_none().then_some(GIVEN_BASE),
        api_key,
        api_version: None,
        upstream_model: Some("some-model"),
        extra: &extra,
    };
    let context = BuildContext {
        env,
        mock_base_url: None,
    };
    build_adapter(params, &context).unwrap_or_else(|e| panic!("{}: {e}", entry.name))
}

/// The header carrying `key` in the row's auth style, if it sends one.
fn auth_header(auth: AuthStyle, key: &str) -> Option<(&'static str, String)> {
    match auth {
        AuthStyle::Bearer => Some(("authorization", format!("Bearer {key}"))),
        AuthStyle::ApiKey => Some(("api-key", key.to_string())),
        AuthStyle::XApiKey => Some(("x-api-key", key.to_string())),
        AuthStyle::XGoogApiKey => Some(("x-goog-api-key", key.to_string())),
        AuthStyle::None => None,
    }
}

fn check(entry: &CatalogEntry, adapter: &dyn Adapter, key: &str) {
    let name = &entry.name;
    assert_eq!(adapter.provider(), name.as_str());
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "some-model", false)
        .unwrap();
    let base = entry.base_url.as_deref().unwrap_or(GIVEN_BASE);
    assert_eq!(
        endpoint.uri.to_string(),
        format!("{base}/chat/completions"),
        "{name}"
    );
    match auth_header(entry.auth, key) {
        Some((header, value)) => assert_eq!(endpoint.headers[header], value.as_str(), "{name}"),
        None => assert!(!endpoint.headers.contains_key("authorization"), "{name}"),
    }
}

#[test]
fn every_row_gives_its_url_and_auth_header() {
    let rows = catalog();
    assert!(rows.len() >= 90, "{} rows", rows.len());
    for entry in rows {
        // The key from each of the row's variables, one at a time.
        for variable in &entry.key_env {
            let key = format!("key-for-{variable}");
            let env = |name: &str| (name == variable).then(|| key.clone());
            let adapter = build(entry, None, &env);
            check(entry, adapter.as_ref(), &key);
        }
        // A deployment's own `api_key`, for rows without variables too.
        let adapter = build(entry, Some("deployment-key"), &|_| None);
        check(entry, adapter.as_ref(), "deployment-key");
    }
}

#[test]
fn rows_without_a_default_url_need_one() {
    let extra: BTreeMap<String, Value> = BTreeMap::new();
    for entry in catalog().iter().filter(|e| e.base_url.is_none()) {
        let params = DeploymentParams {
            provider: &entry.name,
            api_base: None,
            api_key: Some("k"),
            api_version: None,
            upstream_model: Some("m"),
            extra: &extra,
        };
        let context = BuildContext {
            env: &|_| None,
            mock_base_url: None,
        };
        assert!(build_adapter(params, &context).is_err(), "{}", entry.name);
    }
}

#[test]
fn provider_list_names_every_row_and_at_least_100_providers() {
    let names = provider_names();
    assert!(names.len() >= 100, "{} providers", names.len());
    for entry in catalog() {
        assert!(
            names.iter().any(|(name, _)| *name == entry.name),
            "{} is not listed",
            entry.name
        );
    }
    assert!(names.iter().any(|(name, _)| name == "cohere"));
}
