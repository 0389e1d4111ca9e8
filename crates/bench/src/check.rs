//! Structural checks of chat completion bodies (`--check-chat`), for runs whose answers are
//! not byte-identical from one request to the next (several upstreams, retries, faults): a
//! non-stream body must be a JSON object with choices and no error; a stream must consist of
//! `data:` events, none of them an error, and end with `data: [DONE]`.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// The members of a chat completion the check looks at.
#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

/// The members of a stream event the check looks at.
#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    error: Option<IgnoredAny>,
}

/// Why a body is not a complete chat completion; `Ok` when it is one.
pub fn chat(body: &[u8], stream: bool) -> Result<(), String> {
    if stream {
        chat_stream(body)
    } else {
        chat_json(body)
    }
}

fn chat_json(body: &[u8]) -> Result<(), String> {
    let completion: Completion =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON chat completion: {e}"))?;
    if completion.error.is_some() {
        return Err("the body is an error".into());
    }
    match completion.choices {
        Some(choices) if !choices.is_empty() => Ok(()),
        _ => Err("no choices".into()),
    }
}

fn chat_stream(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "the stream is not UTF-8".to_string())?;
    // Events end with a blank line; `\r\n` line endings are allowed by SSE.
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        text
    };
    let Some(events) = text.strip_suffix("\n\n") else {
        return Err("the stream does not end with a complete event".into());
    };
    let mut done = false;
    let mut count = 0usize;
    for event in events.split("\n\n") {
        if done {
            return Err("events after [DONE]".into());
        }
        count += 1;
        let mut data = String::new();
        for line in event.lines() {
            if let Some(name) = line.strip_prefix("event:") {
                if name.trim() == "error" {
                    return Err(format!("error event: {}", excerpt(event)));
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
        }
        if data == "[DONE]" {
            done = true;
            continue;
        }
        if data.is_empty() {
            // A comment or a keep-alive: allowed, but not an event.
            count -= 1;
            continue;
        }
        let parsed: Event = serde_json::from_str(&data)
            .map_err(|e| format!("event {count} is not JSON ({e}): {}", excerpt(event)))?;
        if parsed.error.is_some() {
            return Err(format!("error event: {}", excerpt(event)));
        }
    }
    if !done {
        return Err("the stream does not end with data: [DONE]".into());
    }
    if count <= 1 {
        return Err("the stream has no event before [DONE]".into());
    }
    Ok(())
}

/// The start of `text`, for messages.
fn excerpt(text: &str) -> &str {
    let mut end = text.len().min(300);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n\
        data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n";

    #[test]
    fn complete_bodies_pass() {
        assert_eq!(
            chat(br#"{"id":"x","choices":[{"index":0}]}"#, false),
            Ok(())
        );
        assert_eq!(chat(STREAM.as_bytes(), true), Ok(()));
        let crlf = STREAM.replace("\n\n", "\r\n\r\n");
        assert_eq!(chat(crlf.as_bytes(), true), Ok(()));
        let with_comment = format!(": keep-alive\n\n{STREAM}");
        assert_eq!(chat(with_comment.as_bytes(), true), Ok(()));
    }

    #[test]
    fn broken_non_stream_bodies_fail() {
        assert!(chat(br#"{"id":"x","choices":[{"index":0}"#, false).is_err());
        assert!(chat(br#"{"id":"x","choices":[]}"#, false).is_err());
        assert!(chat(br#"{"error":{"message":"boom"}}"#, false).is_err());
        assert!(chat(b"", false).is_err());
    }

    #[test]
    fn broken_streams_fail() {
        // Cut before [DONE], or in the middle of an event.
        let cut = &STREAM[..STREAM.len() - "data: [DONE]\n\n".len()];
        assert!(chat(cut.as_bytes(), true).is_err());
        assert!(chat(&STREAM.as_bytes()[..40], true).is_err());
        assert!(chat(b"", true).is_err());
        assert!(chat(b"data: [DONE]\n\n", true).is_err());
        // An error event, in OpenAI's (data with `error`) and Anthropic's (`event: error`) way,
        // even when a [DONE] follows.
        let error = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n\
            data: {\"error\":{\"message\":\"upstream failed\"}}\n\ndata: [DONE]\n\n";
        let err = chat(error.as_bytes(), true).unwrap_err();
        assert!(err.contains("upstream failed"), "{err}");
        let named = "event: error\ndata: {\"type\":\"error\"}\n\ndata: [DONE]\n\n";
        assert!(chat(named.as_bytes(), true).is_err());
        let after = format!("{STREAM}data: {{}}\n\n");
        assert!(chat(after.as_bytes(), true).is_err());
    }
}
