//! Response bodies sent frame by frame: server-sent events with pacing, slow first bytes,
//! deliberate cuts, and completion tracking.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::stream;
use serde::Serialize;

use crate::record::RecordHandle;

/// The events of one stream, built up front (they are few and small), plus where the content
/// events start and end so a cut can land "after N content events".
#[derive(Debug, Default)]
pub(crate) struct SseFrames {
    frames: Vec<Bytes>,
    content_start: usize,
    content_end: usize,
}

impl SseFrames {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            frames: Vec::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// Appends `data: <json>\n\n`.
    pub(crate) fn push_json<T: Serialize>(&mut self, event: &T) -> serde_json::Result<()> {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(b"data: ");
        serde_json::to_writer(&mut buf, event)?;
        buf.extend_from_slice(b"\n\n");
        self.frames.push(Bytes::from(buf));
        Ok(())
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
        self.content_start
            .saturating_add(content_events)
            .min(self.content_end)
    }

    pub(crate) fn into_frames(self) -> Vec<Bytes> {
        self.frames
    }
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
