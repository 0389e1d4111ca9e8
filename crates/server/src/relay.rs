//! Relaying an upstream SSE stream to the client.
//!
//! Same dialect in and out, the upstream's frames go to the client as they
//! are, while a side parser reads usage from the events (DESIGN.md §2). Only
//! when the gateway asked for usage on the client's behalf are events
//! rewritten, to remove what the client did not ask for. An upstream that
//! fails or stalls mid-stream ends the stream with an error event in the
//! client's dialect, never with a silent truncation or a hang.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use switchboard_api::openai::{ChunkAction, inspect_chunk};
use switchboard_api::sse::{EventSplitter, data_range};
use switchboard_api::{ApiError, Dialect, ErrorKind, TokenUsage};
use tokio::time::{Instant, Sleep};

/// How a relayed stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOutcome {
    pub usage: Option<TokenUsage>,
    /// The upstream stream ended normally.
    pub completed: bool,
    /// What went wrong, when the upstream failed or stalled.
    pub error: Option<String>,
}

type OnFinish = Box<dyn FnOnce(StreamOutcome) + Send>;

pin_project_lite::pin_project! {
    /// The client-facing body of a streamed response.
    pub struct SseRelay<B> {
        #[pin]
        upstream: B,
        splitter: EventSplitter,
        // Rewrite events to hide the usage the gateway asked for.
        strip_usage: bool,
        ready: VecDeque<Bytes>,
        usage: Option<TokenUsage>,
        idle_timeout: Duration,
        #[pin]
        idle: Sleep,
        dialect: Dialect,
        finished: bool,
        on_finish: Option<OnFinish>,
    }

    impl<B> PinnedDrop for SseRelay<B> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before the end: the client went away.
            let this = this.project();
            if let Some(on_finish) = this.on_finish.take() {
                on_finish(StreamOutcome {
                    usage: *this.usage,
                    completed: false,
                    error: Some("client disconnected".into()),
                });
            }
        }
    }
}

impl<B> SseRelay<B> {
    pub fn new(
        upstream: B,
        strip_usage: bool,
        idle_timeout: Duration,
        dialect: Dialect,
        on_finish: OnFinish,
    ) -> SseRelay<B> {
        SseRelay {
            upstream,
            splitter: EventSplitter::new(),
            strip_usage,
            ready: VecDeque::new(),
            usage: None,
            idle_timeout,
            idle: tokio::time::sleep(idle_timeout),
            dialect,
            finished: false,
            on_finish: Some(on_finish),
        }
    }
}

/// Reads one event; returns what to send for it when rewriting.
fn observe(event: Bytes, strip: bool, usage: &mut Option<TokenUsage>) -> Option<Bytes> {
    let Some(range) = data_range(&event) else {
        return Some(event);
    };
    let (action, seen) = inspect_chunk(&event[range.clone()], strip);
    if seen.is_some() {
        *usage = seen;
    }
    match action {
        ChunkAction::Forward => Some(event),
        ChunkAction::Drop => None,
        ChunkAction::Remove(cut) => {
            let (start, end) = (range.start + cut.start, range.start + cut.end);
            let mut rewritten = BytesMut::with_capacity(event.len() - (end - start));
            rewritten.extend_from_slice(&event[..start]);
            rewritten.extend_from_slice(&event[end..]);
            Some(rewritten.freeze())
        }
    }
}

/// An SSE event that makes the client's SDK raise an error.
fn error_event(dialect: Dialect, error: &ApiError) -> Bytes {
    let body = error.to_body(dialect);
    let mut event = BytesMut::with_capacity(body.len() + 32);
    match dialect {
        // OpenAI's SDKs raise on a `data:` event carrying an `error` member.
        Dialect::OpenAi | Dialect::Google => event.extend_from_slice(b"data: "),
        Dialect::Anthropic => event.extend_from_slice(b"event: error\ndata: "),
    }
    event.extend_from_slice(&body);
    event.extend_from_slice(b"\n\n");
    event.freeze()
}

impl<B> SseRelay<B>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    fn finish(self: Pin<&mut Self>, error: Option<ApiError>) {
        let this = self.project();
        *this.finished = true;
        if let Some(error) = &error {
            this.ready.push_back(error_event(*this.dialect, error));
        }
        if let Some(on_finish) = this.on_finish.take() {
            on_finish(StreamOutcome {
                usage: *this.usage,
                completed: error.is_none(),
                error: error.map(|e| e.message),
            });
        }
    }
}

impl<B> Body for SseRelay<B>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        loop {
            if let Some(bytes) = self.as_mut().project().ready.pop_front() {
                return Poll::Ready(Some(Ok(Frame::data(bytes))));
            }
            if self.finished {
                return Poll::Ready(None);
            }
            let mut this = self.as_mut().project();
            let frame = match this.upstream.as_mut().poll_frame(cx) {
                Poll::Ready(frame) => frame,
                Poll::Pending => {
                    ready!(this.idle.as_mut().poll(cx));
                    let seconds = this.idle_timeout.as_secs_f64();
                    let error = ApiError::new(
                        ErrorKind::Timeout,
                        format!("the upstream sent nothing for {seconds} s; stream abandoned"),
                    );
                    self.as_mut().finish(Some(error));
                    continue;
                }
            };
            let deadline = Instant::now() + *this.idle_timeout;
            this.idle.as_mut().reset(deadline);
            match frame {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        let strip = *this.strip_usage;
                        let usage = this.usage;
                        let ready = this.ready;
                        if strip {
                            this.splitter.push(data, |event| {
                                if let Some(out) = observe(event, true, usage) {
                                    ready.push_back(out);
                                }
                            });
                        } else {
                            this.splitter.push(data.clone(), |event| {
                                observe(event, false, usage);
                            });
                            ready.push_back(data);
                        }
                    }
                    // Trailers carry nothing an SSE client reads.
                    Err(_) => continue,
                },
                Some(Err(error)) => {
                    let error = ApiError::new(
                        ErrorKind::BadGateway,
                        format!("the upstream stream failed: {error}"),
                    );
                    self.as_mut().finish(Some(error));
                }
                None => {
                    let strip = *this.strip_usage;
                    let splitter = std::mem::take(this.splitter);
                    if let Some(tail) = splitter.finish()
                        && strip
                    {
                        // An unterminated last event is relayed as it came.
                        this.ready.push_back(tail);
                    }
                    self.as_mut().finish(None);
                }
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests;
