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

/// Relays frames unchanged and counts them as "tokens".
#[derive(Default)]
struct Counting {
    frames: u64,
}

impl StreamTransform for Counting {
    fn frame(&mut self, data: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
        self.frames += 1;
        out.push_back(data);
        Ok(())
    }
    fn end(&mut self, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
        out.push_back(Bytes::from_static(b"<end>"));
        Ok(())
    }
    fn error(&mut self, error: &ApiError, out: &mut VecDeque<Bytes>) {
        out.push_back(Bytes::from(format!(
            "<error {}: {}>",
            error.status, error.message
        )));
    }
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            output_tokens: self.frames,
            ..TokenUsage::default()
        })
    }
}

type Sink = Arc<Mutex<Option<StreamOutcome>>>;

fn relay_of<B>(upstream: B, idle: Duration) -> (StreamRelay<B, Counting>, Sink) {
    let outcome = Arc::new(Mutex::new(None));
    let sink = outcome.clone();
    let relay = StreamRelay::new(
        upstream,
        Counting::default(),
        idle,
        OnFinish::new(move |o| *sink.lock().unwrap() = Some(o)),
    );
    (relay, outcome)
}

async fn collect<B>(relay: StreamRelay<B, Counting>) -> String
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let bytes = relay.collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn frames_flow_through_the_transform_and_end_once() {
    let upstream = StreamBody::new(stream::iter(frames(&["a", "b", "c"])));
    let (relay, outcome) = relay_of(upstream, Duration::from_secs(5));
    assert_eq!(collect(relay).await, "abc<end>");
    let outcome = outcome.lock().unwrap().clone().unwrap();
    assert!(outcome.completed);
    assert_eq!(outcome.status, 200);
    assert_eq!(outcome.usage.unwrap().output_tokens, 3);
    assert!(outcome.first_byte_at.is_some());
}

#[tokio::test]
async fn upstream_failure_ends_with_an_error_event() {
    let mut input = frames(&["a"]);
    input.push(Err(Broken));
    let (relay, outcome) = relay_of(StreamBody::new(stream::iter(input)), Duration::from_secs(5));
    assert_eq!(
        collect(relay).await,
        "a<error 502: the upstream stream failed: connection reset>"
    );
    let outcome = outcome.lock().unwrap().clone().unwrap();
    assert!(!outcome.completed);
    assert_eq!(outcome.status, 502);
}

#[tokio::test(start_paused = true)]
async fn stalled_upstream_times_out() {
    let upstream = stream::iter(frames(&["a"])).chain(stream::pending());
    let (relay, outcome) = relay_of(StreamBody::new(upstream), Duration::from_secs(2));
    let out = collect(relay).await;
    assert!(
        out.starts_with("a<error 504: the upstream sent nothing for 2 s"),
        "{out}"
    );
    assert!(!outcome.lock().unwrap().clone().unwrap().completed);
}

#[tokio::test]
async fn dropping_early_reports_a_disconnect() {
    let upstream = StreamBody::new(stream::iter(frames(&["a", "b"])));
    let (relay, outcome) = relay_of(upstream, Duration::from_secs(5));
    let mut relay = Box::pin(relay);
    let first = relay.frame().await.unwrap().unwrap();
    assert!(first.is_data());
    drop(relay);
    let outcome = outcome.lock().unwrap().clone().unwrap();
    assert!(!outcome.completed);
    assert_eq!(outcome.status, 499);
    assert_eq!(outcome.error.as_deref(), Some("client disconnected"));
}

#[tokio::test]
async fn capturing_keeps_what_the_client_got_up_to_the_limit() {
    let run = |limit: usize| async move {
        let upstream = StreamBody::new(stream::iter(frames(&["abc", "def"])));
        let outcome = Arc::new(Mutex::new(None));
        let sink = outcome.clone();
        let relay = StreamRelay::new(
            upstream,
            Counting::default(),
            Duration::from_secs(5),
            OnFinish::new(move |o| *sink.lock().unwrap() = Some(o)).capturing(limit),
        );
        let sent = collect(relay).await;
        let body = outcome.lock().unwrap().take().unwrap().body;
        (sent, body)
    };
    let (sent, body) = run(1 << 20).await;
    assert_eq!(sent, "abcdef<end>");
    assert_eq!(body.as_deref(), Some(&b"abcdef<end>"[..]));
    let (_, body) = run(4).await;
    assert_eq!(body.as_deref(), Some(&b"abcd"[..]));
    let (relay, outcome) = relay_of(
        StreamBody::new(stream::iter(frames(&["abc"]))),
        Duration::from_secs(5),
    );
    collect(relay).await;
    assert_eq!(outcome.lock().unwrap().take().unwrap().body, None);
}
