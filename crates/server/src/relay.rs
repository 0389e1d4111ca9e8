//! Relaying an upstream stream to the client.
//!
//! [`StreamRelay`] owns what every relayed stream needs: pulling upstream
//! frames as the client's connection asks for them (so a slow client slows
//! the upstream read, not memory), an idle timeout, the time of the first
//! byte, and an accounting callback that runs exactly once, also when the
//! client goes away. What happens to the bytes is a [`StreamTransform`]:
//! passthrough (frames relayed as they are while a side parser reads usage,
//! DESIGN.md §2) or translation (decode the upstream's events, encode the
//! client's). An upstream that fails or stalls mid-stream ends the stream
//! with an error event in the client's dialect, never with a silent
//! truncation or a hang.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use switchboard_api::{ApiError, ErrorKind, TokenUsage};
use tokio::time::{Instant, Sleep};

/// What a relayed stream does with the upstream's bytes.
pub trait StreamTransform: Send {
    /// One frame of upstream bytes; queues what to send in `out`.
    fn frame(&mut self, data: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), ApiError>;
    /// The upstream ended normally; queues any closing events.
    fn end(&mut self, out: &mut VecDeque<Bytes>) -> Result<(), ApiError>;
    /// Queues an error event in the client's dialect.
    fn error(&mut self, error: &ApiError, out: &mut VecDeque<Bytes>);
    /// The token usage seen so far.
    fn usage(&self) -> Option<TokenUsage>;
}

/// How a relayed stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOutcome {
    pub usage: Option<TokenUsage>,
    /// When the first bytes arrived from the upstream.
    pub first_byte_at: Option<std::time::Instant>,
    /// The upstream stream ended normally.
    pub completed: bool,
    /// 200 when completed, 499 when the client went away, else the status of
    /// the failure.
    pub status: u16,
    /// What went wrong, when something did.
    pub error: Option<String>,
    /// Times between the upstream's chunks (time between tokens).
    pub chunk_gaps: Vec<Duration>,
    /// The first bytes the client received, when [`OnFinish::capturing`]
    /// asked for them (the request log's response body).
    pub body: Option<Bytes>,
}

/// The accounting callback of a stream, and how much of the stream it
/// wants to see.
pub struct OnFinish {
    callback: Box<dyn FnOnce(StreamOutcome) + Send>,
    capture: usize,
}

impl OnFinish {
    pub fn new(callback: impl FnOnce(StreamOutcome) + Send + 'static) -> OnFinish {
        OnFinish {
            callback: Box::new(callback),
            capture: 0,
        }
    }

    /// Keeps up to `bytes` of what the client receives for the outcome.
    pub fn capturing(mut self, bytes: usize) -> OnFinish {
        self.capture = bytes;
        self
    }
}

/// The first bytes of a stream, up to a limit.
struct Capture {
    bytes: Vec<u8>,
    limit: usize,
}

impl Capture {
    fn keep(capture: &mut Option<Capture>, data: &[u8]) {
        if let Some(capture) = capture {
            let room = capture.limit.saturating_sub(capture.bytes.len());
            capture
                .bytes
                .extend_from_slice(&data[..room.min(data.len())]);
        }
    }

    fn take(capture: &mut Option<Capture>) -> Option<Bytes> {
        capture.take().map(|c| Bytes::from(c.bytes))
    }
}

pin_project_lite::pin_project! {
    /// The client-facing body of a streamed response.
    pub struct StreamRelay<B, T: StreamTransform> {
        #[pin]
        upstream: B,
        transform: T,
        ready: VecDeque<Bytes>,
        first_byte_at: Option<std::time::Instant>,
        last_chunk_at: Option<Instant>,
        chunk_gaps: Vec<Duration>,
        idle_timeout: Duration,
        #[pin]
        idle: Sleep,
        finished: bool,
        on_finish: Option<Box<dyn FnOnce(StreamOutcome) + Send>>,
        capture: Option<Capture>,
    }

    impl<B, T: StreamTransform> PinnedDrop for StreamRelay<B, T> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before the end: the client went away.
            let this = this.project();
            if let Some(on_finish) = this.on_finish.take() {
                on_finish(StreamOutcome {
                    usage: this.transform.usage(),
                    first_byte_at: *this.first_byte_at,
                    completed: false,
                    status: 499,
                    error: Some("client disconnected".into()),
                    chunk_gaps: std::mem::take(this.chunk_gaps),
                    body: Capture::take(this.capture),
                });
            }
        }
    }
}

impl<B, T: StreamTransform> StreamRelay<B, T> {
    pub fn new(
        upstream: B,
        transform: T,
        idle_timeout: Duration,
        on_finish: OnFinish,
    ) -> StreamRelay<B, T> {
        StreamRelay {
            upstream,
            transform,
            ready: VecDeque::new(),
            first_byte_at: None,
            last_chunk_at: None,
            chunk_gaps: Vec::new(),
            idle_timeout,
            idle: tokio::time::sleep(idle_timeout),
            finished: false,
            capture: (on_finish.capture > 0).then(|| Capture {
                bytes: Vec::new(),
                limit: on_finish.capture,
            }),
            on_finish: Some(on_finish.callback),
        }
    }

    /// Ends the stream: queues the error event, if any, and runs the
    /// accounting callback.
    fn finish(self: Pin<&mut Self>, error: Option<ApiError>) {
        let this = self.project();
        *this.finished = true;
        if let Some(error) = &error {
            this.transform.error(error, this.ready);
        }
        if let Some(on_finish) = this.on_finish.take() {
            // The queued tail (closing or error events) goes out next.
            for bytes in this.ready.iter() {
                Capture::keep(this.capture, bytes);
            }
            on_finish(StreamOutcome {
                usage: this.transform.usage(),
                first_byte_at: *this.first_byte_at,
                completed: error.is_none(),
                status: error.as_ref().map_or(200, |e| e.status),
                error: error.map(|e| e.message),
                chunk_gaps: std::mem::take(this.chunk_gaps),
                body: Capture::take(this.capture),
            });
        }
    }
}

impl<B, T> Body for StreamRelay<B, T>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
    T: StreamTransform,
{
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        loop {
            let this = self.as_mut().project();
            if let Some(bytes) = this.ready.pop_front() {
                Capture::keep(this.capture, &bytes);
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
            let now = Instant::now();
            this.idle.as_mut().reset(now + *this.idle_timeout);
            let result = match frame {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        if this.first_byte_at.is_none() {
                            *this.first_byte_at = Some(now.into_std());
                        }
                        if let Some(last) = this.last_chunk_at.replace(now) {
                            // Bounded: a pathological stream of millions of
                            // chunks keeps its first 4096 gaps.
                            if this.chunk_gaps.len() < 4096 {
                                this.chunk_gaps.push(now - last);
                            }
                        }
                        this.transform.frame(data, this.ready)
                    }
                    // Trailers carry nothing a streaming client reads.
                    Err(_) => Ok(()),
                },
                Some(Err(error)) => Err(ApiError::new(
                    ErrorKind::BadGateway,
                    format!("the upstream stream failed: {error}"),
                )),
                None => match this.transform.end(this.ready) {
                    Ok(()) => {
                        self.as_mut().finish(None);
                        continue;
                    }
                    Err(error) => Err(error),
                },
            };
            if let Err(error) = result {
                self.as_mut().finish(Some(error));
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests;
