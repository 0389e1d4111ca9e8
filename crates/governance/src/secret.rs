//! Virtual keys: generated from the OS's randomness, shown once, stored
//! only as SHA-256 hashes (LiteLLM's `token`).

use ring::digest;

/// A new key: `sk-` and 32 random characters (base62), as LiteLLM's keys.
pub fn generate() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = String::with_capacity(35);
    key.push_str("sk-");
    while key.len() < 35 {
        let mut bytes = [0u8; 48];
        getrandom::fill(&mut bytes)?;
        for byte in bytes {
            // 248 = 4 × 62: rejection sampling keeps characters uniform.
            if usize::from(byte) < 248 && key.len() < 35 {
                key.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
            }
        }
    }
    Ok(key)
}

/// The stored form of a key: lowercase hex SHA-256 (LiteLLM's `hash_token`).
pub fn hash(key: &str) -> String {
    let digest = digest::digest(&digest::SHA256, key.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.as_ref() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// What may be shown of a key after creation: `sk-...abcd`.
pub fn display_name(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("sk-...{tail}")
}

/// Whether `text` looks like a key hash rather than a key.
pub fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_well_formed() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("sk-") && a.len() == 35);
        assert!(a[3..].bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 example.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_hash(&hash("sk-x")));
        assert!(!is_hash("sk-x"));
        assert_eq!(display_name("sk-abcdefgh1234"), "sk-...1234");
    }
}
