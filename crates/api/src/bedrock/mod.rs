//! Amazon Bedrock: the Converse API (and its event-stream twin,
//! ConverseStream) and InvokeModel for embedding models, with pure
//! conversions to and from OpenAI Chat Completions and Embeddings
//! (DESIGN.md §2).
//!
//! Only one direction exists: an OpenAI-dialect client (or any front door,
//! through the lingua franca) in front of a Bedrock upstream. The request
//! goes out as Converse ([`request_from_openai`]); the answer comes back
//! whole ([`response_to_openai`]), streamed ([`StreamToOpenAi`], fed with
//! messages cut by [`crate::eventstream`]) or failed ([`error_from_bedrock`],
//! [`exception_to_error`]). [`BedrockWire`] puts them behind the codec seam.

mod embeddings;
mod params;
mod request;
mod response;
mod stream;
mod types;
mod wire;

#[cfg(test)]
mod tests;

pub use embeddings::{embeddings_request_from_openai, embeddings_response_to_openai};
pub use request::request_from_openai;
pub use response::{error_from_bedrock, exception_to_error, response_to_openai, usage_to_openai};
pub use stream::StreamToOpenAi;
pub use types::*;
pub use wire::BedrockWire;

use crate::error::{ApiError, ErrorKind};

/// A 400 naming the parameter at fault.
fn invalid(param: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message).with_param(param)
}
