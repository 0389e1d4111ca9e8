//! Tool calling on the chat path: when the mock calls a tool, and which one. Arguments come
//! from the shared [`crate::answer`] helpers.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::chat::ChatRequest;
pub(crate) use crate::answer::ToolCall;
use crate::answer::{self, Function};

/// A tool offered in the request. Non-function tools (no `function`) are never called.
/// Cohere's v2 tools have the same shape.
#[derive(Deserialize)]
pub(crate) struct Tool<'a> {
    #[serde(borrow, default)]
    function: Option<FunctionDef<'a>>,
}

impl Tool<'_> {
    pub(crate) fn function(&self) -> Option<Function<'_>> {
        self.function.as_ref().map(|f| Function {
            name: &f.name,
            parameters: f.parameters.as_ref(),
        })
    }
}

#[derive(Deserialize)]
struct FunctionDef<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default)]
    parameters: Option<Value>,
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
    let functions: Vec<Function<'r>> = req.tools.iter().filter_map(Tool::function).collect();
    if functions.is_empty() {
        return None;
    }
    if req.tool_choice.as_ref().and_then(Value::as_str) == Some("none") {
        return None;
    }
    if req.messages.last().is_none_or(|m| m.role != "user") {
        return None;
    }
    let named = req
        .tool_choice
        .as_ref()
        .and_then(|c| c.get("function"))
        .and_then(|f| f.get("name"))
        .and_then(Value::as_str);
    let parallel = parallel && req.parallel_tool_calls != Some(false);
    let id = |_: &str, n: u64| format!("call_{n:016x}");
    Some(answer::calls(&functions, named, parallel, hash, id))
}
