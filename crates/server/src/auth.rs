//! The auth phase: who is calling.

use http::HeaderMap;
use subtle::ConstantTimeEq;
use switchboard_api::{ApiError, ErrorKind};
use switchboard_governance::entities::UserRole;
use switchboard_governance::{Caller, Registry, secret, time};

use crate::failure::Failure;
use crate::runtime::Runtime;

/// The caller, as far as the gateway knows it.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The proxy admin's master key.
    MasterKey,
    /// A virtual key and the user, team and organization behind it.
    Key(Caller),
}

impl Principal {
    /// The role that decides what the caller may do on admin routes: the
    /// master key is the proxy admin; a key has its user's role.
    pub fn role(&self) -> UserRole {
        match self {
            Principal::MasterKey => UserRole::ProxyAdmin,
            Principal::Key(caller) => caller
                .user
                .as_ref()
                .map_or(UserRole::InternalUser, |user| user.doc().user_role),
        }
    }

    /// The user behind the caller, if any.
    pub fn user_id(&self) -> Option<String> {
        match self {
            Principal::MasterKey => None,
            Principal::Key(caller) => caller.key.doc().user_id.clone(),
        }
    }

    /// How the audit log names the caller.
    pub fn actor(&self) -> String {
        match self {
            Principal::MasterKey => "master_key".into(),
            Principal::Key(caller) => {
                let key = caller.key.doc();
                match (&key.user_id, &key.key_alias) {
                    (Some(user), _) => format!("user:{user}"),
                    (None, Some(alias)) => format!("key:{alias}"),
                    (None, None) => format!("key:{}", key.key_name),
                }
            }
        }
    }

    pub fn caller(&self) -> Option<&Caller> {
        match self {
            Principal::MasterKey => None,
            Principal::Key(caller) => Some(caller),
        }
    }
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
    registry: &Registry,
    headers: &HeaderMap,
    query_key: Option<&str>,
) -> Result<Principal, Failure> {
    let key = presented_key(headers)
        .or(query_key)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            Failure::from(ApiError::new(
                ErrorKind::Authentication,
                "Missing API key: pass it as `Authorization: Bearer <key>` (or the `api-key` / `x-api-key` header).",
            ))
        })?;
    if bool::from(key.as_bytes().ct_eq(runtime.master_key.as_bytes())) {
        return Ok(Principal::MasterKey);
    }
    registry
        .caller(&secret::hash(key), time::now_ms())
        .map(Principal::Key)
        .map_err(Failure::from_denial)
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
