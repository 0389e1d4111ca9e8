//! What every handler shares: the current runtime, the upstream client, and
//! the storage behind logs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use switchboard_governance::Registry;
use switchboard_providers::client::UpstreamClient;
use switchboard_store::{LogWriter, Store};

use crate::callbacks::Callbacks;
use crate::deployments::Deployments;
use crate::metrics::Metrics;
use crate::runtime::Runtime;
use crate::telemetry::Telemetry;

/// Where finished requests are reported besides the log and the metrics.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub callbacks: Callbacks,
    pub telemetry: Telemetry,
}

#[derive(Debug)]
pub struct AppState {
    runtime: ArcSwap<Runtime>,
    pub client: UpstreamClient,
    /// The database, when one is configured.
    pub store: Option<Store>,
    /// The request log writer, unless spend logs are disabled.
    pub logs: Option<LogWriter>,
    /// Keys, users, teams, ... with their live counters.
    pub registry: Arc<Registry>,
    pub metrics: Arc<Metrics>,
    /// Where request records go besides the log (`litellm_settings.callbacks`).
    pub callbacks: Callbacks,
    /// The trace exporter (OpenTelemetry).
    pub telemetry: Telemetry,
    /// The model list's sources (config file and admin API), once set up.
    deployments: OnceLock<Deployments>,
    draining: AtomicBool,
}

impl AppState {
    pub fn new(
        runtime: Runtime,
        client: UpstreamClient,
        store: Option<Store>,
        logs: Option<LogWriter>,
        registry: Arc<Registry>,
        metrics: Arc<Metrics>,
        outputs: Outputs,
    ) -> AppState {
        metrics.set_key_labels(runtime.metrics_key_labels);
        AppState {
            runtime: ArcSwap::from_pointee(runtime),
            client,
            store,
            logs,
            registry,
            metrics,
            callbacks: outputs.callbacks,
            telemetry: outputs.telemetry,
            deployments: OnceLock::new(),
            draining: AtomicBool::new(false),
        }
    }

    /// The runtime as of now; a request keeps the version it started with.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.load_full()
    }

    /// Swaps in a new runtime (config reload); in-flight requests finish on
    /// the old one.
    pub fn replace_runtime(&self, runtime: Runtime) {
        self.metrics.set_key_labels(runtime.metrics_key_labels);
        self.runtime.store(Arc::new(runtime));
    }

    /// Sets up the model list's sources (once, at startup); `false` when
    /// they were set already.
    pub fn set_deployments(&self, deployments: Deployments) -> bool {
        self.deployments.set(deployments).is_ok()
    }

    /// The model list's sources: `None` only before startup sets them.
    pub fn deployments(&self) -> Option<&Deployments> {
        self.deployments.get()
    }

    /// Marks the gateway as shutting down: readiness turns 503 so load
    /// balancers stop sending new work.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// Shared handle type used by handlers.
pub type SharedState = Arc<AppState>;
