//! AWS Signature Version 4 (AWS General Reference, "Create a signed AWS API
//! request"), with `ring`'s SHA-256 and HMAC.
//!
//! `ring` is already built for TLS; the `aws-sigv4` crate would add about 16
//! crates (the aws-smithy runtime, `time`, ...) for what is a page of
//! well-specified code, checked here against AWS's documented example and,
//! in the integration tests, against the mock's independent verifier.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderName, HeaderValue, Uri};
use ring::{digest, hmac};

use crate::adapter::ProviderError;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Static AWS credentials. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Who signs, for which region and service.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    pub credentials: Credentials,
    pub region: String,
    pub service: &'static str,
}

impl Signer {
    /// Signs a request in place: adds `x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` (with a session token) and `authorization`.
    /// The signed headers are those and `host`; others (content type, extra
    /// headers) travel unsigned, which SigV4 allows.
    pub(crate) fn sign(
        &self,
        request: &mut Parts,
        body: &[Bytes],
        now: SystemTime,
    ) -> Result<(), ProviderError> {
        let amz_date = amz_date(now);
        let mut payload = digest::Context::new(&digest::SHA256);
        for segment in body {
            payload.update(segment);
        }
        let payload_hash = hex(payload.finish().as_ref());
        let host = host(&request.uri)?;
        let mut signed = vec![
            ("host", host.as_str()),
            ("x-amz-content-sha256", payload_hash.as_str()),
            ("x-amz-date", amz_date.as_str()),
        ];
        if let Some(token) = &self.credentials.session_token {
            signed.push(("x-amz-security-token", token));
        }
        let authorization = self.authorization(
            request.method.as_str(),
            &request.uri,
            &signed,
            &payload_hash,
            &amz_date,
        );
        // The HTTP client writes `host` (or HTTP/2's `:authority`) itself.
        for (name, value) in signed.iter().filter(|(name, _)| *name != "host") {
            insert(request, name, value)?;
        }
        insert(request, "authorization", &authorization)
    }

    /// The `Authorization` header value for a request whose signed headers
    /// (lower-case names) are `signed`.
    fn authorization(
        &self,
        method: &str,
        uri: &Uri,
        signed: &[(&str, &str)],
        payload_hash: &str,
        amz_date: &str,
    ) -> String {
        let date = amz_date.get(..8).unwrap_or(amz_date);
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let (canonical, signed_headers) = canonical_request(method, uri, signed, payload_hash);
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
            hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
        );
        let key = signing_key(
            &self.credentials.secret_access_key,
            date,
            &self.region,
            self.service,
        );
        let signature = hex(hmac::sign(&key, string_to_sign.as_bytes()).as_ref());
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.credentials.access_key_id
        )
    }
}

fn insert(request: &mut Parts, name: &str, value: &str) -> Result<(), ProviderError> {
    let name = HeaderName::try_from(name).map_err(|_| ProviderError::InvalidHeader(name.into()))?;
    let mut value =
        HeaderValue::try_from(value).map_err(|_| ProviderError::InvalidHeader(name.to_string()))?;
    value.set_sensitive(name == http::header::AUTHORIZATION || name == "x-amz-security-token");
    request.headers.insert(name, value);
    Ok(())
}

/// The host as the HTTP client will send it (hyper's rule): the port only
/// when it is not the scheme's default.
fn host(uri: &Uri) -> Result<String, ProviderError> {
    let host = uri
        .host()
        .ok_or_else(|| ProviderError::invalid_url(&uri.to_string(), "no host to sign"))?;
    let default = matches!(
        (uri.scheme_str(), uri.port_u16()),
        (Some("https"), Some(443)) | (Some("http"), Some(80))
    );
    Ok(match uri.port_u16() {
        Some(port) if !default => format!("{host}:{port}"),
        _ => host.to_owned(),
    })
}

/// The canonical request and the `SignedHeaders` list.
fn canonical_request(
    method: &str,
    uri: &Uri,
    signed: &[(&str, &str)],
    payload_hash: &str,
) -> (String, String) {
    // Services other than S3 encode the (already encoded) path once more.
    let path = match uri.path() {
        "" => "/".to_owned(),
        path => path
            .split('/')
            .map(|segment| encode(segment.as_bytes()))
            .collect::<Vec<_>>()
            .join("/"),
    };
    let mut query: Vec<(String, String)> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (encode(&decode(key)), encode(&decode(value)))
        })
        .collect();
    query.sort();
    let query: Vec<String> = query.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers: Vec<(&str, String)> = signed
        .iter()
        .map(|(name, value)| {
            (
                *name,
                value.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    headers.sort();
    let mut canonical_headers = String::new();
    for (name, value) in &headers {
        let _ = writeln!(canonical_headers, "{name}:{value}");
    }
    let signed_headers = headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{method}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        query.join("&")
    );
    (canonical, signed_headers)
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, "aws4_request"] {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), part.as_bytes());
        key = tag.as_ref().to_vec();
    }
    hmac::Key::new(hmac::HMAC_SHA256, &key)
}

/// SigV4's URI encoding: every byte but the unreserved characters as `%XX`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
fn amz_date(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn signer(service: &'static str) -> Signer {
        Signer {
            credentials: Credentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: SECRET.into(),
                session_token: None,
            },
            region: "us-east-1".into(),
            service,
        }
    }

    /// The worked example of AWS's SigV4 documentation (IAM `ListUsers`):
    /// its canonical request hash, signing key and signature.
    #[test]
    fn matches_the_aws_documentation_example() {
        let uri: Uri = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"
            .parse()
            .unwrap();
        let signed = [
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("host", "iam.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ];
        let empty = hex(digest::digest(&digest::SHA256, b"").as_ref());
        let (canonical, signed_headers) = canonical_request("GET", &uri, &signed, &empty);
        assert_eq!(signed_headers, "content-type;host;x-amz-date");
        assert_eq!(
            hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
        let probe = hmac::sign(&key, b"");
        let expected_key = hmac::Key::new(
            hmac::HMAC_SHA256,
            &[
                0xc4, 0xaf, 0xb1, 0xcc, 0x57, 0x71, 0xd8, 0x71, 0x76, 0x3a, 0x39, 0x3e, 0x44, 0xb7,
                0x03, 0x57, 0x1b, 0x55, 0xcc, 0x28, 0x42, 0x4d, 0x1a, 0x5e, 0x86, 0xda, 0x6e, 0xd3,
                0xc1, 0x54, 0xa4, 0xb9,
            ],
        );
        assert_eq!(probe.as_ref(), hmac::sign(&expected_key, b"").as_ref());
        let authorization =
            signer("iam").authorization("GET", &uri, &signed, &empty, "20150830T123600Z");
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn signing_a_bedrock_request_adds_the_headers() {
        let (mut parts, ()) = http::Request::post(
            "https://bedrock-runtime.us-east-1.amazonaws.com:443/model/amazon.nova-pro-v1%3A0/converse",
        )
        .body(())
        .unwrap()
        .into_parts();
        let mut signer = signer("bedrock");
        signer.credentials.session_token = Some("token/with=chars".into());
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let body = [
            Bytes::from_static(b"{\"messages\":"),
            Bytes::from_static(b"[]}"),
        ];
        signer.sign(&mut parts, &body, now).unwrap();
        let header = |name: &str| parts.headers[name].to_str().unwrap().to_owned();
        assert_eq!(header("x-amz-date"), "20150830T123600Z");
        assert_eq!(
            header("x-amz-content-sha256"),
            hex(digest::digest(&digest::SHA256, b"{\"messages\":[]}").as_ref())
        );
        assert_eq!(header("x-amz-security-token"), "token/with=chars");
        assert!(parts.headers["authorization"].is_sensitive());
        let authorization = header("authorization");
        assert!(authorization.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, \
             SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="
        ));
        let (canonical, _) = canonical_request(
            "POST",
            &parts.uri,
            &[("host", &host(&parts.uri).unwrap())],
            "x",
        );
        // The default port is not part of the host; the path is encoded twice.
        assert!(
            canonical.starts_with(
                "POST\n/model/amazon.nova-pro-v1%253A0/converse\n\nhost:bedrock-runtime.us-east-1.amazonaws.com\n"
            ),
            "{canonical}"
        );
    }

    #[test]
    fn dates_and_encoding() {
        let at = |seconds| amz_date(UNIX_EPOCH + Duration::from_secs(seconds));
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(951_868_799), "20000229T235959Z");
        assert_eq!(at(4_107_542_400), "21000301T000000Z");
        assert_eq!(
            encode(b"us.anthropic.claude:0/x y"),
            "us.anthropic.claude%3A0%2Fx%20y"
        );
        assert_eq!(decode("a%3Ab+c%zz"), b"a:b+c%zz");
        let uri: Uri = "http://127.0.0.1:8080/x".parse().unwrap();
        assert_eq!(host(&uri).unwrap(), "127.0.0.1:8080");
    }
}
