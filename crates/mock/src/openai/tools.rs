//! Tool calling: when the mock calls a tool, which one, and with what arguments.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::chat::ChatRequest;
use crate::text::splitmix64;

/// A tool offered in the request. Non-function tools (no `function`) are never called.
#[derive(Deserialize)]
pub(crate) struct Tool<'a> {
    #[serde(borrow, default)]
    function: Option<FunctionDef<'a>>,
}

#[derive(Deserialize)]
struct FunctionDef<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default)]
    parameters: Option<Value>,
}

/// A call the mock makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolCall<'r> {
    pub(crate) id: String,
    pub(crate) name: &'r str,
    /// A JSON object, as a string (the wire format carries arguments as a string).
    pub(crate) arguments: String,
}

/// The calls to make, or `None` to answer with text.
///
/// Tools are called when the request offers function tools, `tool_choice` is not `"none"`, and
/// the last message is the user's (after a tool result the mock answers in text, which ends a
/// tool loop). A `tool_choice` naming a function calls that one; otherwise the first tool, or
/// the first two when `parallel` was asked for and `parallel_tool_calls` is not false.
pub(crate) fn plan<'r>(
    req: &'r ChatRequest<'_>,
    hash: u64,
    parallel: bool,
) -> Option<Vec<ToolCall<'r>>> {
    let functions: Vec<&FunctionDef<'_>> = req
        .tools
        .iter()
        .filter_map(|t| t.function.as_ref())
        .collect();
    if functions.is_empty() {
        return None;
    }
    if req.tool_choice.as_ref().and_then(Value::as_str) == Some("none") {
        return None;
    }
    if req.messages.last().is_none_or(|m| m.role != "user") {
        return None;
    }
    let call = |index: u64, name: &'r str, parameters: Option<&Value>| {
        let mut seed = hash ^ index;
        ToolCall {
            id: format!("call_{:016x}", splitmix64(&mut seed)),
            name,
            arguments: sample_arguments(parameters),
        }
    };
    let named = req
        .tool_choice
        .as_ref()
        .and_then(|c| c.get("function"))
        .and_then(|f| f.get("name"))
        .and_then(Value::as_str);
    if let Some(name) = named {
        let parameters = functions
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.parameters.as_ref());
        return Some(vec![call(0, name, parameters)]);
    }
    let count = if parallel && req.parallel_tool_calls != Some(false) {
        2
    } else {
        1
    };
    Some(
        functions
            .iter()
            .take(count)
            .zip(0..)
            .map(|(f, i)| call(i, &f.name, f.parameters.as_ref()))
            .collect(),
    )
}

/// Arguments built from a JSON schema: each property gets a fixed value of its type.
fn sample_arguments(parameters: Option<&Value>) -> String {
    let mut args = Map::new();
    if let Some(Value::Object(properties)) = parameters.and_then(|p| p.get("properties")) {
        for (name, schema) in properties {
            args.insert(name.clone(), sample_value(schema));
        }
    }
    Value::Object(args).to_string()
}

fn sample_value(schema: &Value) -> Value {
    // An enum's first member is the only value certain to validate.
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        // `["string", "null"]`: use the first non-null type.
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null"),
        _ => "null",
    };
    match kind {
        "string" => Value::from("mock"),
        "integer" | "number" => Value::from(1),
        "boolean" => Value::Bool(true),
        "array" => Value::Array(Vec::new()),
        "object" => Value::Object(Map::new()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_schema() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "hourly": {"type": ["boolean", "null"]},
                "tags": {"type": "array"},
                "opts": {"type": "object"}
            }
        });
        let args: Value = serde_json::from_str(&sample_arguments(Some(&schema))).unwrap();
        assert_eq!(
            args,
            serde_json::json!({"city": "mock", "days": 1, "unit": "celsius", "hourly": true, "tags": [], "opts": {}})
        );
        assert_eq!(sample_arguments(None), "{}");
    }
}
