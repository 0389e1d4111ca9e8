//! The accounting phase: turn what happened into the request's log record
//! and hand it to the batched writer, off the hot path (DESIGN.md §1).

use std::time::{Duration, Instant};

use switchboard_api::TokenUsage;
use switchboard_store::{LogRecord, LogWriter};

/// How a request ended, as accounting needs it.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    pub status: u16,
    pub usage: Option<TokenUsage>,
    pub error: Option<String>,
    /// When the first byte of the answer arrived (streams).
    pub first_byte_at: Option<Instant>,
}

/// Completes `record` with the outcome and queues it.
pub fn finish(
    writer: Option<&LogWriter>,
    mut record: LogRecord,
    started: Instant,
    overhead: Duration,
    completion: Completion,
) {
    let Some(writer) = writer else { return };
    record.latency_ms = millis(started.elapsed());
    record.overhead_ms = Some(millis(overhead));
    record.ttft_ms = completion
        .first_byte_at
        .map(|at| millis(at.saturating_duration_since(started)));
    record.status = completion.status;
    record.error = completion.error;
    if let Some(usage) = completion.usage {
        record.input_tokens = usage.input_tokens;
        record.output_tokens = usage.output_tokens;
        record.cached_tokens = usage.cached_input_tokens;
        record.cache_write_tokens = usage.cache_write_tokens;
        record.reasoning_tokens = usage.reasoning_tokens;
    }
    writer.record(record);
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
