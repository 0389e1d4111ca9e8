//! An OpenAI client in front of an Anthropic upstream.
//!
//! The request goes out as a Messages request ([`request_from_openai`]); what
//! comes back, whole ([`response_to_openai`]), streamed ([`StreamToOpenAi`])
//! or failed ([`error_from_anthropic`]), goes to the client as Chat
//! Completions.

mod params;
mod request;
mod response;
mod stream;

pub use request::request_from_openai;
pub use response::{error_from_anthropic, response_to_openai};
pub use stream::StreamToOpenAi;
