//! The admission phase: every principal on a request's path (key, user,
//! team, organization, and the customer named by the request's `user`)
//! must allow the model and have budget and rate left.
//!
//! Admission reserves an estimate of the request's cost on each principal;
//! settlement replaces it with the real cost. Concurrent requests therefore
//! cannot jointly overspend: a request is admitted only while spend plus
//! reservations is below the budget, so the overshoot is at most the last
//! admitted request's cost beyond its estimate, plus the estimates' errors
//! of the requests in flight (exactly zero when estimates are not below the
//! real costs).

use std::borrow::Cow;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::account::{Account, Hold, Refusal, Reset};
use crate::entities::{Customer, Key, Kind, Limits, Organization, Team, User, allows_model};
use crate::registry::{Entry, Principal, Registry};

/// A change to persist, emitted as requests settle.
#[derive(Debug, Clone, PartialEq)]
pub enum SpendEvent {
    /// `cost` more spend on a principal (and on its model budget, if it
    /// tracks `model`).
    Spend {
        kind: Kind,
        id: String,
        model: Option<String>,
        cost: f64,
    },
    /// A budget period started anew: spend is zero until `reset_at`.
    Reset {
        kind: Kind,
        id: String,
        model: Option<String>,
        reset_at: i64,
    },
    /// A customer seen for the first time.
    NewCustomer { id: String },
}

/// Why a request is refused, classified for the caller's error shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub reason: DenialReason,
    pub message: String,
    /// Seconds until a rate window ends.
    pub retry_after: Option<u64>,
    /// LiteLLM's error code (`budget_exceeded`, `key_model_access_denied`, ...).
    pub code: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenialReason {
    /// The key is unknown or expired (401).
    Unauthenticated,
    /// Blocked, or the model is not allowed (403).
    Forbidden,
    /// A budget is spent (400, as LiteLLM reports it).
    Budget,
    /// A rate or parallel limit (429).
    RateLimited,
}

impl Denial {
    fn new(reason: DenialReason, code: &'static str, message: String) -> Denial {
        Denial {
            reason,
            message,
            retry_after: None,
            code,
        }
    }
}

/// The principals behind a virtual key.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: Arc<Entry<Key>>,
    pub user: Option<Arc<Entry<User>>>,
    pub team: Option<Arc<Entry<Team>>>,
    pub organization: Option<Arc<Entry<Organization>>>,
}

impl Caller {
    /// The model group a requested model means for this key (`aliases`).
    pub fn alias(&self, model: &str) -> Option<String> {
        self.key.doc().aliases.get(model).cloned()
    }
}

/// Something that has counters, whatever its document type.
trait Counted: Send + Sync {
    fn account(&self) -> &Account;
}

impl<T: Send + Sync> Counted for Entry<T> {
    fn account(&self) -> &Account {
        &self.account
    }
}

struct Held {
    kind: Kind,
    id: String,
    entry: Arc<dyn Counted>,
    hold: Hold,
    /// The hold counted against a model budget too.
    model_tracked: bool,
}

/// An admitted request's holds; settle it with the real cost, or drop it
/// (nothing spent).
pub struct Admission {
    holds: Vec<Held>,
    sink: Option<UnboundedSender<SpendEvent>>,
    settled: bool,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("holds", &self.holds.len())
            .finish()
    }
}

impl Admission {
    /// Records the request's real cost and tokens on every principal.
    pub fn settle(mut self, cost: f64, tokens: u64) {
        self.release(cost, tokens);
    }

    fn release(&mut self, cost: f64, tokens: u64) {
        if self.settled {
            return;
        }
        self.settled = true;
        for held in &self.holds {
            held.entry.account().settle(&held.hold, cost, tokens);
            if cost > 0.0
                && let Some(sink) = &self.sink
            {
                let _ = sink.send(SpendEvent::Spend {
                    kind: held.kind,
                    id: held.id.clone(),
                    model: held.model_tracked.then(|| held.hold.model.clone()),
                    cost,
                });
            }
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        // Not settled: the request failed before costing anything.
        self.release(0.0, 0);
    }
}

impl Registry {
    /// Where spend events go (set once at startup).
    pub fn set_sink(&self, sink: UnboundedSender<SpendEvent>) {
        let _ = self.sink.set(sink);
    }

    /// The key behind a presented secret, with its owners; refuses blocked
    /// and expired keys.
    pub fn caller(&self, token: &str, now_ms: i64) -> Result<Caller, Denial> {
        let key = self.keys.get(token).ok_or_else(|| {
            Denial::new(
                DenialReason::Unauthenticated,
                "invalid_api_key",
                "Invalid API key.".into(),
            )
        })?;
        let doc = key.doc();
        if doc.blocked {
            return Err(Denial::new(
                DenialReason::Forbidden,
                "key_blocked",
                "This key is blocked.".into(),
            ));
        }
        if doc.expires.is_some_and(|at| at <= now_ms) {
            return Err(Denial::new(
                DenialReason::Unauthenticated,
                "key_expired",
                "This key has expired.".into(),
            ));
        }
        let team = doc.team_id.as_deref().and_then(|id| self.teams.get(id));
        let organization = doc
            .organization_id
            .clone()
            .or_else(|| team.as_ref().and_then(|t| t.doc().organization_id.clone()))
            .and_then(|id| self.organizations.get(&id));
        Ok(Caller {
            user: doc.user_id.as_deref().and_then(|id| self.users.get(id)),
            team,
            organization,
            key,
        })
    }

    /// Admits a request for `model` (the model group) by `caller` (none for
    /// the master key) on behalf of `customer`, reserving `estimate` USD.
    pub fn admit(
        &self,
        caller: Option<&Caller>,
        model: &str,
        customer: Option<&str>,
        estimate: f64,
        now_ms: i64,
    ) -> Result<Admission, Denial> {
        let mut admission = Admission {
            holds: Vec::new(),
            sink: self.sink.get().cloned(),
            settled: false,
        };
        let mut resets = Vec::new();
        if let Some(caller) = caller {
            self.check_models(caller, model)?;
            self.hold(
                &mut admission,
                &caller.key,
                model,
                estimate,
                now_ms,
                &mut resets,
            )?;
            if let Some(user) = &caller.user {
                self.hold(&mut admission, user, model, estimate, now_ms, &mut resets)?;
            }
            if let Some(team) = &caller.team {
                self.hold(&mut admission, team, model, estimate, now_ms, &mut resets)?;
            }
            if let Some(organization) = &caller.organization {
                self.hold(
                    &mut admission,
                    organization,
                    model,
                    estimate,
                    now_ms,
                    &mut resets,
                )?;
            }
        }
        if let Some(id) = customer.filter(|id| !id.is_empty()) {
            let entry = match self.customers.get(id) {
                Some(entry) => entry,
                None => {
                    // LiteLLM tracks every end user's spend, known or not.
                    if let Some(sink) = self.sink.get() {
                        let _ = sink.send(SpendEvent::NewCustomer { id: id.to_string() });
                    }
                    self.customers.upsert(Customer {
                        user_id: id.to_string(),
                        created_at: Some(now_ms),
                        ..Customer::default()
                    })
                }
            };
            if entry.doc().blocked {
                return Err(Denial::new(
                    DenialReason::Forbidden,
                    "customer_blocked",
                    format!("Customer `{id}` is blocked."),
                ));
            }
            self.hold(&mut admission, &entry, model, estimate, now_ms, &mut resets)?;
        }
        if let Some(sink) = self.sink.get() {
            for (kind, id, reset) in resets {
                let _ = sink.send(SpendEvent::Reset {
                    kind,
                    id,
                    model: reset.model,
                    reset_at: reset.reset_at,
                });
            }
        }
        Ok(admission)
    }

    /// Every model list on the path must allow the model.
    pub fn check_models(&self, caller: &Caller, model: &str) -> Result<(), Denial> {
        let key = caller.key.doc();
        let team = caller.team.as_ref().map(|t| t.doc());
        let key_models: &[String] = if key.models.iter().any(|m| m == "all-team-models") {
            team.as_ref().map_or(&[], |t| t.models.as_slice())
        } else {
            &key.models
        };
        let denied = |code: &'static str, whose: &str| {
            Err(Denial::new(
                DenialReason::Forbidden,
                code,
                format!("The {whose} is not allowed to use model `{model}`."),
            ))
        };
        if !allows_model(key_models, model) {
            return denied("key_model_access_denied", "key");
        }
        if let Some(team) = &team {
            if team.blocked {
                return Err(Denial::new(
                    DenialReason::Forbidden,
                    "team_blocked",
                    format!("Team `{}` is blocked.", team.team_id),
                ));
            }
            if !allows_model(&team.models, model) {
                return denied("team_model_access_denied", "team");
            }
        }
        if let Some(user) = &caller.user {
            let user = user.doc();
            if user.blocked {
                return Err(Denial::new(
                    DenialReason::Forbidden,
                    "user_blocked",
                    format!("User `{}` is blocked.", user.user_id),
                ));
            }
            if !allows_model(&user.models, model) {
                return denied("user_model_access_denied", "user");
            }
        }
        if let Some(organization) = &caller.organization
            && !allows_model(&organization.doc().models, model)
        {
            return denied("organization_model_access_denied", "organization");
        }
        Ok(())
    }

    /// Admits on one principal, under its limits and its budget template's.
    fn hold<T: Principal>(
        &self,
        admission: &mut Admission,
        entry: &Arc<Entry<T>>,
        model: &str,
        estimate: f64,
        now_ms: i64,
        resets: &mut Vec<(Kind, String, Reset)>,
    ) -> Result<(), Denial> {
        let doc = entry.doc();
        let limits = self.effective_limits(doc.as_ref());
        let mut found = Vec::new();
        let result = entry
            .account
            .admit(&limits, model, estimate, now_ms, &mut found);
        resets.extend(
            found
                .into_iter()
                .map(|reset| (T::KIND, doc.id().to_string(), reset)),
        );
        let hold = result.map_err(|refusal| denial(T::KIND, doc.id(), refusal))?;
        let model_tracked = limits.model_max_budget.contains_key(model);
        admission.holds.push(Held {
            kind: T::KIND,
            id: doc.id().to_string(),
            entry: Arc::clone(entry) as Arc<dyn Counted>,
            hold,
            model_tracked,
        });
        Ok(())
    }

    /// A principal's limits, with unset ones taken from its budget
    /// (`budget_id`), LiteLLM's shared budgets.
    pub fn effective_limits<'a, T: Principal>(&self, doc: &'a T) -> Cow<'a, Limits> {
        let Some(budget) = doc.budget_id().and_then(|id| self.budgets.get(id)) else {
            return Cow::Borrowed(doc.limits());
        };
        let template = budget.doc();
        let own = doc.limits();
        let from = &template.limits;
        Cow::Owned(Limits {
            max_budget: own.max_budget.or(from.max_budget),
            soft_budget: own.soft_budget.or(from.soft_budget),
            budget_duration: own
                .budget_duration
                .clone()
                .or_else(|| from.budget_duration.clone()),
            tpm_limit: own.tpm_limit.or(from.tpm_limit),
            rpm_limit: own.rpm_limit.or(from.rpm_limit),
            max_parallel_requests: own.max_parallel_requests.or(from.max_parallel_requests),
            model_max_budget: if own.model_max_budget.is_empty() {
                from.model_max_budget.clone()
            } else {
                own.model_max_budget.clone()
            },
            model_rpm_limit: if own.model_rpm_limit.is_empty() {
                from.model_rpm_limit.clone()
            } else {
                own.model_rpm_limit.clone()
            },
            model_tpm_limit: if own.model_tpm_limit.is_empty() {
                from.model_tpm_limit.clone()
            } else {
                own.model_tpm_limit.clone()
            },
        })
    }
}

fn denial(kind: Kind, id: &str, refusal: Refusal) -> Denial {
    let who = match kind {
        Kind::Key => "key".to_string(),
        other => format!("{} `{id}`", other.as_str()),
    };
    match refusal {
        Refusal::Budget { spent, max } => Denial::new(
            DenialReason::Budget,
            "budget_exceeded",
            format!("Budget has been exceeded for {who}! Current cost: {spent}, Max budget: {max}"),
        ),
        Refusal::ModelBudget { model, spent, max } => Denial::new(
            DenialReason::Budget,
            "budget_exceeded",
            format!(
                "Budget for model `{model}` has been exceeded for {who}! Current cost: {spent}, Max budget: {max}"
            ),
        ),
        Refusal::Requests { limit, retry_after } => Denial {
            retry_after: Some(retry_after),
            ..Denial::new(
                DenialReason::RateLimited,
                "rate_limit_exceeded",
                format!("Rate limit exceeded for {who}: {limit} requests per minute."),
            )
        },
        Refusal::Tokens { limit, retry_after } => Denial {
            retry_after: Some(retry_after),
            ..Denial::new(
                DenialReason::RateLimited,
                "rate_limit_exceeded",
                format!("Rate limit exceeded for {who}: {limit} tokens per minute."),
            )
        },
        Refusal::Parallel { limit } => Denial {
            retry_after: Some(1),
            ..Denial::new(
                DenialReason::RateLimited,
                "max_parallel_requests_exceeded",
                format!("Too many requests in flight for {who}: at most {limit} at a time."),
            )
        },
    }
}

#[cfg(test)]
mod tests;
