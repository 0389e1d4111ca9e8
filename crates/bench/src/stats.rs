//! Latency samples and their percentiles.
//!
//! Every sample is kept (8 bytes each; a million requests is 8 MB), so the percentiles are
//! exact rather than bucketed, and recording one is a `Vec::push`.

use serde::Serialize;

/// Percentiles of a set of durations, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    #[serde(rename = "p99.9")]
    pub p99_9: f64,
    pub max: f64,
}

/// The nearest-rank percentile of sorted samples: the smallest sample such that at least
/// `q` (0..=1) of all samples are less than or equal to it. `None` when there are no samples.
pub fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    // rank = ceil(q * n), 1-based, clamped to 1..=n. The product is computed in f64; the
    // small epsilon keeps exact products (0.99 * 100 = 99.00000000000001) from rounding up.
    let exact = q.clamp(0.0, 1.0) * n as f64;
    let rank = ((exact - 1e-9).ceil() as usize).clamp(1, n);
    sorted.get(rank - 1).copied()
}

fn micros(ns: u64) -> f64 {
    // One decimal: 0.1 µs is far below the noise of anything measured here.
    (ns as f64 / 100.0).round() / 10.0
}

/// Sorts `samples` (nanoseconds) in place and summarises them in microseconds.
pub fn summarize(samples: &mut [u64]) -> Option<Summary> {
    samples.sort_unstable();
    let at = |q| percentile(samples, q).map_or(0.0, micros);
    let max = *samples.last()?;
    let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
    Some(Summary {
        count: samples.len() as u64,
        mean: micros((sum / samples.len() as u128) as u64),
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        p99_9: at(0.999),
        max: micros(max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_one_to_hundred() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 0.50), Some(50));
        assert_eq!(percentile(&samples, 0.90), Some(90));
        assert_eq!(percentile(&samples, 0.99), Some(99));
        assert_eq!(percentile(&samples, 0.999), Some(100));
        assert_eq!(percentile(&samples, 1.0), Some(100));
        assert_eq!(percentile(&samples, 0.0), Some(1));
    }

    #[test]
    fn nearest_rank_on_thousand() {
        let samples: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&samples, 0.999), Some(999));
        assert_eq!(percentile(&samples, 0.5), Some(500));
        assert_eq!(percentile(&samples, 0.501), Some(501));
    }

    #[test]
    fn single_and_empty() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.5), Some(7));
        assert_eq!(percentile(&[7], 0.999), Some(7));
        assert!(summarize(&mut []).is_none());
    }

    #[test]
    fn summary_sorts_and_converts_to_micros() {
        // 1..=1000 µs in nanoseconds, shuffled by reversing.
        let mut samples: Vec<u64> = (1..=1000).rev().map(|us| us * 1000).collect();
        let s = summarize(&mut samples).unwrap();
        assert_eq!(s.count, 1000);
        assert_eq!(s.p50, 500.0);
        assert_eq!(s.p90, 900.0);
        assert_eq!(s.p99, 990.0);
        assert_eq!(s.p99_9, 999.0);
        assert_eq!(s.max, 1000.0);
        assert_eq!(s.mean, 500.5);
    }

    #[test]
    fn sub_microsecond_precision_is_one_decimal() {
        let mut samples = vec![12_345, 12_355];
        let s = summarize(&mut samples).unwrap();
        assert_eq!(s.p50, 12.3);
        assert_eq!(s.max, 12.4);
    }
}
