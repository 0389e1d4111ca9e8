//! `POST /token`: the OAuth 2.0 token endpoint of Google's service-account flow (RFC 7523
//! JWT bearer grant), so a gateway's Vertex AI credentials can be exercised end to end.
//!
//! The form body must carry `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
//! `assertion` that is a JWT: three base64url segments, a JSON header, and JSON claims with
//! `iss`, `scope`, `aud`, `exp` and `iat`. The signature is not verified (the mock has no
//! public key). The answer is `{"access_token":"mock-token-<n>","expires_in":3599,
//! "token_type":"Bearer"}`; Vertex AI paths then accept that token. Requests are recorded;
//! faults do not apply.

use axum::extract::{Request, State};
use axum::response::Response;
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::S;
use crate::auth::Auth;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::pipeline::{arrive, plain_json};
use crate::text::base64url_decode;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const REQUIRED_CLAIMS: [&str; 5] = ["iss", "scope", "aud", "exp", "iat"];

pub(super) async fn token(State(shared): S, req: Request) -> Response {
    let arrival = match arrive(&shared, req, Auth::None, Dialect::OAuth).await {
        Ok(arrival) => arrival,
        Err(response) => return response,
    };
    if let Err(err) = check_grant(&arrival.body) {
        return Dialect::OAuth.error_response(&err, &arrival.record);
    }
    #[derive(Serialize)]
    struct Token {
        access_token: String,
        expires_in: u64,
        token_type: &'static str,
    }
    let token = Token {
        access_token: shared.issue_token(),
        expires_in: 3599,
        token_type: "Bearer",
    };
    match serde_json::to_vec(&token) {
        Ok(body) => plain_json(StatusCode::OK, body.into(), &arrival.record),
        Err(err) => {
            let err = ApiError::internal(format!("switchboard-mock failed to render: {err}"));
            Dialect::OAuth.error_response(&err, &arrival.record)
        }
    }
}

fn oauth_error(error: &'static str, description: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, description.into()).native(error)
}

/// Checks the form body of a JWT bearer grant.
fn check_grant(body: &[u8]) -> Result<(), ApiError> {
    let mut grant_type = None;
    let mut assertion = None;
    for (key, value) in form_urlencoded::parse(body) {
        match key.as_ref() {
            "grant_type" => grant_type = Some(value),
            "assertion" => assertion = Some(value),
            _ => {}
        }
    }
    match grant_type.as_deref() {
        Some(JWT_BEARER) => {}
        Some(other) => {
            return Err(oauth_error(
                "unsupported_grant_type",
                format!("Invalid grant_type: {other}"),
            ));
        }
        None => {
            return Err(oauth_error(
                "invalid_request",
                "Missing required parameter: grant_type",
            ));
        }
    }
    let assertion = assertion
        .ok_or_else(|| oauth_error("invalid_request", "Missing required parameter: assertion"))?;
    check_jwt(&assertion)
}

fn check_jwt(jwt: &str) -> Result<(), ApiError> {
    let invalid = |why: &str| oauth_error("invalid_grant", format!("Invalid JWT: {why}"));
    let segments: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = segments[..] else {
        return Err(invalid("expected three base64url segments"));
    };
    let object = |segment: &str, what: &str| -> Result<Map<String, Value>, ApiError> {
        let bytes = base64url_decode(segment)
            .ok_or_else(|| invalid(&format!("the {what} is not base64url")))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(invalid(&format!("the {what} is not a JSON object"))),
        }
    };
    object(header, "header")?;
    let claims = object(claims, "claim set")?;
    if signature.is_empty() || base64url_decode(signature).is_none() {
        return Err(invalid("the signature is missing or not base64url"));
    }
    if let Some(missing) = REQUIRED_CLAIMS.iter().find(|c| !claims.contains_key(**c)) {
        return Err(invalid(&format!("the claim set has no '{missing}'")));
    }
    let time = |name: &str| claims.get(name).and_then(Value::as_u64);
    match (time("iat"), time("exp")) {
        (Some(iat), Some(exp)) if exp > iat => Ok(()),
        _ => Err(invalid(
            "'iat' and 'exp' must be numbers with exp after iat",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_need_three_segments_and_the_claims() {
        // {"alg":"RS256","typ":"JWT"} . {"iss":"a","scope":"s","aud":"u","exp":2,"iat":1} . sig
        let header = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
        let claims = "eyJpc3MiOiJhIiwic2NvcGUiOiJzIiwiYXVkIjoidSIsImV4cCI6MiwiaWF0IjoxfQ";
        assert!(check_jwt(&format!("{header}.{claims}.c2ln")).is_ok());
        assert!(check_jwt(&format!("{header}.{claims}")).is_err());
        assert!(check_jwt(&format!("{header}.{header}.c2ln")).is_err());
        assert!(check_jwt("a.b.c").is_err());
    }
}
