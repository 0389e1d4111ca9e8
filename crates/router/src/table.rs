//! The route table: which model group a requested model name means.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::deployment::Deployment;
use crate::health::{GroupLatency, HealthBook, InFlight};
use crate::strategy::Strategy;

/// Every deployment with the same `model_name`.
#[derive(Debug)]
pub struct ModelGroup {
    pub name: String,
    pub deployments: Vec<Arc<Deployment>>,
    /// Recent latencies of the group (hedging).
    pub latency: Arc<GroupLatency>,
}

/// Why a group could not offer a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Every deployment not yet tried is cooling down; the soonest is back
    /// after this long.
    CoolingDown(Duration),
    /// Every deployment not yet tried is at its `rpm`, `tpm` or
    /// `max_parallel_requests`; the minute turns after this long.
    AtCapacity(Duration),
    /// Every deployment was tried already.
    Exhausted,
}

/// A deployment chosen for one attempt, counted in flight until dropped.
#[derive(Debug)]
pub struct Selected {
    pub deployment: Arc<Deployment>,
    _in_flight: InFlight,
}

impl ModelGroup {
    /// Picks a deployment for an attempt with `strategy`: among those not
    /// in `tried`, not cooling down and under their limits, from the lowest
    /// `order` tier that has any.
    pub fn select(
        &self,
        strategy: Strategy,
        tried: &[&str],
        now_ms: i64,
    ) -> Result<Selected, Unavailable> {
        let mut cooling: Option<Duration> = None;
        let mut capacity = false;
        let open: Vec<&Arc<Deployment>> = self
            .deployments
            .iter()
            .filter(|d| !tried.contains(&d.id.as_str()))
            .filter(|d| match d.health.cooldown_left(now_ms) {
                Some(left) => {
                    cooling = Some(cooling.map_or(left, |c| c.min(left)));
                    false
                }
                None => true,
            })
            .filter(|d| {
                let under = under_limits(d, now_ms);
                capacity |= !under;
                under
            })
            .collect();
        let Some(tier) = open.iter().map(|d| order_of(d)).min() else {
            return Err(if capacity {
                let left = 60_000 - now_ms.rem_euclid(60_000);
                Unavailable::AtCapacity(Duration::from_millis(u64::try_from(left).unwrap_or(1_000)))
            } else if let Some(left) = cooling {
                Unavailable::CoolingDown(left)
            } else {
                Unavailable::Exhausted
            });
        };
        let tier: Vec<&Arc<Deployment>> =
            open.into_iter().filter(|d| order_of(d) == tier).collect();
        let chosen = match tier.as_slice() {
            [only] => Some(*only),
            _ => strategy.choose(&tier, now_ms),
        }
        .ok_or(Unavailable::Exhausted)?;
        Ok(Selected {
            deployment: Arc::clone(chosen),
            _in_flight: chosen.health.start(now_ms),
        })
    }

    /// Whether the group has only one deployment (never cooled down).
    pub fn is_single(&self) -> bool {
        self.deployments.len() == 1
    }
}

/// A deployment under its `rpm`, `tpm` and `max_parallel_requests`.
fn under_limits(deployment: &Deployment, now_ms: i64) -> bool {
    let settings = &deployment.settings;
    if settings
        .max_parallel_requests
        .is_some_and(|limit| u64::from(deployment.health.in_flight()) >= limit)
    {
        return false;
    }
    if settings.rpm.is_none() && settings.tpm.is_none() {
        return true;
    }
    let (requests, tokens, _, _) = deployment.health.this_minute(now_ms);
    settings.rpm.is_none_or(|limit| requests < limit)
        && settings.tpm.is_none_or(|limit| tokens < limit)
}

fn order_of(deployment: &Arc<Deployment>) -> u32 {
    deployment.settings.order.unwrap_or(u32::MAX)
}

/// A wildcard group, `prefix*suffix` (e.g. `openai/*`).
#[derive(Debug)]
struct WildcardGroup {
    prefix: String,
    suffix: String,
    group: ModelGroup,
}

/// A requested model resolved to its group.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    pub group: &'a ModelGroup,
    /// What a wildcard matched (`gpt-4o` of `openai/gpt-4o` for `openai/*`);
    /// empty (no allocation) for an exact name.
    pub captured: String,
}

/// All model groups, exact names first, then wildcards by specificity.
#[derive(Debug, Default)]
pub struct RouteTable {
    exact: HashMap<String, ModelGroup>,
    wildcards: Vec<WildcardGroup>,
}

impl RouteTable {
    /// Groups `deployments` by their group name; group latencies come from
    /// (and stay in) `book`.
    pub fn new(deployments: Vec<Arc<Deployment>>, book: &HealthBook) -> RouteTable {
        let mut by_name: Vec<(String, Vec<Arc<Deployment>>)> = Vec::new();
        for deployment in deployments {
            match by_name
                .iter_mut()
                .find(|(name, _)| *name == deployment.group)
            {
                Some((_, list)) => list.push(deployment),
                None => by_name.push((deployment.group.clone(), vec![deployment])),
            }
        }
        let mut table = RouteTable::default();
        for (name, deployments) in by_name {
            let group = ModelGroup {
                latency: book.group(&name),
                name: name.clone(),
                deployments,
            };
            match name.split_once('*') {
                Some((prefix, suffix)) => table.wildcards.push(WildcardGroup {
                    prefix: prefix.to_string(),
                    suffix: suffix.to_string(),
                    group,
                }),
                None => {
                    table.exact.insert(name, group);
                }
            }
        }
        // The most specific pattern wins: longest literal part first.
        table
            .wildcards
            .sort_by_key(|w| std::cmp::Reverse(w.prefix.len() + w.suffix.len()));
        table
    }

    /// The group serving `model`, if any.
    pub fn resolve(&self, model: &str) -> Option<Route<'_>> {
        if let Some(group) = self.exact.get(model) {
            return Some(Route {
                group,
                captured: String::new(),
            });
        }
        self.wildcards.iter().find_map(|w| {
            let rest = model.strip_prefix(w.prefix.as_str())?;
            let captured = rest.strip_suffix(w.suffix.as_str())?;
            (!captured.is_empty()).then(|| Route {
                group: &w.group,
                captured: captured.to_string(),
            })
        })
    }

    /// Every group, exact ones first in name order, then wildcards.
    pub fn groups(&self) -> impl Iterator<Item = &ModelGroup> {
        let mut exact: Vec<&ModelGroup> = self.exact.values().collect();
        exact.sort_by(|a, b| a.name.cmp(&b.name));
        exact
            .into_iter()
            .chain(self.wildcards.iter().map(|w| &w.group))
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.wildcards.is_empty()
    }

    /// The deployment with `id`, in whichever group.
    pub fn deployment(&self, id: &str) -> Option<&Arc<Deployment>> {
        self.groups()
            .flat_map(|g| g.deployments.iter())
            .find(|d| d.id == id)
    }
}
