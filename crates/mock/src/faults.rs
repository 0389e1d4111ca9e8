//! Per-request behaviour: error injection, latency, pacing and cuts.
//!
//! A request's behaviour comes from four sources, highest priority first: a queued [`Fault`]
//! (consumed one per inference request, FIFO), `x-mock-*` request headers, a `[mock:k=v,...]`
//! directive in the last user message, and the server's [`MockConfig`]. Each knob is merged
//! on its own, so a header can set the status while the config still supplies the chunk count.
//! Chaos ([`crate::chaos`]) comes last and only to requests that none of these gave a fault.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use http::HeaderMap;
use serde::Deserialize;

use crate::chaos::Roll;
use crate::config::MockConfig;

/// Upper bound on the pieces a reply is split into, so a typo cannot make the mock allocate
/// gigabytes.
const MAX_CHUNKS: usize = 65_536;

/// A one-shot override of the mock's behaviour for the next inference request.
///
/// Every field is optional; unset fields fall back to headers, the in-message directive and
/// then the server config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// Response status. `>= 400` returns an error in the provider's shape instead of an answer.
    pub status: Option<u16>,
    /// Delay before the response headers.
    pub latency_ms: Option<u64>,
    /// Delay after the headers, before the first body byte.
    pub first_byte_ms: Option<u64>,
    /// Streams: abort the connection after this many content events (no `[DONE]`, no final
    /// event).
    /// Non-streams: send the headers and half of the body, then abort.
    pub cut_after: Option<usize>,
    /// Adds `Retry-After: N` to an error response.
    pub retry_after: Option<u64>,
    /// Streams: after this many content events, send the provider's in-stream error event (typed
    /// by `status` when it is `>= 400`, else as the provider's "overloaded"/server error) and end
    /// the stream. The response itself is a 200. Ignored by non-stream responses.
    pub error_after: Option<usize>,
    /// Number of content pieces in the reply.
    pub chunks: Option<usize>,
    /// Delay between stream events.
    pub chunk_delay_ms: Option<u64>,
    /// Why an error `status` happened, when it matters to the client: the
    /// error then carries the provider's wording for that cause.
    pub reason: Option<ErrorReason>,
}

/// Causes of an error that clients (and gateways) tell apart by the error's
/// code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorReason {
    /// The prompt does not fit the model's context window.
    ContextLength,
    /// The provider's safety system refused the request.
    ContentPolicy,
}

impl ErrorReason {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "context_length" => Some(Self::ContextLength),
            "content_policy" => Some(Self::ContentPolicy),
            _ => None,
        }
    }
}

/// One source's overrides, before merging. The same keys are used by faults, `x-mock-*`
/// headers and `[mock:...]` directives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Knobs {
    status: Option<u16>,
    latency_ms: Option<u64>,
    first_byte_ms: Option<u64>,
    cut_after: Option<usize>,
    retry_after: Option<u64>,
    error_after: Option<usize>,
    chunks: Option<usize>,
    chunk_delay_ms: Option<u64>,
    reason: Option<ErrorReason>,
    /// Call the first two tools at once (headers and directives only).
    parallel: Option<bool>,
}

impl From<Fault> for Knobs {
    fn from(f: Fault) -> Self {
        Self {
            status: f.status,
            latency_ms: f.latency_ms,
            first_byte_ms: f.first_byte_ms,
            cut_after: f.cut_after,
            retry_after: f.retry_after,
            error_after: f.error_after,
            chunks: f.chunks,
            chunk_delay_ms: f.chunk_delay_ms,
            reason: f.reason,
            parallel: None,
        }
    }
}

impl Knobs {
    /// Reads the `x-mock-*` headers. Values that do not parse are ignored.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut knobs = Self::default();
        for (name, value) in headers {
            if let Some(key) = name.as_str().strip_prefix("x-mock-")
                && let Ok(value) = value.to_str()
            {
                knobs.set(key, value);
            }
        }
        knobs
    }

    /// Reads the first `[mock:key=value,...]` directive in `text`, if any. A bare key means
    /// `key=true` (`[mock:parallel]`).
    pub(crate) fn from_directive(text: &str) -> Self {
        let mut knobs = Self::default();
        // Cheap check first: almost no message carries a directive.
        let Some(start) = text.find("[mock:") else {
            return knobs;
        };
        let rest = &text[start + "[mock:".len()..];
        let Some(end) = rest.find(']') else {
            return knobs;
        };
        for pair in rest[..end].split(',') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, "true"));
            knobs.set(key.trim(), value.trim());
        }
        knobs
    }

    /// The directive of `text`, if there is a text.
    pub(crate) fn from_text(text: Option<&str>) -> Self {
        text.map_or_else(Self::default, Self::from_directive)
    }

    /// Field-wise merge: a knob set in `self` wins over the same knob in `lower`.
    pub(crate) fn or(self, lower: Self) -> Self {
        Self {
            status: self.status.or(lower.status),
            latency_ms: self.latency_ms.or(lower.latency_ms),
            first_byte_ms: self.first_byte_ms.or(lower.first_byte_ms),
            cut_after: self.cut_after.or(lower.cut_after),
            retry_after: self.retry_after.or(lower.retry_after),
            error_after: self.error_after.or(lower.error_after),
            chunks: self.chunks.or(lower.chunks),
            chunk_delay_ms: self.chunk_delay_ms.or(lower.chunk_delay_ms),
            reason: self.reason.or(lower.reason),
            parallel: self.parallel.or(lower.parallel),
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        match key {
            // Only real HTTP status codes; anything else would fail to build a response.
            "status" => self.status = value.parse().ok().filter(|s| (100..=999).contains(s)),
            "latency-ms" => self.latency_ms = value.parse().ok(),
            "first-byte-ms" => self.first_byte_ms = value.parse().ok(),
            "cut-after" => self.cut_after = value.parse().ok(),
            "retry-after" => self.retry_after = value.parse().ok(),
            "error-after" => self.error_after = value.parse().ok(),
            "chunks" => self.chunks = value.parse().ok(),
            "chunk-delay-ms" => self.chunk_delay_ms = value.parse().ok(),
            "reason" => self.reason = ErrorReason::parse(value),
            "parallel" => self.parallel = value.parse().ok(),
            _ => {}
        }
    }
}

/// The merged behaviour of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Behavior {
    pub(crate) status: Option<u16>,
    pub(crate) latency: Duration,
    pub(crate) first_byte: Duration,
    pub(crate) cut_after: Option<usize>,
    /// Streams: cut right after the headers, before the first event (chaos). Non-streams:
    /// cut halfway through the body, as with `cut_after`.
    pub(crate) cut_at_start: bool,
    pub(crate) retry_after: Option<u64>,
    pub(crate) error_after: Option<usize>,
    /// Always in `1..=MAX_CHUNKS`.
    pub(crate) chunks: usize,
    pub(crate) chunk_delay: Duration,
    pub(crate) reason: Option<ErrorReason>,
    pub(crate) parallel: bool,
}

impl Behavior {
    /// Merges the sources in priority order: queued fault > headers > directive > config.
    pub(crate) fn resolve(
        queued: Option<Fault>,
        headers: Knobs,
        directive: Knobs,
        config: &MockConfig,
    ) -> Self {
        let k = queued
            .map(Knobs::from)
            .unwrap_or_default()
            .or(headers)
            .or(directive);
        let ms = |v: Option<u64>, default: Duration| v.map_or(default, Duration::from_millis);
        Self {
            status: k.status,
            latency: ms(k.latency_ms, config.latency),
            first_byte: ms(k.first_byte_ms, Duration::ZERO),
            cut_after: k.cut_after,
            cut_at_start: false,
            retry_after: k.retry_after,
            error_after: k.error_after,
            chunks: k.chunks.unwrap_or(config.chunks).clamp(1, MAX_CHUNKS),
            chunk_delay: ms(k.chunk_delay_ms, config.chunk_delay),
            reason: k.reason,
            parallel: k.parallel.unwrap_or(false),
        }
    }

    /// Whether a deterministic source asked for a status, a cut or an in-stream error.
    pub(crate) fn has_fault(&self) -> bool {
        self.status.is_some() || self.cut_after.is_some() || self.error_after.is_some()
    }

    /// Whether the response is cut (streams: where is up to the stream).
    pub(crate) fn cuts(&self) -> bool {
        self.cut_after.is_some() || self.cut_at_start
    }

    /// Applies what the chaos dice decided: a 500, or a cut (of a stream: before its first
    /// event, or after its first content event when `after_first_event`).
    pub(crate) fn with_chaos(self, roll: Roll, after_first_event: bool) -> Self {
        match roll {
            Roll::Pass => self,
            Roll::Fail => Self {
                status: Some(500),
                ..self
            },
            Roll::Cut if after_first_event => Self {
                cut_after: Some(1),
                ..self
            },
            Roll::Cut => Self {
                cut_at_start: true,
                ..self
            },
        }
    }
}

/// FIFO of queued faults. The lock is held only to push or pop, never across an await.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: Mutex<VecDeque<Fault>>,
}

impl FaultQueue {
    pub(crate) fn push(&self, fault: Fault, count: usize) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.extend(std::iter::repeat_n(fault, count));
    }

    pub(crate) fn pop(&self) -> Option<Fault> {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }

    pub(crate) fn clear(&self) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_parses_keys_and_bare_flags() {
        let k = Knobs::from_directive("hi [mock:status=503, chunks=3,parallel] there");
        assert_eq!(k.status, Some(503));
        assert_eq!(k.chunks, Some(3));
        assert_eq!(k.parallel, Some(true));
        assert_eq!(Knobs::from_directive("no directive"), Knobs::default());
        assert_eq!(Knobs::from_directive("[mock:status=500"), Knobs::default());
    }

    #[test]
    fn priority_is_fault_then_headers_then_directive_then_config() {
        let mut headers = HeaderMap::new();
        headers.insert("x-mock-status", http::HeaderValue::from_static("502"));
        headers.insert("x-mock-chunks", http::HeaderValue::from_static("4"));
        let directive = Knobs::from_directive("[mock:status=400,chunks=2,latency-ms=7]");
        let fault = Fault {
            status: Some(429),
            ..Fault::default()
        };
        let config = MockConfig::default();
        let b = Behavior::resolve(
            Some(fault),
            Knobs::from_headers(&headers),
            directive,
            &config,
        );
        assert_eq!(b.status, Some(429));
        assert_eq!(b.chunks, 4);
        assert_eq!(b.latency, Duration::from_millis(7));
        assert_eq!(b.chunk_delay, config.chunk_delay);
    }

    #[test]
    fn chaos_sets_a_500_or_a_cut() {
        let plain = Behavior::resolve(
            None,
            Knobs::default(),
            Knobs::default(),
            &MockConfig::default(),
        );
        assert!(!plain.has_fault());
        assert_eq!(plain.with_chaos(Roll::Pass, false), plain);
        let failed = plain.with_chaos(Roll::Fail, false);
        assert_eq!(failed.status, Some(500));
        assert!(failed.has_fault() && !failed.cuts());
        let cut = plain.with_chaos(Roll::Cut, false);
        assert!(cut.cut_at_start && cut.cut_after.is_none() && cut.cuts());
        let late = plain.with_chaos(Roll::Cut, true);
        assert!(!late.cut_at_start && late.cut_after == Some(1));
        // A deterministic fault is a fault: the pipeline then leaves the dice alone.
        let directive = Knobs::from_directive("[mock:cut-after=3]");
        let b = Behavior::resolve(None, Knobs::default(), directive, &MockConfig::default());
        assert!(b.has_fault());
        let directive = Knobs::from_directive("[mock:chunks=3]");
        let b = Behavior::resolve(None, Knobs::default(), directive, &MockConfig::default());
        assert!(!b.has_fault());
    }

    #[test]
    fn invalid_values_are_ignored_and_chunks_clamped() {
        let k = Knobs::from_directive("[mock:status=abc,chunks=0]");
        let b = Behavior::resolve(None, Knobs::default(), k, &MockConfig::default());
        assert_eq!(b.status, None);
        assert_eq!(b.chunks, 1);
    }
}
