//! switchboard-mock: a small, fast, deterministic stand-in for an LLM provider.
//!
//! It speaks OpenAI's wire format (chat completions, legacy completions, embeddings, models;
//! also under Azure OpenAI deployment paths), records every request, and injects faults on
//! demand: error statuses, latency, a slow first byte, token pacing, and cut connections.
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
//! last user message, then [`MockConfig`]. Keys: `status`, `latency-ms`, `first-byte-ms`,
//! `cut-after`, `retry-after`, `chunks`, `chunk-delay-ms`, and (headers and directives only)
//! `parallel`.

mod app;
mod config;
mod control;
mod error;
mod faults;
mod openai;
mod pipeline;
mod record;
mod server;
mod sse;
mod text;

pub use app::{MockHandle, router};
pub use config::MockConfig;
pub use faults::Fault;
pub use record::RecordedRequest;
pub use server::{MockServer, spawn, spawn_on};
