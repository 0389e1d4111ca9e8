//! `switchboard-mock`: the mock provider as a standalone server, for benchmarks and manual use.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use switchboard_mock::MockConfig;
use tracing_subscriber::EnvFilter;

/// A mock LLM provider speaking the native wire formats of the major LLM providers.
#[derive(Debug, Parser)]
#[command(
    name = "switchboard-mock",
    version,
    about = "A mock LLM provider speaking the native wire formats of OpenAI, Azure OpenAI, \
             Anthropic, Gemini, Vertex AI, Bedrock and Cohere",
    after_help = AFTER_HELP
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one; the chosen port is printed).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// Delay before every response's headers, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Content pieces per reply (stream events; also the completion token count).
    #[arg(long, default_value_t = 8)]
    chunks: usize,
    /// Delay between stream events, in milliseconds.
    #[arg(long, default_value_t = 0)]
    chunk_delay_ms: u64,
    /// Use this value for every `created` field, making responses byte-for-byte repeatable.
    #[arg(long)]
    fixed_created: Option<u64>,
    /// Require this API key, in each provider's style: `Authorization: Bearer` (OpenAI, Cohere,
    /// Vertex AI, which also takes tokens from `POST /token`), `api-key` (Azure), `x-api-key`
    /// (Anthropic), `x-goog-api-key` or `?key=` (Gemini), the SigV4 access key id (Bedrock).
    #[arg(long, env = "SWITCHBOARD_MOCK_API_KEY")]
    api_key: Option<String>,
    /// Verify Bedrock's SigV4 signatures with this AWS secret access key.
    #[arg(long, env = "SWITCHBOARD_MOCK_AWS_SECRET_ACCESS_KEY")]
    aws_secret_access_key: Option<String>,
    /// Do not record requests (keeps memory flat under long benchmarks).
    #[arg(long)]
    no_record: bool,
    /// Chaos: the probability (0 to 1) that an inference request gets a 500 in its
    /// provider's error shape. Drawn independently per request.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    fail_rate: f64,
    /// Chaos: the probability (0 to 1, of all requests; at most 1 - fail-rate) that a
    /// response starts (200 and headers) and its connection is cut: a stream before its first
    /// event, a non-stream body halfway through.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    cut_rate: f64,
    /// Chaos: cut streams after their first content event instead of before the first event
    /// (too late for a gateway to fail over).
    #[arg(long)]
    cut_after_first_event: bool,
    /// Seed of the chaos dice (the same seed gives the same sequence of outcomes).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// A probability: a number from 0 to 1.
fn rate(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a number from 0 to 1, got {value:?}")),
    }
}

const AFTER_HELP: &str = "\
Paths:
  OpenAI     POST /v1/chat/completions, /v1/completions, /v1/embeddings; GET /v1/models[/{id}]
  Azure      POST /openai/deployments/{deployment}/{chat/completions|completions|embeddings}?api-version=...
  Anthropic  POST /v1/messages, /v1/messages/count_tokens (anthropic-version header required)
  Gemini     POST /v1beta/models/{model}:{generateContent|streamGenerateContent|embedContent|
                  batchEmbedContents|countTokens}   (?alt=sse for SSE streams)
  Vertex AI  POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:{action} (also :predict)
             POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:{rawPredict|streamRawPredict}
             POST /token (OAuth JWT-bearer grant; returns mock-token-<n>)
  Bedrock    POST /model/{modelId}/{converse|converse-stream|invoke}
  Cohere     POST /v2/chat, /v2/embed, /v2/rerank
  Control    POST|DELETE /__mock/faults, GET|DELETE /__mock/requests, GET /__mock/chaos

Per-request behaviour (queued fault > x-mock-<key> header > [mock:key=value,...] in the last user
message > these flags): status, latency-ms, first-byte-ms, cut-after, error-after, retry-after,
chunks, chunk-delay-ms, parallel, reason (context_length or content_policy: the error's wording).
Errors and in-stream errors take each provider's own shape.

Chaos (--fail-rate, --cut-rate) applies to requests none of the above gave a fault;
GET /__mock/chaos counts what the dice decided.";

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    // Logs go to stderr: stdout carries only the "listening" line scripts wait for.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let config = MockConfig {
        latency: Duration::from_millis(args.latency_ms),
        chunk_delay: Duration::from_millis(args.chunk_delay_ms),
        chunks: args.chunks,
        fixed_created: args.fixed_created,
        api_key: args.api_key,
        aws_secret_access_key: args.aws_secret_access_key,
        record: !args.no_record,
        fail_rate: args.fail_rate,
        cut_rate: args.cut_rate,
        cut_after_first_event: args.cut_after_first_event,
        seed: args.seed,
    };
    if args.fail_rate + args.cut_rate > 1.0 + 1e-9 {
        eprintln!("switchboard-mock: --fail-rate plus --cut-rate must not exceed 1");
        return ExitCode::FAILURE;
    }
    let server =
        match switchboard_mock::spawn_on(SocketAddr::new(args.host, args.port), config).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!(
                    "switchboard-mock: cannot listen on {}:{}: {err}",
                    args.host, args.port
                );
                return ExitCode::FAILURE;
            }
        };
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "switchboard-mock listening on http://{}",
        server.addr()
    );
    let _ = stdout.flush();

    shutdown_signal().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling available: run until killed.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
