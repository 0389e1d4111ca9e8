//! Sealing secrets at rest: deployments added through the admin API carry
//! provider credentials, so their definitions are stored encrypted
//! (AES-256-GCM, a fresh random nonce per value).
//!
//! The key is the SHA-256 of `SWITCHBOARD_SALT_KEY`, else `LITELLM_SALT_KEY`
//! (LiteLLM's variable for the same purpose), else the master key. As with
//! LiteLLM, changing it makes what was sealed with the old one unreadable:
//! set a salt key that outlives master key rotations.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

/// The prefix of a sealed value: the format's version.
const PREFIX: &str = "v1:";

/// Seals and opens values with one key.
pub struct SecretBox {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the value is not sealed in a format this version reads")]
    Format,
    #[error("the value was sealed with another key (was the salt key or master key changed?)")]
    WrongKey,
    #[error("the system random number generator failed")]
    Random,
    #[error("the key could not be set up")]
    Key,
}

impl SecretBox {
    /// A box keyed by the SHA-256 of `material`.
    pub fn new(material: &str) -> Result<SecretBox, SecretError> {
        let hash = digest(&SHA256, material.as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, hash.as_ref()).map_err(|_| SecretError::Key)?;
        Ok(SecretBox {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        })
    }

    /// The key material the process uses: the salt key variables, else the
    /// master key.
    pub fn material(env: impl Fn(&str) -> Option<String>, master_key: &str) -> String {
        ["SWITCHBOARD_SALT_KEY", "LITELLM_SALT_KEY"]
            .into_iter()
            .find_map(|name| env(name).filter(|v| !v.is_empty()))
            .unwrap_or_else(|| master_key.to_string())
    }

    /// `v1:` and base64 of nonce, ciphertext and tag.
    pub fn seal(&self, plain: &[u8]) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| SecretError::Random)?;
        let mut sealed = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut sealed,
            )
            .map_err(|_| SecretError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SecretError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(SecretError::Format)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SecretError::Format)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Format);
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Format)?;
        let mut rest = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut rest)
            .map_err(|_| SecretError::WrongKey)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only() {
        let one = SecretBox::new("sk-one").unwrap();
        let sealed = one.seal(b"api_key: secret").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("secret"));
        assert_eq!(one.open(&sealed).unwrap(), b"api_key: secret");
        // A fresh nonce each time.
        assert_ne!(one.seal(b"x").unwrap(), one.seal(b"x").unwrap());
        assert_eq!(
            SecretBox::new("sk-two").unwrap().open(&sealed),
            Err(SecretError::WrongKey)
        );
        assert_eq!(one.open("plain text"), Err(SecretError::Format));
        assert_eq!(one.open("v1:!!"), Err(SecretError::Format));
        assert_eq!(one.open("v1:AAAA"), Err(SecretError::Format));
    }

    #[test]
    fn the_salt_key_wins_over_the_master_key() {
        let env = |name: &str| (name == "LITELLM_SALT_KEY").then(|| "salt".to_string());
        assert_eq!(SecretBox::material(env, "sk-master"), "salt");
        assert_eq!(SecretBox::material(|_| None, "sk-master"), "sk-master");
    }
}
