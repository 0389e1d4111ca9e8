//! Principals between memory and the database: loading the registry at
//! startup, persisting admin changes (with their audit entries), and the
//! batched spend flusher that keeps the request path off the database.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use switchboard_governance::account::Account;
use switchboard_governance::entities::{Budget, Customer, Key, Kind, Organization, Team, User};
use switchboard_governance::{Principal, Registry, SpendEvent, time};
use switchboard_store::{AuditEntry, SpendUpdate, Store, StoreError, StoredPrincipal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

/// Builds the registry from every stored principal; a document that no
/// longer parses is skipped with an error naming it, never fatal.
pub async fn load(store: &Store) -> Result<Registry, StoreError> {
    let registry = Registry::default();
    for stored in store.load_principals().await? {
        let Some(kind) = Kind::parse(&stored.kind) else {
            tracing::error!(
                kind = stored.kind,
                id = stored.id,
                "unknown principal kind in the database; skipped"
            );
            continue;
        };
        let loaded = match kind {
            Kind::Key => restore(&registry.keys, &stored),
            Kind::User => restore(&registry.users, &stored),
            Kind::Team => restore(&registry.teams, &stored),
            Kind::Organization => restore(&registry.organizations, &stored),
            Kind::Customer => restore(&registry.customers, &stored),
            Kind::Budget => restore(&registry.budgets, &stored),
        };
        if let Err(error) = loaded {
            tracing::error!(kind = stored.kind, id = stored.id, %error, "stored principal does not parse; skipped");
        }
    }
    Ok(registry)
}

fn restore<T: Principal + DeserializeOwned>(
    table: &switchboard_governance::Table<T>,
    stored: &StoredPrincipal,
) -> Result<(), serde_json::Error> {
    let doc: T = serde_json::from_str(&stored.doc)?;
    let account = Account::restore(stored.spend, stored.budget_reset_at);
    for (model, spend, reset_at) in &stored.model_spend {
        account.restore_model(model, *spend, *reset_at);
    }
    table.insert(doc, account);
    Ok(())
}

/// Writes a principal's document and the audit entry of the change.
pub async fn persist<T: Principal + Serialize>(
    store: &Store,
    doc: &T,
    actor: &str,
    action: &str,
    before: Option<&T>,
) -> Result<(), StoreError> {
    let now = time::now_ms();
    let json = serde_json::to_value(doc).unwrap_or_default();
    store
        .save_principal(T::KIND.as_str(), doc.id(), &json.to_string(), now)
        .await?;
    audit(store, actor, action, T::KIND, doc.id(), before, Some(doc)).await
}

/// Deletes a principal and records the audit entry.
pub async fn remove<T: Principal + Serialize>(
    store: &Store,
    doc: &T,
    actor: &str,
) -> Result<(), StoreError> {
    store.delete_principal(T::KIND.as_str(), doc.id()).await?;
    audit(
        store,
        actor,
        "deleted",
        T::KIND,
        doc.id(),
        Some(doc),
        None::<&T>,
    )
    .await
}

async fn audit<T: Serialize>(
    store: &Store,
    actor: &str,
    action: &str,
    kind: Kind,
    id: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        id: crate::context::uuid_text(),
        at: time::now_ms(),
        actor: actor.to_string(),
        action: action.to_string(),
        object_type: kind.as_str().to_string(),
        object_id: id.to_string(),
        before: before.and_then(|d| serde_json::to_value(d).ok()),
        after: after.and_then(|d| serde_json::to_value(d).ok()),
    };
    store.insert_audit(&entry).await
}

/// How long settled spend gathers before one write; with the queue, the
/// most a crash can lose.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
const BATCH: usize = 10_000;

/// The task that writes settled spend in batches.
#[derive(Debug)]
pub struct SpendFlusher {
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    stop: Arc<tokio::sync::Notify>,
}

impl SpendFlusher {
    pub fn start(store: Store, mut events: UnboundedReceiver<SpendEvent>) -> SpendFlusher {
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut pending = Vec::new();
            loop {
                tokio::select! {
                    received = events.recv_many(&mut pending, BATCH) => {
                        if received == 0 {
                            break;
                        }
                    }
                    () = stopped.notified() => {
                        // Deliver what is queued, accept nothing new.
                        events.close();
                        continue;
                    }
                }
                // Gather more for a moment: one write for many requests.
                let window = tokio::time::sleep(FLUSH_EVERY);
                tokio::pin!(window);
                while pending.len() < BATCH {
                    let room = BATCH - pending.len();
                    tokio::select! {
                        received = events.recv_many(&mut pending, room) => {
                            if received == 0 {
                                break;
                            }
                        }
                        () = &mut window => break,
                        () = stopped.notified() => events.close(),
                    }
                }
                flush(&store, std::mem::take(&mut pending)).await;
            }
        });
        SpendFlusher {
            task: tokio::sync::Mutex::new(Some(task)),
            stop,
        }
    }

    /// Writes everything queued and stops.
    pub async fn shutdown(&self) {
        self.stop.notify_one();
        if let Some(task) = self.task.lock().await.take()
            && let Err(error) = task.await
        {
            tracing::error!(%error, "the spend flusher failed");
        }
    }
}

/// Folds events in order into one update per principal (and model), then
/// writes them; a failed write is retried once, then logged as lost.
async fn flush(store: &Store, events: Vec<SpendEvent>) {
    if events.is_empty() {
        return;
    }
    let mut order: Vec<(String, String, Option<String>)> = Vec::new();
    let mut updates: HashMap<(String, String, Option<String>), SpendUpdate> = HashMap::new();
    let mut customers = Vec::new();
    for event in events {
        let (kind, id, model) = match &event {
            SpendEvent::Spend {
                kind, id, model, ..
            }
            | SpendEvent::Reset {
                kind, id, model, ..
            } => (kind.as_str().to_string(), id.clone(), model.clone()),
            SpendEvent::NewCustomer { id } => {
                customers.push(id.clone());
                continue;
            }
        };
        let slot = (kind.clone(), id.clone(), model.clone());
        let update = updates.entry(slot.clone()).or_insert_with(|| {
            order.push(slot);
            SpendUpdate {
                kind,
                id,
                model,
                reset_at: None,
                delta: 0.0,
            }
        });
        match event {
            SpendEvent::Spend { cost, .. } => update.delta += cost,
            // Spend before a reset belonged to the period that ended.
            SpendEvent::Reset { reset_at, .. } => {
                update.reset_at = Some(reset_at);
                update.delta = 0.0;
            }
            SpendEvent::NewCustomer { .. } => {}
        }
    }
    let now = time::now_ms();
    for id in customers {
        let doc = Customer {
            user_id: id.clone(),
            created_at: Some(now),
            ..Customer::default()
        };
        let json = serde_json::to_string(&doc).unwrap_or_default();
        if let Err(error) = store
            .create_principal_if_absent("customer", &id, &json, now)
            .await
        {
            tracing::error!(%error, customer = id, "could not record a new customer");
        }
    }
    let batch: Vec<SpendUpdate> = order
        .into_iter()
        .filter_map(|slot| updates.remove(&slot))
        .collect();
    for attempt in 1..=2 {
        match store.apply_spend(&batch).await {
            Ok(()) => return,
            Err(error) if attempt == 1 => {
                tracing::warn!(%error, "spend flush failed; retrying");
                tokio::time::sleep(FLUSH_EVERY).await;
            }
            Err(error) => {
                tracing::error!(%error, updates = batch.len(), "spend flush failed; these updates are lost");
            }
        }
    }
}

/// Every document type is storable and has its table in the registry;
/// the admin API's generic helpers use this.
pub trait Stored: Principal + Serialize + DeserializeOwned {
    fn table(registry: &Registry) -> &switchboard_governance::Table<Self>;
}

impl Stored for Key {
    fn table(registry: &Registry) -> &switchboard_governance::Table<Self> {
        &registry.keys
    }
}

impl Stored for User {
    fn table(registry: &Registry) -> &switchboard_governance::Table<Self> {
        &registry.users
    }
}

impl Stored for Team {
    fn table(registry: &Registry) -> &switchboard_governance::Table<Self> {
        &registry.teams
    }
}

impl Stored for Organization {
    fn table(registry: &Registry) -> &switchboard_governance::Table<Self> {
        &registry.organizations
    }
}

impl Stored for Customer {
    fn table(registry: &Registry) -> &switchboard_governance::Table<Self> {
        &registry.customers
    }
}

impl Stored for Budget {
    fn table(registry: &Registry) -> &switchboard_governance::Table<Self> {
        &registry.budgets
    }
}
