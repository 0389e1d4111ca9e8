//! Dashboard statistics (`/logs/stats`): requests, errors, latency
//! percentiles, tokens and spend per time bucket, and the top model groups,
//! keys and teams of a time range.
//!
//! Reading every request of a month to draw its chart does not stay fast at
//! millions of rows, so the writer keeps rollups in the transaction that
//! inserts the rows they count (DESIGN.md §11):
//! - `log_stats_minute`, `log_stats_hour`: per period and latency bin, the
//!   counts and sums. Percentiles come from the bins: two per doubling of
//!   the latency, with log-linear interpolation inside a bin (within a few
//!   percent). A chart reads the coarsest tier its bucket is a multiple of,
//!   summed per bucket in the database; buckets under a minute read the log
//!   itself.
//! - `log_tops_hour`, `log_tops_day`: per period, requests and spend of each
//!   model group, key and team. A range's top lists add its whole days, then
//!   the whole hours of the partial days, then, for each partial hour at an
//!   edge, its log rows inside the range or, when those are the larger part,
//!   the whole hour less its rows outside: exact, and bounded by half an
//!   hour of log rows per edge (none at an end that is now).
//!
//! Each rollup query sums in the database: a driver hands rows over at a
//! few microseconds each, and a day of minutes is ~30,000 rows at a few
//! requests per second (bench/logstore).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::{Backend, LogRecord, Store, StoreError};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// The last latency bin: everything from 2^20 ms (17 minutes) on.
const MAX_BIN: i64 = 41;

/// A rollup table and the length of its periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Tier {
    table: &'static str,
    unit_ms: i64,
}

/// Finest first.
const STATS_TIERS: [Tier; 2] = [
    Tier {
        table: "log_stats_minute",
        unit_ms: MINUTE_MS,
    },
    Tier {
        table: "log_stats_hour",
        unit_ms: HOUR_MS,
    },
];
/// Coarsest first.
const TOPS_TIERS: [Tier; 2] = [
    Tier {
        table: "log_tops_day",
        unit_ms: DAY_MS,
    },
    Tier {
        table: "log_tops_hour",
        unit_ms: HOUR_MS,
    },
];
/// The tables retention prunes with the log, and their period lengths.
pub(crate) const ROLLUP_TABLES: [(&str, i64); 4] = [
    ("log_stats_minute", MINUTE_MS),
    ("log_stats_hour", HOUR_MS),
    ("log_tops_hour", HOUR_MS),
    ("log_tops_day", DAY_MS),
];
/// Buckets under a minute read the log rows: callers keep such ranges
/// within this.
pub const RAW_STATS_MAX_MS: i64 = HOUR_MS;

/// The latency bin of `ms`: 0 below 1 ms, then `k` for
/// `[2^((k-1)/2), 2^(k/2))`.
pub(crate) fn latency_bin(ms: f64) -> i64 {
    if ms.is_nan() || ms < 1.0 {
        return 0;
    }
    ((2.0 * ms.log2()).floor() as i64 + 1).min(MAX_BIN)
}

fn bin_bounds(bin: i64) -> (f64, f64) {
    if bin <= 0 {
        return (0.0, 1.0);
    }
    let low = 2f64.powf((bin - 1) as f64 / 2.0);
    (low, low * std::f64::consts::SQRT_2)
}

/// The `q` quantile (0..1) of a latency histogram (bin → count).
fn quantile(histogram: &BTreeMap<i64, i64>, q: f64) -> Option<f64> {
    let total: i64 = histogram.values().sum();
    if total == 0 {
        return None;
    }
    // The rank-th smallest sample, 1-based.
    let rank = (q * total as f64).ceil().max(1.0);
    let mut below = 0.0;
    for (&bin, &count) in histogram {
        let count = count as f64;
        if below + count >= rank {
            let (low, high) = bin_bounds(bin);
            if bin >= MAX_BIN {
                return Some(low);
            }
            let fraction = ((rank - below - 0.5) / count).clamp(0.0, 1.0);
            return Some(if bin == 0 {
                fraction * high
            } else {
                low * (high / low).powf(fraction)
            });
        }
        below += count;
    }
    None
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Totals {
    requests: i64,
    errors: i64,
    input_tokens: i64,
    output_tokens: i64,
    spend: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Top {
    label: Option<String>,
    requests: i64,
    spend: f64,
}

impl Top {
    fn add(&mut self, label: Option<&str>, requests: i64, spend: f64) {
        if label.is_some() {
            self.label = label.map(str::to_string);
        }
        self.requests += requests;
        self.spend += spend;
    }
}

/// What a batch of records adds to the rollups.
#[derive(Debug, Default)]
pub(crate) struct Rollup {
    stats: BTreeMap<(Tier, i64, i64), Totals>,
    tops: BTreeMap<(Tier, i64, &'static str, String), Top>,
}

impl Rollup {
    pub(crate) fn of(records: &[&LogRecord]) -> Rollup {
        let mut rollup = Rollup::default();
        for record in records {
            rollup.add(record);
        }
        rollup
    }

    pub(crate) fn add(&mut self, r: &LogRecord) {
        let spend = r.cost.unwrap_or(0.0);
        let bin = latency_bin(r.latency_ms);
        for tier in STATS_TIERS {
            let period = r.started_at.div_euclid(tier.unit_ms);
            let totals = self.stats.entry((tier, period, bin)).or_default();
            totals.requests += 1;
            totals.errors += i64::from(r.status >= 400);
            totals.input_tokens += i64::try_from(r.input_tokens).unwrap_or(i64::MAX);
            totals.output_tokens += i64::try_from(r.output_tokens).unwrap_or(i64::MAX);
            totals.spend += spend;
        }
        for tier in TOPS_TIERS {
            let period = r.started_at.div_euclid(tier.unit_ms);
            for (kind, name, label) in [
                ("model", &r.model_group, None),
                ("key", &r.key_hash, r.key_alias.as_deref()),
                ("team", &r.team_id, None),
            ] {
                if let Some(name) = name {
                    self.tops
                        .entry((tier, period, kind, name.clone()))
                        .or_default()
                        .add(label, 1, spend);
                }
            }
        }
    }

    /// Adds the rollup to the stored one (inside the caller's transaction).
    pub(crate) async fn apply(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        for (&(tier, period, bin), t) in &self.stats {
            let table = tier.table;
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {table} \
                 (period, latency_bin, requests, errors, input_tokens, output_tokens, spend) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (period, latency_bin) DO UPDATE SET \
                 requests = {table}.requests + excluded.requests, \
                 errors = {table}.errors + excluded.errors, \
                 input_tokens = {table}.input_tokens + excluded.input_tokens, \
                 output_tokens = {table}.output_tokens + excluded.output_tokens, \
                 spend = {table}.spend + excluded.spend"
            )))
            .bind(period)
            .bind(bin)
            .bind(t.requests)
            .bind(t.errors)
            .bind(t.input_tokens)
            .bind(t.output_tokens)
            .bind(t.spend)
            .execute(&mut *conn)
            .await?;
        }
        for ((tier, period, kind, name), top) in &self.tops {
            let table = tier.table;
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {table} (period, kind, name, label, requests, spend) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (period, kind, name) DO UPDATE SET \
                 label = COALESCE(excluded.label, {table}.label), \
                 requests = {table}.requests + excluded.requests, \
                 spend = {table}.spend + excluded.spend"
            )))
            .bind(*period)
            .bind(*kind)
            .bind(name.as_str())
            .bind(top.label.as_deref())
            .bind(top.requests)
            .bind(top.spend)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// What `/logs/stats` asks for.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// `[start_ms, end_ms)`; the chart widens it to whole buckets.
    pub start_ms: i64,
    pub end_ms: i64,
    /// A positive multiple of a minute (the rollup's resolution).
    pub bucket_ms: i64,
    /// Entries per top list.
    pub top: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsBucket {
    /// The bucket's start, unix milliseconds.
    pub t: i64,
    pub requests: i64,
    pub errors: i64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub spend: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopModel {
    pub model_group: String,
    pub requests: i64,
    pub spend: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopKey {
    pub key_alias: Option<String>,
    pub key_hash: String,
    pub requests: i64,
    pub spend: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopTeam {
    pub team_id: String,
    pub requests: i64,
    pub spend: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogStats {
    pub buckets: Vec<StatsBucket>,
    pub top_models: Vec<TopModel>,
    pub top_keys: Vec<TopKey>,
    pub top_teams: Vec<TopTeam>,
}

/// Buckets a chart may have at most.
pub const MAX_BUCKETS: i64 = 10_000;

/// Where a part of a time range is read from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    /// Periods `[first, last)` of a rollup tier.
    Rollup(Tier, i64, i64),
    /// Log rows started in `[start, end)`.
    Raw(i64, i64),
    /// Log rows started in `[start, end)`, taken away: a rollup period
    /// counted them, and they are outside the range.
    Less(i64, i64),
}

/// Splits `[start, end)` into whole periods of the first (coarsest) tier,
/// and the parts before and after them into finer tiers, down to log rows.
/// `now`: nothing started at or after it (the newest row's start plus one,
/// or `i64::MAX`), which makes log rows after it free to take away.
fn pieces(start: i64, end: i64, tiers: &[Tier], now: i64) -> Vec<Piece> {
    if start >= end {
        return Vec::new();
    }
    let Some((tier, finer)) = tiers.split_first() else {
        return vec![Piece::Raw(start, end)];
    };
    if finer.is_empty() {
        return finest_pieces(start, end, *tier, now);
    }
    let first = (start + tier.unit_ms - 1).div_euclid(tier.unit_ms);
    let last = end.div_euclid(tier.unit_ms);
    if first >= last {
        return pieces(start, end, finer, now);
    }
    let mut all = pieces(start, first * tier.unit_ms, finer, now);
    all.push(Piece::Rollup(*tier, first, last));
    all.extend(pieces(last * tier.unit_ms, end, finer, now));
    all
}

/// The finest tier's split: a period the range covers only in part is read
/// from its log rows inside the range, or, when those would be the more,
/// as the whole period less its rows outside: at most half a period of log
/// rows per edge, and none after `now` (an end that is "now" costs none).
fn finest_pieces(start: i64, end: i64, tier: Tier, now: i64) -> Vec<Piece> {
    let unit = tier.unit_ms;
    // How long a stretch holds rows.
    let span = |from: i64, to: i64| to.min(now).saturating_sub(from).max(0);
    // The periods holding the range's first and last milliseconds.
    let (first, last) = (start.div_euclid(unit), (end - 1).div_euclid(unit));
    if first == last {
        let (from, to) = (first * unit, (first + 1) * unit);
        if span(start, end) <= span(from, start) + span(end, to) {
            return vec![Piece::Raw(start, end)];
        }
        let mut all = Vec::new();
        if start > from {
            all.push(Piece::Less(from, start));
        }
        all.push(Piece::Rollup(tier, first, first + 1));
        if end < to {
            all.push(Piece::Less(end, to));
        }
        return all;
    }
    let (mut whole_first, mut whole_last) = (first, last + 1);
    let mut all = Vec::new();
    let (first_start, first_end) = (first * unit, (first + 1) * unit);
    if start > first_start {
        if span(start, first_end) <= span(first_start, start) {
            all.push(Piece::Raw(start, first_end));
            whole_first = first + 1;
        } else {
            all.push(Piece::Less(first_start, start));
        }
    }
    let mut tail = Vec::new();
    let (last_start, last_end) = (last * unit, (last + 1) * unit);
    if end < last_end {
        if span(last_start, end) <= span(end, last_end) {
            tail.push(Piece::Raw(last_start, end));
            whole_last = last;
        } else {
            tail.push(Piece::Less(end, last_end));
        }
    }
    if whole_first < whole_last {
        all.push(Piece::Rollup(tier, whole_first, whole_last));
    }
    all.extend(tail);
    all
}

/// Per-bucket histograms and totals of a chart being built.
struct Chart {
    first: i64,
    bucket: i64,
    histograms: Vec<BTreeMap<i64, i64>>,
    totals: Vec<Totals>,
}

impl Chart {
    fn index(&self, at: i64) -> Option<usize> {
        usize::try_from((at - self.first).div_euclid(self.bucket))
            .ok()
            .filter(|&i| i < self.totals.len())
    }

    fn add(&mut self, at: i64, bin: i64, t: Totals) {
        self.add_bin(at, bin, t.requests);
        self.add_totals(at, t);
    }

    fn add_bin(&mut self, at: i64, bin: i64, requests: i64) {
        if let Some(i) = self.index(at) {
            *self.histograms[i].entry(bin).or_default() += requests;
        }
    }

    fn add_totals(&mut self, at: i64, t: Totals) {
        if let Some(i) = self.index(at) {
            let totals = &mut self.totals[i];
            totals.requests += t.requests;
            totals.errors += t.errors;
            totals.input_tokens += t.input_tokens;
            totals.output_tokens += t.output_tokens;
            totals.spend += t.spend;
        }
    }

    fn buckets(&self) -> Vec<StatsBucket> {
        self.histograms
            .iter()
            .zip(&self.totals)
            .enumerate()
            .map(|(i, (histogram, t))| StatsBucket {
                t: self.first + i as i64 * self.bucket,
                requests: t.requests,
                errors: t.errors,
                p50_ms: quantile(histogram, 0.50),
                p99_ms: quantile(histogram, 0.99),
                input_tokens: t.input_tokens,
                output_tokens: t.output_tokens,
                spend: t.spend,
            })
            .collect()
    }
}

impl Store {
    /// The dashboard's numbers for `query` (see the module comment).
    pub async fn log_stats(&self, query: &StatsQuery) -> Result<LogStats, StoreError> {
        let bucket = query.bucket_ms.max(1);
        let first = query.start_ms.div_euclid(bucket) * bucket;
        let count = (query.end_ms - first + bucket - 1)
            .div_euclid(bucket)
            .clamp(0, MAX_BUCKETS);
        let end = first + count * bucket;
        let mut chart = Chart {
            first,
            bucket,
            histograms: vec![BTreeMap::new(); count as usize],
            totals: vec![Totals::default(); count as usize],
        };
        match STATS_TIERS
            .iter()
            .rev()
            .find(|tier| bucket % tier.unit_ms == 0)
        {
            Some(tier) => {
                // One row per bucket, its histogram packed as
                // `bin:requests,...`. Periods of one bucket each are grouped
                // in the primary key's order, without a sort.
                let group = match bucket / tier.unit_ms {
                    1 => "period".to_string(),
                    periods => format!("period / {periods}"),
                };
                let rows = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {group}, CAST(SUM(requests) AS BIGINT), \
                     CAST(SUM(errors) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT), \
                     CAST(SUM(output_tokens) AS BIGINT), SUM(spend), \
                     string_agg(latency_bin || ':' || requests, ',') \
                     FROM {} WHERE period >= $1 AND period < $2 GROUP BY {group}",
                    tier.table
                )))
                .bind(first.div_euclid(tier.unit_ms))
                .bind(end.div_euclid(tier.unit_ms))
                .fetch_all(&self.pool)
                .await?;
                for row in &rows {
                    let at = row.try_get::<i64, _>(0)? * bucket;
                    chart.add_totals(
                        at,
                        Totals {
                            requests: row.try_get(1)?,
                            errors: row.try_get(2)?,
                            input_tokens: row.try_get(3)?,
                            output_tokens: row.try_get(4)?,
                            spend: row.try_get(5)?,
                        },
                    );
                    let histogram: String = row.try_get(6)?;
                    for pair in histogram.split(',') {
                        if let Some((bin, requests)) = pair.split_once(':')
                            && let (Ok(bin), Ok(requests)) = (bin.parse(), requests.parse())
                        {
                            chart.add_bin(at, bin, requests);
                        }
                    }
                }
            }
            None => {
                let rows = sqlx::query(
                    "SELECT started_at, latency_ms, status, input_tokens, output_tokens, cost \
                     FROM request_logs WHERE started_at >= $1 AND started_at < $2",
                )
                .bind(first)
                .bind(end)
                .fetch_all(&self.pool)
                .await?;
                for row in &rows {
                    let totals = Totals {
                        requests: 1,
                        errors: i64::from(row.try_get::<i64, _>(2)? >= 400),
                        input_tokens: row.try_get(3)?,
                        output_tokens: row.try_get(4)?,
                        spend: row.try_get::<Option<f64>, _>(5)?.unwrap_or(0.0),
                    };
                    chart.add(row.try_get(0)?, latency_bin(row.try_get(1)?), totals);
                }
            }
        }
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(started_at) FROM request_logs")
            .fetch_one(&self.pool)
            .await?;
        let now = newest.map_or(i64::MIN, |t| t.saturating_add(1));
        let mut tops = Tops::default();
        for piece in pieces(query.start_ms, query.end_ms, &TOPS_TIERS, now) {
            match piece {
                Piece::Rollup(tier, first, last) => {
                    self.rollup_tops(&mut tops, tier, first, last).await?
                }
                Piece::Raw(start, end) => self.raw_tops(&mut tops, start, end, 1).await?,
                Piece::Less(start, end) => self.raw_tops(&mut tops, start, end, -1).await?,
            }
        }
        Ok(tops.into_stats(chart.buckets(), query.top))
    }

    async fn rollup_tops(
        &self,
        tops: &mut Tops,
        tier: Tier,
        first: i64,
        last: i64,
    ) -> Result<(), StoreError> {
        // With each name's newest label.
        let newest_label = match self.backend {
            Backend::Sqlite => "printf('%020d', period)",
            Backend::Postgres => "lpad(period::text, 20, '0')",
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT kind, name, \
             substr(MAX(CASE WHEN label IS NOT NULL THEN {newest_label} || label END), 21), \
             CAST(SUM(requests) AS BIGINT), SUM(spend) FROM {} \
             WHERE period >= $1 AND period < $2 GROUP BY kind, name",
            tier.table
        )))
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let kind: String = row.try_get(0)?;
            let label: Option<String> = row.try_get(2)?;
            let (requests, spend) = (row.try_get(3)?, row.try_get(4)?);
            tops.add(&kind, row.try_get(1)?, label.as_deref(), requests, spend);
        }
        Ok(())
    }

    /// Adds (`sign` 1) or takes away (-1) the log rows started in
    /// `[start, end)`.
    async fn raw_tops(
        &self,
        tops: &mut Tops,
        start: i64,
        end: i64,
        sign: i64,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query(
            "SELECT model_group, key_hash, key_alias, team_id, COUNT(*), \
             COALESCE(SUM(cost), 0.0) FROM request_logs \
             WHERE started_at >= $1 AND started_at < $2 \
             GROUP BY model_group, key_hash, key_alias, team_id",
        )
        .bind(start)
        .bind(end)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let requests: i64 = row.try_get(4)?;
            let spend: f64 = row.try_get(5)?;
            let alias: Option<String> = row.try_get(2)?;
            for (kind, column) in [("model", 0), ("key", 1), ("team", 3)] {
                if let Some(name) = row.try_get::<Option<String>, _>(column)? {
                    let label = if kind == "key" && sign > 0 {
                        alias.as_deref()
                    } else {
                        None
                    };
                    tops.add(kind, name, label, sign * requests, sign as f64 * spend);
                }
            }
        }
        Ok(())
    }

    /// Computes the rollups of rows stored before the rollups existed (a
    /// database migrated from an older version), a page at a time.
    pub(crate) async fn backfill_rollups(&self) -> Result<(), StoreError> {
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, started_at, latency_ms, status, input_tokens, output_tokens, cost, \
                 model_group, key_hash, key_alias, team_id FROM request_logs \
                 WHERE seq > $1 ORDER BY seq LIMIT 5000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.try_get(0)?;
            let mut rollup = Rollup::default();
            for row in &rows {
                rollup.add(&LogRecord {
                    started_at: row.try_get(1)?,
                    latency_ms: row.try_get(2)?,
                    status: u16::try_from(row.try_get::<i64, _>(3)?).unwrap_or(0),
                    input_tokens: u64::try_from(row.try_get::<i64, _>(4)?).unwrap_or(0),
                    output_tokens: u64::try_from(row.try_get::<i64, _>(5)?).unwrap_or(0),
                    cost: row.try_get(6)?,
                    model_group: row.try_get(7)?,
                    key_hash: row.try_get(8)?,
                    key_alias: row.try_get(9)?,
                    team_id: row.try_get(10)?,
                    ..LogRecord::default()
                });
            }
            let mut transaction = self.pool.begin().await?;
            rollup.apply(&mut transaction).await?;
            transaction.commit().await?;
        }
    }
}

#[derive(Debug, Default)]
struct Tops {
    by_kind: HashMap<&'static str, HashMap<String, Top>>,
}

impl Tops {
    fn add(&mut self, kind: &str, name: String, label: Option<&str>, requests: i64, spend: f64) {
        let kind = match kind {
            "model" => "model",
            "key" => "key",
            "team" => "team",
            _ => return,
        };
        self.by_kind
            .entry(kind)
            .or_default()
            .entry(name)
            .or_default()
            .add(label, requests, spend);
    }

    /// The `n` entries of `kind` with the most spend (then requests).
    fn top(&mut self, kind: &str, n: usize) -> Vec<(String, Top)> {
        let mut entries: Vec<(String, Top)> = self
            .by_kind
            .remove(kind)
            .unwrap_or_default()
            .into_iter()
            // Requests only outside the range (a rollup period less its
            // rows outside) leave nothing.
            .filter(|(_, top)| top.requests > 0)
            .collect();
        entries.sort_by(|a, b| {
            b.1.spend
                .total_cmp(&a.1.spend)
                .then(b.1.requests.cmp(&a.1.requests))
                .then(a.0.cmp(&b.0))
        });
        entries.truncate(n);
        entries
    }

    fn into_stats(mut self, buckets: Vec<StatsBucket>, n: usize) -> LogStats {
        LogStats {
            buckets,
            top_models: self
                .top("model", n)
                .into_iter()
                .map(|(name, t)| TopModel {
                    model_group: name,
                    requests: t.requests,
                    spend: t.spend,
                })
                .collect(),
            top_keys: self
                .top("key", n)
                .into_iter()
                .map(|(name, t)| TopKey {
                    key_alias: t.label,
                    key_hash: name,
                    requests: t.requests,
                    spend: t.spend,
                })
                .collect(),
            top_teams: self
                .top("team", n)
                .into_iter()
                .map(|(name, t)| TopTeam {
                    team_id: name,
                    requests: t.requests,
                    spend: t.spend,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_latencies_they_name() {
        for ms in [0.0, 0.5, 1.0, 1.3, 1.5, 2.0, 99.0, 1_000.0, 123_456.0] {
            let (low, high) = bin_bounds(latency_bin(ms));
            assert!(low <= ms && ms < high, "{ms}: [{low}, {high})");
        }
        assert_eq!(latency_bin(f64::NAN), 0);
        assert_eq!(latency_bin(1e12), MAX_BIN);
    }

    #[test]
    fn ranges_split_into_whole_days_hours_and_edges() {
        let (day, hour) = (TOPS_TIERS[0], TOPS_TIERS[1]);
        // 23:30 on day 0 to 02:15 on day 2.
        let start = 23 * HOUR_MS + 30 * MINUTE_MS;
        let end = 2 * DAY_MS + 2 * HOUR_MS + 15 * MINUTE_MS;
        assert_eq!(
            pieces(start, end, &TOPS_TIERS, i64::MAX),
            [
                Piece::Raw(start, DAY_MS),
                Piece::Rollup(day, 1, 2),
                Piece::Rollup(hour, 48, 50),
                Piece::Raw(2 * DAY_MS + 2 * HOUR_MS, end),
            ]
        );
        // Inside one hour: the log only.
        assert_eq!(pieces(10, 20, &TOPS_TIERS, i64::MAX), [Piece::Raw(10, 20)]);
        // Edges of more than half an hour: the hour less the log rows
        // outside the range. 10:10 to 13:55: [10:00, 10:10) and
        // [13:55, 14:00) taken from hours 10 to 13.
        let (start, end) = (10 * HOUR_MS + 10 * MINUTE_MS, 13 * HOUR_MS + 55 * MINUTE_MS);
        assert_eq!(
            pieces(start, end, &TOPS_TIERS, i64::MAX),
            [
                Piece::Less(10 * HOUR_MS, start),
                Piece::Rollup(hour, 10, 14),
                Piece::Less(end, 14 * HOUR_MS),
            ]
        );
        // Most of one hour; an edge of each kind.
        assert_eq!(
            pieces(HOUR_MS + 5, 2 * HOUR_MS - 7, &TOPS_TIERS, i64::MAX),
            [
                Piece::Less(HOUR_MS, HOUR_MS + 5),
                Piece::Rollup(hour, 1, 2),
                Piece::Less(2 * HOUR_MS - 7, 2 * HOUR_MS),
            ]
        );
        assert_eq!(
            pieces(
                HOUR_MS + 40 * MINUTE_MS,
                3 * HOUR_MS + 50 * MINUTE_MS,
                &TOPS_TIERS,
                i64::MAX
            ),
            [
                Piece::Raw(HOUR_MS + 40 * MINUTE_MS, 2 * HOUR_MS),
                Piece::Rollup(hour, 2, 4),
                Piece::Less(3 * HOUR_MS + 50 * MINUTE_MS, 4 * HOUR_MS),
            ]
        );
        // An end that is now: the hour less what started after it, which
        // is nothing.
        let now = 3 * HOUR_MS + 10 * MINUTE_MS;
        assert_eq!(
            pieces(HOUR_MS + 40 * MINUTE_MS, now, &TOPS_TIERS, now),
            [
                Piece::Raw(HOUR_MS + 40 * MINUTE_MS, 2 * HOUR_MS),
                Piece::Rollup(hour, 2, 4),
                Piece::Less(now, 4 * HOUR_MS),
            ]
        );
        // An empty log: the log rows, none.
        assert_eq!(pieces(10, 20, &TOPS_TIERS, i64::MIN), [Piece::Raw(10, 20)]);
        assert!(pieces(20, 10, &TOPS_TIERS, i64::MAX).is_empty());
    }

    #[test]
    fn quantiles_are_close_to_the_exact_ones() {
        // 1..=1000 ms: exact p50 = 500, p99 = 990.
        let mut histogram = BTreeMap::new();
        for ms in 1..=1000 {
            *histogram.entry(latency_bin(f64::from(ms))).or_insert(0) += 1;
        }
        let p50 = quantile(&histogram, 0.5).unwrap();
        let p99 = quantile(&histogram, 0.99).unwrap();
        assert!((p50 - 500.0).abs() / 500.0 < 0.05, "{p50}");
        assert!((p99 - 990.0).abs() / 990.0 < 0.05, "{p99}");
        assert_eq!(quantile(&BTreeMap::new(), 0.5), None);
    }
}
