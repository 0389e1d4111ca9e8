//! OpenAI chat request → Cohere v2 chat request.
//!
//! The conversation maps one message to one message (Cohere's roles are
//! OpenAI's). Parameters Cohere lacks are named in `dropped` (LiteLLM's
//! `drop_params` then decides); Cohere's own parameters sent by the client
//! as extra fields (`k`, `documents`, `safety_mode`, ...) are forwarded.

use serde_json::{Map, Value, json};

use super::types::{
    ChatRequest as CohereRequest, Content, ContentItem, Function, ImageUrl, Message,
    ResponseFormat, Tool,
};
use super::{Translated, invalid};
use crate::error::ApiError;
use crate::openai::chat::{
    AssistantMessage, ChatRequest, Content as OpenAiContent, ContentPart, Message as OpenAiMessage,
    ResponseFormat as OpenAiResponseFormat, Stop, Tool as OpenAiTool, ToolChoice,
};

/// OpenAI parameters without a typed field that Cohere takes under the
/// same name and meaning.
const SHARED_EXTRA: [&str; 3] = ["seed", "frequency_penalty", "presence_penalty"];

/// Cohere's own parameters (v2 chat reference) a client may send as extra
/// fields; forwarded untouched. `thinking` is among them: Cohere's shape
/// wins over `reasoning_effort`.
const COHERE_EXTRA: [&str; 7] = [
    "k",
    "documents",
    "citation_options",
    "safety_mode",
    "strict_tools",
    "logprobs",
    "thinking",
];

/// Thinking budgets for `reasoning_effort` (LiteLLM's defaults).
const BUDGET_MINIMAL: u64 = 128;
const BUDGET_LOW: u64 = 1024;
const BUDGET_MEDIUM: u64 = 2048;
const BUDGET_HIGH: u64 = 4096;

/// Translates an OpenAI chat request for a Cohere upstream serving `model`.
pub fn request_from_openai(
    request: &ChatRequest,
    model: &str,
    stream: bool,
) -> Result<Translated<CohereRequest>, ApiError> {
    let messages = request
        .messages
        .iter()
        .enumerate()
        .map(|(index, message)| convert_message(index, message))
        .collect::<Result<Vec<_>, _>>()?;
    let (tools, tool_choice) = tools_and_choice(request)?;
    let mut rest = Map::new();
    let mut shared = Map::new();
    for (key, value) in &request.rest {
        if value.is_null() {
            continue;
        }
        if COHERE_EXTRA.contains(&key.as_str()) {
            rest.insert(key.clone(), value.clone());
        } else if SHARED_EXTRA.contains(&key.as_str()) {
            shared.insert(key.clone(), value.clone());
        }
    }
    let thinking = match rest.remove("thinking") {
        Some(thinking) => Some(thinking),
        None => thinking(request.reasoning_effort.as_deref())?,
    };
    let translated = CohereRequest {
        model: model.to_owned(),
        messages,
        tools,
        tool_choice,
        response_format: response_format(request.response_format.as_ref())?,
        max_tokens: request.max_completion_tokens.or(request.max_tokens),
        stop_sequences: request.stop.clone().map(Stop::into_vec),
        temperature: request.temperature,
        seed: shared.remove("seed"),
        frequency_penalty: shared.remove("frequency_penalty"),
        presence_penalty: shared.remove("presence_penalty"),
        p: request.top_p,
        thinking,
        stream,
        rest,
    };
    Ok(Translated {
        request: translated,
        dropped: dropped_params(request),
    })
}

fn convert_message(index: usize, message: &OpenAiMessage) -> Result<Message, ApiError> {
    Ok(match message {
        OpenAiMessage::System { content, .. } | OpenAiMessage::Developer { content, .. } => {
            Message::System {
                content: text_content(index, content)?,
            }
        }
        OpenAiMessage::User { content, .. } => Message::User {
            content: user_content(index, content)?,
        },
        OpenAiMessage::Tool {
            content,
            tool_call_id,
            ..
        } => Message::Tool {
            tool_call_id: tool_call_id.clone(),
            content: text_content(index, content)?,
        },
        OpenAiMessage::Assistant(assistant) => assistant_message(index, assistant)?,
    })
}

/// System and tool content: text only.
fn text_content(index: usize, content: &OpenAiContent) -> Result<Content, ApiError> {
    match content {
        OpenAiContent::Text(text) => Ok(Content::Text(text.clone())),
        OpenAiContent::Parts(parts) => parts
            .iter()
            .enumerate()
            .map(|(part_index, part)| match part {
                ContentPart::Text { text, .. } => Ok(ContentItem::Text { text: text.clone() }),
                _ => Err(unsupported_part(index, part_index)),
            })
            .collect::<Result<_, _>>()
            .map(Content::Items),
    }
}

/// User content: text and images (`https://` or `data:` URLs, which Cohere
/// takes as OpenAI does).
fn user_content(index: usize, content: &OpenAiContent) -> Result<Content, ApiError> {
    let OpenAiContent::Parts(parts) = content else {
        return text_content(index, content);
    };
    parts
        .iter()
        .enumerate()
        .map(|(part_index, part)| match part {
            ContentPart::Text { text, .. } => Ok(ContentItem::Text { text: text.clone() }),
            ContentPart::ImageUrl { image_url, .. } => Ok(ContentItem::ImageUrl {
                image_url: ImageUrl {
                    url: image_url.url.clone(),
                    detail: image_url.detail.clone(),
                },
            }),
            _ => Err(unsupported_part(index, part_index)),
        })
        .collect::<Result<_, _>>()
        .map(Content::Items)
}

fn unsupported_part(index: usize, part_index: usize) -> ApiError {
    invalid(
        format!("messages[{index}].content[{part_index}]"),
        format!(
            "messages[{index}].content[{part_index}]: Cohere accepts only text here (and images in user messages)"
        ),
    )
}

/// The text before tool calls is Cohere's `tool_plan`; otherwise it is the
/// content. Reasoning text goes back as a `thinking` item.
fn assistant_message(index: usize, assistant: &AssistantMessage) -> Result<Message, ApiError> {
    let text = match &assistant.content {
        Some(content) => {
            // Only text can be said back: refuse anything else by name.
            text_content(index, content)?;
            content.text()
        }
        None => String::new(),
    };
    let calls = assistant.tool_calls.clone().unwrap_or_default();
    let thinking = assistant
        .reasoning_content
        .as_ref()
        .filter(|text| !text.is_empty())
        .map(|thinking| ContentItem::Thinking {
            thinking: thinking.clone(),
        });
    if calls.is_empty() {
        let content = match thinking {
            Some(thinking) => Content::Items(vec![thinking, ContentItem::Text { text }]),
            None => Content::Text(text),
        };
        return Ok(Message::Assistant {
            content: Some(content),
            tool_calls: None,
            tool_plan: None,
        });
    }
    Ok(Message::Assistant {
        content: thinking.map(|thinking| Content::Items(vec![thinking])),
        tool_calls: Some(calls),
        tool_plan: (!text.is_empty()).then_some(text),
    })
}

/// Tools, and `tool_choice`: `none` → `NONE`, `required` → `REQUIRED`,
/// `auto` → absent. Cohere cannot name a tool, so a named choice offers
/// only that tool and requires a call, which forces the same call.
fn tools_and_choice(
    request: &ChatRequest,
) -> Result<(Option<Vec<Tool>>, Option<&'static str>), ApiError> {
    let mut tools = request
        .tools
        .as_deref()
        .map(|tools| {
            tools
                .iter()
                .enumerate()
                .map(|(index, tool)| convert_tool(index, tool))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let choice = match &request.tool_choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => None,
            "none" => Some("NONE"),
            "required" => Some("REQUIRED"),
            other => {
                return Err(invalid(
                    "tool_choice",
                    format!("tool_choice `{other}` is not one of none, auto, required"),
                ));
            }
        },
        Some(ToolChoice::Named(named)) => {
            let name = &named.function.name;
            let list = tools.as_mut().ok_or_else(|| {
                invalid(
                    "tool_choice",
                    "tool_choice names a tool but no tools are given",
                )
            })?;
            list.retain(|tool| &tool.function.name == name);
            if list.is_empty() {
                return Err(invalid(
                    "tool_choice",
                    format!("tool_choice names `{name}`, which is not among the tools"),
                ));
            }
            Some("REQUIRED")
        }
    };
    Ok((tools, choice))
}

fn convert_tool(index: usize, tool: &OpenAiTool) -> Result<Tool, ApiError> {
    if tool.r#type != "function" {
        return Err(invalid(
            format!("tools[{index}].type"),
            format!(
                "tools[{index}]: tool type `{}` is not supported",
                tool.r#type
            ),
        ));
    }
    Ok(Tool {
        r#type: "function",
        function: Function {
            name: tool.function.name.clone(),
            description: tool.function.description.clone(),
            parameters: tool
                .function
                .parameters
                .clone()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
        },
    })
}

/// `json_object` is Cohere's JSON mode; `json_schema` is JSON mode with the
/// schema; `text` is the default and sends nothing.
fn response_format(
    format: Option<&OpenAiResponseFormat>,
) -> Result<Option<ResponseFormat>, ApiError> {
    let Some(format) = format else {
        return Ok(None);
    };
    match format.r#type.as_str() {
        "text" => Ok(None),
        "json_object" => Ok(Some(ResponseFormat {
            r#type: "json_object",
            json_schema: None,
        })),
        "json_schema" => Ok(Some(ResponseFormat {
            r#type: "json_object",
            json_schema: format.json_schema.as_ref().and_then(|s| s.schema.clone()),
        })),
        other => Err(invalid(
            "response_format.type",
            format!("response_format.type `{other}` is not one of text, json_object, json_schema"),
        )),
    }
}

/// `reasoning_effort` → `thinking`; `none` turns thinking off.
fn thinking(effort: Option<&str>) -> Result<Option<Value>, ApiError> {
    let budget = match effort {
        None => return Ok(None),
        Some("none") => return Ok(Some(json!({"type": "disabled"}))),
        Some("minimal") => BUDGET_MINIMAL,
        Some("low") => BUDGET_LOW,
        Some("medium") => BUDGET_MEDIUM,
        Some("high") => BUDGET_HIGH,
        Some(other) => {
            return Err(invalid(
                "reasoning_effort",
                format!(
                    "reasoning_effort `{other}` is not one of none, minimal, low, medium, high"
                ),
            ));
        }
    };
    Ok(Some(json!({"type": "enabled", "token_budget": budget})))
}

/// What Cohere has no equivalent for. `stream_options` is not among them:
/// Cohere always reports usage. `n: 1` and `parallel_tool_calls: true` are
/// what Cohere does anyway; `null` values count as absent.
fn dropped_params(request: &ChatRequest) -> Vec<String> {
    let mut dropped: Vec<String> = request
        .rest
        .iter()
        .filter(|(key, value)| {
            !value.is_null()
                && !COHERE_EXTRA.contains(&key.as_str())
                && !SHARED_EXTRA.contains(&key.as_str())
        })
        .map(|(key, _)| key.clone())
        .collect();
    if request.n.is_some_and(|n| n > 1) {
        dropped.push("n".to_owned());
    }
    if request.user.is_some() {
        dropped.push("user".to_owned());
    }
    if request.parallel_tool_calls == Some(false) {
        dropped.push("parallel_tool_calls".to_owned());
    }
    dropped.sort();
    dropped
}
