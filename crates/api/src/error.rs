//! Error bodies in each API family's own shape.
//!
//! Every layer of the gateway has its own error type; at the front door they
//! all become an [`ApiError`], which is rendered in the dialect the caller
//! speaks. The shapes follow the providers' public API references:
//! - OpenAI: `{"error": {"message", "type", "param", "code"}}`
//! - Anthropic: `{"type": "error", "error": {"type", "message"}}`
//! - Google: `{"error": {"code", "message", "status"}}`

use serde::Serialize;

/// The API family a client speaks, which decides the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenAi,
    Anthropic,
    Google,
}

/// What went wrong, independent of any one dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed or semantically invalid request (400).
    InvalidRequest,
    /// Missing or wrong credentials (401).
    Authentication,
    /// Credentials are fine but not allowed to do this (403).
    PermissionDenied,
    /// Unknown model or route (404).
    NotFound,
    /// Body over the configured limit (413).
    RequestTooLarge,
    /// Rate limit hit (429).
    RateLimited,
    /// A budget is exhausted (400, as LiteLLM reports it).
    BudgetExceeded,
    /// The upstream could not be reached or answered with garbage (502).
    BadGateway,
    /// No upstream answered in time (504).
    Timeout,
    /// Every deployment is unavailable (503).
    Unavailable,
    /// A bug or an unexpected state in the gateway (500).
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::BudgetExceeded => 400,
            ErrorKind::Authentication => 401,
            ErrorKind::PermissionDenied => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::RequestTooLarge => 413,
            ErrorKind::RateLimited => 429,
            ErrorKind::Internal => 500,
            ErrorKind::BadGateway => 502,
            ErrorKind::Unavailable => 503,
            ErrorKind::Timeout => 504,
        }
    }

    /// The kind an HTTP status of an upstream error maps to.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Authentication,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            413 => ErrorKind::RequestTooLarge,
            429 => ErrorKind::RateLimited,
            408 | 504 => ErrorKind::Timeout,
            503 | 529 => ErrorKind::Unavailable,
            400..=499 => ErrorKind::InvalidRequest,
            502 => ErrorKind::BadGateway,
            _ => ErrorKind::Internal,
        }
    }

    /// OpenAI's `type` field. OpenAI itself uses `invalid_request_error` for
    /// most client errors; the others follow OpenAI's SDK error classes.
    fn openai_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::NotFound | ErrorKind::RequestTooLarge => {
                "invalid_request_error"
            }
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::PermissionDenied => "permission_error",
            ErrorKind::RateLimited => "rate_limit_error",
            ErrorKind::BudgetExceeded => "budget_exceeded",
            ErrorKind::BadGateway | ErrorKind::Unavailable | ErrorKind::Internal => "server_error",
            ErrorKind::Timeout => "timeout_error",
        }
    }

    /// Anthropic's `error.type` values, from its errors reference.
    fn anthropic_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::BudgetExceeded => "invalid_request_error",
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::PermissionDenied => "permission_error",
            ErrorKind::NotFound => "not_found_error",
            ErrorKind::RequestTooLarge => "request_too_large",
            ErrorKind::RateLimited => "rate_limit_error",
            ErrorKind::BadGateway | ErrorKind::Internal => "api_error",
            ErrorKind::Unavailable => "overloaded_error",
            ErrorKind::Timeout => "timeout_error",
        }
    }

    /// Google's canonical status names (google.rpc.Code).
    fn google_status(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "INVALID_ARGUMENT",
            ErrorKind::Authentication => "UNAUTHENTICATED",
            ErrorKind::PermissionDenied => "PERMISSION_DENIED",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::RequestTooLarge => "INVALID_ARGUMENT",
            ErrorKind::RateLimited | ErrorKind::BudgetExceeded => "RESOURCE_EXHAUSTED",
            ErrorKind::BadGateway | ErrorKind::Internal => "INTERNAL",
            ErrorKind::Unavailable => "UNAVAILABLE",
            ErrorKind::Timeout => "DEADLINE_EXCEEDED",
        }
    }
}

/// An error as the front door reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// The HTTP status; usually `kind.status()`, but an upstream's own status
    /// is kept when relayed.
    pub status: u16,
    pub message: String,
    /// The request parameter at fault, when there is one (OpenAI `param`).
    pub param: Option<String>,
    /// A machine-readable code (OpenAI `code`), e.g. `model_not_found`.
    pub code: Option<String>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            status: kind.status(),
            message: message.into(),
            param: None,
            code: None,
        }
    }

    pub fn with_param(mut self, param: impl Into<String>) -> ApiError {
        self.param = Some(param.into());
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> ApiError {
        self.code = Some(code.into());
        self
    }

    pub fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }

    /// The JSON body in the given dialect.
    pub fn to_body(&self, dialect: Dialect) -> Vec<u8> {
        let result = match dialect {
            Dialect::OpenAi => serde_json::to_vec(&OpenAiErrorBody {
                error: OpenAiError {
                    message: &self.message,
                    r#type: self.kind.openai_type(),
                    param: self.param.as_deref(),
                    code: self.code.as_deref(),
                },
            }),
            Dialect::Anthropic => serde_json::to_vec(&AnthropicErrorBody {
                r#type: "error",
                error: AnthropicError {
                    r#type: self.kind.anthropic_type(),
                    message: &self.message,
                },
            }),
            Dialect::Google => serde_json::to_vec(&GoogleErrorBody {
                error: GoogleError {
                    code: self.status,
                    message: &self.message,
                    status: self.kind.google_status(),
                },
            }),
        };
        // Serializing these plain structs of strings cannot fail; fall back to
        // a fixed body rather than panic if it ever does.
        result.unwrap_or_else(|_| br#"{"error":{"message":"internal error"}}"#.to_vec())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for ApiError {}

#[derive(Serialize)]
struct OpenAiErrorBody<'a> {
    error: OpenAiError<'a>,
}

#[derive(Serialize)]
struct OpenAiError<'a> {
    message: &'a str,
    r#type: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

#[derive(Serialize)]
struct AnthropicErrorBody<'a> {
    r#type: &'a str,
    error: AnthropicError<'a>,
}

#[derive(Serialize)]
struct AnthropicError<'a> {
    r#type: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct GoogleErrorBody<'a> {
    error: GoogleError<'a>,
}

#[derive(Serialize)]
struct GoogleError<'a> {
    code: u16,
    message: &'a str,
    status: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &ApiError, dialect: Dialect) -> String {
        String::from_utf8(error.to_body(dialect)).unwrap()
    }

    #[test]
    fn openai_shape() {
        let error = ApiError::new(ErrorKind::NotFound, "no such model")
            .with_code("model_not_found")
            .with_param("model");
        assert_eq!(
            body(&error, Dialect::OpenAi),
            r#"{"error":{"message":"no such model","type":"invalid_request_error","param":"model","code":"model_not_found"}}"#
        );
        assert_eq!(error.status, 404);
    }

    #[test]
    fn anthropic_shape() {
        let error = ApiError::new(ErrorKind::RateLimited, "slow down");
        assert_eq!(
            body(&error, Dialect::Anthropic),
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#
        );
    }

    #[test]
    fn google_shape_keeps_relayed_status() {
        let error = ApiError::new(ErrorKind::Unavailable, "overloaded").with_status(529);
        assert_eq!(
            body(&error, Dialect::Google),
            r#"{"error":{"code":529,"message":"overloaded","status":"UNAVAILABLE"}}"#
        );
    }

    #[test]
    fn upstream_statuses_map_to_kinds() {
        assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_status(422), ErrorKind::InvalidRequest);
        assert_eq!(ErrorKind::from_status(500), ErrorKind::Internal);
        assert_eq!(ErrorKind::from_status(529), ErrorKind::Unavailable);
    }
}
