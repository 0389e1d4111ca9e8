//! Anthropic Messages API request types (`POST /v1/messages`,
//! `POST /v1/messages/count_tokens`) and the content blocks shared with
//! responses.
//!
//! Field names and shapes follow Anthropic's API reference. What the gateway
//! does not translate is still kept: unknown request fields in `rest`, unknown
//! content blocks and tool kinds as raw JSON, so a same-dialect hop or a later
//! version of this code loses nothing. Optional fields are skipped when absent
//! so that serialized output contains exactly what Anthropic would send.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A Messages API request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    pub messages: Vec<InputMessage>,
    /// Required by Anthropic (there is no server-side default).
    pub max_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolDefinition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<ThinkingConfig>,
    /// Every other field (`service_tier`, `container`, `mcp_servers`, ...).
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A `count_tokens` request: a Messages request without the generation
/// parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CountTokensRequest {
    pub model: String,
    pub messages: Vec<InputMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolDefinition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<ThinkingConfig>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The `count_tokens` response: `{"input_tokens": N}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountTokensResponse {
    pub input_tokens: u64,
}

/// `system`: a string, or text blocks (which can carry `cache_control`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum System {
    Text(String),
    Blocks(Vec<SystemBlock>),
}

/// A block of `system`; Anthropic accepts only text there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SystemBlock {
    Text(TextBlock),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// One turn of the conversation. Anthropic has only two roles; system text
/// lives in the request's `system`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputMessage {
    pub role: Role,
    pub content: MessageContent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// Message content: a string (shorthand for one text block), or blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

/// A content block, in requests and responses alike.
///
/// A block whose `type` is unknown, or a known block that does not parse,
/// lands in [`ContentBlock::Unknown`] with its JSON intact (serde falls back
/// to the untagged variant), so nothing is lost; conversions reject what they
/// cannot express.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text(TextBlock),
    Image(ImageBlock),
    Document(DocumentBlock),
    ToolUse(ToolUseBlock),
    ToolResult(ToolResultBlock),
    Thinking(ThinkingBlock),
    RedactedThinking(RedactedThinkingBlock),
    #[serde(untagged)]
    Unknown(Value),
}

impl ContentBlock {
    /// A plain text block.
    pub fn text(text: impl Into<String>) -> ContentBlock {
        ContentBlock::Text(TextBlock {
            text: text.into(),
            ..TextBlock::default()
        })
    }

    /// Sets `cache_control` on blocks that accept it; returns whether it did.
    pub fn set_cache_control(&mut self, cache_control: Value) -> bool {
        let slot = match self {
            ContentBlock::Text(block) => &mut block.cache_control,
            ContentBlock::Image(block) => &mut block.cache_control,
            ContentBlock::Document(block) => &mut block.cache_control,
            ContentBlock::ToolUse(block) => &mut block.cache_control,
            ContentBlock::ToolResult(block) => &mut block.cache_control,
            _ => return false,
        };
        *slot = Some(cache_control);
        true
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextBlock {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageBlock {
    pub source: ImageSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    Base64 {
        media_type: String,
        data: String,
    },
    Url {
        url: String,
    },
    /// An upload of the Files API.
    File {
        file_id: String,
    },
}

/// A document (PDF or plain text) the model can read and cite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentBlock {
    pub source: DocumentSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

/// Where a document comes from. `content` sources (custom chunked
/// documents) and future kinds stay raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocumentSource {
    Base64 {
        media_type: String,
        data: String,
    },
    Text {
        media_type: String,
        data: String,
    },
    Url {
        url: String,
    },
    File {
        file_id: String,
    },
    #[serde(untagged)]
    Other(Value),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUseBlock {
    pub id: String,
    pub name: String,
    /// The arguments, always a JSON object on Anthropic's side.
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResultBlock {
    pub tool_use_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ToolResultContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

/// A tool result: a string, or blocks (text and images).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

/// The model's reasoning; `signature` must be sent back unchanged with the
/// block in later turns. Anthropic's stream starts the block with an empty
/// signature and fills it with a `signature_delta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThinkingBlock {
    pub thinking: String,
    #[serde(default)]
    pub signature: String,
}

/// Reasoning the safety systems encrypted; opaque, sent back as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedactedThinkingBlock {
    pub data: String,
}

/// A tool the model may call. Client tools have an `input_schema`; server
/// tools (`web_search_20250305`, `bash_20250124`, ...) are kept raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolDefinition {
    Custom(CustomTool),
    Other(Value),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomTool {
    /// `custom` when present; usually omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the input.
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    /// Newer tool options (`strict`, ...), kept for a same-dialect hop.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `tool_choice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// The model must call some tool.
    Any {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// The model must call this tool.
    Tool {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    None,
}

/// `thinking`: extended thinking on, with a token budget, or off. Other
/// kinds Anthropic may add are kept raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThinkingConfig {
    Enabled {
        budget_tokens: u64,
    },
    Disabled,
    #[serde(untagged)]
    Other(Value),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_every_block_kind() {
        let text = include_str!("../../tests/golden/anthropic/types/request_all_blocks.json");
        let request: MessagesRequest = serde_json::from_str(text).unwrap();
        let blocks = match &request.messages[0].content {
            MessageContent::Blocks(blocks) => blocks,
            MessageContent::Text(_) => panic!("expected blocks"),
        };
        assert!(matches!(blocks[0], ContentBlock::Text(_)));
        assert!(matches!(
            blocks[1],
            ContentBlock::Image(ImageBlock {
                source: ImageSource::Base64 { .. },
                ..
            })
        ));
        assert!(matches!(blocks.last(), Some(ContentBlock::Unknown(_))));
        assert!(matches!(
            request.tools.as_deref(),
            Some([ToolDefinition::Custom(_), ToolDefinition::Other(_)])
        ));
        assert!(matches!(
            request.thinking,
            Some(ThinkingConfig::Enabled {
                budget_tokens: 2048
            })
        ));
        assert_eq!(request.rest["service_tier"], "auto");
        let back = serde_json::to_value(&request).unwrap();
        let original: Value = serde_json::from_str(text).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn malformed_known_block_is_kept_raw() {
        let block: ContentBlock = serde_json::from_str(r#"{"type":"tool_use","id":"x"}"#).unwrap();
        assert!(matches!(block, ContentBlock::Unknown(_)));
        // Content is kept; key order is serde_json's (sorted).
        assert_eq!(
            serde_json::to_value(&block).unwrap(),
            serde_json::json!({"type": "tool_use", "id": "x"})
        );
    }

    #[test]
    fn optional_fields_are_omitted() {
        let request = MessagesRequest {
            model: "claude-sonnet-4-5".into(),
            max_tokens: 16,
            messages: vec![InputMessage {
                role: Role::User,
                content: MessageContent::Blocks(vec![ContentBlock::text("hi")]),
            }],
            tool_choice: Some(ToolChoice::None),
            ..MessagesRequest::default()
        };
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":16,"tool_choice":{"type":"none"}}"#
        );
    }

    #[test]
    fn count_tokens_shapes() {
        let request: CountTokensRequest = serde_json::from_str(
            r#"{"model":"m","system":"s","messages":[{"role":"user","content":"hi"}]}"#,
        )
        .unwrap();
        assert_eq!(request.system, Some(System::Text("s".into())));
        let response = CountTokensResponse { input_tokens: 14 };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"input_tokens":14}"#
        );
    }
}
