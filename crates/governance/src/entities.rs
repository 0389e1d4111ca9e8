//! The principals of LiteLLM's management API, with LiteLLM's field names:
//! keys, users, teams, organizations, customers (end users named by a
//! request's `user` field) and reusable budgets.
//!
//! These are the stored documents and the admin API's JSON at once. Times
//! are unix milliseconds inside and ISO 8601 on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::iso;

/// The kinds of principal, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Key,
    User,
    Team,
    Organization,
    Customer,
    Budget,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Key => "key",
            Kind::User => "user",
            Kind::Team => "team",
            Kind::Organization => "organization",
            Kind::Customer => "customer",
            Kind::Budget => "budget",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        [
            Kind::Key,
            Kind::User,
            Kind::Team,
            Kind::Organization,
            Kind::Customer,
            Kind::Budget,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// A per-model budget (`model_max_budget`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelBudget {
    pub budget_limit: f64,
    /// `1d`, `30d`, ...; absent: never resets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_period: Option<String>,
}

/// Spend and rate limits, shared by every principal that can carry them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    #[serde(default)]
    pub max_budget: Option<f64>,
    /// Crossing it is reported (alerts), never enforced.
    #[serde(default)]
    pub soft_budget: Option<f64>,
    /// `30s`, `1h`, `1d`, `7d`, `30d`, `1mo`: spend resets this often.
    #[serde(default)]
    pub budget_duration: Option<String>,
    #[serde(default)]
    pub tpm_limit: Option<u64>,
    #[serde(default)]
    pub rpm_limit: Option<u64>,
    #[serde(default)]
    pub max_parallel_requests: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_max_budget: BTreeMap<String, ModelBudget>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_rpm_limit: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_tpm_limit: BTreeMap<String, u64>,
}

/// A virtual key. Only its hash (`token`) is stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// SHA-256 hex of the key: its id.
    pub token: String,
    /// What may be shown of the key: `sk-...abcd`.
    pub key_name: String,
    #[serde(default)]
    pub key_alias: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    /// A shared budget (`/budget/new`) whose limits apply to the key.
    #[serde(default)]
    pub budget_id: Option<String>,
    /// Model groups the key may use; empty means every model its team (or
    /// the proxy) allows. `all-team-models` means exactly the team's.
    #[serde(default)]
    pub models: Vec<String>,
    /// Model names rewritten for this key: `{"gpt-4": "gpt-4o"}`.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(default)]
    pub created_by: Option<String>,
}

/// The roles LiteLLM names for users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Everything.
    ProxyAdmin,
    /// Reads everything, changes nothing.
    ProxyAdminViewer,
    /// Manages its own keys and reads its own data.
    #[default]
    InternalUser,
    /// Reads its own data.
    InternalUserViewer,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub user_alias: Option<String>,
    #[serde(default)]
    pub user_role: UserRole,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// A team member and its role in the team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_email: Option<String>,
    /// `admin` manages the team's keys and members; `user` uses the team.
    #[serde(default = "member_role")]
    pub role: String,
}

fn member_role() -> String {
    "user".into()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub team_id: String,
    #[serde(default)]
    pub team_alias: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub members_with_roles: Vec<Member>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

impl Team {
    /// Whether `user_id` is an admin member of the team.
    pub fn is_admin(&self, user_id: &str) -> bool {
        self.members_with_roles
            .iter()
            .any(|m| m.user_id.as_deref() == Some(user_id) && m.role == "admin")
    }

    pub fn has_member(&self, user_id: &str) -> bool {
        self.members_with_roles
            .iter()
            .any(|m| m.user_id.as_deref() == Some(user_id))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub organization_id: String,
    #[serde(default)]
    pub organization_alias: Option<String>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// An end customer of the application, named by a request's `user` field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub user_id: String,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default)]
    pub budget_id: Option<String>,
    #[serde(default)]
    pub allowed_model_region: Option<String>,
    #[serde(default)]
    pub default_model: Option<String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// A named set of limits that keys and customers can share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub budget_id: String,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, with = "iso", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// Model lists: `*` and LiteLLM's `all-proxy-models` allow everything.
pub fn allows_model(models: &[String], model: &str) -> bool {
    models.is_empty()
        || models.iter().any(|allowed| {
            allowed == model
                || allowed == "*"
                || allowed == "all-proxy-models"
                || allowed
                    .strip_suffix('*')
                    .is_some_and(|prefix| model.starts_with(prefix))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_json_uses_litellm_names_and_iso_times() {
        let key = Key {
            token: "abc".into(),
            key_name: "sk-...1234".into(),
            models: vec!["gpt".into()],
            limits: Limits {
                max_budget: Some(10.0),
                rpm_limit: Some(5),
                ..Limits::default()
            },
            expires: Some(1_795_305_600_000),
            ..Key::default()
        };
        let json = serde_json::to_value(&key).unwrap();
        assert_eq!(json["max_budget"], 10.0);
        assert_eq!(json["rpm_limit"], 5);
        assert_eq!(json["expires"], "2026-11-22T00:00:00.000Z");
        let back: Key = serde_json::from_value(json).unwrap();
        assert_eq!(back, key);
    }

    #[test]
    fn model_lists() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(allows_model(&[], "x"));
        assert!(allows_model(&list(&["a", "b"]), "b"));
        assert!(!allows_model(&list(&["a"]), "b"));
        assert!(allows_model(&list(&["all-proxy-models"]), "b"));
        assert!(allows_model(&list(&["openai/*"]), "openai/gpt-4o"));
        assert!(!allows_model(&list(&["openai/*"]), "anthropic/claude"));
    }

    #[test]
    fn team_roles() {
        let team: Team = serde_json::from_value(serde_json::json!({
            "team_id": "t",
            "members_with_roles": [{"user_id": "a", "role": "admin"}, {"user_id": "b"}]
        }))
        .unwrap();
        assert!(team.is_admin("a"));
        assert!(!team.is_admin("b"));
        assert!(team.has_member("b"));
    }
}
