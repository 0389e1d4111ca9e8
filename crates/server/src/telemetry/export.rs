//! OTLP transport: HTTP with a protobuf body (`/v1/traces`, the default) or
//! gRPC (`TraceService/Export`, HTTP/2; cleartext endpoints by prior
//! knowledge), per the OTLP exporter specification's variables.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prost::Message;
use switchboard_config::Environment;
use switchboard_providers::body::SegmentedBody;
use switchboard_providers::client::{ClientOptions, UpstreamClient};

use super::otlp::ExportTraceServiceRequest;

const GRPC_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const ATTEMPTS: u32 = 3;
const TIMEOUT: Duration = Duration::from_secs(10);
const STOPPING_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    HttpProtobuf,
    Grpc,
}

enum Transport {
    /// HTTP/1.1 or HTTP/2 by ALPN (and HTTPS gRPC).
    Pooled(UpstreamClient),
    /// Cleartext HTTP/2 for `http://` gRPC endpoints.
    H2c(Box<Client<HttpConnector, SegmentedBody>>),
}

pub(super) struct Target {
    protocol: Protocol,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    transport: Transport,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("protocol", &self.protocol)
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

/// The first set variable of `names`.
fn first(env: &Environment, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| env.get(name).filter(|v| !v.trim().is_empty()))
}

impl Target {
    /// The exporter the `OTEL_*` variables describe; `wanted`: the config
    /// asked for it (`callbacks: [otel]`), so the default endpoint applies
    /// when no variable names one. `Ok(None)`: tracing is off.
    pub(super) fn from_env(env: &Environment, wanted: bool) -> Result<Option<Target>, String> {
        if env
            .get("OTEL_SDK_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || env.get("OTEL_TRACES_EXPORTER").is_some_and(|v| v == "none")
        {
            return Ok(None);
        }
        let protocol = match first(
            env,
            &[
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ],
        )
        .as_deref()
        .unwrap_or("http/protobuf")
        {
            "http/protobuf" => Protocol::HttpProtobuf,
            "grpc" => Protocol::Grpc,
            other => {
                return Err(format!(
                    "OTLP protocol `{other}` is not supported; use http/protobuf or grpc"
                ));
            }
        };
        let signal = env
            .get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .filter(|v| !v.is_empty());
        let base = env
            .get("OTEL_EXPORTER_OTLP_ENDPOINT")
            .filter(|v| !v.is_empty());
        let default = match protocol {
            Protocol::HttpProtobuf => "http://localhost:4318",
            Protocol::Grpc => "http://localhost:4317",
        };
        let url = match (signal, base, protocol) {
            // The signal-specific URL is used as is over HTTP.
            (Some(url), _, Protocol::HttpProtobuf) => url,
            (Some(url), _, Protocol::Grpc) => join(&url, GRPC_PATH),
            (None, Some(base), Protocol::HttpProtobuf) => join(&base, "/v1/traces"),
            (None, Some(base), Protocol::Grpc) => join(&base, GRPC_PATH),
            (None, None, _) if wanted => match protocol {
                Protocol::HttpProtobuf => join(default, "/v1/traces"),
                Protocol::Grpc => join(default, GRPC_PATH),
            },
            (None, None, _) => return Ok(None),
        };
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("the OTLP endpoint `{url}` is not a URL: {e}"))?;
        let headers = first(
            env,
            &[
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                "OTEL_EXPORTER_OTLP_HEADERS",
            ],
        )
        .map(|text| parse_headers(&text))
        .transpose()?
        .unwrap_or_default();
        let transport = if protocol == Protocol::Grpc && uri.scheme_str() == Some("http") {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            Transport::H2c(Box::new(
                Client::builder(TokioExecutor::new())
                    .http2_only(true)
                    .build(connector),
            ))
        } else {
            Transport::Pooled(
                UpstreamClient::new(&ClientOptions {
                    pools: 1,
                    ..ClientOptions::default()
                })
                .map_err(|e| format!("cannot set up TLS: {e}"))?,
            )
        };
        Ok(Some(Target {
            protocol,
            uri,
            headers,
            transport,
        }))
    }

    /// Sends one export request, retrying transient failures unless the
    /// gateway is stopping.
    pub(super) async fn send(
        &mut self,
        request: &ExportTraceServiceRequest,
        stopping: bool,
    ) -> Result<(), String> {
        let message = request.encode_to_vec();
        let body = match self.protocol {
            Protocol::HttpProtobuf => Bytes::from(message),
            Protocol::Grpc => {
                // Length-prefixed message: not compressed, 4-byte length.
                let mut framed = BytesMut::with_capacity(message.len() + 5);
                framed.put_u8(0);
                framed.put_u32(u32::try_from(message.len()).map_err(|e| e.to_string())?);
                framed.put_slice(&message);
                framed.freeze()
            }
        };
        let attempts = if stopping { 1 } else { ATTEMPTS };
        let timeout = if stopping { STOPPING_TIMEOUT } else { TIMEOUT };
        let mut last = String::new();
        for attempt in 1..=attempts {
            match tokio::time::timeout(timeout, self.send_once(body.clone())).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err((error, retriable))) => {
                    last = error;
                    if !retriable {
                        break;
                    }
                }
                Err(_) => last = format!("no answer within {} s", timeout.as_secs()),
            }
            if attempt < attempts {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
        }
        Err(last)
    }

    async fn send_once(&self, body: Bytes) -> Result<(), (String, bool)> {
        let content_type = match self.protocol {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::Grpc => "application/grpc",
        };
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(http::header::CONTENT_TYPE, content_type)
            .body(SegmentedBody::from(body))
            .map_err(|e| (e.to_string(), false))?;
        if self.protocol == Protocol::Grpc {
            request
                .headers_mut()
                .insert(http::header::TE, HeaderValue::from_static("trailers"));
            *request.version_mut() = http::Version::HTTP_2;
        }
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        let response = match &self.transport {
            Transport::Pooled(client) => client.send(request).await,
            Transport::H2c(client) => client.request(request).await,
        }
        .map_err(|e| (format!("cannot reach the collector: {e}"), true))?;
        let status = response.status();
        let grpc_status = response.headers().get("grpc-status").cloned();
        let collected = response
            .into_body()
            .collect()
            .await
            .map_err(|e| (format!("the collector's answer broke off: {e}"), true))?;
        if !status.is_success() {
            let retriable = status.is_server_error() || status.as_u16() == 429;
            return Err((format!("the collector answered {status}"), retriable));
        }
        if self.protocol == Protocol::Grpc {
            let grpc_status = grpc_status.or_else(|| {
                collected
                    .trailers()
                    .and_then(|t| t.get("grpc-status").cloned())
            });
            match grpc_status.as_ref().map(HeaderValue::as_bytes) {
                Some(b"0") => {}
                // UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED: retry.
                Some(code @ (b"14" | b"8" | b"4" | b"10")) => {
                    return Err((
                        format!("gRPC status {}", String::from_utf8_lossy(code)),
                        true,
                    ));
                }
                Some(code) => {
                    return Err((
                        format!("gRPC status {}", String::from_utf8_lossy(code)),
                        false,
                    ));
                }
                None => return Err(("the collector sent no gRPC status".into(), true)),
            }
        }
        Ok(())
    }
}

fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// `key1=value1,key2=value2` with percent-encoded values (W3C baggage
/// syntax, as the OTLP exporter specification asks).
fn parse_headers(text: &str) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("OTLP header `{pair}` is not key=value"))?;
            let name = HeaderName::try_from(name.trim())
                .map_err(|_| format!("`{}` is not a header name", name.trim()))?;
            let value = HeaderValue::try_from(percent_decode(value.trim()))
                .map_err(|_| format!("the value of OTLP header `{name}` is not valid"))?;
            Ok((name, value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[tokio::test]
    async fn endpoints_follow_the_exporter_variables() {
        assert!(Target::from_env(&env(&[]), false).unwrap().is_none());
        let t = Target::from_env(&env(&[]), true).unwrap().unwrap();
        assert_eq!(t.uri, "http://localhost:4318/v1/traces");
        let t = Target::from_env(
            &env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")]),
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.uri, "http://c:4318/v1/traces");
        let t = Target::from_env(
            &env(&[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://c/custom/path",
            )]),
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.uri, "https://c/custom/path");
        let t = Target::from_env(
            &env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b,x-tenant=t1"),
            ]),
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.protocol, Protocol::Grpc);
        assert_eq!(t.uri.path(), GRPC_PATH);
        assert_eq!(t.headers[0].1, "a b");
        assert!(
            Target::from_env(&env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]), true).is_err()
        );
        assert!(
            Target::from_env(&env(&[("OTEL_SDK_DISABLED", "true")]), true)
                .unwrap()
                .is_none()
        );
    }
}
