//! `POST /v1/chat/completions`: request parsing, the deterministic answer, and the
//! non-stream response. Streams are rendered in `chat_stream`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::azure;
use super::tools::{self, Tool, ToolCall};
use super::{
    ChatUsage, Content, RenderCtx, Rendered, StreamOptions, chat_stream, parse_body, resolve_model,
    truncate_to_max,
};
use crate::answer::echo;
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::text::{estimate_tokens, pad_to_chars, split_even};

/// OpenAI's upper bound for `n`.
const MAX_CHOICES: u32 = 128;

#[derive(Deserialize)]
struct RawRequest<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    messages: Option<Vec<Message<'a>>>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    n: Option<u32>,
    max_tokens: Option<u64>,
    max_completion_tokens: Option<u64>,
    #[serde(borrow)]
    tools: Option<Vec<Tool<'a>>>,
    tool_choice: Option<Value>,
    parallel_tool_calls: Option<bool>,
    #[serde(borrow)]
    response_format: Option<ResponseFormat<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct Message<'a> {
    #[serde(borrow)]
    pub(crate) role: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(crate) content: Option<Content<'a>>,
}

#[derive(Deserialize)]
struct ResponseFormat<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
}

/// A validated chat request.
pub(crate) struct ChatRequest<'a> {
    pub(crate) model: Cow<'a, str>,
    pub(crate) messages: Vec<Message<'a>>,
    pub(crate) stream: bool,
    pub(crate) include_usage: bool,
    pub(crate) n: u32,
    max_tokens: Option<u64>,
    pub(crate) tools: Vec<Tool<'a>>,
    pub(crate) tool_choice: Option<Value>,
    pub(crate) parallel_tool_calls: Option<bool>,
    json_mode: bool,
    /// Served on an Azure OpenAI deployment path: add Azure's content filter results.
    pub(crate) azure: bool,
}

/// What the assistant says: text, or calls to the request's tools.
pub(crate) enum Answer<'r> {
    Text {
        /// The full reply, already padded to at least `chunks` characters.
        text: String,
        max_tokens: Option<u64>,
    },
    Tools(Vec<ToolCall<'r>>),
}

impl<'a> ChatRequest<'a> {
    pub(crate) fn parse(body: &'a [u8], deployment: Option<&'a str>) -> Result<Self, ApiError> {
        let raw: RawRequest<'a> = parse_body(body)?;
        let model = resolve_model(raw.model, deployment)?;
        let messages = raw.messages.ok_or_else(|| ApiError::missing("messages"))?;
        let n = raw.n.unwrap_or(1);
        if !(1..=MAX_CHOICES).contains(&n) {
            return Err(ApiError::invalid_param(
                "n",
                format!("Invalid 'n': must be between 1 and {MAX_CHOICES}."),
            ));
        }
        Ok(Self {
            model,
            messages,
            stream: raw.stream.unwrap_or(false),
            include_usage: raw
                .stream_options
                .and_then(|o| o.include_usage)
                .unwrap_or(false),
            n,
            max_tokens: raw.max_completion_tokens.or(raw.max_tokens),
            tools: raw.tools.unwrap_or_default(),
            tool_choice: raw.tool_choice,
            parallel_tool_calls: raw.parallel_tool_calls,
            json_mode: raw
                .response_format
                .is_some_and(|f| f.kind == "json_object" || f.kind == "json_schema"),
            azure: deployment.is_some(),
        })
    }

    fn last_user(&self) -> Option<&Message<'a>> {
        self.messages.iter().rev().find(|m| m.role == "user")
    }

    /// The `[mock:...]` directive of the last user message.
    pub(crate) fn directive(&self) -> Knobs {
        self.last_user()
            .and_then(|m| m.content.as_ref())
            .map_or_else(Knobs::default, |c| {
                c.texts()
                    .map(Knobs::from_directive)
                    .fold(Knobs::default(), Knobs::or)
            })
    }

    pub(crate) fn prompt_tokens(&self) -> u64 {
        let chars = self
            .messages
            .iter()
            .filter_map(|m| m.content.as_ref())
            .map(Content::char_count)
            .sum();
        estimate_tokens(chars)
    }

    /// The deterministic answer: tool calls when the model is asked to use a tool, else text
    /// derived from the conversation's last turn.
    pub(crate) fn answer(&self, ctx: &RenderCtx) -> serde_json::Result<Answer<'_>> {
        if let Some(calls) = tools::plan(self, ctx.hash, ctx.parallel) {
            return Ok(Answer::Tools(calls));
        }
        // After a tool result, acknowledge it; otherwise echo the user's last message.
        let (prefix, source) = match self.messages.last() {
            Some(last) if last.role == "tool" => ("Tool result received: ", Some(last)),
            _ => ("Mock reply: ", self.last_user()),
        };
        let content = source.and_then(|m| m.content.as_ref());
        let mut text = echo(prefix, content.map(|c| c.joined()).as_deref());
        let text = if self.json_mode {
            json_reply(text, ctx.chunks)?
        } else {
            pad_to_chars(&mut text, ctx.chunks);
            text
        };
        Ok(Answer::Text {
            text,
            max_tokens: self.max_tokens,
        })
    }

    pub(crate) fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let id = format!("chatcmpl-{:016x}", ctx.hash);
        let answer = self.answer(ctx)?;
        if self.stream {
            return chat_stream::render(self, ctx, &id, &answer).map(Rendered::Stream);
        }
        let (message, finish_reason, completion_tokens) = match &answer {
            Answer::Text { text, max_tokens } => {
                let mut pieces = split_even(text, ctx.chunks);
                let finish = truncate_to_max(&mut pieces, *max_tokens);
                let len = pieces.iter().map(|p| p.len()).sum();
                (AssistantMessage::text(&text[..len]), finish, pieces.len())
            }
            Answer::Tools(calls) => {
                let fragments = calls
                    .iter()
                    .map(|c| split_even(&c.arguments, ctx.chunks).len())
                    .sum();
                (AssistantMessage::tools(calls), "tool_calls", fragments)
            }
        };
        let usage = ChatUsage::new(
            self.prompt_tokens(),
            completion_tokens as u64 * u64::from(self.n),
        );
        let choices = (0..self.n)
            .map(|index| Choice {
                index,
                message: message.clone(),
                logprobs: (),
                finish_reason,
                content_filter_results: self.azure.then_some(azure::CONTENT_SAFE),
            })
            .collect();
        let completion = ChatCompletion {
            id: &id,
            object: "chat.completion",
            created: ctx.created,
            model: &self.model,
            prompt_filter_results: self.azure.then_some(azure::PROMPT_SAFE),
            choices,
            usage: &usage,
            service_tier: "default",
            system_fingerprint: "fp_mock",
        };
        serde_json::to_vec(&completion).map(Rendered::Json)
    }
}

/// The reply as a JSON object string, for `response_format` json_object / json_schema. The
/// inner text is padded (not the JSON), so the content stays valid JSON at any chunk count.
fn json_reply(mut text: String, chunks: usize) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Reply<'t> {
        reply: &'t str,
    }
    let rendered = serde_json::to_string(&Reply { reply: &text })?;
    let have = rendered.chars().count();
    if have >= chunks {
        return Ok(rendered);
    }
    // Filler is plain ASCII, so each added character lengthens the JSON by exactly one.
    let target = text.chars().count() + (chunks - have);
    pad_to_chars(&mut text, target);
    serde_json::to_string(&Reply { reply: &text })
}

// Field order below is OpenAI's; `()` serializes as `null`.

#[derive(Serialize)]
struct ChatCompletion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    /// Azure deployment paths only.
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_filter_results: Option<[azure::PromptFilterResult; 1]>,
    choices: Vec<Choice<'a>>,
    usage: &'a ChatUsage,
    service_tier: &'static str,
    system_fingerprint: &'static str,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: AssistantMessage<'a>,
    logprobs: (),
    finish_reason: &'static str,
    /// Azure deployment paths only.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_filter_results: Option<azure::ContentFilterResults>,
}

#[derive(Clone, Serialize)]
struct AssistantMessage<'a> {
    role: &'static str,
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<ToolCallOut<'a>>>,
    refusal: (),
    annotations: [(); 0],
}

impl<'a> AssistantMessage<'a> {
    fn text(content: &'a str) -> Self {
        Self {
            role: "assistant",
            content: Some(content),
            tool_calls: None,
            refusal: (),
            annotations: [],
        }
    }

    fn tools(calls: &'a [ToolCall<'_>]) -> Self {
        let calls = calls
            .iter()
            .map(|c| ToolCallOut {
                id: &c.id,
                kind: "function",
                function: FunctionOut {
                    name: c.name,
                    arguments: &c.arguments,
                },
            })
            .collect();
        Self {
            content: None,
            tool_calls: Some(calls),
            ..Self::text("")
        }
    }
}

#[derive(Clone, Serialize)]
struct ToolCallOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionOut<'a>,
}

#[derive(Clone, Serialize)]
struct FunctionOut<'a> {
    name: &'a str,
    arguments: &'a str,
}
