//! Every principal in memory, so the request path never waits on the
//! database (DESIGN.md §5): documents swap atomically on admin changes,
//! counters live beside them.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::account::Account;
use crate::entities::{Budget, Customer, Key, Kind, Limits, Organization, Team, User};

/// What every principal document offers the registry and admission.
pub trait Principal: Clone + Send + Sync + 'static {
    const KIND: Kind;
    fn id(&self) -> &str;
    fn limits(&self) -> &Limits;
    /// Model groups it may use (empty: no restriction of its own).
    fn models(&self) -> &[String] {
        &[]
    }
    fn blocked(&self) -> bool {
        false
    }
    /// A shared budget whose limits fill in the ones it does not set.
    fn budget_id(&self) -> Option<&str> {
        None
    }
}

/// One principal: its current document and its counters.
#[derive(Debug)]
pub struct Entry<T> {
    doc: ArcSwap<T>,
    pub account: Account,
}

impl<T> Entry<T> {
    pub fn doc(&self) -> Arc<T> {
        self.doc.load_full()
    }

    pub fn replace(&self, doc: T) {
        self.doc.store(Arc::new(doc));
    }
}

/// All principals of one kind, by id.
#[derive(Debug)]
pub struct Table<T> {
    entries: ArcSwap<HashMap<String, Arc<Entry<T>>>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            entries: ArcSwap::from_pointee(HashMap::new()),
        }
    }
}

impl<T: Principal> Table<T> {
    pub fn get(&self, id: &str) -> Option<Arc<Entry<T>>> {
        self.entries.load().get(id).cloned()
    }

    /// Inserts a new principal, or swaps the document of an existing one
    /// (its counters stay).
    pub fn upsert(&self, doc: T) -> Arc<Entry<T>> {
        if let Some(entry) = self.get(doc.id()) {
            entry.replace(doc);
            return entry;
        }
        self.insert(doc, Account::default())
    }

    /// Inserts with counters restored from storage.
    pub fn insert(&self, doc: T, account: Account) -> Arc<Entry<T>> {
        let id = doc.id().to_string();
        let entry = Arc::new(Entry {
            doc: ArcSwap::from_pointee(doc),
            account,
        });
        let added = Arc::clone(&entry);
        // Admin changes are rare: copy-on-write keeps reads lock-free.
        self.entries.rcu(move |map| {
            let mut map = HashMap::clone(map);
            map.insert(id.clone(), Arc::clone(&added));
            map
        });
        entry
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Entry<T>>> {
        let removed = self.get(id)?;
        self.entries.rcu(|map| {
            let mut map = HashMap::clone(map);
            map.remove(id);
            map
        });
        Some(removed)
    }

    /// Every principal, ordered by id.
    pub fn all(&self) -> Vec<Arc<Entry<T>>> {
        let map = self.entries.load();
        let mut entries: Vec<(&String, &Arc<Entry<T>>)> = map.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.into_iter().map(|(_, e)| Arc::clone(e)).collect()
    }

    pub fn len(&self) -> usize {
        self.entries.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every principal of every kind.
#[derive(Debug, Default)]
pub struct Registry {
    pub keys: Table<Key>,
    pub users: Table<User>,
    pub teams: Table<Team>,
    pub organizations: Table<Organization>,
    pub customers: Table<Customer>,
    pub budgets: Table<Budget>,
    /// Where settled spend goes to be persisted (set once at startup).
    pub(crate) sink:
        std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<crate::admission::SpendEvent>>,
}

impl Principal for Key {
    const KIND: Kind = Kind::Key;
    fn id(&self) -> &str {
        &self.token
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn models(&self) -> &[String] {
        &self.models
    }
    fn blocked(&self) -> bool {
        self.blocked
    }
    fn budget_id(&self) -> Option<&str> {
        self.budget_id.as_deref()
    }
}

impl Principal for User {
    const KIND: Kind = Kind::User;
    fn id(&self) -> &str {
        &self.user_id
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn models(&self) -> &[String] {
        &self.models
    }
    fn blocked(&self) -> bool {
        self.blocked
    }
}

impl Principal for Team {
    const KIND: Kind = Kind::Team;
    fn id(&self) -> &str {
        &self.team_id
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn models(&self) -> &[String] {
        &self.models
    }
    fn blocked(&self) -> bool {
        self.blocked
    }
}

impl Principal for Organization {
    const KIND: Kind = Kind::Organization;
    fn id(&self) -> &str {
        &self.organization_id
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn models(&self) -> &[String] {
        &self.models
    }
}

impl Principal for Customer {
    const KIND: Kind = Kind::Customer;
    fn id(&self) -> &str {
        &self.user_id
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn blocked(&self) -> bool {
        self.blocked
    }
    fn budget_id(&self) -> Option<&str> {
        self.budget_id.as_deref()
    }
}

impl Principal for Budget {
    const KIND: Kind = Kind::Budget;
    fn id(&self) -> &str {
        &self.budget_id
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_keeps_counters() {
        let table: Table<Team> = Table::default();
        let team = Team {
            team_id: "t".into(),
            ..Team::default()
        };
        let entry = table.insert(team.clone(), Account::restore(3.0, None));
        let mut renamed = team;
        renamed.team_alias = Some("new".into());
        let again = table.upsert(renamed);
        assert!(Arc::ptr_eq(&entry, &again));
        assert_eq!(again.account.spent(), 3.0);
        assert_eq!(again.doc().team_alias.as_deref(), Some("new"));
        assert_eq!(table.len(), 1);
        assert!(table.remove("t").is_some());
        assert!(table.get("t").is_none());
    }
}
