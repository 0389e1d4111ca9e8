//! Prometheus metrics (`GET /metrics`, text format 0.0.4).
//!
//! Request metrics are recorded once per request, from its finished log
//! record (the same facts the request log keeps), so they cost a few atomic
//! adds at the end of a request and nothing on the way. State that already
//! lives elsewhere (deployment health, budgets, rate-limit windows, the log
//! writer's queue) is read at scrape time instead of being mirrored.
//!
//! Labels are low-cardinality by default: model group, deployment,
//! provider, status class. Per-key and per-team series are opt-in
//! (`litellm_settings.metrics_key_labels`), since a gateway with thousands
//! of keys would otherwise flood the time-series database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{
    CounterVec, Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, Opts,
    Registry, TextEncoder,
};
use switchboard_governance::time::now_ms;
use switchboard_governance::{Principal, Registry as Principals};
use switchboard_store::LogRecord;

use crate::runtime::Runtime;

/// Seconds: from a few milliseconds to the longest generations.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// Seconds: the gateway's own time is measured in microseconds.
const OVERHEAD_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.1,
];
/// Seconds between stream chunks.
const GAP_BUCKETS: &[f64] = &[
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The gateway's metrics, kept for the life of the process (across config
/// reloads, so counters never go back).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    upstream: HistogramVec,
    overhead: Histogram,
    first_token: HistogramVec,
    chunk_gap: HistogramVec,
    tokens: IntCounterVec,
    spend: CounterVec,
    retries: IntCounterVec,
    fallbacks: IntCounterVec,
    cooldowns: IntCounterVec,
    rejected: IntCounterVec,
    key_requests: IntCounterVec,
    key_spend: CounterVec,
    callback_records: IntCounterVec,
    key_labels: AtomicBool,
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help)
}

impl Metrics {
    /// Registers every metric. Names and labels are constants, so an error
    /// here is a defect (the unit test below would fail first).
    pub fn new() -> prometheus::Result<Metrics> {
        let deployment = &["model_group", "deployment", "provider"];
        let group = &["model_group", "provider"];
        let histogram = |name: &str, help: &str, buckets: &[f64], labels: &[&str]| {
            HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )
        };
        let metrics = Metrics {
            registry: Registry::new(),
            requests: IntCounterVec::new(
                opts(
                    "switchboard_requests_total",
                    "Requests answered, by deployment and status class (2xx, 4xx, 5xx).",
                ),
                &[
                    "model_group",
                    "deployment",
                    "provider",
                    "status_class",
                    "call_type",
                ],
            )?,
            duration: histogram(
                "switchboard_request_duration_seconds",
                "Time from the request's arrival to the end of its answer.",
                LATENCY_BUCKETS,
                group,
            )?,
            upstream: histogram(
                "switchboard_upstream_duration_seconds",
                "Time spent waiting on upstreams (the request duration minus the gateway overhead).",
                LATENCY_BUCKETS,
                group,
            )?,
            overhead: Histogram::with_opts(
                HistogramOpts::new(
                    "switchboard_gateway_overhead_seconds",
                    "Time spent in the gateway itself before the answer's headers.",
                )
                .buckets(OVERHEAD_BUCKETS.to_vec()),
            )?,
            first_token: histogram(
                "switchboard_time_to_first_token_seconds",
                "Streams: time from the request's arrival to the upstream's first chunk.",
                LATENCY_BUCKETS,
                group,
            )?,
            chunk_gap: histogram(
                "switchboard_time_between_chunks_seconds",
                "Streams: time between consecutive upstream chunks (time between tokens).",
                GAP_BUCKETS,
                group,
            )?,
            tokens: IntCounterVec::new(
                opts(
                    "switchboard_tokens_total",
                    "Tokens, by direction (input, output).",
                ),
                &["model_group", "provider", "direction"],
            )?,
            spend: CounterVec::new(
                opts(
                    "switchboard_spend_usd_total",
                    "Cost of answered requests, in USD.",
                ),
                group,
            )?,
            retries: IntCounterVec::new(
                opts(
                    "switchboard_retries_total",
                    "Attempts beyond the first (retries and hedges).",
                ),
                &["model_group"],
            )?,
            fallbacks: IntCounterVec::new(
                opts(
                    "switchboard_fallbacks_total",
                    "Requests sent on to a fallback model group.",
                ),
                &["from_model_group", "to_model_group"],
            )?,
            cooldowns: IntCounterVec::new(
                opts(
                    "switchboard_cooldowns_total",
                    "Times a deployment was taken out of rotation after failures.",
                ),
                deployment,
            )?,
            rejected: IntCounterVec::new(
                opts(
                    "switchboard_rejected_requests_total",
                    "Requests refused before routing (no or invalid key), by status.",
                ),
                &["status"],
            )?,
            key_requests: IntCounterVec::new(
                opts(
                    "switchboard_key_requests_total",
                    "Requests by key alias and team (with metrics_key_labels).",
                ),
                &["key_alias", "team", "status_class"],
            )?,
            key_spend: CounterVec::new(
                opts(
                    "switchboard_key_spend_usd_total",
                    "Spend by key alias and team, in USD (with metrics_key_labels).",
                ),
                &["key_alias", "team"],
            )?,
            callback_records: IntCounterVec::new(
                opts(
                    "switchboard_callback_records_total",
                    "Request records by callback: delivered, or dropped (queue full, or the sink failed after its retries).",
                ),
                &["callback", "outcome"],
            )?,
            key_labels: AtomicBool::new(false),
        };
        let collectors: [Box<dyn Collector>; 15] = [
            Box::new(metrics.requests.clone()),
            Box::new(metrics.duration.clone()),
            Box::new(metrics.upstream.clone()),
            Box::new(metrics.overhead.clone()),
            Box::new(metrics.first_token.clone()),
            Box::new(metrics.chunk_gap.clone()),
            Box::new(metrics.tokens.clone()),
            Box::new(metrics.spend.clone()),
            Box::new(metrics.retries.clone()),
            Box::new(metrics.fallbacks.clone()),
            Box::new(metrics.cooldowns.clone()),
            Box::new(metrics.rejected.clone()),
            Box::new(metrics.key_requests.clone()),
            Box::new(metrics.key_spend.clone()),
            Box::new(metrics.callback_records.clone()),
        ];
        for collector in collectors {
            metrics.registry.register(collector)?;
        }
        Ok(metrics)
    }

    /// Turns the per-key and per-team series on or off (config reload).
    pub fn set_key_labels(&self, on: bool) {
        self.key_labels.store(on, Ordering::Relaxed);
    }

    /// Records a finished request. `chunk_gaps`: the times between its
    /// stream's chunks.
    pub fn observe(&self, record: &LogRecord, chunk_gaps: &[Duration]) {
        let group = record.model_group.as_deref().unwrap_or("");
        let provider = record.provider.as_deref().unwrap_or("");
        let class = status_class(record.status);
        self.requests
            .with_label_values(&[
                group,
                record.deployment_id.as_deref().unwrap_or(""),
                provider,
                class,
                &record.call_type,
            ])
            .inc();
        let seconds = |ms: f64| ms / 1000.0;
        let total = seconds(record.latency_ms);
        let overhead = record.overhead_ms.map_or(0.0, seconds);
        self.duration
            .with_label_values(&[group, provider])
            .observe(total);
        self.upstream
            .with_label_values(&[group, provider])
            .observe((total - overhead).max(0.0));
        self.overhead.observe(overhead);
        if record.stream
            && let Some(ttft) = record.ttft_ms
        {
            self.first_token
                .with_label_values(&[group, provider])
                .observe(seconds(ttft));
        }
        if !chunk_gaps.is_empty() {
            let gaps = self.chunk_gap.with_label_values(&[group, provider]);
            for gap in chunk_gaps {
                gaps.observe(gap.as_secs_f64());
            }
        }
        if record.input_tokens > 0 {
            self.tokens
                .with_label_values(&[group, provider, "input"])
                .inc_by(record.input_tokens);
        }
        if record.output_tokens > 0 {
            self.tokens
                .with_label_values(&[group, provider, "output"])
                .inc_by(record.output_tokens);
        }
        if let Some(cost) = record.cost.filter(|c| *c > 0.0) {
            self.spend
                .with_label_values(&[group, provider])
                .inc_by(cost);
        }
        if record.attempts > 1 {
            self.retries
                .with_label_values(&[group])
                .inc_by(u64::from(record.attempts - 1));
        }
        if self.key_labels.load(Ordering::Relaxed) {
            let alias = record.key_alias.as_deref().unwrap_or("");
            let team = record.team_id.as_deref().unwrap_or("");
            self.key_requests
                .with_label_values(&[alias, team, class])
                .inc();
            if let Some(cost) = record.cost.filter(|c| *c > 0.0) {
                self.key_spend
                    .with_label_values(&[alias, team])
                    .inc_by(cost);
            }
        }
    }

    pub fn fallback(&self, from: &str, to: &str) {
        self.fallbacks.with_label_values(&[from, to]).inc();
    }

    pub fn cooldown(&self, group: &str, deployment: &str, provider: &str) {
        self.cooldowns
            .with_label_values(&[group, deployment, provider])
            .inc();
    }

    /// A request refused before it had a principal (401, 403).
    /// `count` records of `callback` delivered or dropped.
    pub fn callback(&self, callback: &str, delivered: bool, count: usize) {
        let outcome = if delivered { "delivered" } else { "dropped" };
        self.callback_records
            .with_label_values(&[callback, outcome])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    pub fn rejected(&self, status: u16) {
        self.rejected
            .with_label_values(&[&status.to_string()])
            .inc();
    }

    /// The text exposition: the recorded metrics and the live state of the
    /// router, the principals' budgets and limits, and the log writer.
    pub fn render(
        &self,
        runtime: &Runtime,
        principals: &Principals,
        log_dropped: Option<u64>,
    ) -> String {
        let mut families = self.registry.gather();
        match live_state(runtime, principals, log_dropped) {
            Ok(live) => families.extend(live.gather()),
            Err(error) => tracing::error!(%error, "live metrics could not be gathered"),
        }
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut out = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&families, &mut out) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=498 => "4xx",
        // The client went away before the answer ended.
        499 => "cancelled",
        _ => "5xx",
    }
}

/// Gauges read at scrape time from where the state lives.
fn live_state(
    runtime: &Runtime,
    principals: &Principals,
    log_dropped: Option<u64>,
) -> prometheus::Result<Registry> {
    let registry = Registry::new();
    let labels = &["model_group", "deployment", "provider"];
    let in_flight = GaugeVec::new(
        opts(
            "switchboard_in_flight_requests",
            "Requests in flight on each deployment (streams until their end).",
        ),
        labels,
    )?;
    let cooling = GaugeVec::new(
        opts(
            "switchboard_deployment_cooling_down",
            "1 while a deployment is out of rotation after failures.",
        ),
        labels,
    )?;
    let latency = GaugeVec::new(
        opts(
            "switchboard_deployment_latency_seconds",
            "Moving average of a deployment's time to first byte.",
        ),
        labels,
    )?;
    let now = now_ms();
    for group in runtime.routes.groups() {
        for deployment in &group.deployments {
            let values = [
                group.name.as_str(),
                deployment.id.as_str(),
                deployment.provider(),
            ];
            let health = &deployment.health;
            in_flight
                .with_label_values(&values)
                .set(f64::from(health.in_flight()));
            let down = health.cooldown_left(now).is_some();
            cooling
                .with_label_values(&values)
                .set(if down { 1.0 } else { 0.0 });
            if let Some(l) = health.latency() {
                latency.with_label_values(&values).set(l.as_secs_f64());
            }
        }
    }
    let budget = GaugeVec::new(
        opts(
            "switchboard_budget_remaining_usd",
            "Budget left in the current period, for principals with a max_budget.",
        ),
        &["kind", "name"],
    )?;
    let headroom = GaugeVec::new(
        opts(
            "switchboard_rate_limit_remaining",
            "Requests (rpm) or tokens (tpm) left this minute, for principals with limits.",
        ),
        &["kind", "name", "limit"],
    )?;
    let principal = |kind: &str,
                     name: &str,
                     limits: &switchboard_governance::entities::Limits,
                     account: &switchboard_governance::account::Account| {
        if let Some(max) = limits.max_budget {
            budget
                .with_label_values(&[kind, name])
                .set((max - account.spent()).max(0.0));
        }
        let (requests, tokens) = account.this_minute(now);
        if let Some(rpm) = limits.rpm_limit {
            headroom
                .with_label_values(&[kind, name, "rpm"])
                .set(rpm.saturating_sub(requests) as f64);
        }
        if let Some(tpm) = limits.tpm_limit {
            headroom
                .with_label_values(&[kind, name, "tpm"])
                .set(tpm.saturating_sub(tokens) as f64);
        }
    };
    for key in principals.keys.all() {
        let doc = key.doc();
        let name = doc
            .key_alias
            .clone()
            .unwrap_or_else(|| doc.key_name.clone());
        principal(
            "key",
            &name,
            &principals.effective_limits(&*doc),
            &key.account,
        );
    }
    for team in principals.teams.all() {
        let doc = team.doc();
        principal(
            "team",
            doc.id(),
            &principals.effective_limits(&*doc),
            &team.account,
        );
    }
    for user in principals.users.all() {
        let doc = user.doc();
        principal(
            "user",
            doc.id(),
            &principals.effective_limits(&*doc),
            &user.account,
        );
    }
    for organization in principals.organizations.all() {
        let doc = organization.doc();
        principal(
            "organization",
            doc.id(),
            &principals.effective_limits(&*doc),
            &organization.account,
        );
    }
    let collectors: [Box<dyn Collector>; 5] = [
        Box::new(in_flight),
        Box::new(cooling),
        Box::new(latency),
        Box::new(budget),
        Box::new(headroom),
    ];
    for collector in collectors {
        registry.register(collector)?;
    }
    if let Some(dropped) = log_dropped {
        let counter = prometheus::IntCounter::with_opts(opts(
            "switchboard_log_records_dropped_total",
            "Request log records the writer could not keep.",
        ))?;
        counter.inc_by(dropped);
        registry.register(Box::new(counter))?;
    }
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_registers() {
        let metrics = Metrics::new().unwrap();
        assert!(!metrics.registry.gather().is_empty() || metrics.requests.desc().len() == 1);
        let record = LogRecord {
            model_group: Some("g".into()),
            deployment_id: Some("d".into()),
            provider: Some("openai".into()),
            call_type: "chat_completions".into(),
            status: 200,
            latency_ms: 120.0,
            overhead_ms: Some(0.05),
            ttft_ms: Some(30.0),
            stream: true,
            input_tokens: 10,
            output_tokens: 5,
            cost: Some(0.001),
            attempts: 2,
            ..LogRecord::default()
        };
        metrics.observe(&record, &[Duration::from_millis(3)]);
        let names: Vec<String> = metrics
            .registry
            .gather()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        for name in [
            "switchboard_requests_total",
            "switchboard_request_duration_seconds",
            "switchboard_time_to_first_token_seconds",
            "switchboard_time_between_chunks_seconds",
            "switchboard_tokens_total",
            "switchboard_spend_usd_total",
            "switchboard_retries_total",
        ] {
            assert!(
                names.iter().any(|n| n == name),
                "{name} missing from {names:?}"
            );
        }
        assert_eq!(
            metrics
                .requests
                .with_label_values(&["g", "d", "openai", "2xx", "chat_completions"])
                .get(),
            1
        );
    }

    #[test]
    fn status_classes() {
        assert_eq!(status_class(201), "2xx");
        assert_eq!(status_class(429), "4xx");
        assert_eq!(status_class(499), "cancelled");
        assert_eq!(status_class(529), "5xx");
    }
}
