//! One seam for every dialect (DESIGN.md §2).
//!
//! A request crosses dialects through the lingua franca, OpenAI chat:
//! the client's dialect is a [`FrontCodec`] (decode its request, encode
//! responses and stream events for it), the upstream's wire format a
//! [`WireCodec`] (encode requests for it, decode its responses, streams and
//! errors). When both sides speak the same dialect, nothing is translated:
//! the body is forwarded and a [`StreamObserver`] only reads usage from the
//! events as they pass.
//!
//! Each dialect implements these traits in its own module; the request path
//! asks [`wire`] or [`front`] for the implementation and never matches on
//! the dialect itself.

mod anthropic;
mod gemini;
mod openai;
mod responses;

pub use responses::{ResponsesFront, responses_usage_observer};

use crate::error::{ApiError, Dialect};
use crate::openai::chat::{ChatChunk, ChatRequest, ChatResponse};
use crate::usage::TokenUsage;

/// The wire format an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wire {
    /// OpenAI Chat Completions and every OpenAI-compatible service.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// Gemini `generateContent` (AI Studio and Vertex AI).
    Gemini,
    /// Cohere v2 chat.
    Cohere,
    /// Amazon Bedrock Converse (and InvokeModel for embeddings).
    Bedrock,
}

impl Wire {
    /// The error dialect of this wire's own clients, when it has a front
    /// door (an upstream error is relayed verbatim to such a client).
    pub fn dialect(self) -> Option<Dialect> {
        match self {
            Wire::OpenAi => Some(Dialect::OpenAi),
            Wire::Anthropic => Some(Dialect::Anthropic),
            Wire::Gemini => Some(Dialect::Google),
            Wire::Cohere => None,
            Wire::Bedrock => None,
        }
    }
}

/// The dialect a client speaks at a front door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Front {
    /// `/v1/chat/completions`.
    OpenAiChat,
    /// `/v1/messages`.
    AnthropicMessages,
    /// `/v1beta/models/{model}:generateContent` (model in the path).
    GeminiGenerate,
    /// `/v1/responses` (OpenAI's Responses API).
    OpenAiResponses,
}

impl Front {
    /// The wire format a same-dialect upstream speaks: requests between the
    /// two are forwarded untranslated.
    pub fn native_wire(self) -> Wire {
        match self {
            Front::OpenAiChat => Wire::OpenAi,
            Front::AnthropicMessages => Wire::Anthropic,
            Front::GeminiGenerate => Wire::Gemini,
            // Responses passthrough goes to OpenAI-wire upstreams that have
            // the API; its stream observer is `responses_usage_observer`.
            Front::OpenAiResponses => Wire::OpenAi,
        }
    }

    /// The error shape of the dialect.
    pub fn dialect(self) -> Dialect {
        match self {
            Front::OpenAiChat => Dialect::OpenAi,
            Front::AnthropicMessages => Dialect::Anthropic,
            Front::GeminiGenerate => Dialect::Google,
            Front::OpenAiResponses => Dialect::OpenAi,
        }
    }
}

/// A request in the lingua franca, with the names of client parameters the
/// translation had to leave out (LiteLLM's `drop_params` decides whether
/// that is an error).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    pub value: T,
    pub dropped: Vec<String>,
}

/// Options of the upstream request that do not come from the client.
#[derive(Debug, Clone, Copy)]
pub struct EncodeOptions<'a> {
    /// The deployment's upstream model.
    pub model: &'a str,
    pub stream: bool,
    /// `max_tokens` for wires that require one when the client gave none.
    pub default_max_tokens: u64,
    /// The upstream accepts `stream_options.include_usage` (OpenAI wire).
    pub stream_usage_option: bool,
}

/// One event of an upstream stream: an SSE event's name and data, or an
/// AWS event-stream message's `:event-type` and payload.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamEvent<'a> {
    pub name: Option<&'a str>,
    pub data: &'a [u8],
}

/// How an upstream stream is cut into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Server-sent events (`text/event-stream`).
    Sse,
    /// AWS event stream binary messages (`application/vnd.amazon.eventstream`,
    /// Bedrock); see [`crate::eventstream`].
    AwsEventStream,
}

/// An OpenAI embeddings response made from an upstream's answers.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingsResponse {
    /// The `/v1/embeddings` response body.
    pub body: Vec<u8>,
    pub usage: Option<TokenUsage>,
}

/// Embeddings through a wire whose format differs from OpenAI's.
pub trait EmbeddingsCodec: Send + Sync {
    /// The upstream request bodies for an OpenAI embeddings request (`body`
    /// as the client sent it), sent in order: one for batch APIs (Gemini's
    /// `batchEmbedContents`, Cohere), one per input for APIs that embed one
    /// text per call (Titan).
    fn encode(&self, body: &[u8], model: &str) -> Result<Vec<Vec<u8>>, ApiError>;

    /// The upstream's answers, in request order, as one OpenAI response
    /// (`body` is the client's request again, for `encoding_format`).
    fn decode(
        &self,
        body: &[u8],
        answers: &[bytes::Bytes],
        model: &str,
    ) -> Result<EmbeddingsResponse, ApiError>;
}

/// The client side of a translation.
pub trait FrontCodec: Send + Sync {
    /// Decodes the client's request. `path_model` is the model named by the
    /// URL (Gemini), `stream` whether the URL or body asked for a stream.
    fn decode(
        &self,
        body: &[u8],
        path_model: Option<&str>,
        stream: bool,
    ) -> Result<Decoded<ChatRequest>, ApiError>;

    /// Encodes a complete response.
    fn encode_response(&self, response: &ChatResponse) -> Result<Vec<u8>, ApiError>;

    /// A fresh encoder for one streamed response. `wants_usage`: the client
    /// asked for the usage chunk (OpenAI's `stream_options.include_usage`).
    fn stream_encoder(&self, wants_usage: bool) -> Box<dyn StreamEncoder>;
}

/// Writes a translated stream in the client's dialect.
pub trait StreamEncoder: Send {
    /// Appends the events for one chunk to `out`.
    fn push(&mut self, chunk: &ChatChunk, out: &mut Vec<u8>);
    /// Appends the closing events; `usage` is the upstream's final usage as
    /// an OpenAI usage chunk (`choices: []`), when known.
    fn finish(&mut self, usage: Option<&ChatChunk>, out: &mut Vec<u8>);
    /// Appends an error event that makes the client's SDK raise.
    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>);
}

/// The upstream side of a translation, and the observer of its own
/// untranslated traffic.
pub trait WireCodec: Send + Sync {
    /// The upstream request body for `request`.
    fn encode_request(
        &self,
        request: &ChatRequest,
        options: &EncodeOptions<'_>,
    ) -> Result<Decoded<Vec<u8>>, ApiError>;

    /// A complete response in the lingua franca.
    fn decode_response(
        &self,
        body: &[u8],
        model: &str,
        created: u64,
    ) -> Result<ChatResponse, ApiError>;

    /// A fresh decoder for one upstream stream.
    fn stream_decoder(&self, model: &str, created: u64) -> Box<dyn StreamDecoder>;

    /// An upstream error response as the gateway's error.
    fn decode_error(&self, status: u16, body: &[u8]) -> ApiError;

    /// The usage of a complete response in this wire format (passthrough).
    fn response_usage(&self, body: &[u8]) -> Option<TokenUsage>;

    /// A side parser for an untranslated stream in this wire format.
    /// `strip_usage`: the gateway asked for usage the client did not.
    fn stream_observer(&self, strip_usage: bool) -> Box<dyn StreamObserver>;

    /// How this wire's streams are framed.
    fn framing(&self) -> Framing {
        Framing::Sse
    }

    /// Embeddings translation, when the wire has one.
    fn embeddings(&self) -> Option<&dyn EmbeddingsCodec> {
        None
    }
}

/// Turns upstream stream events into OpenAI chunks.
pub trait StreamDecoder: Send {
    fn push(&mut self, event: UpstreamEvent<'_>) -> Result<Vec<ChatChunk>, ApiError>;
    /// Chunks owed when the upstream ends.
    fn finish(&mut self) -> Vec<ChatChunk>;
    /// The final usage, as an OpenAI usage chunk (`choices: []`).
    fn usage_chunk(&self) -> Option<ChatChunk>;
    fn usage(&self) -> Option<TokenUsage>;
}

/// Reads an untranslated stream as it passes.
pub trait StreamObserver: Send {
    /// Looks at one complete SSE event (terminator included) and returns
    /// what to relay: usually the event itself, untouched.
    fn observe(&mut self, event: bytes::Bytes) -> Option<bytes::Bytes>;
    fn usage(&self) -> Option<TokenUsage>;
}

/// The codec of an upstream wire format.
pub fn wire(wire: Wire) -> &'static dyn WireCodec {
    match wire {
        Wire::OpenAi => &openai::OpenAiWire,
        Wire::Anthropic => &anthropic::AnthropicWire,
        Wire::Gemini => &gemini::GeminiWire,
        Wire::Cohere => &crate::cohere::CohereWire,
        Wire::Bedrock => &crate::bedrock::BedrockWire,
    }
}

/// The side parser of an untranslated stream from a front door's own
/// wire. `strip_usage`: the gateway asked for usage the client did not.
pub fn passthrough_observer(front: Front, strip_usage: bool) -> Box<dyn StreamObserver> {
    match front {
        // Responses streams carry usage in their last event, unasked.
        Front::OpenAiResponses => responses_usage_observer(),
        _ => wire(front.native_wire()).stream_observer(strip_usage),
    }
}

/// The usage of an untranslated complete response to a front door.
pub fn passthrough_usage(front: Front, body: &[u8]) -> Option<TokenUsage> {
    match front {
        Front::OpenAiResponses => crate::openai::responses::responses_usage(body),
        _ => wire(front.native_wire()).response_usage(body),
    }
}

/// The codec of a front door's dialect.
pub fn front(front: Front) -> &'static dyn FrontCodec {
    match front {
        Front::OpenAiChat => &openai::OpenAiFront,
        Front::AnthropicMessages => &anthropic::AnthropicFront,
        Front::GeminiGenerate => &gemini::GeminiFront,
        Front::OpenAiResponses => &responses::SHARED,
    }
}

/// A JSON body that does not parse, as a 400 in the caller's words.
pub(crate) fn invalid_json(what: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(
        crate::error::ErrorKind::InvalidRequest,
        format!("The {what} is not valid: {error}"),
    )
}

/// An upstream body that does not parse as its documented shape.
pub(crate) fn bad_upstream(what: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(
        crate::error::ErrorKind::BadGateway,
        format!("the upstream's {what} could not be read: {error}"),
    )
}

#[cfg(test)]
mod tests;
