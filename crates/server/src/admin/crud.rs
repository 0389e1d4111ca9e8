//! What the `/team`, `/user`, `/customer`, `/organization` and `/budget`
//! APIs share: create, update, delete, info, list, block, each checking the
//! caller's role, persisting with an audit entry, and answering with the
//! document and its spend.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use switchboard_governance::entities::{Budget, Customer, Organization, Team, User};
use switchboard_governance::{Entry, duration, time};

use crate::admin::{
    Admin, bad_request, forbidden, merge, not_found, string_field, string_list, with_spend,
};
use crate::failure::Failure;
use crate::principals::Stored;

/// How one kind of principal appears in the API.
pub trait Managed: Stored {
    /// The field naming one (`team_id`, `user_id`, ...).
    const ID: &'static str;
    /// The field of `/delete`, `/block` listing several (`team_ids`, ...).
    const IDS: &'static str;
    /// The singular in messages.
    const NOUN: &'static str;

    /// A new document with this id.
    fn create(id: String, now: i64) -> Self;

    /// Checks that types cannot: references exist, durations parse.
    fn check(&self, admin: &Admin) -> Result<(), Failure> {
        let _ = admin;
        check_limits(self)
    }
}

fn check_limits<T: Stored>(doc: &T) -> Result<(), Failure> {
    let limits = doc.limits();
    if let Some(period) = &limits.budget_duration
        && duration::parse(period).is_none()
    {
        return Err(bad_request(format!(
            "`budget_duration` `{period}` is not a duration like 30s, 1h, 7d, 30d"
        )));
    }
    for (model, budget) in &limits.model_max_budget {
        if let Some(period) = &budget.time_period
            && duration::parse(period).is_none()
        {
            return Err(bad_request(format!(
                "`model_max_budget.{model}.time_period` `{period}` is not a duration"
            )));
        }
    }
    Ok(())
}

/// Fields no request sets directly.
const PROTECTED: &[&str] = &["spend", "created_at", "updated_at", "budget_reset_at"];

/// A new id when the request names none: a UUID.
fn new_id(body: &Map<String, Value>, field: &str) -> String {
    string_field(body, field).unwrap_or_else(crate::context::uuid_text)
}

/// Creates a principal (proxy admins only).
pub async fn create<T: Managed>(
    admin: &Admin,
    body: &Map<String, Value>,
) -> Result<Value, Failure> {
    if !admin.is_admin() {
        return Err(forbidden(format!(
            "only a proxy admin can create a {}",
            T::NOUN
        )));
    }
    let id = new_id(body, T::ID);
    if T::table(&admin.state.registry).get(&id).is_some() {
        return Err(bad_request(format!("{} `{id}` already exists", T::NOUN)));
    }
    let doc = merge(&T::create(id, time::now_ms()), body, PROTECTED)?;
    doc.check(admin)?;
    let entry = admin.save(doc, "created", None).await?;
    Ok(with_spend(&entry))
}

/// The principal a request names by its id field.
pub fn named<T: Managed>(
    admin: &Admin,
    body: &Map<String, Value>,
) -> Result<Arc<Entry<T>>, Failure> {
    let id =
        string_field(body, T::ID).ok_or_else(|| bad_request(format!("`{}` is required", T::ID)))?;
    T::table(&admin.state.registry)
        .get(&id)
        .ok_or_else(|| not_found(format!("{} `{id}` does not exist", T::NOUN)))
}

/// Changes the fields the request gives.
pub async fn update<T: Managed>(
    admin: &Admin,
    body: &Map<String, Value>,
    allowed: impl Fn(&Admin, &T) -> bool,
) -> Result<Value, Failure> {
    let entry = named::<T>(admin, body)?;
    let before = entry.doc();
    if !allowed(admin, &before) {
        return Err(forbidden(format!("you cannot change this {}", T::NOUN)));
    }
    let mut protected = PROTECTED.to_vec();
    protected.push(T::ID);
    let doc = merge(before.as_ref(), body, &protected)?;
    doc.check(admin)?;
    let entry = admin.save(doc, "updated", Some(before.as_ref())).await?;
    Ok(with_spend(&entry))
}

/// Deletes the principals named in `T::IDS` (proxy admins only).
pub async fn delete<T: Managed>(
    admin: &Admin,
    body: &Map<String, Value>,
) -> Result<Vec<Arc<T>>, Failure> {
    if !admin.is_admin() {
        return Err(forbidden(format!(
            "only a proxy admin can delete a {}",
            T::NOUN
        )));
    }
    let ids = string_list(body, T::IDS);
    if ids.is_empty() {
        return Err(bad_request(format!("`{}` is required", T::IDS)));
    }
    let table = T::table(&admin.state.registry);
    let mut docs = Vec::new();
    for id in &ids {
        let entry = table
            .get(id)
            .ok_or_else(|| not_found(format!("{} `{id}` does not exist", T::NOUN)))?;
        docs.push(entry.doc());
    }
    for doc in &docs {
        admin.delete(doc.as_ref()).await?;
    }
    Ok(docs)
}

/// Blocks or unblocks the principals named in `T::IDS` (or `T::ID`).
pub async fn set_blocked<T: Managed>(
    admin: &Admin,
    body: &Map<String, Value>,
    blocked: bool,
    set: impl Fn(&mut T, bool),
) -> Result<Value, Failure> {
    if !admin.is_admin() {
        return Err(forbidden(format!(
            "only a proxy admin can block a {}",
            T::NOUN
        )));
    }
    let mut ids = string_list(body, T::IDS);
    ids.extend(string_field(body, T::ID));
    if ids.is_empty() {
        return Err(bad_request(format!("`{}` is required", T::IDS)));
    }
    let mut changed = Vec::new();
    for id in ids {
        let entry = T::table(&admin.state.registry)
            .get(&id)
            .ok_or_else(|| not_found(format!("{} `{id}` does not exist", T::NOUN)))?;
        let before = entry.doc();
        let mut doc = before.as_ref().clone();
        set(&mut doc, blocked);
        let action = if blocked { "blocked" } else { "unblocked" };
        let entry = admin.save(doc, action, Some(before.as_ref())).await?;
        changed.push(with_spend(&entry));
    }
    Ok(json!(changed))
}

/// One principal, if the caller may read it.
pub fn info<T: Managed>(
    admin: &Admin,
    id: Option<&String>,
    readable: impl Fn(&Admin, &T) -> bool,
) -> Result<Arc<Entry<T>>, Failure> {
    let id = id.ok_or_else(|| bad_request(format!("`{}` is required", T::ID)))?;
    let entry = T::table(&admin.state.registry)
        .get(id)
        .ok_or_else(|| not_found(format!("{} `{id}` does not exist", T::NOUN)))?;
    if !readable(admin, &entry.doc()) {
        return Err(forbidden(format!("you cannot see this {}", T::NOUN)));
    }
    Ok(entry)
}

/// Every principal the caller may read and `keep` accepts.
pub fn list<T: Managed>(
    admin: &Admin,
    readable: impl Fn(&Admin, &T) -> bool,
    keep: impl Fn(&T) -> bool,
) -> Vec<Value> {
    T::table(&admin.state.registry)
        .all()
        .into_iter()
        .filter(|entry| {
            let doc = entry.doc();
            keep(&doc) && readable(admin, &doc)
        })
        .map(|entry| with_spend(&entry))
        .collect()
}

/// Every principal of a kind only proxy admins and viewers read.
pub fn list_for_admins<T: Managed>(admin: &Admin) -> Result<Vec<Value>, Failure> {
    if !admin.reads_everything() {
        return Err(forbidden(format!(
            "only proxy admins and viewers can list {}s",
            T::NOUN
        )));
    }
    Ok(list::<T>(admin, admins_only, |_| true))
}

/// Proxy admins and viewers read everything; nobody else reads these.
pub fn admins_only<T>(admin: &Admin, _doc: &T) -> bool {
    admin.reads_everything()
}

impl Managed for Team {
    const ID: &'static str = "team_id";
    const IDS: &'static str = "team_ids";
    const NOUN: &'static str = "team";

    fn create(id: String, now: i64) -> Self {
        Team {
            team_id: id,
            created_at: Some(now),
            ..Team::default()
        }
    }

    fn check(&self, admin: &Admin) -> Result<(), Failure> {
        if let Some(organization) = &self.organization_id
            && admin
                .state
                .registry
                .organizations
                .get(organization)
                .is_none()
        {
            return Err(bad_request(format!(
                "organization `{organization}` does not exist"
            )));
        }
        check_limits(self)
    }
}

impl Managed for User {
    const ID: &'static str = "user_id";
    const IDS: &'static str = "user_ids";
    const NOUN: &'static str = "user";

    fn create(id: String, now: i64) -> Self {
        User {
            user_id: id,
            created_at: Some(now),
            ..User::default()
        }
    }
}

impl Managed for Customer {
    const ID: &'static str = "user_id";
    const IDS: &'static str = "user_ids";
    const NOUN: &'static str = "customer";

    fn create(id: String, now: i64) -> Self {
        Customer {
            user_id: id,
            created_at: Some(now),
            ..Customer::default()
        }
    }

    fn check(&self, admin: &Admin) -> Result<(), Failure> {
        if let Some(budget) = &self.budget_id
            && admin.state.registry.budgets.get(budget).is_none()
        {
            return Err(bad_request(format!("budget `{budget}` does not exist")));
        }
        check_limits(self)
    }
}

impl Managed for Organization {
    const ID: &'static str = "organization_id";
    const IDS: &'static str = "organization_ids";
    const NOUN: &'static str = "organization";

    fn create(id: String, now: i64) -> Self {
        Organization {
            organization_id: id,
            created_at: Some(now),
            ..Organization::default()
        }
    }
}

impl Managed for Budget {
    const ID: &'static str = "budget_id";
    const IDS: &'static str = "budget_ids";
    const NOUN: &'static str = "budget";

    fn create(id: String, now: i64) -> Self {
        Budget {
            budget_id: id,
            created_at: Some(now),
            ..Budget::default()
        }
    }
}
