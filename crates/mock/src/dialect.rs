//! Error shapes: how each provider family writes an [`ApiError`], as a response and as an
//! in-stream event.

use axum::response::Response;
use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::bedrock::eventstream;
use crate::error::ApiError;
use crate::pipeline::plain_json;
use crate::record::RecordHandle;
use crate::sse::named_event;
use crate::text::{fnv1a, uuid_like};

/// A provider family's wire conventions for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `{"error":{"message","type","param","code"}}` (OpenAI, Azure OpenAI).
    OpenAi,
    /// OpenAI's errors, but in a stream the Responses API's `error` event.
    OpenAiResponses,
    /// `{"type":"error","error":{"type","message"}}`.
    Anthropic,
    /// `{"error":{"code","message","status"}}` (Gemini, Vertex AI).
    Google,
    /// `{"message"}` with an `x-amzn-errortype` header.
    Bedrock,
    /// `{"id","message"}`.
    Cohere,
    /// RFC 6749 token errors: `{"error","error_description"}` (the mock's `POST /token`).
    OAuth,
}

impl Dialect {
    /// The error as a whole response, with `Retry-After` when asked for.
    pub(crate) fn error_response(self, err: &ApiError, record: &RecordHandle) -> Response {
        let mut response = plain_json(err.status, self.error_body(err), record);
        let headers = response.headers_mut();
        if let Some(seconds) = err.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self == Self::Bedrock {
            // Bedrock names the error type in a header, with the service's namespace after ':'.
            let value = format!(
                "{}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                bedrock_type(err)
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert("x-amzn-errortype", value);
            }
        }
        response
    }

    fn error_body(self, err: &ApiError) -> Bytes {
        let status = err.status;
        let message = err.message();
        let body = match self {
            Self::OpenAi | Self::OpenAiResponses => return err.to_bytes(),
            Self::Anthropic => serde_json::to_vec(&AnthropicError {
                kind: "error",
                error: TypedMessage {
                    kind: err.native.unwrap_or_else(|| anthropic_type(status)),
                    message,
                },
            }),
            Self::Google => serde_json::to_vec(&GoogleError {
                error: GoogleBody {
                    code: status.as_u16(),
                    message,
                    status: google_status(status),
                },
            }),
            Self::Bedrock => serde_json::to_vec(&BedrockError { message }),
            Self::Cohere => serde_json::to_vec(&CohereError {
                id: uuid_like(fnv1a(message.as_bytes())),
                message,
            }),
            Self::OAuth => serde_json::to_vec(&OAuthError {
                error: err.native.unwrap_or("invalid_request"),
                error_description: message,
            }),
        };
        // Serializing strings and numbers cannot fail; fall back to OpenAI's shape rather than
        // panic.
        body.map_or_else(|_| err.to_bytes(), Bytes::from)
    }

    /// The status an `error-after` fault reports when none was asked for: each provider's
    /// usual mid-stream failure.
    pub(crate) fn stream_error_status(self) -> StatusCode {
        match self {
            Self::Anthropic => StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            Self::Google | Self::Bedrock => StatusCode::SERVICE_UNAVAILABLE,
            Self::OpenAi | Self::OpenAiResponses | Self::Cohere | Self::OAuth => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The event that reports `err` in the middle of a stream, as the stream's event number
    /// `index` (counting from 0).
    pub(crate) fn stream_error(self, err: &ApiError, index: usize) -> serde_json::Result<Bytes> {
        let (prefix, end): (&[u8], &[u8]) = match self {
            // What OpenAI's servers send (the SDK's type has the fields at the top level; the
            // wire nests them, and the Python SDK raises only on the nested form).
            Self::OpenAiResponses => {
                let body: serde_json::Value = serde_json::from_slice(&err.to_bytes())?;
                let event = ResponsesError {
                    kind: "error",
                    sequence_number: index,
                    error: &body["error"],
                };
                return named_event("error", &event).map(Bytes::from);
            }
            Self::OpenAi | Self::OAuth => (b"data: ", b"\n\n"),
            Self::Anthropic => (b"event: error\ndata: ", b"\n\n"),
            Self::Google => (b"data: ", b"\r\n\r\n"),
            Self::Bedrock => {
                let kind = bedrock_stream_type(err.status);
                return Ok(eventstream::exception(kind, &self.error_body(err)));
            }
            // Cohere v2 ends a failed stream with `finish_reason: "ERROR"` and the message.
            Self::Cohere => {
                let end = CohereEnd {
                    kind: "message-end",
                    delta: CohereEndDelta {
                        error: err.message(),
                        finish_reason: "ERROR",
                    },
                };
                return named_event("message-end", &end).map(Bytes::from);
            }
        };
        let body = self.error_body(err);
        let mut event = Vec::with_capacity(prefix.len() + body.len() + end.len());
        event.extend_from_slice(prefix);
        event.extend_from_slice(&body);
        event.extend_from_slice(end);
        Ok(Bytes::from(event))
    }
}

#[derive(Serialize)]
struct ResponsesError<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    sequence_number: usize,
    error: &'a serde_json::Value,
}

#[derive(Serialize)]
struct CohereEnd<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delta: CohereEndDelta<'a>,
}

#[derive(Serialize)]
struct CohereEndDelta<'a> {
    error: &'a str,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct AnthropicError<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    error: TypedMessage<'a>,
}

#[derive(Serialize)]
struct TypedMessage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct GoogleError<'a> {
    error: GoogleBody<'a>,
}

#[derive(Serialize)]
struct GoogleBody<'a> {
    code: u16,
    message: &'a str,
    status: &'static str,
}

#[derive(Serialize)]
struct BedrockError<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct CohereError<'a> {
    id: String,
    message: &'a str,
}

#[derive(Serialize)]
struct OAuthError<'a> {
    error: &'static str,
    error_description: &'a str,
}

fn anthropic_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        s if s >= 500 => "api_error",
        _ => "invalid_request_error",
    }
}

fn google_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        s if s >= 500 => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    }
}

fn bedrock_type(err: &ApiError) -> &'static str {
    if let Some(native) = err.native {
        return native;
    }
    match err.status.as_u16() {
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        503 => "ServiceUnavailableException",
        s if s >= 500 => "InternalServerException",
        _ => "ValidationException",
    }
}

/// The `:exception-type` of a ConverseStream error event.
fn bedrock_stream_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "validationException",
        424 => "modelStreamErrorException",
        429 => "throttlingException",
        503 => "serviceUnavailableException",
        _ => "internalServerException",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_take_each_providers_shape() {
        let err = ApiError::injected(StatusCode::TOO_MANY_REQUESTS, None, None);
        let body = |d: Dialect| String::from_utf8(d.error_body(&err).to_vec()).unwrap();
        assert_eq!(
            body(Dialect::Anthropic),
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"mock injected error"}}"#
        );
        assert_eq!(
            body(Dialect::Google),
            r#"{"error":{"code":429,"message":"mock injected error","status":"RESOURCE_EXHAUSTED"}}"#
        );
        assert_eq!(
            body(Dialect::Bedrock),
            r#"{"message":"mock injected error"}"#
        );
        assert_eq!(bedrock_type(&err), "ThrottlingException");
        let overloaded = StatusCode::from_u16(529).unwrap();
        assert_eq!(anthropic_type(overloaded), "overloaded_error");
    }
}
