//! OpenAI request parameters → Anthropic's: tools, tool choice,
//! `response_format`, reasoning and limits (LiteLLM's mappings).

use serde_json::{Map, Value};

use super::super::types::{CustomTool, SystemBlock, ThinkingConfig, ToolChoice, ToolDefinition};
use super::super::{
    BUDGET_HIGH, BUDGET_LOW, BUDGET_MEDIUM, JSON_TOOL_NAME, empty_object_schema, invalid,
};
use super::request::text_block;
use crate::error::ApiError;
use crate::openai::chat::{ChatRequest, ResponseFormat, Tool, ToolChoice as OpenAiToolChoice};

/// Fields of `rest` that have an Anthropic meaning: LiteLLM accepts
/// Anthropic's own `thinking` and `top_k` on its OpenAI endpoint.
pub(super) const REST_THINKING: &str = "thinking";
pub(super) const REST_TOP_K: &str = "top_k";

pub(super) fn convert_tools(
    tools: Option<&[Tool]>,
) -> Result<Option<Vec<ToolDefinition>>, ApiError> {
    let Some(tools) = tools else {
        return Ok(None);
    };
    let converted = tools
        .iter()
        .enumerate()
        .map(|(index, tool)| {
            if tool.r#type != "function" {
                return Err(invalid(
                    format!("tools[{index}].type"),
                    format!(
                        "tools[{index}]: tool type `{}` is not supported",
                        tool.r#type
                    ),
                ));
            }
            Ok(ToolDefinition::Custom(CustomTool {
                r#type: None,
                name: tool.function.name.clone(),
                description: tool.function.description.clone(),
                input_schema: tool
                    .function
                    .parameters
                    .clone()
                    .unwrap_or_else(empty_object_schema),
                cache_control: tool.cache_control.clone(),
                rest: Map::new(),
            }))
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(converted))
}

/// `tool_choice` plus `parallel_tool_calls: false`, which Anthropic expresses
/// as `disable_parallel_tool_use` on the tool choice.
pub(super) fn convert_tool_choice(request: &ChatRequest) -> Result<Option<ToolChoice>, ApiError> {
    let disable = (request.parallel_tool_calls == Some(false)).then_some(true);
    let choice = match &request.tool_choice {
        None if disable.is_some() && request.tools.is_some() => ToolChoice::Auto {
            disable_parallel_tool_use: disable,
        },
        None => return Ok(None),
        Some(OpenAiToolChoice::Named(named)) => ToolChoice::Tool {
            name: named.function.name.clone(),
            disable_parallel_tool_use: disable,
        },
        Some(OpenAiToolChoice::Mode(mode)) => match mode.as_str() {
            "none" => ToolChoice::None,
            "auto" => ToolChoice::Auto {
                disable_parallel_tool_use: disable,
            },
            "required" => ToolChoice::Any {
                disable_parallel_tool_use: disable,
            },
            other => {
                return Err(invalid(
                    "tool_choice",
                    format!("tool_choice `{other}` is not one of none, auto, required"),
                ));
            }
        },
    };
    Ok(Some(choice))
}

/// `json_schema`: a tool named [`JSON_TOOL_NAME`] with the schema as input,
/// forced unless the client has tools of its own (forcing it would forbid
/// them). `json_object`: an instruction, as Anthropic has no JSON mode.
pub(super) fn apply_response_format(
    format: &ResponseFormat,
    system: &mut Vec<SystemBlock>,
    tools: &mut Option<Vec<ToolDefinition>>,
    tool_choice: &mut Option<ToolChoice>,
) -> Result<(), ApiError> {
    match format.r#type.as_str() {
        "text" => {}
        "json_object" => system.push(text_block(
            "Respond only with a single valid JSON object, without any text around it.",
            None,
        )),
        "json_schema" => {
            let schema = format.json_schema.as_ref();
            let tool = ToolDefinition::Custom(CustomTool {
                r#type: None,
                name: JSON_TOOL_NAME.to_owned(),
                description: schema.and_then(|s| s.description.clone()),
                input_schema: schema
                    .and_then(|s| s.schema.clone())
                    .unwrap_or_else(empty_object_schema),
                cache_control: None,
                rest: Map::new(),
            });
            let list = tools.get_or_insert_with(Vec::new);
            if list.is_empty() {
                *tool_choice = Some(ToolChoice::Tool {
                    name: JSON_TOOL_NAME.to_owned(),
                    disable_parallel_tool_use: None,
                });
            }
            list.push(tool);
        }
        other => {
            return Err(invalid(
                "response_format.type",
                format!("response_format.type `{other}` is not supported"),
            ));
        }
    }
    Ok(())
}

/// Anthropic's own `thinking` (in `rest`) wins over `reasoning_effort`.
pub(super) fn thinking(request: &ChatRequest) -> Result<Option<ThinkingConfig>, ApiError> {
    if let Some(value) = request.rest.get(REST_THINKING) {
        return serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|error| invalid(REST_THINKING, format!("invalid thinking: {error}")));
    }
    let budget_tokens = match request.reasoning_effort.as_deref() {
        None | Some("none") => return Ok(None),
        Some("minimal" | "low") => BUDGET_LOW,
        Some("medium") => BUDGET_MEDIUM,
        Some("high") => BUDGET_HIGH,
        Some(other) => {
            return Err(invalid(
                "reasoning_effort",
                format!("reasoning_effort `{other}` is not one of minimal, low, medium, high"),
            ));
        }
    };
    Ok(Some(ThinkingConfig::Enabled { budget_tokens }))
}

/// The client's limit, else the default. Anthropic requires `max_tokens` to
/// exceed the thinking budget, so a default (never a client's own limit)
/// grows to leave the default room after the budget.
pub(super) fn max_tokens(
    request: &ChatRequest,
    thinking: Option<&ThinkingConfig>,
    default: u64,
) -> u64 {
    if let Some(limit) = request.max_completion_tokens.or(request.max_tokens) {
        return limit;
    }
    match thinking {
        Some(ThinkingConfig::Enabled { budget_tokens }) if *budget_tokens >= default => {
            budget_tokens + default
        }
        _ => default,
    }
}

pub(super) fn top_k(rest: &Map<String, Value>) -> Result<Option<u64>, ApiError> {
    match rest.get(REST_TOP_K) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(REST_TOP_K, "top_k must be a non-negative integer")),
    }
}
