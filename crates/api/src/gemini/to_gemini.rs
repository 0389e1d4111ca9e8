//! Direction A, request: an OpenAI chat request → a Gemini
//! `generateContent` body.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::media::{audio_mime_type, guess_mime_type, parse_data_url};
use super::schema::parameters_for_gemini;
use super::thought_signature_of;
use super::types::{
    Blob, Content, FileData, FunctionCall, FunctionCallingConfig, FunctionDeclaration,
    FunctionResponse, GenerateContentRequest, GenerationConfig, Part, ThinkingConfig, Tool,
    ToolConfig,
};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{
    AssistantMessage, ChatRequest, Content as OpenAiContent, ContentPart, Message, ResponseFormat,
    ToolChoice,
};

/// A translated request.
#[derive(Debug, Clone, PartialEq)]
pub struct GeminiRequest {
    /// The body; the model and the stream flag go in the URL
    /// (`models/{model}:generateContent` or `:streamGenerateContent?alt=sse`).
    pub body: GenerateContentRequest,
    /// OpenAI parameters Gemini has no equivalent for, sorted. With LiteLLM's
    /// `drop_params` off, the caller refuses the request when this is not
    /// empty; with it on, they are silently ignored.
    pub dropped: Vec<String>,
}

/// OpenAI parameters from `rest` that map onto `generationConfig`.
const MAPPED_EXTRA_PARAMS: [&str; 4] = ["seed", "presence_penalty", "frequency_penalty", "top_k"];

/// Translates an OpenAI chat request for a Gemini upstream.
///
/// System and developer messages, wherever they are, become
/// `systemInstruction`. Consecutive messages that land in the same Gemini
/// role are merged into one turn (consecutive tool results become one user
/// turn, as Gemini expects all results of a model turn together), except that
/// tool results and ordinary user text stay separate turns. Empty turns are
/// left out: Gemini rejects contents without parts.
pub fn request_from_openai(request: &ChatRequest) -> Result<GeminiRequest, ApiError> {
    let mut turns = Turns::default();
    let mut system = Vec::new();
    let mut call_names: HashMap<&str, &str> = HashMap::new();
    for (index, message) in request.messages.iter().enumerate() {
        match message {
            Message::System { content, .. } | Message::Developer { content, .. } => {
                let text = content.text();
                if !text.is_empty() {
                    system.push(Part::text(text));
                }
            }
            Message::User { content, .. } => {
                turns.push("user", TurnKind::Message, user_parts(content, index)?);
            }
            Message::Assistant(assistant) => {
                let parts = model_parts(assistant, index)?;
                for call in assistant.tool_calls.iter().flatten() {
                    call_names.insert(&call.id, &call.function.name);
                }
                turns.push("model", TurnKind::Message, parts);
            }
            Message::Tool {
                content,
                tool_call_id,
                ..
            } => {
                let Some(name) = call_names.get(tool_call_id.as_str()) else {
                    return Err(invalid(
                        format!(
                            "messages[{index}]: tool_call_id '{tool_call_id}' matches no tool call of an earlier assistant message"
                        ),
                        format!("messages[{index}].tool_call_id"),
                    ));
                };
                turns.push(
                    "user",
                    TurnKind::ToolResults,
                    vec![tool_result(name, content)],
                );
            }
        }
    }
    let body = GenerateContentRequest {
        contents: turns.contents,
        system_instruction: (!system.is_empty()).then_some(Content {
            role: None,
            parts: system,
        }),
        tools: tools(request)?,
        tool_config: tool_config(request.tool_choice.as_ref())?,
        generation_config: generation_config(request)?,
        ..GenerateContentRequest::default()
    };
    Ok(GeminiRequest {
        body,
        dropped: dropped_params(request),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TurnKind {
    Message,
    ToolResults,
}

/// Gemini turns under construction.
#[derive(Default)]
struct Turns {
    contents: Vec<Content>,
    last_kind: Option<TurnKind>,
}

impl Turns {
    fn push(&mut self, role: &str, kind: TurnKind, parts: Vec<Part>) {
        if parts.is_empty() {
            return;
        }
        if let Some(last) = self.contents.last_mut()
            && last.role.as_deref() == Some(role)
            && self.last_kind == Some(kind)
        {
            last.parts.extend(parts);
            return;
        }
        self.contents.push(Content {
            role: Some(role.to_owned()),
            parts,
        });
        self.last_kind = Some(kind);
    }
}

fn invalid(message: String, param: String) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message).with_param(param)
}

fn user_parts(content: &OpenAiContent, index: usize) -> Result<Vec<Part>, ApiError> {
    let parts = match content {
        OpenAiContent::Text(text) => return Ok(text_part(text).into_iter().collect()),
        OpenAiContent::Parts(parts) => parts,
    };
    let mut out = Vec::with_capacity(parts.len());
    for (part_index, part) in parts.iter().enumerate() {
        let param = || format!("messages[{index}].content[{part_index}]");
        let converted = match part {
            ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text, .. } => {
                text_part(text)
            }
            ContentPart::ImageUrl { image_url, .. } => Some(url_part(&image_url.url, param)?),
            ContentPart::InputAudio { input_audio, .. } => Some(audio_part(input_audio, param)?),
            ContentPart::File { file, .. } => Some(file_part(file, param)?),
        };
        out.extend(converted);
    }
    Ok(out)
}

/// A text part, or nothing for empty text (Gemini rejects empty text parts).
fn text_part(text: &str) -> Option<Part> {
    (!text.is_empty()).then(|| Part::text(text))
}

/// An image (or other media) URL: data URLs become `inlineData`, anything
/// else `fileData` with the MIME type guessed from the extension, `image/jpeg`
/// when there is none (the URL came from an `image_url` part).
fn url_part(url: &str, param: impl Fn() -> String) -> Result<Part, ApiError> {
    if let Some(parsed) = parse_data_url(url) {
        let data_url =
            parsed.map_err(|reason| invalid(format!("{}: {reason}", param()), param()))?;
        return Ok(inline_part(data_url.mime_type, data_url.data));
    }
    Ok(Part {
        file_data: Some(FileData {
            mime_type: Some(guess_mime_type(url).unwrap_or("image/jpeg").to_owned()),
            file_uri: url.to_owned(),
        }),
        ..Part::default()
    })
}

fn inline_part(mime_type: &str, data: &str) -> Part {
    Part {
        inline_data: Some(Blob {
            mime_type: mime_type.to_owned(),
            data: data.to_owned(),
        }),
        ..Part::default()
    }
}

/// `{"type": "input_audio", "input_audio": {"data": <base64>, "format": "wav"}}`.
fn audio_part(audio: &Value, param: impl Fn() -> String) -> Result<Part, ApiError> {
    let data = audio.get("data").and_then(Value::as_str);
    let format = audio.get("format").and_then(Value::as_str);
    match (data, format) {
        (Some(data), Some(format)) => Ok(inline_part(&audio_mime_type(format), data)),
        _ => Err(invalid(
            format!("{}: input_audio needs `data` and `format`", param()),
            param(),
        )),
    }
}

/// `{"type": "file", "file": {"file_data" | "file_id", "filename"?, "format"?}}`:
/// inline data as `inlineData`, a file id (a Gemini File API or `gs://` URI
/// when the client targets Gemini) as `fileData`.
fn file_part(file: &Value, param: impl Fn() -> String) -> Result<Part, ApiError> {
    if let Some(data) = file.get("file_data").and_then(Value::as_str) {
        return url_part(data, param);
    }
    let Some(uri) = file.get("file_id").and_then(Value::as_str) else {
        return Err(invalid(
            format!("{}: file needs `file_data` or `file_id`", param()),
            param(),
        ));
    };
    let mime_type = file
        .get("format")
        .and_then(Value::as_str)
        .or_else(|| {
            let name = file.get("filename").and_then(Value::as_str).unwrap_or(uri);
            guess_mime_type(name)
        })
        .map(str::to_owned);
    Ok(Part {
        file_data: Some(FileData {
            mime_type,
            file_uri: uri.to_owned(),
        }),
        ..Part::default()
    })
}

/// The parts of an assistant message: its text, then its tool calls. The
/// reasoning text of earlier turns is not sent back: Gemini does not take
/// thought summaries as input (the signatures are what it needs).
fn model_parts(message: &AssistantMessage, index: usize) -> Result<Vec<Part>, ApiError> {
    let mut parts: Vec<Part> = message
        .content
        .as_ref()
        .and_then(|content| text_part(&content.text()))
        .into_iter()
        .collect();
    for (call_index, call) in message.tool_calls.iter().flatten().enumerate() {
        let param = format!("messages[{index}].tool_calls[{call_index}].function.arguments");
        let args = parse_arguments(&call.function.arguments)
            .map_err(|reason| invalid(format!("{param} {reason}"), param))?;
        parts.push(Part {
            function_call: Some(FunctionCall {
                id: None,
                name: call.function.name.clone(),
                args: Some(args),
            }),
            thought_signature: thought_signature_of(&call.id).map(str::to_owned),
            ..Part::default()
        });
    }
    Ok(parts)
}

/// Tool call arguments as the JSON object Gemini wants; an empty string (some
/// clients send it for functions without parameters) is `{}`.
fn parse_arguments(arguments: &str) -> Result<Value, String> {
    if arguments.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("must be a JSON object".to_owned()),
        Err(error) => Err(format!("is not valid JSON: {error}")),
    }
}

/// A tool message as a `functionResponse`: `response` must be an object, so
/// the result goes under `content`, parsed when it is JSON.
fn tool_result(name: &str, content: &OpenAiContent) -> Part {
    let text = content.text();
    let value = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    Part {
        function_response: Some(FunctionResponse {
            id: None,
            name: name.to_owned(),
            response: json!({ "content": value }),
        }),
        ..Part::default()
    }
}

fn tools(request: &ChatRequest) -> Result<Option<Vec<Tool>>, ApiError> {
    let Some(tools) = request.tools.as_ref().filter(|tools| !tools.is_empty()) else {
        return Ok(None);
    };
    let mut declarations = Vec::with_capacity(tools.len());
    for (index, tool) in tools.iter().enumerate() {
        if tool.r#type != "function" {
            return Err(invalid(
                format!(
                    "tools[{index}]: tool type '{}' is not supported by Gemini",
                    tool.r#type
                ),
                format!("tools[{index}].type"),
            ));
        }
        let function = &tool.function;
        declarations.push(FunctionDeclaration {
            name: function.name.clone(),
            description: function.description.clone(),
            parameters: function.parameters.as_ref().and_then(parameters_for_gemini),
            ..FunctionDeclaration::default()
        });
    }
    Ok(Some(vec![Tool {
        function_declarations: Some(declarations),
        rest: Map::new(),
    }]))
}

fn tool_config(choice: Option<&ToolChoice>) -> Result<Option<ToolConfig>, ApiError> {
    let Some(choice) = choice else {
        return Ok(None);
    };
    let (mode, allowed) = match choice {
        ToolChoice::Mode(mode) => match mode.as_str() {
            "none" => ("NONE", None),
            "auto" => ("AUTO", None),
            "required" => ("ANY", None),
            other => {
                return Err(invalid(
                    format!("tool_choice '{other}' is not one of none, auto, required"),
                    "tool_choice".to_owned(),
                ));
            }
        },
        ToolChoice::Named(named) => ("ANY", Some(vec![named.function.name.clone()])),
    };
    Ok(Some(ToolConfig {
        function_calling_config: Some(FunctionCallingConfig {
            mode: Some(mode.to_owned()),
            allowed_function_names: allowed,
        }),
        rest: Map::new(),
    }))
}

fn generation_config(request: &ChatRequest) -> Result<Option<GenerationConfig>, ApiError> {
    let (response_mime_type, response_json_schema) =
        response_format(request.response_format.as_ref())?;
    let config = GenerationConfig {
        stop_sequences: request.stop.clone().map(|stop| stop.into_vec()),
        response_mime_type,
        response_json_schema,
        candidate_count: request.n,
        max_output_tokens: request.max_completion_tokens.or(request.max_tokens),
        temperature: request.temperature,
        top_p: request.top_p,
        top_k: extra_param(request, "top_k", |v| {
            v.as_u64().and_then(|n| u32::try_from(n).ok())
        })?,
        seed: extra_param(request, "seed", Value::as_i64)?,
        presence_penalty: extra_param(request, "presence_penalty", Value::as_f64)?,
        frequency_penalty: extra_param(request, "frequency_penalty", Value::as_f64)?,
        thinking_config: request
            .reasoning_effort
            .as_deref()
            .map(thinking_config)
            .transpose()?,
        ..GenerationConfig::default()
    };
    Ok((config != GenerationConfig::default()).then_some(config))
}

/// An untyped OpenAI parameter Gemini also has; `null` reads as absent.
fn extra_param<T>(
    request: &ChatRequest,
    name: &str,
    read: impl Fn(&Value) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match request.rest.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => read(value).map(Some).ok_or_else(|| {
            invalid(
                format!("{name} has the wrong type: {value}"),
                name.to_owned(),
            )
        }),
    }
}

/// `response_format` → (`responseMimeType`, `responseJsonSchema`).
/// `responseJsonSchema` takes plain JSON Schema, so the schema is passed as
/// given (unlike `responseSchema`, Google's OpenAPI subset).
fn response_format(
    format: Option<&ResponseFormat>,
) -> Result<(Option<String>, Option<Value>), ApiError> {
    let Some(format) = format else {
        return Ok((None, None));
    };
    let json = Some("application/json".to_owned());
    match format.r#type.as_str() {
        "text" => Ok((None, None)),
        "json_object" => Ok((json, None)),
        "json_schema" => {
            let schema = format.json_schema.as_ref().and_then(|s| s.schema.clone());
            Ok((json, schema))
        }
        other => Err(invalid(
            format!("response_format type '{other}' is not one of text, json_object, json_schema"),
            "response_format.type".to_owned(),
        )),
    }
}

/// `reasoning_effort` → `thinkingConfig`, with LiteLLM's budgets (low 1024,
/// medium 8192, high 24576). `minimal` is 128, the smallest budget Gemini
/// Pro accepts; `none` turns thinking off (budget 0, which Pro models
/// refuse: the upstream then says so).
fn thinking_config(effort: &str) -> Result<ThinkingConfig, ApiError> {
    let budget = match effort {
        "none" => {
            return Ok(ThinkingConfig {
                thinking_budget: Some(0),
                ..ThinkingConfig::default()
            });
        }
        "minimal" => 128,
        "low" => 1024,
        "medium" => 8192,
        "high" => 24576,
        other => {
            return Err(invalid(
                format!(
                    "reasoning_effort '{other}' is not one of none, minimal, low, medium, high"
                ),
                "reasoning_effort".to_owned(),
            ));
        }
    };
    Ok(ThinkingConfig {
        thinking_budget: Some(budget),
        include_thoughts: Some(true),
        ..ThinkingConfig::default()
    })
}

/// Parameters that have no Gemini equivalent (a `null` one is as good as
/// absent and not counted). `parallel_tool_calls: true` is
/// what Gemini does anyway, so only `false` counts as dropped; `stream` and
/// `stream_options` select the endpoint (Gemini always reports usage).
fn dropped_params(request: &ChatRequest) -> Vec<String> {
    let mut dropped: Vec<String> = request
        .rest
        .iter()
        .filter(|(key, value)| !value.is_null() && !MAPPED_EXTRA_PARAMS.contains(&key.as_str()))
        .map(|(key, _)| key.clone())
        .collect();
    if request.user.is_some() {
        dropped.push("user".to_owned());
    }
    if request.parallel_tool_calls == Some(false) {
        dropped.push("parallel_tool_calls".to_owned());
    }
    dropped.sort();
    dropped
}
