//! Gemini request types (`GenerateContentRequest` and its parts), typed only as far as the mock
//! reads them. Google's JSON parser takes both lowerCamelCase and snake_case field names, so
//! the fields that matter accept both.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::answer::{Conversation, Function, ToolChoice};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerateRequest {
    #[serde(default)]
    pub(super) contents: Vec<Content>,
    #[serde(default, alias = "system_instruction")]
    system_instruction: Option<Content>,
    #[serde(default)]
    tools: Vec<Tool>,
    #[serde(default, alias = "tool_config")]
    tool_config: Option<ToolConfig>,
    #[serde(default, alias = "generation_config")]
    generation_config: Option<GenerationConfig>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Content {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    pub(super) parts: Vec<Part>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Part {
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default, alias = "function_response")]
    function_response: Option<FunctionResponse>,
}

#[derive(Debug, Deserialize)]
struct FunctionResponse {
    #[serde(default)]
    response: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tool {
    #[serde(default, alias = "function_declarations")]
    function_declarations: Vec<FunctionDeclaration>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionDeclaration {
    name: String,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default, alias = "parameters_json_schema")]
    parameters_json_schema: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolConfig {
    #[serde(default, alias = "function_calling_config")]
    function_calling_config: Option<FunctionCallingConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionCallingConfig {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default, alias = "allowed_function_names")]
    allowed_function_names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    #[serde(default, alias = "max_output_tokens")]
    max_output_tokens: Option<u64>,
    #[serde(default, alias = "thinking_config")]
    thinking_config: Option<ThinkingConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThinkingConfig {
    #[serde(default, alias = "include_thoughts")]
    include_thoughts: bool,
}

impl Content {
    fn is_user(&self) -> bool {
        self.role.as_deref().is_none_or(|r| r == "user")
    }

    /// Text parts joined by spaces.
    fn text(&self) -> String {
        let texts: Vec<&str> = self
            .parts
            .iter()
            .filter_map(|p| p.text.as_deref())
            .collect();
        texts.join(" ")
    }

    /// The function responses of this turn, as JSON text; `None` when it has none.
    fn function_responses(&self) -> Option<String> {
        let responses: Vec<String> = self
            .parts
            .iter()
            .filter_map(|p| p.function_response.as_ref())
            .map(|r| r.response.to_string())
            .collect();
        (!responses.is_empty()).then(|| responses.join(" "))
    }

    /// Characters of the prompt text in this turn (text parts and function responses).
    fn chars(&self) -> usize {
        let text: usize = self
            .parts
            .iter()
            .filter_map(|p| p.text.as_deref())
            .map(|t| t.chars().count())
            .sum();
        text + self.function_responses().map_or(0, |r| r.chars().count())
    }
}

/// Prompt characters of a request's system instruction and contents.
pub(super) fn prompt_chars(system: Option<&Content>, contents: &[Content]) -> usize {
    system.into_iter().chain(contents).map(Content::chars).sum()
}

impl GenerateRequest {
    pub(super) fn conversation(&self) -> Conversation<'_> {
        let last_user = self.contents.iter().rev().find(|c| c.is_user());
        let tool_result = self
            .contents
            .last()
            .and_then(Content::function_responses)
            .map(Cow::Owned);
        let calling = self
            .tool_config
            .as_ref()
            .and_then(|c| c.function_calling_config.as_ref());
        let choice = match calling.map(|c| (c.mode.as_deref(), c.allowed_function_names.first())) {
            Some((Some("NONE"), _)) => ToolChoice::None,
            Some((Some("ANY"), Some(name))) => ToolChoice::Named(name),
            Some((Some("ANY"), None)) => ToolChoice::Any,
            _ => ToolChoice::Auto,
        };
        let generation = self.generation_config.as_ref();
        Conversation {
            last_user: last_user.map(|c| Cow::Owned(c.text())),
            tool_result,
            functions: self
                .tools
                .iter()
                .flat_map(|t| &t.function_declarations)
                .map(|f| Function {
                    name: &f.name,
                    parameters: f.parameters.as_ref().or(f.parameters_json_schema.as_ref()),
                })
                .collect(),
            choice,
            parallel_allowed: true,
            prompt_chars: prompt_chars(self.system_instruction.as_ref(), &self.contents),
            max_tokens: generation.and_then(|g| g.max_output_tokens),
            thinking: generation
                .and_then(|g| g.thinking_config.as_ref())
                .is_some_and(|t| t.include_thoughts),
        }
    }
}
