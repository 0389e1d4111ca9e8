//! Gemini's `streamGenerateContent` without `alt=sse`: the same response
//! objects as the SSE stream, framed as one JSON array that is streamed
//! element by element (`[{...},\r\n{...}]`), as Google's REST API does.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame};
use switchboard_api::sse::{EventSplitter, data_range};

pin_project_lite::pin_project! {
    /// An SSE body re-framed as a streamed JSON array of its `data` values.
    pub struct JsonArray<B> {
        #[pin]
        inner: B,
        splitter: EventSplitter,
        ready: VecDeque<Bytes>,
        started: bool,
        done: bool,
    }
}

impl<B> JsonArray<B> {
    pub fn new(inner: B) -> JsonArray<B> {
        JsonArray {
            inner,
            splitter: EventSplitter::new(),
            ready: VecDeque::new(),
            started: false,
            done: false,
        }
    }
}

impl<B: Body<Data = Bytes>> Body for JsonArray<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let mut this = self.project();
        loop {
            if let Some(bytes) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(Frame::data(bytes))));
            }
            if *this.done {
                return Poll::Ready(None);
            }
            match ready!(this.inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let (ready, started) = (&mut *this.ready, &mut *this.started);
                        this.splitter.push(data, |event| {
                            if let Some(range) = data_range(&event) {
                                ready.push_back(Bytes::from_static(if *started {
                                    b",\r\n"
                                } else {
                                    b"["
                                }));
                                *started = true;
                                ready.push_back(event.slice(range));
                            }
                        });
                    }
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => {
                    *this.done = true;
                    this.ready.push_back(Bytes::from_static(if *this.started {
                        b"]"
                    } else {
                        b"[]"
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream;
    use http_body_util::{BodyExt, StreamBody};

    use super::*;

    #[tokio::test]
    async fn events_become_array_elements_across_frames() {
        let frames = ["data: {\"a\":1}\r\n\r\nda", "ta: {\"b\":2}\r\n\r\n"]
            .into_iter()
            .map(|f| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(f))));
        let body = JsonArray::new(StreamBody::new(stream::iter(frames)));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"[{\"a\":1},\r\n{\"b\":2}]");
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value[1]["b"], 2);
        let empty = JsonArray::new(StreamBody::new(stream::iter(Vec::<
            Result<Frame<Bytes>, std::convert::Infallible>,
        >::new())));
        assert_eq!(&empty.collect().await.unwrap().to_bytes()[..], b"[]");
    }
}
