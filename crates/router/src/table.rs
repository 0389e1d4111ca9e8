//! The route table: which model group a requested model name means.

use std::collections::HashMap;
use std::sync::Arc;

use crate::deployment::Deployment;

/// Every deployment with the same `model_name`.
#[derive(Debug)]
pub struct ModelGroup {
    pub name: String,
    pub deployments: Vec<Arc<Deployment>>,
}

impl ModelGroup {
    /// Picks a deployment: only the lowest `order` tier is eligible, and
    /// within it traffic is split by weight.
    pub fn pick(&self) -> Option<&Arc<Deployment>> {
        match self.deployments.as_slice() {
            [] => None,
            [only] => Some(only),
            all => {
                let tier = all.iter().map(order_of).min()?;
                let eligible = all.iter().filter(|d| order_of(d) == tier);
                weighted_choice(eligible)
            }
        }
    }
}

fn order_of(deployment: &Arc<Deployment>) -> u32 {
    deployment.settings.order.unwrap_or(u32::MAX)
}

fn weighted_choice<'a>(
    candidates: impl Iterator<Item = &'a Arc<Deployment>> + Clone,
) -> Option<&'a Arc<Deployment>> {
    let total: f64 = candidates.clone().map(|d| d.traffic_weight()).sum();
    if total <= 0.0 {
        return candidates.into_iter().next();
    }
    let mut point = fastrand::f64() * total;
    let mut last = None;
    for candidate in candidates {
        point -= candidate.traffic_weight();
        if point < 0.0 {
            return Some(candidate);
        }
        last = Some(candidate);
    }
    // Rounding can leave `point` at zero after the last candidate.
    last
}

/// A wildcard group, `prefix*suffix` (e.g. `openai/*`).
#[derive(Debug)]
struct WildcardGroup {
    prefix: String,
    suffix: String,
    group: ModelGroup,
}

/// A requested model resolved to its group.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    pub group: &'a ModelGroup,
    /// What a wildcard matched (`gpt-4o` of `openai/gpt-4o` for `openai/*`);
    /// empty for an exact name.
    pub captured: &'a str,
}

/// All model groups, exact names first, then wildcards by specificity.
#[derive(Debug, Default)]
pub struct RouteTable {
    exact: HashMap<String, ModelGroup>,
    wildcards: Vec<WildcardGroup>,
}

impl RouteTable {
    /// Groups `deployments` by their group name.
    pub fn new(deployments: Vec<Arc<Deployment>>) -> RouteTable {
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
    pub fn resolve<'a>(&'a self, model: &'a str) -> Option<Route<'a>> {
        if let Some(group) = self.exact.get(model) {
            return Some(Route {
                group,
                captured: "",
            });
        }
        self.wildcards.iter().find_map(|w| {
            let rest = model.strip_prefix(w.prefix.as_str())?;
            let captured = rest.strip_suffix(w.suffix.as_str())?;
            (!captured.is_empty()).then_some(Route {
                group: &w.group,
                captured,
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
}
