//! What the router knows about each deployment right now: requests in
//! flight, how fast it answers, how often it fails, whether it is cooling
//! down, and its usage this minute against its `rpm`/`tpm`.
//!
//! Health outlives config reloads: a [`HealthBook`] hands the same state to
//! a deployment with the same id in the next runtime.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

const MINUTE_MS: i64 = 60_000;
/// Weight of a new latency sample in the moving average.
const EWMA_ALPHA: f64 = 0.2;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain counters: a poisoned lock holds nothing worse than stale numbers.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Requests and tokens in one calendar minute.
#[derive(Debug, Default, Clone, Copy)]
struct Minute {
    minute: i64,
    requests: u64,
    tokens: u64,
    failures: u32,
    successes: u32,
}

impl Minute {
    fn roll(&mut self, now_ms: i64) -> &mut Minute {
        let minute = now_ms.div_euclid(MINUTE_MS);
        if minute != self.minute {
            *self = Minute {
                minute,
                ..Minute::default()
            };
        }
        self
    }
}

/// The live state of one deployment.
#[derive(Debug, Default)]
pub struct Health {
    in_flight: AtomicU32,
    /// Moving average of the time to the first byte, in µs (f64 bits);
    /// zero until the first sample.
    latency_us: AtomicU64,
    cooldown_until_ms: AtomicI64,
    minute: Mutex<Minute>,
}

impl Health {
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The moving average time to first byte; `None` before any sample.
    pub fn latency(&self) -> Option<Duration> {
        let micros = f64::from_bits(self.latency_us.load(Ordering::Relaxed));
        (micros > 0.0).then(|| Duration::from_secs_f64(micros / 1e6))
    }

    /// Counts a request as started; the guard ends it.
    pub fn start(self: &Arc<Health>, now_ms: i64) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        lock(&self.minute).roll(now_ms).requests += 1;
        InFlight {
            health: Arc::clone(self),
        }
    }

    /// A success: the latency joins the average, the tokens the minute.
    pub fn succeeded(&self, first_byte: Duration, tokens: u64, now_ms: i64) {
        let sample = first_byte.as_secs_f64() * 1e6;
        let mut current = self.latency_us.load(Ordering::Relaxed);
        loop {
            let old = f64::from_bits(current);
            let new = if old > 0.0 {
                old + EWMA_ALPHA * (sample - old)
            } else {
                sample
            };
            match self.latency_us.compare_exchange_weak(
                current,
                new.to_bits(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        let mut minute = lock(&self.minute);
        let minute = minute.roll(now_ms);
        minute.tokens += tokens;
        minute.successes += 1;
    }

    /// Adds tokens a request used to this minute (known when it ends).
    pub fn add_tokens(&self, tokens: u64, now_ms: i64) {
        lock(&self.minute).roll(now_ms).tokens += tokens;
    }

    /// Counts a failure that says something about the deployment; returns
    /// how many such failures it had this minute.
    pub fn failed(&self, now_ms: i64) -> u32 {
        let mut minute = lock(&self.minute);
        let minute = minute.roll(now_ms);
        minute.failures += 1;
        minute.failures
    }

    /// Takes the deployment out of every pick until `until_ms`.
    pub fn cool_down(&self, until_ms: i64) {
        self.cooldown_until_ms
            .fetch_max(until_ms, Ordering::Relaxed);
    }

    /// Ends a cooldown early (a health check passed).
    pub fn recover(&self) {
        self.cooldown_until_ms.store(0, Ordering::Relaxed);
    }

    /// How long the cooldown still lasts, if any.
    pub fn cooldown_left(&self, now_ms: i64) -> Option<Duration> {
        let until = self.cooldown_until_ms.load(Ordering::Relaxed);
        (until > now_ms).then(|| Duration::from_millis(u64::try_from(until - now_ms).unwrap_or(0)))
    }

    /// This minute's (requests, tokens, failures, successes).
    pub fn this_minute(&self, now_ms: i64) -> (u64, u64, u32, u32) {
        let mut minute = lock(&self.minute);
        let minute = minute.roll(now_ms);
        (
            minute.requests,
            minute.tokens,
            minute.failures,
            minute.successes,
        )
    }
}

/// A request in flight on a deployment; dropping it ends the request.
#[derive(Debug)]
pub struct InFlight {
    health: Arc<Health>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.health.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Recent latencies of a model group, for hedging: when a request has waited
/// longer than the group's p-th percentile, a second attempt starts.
#[derive(Debug, Default)]
pub struct GroupLatency {
    /// The last samples, in µs, oldest first.
    samples: Mutex<std::collections::VecDeque<u64>>,
}

/// Samples a group keeps.
const GROUP_SAMPLES: usize = 256;

impl GroupLatency {
    pub fn record(&self, latency: Duration) {
        let mut samples = lock(&self.samples);
        if samples.len() == GROUP_SAMPLES {
            samples.pop_front();
        }
        samples.push_back(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// The `percentile` (0 to 100) of the recent latencies, once there are
    /// at least `min_samples`.
    pub fn percentile(&self, percentile: f64, min_samples: usize) -> Option<Duration> {
        let samples = lock(&self.samples);
        if samples.len() < min_samples.max(1) {
            return None;
        }
        let mut sorted: Vec<u64> = samples.iter().copied().collect();
        drop(samples);
        sorted.sort_unstable();
        let rank = ((percentile / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted
            .get(rank.min(sorted.len() - 1))
            .map(|micros| Duration::from_micros(*micros))
    }
}

/// Health by deployment id, and latency by group name, kept across config
/// reloads.
#[derive(Debug, Default)]
pub struct HealthBook {
    entries: Mutex<HashMap<String, Arc<Health>>>,
    groups: Mutex<HashMap<String, Arc<GroupLatency>>>,
}

impl HealthBook {
    /// The latency window of group `name`, new or carried over.
    pub fn group(&self, name: &str) -> Arc<GroupLatency> {
        Arc::clone(lock(&self.groups).entry(name.to_string()).or_default())
    }

    /// The health of deployment `id`, new or carried over.
    pub fn get(&self, id: &str) -> Arc<Health> {
        Arc::clone(lock(&self.entries).entry(id.to_string()).or_default())
    }

    /// Forgets deployments no longer configured.
    pub fn retain(&self, ids: &[&str]) {
        lock(&self.entries).retain(|id, _| ids.contains(&id.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn in_flight_follows_guards() {
        let health = Arc::new(Health::default());
        let a = health.start(NOW);
        let b = health.start(NOW);
        assert_eq!(health.in_flight(), 2);
        drop(a);
        assert_eq!(health.in_flight(), 1);
        drop(b);
        assert_eq!(health.this_minute(NOW).0, 2);
    }

    #[test]
    fn latency_is_a_moving_average() {
        let health = Health::default();
        assert_eq!(health.latency(), None);
        health.succeeded(Duration::from_millis(100), 0, NOW);
        assert_eq!(health.latency(), Some(Duration::from_millis(100)));
        health.succeeded(Duration::from_millis(200), 0, NOW);
        let latency = health.latency().unwrap().as_secs_f64();
        assert!((latency - 0.12).abs() < 1e-9, "{latency}");
    }

    #[test]
    fn cooldowns_and_minutes() {
        let health = Health::default();
        assert_eq!(health.failed(NOW), 1);
        assert_eq!(health.failed(NOW + 1), 2);
        assert_eq!(
            health.failed(NOW + MINUTE_MS),
            1,
            "a new minute starts over"
        );
        health.cool_down(NOW + 5_000);
        assert_eq!(health.cooldown_left(NOW), Some(Duration::from_secs(5)));
        assert_eq!(health.cooldown_left(NOW + 5_000), None);
        health.cool_down(NOW + 9_000);
        health.recover();
        assert_eq!(health.cooldown_left(NOW), None);
    }

    #[test]
    fn group_percentiles() {
        let group = GroupLatency::default();
        assert_eq!(group.percentile(50.0, 1), None);
        for ms in 1..=100 {
            group.record(Duration::from_millis(ms));
        }
        assert_eq!(group.percentile(95.0, 20), Some(Duration::from_millis(95)));
        assert_eq!(group.percentile(50.0, 200), None, "not enough samples");
    }

    #[test]
    fn book_carries_health_over() {
        let book = HealthBook::default();
        let first = book.get("a");
        first.cool_down(NOW * 2);
        assert!(Arc::ptr_eq(&first, &book.get("a")));
        book.retain(&["b"]);
        assert!(!Arc::ptr_eq(&first, &book.get("a")));
    }
}
