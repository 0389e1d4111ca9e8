//! Anthropic's Messages API: `POST /v1/messages` and `POST /v1/messages/count_tokens`, also on
//! Vertex AI as `publishers/anthropic/models/{model}:rawPredict|streamRawPredict` (routed from
//! [`crate::gemini`]).
//!
//! Direct requests need the `anthropic-version` header (400 without it, as Anthropic does) and,
//! when a key is configured, `x-api-key`. On Vertex AI the model comes from the path, the body
//! carries `"anthropic_version": "vertex-2023-10-16"` instead of the header, and auth is a
//! Google bearer token.

mod render;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use serde_json::Value;

use crate::answer::{Conversation, Function, ToolChoice};
use crate::app::{S, SharedRouter};
use crate::auth::Auth;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::openai::parse_body;
use crate::pipeline::{Answer, Endpoint, RenderCtx, Rendered, inference};
use crate::text::fnv1a;

/// The only `anthropic_version` Vertex AI accepts in the body.
const VERTEX_VERSION: &str = "vertex-2023-10-16";

pub(crate) fn routes() -> SharedRouter {
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
}

async fn messages(State(shared): S, req: Request) -> Response {
    inference(&shared, Messages::direct(false), req).await
}

async fn count_tokens(State(shared): S, req: Request) -> Response {
    inference(&shared, Messages::direct(true), req).await
}

/// A Messages endpoint, direct or on Vertex AI.
pub(crate) struct Messages {
    /// Vertex AI: the model named in the path.
    vertex_model: Option<String>,
    /// `count_tokens` rather than a message.
    count: bool,
    /// `streamRawPredict`: a stream whatever the body says.
    force_stream: bool,
}

impl Messages {
    fn direct(count: bool) -> Self {
        Self {
            vertex_model: None,
            count,
            force_stream: false,
        }
    }

    /// Anthropic on Vertex AI. Vertex counts tokens at the model `count-tokens`.
    pub(crate) fn vertex(model: &str, stream: bool) -> Self {
        Self {
            count: model == "count-tokens",
            vertex_model: Some(model.to_owned()),
            force_stream: stream,
        }
    }
}

impl Endpoint for Messages {
    type Request<'a> = MessagesRequest;

    fn dialect(&self) -> Dialect {
        Dialect::Anthropic
    }

    fn auth(&self) -> Auth {
        if self.vertex_model.is_some() {
            Auth::GoogleToken
        } else {
            Auth::AnthropicKey
        }
    }

    fn auth_dialect(&self) -> Dialect {
        if self.vertex_model.is_some() {
            Dialect::Google
        } else {
            Dialect::Anthropic
        }
    }

    fn precheck(&self, parts: &Parts) -> Result<(), ApiError> {
        if self.vertex_model.is_none() && !parts.headers.contains_key("anthropic-version") {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "anthropic-version: header is required",
            ));
        }
        Ok(())
    }

    fn seed(&self) -> u64 {
        self.vertex_model
            .as_deref()
            .map_or(0, |m| fnv1a(m.as_bytes()))
    }

    fn parse<'a>(&'a self, body: &'a [u8]) -> Result<MessagesRequest, ApiError> {
        let raw: RawRequest = parse_body(body)?;
        let required = |field: &str| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("{field}: Field required"))
        };
        let model = match (&self.vertex_model, raw.model) {
            // Vertex counts tokens at `count-tokens` and names the model in the body.
            (Some(path), body_model) if !self.count => body_model.unwrap_or_else(|| path.clone()),
            (_, Some(model)) => model,
            (_, None) => return Err(required("model")),
        };
        if self.vertex_model.is_some() {
            match raw.anthropic_version.as_deref() {
                None => return Err(required("anthropic_version")),
                Some(VERTEX_VERSION) => {}
                Some(other) => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "anthropic_version: Input should be '{VERTEX_VERSION}', got '{other}'"
                        ),
                    ));
                }
            }
        }
        let messages = raw.messages.ok_or_else(|| required("messages"))?;
        if !self.count && raw.max_tokens.is_none() {
            return Err(required("max_tokens"));
        }
        Ok(MessagesRequest {
            model,
            count: self.count,
            stream: self.force_stream || raw.stream.unwrap_or(false),
            max_tokens: raw.max_tokens,
            messages,
            system: raw.system,
            tools: raw.tools,
            tool_choice: raw.tool_choice,
            thinking: raw.thinking.is_some_and(|t| t.kind == "enabled"),
        })
    }
}

#[derive(Deserialize)]
struct RawRequest {
    model: Option<String>,
    max_tokens: Option<u64>,
    messages: Option<Vec<Message>>,
    system: Option<Content>,
    #[serde(default)]
    tools: Vec<Tool>,
    tool_choice: Option<RawToolChoice>,
    thinking: Option<Thinking>,
    stream: Option<bool>,
    anthropic_version: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    content: Content,
}

/// Message (or system, or tool result) content: a string or content blocks.
#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

/// A content block; the mock reads text, and the content of tool results.
#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    content: Option<Content>,
}

#[derive(Deserialize)]
struct Tool {
    name: String,
    #[serde(default)]
    input_schema: Option<Value>,
    /// Absent (or `custom`) for client tools; server tools (`web_search_...`) are never called.
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct RawToolChoice {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    disable_parallel_tool_use: bool,
}

#[derive(Deserialize)]
struct Thinking {
    #[serde(rename = "type")]
    kind: String,
}

/// A validated Messages request.
pub(crate) struct MessagesRequest {
    model: String,
    count: bool,
    stream: bool,
    max_tokens: Option<u64>,
    messages: Vec<Message>,
    system: Option<Content>,
    tools: Vec<Tool>,
    tool_choice: Option<RawToolChoice>,
    thinking: bool,
}

impl Content {
    /// Text blocks and tool-result contents, in order.
    fn texts<'c>(&'c self, out: &mut Vec<&'c str>) {
        match self {
            Content::Text(text) => out.push(text),
            Content::Blocks(blocks) => {
                for block in blocks {
                    if let Some(text) = &block.text {
                        out.push(text);
                    }
                    if let Some(content) = &block.content {
                        content.texts(out);
                    }
                }
            }
        }
    }

    fn has_tool_result(&self) -> bool {
        matches!(self, Content::Blocks(b) if b.iter().any(|b| b.kind == "tool_result"))
    }
}

impl MessagesRequest {
    fn conversation(&self) -> Conversation<'_> {
        let mut prompt = Vec::new();
        if let Some(system) = &self.system {
            system.texts(&mut prompt);
        }
        for message in &self.messages {
            message.content.texts(&mut prompt);
        }
        let last_user = self.messages.iter().rev().find(|m| m.role == "user");
        let ends_with_results = self
            .messages
            .last()
            .is_some_and(|m| m.role == "user" && m.content.has_tool_result());
        let joined = |content: &Content| {
            let mut texts = Vec::new();
            content.texts(&mut texts);
            texts.join(" ")
        };
        let choice = self.tool_choice.as_ref();
        Conversation {
            last_user: last_user.map(|m| joined(&m.content).into()),
            tool_result: ends_with_results.then(|| {
                last_user
                    .map(|m| joined(&m.content))
                    .unwrap_or_default()
                    .into()
            }),
            functions: self
                .tools
                .iter()
                .filter(|t| t.kind.as_deref().is_none_or(|k| k == "custom"))
                .map(|t| Function {
                    name: &t.name,
                    parameters: t.input_schema.as_ref(),
                })
                .collect(),
            choice: match choice.map(|c| (c.kind.as_str(), c.name.as_deref())) {
                Some(("none", _)) => ToolChoice::None,
                Some(("any", _)) => ToolChoice::Any,
                Some(("tool", Some(name))) => ToolChoice::Named(name),
                _ => ToolChoice::Auto,
            },
            parallel_allowed: !choice.is_some_and(|c| c.disable_parallel_tool_use),
            prompt_chars: prompt.iter().map(|t| t.chars().count()).sum(),
            max_tokens: self.max_tokens,
            thinking: self.thinking,
        }
    }
}

impl Answer for MessagesRequest {
    fn directive(&self) -> Knobs {
        Knobs::from_text(self.conversation().last_user.as_deref())
    }

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let conversation = self.conversation();
        if self.count {
            return render::count(&conversation);
        }
        render::message(&self.model, self.stream, &conversation, ctx)
    }
}
