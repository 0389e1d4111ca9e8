//! switchboard-mock: a small, fast, deterministic stand-in for LLM providers.
//!
//! It speaks each provider's native wire format, so a gateway's adapters can be tested end to
//! end over HTTP:
//!
//! | family | paths | auth (when [`MockConfig::api_key`] is set) |
//! |---|---|---|
//! | OpenAI | `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses`, `/v1/models` (also without `/v1`) | `Authorization: Bearer` |
//! | Azure OpenAI | `/openai/deployments/{d}/...?api-version=` (adds content filter results), `/openai/responses?api-version=` | `api-key` |
//! | Anthropic | `/v1/messages`, `/v1/messages/count_tokens` (`anthropic-version` required) | `x-api-key` |
//! | Gemini | `/v1beta/models/{model}:generateContent` / `:streamGenerateContent[?alt=sse]` / `:embedContent` / `:batchEmbedContents` / `:countTokens` | `x-goog-api-key` or `?key=` |
//! | Vertex AI | `/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:{action}` (and `:predict`), `.../publishers/anthropic/models/{model}:rawPredict` / `:streamRawPredict`, `POST /token` | `Authorization: Bearer` key or a token from `/token` |
//! | Bedrock | `/model/{id}/converse`, `/converse-stream` (AWS event stream), `/invoke` (Titan, Cohere embeddings) | SigV4 (key id = `api_key`; signature verified with [`MockConfig::aws_secret_access_key`]) |
//! | Cohere | `/v2/chat`, `/v2/embed`, `/v2/rerank` | `Authorization: Bearer` |
//!
//! Every family answers the same way: a reply echoing the last user turn, tool calls (arguments
//! built from the tools' JSON schemas, streamed in fragments where the provider streams them)
//! when tools are offered and the user spoke last, thinking when the request asks for it,
//! usage that counts the stream's content events, ids derived from the conversation, and
//! errors (also in-stream errors) in the provider's own shape and status.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use switchboard_mock::{Fault, MockConfig};
//! let mock = switchboard_mock::spawn(MockConfig::default()).await?;
//! mock.push_fault(Fault { status: Some(503), ..Fault::default() });
//! // ... point a client at mock.base_url() ...
//! let seen = mock.requests();
//! # drop(seen);
//! mock.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Per-request behaviour, highest priority first: a queued [`Fault`] (also
//! `POST /__mock/faults`), `x-mock-*` request headers, a `[mock:key=value,...]` directive in the
//! last user message (or last input text), then [`MockConfig`]. Keys: `status`, `latency-ms`,
//! `first-byte-ms`, `cut-after`, `error-after`, `retry-after`, `chunks`, `chunk-delay-ms`, and
//! (headers and directives only) `parallel`.
//!
//! Chaos ([`MockConfig::fail_rate`], [`MockConfig::cut_rate`]): each inference request
//! without a deterministic fault independently gets a 500 or a cut connection, from seeded
//! dice; `GET /__mock/chaos` counts the outcomes.

mod answer;
mod anthropic;
mod app;
mod auth;
mod bedrock;
mod chaos;
mod cohere;
mod config;
mod control;
mod dialect;
mod error;
mod faults;
mod gemini;
mod openai;
mod pipeline;
mod record;
mod server;
mod sse;
mod text;

pub use app::{MockHandle, router};
pub use chaos::ChaosStats;
pub use config::MockConfig;
pub use faults::{ErrorReason, Fault};
pub use record::RecordedRequest;
pub use server::{MockServer, spawn, spawn_on};
