//! The signed JWT a service account trades for an access token (Google's
//! "Using OAuth 2.0 for Server to Server Applications"; RFC 7523): header
//! `{"alg":"RS256","typ":"JWT","kid":...}`, claims `iss`, `scope`, `aud`,
//! `iat`, `exp`, signed with RSASSA-PKCS1-v1_5 over SHA-256.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::json;

/// Google's maximum assertion lifetime, and what its libraries ask for.
pub(crate) const LIFETIME_SECONDS: u64 = 3600;

/// A service account's RSA key, from the PEM text of its `private_key`:
/// PKCS#8 (`BEGIN PRIVATE KEY`, what Google issues) or PKCS#1
/// (`BEGIN RSA PRIVATE KEY`). Returns the key and its DER bytes.
pub(crate) fn private_key(pem: &str) -> Result<(RsaKeyPair, Vec<u8>), String> {
    let (label, der) = pem_block(pem)?;
    let parsed = match label.as_str() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
        other => {
            return Err(format!(
                "private_key is a `{other}`, not an RSA private key"
            ));
        }
    };
    let key = parsed.map_err(|why| format!("private_key is not a usable RSA key: {why}"))?;
    Ok((key, der))
}

/// The label and decoded contents of the first PEM block.
fn pem_block(pem: &str) -> Result<(String, Vec<u8>), String> {
    let missing = || "private_key is not a PEM block (-----BEGIN PRIVATE KEY-----)".to_owned();
    let (_, rest) = pem.split_once("-----BEGIN ").ok_or_else(missing)?;
    let (label, rest) = rest.split_once("-----").ok_or_else(missing)?;
    let (body, _) = rest.split_once("-----END ").ok_or_else(missing)?;
    // Keys pasted through environment variables often keep `\n` as two
    // characters; they are line breaks, which base64 ignores.
    let body: String = body
        .replace("\\n", "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD
        .decode(body)
        .map_err(|why| format!("private_key's PEM body is not base64: {why}"))?;
    Ok((label.to_owned(), der))
}

/// A TEST-ONLY key (`openssl genpkey -algorithm RSA -pkeyopt
/// rsa_keygen_bits:2048`); it protects nothing.
#[cfg(test)]
pub(crate) const TEST_KEY: &str = include_str!("testdata/TEST-ONLY-rsa-2048.pk8.pem");

/// What the assertion claims.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claims<'a> {
    /// The service account's `client_email`.
    pub issuer: &'a str,
    /// The token endpoint (`token_uri`).
    pub audience: &'a str,
    pub scope: &'a str,
    /// `private_key_id`, so Google picks the right public key.
    pub key_id: Option<&'a str>,
    /// Seconds since the Unix epoch.
    pub issued_at: u64,
}

/// `base64url(header).base64url(claims).base64url(signature)`.
pub(crate) fn assertion(key: &RsaKeyPair, claims: &Claims<'_>) -> Result<String, String> {
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = claims.key_id {
        header["kid"] = json!(kid);
    }
    let body = json!({
        "iss": claims.issuer,
        "scope": claims.scope,
        "aud": claims.audience,
        "iat": claims.issued_at,
        "exp": claims.issued_at + LIFETIME_SECONDS,
    });
    let mut jwt = String::with_capacity(1024);
    URL_SAFE_NO_PAD.encode_string(header.to_string(), &mut jwt);
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(body.to_string(), &mut jwt);
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        jwt.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "the JWT could not be signed".to_owned())?;
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
    Ok(jwt)
}

#[cfg(test)]
mod tests {
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use serde_json::Value;

    use super::*;

    fn decode(segment: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    }

    #[test]
    fn the_assertion_is_a_signed_jwt_with_the_claims() {
        let (key, _) = private_key(TEST_KEY).unwrap();
        let claims = Claims {
            issuer: "sa@project.iam.gserviceaccount.com",
            audience: "https://oauth2.googleapis.com/token",
            scope: "https://www.googleapis.com/auth/cloud-platform",
            key_id: Some("abc123"),
            issued_at: 1_750_000_000,
        };
        let jwt = assertion(&key, &claims).unwrap();
        let segments: Vec<&str> = jwt.split('.').collect();
        assert_eq!(segments.len(), 3, "{jwt}");
        assert_eq!(
            decode(segments[0]),
            json!({"alg": "RS256", "typ": "JWT", "kid": "abc123"})
        );
        assert_eq!(
            decode(segments[1]),
            json!({"iss": claims.issuer, "scope": claims.scope, "aud": claims.audience,
                "iat": 1_750_000_000u64, "exp": 1_750_003_600u64})
        );
        // Verified with the public half, over `header.claims`.
        let signature = URL_SAFE_NO_PAD.decode(segments[2]).unwrap();
        assert_eq!(signature.len(), 256);
        let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public().as_ref());
        let signed = &jwt[..segments[0].len() + 1 + segments[1].len()];
        public.verify(signed.as_bytes(), &signature).unwrap();
        let mut tampered = signed.as_bytes().to_vec();
        tampered[0] ^= 1;
        assert!(public.verify(&tampered, &signature).is_err());
    }

    #[test]
    fn keys_are_read_from_pem_with_escaped_newlines_too() {
        let (_, der) = private_key(TEST_KEY).unwrap();
        let escaped = TEST_KEY.replace('\n', "\\n");
        assert_eq!(private_key(&escaped).unwrap().1, der);
        assert!(
            private_key("not a key")
                .unwrap_err()
                .contains("not a PEM block")
        );
        let certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(
            private_key(certificate)
                .unwrap_err()
                .contains("CERTIFICATE")
        );
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(
            private_key(garbage)
                .unwrap_err()
                .contains("not a usable RSA key")
        );
    }
}
