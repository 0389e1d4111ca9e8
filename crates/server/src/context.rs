//! The per-request context the phases share (Pingora's `CTX`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use switchboard_store::LogRecord;

use crate::accounting::Ledger;
use crate::auth::Principal;

/// Request id header, echoed or created.
pub const REQUEST_ID: &str = "x-request-id";
/// Time the gateway itself spent, in milliseconds: total time to the response
/// headers minus the time spent waiting on the upstream (LiteLLM's header
/// name, so existing dashboards keep working).
pub const OVERHEAD: &str = "x-litellm-overhead-duration-ms";

#[derive(Debug)]
pub struct RequestContext {
    pub request_id: HeaderValue,
    pub started: Instant,
    /// Time spent waiting for upstream response headers.
    pub upstream_wait: Duration,
    /// Set by the auth phase. Only authenticated requests are logged, so
    /// that anonymous traffic cannot fill the log store.
    pub principal: Option<Principal>,
    /// The request's log record, admission and pricing, filled in by each
    /// phase as it learns more.
    pub ledger: Ledger,
}

impl RequestContext {
    pub fn start(headers: &HeaderMap, route: &str, call_type: &str) -> RequestContext {
        let started = Instant::now();
        let request_id = headers
            .get(REQUEST_ID)
            .filter(|v| is_reasonable_id(v))
            .cloned()
            .unwrap_or_else(new_request_id);
        let now = SystemTime::now();
        let record = LogRecord {
            id: uuid_text(),
            request_id: request_id.to_str().unwrap_or_default().to_string(),
            started_at: unix_millis(now),
            route: route.to_string(),
            call_type: call_type.to_string(),
            attempts: 0,
            ..LogRecord::default()
        };
        RequestContext {
            request_id,
            started,
            upstream_wait: Duration::ZERO,
            principal: None,
            ledger: Ledger {
                record,
                start_unix_nanos: now
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
                ..Ledger::default()
            },
        }
    }

    /// The gateway's own time so far, as the overhead header's value.
    pub fn overhead_header(&self) -> HeaderValue {
        let millis = self.overhead().as_secs_f64() * 1000.0;
        HeaderValue::try_from(format!("{millis:.3}")).unwrap_or(HeaderValue::from_static("0"))
    }

    pub fn overhead(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.upstream_wait)
    }

    pub fn id(&self) -> &str {
        self.request_id.to_str().unwrap_or_default()
    }

    /// The record of the request's log entry.
    pub fn record(&mut self) -> &mut LogRecord {
        &mut self.ledger.record
    }

    /// Takes the ledger for accounting (once).
    pub fn take_ledger(&mut self) -> Ledger {
        std::mem::take(&mut self.ledger)
    }
}

fn unix_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A client-chosen id is echoed if it is printable and short, so that logs
/// cannot be flooded or forged with control characters.
fn is_reasonable_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// A random UUID (v4) as text. Ids need uniqueness, not secrecy, so a fast
/// thread-local generator is used instead of a syscall per request.
pub(crate) fn uuid_text() -> String {
    let bytes = fastrand::u128(..).to_le_bytes();
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut buffer = uuid::Uuid::encode_buffer();
    id.hyphenated().encode_lower(&mut buffer).to_string()
}

fn new_request_id() -> HeaderValue {
    HeaderValue::from_str(&uuid_text()).unwrap_or(HeaderValue::from_static("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_good_ids_and_replaces_bad_ones() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("abc-123"));
        let ctx = RequestContext::start(&headers, "/x", "chat_completions");
        assert_eq!(ctx.id(), "abc-123");
        assert_eq!(ctx.ledger.record.request_id, "abc-123");
        assert_ne!(ctx.ledger.record.id, "abc-123");
        headers.insert(REQUEST_ID, HeaderValue::from_static("has space"));
        let id = RequestContext::start(&headers, "/x", "c").id().to_string();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(RequestContext::start(&HeaderMap::new(), "/x", "c").id(), id);
    }
}
