//! OpenTelemetry traces: a span per request (kind server) with child spans
//! for the gateway's phases and one per upstream attempt (kind client),
//! after the GenAI semantic conventions (`gen_ai.operation.name`,
//! `gen_ai.request.model`, `gen_ai.usage.input_tokens`, ...), exported by
//! OTLP over HTTP (protobuf) or gRPC.
//!
//! Configured by the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `..._PROTOCOL`, `..._HEADERS`,
//! `OTEL_SERVICE_NAME`, `OTEL_SDK_DISABLED`) or LiteLLM's `callbacks:
//! ["otel"]`. A client's `traceparent` is continued, and every upstream
//! attempt carries its own, so traces join the application's and the
//! provider's. Spans are built when a request ends and handed to a
//! batching export task through a bounded queue: exporting never slows a
//! request; what does not fit is counted as dropped.

mod export;
pub mod otlp;
mod spans;
pub mod trace;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use switchboard_config::{Config, Environment};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use spans::{Marks, request_spans};
pub use trace::TraceContext;

/// Requests whose spans wait for export at most.
const QUEUE: usize = 4_096;
/// Requests per export at most.
const BATCH: usize = 512;
/// Longest wait before a partial batch is exported.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

tokio::task_local! {
    /// The `traceparent` of the upstream attempt running in this task.
    pub static UPSTREAM_TRACEPARENT: http::HeaderValue;
}

/// The trace exporter; cheap to clone, off when not configured.
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    queue: mpsc::Sender<Vec<otlp::Span>>,
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    stop: watch::Sender<bool>,
    dropped: Arc<AtomicU64>,
}

impl Telemetry {
    /// The exporter the environment and `config` ask for (off when neither
    /// does), and the warnings about what could not be used.
    pub fn start(config: &Config, env: &Environment) -> (Telemetry, Vec<String>) {
        let mut warnings = Vec::new();
        let wanted = config
            .litellm_settings
            .callbacks
            .iter()
            .chain(&config.litellm_settings.success_callback)
            .chain(&config.litellm_settings.failure_callback)
            .any(|c| c == "otel");
        let target = match export::Target::from_env(env, wanted) {
            Ok(Some(target)) => target,
            Ok(None) => return (Telemetry::default(), warnings),
            Err(error) => {
                warnings.push(format!("OpenTelemetry export is off: {error}"));
                return (Telemetry::default(), warnings);
            }
        };
        let service = env
            .get("OTEL_SERVICE_NAME")
            .unwrap_or_else(|| "switchboard".into());
        let (queue, receiver) = mpsc::channel(QUEUE);
        let (stop, stopped) = watch::channel(false);
        let dropped = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(run(
            target,
            service,
            receiver,
            stopped,
            Arc::clone(&dropped),
        ));
        let inner = Inner {
            queue,
            task: tokio::sync::Mutex::new(Some(task)),
            stop,
            dropped,
        };
        (
            Telemetry {
                inner: Some(Arc::new(inner)),
            },
            warnings,
        )
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Queues one request's spans; never waits.
    pub(crate) fn export(&self, spans: Vec<otlp::Span>) {
        if let Some(inner) = &self.inner
            && inner.queue.try_send(spans).is_err()
        {
            inner.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Requests whose spans were dropped (queue full or export failed).
    pub fn dropped(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |i| i.dropped.load(Ordering::Relaxed))
    }

    /// Exports what is queued, then stops.
    pub async fn shutdown(&self) {
        let Some(inner) = &self.inner else { return };
        inner.stop.send_replace(true);
        if let Some(task) = inner.task.lock().await.take()
            && let Err(error) = task.await
        {
            tracing::error!(%error, "the trace export task failed");
        }
    }
}

/// Batches spans and exports them: when a batch is full, every second, and
/// once more on stop.
async fn run(
    mut target: export::Target,
    service: String,
    mut queue: mpsc::Receiver<Vec<otlp::Span>>,
    mut stop: watch::Receiver<bool>,
    dropped: Arc<AtomicU64>,
) {
    let mut batch: Vec<otlp::Span> = Vec::new();
    let mut requests = 0usize;
    let mut stopping = false;
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    loop {
        stopping |= *stop.borrow();
        if !stopping {
            tokio::select! {
                spans = queue.recv() => match spans {
                    Some(spans) => {
                        batch.extend(spans);
                        requests += 1;
                        if requests < BATCH {
                            continue;
                        }
                    }
                    None => stopping = true,
                },
                _ = tick.tick() => {}
                _ = stop.changed() => stopping = true,
            }
        }
        if stopping {
            while let Ok(spans) = queue.try_recv() {
                batch.extend(spans);
                requests += 1;
            }
        }
        if !batch.is_empty() {
            let request = spans::envelope(&service, std::mem::take(&mut batch));
            if let Err(error) = target.send(&request, stopping).await {
                tracing::warn!(%error, requests, "trace export failed; spans dropped");
                dropped.fetch_add(
                    u64::try_from(requests).unwrap_or(u64::MAX),
                    Ordering::Relaxed,
                );
            }
            requests = 0;
        }
        if stopping {
            return;
        }
    }
}
