//! Routing: which deployment serves a request.
//!
//! Every `model_list` entry is a deployment of the model group named by its
//! `model_name`; the route table maps requested names (exact or wildcard) to
//! groups, and a group picks one of its deployments.

mod deployment;
mod table;

pub use deployment::{Deployment, DeploymentSettings, UpstreamModel, derive_id};
pub use table::{ModelGroup, Route, RouteTable};

#[cfg(test)]
mod tests;
