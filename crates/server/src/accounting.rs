//! The accounting phase: when a request ends, its usage becomes a cost, the
//! cost settles the governance admission (spend on every principal), and the
//! log record goes to the batched writer, off the hot path (DESIGN.md §1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use switchboard_api::TokenUsage;
use switchboard_governance::Admission;
use switchboard_router::Deployment;
use switchboard_store::{LogRecord, LogWriter};

use crate::callbacks::Callbacks;
use crate::metrics::Metrics;
use crate::runtime::Runtime;
use crate::telemetry::{Marks, Telemetry, TraceContext, request_spans};

/// How a request ended, as accounting needs it.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    pub status: u16,
    pub usage: Option<TokenUsage>,
    pub error: Option<String>,
    /// When the first byte of the answer arrived (streams).
    pub first_byte_at: Option<Instant>,
    /// Times between the stream's chunks.
    pub chunk_gaps: Vec<Duration>,
    /// What the client received (its first [`LOGGED_BODY_BYTES`]), when
    /// bodies are logged.
    pub response_body: Option<Bytes>,
}

/// Bytes of a request or response body the request log keeps at most.
pub const LOGGED_BODY_BYTES: usize = 256 * 1024;

/// One upstream attempt, as the request log (`attempt_log`) and the trace
/// (a client span each) show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttemptRecord {
    pub group: String,
    pub deployment: String,
    /// 200, or the failure's status.
    pub status: u16,
    pub error: Option<String>,
    pub ms: f64,
    /// Started by hedging rather than by a failure.
    pub hedge: bool,
    /// Milliseconds from the request's start to the attempt's.
    pub start_ms: f64,
    /// The attempt's trace span id (hex), when traced.
    pub span_id: Option<String>,
}

/// What prices a request: the deployment that served it, in the runtime
/// it was routed with.
#[derive(Debug, Clone)]
pub struct Pricing {
    pub runtime: Arc<Runtime>,
    pub deployment: Arc<Deployment>,
    pub upstream_model: String,
}

impl Pricing {
    pub fn cost(&self, usage: &TokenUsage) -> Option<f64> {
        self.runtime
            .prices
            .cost(&self.deployment, &self.upstream_model, usage)
    }
}

/// Everything accounting needs once the request ends. The proxy fills it as
/// the phases learn more; for a stream it moves into the relay's callback.
#[derive(Debug, Default)]
pub struct Ledger {
    pub writer: Option<LogWriter>,
    pub metrics: Option<Arc<Metrics>>,
    pub callbacks: Callbacks,
    pub telemetry: Telemetry,
    /// The request's trace: set when traces are exported or the client
    /// sent a `traceparent` (which upstream requests then carry on).
    pub trace: Option<TraceContext>,
    /// When the gateway's phases ended (the trace's phase spans).
    pub marks: Marks,
    /// The request's start, nanoseconds since the epoch (span times).
    pub start_unix_nanos: u64,
    pub record: LogRecord,
    pub admission: Option<Admission>,
    pub pricing: Option<Pricing>,
    /// The upstream attempts, in order (serialized into the record's
    /// `attempt_log` only when someone reads the record).
    pub attempts: Vec<AttemptRecord>,
    /// The client's request body: set when bodies are logged
    /// (`Runtime::log_bodies`), and only then is the response kept too.
    pub request_body: Option<Bytes>,
}

impl Ledger {
    /// Prices the usage, settles the admission, queues the record; returns
    /// the cost (`None` when unknown).
    /// Whether the response body is wanted for the log.
    pub fn wants_bodies(&self) -> bool {
        self.request_body.is_some()
    }

    /// Keeps the request body for the log when the runtime logs bodies and
    /// a writer will write it.
    pub fn keep_request_body(&mut self, log_bodies: bool, body: &Bytes) {
        if log_bodies && self.writer.is_some() {
            self.request_body = Some(body.clone());
        }
    }

    pub fn close(
        mut self,
        started: Instant,
        overhead: Duration,
        completion: Completion,
    ) -> Option<f64> {
        let cost = match (&self.pricing, &completion.usage) {
            (Some(pricing), Some(usage)) => pricing.cost(usage),
            _ => None,
        };
        if let Some(admission) = self.admission.take() {
            let tokens = completion.usage.map_or(0, |u| u.total());
            admission.settle(cost.unwrap_or(0.0), tokens);
        }
        if self.writer.is_none()
            && self.metrics.is_none()
            && self.callbacks.is_empty()
            && !self.telemetry.is_enabled()
        {
            return cost;
        }
        let mut record = self.record;
        record.latency_ms = millis(started.elapsed());
        record.overhead_ms = Some(millis(overhead));
        record.ttft_ms = completion
            .first_byte_at
            .map(|at| millis(at.saturating_duration_since(started)));
        record.status = completion.status;
        if !self.attempts.is_empty() {
            record.attempts = u32::try_from(self.attempts.len()).unwrap_or(u32::MAX);
            record.attempt_log = serde_json::to_string(&self.attempts).ok();
        }
        record.error = completion.error;
        if let Some(body) = &self.request_body {
            record.request_body = Some(logged_text(body));
            record.response_body = completion.response_body.as_deref().map(logged_text);
        }
        record.cost = cost;
        if let Some(usage) = completion.usage {
            record.input_tokens = usage.input_tokens;
            record.output_tokens = usage.output_tokens;
            record.cached_tokens = usage.cached_input_tokens;
            record.cache_write_tokens = usage.cache_write_tokens;
            record.reasoning_tokens = usage.reasoning_tokens;
        }
        if let Some(metrics) = &self.metrics {
            metrics.observe(&record, &completion.chunk_gaps);
        }
        self.callbacks.record(&record);
        if let Some(trace) = &self.trace
            && self.telemetry.is_enabled()
        {
            let spans = request_spans(
                trace,
                self.start_unix_nanos,
                &record,
                &self.marks,
                &self.attempts,
            );
            if !spans.is_empty() {
                self.telemetry.export(spans);
            }
        }
        if let Some(writer) = self.writer {
            writer.record(record);
        }
        cost
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A body as the request log keeps it: text, cut at [`LOGGED_BODY_BYTES`]
/// with a note saying how much was left out.
fn logged_text(body: &[u8]) -> String {
    if body.len() <= LOGGED_BODY_BYTES {
        return String::from_utf8_lossy(body).into_owned();
    }
    let mut text = String::from_utf8_lossy(&body[..LOGGED_BODY_BYTES]).into_owned();
    text.push_str(&format!(
        " [... {} more bytes not logged]",
        body.len() - LOGGED_BODY_BYTES
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_bodies_are_cut_with_a_note() {
        assert_eq!(logged_text(b"{\"a\":1}"), "{\"a\":1}");
        let big = vec![b'x'; LOGGED_BODY_BYTES + 10];
        let text = logged_text(&big);
        assert!(text.starts_with("xxx"));
        assert!(text.ends_with(" [... 10 more bytes not logged]"));
    }
}
