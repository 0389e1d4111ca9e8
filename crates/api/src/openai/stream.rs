//! The side parser of an OpenAI stream: reads usage from chunks as they pass,
//! and undoes the gateway's own `include_usage` request when the client did
//! not ask for usage.
//!
//! With `stream_options.include_usage`, OpenAI adds `"usage":null` to every
//! chunk and sends one extra chunk with `"choices":[]` and the usage before
//! `[DONE]`. When the gateway asked for that on the client's behalf, it
//! removes both so the client sees exactly the stream it asked for.

use std::ops::Range;

use memchr::memmem;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::Usage;
use crate::usage::TokenUsage;

/// What to do with one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkAction {
    /// Relay unchanged.
    Forward,
    /// Drop the whole event (the usage chunk the client did not ask for).
    Drop,
    /// Relay without these bytes of the data (the `"usage":null` member).
    Remove(Range<usize>),
}

#[derive(Deserialize)]
struct ChunkProbe<'a> {
    #[serde(borrow, default, deserialize_with = "raw_including_null")]
    usage: Option<&'a RawValue>,
    #[serde(borrow, default)]
    choices: Option<&'a RawValue>,
}

fn raw_including_null<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// Inspects the JSON `data` of one stream event. `strip` says the gateway
/// injected `include_usage`, so its traces must be removed.
pub fn inspect_chunk(data: &[u8], strip: bool) -> (ChunkAction, Option<TokenUsage>) {
    // Most chunks carry no usage: a substring search avoids parsing them.
    let Some(first) = memmem::find(data, b"\"usage\"") else {
        return (ChunkAction::Forward, None);
    };
    // With include_usage every chunk ends with `,"usage":null}`. When that
    // is the only `"usage"`, it is kept or cut without a parse: an unescaped
    // key cannot be inside a string, and closing the data it is a member of
    // the top-level object.
    const NULL_MEMBER: &[u8] = b"\"usage\":null";
    if data[first..].starts_with(NULL_MEMBER)
        && memmem::find(&data[first + 1..], b"\"usage\"").is_none()
    {
        if !strip {
            // Top-level or nested, a null usage is nothing to read.
            return (ChunkAction::Forward, None);
        }
        let end = first + NULL_MEMBER.len();
        if data[end..].trim_ascii() == b"}" && first > 0 && data[first - 1] == b',' {
            return (ChunkAction::Remove(first - 1..end), None);
        }
    }
    let Ok(probe) = serde_json::from_slice::<ChunkProbe>(data) else {
        return (ChunkAction::Forward, None);
    };
    let Some(raw) = probe.usage else {
        return (ChunkAction::Forward, None);
    };
    if raw.get() == "null" {
        let action = if strip {
            member_span(data, raw).map_or(ChunkAction::Forward, ChunkAction::Remove)
        } else {
            ChunkAction::Forward
        };
        return (action, None);
    }
    let usage = serde_json::from_str::<Usage>(raw.get())
        .ok()
        .map(|u| TokenUsage::from(&u));
    let usage_only = probe.choices.is_none_or(|c| c.get() == "[]");
    let action = if strip && usage_only {
        ChunkAction::Drop
    } else {
        ChunkAction::Forward
    };
    (action, usage)
}

/// The bytes of the top-level `"usage": <value>` member, with the comma that
/// separates it from its neighbour, so that removing them leaves valid JSON.
fn member_span(data: &[u8], value: &RawValue) -> Option<Range<usize>> {
    let value_start = value.get().as_ptr() as usize - data.as_ptr() as usize;
    let value_end = value_start + value.get().len();
    // Walk back over `:` and whitespace to the key `"usage"`.
    let mut i = value_start;
    i = skip_back_whitespace(data, i);
    if i == 0 || data[i - 1] != b':' {
        return None;
    }
    i = skip_back_whitespace(data, i - 1);
    let key = b"\"usage\"";
    if i < key.len() || &data[i - key.len()..i] != key {
        return None;
    }
    let key_start = i - key.len();
    let before = skip_back_whitespace(data, key_start);
    if before > 0 && data[before - 1] == b',' {
        // `..., "usage": null` : drop from the comma.
        return Some(before - 1..value_end);
    }
    // `{"usage": null, ...}` : drop through the following comma.
    let mut after = value_end;
    while after < data.len() && data[after].is_ascii_whitespace() {
        after += 1;
    }
    if after < data.len() && data[after] == b',' {
        after += 1;
        while after < data.len() && data[after].is_ascii_whitespace() {
            after += 1;
        }
    }
    Some(key_start..after)
}

fn skip_back_whitespace(data: &[u8], mut i: usize) -> usize {
    while i > 0 && data[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(data: &str, strip: bool) -> (Option<String>, Option<TokenUsage>) {
        let (action, usage) = inspect_chunk(data.as_bytes(), strip);
        let out = match action {
            ChunkAction::Forward => Some(data.to_string()),
            ChunkAction::Drop => None,
            ChunkAction::Remove(range) => {
                let mut s = data.to_string();
                s.replace_range(range, "");
                Some(s)
            }
        };
        (out, usage)
    }

    #[test]
    fn plain_chunk_passes() {
        let chunk = r#"{"id":"1","choices":[{"delta":{"content":"usage"}}]}"#;
        assert_eq!(apply(chunk, true), (Some(chunk.to_string()), None));
    }

    #[test]
    fn usage_null_removed_only_when_stripping() {
        let chunk = r#"{"id":"1","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}"#;
        let expected = r#"{"id":"1","choices":[{"index":0,"delta":{"content":"hi"}}]}"#;
        assert_eq!(apply(chunk, true).0.as_deref(), Some(expected));
        assert_eq!(apply(chunk, false).0.as_deref(), Some(chunk));

        let first = r#"{ "usage" : null , "id":"1"}"#;
        assert_eq!(apply(first, true).0.as_deref(), Some(r#"{ "id":"1"}"#));
    }

    #[test]
    fn nested_usage_key_is_not_touched() {
        let chunk = r#"{"id":"1","choices":[{"delta":{"x":{"usage":null}}}]}"#;
        assert_eq!(apply(chunk, true).0.as_deref(), Some(chunk));
        let chunk = r#"{"id":"1","choices":[{"delta":{"x":{"a":1,"usage":null}}}]}"#;
        assert_eq!(apply(chunk, true).0.as_deref(), Some(chunk));
    }

    #[test]
    fn usage_chunk_read_and_dropped_when_stripping() {
        let chunk = r#"{"id":"1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}"#;
        let (out, usage) = apply(chunk, true);
        assert_eq!(out, None);
        assert_eq!(usage.unwrap().output_tokens, 9);
        let (out, usage) = apply(chunk, false);
        assert_eq!(out.as_deref(), Some(chunk));
        assert_eq!(usage.unwrap().input_tokens, 5);
    }

    #[test]
    fn usage_on_a_content_chunk_is_kept() {
        // Some OpenAI-compatible services put usage on the last content chunk.
        let chunk = r#"{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#;
        let (out, usage) = apply(chunk, true);
        assert_eq!(out.as_deref(), Some(chunk));
        assert_eq!(usage.unwrap().output_tokens, 2);
    }
}
