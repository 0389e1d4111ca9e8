//! Credential checks, each in its provider's style and with its provider's wording. They run
//! only when [`crate::MockConfig::api_key`] (or, for Bedrock, `aws_secret_access_key`) is set.

use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::app::Shared;
use crate::bedrock::sigv4;
use crate::error::ApiError;

/// Which credential a path expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer KEY` (OpenAI).
    Bearer,
    /// `api-key: KEY` (Azure OpenAI deployment paths).
    AzureApiKey,
    /// `x-api-key: KEY` (Anthropic).
    AnthropicKey,
    /// `x-goog-api-key: KEY` or `?key=KEY` (Gemini on AI Studio).
    GoogleKey,
    /// `Authorization: Bearer KEY`, or a token issued by the mock's `POST /token` (Vertex AI).
    GoogleToken,
    /// `Authorization: Bearer KEY`, with Cohere's wording.
    CohereBearer,
    /// AWS Signature Version 4 (Bedrock).
    SigV4,
    /// Not checked.
    None,
}

/// The prefix of the access tokens `POST /token` hands out; a number follows.
pub(crate) const TOKEN_PREFIX: &str = "mock-token-";

/// Checks a request's credentials. `Err` is the error to answer with.
pub(crate) fn check(
    shared: &Shared,
    auth: Auth,
    parts: &Parts,
    body: &[u8],
) -> Result<(), ApiError> {
    let config = &shared.config;
    if auth == Auth::SigV4 {
        if config.api_key.is_none() && config.aws_secret_access_key.is_none() {
            return Ok(());
        }
        return sigv4::check(
            parts,
            body,
            config.api_key.as_deref(),
            config.aws_secret_access_key.as_deref(),
        );
    }
    let Some(key) = config.api_key.as_deref() else {
        return Ok(());
    };
    let headers = &parts.headers;
    let key = key.as_bytes();
    let presented = match auth {
        Auth::None | Auth::SigV4 => return Ok(()),
        Auth::Bearer | Auth::CohereBearer | Auth::GoogleToken => bearer(headers),
        Auth::AzureApiKey => headers.get("api-key").map(HeaderValue::as_bytes),
        Auth::AnthropicKey => headers.get("x-api-key").map(HeaderValue::as_bytes),
        Auth::GoogleKey => headers
            .get("x-goog-api-key")
            .map(HeaderValue::as_bytes)
            .or_else(|| query_param(parts.uri.query(), "key")),
    };
    let accepted = presented
        .is_some_and(|p| p == key || (auth == Auth::GoogleToken && shared.token_was_issued(p)));
    if accepted {
        return Ok(());
    }
    let missing = presented.is_none();
    Err(match auth {
        Auth::AnthropicKey if missing => unauthorized("x-api-key header is required"),
        Auth::AnthropicKey => unauthorized("invalid x-api-key"),
        Auth::GoogleKey if missing => ApiError::new(
            StatusCode::FORBIDDEN,
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
        ),
        Auth::GoogleKey => ApiError::new(
            StatusCode::BAD_REQUEST,
            "API key not valid. Please pass a valid API key.",
        ),
        Auth::GoogleToken if missing => unauthorized(
            "Request is missing required authentication credential. Expected OAuth 2 access \
             token, login cookie or other valid authentication credential.",
        ),
        Auth::GoogleToken => unauthorized(
            "Request had invalid authentication credentials. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential.",
        ),
        Auth::CohereBearer if missing => unauthorized("no api key supplied"),
        Auth::CohereBearer => unauthorized("invalid api token"),
        _ if missing => ApiError::no_api_key(),
        _ => ApiError::wrong_api_key(),
    })
}

fn unauthorized(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, message)
}

fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
}

/// The raw (not percent-decoded) value of `name` in a query string.
pub(crate) fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q [u8]> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_found_by_name() {
        assert_eq!(query_param(Some("alt=sse&key=k1"), "key"), Some(&b"k1"[..]));
        assert_eq!(query_param(Some("alt=sse"), "key"), None);
        assert_eq!(query_param(None, "key"), None);
    }
}
