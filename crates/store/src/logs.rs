//! The request log: one row per authenticated request, written in batches
//! and read back by the spend and log APIs.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row};

use crate::{Backend, Store, StoreError, stats};

/// What the gateway records about one request.
///
/// Deserializable because records that overflow the writer's queue wait in
/// a JSONL spill file (`spill.rs`); `default` lets a file written by an
/// older version be read by a newer one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogRecord {
    /// Unique row id (the gateway's own, even when the client chose the
    /// request id).
    pub id: String,
    pub request_id: String,
    /// Unix milliseconds.
    pub started_at: i64,
    pub latency_ms: f64,
    pub ttft_ms: Option<f64>,
    pub overhead_ms: Option<f64>,
    pub route: String,
    /// `chat_completions`, `completions`, `embeddings`, `messages`, ...
    pub call_type: String,
    /// The model as requested.
    pub model: String,
    pub model_group: Option<String>,
    pub deployment_id: Option<String>,
    pub provider: Option<String>,
    pub upstream_model: Option<String>,
    pub key_hash: Option<String>,
    pub key_alias: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub organization_id: Option<String>,
    /// The customer named by the request's `user` field.
    pub end_user: Option<String>,
    pub stream: bool,
    pub status: u16,
    pub error: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
    pub cost: Option<f64>,
    pub cache_hit: bool,
    pub attempts: u32,
    pub tags: Vec<String>,
    pub metadata: Option<serde_json::Value>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    /// Each attempt (deployment, status, error, time, hedge), as JSON.
    pub attempt_log: Option<String>,
}

/// The columns in insert order; `bind_record` binds values in this order.
pub(crate) const COLUMNS: &[&str] = &[
    "id",
    "request_id",
    "started_at",
    "latency_ms",
    "ttft_ms",
    "overhead_ms",
    "route",
    "call_type",
    "model",
    "model_group",
    "deployment_id",
    "provider",
    "upstream_model",
    "key_hash",
    "key_alias",
    "user_id",
    "team_id",
    "organization_id",
    "end_user",
    "stream",
    "status",
    "error",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost",
    "cache_hit",
    "attempts",
    "tags",
    "metadata",
    "request_body",
    "response_body",
    "attempt_log",
];

/// Rows per multi-row INSERT. Only two statement texts exist per backend
/// (this many rows, and one row for the remainder), so every connection's
/// statement cache keeps both prepared: a batch costs no SQL parsing,
/// whatever its size. (A text that varied with the batch size was parsed
/// anew for every batch: 71% of the gateway's instructions under load.)
pub(crate) const CHUNK_ROWS: usize = 32;

/// `INSERT ... VALUES (...), ... ON CONFLICT (id) DO NOTHING RETURNING id`
/// for 1 and for [`CHUNK_ROWS`] rows, per backend. SQLite gets anonymous `?`
/// placeholders: sqlx looks a named one (`$N`) up by name for every bind,
/// and SQLite's lookup walks the list of names. The conflict clause makes a
/// replayed spill file harmless; `RETURNING` tells which rows are new, so
/// the rollups count each request once.
static INSERT_SQL: LazyLock<[[String; 2]; 2]> = LazyLock::new(|| {
    let build = |backend: Backend, rows: usize| {
        let width = COLUMNS.len();
        let mut sql = format!("INSERT INTO request_logs ({}) VALUES ", COLUMNS.join(", "));
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for (column, name) in COLUMNS.iter().enumerate() {
                if column > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push_str(&format!("${}", row * width + column + 1));
                        if NULLABLE_FLOATS.contains(name) {
                            sql.push_str("::float8");
                        }
                    }
                }
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (id) DO NOTHING RETURNING id");
        sql
    };
    [
        [
            build(Backend::Sqlite, 1),
            build(Backend::Sqlite, CHUNK_ROWS),
        ],
        [
            build(Backend::Postgres, 1),
            build(Backend::Postgres, CHUNK_ROWS),
        ],
    ]
});

fn insert_sql(backend: Backend, rows: usize) -> &'static str {
    let by_backend = match backend {
        Backend::Sqlite => &INSERT_SQL[0],
        Backend::Postgres => &INSERT_SQL[1],
    };
    if rows == CHUNK_ROWS {
        &by_backend[1]
    } else {
        &by_backend[0]
    }
}

/// Nullable float columns. On Postgres they are bound as text and cast in
/// the statement: sqlx's Any driver declares a NULL `f64` as `float4`
/// (sqlx-core 0.9 `any/arguments.rs` swaps Real and Double), so a cached
/// statement first run with NULL there rejects every later value
/// ("incorrect binary data format"), and the record would be lost.
const NULLABLE_FLOATS: &[&str] = &["ttft_ms", "overhead_ms", "cost"];

/// A nullable float as the backend takes it (see [`NULLABLE_FLOATS`]).
fn nullable_float<'q>(
    query: Query<'q, Any, AnyArguments>,
    backend: Backend,
    value: Option<f64>,
) -> Query<'q, Any, AnyArguments> {
    match backend {
        Backend::Sqlite => query.bind(value),
        // Rust's shortest round-trip form: Postgres parses it to the same f64.
        Backend::Postgres => query.bind(value.map(|v| v.to_string())),
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn bind_record<'q>(
    query: Query<'q, Any, AnyArguments>,
    backend: Backend,
    r: &LogRecord,
) -> Query<'q, Any, AnyArguments> {
    let query = query
        .bind(r.id.clone())
        .bind(r.request_id.clone())
        .bind(r.started_at)
        .bind(r.latency_ms);
    let query = nullable_float(query, backend, r.ttft_ms);
    let query = nullable_float(query, backend, r.overhead_ms);
    let query = query
        .bind(r.route.clone())
        .bind(r.call_type.clone())
        .bind(r.model.clone())
        .bind(r.model_group.clone())
        .bind(r.deployment_id.clone())
        .bind(r.provider.clone())
        .bind(r.upstream_model.clone())
        .bind(r.key_hash.clone())
        .bind(r.key_alias.clone())
        .bind(r.user_id.clone())
        .bind(r.team_id.clone())
        .bind(r.organization_id.clone())
        .bind(r.end_user.clone())
        .bind(i64::from(r.stream))
        .bind(i64::from(r.status))
        .bind(r.error.clone())
        .bind(to_i64(r.input_tokens))
        .bind(to_i64(r.output_tokens))
        .bind(to_i64(r.cached_tokens))
        .bind(to_i64(r.cache_write_tokens))
        .bind(to_i64(r.reasoning_tokens));
    let query = nullable_float(query, backend, r.cost);
    query
        .bind(i64::from(r.cache_hit))
        .bind(i64::from(r.attempts))
        .bind(serde_json::to_string(&r.tags).ok())
        .bind(r.metadata.as_ref().map(|m| m.to_string()))
        .bind(r.request_body.clone())
        .bind(r.response_body.clone())
        .bind(r.attempt_log.clone())
}

/// Inserts `chunk` and appends the records that were new (not already
/// stored under their id) to `inserted`.
async fn insert_chunk<'a>(
    conn: &mut AnyConnection,
    backend: Backend,
    chunk: &'a [LogRecord],
    inserted: &mut Vec<&'a LogRecord>,
) -> Result<(), sqlx::Error> {
    let mut query = sqlx::query(AssertSqlSafe(insert_sql(backend, chunk.len())));
    for record in chunk {
        query = bind_record(query, backend, record);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    if rows.len() == chunk.len() {
        inserted.extend(chunk);
        return Ok(());
    }
    // Some were stored already (a replayed spill file): keep the new ones,
    // each id once.
    let mut new_ids = rows
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<HashSet<String>, _>>()?;
    inserted.extend(chunk.iter().filter(|r| new_ids.remove(&r.id)));
    Ok(())
}

impl Store {
    /// Inserts `records` in one transaction, with their tags and their
    /// share of the dashboard rollups; records whose id is stored already
    /// are skipped. Returns how many were new.
    pub async fn insert_logs(&self, records: &[LogRecord]) -> Result<usize, StoreError> {
        if records.is_empty() {
            return Ok(0);
        }
        let mut transaction = self.pool.begin().await?;
        let mut inserted = Vec::with_capacity(records.len());
        let mut chunks = records.chunks_exact(CHUNK_ROWS);
        for chunk in &mut chunks {
            insert_chunk(&mut transaction, self.backend, chunk, &mut inserted).await?;
        }
        for record in chunks.remainder() {
            let one = std::slice::from_ref(record);
            insert_chunk(&mut transaction, self.backend, one, &mut inserted).await?;
        }
        for record in &inserted {
            for tag in &record.tags {
                sqlx::query(
                    "INSERT INTO request_tags (log_id, tag, started_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (log_id, tag) DO NOTHING",
                )
                .bind(record.id.as_str())
                .bind(tag.as_str())
                .bind(record.started_at)
                .execute(&mut *transaction)
                .await?;
            }
        }
        stats::Rollup::of(&inserted).apply(&mut transaction).await?;
        transaction.commit().await?;
        Ok(inserted.len())
    }

    /// Records matching `query`, newest first (the `/spend/logs` API).
    pub async fn query_logs(&self, query: &LogQuery) -> Result<Vec<LogRecord>, StoreError> {
        let mut sql = crate::sql::Builder::new(self.backend);
        sql.push(&format!(
            "SELECT {} FROM request_logs WHERE 1 = 1",
            COLUMNS.join(", ")
        ));
        if let Some(start) = query.start_ms {
            sql.push(" AND started_at >= ").bind(start);
        }
        if let Some(end) = query.end_ms {
            sql.push(" AND started_at < ").bind(end);
        }
        for (column, value) in [
            ("request_id", &query.request_id),
            ("key_hash", &query.key_hash),
            ("user_id", &query.user_id),
            ("team_id", &query.team_id),
            ("model_group", &query.model_group),
            ("end_user", &query.end_user),
        ] {
            if let Some(value) = value {
                sql.push(&format!(" AND {column} = ")).bind(value.as_str());
            }
        }
        let limit = query.limit.unwrap_or(100).min(10_000);
        sql.push(&format!(
            " ORDER BY started_at DESC, seq DESC LIMIT {limit}"
        ));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(crate) fn record_from_row(row: &AnyRow) -> Result<LogRecord, StoreError> {
    let tags: Option<String> = row.try_get("tags")?;
    let metadata: Option<String> = row.try_get("metadata")?;
    Ok(LogRecord {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        started_at: row.try_get("started_at")?,
        latency_ms: row.try_get("latency_ms")?,
        ttft_ms: row.try_get("ttft_ms")?,
        overhead_ms: row.try_get("overhead_ms")?,
        route: row.try_get("route")?,
        call_type: row.try_get("call_type")?,
        model: row.try_get("model")?,
        model_group: row.try_get("model_group")?,
        deployment_id: row.try_get("deployment_id")?,
        provider: row.try_get("provider")?,
        upstream_model: row.try_get("upstream_model")?,
        key_hash: row.try_get("key_hash")?,
        key_alias: row.try_get("key_alias")?,
        user_id: row.try_get("user_id")?,
        team_id: row.try_get("team_id")?,
        organization_id: row.try_get("organization_id")?,
        end_user: row.try_get("end_user")?,
        stream: row.try_get::<i64, _>("stream")? != 0,
        status: u16::try_from(row.try_get::<i64, _>("status")?).unwrap_or(0),
        error: row.try_get("error")?,
        input_tokens: to_u64(row.try_get("input_tokens")?),
        output_tokens: to_u64(row.try_get("output_tokens")?),
        cached_tokens: to_u64(row.try_get("cached_tokens")?),
        cache_write_tokens: to_u64(row.try_get("cache_write_tokens")?),
        reasoning_tokens: to_u64(row.try_get("reasoning_tokens")?),
        cost: row.try_get("cost")?,
        cache_hit: row.try_get::<i64, _>("cache_hit")? != 0,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
        tags: tags
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
        metadata: metadata.and_then(|m| serde_json::from_str(&m).ok()),
        request_body: row.try_get("request_body")?,
        response_body: row.try_get("response_body")?,
        attempt_log: row.try_get("attempt_log")?,
    })
}

/// Filters of a log search; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub request_id: Option<String>,
    pub key_hash: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub model_group: Option<String>,
    pub end_user: Option<String>,
    pub limit: Option<u32>,
}
