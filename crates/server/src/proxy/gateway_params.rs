//! Request-body parameters addressed to the gateway rather than the model
//! (LiteLLM's `fallbacks` and `num_retries`): read, then cut out of the body
//! before any other phase sees it, so no provider is sent a parameter it
//! would reject.
//!
//! Bodies without them (nearly all) are not parsed here: a substring search
//! for the names decides.

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use memchr::memmem;
use serde::Deserialize;
use serde_json::value::RawValue;
use switchboard_api::{ApiError, ErrorKind};

/// What the client asked of the gateway for this request.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct GatewayParams {
    /// Model groups to try, in order, when the requested one fails.
    pub fallbacks: Vec<String>,
    /// Retries within a group, instead of `router_settings.num_retries`.
    pub num_retries: Option<u32>,
}

#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow, default)]
    fallbacks: Option<&'a RawValue>,
    #[serde(borrow, default)]
    num_retries: Option<&'a RawValue>,
}

/// A fallback as LiteLLM accepts it: a model name, or `{"model": name}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Fallback {
    Name(String),
    Object { model: String },
}

const NAMES: [&[u8]; 2] = [b"\"fallbacks\"", b"\"num_retries\""];

/// Reads the gateway's parameters from a JSON-object body and returns the
/// body without them (`None` when it had none).
pub(crate) fn take(body: &Bytes) -> Result<(GatewayParams, Option<Bytes>), ApiError> {
    if !NAMES.iter().any(|name| memmem::find(body, name).is_some()) {
        return Ok((GatewayParams::default(), None));
    }
    // A body that does not parse is left to the inspect phase, which
    // reports it in the caller's dialect.
    let Ok(fields) = serde_json::from_slice::<Fields<'_>>(body) else {
        return Ok((GatewayParams::default(), None));
    };
    let mut params = GatewayParams::default();
    let mut cuts = Vec::new();
    if let Some(raw) = fields.fallbacks {
        let list: Vec<Fallback> = serde_json::from_str(raw.get()).map_err(|_| {
            invalid(
                "fallbacks",
                "`fallbacks` must be a list of model names (or of {\"model\": name} objects)",
            )
        })?;
        params.fallbacks = list
            .into_iter()
            .map(|f| match f {
                Fallback::Name(name) | Fallback::Object { model: name } => name,
            })
            .collect();
        cuts.push(member_span(body, "fallbacks", raw)?);
    }
    if let Some(raw) = fields.num_retries {
        let retries: u32 = serde_json::from_str(raw.get()).map_err(|_| {
            invalid(
                "num_retries",
                "`num_retries` must be a non-negative integer",
            )
        })?;
        params.num_retries = Some(retries);
        cuts.push(member_span(body, "num_retries", raw)?);
    }
    cuts.sort_by_key(|range| range.start);
    let mut out = BytesMut::with_capacity(body.len());
    let mut at = 0;
    for cut in cuts {
        out.extend_from_slice(&body[at..cut.start]);
        at = cut.end;
    }
    out.extend_from_slice(&body[at..]);
    Ok((params, Some(out.freeze())))
}

fn invalid(param: &str, message: &str) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message.to_string()).with_param(param)
}

/// The bytes of the object member `"name": value` (with one adjacent
/// comma), given the value borrowed from `body`.
fn member_span(body: &[u8], name: &str, value: &RawValue) -> Result<Range<usize>, ApiError> {
    let value_start = value.get().as_ptr() as usize - body.as_ptr() as usize;
    let value_end = value_start + value.get().len();
    // Back over `:` and whitespace to the key, which must be written plainly
    // (a key with escapes would parse as the same name but is not found).
    let mut key_end = value_start;
    while key_end > 0 && matches!(body[key_end - 1], b' ' | b'\t' | b'\n' | b'\r' | b':') {
        key_end -= 1;
    }
    let key = format!("\"{name}\"");
    let Some(key_start) = key_end
        .checked_sub(key.len())
        .filter(|&s| &body[s..key_end] == key.as_bytes())
    else {
        return Err(invalid(
            name,
            "write gateway parameters without escapes in their names",
        ));
    };
    let skip_ws = |mut i: usize| {
        while i < body.len() && body[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let after = skip_ws(value_end);
    if body.get(after) == Some(&b',') {
        // `"name": v, next` → `next`
        return Ok(key_start..skip_ws(after + 1));
    }
    // The last member: take the comma before it, if any.
    let mut before = key_start;
    while before > 0 && body[before - 1].is_ascii_whitespace() {
        before -= 1;
    }
    if before > 0 && body[before - 1] == b',' {
        return Ok(before - 1..value_end);
    }
    Ok(key_start..value_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str) -> (GatewayParams, String) {
        let (params, out) = take(&Bytes::from(body.to_string())).unwrap();
        let out = out.map_or_else(
            || body.to_string(),
            |b| String::from_utf8(b.to_vec()).unwrap(),
        );
        // Whatever was cut, the rest is still a JSON object.
        serde_json::from_str::<serde_json::Value>(&out).unwrap();
        (params, out)
    }

    #[test]
    fn bodies_without_gateway_params_are_untouched() {
        let (params, out) = run(r#"{"model":"m","messages":[]}"#);
        assert_eq!(params, GatewayParams::default());
        assert_eq!(out, r#"{"model":"m","messages":[]}"#);
    }

    #[test]
    fn fallbacks_and_retries_are_read_and_cut_wherever_they_are() {
        let (params, out) =
            run(r#"{"fallbacks": ["a", {"model": "b"}], "model":"m", "num_retries" : 0}"#);
        assert_eq!(params.fallbacks, ["a", "b"]);
        assert_eq!(params.num_retries, Some(0));
        assert_eq!(out, r#"{"model":"m"}"#);
        let (_, out) = run(r#"{"model":"m","fallbacks":["a"],"stream":true}"#);
        assert_eq!(out, r#"{"model":"m","stream":true}"#);
        let (_, out) = run(r#"{"fallbacks":["a"]}"#);
        assert_eq!(out, "{}");
    }

    #[test]
    fn a_name_inside_content_is_not_a_parameter() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"\"fallbacks\": []"}]}"#;
        let (params, out) = run(body);
        assert_eq!(params, GatewayParams::default());
        assert_eq!(out, body);
    }

    #[test]
    fn malformed_values_are_400s_naming_the_parameter() {
        for (body, param) in [
            (r#"{"fallbacks":"a"}"#, "fallbacks"),
            (r#"{"fallbacks":[1]}"#, "fallbacks"),
            (r#"{"num_retries":-1}"#, "num_retries"),
        ] {
            let error = take(&Bytes::from(body)).unwrap_err();
            assert_eq!(error.param.as_deref(), Some(param), "{body}");
        }
    }
}
