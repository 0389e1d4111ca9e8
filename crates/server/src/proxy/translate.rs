//! Different dialects: the request goes through the lingua franca (OpenAI
//! chat), and the answer comes back the same way, event by event for
//! streams.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use switchboard_api::codec::{
    self, EncodeOptions, Framing, Front, FrontCodec, ResponsesFront, StreamDecoder, StreamEncoder,
    UpstreamEvent, Wire,
};
use switchboard_api::eventstream::EventStreamDecoder;
use switchboard_api::openai::Operation;
use switchboard_api::sse::{EventSplitter, data_range, event_name};
use switchboard_api::{ApiError, ErrorKind, TokenUsage};
use switchboard_providers::{StreamUsage, adjusted_body};
use switchboard_router::Deployment;

use super::attempt::{Answer, AnswerBody, AttemptError};
use super::upstream::{
    Prefixed, Timeouts, before_send, endpoint, failure, first_frame, read_body, response_head, send,
};
use super::{FrontRequest, Probe};
use crate::relay::{StreamRelay, StreamTransform};
use crate::runtime::Runtime;
use crate::state::AppState;

/// `max_tokens` for wires that require one (Anthropic) when neither the
/// client nor the deployment's `model_info` gives one (LiteLLM's default).
const DEFAULT_MAX_TOKENS: u64 = 4096;

/// One translated attempt: the front door's request through OpenAI chat to
/// the deployment's wire, and the answer back.
pub(super) async fn run(
    state: &AppState,
    runtime: &Runtime,
    request: &FrontRequest,
    probe: &Probe,
    deployment: &Arc<Deployment>,
    upstream_model: &str,
    wire: Wire,
) -> Result<Answer, AttemptError> {
    let stream = probe.stream;
    // A Responses answer repeats the request's parameters: its codec is
    // made for the request.
    let responses;
    let front: &dyn FrontCodec = if request.front == Front::OpenAiResponses {
        responses = ResponsesFront::for_request(&request.body).map_err(before_send)?;
        &responses
    } else {
        codec::front(request.front)
    };
    let wire_codec = codec::wire(wire);
    let decoded = front
        .decode(&request.body, request.path_model.as_deref(), stream)
        .map_err(before_send)?;
    let chat = decoded.value;
    let wants_usage = chat
        .stream_options
        .as_ref()
        .and_then(|o| o.include_usage)
        .unwrap_or(false);
    let options = EncodeOptions {
        model: upstream_model,
        stream,
        default_max_tokens: deployment
            .settings
            .max_output_tokens
            .unwrap_or(DEFAULT_MAX_TOKENS),
        stream_usage_option: deployment.adapter.stream_usage() == StreamUsage::StreamOptions,
    };
    let encoded = wire_codec
        .encode_request(&chat, &options)
        .map_err(before_send)?;
    let mut dropped = decoded.dropped;
    dropped.extend(encoded.dropped);
    if !dropped.is_empty() && !runtime.drop_params {
        return Err(before_send(unsupported_params(deployment, dropped)));
    }

    let timeouts = Timeouts::of(runtime, deployment, stream);
    // Translation always lands on the wire's chat operation.
    let endpoint = endpoint(
        deployment,
        Operation::ChatCompletions,
        upstream_model,
        stream,
    )?;
    let segments = adjusted_body(
        deployment.adapter.as_ref(),
        vec![Bytes::from(encoded.value)],
    );
    let (parts, mut body) = send(state, deployment, &endpoint, segments, &timeouts).await?;
    if !parts.status.is_success() {
        return Err(failure(deployment, wire, false, parts, body, &timeouts).await);
    }
    let mut head = response_head(deployment, &parts.headers);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if stream {
        let first = first_frame(deployment, wire, &mut body, &timeouts).await?;
        let first_byte = timeouts.started.elapsed();
        if let Some(headers) = head.headers_mut() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        }
        let decoder = wire_codec.stream_decoder(upstream_model, created);
        let encoder = front.stream_encoder(wants_usage);
        let framing = wire_codec.framing();
        let idle = timeouts.total;
        let stream = move |on_finish| {
            let upstream = Prefixed { first, rest: body };
            let transform = Translate::new(framing, decoder, encoder);
            Body::new(StreamRelay::new(upstream, transform, idle, on_finish))
        };
        return Ok(Answer {
            head,
            body: AnswerBody::Stream(Box::new(stream)),
            first_byte,
            upstream_wait: first_byte,
        });
    }
    let bytes = read_body(deployment, body, &timeouts).await?;
    let elapsed = timeouts.started.elapsed();
    let response = wire_codec
        .decode_response(&bytes, upstream_model, created)
        .map_err(|error| AttemptError {
            failure: error.into(),
            class: switchboard_router::FailureClass::ServerError,
            retry_after: None,
        })?;
    let usage = response.usage.map(TokenUsage::from);
    let encoded = front.encode_response(&response).map_err(before_send)?;
    if let Some(headers) = head.headers_mut() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    Ok(Answer {
        head,
        body: AnswerBody::Whole {
            bytes: Bytes::from(encoded),
            usage,
        },
        first_byte: elapsed,
        upstream_wait: elapsed,
    })
}

/// The 400 of LiteLLM's `drop_params` semantics, naming what was refused.
fn unsupported_params(deployment: &Deployment, mut dropped: Vec<String>) -> ApiError {
    dropped.sort();
    dropped.dedup();
    ApiError::new(
        ErrorKind::InvalidRequest,
        format!(
            "provider `{}` does not support these parameters: {}. Remove them, or set \
             `litellm_settings.drop_params: true` to drop unsupported parameters.",
            deployment.provider(),
            dropped.join(", ")
        ),
    )
    .with_param(dropped[0].clone())
}

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
