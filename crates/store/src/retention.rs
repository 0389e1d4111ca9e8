//! Retention of the request log: by age
//! (`general_settings.maximum_spend_logs_retention_period`) and by size
//! (`general_settings.max_request_logs`, rows).
//!
//! A background task deletes what is beyond the bounds in small batches,
//! each its own short transaction with a pause after it, so the writer
//! (SQLite has a single writer) is never held up for more than one batch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Row};
use tokio::sync::{Notify, watch};

use crate::stats::ROLLUP_TABLES;
use crate::{Store, StoreError};

/// Records deleted per transaction.
const BATCH: i64 = 500;
/// Rollup periods deleted per statement.
const ROLLUP_BATCH: i64 = 240;
/// How often the bounds are checked once they hold.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// The bounds; `None` is unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    /// Records that started longer ago are deleted.
    pub max_age: Option<Duration>,
    /// At most this many records are kept: the newest by insertion.
    pub max_rows: Option<u64>,
}

impl Retention {
    pub fn is_bounded(&self) -> bool {
        self.max_age.is_some() || self.max_rows.is_some()
    }
}

/// Which records a batch deletes: started before a time, or inserted
/// at or before a sequence number.
#[derive(Debug, Clone, Copy)]
enum Beyond {
    StartedBefore(i64),
    SeqAtMost(i64),
}

impl Store {
    /// Deletes one batch of records beyond `retention` as of `now_ms`;
    /// returns how many were deleted (0: within the bounds).
    pub async fn prune_logs_batch(
        &self,
        retention: &Retention,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        if let Some(age) = retention.max_age {
            let cutoff = now_ms.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
            let deleted = self.delete_batch(Beyond::StartedBefore(cutoff)).await?;
            if deleted > 0 {
                return Ok(deleted);
            }
        }
        if let Some(rows) = retention.max_rows {
            let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM request_logs")
                .fetch_one(&self.pool)
                .await?;
            // Sequence numbers are distinct, so at most `rows` of them are
            // above this one.
            let cutoff = newest
                .unwrap_or(0)
                .saturating_sub(i64::try_from(rows).unwrap_or(i64::MAX));
            if cutoff > 0 {
                return self.delete_batch(Beyond::SeqAtMost(cutoff)).await;
            }
        }
        Ok(0)
    }

    async fn delete_batch(&self, beyond: Beyond) -> Result<u64, StoreError> {
        let (condition, order, bound) = match beyond {
            Beyond::StartedBefore(t) => ("started_at < $1", "started_at, seq", t),
            Beyond::SeqAtMost(seq) => ("seq <= $1", "seq", seq),
        };
        let batch = format!(
            "SELECT {{}} FROM request_logs WHERE {condition} ORDER BY {order} LIMIT {BATCH}"
        );
        let mut transaction = self.pool.begin().await?;
        // Tags first: the same batch is selected again below, in the same
        // transaction, so both see the same rows.
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM request_tags WHERE log_id IN ({})",
            batch.replace("{}", "id")
        )))
        .bind(bound)
        .execute(&mut *transaction)
        .await?;
        let deleted = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM request_logs WHERE seq IN ({})",
            batch.replace("{}", "seq")
        )))
        .bind(bound)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        transaction.commit().await?;
        Ok(deleted)
    }

    /// Deletes rollup periods that ended before the oldest record kept (or
    /// all of them when no record is left), so the dashboard describes the
    /// records retained. One statement per table and batch of periods.
    pub async fn prune_rollups(&self) -> Result<u64, StoreError> {
        let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(started_at) FROM request_logs")
            .fetch_one(&self.pool)
            .await?;
        let mut deleted = 0;
        for (table, unit_ms) in ROLLUP_TABLES {
            let cutoff = oldest.map_or(i64::MAX, |t| t.div_euclid(unit_ms));
            loop {
                let row = sqlx::query(AssertSqlSafe(format!("SELECT MIN(period) FROM {table}")))
                    .fetch_one(&self.pool)
                    .await?;
                let Some(first) = row.try_get::<Option<i64>, _>(0)? else {
                    break;
                };
                if first >= cutoff {
                    break;
                }
                let upto = cutoff.min(first.saturating_add(ROLLUP_BATCH));
                deleted += sqlx::query(AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE period < $1"
                )))
                .bind(upto)
                .execute(&self.pool)
                .await?
                .rows_affected();
            }
        }
        Ok(deleted)
    }
}

/// Keeps `store` within `retention` until `stop` turns true: batch after
/// batch while there is something to delete, each followed by a pause as
/// long as the batch took (so pruning takes at most half the database's
/// time), then again after a minute, or sooner when the writer has written
/// (`written`), so a size bound holds while the log grows.
pub(crate) async fn run(
    store: Store,
    retention: Retention,
    written: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(error) = prune_until_within(&store, &retention, &mut stop).await {
            tracing::warn!(%error, "request log retention failed; retrying later");
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(SWEEP_INTERVAL) => {}
            () = written.notified() => {}
            _ = stop.changed() => return,
        }
    }
}

async fn prune_until_within(
    store: &Store,
    retention: &Retention,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let mut total = 0;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let started = Instant::now();
        let deleted = store.prune_logs_batch(retention, now_ms()).await?;
        if deleted == 0 {
            break;
        }
        total += deleted;
        tokio::select! {
            () = tokio::time::sleep(started.elapsed().max(Duration::from_millis(5))) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
    let rollups = store.prune_rollups().await?;
    if total > 0 {
        tracing::info!(records = total, rollups, "request log retention pruned");
    }
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
