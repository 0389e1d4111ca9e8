//! `switchboard-bench`: an HTTP/1.1 keep-alive load generator.
//!
//! Closed loop (`--connections N --duration S`): each connection sends its next request as
//! soon as the previous response has been read. Open loop (`--rate R --duration S`):
//! requests are due at fixed intervals and their latency counts from the due time. Fixed
//! count (`--requests N`): a closed loop that stops after N requests (for instruction counts).
//!
//! Mixed runs (`--stream-body-file`) alternate non-stream and stream requests; with
//! `--check-chat` every body must be a complete chat completion (for runs through retries
//! and failover, where bodies differ), and `--request-log` writes one JSON line per request
//! with the response headers named by `--log-header`.
//!
//! Prints one JSON object on stdout.

mod check;
mod client;
mod schedule;
mod stats;
mod verify;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use http::header::{HOST, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use client::{Conn, Done, ErrorKind, Failure, Template};
use schedule::Schedule;
use stats::Summary;
use verify::Verifier;

/// HTTP/1.1 keep-alive load generator: closed loop, open loop at a constant rate, or a fixed
/// number of requests. Prints one JSON object.
#[derive(Debug, Parser)]
#[command(name = "switchboard-bench", version)]
struct Args {
    /// Target URL (http only), e.g. http://127.0.0.1:4000/v1/chat/completions.
    #[arg(long)]
    url: String,
    /// Request header `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "K:V")]
    headers: Vec<String>,
    /// POST this file as the body (without it: GET).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// Connections. Closed loop: each sends sequentially. Open loop: the most requests in
    /// flight at once (a due request waits for a free connection, and the wait counts).
    #[arg(long, short = 'c', default_value_t = 64)]
    connections: usize,
    /// Open loop: requests per second, at fixed intervals.
    #[arg(long, conflicts_with = "requests")]
    rate: Option<f64>,
    /// Measured seconds (after the warm-up).
    #[arg(long, short = 'd', default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before measuring (same mode and rate; not recorded).
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Closed loop: stop after exactly this many requests instead of after --duration.
    #[arg(long)]
    requests: Option<u64>,
    /// The response is a stream: also record the time to the first body byte.
    #[arg(long)]
    stream: bool,
    /// Mixed run: every other request (odd sequence numbers) sends this body instead and is
    /// a stream (time to first byte recorded; checked as a stream by --check-chat).
    #[arg(long, conflicts_with = "stream", requires = "body_file")]
    stream_body_file: Option<PathBuf>,
    /// Every body must be a complete chat completion: JSON with choices, or a stream of
    /// `data:` events without an error event that ends with `data: [DONE]`.
    #[arg(long)]
    check_chat: bool,
    /// Record this response header for every request (repeatable): counted by value in the
    /// report's `header_counts`, and written to the --request-log.
    #[arg(long = "log-header", value_name = "NAME")]
    log_headers: Vec<String>,
    /// Write one JSON line per measured request (sequence number, stream, outcome, status,
    /// latency, --log-header values, and the start of the body of failures).
    #[arg(long)]
    request_log: Option<PathBuf>,
    /// Every body must equal the first complete one (mismatches count as errors).
    #[arg(long)]
    verify: bool,
    /// Every body must equal this file (implies --verify).
    #[arg(long)]
    expect_file: Option<PathBuf>,
    /// Seconds before a request (until its last body byte) counts as a timeout.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Runtime threads. 1 uses tokio's single-threaded runtime, the cheapest per request.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => match serde_json::to_string(&report) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("switchboard-bench: {err}");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("switchboard-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<Report> {
    let plan = Plan::from_args(args)?;
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    let cpu_before = own_cpu_ms();
    let mut report = runtime.block_on(execute(plan))?;
    drop(runtime);
    report.client_cpu_ms = own_cpu_ms().zip(cpu_before).map(|(a, b)| a - b);
    Ok(report)
}

/// Everything a run needs, validated.
struct Plan {
    template: Arc<Template>,
    verifier: Option<Arc<Verifier>>,
    mode: Mode,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    timeout: Duration,
    stream: bool,
    /// Odd sequence numbers are streams (`--stream-body-file`).
    mixed: bool,
    /// The next request's sequence number.
    next: AtomicU64,
    /// Where to write a line per request (`--request-log`).
    request_log: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Closed,
    Open { rate: f64 },
    Count { requests: u64 },
}

impl Plan {
    fn from_args(args: &Args) -> anyhow::Result<Self> {
        let uri: Uri = args.url.parse().context("--url")?;
        if uri.scheme_str() != Some("http") {
            bail!("--url: only http:// URLs are supported");
        }
        let authority = uri.authority().context("--url has no host")?.clone();
        let port = authority.port_u16().unwrap_or(80);
        let addr: SocketAddr = (authority.host(), port)
            .to_socket_addrs()
            .with_context(|| format!("resolving {authority}"))?
            .next()
            .with_context(|| format!("{authority} resolves to no address"))?;
        let path: Uri = uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .context("--url path")?;

        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(authority.as_str())?);
        for h in &args.headers {
            let (name, value) = h
                .split_once(':')
                .with_context(|| format!("--header {h:?}: expected Name: value"))?;
            headers.append(
                HeaderName::from_bytes(name.trim().as_bytes())
                    .with_context(|| format!("--header {h:?}"))?,
                HeaderValue::from_str(value.trim()).with_context(|| format!("--header {h:?}"))?,
            );
        }
        let (method, body) = match &args.body_file {
            Some(path) => (
                Method::POST,
                Bytes::from(
                    std::fs::read(path)
                        .with_context(|| format!("--body-file {}", path.display()))?,
                ),
            ),
            None => (Method::GET, Bytes::new()),
        };
        let verifier = match &args.expect_file {
            Some(path) => Some(Verifier::expect(Bytes::from(
                std::fs::read(path).with_context(|| format!("--expect-file {}", path.display()))?,
            ))),
            None if args.verify => Some(Verifier::first()),
            None => None,
        };
        let stream_body = match &args.stream_body_file {
            Some(path) => {
                Some(Bytes::from(std::fs::read(path).with_context(|| {
                    format!("--stream-body-file {}", path.display())
                })?))
            }
            None => None,
        };
        let log_headers = args
            .log_headers
            .iter()
            .map(|name| {
                HeaderName::from_bytes(name.trim().as_bytes())
                    .with_context(|| format!("--log-header {name:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mode = match (args.rate, args.requests) {
            (Some(rate), _) if !(rate > 0.0 && rate.is_finite()) => {
                bail!("--rate must be a positive number")
            }
            (Some(rate), _) => Mode::Open { rate },
            (None, Some(requests)) => Mode::Count { requests },
            (None, None) => Mode::Closed,
        };
        if args.connections == 0 {
            bail!("--connections must be at least 1");
        }
        let secs = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v).with_context(|| format!("--{name}: bad duration {v}"))
        };
        Ok(Self {
            template: Arc::new(Template {
                addr,
                method,
                path,
                headers,
                body,
                stream_body,
                check_chat: args.check_chat,
                log_headers,
            }),
            verifier: verifier.map(Arc::new),
            mode,
            connections: args.connections,
            warmup: secs("warmup", args.warmup)?,
            duration: secs("duration", args.duration)?,
            timeout: secs("timeout", args.timeout)?,
            stream: args.stream,
            mixed: args.stream_body_file.is_some(),
            next: AtomicU64::new(0),
            request_log: args.request_log.clone(),
        })
    }

    /// The next request: its sequence number and whether it is a stream.
    fn next_request(&self) -> (u64, bool) {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i, self.stream || (self.mixed && i % 2 == 1))
    }
}

/// One request of the --request-log. Latencies are in microseconds.
#[derive(Debug, Serialize)]
struct LogLine {
    i: u64,
    stream: bool,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_us: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttfb_us: Option<f64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    excerpt: Option<String>,
}

fn micros(ns: u64) -> f64 {
    (ns as f64 / 100.0).round() / 10.0
}

/// The value counted for a request without the header.
const NO_HEADER: &str = "(none)";

/// What one connection task saw.
#[derive(Default)]
struct Tally {
    latency_ns: Vec<u64>,
    ttfb_ns: Vec<u64>,
    errors: Errors,
    warmup_errors: u64,
    status_codes: BTreeMap<u16, u64>,
    first_error: Option<String>,
    /// Completion of the last measured request (fixed-count runs).
    last_end: Option<Instant>,
    /// Per --log-header name, requests by the header's value.
    header_counts: BTreeMap<String, BTreeMap<String, u64>>,
    /// Lines of the --request-log.
    log: Vec<LogLine>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Errors {
    total: u64,
    connect: u64,
    status: u64,
    mismatch: u64,
    invalid: u64,
    timeout: u64,
    io: u64,
}

impl ErrorKind {
    /// The name of the kind in the report's `errors`.
    fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Status(_) => "status",
            ErrorKind::Mismatch => "mismatch",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Io => "io",
        }
    }
}

impl Tally {
    fn done(&mut self, plan: &Plan, (i, stream): (u64, bool), done: Done) {
        self.latency_ns.push(done.total_ns);
        if stream {
            self.ttfb_ns.push(done.ttfb_ns);
        }
        let headers = self.count_headers(plan, done.headers);
        if plan.request_log.is_some() {
            self.log.push(LogLine {
                i,
                stream,
                ok: true,
                status: Some(200),
                error: None,
                message: None,
                latency_us: Some(micros(done.total_ns)),
                ttfb_us: stream.then(|| micros(done.ttfb_ns)),
                headers,
                excerpt: None,
            });
        }
    }

    /// Counts the --log-header values of a measured request; returns them by name.
    fn count_headers(
        &mut self,
        plan: &Plan,
        values: Vec<Option<String>>,
    ) -> BTreeMap<String, String> {
        let names = &plan.template.log_headers;
        let mut named = BTreeMap::new();
        if names.is_empty() {
            return named;
        }
        let values = values.into_iter().chain(std::iter::repeat(None));
        for (name, value) in names.iter().zip(values) {
            let value = value.unwrap_or_else(|| NO_HEADER.to_string());
            *self
                .header_counts
                .entry(name.as_str().to_string())
                .or_default()
                .entry(value.clone())
                .or_default() += 1;
            named.insert(name.as_str().to_string(), value);
        }
        named
    }

    fn failed(&mut self, plan: &Plan, (i, stream): (u64, bool), failure: Failure, measured: bool) {
        if !measured {
            self.warmup_errors += 1;
            return;
        }
        let e = &mut self.errors;
        e.total += 1;
        match failure.kind {
            ErrorKind::Connect => e.connect += 1,
            ErrorKind::Status(code) => {
                e.status += 1;
                *self.status_codes.entry(code.as_u16()).or_default() += 1;
            }
            ErrorKind::Mismatch => e.mismatch += 1,
            ErrorKind::Invalid => e.invalid += 1,
            ErrorKind::Timeout => e.timeout += 1,
            ErrorKind::Io => e.io += 1,
        }
        if self.first_error.is_none() {
            self.first_error = Some(failure.message.clone());
        }
        let headers = if failure.status.is_some() {
            self.count_headers(plan, failure.headers)
        } else {
            BTreeMap::new()
        };
        if plan.request_log.is_some() {
            self.log.push(LogLine {
                i,
                stream,
                ok: false,
                status: failure.status,
                error: Some(failure.kind.name()),
                message: Some(failure.message),
                latency_us: failure.total_ns.map(micros),
                ttfb_us: None,
                headers,
                excerpt: failure.excerpt,
            });
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latency_ns.extend(other.latency_ns);
        self.ttfb_ns.extend(other.ttfb_ns);
        for (name, counts) in other.header_counts {
            let mine = self.header_counts.entry(name).or_default();
            for (value, n) in counts {
                *mine.entry(value).or_default() += n;
            }
        }
        self.log.extend(other.log);
        let (a, b) = (&mut self.errors, other.errors);
        a.total += b.total;
        a.connect += b.connect;
        a.status += b.status;
        a.mismatch += b.mismatch;
        a.invalid += b.invalid;
        a.timeout += b.timeout;
        a.io += b.io;
        self.warmup_errors += other.warmup_errors;
        for (code, n) in other.status_codes {
            *self.status_codes.entry(code).or_default() += n;
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.last_end = self.last_end.max(other.last_end);
    }
}

/// The JSON printed on stdout. Latencies are in microseconds.
#[derive(Debug, Serialize)]
struct Report {
    mode: &'static str,
    connections: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_rate: Option<f64>,
    /// Measured seconds.
    duration_s: f64,
    /// Measured requests, successful or not.
    requests: u64,
    ok: u64,
    errors: Errors,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    status_codes: BTreeMap<u16, u64>,
    warmup_errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_error: Option<String>,
    /// Successful requests per second.
    rps: f64,
    latency_us: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttfb_us: Option<Summary>,
    /// Measured requests by the value of each --log-header (`(none)`: absent).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    header_counts: BTreeMap<String, BTreeMap<String, u64>>,
    /// This process's CPU time (user + system) over the run, in milliseconds.
    client_cpu_ms: Option<f64>,
}

async fn execute(plan: Plan) -> anyhow::Result<Report> {
    let plan = Arc::new(plan);
    // Connect everything first, so that a connection storm (1,000 connections at once) is
    // not charged to the first requests; fixed-count runs connect lazily, like any client.
    let mut conns = Vec::with_capacity(plan.connections);
    if !matches!(plan.mode, Mode::Count { .. }) {
        let opening: Vec<_> = (0..plan.connections)
            .map(|_| tokio::spawn(Conn::open(plan.template.addr)))
            .collect();
        for conn in opening {
            conns.push(conn.await?);
        }
    }
    let mut conns = conns.into_iter();
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let end = measure_from + plan.duration;

    let mut tasks = Vec::with_capacity(plan.connections);
    let mut pacer = None;
    match plan.mode {
        Mode::Closed => {
            for _ in 0..plan.connections {
                let plan = plan.clone();
                let conn = conns.next().unwrap_or_default();
                tasks.push(tokio::spawn(closed_loop(plan, conn, measure_from, end)));
            }
        }
        Mode::Count { requests } => {
            let left = Arc::new(AtomicU64::new(requests));
            for _ in 0..plan.connections {
                let (plan, left) = (plan.clone(), left.clone());
                tasks.push(tokio::spawn(fixed_count(plan, left)));
            }
        }
        Mode::Open { rate } => {
            let schedule = Schedule::new(start, rate, plan.warmup + plan.duration);
            let (tx, rx) = unbounded_channel();
            pacer = Some(
                std::thread::Builder::new()
                    .name("pacer".into())
                    .spawn(move || schedule::pace(schedule, tx))?,
            );
            let rx = Arc::new(Mutex::new(rx));
            for _ in 0..plan.connections {
                let (plan, rx) = (plan.clone(), rx.clone());
                let conn = conns.next().unwrap_or_default();
                tasks.push(tokio::spawn(open_loop(plan, conn, rx, measure_from)));
            }
        }
    }
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await?);
    }
    if let Some(pacer) = pacer
        && pacer.join().is_err()
    {
        bail!("the pacer thread failed");
    }

    let duration = match plan.mode {
        Mode::Count { .. } => tally
            .last_end
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(start)),
        Mode::Closed | Mode::Open { .. } => plan.duration,
    };
    if let Some(path) = &plan.request_log {
        write_request_log(path, std::mem::take(&mut tally.log))?;
    }
    let ok = tally.latency_ns.len() as u64;
    let secs = duration.as_secs_f64();
    Ok(Report {
        mode: match plan.mode {
            Mode::Closed => "closed",
            Mode::Open { .. } => "open",
            Mode::Count { .. } => "count",
        },
        connections: plan.connections,
        target_rate: match plan.mode {
            Mode::Open { rate } => Some(rate),
            _ => None,
        },
        duration_s: secs,
        requests: ok + tally.errors.total,
        ok,
        errors: tally.errors,
        status_codes: tally.status_codes,
        warmup_errors: tally.warmup_errors,
        first_error: tally.first_error,
        rps: if secs > 0.0 { ok as f64 / secs } else { 0.0 },
        latency_us: stats::summarize(&mut tally.latency_ns),
        ttfb_us: stats::summarize(&mut tally.ttfb_ns),
        header_counts: std::mem::take(&mut tally.header_counts),
        client_cpu_ms: None,
    })
}

/// Writes the --request-log, in sequence order.
fn write_request_log(path: &std::path::Path, mut lines: Vec<LogLine>) -> anyhow::Result<()> {
    lines.sort_unstable_by_key(|l| l.i);
    let file =
        std::fs::File::create(path).with_context(|| format!("--request-log {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for line in &lines {
        serde_json::to_writer(&mut out, line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Pause after a failed connect, so a dead target is not hammered in a tight loop.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

async fn after_failure(conn: &mut Conn, kind: ErrorKind) {
    match kind {
        ErrorKind::Connect => tokio::time::sleep(CONNECT_BACKOFF).await,
        ErrorKind::Timeout => conn.reset(),
        _ => {}
    }
}

/// Requests back to back until `end`. A request still running at `end` is abandoned
/// uncounted; throughput counts the completions inside the measured window.
async fn closed_loop(
    plan: Arc<Plan>,
    mut conn: Conn,
    measure_from: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let verifier = plan.verifier.as_deref();
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let deadline = (sent + plan.timeout).min(end);
        let request = plan.next_request();
        let outcome = tokio::time::timeout_at(
            deadline.into(),
            conn.exchange(&plan.template, verifier, sent, request.1),
        )
        .await;
        let finished = Instant::now();
        let measured = finished >= measure_from;
        match outcome {
            Ok(Ok(done)) if measured => tally.done(&plan, request, done),
            Ok(Ok(_)) => {}
            Ok(Err(failure)) => {
                let kind = failure.kind;
                tally.failed(&plan, request, failure, measured);
                after_failure(&mut conn, kind).await;
            }
            Err(_) if deadline >= end => break, // the run is over, not a timeout
            Err(_) => {
                tally.failed(&plan, request, Failure::timeout(), measured);
                conn.reset();
            }
        }
    }
    tally
}

/// Requests back to back until `left` reaches zero; everything is measured.
async fn fixed_count(plan: Arc<Plan>, left: Arc<AtomicU64>) -> Tally {
    let mut tally = Tally::default();
    let mut conn = Conn::default();
    let verifier = plan.verifier.as_deref();
    while left
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
    {
        let sent = Instant::now();
        let request = plan.next_request();
        let exchange = conn.exchange(&plan.template, verifier, sent, request.1);
        let outcome = tokio::time::timeout(plan.timeout, exchange).await;
        match outcome {
            Ok(Ok(done)) => tally.done(&plan, request, done),
            Ok(Err(failure)) => {
                let kind = failure.kind;
                tally.failed(&plan, request, failure, true);
                after_failure(&mut conn, kind).await;
            }
            Err(_) => {
                tally.failed(&plan, request, Failure::timeout(), true);
                conn.reset();
            }
        }
        tally.last_end = Some(Instant::now());
    }
    tally
}

/// Takes due times from the pacer and sends each request at (or, when every connection is
/// busy, after) its due time; latency counts from the due time.
async fn open_loop(
    plan: Arc<Plan>,
    mut conn: Conn,
    due: Arc<Mutex<UnboundedReceiver<Instant>>>,
    measure_from: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let verifier = plan.verifier.as_deref();
    loop {
        let next = due.lock().await.recv().await;
        let Some(scheduled) = next else { break };
        let measured = scheduled >= measure_from;
        let deadline = scheduled + plan.timeout;
        let request = plan.next_request();
        if Instant::now() >= deadline {
            // Due so long ago that it would time out before being sent.
            tally.failed(&plan, request, Failure::timeout(), measured);
            continue;
        }
        let outcome = tokio::time::timeout_at(
            deadline.into(),
            conn.exchange(&plan.template, verifier, scheduled, request.1),
        )
        .await;
        match outcome {
            Ok(Ok(done)) if measured => tally.done(&plan, request, done),
            Ok(Ok(_)) => {}
            Ok(Err(failure)) => {
                let kind = failure.kind;
                tally.failed(&plan, request, failure, measured);
                after_failure(&mut conn, kind).await;
            }
            Err(_) => {
                tally.failed(&plan, request, Failure::timeout(), measured);
                conn.reset();
            }
        }
    }
    tally
}

/// This process's user + system CPU time in milliseconds, from `/proc/self/stat`
/// (clock ticks of 10 ms: USER_HZ is 100 on Linux).
fn own_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 * 10.0)
}
