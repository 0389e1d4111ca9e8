//! Cohere's v2 API: `POST /v2/chat` (non-stream and named server-sent events), `/v2/embed` and
//! `/v2/rerank`, with `Authorization: Bearer` auth and `{"id","message"}` errors.

mod chat;
mod embed;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use serde_json::Value;

use crate::answer::{Conversation, ToolChoice};
use crate::app::{S, SharedRouter};
use crate::auth::Auth;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::openai::parse_body;
use crate::openai::tools::Tool;
use crate::pipeline::{Answer, Endpoint, RenderCtx, Rendered, inference};

pub(crate) fn routes() -> SharedRouter {
    Router::new()
        .route("/v2/chat", post(chat_handler))
        .route("/v2/embed", post(embed_handler))
        .route("/v2/rerank", post(rerank_handler))
}

async fn chat_handler(State(shared): S, req: Request) -> Response {
    inference(&shared, Cohere(Op::Chat), req).await
}

async fn embed_handler(State(shared): S, req: Request) -> Response {
    inference(&shared, Cohere(Op::Embed), req).await
}

async fn rerank_handler(State(shared): S, req: Request) -> Response {
    inference(&shared, Cohere(Op::Rerank), req).await
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Chat,
    Embed,
    Rerank,
}

struct Cohere(Op);

enum CohereRequest<'a> {
    Chat(ChatRequest<'a>),
    Embed(embed::Embed),
    Rerank(embed::Rerank),
}

impl Endpoint for Cohere {
    type Request<'a> = CohereRequest<'a>;

    fn dialect(&self) -> Dialect {
        Dialect::Cohere
    }

    fn auth(&self) -> Auth {
        Auth::CohereBearer
    }

    fn parse<'a>(&'a self, body: &'a [u8]) -> Result<CohereRequest<'a>, ApiError> {
        Ok(match self.0 {
            Op::Chat => CohereRequest::Chat(ChatRequest::parse(body)?),
            Op::Embed => CohereRequest::Embed(embed::Embed::parse(body)?),
            Op::Rerank => CohereRequest::Rerank(embed::Rerank::parse(body)?),
        })
    }
}

impl Answer for CohereRequest<'_> {
    fn directive(&self) -> Knobs {
        let text = match self {
            Self::Chat(r) => r.conversation().last_user.map(|t| t.into_owned()),
            Self::Embed(r) => r.last_text().map(str::to_owned),
            Self::Rerank(r) => Some(r.query().to_owned()),
        };
        Knobs::from_text(text.as_deref())
    }

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        match self {
            Self::Chat(r) => chat::render(r, ctx),
            Self::Embed(r) => r.render(ctx),
            Self::Rerank(r) => r.render(ctx),
        }
    }
}

/// "invalid request: ..." 400s, in Cohere's wording.
pub(crate) fn invalid(message: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::BAD_REQUEST,
        format!("invalid request: {message}"),
    )
}

#[derive(Deserialize)]
struct RawChat<'a> {
    model: Option<String>,
    messages: Option<Vec<Message>>,
    #[serde(borrow, default)]
    tools: Vec<Tool<'a>>,
    #[serde(default)]
    tool_choice: Option<String>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    thinking: Option<Thinking>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Option<Content>,
}

/// A string, or content parts (`text`, or `document` in tool results).
#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    document: Option<Value>,
}

#[derive(Deserialize)]
struct Thinking {
    #[serde(rename = "type")]
    kind: String,
}

/// A validated `/v2/chat` request.
pub(crate) struct ChatRequest<'a> {
    messages: Vec<Message>,
    tools: Vec<Tool<'a>>,
    tool_choice: Option<String>,
    stream: bool,
    max_tokens: Option<u64>,
    thinking: bool,
}

impl Message {
    fn text(&self) -> String {
        match &self.content {
            None => String::new(),
            Some(Content::Text(text)) => text.clone(),
            Some(Content::Parts(parts)) => {
                let texts: Vec<String> = parts
                    .iter()
                    .filter_map(|p| {
                        p.text
                            .clone()
                            .or_else(|| p.document.as_ref().map(Value::to_string))
                    })
                    .collect();
                texts.join(" ")
            }
        }
    }
}

impl<'a> ChatRequest<'a> {
    fn parse(body: &'a [u8]) -> Result<Self, ApiError> {
        let raw: RawChat<'a> = parse_body(body)?;
        if raw.model.is_none() {
            return Err(invalid("model is required"));
        }
        let messages = raw.messages.filter(|m| !m.is_empty());
        let messages = messages.ok_or_else(|| invalid("messages must not be empty"))?;
        Ok(Self {
            messages,
            tools: raw.tools,
            tool_choice: raw.tool_choice,
            stream: raw.stream,
            max_tokens: raw.max_tokens,
            thinking: raw.thinking.is_some_and(|t| t.kind == "enabled"),
        })
    }

    fn conversation(&self) -> Conversation<'_> {
        let last_user = self.messages.iter().rev().find(|m| m.role == "user");
        let results: Vec<String> = self
            .messages
            .iter()
            .rev()
            .take_while(|m| m.role == "tool")
            .map(Message::text)
            .collect();
        Conversation {
            last_user: last_user.map(|m| m.text().into()),
            tool_result: (!results.is_empty()).then(|| results.join(" ").into()),
            functions: self.tools.iter().filter_map(Tool::function).collect(),
            choice: match self.tool_choice.as_deref() {
                Some("NONE") => ToolChoice::None,
                Some("REQUIRED") => ToolChoice::Any,
                _ => ToolChoice::Auto,
            },
            parallel_allowed: true,
            prompt_chars: self.messages.iter().map(|m| m.text().chars().count()).sum(),
            max_tokens: self.max_tokens,
            thinking: self.thinking,
        }
    }
}
