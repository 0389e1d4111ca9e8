//! What every handler shares: the current runtime, the upstream client, and
//! the storage behind logs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;
use switchboard_governance::Registry;
use switchboard_providers::client::UpstreamClient;
use switchboard_store::{LogWriter, Store};

use crate::runtime::Runtime;

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
    draining: AtomicBool,
}

impl AppState {
    pub fn new(
        runtime: Runtime,
        client: UpstreamClient,
        store: Option<Store>,
        logs: Option<LogWriter>,
        registry: Arc<Registry>,
    ) -> AppState {
        AppState {
            runtime: ArcSwap::from_pointee(runtime),
            client,
            store,
            logs,
            registry,
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
        self.runtime.store(Arc::new(runtime));
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
