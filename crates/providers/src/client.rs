//! The pooled upstream HTTP client of the request path.
//!
//! hyper-util's pool keeps keep-alive HTTP/1.1 connections per host and one
//! HTTP/2 connection per host when the upstream offers h2 by ALPN. One h2
//! connection caps concurrency at the server's stream limit (STACK.md), so
//! the client spreads requests over several independent pools.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::SegmentedBody;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Independent pools; each may hold one HTTP/2 connection per host.
    pub pools: usize,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_idle_per_host: usize,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            pools: 4,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            max_idle_per_host: 1024,
        }
    }
}

type Pool = Client<HttpsConnector<HttpConnector>, SegmentedBody>;

/// Sends upstream requests over pooled connections (HTTP/1.1 or HTTP/2 by
/// ALPN, TLS by rustls with the system's root certificates).
#[derive(Debug)]
pub struct UpstreamClient {
    pools: Vec<Pool>,
    next: AtomicUsize,
}

impl UpstreamClient {
    pub fn new(options: &ClientOptions) -> Result<UpstreamClient, rustls::Error> {
        let tls = tls_config()?;
        let pools = (0..options.pools.max(1))
            .map(|_| {
                let mut http = HttpConnector::new();
                http.enforce_http(false);
                http.set_nodelay(true);
                http.set_connect_timeout(Some(options.connect_timeout));
                http.set_keepalive(Some(Duration::from_secs(60)));
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(tls.clone())
                    .https_or_http()
                    .enable_all_versions()
                    .wrap_connector(http);
                Client::builder(TokioExecutor::new())
                    .pool_idle_timeout(options.idle_timeout)
                    .pool_max_idle_per_host(options.max_idle_per_host)
                    .pool_timer(TokioTimer::new())
                    .timer(TokioTimer::new())
                    .build(connector)
            })
            .collect();
        Ok(UpstreamClient {
            pools,
            next: AtomicUsize::new(0),
        })
    }

    /// Sends a request; the response body streams as it arrives.
    pub fn send(&self, request: Request<SegmentedBody>) -> ResponseFuture {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.pools.len();
        self.pools[index].request(request)
    }
}

/// Response type of [`UpstreamClient::send`].
pub type UpstreamResponse = Response<Incoming>;

/// rustls with the system's root certificates. A machine without any still
/// gets a working client: plain-HTTP upstreams (local servers, the mock)
/// work, and HTTPS ones fail with a certificate error that says why.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs();
    for cert in found {
        // Individual unparsable system certificates are skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        tracing::warn!("no system root certificates found; HTTPS upstreams will fail to verify");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn rustls_native_certs() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    let result = rustls_native_certs::load_native_certs();
    for error in &result.errors {
        tracing::debug!(%error, "skipping unreadable system certificate");
    }
    result.certs
}
