//! Response bodies sent frame by frame: server-sent events with pacing, slow first bytes,
//! deliberate cuts, and completion tracking.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::stream;
use serde::Serialize;

use crate::record::RecordHandle;

/// The events of one stream, built up front (they are few and small), plus where the content
/// events are so a cut can land "after N content events".
///
/// Content events are either one contiguous run (marked by [`SseFrames::begin_content`] and
/// [`SseFrames::end_content`]: OpenAI, Gemini) or pushed one by one with
/// [`SseFrames::push_content_event`] (dialects that interleave block starts and stops).
#[derive(Debug)]
pub(crate) struct SseFrames {
    frames: Vec<Bytes>,
    content_start: usize,
    content_end: usize,
    /// Indices of content events pushed with `push_content_event`; empty for contiguous runs.
    marks: Vec<usize>,
    content_type: &'static str,
}

impl Default for SseFrames {
    fn default() -> Self {
        Self {
            frames: Vec::new(),
            content_start: 0,
            content_end: 0,
            marks: Vec::new(),
            content_type: SSE,
        }
    }
}

/// The content type of OpenAI's and Anthropic's event streams.
pub(crate) const SSE: &str = "text/event-stream; charset=utf-8";

impl SseFrames {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            frames: Vec::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// Frames sent with another `Content-Type` (Gemini's plain SSE, Bedrock's event stream).
    pub(crate) fn typed(capacity: usize, content_type: &'static str) -> Self {
        Self {
            content_type,
            ..Self::with_capacity(capacity)
        }
    }

    pub(crate) fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// Appends `data: <json>\n\n`.
    pub(crate) fn push_json<T: Serialize>(&mut self, event: &T) -> serde_json::Result<()> {
        self.push_data(event, b"\n\n")
    }

    /// Appends `data: <json>\r\n\r\n`, the line endings Google's `alt=sse` streams use.
    pub(crate) fn push_json_crlf<T: Serialize>(&mut self, event: &T) -> serde_json::Result<()> {
        self.push_data(event, b"\r\n\r\n")
    }

    fn push_data<T: Serialize>(&mut self, event: &T, end: &[u8]) -> serde_json::Result<()> {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(b"data: ");
        serde_json::to_writer(&mut buf, event)?;
        buf.extend_from_slice(end);
        self.frames.push(Bytes::from(buf));
        Ok(())
    }

    /// Appends a named event: `event: <name>\ndata: <json>\n\n` (Anthropic, Cohere).
    pub(crate) fn push_event<T: Serialize>(
        &mut self,
        name: &str,
        event: &T,
    ) -> serde_json::Result<()> {
        self.frames.push(Bytes::from(named_event(name, event)?));
        Ok(())
    }

    /// Appends a named event and marks it as a content event.
    pub(crate) fn push_content_event<T: Serialize>(
        &mut self,
        name: &str,
        event: &T,
    ) -> serde_json::Result<()> {
        self.marks.push(self.frames.len());
        self.push_event(name, event)
    }

    /// Appends a frame as is; `content` marks it as a content event.
    pub(crate) fn push_raw(&mut self, frame: Bytes, content: bool) {
        if content {
            self.marks.push(self.frames.len());
        }
        self.frames.push(frame);
    }

    pub(crate) fn push_done(&mut self) {
        self.frames.push(Bytes::from_static(b"data: [DONE]\n\n"));
    }

    /// Marks the next event as the first content event.
    pub(crate) fn begin_content(&mut self) {
        self.content_start = self.frames.len();
    }

    /// Marks the events pushed so far as the end of the content events.
    pub(crate) fn end_content(&mut self) {
        self.content_end = self.frames.len();
    }

    /// Index of the event a cut after `content_events` content events lands on. Cutting past
    /// the content still stops before the finish event and `[DONE]`.
    pub(crate) fn cut_index(&self, content_events: usize) -> usize {
        if self.marks.is_empty() {
            self.content_start
                .saturating_add(content_events)
                .min(self.content_end)
        } else {
            self.marks
                .get(content_events)
                .copied()
                .unwrap_or(self.content_end)
        }
    }

    /// Ends the stream early: drops every event from `index` on and appends `last` (an in-stream
    /// error event).
    pub(crate) fn replace_tail(&mut self, index: usize, last: Bytes) {
        self.frames.truncate(index);
        self.frames.push(last);
    }

    pub(crate) fn into_frames(self) -> Vec<Bytes> {
        self.frames
    }
}

/// `event: <name>\ndata: <json>\n\n`.
pub(crate) fn named_event<T: Serialize>(name: &str, event: &T) -> serde_json::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(b"event: ");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\ndata: ");
    serde_json::to_writer(&mut buf, event)?;
    buf.extend_from_slice(b"\n\n");
    Ok(buf)
}

/// Timing of a frame-by-frame body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pacing {
    /// Before the first frame (after the headers went out).
    pub(crate) first_byte: Duration,
    /// Before each later frame.
    pub(crate) between: Duration,
}

struct State {
    frames: std::vec::IntoIter<Bytes>,
    sent: usize,
    total: usize,
    cut_at: Option<usize>,
    pacing: Pacing,
    record: RecordHandle,
}

/// A body that yields `frames` one at a time, as separate body frames, with `pacing`.
///
/// With `cut_at = Some(i)`, frame `i` is replaced by an error, which makes hyper abort the
/// connection (HTTP/1: no terminating chunk; HTTP/2: RST_STREAM) instead of ending cleanly.
/// The request is marked completed when the last frame is produced; if the client goes away
/// first, hyper drops this stream, any pending sleep with it, and the mark is never set.
pub(crate) fn paced_body(
    frames: Vec<Bytes>,
    cut_at: Option<usize>,
    pacing: Pacing,
    record: RecordHandle,
) -> Body {
    let state = State {
        total: frames.len(),
        frames: frames.into_iter(),
        sent: 0,
        cut_at,
        pacing,
        record,
    };
    Body::from_stream(stream::unfold(state, |mut s| async move {
        let delay = if s.sent == 0 {
            s.pacing.first_byte
        } else {
            s.pacing.between
        };
        if s.cut_at == Some(s.sent) {
            s.cut_at = None;
            s.frames = Vec::new().into_iter();
            // The cut happens when the next event would have arrived. Yield once so hyper
            // flushes the frames already produced before it sees the error and closes.
            sleep(delay).await;
            tokio::task::yield_now().await;
            let err = std::io::Error::other("switchboard-mock: connection cut (fault injection)");
            return Some((Err(err), s));
        }
        let frame = s.frames.next()?;
        sleep(delay).await;
        s.sent += 1;
        s.record.add_bytes(frame.len());
        if s.sent == s.total {
            s.record.complete();
        }
        Some((Ok(frame), s))
    }))
}

/// Sleeps, skipping the timer entirely for zero (the common, benchmarked case).
pub(crate) async fn sleep(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}
