//! The auth phase: who is calling.

use http::HeaderMap;
use subtle::ConstantTimeEq;
use switchboard_api::{ApiError, ErrorKind};

use crate::runtime::Runtime;

/// The caller, as far as the gateway knows it. Virtual keys, users and teams
/// join here as governance lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The proxy admin's master key.
    MasterKey,
}

/// The headers a client SDK may carry its key in: OpenAI's and most SDKs'
/// bearer token, Azure's `api-key`, Anthropic's `x-api-key`, Google's
/// `x-goog-api-key`, LiteLLM's own.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let text = value.to_str().ok()?.trim();
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .unwrap_or(text);
        return Some(token.trim());
    }
    [
        "api-key",
        "x-api-key",
        "x-goog-api-key",
        "x-litellm-api-key",
    ]
    .iter()
    .find_map(|name| headers.get(*name)?.to_str().ok())
    .map(str::trim)
}

/// Who is calling. `query_key` is a key given in the URL (Gemini's `?key=`),
/// used when no header carries one.
pub fn authenticate(
    runtime: &Runtime,
    headers: &HeaderMap,
    query_key: Option<&str>,
) -> Result<Principal, ApiError> {
    let key = presented_key(headers)
        .or(query_key)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
        ApiError::new(
            ErrorKind::Authentication,
            "Missing API key: pass it as `Authorization: Bearer <key>` (or the `api-key` / `x-api-key` header).",
        )
    })?;
    if bool::from(key.as_bytes().ct_eq(runtime.master_key.as_bytes())) {
        return Ok(Principal::MasterKey);
    }
    Err(ApiError::new(ErrorKind::Authentication, "Invalid API key.").with_code("invalid_api_key"))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn key_from_each_header() {
        for (name, value) in [
            ("authorization", "Bearer sk-1"),
            ("authorization", "sk-1"),
            ("api-key", "sk-1"),
            ("x-api-key", "sk-1"),
            ("x-goog-api-key", "sk-1"),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static(value));
            assert_eq!(presented_key(&headers), Some("sk-1"), "{name}");
        }
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }
}
