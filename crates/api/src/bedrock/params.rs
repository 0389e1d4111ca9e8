//! OpenAI request parameters → Converse's: limits, tools and tool choice,
//! `response_format`, reasoning, and the model-specific fields (LiteLLM's
//! Bedrock mappings).

use serde_json::{Map, Value, json};

use super::invalid;
use super::types::{
    ContentBlock, Empty, InferenceConfig, InputSchema, NamedTool, ToolChoice, ToolConfig,
    ToolEntry, ToolSpec,
};
use crate::anthropic::JSON_TOOL_NAME;
use crate::error::ApiError;
use crate::openai::chat::{ChatRequest, Stop, ToolChoice as OpenAiToolChoice};

/// Thinking budgets for `reasoning_effort` on Claude, LiteLLM's mapping
/// (the same as for Anthropic's own API; 1024 is Claude's minimum).
const BUDGET_LOW: u64 = 1024;
const BUDGET_MEDIUM: u64 = 2048;
const BUDGET_HIGH: u64 = 4096;

/// Client fields (in `rest`) that go to `additionalModelRequestFields`:
/// Claude's own `thinking` and `top_k`, accepted by LiteLLM too.
const REST_THINKING: &str = "thinking";
const REST_TOP_K: &str = "top_k";
/// Converse members a client may send as they are (LiteLLM passes them on).
const ADDITIONAL_FIELDS: &str = "additionalModelRequestFields";
const CONVERSE_MEMBERS: &[&str] = &[
    "guardrailConfig",
    "performanceConfig",
    "additionalModelResponseFieldPaths",
    "requestMetadata",
    "promptVariables",
];

/// Whether a client field in `rest` has a Converse meaning (else dropped).
pub(super) fn is_known_rest(key: &str) -> bool {
    key == REST_THINKING
        || key == REST_TOP_K
        || key == ADDITIONAL_FIELDS
        || CONVERSE_MEMBERS.contains(&key)
}

/// The Converse members the client sent as they are.
pub(super) fn passthrough_fields(rest: &Map<String, Value>) -> Map<String, Value> {
    rest.iter()
        .filter(|(key, _)| CONVERSE_MEMBERS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// Claude models are the ones whose thinking Bedrock exposes through
/// `additionalModelRequestFields.thinking`.
fn is_claude(model: &str) -> bool {
    model.contains("anthropic") || model.contains("claude")
}

/// `additionalModelRequestFields`, and the thinking budget when thinking is
/// on. The client's own `thinking` wins over `reasoning_effort`, which only
/// Claude understands here (for other models it is dropped).
pub(super) fn additional_fields(
    request: &ChatRequest,
    model: &str,
    dropped: &mut Vec<String>,
) -> Result<(Map<String, Value>, Option<u64>), ApiError> {
    let mut fields = match request.rest.get(ADDITIONAL_FIELDS) {
        None => Map::new(),
        Some(Value::Object(fields)) => fields.clone(),
        Some(_) => {
            return Err(invalid(
                ADDITIONAL_FIELDS,
                "additionalModelRequestFields must be an object",
            ));
        }
    };
    if let Some(top_k) = request.rest.get(REST_TOP_K) {
        fields.insert(REST_TOP_K.to_owned(), top_k.clone());
    }
    if let Some(thinking) = request.rest.get(REST_THINKING) {
        fields.insert(REST_THINKING.to_owned(), thinking.clone());
    }
    if !fields.contains_key(REST_THINKING)
        && let Some(effort) = request.reasoning_effort.as_deref()
    {
        let budget = match effort {
            "none" => None,
            "minimal" | "low" => Some(BUDGET_LOW),
            "medium" => Some(BUDGET_MEDIUM),
            "high" => Some(BUDGET_HIGH),
            other => {
                return Err(invalid(
                    "reasoning_effort",
                    format!("reasoning_effort `{other}` is not one of minimal, low, medium, high"),
                ));
            }
        };
        match budget {
            Some(budget) if is_claude(model) => {
                fields.insert(
                    REST_THINKING.to_owned(),
                    json!({"type": "enabled", "budget_tokens": budget}),
                );
            }
            Some(_) => dropped.push("reasoning_effort".to_owned()),
            None => {}
        }
    }
    let budget = fields
        .get(REST_THINKING)
        .filter(|t| t.get("type").and_then(Value::as_str) == Some("enabled"))
        .and_then(|t| t.get("budget_tokens"))
        .and_then(Value::as_u64);
    Ok((fields, budget))
}

/// `inferenceConfig`. With thinking and no client limit, `maxTokens` leaves
/// the default room after the budget (Claude requires more than the budget).
pub(super) fn inference_config(
    request: &ChatRequest,
    thinking_budget: Option<u64>,
    default_max_tokens: u64,
) -> InferenceConfig {
    let client_limit = request.max_completion_tokens.or(request.max_tokens);
    InferenceConfig {
        max_tokens: client_limit.or(thinking_budget.map(|budget| budget + default_max_tokens)),
        temperature: request.temperature,
        top_p: request.top_p,
        stop_sequences: request.stop.clone().map(Stop::into_vec),
    }
}

/// `toolConfig` from `tools`, `tool_choice` and a `response_format` that
/// needs the JSON tool. `tool_choice: "none"` and `parallel_tool_calls:
/// false` have no Converse equivalent and are dropped (LiteLLM refuses them
/// unless `drop_params`).
pub(super) fn tool_config(
    request: &ChatRequest,
    system: &mut Vec<ContentBlock>,
    dropped: &mut Vec<String>,
) -> Result<Option<ToolConfig>, ApiError> {
    let mut tools = Vec::new();
    for (index, tool) in request.tools.iter().flatten().enumerate() {
        if tool.r#type != "function" {
            return Err(invalid(
                format!("tools[{index}].type"),
                format!(
                    "tools[{index}]: tool type `{}` is not supported",
                    tool.r#type
                ),
            ));
        }
        tools.push(tool_entry(
            &tool.function.name,
            tool.function.description.clone(),
            tool.function.parameters.clone(),
        ));
        if tool.cache_control.is_some() {
            tools.push(ToolEntry {
                cache_point: Some(Default::default()),
                ..ToolEntry::default()
            });
        }
    }
    let mut choice = match &request.tool_choice {
        None => None,
        Some(OpenAiToolChoice::Named(named)) => Some(ToolChoice::Tool(NamedTool {
            name: named.function.name.clone(),
        })),
        Some(OpenAiToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => Some(ToolChoice::Auto(Empty {})),
            "required" => Some(ToolChoice::Any(Empty {})),
            "none" => {
                dropped.push("tool_choice".to_owned());
                None
            }
            other => {
                return Err(invalid(
                    "tool_choice",
                    format!("tool_choice `{other}` is not one of none, auto, required"),
                ));
            }
        },
    };
    if request.parallel_tool_calls == Some(false) {
        dropped.push("parallel_tool_calls".to_owned());
    }
    if let Some(format) = &request.response_format {
        match format.r#type.as_str() {
            "text" => {}
            // Converse has no JSON mode: an instruction, as LiteLLM does.
            "json_object" => system.push(ContentBlock::text(
                "Respond only with a single valid JSON object, without any text around it.",
            )),
            // The schema becomes a tool whose input is the answer, forced
            // unless the client has tools of its own (forcing it would
            // forbid them).
            "json_schema" => {
                let schema = format.json_schema.as_ref();
                if tools.is_empty() {
                    choice = Some(ToolChoice::Tool(NamedTool {
                        name: JSON_TOOL_NAME.to_owned(),
                    }));
                }
                tools.push(tool_entry(
                    JSON_TOOL_NAME,
                    schema.and_then(|s| s.description.clone()),
                    schema.and_then(|s| s.schema.clone()),
                ));
            }
            other => {
                return Err(invalid(
                    "response_format.type",
                    format!("response_format.type `{other}` is not supported"),
                ));
            }
        }
    }
    if tools.is_empty() {
        return Ok(None);
    }
    Ok(Some(ToolConfig {
        tools,
        tool_choice: choice,
    }))
}

fn tool_entry(name: &str, description: Option<String>, parameters: Option<Value>) -> ToolEntry {
    ToolEntry {
        tool_spec: Some(ToolSpec {
            name: name.to_owned(),
            description,
            input_schema: InputSchema {
                json: parameters.unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            },
        }),
        cache_point: None,
    }
}
