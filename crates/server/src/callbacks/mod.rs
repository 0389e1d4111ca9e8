//! Callbacks: every request's record, sent to sinks outside the gateway
//! (LiteLLM's `callbacks`, `success_callback`, `failure_callback` and
//! `callback_settings`): a webhook (`generic_api`) or a JSONL file.
//!
//! A sink is a task behind a bounded queue: a request hands over its record
//! with a `try_send` and moves on, so a slow or dead sink never slows
//! requests. What a sink cannot take (its queue is full, or delivery failed
//! after retries) is counted in `switchboard_callback_records_total{outcome="dropped"}`.
//! On shutdown each sink delivers what it holds before the process exits.

mod jsonl;
mod payload;
mod webhook;

use std::sync::Arc;

use switchboard_config::{CallbackSettings, Config, Environment};
use switchboard_store::LogRecord;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::metrics::Metrics;

pub use payload::payload;

/// Records waiting per sink at most.
const QUEUE: usize = 10_000;
/// Records per delivery at most.
const BATCH: usize = 500;

/// Which records a sink wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Events {
    success: bool,
    failure: bool,
}

impl Events {
    fn wants(self, record: &LogRecord) -> bool {
        if record.status < 400 {
            self.success
        } else {
            self.failure
        }
    }
}

/// Where a sink's batches go.
enum Target {
    Webhook(webhook::Webhook),
    Jsonl(jsonl::Jsonl),
}

impl Target {
    /// Delivers a batch, retrying until `stop` turns true.
    async fn deliver(
        &mut self,
        batch: &[Arc<LogRecord>],
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), String> {
        match self {
            Target::Webhook(webhook) => webhook.deliver(batch, stop).await,
            Target::Jsonl(file) => file.deliver(batch).await,
        }
    }
}

#[derive(Debug)]
struct Sink {
    name: String,
    events: Events,
    queue: mpsc::Sender<Arc<LogRecord>>,
}

/// The configured sinks; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Callbacks {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    sinks: Vec<Sink>,
    tasks: tokio::sync::Mutex<Vec<JoinHandle<()>>>,
    stop: watch::Sender<bool>,
    metrics: Arc<Metrics>,
}

impl Callbacks {
    /// The sinks `config` names, started on the current runtime, and a
    /// warning per name that is not one switchboard can serve.
    pub fn start(
        config: &Config,
        env: &Environment,
        metrics: Arc<Metrics>,
    ) -> (Callbacks, Vec<String>) {
        let settings = &config.litellm_settings;
        let mut wanted: Vec<(String, Events)> = Vec::new();
        let mut want = |names: &[String], events: Events| {
            for name in names {
                match wanted.iter_mut().find(|(n, _)| n == name) {
                    Some((_, e)) => {
                        e.success |= events.success;
                        e.failure |= events.failure;
                    }
                    None => wanted.push((name.clone(), events)),
                }
            }
        };
        want(
            &settings.callbacks,
            Events {
                success: true,
                failure: true,
            },
        );
        want(
            &settings.success_callback,
            Events {
                success: true,
                failure: false,
            },
        );
        want(
            &settings.failure_callback,
            Events {
                success: false,
                failure: true,
            },
        );

        let mut warnings = Vec::new();
        let (stop, stopped) = watch::channel(false);
        let mut sinks = Vec::new();
        let mut tasks = Vec::new();
        // `otel` is the trace exporter's (crate::telemetry).
        for (name, events) in wanted.into_iter().filter(|(n, _)| n != "otel") {
            let target = match target(&name, config.callback_settings.get(&name), env) {
                Ok(Some(target)) => target,
                Ok(None) => {
                    warnings.push(format!(
                        "callback `{name}`: not supported by switchboard (it serves generic_api webhooks and jsonl files); ignored"
                    ));
                    continue;
                }
                Err(error) => {
                    warnings.push(format!("callback `{name}`: {error}; ignored"));
                    continue;
                }
            };
            let events = match config
                .callback_settings
                .get(&name)
                .and_then(|s| s.event_types.as_ref())
            {
                Some(types) => Events {
                    success: events.success && types.iter().any(|t| t == "llm_api_success"),
                    failure: events.failure && types.iter().any(|t| t == "llm_api_failure"),
                },
                None => events,
            };
            let (queue, receiver) = mpsc::channel(QUEUE);
            tasks.push(tokio::spawn(run(
                name.clone(),
                target,
                receiver,
                stopped.clone(),
                Arc::clone(&metrics),
            )));
            sinks.push(Sink {
                name,
                events,
                queue,
            });
        }
        if sinks.is_empty() {
            return (Callbacks::default(), warnings);
        }
        let inner = Inner {
            sinks,
            tasks: tokio::sync::Mutex::new(tasks),
            stop,
            metrics,
        };
        (
            Callbacks {
                inner: Some(Arc::new(inner)),
            },
            warnings,
        )
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_none()
    }

    /// Hands `record` to every sink that wants it; never waits.
    pub fn record(&self, record: &LogRecord) {
        let Some(inner) = &self.inner else { return };
        let mut shared: Option<Arc<LogRecord>> = None;
        for sink in inner.sinks.iter().filter(|s| s.events.wants(record)) {
            let record = shared.get_or_insert_with(|| Arc::new(record.clone()));
            if sink.queue.try_send(Arc::clone(record)).is_err() {
                inner.metrics.callback(&sink.name, false, 1);
            }
        }
    }

    /// Stops taking records and waits until every sink has delivered (or
    /// given up on) what it holds.
    pub async fn shutdown(&self) {
        let Some(inner) = &self.inner else { return };
        inner.stop.send_replace(true);
        let tasks = std::mem::take(&mut *inner.tasks.lock().await);
        for task in tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "a callback task failed");
            }
        }
    }
}

/// The target of callback `name`: its `callback_settings` entry, or a
/// built-in name. `Ok(None)`: a name switchboard does not serve.
fn target(
    name: &str,
    settings: Option<&CallbackSettings>,
    env: &Environment,
) -> Result<Option<Target>, String> {
    let kind = settings
        .and_then(|s| s.callback_type.as_deref())
        .unwrap_or(name);
    match kind {
        "generic_api" => {
            // LiteLLM's environment variables, for the bare name.
            let endpoint = settings
                .and_then(|s| s.endpoint.clone())
                .or_else(|| env.get("GENERIC_LOGGER_ENDPOINT"))
                .ok_or("set `endpoint` in callback_settings (or GENERIC_LOGGER_ENDPOINT)")?;
            let mut headers: Vec<(String, String)> = settings
                .map(|s| {
                    s.headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            if settings.is_none()
                && let Some(text) = env.get("GENERIC_LOGGER_HEADERS")
            {
                headers.extend(text.split(',').filter_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    Some((k.trim().to_string(), v.trim().to_string()))
                }));
            }
            let format = settings
                .and_then(|s| s.log_format.as_deref())
                .unwrap_or("json_array");
            Ok(Some(Target::Webhook(webhook::Webhook::new(
                &endpoint, &headers, format,
            )?)))
        }
        "jsonl" => {
            let path = settings
                .and_then(|s| s.path.clone())
                .ok_or("set `path` in callback_settings")?;
            Ok(Some(Target::Jsonl(jsonl::Jsonl::new(path.into()))))
        }
        _ => Ok(None),
    }
}

/// A sink's task: batches what its queue holds and delivers it; once
/// stopped, delivers what is left (one quick try per batch) and ends.
async fn run(
    name: String,
    mut target: Target,
    mut queue: mpsc::Receiver<Arc<LogRecord>>,
    mut stop: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut stopping = false;
    loop {
        // A delivery may have seen the stop already (it cuts retries short).
        stopping |= *stop.borrow();
        if !stopping {
            tokio::select! {
                record = queue.recv() => match record {
                    Some(record) => batch.push(record),
                    None => stopping = true,
                },
                // Stopped, or the gateway dropped the sender: finish.
                _ = stop.changed() => stopping = true,
            }
        }
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(record) => batch.push(record),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            return;
        }
        send(&name, &mut target, &mut batch, &mut stop, &metrics).await;
    }
}

async fn send(
    name: &str,
    target: &mut Target,
    batch: &mut Vec<Arc<LogRecord>>,
    stop: &mut watch::Receiver<bool>,
    metrics: &Metrics,
) {
    match target.deliver(batch, stop).await {
        Ok(()) => metrics.callback(name, true, batch.len()),
        Err(error) => {
            tracing::warn!(callback = name, records = batch.len(), %error, "callback delivery failed; records dropped");
            metrics.callback(name, false, batch.len());
        }
    }
    batch.clear();
}
