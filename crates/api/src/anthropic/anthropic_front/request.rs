//! Anthropic Messages request → OpenAI Chat request.
//!
//! The inverse of `openai_front::request`: content blocks become messages
//! and parts. Anthropic's `cache_control` markers are left out: OpenAI-dialect
//! upstreams cache prompts on their own and may reject the unknown field.

use serde_json::{Map, Value};

use super::super::types::{
    ContentBlock, DocumentBlock, DocumentSource, ImageSource, InputMessage, MessageContent,
    MessagesRequest, Role, System, SystemBlock, ThinkingConfig, ToolChoice, ToolDefinition,
    ToolResultBlock, ToolResultContent,
};
use super::super::{BUDGET_HIGH, BUDGET_MEDIUM, Translated, data_url, invalid};
use crate::error::ApiError;
use crate::openai::chat::{
    AssistantMessage, ChatRequest, Content, ContentPart, FunctionCall, FunctionDefinition,
    ImageUrl, Message, NamedFunction, NamedToolChoice, Stop, StreamOptions, Tool, ToolCall,
    ToolChoice as OpenAiToolChoice,
};

/// Translates an Anthropic request for an OpenAI-dialect upstream.
///
/// Streams ask for `stream_options.include_usage`, which the gateway needs
/// to fill `message_delta`'s usage. Parameters without an OpenAI equivalent
/// (`top_k`, server tools, `metadata` other than `user_id`, unknown fields)
/// are left out and named in [`Translated::dropped`]. Content OpenAI cannot
/// carry (a document by URL, a Files API id, server tool blocks) is a 400.
pub fn request_to_openai(request: &MessagesRequest) -> Result<Translated<ChatRequest>, ApiError> {
    let mut dropped: Vec<String> = Vec::new();
    let mut messages = Vec::new();
    if let Some(system) = &request.system {
        messages.push(system_message(system));
    }
    for (index, message) in request.messages.iter().enumerate() {
        convert_message(index, message, &mut messages)?;
    }
    let tools = convert_tools(request.tools.as_deref(), &mut dropped);
    let has_tools = tools.is_some();
    let (tool_choice, parallel_tool_calls) = match &request.tool_choice {
        Some(choice) => convert_tool_choice(choice, has_tools),
        None => (None, None),
    };
    let streaming = request.stream == Some(true);
    if request.top_k.is_some() {
        dropped.push("top_k".to_owned());
    }
    if request
        .metadata
        .as_ref()
        .is_some_and(|m| !m.rest.is_empty())
    {
        dropped.push("metadata".to_owned());
    }
    dropped.extend(request.rest.keys().cloned());
    let translated = ChatRequest {
        model: request.model.clone(),
        messages,
        stream: request.stream,
        stream_options: streaming.then(|| StreamOptions {
            include_usage: Some(true),
            rest: Map::new(),
        }),
        max_tokens: Some(request.max_tokens),
        temperature: request.temperature,
        top_p: request.top_p,
        stop: request.stop_sequences.clone().map(Stop::Many),
        tools,
        tool_choice,
        parallel_tool_calls,
        reasoning_effort: request.thinking.as_ref().and_then(reasoning_effort),
        user: request.metadata.as_ref().and_then(|m| m.user_id.clone()),
        ..ChatRequest::default()
    };
    Ok(Translated {
        request: translated,
        dropped,
    })
}

fn system_message(system: &System) -> Message {
    let content = match system {
        System::Text(text) => Content::Text(text.clone()),
        System::Blocks(blocks) => Content::Parts(
            blocks
                .iter()
                .map(|SystemBlock::Text(block)| text_part(&block.text))
                .collect(),
        ),
    };
    Message::System {
        content,
        name: None,
        cache_control: None,
    }
}

fn text_part(text: &str) -> ContentPart {
    ContentPart::Text {
        text: text.to_owned(),
        cache_control: None,
    }
}

fn convert_message(
    index: usize,
    message: &InputMessage,
    out: &mut Vec<Message>,
) -> Result<(), ApiError> {
    match (message.role, &message.content) {
        (Role::User, MessageContent::Text(text)) => {
            out.push(user_message(Content::Text(text.clone())))
        }
        (Role::User, MessageContent::Blocks(blocks)) => user_messages(index, blocks, out)?,
        (Role::Assistant, MessageContent::Text(text)) => {
            out.push(Message::Assistant(AssistantMessage {
                content: Some(Content::Text(text.clone())),
                ..AssistantMessage::default()
            }));
        }
        (Role::Assistant, MessageContent::Blocks(blocks)) => {
            out.push(assistant_message(index, blocks)?);
        }
    }
    Ok(())
}

fn user_message(content: Content) -> Message {
    Message::User {
        content,
        name: None,
        cache_control: None,
    }
}

/// Tool results become `tool` messages, in order; the turn's other blocks
/// (and images inside tool results, which OpenAI's tool messages cannot
/// hold) follow as one user message, as Anthropic puts results first.
fn user_messages(
    index: usize,
    blocks: &[ContentBlock],
    out: &mut Vec<Message>,
) -> Result<(), ApiError> {
    let mut parts = Vec::new();
    for (block_index, block) in blocks.iter().enumerate() {
        let param = || format!("messages[{index}].content[{block_index}]");
        match block {
            ContentBlock::ToolResult(result) => {
                out.push(tool_message(result, &mut parts, &param)?);
            }
            other => parts.push(user_part(other, &param)?),
        }
    }
    if !parts.is_empty() {
        out.push(user_message(Content::Parts(parts)));
    }
    Ok(())
}

/// `is_error` has no OpenAI field and is left out; the result's text
/// usually says what went wrong.
fn tool_message(
    result: &ToolResultBlock,
    images: &mut Vec<ContentPart>,
    param: &dyn Fn() -> String,
) -> Result<Message, ApiError> {
    let content = match &result.content {
        None => Content::Text(String::new()),
        Some(ToolResultContent::Text(text)) => Content::Text(text.clone()),
        Some(ToolResultContent::Blocks(blocks)) => {
            let mut texts = Vec::new();
            for block in blocks {
                match user_part(block, param)? {
                    text @ ContentPart::Text { .. } => texts.push(text),
                    other => images.push(other),
                }
            }
            Content::Parts(texts)
        }
    };
    Ok(Message::Tool {
        content,
        tool_call_id: result.tool_use_id.clone(),
        cache_control: None,
    })
}

fn user_part(block: &ContentBlock, param: &dyn Fn() -> String) -> Result<ContentPart, ApiError> {
    let unsupported = |what: &str| {
        invalid(
            param(),
            format!("{}: {what} cannot be sent to this model", param()),
        )
    };
    match block {
        ContentBlock::Text(text) => Ok(text_part(&text.text)),
        ContentBlock::Image(image) => {
            let url = match &image.source {
                ImageSource::Base64 { media_type, data } => data_url(media_type, data),
                ImageSource::Url { url } => url.clone(),
                ImageSource::File { .. } => return Err(unsupported("an image by file_id")),
            };
            Ok(ContentPart::ImageUrl {
                image_url: ImageUrl { url, detail: None },
                cache_control: None,
            })
        }
        ContentBlock::Document(document) => {
            document_part(document).ok_or_else(|| unsupported("a document by URL or file_id"))
        }
        other => Err(unsupported(&format!("a `{}` block", block_type(other)))),
    }
}

/// A PDF becomes OpenAI's `file` part (the title, if any, as its file
/// name); a plain-text document becomes text.
fn document_part(document: &DocumentBlock) -> Option<ContentPart> {
    match &document.source {
        DocumentSource::Base64 { media_type, data } => {
            let mut file = Map::new();
            if let Some(title) = &document.title {
                file.insert("filename".to_owned(), Value::String(title.clone()));
            }
            file.insert(
                "file_data".to_owned(),
                Value::String(data_url(media_type, data)),
            );
            Some(ContentPart::File {
                file: Value::Object(file),
            })
        }
        DocumentSource::Text { data, .. } => Some(text_part(data)),
        _ => None,
    }
}

/// The `type` of a block, for error messages.
fn block_type(block: &ContentBlock) -> String {
    serde_json::to_value(block)
        .ok()
        .and_then(|value| value.get("type")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Text blocks are joined into one string (they are fragments of one
/// answer, split only by citations); thinking goes to `thinking_blocks`
/// with its signature; tool uses become tool calls.
fn assistant_message(index: usize, blocks: &[ContentBlock]) -> Result<Message, ApiError> {
    let mut text = String::new();
    let mut thinking_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for (block_index, block) in blocks.iter().enumerate() {
        match block {
            ContentBlock::Text(block) => text.push_str(&block.text),
            ContentBlock::Thinking(block) => thinking_blocks.push(serde_json::json!({
                "type": "thinking",
                "thinking": block.thinking,
                "signature": block.signature,
            })),
            ContentBlock::RedactedThinking(block) => thinking_blocks
                .push(serde_json::json!({"type": "redacted_thinking", "data": block.data})),
            ContentBlock::ToolUse(call) => tool_calls.push(ToolCall {
                id: call.id.clone(),
                r#type: "function".to_owned(),
                function: FunctionCall {
                    name: call.name.clone(),
                    arguments: call.input.to_string(),
                },
            }),
            other => {
                let param = format!("messages[{index}].content[{block_index}]");
                return Err(invalid(
                    &param,
                    format!(
                        "{param}: a `{}` block cannot be sent to this model",
                        block_type(other)
                    ),
                ));
            }
        }
    }
    Ok(Message::Assistant(AssistantMessage {
        content: (!text.is_empty()).then_some(Content::Text(text)),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        thinking_blocks: (!thinking_blocks.is_empty()).then_some(thinking_blocks),
        ..AssistantMessage::default()
    }))
}

/// Client tools become functions; server tools (web search, code
/// execution, ...) run at Anthropic and have no equivalent.
fn convert_tools(tools: Option<&[ToolDefinition]>, dropped: &mut Vec<String>) -> Option<Vec<Tool>> {
    let mut converted = Vec::new();
    for (index, tool) in tools.unwrap_or_default().iter().enumerate() {
        match tool {
            ToolDefinition::Custom(tool) => converted.push(Tool {
                r#type: "function".to_owned(),
                function: FunctionDefinition {
                    name: tool.name.clone(),
                    description: tool.description.clone(),
                    parameters: Some(tool.input_schema.clone()),
                    strict: None,
                },
                cache_control: None,
            }),
            ToolDefinition::Other(value) => {
                let kind = value
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown");
                dropped.push(format!("tools[{index}] ({kind})"));
            }
        }
    }
    (!converted.is_empty()).then_some(converted)
}

/// `tool_choice` and `parallel_tool_calls`. Without tools (all of them
/// server tools, say) OpenAI rejects both, so neither is sent.
fn convert_tool_choice(
    choice: &ToolChoice,
    has_tools: bool,
) -> (Option<OpenAiToolChoice>, Option<bool>) {
    if !has_tools {
        return (None, None);
    }
    let mode = |mode: &str| OpenAiToolChoice::Mode(mode.to_owned());
    let (choice, disable) = match choice {
        ToolChoice::Auto {
            disable_parallel_tool_use,
        } => (mode("auto"), disable_parallel_tool_use),
        ToolChoice::Any {
            disable_parallel_tool_use,
        } => (mode("required"), disable_parallel_tool_use),
        ToolChoice::Tool {
            name,
            disable_parallel_tool_use,
        } => (
            OpenAiToolChoice::Named(NamedToolChoice {
                r#type: "function".to_owned(),
                function: NamedFunction { name: name.clone() },
            }),
            disable_parallel_tool_use,
        ),
        ToolChoice::None => (mode("none"), &None),
    };
    let parallel = (*disable == Some(true)).then_some(false);
    (Some(choice), parallel)
}

/// The inverse of LiteLLM's effort → budget mapping: a budget is the
/// effort whose budget it reaches.
fn reasoning_effort(thinking: &ThinkingConfig) -> Option<String> {
    let ThinkingConfig::Enabled { budget_tokens } = thinking else {
        return None;
    };
    let effort = match *budget_tokens {
        budget if budget < BUDGET_MEDIUM => "low",
        budget if budget < BUDGET_HIGH => "medium",
        _ => "high",
    };
    Some(effort.to_owned())
}
