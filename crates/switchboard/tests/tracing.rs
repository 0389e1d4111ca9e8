//! OpenTelemetry: a test OTLP receiver (HTTP/protobuf and gRPC) gets a span
//! per request with phase and attempt children, GenAI attributes, the
//! client's trace continued, and the attempt's span sent upstream in
//! `traceparent`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use common::*;
use prost::Message;
use serde_json::json;
use switchboard_server::telemetry::otlp::{ExportTraceServiceRequest, Span, Value};

type Spans = Arc<Mutex<Vec<(String, Span)>>>;

/// A collector: `/v1/traces` (protobuf) and the gRPC export method.
async fn collector() -> (String, Spans) {
    let spans: Spans = Arc::default();
    fn keep(spans: &Spans, request: ExportTraceServiceRequest) {
        for resource in request.resource_spans {
            let service = resource
                .resource
                .unwrap()
                .attributes
                .into_iter()
                .find(|a| a.key == "service.name")
                .and_then(|a| match a.value?.value? {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .unwrap();
            for scope in resource.scope_spans {
                for span in scope.spans {
                    spans.lock().unwrap().push((service.clone(), span));
                }
            }
        }
    }
    async fn http(State(spans): State<Spans>, body: Bytes) -> impl IntoResponse {
        keep(&spans, ExportTraceServiceRequest::decode(body).unwrap());
        "{}"
    }
    async fn grpc(State(spans): State<Spans>, body: Bytes) -> impl IntoResponse {
        assert_eq!(body[0], 0, "not compressed");
        let length = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        assert_eq!(length, body.len() - 5);
        keep(
            &spans,
            ExportTraceServiceRequest::decode(&body[5..]).unwrap(),
        );
        (
            [("content-type", "application/grpc"), ("grpc-status", "0")],
            "",
        )
    }
    let app = Router::new()
        .route("/v1/traces", post(http))
        .route(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            post(grpc),
        )
        .with_state(Arc::clone(&spans));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, spans)
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.clone()?.value)
}

fn text(span: &Span, key: &str) -> String {
    match attribute(span, key) {
        Some(Value::String(s)) => s,
        other => panic!("{key}: {other:?} in {span:#?}"),
    }
}

fn int(span: &Span, key: &str) -> i64 {
    match attribute(span, key) {
        Some(Value::Int(i)) => i,
        other => panic!("{key}: {other:?} in {span:#?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[tokio::test]
async fn requests_become_spans_over_http_and_grpc() {
    for protocol in ["http/protobuf", "grpc"] {
        let mock = mock().await;
        let (endpoint, spans) = collector().await;
        let gateway = launch(Launch {
            config: Some(format!(
                "{}general_settings:\n  master_key: {MASTER_KEY}\n",
                mock_config(&mock)
            )),
            env: vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.into()),
                ("OTEL_SERVICE_NAME", "sb-test".into()),
            ],
            ..Launch::default()
        });
        let response = client()
            .post(gateway.url("/v1/chat/completions"))
            .bearer_auth(MASTER_KEY)
            .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
            .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();

        // The upstream got the trace, with the attempt's span as parent.
        let upstream = mock.requests().pop().unwrap();
        let traceparent = upstream
            .headers
            .iter()
            .find(|(k, _)| k == "traceparent")
            .map(|(_, v)| v.clone())
            .unwrap();
        let parts: Vec<&str> = traceparent.split('-').collect();
        assert_eq!((parts[0], parts[1], parts[3]), ("00", TRACE, "01"));
        let attempt_span = parts[2].to_string();

        let deadline = Instant::now() + Duration::from_secs(15);
        while spans.lock().unwrap().len() < 5 {
            assert!(
                Instant::now() < deadline,
                "{protocol}: spans: {:#?}",
                spans.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let spans: Vec<Span> = spans
            .lock()
            .unwrap()
            .iter()
            .map(|(service, span)| {
                assert_eq!(service, "sb-test");
                span.clone()
            })
            .collect();
        assert!(
            spans.iter().all(|s| hex(&s.trace_id) == TRACE),
            "{spans:#?}"
        );
        let root = spans.iter().find(|s| s.kind == 2).unwrap();
        assert_eq!(hex(&root.parent_span_id), PARENT);
        assert_eq!(root.name, "chat gpt");
        assert_eq!(text(root, "gen_ai.operation.name"), "chat");
        assert_eq!(text(root, "gen_ai.request.model"), "gpt");
        assert_eq!(text(root, "gen_ai.response.model"), "mock-gpt");
        assert_eq!(text(root, "gen_ai.provider.name"), "openai");
        assert!(int(root, "gen_ai.usage.input_tokens") > 0);
        assert_eq!(int(root, "gen_ai.usage.output_tokens"), 8);
        assert_eq!(int(root, "http.response.status_code"), 200);
        assert!(root.end_time_unix_nano > root.start_time_unix_nano);
        let children: Vec<&Span> = spans
            .iter()
            .filter(|s| s.parent_span_id == root.span_id)
            .collect();
        let names: Vec<&str> = children.iter().map(|s| s.name.as_str()).collect();
        for phase in [
            "switchboard.authenticate",
            "switchboard.read_body",
            "switchboard.route_and_admit",
        ] {
            assert!(names.contains(&phase), "{names:?}");
        }
        let attempt = children.iter().find(|s| s.kind == 3).unwrap();
        assert_eq!(hex(&attempt.span_id), attempt_span);
        assert_eq!(int(attempt, "http.response.status_code"), 200);
        assert!(attempt.start_time_unix_nano >= root.start_time_unix_nano);
        assert!(attempt.end_time_unix_nano <= root.end_time_unix_nano);
    }
}

#[tokio::test]
async fn an_unsampled_client_trace_is_propagated_not_exported() {
    let mock = mock().await;
    let (endpoint, spans) = collector().await;
    let gateway = launch(Launch {
        config: Some(format!(
            "{}general_settings:\n  master_key: {MASTER_KEY}\n",
            mock_config(&mock)
        )),
        env: vec![("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)],
        ..Launch::default()
    });
    let send = |traceparent: Option<String>| {
        let mut request = client()
            .post(gateway.url("/v1/chat/completions"))
            .bearer_auth(MASTER_KEY)
            .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}));
        if let Some(value) = traceparent {
            request = request.header("traceparent", value);
        }
        async move { request.send().await.unwrap().bytes().await.unwrap() }
    };
    send(Some(format!("00-{TRACE}-{PARENT}-00"))).await;
    let upstream = mock.requests().pop().unwrap();
    assert!(
        upstream
            .headers
            .iter()
            .any(|(k, v)| k == "traceparent" && v.ends_with("-00"))
    );
    // A request without a traceparent starts a trace of its own.
    send(None).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while spans.lock().unwrap().iter().all(|(_, s)| s.kind != 2) {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let spans = spans.lock().unwrap();
    let roots: Vec<&Span> = spans
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.kind == 2)
        .collect();
    assert_eq!(roots.len(), 1, "the unsampled request is not exported");
    assert_ne!(hex(&roots[0].trace_id), TRACE);
    assert!(roots[0].parent_span_id.is_empty());
}
