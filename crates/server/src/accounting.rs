//! The accounting phase: when a request ends, its usage becomes a cost, the
//! cost settles the governance admission (spend on every principal), and the
//! log record goes to the batched writer, off the hot path (DESIGN.md §1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_api::TokenUsage;
use switchboard_governance::Admission;
use switchboard_router::Deployment;
use switchboard_store::{LogRecord, LogWriter};

use crate::runtime::Runtime;

/// How a request ended, as accounting needs it.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    pub status: u16,
    pub usage: Option<TokenUsage>,
    pub error: Option<String>,
    /// When the first byte of the answer arrived (streams).
    pub first_byte_at: Option<Instant>,
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
    pub record: LogRecord,
    pub admission: Option<Admission>,
    pub pricing: Option<Pricing>,
}

impl Ledger {
    /// Prices the usage, settles the admission, queues the record; returns
    /// the cost (`None` when unknown).
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
        let Some(writer) = self.writer.take() else {
            return cost;
        };
        let mut record = self.record;
        record.latency_ms = millis(started.elapsed());
        record.overhead_ms = Some(millis(overhead));
        record.ttft_ms = completion
            .first_byte_at
            .map(|at| millis(at.saturating_duration_since(started)));
        record.status = completion.status;
        record.error = completion.error;
        record.cost = cost;
        if let Some(usage) = completion.usage {
            record.input_tokens = usage.input_tokens;
            record.output_tokens = usage.output_tokens;
            record.cached_tokens = usage.cached_input_tokens;
            record.cache_write_tokens = usage.cache_write_tokens;
            record.reasoning_tokens = usage.reasoning_tokens;
        }
        writer.record(record);
        cost
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
