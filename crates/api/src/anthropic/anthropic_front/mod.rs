//! An Anthropic client in front of an OpenAI-dialect upstream.
//!
//! The request goes out as a Chat Completions request
//! ([`request_to_openai`]); what comes back, whole
//! ([`response_from_openai`]) or streamed ([`StreamFromOpenAi`]), goes to
//! the client as an Anthropic message. Errors need no translation here:
//! the gateway renders any [`ApiError`](crate::ApiError) with
//! `to_body(Dialect::Anthropic)`. [`count_tokens_estimate`] answers
//! `/v1/messages/count_tokens` without an upstream.

mod count_tokens;
mod request;
mod response;
mod stream;

pub use count_tokens::count_tokens_estimate;
pub use request::request_to_openai;
pub use response::response_from_openai;
pub use stream::StreamFromOpenAi;
