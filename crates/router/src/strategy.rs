//! Load-balancing strategies (LiteLLM's `routing_strategy`), as small
//! interchangeable scorers over the eligible deployments of a group.
//!
//! Every strategy divides its measure by the deployment's weight, so among
//! deployments that are equally healthy and fast, traffic splits by weight:
//! a LiteLLM config with weights and no strategy behaves as its author
//! expects whatever the default strategy is.

use std::sync::Arc;

use crate::deployment::Deployment;

/// How a group picks among its eligible deployments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Random, weighted by `weight` (else `rpm`, else `tpm`).
    SimpleShuffle,
    /// Fewest requests in flight.
    LeastBusy,
    /// Lowest moving-average time to first byte.
    LatencyBased,
    /// Most headroom against `rpm`/`tpm` this minute.
    UsageBased,
    /// Cheapest per token.
    CostBased,
    /// switchboard's default: power of two choices over in-flight requests,
    /// latency and recent failures.
    #[default]
    Adaptive,
}

impl Strategy {
    /// LiteLLM's names; `None` for an unknown one.
    pub fn parse(name: &str) -> Option<Strategy> {
        Some(match name {
            "simple-shuffle" => Strategy::SimpleShuffle,
            "least-busy" => Strategy::LeastBusy,
            "latency-based-routing" => Strategy::LatencyBased,
            "usage-based-routing" | "usage-based-routing-v2" => Strategy::UsageBased,
            "cost-based-routing" => Strategy::CostBased,
            "adaptive" => Strategy::Adaptive,
            _ => return None,
        })
    }

    /// The strategy's config name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::SimpleShuffle => "simple-shuffle",
            Strategy::LeastBusy => "least-busy",
            Strategy::LatencyBased => "latency-based-routing",
            Strategy::UsageBased => "usage-based-routing",
            Strategy::CostBased => "cost-based-routing",
            Strategy::Adaptive => "adaptive",
        }
    }

    /// Chooses one of `candidates` (non-empty).
    pub fn choose<'a>(
        self,
        candidates: &[&'a Arc<Deployment>],
        now_ms: i64,
    ) -> Option<&'a Arc<Deployment>> {
        match self {
            Strategy::SimpleShuffle => weighted_choice(candidates),
            Strategy::LeastBusy => lowest(candidates, |d| f64::from(d.health.in_flight())),
            Strategy::LatencyBased => lowest(candidates, latency_score),
            Strategy::UsageBased => lowest(candidates, |d| usage_score(d, now_ms)),
            Strategy::CostBased => {
                // Cost is not weighted: cheapest first, ties by weight.
                let cheapest = candidates
                    .iter()
                    .map(|d| d.settings.price_hint.unwrap_or(f64::MAX))
                    .fold(f64::MAX, f64::min);
                let tied: Vec<&'a Arc<Deployment>> = candidates
                    .iter()
                    .copied()
                    .filter(|d| d.settings.price_hint.unwrap_or(f64::MAX) <= cheapest)
                    .collect();
                weighted_choice(&tied)
            }
            Strategy::Adaptive => adaptive(candidates, now_ms),
        }
    }
}

/// Seconds of latency, a deployment without samples counting as fast (so
/// new deployments get traffic and are measured).
fn latency_score(deployment: &Deployment) -> f64 {
    deployment.health.latency().map_or(0.0, |l| l.as_secs_f64())
}

/// The larger of the rpm and tpm shares used this minute (requests this
/// minute when the deployment has no limits).
fn usage_score(deployment: &Deployment, now_ms: i64) -> f64 {
    let (requests, tokens, _, _) = deployment.health.this_minute(now_ms);
    let share = |used: u64, limit: Option<u64>| limit.map(|l| used as f64 / l.max(1) as f64);
    match (
        share(requests, deployment.settings.rpm),
        share(tokens, deployment.settings.tpm),
    ) {
        (None, None) => requests as f64,
        (a, b) => a.unwrap_or(0.0).max(b.unwrap_or(0.0)),
    }
}

/// The candidate with the lowest `measure / weight`; ties split by weight.
fn lowest<'a>(
    candidates: &[&'a Arc<Deployment>],
    measure: impl Fn(&Deployment) -> f64,
) -> Option<&'a Arc<Deployment>> {
    let score = |d: &Deployment| measure(d) / d.traffic_weight().max(f64::MIN_POSITIVE);
    let best = candidates
        .iter()
        .map(|d| score(d))
        .fold(f64::INFINITY, f64::min);
    let tied: Vec<&'a Arc<Deployment>> = candidates
        .iter()
        .copied()
        .filter(|d| score(d) <= best * (1.0 + 1e-9))
        .collect();
    weighted_choice(&tied)
}

/// Power of two choices: two candidates drawn by weight, the better one
/// wins. Scoring two rather than all keeps every pick cheap and avoids the
/// herd effect of always choosing the single best.
fn adaptive<'a>(candidates: &[&'a Arc<Deployment>], now_ms: i64) -> Option<&'a Arc<Deployment>> {
    let first = weighted_choice(candidates)?;
    let others: Vec<&'a Arc<Deployment>> = candidates
        .iter()
        .copied()
        .filter(|d| !Arc::ptr_eq(d, first))
        .collect();
    let Some(second) = weighted_choice(&others) else {
        return Some(first);
    };
    let score = |d: &Deployment| {
        let (_, _, failures, successes) = d.health.this_minute(now_ms);
        let failure_rate = f64::from(failures) / f64::from(failures + successes).max(1.0);
        // A deployment without samples is assumed to be as fast as 50 ms.
        let latency = d.health.latency().map_or(0.05, |l| l.as_secs_f64());
        // Load counts per unit of weight, so a heavier deployment takes
        // more concurrent requests; an idle pair ties on load and the
        // weighted draw decides, which keeps the idle split by weight.
        let load = f64::from(d.health.in_flight()) / d.traffic_weight().max(f64::MIN_POSITIVE);
        (load + 1.0) * latency * (1.0 + 4.0 * failure_rate)
    };
    let (a, b) = (score(first), score(second));
    if (a - b).abs() <= a.max(b) * 1e-9 {
        // Equal: the draw above already followed the weights.
        Some(first)
    } else if a < b {
        Some(first)
    } else {
        Some(second)
    }
}

/// A random candidate, weighted by traffic weight.
pub(crate) fn weighted_choice<'a>(
    candidates: &[&'a Arc<Deployment>],
) -> Option<&'a Arc<Deployment>> {
    let total: f64 = candidates.iter().map(|d| d.traffic_weight()).sum();
    if total <= 0.0 {
        return candidates.first().copied();
    }
    let mut point = fastrand::f64() * total;
    for candidate in candidates {
        point -= candidate.traffic_weight();
        if point < 0.0 {
            return Some(candidate);
        }
    }
    // Rounding can leave `point` at zero after the last candidate.
    candidates.last().copied()
}
