use std::borrow::Cow;
use std::sync::Arc;

use switchboard_api::openai::Operation;
use switchboard_providers::{Adapter, Endpoint, ProviderError, StreamUsage};

use super::*;

#[derive(Debug)]
struct NoAdapter;

impl Adapter for NoAdapter {
    fn provider(&self) -> &str {
        "test"
    }
    fn stream_usage(&self) -> StreamUsage {
        StreamUsage::StreamOptions
    }
    fn wire(&self) -> switchboard_api::codec::Wire {
        switchboard_api::codec::Wire::OpenAi
    }
    fn endpoint(&self, _: Operation, _: &str, _: bool) -> Result<Cow<'_, Endpoint>, ProviderError> {
        Err(ProviderError::UnknownProvider("test".into()))
    }
}

fn deployment(id: &str, group: &str, model: &str, settings: DeploymentSettings) -> Arc<Deployment> {
    Arc::new(Deployment {
        id: id.into(),
        group: group.into(),
        upstream_model: UpstreamModel::parse(model),
        adapter: Arc::new(NoAdapter),
        settings,
    })
}

#[test]
fn exact_names_win_over_wildcards_and_specific_wildcards_win() {
    let table = RouteTable::new(vec![
        deployment("a", "openai/*", "*", Default::default()),
        deployment("b", "openai/gpt-4o", "gpt-4o", Default::default()),
        deployment("c", "openai/gpt-*", "gpt-*", Default::default()),
        deployment("d", "*", "*", Default::default()),
    ]);
    let route = table.resolve("openai/gpt-4o").unwrap();
    assert_eq!(
        (route.group.name.as_str(), route.captured),
        ("openai/gpt-4o", "")
    );
    let route = table.resolve("openai/gpt-5").unwrap();
    assert_eq!(
        (route.group.name.as_str(), route.captured),
        ("openai/gpt-*", "5")
    );
    let route = table.resolve("openai/o3").unwrap();
    assert_eq!(
        (route.group.name.as_str(), route.captured),
        ("openai/*", "o3")
    );
    let route = table.resolve("groq/llama").unwrap();
    assert_eq!(route.group.name, "*");
    let d = route.group.pick().unwrap();
    assert_eq!(d.upstream_model_for(route.captured), "groq/llama");
}

#[test]
fn unknown_model_has_no_route() {
    let table = RouteTable::new(vec![deployment("a", "openai/*", "*", Default::default())]);
    assert!(table.resolve("gpt-4o").is_none());
    assert!(table.resolve("openai/").is_none());
}

#[test]
fn weights_split_traffic() {
    let weighted = |w: f64| DeploymentSettings {
        weight: Some(w),
        ..Default::default()
    };
    let table = RouteTable::new(vec![
        deployment("heavy", "g", "m", weighted(3.0)),
        deployment("light", "g", "m", weighted(1.0)),
    ]);
    let group = table.resolve("g").unwrap().group;
    let n = 20_000;
    let heavy = (0..n)
        .filter(|_| group.pick().unwrap().id == "heavy")
        .count();
    let share = heavy as f64 / n as f64;
    // Expected 0.75; 20k draws put 5 standard deviations at about ±0.015.
    assert!((share - 0.75).abs() < 0.02, "share {share}");
}

#[test]
fn lowest_order_tier_only() {
    let ordered = |o: u32| DeploymentSettings {
        order: Some(o),
        ..Default::default()
    };
    let table = RouteTable::new(vec![
        deployment("backup", "g", "m", ordered(2)),
        deployment("primary", "g", "m", ordered(1)),
        deployment("unordered", "g", "m", Default::default()),
    ]);
    let group = table.resolve("g").unwrap().group;
    for _ in 0..100 {
        assert_eq!(group.pick().unwrap().id, "primary");
    }
}

#[test]
fn rpm_is_the_weight_when_weight_is_absent() {
    let d = deployment(
        "a",
        "g",
        "m",
        DeploymentSettings {
            rpm: Some(600),
            ..Default::default()
        },
    );
    assert_eq!(d.traffic_weight(), 600.0);
}
