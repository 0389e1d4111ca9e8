//! Direction B, request: a Gemini client's `generateContent` body → an
//! OpenAI chat request for an OpenAI-dialect upstream.

use std::collections::{HashMap, VecDeque};

use serde_json::{Map, Value, json};

use super::media::{data_url, guess_mime_type};
use super::schema::schema_for_openai;
use super::types::{
    Content, FunctionCallingConfig, GenerateContentRequest, GenerationConfig, Part, Tool,
};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{
    AssistantMessage, ChatRequest, Content as OpenAiContent, ContentPart, FunctionCall,
    FunctionDefinition, ImageUrl, JsonSchemaFormat, Message, NamedFunction, NamedToolChoice,
    ResponseFormat, Stop, StreamOptions, Tool as OpenAiTool, ToolCall, ToolChoice,
};

/// Translates a Gemini request for an OpenAI-dialect upstream. `model` comes
/// from the URL (`models/{model}:generateContent`); `stream` is whether the
/// client called `:streamGenerateContent` (usage is then always requested,
/// since Gemini clients expect `usageMetadata` at the end).
///
/// Dropped without error, having no OpenAI equivalent: `safetySettings`,
/// `cachedContent`, `topK`, unknown top-level fields, thought parts of
/// earlier model turns (OpenAI takes no reasoning as input) and thought
/// signatures. Refused with a 400,
/// because ignoring them would change the answer: built-in tools
/// (`googleSearch`, `codeExecution`, ...), media other than images by URI,
/// and part kinds OpenAI cannot carry (`executableCode`, ...).
pub fn request_to_openai(
    model: &str,
    request: &GenerateContentRequest,
    stream: bool,
) -> Result<ChatRequest, ApiError> {
    let mut messages = Vec::new();
    if let Some(system) = &request.system_instruction {
        let texts: Vec<String> = system.parts.iter().filter_map(|p| p.text.clone()).collect();
        if !texts.is_empty() {
            messages.push(system_message(text_content(texts)));
        }
    }
    let mut ids = CallIds::default();
    for (index, content) in request.contents.iter().enumerate() {
        if content.role.as_deref() == Some("model") {
            messages.extend(assistant_message(content, index, &mut ids)?);
        } else {
            user_messages(content, index, &mut ids, &mut messages)?;
        }
    }
    let config = request.generation_config.as_ref();
    let calling = request
        .tool_config
        .as_ref()
        .and_then(|c| c.function_calling_config.as_ref());
    let mut chat = ChatRequest {
        model: model.to_owned(),
        messages,
        tools: tools(request.tools.as_deref(), calling)?,
        tool_choice: calling.and_then(tool_choice),
        ..ChatRequest::default()
    };
    if let Some(config) = config {
        apply_generation_config(config, &mut chat);
    }
    if stream {
        chat.stream = Some(true);
        chat.stream_options = Some(StreamOptions {
            include_usage: Some(true),
            rest: Map::new(),
        });
    }
    Ok(chat)
}

/// Tool call ids for calls and results without one: `call_<name>_<n>`, with
/// `n` counting calls in the conversation. A result takes the oldest
/// unanswered call of its name, which is how Gemini pairs them.
#[derive(Default)]
struct CallIds {
    counter: usize,
    pending: HashMap<String, VecDeque<String>>,
}

impl CallIds {
    fn for_call(&mut self, name: &str, id: Option<&str>) -> String {
        let id = id.map_or_else(|| self.generate(name), str::to_owned);
        self.pending
            .entry(name.to_owned())
            .or_default()
            .push_back(id.clone());
        id
    }

    fn for_result(&mut self, name: &str, id: Option<&str>) -> String {
        let pending = self.pending.entry(name.to_owned()).or_default();
        match id {
            Some(id) => {
                pending.retain(|waiting| waiting != id);
                id.to_owned()
            }
            None => match pending.pop_front() {
                Some(id) => id,
                None => self.generate(name),
            },
        }
    }

    fn generate(&mut self, name: &str) -> String {
        let id = format!("call_{name}_{}", self.counter);
        self.counter += 1;
        id
    }
}

fn invalid(message: String, param: String) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message).with_param(param)
}

/// One text becomes a plain string, several a list of text parts.
fn text_content(mut texts: Vec<String>) -> OpenAiContent {
    if texts.len() == 1
        && let Some(text) = texts.pop()
    {
        return OpenAiContent::Text(text);
    }
    OpenAiContent::Parts(texts.into_iter().map(text_part).collect())
}

fn assistant_message(
    content: &Content,
    index: usize,
    ids: &mut CallIds,
) -> Result<Option<Message>, ApiError> {
    let mut texts = Vec::new();
    let mut tool_calls = Vec::new();
    for (part_index, part) in content.parts.iter().enumerate() {
        if let Some(call) = &part.function_call {
            let arguments = call
                .args
                .as_ref()
                .map_or_else(|| "{}".to_owned(), Value::to_string);
            tool_calls.push(ToolCall {
                id: ids.for_call(&call.name, call.id.as_deref()),
                r#type: "function".to_owned(),
                function: FunctionCall {
                    name: call.name.clone(),
                    arguments,
                },
            });
        } else if part.is_thought() {
            continue;
        } else if let Some(text) = &part.text {
            texts.push(text.clone());
        } else {
            return Err(unsupported_part(part, index, part_index));
        }
    }
    if texts.is_empty() && tool_calls.is_empty() {
        return Ok(None);
    }
    Ok(Some(Message::Assistant(AssistantMessage {
        content: (!texts.is_empty()).then(|| OpenAiContent::Text(texts.concat())),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        ..AssistantMessage::default()
    })))
}

/// A user turn: its function results as tool messages (first, as they
/// answer the previous model turn), then the rest as one user message.
fn user_messages(
    content: &Content,
    index: usize,
    ids: &mut CallIds,
    messages: &mut Vec<Message>,
) -> Result<(), ApiError> {
    let mut parts = Vec::new();
    for (part_index, part) in content.parts.iter().enumerate() {
        if let Some(result) = &part.function_response {
            let id = ids.for_result(&result.name, result.id.as_deref());
            messages.push(tool_message(tool_result_text(&result.response), id));
        } else {
            parts.push(user_part(part, index, part_index)?);
        }
    }
    if parts.is_empty() {
        return Ok(());
    }
    let content = match &parts[..] {
        [ContentPart::Text { text, .. }] => OpenAiContent::Text(text.clone()),
        _ => OpenAiContent::Parts(parts),
    };
    messages.push(user_message(content));
    Ok(())
}

/// A function result as tool message text: the inverse of Direction A's
/// `{"content": ...}` wrapping when that is all there is, else the JSON.
fn tool_result_text(response: &Value) -> String {
    match response
        .as_object()
        .and_then(|object| object.get("content"))
    {
        Some(Value::String(text)) if response.as_object().is_some_and(|o| o.len() == 1) => {
            text.clone()
        }
        Some(value) if response.as_object().is_some_and(|o| o.len() == 1) => value.to_string(),
        _ => response.to_string(),
    }
}

fn user_part(part: &Part, index: usize, part_index: usize) -> Result<ContentPart, ApiError> {
    if let Some(text) = &part.text {
        return Ok(text_part(text.clone()));
    }
    if let Some(blob) = &part.inline_data {
        return Ok(inline_part(&blob.mime_type, &blob.data));
    }
    if let Some(file) = &part.file_data {
        let mime = file
            .mime_type
            .as_deref()
            .or_else(|| guess_mime_type(&file.file_uri));
        if mime.is_some_and(|mime| mime.starts_with("image/")) {
            return Ok(image_part(file.file_uri.clone()));
        }
        return Err(invalid(
            format!(
                "contents[{index}].parts[{part_index}]: fileData of type {} can only be sent to Gemini models",
                mime.unwrap_or("unknown")
            ),
            format!("contents[{index}].parts[{part_index}].fileData"),
        ));
    }
    Err(unsupported_part(part, index, part_index))
}

/// Inline media: images as data URL images, audio as `input_audio` (format
/// from the MIME subtype: `wav`, `mp3`), anything else (PDF, ...) as a
/// `file` part with a data URL.
fn inline_part(mime_type: &str, data: &str) -> ContentPart {
    let subtype = mime_type.split_once('/').map_or(mime_type, |(_, sub)| sub);
    if mime_type.starts_with("image/") {
        image_part(data_url(mime_type, data))
    } else if mime_type.starts_with("audio/") {
        ContentPart::InputAudio {
            input_audio: json!({ "data": data, "format": audio_format(subtype) }),
        }
    } else {
        ContentPart::File {
            file: json!({ "filename": format!("file.{subtype}"), "file_data": data_url(mime_type, data) }),
        }
    }
}

/// OpenAI's `input_audio.format` names (`wav`, `mp3`) for the MIME
/// subtypes that mean the same; others are passed as they are.
fn audio_format(subtype: &str) -> &str {
    match subtype {
        "mpeg" | "mpeg3" | "x-mpeg-3" | "mp3" => "mp3",
        "x-wav" | "wave" | "vnd.wave" | "wav" => "wav",
        other => other,
    }
}

fn unsupported_part(part: &Part, index: usize, part_index: usize) -> ApiError {
    let kind = part
        .rest
        .keys()
        .next()
        .map_or("(empty part)", String::as_str);
    invalid(
        format!(
            "contents[{index}].parts[{part_index}]: part kind '{kind}' can only be sent to Gemini models"
        ),
        format!("contents[{index}].parts[{part_index}]"),
    )
}

/// Function declarations as OpenAI tools. With `ANY` mode and
/// `allowedFunctionNames`, only the allowed functions are offered: OpenAI's
/// `required` cannot name a subset, so the subset is the tool list.
fn tools(
    tools: Option<&[Tool]>,
    calling: Option<&FunctionCallingConfig>,
) -> Result<Option<Vec<OpenAiTool>>, ApiError> {
    let allowed = calling
        .filter(|config| config.mode.as_deref() == Some("ANY"))
        .and_then(|config| config.allowed_function_names.as_deref())
        .filter(|names| !names.is_empty());
    let mut out = Vec::new();
    for (index, tool) in tools.unwrap_or_default().iter().enumerate() {
        if let Some(builtin) = tool.rest.keys().next() {
            return Err(invalid(
                format!(
                    "tools[{index}]: the built-in tool '{builtin}' is only available on Gemini models"
                ),
                format!("tools[{index}].{builtin}"),
            ));
        }
        for declaration in tool.function_declarations.iter().flatten() {
            if allowed.is_some_and(|names| !names.contains(&declaration.name)) {
                continue;
            }
            let parameters = match (&declaration.parameters_json_schema, &declaration.parameters) {
                (Some(schema), _) => Some(schema.clone()),
                (None, Some(schema)) => Some(schema_for_openai(schema)),
                (None, None) => None,
            };
            out.push(function_tool(FunctionDefinition {
                name: declaration.name.clone(),
                description: declaration.description.clone(),
                parameters,
                strict: None,
            }));
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

/// `functionCallingConfig.mode` → `tool_choice`: `AUTO` (and `VALIDATED`)
/// → `auto`, `NONE` → `none`, `ANY` → `required`, or the named function when
/// exactly one is allowed.
fn tool_choice(config: &FunctionCallingConfig) -> Option<ToolChoice> {
    let mode = match config.mode.as_deref()? {
        "AUTO" | "VALIDATED" => "auto",
        "NONE" => "none",
        "ANY" => match config.allowed_function_names.as_deref() {
            Some([only]) => {
                return Some(ToolChoice::Named(NamedToolChoice {
                    r#type: "function".to_owned(),
                    function: NamedFunction { name: only.clone() },
                }));
            }
            _ => "required",
        },
        _ => return None,
    };
    Some(ToolChoice::Mode(mode.to_owned()))
}

/// `generationConfig` → the OpenAI parameters. `maxOutputTokens` becomes
/// `max_tokens`, which every OpenAI-compatible server knows.
fn apply_generation_config(config: &GenerationConfig, chat: &mut ChatRequest) {
    chat.max_tokens = config.max_output_tokens;
    chat.temperature = config.temperature;
    chat.top_p = config.top_p;
    chat.n = config.candidate_count;
    chat.stop = config.stop_sequences.clone().map(Stop::Many);
    chat.response_format = response_format(config);
    chat.reasoning_effort = reasoning_effort(config);
    let extras = [
        ("seed", config.seed.map(Value::from)),
        ("presence_penalty", config.presence_penalty.map(Value::from)),
        (
            "frequency_penalty",
            config.frequency_penalty.map(Value::from),
        ),
    ];
    for (name, value) in extras {
        if let Some(value) = value {
            chat.rest.insert(name.to_owned(), value);
        }
    }
}

/// JSON mode: with a schema (`responseJsonSchema` as given, or
/// `responseSchema` with OpenAPI type names lowered) a `json_schema` format
/// named `response`, without one `json_object`. Other MIME types (plain
/// text, `text/x.enum`) have no OpenAI equivalent and leave the default.
fn response_format(config: &GenerationConfig) -> Option<ResponseFormat> {
    if config.response_mime_type.as_deref() != Some("application/json") {
        return None;
    }
    let schema = match (&config.response_json_schema, &config.response_schema) {
        (Some(schema), _) => Some(schema.clone()),
        (None, Some(schema)) => Some(schema_for_openai(schema)),
        (None, None) => None,
    };
    Some(match schema {
        Some(schema) => ResponseFormat {
            r#type: "json_schema".to_owned(),
            json_schema: Some(JsonSchemaFormat {
                name: "response".to_owned(),
                description: None,
                schema: Some(schema),
                strict: None,
            }),
        },
        None => ResponseFormat {
            r#type: "json_object".to_owned(),
            json_schema: None,
        },
    })
}

/// `thinkingConfig` → `reasoning_effort`: Gemini 3's `thinkingLevel` as is;
/// a budget by the inverse of Direction A's table (≤1024 low, ≤8192 medium,
/// above high). Budget 0 (thinking off) and -1 (model decides) set nothing:
/// sending any effort to a non-reasoning OpenAI model is an error.
fn reasoning_effort(config: &GenerationConfig) -> Option<String> {
    let thinking = config.thinking_config.as_ref()?;
    if let Some(level) = &thinking.thinking_level {
        return Some(level.to_ascii_lowercase());
    }
    let effort = match thinking.thinking_budget? {
        budget if budget <= 0 => return None,
        1..=1024 => "low",
        1025..=8192 => "medium",
        _ => "high",
    };
    Some(effort.to_owned())
}

// Constructors of the OpenAI types, in one place: the chat types gain
// optional fields (LiteLLM extensions) over time, and only these need to
// follow. Gemini has no per-message cache markers (its caching is the
// separate `cachedContent` resource), so `cache_control` is never set.

fn system_message(content: OpenAiContent) -> Message {
    Message::System {
        content,
        name: None,
        cache_control: None,
    }
}

fn user_message(content: OpenAiContent) -> Message {
    Message::User {
        content,
        name: None,
        cache_control: None,
    }
}

fn tool_message(text: String, tool_call_id: String) -> Message {
    Message::Tool {
        content: OpenAiContent::Text(text),
        tool_call_id,
        cache_control: None,
    }
}

fn text_part(text: String) -> ContentPart {
    ContentPart::Text {
        text,
        cache_control: None,
    }
}

fn image_part(url: String) -> ContentPart {
    ContentPart::ImageUrl {
        image_url: ImageUrl { url, detail: None },
        cache_control: None,
    }
}

fn function_tool(function: FunctionDefinition) -> OpenAiTool {
    OpenAiTool {
        r#type: "function".to_owned(),
        function,
        cache_control: None,
    }
}
