//! Anthropic Messages API response types: the complete message, the stream
//! events, usage and the error body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::types::{ContentBlock, Role};
use crate::usage::TokenUsage;

/// A complete message (`"type": "message"`), also the `message` of a
/// stream's `message_start` (with empty content and no stop reason yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesResponse {
    pub id: String,
    /// Always `message`.
    pub r#type: String,
    pub role: Role,
    pub model: String,
    pub content: Vec<ContentBlock>,
    /// Always serialized: `null` in `message_start`, as Anthropic sends it.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    pub usage: Usage,
    /// Other fields (`container`, ...).
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Why the model stopped. Reasons Anthropic adds later are kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    /// A server tool's long-running turn was paused; the client continues it.
    PauseTurn,
    Refusal,
    #[serde(untagged)]
    Other(String),
}

/// `usage` of a message. Anthropic's `input_tokens` excludes the cached and
/// cache-written tokens, which are reported apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: u64,
    /// `service_tier`, `server_tool_use`, `cache_creation` breakdown, ...
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl From<&Usage> for TokenUsage {
    /// To the gateway's convention, where input includes cached tokens.
    fn from(usage: &Usage) -> TokenUsage {
        let cache_write = usage.cache_creation_input_tokens.unwrap_or(0);
        let cache_read = usage.cache_read_input_tokens.unwrap_or(0);
        TokenUsage {
            input_tokens: usage.input_tokens + cache_write + cache_read,
            output_tokens: usage.output_tokens,
            cached_input_tokens: cache_read,
            cache_write_tokens: cache_write,
            reasoning_tokens: 0,
        }
    }
}

/// `usage` of `message_delta`: cumulative counts. `output_tokens` is always
/// there; current API versions repeat the input counts too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeltaUsage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// One server-sent event of a streamed message. The SSE `event:` name equals
/// the `type` field ([`StreamEvent::name`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    MessageStart {
        message: Box<MessagesResponse>,
    },
    ContentBlockStart {
        index: u32,
        content_block: ContentBlock,
    },
    ContentBlockDelta {
        index: u32,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: DeltaUsage,
    },
    MessageStop,
    Ping,
    Error {
        error: ErrorDetail,
    },
    /// An event type this code does not know yet (only ever parsed; never
    /// produced by the gateway).
    #[serde(other)]
    Unknown,
}

/// A piece of the content block at `index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    TextDelta {
        text: String,
    },
    /// A fragment of a tool call's `input` JSON text.
    InputJsonDelta {
        partial_json: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    /// The thinking block's signature, sent once just before its stop.
    SignatureDelta {
        signature: String,
    },
    CitationsDelta {
        citation: Value,
    },
    /// A delta type this code does not know yet (only ever parsed).
    #[serde(other)]
    Unknown,
}

/// The message-level changes at the end of a stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageDelta {
    /// Always serialized, as Anthropic sends `"stop_sequence": null`.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
}

/// The error of an error body or of a stream's `error` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `invalid_request_error`, `overloaded_error`, ...
    pub r#type: String,
    pub message: String,
}

/// An HTTP error body: `{"type": "error", "error": {"type", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Always `error`.
    pub r#type: String,
    pub error: ErrorDetail,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl StreamEvent {
    /// The SSE `event:` name, which Anthropic sets to the `type`.
    pub fn name(&self) -> &'static str {
        match self {
            StreamEvent::MessageStart { .. } => "message_start",
            StreamEvent::ContentBlockStart { .. } => "content_block_start",
            StreamEvent::ContentBlockDelta { .. } => "content_block_delta",
            StreamEvent::ContentBlockStop { .. } => "content_block_stop",
            StreamEvent::MessageDelta { .. } => "message_delta",
            StreamEvent::MessageStop => "message_stop",
            StreamEvent::Ping => "ping",
            StreamEvent::Error { .. } => "error",
            StreamEvent::Unknown => "unknown",
        }
    }

    /// The event as SSE bytes: `event: <name>\ndata: <json>\n\n`.
    pub fn to_sse(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        self.write_sse(&mut out);
        out
    }

    /// Appends the event's SSE bytes to `out`.
    pub fn write_sse(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(self.name().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        // These types serialize infallibly (string keys only); should that
        // ever change, the client gets an error event rather than garbage.
        if serde_json::to_writer(&mut *out, self).is_err() {
            out.extend_from_slice(
                br#"{"type":"error","error":{"type":"api_error","message":"event serialization failed"}}"#,
            );
        }
        out.extend_from_slice(b"\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_start_keeps_null_stop_fields() {
        let event = StreamEvent::MessageStart {
            message: Box::new(MessagesResponse {
                id: "msg_1".into(),
                r#type: "message".into(),
                role: Role::Assistant,
                model: "claude-x".into(),
                content: vec![],
                stop_reason: None,
                stop_sequence: None,
                usage: Usage {
                    input_tokens: 25,
                    output_tokens: 1,
                    ..Usage::default()
                },
                rest: Map::new(),
            }),
        };
        assert_eq!(
            String::from_utf8(event.to_sse()).unwrap(),
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
        );
    }

    #[test]
    fn every_event_kind_parses_and_renders_back() {
        let lines = [
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
            r#"{"type":"content_block_stop","index":1}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#,
            r#"{"type":"message_stop"}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ];
        for line in lines {
            let event: StreamEvent = serde_json::from_str(line).unwrap();
            assert_ne!(event, StreamEvent::Unknown, "{line}");
            assert_eq!(serde_json::to_string(&event).unwrap(), line);
        }
    }

    #[test]
    fn unknown_events_and_reasons_are_tolerated() {
        let event: StreamEvent = serde_json::from_str(r#"{"type":"future_event","x":1}"#).unwrap();
        assert_eq!(event, StreamEvent::Unknown);
        let reason: StopReason =
            serde_json::from_str(r#""model_context_window_exceeded""#).unwrap();
        assert_eq!(
            reason,
            StopReason::Other("model_context_window_exceeded".into())
        );
    }

    #[test]
    fn usage_to_token_usage_adds_cache_tokens_to_input() {
        let usage: Usage = serde_json::from_str(
            r#"{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":5,"service_tier":"standard"}"#,
        )
        .unwrap();
        let tokens = TokenUsage::from(&usage);
        assert_eq!(tokens.input_tokens, 1110);
        assert_eq!(tokens.cached_input_tokens, 1000);
        assert_eq!(tokens.cache_write_tokens, 100);
        assert_eq!(usage.rest["service_tier"], "standard");
    }
}
