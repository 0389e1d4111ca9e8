//! `POST /v1/responses`: OpenAI's Responses API (also on Azure as
//! `/openai/responses?api-version=...`, with the deployment as the body's `model`).
//!
//! The answer is the shared deterministic one ([`crate::answer`]): a message echoing the last
//! user turn, function calls when function tools are offered and the input does not end with
//! their output, a reasoning item (summary text) when `reasoning.summary` asks for one.
//! Streams are the real API's event sequence (`response.created` ... `response.completed`),
//! each event named by its type and numbered by `sequence_number`; their rendering is in
//! `responses_render` (events) and `responses_object` (the Response object).

use axum::extract::Request;
use axum::response::Response;
use http::request::Parts;
use serde::Deserialize;
use serde_json::Value;

use std::borrow::Cow;

use super::{Content, parse_body, responses_render};
use crate::answer::{Conversation, Function, ToolChoice};
use crate::app::{S, Shared};
use crate::auth::Auth;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::pipeline::{Answer, Endpoint, RenderCtx, Rendered, has_api_version, inference};

pub(crate) async fn responses(axum::extract::State(shared): S, req: Request) -> Response {
    serve(&shared, false, req).await
}

pub(crate) async fn azure_responses(axum::extract::State(shared): S, req: Request) -> Response {
    serve(&shared, true, req).await
}

async fn serve(shared: &Shared, azure: bool, req: Request) -> Response {
    inference(shared, Responses { azure }, req).await
}

/// The Responses endpoint, direct or on Azure.
struct Responses {
    azure: bool,
}

impl Endpoint for Responses {
    type Request<'a> = ResponsesRequest<'a>;

    fn dialect(&self) -> Dialect {
        Dialect::OpenAiResponses
    }

    fn auth(&self) -> Auth {
        if self.azure {
            Auth::AzureApiKey
        } else {
            Auth::Bearer
        }
    }

    fn precheck(&self, parts: &Parts) -> Result<(), ApiError> {
        if self.azure && !has_api_version(parts.uri.query()) {
            return Err(ApiError::invalid_param(
                "api-version",
                "Missing required query parameter 'api-version'.",
            ));
        }
        Ok(())
    }

    fn parse<'a>(&'a self, body: &'a [u8]) -> Result<ResponsesRequest<'a>, ApiError> {
        let raw: RawRequest<'a> = parse_body(body)?;
        let model = raw.model.ok_or_else(|| ApiError::missing("model"))?;
        let input = raw.input.ok_or_else(|| ApiError::missing("input"))?;
        // Nothing is stored, so there is nothing to continue from.
        if let Some(id) = raw.previous_response_id {
            return Err(ApiError::invalid_param(
                "previous_response_id",
                format!("Previous response with id '{id}' not found."),
            ));
        }
        Ok(ResponsesRequest {
            model,
            input,
            instructions: raw.instructions,
            tools: raw.tools,
            tool_choice: raw.tool_choice,
            parallel_tool_calls: raw.parallel_tool_calls,
            max_output_tokens: raw.max_output_tokens,
            reasoning: raw.reasoning,
            stream: raw.stream.unwrap_or(false),
            store: raw.store.unwrap_or(true),
            temperature: raw.temperature,
            top_p: raw.top_p,
        })
    }
}

#[derive(Deserialize)]
struct RawRequest<'a> {
    model: Option<String>,
    #[serde(borrow)]
    input: Option<Input<'a>>,
    instructions: Option<String>,
    #[serde(default)]
    tools: Vec<Value>,
    tool_choice: Option<Value>,
    parallel_tool_calls: Option<bool>,
    max_output_tokens: Option<u64>,
    reasoning: Option<Reasoning>,
    stream: Option<bool>,
    store: Option<bool>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    previous_response_id: Option<String>,
}

/// `input`: one user message as a string, or items.
#[derive(Deserialize)]
#[serde(untagged)]
enum Input<'a> {
    #[serde(borrow)]
    Text(Cow<'a, str>),
    #[serde(borrow)]
    Items(Vec<Item<'a>>),
}

/// An input item; the mock reads messages' text and function outputs.
#[derive(Deserialize)]
struct Item<'a> {
    /// Absent on shorthand messages.
    #[serde(borrow, rename = "type", default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    role: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    content: Option<Content<'a>>,
    /// A `function_call_output`'s result.
    #[serde(borrow, default)]
    output: Option<Content<'a>>,
}

#[derive(Deserialize, serde::Serialize)]
pub(super) struct Reasoning {
    #[serde(default)]
    pub(super) effort: Option<String>,
    #[serde(default)]
    pub(super) summary: Option<String>,
}

/// A validated Responses request.
pub(crate) struct ResponsesRequest<'a> {
    pub(super) model: String,
    input: Input<'a>,
    pub(super) instructions: Option<String>,
    /// As sent: the response echoes them.
    pub(super) tools: Vec<Value>,
    pub(super) tool_choice: Option<Value>,
    pub(super) parallel_tool_calls: Option<bool>,
    pub(super) max_output_tokens: Option<u64>,
    pub(super) reasoning: Option<Reasoning>,
    pub(super) stream: bool,
    pub(super) store: bool,
    pub(super) temperature: Option<f64>,
    pub(super) top_p: Option<f64>,
}

impl ResponsesRequest<'_> {
    fn conversation(&self) -> Conversation<'_> {
        let mut prompt_chars = self
            .instructions
            .as_deref()
            .map_or(0, |i| i.chars().count());
        let (last_user, tool_result) = match &self.input {
            Input::Text(text) => {
                prompt_chars += text.chars().count();
                (Some(Cow::Borrowed(text.as_ref())), None)
            }
            Input::Items(items) => {
                let mut last_user = None;
                for item in items {
                    for content in [&item.content, &item.output].into_iter().flatten() {
                        prompt_chars += content.char_count();
                        if item.role.as_deref() == Some("user") {
                            last_user = Some(content.joined());
                        }
                    }
                }
                let tool_result = items
                    .last()
                    .filter(|i| i.kind.as_deref() == Some("function_call_output"))
                    .and_then(|i| i.output.as_ref())
                    .map(Content::joined);
                (last_user, tool_result)
            }
        };
        let functions = self
            .tools
            .iter()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("function"))
            .filter_map(|t| {
                Some(Function {
                    name: t.get("name")?.as_str()?,
                    parameters: t.get("parameters"),
                })
            })
            .collect();
        let choice = match &self.tool_choice {
            Some(Value::String(mode)) if mode == "none" => ToolChoice::None,
            Some(Value::String(mode)) if mode == "required" => ToolChoice::Any,
            Some(choice) => match (choice.get("type"), choice.get("name")) {
                (Some(kind), Some(Value::String(name))) if kind == "function" => {
                    ToolChoice::Named(name)
                }
                _ => ToolChoice::Auto,
            },
            None => ToolChoice::Auto,
        };
        Conversation {
            last_user,
            tool_result,
            functions,
            choice,
            parallel_allowed: self.parallel_tool_calls != Some(false),
            prompt_chars,
            max_tokens: self.max_output_tokens,
            thinking: self.reasoning.as_ref().is_some_and(|r| r.summary.is_some()),
        }
    }
}

impl Answer for ResponsesRequest<'_> {
    fn directive(&self) -> Knobs {
        Knobs::from_text(self.conversation().last_user.as_deref())
    }

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        responses_render::render(self, &self.conversation(), ctx)
    }
}
