//! The `generic_api` sink: batches POSTed as JSON to an HTTP endpoint, with
//! retries and backoff. `log_format`: `json_array` (one POST per batch, a
//! JSON array), `ndjson` (one POST per batch, a record per line) or
//! `single` (one POST per record).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::BodyExt;
use switchboard_providers::body::SegmentedBody;
use switchboard_providers::client::{ClientOptions, UpstreamClient};
use switchboard_store::LogRecord;
use tokio::sync::watch;

use super::payload::payload;

/// Attempts per POST while running (a shutdown tries once).
const ATTEMPTS: u32 = 5;
/// The first pause between attempts; doubled each time, with jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// One POST's time limit.
const TIMEOUT: Duration = Duration::from_secs(10);
/// One POST's time limit once the gateway is stopping.
const STOPPING_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    JsonArray,
    Ndjson,
    Single,
}

pub(super) struct Webhook {
    client: UpstreamClient,
    endpoint: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    format: Format,
}

impl Webhook {
    pub(super) fn new(
        endpoint: &str,
        headers: &[(String, String)],
        format: &str,
    ) -> Result<Webhook, String> {
        let endpoint: Uri = endpoint
            .parse()
            .map_err(|e| format!("endpoint `{endpoint}` is not a URL: {e}"))?;
        if !matches!(endpoint.scheme_str(), Some("http" | "https")) {
            return Err(format!("endpoint `{endpoint}` must be http:// or https://"));
        }
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let name = HeaderName::try_from(name.as_str())
                    .map_err(|_| format!("`{name}` is not a header name"))?;
                let value = HeaderValue::try_from(value.as_str())
                    .map_err(|_| format!("the value of header `{name}` is not valid"))?;
                Ok((name, value))
            })
            .collect::<Result<_, String>>()?;
        let format = match format {
            "json_array" => Format::JsonArray,
            "ndjson" => Format::Ndjson,
            "single" => Format::Single,
            other => {
                return Err(format!(
                    "log_format `{other}` is not json_array, ndjson or single"
                ));
            }
        };
        let client = UpstreamClient::new(&ClientOptions {
            pools: 1,
            ..ClientOptions::default()
        })
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
        Ok(Webhook {
            client,
            endpoint,
            headers,
            format,
        })
    }

    /// Delivers `batch`, retrying with backoff until `stop` turns true;
    /// then once more, quickly.
    pub(super) async fn deliver(
        &mut self,
        batch: &[Arc<LogRecord>],
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), String> {
        match self.format {
            Format::JsonArray => {
                let items: Vec<_> = batch.iter().map(|r| payload(r)).collect();
                let body = serde_json::to_vec(&items).map_err(|e| e.to_string())?;
                self.post(body.into(), "application/json", stop).await
            }
            Format::Ndjson => {
                let mut body = Vec::new();
                for record in batch {
                    serde_json::to_writer(&mut body, &payload(record))
                        .map_err(|e| e.to_string())?;
                    body.push(b'\n');
                }
                self.post(body.into(), "application/x-ndjson", stop).await
            }
            Format::Single => {
                for record in batch {
                    let body = serde_json::to_vec(&payload(record)).map_err(|e| e.to_string())?;
                    self.post(body.into(), "application/json", stop).await?;
                }
                Ok(())
            }
        }
    }

    /// POSTs `body`, retrying transport errors, 429s and 5xx.
    async fn post(
        &self,
        body: Bytes,
        content_type: &'static str,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), String> {
        let mut backoff = FIRST_BACKOFF;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let stopping = *stop.borrow();
            let timeout = if stopping { STOPPING_TIMEOUT } else { TIMEOUT };
            match self.post_once(body.clone(), content_type, timeout).await {
                Ok(()) => return Ok(()),
                Err((error, retriable)) => {
                    last = error;
                    if !retriable || stopping {
                        break;
                    }
                }
            }
            if attempt < ATTEMPTS {
                let jitter = backoff.mul_f64(fastrand::f64() * 0.5);
                // A stop cuts the pause short: one last try follows.
                tokio::select! {
                    () = tokio::time::sleep(backoff + jitter) => {}
                    _ = stop.changed() => {}
                }
                backoff *= 2;
            }
        }
        Err(last)
    }

    async fn post_once(
        &self,
        body: Bytes,
        content_type: &'static str,
        timeout: Duration,
    ) -> Result<(), (String, bool)> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.clone())
            .header(http::header::CONTENT_TYPE, content_type)
            .body(SegmentedBody::from(body))
            .map_err(|e| (e.to_string(), false))?;
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        let response = tokio::time::timeout(timeout, async {
            let response = self.client.send(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            // Read the answer so the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok::<_, String>(status)
        })
        .await
        .map_err(|_| (format!("no answer within {} s", timeout.as_secs()), true))?
        .map_err(|e| (e, true))?;
        if response.is_success() {
            Ok(())
        } else {
            let retriable = response.is_server_error() || response.as_u16() == 429;
            Err((format!("the endpoint answered {response}"), retriable))
        }
    }
}
