//! `generateContent`: the `GenerateContentResponse`, shared by the stream renderer.

use http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::request::GenerateRequest;
use super::stream;
use crate::answer::{Conversation, PiecesBody, Stop};
use crate::error::ApiError;
use crate::openai::parse_body;
use crate::pipeline::{RenderCtx, Rendered};

/// A validated `generateContent` / `streamGenerateContent` request.
pub(crate) struct Generate {
    request: GenerateRequest,
    model: String,
    /// `Some(sse)` for `streamGenerateContent`: server-sent events with `?alt=sse`, else a
    /// streamed JSON array.
    stream: Option<bool>,
}

impl Generate {
    pub(super) fn parse(body: &[u8], model: &str, stream: Option<bool>) -> Result<Self, ApiError> {
        let request: GenerateRequest = parse_body(body)?;
        if request.contents.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "* GenerateContentRequest.contents: contents is not specified\n",
            ));
        }
        Ok(Self {
            request,
            model: model.to_owned(),
            stream,
        })
    }

    pub(super) fn conversation(&self) -> Conversation<'_> {
        self.request.conversation()
    }

    pub(super) fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let conversation = self.conversation();
        // Gemini's function calls carry no id; the hash still seeds their order-free content.
        let reply = conversation.reply(ctx.hash, ctx.chunks, ctx.parallel, |_, _| String::new());
        let pieces = reply.pieces(ctx.chunks);
        let env = Envelope {
            model: &self.model,
            response_id: format!("{:016x}", ctx.hash),
            prompt_tokens: conversation.prompt_tokens(),
        };
        if let Some(sse) = self.stream {
            return stream::render(&env, &pieces, sse).map(Rendered::Stream);
        }
        let mut parts = Vec::new();
        if let Some(thought) = pieces.thinking_text {
            parts.push(PartOut::thought(thought));
        }
        match &pieces.body {
            PiecesBody::Text { text, .. } => parts.push(PartOut::text(text)),
            PiecesBody::Tools(calls) => {
                parts.extend(
                    calls
                        .iter()
                        .map(|(call, _)| PartOut::call(call.name, &call.input)),
                );
            }
        }
        let usage = env.usage(pieces.output_tokens(), pieces.thinking_tokens());
        let response = env.response(parts, Some(finish_reason(pieces.stop)), usage);
        serde_json::to_vec(&response).map(Rendered::Json)
    }
}

/// Gemini reports function calls with `STOP`; it has no tool-use finish reason.
pub(super) fn finish_reason(stop: Stop) -> &'static str {
    stop.pick(["STOP", "MAX_TOKENS", "STOP"])
}

/// What every response of one request shares.
pub(super) struct Envelope<'a> {
    pub(super) model: &'a str,
    pub(super) response_id: String,
    pub(super) prompt_tokens: u64,
}

impl<'a> Envelope<'a> {
    /// Usage after `output` pieces, `thoughts` of them thinking.
    pub(super) fn usage(&self, output: u64, thoughts: u64) -> UsageMetadata {
        let candidates = output - thoughts;
        UsageMetadata {
            prompt_token_count: self.prompt_tokens,
            candidates_token_count: candidates,
            total_token_count: self.prompt_tokens + output,
            thoughts_token_count: (thoughts > 0).then_some(thoughts),
        }
    }

    pub(super) fn response<'p>(
        &'p self,
        parts: Vec<PartOut<'p>>,
        finish_reason: Option<&'static str>,
        usage_metadata: UsageMetadata,
    ) -> GenerateContentResponse<'p> {
        GenerateContentResponse {
            candidates: [Candidate {
                content: CandidateContent {
                    parts,
                    role: "model",
                },
                finish_reason,
                index: 0,
            }],
            usage_metadata,
            model_version: self.model,
            response_id: &self.response_id,
        }
    }
}

// Field order below is Google's.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerateContentResponse<'a> {
    candidates: [Candidate<'a>; 1],
    usage_metadata: UsageMetadata,
    model_version: &'a str,
    response_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Candidate<'a> {
    content: CandidateContent<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finish_reason: Option<&'static str>,
    index: u32,
}

#[derive(Serialize)]
struct CandidateContent<'a> {
    parts: Vec<PartOut<'a>>,
    role: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PartOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_call: Option<FunctionCall<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    thought: bool,
}

impl<'a> PartOut<'a> {
    pub(super) fn text(text: &'a str) -> Self {
        Self {
            text: Some(text),
            function_call: None,
            thought: false,
        }
    }

    pub(super) fn thought(text: &'a str) -> Self {
        Self {
            thought: true,
            ..Self::text(text)
        }
    }

    pub(super) fn call(name: &'a str, args: &'a Value) -> Self {
        Self {
            text: None,
            function_call: Some(FunctionCall { name, args }),
            thought: false,
        }
    }
}

#[derive(Serialize)]
struct FunctionCall<'a> {
    name: &'a str,
    args: &'a Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageMetadata {
    prompt_token_count: u64,
    candidates_token_count: u64,
    total_token_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    thoughts_token_count: Option<u64>,
}
