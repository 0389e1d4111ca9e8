//! What every request goes through: read and record it, check auth, resolve its behaviour,
//! wait, then answer (an injected error, a validation error, JSON, or a stream).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::app::Shared;
use crate::auth::{self, Auth};
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::{Behavior, Knobs};
use crate::record::RecordHandle;
use crate::sse::{Pacing, SseFrames, paced_body, sleep};
use crate::text::fnv1a;

/// Larger bodies get a 413; generous, since tests send long prompts on purpose.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Request facts the renderers need besides the request itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RenderCtx {
    /// Hash of the conversation: the source of deterministic ids.
    pub(crate) hash: u64,
    pub(crate) created: u64,
    /// Number of pieces a reply is split into.
    pub(crate) chunks: usize,
    /// Call the first two tools at once.
    pub(crate) parallel: bool,
    /// The latency the request was given, in milliseconds (Bedrock reports it in `metrics`).
    pub(crate) latency_ms: u64,
}

/// A rendered response body.
pub(crate) enum Rendered {
    Json(Vec<u8>),
    Stream(SseFrames),
}

/// One kind of inference endpoint: how its requests are authenticated, parsed and answered,
/// and in which dialect its errors are written. Handlers build one from the path.
pub(crate) trait Endpoint: Send + Sync {
    /// A parsed request; may borrow from the body and the endpoint.
    type Request<'a>: Answer + Send
    where
        Self: 'a;

    fn dialect(&self) -> Dialect;

    fn auth(&self) -> Auth;

    /// The dialect of auth errors, when the gateway in front of the provider answers them
    /// (Anthropic on Vertex AI: Google's shape).
    fn auth_dialect(&self) -> Dialect {
        self.dialect()
    }

    /// Checks made before faults apply (a required header or query parameter).
    fn precheck(&self, _parts: &Parts) -> Result<(), ApiError> {
        Ok(())
    }

    /// Mixed into the conversation hash, for dialects that name the model in the path.
    fn seed(&self) -> u64 {
        0
    }

    fn parse<'a>(&'a self, body: &'a [u8]) -> Result<Self::Request<'a>, ApiError>;
}

/// What a parsed request can do.
pub(crate) trait Answer {
    /// The `[mock:...]` directive of the last user turn.
    fn directive(&self) -> Knobs;

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered>;
}

/// A request that was read, recorded and authenticated.
pub(crate) struct Arrival {
    pub(crate) parts: Parts,
    pub(crate) body: Bytes,
    pub(crate) record: RecordHandle,
}

/// Reads and records the request, then checks its credentials. `Err` is the response to send.
pub(crate) async fn arrive(
    shared: &Shared,
    req: Request,
    auth: Auth,
    dialect: Dialect,
) -> Result<Arrival, Response> {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(err) => {
            let record = shared.recorder.record(&parts, &Bytes::new());
            let too_large = std::error::Error::source(&err)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            let err = if too_large {
                ApiError::too_large()
            } else {
                ApiError::invalid(format!("Could not read the request body: {err}"))
            };
            return Err(dialect.error_response(&err, &record));
        }
    };
    let record = shared.recorder.record(&parts, &body);
    if let Err(err) = auth::check(shared, auth, &parts, &body) {
        return Err(dialect.error_response(&err, &record));
    }
    Ok(Arrival {
        parts,
        body,
        record,
    })
}

/// Serves one inference request: auth, prechecks, faults, parsing, latency, then the answer.
pub(crate) async fn inference<E: Endpoint>(shared: &Shared, endpoint: E, req: Request) -> Response {
    let dialect = endpoint.dialect();
    let arrival = match arrive(shared, req, endpoint.auth(), endpoint.auth_dialect()).await {
        Ok(arrival) => arrival,
        Err(response) => return response,
    };
    if let Err(err) = endpoint.precheck(&arrival.parts) {
        return dialect.error_response(&err, &arrival.record);
    }
    let queued = shared.faults.pop();
    let headers = Knobs::from_headers(&arrival.parts.headers);
    let parsed = endpoint.parse(&arrival.body);
    let directive = parsed
        .as_ref()
        .map_or_else(|_| Knobs::default(), Answer::directive);
    let mut behavior = Behavior::resolve(queued, headers, directive, &shared.config);
    if !behavior.has_fault() {
        behavior = behavior.with_chaos(shared.chaos.roll(), shared.config.cut_after_first_event);
    }

    sleep(behavior.latency).await;
    let injected = behavior.status.filter(|s| *s >= 400).map(|s| {
        ApiError::injected(
            StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            behavior.retry_after,
            behavior.reason,
        )
    });
    // With `error_after`, a stream reports the status inside the stream instead.
    if let Some(err) = injected.as_ref().filter(|_| behavior.error_after.is_none()) {
        return dialect.error_response(err, &arrival.record);
    }
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(err) => return dialect.error_response(&err, &arrival.record),
    };
    let ctx = RenderCtx {
        hash: conversation_hash(&arrival.body) ^ endpoint.seed(),
        created: shared.config.fixed_created.unwrap_or_else(unix_now),
        chunks: behavior.chunks,
        parallel: behavior.parallel,
        latency_ms: u64::try_from(behavior.latency.as_millis()).unwrap_or(u64::MAX),
    };
    // A status below 400 only replaces the 200 (1xx cannot carry a body).
    let status = behavior
        .status
        .filter(|s| (200..400).contains(s))
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let rendered = parsed.render(&ctx).and_then(|rendered| match rendered {
        Rendered::Stream(frames) if behavior.error_after.is_some() => {
            with_stream_error(frames, dialect, &behavior).map(Rendered::Stream)
        }
        other => Ok(other),
    });
    if let (Ok(Rendered::Json(_)), Some(err)) = (&rendered, &injected) {
        return dialect.error_response(err, &arrival.record);
    }
    match rendered {
        Ok(Rendered::Json(body)) => json_response(status, body, &behavior, arrival.record),
        Ok(Rendered::Stream(frames)) => stream_response(status, frames, &behavior, arrival.record),
        Err(err) => {
            let err = ApiError::internal(format!("switchboard-mock failed to render: {err}"));
            dialect.error_response(&err, &arrival.record)
        }
    }
}

/// Ends a stream with the dialect's in-stream error after `error_after` content events.
fn with_stream_error(
    mut frames: SseFrames,
    dialect: Dialect,
    behavior: &Behavior,
) -> serde_json::Result<SseFrames> {
    let status = behavior
        .status
        .filter(|s| *s >= 400)
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or_else(|| dialect.stream_error_status());
    let err = ApiError::injected(status, None, behavior.reason);
    let index = frames.cut_index(behavior.error_after.unwrap_or(0));
    frames.replace_tail(index, dialect.stream_error(&err, index)?);
    Ok(frames)
}

/// The fields whose values seed response ids and tool-call ids: the request's model and its
/// conversation in every dialect (OpenAI `messages` / `prompt` / `input`, Gemini `contents`,
/// `content`, `requests` and Vertex `instances`, Cohere `texts` / `query` / `documents`, Titan
/// `inputText`). Not the raw bytes, so options that do not change the answer
/// (`stream_options`, key order, whitespace added by a gateway) do not change the ids either.
const CONVERSATION_KEYS: [&str; 12] = [
    "model",
    "messages",
    "prompt",
    "input",
    "contents",
    "texts",
    "query",
    "documents",
    "inputText",
    "requests",
    "content",
    "instances",
];

fn conversation_hash(body: &[u8]) -> u64 {
    match serde_json::from_slice::<ConversationParts<'_>>(body) {
        Ok(ConversationParts(parts)) => {
            let mut hash = 0u64;
            for part in parts.iter().flatten() {
                hash = hash.rotate_left(17) ^ fnv1a(part.get().as_bytes());
            }
            hash
        }
        Err(_) => fnv1a(body),
    }
}

/// The raw values of [`CONVERSATION_KEYS`], in that order; read without allocating.
struct ConversationParts<'a>([Option<&'a RawValue>; CONVERSATION_KEYS.len()]);

impl<'de> Deserialize<'de> for ConversationParts<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A key's index in `CONVERSATION_KEYS`, if it is one.
        struct KeyIndex(Option<usize>);

        impl<'de> Deserialize<'de> for KeyIndex {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct KeyVisitor;
                impl Visitor<'_> for KeyVisitor {
                    type Value = KeyIndex;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a field name")
                    }
                    fn visit_str<E>(self, key: &str) -> Result<KeyIndex, E> {
                        Ok(KeyIndex(CONVERSATION_KEYS.iter().position(|k| *k == key)))
                    }
                }
                deserializer.deserialize_str(KeyVisitor)
            }
        }

        struct PartsVisitor;
        impl<'de> Visitor<'de> for PartsVisitor {
            type Value = ConversationParts<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut parts = [None; CONVERSATION_KEYS.len()];
                while let Some(KeyIndex(index)) = map.next_key()? {
                    match index {
                        Some(i) => parts[i] = Some(map.next_value::<&RawValue>()?),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ConversationParts(parts))
            }
        }

        deserializer.deserialize_map(PartsVisitor)
    }
}

pub(crate) fn has_api_version(query: Option<&str>) -> bool {
    auth::query_param(query, "api-version").is_some_and(|v| !v.is_empty())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An OpenAI-shaped error, with `Retry-After` when asked for.
pub(crate) fn error_response(err: &ApiError, record: &RecordHandle) -> Response {
    Dialect::OpenAi.error_response(err, record)
}

/// A whole JSON body, sent with the headers: the fast path.
pub(crate) fn plain_json(status: StatusCode, body: Bytes, record: &RecordHandle) -> Response {
    record.add_bytes(body.len());
    record.complete();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A JSON body; with a slow first byte or a cut, written frame by frame after the headers.
pub(crate) fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    behavior: &Behavior,
    record: RecordHandle,
) -> Response {
    let body = Bytes::from(body);
    if !behavior.cuts() && behavior.first_byte.is_zero() {
        return plain_json(status, body, &record);
    }
    let len = body.len();
    let pacing = Pacing {
        first_byte: behavior.first_byte,
        between: Duration::ZERO,
    };
    let body = if behavior.cuts() {
        // Half the body, then abort: the declared Content-Length is never reached.
        let half = len / 2;
        let frames = vec![body.slice(..half), body.slice(half..)];
        paced_body(frames, Some(1), pacing, record)
    } else {
        paced_body(vec![body], None, pacing, record)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Explicit, because a frame-by-frame body has no known length of its own.
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

fn stream_response(
    status: StatusCode,
    frames: SseFrames,
    behavior: &Behavior,
    record: RecordHandle,
) -> Response {
    // Chaos's early cut: the headers go out, then the connection breaks before any event,
    // which a gateway waiting for the first event can still fail over.
    let cut_at = if behavior.cut_at_start {
        Some(0)
    } else {
        behavior.cut_after.map(|n| frames.cut_index(n))
    };
    let pacing = Pacing {
        first_byte: behavior.first_byte,
        between: behavior.chunk_delay,
    };
    let content_type = frames.content_type();
    let mut response = Response::new(paced_body(frames.into_frames(), cut_at, pacing, record));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_hash_ignores_key_order_whitespace_and_options() {
        let a = conversation_hash(br#"{"model":"m","messages":[1],"stream":true}"#);
        let b = conversation_hash(br#"{ "messages" : [1], "stream_options":{}, "model":"m" }"#);
        assert_eq!(a, b);
        assert_ne!(a, conversation_hash(br#"{"model":"m","messages":[2]}"#));
        assert_eq!(conversation_hash(b"[1]"), fnv1a(b"[1]"));
    }

    #[test]
    fn api_version_must_be_present_and_non_empty() {
        assert!(has_api_version(Some("api-version=2024-10-21")));
        assert!(has_api_version(Some("a=b&api-version=1")));
        assert!(!has_api_version(Some("api-version=")));
        assert!(!has_api_version(None));
    }
}
