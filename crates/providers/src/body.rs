//! The body of an upstream request: the client's bytes, possibly with a few
//! spliced-in replacements, sent without being copied into one buffer.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A request body made of byte segments, with an exact length so that it is
/// sent with `content-length` rather than chunked.
#[derive(Debug, Default, Clone)]
pub struct SegmentedBody {
    segments: VecDeque<Bytes>,
    remaining: u64,
}

impl SegmentedBody {
    pub fn new(segments: impl IntoIterator<Item = Bytes>) -> SegmentedBody {
        let segments: VecDeque<Bytes> = segments.into_iter().filter(|s| !s.is_empty()).collect();
        let remaining = segments.iter().map(|s| s.len() as u64).sum();
        SegmentedBody {
            segments,
            remaining,
        }
    }
}

impl From<Bytes> for SegmentedBody {
    fn from(bytes: Bytes) -> SegmentedBody {
        SegmentedBody::new([bytes])
    }
}

impl Body for SegmentedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.segments.pop_front() {
            Some(segment) => {
                self.remaining -= segment.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(segment))))
            }
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.segments.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
