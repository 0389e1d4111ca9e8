//! Front doors: the API dialects clients speak.

pub mod openai;

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use switchboard_api::{ApiError, ErrorKind};

/// Reads a request body of at most `limit` bytes (413 beyond).
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorKind::RequestTooLarge,
            format!(
                "The request body is larger than the limit of {} bytes (general_settings.max_request_size_mb).",
                limit
            ),
        )
        .with_code("request_too_large")
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(error) => Err(ApiError::new(
            ErrorKind::InvalidRequest,
            format!("could not read the request body: {error}"),
        )),
    }
}
