//! One keep-alive HTTP/1.1 connection and one request on it.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::check;
use crate::verify::Verifier;

/// What every request looks like.
#[derive(Debug)]
pub struct Template {
    pub addr: SocketAddr,
    pub method: Method,
    /// Origin form (`/v1/chat/completions?x=y`): the connection API sends it as is.
    pub path: Uri,
    /// Includes `host`; `content-length` is added by hyper from the body.
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body of stream requests in a mixed run (`--stream-body-file`).
    pub stream_body: Option<Bytes>,
    /// Check every body structurally as a chat completion (`--check-chat`).
    pub check_chat: bool,
    /// Response headers recorded for each request (`--log-header`).
    pub log_headers: Vec<HeaderName>,
}

impl Template {
    fn request(&self, stream: bool) -> Request<Full<Bytes>> {
        let body = match &self.stream_body {
            Some(body) if stream => body,
            _ => &self.body,
        };
        let mut req = Request::new(Full::new(body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.path.clone();
        *req.headers_mut() = self.headers.clone();
        req
    }
}

/// Why a request failed. The names are the keys of the report's `errors` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// TCP connect or HTTP handshake failed.
    Connect,
    /// The response status was not 200.
    Status(StatusCode),
    /// The body differed from the reference.
    Mismatch,
    /// The body is not a complete chat completion (`--check-chat`).
    Invalid,
    /// No complete response within `--timeout` (open loop: or not even sent by then).
    Timeout,
    /// The connection failed while sending or reading (reset, closed early, bad HTTP).
    Io,
}

/// A successful exchange, timed from `start`.
#[derive(Debug, Clone)]
pub struct Done {
    /// Start to the last body byte.
    pub total_ns: u64,
    /// Start to the first body byte.
    pub ttfb_ns: u64,
    /// The values of the template's `log_headers`, in order (empty when there are none).
    pub headers: Vec<Option<String>>,
}

/// A failure, with the message of the underlying error for the report.
#[derive(Debug)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
    /// The response status, when a response head arrived.
    pub status: Option<u16>,
    /// As in [`Done::headers`], when a response head arrived.
    pub headers: Vec<Option<String>>,
    /// The start of the body read before the failure (for the request log).
    pub excerpt: Option<String>,
    /// Start to the failure.
    pub total_ns: Option<u64>,
}

impl Failure {
    /// The request did not complete within the timeout.
    pub fn timeout() -> Self {
        Self::new(ErrorKind::Timeout, "timed out")
    }

    fn new(kind: ErrorKind, message: impl ToString) -> Self {
        Self {
            kind,
            message: message.to_string(),
            status: None,
            headers: Vec::new(),
            excerpt: None,
            total_ns: None,
        }
    }

    /// Adds what was seen of the response.
    fn seen(mut self, seen: &Seen, body: &[u8], end: Instant) -> Self {
        self.status = Some(seen.status.as_u16());
        self.headers.clone_from(&seen.headers);
        if !body.is_empty() {
            self.excerpt = Some(excerpt(body));
        }
        self.total_ns = Some(ns_since(seen.start, end));
        self
    }
}

/// The head of a response, as far as the report cares.
struct Seen {
    start: Instant,
    status: StatusCode,
    headers: Vec<Option<String>>,
}

/// Bytes of a failed body kept for the request log: its start and its end.
const EXCERPT: usize = 400;

fn excerpt(body: &[u8]) -> String {
    if body.len() <= 2 * EXCERPT {
        return String::from_utf8_lossy(body).into_owned();
    }
    format!(
        "{} [... {} bytes ...] {}",
        String::from_utf8_lossy(&body[..EXCERPT]),
        body.len() - 2 * EXCERPT,
        String::from_utf8_lossy(&body[body.len() - EXCERPT..])
    )
}

fn ns_since(start: Instant, end: Instant) -> u64 {
    u64::try_from(end.saturating_duration_since(start).as_nanos()).unwrap_or(u64::MAX)
}

/// A lazily (re)connected HTTP/1.1 connection.
#[derive(Default)]
pub struct Conn {
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// Opens the connection now (before the clock starts). A failure is left for the first
    /// request to retry and count.
    pub async fn open(addr: SocketAddr) -> Self {
        Self {
            sender: connect(addr).await.ok(),
        }
    }

    /// Drops the connection, e.g. after a timeout left it in an unknown state.
    pub fn reset(&mut self) {
        self.sender = None;
    }

    async fn ready(&mut self, addr: SocketAddr) -> Result<&mut SendRequest<Full<Bytes>>, Failure> {
        // A connection the server closed (or that broke) is replaced.
        if let Some(sender) = &mut self.sender
            && sender.ready().await.is_err()
        {
            self.sender = None;
        }
        let sender = match self.sender.take() {
            Some(sender) => sender,
            None => connect(addr).await?,
        };
        Ok(self.sender.insert(sender))
    }

    /// Sends one request and reads its whole body. `start` is when the request counts as
    /// sent: now in a closed loop, its due time in an open loop. `stream` picks the stream
    /// body of a mixed run.
    pub async fn exchange(
        &mut self,
        template: &Template,
        verifier: Option<&Verifier>,
        start: Instant,
        stream: bool,
    ) -> Result<Done, Failure> {
        let sender = self.ready(template.addr).await?;
        let response = match sender.send_request(template.request(stream)).await {
            Ok(response) => response,
            Err(err) => {
                self.sender = None;
                return Err(Failure::new(ErrorKind::Io, err));
            }
        };
        let seen = Seen {
            start,
            status: response.status(),
            headers: template
                .log_headers
                .iter()
                .map(|name| {
                    response
                        .headers()
                        .get(name)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                })
                .collect(),
        };
        let status = seen.status;
        // The whole body is kept only when it is checked or may explain a failure.
        let keep = template.check_chat || status != StatusCode::OK;
        let mut kept = Vec::new();
        let mut body = response.into_body();
        let mut matcher = verifier.map(Verifier::matcher);
        let mut first_byte = None;
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                Err(err) => {
                    self.sender = None;
                    let failure = Failure::new(ErrorKind::Io, err);
                    return Err(failure.seen(&seen, &kept, Instant::now()));
                }
            };
            if let Ok(data) = frame.into_data() {
                if first_byte.is_none() && !data.is_empty() {
                    first_byte = Some(Instant::now());
                }
                if let Some(m) = &mut matcher {
                    m.feed(&data);
                }
                if keep {
                    kept.extend_from_slice(&data);
                }
            }
        }
        let end = Instant::now();
        if status != StatusCode::OK {
            let failure = Failure::new(ErrorKind::Status(status), format!("status {status}"));
            return Err(failure.seen(&seen, &kept, end));
        }
        if let Some(m) = matcher
            && !m.finish()
        {
            let failure = Failure::new(ErrorKind::Mismatch, "body differs from the reference");
            return Err(failure.seen(&seen, &kept, end));
        }
        if template.check_chat
            && let Err(why) = check::chat(&kept, stream)
        {
            return Err(Failure::new(ErrorKind::Invalid, why).seen(&seen, &kept, end));
        }
        Ok(Done {
            total_ns: ns_since(start, end),
            ttfb_ns: ns_since(start, first_byte.unwrap_or(end)),
            headers: seen.headers,
        })
    }
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, Failure> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| Failure::new(ErrorKind::Connect, format!("connect {addr}: {e}")))?;
    stream
        .set_nodelay(true)
        .map_err(|e| Failure::new(ErrorKind::Connect, e))?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| Failure::new(ErrorKind::Connect, e))?;
    tokio::spawn(async move {
        // Errors surface on the sender; nothing to do with them here.
        let _ = connection.await;
    });
    Ok(sender)
}
