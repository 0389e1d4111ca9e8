//! The request log: one row per authenticated request, written in batches
//! and read back by the spend and log APIs.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError};

/// What the gateway records about one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

/// The columns in insert order; `insert_batch` binds values in this order.
const COLUMNS: &[&str] = &[
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

/// Rows per INSERT statement: 35 columns × 200 rows stays under SQLite's
/// and Postgres's bind-parameter limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 200;

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Inserts `records` in one transaction.
    pub async fn insert_logs(&self, records: &[LogRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut transaction = self.pool.begin().await?;
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let sql = insert_statement(chunk.len());
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(r.id.clone())
                    .bind(r.request_id.clone())
                    .bind(r.started_at)
                    .bind(r.latency_ms)
                    .bind(r.ttft_ms)
                    .bind(r.overhead_ms)
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
                    .bind(to_i64(r.reasoning_tokens))
                    .bind(r.cost)
                    .bind(i64::from(r.cache_hit))
                    .bind(i64::from(r.attempts))
                    .bind(serde_json::to_string(&r.tags).ok())
                    .bind(r.metadata.as_ref().map(|m| m.to_string()))
                    .bind(r.request_body.clone())
                    .bind(r.response_body.clone())
                    .bind(r.attempt_log.clone());
            }
            query.execute(&mut *transaction).await?;
        }
        for record in records {
            for tag in &record.tags {
                sqlx::query(
                    "INSERT INTO request_tags (log_id, tag, started_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (log_id, tag) DO NOTHING",
                )
                .bind(record.id.clone())
                .bind(tag.clone())
                .bind(record.started_at)
                .execute(&mut *transaction)
                .await?;
            }
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Records matching `query`, newest first.
    pub async fn query_logs(&self, query: &LogQuery) -> Result<Vec<LogRecord>, StoreError> {
        let mut sql = format!(
            "SELECT {} FROM request_logs WHERE 1 = 1",
            COLUMNS.join(", ")
        );
        let mut binds: Vec<Bind> = Vec::new();
        let mut condition = |sql: &mut String, clause: &str, value: Bind| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(start) = query.start_ms {
            condition(&mut sql, " AND started_at >= ?", Bind::Int(start));
        }
        if let Some(end) = query.end_ms {
            condition(&mut sql, " AND started_at < ?", Bind::Int(end));
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
                let clause = format!(" AND {column} = ?");
                condition(&mut sql, &clause, Bind::Text(value.clone()));
            }
        }
        sql.push_str(" ORDER BY started_at DESC, id DESC");
        let limit = query.limit.unwrap_or(100).min(10_000);
        sql.push_str(&format!(" LIMIT {limit}"));

        let mut statement = sqlx::query(AssertSqlSafe(sql));
        for bind in binds {
            statement = match bind {
                Bind::Int(v) => statement.bind(v),
                Bind::Text(v) => statement.bind(v),
            };
        }
        let rows = statement.fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }
}

enum Bind {
    Int(i64),
    Text(String),
}

/// `INSERT INTO request_logs (...) VALUES ($1, ...), (...)`.
fn insert_statement(rows: usize) -> String {
    let width = COLUMNS.len();
    let mut sql = format!("INSERT INTO request_logs ({}) VALUES ", COLUMNS.join(", "));
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * width + column + 1));
        }
        sql.push(')');
    }
    sql
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn record_from_row(row: &AnyRow) -> Result<LogRecord, StoreError> {
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
