//! Running the mock on a TCP port.
//!
//! The accept loop is written out (rather than `axum::serve`) so shutdown can be prompt even
//! while a slow stream is open: connections get a short grace period, then are aborted.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::app::{MockHandle, router};
use crate::config::MockConfig;
use crate::faults::Fault;
use crate::record::RecordedRequest;

/// How long in-flight responses may run on after shutdown before they are aborted.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// A running mock server. Dropping it stops the server too (without waiting).
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    handle: MockHandle,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Starts a mock on `127.0.0.1` and a free port.
pub async fn spawn(config: MockConfig) -> std::io::Result<MockServer> {
    spawn_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Starts a mock on `addr` (port 0 picks a free port; see [`MockServer::addr`]).
pub async fn spawn_on(addr: SocketAddr, config: MockConfig) -> std::io::Result<MockServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (router, handle) = router(config);
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, router, stopped));
    Ok(MockServer {
        addr,
        handle,
        stop: Some(stop),
        task: Some(task),
    })
}

impl MockServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT/v1`, the base URL an OpenAI client is configured with.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// A handle that stays usable independently of the server value.
    pub fn handle(&self) -> MockHandle {
        self.handle.clone()
    }

    /// Recorded requests, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.handle.requests()
    }

    pub fn clear_requests(&self) {
        self.handle.clear_requests();
    }

    /// Queues a fault for the next inference request (FIFO, one per request).
    pub fn push_fault(&self, fault: Fault) {
        self.handle.push_fault(fault);
    }

    /// Stops accepting, lets in-flight responses finish for up to a second, aborts the rest,
    /// and returns once the port is released.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stop: oneshot::Receiver<()>) {
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        // Usually out of file descriptors: back off instead of spinning.
                        tracing::debug!(%err, "switchboard-mock: accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                // Stream events are small and latency matters more than packet count.
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                let connection = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                connections.spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::trace!(%err, "switchboard-mock: connection ended with an error");
                    }
                });
                // Reap finished connections so the set does not grow without bound.
                while connections.try_join_next().is_some() {}
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    connections.shutdown().await;
}
