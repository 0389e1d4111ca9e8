//! Wire types of the LLM API families and pure conversions between them.
//!
//! Nothing here does I/O: this crate is what the gateway knows about the
//! bytes on the wire, kept testable in isolation (DESIGN.md §2, §3).

pub mod anthropic;
pub mod bedrock;
pub mod codec;
pub mod cohere;
pub mod error;
pub mod eventstream;
pub mod gemini;
pub mod openai;
pub mod sse;
pub mod usage;

pub use error::{ApiError, Dialect, ErrorKind};
pub use usage::TokenUsage;
