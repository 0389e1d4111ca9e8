//! Different dialects: the request goes through the lingua franca (OpenAI
//! chat), and the answer comes back the same way, event by event for
//! streams.

use std::collections::VecDeque;

use bytes::Bytes;
use switchboard_api::codec::{StreamDecoder, StreamEncoder, UpstreamEvent};
use switchboard_api::sse::{EventSplitter, data_range, event_name};
use switchboard_api::{ApiError, TokenUsage};

use crate::relay::StreamTransform;

/// Decodes the upstream's events into OpenAI chunks and encodes them for the
/// client.
pub struct Translate {
    splitter: EventSplitter,
    decoder: Box<dyn StreamDecoder>,
    encoder: Box<dyn StreamEncoder>,
}

impl Translate {
    pub fn new(decoder: Box<dyn StreamDecoder>, encoder: Box<dyn StreamEncoder>) -> Translate {
        Translate {
            splitter: EventSplitter::new(),
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

impl StreamTransform for Translate {
    fn frame(&mut self, data: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
        let mut events = Vec::new();
        self.splitter.push(data, |event| events.push(event));
        let mut buffer = Vec::new();
        for event in events {
            let Some(range) = data_range(&event) else {
                continue;
            };
            let name = event_name(&event).and_then(|n| std::str::from_utf8(n).ok());
            let chunks = self.decoder.push(UpstreamEvent {
                name,
                data: &event[range],
            });
            match chunks {
                Ok(chunks) => {
                    for chunk in &chunks {
                        self.encoder.push(chunk, &mut buffer);
                    }
                }
                Err(error) => {
                    // What was translated before the error still goes out.
                    flush(buffer, out);
                    return Err(error);
                }
            }
        }
        flush(buffer, out);
        Ok(())
    }

    fn end(&mut self, out: &mut VecDeque<Bytes>) -> Result<(), ApiError> {
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
