//! Server-wide defaults. Every knob here can be overridden per request (see [`crate::Fault`]).

use std::time::Duration;

/// Defaults for every request the mock serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Delay before the response headers are sent (non-stream and stream).
    pub latency: Duration,
    /// Delay between two stream events (token pacing).
    pub chunk_delay: Duration,
    /// Number of content pieces a reply is split into. A stream carries one content event per
    /// piece, and `usage.completion_tokens` counts the pieces, so the two always agree.
    pub chunks: usize,
    /// When set, every `created` field carries this value, so identical requests give
    /// identical bytes.
    pub fixed_created: Option<u64>,
    /// When set, requests must carry this key in their provider's style, else they get that
    /// provider's auth error: `Authorization: Bearer KEY` (OpenAI, Cohere), `api-key: KEY`
    /// (Azure deployment paths), `x-api-key: KEY` (Anthropic), `x-goog-api-key: KEY` or
    /// `?key=KEY` (Gemini), `Authorization: Bearer KEY` or a token from the mock's `POST /token`
    /// (Vertex AI), and a SigV4 `Authorization` whose access key id is KEY (Bedrock).
    pub api_key: Option<String>,
    /// When set, Bedrock requests must carry a valid AWS SigV4 signature made with this secret
    /// access key (the access key id is checked against `api_key` when that is set too).
    pub aws_secret_access_key: Option<String>,
    /// Keep a record of each request (see [`crate::RecordedRequest`]). Benchmarks that send
    /// millions of requests turn this off so memory stays flat.
    pub record: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            chunks: 8,
            fixed_created: None,
            api_key: None,
            aws_secret_access_key: None,
            record: true,
        }
    }
}
