//! The open-loop schedule: request `i` is due at `start + i / rate`, whatever happened to the
//! requests before it. Latency is measured from that due time, not from the moment a
//! connection became free to send, so a stalled target is charged for every request it
//! delayed (no coordinated omission).
//!
//! Tokio's timer has millisecond granularity, far too coarse for 5,000 requests/s, so a
//! dedicated thread ([`pace`]) sleeps with the OS timer and releases the due times into a
//! channel that the connection tasks read.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

/// Fixed-interval send times.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    start: Instant,
    rate: f64,
    len: u64,
}

impl Schedule {
    /// `rate` requests per second over `duration`, the first one at `start`.
    pub fn new(start: Instant, rate: f64, duration: Duration) -> Self {
        let len = if rate > 0.0 {
            (rate * duration.as_secs_f64()).floor() as u64
        } else {
            0
        };
        Self { start, rate, len }
    }

    /// How many requests the schedule holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Offset of request `i` from the start. Computed from `i` (not by adding intervals), so
    /// rounding does not accumulate.
    pub fn offset(&self, i: u64) -> Duration {
        Duration::from_nanos((i as f64 * 1e9 / self.rate).round() as u64)
    }

    /// When request `i` is due.
    pub fn at(&self, i: u64) -> Instant {
        self.start + self.offset(i)
    }

    /// How many requests are due once `elapsed` has passed since the start (capped at
    /// [`len`](Self::len)).
    pub fn due(&self, elapsed: Duration) -> u64 {
        if self.len == 0 {
            return 0;
        }
        // Requests 0..=floor(elapsed * rate) are due; fix up the float estimate with `offset`,
        // which is what `at` uses, so `due` and `at` never disagree.
        let mut n = ((elapsed.as_secs_f64() * self.rate).floor() as u64 + 1).min(self.len);
        while n > 0 && self.offset(n - 1) > elapsed {
            n -= 1;
        }
        while n < self.len && self.offset(n) <= elapsed {
            n += 1;
        }
        n
    }
}

/// Sends every due time of `schedule` into `tx` as it comes due, then returns (dropping `tx`
/// closes the channel, which tells the connection tasks to finish). Runs on its own thread.
pub fn pace(schedule: Schedule, tx: UnboundedSender<Instant>) {
    let mut next = 0;
    while next < schedule.len() {
        let due = schedule.due(schedule.start.elapsed());
        while next < due {
            if tx.send(schedule.at(next)).is_err() {
                return; // every receiver is gone
            }
            next += 1;
        }
        if next < schedule.len() {
            let wait = schedule.at(next).saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_rate_times_duration() {
        let t0 = Instant::now();
        assert_eq!(
            Schedule::new(t0, 1000.0, Duration::from_secs(3)).len(),
            3000
        );
        assert_eq!(Schedule::new(t0, 2.5, Duration::from_secs(3)).len(), 7);
        assert_eq!(Schedule::new(t0, 0.0, Duration::from_secs(3)).len(), 0);
    }

    #[test]
    fn send_times_are_evenly_spaced_without_drift() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 3000.0, Duration::from_secs(10));
        assert_eq!(s.at(0), t0);
        assert_eq!(s.offset(1), Duration::from_nanos(333_333));
        assert_eq!(s.offset(2), Duration::from_nanos(666_667));
        assert_eq!(s.offset(3000), Duration::from_secs(1));
        assert_eq!(s.offset(29_999), Duration::from_nanos(9_999_666_667));
    }

    #[test]
    fn due_counts_requests_whose_time_has_come() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 5000.0, Duration::from_secs(1)); // every 200 µs
        assert_eq!(s.due(Duration::ZERO), 1);
        assert_eq!(s.due(Duration::from_micros(199)), 1);
        assert_eq!(s.due(Duration::from_micros(200)), 2);
        assert_eq!(s.due(Duration::from_micros(1_000)), 6);
        assert_eq!(s.due(Duration::from_secs(5)), 5000);
    }

    #[test]
    fn due_agrees_with_at_for_awkward_rates() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 7.0, Duration::from_secs(2));
        for i in 0..s.len() {
            let off = s.offset(i);
            assert_eq!(s.due(off), i + 1, "at request {i}");
            if let Some(before) = off.checked_sub(Duration::from_nanos(1)) {
                assert_eq!(s.due(before), i, "just before request {i}");
            }
        }
    }

    #[test]
    fn pacer_releases_every_time_in_order() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 20_000.0, Duration::from_millis(20));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        pace(s, tx);
        let mut times = Vec::new();
        while let Ok(t) = rx.try_recv() {
            times.push(t);
        }
        assert_eq!(times.len(), 400);
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        assert!(Instant::now() >= s.at(399));
    }
}
