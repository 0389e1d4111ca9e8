//! Routing: which deployment serves a request, and what to do when it fails.
//!
//! Every `model_list` entry is a deployment of the model group named by its
//! `model_name`; the route table maps requested names (exact or wildcard) to
//! groups. A group selects a deployment for each attempt with a
//! [`Strategy`], skipping deployments that are cooling down or at their
//! limits; the [`Policy`] decides retries, cooldowns and fallbacks from each
//! failure's [`FailureClass`].

mod deployment;
mod health;
mod policy;
mod strategy;
mod table;

pub use deployment::{Deployment, DeploymentSettings, UpstreamModel, derive_id};
pub use health::{GroupLatency, Health, HealthBook, InFlight};
pub use policy::{FailureClass, Fallbacks, Policy};
pub use strategy::Strategy;
pub use table::{ModelGroup, Route, RouteTable, Selected, Unavailable};

#[cfg(test)]
mod tests;
