use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, stream};
use http_body_util::{BodyExt, StreamBody};

use super::*;

#[derive(Debug)]
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset")
    }
}

type Frames = Vec<Result<Frame<Bytes>, Broken>>;

fn frames(parts: &[&str]) -> Frames {
    parts
        .iter()
        .map(|p| Ok(Frame::data(Bytes::copy_from_slice(p.as_bytes()))))
        .collect()
}

async fn relay(input: Frames, strip: bool) -> (String, Arc<Mutex<Option<StreamOutcome>>>) {
    let outcome = Arc::new(Mutex::new(None));
    let sink = outcome.clone();
    let body = SseRelay::new(
        StreamBody::new(stream::iter(input)),
        strip,
        Duration::from_secs(5),
        Dialect::OpenAi,
        Box::new(move |o| *sink.lock().unwrap() = Some(o)),
    );
    let bytes = body.collect().await.unwrap().to_bytes();
    (String::from_utf8(bytes.to_vec()).unwrap(), outcome)
}

const WITH_USAGE: &[&str] = &[
    "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n",
    "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"con",
    "tent\":\"lo\"}}],\"usage\":null}\n\ndata: {\"id\":\"1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
    "data: [DONE]\n\n",
];

#[tokio::test]
async fn passthrough_is_byte_for_byte_and_reads_usage() {
    let (out, outcome) = relay(frames(WITH_USAGE), false).await;
    assert_eq!(out, WITH_USAGE.concat());
    let outcome = outcome.lock().unwrap().clone().unwrap();
    assert!(outcome.completed);
    assert_eq!(outcome.usage.unwrap().output_tokens, 2);
}

#[tokio::test]
async fn injected_usage_is_removed() {
    let (out, outcome) = relay(frames(WITH_USAGE), true).await;
    assert_eq!(
        out,
        "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
         data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n\
         data: [DONE]\n\n"
    );
    assert_eq!(
        outcome
            .lock()
            .unwrap()
            .clone()
            .unwrap()
            .usage
            .unwrap()
            .input_tokens,
        3
    );
}

#[tokio::test]
async fn upstream_failure_ends_with_an_error_event() {
    let mut input = frames(&["data: {\"choices\":[]}\n\n"]);
    input.push(Err(Broken));
    let (out, outcome) = relay(input, false).await;
    assert!(
        out.starts_with("data: {\"choices\":[]}\n\ndata: {\"error\":{"),
        "{out}"
    );
    assert!(out.contains("connection reset"), "{out}");
    assert!(out.ends_with("\n\n"));
    let outcome = outcome.lock().unwrap().clone().unwrap();
    assert!(!outcome.completed);
}

#[tokio::test(start_paused = true)]
async fn stalled_upstream_times_out() {
    let outcome = Arc::new(Mutex::new(None));
    let sink = outcome.clone();
    let first = stream::iter(frames(&["data: {}\n\n"]));
    let body = SseRelay::new(
        StreamBody::new(first.chain(stream::pending())),
        false,
        Duration::from_secs(2),
        Dialect::OpenAi,
        Box::new(move |o| *sink.lock().unwrap() = Some(o)),
    );
    let out = body.collect().await.unwrap().to_bytes();
    let out = String::from_utf8(out.to_vec()).unwrap();
    assert!(out.contains("\"type\":\"timeout_error\""), "{out}");
    assert!(!outcome.lock().unwrap().clone().unwrap().completed);
}

#[tokio::test]
async fn dropping_early_reports_a_disconnect() {
    let outcome = Arc::new(Mutex::new(None));
    let sink = outcome.clone();
    let body = SseRelay::new(
        StreamBody::new(stream::iter(frames(WITH_USAGE))),
        false,
        Duration::from_secs(5),
        Dialect::OpenAi,
        Box::new(move |o| *sink.lock().unwrap() = Some(o)),
    );
    let mut body = Box::pin(body);
    let first = body.frame().await.unwrap().unwrap();
    assert!(first.is_data());
    drop(body);
    let outcome = outcome.lock().unwrap().clone().unwrap();
    assert!(!outcome.completed);
    assert_eq!(outcome.error.as_deref(), Some("client disconnected"));
}
