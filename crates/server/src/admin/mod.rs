//! The admin API (LiteLLM's management paths), for the master key.

pub mod spend;

use axum::response::Response;
use http::HeaderMap;
use switchboard_api::{ApiError, ErrorKind};

use crate::auth::{Principal, authenticate};
use crate::context::RequestContext;
use crate::front::openai::error_response;
use crate::runtime::Runtime;

/// Admits only the proxy admin; anything else gets an OpenAI-shaped 401/403.
pub fn require_admin(runtime: &Runtime, headers: &HeaderMap) -> Result<Principal, Box<Response>> {
    let deny = |error: ApiError| {
        let ctx = RequestContext::start(headers, "", "admin");
        Box::new(error_response(error.into(), &ctx))
    };
    match authenticate(runtime, headers, None) {
        Ok(principal @ Principal::MasterKey) => Ok(principal),
        Err(error) => Err(deny(error)),
    }
}

/// A 503 for admin routes that need the database when there is none.
pub fn no_database() -> ApiError {
    ApiError::new(
        ErrorKind::Unavailable,
        "no database is configured (set general_settings.database_url, or run with a data directory)",
    )
}
