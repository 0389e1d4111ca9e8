//! Building the header set an adapter sends with every request.

use std::collections::BTreeMap;

use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::adapter::ProviderError;
use crate::catalog::AuthStyle;

const USER_AGENT_VALUE: &str = concat!("switchboard/", env!("CARGO_PKG_VERSION"));

/// Content type, user agent, credentials in the provider's style, and the
/// deployment's `extra_headers` (LiteLLM's key).
pub(crate) fn base_headers(
    auth: AuthStyle,
    api_key: Option<&str>,
    extra: &BTreeMap<String, Value>,
) -> Result<HeaderMap, ProviderError> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    if let Some(key) = api_key.filter(|k| !k.is_empty()) {
        let (name, value) = match auth {
            AuthStyle::Bearer => (AUTHORIZATION, format!("Bearer {key}")),
            AuthStyle::ApiKey => (HeaderName::from_static("api-key"), key.to_string()),
            AuthStyle::XApiKey => (HeaderName::from_static("x-api-key"), key.to_string()),
            AuthStyle::XGoogApiKey => (HeaderName::from_static("x-goog-api-key"), key.to_string()),
            AuthStyle::None => return with_extra(headers, extra),
        };
        let mut value = HeaderValue::try_from(value)
            .map_err(|_| ProviderError::InvalidHeader(name.to_string()))?;
        // Keeps the key out of any Debug output of the request.
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    with_extra(headers, extra)
}

fn with_extra(
    mut headers: HeaderMap,
    extra: &BTreeMap<String, Value>,
) -> Result<HeaderMap, ProviderError> {
    let Some(Value::Object(extra_headers)) = extra.get("extra_headers") else {
        return Ok(headers);
    };
    for (name, value) in extra_headers {
        let header = HeaderName::try_from(name.as_str())
            .map_err(|_| ProviderError::InvalidHeader(name.clone()))?;
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let value =
            HeaderValue::try_from(text).map_err(|_| ProviderError::InvalidHeader(name.clone()))?;
        headers.insert(header, value);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_styles() {
        let none = BTreeMap::new();
        let h = base_headers(AuthStyle::Bearer, Some("k1"), &none).unwrap();
        assert_eq!(h[AUTHORIZATION], "Bearer k1");
        assert!(h[AUTHORIZATION].is_sensitive());
        let h = base_headers(AuthStyle::ApiKey, Some("k2"), &none).unwrap();
        assert_eq!(h["api-key"], "k2");
        assert!(!h.contains_key(AUTHORIZATION));
        let h = base_headers(AuthStyle::None, Some("k3"), &none).unwrap();
        assert!(!h.contains_key(AUTHORIZATION));
        let h = base_headers(AuthStyle::Bearer, None, &none).unwrap();
        assert!(!h.contains_key(AUTHORIZATION));
        assert_eq!(h[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn extra_headers_are_added() {
        let extra: BTreeMap<String, Value> =
            serde_json::from_str(r#"{"extra_headers":{"X-Team":"a","X-Num":3}}"#).unwrap();
        let h = base_headers(AuthStyle::Bearer, Some("k"), &extra).unwrap();
        assert_eq!(h["x-team"], "a");
        assert_eq!(h["x-num"], "3");
        let bad: BTreeMap<String, Value> =
            serde_json::from_str(r#"{"extra_headers":{"bad header":"a"}}"#).unwrap();
        assert!(base_headers(AuthStyle::Bearer, None, &bad).is_err());
    }
}
