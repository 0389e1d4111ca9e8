//! Server-sent events at the byte level.
//!
//! The passthrough path relays upstream bytes as they come and only needs to
//! know where each event ends and where its `data` is. [`EventSplitter`] cuts
//! a stream of network frames into whole events without copying when an
//! event lies within one frame (the common case).

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use memchr::memchr_iter;

/// Cuts arbitrary byte frames into complete SSE events.
#[derive(Debug, Default)]
pub struct EventSplitter {
    pending: BytesMut,
}

impl EventSplitter {
    pub fn new() -> EventSplitter {
        EventSplitter::default()
    }

    /// Feeds one frame; `emit` receives each completed event, terminator
    /// included, in order.
    pub fn push(&mut self, frame: Bytes, mut emit: impl FnMut(Bytes)) {
        if self.pending.is_empty() {
            let consumed = split_events(&frame, |range| emit(frame.slice(range)));
            if consumed < frame.len() {
                self.pending.extend_from_slice(&frame[consumed..]);
            }
            return;
        }
        self.pending.extend_from_slice(&frame);
        let mut events = Vec::new();
        let consumed = split_events(&self.pending, |range| events.push(range));
        let mut done = self.pending.split_to(consumed).freeze();
        let mut offset = 0;
        for range in events {
            emit(done.split_to(range.end - offset));
            offset = range.end;
        }
    }

    /// Bytes held back waiting for the end of an event.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The bytes of an unfinished event left at the end of the stream.
    pub fn finish(self) -> Option<Bytes> {
        (!self.pending.is_empty()).then(|| self.pending.freeze())
    }
}

/// Calls `emit` with the range of each complete event in `buffer`; returns how
/// many bytes were consumed. Events end with a blank line (`\n\n` or
/// `\r\n\r\n`).
fn split_events(buffer: &[u8], mut emit: impl FnMut(Range<usize>)) -> usize {
    let mut start = 0;
    for newline in memchr_iter(b'\n', buffer) {
        if newline < start {
            continue;
        }
        let end = match buffer.get(newline + 1) {
            Some(b'\n') => newline + 2,
            Some(b'\r') if buffer.get(newline + 2) == Some(&b'\n') => newline + 3,
            _ => continue,
        };
        emit(start..end);
        start = end;
    }
    start
}

/// The range of the `data` field's value in an event with a single `data`
/// line (all OpenAI, Anthropic and Gemini events), or `None`.
///
/// Events with several `data` lines are rare upstream; callers relay them
/// without inspection.
pub fn data_range(event: &[u8]) -> Option<Range<usize>> {
    let mut found = None;
    let mut line_start = 0;
    while line_start < event.len() {
        let line_end =
            memchr::memchr(b'\n', &event[line_start..]).map_or(event.len(), |i| line_start + i);
        let line = &event[line_start..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(value) = line.strip_prefix(b"data:") {
            if found.is_some() {
                return None;
            }
            let skip = usize::from(value.first() == Some(&b' '));
            let start = line_start + 5 + skip;
            found = Some(start..line_start + line.len());
        }
        line_start = line_end + 1;
    }
    found
}

/// The `event:` field's value of an event, if it has one.
pub fn event_name(event: &[u8]) -> Option<&[u8]> {
    event.split(|b| *b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.strip_prefix(b"event:")
            .map(|v| v.strip_prefix(b" ").unwrap_or(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(frames: &[&str]) -> (Vec<String>, Option<String>) {
        let mut splitter = EventSplitter::new();
        let mut events = Vec::new();
        for frame in frames {
            splitter.push(Bytes::copy_from_slice(frame.as_bytes()), |e| {
                events.push(String::from_utf8(e.to_vec()).unwrap())
            });
        }
        let rest = splitter
            .finish()
            .map(|b| String::from_utf8(b.to_vec()).unwrap());
        (events, rest)
    }

    #[test]
    fn whole_events_in_one_frame() {
        let (events, rest) = split(&["data: a\n\ndata: b\n\n"]);
        assert_eq!(events, ["data: a\n\n", "data: b\n\n"]);
        assert_eq!(rest, None);
    }

    #[test]
    fn events_split_across_frames_at_every_position() {
        let stream = "event: x\ndata: {\"a\":1}\n\ndata: [DONE]\r\n\r\n";
        for cut in 0..=stream.len() {
            let (events, rest) = split(&[&stream[..cut], &stream[cut..]]);
            assert_eq!(
                events,
                ["event: x\ndata: {\"a\":1}\n\n", "data: [DONE]\r\n\r\n"],
                "cut at {cut}"
            );
            assert_eq!(rest, None);
        }
    }

    #[test]
    fn unfinished_tail_is_returned() {
        let (events, rest) = split(&["data: a\n\ndata: b"]);
        assert_eq!(events, ["data: a\n\n"]);
        assert_eq!(rest.as_deref(), Some("data: b"));
    }

    #[test]
    fn data_range_finds_the_value() {
        let event = b"event: message_start\ndata: {\"x\":1}\n\n";
        let range = data_range(event).unwrap();
        assert_eq!(&event[range], b"{\"x\":1}");
        let event = b"data:[DONE]\r\n\r\n";
        assert_eq!(&event[data_range(event).unwrap()], b"[DONE]");
        assert_eq!(data_range(b"data: a\ndata: b\n\n"), None);
        assert_eq!(data_range(b": comment\n\n"), None);
        assert_eq!(event_name(b"event: ping\ndata: {}\n\n"), Some(&b"ping"[..]));
    }
}
