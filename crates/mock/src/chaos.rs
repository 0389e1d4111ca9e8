//! Probabilistic faults: each inference request independently fails with a 500 or has its
//! connection cut, at configured rates ([`MockConfig::fail_rate`], [`MockConfig::cut_rate`]),
//! for chaos benchmarks of a gateway's retries and failover.
//!
//! The dice are a seeded SplitMix64 sequence over an atomic counter: one `fetch_add` per
//! request, no lock, and the same seed gives the same sequence of outcomes (the order in
//! which concurrent requests draw them is up to the scheduler). Deterministic faults (a
//! queued [`crate::Fault`], `x-mock-*` headers, `[mock:...]` directives) win: a request that
//! names a status, a cut or an in-stream error gets exactly that, and chaos stays out of it.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::config::MockConfig;

/// What the dice decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Roll {
    /// Served normally.
    Pass,
    /// A 500 in the provider's error shape.
    Fail,
    /// The response starts (200 and headers) and the connection is then cut: streams before
    /// their first event (or after the first content event, with
    /// [`MockConfig::cut_after_first_event`]), non-streams halfway through the body.
    Cut,
}

/// The dice and their tallies.
#[derive(Debug)]
pub(crate) struct Chaos {
    /// Probability of [`Roll::Fail`], in `0..=1`.
    fail_rate: f64,
    /// Probability of [`Roll::Cut`], in `0..=1 - fail_rate`.
    cut_rate: f64,
    state: AtomicU64,
    requests: AtomicU64,
    failed: AtomicU64,
    cut: AtomicU64,
}

/// The tallies of [`Chaos`], served at `GET /__mock/chaos`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChaosStats {
    /// Inference requests the dice were rolled for: those without a deterministic fault,
    /// also when both rates are 0 (so a healthy mock counts what it served).
    pub requests: u64,
    /// Of those, answered with an injected 500.
    pub failed: u64,
    /// Of those, cut.
    pub cut: u64,
}

/// SplitMix64's increment (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function: a bijective mix of the counter.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A sanitized probability: NaN and negatives are 0, values above 1 are 1.
fn probability(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

impl Chaos {
    pub(crate) fn new(config: &MockConfig) -> Self {
        let fail_rate = probability(config.fail_rate);
        Self {
            fail_rate,
            // Rates are of all requests, so together they cannot exceed 1.
            cut_rate: probability(config.cut_rate).min(1.0 - fail_rate),
            state: AtomicU64::new(config.seed),
            requests: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            cut: AtomicU64::new(0),
        }
    }

    /// Whether any fault can happen at all (the benchmarked default: no).
    pub(crate) fn active(&self) -> bool {
        self.fail_rate > 0.0 || self.cut_rate > 0.0
    }

    /// The next uniform number in `[0, 1)`.
    fn next_unit(&self) -> f64 {
        let z = self
            .state
            .fetch_add(GAMMA, Ordering::Relaxed)
            .wrapping_add(GAMMA);
        // The top 53 bits, exactly representable in an f64.
        (mix(z) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Rolls the dice for one request and counts the outcome.
    pub(crate) fn roll(&self) -> Roll {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !self.active() {
            return Roll::Pass;
        }
        let u = self.next_unit();
        if u < self.fail_rate {
            self.failed.fetch_add(1, Ordering::Relaxed);
            Roll::Fail
        } else if u < self.fail_rate + self.cut_rate {
            self.cut.fetch_add(1, Ordering::Relaxed);
            Roll::Cut
        } else {
            Roll::Pass
        }
    }

    pub(crate) fn stats(&self) -> ChaosStats {
        ChaosStats {
            requests: self.requests.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            cut: self.cut.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chaos(fail_rate: f64, cut_rate: f64, seed: u64) -> Chaos {
        Chaos::new(&MockConfig {
            fail_rate,
            cut_rate,
            seed,
            ..MockConfig::default()
        })
    }

    /// Rolls `n` times; returns the fractions of fails and cuts.
    fn fractions(c: &Chaos, n: u32) -> (f64, f64) {
        let (mut fails, mut cuts) = (0u32, 0u32);
        for _ in 0..n {
            match c.roll() {
                Roll::Fail => fails += 1,
                Roll::Cut => cuts += 1,
                Roll::Pass => {}
            }
        }
        (
            f64::from(fails) / f64::from(n),
            f64::from(cuts) / f64::from(n),
        )
    }

    #[test]
    fn rates_hold_within_statistical_tolerance() {
        // n = 100,000: the standard deviation of a fraction p is sqrt(p(1-p)/n) <= 0.0016,
        // so 0.01 is over 6 sigma for every seed.
        let n = 100_000;
        for seed in [0, 1, 42, u64::MAX] {
            let c = chaos(0.5, 0.1, seed);
            let (fail, cut) = fractions(&c, n);
            assert!((fail - 0.5).abs() < 0.01, "seed {seed}: fail {fail}");
            assert!((cut - 0.1).abs() < 0.01, "seed {seed}: cut {cut}");
            let stats = c.stats();
            assert_eq!(stats.requests, u64::from(n));
            assert_eq!(stats.failed as f64 / f64::from(n), fail);
            assert_eq!(stats.cut as f64 / f64::from(n), cut);
        }
        let (fail, cut) = fractions(&chaos(0.02, 0.3, 7), n);
        assert!((fail - 0.02).abs() < 0.005, "fail {fail}");
        assert!((cut - 0.3).abs() < 0.01, "cut {cut}");
    }

    #[test]
    fn zero_rates_never_fault_but_count_requests() {
        let c = chaos(0.0, 0.0, 3);
        assert!(!c.active());
        assert!((0..10_000).all(|_| c.roll() == Roll::Pass));
        assert_eq!(
            c.stats(),
            ChaosStats {
                requests: 10_000,
                failed: 0,
                cut: 0
            }
        );
    }

    #[test]
    fn full_rates_always_fault_and_are_capped_together() {
        let c = chaos(1.0, 0.5, 3);
        assert!((0..1_000).all(|_| c.roll() == Roll::Fail));
        let c = chaos(0.0, 1.0, 3);
        assert!((0..1_000).all(|_| c.roll() == Roll::Cut));
        // 0.7 + 0.6 > 1: the cut rate is what is left, 0.3.
        let (fail, cut) = fractions(&chaos(0.7, 0.6, 3), 100_000);
        assert!((fail - 0.7).abs() < 0.01, "fail {fail}");
        assert!((cut - 0.3).abs() < 0.01, "cut {cut}");
        // Nonsense rates are sanitized rather than trusted.
        let c = chaos(f64::NAN, -1.0, 3);
        assert!(!c.active());
    }

    #[test]
    fn a_seed_gives_a_repeatable_sequence() {
        let sequence = |seed| {
            let c = chaos(0.3, 0.3, seed);
            (0..256).map(|_| c.roll()).collect::<Vec<_>>()
        };
        assert_eq!(sequence(9), sequence(9));
        assert_ne!(sequence(9), sequence(10));
    }

    #[test]
    fn unit_numbers_stay_in_range() {
        let c = chaos(0.5, 0.0, u64::MAX - 1);
        for _ in 0..10_000 {
            let u = c.next_unit();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
    }
}
