//! Governance: who may call what, how much, how fast, at what cost.
//!
//! Principals (keys, users, teams, organizations, customers, budgets) live in
//! memory in a [`registry::Registry`]; [`admission`] checks a request against
//! every principal on its path and reserves its estimated cost; settling the
//! admission records the real cost and emits events to persist.

pub mod account;
pub mod admission;
pub mod duration;
pub mod entities;
pub mod pricing;
pub mod registry;
pub mod secret;
pub mod time;

pub use admission::{Admission, Caller, Denial, DenialReason, SpendEvent};
pub use registry::{Entry, Principal, Registry, Table};
