//! Different dialects: the request goes through the lingua franca (OpenAI
//! chat), and the answer comes back the same way, event by event for
//! streams.

use std::collections::VecDeque;

use bytes::Bytes;
use switchboard_api::codec::{Framing, StreamDecoder, StreamEncoder, UpstreamEvent};
use switchboard_api::eventstream::EventStreamDecoder;
use switchboard_api::sse::{EventSplitter, data_range, event_name};
use switchboard_api::{ApiError, ErrorKind, TokenUsage};

use crate::relay::StreamTransform;

/// Decodes the upstream's events into OpenAI chunks and encodes them for the
/// client.
pub struct Translate {
    events: Events,
    decoder: Box<dyn StreamDecoder>,
    encoder: Box<dyn StreamEncoder>,
}

/// Cuts the upstream's bytes into events, by the wire's framing.
enum Events {
    Sse(EventSplitter),
    Aws(EventStreamDecoder),
}

impl Translate {
    pub fn new(
        framing: Framing,
        decoder: Box<dyn StreamDecoder>,
        encoder: Box<dyn StreamEncoder>,
    ) -> Translate {
        let events = match framing {
            Framing::Sse => Events::Sse(EventSplitter::new()),
            Framing::AwsEventStream => Events::Aws(EventStreamDecoder::new()),
        };
        Translate {
            events,
            decoder,
            encoder,
        }
    }
}

fn flush(buffer: Vec<u8>, out: &mut VecDeque<Bytes>) {
    if !buffer.is_empty() {
        out.push_back(Bytes::from(buffer));
    }
}

/// Decodes one upstream event and encodes its chunks into `buffer`.
fn translate(
    decoder: &mut dyn StreamDecoder,
    encoder: &mut dyn StreamEncoder,
    event: UpstreamEvent<'_>,
    buffer: &mut Vec<u8>,
) -> Result<(), ApiError> {
    for chunk in &decoder.push(event)? {
        encoder.push(chunk, buffer);
    }
    Ok(())
}

impl StreamTransform for Translate {
    fn frame(&mut self, data: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
        let (decoder, encoder) = (self.decoder.as_mut(), self.encoder.as_mut());
        let mut buffer = Vec::new();
        let result = match &mut self.events {
            Events::Sse(splitter) => {
                let mut events = Vec::new();
                splitter.push(data, |event| events.push(event));
                events.iter().try_for_each(|event| {
                    let Some(range) = data_range(event) else {
                        return Ok(());
                    };
                    let name = event_name(event).and_then(|n| std::str::from_utf8(n).ok());
                    let data = &event[range];
                    translate(decoder, encoder, UpstreamEvent { name, data }, &mut buffer)
                })
            }
            Events::Aws(framing) => {
                framing
                    .push(&data)
                    .map_err(ApiError::from)
                    .and_then(|messages| {
                        messages.iter().try_for_each(|message| {
                            translate(decoder, encoder, message.upstream_event()?, &mut buffer)
                        })
                    })
            }
        };
        // What was translated before an error still goes out.
        flush(buffer, out);
        result
    }

    fn end(&mut self, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
        // A binary message cut short cannot be read: the stream was
        // truncated, which the client must learn.
        if let Events::Aws(framing) = &self.events
            && framing.pending_len() > 0
        {
            return Err(ApiError::new(
                ErrorKind::BadGateway,
                "the upstream stream ended in the middle of a message",
            ));
        }
        let mut buffer = Vec::new();
        for chunk in self.decoder.finish() {
            self.encoder.push(&chunk, &mut buffer);
        }
        let usage = self.decoder.usage_chunk();
        self.encoder.finish(usage.as_ref(), &mut buffer);
        flush(buffer, out);
        Ok(())
    }

    fn error(&mut self, error: &ApiError, out: &mut VecDeque<Bytes>) {
        let mut buffer = Vec::new();
        self.encoder.error(error, &mut buffer);
        flush(buffer, out);
    }

    fn usage(&self) -> Option<TokenUsage> {
        self.decoder.usage()
    }
}

#[cfg(test)]
mod tests {
    use switchboard_api::codec::{Front, Wire, front, wire};
    use switchboard_api::eventstream::{encode, encode_event};

    use super::*;

    fn bedrock_to_openai() -> Translate {
        let codec = wire(Wire::Bedrock);
        Translate::new(
            codec.framing(),
            codec.stream_decoder("m", 1),
            front(Front::OpenAiChat).stream_encoder(true),
        )
    }

    fn text(out: &VecDeque<Bytes>) -> String {
        out.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn aws_frames_split_anywhere_become_openai_events() {
        let mut bytes = encode_event("messageStart", br#"{"role":"assistant"}"#);
        bytes.extend(encode_event(
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
        ));
        bytes.extend(encode_event("messageStop", br#"{"stopReason":"end_turn"}"#));
        bytes.extend(encode_event(
            "metadata",
            br#"{"usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4}}"#,
        ));
        let mut translate = bedrock_to_openai();
        let mut out = VecDeque::new();
        for piece in bytes.chunks(5) {
            translate
                .frame(Bytes::copy_from_slice(piece), &mut out)
                .unwrap();
        }
        translate.end(&mut out).unwrap();
        let text = text(&out);
        assert!(text.contains(r#""delta":{"content":"Hi"}"#), "{text}");
        assert!(text.contains(r#""finish_reason":"stop""#), "{text}");
        assert!(text.contains(r#""prompt_tokens":3"#), "{text}");
        assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
        assert_eq!(translate.usage().map(|u| u.total()), Some(4));
    }

    #[test]
    fn exceptions_and_truncation_are_errors() {
        let mut translate = bedrock_to_openai();
        let mut out = VecDeque::new();
        let exception = encode(
            &[
                (":message-type", "exception"),
                (":exception-type", "throttlingException"),
            ],
            br#"{"message":"slow down"}"#,
        );
        let error = translate
            .frame(Bytes::from(exception), &mut out)
            .unwrap_err();
        assert_eq!((error.status, error.message.as_str()), (429, "slow down"));

        let mut translate = bedrock_to_openai();
        let frame = encode_event("messageStart", br#"{"role":"assistant"}"#);
        translate
            .frame(Bytes::copy_from_slice(&frame[..10]), &mut out)
            .unwrap();
        assert_eq!(translate.end(&mut out).unwrap_err().status, 502);
    }
}
