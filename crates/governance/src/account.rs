//! The counters of one principal: spend in the current budget period,
//! reservations of in-flight requests, per-minute request and token windows,
//! parallel requests. One mutex per principal, held for a few arithmetic
//! operations and never across an await.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::duration;
use crate::entities::Limits;

const MINUTE_MS: i64 = 60_000;

/// A fixed per-minute window (LiteLLM counts rpm/tpm per calendar minute).
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    minute: i64,
    requests: u64,
    tokens: u64,
}

impl Window {
    fn roll(&mut self, now_ms: i64) {
        let minute = now_ms.div_euclid(MINUTE_MS);
        if minute != self.minute {
            *self = Window {
                minute,
                requests: 0,
                tokens: 0,
            };
        }
    }

    /// Seconds until the window ends (for `Retry-After`), at least 1.
    fn seconds_left(&self, now_ms: i64) -> u64 {
        let end = (self.minute + 1) * MINUTE_MS;
        u64::try_from((end - now_ms + 999) / 1000)
            .unwrap_or(1)
            .max(1)
    }
}

/// Spend within a budget period, with what in-flight requests reserved.
#[derive(Debug, Clone, Copy, Default)]
struct Spend {
    spent: f64,
    reserved: f64,
    /// When the period ends (unix ms); `None` until a duration applies.
    reset_at: Option<i64>,
}

impl Spend {
    /// Starts a new period when the current one is over; returns whether it
    /// did (the new `reset_at` must be persisted).
    fn reset_if_due(&mut self, period: Option<&str>, now_ms: i64) -> bool {
        let Some(period) = period.and_then(duration::parse) else {
            return false;
        };
        let length = i64::try_from(period.as_millis()).unwrap_or(i64::MAX);
        match self.reset_at {
            None => {
                self.reset_at = Some(now_ms.saturating_add(length));
                true
            }
            Some(at) if now_ms >= at => {
                self.spent = 0.0;
                self.reset_at = Some(now_ms.saturating_add(length));
                true
            }
            Some(_) => false,
        }
    }

    fn committed(&self) -> f64 {
        self.spent + self.reserved
    }
}

#[derive(Debug, Default)]
struct State {
    spend: Spend,
    window: Window,
    in_flight: u64,
    models: HashMap<String, ModelState>,
}

#[derive(Debug, Default)]
struct ModelState {
    spend: Spend,
    window: Window,
}

/// Why a principal refused a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Budget { spent: f64, max: f64 },
    ModelBudget { model: String, spent: f64, max: f64 },
    Requests { limit: u64, retry_after: u64 },
    Tokens { limit: u64, retry_after: u64 },
    Parallel { limit: u64 },
}

/// A spend period that started anew, to persist.
#[derive(Debug, Clone, PartialEq)]
pub struct Reset {
    pub model: Option<String>,
    pub reset_at: i64,
}

/// The live counters of one principal.
#[derive(Debug, Default)]
pub struct Account {
    state: Mutex<State>,
}

/// What one admitted request holds on an account until it settles.
#[derive(Debug, Clone)]
pub struct Hold {
    pub estimate: f64,
    pub model: String,
    minute: i64,
}

impl Account {
    /// An account starting from persisted values.
    pub fn restore(spent: f64, reset_at: Option<i64>) -> Account {
        Account {
            state: Mutex::new(State {
                spend: Spend {
                    spent,
                    reserved: 0.0,
                    reset_at,
                },
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave these plain numbers in
        // a state worse than "slightly off"; keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Spend in the current period (without reservations).
    pub fn spent(&self) -> f64 {
        self.lock().spend.spent
    }

    pub fn reset_at(&self) -> Option<i64> {
        self.lock().spend.reset_at
    }

    /// Requests and tokens counted in the minute of `now_ms` (for rate-limit
    /// headroom).
    pub fn this_minute(&self, now_ms: i64) -> (u64, u64) {
        let window = self.lock().window;
        if window.minute == now_ms.div_euclid(MINUTE_MS) {
            (window.requests, window.tokens)
        } else {
            (0, 0)
        }
    }

    /// Spend per model with `model_max_budget` tracking.
    pub fn model_spend(&self) -> Vec<(String, f64)> {
        self.lock()
            .models
            .iter()
            .map(|(model, state)| (model.clone(), state.spend.spent))
            .collect()
    }

    /// Checks every limit and, when all pass, reserves `estimate`, counts
    /// the request in its minute and as in flight. Check and reservation
    /// happen under one lock, so concurrent requests cannot pass together
    /// what only one may.
    pub fn admit(
        &self,
        limits: &Limits,
        model: &str,
        estimate: f64,
        now_ms: i64,
        resets: &mut Vec<Reset>,
    ) -> Result<Hold, Refusal> {
        let mut state = self.lock();
        let period = limits.budget_duration.as_deref();
        if state.spend.reset_if_due(period, now_ms)
            && let Some(reset_at) = state.spend.reset_at
        {
            resets.push(Reset {
                model: None,
                reset_at,
            });
        }
        if let Some(max) = limits.max_budget
            && state.spend.committed() >= max
        {
            return Err(Refusal::Budget {
                spent: state.spend.spent,
                max,
            });
        }
        state.window.roll(now_ms);
        if let Some(limit) = limits.rpm_limit
            && state.window.requests >= limit
        {
            return Err(Refusal::Requests {
                limit,
                retry_after: state.window.seconds_left(now_ms),
            });
        }
        if let Some(limit) = limits.tpm_limit
            && state.window.tokens >= limit
        {
            return Err(Refusal::Tokens {
                limit,
                retry_after: state.window.seconds_left(now_ms),
            });
        }
        if let Some(limit) = limits.max_parallel_requests
            && state.in_flight >= limit
        {
            return Err(Refusal::Parallel { limit });
        }
        let model_budget = limits.model_max_budget.get(model);
        let model_rpm = limits.model_rpm_limit.get(model).copied();
        let model_tpm = limits.model_tpm_limit.get(model).copied();
        let tracks_model = model_budget.is_some() || model_rpm.is_some() || model_tpm.is_some();
        if tracks_model {
            let model_state = state.models.entry(model.to_string()).or_default();
            if let Some(budget) = model_budget {
                let period = budget.time_period.as_deref();
                if model_state.spend.reset_if_due(period, now_ms)
                    && let Some(reset_at) = model_state.spend.reset_at
                {
                    resets.push(Reset {
                        model: Some(model.to_string()),
                        reset_at,
                    });
                }
                if model_state.spend.committed() >= budget.budget_limit {
                    return Err(Refusal::ModelBudget {
                        model: model.to_string(),
                        spent: model_state.spend.spent,
                        max: budget.budget_limit,
                    });
                }
            }
            model_state.window.roll(now_ms);
            if let Some(limit) = model_rpm
                && model_state.window.requests >= limit
            {
                return Err(Refusal::Requests {
                    limit,
                    retry_after: model_state.window.seconds_left(now_ms),
                });
            }
            if let Some(limit) = model_tpm
                && model_state.window.tokens >= limit
            {
                return Err(Refusal::Tokens {
                    limit,
                    retry_after: model_state.window.seconds_left(now_ms),
                });
            }
            model_state.spend.reserved += estimate;
            model_state.window.requests += 1;
        }
        state.spend.reserved += estimate;
        state.window.requests += 1;
        state.in_flight += 1;
        Ok(Hold {
            estimate,
            model: model.to_string(),
            minute: state.window.minute,
        })
    }

    /// Ends a hold: the reservation becomes the real cost, the tokens count
    /// in the minute the request was admitted in, and the request is no
    /// longer in flight.
    pub fn settle(&self, hold: &Hold, cost: f64, tokens: u64) {
        let mut state = self.lock();
        state.spend.reserved = (state.spend.reserved - hold.estimate).max(0.0);
        state.spend.spent += cost;
        if state.window.minute == hold.minute {
            state.window.tokens += tokens;
        }
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some(model) = state.models.get_mut(&hold.model) {
            model.spend.reserved = (model.spend.reserved - hold.estimate).max(0.0);
            model.spend.spent += cost;
            if model.window.minute == hold.minute {
                model.window.tokens += tokens;
            }
        }
    }

    /// Adds spend learned from elsewhere (another instance, a reload).
    pub fn set_spent(&self, spent: f64, reset_at: Option<i64>) {
        let mut state = self.lock();
        state.spend.spent = spent;
        state.spend.reset_at = reset_at;
    }

    /// Spend restored for a model budget.
    pub fn restore_model(&self, model: &str, spent: f64, reset_at: Option<i64>) {
        let mut state = self.lock();
        let model = state.models.entry(model.to_string()).or_default();
        model.spend.spent = spent;
        model.spend.reset_at = reset_at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::ModelBudget;

    const NOW: i64 = 1_800_000_000_000; // a whole minute

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn budget_with_reservations() {
        let account = Account::default();
        let limits = Limits {
            max_budget: Some(1.0),
            ..limits()
        };
        let mut resets = Vec::new();
        let a = account.admit(&limits, "m", 0.6, NOW, &mut resets).unwrap();
        // 0.6 reserved: a second request still fits under 1.0 ...
        let b = account.admit(&limits, "m", 0.6, NOW, &mut resets).unwrap();
        // ... but a third does not: 1.2 committed.
        assert!(matches!(
            account.admit(&limits, "m", 0.1, NOW, &mut resets),
            Err(Refusal::Budget { .. })
        ));
        account.settle(&a, 0.2, 10);
        account.settle(&b, 0.2, 10);
        assert!((account.spent() - 0.4).abs() < 1e-12);
        assert!(account.admit(&limits, "m", 0.1, NOW, &mut resets).is_ok());
    }

    #[test]
    fn rpm_is_exact_per_minute_and_says_when_to_retry() {
        let account = Account::default();
        let limits = Limits {
            rpm_limit: Some(3),
            ..limits()
        };
        let mut resets = Vec::new();
        for _ in 0..3 {
            let hold = account
                .admit(&limits, "m", 0.0, NOW + 15_000, &mut resets)
                .unwrap();
            account.settle(&hold, 0.0, 0);
        }
        assert_eq!(
            account
                .admit(&limits, "m", 0.0, NOW + 15_000, &mut resets)
                .unwrap_err(),
            Refusal::Requests {
                limit: 3,
                retry_after: 45
            }
        );
        assert!(
            account
                .admit(&limits, "m", 0.0, NOW + 60_000, &mut resets)
                .is_ok()
        );
    }

    #[test]
    fn tpm_counts_tokens_after_the_fact() {
        let account = Account::default();
        let limits = Limits {
            tpm_limit: Some(100),
            ..limits()
        };
        let mut resets = Vec::new();
        let hold = account.admit(&limits, "m", 0.0, NOW, &mut resets).unwrap();
        account.settle(&hold, 0.0, 150);
        assert!(matches!(
            account.admit(&limits, "m", 0.0, NOW + 1, &mut resets),
            Err(Refusal::Tokens { limit: 100, .. })
        ));
    }

    #[test]
    fn parallel_requests() {
        let account = Account::default();
        let limits = Limits {
            max_parallel_requests: Some(1),
            ..limits()
        };
        let mut resets = Vec::new();
        let hold = account.admit(&limits, "m", 0.0, NOW, &mut resets).unwrap();
        assert_eq!(
            account
                .admit(&limits, "m", 0.0, NOW, &mut resets)
                .unwrap_err(),
            Refusal::Parallel { limit: 1 }
        );
        account.settle(&hold, 0.0, 0);
        assert!(account.admit(&limits, "m", 0.0, NOW, &mut resets).is_ok());
    }

    #[test]
    fn budget_resets_after_its_duration() {
        let account = Account::restore(5.0, Some(NOW));
        let limits = Limits {
            max_budget: Some(5.0),
            budget_duration: Some("1h".into()),
            ..limits()
        };
        let mut resets = Vec::new();
        assert!(
            account
                .admit(&limits, "m", 0.0, NOW - 1, &mut resets)
                .is_err()
        );
        assert!(resets.is_empty());
        assert!(account.admit(&limits, "m", 0.0, NOW, &mut resets).is_ok());
        assert_eq!(account.spent(), 0.0);
        assert_eq!(
            resets,
            [Reset {
                model: None,
                reset_at: NOW + 3_600_000
            }]
        );
    }

    #[test]
    fn model_budgets_and_limits() {
        let account = Account::default();
        let mut limits = limits();
        limits.model_max_budget.insert(
            "gpt".into(),
            ModelBudget {
                budget_limit: 0.5,
                time_period: None,
            },
        );
        limits.model_rpm_limit.insert("claude".into(), 1);
        let mut resets = Vec::new();
        let hold = account
            .admit(&limits, "gpt", 0.0, NOW, &mut resets)
            .unwrap();
        account.settle(&hold, 0.5, 0);
        assert!(matches!(
            account.admit(&limits, "gpt", 0.0, NOW, &mut resets),
            Err(Refusal::ModelBudget { .. })
        ));
        assert!(
            account
                .admit(&limits, "other", 0.0, NOW, &mut resets)
                .is_ok()
        );
        assert!(
            account
                .admit(&limits, "claude", 0.0, NOW, &mut resets)
                .is_ok()
        );
        assert!(matches!(
            account.admit(&limits, "claude", 0.0, NOW, &mut resets),
            Err(Refusal::Requests { limit: 1, .. })
        ));
        assert_eq!(
            account
                .model_spend()
                .iter()
                .find(|(m, _)| m == "gpt")
                .unwrap()
                .1,
            0.5
        );
    }
}
