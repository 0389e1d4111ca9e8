//! The mock's errors, before they take a provider's shape (see [`crate::dialect`]). The fields
//! are OpenAI's (`{"error":{"message","type","param","code"}}`, rendered here); other dialects
//! use the status, the message and, where set, [`ApiError::native`].

use std::borrow::Cow;

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;

use crate::faults::ErrorReason;

/// An error response, before serialization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    message: Cow<'static, str>,
    kind: &'static str,
    param: Option<&'static str>,
    code: Option<&'static str>,
    /// The error type in a non-OpenAI dialect when the status alone does not tell it (e.g.
    /// Bedrock's `UnrecognizedClientException` for a 403).
    pub(crate) native: Option<&'static str>,
    /// Seconds for a `Retry-After` header.
    pub(crate) retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

impl ApiError {
    /// An error with a message of the provider's own wording.
    pub(crate) fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            kind: "invalid_request_error",
            param: None,
            code: None,
            native: None,
            retry_after: None,
        }
    }

    /// Sets the provider-specific error type.
    pub(crate) fn native(self, native: &'static str) -> Self {
        Self {
            native: Some(native),
            ..self
        }
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// An error asked for by a fault, typed the way OpenAI types that status
    /// (and worded the way OpenAI words `reason`, when given).
    pub(crate) fn injected(
        status: StatusCode,
        retry_after: Option<u64>,
        reason: Option<ErrorReason>,
    ) -> Self {
        let (kind, code) = match status.as_u16() {
            401 => ("invalid_request_error", Some("invalid_api_key")),
            429 => ("requests", Some("rate_limit_exceeded")),
            s if s >= 500 => ("server_error", None),
            _ => ("invalid_request_error", None),
        };
        let (code, message): (Option<&'static str>, &'static str) = match reason {
            None => (code, "mock injected error"),
            Some(ErrorReason::ContextLength) => (
                Some("context_length_exceeded"),
                "This model's maximum context length is 8192 tokens. However, your messages \
                 resulted in 9000 tokens. Please reduce the length of the messages.",
            ),
            Some(ErrorReason::ContentPolicy) => (
                Some("content_policy_violation"),
                "Your request was rejected as a result of our safety system. Your prompt may \
                 contain text that is not allowed by our safety system.",
            ),
        };
        Self {
            kind,
            code,
            retry_after,
            ..Self::new(status, message)
        }
    }

    /// The body is not JSON at all.
    pub(crate) fn unparsable(err: &serde_json::Error) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            format!("We could not parse the JSON body of your request. ({err})"),
        )
    }

    /// The body is JSON but a field has the wrong shape.
    pub(crate) fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A parameter is invalid; `param` names it like OpenAI does.
    pub(crate) fn invalid_param(
        param: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            param: Some(param),
            ..Self::new(StatusCode::BAD_REQUEST, message)
        }
    }

    pub(crate) fn missing(param: &'static str) -> Self {
        Self {
            param: Some(param),
            code: Some("missing_required_parameter"),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                format!("Missing required parameter: '{param}'."),
            )
        }
    }

    pub(crate) fn too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.")
    }

    pub(crate) fn not_found(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("Invalid URL ({method} {path})"),
        )
    }

    pub(crate) fn no_api_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an \
             Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), \
             or as the api-key header on Azure deployment paths.",
        )
    }

    pub(crate) fn wrong_api_key() -> Self {
        Self {
            code: Some("invalid_api_key"),
            ..Self::new(StatusCode::UNAUTHORIZED, "Incorrect API key provided.")
        }
    }

    pub(crate) fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind: "server_error",
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
        }
    }

    /// The JSON body of this error.
    pub(crate) fn to_bytes(&self) -> Bytes {
        let envelope = Envelope {
            error: Body {
                message: &self.message,
                kind: self.kind,
                param: self.param,
                code: self.code,
            },
        };
        // Serializing plain strings cannot fail; fall back to a fixed body rather than panic.
        serde_json::to_vec(&envelope).map_or_else(
            |_| Bytes::from_static(br#"{"error":{"message":"mock error","type":"server_error","param":null,"code":null}}"#),
            Bytes::from,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_errors_use_openai_types() {
        let body = ApiError::injected(StatusCode::TOO_MANY_REQUESTS, Some(3), None).to_bytes();
        assert_eq!(
            &body[..],
            br#"{"error":{"message":"mock injected error","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
        );
        let body = ApiError::injected(StatusCode::SERVICE_UNAVAILABLE, None, None).to_bytes();
        assert_eq!(
            &body[..],
            br#"{"error":{"message":"mock injected error","type":"server_error","param":null,"code":null}}"#
        );
    }
}
