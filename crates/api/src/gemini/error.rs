//! Gemini error bodies → [`ApiError`].

use serde_json::Value;

use super::types::GoogleErrorBody;
use crate::error::{ApiError, ErrorKind};

/// The error an upstream Gemini error response describes. The kind comes
/// from Google's `status` name (more precise than the HTTP status: 400 is
/// both `INVALID_ARGUMENT` and `FAILED_PRECONDITION`), the HTTP status is
/// kept as relayed, the message as Google wrote it.
///
/// `streamGenerateContent` without `alt=sse` wraps errors in a one-element
/// array; both shapes are read. A body that is not a Google error keeps its
/// text (cut to a readable length) as the message.
pub fn error_from_gemini(status: u16, body: &[u8]) -> ApiError {
    let Some(error) = parse_error(body) else {
        let kind = ErrorKind::from_status(status);
        return ApiError::new(kind, fallback_message(status, body)).with_status(status);
    };
    let kind = if has_reason(&error, "API_KEY_INVALID") {
        // Google answers a bad key with 400 INVALID_ARGUMENT; the reason
        // says what it is, and the gateway treats it as a credentials error.
        ErrorKind::Authentication
    } else {
        kind_of(&error.error.status).unwrap_or_else(|| ErrorKind::from_status(status))
    };
    let message = if error.error.message.is_empty() {
        fallback_message(status, body)
    } else {
        error.error.message
    };
    ApiError::new(kind, message).with_status(status)
}

fn parse_error(body: &[u8]) -> Option<GoogleErrorBody> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let value = match value {
        Value::Array(mut items) if items.len() == 1 => items.pop()?,
        other => other,
    };
    serde_json::from_value(value).ok()
}

/// Whether a `google.rpc.ErrorInfo` of the details has this `reason`.
fn has_reason(error: &GoogleErrorBody, reason: &str) -> bool {
    error
        .error
        .details
        .iter()
        .any(|detail| detail.get("reason").and_then(Value::as_str) == Some(reason))
}

/// google.rpc.Code names → kinds. `None` for names without a better answer
/// than the HTTP status.
fn kind_of(status: &str) -> Option<ErrorKind> {
    let kind = match status {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" | "ALREADY_EXISTS" => {
            ErrorKind::InvalidRequest
        }
        "UNAUTHENTICATED" => ErrorKind::Authentication,
        "PERMISSION_DENIED" => ErrorKind::PermissionDenied,
        "NOT_FOUND" => ErrorKind::NotFound,
        "RESOURCE_EXHAUSTED" => ErrorKind::RateLimited,
        "DEADLINE_EXCEEDED" => ErrorKind::Timeout,
        "UNAVAILABLE" | "ABORTED" => ErrorKind::Unavailable,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" | "UNIMPLEMENTED" => ErrorKind::Internal,
        _ => return None,
    };
    Some(kind)
}

const MAX_FALLBACK_CHARS: usize = 500;

fn fallback_message(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return format!("Gemini returned HTTP {status}");
    }
    let cut: String = text.chars().take(MAX_FALLBACK_CHARS).collect();
    format!("Gemini returned HTTP {status}: {cut}")
}
