//! The AWS event stream binary framing (`application/vnd.amazon.eventstream`),
//! in which Bedrock's ConverseStream answers.
//!
//! A message is a 12-byte prelude (total length and headers length, both u32
//! big-endian, then the CRC32 of those 8 bytes), the headers, the payload,
//! and the CRC32 of everything before it. A header is a name (u8 length,
//! bytes), a value type (u8) and a value whose size the type decides.
//!
//! [`EventStreamDecoder`] cuts arbitrary network frames into whole messages
//! and checks both CRCs: a corrupt or oversized message is an error, never a
//! panic or a silent skip, because what follows it cannot be trusted.

use bytes::{Buf, Bytes, BytesMut};

use crate::codec::UpstreamEvent;
use crate::error::{ApiError, ErrorKind};

/// Prelude (12 bytes) and message CRC (4 bytes).
const OVERHEAD: usize = 16;
/// AWS caps a message at 16 MiB; a larger declared length is corruption, and
/// refusing it keeps a bad frame from making the gateway buffer gigabytes.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// Header value types (the event stream specification).
mod value_type {
    pub const TRUE: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const BYTE: u8 = 2;
    pub const SHORT: u8 = 3;
    pub const INTEGER: u8 = 4;
    pub const LONG: u8 = 5;
    pub const BYTE_ARRAY: u8 = 6;
    pub const STRING: u8 = 7;
    pub const TIMESTAMP: u8 = 8;
    pub const UUID: u8 = 9;
}

/// A frame that breaks the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError(String);

impl std::fmt::Display for FramingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid AWS event stream message: {}", self.0)
    }
}

impl std::error::Error for FramingError {}

impl From<FramingError> for ApiError {
    fn from(error: FramingError) -> ApiError {
        ApiError::new(ErrorKind::BadGateway, error.to_string())
    }
}

fn corrupt(what: impl Into<String>) -> FramingError {
    FramingError(what.into())
}

/// One decoded message: the string headers a reader acts on, and the payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `:message-type`: `event`, `exception` or `error`.
    pub message_type: Option<String>,
    /// `:event-type` of an event (`messageStart`, `contentBlockDelta`, ...).
    pub event_type: Option<String>,
    /// `:exception-type` of an exception (`throttlingException`, ...).
    pub exception_type: Option<String>,
    /// `:error-code` and `:error-message` of a protocol-level error.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub payload: Bytes,
}

impl Message {
    /// The message as a wire codec reads it: an event by its event type, an
    /// exception by its exception type (the codec turns it into an error).
    /// A protocol-level `error` message has no payload for a codec to read,
    /// so it is an error here.
    pub fn upstream_event(&self) -> Result<UpstreamEvent<'_>, ApiError> {
        let name = match self.message_type.as_deref() {
            Some("exception") => self.exception_type.as_deref(),
            Some("error") => {
                let code = self.error_code.as_deref().unwrap_or("unknown error");
                let message = self.error_message.as_deref().unwrap_or_default();
                return Err(ApiError::new(
                    ErrorKind::BadGateway,
                    format!("the upstream stream failed: {code} {message}")
                        .trim_end()
                        .to_owned(),
                ));
            }
            _ => self.event_type.as_deref(),
        };
        Ok(UpstreamEvent {
            name,
            data: &self.payload,
        })
    }
}

/// Cuts a byte stream into event stream messages.
#[derive(Debug, Default)]
pub struct EventStreamDecoder {
    pending: BytesMut,
}

impl EventStreamDecoder {
    pub fn new() -> EventStreamDecoder {
        EventStreamDecoder::default()
    }

    /// Feeds one network frame; returns the messages it completed, in order.
    /// After an error the stream is unusable (its framing is lost).
    pub fn push(&mut self, frame: &[u8]) -> Result<Vec<Message>, FramingError> {
        self.pending.extend_from_slice(frame);
        let mut messages = Vec::new();
        while let Some(total) = self.complete_length()? {
            let bytes = self.pending.split_to(total).freeze();
            messages.push(decode_message(bytes)?);
        }
        Ok(messages)
    }

    /// Bytes of an unfinished message held back.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The length of the first message when all of it has arrived; checks
    /// the prelude as soon as it is complete.
    fn complete_length(&self) -> Result<Option<usize>, FramingError> {
        let Some(prelude) = self.pending.get(..12) else {
            return Ok(None);
        };
        let total = be_u32(&prelude[0..4]);
        let headers = be_u32(&prelude[4..8]);
        if crc32fast::hash(&prelude[..8]) != be_u32(&prelude[8..12]) {
            return Err(corrupt("prelude checksum mismatch"));
        }
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        let headers = usize::try_from(headers).unwrap_or(usize::MAX);
        if !(OVERHEAD..=MAX_MESSAGE).contains(&total) {
            return Err(corrupt(format!("message length {total} is out of range")));
        }
        if headers > total - OVERHEAD {
            return Err(corrupt("headers are longer than the message"));
        }
        Ok((self.pending.len() >= total).then_some(total))
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    let mut array = [0; 4];
    array.copy_from_slice(&bytes[..4]);
    u32::from_be_bytes(array)
}

/// Decodes one whole message (lengths already checked by the prelude).
fn decode_message(bytes: Bytes) -> Result<Message, FramingError> {
    let end = bytes.len() - 4;
    if crc32fast::hash(&bytes[..end]) != be_u32(&bytes[end..]) {
        return Err(corrupt("message checksum mismatch"));
    }
    let headers_len = usize::try_from(be_u32(&bytes[4..8])).unwrap_or(usize::MAX);
    let mut message = Message {
        payload: bytes.slice(12 + headers_len..end),
        ..Message::default()
    };
    let mut headers = &bytes[12..12 + headers_len];
    while headers.has_remaining() {
        let (name, value) = read_header(&mut headers)?;
        let Some(value) = value else { continue };
        let slot = match name {
            ":message-type" => &mut message.message_type,
            ":event-type" => &mut message.event_type,
            ":exception-type" => &mut message.exception_type,
            ":error-code" => &mut message.error_code,
            ":error-message" => &mut message.error_message,
            _ => continue,
        };
        *slot = Some(value);
    }
    Ok(message)
}

/// Reads one header: its name, and its value when it is a string (other
/// types are skipped by their size, as no header Bedrock sends needs them).
fn read_header<'a>(input: &mut &'a [u8]) -> Result<(&'a str, Option<String>), FramingError> {
    let name_len = usize::from(take(input, 1)?[0]);
    let name = std::str::from_utf8(take(input, name_len)?)
        .map_err(|_| corrupt("a header name is not UTF-8"))?;
    let value_type = take(input, 1)?[0];
    let fixed = match value_type {
        value_type::TRUE | value_type::FALSE => 0,
        value_type::BYTE => 1,
        value_type::SHORT => 2,
        value_type::INTEGER => 4,
        value_type::LONG | value_type::TIMESTAMP => 8,
        value_type::UUID => 16,
        value_type::BYTE_ARRAY | value_type::STRING => {
            let len = take(input, 2)?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            let value = take(input, len)?;
            if value_type == value_type::BYTE_ARRAY {
                return Ok((name, None));
            }
            let value = std::str::from_utf8(value)
                .map_err(|_| corrupt(format!("header `{name}` is not UTF-8")))?;
            return Ok((name, Some(value.to_owned())));
        }
        other => return Err(corrupt(format!("header `{name}` has unknown type {other}"))),
    };
    take(input, fixed)?;
    Ok((name, None))
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], FramingError> {
    if input.len() < n {
        return Err(corrupt("a header runs past the headers section"));
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

/// Encodes a message with string headers: what Bedrock sends, for tests and
/// fixtures (the gateway itself never writes this framing).
pub fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut header_bytes = Vec::new();
    for (name, value) in headers {
        // Header names and values longer than the format's u8/u16 lengths
        // are cut rather than allowed to corrupt the frame.
        let name = &name.as_bytes()[..name.len().min(usize::from(u8::MAX))];
        let value = &value.as_bytes()[..value.len().min(usize::from(u16::MAX))];
        header_bytes.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
        header_bytes.extend_from_slice(name);
        header_bytes.push(value_type::STRING);
        header_bytes
            .extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_be_bytes());
        header_bytes.extend_from_slice(value);
    }
    let total = OVERHEAD + header_bytes.len() + payload.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(
        &u32::try_from(header_bytes.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// An `event` message as Bedrock sends it.
pub fn encode_event(event_type: &str, payload: &[u8]) -> Vec<u8> {
    encode(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Vec<u8> {
        let mut bytes = encode_event("messageStart", br#"{"role":"assistant"}"#);
        bytes.extend(encode_event(
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
        ));
        bytes.extend(encode(
            &[
                (":exception-type", "throttlingException"),
                (":message-type", "exception"),
            ],
            br#"{"message":"slow down"}"#,
        ));
        bytes
    }

    fn names(messages: &[Message]) -> Vec<(Option<&str>, &[u8])> {
        messages
            .iter()
            .map(|m| {
                let event = m.upstream_event().unwrap();
                (event.name, event.data)
            })
            .collect()
    }

    const EXPECTED: [(Option<&str>, &[u8]); 3] = [
        (Some("messageStart"), br#"{"role":"assistant"}"#),
        (
            Some("contentBlockDelta"),
            br#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
        ),
        (Some("throttlingException"), br#"{"message":"slow down"}"#),
    ];

    #[test]
    fn frames_split_at_every_byte_boundary() {
        let bytes = stream();
        for cut in 0..=bytes.len() {
            let mut decoder = EventStreamDecoder::new();
            let mut messages = decoder.push(&bytes[..cut]).unwrap();
            messages.extend(decoder.push(&bytes[cut..]).unwrap());
            assert_eq!(names(&messages), EXPECTED, "cut at {cut}");
            assert_eq!(decoder.pending_len(), 0);
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let mut decoder = EventStreamDecoder::new();
        let mut messages = Vec::new();
        for byte in stream() {
            messages.extend(decoder.push(&[byte]).unwrap());
        }
        assert_eq!(names(&messages), EXPECTED);
        assert_eq!(messages[0].message_type.as_deref(), Some("event"));
    }

    #[test]
    fn corrupt_crcs_are_errors() {
        let good = encode_event("messageStop", br#"{"stopReason":"end_turn"}"#);
        for position in [0, 5, 9, 20, good.len() - 10, good.len() - 1] {
            let mut bad = good.clone();
            bad[position] ^= 0x01;
            let result = EventStreamDecoder::new().push(&bad);
            assert!(result.is_err(), "flipped byte {position} went unnoticed");
        }
        let error = EventStreamDecoder::new().push(&good[..good.len() - 1]);
        assert_eq!(error, Ok(Vec::new()), "an unfinished message waits");
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        let error = ApiError::from(EventStreamDecoder::new().push(&bad).unwrap_err());
        assert_eq!(error.kind, ErrorKind::BadGateway);
        assert!(
            error.message.contains("message checksum"),
            "{}",
            error.message
        );
    }

    #[test]
    fn absurd_lengths_are_errors_not_allocations() {
        let mut prelude = Vec::new();
        prelude.extend_from_slice(&u32::MAX.to_be_bytes());
        prelude.extend_from_slice(&0u32.to_be_bytes());
        let crc = crc32fast::hash(&prelude);
        prelude.extend_from_slice(&crc.to_be_bytes());
        assert!(EventStreamDecoder::new().push(&prelude).is_err());
    }

    /// A message with one header of every non-string type before the string
    /// headers: each must be skipped by exactly its size.
    #[test]
    fn other_header_types_are_skipped_by_size() {
        let mut headers = Vec::new();
        let mut header = |name: &str, kind: u8, value: &[u8]| {
            headers.push(u8::try_from(name.len()).unwrap());
            headers.extend_from_slice(name.as_bytes());
            headers.push(kind);
            headers.extend_from_slice(value);
        };
        header("t", value_type::TRUE, &[]);
        header("f", value_type::FALSE, &[]);
        header("b", value_type::BYTE, &[7]);
        header("s", value_type::SHORT, &[0, 7]);
        header("i", value_type::INTEGER, &[0, 0, 0, 7]);
        header("l", value_type::LONG, &[0; 8]);
        header("a", value_type::BYTE_ARRAY, &[0, 3, 1, 2, 3]);
        header("d", value_type::TIMESTAMP, &[0; 8]);
        header("u", value_type::UUID, &[9; 16]);
        header(":event-type", value_type::STRING, b"\x00\x08metadata");
        let payload = br#"{"usage":{}}"#;
        let total = OVERHEAD + headers.len() + payload.len();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&u32::try_from(total).unwrap().to_be_bytes());
        bytes.extend_from_slice(&u32::try_from(headers.len()).unwrap().to_be_bytes());
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_be_bytes());
        bytes.extend_from_slice(&headers);
        bytes.extend_from_slice(payload);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_be_bytes());
        let messages = EventStreamDecoder::new().push(&bytes).unwrap();
        assert_eq!(messages[0].event_type.as_deref(), Some("metadata"));
        assert_eq!(&messages[0].payload[..], payload);
    }

    #[test]
    fn protocol_errors_become_api_errors() {
        let bytes = encode(
            &[
                (":message-type", "error"),
                (":error-code", "InternalFailure"),
                (":error-message", "boom"),
            ],
            b"",
        );
        let messages = EventStreamDecoder::new().push(&bytes).unwrap();
        let error = messages[0].upstream_event().unwrap_err();
        assert_eq!(error.kind, ErrorKind::BadGateway);
        assert!(error.message.contains("InternalFailure boom"));
    }
}
