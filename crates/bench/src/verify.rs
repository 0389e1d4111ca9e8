//! Byte-identity checks of response bodies (SSE streams included), chunk by chunk.
//!
//! The reference is either given up front (`--expect-file`) or is the first complete
//! response body (`--verify`). Once a reference exists, a body is compared as its frames
//! arrive, without buffering it; chunk boundaries do not matter, only the bytes.

use std::sync::OnceLock;

use bytes::Bytes;

/// The reference body shared by every connection.
#[derive(Debug, Default)]
pub struct Verifier {
    reference: OnceLock<Bytes>,
}

impl Verifier {
    /// Compare against the first complete body.
    pub fn first() -> Self {
        Self::default()
    }

    /// Compare against `expected`.
    pub fn expect(expected: Bytes) -> Self {
        let reference = OnceLock::new();
        let _ = reference.set(expected);
        Self { reference }
    }

    /// A checker for one response body.
    pub fn matcher(&self) -> Matcher<'_> {
        match self.reference.get() {
            Some(expected) => Matcher::Compare {
                expected,
                offset: 0,
                same: true,
            },
            None => Matcher::Collect {
                verifier: self,
                body: Vec::new(),
            },
        }
    }
}

/// Checks one body against the reference.
#[derive(Debug)]
pub enum Matcher<'a> {
    /// The reference is known: compare each chunk at its offset.
    Compare {
        expected: &'a Bytes,
        offset: usize,
        same: bool,
    },
    /// No reference yet: keep the body; the first to finish becomes the reference.
    Collect {
        verifier: &'a Verifier,
        body: Vec<u8>,
    },
}

impl Matcher<'_> {
    /// Feeds the next chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        match self {
            Matcher::Compare {
                expected,
                offset,
                same,
            } => {
                if *same {
                    let end = offset.saturating_add(chunk.len());
                    *same = expected.get(*offset..end) == Some(chunk);
                }
                *offset = offset.saturating_add(chunk.len());
            }
            Matcher::Collect { body, .. } => body.extend_from_slice(chunk),
        }
    }

    /// Whether the whole body equals the reference.
    pub fn finish(self) -> bool {
        match self {
            Matcher::Compare {
                expected,
                offset,
                same,
            } => same && offset == expected.len(),
            Matcher::Collect { verifier, body } => {
                let reference = verifier.reference.get_or_init(|| Bytes::from(body.clone()));
                reference[..] == body[..]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &[u8] = b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n\
data: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n\ndata: [DONE]\n\n";

    fn check(v: &Verifier, chunks: &[&[u8]]) -> bool {
        let mut m = v.matcher();
        for c in chunks {
            m.feed(c);
        }
        m.finish()
    }

    #[test]
    fn identical_body_split_anywhere_matches() {
        let v = Verifier::expect(Bytes::from_static(STREAM));
        assert!(check(&v, &[STREAM]));
        for cut in 0..=STREAM.len() {
            let (a, b) = STREAM.split_at(cut);
            assert!(check(&v, &[a, b]), "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = STREAM.chunks(1).collect();
        assert!(check(&v, &bytes));
    }

    #[test]
    fn one_changed_byte_is_a_mismatch() {
        let v = Verifier::expect(Bytes::from_static(STREAM));
        let mut changed = STREAM.to_vec();
        changed[20] ^= 1;
        assert!(!check(&v, &[&changed]));
        let (a, b) = changed.split_at(30);
        assert!(!check(&v, &[a, b]));
    }

    #[test]
    fn truncated_or_extended_body_is_a_mismatch() {
        let v = Verifier::expect(Bytes::from_static(STREAM));
        assert!(!check(&v, &[&STREAM[..STREAM.len() - 1]]));
        assert!(!check(&v, &[STREAM, b"\n"]));
        assert!(!check(&v, &[]));
        // A mismatch in an early chunk is not undone by later chunks.
        assert!(!check(&v, &[b"x", &STREAM[1..]]));
    }

    #[test]
    fn first_body_becomes_the_reference() {
        let v = Verifier::first();
        assert!(check(&v, &[&STREAM[..10], &STREAM[10..]]));
        assert!(check(&v, &[STREAM]));
        assert!(!check(&v, &[b"data: [DONE]\n\n"]));
    }

    #[test]
    fn concurrent_first_bodies_race_and_the_loser_is_compared() {
        let v = Verifier::first();
        let mut a = v.matcher();
        let mut b = v.matcher();
        a.feed(STREAM);
        b.feed(b"other");
        assert!(a.finish());
        assert!(!b.finish());
    }
}
