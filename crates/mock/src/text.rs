//! Small deterministic helpers: hashing, token estimates, splitting text into pieces, base64.

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
    fn prefix_respects_char_boundaries() {
        assert_eq!(prefix_chars("héllo", 2), "hé");
        assert_eq!(prefix_chars("hi", 10), "hi");
    }
}
