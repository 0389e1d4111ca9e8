//! OpenAI chat request → Bedrock Converse request.
//!
//! Converse takes system text apart, has only `user` and `assistant` turns
//! that must alternate, carries tool calls and results as content blocks,
//! and takes images as bytes only. Parameters follow LiteLLM's Bedrock
//! mapping, so a LiteLLM user sees the same behaviour.

use serde_json::{Map, Value};

use super::invalid;
use super::params::{
    additional_fields, inference_config, is_known_rest, passthrough_fields, tool_config,
};
use super::types::{
    ContentBlock, ConverseRequest, ImageBlock, ImageSource, Message as BedrockMessage,
    ReasoningContent, ReasoningText, Role, ToolResultBlock, ToolResultContent, ToolUseBlock,
};
use crate::codec::Decoded;
use crate::error::ApiError;
use crate::openai::chat::{AssistantMessage, ChatRequest, Content, ContentPart, Message};

/// Translates an OpenAI chat request for the Bedrock model `model`.
///
/// `default_max_tokens` only matters with thinking: Claude needs
/// `maxTokens` above the thinking budget, which Bedrock's own default may
/// not be. OpenAI parameters without a Converse equivalent are left out and
/// named in [`Decoded::dropped`]; errors are 400s naming the parameter.
pub fn request_from_openai(
    request: &ChatRequest,
    model: &str,
    default_max_tokens: u64,
) -> Result<Decoded<ConverseRequest>, ApiError> {
    if request.n.is_some_and(|n| n > 1) {
        return Err(invalid("n", "n > 1 is not supported by Bedrock models"));
    }
    let mut dropped = Vec::new();
    let mut system = Vec::new();
    let mut messages = Vec::new();
    for (index, message) in request.messages.iter().enumerate() {
        convert_message(index, message, &mut system, &mut messages)?;
    }
    let (additional, thinking_budget) = additional_fields(request, model, &mut dropped)?;
    let tool_config = tool_config(request, &mut system, &mut dropped)?;
    let mut body = ConverseRequest {
        messages,
        system,
        inference_config: None,
        tool_config,
        additional_model_request_fields: additional,
        rest: passthrough_fields(&request.rest),
    };
    let config = inference_config(request, thinking_budget, default_max_tokens);
    body.inference_config = (!config.is_empty()).then_some(config);
    dropped.extend(
        request
            .rest
            .keys()
            .filter(|key| !is_known_rest(key))
            .cloned(),
    );
    Ok(Decoded {
        value: body,
        dropped,
    })
}

/// Appends one OpenAI message to the system blocks or to the turns.
fn convert_message(
    index: usize,
    message: &Message,
    system: &mut Vec<ContentBlock>,
    messages: &mut Vec<BedrockMessage>,
) -> Result<(), ApiError> {
    let (role, blocks, cache_control) = match message {
        Message::System {
            content,
            cache_control,
            ..
        }
        | Message::Developer {
            content,
            cache_control,
            ..
        } => {
            system.extend(user_blocks(index, content, true)?);
            if cache_control.is_some() {
                system.push(ContentBlock::cache_point());
            }
            return Ok(());
        }
        Message::User {
            content,
            cache_control,
            ..
        } => (
            Role::User,
            user_blocks(index, content, false)?,
            cache_control,
        ),
        Message::Tool {
            content,
            tool_call_id,
            cache_control,
        } => (
            Role::User,
            vec![tool_result(index, tool_call_id, content)?],
            cache_control,
        ),
        Message::Assistant(assistant) => (
            Role::Assistant,
            assistant_blocks(index, assistant)?,
            &assistant.cache_control,
        ),
    };
    // Bedrock rejects empty turns (and blank text blocks, never produced).
    if blocks.is_empty() {
        return Ok(());
    }
    let mut blocks = blocks;
    if cache_control.is_some() {
        blocks.push(ContentBlock::cache_point());
    }
    push_merged(messages, role, blocks);
    Ok(())
}

/// Converse requires alternating roles: a turn of the same role as the
/// previous one joins it (consecutive tool results share one user turn).
fn push_merged(messages: &mut Vec<BedrockMessage>, role: Role, blocks: Vec<ContentBlock>) {
    match messages.last_mut() {
        Some(last) if last.role == role => last.content.extend(blocks),
        _ => messages.push(BedrockMessage {
            role,
            content: blocks,
        }),
    }
}

/// User (or system) content: text and images; empty text is left out, as
/// Bedrock refuses blank text blocks. `system`: only text is allowed.
fn user_blocks(
    index: usize,
    content: &Content,
    system: bool,
) -> Result<Vec<ContentBlock>, ApiError> {
    let parts = match content {
        Content::Text(text) if text.is_empty() => return Ok(Vec::new()),
        Content::Text(text) => return Ok(vec![ContentBlock::text(text.clone())]),
        Content::Parts(parts) => parts,
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (part_index, part) in parts.iter().enumerate() {
        let param = || format!("messages[{index}].content[{part_index}]");
        match part {
            ContentPart::Text {
                text,
                cache_control,
            } => {
                if !text.is_empty() {
                    blocks.push(ContentBlock::text(text.clone()));
                }
                if cache_control.is_some() {
                    blocks.push(ContentBlock::cache_point());
                }
            }
            ContentPart::ImageUrl {
                image_url,
                cache_control,
            } if !system => {
                blocks.push(ContentBlock {
                    image: Some(image(&param(), &image_url.url)?),
                    ..ContentBlock::default()
                });
                if cache_control.is_some() {
                    blocks.push(ContentBlock::cache_point());
                }
            }
            _ => {
                let what = if system {
                    "system content can only be text"
                } else {
                    "only text and image_url parts are supported by Bedrock models"
                };
                return Err(invalid(param(), format!("{}: {what}", param())));
            }
        }
    }
    Ok(blocks)
}

/// A base64 `data:` URL as an image block. Bedrock takes image bytes only,
/// so an `http(s)://` URL is refused rather than fetched by the gateway.
fn image(param: &str, url: &str) -> Result<ImageBlock, ApiError> {
    let Some((media_type, data)) = parse_data_url(url) else {
        return Err(invalid(
            param,
            format!(
                "{param}: Bedrock accepts images as bytes only; send the image as a base64 \
                 `data:image/...;base64,` URL instead of a link"
            ),
        ));
    };
    let format = match media_type {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return Err(invalid(
                param,
                format!("{param}: image type `{other}` is not one of png, jpeg, gif, webp"),
            ));
        }
    };
    Ok(ImageBlock {
        format: format.to_owned(),
        source: ImageSource {
            bytes: data.to_owned(),
        },
    })
}

/// `data:<media type>[;params];base64,<data>` → (media type, data).
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let (header, data) = url.strip_prefix("data:")?.split_once(',')?;
    let header = header.strip_suffix(";base64")?;
    Some((header.split(';').next().unwrap_or(header), data))
}

/// An OpenAI tool message as a `toolResult` block: its text (and images).
fn tool_result(
    index: usize,
    tool_call_id: &str,
    content: &Content,
) -> Result<ContentBlock, ApiError> {
    let content = match content {
        Content::Text(text) => vec![ToolResultContent {
            text: Some(text.clone()),
            ..ToolResultContent::default()
        }],
        Content::Parts(_) => user_blocks(index, content, false)?
            .into_iter()
            // Cache points have no place inside a tool result.
            .filter(|block| block.text.is_some() || block.image.is_some())
            .map(|block| ToolResultContent {
                text: block.text,
                image: block.image,
                json: None,
            })
            .collect(),
    };
    Ok(ContentBlock {
        tool_result: Some(ToolResultBlock {
            tool_use_id: tool_call_id.to_owned(),
            content,
            status: None,
        }),
        ..ContentBlock::default()
    })
}

/// Signed reasoning from earlier turns first (Claude requires it before the
/// tool calls it led to), then text, then tool calls.
fn assistant_blocks(
    index: usize,
    message: &AssistantMessage,
) -> Result<Vec<ContentBlock>, ApiError> {
    let mut blocks = Vec::new();
    for block in message.thinking_blocks.iter().flatten() {
        blocks.push(reasoning_block(index, block)?);
    }
    let text = message
        .content
        .as_ref()
        .map(Content::text)
        .unwrap_or_default();
    if !text.is_empty() {
        blocks.push(ContentBlock::text(text));
    }
    for (call_index, call) in message.tool_calls.iter().flatten().enumerate() {
        let param = format!("messages[{index}].tool_calls[{call_index}].function.arguments");
        blocks.push(ContentBlock {
            tool_use: Some(ToolUseBlock {
                tool_use_id: call.id.clone(),
                name: call.function.name.clone(),
                input: parse_arguments(&call.function.arguments, &param)?,
            }),
            ..ContentBlock::default()
        });
    }
    Ok(blocks)
}

/// LiteLLM's `thinking_blocks` entry as a `reasoningContent` block.
fn reasoning_block(index: usize, block: &Value) -> Result<ContentBlock, ApiError> {
    let field = |name: &str| block.get(name).and_then(Value::as_str).map(str::to_owned);
    let reasoning = match block.get("type").and_then(Value::as_str) {
        Some("thinking") => ReasoningContent {
            reasoning_text: Some(ReasoningText {
                text: field("thinking").unwrap_or_default(),
                signature: field("signature"),
            }),
            redacted_content: None,
        },
        Some("redacted_thinking") => ReasoningContent {
            reasoning_text: None,
            redacted_content: field("data"),
        },
        _ => {
            let param = format!("messages[{index}].thinking_blocks");
            return Err(invalid(
                &param,
                format!("{param}: expected thinking or redacted_thinking blocks"),
            ));
        }
    };
    Ok(ContentBlock {
        reasoning_content: Some(reasoning),
        ..ContentBlock::default()
    })
}

/// OpenAI sends arguments as JSON text; models sometimes send `""` for a
/// call without arguments.
fn parse_arguments(arguments: &str, param: &str) -> Result<Value, ApiError> {
    if arguments.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(arguments)
        .map_err(|error| invalid(param, format!("{param} is not valid JSON: {error}")))
}
