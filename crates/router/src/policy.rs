//! What to do when an attempt fails: how the failure is classified, whether
//! it is retried, whether it cools the deployment down, which model groups
//! to fall back to. LiteLLM's `router_settings` keys configure it.

use std::collections::HashMap;
use std::time::Duration;

use crate::health::Health;

/// The kinds of failure the policy distinguishes (LiteLLM's exception
/// classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// 429 from the upstream.
    RateLimited,
    /// 401/403 from the upstream: the deployment's credentials.
    Auth,
    /// 404 from the upstream: the deployment's model does not exist there.
    NotFound,
    /// No answer in time (first byte, or the whole request).
    Timeout,
    /// The connection failed or broke before the first byte.
    Connection,
    /// 5xx (and 529) from the upstream.
    ServerError,
    /// The prompt is too long for the model.
    ContextWindow,
    /// The provider's content filter refused the request.
    ContentPolicy,
    /// Any other 4xx: the request itself is at fault.
    BadRequest,
}

impl FailureClass {
    /// Classifies an upstream error by status and message.
    pub fn of(status: u16, message: &str) -> FailureClass {
        let lower = message.to_ascii_lowercase();
        let context = [
            "context_length_exceeded",
            "maximum context length",
            "context window",
            "prompt is too long",
            "too many tokens",
            "exceeds the maximum number of tokens",
            "input is too long",
            "reduce the length",
        ];
        let policy = [
            "content_policy_violation",
            "content management policy",
            "content_filter",
            "content filter",
            "responsible ai",
            "safety system",
        ];
        match status {
            429 => FailureClass::RateLimited,
            401 | 403 => FailureClass::Auth,
            404 => FailureClass::NotFound,
            408 | 504 => FailureClass::Timeout,
            400..=499 if context.iter().any(|m| lower.contains(m)) => FailureClass::ContextWindow,
            400..=499 if policy.iter().any(|m| lower.contains(m)) => FailureClass::ContentPolicy,
            400..=499 => FailureClass::BadRequest,
            _ => FailureClass::ServerError,
        }
    }

    /// Whether trying again (elsewhere) can help.
    pub fn retriable(self) -> bool {
        !matches!(
            self,
            FailureClass::BadRequest | FailureClass::ContextWindow | FailureClass::ContentPolicy
        )
    }

    /// LiteLLM's `retry_policy` key for this class.
    fn policy_key(self) -> &'static str {
        match self {
            FailureClass::RateLimited => "RateLimitErrorRetries",
            FailureClass::Auth | FailureClass::NotFound => "AuthenticationErrorRetries",
            FailureClass::Timeout | FailureClass::Connection => "TimeoutErrorRetries",
            FailureClass::ServerError => "InternalServerErrorRetries",
            FailureClass::ContextWindow | FailureClass::BadRequest => "BadRequestErrorRetries",
            FailureClass::ContentPolicy => "ContentPolicyViolationErrorRetries",
        }
    }
}

/// Fallback model groups, by the failure that sends a request to them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fallbacks {
    /// `fallbacks`: for any retriable failure once retries are spent.
    pub general: HashMap<String, Vec<String>>,
    /// `context_window_fallbacks`: a bigger model for too-long prompts.
    pub context_window: HashMap<String, Vec<String>>,
    /// `content_policy_fallbacks`.
    pub content_policy: HashMap<String, Vec<String>>,
    /// `default_fallbacks`: for groups without their own.
    pub default: Vec<String>,
}

/// The router's reliability settings (LiteLLM's `router_settings`).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Retries after the first attempt (`num_retries`).
    pub num_retries: u32,
    /// Per-class overrides (`retry_policy`: `RateLimitErrorRetries`, ...).
    pub retry_policy: HashMap<String, u32>,
    /// Shortest wait before retrying the same deployment (`retry_after`).
    pub retry_after: Duration,
    /// Failures per minute a deployment may have before it cools down
    /// (`allowed_fails`).
    pub allowed_fails: u32,
    /// How long a cooldown lasts (`cooldown_time`).
    pub cooldown_time: Duration,
    pub disable_cooldowns: bool,
    pub fallbacks: Fallbacks,
    /// Fallback groups tried at most (`max_fallbacks`).
    pub max_fallbacks: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            num_retries: 2,
            retry_policy: HashMap::new(),
            retry_after: Duration::ZERO,
            allowed_fails: 3,
            cooldown_time: Duration::from_secs(5),
            disable_cooldowns: false,
            fallbacks: Fallbacks::default(),
            max_fallbacks: 5,
        }
    }
}

/// Longest backoff between attempts on the same deployment.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

impl Policy {
    /// Retries a failure of `class` gets.
    pub fn retries_for(&self, class: FailureClass) -> u32 {
        if !class.retriable() {
            return self
                .retry_policy
                .get(class.policy_key())
                .copied()
                .unwrap_or(0);
        }
        self.retry_policy
            .get(class.policy_key())
            .copied()
            .unwrap_or(self.num_retries)
    }

    /// How long to wait before retry number `retry` (from 1) on the same
    /// deployment: exponential with jitter, at least `retry_after` and the
    /// upstream's `Retry-After`. Switching to another deployment needs no
    /// wait.
    pub fn backoff(&self, retry: u32, upstream_retry_after: Option<Duration>) -> Duration {
        let base =
            Duration::from_millis(250).saturating_mul(1u32 << retry.min(10).saturating_sub(1));
        let jittered = base.mul_f64(0.5 + fastrand::f64());
        jittered
            .min(MAX_BACKOFF)
            .max(self.retry_after)
            .max(upstream_retry_after.unwrap_or(Duration::ZERO))
    }

    /// Records a failure on a deployment and cools it down when the class
    /// or the count calls for it; returns whether it is cooling down now.
    ///
    /// 429, auth and not-found failures cool down at once (the deployment
    /// cannot serve anyone right now); timeouts, connection and server
    /// errors after `allowed_fails` in a minute; failures caused by the
    /// request never. A group's only deployment is never cooled down: that
    /// would turn one failure into an outage of the group.
    pub fn record_failure(
        &self,
        health: &Health,
        class: FailureClass,
        upstream_retry_after: Option<Duration>,
        sole_deployment: bool,
        now_ms: i64,
    ) -> bool {
        if !class.retriable() {
            return false;
        }
        let failures = health.failed(now_ms);
        if self.disable_cooldowns || sole_deployment {
            return false;
        }
        let immediate = matches!(
            class,
            FailureClass::RateLimited | FailureClass::Auth | FailureClass::NotFound
        );
        if immediate || failures > self.allowed_fails {
            let length = self
                .cooldown_time
                .max(upstream_retry_after.unwrap_or(Duration::ZERO));
            let until =
                now_ms.saturating_add(i64::try_from(length.as_millis()).unwrap_or(i64::MAX));
            health.cool_down(until);
            return true;
        }
        false
    }

    /// The groups to fall back to after `group` failed with `class`.
    pub fn fallbacks_for(&self, group: &str, class: FailureClass) -> Vec<String> {
        let fallbacks = &self.fallbacks;
        let specific = match class {
            FailureClass::ContextWindow => fallbacks.context_window.get(group),
            FailureClass::ContentPolicy => fallbacks.content_policy.get(group),
            FailureClass::BadRequest => return Vec::new(),
            _ => None,
        };
        let chosen = specific
            .or_else(|| {
                class
                    .retriable()
                    .then(|| fallbacks.general.get(group))
                    .flatten()
            })
            .cloned()
            .unwrap_or_else(|| {
                if class.retriable() {
                    fallbacks.default.clone()
                } else {
                    Vec::new()
                }
            });
        chosen
            .into_iter()
            .filter(|g| g != group)
            .take(self.max_fallbacks)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn classification() {
        assert_eq!(FailureClass::of(429, ""), FailureClass::RateLimited);
        assert_eq!(FailureClass::of(401, ""), FailureClass::Auth);
        assert_eq!(FailureClass::of(503, ""), FailureClass::ServerError);
        assert_eq!(
            FailureClass::of(529, "overloaded"),
            FailureClass::ServerError
        );
        assert_eq!(
            FailureClass::of(400, "This model's maximum context length is 8192 tokens"),
            FailureClass::ContextWindow
        );
        assert_eq!(
            FailureClass::of(400, "prompt is too long: 210000 tokens > 200000 maximum"),
            FailureClass::ContextWindow
        );
        assert_eq!(
            FailureClass::of(
                400,
                "The response was filtered due to the prompt triggering Azure OpenAI's content management policy."
            ),
            FailureClass::ContentPolicy
        );
        assert_eq!(FailureClass::of(422, "bad field"), FailureClass::BadRequest);
    }

    #[test]
    fn retries_per_class() {
        let mut policy = Policy::default();
        assert_eq!(policy.retries_for(FailureClass::ServerError), 2);
        assert_eq!(policy.retries_for(FailureClass::BadRequest), 0);
        policy
            .retry_policy
            .insert("RateLimitErrorRetries".into(), 5);
        assert_eq!(policy.retries_for(FailureClass::RateLimited), 5);
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let policy = Policy::default();
        let first = policy.backoff(1, None);
        assert!(first >= Duration::from_millis(125) && first <= Duration::from_millis(375));
        assert!(policy.backoff(10, None) <= MAX_BACKOFF);
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn cooldowns() {
        let policy = Policy::default();
        let health = Health::default();
        // Three server errors are allowed, the fourth cools down.
        for _ in 0..3 {
            assert!(!policy.record_failure(&health, FailureClass::ServerError, None, false, NOW));
        }
        assert!(policy.record_failure(&health, FailureClass::ServerError, None, false, NOW));
        assert_eq!(health.cooldown_left(NOW), Some(Duration::from_secs(5)));

        let limited = Health::default();
        assert!(policy.record_failure(
            &limited,
            FailureClass::RateLimited,
            Some(Duration::from_secs(30)),
            false,
            NOW
        ));
        assert_eq!(limited.cooldown_left(NOW), Some(Duration::from_secs(30)));

        let fine = Health::default();
        for _ in 0..10 {
            assert!(!policy.record_failure(&fine, FailureClass::BadRequest, None, false, NOW));
        }
        assert!(
            !policy.record_failure(&fine, FailureClass::RateLimited, None, true, NOW),
            "sole deployment"
        );
    }

    #[test]
    fn fallbacks_by_class() {
        let mut policy = Policy::default();
        policy
            .fallbacks
            .general
            .insert("gpt".into(), vec!["claude".into(), "gpt".into()]);
        policy
            .fallbacks
            .context_window
            .insert("gpt".into(), vec!["gpt-long".into()]);
        policy.fallbacks.default = vec!["cheap".into()];
        assert_eq!(
            policy.fallbacks_for("gpt", FailureClass::ServerError),
            ["claude"]
        );
        assert_eq!(
            policy.fallbacks_for("gpt", FailureClass::ContextWindow),
            ["gpt-long"]
        );
        assert!(
            policy
                .fallbacks_for("gpt", FailureClass::ContentPolicy)
                .is_empty()
        );
        assert!(
            policy
                .fallbacks_for("gpt", FailureClass::BadRequest)
                .is_empty()
        );
        assert_eq!(
            policy.fallbacks_for("other", FailureClass::Timeout),
            ["cheap"]
        );
        policy.max_fallbacks = 0;
        assert!(
            policy
                .fallbacks_for("gpt", FailureClass::ServerError)
                .is_empty()
        );
    }
}
