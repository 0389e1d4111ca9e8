//! The spans of one finished request, from its log record: the request
//! (server), the gateway's phases before the upstream (internal) and each
//! upstream attempt (client), with GenAI semantic-convention attributes.

use std::time::Duration;

use switchboard_store::LogRecord;

use super::otlp::{
    ExportTraceServiceRequest, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans,
    Span, SpanKind, Status, StatusCode, Value,
};
use super::trace::{TraceContext, new_span_id};
use crate::accounting::AttemptRecord;

/// When the gateway's phases ended, from the request's start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    pub authenticated: Option<Duration>,
    pub body_read: Option<Duration>,
    /// Routed and admitted (budgets, rate limits): the first attempt starts.
    pub routed: Option<Duration>,
}

/// The GenAI operation of a call type.
fn operation(call_type: &str) -> &'static str {
    match call_type {
        "completions" | "text_completion" => "text_completion",
        "embeddings" => "embeddings",
        "gemini_generate_content" => "generate_content",
        "rerank" => "rerank",
        _ => "chat",
    }
}

fn nanos(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        (ms * 1_000_000.0) as u64
    } else {
        0
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue::new(key, Value::String(value.to_string()))
}

fn int(key: &str, value: u64) -> KeyValue {
    KeyValue::new(key, Value::Int(i64::try_from(value).unwrap_or(i64::MAX)))
}

fn span_id_of(text: Option<&str>) -> Vec<u8> {
    text.filter(|t| t.len() == 16)
        .and_then(|t| {
            (0..8)
                .map(|i| u8::from_str_radix(t.get(i * 2..i * 2 + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()
        })
        .unwrap_or_else(|| new_span_id().to_vec())
}

fn status(failed: bool, message: Option<&str>) -> Option<Status> {
    failed.then(|| Status {
        message: message.unwrap_or_default().to_string(),
        code: StatusCode::Error as i32,
    })
}

/// The spans of a finished request that started at `start_unix_nanos`;
/// none when the client's trace is not sampled.
pub fn request_spans(
    trace: &TraceContext,
    start_unix_nanos: u64,
    record: &LogRecord,
    marks: &Marks,
    attempts: &[AttemptRecord],
) -> Vec<Span> {
    if !trace.sampled {
        return Vec::new();
    }
    let op = operation(&record.call_type);
    let end = start_unix_nanos + nanos(record.latency_ms);
    let trace_id = trace.trace_id.to_vec();
    let root_id = trace.span_id.to_vec();
    let flags = u32::from(trace.sampled);
    let mut attributes = vec![
        text("gen_ai.operation.name", op),
        text("gen_ai.request.model", &record.model),
        text("http.request.method", "POST"),
        text("url.path", &record.route),
        int("http.response.status_code", u64::from(record.status)),
        text("switchboard.request_id", &record.request_id),
        int("switchboard.attempts", u64::from(record.attempts)),
        KeyValue::new("gen_ai.request.stream", Value::Bool(record.stream)),
    ];
    let optional = [
        ("gen_ai.response.model", &record.upstream_model),
        ("gen_ai.provider.name", &record.provider),
        ("gen_ai.system", &record.provider),
        ("switchboard.model_group", &record.model_group),
        ("switchboard.deployment_id", &record.deployment_id),
        ("switchboard.key_alias", &record.key_alias),
        ("switchboard.team_id", &record.team_id),
        ("switchboard.user_id", &record.user_id),
        ("switchboard.end_user", &record.end_user),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            attributes.push(text(key, value));
        }
    }
    if record.input_tokens > 0 || record.output_tokens > 0 {
        attributes.push(int("gen_ai.usage.input_tokens", record.input_tokens));
        attributes.push(int("gen_ai.usage.output_tokens", record.output_tokens));
    }
    if let Some(cost) = record.cost {
        attributes.push(KeyValue::new("switchboard.cost_usd", Value::Double(cost)));
    }
    if let Some(ttft) = record.ttft_ms {
        attributes.push(KeyValue::new(
            "switchboard.time_to_first_token_ms",
            Value::Double(ttft),
        ));
    }
    if let Some(overhead) = record.overhead_ms {
        attributes.push(KeyValue::new(
            "switchboard.overhead_ms",
            Value::Double(overhead),
        ));
    }
    if record.status >= 400 {
        attributes.push(text("error.type", &record.status.to_string()));
    }
    let mut spans = vec![Span {
        trace_id: trace_id.clone(),
        span_id: root_id.clone(),
        parent_span_id: trace.parent_span_id.map(|p| p.to_vec()).unwrap_or_default(),
        name: format!("{op} {}", record.model),
        kind: SpanKind::Server as i32,
        start_time_unix_nano: start_unix_nanos,
        end_time_unix_nano: end,
        attributes,
        // Server spans: 5xx are errors, 4xx the client's (HTTP conventions).
        status: status(record.status >= 500, record.error.as_deref()),
        flags,
    }];

    let child = |name: &str, kind: SpanKind, from: Duration, to: Duration, attributes| Span {
        trace_id: trace_id.clone(),
        span_id: new_span_id().to_vec(),
        parent_span_id: root_id.clone(),
        name: name.to_string(),
        kind: kind as i32,
        start_time_unix_nano: start_unix_nanos + u64::try_from(from.as_nanos()).unwrap_or(0),
        end_time_unix_nano: start_unix_nanos + u64::try_from(to.max(from).as_nanos()).unwrap_or(0),
        attributes,
        status: None,
        flags,
    };
    let mut last = Duration::ZERO;
    for (name, mark) in [
        ("switchboard.authenticate", marks.authenticated),
        ("switchboard.read_body", marks.body_read),
        ("switchboard.route_and_admit", marks.routed),
    ] {
        if let Some(mark) = mark {
            spans.push(child(name, SpanKind::Internal, last, mark, Vec::new()));
            last = mark;
        }
    }

    for attempt in attempts {
        let start = start_unix_nanos + nanos(attempt.start_ms);
        // The answering attempt lasts until the answer's end; the others
        // until they failed or were cancelled.
        let answered =
            attempt.status == 200 && record.deployment_id.as_deref() == Some(&attempt.deployment);
        let attempt_end = if answered {
            end
        } else {
            start + nanos(attempt.ms)
        };
        let mut attributes = vec![
            text("gen_ai.operation.name", op),
            text("switchboard.model_group", &attempt.group),
            text("switchboard.deployment_id", &attempt.deployment),
            int("http.response.status_code", u64::from(attempt.status)),
            KeyValue::new("switchboard.hedge", Value::Bool(attempt.hedge)),
        ];
        if answered {
            if let Some(model) = &record.upstream_model {
                attributes.push(text("gen_ai.request.model", model));
            }
            if let Some(provider) = &record.provider {
                attributes.push(text("gen_ai.provider.name", provider));
            }
        }
        let failed = attempt.status >= 400;
        if failed {
            attributes.push(text("error.type", &attempt.status.to_string()));
        }
        spans.push(Span {
            trace_id: trace_id.clone(),
            span_id: span_id_of(attempt.span_id.as_deref()),
            parent_span_id: root_id.clone(),
            name: format!("{op} {}", attempt.deployment),
            kind: SpanKind::Client as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: attempt_end.max(start),
            attributes,
            status: status(failed && attempt.status != 499, attempt.error.as_deref()),
            flags,
        });
    }
    spans
}

/// One export request of `spans`, under the service's resource.
pub(super) fn envelope(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", service),
                    text("service.version", env!("CARGO_PKG_VERSION")),
                    text("telemetry.sdk.name", "switchboard"),
                    text("telemetry.sdk.language", "rust"),
                ],
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "switchboard".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                }),
                spans,
            }],
        }],
    }
}
