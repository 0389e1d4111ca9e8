//! Why a request failed, rendered in the caller's dialect at the front door.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use switchboard_api::{ApiError, Dialect, ErrorKind};

/// A failed request: the error, plus what an upstream error carried that the
/// client should still see.
#[derive(Debug)]
pub struct Failure {
    pub error: ApiError,
    /// Boxed: most failures are the gateway's own and have none.
    pub upstream: Option<Box<UpstreamError>>,
}

/// What an upstream's error response carried.
#[derive(Debug)]
pub struct UpstreamError {
    /// Kept from an upstream 429/503 so clients back off as told.
    pub retry_after: Option<HeaderValue>,
    /// The upstream's own error body, relayed verbatim when the client speaks
    /// the upstream's dialect.
    pub body: Option<(Dialect, Bytes)>,
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Failure {
        Failure {
            error,
            upstream: None,
        }
    }
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        ApiError::new(kind, message).into()
    }

    /// An upstream answered with an error status. The status is kept (429
    /// stays 429); the message is the upstream's own when it has one.
    pub fn from_upstream(
        provider: &str,
        status: u16,
        headers: &HeaderMap,
        body: Bytes,
        upstream_dialect: Dialect,
    ) -> Failure {
        let message = upstream_message(&body).unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body);
            let text = text.trim();
            if text.is_empty() {
                format!("{provider} returned HTTP {status} with an empty body")
            } else {
                let snippet: String = text.chars().take(500).collect();
                format!("{provider} returned HTTP {status}: {snippet}")
            }
        });
        let is_json_error = serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|v| v.get("error").is_some());
        Failure {
            error: ApiError::new(ErrorKind::from_status(status), message).with_status(status),
            upstream: Some(Box::new(UpstreamError {
                retry_after: headers.get(RETRY_AFTER).cloned(),
                body: is_json_error.then_some((upstream_dialect, body)),
            })),
        }
    }

    /// The response in `dialect`, with the request's id.
    pub fn into_response(self, dialect: Dialect) -> Response {
        let status =
            StatusCode::from_u16(self.error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (retry_after, upstream_body) = match self.upstream {
            Some(upstream) => (upstream.retry_after, upstream.body),
            None => (None, None),
        };
        let body = match upstream_body {
            Some((upstream, body)) if upstream == dialect => body,
            _ => Bytes::from(self.error.to_body(dialect)),
        };
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(retry_after) = retry_after {
            headers.insert(RETRY_AFTER, retry_after);
        }
        response
    }
}

/// The human message of an upstream error body in any known shape.
fn upstream_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    match error {
        serde_json::Value::String(message) => Some(message.clone()),
        other => other
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_openai_error_relayed_verbatim_to_openai_clients() {
        let body = Bytes::from_static(
            br#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        );
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        let failure =
            Failure::from_upstream("openai", 429, &headers, body.clone(), Dialect::OpenAi);
        assert_eq!(failure.error.message, "Rate limit reached");
        assert_eq!(failure.error.kind, ErrorKind::RateLimited);
        let response = failure.into_response(Dialect::OpenAi);
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[RETRY_AFTER], "7");
    }

    #[test]
    fn non_json_upstream_error_is_wrapped() {
        let failure = Failure::from_upstream(
            "groq",
            502,
            &HeaderMap::new(),
            Bytes::from_static(b"<html>Bad Gateway</html>"),
            Dialect::OpenAi,
        );
        assert_eq!(failure.error.status, 502);
        assert!(failure.upstream.unwrap().body.is_none());
        assert_eq!(
            failure.error.message,
            "groq returned HTTP 502: <html>Bad Gateway</html>"
        );
    }
}
