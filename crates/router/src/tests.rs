use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;
use switchboard_providers::{Adapter, Endpoint, ProviderError, StreamUsage};

use super::*;

const NOW: i64 = 1_800_000_000_000;

#[derive(Debug)]
struct NoAdapter;

impl Adapter for NoAdapter {
    fn provider(&self) -> &str {
        "test"
    }
    fn stream_usage(&self) -> StreamUsage {
        StreamUsage::StreamOptions
    }
    fn wire(&self) -> Wire {
        Wire::OpenAi
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
        health: Arc::new(Health::default()),
    })
}

fn weighted(w: f64) -> DeploymentSettings {
    DeploymentSettings {
        weight: Some(w),
        ..Default::default()
    }
}

fn pick(group: &ModelGroup, strategy: Strategy) -> String {
    group
        .select(strategy, &[], NOW)
        .unwrap()
        .deployment
        .id
        .clone()
}

#[test]
fn exact_names_win_over_wildcards_and_specific_wildcards_win() {
    let table = RouteTable::new(
        vec![
            deployment("a", "openai/*", "*", Default::default()),
            deployment("b", "openai/gpt-4o", "gpt-4o", Default::default()),
            deployment("c", "openai/gpt-*", "gpt-*", Default::default()),
            deployment("d", "*", "*", Default::default()),
        ],
        &HealthBook::default(),
    );
    let route = table.resolve("openai/gpt-4o").unwrap();
    assert_eq!(
        (route.group.name.as_str(), route.captured.as_str()),
        ("openai/gpt-4o", "")
    );
    let route = table.resolve("openai/gpt-5").unwrap();
    assert_eq!(
        (route.group.name.as_str(), route.captured.as_str()),
        ("openai/gpt-*", "5")
    );
    let route = table.resolve("openai/o3").unwrap();
    assert_eq!(
        (route.group.name.as_str(), route.captured.as_str()),
        ("openai/*", "o3")
    );
    let route = table.resolve("groq/llama").unwrap();
    assert_eq!(route.group.name, "*");
    let selected = route.group.select(Strategy::default(), &[], NOW).unwrap();
    assert_eq!(
        selected.deployment.upstream_model_for(&route.captured),
        "groq/llama"
    );
}

#[test]
fn unknown_model_has_no_route() {
    let table = RouteTable::new(
        vec![deployment("a", "openai/*", "*", Default::default())],
        &HealthBook::default(),
    );
    assert!(table.resolve("gpt-4o").is_none());
    assert!(table.resolve("openai/").is_none());
}

#[test]
fn every_strategy_splits_equal_deployments_by_weight() {
    let table = RouteTable::new(
        vec![
            deployment("heavy", "g", "m", weighted(3.0)),
            deployment("light", "g", "m", weighted(1.0)),
        ],
        &HealthBook::default(),
    );
    let group = table.resolve("g").unwrap().group;
    for strategy in [
        Strategy::SimpleShuffle,
        Strategy::LeastBusy,
        Strategy::LatencyBased,
        Strategy::Adaptive,
        Strategy::CostBased,
    ] {
        let n = 20_000;
        let heavy = (0..n).filter(|_| pick(group, strategy) == "heavy").count();
        let share = heavy as f64 / n as f64;
        // Expected 0.75; 20k draws put 5 standard deviations at about ±0.015.
        assert!((share - 0.75).abs() < 0.02, "{strategy:?}: share {share}");
    }
}

#[test]
fn least_busy_and_latency_prefer_the_better_deployment() {
    let table = RouteTable::new(
        vec![
            deployment("a", "g", "m", Default::default()),
            deployment("b", "g", "m", Default::default()),
        ],
        &HealthBook::default(),
    );
    let group = table.resolve("g").unwrap().group;
    let busy = group.deployments[0].health.start(NOW);
    for _ in 0..50 {
        assert_eq!(pick(group, Strategy::LeastBusy), "b");
    }
    drop(busy);
    group.deployments[0]
        .health
        .succeeded(Duration::from_millis(500), 0, NOW);
    group.deployments[1]
        .health
        .succeeded(Duration::from_millis(50), 0, NOW);
    for _ in 0..50 {
        assert_eq!(pick(group, Strategy::LatencyBased), "b");
    }
    // Adaptive draws two and keeps the better: with two deployments, the
    // faster one wins every time.
    for _ in 0..50 {
        assert_eq!(pick(group, Strategy::Adaptive), "b");
    }
}

#[test]
fn tiers_fail_over_when_the_lower_tier_is_cooling_down_or_tried() {
    let ordered = |o: u32| DeploymentSettings {
        order: Some(o),
        ..Default::default()
    };
    let table = RouteTable::new(
        vec![
            deployment("backup", "g", "m", ordered(2)),
            deployment("primary", "g", "m", ordered(1)),
            deployment("unordered", "g", "m", Default::default()),
        ],
        &HealthBook::default(),
    );
    let group = table.resolve("g").unwrap().group;
    for _ in 0..100 {
        assert_eq!(pick(group, Strategy::default()), "primary");
    }
    let chosen = group
        .select(Strategy::default(), &["primary"], NOW)
        .unwrap();
    assert_eq!(chosen.deployment.id, "backup");
    group.deployments[1].health.cool_down(NOW + 1_000);
    assert_eq!(pick(group, Strategy::default()), "backup");
    group.deployments[0].health.cool_down(NOW + 500);
    assert_eq!(pick(group, Strategy::default()), "unordered");
    group.deployments[2].health.cool_down(NOW + 2_000);
    assert_eq!(
        group.select(Strategy::default(), &[], NOW).unwrap_err(),
        Unavailable::CoolingDown(Duration::from_millis(500))
    );
    assert_eq!(
        group
            .select(
                Strategy::default(),
                &["backup", "primary", "unordered"],
                NOW
            )
            .unwrap_err(),
        Unavailable::Exhausted
    );
}

#[test]
fn limits_take_deployments_out_of_the_pick() {
    let table = RouteTable::new(
        vec![
            deployment(
                "small",
                "g",
                "m",
                DeploymentSettings {
                    rpm: Some(2),
                    order: Some(1),
                    ..Default::default()
                },
            ),
            deployment(
                "one-at-a-time",
                "g",
                "m",
                DeploymentSettings {
                    max_parallel_requests: Some(1),
                    order: Some(9),
                    ..Default::default()
                },
            ),
        ],
        &HealthBook::default(),
    );
    let group = table.resolve("g").unwrap().group;
    let a = group.select(Strategy::default(), &[], NOW).unwrap();
    let b = group.select(Strategy::default(), &[], NOW).unwrap();
    assert_eq!(
        (a.deployment.id.as_str(), b.deployment.id.as_str()),
        ("small", "small")
    );
    // `small` spent its rpm: the next tier takes over, one at a time.
    let c = group.select(Strategy::default(), &[], NOW).unwrap();
    assert_eq!(c.deployment.id, "one-at-a-time");
    assert!(matches!(
        group.select(Strategy::default(), &[], NOW),
        Err(Unavailable::AtCapacity(_))
    ));
    drop(c);
    assert_eq!(pick(group, Strategy::default()), "one-at-a-time");
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
    assert_eq!(
        Strategy::parse("usage-based-routing-v2"),
        Some(Strategy::UsageBased)
    );
    assert_eq!(Strategy::parse("nonsense"), None);
}
