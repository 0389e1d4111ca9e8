//! OpenAI Chat request → Anthropic Messages request.
//!
//! The shapes differ mostly in the conversation: Anthropic takes system text
//! apart, has only `user` and `assistant` turns that must alternate, and
//! carries tool calls and results as content blocks. Parameters follow
//! LiteLLM's mapping so that a LiteLLM user sees the same behaviour.

use serde_json::{Map, Value};

use super::super::types::{
    ContentBlock, DocumentBlock, DocumentSource, ImageBlock, ImageSource, InputMessage,
    MessageContent, MessagesRequest, Metadata, Role, System, SystemBlock, TextBlock,
    ToolResultBlock, ToolResultContent, ToolUseBlock,
};
use super::super::{Translated, invalid, parse_data_url};
use super::params::{
    REST_THINKING, REST_TOP_K, apply_response_format, convert_tool_choice, convert_tools,
    max_tokens, thinking, top_k,
};
use crate::error::ApiError;
use crate::openai::chat::{AssistantMessage, ChatRequest, Content, ContentPart, Message, Stop};

/// Translates an OpenAI chat request for an Anthropic upstream.
///
/// `default_max_tokens` fills Anthropic's required `max_tokens` when the
/// client gave none. Unknown OpenAI parameters (in `rest`) are left out and
/// named in [`Translated::dropped`]. Errors are 400s naming the parameter.
pub fn request_from_openai(
    request: &ChatRequest,
    default_max_tokens: u64,
) -> Result<Translated<MessagesRequest>, ApiError> {
    if request.n.is_some_and(|n| n > 1) {
        return Err(invalid("n", "n > 1 is not supported by Anthropic models"));
    }
    let mut system = Vec::new();
    let mut messages = Vec::new();
    for (index, message) in request.messages.iter().enumerate() {
        convert_message(index, message, &mut system, &mut messages)?;
    }
    let thinking = thinking(request)?;
    let mut tools = convert_tools(request.tools.as_deref())?;
    let mut tool_choice = convert_tool_choice(request)?;
    if let Some(format) = &request.response_format {
        apply_response_format(format, &mut system, &mut tools, &mut tool_choice)?;
    }
    let translated = MessagesRequest {
        model: request.model.clone(),
        messages,
        max_tokens: max_tokens(request, thinking.as_ref(), default_max_tokens),
        system: compact_system(system),
        metadata: request.user.as_ref().map(|user| Metadata {
            user_id: Some(user.clone()),
            rest: Map::new(),
        }),
        stop_sequences: request.stop.clone().map(Stop::into_vec),
        stream: request.stream,
        temperature: request.temperature,
        top_p: request.top_p,
        top_k: top_k(&request.rest)?,
        tools,
        tool_choice,
        thinking,
        rest: Map::new(),
    };
    let dropped = request
        .rest
        .keys()
        .filter(|key| *key != REST_THINKING && *key != REST_TOP_K)
        .cloned()
        .collect();
    Ok(Translated {
        request: translated,
        dropped,
    })
}

/// Appends one OpenAI message to the system blocks or to the turns, merging
/// it into the previous turn when the role repeats (Anthropic requires
/// alternation; consecutive tool results thus share one user turn).
fn convert_message(
    index: usize,
    message: &Message,
    system: &mut Vec<SystemBlock>,
    messages: &mut Vec<InputMessage>,
) -> Result<(), ApiError> {
    let turn = match message {
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
            system.extend(system_blocks(index, content, cache_control.as_ref())?);
            return Ok(());
        }
        Message::User {
            content,
            cache_control,
            ..
        } => InputMessage {
            role: Role::User,
            content: with_cache_control(user_content(index, content)?, cache_control.as_ref()),
        },
        Message::Tool {
            content,
            tool_call_id,
            cache_control,
        } => InputMessage {
            role: Role::User,
            content: MessageContent::Blocks(vec![ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: tool_call_id.clone(),
                content: Some(tool_result_content(index, content)?),
                is_error: None,
                cache_control: cache_control.clone(),
            })]),
        },
        Message::Assistant(assistant) => match assistant_content(index, assistant)? {
            // Nothing to say (e.g. `content: ""` and no calls): Anthropic
            // rejects empty turns, so the message is left out.
            None => return Ok(()),
            Some(content) => InputMessage {
                role: Role::Assistant,
                content: with_cache_control(content, assistant.cache_control.as_ref()),
            },
        },
    };
    push_merged(messages, turn);
    Ok(())
}

fn push_merged(messages: &mut Vec<InputMessage>, turn: InputMessage) {
    match messages.last_mut() {
        Some(last) if last.role == turn.role => {
            let previous = std::mem::replace(&mut last.content, MessageContent::Blocks(Vec::new()));
            let mut blocks = into_blocks(previous);
            blocks.extend(into_blocks(turn.content));
            last.content = MessageContent::Blocks(blocks);
        }
        _ => messages.push(turn),
    }
}

fn into_blocks(content: MessageContent) -> Vec<ContentBlock> {
    match content {
        MessageContent::Text(text) => vec![ContentBlock::text(text)],
        MessageContent::Blocks(blocks) => blocks,
    }
}

/// A message-level `cache_control` (LiteLLM) marks the message's last block.
fn with_cache_control(content: MessageContent, cache_control: Option<&Value>) -> MessageContent {
    let Some(cache_control) = cache_control else {
        return content;
    };
    let mut blocks = into_blocks(content);
    if let Some(last) = blocks.last_mut() {
        last.set_cache_control(cache_control.clone());
    }
    MessageContent::Blocks(blocks)
}

fn system_blocks(
    index: usize,
    content: &Content,
    cache_control: Option<&Value>,
) -> Result<Vec<SystemBlock>, ApiError> {
    let mut blocks = match content {
        Content::Text(text) => vec![text_block(text, None)],
        Content::Parts(parts) => parts
            .iter()
            .map(|part| match part {
                ContentPart::Text {
                    text,
                    cache_control,
                } => Ok(text_block(text, cache_control.as_ref())),
                _ => Err(invalid(
                    format!("messages[{index}].content"),
                    format!("messages[{index}]: system content can only be text"),
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    if let (Some(cache_control), Some(SystemBlock::Text(last))) = (cache_control, blocks.last_mut())
    {
        last.cache_control = Some(cache_control.clone());
    }
    Ok(blocks)
}

pub(super) fn text_block(text: &str, cache_control: Option<&Value>) -> SystemBlock {
    SystemBlock::Text(TextBlock {
        text: text.to_owned(),
        citations: None,
        cache_control: cache_control.cloned(),
    })
}

/// One plain system text stays a string, as a client would write it.
fn compact_system(mut blocks: Vec<SystemBlock>) -> Option<System> {
    match blocks.as_mut_slice() {
        [] => None,
        [SystemBlock::Text(block)] if block.cache_control.is_none() => {
            Some(System::Text(std::mem::take(&mut block.text)))
        }
        _ => Some(System::Blocks(blocks)),
    }
}

fn user_content(index: usize, content: &Content) -> Result<MessageContent, ApiError> {
    match content {
        Content::Text(text) => Ok(MessageContent::Text(text.clone())),
        Content::Parts(parts) => parts
            .iter()
            .enumerate()
            .map(|(part_index, part)| user_block(index, part_index, part))
            .collect::<Result<_, _>>()
            .map(MessageContent::Blocks),
    }
}

fn user_block(
    index: usize,
    part_index: usize,
    part: &ContentPart,
) -> Result<ContentBlock, ApiError> {
    let param = || format!("messages[{index}].content[{part_index}]");
    match part {
        ContentPart::Text {
            text,
            cache_control,
        } => Ok(ContentBlock::Text(TextBlock {
            text: text.clone(),
            citations: None,
            cache_control: cache_control.clone(),
        })),
        ContentPart::ImageUrl {
            image_url,
            cache_control,
        } => Ok(ContentBlock::Image(ImageBlock {
            source: image_source(&image_url.url).ok_or_else(|| {
                invalid(
                    param(),
                    format!(
                        "{}: image URLs must be https:// or base64 data: URLs",
                        param()
                    ),
                )
            })?,
            cache_control: cache_control.clone(),
        })),
        ContentPart::File { file } => document(file).ok_or_else(|| {
            invalid(
                param(),
                format!(
                    "{}: only files given as base64 file_data are supported",
                    param()
                ),
            )
        }),
        ContentPart::InputAudio { .. } | ContentPart::Refusal { .. } => Err(invalid(
            param(),
            format!(
                "{}: this content type is not supported by Anthropic models",
                param()
            ),
        )),
    }
}

fn image_source(url: &str) -> Option<ImageSource> {
    if let Some((media_type, data)) = parse_data_url(url) {
        return Some(ImageSource::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        });
    }
    (url.starts_with("https://") || url.starts_with("http://")).then(|| ImageSource::Url {
        url: url.to_owned(),
    })
}

/// An OpenAI `file` part (`{"file_data": "data:application/pdf;base64,..",
/// "filename": ..}`) as a document block. File ids of OpenAI's Files API mean
/// nothing to Anthropic.
fn document(file: &Value) -> Option<ContentBlock> {
    let (media_type, data) = parse_data_url(file.get("file_data")?.as_str()?)?;
    Some(ContentBlock::Document(DocumentBlock {
        source: DocumentSource::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        },
        title: None,
        context: None,
        citations: None,
        cache_control: None,
    }))
}

fn tool_result_content(index: usize, content: &Content) -> Result<ToolResultContent, ApiError> {
    Ok(match user_content(index, content)? {
        MessageContent::Text(text) => ToolResultContent::Text(text),
        MessageContent::Blocks(blocks) => ToolResultContent::Blocks(blocks),
    })
}

/// Thinking blocks (signed, from earlier turns) first, as Anthropic requires,
/// then text, then tool calls. `None` when there is nothing to send.
fn assistant_content(
    index: usize,
    message: &AssistantMessage,
) -> Result<Option<MessageContent>, ApiError> {
    let mut blocks = thinking_blocks(index, message.thinking_blocks.as_deref())?;
    let text = message
        .content
        .as_ref()
        .map(Content::text)
        .unwrap_or_default();
    let plain_text = blocks.is_empty() && message.tool_calls.is_none();
    if plain_text {
        return Ok((!text.is_empty()).then_some(MessageContent::Text(text)));
    }
    // Anthropic rejects empty text blocks; OpenAI clients often send
    // `content: ""` beside tool calls.
    if !text.is_empty() {
        blocks.push(ContentBlock::text(text));
    }
    for (call_index, call) in message.tool_calls.iter().flatten().enumerate() {
        let param = format!("messages[{index}].tool_calls[{call_index}].function.arguments");
        blocks.push(ContentBlock::ToolUse(ToolUseBlock {
            id: call.id.clone(),
            name: call.function.name.clone(),
            input: parse_arguments(&call.function.arguments, &param)?,
            cache_control: None,
        }));
    }
    Ok((!blocks.is_empty()).then_some(MessageContent::Blocks(blocks)))
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

fn thinking_blocks(index: usize, blocks: Option<&[Value]>) -> Result<Vec<ContentBlock>, ApiError> {
    let param = format!("messages[{index}].thinking_blocks");
    blocks
        .unwrap_or_default()
        .iter()
        .map(|value| match serde_json::from_value(value.clone()) {
            Ok(block @ (ContentBlock::Thinking(_) | ContentBlock::RedactedThinking(_))) => {
                Ok(block)
            }
            _ => Err(invalid(
                &param,
                format!("{param}: expected thinking or redacted_thinking blocks"),
            )),
        })
        .collect()
}
