//! Server-wide defaults. Every knob here can be overridden per request (see [`crate::Fault`]).

use std::time::Duration;

/// Defaults for every request the mock serves.
#[derive(Debug, Clone, PartialEq)]
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
    /// Chaos: the probability that an inference request gets a 500 (in its provider's error
    /// shape), drawn independently for each request. Requests with a deterministic fault (a
    /// queued [`crate::Fault`], `x-mock-*` headers, a `[mock:...]` directive naming a status,
    /// a cut or an in-stream error) are left alone.
    pub fail_rate: f64,
    /// Chaos: the probability (of all requests, so at most `1 - fail_rate`) that a request's
    /// response starts (200 and headers sent) and its connection is then cut: a stream
    /// before its first event, a non-stream body halfway through.
    pub cut_rate: f64,
    /// Chaos cuts of streams happen after the first content event instead of before the
    /// first event: too late for a gateway to fail over without duplicating content.
    pub cut_after_first_event: bool,
    /// Seed of the chaos dice: the same seed gives the same sequence of outcomes.
    pub seed: u64,
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
            fail_rate: 0.0,
            cut_rate: 0.0,
            cut_after_first_event: false,
            seed: 0,
        }
    }
}
