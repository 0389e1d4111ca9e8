//! AWS Signature Version 4, as Bedrock checks it.
//!
//! The `Authorization` header must read `AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/
//! bedrock/aws4_request, SignedHeaders=<names>, Signature=<hex>` and `x-amz-date` must be
//! present (with the credential's date). The key id must be the configured `api_key`, when
//! there is one; with a configured secret the signature is recomputed and compared.
//! `Authorization: Bearer <api_key>` (a Bedrock API key) is accepted too.

use http::HeaderValue;
use http::StatusCode;
use http::header::{AUTHORIZATION, HOST};
use http::request::Parts;
use ring::{digest, hmac};

use crate::error::ApiError;
use crate::text::hex;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

fn forbidden(native: &'static str, message: &'static str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, message).native(native)
}

fn incomplete(message: &'static str) -> ApiError {
    forbidden("IncompleteSignatureException", message)
}

/// The parts of a SigV4 `Authorization` header.
struct Authorization<'h> {
    access_key: &'h str,
    /// `<date>/<region>/<service>/aws4_request`.
    scope: &'h str,
    date: &'h str,
    service: &'h str,
    signed_headers: &'h str,
    signature: &'h str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, ApiError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| {
            incomplete("Authorization header requires the AWS4-HMAC-SHA256 algorithm.")
        })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for field in rest.split(',') {
        match field.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(incomplete(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
        ));
    };
    let (access_key, scope) = credential
        .split_once('/')
        .ok_or_else(|| incomplete("Credential should be scoped to a valid region."))?;
    let fields: Vec<&str> = scope.split('/').collect();
    let [date, _region, service, "aws4_request"] = fields[..] else {
        return Err(incomplete("Credential should be scoped to a valid region."));
    };
    Ok(Authorization {
        access_key,
        scope,
        date,
        service,
        signed_headers,
        signature,
    })
}

/// Checks a request's SigV4 signature (see the module docs).
pub(crate) fn check(
    parts: &Parts,
    body: &[u8],
    access_key: Option<&str>,
    secret: Option<&str>,
) -> Result<(), ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            forbidden(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )
        })?;
    if let (Some(token), Some(key)) = (header.strip_prefix("Bearer "), access_key) {
        return if token == key {
            Ok(())
        } else {
            Err(forbidden(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ))
        };
    }
    let auth = parse_authorization(header)?;
    let amz_date = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        })?;
    if !amz_date.starts_with(auth.date) || auth.service != "bedrock" {
        return Err(incomplete(
            "Credential should be scoped to a valid region and to the bedrock service.",
        ));
    }
    if access_key.is_some_and(|key| key != auth.access_key) {
        return Err(forbidden(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    if let Some(secret) = secret {
        let expected = signature(
            secret,
            parts,
            body,
            auth.signed_headers,
            amz_date,
            auth.scope,
        );
        if expected != auth.signature {
            return Err(forbidden(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details.",
            ));
        }
    }
    Ok(())
}

/// The signature of a request, computed from scratch.
fn signature(
    secret: &str,
    parts: &Parts,
    body: &[u8],
    signed_headers: &str,
    amz_date: &str,
    scope: &str,
) -> String {
    let canonical = canonical_request(parts, body, signed_headers);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in scope.split('/') {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), part.as_bytes());
        key = tag.as_ref().to_vec();
    }
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &key),
        string_to_sign.as_bytes(),
    );
    hex(tag.as_ref())
}

fn canonical_request(parts: &Parts, body: &[u8], signed_headers: &str) -> String {
    // Services other than S3 encode the (already encoded) path a second time.
    let path = parts.uri.path();
    let path: Vec<String> = path.split('/').map(|s| encode(s.as_bytes())).collect();
    let mut query: Vec<(String, String)> = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (encode(&decode(k)), encode(&decode(v)))
        })
        .collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = parts
            .headers
            .get_all(name)
            .iter()
            .map(|v| collapse(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let value = match (values.is_empty(), name == HOST.as_str()) {
            // HTTP/2 carries the host as `:authority`, which lands in the URI.
            (true, true) => parts
                .uri
                .authority()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            _ => values.join(","),
        };
        headers.push_str(&format!("{name}:{value}\n"));
    }
    let payload = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map_or_else(
            || hex(digest::digest(&digest::SHA256, body).as_ref()),
            str::to_owned,
        );
    format!(
        "{}\n{}\n{}\n{headers}\n{signed_headers}\n{payload}",
        parts.method,
        path.join("/"),
        query.join("&")
    )
}

/// SigV4's URI encoding: everything but unreserved characters as `%XX`.
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_byte = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex_byte) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Trims a header value and collapses runs of spaces.
fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of AWS's SigV4 documentation (IAM `ListUsers`).
    #[test]
    fn matches_the_aws_documentation_example() {
        let req =
            http::Request::get("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                )
                .header("host", "iam.amazonaws.com")
                .header("x-amz-date", "20150830T123600Z")
                .body(())
                .unwrap();
        let (parts, ()) = req.into_parts();
        let sig = signature(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            &parts,
            b"",
            "content-type;host;x-amz-date",
            "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
        );
        assert_eq!(
            sig,
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn paths_are_encoded_twice_and_queries_sorted() {
        assert_eq!(
            encode(b"amazon.titan-embed-text-v2%3A0"),
            "amazon.titan-embed-text-v2%253A0"
        );
        assert_eq!(decode("a%3Ab+c"), b"a:b+c");
        assert_eq!(collapse("  a   b "), "a b");
    }
}
