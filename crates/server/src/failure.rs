//! Why a request failed, rendered in the caller's dialect at the front door.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use switchboard_api::{ApiError, Dialect, ErrorKind};
use switchboard_governance::{Denial, DenialReason};

/// A failed request: the error, plus what an upstream error carried that the
/// client should still see.
#[derive(Debug)]
pub struct Failure {
    pub error: ApiError,
    /// Boxed: most failures have none.
    pub details: Option<Box<Details>>,
}

/// What the response carries beyond the error.
#[derive(Debug)]
pub struct Details {
    /// From an upstream 429/503, or a rate limit, so clients back off as
    /// told.
    pub retry_after: Option<HeaderValue>,
    /// An upstream's own error body, relayed verbatim when the client
    /// speaks the upstream's dialect.
    pub body: Option<(Dialect, Bytes)>,
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Failure {
        Failure {
            error,
            details: None,
        }
    }
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        ApiError::new(kind, message).into()
    }

    /// An upstream answered with an error status, which `error` keeps (429
    /// stays 429); `raw` is its own body, relayed verbatim to a client that
    /// speaks its dialect.
    pub fn upstream(
        error: ApiError,
        headers: &HeaderMap,
        raw: Option<(Dialect, Bytes)>,
    ) -> Failure {
        Failure {
            error,
            details: Some(Box::new(Details {
                retry_after: headers.get(RETRY_AFTER).cloned(),
                body: raw,
            })),
        }
    }

    /// A governance refusal: 401 unknown or expired key, 403 blocked or
    /// model not allowed, 400 budget (as LiteLLM), 429 with `Retry-After`
    /// for rate and parallel limits.
    pub fn from_denial(denial: Denial) -> Failure {
        let kind = match denial.reason {
            DenialReason::Unauthenticated => ErrorKind::Authentication,
            DenialReason::Forbidden => ErrorKind::PermissionDenied,
            DenialReason::Budget => ErrorKind::BudgetExceeded,
            DenialReason::RateLimited => ErrorKind::RateLimited,
        };
        let error = ApiError::new(kind, denial.message).with_code(denial.code);
        let retry_after = denial
            .retry_after
            .and_then(|seconds| HeaderValue::from_str(&seconds.to_string()).ok());
        Failure {
            error,
            details: retry_after.map(|retry_after| {
                Box::new(Details {
                    retry_after: Some(retry_after),
                    body: None,
                })
            }),
        }
    }

    /// The response in `dialect`, with the request's id.
    pub fn into_response(self, dialect: Dialect) -> Response {
        let status =
            StatusCode::from_u16(self.error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (retry_after, upstream_body) = match self.details {
            Some(details) => (details.retry_after, details.body),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_error_keeps_status_retry_after_and_raw_body_for_its_dialect() {
        let body = Bytes::from_static(
            br#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        );
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        let error = ApiError::new(ErrorKind::RateLimited, "Rate limit reached").with_status(429);
        let failure = Failure::upstream(
            error.clone(),
            &headers,
            Some((Dialect::OpenAi, body.clone())),
        );
        let response = failure.into_response(Dialect::OpenAi);
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[RETRY_AFTER], "7");

        // Another dialect gets the error in its own shape, status kept.
        let failure = Failure::upstream(error, &headers, Some((Dialect::OpenAi, body)));
        let response = failure.into_response(Dialect::Anthropic);
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[RETRY_AFTER], "7");
    }
}
