//! Principals (keys, users, teams, ...) as JSON documents with spend
//! counters, and the audit log of admin changes.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError};

/// One stored principal.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPrincipal {
    pub kind: String,
    pub id: String,
    /// The admin API's JSON document.
    pub doc: String,
    pub spend: f64,
    pub budget_reset_at: Option<i64>,
    /// Spend against per-model budgets: (model, spend, reset at).
    pub model_spend: Vec<(String, f64, Option<i64>)>,
}

/// A change of spend to persist for one principal (or one of its model
/// budgets), already aggregated over events in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendUpdate {
    pub kind: String,
    pub id: String,
    pub model: Option<String>,
    /// When set, the period restarted: spend becomes `delta`.
    pub reset_at: Option<i64>,
    pub delta: f64,
}

/// One admin change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    /// Who: `master_key`, `user:<id>`, `key:<alias or name>`.
    pub actor: String,
    /// `created`, `updated`, `deleted`, `blocked`, ...
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Filters of an audit query.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub limit: Option<u32>,
}

impl Store {
    /// Every principal with its counters.
    pub async fn load_principals(&self) -> Result<Vec<StoredPrincipal>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, id, doc, spend, budget_reset_at FROM principals ORDER BY kind, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut principals = rows
            .iter()
            .map(|row| {
                Ok(StoredPrincipal {
                    kind: row.try_get("kind")?,
                    id: row.try_get("id")?,
                    doc: row.try_get("doc")?,
                    spend: row.try_get("spend")?,
                    budget_reset_at: row.try_get("budget_reset_at")?,
                    model_spend: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let models = sqlx::query("SELECT kind, id, model, spend, budget_reset_at FROM model_spend")
            .fetch_all(&self.pool)
            .await?;
        for row in &models {
            let kind: String = row.try_get("kind")?;
            let id: String = row.try_get("id")?;
            if let Some(principal) = principals.iter_mut().find(|p| p.kind == kind && p.id == id) {
                principal.model_spend.push((
                    row.try_get("model")?,
                    row.try_get("spend")?,
                    row.try_get("budget_reset_at")?,
                ));
            }
        }
        Ok(principals)
    }

    /// Creates or replaces a principal's document; its spend stays.
    pub async fn save_principal(
        &self,
        kind: &str,
        id: &str,
        doc: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO principals (kind, id, doc, spend, created_at, updated_at) \
             VALUES ($1, $2, $3, 0, $4, $4) \
             ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
        )
        .bind(kind.to_string())
        .bind(id.to_string())
        .bind(doc.to_string())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates a principal only when it does not exist yet.
    pub async fn create_principal_if_absent(
        &self,
        kind: &str,
        id: &str,
        doc: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO principals (kind, id, doc, spend, created_at, updated_at) \
             VALUES ($1, $2, $3, 0, $4, $4) ON CONFLICT (kind, id) DO NOTHING",
        )
        .bind(kind.to_string())
        .bind(id.to_string())
        .bind(doc.to_string())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives a principal a new id (a regenerated key's hash), keeping its
    /// spend.
    pub async fn rename_principal(
        &self,
        kind: &str,
        old_id: &str,
        new_id: &str,
        doc: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("UPDATE principals SET id = $1, doc = $2 WHERE kind = $3 AND id = $4")
            .bind(new_id.to_string())
            .bind(doc.to_string())
            .bind(kind.to_string())
            .bind(old_id.to_string())
            .execute(&mut *transaction)
            .await?;
        sqlx::query("UPDATE model_spend SET id = $1 WHERE kind = $2 AND id = $3")
            .bind(new_id.to_string())
            .bind(kind.to_string())
            .bind(old_id.to_string())
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    pub async fn delete_principal(&self, kind: &str, id: &str) -> Result<(), StoreError> {
        let mut transaction = self.pool.begin().await?;
        for table in ["principals", "model_spend"] {
            let sql = format!("DELETE FROM {table} WHERE kind = $1 AND id = $2");
            sqlx::query(AssertSqlSafe(sql))
                .bind(kind.to_string())
                .bind(id.to_string())
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Applies spend changes in one transaction.
    pub async fn apply_spend(&self, updates: &[SpendUpdate]) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        let mut transaction = self.pool.begin().await?;
        for update in updates {
            let (kind, id, delta) = (update.kind.clone(), update.id.clone(), update.delta);
            let query = match (&update.model, update.reset_at) {
                (None, None) => sqlx::query(
                    "UPDATE principals SET spend = spend + $1 WHERE kind = $2 AND id = $3",
                )
                .bind(delta)
                .bind(kind)
                .bind(id),
                (None, Some(reset_at)) => sqlx::query(
                    "UPDATE principals SET spend = $1, budget_reset_at = $4 \
                     WHERE kind = $2 AND id = $3",
                )
                .bind(delta)
                .bind(kind)
                .bind(id)
                .bind(reset_at),
                (Some(model), None) => sqlx::query(
                    "INSERT INTO model_spend (spend, kind, id, model) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (kind, id, model) \
                     DO UPDATE SET spend = model_spend.spend + excluded.spend",
                )
                .bind(delta)
                .bind(kind)
                .bind(id)
                .bind(model.clone()),
                (Some(model), Some(reset_at)) => sqlx::query(
                    "INSERT INTO model_spend (spend, kind, id, model, budget_reset_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, id, model) \
                     DO UPDATE SET spend = excluded.spend, budget_reset_at = excluded.budget_reset_at",
                )
                .bind(delta)
                .bind(kind)
                .bind(id)
                .bind(model.clone())
                .bind(reset_at),
            };
            query.execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub async fn insert_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, action, object_type, object_id, before_doc, after_doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entry.id.clone())
        .bind(entry.at)
        .bind(entry.actor.clone())
        .bind(entry.action.clone())
        .bind(entry.object_type.clone())
        .bind(entry.object_id.clone())
        .bind(entry.before.as_ref().map(|v| v.to_string()))
        .bind(entry.after.as_ref().map(|v| v.to_string()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Audit entries matching `query`, newest first.
    pub async fn query_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = String::from(
            "SELECT id, at, actor, action, object_type, object_id, before_doc, after_doc \
             FROM audit_log WHERE 1 = 1",
        );
        let mut texts: Vec<String> = Vec::new();
        let mut numbers: Vec<(usize, i64)> = Vec::new();
        let mut next = 1;
        for (column, value) in [
            ("object_type", &query.object_type),
            ("object_id", &query.object_id),
            ("actor", &query.actor),
        ] {
            if let Some(value) = value {
                sql.push_str(&format!(" AND {column} = ${next}"));
                texts.push(value.clone());
                next += 1;
            }
        }
        for (clause, value) in [
            (" AND at >= ", query.start_ms),
            (" AND at < ", query.end_ms),
        ] {
            if let Some(value) = value {
                sql.push_str(&format!("{clause}${next}"));
                numbers.push((next, value));
                next += 1;
            }
        }
        let limit = query.limit.unwrap_or(100).min(10_000);
        sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT {limit}"));
        let mut statement = sqlx::query(AssertSqlSafe(sql));
        for text in texts {
            statement = statement.bind(text);
        }
        for (_, number) in numbers {
            statement = statement.bind(number);
        }
        let rows = statement.fetch_all(&self.pool).await?;
        rows.iter().map(audit_from_row).collect()
    }
}

fn audit_from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let json = |column: &str| -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = row.try_get(column)?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    };
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        before: json("before_doc")?,
        after: json("after_doc")?,
    })
}
