//! W3C Trace Context (`traceparent`): the trace a request belongs to,
//! continued from the client's header or started here, and the header the
//! gateway sends upstream so the provider's spans (if any) join it.

use http::{HeaderMap, HeaderValue};

/// A request's place in a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    /// The client's span, when it sent one.
    pub parent_span_id: Option<[u8; 8]>,
    /// The gateway's span for this request.
    pub span_id: [u8; 8],
    /// The client's sampled flag (set when the trace starts here).
    pub sampled: bool,
}

pub const TRACEPARENT: &str = "traceparent";

impl TraceContext {
    /// Continues the client's trace, or starts one.
    pub fn from_headers(headers: &HeaderMap) -> TraceContext {
        let parsed = headers
            .get(TRACEPARENT)
            .and_then(|v| v.to_str().ok())
            .and_then(parse);
        match parsed {
            Some((trace_id, parent, flags)) => TraceContext {
                trace_id,
                parent_span_id: Some(parent),
                span_id: new_span_id(),
                sampled: flags & 1 == 1,
            },
            None => TraceContext {
                trace_id: new_trace_id(),
                parent_span_id: None,
                span_id: new_span_id(),
                sampled: true,
            },
        }
    }

    /// Whether the client sent a trace to continue.
    pub fn continued(&self) -> bool {
        self.parent_span_id.is_some()
    }

    /// The `traceparent` of a request made by span `span_id` of this trace.
    pub fn header_for(&self, span_id: [u8; 8]) -> HeaderValue {
        let text = format!(
            "00-{}-{}-{:02x}",
            hex(&self.trace_id),
            hex(&span_id),
            u8::from(self.sampled)
        );
        HeaderValue::try_from(text).unwrap_or(HeaderValue::from_static(""))
    }
}

/// `version-traceid-parentid-flags`, version 00 (later versions are read as
/// 00, as the specification asks); all-zero ids are invalid.
fn parse(text: &str) -> Option<([u8; 16], [u8; 8], u8)> {
    let mut parts = text.trim().split('-');
    let version = parts.next()?;
    let trace = parts.next()?;
    let parent = parts.next()?;
    let flags = parts.next()?;
    if version.len() != 2 || version == "ff" || (version == "00" && parts.next().is_some()) {
        return None;
    }
    let trace_id: [u8; 16] = unhex(trace)?;
    let parent_id: [u8; 8] = unhex(parent)?;
    let flags: [u8; 1] = unhex(flags)?;
    if trace_id == [0; 16] || parent_id == [0; 8] {
        return None;
    }
    Some((trace_id, parent_id, flags[0]))
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn new_span_id() -> [u8; 8] {
    loop {
        let id = fastrand::u64(..).to_be_bytes();
        if id != [0; 8] {
            return id;
        }
    }
}

fn new_trace_id() -> [u8; 16] {
    loop {
        let id = fastrand::u128(..).to_be_bytes();
        if id != [0; 16] {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(TRACEPARENT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_valid_traceparent_is_continued() {
        let ctx = TraceContext::from_headers(&headers(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ));
        assert_eq!(hex(&ctx.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            ctx.parent_span_id.map(|p| hex(&p)).as_deref(),
            Some("00f067aa0ba902b7")
        );
        assert!(ctx.sampled && ctx.continued());
        let upstream = ctx.header_for([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            upstream,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01"
        );
    }

    #[test]
    fn invalid_traceparents_start_a_new_trace() {
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "garbage",
        ] {
            let ctx = TraceContext::from_headers(&headers(bad));
            assert!(!ctx.continued(), "{bad}");
            assert_ne!(ctx.trace_id, [0; 16]);
        }
        // A later version with more fields is read as version 00.
        let later = TraceContext::from_headers(&headers(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more",
        ));
        assert!(later.continued() && !later.sampled);
    }
}
