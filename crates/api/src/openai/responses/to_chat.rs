//! A Responses request as a chat request, for upstreams that only speak
//! chat (every provider but OpenAI and Azure, whose own Responses API gets
//! the request untranslated).
//!
//! What chat cannot express either fails with a 400 naming it (stored
//! state: `previous_response_id`, `conversation`, `item_reference`; hosted
//! tools such as `web_search`), or is named in `dropped` (LiteLLM's
//! `drop_params` decides). What only shapes the gateway's own answer
//! (`store`, `include`, `stream_options`) is ignored: the gateway stores
//! nothing and returns what it has.

use serde_json::{Map, Value, json};

use super::request::{
    ContentPart as InputPart, Input, InputItem, InputMessage, MessageContent, ReasoningItem,
    ResponsesRequest, ResponsesTool, ResponsesToolChoice, TextFormat,
};
use crate::codec::Decoded;
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{
    AssistantMessage, ChatRequest, Content, ContentPart, FunctionCall, FunctionDefinition,
    ImageUrl, JsonSchemaFormat, Message, NamedFunction, NamedToolChoice, ResponseFormat, Tool,
    ToolCall, ToolChoice,
};

/// Responses parameters that mean the same in chat: carried over as is.
const SAME_IN_CHAT: [&str; 4] = [
    "service_tier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "safety_identifier",
];

/// Parameters about what the gateway returns or keeps, not what the model
/// generates: the gateway keeps nothing and returns what the upstream gave.
const IGNORED: [&str; 2] = ["include", "stream_options"];

fn invalid(param: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message).with_param(param)
}

/// Translates `request` to chat; `dropped` names the parameters left out.
pub fn request_to_chat(request: &ResponsesRequest) -> Result<Decoded<ChatRequest>, ApiError> {
    if request.previous_response_id.is_some() {
        return Err(invalid(
            "previous_response_id",
            "`previous_response_id` is not supported: this gateway does not store responses. \
             Send the whole conversation in `input` instead.",
        ));
    }
    if request
        .rest
        .get("conversation")
        .is_some_and(|v| !v.is_null())
    {
        return Err(invalid(
            "conversation",
            "`conversation` is not supported: this gateway does not store conversations. \
             Send the whole conversation in `input` instead.",
        ));
    }
    let mut dropped = Vec::new();
    let mut rest = Map::new();

    let mut messages = Vec::new();
    if let Some(instructions) = &request.instructions {
        messages.push(Message::System {
            content: Content::Text(instructions.clone()),
            name: None,
            cache_control: None,
        });
    }
    match &request.input {
        None => return Err(invalid("input", "Missing required parameter: 'input'.")),
        Some(Input::Text(text)) => messages.push(user(Content::Text(text.clone()))),
        Some(Input::Items(items)) => convert_items(items, &mut messages)?,
    }

    let (response_format, verbosity) = match &request.text {
        Some(text) => (
            text.format
                .as_ref()
                .map(response_format)
                .transpose()?
                .flatten(),
            text.verbosity.clone(),
        ),
        None => (None, None),
    };
    if let Some(verbosity) = verbosity {
        rest.insert("verbosity".to_owned(), Value::from(verbosity));
    }
    if let Some(metadata) = request.metadata.as_ref().filter(|m| !m.is_null()) {
        rest.insert("metadata".to_owned(), metadata.clone());
    }
    for (key, value) in &request.rest {
        if value.is_null() || IGNORED.contains(&key.as_str()) || is_default(key, value) {
            continue;
        }
        if SAME_IN_CHAT.contains(&key.as_str()) {
            rest.insert(key.clone(), value.clone());
        } else {
            dropped.push(key.clone());
        }
    }

    // Chat rejects an empty `tools`, and `tool_choice` or
    // `parallel_tool_calls` without tools, which the Responses API accepts:
    // without tools they mean nothing and are left out (a choice chat
    // cannot express is still an error).
    let tools = convert_tools(request.tools.as_deref())?.filter(|t| !t.is_empty());
    let mut choice_dropped = Vec::new();
    let choice = request
        .tool_choice
        .as_ref()
        .map(|c| tool_choice(c, &mut choice_dropped))
        .transpose()?;
    let (tool_choice, parallel_tool_calls) = match tools {
        Some(_) => {
            dropped.append(&mut choice_dropped);
            (choice, request.parallel_tool_calls)
        }
        None => (None, None),
    };
    let chat = ChatRequest {
        model: request.model.clone(),
        messages,
        stream: request.stream.filter(|s| *s),
        max_completion_tokens: request.max_output_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        tools,
        tool_choice,
        parallel_tool_calls,
        response_format,
        reasoning_effort: request.reasoning.as_ref().and_then(|r| r.effort.clone()),
        user: request.user.clone(),
        rest,
        ..ChatRequest::default()
    };
    Ok(Decoded {
        value: chat,
        dropped,
    })
}

/// Parameters sent with the value that means "off": nothing to drop.
fn is_default(key: &str, value: &Value) -> bool {
    matches!(
        (key, value),
        ("truncation", Value::String(s)) if s == "disabled"
    ) || matches!((key, value), ("background", Value::Bool(false)))
}

fn user(content: Content) -> Message {
    Message::User {
        content,
        name: None,
        cache_control: None,
    }
}

/// Input items as chat messages. A reasoning item's text goes to the next
/// assistant message's `reasoning_content`; function calls join the
/// assistant message before them (chat keeps one turn's calls together).
fn convert_items(items: &[InputItem], messages: &mut Vec<Message>) -> Result<(), ApiError> {
    let mut reasoning: Option<String> = None;
    for (index, item) in items.iter().enumerate() {
        match item {
            InputItem::Message(message) => {
                messages.push(convert_message(message, index, reasoning.take())?);
            }
            InputItem::FunctionCall(call) => {
                let tool_call = ToolCall {
                    id: call.call_id.clone(),
                    r#type: "function".to_owned(),
                    function: FunctionCall {
                        name: call.name.clone(),
                        arguments: call.arguments.clone(),
                    },
                };
                match messages.last_mut() {
                    Some(Message::Assistant(turn)) if reasoning.is_none() => {
                        turn.tool_calls.get_or_insert_with(Vec::new).push(tool_call);
                    }
                    _ => messages.push(Message::Assistant(AssistantMessage {
                        tool_calls: Some(vec![tool_call]),
                        reasoning_content: reasoning.take(),
                        ..AssistantMessage::default()
                    })),
                }
            }
            InputItem::FunctionCallOutput(output) => {
                let content = match &output.output {
                    MessageContent::Text(text) => Content::Text(text.clone()),
                    MessageContent::Parts(parts) => {
                        Content::Parts(convert_parts(parts, &format!("input[{index}].output"))?)
                    }
                };
                messages.push(Message::Tool {
                    content,
                    tool_call_id: output.call_id.clone(),
                    cache_control: None,
                });
            }
            InputItem::Reasoning(item) => {
                let text = reasoning_text(item);
                if !text.is_empty() {
                    let pending = reasoning.get_or_insert_with(String::new);
                    if !pending.is_empty() {
                        pending.push_str("\n\n");
                    }
                    pending.push_str(&text);
                }
            }
            InputItem::Other(_) => {
                return Err(invalid(
                    format!("input[{index}]"),
                    format!(
                        "input items of type `{}` are not supported for this model: its \
                         provider is reached through chat completions, which have no \
                         equivalent.",
                        item.kind()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The summary text of a reasoning item, or its raw text without one.
fn reasoning_text(item: &ReasoningItem) -> String {
    let parts = if item.summary.is_empty() {
        item.content.as_deref().unwrap_or_default()
    } else {
        &item.summary
    };
    let texts: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
    texts.join("\n\n")
}

fn convert_message(
    message: &InputMessage,
    index: usize,
    reasoning: Option<String>,
) -> Result<Message, ApiError> {
    let path = format!("input[{index}].content");
    let content = || -> Result<Content, ApiError> {
        Ok(match &message.content {
            MessageContent::Text(text) => Content::Text(text.clone()),
            MessageContent::Parts(parts) => Content::Parts(convert_parts(parts, &path)?),
        })
    };
    Ok(match message.role.as_str() {
        "user" => user(content()?),
        "system" => Message::System {
            content: content()?,
            name: None,
            cache_control: None,
        },
        "developer" => Message::Developer {
            content: content()?,
            name: None,
            cache_control: None,
        },
        "assistant" => {
            let (text, refusal) = match &message.content {
                MessageContent::Text(text) => (text.clone(), None),
                MessageContent::Parts(parts) => assistant_text(parts),
            };
            Message::Assistant(AssistantMessage {
                content: (!text.is_empty()).then_some(Content::Text(text)),
                refusal,
                reasoning_content: reasoning,
                ..AssistantMessage::default()
            })
        }
        other => {
            return Err(invalid(
                format!("input[{index}].role"),
                format!(
                    "Invalid value: '{other}'. Supported values are: 'user', 'system', \
                     'developer' and 'assistant'."
                ),
            ));
        }
    })
}

/// An earlier assistant message's text (its parts joined) and refusal.
fn assistant_text(parts: &[InputPart]) -> (String, Option<String>) {
    let mut text = String::new();
    let mut refusal: Option<String> = None;
    for part in parts {
        match part {
            InputPart::OutputText { text: t, .. } | InputPart::InputText { text: t } => {
                text.push_str(t);
            }
            InputPart::Refusal { refusal: r } => {
                refusal.get_or_insert_with(String::new).push_str(r)
            }
            // Assistant messages carry no media.
            InputPart::InputImage { .. } | InputPart::InputFile { .. } => {}
        }
    }
    (text, refusal)
}

/// Content parts as chat parts; `path` names the list in errors.
fn convert_parts(parts: &[InputPart], path: &str) -> Result<Vec<ContentPart>, ApiError> {
    let text = |text: &str| ContentPart::Text {
        text: text.to_owned(),
        cache_control: None,
    };
    parts
        .iter()
        .enumerate()
        .map(|(index, part)| {
            let unsupported = |what: &str| {
                invalid(
                    format!("{path}[{index}]"),
                    format!("{what} cannot be sent to this model's provider."),
                )
            };
            Ok(match part {
                InputPart::InputText { text: t } | InputPart::OutputText { text: t, .. } => text(t),
                InputPart::Refusal { refusal } => text(refusal),
                InputPart::InputImage {
                    image_url, detail, ..
                } => match image_url {
                    Some(url) => ContentPart::ImageUrl {
                        image_url: ImageUrl {
                            url: url.clone(),
                            detail: detail.clone(),
                        },
                        cache_control: None,
                    },
                    None => {
                        return Err(unsupported(
                            "An image given by `file_id` (an OpenAI upload)",
                        ));
                    }
                },
                InputPart::InputFile {
                    file_id,
                    file_data,
                    file_url,
                    filename,
                } => {
                    if file_url.is_some() {
                        return Err(unsupported("A file given by `file_url`"));
                    }
                    let mut file = Map::new();
                    if let Some(data) = file_data {
                        file.insert("file_data".to_owned(), Value::from(data.as_str()));
                    }
                    if let Some(id) = file_id {
                        file.insert("file_id".to_owned(), Value::from(id.as_str()));
                    }
                    if let Some(name) = filename {
                        file.insert("filename".to_owned(), Value::from(name.as_str()));
                    }
                    ContentPart::File {
                        file: Value::Object(file),
                    }
                }
            })
        })
        .collect()
}

/// Function tools, nested the chat way; any other tool is a 400 naming it.
fn convert_tools(tools: Option<&[ResponsesTool]>) -> Result<Option<Vec<Tool>>, ApiError> {
    let Some(tools) = tools else {
        return Ok(None);
    };
    let hosted: Vec<(usize, &str)> = tools
        .iter()
        .enumerate()
        .filter(|(_, tool)| !matches!(tool, ResponsesTool::Function(_)))
        .map(|(index, tool)| (index, tool.kind()))
        .collect();
    if let Some((first, _)) = hosted.first() {
        let names: Vec<String> = hosted
            .iter()
            .map(|(index, kind)| format!("`{kind}` (tools[{index}])"))
            .collect();
        return Err(invalid(
            format!("tools[{first}]"),
            format!(
                "Built-in tools are not supported for this model: its provider is reached \
                 through chat completions, which only offer function tools. Remove {}.",
                names.join(", ")
            ),
        ));
    }
    Ok(Some(
        tools
            .iter()
            .filter_map(|tool| match tool {
                ResponsesTool::Function(f) => Some(Tool {
                    r#type: "function".to_owned(),
                    function: FunctionDefinition {
                        name: f.name.clone(),
                        description: f.description.clone(),
                        parameters: f.parameters.clone(),
                        strict: f.strict,
                    },
                    cache_control: None,
                }),
                ResponsesTool::Other(_) => None,
            })
            .collect(),
    ))
}

fn tool_choice(
    choice: &ResponsesToolChoice,
    dropped: &mut Vec<String>,
) -> Result<ToolChoice, ApiError> {
    let object = match choice {
        ResponsesToolChoice::Mode(mode) => return Ok(ToolChoice::Mode(mode.clone())),
        ResponsesToolChoice::Object(object) => object,
    };
    match (object.r#type.as_str(), &object.name) {
        ("function", Some(name)) => Ok(ToolChoice::Named(NamedToolChoice {
            r#type: "function".to_owned(),
            function: NamedFunction { name: name.clone() },
        })),
        // The restriction to a subset of tools has no typed chat
        // equivalent here; its mode stays.
        ("allowed_tools", _) => {
            dropped.push("tool_choice.tools".to_owned());
            let mode = object.rest.get("mode").and_then(Value::as_str);
            Ok(ToolChoice::Mode(mode.unwrap_or("auto").to_owned()))
        }
        (kind, _) => Err(invalid(
            "tool_choice",
            format!("`tool_choice` of type `{kind}` is not supported for this model."),
        )),
    }
}

/// `text.format` as chat's `response_format`; plain text is chat's default.
fn response_format(format: &TextFormat) -> Result<Option<ResponseFormat>, ApiError> {
    match format.r#type.as_str() {
        "text" => Ok(None),
        "json_object" => Ok(Some(ResponseFormat {
            r#type: "json_object".to_owned(),
            json_schema: None,
        })),
        "json_schema" => Ok(Some(ResponseFormat {
            r#type: "json_schema".to_owned(),
            json_schema: Some(JsonSchemaFormat {
                name: format.name.clone().ok_or_else(|| {
                    invalid(
                        "text.format.name",
                        "Missing required parameter: 'text.format.name'.",
                    )
                })?,
                description: format.description.clone(),
                schema: Some(format.schema.clone().unwrap_or_else(|| json!({}))),
                strict: format.strict,
            }),
        })),
        other => Err(invalid(
            "text.format.type",
            format!(
                "Invalid value: '{other}'. Supported values are: 'text', 'json_object' and \
                 'json_schema'."
            ),
        )),
    }
}
