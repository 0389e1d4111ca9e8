//! Small deterministic helpers: hashing, token estimates, splitting text into pieces, base64,
//! ids and embedding vectors.

/// FNV-1a, 64 bit: deterministic across runs and platforms (unlike `RandomState`), and tiny.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// SplitMix64: a deterministic stream of pseudo-random numbers from one seed.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A rough token count for prompt text: a quarter of its characters, at least 1.
pub(crate) fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4).max(1) as u64
}

/// The first `max` characters of `text`.
pub(crate) fn prefix_chars(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(byte, _)| &text[..byte])
}

/// Appends filler words until `text` has at least `min_chars` characters, so it can be split
/// into that many non-empty pieces.
pub(crate) fn pad_to_chars(text: &mut String, min_chars: usize) {
    const FILLER: &str = " mock";
    let have = text.chars().count();
    if have < min_chars {
        let words = (min_chars - have).div_ceil(FILLER.len());
        text.reserve(words * FILLER.len());
        for _ in 0..words {
            text.push_str(FILLER);
        }
    }
}

/// Splits `text` into `n` contiguous pieces of near-equal character counts. Fewer pieces come
/// back when `text` has fewer than `n` characters (one per character; none for "").
pub(crate) fn split_even(text: &str, n: usize) -> Vec<&str> {
    let total = text.chars().count();
    let n = n.min(total);
    let mut pieces = Vec::with_capacity(n);
    if n == 0 {
        return pieces;
    }
    // Piece k ends at character k * total / n; since total >= n the ends strictly increase,
    // so no piece is empty.
    let mut start = 0;
    let mut next = 1;
    for (index, (byte, _)) in text.char_indices().enumerate() {
        if next < n && index == next * total / n {
            pieces.push(&text[start..byte]);
            start = byte;
            next += 1;
        }
    }
    pieces.push(&text[start..]);
    pieces
}

/// Standard base64 (RFC 4648, with padding). Only used for embeddings, so a few lines beat a
/// dependency.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Decodes base64url without padding (JWT segments); `None` if `text` is not that.
pub(crate) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        })
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for quad in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for &c in quad {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * (4 - quad.len() as u32);
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..quad.len()]);
    }
    Some(out)
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A UUID-shaped id (8-4-4-4-12 hex digits) derived from `seed`, like Cohere's ids.
pub(crate) fn uuid_like(seed: u64) -> String {
    let mut state = seed;
    let (a, b) = (splitmix64(&mut state), splitmix64(&mut state));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// A deterministic pseudo-random vector of length 1.
pub(crate) fn unit_vector(seed: u64, dimensions: usize) -> Vec<f32> {
    let mut state = seed;
    let mut vector: Vec<f32> = (0..dimensions)
        .map(|_| {
            // The top 24 bits fit an f32 mantissa exactly: uniform in [-1, 1).
            let bits = (splitmix64(&mut state) >> 40) as f32;
            bits / (1u32 << 23) as f32 - 1.0
        })
        .collect();
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut vector {
            *x /= norm;
        }
    }
    vector
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_even_gives_exactly_n_nonempty_pieces() {
        let text = "Mock reply: héllo wörld";
        for n in 1..=text.chars().count() {
            let pieces = split_even(text, n);
            assert_eq!(pieces.len(), n);
            assert!(pieces.iter().all(|p| !p.is_empty()));
            assert_eq!(pieces.concat(), text);
        }
        assert_eq!(split_even("ab", 5), vec!["a", "b"]);
        assert!(split_even("", 3).is_empty());
    }

    #[test]
    fn padding_reaches_the_requested_length() {
        let mut s = String::from("hi");
        pad_to_chars(&mut s, 9);
        assert_eq!(s, "hi mock mock");
        let mut s = String::from("long enough");
        pad_to_chars(&mut s, 3);
        assert_eq!(s, "long enough");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64_encode(input.as_bytes()), expected);
        }
    }

    #[test]
    fn base64url_round_trips_and_rejects_other_alphabets() {
        assert_eq!(base64url_decode("Zm9vYmE").unwrap(), b"fooba");
        assert_eq!(base64url_decode("Zm9vYg").unwrap(), b"foob");
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert!(base64url_decode("a+b/").is_none());
        assert!(base64url_decode("abcde").is_none());
    }

    #[test]
    fn vectors_are_unit_length_and_deterministic() {
        let a = unit_vector(42, 16);
        assert_eq!(a, unit_vector(42, 16));
        assert_ne!(a, unit_vector(43, 16));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
    }

    #[test]
    fn uuid_like_ids_have_the_uuid_shape() {
        let id = uuid_like(7);
        let lens: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12]);
        assert_eq!(id, uuid_like(7));
    }

    #[test]
    fn prefix_respects_char_boundaries() {
        assert_eq!(prefix_chars("héllo", 2), "hé");
        assert_eq!(prefix_chars("hi", 10), "hi");
    }
}
