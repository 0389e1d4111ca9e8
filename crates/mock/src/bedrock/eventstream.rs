//! The AWS event stream binary framing (`application/vnd.amazon.eventstream`) that Bedrock's
//! ConverseStream answers with.
//!
//! One message: a 12-byte prelude (total length and headers length, both u32 big-endian, then
//! the CRC32 of those 8 bytes), the headers (name length u8, name, value type 7 = string,
//! value length u16 big-endian, value), the payload, and the CRC32 of everything before it.

use bytes::Bytes;

pub(crate) const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

/// Header value type 7: a UTF-8 string.
const STRING: u8 = 7;

/// An `event` message: `:event-type`, `:content-type` and `:message-type` headers and a JSON
/// payload.
pub(crate) fn event(event_type: &str, payload: &[u8]) -> Bytes {
    message(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload,
    )
}

/// An `exception` message, as ConverseStream reports errors in the middle of a stream.
pub(crate) fn exception(exception_type: &str, payload: &[u8]) -> Bytes {
    message(
        &[
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload,
    )
}

fn message(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let headers_len: usize = headers
        .iter()
        .map(|(n, v)| 1 + n.len() + 1 + 2 + v.len())
        .sum();
    let total = 12 + headers_len + payload.len() + 4;
    let mut buf = Vec::with_capacity(total);
    // Names and values here are short constants and event names, far below the u8/u16 limits;
    // saturate rather than panic all the same.
    buf.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_be_bytes());
    buf.extend_from_slice(&u32::try_from(headers_len).unwrap_or(u32::MAX).to_be_bytes());
    let prelude_crc = crc32fast::hash(&buf);
    buf.extend_from_slice(&prelude_crc.to_be_bytes());
    for (name, value) in headers {
        buf.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
        buf.extend_from_slice(name.as_bytes());
        buf.push(STRING);
        buf.extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_be_bytes());
        buf.extend_from_slice(value.as_bytes());
    }
    buf.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&buf);
    buf.extend_from_slice(&message_crc.to_be_bytes());
    Bytes::from(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_lengths_and_both_crcs() {
        let frame = event("messageStart", br#"{"role":"assistant"}"#);
        let total = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        assert_eq!(total, frame.len());
        let prelude_crc = u32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]);
        assert_eq!(prelude_crc, crc32fast::hash(&frame[..8]));
        let end = frame.len() - 4;
        let crc = u32::from_be_bytes([frame[end], frame[end + 1], frame[end + 2], frame[end + 3]]);
        assert_eq!(crc, crc32fast::hash(&frame[..end]));
        assert!(frame.ends_with(&[&br#"{"role":"assistant"}"#[..], &crc.to_be_bytes()].concat()));
        // The CRC-32 of the IEEE standard check string.
        assert_eq!(crc32fast::hash(b"123456789"), 0xcbf4_3926);
    }
}
