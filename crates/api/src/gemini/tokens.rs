//! `:countTokens` for Gemini clients whose model is not served by Gemini.

use super::types::{Content, CountTokensRequest, Part};

/// An **estimate** of the prompt tokens of a `countTokens` request, for
/// upstreams without a token counting endpoint: a quarter of the characters
/// (OpenAI's rule of thumb for English), rounded up.
///
/// Counted: text parts, function call names and arguments, function result
/// names and bodies (as JSON text), the system instruction and the function
/// declarations of a nested `generateContentRequest`. Media parts count
/// nothing, since their token cost depends on the model, not on their size
/// in bytes.
pub fn count_tokens_estimate(request: &CountTokensRequest) -> u64 {
    let mut chars = contents_chars(&request.contents);
    if let Some(inner) = &request.generate_content_request {
        chars += contents_chars(&inner.contents);
        chars += inner
            .system_instruction
            .as_ref()
            .map_or(0, |system| parts_chars(&system.parts));
        for tool in inner.tools.iter().flatten() {
            for declaration in tool.function_declarations.iter().flatten() {
                chars += char_count(&declaration.name);
                chars += declaration.description.as_deref().map_or(0, char_count);
                chars += declaration.parameters.as_ref().map_or(0, json_chars);
                chars += declaration
                    .parameters_json_schema
                    .as_ref()
                    .map_or(0, json_chars);
            }
        }
    }
    chars.div_ceil(4)
}

fn contents_chars(contents: &[Content]) -> u64 {
    contents
        .iter()
        .map(|content| parts_chars(&content.parts))
        .sum()
}

fn parts_chars(parts: &[Part]) -> u64 {
    parts.iter().map(part_chars).sum()
}

fn part_chars(part: &Part) -> u64 {
    let mut chars = part.text.as_deref().map_or(0, char_count);
    if let Some(call) = &part.function_call {
        chars += char_count(&call.name) + call.args.as_ref().map_or(0, json_chars);
    }
    if let Some(result) = &part.function_response {
        chars += char_count(&result.name) + json_chars(&result.response);
    }
    chars
}

fn char_count(text: &str) -> u64 {
    u64::try_from(text.chars().count()).unwrap_or(u64::MAX)
}

fn json_chars(value: &serde_json::Value) -> u64 {
    char_count(&value.to_string())
}
